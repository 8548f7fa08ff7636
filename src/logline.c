/*
 * logline.c - timestamps and syslog envelopes, parsed by hand.
 *
 * This runs on every line of the input, so it is plain C with no regex and
 * no allocation: each form is recognised by its first bytes and then read
 * field by field.  Anything unexpected returns false; the caller counts it.
 * JSON lines (journald's, Docker's json-file) are the forms whose fields
 * must be decoded: they are unescaped into a scratch buffer the caller owns
 * and reuses.  Wrappers (compose, CRI, TAI64N, json-file) are tried only on
 * a line no plain form reads, so plain logs pay nothing for them.
 */
#include "logline.h"

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ASCII digit. */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Reads exactly n digits at *p. */
static bool digits(const char **p, const char *end, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (*p >= end || !is_digit(**p))
            return false;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return true;
}

/* Consumes the byte c at *p; false when it is not there. */
static bool expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c)
        return false;
    (*p)++;
    return true;
}

/* Whether the fields make a plausible date and time. */
static bool valid_clock(const mc_time *t)
{
    return t->month >= 1 && t->month <= 12 && t->day >= 1 && t->day <= 31 && t->hour <= 23 &&
           t->min <= 59 && t->sec <= 60;
}

/* The value of two ASCII digits at q, or -1 when either is none. */
static int two_digits(const char *q)
{
    unsigned a = (unsigned char)q[0] - '0', b = (unsigned char)q[1] - '0';
    return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/* hh:mm:ss.  The fixed width is read in place when the bytes are there
 * (every stamped line); digits and expect decide the rest. */
static bool parse_clock(const char **p, const char *end, mc_time *t)
{
    const char *q = *p;
    if (end - q >= 8 && q[2] == ':' && q[5] == ':') {
        int h = two_digits(q), m = two_digits(q + 3), s = two_digits(q + 6);
        if (h < 0 || m < 0 || s < 0)
            return false;
        t->hour = h;
        t->min = m;
        t->sec = s;
        *p = q + 8;
        return true;
    }
    return digits(p, end, 2, &t->hour) && expect(p, end, ':') && digits(p, end, 2, &t->min) &&
           expect(p, end, ':') && digits(p, end, 2, &t->sec);
}

/* Optional .fraction (any number of digits, kept to microseconds). */
static void parse_fraction(const char **p, const char *end, mc_time *t)
{
    t->usec = -1;
    if (*p < end && (**p == '.' || **p == ',') && *p + 1 < end && is_digit((*p)[1])) {
        (*p)++;
        int usec = 0, n = 0;
        while (*p < end && is_digit(**p)) {
            if (n < 6) {
                usec = usec * 10 + (**p - '0');
                n++;
            }
            (*p)++;
        }
        while (n++ < 6)
            usec *= 10;
        t->usec = usec;
    }
}

/* Z, +hh:mm, +hhmm, +hh; normalised to "Z" or "+hh:mm". */
static bool parse_zone(const char **p, const char *end, mc_time *t)
{
    t->zone[0] = '\0';
    if (*p < end && **p == 'Z') {
        (*p)++;
        strcpy(t->zone, "Z");
        return true;
    }
    if (*p < end && (**p == '+' || **p == '-')) {
        char sign = **p;
        const char *q = *p + 1;
        int hh, mm = 0;
        if (!digits(&q, end, 2, &hh))
            return false;
        if (q < end && *q == ':') {
            q++;
            if (!digits(&q, end, 2, &mm))
                return false;
        } else if (q + 1 < end && is_digit(q[0]) && is_digit(q[1])) {
            digits(&q, end, 2, &mm);
        }
        if (hh > 23 || mm > 59)
            return false;
        snprintf(t->zone, sizeof t->zone, "%c%02d:%02d", sign, hh, mm);
        *p = q;
    }
    return true;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* Year inference from a given "today" (tests pin it). */
void year_ctx_init(mc_year_ctx *y, int now_year, int now_month, int now_day)
{
    memset(y, 0, sizeof *y);
    y->now_year = now_year;
    y->now_month = now_month;
    y->now_day = now_day;
}

/* Year inference from the host's today. */
void year_ctx_init_now(mc_year_ctx *y)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    year_ctx_init(y, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* Deferred mode, for a thread that parses lines out of order. */
void year_ctx_init_deferred(mc_year_ctx *y)
{
    memset(y, 0, sizeof *y);
    y->deferred = true;
}

/* A new line: its inferences are numbered from 0. */
void year_ctx_line_start(mc_year_ctx *y) { y->n_calls = 0; }

static int infer_year(mc_year_ctx *y, int month, int day);

/* The inferences of one line, made now and in order. */
void year_ctx_replay(mc_year_ctx *y, const int (*calls)[2], int n, int *years)
{
    for (int i = 0; i < n; i++)
        years[i] = infer_year(y, calls[i][0], calls[i][1]);
}

/* Puts the replayed year in place of its placeholder. */
void year_resolve(mc_time *t, const int *years, int n)
{
    if (t->year >= MC_YEAR_DEFERRED && t->year - MC_YEAR_DEFERRED < n)
        t->year = years[t->year - MC_YEAR_DEFERRED];
}

/* The year of a stamp without one: this year, or last year for a date ahead of today. */
static int infer_year(mc_year_ctx *y, int month, int day)
{
    if (y->deferred) {
        /* More than MC_YEAR_CALLS cannot happen (see there); the
         * placeholder of the last one is kept rather than overflow. */
        int k = y->n_calls < MC_YEAR_CALLS ? y->n_calls++ : MC_YEAR_CALLS - 1;
        y->calls[k][0] = month;
        y->calls[k][1] = day;
        return MC_YEAR_DEFERRED + k;
    }
    if (y->year == 0) {
        /* A stamp more than a day ahead of today belongs to last year. */
        bool future = month > y->now_month || (month == y->now_month && day > y->now_day + 1);
        y->year = future ? y->now_year - 1 : y->now_year;
    } else if (y->last_month == 12 && month == 1) {
        y->year++;
    }
    y->last_month = month;
    return y->year;
}

/* The month whose three-letter name is at q (1-12), or 0: the name as a
 * little-endian 24-bit number, whose product with 284 puts the twelve in
 * twelve different slots of sixteen (bits 20-23); one compare with the
 * slot's name decides. */
static int month_number(const char *q)
{
    static const struct {
        uint32_t name;
        int month;
    } slots[16] = {
        {0x000000, 0},
        {0x74634f, 10},
        {0x626546, 2},
        {0x000000, 0},
        {0x636544, 12},
        {0x6c754a, 7},
        {0x766f4e, 11},
        {0x6e614a, 1},
        {0x6e754a, 6},
        {0x000000, 0},
        {0x79614d, 5},
        {0x706553, 9},
        {0x677541, 8},
        {0x000000, 0},
        {0x72614d, 3},
        {0x727041, 4}};
    uint32_t k = (uint32_t)(unsigned char)q[0] | (uint32_t)(unsigned char)q[1] << 8 |
                 (uint32_t)(unsigned char)q[2] << 16;
    unsigned i = (k * 284u) >> 20 & 15;
    return slots[i].name == k ? slots[i].month : 0;
}

/* Whether the 16 bytes at q have the classic stamp's shape "Mmm dD
 * hh:mm:ss " (the month's letters aside): spaces at 3, 6 and 15, ':' at 9
 * and 12, digits at 5, 7, 8, 10, 11, 13 and 14, a digit or a space at 4.
 * One load and three compares with SSE2. */
static bool classic_shape(const char *q)
{
#if defined(__SSE2__)
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
    const __m128i seps = _mm_setr_epi8(0, 0, 0, ' ', ' ', 0, ' ', 0, 0, ':', 0, 0, ':', 0, 0, ' ');
    unsigned eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, seps));
    unsigned dg = (unsigned)_mm_movemask_epi8(
        _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1))));
    return (eq & 0x9248u) == 0x9248u && (dg & 0x6da0u) == 0x6da0u && ((eq | dg) & 0x10u);
