/*
 * event.c - naming and serialising events (the JSON lines of `scan`).
 */
#include "event.h"

#include <stdint.h>
#include <string.h>

#include "delays.h"

/* In the order of an SMTP session. */
static const struct {
    const char *name;
    int use;
} stages[] = {
    {"connect", MC_STAGE_OF_EVENT},
    {"greeting", MC_STAGE_OF_EVENT | MC_STAGE_IN_FACTS},
    {"helo", MC_STAGE_OF_EVENT | MC_STAGE_IN_FACTS},
    {"starttls", MC_STAGE_IN_FACTS},
    {"auth", MC_STAGE_IN_FACTS},
    {"mail", MC_STAGE_OF_EVENT | MC_STAGE_IN_FACTS},
    {"rcpt", MC_STAGE_OF_EVENT | MC_STAGE_IN_FACTS},
    {"data", MC_STAGE_OF_EVENT | MC_STAGE_IN_FACTS | MC_STAGE_ENDS_MESSAGE},
    {"end-of-data", MC_STAGE_OF_EVENT | MC_STAGE_IN_FACTS | MC_STAGE_ENDS_MESSAGE},
    {"quit", MC_STAGE_IN_FACTS},
    {"vrfy", MC_STAGE_IN_FACTS},
    {"help", MC_STAGE_IN_FACTS},
    {"other", MC_STAGE_OF_EVENT},
    {"any", MC_STAGE_IN_FACTS},
};

/* Whether s is a stage of the given use. */
bool mc_stage_known(const char *s, int use)
{
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
        if ((stages[i].use & use) && strcmp(s, stages[i].name) == 0)
            return true;
    return false;
}

/* The stages of a use, space-separated. */
void mc_stage_list(int use, char *buf, size_t len)
{
    size_t n = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
        if (!(stages[i].use & use))
            continue;
        int w = snprintf(buf + n, len - n, "%s%s", n ? " " : "", stages[i].name);
        if (w < 0 || (size_t)w >= len - n)
            return;
        n += (size_t)w;
    }
}

static const char *const class_names[] = {"unknown", "success", "intermediate", "transient", "permanent"};

/* The name of a class as the JSON says it. */
const char *mc_class_name(mc_class c)
{
    return (unsigned)c < sizeof class_names / sizeof class_names[0] ? class_names[c] : "unknown";
}

/* The class called s; false when there is none. */
bool mc_class_from_string(const char *s, mc_class *out)
{
    for (size_t i = 0; i < sizeof class_names / sizeof class_names[0]; i++) {
        if (strcmp(s, class_names[i]) == 0) {
            *out = (mc_class)i;
            return true;
        }
    }
    return false;
}

/* The class of a code's first digit. */
mc_class mc_class_of_digit(char d)
{
    switch (d) {
    case '2': return CLASS_SUCCESS;
    case '3': return CLASS_INTERMEDIATE;
    case '4': return CLASS_TRANSIENT;
    case '5': return CLASS_PERMANENT;
    default: return CLASS_UNKNOWN;
    }
}

/* ISO 8601 text of a log time, with its zone as written. */
void mc_time_format(const mc_time *t, char *buf, size_t len)
{
    if (!t->valid) {
        if (len)
            buf[0] = '\0';
        return;
    }
    /* By hand, not snprintf: the store formats two times per count row. */
    const struct {
        int value, digits;
        char after;
    } parts[] = {{t->year, 4, '-'}, {t->month, 2, '-'}, {t->day, 2, 'T'}, {t->hour, 2, ':'},
                 {t->min, 2, ':'}, {t->sec, 2, '.'}, {t->usec, 6, '\0'}};
    size_t n_parts = t->usec >= 0 ? 7 : 6;
    char tmp[64];
    size_t at = 0;
    for (size_t i = 0; i < n_parts; i++) {
        int v = parts[i].value;
        /* Out of range (a hand-made time): the general path. */
        if (v < 0 || v >= (parts[i].digits == 4 ? 10000 : parts[i].digits == 2 ? 100 : 1000000)) {
            at = SIZE_MAX;
            break;
        }
        for (int d = parts[i].digits - 1; d >= 0; d--, v /= 10)
            tmp[at + (size_t)d] = (char)('0' + v % 10);
        at += (size_t)parts[i].digits;
        if (i + 1 < n_parts)
            tmp[at++] = parts[i].after;
    }
    if (at == SIZE_MAX) {
        if (t->usec >= 0)
            snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06d%s", t->year, t->month, t->day,
                     t->hour, t->min, t->sec, t->usec, t->zone);
        else
            snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%s", t->year, t->month, t->day, t->hour,
                     t->min, t->sec, t->zone);
        return;
    }
    size_t zn = strnlen(t->zone, sizeof t->zone);
    memcpy(tmp + at, t->zone, zn);
    at += zn;
    if (len == 0)
        return;
    if (at >= len)
        at = len - 1;
    memcpy(buf, tmp, at);
    buf[at] = '\0';
}

