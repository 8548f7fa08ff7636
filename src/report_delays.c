/*
 * report_delays.c - delivery delays in the report (see report_delays.h).
 *
 * A delay is the time a message had spent on the queue when a delivery
 * attempt ended (Postfix delay=, Exim QT=).  Its figures are read from
 * histograms (delays.h): median and p95 exact when the delays of their
 * bucket are equal, within 4.9% otherwise, max exact.  JSON and CSV carry seconds;
 * text and HTML a readable duration.
 */
#include "report_delays.h"

#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "textout.h"

/* The stats as a JSON object. */
static void json_stats(FILE *out, const mc_delay_stats *st)
{
    fprintf(out, "{\"count\": %llu, \"median\": %.3f, \"p95\": %.3f, \"max\": %.3f}",
            (unsigned long long)st->count, st->median, st->p95, st->max);
}

void delays_json_row(FILE *out, const row_delays *rd, const mc_row *row, size_t n_keys)
{
    if (!rd->on)
        return;
    const mc_delay_stats *st = rows_delays_find(rd, row, n_keys);
    fputs(", \"delay\": ", out);
    if (st)
        json_stats(out, st);
    else
        fputs("null", out);
}

void delays_csv_head(FILE *out, const row_delays *rd)
{
    if (rd->on)
        fputs(",delay_count,delay_median,delay_p95,delay_max", out);
}

void delays_csv_row(FILE *out, const row_delays *rd, const mc_row *row, size_t n_keys)
{
    if (!rd->on)
        return;
    const mc_delay_stats *st = rows_delays_find(rd, row, n_keys);
    if (st)
        fprintf(out, ",%llu,%.3f,%.3f,%.3f", (unsigned long long)st->count, st->median, st->p95, st->max);
    else
        fputs(",,,,", out);
}

/* Three duration columns of this width, a space before each. */
#define DELAY_CELL 8

int delays_text_width(const row_delays *rd) { return rd->on ? 3 * (DELAY_CELL + 1) : 0; }

void delays_text_head(FILE *out, const row_delays *rd, const mc_lang *l)
{
    static const char *const heads[] = {"col_median", "col_p95", "col_max"};
    for (size_t i = 0; rd->on && i < 3; i++) {
        fputc(' ', out);
        text_right(out, lang_word(l, heads[i]), DELAY_CELL);
    }
}

void delays_text_row(FILE *out, const row_delays *rd, const mc_row *row, size_t n_keys)
{
    if (!rd->on)
        return;
    const mc_delay_stats *st = rows_delays_find(rd, row, n_keys);
    const double v[3] = {st ? st->median : 0, st ? st->p95 : 0, st ? st->max : 0};
    for (int i = 0; i < 3; i++) {
        char buf[32] = "-";
        if (st)
            delay_format(v[i], buf, sizeof buf);
        fprintf(out, " %*s", DELAY_CELL, buf);
    }
}

/* The keys of the JSON list and of the Prometheus histogram. */
static const char *const status_keys[] = {"direction", "status"};

typedef struct {
    FILE *out;
    size_t n;
} list_ctx;

/* store_delay_groups callback: one element of the JSON "delays" list. */
static bool json_group(const char *const *values, const char *klass, const mc_delay_hist *h, void *ctx)
{
    (void)klass;
    list_ctx *c = ctx;
    mc_delay_stats st;
    delay_hist_stats(h, &st);
    fputs(c->n++ ? ",\n  {" : "\n  {", c->out);
    for (size_t i = 0; i < 2; i++) {
        fprintf(c->out, "\"%s\": ", status_keys[i]);
        mc_json_cstr_or_null(c->out, values[i][0] ? values[i] : NULL);
        fputs(", ", c->out);
    }
    fprintf(c->out, "\"count\": %llu, \"median\": %.3f, \"p95\": %.3f, \"max\": %.3f, \"sum\": %.3f}",
            (unsigned long long)st.count, st.median, st.p95, st.max, h->sum);
    return true;
}

bool delays_json_groups(mc_store *s, const mc_window *w, FILE *out, char *err, size_t errlen)
{
    list_ctx c = {.out = out};
    fputs("\"delays\": [", out);
    bool ok = store_delay_groups(s, w, status_keys, 2, false, json_group, &c, err, errlen);
    fputs(c.n ? "\n ]" : "]", out);
    return ok;
}

/* One Prometheus label set: direction and status, escaped. */
static void prom_labels(FILE *out, const char *const *values)
{
    for (size_t i = 0; i < 2; i++)
        prom_label(out, status_keys[i], values[i], i == 0);
}

