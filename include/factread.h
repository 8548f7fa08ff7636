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
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* Two fact rules of one daemon at once, where the second's reader
 * answers first (parse.c's next_first): a yes with *second true when the
 * second's reader says yes on msg; else (*second false) what the first's
 * reader says.  On a yes every field of out is written (the readers
 * called one by one write only theirs, on a cleared out); on a no or an
 * ask out holds anything. */
typedef mc_factread_result (*mc_factread_pair_fn)(mc_str msg, mc_fact_fields *out, bool *second);

/* The pair reader of the patterns first and second (in that order), or
 * NULL: their readers are asked one by one. */
mc_factread_pair_fn factread_pair_for(const char *first, const char *second);

/* Whether every line the pattern src matches (one with a reader) holds
 * the n bytes at lit: a text the reader's table names for it holds them.
 * Then the reader may answer before lit is looked for (parse.c). */
bool factread_holds(const char *src, const char *lit, size_t n);

#if defined(__SSE2__)
/* The bits of the 16 bytes of x that are in [lo, hi] (ASCII; a byte
 * 128-255 is negative as a signed byte and in no such range). */
static inline unsigned factread_bytes_in(__m128i x, char lo, char hi)
{
    __m128i in = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8((char)(lo - 1))),
                               _mm_cmplt_epi8(x, _mm_set1_epi8((char)(hi + 1))));
    return (unsigned)_mm_movemask_epi8(in);
}
#endif

/* The length of the Exim message id, [0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-
 * [0-9A-Za-z]{2,4} with each run at its longest, that starts the 24
 * readable bytes at p (an id and the byte after it fit in 24), or 0: the
 * id by bit masks of the bytes' classes (inline: the fact readers and the
 * warnings' prefix run it on every Exim line). */
static inline size_t factread_exim_id24(const char *p)
{
    /* Bit i: byte i is [0-9A-Za-z]; is '-'. */
    uint32_t alnum = 0, dash = 0;
#if defined(__SSE2__)
    /* Bytes 0-15, then 16-23 (the upper half zero: no class). */
    for (int half = 0; half < 2; half++) {
        __m128i x = half == 0 ? _mm_loadu_si128((const __m128i *)(const void *)p)
                              : _mm_loadl_epi64((const __m128i *)(const void *)(p + 16));
        __m128i lower = _mm_or_si128(x, _mm_set1_epi8(0x20));
        alnum |= (uint32_t)(factread_bytes_in(x, '0', '9') | factread_bytes_in(lower, 'a', 'z')) << (16 * half);
        dash |= (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('-'))) << (16 * half);
    }
#else
    for (int i = 0; i < 24; i++) {
        unsigned char c = (unsigned char)p[i], l = c | 0x20;
        alnum |= (uint32_t)((c >= '0' && c <= '9') || (l >= 'a' && l <= 'z')) << i;
        dash |= (uint32_t)(c == '-') << i;
    }
#endif
    /* [0-9A-Za-z]{6}- */
    if ((alnum & 0x3F) != 0x3F || !(dash >> 6 & 1))
        return 0;
    /* [0-9A-Za-z]{6,11}- : the run from byte 7 ends at a byte outside it. */
    unsigned r1 = (unsigned)__builtin_ctz(~(alnum >> 7));
    if (r1 < 6 || r1 > 11 || !(dash >> (7 + r1) & 1))
        return 0;
    /* [0-9A-Za-z]{2,4}, at its longest: from byte 19 at the latest, so a
     * run past byte 23 is one of 5 or more whatever follows. */
    unsigned at = 8 + r1, r2 = (unsigned)__builtin_ctz(~(alnum >> at));
    return r2 < 2 || r2 > 4 ? 0 : at + r2;
}

/* factread_exim_id24's answer, 16, when the 24 readable bytes at p start
 * with the usual id (6, 6 and 2 of [0-9A-Za-z] with a '-' after the first
 * two runs: Exim before 4.97) and a space (no [0-9A-Za-z]: what follows
 * the id on every Exim line that starts with one); else 0, which settles
 * nothing (factread_exim_id24 answers).  One 16-byte class pass, where
 * factread_exim_id24 classes 24 bytes and counts three runs: ~20
 * instructions of every Exim fact line, not ~70. */
static inline size_t factread_exim_id16(const char *p)
{
#if defined(__SSE2__)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned alnum = factread_bytes_in(x, '0', '9') | factread_bytes_in(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z');
    /* Bits 0-5, 7-12, 14 and 15 alphanumeric; '-' at 6 and 13. */
    return alnum == 0xDFBF && p[6] == '-' && p[13] == '-' && p[16] == ' ' ? 16 : 0;
#else
    (void)p;
    return 0;
#endif
}

/* Whether no line the pattern src (one with a reader) matches holds the
 * n bytes at lit: the reader's table bounds the bytes of its lines and lit
 * has one outside them.  Then, when that reader takes a line, a rule
 * needing lit does not apply to it (parse.c tries the reader first). */
bool factread_lacks(const char *src, const char *lit, size_t n);

/* Whether the reader of src (one with a reader) says yes only on a
 * message that starts with an Exim message id, a space and a byte other
 * than 'e' (Exim's: the id, then " <= " or " Completed").  Then the
 * Exim prefix's gate would turn such a message away (parse.c reads it
 * before the prefix: lineread_gate_spares_exim_ids). */
bool factread_exim_id_first(const char *src);

/* The i-th pattern source that has a reader (NULL past the last): tests. */
const char *factread_source(size_t i);

#endif
