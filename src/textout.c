/*
 * textout.c - text for a terminal or a pager: cells cut or padded to a
 * column width, prose wrapped with a hanging indent, class colours.  Every
 * string passes through mc_text_safe, so no log text reaches a terminal raw.
 */
#include "textout.h"

#include <string.h>

#include "util.h"

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

/* Whether the character at p may not start a line (CJK closing
 * punctuation: a line never begins with a comma or a full stop). */
static bool no_break_before(const unsigned char *p, size_t len)
{
    static const unsigned closing[] = {0x3001, 0x3002, 0x300D, 0x300F, 0x3011, 0xFF01, 0xFF09,
                                       0xFF0C, 0xFF0E, 0xFF1A, 0xFF1B, 0xFF1F};
    if (len != 3)
        return false;
    unsigned cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    for (size_t i = 0; i < sizeof closing / sizeof closing[0]; i++)
        if (cp == closing[i])
            return true;
    return false;
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
        const int room = width - text_width(indent);
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
            else if (w == 2 && q > p && !is_hangul(q, n) && !no_break_before(q, n))
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

/* Prints s padded or cut to width display columns (text_width); cut
 * text ends in '~'. */
void text_cell(FILE *out, const char *s, int width, bool pad)
{
    int cols = text_width(s);
    if (cols <= width) {
        mc_text_safe(out, s, strlen(s));
    } else {
        const unsigned char *p = (const unsigned char *)s;
        cols = 0;
        while (*p) { /* keep one column for the '~' */
            size_t n = seq_len(p);
            int w = cp_width(p, n);
            if (cols + w > width - 1)
                break;
            cols += w;
            p += n;
        }
        mc_text_safe(out, s, (size_t)((const char *)p - s));
        if (width > 0) {
            fputc('~', out);
            cols++;
        }
    }
    for (; pad && cols < width; cols++)
        fputc(' ', out);
}

/* Prints s right-aligned in width display columns (never cut). */
void text_right(FILE *out, const char *s, int width)
{
    for (int pad = width - text_width(s); pad > 0; pad--)
        fputc(' ', out);
    mc_text_safe(out, s, strlen(s));
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
