/*
 * problems.c - the problems of a window, one ranked list for the daily
 * report (text, HTML) and triage.  A problem is one direction, status,
 * code, enhanced code, reason and class: our mail refused elsewhere (outbound),
 * mail our server refused (inbound) and our own local deliveries (local)
 * are never merged, so each has its own sample, breakdown and advice in
 * the voice of its direction.
 *
 * Rank = severity x volume x trend:
 *   severity  the class (a permanent failure costs mail, a transient one
 *             delay: 3 : 1), the reason's weight in rules/reasons.conf
 *             (greylisting 0.1, mailbox full 0.3, ..., SMTP AUTH attacks
 *             and blocklistings 3), and x3 for a local delivery (our fault)
 *   volume    1 + ln(count): a logarithmic scale, so that a hundred
 *             greylistings do not outweigh a handful of blocklistings
 *   trend     new x2, rising up to x4 (count / count before), falling x0.5
 */
#include "problems.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "knowledge.h"
#include "report_warnings.h"

const char *const problems_sections[PROBLEM_SECTIONS] = {"mta", "local", "outbound", "inbound"};

static const char *const problem_keys[P_NKEYS] = {"section", "status", "code", "enhanced", "reason"};

/* The reason named by a problem, or NULL. */
static const mc_reason *problem_reason(const mc_rules *rules, const kept_row *r)
{
    return r->values[P_REASON][0] ? reasons_find(&rules->reasons, r->values[P_REASON]) : NULL;
}

/* Whether a problem is mail our server refused. */
static bool is_inbound(const kept_row *r)
{
    return strcmp(r->values[P_DIRECTION], "inbound") == 0;
}

/* Whether a problem is a group of the MTA's own fatal or panic lines
 * (gather_warnings below: only those carry a detail). */
bool problems_is_mta(const kept_row *r)
{
    return r->detail != NULL;
}

/* Whether a problem is one of our own deliveries on this host. */
static bool is_local(const kept_row *r)
{
    return !problems_is_mta(r) && strcmp(r->values[P_DIRECTION], "local") == 0;
}

/* The report section of a problem (problems_sections). */
const char *problems_section(const kept_row *r)
{
    return problems_is_mta(r) ? "mta" : r->values[P_DIRECTION];
}

/* "48 events", or "48 log lines" for the MTA's own lines: the noun of its count. */
const char *problems_count_noun(const mc_lang *l, const kept_row *r)
{
    if (problems_is_mta(r))
        return lang_word(l, r->count == 1 ? "line_one" : "line_many");
    return lang_word(l, r->count == 1 ? "event_one" : "event_many");
}

/* How much one event of a problem matters. */
double problems_severity(const mc_rules *rules, const kept_row *r)
{
    double s = strcmp(r->klass, "permanent") == 0 ? 3.0 : 1.0;
    const mc_reason *rr = problem_reason(rules, r);
    /* A refusal our server made on purpose (a listed client, spam) weighs
     * less than the same reply refusing our own mail: receiver_weight. */
    if (rr)
        s *= is_inbound(r) && rr->receiver_weight >= 0 ? rr->receiver_weight : rr->weight;
    if (strcmp(r->values[P_DIRECTION], "local") == 0)
        s *= 3.0; /* our own users' mail is lost or late, or our MTA failed: our own fault */
    if (r->brute_force)
        s *= 2.0; /* an attack from a few clients, not users mistyping */
    return s;
}

/* The trend factor of a problem against the window before. */
static double trend_factor(const kept_row *r)
{
    if (r->previous == 0)
        return 2.0; /* new */
    double ratio = (double)r->count / (double)r->previous;
    if (ratio > 1.2)
        return ratio > 4 ? 4 : ratio;
    return ratio < 0.8 ? 0.5 : 1.0;
}

/* Whether an inbound problem is many failures from a few clients (the
 * reason's brute_force in rules/reasons.conf: events per client). */
