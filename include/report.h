/*
 * report.h - the last stage: read counts back from the store and present
 * them: the daily text report, a --by table, JSON (docs/CONTRACT.md, stable), CSV,
 * Prometheus text, self-contained HTML, and the triage list.
 */
#ifndef MC_REPORT_H
#define MC_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "bykeys.h"
#include "rules.h"
#include "store.h"

typedef enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV, FORMAT_PROM, FORMAT_HTML } mc_format;

typedef struct {
    const char *keys[MC_MAX_KEYS];
    size_t n_keys;           /* 0: the format's default view */
    size_t top;              /* 0 = all */
    bool top_given;          /* --top was given: it overrides every list's default (report_top) */
    mc_format format;
    mc_window window;
    mc_window previous;      /* same length just before; since[0] == 0 when unknown */
    const char *since_text, *until_text; /* as the user gave them, for the JSON window */
    char since_buf[48], until_buf[48];   /* storage for computed window texts */
    bool color;
    bool problems_first;
    bool from_db;            /* reading a database (not files): its last ingest is known */
    bool ends_now;           /* the window ends now: stale data is warned */
    const char *lang;
} mc_report_opts;

bool report_parse_format(const char *s, mc_format *f);
/* Splits "code,enhanced" into keys (pointers into buf, which is modified).
 * false with a message in err for an unknown key. */
bool report_parse_keys(char *buf, mc_report_opts *o, char *err, size_t errlen);

/* How many items a list shows (0: all): --top N as given (--top 0: all),
 * else the list's own default dflt (10 problems in the daily report, 5 in
 * triage, ...); one meaning for every list of report and triage. */
size_t report_top(const mc_report_opts *o, size_t dflt);

/* Writes the report; returns an exit code. */
int report_write(mc_store *s, const mc_rules *rules, const mc_report_opts *o, FILE *out);

/* The aggregate dimensions a report (or triage) reads: what a report
 * straight from files needs to count by. */
uint32_t report_dims(const mc_report_opts *o, bool triage);

/* The ranked list of problems to act on now. */
int triage_write(mc_store *s, const mc_rules *rules, const mc_report_opts *o, FILE *out);

#endif
