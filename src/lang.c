/*
 * lang.c - look up translated headings.  A missing word falls back to
 * English, so a partial translation is still usable.
 */
#include "lang.h"

#include <stdio.h>
#include <string.h>

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 8)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
            return false;
    return true;
}

static conf_file *load_one(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/lang/%s.conf", dir, name);
    return conf_load(path, err, errlen);
}

bool lang_load(mc_lang *l, const char *rules_dir, const char *name, char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    if (name == NULL || *name == '\0')
        name = "en";
    if (!valid_name(name)) {
        snprintf(err, errlen, "--lang '%s': use en, th, ko, zh, de or ar", name);
        return false;
    }
    l->fallback = load_one(rules_dir, "en", err, errlen);
    if (l->fallback == NULL)
        return false;
    if (strcmp(name, "en") != 0) {
        l->words = load_one(rules_dir, name, err, errlen);
        if (l->words == NULL) {
            char tmp[512];
            snprintf(tmp, sizeof tmp, "%s", err);
            snprintf(err, errlen, "--lang %s: %s", name, tmp);
            lang_free(l);
            return false;
        }
        const char *dir = conf_get(conf_find_section(l->words, "@lang"), "direction");
        l->rtl = dir && strcmp(dir, "rtl") == 0;
    }
    return true;
}

void lang_free(mc_lang *l)
{
    conf_free(l->words);
    conf_free(l->fallback);
    memset(l, 0, sizeof *l);
}

const char *lang_word(const mc_lang *l, const char *key)
{
    const char *w = NULL;
    if (l->words)
        w = conf_get(conf_find_section(l->words, "@words"), key);
    if (w == NULL && l->fallback)
        w = conf_get(conf_find_section(l->fallback, "@words"), key);
    return w ? w : key;
}
