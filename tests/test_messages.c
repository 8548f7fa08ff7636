/*
 * test_messages.c - the join by message (src/messages.c) on real logs: the
 * per-message figures against counts taken from the raw file with grep and
 * awk (not through mailcodes), the sender join, across a rotation and
 * across two ingests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "messages.h"
#include "testutil.h"

#define MAILLOG MC_DATA_DIR "/postfix/mta-run/maillog"
#define EXIMLOG MC_DATA_DIR "/exim/exim-testsuite/log/"

/* The number a shell pipeline prints. */
static unsigned long long shell_count(const char *fmt, const char *file)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, fmt, file), 0);
    unsigned long long n = 0;
    ck_assert_msg(sscanf(out, "%llu", &n) == 1, "not a number: %s", out);
    free(out);
    return n;
}

/* The value of "key": N inside the JSON member named object. */
static unsigned long long json_figure(const char *json, const char *object, const char *key)
{
    char pat[96];
    const char *at = json;
    if (object) {
        snprintf(pat, sizeof pat, "\"%s\": {", object);
        at = strstr(json, pat);
        ck_assert_msg(at != NULL, "no %s in %s", object, json);
    }
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    at = strstr(at, pat);
    ck_assert_msg(at != NULL, "no %s.%s", object ? object : "", key);
    return strtoull(at + strlen(pat), NULL, 10);
}

/* Queue ids (field 6, "QID:") of the lines matching an ERE, distinct. */
#define DISTINCT_IDS(ere) "grep -E '" ere "' %s | awk '{print $6}' | sort -u | wc -l"

START_TEST(test_postfix_figures)
{
    char *json = NULL;
    /* Without addresses among the keys, the distinct counts are not known. */
    ck_assert_int_eq(test_runf(&json, "%s report --format json %s", MC_BINARY, MAILLOG), 0);
    test_expect_has(json, "\"senders\": null, \"recipients\": null");
    free(json);
    ck_assert_int_eq(test_runf(&json, "%s report --format json --by sender,recipient --top 1 %s", MC_BINARY, MAILLOG), 0);
    /* received: smtpd client= (any smtpd service) and pickup uid= */
    ck_assert_uint_eq(json_figure(json, "messages", "received"),
                      shell_count(DISTINCT_IDS("postfix/([a-z]+/)?(smtpd|pickup)\\[[0-9]+\\]: [0-9A-F]+: (client|uid)="), MAILLOG));
    /* generated: the new queue ids bounce(8) names */
    ck_assert_uint_eq(json_figure(json, "messages", "generated"),
                      shell_count("grep -E 'postfix/bounce\\[[0-9]+\\]: [0-9A-F]+: sender .* notification: ' %s"
                                  " | awk '{print $NF}' | sort -u | wc -l", MAILLOG));
    ck_assert_uint_eq(json_figure(json, "messages", "delivered"), shell_count(DISTINCT_IDS(" status=sent "), MAILLOG));
    ck_assert_uint_eq(json_figure(json, "messages", "deferred"), shell_count(DISTINCT_IDS(" status=deferred "), MAILLOG));
    ck_assert_uint_eq(json_figure(json, "messages", "bounced"), shell_count(DISTINCT_IDS(" status=bounced "), MAILLOG));
    ck_assert_uint_eq(json_figure(json, "messages", "expired"), shell_count(DISTINCT_IDS(" status=expired, "), MAILLOG));
    /* rejected: each NOQUEUE refusal, plus each queued message refused */
    ck_assert_uint_eq(json_figure(json, "messages", "rejected"),
                      shell_count("grep -cE ': NOQUEUE: reject: ' %s", MAILLOG) +
                          shell_count(DISTINCT_IDS(": [0-9A-F]+: (milter-)?reject: "), MAILLOG));
    /* deliveries: every status= line */
    ck_assert_uint_eq(json_figure(json, "deliveries", "sent"), shell_count("grep -c ' status=sent ' %s", MAILLOG));
    ck_assert_uint_eq(json_figure(json, "deliveries", "deferred"), shell_count("grep -c ' status=deferred ' %s", MAILLOG));
    /* bytes received: qmgr's size= of the received queue ids */
    ck_assert_uint_eq(json_figure(json, "bytes", "received"),
                      shell_count("awk '/postfix\\/([a-z]+\\/)?(smtpd|pickup)\\[[0-9]+\\]: [0-9A-F]+: (client|uid)=/"
                                  " {r[$6]=1} /qmgr.*: from=<.*, size=/ {if ($6 in r && !($6 in s))"
                                  " {s[$6]=1; split($8, a, \"[=,]\"); t+=a[2]}} END {printf \"%%d\\n\", t}' %s",
                                  MAILLOG));
    /* bytes delivered: the message's size for every sent recipient */
    ck_assert_uint_eq(json_figure(json, "bytes", "delivered"),
                      shell_count("awk '/qmgr.*: from=<.*, size=/ {split($8, a, \"[=,]\"); z[$6]=a[2]}"
                                  " / status=sent / {t+=z[$6]} END {printf \"%%d\\n\", t}' %s", MAILLOG));
    /* recipients: distinct to= of sent deliveries; senders: distinct
     * non-null qmgr from= of the messages with a delivery attempt */
    ck_assert_uint_eq(json_figure(json, NULL, "recipients"),
                      shell_count("grep ' status=sent ' %s | grep -oE ' to=<[^>]*>' | sort -u | wc -l", MAILLOG));
    ck_assert_uint_eq(json_figure(json, NULL, "senders"),
                      shell_count("awk '/qmgr.*: from=<[^>]/ {split($7, a, \"[<>]\"); f[$6]=a[2]}"
                                  " / status=(sent|deferred|bounced) / && ($6 in f) {u[f[$6]]=1}"
                                  " END {n=0; for (k in u) n++; print n}' %s", MAILLOG));
    free(json);
}
END_TEST

/* Exim: received is every <= but Exim's own bounces (<= <> R=), the
 * deliveries and the message-level outcomes by message id. */
START_TEST(test_exim_figures)
{
    static const char *const files[] = {"5840", "0608", "0497", "4118"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, EXIMLOG "%s", files[i]);
        char *json = NULL;
        ck_assert_int_eq(test_runf(&json, "%s report --format json %s", MC_BINARY, path), 0);
        ck_assert_uint_eq(json_figure(json, "messages", "received"),
                          shell_count("awk '/ <= / && !/ <= <> R=/ {n++} END {print n+0}' %s", path));
        ck_assert_uint_eq(json_figure(json, "messages", "generated"), shell_count("awk '/ <= <> R=/ {n++} END {print n+0}' %s", path));
        ck_assert_uint_eq(json_figure(json, "messages", "delivered"),
                          shell_count("grep -E ' (=>|->) ' %s | grep -v ':blackhole:' | awk '{print $3}' | sort -u | wc -l",
                                      path));
        ck_assert_uint_eq(json_figure(json, "messages", "bounced"),
                          shell_count("grep -E '^[^ ]+ [^ ]+ [^ ]+ \\*\\* ' %s | awk '{print $3}' | sort -u | wc -l", path));
        free(json);
    }
}
END_TEST

/* A real Exim 4.98 run (tests/data/exim-runs/all.log.gz, log_selector
 * +all): every figure of messages, deliveries and bytes against counts
 * read from its lines ($4 is the message id). */
START_TEST(test_exim_run_figures)
{
    const char *log = MC_DATA_DIR "/exim-runs/all.log.gz";
    char *json = NULL;
    ck_assert_int_eq(test_runf(&json, "%s report --format json %s", MC_BINARY, log), 0);
#define EXIM_IDS(ere) "zcat %s | grep -E '" ere "' | awk '{print $4}' | sort -u | wc -l"
    ck_assert_uint_eq(json_figure(json, "messages", "received"),
                      shell_count("zcat %s | awk '/ <= / && !/ <= <> R=/ {n++} END {print n+0}'", log));
    ck_assert_uint_eq(json_figure(json, "messages", "generated"), shell_count("zcat %s | grep -c ' <= <> R='", log));
    ck_assert_uint_eq(json_figure(json, "messages", "delivered"), shell_count(EXIM_IDS(" (=>|->|>>) "), log));
    ck_assert_uint_eq(json_figure(json, "messages", "deferred"), shell_count(EXIM_IDS(" == "), log));
    ck_assert_uint_eq(json_figure(json, "messages", "bounced"), shell_count(EXIM_IDS(" \\*\\* "), log));
#undef EXIM_IDS
    ck_assert_uint_eq(json_figure(json, "deliveries", "sent"), shell_count("zcat %s | grep -cE ' (=>|->|>>) '", log));
    ck_assert_uint_eq(json_figure(json, "deliveries", "deferred"), shell_count("zcat %s | grep -c ' == '", log));
    ck_assert_uint_eq(json_figure(json, "deliveries", "bounced"), shell_count("zcat %s | grep -c ' \\*\\* '", log));
    /* bytes: S= of the arrivals (not Exim's own bounces); each sent
     * delivery counts its message's arrival size */
    ck_assert_uint_eq(json_figure(json, "bytes", "received"),
                      shell_count("zcat %s | awk '/ <= / && !/ <= <> R=/ {for (i = 1; i <= NF; i++) if ($i ~ /^S=/)"
                                  " t += substr($i, 3)} END {printf \"%%d\\n\", t}'", log));
    ck_assert_uint_eq(json_figure(json, "bytes", "delivered"),
                      shell_count("zcat %s | awk '/ <= / {for (i = 1; i <= NF; i++) if ($i ~ /^S=/) z[$4] = substr($i, 3)}"
                                  " / (=>|->|>>) / {t += z[$4]} END {printf \"%%d\\n\", t}'", log));
    free(json);
}
END_TEST

/* A log rotated (split) in two: the second part's deliveries get their
 * sender from the first part's qmgr lines, in one run of two files and in
 * two ingests into one database. */
START_TEST(test_sender_join_across_rotation)
{
    test_dir_setup();
    char *out = NULL;
    ck_assert_int_eq(test_runf(NULL, "cd %s && head -4000 %s > mail.log.1 && tail -n +4001 %s > mail.log",
                               test_dir, MAILLOG, MAILLOG), 0);
    /* Alone, the second part lacks senders the first part has. */
    ck_assert_int_eq(test_runf(&out, "cd %s && %s scan mail.log | jq -c 'select(.direction == \"outbound\""
                                     " and .sender == null)' | wc -l", test_dir, MC_BINARY), 0);
    ck_assert_int_gt(atoi(out), 0);
    free(out);
    /* Both in one run: every outbound event has its sender (<> is ""). */
    ck_assert_int_eq(test_runf(&out, "cd %s && %s scan mail.log.1 mail.log | jq -c 'select(.direction =="
                                     " \"outbound\" and .sender == null)' | wc -l", test_dir, MC_BINARY), 0);
    ck_assert_int_eq(atoi(out), 0);
    free(out);
    /* The first bounce the second part logs whose message qmgr took in
     * during the first part: its sender is that qmgr from=. */
    char *want = NULL, *got = NULL;
    const char *pick = "id=$(awk 'NR==FNR && /qmgr.*: from=<[^>]/ {f[$6]=1; next} / status=bounced / && ($6 in f)"
                       " {print $6; exit}' mail.log.1 mail.log)";
    ck_assert_int_eq(test_runf(&want, "cd %s && %s && grep -m1 \"qmgr.*$id from=<\" mail.log.1 |"
                                      " sed 's/.* from=<\\([^>]*\\)>.*/\\1/'", test_dir, pick), 0);
    ck_assert_int_eq(test_runf(&got, "cd %s && %s && %s scan mail.log.1 mail.log | jq -r --arg id \"${id%%:}\""
                                     " 'select(.queue_id == $id and .status == \"bounced\") | .sender' | head -1",
                                     test_dir, pick, MC_BINARY), 0);
    ck_assert_msg(strlen(want) > 1, "no such bounce in the corpus");
    ck_assert_str_eq(got, want);
    free(want);
    free(got);
    /* Two ingests, one file each: the same counts by sender as the whole
     * file read at once, and the same message figures. */
    char *whole = NULL, *split = NULL;
    ck_assert_int_eq(test_runf(NULL, "cd %s && %s ingest --quiet --db r.db mail.log.1 && %s ingest --quiet --db r.db"
                                     " mail.log", test_dir, MC_BINARY, MC_BINARY), 0);
    /* data.last_ingest is known from a database only, and the stale-data
     * warning asks about ingest or about the files: compared without them */
    ck_assert_int_eq(test_runf(&whole, "%s report --format json --top 0 --by sender,sender_domain,recipient,status %s"
                               " | grep -v -e '^ \"data\": ' -e '^ \"warnings\": '", MC_BINARY, MAILLOG), 0);
    ck_assert_int_eq(test_runf(&split, "cd %s && %s report --db r.db --format json --top 0 --by"
                                       " sender,sender_domain,recipient,status | grep -v -e '^ \"data\": ' -e '^ \"warnings\": '",
                                       test_dir, MC_BINARY), 0);
    ck_assert_str_eq(split, whole);
    test_expect_has(whole, "\"sender_domain\": \"alpha.test\"");
    free(whole);
    free(split);
    test_dir_teardown();
}
END_TEST

/* oqmgr(8), Postfix's old queue manager, logs what qmgr(8) logs (from=,
 * removed, status=expired): the real run with its queue manager renamed
 * gives the same report, by sender and recipient, and the same events. */
START_TEST(test_oqmgr_like_qmgr)
{
    test_dir_setup();
    ck_assert_int_eq(test_runf(NULL, "sed 's#postfix/qmgr\\[#postfix/oqmgr[#' %s > %s/o.log && grep -q oqmgr %s/o.log",
                               MAILLOG, test_dir, test_dir), 0);
    static const char *const cmd[] = {"report --format json --top 0 --by sender,recipient,status",
                                      "scan"};
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(test_runf(NULL, "%s %s %s | sed 's#postfix/qmgr#QM#g' > %s/q.out", MC_BINARY, cmd[i],
                                   MAILLOG, test_dir), 0);
        ck_assert_int_eq(test_runf(NULL, "%s %s %s/o.log | sed 's#postfix/oqmgr#QM#g' > %s/o.out", MC_BINARY,
                                   cmd[i], test_dir, test_dir), 0);
        ck_assert_int_eq(test_runf(NULL, "test $(wc -c < %s/q.out) -gt 1000", test_dir), 0);
        ck_assert_msg(test_runf(NULL, "cmp -s %s/q.out %s/o.out", test_dir, test_dir) == 0,
                      "%s: oqmgr's lines counted otherwise than qmgr's", cmd[i]);
    }
    test_dir_teardown();
}
END_TEST

/* --by sender works in text, CSV and JSON; prom keeps its fixed labels. */
START_TEST(test_by_sender_formats)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report --by sender_domain --format csv %s", MC_BINARY, MAILLOG), 0);
    test_expect_has(out, "sender_domain,class,count\r\n");
    test_expect_has(out, "alpha.test,");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report --by sender --top 0 %s", MC_BINARY, MAILLOG), 0);
    test_expect_has(out, "\nteam@alpha.test ");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report --format prom %s", MC_BINARY, MAILLOG), 0);
    test_expect_lacks(out, "sender");
    test_expect_lacks(out, "@alpha.test");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s", MC_BINARY, MAILLOG), 0);
    test_expect_has(out, "Top senders of failures");
    free(out);
}
END_TEST

/* Postfix smtpd's SASL failures are inbound events (535 inferred, reason
 * smtp-auth-failure) counted per client, one per warning line; they are
 * not refused messages. */
