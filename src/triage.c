/*
 * triage.c - the few problems to act on now, ranked: permanent failures
 * outrank transient ones, new or rising problems outrank steady ones, and
 * each reason's weight (rules/reasons.conf) says the rest.  Each problem
 * comes with its evidence (count, the window before, first and last seen,
 * a sample reply) and the action.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "report_rows.h"
#include "textout.h"

/* How much a problem matters, before trend and size: a permanent failure
 * costs mail, a transient one only delay; the reason's weight (in
 * rules/reasons.conf) says the rest, e.g. greylisting is routine. */
static double severity(const mc_rules *rules, const char *klass, const char *reason)
{
    double s = strcmp(klass, "permanent") == 0 ? 3.0 : 1.0;
    const mc_reason *r = reason[0] ? reasons_find(&rules->reasons, reason) : NULL;
    return r ? s * r->weight : s;
}

/* Order of rows by class, then the four keys. */
static int key_cmp(const char *klass_a, char *const *a, const char *klass_b, char *const *b)
{
    int c = strcmp(klass_a, klass_b);
    for (size_t i = 0; c == 0 && i < 4; i++)
        c = strcmp(a[i], b[i]);
    return c;
}

/* qsort order of row pointers: by class and keys. */
static int by_key(const void *a, const void *b)
{
    const kept_row *x = *(kept_row *const *)a, *y = *(kept_row *const *)b;
    return key_cmp(x->klass, x->values, y->klass, y->values);
}

/* The current rows, sorted by key, that the window before is added to. */
typedef struct {
    kept_row **sorted;
    size_t n;
} previous_ctx;

/* store_rows callback over the window before: its count goes to the
 * current row with the same class and keys, if any.  Nothing is kept, so
 * a window before of any size costs no memory. */
static bool add_previous(const mc_row *row, void *vctx)
{
    previous_ctx *c = vctx;
    char klass[sizeof c->sorted[0]->klass];
    snprintf(klass, sizeof klass, "%s", row->klass ? row->klass : "unknown");
    char *values[4];
    for (size_t i = 0; i < 4; i++)
        values[i] = (char *)row->values[i];
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = key_cmp(klass, values, c->sorted[mid]->klass, c->sorted[mid]->values);
        if (d == 0) {
            c->sorted[mid]->previous += row->count;
            break;
        }
        if (d < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return true;
}

/* qsort order: highest score first. */
static int by_score(const void *a, const void *b)
{
    const kept_row *x = a, *y = b;
    return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

/* Writes the ranked list; returns an exit code. */
int triage_write(mc_store *s, const mc_rules *rules, const mc_report_opts *o, FILE *out)
{
    char err[1024];
    static const char *const keys[] = {"code", "enhanced", "reason", "domain"};
    kept_rows now;
    mc_filter f = {.problems_only = true};
    if (!rows_query(s, &o->window, keys, 4, &f, 500, &now, err, sizeof err)) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    bool have_prev = o->previous.since[0] != '\0';
    previous_ctx pc = {.sorted = mc_xcalloc(now.n + 1, sizeof *pc.sorted), .n = now.n};
    for (size_t i = 0; i < now.n; i++)
        pc.sorted[i] = &now.rows[i];
    if (now.n > 1)
        qsort(pc.sorted, now.n, sizeof *pc.sorted, by_key);
    /* The window before is streamed (its rows may be many), not kept. */
    bool ok = !have_prev || now.n == 0 ||
              store_rows(s, &o->previous, keys, 4, &f, 0, add_previous, &pc, err, sizeof err);
    free(pc.sorted);
    if (!ok) {
        rows_free(&now);
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    for (size_t i = 0; i < now.n; i++) {
        kept_row *r = &now.rows[i];
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
    report_window_words(o, win, sizeof win);
    fprintf(out, "Triage: %s%s\n", win, have_prev ? " (compared with the window before)" : "");
    size_t top = o->top ? o->top : 5;
    if (now.n == 0)
        fputs("\nNothing to act on: no transient or permanent failure in this window.\n", out);
    for (size_t i = 0; i < now.n && i < top; i++) {
        kept_row *r = &now.rows[i];
        const char *name, *advice;
        rows_knowledge(rules, r->values[0], r->values[1], r->values[2], &name, &advice);
        const mc_reason *rr = r->values[2][0] ? reasons_find(&rules->reasons, r->values[2]) : NULL;
        fprintf(out, "\n%zu. ", i + 1);
        if (o->color)
            fputs(text_class_color(r->klass), out);
        fprintf(out, "[%s] %s %s", r->klass, r->values[0][0] ? r->values[0] : "---",
                r->values[1][0] ? r->values[1] : "-.-.-");
        if (o->color)
            fputs("\033[0m", out);
        fputc(' ', out);
        text_cell(out, rr ? (rr->label ? rr->label : rr->name) : (name ? name : "unclassified"), 44, false);
        if (r->values[3][0]) {
            fputs(" at ", out);
            text_cell(out, r->values[3], 30, false);
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
            text_cell(out, r->sample, MC_TEXT_WIDTH - 13, false);
            fputc('\n', out);
        }
        if (advice)
            text_wrapped(out, "action:   ", advice, 13);
    }
    rows_free(&now);
    return MC_EXIT_OK;
}
