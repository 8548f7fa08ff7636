/*
 * lineread.c - hand readers for the outcome rules' patterns (lineread.h).
 *
 * Each reader follows its pattern's text step by step, in the order PCRE2
 * tries it, and says where PCRE2 could take another way and why that way
 * ends the same.  The readers take only printable ASCII (0x20-0x7e): a
 * control byte (a newline, where $ and . change meaning) or a multibyte
 * character (where a class counts characters and PCRE2's newline
 * conventions may name more) is handed back to the pattern.  Such lines
 * are rare; the answer on them stays PCRE2's.
 */
#include "lineread.h"
#include "prefilter.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* A message of 64 bytes or more is checked 64 bytes a step where the CPU
 * has AVX2 (plain_ascii asks it on each call). */
#define PLAIN_WIDE 1
#endif

#if defined(PLAIN_WIDE)
/* Whether the 64 bytes at p are all, as signed bytes, at least 0x20: the
 * two loads' signed minimum compared once. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) bool plain64(const char *p, __m256i low)
{
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    return _mm256_movemask_epi8(_mm256_cmpgt_epi8(low, _mm256_min_epi8(a, b))) == 0;
}

/* plain_ascii for 64 bytes or more with AVX2: 64 bytes a step, the rest as
 * the last 64 (overlapping the step before). */
__attribute__((target("avx2"))) static bool plain_ascii_wide(mc_str s)
{
    const __m256i low = _mm256_set1_epi8(0x20);
    size_t i = 0;
    for (; i + 64 <= s.n; i += 64)
        if (!plain64(s.p + i, low))
            return false;
    return i == s.n || plain64(s.p + s.n - 64, low);
}
#endif

/* Whether every byte of s is printable ASCII (0x20-0x7e, or 0x7f: '.'
 * and every class here take DEL like any other byte): 16 bytes a step
 * with SSE2 (64 with AVX2), where a byte below 0x20 or from 0x80 up is,
 * as a signed byte, below 0x20. */
static bool plain_ascii(mc_str s)
{
#if defined(PLAIN_WIDE)
    if (s.n >= 64 && __builtin_cpu_supports("avx2"))
        return plain_ascii_wide(s);
#endif
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i low = _mm_set1_epi8(0x20);
    for (; i + 16 <= s.n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s.p + i));
        if (_mm_movemask_epi8(_mm_cmplt_epi8(v, low)) != 0)
            return false;
    }
    /* The tail as the last 16 bytes, overlapping the step before. */
    if (i < s.n && s.n >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s.p + s.n - 16));
        return _mm_movemask_epi8(_mm_cmplt_epi8(v, low)) == 0;
    }
#endif
    for (; i < s.n; i++)
        if ((signed char)s.p[i] < 0x20)
            return false;
    return true;
}

/* The places of a message's spaces and ':'s, one bit a byte (byte i is
 * bit i % 64 of word i / 64), for a reader that walks a line word by word:
 * one pass over the line instead of a memchr a word. */
typedef struct {
    uint64_t space[MC_LINEREAD_MAX / 64], colon[MC_LINEREAD_MAX / 64];
} byte_marks;

/* Fills m for s (at most MC_LINEREAD_MAX bytes) and says whether s is
 * printable ASCII, as plain_ascii does, in the same pass: 16 bytes a step
 * with SSE2, the rest of a message of 16 bytes or more read from the 16
 * that end it, a shorter one's through a zeroed copy (no load past the
 * message; a zero byte is neither mark). */
static bool marks_fill(mc_str s, byte_marks *m)
{
    size_t words = (s.n + 63) / 64;
    for (size_t w = 0; w < words; w++)
        m->space[w] = m->colon[w] = 0;
#if defined(__SSE2__)
    const __m128i low = _mm_set1_epi8(0x20), sp = _mm_set1_epi8(' '), co = _mm_set1_epi8(':');
    unsigned bad = 0;
    for (size_t i = 0; i < s.n; i += 16) {
        __m128i v;
        if (s.n - i >= 16) {
            v = _mm_loadu_si128((const __m128i *)(const void *)(s.p + i));
            bad |= (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, low));
        } else if (s.n >= 16) {
            /* The 16 bytes that end s, overlapping the step before: their
             * masks shifted down to the places from i on. */
            unsigned past = (unsigned)(16 - (s.n - i)), shift = (unsigned)(i % 64);
            v = _mm_loadu_si128((const __m128i *)(const void *)(s.p + s.n - 16));
            bad |= (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, low)) >> past;
            m->space[i / 64] |= (uint64_t)((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp)) >> past) << shift;
            m->colon[i / 64] |= (uint64_t)((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, co)) >> past) << shift;
            break;
        } else {
            char tail[16] = {0};
            memcpy(tail, s.p + i, s.n - i);
            v = _mm_loadu_si128((const __m128i *)(const void *)tail);
            bad |= (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, low)) & ((1u << (s.n - i)) - 1);
        }
        unsigned shift = (unsigned)(i % 64);
        m->space[i / 64] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp)) << shift;
        m->colon[i / 64] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, co)) << shift;
    }
    return bad == 0;
#else
    for (size_t i = 0; i < s.n; i++) {
        m->space[i / 64] |= (uint64_t)(s.p[i] == ' ') << (i % 64);
        m->colon[i / 64] |= (uint64_t)(s.p[i] == ':') << (i % 64);
    }
    return plain_ascii(s);
#endif
}

/* The first marked place in [from, n), or n. */
static size_t next_mark(const uint64_t *w, size_t from, size_t n)
{
    if (from >= n)
        return n;
    size_t i = from / 64;
    uint64_t b = w[i] & (~(uint64_t)0 << (from % 64));
    while (b == 0) {
        if (++i * 64 >= n)
            return n;
        b = w[i];
    }
    return i * 64 + (size_t)__builtin_ctzll(b);
}

/* The last marked place in [from, to), or SIZE_MAX. */
static size_t last_mark(const uint64_t *w, size_t from, size_t to)
{
    while (to > from) {
        size_t i = (to - 1) / 64;
        uint64_t b = w[i] & (~(uint64_t)0 >> (63 - (to - 1) % 64));
        if (b != 0) {
            size_t at = i * 64 + 63 - (size_t)__builtin_clzll(b);
            return at >= from ? at : SIZE_MAX;
        }
        to = i * 64;
    }
    return SIZE_MAX;
}

/* Whether the literal lit (of length n) stands at i. */
static bool lit_at(mc_str s, size_t i, const char *lit, size_t n)
{
    return i <= s.n && s.n - i >= n && memcmp(s.p + i, lit, n) == 0;
}
#define LIT_AT(s, i, lit) lit_at((s), (i), (lit), sizeof(lit) - 1)

/* Byte classes, one table lookup a byte: B_DIGIT [0-9], B_ALNUM
 * [0-9A-Za-z], B_NAME [a-z_], B_NUMDOT [0-9.], B_ADDR [^>,], B_XTIME
 * [0-9.wdhms] (an Exim time), B_INANGLE [^> ] (of the
 * printable bytes the readers take, where \s is the space alone). */
enum { B_DIGIT = 1, B_ALNUM = 2, B_NAME = 4, B_NUMDOT = 8, B_ADDR = 16, B_XTIME = 32, B_INANGLE = 64 };
static const unsigned char byte_class[256] = {
     80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,
     80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,
     16,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  64,  80, 120,  80,
    123, 123, 123, 123, 123, 123, 123, 123, 123, 123,  80,  80,  80,  80,   0,  80,
     80,  82,  82,  82,  82,  82,  82,  82,  82,  82,  82,  82,  82,  82,  82,  82,
     82,  82,  82,  82,  82,  82,  82,  82,  82,  82,  82,  80,  80,  80,  80,  84,
     80,  86,  86,  86, 118,  86,  86,  86, 118,  86,  86,  86,  86, 118,  86,  86,
     86,  86,  86, 118,  86,  86,  86, 118,  86,  86,  86,  80,  80,  80,  80,  80,
     80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,
     80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,
     80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,
     80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,
     80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,
     80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,
     80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,
     80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,  80,
};

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Where the run of bytes of class cls from i ends. */
static size_t run_class(mc_str s, size_t i, unsigned char cls)
{
    while (i < s.n && (byte_class[(unsigned char)s.p[i]] & cls))
        i++;
    return i;
}

/* Where the run of digits from i ends. */
static size_t digits(mc_str s, size_t i) { return run_class(s, i, B_DIGIT); }

#if defined(__SSE2__)
/* The bytes of x in [lo, hi] (both printable ASCII) as 0xFF: as signed
 * bytes, so a byte from 0x80 up (negative) is never in. */
static inline __attribute__((always_inline)) __m128i in_range(__m128i x, char lo, char hi)
{
    return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8((char)(lo - 1))), _mm_cmplt_epi8(x, _mm_set1_epi8((char)(hi + 1))));
}

/* B_ALNUM's bytes of x: a digit, or a letter once 0x20 is set (which
 * puts '@' and '[' to '`' on '`' and '{' to DEL, outside a-z). */
static inline __attribute__((always_inline)) __m128i class_alnum(__m128i x)
{
    return _mm_or_si128(in_range(x, '0', '9'), in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z'));
}

/* B_NAME's bytes of x: [a-z_]. */
static inline __attribute__((always_inline)) __m128i class_name(__m128i x)
{
    return _mm_or_si128(in_range(x, 'a', 'z'), _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));
}

/* The bytes of x of class cls (B_ALNUM or B_NAME) as 0xFF. */
static inline __attribute__((always_inline)) __m128i class_of(__m128i x, unsigned char cls)
{
    return cls == B_ALNUM ? class_alnum(x) : class_name(x);
}
#endif

/* run_class(s, i, cls) for B_ALNUM or B_NAME: 16 bytes a step with SSE2
 * while 16 remain, then the 16 that end the text (its places before i
 * taken as in the run); a text under 16 bytes by the table.  A queue id
 * (10 to 15 bytes) or a field's name is one step where the table took a
 * load, a lookup and a test a byte. */
static inline __attribute__((always_inline)) size_t class_run(mc_str s, size_t i, unsigned char cls)
{
#if defined(__SSE2__)
    if (s.n < 16)
        return run_class(s, i, cls);
    for (; i + 16 <= s.n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s.p + i));
        unsigned out = ~(unsigned)_mm_movemask_epi8(class_of(v, cls)) & 0xFFFFu;
        if (out != 0)
            return i + (size_t)__builtin_ctz(out);
    }
    if (i == s.n)
        return i;
    size_t at = s.n - 16;
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s.p + at));
    unsigned out = ~(unsigned)_mm_movemask_epi8(class_of(v, cls)) & (0xFFFFu << (i - at)) & 0xFFFFu;
    return out != 0 ? at + (size_t)__builtin_ctz(out) : s.n;
#else
    return run_class(s, i, cls);
#endif
}

/* run_class(s, i, B_ALNUM), 16 bytes a step (class_run). */
static inline __attribute__((always_inline)) size_t alnum_run(mc_str s, size_t i) { return class_run(s, i, B_ALNUM); }

/* run_class(s, i, B_NAME), 16 bytes a step (class_run). */
static inline __attribute__((always_inline)) size_t name_run(mc_str s, size_t i) { return class_run(s, i, B_NAME); }

/* Where the first of the bytes a, b and c at or after i stands (s.n:
 * none), the byte loop's answer: 16 bytes a step while 16 remain, then
 * the 16 that end the text (its places before i masked off); a text under
 * 16 bytes byte by byte.  A host name or an address is 10 to 40 bytes. */
static inline __attribute__((always_inline)) size_t find_any3(mc_str s, size_t i, char a, char b, char c)
{
#if defined(__SSE2__)
    if (s.n >= 16) {
        const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
        for (; i + 16 <= s.n; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s.p + i));
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)), _mm_cmpeq_epi8(x, vc)));
            if (m != 0)
                return i + (size_t)__builtin_ctz(m);
        }
        if (i < s.n) {
            size_t at = s.n - 16;
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s.p + at));
            unsigned m = (unsigned)_mm_movemask_epi8(
                             _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)), _mm_cmpeq_epi8(x, vc))) &
                         (0xFFFFu << (i - at));
            if (m != 0)
                return at + (size_t)__builtin_ctz(m);
        }
        return s.n;
    }
#endif
    while (i < s.n && s.p[i] != a && s.p[i] != b && s.p[i] != c)
        i++;
    return i;
}

