/*
 * test_report.c - the report formats on the checked real Postfix run and on
 * small logs made from its line shapes: the daily text report, --by tables,
 * CSV quoting, hostile fields (formulas, controls, bidi overrides) in CSV,
 * text and HTML, Prometheus text, self-contained HTML, windows with the
 * previous-window change, --problems-first, and triage's ranking.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "testutil.h"

#define BIN MC_BINARY
#define MAILLOG MC_DATA_DIR "/postfix/mta-run/maillog"

/* Expects a line of a text table that starts (after its indentation) with
 * label and a space, whose following words, however aligned, are want
 * (words joined by single spaces): the values, not the column layout. */
static void expect_row(const char *out, const char *label, const char *want)
{
    size_t n = strlen(label);
    for (const char *line = out; line && *line;) {
        const char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line);
        const char *p = line;
        while (p < end && *p == ' ')
            p++;
        if ((size_t)(end - p) > n && strncmp(p, label, n) == 0 && p[n] == ' ') {
            mc_buf words;
            mc_buf_init(&words);
            for (p += n; p < end;) {
                while (p < end && *p == ' ')
                    p++;
                const char *w = p;
                while (p < end && *p != ' ')
                    p++;
                if (p > w) {
                    if (words.len)
                        mc_buf_addc(&words, ' ');
                    mc_buf_add(&words, w, (size_t)(p - w));
                }
            }
            ck_assert_msg(strcmp(words.data, want) == 0, "row '%s': '%s', expected '%s'", label, words.data, want);
            mc_buf_free(&words);
            return;
        }
        line = nl ? nl + 1 : NULL;
    }
    ck_abort_msg("no row '%s' in:\n%.3000s", label, out);
}

/* The daily report of the checked run: its totals are those of the run's
 * expected.json (tests/data/postfix/mta-run). */
START_TEST(test_daily_text)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report %s", BIN, MAILLOG), 0);
    expect_row(out, "lines read", "7942");
    expect_row(out, "events (SMTP outcomes)", "2602");
    expect_row(out, "sent", "816");
    expect_row(out, "deferred", "1341");
    expect_row(out, "bounced", "204");
    expect_row(out, "expired", "82");
    expect_row(out, "rejected (inbound)", "159");
    expect_row(out, "transient failures (4xx)", "1272");
    expect_row(out, "permanent failures (5xx)", "514");
    expect_row(out, "dead addresses (hard)", "106");
    test_expect_has(out, "Top problems");
    /* ranked by severity, not count: the 56 SMTP AUTH failures (535 5.7.8 in the 56 status
     * lines "said: 535 5.7.8", 2.2% of 2602) come first, not the 224 mailbox-full deferrals */
    expect_row(out, "1.", "535 5.7.8 permanent 56 events (2.2%) SMTP AUTH login failed or required");
    /* one section per direction, local deliveries (our faults) first */
    char *local = strstr(out, "Our own deliveries on this host (local)");
    char *outb = strstr(out, "Our mail to others (outbound)");
    char *inb = strstr(out, "Mail to us that our server refused (inbound)");
    ck_assert_msg(local && outb && inb && local < outb && outb < inb, "%s", out);
    test_expect_has(out, "domains: ");
    test_expect_has(out, "advice: ");
    /* within 100 columns, and no escape codes in a pipe */
    for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        size_t cols = 0;
        for (char *p = line; p < (nl ? nl : line + strlen(line)); p++)
            cols += ((unsigned char)*p & 0xC0) != 0x80;
        ck_assert_msg(cols <= 100, "line over 100 columns: %.*s", (int)(nl ? nl - line : 120), line);
    }
    test_expect_lacks(out, "\033[");
    free(out);
}
END_TEST

/* The display width of the widest line cmd prints (East Asian wide
 * characters 2, combining marks and format characters 0: Python's
 * unicodedata, not the code under test). */
static int widest_line(const char *cmd)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s | python3 -c 'import sys, unicodedata as u\n"
                               "w = lambda s: sum(0 if u.category(c) in (\"Mn\", \"Cf\") else 2 if u.east_asian_width(c) in \"WF\" else 1 for c in s)\n"
                               "print(max(w(l.rstrip(chr(10))) for l in sys.stdin))'", cmd), 0);
    int w = atoi(out);
    free(out);
    return w;
}

START_TEST(test_by_table_and_problems_first)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report %s --by status --top 0", BIN, MAILLOG), 0);
    expect_row(out, "deferred", "transient 1229 47.2%"); /* of 2602 */
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s --by class --format json --problems-first", BIN, MAILLOG), 0);
    char *t = strstr(out, "\"class\": \"transient\""), *p = strstr(out, "\"class\": \"permanent\""),
         *s = strstr(out, "\"class\": \"success\"");
    ck_assert(t && p && s && t < s && p < s);
    free(out);
}
END_TEST

START_TEST(test_csv)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report %s --format csv --by code,enhanced --top 3", BIN, MAILLOG), 0);
    ck_assert_msg(strncmp(out, "code,enhanced,class,count,name,advice\r\n250,2.0.0,success,690,", 60) == 0, "%s", out);
    /* advice texts hold commas: quoted */
    test_expect_has(out, ",\"");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s --format csv --by domain,status --top 0", BIN, MAILLOG), 0);
    test_expect_has(out, "domain,status,class,count,delay_count,delay_median,delay_p95,delay_max,"
                         "delay_before_qmgr_count,");
    free(out);
}
END_TEST

