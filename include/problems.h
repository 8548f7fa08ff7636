/*
 * problems.h - the problems of a window, one list for the daily report
 * (text, HTML) and triage: a problem is one (direction, status, code,
 * enhanced, reason, class), never merged across directions; ranked by severity x
 * volume x trend.  Internal to the report stage.
 */
#ifndef MC_PROBLEMS_H
#define MC_PROBLEMS_H

#include "report_rows.h"

/* The keys of a problem, in the order of kept_row.values. */
enum { P_DIRECTION, P_STATUS, P_CODE, P_ENHANCED, P_REASON, P_NKEYS };

/* The breakdowns of one window's problems, owned by one report: each key
 * (domain, relay, client) read on first use by ONE query grouped by
 * problem and value (instead of one query per problem and key), its rows
 * streamed in the order store_tuple_rows gives them (count, largest
 * first, then the value).  Of each problem's values only the first
 * PROBLEMS_VALUES_KEPT are kept, the others' events summed and counted:
 * no writer shows more (triage's JSON lists ten, the advice names five
 * domains), so the cache holds at most that many rows per problem and key,
 * whatever the size of the window (store8: it held every failure's row, up
 * to 135 MiB on the Exim 200 MB database). */
enum { P_NCACHED = 3, PROBLEMS_VALUES_KEPT = 10 };

/* The values of one key among the events of one problem, largest first. */
typedef struct {
    kept_rows top; /* the first PROBLEMS_VALUES_KEPT: one-key rows (the value, class, count) */
    uint64_t rest; /* the events of the values past top */
    size_t n;      /* how many values, top's and the others' */
} problem_values;

typedef struct problems_entry problems_entry; /* one problem's values (problems.c) */
typedef struct {
    mc_store *s;
    const mc_window *w;
    problems_entry **slots; /* the problems by identity: a hash table, at most half full */
    size_t n_slots, n;
    uint64_t hash_key[2];
    size_t kept;            /* rows held in the problems' tops: problems_cache_rows */
    bool loaded[P_NCACHED], failed[P_NCACHED];
} problems_cache;
/* A cache of window w's breakdowns (nothing read yet); free with problems_cache_free. */
void problems_cache_init(problems_cache *c, mc_store *s, const mc_window *w);
void problems_cache_free(problems_cache *c);
/* Fills k with every problem of o's window, ranked highest score first;
 * have_prev says whether o has a window before to compare with (one that
 * holds log lines: problems_have_previous). */
bool problems_gather(problems_cache *c, const mc_rules *rules, const mc_report_opts *o, kept_rows *k,
                     bool *have_prev, char *err, size_t errlen);

/* Sets *have to whether o has a window before holding log lines (none, or
 * one without lines, is nothing to compare with); false on a database error. */
bool problems_have_previous(mc_store *s, const mc_report_opts *o, bool *have, char *err, size_t errlen);

/* How much one event of a problem matters (the class, the reason's weight
 * in rules/reasons.conf, and local deliveries counted as our own fault). */
double problems_severity(const mc_rules *rules, const kept_row *r);

/* A filter selecting exactly the events of problem r. */
void problems_filter(const kept_row *r, mc_filter *f);

/* The problem's title in the voice of its direction (an inbound problem:
 * the reason's receiver_label; a local one: its local_label) and in l's
 * language where it has one: the reason's label, else (outbound) the code's
 * name, else the unexplained reason's; never NULL. */
const char *problems_title(const mc_rules *rules, const mc_lang *l, const kept_row *r);

/* The advice in the voice of the problem's direction (the reason's
 * receiver_advice, local_advice or advice, else the code's receiver_fix or
 * fix, else the unexplained reason's), with {domains} replaced by the
 * problem's own domains; written into out and returned. */
const char *problems_advice(problems_cache *c, const mc_rules *rules, const mc_lang *l, const kept_row *r,
                            mc_buf *out);

/* The key a problem is broken down by first ("client" for inbound
 * problems, "domain" for the others) and its label key in rules/lang. */
const char *problems_breakdown_key(const kept_row *r);
const char *problems_breakdown_label(const kept_row *r);

/* The values of key (domain, relay or client) among the events of problem
 * r, largest first: owned by the cache, valid until problems_cache_free;
 * NULL on a database error (a problem without such events: none). */
const problem_values *problems_values(problems_cache *c, const kept_row *r, const char *key);

/* The rows the cache holds in its problems' tops (at most
 * PROBLEMS_VALUES_KEPT per problem and key): for the tests. */
size_t problems_cache_rows(const problems_cache *c);

/* "a (12), b (3), others (4)": the top three values of key among the
 * events of r, adding up to its count; an empty value is "none", both words in l's language. */
void problems_breakdown(problems_cache *c, const kept_row *r, const char *key, const mc_lang *l, mc_buf *out);

/* What a report writer needs to write a problem. */
typedef struct {
    problems_cache *pc;
    const mc_rules *rules;
    const mc_report_opts *o;
    const mc_lang *l;
    const mc_totals *t; /* NULL where the writer shows no share */
    mc_buf *buf;        /* scratch for breakdowns and advice */
    FILE *out;
} problems_writer;

/* What a report writes for its top problems: lead once before them (kept:
 * how many problems the window has, 0 for none), then section by section
 * heading before a section's first problem and end after its last (either
 * may be NULL), problem for each, with its rank. */
typedef struct {
    void (*lead)(const problems_writer *w, const mc_totals *t, size_t kept); /* once, first */
    void (*heading)(const problems_writer *w, size_t section);
    void (*problem)(const problems_writer *w, size_t rank, const kept_row *r);
    void (*end)(const problems_writer *w, size_t section);
} problems_visitor;

/* Walks the first top problems of k (ranked; top 0: all) in the sections of
 * problems_directions, skipping empty sections. */
void problems_by_section(const kept_rows *k, size_t top, const problems_visitor *v, const problems_writer *w);

/* Writes the first top problems of o's window to out through v (problems_by_section),
 * t given to v's lead and, when share is set, to its writer for the shares. */
bool problems_write(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                    const mc_totals *t, bool share, size_t top, const problems_visitor *v, FILE *out, char *err,
                    size_t errlen);

/* The sections of the daily report, in the order they are shown (their
 * headings: report_section_heading): our MTA itself (its own fatal and
 * panic lines), our own deliveries on this host, our mail to others, mail
 * our server refused. */
enum { PROBLEM_SECTIONS = 4 };
extern const char *const problems_sections[PROBLEM_SECTIONS];

/* Whether r is a group of the MTA's own fatal or panic lines (direction
 * "local" in JSON, its own section "mta" in the reports). */
bool problems_is_mta(const kept_row *r);

/* The section of problems_sections r is shown in. */
const char *problems_section(const kept_row *r);

/* The noun of r's count in l's language: events, or log lines for the MTA's own lines. */
const char *problems_count_noun(const mc_lang *l, const kept_row *r);

#endif
