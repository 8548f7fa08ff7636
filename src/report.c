/*
 * report.c - present stored counts.
 *
 * The JSON shape is a contract (SPEC.md): keys in --by order, then class
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

#define TEXT_WIDTH 100

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

bool report_parse_keys(char *buf, mc_report_opts *o, char *err, size_t errlen)
{
    o->n_keys = 0;
    for (char *save = NULL, *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        while (*k == ' ')
            k++;
        if (*k == '\0')
            continue;
        if (store_key_expr(k) == NULL) {
            snprintf(err, errlen,
                     "unknown --by key '%s' (keys: mta host direction status stage code enhanced class"
                     " reason domain relay client day hour)", k);
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

/* ---- shared helpers ----------------------------------------------------- */

static uint32_t dim_of_key(const char *key)
{
    static const struct {
        const char *key;
        mc_dim dim;
    } map[] = {{"mta", DIM_MTA},       {"host", DIM_HOST},         {"direction", DIM_DIRECTION},
               {"status", DIM_STATUS}, {"stage", DIM_STAGE},       {"code", DIM_CODE},
               {"enhanced", DIM_ENHANCED}, {"class", DIM_CLASS},   {"reason", DIM_REASON},
               {"domain", DIM_DOMAIN}, {"relay", DIM_RELAY},       {"client", DIM_CLIENT},
               {"day", DIM_HOUR},      {"hour", DIM_HOUR}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].key, key) == 0)
            return 1u << map[i].dim;
    return 0;
}

uint32_t report_dims(const mc_report_opts *o, bool triage)
{
    /* Windows, totals and the class columns always need these. */
    uint32_t d = (1u << DIM_HOUR) | (1u << DIM_CLASS) | (1u << DIM_HARD);
    if (triage)
        return d | (1u << DIM_CODE) | (1u << DIM_ENHANCED) | (1u << DIM_REASON) | (1u << DIM_DOMAIN);
    switch (o->format) {
    case FORMAT_PROM:
        return d | (1u << DIM_MTA) | (1u << DIM_DIRECTION) | (1u << DIM_STATUS) | (1u << DIM_CODE) |
               (1u << DIM_ENHANCED);
    case FORMAT_HTML:
        return d | (1u << DIM_STATUS) | (1u << DIM_CODE) | (1u << DIM_ENHANCED) | (1u << DIM_REASON) |
               (1u << DIM_DOMAIN);
    case FORMAT_TEXT:
        if (o->n_keys == 0) /* the daily report */
            return d | (1u << DIM_STATUS) | (1u << DIM_CODE) | (1u << DIM_ENHANCED) | (1u << DIM_REASON) |
                   (1u << DIM_DOMAIN) | (1u << DIM_RELAY);
        break;
    case FORMAT_JSON:
    case FORMAT_CSV:
        if (o->n_keys == 0)
            return d | (1u << DIM_CODE) | (1u << DIM_ENHANCED);
        break;
    }
    for (size_t i = 0; i < o->n_keys; i++)
        d |= dim_of_key(o->keys[i]);
    return d;
}

/* A heading in the reader's language, with an English default for words
 * a language file does not have yet. */
static const char *word(const mc_lang *l, const char *key, const char *english)
{
    const char *w = lang_word(l, key);
    return (w == NULL || strcmp(w, key) == 0) ? english : w;
}

static int key_index(const char *const *keys, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0)
            return (int)i;
    return -1;
}

/* Name and advice for a row, from the most specific knowledge available:
 * the reason's advice, else the enhanced code's fix, else the basic code's. */
static void knowledge_for(const mc_rules *rules, const char *code, const char *enh, const char *reason,
                          const char **name, const char **advice)
{
    const mc_code_info *bc = knowledge_code(&rules->knowledge, code);
    const mc_code_info *ec = knowledge_enhanced(&rules->knowledge, enh);
    const mc_reason *rr = reason && reason[0] ? reasons_find(&rules->reasons, reason) : NULL;
    *name = bc ? bc->name : ec ? ec->name : rr ? (rr->label ? rr->label : rr->name) : NULL;
    *advice = rr ? rr->advice : ec ? ec->fix : bc ? bc->fix : NULL;
}

static void row_knowledge(const mc_rules *rules, const mc_report_opts *o, const mc_row *row,
                          const char **name, const char **advice)
{
    int ci = key_index(o->keys, o->n_keys, "code"), ei = key_index(o->keys, o->n_keys, "enhanced");
    int ri = key_index(o->keys, o->n_keys, "reason");
    knowledge_for(rules, ci >= 0 ? row->values[ci] : "", ei >= 0 ? row->values[ei] : "",
                  ri >= 0 ? row->values[ri] : "", name, advice);
}

