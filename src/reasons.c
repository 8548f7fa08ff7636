/*
 * reasons.c - the reason taxonomy and the rules that give reasons, loaded
 * from rules/reasons.conf and rules/blocklists.conf: what each reason is
 * (label, family, hardness, triage weight, advice), the ordered rules that
 * name a reason for a reply, the named blocklists with their delisting
 * procedures, and the lookups the report and explain pages need.
 *
 * reasons.conf holds two things in one ordered list of sections:
 *   [user-unknown]            a reason: label, family, hard, advice, and
 *                             (optionally) its first rule
 *   [user-unknown/gmail]      one more rule for that reason, at its place
 *                             in the order; may carry its own detail and
 *                             advice (a provider's reply, say)
 * The classifier (classify.c) tries the rules in file order.
 */
#include "reasons.h"

#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "conf.h"
#include "knowledge.h"

/* Compiles one more pattern (caseless) onto a growing array. */
static bool add_pattern(mc_pattern **arr, size_t *n, const conf_file *cf, const conf_entry *e, char *err,
                        size_t errlen)
{
    *arr = mc_xrealloc(*arr, (*n + 1) * sizeof **arr);
    if (!pattern_compile(&(*arr)[*n], e->value, PCRE2_CASELESS, cf->path, e->line, err, errlen))
        return false;
    (*n)++;
    return true;
}

/* Keys that describe the reason itself, not one of its rules. */
static bool is_base_key(const char *k)
{
    return strcmp(k, "label") == 0 || strcmp(k, "family") == 0 || strcmp(k, "hard") == 0 ||
           strcmp(k, "weight") == 0 || strcmp(k, "receiver_advice") == 0 || strcmp(k, "only") == 0 ||
           strcmp(k, "receiver_label") == 0 || strcmp(k, "brute_force") == 0 ||
           strcmp(k, "receiver_weight") == 0 || strcmp(k, "local_label") == 0 || strcmp(k, "local_advice") == 0;
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
                conf_error(err, errlen, cf->path, e->line,
                           "'%s' belongs in the reason's own section, not in [%s]", k, s->name);
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
                    conf_error(err, errlen, cf->path, e->line,
                               "'%s' is not a reply code or prefix (5, 55, 550)", w[j]);
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
                    conf_error(err, errlen, cf->path, e->line,
                               "'%s' is not an enhanced code (5.1.1 or X.1.1)", w[j]);
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
                    conf_error(err, errlen, cf->path, e->line, "'%s' is not a class", w[j]);
                    mc_free_words(w, n);
                    return false;
                }
                r->klass_mask |= 1 << c;
            }
            mc_free_words(w, n);
        } else if (strcmp(k, "by_code_alone") == 0) {
            if (!conf_yes_no(cf->path, e, &r->by_code_alone, err, errlen))
                return false;
        } else if (strcmp(k, "lists") == 0) {
            if (!conf_yes_no(cf->path, e, &r->lists, err, errlen))
                return false;
        } else {
            conf_error(err, errlen, cf->path, e->line, "unknown key '%s' in reason [%s]", k, s->name);
            return false;
        }
    }
    if (r->by_code_alone && r->n_codes == 0 && r->n_enhanced == 0) {
        conf_error(err, errlen, cf->path, s->line,
                   "[%s] has by_code_alone = yes but no code or enhanced list", s->name);
        return false;
    }
    return true;
}

/* Frees what load_rule allocated. */
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

/* The texts of a reason, by key. */
static const struct {
    const char *key;
    size_t off;
} base_texts[] = {{"label", offsetof(mc_reason, label)},
                  {"family", offsetof(mc_reason, family)},
                  {"advice", offsetof(mc_reason, advice)},
                  {"receiver_advice", offsetof(mc_reason, receiver_advice)},
                  {"receiver_label", offsetof(mc_reason, receiver_label)},
                  {"local_label", offsetof(mc_reason, local_label)},
                  {"local_advice", offsetof(mc_reason, local_advice)}};

