/*
 * test_postfix.c - every Postfix line shape, taken verbatim from
 * tests/data (public posts in postfix-public, a real Postfix run in
 * postfix-gen; each origin in a SOURCES.md or README), parsed into an event
 * with exact expected fields read off the line itself.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>

#include "reasoncache.h"

#define MTA_RUN "postfix/mta-run/maillog"
#define F2B "postfix/fail2ban-postfix.log"
#define KUMINA "postfix/kumina-postfix_exporter-test.log"
#define HSN "postfix/hsn723-postfix_exporter-test.log"
#define SAMPLE "postfix/pflogsumm-go-sample.log"
#define RFC3339 "postfix/pflogsumm-go-rfc3339.log"
#define PUBLIC "postfix-public/public.log"
/* A real Postfix 3.7 run against misbehaving servers (tests/postfix-gen);
 * its dates lie after the tests' "today", so their year is not checked. */
#define GEN "postfix-gen/maillog"

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
     "421", "4.7.28", "transient", false, false, false, "bad-reputation", "yara.70@ratelimit.test",
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
    /* postfix/local: our own delivery on this host */
    {MTA_RUN, "to=<archive@mx.mailcodes.test>", "2026-11-23T12:52:06", "local", "sent", NULL, NULL,
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
    /* postfix/virtual: our own delivery on this host */
    {KUMINA, "status=sent (delivered to maildir)", NULL, "local", "sent", NULL, NULL, "2.0.0",
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
    /* Public posts.  postfix/error: a TLS enforcement failure quoted from
     * an earlier attempt; no code, the TLS step is part of the EHLO stage */
    {PUBLIC, "987D910A524: to=<XXXXXX@tin.it>", "2026-04-16T20:52:03", "outbound", "deferred", "helo",
     NULL, "4.7.4", "transient", false, false, false, NULL, "XXXXXX@tin.it", "tin.it", "none", NULL,
     "987D910A524"},
    {PUBLIC, "7356ABD12E: to=<emailaddress@hotmail.com>", "2026-10-11T03:58:22", "outbound", "deferred",
     "helo", NULL, "4.7.4", "transient", false, false, false, NULL, "emailaddress@hotmail.com",
     "hotmail.com", "hotmail-com.olc.protection.outlook.com[104.47.2.33]:25", NULL, "7356ABD12E"},
    /* postfix/error with no SMTP session at all: no stage, no code */
    {PUBLIC, "(mail transport unavailable)", "2024-04-25T22:16:21.664823+02:00", "outbound", "deferred",
     NULL, NULL, "4.3.0", "transient", false, false, false, NULL, "all@remote", "remote", "none", NULL,
     "B5D7A1858"},
    {PUBLIC, "C6A71AA050F: to=<guillermina", "2026-04-21T08:45:24", "outbound", "deferred", NULL, NULL,
     "4.4.3", "transient", false, false, false, NULL, "guillermina.alcibar.sanchez@correo.cjf.gob.mx",
     "correo.cjf.gob.mx", "none", NULL, "C6A71AA050F"},
    /* lost connection: an outcome without a code, its stage from the text */
    {PUBLIC, "while sending end of data -- message may be sent more than once",
     "2017-11-20T23:33:33.470014+00:00", "outbound", "deferred", "end-of-data", NULL, "4.4.2", "transient",
     false, false, false, NULL, "xxx.xxxx@tiscali.it", "tiscali.it", "etb-3.mail.tiscali.it[213.205.33.64]:25",
     NULL, "84FC51F660C"},
    {PUBLIC, "orig_to=<root>, relay=none", "2026-11-03T18:06:25", "outbound", "deferred", "connect", NULL,
     "4.4.1", "transient", false, false, false, NULL, "root@mail.mydomain.com", "mail.mydomain.com", "none",
     NULL, "81571C2D"},
    {PUBLIC, "14BA03C35EC: to=<receipient@otherdomain.com>", "2026-09-07T15:12:53", "outbound", "deferred",
     "end-of-data", "451", "4.7.1", "transient", false, false, false, NULL, "receipient@otherdomain.com",
     "otherdomain.com", "::1[::1]:10026", NULL, "14BA03C35EC"},
    /* postscreen after a DNSBL rank: the reject carries the code */
    {PUBLIC, "NOQUEUE: reject: RCPT from [X]:17308", "2026-03-02T19:25:35", "inbound", "rejected", "rcpt",
     "550", "5.7.1", "permanent", false, false, false, "blocklisted", "my@address.snip", "address.snip",
     NULL, "[X]:17308", NULL},
    {PUBLIC, "blocked using truncate.gbudb.net", "2026-07-07T13:42:53", "inbound", "rejected", "rcpt", "554",
     "5.7.1", "permanent", false, false, false, "blocklisted", "email@address", "address", NULL,
     "ip87-106-67-224.pbiaas.com[87.106.67.224]", NULL},
    /* milter-reject at CONNECT, EHLO and MAIL, from a second smtpd instance */
    {PUBLIC, "milter-reject: CONNECT from ip6-localhost", "2026-09-07T15:12:53", "inbound", "rejected",
     "connect", "451", "4.7.1", "transient", false, false, false, NULL, NULL, NULL, NULL,
     "ip6-localhost[::1]", NULL},
    {PUBLIC, "milter-reject: EHLO from ip6-localhost", "2026-09-07T15:12:53", "inbound", "rejected", "helo",
     "451", "4.7.1", "transient", false, false, false, NULL, NULL, NULL, NULL, "ip6-localhost[::1]", NULL},
    {PUBLIC, "milter-reject: MAIL from ip6-localhost", "2026-09-07T15:12:53", "inbound", "rejected", "mail",
     "451", "4.7.1", "transient", false, false, false, NULL, NULL, NULL, NULL, "ip6-localhost[::1]", NULL},
    {PUBLIC, "milter-reject: MAIL from unknown[114.251.93.36]:34032", "2026-11-03T09:23:28", "inbound",
     "rejected", "mail", "553", "5.7.1", "permanent", false, false, false, NULL, NULL, NULL, NULL,
     "unknown[114.251.93.36]:34032", NULL},
    /* discard(8): "delivered" by throwing the message away */
    /* Generated: TLS enforcement, at the encrypt and at the verify level */
    {GEN, "to=<ben@tlsreq.test>", NULL, "outbound", "deferred", "helo", NULL, "4.7.4", "transient", false,
     false, false, NULL, "ben@tlsreq.test", "tlsreq.test", "127.0.0.1[127.0.0.1]:3426", NULL, "643ACA767F1"},
    {GEN, "to=<dan@certfail.test>", NULL, "outbound", "deferred", "helo", NULL, "4.7.5", "transient", false,
     false, false, NULL, "dan@certfail.test", "certfail.test", "127.0.0.1[127.0.0.1]:3427", NULL,
     "838A1A767F3"},
    /* the server hanging up or going silent: no code, the stage from the text */
    {GEN, "to=<eva@lostrcpt.test>", NULL, "outbound", "deferred", "rcpt", NULL, "4.4.2", "transient", false,
     false, false, NULL, "eva@lostrcpt.test", "lostrcpt.test", "127.0.0.1[127.0.0.1]:3428", NULL,
     "A0401A767F5"},
    {GEN, "to=<gus@lostdata.test>", NULL, "outbound", "deferred", "data", NULL, "4.4.2", "transient", false,
     false, false, NULL, "gus@lostdata.test", "lostdata.test", "127.0.0.1[127.0.0.1]:3429", NULL,
     "BD3C7A767F8"},
    {GEN, "to=<hana@stallmail.test>", NULL, "outbound", "deferred", "mail", NULL, "4.4.2", "transient", false,
     false, false, NULL, "hana@stallmail.test", "stallmail.test", "127.0.0.1[127.0.0.1]:3430", NULL,
     "CEB65A767F9"},
    {GEN, "to=<ivo@stalleod.test>", NULL, "outbound", "deferred", "end-of-data", NULL, "4.4.2", "transient",
     false, false, false, NULL, "ivo@stalleod.test", "stalleod.test", "127.0.0.1[127.0.0.1]:3431", NULL,
     "DB318A767FA"},
    /* discard(8), and retry: and error: transports (master.cf runs both as
     * error(8), so both log as postfix/error) */
    {GEN, "to=<jo@discard.test>", NULL, "outbound", "sent", NULL, NULL, "2.0.0", "success", false, false,
     false, NULL, "jo@discard.test", "discard.test", "none", NULL, "EBEAAA767FB"},
    {GEN, "to=<mia@retry.test>", NULL, "outbound", "deferred", NULL, NULL, "4.4.1", "transient", false, false,
     false, NULL, "mia@retry.test", "retry.test", "none", NULL, "76031A76803"},
    {GEN, "to=<ned@error.test>", NULL, "outbound", "bounced", NULL, NULL, "5.1.1", "permanent", false, true,
     false, NULL, "ned@error.test", "error.test", "none", NULL, "7E87BA767FE"},
    /* smtpd refusing those destinations at RCPT TO; postscreen after PREGREET */
    {GEN, "450 4.4.1 <kim@retry.test>", NULL, "inbound", "rejected", "rcpt", "450", "4.4.1", "transient", false,
     false, false, NULL, "kim@retry.test", "retry.test", NULL, "localhost[127.0.0.1]", NULL},
    {GEN, "550 5.1.1 <lea@error.test>", NULL, "inbound", "rejected", "rcpt", "550", "5.1.1", "permanent", false,
     true, false, NULL, "lea@error.test", "error.test", NULL, "localhost[127.0.0.1]", NULL},
    {GEN, "550 5.5.1 Protocol error", NULL, "inbound", "rejected", "rcpt", "550", "5.5.1", "permanent", false,
     false, false, NULL, "victim@ok.test", "ok.test", NULL, "[127.0.0.1]:32856", NULL},
    {PUBLIC, "9FA7140BE989: to=<HDYAVORGEDQZ@source.com>", "2026-04-01T15:32:46", "outbound", "sent", NULL,
     NULL, "2.0.0", "success", false, false, false, NULL, "HDYAVORGEDQZ@source.com", "source.com", "none",
     NULL, "9FA7140BE989"},
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

/* Each line of a tests/data file found by the fragments is not an outcome
 * and not unrecognised either. */
static void expect_nothing(const char *rel, const char *const *fragments, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *line = test_corpus_line(rel, fragments[i]);
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_NOTHING, "not PARSE_NOTHING: %s", line);
        free(line);
    }
}

