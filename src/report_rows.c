/*
 * report_rows.c - what the report writers gather from the store: the
 * dimensions a report needs counted, rows copied for views that need
 * several passes, counts by status, the top values of a key within one
 * problem, and the knowledge (name, advice) that goes with a row.
 * Nothing here writes output; report.c, report_html.c and triage.c do.
 */
#include "report_rows.h"

#include <stdlib.h>
#include <string.h>

#include "problems.h"
#include "textout.h"

/* The aggregate dimensions a report (or triage) reads. */
uint32_t report_dims(const mc_report_opts *o, bool triage)
{
    /* Windows, totals and the class columns always need these. */
    uint32_t d = (1u << DIM_HOUR) | (1u << DIM_CLASS) | (1u << DIM_HARD);
    /* The message figures: deliveries by status.  Distinct senders and
     * recipients need a row per address (twice the time of a report from
     * files): only the daily report keeps senders, for its top senders of
     * failures; --by sender or recipient keep them in any view. */
    const uint32_t msg_dims = (1u << DIM_STATUS) | (1u << DIM_DIRECTION);
    /* A problem (problems.c) and its breakdowns. */
    uint32_t p = (1u << DIM_DIRECTION) | (1u << DIM_STATUS) | (1u << DIM_CODE) | (1u << DIM_ENHANCED) | (1u << DIM_REASON) |
                 (1u << DIM_DOMAIN) | (1u << DIM_RELAY) | (1u << DIM_CLIENT);
    /* An expired problem without domains (Postfix) names those its senders' deferrals waited for. */
    const uint32_t expired_dims = 1u << DIM_SENDER;
    if (triage)
        return d | p | expired_dims;
    switch (o->format) {
    case FORMAT_PROM: /* and its delay histogram */
        return d | MC_KEEP_DELAYS | (1u << DIM_MTA) | (1u << DIM_DIRECTION) | (1u << DIM_STATUS) | (1u << DIM_CODE) |
               (1u << DIM_ENHANCED);
    case FORMAT_HTML: /* with its table of delays by domain */
        return d | MC_KEEP_DELAYS | (1u << DIM_STATUS) | p | expired_dims;
    case FORMAT_TEXT:
        if (o->n_keys == 0) /* the daily report, with its message figures and delays */
            return d | msg_dims | (1u << DIM_SENDER) | p | MC_KEEP_DELAYS;
        break;
    case FORMAT_JSON:
        d |= msg_dims;
        if (o->n_keys == 0)
            return d | MC_KEEP_DELAYS | (1u << DIM_CODE) | (1u << DIM_ENHANCED);
        break;
    case FORMAT_CSV:
        if (o->n_keys == 0)
            return d | (1u << DIM_DIRECTION) | (1u << DIM_CODE) | (1u << DIM_ENHANCED);
        break;
    }
    for (size_t i = 0; i < o->n_keys; i++) {
        const mc_by_key *k = by_key_find(o->keys[i]);
        if (k)
            d |= 1u << k->dim;
    }
    /* JSON has its "delays" list; text and CSV tables show delays by domain or relay. */
    if (o->format == FORMAT_JSON || rows_show_delays(o->keys, o->n_keys))
        d |= MC_KEEP_DELAYS;
    return d;
}

/* A word in the reader's language (the English is en.conf's). */
const char *report_word(const mc_lang *l, const char *key, const char *english)
{
    (void)english;
    return lang_word(l, key);
}

/* The --by keys whose values are a fixed set of words, each its own key in
 * rules/lang: the words a report translates. */
static const struct {
    const char *key;
    const char *values[6];
} value_words[] = {
    {"class", {LK("success"), LK("intermediate"), LK("transient"), LK("permanent"), LK("unknown")}},
    {"direction", {LK("local"), LK("outbound"), LK("inbound")}},
    {"section", {LK("local"), LK("outbound"), LK("inbound")}},
    {"status", {LK("sent"), LK("deferred"), LK("bounced"), LK("expired"), LK("rejected")}},
};

