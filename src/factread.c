/*
 * factread.c - hand readers for the fact rules' patterns (factread.h).
 *
 * Each reader follows its pattern's text step by step, in the order PCRE2
 * tries it.  Most steps cannot backtrack: a run of a byte class followed
 * by a byte outside the class (a greedy or possessive run is then its
 * longest), a literal, an optional piece that nothing after it can make
 * fail.  Where PCRE2 does try alternatives (Exim's client field, the lazy
 * search for a field word), the reader tries them in the same order and
 * takes the first that fits.
 *
 * Bytes and characters: the patterns are compiled in UTF mode, where a
 * class like [^\s<>] takes a whole multibyte character; on valid UTF-8,
 * reading bytes gives the same spans, because every byte of a multibyte
 * character is >= 0x80 and no class here names one.  Only a counted
 * repeat ({0,512}) counts characters: a run longer than the count in
 * bytes is handed back (FACTREAD_ASK).  \s is ASCII whitespace (no UCP):
 * space, \t, \n, \v, \f, \r; $ matches at the end or before a final \n.
 */
#include "factread.h"

#include <string.h>

/* Byte classes: C_ALNUM [0-9A-Za-z], C_DIGIT [0-9] (ASCII only; bytes
 * 128-255 are in none). */
enum { C_ALNUM = 1, C_DIGIT = 2 };
static const unsigned char byte_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
};

/* The bytes that end the runs of the readers' negated classes, one bit a
 * set: S_SPACE \s (ASCII whitespace: PCRE2 without UCP), S_ANGLE < >, S_COMMA ',', S_ROUND ( ), S_OPEN [,
 * S_CLOSE ], S_RPAREN ) alone.  A run then costs one load and test a byte. */
enum { S_SPACE = 1, S_ANGLE = 2, S_COMMA = 4, S_ROUND = 8, S_OPEN = 16, S_CLOSE = 32, S_RPAREN = 64 };
static const unsigned char stop_class[256] = {
    ['\t'] = S_SPACE, ['\n'] = S_SPACE, ['\v'] = S_SPACE, ['\f'] = S_SPACE, ['\r'] = S_SPACE, [' '] = S_SPACE,
    ['<'] = S_ANGLE,   ['>'] = S_ANGLE,   [','] = S_COMMA,   ['('] = S_ROUND,   [')'] = S_ROUND | S_RPAREN,
    ['['] = S_OPEN,    [']'] = S_CLOSE,
};

/* Where the run of bytes none of whose stop bits is in stops, from i, ends. */
static size_t run_until(mc_str s, size_t i, unsigned char stops)
{
    while (i < s.n && !(stop_class[(unsigned char)s.p[i]] & stops))
        i++;
    return i;
}

/* run_until(s, i, S_SPACE), or with angle run_until(s, i, S_SPACE |
 * S_ANGLE): sixteen bytes a step where they lie within s (Exim's sender
 * and id= run 15-40 bytes, ~4 instructions a byte one by one).  \s is
 * ' ' and \t-\r; a byte from 0x80 up is negative as a signed byte and
 * no stop. */
static inline size_t run_to_space(mc_str s, size_t i, bool angle)
{
#if defined(__SSE2__)
    for (; s.n >= 16 && i <= s.n - 16; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s.p + i));
        __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')),
                                    _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('\t' - 1)),
                                                  _mm_cmplt_epi8(x, _mm_set1_epi8('\r' + 1))));
        if (angle)
            stop = _mm_or_si128(stop, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('<')),
                                                   _mm_cmpeq_epi8(x, _mm_set1_epi8('>'))));
        unsigned b = (unsigned)_mm_movemask_epi8(stop);
        if (b != 0)
            return i + (size_t)__builtin_ctz(b);
    }
#endif
    return run_until(s, i, angle ? S_SPACE | S_ANGLE : S_SPACE);
}

