/*
 * report.c - the report's entry point and its text, JSON, CSV and
 * Prometheus writers (the HTML page is report_html.c, triage triage.c, the
 * rows they all gather report_rows.c).
 *
 * The JSON shape is a contract (docs/CONTRACT.md): keys in --by order, then class
 * (unless it is a key), count, and name/advice when a code or reason is
 * among the keys; nulls for absent values.  Text output is for people:
 * aligned, within 100 columns, colour only on a terminal, every string that
 * came from a log passed through an escaper.  HTML is one file with inline
 * SVG and CSS, nothing fetched.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "lang.h"
#include "problems.h"
#include "report_data.h"
#include "report_delays.h"
#include "report_html.h"
#include "report_messages.h"
#include "report_warnings.h"
#include "report_rows.h"
#include "textout.h"

/* The length of a list: --top as given, else the list's default. */
size_t report_top(const mc_report_opts *o, size_t dflt)
{
    return o->top_given ? o->top : dflt;
}

/* "text", "json", ... to its mc_format; false when unknown. */
bool report_parse_format(const char *s, mc_format *f)
{
    static const struct {
        const char *name;
        mc_format f;
    } formats[] = {{"text", FORMAT_TEXT}, {"json", FORMAT_JSON}, {"csv", FORMAT_CSV},
                   {"prom", FORMAT_PROM}, {"html", FORMAT_HTML}};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(s, formats[i].name) == 0) {
            *f = formats[i].f;
            return true;
        }
    }
    return false;
}

/* Splits a --by list into o->keys, checking each key. */
bool report_parse_keys(char *buf, mc_report_opts *o, char *err, size_t errlen)
{
    o->n_keys = 0;
    for (char *save = NULL, *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        while (*k == ' ')
            k++;
        if (*k == '\0')
            continue;
        if (by_key_find(k) == NULL) {
            mc_buf known;
            mc_buf_init(&known);
            for (size_t i = 0; i < by_key_count(); i++)
                mc_buf_printf(&known, "%s%s", i ? " " : "", by_key_at(i)->key);
            snprintf(err, errlen, "unknown --by key '%s' (keys: %s)", k, known.data);
            mc_buf_free(&known);
            return false;
        }
        for (size_t i = 0; i < o->n_keys; i++) {
            if (strcmp(o->keys[i], k) == 0) {
                snprintf(err, errlen, "--by key '%s' given twice", k);
                return false;
            }
        }
        if (o->n_keys == MC_MAX_KEYS) {
            snprintf(err, errlen, "at most %d --by keys", MC_MAX_KEYS);
            return false;
        }
        o->keys[o->n_keys++] = k;
    }
    if (o->n_keys == 0) {
        snprintf(err, errlen, "--by needs at least one key");
        return false;
    }
    return true;
}

/* ---- JSON, CSV, table -------------------------------------------------- */

typedef struct {
    const mc_rules *rules;
    const mc_report_opts *o;
    FILE *out;
    size_t n;
    uint64_t events;
    int widths[MC_MAX_KEYS];
    int name_width;
    const mc_lang *l;  /* the text table's language */
    int class_width;   /* the text table's class column */
    const row_delays *delays;    /* the rows' delays (report_delays.h), NULL: none */
    const char *same_domain;     /* {domains} of a row without a domain key */
    mc_buf fill;                 /* the advice with {domains} filled in */
} emit_ctx;

/* Name and advice of a row; a success carries no failure advice. */
static void row_knowledge(emit_ctx *c, const mc_row *row, const char **name, const char **advice)
{
    rows_row_knowledge(c->rules, c->o, row, c->same_domain, &c->fill, name, advice);
    if (row->klass && (strcmp(row->klass, "success") == 0 || strcmp(row->klass, "intermediate") == 0))
        *advice = NULL;
}

