/*
 * prefilter.c - literal prefilter for the rules' regexes (see prefilter.h).
 *
 * The reader of a pattern is deliberately small and suspicious: it knows
 * literal characters, escaped punctuation, classes, groups, quantifiers and
 * zero-width items, and gives up (no literals: the pattern always runs) on
 * anything else.  Giving up costs speed, never a wrong answer.
 */
#include "prefilter.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* The exact sets' byte filter (filter_scan) runs where the CPU has AVX2,
 * chosen at litset_build. */
#define LITSET_FILTER 1
#endif

#define MIN_LITERAL 3
/* The bytes of each literal the automaton holds (litset_prefix).  Cut
 * literals let the scan split a text into windows that overlap by only
 * LITSET_PREFIX - 1 bytes and walk them at once (scan_chains); a longer
 * prefix means fewer rests to compare, a shorter one more overlap.  8
 * was the best measured for both the Exim set (118 literals) and the
 * reasons' (1,216 caseless ones); 4 compared far too many rests for the
 * reasons. */
#define LITSET_PREFIX 8

/* ---- one literal in a short text --------------------------------------- */

#if defined(__SSE2__)
/* The first place among the 16 starting at t where lit starts (candidates:
 * t[k] is its first byte and t[k + n - 1] its last, confirmed in order),
 * or NULL. */
static const char *lit_in_block(const char *t, const char *lit, size_t n, __m128i first, __m128i last)
{
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)t);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(t + n - 1));
    unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
    for (; mask != 0; mask &= mask - 1)
        if (memcmp(t + __builtin_ctz(mask) + 1, lit + 1, n - 2) == 0)
            return t + __builtin_ctz(mask);
    return NULL;
}
#endif

/* Where lit first occurs in text, as memmem answers (see prefilter.h).
 * glibc's memmem hashes every place of the text for each literal: on a
 * log message of 80 bytes a Postfix line's 4 to 6 literals cost about
 * 1,350 instructions, this under 600.  Inlined into lit_find and lit_in,
 * so that neither pays a second call. */
static inline __attribute__((always_inline)) const char *find_lit(mc_str text, const char *lit, size_t n)
{
    if (n == 0)
        return text.p;
    if (text.p == NULL || n > text.n)
        return NULL;
    if (n == 1)
        return memchr(text.p, lit[0], text.n);
#if defined(__SSE2__)
    /* Places 0 .. end-1 can start lit; a block reads t[i .. i+15] and
     * t[i+n-1 .. i+n+14], inside the text while i + 16 <= end.  The last
     * block may overlap the one before it, whose places hold no lit: its
     * first is the text's. */
    size_t end = text.n - n + 1;
    if (end >= 16) {
        __m128i first = _mm_set1_epi8(lit[0]), last = _mm_set1_epi8(lit[n - 1]);
        const char *at;
        for (size_t i = 0; i + 16 <= end; i += 16)
            if ((at = lit_in_block(text.p + i, lit, n, first, last)) != NULL)
                return at;
        return end % 16 != 0 ? lit_in_block(text.p + end - 16, lit, n, first, last) : NULL;
    }
    for (size_t i = 0; i < end; i++)
        if (text.p[i] == lit[0] && text.p[i + n - 1] == lit[n - 1] && memcmp(text.p + i + 1, lit + 1, n - 2) == 0)
            return text.p + i;
    return NULL;
#else
    return memmem(text.p, text.n, lit, n);
#endif
}

/* Where lit first occurs in text (see prefilter.h). */
const char *lit_find(mc_str text, const char *lit, size_t n) { return find_lit(text, lit, n); }

/* Whether lit occurs in text (see prefilter.h): lit_find's answer. */
bool lit_in(mc_str text, const char *lit, size_t n) { return find_lit(text, lit, n) != NULL; }

/* The kind of each ASCII byte for lit_bytes, as its bit: a-z and A-Z
 * 0-25, 0-9 26-35, the space 36, the punctuation of log lines 37-62 (five
 * pairs share one), control bytes and DEL 63.  A byte past ASCII counts
 * as the one of its low seven bits: a text holding it holds that kind,
 * and so does a literal. */
#define B(n) (1ULL << (n))
static const uint64_t byte_bit[128] = {
    B(63), B(63), B(63), B(63), B(63), B(63), B(63), B(63),
    B(63), B(63), B(63), B(63), B(63), B(63), B(63), B(63),
    B(63), B(63), B(63), B(63), B(63), B(63), B(63), B(63),
    B(63), B(63), B(63), B(63), B(63), B(63), B(63), B(63),
    B(36), B(60), B(53), B(58), B(59), B(56), B(57), B(52),
    B(37), B(38), B(55), B(54), B(46), B(48), B(45), B(50),
    B(26), B(27), B(28), B(29), B(30), B(31), B(32), B(33),
    B(34), B(35), B(43), B(44), B(39), B(47), B(40), B(61),
    B(51), B(0), B(1), B(2), B(3), B(4), B(5), B(6),
    B(7), B(8), B(9), B(10), B(11), B(12), B(13), B(14),
    B(15), B(16), B(17), B(18), B(19), B(20), B(21), B(22),
    B(23), B(24), B(25), B(41), B(41), B(42), B(62), B(49),
    B(63), B(0), B(1), B(2), B(3), B(4), B(5), B(6),
    B(7), B(8), B(9), B(10), B(11), B(12), B(13), B(14),
    B(15), B(16), B(17), B(18), B(19), B(20), B(21), B(22),
    B(23), B(24), B(25), B(37), B(39), B(38), B(40), B(63),
};
#undef B

/* The kinds of byte s holds (see prefilter.h): one table load a byte. */
uint64_t lit_bytes(mc_str s)
{
    uint64_t set = 0;
    for (size_t i = 0; i < s.n; i++)
        set |= byte_bit[(unsigned char)s.p[i] & 127];
    return set;
}

/* ---- the first of a few literals, in one pass --------------------------- */

/* At most this many distinct keys in one pass. */
#define FIRSTLIT_KEYS 16

/* A literal of two bytes or more is found by a pair of its adjacent bytes
 * (its key, key_place): a block of 16 or 32 places is compared with every
 * key at once, and only a place where some key ends is checked against
 * the literals with that key, in order.  One-byte literals are looked up
 * by memchr. */
struct mc_firstlit {
#if defined(__SSE2__)
    __m128i kx[FIRSTLIT_KEYS], ky[FIRSTLIT_KEYS]; /* each key's first and second byte, in every lane */
#endif
    size_t n_keys;
    bool plain;                 /* a set the pass cannot hold: firstlit_plain */
    bool ones;                  /* it has one-byte literals */
    bool wide;                  /* 32 places a step (the CPU has AVX2) */
    unsigned char key[FIRSTLIT_KEYS][2];       /* the keys' bytes */
    char **lits;
    size_t *lens;
    uint16_t *pair;             /* per literal: its key, first byte low (0: one byte) */
    size_t *after;              /* per literal: its bytes after its key's */
    size_t n;
};

/* How common a byte is in log text, roughly: the space, '=' (every
 * key=value field of Postfix and Exim) and the common lower-case letters
 * most, then the other lower-case letters, then the other letters and
 * digits, punctuation least. */
static int byte_weight(unsigned char c)
{
    if (c == ' ' || c == '=' || (c != '\0' && strchr("etaoinsrhld", c) != NULL))
        return 3;
    return c >= 'a' && c <= 'z' ? 2 : isalnum(c) ? 1 : 0;
}

/* Where a literal's key starts: the pair of adjacent bytes of the least
 * weight (the last of equals), so that few places of a text share it
 * ("Co" of "Connection refused", not the "ed" of every "queued"). */
static size_t key_place(const char *lit, size_t len)
{
    size_t best = len - 2;
    for (size_t i = len - 2; i-- > 0;)
        if (byte_weight((unsigned char)lit[i]) + byte_weight((unsigned char)lit[i + 1]) <
            byte_weight((unsigned char)lit[best]) + byte_weight((unsigned char)lit[best + 1]))
            best = i;
    return best;
}

/* The search for lits (see prefilter.h): its keys, or plain. */
mc_firstlit *firstlit_new(char *const *lits, const size_t *lens, size_t n)
{
    mc_firstlit *f = mc_xcalloc(1, sizeof *f);
    f->lits = mc_xcalloc(n + 1, sizeof *f->lits);
    f->lens = mc_xcalloc(n + 1, sizeof *f->lens);
    f->pair = mc_xcalloc(n + 1, sizeof *f->pair);
    f->after = mc_xcalloc(n + 1, sizeof *f->after);
    f->n = n;
    unsigned char(*keys)[2] = f->key;
    for (size_t i = 0; i < n; i++) {
        f->lits[i] = mc_xmalloc(lens[i] + 1);
        memcpy(f->lits[i], lits[i], lens[i]);
        f->lits[i][lens[i]] = '\0';
        f->lens[i] = lens[i];
        f->ones |= lens[i] == 1;
        if (lens[i] < 2)
            continue;
        size_t at = key_place(lits[i], lens[i]);
        unsigned char x = (unsigned char)lits[i][at], y = (unsigned char)lits[i][at + 1];
        f->pair[i] = (uint16_t)(x | y << 8);
        f->after[i] = lens[i] - at - 2;
        size_t k = 0;
        while (k < f->n_keys && (keys[k][0] != x || keys[k][1] != y))
            k++;
        if (k < f->n_keys)
            continue;
        if (f->n_keys == FIRSTLIT_KEYS) {
            f->plain = true;
            continue;
        }
        keys[k][0] = x;
        keys[k][1] = y;
        f->n_keys++;
    }
#if defined(__SSE2__)
    for (size_t k = 0; k < f->n_keys; k++) {
        f->kx[k] = _mm_set1_epi8((char)keys[k][0]);
        f->ky[k] = _mm_set1_epi8((char)keys[k][1]);
    }
#else
    f->plain = true;
#endif
#if defined(LITSET_FILTER)
    f->wide = __builtin_cpu_supports("avx2");
#endif
    return f;
}

