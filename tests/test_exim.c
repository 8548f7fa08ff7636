/*
 * test_exim.c - every Exim line shape, taken verbatim from tests/data,
 * parsed into an event with exact expected fields; lines that are not
 * outcomes; the envelopes an Exim line arrives in; a stream mixing Postfix
 * and Exim; and the binary end to end on such a stream.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "testutil.h"

#define LOG "exim/exim-testsuite/log/"
#define REJ "exim/exim-testsuite/rejectlog/"
#define F2B "exim/fail2ban-exim.log"
#define SPAM "exim/fail2ban-exim-spam.log"
#define MTA_RUN "postfix/mta-run/maillog"

/* Every field is checked: NULL means the event must not have it. */
typedef struct {
    const char *file, *fragment;
    const char *time, *direction, *status, *stage, *code, *enhanced, *klass;
    bool inferred;
    const char *recipient, *domain, *sender, *relay, *client, *queue_id;
} shape;

#define OUT "outbound"
#define IN "inbound"
/* A delivery on this host (a file, a pipe, a local transport: rules/mta/
 * exim.conf [@mta] local): the report's local section, "outbound" in JSON. */
#define LOCAL "local"
#define QX "10HmaX-000000005vi-0000"
#define T99 "1999-03-02T09:44:33"

static const shape shapes[] = {
    /* ---- outbound: => -> >> ---- */
    /* remote delivery with +tls fields and the smtp_confirmation C="..." */
    {LOG "5861", "=> CALLER@thishost.test.ex R=client T=send_to_server H=thishost.test.ex [127.0.0.1] "
                 "X=TLS1.x:ke-RSA-AES256-SHAnnn:xxx CV=no",
     T99, OUT, "sent", "end-of-data", "250", NULL, "success", false, "CALLER@thishost.test.ex",
     "thishost.test.ex", NULL, "thishost.test.ex [127.0.0.1]", NULL, QX},
    /* another address of the same delivery */
    {LOG "0639", "-> d@clientdom.net", T99, OUT, "sent", "end-of-data", "250", NULL, "success", false,
     "d@clientdom.net", "clientdom.net", NULL, "ip4.ip4.ip4.ip4 [ip4.ip4.ip4.ip4]", NULL,
     "10HmaY-000000005vi-0000"},
    /* cutthrough delivery, with the return path P=<> */
    {LOG "5405", ">> usera@domain.com", T99, OUT, "sent", "end-of-data", "250", NULL, "success", false,
     "usera@domain.com", "domain.com", "CALLER@myhost.test.ex", "127.0.0.1 [127.0.0.1]", NULL, QX},
    /* LMTP with the sender logged (F=) */
    {LOG "0215", "-> userxz@myhost.test.ex F=<CALLER@myhost.test.ex> R=smartuser T=lmtp", T99, OUT, "sent",
     "end-of-data", "250", NULL, "success", false, "userxz@myhost.test.ex", "myhost.test.ex",
     "CALLER@myhost.test.ex", "127.0.0.1 [127.0.0.1]", NULL, "10HmaY-000000005vi-0000"},
    /* local delivery: no reply, the address it was for is the <parent> */
    {LOG "0014", "=> userx <userx@myhost.test.ex> R=userx T=appendfile", T99, LOCAL, "sent", NULL, NULL, NULL,
     "success", false, "userx@myhost.test.ex", "myhost.test.ex", NULL, NULL, NULL, QX},
    /* +millisec time stamp */
    {LOG "0906", "10HmaX-000000005vi-0000 => a@test.ex", "2017-07-30T18:51:05.712000", OUT, "sent",
     "end-of-data", "250", NULL, "success", false, "a@test.ex", "test.ex", NULL, "127.0.0.1 [127.0.0.1]",
     NULL, QX},

    /* ---- outbound: ** ---- */
    {LOG "0286", "** d@test.ex R=all T=smtp H=127.0.0.1 [127.0.0.1] :", T99, OUT, "bounced", "rcpt", "550",
     NULL, "permanent", false, "d@test.ex", "test.ex", NULL, "127.0.0.1 [127.0.0.1]", NULL, QX},
    /* a multi-line reply Exim joined with \n keeps its first code */
    {LOG "0997", "550-no mate", T99, OUT, "bounced", "rcpt", "550", NULL, "permanent", false,
     "fred@undeliverable.org", "undeliverable.org", NULL, "127.0.0.1 [127.0.0.1]", NULL, QX},
    {LOG "0495", "pipelined MAIL FROM:<CALLER@myhost.test.ex>: 550 BAD MAIL", T99, OUT, "bounced", "mail",
     "550", NULL, "permanent", false, "a@x.y", "x.y", NULL, "127.0.0.1 [127.0.0.1]", NULL,
     "10HmbB-000000005vi-0000"},
    /* a BDAT chunk: the data stage */
    {LOG "0906", "pipelined sending data block: 550", "2017-07-30T18:51:05.712000", OUT, "bounced", "data",
     "550", NULL, "permanent", false, "s@test.ex", "test.ex", NULL, "127.0.0.1 [127.0.0.1]", NULL,
     "10HmbA-000000005vi-0000"},
    {LOG "0211", "T=smtp H=localhost4.test.ex [127.0.0.1] : SMTP error from remote mail server after initial "
                 "connection: 550 Go away (A)", T99, OUT, "bounced", "greeting", "550", NULL,
     "permanent", false, "userx@domain1", "domain1", "CALLER@test.ex", "localhost4.test.ex [127.0.0.1]",
     NULL, QX},
    {LOG "5101", "LMTP error after end of data: 550 Number 2 fails", T99, OUT, "bounced", "end-of-data", "550",
     NULL, "permanent", false, "jack@myhost.test.ex", "myhost.test.ex", NULL, NULL, NULL, QX},
    {LOG "4550", "PRDR error after DATA: 550 PRDR R=", T99, OUT, "bounced", "end-of-data", "550", NULL,
     "permanent", false, "baduser@test.ex", "test.ex", NULL, "ip4.ip4.ip4.ip4 [ip4.ip4.ip4.ip4]", NULL, QX},
    /* no SMTP code: the status gives the class */
    {LOG "0608", "** c@test.ex : Unrouteable address", "2017-07-30T18:51:05.712000", OUT, "bounced", NULL, NULL,
     NULL, "permanent", false, "c@test.ex", "test.ex", NULL, NULL, NULL, QX},
    {LOG "0322", "** a@test.ex: retry timeout exceeded", T99, OUT, "bounced", NULL, NULL, NULL, "permanent",
     false, "a@test.ex", "test.ex", NULL, NULL, NULL, "10HmbF-000000005vi-0000"},
    {LOG "0495", "** a@x.y R=r9 T=t1 : Connection refused", T99, OUT, "bounced", "connect", NULL, NULL,
     "permanent", false, "a@x.y", "x.y", NULL, NULL, NULL, "10HmbK-000000005vi-0000"},
    /* a pipe: the address it was for is the recipient */
    {LOG "0226", "** |/p/q/r <pipe1@no.test.ex>", T99, LOCAL, "bounced", NULL, NULL, NULL, "permanent", false,
     "pipe1@no.test.ex", "no.test.ex", NULL, NULL, NULL, QX},

    /* ---- outbound: == ---- */
    {LOG "0357", "userx@test.ex R=r1 T=t1 defer (-44) H=127.0.0.1 [127.0.0.1]: SMTP error from remote mail "
                 "server after RCPT TO:<userx@test.ex>: 451",
     T99, OUT, "deferred", "rcpt", "451", NULL, "transient", false, "userx@test.ex", "test.ex", NULL,
     "127.0.0.1 [127.0.0.1]", NULL, QX},
    {LOG "0548", "smarthost T=smtp defer (0) H=thishost.test.ex [127.0.0.1]", T99, OUT, "deferred",
     "greeting", "451", NULL, "transient", false, "userx@test.ex", "test.ex", NULL,
     "thishost.test.ex [127.0.0.1]", NULL, QX},
    /* a connection failure has no code */
    {LOG "0099", "userx@simple R=all T=smtp defer (dd): Connection refused", T99, OUT, "deferred", "connect",
     NULL, NULL, "transient", false, "userx@simple", "simple", NULL, NULL, NULL, QX},
    /* errno text, then the host, then the message */
    {LOG "0498", "defer (dd): Connection timed out H=127.0.0.1 [127.0.0.1]: SMTP timeout after end of data",
     T99, OUT, "deferred", "end-of-data", NULL, NULL, "transient", false, "userx@x.y", "x.y", NULL,
     "127.0.0.1 [127.0.0.1]", NULL, QX},
    {LOG "0135", "defer (-22): mailbox is full", T99, LOCAL, "deferred", NULL, NULL, NULL, "transient", false,
     "c@test.ex", "test.ex", NULL, NULL, NULL, QX},
    /* +outgoing_port and +outgoing_interface */
    {LOG "0179", "I=[127.0.0.1]:10001: SMTP error", T99, OUT, "deferred", "mail", "450", NULL, "transient",
     false, "userz@domain.com", "domain.com", NULL, "127.0.0.1 [127.0.0.1]:PORT_S", NULL,
     "10HmaZ-000000005vi-0000"},
    /* the classic message id, and the host inside the text (Exim 4.6x) */
    {LOG "9903", "0005vi-00 == userx@test.ex R=r1 T=smtp", T99, OUT, "deferred", "rcpt", "451", NULL,
     "transient", false, "userx@test.ex", "test.ex", NULL, "127.0.0.1 [127.0.0.1]", NULL, "10HmaX-0005vi-00"},

    /* ---- inbound: ACL verdicts, code inferred from the place ---- */
    {F2B, "rejected RCPT <ruslan@maslovskiy.com.ua>: Sender verify failed", "2013-06-15T16:34:55", IN,
     "rejected", "rcpt", "550", NULL, "permanent", true, "ruslan@maslovskiy.com.ua", "maslovskiy.com.ua",
     "buh@caladan.ebay.sun.com", NULL, "mx.tillions.com [182.18.24.93]", NULL},
    /* log_selector +all: port, I=, Ci=, CV=, SNI= */
    {F2B, "rejected RCPT <locus@leone.tld>", "2024-03-21T09:18:51", IN, "rejected", "rcpt", "550", NULL,
     "permanent", true, "locus@leone.tld", "leone.tld", "user@example.tld", NULL, "m05.horp.tld [9.12.1.21]",
     NULL},
    /* [pid], and the F= of Exim 4.6x without <> */
    {F2B, "rejected RCPT dir@ml3.ru", "2013-06-10T18:33:32", IN, "rejected", "rcpt", "550", NULL,
     "permanent", true, "dir@ml3.ru", "ml3.ru", "menacedsj04@listserv.eurasia.org", NULL,
     "(yakult.com.tw) [202.132.70.178]", NULL},
    /* X= and DN="..." with spaces-free quoting */
    {LOG "2114", "CV=no DN=\"/CN=server1.example.net\" F=<userx@test.ex> rejected RCPT", T99, IN, "rejected",
     "rcpt", "550", NULL, "permanent", true, "userx@test.ex", "test.ex", "userx@test.ex", NULL,
     "(test) [127.0.0.1]", NULL},
    /* the ACL message starts with the code it sent: not inferred */
    {LOG "0622", "temporarily rejected RCPT <B@test.ex>: 452 4.5.3 Try again", T99, IN, "rejected", "rcpt",
     "452", "4.5.3", "transient", false, "B@test.ex", "test.ex", "CALLER@myhost.test.ex", NULL,
     "localhost (myhost.test.ex) [127.0.0.1]", NULL},
    {LOG "1166", "rejected RCPT <f1@test.ex>: 550 we really do not like you", "2017-07-30T18:51:05.712000", IN,
     "rejected", "rcpt", "550", NULL, "permanent", false, "f1@test.ex", "test.ex", "", NULL,
     "localhost (testhost.test.ex) [127.0.0.1]", NULL},
    {LOG "0413", "temporarily rejected MAIL <r1@domain1>", T99, IN, "rejected", "mail", "451", NULL,
     "transient", true, NULL, "", "r1@domain1", NULL, NULL, NULL},
    {LOG "0021", "rejected EHLO or HELO x.y.z", T99, IN, "rejected", "helo", "550", NULL, "permanent", true,
     NULL, "", NULL, NULL, "(x.y.z) [10.9.8.10]", NULL},
    {SPAM, "rejected after DATA: This message contains a virus", "2013-06-15T11:20:36", IN, "rejected",
     "end-of-data", "550", NULL, "permanent", true, NULL, "", "auguriesvbd40@google.com", NULL,
     "egeftech.static.otenet.gr [83.235.177.148]", "1Unmew-0000ea-SE"},
    {LOG "4010", "temporarily rejected after DATA", T99, IN, "rejected", "end-of-data", "451", NULL,
     "transient", true, NULL, "", "CALLER@myhost.test.ex", NULL, NULL, QX},
    {REJ "0022", "rejected connection in \"connect\" ACL: 550 client disliked", T99, IN, "rejected", "connect",
     "550", NULL, "permanent", false, NULL, "", NULL, NULL, "[127.0.0.1]", NULL},
    {LOG "0548", "temporarily rejected connection in \"connect\" ACL: host deferred", T99, IN, "rejected",
     "connect", "451", NULL, "transient", true, NULL, "", NULL, NULL, "[127.0.0.1]", NULL},
    {F2B, "dropped by 'connect' ACL: Country is banned", "2022-04-03T21:53:54", IN, "rejected", "connect", "550",
     NULL, "permanent", true, NULL, "", NULL, NULL, "[192.0.2.101]", NULL},
    {REJ "3460", "rejected AUTH plain", T99, IN, "rejected", "other", "503", NULL, "permanent", true, NULL, "",
     NULL, NULL, "(foobar) [127.0.0.1]", NULL},
    /* a VRFY refused by its ACL is answered 252, not 5xx */
    {LOG "0562", "rejected VRFY foo@bar", T99, IN, "rejected", "other", "252", NULL, "success", true, NULL, "",
     NULL, NULL, "[127.0.0.1]", NULL},
    {SPAM, "rejected by local_scan(): Rejected: hits=7.5", "2004-01-18T07:15:35", IN, "rejected",
     "end-of-data", "550", NULL, "permanent", true, NULL, "", "uzwltcmwto24@melissacam.biz", NULL,
     "lsanca1-ar3-4-47-028-040.lsanca1.elnk.dsl.genuity.net [4.47.28.40]", "1Ai79e-0000Dq-8i"},

    /* ---- inbound: fixed replies ---- */
    {F2B, "input sent without waiting for greeting", "2013-06-02T06:54:20", IN, "rejected", "connect", "554",
     NULL, "permanent", true, NULL, "", NULL, NULL, "[211.148.195.192]", NULL},
    {F2B, "rejected \"RSET\"", "2013-06-02T09:05:48", IN, "rejected", "other", "554", NULL, "permanent", true,
     NULL, "", NULL, NULL, "ba77.mx83.fr [82.96.160.77]", NULL},
    {LOG "0300", "rejected \"data\" H=(abcd)", T99, IN, "rejected", "data", "554",
     NULL, "permanent", true, NULL, "", NULL, NULL, "(abcd) [127.0.0.1]", NULL},
    {F2B, "dropped: too many nonmail commands", "2013-06-02T09:22:05", IN, "rejected", "other", "554", NULL,
     "permanent", true, NULL, "", NULL, NULL, "pc012-6201.spo.scu.edu.tw [163.14.21.161]", NULL},
    {F2B, "dropped: too many unrecognized commands", "2013-06-02T09:22:07", IN, "rejected", "other", "500",
     NULL, "permanent", true, NULL, "", NULL, NULL, "[192.0.2.109]", NULL},
    /* the last error's code follows from the last command */
    {F2B, "(last command was \"AUTH LOGIN\")", "2013-06-02T09:22:06", IN, "rejected", "other", "503", NULL,
     "permanent", true, NULL, "", NULL, NULL, "[192.0.2.109]", NULL},
    {F2B, "C=EHLO)", "2013-06-02T09:22:08", IN, "rejected", "other", "500", NULL, "permanent", true, NULL, "",
     NULL, NULL, "xxx.example.com [192.0.2.109]", NULL},
    {LOG "1001", "rejected EHLO from ([IPV6:", T99, IN, "rejected", "helo", "501", NULL, "permanent", true,
     NULL, "", NULL, NULL, "([IPV6:V6NET:0:12:1:a00:20ff:fe86:a062]) [ip6:ip6:ip6:ip6:ip6:ip6:ip6:ip6]",
     NULL},
    {LOG "0637", "rejected MAIL from [127.0.0.1]: no HELO/EHLO given", T99, IN, "rejected", "mail", "503", NULL,
     "permanent", true, NULL, "", NULL, NULL, "[127.0.0.1]", NULL},
    {LOG "0221", "rejected from <> U=CALLER: message too big", T99, IN, "rejected", "end-of-data", "552", NULL,
     "permanent", true, NULL, "", "", NULL, NULL, QX},
    {LOG "0019", "too many recipients: excess temporarily rejected", T99, IN, "rejected", "rcpt", "452", NULL,
     "transient", true, NULL, "", "x@y", NULL, NULL, NULL},
    {REJ "5721", "refused connection from [127.0.0.1] (host_reject_connection)", T99, IN, "rejected", "connect",
     "554", NULL, "permanent", true, NULL, "", NULL, NULL, "[127.0.0.1]", NULL},
    /* AUTH: the code is in the line */
    {F2B, "535 Incorrect authentication data (set_id=brian)", "2013-01-04T17:03:46", IN, "rejected", "other",
     "535", NULL, "permanent", false, NULL, "", NULL, NULL,
     "rrcs-24-106-174-74.se.biz.rr.com ([192.168.2.33]) [24.106.174.74]", NULL},
    {F2B, "Ci=30416: 535", "2024-03-21T19:26:06", IN, "rejected", "other", "535", NULL, "permanent", false, NULL,
     "", NULL, NULL, "(User) [194.169.175.1]", NULL},
};

