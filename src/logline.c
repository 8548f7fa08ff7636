/*
 * logline.c - timestamps and syslog envelopes, parsed by hand.
 *
 * This runs on every line of the input, so it is plain C with no regex and
 * no allocation: each form is recognised by its first bytes and then read
 * field by field.  Anything unexpected returns false; the caller counts it.
 */
#include "logline.h"

#include <string.h>
#include <time.h>

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

static bool expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c)
        return false;
    (*p)++;
    return true;
}

static bool valid_clock(const mc_time *t)
{
    return t->month >= 1 && t->month <= 12 && t->day >= 1 && t->day <= 31 && t->hour <= 23 &&
           t->min <= 59 && t->sec <= 60;
}

/* hh:mm:ss */
static bool parse_clock(const char **p, const char *end, mc_time *t)
{
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

void year_ctx_init(mc_year_ctx *y, int now_year, int now_month, int now_day)
{
    memset(y, 0, sizeof *y);
    y->now_year = now_year;
    y->now_month = now_month;
    y->now_day = now_day;
}

void year_ctx_init_now(mc_year_ctx *y)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    year_ctx_init(y, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static int infer_year(mc_year_ctx *y, int month, int day)
{
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

/* "Nov 23 07:00:01" or "Nov  3 07:00:01" */
static bool parse_rfc3164_stamp(const char **p, const char *end, mc_year_ctx *years, mc_time *t)
{
    const char *q = *p;
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

/* "2026-11-23T07:00:01.123456+01:00" (T or space between date and time) */
static bool parse_rfc3339_stamp(const char **p, const char *end, bool allow_space, mc_time *t)
{
    const char *q = *p;
    if (!digits(&q, end, 4, &t->year) || !expect(&q, end, '-') || !digits(&q, end, 2, &t->month) ||
        !expect(&q, end, '-') || !digits(&q, end, 2, &t->day))
        return false;
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

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p;
}

static const char *token_end(const char *p, const char *end)
{
    while (p < end && *p != ' ')
        p++;
    return p;
}

/* "host program[pid]: message" after a syslog stamp. */
static bool parse_host_tag(const char *p, const char *end, mc_logline *out)
{
    p = skip_spaces(p, end);
    const char *he = token_end(p, end);
    if (he == p || he >= end)
        return false;
    out->host = mc_str_make(p, (size_t)(he - p));
    p = skip_spaces(he, end);
    /* The tag runs to '[' or ':'; it holds no spaces. */
    const char *t = p;
    while (t < end && *t != '[' && *t != ':' && *t != ' ')
        t++;
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
    out->message = mc_str_make(t, (size_t)(end - t));
    return true;
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

/* Exim: "2026-11-23 07:00:01[.123] [+0100] [[pid]] message" */
static bool parse_exim(const char *p, const char *end, mc_logline *out)
{
    const char *q = p;
    if (!parse_rfc3339_stamp(&q, end, true, &out->time))
        return false;
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
    out->program = mc_str_cstr("exim");
    out->message = mc_str_make(q, (size_t)(end - q));
    return true;
}

bool logline_split(mc_str line, mc_year_ctx *years, mc_logline *out)
{
    memset(out, 0, sizeof *out);
    const char *p = line.p, *end = line.p + line.n;
    if (line.n < 16)
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
        const char *q = p;
        mc_time t = {0};
        if (parse_rfc3339_stamp(&q, end, false, &t)) {
            out->time = t;
            out->form = LOGLINE_RFC3339;
            return parse_host_tag(q, end, out);
        }
        if (parse_exim(p, end, out)) {
            out->form = LOGLINE_EXIM;
            return true;
        }
        return false;
    }
    const char *q = p;
    if (!parse_rfc3164_stamp(&q, end, years, &out->time))
        return false;
    out->form = LOGLINE_RFC3164;
    return parse_host_tag(q, end, out);
}

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
