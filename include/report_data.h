/*
 * report_data.h - what a report says about its own data, before any
 * figure: the span of events in the window, the last ingest, and the
 * warnings a postmaster must read before trusting an all-clear (no lines
 * in the window, stale data).  Internal to the report stage.
 */
#ifndef MC_REPORT_DATA_H
#define MC_REPORT_DATA_H

#include "lang.h"
#include "report.h"

#define MC_DATA_WARNINGS 4

typedef struct {
    char first[48], last[48];  /* first and last event in the window; "" when none */
    char last_ingest[48];      /* UTC; "" when unknown (files, an old database) */
    uint64_t lines;            /* log lines in the window */
    bool mail;                 /* ... and mail among them (report_has_mail) */
    const char *warnings[MC_DATA_WARNINGS]; /* rules/lang keys */
    size_t n_warnings;
} report_data;

/* Gathers d for o's window, whose totals t the caller has (NULL: read here);
 * false with a message in err. */
bool report_data_get(mc_store *s, const mc_report_opts *o, const mc_totals *t, report_data *d, char *err,
                     size_t errlen);
/* Whether totals t hold mail: an SMTP outcome, an outcome line not
 * recognised, or a message.  Log lines without any (a cron log, a wrong
 * file) are not an all-clear either. */
bool report_has_mail(const mc_totals *t);
/* What a section with nothing to show says: none_text when the window
 * holds mail, else why nothing is shown (no lines; lines but no mail). */
const char *report_nothing(const mc_lang *l, const mc_totals *t, const char *none_text);
/* The header lines: "Data: ..." and each warning, in the reader's language. */
void report_data_text(FILE *out, const mc_lang *l, const report_data *d);
/* The same as HTML paragraphs. */
void report_data_html(FILE *out, const mc_lang *l, const report_data *d);
/* ,"data": {...}, "warnings": [...] for the JSON forms (English warnings). */
void report_data_json(FILE *out, const mc_lang *l, const report_data *d);

#endif