START_TEST(test_sasl_failures)
{
    const char *log = MC_DATA_DIR "/postfix/fail2ban-postfix.log";
    const char *ere = "postfix[^/ ]*/([a-z]+/)?smtpd\\[[0-9]+\\]: warning: [^ ]+\\[[^] ]+\\](:[0-9]+)?: SASL"
                      " [A-Za-z0-9_-]+ authentication failed";
    char cmd[512];
    snprintf(cmd, sizeof cmd, "grep -cE '%s' %%s", ere);
    unsigned long long lines = shell_count(cmd, log);
    ck_assert_uint_gt(lines, 10);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s scan %s | jq -c 'select(.reason == \"smtp-auth-failure\" and .code =="
                                     " \"535\" and .inferred and .direction == \"inbound\" and .status =="
                                     " \"rejected\")' | wc -l", MC_BINARY, log), 0);
    ck_assert_uint_eq(strtoull(out, NULL, 10), lines);
    free(out);
    /* per client: the busiest client's count is its number of lines */
    char *want = NULL;
    snprintf(cmd, sizeof cmd, "grep -E '%s' %%s | sed -E 's/.*warning: ([^ ]+\\[[^] ]+\\]).*/\\1/' | sort | uniq -c"
                              " | sort -rn | head -1 | awk '{print $2 \",\" $1}'", ere);
    ck_assert_int_eq(test_runf(&want, cmd, log), 0);
    ck_assert_int_eq(test_runf(&out, "%s report --by client,reason --format csv %s | grep smtp-auth-failure | head -1"
                                     " | cut -d, -f1,4", MC_BINARY, log), 0);
    ck_assert_str_eq(out, want);
    free(out);
    free(want);
}
END_TEST

/* --queue-lifetime, on real lines of the corpus: message 0D3341040A9 is
 * received and deferred at 12:52:06, delivered at 12:53:13; the log cut
 * to its first deferral and its delivery, with the next message's arrival
 * (11C05104119, 12:52:16) between them.  A lifetime shorter than its quiet
 * spell before that arrival evicts it there (the table sweeps when a
 * message arrives): its delivery then counts as a new message without a
 * sender.  The default lifetime keeps it whole. */
/* A message refused at or after DATA is gone: Exim writes no Completed
 * for it, so it must not wait in the table (and the database) for the
 * queue lifetime.  On the real Exim run cut at several points, the
 * messages kept in flight are exactly the ids with no Completed line and
 * no refusal of the message itself (awk on the raw lines); whole, the run
 * leaves none, where the old code kept its four refused messages. */
/* The rows of messages_in_flight in dir/c.db. */
static unsigned long long in_flight_rows(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/c.db", dir);
    sqlite3 *db;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM messages_in_flight", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    unsigned long long got = (unsigned long long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return got;
}

START_TEST(test_refused_message_ends)
{
    test_dir_setup();
    static const int cuts[] = {60, 100, 150, 0};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        ck_assert_int_eq(test_runf(NULL, "cd %s && rm -f c.db* && zcat %s/exim-runs/all.log.gz | if [ %d -gt 0 ];"
                                         " then head -n %d; else cat; fi > c.log", test_dir, MC_DATA_DIR, cuts[i], cuts[i]), 0);
        unsigned long long want = shell_count(
            "awk '$4 ~ /^[0-9A-Za-z]+-[0-9A-Za-z]+-[0-9A-Za-z]+$/ {a[$4] = 1} $5 == \"Completed\" {c[$4] = 1}"
            " / rejected after DATA| rejected from </ {r[$4] = 1}"
            " END {n = 0; for (i in a) if (!(i in c) && !(i in r)) n++; print n}' %s/c.log", test_dir);
        ck_assert_int_eq(test_runf(NULL, "cd %s && %s ingest --quiet --db c.db c.log", test_dir, MC_BINARY), 0);
        unsigned long long got = in_flight_rows(test_dir);
        ck_assert_msg(got == want, "cut %d: %llu in flight, want %llu", cuts[i], got, want);
        if (cuts[i] == 60)
            ck_assert_uint_gt(want, 0);
    }
    /* The same run ingested in two steps: the messages the first step left
     * in the database end in the second and are deleted there (a message
     * that came and went between two commits is never written, so its end
     * deletes nothing; one read back from the database must still go). */
    ck_assert_int_eq(test_runf(NULL, "cd %s && rm -f c.db* && zcat %s/exim-runs/all.log.gz | head -n 60 > c.log"
                                     " && %s ingest --quiet --db c.db c.log && zcat %s/exim-runs/all.log.gz > c.log"
                                     " && %s ingest --quiet --db c.db c.log", test_dir, MC_DATA_DIR, MC_BINARY,
                               MC_DATA_DIR, MC_BINARY), 0);
    ck_assert_uint_eq(in_flight_rows(test_dir), 0);
    test_dir_teardown();
}
END_TEST

START_TEST(test_queue_lifetime)
{
    test_dir_setup();
    const char *m = "0D3341040A9", *n = "11C05104119";
    ck_assert_int_eq(test_runf(NULL, "cd %s && { grep -E ' %s: (client|message-id|from)=' %s | head -3;"
                                     " grep -m1 ' %s: .* status=deferred ' %s; grep -m1 ' %s: client=' %s;"
                                     " grep -m1 ' %s: .* status=sent ' %s; } > cut.log", test_dir, m, MAILLOG, m,
                               MAILLOG, n, MAILLOG, m, MAILLOG), 0);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "wc -l < %s/cut.log", test_dir), 0);
    ck_assert_int_eq(atoi(out), 6);
    free(out);
    /* The premise, from the stamps: quiet for 10 s before the next
     * arrival, 67 s between deferral and delivery. */
    ck_assert_int_eq(test_runf(&out, "awk '{split($3, t, \":\"); s[NR] = t[2] * 60 + t[3]} END {print s[5] - s[4],"
                                     " s[6] - s[4]}' %s/cut.log", test_dir), 0);
    ck_assert_str_eq(out, "10 67\n");
    free(out);
    char *want = NULL;
    ck_assert_int_eq(test_runf(&want, "grep -m1 ' %s: from=<' %s | sed 's/.* from=<\\([^>]*\\)>.*/\\1/'", m, MAILLOG), 0);
    ck_assert_str_eq(want, "user00@alpha.test\n");
    /* Default (5 days): one message, deferred then delivered, its sender
     * joined; nothing evicted. */
    ck_assert_int_eq(test_runf(&out, "cd %s && %s report --format json cut.log", test_dir, MC_BINARY), 0);
    ck_assert_uint_eq(json_figure(out, "messages", "evicted"), 0);
    ck_assert_uint_eq(json_figure(out, "messages", "deferred"), 1);
    ck_assert_uint_eq(json_figure(out, "messages", "delivered"), 1);
    free(out);
    ck_assert_int_eq(test_runf(&out, "cd %s && %s trace %s --format json cut.log | jq -r 'select(.status == \"sent\")"
                                     " | .sender'", test_dir, MC_BINARY, m), 0);
    ck_assert_str_eq(out, want);
    free(out);
    /* 60 s: the 10 s quiet spell is within it, and nothing arrives
     * between the 67 s gap's ends to sweep: still whole. */
    ck_assert_int_eq(test_runf(&out, "cd %s && %s report --queue-lifetime 1m --format json cut.log", test_dir,
                               MC_BINARY), 0);
    ck_assert_uint_eq(json_figure(out, "messages", "evicted"), 0);
    free(out);
    /* 5 s: evicted at 11C05104119's arrival and counted; its delivery
     * comes back as a new message without a sender, and its arrival sweeps
     * 11C05104119 out in turn (quiet for 57 s): two evicted, in report,
     * scan and ingest alike. */
    ck_assert_int_eq(test_runf(&out, "cd %s && %s report --queue-lifetime 5s --format json cut.log", test_dir,
                               MC_BINARY), 0);
    ck_assert_uint_eq(json_figure(out, "messages", "evicted"), 2);
    ck_assert_uint_eq(json_figure(out, "messages", "deferred"), 1);
    ck_assert_uint_eq(json_figure(out, "messages", "delivered"), 1);
    free(out);
    ck_assert_int_eq(test_runf(&out, "cd %s && %s scan --queue-lifetime 5s cut.log | jq -r"
                                     " 'select(.status == \"sent\") | .sender'", test_dir, MC_BINARY), 0);
    ck_assert_str_eq(out, "null\n");
    free(out);
    /* trace reads only the lines of its target (and those naming a
     * sender): 11C05104119's arrival never reaches its table, so nothing
     * sweeps the message out. */
    ck_assert_int_eq(test_runf(&out, "cd %s && %s trace %s --queue-lifetime 5s --format json cut.log | jq -r"
                                     " 'select(.status == \"sent\") | .sender'", test_dir, MC_BINARY, m), 0);
    ck_assert_str_eq(out, want);
    free(out);
    ck_assert_int_eq(test_runf(&out, "cd %s && %s ingest --quiet --queue-lifetime 5s --db q.db cut.log && %s report"
                                     " --db q.db --format json", test_dir, MC_BINARY, MC_BINARY), 0);
    ck_assert_uint_eq(json_figure(out, "messages", "evicted"), 2);
    free(out);
    free(want);
    /* Not a duration: a usage error naming the option. */
    const char *bad[] = {"0", "5x", "5dd", "-1d", "d", "367d", "99999999999999999999s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(test_runf(&out, "%s report --queue-lifetime '%s' %s 2>&1", MC_BINARY, bad[i], MAILLOG), 1);
        test_expect_has(out, "--queue-lifetime");
        free(out);
    }
    test_dir_teardown();
}
END_TEST

/* The table's own storage: entries in blocks of 4096 that never move, key
 * and sender side by side in the entry or spilled together when long.
 * 10,000 messages (three blocks), on hosts whose key fits and one whose key
 * alone does not, with short senders, senders that spill only beside their
 * key, and a 1000-byte one; each outcome must get back its own sender, and
 * so must a table rebuilt from an export. */
static void message_names(int i, char *host, char *qid, char *sender)
{
    static const char *hosts[] = {"mx", "a-rather-long-relay-name-in-a-deep-subdomain.example.org.internal.test"};
    strcpy(host, hosts[i % 2]);
    snprintf(qid, 32, "Q%05dX", i);
    if (i % 3 == 0)
        snprintf(sender, 1100, "s%d@x.example", i);
    else if (i % 3 == 1)
        snprintf(sender, 1100, "a-forty-byte-sender-name-%05d@b.example", i); /* spills beside the key */
    else {
        memset(sender, 'z', 1000);
        snprintf(sender + 1000, 100, "%d@c.example", i);
    }
}

static mc_time at_second(int i)
{
    return (mc_time){.year = 2026, .month = 11, .day = 23, .hour = 10, .min = i / 600, .sec = i / 10 % 60,
                     .usec = -1, .valid = true};
}

/* Outcome "sent" of message i: its sender must come back from the table. */
static void check_sender(mc_messages *m, int i, mc_msg_figures *fig)
{
    char host[128], qid[32], sender[1100];
    message_names(i, host, qid, sender);
    mc_event ev = {.time = at_second(i), .host = mc_str_cstr(host), .program = mc_str_cstr("postfix/smtp"),
                   .status = mc_str_cstr("sent"), .queue_id = mc_str_cstr(qid)};
    messages_event(m, &ev, fig);
    ck_assert_msg(ev.sender.p != NULL, "no sender for %d", i);
    ck_assert_uint_eq(ev.sender.n, strlen(sender));
    ck_assert_msg(memcmp(ev.sender.p, sender, ev.sender.n) == 0, "sender of %d", i);
}

static bool import_into(const mc_message_state *st, void *ctx) { return messages_import(ctx, st); }

START_TEST(test_table_storage)
{
    enum { N = 10000 };
    mc_messages *m = messages_new(0, 0);
    mc_msg_figures fig = {0};
    for (int i = 0; i < N; i++) {
        char host[128], qid[32], sender[1100];
        message_names(i, host, qid, sender);
        mc_fact f = {.kind = FACT_QUEUED, .time = at_second(i), .host = mc_str_cstr(host),
                     .program = mc_str_cstr("postfix/qmgr"), .queue_id = mc_str_cstr(qid),
                     .sender = mc_str_cstr(sender), .has_sender = true, .size = 1000 + i};
        messages_fact(m, &f, &fig);
    }
    ck_assert_uint_eq(messages_in_flight(m), N);
    mc_messages *copy = messages_new(0, 0);
    ck_assert(messages_export(m, import_into, copy));
    ck_assert_uint_eq(messages_in_flight(copy), N);
    for (int i = 0; i < N; i++) {
        check_sender(m, i, &fig);
        check_sender(copy, i, &fig);
    }
    /* Every message delivered once, with its own size. */
    ck_assert_uint_eq(fig.delivered, 2 * N);
    ck_assert_uint_eq(fig.bytes_delivered, 2 * (1000ull * N + (uint64_t)N * (N - 1) / 2));
    messages_free(m);
    messages_free(copy);
}
END_TEST

/* The memo of messages last looked up: its slot comes from the queue id
 * alone, so messages with one queue id on two hosts and two instances,
 * and queue ids alike in their last 8 bytes, all share a memo slot.  Each
 * outcome must get its own message's sender (a memo taken on the queue id
 * alone, or without its whole-key check, gives another's); a removed
 * message's pool entry, reused by the next new message, must not answer
 * for the removed one's key. */
static void memo_names(int i, char *host, char *program, char *qid, char *sender)
{
    static const char *hosts[] = {"mx1", "mx2"}, *programs[] = {"postfix/qmgr", "postfix-out/qmgr"};
    strcpy(host, hosts[i % 2]);
    strcpy(program, programs[i / 2 % 2]);
    snprintf(qid, 32, "%c%cABCDEFGH", 'A' + i / 4 % 26, 'A' + i / 104 % 26); /* ids alike but for their first bytes */
    snprintf(sender, 64, "s%d@memo.example", i);
}

/* Outcome status of message i; the sender it gets back (NULL: none). */
static const char *memo_outcome(mc_messages *m, int i, const char *status, char *got, mc_msg_figures *fig)
{
    char host[16], program[32], qid[32], sender[64];
    memo_names(i, host, program, qid, sender);
    mc_event ev = {.time = at_second(i), .host = mc_str_cstr(host), .program = mc_str_cstr(program),
                   .status = mc_str_cstr(status), .queue_id = mc_str_cstr(qid)};
    messages_event(m, &ev, fig);
    if (ev.sender.p == NULL)
        return NULL;
    memcpy(got, ev.sender.p, ev.sender.n);
    got[ev.sender.n] = '\0';
    return got;
}

/* A fact of kind for message i, with its sender. */
static void memo_fact(mc_messages *m, int i, mc_fact_kind kind, mc_msg_figures *fig)
{
    char host[16], program[32], qid[32], sender[64];
    memo_names(i, host, program, qid, sender);
    mc_fact f = {.kind = kind, .time = at_second(i), .host = mc_str_cstr(host), .program = mc_str_cstr(program),
                 .queue_id = mc_str_cstr(qid), .sender = mc_str_cstr(sender), .has_sender = kind == FACT_QUEUED};
    messages_fact(m, &f, fig);
}

START_TEST(test_lookup_memo)
{
    enum { N = 400 };
    mc_messages *m = messages_new(0, 0);
    mc_msg_figures fig = {0};
    char got[64], host[16], program[32], qid[32], want[64];
    for (int i = 0; i < N; i++)
        memo_fact(m, i, FACT_QUEUED, &fig);
    ck_assert_uint_eq(messages_in_flight(m), N);
    /* Outcomes in two orders: each message's neighbours in the memo slot
     * differ only by host, by instance, or by the queue id's first bytes. */
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < N; k++) {
            int i = pass == 0 ? k : (k * 7) % N;
            memo_names(i, host, program, qid, want);
            const char *s = memo_outcome(m, i, "deferred", got, &fig);
            ck_assert_msg(s != NULL && strcmp(s, want) == 0, "message %d got %s", i, s ? s : "(none)");
            /* Again at once: now surely from the memo. */
            s = memo_outcome(m, i, "deferred", got, &fig);
            ck_assert_msg(s != NULL && strcmp(s, want) == 0, "message %d again got %s", i, s ? s : "(none)");
        }
    ck_assert_uint_eq(fig.deferred, N);
    ck_assert_uint_eq(messages_in_flight(m), N);
    /* Message 0 leaves; message N (mx1, postfix, another queue id of the
     * same memo slot) comes and takes its pool entry.  0's key is then a
     * new message without a sender, and N has none of 0's. */
    memo_fact(m, 0, FACT_REMOVED, &fig);
    ck_assert_uint_eq(messages_in_flight(m), N - 1);
    ck_assert_ptr_null(memo_outcome(m, N, "sent", got, &fig));
    ck_assert_ptr_null(memo_outcome(m, 0, "sent", got, &fig));
    ck_assert_uint_eq(messages_in_flight(m), N + 1);
    /* Its neighbours keep their own. */
    for (int i = 1; i < 8; i++) {
        memo_names(i, host, program, qid, want);
        const char *s = memo_outcome(m, i, "sent", got, &fig);
        ck_assert_msg(s != NULL && strcmp(s, want) == 0, "message %d after the removal got %s", i, s ? s : "(none)");
    }
    ck_assert_uint_eq(fig.delivered, 2 + 7);
    messages_free(m);
}
END_TEST