/* store_rows callback: one JSON row. */
static bool emit_json_row(const mc_row *row, void *vctx)
{
    emit_ctx *c = vctx;
    FILE *out = c->out;
    fputs(c->n++ ? ",\n  {" : "\n  {", out);
    for (size_t i = 0; i < c->o->n_keys; i++) {
        fprintf(out, "\"%s\": ", c->o->keys[i]);
        mc_json_cstr_or_null(out, row->values[i]);
        fputs(", ", out);
    }
    if (rows_key_index(c->o->keys, c->o->n_keys, "class") < 0) {
        fputs("\"class\": ", out);
        mc_json_cstr_or_null(out, row->klass);
        fputs(", ", out);
    }
    fprintf(out, "\"count\": %llu", (unsigned long long)row->count);
    if (rows_has_knowledge_key(c->o)) {
        const char *name, *advice;
        row_knowledge(c, row, &name, &advice);
        fputs(", \"name\": ", out);
        mc_json_cstr_or_null(out, name);
        fputs(", \"advice\": ", out);
        mc_json_cstr_or_null(out, advice);
    }
    if (c->delays)
        delays_json_row(out, c->delays, row, c->o->n_keys);
    fputc('}', out);
    return true;
}

/* The JSON "totals" object. */
static void json_totals(FILE *out, const mc_totals *t)
{
    fprintf(out,
            "\"totals\": {\"lines\": %llu, \"events\": %llu, \"skipped\": %llu, \"unrecognised\": %llu,"
            " \"hard\": %llu, \"success\": %llu, \"intermediate\": %llu, \"transient\": %llu,"
            " \"permanent\": %llu, \"unknown\": %llu, \"retry_skips\": %llu}",
            (unsigned long long)t->lines, (unsigned long long)t->events, (unsigned long long)t->skipped,
            (unsigned long long)t->unrecognised, (unsigned long long)t->hard,
            (unsigned long long)t->by_class[CLASS_SUCCESS],
            (unsigned long long)t->by_class[CLASS_INTERMEDIATE],
            (unsigned long long)t->by_class[CLASS_TRANSIENT],
            (unsigned long long)t->by_class[CLASS_PERMANENT],
            (unsigned long long)t->by_class[CLASS_UNKNOWN], (unsigned long long)t->retry_skips);
}

/* store_rows callback: one CSV record. */
static bool emit_csv_row(const mc_row *row, void *vctx)
{
    emit_ctx *c = vctx;
    for (size_t i = 0; i < c->o->n_keys; i++) {
        mc_csv_field(c->out, row->values[i]);
        fputc(',', c->out);
    }
    if (rows_key_index(c->o->keys, c->o->n_keys, "class") < 0) {
        mc_csv_field(c->out, row->klass);
        fputc(',', c->out);
    }
    fprintf(c->out, "%llu", (unsigned long long)row->count);
    if (rows_has_knowledge_key(c->o)) {
        const char *name, *advice;
        row_knowledge(c, row, &name, &advice);
        fputc(',', c->out);
        mc_csv_field(c->out, name ? name : "");
        fputc(',', c->out);
        mc_csv_field(c->out, advice ? advice : "");
    }
    if (c->delays)
        delays_csv_row(c->out, c->delays, row, c->o->n_keys);
    fputs("\r\n", c->out);
    return true;
}

/* store_rows callback: one line of the --by table. */
static bool emit_table_row(const mc_row *row, void *vctx)
{
    emit_ctx *c = vctx;
    FILE *out = c->out;
    for (size_t i = 0; i < c->o->n_keys; i++) {
        text_cell(out, row->values[i][0] ? report_value_word(c->l, row->values[i]) : lang_word(c->l, "none"),
                  c->widths[i], true);
        fputc(' ', out);
    }
    if (rows_key_index(c->o->keys, c->o->n_keys, "class") < 0) {
        if (c->o->color)
            fputs(text_class_color(row->klass), out);
        text_cell(out, report_value_word(c->l, row->klass), c->class_width, true);
        if (c->o->color)
            fputs("\033[0m", out);
    }
    double share = c->events ? 100.0 * (double)row->count / (double)c->events : 0.0;
    fprintf(out, "%9llu %5.1f%%", (unsigned long long)row->count, share);
    if (c->delays)
        delays_text_row(out, c->delays, row, c->o->n_keys);
    const char *name, *advice;
    rows_row_knowledge(c->rules, c->o, row, c->same_domain, &c->fill, &name, &advice);
    if (c->name_width > 0 && name && rows_has_knowledge_key(c->o)) {
        fputc(' ', out);
        text_cell(out, name, c->name_width, false);
    }
    fputc('\n', out);
    return true;
}

