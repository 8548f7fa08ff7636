/*
 * factread.h - hand readers for the fact rules' patterns (the message
 * facts of rules/mta/<mta>.conf: Postfix's client=, from=, removed lines,
 * Exim's arrival and Completed lines).
 *
 * A fact line is frequent (half of a busy log) and its pattern is plain,
 * so PCRE2's call costs more than the reading.  A reader is kept for the
 * exact text of one pattern: the pattern stays the definition, a rule a
 * postmaster edits no longer has the same text and runs as a regex again,
 * and a line a reader cannot settle by bytes alone (a field past its
 * counted length in characters) is handed back to the regex.  Each reader
 * gives the captures PCRE2 gives (test_factread: every fact line of the
 * test logs and their mutations, reader against regex).
 */
#ifndef MC_FACTREAD_H
#define MC_FACTREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* The longest message a reader takes: on longer ones PCRE2's work could
 * reach the parser's first match limit, which a reader does not charge. */
#define MC_FACTREAD_MAX 1024

/* The named groups a fact pattern fills (MC_STR_NULL: unset). */
typedef struct {
    mc_str queue_id, sender, client, message_id, size;
} mc_fact_fields;

typedef enum {
    FACTREAD_NO,   /* the pattern does not match */
    FACTREAD_YES,  /* it matches; the fields are its groups */
    FACTREAD_ASK,  /* not settled by bytes alone: run the pattern */
} mc_factread_result;

/* A reader of one pattern; the message is at most MC_FACTREAD_MAX bytes of
 * valid UTF-8 (the reader's lines; journald's sanitized). */
typedef mc_factread_result (*mc_factread_fn)(mc_str msg, mc_fact_fields *out);

/* The reader of the pattern whose source is src, or NULL. */
mc_factread_fn factread_for(const char *src);

/* Whether every line the pattern src matches (one with a reader) holds
 * the n bytes at lit: a text the reader's table names for it holds them.
 * Then the reader may answer before lit is looked for (parse.c). */
bool factread_holds(const char *src, const char *lit, size_t n);

/* The i-th pattern source that has a reader (NULL past the last): tests. */
const char *factread_source(size_t i);

#endif