#else
    static const char shape[] = "AAA D0 00:00:00 ";
    for (int i = 3; i < 16; i++) {
        bool digit = is_digit(q[i]);
        if (shape[i] == '0' ? !digit : shape[i] == 'D' ? !digit && q[i] != ' ' : q[i] != shape[i])
            return false;
    }
    return true;
#endif
}

/* The value of two ASCII digits known to be digits (a space counts 0). */
static int digit_pair(const char *q) { return (q[0] & 15) * 10 + (q[1] & 15); }

/* The classic stamp "Nov 23 07:00:01 " or "Nov  3 07:00:01 " (what nearly
 * every syslog line starts with) read at its fixed offsets: its shape
 * checked at once, then each number in place.  False, with nothing
 * decided, on any other shape (a fraction, a one-digit day without its
 * pad, a bad month or number): rfc3164_stamp's plain reading, the
 * definition, then reads the line, and gives the same answer on every line
 * this one reads (test_logline's test_stamp_fixed_same). */
static bool rfc3164_fixed(const char *q, const char *end, mc_time *t)
{
    if (end - q < 16 || !classic_shape(q))
        return false;
    int month = month_number(q);
    if (month == 0)
        return false;
    /* "hh:mm:ss" as one word: each tens byte times ten plus the byte
     * after it leaves the hour in byte 0, the minutes in 3, the seconds in
     * 6 (no byte passes 99, so none carries); adding 127 less each bound
     * sets a byte's top bit exactly when the number is over it. */
    uint64_t w;
    memcpy(&w, q + 7, 8);
    w = le64toh(w) & 0x0F0F000F0F000F0Full;
    const uint64_t v = w * 10 + (w >> 8);
    const uint64_t over = (v + 0x0043000044000068ull) & 0x0080000080000080ull;
    const int day = digit_pair(q + 4);
    t->month = month;
    t->day = day;
    t->hour = (int)(v & 0xFF);
    t->min = (int)(v >> 24 & 0xFF);
    t->sec = (int)(v >> 48 & 0xFF);
    t->usec = -1;
    t->zone[0] = '\0';
    /* valid_clock's test: month_number gave 1-12, the rest is here. */
    return (unsigned)day - 1u < 31u && over == 0;
}

/* "Nov 23 07:00:01" or "Nov  3 07:00:01"; fixed says whether the fixed
 * offsets are tried first (always, but in the test that compares). */
static bool rfc3164_stamp(const char **p, const char *end, mc_year_ctx *years, bool fixed, mc_time *t)
{
    const char *q = *p;
    if (fixed && rfc3164_fixed(q, end, t)) {
        t->year = years ? infer_year(years, t->month, t->day) : 0;
        t->valid = true;
        *p = q + 15;
        return true;
    }
    if (end - q < 15)
        return false;
    const char *m = NULL;
    for (int i = 0; i < 12; i++) {
        if (memcmp(q, months + 3 * i, 3) == 0) {
            m = months + 3 * i;
            t->month = i + 1;
            break;
        }
    }
    if (m == NULL || q[3] != ' ')
        return false;
    q += 4;
    if (*q == ' ')
        q++;
    t->day = 0;
    if (!is_digit(*q))
        return false;
    while (q < end && is_digit(*q) && t->day < 100)
        t->day = t->day * 10 + (*q++ - '0');
    if (!expect(&q, end, ' ') || !parse_clock(&q, end, t))
        return false;
    parse_fraction(&q, end, t);
    t->zone[0] = '\0';
    if (!valid_clock(t))
        return false;
    t->year = years ? infer_year(years, t->month, t->day) : 0;
    t->valid = true;
    *p = q;
    return true;
}

/* The stamp at the start of s, by either reading (test_logline). */
size_t logline_rfc3164_stamp(mc_str s, bool fixed, mc_time *t)
{
    const char *q = s.p;
    memset(t, 0, sizeof *t);
    return rfc3164_stamp(&q, s.p + s.n, NULL, fixed, t) ? (size_t)(q - s.p) : 0;
}

