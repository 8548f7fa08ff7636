/*
 * test_reasons.c - the reason taxonomy measured on real replies, provider
 * replies recognised by name, the rules loader's errors, and the explain /
 * compare pages in every language.
 *
 * The agreement figure over tests/data/responses/replies.tsv is
 * asserted exactly (docs/ACCURACY.md states it): a rules change that loses a
 * row fails here, one that gains rows must update the figure and the doc.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "explain.h"
#include "lang.h"
#include "reasoncache.h"
#include "testutil.h"

/* docs/ACCURACY.md: agreement with the labels of replies.tsv. */
#define CORPUS_ROWS 444
#define CORPUS_AGREE 420
/* docs/ACCURACY.md "Replies from public posts": tests/data/replies-public/replies.tsv. */
#define PUBLIC_ROWS 267
#define PUBLIC_AGREE 254

#define RLM "\xE2\x80\x8F"

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
    mc_reply_reading rd;
    char detail[256];
    const char *reason;  /* name or NULL */
} reading;

static reading read_reply(const char *text)
{
    reading r;
    memset(&r, 0, sizeof r);
    mc_matcher m;
    matcher_init(&m);
    ck_assert(mc_utf8_valid((const unsigned char *)text, strlen(text)));
    explain_read_reply(test_rules(), &m, text, &r.rd);
    matcher_free(&m);
    r.reason = r.rd.hit.reason ? r.rd.hit.reason->name : NULL;
    if (r.rd.hit.detail.p) {
        size_t n = r.rd.hit.detail.n < sizeof r.detail - 1 ? r.rd.hit.detail.n : sizeof r.detail - 1;
        memcpy(r.detail, r.rd.hit.detail.p, n);
        r.detail[n] = '\0';
    }
    return r;
}

/* The reply column of the replies.tsv row holding fragment. */
static char *corpus_reply(const char *fragment)
{
    char *line = test_corpus_line("responses/replies.tsv", fragment);
    char *c1 = strchr(line, '\t');
    ck_assert_ptr_nonnull(c1);
    char *c2 = strchr(c1 + 1, '\t');
    ck_assert_ptr_nonnull(c2);
    char *c3 = strchr(c2 + 1, '\t');
    ck_assert_ptr_nonnull(c3);
    *c3 = '\0';
    char *reply = mc_xstrdup(c2 + 1);
    free(line);
    return reply;
}

static void expect(const char *text, const char *reason, const char *detail)
{
    reading r = read_reply(text);
    ck_assert_msg(r.reason && strcmp(r.reason, reason) == 0, "'%s': reason %s, expected %s", text,
                  r.reason ? r.reason : "(none)", reason);
    if (detail)
        ck_assert_msg(strcmp(r.detail, detail) == 0, "'%s': detail '%s', expected '%s'", text, r.detail, detail);
}

static void expect_corpus(const char *fragment, const char *reason, const char *detail)
{
    char *reply = corpus_reply(fragment);
    expect(reply, reason, detail);
    free(reply);
}

static mc_event classify(const char *code, const char *enh, const char *status, const char *text)
{
    return test_classify(code, enh, status, text);
}

/* Runs explain or compare into a string. */
static char *page(const char *a, const char *b, bool json, const char *lang, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    *rc = b ? compare_write(test_rules(), a, b, json, lang, out) : explain_write(test_rules(), a, json, lang, out);
    fclose(stderr);
    stderr = saved;
    fclose(out);
    return buf;
}

#define expect_in(hay, needle)                                                                   \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "missing '%s' in:\n%s", (needle), (hay))

/* ---- the corpus ----------------------------------------------------------- */

/* Asserts the agreement of a labelled file (label, kind, reply, ...: one row a
 * line after a header) with the reasons' families. */
static void check_agreement(const char *rel, int want_rows, int want_agree)
{
    char *path = test_corpus_path(rel);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rows = 0, agree = 0, lineno = 0;
    mc_buf misses;
    mc_buf_init(&misses);
    while ((got = getline(&line, &cap, f)) != -1) {
        if (++lineno == 1)
            continue; /* header */
        if (got > 0 && line[got - 1] == '\n')
            line[got - 1] = '\0';
        char *label = line, *c1 = strchr(line, '\t');
        ck_assert_ptr_nonnull(c1);
        *c1 = '\0';
        char *c2 = strchr(c1 + 1, '\t');
        ck_assert_ptr_nonnull(c2);
        char *reply = c2 + 1, *c3 = strchr(reply, '\t');
        if (c3)
            *c3 = '\0';
        reading r = read_reply(reply);
        const char *said = r.reason ? reasons_family(&test_rules()->reasons, r.reason) : "(none)";
        rows++;
        if (strcmp(said, label) == 0)
            agree++;
        else
            mc_buf_printf(&misses, "  %d: %s -> %s: %.80s\n", lineno, label, said, reply);
    }
    free(line);
    fclose(f);
    free(path);
    ck_assert_int_eq(rows, want_rows);
    ck_assert_msg(agree == want_agree,
                  "%s: agreement %d/%d, expected %d (update the figure and docs/ACCURACY.md when it rises);"
                  " disagreements:\n%s", rel, agree, rows, want_agree, misses.data);
    mc_buf_free(&misses);
}

START_TEST(test_corpus_agreement)
{
    check_agreement("responses/replies.tsv", CORPUS_ROWS, CORPUS_AGREE);
}
END_TEST

/* The second, independent set: failure replies quoted from public issue threads and
 * posts, labelled by their meaning before mailcodes was run on them. */
START_TEST(test_public_agreement)
{
    check_agreement("replies-public/replies.tsv", PUBLIC_ROWS, PUBLIC_AGREE);
}
END_TEST

/* Where explain finds a pasted reply's code ([@reply] of reasons.conf): where a reply opens
 * (its start, or after "said:", "smtp;", "stat=", "<<<", "(", "Error"), never any 3-digit
 * number in the text.  Replies from tests/data/replies-public/replies.tsv. */