/* Its numbers: where each goes, its range, and what the error says it must be. */
static const struct {
    const char *key;
    size_t off;
    double lo, hi;
    const char *must;
} base_numbers[] = {{"weight", offsetof(mc_reason, weight), 0.0, 10.0, "a number from 0 to 10"},
                    {"receiver_weight", offsetof(mc_reason, receiver_weight), 0.0, 10.0, "a number from 0 to 10"},
                    {"brute_force", offsetof(mc_reason, brute_force), 1.0, 1e6,
                     "a number of events per client, 1 or more"}};

/* Reads e into r when it is one of the reason's texts or numbers: 1 read,
 * 0 another key, -1 a bad number (err says which). */
static int base_value(mc_reason *r, const conf_file *cf, const conf_entry *e, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof base_texts / sizeof base_texts[0]; i++) {
        if (strcmp(e->key, base_texts[i].key) == 0) {
            char **field = (char **)((char *)r + base_texts[i].off);
            free(*field);
            *field = mc_xstrdup(e->value);
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof base_numbers / sizeof base_numbers[0]; i++) {
        if (strcmp(e->key, base_numbers[i].key) != 0)
            continue;
        char *end;
        double v = strtod(e->value, &end);
        if (*e->value == '\0' || *end != '\0' || !(v >= base_numbers[i].lo && v <= base_numbers[i].hi)) {
            conf_error(err, errlen, cf->path, e->line, "%s must be %s", e->key, base_numbers[i].must);
            return -1;
        }
        *(double *)((char *)r + base_numbers[i].off) = v;
        return 1;
    }
    return 0;
}

/* Reads a reason section: its texts, numbers, only and hard. */
static bool load_base(mc_reason *r, const conf_file *cf, const conf_section *s, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->name = mc_xstrdup(s->name);
    r->weight = 1.0;
    r->receiver_weight = -1.0; /* none: inbound weighs as outbound */
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        int got = base_value(r, cf, e, err, errlen);
        if (got < 0)
            return false;
        if (got > 0)
            continue;
        if (strcmp(e->key, "only") == 0) {
            if (strcmp(e->value, "outbound") != 0 && strcmp(e->value, "inbound") != 0) {
                conf_error(err, errlen, cf->path, e->line, "only must be outbound or inbound");
                return false;
            }
            r->only = strcmp(e->value, "outbound") == 0 ? "outbound" : "inbound";
        } else if (strcmp(e->key, "hard") == 0) {
            if (!conf_yes_no(cf->path, e, &r->hard, err, errlen))
                return false;
        }
    }
    if (r->advice == NULL && (r->only == NULL || strcmp(r->only, "outbound") == 0)) {
        conf_error(err, errlen, cf->path, s->line, "reason [%s] has no advice", s->name);
        return false;
    }
    return true;
}

/* Frees what load_base allocated. */
static void free_base(mc_reason *r)
{
    free(r->name);
    free(r->label);
    free(r->family);
    free(r->advice);
    free(r->receiver_advice);
    free(r->receiver_label);
    free(r->local_label);
    free(r->local_advice);
}

/* Reason names are lower-case letters, digits and hyphens. */
static bool valid_reason_name(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

/* [@reply]: the patterns that find the code in a pasted reply. */
static bool load_reply_section(mc_reasons *rs, const conf_file *cf, const conf_section *s, char *err,
                               size_t errlen)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        if (strcmp(e->key, "pattern") != 0) {
            conf_error(err, errlen, cf->path, e->line, "unknown key '%s' in [@reply] (pattern)", e->key);
            return false;
        }
        if (!add_pattern(&rs->replies, &rs->n_replies, cf, e, err, errlen))
            return false;
        const mc_pattern *pat = &rs->replies[rs->n_replies - 1];
        if (pat->group[G_CODE] < 0 && pat->group[G_ENHANCED] < 0) {
            conf_error(err, errlen, cf->path, e->line,
                       "a [@reply] pattern needs a (?<code>...) or (?<enhanced>...) group");
            return false;
        }
    }
    return true;
}

/* Loads rules/blocklists.conf: each list, its patterns and its delisting. */
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
                conf_error(err, errlen, cf->path, e->line,
                           "unknown key '%s' in list [%s] (match, advice)", e->key, s->name);
                ok = false;
            }
        }
        if (ok && (l->n_patterns == 0 || l->advice == NULL)) {
            conf_error(err, errlen, cf->path, s->line, "list [%s] needs a match pattern and advice", s->name);
            ok = false;
        }
    }
    conf_free(cf);
    return ok;
}

