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

/* Prints s padded (pad) or cut to width columns; cut text ends in '~'. */
void text_cell(FILE *out, const char *s, int width, bool pad);
/* Prints label right-aligned in indent columns, then text wrapped at
 * MC_TEXT_WIDTH with a hanging indent. */
void text_wrapped(FILE *out, const char *label, const char *text, int indent);
/* The ANSI colour of a class name ("" for none). */
const char *text_class_color(const char *klass);

#endif
