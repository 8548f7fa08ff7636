/*
 * lineread.h - hand readers for the outcome rules' patterns (the line
 * rules and the [@mta] prefix of rules/mta/<mta>.conf), the way
 * factread.h has them for the fact rules.
 *
 * A Postfix delivery line (a third of a busy log) runs a long pattern of
 * name=value fields, and Exim's prefix pattern runs on nearly every Exim
 * line to match nothing: PCRE2's call and its JIT code cost more than
 * reading the bytes.  A reader is kept for the exact text of one pattern:
 * the pattern stays the definition, a rule a postmaster edits no longer
 * has the same text and runs as a regex again, and a line a reader cannot
 * settle by bytes alone is handed back to the regex (LINEREAD_ASK).  Each
 * reader gives the captures PCRE2 gives (test_lineread: every line of
 * tests/data and their mutations, reader against regex).
 */
#ifndef MC_LINEREAD_H
#define MC_LINEREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "patterns.h"
#include "util.h"

/* The longest message a reader takes: on longer ones PCRE2's work could
 * reach the parser's first match limit, which a reader does not charge. */
#define MC_LINEREAD_MAX 1024

typedef enum {
    LINEREAD_NO,   /* the pattern does not match */
    LINEREAD_YES,  /* it matches; the groups are its captures */
    LINEREAD_ASK,  /* not settled by bytes alone: run the pattern */
} mc_lineread_result;

/* A reader of one line rule's pattern: the named groups by mc_group
 * (MC_STR_NULL: unset; the caller clears them first).  The message is at
 * most MC_LINEREAD_MAX bytes of valid UTF-8. */
typedef mc_lineread_result (*mc_lineread_fn)(mc_str msg, mc_str groups[G_COUNT]);

/* The reader of the line rule pattern whose source is src, or NULL. */
mc_lineread_fn lineread_for(const char *src);

/* The reader of the [@reply] pattern whose source is src (it sets the
 * groups code and enhanced), or NULL; the i-th such source: tests. */
mc_lineread_fn lineread_reply_for(const char *src);
const char *lineread_reply_source(size_t i);
/* The same for a [@stage] pattern (it sets the command group, if any). */
mc_lineread_fn lineread_stage_for(const char *src);
const char *lineread_stage_source(size_t i);
/* The same for an [@mta] local pattern (a yes or no: it sets no group). */
mc_lineread_fn lineread_local_for(const char *src);
const char *lineread_local_source(size_t i);
/* Whether a prefix pattern can match more than the empty string on msg:
 * false proves its match is empty (it strips nothing and names no host),
 * so it need not run. */
typedef bool (*mc_prefix_gate_fn)(mc_str msg);

/* The gate of the [@mta] prefix pattern whose source is src, or NULL. */
mc_prefix_gate_fn lineread_prefix_gate_for(const char *src);

/* Whether gate turns away (answers no on) every message that starts with
 * an Exim message id, a space and a byte other than 'e', and not with
 * "exim": the shipped Exim prefix's gate (its prefix then matches empty). */
bool lineread_gate_spares_exim_ids(mc_prefix_gate_fn gate);

/* Whether the readers' 16-byte runs of [0-9A-Za-z] and [a-z_] end where
 * the byte table's do, from every place of s: tests. */
bool lineread_class_runs_agree(mc_str s);

/* The i-th pattern source that has a reader (NULL past the last), and the
 * i-th prefix source that has a gate: tests. */
const char *lineread_source(size_t i);
const char *lineread_prefix_source(size_t i);

#endif