/* Index of the reason named by the first n bytes of name, or -1. */
static ssize_t base_index(const mc_reasons *rs, const char *name, size_t n)
{
    for (size_t i = 0; i < rs->n_reasons; i++)
        if (strlen(rs->reasons[i].name) == n && memcmp(rs->reasons[i].name, name, n) == 0)
            return (ssize_t)i;
    return -1;
}

/* A set of literal ids being gathered (index_rules). */
typedef struct {
    uint64_t *bits;
    size_t count;
} id_set;

/* Adds a literal id to an id_set (pattern_anchor_ids' callback). */
static void id_set_add(int id, void *arg)
{
    id_set *set = arg;
    if (!(set->bits[id / 64] & (1ULL << (id % 64))))
        set->count++;
    set->bits[id / 64] |= 1ULL << (id % 64);
}

/* Gathers into set the anchor literals of n patterns: one of them is in
 * every text one of the patterns matches; false when a pattern has none. */
static bool anchors_of(const mc_pattern *pats, size_t n, id_set *set)
{
    for (size_t j = 0; j < n; j++)
        if (!pattern_anchor_ids(&pats[j], id_set_add, set))
            return false;
    return true;
}

/* What a text must hold for rule r's text to fit, as literal ids into set:
 * the anchors of its match patterns (and of the lists, for a rule that
 * takes them), or of one require pattern when that is the smaller set;
 * false when it may fit whatever the text holds.  A by_code_alone rule may
 * also fit by its codes (rules_by_code, index_rules). */
static bool rule_needs(const mc_reasons *rs, const mc_reason_rule *r, id_set *set, size_t words)
{
    bool known = anchors_of(r->patterns, r->n_patterns, set);
    for (size_t i = 0; known && r->lists && i < rs->n_lists; i++)
        known = anchors_of(rs->lists[i].patterns, rs->lists[i].n_patterns, set);
    /* A require pattern gates the matches and the lists alike. */
    for (size_t j = 0; j < r->n_require; j++) {
        id_set req = {mc_xcalloc(words, sizeof *req.bits), 0};
        if (anchors_of(&r->require[j], 1, &req) && (!known || req.count < set->count)) {
            memcpy(set->bits, req.bits, words * sizeof *req.bits);
            set->count = req.count;
            known = true;
        }
        free(req.bits);
    }
    return known;
}

/* The 3-digit basic codes code_rules has a row for. */
#define CODE_LOW 200
#define CODE_ROWS 400
_Static_assert(CODE_LOW >= 100 && CODE_LOW + CODE_ROWS - 1 <= 999, "index_codes writes a row's code as three digits");

/* The row of a basic code in code_rules: 0-399 for "200"-"599", -1 for
 * none (NULL or empty), -2 for one written otherwise. */
