/*
 * classify.c - class, conflict, reason and hardness of an event.
 *
 * Class follows SPEC.md: the basic code decides, else the enhanced code,
 * else the status.  A reply such as "550 4.2.2" keeps class permanent (the
 * basic code is what the client acts on) and is flagged as a conflict.
 * Reasons are tried in rules/reasons.conf order; the first that fits wins,
 * so specific reasons go above general ones there.
 */
#include "classify.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"

static char **split_list(const char *value, size_t *n_out)
{
    size_t n = 0, cap = 4;
    char **w = mc_xmalloc(cap * sizeof *w);
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *s = p;
        while (*p && *p != ' ' && *p != ',')
            p++;
        if (p > s) {
            if (n == cap)
                w = mc_xrealloc(w, (cap *= 2) * sizeof *w);
            w[n++] = mc_xstrndup(s, (size_t)(p - s));
        }
    }
    *n_out = n;
    return w;
}

static void free_list(char **w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(w[i]);
    free(w);
}

static bool load_reason(mc_reason *r, const conf_file *cf, const conf_section *s, char *err,
                        size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->name = mc_xstrdup(s->name);
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        const char *k = e->key;
        if (strcmp(k, "label") == 0) {
            free(r->label);
            r->label = mc_xstrdup(e->value);
        } else if (strcmp(k, "advice") == 0) {
            free(r->advice);
            r->advice = mc_xstrdup(e->value);
        } else if (strcmp(k, "detail") == 0) {
            free(r->detail);
            r->detail = mc_xstrdup(e->value);
        } else if (strcmp(k, "code") == 0) {
            size_t n;
            char **w = split_list(e->value, &n);
            for (size_t j = 0; j < n; j++) {
                size_t len = strlen(w[j]);
                bool ok = len >= 1 && len <= 3 && w[j][0] >= '2' && w[j][0] <= '5';
                for (size_t c = 1; c < len; c++)
                    ok = ok && w[j][c] >= '0' && w[j][c] <= '9';
                if (!ok) {
                    snprintf(err, errlen, "%s:%d: '%s' is not a reply code or prefix (5, 55, 550)",
                             cf->path, e->line, w[j]);
                    free_list(w, n);
                    return false;
                }
            }
            r->codes = mc_xrealloc(r->codes, (r->n_codes + n) * sizeof *r->codes);
            memcpy(r->codes + r->n_codes, w, n * sizeof *w);
            r->n_codes += n;
            free(w);
        } else if (strcmp(k, "enhanced") == 0) {
            size_t n;
            char **w = split_list(e->value, &n);
            for (size_t j = 0; j < n; j++) {
                char probe[16];
                snprintf(probe, sizeof probe, "%s", w[j]);
                if (probe[0] == 'X')
                    probe[0] = '5';
                if (!is_enhanced_code(probe)) {
                    snprintf(err, errlen, "%s:%d: '%s' is not an enhanced code (5.1.1 or X.1.1)",
                             cf->path, e->line, w[j]);
                    free_list(w, n);
                    return false;
                }
            }
            r->enhanced = mc_xrealloc(r->enhanced, (r->n_enhanced + n) * sizeof *r->enhanced);
            memcpy(r->enhanced + r->n_enhanced, w, n * sizeof *w);
            r->n_enhanced += n;
            free(w);
        } else if (strcmp(k, "match") == 0) {
            r->patterns = mc_xrealloc(r->patterns, (r->n_patterns + 1) * sizeof *r->patterns);
            if (!pattern_compile(&r->patterns[r->n_patterns], e->value, PCRE2_CASELESS, cf->path,
                                 e->line, err, errlen))
                return false;
            r->n_patterns++;
        } else if (strcmp(k, "class") == 0) {
            size_t n;
            char **w = split_list(e->value, &n);
            for (size_t j = 0; j < n; j++) {
                mc_class c;
                if (!mc_class_from_string(w[j], &c)) {
                    snprintf(err, errlen, "%s:%d: '%s' is not a class", cf->path, e->line, w[j]);
                    free_list(w, n);
                    return false;
                }
                r->klass_mask |= 1 << c;
            }
            free_list(w, n);
        } else if (strcmp(k, "hard") == 0 || strcmp(k, "by_code_alone") == 0) {
            bool v = strcmp(e->value, "yes") == 0;
            if (!v && strcmp(e->value, "no") != 0) {
                snprintf(err, errlen, "%s:%d: %s must be yes or no", cf->path, e->line, k);
                return false;
            }
            if (k[0] == 'h')
                r->hard = v;
            else
                r->by_code_alone = v;
        } else {
            snprintf(err, errlen, "%s:%d: unknown key '%s' in reason [%s]", cf->path, e->line, k, s->name);
            return false;
        }
    }
    if (r->advice == NULL) {
        snprintf(err, errlen, "%s:%d: reason [%s] has no advice", cf->path, s->line, s->name);
        return false;
    }
    if (r->n_patterns == 0 && !r->by_code_alone) {
        snprintf(err, errlen, "%s:%d: reason [%s] has no match pattern (or by_code_alone = yes)",
                 cf->path, s->line, s->name);
        return false;
    }
    return true;
}

static void free_reason(mc_reason *r)
{
    free(r->name);
    free(r->label);
    free(r->advice);
    free(r->detail);
    free_list(r->codes, r->n_codes);
    free_list(r->enhanced, r->n_enhanced);
    for (size_t i = 0; i < r->n_patterns; i++)
        pattern_free(&r->patterns[i]);
    free(r->patterns);
}