/* The mix a worker makes of a line's queue id (messages_mix) only picks a
 * memo slot: given with its own queue id's mix, or with another queue
 * id's (the memo then names another message, or none), every outcome and
 * fact finds its own message; and the mix is the queue id's bytes', not
 * their address's. */
START_TEST(test_mixed_lookups)
{
    enum { N = 300 };
    mc_messages *m = messages_new(0, 0);
    mc_msg_figures fig = {0};
    char host[16], program[32], qid[32], sender[64], copy[32];
    for (int i = 0; i < N; i++) {
        memo_names(i, host, program, qid, sender);
        uint64_t mix = messages_mix(mc_str_cstr(qid));
        strcpy(copy, qid);
        ck_assert(mix == messages_mix(mc_str_cstr(copy)));
        mc_fact f = {.kind = FACT_QUEUED, .time = at_second(i), .host = mc_str_cstr(host),
                     .program = mc_str_cstr(program), .queue_id = mc_str_cstr(qid), .sender = mc_str_cstr(sender),
                     .has_sender = true, .size = 100};
        messages_prefetch(m, mix);
        messages_fact_mixed(m, &f, &mix, &fig);
    }
    ck_assert_uint_eq(messages_in_flight(m), N);
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < N; i++) {
            char other[32], oh[16], op[32], os[64];
            memo_names((i + 1 + pass) % N, oh, op, other, os);
            memo_names(i, host, program, qid, sender);
            /* Pass 0: its own mix; then another message's, whose entry
             * the memo may well name. */
            uint64_t mix = messages_mix(mc_str_cstr(pass == 0 ? qid : other));
            mc_event ev = {.time = at_second(N + i), .host = mc_str_cstr(host), .program = mc_str_cstr(program),
                           .status = mc_str_cstr(pass == 2 ? "sent" : "deferred"), .queue_id = mc_str_cstr(qid)};
            messages_prefetch(m, mix);
            messages_event_mixed(m, &ev, &mix, &fig);
            ck_assert_msg(ev.sender.p != NULL && ev.sender.n == strlen(sender) &&
                              memcmp(ev.sender.p, sender, ev.sender.n) == 0,
                          "pass %d message %d got %.*s", pass, i, ev.sender.p ? (int)ev.sender.n : 6,
                          ev.sender.p ? ev.sender.p : "(none)");
        }
    ck_assert_uint_eq(fig.deferred, N);
    ck_assert_uint_eq(fig.delivered, N);
    ck_assert_uint_eq(fig.bytes_delivered, 100 * N);
    ck_assert_uint_eq(messages_in_flight(m), N);
    /* Removed under another's mix: its own message goes, not the other. */
    memo_names(0, host, program, qid, sender);
    uint64_t wrong = messages_mix(mc_str_cstr("ZZABCDEFGH"));
    mc_fact gone = {.kind = FACT_REMOVED, .time = at_second(3 * N), .host = mc_str_cstr(host),
                    .program = mc_str_cstr(program), .queue_id = mc_str_cstr(qid), .size = -1};
    messages_fact_mixed(m, &gone, &wrong, &fig);
    ck_assert_uint_eq(messages_in_flight(m), N - 1);
    char got[64];
    ck_assert_ptr_null(memo_outcome(m, 0, "sent", got, &fig));
    memo_names(1, host, program, qid, sender);
    ck_assert_str_eq(memo_outcome(m, 1, "sent", got, &fig), sender);
    messages_free(m);
}
END_TEST


/* The memo's key check compares host, instance and queue id whole
 * (mc_same_bytes' two loads at each end, or memcmp): one queue id, so one
 * memo slot, on hosts and on instances that differ from each other in one
 * byte only, at each place, for every length from 1 to 20; and queue ids
 * that differ so.  Each message keeps its own sender. */
static void key_names(int kind, int len, int pos, char *host, char *program, char *qid)
{
    char name[24];
    memset(name, 'a', (size_t)len);
    name[len] = '\0';
    if (pos >= 0)
        name[pos] = 'b';
    strcpy(host, kind == 0 ? name : "mx");
    snprintf(program, 40, "%s/qmgr", kind == 1 ? name : "postfix");
    strcpy(qid, kind == 2 ? name : "ABCDEFGHJK");
}

START_TEST(test_key_bytes)
{
    mc_messages *m = messages_new(0, 0);
    mc_msg_figures fig = {0};
    char host[24], program[40], qid[24], sender[64];
    size_t n = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int kind = 0; kind < 3; kind++)
            for (int len = 1; len <= 20; len++)
                for (int pos = -1; pos < len; pos++) {
                    key_names(kind, len, pos, host, program, qid);
                    snprintf(sender, sizeof sender, "s%d-%d-%d@key.example", kind, len, pos);
                    mc_time t = at_second(len);
                    if (pass == 0) {
                        mc_fact f = {.kind = FACT_QUEUED, .time = t, .host = mc_str_cstr(host),
                                     .program = mc_str_cstr(program), .queue_id = mc_str_cstr(qid),
                                     .sender = mc_str_cstr(sender), .has_sender = true};
                        messages_fact(m, &f, &fig);
                        n++;
                        continue;
                    }
                    /* Twice each: the second surely from the memo. */
                    mc_event ev = {.time = t, .host = mc_str_cstr(host), .program = mc_str_cstr(program),
                                   .status = mc_str_cstr("deferred"), .queue_id = mc_str_cstr(qid)};
                    messages_event(m, &ev, &fig);
                    ck_assert_msg(ev.sender.p != NULL && mc_str_eq(ev.sender, sender), "%s %s %s: %.*s, not %s", host,
                                  program, qid, (int)ev.sender.n, ev.sender.p ? ev.sender.p : "", sender);
                }
    /* Every variant is a message of its own (the base name comes once per
     * kind and length). */
    ck_assert_uint_eq(messages_in_flight(m), n);
    ck_assert_uint_eq(fig.deferred, n);
    messages_free(m);
}
END_TEST

/* One outcome (status deferred) of host, program and queue id, asked
 * twice (the second surely from the memo): the sender both give, "-"
 * for none. */
static const char *program_outcome(mc_messages *m, const char *host, const char *program, const char *qid,
                                   char *got, mc_msg_figures *fig)
{
    char first[64] = "-";
    for (int k = 0; k < 2; k++) {
        mc_event ev = {.time = at_second(5), .host = mc_str_cstr(host), .program = mc_str_cstr(program),
                       .status = mc_str_cstr("deferred"), .queue_id = mc_str_cstr(qid)};
        messages_event(m, &ev, fig);
        snprintf(got, 64, "%.*s", ev.sender.p ? (int)ev.sender.n : 1, ev.sender.p ? ev.sender.p : "-");
        if (k == 0)
            strcpy(first, got);
        ck_assert_str_eq(got, first);
    }
    return got;
}

/* A message's instance is its program up to the first '/' (the whole
 * program without one), whatever the daemon: postfix, postfix/smtp and
 * postfix/a/b are one instance, postfixx/qmgr and postfi/x others; on a
 * host and an instance of 300 bytes, and on a message put back from the
 * database, the same. */