/* Where the run of bytes of class cls, from i, ends. */
static size_t run_class(mc_str s, size_t i, unsigned char cls)
{
    while (i < s.n && (byte_class[(unsigned char)s.p[i]] & cls))
        i++;
    return i;
}

#if defined(__SSE2__)
/* The bits of the 16 bytes of x that equal c. */
static inline unsigned bytes_eq(__m128i x, char c) { return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c))); }

/* The bits of the 16 bytes of x that end a reader's run: not of class
 * cls (C_ALNUM, C_DIGIT) when cls is given, else one of stops. */
static inline __attribute__((always_inline)) unsigned run_ends(__m128i x, unsigned char cls, unsigned char stops)
{
    if (cls) {
        unsigned in = factread_bytes_in(x, '0', '9');
        if (cls & C_ALNUM)
            in |= factread_bytes_in(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z');
        return ~in & 0xFFFF;
    }
    unsigned hit = 0;
    if (stops & S_SPACE)
        hit |= factread_bytes_in(x, '\t', '\r') | bytes_eq(x, ' ');
    if (stops & S_ANGLE)
        hit |= bytes_eq(x, '<') | bytes_eq(x, '>');
    if (stops & S_COMMA)
        hit |= bytes_eq(x, ',');
    if (stops & S_ROUND)
        hit |= bytes_eq(x, '(') | bytes_eq(x, ')');
    else if (stops & S_RPAREN)
        hit |= bytes_eq(x, ')');
    if (stops & S_OPEN)
        hit |= bytes_eq(x, '[');
    if (stops & S_CLOSE)
        hit |= bytes_eq(x, ']');
    return hit;
}
#endif

/* run_class(s, i, cls) when cls is given, else run_until(s, i, stops),
 * for the Postfix readers and Exim's client: 16 bytes a step while they lie within s, the
 * last fewer than 16 as the last 16 of s with the bytes before i left out
 * (a queue id is 10 to 17 bytes, a sender or message-id 20 to 40: the
 * table's loop cost ~6 instructions a byte).  A message shorter than 16
 * bytes is read byte by byte.  Always inlined: each caller's cls and
 * stops are constants that leave one or two compares a step (called, it
 * tested them all every step). */
static inline __attribute__((always_inline)) size_t pf_run(mc_str s, size_t i, unsigned char cls,
                                                           unsigned char stops)
{
#if defined(__SSE2__)
    if (s.n >= 16) {
        for (; i <= s.n - 16; i += 16) {
            unsigned end = run_ends(_mm_loadu_si128((const __m128i *)(const void *)(s.p + i)), cls, stops);
            if (end != 0)
                return i + (size_t)__builtin_ctz(end);
        }
        if (i >= s.n)
            return i;
        size_t at = s.n - 16; /* at < i */
        unsigned end = run_ends(_mm_loadu_si128((const __m128i *)(const void *)(s.p + at)), cls, stops) &
                       (0xFFFFu << (i - at));
        return end != 0 ? at + (size_t)__builtin_ctz(end) : s.n;
    }
#endif
    return cls ? run_class(s, i, cls) : run_until(s, i, stops);
}

/* The Postfix readers' runs: [0-9A-Za-z]+, [0-9]+, and up to a stop. */
static inline size_t pf_run_alnum(mc_str s, size_t i) { return pf_run(s, i, C_ALNUM, 0); }
static inline size_t pf_run_digits(mc_str s, size_t i) { return pf_run(s, i, C_DIGIT, 0); }
static inline size_t pf_run_until(mc_str s, size_t i, unsigned char stops) { return pf_run(s, i, 0, stops); }

/* Whether the literal lit stands at i. */
static inline bool lit_at(mc_str s, size_t i, const char *lit)
{
    size_t n = strlen(lit);
    return i <= s.n && s.n - i >= n && memcmp(s.p + i, lit, n) == 0;
}

/* Whether $ matches at i: the end, or before a final newline. */
static bool dollar_at(mc_str s, size_t i) { return i == s.n || (i + 1 == s.n && s.p[i] == '\n'); }

static mc_str span(mc_str s, size_t from, size_t to) { return mc_str_make(s.p + from, to - from); }

/* ^(?<queue_id>[0-9A-Za-z]+): at the start: where the ':' stands, or 0. */
static inline size_t postfix_id(mc_str s, mc_fact_fields *out)
{
    size_t e = pf_run_alnum(s, 0);
    if (e == 0 || e >= s.n || s.p[e] != ':')
        return 0;
    out->queue_id = span(s, 0, e);
    return e;
}

/* ^(?<queue_id>[0-9A-Za-z]+) and then the literal lit: where the text
 * after lit starts, or 0. */
static inline size_t postfix_head(mc_str s, const char *lit, mc_fact_fields *out)
{
    size_t i = postfix_id(s, out);
    return i == 0 || !lit_at(s, i, lit) ? 0 : i + strlen(lit);
}

/* [0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} at the start, as
 * (?<queue_id>...) followed by a byte that is not alphanumeric: its end,
 * or 0, where factread_exim_id16 settles nothing.  A shorter run than the
 * longest cannot be followed by '-' or by that byte, so each count is met
 * by the longest run or not at all.  Not inlined: the three Exim readers
 * share one copy (inlined in each, it made them 1.1-1.4 KB). */
static __attribute__((noinline)) size_t exim_id_other(mc_str s)
{
    if (s.n >= 24)
        return factread_exim_id24(s.p);
    size_t a = run_class(s, 0, C_ALNUM);
    if (a != 6 || a >= s.n || s.p[a] != '-')
        return 0;
    size_t b = run_class(s, a + 1, C_ALNUM);
    if (b - (a + 1) < 6 || b - (a + 1) > 11 || b >= s.n || s.p[b] != '-')
        return 0;
    size_t c = run_class(s, b + 1, C_ALNUM);
    return c - (b + 1) < 2 || c - (b + 1) > 4 ? 0 : c;
}

/* The Exim id at the start (exim_id_other's answer) into out: its end,
 * or 0.  The usual id by factread_exim_id16 inline, any other called. */
static inline size_t exim_id(mc_str s, mc_fact_fields *out)
{
    size_t n = s.n >= 24 ? factread_exim_id16(s.p) : 0;
    if (n == 0)
        n = exim_id_other(s);
    if (n)
        out->queue_id = span(s, 0, n);
    return n;
}

/* <(?<sender>[^<>]*+)> at i: the end, or 0 (and the sender in out). */
static inline size_t angle_sender(mc_str s, size_t i, mc_fact_fields *out)
{
    if (i >= s.n || s.p[i] != '<')
        return 0;
    size_t e = pf_run_until(s, i + 1, S_ANGLE);
    if (e >= s.n || s.p[e] != '>')
        return 0;
    out->sender = span(s, i + 1, e);
    return e + 1;
}

/* ^(?<queue_id>[0-9A-Za-z]+): client=(?<client>[^,\s]+) */
static mc_factread_result pf_client(mc_str s, mc_fact_fields *out)
{
    size_t i = postfix_head(s, ": client=", out);
    if (i == 0)
        return FACTREAD_NO;
    size_t e = pf_run_until(s, i, S_COMMA | S_SPACE);
    if (e == i)
        return FACTREAD_NO;
    out->client = span(s, i, e);
    return FACTREAD_YES;
}

/* ^(?<queue_id>[0-9A-Za-z]+): uid=[0-9]+ from=<(?<sender>[^<>]*+)> */
static mc_factread_result pf_pickup(mc_str s, mc_fact_fields *out)
{
    size_t i = postfix_head(s, ": uid=", out);
    if (i == 0)
        return FACTREAD_NO;
    size_t e = pf_run_digits(s, i);
    if (e == i || !lit_at(s, e, " from="))
        return FACTREAD_NO;
    return angle_sender(s, e + strlen(" from="), out) ? FACTREAD_YES : FACTREAD_NO;
}

/* ^[0-9A-Za-z]+: sender (?:non-delivery|delay|delivery status|success) notification: (?<queue_id>[0-9A-Za-z]+)$ */
static mc_factread_result pf_bounce(mc_str s, mc_fact_fields *out)
{
    static const char *const kinds[] = {"non-delivery", "delay", "delivery status", "success"};
    size_t i = pf_run_alnum(s, 0);
    if (i == 0 || !lit_at(s, i, ": sender "))
        return FACTREAD_NO;
    i += strlen(": sender ");
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (!lit_at(s, i, kinds[k]))
            continue;
        size_t j = i + strlen(kinds[k]);
        if (!lit_at(s, j, " notification: "))
            continue;
        j += strlen(" notification: ");
        size_t e = pf_run_alnum(s, j);
        if (e == j || !dollar_at(s, e))
            continue;
        out->queue_id = span(s, j, e);
        return FACTREAD_YES;
    }
    return FACTREAD_NO;
}