/* "2026-11-23T07:00:01.123456+01:00" (T or space between date and time) */
static bool parse_rfc3339_stamp(const char **p, const char *end, bool allow_space, mc_time *t)
{
    const char *q = *p;
    if (end - q >= 10 && q[4] == '-' && q[7] == '-') {
        /* The fixed width in place, as for the clock. */
        int c = two_digits(q), y = two_digits(q + 2), m = two_digits(q + 5), d = two_digits(q + 8);
        if (c < 0 || y < 0 || m < 0 || d < 0)
            return false;
        t->year = c * 100 + y;
        t->month = m;
        t->day = d;
        q += 10;
    } else if (!digits(&q, end, 4, &t->year) || !expect(&q, end, '-') || !digits(&q, end, 2, &t->month) ||
               !expect(&q, end, '-') || !digits(&q, end, 2, &t->day)) {
        return false;
    }
    if (q >= end || !(*q == 'T' || (allow_space && *q == ' ')))
        return false;
    q++;
    if (!parse_clock(&q, end, t))
        return false;
    parse_fraction(&q, end, t);
    if (!parse_zone(&q, end, t) || !valid_clock(t))
        return false;
    t->valid = true;
    *p = q;
    return true;
}

/* The first non-space at or after p. */
static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p;
}

/* The first space at or after p (the end of a token). */
static const char *token_end(const char *p, const char *end)
{
    while (p < end && *p != ' ')
        p++;
    return p;
}

/* After Solaris' and illumos' syslog tag, "[ID 197553 mail.info] ": the
 * message id and the facility.level that syslogd adds (msgid); the message
 * proper starts after it.  Anything else is left as it is. */
static const char *skip_solaris_msgid(const char *t, const char *end)
{
    const char *q = t;
    if (end - q < 4 || memcmp(q, "[ID ", 4) != 0)
        return t;
    q += 4;
    const char *ds = q;
    while (q < end && is_digit(*q))
        q++;
    if (q == ds || q >= end || *q != ' ')
        return t;
    const char *fs = ++q;
    while (q < end && *q != ']' && *q != ' ')
        q++;
    if (q == fs || end - q < 2 || q[0] != ']' || q[1] != ' ')
        return t;
    return q + 2;
}

/* The first '[', ':' or ' ' from t, or end: 16 bytes a step with SSE2
 * (every line with a syslog tag comes here: "postfix/smtp[123]:"). */
static const char *tag_stop(const char *t, const char *end)
{
#if defined(__SSE2__)
    const __m128i lb = _mm_set1_epi8('['), co = _mm_set1_epi8(':'), sp = _mm_set1_epi8(' ');
    for (; end - t >= 16; t += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)t);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lb), _mm_cmpeq_epi8(v, co)), _mm_cmpeq_epi8(v, sp));
        int m = _mm_movemask_epi8(hit);
        if (m)
            return t + __builtin_ctz((unsigned)m);
    }
#endif
    while (t < end && *t != '[' && *t != ':' && *t != ' ')
        t++;
    return t;
}

/* "program[pid]: message": a syslog tag and what follows it. */
static bool parse_tag(const char *p, const char *end, mc_logline *out)
{
    /* The tag runs to '[' or ':'; it holds no spaces. */
    const char *t = tag_stop(p, end);
    if (t == p || t >= end || *t == ' ')
        return false;
    out->program = mc_str_make(p, (size_t)(t - p));
    if (*t == '[') {
        const char *ps = ++t;
        while (t < end && is_digit(*t))
            t++;
        if (t == ps || t >= end || *t != ']')
            return false;
        out->pid = mc_str_make(ps, (size_t)(t - ps));
        t++;
    }
    if (t >= end || *t != ':')
        return false;
    t++;
    if (t < end && *t == ' ')
        t++;
    t = skip_solaris_msgid(t, end);
    out->message = mc_str_make(t, (size_t)(end - t));
    return true;
}

/* "host program[pid]: message" after a syslog stamp.  A first token that
 * ends in ':' is the tag of a line written without a host (a container's
 * syslog template, `smtp_1 | 2018-08-22T07:30:18.1Z postfix/smtp[137]: ..`):
 * no host name ends in a colon. */
static bool parse_host_tag(const char *p, const char *end, mc_logline *out)
{
    p = skip_spaces(p, end);
    const char *he = token_end(p, end);
    if (he == p || he >= end)
        return false;
    if (he[-1] == ':')
        return parse_tag(p, end, out);
    out->host = mc_str_make(p, (size_t)(he - p));
    return parse_tag(skip_spaces(he, end), end, out);
}

/* <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG */
static bool parse_rfc5424(const char *p, const char *end, mc_logline *out)
{
    const char *q = p + 1;
    while (q < end && is_digit(*q))
        q++;
    if (q >= end || *q != '>' || q == p + 1)
        return false;
    q++;
    if (!expect(&q, end, '1') || !expect(&q, end, ' '))
        return false;
    if (!parse_rfc3339_stamp(&q, end, false, &out->time) || !expect(&q, end, ' '))
        return false;
    mc_str fields[4];
    for (int i = 0; i < 4; i++) {
        const char *fe = token_end(q, end);
        if (fe == q || fe >= end)
            return false;
        fields[i] = mc_str_make(q, (size_t)(fe - q));
        q = fe + 1;
    }
    out->host = fields[0];
    out->program = fields[1];
    out->pid = mc_str_eq(fields[2], "-") ? MC_STR_NULL : fields[2];
    /* Structured data: "-" or one or more [..] elements. */
    if (q < end && *q == '-') {
        q++;
    } else {
        while (q < end && *q == '[') {
            bool quoted = false;
            while (q < end) {
                if (*q == '\\' && quoted && q + 1 < end)
                    q += 2;
                else if (*q == '"')
                    quoted = !quoted, q++;
                else if (*q == ']' && !quoted)
                    break;
                else
                    q++;
            }
            if (q >= end)
                return false;
            q++;
        }
    }
    if (q < end && *q == ' ')
        q++;
    /* A UTF-8 BOM may open MSG. */
    if (end - q >= 3 && memcmp(q, "\xEF\xBB\xBF", 3) == 0)
        q += 3;
    out->message = mc_str_make(q, (size_t)(end - q));
    return true;
}

/* What follows Exim's stamp (q, just past it, out->time set):
 * "[ +0100] [[pid]] message". */
