/*
 * test_journal.c - journald input: `journalctl -o json` lines (MESSAGE,
 * SYSLOG_IDENTIFIER, _HOSTNAME, __REALTIME_TIMESTAMP, pid), with escapes,
 * byte-array and repeated fields, malformed JSON; and `-o short-iso` /
 * `short-iso-precise` lines.  The JSON lines are shaped like journalctl 252's
 * (Debian 12): every field journald stores for a syslog message, in its order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "logline.h"
#include "testutil.h"
#include "util.h"

/* The fields journald adds to a Postfix smtp message received over
 * /dev/log, before and after the ones that matter. */
#define J_HEAD                                                                                       \
    "{\"__CURSOR\":\"s=7e0d2b0f4a1c4d0e9f3c6b2a1d0e4f5a;i=1b2c;b=0f1e2d3c4b5a69788796a5b4c3d2e1f0;" \
    "m=2a3b4c5d;t=62ba4e27c1e40;x=3c4d5e6f7a8b9c0d\",\"__REALTIME_TIMESTAMP\":\"1795434726123456\"," \
    "\"__MONOTONIC_TIMESTAMP\":\"708531293\",\"_BOOT_ID\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\","  \
    "\"_TRANSPORT\":\"syslog\",\"PRIORITY\":\"6\",\"SYSLOG_FACILITY\":\"2\","
#define J_TAIL                                                                                       \
    "\"_UID\":\"107\",\"_GID\":\"114\",\"_CAP_EFFECTIVE\":\"0\","                                    \
    "\"_SYSTEMD_CGROUP\":\"/system.slice/system-postfix.slice/postfix@-.service\","                 \
    "\"_SYSTEMD_UNIT\":\"postfix@-.service\",\"_SYSTEMD_SLICE\":\"system-postfix.slice\","          \
    "\"_SYSTEMD_INVOCATION_ID\":\"5d6e7f8091a2b3c4d5e6f708192a3b4c\","                              \
    "\"_MACHINE_ID\":\"b1c2d3e4f5061728394a5b6c7d8e9f00\",\"_HOSTNAME\":\"mx1\","

static const char smtp_deferred[] =
    J_HEAD "\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"SYSLOG_PID\":\"7771\",\"_PID\":\"7771\","
           "\"_COMM\":\"smtp\",\"_EXE\":\"/usr/lib/postfix/sbin/smtp\",\"_CMDLINE\":\"smtp -t unix -u -c\","
    J_TAIL "\"SYSLOG_TIMESTAMP\":\"Nov 23 11:52:06 \","
           "\"MESSAGE\":\"03CC6104094: to=<yara.70@ratelimit.test>, relay=127.0.0.44[127.0.0.44]:2525, "
           "delay=0.14, delays=0/0.11/0.02/0.01, dsn=4.7.28, status=deferred (host 127.0.0.44[127.0.0.44] "
           "said: 421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from "
           "421-4.7.28 your IP address. To protect our users from spam, mail sent from your IP 421-4.7.28 "
           "address has been temporarily rate limited. For more information, go to 421 4.7.28 "
           "https://support.google.com/mail/?p=UnsolicitedRateLimitError d4-20020a05600c - gsmtp "
           "(in reply to end of DATA command))\","
           "\"_SOURCE_REALTIME_TIMESTAMP\":\"1795434726123400\"}";

/* smtpd, with the escapes journalctl writes: \" \\ \t and a \u escape. */
static const char smtpd_reject[] =
    J_HEAD "\"SYSLOG_IDENTIFIER\":\"postfix/submission/smtpd\",\"SYSLOG_PID\":\"7741\",\"_PID\":\"7741\","
           "\"_COMM\":\"smtpd\",\"_EXE\":\"/usr/lib/postfix/sbin/smtpd\","
    J_TAIL "\"SYSLOG_TIMESTAMP\":\"Nov 23 11:52:06 \","
           "\"MESSAGE\":\"NOQUEUE: reject: RCPT from unknown[192.0.2.67]: 550 5.1.1 "
           "<\\\"j\\u00fcrgen\\\"\\\\x@example.org>: Recipient address rejected: User unknown in "
           "virtual mailbox table;\\tfrom=<a@b.example> to=<\\\"j\\u00fcrgen\\\"\\\\x@example.org> "
           "proto=ESMTP helo=<client.example>\"}";

