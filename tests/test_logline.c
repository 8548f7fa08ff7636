/*
 * test_logline.c - syslog envelopes and timestamps: forms, zones,
 * fractions, year inference (including across New Year), malformed input;
 * the wrappers containers and log shippers put around them
 * (tests/data/envelopes/, sources in SOURCES.md there).
 */
#include "logline.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define BIN MC_BINARY
#define ENVELOPES MC_TESTS_DIR "/data/envelopes"

static mc_logline split(const char *s, mc_year_ctx *y, bool *ok)
{
    mc_logline ll;
    *ok = logline_split(mc_str_cstr(s), y, &ll);
    return ll;
}

/* A Postfix line stamped "MONTH  6 13:05:01", split with a fresh year
 * context; *rfc3164 says whether it was read as an RFC 3164 stamp. */
static mc_logline month_line(const char *month, bool *rfc3164)
{
    mc_year_ctx y;
    year_ctx_init(&y, 2026, 12, 31);
    char line[80];
    snprintf(line, sizeof line, "%s  6 13:05:01 server postfix/smtpd[1]: x", month);
    bool ok;
    mc_logline ll = split(line, &y, &ok);
    *rfc3164 = ok && ll.form == LOGLINE_RFC3164;
    return ll;
}

/* RFC 3164 month names: each of the twelve gives its month, and a near
 * miss (another case, a letter off, a month name's bytes in another
 * order, a fourth letter) is no RFC 3164 stamp. */
START_TEST(test_month_names)
{
    static const char *const names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    bool rfc3164;
    for (int i = 0; i < 12; i++) {
        mc_logline ll = month_line(names[i], &rfc3164);
        ck_assert_msg(rfc3164, "%s", names[i]);
        ck_assert_int_eq(ll.time.month, i + 1);
        ck_assert_int_eq(ll.time.day, 6);
    }
    static const char *const near[] = {"jan", "JAN", "Jam", "naJ", "Ja ", "Sept"};
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
        month_line(near[i], &rfc3164);
        ck_assert_msg(!rfc3164, "'%s' read as a month", near[i]);
    }
}
END_TEST

/* Both readings of the RFC 3164 stamp at the start of s: the same bytes
 * read and, when read, the same time; returns whether the fixed offsets
 * read it. */
static bool stamp_same(const char *s, size_t n)
{
    mc_time fixed, plain;
    size_t a = logline_rfc3164_stamp(mc_str_make(s, n), true, &fixed);
    size_t b = logline_rfc3164_stamp(mc_str_make(s, n), false, &plain);
    ck_assert_msg(a == b, "'%.*s': fixed read %zu bytes, plain %zu", (int)n, s, a, b);
    if (a != 0)
        ck_assert_msg(memcmp(&fixed, &plain, sizeof fixed) == 0, "'%.*s': the times differ", (int)n, s);
    return a == 15 && n >= 16 && s[15] == ' ';
}

/* The classic stamp read at its fixed offsets ("Nov 23 07:00:01 ") gives
 * what the plain reading gives, on every line of the Postfix files of
 * tests/data and the envelopes, and on a classic line with each of its
 * first 17 bytes replaced by each of 24 bytes (separators, digits around
 * the limits, letters, a control byte, a high byte): the mutations that
 * keep the shape are read by both, the others by neither or by the plain
 * reading alone (a fraction, a one-digit day).  Hand-checked values:
 * "Feb 29 23:59:60" and "Nov  3 00:00:00" are read at the fixed offsets
 * with their numbers, "Nov 24 07:60:00", "Nov 32 ..." by neither. */
START_TEST(test_stamp_fixed_same)
{
    static const char *const files[] = {"/data/postfix/fail2ban-postfix.log",
                                        "/data/postfix/hsn723-postfix_exporter-test.log",
                                        "/data/postfix/kumina-postfix_exporter-test.log",
                                        "/data/postfix/pflogsumm-go-sample.log",
                                        "/data/postfix/pflogsumm-go-rfc3339.log",
                                        "/data/postfix/sergeymakinen-postfix_exporter-mail.log",
                                        "/data/sample.log",
                                        "/data/envelopes/compose.log",
                                        "/data/envelopes/shippers.log"};
    size_t lines = 0, fixed = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s%s", MC_TESTS_DIR, files[f]);
        FILE *in = fopen(path, "r");
        ck_assert_msg(in != NULL, "%s", path);
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, in)) > 0) {
            /* Each line in a block of its exact size (ASan sees a read past it). */
            char *copy = malloc((size_t)n);
            ck_assert_ptr_nonnull(copy);
            memcpy(copy, line, (size_t)n);
            fixed += stamp_same(copy, (size_t)n);
            lines++;
            free(copy);
        }
        free(line);
        fclose(in);
    }
    ck_assert_int_gt(lines, 1000);
    ck_assert_int_gt(fixed, 500);

    static const char base[] = "Nov 23 07:00:01 mx postfix/smtp[1]: x";
    static const char bytes[] = " :.,/0123456789AaNov\t\x7f\x80-";
    size_t kept = 0, plain_only = 0;
    for (size_t i = 0; i < 17; i++) {
        for (size_t b = 0; b < sizeof bytes - 1; b++) {
            char line[sizeof base];
            memcpy(line, base, sizeof base);
            line[i] = bytes[b];
            mc_time t;
            bool any = logline_rfc3164_stamp(mc_str_make(line, sizeof base - 1), false, &t) != 0;
            bool fast = stamp_same(line, sizeof base - 1);
            kept += fast;
            plain_only += any && !fast;
        }
    }
    /* Kept, by position: the month's three letters 1 each (N, o, v), a
     * space 1, the day's tens 4 (' ', 0-2: "33" is no day), its units 10,
     * a space 1, the hour's tens 2 ("27" is no hour), its units 10, ':' 1,
     * the minutes' tens 6, units 10, ':' 1, the seconds' tens 6 ("61" is
     * none), units 10, a space 1, the host's first byte all 24: 90.  The
     * plain reading alone: any of the 23 other bytes after the seconds
     * (no fraction starts with a digit-less '.' or ','). */
    ck_assert_uint_eq(kept, 90);
    ck_assert_uint_eq(plain_only, 23);

    mc_time t;
    ck_assert(stamp_same("Feb 29 23:59:60 h p: x", 22));
    ck_assert_uint_eq(logline_rfc3164_stamp(mc_str_cstr("Feb 29 23:59:60 h p: x"), true, &t), 15);
    ck_assert(t.month == 2 && t.day == 29 && t.hour == 23 && t.min == 59 && t.sec == 60 && t.usec == -1);
    ck_assert(stamp_same("Nov  3 00:00:00 h p: x", 22));
    ck_assert_uint_eq(logline_rfc3164_stamp(mc_str_cstr("Nov  3 00:00:00 h p: x"), true, &t), 15);
    ck_assert(t.month == 11 && t.day == 3 && t.hour == 0 && t.min == 0 && t.sec == 0);
    ck_assert(!stamp_same("Nov 24 07:60:00 h p: x", 22));
    ck_assert(!stamp_same("Nov 32 07:00:00 h p: x", 22));
    ck_assert(!stamp_same("Nov 00 07:00:00 h p: x", 22));
    ck_assert(!stamp_same("Nov 23 07:00:01.5 h p: x", 24));
}
END_TEST