static bool has_knowledge_key(const mc_report_opts *o)
{
    return key_index(o->keys, o->n_keys, "code") >= 0 || key_index(o->keys, o->n_keys, "enhanced") >= 0 ||
           key_index(o->keys, o->n_keys, "reason") >= 0;
}

/* Prints s padded or cut to width columns (a multi-byte character counts
 * as one column); cut text ends in '~'. */
static void put_cell(FILE *out, const char *s, int width, bool pad)
{
    int cols = 0;
    size_t i = 0, n = strlen(s);
    while (i < n && cols < width) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (i + len > n)
            break;
        if (cols == width - 1 && i + len < n) {
            fputc('~', out);
            cols++;
            break;
        }
        mc_text_safe(out, s + i, len);
        i += len;
        cols++;
    }
    for (; pad && cols < width; cols++)
        fputc(' ', out);
}

/* Wraps prose at TEXT_WIDTH with a hanging indent. */
static void put_wrapped(FILE *out, const char *label, const char *text, int indent)
{
    int width = TEXT_WIDTH - indent;
    fprintf(out, "%*s%s", indent - (int)strlen(label), "", label);
    const char *p = text;
    bool first = true;
    while (*p) {
        size_t len = strlen(p), take = len;
        if ((int)len > width) {
            take = (size_t)width;
            while (take > 0 && p[take] != ' ')
                take--;
            if (take == 0)
                take = (size_t)width;
        }
        if (!first)
            fprintf(out, "%*s", indent, "");
        mc_text_safe(out, p, take);
        fputc('\n', out);
        first = false;
        p += take;
        while (*p == ' ')
            p++;
    }
    if (first)
        fputc('\n', out);
}

static const char *class_color(const char *klass)
{
    if (klass == NULL)
        return "";
    if (strcmp(klass, "permanent") == 0)
        return "\033[31m";
    if (strcmp(klass, "transient") == 0)
        return "\033[33m";
    if (strcmp(klass, "success") == 0)
        return "\033[32m";
    return "";
}

/* Copied rows, for views that need several passes. */
typedef struct {
    char *values[MC_MAX_KEYS];
    char klass[16];
    uint64_t count;
    char *first_seen, *last_seen, *sample;
    double score;
    uint64_t previous;
} kept_row;

typedef struct {
    kept_row *rows;
    size_t n, cap;
    size_t n_keys;
} kept_rows;

static bool keep_row(const mc_row *row, void *ctx)
{
    kept_rows *k = ctx;
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 32;
        k->rows = mc_xrealloc(k->rows, k->cap * sizeof *k->rows);
    }
    kept_row *r = &k->rows[k->n++];
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < k->n_keys; i++)
        r->values[i] = mc_xstrdup(row->values[i]);
    snprintf(r->klass, sizeof r->klass, "%s", row->klass ? row->klass : "unknown");
    r->count = row->count;
    r->first_seen = mc_xstrdup(row->first_seen ? row->first_seen : "");
    r->last_seen = mc_xstrdup(row->last_seen ? row->last_seen : "");
    r->sample = mc_xstrdup(row->sample ? row->sample : "");
    return true;
}

static void free_kept(kept_rows *k)
{
    for (size_t i = 0; i < k->n; i++) {
        for (size_t j = 0; j < k->n_keys; j++)
            free(k->rows[i].values[j]);
        free(k->rows[i].first_seen);
        free(k->rows[i].last_seen);
        free(k->rows[i].sample);
    }
    free(k->rows);
    memset(k, 0, sizeof *k);
}

static bool query_kept(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys,
                       const mc_filter *f, size_t limit, kept_rows *k, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    k->n_keys = n_keys;
    return store_rows(s, w, keys, n_keys, f, limit, keep_row, k, err, errlen);
}

/* Counts of one key's values, e.g. events by status. */
static uint64_t kept_count(const kept_rows *k, const char *value)
{
    uint64_t n = 0;
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->rows[i].values[0], value) == 0)
            n += k->rows[i].count;
    return n;
}