/* ^(?<queue_id>[0-9A-Za-z]+): message-id=<?(?<message_id>[^<>\s]{0,512}) */
static mc_factread_result pf_message_id(mc_str s, mc_fact_fields *out)
{
    size_t i = postfix_head(s, ": message-id=", out);
    if (i == 0)
        return FACTREAD_NO;
    if (i < s.n && s.p[i] == '<')
        i++;
    size_t e = pf_run_until(s, i, S_ANGLE | S_SPACE);
    if (e - i > 512)
        return FACTREAD_ASK; /* 512 characters, not bytes */
    out->message_id = span(s, i, e);
    return FACTREAD_YES;
}

/* ^(?<queue_id>[0-9A-Za-z]+): from=<(?<sender>[^<>]*+)>, size=(?<size>[0-9]{1,18}), nrcpt=[0-9]+
 * (always inlined: pf_qmgr_pair reads it too). */
static inline __attribute__((always_inline)) mc_factread_result pf_qmgr_from(mc_str s, mc_fact_fields *out)
{
    size_t i = postfix_head(s, ": from=", out);
    if (i == 0)
        return FACTREAD_NO;
    i = angle_sender(s, i, out);
    if (i == 0 || !lit_at(s, i, ", size="))
        return FACTREAD_NO;
    i += strlen(", size=");
    size_t e = pf_run_digits(s, i);
    if (e == i || e - i > 18 || !lit_at(s, e, ", nrcpt="))
        return FACTREAD_NO;
    out->size = span(s, i, e);
    size_t j = e + strlen(", nrcpt=");
    return j < s.n && byte_class[(unsigned char)s.p[j]] & C_DIGIT ? FACTREAD_YES : FACTREAD_NO;
}

