/*
 * conf.h - the one file format of rules/: sections of key = value lines.
 *
 *   # comment
 *   [section]
 *   key = value
 *       continuation lines start with white space and are joined by a space
 *
 * Keys may repeat inside a section and keep their order, so a section can be
 * an ordered list of patterns.  Every entry remembers its file and line so
 * that a later stage can say FILE:LINE: what is wrong.
 */
#ifndef MC_CONF_H
#define MC_CONF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *key;
    char *value;
    int line;
} conf_entry;

typedef struct {
    char *name;
    int line;
    conf_entry *entries;
    size_t n_entries;
    size_t cap_entries;
} conf_section;

typedef struct {
    char *path;
    conf_section *sections;
    size_t n_sections;
    size_t cap_sections;
} conf_file;

/* Loads PATH.  On failure returns NULL and writes "PATH:LINE: message" into
 * err (size errlen). */
conf_file *conf_load(const char *path, char *err, size_t errlen);
void conf_free(conf_file *cf);

const conf_section *conf_find_section(const conf_file *cf, const char *name);
/* First value of key in section, or NULL. */
const char *conf_get(const conf_section *s, const char *key);
const conf_entry *conf_get_entry(const conf_section *s, const char *key);

/* Writes "PATH:LINE: message" into err and returns false: how every loader
 * of rules/ says what is wrong and where. */
bool conf_error(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Reads a yes/no value into *out; false with FILE:LINE in err otherwise. */
bool conf_yes_no(const char *path, const conf_entry *e, bool *out, char *err, size_t errlen);

#endif