START_TEST(test_reply_code_position)
{
    static const struct {
        const char *text, *code, *enhanced;
    } cs[] = {
        /* schweikert/postgrey#86: the number of seconds is no code (it read as 300, a 3xx
         * with no reason) */
        {"4.2.0 <ppl@nayarit.be>: Recipient address rejected: Greylisted for 300 seconds or its been rejected.", "",
         "4.2.0"},
        /* a reply that opens with its enhanced code and has no basic code (RFC 2034 4): the
         * enhanced code is read, a number inside the text is not */
        {"5.7.1 Relaying denied", "", "5.7.1"},
        {"4.2.2 Mailbox full", "", "4.2.2"},
        {"Mailbox full 4.2.2", "", ""},
        {"5.7.1.2 is no enhanced code", "", ""},
        {"connect to relay.transip.nl[149.210.149.29]:25: Operation timed out", "", ""},
        {"Timeout was reached: [smtp.gmail.com:587] server response timeout", "", ""},
        /* a qmail-style error list: ":421," is a field, not the reply's code */
        {"Error, ERROR_CODE :421, ERROR_CODE :, Host not reachable.", "", ""},
        /* where replies open */
        {"421 Recipient not in route list", "421", ""},
        {"552 message line is too long", "552", ""},
        {"Deferred: Connection refused by [x.x.x.x]", "", ""},
        {"host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@example.com>: User unknown", "550", "5.1.1"},
        {"Diagnostic-Code: smtp; 550 5.7.1 Email rejected per DMARC policy for example.org", "550", "5.7.1"},
        {"stat=451 Temporary failure", "451", ""},
        {"while talking to g5.example.net.: >>> DATA <<< 550 5.6.9 improper use of 8-bit data in message header",
         "550", "5.6.9"},
        {"Server error: 451 4.3.0 <mail@domain.com>: Temporary lookup failure", "451", "4.3.0"},
        {"Fatal error 500 5.0.0 Line too long", "500", "5.0.0"},
        /* Google's table prints 421, "4.7.0", text */
        {"421, \"4.7.0\", TLS required for RCPT domain, closing connection.", "421", "4.7.0"},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        reading r = read_reply(cs[i].text);
        ck_assert_msg(strcmp(r.rd.code, cs[i].code) == 0, "'%s': code '%s', expected '%s'", cs[i].text, r.rd.code,
                      cs[i].code);
        ck_assert_msg(strcmp(r.rd.enhanced, cs[i].enhanced) == 0, "'%s': enhanced '%s', expected '%s'", cs[i].text,
                      r.rd.enhanced, cs[i].enhanced);
    }
    /* and the greylisting reply now gets its reason */
    expect("4.2.0 <ppl@nayarit.be>: Recipient address rejected: Greylisted for 300 seconds or its been rejected.",
           "greylisted", NULL);
}
END_TEST

/* Every family the corpus labels with exists in rules/reasons.conf, and
 * every reason's family is itself a reason. */
START_TEST(test_taxonomy)
{
    static const char *const families[] = {
        "user-unknown", "mailbox-full", "mailbox-disabled", "domain-not-found", "blocklisted", "spam-content",
        "auth-failure", "policy-rejected", "relay-denied", "greylisted", "rate-limited", "too-many-connections",
        "message-too-large", "content-rejected", "tls-required", "tls-failure", "syntax-error",
        "not-accepting-mail", "expired", "network", "system-error"};
    const mc_reasons *rs = &test_rules()->reasons;
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        const mc_reason *r = reasons_find(rs, families[i]);
        ck_assert_msg(r != NULL, "no reason %s", families[i]);
        ck_assert_str_eq(reasons_family(rs, families[i]), families[i]);
        ck_assert_ptr_nonnull(r->label);
        ck_assert_ptr_nonnull(r->advice);
    }
    /* finer reasons roll up into a family */
    ck_assert_str_eq(reasons_family(rs, "host-unknown"), "domain-not-found");
    ck_assert_str_eq(reasons_family(rs, "bad-reputation"), "blocklisted");
    ck_assert_str_eq(reasons_family(rs, "reverse-dns"), "policy-rejected");
    ck_assert_str_eq(reasons_family(rs, "virus-detected"), "content-rejected");
    ck_assert_str_eq(reasons_family(rs, "mailbox-moved"), "user-unknown");
    for (size_t i = 0; i < rs->n_reasons; i++)
        ck_assert_ptr_nonnull(reasons_find(rs, reasons_family(rs, rs->reasons[i].name)));
    /* only dead addresses are hard */
    for (size_t i = 0; i < rs->n_reasons; i++) {
        const char *fam = reasons_family(rs, rs->reasons[i].name);
        bool dead = strcmp(fam, "user-unknown") == 0 || strcmp(fam, "domain-not-found") == 0;
        ck_assert_msg(rs->reasons[i].hard == dead, "%s: hard %d", rs->reasons[i].name, rs->reasons[i].hard);
    }
}
END_TEST

/* Every reason speaks in both voices (rules/reasons.conf): the sender's
 * (our mail was refused) and the receiver's (our server refused someone),
 * or says it happens in one direction only; explain shows both, labelled. */
START_TEST(test_two_voices)
{
    const mc_reasons *rs = &test_rules()->reasons;
    ck_assert_int_gt(rs->n_reasons, 30);
    for (size_t i = 0; i < rs->n_reasons; i++) {
        const mc_reason *r = &rs->reasons[i];
        bool out_only = r->only && strcmp(r->only, "outbound") == 0;
        bool in_only = r->only && strcmp(r->only, "inbound") == 0;
        ck_assert_msg(in_only || (r->advice && *r->advice), "[%s] has no sender's advice", r->name);
        ck_assert_msg(out_only || (r->receiver_advice && *r->receiver_advice), "[%s] has no receiver_advice",
                      r->name);
        if (r->advice && r->receiver_advice)
            ck_assert_msg(strcmp(r->advice, r->receiver_advice) != 0, "[%s]: one text for both voices", r->name);
    }
    /* the queue lifetime is our own queue's: outbound only */
    ck_assert_str_eq(reasons_find(rs, "expired")->only, "outbound");
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s explain '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
                               "using zen.spamhaus.org'", MC_BINARY), 0);
    char *sender = strstr(out, "\nHow to fix\n"), *receiver = strstr(out, "\nIf your own server gave this reply\n");
    ck_assert_msg(sender && receiver && sender < receiver, "%s", out);
    test_expect_has(receiver, "reject_rbl_client");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s explain '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
                               "using zen.spamhaus.org' --format json", MC_BINARY), 0);
    test_expect_has(out, "\"receiver_advice\": \"Our server refused a client");
    free(out);
}
END_TEST

/* ---- providers, named ----------------------------------------------------- */

START_TEST(test_gmail)
{
    expect_corpus("550-5.7.26 Unauthenticated email from libsisimai.org", "auth-failure", "DMARC (Gmail)");
    expect_corpus("550-5.7.26 The MAIL FROM domain [mail4.example.com]", "auth-failure", "SPF (Gmail)");
    expect_corpus("421 4.7.30 Your email has been rate limited because DKIM", "auth-failure", "DKIM (Gmail)");
    expect_corpus("421 4.7.28 Gmail has detected an unusual rate", "bad-reputation", "Gmail 4.7.28");
    expect_corpus("550 5.7.28 There is an unusual rate of unsolicited mail", "bad-reputation", "Gmail 5.7.28");
    expect_corpus("p=NoSuchUser y3si675602pl", "user-unknown", "Gmail");
    expect_corpus("550 5.7.25 The sending IP does not match", "reverse-dns", NULL);
    expect_corpus("452 4.2.2 The email account that you tried to reach is over quota", "mailbox-full", NULL);
    expect_corpus("550 5.2.1 The email account that you tried to reach is disabled", "mailbox-disabled", "Gmail");
    /* a multi-line reply joined on one line: the phrase spans two lines */
    expect_corpus("Messages with multiple 550 5.7.1 addresses in From:", "not-rfc-compliant", NULL);
}
END_TEST

