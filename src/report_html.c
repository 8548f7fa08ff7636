/*
 * report_html.c - the report as one self-contained HTML file: a summary
 * table, inline SVG charts (events per hour by class, top codes, top
 * domains with failures) and the top problems with their advice.  Nothing
 * is fetched; every string from a log is escaped.
 */
#include "report_html.h"

#include <stdlib.h>
#include <string.h>

#include "problems.h"
#include "report_data.h"
#include "report_delays.h"
#include "report_rows.h"
#include "report_warnings.h"

/* Writes s escaped for HTML text and attributes; controls, invalid UTF-8
 * and bidi controls become '?' (the page's own direction is set by its
 * dir attribute, never by log text). */
void html_text(FILE *out, const char *s)
{
    static const struct {
        char c;
        const char *entity;
    } entities[] = {{'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&#39;"}};
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        bool safe;
        size_t len = mc_safe_char(s + i, n - i, &safe);
        const char *entity = NULL;
        for (size_t e = 0; e < sizeof entities / sizeof entities[0]; e++)
            if (s[i] == entities[e].c)
                entity = entities[e].entity;
        if (entity)
            fputs(entity, out);
        else if (safe)
            fwrite(s + i, 1, len, out);
        else
            fputc('?', out);
        i += len;
    }
}

/* The chart colour of a class. */
static const char *class_fill(const char *klass)
{
    if (strcmp(klass, "permanent") == 0)
        return "#c0392b";
    if (strcmp(klass, "transient") == 0)
        return "#e69b00";
    if (strcmp(klass, "success") == 0)
        return "#2e8b57";
    return "#7f8c8d";
}

/* qsort order of rows: by hour. */
static int by_hour(const void *a, const void *b)
{
    return strcmp(((const kept_row *)a)->values[0], ((const kept_row *)b)->values[0]);
}

/* One bar of the hour chart: the hour and its events by class. */
typedef struct {
    const char *hour;
    uint64_t by_class[5];
    uint64_t sum;
} hour_bar;

/* Events per hour, stacked by class.  The rows are sorted by hour once and
 * summed in one pass, so years of hours cost n log n, not n squared. */
static bool html_hours_chart(mc_store *s, const mc_report_opts *o, const mc_lang *l, FILE *out, char *err,
                             size_t errlen)
{
    kept_rows k;
    const char *keys[1] = {"hour"};
    if (!rows_query(s, &o->window, keys, 1, NULL, 0, &k, err, errlen))
        return false;
    static const char *const classes[] = {"success", "intermediate", "transient", "permanent", "unknown"};
    if (k.n > 1)
        qsort(k.rows, k.n, sizeof *k.rows, by_hour);
    size_t n_hours = 0;
    hour_bar *bars = mc_xcalloc(k.n + 1, sizeof *bars);
    uint64_t max = 1;
    for (size_t i = 0; i < k.n; i++) {
        const kept_row *r = &k.rows[i];
        if (!r->values[0][0])
            continue;
        if (n_hours == 0 || strcmp(bars[n_hours - 1].hour, r->values[0]) != 0)
            bars[n_hours++].hour = r->values[0];
        hour_bar *bar = &bars[n_hours - 1];
        for (size_t c = 0; c < 5; c++)
            if (strcmp(r->klass, classes[c]) == 0)
                bar->by_class[c] += r->count;
        bar->sum += r->count;
        if (bar->sum > max)
            max = bar->sum;
    }
    int w = 760, hgt = 220, left = 50, bottom = 30;
    double bw = n_hours ? (double)(w - left - 10) / (double)n_hours : 0;
    fputs("<figure><figcaption>", out);
    html_text(out, lang_word(l, "chart_hours"));
    fprintf(out, "</figcaption>\n"
                 "<svg role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
            w, hgt, w, hgt);
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>\n", left, hgt - bottom, w - 10, hgt - bottom);
    fprintf(out, "<text x=\"%d\" y=\"12\" font-size=\"11\" text-anchor=\"end\">%llu</text>\n", left - 4, (unsigned long long)max);
    const char *class_words[5]; /* looked up once, not once a bar */
    for (size_t c = 0; c < 5; c++)
        class_words[c] = report_value_word(l, classes[c]);
    for (size_t h = 0; h < n_hours; h++) {
        double y = hgt - bottom;
        for (size_t c = 0; c < 5; c++) {
            uint64_t v = bars[h].by_class[c];
            if (!v)
                continue;
            double bh = (double)(hgt - bottom - 15) * (double)v / (double)max;
            y -= bh;
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
                    left + bw * (double)h + 1, y, bw > 3 ? bw - 2 : bw, bh, class_fill(classes[c]));
            html_text(out, bars[h].hour);
            fputc(' ', out);
            html_text(out, class_words[c]);
            fprintf(out, ": %llu</title></rect>\n", (unsigned long long)v);
        }
        if (n_hours <= 48 && (h % (n_hours > 24 ? 6 : 3) == 0)) {
            fprintf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">", left + bw * (double)h, hgt - bottom + 14);
            /* "MM-DDTHH:00" of "YYYY-MM-DDTHH:00"; a shorter value (another
             * writer's) whole */
            html_text(out, strlen(bars[h].hour) > 5 ? bars[h].hour + 5 : bars[h].hour);
            fputs("h</text>\n", out);
        }
    }
    if (n_hours == 0) {
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\">", left + 10, hgt / 2);
        html_text(out, lang_word(l, "chart_no_time"));
        fputs("</text>\n", out);
    }
    fputs("</svg></figure>\n", out);
    free(bars);
    rows_free(&k);
    return true;
}

