/*
 * test_postfix.c - every Postfix line shape, taken verbatim from
 * tests/data, parsed into an event with exact expected fields.
 */
#include "testutil.h"

#define MTA_RUN "postfix/mta-run/maillog"
#define F2B "postfix/fail2ban-postfix.log"
#define KUMINA "postfix/kumina-postfix_exporter-test.log"
#define HSN "postfix/hsn723-postfix_exporter-test.log"
#define SAMPLE "postfix/pflogsumm-go-sample.log"
#define RFC3339 "postfix/pflogsumm-go-rfc3339.log"

typedef struct {
    const char *file, *fragment;
    const char *time, *direction, *status, *stage, *code, *enhanced, *klass;
    bool conflict, hard, inferred;
    const char *reason, *recipient, *domain, *relay, *client, *queue_id;
} shape;

static const shape shapes[] = {
    {MTA_RUN, "status=sent (250 2.0.0 Ok: queued as 5A000001)", "2026-11-23T12:52:06", "outbound",
     "sent", "end-of-data", "250", "2.0.0", "success", false, false, false, NULL,
     "quinn.35@alpha.test", "alpha.test", "127.0.0.2[127.0.0.2]:2525", NULL, "F34FF10408E"},
    /* multi-line reply joined on one line keeps its first code */
    {MTA_RUN, "yara.70@ratelimit.test", "2026-11-23T12:52:06", "outbound", "deferred", "end-of-data",
     "421", "4.7.28", "transient", false, false, false, "rate-limited", "yara.70@ratelimit.test",
     "ratelimit.test", "127.0.0.44[127.0.0.44]:2525", NULL, "03CC6104094"},
    {MTA_RUN, "blocked.emma.34@outlook.test", "2026-11-23T12:52:06", "outbound", "bounced", "rcpt",
     "550", "5.7.1", "permanent", false, false, false, "blocklisted", "blocked.emma.34@outlook.test",
     "outlook.test", "127.0.0.23[127.0.0.23]:2525", NULL, "F087510408B"},
    /* "refused to talk to me": the greeting */
    {MTA_RUN, "to=<yara.43@flaky.test>", "2026-11-23T12:52:06", "outbound", "deferred", "greeting",
     "421", "4.7.0", "transient", false, false, false, "too-many-connections", "yara.43@flaky.test",
     "flaky.test", "127.0.0.31[127.0.0.31]:2525", NULL, "0D3341040A9"},
    /* a 5xx greeting softened to deferred by smtp_skip_5xx_greeting */
    {MTA_RUN, "refused to talk to me: 521 5.3.2", NULL, "outbound", "deferred", "greeting", "521",
     "5.3.2", "permanent", false, false, false, NULL, NULL, NULL, NULL, NULL, NULL},
    {MTA_RUN, "to=<rosa.167@dropgreet.test>", "2026-11-23T12:52:16", "outbound", "deferred", "greeting",
     NULL, "4.4.2", "transient", false, false, false, "network", "rosa.167@dropgreet.test",
     "dropgreet.test", "127.0.0.34[127.0.0.34]:2525", NULL, "04F391040F2"},
    {MTA_RUN, "to=<hiro.3@refused.test>, relay=none, delay=0.13", "2026-11-23T12:52:06", "outbound",
     "deferred", "connect", NULL, "4.4.1", "transient", false, false, false, "network",
     "hiro.3@refused.test", "refused.test", "none", NULL, "056D6104096"},
    {MTA_RUN, "2CFAF1040C9: from=<staff07@bravo.test>, status=expired", "2026-11-23T12:54:13",
     "outbound", "expired", NULL, NULL, NULL, "permanent", false, false, false, NULL, NULL, NULL, NULL,
     NULL, "2CFAF1040C9"},
    /* postfix/error quoting an earlier reply */
    {MTA_RUN, "to=<ben.655@authfail.test>", "2026-11-23T12:52:56", "outbound", "deferred", "other",
     "535", "5.7.8", "permanent", false, false, false, "smtp-auth-failure", "ben.655@authfail.test",
     "authfail.test", "none", NULL, "25F3A104262"},
    /* class conflict: Postfix's dsn=4.0.0 hides the remote's 5.2.2 */
    {MTA_RUN, "to=<quota.wei.101@conflict.test>", "2026-11-23T12:52:06", "outbound", "deferred", "rcpt",
     "452", "5.2.2", "transient", true, false, false, "mailbox-full", "quota.wei.101@conflict.test",
     "conflict.test", "127.0.0.18[127.0.0.18]:2525", NULL, "05B9A104098"},
    /* no enhanced code in the reply: dsn= fills it */
    {MTA_RUN, "(250 ok 1700000000 qp 4242)", NULL, "outbound", "sent", "end-of-data", "250", "2.0.0",
     "success", false, false, false, NULL, NULL, NULL, NULL, NULL, NULL},
    {MTA_RUN, "said: 550 No such user here", NULL, "outbound", "bounced", "rcpt", "550", "5.0.0",
     "permanent", false, true, false, "user-unknown", NULL, NULL, NULL, NULL, NULL},
    {MTA_RUN, "to=<nora.66@nxdomain.test>", "2026-11-23T12:52:06", "outbound", "bounced", NULL, NULL,
     "5.1.2", "permanent", false, true, false, "domain-not-found", "nora.66@nxdomain.test",
     "nxdomain.test", "none", NULL, "804721040AA"},
    {MTA_RUN, "to=<archive@mx.mailcodes.test>", "2026-11-23T12:52:06", "outbound", "sent", NULL, NULL,
     "2.0.0", "success", false, false, false, NULL, "archive@mx.mailcodes.test", "mx.mailcodes.test",
     "local", NULL, "095371040A3"},
    {MTA_RUN, "lost connection with 127.0.0.45[127.0.0.45] while sending end of data", NULL,
     "outbound", "deferred", "end-of-data", NULL, "4.4.2", "transient", false, false, false, "network",
     NULL, NULL, NULL, NULL, NULL},
    /* inbound: smtpd, postscreen, cleanup */
    {MTA_RUN, "F25CD10408D: reject: DATA", "2026-11-23T12:52:05", "inbound", "rejected", "data", "503",
     "5.5.0", "permanent", false, false, false, "syntax-error", "www-data@mx.mailcodes.test",
     "mx.mailcodes.test", NULL, "unknown[127.0.0.65]", "F25CD10408D"},
    {MTA_RUN, "reject: RCPT from [127.0.0.70]:48355", "2026-11-23T12:52:08", "inbound", "rejected",
     "rcpt", "550", "5.3.2", "permanent", false, false, false, NULL, "www-data@mx.mailcodes.test",
     "mx.mailcodes.test", NULL, "[127.0.0.70]:48355", NULL},
    {MTA_RUN, "reject: header Subject: Cheap VIAGRA", "2026-11-23T12:52:06", "inbound", "rejected",
     "end-of-data", "550", "5.7.1", "permanent", false, false, true, "spam-content",
     "support@mx.mailcodes.test", "mx.mailcodes.test", NULL, "unknown[127.0.0.65]", "43EA31040B0"},
    {MTA_RUN, "reject: CONNECT from unknown[127.0.0.67]", NULL, "inbound", "rejected", "connect", "450",
     "4.7.1", "transient", false, false, false, "rate-limited", NULL, NULL, NULL, "unknown[127.0.0.67]",
     NULL},
    {MTA_RUN, "reject: EHLO from unknown[127.0.0.62]", NULL, "inbound", "rejected", "helo", "501",
     "5.5.2", "permanent", false, false, false, "syntax-error", NULL, NULL, NULL, "unknown[127.0.0.62]",
     NULL},
    {F2B, "Relay access denied; from=<john@example.com>", "2026-07-12T07:47:48", "inbound", "rejected",
     "rcpt", "554", "5.7.1", "permanent", false, false, false, "relay-denied", "smtp@example.org",
     "example.org", NULL, "1-2-3-4-example.com[1.2.3.4]", NULL},
    {F2B, "milter-reject: DATA from 66-220-155-151", "2026-03-07T02:09:33", "inbound", "rejected", "data",
     "550", "5.7.1", "permanent", false, false, false, "policy-rejected", "hostmaster@example.com",
     "example.com", NULL, "66-220-155-151.mail-mail.facebook.com[192.0.2.151]", "1D8CC1CA0A7F"},
    /* multi-instance name and BDAT */
    {F2B, "postfix-smo/submission/smtpd", "2026-03-11T23:27:54", "inbound", "rejected", "data", "550",
     "5.5.3", "permanent", false, false, false, NULL, "some@example.com", "example.com", NULL,
     "signing-milter.example.com[192.0.2.109]", "44JCRG5tYPzCqt2"},
    {F2B, "VRFY from 72-53", NULL, "inbound", "rejected", "other", "550", "5.1.1", "permanent", false,
     true, false, "user-unknown", NULL, NULL, NULL, "72-53-132-234.cpe.distributel.net[72.53.132.234]",
     NULL},
    /* December seen on 23 November 2026 belongs to 2025 */
    {F2B, "Dec 21 21:17:29 xxx", "2025-12-21T21:17:29", "inbound", "rejected", "rcpt", "450", "4.7.1",
     "transient", false, false, false, "reverse-dns", "goodguy@example.com", "example.com", NULL,
     "badserver.example.com[93.184.216.34]", NULL},
    {KUMINA, "status=force-expired", NULL, "outbound", "expired", NULL, NULL, NULL, "permanent", false,
     false, false, NULL, NULL, NULL, NULL, NULL, "BACE842E73"},
    {KUMINA, "status=sent (delivered to maildir)", NULL, "outbound", "sent", NULL, NULL, "2.0.0",
     "success", false, false, false, NULL, "me@domain.fr", "domain.fr", "virtual", NULL, "199041033BE"},
    {KUMINA, "554 DT:SPM 163 mx9", NULL, "outbound", "bounced", "end-of-data", "554", "5.0.0",
     "permanent", false, false, false, "spam-content", "redacted@domain.com", "domain.com",
     "mail.domain.com[1.1.1.1]:25", NULL, "732BB407C3"},
    /* postscreen CONNECT reject: no code in the log, 421 on the wire */
    {HSN, "all server ports busy", NULL, "inbound", "rejected", "connect", "421", NULL, "transient",
     false, false, true, NULL, NULL, NULL, NULL, "[1.2.3.4]:5678", NULL},
    {HSN, "blocked using zen.spamhaus.org", NULL, "inbound", "rejected", "rcpt", "550", "5.7.1",
     "permanent", false, false, false, "blocklisted", "c@d.com", "d.com", NULL, "[1.2.3.4]:5678", NULL},
    {SAMPLE, "User unknown", NULL, "outbound", "bounced", NULL, "550", "5.1.1", "permanent", false, true,
     false, "user-unknown", NULL, NULL, NULL, NULL, NULL},
    {RFC3339, "status=sent (250 OK)", "2024-03-22T08:00:03.000000+00:00", "outbound", "sent",
     "end-of-data", "250", "2.0.0", "success", false, false, false, NULL,
     "recipient1@recipient.example.com", "recipient.example.com", "mx.recipient.example.com[10.0.0.1]:25",
     NULL, "ABCDE12345"},
};

