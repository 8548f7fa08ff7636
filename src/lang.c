/*
 * lang.c - look up translated headings, labels and sentence templates.  A
 * missing word falls back to English, so a partial translation is still
 * usable.
 */
#include "lang.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"

#define RLM "\xE2\x80\x8F" /* U+200F RIGHT-TO-LEFT MARK */

/* A language name: 2 to 8 of a-z and '-' (the first n bytes of s). */
static bool valid_name_n(const char *s, size_t n)
{
    if (n < 2 || n > 8)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
            return false;
    return true;
}

/* A language name. */
static bool valid_name(const char *s) { return valid_name_n(s, strlen(s)); }

/* qsort order for language names. */
static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The languages the rules have (lang/NAME.conf), space-separated and sorted. */
static void available(const char *dir, char *buf, size_t len)
{
    char path[4096], *names[64];
    size_t n = 0;
    buf[0] = '\0';
    snprintf(path, sizeof path, "%s/lang", dir);
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < 64;) {
        size_t k = strlen(e->d_name);
        if (k > 5 && strcmp(e->d_name + k - 5, ".conf") == 0 && valid_name_n(e->d_name, k - 5))
            names[n++] = mc_xstrndup(e->d_name, k - 5);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? " " : "", names[i]);
        if (w > 0 && (size_t)w < len - used)
            used += (size_t)w;
        free(names[i]);
    }
}

/* Loads rules/lang/NAME.conf. */
static conf_file *load_one(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/lang/%s.conf", dir, name);
    return conf_load(path, err, errlen);
}

/* Loads the language; returns MC_EXIT_OK, MC_EXIT_USAGE (a name that is
 * no language, or none the rules have) or MC_EXIT_RULES (English, the
 * fallback every command needs, missing or broken; a broken translation). */
static int load(mc_lang *l, const char *rules_dir, const char *name, char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    if (name == NULL || *name == '\0')
        name = "en";
    if (!valid_name(name)) {
        snprintf(err, errlen, "--lang '%s': use en, th, ko, zh, de or ar", name);
        return MC_EXIT_USAGE;
    }
    snprintf(l->code, sizeof l->code, "%s", name);
    l->fallback = load_one(rules_dir, "en", err, errlen);
    if (l->fallback == NULL)
        return MC_EXIT_RULES;
    if (strcmp(name, "en") != 0) {
        l->words = load_one(rules_dir, name, err, errlen);
        if (l->words == NULL) {
            char tmp[512], path[4096];
            snprintf(path, sizeof path, "%s/lang/%s.conf", rules_dir, name);
            lang_free(l);
            if (access(path, F_OK) == 0) { /* there, but broken: say where */
                snprintf(tmp, sizeof tmp, "%s", err);
                snprintf(err, errlen, "--lang %s: %s", name, tmp);
                return MC_EXIT_RULES;
            }
            available(rules_dir, tmp, sizeof tmp);
            snprintf(err, errlen, "--lang %s: no such language (languages: %s)", name, tmp);
            return MC_EXIT_USAGE;
        }
        const conf_entry *d = conf_get_entry(conf_find_section(l->words, "@lang"), "direction");
        if (d && strcmp(d->value, "rtl") != 0 && strcmp(d->value, "ltr") != 0) {
            conf_error(err, errlen, l->words->path, d->line, "direction must be ltr or rtl");
            lang_free(l);
            return MC_EXIT_RULES;
        }
        l->rtl = d && strcmp(d->value, "rtl") == 0;
    }
    return MC_EXIT_OK;
}

/* Loads a language (English underneath); false with the error in err. */
bool lang_load(mc_lang *l, const char *rules_dir, const char *name, char *err, size_t errlen)
{
    return load(l, rules_dir, name, err, errlen) == MC_EXIT_OK;
}

/* Checks that a language loads; returns an exit code. */
int lang_check(const char *rules_dir, const char *name, char *err, size_t errlen)
{
    mc_lang l;
    int rc = load(&l, rules_dir, name, err, errlen);
    lang_free(&l);
    return rc;
}

/* Frees a loaded language. */
void lang_free(mc_lang *l)
{
    conf_free(l->words);
    conf_free(l->fallback);
    memset(l, 0, sizeof *l);
}

/* A value of the language, else of English, else NULL. */
static const char *lookup(const mc_lang *l, const char *section, const char *key)
{
    const char *w = NULL;
    if (l->words)
        w = conf_get(conf_find_section(l->words, section), key);
    if (w == NULL && l->fallback)
        w = conf_get(conf_find_section(l->fallback, section), key);
    return w;
}

/* A word of the language, or NULL. */
const char *lang_word_or_null(const mc_lang *l, const char *key) { return lookup(l, "@words", key); }

/* A word of the language; the key itself when no file has it. */
const char *lang_word(const mc_lang *l, const char *key)
{
    const char *w = lookup(l, "@words", key);
    return w ? w : key;
}

/* The English word for key, or the key itself. */
const char *lang_english(const mc_lang *l, const char *key)
{
    const char *w = l->fallback ? conf_get(conf_find_section(l->fallback, "@words"), key) : NULL;
    return w ? w : key;
}

/* A reason's label in the language, else fallback. */
const char *lang_reason_label(const mc_lang *l, const char *reason, const char *fallback)
{
    const char *w = NULL;
    /* Only the chosen language: English labels live in reasons.conf. */
    if (l->words && reason)
        w = conf_get(conf_find_section(l->words, "@reasons"), reason);
    return w ? w : fallback;
}

/* The writing direction, for HTML dir=. */
const char *lang_dir(const mc_lang *l) { return l->rtl ? "rtl" : "ltr"; }

/* The language code, for HTML lang=. */
const char *lang_code(const mc_lang *l) { return l->code[0] ? l->code : "en"; }

/* A template of the language with its {variables} filled in. */
void lang_fill(mc_buf *out, const mc_lang *l, const char *key, const char *const *vars)
{
    const char *t = lang_word(l, key);
    while (*t) {
        if (*t == '{') {
            const char *close = strchr(t, '}');
            if (close) {
                size_t n = (size_t)(close - t - 1);
                const char *value = NULL;
                for (size_t i = 0; vars && vars[i] && vars[i + 1]; i += 2)
                    if (strlen(vars[i]) == n && memcmp(vars[i], t + 1, n) == 0) {
                        value = vars[i + 1];
                        break;
                    }
                if (value) {
                    mc_buf_adds(out, value);
                    t = close + 1;
                    continue;
                }
            }
        }
        mc_buf_addc(out, *t++);
    }
}

/* What starts every line (the right-to-left mark for Arabic). */
const char *lang_line_mark(const mc_lang *l) { return l->rtl ? RLM : ""; }

/* Writes one line of text in the language's direction. */
void lang_line(FILE *out, const mc_lang *l, const char *text)
{
    fputs(lang_line_mark(l), out);
    mc_text_safe(out, text, strlen(text));
    fputc('\n', out);
}
