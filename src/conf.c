/*
 * conf.c - loader for the rules/ file format (see conf.h).
 *
 * The loader is deliberately dumb: it knows sections, keys and values, not
 * what they mean.  Meaning (is this a valid class? does this pattern
 * compile?) is checked by the module that owns the file, using the line
 * numbers kept here.
 */
#include "conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* "PATH:LINE: message" (or "PATH: message" without a line) for the parser's own errors. */
static void set_err(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void set_err(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(err, errlen, "%s:%d: %s", path, line, msg);
    else
        snprintf(err, errlen, "%s: %s", path, msg);
}

/* Strips blanks and a CR at both ends, in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Appends a section to the file. */
static conf_section *add_section(conf_file *cf, const char *name, int line)
{
    if (cf->n_sections == cf->cap_sections) {
        cf->cap_sections = cf->cap_sections ? cf->cap_sections * 2 : 16;
        cf->sections = mc_xrealloc(cf->sections, cf->cap_sections * sizeof *cf->sections);
    }
    conf_section *s = &cf->sections[cf->n_sections++];
    memset(s, 0, sizeof *s);
    s->name = mc_xstrdup(name);
    s->line = line;
    return s;
}

/* The sections' names by hash (open addressing, index + 1 per slot, 0:
 * empty, at most half full), so a duplicate is found without comparing
 * each new section with all before it (reasons.conf has hundreds). */
typedef struct {
    uint32_t *slots;
    size_t n_slots;
} section_index;

/* FNV-1a of a section name. */
static size_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

/* The slot of name: the section's, or the empty one it would take. */
static uint32_t *section_slot(const section_index *ix, const conf_file *cf, const char *name)
{
    size_t i = name_hash(name) & (ix->n_slots - 1);
    while (ix->slots[i] && strcmp(cf->sections[ix->slots[i] - 1].name, name) != 0)
        i = (i + 1) & (ix->n_slots - 1);
    return &ix->slots[i];
}

/* Indexes the file's last section, growing the index first when it would
 * be more than half full. */
static void index_section(section_index *ix, const conf_file *cf)
{
    if (2 * cf->n_sections > ix->n_slots) {
        free(ix->slots);
        ix->n_slots = ix->n_slots ? ix->n_slots * 2 : 64;
        ix->slots = mc_xcalloc(ix->n_slots, sizeof *ix->slots);
        for (size_t i = 0; i + 1 < cf->n_sections; i++)
            *section_slot(ix, cf, cf->sections[i].name) = (uint32_t)(i + 1);
    }
    *section_slot(ix, cf, cf->sections[cf->n_sections - 1].name) = (uint32_t)cf->n_sections;
}

/* Appends a key = value entry to a section. */
static void add_entry(conf_section *s, const char *key, const char *value, int line)
{
    if (s->n_entries == s->cap_entries) {
        s->cap_entries = s->cap_entries ? s->cap_entries * 2 : 8;
        s->entries = mc_xrealloc(s->entries, s->cap_entries * sizeof *s->entries);
    }
    conf_entry *e = &s->entries[s->n_entries++];
    e->key = mc_xstrdup(key);
    e->value = mc_xstrdup(value);
    e->line = line;
}

/* Joins a continuation line to the entry's value with one space. */
static void append_continuation(conf_entry *e, const char *more)
{
    size_t a = strlen(e->value), b = strlen(more);
    e->value = mc_xrealloc(e->value, a + b + 2);
    if (a > 0)
        e->value[a++] = ' ';
    memcpy(e->value + a, more, b + 1);
}

/* Reads and checks one rules file. */
conf_file *conf_load(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        set_err(err, errlen, path, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    conf_file *cf = mc_xcalloc(1, sizeof *cf);
    cf->path = mc_xstrdup(path);
    conf_section *cur = NULL;
    conf_entry *last = NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int lineno = 0;
    bool ok = true;
    section_index ix = {NULL, 0};

    while ((got = getline(&line, &cap, fp)) != -1) {
        lineno++;
        if (memchr(line, '\0', (size_t)got) != NULL) {
            set_err(err, errlen, path, lineno, "NUL byte in rules file");
            ok = false;
            break;
        }
        if (got > 0 && line[got - 1] == '\n')
            line[--got] = '\0';
        if (!mc_utf8_valid((const unsigned char *)line, (size_t)got)) {
            set_err(err, errlen, path, lineno, "invalid UTF-8");
            ok = false;
            break;
        }
        bool continuation = (line[0] == ' ' || line[0] == '\t');
        char *t = trim(line);
        if (*t == '\0' || *t == '#')
            continue;
        if (continuation) {
            if (last == NULL) {
                set_err(err, errlen, path, lineno,
                        "indented line continues nothing (a continuation must follow a key = value line)");
                ok = false;
                break;
            }
            append_continuation(last, t);
            continue;
        }
        if (*t == '[') {
            char *close = strchr(t, ']');
            if (close == NULL || close[1] != '\0' || close == t + 1) {
                set_err(err, errlen, path, lineno, "malformed section header (expected [name])");
                ok = false;
                break;
            }
            *close = '\0';
            char *name = trim(t + 1);
            uint32_t seen = ix.n_slots ? *section_slot(&ix, cf, name) : 0;
            if (seen) {
                set_err(err, errlen, path, lineno, "duplicate section [%s] (first at line %d)", name,
                        cf->sections[seen - 1].line);
                ok = false;
                break;
            }
            cur = add_section(cf, name, lineno);
            index_section(&ix, cf);
            last = NULL;
            continue;
        }
        char *eq = strchr(t, '=');
        if (eq == NULL) {
            set_err(err, errlen, path, lineno, "expected 'key = value' or '[section]'");
            ok = false;
            break;
        }
        if (cur == NULL) {
            set_err(err, errlen, path, lineno, "key = value before any [section]");
            ok = false;
            break;
        }
        *eq = '\0';
        char *key = trim(t);
        char *value = trim(eq + 1);
        if (*key == '\0') {
            set_err(err, errlen, path, lineno, "empty key before '='");
            ok = false;
            break;
        }
        add_entry(cur, key, value, lineno);
        last = &cur->entries[cur->n_entries - 1];
    }
    if (ok && ferror(fp)) {
        set_err(err, errlen, path, lineno, "read error: %s", strerror(errno));
        ok = false;
    }
    free(line);
    free(ix.slots);
    fclose(fp);
    if (!ok) {
        conf_free(cf);
        return NULL;
    }
    return cf;
}

/* Frees a loaded file. */
void conf_free(conf_file *cf)
{
    if (cf == NULL)
        return;
    for (size_t i = 0; i < cf->n_sections; i++) {
        conf_section *s = &cf->sections[i];
        for (size_t j = 0; j < s->n_entries; j++) {
            free(s->entries[j].key);
            free(s->entries[j].value);
        }
        free(s->entries);
        free(s->name);
    }
    free(cf->sections);
    free(cf->path);
    free(cf);
}

/* The section called name, or NULL. */
const conf_section *conf_find_section(const conf_file *cf, const char *name)
{
    for (size_t i = 0; i < cf->n_sections; i++)
        if (strcmp(cf->sections[i].name, name) == 0)
            return &cf->sections[i];
    return NULL;
}

/* The first entry of key in the section (NULL-safe), or NULL. */
const conf_entry *conf_get_entry(const conf_section *s, const char *key)
{
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < s->n_entries; i++)
        if (strcmp(s->entries[i].key, key) == 0)
            return &s->entries[i];
    return NULL;
}

/* The first value of key in the section (NULL-safe), or NULL. */
const char *conf_get(const conf_section *s, const char *key)
{
    const conf_entry *e = conf_get_entry(s, key);
    return e ? e->value : NULL;
}

/* "PATH:LINE: message" into err, as every loader of rules/ reports a
 * problem; returns false, so a loader can return it. */
bool conf_error(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s:%d: ", path, line);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* A yes/no value; false with "PATH:LINE: KEY must be yes or no" otherwise. */
bool conf_yes_no(const char *path, const conf_entry *e, bool *out, char *err, size_t errlen)
{
    if (strcmp(e->value, "yes") == 0)
        *out = true;
    else if (strcmp(e->value, "no") == 0)
        *out = false;
    else
        return conf_error(err, errlen, path, e->line, "%s must be yes or no", e->key);
    return true;
}