START_TEST(test_instance_of_program)
{
    mc_messages *m = messages_new(0, 0);
    mc_msg_figures fig = {0};
    char got[64], big_host[320], big_prog[320], big_other[320];
    memset(big_host, 'h', 300), big_host[300] = '\0';
    memset(big_prog, 'p', 300), strcpy(big_prog + 300, "/qmgr");
    memset(big_other, 'p', 301), strcpy(big_other + 301, "/smtp");
    mc_fact f = {.kind = FACT_QUEUED, .time = at_second(1), .host = mc_str_cstr("mx"),
                 .program = mc_str_cstr("postfix/qmgr"), .queue_id = mc_str_cstr("QA"),
                 .sender = mc_str_cstr("a@x.example"), .has_sender = true};
    messages_fact(m, &f, &fig);
    f.host = mc_str_cstr(big_host), f.program = mc_str_cstr(big_prog), f.sender = mc_str_cstr("b@x.example");
    messages_fact(m, &f, &fig);
    mc_message_state st = {.key = "mx\npostfix\nQC\n", .sender = "c@x.example", .size = -1, .first = 0, .last = 0};
    ck_assert(messages_import(m, &st));
    ck_assert_uint_eq(messages_in_flight(m), 3);
    static const struct {
        const char *host, *program, *qid, *sender;
    } cases[] = {
        {"mx", "postfix/smtp", "QA", "a@x.example"}, {"mx", "postfix", "QA", "a@x.example"},
        {"mx", "postfix/a/b", "QA", "a@x.example"},  {"mx", "postfixx/qmgr", "QA", "-"},
        {"mx", "postfi/x", "QA", "-"},               {"mx", "postfixx", "QA", "-"},
        {"m", "postfix/smtp", "QA", "-"},            {"mx", "postfix/smtp", "QC", "c@x.example"},
        {"mx", "postfix", "QC", "c@x.example"},      {"mx", "postfixx/smtp", "QC", "-"},
        {"mx", "postfix/smtp", "QA", "a@x.example"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(strcmp(program_outcome(m, cases[i].host, cases[i].program, cases[i].qid, got, &fig),
                             cases[i].sender) == 0,
                      "%s %s %s: %s, not %s", cases[i].host, cases[i].program, cases[i].qid, got, cases[i].sender);
    ck_assert_str_eq(program_outcome(m, big_host, big_prog, "QA", got, &fig), "b@x.example");
    ck_assert_str_eq(program_outcome(m, big_host, big_other, "QA", got, &fig), "-");
    /* The new messages: postfixx/qmgr, postfi/x, postfixx on mx, QA on m,
     * postfixx on mx for QC (postfixx QA is the first's), the long one. */
    ck_assert_uint_eq(messages_in_flight(m), 3 + 5);
    messages_free(m);
}
END_TEST

/* A hash under which every key collides: each new message's probe walks
 * the chain of all before it. */
static uint64_t one_hash(const void *p, size_t n)
{
    (void)p, (void)n;
    return 0x2A2A2A2A2A2A2A2AULL;
}

/* An index whose every key lands in one chain (keys written against its
 * fast hash) takes SipHash once a probe walks past its limit, and then
 * answers as the index whose hash spreads them: 3,000 messages (a third
 * of them put back from the database, some removed, new ones taking
 * their entries), each outcome with its own message's sender; the real
 * hash never needs the switch. */
START_TEST(test_hash_switch)
{
    enum { N = 3000 };
    for (int colliding = 0; colliding < 2; colliding++) {
        mc_messages *m = messages_new(0, 0);
        if (colliding)
            messages_set_test_hash(m, one_hash);
        mc_msg_figures fig = {0};
        char qid[32], sender[64], key[64], got[64];
        for (int i = 0; i < N; i++) {
            snprintf(qid, sizeof qid, "Q%05d", i);
            snprintf(sender, sizeof sender, "s%d@switch.example", i);
            if (i % 3 == 2) {
                snprintf(key, sizeof key, "mx\npostfix\n%s\n", qid);
                mc_message_state st = {.key = key, .sender = sender, .size = -1, .first = 1, .last = 1};
                ck_assert(messages_import(m, &st));
                continue;
            }
            mc_fact f = {.kind = FACT_QUEUED, .time = at_second(1), .host = mc_str_cstr("mx"),
                         .program = mc_str_cstr("postfix/qmgr"), .queue_id = mc_str_cstr(qid),
                         .sender = mc_str_cstr(sender), .has_sender = true};
            messages_fact(m, &f, &fig);
            if (i % 7 == 0) { /* removed, and its key queued again with another sender */
                f.kind = FACT_REMOVED;
                messages_fact(m, &f, &fig);
                f.kind = FACT_QUEUED;
                snprintf(sender, sizeof sender, "again%d@switch.example", i);
                f.sender = mc_str_cstr(sender);
                messages_fact(m, &f, &fig);
            }
        }
        ck_assert_uint_eq(messages_in_flight(m), N);
        ck_assert(messages_hash_is_sip(m) == (colliding == 1));
        for (int i = N - 1; i >= 0; i--) {
            snprintf(qid, sizeof qid, "Q%05d", i);
            snprintf(sender, sizeof sender, i % 7 == 0 && i % 3 != 2 ? "again%d@switch.example" : "s%d@switch.example", i);
            ck_assert_str_eq(program_outcome(m, "mx", "postfix/smtp", qid, got, &fig), sender);
        }
        ck_assert_uint_eq(messages_in_flight(m), N);
        messages_free(m);
    }
}
END_TEST

/* A hash of 512 homes (the key's bytes, FNV-1a): 250 messages in flight
 * make chains of neighbours, which removals shift back. */
static uint64_t few_homes_hash(const void *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ULL;
    return h % 512;
}

/* Queues message k of test_index_marks (its sender "m<k>@marks.example"). */
static void marks_queue(mc_messages *m, int k, mc_fact_kind kind, mc_msg_figures *fig)
{
    char qid[16], sender[32];
    snprintf(qid, sizeof qid, "M%05d", k);
    snprintf(sender, sizeof sender, "m%d@marks.example", k);
    mc_fact f = {.kind = kind, .time = at_second(k % 3000), .host = mc_str_cstr("mx"),
                 .program = mc_str_cstr("postfix/qmgr"), .queue_id = mc_str_cstr(qid),
                 .sender = mc_str_cstr(sender), .has_sender = true};
    messages_fact(m, &f, fig);
}

/* The index marks each slot that holds a message in a bitmap, and a key
 * whose home slot is unmarked is absent without the slot being read: the
 * marks must follow every write of the index.  Messages queued one after
 * another, three in four removed seven messages later (chains shifted
 * back), under the real hash (the index grows twice), a hash of 512 homes
 * (long chains of neighbours) and one under which every key collides (the
 * switch to SipHash places every message again); then the table emptied
 * and put back from its export.  After each step as many marks as
 * messages in flight, as many in flight as queued and not removed, each
 * with its own sender; a removed message asked for is a new one. */
START_TEST(test_index_marks)
{
    static const struct {
        uint64_t (*hash)(const void *p, size_t n);
        int n;
        bool sip;
    } modes[] = {{NULL, 6000, false}, {few_homes_hash, 1000, false}, {one_hash, 400, true}};
    for (size_t md = 0; md < sizeof modes / sizeof modes[0]; md++) {
        int n = modes[md].n;
        mc_messages *m = messages_new(0, 0);
        messages_set_test_hash(m, modes[md].hash);
        mc_msg_figures fig = {0};
        size_t alive = 0;
        for (int k = 0; k < n; k++) {
            marks_queue(m, k, FACT_QUEUED, &fig);
            alive++;
            if (k >= 7 && (k - 7) % 4 != 3) {
                marks_queue(m, k - 7, FACT_REMOVED, &fig);
                alive--;
            }
            ck_assert_uint_eq(messages_in_flight(m), alive);
            ck_assert_uint_eq(messages_index_marked(m), alive);
        }
        ck_assert(messages_hash_is_sip(m) == modes[md].sip);
        char qid[16], want[32], got[64];
        for (int round = 0; round < 2; round++) {
            for (int k = 0; k < n; k++) {
                if (k < n - 7 && k % 4 != 3)
                    continue;
                snprintf(qid, sizeof qid, "M%05d", k);
                snprintf(want, sizeof want, "m%d@marks.example", k);
                ck_assert_str_eq(program_outcome(m, "mx", "postfix/smtp", qid, got, &fig), want);
            }
            ck_assert_uint_eq(messages_in_flight(m), alive);
            ck_assert_uint_eq(messages_index_marked(m), alive);
            if (round == 0) { /* emptied, and put back as from the database */
                mc_messages *copy = messages_new(0, 0);
                ck_assert(messages_export(m, import_into, copy));
                messages_reset(m);
                ck_assert_uint_eq(messages_index_marked(m), 0);
                ck_assert(messages_export(copy, import_into, m));
                messages_free(copy);
            }
        }
        for (int k = 0; k < n - 7; k += 4) {
            snprintf(qid, sizeof qid, "M%05d", k);
            ck_assert_str_eq(program_outcome(m, "mx", "postfix/smtp", qid, got, &fig), "-");
            alive++;
        }
        ck_assert_uint_eq(messages_in_flight(m), alive);
        ck_assert_uint_eq(messages_index_marked(m), alive);
        messages_free(m);
    }
}
END_TEST

/* An outcome without its sender takes the message's as a C string: a
 * sender with a NUL byte in it (a log may hold one) comes back up to the
 * NUL, as from the database, at its length. */
START_TEST(test_sender_nul)
{
    mc_messages *m = messages_new(0, 0);
    mc_msg_figures fig = {0};
    static const char sender[] = "a@b.example\0tail";
    mc_fact f = {.kind = FACT_QUEUED, .time = at_second(1), .host = mc_str_cstr("mx"),
                 .program = mc_str_cstr("postfix/qmgr"), .queue_id = mc_str_cstr("NULQ1"),
                 .sender = mc_str_make(sender, sizeof sender - 1), .has_sender = true, .size = -1};
    messages_fact(m, &f, &fig);
    mc_event ev = {.time = at_second(2), .host = mc_str_cstr("mx"), .program = mc_str_cstr("postfix/smtp"),
                   .status = mc_str_cstr("sent"), .queue_id = mc_str_cstr("NULQ1")};
    messages_event(m, &ev, &fig);
    ck_assert_ptr_nonnull(ev.sender.p);
    ck_assert_uint_eq(ev.sender.n, 11);
    ck_assert(memcmp(ev.sender.p, "a@b.example", 11) == 0);
    ck_assert_str_eq(ev.sender_domain, "b.example");
    messages_free(m);
}
END_TEST

/* An outcome without its sender takes the message's; its sender domain
 * (lower-cased) comes with it by default, and not once the caller says it
 * reads none (a report that does not count by it), while the sender still
 * does; asked again, it comes again. */
START_TEST(test_sender_domain_fill)
{
    mc_messages *m = messages_new(0, 0);
    mc_msg_figures fig = {0};
    mc_time t = at_second(1);
    mc_fact f = {.kind = FACT_QUEUED, .time = t, .host = mc_str_cstr("mx"), .program = mc_str_cstr("postfix/qmgr"),
                 .queue_id = mc_str_cstr("4F2A81C0D3"), .sender = mc_str_cstr("Ann@Mail.Example.ORG"),
                 .has_sender = true};
    messages_fact(m, &f, &fig);
    static const bool fill[] = {true, false, true};
    for (size_t i = 0; i < sizeof fill / sizeof fill[0]; i++) {
        if (i > 0)
            messages_fill_sender_domain(m, fill[i]);
        mc_event ev = {.time = t, .host = mc_str_cstr("mx"), .program = mc_str_cstr("postfix/smtp"),
                       .status = mc_str_cstr("deferred"), .queue_id = mc_str_cstr("4F2A81C0D3")};
        messages_event(m, &ev, &fig);
        ck_assert(mc_str_eq(ev.sender, "Ann@Mail.Example.ORG"));
        ck_assert_str_eq(ev.sender_domain, fill[i] ? "mail.example.org" : "");
    }
    messages_free(m);
}
END_TEST

/* The per-message figures are counted in the hour of the line that
 * settles them (the loop adds them up in place while the hour stays the
 * same, and hands them on when a line of another hour comes): the mta-run
 * log with its lines from 12:52:40 on moved to 13:xx, and again with every
 * third line from 12:30:00 on moved (the hours alternate line by line, so
 * the sums are handed on at every turn, most of them from lines that settle
 * none), reported for the hour before 13:00 and from 13:00, against the
 * distinct queue ids whose first status=sent (delivered) or client=/uid=
 * (received) line falls in each hour, counted with awk. */
START_TEST(test_figures_by_hour)
{
    test_dir_setup();
    static const char *const moves[] = {"$3 >= \"12:52:40\"", "$3 >= \"12:30:00\" && NR % 3 == 0"};
    ck_assert_int_eq(test_runf(NULL, "awk '{ if (%s) $3 = \"13\" substr($3, 3); print }' %s > %s/hours.log",
                               moves[_i], MAILLOG, test_dir), 0);
    static const struct {
        const char *figure, *ere;
    } figures[] = {
        {"delivered", " status=sent "},
        {"received", "postfix/([a-z]+/)?(smtpd|pickup)\\[[0-9]+\\]: [0-9A-F]+: (client|uid)="},
    };
    static const char *const windows[][2] = {{"12", "--until 2026-11-23T13:00"}, {"13", "--since 2026-11-23T13:00"}};
    char path[4096];
    snprintf(path, sizeof path, "%s/hours.log", test_dir);
    for (size_t w = 0; w < 2; w++) {
        char *json = NULL;
        ck_assert_int_eq(test_runf(&json, "%s report --format json %s %s", MC_BINARY, windows[w][1], path), 0);
        for (size_t f = 0; f < sizeof figures / sizeof figures[0]; f++) {
            char cmd[512];
            snprintf(cmd, sizeof cmd,
                     "grep -E '%s' %%s | awk '{ split($6, q, \":\"); if (!(q[1] in seen)) { seen[q[1]] = 1;"
                     " if (substr($3, 1, 2) == \"%s\") n++ } } END { print n + 0 }'",
                     figures[f].ere, windows[w][0]);
            unsigned long long want = shell_count(cmd, path);
            ck_assert_msg(want > 50, "%s in hour %s: %llu only", figures[f].figure, windows[w][0], want);
            ck_assert_uint_eq(json_figure(json, "messages", figures[f].figure), want);
        }
        free(json);
    }
    test_dir_teardown();
}
END_TEST

/* The sweep: once an hour of log time (the lifetime here, 3600 s), the
 * messages quiet for longer than the lifetime leave the table, counted as
 * evicted; a sweep that can evict none skips its walk (the table keeps a
 * bound of its messages' last times).  Message A queued at minute 0, then
 * a message a minute (queued, removed at once): the sweep at A's arrival
 * finds the table empty, the one at minute 60 keeps A (quiet for exactly
 * the lifetime, not longer), the one at minute 120 evicts it.  The same
 * with A imported (as from the database): the sweeps come with the new
 * messages from minute 1 on, so at 61 A goes.  After that, message B at
 * minute 121 and a late line of C dated minute 50 (earlier than any time
 * in the table): the sweep at minute 180 (181) evicts C alone, the one at
 * 240 (241) B. */
static mc_time at_minute(int k)
{
    return (mc_time){.year = 2026, .month = 11, .day = 23, .hour = k / 60, .min = k % 60, .usec = -1, .valid = true};
}

static void queue_at(mc_messages *m, const char *qid, int minute, bool remove, mc_msg_figures *fig)
{
    mc_fact f = {.kind = FACT_QUEUED, .time = at_minute(minute), .host = mc_str_cstr("mx"),
                 .program = mc_str_cstr("postfix/qmgr"), .queue_id = mc_str_cstr(qid),
                 .sender = mc_str_cstr("s@sweep.example"), .has_sender = true, .size = 100};
    messages_fact(m, &f, fig);
    if (remove) {
        f.kind = FACT_REMOVED;
        messages_fact(m, &f, fig);
    }
}

/* A message a minute from `from` to `to`, each removed at once; the
 * messages in flight after each must be `before` until minute `change`,
 * then `after`. */
static void stream_minutes(mc_messages *m, int from, int to, int change, size_t before, size_t after,
                           mc_msg_figures *fig)
{
    for (int k = from; k <= to; k++) {
        char qid[16];
        snprintf(qid, sizeof qid, "S%04d", k);
        queue_at(m, qid, k, true, fig);
        ck_assert_msg(messages_in_flight(m) == (k < change ? before : after), "minute %d: %zu in flight, %llu evicted",
                      k, messages_in_flight(m), (unsigned long long)fig->evicted);
    }
}

/* messages_export callback: the key of the one message in flight. */
static bool only_key(const mc_message_state *st, void *ctx)
{
    static char key[64];
    snprintf(key, sizeof key, "%s", st->key);
    *(const char **)ctx = key;
    return true;
}

START_TEST(test_sweep_evicts)
{
    for (int imported = 0; imported < 2; imported++) {
        mc_messages *m = messages_new(0, 3600);
        mc_msg_figures fig = {0};
        if (imported) {
            mc_messages *db = messages_new(0, 3600);
            queue_at(db, "OLDA", 0, false, &fig);
            ck_assert(messages_export(db, import_into, m));
            messages_free(db);
        } else {
            queue_at(m, "OLDA", 0, false, &fig);
        }
        ck_assert_uint_eq(messages_in_flight(m), 1);
        /* An imported A: the first sweep comes with the first new message. */
        int off = imported;
        stream_minutes(m, 1, 120, imported ? 61 : 120, 1, 0, &fig);
        ck_assert_uint_eq(fig.evicted, 1);
        queue_at(m, "B", 121, false, &fig);
        queue_at(m, "C", 50, false, &fig);
        ck_assert_uint_eq(messages_in_flight(m), 2);
        stream_minutes(m, 122, 239 + off, 180 + off, 2, 1, &fig);
        ck_assert_uint_eq(fig.evicted, 2);
        const char *left = NULL;
        ck_assert(messages_export(m, only_key, &left));
        ck_assert_str_eq(left, "mx\npostfix\nB\n");
        stream_minutes(m, 240 + off, 240 + off, 0, 0, 0, &fig);
        ck_assert_uint_eq(fig.evicted, 3);
        messages_free(m);
    }
}
END_TEST

/* A full table makes room: the quietest messages go first, in steps of
 * half the remaining lifetime (here a day), counted as evicted.  Capacity
 * 100, a message a second that stays: the 101st finds the table full; the
 * steps of 86400 s down to 168 s evict none (all are younger), the step
 * of 84 s evicts the 16 quiet for more than 84 s (seconds 0 to 15), which
 * leaves 84, under the 88 (capacity less an eighth) it stops at; with the
 * 101st, 85 in flight, each of them with its own sender. */
START_TEST(test_full_table)
{
    mc_messages *m = messages_new(100, 86400);
    mc_msg_figures fig = {0};
    char qid[16], want[32];
    for (int i = 0; i <= 100; i++) {
        snprintf(qid, sizeof qid, "F%03d", i);
        snprintf(want, sizeof want, "f%d@full.example", i);
        mc_time t = {.year = 2026, .month = 11, .day = 23, .hour = 10, .min = i / 60, .sec = i % 60, .usec = -1,
                     .valid = true};
        mc_fact f = {.kind = FACT_QUEUED, .time = t, .host = mc_str_cstr("mx"), .program = mc_str_cstr("postfix/qmgr"),
                     .queue_id = mc_str_cstr(qid), .sender = mc_str_cstr(want), .has_sender = true};
        messages_fact(m, &f, &fig);
        ck_assert_uint_eq(messages_in_flight(m), i < 100 ? (size_t)i + 1 : 85);
    }
    ck_assert_uint_eq(fig.evicted, 16);
    for (int i = 16; i <= 100; i++) {
        snprintf(qid, sizeof qid, "F%03d", i);
        snprintf(want, sizeof want, "f%d@full.example", i);
        mc_event ev = {.time = {.year = 2026, .month = 11, .day = 23, .hour = 10, .min = 1, .sec = 40, .usec = -1,
                                .valid = true},
                       .host = mc_str_cstr("mx"), .program = mc_str_cstr("postfix/smtp"),
                       .status = mc_str_cstr("deferred"), .queue_id = mc_str_cstr(qid)};
        messages_event(m, &ev, &fig);
        ck_assert_msg(ev.sender.p != NULL && mc_str_eq(ev.sender, want), "message %d lost its sender", i);
    }
    ck_assert_uint_eq(messages_in_flight(m), 85);
    ck_assert_uint_eq(fig.deferred, 85);
    messages_free(m);
}
END_TEST

/* messages_export callback: the queue ids in flight ("mx\npostfix\nQID\n"). */
static bool collect_qids(const mc_message_state *st, void *ctx)
{
    char (*qids)[16] = ctx;
    int i = atoi(st->key + strlen("mx\npostfix\nG"));
    snprintf(qids[i], sizeof qids[i], "G%04d", i);
    return true;
}

/* The same with 2,000 messages through a table of 400 (half the index's
 * 1,024 slots: chains are common): each time it is full, the make-room
 * steps evict some, and the new message goes where its chain ends in the
 * index rebuilt without them.  Every message is counted once, in flight
 * or evicted, and every one in flight is found with its own sender. */
START_TEST(test_full_table_chains)
{
    enum { N = 2000 };
    static char qids[N][16];
    memset(qids, 0, sizeof qids);
    mc_messages *m = messages_new(400, 86400);
    mc_msg_figures fig = {0};
    char qid[16], want[32];
    for (int i = 0; i < N; i++) {
        snprintf(qid, sizeof qid, "G%04d", i);
        snprintf(want, sizeof want, "g%d@full.example", i);
        mc_time t = {.year = 2026, .month = 11, .day = 23, .hour = 10 + i / 3600, .min = i / 60 % 60, .sec = i % 60,
                     .usec = -1, .valid = true};
        mc_fact f = {.kind = FACT_QUEUED, .time = t, .host = mc_str_cstr("mx"), .program = mc_str_cstr("postfix/qmgr"),
                     .queue_id = mc_str_cstr(qid), .sender = mc_str_cstr(want), .has_sender = true};
        messages_fact(m, &f, &fig);
        ck_assert_uint_le(messages_in_flight(m), 400);
    }
    size_t in_flight = messages_in_flight(m);
    ck_assert_uint_eq(fig.evicted + in_flight, N);
    ck_assert(messages_export(m, collect_qids, qids));
    size_t found = 0;
    for (int i = 0; i < N; i++) {
        if (qids[i][0] == '\0')
            continue;
        snprintf(want, sizeof want, "g%d@full.example", i);
        mc_event ev = {.time = {.year = 2026, .month = 11, .day = 23, .hour = 10, .min = 33, .sec = 19, .usec = -1,
                                .valid = true},
                       .host = mc_str_cstr("mx"), .program = mc_str_cstr("postfix/smtp"),
                       .status = mc_str_cstr("deferred"), .queue_id = mc_str_cstr(qids[i])};
        messages_event(m, &ev, &fig);
        ck_assert_msg(ev.sender.p != NULL && mc_str_eq(ev.sender, want), "message %d lost its sender", i);
        found++;
    }
    ck_assert_uint_eq(found, in_flight);
    ck_assert_uint_eq(messages_in_flight(m), in_flight);
    messages_free(m);
}
END_TEST

/* The entry's layout: a message is one 64-byte entry when its key, sender
 * and NUL fit the entry's 48 bytes of text, its size is under 2^32 - 1 and
 * its times are within 2^31 s of the table's first time; any other goes
 * whole to a record of its own.  Neither may change an answer.  These
 * helpers make civil times with gmtime_r (not the table's own days count)
 * and keep what an export hands over. */
static mc_time time_at(int64_t t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    ck_assert(gmtime_r(&tt, &tm) != NULL);
    return (mc_time){.year = tm.tm_year + 1900, .month = tm.tm_mon + 1, .day = tm.tm_mday, .hour = tm.tm_hour,
                     .min = tm.tm_min, .sec = tm.tm_sec, .usec = -1, .valid = true};
}

/* A fact of kind on queue id qid (host mx, postfix/qmgr) at time t. */
static void fact_at(mc_messages *m, mc_fact_kind kind, const char *qid, int64_t t, const char *sender, int64_t size,
                    mc_msg_figures *fig)
{
    mc_fact f = {.kind = kind, .time = time_at(t), .host = mc_str_cstr("mx"), .program = mc_str_cstr("postfix/qmgr"),
                 .queue_id = mc_str_cstr(qid), .sender = mc_str_cstr(sender), .has_sender = sender != NULL,
                 .size = size};
    messages_fact(m, &f, fig);
}

/* An outcome of status on qid at time t, the sender it carries (NULL:
 * none); the sender it ends with (the table's, when it had none). */
static mc_str outcome_at(mc_messages *m, const char *status, const char *qid, int64_t t, const char *sender,
                         mc_msg_figures *fig)
{
    mc_event ev = {.time = time_at(t), .host = mc_str_cstr("mx"), .program = mc_str_cstr("postfix/smtp"),
                   .status = mc_str_cstr(status), .queue_id = mc_str_cstr(qid), .sender = mc_str_cstr(sender)};
    messages_event(m, &ev, fig);
    return ev.sender;
}

#define MAX_KEPT 512
typedef struct {
    int n;
    char *key[MAX_KEPT], *sender[MAX_KEPT];
    int64_t size[MAX_KEPT], first[MAX_KEPT], last[MAX_KEPT];
} kept_states;

static bool keep_state(const mc_message_state *st, void *ctx)
{
    kept_states *k = ctx;
    ck_assert_int_lt(k->n, MAX_KEPT);
    k->key[k->n] = strdup(st->key);
    k->sender[k->n] = st->sender ? strdup(st->sender) : NULL;
    k->size[k->n] = st->size;
    k->first[k->n] = st->first;
    k->last[k->n] = st->last;
    k->n++;
    return true;
}

/* The kept state of queue id qid (host mx, instance postfix), or -1. */
static int kept_of(const kept_states *k, const char *qid)
{
    char key[256];
    snprintf(key, sizeof key, "mx\npostfix\n%s\n", qid);
    for (int i = 0; i < k->n; i++)
        if (strcmp(k->key[i], key) == 0)
            return i;
    return -1;
}

static void kept_free(kept_states *k)
{
    for (int i = 0; i < k->n; i++) {
        free(k->key[i]);
        free(k->sender[i]);
    }
    k->n = 0;
}

/* Exports table t into k (empty), which must then hold n states. */
static void export_states(mc_messages *t, kept_states *k, int n)
{
    ck_assert(messages_export(t, keep_state, k));
    ck_assert_int_eq(k->n, n);
}

/* Message i of the class test: a queue id of 25 to 40 bytes (keys of 37
 * to 52 bytes: "mx\npostfix\n", the id and '\n'), a sender of one of
 * fourteen lengths around what is left of 48 bytes beside a 23- to 52-byte
 * key, its own bytes. */
static const int class_senders[] = {-1, 0, 1, 5, 9, 10, 11, 12, 20, 23, 24, 25, 26, 30};
#define CLASS_N (16 * 14 * 2)
static void class_names(int i, char *qid, char *sender, bool *has_sender)
{
    int qn = 25 + i % 16, sl = class_senders[i / 16 % 14];
    snprintf(qid, 64, "Q%0*d", qn - 1, i);
    *has_sender = sl >= 0;
    for (int j = 0; j < sl; j++)
        sender[j] = (char)('a' + (i + j) % 26);
    sender[sl > 0 ? sl : 0] = '\0';
}

/* Every message of the class test, as an export hands it over. */
static void check_class_states(mc_messages *m, int64_t t0)
{
    kept_states *k = calloc(1, sizeof *k);
    ck_assert_ptr_nonnull(k);
    export_states(m, k, CLASS_N);
    for (int i = 0; i < CLASS_N; i++) {
        char qid[64], sender[64];
        bool has;
        class_names(i, qid, sender, &has);
        int at = kept_of(k, qid);
        ck_assert_msg(at >= 0, "message %d not exported", i);
        if (has)
            ck_assert_str_eq(k->sender[at], sender);
        else
            ck_assert_ptr_null(k->sender[at]);
        ck_assert_int_eq(k->size[at], 1000 * i);
        ck_assert_int_eq(k->first[at], t0 + i);
        ck_assert_int_eq(k->last[at], t0 + i + (i >= CLASS_N / 2));
    }
    kept_free(k);
    free(k);
}

/* Keys and key-and-sender pairs at 48 bytes with the NUL and one over, and
 * both sides of that, both ways: the sender on the line that makes the
 * message (the first half), and on a later line (the second half: made
 * without one, then a deferral a second later brings it).  Each must come
 * back whole from an outcome and from an export, and again from a table
 * that imported that export. */
START_TEST(test_entry_class_limit)
{
    const int64_t t0 = 1795000000;
    mc_messages *m = messages_new(0, 0);
    mc_msg_figures fig = {0};
    for (int i = 0; i < CLASS_N; i++) {
        char qid[64], sender[64];
        bool has;
        class_names(i, qid, sender, &has);
        if (i < CLASS_N / 2) {
            fact_at(m, FACT_QUEUED, qid, t0 + i, has ? sender : NULL, 1000 * i, &fig);
        } else {
            fact_at(m, FACT_QUEUED, qid, t0 + i, NULL, 1000 * i, &fig);
            outcome_at(m, "deferred", qid, t0 + i + 1, has ? sender : NULL, &fig);
        }
    }
    ck_assert_uint_eq(messages_in_flight(m), CLASS_N);
    check_class_states(m, t0);
    mc_messages *copy = messages_new(0, 0);
    ck_assert(messages_export(m, import_into, copy));
    check_class_states(copy, t0);
    mc_messages *tables[] = {m, copy};
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < CLASS_N; i++) {
            char qid[64], sender[64];
            bool has;
            class_names(i, qid, sender, &has);
            mc_str got = outcome_at(tables[c], "sent", qid, t0 + CLASS_N, NULL, &fig);
            if (!has) {
                ck_assert_ptr_null(got.p);
                continue;
            }
            ck_assert_msg(got.p != NULL, "no sender for %d", i);
            ck_assert_uint_eq(got.n, strlen(sender));
            ck_assert_msg(memcmp(got.p, sender, got.n) == 0, "sender of %d", i);
        }
    ck_assert_uint_eq(fig.delivered, 2 * CLASS_N);
    messages_free(m);
    messages_free(copy);
}
END_TEST

/* The ends of an entry's times.  The first time the table sees is t0
 * (2000-01-01); times from t0 - 2^31 to t0 + 2^31 - 1 are offsets in the
 * entry, the others make it wide.  With a lifetime of 100 s: D, first seen
 * 100 s before the top end and quiet for the whole lifetime, stays at the
 * top end's sweep and goes at the next; X made at the top end and heard of
 * 100 s past it (wide from then on); a clock gone back 68 years (B at the
 * bottom end, C a second below it).  Each message's times come back exact
 * from an export and from a table that imported it, and the sweeps evict
 * the same messages in both. */
START_TEST(test_entry_time_ends)
{
    const int64_t t0 = 946684800, top = t0 + 2147483647, bottom = t0 - 2147483648LL;
    mc_messages *m = messages_new(0, 100);
    mc_msg_figures fig = {0};
    fact_at(m, FACT_QUEUED, "A", t0, NULL, -1, &fig);
    fact_at(m, FACT_QUEUED, "D", top - 100, NULL, -1, &fig);
    ck_assert_uint_eq(fig.evicted, 1); /* A: quiet for 68 years */
    fact_at(m, FACT_QUEUED, "X", top, NULL, -1, &fig);
    ck_assert_uint_eq(fig.evicted, 1); /* D: quiet for exactly the lifetime */
    ck_assert_uint_eq(messages_in_flight(m), 2);
    fact_at(m, FACT_QUEUED, "Y", top + 100, NULL, -1, &fig);
    ck_assert_uint_eq(fig.evicted, 2); /* D: 200 s */
    outcome_at(m, "deferred", "X", top + 100, NULL, &fig);
    fact_at(m, FACT_QUEUED, "Z", top + 200, NULL, -1, &fig);
    ck_assert_uint_eq(fig.evicted, 2);
    fact_at(m, FACT_QUEUED, "B", bottom, NULL, -1, &fig);
    fact_at(m, FACT_QUEUED, "C", bottom - 1, NULL, -1, &fig);
    ck_assert_uint_eq(messages_in_flight(m), 5);
    static const struct {
        const char *qid;
        int64_t first, last;
    } want[] = {{"X", 3094168447, 3094168547}, {"Y", 3094168547, 3094168547}, {"Z", 3094168647, 3094168647},
                {"B", -1200798848, -1200798848}, {"C", -1200798849, -1200798849}};
    mc_messages *copy = messages_new(0, 100);
    ck_assert(messages_export(m, import_into, copy));
    mc_messages *tables[] = {m, copy};
    for (int c = 0; c < 2; c++) {
        kept_states k = {0};
        export_states(tables[c], &k, 5);
        for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
            int at = kept_of(&k, want[w].qid);
            ck_assert_msg(at >= 0, "%s not exported", want[w].qid);
            ck_assert_int_eq(k.first[at], want[w].first);
            ck_assert_int_eq(k.last[at], want[w].last);
            ck_assert_int_eq(k.size[at], -1);
        }
        kept_free(&k);
        /* 100 s on: all but Z quiet for more than the lifetime. */
        mc_msg_figures f2 = {0};
        fact_at(tables[c], FACT_QUEUED, "W", top + 300, NULL, -1, &f2);
        ck_assert_uint_eq(f2.evicted, 4);
        ck_assert_uint_eq(messages_in_flight(tables[c]), 2);
    }
    messages_free(m);
    messages_free(copy);
    /* Imported times anywhere in 64 bits come back as they went in. */
    static const int64_t times[][2] = {{946684800, 946684800}, {-1200798848, 3094168447}, {-1200798849, 3094168448},
                                       {3094168448, 3094168448}, {-(1LL << 40), 1LL << 40}, {INT64_MIN, INT64_MAX}};
    mc_messages *db = messages_new(0, 100);
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char qid[8];
        snprintf(qid, sizeof qid, "I%zu", i);
        char key[32];
        snprintf(key, sizeof key, "mx\npostfix\n%s\n", qid);
        mc_message_state st = {.key = key, .sender = NULL, .size = -1, .first = times[i][0], .last = times[i][1]};
        ck_assert(messages_import(db, &st));
    }
    kept_states k = {0};
    export_states(db, &k, 6);
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char qid[8];
        snprintf(qid, sizeof qid, "I%zu", i);
        int at = kept_of(&k, qid);
        ck_assert_int_ge(at, 0);
        ck_assert_int_eq(k.first[at], times[i][0]);
        ck_assert_int_eq(k.last[at], times[i][1]);
    }
    kept_free(&k);
    messages_free(db);
}
END_TEST