/* Both splits of one line, the usual one and the plain readings alone,
 * each with a year context of its own that has seen the same lines: the
 * same answer, the same split (the views at the same places) and the same
 * year context after it.  Returns whether the line was split. */
static mc_year_ctx fast_years, plain_years;
static mc_buf fast_scratch, plain_scratch;
static size_t split_lines, split_fixed;

static bool split_same(const char *line, size_t n)
{
    mc_logline a, b;
    /* Each line in a block of its exact size (ASan sees a read past it). */
    char *exact = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(exact);
    memcpy(exact, line, n);
    bool x = logline_split_buf(mc_str_make(exact, n), &fast_years, &fast_scratch, &a);
    bool y = logline_split_plain(mc_str_make(exact, n), &plain_years, &plain_scratch, &b);
    ck_assert_msg(x == y, "'%.*s': split %d, plain %d", (int)n, line, x, y);
    /* A JSON line's views point into each split's own scratch: the same
     * place there; else the same place in the line. */
    const mc_str *va[4] = {&a.host, &a.program, &a.pid, &a.message}, *vb[4] = {&b.host, &b.program, &b.pid, &b.message};
    for (int f = 0; f < 4; f++) {
        bool sa = fast_scratch.data && va[f]->p >= fast_scratch.data && va[f]->p <= fast_scratch.data + fast_scratch.len;
        bool sb = plain_scratch.data && vb[f]->p >= plain_scratch.data && vb[f]->p <= plain_scratch.data + plain_scratch.len;
        ck_assert_msg(sa == sb && va[f]->n == vb[f]->n, "'%.*s': field %d differs", (int)n, line, f);
        if (sa)
            ck_assert(va[f]->p - fast_scratch.data == vb[f]->p - plain_scratch.data);
        else
            ck_assert_msg(va[f]->p == vb[f]->p, "'%.*s': field %d differs", (int)n, line, f);
    }
    ck_assert_msg(a.form == b.form && a.wrapper == b.wrapper && memcmp(&a.time, &b.time, sizeof a.time) == 0,
                  "'%.*s': the splits differ", (int)n, line);
    ck_assert_msg(memcmp(&fast_years, &plain_years, sizeof fast_years) == 0, "'%.*s': the years differ", (int)n, line);
    split_lines++;
    split_fixed += x && a.form == LOGLINE_RFC3164;
    free(exact);
    return x;
}

static void split_data_line(const char *path, const char *line, size_t n)
{
    (void)path;
    split_same(line, n);
}

/* The classic syslog line read at its fixed offsets ("Nov 23 07:00:01 host
 * program[pid]: message", split_classic) gives what the plain readings
 * give, on every line of tests/data and on classic lines with each of
 * their first 64 bytes replaced by each of 20 bytes (spaces, ':', '[',
 * ']', digits, letters, a control and a high byte), removed, or the line
 * cut there: hosts and pids of every length around the reads of 16 and 8
 * bytes, no host, no pid, doubled spaces, Solaris' msgid.  The year
 * contexts are compared after every line, so an inference made twice or
 * left out fails too. */
START_TEST(test_split_fast_same)
{
    year_ctx_init(&fast_years, 2026, 11, 30);
    year_ctx_init(&plain_years, 2026, 11, 30);
    mc_buf_init(&fast_scratch);
    mc_buf_init(&plain_scratch);
    split_lines = split_fixed = 0;
    test_each_data_line(split_data_line, NULL);
    ck_assert_uint_gt(split_lines, 10000);
    ck_assert_uint_gt(split_fixed, 1000);

    static const char *const lines[] = {
        "Nov 23 07:00:01 mx postfix/smtp[59946]: 538D4B10C51: to=<a@b.c>, status=sent (250 ok)",
        "Dec 31 23:59:59 mail.example.org postfix/smtpd[1]: connect from unknown[192.0.2.1]",
        "Jan  1 00:00:00 h p[1234567]: x",
        "Mar  9 12:00:00 host0123456789a postfix/qmgr[12345678]: 1A2B: removed",
        "Nov 23 07:00:01 sol sendmail[1234]: [ID 801593 mail.info] x: to=<a@b>",
        "Nov 23 07:00:01 mx postfix/smtp: 538D4B10C51: to=<a@b.c>",
        "Nov 23 07:00:01 postfix/smtp[12]: no host here, the tag comes first",
        /* The classic line inside each wrapper (the plain readings read it
         * plainly there too): compose, CRI, TAI64N and Docker's json-file. */
        "mail_1    | Nov 23 07:00:01 mx postfix/smtp[59946]: 538D4B10C51: to=<a@b.c>, status=sent (250 ok)",
        "2024-11-23T07:00:01.123456789Z stdout F Nov 23 07:00:01 mx postfix/qmgr[12]: 538D4B10C51: removed",
        "@4000000063f0a1b20c1d2e3f Dec 31 23:59:59 mx postfix/qmgr[12]: 1A2B: removed",
        "{\"log\":\"Nov 23 07:00:01 mx postfix/smtp[1]: 1A2B: removed\\n\",\"time\":\"2024-11-23T07:00:01.5Z\"}",
    };
    static const char bytes[] = " :[]0123456789aZ/.\t\x80";
    for (size_t k = 0; k < sizeof lines / sizeof lines[0]; k++) {
        size_t n = strlen(lines[k]);
        ck_assert(split_same(lines[k], n));
        char line[128];
        for (size_t at = 0; at < n && at < 64; at++) {
            for (size_t b = 0; b < sizeof bytes - 1; b++) {
                memcpy(line, lines[k], n);
                line[at] = bytes[b];
                split_same(line, n);
            }
            memcpy(line, lines[k], at);
            memcpy(line + at, lines[k] + at + 1, n - at - 1);
            split_same(line, n - 1);
            split_same(lines[k], at);
        }
    }
    /* Hand-checked: the first line's fields, as built. */
    mc_logline ll;
    mc_year_ctx y;
    year_ctx_init(&y, 2026, 11, 30);
    const char *l0 = lines[0];
    ck_assert(logline_split_buf(mc_str_cstr(l0), &y, &fast_scratch, &ll));
    ck_assert(ll.form == LOGLINE_RFC3164 && ll.time.month == 11 && ll.time.day == 23 && ll.time.hour == 7 &&
              ll.time.sec == 1 && ll.time.year == 2026);
    ck_assert(ll.host.p == l0 + 16 && ll.host.n == 2);
    ck_assert(ll.program.p == l0 + 19 && ll.program.n == 12);
    ck_assert(ll.pid.p == l0 + 32 && ll.pid.n == 5);
    ck_assert(ll.message.p == l0 + 40 && ll.message.n == strlen(l0) - 40);
    /* And the compose line's inner line, read by split_classic there. */
    const char *l7 = lines[7];
    ck_assert(logline_split_buf(mc_str_cstr(l7), &y, &fast_scratch, &ll));
    ck_assert(ll.form == LOGLINE_RFC3164 && ll.wrapper == LOGWRAP_COMPOSE && ll.time.day == 23);
    ck_assert(ll.host.p == l7 + 28 && ll.host.n == 2 && ll.pid.p == l7 + 44 && ll.pid.n == 5);
    mc_buf_free(&fast_scratch);
    mc_buf_free(&plain_scratch);
}
END_TEST