/* "a (12), b (3)" for the top values of key among rows matching a problem. */
static void top_values(mc_store *s, const mc_window *w, const char *key, const mc_filter *f, mc_buf *out)
{
    kept_rows k;
    char err[256];
    const char *keys[1] = {key};
    mc_buf_reset(out);
    if (!query_kept(s, w, keys, 1, f, 3, &k, err, sizeof err))
        return;
    for (size_t i = 0; i < k.n; i++)
        mc_buf_printf(out, "%s%s (%llu)", i ? ", " : "", k.rows[i].values[0][0] ? k.rows[i].values[0] : "-",
                      (unsigned long long)k.rows[i].count);
    free_kept(&k);
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
} emit_ctx;

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
    if (key_index(c->o->keys, c->o->n_keys, "class") < 0) {
        fputs("\"class\": ", out);
        mc_json_cstr_or_null(out, row->klass);
        fputs(", ", out);
    }
    fprintf(out, "\"count\": %llu", (unsigned long long)row->count);
    if (has_knowledge_key(c->o)) {
        const char *name, *advice;
        row_knowledge(c->rules, c->o, row, &name, &advice);
        fputs(", \"name\": ", out);
        mc_json_cstr_or_null(out, name);
        fputs(", \"advice\": ", out);
        mc_json_cstr_or_null(out, advice);
    }
    fputc('}', out);
    return true;
}

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

static bool emit_csv_row(const mc_row *row, void *vctx)
{
    emit_ctx *c = vctx;
    for (size_t i = 0; i < c->o->n_keys; i++) {
        mc_csv_field(c->out, row->values[i]);
        fputc(',', c->out);
    }
    if (key_index(c->o->keys, c->o->n_keys, "class") < 0) {
        mc_csv_field(c->out, row->klass);
        fputc(',', c->out);
    }
    fprintf(c->out, "%llu", (unsigned long long)row->count);
    if (has_knowledge_key(c->o)) {
        const char *name, *advice;
        row_knowledge(c->rules, c->o, row, &name, &advice);
        fputc(',', c->out);
        mc_csv_field(c->out, name ? name : "");
        fputc(',', c->out);
        mc_csv_field(c->out, advice ? advice : "");
    }
    fputs("\r\n", c->out);
    return true;
}

static bool emit_table_row(const mc_row *row, void *vctx)
{
    emit_ctx *c = vctx;
    FILE *out = c->out;
    for (size_t i = 0; i < c->o->n_keys; i++) {
        put_cell(out, row->values[i][0] ? row->values[i] : "-", c->widths[i], true);
        fputc(' ', out);
    }
    if (key_index(c->o->keys, c->o->n_keys, "class") < 0) {
        if (c->o->color)
            fputs(class_color(row->klass), out);
        put_cell(out, row->klass ? row->klass : "-", 12, true);
        if (c->o->color)
            fputs("\033[0m", out);
    }
    double share = c->events ? 100.0 * (double)row->count / (double)c->events : 0.0;
    fprintf(out, "%9llu %5.1f%%", (unsigned long long)row->count, share);
    const char *name, *advice;
    row_knowledge(c->rules, c->o, row, &name, &advice);
    if (c->name_width > 0 && name && has_knowledge_key(c->o)) {
        fputc(' ', out);
        put_cell(out, name, c->name_width, false);
    }
    fputc('\n', out);
    return true;
}

static int key_width(const char *key)
{
    static const struct {
        const char *key;
        int width;
    } widths[] = {{"code", 4},     {"enhanced", 8}, {"class", 12},  {"status", 9},  {"direction", 9},
                  {"stage", 11},   {"mta", 7},      {"day", 10},    {"hour", 16},   {"reason", 20},
                  {"domain", 24},  {"relay", 28},   {"client", 28}, {"host", 16}};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
        if (strcmp(widths[i].key, key) == 0)
            return widths[i].width;
    return 16;
}

static void window_words(const mc_report_opts *o, char *buf, size_t len)
{
    if (o->since_text || o->until_text)
        snprintf(buf, len, "%s .. %s", o->since_text ? o->since_text : "start", o->until_text ? o->until_text : "end");
    else
        snprintf(buf, len, "all data");
}