/* scan over a whole tests/data file finds `events` events and writes no
 * unrecognised line. */
static void expect_scan(const char *rel, int events)
{
    char *path = test_corpus_path(rel), *out = NULL, want[32];
    ck_assert_int_eq(test_runf(&out, "%s scan --unrecognised /dev/stderr %s 2>&1 >/dev/null | wc -l; "
                                     "%s scan %s | wc -l", MC_BINARY, path, MC_BINARY, path), 0);
    snprintf(want, sizeof want, "0\n%d\n", events);
    ck_assert_str_eq(out, want);
    free(out);
    free(path);
}

/* Public lines that are not outcomes: postscreen's verdict steps (the
 * reject, if any, is its own line), smtpd -v internals that happen to say
 * "status=", smtp(8)'s timeout notice (the status= line follows) and
 * bounce(8)'s notification (the bounced delivery was already counted). */
START_TEST(test_public_not_outcomes)
{
    static const char *const fragments[] = {
        "DNSBL rank 6 for [X]:17308",
        "PREGREET 11 after 0.04",
        "DNSBL rank 3 for",
        "generic_checks: name=reject_unknown_reverse_client_hostname status=0",
        "generic_checks: name=permit_mynetworks status=0",
        "generic_checks: name=permit status=1",
        "conversation with smtp.gmail.com[209.85.201.111] timed out while sending RCPT TO",
        "sender non-delivery notification: CF4D22032",
    };
    expect_nothing("postfix-public/public.log", fragments, sizeof fragments / sizeof fragments[0]);
}
END_TEST

