/*
 * report.c - present stored counts.
 *
 * The JSON shape is a contract (SPEC.md): keys in --by order, then class,
 * count, and name/advice when a code is among the keys; nulls for absent
 * values.  Text output is for people: aligned, cut to 100 columns, colour
 * only on a terminal, every log-derived string passed through the escaper.
 */
#include "report.h"

#include <string.h>

#include "exitcodes.h"

bool report_parse_format(const char *s, mc_format *f)
{
    static const struct {
        const char *name;
        mc_format f;
    } formats[] = {{"text", FORMAT_TEXT}, {"json", FORMAT_JSON}, {"csv", FORMAT_CSV}, {"prom", FORMAT_PROM}};
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

static int key_index(const mc_report_opts *o, const char *key)
{
    for (size_t i = 0; i < o->n_keys; i++)
        if (strcmp(o->keys[i], key) == 0)
            return (int)i;
    return -1;
}

/* Name and advice for a row, from the most specific knowledge available:
 * the reason's advice, else the enhanced code's fix, else the basic code's. */
static void row_knowledge(const mc_rules *rules, const mc_report_opts *o, const mc_row *row,
                          const char **name, const char **advice)
{
    int ci = key_index(o, "code"), ei = key_index(o, "enhanced"), ri = key_index(o, "reason");
    const char *code = ci >= 0 ? row->values[ci] : "";
    const char *enh = ei >= 0 ? row->values[ei] : "";
    const mc_code_info *bc = knowledge_code(&rules->knowledge, code);
    const mc_code_info *ec = knowledge_enhanced(&rules->knowledge, enh);
    const mc_reason *rr = ri >= 0 && row->values[ri][0] ? reasons_find(&rules->reasons, row->values[ri]) : NULL;
    *name = bc ? bc->name : ec ? ec->name : rr ? (rr->label ? rr->label : rr->name) : NULL;
    *advice = rr ? rr->advice : ec ? ec->fix : bc ? bc->fix : NULL;
}

/* ---- JSON ------------------------------------------------------------- */

typedef struct {
    const mc_rules *rules;
    const mc_report_opts *o;
    FILE *out;
    size_t n;
    uint64_t events;
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
    if (key_index(c->o, "class") < 0) {
        fputs("\"class\": ", out);
        mc_json_cstr_or_null(out, row->klass);
        fputs(", ", out);
    }
    fprintf(out, "\"count\": %llu", (unsigned long long)row->count);
    if (key_index(c->o, "code") >= 0 || key_index(c->o, "enhanced") >= 0 || key_index(c->o, "reason") >= 0) {
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
            " \"permanent\": %llu, \"unknown\": %llu}",
            (unsigned long long)t->lines, (unsigned long long)t->events, (unsigned long long)t->skipped,
            (unsigned long long)t->unrecognised, (unsigned long long)t->hard,
            (unsigned long long)t->by_class[CLASS_SUCCESS],
            (unsigned long long)t->by_class[CLASS_INTERMEDIATE],
            (unsigned long long)t->by_class[CLASS_TRANSIENT],
            (unsigned long long)t->by_class[CLASS_PERMANENT],
            (unsigned long long)t->by_class[CLASS_UNKNOWN]);
}

/* ---- CSV -------------------------------------------------------------- */

static bool emit_csv_row(const mc_row *row, void *vctx)
{
    emit_ctx *c = vctx;
    const char *name, *advice;
    row_knowledge(c->rules, c->o, row, &name, &advice);
    for (size_t i = 0; i < c->o->n_keys; i++) {
        mc_csv_field(c->out, row->values[i]);
        fputc(',', c->out);
    }
    mc_csv_field(c->out, row->klass);
    fprintf(c->out, ",%llu,", (unsigned long long)row->count);
    mc_csv_field(c->out, name ? name : "");
    fputc(',', c->out);
    mc_csv_field(c->out, advice ? advice : "");
    fputs("\r\n", c->out);
    return true;
}

/* ---- text ------------------------------------------------------------- */

#define TEXT_WIDTH 100

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

/* Prints s padded or cut to exactly width display columns (ASCII width;
 * multi-byte characters count as one column each). */
static void put_cell(FILE *out, const char *s, int width)
{
    int cols = 0;
    size_t i = 0, n = strlen(s);
    while (i < n && cols < width) {
        size_t len = 1;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xF0)
            len = 4;
        else if (c >= 0xE0)
            len = 3;
        else if (c >= 0xC0)
            len = 2;
        if (i + len > n)
            break;
        if (cols == width - 1 && i + len < n) {
            fputs("~", out);
            cols++;
            i = n;
            break;
        }
        mc_text_safe(out, s + i, len);
        i += len;
        cols++;
    }
    for (; cols < width; cols++)
        fputc(' ', out);
}

typedef struct {
    emit_ctx base;
    int widths[MC_MAX_KEYS];
    int name_width;
} text_ctx;