static bool write_table(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_totals *t,
                        const mc_filter *f, FILE *out, char *err, size_t errlen)
{
    emit_ctx c = {.rules = rules, .o = o, .out = out, .events = t->events};
    char win[128];
    window_words(o, win, sizeof win);
    fprintf(out, "mailcodes report (%s): %llu lines, %llu events, %llu skipped, %llu unrecognised\n\n", win,
            (unsigned long long)t->lines, (unsigned long long)t->events, (unsigned long long)t->skipped,
            (unsigned long long)t->unrecognised);
    int used = 0;
    for (size_t i = 0; i < o->n_keys; i++) {
        c.widths[i] = key_width(o->keys[i]);
        used += c.widths[i] + 1;
        put_cell(out, o->keys[i], c.widths[i], true);
        fputc(' ', out);
    }
    if (key_index(o->keys, o->n_keys, "class") < 0) {
        fprintf(out, "%-12s", "class");
        used += 12;
    }
    used += 17;
    c.name_width = TEXT_WIDTH - used - 1 > 8 ? TEXT_WIDTH - used - 1 : 0;
    fprintf(out, "%10s %6s", "count", "share");
    if (c.name_width && has_knowledge_key(o))
        fputs(" meaning", out);
    fputc('\n', out);
    return store_rows(s, &o->window, o->keys, o->n_keys, f, o->top, emit_table_row, &c, err, errlen);
}

/* ---- the daily text report -------------------------------------------- */

typedef struct {
    uint64_t sent, deferred, bounced, expired, rejected;
} status_counts;

static bool count_statuses(mc_store *s, const mc_window *w, status_counts *sc, char *err, size_t errlen)
{
    memset(sc, 0, sizeof *sc);
    kept_rows k;
    const char *keys[1] = {"status"};
    if (!query_kept(s, w, keys, 1, NULL, 0, &k, err, errlen))
        return false;
    sc->sent = kept_count(&k, "sent");
    sc->deferred = kept_count(&k, "deferred");
    sc->bounced = kept_count(&k, "bounced");
    sc->expired = kept_count(&k, "expired");
    sc->rejected = kept_count(&k, "rejected");
    free_kept(&k);
    return true;
}

static void summary_line(FILE *out, const char *label, uint64_t now, const uint64_t *prev)
{
    fprintf(out, "  %-34s %12llu", label, (unsigned long long)now);
    if (prev) {
        fprintf(out, " %12llu", (unsigned long long)*prev);
        if (*prev == 0)
            fprintf(out, " %9s", now ? "new" : "-");
        else
            fprintf(out, " %+8.0f%%", 100.0 * ((double)now - (double)*prev) / (double)*prev);
    }
    fputc('\n', out);
}

static const char *const problem_keys[] = {"code", "enhanced", "reason"};

static void problem_filter(const kept_row *r, mc_filter *f)
{
    memset(f, 0, sizeof *f);
    f->problems_only = true;
    for (size_t i = 0; i < 3; i++) {
        f->keys[i] = problem_keys[i];
        f->values[i] = r->values[i];
    }
    f->n = 3;
}