static mc_str span(mc_str s, size_t from, size_t to) { return mc_str_make(s.p + from, to - from); }

/* ---- Postfix [delivery] ------------------------------------------------ */

/* run_class(s, i, B_ADDR), the end of a run of [^>,]: every byte but '>'
 * and ',' is of the class, so the run ends at the first of them, found 16
 * bytes a step with SSE2 (an address: 20 to 40 bytes, on every delivery). */
static size_t addr_run(mc_str s, size_t i)
{
#if defined(__SSE2__)
    const __m128i gt = _mm_set1_epi8('>'), comma = _mm_set1_epi8(',');
    for (; i < s.n && s.n - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s.p + i));
        int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, gt), _mm_cmpeq_epi8(v, comma)));
        if (m)
            return i + (size_t)__builtin_ctz((unsigned)m);
    }
#endif
    return run_class(s, i, B_ADDR);
}

/* <?(?<g>[^>,]*)>?, at i: the end past the ',', or 0.  The run is read to
 * its longest: a shorter one is followed by a byte of the class, which is
 * neither '>' nor ','.  Taking the '<' or not leads to the same end (the
 * '<' is in the class), so when taking it fails, leaving it fails too;
 * PCRE2 takes it first, and so the capture leaves it out. */
static size_t angle_field(mc_str s, size_t i, mc_str *g)
{
    if (i < s.n && s.p[i] == '<')
        i++;
    size_t e = addr_run(s, i);
    size_t j = e < s.n && s.p[e] == '>' ? e + 1 : e;
    if (j >= s.n || s.p[j] != ',')
        return 0;
    *g = span(s, i, e);
    return j + 1;
}

/* Where the reading of [245]\.[0-9]{1,3}\.[0-9]{1,3} from v ends, or 0
 * when it has none: each counted run ends at a byte outside it, so only
 * its longest reading can be followed by the field's ','. */
static size_t dsn_end(mc_str s, size_t v)
{
    if (v + 1 >= s.n || (s.p[v] != '2' && s.p[v] != '4' && s.p[v] != '5') || s.p[v + 1] != '.')
        return 0;
    size_t a = digits(s, v + 2);
    if (a - (v + 2) < 1 || a - (v + 2) > 3 || a >= s.n || s.p[a] != '.')
        return 0;
    size_t b = digits(s, a + 1);
    return b - (a + 1) >= 1 && b - (a + 1) <= 3 ? b : 0;
}

/* The same for [0-9]{1,12}(?:\.[0-9]{1,6})? (a '.' after the digits is
 * taken: the value cannot end at it). */
static size_t delay_end(mc_str s, size_t v)
{
    size_t a = digits(s, v);
    if (a - v < 1 || a - v > 12)
        return 0;
    if (a >= s.n || s.p[a] != '.')
        return a;
    size_t b = digits(s, a + 1);
    return b - (a + 1) >= 1 && b - (a + 1) <= 6 ? b : 0;
}

/* The same for [0-9.]{1,20}/[0-9.]{1,20}/[0-9.]{1,20}/[0-9.]{1,20}
 * (each run is followed by '/' or the end, outside its class). */
static size_t delays_end(mc_str s, size_t v)
{
    size_t i = v;
    for (int part = 0; part < 3; part++) {
        size_t e = run_class(s, i, B_NUMDOT);
        if (e == i || e - i > 20 || e >= s.n || s.p[e] != '/')
            return 0;
        i = e + 1;
    }
    size_t e = run_class(s, i, B_NUMDOT);
    return e == i || e - i > 20 ? 0 : e;
}

/* One field of the possessive run
 *   (?: (?:dsn=(?<dsn>..)|delay=(?<delay>..)|delays=(?<delays>..)|(?!status=)[a-z_]++=[^,]*+),)*+
 * at i (a space): the end past its ',', or 0 when no alternative fits
 * (the run then ends at i).  Every alternative's value runs to the
 * field's ',' and holds none, so the ',' is the first one after the name:
 * a named value read to its end and followed by a ',' fits (no memchr
 * then); a named value of another shape is read by the last alternative,
 * as any other field.  Inside the possessive run PCRE2 takes each field by
 * its first fitting alternative and never comes back, so the last field
 * that set a group is the one it keeps. */
static size_t delivery_field(mc_str s, size_t i, mc_str groups[G_COUNT])
{
    size_t a = i + 1;
    size_t name = name_run(s, a);
    if (name == a || name >= s.n || s.p[name] != '=')
        return 0; /* none of the four: each needs [a-z_]+ then '=' */
    size_t v = name + 1, len = name - a, e = 0;
    int g = -1;
    if (len == 3 && memcmp(s.p + a, "dsn", 3) == 0)
        e = dsn_end(s, v), g = G_DSN;
    else if (len == 5 && memcmp(s.p + a, "delay", 5) == 0)
        e = delay_end(s, v), g = G_DELAY;
    else if (len == 6 && memcmp(s.p + a, "delays", 6) == 0)
        e = delays_end(s, v), g = G_DELAYS;
    else if (len == 6 && memcmp(s.p + a, "status", 6) == 0)
        return 0; /* (?!status=) */
    if (g >= 0 && e != 0 && e < s.n && s.p[e] == ',') {
        groups[g] = span(s, v, e);
        return e + 1;
    }
    const char *comma = memchr(s.p + name, ',', s.n - name);
    return comma == NULL ? 0 : (size_t)(comma - s.p) + 1;
}

/* The status words of (?<status>sent|deferred|bounced|expired): no two
 * begin alike, so at most one fits. */
static const struct {
    const char *word;
    size_t n;
} statuses[] = {{"sent", 4}, {"deferred", 8}, {"bounced", 7}, {"expired", 7}};

/* rules/mta/postfix.conf [delivery]:
 * ^(?<queue_id>[0-9A-Za-z]+): to=<?(?<recipient>[^>,]*)>?,
 * (?: orig_to=<?(?<orig_to>[^>,]*)>?,)? relay=(?<relay>[^,]++),
 * (the fields) status=(?<status>...)(?: \((?<text>.*)\))?$ */
static mc_lineread_result pf_delivery(mc_str s, mc_str groups[G_COUNT])
{
    if (!plain_ascii(s))
        return LINEREAD_ASK;
    size_t q = alnum_run(s, 0);
    if (q == 0 || !LIT_AT(s, q, ": to="))
        return LINEREAD_NO;
    groups[G_QUEUE_ID] = span(s, 0, q);
    size_t j = angle_field(s, q + 5, &groups[G_RECIPIENT]);
    if (j == 0)
        return LINEREAD_NO;
    /* The optional orig_to: when it does not fit, " relay=" cannot stand
     * where " orig_to=" does, so leaving it out fails as well. */
    if (LIT_AT(s, j, " orig_to=")) {
        size_t k = angle_field(s, j + 9, &groups[G_ORIG_TO]);
        if (k == 0)
            return LINEREAD_NO;
        j = k;
    }
    if (!LIT_AT(s, j, " relay="))
        return LINEREAD_NO;
    size_t r = j + 7;
    const char *comma = memchr(s.p + r, ',', s.n - r);
    if (comma == NULL || (size_t)(comma - s.p) == r)
        return LINEREAD_NO;
    groups[G_RELAY] = span(s, r, (size_t)(comma - s.p));
    j = (size_t)(comma - s.p) + 1;
    for (size_t e; j < s.n && s.p[j] == ' ' && (e = delivery_field(s, j, groups)) != 0;)
        j = e;
    if (!LIT_AT(s, j, " status="))
        return LINEREAD_NO;
    size_t k = j + 8;
    for (size_t w = 0; w < sizeof statuses / sizeof statuses[0]; w++) {
        if (!lit_at(s, k, statuses[w].word, statuses[w].n))
            continue;
        size_t e = k + statuses[w].n;
        groups[G_STATUS] = span(s, k, e);
        if (e == s.n)
            return LINEREAD_YES;
        /* (?: \((?<text>.*)\))?$ on a line without newlines: . takes
         * every byte, $ holds only at the end, so the text runs to the
         * line's last byte, which must be ')'. */
        if (s.n - e >= 3 && s.p[e] == ' ' && s.p[e + 1] == '(' && s.p[s.n - 1] == ')') {
            groups[G_TEXT] = span(s, e + 2, s.n - 1);
            return LINEREAD_YES;
        }
        return LINEREAD_NO;
    }
    return LINEREAD_NO;
}

/* ---- Postfix [expired] ------------------------------------------------- */

/* rules/mta/postfix.conf [expired]:
 * ^(?<queue_id>[0-9A-Za-z]+): from=<(?<sender>[^>]*)>,(?: size=[0-9]+,)?
 * status=(?:expired|force-expired), returned to sender
 * Each run is followed by a byte outside it (':', '>', ','), so only its
 * longest reading can fit; leaving out the size when it fits puts
 * " status=" where " size=" stands, which fails too.  No '.', '$' or
 * counted class: [^>] takes a control byte or a whole character as PCRE2
 * does, and the run ends at the byte '>', never inside a character, so
 * any valid UTF-8 line is settled here. */
static mc_lineread_result pf_expired(mc_str s, mc_str groups[G_COUNT])
{
    size_t q = alnum_run(s, 0);
    if (q == 0 || !LIT_AT(s, q, ": from=<"))
        return LINEREAD_NO;
    size_t a = q + 8;
    const char *gt = memchr(s.p + a, '>', s.n - a);
    if (gt == NULL)
        return LINEREAD_NO;
    size_t e = (size_t)(gt - s.p);
    if (!LIT_AT(s, e, ">,"))
        return LINEREAD_NO;
    size_t j = e + 2;
    if (LIT_AT(s, j, " size=")) {
        size_t d = digits(s, j + 6);
        if (d > j + 6 && d < s.n && s.p[d] == ',')
            j = d + 1;
    }
    if (!LIT_AT(s, j, " status="))
        return LINEREAD_NO;
    j += 8;
    if (LIT_AT(s, j, "force-"))
        j += 6;
    if (!LIT_AT(s, j, "expired, returned to sender"))
        return LINEREAD_NO;
    groups[G_QUEUE_ID] = span(s, 0, q);
    groups[G_SENDER] = span(s, a, e);
    return LINEREAD_YES;
}

/* ---- Postfix [smtpd-reject] -------------------------------------------- */

/* (?<g>[^<>]*+)> at a: the place of the '>', or 0 (the possessive run
 * ends at '<' or at the end: no match there). */
static size_t address_end(mc_str s, size_t a)
{
    size_t e = a;
    while (e < s.n && s.p[e] != '<' && s.p[e] != '>')
        e++;
    return e < s.n && s.p[e] == '>' ? e : 0;
}

/* The first "; from=<" at or after p whose address run ends at '>': the
 * place of that '>', or 0.  Where the run fails, the lazy text moves on
 * to the next. */
static size_t reject_from(mc_str s, size_t p, size_t *addr)
{
    for (;;) {
        const char *semi = memchr(s.p + p, ';', s.n - p);
        if (semi == NULL)
            return 0;
        p = (size_t)(semi - s.p);
        size_t e = LIT_AT(s, p, "; from=<") ? address_end(s, p + 8) : 0;
        if (e != 0) {
            *addr = p + 8;
            return e;
        }
        p++;
    }
}

/* rules/mta/postfix.conf [smtpd-reject]:
 * ^(?:NOQUEUE|(?<queue_id>[0-9A-Za-z]+)): (?:milter-)?reject:
 * (?<command>[A-Z][A-Z-]*) from (?<client>[^ ]+?): (?<code>[45][0-9][0-9])[ -]
 * (?:(?<enhanced>[45]\.[0-9]{1,3}\.[0-9]{1,3}) )?
 * (?<text>.*?(?:; from=<(?<sender>[^<>]*+)>,?(?: to=<(?<recipient>[^<>]*+)>)?.*)?)$
 * The text can always run to the end (.*? then $ on a line without
 * newlines), so nothing after the code ever fails and PCRE2 never comes
 * back before it: every earlier piece is taken by its first fitting
 * reading. */
