/*
 * patterns.c - compile and run the rules' PCRE2 patterns.
 *
 * Every pattern is compiled (and so checked) at load, and JIT-compiled on
 * its first match: a log exercises a fraction of the rules (a Postfix log
 * never runs the Exim rules, the literal prefilter skips most reasons), and
 * the JIT compiler cost two thirds of the start-up.  Where the JIT is
 * unavailable (some architectures) pcre2_match is used instead with
 * identical results.  A match limit guards against catastrophic
 * backtracking on hostile lines, so a 1 MB line of garbage costs time
 * bounded by the limit, never a hang.
 */
#include "patterns.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "reqlits.h"

static const char *const group_names[G_COUNT] = {
    [G_QUEUE_ID] = "queue_id", [G_RECIPIENT] = "recipient", [G_ORIG_TO] = "orig_to",
    [G_SENDER] = "sender",     [G_RELAY] = "relay",         [G_CLIENT] = "client",
    [G_STATUS] = "status",     [G_COMMAND] = "command",     [G_CODE] = "code",
    [G_ENHANCED] = "enhanced", [G_DSN] = "dsn",             [G_TEXT] = "text",
    [G_REPLY] = "reply",       [G_HOST] = "host",           [G_DETAIL] = "detail",
    [G_SIZE] = "size",         [G_MESSAGE_ID] = "message_id",
    [G_DELAY] = "delay",       [G_DELAYS] = "delays",       [G_TRANSFER] = "transfer",
};

#define MATCH_LIMIT 5000000u
#define MAX_CAPTURES 64

/* Compiles a pattern (the JIT waits for its first match); false with
 * FILE:LINE in err. */
bool pattern_compile(mc_pattern *pat, const char *src, uint32_t flags, const char *file, int line,
                     char *err, size_t errlen)
{
    memset(pat, 0, sizeof *pat);
    int errcode;
    PCRE2_SIZE erroff;
    pat->re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_DUPNAMES | flags, &errcode,
                            &erroff, NULL);
    if (pat->re == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof msg);
        conf_error(err, errlen, file, line,
                   "bad pattern at offset %zu: %s", (size_t)erroff, (const char *)msg);
        return false;
    }
    uint32_t captures = 0;
    pcre2_pattern_info(pat->re, PCRE2_INFO_CAPTURECOUNT, &captures);
    if (captures >= MAX_CAPTURES) {
        conf_error(err, errlen, file, line,
                   "pattern has %u capture groups (at most %d)", captures, MAX_CAPTURES - 1);
        pcre2_code_free(pat->re);
        pat->re = NULL;
        return false;
    }
    atomic_init(&pat->jit, JIT_PENDING);
    for (int g = 0; g < G_COUNT; g++) {
        PCRE2_SPTR first, last;
        int size = pcre2_substring_nametable_scan(pat->re, (PCRE2_SPTR)group_names[g], &first, &last);
        pat->group[g] = -1;
        pat->n_dup[g] = 0;
        if (size <= 0)
            continue;
        /* Each name-table entry starts with the group number, big-endian. */
        for (PCRE2_SPTR e = first; e <= last && pat->n_dup[g] < 4; e += size)
            pat->dup[g][pat->n_dup[g]++] = (e[0] << 8) | e[1];
        pat->group[g] = pat->dup[g][0];
    }
    pat->source = strdup(src);
    pat->file = strdup(file);
    pat->line = line;
    if (pat->source == NULL || pat->file == NULL) {
        conf_error(err, errlen, file, line, "out of memory");
        pattern_free(pat);
        return false;
    }
    return true;
}

/* Frees a compiled pattern. */
void pattern_free(mc_pattern *pat)
{
    if (pat->re)
        pcre2_code_free(pat->re);
    free(pat->gate);
    free(pat->anchor_words);
    free(pat->anchor_bits);
    free(pat->source);
    free(pat->file);
    memset(pat, 0, sizeof *pat);
}

/* Match data and JIT stack for one caller. */
void matcher_init(mc_matcher *m)
{
    memset(m, 0, sizeof *m);
    m->md = pcre2_match_data_create(MAX_CAPTURES, NULL);
    m->mctx = pcre2_match_context_create(NULL);
    m->jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    if (m->md == NULL || m->mctx == NULL) {
        fprintf(stderr, "mailcodes: out of memory (PCRE2 match data)\n");
        exit(3);
    }
    m->ovector = pcre2_get_ovector_pointer(m->md);
    m->ovector_count = pcre2_get_ovector_count(m->md);
    pcre2_set_match_limit(m->mctx, MATCH_LIMIT);
    if (m->jit_stack)
        pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
}

