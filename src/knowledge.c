/*
 * knowledge.c - the reference pages behind `explain` and the report's
 * names and advice (rules/codes.conf, rules/enhanced.conf), and the stage
 * and connection facts behind `compare` (rules/compare.conf).  The text
 * lives in rules/; this module checks that each record is complete and
 * answers look-ups.
 */
#include "knowledge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

/* ASCII digit. */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Whether s is a basic reply code, 200-599. */
bool is_basic_code(const char *s)
{
    return s && s[0] >= '2' && s[0] <= '5' && is_digit(s[1]) && is_digit(s[2]) && s[3] == '\0';
}

/* n digits, 1..3 of them, then a terminator from stops. */
static const char *number_part(const char *s, const char *stops)
{
    int n = 0;
    while (is_digit(*s) && n < 4) {
        s++;
        n++;
    }
    if (n == 0 || n > 3 || strchr(stops, *s) == NULL)
        return NULL;
    return s;
}

/* Whether s is an enhanced status code, [245].D{1,3}.D{1,3}. */
bool is_enhanced_code(const char *s)
{
    if (s == NULL || !(s[0] == '2' || s[0] == '4' || s[0] == '5') || s[1] != '.')
        return false;
    const char *p = number_part(s + 2, ".");
    return p && number_part(p + 1, "") != NULL;
}

/* Record ids: "X.1.1", "5.7.606", "5.X.X", "X.7.X". */
static bool is_enhanced_id(const char *s)
{
    if (!(s[0] == 'X' || s[0] == '2' || s[0] == '4' || s[0] == '5') || s[1] != '.')
        return false;
    const char *p = s + 2;
    if (*p == 'X')
        p++;
    else if ((p = number_part(p, ".")) == NULL)
        return false;
    if (*p++ != '.')
        return false;
    if (*p == 'X')
        return p[1] == '\0';
    return number_part(p, "") != NULL;
}

/* The receiver's voice of a record, or the one direction it is seen in. */
static bool load_voices(const char *path, const conf_section *s, mc_code_info *r, char *err, size_t errlen)
{
    const char *v = conf_get(s, "receiver_fix");
    r->receiver_fix = v && *v ? mc_xstrdup(v) : NULL;
    const conf_entry *only = conf_get_entry(s, "only");
    if (only == NULL)
        return true;
    if (strcmp(only->value, "outbound") != 0 && strcmp(only->value, "inbound") != 0) {
        conf_error(err, errlen, path, only->line, "only must be outbound or inbound");
        return false;
    }
    r->only = strcmp(only->value, "outbound") == 0 ? "outbound" : "inbound";
    return true;
}

static const char *const required_keys[] = {"name", "description", "when", "fix"};

/* Loads codes.conf or enhanced.conf, checking every record. */
static bool load_records(const char *dir, const char *file, bool basic, mc_code_info **out,
                         size_t *n_out, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    conf_file *cf = conf_load(path, err, errlen);
    if (cf == NULL)
        return false;
    mc_code_info *recs = mc_xcalloc(cf->n_sections, sizeof *recs);
    size_t n = 0;
    bool ok = true;
    for (size_t i = 0; i < cf->n_sections && ok; i++) {
        const conf_section *s = &cf->sections[i];
        if (basic ? !is_basic_code(s->name) : !is_enhanced_id(s->name)) {
            conf_error(err, errlen, path, s->line, "[%s] is not %s", s->name,
                       basic ? "a reply code (200-599)" : "an enhanced code (X.S.D, 5.S.D, 5.X.X, X.S.X)");
            ok = false;
            break;
        }
        for (size_t k = 0; k < sizeof required_keys / sizeof required_keys[0]; k++) {
            const char *v = conf_get(s, required_keys[k]);
            if (v == NULL || *v == '\0') {
                conf_error(err, errlen, path, s->line, "[%s] has no '%s'", s->name, required_keys[k]);
                ok = false;
                break;
            }
        }
        if (!ok)
            break;
        mc_code_info *r = &recs[n++];
        r->id = mc_xstrdup(s->name);
        r->name = mc_xstrdup(conf_get(s, "name"));
        r->rfc = mc_xstrdup(conf_get(s, "rfc") ? conf_get(s, "rfc") : "");
        r->description = mc_xstrdup(conf_get(s, "description"));
        r->when = mc_xstrdup(conf_get(s, "when"));
        r->fix = mc_xstrdup(conf_get(s, "fix"));
        if (!load_voices(path, s, r, err, errlen)) {
            ok = false;
            break;
        }
        const conf_entry *ce = conf_get_entry(s, "class");
        char digit = basic ? s->name[0] : (s->name[0] != 'X' ? s->name[0] : '\0');
        r->klass = digit ? mc_class_of_digit(digit) : CLASS_UNKNOWN;
        if (ce != NULL) {
            mc_class c;
            if (!mc_class_from_string(ce->value, &c)) {
                conf_error(err, errlen, path, ce->line,
                           "class '%s' is not success, intermediate, transient or permanent", ce->value);
                ok = false;
            } else if (digit && c != r->klass) {
                conf_error(err, errlen, path, ce->line, "class '%s' contradicts code %s", ce->value, s->name);
                ok = false;
            }
        }
        const conf_entry *he = conf_get_entry(s, "hard");
        if (ok && he != NULL) {
            if (!conf_yes_no(path, he, &r->hard, err, errlen))
                ok = false;
        }
    }
    conf_free(cf);
    *out = recs;
    *n_out = n;
    return ok;
}

