/*
 * classify.c - class, conflict, reason and hardness of an event.
 *
 * Class follows SPEC.md: the basic code decides, else the enhanced code,
 * else the status.  A reply such as "550 4.2.2" keeps class permanent (the
 * basic code is what the client acts on) and is flagged as a conflict.
 *
 * Reasons come from rules/reasons.conf: an ordered list of rules, each
 * naming the reason it gives; the first rule that fits wins, so specific
 * rules (a provider's reply, a named blocklist) go above general ones.
 * rules/blocklists.conf names the lists a reply may cite and how to get off
 * each, so "blocked using zen.spamhaus.org" gives reason blocklisted with
 * detail "Spamhaus ZEN" and Spamhaus's delisting procedure.
 */
#include "classify.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "conf.h"

/* Every load of the rules gets its own number, so cached decisions of one
 * rule set are never used for another. */
static _Atomic unsigned long generations;

static bool yes_no(const conf_file *cf, const conf_entry *e, bool *out, char *err, size_t errlen)
{
    if (strcmp(e->value, "yes") == 0)
        *out = true;
    else if (strcmp(e->value, "no") == 0)
        *out = false;
    else {
        snprintf(err, errlen, "%s:%d: %s must be yes or no", cf->path, e->line, e->key);
        return false;
    }
    return true;
}

static bool add_pattern(mc_pattern **arr, size_t *n, const conf_file *cf, const conf_entry *e, char *err,
                        size_t errlen)
{
    *arr = mc_xrealloc(*arr, (*n + 1) * sizeof **arr);
    if (!pattern_compile(&(*arr)[*n], e->value, PCRE2_CASELESS, cf->path, e->line, err, errlen))
        return false;
    (*n)++;
    return true;
}

static bool is_base_key(const char *k)
{
    return strcmp(k, "label") == 0 || strcmp(k, "family") == 0 || strcmp(k, "hard") == 0 ||
           strcmp(k, "weight") == 0;
}

/* Reads the rule keys of a section into r (which must be zeroed). */
static bool load_rule(mc_reason_rule *r, const conf_file *cf, const conf_section *s, bool base, char *err,
                      size_t errlen)
{
    r->id = mc_xstrdup(s->name);
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        const char *k = e->key;
        if (is_base_key(k)) {
            if (!base) {
                snprintf(err, errlen, "%s:%d: '%s' belongs in the reason's own section, not in [%s]",
                         cf->path, e->line, k, s->name);
                return false;
            }
        } else if (strcmp(k, "advice") == 0) {
            if (!base) {
                free(r->advice);
                r->advice = mc_xstrdup(e->value);
            }
        } else if (strcmp(k, "detail") == 0) {
            free(r->detail);
            r->detail = mc_xstrdup(e->value);
        } else if (strcmp(k, "code") == 0) {
            size_t n;
            char **w = mc_split_words(e->value, " ,", &n);
            for (size_t j = 0; j < n; j++) {
                size_t len = strlen(w[j]);
                bool ok = len >= 1 && len <= 3 && w[j][0] >= '2' && w[j][0] <= '5';
                for (size_t c = 1; c < len; c++)
                    ok = ok && w[j][c] >= '0' && w[j][c] <= '9';
                if (!ok) {
                    snprintf(err, errlen, "%s:%d: '%s' is not a reply code or prefix (5, 55, 550)",
                             cf->path, e->line, w[j]);
                    mc_free_words(w, n);
                    return false;
                }
            }
            r->codes = mc_xrealloc(r->codes, (r->n_codes + n) * sizeof *r->codes);
            memcpy(r->codes + r->n_codes, w, n * sizeof *w);
            r->n_codes += n;
            free(w);
        } else if (strcmp(k, "enhanced") == 0) {
            size_t n;
            char **w = mc_split_words(e->value, " ,", &n);
            for (size_t j = 0; j < n; j++) {
                char probe[16];
                snprintf(probe, sizeof probe, "%s", w[j]);
                if (probe[0] == 'X')
                    probe[0] = '5';
                if (!is_enhanced_code(probe)) {
                    snprintf(err, errlen, "%s:%d: '%s' is not an enhanced code (5.1.1 or X.1.1)",
                             cf->path, e->line, w[j]);
                    mc_free_words(w, n);
                    return false;
                }
            }
            r->enhanced = mc_xrealloc(r->enhanced, (r->n_enhanced + n) * sizeof *r->enhanced);
            memcpy(r->enhanced + r->n_enhanced, w, n * sizeof *w);
            r->n_enhanced += n;
            free(w);
        } else if (strcmp(k, "match") == 0) {
            if (!add_pattern(&r->patterns, &r->n_patterns, cf, e, err, errlen))
                return false;
        } else if (strcmp(k, "unless") == 0) {
            if (!add_pattern(&r->unless, &r->n_unless, cf, e, err, errlen))
                return false;
        } else if (strcmp(k, "require") == 0) {
            if (!add_pattern(&r->require, &r->n_require, cf, e, err, errlen))
                return false;
        } else if (strcmp(k, "class") == 0) {
            size_t n;
            char **w = mc_split_words(e->value, " ,", &n);
            for (size_t j = 0; j < n; j++) {
                mc_class c;
                if (!mc_class_from_string(w[j], &c)) {
                    snprintf(err, errlen, "%s:%d: '%s' is not a class", cf->path, e->line, w[j]);
                    mc_free_words(w, n);
                    return false;
                }
                r->klass_mask |= 1 << c;
            }
            mc_free_words(w, n);
        } else if (strcmp(k, "by_code_alone") == 0) {
            if (!yes_no(cf, e, &r->by_code_alone, err, errlen))
                return false;
        } else if (strcmp(k, "lists") == 0) {
            if (!yes_no(cf, e, &r->lists, err, errlen))
                return false;
        } else {
            snprintf(err, errlen, "%s:%d: unknown key '%s' in reason [%s]", cf->path, e->line, k, s->name);
            return false;
        }
    }
    if (r->by_code_alone && r->n_codes == 0 && r->n_enhanced == 0) {
        snprintf(err, errlen, "%s:%d: [%s] has by_code_alone = yes but no code or enhanced list", cf->path,
                 s->line, s->name);
        return false;
    }
    return true;
}

