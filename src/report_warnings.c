/*
 * report_warnings.c - the MTA's own warnings, errors, fatal errors and
 * panics (mtawarn.h) in the report: the Warnings section of the daily
 * report (text and HTML, after the problems), the JSON "mta_warnings"
 * member.  Groups are ordered by how much their severity matters (the
 * weight of rules/reasons.conf [mta-SEVERITY], 0 for one without a
 * reason), then by their number of lines.  Every string came from a log
 * and goes out through an escaper (text_cell, html_text, the JSON writer).
 */
#include "report_warnings.h"

#include <stdlib.h>
#include <string.h>

#include "report_data.h"
#include "report_html.h"
#include "textout.h"

/* Groups the JSON lists: bounded, like every list of the report. */
#define MAX_GROUPS 1000

/* The reason that ranks a severity, or NULL. */
const mc_reason *warnings_reason(const mc_rules *rules, const char *severity)
{
    char name[64];
    snprintf(name, sizeof name, "mta-%s", severity);
    return reasons_find(&rules->reasons, name);
}

typedef struct {
    warn_groups *g;
    const mc_rules *rules;
} gather_ctx;

/* store_warnings callback: copies one group. */
static bool keep_group(const mc_warn_row *row, void *vctx)
{
    gather_ctx *c = vctx;
    warn_groups *g = c->g;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->groups = mc_xrealloc(g->groups, g->cap * sizeof *g->groups);
    }
    warn_group *w = &g->groups[g->n++];
    w->mta = mc_xstrdup(row->mta);
    w->severity = mc_xstrdup(row->severity);
    w->text = mc_xstrdup(row->text);
    w->count = row->count;
    w->first = mc_xstrdup(row->first);
    w->last = mc_xstrdup(row->last);
    w->sample = mc_xstrdup(row->sample);
    const mc_reason *r = warnings_reason(c->rules, row->severity);
    w->weight = r ? r->weight : 0;
    return true;
}

/* qsort order: the heavier severity, then more lines, then the words. */
static int by_weight(const void *a, const void *b)
{
    const warn_group *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight < y->weight ? 1 : -1;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    int c = strcmp(x->severity, y->severity);
    if (c == 0)
        c = strcmp(x->mta, y->mta);
    /* The other warnings ("") after the named groups of their count. */
    if (c == 0)
        c = (x->text[0] == '\0') - (y->text[0] == '\0');
    return c ? c : strcmp(x->text, y->text);
}

/* Every warning group of the window, most severe first. */
bool warnings_gather(mc_store *s, const mc_rules *rules, const mc_window *w, warn_groups *g, char *err,
                     size_t errlen)
{
    memset(g, 0, sizeof *g);
    gather_ctx c = {.g = g, .rules = rules};
    if (!store_warnings(s, w, MAX_GROUPS, keep_group, &c, err, errlen)) {
        warnings_free(g);
        return false;
    }
    if (g->n > 1)
        qsort(g->groups, g->n, sizeof *g->groups, by_weight);
    return true;
}

/* Frees the groups and their strings. */
void warnings_free(warn_groups *g)
{
    for (size_t i = 0; i < g->n; i++) {
        warn_group *w = &g->groups[i];
        free(w->mta);
        free(w->severity);
        free(w->text);
        free(w->first);
        free(w->last);
        free(w->sample);
    }
    free(g->groups);
    memset(g, 0, sizeof *g);
}

/* A group's words: its folded text, or the other warnings of full hours. */
static const char *group_words(const mc_lang *l, const warn_group *w)
{
    return w->text[0] ? w->text : report_word(l, "warnings_other", "(other warnings: more groups in the hour than kept)");
}

/* What an empty Warnings section says: "no warning" only of a window
 * that holds mail (without, the report's header warned: no all-clear). */
static const char *nothing_text(const mc_lang *l, const mc_totals *t)
{
    return report_nothing(l, t, report_word(l, "warnings_none", "none: the MTA logged no warning in this window"));
}

/* The Warnings section as text: count, severity, MTA, the group's words,
 * then its newest line. */
