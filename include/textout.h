/*
 * textout.h - text for people on a terminal: cells of a fixed width,
 * wrapped prose, class colours.
 */
#ifndef MC_TEXTOUT_H
#define MC_TEXTOUT_H

#include <stdbool.h>
#include <stdio.h>

/* The width text output keeps within. */
#define MC_TEXT_WIDTH 100

/* Prints s padded (pad) or cut to width display columns (East Asian wide
 * characters take two, combining marks none); cut text ends in '~'. */
void text_cell(FILE *out, const char *s, int width, bool pad);
/* Prints s right-aligned in width display columns. */
void text_right(FILE *out, const char *s, int width);
/* Writes body wrapped at width display columns (East Asian wide
 * characters take two, combining marks none): mark, indent, the line; on
 * continuation lines hang instead of indent.  Lines break at spaces, and
 * before a Chinese or Japanese ideograph (Korean breaks at spaces); a word
 * longer than a line is cut.  fill: a line may end on the last column (the
 * report's layout); else that column stays free (explain's pages).  mark
 * starts every line (the right-to-left mark for Arabic). */
void text_wrap(FILE *out, int width, bool fill, const char *mark, const char *indent, const char *hang,
               const char *body);
/* Prints label right-aligned in indent columns, then text wrapped at
 * MC_TEXT_WIDTH with a hanging indent. */
void text_wrapped(FILE *out, const char *label, const char *text, int indent);
/* Display width of UTF-8 text in terminal columns (wide CJK 2, marks 0). */
int text_width(const char *s);
/* Prints label and a space, right-aligned to end at column indent. */
void text_label(FILE *out, const char *label, int indent);
/* The ANSI colour of a class name ("" for none). */
const char *text_class_color(const char *klass);

#endif