/* ^(?<queue_id>[0-9A-Za-z]+): removed$ (always inlined: pf_qmgr_pair
 * reads it too). */
static inline __attribute__((always_inline)) mc_factread_result pf_removed(mc_str s, mc_fact_fields *out)
{
    /* Its line ends in ": removed" (then perhaps a newline): qmgr's from=
     * lines, which ask this reader first (read_fact_rule), are turned
     * away there, before their queue id is read. */
    size_t n = s.n > 0 && s.p[s.n - 1] == '\n' ? s.n - 1 : s.n;
    if (n < 10 || memcmp(s.p + n - 9, ": removed", 9) != 0)
        return FACTREAD_NO;
    size_t i = postfix_head(s, ": removed", out);
    return i != 0 && dollar_at(s, i) ? FACTREAD_YES : FACTREAD_NO;
}

/* qmgr's two fact rules as parse.c asks them (factread_pair_for): removed
 * first, then from=, in one call with every field written on a yes (the
 * two calls, each on a cleared out, cost ~60 instructions of a from= line
 * beside the readers'). */
static mc_factread_result pf_qmgr_pair(mc_str s, mc_fact_fields *out, bool *second)
{
    if (pf_removed(s, out) == FACTREAD_YES) {
        *second = true;
        out->sender = out->client = out->message_id = out->size = MC_STR_NULL;
        return FACTREAD_YES;
    }
    *second = false;
    mc_factread_result got = pf_qmgr_from(s, out);
    if (got == FACTREAD_YES)
        out->client = out->message_id = MC_STR_NULL;
    return got;
}