START_TEST(test_prom)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report %s --format prom", BIN, MAILLOG), 0);
    test_expect_has(out, "# TYPE mailcodes_events_total counter\n");
    test_expect_has(out, "mailcodes_events_total{mta=\"postfix\",direction=\"outbound\",status=\"sent\",class=\"success\","
             "code=\"250\",enhanced=\"2.0.0\"} 690\n");
    test_expect_has(out, "mailcodes_lines_total 7942\n");
    test_expect_has(out, "mailcodes_skipped_lines_total 0\n");
    /* every sample line is NAME{labels} VALUE or NAME VALUE */
    for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (*line == '#')
            continue;
        ck_assert_msg(strncmp(line, "mailcodes_", 10) == 0, "bad line: %.80s", line);
    }
    free(out);
}
END_TEST

START_TEST(test_html)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report %s --format html", BIN, MAILLOG), 0);
    test_expect_has(out, "<!DOCTYPE html>");
    test_expect_has(out, "dir=\"ltr\"");
    test_expect_has(out, "<svg");
    test_expect_has(out, "Events per hour");
    /* self-contained: nothing to fetch */
    test_expect_lacks(out, "<script src");
    test_expect_lacks(out, "<link");
    test_expect_lacks(out, "src=\"http");
    test_expect_lacks(out, "url(");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s --format html --lang ar", BIN, MAILLOG), 0);
    test_expect_has(out, "dir=\"rtl\"");
    free(out);
}
END_TEST

/* Two days of the same traffic, the second with a new blocklisting and
 * steady greylisting: windows, the change column and triage's ranking. */
static void make_two_days(void)
{
    ck_assert_int_eq(test_runf(NULL,
        "cd %s && : > two.log && for day in 21 22; do for i in $(seq 1 40); do "
        "echo \"Nov $day 10:00:$(printf %%02d $i) mx postfix/smtp[1]: A$i: to=<u$i@big.example>, "
        "relay=mx.big.example[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=4.2.0, status=deferred "
        "(host mx.big.example[192.0.2.1] said: 450 4.2.0 <u$i@big.example>: Recipient address rejected: "
        "Greylisted, see http://postgrey.schweikert.ch/help/big.example.html (in reply to RCPT TO command))\"; "
        "echo \"Nov $day 11:00:$(printf %%02d $i) mx postfix/smtp[1]: B$i: to=<v$i@ok.example>, "
        "relay=mx.ok.example[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)\"; "
        "done; done >> two.log && for i in $(seq 1 8); do "
        "echo \"Nov 22 12:00:0$i mx postfix/smtp[1]: C$i: to=<w$i@outlook.example>, "
        "relay=mx.outlook.example[192.0.2.3]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, status=bounced "
        "(host mx.outlook.example[192.0.2.3] said: 550 5.7.1 Service unavailable, Client host [192.0.2.9] "
        "blocked using Spamhaus (in reply to RCPT TO command))\"; done >> two.log", test_dir), 0);
}

START_TEST(test_windows_and_change)
{
    make_two_days();
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report %s/two.log --day 2026-11-22 --format json --by status", BIN, test_dir), 0);
    test_expect_has(out, "\"window\": {\"since\": \"2026-11-22\", \"until\": \"2026-11-23\"}");
    test_expect_has(out, "\"lines\": 88, \"events\": 88,");
    test_expect_has(out, "{\"status\": \"bounced\", \"class\": \"permanent\", \"count\": 8}");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s/two.log --since 2026-11-21T10:00 --until 2026-11-21T11:00 "
                               "--format json --by status", BIN, test_dir), 0);
    test_expect_has(out, "\"events\": 40,");
    free(out);
    /* the daily text report compares with the day before */
    ck_assert_int_eq(test_runf(&out, "%s report %s/two.log --day 2026-11-22", BIN, test_dir), 0);
    test_expect_has(out, "this window");
    expect_row(out, "bounced", "8 0 new");
    expect_row(out, "deferred", "40 40 +0%");
    free(out);
}
END_TEST

START_TEST(test_triage_ranking)
{
    make_two_days();
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s triage %s/two.log", BIN, test_dir), 0);
    /* the new permanent blocklisting outranks the steady, larger greylisting */
    char *block = strstr(out, "1. [permanent, outbound] 550 5.7.1");
    char *grey = strstr(out, "2. [transient, outbound] 450 4.2.0");
    ck_assert_msg(block && grey && block < grey, "%s", out);
    test_expect_has(out, "domains: outlook.example (8)");
    test_expect_has(out, "new (none in the window before)");
    test_expect_has(out, "action:");
    test_expect_has(out, "evidence: 40 events, 40 in the window before");
    /* the same as JSON (docs/CONTRACT.md) */
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s triage %s/two.log --format json", BIN, test_dir), 0);
    test_expect_has(out, "{\"rank\": 1, \"direction\": \"outbound\", \"status\": \"bounced\", \"code\": \"550\","
                         " \"enhanced\": \"5.7.1\", \"reason\": \"blocklisted\", \"class\": \"permanent\", \"count\": 8,"
                         " \"previous\": 0, \"trend\": \"new\",");
    test_expect_has(out, "\"domains\": [[\"outlook.example\", 8]]");
    test_expect_has(out, "{\"rank\": 2, \"direction\": \"outbound\", \"status\": \"deferred\", \"code\": \"450\","
                         " \"enhanced\": \"4.2.0\", \"reason\": \"greylisted\", \"class\": \"transient\", \"count\": 40,"
                         " \"previous\": 40, \"trend\": \"steady\",");
    free(out);
}
END_TEST

/* The ranking by meaning (rules/reasons.conf), on the checked real run:
 * every problem of our own local deliveries, SMTP AUTH failures,
 * blocklistings and SPF/DKIM/DMARC failures ranks above every mailbox-full
 * and greylisting problem, whatever their counts (224 mailbox-full
 * deferrals, 108 greylistings against 4 local delivery failures). */