START_TEST(test_microsoft)
{
    expect("550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more "
           "information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7230)",
           "bad-reputation", "Microsoft 5.7.708");
    expect_corpus("part of their network is on our block list", "blocklisted", "Microsoft S3150");
    expect("550 5.7.606 Access denied, banned sending IP [203.0.113.5]. To request removal from this list "
           "please visit https://sender.office.com/ and follow the directions.",
           "blocklisted", "Microsoft 5.7.606");
    expect_corpus("451 4.7.650 The mail server [192.0.2.25] has been temporarily rate limited", "bad-reputation",
                  "Microsoft (Outlook.com) IP reputation");
    expect_corpus("does not pass DMARC verification and has a DMARC policy of reject. [TY1P286MB3121", "auth-failure",
                  "DMARC (Microsoft)");
    expect_corpus("[kijitora@example.org]: Recipient address rejected: Access denied [NEKOCHAN", "user-unknown",
                  "Microsoft directory-based edge blocking");
    expect_corpus("RESOLVER.RST.RecipSizeLimit", "message-too-large", NULL);
    expect_corpus("Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound", "user-unknown", NULL);
    /* Microsoft's wording is also Postfix's access-map REJECT (5.7.1): not an unknown user */
    expect("554 5.7.1 <bob@example.org>: Recipient address rejected: Access denied", "policy-rejected", NULL);
}
END_TEST

START_TEST(test_yahoo_icloud)
{
    expect_corpus("[TSS04] Messages from 192.0.2.192 temporarily deferred", "rate-limited", "Yahoo TSS04");
    expect_corpus("553 5.7.2 [TSS09] All messages from", "policy-rejected", "Yahoo TSS09");
    expect_corpus("[BL23] Connections not accepted from IP addresses on Spamhaus XBL", "blocklisted", "Spamhaus XBL");
    expect_corpus("mx-aol.mail.gm0.yahoodns.net", "policy-rejected", "Yahoo 5.7.9");
    expect_corpus("[HME1] This message was blocked for failing both SPF and DKIM", "auth-failure",
                  "SPF and DKIM (Apple iCloud)");
    expect_corpus("Your message was rejected due to libsisimai.org's DMARC policy", "auth-failure", NULL);
    expect_corpus("550 5.1.1 <****@icloud.com>: inactive email address", "user-unknown", "Apple iCloud");
    expect_corpus("554 ****-smtpin001.me.com ESMTP not accepting connections", "bad-reputation", "Apple iCloud");
    expect_corpus("Messages to ****@icloud.com deferred due to excessive volume", "rate-limited", "Apple iCloud");
    expect_corpus("552 5.2.2 <****@icloud.com>: user is over quota", "mailbox-full", NULL);
}
END_TEST

START_TEST(test_gateways)
{
    /* Proofpoint */
    expect_corpus("550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=192.0.1.2",
                  "blocklisted", "Proofpoint Dynamic Reputation");
    /* Mimecast */
    expect_corpus("554 Host network not allowed - https://community.mimecast.com", "policy-rejected", "Mimecast");
    expect_corpus("554 email rejected due to security policies - MCSpamSignature", "content-rejected",
                  "Mimecast security policy");
    expect("550 Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550",
           "sender-rejected", "Mimecast blocked senders policy");
    /* Barracuda: the reputation list and the gateway */
    expect("554 Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation, see "
           "http://www.barracudanetworks.com/reputation/?r=1&ip=192.0.2.1",
           "blocklisted", "Barracuda BRBL");
    expect("550 permanent failure for one or more recipients (user@example.com:blocked)", "policy-rejected",
           "Barracuda");
}
END_TEST

/* ---- lists, with their procedure ---------------------------------------- */

START_TEST(test_blocklists)
{
    const char *spec = "550 5.7.1 Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org";
    reading r = read_reply(spec);
    ck_assert_str_eq(r.reason, "blocklisted");
    ck_assert_str_eq(r.detail, "Spamhaus ZEN");
    ck_assert_ptr_nonnull(r.rd.hit.detail_advice);
    ck_assert_ptr_nonnull(strstr(r.rd.hit.detail_advice, "Reputation Checker"));
    ck_assert_ptr_null(strstr(r.rd.hit.detail_advice, "http"));
    expect_corpus("rejected due to listing in Spamhaus SBL", "blocklisted", "Spamhaus SBL");
    expect_corpus("domain present in the Spamhaus DBL", "blocklisted", "Spamhaus DBL");
    expect_corpus("blocked using dnsbl.sorbs.net", "blocklisted", "SORBS");
    expect("554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using bl.spamcop.net; Blocked - see "
           "https://www.spamcop.net/bl.shtml?192.0.2.9",
           "blocklisted", "SpamCop");
    expect("554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using b.barracudacentral.org",
           "blocklisted", "Barracuda BRBL");
    /* an unnamed list: the zone from the text */
    expect_corpus("blocked using mail.neko.example.org;", "blocklisted", "mail.neko.example.org");
    /* every list has a link-free procedure */
    const mc_reasons *rs = &test_rules()->reasons;
    ck_assert_uint_ge(rs->n_lists, 10);
    for (size_t i = 0; i < rs->n_lists; i++) {
        ck_assert_msg(strstr(rs->lists[i].advice, "http") == NULL, "%s: link in advice", rs->lists[i].name);
        ck_assert_ptr_eq(reasons_detail_advice(rs, "blocklisted", mc_str_cstr(rs->lists[i].name)),
                         rs->lists[i].advice);
    }
    ck_assert_ptr_nonnull(reasons_detail_advice(rs, "rate-limited", mc_str_cstr("Yahoo TSS04")));
    ck_assert_ptr_null(reasons_detail_advice(rs, "blocklisted", mc_str_cstr("no such list")));
    for (size_t i = 0; i < rs->n_reasons; i++)
        ck_assert_msg(strstr(rs->reasons[i].advice, "http") == NULL, "%s: link in advice", rs->reasons[i].name);
}
END_TEST

/* ---- reasons the corpus has no rows for --------------------------------- */

START_TEST(test_other_reasons)
{
    expect("450 4.2.0 <bob@example.org>: Recipient address rejected: Greylisted, see "
           "http://postgrey.schweikert.ch/help/example.org.html",
           "greylisted", NULL);
    expect("451 4.7.1 Greylisting in action, please come back later", "greylisted", NULL);
    expect("530 5.7.0 Must issue a STARTTLS command first", "tls-required", NULL);
    expect("Cannot start TLS: handshake failure", "tls-failure", NULL);
    expect("535 5.7.8 Error: authentication failed: authentication failure", "smtp-auth-failure", NULL);
    expect("554 5.4.6 Too many hops", "mail-loop", NULL);
    expect("556 5.1.10 Recipient address has null MX", "not-accepting-mail", NULL);
    expect("521 5.3.2 mx.example.net does not accept mail", "not-accepting-mail", NULL);
    expect("552 5.3.4 Message size exceeds fixed limit", "message-too-large", NULL);
    expect("451 4.3.0 Temporary server error. Please try again later", "system-error", NULL);
    expect("452 4.5.3 Error: too many recipients", "too-many-recipients", NULL);
    expect("421 4.7.0 mx.example.net Too many concurrent SMTP connections; please try again later",
           "too-many-connections", NULL);
    expect("550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.1]", "reverse-dns", NULL);
    expect("554 5.7.1 <x@example.com>: Relay access denied", "relay-denied", NULL);
    expect("550 5.1.6 <old@example.com>: Recipient address rejected: User has moved; please try "
           "<new@example.net>", "mailbox-moved", NULL);
    expect("Host or domain name not found. Name service error for name=nxdomain.test type=MX: Host not found",
           "domain-not-found", NULL);
    expect("Host or domain name not found. Name service error for name=example.com type=MX: Host not found, "
           "try again", "dns-failure", NULL);
    /* a pasted bounce text without a code: a timeout there means the queue gave up */
    expect("connect to mx.example.com[192.0.2.1]:25: Connection timed out", "expired", "the host kept timing out");
    expect("connect to mx.example.com[192.0.2.1]:25: Connection refused", "network", NULL);
}
END_TEST

