/*
 * reqlits.h - what every match of a pattern must contain, read off its
 * source: the literal requirements the reason prefilter checks before it
 * runs a regex.
 *
 * The requirement is a disjunction of the pattern's top-level branches;
 * each branch is a conjunction of clauses; each clause is a disjunction
 * of literals (lowercase ASCII, at least three bytes).  A text that holds,
 * for some branch, one literal of every clause of that branch may match;
 * any other text cannot.  "\b(?:user|mailbox)\b[^.]{0,40}\b(?:unknown|
 * not found)" gives one branch of two clauses, {user, mailbox} and
 * {unknown, not found}: the word "user" alone no longer lets it run.
 *
 * The reader knows literal characters, escaped punctuation, simple
 * classes, groups, alternations, quantifiers and zero-width items; on
 * anything else it gives up and the pattern always runs.  Giving up, or
 * dropping a clause it cannot state, costs speed, never an answer.
 */
#ifndef MC_REQLITS_H
#define MC_REQLITS_H

#include <stdbool.h>
#include <stddef.h>

/* One clause: any one of its literals. */
typedef struct {
    char **lits;
    size_t n;
} mc_req_clause;

/* One branch: every one of its clauses (the rarest first: the longest
 * shortest literal, then the fewest literals). */
typedef struct {
    mc_req_clause *clauses;
    size_t n;
} mc_req_branch;

/* The whole pattern: any one of its branches. */
typedef struct {
    mc_req_branch *branches;
    size_t n;
} mc_req;

/* Reads the requirement of a PCRE2 source compiled caseless; false (req
 * empty) when the reader gives up or some branch requires nothing. */
bool reqlits_read(const char *src, mc_req *req);
void reqlits_free(mc_req *req);

#endif