static bool parse_exim_rest(const char *q, const char *end, mc_logline *out)
{
    if (out->time.zone[0] == '\0' && q + 1 < end && *q == ' ' && (q[1] == '+' || q[1] == '-')) {
        const char *z = q + 1;
        if (parse_zone(&z, end, &out->time) && out->time.zone[0])
            q = z;
    }
    if (q < end && *q != ' ')
        return false;
    q = skip_spaces(q, end);
    if (q < end && *q == '[') {
        const char *ps = q + 1, *pe = ps;
        while (pe < end && is_digit(*pe))
            pe++;
        if (pe < end && *pe == ']' && pe > ps) {
            out->pid = mc_str_make(ps, (size_t)(pe - ps));
            q = skip_spaces(pe + 1, end);
        }
    }
    out->program = mc_str_make("exim", 4);
    out->message = mc_str_make(q, (size_t)(end - q));
    return true;
}

/* Exim's usual line, "YYYY-MM-DD HH:MM:SS message": one space between the
 * stamp and a message that does not begin with a space, a zone or a pid.
 * Its shape is checked 16 bytes at once and its fields read in place, the
 * same fields parse_exim gives it (an Exim line's envelope is read on
 * every line: the general readers cost ~350 instructions a line, this ~90).
 * false for any other shape, which parse_exim then reads. */
static bool exim_plain(const char *p, const char *end, mc_logline *out)
{
#if defined(__SSE2__)
    if (end - p < 21 || p[16] != ':' || p[19] != ' ' || p[20] == ' ' || p[20] == '+' || p[20] == '-' ||
        p[20] == '[' || two_digits(p + 17) < 0)
        return false;
    /* Bytes 0-15: a digit where dpos has -1, else the separator in sep. */
    const __m128i dpos = _mm_setr_epi8(-1, -1, -1, -1, 0, -1, -1, 0, -1, -1, 0, -1, -1, 0, -1, -1);
    const __m128i sep = _mm_setr_epi8(0, 0, 0, 0, '-', 0, 0, '-', 0, 0, ' ', 0, 0, ':', 0, 0);
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
    const __m128i fits = _mm_or_si128(_mm_and_si128(digit, dpos), _mm_andnot_si128(dpos, _mm_cmpeq_epi8(v, sep)));
    if (_mm_movemask_epi8(fits) != 0xFFFF)
        return false;
    mc_time *t = &out->time;
    t->year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    t->month = (p[5] - '0') * 10 + (p[6] - '0');
    t->day = (p[8] - '0') * 10 + (p[9] - '0');
    t->hour = (p[11] - '0') * 10 + (p[12] - '0');
    t->min = (p[14] - '0') * 10 + (p[15] - '0');
    t->sec = two_digits(p + 17);
    if (!valid_clock(t))
        return false; /* parse_exim rejects it too: the caller sets the time again */
    t->usec = -1;
    t->valid = true;
    out->form = LOGLINE_EXIM;
    out->program = mc_str_make("exim", 4);
    out->message = mc_str_make(p + 20, (size_t)(end - p - 20));
    return true;
#else
    (void)p, (void)end, (void)out;
    return false;
#endif
}

/* Exim: "2026-11-23 07:00:01[.123] [+0100] [[pid]] message" */
static bool parse_exim(const char *p, const char *end, mc_logline *out)
{
    const char *q = p;
    return parse_rfc3339_stamp(&q, end, true, &out->time) && parse_exim_rest(q, end, out);
}

/* ---- journald: journalctl -o json ------------------------------------------
 *
 * One JSON object per line, e.g.
 *   {"__CURSOR":"s=...","__REALTIME_TIMESTAMP":"1795417201123456",...,
 *    "SYSLOG_IDENTIFIER":"postfix/smtp","_PID":"1234","_HOSTNAME":"mx",
 *    "MESSAGE":"3F2A1B: to=<a@b>, ... status=sent (250 2.0.0 Ok)"}
 * Every value journalctl writes is a string, an array of byte values (a
 * field that is not valid UTF-8), an array of those (a field given more than
 * once), or null (a field over 4096 bytes without --all).  The few fields
 * used are unescaped into the caller's scratch buffer; everything else is
 * skipped without being decoded. */

/* The last two are Docker's json-file fields: {"log":"..\n","stream":"stdout","time":".."}. */
enum { JF_MESSAGE, JF_IDENT, JF_COMM, JF_HOSTNAME, JF_REALTIME, JF_SYSLOG_PID, JF_PID, JF_LOG, JF_TIME, JF_COUNT };

static const char *const journal_keys[JF_COUNT] = {
    "MESSAGE", "SYSLOG_IDENTIFIER", "_COMM", "_HOSTNAME", "__REALTIME_TIMESTAMP", "SYSLOG_PID", "_PID",
    "log", "time",
};

#define JSON_MAX_DEPTH 32

typedef struct {
    const char *p, *end;
    mc_buf *buf;
} json_in;

/* Skips JSON white space. */
static void json_ws(json_in *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
        j->p++;
}

/* The value of a hex digit, or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the four hex digits of a \\u escape. */
static bool json_hex4(json_in *j, unsigned *out)
{
    if (j->end - j->p < 4)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(j->p[i]);
        if (h < 0)
            return false;
        v = v << 4 | (unsigned)h;
    }
    j->p += 4;
    *out = v;
    return true;
}

/* Appends a code point as UTF-8. */
static void put_utf8(mc_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    mc_buf_add(b, u, n);
}

/* A string at j->p ('"'); its unescaped bytes go to out when out != NULL. */
static bool json_string(json_in *j, mc_buf *out)
{
    if (j->p >= j->end || *j->p != '"')
        return false;
    j->p++;
    for (;;) {
        const char *run = j->p;
        while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20)
            j->p++;
        if (out && j->p > run)
            mc_buf_add(out, run, (size_t)(j->p - run));
        if (j->p >= j->end || (unsigned char)*j->p < 0x20)
            return false;
        if (*j->p == '"') {
            j->p++;
            return true;
        }
        j->p++; /* backslash */
        if (j->p >= j->end)
            return false;
        char c = *j->p++, lit;
        switch (c) {
        case '"': lit = '"'; break;
        case '\\': lit = '\\'; break;
        case '/': lit = '/'; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!json_hex4(j, &cp))
                return false;
            if (cp >= 0xD800 && cp <= 0xDBFF && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
                json_in peek = *j;
                peek.p += 2;
                unsigned lo;
                if (json_hex4(&peek, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    j->p = peek.p;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD; /* a lone surrogate */
            if (out)
                put_utf8(out, cp);
            continue;
        }
        default:
            return false;
        }
        if (out)
            mc_buf_addc(out, lit);
    }
}