/* The tag's end is found 16 bytes a step: program names of every length
 * around the step, with a pid, without one, and cut off (no ':'), give
 * the program, pid and message the line was built from.  Each line is
 * its own exact-size allocation, so a step that read past the line's end
 * is a heap-buffer-overflow under ASan. */
START_TEST(test_tag_every_length)
{
    mc_year_ctx y;
    year_ctx_init(&y, 2026, 11, 23);
    char prog[48];
    for (size_t n = 1; n <= 40; n++) {
        for (size_t i = 0; i < n; i++)
            prog[i] = (char)(i % 5 == 4 ? '/' : 'a' + (char)(i % 26));
        prog[n] = '\0';
        for (int form = 0; form < 3; form++) {
            char buf[160];
            int len = snprintf(buf, sizeof buf, "Apr  6 13:05:01 server %s%s", prog,
                               form == 0 ? "[4711]: hello there" : form == 1 ? ": hi" : "");
            char *line = mc_xmalloc((size_t)len);
            memcpy(line, buf, (size_t)len);
            mc_logline ll;
            bool ok = logline_split(mc_str_make(line, (size_t)len), &y, &ll);
            if (form == 2) {
                ck_assert_msg(!ok || !mc_str_eq(ll.program, prog), "length %zu: a tag without ':'", n);
            } else {
                ck_assert_msg(ok, "length %zu form %d", n, form);
                ck_assert_msg(mc_str_eq(ll.program, prog), "length %zu form %d: program '%.*s'", n, form,
                              (int)ll.program.n, ll.program.p);
                if (form == 0) {
                    ck_assert_view(ll.pid, "4711");
                    ck_assert_view(ll.message, "hello there");
                } else {
                    ck_assert_ptr_null(ll.pid.p);
                    ck_assert_view(ll.message, "hi");
                }
            }
            free(line);
        }
    }
}
END_TEST

START_TEST(test_rfc3164)
{
    mc_year_ctx y;
    year_ctx_init(&y, 2026, 11, 23);
    bool ok;
    mc_logline ll = split("Apr  6 13:05:01 server postfix/smtpd[20589]: NOQUEUE: x", &y, &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.form, LOGLINE_RFC3164);
    ck_assert_int_eq(ll.time.year, 2026);
    ck_assert_int_eq(ll.time.month, 4);
    ck_assert_int_eq(ll.time.day, 6);
    ck_assert_view(ll.host, "server");
    ck_assert_view(ll.program, "postfix/smtpd");
    ck_assert_view(ll.pid, "20589");
    ck_assert_view(ll.message, "NOQUEUE: x");
}
END_TEST

START_TEST(test_year_inference)
{
    mc_year_ctx y;
    year_ctx_init(&y, 2027, 1, 2);
    bool ok;
    /* A log that starts in December, read on 2 January, crosses New Year. */
    mc_logline a = split("Dec 31 23:59:59 mx postfix/smtp[1]: a", &y, &ok);
    ck_assert_int_eq(a.time.year, 2026);
    mc_logline b = split("Jan  1 00:00:01 mx postfix/smtp[1]: b", &y, &ok);
    ck_assert_int_eq(b.time.year, 2027);
    /* Tomorrow's date (clock skew) stays this year; next week does not. */
    year_ctx_init(&y, 2026, 11, 23);
    ck_assert_int_eq(split("Nov 24 00:00:00 mx p[1]: x", &y, &ok).time.year, 2026);
    year_ctx_init(&y, 2026, 11, 23);
    ck_assert_int_eq(split("Nov 30 00:00:00 mx p[1]: x", &y, &ok).time.year, 2025);
}
END_TEST

/* Deferred mode (a worker thread): a line's inferences are written down
 * and answered with placeholders; replayed in order on the reader's
 * context they give the years the plain mode gives, across New Year, for a
 * first stamp in the future and for a wrapped line that infers more than
 * once. */