/* A class, direction or status value in the reader's language. */
const char *report_value_word(const mc_lang *l, const char *value)
{
    if (value == NULL)
        return "-";
    for (size_t i = 0; i < sizeof value_words / sizeof value_words[0]; i++)
        for (size_t j = 0; j < 6 && value_words[i].values[j]; j++)
            if (strcmp(value, value_words[i].values[j]) == 0)
                return lang_word(l, value);
    return value;
}

/* The widest translated value of a --by key (0: its values are data). */
int report_value_width(const mc_lang *l, const char *key)
{
    int w = 0;
    for (size_t i = 0; i < sizeof value_words / sizeof value_words[0]; i++)
        if (strcmp(key, value_words[i].key) == 0)
            for (size_t j = 0; j < 6 && value_words[i].values[j]; j++)
                if (text_width(lang_word(l, value_words[i].values[j])) > w)
                    w = text_width(lang_word(l, value_words[i].values[j]));
    return w;
}

/* The heading of a direction's section in the reader's language. */
const char *report_section_heading(const mc_lang *l, const char *direction)
{
    char key[64];
    snprintf(key, sizeof key, LK_PREFIX("section_") "%s", direction);
    return lang_word(l, key);
}

/* A problem's title in the reader's language (problems.c: in the voice of its direction). */
const char *report_problem_title(const mc_lang *l, const mc_rules *rules, const kept_row *r)
{
    return problems_title(rules, l, r);
}

/* The summary figures, in the order shown. */
void report_figures(const mc_totals *t, const status_counts *sc, report_figure out[REPORT_FIGURES])
{
    const report_figure f[REPORT_FIGURES] = {
        {LK("sum_lines"), t->lines},
        {LK("sum_events"), t->events},
        {LK("sum_sent"), sc->sent},
        {LK("sum_deferred"), sc->deferred},
        {LK("sum_bounced"), sc->bounced},
        {LK("sum_expired"), sc->expired},
        {LK("sum_rejected"), sc->rejected},
        {LK("sum_transient"), t->by_class[CLASS_TRANSIENT]},
        {LK("sum_permanent"), t->by_class[CLASS_PERMANENT]},
        {LK("sum_hard"), t->hard},
        {LK("sum_skipped"), t->skipped},
        {LK("sum_unrecognised"), t->unrecognised},
        {LK("sum_retry_skips"), t->retry_skips}};
    memcpy(out, f, sizeof f);
}

/* A label in the reader's language followed by one space ("domains: "),
 * in buf. */
const char *report_label(const mc_lang *l, const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "%s ", lang_word(l, key));
    return buf;
}

/* Position of key in keys, or -1. */
int rows_key_index(const char *const *keys, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0)
            return (int)i;
    return -1;
}

const char *rows_reason_advice(const mc_reason *rr, const char *direction)
{
    if (strcmp(direction, "local") == 0 && rr->local_advice)
        return rr->local_advice;
    bool inbound = strcmp(direction, "inbound") == 0;
    const char *a = inbound ? rr->receiver_advice : rr->advice;
    if (a == NULL) /* a one-direction reason seen in the other: say what we have */
        a = inbound ? rr->advice : rr->receiver_advice;
    return a;
}

const char *rows_code_fix(const mc_code_info *c, const char *direction)
{
    return strcmp(direction, "inbound") == 0 && c->receiver_fix ? c->receiver_fix : c->fix;
}

/* Name and advice for a row, from the most specific knowledge available:
 * the reason's advice, else the enhanced code's fix, else the basic code's;
 * in the voice of direction ("inbound": our server refused someone;
 * "local": our own delivery on this host; else, or "" for rows of both
 * directions, the sender's).  The name of a reason is its title in that
 * voice too; a code's name is the code's, the same either way. */
void rows_knowledge(const mc_rules *rules, const char *code, const char *enh, const char *reason,
                    const char *direction, const char **name, const char **advice)
{
    const mc_code_info *bc = knowledge_code(&rules->knowledge, code);
    const mc_code_info *ec = knowledge_enhanced(&rules->knowledge, enh);
    const mc_reason *rr = reason && reason[0] ? reasons_find(&rules->reasons, reason) : NULL;
    const char *own = NULL;
    if (rr)
        own = strcmp(direction, "inbound") == 0 ? rr->receiver_label
              : strcmp(direction, "local") == 0 ? rr->local_label
                                                : NULL;
    *name = bc ? bc->name : ec ? ec->name : rr ? (own ? own : rr->label ? rr->label : rr->name) : NULL;
    *advice = rr ? rows_reason_advice(rr, direction) : ec ? rows_code_fix(ec, direction) : bc ? rows_code_fix(bc, direction) : NULL;
}