static void check_view(const char *what, mc_str v, const char *expected, const char *line)
{
    if (expected == NULL)
        ck_assert_msg(v.p == NULL, "%s: expected null, got '%.*s' in: %s", what, (int)v.n, v.p, line);
    else
        ck_assert_msg(v.p != NULL && v.n == strlen(expected) && memcmp(v.p, expected, v.n) == 0,
                      "%s: expected '%s', got '%.*s' in: %s", what, expected, v.p ? (int)v.n : 6,
                      v.p ? v.p : "(null)", line);
}

static void check_cstr(const char *what, const char *v, const char *expected, const char *line)
{
    if (expected == NULL)
        ck_assert_msg(v == NULL || *v == '\0', "%s: expected null, got '%s' in: %s", what, v, line);
    else
        ck_assert_msg(v && strcmp(v, expected) == 0, "%s: expected '%s', got '%s' in: %s", what, expected,
                      v ? v : "(null)", line);
}

START_TEST(test_shape)
{
    const shape *s = &shapes[_i];
    char *line = test_corpus_line(s->file, s->fragment);
    mc_event ev;
    ck_assert_msg(test_parse(line, &ev) == PARSE_EVENT, "no event from: %s", line);
    char t[64];
    mc_time_format(&ev.time, t, sizeof t);
    check_cstr("time", t, s->time, line);
    check_cstr("mta", ev.mta, "exim", line);
    check_cstr("direction", ev.direction, s->direction, line);
    check_view("status", ev.status, s->status, line);
    check_cstr("stage", ev.stage, s->stage, line);
    check_cstr("code", ev.code, s->code, line);
    check_cstr("enhanced", ev.enhanced, s->enhanced, line);
    check_cstr("class", mc_class_name(ev.klass), s->klass, line);
    ck_assert_msg(ev.inferred == s->inferred, "inferred: expected %d in: %s", s->inferred, line);
    check_view("recipient", ev.recipient, s->recipient, line);
    check_cstr("domain", ev.domain, s->domain, line);
    check_view("sender", ev.sender, s->sender, line);
    check_view("relay", ev.relay, s->relay, line);
    check_view("client", ev.client, s->client, line);
    check_view("queue_id", ev.queue_id, s->queue_id, line);
    check_view("host", ev.host, NULL, line);
    free(line);
}
END_TEST