/* The --by table's column head for a key, in the reader's language. */
static const char *column_head(const mc_lang *l, const char *key)
{
    char lk[64];
    snprintf(lk, sizeof lk, LK_PREFIX("col_") "%s", key);
    const char *w = lang_word_or_null(l, lk);
    return w ? w : key;
}

/* The --by table: header line, column heads, rows. */
static bool write_table(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                        const mc_totals *t, const mc_filter *f, const row_delays *rd, FILE *out, char *err,
                        size_t errlen)
{
    emit_ctx c = {.rules = rules, .o = o, .out = out, .events = t->events, .l = l, .class_width = 12,
                  .same_domain = lang_word(l, "advice_same_domain")};
    char win[128], n[4][24];
    report_window_words(o, l, win, sizeof win);
    const uint64_t figures[4] = {t->lines, t->events, t->skipped, t->unrecognised};
    for (size_t i = 0; i < 4; i++)
        snprintf(n[i], sizeof n[i], "%llu", (unsigned long long)figures[i]);
    mc_buf head;
    mc_buf_init(&head);
    const char *vars[] = {"window", win, "lines", n[0], "events", n[1], "skipped", n[2], "unrecognised", n[3], NULL};
    lang_fill(&head, l, "table_title", vars);
    text_wrap(out, MC_TEXT_WIDTH, true, "", "", "", head.data);
    mc_buf_free(&head);
    fputc('\n', out);
    /* Columns of translated words fit the language's longest. */
    if (report_value_width(l, "class") + 1 > c.class_width)
        c.class_width = report_value_width(l, "class") + 1;
    int used = 0;
    for (size_t i = 0; i < o->n_keys; i++) {
        const mc_by_key *k = by_key_find(o->keys[i]);
        c.widths[i] = k ? k->width : 16;
        if (report_value_width(l, o->keys[i]) > c.widths[i])
            c.widths[i] = report_value_width(l, o->keys[i]);
        used += c.widths[i] + 1;
    }
    bool own_class = rows_key_index(o->keys, o->n_keys, "class") < 0;
    used += (own_class ? c.class_width : 0) + 17;
    /* The delay columns only where a row still fits the page: two wide keys
     * (domain and relay) would make it 123 columns, so the table leaves them
     * out and says so under it, instead of cutting the keys' values. */
    bool delays_left_out = rd && rd->on && used + delays_text_width(rd) > MC_TEXT_WIDTH;
    if (rd && !delays_left_out) {
        c.delays = rd;
        used += delays_text_width(rd);
    }
    for (size_t i = 0; i < o->n_keys; i++) {
        text_cell(out, column_head(l, o->keys[i]), c.widths[i], true);
        fputc(' ', out);
    }
    if (own_class)
        text_cell(out, column_head(l, "class"), c.class_width, true);
    c.name_width = MC_TEXT_WIDTH - used - 1 > 8 ? MC_TEXT_WIDTH - used - 1 : 0;
    text_right(out, column_head(l, "count"), 10);
    fputc(' ', out);
    text_right(out, column_head(l, "share"), 6);
    if (c.delays)
        delays_text_head(out, c.delays, l);
    if (c.name_width && rows_has_knowledge_key(o)) {
        fputc(' ', out);
        text_cell(out, column_head(l, "meaning"), c.name_width, false);
    }
    fputc('\n', out);
    mc_buf_init(&c.fill);
    bool ok = store_rows(s, &o->window, o->keys, o->n_keys, f, o->top, emit_table_row, &c, err, errlen);
    mc_buf_free(&c.fill);
    if (!ok)
        return false;
    if (delays_left_out) {
        fputc('\n', out);
        text_wrap(out, MC_TEXT_WIDTH, true, "", "", "", lang_word(l, "table_delays_left_out"));
    }
    return true;
}

