/*
 * test_trace.c - mailcodes trace on a real Postfix run (tests/data/postfix/
 * mta-run/maillog): the life of a bounced message and of a deferred-then-
 * delivered one, an address, the JSON lines against scan's, and the exit
 * codes.  Expected values come from the raw log with grep/sed, not from
 * mailcodes.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MAILLOG MC_DATA_DIR "/postfix/mta-run/maillog"

/* The first bounced message of the run: grep status=bounced maillog | head -1. */
#define BOUNCED "F087510408B"

/* What a shell pipeline prints on the log, its last newline cut. */
static char *raw(const char *fmt)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, fmt, MAILLOG), 0);
    size_t n = strlen(out);
    if (n && out[n - 1] == '\n')
        out[n - 1] = '\0';
    ck_assert_msg(out[0], "empty: %s", fmt);
    return out;
}

/* raw() of a pipeline about one id or address (fmt: %s it, %%s the log). */
static char *raw_id(const char *fmt, const char *id)
{
    char buf[512];
    ck_assert_int_lt(snprintf(buf, sizeof buf, fmt, id), (int)sizeof buf);
    return raw(buf);
}

/* Checks that needles occur in hay in this order; returns where the last begins. */
static const char *expect_in_order(const char *hay, const char *const *needles, size_t n)
{
    const char *at = hay;
    for (size_t i = 0; i < n; i++) {
        const char *p = strstr(at, needles[i]);
        ck_assert_msg(p, "'%s' missing (or out of order) in:\n%s", needles[i], hay);
        at = p + 1;
    }
    return at - 1;
}

/* How many times needle occurs in hay. */
static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

START_TEST(test_bounced_message)
{
    char *id = raw("grep status=bounced %s | head -1 | awk '{print $6}' | tr -d :");
    ck_assert_str_eq(id, BOUNCED);
    char *client = raw("grep ' " BOUNCED ": client=' %s | sed 's/.*client=//'");
    char *msgid = raw("grep ' " BOUNCED ": message-id=' %s | sed 's/.*message-id=<//; s/>$//'");
    char *from = raw("grep ' " BOUNCED ": from=' %s | head -1 | sed 's/.*from=<//; s/>.*//'");
    char *size = raw("grep ' " BOUNCED ": from=' %s | head -1 | sed 's/.*size=//; s/,.*//'");
    char *to = raw("grep ' " BOUNCED ": to=' %s | sed 's/.*to=<//; s/>.*//'");
    char *delays = raw("grep ' " BOUNCED ": to=' %s | grep -o 'delay=[^,]*, delays=[^,]*' | tr -d ,");
    char *codes = raw("grep ' " BOUNCED ": to=' %s | grep -o 'said: [0-9]* [0-9.]*' | sed 's/said: //'");
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s trace " BOUNCED " %s", MC_BINARY, MAILLOG), 0);
    char l_client[256], l_msgid[256], l_from[256], l_to[256], l_code[128], l_outcome[256];
    snprintf(l_client, sizeof l_client, " received client=%s\n", client);
    snprintf(l_msgid, sizeof l_msgid, " header message-id=%s\n", msgid);
    snprintf(l_from, sizeof l_from, " queued from=%s size=%s\n", from, size);
    snprintf(l_to, sizeof l_to, " bounced to=%s from=%s ", to, from);
    snprintf(l_code, sizeof l_code, "    %s permanent ", codes);
    snprintf(l_outcome, sizeof l_outcome, "outcome: %s bounced at ", to);
    const char *const order[] = {l_client, l_msgid, l_from, l_to, delays, l_code, "\n    reply: 550 ",
                                 " removed\n", l_outcome};
    expect_in_order(out, order, sizeof order / sizeof order[0]);
    /* One trace line per raw line of the queue id that is a fact or outcome. */
    ck_assert_int_eq(occurrences(out, " " BOUNCED " "), 5);
    free(out);
    free(id), free(client), free(msgid), free(from), free(size), free(to), free(delays), free(codes);
}
END_TEST