bool report_warnings_text(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                          const mc_totals *t, FILE *out, char *err, size_t errlen)
{
    warn_groups g;
    if (!warnings_gather(s, rules, &o->window, &g, err, errlen))
        return false;
    const char *nothing = nothing_text(l, t);
    fprintf(out, "\n%s\n", report_word(l, "warnings", "Warnings (the MTA's own warning, error, fatal and panic lines)"));
    if (g.n == 0) /* without lines or mail the header warned: no all-clear, and no empty heading */
        fprintf(out, "  %s\n", nothing);
    size_t top = report_top(o, 10);
    uint64_t rest = 0;
    for (size_t i = 0; i < g.n; i++) {
        const warn_group *w = &g.groups[i];
        if (top && i >= top) {
            rest += w->count;
            continue;
        }
        char head[64];
        snprintf(head, sizeof head, "%llu  %-7s ", (unsigned long long)w->count, w->severity);
        fputc('\n', out);
        text_wrapped(out, head, group_words(l, w), 22);
        text_label(out, lang_word(l, "label_seen"), 14);
        fprintf(out, "%s %s, %s %s (%s)\n", report_word(l, "first", "first"), w->first,
                report_word(l, "last", "last"), w->last, w->mta);
        if (w->sample[0]) {
            text_label(out, lang_word(l, "label_sample"), 14);
            text_cell(out, w->sample, MC_TEXT_WIDTH - 14, false);
            fputc('\n', out);
        }
    }
    if (rest)
        fprintf(out, "\n  %10llu  %s\n", (unsigned long long)rest,
                report_word(l, "warnings_more", "in the groups not shown (--top shows more)"));
    warnings_free(&g);
    return true;
}

/* The Warnings section as an HTML table. */
bool report_warnings_html(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                          const mc_totals *t, FILE *out, char *err, size_t errlen)
{
    warn_groups g;
    if (!warnings_gather(s, rules, &o->window, &g, err, errlen))
        return false;
    fputs("<h2>", out);
    html_text(out, report_word(l, "warnings", "Warnings (the MTA's own warning, error, fatal and panic lines)"));
    fputs("</h2>\n", out);
    const char *nothing = nothing_text(l, t);
    if (g.n == 0) { /* as the text says it */
        fputs("<p>", out);
        html_text(out, nothing);
        fputs("</p>\n", out);
    } else if (g.n) {
        fputs("<table>\n<tr><th>", out);
        static const char *const heads[][2] = {{LK("col_count"), "count"}, {LK("severity"), "severity"},
                                               {LK("col_mta"), "MTA"}, {LK("warning_text"), "text"},
                                               {LK("first"), "first"}, {LK("last"), "last"}};
        for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
            fputs(i ? "</th><th>" : "", out);
            html_text(out, report_word(l, heads[i][0], heads[i][1]));
        }
        fputs("</th></tr>\n", out);
    }
    size_t top = report_top(o, 10);
    for (size_t i = 0; i < g.n && (top == 0 || i < top); i++) {
        const warn_group *w = &g.groups[i];
        fprintf(out, "<tr><td class=\"n\">%llu</td><td>", (unsigned long long)w->count);
        const char *const cells[] = {w->severity, w->mta, group_words(l, w), w->first, w->last};
        for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++) {
            fputs(c ? "</td><td>" : "", out);
            html_text(out, cells[c]);
        }
        fputs("</td></tr>\n<tr><td></td><td colspan=\"5\"><div class=\"sample\">", out);
        html_text(out, w->sample);
        fputs("</div></td></tr>\n", out);
    }
    if (g.n)
        fputs("</table>\n", out);
    warnings_free(&g);
    return true;
}

/* The JSON "mta_warnings" member: every group (at most MAX_GROUPS). */
bool report_warnings_json(mc_store *s, const mc_rules *rules, const mc_window *w, FILE *out, char *err,
                          size_t errlen)
{
    warn_groups g;
    if (!warnings_gather(s, rules, w, &g, err, errlen))
        return false;
    fputs(",\n \"mta_warnings\": [", out);
    for (size_t i = 0; i < g.n; i++) {
        const warn_group *x = &g.groups[i];
        fputs(i ? ",\n  {\"mta\": " : "\n  {\"mta\": ", out);
        mc_json_cstr_or_null(out, x->mta);
        fputs(", \"severity\": ", out);
        mc_json_cstr_or_null(out, x->severity);
        fputs(", \"text\": ", out);
        mc_json_cstr_or_null(out, x->text[0] ? x->text : NULL);
        fprintf(out, ", \"count\": %llu, \"first\": ", (unsigned long long)x->count);
        mc_json_cstr_or_null(out, x->first);
        fputs(", \"last\": ", out);
        mc_json_cstr_or_null(out, x->last);
        fputs(", \"sample\": ", out);
        mc_json_cstr_or_null(out, x->sample[0] ? x->sample : NULL);
        fputc('}', out);
    }
    fputs(g.n ? "\n ]" : "]", out);
    warnings_free(&g);
    return true;
}