static mc_lineread_result pf_smtpd_reject(mc_str s, mc_str groups[G_COUNT])
{
    if (!plain_ascii(s))
        return LINEREAD_ASK;
    /* NOQUEUE is alphanumeric: when the rest fails after it, the queue id
     * reading takes the same bytes and fails the same way. */
    size_t q = alnum_run(s, 0);
    if (q == 0 || !LIT_AT(s, q, ": "))
        return LINEREAD_NO;
    size_t j = q + 2;
    if (LIT_AT(s, j, "milter-"))
        j += 7; /* without it, "reject: " would stand where "milter-" does */
    if (!LIT_AT(s, j, "reject: "))
        return LINEREAD_NO;
    size_t c = j + 8;
    /* [A-Z][A-Z-]* then " from ": only the longest run is followed by a
     * space. */
    if (c >= s.n || s.p[c] < 'A' || s.p[c] > 'Z')
        return LINEREAD_NO;
    size_t ce = c + 1;
    while (ce < s.n && ((s.p[ce] >= 'A' && s.p[ce] <= 'Z') || s.p[ce] == '-'))
        ce++;
    if (!LIT_AT(s, ce, " from "))
        return LINEREAD_NO;
    /* (?<client>[^ ]+?): the client cannot take the space of ": ", so its
     * one reading ends at the ':' just before the first space. */
    size_t a = ce + 6;
    const char *sp = memchr(s.p + a, ' ', s.n - a);
    if (sp == NULL)
        return LINEREAD_NO;
    size_t k = (size_t)(sp - s.p);
    if (k < a + 2 || s.p[k - 1] != ':')
        return LINEREAD_NO;
    size_t d = k + 1;
    if (s.n - d < 4 || (s.p[d] != '4' && s.p[d] != '5') || !is_digit((unsigned char)s.p[d + 1]) ||
        !is_digit((unsigned char)s.p[d + 2]) || (s.p[d + 3] != ' ' && s.p[d + 3] != '-'))
        return LINEREAD_NO;
    if (!(q == 7 && memcmp(s.p, "NOQUEUE", 7) == 0))
        groups[G_QUEUE_ID] = span(s, 0, q);
    groups[G_COMMAND] = span(s, c, ce);
    groups[G_CLIENT] = span(s, a, k - 1);
    groups[G_CODE] = span(s, d, d + 3);
    size_t t = d + 4;
    /* The enhanced code and its space, when they fit (each counted run is
     * followed by a byte outside it: only its longest reading can). */
    if (t + 1 < s.n && (s.p[t] == '4' || s.p[t] == '5') && s.p[t + 1] == '.') {
        size_t x = digits(s, t + 2);
        if (x - (t + 2) >= 1 && x - (t + 2) <= 3 && x < s.n && s.p[x] == '.') {
            size_t y = digits(s, x + 1);
            if (y - (x + 1) >= 1 && y - (x + 1) <= 3 && y < s.n && s.p[y] == ' ') {
                groups[G_ENHANCED] = span(s, t, y);
                t = y + 1;
            }
        }
    }
    groups[G_TEXT] = span(s, t, s.n);
    size_t addr, gt = reject_from(s, t, &addr);
    if (gt != 0) {
        groups[G_SENDER] = span(s, addr, gt);
        size_t r = gt + 1;
        if (r < s.n && s.p[r] == ',')
            r++;
        size_t e = LIT_AT(s, r, " to=<") ? address_end(s, r + 5) : 0;
        if (e != 0)
            groups[G_RECIPIENT] = span(s, r + 5, e);
    }
    return LINEREAD_YES;
}

/* ---- Exim [delivery] ----------------------------------------------------- */

/* [0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} and a space at the
 * start: the space's place, or 0.  Each run is followed by a byte outside
 * it ('-' or the space), so only its longest reading can fit.  The bytes
 * every id has (the first run, its '-' at 6, the six bytes the second run
 * has at least) are looked at in place, one table lookup each, with no
 * branch between them; the rest of the second run and the third after. */
static size_t exim_id_space(mc_str s)
{
    if (s.n < 17 || s.p[6] != '-')
        return 0;
    const unsigned char *u = (const unsigned char *)s.p;
    unsigned all = B_ALNUM;
    for (size_t i = 0; i < 6; i++)
        all &= byte_class[u[i]] & byte_class[u[i + 7]];
    if (all == 0)
        return 0;
    size_t b = run_class(s, 13, B_ALNUM);
    if (b - 7 > 11 || b >= s.n || s.p[b] != '-')
        return 0;
    size_t c = run_class(s, b + 1, B_ALNUM);
    if (c - (b + 1) < 2 || c - (b + 1) > 4 || c >= s.n || s.p[c] != ' ')
        return 0;
    return c;
}

/* [0-9][0-9.wdhms]{0,30}+ at i: its end, or 0.  The possessive run stops
 * at 31 bytes; a longer run then has a byte of the class where a space
 * or the end must follow, so it cannot fit. */
static size_t exim_time(mc_str s, size_t i)
{
    if (i >= s.n || !is_digit((unsigned char)s.p[i]))
        return 0;
    size_t e = run_class(s, i, B_XTIME);
    return e - i <= 31 ? e : 0;
}

/* (?=(?:(?:[^ \n]*+ )+QT=(?<delay>T)(?: DT=(?<transfer>T))?$)? from p:
 * the greedy words try the places after a space from the last one back;
 * QT= and what follows must reach the end, so it is the last word, or
 * the last but one before a DT= word. */
static void exim_queue_time(mc_str s, const byte_marks *m, size_t p, mc_str groups[G_COUNT])
{
    size_t sp = last_mark(m->space, p, s.n);
    if (sp == SIZE_MAX)
        return;
    size_t w = sp + 1, e;
    if (LIT_AT(s, w, "QT=") && (e = exim_time(s, w + 3)) == s.n) {
        groups[G_DELAY] = span(s, w + 3, e);
        return;
    }
    if (!LIT_AT(s, w, "DT=") || (e = exim_time(s, w + 3)) != s.n)
        return;
    size_t sp2 = last_mark(m->space, p, w - 1);
    if (sp2 == SIZE_MAX)
        return;
    size_t w2 = sp2 + 1, e2;
    if (LIT_AT(s, w2, "QT=") && (e2 = exim_time(s, w2 + 3)) == w - 1) {
        groups[G_DELAY] = span(s, w2 + 3, e2);
        groups[G_TRANSFER] = span(s, w + 3, e);
    }
}

/* (?=(?:(?:[^: ]*+ )+?X)?) from p, where fits(s, c, g) says whether X
 * fits at c (and sets its group g): the lazy words try each place after
 * a space in turn, and cannot pass a word that holds a ':' (a memchr for
 * the next space, one for a ':' before it). */
static void exim_after_words(mc_str s, size_t p, bool (*fits)(mc_str, size_t, mc_str *), mc_str *g)
{
    for (size_t i = p;;) {
        const char *sp = memchr(s.p + i, ' ', s.n - i);
        if (sp == NULL || memchr(s.p + i, ':', (size_t)(sp - (s.p + i))) != NULL)
            return;
        size_t c = (size_t)(sp - s.p) + 1;
        if (fits(s, c, g))
            return;
        i = c;
    }
}

/* [FP]=<(?<sender>[^>\s]*)> at c. */
static bool sender_at(mc_str s, size_t c, mc_str *g)
{
    if (c + 2 >= s.n || (s.p[c] != 'F' && s.p[c] != 'P') || s.p[c + 1] != '=' || s.p[c + 2] != '<')
        return false;
    size_t f = run_class(s, c + 3, B_INANGLE);
    if (f >= s.n || s.p[f] != '>')
        return false;
    *g = span(s, c + 3, f);
    return true;
}

/* (?=(?:(?:[^: ]*+ )+?[FP]=<(?<sender>[^>\s]*)>)?) from p. */
static void exim_sender(mc_str s, size_t p, mc_str groups[G_COUNT])
{
    exim_after_words(s, p, sender_at, &groups[G_SENDER]);
}

/* exim_sender by the marks: the lazy words end at the first ':' from p, so
 * the places tried are those after the spaces before it. */
static void exim_sender_marked(mc_str s, const byte_marks *m, size_t p, mc_str groups[G_COUNT])
{
    size_t colon = next_mark(m->colon, p, s.n);
    for (size_t sp = next_mark(m->space, p, colon); sp < colon; sp = next_mark(m->space, sp + 1, colon))
        if (sender_at(s, sp + 1, &groups[G_SENDER]))
            return;
}

/* (?=(?:[^\s<@][^<@]* <(?<recipient>[^>\s]*@[^>\s]*)>)?) at p: the
 * greedy [^<@]* stops at the first '<' or '@', so " <" can only stand at
 * that '<'; the address runs to the first '>' or space and holds an '@'
 * (the split at which '@' does not move its ends).  Whether it is set. */
static bool exim_angle_recipient(mc_str s, size_t p, mc_str groups[G_COUNT])
{
    if (p >= s.n || s.p[p] == ' ' || s.p[p] == '<' || s.p[p] == '@')
        return false;
    size_t j = find_any3(s, p + 1, '<', '@', '@');
    if (j >= s.n || s.p[j] != '<' || j < p + 2 || s.p[j - 1] != ' ')
        return false;
    size_t e = run_class(s, j + 1, B_INANGLE);
    if (e >= s.n || s.p[e] != '>' || memchr(s.p + j + 1, '@', e - (j + 1)) == NULL)
        return false;
    groups[G_RECIPIENT] = span(s, j + 1, e);
    return true;
}

/* H=(?<relay>[^\s\[\]]+ \[[^\]\s]+\](?::[0-9A-Za-z_]+)?) at i (after the
 * H=): the relay's end, or 0.  Each run is followed by a byte outside it. */
static size_t exim_relay_end(mc_str s, size_t i)
{
    size_t e = find_any3(s, i, ' ', '[', ']');
    if (e == i || !LIT_AT(s, e, " ["))
        return 0;
    size_t a = e + 2, b = find_any3(s, a, ']', ' ', ' ');
    if (b == a || b >= s.n || s.p[b] != ']')
        return 0;
    size_t k = b + 1;
    if (k < s.n && s.p[k] == ':') {
        size_t m = k + 1;
        while (m < s.n && ((byte_class[(unsigned char)s.p[m]] & B_ALNUM) || s.p[m] == '_'))
            m++;
        if (m > k + 1)
            k = m;
    }
    return k;
}

/* Whether (?=$| [A-Za-z]+=) holds at i. */
static bool exim_text_end(mc_str s, size_t i)
{
    if (i == s.n)
        return true;
    if (s.p[i] != ' ')
        return false;
    size_t e = i + 1;
    while (e < s.n && (byte_class[(unsigned char)s.p[e]] & B_ALNUM) && !is_digit((unsigned char)s.p[e]))
        e++;
    return e > i + 1 && e < s.n && s.p[e] == '=';
}

/* rules/mta/exim.conf [delivery]:
 * ^(?:(?<queue_id>ID) )?(?:=>|->|>>) then three lookaheads (the queue
 * time, the sender, an address in <>), (?<recipient>[^\s<]\S*), then
 * two optional lazy searches: H=(?<relay>...) and C="(?<text>.*?)".  The
 * optional pieces after the recipient can always be left out, so PCRE2
 * never comes back into what it took before them: each is the first
 * place, from where the last one ended, at which it fits. */
static mc_lineread_result exim_delivery(mc_str s, mc_str groups[G_COUNT])
{
    byte_marks m;
    if (s.n > MC_LINEREAD_MAX || !marks_fill(s, &m))
        return LINEREAD_ASK;
    size_t id = exim_id_space(s), p = id ? id + 1 : 0;
    if (!(LIT_AT(s, p, "=> ") || LIT_AT(s, p, "-> ") || LIT_AT(s, p, ">> ")))
        return LINEREAD_NO; /* without the id the flag would stand at 0, an id's byte */
    if (id)
        groups[G_QUEUE_ID] = span(s, 0, id);
    p += 3;
    if (p >= s.n || s.p[p] == ' ' || s.p[p] == '<')
        return LINEREAD_NO;
    exim_queue_time(s, &m, p, groups);
    exim_sender_marked(s, &m, p, groups);
    bool angle = exim_angle_recipient(s, p, groups);
    size_t r = next_mark(m.space, p, s.n);
    if (!angle) /* the first of the two (?<recipient>) groups that is set */
        groups[G_RECIPIENT] = span(s, p, r);
    size_t t = r;
    for (size_t q = r; q < s.n; q = next_mark(m.space, q + 1, s.n)) {
        size_t c = q + 1, e;
        if (c + 1 < s.n && s.p[c] == 'H' && s.p[c + 1] == '=' && (e = exim_relay_end(s, c + 2)) != 0) {
            groups[G_RELAY] = span(s, c + 2, e);
            t = e;
            break;
        }
    }
    for (size_t q = next_mark(m.space, t, s.n); q < s.n; q = next_mark(m.space, q + 1, s.n)) {
        size_t c = q + 1;
        if (c + 2 >= s.n || s.p[c] != 'C' || s.p[c + 1] != '=' || s.p[c + 2] != '"')
            continue;
        for (const char *d = memchr(s.p + c + 3, '"', s.n - (c + 3)); d != NULL;
             d = memchr(d + 1, '"', s.n - (size_t)(d + 1 - s.p)))
            if (exim_text_end(s, (size_t)(d - s.p) + 1)) {
                groups[G_TEXT] = span(s, c + 3, (size_t)(d - s.p));
                return LINEREAD_YES;
            }
    }
    return LINEREAD_YES;
}