START_TEST(test_shape)
{
    const shape *s = &shapes[_i];
    char *line = test_corpus_line(s->file, s->fragment);
    mc_event ev;
    ck_assert_msg(test_parse(line, &ev) == PARSE_EVENT, "no event from: %s", line);
    char t[64];
    mc_time_format(&ev.time, t, sizeof t);
    if (s->time)
        ck_assert_str_eq(t, s->time);
    ck_assert_str_eq(ev.mta, "postfix");
    ck_assert_str_eq(ev.direction, s->direction);
    ck_assert_view(ev.status, s->status);
    ck_assert_cstr_or_null(ev.stage, s->stage);
    ck_assert_cstr_or_null(ev.code, s->code);
    ck_assert_cstr_or_null(ev.enhanced, s->enhanced);
    ck_assert_str_eq(mc_class_name(ev.klass), s->klass);
    ck_assert_int_eq(ev.conflict, s->conflict);
    ck_assert_int_eq(ev.hard, s->hard);
    ck_assert_int_eq(ev.inferred, s->inferred);
    if (s->reason)
        ck_assert_cstr_or_null(ev.reason, s->reason);
    if (s->recipient) {
        ck_assert_view(ev.recipient, s->recipient);
        ck_assert_str_eq(ev.domain, s->domain);
    }
    if (s->relay)
        ck_assert_view(ev.relay, s->relay);
    if (s->client)
        ck_assert_view(ev.client, s->client);
    if (s->queue_id)
        ck_assert_view(ev.queue_id, s->queue_id);
    free(line);
}
END_TEST