/* ---- events: hardness and the status ------------------------------------ */

START_TEST(test_events)
{
    /* dead addresses are hard, even without an enhanced code */
    ck_assert(classify("550", "", "bounced", "550 No such user here").hard);
    mc_event ev = classify("551", "5.1.6", "bounced", "551 5.1.6 User has moved; please try <n@example.net>");
    ck_assert_str_eq(ev.reason, "mailbox-moved");
    ck_assert(ev.hard);
    /* a deferral is never hard, a policy block neither */
    ck_assert(!classify("450", "4.1.1", "deferred", "450 4.1.1 <a@b>: Recipient address rejected: User unknown").hard);
    ev = classify("554", "5.7.1", "bounced", "554 5.7.1 <a@b>: Recipient address rejected: Access denied");
    ck_assert_str_eq(ev.reason, "policy-rejected");
    ck_assert(!ev.hard);
    /* docomo says "Unknown user" for its subscribers' reception filter */
    ev = classify("550", "", "bounced",
                  "host mfsmax.docomo.ne.jp[203.138.181.240] said: 550 Unknown user x@docomo.ne.jp");
    ck_assert_str_eq(ev.reason, "policy-rejected");
    ck_assert(!ev.hard);
    /* a deferral that timed out is a network failure, not an expiry */
    ev = classify("", "4.4.1", "deferred", "connect to mx.example.com[192.0.2.1]:25: Connection timed out");
    ck_assert_str_eq(ev.reason, "network");
    /* an expiry with no words of its own */
    ev = classify("", "", "expired", "");
    ck_assert_str_eq(ev.reason, "expired");
    /* a success has no reason, whatever the text */
    ck_assert_ptr_null(classify("250", "2.0.0", "sent", "250 2.0.0 Ok: queued, blocklist checks passed").reason);
}
END_TEST

/* Cached decisions give each text its own detail view, and never cross
 * from one rule set to another. */
START_TEST(test_cache)
{
    char a[] = "554 5.7.1 <x[192.0.2.1]>: Client host rejected: blocked using rbl.example.net";
    char b[sizeof a];
    memcpy(b, a, sizeof a);
    mc_matcher m;
    matcher_init(&m);
    const mc_reasons *rs = &test_rules()->reasons;
    mc_reason_cache *cache = reason_cache_new(rs);
    for (int round = 0; round < 2; round++) {
        mc_str d1, d2;
        const mc_reason *r1 = classify_reason(rs, &m, cache, "554", "5.7.1", CLASS_PERMANENT, mc_str_cstr(a), &d1);
        const mc_reason *r2 = classify_reason(rs, &m, cache, "554", "5.7.1", CLASS_PERMANENT, mc_str_cstr(b), &d2);
        ck_assert_ptr_eq(r1, r2);
        ck_assert_str_eq(r1->name, "blocklisted");
        ck_assert(d1.p >= a && d1.p < a + sizeof a);
        ck_assert(d2.p >= b && d2.p < b + sizeof b);
        ck_assert_view(d2, "rbl.example.net");
    }
    /* another rule set, another answer for the same text: a cache answers
     * only for the rule set it was made for */
    char dir[] = "/tmp/mc-reasons-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "cp -r %s/. %s/ && printf '[only]\\nadvice = a\\nmatch = rbl\\n' > %s/reasons.conf",
             MC_SOURCE_RULES, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    mc_reasons other;
    char err[1024];
    ck_assert_msg(reasons_load(&other, dir, true, err, sizeof err), "%s", err);
    mc_str d;
    const mc_reason *r = classify_reason(&other, &m, cache, "554", "5.7.1", CLASS_PERMANENT, mc_str_cstr(a), &d);
    ck_assert_str_eq(r->name, "only");
    r = classify_reason(rs, &m, cache, "554", "5.7.1", CLASS_PERMANENT, mc_str_cstr(a), &d);
    ck_assert_str_eq(r->name, "blocklisted");
    reasons_free(&other);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    reason_cache_free(cache);
    matcher_free(&m);
}
END_TEST

/* A slot hash that puts every reply in one slot: every lookup collides. */
static uint64_t one_slot(const void *p, size_t n)
{
    (void)p;
    (void)n;
    return 7;
}

/* Issue 12.1: replies that share a cache slot (and a hash) must still get
 * their own answers, and a detail must never be read past the text it was
 * found in.  Each text is its own exact-size allocation, so under ASan an
 * offset taken from a longer reply would be a heap-buffer-overflow.  The
 * expected answers are those of the classifier without a cache. */
START_TEST(test_cache_collisions)
{
    static const struct {
        const char *code, *enhanced, *text;
    } replies[] = {
        /* a detail captured far into a long text ... */
        {"554", "5.7.1", "554 5.7.1 <x[192.0.2.1]>: Client host rejected: blocked using rbl.example.net"},
        /* ... then short texts with the same code pair */
        {"554", "5.7.1", "554 5.7.1 no"},
        {"554", "5.7.1", "554 5.7.1 blocked using zen.spamhaus.org"},
        /* same length as the first, another reason */
        {"554", "5.7.1", "554 5.7.1 <x[192.0.2.1]>: Recipient address rejected: User unknown in table"},
        {"550", "5.1.1", "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown"},
        {"550", "5.1.1", "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown"},
        {"450", "4.7.1", "450 4.7.1 Greylisted, see http://postgrey.schweikert.ch/help/b.example.html"},
        {"", "", ""},
    };
    const size_t n = sizeof replies / sizeof replies[0];
    const mc_reasons *rs = &test_rules()->reasons;
    mc_matcher m;
    matcher_init(&m);
    mc_reason_cache *cache = reason_cache_new(rs);
    reason_cache_set_hash(cache, one_slot);
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < n; i++) {
            /* forwards, then backwards, then every other one */
            size_t k = round == 0 ? i : round == 1 ? n - 1 - i : (2 * i) % n;
            size_t len = strlen(replies[k].text);
            char *text = mc_xmalloc(len ? len : 1);
            memcpy(text, replies[k].text, len);
            mc_str view = mc_str_make(text, len);
            mc_class klass = replies[k].code[0] ? mc_class_of_digit(replies[k].code[0]) : CLASS_UNKNOWN;
            mc_str d_ref, d_got;
            const mc_reason *want =
                classify_reason(rs, &m, NULL, replies[k].code, replies[k].enhanced, klass, view, &d_ref);
            const mc_reason *got =
                classify_reason(rs, &m, cache, replies[k].code, replies[k].enhanced, klass, view, &d_got);
            ck_assert_msg(got == want, "reply %zu round %d: %s, want %s", k, round, got ? got->name : "none",
                          want ? want->name : "none");
            ck_assert_uint_eq(d_got.n, d_ref.n);
            if (d_ref.p) {
                /* a view within this text where the classifier found it
                 * there (checked before any byte is read), else the same
                 * rules string */
                if (d_ref.p >= text && d_ref.p <= text + len)
                    ck_assert(d_got.p >= text && d_got.p + d_got.n <= text + len);
                else
                    ck_assert_ptr_eq(d_got.p, d_ref.p);
                ck_assert(memcmp(d_got.p, d_ref.p, d_ref.n) == 0);
            } else {
                ck_assert_ptr_null(d_got.p);
            }
            free(text);
        }
    }
    reason_cache_free(cache);
    matcher_free(&m);
}
END_TEST