/* ---- the daily text report -------------------------------------------- */

/* One summary line: the count, and against the window before when known. */
static void summary_line(FILE *out, const mc_lang *l, const char *label, uint64_t now, const uint64_t *prev)
{
    fputs("  ", out);
    text_cell(out, label, 34, true);
    fprintf(out, " %12llu", (unsigned long long)now);
    if (prev) {
        fprintf(out, " %12llu ", (unsigned long long)*prev);
        if (*prev == 0)
            text_right(out, now ? lang_word(l, "change_new") : "-", 9);
        else
            fprintf(out, "%+8.0f%%", 100.0 * ((double)now - (double)*prev) / (double)*prev);
    }
    fputc('\n', out);
}

/* How many shapes of unrecognised lines the reports name. */
#define TOP_SHAPES 3

/* Under the unrecognised count: its most common shapes, so that a new log
 * format is named the day it appears.  Shapes are printable ASCII only
 * (lineshape.c), cut to fit the 100 columns. */
static bool write_shapes_text(mc_store *s, const mc_window *w, FILE *out, char *err, size_t errlen)
{
    mc_shape_count top[TOP_SHAPES];
    size_t n;
    if (!store_unrecognised_top(s, w, top, TOP_SHAPES, &n, err, errlen))
        return false;
    for (size_t i = 0; i < n; i++)
        fprintf(out, "    %10llu  %.84s\n", (unsigned long long)top[i].count, top[i].shape);
    return true;
}

/* The JSON "unrecognised" object: the count and the most common shapes. */
static bool json_unrecognised(mc_store *s, const mc_window *w, const mc_totals *t, FILE *out, char *err,
                              size_t errlen)
{
    mc_shape_count top[TOP_SHAPES];
    size_t n;
    if (!store_unrecognised_top(s, w, top, TOP_SHAPES, &n, err, errlen))
        return false;
    fprintf(out, "\"unrecognised\": {\"count\": %llu, \"top\": [", (unsigned long long)t->unrecognised);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", [" : "[", out);
        mc_json_cstr_or_null(out, top[i].shape);
        fprintf(out, ", %llu]", (unsigned long long)top[i].count);
    }
    fputs("]}", out);
    return true;
}

/* One problem of the daily report: heading, breakdowns, sample, advice.
 * The MTA's own lines have no code, no class and no share of the events:
 * their head is their severity and their count of log lines. */
