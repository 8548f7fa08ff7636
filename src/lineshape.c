/*
 * lineshape.c - fold an unrecognised line into its shape (see lineshape.h).
 *
 * A word is a run of bytes between separators; separators are kept as they
 * are, so "to=<a@b.c>, relay=mx[192.0.2.1]:25" becomes "to=<@>,
 * relay=#[#]:#".  The syslog time and host are dropped by starting at the
 * program name ("postfix/smtp[123]: " -> "postfix/smtp[#]: "), found as the
 * word before the first "]: " near the start of the line.
 */
#include "lineshape.h"

#include <string.h>

/* How far into the line the program's "[pid]: " may start. */
#define PROGRAM_WITHIN 200

/* Bytes that end a word and are kept in the shape. */
static bool is_separator(unsigned char c)
{
    return c == ' ' || c == '\t' || c == ',' || c == ';' || c == ':' || c == '(' || c == ')' || c == '[' ||
           c == ']' || c == '<' || c == '>' || c == '=' || c == '"' || c == '\'' || c == '/';
}

/* Where the program name starts, or 0 when the line has no syslog tag. */
static size_t program_start(mc_str line)
{
    size_t limit = line.n < PROGRAM_WITHIN ? line.n : PROGRAM_WITHIN;
    const char *tag = memmem(line.p, limit, "]: ", 3);
    if (tag == NULL)
        return 0;
    const char *open = memchr(line.p, '[', (size_t)(tag - line.p));
    if (open == NULL)
        return 0;
    size_t i = (size_t)(open - line.p);
    while (i > 0 && line.p[i - 1] != ' ')
        i--;
    return i;
}

/* The shape of a line into out (cap bytes); its length. */
size_t line_shape(mc_str line, char *out, size_t cap)
{
    size_t start = program_start(line);
    return text_shape(mc_str_make(line.p + start, line.n - start), out, cap);
}

/* The shape of a text from its first byte into out (cap bytes); its length. */
size_t text_shape(mc_str text, char *out, size_t cap)
{
    mc_str line = text;
    size_t o = 0, keep = cap - 4; /* room for "..." and the NUL */
    size_t i = 0;
    while (i < line.n && o < keep) {
        unsigned char c = (unsigned char)line.p[i];
        if (is_separator(c)) {
            out[o++] = (char)c;
            i++;
            continue;
        }
        size_t start = i;
        bool at = false, variable = false;
        while (i < line.n && !is_separator((unsigned char)line.p[i])) {
            unsigned char w = (unsigned char)line.p[i++];
            at |= w == '@';
            variable |= (w >= '0' && w <= '9') || w == '.';
        }
        if (at || variable) {
            out[o++] = at ? '@' : '#';
            continue;
        }
        size_t j = start;
        for (; j < i && o < keep; j++) {
            unsigned char w = (unsigned char)line.p[j];
            out[o++] = w >= 0x20 && w < 0x7F ? (char)w : '?';
        }
        if (j < i)
            i = j; /* cut inside the word */
    }
    if (i < line.n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return o;
}