static bool write_daily(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                        const mc_totals *t, FILE *out, char *err, size_t errlen)
{
    char win[128];
    window_words(o, win, sizeof win);
    fprintf(out, "%s: %s\n\n", word(l, "report", "Mail report"), win);

    bool have_prev = o->previous.since[0] != '\0';
    mc_totals pt;
    status_counts sc, ps;
    if (!count_statuses(s, &o->window, &sc, err, errlen))
        return false;
    if (have_prev && (!store_totals(s, &o->previous, NULL, &pt, err, errlen) ||
                      !count_statuses(s, &o->previous, &ps, err, errlen)))
        return false;
    fprintf(out, "%s", word(l, "summary", "Summary"));
    if (have_prev)
        fprintf(out, "%*s %12s %9s", 47 - (int)strlen(word(l, "summary", "Summary")), "this window", "previous", "change");
    fputc('\n', out);
#define PREV(x) (have_prev ? &(x) : NULL)
    summary_line(out, "lines read", t->lines, PREV(pt.lines));
    summary_line(out, "events (SMTP outcomes)", t->events, PREV(pt.events));
    summary_line(out, "sent", sc.sent, PREV(ps.sent));
    summary_line(out, "deferred", sc.deferred, PREV(ps.deferred));
    summary_line(out, "bounced", sc.bounced, PREV(ps.bounced));
    summary_line(out, "expired", sc.expired, PREV(ps.expired));
    summary_line(out, "rejected (inbound)", sc.rejected, PREV(ps.rejected));
    summary_line(out, "transient failures (4xx)", t->by_class[CLASS_TRANSIENT], PREV(pt.by_class[CLASS_TRANSIENT]));
    summary_line(out, "permanent failures (5xx)", t->by_class[CLASS_PERMANENT], PREV(pt.by_class[CLASS_PERMANENT]));
    summary_line(out, "dead addresses (hard)", t->hard, PREV(pt.hard));
    summary_line(out, "unreadable lines (skipped)", t->skipped, PREV(pt.skipped));
    summary_line(out, "unrecognised outcome lines", t->unrecognised, PREV(pt.unrecognised));
    if (t->retry_skips || (have_prev && pt.retry_skips))
        summary_line(out, "retry skips (not yet due, Exim)", t->retry_skips, PREV(pt.retry_skips));
#undef PREV

    kept_rows k;
    mc_filter f = {.problems_only = true};
    size_t top = o->top ? o->top : 10;
    if (!query_kept(s, &o->window, problem_keys, 3, &f, top, &k, err, errlen))
        return false;
    fprintf(out, "\n%s\n", word(l, "top_problems", "Top problems"));
    if (k.n == 0)
        fputs("  none: no transient or permanent failure in this window\n", out);
    mc_buf domains, relays;
    mc_buf_init(&domains);
    mc_buf_init(&relays);
    for (size_t i = 0; i < k.n; i++) {
        kept_row *r = &k.rows[i];
        const char *name, *advice;
        knowledge_for(rules, r->values[0], r->values[1], r->values[2], &name, &advice);
        const mc_reason *rr = r->values[2][0] ? reasons_find(&rules->reasons, r->values[2]) : NULL;
        double share = t->events ? 100.0 * (double)r->count / (double)t->events : 0;
        fprintf(out, "\n%3zu. ", i + 1);
        if (o->color)
            fputs(class_color(r->klass), out);
        fprintf(out, "%s %s", r->values[0][0] ? r->values[0] : "---", r->values[1][0] ? r->values[1] : "-.-.-");
        fprintf(out, " %s", r->klass);
        if (o->color)
            fputs("\033[0m", out);
        fprintf(out, "  %llu events (%.1f%%)  ", (unsigned long long)r->count, share);
        put_cell(out, rr ? (rr->label ? rr->label : rr->name) : (name ? name : ""), 50, false);
        fputc('\n', out);
        mc_filter pf;
        problem_filter(r, &pf);
        top_values(s, &o->window, "domain", &pf, &domains);
        top_values(s, &o->window, "relay", &pf, &relays);
        if (domains.len)
            put_wrapped(out, "domains: ", domains.data, 14);
        if (relays.len)
            put_wrapped(out, "relays: ", relays.data, 14);
        if (r->sample[0]) {
            fprintf(out, "%14s", "sample: ");
            put_cell(out, r->sample, TEXT_WIDTH - 14, false);
            fputc('\n', out);
        }
        if (advice)
            put_wrapped(out, "advice: ", advice, 14);
    }
    mc_buf_free(&domains);
    mc_buf_free(&relays);
    free_kept(&k);
    return true;
}

/* ---- Prometheus text exposition --------------------------------------- */

static void prom_label(FILE *out, const char *name, const char *value, bool first)
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

static bool emit_prom_row(const mc_row *row, void *vctx)
{
    FILE *out = ((emit_ctx *)vctx)->out;
    fputs("mailcodes_events_total{", out);
    for (size_t i = 0; i < 6; i++)
        prom_label(out, prom_keys[i], row->values[i], i == 0);
    fprintf(out, "} %llu\n", (unsigned long long)row->count);
    return true;
}

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
    return true;
}

/* ---- HTML --------------------------------------------------------------- */

static void html_text(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                fputc('?', out);
            else
                fputc(*p, out);
        }
    }
}

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

