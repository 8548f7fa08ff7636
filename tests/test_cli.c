/*
 * test_cli.c - the mailcodes binary end to end: the checked real Postfix
 * run gives exactly its expected counts, ingest is idempotent and knows
 * rotated files, every command has --help, exit codes are the documented
 * ones, and hostile input is counted, not fatal.  A careless --db (another
 * program's database, a symbolic link, another user's file in /tmp, a
 * path with URI characters) and a rules tree without lang/en.conf get the
 * documented exit status.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "testutil.h"

#define BIN MC_BINARY
#define MTA_RUN_DIR MC_DATA_DIR "/postfix/mta-run"

/* The real Postfix run (checked against the wire, tests/data/SOURCES.md):
 * every event exact on every field (scan), every count exact (report). */
START_TEST(test_mta_run_exact)
{
    char *out = NULL;
    int rc = test_runf(&out, "%s scan %s/maillog > %s/events.jsonl && python3 %s/tools/compare-events.py "
                       "%s/expected-events.jsonl %s/events.jsonl 2>&1",
                 BIN, MTA_RUN_DIR, test_dir, MC_TESTS_DIR, MTA_RUN_DIR, test_dir);
    ck_assert_msg(rc == 0, "%s", out);
    test_expect_has(out, "2602 events compared on 17 fields: 0 differences");
    free(out);
    rc = test_runf(&out, "%s report %s/maillog --format json --top 0 --by direction,status,stage,code,enhanced,class "
                   "> %s/report.json && python3 %s/tools/compare-report.py %s/expected.json %s/report.json 2>&1",
                   BIN, MTA_RUN_DIR, test_dir, MC_TESTS_DIR, MTA_RUN_DIR, test_dir);
    ck_assert_msg(rc == 0, "%s", out);
    test_expect_has(out, "2602 expected events in 70 groups, 9 totals: 0 differences");
    free(out);
    rc = test_runf(&out, "%s report %s/maillog --format json --by class --top 0", BIN, MTA_RUN_DIR);
    ck_assert_int_eq(rc, 0);
    test_expect_has(out, "\"totals\": {\"lines\": 7942, \"events\": 2602, \"skipped\": 0, \"unrecognised\": 0,"
                         " \"hard\": 106, \"success\": 816, \"intermediate\": 0, \"transient\": 1272,"
                         " \"permanent\": 514, \"unknown\": 0,");
    test_expect_has(out, "{\"class\": \"transient\", \"count\": 1272}");
    free(out);
}
END_TEST

/* The literal prefilters change speed only: every event of the corpus is
 * the same with them off. */
START_TEST(test_prefilter_changes_nothing)
{
    const char *files = MC_DATA_DIR "/postfix/mta-run/maillog " MC_DATA_DIR "/postfix/*.log "
                        MC_DATA_DIR "/exim/*.log " MC_DATA_DIR "/exim/exim-testsuite/log/* "
                        MC_DATA_DIR "/exim/exim-testsuite/rejectlog/*";
    char *out = NULL;
    int rc = test_runf(&out, "cd %s && %s scan --unrecognised u1 %s > on.jsonl && "
                       "MAILCODES_NO_PREFILTER=1 %s scan --unrecognised u2 %s > off.jsonl && "
                       "cmp on.jsonl off.jsonl && cmp u1 u2 && wc -l < on.jsonl",
                 test_dir, BIN, files, BIN, files);
    ck_assert_msg(rc == 0, "results differ with the prefilter off: %s", out);
    ck_assert_int_gt(atoi(out), 4800);
    free(out);
}
END_TEST