/* The text an event carries: the remote's reply, or Exim's own words. */
START_TEST(test_text)
{
    static const struct {
        const char *file, *fragment, *text;
    } cases[] = {
        {LOG "5861", "=> CALLER@thishost.test.ex R=client T=send_to_server H=thishost.test.ex [127.0.0.1] "
                     "X=TLS1.x:ke-RSA-AES256-SHAnnn:xxx CV=no",
         "250 OK id=10HmaY-000000005vi-0000"},
        {LOG "0286", "** d@test.ex R=all T=smtp H=127.0.0.1 [127.0.0.1] :",
         "SMTP error from remote mail server after RCPT TO:<d@test.ex>: 550 Recipient not OK"},
        {LOG "0498", "defer (dd): Connection timed out H=127.0.0.1 [127.0.0.1]: SMTP timeout after end of data",
         "Connection timed out H=127.0.0.1 [127.0.0.1]: SMTP timeout after end of data (ddd bytes written)"},
        {LOG "0357", "userx@test.ex R=r1 T=t1 defer (-44) H=127.0.0.1 [127.0.0.1]: SMTP error from remote mail "
                     "server after RCPT TO:<userx@test.ex>: 451",
         "SMTP error from remote mail server after RCPT TO:<userx@test.ex>: 451 Temporary error"},
        {F2B, "rejected RCPT <ruslan@maslovskiy.com.ua>: Sender verify failed", "Sender verify failed"},
        {LOG "0622", "temporarily rejected RCPT <B@test.ex>: 452 4.5.3 Try again", "Try again"},
        {F2B, "535 Incorrect authentication data (set_id=brian)", "Incorrect authentication data (set_id=brian)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *line = test_corpus_line(cases[i].file, cases[i].fragment);
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_EVENT, "no event from: %s", line);
        check_view("text", ev.text, cases[i].text, line);
        free(line);
    }
}
END_TEST

