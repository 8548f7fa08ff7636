/*
 * lang.h - headings, labels and sentence templates in the reader's
 * language, from rules/lang/<code>.conf (en th ko zh de ar).
 *
 * A language file has:
 *   [@lang]     name, direction (ltr | rtl)
 *   [@words]    headings, labels and sentence templates; a template names
 *               its slots in braces: "{a} compared with {b}"
 *   [@reasons]  reason name = translated label (falls back to rules/reasons.conf)
 * Every word a translation lacks falls back to English, then to the key.
 */
#ifndef MC_LANG_H
#define MC_LANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "util.h"

typedef struct {
    conf_file *words;     /* the chosen language */
    conf_file *fallback;  /* English, for words a translation lacks */
    bool rtl;
    char code[9];         /* "en", "ar", ... */
} mc_lang;

/* name NULL or "" means English. */
bool lang_load(mc_lang *l, const char *rules_dir, const char *name, char *err, size_t errlen);
/* Whether lang_load would succeed, as an exit status: MC_EXIT_USAGE for a
 * language that does not exist, MC_EXIT_RULES for a missing lang/en.conf
 * or a broken file. */
int lang_check(const char *rules_dir, const char *name, char *err, size_t errlen);
void lang_free(mc_lang *l);
/* The word for key, falling back to English, then to the key itself. */
const char *lang_word(const mc_lang *l, const char *key);
/* The word for key, or NULL when neither the language nor English has it. */
const char *lang_word_or_null(const mc_lang *l, const char *key);
/* The English word for key (rules/lang/en.conf), whatever the chosen
 * language: for machine output (JSON) that stays English; the key itself
 * when en.conf lacks it. */
const char *lang_english(const mc_lang *l, const char *key);
/* Marks a lang key written where no lookup call shows it (in a table, a
 * switch): tests/lang_keys.py collects the keys of the sources from the
 * lookup calls and from LK(...). */
#define LK(key) key
/* Marks the prefix of keys built at run time (LK_PREFIX("col_") "%s"):
 * every key of the files that starts with it counts as used. */
#define LK_PREFIX(prefix) prefix
/* The translated label of a reason, else fallback (the label in reasons.conf). */
const char *lang_reason_label(const mc_lang *l, const char *reason, const char *fallback);

/* "rtl" or "ltr": for <html dir="..."> and the like. */
const char *lang_dir(const mc_lang *l);
/* The language code, "en" when none was chosen: for <html lang="...">. */
const char *lang_code(const mc_lang *l);

/* Expands the template for key into out (appended): {name} is replaced by
 * the value that follows name in vars (name, value, name, value, ..., NULL);
 * an unknown slot is kept as written. */
void lang_fill(mc_buf *out, const mc_lang *l, const char *key, const char *const *vars);

/* Terminal text in a right-to-left language: the line is started with a
 * RIGHT-TO-LEFT MARK (U+200F), so a bidi-aware terminal sets the line right
 * to left and a plain one shows it unchanged.  Left-to-right languages get
 * the text as is.  Writes text, then a newline. */
void lang_line(FILE *out, const mc_lang *l, const char *text);
/* The mark itself ("" for left-to-right languages). */
const char *lang_line_mark(const mc_lang *l);

#endif