/* Name and advice for a --by row, from the code, enhanced and reason keys
 * it has, in the voice of its direction when that is a key; {domains} in
 * the advice becomes the row's domain when that is a key, else same_domain
 * (written into fill, which the advice then points to). */
void rows_row_knowledge(const mc_rules *rules, const mc_report_opts *o, const mc_row *row, const char *same_domain,
                        mc_buf *fill, const char **name, const char **advice)
{
    int ci = rows_key_index(o->keys, o->n_keys, "code"), ei = rows_key_index(o->keys, o->n_keys, "enhanced");
    int ri = rows_key_index(o->keys, o->n_keys, "reason"), di = rows_key_index(o->keys, o->n_keys, "direction");
    int domi = rows_key_index(o->keys, o->n_keys, "domain");
    rows_knowledge(rules, ci >= 0 ? row->values[ci] : "", ei >= 0 ? row->values[ei] : "",
                   ri >= 0 ? row->values[ri] : "", di >= 0 ? row->values[di] : "", name, advice);
    if (*advice && strstr(*advice, "{domains}")) {
        knowledge_fill_domains(fill, *advice, domi >= 0 && row->values[domi][0] ? row->values[domi] : same_domain);
        *advice = fill->data;
    }
}

/* Whether a row carries a code, an enhanced code or a reason (so name and advice). */
bool rows_has_knowledge_key(const mc_report_opts *o)
{
    return rows_key_index(o->keys, o->n_keys, "code") >= 0 || rows_key_index(o->keys, o->n_keys, "enhanced") >= 0 ||
           rows_key_index(o->keys, o->n_keys, "reason") >= 0;
}

/* store_rows callback: copies one row into a kept_rows. */
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

/* Frees the rows and their strings. */
void rows_free(kept_rows *k)
{
    for (size_t i = 0; i < k->n; i++) {
        for (size_t j = 0; j < k->n_keys; j++)
            free(k->rows[i].values[j]);
        free(k->rows[i].first_seen);
        free(k->rows[i].last_seen);
        free(k->rows[i].sample);
        free(k->rows[i].detail);
    }
    free(k->rows);
    memset(k, 0, sizeof *k);
}

/* Queries rows of keys in window w into k (emptied first). */
bool rows_query(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys,
                       const mc_filter *f, size_t limit, kept_rows *k, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    k->n_keys = n_keys;
    return store_rows(s, w, keys, n_keys, f, limit, keep_row, k, err, errlen);
}

/* Queries the failures' rows of keys in window w into k (emptied first)
 * through store_tuple_rows: values, class and count only. */
bool rows_query_tuples(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys, kept_rows *k,
                       char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    k->n_keys = n_keys;
    return store_tuple_rows(s, w, keys, n_keys, keep_row, k, err, errlen);
}

/* Counts of one key's values, e.g. events by status. */
uint64_t rows_count(const kept_rows *k, const char *value)
{
    uint64_t n = 0;
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->rows[i].values[0], value) == 0)
            n += k->rows[i].count;
    return n;
}

/* The window as people read it: "SINCE .. UNTIL" or "all data". */
void report_window_words(const mc_report_opts *o, const mc_lang *l, char *buf, size_t len)
{
    if (o->since_text || o->until_text)
        snprintf(buf, len, "%s .. %s", o->since_text ? o->since_text : lang_word(l, "window_start"),
                 o->until_text ? o->until_text : lang_word(l, "window_end"));
    else
        snprintf(buf, len, "%s", lang_word(l, "window_all"));
}