long reasons_code_row(const char *code)
{
    if (code == NULL || code[0] == '\0')
        return -1;
    if (!(code[0] >= '2' && code[0] <= '5' && code[1] >= '0' && code[1] <= '9' && code[2] >= '0' &&
          code[2] <= '9' && code[3] == '\0'))
        return -2;
    return (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0') - CODE_LOW;
}

/* Reads a number of 1-3 digits without a leading zero (or "0") ending at
 * stop; its end, or NULL. */
static const char *plain_number(const char *p, char stop, uint32_t *v)
{
    const char *q = p;
    *v = 0;
    while (*q >= '0' && *q <= '9' && q - p < 3)
        *v = *v * 10 + (uint32_t)(*q++ - '0');
    if (q == p || *q != stop || (p[0] == '0' && q - p > 1))
        return NULL;
    return q;
}

/* The key of an enhanced code written in plain digits ("5.7.26": class,
 * subject and detail without leading zeros), the form enh_keys holds;
 * false for any other form.  cls is the class digit (for 'X', the caller's). */
static bool enh_key(char cls, const char *rest, uint32_t *key)
{
    uint32_t subject, detail;
    if (!(cls == '2' || cls == '4' || cls == '5') || rest[0] != '.')
        return false;
    const char *p = plain_number(rest + 1, '.', &subject);
    if (p == NULL || plain_number(p + 1, '\0', &detail) == NULL)
        return false;
    *key = (uint32_t)(cls - '0') * 1000000u + subject * 1000u + detail;
    return true;
}

/* Where key is in enh_keys, or would go (binary search). */
static size_t key_at(const mc_reasons *rs, uint32_t key)
{
    size_t lo = 0, hi = rs->n_enh;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rs->enh_keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The index in enh_keys of an event's enhanced code: -1 for none (NULL,
 * empty, or a code no rules_by_code rule lists), -2 for one written
 * otherwise than in plain digits. */
long reasons_enh_row(const mc_reasons *rs, const char *enhanced)
{
    if (enhanced == NULL || enhanced[0] == '\0')
        return -1;
    uint32_t key;
    if (!enh_key(enhanced[0], enhanced + 1, &key))
        return -2;
    size_t at = key_at(rs, key);
    return at < rs->n_enh && rs->enh_keys[at] == key ? (long)at : -1;
}

/* Orders enhanced-code keys (qsort). */
static int cmp_key(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Builds code_rules, enh_keys and enh_rules for the rules_by_code rules:
 * each basic code a rule's prefix covers, each enhanced code it lists in
 * plain digits ('X' standing for classes 2, 4 and 5).  A code listed
 * otherwise (leading zeros) only equals an event's code written the same
 * way, which first_fit checks rule by rule. */
static void index_codes(mc_reasons *rs)
{
    size_t words = rs->rule_words;
    rs->code_rules = mc_xcalloc(CODE_ROWS * words, sizeof *rs->code_rules);
    uint32_t *keys = NULL;
    size_t n_keys = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < rs->n_rules; i++) {
            if (!(rs->rules_by_code[i / 64] & (1ULL << (i % 64))))
                continue;
            const mc_reason_rule *r = &rs->rules[i];
            for (size_t j = 0; pass == 0 && j < r->n_codes; j++) {
                for (int c = 0; c < CODE_ROWS; c++) {
                    /* The row's code in digits (200-599: three), written
                     * by hand: snprintf here was 5% of start-up. */
                    int v = CODE_LOW + c;
                    char row[4] = {(char)('0' + v / 100), (char)('0' + v / 10 % 10), (char)('0' + v % 10), '\0'};
                    if (strncmp(row, r->codes[j], strlen(r->codes[j])) == 0)
                        rs->code_rules[(size_t)c * words + i / 64] |= 1ULL << (i % 64);
                }
            }
            for (size_t j = 0; j < r->n_enhanced; j++) {
                const char *w = r->enhanced[j];
                static const char classes[] = "245";
                for (const char *cls = classes; *cls; cls++) {
                    uint32_t key;
                    if ((w[0] != 'X' && w[0] != *cls) || !enh_key(*cls, w + 1, &key))
                        continue;
                    if (pass == 0) {
                        keys = mc_xrealloc(keys, (n_keys + 1) * sizeof *keys);
                        keys[n_keys++] = key;
                    } else {
                        rs->enh_rules[key_at(rs, key) * words + i / 64] |= 1ULL << (i % 64);
                    }
                }
            }
        }
        if (pass == 0) {
            if (n_keys > 0)
                qsort(keys, n_keys, sizeof *keys, cmp_key);
            size_t u = 0;
            for (size_t k = 0; k < n_keys; k++)
                if (u == 0 || keys[u - 1] != keys[k])
                    keys[u++] = keys[k];
            rs->enh_keys = keys;
            rs->n_enh = u;
            rs->enh_rules = mc_xcalloc((u ? u : 1) * words, sizeof *rs->enh_rules);
        }
    }
}

