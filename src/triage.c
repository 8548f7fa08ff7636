/*
 * triage.c - the few problems to act on now, in the ranking of
 * problems.c (severity x volume x trend), as text, JSON or HTML.  Each
 * problem comes with its evidence (count, the window before, first and
 * last seen, its domains, a sample reply from its own events) and the
 * action in the voice of its direction.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "problems.h"
#include "report_data.h"
#include "report_html.h"
#include "report_rows.h"
#include "textout.h"

/* How a problem moved against the window before: new, rising, falling, steady. */
static const char *trend_word(const kept_row *r, bool have_prev)
{
    if (!have_prev)
        return NULL;
    if (r->previous == 0)
        return "new";
    if ((double)r->count > 1.2 * (double)r->previous)
        return "rising";
    return (double)r->count < 0.8 * (double)r->previous ? "falling" : "steady";
}

/* The language's separator between items (", "; "、" in Chinese, "، " in Arabic), in buf. */
static const char *separator(const mc_lang *l, char *buf, size_t len)
{
    mc_buf b;
    mc_buf_init(&b);
    const char *vars[] = {"space", " ", NULL};
    lang_fill(&b, l, "list_sep", vars);
    snprintf(buf, len, "%s", b.data ? b.data : ", ");
    mc_buf_free(&b);
    return buf;
}

/* One problem as text. */
static void text_problem(problems_cache *pc, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                         size_t rank, const kept_row *r, bool have_prev, mc_buf *buf, FILE *out)
{
    fprintf(out, "\n%zu. ", rank);
    if (o->color)
        fputs(text_class_color(r->klass), out);
    char sep[32];
    separator(l, sep, sizeof sep);
    mc_buf head;
    mc_buf_init(&head);
    if (problems_is_mta(r)) /* no class, no code: its severity, and whose fault */
        mc_buf_printf(&head, "[%s%s%s] ", r->values[P_STATUS], sep, lang_word(l, "mta_itself"));
    else
        mc_buf_printf(&head, "[%s%s%s] %s %s ", report_value_word(l, r->klass), sep,
                      report_value_word(l, r->values[P_DIRECTION]), r->values[P_CODE][0] ? r->values[P_CODE] : "---",
                      r->values[P_ENHANCED][0] ? r->values[P_ENHANCED] : "-.-.-");
    fputs(head.data, out);
    if (o->color)
        fputs("\033[0m", out);
    /* The title takes the rest of the 100 columns. */
    int room = MC_TEXT_WIDTH - 6 - text_width(head.data);
    text_cell(out, report_problem_title(l, rules, r), room > 20 ? room : 20, false);
    mc_buf_free(&head);
    fputc('\n', out);
    char label[128];
    text_label(out, lang_word(l, "label_evidence"), 13);
    fprintf(out, "%llu %s", (unsigned long long)r->count, problems_count_noun(l, r));
    if (have_prev) {
        if (r->previous == 0)
            fprintf(out, "%s%s", sep, lang_word(l, "trend_new"));
        else
            fprintf(out, "%s%llu %s", sep, (unsigned long long)r->previous, lang_word(l, "trend_before"));
    }
    fputc('\n', out);
    text_label(out, lang_word(l, "label_seen"), 13);
    fprintf(out, "%s %s%s%s %s\n", lang_word(l, "first"), r->first_seen, sep, lang_word(l, "last"), r->last_seen);
    problems_breakdown(pc, r, problems_breakdown_key(r), l, buf);
    if (buf->len)
        text_wrapped(out, report_label(l, problems_breakdown_label(r), label, sizeof label), buf->data, 13);
    if (r->sample[0]) {
        text_label(out, lang_word(l, "label_sample"), 13);
        text_cell(out, r->sample, MC_TEXT_WIDTH - 13, false);
        fputc('\n', out);
    }
    text_wrapped(out, report_label(l, "label_action", label, sizeof label), problems_advice(pc, rules, l, r, buf), 13);
}

_Static_assert(PROBLEMS_VALUES_KEPT >= 10, "triage's JSON lists a problem's top ten values");

/* The "domains" (or "clients") array of one problem: the top ten (null: no
 * value), then ["(others)", the rest] (no domain or client holds parentheses). */