/* Events per hour, stacked by class. */
static bool html_hours_chart(mc_store *s, const mc_report_opts *o, FILE *out, char *err, size_t errlen)
{
    kept_rows k;
    const char *keys[1] = {"hour"};
    if (!query_kept(s, &o->window, keys, 1, NULL, 0, &k, err, errlen))
        return false;
    /* distinct hours, sorted */
    size_t n_hours = 0;
    char **hours = mc_xcalloc(k.n + 1, sizeof *hours);
    for (size_t i = 0; i < k.n; i++) {
        if (!k.rows[i].values[0][0])
            continue;
        size_t j = 0;
        while (j < n_hours && strcmp(hours[j], k.rows[i].values[0]) != 0)
            j++;
        if (j == n_hours)
            hours[n_hours++] = k.rows[i].values[0];
    }
    for (size_t a = 1; a < n_hours; a++)
        for (size_t b = a; b > 0 && strcmp(hours[b - 1], hours[b]) > 0; b--) {
            char *tmp = hours[b];
            hours[b] = hours[b - 1];
            hours[b - 1] = tmp;
        }
    static const char *const classes[] = {"success", "intermediate", "transient", "permanent", "unknown"};
    uint64_t max = 1;
    for (size_t h = 0; h < n_hours; h++) {
        uint64_t sum = 0;
        for (size_t i = 0; i < k.n; i++)
            if (strcmp(k.rows[i].values[0], hours[h]) == 0)
                sum += k.rows[i].count;
        if (sum > max)
            max = sum;
    }
    int w = 760, hgt = 220, left = 50, bottom = 30;
    double bw = n_hours ? (double)(w - left - 10) / (double)n_hours : 0;
    fprintf(out, "<figure><figcaption>Events per hour, by class</figcaption>\n"
                 "<svg role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
            w, hgt, w, hgt);
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>\n", left, hgt - bottom, w - 10, hgt - bottom);
    fprintf(out, "<text x=\"%d\" y=\"12\" font-size=\"11\" text-anchor=\"end\">%llu</text>\n", left - 4, (unsigned long long)max);
    for (size_t h = 0; h < n_hours; h++) {
        double y = hgt - bottom;
        for (size_t c = 0; c < 5; c++) {
            uint64_t v = 0;
            for (size_t i = 0; i < k.n; i++)
                if (strcmp(k.rows[i].values[0], hours[h]) == 0 && strcmp(k.rows[i].klass, classes[c]) == 0)
                    v += k.rows[i].count;
            if (!v)
                continue;
            double bh = (double)(hgt - bottom - 15) * (double)v / (double)max;
            y -= bh;
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
                    left + bw * (double)h + 1, y, bw > 3 ? bw - 2 : bw, bh, class_fill(classes[c]));
            html_text(out, hours[h]);
            fprintf(out, " %s: %llu</title></rect>\n", classes[c], (unsigned long long)v);
        }
        if (n_hours <= 48 && (h % (n_hours > 24 ? 6 : 3) == 0)) {
            fprintf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">", left + bw * (double)h, hgt - bottom + 14);
            html_text(out, hours[h] + 5);
            fputs("h</text>\n", out);
        }
    }
    if (n_hours == 0)
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\">no events with a time</text>\n", left + 10, hgt / 2);
    fputs("</svg></figure>\n", out);
    free(hours);
    free_kept(&k);
    return true;
}

/* Horizontal bars for the top rows of keys. */
static bool html_bar_chart(mc_store *s, const mc_report_opts *o, const char *caption, const char *const *keys,
                           size_t n_keys, bool problems, FILE *out, char *err, size_t errlen)
{
    kept_rows k;
    mc_filter f = {.problems_only = problems};
    if (!query_kept(s, &o->window, keys, n_keys, &f, 10, &k, err, errlen))
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
            mc_buf_printf(&label, "%s%s", j ? " " : "", k.rows[i].values[j][0] ? k.rows[i].values[j] : "-");
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
    free_kept(&k);
    return true;
}