START_TEST(test_year_deferred)
{
    static const char *const lines[] = {
        "Dec 30 23:59:58 mx postfix/smtp[1]: a",                /* ahead of 29 Nov: last year */
        "Dec 31 23:59:59 mx postfix/smtp[1]: b",
        "postfix-1  | Jan  1 00:00:01 mx postfix/smtp[1]: c",   /* wrapped: crosses New Year */
        "Jan  1 00:00:02 mx",                                   /* a stamp, no tag: inferred, not read */
        "Feb  3 10:00:00 mx postfix/smtp[1]: d",
        "Dec  1 10:00:00 mx postfix/smtp[1]: e",                /* back in time: no step */
        "Jan  5 10:00:00 mx postfix/smtp[1]: f",                /* Dec -> Jan again */
    };
    static const int want[] = {2025, 2025, 2026, 0, 2026, 2026, 2027};
    mc_year_ctx plain, deferred, replay;
    year_ctx_init(&plain, 2026, 11, 29);
    year_ctx_init(&replay, 2026, 11, 29);
    year_ctx_init_deferred(&deferred);
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        bool ok, dok;
        mc_logline a = split(lines[i], &plain, &ok);
        year_ctx_line_start(&deferred);
        mc_logline b = split(lines[i], &deferred, &dok);
        ck_assert_int_eq(ok, dok);
        ck_assert_int_le(deferred.n_calls, MC_YEAR_CALLS);
        int years[MC_YEAR_CALLS];
        year_ctx_replay(&replay, (const int(*)[2])deferred.calls, deferred.n_calls, years);
        if (!ok)
            continue;
        ck_assert_int_ge(b.time.year, MC_YEAR_DEFERRED);
        year_resolve(&b.time, years, deferred.n_calls);
        ck_assert_int_eq(a.time.year, want[i]);
        ck_assert_int_eq(b.time.year, a.time.year);
        ck_assert_int_eq(replay.year, plain.year);
        ck_assert_int_eq(replay.last_month, plain.last_month);
    }
    /* A real year is never taken for a placeholder. */
    mc_time t = {.year = 2026, .valid = true};
    int years[1] = {1999};
    year_resolve(&t, years, 1);
    ck_assert_int_eq(t.year, 2026);
}
END_TEST

START_TEST(test_rfc3339_and_5424)
{
    bool ok;
    mc_logline ll = split("2023-02-01T01:02:04.123456+00:00 hostname postfix/smtp[1]: m", NULL, &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.form, LOGLINE_RFC3339);
    ck_assert_int_eq(ll.time.usec, 123456);
    ck_assert_str_eq(ll.time.zone, "+00:00");
    ll = split("<22>1 2026-11-23T07:00:01.5-0530 mx postfix/smtp 1234 - [x@1 a=\"]\"] hello", NULL, &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.form, LOGLINE_RFC5424);
    ck_assert_str_eq(ll.time.zone, "-05:30");
    ck_assert_view(ll.program, "postfix/smtp");
    ck_assert_view(ll.message, "hello");
}
END_TEST

START_TEST(test_exim_stamp)
{
    bool ok;
    mc_logline ll = split("2026-11-23 07:00:01.123 +0100 [4242] 1abcde-000123-AB => x@y", NULL, &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.form, LOGLINE_EXIM);
    ck_assert_str_eq(ll.time.zone, "+01:00");
    ck_assert_int_eq(ll.time.usec, 123000);
    ck_assert_view(ll.pid, "4242");
    ck_assert_view(ll.program, "exim");
    ck_assert_view(ll.message, "1abcde-000123-AB => x@y");
    ll = split("1999-03-02 09:44:33 10HmaX-000000005vi-0000 <= x@y", NULL, &ok);
    ck_assert(ok);
    ck_assert_str_eq(ll.time.zone, "");
}
END_TEST

/* The date and the clock are read in place, two digits at a time: every
 * digit of an RFC 3164, an RFC 3339 and an Exim stamp is replaced by each
 * byte just outside '0'..'9' ('/' and ':') and by a letter, and the line
 * must then not split; the untouched lines give their fields. */
START_TEST(test_stamp_digits_in_place)
{
    static const struct {
        const char *line;
        int year, month, day, hour, min, sec;
    } good[] = {
        {"Nov 23 23:59:58 mx postfix/smtp[1]: x", 2026, 11, 23, 23, 59, 58},
        {"2019-09-30T07:08:09Z mx postfix/smtp[1]: x", 2019, 9, 30, 7, 8, 9},
        {"1999-12-31 00:00:60 10HmaX-000000005vi-0000 <= x@y", 1999, 12, 31, 0, 0, 60},
    };
    static const char bad_bytes[] = {'/', ':', 'a'};
    char line[128];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        mc_year_ctx y;
        year_ctx_init(&y, 2026, 11, 23);
        bool ok;
        mc_logline ll = split(good[i].line, &y, &ok);
        ck_assert_msg(ok, "%s", good[i].line);
        ck_assert_int_eq(ll.time.year, good[i].year);
        ck_assert_int_eq(ll.time.month, good[i].month);
        ck_assert_int_eq(ll.time.day, good[i].day);
        ck_assert_int_eq(ll.time.hour, good[i].hour);
        ck_assert_int_eq(ll.time.min, good[i].min);
        ck_assert_int_eq(ll.time.sec, good[i].sec);
        size_t stamp = good[i].line[0] == 'N' ? 15 : 19;
        for (size_t at = 0; at < stamp; at++) {
            if (good[i].line[at] < '0' || good[i].line[at] > '9')
                continue;
            for (size_t b = 0; b < sizeof bad_bytes; b++) {
                snprintf(line, sizeof line, "%s", good[i].line);
                line[at] = bad_bytes[b];
                year_ctx_init(&y, 2026, 11, 23);
                split(line, &y, &ok);
                ck_assert_msg(!ok, "accepted: %s", line);
            }
        }
    }
}
END_TEST

/* Exim's usual line ("YYYY-MM-DD HH:MM:SS message") is read by a shape
 * check of its first 21 bytes.  Each of those bytes is replaced by every
 * byte value, and the answer is derived here from the stamp's rules: a
 * digit's place takes a digit and the clock must stay valid (month 1-12,
 * day 1-31, hour to 23, minute to 59, second to 60), each separator only
 * itself (a 'T' for the space makes an RFC 3339 stamp, not Exim's), and
 * the message starts after the one space.  The first bytes of the message
 * that mean more (a space, a zone, a pid) are not replaced here: the
 * general reader's tests above cover them. */