/* A message deferred at least once, then sent: the first such queue id. */
static char *deferred_then_sent(void)
{
    return raw("for id in $(grep status=deferred %1$s | awk '{print $6}' | tr -d : | sort -u); do"
               " grep -q \" $id: .*status=sent\" %1$s && echo $id && break; done");
}

START_TEST(test_deferred_then_sent)
{
    char *id = deferred_then_sent();
    char *deferrals = raw_id("grep -c ' %s: .*status=deferred' %%s", id);
    char *sent_delay = raw_id("grep ' %s: .*status=sent' %%s | grep -o ' delay=[^,]*' | tr -d ' '", id);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s trace %s %s", MC_BINARY, id, MAILLOG), 0);
    ck_assert_int_eq(occurrences(out, " deferred to="), atoi(deferrals));
    ck_assert_int_eq(occurrences(out, " sent to="), 1);
    ck_assert_int_eq(occurrences(out, "    4"), atoi(deferrals)); /* each attempt decoded */
    const char *const order[] = {" received client=", " deferred to=", " sent to=", sent_delay, "\n    250 ",
                                 "outcome: "};
    const char *last = expect_in_order(out, order, sizeof order / sizeof order[0]);
    test_expect_has(last, " sent at ");
    /* The same from gzip on standard input. */
    char *gz = NULL;
    ck_assert_int_eq(test_runf(&gz, "gzip -c %s | %s trace %s -", MAILLOG, MC_BINARY, id), 0);
    ck_assert_str_eq(gz, out);
    free(gz);
    free(out);
    free(id), free(deferrals), free(sent_delay);
}
END_TEST

START_TEST(test_address)
{
    char *id = deferred_then_sent();
    char *to = raw_id("grep ' %s: to=' %%s | head -1 | sed 's/.*to=<//; s/>.*//'", id);
    char *n = raw_id("grep -ic 'to=<%s>' %%s", to);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s trace %s %s", MC_BINARY, to, MAILLOG), 0);
    char needle[300];
    snprintf(needle, sizeof needle, " to=%s ", to);
    ck_assert_int_eq(occurrences(out, needle), atoi(n));
    test_expect_lacks(out, "outcome: ");
    free(out), free(to), free(n), free(id);
}
END_TEST

/* A sender: the deliveries of its mail carry it only through the join by
 * message, so its trace must read the lines of its queue ids too. */
START_TEST(test_sender_address)
{
    char *from = raw("grep ' " BOUNCED ": from=' %s | head -1 | sed 's/.*from=<//; s/>.*//'");
    char *mine = NULL, *scan = NULL;
    ck_assert_int_eq(test_runf(&mine, "%s trace --format json %s %s | jq -c .", MC_BINARY, from, MAILLOG), 0);
    ck_assert_int_eq(test_runf(&scan, "%s scan %s | jq -c 'select(.sender == \"%s\" or .recipient == \"%s\")'",
                               MC_BINARY, MAILLOG, from, from), 0);
    ck_assert_str_eq(mine, scan);
    /* As many events from it as the raw log has: its queue ids from qmgr's
     * from= lines, then their status= lines (deliveries, expiry), and the
     * smtpd rejections (NOQUEUE) that name it. */
    char fmt[512];
    snprintf(fmt, sizeof fmt, "{ for id in $(grep 'qmgr.*: from=<%s>' %%s | awk '{print $6}' | tr -d : | sort -u);"
             " do grep \" $id: .*status=\" %%s; done; grep 'NOQUEUE: reject: .* from=<%s> ' %%s; } | wc -l",
             from, from);
    char *n = NULL;
    ck_assert_int_eq(test_runf(&n, fmt, MAILLOG, MAILLOG, MAILLOG), 0);
    char needle[300];
    snprintf(needle, sizeof needle, "\"sender\":\"%s\"", from);
    ck_assert_int_eq(occurrences(mine, needle), atoi(n));
    ck_assert_int_gt(atoi(n), 1);
    free(mine), free(scan), free(from), free(n);
}
END_TEST