START_TEST(test_ingest_idempotent_and_rotation)
{
    char *out = NULL;
    /* A log, its rotation day: mail.log -> mail.log.1 (then gzip), new mail.log. */
    ck_assert_int_eq(test_runf(NULL, "head -4000 %s/maillog > %s/part1 && tail -n +4001 %s/maillog > %s/part2",
                         MTA_RUN_DIR, test_dir, MTA_RUN_DIR, test_dir), 0);
    ck_assert_int_eq(test_runf(NULL, "cp %s/part1 %s/mail.log", test_dir, test_dir), 0);
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s/db %s/mail.log", BIN, test_dir, test_dir), 0);
    /* the same file again adds nothing */
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s/db %s/mail.log", BIN, test_dir, test_dir), 0);
    /* rotate: the old file is renamed and compressed, a new one starts */
    ck_assert_int_eq(test_runf(NULL, "cd %s && mv mail.log mail.log.1 && gzip mail.log.1 && cp part2 mail.log", test_dir), 0);
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s/db %s/mail.log %s/mail.log.1.gz", BIN, test_dir, test_dir, test_dir), 0);
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/db --format json --by class", BIN, test_dir), 0);
    test_expect_has(out, "\"lines\": 7942, \"events\": 2602,");
    test_expect_has(out, "\"hard\": 106, \"success\": 816, \"intermediate\": 0, \"transient\": 1272, \"permanent\": 514");
    free(out);
    /* a file that grew: only the new lines count */
    ck_assert_int_eq(test_runf(NULL, "cd %s && head -100 part2 > grow.log && %s ingest --quiet --db db2 grow.log && "
                               "cp part2 grow.log && %s ingest --quiet --db db2 grow.log", test_dir, BIN, BIN), 0);
    /* with the addresses among the keys, as the database keeps them */
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/db2 --format json --by class,sender,recipient", BIN, test_dir), 0);
    char *single = NULL;
    ck_assert_int_eq(test_runf(&single, "%s report %s/part2 --format json --by class,sender,recipient", BIN, test_dir), 0);
    ck_assert_str_eq(strstr(out, "\"totals\""), strstr(single, "\"totals\""));
    free(out);
    free(single);
}
END_TEST

START_TEST(test_help_and_exit_codes)
{
    static const char *const cmds[] = {"ingest", "report", "scan", "explain", "compare"};
    char *out = NULL;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        ck_assert_int_eq(test_runf(&out, "%s %s --help", BIN, cmds[i]), 0);
        char want[64];
        snprintf(want, sizeof want, "usage: mailcodes %s", cmds[i]);
        test_expect_has(out, want);
        free(out);
    }
    ck_assert_int_eq(test_runf(&out, "%s --help", BIN), 0);
    test_expect_has(out, "exit status: 0 success, 1 input or usage error, 2 rules error, 3 database error");
    free(out);
    ck_assert_int_eq(test_runf(NULL, "%s 2>/dev/null", BIN), 1);
    ck_assert_int_eq(test_runf(NULL, "%s frobnicate 2>/dev/null", BIN), 1);
    ck_assert_int_eq(test_runf(NULL, "%s report --bogus 2>/dev/null", BIN), 1);
    ck_assert_int_eq(test_runf(NULL, "%s report --by nonsense x 2>/dev/null", BIN), 1);
    ck_assert_int_eq(test_runf(NULL, "%s report --format xml x 2>/dev/null", BIN), 1);
    ck_assert_int_eq(test_runf(NULL, "%s report --day someday x 2>/dev/null", BIN), 1);
    ck_assert_int_eq(test_runf(NULL, "%s scan /nonexistent/log 2>/dev/null", BIN), 1);
    ck_assert_int_eq(test_runf(NULL, "%s explain 999 2>/dev/null", BIN), 1);
    ck_assert_int_eq(test_runf(&out, "MAILCODES_RULES=/nonexistent %s explain 550 2>&1", BIN), 2);
    test_expect_has(out, "rules directory not found");
    free(out);
    /* a broken rules file: FILE:LINE on stderr, exit 2 */
    ck_assert_int_eq(test_runf(NULL, "cp -r %s %s/rules && printf '[@commands]\\nRCPT = nowhere\\n' > %s/rules/stages.conf",
                         MC_SOURCE_RULES, test_dir, test_dir), 0);
    ck_assert_int_eq(test_runf(&out, "%s scan --rules %s/rules /dev/null 2>&1", BIN, test_dir), 2);
    test_expect_has(out, "stages.conf:2: 'nowhere' is not a stage");
    free(out);
    /* a corrupt database: exit 3 with the reason */
    ck_assert_int_eq(test_runf(NULL, "head -c 20000 /dev/urandom > %s/bad.db", test_dir), 0);
    ck_assert_int_eq(test_runf(&out, "%s ingest --quiet --db %s/bad.db /dev/null 2>&1", BIN, test_dir), 3);
    test_expect_has(out, "database");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report --db %s/none.db 2>&1", BIN, test_dir), 3);
    test_expect_has(out, "does not exist");
    free(out);
}
END_TEST