/* Builds the index of which rules each literal lets in (see reasons.h). */
static void index_rules(mc_reasons *rs)
{
    size_t words = litset_words(rs->literals), n_lits = litset_count(rs->literals);
    rs->rule_words = (rs->n_rules + 63) / 64;
    if (rs->rule_words == 0)
        rs->rule_words = 1;
    rs->rules_always = mc_xcalloc(rs->rule_words, sizeof *rs->rules_always);
    rs->lit_rules = mc_xcalloc((n_lits ? n_lits : 1) * rs->rule_words, sizeof *rs->lit_rules);
    rs->rules_by_code = mc_xcalloc(rs->rule_words, sizeof *rs->rules_by_code);
    id_set set = {mc_xcalloc(words, sizeof *set.bits), 0};
    for (size_t i = 0; i < rs->n_rules; i++) {
        memset(set.bits, 0, words * sizeof *set.bits);
        set.count = 0;
        uint64_t bit = 1ULL << (i % 64);
        if (!rule_needs(rs, &rs->rules[i], &set, words)) {
            rs->rules_always[i / 64] |= bit;
            continue;
        }
        /* A text without its literals (or a rule with no text to match)
         * can still fit by its codes: first_fit checks them. */
        if (rs->rules[i].by_code_alone)
            rs->rules_by_code[i / 64] |= bit;
        for (size_t id = 0; id < n_lits; id++)
            if (set.bits[id / 64] & (1ULL << (id % 64)))
                rs->lit_rules[id * rs->rule_words + i / 64] |= bit;
    }
    free(set.bits);
    index_codes(rs);
}

/* One automaton over the literals of every pattern: an event's reply is
 * scanned once, and most of the 100-odd regexes are then skipped. */
static void build_prefilter(mc_reasons *rs, bool prefilter)
{
    rs->literals = litset_new();
    if (!prefilter) { /* an empty set: every pattern runs */
        litset_build(rs->literals);
        return;
    }
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
    index_rules(rs);
}

/* Loads reasons.conf and blocklists.conf from dir; false with FILE:LINE in err. */
bool reasons_load(mc_reasons *rs, const char *dir, bool prefilter, char *err, size_t errlen)
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
                conf_error(err, errlen, cf->path, s->line, "unknown section [%s] (only [@reply])", s->name);
                ok = false;
            }
            continue;
        }
        if (strchr(s->name, '/'))
            continue;
        if (!valid_reason_name(s->name, strlen(s->name))) {
            conf_error(err, errlen, cf->path, s->line,
                       "[%s]: a reason name is lower-case letters, digits and '-'", s->name);
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
            conf_error(err, errlen, cf->path, conf_get_entry(s, "family")->line,
                       "family '%s' of [%s] is not a reason", r->family, r->name);
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
            conf_error(err, errlen, cf->path, s->line,
                       "[%s]: there is no reason [%.*s]", s->name, (int)blen, s->name);
            ok = false;
            break;
        }
        mc_reason_rule *r = &rs->rules[rs->n_rules++];
        r->reason = (size_t)bi;
        ok = load_rule(r, cf, s, base, err, errlen);
        if (ok && r->n_patterns == 0 && !r->by_code_alone && !r->lists) {
            conf_error(err, errlen, cf->path, s->line,
                       "reason [%s] has no match pattern (or by_code_alone = yes, lists = yes)", s->name);
            ok = false;
        }
    }
    conf_free(cf);
    if (ok)
        ok = load_lists(rs, dir, err, errlen);
    if (ok)
        build_prefilter(rs, prefilter);
    if (!ok)
        reasons_free(rs);
    return ok;
}

/* Frees everything reasons_load built. */
void reasons_free(mc_reasons *rs)
{
    litset_free(rs->literals);
    free(rs->rules_always);
    free(rs->lit_rules);
    free(rs->rules_by_code);
    free(rs->code_rules);
    free(rs->enh_keys);
    free(rs->enh_rules);
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

/* The reason called name, or NULL. */
const mc_reason *reasons_find(const mc_reasons *rs, const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < rs->n_reasons; i++)
        if (strcmp(rs->reasons[i].name, name) == 0)
            return &rs->reasons[i];
    return NULL;
}

/* The family of a reason: the coarse reason it belongs to. */
const char *reasons_family(const mc_reasons *rs, const char *name)
{
    const mc_reason *r = reasons_find(rs, name);
    return r && r->family ? r->family : name;
}

/* The advice for a stored detail: a list's delisting or a provider rule's advice. */
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