START_TEST(test_exim_plain_stamp)
{
    static const char base[] = "2026-10-01 07:08:09 1xC4Km-8QlEDp-pk Completed";
    char line[sizeof base];
    for (size_t at = 0; at < 21; at++) {
        for (int b = 0; b < 256; b++) {
            memcpy(line, base, sizeof base);
            line[at] = (char)b;
            if (at == 20 && (b == ' ' || b == '+' || b == '-' || b == '['))
                continue;
            bool digit_place = at < 19 && at != 4 && at != 7 && at != 10 && at != 13 && at != 16;
            bool fits = true;
            if (digit_place)
                fits = b >= '0' && b <= '9';
            else if (at == 10 || at == 19)
                fits = b == ' ';
            else if (at < 19)
                fits = b == (at == 4 || at == 7 ? '-' : ':');
            int month = (line[5] - '0') * 10 + (line[6] - '0'), day = (line[8] - '0') * 10 + (line[9] - '0');
            int hour = (line[11] - '0') * 10 + (line[12] - '0'), min = (line[14] - '0') * 10 + (line[15] - '0');
            int sec = (line[17] - '0') * 10 + (line[18] - '0');
            fits = fits && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && min <= 59 && sec <= 60;
            bool ok;
            mc_logline ll;
            ok = logline_split(mc_str_make(line, sizeof base - 1), NULL, &ll);
            if (!fits) {
                ck_assert_msg(!(ok && ll.form == LOGLINE_EXIM), "byte %d at %zu read as Exim's", b, at);
                continue;
            }
            ck_assert_msg(ok && ll.form == LOGLINE_EXIM, "byte %d at %zu", b, at);
            int year = (line[0] - '0') * 1000 + (line[1] - '0') * 100 + (line[2] - '0') * 10 + (line[3] - '0');
            ck_assert_int_eq(ll.time.year, year);
            ck_assert_int_eq(ll.time.month, month);
            ck_assert_int_eq(ll.time.day, day);
            ck_assert_int_eq(ll.time.hour, hour);
            ck_assert_int_eq(ll.time.min, min);
            ck_assert_int_eq(ll.time.sec, sec);
            ck_assert_int_eq(ll.time.usec, -1);
            ck_assert_str_eq(ll.time.zone, "");
            ck_assert(ll.time.valid);
            ck_assert_view(ll.program, "exim");
            ck_assert(ll.pid.p == NULL && ll.host.p == NULL);
            ck_assert(ll.message.p == line + 20 && ll.message.n == sizeof base - 21);
        }
    }
    /* Cut short: the stamp alone, or with its space, is an Exim line with
     * an empty message; a shorter line is none. */
    for (size_t n = 0; n < 21; n++) {
        mc_logline ll;
        bool ok = logline_split(mc_str_make(base, n), NULL, &ll);
        ck_assert_msg(ok == (n >= 19), "length %zu", n);
        if (ok) {
            ck_assert_int_eq(ll.form, LOGLINE_EXIM);
            ck_assert_int_eq(ll.time.sec, 9);
            ck_assert_uint_eq(ll.message.n, 0);
        }
    }
}
END_TEST

START_TEST(test_malformed)
{
    static const char *const bad[] = {
        "Jan: 1 00:00:00 hostname postfix/postscreen[12345]: foo",
        "Jan 1 00:00:00 hostname postfix/postscreen[abcde]: foo",
        "Jan 1 00:00:00 hostname postfix/postscreen[12345",
        "Foo 1 00:00:00 hostname postfix[1]: x",
        "Jan 32 00:00:00 hostname postfix[1]: x",
        "Jan 1 25:00:00 hostname postfix[1]: x",
        "2026-13-01T00:00:00Z host p[1]: x",
        "",
        "short",
        "<999",
    };
    mc_year_ctx y;
    year_ctx_init(&y, 2026, 11, 23);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool ok;
        split(bad[i], &y, &ok);
        ck_assert_msg(!ok, "accepted: %s", bad[i]);
    }
}
END_TEST

START_TEST(test_iso_argument)
{
    mc_time t;
    ck_assert(parse_iso_time("2026-11-23", &t));
    ck_assert(parse_iso_time("2026-11-23T07:30", &t));
    ck_assert_int_eq(t.hour, 7);
    ck_assert(!parse_iso_time("2026-11-23T", &t));
    ck_assert(!parse_iso_time("yesterday", &t));
}
END_TEST


/* The real lines the wrapped data is made of (SOURCES.md). */
#define CATATNIGHT_MSG                                                                            \
    "BB48359B: to=<ehs@pobox.com>, relay=none, delay=151, delays=0.03/0.01/150/0, dsn=4.4.1, "   \
    "status=deferred (connect to pb-mx10.pobox.com[64.147.108.51]:25: Connection timed out)"
#define CATATNIGHT "Mar 23 11:23:31 886377d1c5cf postfix/smtp[143]: " CATATNIGHT_MSG
#define HUAN_MSG                                                                                  \
    "15C904A3824: to=<engnawazish@gmail.com>, relay=none, delay=742, delays=652/0.02/90/0, "     \
    "dsn=4.4.1, status=deferred (connect to alt2.gmail-smtp-in.l.google.com[64.233.185.26]:25: " \
    "Connection timed out)"

/* Splits with a scratch buffer (JSON forms) and today pinned to 2026-11-23. */
static mc_logline wsplit(const char *s, bool *ok)
{
    static mc_buf scratch;
    mc_year_ctx y;
    year_ctx_init(&y, 2026, 11, 23);
    mc_logline ll;
    *ok = logline_split_buf(mc_str_cstr(s), &y, &scratch, &ll);
    return ll;
}

/* Asserts the envelope of the catatnight line, wherever it was wrapped. */
static void expect_catatnight(const mc_logline *ll, int year)
{
    ck_assert_int_eq(ll->form, LOGLINE_RFC3164);
    ck_assert_int_eq(ll->time.year, year);
    ck_assert_int_eq(ll->time.month, 3);
    ck_assert_int_eq(ll->time.day, 23);
    ck_assert_int_eq(ll->time.hour, 11);
    ck_assert_int_eq(ll->time.min, 23);
    ck_assert_int_eq(ll->time.sec, 31);
    ck_assert_int_eq(ll->time.usec, -1);
    ck_assert_str_eq(ll->time.zone, "");
    ck_assert_view(ll->host, "886377d1c5cf");
    ck_assert_view(ll->program, "postfix/smtp");
    ck_assert_view(ll->pid, "143");
    ck_assert_view(ll->message, CATATNIGHT_MSG);
}

/* Asserts a bare "postfix/smtp[14105]: ..." read with the wrapper's time. */
static void expect_bare(const mc_logline *ll, int y, int mo, int d, int h, int mi, int s, int usec)
{
    ck_assert_int_eq(ll->form, LOGLINE_BARE);
    ck_assert(ll->time.valid);
    ck_assert_int_eq(ll->time.year, y);
    ck_assert_int_eq(ll->time.month, mo);
    ck_assert_int_eq(ll->time.day, d);
    ck_assert_int_eq(ll->time.hour, h);
    ck_assert_int_eq(ll->time.min, mi);
    ck_assert_int_eq(ll->time.sec, s);
    ck_assert_int_eq(ll->time.usec, usec);
    ck_assert_str_eq(ll->time.zone, "Z");
    ck_assert(mc_str_is_null(ll->host));
    ck_assert_view(ll->program, "postfix/smtp");
    ck_assert_view(ll->pid, "14105");
    ck_assert_view(ll->message, HUAN_MSG);
}

