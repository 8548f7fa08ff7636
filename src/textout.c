/*
 * textout.c - text for a terminal or a pager: cells cut or padded to a
 * column width, prose wrapped with a hanging indent, class colours.  Every
 * string passes through mc_text_safe, so no log text reaches a terminal raw.
 */
#include "textout.h"

#include <string.h>

#include "util.h"

/* Prints s padded or cut to width columns (a multi-byte character counts
 * as one column); cut text ends in '~'. */
void text_cell(FILE *out, const char *s, int width, bool pad)
{
    int cols = 0;
    size_t i = 0, n = strlen(s);
    while (i < n && cols < width) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (i + len > n)
            break;
        if (cols == width - 1 && i + len < n) {
            fputc('~', out);
            cols++;
            break;
        }
        mc_text_safe(out, s + i, len);
        i += len;
        cols++;
    }
    for (; pad && cols < width; cols++)
        fputc(' ', out);
}

/* Wraps prose at MC_TEXT_WIDTH with a hanging indent. */
void text_wrapped(FILE *out, const char *label, const char *text, int indent)
{
    int width = MC_TEXT_WIDTH - indent;
    fprintf(out, "%*s%s", indent - (int)strlen(label), "", label);
    const char *p = text;
    bool first = true;
    while (*p) {
        size_t len = strlen(p), take = len;
        if ((int)len > width) {
            take = (size_t)width;
            while (take > 0 && p[take] != ' ')
                take--;
            if (take == 0)
                take = (size_t)width;
        }
        if (!first)
            fprintf(out, "%*s", indent, "");
        mc_text_safe(out, p, take);
        fputc('\n', out);
        first = false;
        p += take;
        while (*p == ' ')
            p++;
    }
    if (first)
        fputc('\n', out);
}

/* The terminal colour of a class (empty for none). */
const char *text_class_color(const char *klass)
{
    if (klass == NULL)
        return "";
    if (strcmp(klass, "permanent") == 0)
        return "\033[31m";
    if (strcmp(klass, "transient") == 0)
        return "\033[33m";
    if (strcmp(klass, "success") == 0)
        return "\033[32m";
    return "";
}