/* ^(?<queue_id>EXIM-ID) Completed(?: QT=\S+)?$ */
static mc_factread_result exim_completed(mc_str s, mc_fact_fields *out)
{
    size_t i = exim_id(s, out);
    if (i == 0 || !lit_at(s, i, " Completed"))
        return FACTREAD_NO;
    i += strlen(" Completed");
    /* \S+ cannot end anywhere but at its longest run before $ holds. */
    if (lit_at(s, i, " QT=")) {
        size_t e = run_until(s, i + 4, S_SPACE);
        if (e > i + 4 && dollar_at(s, e))
            return FACTREAD_YES;
    }
    return dollar_at(s, i) ? FACTREAD_YES : FACTREAD_NO;
}

/* (?:[^\s\[\]()]+ )?(?:\([^)]*\) )?\[[^\]\s]+\] at i, its four ways in
 * PCRE2's order (each optional piece first taken, then left out): the
 * end of the first way that fits, or 0.  Each piece is read once where it
 * may stand (the name at i, the comment at i or after the name, the
 * address), its runs 16 bytes a step: tried way by way, the name was read
 * twice and every run byte by byte, ~250 instructions a client. */
static inline __attribute__((always_inline)) size_t exim_client_body(mc_str s, size_t i)
{
    /* (?:[^\s\[\]()]+ ): where what follows it starts, or 0 (absent). */
    size_t e = pf_run_until(s, i, S_SPACE | S_ROUND | S_OPEN | S_CLOSE);
    size_t named = e > i && e < s.n && s.p[e] == ' ' ? e + 1 : 0;
    size_t from[4] = {named, named, i, i};
    size_t comment[2] = {0, 0}; /* after (?:\([^)]*\) ) from named, from i; 0: absent */
    for (int k = 0; k < 2; k++) {
        size_t j = k == 0 ? named : i;
        if ((k == 0 && named == 0) || j >= s.n || s.p[j] != '(')
            continue;
        size_t close = pf_run_until(s, j + 1, S_RPAREN);
        if (close + 1 < s.n && s.p[close + 1] == ' ')
            comment[k] = close + 2;
    }
    for (int way = 0; way < 4; way++) {
        size_t j = from[way];
        if (way < 2 && named == 0)
            continue;
        if (way % 2 == 0) {
            if (comment[way / 2] == 0)
                continue;
            j = comment[way / 2];
        }
        if (j >= s.n || s.p[j] != '[') /* \[[^\]\s]+\] */
            continue;
        e = pf_run_until(s, j + 1, S_SPACE | S_CLOSE);
        if (e > j + 1 && e < s.n && s.p[e] == ']')
            return e + 1;
    }
    return 0;
}

/* exim_client_body on a message shorter than 24 bytes (none: an H= past
 * an id, " <= " and a sender ends at 24 or later). */
static __attribute__((noinline)) size_t exim_client_short(mc_str s, size_t i) { return exim_client_body(s, i); }

/* exim_client_body, with s.n >= 24 known on the common path: its runs'
 * byte loops for messages shorter than 16 bytes, half of its 2.5 KB, are
 * left out of it.  Not inlined: its three runs inlined made exim_received
 * too large for the field searches to be inlined with their field known. */