static void daily_problem(problems_cache *pc, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                          const mc_totals *t, size_t rank, const kept_row *r, mc_buf *buf, FILE *out)
{
    double share = t->events ? 100.0 * (double)r->count / (double)t->events : 0;
    char head[128], tail[128];
    if (problems_is_mta(r)) {
        snprintf(head, sizeof head, "%3zu. %s", rank, r->values[P_STATUS]);
        snprintf(tail, sizeof tail, "  %llu %s  ", (unsigned long long)r->count, problems_count_noun(l, r));
    } else {
        snprintf(head, sizeof head, "%3zu. %s %s %s", rank, r->values[P_CODE][0] ? r->values[P_CODE] : "---",
                 r->values[P_ENHANCED][0] ? r->values[P_ENHANCED] : "-.-.-", report_value_word(l, r->klass));
        snprintf(tail, sizeof tail, "  %llu %s (%.1f%%)  ", (unsigned long long)r->count, problems_count_noun(l, r),
                 share);
    }
    fputc('\n', out);
    if (o->color)
        fputs(text_class_color(r->klass), out);
    fputs(head, out);
    if (o->color)
        fputs("\033[0m", out);
    fputs(tail, out);
    /* The title takes what is left of the line. */
    int room = MC_TEXT_WIDTH - text_width(head) - text_width(tail);
    text_cell(out, report_problem_title(l, rules, r), room > 20 ? room : 20, false);
    fputc('\n', out);
    bool inbound = strcmp(r->values[P_DIRECTION], "inbound") == 0;
    char label[128];
    /* inbound: the refused clients; outbound and local: domains and relays */
    const char *const breakdown[][2] = {{problems_breakdown_key(r), problems_breakdown_label(r)},
                                        {inbound ? NULL : "relay", LK("label_relays")}};
    for (size_t i = 0; i < 2 && breakdown[i][0]; i++) {
        problems_breakdown(pc, r, breakdown[i][0], l, buf);
        if (buf->len)
            text_wrapped(out, report_label(l, breakdown[i][1], label, sizeof label), buf->data, 14);
    }
    if (r->sample[0]) {
        text_label(out, lang_word(l, "label_sample"), 14);
        text_cell(out, r->sample, MC_TEXT_WIDTH - 14, false);
        fputc('\n', out);
    }
    text_wrapped(out, report_label(l, "label_advice", label, sizeof label), problems_advice(pc, rules, l, r, buf), 14);
}

/* A section's heading in the daily report. */
static void daily_heading(const problems_writer *w, size_t section)
{
    fprintf(w->out, "\n%s\n", report_section_heading(w->l, problems_sections[section]));
}

/* One problem of the daily report (problems_by_section's callback). */
static void daily_visit(const problems_writer *w, size_t rank, const kept_row *r)
{
    daily_problem(w->pc, w->rules, w->o, w->l, w->t, rank, r, w->buf, w->out);
}

/* The title of the daily report's problems; with none, the words that say
 * so (without lines the header said so: no all-clear, and no empty heading). */
static void daily_lead(const problems_writer *w, const mc_totals *t, size_t kept)
{
    fprintf(w->out, "\n%s\n", lang_word(w->l, "top_problems"));
    if (kept == 0)
        fprintf(w->out, "  %s\n", report_nothing(w->l, t, lang_word(w->l, "no_problems")));
}

/* The daily report's problems: the top ones by rank (problems.c), shown
 * in one section per direction. */
static bool daily_problems(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                           const mc_totals *t, FILE *out, char *err, size_t errlen)
{
    return problems_write(s, rules, o, l, t, true, report_top(o, 10),
                          &(problems_visitor){daily_lead, daily_heading, daily_visit, NULL}, out, err, errlen);
}

/* The daily report: the summary and the top problems with their evidence and advice. */
static bool write_daily(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                        const mc_totals *t, FILE *out, char *err, size_t errlen)
{
    char win[128];
    report_window_words(o, l, win, sizeof win);
    fprintf(out, "%s: %s\n", lang_word(l, "report"), win);
    report_data dat;
    if (!report_data_get(s, o, t, &dat, err, errlen))
        return false;
    report_data_text(out, l, &dat);
    fputc('\n', out);

    bool have_prev; /* a window before without log lines is no evidence: not compared */
    if (!problems_have_previous(s, o, &have_prev, err, errlen))
        return false;
    mc_totals pt;
    status_counts sc, ps;
    if (!rows_statuses(s, &o->window, &sc, err, errlen))
        return false;
    if (have_prev && (!store_totals(s, &o->previous, NULL, &pt, err, errlen) ||
                      !rows_statuses(s, &o->previous, &ps, err, errlen)))
        return false;
    if (have_prev) {
        text_cell(out, lang_word(l, "summary"), 37, true);
        text_right(out, lang_word(l, "col_window"), 12);
        fputc(' ', out);
        text_right(out, lang_word(l, "col_previous"), 12);
        fputc(' ', out);
        text_right(out, lang_word(l, "col_change"), 9);
    } else {
        fputs(lang_word(l, "summary"), out);
        if (o->previous.since[0] != '\0')
            fprintf(out, " %s", lang_word(l, "no_data_before"));
    }
    fputc('\n', out);
    report_figure now[REPORT_FIGURES], prev[REPORT_FIGURES];
    report_figures(t, &sc, now);
    if (have_prev)
        report_figures(&pt, &ps, prev);
    /* The last figure, Exim's retry skips, after the shapes and only when there are any. */
    for (size_t i = 0; i + 1 < REPORT_FIGURES; i++)
        summary_line(out, l, lang_word(l, now[i].key), now[i].n, have_prev ? &prev[i].n : NULL);
    if (!write_shapes_text(s, &o->window, out, err, errlen))
        return false;
    const size_t last = REPORT_FIGURES - 1;
    if (now[last].n || (have_prev && prev[last].n))
        summary_line(out, l, lang_word(l, now[last].key), now[last].n, have_prev ? &prev[last].n : NULL);
    if (!report_messages_text(s, o, l, t, out, err, errlen))
        return false;
    if (!delays_text_section(s, &o->window, t, l, out, err, errlen))
        return false;

    return daily_problems(s, rules, o, l, t, out, err, errlen) &&
           report_warnings_text(s, rules, o, l, t, out, err, errlen);
}