/* Adds literal id to a pattern's anchor words (one word per 64 ids). */
static void anchor_add(mc_pattern *pat, int id)
{
    int w = id / 64;
    int i = 0;
    while (i < pat->n_anchor && pat->anchor_words[i] != w)
        i++;
    if (i == pat->n_anchor) {
        pat->anchor_words = mc_xrealloc(pat->anchor_words, (size_t)(i + 1) * sizeof *pat->anchor_words);
        pat->anchor_bits = mc_xrealloc(pat->anchor_bits, (size_t)(i + 1) * sizeof *pat->anchor_bits);
        pat->anchor_words[i] = w;
        pat->anchor_bits[i] = 0;
        pat->n_anchor++;
    }
    pat->anchor_bits[i] |= 1ULL << (id % 64);
}

/* The gate's first clauses as words of the scan (see patterns.h); none
 * when a branch has no clause. */
static void gate_anchors(mc_pattern *pat)
{
    const int *g = pat->gate + 1;
    for (int b = 0; b < pat->gate[0]; b++, g += g[0]) {
        if (g[1] == 0) {
            free(pat->anchor_words);
            free(pat->anchor_bits);
            pat->anchor_words = NULL;
            pat->anchor_bits = NULL;
            pat->n_anchor = 0;
            return;
        }
        const int *cl = g + 2;
        for (int l = 1; l <= cl[0]; l++)
            anchor_add(pat, cl[l]);
    }
}

/* Registers the pattern's literals in ls (before litset_build): its gate
 * holds every clause of every branch, in reqlits' order (rarest first). */
void pattern_use_prefilter(mc_pattern *pat, mc_litset *ls)
{
    mc_req req;
    if (!reqlits_read(pat->source, &req))
        return;
    size_t len = 1;
    for (size_t b = 0; b < req.n; b++) {
        len += 2;
        for (size_t c = 0; c < req.branches[b].n; c++)
            len += 1 + req.branches[b].clauses[c].n;
    }
    int *g = mc_xmalloc(len * sizeof *g);
    size_t at = 0;
    g[at++] = (int)req.n;
    for (size_t b = 0; b < req.n; b++) {
        const mc_req_branch *br = &req.branches[b];
        size_t start = at;
        g[at++] = 0; /* the branch's length, below */
        g[at++] = (int)br->n;
        for (size_t k = 0; k < br->n; k++) {
            const mc_req_clause *cl = &br->clauses[k];
            g[at++] = (int)cl->n;
            for (size_t l = 0; l < cl->n; l++)
                g[at++] = litset_add(ls, cl->lits[l]);
        }
        g[start] = (int)(at - start);
    }
    reqlits_free(&req);
    pat->gate = g;
    pat->litset = ls;
    gate_anchors(pat);
}

/* Calls fn with the ids of each branch's first (rarest) clause. */
bool pattern_anchor_ids(const mc_pattern *pat, void (*fn)(int id, void *arg), void *arg)
{
    if (pat->gate == NULL)
        return false;
    const int *g = pat->gate + 1;
    for (int b = 0; b < pat->gate[0]; b++) {
        const int *cl = g + 2;
        for (int l = 0; l < cl[0]; l++)
            fn(cl[1 + l], arg);
        g += g[0];
    }
    return true;
}

/* Scans subject once for ls's literals (see patterns.h). */
void matcher_prefilter(mc_matcher *m, const mc_litset *ls, mc_str subject)
{
    matcher_prefilter_clear(m);
    if (subject.p == NULL || ls == NULL)
        return;
    for (size_t i = 0; i < subject.n; i++)
        if ((unsigned char)subject.p[i] >= 0x80)
            return;
    size_t words = litset_words(ls);
    if (words > m->pf_words) {
        free(m->pf_bits);
        m->pf_bits = calloc(words, sizeof *m->pf_bits);
        if (m->pf_bits == NULL) {
            m->pf_words = 0;
            return;
        }
        m->pf_words = words;
    }
    litset_scan(ls, subject, m->pf_bits);
    m->pf_set = ls;
    m->pf_p = subject.p;
    m->pf_n = subject.n;
}

/* Forgets the last prefilter scan: every pattern runs again. */
void matcher_prefilter_clear(mc_matcher *m)
{
    m->pf_set = NULL;
    m->pf_p = NULL;
    m->pf_n = 0;
}

/* The literals of the last scan, when it was of this subject with ls. */
const uint64_t *matcher_found(const mc_matcher *m, const mc_litset *ls, mc_str subject)
{
    if (m->pf_set == NULL || m->pf_set != ls || subject.p != m->pf_p || subject.n != m->pf_n)
        return NULL;
    return m->pf_bits;
}

/* False when the prefilter knows pat cannot match s: no branch of its
 * gate has a found literal in each of its clauses. */