static __attribute__((noinline)) size_t exim_client(mc_str s, size_t i)
{
    return s.n >= 24 ? exim_client_body(s, i) : exim_client_short(s, i);
}

/* One field of an Exim arrival line, (?:(?:[^ \n]*+ )+?NAME=(?<g>...))?
 * from i: NAME= at the first place after a space (before any newline)
 * where the field's value fits.  Its end and value, or false. */
typedef enum { F_CLIENT, F_SIZE, F_ID } exim_field;

static inline __attribute__((always_inline)) bool exim_value(mc_str s, size_t at, exim_field f, size_t *end,
                                                           mc_str *value, bool *ask)
{
    size_t e;
    switch (f) {
    case F_CLIENT: /* H=(?<client>...) */
        if (!lit_at(s, at, "H=") || (e = exim_client(s, at + 2)) == 0)
            return false;
        *value = span(s, at + 2, e);
        *end = e;
        return true;
    case F_SIZE: /* S=(?<size>[0-9]{1,18})(?= |$): the space is left for the next field's search */
        if (!lit_at(s, at, "S="))
            return false;
        e = pf_run_digits(s, at + 2);
        if (e == at + 2 || e - (at + 2) > 18 || (!(e < s.n && s.p[e] == ' ') && !dollar_at(s, e)))
            return false;
        *value = span(s, at + 2, e);
        *end = e;
        return true;
    case F_ID: /* id=(?<message_id>\S{1,512}) */
        if (!lit_at(s, at, "id="))
            return false;
        e = run_to_space(s, at + 3, false);
        if (e == at + 3)
            return false;
        if (e - (at + 3) > 512)
            *ask = true; /* 512 characters, not bytes */
        *value = span(s, at + 3, e);
        *end = e;
        return true;
    }
    return false;
}

/* The first place q from `from` of a space followed by byte c before
 * the first newline from `from` (no word of the search crosses one), or
 * SIZE_MAX: sixteen places a step where the bytes lie within s, the
 * newline looked for in the same step (a memchr call a word, and the
 * look at the byte after it, cost ~40 instructions a word; a memchr for
 * the newline ~45 a line; most words do not start with c). */
static inline size_t next_field_space(mc_str s, size_t from, char c)
{
#if defined(__SSE2__)
    if (s.n >= 17) {
        for (size_t at = from;; at += 16) {
            /* The last fewer than 16 places as the last 16 (each with the
             * byte after it within s), those before from left out: read
             * one by one, they cost ~60 instructions a search. */
            unsigned keep = 0xFFFF;
            if (at > s.n - 17) {
                if (at >= s.n)
                    return SIZE_MAX;
                keep = 0xFFFFu << (at - (s.n - 17)) & 0xFFFF;
                at = s.n - 17;
            }
            __m128i here = _mm_loadu_si128((const __m128i *)(const void *)(s.p + at));
            __m128i next = _mm_loadu_si128((const __m128i *)(const void *)(s.p + at + 1));
            unsigned hit = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(here, _mm_set1_epi8(' ')),
                                                                     _mm_cmpeq_epi8(next, _mm_set1_epi8(c))));
            unsigned nl = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(here, _mm_set1_epi8('\n')));
            if (((hit | nl) & keep) != 0) {
                unsigned k = (unsigned)__builtin_ctz((hit | nl) & keep);
                return nl >> k & 1 ? SIZE_MAX : at + k;
            }
            if (at == s.n - 17)
                return SIZE_MAX; /* the last place, s.n - 1, has no byte after it */
        }
    }
#endif
    for (; from < s.n && s.p[from] != '\n'; from++)
        if (s.p[from] == ' ' && from + 1 < s.n && s.p[from + 1] == c)
            return from;
    return SIZE_MAX;
}

/* The lazy search for one field from i, over the spaces before the
 * first newline from i (no word crosses one; a client's "(...)" may have
 * taken i past the line's first); *i moves past it when found.  Only
 * the words that start with the field's first byte are read. */
