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

#include "report_warnings.h"

const char *const problems_directions[3] = {"local", "outbound", "inbound"};

static const char *const problem_keys[P_NKEYS] = {"section", "status", "code", "enhanced", "reason"};

/* The reason named by a problem, or NULL. */
static const mc_reason *problem_reason(const mc_rules *rules, const kept_row *r)
{
    return r->values[P_REASON][0] ? reasons_find(&rules->reasons, r->values[P_REASON]) : NULL;
}

/* How much one event of a problem matters. */
double problems_severity(const mc_rules *rules, const kept_row *r)
{
    double s = strcmp(r->klass, "permanent") == 0 ? 3.0 : 1.0;
    const mc_reason *rr = problem_reason(rules, r);
    if (rr)
        s *= rr->weight;
    if (strcmp(r->values[P_DIRECTION], "local") == 0)
        s *= 3.0; /* our own users' mail is lost or late through our own fault */
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

/* qsort order: highest score first, then count, then the keys (stable output). */
static int by_score(const void *a, const void *b)
{
    const kept_row *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    for (size_t i = 0; i < P_NKEYS; i++) {
        int c = strcmp(x->values[i], y->values[i]);
        if (c)
            return c;
    }
    return strcmp(x->klass, y->klass);
}

/* Whether two rows are the same problem. */
static bool same_problem(const kept_row *a, const kept_row *b)
{
    if (strcmp(a->klass, b->klass) != 0 || strcmp(a->detail ? a->detail : "", b->detail ? b->detail : "") != 0)
        return false;
    for (size_t i = 0; i < P_NKEYS; i++)
        if (strcmp(a->values[i], b->values[i]) != 0)
            return false;
    return true;
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

/* Every problem of the window, ranked. */
bool problems_gather(mc_store *s, const mc_rules *rules, const mc_report_opts *o, kept_rows *k,
                     bool *have_prev, char *err, size_t errlen)
{
    mc_filter f = {.problems_only = true};
    if (!rows_query(s, &o->window, problem_keys, P_NKEYS, &f, 0, k, err, errlen))
        return false;
    if (!gather_warnings(s, rules, &o->window, k, err, errlen)) {
        rows_free(k);
        return false;
    }
    *have_prev = o->previous.since[0] != '\0';
    kept_rows before;
    memset(&before, 0, sizeof before);
    if (*have_prev && (!rows_query(s, &o->previous, problem_keys, P_NKEYS, &f, 0, &before, err, errlen) ||
                       !gather_warnings(s, rules, &o->previous, &before, err, errlen))) {
        rows_free(&before);
        rows_free(k);
        return false;
    }
    for (size_t i = 0; i < k->n; i++) {
        kept_row *r = &k->rows[i];
        for (size_t j = 0; j < before.n; j++)
            if (same_problem(r, &before.rows[j]))
                r->previous += before.rows[j].count;
        r->score = (1.0 + log((double)r->count)) * problems_severity(rules, r) * (*have_prev ? trend_factor(r) : 1.0);
    }
    rows_free(&before);
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

/* The problem's title. */
const char *problems_title(const mc_rules *rules, const kept_row *r)
{
    const char *name, *advice;
    if (r->detail && r->detail[0]) /* a group of the MTA's own fatal or panic lines */
        return r->detail;
    const mc_reason *rr = problem_reason(rules, r);
    if (rr)
        return rr->label ? rr->label : rr->name;
    rows_knowledge(rules, r->values[P_CODE], r->values[P_ENHANCED], "", &name, &advice);
    if (name)
        return name;
    rr = unexplained(rules);
    return rr && rr->label ? rr->label : "unexplained failure";
}

/* The advice in the voice of the problem's direction. */
const char *problems_advice(const mc_rules *rules, const kept_row *r)
{
    bool inbound = strcmp(r->values[P_DIRECTION], "inbound") == 0;
    const mc_reason *rr = problem_reason(rules, r);
    if (rr == NULL) {
        const char *name, *advice = NULL;
        if (!inbound)
            rows_knowledge(rules, r->values[P_CODE], r->values[P_ENHANCED], "", &name, &advice);
        if (advice)
            return advice;
        rr = unexplained(rules);
        if (rr == NULL)
            return "";
    }
    const char *a = inbound ? rr->receiver_advice : rr->advice;
    if (a == NULL) /* a one-direction reason seen in the other: say what we have */
        a = inbound ? rr->advice : rr->receiver_advice;
    return a ? a : "";
}

/* The values of key among the events of problem r, largest first. */
bool problems_values(mc_store *s, const mc_window *w, const kept_row *r, const char *key, kept_rows *k)
{
    char err[256];
    const char *keys[1] = {key};
    mc_filter f;
    problems_filter(r, &f);
    return rows_query(s, w, keys, 1, &f, 0, k, err, sizeof err);
}

/* "a (12), b (3), others (4)": the top three values of key among the
 * events of problem r, adding up to its count; an empty value (no relay,
 * no domain) is "none", both words in the reader's language. */
void problems_breakdown(mc_store *s, const mc_window *w, const kept_row *r, const char *key, const mc_lang *l,
                        mc_buf *out)
{
    kept_rows k;
    mc_buf_reset(out);
    if (!problems_values(s, w, r, key, &k))
        return;
    uint64_t others = 0;
    for (size_t i = 0; i < k.n; i++) {
        if (i >= 3) {
            others += k.rows[i].count;
            continue;
        }
        mc_buf_printf(out, "%s%s (%llu)", i ? ", " : "", k.rows[i].values[0][0] ? k.rows[i].values[0] : lang_word(l, "none"),
                      (unsigned long long)k.rows[i].count);
    }
    if (others)
        mc_buf_printf(out, ", %s (%llu)", lang_word(l, "others"), (unsigned long long)others);
    rows_free(&k);
}