/* The rules' field searches (rules/mta/exim.conf: a word at a time, the
 * prefix's gate) take a field exactly where the older character-at-a-time
 * patterns did.  The lines are the real shapes above with one field moved
 * to where a search could go wrong; each expectation follows from the
 * field's definition in exim.conf (QT=/DT= close the line, F=< stands
 * before the first colon, C="..." ends at a quote before the end or a
 * field, a field never spans a newline, Exim's syslog tag in the message
 * names the host). */
START_TEST(test_field_search_edges)
{
#define EX "2026-11-23 07:00:01 1xXPym-0002xD-1y "
    static const struct {
        const char *line, *recipient, *sender, *relay, *text, *delay, *transfer, *host;
    } cases[] = {
        /* a QT= inside the remote's reply is not the queue time */
        {EX "=> a@b.test R=r T=smtp H=mx.b.test [192.0.2.1] C=\"250 OK QT=9s queued\"", "a@b.test", NULL,
         "mx.b.test [192.0.2.1]", "250 OK QT=9s queued", NULL, NULL, NULL},
        {EX "=> a@b.test R=r T=smtp H=mx.b.test [192.0.2.1] C=\"250 QT=9s\" QT=3s DT=1s", "a@b.test", NULL,
         "mx.b.test [192.0.2.1]", "250 QT=9s", "3s", "1s", NULL},
        /* QT= needs a space before it: an address that starts with it is no queue time */
        {EX "=> QT=5s", "QT=5s", NULL, NULL, NULL, NULL, NULL, NULL},
        {EX "=> a@b.test QT=5s", "a@b.test", NULL, NULL, NULL, "5s", NULL, NULL},
        /* a newline (a journald message) ends every field: no QT=, no C="..." across it */
        {EX "=> a@b.test R=r T=smtp C=\"250 first\nsecond\" QT=4s", "a@b.test", NULL, NULL, NULL, NULL, NULL,
         NULL},
        /* F=< counts only before the first colon */
        {EX "=> a@b.test F=<s@t.test> R=r T=smtp", "a@b.test", "s@t.test", NULL, NULL, NULL, NULL, NULL},
        {EX "=> a@b.test R=r T=t:x F=<s@t.test>", "a@b.test", NULL, NULL, NULL, NULL, NULL, NULL},
        /* a deferral's text keeps a DT= inside it; only the closing one is cut */
        {EX "== a@b.test R=r T=smtp defer (-44) H=mx.b.test [192.0.2.1]: SMTP error from remote mail server "
            "after RCPT TO:<a@b.test>: 451 try DT=5s later DT=2s",
         "a@b.test", NULL, "mx.b.test [192.0.2.1]",
         "SMTP error from remote mail server after RCPT TO:<a@b.test>: 451 try DT=5s later", NULL, NULL, NULL},
        {EX "== a@b.test R=r T=smtp defer (-44): 451 later DT=2s:x", "a@b.test", NULL, NULL,
         "451 later DT=2s:x", NULL, NULL, NULL},
        /* Exim's own syslog tag inside the message: its host is the event's */
        {"Nov 23 07:00:01 relay exim[9]: mx2 exim4[77]: 2026-11-23 07:00:01 1xXPym-0002xD-1y => a@b.test R=r "
         "T=smtp", "a@b.test", NULL, NULL, NULL, NULL, NULL, "mx2"},
    };
#undef EX
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *line = cases[i].line;
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_EVENT, "no event from: %s", line);
        check_view("recipient", ev.recipient, cases[i].recipient, line);
        check_view("sender", ev.sender, cases[i].sender, line);
        check_view("relay", ev.relay, cases[i].relay, line);
        check_view("text", ev.text, cases[i].text, line);
        check_view("delay", ev.delay, cases[i].delay, line);
        check_view("transfer", ev.transfer, cases[i].transfer, line);
        if (cases[i].host)
            check_view("host", ev.host, cases[i].host, line);
        check_view("queue_id", ev.queue_id, "1xXPym-0002xD-1y", line);
    }
}
END_TEST