/* The reason of one reply with and without the cache: the same reason, and
 * the same detail bytes, within this text where the classifier found it
 * there.  Returns the uncached detail. */
static mc_str same_answer(const mc_reasons *rs, mc_matcher *m, mc_reason_cache *cache, const char *code,
                          const char *enhanced, const char *text)
{
    mc_class klass = mc_class_of_digit(code[0]);
    mc_str view = mc_str_cstr(text), d_ref, d_got;
    const mc_reason *want = classify_reason(rs, m, NULL, code, enhanced, klass, view, &d_ref);
    const mc_reason *got = classify_reason(rs, m, cache, code, enhanced, klass, view, &d_got);
    ck_assert_msg(got == want, "%s: %s, want %s", text, got ? got->name : "none", want ? want->name : "none");
    ck_assert_uint_eq(d_got.n, d_ref.n);
    if (d_ref.p && d_ref.p >= text && d_ref.p <= text + view.n)
        ck_assert(d_got.p >= text && d_got.p + d_got.n <= text + view.n);
    else
        ck_assert_ptr_eq(d_got.p, d_ref.p);
    if (d_ref.p)
        ck_assert(memcmp(d_got.p, d_ref.p, d_ref.n) == 0);
    return d_ref;
}

/* The cache is keyed by the words the rules read (addresses masked, a
 * joined reply's repeated codes removed): replies that differ only in an
 * address of the same length share one decision, each keeping its own
 * detail view, and a detail the classifier reads in the whole reply (not
 * the shortened words) is never shared. */
START_TEST(test_cache_by_words)
{
    const mc_reasons *rs = &test_rules()->reasons;
    mc_matcher m;
    matcher_init(&m);
    mc_reason_cache *cache = reason_cache_new(rs);
    static const char *const pairs[][2] = {
        /* same length addresses, a detail captured after them */
        {"554 5.7.1 <alice@a.example>: Client host rejected: blocked using rbl.example.net",
         "554 5.7.1 <brian@b.example>: Client host rejected: blocked using rbl.example.net"},
        {"550 5.1.1 <anna.65225@healthblue.com>: Recipient address rejected: User unknown",
         "550 5.1.1 <omar.11111@northdelta.net>: Recipient address rejected: User unknown"},
        /* a word in the address decides nothing, masked or cached */
        {"550 5.7.1 <spam-admin@example.com>: Recipient address rejected: Access denied",
         "550 5.7.1 <user-unkno@example.com>: Recipient address rejected: Access denied"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        size_t before = reason_cache_hits(cache);
        same_answer(rs, &m, cache, "554", "5.7.1", pairs[i][0]);
        same_answer(rs, &m, cache, "554", "5.7.1", pairs[i][1]);
        ck_assert_msg(reason_cache_hits(cache) == before + 1, "pair %zu: the second reply missed", i);
    }
    /* Both shorten to "550-5.7.1 x blocked using rbl.example.net end"; in
     * the first the list's name stands after "blocked using" in the reply
     * itself, in the second a repeated code stands between them. */
    const char *a = "550-5.7.1 x blocked using rbl.example.net 550 5.7.1 end";
    const char *b = "550-5.7.1 x blocked using 550-5.7.1 rbl.example.net end";
    for (int round = 0; round < 2; round++) {
        mc_str da = same_answer(rs, &m, cache, "550", "5.7.1", a);
        mc_str db = same_answer(rs, &m, cache, "550", "5.7.1", b);
        ck_assert_view(da, "rbl.example.net");
        ck_assert_ptr_null(db.p);
    }
    reason_cache_free(cache);
    matcher_free(&m);
}
END_TEST

/* Masking keeps an address's whole local part, every RFC 5322 atext byte
 * and the dot, and stops at any other byte: two replies whose local parts
 * differ only in letters around one such byte share a decision (their
 * masked words are equal); around a byte that ends the local part ('/',
 * '?', '(', ...) the letters before it stay, so they do not. */
START_TEST(test_cache_local_part)
{
    const mc_reasons *rs = &test_rules()->reasons;
    mc_matcher m;
    matcher_init(&m);
    const char *atext = ".!#$%&'*+=^_`{|}~-";
    const char *other = "/?(),:;<>\"[]\\ \t";
    for (int pass = 0; pass < 2; pass++) {
        const char *set = pass == 0 ? atext : other;
        for (const char *c = set; *c; c++) {
            mc_reason_cache *cache = reason_cache_new(rs);
            char a[128], b[128];
            snprintf(a, sizeof a, "550 5.1.1 <ab%ccd@example.com>: Recipient address rejected: User unknown", *c);
            snprintf(b, sizeof b, "550 5.1.1 <yz%ccd@example.com>: Recipient address rejected: User unknown", *c);
            same_answer(rs, &m, cache, "550", "5.1.1", a);
            same_answer(rs, &m, cache, "550", "5.1.1", b);
            ck_assert_msg(reason_cache_hits(cache) == (pass == 0 ? 1u : 0u), "byte '%c' %s the local part", *c,
                          pass == 0 ? "must stay in" : "must end");
            reason_cache_free(cache);
        }
    }
    matcher_free(&m);
}
END_TEST

/* The cache's slot hash spreads keys: every byte of a key, its tail
 * included, and its length change the hash; another seed gives another
 * hash; 20,000 reply-like keys that differ in a few digits fill 1,024 sets
 * near evenly (a hash that read only some bytes would pile them up). */
START_TEST(test_cache_hash)
{
    const uint64_t seed[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull};
    const uint64_t seed2[2] = {0x0123456789abcdeeull, 0xfedcba9876543210ull};
    unsigned char key[41];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)('a' + i % 26);
    for (size_t n = 0; n <= sizeof key; n++) {
        uint64_t h = reason_cache_hash(seed, key, n);
        ck_assert(h != reason_cache_hash(seed2, key, n));
        if (n < sizeof key)
            ck_assert_msg(h != reason_cache_hash(seed, key, n + 1), "length %zu", n);
        for (size_t i = 0; i < n; i++)
            for (int bit = 0; bit < 8; bit++) {
                key[i] ^= (unsigned char)(1u << bit);
                ck_assert_msg(reason_cache_hash(seed, key, n) != h, "length %zu byte %zu bit %d", n, i, bit);
                key[i] ^= (unsigned char)(1u << bit);
            }
    }
    /* trailing NULs are bytes too */
    ck_assert(reason_cache_hash(seed, "a\0\0", 1) != reason_cache_hash(seed, "a\0\0", 2));
    enum { SETS = 1024, KEYS = 20000 };
    static unsigned load[SETS];
    memset(load, 0, sizeof load);
    for (unsigned i = 0; i < KEYS; i++) {
        char text[160];
        int n = snprintf(text, sizeof text,
                         "451 4.7.1 Service unavailable - try again later (client %u.%u.2.%u) helo=<h%u.example>",
                         i % 7, i % 13, i % 251, i / 251);
        load[reason_cache_hash(seed, text, (size_t)n) % SETS]++;
    }
    unsigned most = 0;
    for (int s = 0; s < SETS; s++)
        most = load[s] > most ? load[s] : most;
    /* about 19.5 a set; a fair hash's fullest of 1,024 sets holds about 35 */
    ck_assert_msg(most < 45, "fullest set %u", most);
}
END_TEST