/* Sizes past 32 bits: 2^32 - 2 (the largest an entry holds), 2^32 - 1,
 * 2^32 and 2^40 + 7 beside 0 and 123, each received once and delivered
 * once: bytes received and delivered are their sums, and an export, and a
 * table that imported it, give each size back. */
START_TEST(test_entry_size_wide)
{
    static const int64_t sizes[] = {0, 4294967294LL, 4294967295LL, 4294967296LL, (1LL << 40) + 7, 123};
    const uint64_t sum = 0 + 4294967294ull + 4294967295ull + 4294967296ull + (1ull << 40) + 7 + 123;
    const int64_t t0 = 1795000000;
    mc_messages *m = messages_new(0, 0);
    mc_msg_figures fig = {0};
    char qid[16];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        snprintf(qid, sizeof qid, "S%zu", i);
        fact_at(m, FACT_RECEIVED, qid, t0, "s@x.example", sizes[i], &fig);
    }
    fact_at(m, FACT_QUEUED, "U", t0, NULL, -1, &fig);
    ck_assert_uint_eq(fig.received, 6);
    ck_assert_uint_eq(fig.bytes_received, sum);
    mc_messages *copy = messages_new(0, 0);
    ck_assert(messages_export(m, import_into, copy));
    mc_messages *tables[] = {m, copy};
    for (int c = 0; c < 2; c++) {
        kept_states k = {0};
        export_states(tables[c], &k, 7);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            snprintf(qid, sizeof qid, "S%zu", i);
            int at = kept_of(&k, qid);
            ck_assert_int_ge(at, 0);
            ck_assert_int_eq(k.size[at], sizes[i]);
            ck_assert_str_eq(k.sender[at], "s@x.example");
        }
        ck_assert_int_eq(k.size[kept_of(&k, "U")], -1);
        kept_free(&k);
        mc_msg_figures d = {0};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            snprintf(qid, sizeof qid, "S%zu", i);
            outcome_at(tables[c], "sent", qid, t0 + 1, NULL, &d);
        }
        ck_assert_uint_eq(d.delivered, 6);
        ck_assert_uint_eq(d.bytes_delivered, sum);
    }
    messages_free(m);
    messages_free(copy);
}
END_TEST

/* A refusal at end of data that ends its message (Exim's rejected after
 * DATA, on a message whose <= line brought its sender) gets the message's
 * sender, and the view stays whole after the message has left the table:
 * a sender kept in the entry (12 bytes), in a wide record (40 bytes) and
 * the null sender.  Reading the released entry gave NUL bytes (the entry
 * cleared) or freed memory (a wide record; ASan). */
START_TEST(test_ended_message_sender)
{
    static const char *senders[] = {"a@b.example", "a-forty-byte-sender-name-00001@b.example", ""};
    mc_messages *m = messages_new(0, 0);
    mc_msg_figures fig = {0};
    for (int i = 0; i < 3; i++) {
        char qid[32];
        snprintf(qid, sizeof qid, "1xC4MI-yRV6F%d-oY", i);
        fact_at(m, FACT_RECEIVED, qid, 1795000000, senders[i], 100, &fig);
        mc_event ev = {.time = time_at(1795000001), .host = mc_str_cstr("mx"), .program = mc_str_cstr("postfix/smtp"),
                       .status = mc_str_cstr("rejected"), .stage = "end-of-data", .queue_id = mc_str_cstr(qid)};
        messages_event(m, &ev, &fig);
        ck_assert_uint_eq(messages_in_flight(m), 0);
        ck_assert_msg(ev.sender.p != NULL, "no sender for %d", i);
        ck_assert_uint_eq(ev.sender.n, strlen(senders[i]));
        ck_assert_msg(memcmp(ev.sender.p, senders[i], ev.sender.n) == 0, "sender of %d", i);
    }
    ck_assert_uint_eq(fig.rejected, 3);
    messages_free(m);
}
END_TEST

/* A hash that spreads keys (FNV-1a) but for the keys of queue ids that
 * start with "COLL", which share one home: a chain of those walks past
 * the index's limit, and the index takes SipHash. */
static uint64_t coll_hash(const void *p, size_t n)
{
    if (n >= 5 && memmem(p, n, "\nCOLL", 5) != NULL)
        return 0x5A5A5A5A5A5A5A5AULL;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ULL;
    return h;
}

/* Hosts and instances of 0 to 3 bytes (memo's compare of a short field,
 * pfx24): one queue id on each of these hosts and instances is a message
 * of its own, each differing from another in its first, middle or last
 * byte only; an outcome on each, in an order where the memo holds
 * another of them, finds its own sender. */