/* ^(?:(?<queue_id>ID) )?FLAG then [^\s<] (a recipient's first byte), for
 * a three-byte flag with its space: LINEREAD_YES with the id's length
 * (or 0) in *id and the recipient's start in *p; LINEREAD_ASK for a line
 * that is not printable ASCII (the readers' rule), else LINEREAD_NO. */
static mc_lineread_result exim_flag_start(mc_str s, const char *flag, size_t *id, size_t *p)
{
    if (!plain_ascii(s))
        return LINEREAD_ASK;
    *id = exim_id_space(s);
    *p = *id ? *id + 1 : 0;
    if (!lit_at(s, *p, flag, 3))
        return LINEREAD_NO; /* without the id the flag would stand at 0, an id's byte */
    *p += 3;
    return *p < s.n && s.p[*p] != ' ' && s.p[*p] != '<' ? LINEREAD_YES : LINEREAD_NO;
}

/* H=(?<relay>RELAY) at c (exim_relay_end). */
static bool relay_at(mc_str s, size_t c, mc_str *g)
{
    size_t e;
    if (!LIT_AT(s, c, "H=") || (e = exim_relay_end(s, c + 2)) == 0)
        return false;
    *g = span(s, c + 2, e);
    return true;
}

/* (?=(?:(?:[^:\n]*+:)+? host (?<relay>RELAY): )?) from p (the lazy .*?: host
 * of old, a colon at a time): the first ": host " at or
 * after p that a relay and ": " follow (exim_relay_end's run is the only
 * one a ": " can follow). */
static mc_str exim_host_relay(mc_str s, size_t p)
{
    for (const char *h = p < s.n ? lit_find(span(s, p, s.n), ": host ", 7) : NULL; h != NULL;
         h = lit_find(span(s, (size_t)(h + 1 - s.p), s.n), ": host ", 7)) {
        size_t a = (size_t)(h - s.p) + 7, e = exim_relay_end(s, a);
        if (e != 0 && LIT_AT(s, e, ": "))
            return span(s, a, e);
    }
    return MC_STR_NULL;
}

/* (?: [A-Z][A-Za-z]{0,2}=(?:[^\s:]|:(?=\S))++)*+ at t: where the fields
 * end.  A name's letters are followed by '=' or the field fails (fewer
 * letters leave a letter where '=' must be); a value runs to a space or
 * to a ':' before a space or the end, and holds one byte at least. */
static size_t exim_fields_end(mc_str s, size_t t)
{
    for (;;) {
        if (t + 1 >= s.n || s.p[t] != ' ' || s.p[t + 1] < 'A' || s.p[t + 1] > 'Z')
            return t;
        size_t j = t + 2;
        while (j < t + 4 && j < s.n && ((s.p[j] | 0x20) >= 'a' && (s.p[j] | 0x20) <= 'z'))
            j++;
        if (j >= s.n || s.p[j] != '=')
            return t;
        size_t v = j + 1, e = v;
        while (e < s.n && s.p[e] != ' ' && (s.p[e] != ':' || (e + 1 < s.n && s.p[e + 1] != ' ')))
            e++;
        if (e == v)
            return t;
        t = e;
    }
}

/* (?<text>(?:[^ \n]*+(?! DT=[^\s:]+$) )*+[^ \n]*+)(?: DT=[^\s:]+)?$ at
 * a: the rest of the text but a last word " DT=..." (a value of no ':'),
 * which a space in the text ends a word before. */
static mc_str exim_text_to_dt(mc_str s, size_t a)
{
    const char *d = s.n > a ? memrchr(s.p + a, ' ', s.n - a) : NULL;
    if (d != NULL) {
        size_t v = (size_t)(d - s.p) + 4;
        if (LIT_AT(s, (size_t)(d - s.p) + 1, "DT=") && v < s.n && memchr(s.p + v, ':', s.n - v) == NULL)
            return span(s, a, (size_t)(d - s.p));
    }
    return span(s, a, s.n);
}

/* rules/mta/exim.conf [deferral]:
 * ^(?:(?<queue_id>ID) )?== then three lookaheads (the sender, ": host
 * RELAY: ", an address in <>), (?<recipient>[^\s<]\S*), (?: .*?)? defer
 * \([^)]*\), an optional H=RELAY, fields, and ": " with the text or the
 * end.  The recipient ends at the first space; the lazy (?: .*?)? tries
 * " defer (" at each place after that space first, and at the space itself
 * last: a line with it there is the pattern's.  At the first " defer ("
 * every later piece is tried greedy first; when that way does not reach
 * the end, PCRE2 would go back into them (or on to a later " defer ("):
 * the line is the pattern's.  The relay is the first of the three
 * (?<relay>) groups that is set, the recipient the first of two. */
static mc_lineread_result exim_deferral(mc_str s, mc_str groups[G_COUNT])
{
    size_t id, p;
    mc_lineread_result start = exim_flag_start(s, "== ", &id, &p);
    if (start != LINEREAD_YES)
        return start;
    const char *sp = memchr(s.p + p, ' ', s.n - p);
    if (sp == NULL)
        return LINEREAD_NO;
    size_t r = (size_t)(sp - s.p);
    if (LIT_AT(s, r, " defer ("))
        return LINEREAD_ASK;
    const char *q = lit_find(span(s, r + 1, s.n), " defer (", 8);
    const char *close = q ? memchr(q + 8, ')', s.n - (size_t)(q + 8 - s.p)) : NULL;
    if (close == NULL)
        return LINEREAD_NO; /* every later " defer (" lacks its ')' too */
    size_t t = (size_t)(close - s.p) + 1, e;
    mc_str h_relay = MC_STR_NULL, text_relay = MC_STR_NULL;
    if (LIT_AT(s, t, " H=") && (e = exim_relay_end(s, t + 3)) != 0) {
        h_relay = span(s, t + 3, e);
        t = e + (e < s.n && s.p[e] == '*');
        if (LIT_AT(s, t, " DS"))
            t += 3;
    }
    t = exim_fields_end(s, t);
    bool text = LIT_AT(s, t, ": ");
    if (t != s.n && !text)
        return LINEREAD_ASK;
    if (id)
        groups[G_QUEUE_ID] = span(s, 0, id);
    exim_sender(s, p, groups);
    if (!exim_angle_recipient(s, p, groups))
        groups[G_RECIPIENT] = span(s, p, r);
    if (text) {
        exim_after_words(s, t + 2, relay_at, &text_relay);
        groups[G_TEXT] = exim_text_to_dt(s, t + 2);
    }
    mc_str host_relay = exim_host_relay(s, p);
    groups[G_RELAY] = host_relay.p ? host_relay : h_relay.p ? h_relay : text_relay;
    return LINEREAD_YES;
}

/* rules/mta/exim.conf [bounce]:
 * ^(?:(?<queue_id>ID) )?\*\* then the deferral's three lookaheads,
 * (?<recipient>[^\s<]\S*?)(?=:?(?: |$)), an optional lazy search for
 * H=(?<relay>RELAY)\*?, and .*?(?: ?: (?<text>.*))?$.  The last piece
 * matches from anywhere (.*? can run to the end), so PCRE2 keeps the
 * first place of each: the recipient ends at the first space, end, or ':'
 * before one; the H= search (words of any bytes) takes the first place
 * after a space where a relay stands; the text follows the first ": "
 * after that (" : " holds the same ": "). */
static mc_lineread_result exim_bounce(mc_str s, mc_str groups[G_COUNT])
{
    size_t id, p;
    mc_lineread_result start = exim_flag_start(s, "** ", &id, &p);
    if (start != LINEREAD_YES)
        return start;
    size_t r = p + 1;
    while (r < s.n && s.p[r] != ' ' && (s.p[r] != ':' || (r + 1 < s.n && s.p[r + 1] != ' ')))
        r++;
    if (id)
        groups[G_QUEUE_ID] = span(s, 0, id);
    exim_sender(s, p, groups);
    if (!exim_angle_recipient(s, p, groups))
        groups[G_RECIPIENT] = span(s, p, r);
    mc_str h_relay = MC_STR_NULL;
    size_t u = r;
    for (const char *q = memchr(s.p + r, ' ', s.n - r); q != NULL; q = memchr(q + 1, ' ', s.n - (size_t)(q + 1 - s.p)))
        if (relay_at(s, (size_t)(q - s.p) + 1, &h_relay)) {
            u = (size_t)(h_relay.p + h_relay.n - s.p);
            break;
        }
    const char *colon = u < s.n ? lit_find(span(s, u, s.n), ": ", 2) : NULL;
    if (colon != NULL)
        groups[G_TEXT] = span(s, (size_t)(colon - s.p) + 2, s.n);
    mc_str host_relay = exim_host_relay(s, p);
    groups[G_RELAY] = host_relay.p ? host_relay : h_relay;
    return LINEREAD_YES;
}

/* ---- Exim's prefix ---------------------------------------------------- */

/* rules/mta/exim.conf [@mta] prefix:
 *   ^(?:(?=[^ ]*+ exim|exim)(?:(?:LEVEL) |(?<host>[^\s\[\]:]+) )?exim4?\[[0-9]+\]: )?
 *    (?:[0-9]{4}-[0-9]{2}-... )?(?:\[[0-9]+\] )?
 * Its three optional parts each need something at a fixed place: the
 * syslog tag "exim" at the start or right after the first space (a
 * level or host word holds no space), a stamp four digits and '-' at the
 * start, a pid '[' at the start.  Without any of them every part is left
 * out and the match is empty.  The usual mainlog message starts with its
 * id (a word of 16 to 23 bytes): the first space is looked for in the
 * first 24 bytes by two SSE2 compares (a memchr call cost as much as the
 * rest of the gate), beyond them by memchr. */
static bool exim_prefix_gate(mc_str s)
{
    if (s.n == 0)
        return false;
    if (s.p[0] == '[' || LIT_AT(s, 0, "exim"))
        return true;
    if (s.n >= 5 && s.p[4] == '-' && is_digit((unsigned char)s.p[0]) && is_digit((unsigned char)s.p[1]) &&
        is_digit((unsigned char)s.p[2]) && is_digit((unsigned char)s.p[3]))
        return true;
    size_t from = 0;
#if defined(__SSE2__)
    if (s.n >= 24) {
        /* Bytes 0-15, then 16-23 (the load's upper half zeros: no space). */
        const __m128i space = _mm_set1_epi8(' ');
        unsigned b = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)s.p), space)) |
                     ((unsigned)_mm_movemask_epi8(
                          _mm_cmpeq_epi8(_mm_loadl_epi64((const __m128i *)(const void *)(s.p + 16)), space)) &
                      0xFFu)
                         << 16;
        if (b != 0)
            return LIT_AT(s, (size_t)__builtin_ctz(b) + 1, "exim");
        from = 24;
    }
#endif
    const char *sp = memchr(s.p + from, ' ', s.n - from);
    return sp != NULL && LIT_AT(s, (size_t)(sp - s.p) + 1, "exim");
}

/* ---- Postfix [@reply] --------------------------------------------------- */

/* A run of 1 to 3 digits at s[i], ending before the run does: its end, or
 * 0 (none, or more than 3: {1,3} cannot stop inside a run and be followed
 * by what the pattern wants next, a '.' or a non-digit). */
static size_t digits_1_3(mc_str s, size_t i)
{
    size_t j = i;
    while (j < s.n && is_digit((unsigned char)s.p[j]))
        j++;
    return j > i && j - i <= 3 ? j : 0;
}