static void json_values(problems_cache *pc, const kept_row *r, const char *key, FILE *out)
{
    fputs("[", out);
    const problem_values *v = problems_values(pc, r, key);
    if (v) {
        uint64_t rest = v->rest;
        for (size_t i = 0; i < v->top.n; i++) {
            const kept_row *x = &v->top.rows[i];
            if (i >= 10) {
                rest += x->count;
                continue;
            }
            fputs(i ? ", [" : "[", out);
            mc_json_cstr_or_null(out, x->values[0][0] ? x->values[0] : NULL);
            fprintf(out, ", %llu]", (unsigned long long)x->count);
        }
        if (rest)
            fprintf(out, ", [\"(others)\", %llu]", (unsigned long long)rest);
    }
    fputs("]", out);
}

/* One problem as a JSON object. */
static void json_problem(problems_cache *pc, const mc_rules *rules, const mc_lang *l,
                         size_t rank, const kept_row *r, bool have_prev, mc_buf *buf, FILE *out)
{
    fprintf(out, "%s\n  {\"rank\": %zu, \"direction\": ", rank > 1 ? "," : "", rank);
    mc_json_cstr_or_null(out, r->values[P_DIRECTION]);
    fputs(", \"status\": ", out);
    mc_json_cstr_or_null(out, r->values[P_STATUS]);
    static const char *const names[] = {"code", "enhanced", "reason"};
    for (size_t i = 0; i < 3; i++) {
        fprintf(out, ", \"%s\": ", names[i]);
        mc_json_cstr_or_null(out, r->values[P_CODE + i][0] ? r->values[P_CODE + i] : NULL);
    }
    fputs(", \"class\": ", out);
    mc_json_cstr_or_null(out, r->klass);
    fprintf(out, ", \"count\": %llu, \"previous\": ", (unsigned long long)r->count);
    if (have_prev)
        fprintf(out, "%llu", (unsigned long long)r->previous);
    else
        fputs("null", out);
    fputs(", \"trend\": ", out);
    mc_json_cstr_or_null(out, trend_word(r, have_prev));
    fprintf(out, ", \"severity\": %.2f, \"title\": ", problems_severity(rules, r));
    mc_json_cstr_or_null(out, problems_title(rules, NULL, r)); /* JSON: English */
    fputs(", \"domains\": ", out);
    json_values(pc, r, "domain", out);
    if (strcmp(r->values[P_DIRECTION], "inbound") == 0) { /* who was refused */
        fputs(", \"clients\": ", out);
        json_values(pc, r, "client", out);
    }
    fputs(", \"first\": ", out);
    mc_json_cstr_or_null(out, r->first_seen);
    fputs(", \"last\": ", out);
    mc_json_cstr_or_null(out, r->last_seen);
    fputs(", \"sample\": ", out);
    mc_json_cstr_or_null(out, r->sample[0] ? r->sample : NULL);
    fputs(", \"action\": ", out);
    mc_json_cstr_or_null(out, problems_advice(pc, rules, l, r, buf));
    fputc('}', out);
}

/* One problem as an HTML section. */
static void html_problem(problems_cache *pc, const mc_rules *rules, const mc_lang *l,
                         size_t rank, const kept_row *r, mc_buf *buf, FILE *out)
{
    bool mta = problems_is_mta(r); /* no code, no class: its severity, and whose fault */
    fprintf(out, "<section class=\"%s\">\n<h2>%zu. ", r->klass, rank);
    html_text(out, mta ? lang_word(l, "mta_itself") : report_value_word(l, r->values[P_DIRECTION]));
    fputc(' ', out);
    if (!mta) {
        html_text(out, r->values[P_CODE][0] ? r->values[P_CODE] : "---");
        fputc(' ', out);
        html_text(out, r->values[P_ENHANCED][0] ? r->values[P_ENHANCED] : "-.-.-");
        fputc(' ', out);
    }
    html_text(out, report_problem_title(l, rules, r));
    fprintf(out, "</h2>\n<p>%llu %s (", (unsigned long long)r->count, problems_count_noun(l, r));
    html_text(out, mta ? r->values[P_STATUS] : report_value_word(l, r->klass));
    fputs(")</p>\n<p>", out);
    problems_breakdown(pc, r, problems_breakdown_key(r), l, buf);
    html_text(out, buf->data);
    fputs("</p>\n<p class=\"sample\">", out);
    html_text(out, r->sample);
    fputs("</p>\n<p class=\"advice\">", out);
    html_text(out, problems_advice(pc, rules, l, r, buf));
    fputs("</p>\n</section>\n", out);
}