/* The generated log: postscreen's PREGREET and bounce(8)'s notification
 * are not outcomes; the 49 lines with status= or reject: are 49 events
 * (grep -c 'status=\|reject:'), none unrecognised. */
START_TEST(test_generated_log)
{
    static const char *const fragments[] = {"PREGREET 17 after 0", "sender non-delivery notification: 6A1DCA76816"};
    expect_nothing("postfix-gen/maillog", fragments, sizeof fragments / sizeof fragments[0]);
    expect_scan("postfix-gen/maillog", 49);
}
END_TEST

/* The sender of a MAIL-stage milter reject, and the instance that wrote it. */
START_TEST(test_public_milter_sender)
{
    mc_event ev;
    char *line = test_corpus_line("postfix-public/public.log", "milter-reject: MAIL from ip6-localhost");
    ck_assert_int_eq(test_parse(line, &ev), PARSE_EVENT);
    ck_assert_view(ev.sender, "sender@mydomain.com");
    ck_assert_view(ev.program, "postfix/dkimmilter/smtpd");
    free(line);
    line = test_corpus_line("postfix-public/public.log", "milter-reject: MAIL from unknown[114.251.93.36]");
    ck_assert_int_eq(test_parse(line, &ev), PARSE_EVENT);
    ck_assert_view(ev.sender, "gulw@ydamc.com");
    free(line);
}
END_TEST