START_TEST(test_ranking_by_meaning)
{
    char *out = test_triage_python(MAILLOG, "hi = [x[\"rank\"] for x in p if x[\"direction\"] == \"local\" and x[\"class\"] == \"permanent\""
                               " or x[\"reason\"] in (\"smtp-auth-failure\", \"blocklisted\", \"auth-failure\")]\n"
                               "lo = [x[\"rank\"] for x in p if x[\"reason\"] in (\"mailbox-full\", \"greylisted\")]\n"
                               "print(len(hi), len(lo), max(hi) < min(lo), p[0][\"reason\"])");
    /* 2 local (5.2.0 cannot append, 5.1.1 unknown user), 1 AUTH, 3 blocklisted
     * (outbound 554 and 550, inbound 554), 1 DMARC; mailbox-full in 6
     * (code, enhanced, class, direction) shapes, greylisting in 1 */
    ck_assert_str_eq(out, "7 7 True smtp-auth-failure\n");
    free(out);
}
END_TEST

/* Smaller things of issue 17: a date that does not exist, a bound inside
 * an hour, -V, short options, an unknown language, an Exim client as one
 * address (exim-testsuite/log/0900 logs 127.0.0.1 as "H=(tester)
 * [127.0.0.1]" and "H=(smuggler) [127.0.0.1]": one client), "1 event". */
START_TEST(test_small_items)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report %s --day 2026-02-30 2>&1", BIN, MAILLOG), 1);
    test_expect_has(out, "--day '2026-02-30'");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s --since 2026-02-29T10:00 2>&1", BIN, MAILLOG), 1);
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s --since 2026-11-23T12:30", BIN, MAILLOG), 0);
    test_expect_has(out, "Mail report: 2026-11-23 12:00 .. end\n");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s -V", BIN), 0);
    ck_assert_int_eq(strncmp(out, "mailcodes ", 10), 0);
    ck_assert_msg(strchr(out, '\n') == out + strlen(out) - 1, "-V prints one line, not the usage: %s", out);
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report -d %s/none.db 2>&1", BIN, test_dir), 3);
    test_expect_has(out, "none.db does not exist");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s ingest -q -d %s/q.db %s && %s report -d %s/q.db --format json --by class",
                               BIN, test_dir, MAILLOG, BIN, test_dir), 0);
    test_expect_has(out, "\"lines\": 7942, \"events\": 2602,");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s explain 550 --lang fr 2>&1", BIN), 1);
    test_expect_has(out, "--lang fr: no such language (languages: ar de en ko th zh)");
    test_expect_lacks(out, ".conf");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s/exim/exim-testsuite/log/0900 --by client --format csv --top 0 "
                               "| cut -d, -f1 | sort -u", BIN, MC_DATA_DIR), 0);
    ck_assert_str_eq(out, "[127.0.0.1]\nclient\n");
    free(out);
    /* successes carry no failure advice, failures do (JSON and CSV) */
    ck_assert_int_eq(test_runf(&out, "%s report %s --format json | python3 -c 'import json, sys; r = json.load(sys.stdin)[\"rows\"]; "
                               "print(sum(1 for x in r if x[\"class\"] == \"success\" and x[\"advice\"]), "
                               "all(x[\"advice\"] for x in r if x[\"class\"] in (\"transient\", \"permanent\") and x[\"code\"]))'",
                               BIN, MAILLOG), 0);
    ck_assert_str_eq(out, "0 True\n");
    free(out);
    /* every language's report and triage fit 100 columns by display width
     * (East Asian wide characters 2, combining marks 0: Python's unicodedata) */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "for l in en de ar ko th zh; do for c in report triage; do %s $c %s --lang $l; done; done",
             BIN, MAILLOG);
    int widest = widest_line(cmd);
    ck_assert_int_le(widest, 100);
    ck_assert_int_ge(widest, 90);
    /* one event: singular */
    ck_assert_int_eq(test_runf(&out, "%s triage %s --top 80", BIN, MAILLOG), 0);
    test_expect_lacks(out, " 1 events");
    test_expect_has(out, "evidence: 1 event\n"); /* no line in the window before: no trend */
    free(out);
}
END_TEST

/* A --by table of two wide keys (domain and relay: 123 columns with the
 * delay columns) leaves the delays out and says so, in every language,
 * instead of cutting the relays; one key keeps them; JSON keeps them. */
START_TEST(test_by_table_fits)
{
    char cmd[512], *out = NULL;
    snprintf(cmd, sizeof cmd, "for l in en de ar ko th zh; do for k in domain,relay relay,domain domain,relay,class "
             "domain relay; do %s report %s --by $k --lang $l; done; done", BIN, MAILLOG);
    ck_assert_int_le(widest_line(cmd), 100);
    ck_assert_int_eq(test_runf(&out, "%s report %s --by domain,relay", BIN, MAILLOG), 0);
    test_expect_has(out, "Delays are left out to keep this table within 100 columns");
    test_expect_lacks(out, "median");
    /* a relay of 27 characters, whole (the column is 28) */
    test_expect_has(out, " 127.0.0.13[127.0.0.13]:2525 ");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s --by domain", BIN, MAILLOG), 0);
    test_expect_has(out, "median");
    test_expect_lacks(out, "Delays are left out");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s --by domain,relay --format json", BIN, MAILLOG), 0);
    test_expect_has(out, "\"delay\": {");
    free(out);
}
END_TEST