START_TEST(test_explain_and_compare)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s explain 421", BIN), 0);
    test_expect_has(out, "421 Service not available");
    test_expect_has(out, "4xx Transient Negative");
    test_expect_has(out, "\nDescription\n");
    test_expect_has(out, "\nWhen you see it\n");
    test_expect_has(out, "\nHow to fix\n");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s explain 5.7.1 --lang de", BIN), 0);
    test_expect_has(out, "Beschreibung");
    test_expect_has(out, "Wie man es behebt");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s explain --format json '550 5.7.1 Service unavailable; client [192.0.2.1] "
                               "blocked using zen.spamhaus.org'", BIN), 0);
    test_expect_has(out, "\"code\": \"550\", \"enhanced\": \"5.7.1\", \"class\": \"permanent\"");
    test_expect_has(out, "\"reason\": \"blocklisted\"");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s compare 220 521", BIN), 0);
    test_expect_has(out, "Key differences");
    test_expect_has(out, "When to use which");
    test_expect_has(out, "5xx Permanent Negative");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s compare 220 521 --lang ar", BIN), 0);
    test_expect_has(out, "الفروق الرئيسية");
    free(out);
}
END_TEST

START_TEST(test_hostile_input)
{
    char *out = NULL;
    /* binary garbage, a NUL line, invalid UTF-8, a 10 MB line, ANSI escapes */
    ck_assert_int_eq(test_runf(NULL,
                         "cd %s && head -c 300000 /dev/urandom > junk && "
                         "printf 'Nov 23 07:00:01 mx postfix/smtp[1]: A: to=<a@b.example>, relay=r[1.2.3.4]:25, "
                         "delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host r said: 550 5.1.1 \\033[31mred\\033[0m "
                         "(in reply to RCPT TO command))\\n' > esc && "
                         "printf 'nul\\000line\\nbad \\377 utf8\\n' > bad && "
                         "head -c 10000000 /dev/zero | tr '\\000' x > long && (cat junk; echo; cat esc bad long; echo; cat esc) > mix",
                         test_dir), 0);
    ck_assert_int_eq(test_runf(&out, "%s report %s/mix --format json --by code", BIN, test_dir), 0);
    test_expect_has(out, "\"events\": 2,");
    test_expect_has(out, "{\"code\": \"550\", \"class\": \"permanent\", \"count\": 2");
    free(out);
    /* the escape never reaches the output raw */
    ck_assert_int_eq(test_runf(&out, "%s scan %s/esc", BIN, test_dir), 0);
    ck_assert_ptr_null(strchr(out, '\033'));
    test_expect_has(out, "\\u001b[31mred");
    free(out);
    /* nor a C1 control (NEL), a bidi override (U+202E) or a line separator
     * (U+2028, a line break to JavaScript and some viewers): escaped in
     * JSON, the same string to a parser; other UTF-8 stays as it is */
    ck_assert_int_eq(test_runf(NULL,
                               "cd %s && printf 'Nov 23 07:00:01 mx postfix/smtp[1]: A: to=<a@b.example>, "
                               "relay=r[1.2.3.4]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host r said: "
                               "550 5.1.1 x\\302\\205y\\342\\200\\256z\\342\\200\\250w J\\303\\274rgen "
                               "(in reply to RCPT TO command))\\n' > uni",
                               test_dir), 0);
    ck_assert_int_eq(test_runf(&out, "%s scan %s/uni", BIN, test_dir), 0);
    test_expect_has(out, "550 5.1.1 x\\u0085y\\u202ez\\u2028w J\xc3\xbcrgen (in reply");
    ck_assert_ptr_null(strstr(out, "\xe2\x80"));
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s scan %s/uni | python3 -c 'import json,sys; "
                                     "print(ascii(json.loads(sys.stdin.read())[\"text\"]))'", BIN, test_dir), 0);
    test_expect_has(out, "x\\x85y\\u202ez\\u2028w J\\xfcrgen");
    free(out);
}
END_TEST