bool reasons_load(mc_reasons *rs, const char *dir, char *err, size_t errlen)
{
    memset(rs, 0, sizeof *rs);
    char path[4096];
    snprintf(path, sizeof path, "%s/reasons.conf", dir);
    conf_file *cf = conf_load(path, err, errlen);
    if (cf == NULL)
        return false;
    rs->reasons = mc_xcalloc(cf->n_sections, sizeof *rs->reasons);
    bool ok = true;
    for (size_t i = 0; ok && i < cf->n_sections; i++) {
        ok = load_reason(&rs->reasons[rs->n_reasons], cf, &cf->sections[i], err, errlen);
        rs->n_reasons++;
    }
    conf_free(cf);
    if (!ok)
        reasons_free(rs);
    return ok;
}

void reasons_free(mc_reasons *rs)
{
    for (size_t i = 0; i < rs->n_reasons; i++)
        free_reason(&rs->reasons[i]);
    free(rs->reasons);
    memset(rs, 0, sizeof *rs);
}

const mc_reason *reasons_find(const mc_reasons *rs, const char *name)
{
    for (size_t i = 0; i < rs->n_reasons; i++)
        if (strcmp(rs->reasons[i].name, name) == 0)
            return &rs->reasons[i];
    return NULL;
}

mc_class classify_codes(const char *code, const char *enhanced)
{
    if (code && code[0])
        return mc_class_of_digit(code[0]);
    if (enhanced && enhanced[0])
        return mc_class_of_digit(enhanced[0]);
    return CLASS_UNKNOWN;
}

static mc_class class_of_status(mc_str status)
{
    if (mc_str_eq(status, "sent") || mc_str_eq(status, "accepted"))
        return CLASS_SUCCESS;
    if (mc_str_eq(status, "deferred"))
        return CLASS_TRANSIENT;
    if (mc_str_eq(status, "bounced") || mc_str_eq(status, "expired"))
        return CLASS_PERMANENT;
    return CLASS_UNKNOWN;
}

static bool enhanced_listed(const mc_reason *r, const char *enh)
{
    if (!enh || !enh[0])
        return false;
    for (size_t i = 0; i < r->n_enhanced; i++) {
        const char *w = r->enhanced[i];
        if ((w[0] == 'X' || w[0] == enh[0]) && strcmp(w + 1, enh + 1) == 0)
            return true;
    }
    return false;
}

static bool code_listed(const mc_reason *r, const char *code)
{
    if (r->n_codes == 0)
        return true;
    if (!code || !code[0])
        return false;
    for (size_t i = 0; i < r->n_codes; i++)
        if (strncmp(code, r->codes[i], strlen(r->codes[i])) == 0)
            return true;
    return false;
}

const mc_reason *classify_reason(const mc_reasons *rs, mc_matcher *m, const char *code,
                                 const char *enhanced, mc_class klass, mc_str text, mc_str *detail)
{
    *detail = MC_STR_NULL;
    for (size_t i = 0; i < rs->n_reasons; i++) {
        const mc_reason *r = &rs->reasons[i];
        if (r->klass_mask && !(r->klass_mask & (1 << klass)))
            continue;
        bool have_enh_rule = r->n_enhanced > 0;
        if (r->n_codes > 0 && !code_listed(r, code) && !(have_enh_rule && enhanced_listed(r, enhanced)))
            continue;
        for (size_t j = 0; j < r->n_patterns && text.p; j++) {
            const mc_pattern *p = &r->patterns[j];
            if (pattern_match(p, m, text)) {
                if (r->detail)
                    *detail = mc_str_cstr(r->detail);
                else
                    *detail = pattern_group(p, m, text, G_DETAIL);
                return r;
            }
        }
        if (r->by_code_alone && (have_enh_rule ? enhanced_listed(r, enhanced) : code_listed(r, code))) {
            if (r->detail)
                *detail = mc_str_cstr(r->detail);
            return r;
        }
    }
    return NULL;
}

void classify_event(const mc_knowledge *k, const mc_reasons *rs, mc_matcher *m, mc_event *ev)
{
    mc_class basic = ev->code[0] ? mc_class_of_digit(ev->code[0]) : CLASS_UNKNOWN;
    mc_class enh = ev->enhanced[0] ? mc_class_of_digit(ev->enhanced[0]) : CLASS_UNKNOWN;
    if (basic != CLASS_UNKNOWN)
        ev->klass = basic;
    else if (enh != CLASS_UNKNOWN)
        ev->klass = enh;
    else
        ev->klass = class_of_status(ev->status);
    ev->conflict = basic != CLASS_UNKNOWN && enh != CLASS_UNKNOWN && basic != enh;

    /* Reasons read the remote's own words when the line quotes a reply, so
     * the MTA's wrapper ("refused to talk to me") cannot decide them. */
    mc_str words = ev->reply.p ? ev->reply : ev->text;
    const mc_reason *r = classify_reason(rs, m, ev->code, ev->enhanced, ev->klass, words,
                                         &ev->reason_detail);
    ev->reason = r ? r->name : NULL;
    ev->hard = ev->klass == CLASS_PERMANENT &&
               ((r && r->hard) || knowledge_enhanced_is_hard(k, ev->enhanced));
}
