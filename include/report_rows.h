/*
 * report_rows.h - the rows the report writers (report.c, report_html.c,
 * triage.c) gather from the store, and the knowledge that goes with them.
 * Internal to the report stage.
 */
#ifndef MC_REPORT_ROWS_H
#define MC_REPORT_ROWS_H

#include "lang.h"
#include "report.h"

/* A row copied out of the store, for views that need several passes. */
typedef struct {
    char *values[MC_MAX_KEYS];
    char klass[16];
    uint64_t count;
    char *first_seen, *last_seen, *sample;
    double score;
    uint64_t previous;
} kept_row;

typedef struct {
    kept_row *rows;
    size_t n, cap;
    size_t n_keys;
} kept_rows;

/* Events by status in a window. */
typedef struct {
    uint64_t sent, deferred, bounced, expired, rejected;
} status_counts;

/* The keys of a problem: code, enhanced, reason. */
extern const char *const rows_problem_keys[3];

bool rows_query(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys,
                const mc_filter *f, size_t limit, kept_rows *k, char *err, size_t errlen);
void rows_free(kept_rows *k);
/* Sum of counts of the rows whose first key is value. */
uint64_t rows_count(const kept_rows *k, const char *value);
/* "a (12), b (3)": the top three values of key among the rows f selects. */
void rows_top_values(mc_store *s, const mc_window *w, const char *key, const mc_filter *f, mc_buf *out);
bool rows_statuses(mc_store *s, const mc_window *w, status_counts *sc, char *err, size_t errlen);
void rows_problem_filter(const kept_row *r, mc_filter *f);

int rows_key_index(const char *const *keys, size_t n, const char *key);
/* Name and advice from the most specific knowledge: the reason's advice,
 * else the enhanced code's fix, else the basic code's. */
void rows_knowledge(const mc_rules *rules, const char *code, const char *enh, const char *reason,
                    const char **name, const char **advice);
void rows_row_knowledge(const mc_rules *rules, const mc_report_opts *o, const mc_row *row,
                        const char **name, const char **advice);
bool rows_has_knowledge_key(const mc_report_opts *o);

/* A heading in the reader's language, English when the file lacks it. */
const char *report_word(const mc_lang *l, const char *key, const char *english);
/* A label in the reader's language and a space ("domains: "), in buf. */
const char *report_label(const mc_lang *l, const char *key, char *buf, size_t len);
void report_window_words(const mc_report_opts *o, char *buf, size_t len);

#endif