START_TEST(test_compose)
{
    bool ok;
    /* v1 prefix, padded; no wrapper time, so the year is inferred. */
    mc_logline ll = wsplit("postfix-mailcow_1    | " CATATNIGHT, &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.wrapper, LOGWRAP_COMPOSE);
    expect_catatnight(&ll, 2026);
    /* v2 prefix, and the colours compose writes on a terminal. */
    ll = wsplit("\x1b[36mpostfix-1  |\x1b[0m " CATATNIGHT, &ok);
    ck_assert(ok);
    expect_catatnight(&ll, 2026);
    /* docker compose logs -t: its stamp loses to the syslog one but gives the year. */
    ll = wsplit("postfix-1  | 2024-05-01T10:00:00.123456789Z " CATATNIGHT, &ok);
    ck_assert(ok);
    expect_catatnight(&ll, 2024);
    /* An ISO stamp and no host: the program comes straight after the stamp. */
    ll = wsplit("smtp_1 | 2018-08-22T07:30:18.1Z postfix/smtp[137]: 3F2A: to=<a@b>, status=sent", &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.form, LOGLINE_RFC3339);
    ck_assert_int_eq(ll.time.usec, 100000);
    ck_assert_str_eq(ll.time.zone, "Z");
    ck_assert(mc_str_is_null(ll.host));
    ck_assert_view(ll.program, "postfix/smtp");
    ck_assert_view(ll.pid, "137");
    ck_assert_view(ll.message, "3F2A: to=<a@b>, status=sent");
    /* supervisord's own lines and a bare tag with no wrapper time: not read. */
    wsplit("postfix-mailcow_1    | 2019-04-03 19:16:29,234 INFO exited: postfix (exit status 1; not expected)", &ok);
    ck_assert(ok); /* Exim's stamp shape: read as program "exim", which no rule claims */
    wsplit("mailserver      | [INFO] Custom Postfix configuration file loaded", &ok);
    ck_assert(!ok);
    wsplit("postfix-1  | postfix/smtp[14105]: " HUAN_MSG, &ok);
    ck_assert(!ok);
}
END_TEST

START_TEST(test_cri)
{
    bool ok;
    mc_logline ll = wsplit("2024-05-01T10:00:00.123456789Z stdout F " CATATNIGHT, &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.wrapper, LOGWRAP_CRI);
    expect_catatnight(&ll, 2024);
    ll = wsplit("2024-05-01T10:00:01.5Z stderr F postfix/smtp[14105]: " HUAN_MSG, &ok);
    ck_assert(ok);
    expect_bare(&ll, 2024, 5, 1, 10, 0, 1, 500000);
    /* A partial line (P) is not read: its message would be cut. */
    wsplit("2024-05-01T10:00:02.000000001Z stdout P " CATATNIGHT, &ok);
    ck_assert(!ok);
    /* The stream word makes it CRI, not a syslog host "stdout". */
    wsplit("2024-05-01T10:00:02Z stdout X postfix/smtp[1]: a", &ok);
    ck_assert(!ok);
}
END_TEST

START_TEST(test_docker_json)
{
    bool ok;
    mc_logline ll = wsplit("{\"log\":\"" CATATNIGHT "\\n\",\"stream\":\"stdout\","
                           "\"time\":\"2024-05-01T10:00:00.123456789Z\"}", &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.wrapper, LOGWRAP_DOCKER_JSON);
    expect_catatnight(&ll, 2024);
    /* Docker escapes < > as \u003c \u003e; the field order does not matter. */
    ll = wsplit("{\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:01.987654321Z\",\"log\":\"postfix/smtp[14105]: "
                "15C904A3824: to=\\u003cengnawazish@gmail.com\\u003e, relay=none, delay=742, "
                "delays=652/0.02/90/0, dsn=4.4.1, status=deferred (connect to "
                "alt2.gmail-smtp-in.l.google.com[64.233.185.26]:25: Connection timed out)\\r\\n\"}", &ok);
    ck_assert(ok);
    expect_bare(&ll, 2024, 5, 1, 10, 0, 1, 987654);
    /* No newline: a fragment of a longer line, not read. */
    wsplit("{\"log\":\"postfix/smtp[1]: x\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:02Z\"}", &ok);
    ck_assert(!ok);
    /* A bare tag with no usable time is not read either. */
    wsplit("{\"log\":\"postfix/smtp[1]: x\\n\",\"time\":\"yesterday\"}", &ok);
    ck_assert(!ok);
}
END_TEST

START_TEST(test_tai64n)
{
    bool ok;
    mc_logline ll = wsplit("@4000000063f0a1b20c1d2e3f " CATATNIGHT, &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.wrapper, LOGWRAP_TAI64N);
    expect_catatnight(&ll, 2023);
    /* 0x63f0a1b2 - 10 = 1676714408 s = 2023-02-18 10:00:08 UTC (date -u -d @1676714408);
     * 0x0c1d2e3f = 203238975 ns. */
    ll = wsplit("@4000000063f0a1b20c1d2e3f postfix/smtp[14105]: " HUAN_MSG, &ok);
    ck_assert(ok);
    expect_bare(&ll, 2023, 2, 18, 10, 0, 8, 203238);
    /* Before 1970 + 10 s, nanoseconds over a second, not hex, no space. */
    static const char *const bad[] = {
        "@4000000000000009000000000 postfix/smtp[1]: a",
        "@400000000000000a00000000 postfix/smtp[1]: a",
        "@4000000063f0a1b23b9aca00 postfix/smtp[1]: a",
        "@4000000063f0a1b20c1d2e3g postfix/smtp[1]: a",
        "@4000000063f0a1b20c1d2e3fpostfix/smtp[1]: a",
        "@ffffffffffffffff00000000 postfix/smtp[1]: a",
    };
    ck_assert(wsplit("@400000000000000a00000000 postfix/smtp[1]: a", &ok).time.year == 1970 && ok);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (i == 1)
            continue;
        wsplit(bad[i], &ok);
        ck_assert_msg(!ok, "accepted: %s", bad[i]);
    }
}
END_TEST