static bool is_brute_force(problems_cache *c, const mc_rules *rules, const kept_row *r)
{
    const mc_reason *rr = problem_reason(rules, r);
    if (rr == NULL || rr->brute_force <= 0 || strcmp(r->values[P_DIRECTION], "inbound") != 0 ||
        (double)r->count < rr->brute_force)
        return false;
    const problem_values *clients = problems_values(c, r, "client");
    return clients != NULL && clients->n > 0 && (double)r->count / (double)clients->n >= rr->brute_force;
}

/* qsort order of a problem's identity: its keys, then its class. */
static int by_identity(const void *a, const void *b)
{
    const kept_row *x = a, *y = b;
    for (size_t i = 0; i < P_NKEYS; i++) {
        int c = strcmp(x->values[i], y->values[i]);
        if (c)
            return c;
    }
    int c = strcmp(x->klass, y->klass);
    if (c)
        return c;
    /* a group of the MTA's own fatal or panic lines: its text is its identity */
    return strcmp(x->detail ? x->detail : "", y->detail ? y->detail : "");
}

/* qsort order: highest score first, then count, then the keys (stable output). */
static int by_score(const void *a, const void *b)
{
    const kept_row *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return by_identity(a, b);
}

/* Sets each problem's count in the window before: both lists sorted by
 * identity, then merged (n log n, not n x m: a bad day has thousands of
 * problems in each window). */
static void count_previous(kept_rows *k, kept_rows *before)
{
    if (k->n > 1)
        qsort(k->rows, k->n, sizeof *k->rows, by_identity);
    if (before->n > 1)
        qsort(before->rows, before->n, sizeof *before->rows, by_identity);
    size_t j = 0;
    for (size_t i = 0; i < k->n; i++) {
        while (j < before->n && by_identity(&before->rows[j], &k->rows[i]) < 0)
            j++;
        for (size_t m = j; m < before->n && by_identity(&before->rows[m], &k->rows[i]) == 0; m++)
            k->rows[i].previous += before->rows[m].count;
    }
}

/* The MTA's own fatal errors and panics as problems (mtawarn.h): each
 * group of a severity that rules/reasons.conf ranks ([mta-fatal],
 * [mta-panic]; warnings have no such reason) is one problem of this host
 * (local), of status its severity, its title the group's text. */
static bool gather_warnings(mc_store *s, const mc_rules *rules, const mc_window *w, kept_rows *k, char *err,
                            size_t errlen)
{
    warn_groups g;
    if (!warnings_gather(s, rules, w, &g, err, errlen))
        return false;
    for (size_t i = 0; i < g.n; i++) {
        const warn_group *x = &g.groups[i];
        const mc_reason *reason = warnings_reason(rules, x->severity);
        if (reason == NULL || reason->weight <= 0)
            continue;
        if (k->n == k->cap) {
            k->cap = k->cap ? k->cap * 2 : 32;
            k->rows = mc_xrealloc(k->rows, k->cap * sizeof *k->rows);
        }
        kept_row *r = &k->rows[k->n++];
        memset(r, 0, sizeof *r);
        const char *values[P_NKEYS] = {[P_DIRECTION] = "local", [P_STATUS] = x->severity, [P_CODE] = "",
                                       [P_ENHANCED] = "", [P_REASON] = reason->name};
        for (size_t j = 0; j < P_NKEYS; j++)
            r->values[j] = mc_xstrdup(values[j]);
        snprintf(r->klass, sizeof r->klass, "unknown"); /* no SMTP reply: no class */
        r->count = x->count;
        r->first_seen = mc_xstrdup(x->first);
        r->last_seen = mc_xstrdup(x->last);
        r->sample = mc_xstrdup(x->sample);
        r->detail = mc_xstrdup(x->text);
    }
    k->n_keys = P_NKEYS;
    warnings_free(&g);
    return true;
}

/* Whether o has a window before that holds log lines: one without any is
 * no evidence, and every problem would read "new" against it. */
bool problems_have_previous(mc_store *s, const mc_report_opts *o, bool *have, char *err, size_t errlen)
{
    *have = false;
    if (o->previous.since[0] == '\0')
        return true;
    uint64_t lines;
    if (!store_lines(s, &o->previous, &lines, err, errlen))
        return false;
    *have = lines > 0;
    return true;
}