static void free_rule(mc_reason_rule *r)
{
    free(r->id);
    free(r->detail);
    free(r->advice);
    mc_free_words(r->codes, r->n_codes);
    mc_free_words(r->enhanced, r->n_enhanced);
    for (size_t i = 0; i < r->n_patterns; i++)
        pattern_free(&r->patterns[i]);
    free(r->patterns);
    for (size_t i = 0; i < r->n_unless; i++)
        pattern_free(&r->unless[i]);
    free(r->unless);
    for (size_t i = 0; i < r->n_require; i++)
        pattern_free(&r->require[i]);
    free(r->require);
}

/* A section that holds conditions (not only a reason's definition). */
static bool has_rule_keys(const conf_section *s)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        const char *k = s->entries[i].key;
        if (strcmp(k, "match") == 0 || strcmp(k, "by_code_alone") == 0 || strcmp(k, "lists") == 0 ||
            strcmp(k, "code") == 0 || strcmp(k, "enhanced") == 0 || strcmp(k, "unless") == 0 ||
            strcmp(k, "require") == 0 ||
            strcmp(k, "class") == 0 || strcmp(k, "detail") == 0)
            return true;
    }
    return false;
}

static bool load_base(mc_reason *r, const conf_file *cf, const conf_section *s, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->name = mc_xstrdup(s->name);
    r->weight = 1.0;
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        if (strcmp(e->key, "weight") == 0) {
            char *end;
            double w = strtod(e->value, &end);
            if (*e->value == '\0' || *end != '\0' || !(w >= 0.0 && w <= 10.0)) {
                snprintf(err, errlen, "%s:%d: weight must be a number from 0 to 10", cf->path, e->line);
                return false;
            }
            r->weight = w;
        } else if (strcmp(e->key, "label") == 0) {
            free(r->label);
            r->label = mc_xstrdup(e->value);
        } else if (strcmp(e->key, "family") == 0) {
            free(r->family);
            r->family = mc_xstrdup(e->value);
        } else if (strcmp(e->key, "advice") == 0) {
            free(r->advice);
            r->advice = mc_xstrdup(e->value);
        } else if (strcmp(e->key, "hard") == 0) {
            if (!yes_no(cf, e, &r->hard, err, errlen))
                return false;
        }
    }
    if (r->advice == NULL) {
        snprintf(err, errlen, "%s:%d: reason [%s] has no advice", cf->path, s->line, s->name);
        return false;
    }
    return true;
}