static const char exim_deferred[] =
    J_HEAD "\"SYSLOG_IDENTIFIER\":\"exim\",\"SYSLOG_PID\":\"31337\",\"_PID\":\"31337\",\"_COMM\":\"exim4\","
           "\"_EXE\":\"/usr/sbin/exim4\",\"_SYSTEMD_UNIT\":\"exim4.service\",\"_HOSTNAME\":\"relay2\","
           "\"MESSAGE\":\"1tAbCd-000Abc-Xy == bob@example.net R=dnslookup T=remote_smtp defer (-44) "
           "H=mx.example.net [192.0.2.7]: SMTP error from remote mail server after RCPT "
           "TO:<bob@example.net>: 451 4.7.1 Greylisted, please try again later\"}";

static const char *bounce_latin1 =
    "5A1B2C3D4E: to=<r\xe9mi@example.fr>, relay=mx.example.fr[192.0.2.25]:25, delay=1.2, "
    "delays=0.1/0/0.6/0.5, dsn=5.1.1, status=bounced (host mx.example.fr[192.0.2.25] said: 550 "
    "5.1.1 <r\xe9mi@example.fr>: utilisateur inconnu (in reply to RCPT TO command))";

/* The journal line for a MESSAGE that is not valid UTF-8: journalctl writes
 * it as an array of byte values.  Returns a malloc'd line. */
static char *byte_array_line(const char *message)
{
    mc_buf b = {0};
    mc_buf_adds(&b, J_HEAD "\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"_PID\":\"812\","
                           "\"_HOSTNAME\":\"mx1\",\"MESSAGE\":[");
    for (const unsigned char *p = (const unsigned char *)message; *p; p++)
        mc_buf_printf(&b, "%s%u", p == (const unsigned char *)message ? "" : ",", *p);
    mc_buf_adds(&b, "],\"_COMM\":\"smtp\"}");
    return b.data;
}

static mc_logline split_json(const char *line, mc_buf *scratch, bool *ok)
{
    mc_logline ll;
    *ok = logline_split_buf(mc_str_cstr(line), NULL, scratch, &ll);
    return ll;
}

START_TEST(test_envelope)
{
    mc_buf scratch = {0};
    bool ok;
    mc_logline ll = split_json(smtp_deferred, &scratch, &ok);
    ck_assert(ok);
    ck_assert_int_eq(ll.form, LOGLINE_JOURNAL);
    ck_assert_view(ll.host, "mx1");
    ck_assert_view(ll.program, "postfix/smtp");
    ck_assert_view(ll.pid, "7771");
    ck_assert(ll.time.valid);
    char t[64];
    mc_time_format(&ll.time, t, sizeof t);
    ck_assert_str_eq(t, "2026-11-23T11:52:06.123456Z");
    ck_assert(ll.message.n > 100);
    ck_assert(memcmp(ll.message.p, "03CC6104094: to=<yara.70@ratelimit.test>", 40) == 0);
    ck_assert(memcmp(ll.message.p + ll.message.n - 34, "(in reply to end of DATA command))", 34) == 0);

    /* Escapes are undone; the \u escape becomes UTF-8. */
    ll = split_json(smtpd_reject, &scratch, &ok);
    ck_assert(ok);
    ck_assert_view(ll.program, "postfix/submission/smtpd");
    const char *want = "NOQUEUE: reject: RCPT from unknown[192.0.2.67]: 550 5.1.1 "
                       "<\"j\xc3\xbcrgen\"\\x@example.org>: Recipient address rejected: User unknown in "
                       "virtual mailbox table;\tfrom=<a@b.example> to=<\"j\xc3\xbcrgen\"\\x@example.org> "
                       "proto=ESMTP helo=<client.example>";
    ck_assert_view(ll.message, want);

    /* Exim logging to syslog: the identifier is the program, _COMM is not. */
    ll = split_json(exim_deferred, &scratch, &ok);
    ck_assert(ok);
    ck_assert_view(ll.program, "exim");
    ck_assert_view(ll.host, "relay2");
    ck_assert_view(ll.pid, "31337");
    ck_assert(memcmp(ll.message.p, "1tAbCd-000Abc-Xy == bob@example.net", 35) == 0);
    mc_buf_free(&scratch);
}
END_TEST