/* Two decimal digits of v (0 to 99). */
static char *put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

void mc_time_format_memo(mc_time_memo *m, const mc_time *t, char *buf, size_t len)
{
    /* mc_time_format's digit path, which writes the head from these four
     * fields alone, when the minutes, seconds and fraction are in its
     * range too (else its general path); ~105 instructions against ~440. */
    if (t->valid && m->set && t->hour == m->hour && t->day == m->day && t->month == m->month &&
        t->year == m->year && (unsigned)t->min < 100 && (unsigned)t->sec < 100 && t->usec < 1000000 &&
        len >= 48) {
        char *p = buf;
        memcpy(p, m->head, 14);
        p = put2(p + 14, t->min);
        *p++ = ':';
        p = put2(p, t->sec);
        if (t->usec >= 0) {
            *p++ = '.';
            for (int d = 5, v = t->usec; d >= 0; d--, v /= 10)
                p[d] = (char)('0' + v % 10);
            p += 6;
        }
        size_t zn = strnlen(t->zone, sizeof t->zone);
        memcpy(p, t->zone, zn);
        p[zn] = '\0';
        return;
    }
    mc_time_format(t, buf, len);
    /* Its digit path wrote the head: every field in range. */
    if (t->valid && len >= 48 && (unsigned)t->year < 10000 && (unsigned)t->month < 100 &&
        (unsigned)t->day < 100 && (unsigned)t->hour < 100 && (unsigned)t->min < 100 && (unsigned)t->sec < 100 &&
        t->usec < 1000000) {
        *m = (mc_time_memo){.year = t->year, .month = t->month, .day = t->day, .hour = t->hour, .set = true};
        memcpy(m->head, buf, 14);
    }
}

/* Writes one "key": value member (null for a null view). */
static void json_key_str(FILE *out, const char *key, mc_str v, bool *first)
{
    fprintf(out, "%s\"%s\": ", *first ? "" : ", ", key);
    *first = false;
    if (v.p == NULL)
        fputs("null", out);
    else
        mc_json_str(out, v.p, v.n);
}

/* Writes one "key": value member from a C string (null for NULL). */
static void json_key_cstr(FILE *out, const char *key, const char *v, bool *first)
{
    json_key_str(out, key, (v && *v) ? mc_str_cstr(v) : MC_STR_NULL, first);
}

/* Writes one "key": true/false member. */
static void json_key_bool(FILE *out, const char *key, bool v, bool *first)
{
    fprintf(out, "%s\"%s\": %s", *first ? "" : ", ", key, v ? "true" : "false");
    *first = false;
}

/* Writes one "key": seconds member (null for a negative: not logged). */
static void json_key_seconds(FILE *out, const char *key, double seconds)
{
    if (seconds < 0)
        fprintf(out, ", \"%s\": null", key);
    else
        fprintf(out, ", \"%s\": %.3f", key, seconds);
}

/* The delay members: delay= or QT=, then the parts (delays.h) by name. */
static void json_delays(FILE *out, const mc_event *ev)
{
    double parts[MC_DELAY_PARTS] = {-1, -1, -1, -1, -1};
    if (ev->delays.p && !delay_split(ev->delays, parts))
        parts[DELAY_PART_A] = parts[DELAY_PART_B] = parts[DELAY_PART_C] = parts[DELAY_PART_D] = -1;
    parts[DELAY_PART_DT] = ev->transfer.p ? delay_seconds(ev->transfer) : -1;
    json_key_seconds(out, "delay", ev->delay.p ? delay_seconds(ev->delay) : -1);
    for (int p = 0; p < MC_DELAY_PARTS; p++) {
        char key[32];
        snprintf(key, sizeof key, "delay_%s", delay_part_name((mc_delay_part)p));
        json_key_seconds(out, key, parts[p]);
    }
}