void firstlit_free(mc_firstlit *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->lits[i]);
    free(f->lits);
    free(f->lens);
    free(f->pair);
    free(f->after);
    free(f);
}

/* The definition: one lit_in per literal, in order. */
size_t firstlit_plain(char *const *lits, const size_t *lens, size_t n, mc_str text)
{
    for (size_t i = 0; i < n; i++)
        if (lit_in(text, lits[i], lens[i]))
            return i;
    return n;
}

/* Returns scan(f, text, best, K) with K the constant f->n_keys (1 to 16):
 * each count of keys gets its loop unrolled. */
#define FIRSTLIT_BY_KEYS(scan, f, text, best)                                                                   \
    switch ((f)->n_keys) {                                                                                      \
    case 1: return scan(f, text, best, 1);                                                                      \
    case 2: return scan(f, text, best, 2);                                                                      \
    case 3: return scan(f, text, best, 3);                                                                      \
    case 4: return scan(f, text, best, 4);                                                                      \
    case 5: return scan(f, text, best, 5);                                                                      \
    case 6: return scan(f, text, best, 6);                                                                      \
    case 7: return scan(f, text, best, 7);                                                                      \
    case 8: return scan(f, text, best, 8);                                                                      \
    case 9: return scan(f, text, best, 9);                                                                      \
    case 10: return scan(f, text, best, 10);                                                                    \
    case 11: return scan(f, text, best, 11);                                                                    \
    case 12: return scan(f, text, best, 12);                                                                    \
    case 13: return scan(f, text, best, 13);                                                                    \
    case 14: return scan(f, text, best, 14);                                                                    \
    case 15: return scan(f, text, best, 15);                                                                    \
    default: return scan(f, text, best, 16);                                                                    \
    }

#if defined(__SSE2__)
/* The first literal before best whose key ends at s[e] (e >= 1) in a text
 * of n bytes, or best: kept out of the scan loop (few places are
 * candidates). */
__attribute__((noinline)) static size_t firstlit_check(const mc_firstlit *f, const char *s, size_t n, size_t e,
                                                       size_t best)
{
    uint16_t pair = (uint16_t)((unsigned char)s[e - 1] | (unsigned char)s[e] << 8);
    for (size_t k = 0; k < best; k++) {
        if (f->pair[k] != pair)
            continue;
        size_t len = f->lens[k], end = e + 1 + f->after[k];
        const char *lit = f->lits[k];
        if (len >= 2 && len <= end && end <= n && s[end - len] == lit[0] && memcmp(s + end - len, lit, len) == 0)
            return k;
    }
    return best;
}

/* The block of places (where a key's second byte may sit) whose pairs of
 * bytes are s[i .. i+15] and s[i+1 .. i+16]: a place some of the K keys
 * fits is checked; the new best. */
static inline __attribute__((always_inline)) size_t firstlit_block(const mc_firstlit *f, const __m128i *x,
                                                                   const __m128i *y, size_t K, const char *s,
                                                                   size_t n, size_t i, size_t best)
{
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 1));
    __m128i acc = _mm_and_si128(_mm_cmpeq_epi8(a, x[0]), _mm_cmpeq_epi8(b, y[0]));
#pragma GCC unroll 16
    for (size_t k = 1; k < K; k++)
        acc = _mm_or_si128(acc, _mm_and_si128(_mm_cmpeq_epi8(a, x[k]), _mm_cmpeq_epi8(b, y[k])));
    for (unsigned mask = (unsigned)_mm_movemask_epi8(acc); mask != 0 && best > 0; mask &= mask - 1)
        best = firstlit_check(f, s, n, i + (size_t)__builtin_ctz(mask) + 1, best);
    return best;
}

/* One pass over text (17 bytes or more) with K keys, the pairs' places
 * 1 .. n-1 sixteen at a time (the last block may overlap the one before:
 * a place checked twice gives the same answer). */
static inline __attribute__((always_inline)) size_t firstlit_scan(const mc_firstlit *f, mc_str text, size_t best,
                                                                  size_t K)
{
    __m128i x[FIRSTLIT_KEYS], y[FIRSTLIT_KEYS];
#pragma GCC unroll 16
    for (size_t k = 0; k < FIRSTLIT_KEYS; k++) { /* the unused ones: never read */
        x[k] = f->kx[k];
        y[k] = f->ky[k];
    }
    size_t last = text.n - 17;
    for (size_t i = 0; i <= last && best > 0; i += 16)
        best = firstlit_block(f, x, y, K, text.p, text.n, i, best);
    if (last % 16 != 0 && best > 0)
        best = firstlit_block(f, x, y, K, text.p, text.n, last, best);
    return best;
}
#endif

#if defined(LITSET_FILTER)
/* firstlit_block with AVX2: 32 places, s[i .. i+31] and s[i+1 .. i+32]. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) size_t
firstlit_block32(const mc_firstlit *f, const __m256i *x, const __m256i *y, size_t K, const char *s, size_t n,
                 size_t i, size_t best)
{
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
    __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 1));
    __m256i acc = _mm256_and_si256(_mm256_cmpeq_epi8(a, x[0]), _mm256_cmpeq_epi8(b, y[0]));
#pragma GCC unroll 16
    for (size_t k = 1; k < K; k++)
        acc = _mm256_or_si256(acc, _mm256_and_si256(_mm256_cmpeq_epi8(a, x[k]), _mm256_cmpeq_epi8(b, y[k])));
    for (uint32_t mask = (uint32_t)_mm256_movemask_epi8(acc); mask != 0 && best > 0; mask &= mask - 1)
        best = firstlit_check(f, s, n, i + (size_t)__builtin_ctz(mask) + 1, best);
    return best;
}

/* firstlit_scan with AVX2, on a text of 33 bytes or more. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) size_t
firstlit_scan32(const mc_firstlit *f, mc_str text, size_t best, size_t K)
{
    __m256i x[FIRSTLIT_KEYS], y[FIRSTLIT_KEYS];
#pragma GCC unroll 16
    for (size_t k = 0; k < FIRSTLIT_KEYS; k++) { /* the unused ones: never read */
        x[k] = _mm256_set1_epi8((char)f->key[k][0]);
        y[k] = _mm256_set1_epi8((char)f->key[k][1]);
    }
    size_t last = text.n - 33;
    for (size_t i = 0; i <= last && best > 0; i += 32)
        best = firstlit_block32(f, x, y, K, text.p, text.n, i, best);
    if (last % 32 != 0 && best > 0)
        best = firstlit_block32(f, x, y, K, text.p, text.n, last, best);
    return best;
}

/* firstlit_scan32 for f's count of keys (1 to 16). */
__attribute__((target("avx2"))) static size_t firstlit_wide(const mc_firstlit *f, mc_str text, size_t best)
{
    FIRSTLIT_BY_KEYS(firstlit_scan32, f, text, best);
}
#endif

/* Sixteen places a step even where the CPU has AVX2 (the tests compare both). */
void firstlit_narrow(mc_firstlit *f)
{
    f->wide = false;
}

/* firstlit_find on every path but the AVX2 pass without one-byte
 * literals: out of line, so that path sets up no frame of its own. */
__attribute__((noinline)) static size_t firstlit_find_rest(const mc_firstlit *f, mc_str text)
{
#if defined(__SSE2__)
    if (f->plain || text.p == NULL || text.n < 17)
        return firstlit_plain(f->lits, f->lens, f->n, text);
    size_t best = f->n;
    for (size_t i = 0; f->ones && i < best; i++)
        if (f->lens[i] == 1 && memchr(text.p, f->lits[i][0], text.n) != NULL)
            best = i;
    if (f->n_keys == 0)
        return best;
#if defined(LITSET_FILTER)
    if (f->wide && text.n >= 33)
        return firstlit_wide(f, text, best);
#endif
    FIRSTLIT_BY_KEYS(firstlit_scan, f, text, best);
#else
    return firstlit_plain(f->lits, f->lens, f->n, text);
#endif
}

/* The first literal text holds (see prefilter.h).  The common case (the
 * markers on a line of 33 bytes or more, with AVX2) goes straight to the
 * wide pass: the same steps firstlit_find_rest takes for it. */
size_t firstlit_find(const mc_firstlit *f, mc_str text)
{
#if defined(LITSET_FILTER)
    if (f->wide && !f->plain && !f->ones && f->n_keys > 0 && text.p != NULL && text.n >= 33)
        return firstlit_wide(f, text, f->n);
#endif
    return firstlit_find_rest(f, text);
}

/* ---- reading literals off a pattern ----------------------------------- */

/* Index just past a character class starting at s[i] == '[', or 0. */
static size_t skip_class(const char *s, size_t i, size_t n)
{
    i++;
    if (i < n && s[i] == '^')
        i++;
    if (i < n && s[i] == ']')
        i++;
    while (i < n && s[i] != ']') {
        if (s[i] == '\\' && i + 1 < n)
            i += 2;
        else if (s[i] == '[' && i + 1 < n && s[i + 1] == ':') {
            const char *end = strstr(s + i + 2, ":]");
            if (end == NULL || (size_t)(end - s) >= n)
                return 0;
            i = (size_t)(end - s) + 2;
        } else
            i++;
    }
    return i < n ? i + 1 : 0;
}