START_TEST(test_short_fields)
{
    static const char *const hosts[] = {"", "a", "b", "ab", "ax", "xb", "abc", "xbc", "axc", "abx"};
    static const char *const programs[] = {"p/smtp", "q/smtp", "pq/smtp", "pqr/smtp", "pxr/smtp", "postfix/smtp"};
    enum { NH = sizeof hosts / sizeof hosts[0], NP = sizeof programs / sizeof programs[0] };
    mc_messages *m = messages_new(0, 0);
    mc_msg_figures fig = {0};
    char sender[64];
    for (int h = 0; h < NH; h++)
        for (int p = 0; p < NP; p++) {
            snprintf(sender, sizeof sender, "s%d-%d@example.org", h, p);
            mc_fact f = {.kind = FACT_QUEUED, .time = at_second(1), .host = mc_str_cstr(hosts[h]),
                         .program = mc_str_cstr(programs[p]), .queue_id = mc_str_cstr("4F2A1B3C9D"),
                         .sender = mc_str_cstr(sender), .has_sender = true, .size = -1};
            messages_fact(m, &f, &fig);
        }
    ck_assert_uint_eq(messages_in_flight(m), NH * NP);
    /* Each pair twice: after its neighbour in the list (one byte apart)
     * and after itself (the memo's own answer). */
    for (int round = 0; round < 2; round++)
        for (int h = 0; h < NH; h++)
            for (int p = 0; p < NP; p++) {
                int hh = round ? h : (h + 1) % NH, pp = round ? p : (p + 1) % NP;
                for (int k = 0; k < 2; k++) {
                    int eh = k ? h : hh, ep = k ? p : pp;
                    mc_event ev = {.time = at_second(2), .host = mc_str_cstr(hosts[eh]),
                                   .program = mc_str_cstr(programs[ep]), .status = mc_str_cstr("deferred"),
                                   .queue_id = mc_str_cstr("4F2A1B3C9D")};
                    messages_event(m, &ev, &fig);
                    snprintf(sender, sizeof sender, "s%d-%d@example.org", eh, ep);
                    ck_assert(ev.sender.p != NULL);
                    ck_assert(mc_str_eq(ev.sender, sender));
                }
            }
    ck_assert_uint_eq(messages_in_flight(m), NH * NP);
    ck_assert_uint_eq(fig.deferred, NH * NP);
    messages_free(m);
}
END_TEST

/* Message i of test_hashed_ahead: four keys to a queue id (two hosts, two
 * instances, each pair one byte apart), its sender "h<i>@hint.example". */
static void hint_names(int i, char *host, char *program, char *qid, char *sender)
{
    static const char *hosts[] = {"mx1", "mx2"}, *programs[] = {"postfix/qmgr", "postfiz/smtp"};
    strcpy(host, hosts[i % 2]);
    strcpy(program, programs[i / 2 % 2]);
    snprintf(qid, 32, "H%05d", i / 4);
    snprintf(sender, 64, "h%d@hint.example", i);
}

/* The sender an event of message i finds (deferred; "-" for none), under
 * a mix no line had before, after messages_prefetch_slot was asked for
 * message ahead's key under that mix (its hint: the key hashed for the
 * lookup that follows).  *fresh counts the mixes made. */
static const char *hinted_outcome(mc_messages *m, int ahead, int i, int *fresh, char *got, mc_msg_figures *fig)
{
    char host[16], program[32], qid[32], sender[64], name[32];
    snprintf(name, sizeof name, "FRESH%06d", (*fresh)++);
    uint64_t mix = messages_mix(mc_str_cstr(name));
    hint_names(ahead, host, program, qid, sender);
    messages_prefetch_slot(m, mc_str_cstr(host), mc_str_cstr(program), mc_str_cstr(qid), mix);
    hint_names(i, host, program, qid, sender);
    mc_event ev = {.time = at_second(7), .host = mc_str_cstr(host), .program = mc_str_cstr(program),
                   .status = mc_str_cstr("deferred"), .queue_id = mc_str_cstr(qid)};
    messages_event_mixed(m, &ev, &mix, fig);
    snprintf(got, 64, "%.*s", ev.sender.p ? (int)ev.sender.n : 1, ev.sender.p ? ev.sender.p : "-");
    return got;
}

/* Queues message i (its sender), under the mix of a name no line had
 * before, after messages_prefetch_slot was asked for message ahead's key
 * under it (ahead = i: its own key hashed ahead). */
static void hinted_queue(mc_messages *m, int ahead, int i, int *fresh, mc_msg_figures *fig)
{
    char host[16], program[32], qid[32], sender[64], name[32];
    snprintf(name, sizeof name, "FRESH%06d", (*fresh)++);
    uint64_t mix = messages_mix(mc_str_cstr(name));
    hint_names(ahead, host, program, qid, sender);
    messages_prefetch_slot(m, mc_str_cstr(host), mc_str_cstr(program), mc_str_cstr(qid), mix);
    hint_names(i, host, program, qid, sender);
    mc_fact f = {.kind = FACT_QUEUED, .time = at_second(7), .host = mc_str_cstr(host), .program = mc_str_cstr(program),
                 .queue_id = mc_str_cstr(qid), .sender = mc_str_cstr(sender), .has_sender = true, .size = -1};
    messages_fact_mixed(m, &f, &mix, fig);
}

/* The sender of message i asked with no mix and no hint ("-": none). */
static const char *plain_outcome(mc_messages *m, int i, char *got, mc_msg_figures *fig)
{
    char host[16], program[32], qid[32], sender[64];
    hint_names(i, host, program, qid, sender);
    return program_outcome(m, host, program, qid, got, fig);
}

/* messages_prefetch_slot hashes a key ahead of its lookup (an index of
 * 65,536 slots: 9,000 messages), and the lookup takes that hash only for
 * its own key, under the hash the index has then: with its own key ahead
 * each message is found; with another key ahead under the same mix (so
 * the same hint: another host, another instance, another queue id, each
 * of the same length and one byte apart) each finds its own, and a new
 * message under another's hint is a message of its own that a lookup
 * without hints finds; a hint made before the index
 * took SipHash (a chain of "COLL" keys under coll_hash) is not used after,
 * for a message in the table nor for a new one.  Under the real hash (no
 * switch) and under coll_hash. */
START_TEST(test_hashed_ahead)
{
    enum { N = 9000 };
    for (int mode = 0; mode < 2; mode++) {
        mc_messages *m = messages_new(0, 0);
        if (mode)
            messages_set_test_hash(m, coll_hash);
        mc_msg_figures fig = {0};
        char host[16], program[32], qid[32], sender[64], got[64];
        int fresh = 0;
        for (int i = 0; i < N; i++) {
            hint_names(i, host, program, qid, sender);
            mc_fact f = {.kind = FACT_QUEUED, .time = at_second(1), .host = mc_str_cstr(host),
                         .program = mc_str_cstr(program), .queue_id = mc_str_cstr(qid), .sender = mc_str_cstr(sender),
                         .has_sender = true, .size = -1};
            messages_fact(m, &f, &fig);
        }
        ck_assert_uint_eq(messages_in_flight(m), N);
        for (int i = 0; i < N; i += 7) {
            hint_names(i, host, program, qid, sender);
            ck_assert_str_eq(hinted_outcome(m, i, i, &fresh, got, &fig), sender);
            ck_assert_str_eq(hinted_outcome(m, i ^ 1, i, &fresh, got, &fig), sender); /* the other host's */
            ck_assert_str_eq(hinted_outcome(m, i ^ 2, i, &fresh, got, &fig), sender); /* the other instance's */
            ck_assert_str_eq(hinted_outcome(m, i ^ 4, i, &fresh, got, &fig), sender); /* another queue id's */
        }
        ck_assert_uint_eq(messages_in_flight(m), N);
        /* New messages: queued under their own hint, or under the hint of
         * another key of their queue id that is in the table. */
        for (int i = N; i < N + 400; i++)
            hinted_queue(m, i % 4 == 0 ? i : i ^ 1, i, &fresh, &fig);
        ck_assert_uint_eq(messages_in_flight(m), N + 400);
        for (int i = 0; i < N + 400; i += i < N ? 13 : 1) {
            hint_names(i, host, program, qid, sender);
            ck_assert_str_eq(plain_outcome(m, i, got, &fig), sender);
        }
        ck_assert_uint_eq(messages_in_flight(m), N + 400);
        /* Hints made now, then the chain: message 5's key, and a new
         * message's (N + 400). */
        char name5[32] = "STALE5", name_new[32] = "STALENEW";
        uint64_t mix5 = messages_mix(mc_str_cstr(name5)), mix_new = messages_mix(mc_str_cstr(name_new));
        hint_names(5, host, program, qid, sender);
        messages_prefetch_slot(m, mc_str_cstr(host), mc_str_cstr(program), mc_str_cstr(qid), mix5);
        hint_names(N + 400, host, program, qid, sender);
        messages_prefetch_slot(m, mc_str_cstr(host), mc_str_cstr(program), mc_str_cstr(qid), mix_new);
        for (int c = 0; c < 80; c++) {
            snprintf(qid, sizeof qid, "COLL%03d", c);
            mc_fact f = {.kind = FACT_QUEUED, .time = at_second(2), .host = mc_str_cstr("mx1"),
                         .program = mc_str_cstr("postfix/qmgr"), .queue_id = mc_str_cstr(qid), .size = -1};
            messages_fact(m, &f, &fig);
        }
        ck_assert(messages_hash_is_sip(m) == (mode == 1));
        ck_assert_uint_eq(messages_in_flight(m), N + 480);
        hint_names(5, host, program, qid, sender);
        mc_event ev = {.time = at_second(8), .host = mc_str_cstr(host), .program = mc_str_cstr(program),
                       .status = mc_str_cstr("deferred"), .queue_id = mc_str_cstr(qid)};
        messages_event_mixed(m, &ev, &mix5, &fig);
        ck_assert(ev.sender.p != NULL && mc_str_eq(ev.sender, sender));
        hint_names(N + 400, host, program, qid, sender);
        mc_fact f = {.kind = FACT_QUEUED, .time = at_second(8), .host = mc_str_cstr(host),
                     .program = mc_str_cstr(program), .queue_id = mc_str_cstr(qid), .sender = mc_str_cstr(sender),
                     .has_sender = true, .size = -1};
        messages_fact_mixed(m, &f, &mix_new, &fig);
        ck_assert_uint_eq(messages_in_flight(m), N + 481);
        ck_assert_str_eq(plain_outcome(m, N + 400, got, &fig), sender);
        ck_assert_str_eq(plain_outcome(m, 5, got, &fig), "h5@hint.example");
        ck_assert_uint_eq(messages_in_flight(m), N + 481);
        messages_free(m);
    }
}
END_TEST

/* One id as a mutation of the line's: kind k (0 to 7) at byte i of f. */
static mc_str id_mutant(mc_str f, int k, size_t i, char *buf, size_t cap)
{
    static const char bytes[] = {'\n', '/', 'x', '\0'};
    if (f.p == NULL || f.n + 2 > cap)
        return f;
    memcpy(buf, f.p, f.n);
    size_t n = f.n;
    if (i > n)
        i = n;
    switch (k) {
    case 0: case 1: case 2: case 3: /* byte i replaced (or added at the end) */
        buf[i] = bytes[k];
        n += i == n;
        break;
    case 4: /* byte i's neighbour value */
        if (i < n)
            buf[i] = (char)(buf[i] + 1);
        break;
    case 5: /* a byte put in at i */
        memmove(buf + i + 1, buf + i, n - i);
        buf[i] = f.n ? f.p[0] : 'm';
        n++;
        break;
    case 6: /* byte i taken out */
        if (i < n) {
            memmove(buf + i, buf + i + 1, n - i - 1);
            n--;
        }
        break;
    default: /* cut at i */
        n = i;
        break;
    }
    return mc_str_make(buf, n);
}

/* test_memo_fast_same's and test_memo_known_same's state over their
 * lines. */
typedef struct {
    mc_messages *m;
    mc_msg_figures fig;
    int round;
    bool known;          /* test_memo_known_same: the memo's answer against lookup's */
    const mc_time *t;    /* the line's time */
    int times;           /* known mode: times asked (7: all of memo_both's, 1: the line's) */
    size_t yes, asked, lines;
} memo_walk;

/* A time of the line's day t moved by the seconds in s (its hour, minute
 * and second only: 0 to 23, 0 to 59). */
static mc_time time_moved(const mc_time *t, int s)
{
    mc_time u = *t;
    int sec = ((t->hour * 60 + t->min) * 60 + t->sec + s) % 86400;
    sec = sec < 0 ? sec + 86400 : sec;
    u.hour = sec / 3600, u.min = sec / 60 % 60, u.sec = sec % 60;
    return u;
}

/* Asks the memo slot of mix for host, program and queue id by both
 * readings: the same answer; counts the matches.  In known mode, the
 * memo's answer against the lookup's instead, at the line's time and, for
 * the line's own ids, at times moved from it (a second and hours either
 * way, another day, a time not valid). */
static void memo_both(memo_walk *w, uint64_t mix, mc_str host, mc_str program, mc_str qid)
{
    bool fast, general;
    if (w->known) {
        mc_time ts[7] = {*w->t, time_moved(w->t, 1), time_moved(w->t, -1), time_moved(w->t, 7 * 3600),
                         time_moved(w->t, -5 * 3600), *w->t, *w->t};
        ts[5].day = ts[5].day % 28 + 1;
        ts[6].valid = false;
        for (int k = 0; k < w->times; k++) {
            messages_memo_known(w->m, mix, host, program, qid, &ts[k], &fast, &general);
            ck_assert_msg(general, "memo's answer %d not the lookup's on host '%.*s' program '%.*s' queue id '%.*s'"
                          " at %02d:%02d:%02d (time %d)", fast, (int)host.n, host.p ? host.p : "", (int)program.n,
                          program.p ? program.p : "", (int)qid.n, qid.p ? qid.p : "", ts[k].hour, ts[k].min,
                          ts[k].sec, k);
            w->yes += fast;
            w->asked++;
        }
        return;
    }
    messages_memo_is(w->m, mix, host, program, qid, &fast, &general);
    ck_assert_msg(fast == general, "fast %d, general %d on host '%.*s' program '%.*s' queue id '%.*s'", fast, general,
                  (int)host.n, host.p ? host.p : "", (int)program.n, program.p ? program.p : "", (int)qid.n,
                  qid.p ? qid.p : "");
    w->yes += general;
    w->asked++;
}

/* The line's ids with the border of two moved within the key they make
 * (host '\n' instance '\n' queue id '\n'): the bytes of the key the same,
 * the fields cut elsewhere, a '\n' in one of them. */
static void memo_borders(memo_walk *w, uint64_t mix, mc_str host, mc_str program, mc_str qid)
{
    const char *slash = program.p ? memchr(program.p, '/', program.n) : NULL;
    size_t hn = host.p ? host.n : 0, inst = slash ? (size_t)(slash - program.p) : program.p ? program.n : 0;
    size_t tail = (program.p ? program.n : 0) - inst;
    char key[400], h[400], pr[400], q[400];
    if (hn + program.n + qid.n + 3 > sizeof key)
        return;
    memcpy(key, host.p ? host.p : "", hn);
    key[hn] = '\n';
    memcpy(key + hn + 1, program.p ? program.p : "", inst);
    key[hn + 1 + inst] = '\n';
    memcpy(key + hn + inst + 2, qid.p, qid.n);
    size_t kn = hn + inst + qid.n + 2; /* without the last '\n' */
    /* Host and instance cut at b (the byte there dropped, as the '\n' of
     * a key), instance and queue id at c: every pair. */
    for (size_t b = 0; b < kn; b++)
        for (size_t c = b + 1; c < kn; c++) {
            memcpy(h, key, b);
            memcpy(pr, key + b + 1, c - b - 1);
            memcpy(pr + c - b - 1, program.p ? program.p + inst : "", tail);
            memcpy(q, key + c + 1, kn - c - 1);
            memo_both(w, mix, mc_str_make(h, b), mc_str_make(pr, c - b - 1 + tail), mc_str_make(q, kn - c - 1));
        }
}

/* Before a line joins the table: its ids, and their mutations, asked of
 * the memo slot of its queue id's mix. */
