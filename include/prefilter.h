/*
 * prefilter.h - skip regexes that cannot match, found with one pass of an
 * Aho-Corasick automaton over the text.
 *
 * For a pattern such as "user unknown|no such user|mailbox unavailable"
 * every match must contain one of a few literal strings.  Those literals
 * are read off the pattern source (conservatively: a pattern whose shape
 * is not understood simply has no literals and always runs), all patterns'
 * literals go into one automaton, and one scan of a reply says which
 * literals it holds.  A pattern none of whose literals is there is known
 * not to match without running it.
 */
#ifndef MC_PREFILTER_H
#define MC_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Reads the literal alternatives of a PCRE2 pattern source: every match of
 * the pattern contains at least one of them (ASCII, lowercased, for
 * caseless patterns).  Returns the count (>= 1) and a malloc'd array of
 * malloc'd strings, or 0 when no such set is known. */
size_t prefilter_literals(const char *src, char ***out);
/* The same in the pattern's own case, for a pattern matched with case (the
 * MTA patterns); 0 when the pattern sets the caseless option anywhere. */
size_t prefilter_literals_exact(const char *src, char ***out);
void prefilter_free_literals(char **lits, size_t n);

/* Whether the literal lit (n bytes) occurs in text: memmem's answer,
 * faster on the short texts of log lines (16 places per step, a place
 * checked only when its first and last bytes both fit). */
bool lit_in(mc_str text, const char *lit, size_t n);
/* Where lit (n bytes) first occurs in text, or NULL: memmem's answer, as
 * fast (text.p for an empty lit, NULL in a NULL text). */
const char *lit_find(mc_str text, const char *lit, size_t n);
/* The bytes s holds, as a set of 64 kinds (a letter in either case, each
 * digit, the space and most punctuation a kind of its own; the rest share
 * a few).  A text cannot hold a literal with a kind of byte it lacks:
 * (lit_bytes(lit) & ~lit_bytes(text)) != 0 says the literal is not there. */
uint64_t lit_bytes(mc_str s);

/* The first of a few literals a text holds, in one pass (an MTA's outcome
 * markers: most lines hold none, and looking each up with lit_in walked
 * the text once per literal).  "First" is the lowest index among those
 * present, not the leftmost: firstlit_plain is the definition, one lit_in
 * per literal in order.  Any literals (any bytes and lengths, one byte
 * included); a set the pass cannot hold (more than 16 distinct pairs of
 * adjacent bytes as keys) is looked up by firstlit_plain. */
typedef struct mc_firstlit mc_firstlit;
/* A search for lits[0 .. n-1] (lens[i] bytes each, none empty), which it
 * copies. */
mc_firstlit *firstlit_new(char *const *lits, const size_t *lens, size_t n);
void firstlit_free(mc_firstlit *f);
/* Sixteen places a step even where the CPU has AVX2 (32): either finds
 * the same literal. */
void firstlit_narrow(mc_firstlit *f);
/* The index of the first literal text holds, or n when it holds none. */
size_t firstlit_find(const mc_firstlit *f, mc_str text);
/* The same by one lit_in per literal, in order: the definition. */
size_t firstlit_plain(char *const *lits, const size_t *lens, size_t n, mc_str text);

typedef struct mc_litset mc_litset;

mc_litset *litset_new(void);
/* A set whose literals and scans keep their case (memmem's semantics). */
mc_litset *litset_new_exact(void);
void litset_free(mc_litset *ls);
/* Adds a literal (lowercase ASCII); returns its id.  Before build only. */
int litset_add(mc_litset *ls, const char *lit);
/* Before build: the automaton holds each literal's first k bytes and
 * compares the rest where they end (the default, 8, lets a scan walk four
 * windows of a text at once); 0 holds whole literals (the plain
 * automaton: the definition).  Either finds the same literals. */
void litset_prefix(mc_litset *ls, size_t k);
/* Before build: an exact set is scanned by a byte filter (32 places a
 * step, AVX2) where the CPU has one; this keeps it on the automaton.
 * Either finds the same literals. */
void litset_no_filter(mc_litset *ls);
/* Whether a built set is scanned by the byte filter. */
bool litset_filtered(const mc_litset *ls);
/* A built copy of ls (its literals, case and prefix) scanned by the
 * automaton (the tests compare it with ls). */
mc_litset *litset_new_unfiltered(const mc_litset *ls);
/* Literal i as added. */
const char *litset_literal(const mc_litset *ls, size_t i);
/* A new set of ls's literals and case, holding prefix bytes of each (0:
 * whole), built: the tests compare a set with its plain automaton. */
mc_litset *litset_new_like(const mc_litset *ls, size_t prefix);
/* Freezes the set into an automaton; after this, scan. */
void litset_build(mc_litset *ls);
size_t litset_count(const mc_litset *ls);
/* Sets bit i of bits (litset_words() words, cleared first) for every
 * literal i found in text, compared caselessly (ASCII) unless the set is
 * exact. */
size_t litset_words(const mc_litset *ls);
void litset_scan(const mc_litset *ls, mc_str text, uint64_t *bits);

#endif