static void free_base(mc_reason *r)
{
    free(r->name);
    free(r->label);
    free(r->family);
    free(r->advice);
}

static bool valid_reason_name(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

static bool load_reply_section(mc_reasons *rs, const conf_file *cf, const conf_section *s, char *err,
                               size_t errlen)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        if (strcmp(e->key, "pattern") != 0) {
            snprintf(err, errlen, "%s:%d: unknown key '%s' in [@reply] (pattern)", cf->path, e->line, e->key);
            return false;
        }
        if (!add_pattern(&rs->replies, &rs->n_replies, cf, e, err, errlen))
            return false;
        if (rs->replies[rs->n_replies - 1].group[G_CODE] < 0) {
            snprintf(err, errlen, "%s:%d: a [@reply] pattern needs a (?<code>...) group", cf->path, e->line);
            return false;
        }
    }
    return true;
}

static bool load_lists(mc_reasons *rs, const char *dir, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/blocklists.conf", dir);
    conf_file *cf = conf_load(path, err, errlen);
    if (cf == NULL)
        return false;
    rs->lists = mc_xcalloc(cf->n_sections ? cf->n_sections : 1, sizeof *rs->lists);
    bool ok = true;
    for (size_t i = 0; ok && i < cf->n_sections; i++) {
        const conf_section *s = &cf->sections[i];
        mc_blocklist *l = &rs->lists[rs->n_lists++];
        l->name = mc_xstrdup(s->name);
        for (size_t j = 0; ok && j < s->n_entries; j++) {
            const conf_entry *e = &s->entries[j];
            if (strcmp(e->key, "match") == 0) {
                ok = add_pattern(&l->patterns, &l->n_patterns, cf, e, err, errlen);
            } else if (strcmp(e->key, "advice") == 0) {
                free(l->advice);
                l->advice = mc_xstrdup(e->value);
            } else {
                snprintf(err, errlen, "%s:%d: unknown key '%s' in list [%s] (match, advice)", cf->path,
                         e->line, e->key, s->name);
                ok = false;
            }
        }
        if (ok && (l->n_patterns == 0 || l->advice == NULL)) {
            snprintf(err, errlen, "%s:%d: list [%s] needs a match pattern and advice", cf->path, s->line,
                     s->name);
            ok = false;
        }
    }
    conf_free(cf);
    return ok;
}

static ssize_t base_index(const mc_reasons *rs, const char *name, size_t n)
{
    for (size_t i = 0; i < rs->n_reasons; i++)
        if (strlen(rs->reasons[i].name) == n && memcmp(rs->reasons[i].name, name, n) == 0)
            return (ssize_t)i;
    return -1;
}

/* One automaton over the literals of every pattern: an event's reply is
 * scanned once, and most of the 100-odd regexes are then skipped. */
static void build_prefilter(mc_reasons *rs)
{
    rs->literals = litset_new();
    for (size_t i = 0; i < rs->n_rules; i++) {
        mc_reason_rule *r = &rs->rules[i];
        for (size_t j = 0; j < r->n_patterns; j++)
            pattern_use_prefilter(&r->patterns[j], rs->literals);
        for (size_t j = 0; j < r->n_require; j++)
            pattern_use_prefilter(&r->require[j], rs->literals);
        for (size_t j = 0; j < r->n_unless; j++)
            pattern_use_prefilter(&r->unless[j], rs->literals);
    }
    for (size_t i = 0; i < rs->n_lists; i++)
        for (size_t j = 0; j < rs->lists[i].n_patterns; j++)
            pattern_use_prefilter(&rs->lists[i].patterns[j], rs->literals);
    litset_build(rs->literals);
}