/* Lines that are not outcomes give no event and are not unrecognised. */
START_TEST(test_not_outcomes)
{
    static const struct {
        const char *file, *fragment;
    } cases[] = {
        {LOG "5861", "10HmaX-000000005vi-0000 <= CALLER@myhost.test.ex"},
        {LOG "5861", "10HmaX-000000005vi-0000 Completed"},
        {LOG "9400", "*> userx <userx@test.ex> R=r1 T=local_delivery"},
        {LOG "0130", "10HmaX-000000005vi-0000 Frozen"},
        {LOG "4147", "Frozen (delivery error message)"},
        {SPAM, "SA: Action: flagged as Spam but accepted"},
        {F2B, "no host name found for IP address"},
        {F2B, "sender verify fail for <user@example.com>: Unrouteable address"},
        {F2B, "SMTP protocol error in \"AUTH LOGIN\" H=(ylmf-pc) [45.32.34.167]"},
        {F2B, "closed by DROP in ACL"},
        {F2B, "no MAIL in SMTP connection from [122.165.71.116]:2056"},
        /* the rejectlog's header dump after a rejection */
        {REJ "4010", "Envelope-from: <CALLER@myhost.test.ex>"},
        {REJ "4010", "Envelope-to: <userx@test.ex>"},
        {REJ "4010", "P Received: from CALLER (helo=test.ex)"},
        {REJ "4010", "\tby myhost.test.ex with local-esmtp"},
        {REJ "4010", "  Subject: message should be rejected"},
        {REJ "0162", "*** truncated ***"},
        /* one host of several failed: the address's own line is the outcome */
        {LOG "0638", "10HmaX-000000005vi-0000 H=127.0.0.1 [127.0.0.1] Connection refused"},
        {LOG "0498", "10HmaX-000000005vi-0000 H=127.0.0.1 [127.0.0.1]: SMTP timeout after end of data"},
        /* accepted and discarded; a local submission refused without SMTP */
        {LOG "4167", "=> :blackhole: <dump@domain1>"},
        {LOG "0021", "rejected by non-SMTP ACL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *line = test_corpus_line(cases[i].file, cases[i].fragment);
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_NOTHING, "unexpected result for: %s", line);
        free(line);
    }
    /* retry skips: no connection was made; not events, counted apart */
    static const struct {
        const char *file, *fragment;
    } skips[] = {
        {LOG "0099", "retry time not reached for any host for 'simple'"},
        {LOG "0195", "routing defer (-52): retry time not reached"},
        {LOG "0135", "defer (-53): Retry time not yet reached"},
    };
    for (size_t i = 0; i < sizeof skips / sizeof skips[0]; i++) {
        char *line = test_corpus_line(skips[i].file, skips[i].fragment);
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_RETRY_SKIP, "not a retry skip: %s", line);
        free(line);
    }
}
END_TEST