START_TEST(test_fallbacks)
{
    mc_buf scratch = {0};
    bool ok;
    /* No SYSLOG_IDENTIFIER: _COMM; no SYSLOG_PID: _PID; a repeated field
     * (an array of strings) keeps its first value; surrogate pairs. */
    mc_logline ll = split_json("{\"MESSAGE\":[\"first \\ud83d\\udce7\",\"second\"],\"_COMM\":\"smtpd\","
                               "\"_PID\":\"42\",\"__REALTIME_TIMESTAMP\":\"0\"}",
                               &scratch, &ok);
    ck_assert(ok);
    ck_assert_view(ll.message, "first \xf0\x9f\x93\xa7");
    ck_assert_view(ll.program, "smtpd");
    ck_assert_view(ll.pid, "42");
    ck_assert_view(ll.host, NULL);
    ck_assert_int_eq(ll.time.year, 1970);
    ck_assert_str_eq(ll.time.zone, "Z");
    /* A lone surrogate is replaced, not passed on. */
    ll = split_json("{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":\"a\\ud800b\"}", &scratch, &ok);
    ck_assert(ok);
    ck_assert_view(ll.message, "a\xef\xbf\xbd" "b");
    ck_assert(!ll.time.valid);
    /* Without a scratch buffer a JSON line is not read at all. */
    mc_logline plain;
    ck_assert(!logline_split(mc_str_cstr(smtp_deferred), NULL, &plain));
    mc_buf_free(&scratch);
}
END_TEST

START_TEST(test_postfix_events)
{
    mc_event ev;
    ck_assert_int_eq(test_parse(smtp_deferred, &ev), PARSE_EVENT);
    ck_assert_view(ev.host, "mx1");
    ck_assert_view(ev.status, "deferred");
    ck_assert_str_eq(ev.code, "421");
    ck_assert_str_eq(ev.enhanced, "4.7.28");
    ck_assert_int_eq(ev.klass, CLASS_TRANSIENT);
    ck_assert_view(ev.queue_id, "03CC6104094");
    ck_assert_view(ev.recipient, "yara.70@ratelimit.test");
    ck_assert_str_eq(ev.stage, "end-of-data");
    ck_assert_str_eq(ev.time.zone, "Z");

    ck_assert_int_eq(test_parse(smtpd_reject, &ev), PARSE_EVENT);
    ck_assert_str_eq(ev.direction, "inbound");
    ck_assert_view(ev.status, "rejected");
    ck_assert_str_eq(ev.code, "550");
    ck_assert_str_eq(ev.enhanced, "5.1.1");
    ck_assert_int_eq(ev.klass, CLASS_PERMANENT);
    ck_assert_view(ev.client, "unknown[192.0.2.67]");

    /* A MESSAGE given as bytes (Latin-1 in the address) still parses; the
     * bytes that are not UTF-8 become '?' so nothing downstream sees them. */
    char *line = byte_array_line(bounce_latin1);
    ck_assert_int_eq(test_parse(line, &ev), PARSE_EVENT);
    ck_assert_view(ev.status, "bounced");
    ck_assert_str_eq(ev.code, "550");
    ck_assert_str_eq(ev.enhanced, "5.1.1");
    ck_assert_view(ev.recipient, "r?mi@example.fr");
    ck_assert(ev.hard);
    free(line);
}
END_TEST

