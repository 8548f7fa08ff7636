/*
 * mtawarn.c - find the MTA's own warnings, errors, fatal errors and panics
 * among the log lines, and fold each into the text of its group.
 *
 * Most lines are not warnings, so a line costs one scan of an automaton
 * of every rule's literals (which the rule's pattern must contain, read
 * off the pattern at load); only a line holding one is split into its
 * envelope and meets the patterns whose literals it holds.  The envelope
 * is split again here, with a copy of the parser's year state, rather
 * than taken from the parser: the outcome parser stays as it is.
 */
#include "mtawarn.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "lineshape.h"
#include "logline.h"

/* Literals over all MTAs: the bits of one scan live on the stack. */
#define MAX_WORDS 4
#define MAX_LITERALS (MAX_WORDS * 64)

/* A severity word: lowercase letters, short enough for its column. */
static bool severity_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= MC_SEVERITY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return false;
    return true;
}

/* One severity = pattern line: compiled, its literals registered. */
static bool load_rule(mc_warn_rules *w, mc_warn_mta *m, const char *path, const conf_entry *e, char *err,
                      size_t errlen)
{
    if (!severity_ok(e->key))
        return conf_error(err, errlen, path, e->line,
                          "[@warnings]: '%s' is not a severity (lowercase letters, at most %d)", e->key,
                          MC_SEVERITY_MAX - 1);
    char **lits;
    size_t n = prefilter_literals(e->value, &lits);
    if (n == 0)
        return conf_error(err, errlen, path, e->line,
                          "[@warnings]: the pattern has no literal every match must hold (a line would"
                          " be split for nothing): name its words");
    m->rules = mc_xrealloc(m->rules, (m->n_rules + 1) * sizeof *m->rules);
    mc_warn_rule *r = &m->rules[m->n_rules];
    memset(r, 0, sizeof *r);
    bool ok = litset_count(w->literals) + n <= MAX_LITERALS;
    if (!ok)
        conf_error(err, errlen, path, e->line, "[@warnings]: more than %d literals in all", MAX_LITERALS);
    else
        ok = pattern_compile(&r->pat, e->value, 0, path, e->line, err, errlen);
    if (ok) {
        r->severity = mc_xstrdup(e->key);
        r->literal_ids = mc_xmalloc(n * sizeof *r->literal_ids);
        for (size_t i = 0; i < n; i++)
            r->literal_ids[i] = litset_add(w->literals, lits[i]);
        r->n_literals = n;
        m->n_rules++;
    }
    prefilter_free_literals(lits, n);
    return ok;
}

/* The [@warnings] section of one MTA file, when it has one. */
static bool load_file(mc_warn_rules *w, const char *path, char *err, size_t errlen)
{
    conf_file *cf = conf_load(path, err, errlen);
    if (cf == NULL)
        return false;
    const conf_section *s = conf_find_section(cf, "@warnings");
    const char *name = conf_get(conf_find_section(cf, "@mta"), "name");
    bool ok = true;
    if (s != NULL) {
        w->mtas = mc_xrealloc(w->mtas, (w->n_mtas + 1) * sizeof *w->mtas);
        mc_warn_mta *m = &w->mtas[w->n_mtas++];
        memset(m, 0, sizeof *m);
        m->mta = mc_xstrdup(name ? name : "");
        for (size_t i = 0; ok && i < s->n_entries; i++) {
            const conf_entry *e = &s->entries[i];
            if (strcmp(e->key, "program") == 0) {
                if (m->has_program)
                    ok = conf_error(err, errlen, path, e->line, "[@warnings] has a second program");
                else
                    ok = m->has_program = pattern_compile(&m->program, e->value, 0, path, e->line, err, errlen);
            } else if (strcmp(e->key, "own_log") == 0) {
                ok = conf_yes_no(path, e, &m->own_log, err, errlen);
            } else {
                ok = load_rule(w, m, path, e, err, errlen);
            }
        }
    }
    conf_free(cf);
    return ok;
}

/* Loads every MTA file's [@warnings]. */
bool mtawarn_load(mc_warn_rules *w, const char *dir, const char *const *mta_files, size_t n_files, char *err,
                  size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->literals = litset_new();
    bool ok = true;
    for (size_t i = 0; ok && i < n_files; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, mta_files[i]);
        ok = load_file(w, path, err, errlen);
    }
    if (!ok) {
        mtawarn_free(w);
        return false;
    }
    litset_build(w->literals);
    return true;
}

/* Frees what mtawarn_load built. */
void mtawarn_free(mc_warn_rules *w)
{
    for (size_t i = 0; i < w->n_mtas; i++) {
        mc_warn_mta *m = &w->mtas[i];
        for (size_t j = 0; j < m->n_rules; j++) {
            pattern_free(&m->rules[j].pat);
            free(m->rules[j].severity);
            free(m->rules[j].literal_ids);
        }
        free(m->rules);
        if (m->has_program)
            pattern_free(&m->program);
        free(m->mta);
    }
    free(w->mtas);
    litset_free(w->literals);
    memset(w, 0, sizeof *w);
}

/* Whether one of the rule's literals was found in the line. */
static bool rule_possible(const mc_warn_rule *r, const uint64_t *bits)
{
    for (size_t i = 0; i < r->n_literals; i++) {
        int id = r->literal_ids[i];
        if (bits[id / 64] & (1ULL << (id % 64)))
            return true;
    }
    return false;
}

/* Whether the line's envelope is this MTA's. */
static bool line_of(const mc_warn_mta *m, mc_matcher *mt, const mc_logline *env)
{
    if (env->program.n == 0)
        return m->own_log && env->form == LOGLINE_EXIM;
    return m->has_program && pattern_match(&m->program, mt, env->program);
}

/* Whether line is one of the MTA's warnings. */
bool mtawarn_line(const mc_warn_rules *w, mc_parser *p, mc_str line, mc_buf *scratch, mc_warning *out)
{
    if (w->n_mtas == 0 || litset_count(w->literals) == 0)
        return false;
    uint64_t bits[MAX_WORDS];
    litset_scan(w->literals, line, bits);
    bool any = false;
    for (size_t i = 0; i < litset_words(w->literals); i++)
        any |= bits[i] != 0;
    if (!any)
        return false;
    mc_year_ctx years = p->years; /* the parser's year, not moved by this second look */
    mc_logline env;
    if (!logline_split_buf(line, &years, scratch, &env) || env.message.n == 0)
        return false;
    for (size_t i = 0; i < w->n_mtas; i++) {
        const mc_warn_mta *m = &w->mtas[i];
        for (size_t j = 0; j < m->n_rules; j++) {
            const mc_warn_rule *r = &m->rules[j];
            if (!rule_possible(r, bits) || !line_of(m, &p->matcher, &env) ||
                !pattern_match(&r->pat, &p->matcher, env.message))
                continue;
            mc_str text = pattern_group(&r->pat, &p->matcher, env.message, G_TEXT);
            if (text.p == NULL)
                text = env.message;
            text_shape(text, out->text, sizeof out->text);
            out->mta = m->mta;
            out->severity = r->severity;
            out->message = env.message;
            return true;
        }
    }
    return false;
}

/* Finds and counts one warning line. */
void mtawarn_count(const mc_warn_rules *w, mc_parser *p, mc_str line, mc_aggregate *agg)
{
    mc_buf scratch = {0}; /* allocated only by a journald line that holds a literal */
    mc_warning found;
    if (mtawarn_line(w, p, line, &scratch, &found))
        aggregate_warning(agg, &p->last_time, found.mta, found.severity, found.text, found.message);
    mc_buf_free(&scratch);
}