/* A number; when byte is non-NULL it must be an integer 0..255. */
static bool json_number(json_in *j, int *byte)
{
    const char *s = j->p;
    int v = 0;
    bool integer = true;
    if (j->p < j->end && *j->p == '-')
        j->p++, integer = false;
    while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') || *j->p == '.' || *j->p == 'e' ||
                             *j->p == 'E' || *j->p == '+' || *j->p == '-')) {
        if (*j->p >= '0' && *j->p <= '9') {
            if (v < 1000)
                v = v * 10 + (*j->p - '0');
        } else {
            integer = false;
        }
        j->p++;
    }
    if (j->p == s || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
        return false;
    if (byte) {
        if (!integer || v > 255)
            return false;
        *byte = v;
    }
    return true;
}

/* Consumes the literal word (true, false, null) when it is next. */
static bool json_literal(json_in *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return false;
    j->p += n;
    return true;
}

/* Any value, not decoded. */
static bool json_skip(json_in *j, int depth)
{
    if (depth > JSON_MAX_DEPTH || j->p >= j->end)
        return false;
    char c = *j->p;
    if (c == '"')
        return json_string(j, NULL);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        json_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return true;
        }
        for (;;) {
            if (c == '{') {
                if (!json_string(j, NULL))
                    return false;
                json_ws(j);
                if (j->p >= j->end || *j->p++ != ':')
                    return false;
                json_ws(j);
            }
            if (!json_skip(j, depth + 1))
                return false;
            json_ws(j);
            if (j->p >= j->end)
                return false;
            if (*j->p == close) {
                j->p++;
                return true;
            }
            if (*j->p++ != ',')
                return false;
            json_ws(j);
        }
    }
    if (c == 't')
        return json_literal(j, "true");
    if (c == 'f')
        return json_literal(j, "false");
    if (c == 'n')
        return json_literal(j, "null");
    return json_number(j, NULL);
}

/* The value of a wanted field: a string, an array of byte values, or an
 * array of such values (the first one is kept).  Appends it to j->buf and
 * returns 1, returns 0 for null (the field is absent), -1 when malformed. */
static int json_field(json_in *j, int depth)
{
    if (j->p >= j->end || depth > JSON_MAX_DEPTH)
        return -1;
    if (*j->p == '"')
        return json_string(j, j->buf) ? 1 : -1;
    if (json_literal(j, "null"))
        return 0;
    if (*j->p != '[')
        return json_skip(j, 0) ? 0 : -1;
    j->p++;
    json_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return 0;
    }
    int got = 0;
    bool bytes = j->p < j->end && (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'));
    for (;;) {
        if (bytes) {
            int b;
            if (!json_number(j, &b))
                return -1;
            mc_buf_addc(j->buf, (char)b);
            got = 1;
        } else if (got == 0 && j->p < j->end && (*j->p == '"' || *j->p == '[')) {
            /* A repeated field: keep the first value. */
            got = json_field(j, depth + 1);
            if (got < 0)
                return -1;
        } else if (!json_skip(j, 1)) {
            return -1;
        }
        json_ws(j);
        if (j->p >= j->end)
            return -1;
        if (*j->p == ']') {
            j->p++;
            return got;
        }
        if (*j->p++ != ',')
            return -1;
        json_ws(j);
    }
}

/* Seconds since the epoch and a fraction -> UTC broken-down time. */
static bool utc_time(time_t secs, int usec, mc_time *t)
{
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL)
        return false;
    memset(t, 0, sizeof *t);
    t->year = tm.tm_year + 1900;
    t->month = tm.tm_mon + 1;
    t->day = tm.tm_mday;
    t->hour = tm.tm_hour;
    t->min = tm.tm_min;
    t->sec = tm.tm_sec;
    t->usec = usec;
    strcpy(t->zone, "Z");
    t->valid = true;
    return true;
}

/* Microseconds since the epoch -> UTC broken-down time. */
static bool journal_time(mc_str s, mc_time *t)
{
    if (s.n == 0 || s.n > 19)
        return false;
    unsigned long long us = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (!is_digit(s.p[i]))
            return false;
        us = us * 10 + (unsigned long long)(s.p[i] - '0');
    }
    return utc_time((time_t)(us / 1000000ULL), (int)(us % 1000000ULL), t);
}

static bool split_inner(const char *p, const char *end, mc_year_ctx *years, const mc_time *wrap, bool fast,
                        mc_logline *out);

/* Docker's json-file entry, once decoded: the "log" string is a line the
 * container wrote, with its newline.  One without the newline is a fragment
 * of a line over 16 KiB that Docker split: it is not read (the caller counts
 * it when it carries an outcome marker), since a cut message would give a
 * wrong event. */
static bool docker_json(mc_str log, mc_str stamp, mc_year_ctx *years, bool fast, mc_logline *out)
{
    if (log.n == 0 || log.p[log.n - 1] != '\n')
        return false;
    log.n--;
    if (log.n > 0 && log.p[log.n - 1] == '\r')
        log.n--;
    mc_time wrap = {0};
    const char *q = stamp.p;
    if (stamp.n == 0 || !parse_rfc3339_stamp(&q, stamp.p + stamp.n, false, &wrap) || q != stamp.p + stamp.n)
        wrap.valid = false;
    if (!split_inner(log.p, log.p + log.n, years, &wrap, fast, out))
        return false;
    out->wrapper = LOGWRAP_DOCKER_JSON;
    return true;
}

/* Reads a journalctl -o json line (time, host, program, message) or a
 * Docker json-file line (its "log" read as an inner line). */