/* A syslog line without its stamp (fail2ban's fixture): the host and tag
 * from syslog, the time from Exim's own stamp inside, an event like any
 * other.  Without the pid no form reads it, and it is counted, not dropped. */
START_TEST(test_unrecognised)
{
    char *line = test_corpus_line(F2B, "mail.example.com exim[3751842]:");
    mc_event ev;
    ck_assert_int_eq(test_parse(line, &ev), PARSE_EVENT);
    ck_assert(mc_str_eq(ev.host, "mail.example.com"));
    ck_assert_str_eq(ev.code, "535");
    ck_assert(mc_str_eq(ev.status, "rejected"));
    ck_assert(mc_str_eq(ev.client, "([192.0.2.17]) [192.0.2.27]"));
    ck_assert(ev.time.valid && ev.time.year == 2021 && ev.time.hour == 23 && ev.time.sec == 49);
    char *pidless = strstr(line, "[3751842]");
    ck_assert_ptr_nonnull(pidless);
    memmove(pidless, pidless + 9, strlen(pidless + 9) + 1);
    ck_assert_int_eq(test_parse(line, &ev), PARSE_UNRECOGNISED);
    free(line);
}
END_TEST

/* The same Exim line in Exim's own file, with a zone offset, and through
 * syslog (Exim repeats its own stamp there: syslog_timestamp). */
START_TEST(test_envelopes)
{
    char *exim = test_corpus_line(LOG "0286", "** d@test.ex R=all T=smtp H=127.0.0.1 [127.0.0.1] :");
    const char *msg = exim + strlen("1999-03-02 09:44:33 ");
    static const struct {
        const char *prefix, *time, *host;
    } cases[] = {
        {"1999-03-02 09:44:33 ", "1999-03-02T09:44:33", NULL},
        {"1999-03-02 09:44:33 +0100 ", "1999-03-02T09:44:33+01:00", NULL},
        {"1999-03-02 09:44:33.250 -0500 [4711] ", "1999-03-02T09:44:33.250000-05:00", NULL},
        {"Nov 23 07:00:01 mx exim[4711]: 2026-11-23 07:00:01 ", "2026-11-23T07:00:01", "mx"},
        {"Nov 23 07:00:01 mx exim4[4711]: 2026-11-23 07:00:01 [4711] ", "2026-11-23T07:00:01", "mx"},
        {"Nov 23 07:00:01 mx exim[4711]: ", "2026-11-23T07:00:01", "mx"},
        {"2026-11-23T07:00:01.5+01:00 mx exim[4711]: 2026-11-23 07:00:01 +0100 ", "2026-11-23T07:00:01.500000+01:00",
         "mx"},
        {"<22>1 2026-11-23T07:00:01Z mx exim 4711 - - ", "2026-11-23T07:00:01Z", "mx"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[2048];
        snprintf(line, sizeof line, "%s%s", cases[i].prefix, msg);
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_EVENT, "no event: %s", line);
        char t[64];
        mc_time_format(&ev.time, t, sizeof t);
        ck_assert_str_eq(t, cases[i].time);
        check_view("host", ev.host, cases[i].host, line);
        ck_assert_str_eq(ev.mta, "exim");
        check_view("status", ev.status, "bounced", line);
        ck_assert_str_eq(ev.code, "550");
        ck_assert_str_eq(ev.stage, "rcpt");
        check_view("recipient", ev.recipient, "d@test.ex", line);
        check_view("queue_id", ev.queue_id, QX, line);
    }
    free(exim);
    /* a syslog host before the tag inside an Exim-stamped line */
    char *line = test_corpus_line(F2B, "mx1.fqdn.local exim[29786]:");
    mc_event ev;
    ck_assert_int_eq(test_parse(line, &ev), PARSE_EVENT);
    check_view("host", ev.host, "mx1.fqdn.local", line);
    ck_assert_str_eq(ev.code, "535");
    check_view("client", ev.client, "(User) [192.0.2.37]", line);
    free(line);
}
END_TEST

/* One stream, several MTAs: each line keeps its own. */
START_TEST(test_mixed_stream)
{
    static const struct {
        const char *file, *fragment, *mta;
    } lines[] = {
        {MTA_RUN, "status=sent (250 2.0.0 Ok: queued as 5A000001)", "postfix"},
        {LOG "0286", "** d@test.ex R=all T=smtp H=127.0.0.1 [127.0.0.1] :", "exim"},
        {MTA_RUN, "reject: RCPT from [127.0.0.70]:48355", "postfix"},
        {F2B, "rejected RCPT <ruslan@maslovskiy.com.ua>", "exim"},
        {MTA_RUN, "to=<hiro.3@refused.test>, relay=none", "postfix"},
        {LOG "0357", "userx@test.ex R=r1 T=t1 defer (-44)", "exim"},
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        char *line = test_corpus_line(lines[i].file, lines[i].fragment);
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_EVENT, "no event: %s", line);
        ck_assert_str_eq(ev.mta, lines[i].mta);
        free(line);
    }
}
END_TEST

