/*
 * util.h - small helpers shared by every module: checked allocation,
 * length-counted string views, a growable byte buffer, and the escaping
 * that every output format needs (JSON, CSV, terminal-safe text).
 */
#ifndef MC_UTIL_H
#define MC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A view into someone else's bytes: never owns, never NUL-terminated. */
typedef struct {
    const char *p;
    size_t n;
} mc_str;

#define MC_STR_NULL ((mc_str){NULL, 0})

static inline mc_str mc_str_make(const char *p, size_t n) { return (mc_str){p, n}; }
mc_str mc_str_cstr(const char *s);
bool mc_str_eq(mc_str a, const char *cstr);
bool mc_str_is_null(mc_str s);

/* Whether the n bytes at a and b are the same: a queue id, a host or a
 * program name is short, and a call to memcmp costs more than the compare
 * (from 4 to 16 bytes: two loads a side, each within the n bytes). */
static inline bool mc_same_bytes(const char *a, const char *b, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t x, y, u, v;
        __builtin_memcpy(&x, a, 8), __builtin_memcpy(&y, b, 8);
        __builtin_memcpy(&u, a + n - 8, 8), __builtin_memcpy(&v, b + n - 8, 8);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t x, y, u, v;
        __builtin_memcpy(&x, a, 4), __builtin_memcpy(&y, b, 4);
        __builtin_memcpy(&u, a + n - 4, 4), __builtin_memcpy(&v, b + n - 4, 4);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    return __builtin_memcmp(a, b, n) == 0;
}

/* memcpy of n bytes from src to dst (not overlapping), for the short
 * values of a key: up to 16 bytes by two loads and two stores (each within
 * the n bytes; 1 to 3 bytes as the first, middle and last), where a call
 * to memcpy costs more than the copy. */
static inline void mc_copy_bytes(char *dst, const char *src, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t x, y;
        __builtin_memcpy(&x, src, 8), __builtin_memcpy(&y, src + n - 8, 8);
        __builtin_memcpy(dst, &x, 8), __builtin_memcpy(dst + n - 8, &y, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t x, y;
        __builtin_memcpy(&x, src, 4), __builtin_memcpy(&y, src + n - 4, 4);
        __builtin_memcpy(dst, &x, 4), __builtin_memcpy(dst + n - 4, &y, 4);
    } else if (n >= 1 && n < 4) {
        char x = src[0], y = src[n / 2], z = src[n - 1];
        dst[0] = x, dst[n / 2] = y, dst[n - 1] = z;
    } else if (n > 16) {
        __builtin_memcpy(dst, src, n);
    }
}

/* Allocation that cannot return NULL: on exhaustion we print and exit(3),
 * because every caller would otherwise have to unwind a half-built state. */
void *mc_xmalloc(size_t n);
void *mc_xcalloc(size_t count, size_t n);
void *mc_xrealloc(void *p, size_t n);
void *mc_xaligned_calloc(size_t align, size_t n);
char *mc_xstrdup(const char *s);
char *mc_xstrndup(const char *s, size_t n);

/* Growable byte buffer, always NUL-terminated after its content. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} mc_buf;

void mc_buf_init(mc_buf *b);
void mc_buf_free(mc_buf *b);
void mc_buf_reset(mc_buf *b);
void mc_buf_add(mc_buf *b, const char *p, size_t n);
void mc_buf_adds(mc_buf *b, const char *s);
/* Room for n more bytes at data + len (the caller writes, then moves len). */
char *mc_buf_room(mc_buf *b, size_t n);
void mc_buf_addc(mc_buf *b, char c);
void mc_buf_printf(mc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Output escaping.  Control characters and invalid UTF-8 never reach a
 * terminal, a JSON reader or a spreadsheet raw; neither do bidi controls
 * (U+061C, U+200E/F, U+202A-E, U+2066-9: they reorder what a reader sees)
 * in text, CSV and HTML, nor a spreadsheet formula in CSV. */
void mc_json_str(FILE *out, const char *p, size_t n);   /* writes "..." */
void mc_json_cstr_or_null(FILE *out, const char *s);    /* "..." or null */
/* RFC 4180 quoting; a field starting with = + - @ TAB or CR gets a leading
 * ' (OWASP's advice against formula injection) and quotes. */
void mc_csv_field(FILE *out, const char *s);
void mc_text_safe(FILE *out, const char *p, size_t n);  /* replaces controls with '?' */
/* Bytes of the character at p (n > 0 bytes left), 1 for an invalid byte;
 * *safe false for a control, invalid UTF-8 or a bidi control, which the
 * writers replace with '?'. */
size_t mc_safe_char(const char *p, size_t n, bool *safe);

/* UTF-8 validity of a byte range (used by the reader to count bad lines). */
bool mc_utf8_valid(const unsigned char *p, size_t n);
/* Replaces NUL bytes and bytes of invalid UTF-8 with '?', in place. */
void mc_utf8_sanitize(unsigned char *p, size_t n);

/* Splits value at any of the separator characters into a malloc'd array
 * of malloc'd words (empty words dropped); free with mc_free_words. */
char **mc_split_words(const char *value, const char *separators, size_t *n_out);
void mc_free_words(char **words, size_t n);

/* SipHash-1-3 of n bytes under the 128-bit key k: for hash tables keyed by
 * bytes an attacker writes. */
uint64_t mc_siphash13(const uint64_t k[2], const void *p, size_t n);
/* A random key for mc_siphash13, drawn per table (salt: any address). */
void mc_random_key(uint64_t k[2], const void *salt);
/* A fast hash of n bytes seeded by k (8 bytes a step, multiply and fold):
 * for tables in memory whose every hit compares the whole key and whose
 * probing is bounded, where a crafted collision can cost time but never
 * an answer.  Not for unbounded tables of attacker-written keys. */
uint64_t mc_fast_hash(const uint64_t k[2], const void *p, size_t n);

/* Lowercase ASCII copy into buf (for domains). */
void mc_ascii_lower(char *s);

#endif