/* An Exim message (exim's test suite, log 0032): arrival, a routing
 * failure, Completed, as the raw lines say. */
START_TEST(test_exim_message)
{
    const char *log = MC_DATA_DIR "/exim/exim-testsuite/log/0032";
    char *id = NULL, *rcpt = NULL, *out = NULL;
    ck_assert_int_eq(test_runf(&id, "grep -m1 ' \\*\\* ' %s | awk '{printf \"%%s\", $3}'", log), 0);
    ck_assert_int_eq(test_runf(&rcpt, "grep -m1 ' \\*\\* ' %s | awk '{printf \"%%s\", $5}'", log), 0);
    ck_assert_int_eq(test_runf(&out, "%s trace %s %s", MC_BINARY, id, log), 0);
    char l_rcpt[256], l_outcome[256];
    snprintf(l_rcpt, sizeof l_rcpt, " bounced to=%s ", rcpt);
    snprintf(l_outcome, sizeof l_outcome, "outcome: %s bounced at ", rcpt);
    const char *const order[] = {" received from=", l_rcpt, " permanent ", " removed\n", l_outcome};
    expect_in_order(out, order, sizeof order / sizeof order[0]);
    free(id), free(rcpt), free(out);
}
END_TEST

START_TEST(test_json_is_scan)
{
    char *id = deferred_then_sent();
    const char *targets[] = {BOUNCED, id};
    for (size_t i = 0; i < 2; i++) {
        char *mine = NULL, *scan = NULL;
        ck_assert_int_eq(test_runf(&mine, "%s trace --format json %s %s", MC_BINARY, targets[i], MAILLOG), 0);
        ck_assert_int_eq(test_runf(&scan, "%s scan %s | grep '\"queue_id\": \"%s\"'", MC_BINARY, MAILLOG,
                                   targets[i]), 0);
        ck_assert_str_eq(mine, scan);
        ck_assert_int_ge(occurrences(mine, "\n"), 1);
        free(mine), free(scan);
    }
    free(id);
}
END_TEST

START_TEST(test_not_found_and_missing)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s trace 0000NOSUCHID %s 2>/dev/null", MC_BINARY, MAILLOG), 1);
    ck_assert_str_eq(out, "");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s trace 0000NOSUCHID %s 2>&1 >/dev/null", MC_BINARY, MAILLOG), 1);
    test_expect_has(out, "nothing matched");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s trace " BOUNCED " /nonexistent/maillog 2>/dev/null", MC_BINARY), 1);
    ck_assert_str_eq(out, "");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s trace 2>/dev/null", MC_BINARY), 1);
    free(out);
}
END_TEST


/* What ingest keeps for trace from the database: every event but a success
 * (jq, on scan's JSON objects). */
#define JQ_FAILURES                                                                                  \
    "jq -c 'select(.class == \"transient\" or .class == \"permanent\" or"                            \
    " (.status != \"sent\" and .status != \"accepted\"))'"

/* trace TARGET from a database ingested from log: the same JSON objects
 * as trace TARGET log filtered to failures, and the same text blocks. */
static void expect_db_trace(const char *db, const char *log, const char *target)
{
    char *mine = NULL, *theirs = NULL;
    ck_assert_int_eq(test_runf(&mine, "%s trace --format json %s --db %s | jq -c .", MC_BINARY, target, db), 0);
    ck_assert_int_eq(test_runf(&theirs, "%s trace --format json %s %s | " JQ_FAILURES, MC_BINARY, target, log), 0);
    ck_assert_msg(mine[0], "no failure kept for %s", target);
    ck_assert_str_eq(mine, theirs);
    free(mine), free(theirs);
    /* text: the failures' blocks, each as the file trace prints it */
    ck_assert_int_eq(test_runf(&mine, "%s trace %s --db %s", MC_BINARY, target, db), 0);
    ck_assert_int_eq(test_runf(&theirs, "%s trace %s %s", MC_BINARY, target, log), 0);
    for (char *line = strtok(mine, "\n"); line; line = strtok(NULL, "\n"))
        ck_assert_msg(strstr(theirs, line), "'%s' is not in the trace from the file:\n%s", line, theirs);
    test_expect_lacks(mine, "outcome: ");
    free(mine), free(theirs);
}

