/*
 * util.c - checked allocation, buffers and output escaping.
 *
 * Every string that came from a log line is untrusted: it may hold control
 * characters, ANSI escapes or invalid UTF-8.  The escapers here are the only
 * way such bytes leave the program.
 */
#include "util.h"

#include <endian.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "exitcodes.h"

/* A view of a C string (null for NULL). */
mc_str mc_str_cstr(const char *s) { return s ? mc_str_make(s, strlen(s)) : MC_STR_NULL; }

/* Whether a view equals a C string. */
bool mc_str_eq(mc_str a, const char *cstr)
{
    size_t n = strlen(cstr);
    return a.p != NULL && a.n == n && memcmp(a.p, cstr, n) == 0;
}

/* Whether a view is null (not merely empty). */
bool mc_str_is_null(mc_str s) { return s.p == NULL; }

/* Says so and exits (status 3). */
static void out_of_memory(size_t n)
{
    fprintf(stderr, "mailcodes: out of memory (%zu bytes)\n", n);
    exit(MC_EXIT_DB);
}

/* malloc that never returns NULL. */
void *mc_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        out_of_memory(n);
    return p;
}

/* calloc that never returns NULL. */
void *mc_xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (p == NULL)
        out_of_memory(count * n);
    return p;
}

/* n cleared bytes at an address that is a multiple of align (a power of
 * two, a multiple of sizeof(void *)); never NULL.  Freed by free(). */
void *mc_xaligned_calloc(size_t align, size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, align, n ? n : 1) != 0)
        out_of_memory(n);
    memset(p, 0, n);
    return p;
}

/* realloc that never returns NULL. */
void *mc_xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n ? n : 1);
    if (p == NULL)
        out_of_memory(n);
    return p;
}