bool reasons_load(mc_reasons *rs, const char *dir, char *err, size_t errlen)
{
    memset(rs, 0, sizeof *rs);
    char path[4096];
    snprintf(path, sizeof path, "%s/reasons.conf", dir);
    conf_file *cf = conf_load(path, err, errlen);
    if (cf == NULL)
        return false;
    size_t cap = cf->n_sections ? cf->n_sections : 1;
    rs->reasons = mc_xcalloc(cap, sizeof *rs->reasons);
    rs->rules = mc_xcalloc(cap, sizeof *rs->rules);
    bool ok = true;
    /* First the reasons themselves, so a rule may come before its reason's
     * own section. */
    for (size_t i = 0; ok && i < cf->n_sections; i++) {
        const conf_section *s = &cf->sections[i];
        if (s->name[0] == '@') {
            if (strcmp(s->name, "@reply") == 0)
                ok = load_reply_section(rs, cf, s, err, errlen);
            else {
                snprintf(err, errlen, "%s:%d: unknown section [%s] (only [@reply])", cf->path, s->line, s->name);
                ok = false;
            }
            continue;
        }
        if (strchr(s->name, '/'))
            continue;
        if (!valid_reason_name(s->name, strlen(s->name))) {
            snprintf(err, errlen, "%s:%d: [%s]: a reason name is lower-case letters, digits and '-'",
                     cf->path, s->line, s->name);
            ok = false;
            break;
        }
        ok = load_base(&rs->reasons[rs->n_reasons], cf, s, err, errlen);
        rs->n_reasons++;
    }
    for (size_t i = 0; ok && i < rs->n_reasons; i++) {
        mc_reason *r = &rs->reasons[i];
        if (r->family && base_index(rs, r->family, strlen(r->family)) < 0) {
            const conf_section *s = conf_find_section(cf, r->name);
            snprintf(err, errlen, "%s:%d: family '%s' of [%s] is not a reason", cf->path,
                     conf_get_entry(s, "family")->line, r->family, r->name);
            ok = false;
        }
    }
    /* Then the rules, in file order. */
    for (size_t i = 0; ok && i < cf->n_sections; i++) {
        const conf_section *s = &cf->sections[i];
        if (s->name[0] == '@')
            continue;
        const char *slash = strchr(s->name, '/');
        bool base = slash == NULL;
        if (base && !has_rule_keys(s))
            continue;
        size_t blen = base ? strlen(s->name) : (size_t)(slash - s->name);
        ssize_t bi = base_index(rs, s->name, blen);
        if (bi < 0) {
            snprintf(err, errlen, "%s:%d: [%s]: there is no reason [%.*s]", cf->path, s->line, s->name,
                     (int)blen, s->name);
            ok = false;
            break;
        }
        mc_reason_rule *r = &rs->rules[rs->n_rules++];
        r->reason = (size_t)bi;
        ok = load_rule(r, cf, s, base, err, errlen);
        if (ok && r->n_patterns == 0 && !r->by_code_alone && !r->lists) {
            snprintf(err, errlen, "%s:%d: reason [%s] has no match pattern (or by_code_alone = yes, lists = yes)",
                     cf->path, s->line, s->name);
            ok = false;
        }
    }
    conf_free(cf);
    if (ok)
        ok = load_lists(rs, dir, err, errlen);
    if (ok)
        build_prefilter(rs);
    rs->generation = ++generations;
    if (!ok)
        reasons_free(rs);
    return ok;
}

void reasons_free(mc_reasons *rs)
{
    litset_free(rs->literals);
    for (size_t i = 0; i < rs->n_reasons; i++)
        free_base(&rs->reasons[i]);
    free(rs->reasons);
    for (size_t i = 0; i < rs->n_rules; i++)
        free_rule(&rs->rules[i]);
    free(rs->rules);
    for (size_t i = 0; i < rs->n_lists; i++) {
        mc_blocklist *l = &rs->lists[i];
        free(l->name);
        free(l->advice);
        for (size_t j = 0; j < l->n_patterns; j++)
            pattern_free(&l->patterns[j]);
        free(l->patterns);
    }
    free(rs->lists);
    for (size_t i = 0; i < rs->n_replies; i++)
        pattern_free(&rs->replies[i]);
    free(rs->replies);
    memset(rs, 0, sizeof *rs);
}