/* Index just past the group starting at s[i] == '(', or 0. */
static size_t skip_group(const char *s, size_t i, size_t n)
{
    int depth = 0;
    while (i < n) {
        char c = s[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (c == '[') {
            size_t j = skip_class(s, i, n);
            if (j == 0)
                return 0;
            i = j;
            continue;
        }
        if (c == '(')
            depth++;
        else if (c == ')' && --depth == 0)
            return i + 1;
        i++;
    }
    return 0;
}

/* A quantifier at s[i]: sets *optional when it allows zero repetitions and
 * returns the index past it (and past a lazy/possessive mark); i when none. */
static size_t skip_quantifier(const char *s, size_t i, size_t n, bool *optional)
{
    *optional = false;
    if (i >= n)
        return i;
    size_t j = i;
    if (s[j] == '?' || s[j] == '*') {
        *optional = true;
        j++;
    } else if (s[j] == '+') {
        j++;
    } else if (s[j] == '{') {
        size_t k = j + 1;
        if (k >= n || !isdigit((unsigned char)s[k]))
            return i; /* a literal '{' */
        long min = strtol(s + k, NULL, 10);
        while (k < n && (isdigit((unsigned char)s[k]) || s[k] == ','))
            k++;
        if (k >= n || s[k] != '}')
            return i;
        *optional = min == 0;
        j = k + 1;
    } else {
        return i;
    }
    if (j < n && (s[j] == '?' || s[j] == '+'))
        j++;
    return j;
}

static size_t read_literals(const char *src, bool fold, char ***out);

typedef struct {
    char *best;
    size_t best_len;
    char *cur;
    size_t cur_len;
    char **group;        /* the literal set of a required group, if any */
    size_t n_group;
    bool fold;           /* lowercase the literals (a caseless reading) */
} runs;

/* The content of a group that matches like a plain group ((...), (?:...),
 * (?<name>...), (?|...), (?>...)): its offset and length; false for
 * look-arounds, option settings, comments and the like. */
static bool group_body(const char *s, size_t i, size_t j, size_t *off, size_t *len)
{
    size_t a = i + 1, b = j - 1; /* inside the parentheses */
    if (a < b && s[a] == '?') {
        if (a + 1 < b && (s[a + 1] == ':' || s[a + 1] == '|' || s[a + 1] == '>'))
            a += 2;
        else if (a + 2 < b && (s[a + 1] == '<' || (s[a + 1] == 'P' && s[a + 2] == '<')) &&
                 s[a + 1 + (s[a + 1] == 'P') + 1] != '=' && s[a + 1 + (s[a + 1] == 'P') + 1] != '!') {
            const char *gt = memchr(s + a, '>', b - a);
            if (gt == NULL)
                return false;
            a = (size_t)(gt - s) + 1;
        } else
            return false;
    }
    *off = a;
    *len = b - a;
    return true;
}

/* Closes the current literal run; keeps it when it holds a word. */
static void end_run(runs *r)
{
    /* A run of spaces only says nothing. */
    bool word = false;
    for (size_t i = 0; i < r->cur_len; i++)
        word = word || isalnum((unsigned char)r->cur[i]);
    if (word && r->cur_len > r->best_len) {
        memcpy(r->best, r->cur, r->cur_len);
        r->best_len = r->cur_len;
    }
    r->cur_len = 0;
}

/* The longest literal every match of this branch contains, or "" (-1 on a
 * construct this reader does not know). */
static int branch_literal(const char *s, size_t n, runs *r)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        int lit = -1;
        bool optional;
        if (c == '\\') {
            if (i + 1 >= n)
                return -1;
            unsigned char d = (unsigned char)s[i + 1];
            if (strchr("bBAzZG", d) && d) {
                end_run(r);
                i += 2;
                continue;
            }
            if (strchr("dwsDWShHvVNRX", d) && d) {
                end_run(r);
                i = skip_quantifier(s, i + 2, n, &optional);
                continue;
            }
            if (isalnum(d))
                return -1; /* \x, \p, \Q, \k, back references ...: give up */
            lit = d;
            i += 2;
        } else if (c == '[') {
            size_t j = skip_class(s, i, n);
            if (j == 0)
                return -1;
            end_run(r);
            i = skip_quantifier(s, j, n, &optional);
            continue;
        } else if (c == '(') {
            size_t j = skip_group(s, i, n);
            if (j == 0)
                return -1;
            if (i + 2 < n && s[i + 1] == '*')
                return -1; /* (*VERB) */
            end_run(r);
            size_t k = skip_quantifier(s, j, n, &optional);
            size_t off, len;
            /* A required group's own literal set will do for a branch that
             * has no literal of its own: "(?:SPF|DKIM|DMARC)". */
            if (!optional && r->group == NULL && group_body(s, i, j, &off, &len)) {
                char *inner = mc_xstrndup(s + off, len);
                r->n_group = read_literals(inner, r->fold, &r->group);
                free(inner);
            }
            i = k;
            continue;
        } else if (c == ')' || c == '|') {
            return -1;
        } else if (c == '.' || c == '^' || c == '$') {
            end_run(r);
            i = skip_quantifier(s, i + 1, n, &optional);
            continue;
        } else if (c == '*' || c == '+' || c == '?') {
            return -1; /* a quantifier with nothing before it */
        } else {
            lit = c;
            i++;
        }
        /* A literal character, perhaps quantified. */
        size_t j = skip_quantifier(s, i, n, &optional);
        if (optional) {
            end_run(r);
        } else if (lit >= 0x80) {
            end_run(r); /* caseless UTF-8: leave it to the regex */
        } else {
            r->cur[r->cur_len++] = r->fold ? (char)tolower(lit) : (char)lit;
            if (j != i)
                end_run(r); /* repeated: what follows is not adjacent */
        }
        i = j;
    }
    end_run(r);
    return 0;
}

/* Whether src sets an option inline ("(?i)", "(?x:", "(?-i)") whose
 * letters include one of opts. */
static bool sets_option(const char *src, const char *opts)
{
    for (const char *q = strstr(src, "(?"); q != NULL; q = strstr(q + 1, "(?")) {
        /* An escaped parenthesis is a literal one. */
        const char *b = q;
        while (b > src && b[-1] == '\\')
            b--;
        if ((q - b) % 2)
            continue;
        const char *k = q + 2;
        bool hit = false;
        while (isalpha((unsigned char)*k) || *k == '-' || *k == '^')
            hit = hit || strchr(opts, *k++) != NULL;
        if (hit && (*k == ')' || *k == ':'))
            return true;
    }
    return false;
}

/* Literals one of which every match of src contains (malloc'd); how many, 0 when unknown. */
size_t prefilter_literals(const char *src, char ***out)
{
    return read_literals(src, true, out);
}

/* The same, in the pattern's own case, for a pattern matched with case:
 * 0 when it sets the caseless option anywhere. */
size_t prefilter_literals_exact(const char *src, char ***out)
{
    *out = NULL;
    if (sets_option(src, "i"))
        return 0;
    return read_literals(src, false, out);
}

/* prefilter_literals, lowercased or not.  Extended syntax (?x), where a
 * space in the source is no space in the text, is not read. */
static size_t read_literals(const char *src, bool fold, char ***out)
{
    *out = NULL;
    if (sets_option(src, "x"))
        return 0;
    size_t n = strlen(src);
    /* A leading option setting such as (?i) changes no literal. */
    size_t start = 0;
    if (n >= 4 && src[0] == '(' && src[1] == '?') {
        size_t k = 2;
        while (k < n && (isalpha((unsigned char)src[k]) || src[k] == '-'))
            k++;
        if (k < n && src[k] == ')')
            start = k + 1;
    }
    char *best = mc_xmalloc(n + 1), *cur = mc_xmalloc(n + 1);
    char **lits = NULL;
    size_t count = 0;
    bool ok = true;
    size_t i = start, b = start;
    int depth = 0;
    while (ok && i <= n) {
        if (i < n && src[i] == '\\') {
            i += 2;
            continue;
        }
        if (i < n && src[i] == '[') {
            size_t j = skip_class(src, i, n);
            if (j == 0) {
                ok = false;
                break;
            }
            i = j;
            continue;
        }
        if (i < n && src[i] == '(')
            depth++;
        if (i < n && src[i] == ')')
            depth--;
        if (i == n || (src[i] == '|' && depth == 0)) {
            runs r = {best, 0, cur, 0, NULL, 0, fold};
            int rc = branch_literal(src + b, i - b, &r);
            if (rc == 0 && r.best_len >= MIN_LITERAL) {
                lits = mc_xrealloc(lits, (count + 1) * sizeof *lits);
                lits[count++] = mc_xstrndup(r.best, r.best_len);
            } else if (rc == 0 && r.n_group > 0) {
                lits = mc_xrealloc(lits, (count + r.n_group) * sizeof *lits);
                for (size_t g = 0; g < r.n_group; g++)
                    lits[count++] = mc_xstrdup(r.group[g]);
            } else {
                ok = false;
            }
            prefilter_free_literals(r.group, r.n_group);
            if (!ok)
                break;
            b = i + 1;
        }
        i++;
    }
    free(best);
    free(cur);
    if (!ok || depth != 0) {
        prefilter_free_literals(lits, count);
        return 0;
    }
    *out = lits;
    return count;
}

/* Frees what prefilter_literals returned. */
void prefilter_free_literals(char **lits, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lits[i]);
    free(lits);
}

/* ---- Aho-Corasick ------------------------------------------------------- */

