/*
 * patterns.h - PCRE2 patterns loaded from rules/, compiled once, JIT-compiled
 * on their first match.
 *
 * A pattern may name capture groups after event fields ((?<recipient>...)).
 * The group numbers are looked up once at load time, so matching a line
 * costs one pcre2_jit_match and no allocation.
 */
#ifndef MC_PATTERNS_H
#define MC_PATTERNS_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "prefilter.h"
#include "util.h"

/* The capture group names a rule may use. */
typedef enum {
    G_QUEUE_ID,
    G_RECIPIENT,
    G_ORIG_TO,
    G_SENDER,
    G_RELAY,
    G_CLIENT,
    G_STATUS,
    G_COMMAND,
    G_CODE,
    G_ENHANCED,
    G_DSN,
    G_TEXT,
    G_REPLY,
    G_HOST,
    G_DETAIL,
    G_SIZE,
    G_MESSAGE_ID,
    G_DELAY,     /* time on the queue: Postfix delay=, Exim QT= */
    G_DELAYS,    /* Postfix delays=a/b/c/d */
    G_TRANSFER,  /* Exim DT= */
    G_COUNT
} mc_group;

/* The JIT state of a pattern. */
enum { JIT_PENDING, JIT_READY, JIT_NONE };

typedef struct {
    pcre2_code *re;
    /* JIT_PENDING until the first match JIT-compiles it (see pattern_exec);
     * JIT_READY: matched by pcre2_jit_match; JIT_NONE: by pcre2_match. */
    _Atomic int jit;
    int group[G_COUNT]; /* capture number, or -1 when the pattern lacks it */
    /* A name may stand in several alternatives ((?<detail>a)|(?<detail>b)):
     * all its numbers, the first set one wins. */
    int dup[G_COUNT][4];
    int n_dup[G_COUNT];
    char *source;
    char *file;
    int line;
    /* Literal prefilter (prefilter.h, reqlits.h): what every match
     * contains, as literal ids of litset: gate[0] branches, each
     * {length, clauses, then per clause {literals, ids...}}, the rarest
     * clause of a branch first.  NULL: the pattern always runs. */
    const mc_litset *litset;
    int *gate;
    /* The same gate's first clauses as words of the scan: n_anchor words
     * (indexes anchor_words) whose bits anchor_bits hold every literal of
     * every branch's first clause.  A text with none of them cannot
     * match, found without walking the branches.  0: not known (no gate,
     * or a branch without clauses, which lets every text in). */
    int *anchor_words;
    uint64_t *anchor_bits;
    int n_anchor;
} mc_pattern;

/* Matching scratch space: one per thread of work, reused for every line. */
typedef struct {
    pcre2_match_data *md;
    /* md's ovector and its pair count: fixed for md's life, read once
     * (pattern_capture runs ~15 times per event). */
    PCRE2_SIZE *ovector;
    uint32_t ovector_count;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack;
    /* The literals found in one subject (matcher_prefilter). */
    const mc_litset *pf_set;
    const char *pf_p;
    size_t pf_n;
    uint64_t *pf_bits;
    size_t pf_words;
    /* A working copy of one subject (classify.c masks addresses in it);
     * grows as needed and is kept for the next line. */
    char *scratch;
    size_t scratch_cap;
} mc_matcher;

/* Compiles src; on error writes "file:line: ..." to err and returns false.
 * flags: extra PCRE2 compile options (e.g. PCRE2_CASELESS). */
bool pattern_compile(mc_pattern *pat, const char *src, uint32_t flags, const char *file, int line,
                     char *err, size_t errlen);
void pattern_free(mc_pattern *pat);

/* pcre2_match of a subject already valid UTF-8, or straight to its JIT code
 * when it has one (the same answers without pcre2_match's checks, ~130
 * instructions a call); the match limit is ctx's. */
int pattern_exec(const mc_pattern *pat, mc_str s, pcre2_match_data *md, pcre2_match_context *ctx);
/* Whether pat's JIT compilation has happened (its first match; tests). */
bool pattern_jit_done(const mc_pattern *pat);

void matcher_init(mc_matcher *m);
void matcher_free(mc_matcher *m);

/* Registers the pattern's literals in ls (before litset_build).  A pattern
 * whose literals cannot be read keeps running unfiltered. */
void pattern_use_prefilter(mc_pattern *pat, mc_litset *ls);
/* Calls fn with the literal ids of the rarest clause of each branch of
 * pat's gate (one of them is in every text pat matches); false, without a
 * call, when pat has no gate. */
bool pattern_anchor_ids(const mc_pattern *pat, void (*fn)(int id, void *arg), void *arg);
/* The literals found by the last matcher_prefilter scan of exactly this
 * subject with ls (litset_words(ls) words), or NULL when there was none. */
const uint64_t *matcher_found(const mc_matcher *m, const mc_litset *ls, mc_str subject);
/* Scans subject once with ls: until matcher_prefilter_clear, a pattern of
 * ls run on exactly this subject is skipped when none of its literals is
 * there.  Subjects with non-ASCII bytes are not filtered (caseless
 * Unicode matching could find what an ASCII scan does not). */
void matcher_prefilter(mc_matcher *m, const mc_litset *ls, mc_str subject);
void matcher_prefilter_clear(mc_matcher *m);
/* The matcher's scratch, at least n + 1 bytes (zeroed when it grows). */
char *matcher_scratch(mc_matcher *m, size_t n);

/* Runs the pattern on s.  Returns true on a match; captures are then read
 * with pattern_group. */
bool pattern_match(const mc_pattern *pat, mc_matcher *m, mc_str s);
/* The text of a named group from the last match of pat on s (NULL view
 * when unset). */
mc_str pattern_group(const mc_pattern *pat, const mc_matcher *m, mc_str s, mc_group g);
/* Like pattern_group but by capture number. */
mc_str pattern_capture(const mc_matcher *m, mc_str s, int number);

#endif