/* Frees the records of one file. */
static void free_records(mc_code_info *recs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(recs[i].id);
        free(recs[i].name);
        free(recs[i].rfc);
        free(recs[i].description);
        free(recs[i].when);
        free(recs[i].fix);
        free(recs[i].receiver_fix);
    }
    free(recs);
}

int knowledge_closes(const char *value)
{
    static const char *const words[] = {[MC_CLOSES_NO] = "no", [MC_CLOSES_MAY] = "may", [MC_CLOSES_YES] = "yes"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(value, words[i]) == 0)
            return (int)i;
    return -1;
}

/* Loads rules/compare.conf; false with FILE:LINE in err. */
static conf_file *load_facts(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/compare.conf", dir);
    conf_file *cf = conf_load(path, err, errlen);
    if (cf == NULL)
        return NULL;
    for (size_t i = 0; i < cf->n_sections; i++) {
        const conf_section *s = &cf->sections[i];
        if (!is_basic_code(s->name)) {
            conf_error(err, errlen, cf->path, s->line, "[%s] is not a reply code", s->name);
            conf_free(cf);
            return NULL;
        }
        for (size_t j = 0; j < s->n_entries; j++) {
            const conf_entry *e = &s->entries[j];
            if (strcmp(e->key, "closes") == 0) {
                if (knowledge_closes(e->value) < 0) {
                    conf_error(err, errlen, cf->path, e->line, "closes must be yes, no or may");
                    conf_free(cf);
                    return NULL;
                }
            } else if (strcmp(e->key, "stage") == 0) {
                char *copy = mc_xstrdup(e->value), *save = NULL;
                for (char *w = strtok_r(copy, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
                    if (!mc_stage_known(w, MC_STAGE_IN_FACTS)) {
                        char known[256];
                        mc_stage_list(MC_STAGE_IN_FACTS, known, sizeof known);
                        conf_error(err, errlen, cf->path, e->line, "'%s' is not a stage (%s)", w, known);
                        free(copy);
                        conf_free(cf);
                        return NULL;
                    }
                }
                free(copy);
            } else if (strcmp(e->key, "reasons") != 0) {
                conf_error(err, errlen, cf->path, e->line, "unknown key '%s' (stage, closes, reasons)", e->key);
                conf_free(cf);
                return NULL;
            }
        }
    }
    return cf;
}

/* Orders two record pointers by id. */
static int by_id(const void *a, const void *b)
{
    return strcmp((*(const mc_code_info *const *)a)->id, (*(const mc_code_info *const *)b)->id);
}

/* The records' pointers sorted by id (ids are unique: conf.c refuses a
 * section twice). */
static const mc_code_info **index_by_id(const mc_code_info *recs, size_t n)
{
    const mc_code_info **idx = mc_xcalloc(n ? n : 1, sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = &recs[i];
    qsort(idx, n, sizeof *idx, by_id);
    return idx;
}

/* Loads codes.conf, enhanced.conf and compare.conf; false with FILE:LINE in err. */
bool knowledge_load(mc_knowledge *k, const char *dir, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    if (!load_records(dir, "codes.conf", true, &k->codes, &k->n_codes, err, errlen) ||
        !load_records(dir, "enhanced.conf", false, &k->enhanced, &k->n_enhanced, err, errlen) ||
        (k->facts = load_facts(dir, err, errlen)) == NULL) {
        knowledge_free(k);
        return false;
    }
    k->codes_by_id = index_by_id(k->codes, k->n_codes);
    k->enhanced_by_id = index_by_id(k->enhanced, k->n_enhanced);
    return true;
}

/* Frees everything knowledge_load built. */
void knowledge_free(mc_knowledge *k)
{
    free_records(k->codes, k->n_codes);
    free_records(k->enhanced, k->n_enhanced);
    free(k->codes_by_id);
    free(k->enhanced_by_id);
    conf_free(k->facts);
    memset(k, 0, sizeof *k);
}

/* The record with id, or NULL. */
static const mc_code_info *find(const mc_code_info *const *by_id, size_t n, const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(by_id[mid]->id, id);
        if (c == 0)
            return by_id[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The record of a basic code, or NULL. */
const mc_code_info *knowledge_code(const mc_knowledge *k, const char *code)
{
    return code && *code ? find(k->codes_by_id, k->n_codes, code) : NULL;
}

/* The record of an enhanced code: exact first, then class-free (X.S.D). */
const mc_code_info *knowledge_enhanced(const mc_knowledge *k, const char *enh)
{
    if (enh == NULL || !is_enhanced_code(enh))
        return NULL;
    const mc_code_info *r = find(k->enhanced_by_id, k->n_enhanced, enh);
    if (r)
        return r;
    /* "X" and the rest, cut to fit as snprintf would cut it (a copy, not
     * a format: this runs for every permanent failure's hardness). */
    char generic[16];
    size_t n = strlen(enh + 1);
    if (n > sizeof generic - 2)
        n = sizeof generic - 2;
    generic[0] = 'X';
    memcpy(generic + 1, enh + 1, n);
    generic[n + 1] = '\0';
    return find(k->enhanced_by_id, k->n_enhanced, generic);
}

/* The subject record of an enhanced code (X.S.X). */
const mc_code_info *knowledge_enhanced_subject(const mc_knowledge *k, const char *enh)
{
    if (enh == NULL || !is_enhanced_code(enh))
        return NULL;
    char id[16];
    const char *dot = strchr(enh + 2, '.');
    snprintf(id, sizeof id, "X.%.*s.X", (int)(dot - (enh + 2)), enh + 2);
    return find(k->enhanced_by_id, k->n_enhanced, id);
}

/* The class record of an enhanced code (C.X.X). */
const mc_code_info *knowledge_enhanced_class(const mc_knowledge *k, const char *enh)
{
    if (enh == NULL || !is_enhanced_code(enh))
        return NULL;
    char id[8];
    snprintf(id, sizeof id, "%c.X.X", enh[0]);
    return find(k->enhanced_by_id, k->n_enhanced, id);
}

/* Whether an enhanced code says the address itself is dead. */
bool knowledge_enhanced_is_hard(const mc_knowledge *k, const char *enh)
{
    const mc_code_info *r = knowledge_enhanced(k, enh);
    return r && r->hard;
}

/* Advice with its {domains} slot filled: appends text to out, the slot
 * replaced by domains (the problem's own domains, or words that stand for them). */
void knowledge_fill_domains(mc_buf *out, const char *text, const char *domains)
{
    const char *slot = strstr(text, "{domains}");
    if (slot == NULL) {
        mc_buf_adds(out, text);
        return;
    }
    mc_buf_add(out, text, (size_t)(slot - text));
    mc_buf_adds(out, domains);
    mc_buf_adds(out, slot + strlen("{domains}"));
}