struct mc_litset {
    char **lits;
    size_t n_lits;
    /* litset_add's index of lits: open addressing, id + 1 per slot (0:
     * empty), at most half full, so adding L literals costs L, not L^2. */
    uint32_t *slots;
    size_t n_slots;
    /* Bytes that appear in no literal all behave alike: they map to class 0,
     * so the scan table is n_states * n_classes small entries and stays in
     * cache. */
    uint8_t byte_class[256];
    size_t n_classes;
    /* After build: n_states * n_classes entries, each the next state's row
     * offset (state * n_classes), the states renumbered so that those
     * where literals end come last: one load per byte gives the next row,
     * and one comparison with out_row whether to look for outputs (no
     * multiply, no second load, no flag to strip). */
    uint32_t *table;
    size_t out_row;      /* the first row of a state with outputs */
    uint8_t scan_class[256]; /* byte_class of the byte as scanned (folded when caseless) */
    /* trie, then automaton */
    uint32_t *next;      /* n_states * n_classes states, when there is no table */
    bool *has_out;       /* per state (the automaton's numbering): literals end here */
    /* The same, sparse: for state s, the nonzero (word, mask) pairs
     * out_pairs[out_first[s] .. out_first[s + 1]). */
    uint32_t *out_first;
    uint32_t *out_word;
    uint64_t *out_mask;
    /* Per state, its one (word, mask) pair when it has exactly one (most
     * output states: one literal ends there), mask 0 otherwise: the scan
     * marks it in place.  recip: a row offset times recip, shifted right
     * by 32, is its state (a multiply, not a division by n_classes). */
    uint32_t *one_word;
    uint64_t *one_mask;
    uint64_t recip;
    /* The automaton holds each literal's first prefix bytes (0: all of
     * them); a longer literal whose prefix ends in a state is in that
     * state's list ver_lit[ver_first[s] .. ver_first[s + 1]) (the table's
     * numbering), its rest compared where the prefix ends. */
    size_t prefix;
    /* With a prefix, the one-byte literals ('.', '['; on most lines, so an
     * output and a mispredicted branch in the scan several times a line)
     * are looked for by memchr instead: ids, and the byte(s) each. */
    uint32_t *single_id;
    unsigned char (*single_byte)[2];
    size_t n_single;
    size_t *lens;
    uint32_t *ver_first;
    uint32_t *ver_lit;
    /* An exact set on a CPU with AVX2 (and no filter turned off) is
     * scanned by filter_scan instead of the table (see there). */
    struct litfilter *filter;
    bool no_filter;
    size_t n_states;
    size_t words;
    bool built;
    bool exact;          /* no case folding */
};

static bool single_lit(const mc_litset *ls, size_t i);

/* litset_words's answer, inlined where a scan clears its bits (an
 * exported function is called, not inlined, in the shared build). */
static inline size_t words_of(const mc_litset *ls) { return ls->words ? ls->words : 1; }

/* ---- the byte filter of exact sets -------------------------------------- */

/* The automaton reads a text one byte at a time, each step a load that
 * waits for the one before.  An exact set (the MTA's: a few hundred
 * literals at most, of a few dozen first bytes) is scanned instead
 * 32 places a step: a place is a candidate when its first three bytes may
 * begin a literal (Teddy's nibble tables: bucket bits by the low and the
 * high half of each byte, ANDed; a two-byte literal leaves its third byte
 * free), and each candidate is checked against the literals that begin
 * with its two bytes, whole.  The tables may let through places that
 * begin no literal (a nibble of one literal with the other nibble of
 * another), never turn one away; the check decides, among the literals
 * that begin with the candidate's three bytes (or its two, for a two-byte
 * literal).  The one-byte literals are compared in the same pass.  Found: exactly the plain
 * automaton's bits (test_scan_like_plain, test_filter_like_chains). */

/* A literal of two bytes or more as the check compares it: its first
 * 16 bytes as two little-endian words under masks (a word past its end
 * has mask 0), the rest by memcmp. */
typedef struct {
    uint64_t head, mask, head2, mask2;
    const char *rest;          /* the bytes after the first 16 */
    uint32_t id, len;
} filter_lit;

/* The literals that begin with one key: lits[first .. first + count).
 * The key of a literal and of a place is its first three bytes (b0 |
 * b1 << 8 | b2 << 16), or its first two tagged 1 << 24 for a two-byte
 * literal: a place looks up both. */
typedef struct {
    uint32_t key;
    uint16_t first, count;
} filter_slot;

#define FILTER_SINGLES 4

struct litfilter {
    uint8_t nib[2][6][16];     /* 16 buckets, 8 a table: [t][2k] bucket bits by the low nibble of byte k, [t][2k + 1] by the high */
    uint8_t wide[2][6][32];    /* each table twice, as filter_block loads it (no broadcast a text) */
    filter_lit *lits;          /* sorted by key */
    filter_slot *slots;        /* open addressing by key_slot, count 0: empty */
    uint64_t prints[64];       /* print_bit of each literal's first three bytes (two, tagged 1 << 24, for a two-byte one) */
    uint64_t two_first[4];     /* the first bytes of the two-byte literals (the text's last place, filter_scan) */
    size_t slot_mask;
    size_t n_single;
    unsigned char single_byte[FILTER_SINGLES];
    uint32_t single_id[FILTER_SINGLES];
};

/* Frees a filter (NULL: nothing). */
static void filter_free(struct litfilter *f)
{
    if (f == NULL)
        return;
    free(f->lits);
    free(f->slots);
    free(f);
}

/* The filter's builders: used only where the filter is (x86-64 with GCC's
 * builtins); elsewhere -Werror would stop at them as unused. */
#if defined(LITSET_FILTER)
/* A literal's first bytes (packed little-endian, see filter_check) to
 * one of 4,096 bits. */
static inline uint32_t print_bit(uint32_t v) { return (v * 2654435761u) >> 20; }

/* The key of a literal of len bytes (two or more) whose first word is head. */
static inline uint32_t lit_key(uint64_t head, uint32_t len)
{
    return len > 2 ? (uint32_t)(head & 0xffffff) : (uint32_t)(head & 0xffff) | 1u << 24;
}

/* The first slot to probe for a key. */
static size_t key_slot(uint32_t key, size_t mask) { return (key * 2654435761u >> 16) & mask; }

/* The slot of a key: where it is, or the empty one it would take. */
static const filter_slot *find_key(const struct litfilter *f, uint32_t key)
{
    size_t i = key_slot(key, f->slot_mask);
    while (f->slots[i].count && f->slots[i].key != key)
        i = (i + 1) & f->slot_mask;
    return &f->slots[i];
}