/* ingest, then trace from the database: a bounced message, a deferred one,
 * a deferred recipient's address (Postfix), an Exim bounce. */
START_TEST(test_trace_from_database)
{
    char db[512], *out = NULL;
    snprintf(db, sizeof db, "%s/trace.db", test_dir);
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s %s", MC_BINARY, db, MAILLOG), 0);
    char *id = deferred_then_sent();
    char *to = raw("grep status=deferred %s | head -1 | sed 's/.*to=<//; s/>.*//'");
    expect_db_trace(db, MAILLOG, BOUNCED);
    expect_db_trace(db, MAILLOG, id);
    expect_db_trace(db, MAILLOG, to);
    /* the window narrows it: the run is of one day, 23 November */
    ck_assert_int_eq(test_runf(&out, "%s trace %s --db %s --since 2000-01-01 --until 2000-01-02 2>&1", MC_BINARY,
                               BOUNCED, db), 1);
    test_expect_has(out, "nothing matched");
    free(out);
    /* files and the database's options do not mix */
    ck_assert_int_eq(test_runf(NULL, "%s trace %s --db %s %s 2>/dev/null", MC_BINARY, BOUNCED, db, MAILLOG), 1);
    const char *exim = MC_DATA_DIR "/exim/exim-testsuite/log/0032";
    char *xid = NULL;
    ck_assert_int_eq(test_runf(&xid, "grep -m1 ' \\*\\* ' %s | awk '{printf \"%%s\", $3}'", exim), 0);
    snprintf(db, sizeof db, "%s/trace-exim.db", test_dir);
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s %s", MC_BINARY, db, exim), 0);
    expect_db_trace(db, exim, xid);
    free(id), free(to), free(xid);
}
END_TEST

/* The retention counts back in log time from the newest failure kept: the
 * run moved back 22 days is kept whole in a database of its own (the wall
 * clock is not the measure) and pruned when the real run follows it; a
 * retention of 30 days keeps both. */
START_TEST(test_retention_in_log_time)
{
    char old[512], db[512], *n_run = NULL, *out = NULL;
    snprintf(old, sizeof old, "%s/old.log", test_dir);
    ck_assert_int_eq(test_runf(NULL, "sed 's/^Nov 23 /Nov  1 /' %s > %s", MAILLOG, old), 0);
    ck_assert_int_eq(test_runf(&n_run, "%s trace --format json " BOUNCED " %s | " JQ_FAILURES " | wc -l", MC_BINARY,
                               MAILLOG), 0);
    int n = atoi(n_run);
    ck_assert_int_ge(n, 1);
    const struct {
        const char *name, *retention;
        bool with_new;
        int kept_old, kept_new;
    } cases[] = {
        {"alone", "", false, 1, 0},
        {"pruned", "", true, 0, 1},
        {"kept", "--retention 30d", true, 1, 1},
        {"none", "--retention 0", true, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(db, sizeof db, "%s/retention-%s.db", test_dir, cases[i].name);
        ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet %s --db %s %s %s", MC_BINARY, cases[i].retention, db, old,
                                   cases[i].with_new ? MAILLOG : ""), 0);
        test_runf(&out, "%s trace --format json " BOUNCED " --db %s 2>/dev/null | jq -r .time | cut -c6-10 | sort | uniq -c"
                  " | awk '{printf \"%%s=%%s \", $2, $1}'", MC_BINARY, db);
        char want[128] = "";
        if (cases[i].kept_old)
            snprintf(want + strlen(want), sizeof want - strlen(want), "11-01=%d ", n);
        if (cases[i].kept_new)
            snprintf(want + strlen(want), sizeof want - strlen(want), "11-23=%d ", n);
        ck_assert_msg(strcmp(out, want) == 0, "%s: kept '%s', want '%s'", cases[i].name, out, want);
        free(out);
    }
    free(n_run);
}
END_TEST