/* The codes Exim sends without logging them live in rules/, not in C. */
START_TEST(test_inference_in_rules)
{
    const mc_parse_rules *pr = &test_rules()->parse;
    const mc_mta_rules *exim = NULL;
    for (size_t i = 0; i < pr->n_mtas; i++)
        if (strcmp(pr->mtas[i].name, "exim") == 0)
            exim = &pr->mtas[i];
    ck_assert_ptr_nonnull(exim);
    static const struct {
        const char *rule, *code;
    } table[] = {
        {"acl-rcpt", "550"}, {"acl-rcpt-temp", "451"}, {"acl-auth", "503"}, {"acl-etrn", "458"},
        {"acl-vrfy", "252"}, {"sync-greeting", "554"}, {"dropped-unrecognized", "500"},
    };
    for (size_t t = 0; t < sizeof table / sizeof table[0]; t++) {
        const mc_line_rule *r = NULL;
        for (size_t i = 0; i < exim->n_rules; i++)
            if (strcmp(exim->rules[i].name, table[t].rule) == 0)
                r = &exim->rules[i];
        ck_assert_msg(r != NULL, "no rule [%s] in rules/mta/exim.conf", table[t].rule);
        ck_assert_str_eq(r->infer_code, table[t].code);
    }
}
END_TEST

/* An ACL deny whose line logs no message had none (Exim logs the user
 * message when no log_message is set, src/acl.c) and sent "Administrative
 * prohibition" (src/smtp_in.c): the reason is Exim's ACL, the event's text
 * stays empty.  A message, or a temporary rejection (its default text is
 * another), decides otherwise. */