/* Orders filter literals by key, then id. */
static int by_key(const void *a, const void *b)
{
    const filter_lit *x = a, *y = b;
    uint32_t kx = lit_key(x->head, x->len), ky = lit_key(y->head, y->len);
    if (kx != ky)
        return kx < ky ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Orders three-byte fingerprints (packed b0 << 16 | b1 << 8 | b2). */
static int by_value(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Sets bucket b (of 16) for byte k of a fingerprint: value v, or any
 * byte when v < 0. */
static void filter_mark(struct litfilter *f, size_t b, int k, int v)
{
    uint8_t bit = (uint8_t)(1u << (b % 8));
    for (int x = 0; x < 16; x++) {
        if (v < 0 || x == (v & 15))
            f->nib[b / 8][2 * k][x] |= bit;
        if (v < 0 || x == (v >> 4))
            f->nib[b / 8][2 * k + 1][x] |= bit;
    }
}

/* A bucket's prints counted by the nibbles of each of their three bytes;
 * the distinct low nibbles and printable high ones (2 to 7) each byte
 * holds (place_prints). */
typedef struct {
    int lo[3][16], hi[3][16];
    int n_lo[3], n_hi[3];
    int n, twos;
} bucket_nibbles;

/* Whether a high nibble is one of printable ASCII's (0x20 to 0x7f). */
static int printable_high(unsigned h) { return h >= 2 && h <= 7; }

/* Counts print v in (by 1) or out (by -1) of bucket c. */
static void bucket_count(bucket_nibbles *c, uint32_t v, int by)
{
    for (int k = 0; k < 3; k++) {
        unsigned x = v >> (16 - 8 * k) & 0xff, l = x & 15, h = x >> 4;
        c->n_lo[k] += (c->lo[k][l] + by > 0) - (c->lo[k][l] > 0);
        c->n_hi[k] += printable_high(h) * ((c->hi[k][h] + by > 0) - (c->hi[k][h] > 0));
        c->lo[k][l] += by;
        c->hi[k][h] += by;
    }
    c->n += by;
    c->twos += (int)(v >> 24) * by;
}

/* The printable bytes a byte's nibbles admit: n_hi printable high
 * nibbles (2 to 7) by n_lo low ones, less DEL (0x7f) when both its
 * nibbles are held. */
static uint64_t admitted(int n_hi, int n_lo, bool del) { return (uint64_t)(n_hi * n_lo - del); }

/* The printable places bucket c lets through: the product over its three
 * bytes of the printable bytes its nibbles admit (all 95 for the third
 * when it holds a two-byte literal).  A bucket admits every mix of its
 * prints' nibbles: few and alike prints in one let fewer places through. */
static uint64_t bucket_cost(const bucket_nibbles *c)
{
    if (c->n == 0)
        return 0;
    uint64_t cost = 1;
    for (int k = 0; k < (c->twos ? 2 : 3); k++)
        cost *= admitted(c->n_hi[k], c->n_lo[k], c->hi[k][7] > 0 && c->lo[k][15] > 0);
    return c->twos ? cost * 95 : cost;
}

/* bucket_cost of c with print v added. */
static uint64_t cost_with(const bucket_nibbles *c, uint32_t v)
{
    bool twos = c->twos || v >> 24;
    uint64_t cost = 1;
    for (int k = 0; k < (twos ? 2 : 3); k++) {
        unsigned x = v >> (16 - 8 * k) & 0xff, l = x & 15, h = x >> 4;
        cost *= admitted(c->n_hi[k] + (printable_high(h) && c->hi[k][h] == 0), c->n_lo[k] + (c->lo[k][l] == 0),
                         (c->hi[k][7] > 0 || h == 7) && (c->lo[k][15] > 0 || l == 15));
    }
    return twos ? cost * 95 : cost;
}

/* Moves prints between the 16 buckets while a move lowers the places the
 * buckets let through in all (bucket_cost; on Exim's lines 27% fewer
 * candidates than the buckets in order of value).  Which bucket holds a
 * print changes no answer, only how many places filter_check sees; each
 * move lowers the sum, so it ends. */
static void place_prints(const uint32_t *prints, uint8_t *bucket, size_t n)
{
    bucket_nibbles c[16];
    memset(c, 0, sizeof c);
    for (size_t i = 0; i < n; i++)
        bucket_count(&c[bucket[i]], prints[i], 1);
    uint64_t cost[16];
    for (size_t b = 0; b < 16; b++)
        cost[b] = bucket_cost(&c[b]);
    for (bool moved = true; moved;) {
        moved = false;
        for (size_t i = 0; i < n; i++) {
            size_t from = bucket[i], best = from;
            bucket_count(&c[from], prints[i], -1);
            uint64_t left = bucket_cost(&c[from]), best_to = cost[from];
            /* The move's gain: what from and b let through, less what they
             * would.  A print adds to any bucket it joins: it can gain only
             * where from lets fewer through without it. */
            int64_t best_gain = 0;
            for (size_t b = 0; b < 16 && cost[from] > left; b++) {
                if (b == from)
                    continue;
                uint64_t to = cost_with(&c[b], prints[i]);
                int64_t gain = (int64_t)(cost[from] + cost[b]) - (int64_t)(left + to);
                if (gain > best_gain) {
                    best_gain = gain;
                    best = b;
                    best_to = to;
                }
            }
            bucket_count(&c[best], prints[i], 1);
            if (best != from) {
                cost[from] = left;
                cost[best] = best_to;
                bucket[i] = (uint8_t)best;
                moved = true;
            }
        }
    }
}

#endif /* LITSET_FILTER */

/* The filter of a built exact set, or NULL where it cannot serve: a
 * caseless set, no AVX2, an empty or a one-byte literal not found by
 * memchr, too many one-byte literals, more literals than it indexes. */
static struct litfilter *filter_new(const mc_litset *ls)
{
#if defined(LITSET_FILTER)
    if (!ls->exact || ls->prefix == 0 || ls->no_filter || ls->n_single > FILTER_SINGLES || ls->n_lits == 0 ||
        ls->n_lits > 4096 || !__builtin_cpu_supports("avx2"))
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < ls->n_lits; i++) {
        if (single_lit(ls, i))
            continue;
        if (ls->lens[i] < 2)
            return NULL;
        n++;
    }
    struct litfilter *f = mc_xcalloc(1, sizeof *f);
    f->n_single = ls->n_single;
    for (size_t i = 0; i < ls->n_single; i++) {
        f->single_byte[i] = ls->single_byte[i][0];
        f->single_id[i] = ls->single_id[i];
    }
    f->lits = mc_xcalloc(n ? n : 1, sizeof *f->lits);
    uint32_t *prints = mc_xcalloc(n ? n : 1, sizeof *prints);
    size_t k = 0, n_prints = 0;
    for (size_t i = 0; i < ls->n_lits; i++) {
        if (single_lit(ls, i))
            continue;
        filter_lit *fl = &f->lits[k++];
        size_t h = ls->lens[i] < 8 ? ls->lens[i] : 8, h2 = ls->lens[i] > 8 ? ls->lens[i] - 8 : 0;
        h2 = h2 < 8 ? h2 : 8;
        memcpy(&fl->head, ls->lits[i], h);
        fl->mask = h == 8 ? UINT64_MAX : (1ULL << (8 * h)) - 1;
        if (h2)
            memcpy(&fl->head2, ls->lits[i] + 8, h2);
        fl->mask2 = h2 == 8 ? UINT64_MAX : (1ULL << (8 * h2)) - 1;
        fl->rest = ls->lits[i] + h + h2;
        fl->id = (uint32_t)i;
        fl->len = (uint32_t)ls->lens[i];
        const unsigned char *b = (const unsigned char *)ls->lits[i];
        uint32_t pb = print_bit(ls->lens[i] > 2 ? (uint32_t)(b[0] | b[1] << 8 | b[2] << 16) : (uint32_t)(b[0] | b[1] << 8) | 1u << 24);
        f->prints[pb / 64] |= 1ULL << (pb % 64);
        if (ls->lens[i] == 2)
            f->two_first[b[0] / 64] |= 1ULL << (b[0] % 64);
        /* A two-byte literal's third byte is any: 1 << 24 marks it. */
        prints[n_prints++] = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | (ls->lens[i] > 2 ? b[2] : 0) |
                             (ls->lens[i] > 2 ? 0 : 1u << 24);
    }
    qsort(f->lits, n, sizeof *f->lits, by_key);
    /* Buckets, to start: the two-byte literals in buckets 0 and 8, the
     * distinct three-byte fingerprints in order over the other fourteen
     * (neighbours share their first bytes, so a bucket's nibbles stay
     * few: fewer places that begin nothing get through); then moved
     * while a move lets fewer through (place_prints). */
    qsort(prints, n_prints, sizeof *prints, by_value);
    size_t distinct = 0, twos = 0;
    for (size_t i = 0; i < n_prints; i++) {
        if (i > 0 && prints[i] == prints[i - 1])
            continue;
        prints[distinct++] = prints[i];
        twos += prints[i] >> 24;
    }
    size_t threes = distinct - twos, per = (threes + 13) / 14, seen = 0, seen_two = 0;
    uint8_t *bucket = mc_xcalloc(distinct ? distinct : 1, sizeof *bucket);
    for (size_t i = 0; i < distinct; i++) {
        bool two = prints[i] >> 24;
        size_t chunk = two ? 0 : seen++ / (per ? per : 1);
        bucket[i] = (uint8_t)(two ? 8 * (seen_two++ % 2) : (chunk < 7 ? 1 + chunk : 2 + chunk));
    }
    place_prints(prints, bucket, distinct);
    for (size_t i = 0; i < distinct; i++) {
        uint32_t v = prints[i];
        bool two = v >> 24;
        filter_mark(f, bucket[i], 0, (int)(v >> 16 & 0xff));
        filter_mark(f, bucket[i], 1, (int)(v >> 8 & 0xff));
        filter_mark(f, bucket[i], 2, two ? -1 : (int)(v & 0xff));
    }
    free(bucket);
    free(prints);
    for (int t = 0; t < 2; t++)
        for (int j = 0; j < 6; j++) {
            memcpy(f->wide[t][j], f->nib[t][j], 16);
            memcpy(f->wide[t][j] + 16, f->nib[t][j], 16);
        }
    /* The keys' slots, at most a quarter full. */
    size_t n_slots = 16;
    while (n_slots < 4 * n)
        n_slots *= 2;
    f->slots = mc_xcalloc(n_slots, sizeof *f->slots);
    f->slot_mask = n_slots - 1;
    for (size_t i = 0; i < n;) {
        uint32_t key = lit_key(f->lits[i].head, f->lits[i].len);
        size_t j = i;
        while (j < n && lit_key(f->lits[j].head, f->lits[j].len) == key)
            j++;
        filter_slot *s = (filter_slot *)find_key(f, key);
        s->key = key;
        s->first = (uint16_t)i;
        s->count = (uint16_t)(j - i);
        i = j;
    }
    return f;
#else
    (void)ls;
    return NULL;
#endif
}

#if defined(LITSET_FILTER)
/* Up to 8 bytes at p (fewer when left is under 8), little-endian. */
static inline uint64_t load_word(const unsigned char *p, size_t left)
{
    uint64_t w = 0;
    if (left >= 8)
        memcpy(&w, p, 8);
    else
        for (size_t k = 0; k < left; k++)
            w |= (uint64_t)p[k] << (8 * k);
    return w;
}

/* Sets the bits of the literals of slot s that begin at t[pos] (whose
 * first word is w) and end within the left bytes there. */
static inline void check_slot(const struct litfilter *f, const filter_slot *s, const unsigned char *t, size_t pos,
                              size_t left, uint64_t w, uint64_t *bits)
{
    uint64_t w2 = 0;
    bool loaded = false;
    for (const filter_lit *l = f->lits + s->first, *e = l + s->count; l < e; l++) {
        if (l->len > left || (w & l->mask) != l->head)
            continue;
        if (l->len > 8) {
            /* The second word only once a literal of more than 8 bytes fits here. */
            if (!loaded) {
                w2 = load_word(t + pos + 8, left - 8);
                loaded = true;
            }
            if ((w2 & l->mask2) != l->head2 || (l->len > 16 && memcmp(t + pos + 16, l->rest, l->len - 16) != 0))
                continue;
        }
        bits[l->id / 64] |= 1ULL << (l->id % 64);
    }
}

/* Sets the bits of the literals that begin at t[pos] (a candidate of the
 * filter) and end within the n bytes of t. */
static inline void filter_check(const struct litfilter *f, const unsigned char *t, size_t n, size_t pos,
                                uint64_t *bits)
{
    size_t left = n - pos;
    uint64_t w = load_word(t + pos, left);
    /* Most candidates begin no literal: their three bytes (two for the
     * two-byte literals) are not among the set's, known from one bit;
     * the rest are compared with the literals of that key alone. */
    uint32_t three = (uint32_t)(w & 0xffffff), two = (uint32_t)(w & 0xffff) | 1u << 24;
    if (left >= 3 && f->prints[print_bit(three) / 64] >> (print_bit(three) % 64) & 1)
        check_slot(f, find_key(f, three), t, pos, left, w, bits);
    if (f->prints[print_bit(two) / 64] >> (print_bit(two) % 64) & 1)
        check_slot(f, find_key(f, two), t, pos, left, w, bits);
}

/* The candidates among the 32 places starting at q (whose 34 bytes are
 * readable): bit j when q[j], q[j + 1], q[j + 2] may begin a literal
 * (some bucket of either table has all six nibbles). */
__attribute__((target("avx2"))) static inline uint32_t filter_block(const uint8_t wide[2][6][32], const unsigned char *q)
{
#define NIB(t, j) _mm256_loadu_si256((const __m256i *)(const void *)wide[t][j])
    const __m256i low = _mm256_set1_epi8(0x0f);
    __m256i hit0 = _mm256_set1_epi8((char)0xff), hit1 = hit0;
    for (int k = 0; k < 3; k++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(q + k));
        __m256i lo = _mm256_and_si256(v, low), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
        hit0 = _mm256_and_si256(hit0, _mm256_shuffle_epi8(NIB(0, 2 * k), lo));
        hit0 = _mm256_and_si256(hit0, _mm256_shuffle_epi8(NIB(0, 2 * k + 1), hi));
        hit1 = _mm256_and_si256(hit1, _mm256_shuffle_epi8(NIB(1, 2 * k), lo));
        hit1 = _mm256_and_si256(hit1, _mm256_shuffle_epi8(NIB(1, 2 * k + 1), hi));
    }
    __m256i zero = _mm256_setzero_si256();
    __m256i none = _mm256_and_si256(_mm256_cmpeq_epi8(hit0, zero), _mm256_cmpeq_epi8(hit1, zero));
    return ~(uint32_t)_mm256_movemask_epi8(none);
#undef NIB
}