static bool write_html(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                       const mc_totals *t, FILE *out, char *err, size_t errlen)
{
    char win[128];
    window_words(o, win, sizeof win);
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
            o->lang && *o->lang ? o->lang : "en", l->rtl ? "rtl" : "ltr");
    html_text(out, word(l, "report", "Mail report"));
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
    html_text(out, word(l, "report", "Mail report"));
    fputs("</h1>\n<p>", out);
    html_text(out, win);
    fputs("</p>\n<h2>", out);
    html_text(out, word(l, "summary", "Summary"));
    fputs("</h2>\n<table>\n", out);
    status_counts sc;
    if (!count_statuses(s, &o->window, &sc, err, errlen))
        return false;
    const struct {
        const char *label;
        uint64_t v;
    } lines[] = {{"lines read", t->lines},
                 {"events", t->events},
                 {"sent", sc.sent},
                 {"deferred", sc.deferred},
                 {"bounced", sc.bounced},
                 {"expired", sc.expired},
                 {"rejected (inbound)", sc.rejected},
                 {"transient failures (4xx)", t->by_class[CLASS_TRANSIENT]},
                 {"permanent failures (5xx)", t->by_class[CLASS_PERMANENT]},
                 {"dead addresses (hard)", t->hard},
                 {"skipped lines", t->skipped},
                 {"unrecognised lines", t->unrecognised}};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        fprintf(out, "<tr><td>%s</td><td class=\"n\">%llu</td></tr>\n", lines[i].label, (unsigned long long)lines[i].v);
    fputs("</table>\n", out);
    static const char *const code_keys[] = {"code", "enhanced"};
    static const char *const domain_keys[] = {"domain"};
    if (!html_hours_chart(s, o, out, err, errlen) ||
        !html_bar_chart(s, o, "Top codes", code_keys, 2, false, out, err, errlen) ||
        !html_bar_chart(s, o, "Top domains with failures", domain_keys, 1, true, out, err, errlen))
        return false;
    kept_rows k;
    mc_filter f = {.problems_only = true};
    if (!query_kept(s, &o->window, problem_keys, 3, &f, o->top ? o->top : 10, &k, err, errlen))
        return false;
    fputs("<h2>", out);
    html_text(out, word(l, "top_problems", "Top problems"));
    fputs("</h2>\n<table>\n<tr><th>code</th><th>enhanced</th><th>class</th><th>count</th><th>reason</th>"
          "<th>domains</th></tr>\n", out);
    mc_buf domains;
    mc_buf_init(&domains);
    for (size_t i = 0; i < k.n; i++) {
        kept_row *r = &k.rows[i];
        const char *name, *advice;
        knowledge_for(rules, r->values[0], r->values[1], r->values[2], &name, &advice);
        mc_filter pf;
        problem_filter(r, &pf);
        top_values(s, &o->window, "domain", &pf, &domains);
        fputs("<tr><td>", out);
        html_text(out, r->values[0][0] ? r->values[0] : "-");
        fputs("</td><td>", out);
        html_text(out, r->values[1][0] ? r->values[1] : "-");
        fprintf(out, "</td><td class=\"%s\">%s</td><td class=\"n\">%llu</td><td>", r->klass, r->klass,
                (unsigned long long)r->count);
        html_text(out, r->values[2][0] ? r->values[2] : (name ? name : "-"));
        fputs("</td><td>", out);
        html_text(out, domains.data);
        fputs("</td></tr>\n<tr><td></td><td colspan=\"5\"><div class=\"sample\">", out);
        html_text(out, r->sample);
        fputs("</div><div class=\"advice\">", out);
        html_text(out, advice ? advice : "");
        fputs("</div></td></tr>\n", out);
    }
    fputs("</table>\n<p><small>mailcodes</small></p>\n</body>\n</html>\n", out);
    mc_buf_free(&domains);
    free_kept(&k);
    return true;
}

/* ---- entry points ------------------------------------------------------ */

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
        eff.keys[0] = "code";
        eff.keys[1] = "enhanced";
        eff.n_keys = 2;
    }
    mc_filter f = {.problems_first = o->problems_first};
    emit_ctx c = {.rules = rules, .o = &eff, .out = out, .events = t.events};
    if (ok) {
        switch (eff.format) {
        case FORMAT_JSON:
            fputs("{\"window\": {\"since\": ", out);
            mc_json_cstr_or_null(out, o->since_text);
            fputs(", \"until\": ", out);
            mc_json_cstr_or_null(out, o->until_text);
            fputs("},\n ", out);
            json_totals(out, &t);
            fputs(",\n \"rows\": [", out);
            ok = store_rows(s, &eff.window, eff.keys, eff.n_keys, &f, eff.top, emit_json_row, &c, err, sizeof err);
            fputs(c.n ? "\n ]}\n" : "]}\n", out);
            break;
        case FORMAT_CSV:
            for (size_t i = 0; i < eff.n_keys; i++)
                fprintf(out, "%s%s", i ? "," : "", eff.keys[i]);
            if (key_index(eff.keys, eff.n_keys, "class") < 0)
                fputs(",class", out);
            fputs(",count", out);
            if (has_knowledge_key(&eff))
                fputs(",name,advice", out);
            fputs("\r\n", out);
            ok = store_rows(s, &eff.window, eff.keys, eff.n_keys, &f, eff.top, emit_csv_row, &c, err, sizeof err);
            break;
        case FORMAT_PROM:
            ok = write_prom(s, &eff, &t, out, err, sizeof err);
            break;
        case FORMAT_HTML:
            ok = write_html(s, rules, &eff, &lang, &t, out, err, sizeof err);
            break;
        case FORMAT_TEXT:
            ok = eff.n_keys == 0 ? write_daily(s, rules, &eff, &lang, &t, out, err, sizeof err)
                                 : write_table(s, rules, &eff, &t, &f, out, err, sizeof err);
            break;
        }
    }
    lang_free(&lang);
    if (!ok) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    return MC_EXIT_OK;
}