/* The delay fields a failure's header shows, from the file and from the
 * database, are each mark's first place in the raw line, whatever the
 * order of the marks, and marks inside the reply text count too (one pass
 * over the line's '='s finds them, src/trace.c delays_of).  The expected
 * string is found here with strstr per mark, the way it was before. */
static void expected_delays(const char *line, char *out, size_t len)
{
    static const char *const marks[] = {" delay=", " delays=", " QT=", " DT="};
    out[0] = '\0';
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        const char *p = strstr(line, marks[i]);
        if (p == NULL)
            continue;
        const char *v = p + strlen(marks[i]);
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s%.*s", marks[i], (int)strcspn(v, ", \n"), v);
    }
}

START_TEST(test_delay_marks)
{
    /* a real deferral of the Postfix run (connection refused) and a real
     * Exim bounce of its test suite, each changed by a sed script */
    static const char postfix[] = "grep -m1 'status=deferred (connect to' " MAILLOG;
    static const char exim[] = "grep -m1 ' \\*\\* ' " MC_DATA_DIR "/exim/exim-testsuite/log/0032";
    const struct {
        const char *what, *grep, *sed;
        int id_field; /* the queue or message id, as awk numbers the fields */
    } cases[] = {
        {"as logged", postfix, "", 6},
        {"marks in the reply too", postfix, "s/refused)/refused delay=9 DT=5s QT=1m, delays=x)/", 6},
        {"delays= before delay=", postfix, "s/delay=\\([^,]*\\), delays=\\([^,]*\\),/delays=\\2, delay=\\1,/", 6},
        {"near misses: no space, doubled =", postfix, "s/refused)/refused xdelay=1 xQT=2 DT==3,)/", 6},
        {"a value running into the parenthesis", postfix, "s/refused)/refused QT=)/", 6},
        {"Exim: a mark ending the line", exim, "s/$/ QT=/", 3},
        {"Exim: both marks", exim, "s/$/ DT=2s QT=1m/", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char log[512], db[512], want[1024], *mutated = NULL, *id = NULL, *from_file = NULL, *from_db = NULL;
        snprintf(log, sizeof log, "%s/marks-%zu.log", test_dir, i);
        snprintf(db, sizeof db, "%s/marks-%zu.db", test_dir, i);
        ck_assert_int_eq(test_runf(NULL, "%s | sed '%s' > %s", cases[i].grep, cases[i].sed, log), 0);
        ck_assert_int_eq(test_runf(&mutated, "cat %s", log), 0);
        ck_assert_int_eq(test_runf(&id, "awk '{printf \"%%s\", $%d}' %s | tr -d :", cases[i].id_field, log), 0);
        if (cases[i].sed[0]) {
            char *orig = NULL;
            ck_assert_int_eq(test_runf(&orig, "%s", cases[i].grep), 0);
            ck_assert_msg(strcmp(mutated, orig) != 0, "%s: the sed script changed nothing", cases[i].what);
            free(orig);
        }
        expected_delays(mutated, want, sizeof want - 1);
        ck_assert_msg(want[0], "%s: no delay field", cases[i].what);
        strcat(want, "\n");
        ck_assert_msg(test_runf(&from_file, "%s trace %s %s 2>&1", MC_BINARY, id, log) == 0, "%s: trace %s %s: %s",
                      cases[i].what, id, log, from_file);
        ck_assert_msg(strstr(from_file, want), "%s: from the file, want '%s' in:\n%s", cases[i].what, want, from_file);
        ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s %s", MC_BINARY, db, log), 0);
        ck_assert_int_eq(test_runf(&from_db, "%s trace %s --db %s --since 1990-01-01", MC_BINARY, id, db), 0);
        ck_assert_msg(strstr(from_db, want), "%s: from the database, want '%s' in:\n%s", cases[i].what, want, from_db);
        free(mutated), free(id), free(from_file), free(from_db);
    }
}
END_TEST

/* A failure block's records point into its own dictionary: the first
 * eight failures of the run, the last four moved an hour on, so that the
 * batch's events fill a block, write it and start another (store.c) whose
 * first record repeats most of the last block's strings (host, relay,
 * program, status, reply) beside new ones (time, recipient).  Each
 * recipient's trace from the database is the file's; a string found by its
 * index in the block before (store.c, failure_block's last) misreads a
 * field of the second block's records. */
/* An Exim arrival whose size is followed at once by its message id, the
 * default shape: the reception example of the Exim specification
 * (chapter "Log files", "Logging message reception": kryten@dwarf.fict.example,
 * S=5678 id=...; its id placeholder filled in).  The size field must not
 * take the space the id's search starts from: the id was lost. */
START_TEST(test_exim_arrival_fields)
{
    char log[512];
    snprintf(log, sizeof log, "%s/arrival.log", test_dir);
    ck_assert_int_eq(test_runf(NULL,
                               "printf '%%s\\n' '2002-10-31 08:57:53 16ZCW1-0005MB-00 <= kryten@dwarf.fict.example "
                               "H=mailer.fict.example [192.168.123.123]:9767 I=[82.148.225.15]:25 U=exim P=smtp "
                               "S=5678 id=20021031085753.GA2271@dwarf.fict.example T=\"Rimmer Directive #271\"' "
                               "'2002-10-31 08:57:54 16ZCW1-0005MB-00 Completed' > %s",
                               log), 0);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s trace 16ZCW1-0005MB-00 %s", MC_BINARY, log), 0);
    test_expect_has(out, " 16ZCW1-0005MB-00 received client=mailer.fict.example [192.168.123.123] "
                         "from=kryten@dwarf.fict.example size=5678 message-id=20021031085753.GA2271@dwarf.fict.example\n");
    free(out);
    /* a size at the end of the line, and one before another field, read alike */
    ck_assert_int_eq(test_runf(NULL, "sed -i 's/ id=.*//' %s", log), 0);
    ck_assert_int_eq(test_runf(&out, "%s trace 16ZCW1-0005MB-00 %s", MC_BINARY, log), 0);
    test_expect_has(out, " from=kryten@dwarf.fict.example size=5678\n");
    free(out);
}
END_TEST

START_TEST(test_blocks_share_nothing)
{
    char log[512], db[512];
    snprintf(log, sizeof log, "%s/blocks.log", test_dir);
    snprintf(db, sizeof db, "%s/blocks.db", test_dir);
    ck_assert_int_eq(test_runf(NULL, "grep -E 'status=(bounced|deferred)' %s | head -8"
                                     " | awk 'NR > 4 { sub(/ 12:/, \" 13:\") } { print }' > %s", MAILLOG, log), 0);
    char *hours = NULL;
    ck_assert_int_eq(test_runf(&hours, "cut -c8-9 %s | sort | uniq -c | tr -s ' '", log), 0);
    ck_assert_str_eq(hours, " 4 12\n 4 13\n");
    free(hours);
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s %s", MC_BINARY, db, log), 0);
    sqlite3 *h;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT count(*), sum(events) FROM failure_blocks", -1, &st, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), 2); /* a block per hour */
    ck_assert_int_eq(sqlite3_column_int(st, 1), 8);
    sqlite3_finalize(st);
    sqlite3_close(h);
    char *to = NULL;
    ck_assert_int_eq(test_runf(&to, "sed -n 's/.* to=<\\([^>]*\\)>.*/\\1/p' %s", log), 0);
    int n = 0;
    for (char *save = NULL, *addr = strtok_r(to, "\n", &save); addr; addr = strtok_r(NULL, "\n", &save), n++)
        expect_db_trace(db, log, addr);
    ck_assert_int_eq(n, 8);
    free(to);
}
END_TEST

/* trace --db reads only its window's failure blocks, through the index on
 * their hour (store8), and still in the order they were written: the
 * real run and two copies moved to 14:00 and 16:00, ingested 16, 12, 14
 * (three blocks, one per hour); an address's events between 13:00 and
 * 17:00 are exactly the whole trace's lines of hours 14 and 16, in its
 * order (16 first); the window's ids come from the index (the plan of
 * the ids' query names it). */
START_TEST(test_trace_window_by_hour)
{
    char db[512], logs[2][512];
    snprintf(db, sizeof db, "%s/hours.db", test_dir);
    const int hours[2] = {14, 16};
    for (int i = 0; i < 2; i++) {
        snprintf(logs[i], sizeof logs[i], "%s/h%d.log", test_dir, hours[i]);
        ck_assert_int_eq(test_runf(NULL, "sed 's/^Nov 23 12:/Nov 23 %d:/' %s > %s", hours[i], MAILLOG, logs[i]), 0);
    }
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s %s %s %s", MC_BINARY, db, logs[1], MAILLOG, logs[0]),
                     0);
    char *whole = NULL, *part = NULL;
    ck_assert_int_eq(test_runf(&whole, "%s trace team@alpha.test --db %s --format json", MC_BINARY, db), 0);
    ck_assert_int_eq(test_runf(&part, "%s trace team@alpha.test --db %s --format json --since '2026-11-23 13:00'"
                                      " --until '2026-11-23 17:00'", MC_BINARY, db),
                     0);
    mc_buf want;
    mc_buf_init(&want);
    size_t lines = 0, kept = 0;
    for (char *line = strtok(whole, "\n"); line; line = strtok(NULL, "\n")) {
        lines++;
        if (strncmp(line, "{\"time\": \"2026-11-23T14:", 24) == 0 || strncmp(line, "{\"time\": \"2026-11-23T16:", 24) == 0) {
            mc_buf_printf(&want, "%s\n", line);
            kept++;
        }
    }
    ck_assert_uint_eq(lines, 3 * kept / 2); /* the same events each hour */
    ck_assert_uint_gt(kept, 10);
    ck_assert_str_eq(part, want.data);
    ck_assert_msg(strncmp(want.data, "{\"time\": \"2026-11-23T16:", 24) == 0, "%s", want.data);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(h, "EXPLAIN QUERY PLAN SELECT id FROM failure_blocks WHERE hour >= ?1 AND hour < ?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    bool indexed = false;
    while (sqlite3_step(st) == SQLITE_ROW)
        indexed = indexed || strstr((const char *)sqlite3_column_text(st, 3), "failure_blocks_hour") != NULL;
    sqlite3_finalize(st);
    sqlite3_close(h);
    ck_assert_msg(indexed, "the failure blocks have no index on their hour");
    mc_buf_free(&want);
    free(whole), free(part);
}
END_TEST

static Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_bounced_message);
    tcase_add_test(tc, test_deferred_then_sent);
    tcase_add_test(tc, test_address);
    tcase_add_test(tc, test_sender_address);
    tcase_add_test(tc, test_exim_message);
    tcase_add_test(tc, test_json_is_scan);
    tcase_add_test(tc, test_not_found_and_missing);
    suite_add_tcase(s, tc);
    TCase *db = tcase_create("database");
    tcase_add_checked_fixture(db, test_dir_setup, test_dir_teardown);
    tcase_set_timeout(db, 120);
    tcase_add_test(db, test_trace_from_database);
    tcase_add_test(db, test_retention_in_log_time);
    tcase_add_test(db, test_delay_marks);
    tcase_add_test(db, test_blocks_share_nothing);
    tcase_add_test(db, test_trace_window_by_hour);
    tcase_add_test(db, test_exim_arrival_fields);
    suite_add_tcase(s, db);
    return s;
}

MC_TEST_MAIN(trace_suite)