/* The places among the 32 at q holding byte c. */
__attribute__((target("avx2"))) static inline uint32_t filter_byte(const unsigned char *q, unsigned char c)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)q);
    return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8((char)c)));
}

/* Sets the bit of every literal of the filter's set found in the n bytes
 * at t: 32 places a step; the rest from the block that ends the text, or
 * for a text under 34 bytes from a zeroed copy (no load reads past it). */
__attribute__((target("avx2"))) static void filter_scan(const struct litfilter *f, const unsigned char *t, size_t n,
                                                      uint64_t *bits)
{
    /* The one-byte literals still to find. */
    uint32_t singles = (1u << f->n_single) - 1;
    size_t i = 0;
    for (; i + 34 <= n; i += 32) {
        for (uint32_t m = singles; m; m &= m - 1) {
            int k = __builtin_ctz(m);
            if (filter_byte(t + i, f->single_byte[k])) {
                bits[f->single_id[k] / 64] |= 1ULL << (f->single_id[k] % 64);
                singles &= ~(1u << k);
            }
        }
        for (uint32_t c = filter_block(f->wide, t + i); c; c &= c - 1)
            filter_check(f, t, n, i + (size_t)__builtin_ctz(c), bits);
    }
    if (n >= 34 && i < n) {
        /* The rest of a longer text from the 34 bytes that end it, a block
         * that overlaps the one before (its places before i are masked off;
         * found again, they would set the same bits): its places run to
         * n - 3, and n - 2 can begin only a two-byte literal (checked when
         * its byte begins one); the singles in the same bytes and the two
         * after. */
        size_t s = n - 34, skip = i - s;
        for (uint32_t m = singles; m; m &= m - 1) {
            int k = __builtin_ctz(m);
            if (filter_byte(t + s, f->single_byte[k]) | filter_byte(t + n - 32, f->single_byte[k]))
                bits[f->single_id[k] / 64] |= 1ULL << (f->single_id[k] % 64);
        }
        uint32_t keep = skip >= 32 ? 0 : UINT32_MAX << skip;
        /* keep is 0 when the loop ended at n - 2 (n = 34 + 32k): no block. */
        for (uint32_t c = keep ? filter_block(f->wide, t + s) & keep : 0; c; c &= c - 1)
            filter_check(f, t, n, s + (size_t)__builtin_ctz(c), bits);
        if (f->two_first[t[n - 2] / 64] >> (t[n - 2] % 64) & 1)
            filter_check(f, t, n, n - 2, bits);
        return;
    }
    /* A short text (under 34 bytes) in a zeroed copy; a place counts while
     * a literal of its size fits: one byte for the singles, two for the
     * others (the check wants it whole). */
    unsigned char tail[32 + 34 + 30] = {0};
    size_t rest = n - i;
    if (rest > 0)
        memcpy(tail, t + i, rest);
    for (size_t j = 0; j < rest; j += 32) {
        size_t avail = rest - j, ones = avail < 32 ? avail : 32, twos = avail - 1 < 32 ? avail - 1 : 32;
        uint32_t one = ones == 32 ? UINT32_MAX : (1u << ones) - 1;
        uint32_t two = twos == 32 ? UINT32_MAX : (1u << twos) - 1;
        for (uint32_t m = singles; m; m &= m - 1) {
            int k = __builtin_ctz(m);
            if (filter_byte(tail + j, f->single_byte[k]) & one) {
                bits[f->single_id[k] / 64] |= 1ULL << (f->single_id[k] % 64);
                singles &= ~(1u << k);
            }
        }
        for (uint32_t c = filter_block(f->wide, tail + j) & two; c; c &= c - 1)
            filter_check(f, t, n, i + j + (size_t)__builtin_ctz(c), bits);
    }
}
#endif

/* An empty literal set (caseless). */
mc_litset *litset_new(void)
{
    mc_litset *ls = mc_xcalloc(1, sizeof(mc_litset));
    ls->prefix = LITSET_PREFIX;
    return ls;
}

/* Before build: the automaton holds each literal's first k bytes and
 * compares the rest where they end; 0 holds whole literals (the plain
 * automaton, the definition the tests compare with). */
void litset_prefix(mc_litset *ls, size_t k) { ls->prefix = k; }

/* Before build: scan with the automaton even where the byte filter could
 * serve (the tests compare the two). */
void litset_no_filter(mc_litset *ls) { ls->no_filter = true; }

/* Whether the set is scanned by the byte filter. */
bool litset_filtered(const mc_litset *ls) { return ls->filter != NULL; }

/* A built copy of ls scanned by the automaton. */
mc_litset *litset_new_unfiltered(const mc_litset *ls)
{
    mc_litset *copy = ls->exact ? litset_new_exact() : litset_new();
    litset_prefix(copy, ls->prefix);
    litset_no_filter(copy);
    for (size_t i = 0; i < ls->n_lits; i++)
        litset_add(copy, ls->lits[i]);
    litset_build(copy);
    return copy;
}

/* Literal i as added. */
const char *litset_literal(const mc_litset *ls, size_t i) { return ls->lits[i]; }

/* A built set of ls's literals, in its case, holding prefix bytes of each. */
mc_litset *litset_new_like(const mc_litset *ls, size_t prefix)
{
    mc_litset *copy = ls->exact ? litset_new_exact() : litset_new();
    litset_prefix(copy, prefix);
    copy->no_filter = ls->no_filter;
    for (size_t i = 0; i < ls->n_lits; i++)
        litset_add(copy, ls->lits[i]);
    litset_build(copy);
    return copy;
}

/* An empty literal set matched case-sensitively. */
mc_litset *litset_new_exact(void)
{
    mc_litset *ls = litset_new();
    ls->exact = true;
    return ls;
}

/* Frees a literal set. */
void litset_free(mc_litset *ls)
{
    if (ls == NULL)
        return;
    prefilter_free_literals(ls->lits, ls->n_lits);
    free(ls->slots);
    free(ls->next);
    free(ls->table);
    free(ls->has_out);
    free(ls->out_first);
    free(ls->out_word);
    free(ls->out_mask);
    free(ls->one_word);
    free(ls->one_mask);
    free(ls->lens);
    free(ls->single_id);
    free(ls->single_byte);
    free(ls->ver_first);
    free(ls->ver_lit);
    filter_free(ls->filter);
    free(ls);
}

/* Whether literal i is longer than the automaton's prefix (its rest is
 * compared where the prefix ends). */
static bool long_lit(const mc_litset *ls, size_t i) { return ls->prefix > 0 && ls->lens[i] > ls->prefix; }

/* Whether literal i is one byte looked for by memchr (with a prefix). */
static bool single_lit(const mc_litset *ls, size_t i)
{
    unsigned char c = (unsigned char)ls->lits[i][0];
    return ls->prefix > 0 && ls->lens[i] == 1 && (ls->exact || c < 'A' || c > 'Z');
}

/* FNV-1a of a literal (litset_add's index; the literals are the rules'). */
static size_t lit_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

/* The index slot of lit: where it is, or the empty slot it would take. */
static uint32_t *lit_slot(const mc_litset *ls, const char *lit)
{
    size_t i = lit_hash(lit) & (ls->n_slots - 1);
    while (ls->slots[i] && strcmp(ls->lits[ls->slots[i] - 1], lit) != 0)
        i = (i + 1) & (ls->n_slots - 1);
    return &ls->slots[i];
}

/* Adds a literal; its id (the same id for a repeated literal). */
int litset_add(mc_litset *ls, const char *lit)
{
    if (2 * (ls->n_lits + 1) > ls->n_slots) {
        free(ls->slots);
        ls->n_slots = ls->n_slots ? ls->n_slots * 2 : 64;
        ls->slots = mc_xcalloc(ls->n_slots, sizeof *ls->slots);
        for (size_t i = 0; i < ls->n_lits; i++)
            *lit_slot(ls, ls->lits[i]) = (uint32_t)(i + 1);
    }
    uint32_t *slot = lit_slot(ls, lit);
    if (*slot)
        return (int)(*slot - 1);
    *slot = (uint32_t)(ls->n_lits + 1);
    ls->lits = mc_xrealloc(ls->lits, (ls->n_lits + 1) * sizeof *ls->lits);
    ls->lits[ls->n_lits] = mc_xstrdup(lit);
    return (int)ls->n_lits++;
}