/* Multi-instance names (postmulti, master.cf -o syslog_name=...): the same
 * public line under other program names gives the same event. */
START_TEST(test_instance_names)
{
    static const struct {
        const char *fragment, *daemon, *program, *status, *code, *recipient;
    } cases[] = {
        {"7356ABD12E: to=<emailaddress@hotmail.com>", "postfix/smtp", "postfix-out/smtp", "deferred", NULL,
         "emailaddress@hotmail.com"},
        {"7356ABD12E: to=<emailaddress@hotmail.com>", "postfix/smtp", "postfix/10025/smtp", "deferred", NULL,
         "emailaddress@hotmail.com"},
        {"blocked using truncate.gbudb.net", "postfix/smtpd", "postfix/10025/smtpd", "rejected", "554",
         "email@address"},
        {"blocked using truncate.gbudb.net", "postfix/smtpd", "postfix-in/submission/smtpd", "rejected", "554",
         "email@address"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *orig = test_corpus_line("postfix-public/public.log", cases[i].fragment);
        char *at = strstr(orig, cases[i].daemon);
        ck_assert_ptr_nonnull(at);
        char line[2048];
        snprintf(line, sizeof line, "%.*s%s%s", (int)(at - orig), orig, cases[i].program,
                 at + strlen(cases[i].daemon));
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_EVENT, "no event: %s", line);
        ck_assert_view(ev.program, cases[i].program);
        ck_assert_view(ev.status, cases[i].status);
        ck_assert_cstr_or_null(ev.code, cases[i].code);
        ck_assert_view(ev.recipient, cases[i].recipient);
        free(orig);
    }
}
END_TEST

/* The whole public file through scan: 14 outcome lines, 8 others, nothing
 * unrecognised (a bounce notification is not a second outcome). */