/* Lines that are not outcomes give no event and are not unrecognised. */
START_TEST(test_not_outcomes)
{
    static const char *const fragments[] = {
        "connect from unknown[127.0.0.65]",
        "F087510408B: client=unknown[127.0.0.1]",
        "message-id=<28.postfix@mailcodes-gen.test>",
        "nrcpt=1 (queue active)",
        "improper command pipelining after HELO",
        "daemon started -- version 3.7.11",
    };
    for (size_t i = 0; i < sizeof fragments / sizeof fragments[0]; i++) {
        char *line = test_corpus_line(MTA_RUN, fragments[i]);
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_NOTHING, "unexpected result for: %s", line);
        free(line);
    }
    /* smtp(8) reporting one MX's refusal before trying the next */
    char *line = test_corpus_line(KUMINA, "732BB407C3: host mail.domain.com[1.1.1.1] said: 451");
    mc_event ev;
    ck_assert_int_eq(test_parse(line, &ev), PARSE_NOTHING);
    free(line);
}
END_TEST

/* Outcome-looking lines no rule understands are counted, not dropped. */
START_TEST(test_unrecognised)
{
    mc_event ev;
    char *line = test_corpus_line("postfix/sergeymakinen-postfix_exporter-mail.log", "said: 12 Malformed");
    ck_assert_int_eq(test_parse(line, &ev), PARSE_UNRECOGNISED);
    free(line);
    line = test_corpus_line("postfix/sergeymakinen-postfix_exporter-mail.log", "NOQUEUE: reject: Unsupported");
    ck_assert_int_eq(test_parse(line, &ev), PARSE_UNRECOGNISED);
    free(line);
}
END_TEST