static inline __attribute__((always_inline)) void exim_field_search(mc_str s, size_t *i, exim_field f, mc_str *value,
                                                                   bool *ask)
{
    static const char first[] = {[F_CLIENT] = 'H', [F_SIZE] = 'S', [F_ID] = 'i'};
    for (size_t q = next_field_space(s, *i, first[f]); q != SIZE_MAX; q = next_field_space(s, q + 1, first[f])) {
        size_t e;
        if (exim_value(s, q + 1, f, &e, value, ask)) {
            *i = e;
            return;
        }
    }
}

/* ^(?<queue_id>EXIM-ID) <= (?:<>|(?<sender>[^\s<>]+)) then the fields
 * H=(?<client>), S=(?<size>), id=(?<message_id>), each searched for
 * lazily from where the one before ended (see exim_field_search). */
static inline __attribute__((always_inline)) mc_factread_result exim_received_body(mc_str s, mc_fact_fields *out)
{
    size_t i = exim_id(s, out);
    if (i == 0 || !lit_at(s, i, " <= "))
        return FACTREAD_NO;
    i += strlen(" <= ");
    if (lit_at(s, i, "<>")) {
        i += 2;
    } else {
        size_t e = run_to_space(s, i, true);
        if (e == i)
            return FACTREAD_NO;
        out->sender = span(s, i, e);
        i = e;
    }
    bool ask = false;
    exim_field_search(s, &i, F_CLIENT, &out->client, &ask);
    exim_field_search(s, &i, F_SIZE, &out->size, &ask);
    exim_field_search(s, &i, F_ID, &out->message_id, &ask);
    return ask ? FACTREAD_ASK : FACTREAD_YES;
}

/* exim_received_body on a message shorter than 24 bytes (cold: no
 * arrival line is). */
static __attribute__((noinline)) mc_factread_result exim_received_short(mc_str s, mc_fact_fields *out)
{
    return exim_received_body(s, out);
}

/* exim_received_body with s.n >= 24 known on the common path: the byte
 * loops of its id, searches and runs for shorter messages, never run on
 * a real arrival line, are left out of it (4.4 KB to 2.3 KB; ~16 I-cache
 * lines missed a line before, in it and exim_client). */
static mc_factread_result exim_received(mc_str s, mc_fact_fields *out)
{
    return s.n >= 24 ? exim_received_body(s, out) : exim_received_short(s, out);
}

/* ^(?<queue_id>EXIM-ID) <= <> R=(?:(?:[^ \n]*+ )+?S=(?<size>[0-9]{1,18})(?= |$))?
 * (a bounce or warning Exim wrote itself; the search as in exim_received). */
static inline __attribute__((always_inline)) mc_factread_result exim_generated_body(mc_str s, mc_fact_fields *out)
{
    size_t i = exim_id(s, out);
    if (i == 0 || !lit_at(s, i, " <= <> R="))
        return FACTREAD_NO;
    i += strlen(" <= <> R=");
    bool ask = false;
    exim_field_search(s, &i, F_SIZE, &out->size, &ask);
    return FACTREAD_YES;
}

/* exim_generated_body on a message shorter than 24 bytes (none of its
 * lines is). */
static __attribute__((noinline)) mc_factread_result exim_generated_short(mc_str s, mc_fact_fields *out)
{
    return exim_generated_body(s, out);
}

/* exim_generated_body with s.n >= 24 known on the common path (as
 * exim_received: 1.7 KB to 0.97 KB). */
static mc_factread_result exim_generated(mc_str s, mc_fact_fields *out)
{
    return s.n >= 24 ? exim_generated_body(s, out) : exim_generated_short(s, out);
}