/* Runs SQL on a database file outside mailcodes; returns the first column
 * of the last row (malloc'd, "" when none). */
static char *sql(const char *path, const char *statements)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *value = strdup("");
    const char *tail = statements;
    while (tail && *tail) {
        sqlite3_stmt *st = NULL;
        ck_assert_int_eq(sqlite3_prepare_v2(db, tail, -1, &st, &tail), SQLITE_OK);
        if (st == NULL)
            break;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            free(value);
            value = strdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
        }
        ck_assert_int_eq(rc, SQLITE_DONE);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return value;
}

static void expect_sql(const char *path, const char *query, const char *want)
{
    char *got = sql(path, query);
    ck_assert_msg(strcmp(got, want) == 0, "%s: %s gives '%s', not '%s'", path, query, got, want);
    free(got);
}

/* An ingest ends its batch at the turn of the hour once the batch holds
 * half its budget (30,000 entries): 16,000 rejections of one hour, each
 * for a recipient of its own, then 10 of the next hour.  The line that
 * turns the hour ends the first batch, so the next hour's failure events
 * are packed in two blocks, one per batch (1 and 9 events); in one batch
 * they would be one block of 10.  Made from a real smtpd line
 * (fail2ban's test log), its time and recipient changed. */
START_TEST(test_batch_ends_at_hour)
{
    char *line = test_corpus_line("postfix/fail2ban-postfix.log", "Relay access denied; from=<john@example.com>");
    const char *to = strstr(line, "to=<smtp@example.org>");
    ck_assert_ptr_nonnull(to);
    ck_assert_int_eq(strncmp(line, "Jul 12 07:", 10), 0);
    const char *rest = to + strlen("to=<smtp@example.org>");
    char path[128], db[128];
    snprintf(path, sizeof path, "%s/hours.log", test_dir);
    snprintf(db, sizeof db, "%s/hours.db", test_dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 16010; i++) {
        int hour = i < 16000 ? 7 : 8, sec = i < 16000 ? i * 3599 / 16000 : i - 16000;
        fprintf(f, "Jul 12 %02d:%02d:%02d%.*sto=<r%d@example.org>%s\n", hour, sec / 60, sec % 60,
                (int)(to - (line + 15)), line + 15, i, rest);
    }
    ck_assert_int_eq(fclose(f), 0);
    free(line);
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --jobs 2 --commit-every 3600 --db %s %s", BIN, db, path), 0);
    expect_sql(db, "SELECT count(DISTINCT hour) FROM failure_blocks", "2");
    expect_sql(db, "SELECT sum(events) FROM failure_blocks WHERE hour = (SELECT min(hour) FROM failure_blocks)",
               "16000");
    expect_sql(db, "SELECT group_concat(events) FROM (SELECT events FROM failure_blocks"
                   " WHERE hour = (SELECT max(hour) FROM failure_blocks) ORDER BY id)", "1,9");
    expect_sql(db, "SELECT sum(count) FROM counts", "16010");
}
END_TEST

/* Another program's SQLite file is refused untouched (no tables added, no
 * WAL); a mailcodes database of schema 1 or 2 from before the application
 * id opens and gets it (0x4D434F44, "MCOD"). */