/* ---- triage ------------------------------------------------------------- */

/* How much a problem matters, before trend and size: a permanent failure
 * costs mail, a transient one only delay; the reason's weight (in
 * rules/reasons.conf) says the rest, e.g. greylisting is routine. */
static double severity(const mc_rules *rules, const char *klass, const char *reason)
{
    double s = strcmp(klass, "permanent") == 0 ? 3.0 : 1.0;
    const mc_reason *r = reason[0] ? reasons_find(&rules->reasons, reason) : NULL;
    return r ? s * r->weight : s;
}

static int by_score(const void *a, const void *b)
{
    const kept_row *x = a, *y = b;
    return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

int triage_write(mc_store *s, const mc_rules *rules, const mc_report_opts *o, FILE *out)
{
    char err[1024];
    static const char *const keys[] = {"code", "enhanced", "reason", "domain"};
    kept_rows now, before;
    mc_filter f = {.problems_only = true};
    if (!query_kept(s, &o->window, keys, 4, &f, 500, &now, err, sizeof err)) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    bool have_prev = o->previous.since[0] != '\0';
    memset(&before, 0, sizeof before);
    if (have_prev && !query_kept(s, &o->previous, keys, 4, &f, 0, &before, err, sizeof err)) {
        free_kept(&now);
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    for (size_t i = 0; i < now.n; i++) {
        kept_row *r = &now.rows[i];
        for (size_t j = 0; j < before.n; j++) {
            kept_row *p = &before.rows[j];
            if (strcmp(p->klass, r->klass) == 0 && strcmp(p->values[0], r->values[0]) == 0 &&
                strcmp(p->values[1], r->values[1]) == 0 && strcmp(p->values[2], r->values[2]) == 0 &&
                strcmp(p->values[3], r->values[3]) == 0)
                r->previous += p->count;
        }
        double trend = 1.0;
        if (have_prev) {
            if (r->previous == 0)
                trend = 2.0; /* new */
            else if ((double)r->count > 1.2 * (double)r->previous)
                trend = (double)r->count / (double)r->previous > 4 ? 4 : (double)r->count / (double)r->previous;
            else if ((double)r->count < 0.8 * (double)r->previous)
                trend = 0.5;
        }
        r->score = (double)r->count * severity(rules, r->klass, r->values[2]) * trend;
    }
    if (now.n > 1) /* qsort must not see a NULL array, even empty */
        qsort(now.rows, now.n, sizeof *now.rows, by_score);
    char win[128];
    window_words(o, win, sizeof win);
    fprintf(out, "Triage: %s%s\n", win, have_prev ? " (compared with the window before)" : "");
    size_t top = o->top ? o->top : 5;
    if (now.n == 0)
        fputs("\nNothing to act on: no transient or permanent failure in this window.\n", out);
    for (size_t i = 0; i < now.n && i < top; i++) {
        kept_row *r = &now.rows[i];
        const char *name, *advice;
        knowledge_for(rules, r->values[0], r->values[1], r->values[2], &name, &advice);
        const mc_reason *rr = r->values[2][0] ? reasons_find(&rules->reasons, r->values[2]) : NULL;
        fprintf(out, "\n%zu. ", i + 1);
        if (o->color)
            fputs(class_color(r->klass), out);
        fprintf(out, "[%s] %s %s", r->klass, r->values[0][0] ? r->values[0] : "---",
                r->values[1][0] ? r->values[1] : "-.-.-");
        if (o->color)
            fputs("\033[0m", out);
        fputc(' ', out);
        put_cell(out, rr ? (rr->label ? rr->label : rr->name) : (name ? name : "unclassified"), 44, false);
        if (r->values[3][0]) {
            fputs(" at ", out);
            put_cell(out, r->values[3], 30, false);
        }
        fputc('\n', out);
        fprintf(out, "   evidence: %llu events", (unsigned long long)r->count);
        if (have_prev) {
            if (r->previous == 0)
                fputs(", new (none in the window before)", out);
            else
                fprintf(out, ", %llu in the window before", (unsigned long long)r->previous);
        }
        fprintf(out, "; first %s, last %s\n", r->first_seen, r->last_seen);
        if (r->sample[0]) {
            fputs("   sample:   ", out);
            put_cell(out, r->sample, TEXT_WIDTH - 13, false);
            fputc('\n', out);
        }
        if (advice)
            put_wrapped(out, "action:   ", advice, 13);
    }
    free_kept(&now);
    free_kept(&before);
    return MC_EXIT_OK;
}