/* A syslog line whose template dropped the stamp, the MTA's own stamp
 * inside (fail2ban's fixture tests/data/exim/fail2ban-exim.log): the host
 * and tag from syslog, the time from Exim.  Without a pid or without an Exim
 * stamp it is not read: a word then a colon is not enough. */
START_TEST(test_unstamped_syslog)
{
    bool ok;
    mc_logline ll = wsplit("mail.example.com exim[3751842]: 2021-07-17 23:20:49 plain_server authenticator failed "
                           "for ([192.0.2.17]) [192.0.2.27]: 535 Incorrect authentication data", &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.form, LOGLINE_UNSTAMPED);
    ck_assert(mc_str_eq(ll.host, "mail.example.com"));
    ck_assert(mc_str_eq(ll.program, "exim"));
    ck_assert(mc_str_eq(ll.pid, "3751842"));
    ck_assert(ll.time.valid && ll.time.year == 2021 && ll.time.month == 7 && ll.time.day == 17 &&
              ll.time.hour == 23 && ll.time.min == 20 && ll.time.sec == 49);
    ck_assert(mc_str_eq(ll.message, "2021-07-17 23:20:49 plain_server authenticator failed for "
                                         "([192.0.2.17]) [192.0.2.27]: 535 Incorrect authentication data"));
    static const char *const bad[] = {
        "mail.example.com exim: 2021-07-17 23:20:49 plain_server authenticator failed for x",
        "mail.example.com exim[1]: plain_server authenticator failed for x: 535 Incorrect",
        "mail.example.com exim[1]: 2021-13-17 23:20:49 plain_server authenticator failed",
        "exim[1]: 2021-07-17 23:20:49 plain_server authenticator failed for ([192.0.2.17])",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wsplit(bad[i], &ok);
        ck_assert_msg(!ok, "accepted: %s", bad[i]);
    }
}
END_TEST

START_TEST(test_shipper_stamps)
{
    bool ok;
    /* rsyslog RSYSLOG_FileFormat (1it/docker-mail#2). */
    mc_logline ll = wsplit("2019-04-11T19:41:56.554496+00:00 09ad1b99d14b postfix/lmtp[238]: 87F043F2BE: x", &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.form, LOGLINE_RFC3339);
    ck_assert_int_eq(ll.wrapper, LOGWRAP_NONE);
    ck_assert_int_eq(ll.time.usec, 554496);
    ck_assert_str_eq(ll.time.zone, "+00:00");
    ck_assert_view(ll.host, "09ad1b99d14b");
    ck_assert_view(ll.pid, "238");
    /* journalctl -o short-precise. */
    ll = wsplit("Sep 29 08:40:57.123456 dev1 postfix/smtp[14105]: " HUAN_MSG, &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.form, LOGLINE_RFC3164);
    ck_assert_int_eq(ll.time.usec, 123456);
    ck_assert_view(ll.host, "dev1");
    ck_assert_view(ll.message, HUAN_MSG);
    /* journalctl -o short-iso-precise (+hhmm in older systemd). */
    ll = wsplit("2018-09-29T08:40:57.123456+0200 dev1 postfix/smtp[14105]: " HUAN_MSG, &ok);
    ck_assert(ok);
    ck_assert_str_eq(ll.time.zone, "+02:00");
    /* journalctl -o short-full: UTC, a numeric zone, a zone name (local clock). */
    ll = wsplit("Sat 2018-09-29 08:40:57 UTC dev1 postfix/smtp[14105]: " HUAN_MSG, &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.form, LOGLINE_SHORT_FULL);
    ck_assert_int_eq(ll.time.year, 2018);
    ck_assert_int_eq(ll.time.hour, 8);
    ck_assert_str_eq(ll.time.zone, "Z");
    ck_assert_view(ll.host, "dev1");
    ck_assert_view(ll.program, "postfix/smtp");
    ck_assert_view(ll.pid, "14105");
    ck_assert_view(ll.message, HUAN_MSG);
    ck_assert_str_eq(wsplit("Sat 2018-09-29 08:40:57 +03 dev1 p[1]: x", &ok).time.zone, "+03:00");
    ck_assert(ok);
    ck_assert_str_eq(wsplit("Sat 2018-09-29 08:40:57 CEST dev1 p[1]: x", &ok).time.zone, "");
    ck_assert(ok);
    wsplit("Sat 2018-09-29 08:40:57 C3ST dev1 p[1]: x", &ok);
    ck_assert(!ok);
    wsplit("Sut 2018-09-29 08:40:57 UTC dev1 p[1]: x", &ok);
    ck_assert(!ok);
}
END_TEST

/* Hostile wrappers: each is refused (false), none may crash or over-read
 * (the suite runs under ASan). */
START_TEST(test_hostile_wrappers)
{
    static const char *const bad[] = {
        "{\"log\":\"Mar 23 11:23:31 h postfix/smtp[1]: x\\n\",\"time\":\"2024-05-01T10:00:00Z\"",
        "{\"log\":\"Mar 23 11:23:31 h postfix/smtp[1]: x\\q\\n\",\"time\":\"2024-05-01T10:00:00Z\"}",
        "{\"log\":\"Mar 23 11:23:31 h postfix/smtp[1]: x\\u12\"}",
        "{\"log\":\"Mar 23 11:23:31 h postfix/smtp[1]: x\\",
        "{\"log\":[1,2,3],\"time\":\"2024-05-01T10:00:00Z\"}",
        "{\"log\":\"\\n\",\"time\":\"2024-05-01T10:00:00Z\"}",
        "postfix-mailcow_1    |",
        "postfix-mailcow_1    |                 ",
        "postfix-mailcow_1    | |||||||||||||||||||||",
        "| Mar 23 11:23:31 h postfix/smtp[1]: x",
        "a | b | Mar 23 11:23:31 h postfix/smtp[1]: x",
        "\x1b[36m\x1b[36m\x1b[36m\x1b[",
        "2024-05-01T10:00:00Z stdout F ",
        "2024-05-01T10:00:00Z stdout F",
        "2024-05-01T10:00:00Z stdout ",
        "@4000000063f0a1b20c1d2e3f ",
        "@4000000063f0a1b20c1d2e3f                   ",
        "Sat 2018-09-29 08:40:57 UTC",
        "Sat 2018-09-29 08:40:57 UTC ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool ok;
        wsplit(bad[i], &ok);
        ck_assert_msg(!ok, "accepted: %s", bad[i]);
    }
    /* A prefix name longer than any compose writes, then a real line. */
    size_t n = 1 << 20;
    char *huge = malloc(n + sizeof " | " CATATNIGHT);
    ck_assert_ptr_nonnull(huge);
    memset(huge, 'a', n);
    strcpy(huge + n, " | " CATATNIGHT);
    bool ok;
    wsplit(huge, &ok);
    ck_assert(!ok);
    /* Nested wrappers are not unwrapped twice. */
    wsplit("a_1 | b_1 | " CATATNIGHT, &ok);
    ck_assert(!ok);
    free(huge);
}
END_TEST

