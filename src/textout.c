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

/* Display width of the UTF-8 sequence at p (len bytes): East Asian wide
 * characters take two columns, combining marks none. */
static int cp_width(const unsigned char *p, size_t len)
{
    unsigned cp;
    if (len == 1)
        return 1;
    if (len == 2)
        cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
    else if (len == 3)
        cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    else
        cp = ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x0E31 && cp <= 0x0E3A && cp != 0x0E32 && cp != 0x0E33) ||
        (cp >= 0x0E47 && cp <= 0x0E4E) || (cp >= 0x064B && cp <= 0x065F) || (cp >= 0x200B && cp <= 0x200F))
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFF60) || cp >= 0x20000)
        return 2;
    return 1;
}

/* Korean breaks lines at spaces, like English. */
static bool is_hangul(const unsigned char *p, size_t len)
{
    if (len != 3)
        return false;
    unsigned cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    return (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x3130 && cp <= 0x318F);
}

/* Bytes of the UTF-8 sequence at p, never past a NUL. */
static size_t seq_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 1;
    for (size_t i = 1; i < n; i++)
        if (p[i] == '\0')
            return i;
    return n;
}

/* Writes body wrapped at width display columns; see textout.h. */
void text_wrap(FILE *out, int width, bool fill, const char *mark, const char *indent, const char *hang,
               const char *body)
{
    const unsigned char *p = (const unsigned char *)body;
    while (*p) {
        const int room = width - (int)strlen(indent);
        const unsigned char *q = p, *brk = NULL;
        int cols = 0;
        while (*q) {
            size_t n = seq_len(q);
            int w = cp_width(q, n);
            if (cols + w > room && q > p) {
                if (fill && *q == ' ')
                    brk = q; /* the line ends on its last column */
                break;
            }
            if (*q == ' ')
                brk = q;
            else if (w == 2 && q > p && !is_hangul(q, n))
                brk = q; /* Chinese and Japanese may break before any ideograph */
            cols += w;
            q += n;
        }
        const unsigned char *end = q;
        if (*q && brk && brk > p)
            end = brk;
        fputs(mark, out);
        fputs(indent, out);
        mc_text_safe(out, (const char *)p, (size_t)(end - p));
        fputc('\n', out);
        p = end;
        while (*p == ' ')
            p++;
        indent = hang;
    }
}

/* Display width of UTF-8 text in terminal columns. */
int text_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = seq_len(p);
        w += cp_width(p, n);
        p += n;
    }
    return w;
}

/* Prints label then one space, right-aligned so the text after it starts
 * at column indent (by display width, for every language). */
void text_label(FILE *out, const char *label, int indent)
{
    int pad = indent - text_width(label) - 1;
    fprintf(out, "%*s%s ", pad > 0 ? pad : 0, "", label);
}

/* Label right-aligned in indent columns (by display width), then the text
 * wrapped at MC_TEXT_WIDTH under it. */
void text_wrapped(FILE *out, const char *label, const char *text, int indent)
{
    char first[256], hang[64];
    int pad = indent - text_width(label);
    snprintf(first, sizeof first, "%*s%s", pad > 0 ? pad : 0, "", label);
    snprintf(hang, sizeof hang, "%*s", indent, "");
    if (*text == '\0')
        fprintf(out, "%s\n", first);
    else
        text_wrap(out, MC_TEXT_WIDTH, true, "", first, hang, text);
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