/* A time written with a zone lands in the local hour; --utc reads windows in UTC. */
START_TEST(test_zones)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(NULL, "printf '2026-11-23T23:30:00+01:00 mx postfix/smtp[1]: A1: to=<a@b.example>, "
                               "relay=x[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n' > %s/z.log",
                         test_dir), 0);
    ck_assert_int_eq(test_runf(&out, "TZ=Asia/Tokyo %s report %s/z.log --by hour --format json", BIN, test_dir), 0);
    test_expect_has(out, "{\"hour\": \"2026-11-24T07:00\", \"class\": \"success\", \"count\": 1}");
    free(out);
    ck_assert_int_eq(test_runf(&out, "TZ=Asia/Tokyo %s report %s/z.log --day 2026-11-23 --utc --format json", BIN, test_dir), 0);
    test_expect_has(out, "\"events\": 1,");
    free(out);
    ck_assert_int_eq(test_runf(&out, "TZ=Asia/Tokyo %s report %s/z.log --day 2026-11-23 --format json", BIN, test_dir), 0);
    test_expect_has(out, "\"events\": 0,");
    free(out);
}
END_TEST

/* A central syslog host: two MTAs' logs interleaved keep their host, and
 * per-host Prometheus textfiles add up to the merged stream's figures. */
START_TEST(test_fleet)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(NULL, "cd %s && sed 's/ mx postfix/ mx2 postfix/' %s > mx2.log && "
                               "awk 'NR==FNR { a[FNR] = $0; n = FNR; next } { print; if (FNR in a) print a[FNR] }' "
                               "mx2.log %s > merged.log", test_dir, MAILLOG, MAILLOG), 0);
    ck_assert_int_eq(test_runf(&out, "%s report %s/merged.log --by host --format json", BIN, test_dir), 0);
    test_expect_has(out, "\"lines\": 15884, \"events\": 5204,");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s/merged.log --by host --format csv --top 0 | sort", BIN, test_dir), 0);
    test_expect_has(out, "mx,permanent,514\r\n");
    test_expect_has(out, "mx2,permanent,514\r\n");
    test_expect_has(out, "mx2,transient,1272\r\n");
    free(out);
    /* per-host textfiles, summed as Prometheus would, equal the merged figures */
    ck_assert_int_eq(test_runf(&out, "cd %s && %s report %s --format prom > a.prom && %s report mx2.log --format prom > b.prom && "
                               "%s report merged.log --format prom > m.prom && "
                               "cat a.prom b.prom | awk '/^mailcodes_events_total/ { s += $NF } END { print s }' && "
                               "awk '/^mailcodes_events_total/ { s += $NF } END { print s }' m.prom",
                         test_dir, BIN, MAILLOG, BIN, BIN), 0);
    ck_assert_str_eq(out, "5204\n5204\n");
    free(out);
}
END_TEST

/* The advice of a --by row is in the voice of its direction when that is
 * a key: the sender-rejected rows of the real Postfix run (23 inbound:
 * our smtpd refused MAIL FROM, `grep smtpd | grep -c "5.. .*Sender address
 * rejected"`; 7 outbound: a receiver refused ours) get
 * rules/reasons.conf's receiver_advice and advice of [sender-rejected],
 * and the receiver's title; a row of both directions gets the sender's;
 * no {domains} placeholder is ever printed, and with a domain key it
 * names the row's domain. */
START_TEST(test_row_advice_voice)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report --format json --by direction,reason %s", BIN, MAILLOG), 0);
    test_expect_has(out, "{\"direction\": \"inbound\", \"reason\": \"sender-rejected\", \"class\": \"permanent\", "
                         "\"count\": 23, \"name\": \"We refused the envelope sender\", \"advice\": \"Our server "
                         "refused the envelope sender (MAIL FROM): ");
    test_expect_has(out, "{\"direction\": \"outbound\", \"reason\": \"sender-rejected\", \"class\": \"permanent\", "
                         "\"count\": 7, \"name\": \"Envelope sender rejected\", \"advice\": \"The receiver refused "
                         "the envelope sender (MAIL FROM): ");
    test_expect_lacks(out, "{domains}");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report --format json --by reason %s", BIN, MAILLOG), 0);
    test_expect_has(out, "{\"reason\": \"sender-rejected\", \"class\": \"permanent\", \"count\": 30, "
                         "\"name\": \"Envelope sender rejected\", \"advice\": \"The receiver refused ");
    /* expiry lines name no domain: the advice's {domains} says so in words */
    test_expect_has(out, "Look at the deferrals for the same domain earlier");
    test_expect_lacks(out, "{domains}");
    free(out);
    /* the default keys (direction, code, enhanced): the code's fix in the
     * receiver's voice for our own refusals, e.g. 554 5.7.1 (relay access
     * denied, blocklisted clients: `grep -c "smtpd.*: 554 5.7.1 "`) */
    ck_assert_int_eq(test_runf(&out, "%s report --format csv %s", BIN, MAILLOG), 0);
    test_expect_has(out, "\r\ninbound,554,5.7.1,permanent,49,Transaction failed (or No SMTP service here),"
                         "\"Our server refused a client by policy: ");
    test_expect_lacks(out, "{domains}");
    free(out);
}
END_TEST

START_TEST(test_empty_database)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s/e.db /dev/null", BIN, test_dir), 0);
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/e.db --format json", BIN, test_dir), 0);
    test_expect_has(out, "\"events\": 0,");
    test_expect_has(out, "\"rows\": []");
    /* no lines: said at the top, never an all-clear; the ingest of nothing is still an ingest */
    test_expect_has(out, "\"warnings\": [\"No log lines in this window: nothing was checked, this is not an all-clear.\"]");
    test_expect_has(out, "\"data\": {\"first\": null, \"last\": null, \"last_ingest\": \"20");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s triage --db %s/e.db", BIN, test_dir), 0);
    test_expect_has(out, "WARNING: No log lines in this window");
    test_expect_lacks(out, "Nothing to act on");
    free(out);
}
END_TEST