/* Horizontal bars for the top rows of keys. */
static bool html_bar_chart(mc_store *s, const mc_report_opts *o, const mc_lang *l, const char *caption,
                           const char *const *keys, size_t n_keys, bool problems, FILE *out, char *err, size_t errlen)
{
    kept_rows k;
    mc_filter f = {.problems_only = problems};
    if (!rows_query(s, &o->window, keys, n_keys, &f, 10, &k, err, errlen))
        return false;
    uint64_t max = 1;
    for (size_t i = 0; i < k.n; i++)
        if (k.rows[i].count > max)
            max = k.rows[i].count;
    int w = 760, row_h = 22, hgt = (int)k.n * row_h + 10, label_w = 260;
    fprintf(out, "<figure><figcaption>");
    html_text(out, caption);
    fprintf(out, "</figcaption>\n<svg role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                 "xmlns=\"http://www.w3.org/2000/svg\">\n", w, hgt > 20 ? hgt : 20, w, hgt > 20 ? hgt : 20);
    for (size_t i = 0; i < k.n; i++) {
        mc_buf label;
        mc_buf_init(&label);
        for (size_t j = 0; j < n_keys; j++)
            mc_buf_printf(&label, "%s%s", j ? " " : "", k.rows[i].values[j][0] ? k.rows[i].values[j] : lang_word(l, "none"));
        double bw = (double)(w - label_w - 80) * (double)k.rows[i].count / (double)max;
        int y = (int)i * row_h + 4;
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">", label_w - 6, y + 14);
        html_text(out, label.data);
        fprintf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
                     "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">%llu</text>\n",
                label_w, y, bw < 1 ? 1 : bw, class_fill(k.rows[i].klass), label_w + bw + 4, y + 14,
                (unsigned long long)k.rows[i].count);
        mc_buf_free(&label);
    }
    fputs("</svg></figure>\n", out);
    rows_free(&k);
    return true;
}

/* One problem: a row of codes, class, count, title and its breakdown, then
 * its sample and advice. */
static void html_problem_row(problems_cache *pc, const mc_rules *rules, const mc_lang *l,
                             size_t rank, const kept_row *r, mc_buf *buf, FILE *out)
{
    bool inbound = strcmp(r->values[P_DIRECTION], "inbound") == 0;
    fprintf(out, "<tr><td class=\"n\">%zu</td><td>", rank);
    html_text(out, r->values[P_CODE][0] ? r->values[P_CODE] : "-");
    fputs("</td><td>", out);
    html_text(out, r->values[P_ENHANCED][0] ? r->values[P_ENHANCED] : "-");
    fprintf(out, "</td><td class=\"%s\">", r->klass);
    html_text(out, problems_is_mta(r) ? r->values[P_STATUS] : report_value_word(l, r->klass)); /* fatal, panic */
    fprintf(out, "</td><td class=\"n\">%llu</td><td>", (unsigned long long)r->count);
    html_text(out, report_problem_title(l, rules, r));
    fputs("</td><td>", out);
    problems_breakdown(pc, r, "domain", l, buf);
    html_text(out, buf->data);
    fputs("</td><td>", out);
    problems_breakdown(pc, r, inbound ? "client" : "relay", l, buf);
    html_text(out, buf->data);
    fputs("</td></tr>\n<tr><td></td><td colspan=\"7\"><div class=\"sample\">", out);
    html_text(out, r->sample);
    fputs("</div><div class=\"advice\">", out);
    html_text(out, problems_advice(pc, rules, l, r, buf));
    fputs("</div></td></tr>\n", out);
}