/* Every problem of the window, ranked. */
bool problems_gather(problems_cache *c, const mc_rules *rules, const mc_report_opts *o, kept_rows *k,
                     bool *have_prev, char *err, size_t errlen)
{
    mc_store *s = c->s;
    mc_filter f = {.problems_only = true};
    if (!rows_query(s, &o->window, problem_keys, P_NKEYS, &f, 0, k, err, errlen))
        return false;
    if (!gather_warnings(s, rules, &o->window, k, err, errlen)) {
        rows_free(k);
        return false;
    }
    if (!problems_have_previous(s, o, have_prev, err, errlen)) {
        rows_free(k);
        return false;
    }
    kept_rows before;
    memset(&before, 0, sizeof before);
    if (*have_prev && (!rows_query(s, &o->previous, problem_keys, P_NKEYS, &f, 0, &before, err, errlen) ||
                       !gather_warnings(s, rules, &o->previous, &before, err, errlen))) {
        rows_free(&before);
        rows_free(k);
        return false;
    }
    count_previous(k, &before);
    rows_free(&before);
    for (size_t i = 0; i < k->n; i++) {
        kept_row *r = &k->rows[i];
        r->brute_force = is_brute_force(c, rules, r);
        r->score = (1.0 + log((double)r->count)) * problems_severity(rules, r) * (*have_prev ? trend_factor(r) : 1.0);
    }
    if (k->n > 1) /* qsort must not see a NULL array */
        qsort(k->rows, k->n, sizeof *k->rows, by_score);
    return true;
}

/* A filter for exactly the events of problem r. */
void problems_filter(const kept_row *r, mc_filter *f)
{
    memset(f, 0, sizeof *f);
    f->problems_only = true;
    for (size_t i = 0; i < P_NKEYS; i++) {
        f->keys[i] = problem_keys[i];
        f->values[i] = r->values[i];
    }
    f->keys[P_NKEYS] = "class";
    f->values[P_NKEYS] = r->klass;
    f->n = P_NKEYS + 1;
}

/* The fallback reason for a problem no rule explains. */
static const mc_reason *unexplained(const mc_rules *rules)
{
    return reasons_find(&rules->reasons, "unexplained");
}


/* The problem's title, in the voice of its direction and the reader's
 * language (l NULL: English, as JSON has it): mail our server refused
 * (inbound: receiver_label, [@reasons_inbound]), our own deliveries on this
 * host (local: local_label, [@reasons_local]), or our mail refused
 * elsewhere (label, [@reasons]). */
const char *problems_title(const mc_rules *rules, const mc_lang *l, const kept_row *r)
{
    const char *name, *advice;
    if (r->detail && r->detail[0]) /* a group of the MTA's own fatal or panic lines */
        return r->detail;
    const mc_reason *rr = problem_reason(rules, r);
    /* Without a reason, the code's name is the remote server's meaning of
     * it: mail we refused or our own delivery failing is said in our voice. */
    if (rr == NULL && !is_inbound(r) && !is_local(r)) {
        rows_knowledge(rules, r->values[P_CODE], r->values[P_ENHANCED], "", "outbound", &name, &advice);
        if (name)
            return name;
    }
    if (rr == NULL)
        rr = unexplained(rules);
    if (rr == NULL)
        return "unexplained failure";
    const char *own = is_inbound(r) ? rr->receiver_label : is_local(r) ? rr->local_label : NULL;
    if (own) {
        const char *section = is_inbound(r) ? "@reasons_inbound" : "@reasons_local";
        const char *w = l && l->words ? conf_get(conf_find_section(l->words, section), rr->name) : NULL;
        return w ? w : own;
    }
    const char *label = rr->label ? rr->label : rr->name;
    return l ? lang_reason_label(l, rr->name, label) : label;
}

/* The advice of a problem as written in rules/, in the voice of its
 * direction: the receiver's (inbound), ours on this host (local), the
 * sender's (outbound). */