/* Honest about data: the span of events, the last ingest, stale data, a
 * window without lines, a missing input and a file that is not a mail log.
 * tests/data/sample.log's outcome lines run from Nov 23 12:52:05 (the first
 * reject) to 12:52:33 (the last status= line), days before the run of any
 * test (the year is inferred: 2026 in these tests' fixed clock or earlier). */
START_TEST(test_honest_data)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s/h.db %s/sample.log", BIN, test_dir, MC_DATA_DIR), 0);
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/h.db --format json --by class", BIN, test_dir), 0);
    test_expect_has(out, "-11-23T12:52:05\", \"last\": \"");
    test_expect_has(out, "-11-23T12:52:33\", \"last_ingest\": \"20");
    /* the window (all data) ends now and its newest event is days old */
    test_expect_has(out, "\"warnings\": [\"Stale data: the newest event is more than an hour old; is ingest running?\"]");
    free(out);
    /* from files nothing is ingested: the question is whether the MTA still writes them */
    ck_assert_int_eq(test_runf(&out, "%s report %s/sample.log --format json --by class", BIN, MC_DATA_DIR), 0);
    test_expect_has(out, "\"warnings\": [\"Stale data: the newest event in these files is more than an hour old; "
                         "is the MTA still logging to them?\"]");
    test_expect_lacks(out, "ingest running");
    free(out);
    /* a closed window in the past is not stale; without lines it says so */
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/h.db --day 2026-11-20", BIN, test_dir), 0);
    test_expect_has(out, "Data: no events; last ingest 20");
    test_expect_has(out, "WARNING: No log lines in this window");
    test_expect_lacks(out, "Stale data");
    test_expect_lacks(out, "none: no transient or permanent failure");
    /* no section is an all-clear either, and none is an empty heading */
    test_expect_lacks(out, "none: no delivery of our mail logged a delay");
    test_expect_lacks(out, "none: the MTA logged no warning");
    test_expect_has(out, "Top senders of failures\n  nothing to show: no log lines in this window\n");
    test_expect_has(out, "Delivery delays\n  nothing to show: no log lines in this window\n");
    test_expect_has(out, "Top problems\n  nothing to show: no log lines in this window\n");
    test_expect_has(out, "fatal and panic lines)\n  nothing to show: no log lines in this window\n");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/h.db --day 2026-11-20 --format html", BIN, test_dir), 0);
    test_expect_lacks(out, "none: the MTA logged no warning");
    test_expect_has(out, "</h2>\n<p>nothing to show: no log lines in this window</p>\n");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/h.db --day 2026-11-23 --format json", BIN, test_dir), 0);
    test_expect_has(out, "\"warnings\": []");
    free(out);
    /* a missing input: an error, nothing on stdout, exit 1 */
    static const char *const cmds[] = {"report", "triage", "scan"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(test_runf(&out, "%s %s %s/sample.log %s/nope.log 2>%s/err", BIN, cmds[i], MC_DATA_DIR,
                                   test_dir, test_dir), 1);
        ck_assert_str_eq(out, "");
        free(out);
        ck_assert_int_eq(test_runf(&out, "cat %s/err", test_dir), 0);
        test_expect_has(out, "nope.log: No such file or directory");
        free(out);
    }
    /* not a mail log (dpkg's): a warning naming the file, for report and ingest */
    ck_assert_int_eq(test_runf(NULL, "printf '2025-06-24 14:36:25 startup archives unpack\\n"
                               "2025-06-24 14:36:25 upgrade libc6:amd64 2.36-9 2.36-9+deb12u10\\n' > %s/dpkg.log",
                               test_dir), 0);
    ck_assert_int_eq(test_runf(&out, "%s ingest --quiet --db %s/d.db %s/dpkg.log 2>&1", BIN, test_dir, test_dir), 0);
    test_expect_has(out, "dpkg.log: none of its 2 lines was recognised as Postfix or Exim");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s/dpkg.log 2>&1 >/dev/null", BIN, test_dir), 0);
    test_expect_has(out, "dpkg.log: none of its 2 lines was recognised as Postfix or Exim");
    free(out);
    /* ... and the report on it is no all-clear: lines, but no mail in them,
     * said in the header and in every section, in every form */
    static const char *const no_mail =
        "Log lines, but no SMTP outcome, message or MTA warning in this window: nothing was checked, "
        "this is not an all-clear (is this the mail log?).";
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/d.db --day 2025-06-24 --format json", BIN, test_dir), 0);
    test_expect_has(out, "\"lines\": 2,");
    test_expect_has(out, no_mail);
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/d.db --day 2025-06-24", BIN, test_dir), 0);
    test_expect_has(out, "WARNING: Log lines, but no SMTP outcome, message or MTA warning in this window");
    test_expect_has(out, "Top problems\n  nothing to show: no SMTP outcome or message in this window\n");
    test_expect_has(out, "Delivery delays\n  nothing to show: no SMTP outcome or message in this window\n");
    test_expect_has(out, "fatal and panic lines)\n  nothing to show: no SMTP outcome or message in this window\n");
    test_expect_lacks(out, "none: no transient or permanent failure");
    test_expect_lacks(out, "none: the MTA logged no warning");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/d.db --day 2025-06-24 --format html", BIN, test_dir), 0);
    test_expect_has(out, "Log lines, but no SMTP outcome, message or MTA warning in this window");
    test_expect_lacks(out, "none: no transient or permanent failure");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s triage --db %s/d.db --day 2025-06-24", BIN, test_dir), 0);
    test_expect_has(out, "WARNING: Log lines, but no SMTP outcome");
    test_expect_lacks(out, "Nothing to act on");
    free(out);
    /* Postfix's lines that hold no outcome (master, postfix-script: the real
     * run's start and stop) are still Postfix's: no "not a mail log" warning,
     * neither for a file of them alone nor for an ingest that resumes just
     * before the run's last line; the dpkg line beside them does not count. */
    const char *const quiet[] = {"starting the Postfix mail system", "daemon started -- version",
                                 "stopping the Postfix mail system"};
    for (size_t i = 0; i < 3; i++) {
        char *line = test_corpus_line("postfix/mta-run/maillog", quiet[i]);
        ck_assert_int_eq(test_runf(NULL, "printf '%%s\\n' '%s' > %s/quiet.log; cat %s/dpkg.log >> %s/quiet.log",
                                   line, test_dir, test_dir, test_dir), 0);
        free(line);
        ck_assert_int_eq(test_runf(&out, "%s report %s/quiet.log 2>&1 >/dev/null", BIN, test_dir), 0);
        ck_assert_str_eq(out, "");
        free(out);
    }
    /* the run but its last line, then that line appended and read alone */
    static const char *const parts[] = {"head -n -1 %s/postfix/mta-run/maillog > %s/run.log",
                                        "tail -n 1 %s/postfix/mta-run/maillog >> %s/run.log"};
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(test_runf(NULL, parts[i], MC_DATA_DIR, test_dir), 0);
        ck_assert_int_eq(test_runf(&out, "%s ingest --quiet --db %s/r.db %s/run.log 2>&1", BIN, test_dir, test_dir), 0);
        ck_assert_str_eq(out, "");
        free(out);
    }
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/r.db --format json", BIN, test_dir), 0);
    test_expect_has(out, "\"lines\": 7942,");
    free(out);
    /* Postfix's own warnings without any mail (its SASL set-up broken,
     * tests/data/postfix-public/warnings.log): the MTA's log, so no header
     * warning, but the problems are no all-clear either */
    ck_assert_int_eq(test_runf(&out, "%s report %s/postfix-public/warnings.log", BIN, MC_DATA_DIR), 0);
    test_expect_lacks(out, "WARNING: Log lines");
    test_expect_has(out, "Top senders of failures\n  nothing to show: no SMTP outcome or message in this window\n");
    test_expect_has(out, "Delivery delays\n  nothing to show: no SMTP outcome or message in this window\n");
    test_expect_has(out, "  1. fatal  3 log lines  no SASL authentication mechanisms\n");
    free(out);
    /* its warning: lines alone rank nothing: still no "nothing to act on" */
    ck_assert_int_eq(test_runf(NULL, "grep -v fatal: %s/postfix-public/warnings.log > %s/warn-only.log", MC_DATA_DIR,
                               test_dir), 0);
    ck_assert_int_eq(test_runf(&out, "%s triage %s/warn-only.log", BIN, test_dir), 0);
    test_expect_lacks(out, "WARNING: Log lines");
    test_expect_has(out, "\nnothing to show: no SMTP outcome or message in this window\n");
    test_expect_lacks(out, "Nothing to act on");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s/warn-only.log", BIN, test_dir), 0);
    test_expect_has(out, "Top problems\n  nothing to show: no SMTP outcome or message in this window\n");
    test_expect_has(out, "warning SASL: Connect to private/auth failed");
    free(out);
    /* an interrupted ingest says so */
    ck_assert_int_eq(test_runf(&out, "sleep 3 | timeout -s INT 1 %s ingest --db %s/i.db - 2>&1; true", BIN, test_dir), 0);
    test_expect_has(out, "mailcodes: interrupted: what was read so far is committed");
    free(out);
    /* a real mail log gets no such warning */
    ck_assert_int_eq(test_runf(&out, "%s report %s/sample.log 2>&1 >/dev/null", BIN, MC_DATA_DIR), 0);
    ck_assert_str_eq(out, "");
    free(out);
}
END_TEST

