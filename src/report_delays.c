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

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_data.h"
#include "report_html.h"
#include "textout.h"

/* The stats as JSON members (no braces). */
static void json_members(FILE *out, const mc_delay_stats *st)
{
    fprintf(out, "\"count\": %llu, \"median\": %.3f, \"p95\": %.3f, \"max\": %.3f",
            (unsigned long long)st->count, st->median, st->p95, st->max);
}

/* ', "parts": {...}': each logged part's stats and sum, by its name. */
static void json_parts(FILE *out, const mc_delay_figures *f)
{
    fputs(", \"parts\": {", out);
    for (int p = 0, n = 0; p < MC_DELAY_PARTS; p++) {
        if (f->part[p].count == 0)
            continue;
        fprintf(out, "%s\"%s\": {", n++ ? ", " : "", delay_part_name((mc_delay_part)p));
        json_members(out, &f->part[p]);
        fprintf(out, ", \"sum\": %.3f}", f->part[p].sum);
    }
    fputc('}', out);
}

void delays_json_row(FILE *out, const row_delays *rd, const mc_row *row, size_t n_keys)
{
    if (!rd->on)
        return;
    const mc_delay_figures *f = rows_delays_find(rd, row, n_keys);
    fputs(", \"delay\": ", out);
    if (f == NULL) {
        fputs("null", out);
        return;
    }
    fputc('{', out);
    json_members(out, &f->all);
    json_parts(out, f);
    fputc('}', out);
}

/* The figures of one part in a CSV record, and their column names: every
 * part has its columns in every record, empty where it was not logged, so
 * that the header is the same for every log. */
static const char *const csv_part_figures[] = {"count", "median", "p95", "max", "sum"};
#define CSV_PART_FIGURES (sizeof csv_part_figures / sizeof csv_part_figures[0])

void delays_csv_head(FILE *out, const row_delays *rd)
{
    if (!rd->on)
        return;
    fputs(",delay_count,delay_median,delay_p95,delay_max", out);
    for (int p = 0; p < MC_DELAY_PARTS; p++)
        for (size_t i = 0; i < CSV_PART_FIGURES; i++)
            fprintf(out, ",delay_%s_%s", delay_part_name((mc_delay_part)p), csv_part_figures[i]);
}

void delays_csv_row(FILE *out, const row_delays *rd, const mc_row *row, size_t n_keys)
{
    if (!rd->on)
        return;
    const mc_delay_figures *f = rows_delays_find(rd, row, n_keys);
    if (f)
        fprintf(out, ",%llu,%.3f,%.3f,%.3f", (unsigned long long)f->all.count, f->all.median, f->all.p95,
                f->all.max);
    else
        fputs(",,,,", out);
    for (int p = 0; p < MC_DELAY_PARTS; p++) {
        const mc_delay_stats *st = f ? &f->part[p] : NULL;
        if (st && st->count)
            fprintf(out, ",%llu,%.3f,%.3f,%.3f,%.3f", (unsigned long long)st->count, st->median, st->p95, st->max,
                    st->sum);
        else
            fputs(",,,,,", out);
    }
}

/* Three duration columns of this width, a space before each; then where
 * the time went, in a column of WHERE_CELL. */
#define DELAY_CELL 8
#define WHERE_CELL 11

/* Where the time went, for a person: "3/1/95/1", each part's share in
 * percent of the summed Postfix a+b+c+d; else "dt 40%", the share of
 * Exim's delivery time (DT=) in its time on queue (QT=); else "-". */
static void where_cell(const mc_delay_figures *f, char *buf, size_t len)
{
    double abcd = 0;
    for (int p = DELAY_PART_A; p <= DELAY_PART_D; p++)
        abcd += f->part[p].sum;
    if (abcd > 0) {
        long pc[4];
        for (int p = DELAY_PART_A; p <= DELAY_PART_D; p++)
            pc[p - DELAY_PART_A] = lround(100.0 * f->part[p].sum / abcd);
        snprintf(buf, len, "%ld/%ld/%ld/%ld", pc[0], pc[1], pc[2], pc[3]);
    } else if (f->part[DELAY_PART_DT].count && f->all.sum > 0) {
        double share = 100.0 * f->part[DELAY_PART_DT].sum / f->all.sum;
        snprintf(buf, len, "dt %ld%%", lround(share < 100.0 ? share : 100.0));
    } else {
        snprintf(buf, len, "-");
    }
}

int delays_text_width(const row_delays *rd) { return rd->on ? 3 * (DELAY_CELL + 1) + WHERE_CELL + 1 : 0; }

/* The heads of the duration columns and of where the time went. */
static void text_heads(FILE *out, const mc_lang *l)
{
    static const char *const heads[] = {"col_median", "col_p95", "col_max"};
    for (size_t i = 0; i < 3; i++) {
        fputc(' ', out);
        text_right(out, lang_word(l, heads[i]), DELAY_CELL);
    }
    fputc(' ', out);
    text_right(out, lang_word(l, "col_where"), WHERE_CELL);
}