const mc_reason *reasons_find(const mc_reasons *rs, const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < rs->n_reasons; i++)
        if (strcmp(rs->reasons[i].name, name) == 0)
            return &rs->reasons[i];
    return NULL;
}

const char *reasons_family(const mc_reasons *rs, const char *name)
{
    const mc_reason *r = reasons_find(rs, name);
    return r && r->family ? r->family : name;
}

const char *reasons_detail_advice(const mc_reasons *rs, const char *reason, mc_str detail)
{
    if (detail.p == NULL || detail.n == 0)
        return NULL;
    for (size_t i = 0; i < rs->n_lists; i++)
        if (strlen(rs->lists[i].name) == detail.n && memcmp(rs->lists[i].name, detail.p, detail.n) == 0)
            return rs->lists[i].advice;
    for (size_t i = 0; i < rs->n_rules; i++) {
        const mc_reason_rule *r = &rs->rules[i];
        if (r->advice && r->detail && strlen(r->detail) == detail.n && memcmp(r->detail, detail.p, detail.n) == 0 &&
            (reason == NULL || strcmp(rs->reasons[r->reason].name, reason) == 0))
            return r->advice;
    }
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

static bool enhanced_listed(const mc_reason_rule *r, const char *enh)
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

static bool code_listed(const mc_reason_rule *r, const char *code)
{
    if (!code || !code[0])
        return false;
    for (size_t i = 0; i < r->n_codes; i++)
        if (strncmp(code, r->codes[i], strlen(r->codes[i])) == 0)
            return true;
    return false;
}

/* The code conditions: with both lists, either one is enough. */
static bool codes_fit(const mc_reason_rule *r, const char *code, const char *enhanced)
{
    if (r->n_codes == 0 && r->n_enhanced == 0)
        return true;
    return (r->n_codes > 0 && code_listed(r, code)) || (r->n_enhanced > 0 && enhanced_listed(r, enhanced));
}

static const mc_blocklist *find_list(const mc_reasons *rs, mc_matcher *m, mc_str text)
{
    for (size_t i = 0; i < rs->n_lists; i++)
        for (size_t j = 0; j < rs->lists[i].n_patterns; j++)
            if (pattern_match(&rs->lists[i].patterns[j], m, text))
                return &rs->lists[i];
    return NULL;
}

static bool all_match(const mc_pattern *pats, size_t n, mc_matcher *m, mc_str text)
{
    for (size_t i = 0; i < n; i++)
        if (!pattern_match(&pats[i], m, text))
            return false;
    return true;
}

static bool none_match(const mc_pattern *pats, size_t n, mc_matcher *m, mc_str text)
{
    for (size_t i = 0; i < n; i++)
        if (pattern_match(&pats[i], m, text))
            return false;
    return true;
}

/* Does rule r fit?  On success fills hit; *captured is the pattern whose
 * (?<detail>) capture gave the detail (NULL for a list or a fixed detail). */
static bool rule_fits(const mc_reasons *rs, const mc_reason_rule *r, mc_matcher *m, const char *code,
                      const char *enhanced, mc_class klass, mc_str text, mc_reason_hit *hit,
                      const mc_pattern **captured)
{
    if (r->klass_mask && klass != CLASS_UNKNOWN && !(r->klass_mask & (1 << klass)))
        return false;
    bool codes_ok = codes_fit(r, code, enhanced);
    if (!codes_ok && !r->by_code_alone)
        return false;
    const mc_pattern *matched = NULL;
    const mc_blocklist *list = NULL;
    bool fits = false;
    if (text.p && (r->n_patterns || r->lists) && all_match(r->require, r->n_require, m, text)) {
        for (size_t j = 0; j < r->n_patterns && !matched; j++)
            if (pattern_match(&r->patterns[j], m, text))
                matched = &r->patterns[j];
        fits = matched != NULL;
        if (r->lists && !fits) {
            list = find_list(rs, m, text);
            fits = list != NULL;
        } else if (r->lists) {
            list = find_list(rs, m, text);
        }
    }
    /* by_code_alone: the code list decides on its own, and a text match
     * needs no code; otherwise both must fit. */
    if (r->by_code_alone ? !(fits || codes_ok) : !(fits && codes_ok))
        return false;
    if (text.p && !none_match(r->unless, r->n_unless, m, text))
        return false;
    hit->reason = &rs->reasons[r->reason];
    hit->rule = r;
    hit->detail_advice = r->advice;
    hit->detail = MC_STR_NULL;
    *captured = NULL;
    if (list) {
        hit->detail = mc_str_cstr(list->name);
        hit->detail_advice = list->advice;
    } else if (r->detail) {
        hit->detail = mc_str_cstr(r->detail);
    } else if (matched && matched->group[G_DETAIL] >= 0) {
        /* Run the pattern that matched again: the other patterns since
         * reused the match data. */
        if (pattern_match(matched, m, text))
            hit->detail = pattern_group(matched, m, text, G_DETAIL);
        *captured = matched;
    }
    return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Length of an enhanced code at p ("5.7.26"), 0 when there is none. */
static size_t enhanced_len(const char *p, const char *end)
{
    const char *q = p;
    if (q >= end || !(*q == '2' || *q == '4' || *q == '5'))
        return 0;
    q++;
    for (int part = 0; part < 2; part++) {
        if (q >= end || *q != '.')
            return 0;
        q++;
        const char *s = q;
        while (q < end && is_digit(*q) && q - s < 3)
            q++;
        if (q == s)
            return 0;
    }
    return (size_t)(q - p);
}

/* A multi-line reply joined on one line repeats its code on every line
 * ("550-5.7.26 Unauthenticated email ... due to 550-5.7.26 domain's DMARC
 * policy").  Returns a malloc'd copy without the repeats, so a phrase split
 * across lines still matches, or NULL when the text has none. */
static char *unfold(mc_str text)
{
    const char *p = text.p, *end = text.p + text.n;
    const char *first = NULL;
    for (const char *q = p; q + 4 <= end; q++) {
        if ((q == p || q[-1] == ' ') && q[0] >= '2' && q[0] <= '5' && is_digit(q[1]) && is_digit(q[2]) &&
            q[3] == '-') {
            first = q;
            break;
        }
    }
    if (first == NULL)
        return NULL;
    char *out = NULL;
    size_t n = 0;
    const char *copied = p;
    for (const char *q = first + 4; q + 4 <= end; q++) {
        if (q[-1] != ' ' || memcmp(q, first, 3) != 0 || !(q[3] == '-' || q[3] == ' '))
            continue;
        const char *r = q + 4;
        size_t el = enhanced_len(r, end);
        if (el && (r + el == end || r[el] == ' '))
            r += el + (r + el < end);
        else if (el)
            continue;
        if (out == NULL)
            out = mc_xcalloc(1, text.n + 1); /* zeroed: PCRE2 JIT may read ahead */
        memcpy(out + n, copied, (size_t)(q - copied));
        n += (size_t)(q - copied);
        copied = r;
        q = r - 1;
    }
    if (out == NULL)
        return NULL;
    memcpy(out + n, copied, (size_t)(end - copied));
    n += (size_t)(end - copied);
    out[n] = '\0';
    return out;
}

/* The first rule that fits, in file order; its index, or -1. */
static long first_fit(const mc_reasons *rs, mc_matcher *m, const char *code, const char *enhanced,
                      mc_class klass, mc_str text, mc_reason_hit *hit, const mc_pattern **captured)
{
    for (size_t i = 0; i < rs->n_rules; i++)
        if (rule_fits(rs, &rs->rules[i], m, code, enhanced, klass, text, hit, captured))
            return (long)i;
    return -1;
}

/* ---- a small cache of decisions ----------------------------------------
 * Logs repeat the same replies (the same deferral for every message to one
 * host), and trying every rule costs tens of microseconds.  The cache maps
 * a 64-bit hash of (rule set, code, enhanced, class, text) to the rule that
 * fitted and what it gave.  A hit is answered from the slot, without any
 * pattern; a hash collision (odds 2^-64) could give another reply's
 * reason.  Per thread, fixed size, no allocation. */

#define CACHE_SLOTS 4096

typedef struct {
    uint64_t key;   /* 0: empty */
    long rule;      /* index, or -1: no rule fits */
    /* The whole answer, so a repeated reply runs no pattern at all: the
     * detail either points into the rules or lies at an offset of the
     * (identical) text. */
    mc_reason_hit hit;
    bool detail_in_text;
    size_t detail_off;
} cache_slot;

static _Thread_local cache_slot cache[CACHE_SLOTS];

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t cache_key(const mc_reasons *rs, const char *code, const char *enhanced, mc_class klass, mc_str text)
{
    uint64_t h = 14695981039346656037ull;
    h = fnv(h, &rs->generation, sizeof rs->generation);
    h = fnv(h, code ? code : "", code ? strlen(code) + 1 : 1);
    h = fnv(h, enhanced ? enhanced : "", enhanced ? strlen(enhanced) + 1 : 1);
    h = fnv(h, &klass, sizeof klass);
    h = fnv(h, text.p ? text.p : "", text.p ? text.n : 0);
    h = fnv(h, text.p ? "t" : "n", 1);
    return h ? h : 1;
}

bool classify_reason_hit(const mc_reasons *rs, mc_matcher *m, const char *code, const char *enhanced,
                         mc_class klass, mc_str text, mc_reason_hit *hit)
{
    memset(hit, 0, sizeof *hit);
    uint64_t key = cache_key(rs, code, enhanced, klass, text);
    cache_slot *slot = &cache[key % CACHE_SLOTS];
    if (slot->key == key) {
        /* The same reply as before (the key covers its every byte). */
        if (slot->rule < 0)
            return false;
        *hit = slot->hit;
        if (slot->detail_in_text)
            hit->detail = mc_str_make(text.p + slot->detail_off, slot->hit.detail.n);
        return true;
    }
    char *clean = text.p ? unfold(text) : NULL;
    mc_str words = clean ? mc_str_cstr(clean) : text;
    matcher_prefilter(m, rs->literals, words);
    const mc_pattern *captured = NULL;
    long found = first_fit(rs, m, code, enhanced, klass, words, hit, &captured);
    /* A detail captured from the copy must point into the caller's text:
     * capture it again there (or leave it unset). */
    if (clean && found >= 0 && captured) {
        hit->detail = MC_STR_NULL;
        if (pattern_match(captured, m, text))
            hit->detail = pattern_group(captured, m, text, G_DETAIL);
    }
    matcher_prefilter_clear(m);
    free(clean);
    slot->key = key;
    slot->rule = found;
    slot->hit = *hit;
    slot->detail_in_text = hit->detail.p && text.p && hit->detail.p >= text.p &&
                           hit->detail.p + hit->detail.n <= text.p + text.n;
    slot->detail_off = slot->detail_in_text ? (size_t)(hit->detail.p - text.p) : 0;
    return found >= 0;
}

const mc_reason *classify_reason(const mc_reasons *rs, mc_matcher *m, const char *code,
                                 const char *enhanced, mc_class klass, mc_str text, mc_str *detail)
{
    mc_reason_hit hit;
    classify_reason_hit(rs, m, code, enhanced, klass, text, &hit);
    *detail = hit.detail;
    return hit.reason;
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

    /* A success has no failure reason. */
    ev->reason = NULL;
    ev->reason_detail = MC_STR_NULL;
    const mc_reason *r = NULL;
    if (ev->klass != CLASS_SUCCESS && ev->klass != CLASS_INTERMEDIATE) {
        /* Reasons read the remote's own words when the line quotes a reply,
         * so the MTA's wrapper ("refused to talk to me") cannot decide them. */
        mc_str words = ev->reply.p ? ev->reply : ev->text;
        r = classify_reason(rs, m, ev->code, ev->enhanced, ev->klass, words, &ev->reason_detail);
        /* The MTA gave up after the queue lifetime and says no more (Postfix
         * "status=expired, returned to sender"): the status is the reason. */
        if (r == NULL && mc_str_eq(ev->status, "expired"))
            r = reasons_find(rs, "expired");
        ev->reason = r ? r->name : NULL;
    }
    ev->hard = ev->klass == CLASS_PERMANENT &&
               ((r && r->hard) || knowledge_enhanced_is_hard(k, ev->enhanced));
}