/* Attacker-chosen recipient domains (RCPT TO is the sender's to choose):
 * a spreadsheet formula, and one with a quote, DEL, a C1 control (NEL)
 * and U+202E RIGHT-TO-LEFT OVERRIDE.  CSV neutralises the formula (OWASP:
 * a leading single quote, quoted) and filters the quoted field too; text
 * and HTML carry no bidi control. */
START_TEST(test_hostile_fields)
{
    static const char *const domains[] = {"=cmd|' /c calc'!a0", "a\"b\x7f\xc2\x85\xe2\x80\xae" "c.example",
                                          "+1-2", "-x.example"};
    char path[128];
    snprintf(path, sizeof path, "%s/hostile.log", test_dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++)
        fprintf(f, "Nov 23 10:00:0%zu mx postfix/smtp[1]: A%zu: to=<u@%s>, relay=mx.x.example[192.0.2.1]:25,"
                   " delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.x.example[192.0.2.1] said:"
                   " 550 5.1.1 No such user (in reply to RCPT TO command))\n", i, i, domains[i]);
    fclose(f);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report %s --format csv --by domain", BIN, path), 0);
    test_expect_has(out, "\r\n\"'=cmd|' /c calc'!a0\",permanent,1,1,1.000,1.000,1.000,1,0.000,0.000,0.000,0.000,");
    test_expect_has(out, "\r\n\"a\"\"b???c.example\",permanent,1,1,1.000,1.000,1.000,1,0.000,0.000,0.000,0.000,");
    test_expect_has(out, "\r\n\"'+1-2\",permanent,1,1,1.000,1.000,1.000,1,0.000,0.000,0.000,0.000,");
    test_expect_has(out, "\r\n\"'-x.example\",permanent,1,1,1.000,1.000,1.000,1,0.000,0.000,0.000,0.000,");
    free(out);
    static const char *const formats[] = {"text", "html"};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(test_runf(&out, "%s report %s --format %s --by domain", BIN, path, formats[i]), 0);
        test_expect_lacks(out, "\xe2\x80\xae");
        test_expect_lacks(out, "\xc2\x85");
        test_expect_lacks(out, "\x7f");
        free(out);
        /* the daily report shows the sample reply and domains too */
        ck_assert_int_eq(test_runf(&out, "%s report %s --format %s", BIN, path, formats[i]), 0);
        test_expect_lacks(out, "\xe2\x80\xae");
        free(out);
    }
}
END_TEST