START_TEST(test_foreign_database)
{
    char path[128], *out = NULL;
    snprintf(path, sizeof path, "%s/other.db", test_dir);
    free(sql(path, "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep me')"));
    ck_assert_int_eq(test_runf(&out, "%s ingest --quiet --db %s /dev/null 2>&1", BIN, path), 3);
    test_expect_has(out, "not a mailcodes database");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report --db %s 2>&1", BIN, path), 3);
    test_expect_has(out, "not a mailcodes database");
    free(out);
    expect_sql(path, "SELECT group_concat(name) FROM sqlite_master", "notes");
    expect_sql(path, "PRAGMA journal_mode", "delete");
    /* a database of another application id, even with our tables */
    snprintf(path, sizeof path, "%s/other-id.db", test_dir);
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s /dev/null", BIN, path), 0);
    free(sql(path, "PRAGMA application_id = 1196444487"));
    ck_assert_int_eq(test_runf(&out, "%s report --db %s 2>&1", BIN, path), 3);
    test_expect_has(out, "not a mailcodes database");
    free(out);
    /* schema 2 without the id: read as it is, given the id by ingest */
    snprintf(path, sizeof path, "%s/v2.db", test_dir);
    ck_assert_int_eq(test_runf(NULL, "head -100 %s/maillog > %s/100.log && %s ingest --quiet --db %s %s/100.log",
                               MTA_RUN_DIR, test_dir, BIN, path, test_dir), 0);
    expect_sql(path, "PRAGMA application_id", "1296256836");
    free(sql(path, "PRAGMA application_id = 0"));
    ck_assert_int_eq(test_runf(&out, "%s report --db %s --format json --by class", BIN, path), 0);
    test_expect_has(out, "\"lines\": 100,");
    free(out);
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s /dev/null", BIN, path), 0);
    expect_sql(path, "PRAGMA application_id", "1296256836");
    /* schema 1 (no retry_skips column), no id: upgraded, id set, data kept */
    snprintf(path, sizeof path, "%s/v1.db", test_dir);
    free(sql(path, "CREATE TABLE counts (hour TEXT NOT NULL, mta TEXT NOT NULL, host TEXT NOT NULL,"
                   " direction TEXT NOT NULL, status TEXT NOT NULL, stage TEXT NOT NULL, code TEXT NOT NULL,"
                   " enhanced TEXT NOT NULL, class TEXT NOT NULL, reason TEXT NOT NULL, domain TEXT NOT NULL,"
                   " relay TEXT NOT NULL, client TEXT NOT NULL, conflict INTEGER NOT NULL, hard INTEGER NOT NULL,"
                   " inferred INTEGER NOT NULL, count INTEGER NOT NULL, first_seen TEXT NOT NULL,"
                   " last_seen TEXT NOT NULL, sample TEXT NOT NULL, PRIMARY KEY (hour, mta, host, direction,"
                   " status, stage, code, enhanced, class, reason, domain, relay, client, conflict, hard,"
                   " inferred)) WITHOUT ROWID;"
                   "CREATE TABLE line_counts (hour TEXT PRIMARY KEY, lines INTEGER NOT NULL,"
                   " skipped INTEGER NOT NULL, unrecognised INTEGER NOT NULL) WITHOUT ROWID;"
                   "CREATE TABLE sources (id INTEGER PRIMARY KEY, fp_len INTEGER NOT NULL,"
                   " fp_hash INTEGER NOT NULL, offset INTEGER NOT NULL, path TEXT NOT NULL, updated TEXT NOT NULL);"
                   "INSERT INTO line_counts VALUES ('2026-11-23T10', 42, 0, 0);"
                   "PRAGMA user_version = 1"));
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s /dev/null", BIN, path), 0);
    expect_sql(path, "PRAGMA application_id", "1296256836");
    ck_assert_int_eq(test_runf(&out, "%s report --db %s --format json --by class", BIN, path), 0);
    test_expect_has(out, "\"lines\": 42,");
    free(out);
}
END_TEST

