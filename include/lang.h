/*
 * lang.h - headings and labels in the reader's language, from
 * rules/lang/<code>.conf (en th ko zh de ar).
 */
#ifndef MC_LANG_H
#define MC_LANG_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

typedef struct {
    conf_file *words;     /* the chosen language */
    conf_file *fallback;  /* English, for words a translation lacks */
    bool rtl;
} mc_lang;

/* name NULL or "" means English. */
bool lang_load(mc_lang *l, const char *rules_dir, const char *name, char *err, size_t errlen);
void lang_free(mc_lang *l);
/* The word for key, falling back to English, then to the key itself. */
const char *lang_word(const mc_lang *l, const char *key);

#endif