void delays_text_head(FILE *out, const row_delays *rd, const mc_lang *l)
{
    if (rd->on)
        text_heads(out, l);
}

/* The duration cells and where the time went ("-" each with no delays). */
static void text_cells(FILE *out, const mc_delay_figures *f)
{
    const double v[3] = {f ? f->all.median : 0, f ? f->all.p95 : 0, f ? f->all.max : 0};
    char buf[32] = "-";
    for (int i = 0; i < 3; i++) {
        if (f && f->all.count)
            delay_format(v[i], buf, sizeof buf);
        fprintf(out, " %*s", DELAY_CELL, buf);
    }
    if (f)
        where_cell(f, buf, sizeof buf);
    fprintf(out, " %*s", WHERE_CELL, buf);
}

void delays_text_row(FILE *out, const row_delays *rd, const mc_row *row, size_t n_keys)
{
    if (rd->on)
        text_cells(out, rows_delays_find(rd, row, n_keys));
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
    fprintf(c->out, "\"count\": %llu, \"median\": %.3f, \"p95\": %.3f, \"max\": %.3f, \"sum\": %.3f",
            (unsigned long long)st.count, st.median, st.p95, st.max, h->sum);
    mc_delay_figures f;
    delay_hist_figures(h, &f);
    json_parts(c->out, &f);
    fputc('}', c->out);
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

static bool slowest_html(mc_store *s, const mc_window *w, const mc_lang *l, FILE *out, char *err, size_t errlen);

/* An HTML table's start and its row of heads (rules/lang keys). */
static void html_heads(FILE *out, const mc_lang *l, const char *const *heads, size_t n)
{
    fputs("<table>\n<tr>", out);
    for (size_t i = 0; i < n; i++) {
        fputs("<th>", out);
        html_text(out, lang_word(l, heads[i]));
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
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
        fputs("</h2>\n", out);
        static const char *const heads[] = {"col_domain", "col_status", "col_deliveries", "col_median", "col_p95",
                                            "col_max"};
        html_heads(out, l, heads, sizeof heads / sizeof heads[0]);
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
    ok = ok && slowest_html(s, w, l, out, err, errlen);
    for (size_t i = 0; i < hg.n; i++) {
        free(hg.g[i].domain);
        free(hg.g[i].status);
    }
    free(hg.g);
    return ok;
}

/* ---- the daily report's delays section -------------------------------- */

/* The slowest domains the section lists. */
#define SLOWEST 5

/* A domain of our delivered mail, kept to be sorted by p95. */
typedef struct {
    char *domain;
    mc_delay_figures f;
} slow_domain;

typedef struct {
    slow_domain *d;
    size_t n, cap;
    mc_delay_figures all; /* every delivery of our mail that logged a delay */
} slow_domains;

/* Whether a group is our mail that was delivered: what the section is about. */
static bool delivered(const char *const *values)
{
    return strcmp(values[0], "outbound") == 0 && strcmp(values[1], "sent") == 0;
}

/* store_delay_groups callback (direction, status): the overall figures. */
static bool keep_all(const char *const *values, const char *klass, const mc_delay_hist *h, void *ctx)
{
    (void)klass;
    if (delivered(values))
        delay_hist_figures(h, &((slow_domains *)ctx)->all);
    return true;
}

/* store_delay_groups callback (direction, status, domain): one domain. */
static bool keep_domain(const char *const *values, const char *klass, const mc_delay_hist *h, void *ctx)
{
    (void)klass;
    slow_domains *sd = ctx;
    if (!delivered(values))
        return true;
    if (sd->n == sd->cap) {
        sd->cap = sd->cap ? sd->cap * 2 : 64;
        sd->d = mc_xrealloc(sd->d, sd->cap * sizeof *sd->d);
    }
    slow_domain *d = &sd->d[sd->n++];
    d->domain = mc_xstrdup(values[2]);
    delay_hist_figures(h, &d->f);
    return true;
}

/* The slowest first: by p95, then max, then the busiest, then by name. */
static int by_slowness(const void *a, const void *b)
{
    const slow_domain *x = a, *y = b;
    if (x->f.all.p95 != y->f.all.p95)
        return x->f.all.p95 > y->f.all.p95 ? -1 : 1;
    if (x->f.all.max != y->f.all.max)
        return x->f.all.max > y->f.all.max ? -1 : 1;
    if (x->f.all.count != y->f.all.count)
        return x->f.all.count > y->f.all.count ? -1 : 1;
    return strcmp(x->domain, y->domain);
}

/* Reads the overall figures and the domains, slowest first. */
static bool slow_gather(mc_store *s, const mc_window *w, slow_domains *sd, char *err, size_t errlen)
{
    static const char *const keys[] = {"direction", "status", "domain"};
    memset(sd, 0, sizeof *sd);
    if (!store_delay_groups(s, w, keys, 2, false, keep_all, sd, err, errlen) ||
        !store_delay_groups(s, w, keys, 3, false, keep_domain, sd, err, errlen))
        return false;
    if (sd->n > 1)
        qsort(sd->d, sd->n, sizeof *sd->d, by_slowness);
    return true;
}

static void slow_free(slow_domains *sd)
{
    for (size_t i = 0; i < sd->n; i++)
        free(sd->d[i].domain);
    free(sd->d);
}

/* The section's title line: how many deliveries, median, p95, max. */
static void slow_title(mc_buf *b, const mc_lang *l, const mc_delay_stats *st)
{
    char n[24], med[32], p95[32], max[32];
    snprintf(n, sizeof n, "%llu", (unsigned long long)st->count);
    delay_format(st->median, med, sizeof med);
    delay_format(st->p95, p95, sizeof p95);
    delay_format(st->max, max, sizeof max);
    const char *vars[] = {"deliveries", n, "median", med, "p95", p95, "max", max, NULL};
    lang_fill(b, l, "delays_title", vars);
}

/* The width of the domain column. */
#define SLOW_DOMAIN 32

bool delays_text_section(mc_store *s, const mc_window *w, const mc_totals *t, const mc_lang *l, FILE *out, char *err,
                         size_t errlen)
{
    slow_domains sd;
    if (!slow_gather(s, w, &sd, err, errlen)) {
        slow_free(&sd);
        return false;
    }
    fputc('\n', out);
    if (sd.all.all.count == 0) {
        fprintf(out, "%s\n  %s\n", lang_word(l, "delivery_delays"),
                report_nothing(l, t, lang_word(l, "delays_none")));
    } else {
        mc_buf b;
        mc_buf_init(&b);
        slow_title(&b, l, &sd.all.all);
        text_wrap(out, MC_TEXT_WIDTH, true, "", "", "  ", b.data);
        mc_buf_free(&b);
        fputs("  ", out);
        text_cell(out, lang_word(l, "delays_slowest"), SLOW_DOMAIN, true);
        text_right(out, lang_word(l, "col_deliveries"), 10);
        text_heads(out, l);
        fputc('\n', out);
        for (size_t i = 0; i < sd.n && i < SLOWEST; i++) {
            fputs("  ", out);
            text_cell(out, sd.d[i].domain[0] ? sd.d[i].domain : lang_word(l, "none"), SLOW_DOMAIN, true);
            fprintf(out, "%10llu", (unsigned long long)sd.d[i].f.all.count);
            text_cells(out, &sd.d[i].f);
            fputc('\n', out);
        }
        text_wrap(out, MC_TEXT_WIDTH, true, "", "  ", "  ", lang_word(l, "delays_where"));
    }
    slow_free(&sd);
    return true;
}

/* The same section in HTML, after the table of the busiest domains. */
static bool slowest_html(mc_store *s, const mc_window *w, const mc_lang *l, FILE *out, char *err, size_t errlen)
{
    slow_domains sd;
    bool ok = slow_gather(s, w, &sd, err, errlen);
    if (ok && sd.all.all.count > 0) {
        mc_buf b;
        mc_buf_init(&b);
        slow_title(&b, l, &sd.all.all);
        fputs("<p>", out);
        html_text(out, b.data);
        mc_buf_free(&b);
        fputs("</p>\n", out);
        static const char *const heads[] = {"delays_slowest", "col_deliveries", "col_median", "col_p95", "col_max",
                                            "col_where"};
        html_heads(out, l, heads, sizeof heads / sizeof heads[0]);
        for (size_t i = 0; i < sd.n && i < SLOWEST; i++) {
            const mc_delay_stats *st = &sd.d[i].f.all;
            char cell[4][32];
            delay_format(st->median, cell[0], sizeof cell[0]);
            delay_format(st->p95, cell[1], sizeof cell[1]);
            delay_format(st->max, cell[2], sizeof cell[2]);
            where_cell(&sd.d[i].f, cell[3], sizeof cell[3]);
            fputs("<tr><td>", out);
            html_text(out, sd.d[i].domain[0] ? sd.d[i].domain : lang_word(l, "none"));
            fprintf(out, "</td><td class=\"n\">%llu</td>", (unsigned long long)st->count);
            for (int c = 0; c < 4; c++) {
                fputs("<td class=\"n\">", out);
                html_text(out, cell[c]);
                fputs("</td>", out);
            }
            fputs("</tr>\n", out);
        }
        fputs("</table>\n<p><small>", out);
        html_text(out, lang_word(l, "delays_where"));
        fputs("</small></p>\n", out);
    }
    slow_free(&sd);
    return ok;
}