/* Message bodies from the grok corpus, behind a syslog prefix. */
START_TEST(test_grok_messages)
{
    static const struct {
        const char *program, *fragment, *status, *code, *enhanced, *recipient;
    } cases[] = {
        {"postfix/lmtp", "relay=127.0.0.1[127.0.0.1]:2525", "sent", "250", "2.0.0", "admin@example.com"},
        {"postfix/local", "orig_to=root@localhost", "sent", NULL, "2.0.0", "user@hostname.example.com"},
        {"postfix/local", "unknown user: \"ghdsgfhdslfh\"", "bounced", NULL, "5.1.1", "ghdsgfhdslfh@localhost"},
        {"postfix/pipe", "mail forwarding loop", "bounced", NULL, "5.4.6", "tom@example.com"},
        {"postfix/error", "while sending RCPT TO)", "deferred", NULL, "4.4.2", "user@yahoo.com"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *msg = test_corpus_line("postfix/postfix-grok-patterns-messages.tsv", cases[i].fragment);
        const char *tab = strrchr(msg, '\t');
        char line[2048];
        snprintf(line, sizeof line, "Nov 23 07:00:01 mx %s[123]: %s", cases[i].program, tab ? tab + 1 : msg);
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_EVENT, "no event: %s", line);
        ck_assert_view(ev.status, cases[i].status);
        ck_assert_cstr_or_null(ev.code, cases[i].code);
        ck_assert_cstr_or_null(ev.enhanced, cases[i].enhanced);
        ck_assert_view(ev.recipient, cases[i].recipient);
        free(msg);
    }
    /* verify(8) probes are not deliveries */
    char *msg = test_corpus_line("postfix/postfix-grok-patterns-messages.tsv", "undeliverable-but-not-cached");
    char line[2048];
    snprintf(line, sizeof line, "Nov 23 07:00:01 mx postfix/virtual[1]: %s", strrchr(msg, '\t') + 1);
    mc_event ev;
    ck_assert_int_eq(test_parse(line, &ev), PARSE_NOTHING);
    free(msg);
}
END_TEST

/* The same message in the three syslog envelopes gives the same event. */
START_TEST(test_envelopes)
{
    const char *msg = "F34FF10408E: to=<quinn.35@alpha.test>, relay=127.0.0.2[127.0.0.2]:2525, delay=0.09, "
                      "delays=0.01/0.07/0.01/0, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 5A000001)";
    const char *prefixes[] = {
        "Nov 23 12:52:06 mx postfix/smtp[7761]: ",
        "2026-11-23T12:52:06.123456+01:00 mx postfix/smtp[7761]: ",
        "2026-11-23T12:52:06Z mx postfix/smtp[7761]: ",
        "2026-11-23T12:52:06.5+0100 mx postfix/smtp[7761]: ",
        "<22>1 2026-11-23T12:52:06Z mx postfix/smtp 7761 - - ",
        "<22>Nov 23 12:52:06 mx postfix/smtp[7761]: ",
    };
    const char *times[] = {"2026-11-23T12:52:06", "2026-11-23T12:52:06.123456+01:00", "2026-11-23T12:52:06Z",
                           "2026-11-23T12:52:06.500000+01:00", "2026-11-23T12:52:06Z", "2026-11-23T12:52:06"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        char line[1024];
        snprintf(line, sizeof line, "%s%s", prefixes[i], msg);
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_EVENT, "no event: %s", line);
        char t[64];
        mc_time_format(&ev.time, t, sizeof t);
        ck_assert_str_eq(t, times[i]);
        ck_assert_view(ev.host, "mx");
        ck_assert_str_eq(ev.code, "250");
    }
}
END_TEST

static Suite *postfix_suite(void)
{
    Suite *s = suite_create("postfix");
    TCase *tc = tcase_create("shapes");
    tcase_add_loop_test(tc, test_shape, 0, (int)(sizeof shapes / sizeof shapes[0]));
    tcase_add_test(tc, test_not_outcomes);
    tcase_add_test(tc, test_unrecognised);
    tcase_add_test(tc, test_grok_messages);
    tcase_add_test(tc, test_envelopes);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(postfix_suite)