/* A section's heading and the head of its table. */
static void html_heading(const problems_writer *w, size_t section)
{
    fputs("<h3>", w->out);
    html_text(w->out, report_section_heading(w->l, problems_sections[section]));
    fputs("</h3>\n<table>\n<tr><th>#</th>", w->out);
    static const char *const heads[] = {LK("col_code"), LK("col_enhanced"), LK("col_class"),
                                        LK("col_count"), LK("col_problem"), LK("col_domains")};
    for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++) {
        fputs("<th>", w->out);
        html_text(w->out, lang_word(w->l, heads[h]));
        fputs("</th>", w->out);
    }
    fputs("<th>", w->out);
    html_text(w->out, lang_word(w->l, strcmp(problems_sections[section], "inbound") == 0 ? "col_clients" : "col_relays"));
    fputs("</th></tr>\n", w->out);
}

/* One problem's rows (problems_by_section's callback). */
static void html_visit(const problems_writer *w, size_t rank, const kept_row *r)
{
    html_problem_row(w->pc, w->rules, w->l, rank, r, w->buf, w->out);
}

/* The end of a section's table. */
static void html_section_end(const problems_writer *w, size_t section)
{
    (void)section;
    fputs("</table>\n", w->out);
}

/* The title of the top problems; with none, the words that say so (as the
 * text says it; without lines the page warned: no all-clear). */
static void html_lead(const problems_writer *w, const mc_totals *t, size_t kept)
{
    fputs("<h2>", w->out);
    html_text(w->out, lang_word(w->l, "top_problems"));
    fputs("</h2>\n", w->out);
    if (kept == 0) {
        fputs("<p>", w->out);
        html_text(w->out, report_nothing(w->l, t, lang_word(w->l, "no_problems")));
        fputs("</p>\n", w->out);
    }
}

/* The top problems (problems.c), one table per direction; no shares. */
static bool html_problems(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                          const mc_totals *t, FILE *out, char *err, size_t errlen)
{
    return problems_write(s, rules, o, l, t, false, report_top(o, 10),
                          &(problems_visitor){html_lead, html_heading, html_visit, html_section_end}, out, err,
                          errlen);
}

/* Writes the whole HTML page. */
bool report_write_html(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                       const mc_totals *t, FILE *out, char *err, size_t errlen)
{
    char win[128];
    report_window_words(o, l, win, sizeof win);
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
            o->lang && *o->lang ? o->lang : "en", l->rtl ? "rtl" : "ltr");
    html_text(out, lang_word(l, "report"));
    fputs(" - ", out);
    html_text(out, win);
    fputs("</title>\n<style>\n"
          "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:64em}\n"
          "table{border-collapse:collapse;margin:1em 0}td,th{padding:.25em .7em;border-bottom:1px solid #ddd;"
          "text-align:start}td.n{text-align:end;font-variant-numeric:tabular-nums}\n"
          ".permanent{color:#c0392b}.transient{color:#b07700}.success{color:#2e8b57}\n"
          "figure{margin:1.5em 0}figcaption{font-weight:600;margin-bottom:.4em}\n"
          ".advice{color:#444;font-size:.92em;max-width:60em}.sample{font-family:monospace;font-size:.85em;"
          "color:#555;unicode-bidi:plaintext}\n</style>\n</head>\n<body>\n<h1>", out);
    html_text(out, lang_word(l, "report"));
    fputs("</h1>\n<p>", out);
    html_text(out, win);
    fputs("</p>\n", out);
    report_data dat;
    if (!report_data_get(s, o, t, &dat, err, errlen))
        return false;
    report_data_html(out, l, &dat);
    fputs("<h2>", out);
    html_text(out, lang_word(l, "summary"));
    fputs("</h2>\n<table>\n", out);
    status_counts sc;
    if (!rows_statuses(s, &o->window, &sc, err, errlen))
        return false;
    report_figure figures[REPORT_FIGURES];
    report_figures(t, &sc, figures);
    for (size_t i = 0; i < REPORT_FIGURES; i++) {
        if (i == REPORT_FIGURES - 1 && figures[i].n == 0)
            break; /* Exim's retry skips, only when there are any */
        fputs("<tr><td>", out);
        html_text(out, lang_word(l, figures[i].key));
        fprintf(out, "</td><td class=\"n\">%llu</td></tr>\n", (unsigned long long)figures[i].n);
    }
    fputs("</table>\n", out);
    static const char *const code_keys[] = {"code", "enhanced"};
    static const char *const domain_keys[] = {"domain"};
    if (!html_hours_chart(s, o, l, out, err, errlen) ||
        !html_bar_chart(s, o, l, lang_word(l, "chart_codes"), code_keys, 2, false, out, err, errlen) ||
        !html_bar_chart(s, o, l, lang_word(l, "chart_domains"), domain_keys, 1, true, out, err, errlen) ||
        !delays_html(s, &o->window, l, out, err, errlen))
        return false;
    if (!html_problems(s, rules, o, l, t, out, err, errlen) || !report_warnings_html(s, rules, o, l, t, out, err, errlen))
        return false;
    fputs("<p><small>mailcodes</small></p>\n</body>\n</html>\n", out);
    return true;
}