/* A NUL-terminated copy of n bytes. */
char *mc_xstrndup(const char *s, size_t n)
{
    char *p = mc_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* A copy of a C string. */
char *mc_xstrdup(const char *s) { return mc_xstrndup(s, strlen(s)); }

/* An empty buffer. */
void mc_buf_init(mc_buf *b)
{
    b->cap = 64;
    b->len = 0;
    b->data = mc_xmalloc(b->cap);
    b->data[0] = '\0';
}

/* Frees the buffer's memory. */
void mc_buf_free(mc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Empties the buffer, keeping its memory. */
void mc_buf_reset(mc_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Room for extra more bytes and the NUL. */
static void buf_reserve(mc_buf *b, size_t extra)
{
    if (b->data == NULL)
        mc_buf_init(b);
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap;
    while (b->len + extra + 1 > cap)
        cap *= 2;
    b->data = mc_xrealloc(b->data, cap);
    b->cap = cap;
}

/* Appends n bytes. */
void mc_buf_add(mc_buf *b, const char *p, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Room for n more bytes after the content, written by the caller (a
 * read() straight into the buffer), who then moves len. */
char *mc_buf_room(mc_buf *b, size_t n)
{
    buf_reserve(b, n);
    return b->data + b->len;
}

/* Appends a C string. */
void mc_buf_adds(mc_buf *b, const char *s) { mc_buf_add(b, s, strlen(s)); }

/* Appends one byte. */
void mc_buf_addc(mc_buf *b, char c) { mc_buf_add(b, &c, 1); }

/* Appends printf output. */
void mc_buf_printf(mc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    /* Reject overlong forms, surrogates and values past U+10FFFF. */
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* The code point of the valid UTF-8 sequence of len bytes at p. */
static uint32_t utf8_code_point(const unsigned char *p, size_t len)
{
    static const unsigned char lead_bits[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t cp = p[0] & lead_bits[len];
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (p[i] & 0x3F);
    return cp;
}

/* Whether n bytes are valid UTF-8. */
bool mc_utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* Eight ASCII bytes at once: the rules files, read at every
         * start, are nearly all ASCII (issue 14). */
        uint64_t w;
        if (n - i >= 8 && (memcpy(&w, p + i, 8), (w & 0x8080808080808080ULL) == 0)) {
            i += 8;
            continue;
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = utf8_seq_len(p + i, n - i);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

/* Replaces NULs and invalid UTF-8 with '?', in place. */
void mc_utf8_sanitize(unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] != 0 && p[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = p[i] ? utf8_seq_len(p + i, n - i) : 0;
        if (len == 0) {
            p[i++] = '?';
            continue;
        }
        i += len;
    }
}

/* Bidi controls, by their UTF-8 bytes: a log line must not reorder the
 * text around it (a reversed domain, a hidden extension). */
static const char *const bidi_controls[] = {
    "\xD8\x9C",                                                         /* U+061C ALM */
    "\xE2\x80\x8E", "\xE2\x80\x8F",                                     /* U+200E/F LRM, RLM */
    "\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD", "\xE2\x80\xAE", /* U+202A-E */
    "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8", "\xE2\x81\xA9", /* U+2066-9 isolates */
    "\xE2\x80\xA8", "\xE2\x80\xA9", /* U+2028/9 line and paragraph separators: a line break */
};

/* Whether the valid UTF-8 sequence of len bytes at s may be shown as it
 * is: not a C1 control (U+0080..U+009F, escapes on some terminals), not a
 * bidi or line control. */
static bool seq_shown(const unsigned char *s, size_t len)
{
    if (len == 2 && s[0] == 0xC2 && s[1] < 0xA0)
        return false;
    for (size_t i = 0; i < sizeof bidi_controls / sizeof bidi_controls[0]; i++)
        if (strlen(bidi_controls[i]) == len && memcmp(bidi_controls[i], s, len) == 0)
            return false;
    return true;
}

/* Writes n bytes as a JSON string, escaped. */
void mc_json_str(FILE *out, const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    fputc('"', out);
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(out, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc(c, out);
            i++;
        } else {
            size_t len = utf8_seq_len(s + i, n - i);
            if (len == 0)
                fputs("\\ufffd", out);
            else if (!seq_shown(s + i, len)) /* the same string to a parser, no raw control to a terminal */
                fprintf(out, "\\u%04x", utf8_code_point(s + i, len));
            else
                fwrite(s + i, 1, len, out);
            i += len ? len : 1;
        }
    }
    fputc('"', out);
}

/* A JSON string, or null for NULL. */
void mc_json_cstr_or_null(FILE *out, const char *s)
{
    if (s == NULL || *s == '\0')
        fputs("null", out);
    else
        mc_json_str(out, s, strlen(s));
}

/* Length of the character at p, and whether it may be shown as it is. */
size_t mc_safe_char(const char *p, size_t n, bool *safe)
{
    const unsigned char *s = (const unsigned char *)p;
    if (s[0] < 0x80) {
        *safe = s[0] >= 0x20 && s[0] != 0x7F;
        return 1;
    }
    size_t len = utf8_seq_len(s, n);
    *safe = len != 0 && seq_shown(s, len);
    return len ? len : 1;
}

/* Writes one CSV field (RFC 4180), formula starts neutralised. */
void mc_csv_field(FILE *out, const char *s)
{
    if (s == NULL)
        return;
    bool formula = *s != '\0' && strchr("=+-@\t\r", *s) != NULL;
    bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (!quote) {
        mc_text_safe(out, s, strlen(s));
        return;
    }
    fputc('"', out);
    if (formula)
        fputc('\'', out);
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        bool safe;
        size_t len = mc_safe_char(s + i, n - i, &safe);
        if (s[i] == '"')
            fputs("\"\"", out);
        else if (safe || s[i] == '\n' || s[i] == '\r')
            fwrite(s + i, 1, len, out);
        else
            fputc('?', out);
        i += len;
    }
    fputc('"', out);
}

/* Writes n bytes for a terminal: controls and unsafe characters become '?'. */
void mc_text_safe(FILE *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        bool safe;
        size_t len = mc_safe_char(p + i, n - i, &safe);
        if (safe)
            fwrite(p + i, 1, len, out);
        else
            fputc('?', out);
        i += len;
    }
}

/* Splits value at separators into malloc'd words. */
char **mc_split_words(const char *value, const char *separators, size_t *n_out)
{
    size_t cap = 4, n = 0;
    char **words = mc_xmalloc(cap * sizeof *words);
    const char *p = value;
    while (*p) {
        while (*p && strchr(separators, *p))
            p++;
        const char *s = p;
        while (*p && !strchr(separators, *p))
            p++;
        if (p > s) {
            if (n == cap)
                words = mc_xrealloc(words, (cap *= 2) * sizeof *words);
            words[n++] = mc_xstrndup(s, (size_t)(p - s));
        }
    }
    *n_out = n;
    return words;
}

/* Frees what mc_split_words returned. */
void mc_free_words(char **words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(words[i]);
    free(words);
}

/* Lower-cases ASCII letters in place. */
void mc_ascii_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

/* SipHash-1-3 (Aumasson and Bernstein; one compression round, three
 * finalisation rounds, as Rust's HashMap uses): a keyed 64-bit hash, so
 * whoever writes the hashed bytes cannot choose collisions without the key. */
#define SIP_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIP_ROUND(v0, v1, v2, v3)                                                                         \
    do {                                                                                                  \
        v0 += v1; v1 = SIP_ROTL(v1, 13); v1 ^= v0; v0 = SIP_ROTL(v0, 32);                                 \
        v2 += v3; v3 = SIP_ROTL(v3, 16); v3 ^= v2;                                                        \
        v0 += v3; v3 = SIP_ROTL(v3, 21); v3 ^= v0;                                                        \
        v2 += v1; v1 = SIP_ROTL(v1, 17); v1 ^= v2; v2 = SIP_ROTL(v2, 32);                                 \
    } while (0)

/* Little-endian 64-bit load of n (at most 8) bytes. */
static uint64_t sip_load(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Multiplies and folds the high bits down, so every input bit reaches
 * every output bit within a few steps. */
static uint64_t fold_mix(uint64_t h)
{
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
}

/* mc_fast_hash: 8 bytes a step, multiply and fold, under seed (the
 * definition: tests/test_store.c's plain_fast_hash, a byte at a time at
 * the end). */
uint64_t mc_fast_hash(const uint64_t seed[2], const void *p, size_t n)
{
    const unsigned char *in = p;
    uint64_t h = seed[0] ^ fold_mix((uint64_t)n + 0x9E3779B97F4A7C15ull);
    size_t i = 0;
    /* Four words a step, then two (the same chain of folds: a loop's test
     * a word was a fifth of a long key's cost). */
    for (; i + 32 <= n; i += 32) {
        uint64_t w, x, y, z;
        memcpy(&w, in + i, 8), memcpy(&x, in + i + 8, 8);
        memcpy(&y, in + i + 16, 8), memcpy(&z, in + i + 24, 8);
        h = fold_mix(fold_mix(fold_mix(fold_mix(h ^ w) ^ x) ^ y) ^ z);
    }
    if (i + 16 <= n) {
        uint64_t w, x;
        memcpy(&w, in + i, 8), memcpy(&x, in + i + 8, 8);
        h = fold_mix(fold_mix(h ^ w) ^ x);
        i += 16;
    }
    if (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, in + i, 8);
        h = fold_mix(h ^ w);
        i += 8;
    }
    if (i < n) {
        /* The last r bytes as the low bytes of a word, little-endian:
         * from the key's last 8 (overlapping the step before) when it has
         * 8, else from two 4-byte loads or three bytes. */
        size_t r = n - i;
        uint64_t w;
        if (n >= 8) {
            memcpy(&w, in + n - 8, 8);
            w = le64toh(w) >> (8 * (8 - r));
        } else if (r >= 4) {
            uint32_t lo, hi;
            memcpy(&lo, in, 4), memcpy(&hi, in + n - 4, 4);
            w = (uint64_t)le32toh(lo) | (uint64_t)le32toh(hi) << (8 * (r - 4));
        } else {
            w = (uint64_t)in[0] | (uint64_t)in[r / 2] << (8 * (r / 2)) | (uint64_t)in[n - 1] << (8 * (r - 1));
        }
        h = fold_mix(h ^ w);
    }
    return fold_mix(fold_mix(h ^ seed[1]));
}

/* SipHash-1-3 of n bytes at p under the 128-bit key k. */
uint64_t mc_siphash13(const uint64_t k[2], const void *p, size_t n)
{
    const unsigned char *in = p;
    uint64_t v0 = 0x736f6d6570736575ull ^ k[0], v1 = 0x646f72616e646f6dull ^ k[1];
    uint64_t v2 = 0x6c7967656e657261ull ^ k[0], v3 = 0x7465646279746573ull ^ k[1];
    size_t full = n - n % 8;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m;
        memcpy(&m, in + i, 8);
        m = le64toh(m);
        v3 ^= m;
        SIP_ROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t b = ((uint64_t)n << 56) | sip_load(in + full, n % 8);
    v3 ^= b;
    SIP_ROUND(v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= 0xff;
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

/* A fresh random 128-bit hash key (the clock when there is no entropy yet). */
void mc_random_key(uint64_t k[2], const void *salt)
{
    if (getrandom(k, 2 * sizeof *k, GRND_NONBLOCK) == (ssize_t)(2 * sizeof *k))
        return;
    /* Early boot: a key only spreads slots, answers never depend on it. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    k[0] = (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)salt;
    k[1] = (uint64_t)ts.tv_sec;
}