static bool emit_text_row(const mc_row *row, void *vctx)
{
    text_ctx *t = vctx;
    emit_ctx *c = &t->base;
    FILE *out = c->out;
    for (size_t i = 0; i < c->o->n_keys; i++) {
        put_cell(out, row->values[i][0] ? row->values[i] : "-", t->widths[i]);
        fputc(' ', out);
    }
    if (c->o->color)
        fputs(class_color(row->klass), out);
    put_cell(out, row->klass ? row->klass : "-", 12);
    if (c->o->color)
        fputs("\033[0m", out);
    double share = c->events ? 100.0 * (double)row->count / (double)c->events : 0.0;
    fprintf(out, "%9llu %5.1f%% ", (unsigned long long)row->count, share);
    const char *name, *advice;
    row_knowledge(c->rules, c->o, row, &name, &advice);
    if (t->name_width > 0 && name)
        put_cell(out, name, t->name_width);
    fputc('\n', out);
    return true;
}

static int key_width(const char *key)
{
    static const struct {
        const char *key;
        int width;
    } widths[] = {{"code", 4},     {"enhanced", 8}, {"class", 12},    {"status", 9},
                  {"direction", 9}, {"stage", 11},   {"mta", 7},       {"day", 10},
                  {"hour", 16},    {"reason", 20},  {"domain", 24},   {"relay", 28},
                  {"client", 28},  {"host", 16}};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
        if (strcmp(widths[i].key, key) == 0)
            return widths[i].width;
    return 16;
}

static void text_header(FILE *out, const mc_report_opts *o, const mc_totals *t)
{
    fputs("mailcodes report", out);
    if (o->since_text || o->until_text)
        fprintf(out, "  (%s .. %s)", o->since_text ? o->since_text : "start", o->until_text ? o->until_text : "end");
    fputc('\n', out);
    fprintf(out, "lines %llu  events %llu  skipped %llu  unrecognised %llu\n",
            (unsigned long long)t->lines, (unsigned long long)t->events,
            (unsigned long long)t->skipped, (unsigned long long)t->unrecognised);
    fprintf(out, "success %llu  transient (4xx) %llu  permanent (5xx) %llu  unknown %llu  hard %llu\n\n",
            (unsigned long long)t->by_class[CLASS_SUCCESS],
            (unsigned long long)t->by_class[CLASS_TRANSIENT],
            (unsigned long long)t->by_class[CLASS_PERMANENT],
            (unsigned long long)t->by_class[CLASS_UNKNOWN], (unsigned long long)t->hard);
}

int report_write(mc_store *s, const mc_rules *rules, const mc_report_opts *o, FILE *out)
{
    char err[1024];
    mc_totals t;
    if (!store_totals(s, &o->window, NULL, &t, err, sizeof err)) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    emit_ctx c = {.rules = rules, .o = o, .out = out, .n = 0, .events = t.events};
    bool ok = true;
    switch (o->format) {
    case FORMAT_JSON:
        fputs("{\"window\": {\"since\": ", out);
        mc_json_cstr_or_null(out, o->since_text);
        fputs(", \"until\": ", out);
        mc_json_cstr_or_null(out, o->until_text);
        fputs("},\n ", out);
        json_totals(out, &t);
        fputs(",\n \"rows\": [", out);
        ok = store_rows(s, &o->window, o->keys, o->n_keys, NULL, o->top, emit_json_row, &c, err, sizeof err);
        fputs(c.n ? "\n ]}\n" : "]}\n", out);
        break;
    case FORMAT_CSV:
        for (size_t i = 0; i < o->n_keys; i++)
            fprintf(out, "%s,", o->keys[i]);
        fputs("class,count,name,advice\r\n", out);
        ok = store_rows(s, &o->window, o->keys, o->n_keys, NULL, o->top, emit_csv_row, &c, err, sizeof err);
        break;
    case FORMAT_PROM:
    case FORMAT_TEXT: {
        text_ctx tc;
        memset(&tc, 0, sizeof tc);
        tc.base = c;
        text_header(out, o, &t);
        int used = 0;
        for (size_t i = 0; i < o->n_keys; i++) {
            tc.widths[i] = key_width(o->keys[i]);
            used += tc.widths[i] + 1;
            put_cell(out, o->keys[i], tc.widths[i]);
            fputc(' ', out);
        }
        used += 13 + 10 + 7;
        tc.name_width = TEXT_WIDTH - used > 8 ? TEXT_WIDTH - used : 0;
        fprintf(out, "%-12s %9s %6s %s\n", "class", "count", "share", tc.name_width ? "meaning" : "");
        ok = store_rows(s, &o->window, o->keys, o->n_keys, NULL, o->top, emit_text_row, &tc, err, sizeof err);
        break;
    }
    }
    if (!ok) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    return MC_EXIT_OK;
}