/* Literals in the set. */
size_t litset_count(const mc_litset *ls) { return ls->n_lits; }
/* 64-bit words a bitmap of the set's literals needs. */
size_t litset_words(const mc_litset *ls) { return words_of(ls); }

/* The bytes of literal i the trie holds (its prefix, or all of it). */
static size_t held_len(const mc_litset *ls, size_t i) { return long_lit(ls, i) ? ls->prefix : ls->lens[i]; }

/* The trie's child of state s by class c, or 0 (no edge leads back to
 * the root, so 0 says none). */
static uint32_t trie_child(const uint32_t *child, const uint32_t *sibling, const uint8_t *cls, uint32_t s, uint8_t c)
{
    uint32_t t = child[s];
    while (t != 0 && cls[t] != c)
        t = sibling[t];
    return t;
}

/* Sets in bits (words long) the whole literals that end in state st or
 * on its failure chain (own_head, chained by own_next); how many words
 * are then nonzero. */
static size_t chain_outputs(const uint32_t *fail, const uint32_t *own_head, const uint32_t *own_next, uint32_t st,
                            uint64_t *bits, size_t words)
{
    for (uint32_t f = st;; f = fail[f]) {
        for (uint32_t i = own_head[f]; i != UINT32_MAX; i = own_next[i])
            bits[i / 64] |= 1ULL << (i % 64);
        if (f == 0)
            break;
    }
    size_t nonzero = 0;
    for (size_t w = 0; w < words; w++)
        nonzero += bits[w] != 0;
    return nonzero;
}

/* Builds the automaton (after the last litset_add).  Start-up pays for
 * every byte of it (the reasons' set: 3,462 states of 52 classes), so
 * the only array of states x classes is the one the scan keeps: the
 * trie is a list of children per state, the failure links are found on
 * it, and the transition rows are written once, in the scan's
 * numbering, each a copy of its failure state's row with its own edges
 * on top (issue 14: before, a dense trie grown by realloc, a dense
 * bitmap of outputs per state, and the table copied from them were
 * three times the memory, and most of start-up's page faults). */
void litset_build(mc_litset *ls)
{
    ls->words = (ls->n_lits + 63) / 64;
    if (ls->words == 0)
        ls->words = 1;
    size_t words = ls->words, nl = ls->n_lits ? ls->n_lits : 1;
    ls->lens = mc_xcalloc(nl, sizeof *ls->lens);
    ls->single_id = mc_xcalloc(nl, sizeof *ls->single_id);
    ls->single_byte = mc_xcalloc(nl, sizeof *ls->single_byte);
    for (size_t i = 0; i < ls->n_lits; i++) {
        ls->lens[i] = strlen(ls->lits[i]);
        if (single_lit(ls, i)) {
            unsigned char c = (unsigned char)ls->lits[i][0];
            ls->single_id[ls->n_single] = (uint32_t)i;
            ls->single_byte[ls->n_single][0] = c;
            ls->single_byte[ls->n_single++][1] = !ls->exact && c >= 'a' && c <= 'z' ? (unsigned char)(c - ('a' - 'A')) : c;
        }
    }
    /* Bytes that appear in no literal's held prefix all behave alike
     * (class 0): rows of n_classes entries instead of 256 keep the table
     * small and in cache. */
    memset(ls->byte_class, 0, sizeof ls->byte_class);
    ls->n_classes = 1;
    size_t cap = 1; /* the root and at most one state per held byte */
    for (size_t i = 0; i < ls->n_lits; i++) {
        if (single_lit(ls, i))
            continue;
        const unsigned char *lit = (const unsigned char *)ls->lits[i];
        for (size_t k = 0; k < held_len(ls, i); k++)
            if (ls->byte_class[lit[k]] == 0 && ls->n_classes < 256)
                ls->byte_class[lit[k]] = (uint8_t)ls->n_classes++;
        cap += held_len(ls, i);
    }
    size_t nc = ls->n_classes;
    /* The trie, sparse: a state's children chained by sibling, each with
     * the class of its edge; states numbered as they are made. */
    uint32_t *child = mc_xcalloc(cap, sizeof *child), *sibling = mc_xcalloc(cap, sizeof *sibling);
    uint8_t *cls = mc_xcalloc(cap, sizeof *cls);
    uint32_t *ends = mc_xcalloc(nl, sizeof *ends);
    size_t ns = 1;
    for (size_t i = 0; i < ls->n_lits; i++) {
        if (single_lit(ls, i))
            continue;
        const unsigned char *lit = (const unsigned char *)ls->lits[i];
        uint32_t s = 0;
        for (size_t k = 0; k < held_len(ls, i); k++) {
            uint8_t c = ls->byte_class[lit[k]];
            uint32_t t = trie_child(child, sibling, cls, s, c);
            if (t == 0) {
                t = (uint32_t)ns++;
                cls[t] = c;
                sibling[t] = child[s];
                child[s] = t;
            }
            s = t;
        }
        ends[i] = s;
    }
    ls->n_states = ns;
    /* A whole literal goes to the list of its state (own_head, chained by
     * own_next), a cut one to that of its prefix's state (long_head,
     * long_next); both are merged along the failure links below. */
    ls->has_out = mc_xcalloc(ns, sizeof *ls->has_out);
    uint32_t *own_head = mc_xmalloc(ns * sizeof *own_head), *own_next = mc_xmalloc(nl * sizeof *own_next);
    uint32_t *long_head = mc_xmalloc(ns * sizeof *long_head), *long_next = mc_xmalloc(nl * sizeof *long_next);
    for (size_t st = 0; st < ns; st++)
        own_head[st] = long_head[st] = UINT32_MAX;
    for (size_t i = 0; i < ls->n_lits; i++) {
        if (single_lit(ls, i))
            continue;
        uint32_t *head = long_lit(ls, i) ? long_head : own_head, *next = long_lit(ls, i) ? long_next : own_next;
        next[i] = head[ends[i]];
        head[ends[i]] = (uint32_t)i;
        ls->has_out[ends[i]] = true;
    }
    free(ends);
    /* Breadth first: the failure links (a state's failure state is
     * shallower, so met before it) and whether a state has outputs. */
    uint32_t *fail = mc_xcalloc(ns, sizeof *fail), *queue = mc_xmalloc(ns * sizeof *queue);
    size_t tail = 0;
    for (uint32_t t = child[0]; t != 0; t = sibling[t])
        queue[tail++] = t;
    for (size_t head = 0; head < tail; head++) {
        uint32_t s = queue[head];
        ls->has_out[s] = ls->has_out[s] || ls->has_out[fail[s]];
        for (uint32_t t = child[s]; t != 0; t = sibling[t]) {
            uint32_t f = fail[s], g;
            while ((g = trie_child(child, sibling, cls, f, cls[t])) == 0 && f != 0)
                f = fail[f];
            fail[t] = g;
            queue[tail++] = t;
        }
    }
    /* The scan's numbering: the table's states without outputs first, then
     * those with.  The root stays 0 (the scan starts there): when an empty
     * literal gives it outputs, and without a table, the automaton's own
     * numbering is kept, and a table then checks outputs on every byte. */
    uint32_t *old_of = mc_xmalloc(ns * sizeof *old_of), *new_of = mc_xmalloc(ns * sizeof *new_of);
    bool table = ns <= 65535, renumber = table && !ls->has_out[0];
    size_t n_new = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t st = 0; st < ns; st++)
            if (renumber ? ls->has_out[st] == (pass == 1) : pass == 0) {
                new_of[st] = (uint32_t)n_new;
                old_of[n_new++] = (uint32_t)st;
            }
    /* The transition function (a DFA: one load per byte at scan), row by
     * row breadth first: a state's row is its failure state's with its
     * own edges on top.  With a table (16-bit states fit: a rules file
     * would need tens of thousands of literal bytes to outgrow them) an
     * entry is the next state's row offset in the scan's numbering, else
     * the state itself.  Class 0 has no edge: it leads to the root. */
    size_t scale = table ? nc : 1;
    /* Every row is written whole (the root's zeroed, then its edges; the
     * others copied): no calloc clearing it all first. */
    uint32_t *dfa = mc_xmalloc(ns * nc * sizeof *dfa);
    memset(dfa, 0, nc * sizeof *dfa);
    for (uint32_t t = child[0]; t != 0; t = sibling[t])
        dfa[cls[t]] = (uint32_t)(new_of[t] * scale);
    for (size_t head = 0; head < tail; head++) {
        uint32_t s = queue[head];
        uint32_t *row = dfa + (size_t)new_of[s] * nc;
        memcpy(row, dfa + (size_t)new_of[fail[s]] * nc, nc * sizeof *row);
        for (uint32_t t = child[s]; t != 0; t = sibling[t])
            row[cls[t]] = (uint32_t)(new_of[t] * scale);
    }
    free(queue);
    free(child);
    free(sibling);
    free(cls);
    if (table) {
        ls->table = dfa;
        size_t first_out = 0;
        while (renumber && first_out < ns && !ls->has_out[old_of[first_out]])
            first_out++;
        ls->out_row = first_out * nc;
        for (int c = 0; c < 256; c++)
            ls->scan_class[c] = ls->byte_class[!ls->exact && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c];
    } else {
        ls->next = dfa;
    }
    /* Each state's cut literals: its own and those of the states on its
     * failure chain (their prefixes end here too). */
    size_t n_ver = 0;
    for (size_t st = 0; st < ns; st++)
        for (uint32_t f = (uint32_t)st; f != 0; f = fail[f])
            for (uint32_t i = long_head[f]; i != UINT32_MAX; i = long_next[i])
                n_ver++;
    ls->ver_first = mc_xmalloc((ns + 1) * sizeof *ls->ver_first);
    ls->ver_lit = mc_xmalloc((n_ver ? n_ver : 1) * sizeof *ls->ver_lit);
    n_ver = 0;
    for (size_t st = 0; st < ns; st++) {
        ls->ver_first[st] = (uint32_t)n_ver;
        for (uint32_t f = old_of[st]; f != 0; f = fail[f])
            for (uint32_t i = long_head[f]; i != UINT32_MAX; i = long_next[i])
                ls->ver_lit[n_ver++] = i;
    }
    ls->ver_first[ns] = (uint32_t)n_ver;
    free(long_head);
    free(long_next);
    /* Each state's whole literals (its own and its failure chain's) as
     * (word, mask) pairs, the nonzero words in order: counted, then
     * written, through one bitmap of the literals, cleared as it goes. */
    uint64_t *bits = mc_xcalloc(words, sizeof *bits);
    size_t pairs = 0;
    for (size_t st = 0; st < ns; st++) {
        if (!ls->has_out[st])
            continue;
        pairs += chain_outputs(fail, own_head, own_next, (uint32_t)st, bits, words);
        memset(bits, 0, words * sizeof *bits);
    }
    ls->out_first = mc_xmalloc((ns + 1) * sizeof *ls->out_first);
    ls->out_word = mc_xmalloc((pairs ? pairs : 1) * sizeof *ls->out_word);
    ls->out_mask = mc_xmalloc((pairs ? pairs : 1) * sizeof *ls->out_mask);
    size_t k = 0;
    for (size_t st = 0; st < ns; st++) {
        ls->out_first[st] = (uint32_t)k;
        if (!ls->has_out[old_of[st]] || chain_outputs(fail, own_head, own_next, old_of[st], bits, words) == 0)
            continue;
        for (size_t w = 0; w < words; w++)
            if (bits[w]) {
                ls->out_word[k] = (uint32_t)w;
                ls->out_mask[k++] = bits[w];
                bits[w] = 0;
            }
    }
    ls->out_first[ns] = (uint32_t)k;
    free(bits);
    free(own_head);
    free(own_next);
    free(fail);
    ls->one_word = mc_xcalloc(ns, sizeof *ls->one_word);
    ls->one_mask = mc_xcalloc(ns, sizeof *ls->one_mask);
    for (size_t st = 0; st < ns; st++)
        if (ls->out_first[st + 1] - ls->out_first[st] == 1 && ls->ver_first[st + 1] == ls->ver_first[st]) {
            ls->one_word[st] = ls->out_word[ls->out_first[st]];
            ls->one_mask[st] = ls->out_mask[ls->out_first[st]];
        }
    /* ceil(2^32 / n_classes): exact on every row offset s * n_classes,
     * since s * (recip * n_classes - 2^32) < 2^16 * 256 <= 2^32. */
    ls->recip = ((1ULL << 32) + nc - 1) / nc;
    free(old_of);
    free(new_of);
    ls->filter = filter_new(ls);
    ls->built = true;
}