static bool parse_json_line(const char *p, const char *end, mc_year_ctx *years, mc_buf *buf, bool fast,
                            mc_logline *out)
{
    /* Offsets into buf, taken as each field is decoded; the views are made
     * at the end, since appending may move buf->data. */
    size_t off[JF_COUNT], len[JF_COUNT];
    bool have[JF_COUNT] = {false};
    mc_buf_reset(buf);
    json_in j = {p, end, buf};
    if (!json_literal(&j, "{"))
        return false;
    json_ws(&j);
    if (j.p < j.end && *j.p == '}')
        return false;
    for (;;) {
        const char *ks = j.p + 1;
        if (!json_string(&j, NULL))
            return false;
        size_t kn = (size_t)(j.p - 1 - ks);
        int field = -1;
        for (int i = 0; i < JF_COUNT; i++)
            if (!have[i] && strlen(journal_keys[i]) == kn && memcmp(journal_keys[i], ks, kn) == 0)
                field = i;
        json_ws(&j);
        if (!json_literal(&j, ":"))
            return false;
        json_ws(&j);
        if (field >= 0) {
            size_t start = buf->len;
            int got = json_field(&j, 0);
            if (got < 0)
                return false;
            if (got > 0) {
                have[field] = true;
                off[field] = start;
                len[field] = buf->len - start;
            }
        } else if (!json_skip(&j, 1)) {
            return false;
        }
        json_ws(&j);
        if (j.p >= j.end)
            return false;
        if (*j.p == '}') {
            j.p++;
            break;
        }
        if (*j.p++ != ',')
            return false;
        json_ws(&j);
    }
    json_ws(&j);
    if (j.p != j.end)
        return false;

#define JVIEW(f) (have[f] ? mc_str_make(buf->data + off[f], len[f]) : MC_STR_NULL)
    if (!have[JF_MESSAGE])
        return have[JF_LOG] && docker_json(JVIEW(JF_LOG), JVIEW(JF_TIME), years, fast, out);
    out->form = LOGLINE_JOURNAL;
    out->message = JVIEW(JF_MESSAGE);
    out->program = have[JF_IDENT] ? JVIEW(JF_IDENT) : JVIEW(JF_COMM);
    out->host = JVIEW(JF_HOSTNAME);
    out->pid = have[JF_SYSLOG_PID] ? JVIEW(JF_SYSLOG_PID) : JVIEW(JF_PID);
    if (have[JF_REALTIME])
        journal_time(JVIEW(JF_REALTIME), &out->time);
#undef JVIEW
    /* Like a syslog line that has no tag, an entry with no program is not
     * one this tool can attribute to an MTA. */
    return out->program.n > 0;
}

static const char weekdays[] = "MonTueWedThuFriSatSun";

/* journalctl -o short-full: "Sun 2026-11-23 12:52:06 UTC host tag: msg".
 * The zone is journalctl's abbreviation: UTC and GMT are read as "Z", a
 * numeric one ("+03") as written, a name (CET, EST) as the local clock,
 * which is the clock journalctl printed in when run on this host. */
static bool parse_short_full(const char *p, const char *end, mc_logline *out)
{
    if (end - p < 24 || p[3] != ' ')
        return false;
    bool day = false;
    for (int i = 0; i < 7 && !day; i++)
        day = memcmp(p, weekdays + 3 * i, 3) == 0;
    const char *q = p + 4;
    if (!day || !parse_rfc3339_stamp(&q, end, true, &out->time) || out->time.zone[0] || !expect(&q, end, ' '))
        return false;
    const char *ze = token_end(q, end);
    if (ze - q == 3 && (memcmp(q, "UTC", 3) == 0 || memcmp(q, "GMT", 3) == 0)) {
        strcpy(out->time.zone, "Z");
    } else if (*q == '+' || *q == '-') {
        const char *z = q;
        if (!parse_zone(&z, end, &out->time) || z != ze)
            return false;
    } else {
        for (const char *c = q; c < ze; c++)
            if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')))
                return false;
    }
    out->form = LOGLINE_SHORT_FULL;
    return ze > q && parse_host_tag(ze, end, out);
}

/* The place of the first byte of the 8 at q that is no ASCII digit (8:
 * none): a byte is a digit when its high nibble is 3, and still is after
 * 6 is added to its low 7 bits (no carry between bytes). */
static size_t digits8(const char *q)
{
    uint64_t w;
    memcpy(&w, q, 8);
    w = le64toh(w);
    const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, three = 0x3030303030303030ull;
    uint64_t m = ((w & hi) ^ three) | ((((w & 0x7F7F7F7F7F7F7F7Full) + 0x0606060606060606ull) & hi) ^ three);
    return m ? (size_t)__builtin_ctzll(m) / 8 : 8;
}

/* The first space among the 16 bytes at q, or NULL. */
static const char *space16(const char *q)
{
#if defined(__SSE2__)
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    return m ? q + __builtin_ctz(m) : NULL;
#else
    return memchr(q, ' ', 16);
#endif
}

/* The classic syslog line, "Nov 23 07:00:01 host program[pid]: message",
 * read at its fixed offsets with one check each: the stamp (rfc3164_fixed),
 * a host of under 16 bytes after one space, one space, the tag with a pid
 * of 1 to 7 digits, then "]: ".  Anything else (no host, no pid, more
 * spaces, a longer host or pid, Solaris' "[ID ...]") returns false with
 * nothing decided (no year inferred; of *out, cleared by the caller, only
 * the time's fields the plain stamp reading writes again), and the rest of
 * split_direct, the definition, reads the line; where this reads it, it
 * gives what that gives (test_logline's test_split_fast_same). */
static bool split_classic(const char *p, const char *end, mc_year_ctx *years, mc_logline *out)
{
    const char *h = p + 16;
    if (end - p < 32 || !rfc3164_fixed(p, end, &out->time) || *h == ' ')
        return false;
    const char *he = space16(h);
    if (he == NULL || he[-1] == ':' || he + 1 >= end || he[1] == ' ')
        return false;
    const char *g = he + 1, *t = tag_stop(g, end);
    if (t == g || t >= end || *t != '[' || end - (t + 1) < 8)
        return false;
    const char *ps = t + 1, *pe = ps + digits8(ps);
    if (pe == ps || pe == ps + 8 || end - pe < 3 || pe[0] != ']' || pe[1] != ':' || pe[2] != ' ')
        return false;
    const char *msg = pe + 3;
    if (end - msg >= 4 && memcmp(msg, "[ID ", 4) == 0)
        return false;
    out->time.year = years ? infer_year(years, out->time.month, out->time.day) : 0;
    out->time.valid = true;
    out->form = LOGLINE_RFC3164;
    out->host = mc_str_make(h, (size_t)(he - h));
    out->program = mc_str_make(g, (size_t)(t - g));
    out->pid = mc_str_make(ps, (size_t)(pe - ps));
    out->message = mc_str_make(msg, (size_t)(end - msg));
    return true;
}