START_TEST(test_exim_line)
{
    /* Whether an Exim line becomes an event depends on rules/mta/exim.conf;
     * the envelope must hand it over either way, and nothing may crash. */
    mc_event ev;
    mc_parse_result r = test_parse(exim_deferred, &ev);
    if (r == PARSE_EVENT) {
        ck_assert_str_eq(ev.mta, "exim");
        ck_assert_view(ev.host, "relay2");
        ck_assert_int_eq(ev.klass, CLASS_TRANSIENT);
    }
}
END_TEST

START_TEST(test_short_iso)
{
    /* journalctl -o short-iso and -o short-iso-precise */
    mc_event ev;
    ck_assert_int_eq(test_parse("2026-11-23T12:52:06+0100 mx postfix/smtp[7761]: F34FF10408E: "
                                "to=<quinn.35@alpha.test>, relay=127.0.0.2[127.0.0.2]:2525, delay=0.09, "
                                "delays=0.01/0.07/0.01/0, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued "
                                "as 5A000001)",
                                &ev),
                     PARSE_EVENT);
    ck_assert_str_eq(ev.time.zone, "+01:00");
    ck_assert_int_eq(ev.time.hour, 12);
    ck_assert_view(ev.host, "mx");
    ck_assert_int_eq(ev.klass, CLASS_SUCCESS);
    ck_assert_int_eq(test_parse("2026-11-23T12:52:06.654321+01:00 mx postfix/smtp[7757]: 056D6104096: "
                                "to=<hiro.3@refused.test>, relay=none, delay=0.13, "
                                "delays=0.01/0.13/0/0, dsn=4.4.1, status=deferred (connect to "
                                "127.0.0.40[127.0.0.40]:2599: Connection refused)",
                                &ev),
                     PARSE_EVENT);
    ck_assert_int_eq(ev.time.usec, 654321);
    ck_assert_int_eq(ev.klass, CLASS_TRANSIENT);
    /* journalctl's own banners are not log lines. */
    ck_assert_int_eq(test_parse("-- Boot 0f1e2d3c4b5a69788796a5b4c3d2e1f0 --", &ev), PARSE_NOTHING);
    ck_assert_int_eq(test_parse("-- No entries --", &ev), PARSE_NOTHING);
}
END_TEST

START_TEST(test_malformed)
{
    static const char *const bad[] = {
        "{\"MESSAGE\":\"status=sent (250 ok)\"",                                  /* unterminated */
        "{\"MESSAGE\":\"status=sent (250 ok)}",                                   /* open string */
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":null}",              /* over 4096 bytes */
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":12345678901234567}", /* not text */
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"_PID\":\"1\"}",                /* no MESSAGE */
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":\"bad \\q escape\"}",
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":\"bad \\u12G4 escape\"}",
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":\"raw \t control\"}",
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":[300,1,2]}",         /* not a byte */
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":[1,2,}",
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":\"x\"} trailing",
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\" \"MESSAGE\":\"x\"}",             /* no comma */
        "{\"SYSLOG_IDENTIFIER\" \"postfix/smtp\",\"MESSAGE\":\"x\"}",             /* no colon */
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":\"x\",}",
        "{\"MESSAGE\":\"no program at all, status=sent\"}",
        "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"X\":tru,\"MESSAGE\":\"x\"}",
        "{                                         }",
        "{\"__REALTIME_TIMESTAMP\":\"99999999999999999999999\",\"MESSAGE\":1}",
    };
    mc_buf scratch = {0};
    mc_event ev;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool ok;
        split_json(bad[i], &scratch, &ok);
        ck_assert_msg(!ok, "accepted: %s", bad[i]);
        ck_assert_int_ne(test_parse(bad[i], &ev), PARSE_EVENT);
    }
    /* Deep nesting is refused without recursing without bound. */
    mc_buf deep = {0};
    mc_buf_adds(&deep, "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"X\":");
    for (int i = 0; i < 100000; i++)
        mc_buf_addc(&deep, '[');
    mc_buf_adds(&deep, ",\"MESSAGE\":\"x\"}");
    bool ok;
    split_json(deep.data, &scratch, &ok);
    ck_assert(!ok);
    mc_buf_reset(&deep);
    mc_buf_adds(&deep, "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":");
    for (int i = 0; i < 100000; i++)
        mc_buf_addc(&deep, '[');
    split_json(deep.data, &scratch, &ok);
    ck_assert(!ok);
    /* A malformed line that looks like an outcome is counted, not lost. */
    ck_assert_int_eq(test_parse("{\"MESSAGE\":\"x: to=<a@b>, status=bounced (550 5.1.1 no)\"", &ev),
                     PARSE_UNRECOGNISED);
    mc_buf_free(&deep);
    mc_buf_free(&scratch);
}
END_TEST