/* Each problem in the voice of its direction (issue 17, items 1, 2 and 4):
 * on tests/data/sample.log our own smtpd's blocklist rejections are titled
 * and advised as the receiver's (we refused a client), our mail refused
 * elsewhere as the sender's; an inbound problem is broken down by the
 * clients refused, an outbound one by domain; each breakdown adds up to
 * the problem's count. */
START_TEST(test_problem_voices)
{
    char *out = test_triage_python(MC_DATA_DIR "/sample.log", "bad = [x[\"rank\"] for x in p if sum(n for _, n in x[\"clients\" if x[\"direction\"] == \"inbound\" else \"domains\"]) != x[\"count\"]]\n"
                               "b = {x[\"direction\"]: x for x in p if x[\"reason\"] == \"blocklisted\" and x[\"code\"] == \"554\"}\n"
                               "print(bad, \"clients\" in b[\"outbound\"], b[\"inbound\"][\"clients\"])\n"
                               "for d in (\"inbound\", \"outbound\"): print(b[d][\"title\"], \"|\", b[d][\"action\"][:40])");
    /* sample.log: "554 5.7.1 Service unavailable; Client host [127.0.0.61] blocked
     * using ..." five times for unknown[127.0.0.61], and "Your IP is listed in our
     * local blocklist" five times for unknown[127.0.0.68] (grep -c on the file) */
    ck_assert_str_eq(out, "[] False [['unknown[127.0.0.61]', 5], ['unknown[127.0.0.68]', 5]]\n"
                          "We refused a client listed on a blocklist | Our server refused a client (or a domain\n"
                          "Sending IP or domain is on a blocklist | Your sending IP (or a domain in the mess\n");
    free(out);
    /* Our own mail on a blocklist (5 events) outranks our server refusing listed
     * clients (10 events, intended): the inbound problem weighs by its reason's
     * receiver_weight, so the outbound blocklisting ranks above it. */
    out = test_triage_python(MC_DATA_DIR "/sample.log",
                        "r = {(x[\"direction\"], x[\"code\"]): x[\"rank\"] for x in p if x[\"reason\"] == \"blocklisted\"}\n"
                        "print(r[(\"outbound\", \"554\")] < r[(\"inbound\", \"554\")], p[0][\"direction\"])");
    ck_assert_str_eq(out, "True outbound\n");
    free(out);
    /* the daily text: clients for inbound problems, domains and relays for the others
     * (--top 30: refusals our own checks made on purpose rank below our own mail's
     * problems, rules/reasons.conf receiver_weight) */
    ck_assert_int_eq(test_runf(&out, "%s report %s/sample.log --top 30", BIN, MC_DATA_DIR), 0);
    char *inb = strstr(out, "Mail to us that our server refused (inbound)");
    ck_assert_msg(inb != NULL, "%s", out);
    test_expect_has(inb, "clients: unknown[127.0.0.61] (5), unknown[127.0.0.68] (5)");
    test_expect_lacks(inb, "domains: ");
    test_expect_lacks(inb, "relays: ");
    *inb = '\0';
    test_expect_has(out, "domains: ");
    test_expect_has(out, "relays: ");
    free(out);
    /* the --by table names an empty relay "none", as the problems do and as Postfix
     * writes relay=none (no "-"): one row per (status, class) of the events without a
     * relay, counted from scan */
    ck_assert_int_eq(test_runf(&out, "%s report %s/sample.log --by relay,status --top 0 | grep -c '^none '; "
                               "%s report %s/sample.log --by relay,status --top 0 | grep -c '^- '; "
                               "%s scan %s/sample.log | python3 -c 'import json, sys; "
                               "print(len({(e[\"status\"], e[\"class\"]) for e in map(json.loads, sys.stdin) if e[\"relay\"] in (None, \"none\")}))'",
                               BIN, MC_DATA_DIR, BIN, MC_DATA_DIR, BIN, MC_DATA_DIR), 0);
    int none_rows = -1, dash_rows = -1, relayless = -2;
    ck_assert_int_eq(sscanf(out, "%d %d %d", &none_rows, &dash_rows, &relayless), 3);
    ck_assert_msg(none_rows == relayless && none_rows >= 2 && dash_rows == 0, "%s", out);
    free(out);
}
END_TEST

/* An expired problem's advice names the domains its messages waited for.
 * Postfix writes "status=expired" with the sender only; the domains are
 * derived here independently, by queue id, from scan's events: the
 * deferrals of the expired messages, most first (ratelimit.test, 224). */
START_TEST(test_expired_names_domains)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s scan %s | python3 -c '"
                               "import json, sys, collections\n"
                               "ev = [json.loads(l) for l in sys.stdin]\n"
                               "gone = {e[\"queue_id\"] for e in ev if e[\"status\"] == \"expired\"}\n"
                               "c = collections.Counter(e[\"domain\"] for e in ev if e[\"status\"] == \"deferred\" and e[\"queue_id\"] in gone)\n"
                               "print(c.most_common(1)[0][0])'", BIN, MAILLOG), 0);
    ck_assert_str_eq(out, "ratelimit.test\n");
    free(out);
    out = test_triage_python(MAILLOG, "print([x for x in p if x[\"reason\"] == \"expired\"][0][\"action\"])");
    test_expect_has(out, "Look at the deferrals for ratelimit.test, ");
    test_expect_lacks(out, "{domains}");
    free(out);
    /* explain has no problem to name: the words stand for them */
    ck_assert_int_eq(test_runf(&out, "%s explain 'status=expired, returned to sender'", BIN), 0);
    test_expect_lacks(out, "{domains}");
    free(out);
}
END_TEST