static void memo_line_ids(memo_walk *w, mc_str host, mc_str program, mc_str qid)
{
    if (qid.p == NULL || qid.n == 0)
        return;
    uint64_t mix = messages_mix(qid);
    char buf[3][160];
    w->times = 7;
    memo_both(w, mix, host, program, qid);
    w->times = 1;
    memo_both(w, mix, mc_str_make(NULL, 0), program, qid);
    memo_both(w, mix, host, mc_str_make(NULL, 0), qid);
    memo_borders(w, mix, host, program, qid);
    for (int k = 0; k < 8; k++) {
        size_t most = host.n > program.n ? host.n : program.n;
        most = most > qid.n ? most : qid.n;
        for (size_t i = 0; i <= most; i++) {
            memo_both(w, mix, id_mutant(host, k, i, buf[0], sizeof buf[0]), program, qid);
            memo_both(w, mix, host, id_mutant(program, k, i, buf[1], sizeof buf[1]), qid);
            memo_both(w, mix, host, program, id_mutant(qid, k, i, buf[2], sizeof buf[2]));
            /* A byte moved from one field to the next: the key's lengths
             * the same, its '\n' elsewhere. */
            if (k == 5) {
                memo_both(w, mix, id_mutant(host, 5, i, buf[0], sizeof buf[0]),
                          id_mutant(program, 6, 0, buf[1], sizeof buf[1]), qid);
                memo_both(w, mix, host, id_mutant(program, 5, i, buf[1], sizeof buf[1]),
                          id_mutant(qid, 6, 0, buf[2], sizeof buf[2]));
            }
        }
    }
}

/* Parses each line of the file at path (today 2026-11-23), handing the
 * line's result, event and the parser (its fact) to fn. */
static void each_parsed_line(mc_parser *p, const char *path,
                             void (*fn)(mc_parser *p, mc_parse_result pr, mc_event *ev, void *ctx), void *ctx)
{
    FILE *in = fopen(path, "r");
    ck_assert_msg(in != NULL, "%s", path);
    year_ctx_init(&p->years, 2026, 11, 23);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, in)) > 0) {
        if (line[got - 1] == '\n')
            line[--got] = '\0';
        mc_event ev;
        memset(&ev, 0, sizeof ev);
        mc_parse_result pr = parser_line(p, mc_str_make(line, (size_t)got), &ev);
        fn(p, pr, &ev, ctx);
    }
    free(line);
    fclose(in);
}

/* Each line of six logs of tests/data (Postfix's checked run, generated
 * and sample lines; Exim's fail2ban lines and two test-suite logs),
 * parsed and handed to fn as each_parsed_line does: the lines the fast
 * paths of the table are checked on. */
static void each_named_line(void (*fn)(mc_parser *p, mc_parse_result pr, mc_event *ev, void *ctx), void *ctx)
{
    static const char *const named[] = {"postfix/mta-run/maillog", "postfix-gen/maillog", "sample.log",
                                        "exim/fail2ban-exim.log", "exim/exim-testsuite/log/0014",
                                        "exim/exim-testsuite/log/0511"};
    mc_parser p;
    parser_init(&p, &test_rules()->parse);
    for (size_t f = 0; f < sizeof named / sizeof named[0]; f++) {
        char *path = test_corpus_path(named[f]);
        each_parsed_line(&p, path, fn, ctx);
        free(path);
    }
    parser_free(&p);
}

/* The next of a xorshift's 64-bit values (the tests' random texts). */
static uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

/* n bytes drawn from the k bytes of alphabet into buf. */
static void random_text(char *buf, size_t n, const char *alphabet, size_t k, uint64_t *x)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = alphabet[next_random(x) % k];
}

/* 200,000 texts of 0 to max - 1 bytes drawn from the 8 bytes of alphabet
 * (one seed: the same texts every run), each handed to fn. */
static void each_random_text(size_t max, const char *alphabet, void (*fn)(const char *buf, size_t n, void *ctx),
                             void *ctx)
{
    char buf[64];
    uint64_t x = 88172645463325252ull;
    for (int k = 0; k < 200000; k++) {
        size_t n = next_random(&x) % max;
        random_text(buf, n, alphabet, 8, &x);
        fn(buf, n, ctx);
    }
}

/* One line of test_memo_fast_same: its ids (in round 1 its host made odd)
 * asked of the memo both ways, then joined. */
static void memo_walk_line(mc_parser *p, mc_parse_result pr, mc_event *ev, void *ctx)
{
    memo_walk *w = ctx;
    char odd[2][200];
    if (w->round == 1) {
        mc_str *hosts[] = {&p->fact.host, &ev->host};
        for (int k = 0; k < 2; k++) {
            mc_str h = *hosts[k];
            int n = snprintf(odd[k], sizeof odd[k], "%.*s\ni/%.*s", (int)h.n, h.p ? h.p : "", (int)h.n,
                             h.p ? h.p : "");
            *hosts[k] = mc_str_make(odd[k], (size_t)n);
        }
    }
    if (p->fact.kind != FACT_NONE) {
        w->t = &p->fact.time;
        memo_line_ids(w, p->fact.host, p->fact.program, p->fact.queue_id);
        messages_fact(w->m, &p->fact, &w->fig);
    }
    if (pr == PARSE_EVENT) {
        w->t = &ev->time;
        memo_line_ids(w, ev->host, ev->program, ev->queue_id);
        messages_event(w->m, ev, &w->fig);
    }
    w->lines++;
}

/* Walks the lines of test_memo_fast_same's logs (known: in
 * test_memo_known_same's mode) in two rounds, and checks its counts. */
static void memo_walk_files(bool known)
{
    const mc_rules *r = test_rules();
    mc_parser p;
    parser_init(&p, &r->parse);
    const char *files[300];
    char *owned[300];
    size_t n_files = 0;
    static const char *const named[] = {"postfix/mta-run/maillog", "postfix-gen/maillog", "postfix-public/public.log",
                                        "sample.log", "exim/fail2ban-exim.log"};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        files[n_files] = owned[n_files] = test_corpus_path(named[i]), n_files++;
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "ls %s", EXIMLOG), 0);
    for (char *tok = strtok(out, "\n"); tok && n_files < 300; tok = strtok(NULL, "\n")) {
        char *path = mc_xmalloc(strlen(EXIMLOG) + strlen(tok) + 1);
        sprintf(path, "%s%s", EXIMLOG, tok);
        files[n_files] = owned[n_files] = path, n_files++;
    }
    free(out);
    /* Round 1: each line's host with "\n" and an instance with a '/'
     * after it, the key a JSON line could make: its messages' keys are
     * not plain, and a border moved makes a program whose instance seen
     * from the key's lengths holds that '/'. */
    memo_walk w = {.known = known};
    for (w.round = 0; w.round < 2; w.round++) {
        w.m = messages_new(0, 0);
        for (size_t f = 0; f < n_files; f++)
            each_parsed_line(&p, files[f], memo_walk_line, &w);
        messages_free(w.m);
    }
    for (size_t f = 0; f < n_files; f++)
        free(owned[f]);
    parser_free(&p);
    /* Real lines find their messages (and their mutations that make the
     * same key: past an instance's '/', a cut at the end; in known mode
     * at their own day's times), most of the others not. */
    ck_assert_uint_gt(w.lines, 30000);
    ck_assert_uint_gt(w.yes, 200000);
    ck_assert_uint_gt(w.asked - w.yes, 3 * w.yes);
}

/* The lookup's fast reading of a narrow plain entry (entry_is) against
 * the general one, its definition (entry_is_any; docs/BENCHMARKS.md,
 * pfjoin26), on the facts and outcomes of real Postfix and Exim logs
 * (several hosts and instances): before each line joins the table, the
 * memo slot of its queue id is asked whether it holds the message of the
 * line's host, program and queue id, and of each one-byte mutation of
 * them ('\n', '/', 'x', NUL, a neighbour value, a byte put in, taken out,
 * the field cut, a byte moved to the next field, the borders between
 * the three moved within the key's bytes): the same answers.  Then again
 * with keys that are not plain ('\n' and '/' in the host). */
START_TEST(test_memo_fast_same)
{
    memo_walk_files(false);
}
END_TEST

/* The memo's answer messages_fact_mixed and messages_event_mixed take
 * before the lookup (memo_known, docs/BENCHMARKS.md, join29) against the
 * lookup, its definition: on the same lines, ids and mutations as
 * test_memo_fast_same, each at the line's time and at times moved from
 * it (seconds, hours, the day, not valid), its entry and the table's
 * clock after it byte for byte those the lookup leaves, and nothing
 * changed when it gives no answer. */
START_TEST(test_memo_known_same)
{
    memo_walk_files(true);
}
END_TEST

/* A key's plainness both ways (messages_key_plain): the same answer. */
static void plain_both(const char *k, size_t n, size_t *plain, size_t *asked)
{
    bool fast, fresh, general;
    messages_key_plain(k, n, &fast, &fresh, &general);
    ck_assert_msg(fast == general && fresh == general, "fast %d, fresh entry %d, general %d on %zu bytes '%.*s'", fast,
                  fresh, general, n, (int)n, k);
    *plain += general;
    ++*asked;
}

/* test_key_plain_same's state over its lines. */
typedef struct {
    size_t plain, asked;
    char prev[100];
    size_t prev_n;
} plain_walk;

/* The key of the line's fact as key_into makes it (host '\n' instance
 * '\n' queue id '\n') in buf, its length; 0 when the line has no fact
 * with a queue id or the key does not fit. */
static int fact_key_text(const mc_parser *p, char *buf, size_t size)
{
    if (p->fact.kind == FACT_NONE || p->fact.queue_id.p == NULL)
        return 0;
    mc_str h = p->fact.host, prog = p->fact.program, q = p->fact.queue_id;
    const char *slash = prog.p ? memchr(prog.p, '/', prog.n) : NULL;
    int inst = slash ? (int)(slash - prog.p) : (int)prog.n;
    int n = snprintf(buf, size, "%.*s\n%.*s\n%.*s\n", (int)h.n, h.p ? h.p : "", inst, prog.p ? prog.p : "",
                     (int)q.n, q.p);
    return n > 0 && (size_t)n < size ? n : 0;
}

/* One line of test_key_plain_same: its fact's key, cut, mutated and after
 * the line before's, asked both ways. */
static void plain_walk_line(mc_parser *p, mc_parse_result pr, mc_event *ev, void *ctx)
{
    static const char near[] = {'\n', '\0', '\t', '\v', 0x7F, (char)0x80, (char)0x8A, (char)0xFF};
    (void)pr, (void)ev;
    plain_walk *w = ctx;
    char key[200], buf[400];
    int n = fact_key_text(p, key, sizeof key);
    if (n <= 0)
        return;
    for (size_t cut = 0; cut <= (size_t)n; cut++)
        plain_both(key, cut, &w->plain, &w->asked);
    for (size_t i = 0; i < (size_t)n; i++)
        for (size_t b = 0; b < sizeof near; b++) {
            memcpy(buf, key, (size_t)n);
            buf[i] = near[b];
            plain_both(buf, (size_t)n, &w->plain, &w->asked);
        }
    memcpy(buf, w->prev, w->prev_n);
    memcpy(buf + w->prev_n, key, (size_t)n);
    plain_both(buf, w->prev_n + (size_t)n, &w->plain, &w->asked);
    w->prev_n = (size_t)n < sizeof w->prev ? (size_t)n : 0;
    memcpy(w->prev, key, w->prev_n);
}

/* One random text of test_key_plain_same, as a key. */
static void plain_random(const char *buf, size_t n, void *ctx)
{
    plain_walk *w = ctx;
    plain_both(buf, n, &w->plain, &w->asked);
}

/* key_plain, eight bytes a step, against its definition (key_plain_bytes,
 * a byte at a time; docs/BENCHMARKS.md, pfjoin26): the keys of the real
 * lines of tests/data (host '\n' instance '\n' queue id '\n', as key_into
 * makes them), each cut at every length, each byte replaced by '\n' and
 * by the bytes whose word arithmetic is nearest it (NUL, \t, \v, 0x7F,
 * 0x80, 0x8A, 0xFF), two keys end to end (up to ~100 bytes), and keys of
 * 0 to 40 random bytes of a small alphabet with '\n' in it. */
START_TEST(test_key_plain_same)
{
    plain_walk w = {0};
    each_named_line(plain_walk_line, &w);
    each_random_text(41, "\nab\n/\x8a\x0b\xff", plain_random, &w);
    ck_assert_uint_gt(w.plain, 5000);
    ck_assert_uint_gt(w.asked - w.plain, 100000);
}
END_TEST

/* test_new_entry_fast_same's counts. */
typedef struct {
    size_t programs, slashed, keys;
} new_entry_walk;

/* A program's instance both ways (messages_instance_len), its bytes at
 * the end of an allocation of their own size (a read past them is
 * AddressSanitizer's to see): the same answer. */
static void instance_both(const char *prog, size_t n, new_entry_walk *w)
{
    char *own = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(own);
    memcpy(own, prog, n);
    size_t fast, general;
    messages_instance_len(mc_str_make(own, n), &fast, &general);
    ck_assert_msg(fast == general, "instance %zu by words, %zu by memchr of %zu bytes '%.*s'", fast, general, n,
                  (int)n, prog);
    w->programs++;
    w->slashed += general < n;
    free(own);
}

/* A key (n bytes) into a fresh entry both ways, with garbage after it in
 * its 48 readable bytes: the same entry. */
static void key48_both(const char *key, size_t n, new_entry_walk *w)
{
    static const char garbage[] = "\n\xff\n\x80/\n\x01\n";
    char buf[48];
    if (n + 1 > sizeof buf)
        return;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = garbage[i % (sizeof garbage - 1)];
    memcpy(buf, key, n);
    ck_assert_msg(messages_key48_same(buf, n), "key48 differs on %zu bytes '%.*s'", n, (int)n, key);
    w->keys++;
}

/* One line of test_new_entry_fast_same: its program, cut and mutated,
 * and its fact's key, cut and mutated, asked both ways. */
static void new_entry_line(mc_parser *p, mc_parse_result pr, mc_event *ev, void *ctx)
{
    /* '/', its neighbours, and the bytes nearest it in word arithmetic. */
    static const char near[] = {'/', '.', '0', 0x0F, 0x6F, (char)0xAF, '\0', 0x7F, (char)0xFF, '\n'};
    (void)pr, (void)ev;
    new_entry_walk *w = ctx;
    char buf[200];
    mc_str prog = p->env.program;
    if (prog.p != NULL && prog.n < sizeof buf) {
        for (size_t cut = 0; cut <= prog.n; cut++)
            instance_both(prog.p, cut, w);
        for (size_t i = 0; i < prog.n; i++)
            for (size_t b = 0; b < sizeof near; b++) {
                memcpy(buf, prog.p, prog.n);
                buf[i] = near[b];
                instance_both(buf, prog.n, w);
            }
    }
    int n = fact_key_text(p, buf, sizeof buf);
    if (n <= 0)
        return;
    for (size_t cut = 0; cut <= (size_t)n; cut++)
        key48_both(buf, cut, w);
    for (size_t i = 0; i < (size_t)n && i < 48; i++) {
        char was = buf[i];
        for (size_t b = 0; b < sizeof near; b++) {
            buf[i] = near[b];
            key48_both(buf, (size_t)n, w);
        }
        buf[i] = was;
    }
}

/* One random text of test_new_entry_fast_same: its first 0-20 bytes as a
 * program, all of it as a key. */
static void new_entry_random(const char *buf, size_t n, void *ctx)
{
    new_entry_walk *w = ctx;
    instance_both(buf, n % 21, w);
    key48_both(buf, n, w);
}

/* A new message's entry by its fast paths against their definitions:
 * instance_len by words (instance_len_bytes: memchr) on the programs of
 * the real lines of tests/data, cut at every length, each byte replaced
 * by '/' and the bytes nearest it, and on random programs of 0 to 20
 * bytes; the key stored by entry_set_key48's three stores (entry_set_key:
 * memcpy and a NUL) on the keys of those lines, cut and mutated, and on
 * every length 0-47 of random keys. */
START_TEST(test_new_entry_fast_same)
{
    new_entry_walk w = {0};
    each_named_line(new_entry_line, &w);
    each_random_text(48, "\nab/\x8a\xaf.0", new_entry_random, &w);
    ck_assert_uint_gt(w.programs, 1000000);
    ck_assert_uint_gt(w.slashed, 500000);
    ck_assert_uint_gt(w.programs - w.slashed, 100000);
    ck_assert_uint_gt(w.keys, 1000000);
}
END_TEST

