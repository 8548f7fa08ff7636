/*
 * mtawarn.h - the MTA's words about itself: Postfix's warning:, error:,
 * fatal: and panic: lines, Exim's lines that also go to its panic log.
 * Which lines they are, and their severity, is knowledge in the
 * [@warnings] section of rules/mta/<mta>.conf; this stage finds them and
 * folds each into the text of its group (lineshape.h), so the report can
 * say "this went wrong 4 times" instead of listing every line.
 */
#ifndef MC_MTAWARN_H
#define MC_MTAWARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "aggregate.h"
#include "parse.h"

#define MC_SEVERITY_MAX 16 /* bytes of a severity word, with its NUL */
#define MC_WARN_TEXT_MAX MC_SHAPE_MAX /* bytes of a group's folded text, with its NUL */

/* The longest message a prefix reader takes (a longer one runs the
 * prefix's pattern): the same cap as the fact readers'. */
#define MC_WARN_READ_MAX 1024

/* A first_pairs table: MC_WARN_BYTES bytes, byte c0 nonzero when a
 * rule's literal starts with byte c0 (a load and a test turn away most
 * bytes), then the pairs' bits, bit c0 * 256 + c1 of the 8192 bytes after
 * them: a rule's literal starts with bytes c0 c1. */
#define MC_WARN_BYTES 256
#define MC_WARN_PAIRS (MC_WARN_BYTES + 8192)

/* A hand reader of a [@warnings] prefix pattern: the length of the
 * pattern's match at the start of msg (which it always has: every piece
 * is optional), by bytes, as PCRE2 gives it. */
typedef size_t (*mc_prefix_reader)(mc_str msg);

/* A prefix reader's gate: false when no literal of first_pairs (an
 * mc_warn_mta's) may start where the prefix ends in msg, so that the
 * reader need not run; true when one may (or it cannot tell). */
typedef bool (*mc_prefix_gate)(const uint8_t *first_pairs, mc_str msg);

/* The reader of the prefix pattern whose source is src, or NULL (an
 * edited pattern has none and runs as the regex it is); *gate its gate,
 * or NULL. */
mc_prefix_reader mtawarn_prefix_reader(const char *src, mc_prefix_gate *gate);

/* One severity pattern of one MTA. */
typedef struct {
    char *severity;      /* the key: warning, error, fatal, panic */
    mc_pattern pat;      /* on the message after the prefix; (?<text>) is what is grouped */
    char *start;         /* the literal the pattern starts with, read off its source */
    size_t start_len;
} mc_warn_rule;

/* The [@warnings] section of one MTA's rules. */
typedef struct {
    char *mta;           /* its [@mta] name */
    char **programs;     /* the syslog programs that are this MTA's; "x*": any starting with x */
    size_t *program_lens; /* their lengths without the '*' (no strlen per line) */
    bool *program_prefix; /* ended in '*' */
    size_t n_programs;
    uint64_t name_lens;  /* bit n: a name (not a prefix) of n < 64 bytes */
    bool any_prefix;     /* a program is a prefix ("x*") */
    bool own_log;        /* lines of the MTA's own log file (no program) are its */
    mc_pattern prefix;   /* what may stand before the text (a stamp, a pid, an id) */
    bool has_prefix;
    mc_prefix_reader read_prefix; /* prefix's hand reader, or NULL */
    mc_prefix_gate prefix_gate;   /* its gate, or NULL */
    size_t prefix_words; /* the most words it spans: the text starts after 0 .. that many */
    mc_warn_rule *rules;
    size_t n_rules;
    uint8_t first_pairs[MC_WARN_PAIRS]; /* its literals' first bytes and pairs (MC_WARN_PAIRS) */
} mc_warn_mta;

typedef struct {
    mc_warn_mta *mtas;
    size_t n_mtas;
    /* Every MTA's first_pairs or'ed: mtawarn_line's first look at a line
     * the parser split (a literal at the message's start, anyone's). */
    uint8_t start_pairs[MC_WARN_PAIRS];
    size_t *prefixed;   /* the indexes of the MTAs with a prefix */
    size_t n_prefixed;
    /* The MTAs with a prefix as one (their line_may_be_of or'ed), for
     * the first look inlined in mtawarn_line's caller. */
    uint64_t prefixed_name_lens; /* their name_lens or'ed; all bits when one's program is a prefix */
    bool prefixed_any_prefix;    /* one's program is a prefix */
    bool prefixed_own_log;       /* one takes the lines of its own log */
    /* The first_pairs of the one MTA with a prefix, when its prefix has
     * the shipped Exim reader and gate (NULL otherwise): mtawarn_passed
     * then answers the lines that may be its own by the gate where they
     * are read, as may_warn would, without a call. */
    const uint8_t *prefixed_gate;
} mc_warn_rules;

/* Loads the [@warnings] sections of the MTA files (paths relative to dir);
 * a file without one has no warnings.  False with FILE:LINE in err. */
bool mtawarn_load(mc_warn_rules *w, const char *dir, const char *const *mta_files, size_t n_files, char *err,
                  size_t errlen);
void mtawarn_free(mc_warn_rules *w);

/* One warning line, found by mtawarn_line. */
typedef struct {
    const char *mta, *severity;      /* owned by the rules */
    char text[MC_WARN_TEXT_MAX];     /* its group: variable words folded */
    mc_str message;                  /* the whole message, the sample (raw: escape it on output) */
} mc_warning;