/* Writes an event as one JSON line. */
void mc_event_json(FILE *out, const mc_event *ev)
{
    char tbuf[64];
    bool first = true;
    mc_time_format(&ev->time, tbuf, sizeof tbuf);
    fputc('{', out);
    json_key_cstr(out, "time", tbuf, &first);
    json_key_str(out, "host", ev->host, &first);
    json_key_cstr(out, "mta", ev->mta, &first);
    json_key_str(out, "program", ev->program, &first);
    /* "local" is the report's section for our own deliveries; the event's
     * direction (the contract) is outbound or inbound. */
    bool local = ev->direction && strcmp(ev->direction, "local") == 0;
    json_key_cstr(out, "direction", local ? "outbound" : ev->direction, &first);
    json_key_str(out, "status", ev->status, &first);
    json_key_cstr(out, "stage", ev->stage, &first);
    json_key_cstr(out, "code", ev->code, &first);
    json_key_cstr(out, "enhanced", ev->enhanced, &first);
    json_key_cstr(out, "class", mc_class_name(ev->klass), &first);
    json_key_bool(out, "conflict", ev->conflict, &first);
    json_key_bool(out, "hard", ev->hard, &first);
    json_key_bool(out, "inferred", ev->inferred, &first);
    json_key_cstr(out, "reason", ev->reason, &first);
    json_key_str(out, "reason_detail", ev->reason_detail, &first);
    json_key_str(out, "recipient", ev->recipient, &first);
    json_key_str(out, "sender", ev->sender, &first);
    json_key_cstr(out, "sender_domain", ev->sender_domain, &first);
    json_key_cstr(out, "domain", ev->domain, &first);
    json_key_str(out, "relay", ev->relay, &first);
    json_key_str(out, "client", ev->client, &first);
    json_key_str(out, "queue_id", ev->queue_id, &first);
    json_key_str(out, "text", ev->text, &first);
    json_delays(out, ev);
    fputs("}\n", out);
}

/* The fact kinds as rules/mta files name them. */
static const char *const fact_names[FACT_COUNT] = {
    [FACT_RECEIVED] = "received", [FACT_GENERATED] = "generated", [FACT_QUEUED] = "queued",
    [FACT_MESSAGE_ID] = "message-id", [FACT_REMOVED] = "removed",
};

mc_fact_kind mc_fact_kind_from_string(const char *name)
{
    for (int k = 1; k < FACT_COUNT; k++)
        if (strcmp(fact_names[k], name) == 0)
            return (mc_fact_kind)k;
    return FACT_NONE;
}

/* The domain's n bytes from d copied lower-cased to buf (n + 1 bytes of
 * room), and its NUL: the definition, a copy then mc_ascii_lower (which
 * stops at a NUL within the domain, leaving the bytes after it as they
 * were). */
static void domain_lower_bytes(const char *d, size_t n, char *buf)
{
    memcpy(buf, d, n);
    buf[n] = '\0';
    mc_ascii_lower(buf);
}

/* The 8 bytes of w with their ASCII capitals lower-cased (a byte from 0x80
 * up as it is): bit 7 of a byte of ge is set when its low 7 bits are 'A'
 * or more, of gt when they are past 'Z'. */
static uint64_t lower_word(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
    uint64_t low7 = w & ~high;
    uint64_t ge = low7 + ones * (0x80 - 'A'), gt = low7 + ones * (0x80 - 'Z' - 1);
    return w ^ ((ge & ~gt & ~w & high) >> 2);
}

/* domain_lower_bytes, 8 bytes a step for a domain of 8 bytes or more (its
 * last 8 read again, overlapping: a byte lowered twice is the same): a
 * byte at a time, with the loop's test of each for the NUL, cost ~4.5
 * instructions a byte, ~117 a domain, and every delivery of Exim's has
 * its sender's domain taken from the join.  A word holding a NUL goes
 * the definition's way. */
static void domain_lower(const char *d, size_t n, char *buf)
{
    const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
    if (n < 8) {
        domain_lower_bytes(d, n, buf);
        return;
    }
    for (size_t i = 0;; i += 8) {
        if (i > n - 8)
            i = n - 8;
        uint64_t w;
        memcpy(&w, d + i, 8);
        if (((w - ones) & ~w & high) != 0) {
            domain_lower_bytes(d, n, buf);
            return;
        }
        w = lower_word(w);
        memcpy(buf + i, &w, 8);
        if (i == n - 8)
            break;
    }
    buf[n] = '\0';
}

/* address's domain lower-cased into buf, or "" (see event.h); bytewise:
 * by the definition (domain_lower_bytes), for the tests. */
static void address_domain(mc_str address, char *buf, size_t len, bool bytewise)
{
    buf[0] = '\0';
    if (address.p == NULL)
        return;
    /* The last '@' (memrchr: two addresses per event come here). */
    const char *at = address.n ? memrchr(address.p, '@', address.n) : NULL;
    if (at == NULL)
        return;
    size_t n = (size_t)(address.p + address.n - at - 1);
    if (n == 0 || n >= len)
        return;
    if (bytewise)
        domain_lower_bytes(at + 1, n, buf);
    else
        domain_lower(at + 1, n, buf);
}

void mc_address_domain(mc_str address, char *buf, size_t len) { address_domain(address, buf, len, false); }

void mc_address_domain_bytewise(mc_str address, char *buf, size_t len) { address_domain(address, buf, len, true); }