START_TEST(test_public_file_counts)
{
    expect_scan("postfix-public/public.log", 14);
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
        const char *program, *fragment, *status, *stage, *code, *enhanced, *recipient;
    } cases[] = {
        {"postfix/lmtp", "relay=127.0.0.1[127.0.0.1]:2525", "sent", "end-of-data", "250", "2.0.0",
         "admin@example.com"},
        {"postfix/local", "orig_to=root@localhost", "sent", NULL, NULL, "2.0.0", "user@hostname.example.com"},
        {"postfix/local", "unknown user: \"ghdsgfhdslfh\"", "bounced", NULL, NULL, "5.1.1",
         "ghdsgfhdslfh@localhost"},
        {"postfix/pipe", "mail forwarding loop", "bounced", NULL, NULL, "5.4.6", "tom@example.com"},
        {"postfix/error", "while sending RCPT TO)", "deferred", "rcpt", NULL, "4.4.2", "user@yahoo.com"},
        /* milter-reject at RCPT TO (smtpd) and END-OF-MESSAGE (cleanup,
         * which logs only the enhanced code: 550 is inferred) */
        {"postfix/smtpd", "milter-reject: RCPT from mailrelay", "rejected", "rcpt", "451", "4.7.1",
         "example@example.org"},
        {"postfix/cleanup", "milter-reject: END-OF-MESSAGE", "rejected", "end-of-data", "550", "5.7.1",
         "voorzitter@example.com"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *msg = test_corpus_line("postfix/postfix-grok-patterns-messages.tsv", cases[i].fragment);
        const char *tab = strrchr(msg, '\t');
        char line[2048];
        snprintf(line, sizeof line, "Nov 23 07:00:01 mx %s[123]: %s", cases[i].program, tab ? tab + 1 : msg);
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_EVENT, "no event: %s", line);
        ck_assert_view(ev.status, cases[i].status);
        ck_assert_cstr_or_null(ev.stage, cases[i].stage);
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

/* Two views of one event field are the same as its readers see them: null
 * or not, and the same bytes. */
static bool same_view(mc_str a, mc_str b)
{
    return (a.p == NULL) == (b.p == NULL) && a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Two optional C strings are equal (both NULL, or the same text). */
static bool same_cstr(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Fails unless a and b are the same to every reader of an event: each field
 * as its readers take it (views by bytes, arrays as strings, the time by
 * its fields) and the scan's JSON, which writes every field. */
static void expect_same_event(const mc_event *a, const mc_event *b, const char *line)
{
    ck_assert_msg(a->time.year == b->time.year && a->time.month == b->time.month && a->time.day == b->time.day &&
                      a->time.hour == b->time.hour && a->time.min == b->time.min && a->time.sec == b->time.sec &&
                      a->time.usec == b->time.usec && a->time.valid == b->time.valid &&
                      strcmp(a->time.zone, b->time.zone) == 0,
                  "time differs: %s", line);
#define SAME_VIEW(f) ck_assert_msg(same_view(a->f, b->f), #f " differs: %s", line)
    SAME_VIEW(host), SAME_VIEW(program), SAME_VIEW(status), SAME_VIEW(queue_id);
    SAME_VIEW(sender), SAME_VIEW(reason_detail), SAME_VIEW(recipient), SAME_VIEW(relay);
    SAME_VIEW(client), SAME_VIEW(text), SAME_VIEW(reply), SAME_VIEW(sent);
    SAME_VIEW(dsn), SAME_VIEW(delay), SAME_VIEW(delays), SAME_VIEW(transfer);
#undef SAME_VIEW
    ck_assert_msg(same_cstr(a->stage, b->stage) && same_cstr(a->mta, b->mta) &&
                      same_cstr(a->direction, b->direction) && same_cstr(a->reason, b->reason),
                  "a name differs: %s", line);
    ck_assert_msg(strcmp(a->code, b->code) == 0 && strcmp(a->enhanced, b->enhanced) == 0 &&
                      strcmp(a->domain, b->domain) == 0 && strcmp(a->sender_domain, b->sender_domain) == 0,
                  "a code or domain differs: %s", line);
    ck_assert_msg(a->klass == b->klass && a->conflict == b->conflict && a->hard == b->hard &&
                      a->inferred == b->inferred,
                  "class or a flag differs: %s", line);
    char *ja = NULL, *jb = NULL;
    size_t na = 0, nb = 0;
    FILE *fa = open_memstream(&ja, &na), *fb = open_memstream(&jb, &nb);
    ck_assert(fa != NULL && fb != NULL);
    mc_event_json(fa, a);
    mc_event_json(fb, b);
    fclose(fa);
    fclose(fb);
    ck_assert_msg(na == nb && memcmp(ja, jb, na) == 0, "JSON differs: %s\n%s\n%s", line, ja, jb);
    free(ja);
    free(jb);
}

/* Every line of a file through two parsers, one writing into a zeroed
 * event, the other into one filled with a poison byte: the events must be
 * the same to every reader, parsed and classified (the parser must set or
 * clear every field itself).  Returns the events seen. */
static size_t poison_file(const char *path)
{
    static mc_parser clean, poisoned;
    static mc_reason_cache *clean_cache, *poisoned_cache;
    const mc_rules *rules = test_rules();
    parser_init(&clean, &rules->parse);
    parser_init(&poisoned, &rules->parse);
    clean_cache = reason_cache_new(&rules->reasons);
    poisoned_cache = reason_cache_new(&rules->reasons);
    year_ctx_init(&clean.years, 2026, 11, 23);
    year_ctx_init(&poisoned.years, 2026, 11, 23);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s", path);
    char *line = NULL;
    size_t cap = 0, events = 0;
    ssize_t n;
    mc_event *a = mc_xmalloc(sizeof *a), *b = mc_xmalloc(sizeof *b);
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        memset(a, 0, sizeof *a);
        memset(b, 0xA5, sizeof *b);
        mc_parse_result ra = parser_line(&clean, mc_str_make(line, (size_t)n), a);
        mc_parse_result rb = parser_line(&poisoned, mc_str_make(line, (size_t)n), b);
        ck_assert_msg(ra == rb, "results differ: %s", line);
        if (ra != PARSE_EVENT)
            continue;
        events++;
        expect_same_event(a, b, line);
        classify_event(&rules->knowledge, &rules->reasons, &clean.matcher, clean_cache, a);
        classify_event(&rules->knowledge, &rules->reasons, &poisoned.matcher, poisoned_cache, b);
        expect_same_event(a, b, line);
    }
    free(a);
    free(b);
    free(line);
    fclose(f);
    reason_cache_free(clean_cache);
    reason_cache_free(poisoned_cache);
    parser_free(&clean);
    parser_free(&poisoned);
    return events;
}

/* The parser sets or clears every field of an event it builds, whatever the
 * event held before (parse_message clears only what build_event may leave):
 * real Postfix and Exim logs, and Postfix lines in every wrapper. */
START_TEST(test_event_poison)
{
    static const char *const files[] = {
        MTA_RUN, GEN, PUBLIC, F2B, KUMINA, HSN, SAMPLE, RFC3339,
        "exim/fail2ban-exim.log", "exim/fail2ban-exim-spam.log",
        "envelopes/compose.log", "envelopes/cri.log", "envelopes/docker-json.log",
        "envelopes/shippers.log", "envelopes/tai64n.log",
    };
    size_t events = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path = test_corpus_path(files[i]);
        events += poison_file(path);
        free(path);
    }
    /* Exim's own test suite logs: one file per test. */
    char *dir = test_corpus_path("exim/exim-testsuite/log");
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "%s", dir);
    size_t exim_events = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        exim_events += poison_file(path);
    }
    closedir(d);
    free(dir);
    /* The mta-run log alone has 2443 status= lines; Exim's suite logs 1965
     * lines with a delivery or failure marker (**, =>, ->, ==, rejected). */
    ck_assert_msg(events > 2443 && exim_events > 1000, "%zu Postfix, %zu Exim events", events, exim_events);
}
END_TEST

static Suite *postfix_suite(void)
{
    Suite *s = suite_create("postfix");
    TCase *tc = tcase_create("shapes");
    tcase_add_loop_test(tc, test_shape, 0, (int)(sizeof shapes / sizeof shapes[0]));
    tcase_add_test(tc, test_not_outcomes);
    tcase_add_test(tc, test_public_not_outcomes);
    tcase_add_test(tc, test_public_milter_sender);
    tcase_add_test(tc, test_instance_names);
    tcase_add_test(tc, test_public_file_counts);
    tcase_add_test(tc, test_generated_log);
    tcase_add_test(tc, test_unrecognised);
    tcase_add_test(tc, test_grok_messages);
    tcase_add_test(tc, test_envelopes);
    tcase_add_test(tc, test_event_poison);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(postfix_suite)