static const char *advice_text(const mc_rules *rules, const kept_row *r)
{
    const mc_reason *rr = problem_reason(rules, r);
    if (rr == NULL && !is_local(r)) { /* a local failure no rule knows: not the remote's meaning */
        const mc_code_info *c = knowledge_enhanced(&rules->knowledge, r->values[P_ENHANCED]);
        if (c == NULL)
            c = knowledge_code(&rules->knowledge, r->values[P_CODE]);
        if (c) /* a one-direction code seen in the other: say what we have */
            return rows_code_fix(c, r->values[P_DIRECTION]);
    }
    if (rr == NULL)
        rr = unexplained(rules);
    if (rr == NULL)
        return "";
    const char *a = rows_reason_advice(rr, r->values[P_DIRECTION]);
    return a ? a : "";
}

/* Adds a name to a list of at most five ("a, b, c"). */
static void add_name(mc_buf *names, size_t *named, const char *name)
{
    if (name[0] && *named < 5)
        mc_buf_printf(names, "%s%s", (*named)++ ? ", " : "", name);
}

/* qsort order of C strings (through pointers to them). */
static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A domain's deferrals, for the tally below. */
typedef struct {
    char *domain;
    uint64_t count;
} domain_tally;

/* qsort orders of domain tallies: by name; by count, largest first. */
static int tally_by_name(const void *a, const void *b)
{
    return strcmp(((const domain_tally *)a)->domain, ((const domain_tally *)b)->domain);
}
static int tally_by_count(const void *a, const void *b)
{
    const domain_tally *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->domain, y->domain);
}

/* The senders of a problem, then the deferrals of theirs by domain, read
 * row by row from the store (store8: the window's every deferred sender
 * and domain was copied first, 19,000 rows on the Postfix 200 MB log). */
typedef struct {
    char **senders; /* the problem's, sorted once read */
    size_t n_senders, senders_cap;
    domain_tally *t; /* one per deferred row of a known sender that names a domain */
    size_t n, cap;
} sender_tally;

/* Keeps a sender of the problem (store_rows' callback; key: sender). */
static bool keep_sender(const mc_row *row, void *ctx)
{
    sender_tally *st = ctx;
    if (st->n_senders == st->senders_cap) {
        st->senders_cap = st->senders_cap ? st->senders_cap * 2 : 16;
        st->senders = mc_xrealloc(st->senders, st->senders_cap * sizeof *st->senders);
    }
    st->senders[st->n_senders++] = mc_xstrdup(row->values[0]);
    return true;
}

/* Tallies a deferred row (keys: sender, domain) whose sender is the
 * problem's and which names a domain. */
static bool tally_deferral(const mc_row *row, void *ctx)
{
    sender_tally *st = ctx;
    const char *sender = row->values[0];
    if (!sender[0] || !row->values[1][0] ||
        !bsearch(&sender, st->senders, st->n_senders, sizeof *st->senders, by_string))
        return true;
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 16;
        st->t = mc_xrealloc(st->t, st->cap * sizeof *st->t);
    }
    st->t[st->n++] = (domain_tally){mc_xstrdup(row->values[1]), row->count};
    return true;
}

/* The domains of the window's deferrals from the problem's own senders,
 * most deferrals first: what a problem without domains (Postfix writes
 * "status=expired" with the sender only) most likely waited for. */