/* Whether the n bytes at t are lit's (lit lowercase when the set is
 * caseless: t's capitals are folded, as the scan folds them). */
static bool same_bytes(const mc_litset *ls, const unsigned char *t, const char *lit, size_t n)
{
    if (ls->exact)
        return memcmp(t, lit, n) == 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = t[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + ('a' - 'A'));
        if (c != (unsigned char)lit[i])
            return false;
    }
    return true;
}

/* Sets the bits of the literals that end in state s when there are
 * several, or cut literals to compare (kept out of the scan loop): q is
 * just past the byte that led to s, end the text's end.  A cut literal's
 * prefix of ls->prefix bytes ends at q; its rest must follow. */
__attribute__((noinline)) static void mark_outputs(const mc_litset *ls, uint32_t s, const unsigned char *q,
                                                   const unsigned char *end, uint64_t *bits)
{
    for (uint32_t k = ls->out_first[s]; k < ls->out_first[s + 1]; k++)
        bits[ls->out_word[k]] |= ls->out_mask[k];
    for (uint32_t k = ls->ver_first[s]; k < ls->ver_first[s + 1]; k++) {
        uint32_t i = ls->ver_lit[k];
        uint64_t bit = 1ULL << (i % 64);
        size_t rest = ls->lens[i] - ls->prefix;
        if (!(bits[i / 64] & bit) && (size_t)(end - q) >= rest && same_bytes(ls, q, ls->lits[i] + ls->prefix, rest))
            bits[i / 64] |= bit;
    }
}

/* Sets the bits of the literals that end at row offset row (the table's
 * numbering): one pair in place, else by mark_outputs. */
static inline void mark_row(const mc_litset *ls, size_t row, const unsigned char *q, const unsigned char *end,
                            uint64_t *bits)
{
    uint32_t s = (uint32_t)(((uint64_t)row * ls->recip) >> 32);
    uint64_t mask = ls->one_mask[s];
    if (mask != 0)
        bits[ls->one_word[s]] |= mask;
    else
        mark_outputs(ls, s, q, end, bits);
}

/* One pass of the table from the root over [p, stop): the literals (or
 * held prefixes) that end inside it; end is the text's end, for the rest
 * of a cut literal. */
static inline void scan_run(const mc_litset *ls, const unsigned char *p, const unsigned char *stop,
                            const unsigned char *end, uint64_t *bits)
{
    const uint32_t *table = ls->table;
    const uint8_t *cls = ls->scan_class;
    const size_t out_row = ls->out_row;
    size_t row = 0;
    /* Four bytes a step: the loop's own count and test once per four. */
    for (; stop - p >= 4; p += 4)
        for (int k = 0; k < 4; k++) {
            row = table[row + cls[p[k]]];
            if (__builtin_expect(row >= out_row, 0))
                mark_row(ls, row, p + k + 1, end, bits);
        }
    for (; p < stop; p++) {
        row = table[row + cls[*p]];
        if (__builtin_expect(row >= out_row, 0))
            mark_row(ls, row, p + 1, end, bits);
    }
}

/* The same over CHAINS windows of n bytes at once (at[c] .. at[c] + n):
 * independent chains of loads, where one pass waits for each load before
 * the next. */
#define CHAINS 4
static inline void scan_chains(const mc_litset *ls, const unsigned char *const at[CHAINS], size_t n,
                               const unsigned char *end, uint64_t *bits)
{
    const uint32_t *table = ls->table;
    const uint8_t *cls = ls->scan_class;
    const size_t out_row = ls->out_row;
    size_t row[CHAINS] = {0};
    for (size_t i = 0; i < n; i++) {
        bool out = false;
        for (int c = 0; c < CHAINS; c++) {
            row[c] = table[row[c] + cls[at[c][i]]];
            out |= row[c] >= out_row;
        }
        if (__builtin_expect(out, 0))
            for (int c = 0; c < CHAINS; c++)
                if (row[c] >= out_row)
                    mark_row(ls, row[c], at[c] + i + 1, end, bits);
    }
}

/* litset_scan by the automaton (every set but a filtered one's texts):
 * apart, so that the filtered scan's call does not save and restore the
 * registers the automaton's loops take. */
static __attribute__((noinline)) void scan_automaton(const mc_litset *ls, mc_str text, uint64_t *bits)
{
    memset(bits, 0, words_of(ls) * sizeof *bits);
    if (!ls->built || ls->n_lits == 0 || text.p == NULL)
        return;
    const unsigned char *p = (const unsigned char *)text.p, *end = p + text.n;
    const bool *has_out = ls->has_out;
    uint32_t s = 0;
    for (size_t i = 0; i < ls->n_single; i++) {
        const unsigned char *b = ls->single_byte[i];
        if (memchr(p, b[0], text.n) != NULL || (b[1] != b[0] && memchr(p, b[1], text.n) != NULL))
            bits[ls->single_id[i] / 64] |= 1ULL << (ls->single_id[i] % 64);
    }
    if (ls->table) {
        /* The table holds at most prefix bytes of a literal, so a text cut
         * in CHAINS windows that overlap by prefix - 1 bytes has every
         * held prefix whole in one of them: the windows are scanned at
         * once.  (A cut literal's rest is compared in the whole text.) */
        if (ls->prefix > 0 && text.n >= 2 * CHAINS * ls->prefix) {
            /* Windows of n bytes, each starting step = n - over bytes after
             * the one before (over = prefix - 1 shared), the last ending
             * at the text's end. */
            size_t over = ls->prefix - 1;
            size_t step = (text.n - over + CHAINS - 1) / CHAINS, n = step + over;
            const unsigned char *at[CHAINS];
            for (int c = 0; c < CHAINS; c++)
                at[c] = c == CHAINS - 1 ? end - n : p + (size_t)c * step;
            scan_chains(ls, at, n, end, bits);
            return;
        }
        scan_run(ls, p, end, end, bits);
        return;
    }
    for (; p < end; p++) {
        unsigned char c = *p;
        if (!ls->exact && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + ('a' - 'A'));
        s = ls->next[s * ls->n_classes + ls->byte_class[c]];
        if (has_out[s])
            mark_outputs(ls, s, p + 1, end, bits);
    }
}

/* Sets the bit of every literal found in text. */
void litset_scan(const mc_litset *ls, mc_str text, uint64_t *bits)
{
#if defined(LITSET_FILTER)
    /* A filter is built only for a built set with literals: its words
     * are ls->words. */
    if (ls->filter != NULL && text.p != NULL) {
        for (size_t w = 0; w < ls->words; w++)
            bits[w] = 0;
        filter_scan(ls->filter, (const unsigned char *)text.p, text.n, bits);
        return;
    }
#endif
    scan_automaton(ls, text, bits);
}