/* The Postfix reply pattern's part after its start, at s[j]:
 * (?<code>[2-5][0-9][0-9])(?:[ -]|$)(?:#?(?<enhanced>[245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9.]))?
 * ('$' is the text's end: the caller hands a text with a control byte,
 * where '$' may match before a newline, to PCRE2).  The groups are set only on a match.  The optional enhanced
 * code: with '#' first (greedy), and without it [245] cannot match '#'. */
static bool pf_reply_at(mc_str s, size_t j, mc_str g[G_COUNT])
{
    if (j + 3 > s.n || s.p[j] < '2' || s.p[j] > '5' || !is_digit((unsigned char)s.p[j + 1]) ||
        !is_digit((unsigned char)s.p[j + 2]))
        return false;
    size_t k = j + 3;
    if (k < s.n && s.p[k] != ' ' && s.p[k] != '-')
        return false;
    g[G_CODE] = mc_str_make(s.p + j, 3);
    g[G_ENHANCED] = MC_STR_NULL;
    if (k == s.n)
        return true;
    size_t e = k + 1;
    if (e < s.n && s.p[e] == '#')
        e++;
    if (e + 1 >= s.n || s.p[e] < '2' || s.p[e] > '5' || (s.p[e] == '3') || s.p[e + 1] != '.')
        return true;
    size_t mid = digits_1_3(s, e + 2);
    if (mid == 0 || mid >= s.n || s.p[mid] != '.')
        return true;
    size_t end = digits_1_3(s, mid + 1);
    if (end == 0 || (end < s.n && (is_digit((unsigned char)s.p[end]) || s.p[end] == '.')))
        return true;
    g[G_ENHANCED] = mc_str_make(s.p + e, end - e);
    return true;
}

/* Exim's first [@reply] pattern: the same code and enhanced code as
 * Postfix's, at the text's start only (^(?<code>...)...). */
static mc_lineread_result exim_reply(mc_str s, mc_str g[G_COUNT])
{
    if (s.p == NULL)
        return LINEREAD_NO;
    if (!plain_ascii(s))
        return LINEREAD_ASK;
    return pf_reply_at(s, 0, g) ? LINEREAD_YES : LINEREAD_NO;
}

/* Whether (?:SMTP|LMTP|PRDR) (?:error|timeout)(?: from remote mail
 * server)? after (?:pipelined )? ends after the space at sp ("timeout"
 * only where timeout says), each optional piece taken when it is there
 * (what follows it could not start otherwise); *k: the place after it. */
static bool exim_after_lead(mc_str s, size_t sp, bool timeout, size_t *k)
{
    if (sp < 4 || !(lit_at(s, sp - 4, "SMTP", 4) || lit_at(s, sp - 4, "LMTP", 4) || lit_at(s, sp - 4, "PRDR", 4)))
        return false;
    size_t i = sp + 1;
    if (LIT_AT(s, i, "error"))
        i += sizeof "error" - 1;
    else if (timeout && LIT_AT(s, i, "timeout"))
        i += sizeof "timeout" - 1;
    else
        return false;
    if (LIT_AT(s, i, " from remote mail server"))
        i += sizeof " from remote mail server" - 1;
    if (!LIT_AT(s, i, " after "))
        return false;
    i += sizeof " after " - 1;
    if (LIT_AT(s, i, "pipelined "))
        i += sizeof "pipelined " - 1;
    *k = i;
    return true;
}