/* ---- Prometheus text exposition --------------------------------------- */

/* One Prometheus label, its value escaped as the exposition format says. */
void prom_label(FILE *out, const char *name, const char *value, bool first)
{
    fprintf(out, "%s%s=\"", first ? "" : ",", name);
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if ((unsigned char)*p >= 0x20)
            fputc(*p, out);
    }
    fputc('"', out);
}

static const char *const prom_keys[] = {"mta", "direction", "status", "class", "code", "enhanced"};

/* store_rows callback: one mailcodes_events_total sample. */
static bool emit_prom_row(const mc_row *row, void *vctx)
{
    FILE *out = ((emit_ctx *)vctx)->out;
    fputs("mailcodes_events_total{", out);
    for (size_t i = 0; i < 6; i++)
        prom_label(out, prom_keys[i], row->values[i], i == 0);
    fprintf(out, "} %llu\n", (unsigned long long)row->count);
    return true;
}

/* The Prometheus text exposition: events by dimension, then the line totals. */
static bool write_prom(mc_store *s, const mc_report_opts *o, const mc_totals *t, FILE *out, char *err,
                       size_t errlen)
{
    emit_ctx c = {.o = o, .out = out};
    fputs("# HELP mailcodes_events_total SMTP outcomes found in the mail log.\n"
          "# TYPE mailcodes_events_total counter\n", out);
    if (!store_rows(s, &o->window, prom_keys, 6, NULL, 0, emit_prom_row, &c, err, errlen))
        return false;
    fprintf(out,
            "# HELP mailcodes_lines_total Log lines read.\n# TYPE mailcodes_lines_total counter\n"
            "mailcodes_lines_total %llu\n"
            "# HELP mailcodes_skipped_lines_total Lines that could not be read (binary, oversize, invalid UTF-8).\n"
            "# TYPE mailcodes_skipped_lines_total counter\nmailcodes_skipped_lines_total %llu\n"
            "# HELP mailcodes_unrecognised_lines_total Lines that look like outcomes but match no rule.\n"
            "# TYPE mailcodes_unrecognised_lines_total counter\nmailcodes_unrecognised_lines_total %llu\n"
            "# HELP mailcodes_hard_bounces_total Permanent failures that say the address itself is dead.\n"
            "# TYPE mailcodes_hard_bounces_total counter\nmailcodes_hard_bounces_total %llu\n"
            "# HELP mailcodes_retry_skips_total Deliveries skipped because their retry time had not come.\n"
            "# TYPE mailcodes_retry_skips_total counter\nmailcodes_retry_skips_total %llu\n",
            (unsigned long long)t->lines, (unsigned long long)t->skipped, (unsigned long long)t->unrecognised,
            (unsigned long long)t->hard, (unsigned long long)t->retry_skips);
    return delays_prom(s, &o->window, out, err, errlen);
}

