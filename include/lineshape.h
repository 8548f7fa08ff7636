/*
 * lineshape.h - the shape of an unrecognised line: what stays the same
 * when the same kind of line repeats, so that a report can say which new
 * line format appeared, not list every line.
 */
#ifndef MC_LINESHAPE_H
#define MC_LINESHAPE_H

#include <stddef.h>

#include "util.h"

#define MC_SHAPE_MAX 128 /* bytes of a shape, with its NUL */

/* Writes the shape of line into out (cap bytes, at least 8): the message
 * from the program name on (the time and host before it vary), with every
 * word holding an '@' folded to "@" and every word holding a digit or a
 * dot (queue ids, numbers, addresses, host names) to "#"; bytes outside
 * printable ASCII become '?', and a long shape ends in "...".  Returns
 * its length. */
size_t line_shape(mc_str line, char *out, size_t cap);

/* The same folding of a text that is already the message (a warning's
 * words after its severity): from its first byte, no syslog tag sought. */
size_t text_shape(mc_str text, char *out, size_t cap);

#endif