static void deferred_domains_of_senders(problems_cache *c, const kept_row *r, mc_buf *names, size_t *named)
{
    sender_tally st;
    memset(&st, 0, sizeof st);
    char err[256];
    static const char *const sender_key[1] = {"sender"}, *const keys[2] = {"sender", "domain"};
    mc_filter pf;
    problems_filter(r, &pf);
    mc_filter f = {.problems_only = true, .keys = {"section", "status"},
                   .values = {r->values[P_DIRECTION], "deferred"}, .n = 2};
    bool ok = store_rows(c->s, c->w, sender_key, 1, &pf, 0, keep_sender, &st, err, sizeof err);
    if (ok && st.n_senders > 1)
        qsort(st.senders, st.n_senders, sizeof *st.senders, by_string);
    ok = ok && st.n_senders > 0 && store_rows(c->s, c->w, keys, 2, &f, 0, tally_deferral, &st, err, sizeof err);
    domain_tally *t = st.t;
    size_t n = ok ? st.n : 0;
    if (n > 1)
        qsort(t, n, sizeof *t, tally_by_name);
    size_t m = 0; /* one tally per domain: its first copy holds the sum */
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && strcmp(t[m - 1].domain, t[i].domain) == 0) {
            t[m - 1].count += t[i].count;
            free(t[i].domain);
        } else {
            t[m++] = t[i];
        }
    }
    if (m > 1)
        qsort(t, m, sizeof *t, tally_by_count);
    for (size_t i = 0; i < m; i++)
        add_name(names, named, t[i].domain);
    for (size_t i = 0; i < (ok ? m : st.n); i++)
        free(t[i].domain);
    free(t);
    for (size_t i = 0; i < st.n_senders; i++)
        free(st.senders[i]);
    free(st.senders);
}

/* The advice in the voice of the problem's direction, its {domains}
 * named: the problem's own domains, most events first. */
const char *problems_advice(problems_cache *c, const mc_rules *rules, const mc_lang *l, const kept_row *r,
                            mc_buf *out)
{
    const char *a = advice_text(rules, r);
    mc_buf_reset(out);
    if (strstr(a, "{domains}") == NULL) {
        mc_buf_adds(out, a);
        return out->data;
    }
    mc_buf names;
    mc_buf_init(&names);
    size_t named = 0;
    const problem_values *v = problems_values(c, r, "domain");
    /* a problem's values differ, so at most one is empty: the five names are in its top */
    for (size_t i = 0; v && i < v->top.n; i++)
        add_name(&names, &named, v->top.rows[i].values[0]);
    if (named == 0)
        deferred_domains_of_senders(c, r, &names, &named);
    knowledge_fill_domains(out, a, names.len ? names.data : lang_word(l, "advice_same_domain"));
    mc_buf_free(&names);
    return out->data;
}

/* The keys a cache holds, in the order of an entry's arrays. */
static const char *const cached_keys[P_NCACHED] = {"domain", "relay", "client"};

/* One problem of the cache: its identity (its P_NKEYS values and class,
 * each ended by a NUL) and its values of each cached key. */
struct problems_entry {
    uint64_t hash;
    char *identity;
    size_t identity_len;
    problem_values v[P_NCACHED];
};

void problems_cache_init(problems_cache *c, mc_store *s, const mc_window *w)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->w = w;
    mc_random_key(c->hash_key, c);
}

void problems_cache_free(problems_cache *c)
{
    for (size_t i = 0; i < c->n_slots; i++) {
        problems_entry *e = c->slots[i];
        if (e == NULL)
            continue;
        for (size_t j = 0; j < P_NCACHED; j++)
            rows_free(&e->v[j].top);
        free(e->identity);
        free(e);
    }
    free(c->slots);
    memset(c, 0, sizeof *c);
}

size_t problems_cache_rows(const problems_cache *c)
{
    return c->kept;
}

/* A problem's identity into b: its keys and its class as kept_row holds
 * it (the columns problems_filter selects by), each ended by a NUL. */
static void identity_key(mc_buf *b, const char *const *values, const char *klass)
{
    char k[sizeof ((kept_row *)NULL)->klass];
    snprintf(k, sizeof k, "%s", klass ? klass : "unknown"); /* as keep_row cuts it */
    mc_buf_reset(b);
    for (size_t i = 0; i < P_NKEYS; i++)
        mc_buf_add(b, values[i], strlen(values[i]) + 1);
    mc_buf_add(b, k, strlen(k) + 1);
}

