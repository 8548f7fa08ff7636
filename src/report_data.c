/*
 * report_data.c - the honesty header of report and triage: the real span
 * of events in the window, the time of the last ingest (from a database),
 * and warnings that must come before any figure: a window without a
 * single log line is not an all-clear, nor is one whose lines hold no
 * mail (no SMTP outcome, no message, no warning of the MTA: a wrong file,
 * a log the MTA no longer writes to), nor one that ends now whose newest
 * event is more than an hour old (ingest stopped, the log rotated away,
 * the MTA silent).
 */
#include "report_data.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report_html.h"
#include "report_rows.h"
#include "textout.h"

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS" read as UTC (both sides
 * of a comparison are read the same way, so the zone cancels); -1 when it
 * is not such a time. */
static long long stamp_seconds(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm);
}

/* Now in this host's local clock, the clock the log's hours are kept in. */
static long long now_local_seconds(void)
{
    time_t t = time(NULL);
    struct tm tm;
    char buf[32];
    if (localtime_r(&t, &tm) == NULL || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return -1;
    return stamp_seconds(buf);
}

/* Adds a warning (a rules/lang key). */
static void warn(report_data *d, const char *key)
{
    if (d->n_warnings < MC_DATA_WARNINGS)
        d->warnings[d->n_warnings++] = key;
}

bool report_has_mail(const mc_totals *t)
{
    const mc_msg_figures *m = &t->msg;
    return t->events || t->unrecognised || t->retry_skips || m->received || m->generated || m->delivered ||
           m->deferred || m->bounced || m->expired || m->rejected || m->evicted;
}

const char *report_nothing(const mc_lang *l, const mc_totals *t, const char *none_text)
{
    if (t->lines == 0)
        return lang_word(l, "section_no_lines");
    return report_has_mail(t) ? none_text : lang_word(l, "section_no_mail");
}

/* store_warnings callback: there is one; no need to read on. */
static bool found_warning(const mc_warn_row *row, void *ctx)
{
    (void)row;
    *(bool *)ctx = true;
    return false;
}

/* Gathers the span, the last ingest and the warnings. */
bool report_data_get(mc_store *s, const mc_report_opts *o, const mc_totals *t, report_data *d, char *err,
                     size_t errlen)
{
    memset(d, 0, sizeof *d);
    mc_totals own;
    if (t == NULL) { /* triage: the totals of its window, once */
        if (!store_totals(s, &o->window, NULL, &own, err, errlen))
            return false;
        t = &own;
    }
    if (!store_span(s, &o->window, d->first, d->last, sizeof d->first, err, errlen))
        return false;
    if (o->from_db && !store_last_ingest(s, d->last_ingest, sizeof d->last_ingest, err, errlen))
        return false;
    d->lines = t->lines;
    d->mail = report_has_mail(t);
    /* Lines without mail may still be the MTA's: its warnings say so. */
    bool mta = d->mail;
    if (d->lines == 0)
        warn(d, LK("warn_no_lines"));
    else if (!mta && !store_warnings(s, &o->window, 1, found_warning, &mta, err, errlen))
        return false;
    else if (!mta)
        warn(d, LK("warn_no_mail"));
    if (o->ends_now && d->last[0]) {
        long long last = stamp_seconds(d->last), now = now_local_seconds();
        /* From the database the question is ingest; from files nothing is
         * ingested, so it asks whether the MTA still writes to them. */
        if (last >= 0 && now >= 0 && now - last > 3600)
            warn(d, o->from_db ? LK("warn_stale") : LK("warn_stale_files"));
    }
    return true;
}

/* The span line ("Data: FIRST .. LAST; last ingest T") into b. */
static void span_line(const mc_lang *l, const report_data *d, mc_buf *b)
{
    mc_buf_reset(b);
    if (d->first[0])
        mc_buf_printf(b, "%s %s .. %s", lang_word(l, "data_span"), d->first, d->last);
    else
        mc_buf_printf(b, "%s %s", lang_word(l, "data_span"), lang_word(l, "data_none"));
    if (d->last_ingest[0])
        mc_buf_printf(b, "; %s %s", lang_word(l, "last_ingest"), d->last_ingest);
}

/* Warning i in words into b. */
static void warning_line(const mc_lang *l, const report_data *d, size_t i, mc_buf *b)
{
    mc_buf_reset(b);
    mc_buf_printf(b, "%s %s", lang_word(l, "warning"), lang_word(l, d->warnings[i]));
}

/* The header lines. */
void report_data_text(FILE *out, const mc_lang *l, const report_data *d)
{
    mc_buf b;
    mc_buf_init(&b);
    span_line(l, d, &b);
    text_wrap(out, MC_TEXT_WIDTH, true, "", "", "  ", b.data);
    for (size_t i = 0; i < d->n_warnings; i++) {
        warning_line(l, d, i, &b);
        text_wrap(out, MC_TEXT_WIDTH, true, "", "", "  ", b.data);
    }
    mc_buf_free(&b);
}

/* The header as HTML paragraphs. */
void report_data_html(FILE *out, const mc_lang *l, const report_data *d)
{
    mc_buf b;
    mc_buf_init(&b);
    span_line(l, d, &b);
    fputs("<p>", out);
    html_text(out, b.data);
    fputs("</p>\n", out);
    for (size_t i = 0; i < d->n_warnings; i++) {
        warning_line(l, d, i, &b);
        fputs("<p class=\"permanent\"><strong>", out);
        html_text(out, b.data);
        fputs("</strong></p>\n", out);
    }
    mc_buf_free(&b);
}

/* The JSON members. */
void report_data_json(FILE *out, const mc_lang *l, const report_data *d)
{
    fputs(",\n \"data\": {\"first\": ", out);
    mc_json_cstr_or_null(out, d->first[0] ? d->first : NULL);
    fputs(", \"last\": ", out);
    mc_json_cstr_or_null(out, d->last[0] ? d->last : NULL);
    fputs(", \"last_ingest\": ", out);
    mc_json_cstr_or_null(out, d->last_ingest[0] ? d->last_ingest : NULL);
    fputs("},\n \"warnings\": [", out);
    for (size_t i = 0; i < d->n_warnings; i++) {
        fputs(i ? ", " : "", out);
        mc_json_cstr_or_null(out, lang_english(l, d->warnings[i])); /* machine text: English */
    }
    fputc(']', out);
}