/* ---- the loader says FILE:LINE -------------------------------------------- */

START_TEST(test_loader_errors)
{
    static const struct {
        const char *file, *text, *where, *what;
    } cases[] = {
        {"reasons.conf", "[a]\nadvice = x\n[b/c]\nmatch = y\n", "reasons.conf:3:", "there is no reason [b]"},
        {"reasons.conf", "[a]\nadvice = x\nfamily = zz\n", "reasons.conf:3:", "family 'zz'"},
        {"reasons.conf", "[a]\nadvice = x\n[a/v]\nlabel = no\nmatch = y\n", "reasons.conf:4:", "belongs in"},
        {"reasons.conf", "[a]\nadvice = x\n[a/v]\ndetail = d\n", "reasons.conf:3:", "no match pattern"},
        {"reasons.conf", "[a]\nadvice = x\nrequire = (\nmatch = y\n", "reasons.conf:3:", "bad pattern"},
        {"reasons.conf", "[a]\nadvice = x\nmatch = y\nlists = maybe\n", "reasons.conf:4:", "yes or no"},
        {"reasons.conf", "[a]\nadvice = x\nby_code_alone = yes\n", "reasons.conf:1:", "no code or enhanced"},
        {"reasons.conf", "[A b]\nadvice = x\n", "reasons.conf:1:", "a reason name"},
        {"reasons.conf", "[@reply]\npattern = [0-9]+\n[a]\nadvice = x\n", "reasons.conf:2:", "(?<code>"},
        {"reasons.conf", "[@other]\n[a]\nadvice = x\n", "reasons.conf:1:", "unknown section"},
        {"blocklists.conf", "[List]\nmatch = x\n", "blocklists.conf:1:", "needs a match pattern and advice"},
        {"blocklists.conf", "[List]\nmatch = x\nadvice = a\ncolour = red\n", "blocklists.conf:4:", "unknown key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[] = "/tmp/mc-reasons-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, cases[i].file);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(cases[i].text, f);
        fclose(f);
        if (strcmp(cases[i].file, "blocklists.conf") == 0) {
            snprintf(path, sizeof path, "%s/reasons.conf", dir);
            f = fopen(path, "w");
            fputs("[a]\nadvice = x\nmatch = y\n", f);
            fclose(f);
        }
        mc_reasons rs;
        char err[1024] = "";
        ck_assert_msg(!reasons_load(&rs, dir, true, err, sizeof err), "case %zu accepted", i);
        ck_assert_msg(strstr(err, cases[i].where) && strstr(err, cases[i].what), "case %zu: '%s'", i, err);
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        ck_assert_int_eq(system(cmd), 0);
    }
}
END_TEST

/* ---- explain and compare ---------------------------------------------------- */

static const char *const langs[] = {"en", "th", "ko", "zh", "de", "ar"};
static const char *const headings[][5] = {
    {"Description", "When you see it", "How to fix", "Key differences", "When to use which"},
    {"คำอธิบาย", "เมื่อคุณพบเห็น", "วิธีแก้ไข", "ความแตกต่างหลัก", "ควรใช้อันไหนเมื่อไร"},
    {"설명", "이 코드를 보게 되는 경우", "해결 방법", "주요 차이점", "언제 어떤 것을 사용할지"},
    {"描述", "何时出现", "如何修复", "主要区别", "何时使用哪个"},
    {"Beschreibung", "Wann Sie es sehen", "Wie man es behebt", "Wesentliche Unterschiede", "Wann welchen verwenden"},
    {"الوصف", "متى تراه", "كيفية الإصلاح", "الفروق الرئيسية", "متى تستخدم أيًا منهما"},
};

/* A heading on its own line, as the contract words it (right-to-left marked). */
static void expect_heading(const char *out, const char *lang, const char *h)
{
    char line[256];
    snprintf(line, sizeof line, "\n%s%s\n", strcmp(lang, "ar") == 0 ? RLM : "", h);
    expect_in(out, line);
}

START_TEST(test_explain_every_code)
{
    const mc_knowledge *k = &test_rules()->knowledge;
    int rc;
    for (size_t i = 0; i < k->n_codes; i++) {
        char *out = page(k->codes[i].id, NULL, false, "en", &rc);
        ck_assert_msg(rc == 0, "explain %s: %d", k->codes[i].id, rc);
        expect_heading(out, "en", "Description");
        expect_heading(out, "en", "When you see it");
        expect_heading(out, "en", "How to fix");
        free(out);
        out = page(k->codes[i].id, NULL, true, "en", &rc);
        ck_assert_int_eq(rc, 0);
        expect_in(out, "\"reason\": null");
        free(out);
    }
    /* every enhanced record, in the classes it can have */
    for (size_t i = 0; i < k->n_enhanced; i++) {
        const char *id = k->enhanced[i].id;
        if (strchr(id + 2, 'X'))
            continue; /* class and subject records: reached through their codes */
        for (int c = 0; c < 2; c++) {
            char code[16];
            snprintf(code, sizeof code, "%s", id);
            if (code[0] == 'X')
                code[0] = c ? '5' : '4';
            else if (c)
                continue;
            char *out = page(code, NULL, false, "en", &rc);
            ck_assert_msg(rc == 0, "explain %s: %d", code, rc);
            expect_heading(out, "en", "Description");
            expect_heading(out, "en", "How to fix");
            free(out);
        }
    }
    /* an enhanced code that no record defines is undefined, like a basic code
     * without a record (299): an error, not a page about its subject or class */
    static const char *const undefined[] = {"5.7.99", "4.9.9", "5.9.99", "4.7.999"};
    for (size_t i = 0; i < sizeof undefined / sizeof undefined[0]; i++) {
        char *u = page(undefined[i], NULL, false, "en", &rc);
        ck_assert_msg(rc == 1, "explain %s: %d", undefined[i], rc);
        free(u);
    }
    char *out = page("299", NULL, false, "en", &rc);
    ck_assert_int_eq(rc, 1);
    free(out);
    out = page("not a reply \xff", NULL, false, "en", &rc);
    ck_assert_int_eq(rc, 1);
    free(out);
}
END_TEST