/* Writes the ranked list; returns an exit code. */
int triage_write(mc_store *s, const mc_rules *rules, const mc_report_opts *o, FILE *out)
{
    char err[1024];
    mc_lang lang;
    if (!lang_load(&lang, rules->dir, o->lang, err, sizeof err)) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_USAGE;
    }
    kept_rows k;
    bool have_prev;
    problems_cache pc;
    problems_cache_init(&pc, s, &o->window);
    if (!problems_gather(&pc, rules, o, &k, &have_prev, err, sizeof err)) {
        problems_cache_free(&pc);
        lang_free(&lang);
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    report_data dat;
    if (!report_data_get(s, o, NULL, &dat, err, sizeof err)) {
        problems_cache_free(&pc);
        rows_free(&k);
        lang_free(&lang);
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    size_t top = report_top(o, 5);
    if (top == 0 || top > k.n)
        top = k.n;
    char win[128];
    report_window_words(o, &lang, win, sizeof win);
    mc_buf buf;
    mc_buf_init(&buf);
    if (o->format == FORMAT_JSON) {
        fputs("{\"window\": {\"since\": ", out);
        mc_json_cstr_or_null(out, o->since_text);
        fputs(", \"until\": ", out);
        mc_json_cstr_or_null(out, o->until_text);
        fputc('}', out);
        report_data_json(out, &lang, &dat);
        fputs(",\n \"problems\": [", out);
        for (size_t i = 0; i < top; i++)
            json_problem(&pc, rules, &lang, i + 1, &k.rows[i], have_prev, &buf, out);
        fputs(top ? "\n ]}\n" : "]}\n", out);
    } else if (o->format == FORMAT_HTML) {
        fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
                o->lang && *o->lang ? o->lang : "en", lang.rtl ? "rtl" : "ltr");
        html_text(out, lang_word(&lang, "triage"));
        fputs("</title>\n</head>\n<body>\n<h1>", out);
        html_text(out, lang_word(&lang, "triage"));
        fputs("</h1>\n<p>", out);
        html_text(out, win);
        fputs("</p>\n", out);
        report_data_html(out, &lang, &dat);
        if (k.n == 0 && dat.lines > 0) { /* as the text says it; without lines the page warned */
            fputs("<p>", out);
            html_text(out, lang_word(&lang, dat.mail ? "nothing_to_act" : "section_no_mail"));
            fputs("</p>\n", out);
        }
        for (size_t i = 0; i < top; i++)
            html_problem(&pc, rules, &lang, i + 1, &k.rows[i], &buf, out);
        fputs("</body>\n</html>\n", out);
    } else {
        const char *title = lang_word(&lang, "triage");
        /* a window before without log lines is said, not compared with */
        const char *cmp = have_prev                        ? lang_word(&lang, "compared_before")
                          : o->previous.since[0] != '\0' ? lang_word(&lang, "no_data_before")
                                                           : "";
        /* within 100 columns: the comparison goes on a line of its own when it must */
        bool fits = text_width(title) + 2 + text_width(win) + 1 + text_width(cmp) <= MC_TEXT_WIDTH;
        fprintf(out, "%s: %s%s%s\n", title, win, cmp[0] ? (fits ? " " : "\n") : "", cmp);
        report_data_text(out, &lang, &dat);
        if (k.n == 0 && dat.lines > 0) /* without lines the header said so; without mail no all-clear */
            fprintf(out, "\n%s\n", lang_word(&lang, dat.mail ? "nothing_to_act" : "section_no_mail"));
        for (size_t i = 0; i < top; i++)
            text_problem(&pc, rules, o, &lang, i + 1, &k.rows[i], have_prev, &buf, out);
    }
    mc_buf_free(&buf);
    rows_free(&k);
    problems_cache_free(&pc);
    lang_free(&lang);
    return MC_EXIT_OK;
}