/* --db through a symbolic link, or a file of another user in a
 * world-writable directory: refused with exit 3 (like O_NOFOLLOW and an
 * owner check), for ingest and report. */
START_TEST(test_planted_database)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(NULL, "cd %s && %s ingest --quiet --db real.db /dev/null && ln -s real.db link.db",
                               test_dir, BIN), 0);
    static const char *const cmds[] = {"ingest --quiet", "report"};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(test_runf(&out, "cd %s && %s %s --db link.db 2>&1 </dev/null", test_dir, BIN, cmds[i]), 3);
        test_expect_has(out, "symbolic link");
        free(out);
    }
    if (geteuid() != 0)
        return; /* chown needs root */
    ck_assert_int_eq(test_runf(NULL, "cd %s && mkdir -m 1777 tmp && %s ingest --quiet --db tmp/their.db /dev/null &&"
                                     " chown nobody tmp/their.db", test_dir, BIN), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(test_runf(&out, "cd %s && %s %s --db tmp/their.db 2>&1 </dev/null", test_dir, BIN, cmds[i]),
                         3);
        test_expect_has(out, "belongs to another user");
        free(out);
    }
    /* another user's file where only its owner may write is fine */
    ck_assert_int_eq(test_runf(NULL, "cd %s && chmod 755 tmp && %s report --db tmp/their.db >/dev/null", test_dir,
                               BIN), 0);
}
END_TEST

/* The read-only fallback (a WAL database in a directory the reader may not
 * write) opens a path holding ?, # and % as that file. */
START_TEST(test_read_only_odd_path)
{
    if (geteuid() != 0)
        return; /* needs a user who may not write: nobody */
    char *out = NULL;
    ck_assert_int_eq(test_runf(NULL, "cd %s && mkdir 'odd?x=1#y%%41' && head -100 %s/maillog > 100.log && "
                                     "%s ingest --quiet --db 'odd?x=1#y%%41/ro.db' 100.log && chmod 755 'odd?x=1#y%%41'",
                               test_dir, MTA_RUN_DIR, BIN), 0);
    const char *as = test_as_other_user();
    ck_assert_int_eq(test_runf(&out, "cd %s && %s./mailcodes report --rules rules "
                                     "--db 'odd?x=1#y%%41/ro.db' --format json --by class 2>&1", test_dir, as), 0);
    test_expect_has(out, "\"lines\": 100,");
    free(out);
}
END_TEST

/* A rules tree without lang/en.conf is a rules error (2), not a usage one. */
START_TEST(test_missing_english_is_rules_error)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(NULL, "cp -r %s %s/rules && rm %s/rules/lang/en.conf", MC_SOURCE_RULES, test_dir,
                               test_dir), 0);
    static const char *const cmds[] = {"report", "triage", "explain 550"};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(test_runf(&out, "%s %s --rules %s/rules %s 2>&1", BIN, cmds[i], test_dir,
                                   i < 2 ? "/dev/null" : ""), 2);
        test_expect_has(out, "en.conf");
        free(out);
    }
    /* a language that does not exist stays a usage error */
    ck_assert_int_eq(test_runf(NULL, "%s report --lang xx /dev/null 2>/dev/null", BIN), 1);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 240);
    tcase_add_checked_fixture(tc, test_dir_setup, test_dir_teardown);
    tcase_add_test(tc, test_mta_run_exact);
    tcase_add_test(tc, test_prefilter_changes_nothing);
    tcase_add_test(tc, test_ingest_idempotent_and_rotation);
    tcase_add_test(tc, test_help_and_exit_codes);
    tcase_add_test(tc, test_explain_and_compare);
    tcase_add_test(tc, test_hostile_input);
    tcase_add_test(tc, test_foreign_database);
    tcase_add_test(tc, test_planted_database);
    tcase_add_test(tc, test_read_only_odd_path);
    tcase_add_test(tc, test_missing_english_is_rules_error);
    tcase_add_test(tc, test_batch_ends_at_hour);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(cli_suite)