/* Doubles the cache's table (at least 64 slots), keeping every entry. */
static void entries_grow(problems_cache *c)
{
    size_t n_slots = c->n_slots ? c->n_slots * 2 : 64;
    problems_entry **slots = mc_xcalloc(n_slots, sizeof *slots);
    for (size_t i = 0; i < c->n_slots; i++) {
        problems_entry *e = c->slots[i];
        if (e == NULL)
            continue;
        size_t j = (size_t)e->hash & (n_slots - 1);
        while (slots[j])
            j = (j + 1) & (n_slots - 1);
        slots[j] = e;
    }
    free(c->slots);
    c->slots = slots;
    c->n_slots = n_slots;
}

/* The entry of the identity in b (identity_key); made when create and
 * new, else NULL when the cache has no such problem. */
static problems_entry *entry_find(problems_cache *c, const mc_buf *b, bool create)
{
    if (create && 2 * (c->n + 1) > c->n_slots)
        entries_grow(c);
    if (c->n_slots == 0)
        return NULL;
    uint64_t h = mc_siphash13(c->hash_key, b->data, b->len); /* the values are the log's */
    size_t mask = c->n_slots - 1, i = (size_t)h & mask;
    for (; c->slots[i]; i = (i + 1) & mask) {
        problems_entry *e = c->slots[i];
        if (e->hash == h && e->identity_len == b->len && memcmp(e->identity, b->data, b->len) == 0)
            return e;
    }
    if (!create)
        return NULL;
    problems_entry *e = mc_xcalloc(1, sizeof *e);
    e->hash = h;
    e->identity = mc_xmalloc(b->len);
    memcpy(e->identity, b->data, b->len);
    e->identity_len = b->len;
    for (size_t j = 0; j < P_NCACHED; j++)
        e->v[j].top.n_keys = 1;
    c->slots[i] = e;
    c->n++;
    return e;
}

/* A key's query being read into the cache. */
typedef struct {
    problems_cache *c;
    size_t slot;
    mc_buf key; /* the row's identity */
} cache_loader;

/* One row of a key's query (a problem's keys, the value, class, count),
 * in the query's order: kept in its problem's top while that has room,
 * else counted in its rest. */
static bool cache_row(const mc_row *row, void *ctx)
{
    cache_loader *l = ctx;
    identity_key(&l->key, row->values, row->klass);
    problem_values *v = &entry_find(l->c, &l->key, true)->v[l->slot];
    v->n++;
    if (v->top.n == PROBLEMS_VALUES_KEPT) {
        v->rest += row->count;
        return true;
    }
    if (v->top.n == v->top.cap) {
        v->top.cap = v->top.cap ? v->top.cap * 2 : 4;
        v->top.rows = mc_xrealloc(v->top.rows, v->top.cap * sizeof *v->top.rows);
    }
    kept_row *y = &v->top.rows[v->top.n++];
    memset(y, 0, sizeof *y);
    y->values[0] = mc_xstrdup(row->values[P_NKEYS]);
    snprintf(y->klass, sizeof y->klass, "%s", row->klass ? row->klass : "unknown");
    y->count = row->count;
    l->c->kept++;
    return true;
}

/* Reads key slot of c: every problem's values of that key in one query,
 * grouped and ordered as a query of the problem's own would be (the
 * problem's keys equal, the count, then the value), problem by problem. */
static bool cache_load(problems_cache *c, size_t slot)
{
    if (c->loaded[slot])
        return !c->failed[slot];
    c->loaded[slot] = true;
    char err[256];
    const char *keys[P_NKEYS + 1] = {[P_NKEYS] = cached_keys[slot]};
    for (size_t i = 0; i < P_NKEYS; i++)
        keys[i] = problem_keys[i];
    cache_loader l = {.c = c, .slot = slot};
    mc_buf_init(&l.key);
    bool ok = store_tuple_rows(c->s, c->w, keys, P_NKEYS + 1, cache_row, &l, err, sizeof err);
    mc_buf_free(&l.key);
    if (!ok) { /* no half answer: the slot is empty, as if never read */
        c->failed[slot] = true;
        for (size_t i = 0; i < c->n_slots; i++) {
            problems_entry *e = c->slots[i];
            if (e == NULL)
                continue;
            c->kept -= e->v[slot].top.n;
            rows_free(&e->v[slot].top);
            e->v[slot] = (problem_values){.top.n_keys = 1};
        }
    }
    return ok;
}

