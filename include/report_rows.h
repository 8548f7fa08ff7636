/*
 * report_rows.h - the rows the report writers (report.c, report_html.c,
 * triage.c) gather from the store, and the knowledge that goes with them.
 * Internal to the report stage.
 */
#ifndef MC_REPORT_ROWS_H
#define MC_REPORT_ROWS_H

#include "delays.h"
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
    bool brute_force;   /* problems.c: many failures from a few clients */
    char *detail; /* a problem from the MTA's own warnings: its group's text (problems.c) */
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
bool rows_query_tuples(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys, kept_rows *k,
                       char *err, size_t errlen);
void rows_free(kept_rows *k);
/* Sum of counts of the rows whose first key is value. */
uint64_t rows_count(const kept_rows *k, const char *value);
bool rows_statuses(mc_store *s, const mc_window *w, status_counts *sc, char *err, size_t errlen);
void rows_problem_filter(const kept_row *r, mc_filter *f);

int rows_key_index(const char *const *keys, size_t n, const char *key);
/* A reason's advice in the voice of direction ("inbound": the
 * receiver's; "local": ours on this host, else the sender's; anything
 * else: the sender's), else the other voice it has; NULL when none. */
const char *rows_reason_advice(const mc_reason *rr, const char *direction);
/* A code's fix in the voice of direction (the receiver's for "inbound"
 * when it has one, else the sender's). */
const char *rows_code_fix(const mc_code_info *c, const char *direction);
/* Name and advice from the most specific knowledge: the reason's advice,
 * else the enhanced code's fix, else the basic code's, in the voice of
 * direction ("" when the row holds both directions). */
void rows_knowledge(const mc_rules *rules, const char *code, const char *enh, const char *reason,
                    const char *direction, const char **name, const char **advice);
/* The same for a --by row from its keys; {domains} filled into fill. */
void rows_row_knowledge(const mc_rules *rules, const mc_report_opts *o, const mc_row *row, const char *same_domain,
                        mc_buf *fill, const char **name, const char **advice);
bool rows_has_knowledge_key(const mc_report_opts *o);

/* The delays of a --by table's rows (delays.h): the stats of each group
 * of the report's keys and class, found again by a row's values.  on is
 * false when some key is one delays are not kept by (code, reason, ...):
 * the table then has no delay columns. */
typedef struct {
    char *key;               /* the values and the class, joined by \x1f */
    mc_delay_figures f;
} row_delay;

typedef struct {
    row_delay *d;
    size_t n, cap;
    size_t n_keys;
    bool on;
} row_delays;

/* One Prometheus label (name="value", escaped), after a comma unless first. */
void prom_label(FILE *out, const char *name, const char *value, bool first);

/* Whether a table by these keys has delay columns. */
bool rows_show_delays(const char *const *keys, size_t n_keys);
bool rows_delays_load(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys, row_delays *rd,
                      char *err, size_t errlen);
/* The figures of the row's group, NULL when it has no delays. */
const mc_delay_figures *rows_delays_find(const row_delays *rd, const mc_row *row, size_t n_keys);
void rows_delays_free(row_delays *rd);

/* lang_word(l, key), for callers that still name the English: the English
 * is rules/lang/en.conf's (the argument is not used). */
const char *report_word(const mc_lang *l, const char *key, const char *english);
/* A label in the reader's language and a space ("domains: "), in buf. */
const char *report_label(const mc_lang *l, const char *key, char *buf, size_t len);
/* The window as people read it, in the reader's language. */
void report_window_words(const mc_report_opts *o, const mc_lang *l, char *buf, size_t len);
/* A class (success, ..., unknown), direction (local, outbound, inbound)
 * or status (sent, ..., rejected) in the reader's language; any other
 * value as it is. */
const char *report_value_word(const mc_lang *l, const char *value);
/* The display width of the widest translated value of a --by key (class,
 * direction, section, status); 0 for keys whose values are data. */
int report_value_width(const mc_lang *l, const char *key);
/* The heading of the report's section for a direction (local, outbound, inbound). */
const char *report_section_heading(const mc_lang *l, const char *direction);
/* A problem's title (problems_title) in the reader's language and the
 * voice of its direction: the reason's label (an inbound problem's
 * receiver_label) from rules/lang, else the code's name. */
const char *report_problem_title(const mc_lang *l, const mc_rules *rules, const kept_row *r);

/* One figure of the report's summary: its lang key and value. */
typedef struct {
    const char *key;
    uint64_t n;
} report_figure;
/* How many figures report_figures gives; the last is Exim's retry skips,
 * shown only when there are any. */
#define REPORT_FIGURES 13
/* The summary figures of totals t and statuses sc, in the order shown. */
void report_figures(const mc_totals *t, const status_counts *sc, report_figure out[REPORT_FIGURES]);

#endif