/* ---- entry points ------------------------------------------------------ */

/* Writes the report in o's format; returns an exit code. */
int report_write(mc_store *s, const mc_rules *rules, const mc_report_opts *o, FILE *out)
{
    char err[1024];
    mc_lang lang;
    if (!lang_load(&lang, rules->dir, o->lang, err, sizeof err)) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_USAGE;
    }
    mc_totals t;
    bool ok = store_totals(s, &o->window, NULL, &t, err, sizeof err);
    mc_report_opts eff = *o;
    if (eff.n_keys == 0 && (eff.format == FORMAT_JSON || eff.format == FORMAT_CSV)) {
        eff.keys[0] = "direction"; /* a problem is never merged across directions */
        eff.keys[1] = "code";
        eff.keys[2] = "enhanced";
        eff.n_keys = 3;
    }
    mc_filter f = {.problems_first = o->problems_first};
    row_delays rd = {0};
    ok = ok && rows_delays_load(s, &eff.window, eff.keys, eff.n_keys, &rd, err, sizeof err);
    emit_ctx c = {.rules = rules, .o = &eff, .out = out, .events = t.events, .delays = &rd,
                  .same_domain = lang_english(&lang, "advice_same_domain")}; /* machine forms: English */
    mc_buf_init(&c.fill);
    if (ok) {
        switch (eff.format) {
        case FORMAT_JSON:
            fputs("{\"window\": {\"since\": ", out);
            mc_json_cstr_or_null(out, o->since_text);
            fputs(", \"until\": ", out);
            mc_json_cstr_or_null(out, o->until_text);
            fputc('}', out);
            report_data dat;
            ok = report_data_get(s, o, &t, &dat, err, sizeof err);
            if (ok)
                report_data_json(out, &lang, &dat);
            fputs(",\n ", out);
            json_totals(out, &t);
            fputs(",\n ", out);
            ok = json_unrecognised(s, &eff.window, &t, out, err, sizeof err);
            ok = ok && report_messages_json(s, &eff.window, &t, out, err, sizeof err);
            fputs(",\n ", out);
            ok = ok && delays_json_groups(s, &eff.window, out, err, sizeof err);
            ok = ok && report_warnings_json(s, rules, &eff.window, out, err, sizeof err);
            fputs(",\n \"rows\": [", out);
            ok = ok && store_rows(s, &eff.window, eff.keys, eff.n_keys, &f, eff.top, emit_json_row, &c, err, sizeof err);
            fputs(c.n ? "\n ]}\n" : "]}\n", out);
            break;
        case FORMAT_CSV:
            for (size_t i = 0; i < eff.n_keys; i++)
                fprintf(out, "%s%s", i ? "," : "", eff.keys[i]);
            if (rows_key_index(eff.keys, eff.n_keys, "class") < 0)
                fputs(",class", out);
            fputs(",count", out);
            if (rows_has_knowledge_key(&eff))
                fputs(",name,advice", out);
            delays_csv_head(out, &rd);
            fputs("\r\n", out);
            ok = store_rows(s, &eff.window, eff.keys, eff.n_keys, &f, eff.top, emit_csv_row, &c, err, sizeof err);
            break;
        case FORMAT_PROM:
            ok = write_prom(s, &eff, &t, out, err, sizeof err);
            break;
        case FORMAT_HTML:
            ok = report_write_html(s, rules, &eff, &lang, &t, out, err, sizeof err);
            break;
        case FORMAT_TEXT:
            ok = eff.n_keys == 0 ? write_daily(s, rules, &eff, &lang, &t, out, err, sizeof err)
                                 : write_table(s, rules, &eff, &lang, &t, &f, &rd, out, err, sizeof err);
            break;
        }
    }
    rows_delays_free(&rd);
    mc_buf_free(&c.fill);
    lang_free(&lang);
    if (!ok) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    return MC_EXIT_OK;
}