/* Exim deliveries to a file, a pipe or through a local transport are the
 * local section (rules/mta/exim.conf [@mta] local), like Postfix's
 * local_daemons; the events stay "outbound" (SPEC).  Real lines of the
 * Exim test suite (log/0226, 0264) and a remote SMTP bounce. */
START_TEST(test_exim_local_section)
{
    ck_assert_int_eq(test_runf(NULL, "cd %s && { "
        "grep -h ' \\*\\* /a/b/c <file1@no.test.ex> R=notallowed : delivery to file forbidden' %s/exim/exim-testsuite/log/0226 | head -1; "
        "grep -h ' \\*\\* |/p/q/r <pipe1@no.test.ex> R=notallowed : delivery to pipe forbidden' %s/exim/exim-testsuite/log/0226 | head -1; "
        "grep -h ' == userx@test.ex R=r1 T=local_delivery defer (-22): mailbox is full' %s/exim/exim-testsuite/log/0264 | head -1; "
        "grep -h ' \\*\\* usery@domain1 <userx@domain1> R=route_smtp T=smtp ' %s/exim/exim-testsuite/log/* | head -1; "
        "} > local.log && test $(wc -l < local.log) = 4", test_dir, MC_DATA_DIR, MC_DATA_DIR, MC_DATA_DIR, MC_DATA_DIR), 0);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report %s/local.log --by section,status --format csv --top 0", BIN, test_dir), 0);
    test_expect_has(out, "local,bounced,permanent,2\r\n");
    test_expect_has(out, "local,deferred,transient,1\r\n");
    test_expect_has(out, "outbound,bounced,permanent,1\r\n");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s scan %s/local.log | grep -c '\"direction\": \"outbound\"'", BIN, test_dir), 0);
    ck_assert_str_eq(out, "4\n");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s/local.log", BIN, test_dir), 0);
    test_expect_has(out, "Our own deliveries on this host (local)");
    free(out);
}
END_TEST

/* SMTP AUTH password guessing: many failures from a few clients rank
 * twice as high as the same failures spread over many (reasons.conf
 * brute_force = 5).  The real smtpd line of tests/data/postfix/
 * fail2ban-postfix.log ("HOSTNAME[1.1.1.1]: SASL LOGIN authentication
 * failed"), twelve times from one client, then from four clients.
 * Severity: permanent 3 x weight 3 (x 2 for the attack). */
START_TEST(test_brute_force)
{
    char *line = test_corpus_line("postfix/fail2ban-postfix.log", "HOSTNAME[1.1.1.1]: SASL LOGIN authentication failed");
    ck_assert_ptr_nonnull(line);
    char one[4096], many[4096];
    snprintf(one, sizeof one, "%s/one.log", test_dir);
    snprintf(many, sizeof many, "%s/many.log", test_dir);
    FILE *f = fopen(one, "w"), *g = fopen(many, "w");
    ck_assert(f && g);
    for (int i = 0; i < 12; i++) {
        fprintf(f, "%s\n", line);
        char ip[32];
        snprintf(ip, sizeof ip, "[1.1.1.%d]", i % 4 + 1);
        const char *at = strstr(line, "[1.1.1.1]");
        fprintf(g, "%.*s%s%s\n", (int)(at - line), line, ip, at + strlen("[1.1.1.1]"));
    }
    fclose(f);
    fclose(g);
    free(line);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "for f in one many; do %s triage %s/$f.log --format json | python3 -c '"
                               "import json, sys\n"
                               "p = json.load(sys.stdin)[\"problems\"][0]\n"
                               "print(p[\"direction\"], p[\"code\"], p[\"reason\"], p[\"count\"], len(p[\"clients\"]), p[\"severity\"], p[\"title\"])'; done",
                               BIN, test_dir), 0);
    ck_assert_str_eq(out, "inbound 535 smtp-auth-failure 12 1 18.0 Failed logins to our SMTP AUTH\n"
                          "inbound 535 smtp-auth-failure 12 4 9.0 Failed logins to our SMTP AUTH\n");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s triage %s/one.log", BIN, test_dir), 0);
    test_expect_has(out, "clients: HOSTNAME[1.1.1.1] (12)");
    test_expect_has(out, "smtpd_client_auth_rate_limit");
    free(out);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, test_dir_setup, test_dir_teardown);
    tcase_add_test(tc, test_daily_text);
    tcase_add_test(tc, test_by_table_and_problems_first);
    tcase_add_test(tc, test_csv);
    tcase_add_test(tc, test_hostile_fields);
    tcase_add_test(tc, test_prom);
    tcase_add_test(tc, test_html);
    tcase_add_test(tc, test_windows_and_change);
    tcase_add_test(tc, test_triage_ranking);
    tcase_add_test(tc, test_ranking_by_meaning);
    tcase_add_test(tc, test_honest_data);
    tcase_add_test(tc, test_small_items);
    tcase_add_test(tc, test_zones);
    tcase_add_test(tc, test_by_table_fits);
    tcase_add_test(tc, test_fleet);
    tcase_add_test(tc, test_row_advice_voice);
    tcase_add_test(tc, test_empty_database);
    tcase_add_test(tc, test_problem_voices);
    tcase_add_test(tc, test_expired_names_domains);
    tcase_add_test(tc, test_exim_local_section);
    tcase_add_test(tc, test_brute_force);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(report_suite)