/* test_seconds_memo_same's count of times asked. */
typedef struct {
    mc_messages *m;
    size_t asked;
} seconds_walk;

/* A time's seconds both ways (messages_seconds): the same. */
static void seconds_both(seconds_walk *w, const mc_time *t)
{
    int64_t fast, general;
    messages_seconds(w->m, t, &fast, &general);
    ck_assert_msg(fast == general, "%04d-%02d-%02d %02d:%02d:%02d (valid %d): %lld, counted whole %lld", t->year,
                  t->month, t->day, t->hour, t->min, t->sec, t->valid, (long long)fast, (long long)general);
    w->asked++;
}

/* One line of test_seconds_memo_same: its fact's and outcome's times, and
 * times moved from them (a second, a minute, hours either way, another
 * day, month and year, not valid), in that order and back. */
static void seconds_walk_line(mc_parser *p, mc_parse_result pr, mc_event *ev, void *ctx)
{
    seconds_walk *w = ctx;
    const mc_time *ts[2] = {p->fact.kind != FACT_NONE ? &p->fact.time : NULL, pr == PARSE_EVENT ? &ev->time : NULL};
    for (int k = 0; k < 2; k++) {
        if (ts[k] == NULL)
            continue;
        mc_time t = *ts[k];
        mc_time v[9] = {t, time_moved(&t, 1), time_moved(&t, 60), time_moved(&t, -3 * 3600), t, t, t, t, t};
        v[4].day = v[4].day % 28 + 1;
        v[5].month = v[5].month % 12 + 1;
        v[6].year++;
        v[7].valid = !v[7].valid;
        v[8].sec = (v[8].sec + 1) % 60, v[8].valid = false;
        for (int i = 0; i < 9; i++)
            seconds_both(w, &v[i]);
        for (int i = 8; i >= 0; i--)
            seconds_both(w, &v[i]);
        seconds_both(w, &t);
    }
}

/* The seconds the table counts a time as, through its memos of the last
 * day and the last second (docs/BENCHMARKS.md, join30), against the count
 * done whole (days_of), on the facts' and outcomes' times of six
 * tests/data logs and times moved from them by a second, a minute,
 * hours, a day, a month, a year, or made not valid; and on every second
 * of a random walk over years 1969 to 2100. */
START_TEST(test_seconds_memo_same)
{
    seconds_walk w = {.m = messages_new(0, 0)};
    each_named_line(seconds_walk_line, &w);
    uint64_t x = 0x2545F4914F6CDD1Dull;
    int64_t t = 0;
    for (int k = 0; k < 300000; k++) {
        uint64_t r = next_random(&x);
        t += (int64_t)(r % 7) - 2 + (r % 97 == 0 ? (int64_t)(r >> 20) % 4000000000 - 2000000000 : 0);
        if (t < -86400 || t > 4102444800)
            t = (int64_t)(r >> 24) % 4102444800;
        mc_time u = time_at(t);
        seconds_both(&w, &u);
    }
    messages_free(w.m);
    ck_assert_uint_gt(w.asked, 400000);
}
END_TEST

/* test_join_general_same's two tables over the same lines. */
typedef struct {
    mc_messages *a, *b;   /* a: messages_fact and messages_event; b: their definitions */
    mc_msg_figures fa, fb;
    int round;
    size_t lines, filled;
} general_walk;

/* A time moved as round 2 of test_join_general_same moves it: by -1 to
 * +2 seconds, and now and then to another day or not valid. */
static mc_time time_jittered(const mc_time *t, size_t i)
{
    mc_time u = time_moved(t, (int)(i % 4) - 1);
    if (i % 97 == 0)
        u.day = u.day % 28 + 1;
    if (i % 53 == 0)
        u.valid = false;
    return u;
}

/* One line of test_join_general_same: its fact and outcome to both tables
 * (round 1: its host made odd, as test_memo_fast_same's; round 2: its
 * times jittered), then the same figures, clock and filled sender. */
static void general_walk_line(mc_parser *p, mc_parse_result pr, mc_event *ev, void *ctx)
{
    general_walk *w = ctx;
    char odd[2][200];
    mc_fact f = p->fact;
    mc_event e = *ev;
    if (w->round == 1) {
        mc_str *hosts[] = {&f.host, &e.host};
        for (int k = 0; k < 2; k++) {
            mc_str h = *hosts[k];
            int n = snprintf(odd[k], sizeof odd[k], "%.*s\ni/%.*s", (int)h.n, h.p ? h.p : "", (int)h.n,
                             h.p ? h.p : "");
            *hosts[k] = mc_str_make(odd[k], (size_t)n);
        }
    } else if (w->round == 2) {
        f.time = time_jittered(&f.time, w->lines);
        e.time = time_jittered(&e.time, w->lines + 1);
    }
    if (f.kind != FACT_NONE) {
        messages_fact(w->a, &f, &w->fa);
        messages_fact_general(w->b, &f, &w->fb);
    }
    if (pr == PARSE_EVENT) {
        mc_event ea = e, eb = e;
        messages_event(w->a, &ea, &w->fa);
        messages_event_general(w->b, &eb, &w->fb);
        ck_assert_uint_eq(ea.sender.n, eb.sender.n);
        ck_assert((ea.sender.p == NULL) == (eb.sender.p == NULL));
        ck_assert(ea.sender.n == 0 || memcmp(ea.sender.p, eb.sender.p, ea.sender.n) == 0);
        ck_assert_str_eq(ea.sender_domain, eb.sender_domain);
        w->filled += ea.sender.p != NULL && e.sender.p == NULL;
    }
    ck_assert_msg(memcmp(&w->fa, &w->fb, sizeof w->fa) == 0, "figures differ after line %zu (round %d)", w->lines,
                  w->round);
    ck_assert_msg(messages_clock(w->a) == messages_clock(w->b), "clocks differ after line %zu (round %d): %lld, %lld",
                  w->lines, w->round, (long long)messages_clock(w->a), (long long)messages_clock(w->b));
    ck_assert_uint_eq(messages_in_flight(w->a), messages_in_flight(w->b));
    w->lines++;
}

/* messages_export's callback: the state as a line of text, added to the
 * growing text at ctx (a general_text). */
typedef struct {
    char *p;
    size_t n, cap;
    size_t states;
} general_text;

static bool state_text(const mc_message_state *st, void *ctx)
{
    general_text *t = ctx;
    char line[1600];
    int n = snprintf(line, sizeof line, "%s|%s|%lld|%lld|%lld|%u\n", st->key, st->sender ? st->sender : "(none)",
                     (long long)st->size, (long long)st->first, (long long)st->last, st->flags);
    ck_assert(n > 0 && (size_t)n < sizeof line);
    if (t->n + (size_t)n + 1 > t->cap) {
        t->cap = (t->n + (size_t)n + 1) * 2;
        t->p = mc_xrealloc(t->p, t->cap);
    }
    memcpy(t->p + t->n, line, (size_t)n + 1);
    t->n += (size_t)n;
    t->states++;
    return true;
}

/* messages_fact and messages_event (memo_known's answer first, then the
 * index straight past a memo slot of another message: lookup_unmemoed)
 * against their definitions by the lookup alone (messages_fact_general,
 * messages_event_general; docs/BENCHMARKS.md, join30), two tables fed the
 * same facts and outcomes of six tests/data logs: after each line the
 * same figures, clock, messages in flight and filled sender; at the end
 * the same messages, each with its key, sender, size, times and flags.
 * Three rounds: the lines as they are, their hosts made odd (keys that
 * are not plain), their times jittered (seconds back and forth, another
 * day, not valid). */
START_TEST(test_join_general_same)
{
    general_walk w = {0};
    size_t filled = 0;
    for (w.round = 0; w.round < 3; w.round++) {
        w.a = messages_new(0, 0);
        w.b = messages_new(0, 0);
        memset(&w.fa, 0, sizeof w.fa), memset(&w.fb, 0, sizeof w.fb);
        each_named_line(general_walk_line, &w);
        general_text ta = {0}, tb = {0};
        ck_assert(messages_export(w.a, state_text, &ta));
        ck_assert(messages_export(w.b, state_text, &tb));
        ck_assert_uint_eq(ta.states, tb.states);
        ck_assert_uint_gt(ta.states, 10);
        ck_assert_uint_eq(ta.n, tb.n);
        ck_assert(ta.n == 0 || memcmp(ta.p, tb.p, ta.n) == 0);
        free(ta.p), free(tb.p);
        messages_free(w.a);
        messages_free(w.b);
        filled += w.filled;
    }
    ck_assert_uint_gt(w.lines, 30000);
    ck_assert_uint_gt(filled, 1000);
}
END_TEST

/* A refusal without a queue id counts one rejected message unless its
 * stage is "other" (a refusal outside the mail transaction), whose test
 * reads the stage byte by byte: every stage, and words one byte from
 * "other". */
START_TEST(test_refusal_stage_other)
{
    static const char *const stages[] = {"connect", "greeting", "helo", "mail", "rcpt", "data", "end-of-data",
                                         "other", "othe", "others", "Other", "otherx", "o", "", "any", "oth"};
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
        mc_messages *m = messages_new(0, 0);
        mc_msg_figures fig = {0};
        mc_event ev = {.time = time_at(1700000000), .host = mc_str_cstr("mx"), .program = mc_str_cstr("postfix/smtpd"),
                       .status = mc_str_cstr("rejected"), .stage = stages[i]};
        messages_event(m, &ev, &fig);
        ck_assert_msg(fig.rejected == (strcmp(stages[i], "other") != 0), "stage '%s': %llu rejected", stages[i],
                      (unsigned long long)fig.rejected);
        messages_free(m);
    }
}
END_TEST

/* A sender's length both ways (messages_sender_len), its bytes at the
 * end of an allocation of their own size: the same answer. */
static void sender_len_both(const char *p, size_t n, size_t *asked)
{
    char *own = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(own);
    memcpy(own, p, n);
    size_t fast, general;
    messages_sender_len(own, n, &fast, &general);
    ck_assert_msg(fast == general, "sender length %zu fast, %zu by strnlen of %zu bytes", fast, general, n);
    ++*asked;
    free(own);
}

/* One line of test_kept_sender_fast_same: the sender of its fact or
 * event, cut at every length and with a NUL at each place. */
static void sender_walk_line(mc_parser *p, mc_parse_result pr, mc_event *ev, void *ctx)
{
    mc_str snd = p->fact.kind != FACT_NONE && p->fact.has_sender ? p->fact.sender
                 : pr == PARSE_EVENT                              ? ev->sender
                                                                  : MC_STR_NULL;
    char buf[200];
    if (snd.p == NULL || snd.n >= sizeof buf)
        return;
    for (size_t cut = 0; cut <= snd.n; cut++)
        sender_len_both(snd.p, cut, ctx);
    for (size_t i = 0; i < snd.n; i++) {
        memcpy(buf, snd.p, snd.n);
        buf[i] = '\0';
        sender_len_both(buf, snd.n, ctx);
    }
}

/* A kept sender by its fast paths against their definitions: its length
 * to the first NUL 16 bytes a step (strnlen) on the senders of real lines
 * of tests/data, cut and with a NUL at each place, and on random bytes;
 * and a message's sender of every length 0-60, with and without a NUL,
 * under keys that leave a narrow entry room for it, for it but its NUL,
 * and none (a wide entry), read back whole by an outcome (memcpy's copy
 * into the entry, now loads and stores that overlap). */
START_TEST(test_kept_sender_fast_same)
{
    size_t asked = 0;
    each_named_line(sender_walk_line, &asked);
    ck_assert_uint_gt(asked, 100000);
    char buf[96];
    uint64_t x = 88172645463325252ull;
    for (int k = 0; k < 100000; k++) {
        size_t n = next_random(&x) % 90;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = next_random(&x);
            buf[i] = v % 53 == 0 ? '\0' : (char)('a' + v % 26);
        }
        sender_len_both(buf, n, &asked);
    }
    /* Round trips: hosts of 1, 9 and 30 bytes make keys of 15 (instance
     * "postfix", queue ids of 4 bytes), 23 and 44 bytes: a narrow entry
     * has room for senders of up to 32, 24 and 3 bytes. */
    static const char *const hosts[] = {"h", "mx1.lab.e", "mail-out-17.cluster.example.nt"};
    mc_msg_figures fig = {0};
    char qid[32], want[64];
    for (size_t h = 0; h < sizeof hosts / sizeof hosts[0]; h++) {
        mc_messages *m = messages_new(0, 0);
        for (size_t n = 0; n <= 60; n++)
            for (int nul = 0; nul < 2; nul++) {
                char *own = malloc(n ? n : 1);
                ck_assert_ptr_nonnull(own);
                for (size_t i = 0; i < n; i++)
                    own[i] = (char)('A' + (i * 7 + n) % 26);
                if (nul && n > 0)
                    own[n / 2] = '\0';
                size_t len = nul && n > 0 ? n / 2 : n;
                memcpy(want, own, len);
                snprintf(qid, sizeof qid, "Q%02zu%d", n, nul);
                mc_fact f = {.kind = FACT_QUEUED, .time = at_second(1), .host = mc_str_cstr(hosts[h]),
                             .program = mc_str_cstr("postfix/qmgr"), .queue_id = mc_str_cstr(qid),
                             .sender = mc_str_make(own, n), .has_sender = true, .size = -1};
                messages_fact(m, &f, &fig);
                free(own);
                mc_event ev = {.time = at_second(2), .host = mc_str_cstr(hosts[h]),
                               .program = mc_str_cstr("postfix/smtp"), .status = mc_str_cstr("deferred"),
                               .queue_id = mc_str_cstr(qid)};
                messages_event(m, &ev, &fig);
                ck_assert_msg(ev.sender.p != NULL && ev.sender.n == len && memcmp(ev.sender.p, want, len) == 0,
                              "host %zu, sender of %zu bytes (NUL %d): %zu back", h, n, nul, ev.sender.n);
            }
        messages_free(m);
    }
}
END_TEST

static Suite *messages_suite(void)
{
    Suite *s = suite_create("messages");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_postfix_figures);
    tcase_add_test(tc, test_table_storage);
    tcase_add_test(tc, test_lookup_memo);
    tcase_add_test(tc, test_mixed_lookups);
    tcase_add_test(tc, test_key_bytes);
    tcase_add_test(tc, test_instance_of_program);
    tcase_add_test(tc, test_hash_switch);
    tcase_add_test(tc, test_hashed_ahead);
    tcase_add_test(tc, test_short_fields);
    tcase_add_test(tc, test_memo_fast_same);
    tcase_add_test(tc, test_memo_known_same);
    tcase_add_test(tc, test_key_plain_same);
    tcase_add_test(tc, test_new_entry_fast_same);
    tcase_add_test(tc, test_kept_sender_fast_same);
    tcase_add_test(tc, test_seconds_memo_same);
    tcase_add_test(tc, test_join_general_same);
    tcase_add_test(tc, test_refusal_stage_other);
    tcase_add_test(tc, test_index_marks);
    tcase_add_test(tc, test_sweep_evicts);
    tcase_add_test(tc, test_full_table);
    tcase_add_test(tc, test_full_table_chains);
    tcase_add_test(tc, test_entry_class_limit);
    tcase_add_test(tc, test_entry_time_ends);
    tcase_add_test(tc, test_entry_size_wide);
    tcase_add_test(tc, test_ended_message_sender);
    tcase_add_test(tc, test_sender_domain_fill);
    tcase_add_test(tc, test_sender_nul);
    tcase_add_loop_test(tc, test_figures_by_hour, 0, 2);
    tcase_add_test(tc, test_exim_figures);
    tcase_add_test(tc, test_exim_run_figures);
    tcase_add_test(tc, test_sender_join_across_rotation);
    tcase_add_test(tc, test_oqmgr_like_qmgr);
    tcase_add_test(tc, test_by_sender_formats);
    tcase_add_test(tc, test_sasl_failures);
    tcase_add_test(tc, test_queue_lifetime);
    tcase_add_test(tc, test_refused_message_ends);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(messages_suite)