const problem_values *problems_values(problems_cache *c, const kept_row *r, const char *key)
{
    static const problem_values none = {.top.n_keys = 1}; /* a problem without such events */
    for (size_t slot = 0; slot < P_NCACHED; slot++) {
        if (strcmp(key, cached_keys[slot]) != 0)
            continue;
        if (!cache_load(c, slot))
            return NULL;
        mc_buf b;
        mc_buf_init(&b);
        identity_key(&b, (const char *const *)r->values, r->klass);
        const problems_entry *e = entry_find(c, &b, false);
        mc_buf_free(&b);
        return e ? &e->v[slot] : &none;
    }
    return NULL;
}

/* What a problem is broken down by first: the refused clients of an
 * inbound problem (who to look at or let through), the domains of the others. */
const char *problems_breakdown_key(const kept_row *r)
{
    return is_inbound(r) ? "client" : "domain";
}

/* Its label key in rules/lang. */
const char *problems_breakdown_label(const kept_row *r)
{
    return is_inbound(r) ? LK("label_clients") : LK("label_domains");
}

/* "a (12), b (3), others (4)": the top three values of key among the
 * events of problem r, adding up to its count; an empty value (a line that
 * names no relay or domain, e.g. Postfix's expiry) is "not in the log",
 * not "none", which would read as a value; both in the reader's language. */
void problems_breakdown(problems_cache *c, const kept_row *r, const char *key, const mc_lang *l, mc_buf *out)
{
    mc_buf_reset(out);
    const problem_values *v = problems_values(c, r, key);
    if (v == NULL)
        return;
    uint64_t others = v->rest;
    for (size_t i = 0; i < v->top.n; i++) {
        const kept_row *x = &v->top.rows[i];
        if (i >= 3) {
            others += x->count;
            continue;
        }
        mc_buf_printf(out, "%s%s (%llu)", i ? ", " : "", x->values[0][0] ? x->values[0] : lang_word(l, "not_logged"),
                      (unsigned long long)x->count);
    }
    if (others)
        mc_buf_printf(out, ", %s (%llu)", lang_word(l, "others"), (unsigned long long)others);
}

/* Walks the top problems section by section (our MTA itself, local,
 * outbound, inbound), each numbered by its rank. */
void problems_by_section(const kept_rows *k, size_t top, const problems_visitor *v, const problems_writer *w)
{
    if (top == 0 || top > k->n) /* 0: all */
        top = k->n;
    for (size_t d = 0; d < PROBLEM_SECTIONS; d++) {
        bool headed = false;
        for (size_t i = 0; i < top; i++) {
            const kept_row *r = &k->rows[i];
            if (strcmp(problems_section(r), problems_sections[d]) != 0)
                continue;
            if (!headed && v->heading)
                v->heading(w, d);
            headed = true;
            v->problem(w, i + 1, r);
        }
        if (headed && v->end)
            v->end(w, d);
    }
}

/* Gathers the window's problems once and walks them with v: the daily
 * report's text and HTML differ only in their markup. */
bool problems_write(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                    const mc_totals *t, bool share, size_t top, const problems_visitor *v, FILE *out, char *err,
                    size_t errlen)
{
    kept_rows k;
    bool have_prev;
    problems_cache pc;
    problems_cache_init(&pc, s, &o->window);
    if (!problems_gather(&pc, rules, o, &k, &have_prev, err, errlen)) {
        problems_cache_free(&pc);
        return false;
    }
    mc_buf buf;
    mc_buf_init(&buf);
    problems_writer w = {&pc, rules, o, l, share ? t : NULL, &buf, out};
    if (v->lead)
        v->lead(&w, t, k.n);
    problems_by_section(&k, top, v, &w);
    mc_buf_free(&buf);
    rows_free(&k);
    problems_cache_free(&pc);
    return true;
}