START_TEST(test_explain_reply)
{
    int rc;
    const char *spec = "550 5.7.1 Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org";
    char *out = page(spec, NULL, true, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "\"code\": \"550\", \"enhanced\": \"5.7.1\", \"class\": \"permanent\"");
    expect_in(out, "\"reason\": \"blocklisted\", \"reason_detail\": \"Spamhaus ZEN\"");
    /* the enhanced code's own record before the basic code's generic one */
    expect_in(out, "\"name\": \"Delivery not authorized, message refused\"");
    expect_in(out, "\"fix\": \"Spamhaus ZEN combines");
    free(out);
    out = page(spec, NULL, false, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "5xx Permanent Negative");
    expect_in(out, "Reason: blocklisted (Sending IP or domain is on a blocklist)");
    expect_in(out, "Detail: Spamhaus ZEN");
    expect_in(out, "Reputation Checker");
    free(out);
    /* a reply without a code still gets its reason */
    out = page("connect to mx.example.com[192.0.2.1]:25: Connection refused", NULL, true, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "\"code\": null");
    expect_in(out, "\"reason\": \"network\"");
    free(out);
    /* a rule that named the situation speaks for it: postscreen's deny
     * list refuses with 550 5.3.2 (the real Postfix run), and the code's
     * general fix (rules/enhanced.conf [X.3.2]: let the queue retry, raise
     * process limits; "our server is not accepting mail") must not follow
     * the deny-list advice in either voice */
    out = page("550 5.3.2 Service currently unavailable", NULL, false, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "Detail: postscreen deny list (postscreen_access_list)");
    expect_in(out, "remove the client from postscreen_access_list");
    ck_assert_ptr_null(strstr(out, "Let the queue retry"));
    ck_assert_ptr_null(strstr(out, "Our server is not accepting mail"));
    free(out);
    /* without a rule's detail the code's fix is still there */
    out = page("550 5.3.2 System not accepting network messages", NULL, false, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "Let the queue retry");
    expect_in(out, "Our server is not accepting mail");
    free(out);
    /* languages: the reason label is translated, the list stays named */
    out = page(spec, NULL, false, "de", &rc);
    expect_in(out, "Ursache: blocklisted (Sende-IP oder Domain steht auf einer Blockliste)");
    expect_in(out, "Einzelheit: Spamhaus ZEN");
    expect_heading(out, "de", "Wie man es behebt");
    free(out);
}
END_TEST

START_TEST(test_languages)
{
    int rc;
    for (size_t l = 0; l < sizeof langs / sizeof langs[0]; l++) {
        char *out = page("421", NULL, false, langs[l], &rc);
        ck_assert_int_eq(rc, 0);
        for (int h = 0; h < 3; h++)
            expect_heading(out, langs[l], headings[l][h]);
        free(out);
        out = page("220", "521", false, langs[l], &rc);
        ck_assert_int_eq(rc, 0);
        for (int h = 0; h < 5; h++)
            expect_heading(out, langs[l], headings[l][h]);
        free(out);
        mc_lang lang;
        char err[512];
        ck_assert(lang_load(&lang, test_rules()->dir, langs[l], err, sizeof err));
        ck_assert_str_eq(lang_code(&lang), langs[l]);
        ck_assert_str_eq(lang_dir(&lang), strcmp(langs[l], "ar") == 0 ? "rtl" : "ltr");
        /* every reason has a label in every language */
        for (size_t i = 0; i < test_rules()->reasons.n_reasons; i++) {
            const mc_reason *r = &test_rules()->reasons.reasons[i];
            ck_assert_ptr_nonnull(lang_reason_label(&lang, r->name, r->label));
            if (strcmp(langs[l], "en") != 0)
                ck_assert_msg(lang_reason_label(&lang, r->name, NULL) != NULL, "%s: no label for %s", langs[l],
                              r->name);
        }
        /* every English word is translated */
        const conf_section *en = conf_find_section(lang.fallback, "@words");
        for (size_t i = 0; lang.words && i < en->n_entries; i++)
            ck_assert_msg(conf_get(conf_find_section(lang.words, "@words"), en->entries[i].key) != NULL,
                          "%s lacks '%s'", langs[l], en->entries[i].key);
        lang_free(&lang);
    }
    /* Arabic: every translated line starts right to left; English bodies do not */
    char *out = page("220", "521", false, "ar", &rc);
    expect_in(out, RLM "مقارنة 220 مع 521\n");
    expect_in(out, "\n" RLM "  1. ");
    expect_in(out, "\n  The greeting banner");
    free(out);
    /* templates fill their slots in the language's order */
    mc_lang lang;
    char err[512];
    ck_assert(lang_load(&lang, test_rules()->dir, "zh", err, sizeof err));
    mc_buf b;
    mc_buf_init(&b);
    const char *vars[] = {"a", "421", "b", "450", NULL};
    lang_fill(&b, &lang, "compare_title", vars);
    ck_assert_str_eq(b.data, "421 与 450 对比");
    mc_buf_free(&b);
    lang_free(&lang);
    ck_assert(!lang_load(&lang, test_rules()->dir, "xx", err, sizeof err));
}
END_TEST