START_TEST(test_acl_default_text)
{
    static const struct {
        const char *file, *fragment, *reason, *detail;
        bool logged_text;
    } cases[] = {
        {LOG "5703", "(nonexistent.test.ex) [127.0.0.1] F=<a@b> rejected RCPT <c@d>", "policy-rejected",
         "access control (Exim ACL)", false},
        {LOG "0021", "H=[10.9.8.8] U=CALLER rejected MAIL <bad@test1>", "policy-rejected",
         "access control (Exim ACL)", false},
        {LOG "0021", "H=(x.y.z) [10.9.8.10] U=CALLER rejected EHLO or HELO x.y.z", "policy-rejected",
         "access control (Exim ACL)", false},
        /* the message Exim logged (and sent) decides */
        {REJ "3460", "rejected AUTH plain: STARTTLS required before AUTH", "tls-required", NULL, true},
        {LOG "0900", "Ci=p1234 F=<someone@some.domain> rejected RCPT <dummy@reject.ex>: relay not permitted",
         "relay-denied", NULL, true},
        {LOG "2126", "F=<CALLER@myhost.test.ex> temporarily rejected RCPT <usery@myhost.test.ex>", NULL, NULL, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *line = test_corpus_line(cases[i].file, cases[i].fragment);
        mc_event ev;
        ck_assert_msg(test_parse(line, &ev) == PARSE_EVENT, "no event from: %s", line);
        ck_assert_msg(ev.inferred, "code not inferred: %s", line);
        ck_assert_msg((ev.text.n > 0) == cases[i].logged_text, "text '%.*s': %s", (int)ev.text.n,
                      ev.text.p ? ev.text.p : "", line);
        check_cstr("reason", ev.reason, cases[i].reason, line);
        if (cases[i].detail)
            check_view("detail", ev.reason_detail, cases[i].detail, line);
        free(line);
    }
}
END_TEST

/* ---- the binary on a mixed Postfix + Exim stream ---- */


static void add_line(FILE *f, const char *file, const char *fragment)
{
    char *line = test_corpus_line(file, fragment);
    fprintf(f, "%s\n", line);
    free(line);
}

START_TEST(test_report_mixed)
{
    char path[128];
    snprintf(path, sizeof path, "%s/mixed.log", test_dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    /* Postfix: 2 sent, 1 bounced, 1 deferred, 1 rejected, 1 not an outcome */
    add_line(f, MTA_RUN, "status=sent (250 2.0.0 Ok: queued as 5A000001)");
    add_line(f, MTA_RUN, "(250 ok 1700000000 qp 4242)");
    add_line(f, MTA_RUN, "blocked.emma.34@outlook.test");
    add_line(f, MTA_RUN, "to=<hiro.3@refused.test>, relay=none");
    add_line(f, MTA_RUN, "reject: RCPT from [127.0.0.70]:48355");
    add_line(f, MTA_RUN, "connect from unknown[127.0.0.65]");
    /* Exim mainlog: 2 sent (=> and ->), 2 bounced, 2 deferred, and the
     * arrival, the completion, a retry skip and a per-host line, which are
     * not outcomes */
    add_line(f, LOG "0215", "<= CALLER@myhost.test.ex");
    add_line(f, LOG "0639", "-> d@clientdom.net");
    add_line(f, LOG "5861", "=> CALLER@thishost.test.ex R=client T=send_to_server H=thishost.test.ex [127.0.0.1] "
                            "X=TLS1.x:ke-RSA-AES256-SHAnnn:xxx CV=no");
    add_line(f, LOG "0286", "** d@test.ex R=all T=smtp H=127.0.0.1 [127.0.0.1] :");
    add_line(f, LOG "0608", "** c@test.ex : Unrouteable address");
    add_line(f, LOG "0357", "userx@test.ex R=r1 T=t1 defer (-44)");
    add_line(f, LOG "0099", "userx@simple R=all T=smtp defer (dd): Connection refused");
    add_line(f, LOG "0099", "retry time not reached for any host for 'simple'");
    add_line(f, LOG "0638", "10HmaX-000000005vi-0000 H=127.0.0.1 [127.0.0.1] Connection refused");
    add_line(f, LOG "5861", "10HmaX-000000005vi-0000 Completed");
    /* Exim rejectlog: 2 rejections, one with its header dump */
    add_line(f, REJ "4010", "10HmaZ-000000005vi-0000 U=CALLER F=<CALLER@myhost.test.ex> rejected after DATA");
    add_line(f, REJ "4010", "Envelope-from: <CALLER@myhost.test.ex>");
    add_line(f, REJ "4010", "P Received: from CALLER (helo=test.ex)");
    add_line(f, REJ "4010", "  Subject: message should be rejected");
    add_line(f, REJ "0022", "rejected connection in \"connect\" ACL: 550 client disliked");
    /* fail2ban: 3 inbound rejections, SpamAssassin's verdict is not one */
    add_line(f, F2B, "rejected RCPT <ruslan@maslovskiy.com.ua>");
    add_line(f, F2B, "input sent without waiting for greeting");
    add_line(f, F2B, "535 Incorrect authentication data (set_id=brian)");
    add_line(f, SPAM, "SA: Action: flagged as Spam but accepted");
    /* an Exim line through syslog: 1 bounced */
    char *exim = test_corpus_line(LOG "0495", "pipelined MAIL FROM:<CALLER@myhost.test.ex>: 550 BAD MAIL");
    fprintf(f, "Nov 23 07:00:01 mx exim[4711]: %s\n", exim);
    free(exim);
    /* a syslog line whose stamp was dropped: 1 rejected (auth failure) */
    add_line(f, F2B, "mail.example.com exim[3751842]:");
    fclose(f);

    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s report %s --format json --by mta,status --top 0", MC_BINARY, path);
    char *out = NULL;
    ck_assert_int_eq(test_run(cmd, &out), 0);
    /* 27 lines; events: postfix 5, exim 13 */
    test_expect_has(out, "\"lines\": 27, \"events\": 18, \"skipped\": 0, \"unrecognised\": 0,");
    test_expect_has(out, "\"success\": 4, \"intermediate\": 0, \"transient\": 3, \"permanent\": 11, \"unknown\": 0,");
    test_expect_has(out, "{\"mta\": \"exim\", \"status\": \"rejected\", \"class\": \"permanent\", \"count\": 6}");
    test_expect_has(out, "{\"mta\": \"exim\", \"status\": \"bounced\", \"class\": \"permanent\", \"count\": 3}");
    test_expect_has(out, "{\"mta\": \"exim\", \"status\": \"sent\", \"class\": \"success\", \"count\": 2}");
    test_expect_has(out, "{\"mta\": \"exim\", \"status\": \"deferred\", \"class\": \"transient\", \"count\": 2}");
    test_expect_has(out, "{\"mta\": \"postfix\", \"status\": \"sent\", \"class\": \"success\", \"count\": 2}");
    test_expect_has(out, "{\"mta\": \"postfix\", \"status\": \"bounced\", \"class\": \"permanent\", \"count\": 1}");
    test_expect_has(out, "{\"mta\": \"postfix\", \"status\": \"deferred\", \"class\": \"transient\", \"count\": 1}");
    test_expect_has(out, "{\"mta\": \"postfix\", \"status\": \"rejected\", \"class\": \"permanent\", \"count\": 1}");
    free(out);
}
END_TEST

/* explain understands an Exim failure text as Exim logs it. */
START_TEST(test_explain_exim_text)
{
    char *line = test_corpus_line(LOG "0286", "** d@test.ex R=all T=smtp H=127.0.0.1 [127.0.0.1] :");
    const char *text = strstr(line, " : ") + 3;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s explain --format json '%s'", MC_BINARY, text);
    char *out = NULL;
    ck_assert_int_eq(test_run(cmd, &out), 0);
    test_expect_has(out, "\"code\": \"550\"");
    test_expect_has(out, "\"class\": \"permanent\"");
    free(out);
    free(line);
}
END_TEST

/* Retry skips are counted apart: in the totals, not among the events. */
START_TEST(test_retry_skip_tally)
{
    char cmd[1024], *out = NULL;
    char *path = test_corpus_path(LOG "0099");
    snprintf(cmd, sizeof cmd, "%s report %s --format json --by status", MC_BINARY, path);
    ck_assert_int_eq(test_run(cmd, &out), 0);
    ck_assert_msg(strstr(out, "\"lines\": 30, \"events\": 8,") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "\"retry_skips\": 2}") != NULL, "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "%s report %s --format prom", MC_BINARY, path);
    ck_assert_int_eq(test_run(cmd, &out), 0);
    ck_assert_msg(strstr(out, "mailcodes_retry_skips_total 2\n") != NULL, "%s", out);
    free(out);
    free(path);
}
END_TEST

static Suite *exim_suite(void)
{
    Suite *s = suite_create("exim");
    TCase *tc = tcase_create("shapes");
    tcase_add_loop_test(tc, test_shape, 0, (int)(sizeof shapes / sizeof shapes[0]));
    tcase_add_test(tc, test_text);
    tcase_add_test(tc, test_field_search_edges);
    tcase_add_test(tc, test_not_outcomes);
    tcase_add_test(tc, test_unrecognised);
    tcase_add_test(tc, test_envelopes);
    tcase_add_test(tc, test_mixed_stream);
    tcase_add_test(tc, test_inference_in_rules);
    tcase_add_test(tc, test_acl_default_text);
    suite_add_tcase(s, tc);
    TCase *e2e = tcase_create("binary");
    tcase_add_checked_fixture(e2e, test_dir_setup, test_dir_teardown);
    tcase_add_test(e2e, test_report_mixed);
    tcase_add_test(e2e, test_retry_skip_tally);
    tcase_add_test(e2e, test_explain_exim_text);
    suite_add_tcase(s, e2e);
    return s;
}

MC_TEST_MAIN(exim_suite)