/* As memset(out, 0, sizeof *out), in stores the compiler makes plain: the
 * whole memset became a "rep stos" of 14 words, some 24 instructions a
 * line.  The envelope up to host (form, wrapper, the time with its padding)
 * is one memset of its bytes; the four views, which have no padding
 * between or after them, each a null view. */
_Static_assert(offsetof(mc_logline, program) == offsetof(mc_logline, host) + sizeof(mc_str) &&
                   offsetof(mc_logline, pid) == offsetof(mc_logline, program) + sizeof(mc_str) &&
                   offsetof(mc_logline, message) == offsetof(mc_logline, pid) + sizeof(mc_str) &&
                   sizeof(mc_logline) == offsetof(mc_logline, message) + sizeof(mc_str),
               "logline_clear: the views end mc_logline without padding");
static inline void logline_clear(mc_logline *out)
{
    memset(out, 0, offsetof(mc_logline, host));
    out->host = out->program = out->pid = out->message = (mc_str){NULL, 0};
}

/* The forms a line takes on its own, each recognised by its first bytes. */
static bool split_direct(const char *p, const char *end, mc_year_ctx *years, bool fast, mc_logline *out)
{
    logline_clear(out);
    if (end - p < 16)
        return false;
    if (*p == '<') {
        if (parse_rfc5424(p, end, out)) {
            out->form = LOGLINE_RFC5424;
            return true;
        }
        /* "<13>Nov 23 ..." : BSD syslog with a priority in front. */
        const char *q = p + 1;
        while (q < end && is_digit(*q))
            q++;
        if (q < end && *q == '>')
            p = q + 1;
        else
            return false;
    }
    if (is_digit(*p)) {
        if (exim_plain(p, end, out))
            return true;
        /* One reading of the date for both forms that start with one:
         * RFC 3339 puts a 'T' after it (at p[10]: the date has a fixed
         * width), Exim's own log a space. */
        const char *q = p;
        mc_time t = {0};
        bool stamped = parse_rfc3339_stamp(&q, end, true, &t);
        out->time = t;
        if (stamped && p[10] == 'T') {
            out->form = LOGLINE_RFC3339;
            return parse_host_tag(q, end, out);
        }
        if (stamped && parse_exim_rest(q, end, out)) {
            out->form = LOGLINE_EXIM;
            return true;
        }
        return false;
    }
    /* Nearly every syslog line: the classic one at its fixed offsets. */
    if (fast && split_classic(p, end, years, out))
        return true;
    const char *q = p;
    if (rfc3164_stamp(&q, end, years, fast, &out->time)) {
        out->form = LOGLINE_RFC3164;
        return parse_host_tag(q, end, out);
    }
    return parse_short_full(p, end, out);
}

/* An inner RFC 3164 stamp has no year: the wrapper's full date gives it (a
 * stamp in December read in January is last year's).  Returns true. */
static bool wrapper_year(const mc_time *wrap, mc_logline *out)
{
    if (out->form == LOGLINE_RFC3164 && wrap->valid)
        out->time.year = wrap->year - (out->time.month == 12 && wrap->month == 1) +
                         (out->time.month == 1 && wrap->month == 12);
    return true;
}

/* The line inside a wrapper whose own time is *wrap (valid or not).  The
 * inner line's stamp wins when it has one: it is the MTA's clock, while the
 * wrapper's is when a collector read the line.  Without one, the wrapper's
 * time goes with a bare "program[pid]: message", and `docker logs -t`'s
 * stamp may come first.  fast: as split_direct's (false: the plain
 * readings alone, inside a wrapper too, for test_logline). */
static bool split_inner(const char *p, const char *end, mc_year_ctx *years, const mc_time *wrap, bool fast,
                        mc_logline *out)
{
    if (split_direct(p, end, years, fast, out))
        return wrapper_year(wrap, out);
    mc_time t = *wrap;
    const char *q = p;
    if (!t.valid && p < end && is_digit(*p) && parse_rfc3339_stamp(&q, end, false, &t) && expect(&q, end, ' ')) {
        if (split_direct(q, end, years, fast, out))
            return wrapper_year(&t, out);
        p = q;
    }
    memset(out, 0, sizeof *out);
    if (!t.valid || !parse_tag(p, end, out))
        return false;
    out->form = LOGLINE_BARE;
    out->time = t;
    return true;
}

/* Skips ANSI colour sequences (ESC [ digits ; m), as docker compose writes
 * them around its prefix on a terminal. */
static const char *skip_sgr(const char *p, const char *end)
{
    while (end - p >= 3 && p[0] == '\x1b' && p[1] == '[') {
        const char *q = p + 2;
        while (q < end && (is_digit(*q) || *q == ';'))
            q++;
        if (q >= end || *q != 'm')
            break;
        p = q + 1;
    }
    return p;
}

/* A compose service or container name: [A-Za-z0-9_.-]. */
static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-' || c == '.';
}

/* Longest compose prefix name read; a longer run is not a prefix. */
#define COMPOSE_NAME_MAX 256

/* docker compose logs: "name_1    | line" (v1), "name-1  | line" (v2). */
static bool parse_compose(const char *p, const char *end, mc_year_ctx *years, bool fast, mc_logline *out)
{
    const char *q = skip_sgr(p, end), *name = q;
    while (q < end && q - name < COMPOSE_NAME_MAX && is_name_char(*q))
        q++;
    if (q == name)
        return false;
    q = skip_spaces(q, end);
    if (!expect(&q, end, '|'))
        return false;
    q = skip_sgr(q, end);
    if (q < end && *q == ' ')
        q++;
    mc_time none = {0};
    if (!split_inner(q, end, years, &none, fast, out))
        return false;
    out->wrapper = LOGWRAP_COMPOSE;
    return true;
}

/* Kubernetes CRI: "2024-05-01T10:00:00.123456789Z stdout F line".  P marks
 * a fragment of a line the runtime split (over 16 KiB): like Docker's, it
 * is not read.  Without the stream word, a stamp then a line is what
 * `docker logs -t` writes. */
