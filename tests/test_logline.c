/*
 * test_logline.c - syslog envelopes and timestamps: forms, zones,
 * fractions, year inference (including across New Year), malformed input.
 */
#include "logline.h"
#include "testutil.h"

static mc_logline split(const char *s, mc_year_ctx *y, bool *ok)
{
    mc_logline ll;
    *ok = logline_split(mc_str_cstr(s), y, &ll);
    return ll;
}

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

static Suite *logline_suite(void)
{
    Suite *s = suite_create("logline");
    TCase *tc = tcase_create("logline");
    tcase_add_test(tc, test_rfc3164);
    tcase_add_test(tc, test_year_inference);
    tcase_add_test(tc, test_rfc3339_and_5424);
    tcase_add_test(tc, test_exim_stamp);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_iso_argument);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(logline_suite)