START_TEST(test_scratch_reused)
{
    /* The buffer grows to the longest line once, then is only reused. */
    mc_buf scratch = {0};
    bool ok;
    split_json(smtp_deferred, &scratch, &ok);
    ck_assert(ok);
    char *data = scratch.data;
    size_t cap = scratch.cap;
    for (int i = 0; i < 1000; i++) {
        split_json(i % 2 ? smtp_deferred : smtpd_reject, &scratch, &ok);
        ck_assert(ok);
    }
    ck_assert_ptr_eq(scratch.data, data);
    ck_assert_uint_eq(scratch.cap, cap);
    mc_buf_free(&scratch);
}
END_TEST

START_TEST(test_cli_stream)
{
    /* journalctl -o json | mailcodes scan -: detected per line, mixed with
     * syslog lines in one stream, end to end through the binary. */
    char path[] = "/tmp/mailcodes-journal-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    char *latin = byte_array_line(bounce_latin1);
    fprintf(f, "%s\n%s\n%s\n{\"MESSAGE\":\"broken\n%s\n", smtp_deferred, smtpd_reject, latin,
            "Nov 23 12:52:06 mx postfix/smtp[7761]: F34FF10408E: to=<quinn.35@alpha.test>, "
            "relay=127.0.0.2[127.0.0.2]:2525, delay=0.09, delays=0.01/0.07/0.01/0, dsn=2.0.0, "
            "status=sent (250 2.0.0 Ok: queued as 5A000001)");
    fclose(f);
    free(latin);
    char cmd[512], *out = NULL, *report = NULL;
    snprintf(cmd, sizeof cmd, "%s scan - < %s", MC_BINARY, path);
    int rc = test_run(cmd, &out);
    snprintf(cmd, sizeof cmd, "%s report --format json --by status %s", MC_BINARY, path);
    int rrc = test_run(cmd, &report);
    unlink(path);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "\"time\": \"2026-11-23T11:52:06.123456Z\", \"host\": \"mx1\""));
    ck_assert_ptr_nonnull(strstr(out, "\"program\": \"postfix/submission/smtpd\""));
    ck_assert_ptr_nonnull(strstr(out, "\"status\": \"bounced\""));
    ck_assert_ptr_nonnull(strstr(out, "\"host\": \"mx\""));
    ck_assert_int_eq(rrc, 0);
    ck_assert_msg(strstr(report, "\"lines\": 5, \"events\": 4") != NULL, "%s", report);
    free(out);
    free(report);
}
END_TEST

static Suite *journal_suite(void)
{
    Suite *s = suite_create("journal");
    TCase *tc = tcase_create("journal");
    tcase_add_test(tc, test_envelope);
    tcase_add_test(tc, test_fallbacks);
    tcase_add_test(tc, test_postfix_events);
    tcase_add_test(tc, test_exim_line);
    tcase_add_test(tc, test_short_iso);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_scratch_reused);
    tcase_add_test(tc, test_cli_stream);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(journal_suite)
