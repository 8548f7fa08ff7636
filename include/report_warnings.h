/*
 * report_warnings.h - the MTA's own warnings (mtawarn.h) in the report
 * writers: the daily report's Warnings section (text, HTML), the JSON
 * "mta_warnings" member, and the fatal and panic groups that triage ranks
 * with the problems.  Internal to the report stage.
 */
#ifndef MC_REPORT_WARNINGS_H
#define MC_REPORT_WARNINGS_H

#include <stdbool.h>
#include <stdio.h>

#include "report_rows.h"

/* One warning group copied out of the store. */
typedef struct {
    char *mta, *severity, *text; /* text "": the hour's other warnings */
    uint64_t count;
    char *first, *last, *sample;
    double weight;               /* of the reason [mta-SEVERITY], 0 without one */
} warn_group;

typedef struct {
    warn_group *groups;
    size_t n, cap;
} warn_groups;

/* Every warning group of window w, the most severe (by the weight of
 * rules/reasons.conf [mta-SEVERITY]) first, then the most lines. */
bool warnings_gather(mc_store *s, const mc_rules *rules, const mc_window *w, warn_groups *g, char *err,
                     size_t errlen);
void warnings_free(warn_groups *g);

/* The reason that ranks a severity's groups as problems, or NULL. */
const mc_reason *warnings_reason(const mc_rules *rules, const char *severity);

/* The daily report's Warnings section: the top groups (o->top, else 10);
 * t: the window's totals (what an empty section says). */
bool report_warnings_text(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                          const mc_totals *t, FILE *out, char *err, size_t errlen);
/* The same as an HTML table. */
bool report_warnings_html(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                          const mc_totals *t, FILE *out, char *err, size_t errlen);
/* ,\n "mta_warnings": [...] for report --format json. */
bool report_warnings_json(mc_store *s, const mc_rules *rules, const mc_window *w, FILE *out, char *err,
                          size_t errlen);

#endif