/* Events by status (sent, deferred, ...) in window w. */
bool rows_statuses(mc_store *s, const mc_window *w, status_counts *sc, char *err, size_t errlen)
{
    memset(sc, 0, sizeof *sc);
    kept_rows k;
    const char *keys[1] = {"status"};
    if (!rows_query(s, w, keys, 1, NULL, 0, &k, err, errlen))
        return false;
    sc->sent = rows_count(&k, "sent");
    sc->deferred = rows_count(&k, "deferred");
    sc->bounced = rows_count(&k, "bounced");
    sc->expired = rows_count(&k, "expired");
    sc->rejected = rows_count(&k, "rejected");
    rows_free(&k);
    return true;
}

const char *const rows_problem_keys[] = {"code", "enhanced", "reason"};

/* A filter for the rows of one problem (code, enhanced, reason) of r. */
void rows_problem_filter(const kept_row *r, mc_filter *f)
{
    memset(f, 0, sizeof *f);
    f->problems_only = true;
    for (size_t i = 0; i < 3; i++) {
        f->keys[i] = rows_problem_keys[i];
        f->values[i] = r->values[i];
    }
    f->n = 3;
}

/* ---- delays of the rows ------------------------------------------------- */

/* Delays are figures per domain or relay: a table by status or hour
 * alone has no delay columns (the JSON "delays" list has those). */
bool rows_show_delays(const char *const *keys, size_t n_keys)
{
    bool per_destination = false;
    for (size_t i = 0; i < n_keys; i++) {
        const mc_by_key *k = by_key_find(keys[i]);
        if (!by_key_has_delays(k))
            return false;
        per_destination = per_destination || k->dim == DIM_DOMAIN || k->dim == DIM_RELAY;
    }
    return per_destination;
}

/* The lookup key of values and a class into b. */
static void delay_key(mc_buf *b, const char *const *values, size_t n, const char *klass)
{
    mc_buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        mc_buf_adds(b, values[i] ? values[i] : "");
        mc_buf_addc(b, '\x1f');
    }
    mc_buf_adds(b, klass ? klass : "");
}

/* store_delay_groups callback: keeps one group's stats. */
static bool keep_delay(const char *const *values, const char *klass, const mc_delay_hist *h, void *ctx)
{
    row_delays *rd = ctx;
    if (rd->n == rd->cap) {
        rd->cap = rd->cap ? rd->cap * 2 : 64;
        rd->d = mc_xrealloc(rd->d, rd->cap * sizeof *rd->d);
    }
    mc_buf b;
    mc_buf_init(&b);
    delay_key(&b, values, rd->n_keys, klass);
    row_delay *d = &rd->d[rd->n++];
    d->key = mc_xstrdup(b.data ? b.data : "");
    mc_buf_free(&b);
    delay_hist_figures(h, &d->f);
    return true;
}

/* Orders row delays by key, for bsearch. */
static int by_delay_key(const void *a, const void *b)
{
    return strcmp(((const row_delay *)a)->key, ((const row_delay *)b)->key);
}

/* Loads the delays of every group of keys and class in the window. */
bool rows_delays_load(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys, row_delays *rd,
                      char *err, size_t errlen)
{
    memset(rd, 0, sizeof *rd);
    rd->on = rows_show_delays(keys, n_keys);
    rd->n_keys = n_keys;
    if (!rd->on)
        return true;
    if (!store_delay_groups(s, w, keys, n_keys, true, keep_delay, rd, err, errlen))
        return false;
    if (rd->n > 1)
        qsort(rd->d, rd->n, sizeof *rd->d, by_delay_key);
    return true;
}

/* The figures of a row's group (binary search), NULL when it has none. */
const mc_delay_figures *rows_delays_find(const row_delays *rd, const mc_row *row, size_t n_keys)
{
    if (!rd->on || rd->n == 0)
        return NULL;
    mc_buf b;
    mc_buf_init(&b);
    delay_key(&b, row->values, n_keys, row->klass);
    row_delay probe = {.key = b.data ? b.data : ""};
    const row_delay *hit = bsearch(&probe, rd->d, rd->n, sizeof *rd->d, by_delay_key);
    mc_buf_free(&b);
    return hit ? &hit->f : NULL;
}

/* Frees the loaded delays. */
void rows_delays_free(row_delays *rd)
{
    for (size_t i = 0; i < rd->n; i++)
        free(rd->d[i].key);
    free(rd->d);
    memset(rd, 0, sizeof *rd);
}