/* Counts the lines of s that hold needle. */
static int count_lines(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* mailcodes scan over each wrapped file: the events, their fields, and what
 * is counted unrecognised (only a fragment or a wrapped non-mail line that
 * carries an outcome marker). */
START_TEST(test_scan_wrapped)
{
    static const struct {
        const char *file;
        int events, unrecognised;
        const char *fields[3];
    } cases[] = {
        {"compose.log", 5, 1,
         {"\"time\": \"2019-04-11T19:41:56.554496+00:00\", \"host\": null, \"mta\": \"postfix\", \"program\": \"postfix/lmtp\"",
          "\"time\": \"2024-09-29T08:40:57\", \"host\": \"dev1\"", "\"queue_id\": \"BB48359B\""}},
        {"cri.log", 2, 1,
         {"\"time\": \"2024-03-23T11:23:31\", \"host\": \"886377d1c5cf\"",
          "\"time\": \"2024-05-01T10:00:01.500000Z\", \"host\": null", "\"status\": \"deferred\""}},
        {"docker-json.log", 2, 1,
         {"\"time\": \"2024-03-23T11:23:31\", \"host\": \"886377d1c5cf\"",
          "\"time\": \"2024-05-01T10:00:01.987654Z\", \"host\": null", "\"recipient\": \"engnawazish@gmail.com\""}},
        {"tai64n.log", 2, 0,
         {"\"time\": \"2023-03-23T11:23:31\", \"host\": \"886377d1c5cf\"",
          "\"time\": \"2023-02-18T10:00:08.203238Z\", \"host\": null", "\"enhanced\": \"4.4.1\""}},
        {"shippers.log", 7, 0,
         {"\"time\": \"2018-09-29T08:40:57Z\", \"host\": \"dev1\"", "\"time\": \"2018-09-29T08:40:57.123456+02:00\"",
          "\"time\": \"2019-04-11T19:41:56.554496+00:00\", \"host\": \"09ad1b99d14b\""}},
    };
    test_dir_setup();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL, *unrec = NULL;
        int rc = test_runf(&out, "%s scan --unrecognised %s/u %s/%s", BIN, test_dir, ENVELOPES, cases[i].file);
        ck_assert_msg(rc == 0, "%s: exit %d", cases[i].file, rc);
        ck_assert_int_eq(count_lines(out, "\"status\": \"deferred\""), cases[i].events);
        ck_assert_int_eq(count_lines(out, "\n"), cases[i].events);
        for (size_t f = 0; f < 3; f++)
            test_expect_has(out, cases[i].fields[f]);
        test_runf(&unrec, "cat %s/u", test_dir);
        ck_assert_msg(count_lines(unrec, "\n") == cases[i].unrecognised, "%s: unrecognised %s", cases[i].file,
                      unrec);
        free(out);
        free(unrec);
    }
    test_dir_teardown();
}
END_TEST

/* Solaris and illumos syslogd put a message id and the facility.level
 * after the tag ("msgid"): the message proper starts after it.  The line
 * is from the Joyent SmartMachine wiki (wiki.joyent.com, "Seeing errors
 * like this in /var/log/syslog"); the near misses keep their bracket. */
START_TEST(test_solaris_msgid)
{
    mc_year_ctx y;
    year_ctx_init(&y, 2026, 11, 23);
    bool ok;
    mc_logline ll = split("Oct 20 21:22:57 example.joyeurs.com postfix/smtp[2076]: [ID 197553 mail.info] 2E35E2F68:"
                          " to=<linda@example.com>, relay=mail.example.com[8.12.37.104], delay=0, status=deferred",
                          &y, &ok);
    ck_assert(ok);
    ck_assert_view(ll.host, "example.joyeurs.com");
    ck_assert_view(ll.program, "postfix/smtp");
    ck_assert_view(ll.pid, "2076");
    ck_assert_view(ll.message, "2E35E2F68: to=<linda@example.com>, relay=mail.example.com[8.12.37.104], delay=0,"
                               " status=deferred");
    static const char *const kept[] = {"[ID x mail.info] A: x", "[ID 1 mail.info]A: x", "[ID 1 ] A: x",
                                       "[ID 1 mail info] A: x", "[ID 197553 mail.info]", "[IDS 1 mail.info] A: x"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        char line[128];
        snprintf(line, sizeof line, "Oct 20 21:22:57 mx postfix/smtp[1]: %s", kept[i]);
        ll = split(line, &y, &ok);
        ck_assert(ok);
        ck_assert_view(ll.message, kept[i]);
    }
}
END_TEST

static Suite *logline_suite(void)
{
    Suite *s = suite_create("logline");
    TCase *tc = tcase_create("logline");
    tcase_add_test(tc, test_rfc3164);
    tcase_add_test(tc, test_solaris_msgid);
    tcase_add_test(tc, test_year_inference);
    tcase_add_test(tc, test_year_deferred);
    tcase_add_test(tc, test_rfc3339_and_5424);
    tcase_add_test(tc, test_exim_stamp);
    tcase_add_test(tc, test_exim_plain_stamp);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_stamp_digits_in_place);
    tcase_add_test(tc, test_iso_argument);
    tcase_add_test(tc, test_compose);
    tcase_add_test(tc, test_unstamped_syslog);
    tcase_add_test(tc, test_cri);
    tcase_add_test(tc, test_docker_json);
    tcase_add_test(tc, test_tai64n);
    tcase_add_test(tc, test_shipper_stamps);
    tcase_add_test(tc, test_hostile_wrappers);
    tcase_add_test(tc, test_scan_wrapped);
    tcase_add_test(tc, test_tag_every_length);
    tcase_add_test(tc, test_month_names);
    tcase_add_test(tc, test_stamp_fixed_same);
    tcase_add_test(tc, test_split_fast_same);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(logline_suite)