/* The patterns with a reader, as written in rules/mta/<mta>.conf. */
static const struct {
    const char *src;
    mc_factread_fn fn;
    const char *holds; /* a text every line the pattern matches holds, or NULL */
} readers[] = {
    {"^(?<queue_id>[0-9A-Za-z]+): client=(?<client>[^,\\s]+)", pf_client, ": client="},
    {"^(?<queue_id>[0-9A-Za-z]+): uid=[0-9]+ from=<(?<sender>[^<>]*+)>", pf_pickup, ": uid="},
    {"^[0-9A-Za-z]+: sender (?:non-delivery|delay|delivery status|success) notification: "
     "(?<queue_id>[0-9A-Za-z]+)$",
     pf_bounce, " notification: "},
    {"^(?<queue_id>[0-9A-Za-z]+): message-id=<?(?<message_id>[^<>\\s]{0,512})", pf_message_id, ": message-id="},
    {"^(?<queue_id>[0-9A-Za-z]+): from=<(?<sender>[^<>]*+)>, size=(?<size>[0-9]{1,18}), nrcpt=[0-9]+",
     pf_qmgr_from, ", nrcpt="},
    {"^(?<queue_id>[0-9A-Za-z]+): removed$", pf_removed, ": removed"},
    {"^(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) <= (?:<>|(?<sender>[^\\s<>]+))"
     "(?:(?:[^ \\n]*+ )+?H=(?<client>(?:[^\\s\\[\\]()]+ )?(?:\\([^)]*\\) )?\\[[^\\]\\s]+\\]))?"
     "(?:(?:[^ \\n]*+ )+?S=(?<size>[0-9]{1,18})(?= |$))?"
     "(?:(?:[^ \\n]*+ )+?id=(?<message_id>\\S{1,512}))?",
     exim_received, NULL},
    {"^(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) Completed(?: QT=\\S+)?$", exim_completed, NULL},
    {"^(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) <= <> R="
     "(?:(?:[^ \\n]*+ )+?S=(?<size>[0-9]{1,18})(?= |$))?",
     exim_generated, NULL},
};

mc_factread_fn factread_for(const char *src)
{
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
        if (strcmp(src, readers[i].src) == 0)
            return readers[i].fn;
    return NULL;
}

mc_factread_pair_fn factread_pair_for(const char *first, const char *second)
{
    mc_factread_fn a = factread_for(first), b = factread_for(second);
    return a == pf_qmgr_from && b == pf_removed ? pf_qmgr_pair : NULL;
}

bool factread_holds(const char *src, const char *lit, size_t n)
{
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
        if (strcmp(src, readers[i].src) == 0) {
            const char *h = readers[i].holds;
            size_t hn = h ? strlen(h) : 0;
            for (size_t at = 0; n > 0 && at + n <= hn; at++)
                if (memcmp(h + at, lit, n) == 0)
                    return true;
            return false;
        }
    return false;
}

/* The readers of patterns of ^...$ and fixed words: the bytes besides
 * [0-9A-Za-z] that a line they take may hold. */
static const struct {
    mc_factread_fn fn;
    const char *only;
} bounded[] = {
    {pf_bounce, ": -\n"},
    {pf_removed, ": \n"},
};

bool factread_lacks(const char *src, const char *lit, size_t n)
{
    mc_factread_fn fn = factread_for(src);
    for (size_t i = 0; fn != NULL && i < sizeof bounded / sizeof bounded[0]; i++) {
        if (bounded[i].fn != fn)
            continue;
        for (size_t k = 0; k < n; k++)
            if (!(byte_class[(unsigned char)lit[k]] & C_ALNUM) && (lit[k] == '\0' || strchr(bounded[i].only, lit[k]) == NULL))
                return true;
        return false;
    }
    return false;
}

bool factread_exim_id_first(const char *src)
{
    mc_factread_fn fn = factread_for(src);
    return fn == exim_received || fn == exim_completed || fn == exim_generated;
}

const char *factread_source(size_t i) { return i < sizeof readers / sizeof readers[0] ? readers[i].src : NULL; }