START_TEST(test_compare)
{
    int rc;
    /* the text page: title, summary, numbered differences */
    char *out = page("421", "450", false, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "421 compared with 450\n");
    expect_in(out, "\n  1. Class: both are 4xx Transient Negative");
    free(out);
    /* basic with basic: class, category, stage, connection, reasons - from the data
     * (checked on the JSON, where sentences are not wrapped) */
    out = page("421", "450", true, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "421 is about the connection");
    expect_in(out, "450 is about the mail system");
    expect_in(out, "after 421 the server closes the connection");
    /* RFC 5321 3.8: 421 may be the greeting or the reply to any command */
    expect_in(out, "Stage: 421 is typically sent at the connection greeting, any command; 450 at MAIL FROM, RCPT TO.");
    free(out);
    out = page("220", "521", true, "en", &rc);
    expect_in(out, "220 reports success and 521 a failure");
    /* RFC 7504 section 3: after a 521 greeting the server may close at once,
     * or keep the connection and answer every command but QUIT with 521 */
    expect_in(out, "Connection: after 521 the server may close the connection at once, or keep it open and "
                   "answer every command but QUIT with 521 (RFC 7504); after 220 the session can go on.");
    ck_assert_ptr_null(strstr(out, "after 521 the server closes"));
    expect_in(out, "Typical reasons: 220: none; 521: Domain does not accept mail.");
    free(out);
    out = page("450", "550", true, "en", &rc);
    expect_in(out, "Prefer 450 while the condition can clear by itself");
    free(out);
    /* enhanced with enhanced: subject, who acts, hardness, typical reasons */
    out = page("5.1.1", "5.2.2", true, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "5.1.1 concerns Addressing Status: the sender must correct or remove the address");
    expect_in(out, "5.2.2 concerns Mailbox Status");
    expect_in(out, "5.1.1 says the address itself is dead");
    expect_in(out, "5.1.1: Recipient address does not exist; 5.2.2: Recipient mailbox is full.");
    free(out);
    out = page("5.7.1", "5.7.26", true, "en", &rc);
    expect_in(out, "Subject: both concern Security or Policy Status");
    free(out);
    /* the differences differ from pair to pair: no canned paragraph */
    char *x = page("421", "450", false, "en", &rc), *y = page("5.1.1", "5.2.2", false, "en", &rc);
    ck_assert_str_ne(strstr(x, "Key differences"), strstr(y, "Key differences"));
    free(x);
    free(y);
    /* every basic code against 550 and every enhanced detail against 5.7.1 */
    const mc_knowledge *k = &test_rules()->knowledge;
    for (size_t i = 0; i < k->n_codes; i++) {
        out = page(k->codes[i].id, "550", false, "en", &rc);
        ck_assert_msg(rc == 0, "compare %s 550", k->codes[i].id);
        expect_in(out, "\n  1. ");
        free(out);
    }
    for (size_t i = 0; i < k->n_enhanced; i++) {
        if (strchr(k->enhanced[i].id + 2, 'X'))
            continue;
        char code[16];
        snprintf(code, sizeof code, "%s", k->enhanced[i].id);
        if (code[0] == 'X')
            code[0] = '5';
        out = page(code, "5.7.1", false, "en", &rc);
        ck_assert_msg(rc == 0, "compare %s 5.7.1", code);
        free(out);
    }
    /* JSON: both pages and the derived lists */
    out = page("421", "450", true, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "{\"a\": {\"input\": \"421\"");
    expect_in(out, "\"differences\": [\"Class: both are");
    expect_in(out, "\"which\": [");
    free(out);
    out = page("421", "nonsense", false, "en", &rc);
    ck_assert_int_eq(rc, 1);
    free(out);
    /* success and failure at the same point (both greetings) do describe one situation */
    static const char *const greet[] = {"521", "421"};
    for (size_t i = 0; i < 2; i++) {
        out = page("220", greet[i], true, "en", &rc);
        ck_assert_int_eq(rc, 0);
        expect_in(out, "a failure at the same point (the connection greeting");
        ck_assert_ptr_null(strstr(out, "never describe the same situation"));
        free(out);
    }
    /* 221 ends the session (RFC 5321 4.2.3): its action must not say it goes on */
    out = page("221", "550", true, "en", &rc);
    expect_in(out, "221 (Service closing transmission channel) is 2xx Positive Completion: the command succeeded"
                   " and the server closes the connection.");
    ck_assert_ptr_null(strstr(out, "session goes on"));
    free(out);
    /* the same code twice does not "differ" */
    out = page("550", "550", true, "en", &rc);
    expect_in(out, "550 and 550 are the same code");
    ck_assert_ptr_null(strstr(out, "They differ"));
    free(out);
    /* 421 names no rule, but compare.conf lists its usual reasons */
    out = page("421", "450", true, "en", &rc);
    expect_in(out, "Typical reasons: 421: Sending too fast (rate limit), Too many connections or messages per "
                   "session, Sending IP or domain has a poor reputation");
    free(out);
    /* mixed kinds are accepted; an unknown code is refused without claiming otherwise */
    out = page("550", "5.7.1", false, "en", &rc);
    ck_assert_int_eq(rc, 0);
    free(out);
    out = page("250", "999", false, "en", &rc);
    ck_assert_int_eq(rc, 1);
    free(out);
}
END_TEST

/* A pasted reply: provider rule first, then the enhanced code's record, then
 * the basic code's. */
START_TEST(test_explain_order)
{
    int rc;
    char *out = page("550 5.7.23 The message was rejected because of Sender Policy Framework violation", NULL,
                     true, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "\"name\": \"SPF validation failed\"");
    free(out);
    out = page("421 4.7.27 Your email has been rate limited because SPF authentication didn't pass for this "
               "message. - gsmtp",
               NULL, true, "en", &rc);
    expect_in(out, "\"name\": \"SPF authentication did not pass (Gmail)\"");
    expect_in(out, "\"reason\": \"auth-failure\"");
    free(out);
    out = page("550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", NULL, false, "en", &rc);
    expect_in(out, "550 5.4.1 Recipient address rejected: Access denied (Microsoft)");
    expect_in(out, "Detail: Microsoft directory-based edge blocking");
    ck_assert_ptr_null(strstr(out, "550 5.4.1 No answer from host"));
    free(out);
    /* a pasted reply with only an enhanced code: its record and its class, not a bare reason
     * (the class of 4.2.2 is transient: the reply is retried, whatever a 5.2.2 would say) */
    out = page("4.2.2 Mailbox full", NULL, true, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "\"enhanced\": \"4.2.2\"");
    expect_in(out, "\"class\": \"transient\"");
    expect_in(out, "\"name\": \"Mailbox full\"");
    expect_in(out, "\"reason\": \"mailbox-full\"");
    free(out);
    out = page("5.7.1 Relaying denied", NULL, false, "en", &rc);
    ck_assert_int_eq(rc, 0);
    expect_in(out, "5.7.1 Delivery not authorized, message refused");
    expect_in(out, "5xx Permanent Negative");
    expect_in(out, "relay-denied");
    free(out);
    /* a provider rule still comes first: Gmail's 5.7.28 wording gives its own detail */
    out = page("5.7.28 There is an unusual rate of unsolicited mail originating from your IP address. - gsmtp", NULL,
               true, "en", &rc);
    expect_in(out, "\"reason_detail\": \"Gmail 5.7.28\"");
    expect_in(out, "\"class\": \"permanent\"");
    free(out);
}
END_TEST

static Suite *reasons_suite(void)
{
    Suite *s = suite_create("reasons");
    TCase *tc = tcase_create("reasons");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_corpus_agreement);
    tcase_add_test(tc, test_public_agreement);
    tcase_add_test(tc, test_reply_code_position);
    tcase_add_test(tc, test_taxonomy);
    tcase_add_test(tc, test_two_voices);
    tcase_add_test(tc, test_gmail);
    tcase_add_test(tc, test_microsoft);
    tcase_add_test(tc, test_yahoo_icloud);
    tcase_add_test(tc, test_gateways);
    tcase_add_test(tc, test_blocklists);
    tcase_add_test(tc, test_other_reasons);
    tcase_add_test(tc, test_events);
    tcase_add_test(tc, test_cache);
    tcase_add_test(tc, test_cache_collisions);
    tcase_add_test(tc, test_cache_by_words);
    tcase_add_test(tc, test_cache_local_part);
    tcase_add_test(tc, test_cache_hash);
    tcase_add_test(tc, test_loader_errors);
    tcase_add_test(tc, test_explain_every_code);
    tcase_add_test(tc, test_explain_reply);
    tcase_add_test(tc, test_languages);
    tcase_add_test(tc, test_compare);
    tcase_add_test(tc, test_explain_order);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(reasons_suite)