/* store_delay_groups callback: one histogram (cumulative buckets, sum, count). */
static bool prom_group(const char *const *values, const char *klass, const mc_delay_hist *h, void *ctx)
{
    (void)klass;
    FILE *out = ((list_ctx *)ctx)->out;
    for (size_t i = 0; i < mc_delay_prom_n; i++) {
        fputs("mailcodes_delivery_delay_seconds_bucket{", out);
        prom_labels(out, values);
        fprintf(out, ",le=\"%.10g\"} %llu\n", mc_delay_prom_le[i],
                (unsigned long long)delay_hist_at_most(h, mc_delay_prom_le[i]));
    }
    fputs("mailcodes_delivery_delay_seconds_bucket{", out);
    prom_labels(out, values);
    fprintf(out, ",le=\"+Inf\"} %llu\nmailcodes_delivery_delay_seconds_sum{", (unsigned long long)h->n);
    prom_labels(out, values);
    fprintf(out, "} %.3f\nmailcodes_delivery_delay_seconds_count{", h->sum);
    prom_labels(out, values);
    fprintf(out, "} %llu\n", (unsigned long long)h->n);
    return true;
}

bool delays_prom(mc_store *s, const mc_window *w, FILE *out, char *err, size_t errlen)
{
    list_ctx c = {.out = out};
    fputs("# HELP mailcodes_delivery_delay_seconds Time a message had spent on the queue when a delivery"
          " attempt ended (Postfix delay=, Exim QT=).\n"
          "# TYPE mailcodes_delivery_delay_seconds histogram\n", out);
    return store_delay_groups(s, w, status_keys, 2, false, prom_group, &c, err, errlen);
}

/* One group of the HTML table, kept to be sorted by count. */
typedef struct {
    char *domain, *status;
    mc_delay_stats st;
} html_group;

typedef struct {
    html_group *g;
    size_t n, cap;
} html_groups;

/* store_delay_groups callback: keeps a domain and status group. */
static bool keep_html(const char *const *values, const char *klass, const mc_delay_hist *h, void *ctx)
{
    (void)klass;
    html_groups *hg = ctx;
    if (hg->n == hg->cap) {
        hg->cap = hg->cap ? hg->cap * 2 : 64;
        hg->g = mc_xrealloc(hg->g, hg->cap * sizeof *hg->g);
    }
    html_group *g = &hg->g[hg->n++];
    g->domain = mc_xstrdup(values[0]);
    g->status = mc_xstrdup(values[1]);
    delay_hist_stats(h, &g->st);
    return true;
}

/* The busiest first; ties by domain, then status. */
static int by_count(const void *a, const void *b)
{
    const html_group *x = a, *y = b;
    if (x->st.count != y->st.count)
        return x->st.count > y->st.count ? -1 : 1;
    int c = strcmp(x->domain, y->domain);
    return c ? c : strcmp(x->status, y->status);
}

bool delays_html(mc_store *s, const mc_window *w, const mc_lang *l, FILE *out, char *err, size_t errlen)
{
    static const char *const keys[] = {"domain", "status"};
    html_groups hg = {0};
    bool ok = store_delay_groups(s, w, keys, 2, false, keep_html, &hg, err, errlen);
    if (ok && hg.n > 0) {
        qsort(hg.g, hg.n, sizeof *hg.g, by_count);
        fputs("<h2>", out);
        html_text(out, lang_word(l, "delivery_delays"));
        fputs("</h2>\n<table>\n<tr>", out);
        static const char *const heads[] = {"col_domain", "col_status", "col_deliveries", "col_median", "col_p95",
                                            "col_max"};
        for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
            fputs("<th>", out);
            html_text(out, lang_word(l, heads[i]));
            fputs("</th>", out);
        }
        fputs("</tr>\n", out);
        for (size_t i = 0; i < hg.n && i < 10; i++) {
            const html_group *g = &hg.g[i];
            char med[32], p95[32], max[32];
            delay_format(g->st.median, med, sizeof med);
            delay_format(g->st.p95, p95, sizeof p95);
            delay_format(g->st.max, max, sizeof max);
            fputs("<tr><td>", out);
            html_text(out, g->domain[0] ? g->domain : "-");
            fputs("</td><td>", out);
            const char *st = lang_word_or_null(l, g->status); /* sent, deferred, ... */
            html_text(out, st ? st : g->status);
            fprintf(out, "</td><td class=\"n\">%llu</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                         "<td class=\"n\">%s</td></tr>\n",
                    (unsigned long long)g->st.count, med, p95, max);
        }
        fputs("</table>\n", out);
    }
    for (size_t i = 0; i < hg.n; i++) {
        free(hg.g[i].domain);
        free(hg.g[i].status);
    }
    free(hg.g);
    return ok;
}