/* Whether a rule's literal may start at byte i of s: candidate's first
 * tests (a literal has 3 bytes or more; its first two bytes a pair of
 * first_pairs).  The first byte alone settles most places: ~5
 * instructions where the pair's bit costs ~11. */
static inline bool mtawarn_pair_at(const uint8_t *first_pairs, mc_str s, size_t i)
{
    if (i + 3 > s.n)
        return false;
    unsigned char c0 = (unsigned char)s.p[i];
    if (first_pairs[c0] == 0)
        return false;
    unsigned pair = (unsigned)c0 << 8 | (unsigned char)s.p[i + 1];
    return (first_pairs[MC_WARN_BYTES + pair / 8] & (1u << (pair % 8))) != 0;
}

/* Whether Exim's prefix (mtawarn.c exim_prefix, the reader of the shipped
 * pattern) may end where a rule's literal starts, without
 * reading it.  On the usual mainlog line (the reader's first
 * branch: 24 bytes or more, no stamp, no pid) the prefix is the message id
 * and its space or nothing, and an id holds no space: it ends at 0 or
 * after the first space, which lies within the first 24 bytes.  When no
 * literal may start at either, candidate would find none after the
 * prefix: the line holds no warning of this MTA.  Other lines: maybe.
 * at0: false when the caller knows no literal starts at byte 0. */
static inline bool mtawarn_exim_gate(const uint8_t *first_pairs, mc_str s, bool at0)
{
    if (!(s.n >= 24 && s.p[4] != '-' && s.p[0] != '['))
        return true;
    if (at0 && mtawarn_pair_at(first_pairs, s, 0))
        return true;
    /* Bit i: byte i (of the first 24) is a space; by bit masks, as the id
     * is read (a memchr call cost as much as the rest of the gate). */
    uint32_t spaces = 0;
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(' ');
    spaces = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)s.p), space)) |
             (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadl_epi64((const __m128i *)(const void *)(s.p + 16)), space))
                 << 16;
    /* Bits 24-31 are the zeros of the second load's upper half: no space. */
#else
    for (int i = 0; i < 24; i++)
        spaces |= (uint32_t)(s.p[i] == ' ') << i;
#endif
    return spaces != 0 && mtawarn_pair_at(first_pairs, s, (size_t)(unsigned)__builtin_ctz(spaces) + 1);
}

/* Whether parser p's split of line is of line itself (then taken once:
 * a later line at the same address is split again). */
static inline bool mtawarn_take_split(mc_parser *p, mc_str line)
{
    bool parsed = p->env_line.p == line.p && p->env_line.n == line.n && line.p != NULL;
    p->env_line.p = NULL; /* none (parse.h): one store, the length is then not read */
    return parsed;
}

/* The cheapest part of the first look at a line the parser split (env),
 * inlined where the line is read: true when it is surely no warning (no
 * literal's first pair at the message's start and no MTA with a prefix
 * whose line it may be, or one of Exim's lines that its prefix's gate
 * turns away).  Most lines end here: the call and frame of the whole
 * first look cost ~80 instructions a Postfix line, ~110 an Exim line.
 * An empty message goes on (mtawarn_find says no): rare, and a test
 * fewer on every other line.  Rules without MTAs: true. */
static inline bool mtawarn_passed(const mc_warn_rules *w, const mc_logline *env)
{
    if (mtawarn_pair_at(w->start_pairs, env->message, 0))
        return false;
    size_t n = env->program.n;
    bool may_be = n == 0  ? w->prefixed_own_log && env->form == LOGLINE_EXIM
                  : n < 64 ? (w->prefixed_name_lens >> n & 1) != 0
                           : w->prefixed_any_prefix;
    if (!may_be)
        return true;
    /* Every line of Exim's own log (its program "exim") gets here: the
     * gate, which may_warn would run next, turns away nearly all. */
    return w->prefixed_gate != NULL && env->message.n <= MC_WARN_READ_MAX &&
           !mtawarn_exim_gate(w->prefixed_gate, env->message, false);
}

/* mtawarn_line past the inlined look: the rest of the first look when
 * parsed (the parser's split of line is in p->env), then every rule. */
bool mtawarn_find(const mc_warn_rules *w, mc_parser *p, mc_str line, bool parsed, mc_buf *scratch, mc_warning *out);

/* Whether line (just read by parser p, whose matcher and year state it
 * borrows without changing them) is one of the MTA's warnings; fills out.
 * message may point into scratch (journald lines), kept by the caller. */
static inline bool mtawarn_line(const mc_warn_rules *w, mc_parser *p, mc_str line, mc_buf *scratch,
                                mc_warning *out)
{
    bool parsed = mtawarn_take_split(p, line);
    if (parsed ? mtawarn_passed(w, &p->env) : w->n_mtas == 0)
        return false;
    return mtawarn_find(w, p, line, parsed, scratch, out);
}

/* mtawarn_find, then the warning counted in agg at the parser's time. */
void mtawarn_count_found(const mc_warn_rules *w, mc_parser *p, mc_str line, bool parsed, mc_aggregate *agg);

/* mtawarn_line, then the warning counted in agg at the parser's time
 * (the first look inlined: no call, no scratch on most lines). */
static inline void mtawarn_count(const mc_warn_rules *w, mc_parser *p, mc_str line, mc_aggregate *agg)
{
    bool parsed = mtawarn_take_split(p, line);
    if (parsed ? mtawarn_passed(w, &p->env) : w->n_mtas == 0)
        return;
    mtawarn_count_found(w, p, line, parsed, agg);
}

#endif