static bool prefilter_allows(const mc_pattern *pat, const mc_matcher *m, mc_str s)
{
    if (pat->gate == NULL)
        return true;
    const uint64_t *bits = matcher_found(m, pat->litset, s);
    if (bits == NULL)
        return true;
    if (pat->n_anchor > 0) {
        uint64_t any = 0;
        for (int i = 0; i < pat->n_anchor; i++)
            any |= bits[pat->anchor_words[i]] & pat->anchor_bits[i];
        if (any == 0)
            return false;
    }
    const int *g = pat->gate + 1;
    for (int b = 0; b < pat->gate[0]; b++, g += g[0]) {
        const int *cl = g + 2;
        bool all = true;
        for (int c = 0; c < g[1] && all; c++, cl += 1 + cl[0]) {
            bool any = false;
            for (int l = 1; l <= cl[0] && !any; l++)
                any = (bits[cl[l] / 64] >> (cl[l] % 64)) & 1;
            all = any;
        }
        if (all)
            return true;
    }
    return false;
}

/* Frees what matcher_init allocated. */
void matcher_free(mc_matcher *m)
{
    free(m->pf_bits);
    free(m->scratch);
    if (m->md)
        pcre2_match_data_free(m->md);
    if (m->mctx)
        pcre2_match_context_free(m->mctx);
    if (m->jit_stack)
        pcre2_jit_stack_free(m->jit_stack);
    memset(m, 0, sizeof *m);
}

/* The scratch buffer, grown to hold n bytes and a NUL: reused across lines,
 * so a stream of replies allocates only while the longest one grows. */
char *matcher_scratch(mc_matcher *m, size_t n)
{
    if (n + 1 > m->scratch_cap) {
        size_t cap = m->scratch_cap ? m->scratch_cap : 256;
        while (cap < n + 1)
            cap *= 2;
        free(m->scratch);
        m->scratch = mc_xcalloc(1, cap); /* zeroed: PCRE2 JIT may read ahead */
        m->scratch_cap = cap;
    }
    return m->scratch;
}

/* Whether the pattern matches s (skipped when the prefilter rules it out). */
bool pattern_match(const mc_pattern *pat, mc_matcher *m, mc_str s)
{
    if (s.p == NULL || !prefilter_allows(pat, m, s))
        return false;
    return pattern_exec(pat, s, m->md, m->mctx) > 0;
}

/* Serialises the JIT compilations: workers share the compiled rules, and no
 * thread may match a pattern while its JIT code is being written. */
static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

/* JIT-compiles pat on its first match, once whatever the threads; its
 * state after (JIT_READY, or JIT_NONE where the JIT is unavailable). */
static int jit_first_use(const mc_pattern *pat)
{
    mc_pattern *p = (mc_pattern *)pat; /* the JIT state is the one mutable part */
    pthread_mutex_lock(&jit_lock);
    int state = atomic_load_explicit(&p->jit, memory_order_relaxed);
    if (state == JIT_PENDING) {
        /* JIT failure is not an error: the interpreter gives the same answers. */
        state = pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE) == 0 ? JIT_READY : JIT_NONE;
        atomic_store_explicit(&p->jit, state, memory_order_release);
    }
    pthread_mutex_unlock(&jit_lock);
    return state;
}

/* Whether the pattern has been JIT-compiled (a test hook). */
bool pattern_jit_done(const mc_pattern *pat)
{
    return atomic_load_explicit(&pat->jit, memory_order_acquire) != JIT_PENDING;
}

/* Lines were validated as UTF-8 by the reader, so the check is skipped. */
int pattern_exec(const mc_pattern *pat, mc_str s, pcre2_match_data *md, pcre2_match_context *ctx)
{
    int state = atomic_load_explicit(&pat->jit, memory_order_acquire);
    if (state == JIT_PENDING)
        state = jit_first_use(pat);
    if (state == JIT_READY)
        return pcre2_jit_match(pat->re, (PCRE2_SPTR)s.p, s.n, 0, 0, md, ctx);
    return pcre2_match(pat->re, (PCRE2_SPTR)s.p, s.n, 0, PCRE2_NO_UTF_CHECK, md, ctx);
}

/* Capture group number of the last match, as a view of s. */
mc_str pattern_capture(const mc_matcher *m, mc_str s, int number)
{
    if (number < 0 || (uint32_t)number >= m->ovector_count)
        return MC_STR_NULL;
    const PCRE2_SIZE *ov = m->ovector;
    PCRE2_SIZE a = ov[2 * number], b = ov[2 * number + 1];
    if (a == PCRE2_UNSET || b < a || b > s.n)
        return MC_STR_NULL;
    return mc_str_make(s.p + a, b - a);
}

/* The named group g of the last match, as a view of s. */
mc_str pattern_group(const mc_pattern *pat, const mc_matcher *m, mc_str s, mc_group g)
{
    for (int i = 0; i < pat->n_dup[g]; i++) {
        mc_str v = pattern_capture(m, s, pat->dup[g][i]);
        if (v.p != NULL)
            return v;
    }
    return MC_STR_NULL;
}
