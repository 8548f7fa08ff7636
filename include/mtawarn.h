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

#include "aggregate.h"
#include "parse.h"

#define MC_SEVERITY_MAX 16 /* bytes of a severity word, with its NUL */
#define MC_WARN_TEXT_MAX MC_SHAPE_MAX /* bytes of a group's folded text, with its NUL */

/* The longest message a prefix reader takes (a longer one runs the
 * prefix's pattern): the same cap as the fact readers'. */
#define MC_WARN_READ_MAX 1024

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
    uint8_t first_pairs[8192]; /* bit c0 * 256 + c1: a rule's literal starts with bytes c0 c1 */
} mc_warn_mta;

typedef struct {
    mc_warn_mta *mtas;
    size_t n_mtas;
    /* Every MTA's first_pairs or'ed: mtawarn_line's first look at a line
     * the parser split (a literal at the message's start, anyone's). */
    uint8_t start_pairs[8192];
    size_t *prefixed;   /* the indexes of the MTAs with a prefix */
    size_t n_prefixed;
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

/* Whether line (just read by parser p, whose matcher and year state it
 * borrows without changing them) is one of the MTA's warnings; fills out.
 * message may point into scratch (journald lines), kept by the caller. */
bool mtawarn_line(const mc_warn_rules *w, mc_parser *p, mc_str line, mc_buf *scratch, mc_warning *out);

/* mtawarn_line, then the warning counted in agg at the parser's time. */
void mtawarn_count(const mc_warn_rules *w, mc_parser *p, mc_str line, mc_aggregate *agg);

#endif