static bool parse_cri(const char *p, const char *end, mc_year_ctx *years, bool fast, mc_logline *out)
{
    mc_time t = {0};
    const char *q = p;
    if (!parse_rfc3339_stamp(&q, end, false, &t) || !expect(&q, end, ' '))
        return false;
    mc_logline_wrap how = LOGWRAP_STAMP;
    if (end - q >= 9 && (memcmp(q, "stdout ", 7) == 0 || memcmp(q, "stderr ", 7) == 0)) {
        q += 7;
        const char *te = token_end(q, end);
        /* The tag is F or P, perhaps followed by ':'-separated flags. */
        if (*q != 'F' || (te - q > 1 && q[1] != ':') || te >= end)
            return false;
        q = te + 1;
        how = LOGWRAP_CRI;
    }
    if (!split_inner(q, end, years, &t, fast, out))
        return false;
    out->wrapper = how;
    return true;
}

/* TAI64N label to UTC.  The label is 2^62 + TAI seconds, 8 hex digits of
 * nanoseconds after.  daemontools' tai64n and runit's svlogd make it from
 * the Unix clock plus a constant 10 (TAI - UTC in 1972) and tai64nlocal
 * takes the same 10 off, so that convention is used: reading a label back
 * gives the Unix time it was made from.  s6 (skalibs) adds the current
 * TAI - UTC (37 s since 2017): its labels read 27 s late, which only
 * matters for a line with no stamp of its own. */
#define TAI64_UNIX_OFFSET (4611686018427387904ULL + 10ULL)

/* daemontools, s6, runit: "@4000000063f0a1b20c1d2e3f line". */
static bool parse_tai64n(const char *p, const char *end, mc_year_ctx *years, bool fast, mc_logline *out)
{
    if (end - p < 26 || p[25] != ' ')
        return false;
    unsigned long long secs = 0, nano = 0;
    for (int i = 0; i < 24; i++) {
        int h = hex_value(p[1 + i]);
        if (h < 0)
            return false;
        if (i < 16)
            secs = secs << 4 | (unsigned)h;
        else
            nano = nano << 4 | (unsigned)h;
    }
    /* Labels before 1970 or past year 9999 are not clocks. */
    if (secs < TAI64_UNIX_OFFSET || secs - TAI64_UNIX_OFFSET > 253402300799ULL || nano > 999999999ULL)
        return false;
    mc_time t;
    if (!utc_time((time_t)(secs - TAI64_UNIX_OFFSET), (int)(nano / 1000), &t) ||
        !split_inner(p + 26, end, years, &t, fast, out))
        return false;
    out->wrapper = LOGWRAP_TAI64N;
    return true;
}

/* "host exim[pid]: 2021-07-17 23:20:49 message": a syslog line whose
 * template dropped the stamp (fail2ban's fixtures carry real ones).  Only
 * read when the message opens with Exim's own stamp, which gives the time:
 * a host, a tag with a pid and an Exim stamp make a false match unlikely. */
static bool parse_unstamped(const char *p, const char *end, mc_logline *out)
{
    mc_logline inner = {0};
    if (!parse_host_tag(p, end, out) || out->host.n == 0 || out->pid.n == 0 || out->message.n == 0 ||
        !is_digit(*out->message.p) || !parse_exim(out->message.p, out->message.p + out->message.n, &inner))
        return false;
    out->time = inner.time;
    out->form = LOGLINE_UNSTAMPED;
    return true;
}

/* Splits a line into its envelope and message (no journald scratch). */
bool logline_split(mc_str line, mc_year_ctx *years, mc_logline *out)
{
    return logline_split_buf(line, years, NULL, out);
}

/* Splits a line into its envelope and message; JSON fields are decoded into
 * scratch.  The plain forms come first: wrappers are tried only on a line
 * none of them reads, so a plain log pays nothing for them. */
static inline bool split_buf(mc_str line, mc_year_ctx *years, mc_buf *scratch, bool fast, mc_logline *out)
{
    const char *p = line.p, *end = line.p + line.n;
    /* split_direct clears *out itself: a plain line pays for one memset. */
    if (line.n >= 16 && *p != '{' && *p != '@' && split_direct(p, end, years, fast, out))
        return true;
    memset(out, 0, sizeof *out);
    if (line.n < 16)
        return false;
    bool ok;
    if (*p == '{')
        ok = scratch != NULL && parse_json_line(p, end, years, scratch, fast, out);
    else if (*p == '@')
        ok = parse_tai64n(p, end, years, fast, out);
    else if (is_digit(*p) && parse_cri(p, end, years, fast, out))
        return true;
    else
        ok = parse_compose(p, end, years, fast, out) || (memset(out, 0, sizeof *out), parse_unstamped(p, end, out));
    if (!ok)
        memset(out, 0, sizeof *out);
    return ok;
}

bool logline_split_buf(mc_str line, mc_year_ctx *years, mc_buf *scratch, mc_logline *out)
{
    return split_buf(line, years, scratch, true, out);
}

/* As logline_split_buf by the plain readings alone (test_logline). */
bool logline_split_plain(mc_str line, mc_year_ctx *years, mc_buf *scratch, mc_logline *out)
{
    return split_buf(line, years, scratch, false, out);
}

/* Reads YYYY-MM-DD[THH[:MM[:SS]]] (the window options). */
bool parse_iso_time(const char *s, mc_time *t)
{
    memset(t, 0, sizeof *t);
    const char *p = s, *end = s + strlen(s);
    if (!digits(&p, end, 4, &t->year) || !expect(&p, end, '-') || !digits(&p, end, 2, &t->month) ||
        !expect(&p, end, '-') || !digits(&p, end, 2, &t->day))
        return false;
    t->usec = -1;
    if (p < end && (*p == 'T' || *p == ' ')) {
        p++;
        if (!digits(&p, end, 2, &t->hour))
            return false;
        if (p < end && *p == ':') {
            p++;
            if (!digits(&p, end, 2, &t->min))
                return false;
            if (p < end && *p == ':') {
                p++;
                if (!digits(&p, end, 2, &t->sec))
                    return false;
            }
        }
    }
    if (p != end || !valid_clock(t))
        return false;
    t->valid = true;
    return true;
}