/* Whether c is in [0-9A-Za-z_] (a port or a service name). */
static bool is_port_byte(char c) { return is_digit((unsigned char)c) || c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

/* After "...: " at t: (?:host [^\s\[\]]+ \[[^\]]+\](?::[0-9A-Za-z_]+)?: )?
 * then the code (pf_reply_at).  With "host " there the code can only
 * follow the whole host part (a code does not start with 'h'). */
static bool exim_error_tail(mc_str s, size_t t, mc_str g[G_COUNT])
{
    if (!LIT_AT(s, t, "host "))
        return pf_reply_at(s, t, g);
    size_t h = t + 5;
    while (h < s.n && s.p[h] != ' ' && s.p[h] != '[' && s.p[h] != ']')
        h++;
    if (h == t + 5 || !LIT_AT(s, h, " [") || h + 2 >= s.n || s.p[h + 2] == ']')
        return false;
    const char *rb = memchr(s.p + h + 2, ']', s.n - h - 2);
    if (rb == NULL)
        return false;
    size_t r = (size_t)(rb - s.p) + 1;
    if (r + 1 < s.n && s.p[r] == ':' && is_port_byte(s.p[r + 1])) {
        r++;
        while (r < s.n && is_port_byte(s.p[r]))
            r++;
    }
    return LIT_AT(s, r, ": ") && pf_reply_at(s, r + 2, g);
}

/* Exim's second [@reply] pattern: (?:SMTP|LMTP|PRDR) error (?:from remote
 * mail server )?after (?:pipelined )?(?:(?:MAIL FROM|RCPT TO):<[^>]*>[^:]*|
 * [^:]*): then exim_error_tail, at the first place it fits (found by the
 * space after SMTP, LMTP or PRDR).  The optional pieces fit or cannot
 * (what follows starts otherwise; without "pipelined " the [^:]* branch
 * reaches the same ':'), [^>]* ends at the first '>' and each [^:]* at
 * the first ':', which ": " must then follow: one way each.  The
 * command's branch is tried first, then the plain one.  Printable ASCII
 * only (elsewhere $ and the classes are left to PCRE2). */
static mc_lineread_result exim_error_reply(mc_str s, mc_str g[G_COUNT])
{
    if (s.p == NULL)
        return LINEREAD_NO;
    if (!plain_ascii(s))
        return LINEREAD_ASK;
    for (size_t sp = 4; sp < s.n; sp++) {
        const char *q = memchr(s.p + sp, ' ', s.n - sp);
        if (q == NULL)
            break;
        sp = (size_t)(q - s.p);
        size_t k;
        if (!exim_after_lead(s, sp, false, &k))
            continue;
        size_t lead = LIT_AT(s, k, "MAIL FROM:<") ? sizeof "MAIL FROM:<" - 1
                      : LIT_AT(s, k, "RCPT TO:<") ? sizeof "RCPT TO:<" - 1
                                                  : 0;
        if (lead) {
            const char *gt = memchr(s.p + k + lead, '>', s.n - k - lead);
            const char *colon = gt ? memchr(gt + 1, ':', (size_t)(s.p + s.n - gt - 1)) : NULL;
            if (colon && LIT_AT(s, (size_t)(colon - s.p), ": ") && exim_error_tail(s, (size_t)(colon - s.p) + 2, g))
                return LINEREAD_YES;
        }
        const char *colon = memchr(s.p + k, ':', s.n - k);
        if (colon && LIT_AT(s, (size_t)(colon - s.p), ": ") && exim_error_tail(s, (size_t)(colon - s.p) + 2, g))
            return LINEREAD_YES;
    }
    g[G_CODE] = g[G_ENHANCED] = MC_STR_NULL;
    return LINEREAD_NO;
}

/* Postfix's [@reply] pattern (a delivery's reply code and enhanced code):
 * (?:^|(?:said|refused to talk to me): )(?<code>...)...  The match that
 * starts first: at the text's start, else after the "said: " or
 * "refused to talk to me: " that starts first and is followed by a code.
 * Each such lead ends in ": ", so the colons are the places to look; a
 * later colon's lead can start before an earlier one's (21 bytes back
 * against 4), so the search goes on until no colon can start earlier. */
static mc_lineread_result pf_reply(mc_str s, mc_str g[G_COUNT])
{
    /* At the start: Exim's pattern; a control byte or a multibyte
     * character: PCRE2. */
    mc_lineread_result first = exim_reply(s, g);
    if (first != LINEREAD_NO || s.p == NULL)
        return first;
    static const char said[] = "said", refused[] = "refused to talk to me";
    size_t best = SIZE_MAX, best_at = 0;
    for (const char *c = memchr(s.p, ':', s.n); c != NULL;
         c = memchr(c + 1, ':', s.n - (size_t)(c + 1 - s.p))) {
        size_t at = (size_t)(c - s.p);
        if (at >= sizeof refused - 1 && at - (sizeof refused - 1) > best)
            break;
        if (at + 1 >= s.n || s.p[at + 1] != ' ')
            continue;
        /* "said" and "refused ... me" cannot both end here. */
        size_t start = SIZE_MAX;
        if (at >= sizeof said - 1 && memcmp(s.p + at - (sizeof said - 1), said, sizeof said - 1) == 0)
            start = at - (sizeof said - 1);
        else if (at >= sizeof refused - 1 &&
                 memcmp(s.p + at - (sizeof refused - 1), refused, sizeof refused - 1) == 0)
            start = at - (sizeof refused - 1);
        mc_str probe[G_COUNT];
        if (start < best && pf_reply_at(s, at + 2, probe)) {
            best = start;
            best_at = at + 2;
        }
    }
    if (best == SIZE_MAX)
        return LINEREAD_NO;
    pf_reply_at(s, best_at, g);
    return LINEREAD_YES;
}

/* The end-of-data [@stage] pattern of both MTAs, ^2[0-9][0-9](?:[ -]|$):
 * a 2xx reply.  Anything but printable ASCII after the code ('$' may
 * match before a newline, by PCRE2's newline convention) goes to PCRE2. */
static mc_lineread_result stage_2xx(mc_str s, mc_str g[G_COUNT])
{
    (void)g;
    if (s.p == NULL || s.n < 3 || s.p[0] != '2' || !is_digit((unsigned char)s.p[1]) ||
        !is_digit((unsigned char)s.p[2]))
        return LINEREAD_NO;
    if (s.n > 3 && (s.p[3] < 0x20 || s.p[3] > 0x7e))
        return LINEREAD_ASK;
    return s.n == 3 || s.p[3] == ' ' || s.p[3] == '-' ? LINEREAD_YES : LINEREAD_NO;
}

/* Whether c is in [A-Za-z ]. */
static bool is_command_byte(char c) { return c == ' ' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

/* Postfix's stage pattern \(in reply to (?<command>[A-Za-z ]+?) command\):
 * at the first "(in reply to " where it can, the shortest run of
 * [A-Za-z ] followed by " command)".  Literal bytes and an ASCII class
 * only (no '.', no '$'): any text reads as PCRE2 reads it. */
static mc_lineread_result stage_in_reply(mc_str s, mc_str g[G_COUNT])
{
    static const char lead[] = "(in reply to ";
    const size_t n_lead = sizeof lead - 1;
    for (size_t i = 0; s.p != NULL && i + n_lead < s.n; i++) {
        const char *q = memchr(s.p + i, '(', s.n - i);
        if (q == NULL)
            break;
        i = (size_t)(q - s.p);
        if (!lit_at(s, i, lead, n_lead))
            continue;
        size_t j = i + n_lead;
        for (size_t k = j; k < s.n && is_command_byte(s.p[k]); k++)
            if (LIT_AT(s, k + 1, " command)")) {
                g[G_COMMAND] = mc_str_make(s.p + j, k + 1 - j);
                return LINEREAD_YES;
            }
    }
    return LINEREAD_NO;
}

/* The commands of Exim's stage pattern, in its order (then [A-Z]+). */
static const char *const exim_commands[] = {"initial connection", "end of data", "sending data block", "MAIL FROM",
                                            "RCPT TO"};

/* Exim's stage pattern (?:SMTP|LMTP|PRDR) (?:error|timeout)(?: from
 * remote mail server)? after (?:pipelined )?(?<command>COMMANDS|[A-Z]+):
 * at the first place it fits, found by the space after SMTP, LMTP or
 * PRDR.  Each optional piece fits or cannot (what follows it starts
 * otherwise: " after" is no " from", no command starts with 'p'), so
 * the first way is the only one; the command is the first of the five
 * that stands there, else the run of capitals.  Literal bytes and an
 * ASCII class only: any text reads as PCRE2 reads it. */
static mc_lineread_result stage_exim_after(mc_str s, mc_str g[G_COUNT])
{
    for (size_t sp = 4; s.p != NULL && sp < s.n; sp++) {
        const char *q = memchr(s.p + sp, ' ', s.n - sp);
        if (q == NULL)
            break;
        sp = (size_t)(q - s.p);
        size_t k;
        if (!exim_after_lead(s, sp, true, &k))
            continue;
        size_t len = 0;
        for (size_t c = 0; c < sizeof exim_commands / sizeof exim_commands[0] && len == 0; c++)
            if (lit_at(s, k, exim_commands[c], strlen(exim_commands[c])))
                len = strlen(exim_commands[c]);
        if (len == 0)
            while (k + len < s.n && s.p[k + len] >= 'A' && s.p[k + len] <= 'Z')
                len++;
        if (len == 0)
            continue;
        g[G_COMMAND] = mc_str_make(s.p + k, len);
        return LINEREAD_YES;
    }
    return LINEREAD_NO;
}

/* ---- Exim's local pattern ---------------------------------------------- */

/* The transports of Exim's local pattern (rules/mta/exim.conf, local). */
static const char *const local_transports[] = {
    "local_delivery", "address_file",  "address_directory", "address_pipe",     "maildir_home",
    "mail_spool",     "maildir_spool", "procmail_pipe",     "maildrop_pipe",    "dovecot_delivery",
    "local_file",     "appendfile",    "pipe",              "file",
};

/* Whether one of the transports stands at i followed by the end, a space
 * or ':' ((?=[\s:]|$) on printable ASCII: any name that fits will do,
 * PCRE2 tries the next one when the lookahead fails). */
static bool local_transport_at(mc_str s, size_t i)
{
    for (size_t k = 0; k < sizeof local_transports / sizeof local_transports[0]; k++) {
        size_t n = strlen(local_transports[k]);
        if (lit_at(s, i, local_transports[k], n) && (i + n == s.n || s.p[i + n] == ' ' || s.p[i + n] == ':'))
            return true;
    }
    return false;
}

/* (?:=>|->|\*\*|==) (?:[/|]|(?:[^: ]*+ )+?T=(?:TRANSPORTS)(?=[\s:]|$))
 * at p: the flag and its space, then a path or a pipe, or words (each
 * run of bytes but ':' and ' ', taken whole, then its space) up to one
 * that T= and a transport begin.  The runs cannot give a byte back, so
 * the search ends at the first ':': the pattern matches when a T= that a
 * space before that ':' ends a word at begins a transport. */
static bool exim_local_at(mc_str s, size_t p)
{
    if (!(LIT_AT(s, p, "=> ") || LIT_AT(s, p, "-> ") || LIT_AT(s, p, "** ") || LIT_AT(s, p, "== ")))
        return false;
    size_t q = p + 3;
    if (q < s.n && (s.p[q] == '/' || s.p[q] == '|'))
        return true;
    const char *colon = q < s.n ? memchr(s.p + q, ':', s.n - q) : NULL;
    size_t c = colon ? (size_t)(colon - s.p) : s.n;
    /* A 'T' whose space is at q or after (at q: an empty first word). */
    for (size_t from = q + 1; from < c;) {
        const char *t = memchr(s.p + from, 'T', c - from);
        if (t == NULL)
            return false;
        size_t i = (size_t)(t - s.p);
        if (s.p[i - 1] == ' ' && i + 1 < s.n && s.p[i + 1] == '=' && local_transport_at(s, i + 2))
            return true;
        from = i + 1;
    }
    return false;
}

/* Exim's local pattern, ^(?:\S+ )?FLAG ...: the flag at the start, or
 * after the first word (\S+ runs to the first space, and the space must
 * follow it).  No groups. */
static mc_lineread_result exim_local(mc_str s, mc_str groups[G_COUNT])
{
    (void)groups;
    if (!plain_ascii(s))
        return LINEREAD_ASK;
    if (exim_local_at(s, 0))
        return LINEREAD_YES;
    const char *sp = memchr(s.p, ' ', s.n);
    return sp != NULL && sp > s.p && exim_local_at(s, (size_t)(sp - s.p) + 1) ? LINEREAD_YES : LINEREAD_NO;
}

/* ---- Exim [acl-rcpt], [acl-rcpt-temp], [acl-data] ------------------------- */

/* [A-Za-z]{1,3}=(?>"[^"]*"(?= )|\S+) and a space, at i: the end past the
 * space, or 0.  The name is the letters' run (a fourth letter stands
 * where '=' must); the value is a quoted string when its first '"' after
 * the opening one is followed by a space, else the run of non-spaces
 * (atomic: neither gives a byte back). */
static size_t exim_field(mc_str s, size_t i)
{
    size_t k = i;
    while (k < s.n && k - i < 4 && (byte_class[(unsigned char)s.p[k]] & B_ALNUM) && !is_digit((unsigned char)s.p[k]))
        k++;
    if (k == i || k - i > 3 || k >= s.n || s.p[k] != '=')
        return 0;
    size_t v = k + 1, e = v;
    const char *q = v < s.n && s.p[v] == '"' ? memchr(s.p + v + 1, '"', s.n - (v + 1)) : NULL;
    if (q != NULL && (size_t)(q - s.p) + 1 < s.n && q[1] == ' ')
        e = (size_t)(q - s.p) + 1;
    else
        while (e < s.n && s.p[e] != ' ')
            e++;
    return e > v && e < s.n ? e + 1 : 0;
}

/* (?:(?!F=)FIELD )*+ (no_f) or (?:FIELD )*+ from i: where the possessive
 * run of fields ends. */
static size_t exim_fields(mc_str s, size_t i, bool no_f)
{
    for (size_t e; !(no_f && LIT_AT(s, i, "F=")) && (e = exim_field(s, i)) != 0;)
        i = e;
    return i;
}

/* H=(?<client>(?:[^\s\[\]()]+ )?(?:\([^)]*\) )?\[[^\]\s]+\])(?::[0-9]+)?
 * and a space at i: the end past the space, or 0.  Each piece has one
 * reading: a run ends at the first byte outside it, which must be the
 * piece's own end; leaving an optional piece out puts a byte of its run
 * where '(' or '[' must stand. */
static size_t exim_acl_host(mc_str s, size_t i, mc_str *client)
{
    if (!LIT_AT(s, i, "H="))
        return 0;
    size_t c = i + 2, k = c, r = c;
    while (r < s.n && s.p[r] != ' ' && s.p[r] != '[' && s.p[r] != ']' && s.p[r] != '(' && s.p[r] != ')')
        r++;
    if (r > k && r < s.n && s.p[r] == ' ')
        k = r + 1;
    if (k < s.n && s.p[k] == '(') {
        const char *q = memchr(s.p + k + 1, ')', s.n - (k + 1));
        if (q != NULL && (size_t)(q - s.p) + 1 < s.n && q[1] == ' ')
            k = (size_t)(q - s.p) + 2;
    }
    if (k >= s.n || s.p[k] != '[')
        return 0;
    size_t b = k + 1;
    while (b < s.n && s.p[b] != ']' && s.p[b] != ' ')
        b++;
    if (b == k + 1 || b >= s.n || s.p[b] != ']')
        return 0;
    size_t e = b + 1;
    if (e < s.n && s.p[e] == ':') {
        size_t d = digits(s, e + 1);
        if (d > e + 1 && d < s.n && s.p[d] == ' ')
            e = d;
    }
    if (e >= s.n || s.p[e] != ' ')
        return 0;
    *client = span(s, c, b + 1);
    return e + 1;
}

/* F=(?:<(?<sender>[^>]*)>|(?<sender>[^\s<>]+)) and a space at i: the end
 * past the space, or 0 (the first '>' ends the one; the run, the other). */
static size_t exim_acl_from(mc_str s, size_t i, mc_str *sender)
{
    if (!LIT_AT(s, i, "F="))
        return 0;
    size_t v = i + 2, e = v;
    if (v < s.n && s.p[v] == '<') {
        const char *q = memchr(s.p + v + 1, '>', s.n - (v + 1));
        if (q == NULL || (size_t)(q - s.p) + 1 >= s.n || q[1] != ' ')
            return 0;
        *sender = span(s, v + 1, (size_t)(q - s.p));
        return (size_t)(q - s.p) + 2;
    }
    while (e < s.n && s.p[e] != ' ' && s.p[e] != '<' && s.p[e] != '>')
        e++;
    if (e == v || e >= s.n || s.p[e] != ' ')
        return 0;
    *sender = span(s, v, e);
    return e + 1;
}

/* At k, just past ": ": (?:(?<code>C[0-9][0-9])(?:[ -]|$)(?:(?<enhanced>
 * C\.[0-9]{1,3}\.[0-9]{1,3})(?: |$))?)?(?<text>.*) with C the class
 * digit.  The counted runs are each followed by a byte outside them, so
 * only their longest reading can fit; .* takes the rest (printable). */
static void exim_acl_reply(mc_str s, size_t k, char cls, mc_str g[G_COUNT])
{
    size_t t = k;
    if (k + 3 <= s.n && s.p[k] == cls && is_digit((unsigned char)s.p[k + 1]) && is_digit((unsigned char)s.p[k + 2]) &&
        (k + 3 == s.n || s.p[k + 3] == ' ' || s.p[k + 3] == '-')) {
        g[G_CODE] = span(s, k, k + 3);
        t = k + 3 < s.n ? k + 4 : k + 3;
        size_t a, b;
        if (t + 1 < s.n && s.p[t] == cls && s.p[t + 1] == '.' && (a = digits(s, t + 2)) > t + 2 && a - (t + 2) <= 3 &&
            a < s.n && s.p[a] == '.' && (b = digits(s, a + 1)) > a + 1 && b - (a + 1) <= 3 &&
            (b == s.n || s.p[b] == ' ')) {
            g[G_ENHANCED] = span(s, t, b);
            t = b < s.n ? b + 1 : b;
        }
    }
    g[G_TEXT] = span(s, t, s.n);
}

/* At r, past LIT (verb and its space): (?:<(?<recipient>[^>]*)>|
 * (?<recipient>[^\s:<>]+))[^:]*?(?:: REPLY)?$.  The lazy run can only
 * stop at the end or at the first ':' after the address, where ": " must
 * stand (a shorter run of the address reaches the same ':').  LINEREAD_YES
 * when it fits (its groups set).  Where it does not after a bare address,
 * PCRE2 tries every shorter run of the address, each with the lazy run to
 * the ':': about (run + 1) * (run + distance + 1) steps, added to *work;
 * past ACL_TAIL_WORK the line is PCRE2's (LINEREAD_ASK), whose work its
 * budget charges (test_cap_within_first_limit: within the first limit). */
#define ACL_TAIL_WORK 4096
static mc_lineread_result exim_acl_tail(mc_str s, size_t r, char cls, mc_str g[G_COUNT], size_t *work)
{
    size_t e = r;
    if (r < s.n && s.p[r] == '<') {
        const char *q = memchr(s.p + r + 1, '>', s.n - (r + 1));
        if (q == NULL)
            return LINEREAD_NO;
        e = (size_t)(q - s.p) + 1;
        g[G_RECIPIENT] = span(s, r + 1, e - 1);
    } else {
        while (e < s.n && s.p[e] != ' ' && s.p[e] != ':' && s.p[e] != '<' && s.p[e] != '>')
            e++;
        if (e == r)
            return LINEREAD_NO;
        g[G_RECIPIENT] = span(s, r, e);
    }
    const char *c = memchr(s.p + e, ':', s.n - e);
    if (c == NULL)
        return LINEREAD_YES;
    size_t k = (size_t)(c - s.p);
    if (k + 1 >= s.n || s.p[k + 1] != ' ') {
        if (s.p[r] != '<')
            *work += (e - r + 1) * (k - r + 1);
        return *work > ACL_TAIL_WORK ? LINEREAD_ASK : LINEREAD_NO;
    }
    exim_acl_reply(s, k + 2, cls, g);
    return LINEREAD_YES;
}

/* (?:: REPLY)?$ at e: the end, or ": " and the reply.  Whether it fits. */
static bool exim_acl_end(mc_str s, size_t e, char cls, mc_str g[G_COUNT])
{
    if (e == s.n)
        return true;
    if (e + 1 >= s.n || s.p[e] != ':' || s.p[e + 1] != ' ')
        return false;
    exim_acl_reply(s, e + 2, cls, g);
    return true;
}

/* At v, past LIT ("rejected "): (?:after
 * DATA(?: PRDR)?|during MIME ACL checks|DKIM\b[^:]*)(?:: REPLY)?$.  The
 * three begin with different bytes; without " PRDR" a space stands where
 * ':' or the end must; [^:]* can only stop at the first ':' or the end
 * (before it, a byte that is neither).  Work: linear, none to count. */
static mc_lineread_result exim_acl_data_tail(mc_str s, size_t v, char cls, mc_str g[G_COUNT], size_t *work)
{
    (void)work;
    if (LIT_AT(s, v, "after DATA"))
        return exim_acl_end(s, LIT_AT(s, v + 10, " PRDR") ? v + 15 : v + 10, cls, g) ? LINEREAD_YES : LINEREAD_NO;
    if (LIT_AT(s, v, "during MIME ACL checks"))
        return exim_acl_end(s, v + 22, cls, g) ? LINEREAD_YES : LINEREAD_NO;
    if (!LIT_AT(s, v, "DKIM") || (v + 4 < s.n && ((byte_class[(unsigned char)s.p[v + 4]] & B_ALNUM) || s.p[v + 4] == '_')))
        return LINEREAD_NO;
    const char *c = memchr(s.p + v + 4, ':', s.n - (v + 4));
    return exim_acl_end(s, c ? (size_t)(c - s.p) : s.n, cls, g) ? LINEREAD_YES : LINEREAD_NO;
}

/* A tail of the ACL verdicts: its literal, the reply code's class digit
 * and its reader. */
typedef struct {
    const char *lit;
    size_t n;
    char cls;
    mc_lineread_result (*read)(mc_str, size_t, char, mc_str *, size_t *); /* at the literal's end */
} acl_tail;

/* At v, past LIT ("rejected connection"): (?: in "connect" ACL)?(?::
 * REPLY)?$: without the words, a space stands where ':' or the end must.
 * Work: linear, none to count. */
static mc_lineread_result exim_acl_connect_tail(mc_str s, size_t v, char cls, mc_str g[G_COUNT], size_t *work)
{
    (void)work;
    if (LIT_AT(s, v, " in \"connect\" ACL"))
        v += 17;
    return exim_acl_end(s, v, cls, g) ? LINEREAD_YES : LINEREAD_NO;
}

/* At v, past LIT ("rejected EHLO or HELO"): [^:]*(?:: REPLY)?$: the run
 * can only stop at the first ':' or the end (before it, a byte that is
 * neither).  Work: linear, none to count. */
static mc_lineread_result exim_acl_helo_tail(mc_str s, size_t v, char cls, mc_str g[G_COUNT], size_t *work)
{
    (void)work;
    const char *c = memchr(s.p + v, ':', s.n - v);
    return exim_acl_end(s, c ? (size_t)(c - s.p) : s.n, cls, g) ? LINEREAD_YES : LINEREAD_NO;
}

/* Exim's ACL verdicts, rules/mta/exim.conf [acl-rcpt], [acl-rcpt-temp],
 * [acl-data], [acl-data-temp], [acl-connect] and [acl-helo] (the other
 * verdicts share its prefix): ^(?:(?<queue_id>ID) )?(?:DS ?)?(?:H=CLIENT )?
 * (?:(?!F=)FIELD )*+(?:F=SENDER )?(?:FIELD )*+ then the tail.  The
 * optional pieces are tried as PCRE2 backtracks into them (the last one
 * first): F= taken or read as a field, H= taken or read as a field, "DS ",
 * "DS" or nothing; each piece and field run has one reading.  Leaving out
 * the id puts an id's first bytes (6 alphanumerics, then '-') where a
 * field, "H=", "F=" or the verb must stand, so only the id's reading is
 * tried when it is there. */
static mc_lineread_result exim_acl(mc_str s, const acl_tail *t, mc_str g[G_COUNT])
{
    if (!plain_ascii(s))
        return LINEREAD_ASK;
    size_t id = exim_id_space(s), p = id ? id + 1 : 0;
    size_t ds[3], n_ds = 0, work = 0;
    if (LIT_AT(s, p, "DS ")) {
        ds[n_ds++] = p + 3;
    }
    if (LIT_AT(s, p, "DS"))
        ds[n_ds++] = p + 2;
    ds[n_ds++] = p;
    for (size_t d = 0; d < n_ds; d++) {
        mc_str client = MC_STR_NULL;
        size_t h = exim_acl_host(s, ds[d], &client);
        for (int take_h = h != 0; take_h >= 0; take_h--) {
            size_t f = exim_fields(s, take_h ? h : ds[d], true);
            mc_str sender = MC_STR_NULL;
            size_t a = exim_acl_from(s, f, &sender);
            for (int take_f = a != 0; take_f >= 0; take_f--) {
                size_t v = exim_fields(s, take_f ? a : f, false);
                g[G_CODE] = g[G_ENHANCED] = g[G_TEXT] = g[G_RECIPIENT] = MC_STR_NULL;
                if (!lit_at(s, v, t->lit, t->n))
                    continue;
                mc_lineread_result tail = t->read(s, v + t->n, t->cls, g, &work);
                if (tail == LINEREAD_ASK)
                    return LINEREAD_ASK;
                if (tail == LINEREAD_NO)
                    continue;
                if (id)
                    g[G_QUEUE_ID] = span(s, 0, id);
                g[G_CLIENT] = take_h ? client : MC_STR_NULL;
                g[G_SENDER] = take_f ? sender : MC_STR_NULL;
                return LINEREAD_YES;
            }
        }
    }
    return LINEREAD_NO;
}

/* A reader of one ACL verdict: exim_acl with the verdict's tail (its
 * literal, the reply code's class digit, the tail's reader). */
#define ACL_READER(name, lit, cls, tail)                                     \
    static mc_lineread_result name(mc_str s, mc_str g[G_COUNT])              \
    {                                                                        \
        static const acl_tail t = {lit, sizeof(lit) - 1, cls, tail};         \
        return exim_acl(s, &t, g);                                           \
    }

/* [acl-rcpt]: "rejected RCPT ", a 5xx code; [acl-rcpt-temp]: "temporarily
 * rejected RCPT ", a 4xx code. */
ACL_READER(exim_acl_rcpt, "rejected RCPT ", '5', exim_acl_tail)
ACL_READER(exim_acl_rcpt_temp, "temporarily rejected RCPT ", '4', exim_acl_tail)
/* [acl-data]: "rejected " after DATA, during MIME or by DKIM, a 5xx code;
 * [acl-data-temp]: the same "temporarily rejected ", a 4xx code. */
ACL_READER(exim_acl_data, "rejected ", '5', exim_acl_data_tail)
ACL_READER(exim_acl_data_temp, "temporarily rejected ", '4', exim_acl_data_tail)
/* [acl-connect]: "rejected connection"; [acl-helo]: "rejected EHLO or
 * HELO"; both a 5xx code. */
ACL_READER(exim_acl_connect, "rejected connection", '5', exim_acl_connect_tail)
ACL_READER(exim_acl_helo, "rejected EHLO or HELO", '5', exim_acl_helo_tail)

/* ---- Exim [per-host] and [blackhole] (yes or no: no groups) -------------- */

/* rules/mta/exim.conf [per-host]: ^ID H=[^\s\[\]]+ \[[^\]\s]+\](?::PORT)?
 * \*?(?::| [A-Z]): the host and its port as the delivery's relay is read
 * (exim_relay_end).  With a port there, PCRE2 may leave it out and take
 * its ':'; without one, an optional '*', then ':' or a space and a
 * capital. */
static mc_lineread_result exim_per_host(mc_str s, mc_str groups[G_COUNT])
{
    (void)groups;
    if (!plain_ascii(s))
        return LINEREAD_ASK;
    size_t id = exim_id_space(s), k;
    if (id == 0 || !LIT_AT(s, id + 1, "H=") || (k = exim_relay_end(s, id + 3)) == 0)
        return LINEREAD_NO;
    if (s.p[k - 1] != ']')
        return LINEREAD_YES;
    if (k < s.n && s.p[k] == '*')
        k++;
    if (k < s.n && s.p[k] == ':')
        return LINEREAD_YES;
    return k + 1 < s.n && s.p[k] == ' ' && s.p[k + 1] >= 'A' && s.p[k + 1] <= 'Z' ? LINEREAD_YES : LINEREAD_NO;
}

/* rules/mta/exim.conf [blackhole]: ^ID => (?::blackhole:|blackhole \(). */
static mc_lineread_result exim_blackhole(mc_str s, mc_str groups[G_COUNT])
{
    (void)groups;
    if (!plain_ascii(s))
        return LINEREAD_ASK;
    size_t id = exim_id_space(s);
    if (id == 0 || !LIT_AT(s, id + 1, "=> "))
        return LINEREAD_NO;
    return LIT_AT(s, id + 4, ":blackhole:") || LIT_AT(s, id + 4, "blackhole (") ? LINEREAD_YES : LINEREAD_NO;
}

/* ---- the tables -------------------------------------------------------- */

/* The line rule patterns with a reader, as written in rules/mta/<mta>.conf
 * (a continued value joined with one space). */
typedef struct {
    const char *src;
    mc_lineread_fn fn;
} reader_entry;

static const reader_entry readers[] = {
    {"^(?<queue_id>[0-9A-Za-z]+): to=<?(?<recipient>[^>,]*)>?,(?: orig_to=<?(?<orig_to>[^>,]*)>?,)? "
     "relay=(?<relay>[^,]++),(?: (?:dsn=(?<dsn>[245]\\.[0-9]{1,3}\\.[0-9]{1,3})|"
     "delay=(?<delay>[0-9]{1,12}(?:\\.[0-9]{1,6})?)|"
     "delays=(?<delays>[0-9.]{1,20}/[0-9.]{1,20}/[0-9.]{1,20}/[0-9.]{1,20})|"
     "(?!status=)[a-z_]++=[^,]*+),)*+ "
     "status=(?<status>sent|deferred|bounced|expired)(?: \\((?<text>.*)\\))?$",
     pf_delivery},
    {"^(?:(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?(?:=>|->|>>) "
     "(?=(?:(?:[^ \\n]*+ )+QT=(?<delay>[0-9][0-9.wdhms]{0,30}+)(?: DT=(?<transfer>[0-9][0-9.wdhms]{0,30}+))?$)?)"
     "(?=(?:(?:[^: ]*+ )+?[FP]=<(?<sender>[^>\\s]*)>)?)"
     "(?=(?:[^\\s<@][^<@]* <(?<recipient>[^>\\s]*@[^>\\s]*)>)?)(?<recipient>[^\\s<]\\S*)"
     "(?:(?:[^ \\n]*+ )+?H=(?<relay>[^\\s\\[\\]]+ \\[[^\\]\\s]+\\](?::[0-9A-Za-z_]+)?))?"
     "(?:(?:[^ \\n]*+ )+?C=\"(?<text>.*?)\"(?=$| [A-Za-z]+=))?",
     exim_delivery},
    {"^(?:(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?== "
     "(?=(?:(?:[^: ]*+ )+?[FP]=<(?<sender>[^>\\s]*)>)?)"
     "(?=(?:(?:[^:\\n]*+:)+? host (?<relay>[^\\s\\[\\]]+ \\[[^\\]\\s]+\\](?::[0-9A-Za-z_]+)?): )?)"
     "(?=(?:[^\\s<@][^<@]* <(?<recipient>[^>\\s]*@[^>\\s]*)>)?)(?<recipient>[^\\s<]\\S*)(?: .*?)? defer "
     "\\([^)]*\\)(?: H=(?<relay>[^\\s\\[\\]]+ \\[[^\\]\\s]+\\](?::[0-9A-Za-z_]+)?)\\*?(?: DS)?)?"
     "(?: [A-Z][A-Za-z]{0,2}=(?:[^\\s:]|:(?=\\S))++)*+"
     "(?:: (?=(?:(?:[^: ]*+ )+?H=(?<relay>[^\\s\\[\\]]+ \\[[^\\]\\s]+\\](?::[0-9A-Za-z_]+)?))?)"
     "(?<text>(?:[^ \\n]*+(?! DT=[^\\s:]+$) )*+[^ \\n]*+))?(?: DT=[^\\s:]+)?$",
     exim_deferral},
    {"^(?:(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?\\*\\* "
     "(?=(?:(?:[^: ]*+ )+?[FP]=<(?<sender>[^>\\s]*)>)?)"
     "(?=(?:(?:[^:\\n]*+:)+? host (?<relay>[^\\s\\[\\]]+ \\[[^\\]\\s]+\\](?::[0-9A-Za-z_]+)?): )?)"
     "(?=(?:[^\\s<@][^<@]* <(?<recipient>[^>\\s]*@[^>\\s]*)>)?)(?<recipient>[^\\s<]\\S*?)(?=:?(?: |$))"
     "(?:(?:[^ \\n]*+ )+?H=(?<relay>[^\\s\\[\\]]+ \\[[^\\]\\s]+\\](?::[0-9A-Za-z_]+)?)\\*?)?"
     ".*?(?: ?: (?<text>.*))?$",
     exim_bounce},
    {"^(?:(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?(?:DS ?)?(?:H=(?<client>(?:[^\\"
     "s\\[\\]()]+ )?(?:\\([^)]*\\) )?\\[[^\\]\\s]+\\])(?::[0-9]+)? )?(?:(?!F=)[A-Za-z]{1,3}=(?>\"[^\"]*\"("
     "?= )|\\S+) )*+(?:F=(?:<(?<sender>[^>]*)>|(?<sender>[^\\s<>]+)) )?(?:[A-Za-z]{1,3}=(?>\"[^\"]*\"(?= )"
     "|\\S+) )*+rejected RCPT (?:<(?<recipient>[^>]*)>|(?<recipient>[^\\s:<>]+))[^:]*?(?:: (?:(?<code>5[0-"
     "9][0-9])(?:[ -]|$)(?:(?<enhanced>5\\.[0-9]{1,3}\\.[0-9]{1,3})(?: |$))?)?(?<text>.*))?$",
     exim_acl_rcpt},
    {"^(?:(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?(?:DS ?)?(?:H=(?<client>(?:[^\\"
     "s\\[\\]()]+ )?(?:\\([^)]*\\) )?\\[[^\\]\\s]+\\])(?::[0-9]+)? )?(?:(?!F=)[A-Za-z]{1,3}=(?>\"[^\"]*\"("
     "?= )|\\S+) )*+(?:F=(?:<(?<sender>[^>]*)>|(?<sender>[^\\s<>]+)) )?(?:[A-Za-z]{1,3}=(?>\"[^\"]*\"(?= )"
     "|\\S+) )*+temporarily rejected RCPT (?:<(?<recipient>[^>]*)>|(?<recipient>[^\\s:<>]+))[^:]*?(?:: (?:"
     "(?<code>4[0-9][0-9])(?:[ -]|$)(?:(?<enhanced>4\\.[0-9]{1,3}\\.[0-9]{1,3})(?: |$))?)?(?<text>.*))?$",
     exim_acl_rcpt_temp},
    {"^(?:(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?(?:DS ?)?(?:H=(?<client>(?:[^\\"
     "s\\[\\]()]+ )?(?:\\([^)]*\\) )?\\[[^\\]\\s]+\\])(?::[0-9]+)? )?(?:(?!F=)[A-Za-z]{1,3}=(?>\"[^\"]*\"("
     "?= )|\\S+) )*+(?:F=(?:<(?<sender>[^>]*)>|(?<sender>[^\\s<>]+)) )?(?:[A-Za-z]{1,3}=(?>\"[^\"]*\"(?= )"
     "|\\S+) )*+rejected (?:after DATA(?: PRDR)?|during MIME ACL checks|DKIM\\b[^:]*)(?:: (?:(?<code>5[0-9"
     "][0-9])(?:[ -]|$)(?:(?<enhanced>5\\.[0-9]{1,3}\\.[0-9]{1,3})(?: |$))?)?(?<text>.*))?$",
     exim_acl_data},
    {"^(?:(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?(?:DS ?)?(?:H=(?<client>(?:[^\\"
     "s\\[\\]()]+ )?(?:\\([^)]*\\) )?\\[[^\\]\\s]+\\])(?::[0-9]+)? )?(?:(?!F=)[A-Za-z]{1,3}=(?>\"[^\"]*\"("
     "?= )|\\S+) )*+(?:F=(?:<(?<sender>[^>]*)>|(?<sender>[^\\s<>]+)) )?(?:[A-Za-z]{1,3}=(?>\"[^\"]*\"(?= )"
     "|\\S+) )*+temporarily rejected (?:after DATA(?: PRDR)?|during MIME ACL checks|DKIM\\b[^:]*)(?:: (?:"
     "(?<code>4[0-9][0-9])(?:[ -]|$)(?:(?<enhanced>4\\.[0-9]{1,3}\\.[0-9]{1,3})(?: |$))?)?(?<text>.*))?$",
     exim_acl_data_temp},
    {"^(?:(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?(?:DS ?)?(?:H=(?<client>(?:[^\\"
     "s\\[\\]()]+ )?(?:\\([^)]*\\) )?\\[[^\\]\\s]+\\])(?::[0-9]+)? )?(?:(?!F=)[A-Za-z]{1,3}=(?>\"[^\"]*\"("
     "?= )|\\S+) )*+(?:F=(?:<(?<sender>[^>]*)>|(?<sender>[^\\s<>]+)) )?(?:[A-Za-z]{1,3}=(?>\"[^\"]*\"(?= )"
     "|\\S+) )*+rejected connection(?: in \"connect\" ACL)?(?:: (?:(?<code>5[0-9][0-9])(?:[ -]|$)(?:(?<enhanced>5"
     "\\.[0-9]{1,3}\\.[0-9]{1,3})(?: |$))?)?(?<text>.*))?$",
     exim_acl_connect},
    {"^(?:(?<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?(?:DS ?)?(?:H=(?<client>(?:[^\\"
     "s\\[\\]()]+ )?(?:\\([^)]*\\) )?\\[[^\\]\\s]+\\])(?::[0-9]+)? )?(?:(?!F=)[A-Za-z]{1,3}=(?>\"[^\"]*\"("
     "?= )|\\S+) )*+(?:F=(?:<(?<sender>[^>]*)>|(?<sender>[^\\s<>]+)) )?(?:[A-Za-z]{1,3}=(?>\"[^\"]*\"(?= )"
     "|\\S+) )*+rejected EHLO or HELO[^:]*(?:: (?:(?<code>5[0-9][0-9])(?:[ -]|$)(?:(?<enhanced>5\\.[0-9]{1,3}"
     "\\.[0-9]{1,3})(?: |$))?)?(?<text>.*))?$",
     exim_acl_helo},
    {"^[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} H=[^\\s\\[\\]]+ \\[[^\\]\\s]+\\](?::[0-9A-Za-z_]+)?\\*?"
     "(?::| [A-Z])",
     exim_per_host},
    {"^[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} => (?::blackhole:|blackhole \\()", exim_blackhole},
    {"^(?:NOQUEUE|(?<queue_id>[0-9A-Za-z]+)): (?:milter-)?reject: (?<command>[A-Z][A-Z-]*) from "
     "(?<client>[^ ]+?): (?<code>[45][0-9][0-9])[ -](?:(?<enhanced>[45]\\.[0-9]{1,3}\\.[0-9]{1,3}) )?"
     "(?<text>.*?(?:; from=<(?<sender>[^<>]*+)>,?(?: to=<(?<recipient>[^<>]*+)>)?.*)?)$",
     pf_smtpd_reject},
    {"^(?<queue_id>[0-9A-Za-z]+): from=<(?<sender>[^>]*)>,(?: size=[0-9]+,)? "
     "status=(?:expired|force-expired), returned to sender",
     pf_expired},
};

/* The prefix patterns with a gate. */
static const struct {
    const char *src;
    mc_prefix_gate_fn fn;
} gates[] = {
    {"^(?:(?=[^ ]*+ exim|exim)(?:(?:emerg|alert|crit|err|error|warn|warning|notice|info|debug) "
     "|(?<host>[^\\s\\[\\]:]+) )?exim4?\\[[0-9]+\\]: )?"
     "(?:[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,6})?(?: [+-][0-9]{4})? )?"
     "(?:\\[[0-9]+\\] )?",
     exim_prefix_gate},
};

/* The [@reply] patterns with a reader (the groups code and enhanced). */
static const reader_entry reply_readers[] = {
    {"(?:^|(?:said|refused to talk to me): )(?<code>[2-5][0-9][0-9])(?:[ -]|$)"
     "(?:#?(?<enhanced>[245]\\.[0-9]{1,3}\\.[0-9]{1,3})(?![0-9.]))?",
     pf_reply},
    {"^(?<code>[2-5][0-9][0-9])(?:[ -]|$)(?:#?(?<enhanced>[245]\\.[0-9]{1,3}\\.[0-9]{1,3})(?![0-9.]))?",
     exim_reply},
    {"(?:SMTP|LMTP|PRDR) error (?:from remote mail server )?after (?:pipelined )?"
     "(?:(?:MAIL FROM|RCPT TO):<[^>]*>[^:]*|[^:]*): (?:host [^\\s\\[\\]]+ \\[[^\\]]+\\](?::[0-9A-Za-z_]+)?: )?"
     "(?<code>[2-5][0-9][0-9])(?:[ -]|$)(?:#?(?<enhanced>[245]\\.[0-9]{1,3}\\.[0-9]{1,3})(?![0-9.]))?",
     exim_error_reply},
};

/* The [@stage] patterns with a reader. */
static const reader_entry stage_readers[] = {
    {"^2[0-9][0-9](?:[ -]|$)", stage_2xx},
    {"\\(in reply to (?<command>[A-Za-z ]+?) command\\)", stage_in_reply},
    {"(?:SMTP|LMTP|PRDR) (?:error|timeout)(?: from remote mail server)? after (?:pipelined )?"
     "(?<command>initial connection|end of data|sending data block|MAIL FROM|RCPT TO|[A-Z]+)",
     stage_exim_after},
};

/* The [@mta] local patterns with a reader (a yes or no, no groups). */
static const reader_entry local_readers[] = {
    {"^(?:\\S+ )?(?:=>|->|\\*\\*|==) (?:[/|]|(?:[^: ]*+ )+?T=(?:local_delivery|address_file|address_directory|"
     "address_pipe|maildir_home|mail_spool|maildir_spool|procmail_pipe|maildrop_pipe|dovecot_delivery|local_file|"
     "appendfile|pipe|file)(?=[\\s:]|$))",
     exim_local},
};

#define N_OF(t) (sizeof(t) / sizeof(t)[0])

/* The reader of table t (n entries) for the pattern source src, or NULL. */
static mc_lineread_fn find_reader(const reader_entry *t, size_t n, const char *src)
{
    for (size_t i = 0; src && i < n; i++)
        if (strcmp(src, t[i].src) == 0)
            return t[i].fn;
    return NULL;
}

mc_lineread_fn lineread_for(const char *src) { return find_reader(readers, N_OF(readers), src); }
mc_lineread_fn lineread_reply_for(const char *src) { return find_reader(reply_readers, N_OF(reply_readers), src); }
mc_lineread_fn lineread_stage_for(const char *src) { return find_reader(stage_readers, N_OF(stage_readers), src); }
mc_lineread_fn lineread_local_for(const char *src) { return find_reader(local_readers, N_OF(local_readers), src); }

const char *lineread_reply_source(size_t i) { return i < N_OF(reply_readers) ? reply_readers[i].src : NULL; }
const char *lineread_stage_source(size_t i) { return i < N_OF(stage_readers) ? stage_readers[i].src : NULL; }
const char *lineread_local_source(size_t i) { return i < N_OF(local_readers) ? local_readers[i].src : NULL; }

mc_prefix_gate_fn lineread_prefix_gate_for(const char *src)
{
    for (size_t i = 0; src && i < sizeof gates / sizeof gates[0]; i++)
        if (strcmp(src, gates[i].src) == 0)
            return gates[i].fn;
    return NULL;
}

/* exim_prefix_gate on a message that starts with an Exim id ([0-9A-Za-z]
 * only, 16-23 bytes, byte 4 not '-'), a space and a byte other than 'e',
 * and not with "exim": byte 0 is no '[', no date, and the first space is
 * the id's end (within 24 bytes), not followed by "exim": no. */
bool lineread_gate_spares_exim_ids(mc_prefix_gate_fn gate) { return gate != NULL && gate == exim_prefix_gate; }

/* Whether alnum_run and name_run end where run_class (the definition)
 * does, from every place of s: tests. */
bool lineread_class_runs_agree(mc_str s)
{
    for (size_t i = 0; i <= s.n; i++)
        if (alnum_run(s, i) != run_class(s, i, B_ALNUM) || name_run(s, i) != run_class(s, i, B_NAME))
            return false;
    return true;
}

const char *lineread_source(size_t i) { return i < sizeof readers / sizeof readers[0] ? readers[i].src : NULL; }

const char *lineread_prefix_source(size_t i) { return i < sizeof gates / sizeof gates[0] ? gates[i].src : NULL; }
