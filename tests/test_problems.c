/*
 * test_problems.c - what a postmaster reads in the problem lists of report
 * and triage, on real logs: --top has one meaning everywhere, our own
 * deliveries and refusals speak in our voice, a window before without data
 * is not compared with, and nothing says "none" without data.  Apart from
 * test_report for its run time under the sanitizers.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lang.h"
#include "problems.h"
#include "store.h"
#include "testutil.h"

#define BIN MC_BINARY

/* --top N has one meaning in every list of report and triage: N problems,
 * 0 all of them, and without --top each list's documented default (10 in
 * the daily report, 5 in triage).  The problems of sample.log are counted
 * here from scan's events: one per (section, status, code, enhanced,
 * reason, class) among the failures, Postfix's local agent being the local
 * section (57; the file has no fatal or panic line).  Before, --top 0 gave
 * 10 in the daily report and 5 in triage. */
START_TEST(test_top_zero_is_all)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s scan %s/sample.log | python3 -c '"
                               "import json, sys\n"
                               "ev = [json.loads(l) for l in sys.stdin]\n"
                               "loc = (\"local\", \"virtual\", \"pipe\", \"lmtp\")\n"
                               "print(len({(\"local\" if e[\"program\"].split(\"/\")[-1] in loc else e[\"direction\"], e[\"status\"],"
                               " e[\"code\"], e[\"enhanced\"], e[\"reason\"], e[\"class\"]) for e in ev"
                               " if e[\"class\"] in (\"transient\", \"permanent\")}))'; grep -c -e 'fatal:' -e 'panic:' %s/sample.log",
                               BIN, MC_DATA_DIR, MC_DATA_DIR), 1); /* grep -c: 0 lines, status 1 */
    int problems = 0, fatal = -1;
    ck_assert_int_eq(sscanf(out, "%d %d", &problems, &fatal), 2);
    ck_assert_msg(problems > 20 && fatal == 0, "%s", out);
    free(out);
    static const struct {
        const char *args, *count; /* the command's arguments; how its problems are counted */
        int want;                 /* -1: all of them */
    } runs[] = {
        {"report %s/sample.log --top 0", "grep -cE '^ +[0-9]+\\. '", -1},
        {"report %s/sample.log --top 0 --format html", "grep -c '^<tr><td class=\"n\">[0-9]*</td><td>[0-9-]'", -1},
        {"triage %s/sample.log --top 0", "grep -cE '^[0-9]+\\. '", -1},
        {"triage %s/sample.log --top 0 --format html", "grep -c '^<section'", -1},
        {"triage %s/sample.log --top 0 --format json", "grep -c '{\"rank\": '", -1},
        {"report %s/sample.log", "grep -cE '^ +[0-9]+\\. '", 10},
        {"report %s/sample.log --format html", "grep -c '^<tr><td class=\"n\">[0-9]*</td><td>[0-9-]'", 10},
        {"triage %s/sample.log", "grep -cE '^[0-9]+\\. '", 5},
        {"triage %s/sample.log --format json", "grep -c '{\"rank\": '", 5},
        {"report %s/sample.log --top 3", "grep -cE '^ +[0-9]+\\. '", 3},
        {"triage %s/sample.log --top 3 --format html", "grep -c '^<section'", 3},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char args[256];
        snprintf(args, sizeof args, runs[i].args, MC_DATA_DIR);
        ck_assert_int_eq(test_runf(&out, "%s %s | %s", BIN, args, runs[i].count), 0);
        int want = runs[i].want < 0 ? problems : runs[i].want;
        ck_assert_msg(atoi(out) == want, "%s: %d problems, expected %d", args, atoi(out), want);
        free(out);
    }
}
END_TEST

/* Our own deliveries speak in our voice (rules/reasons.conf local_label,
 * local_advice): sample.log's local agent bounced 7 recipients with
 * "unknown user" and 2 with "cannot append message to file" (grep -c on the
 * file).  Before, the first read "Recipient address does not exist" with the
 * sender's advice ("Remove or correct the address", "ask the recipient's
 * postmaster"), the second "System error at the receiver or here". */
START_TEST(test_local_voice)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "grep -c 'postfix/local.*status=bounced (unknown user' %s/sample.log; "
                               "grep -c 'postfix/local.*status=bounced (cannot append message' %s/sample.log",
                               MC_DATA_DIR, MC_DATA_DIR), 0);
    ck_assert_str_eq(out, "7\n2\n");
    free(out);
    out = test_triage_python(MC_DATA_DIR "/sample.log",
                        "for x in p:\n"
                        "  if x[\"direction\"] == \"local\": print(x[\"enhanced\"], x[\"count\"], x[\"title\"], \"|\", x[\"action\"][:60])");
    test_expect_has(out, "5.1.1 7 No such user or mailbox on this host | Our own delivery found no such user here: the domain is ours\n");
    test_expect_has(out, "5.2.0 2 Local delivery failed on this host | Our own delivery to a mailbox on this host failed; the sampl\n");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s/sample.log --top 0", BIN, MC_DATA_DIR), 0);
    char *local = strstr(out, "Our own deliveries on this host (local)");
    ck_assert_ptr_nonnull(local);
    char *next = strstr(local, "Our mail to others (outbound)");
    ck_assert_ptr_nonnull(next);
    *next = '\0';
    test_expect_has(local, "local_recipient_maps");
    test_expect_has(local, "df -i");
    test_expect_lacks(local, "Remove or correct the address");
    test_expect_lacks(local, "at the receiver or here");
    free(out);
    /* in another language the title is translated ([@reasons_local]) */
    ck_assert_int_eq(test_runf(&out, "%s report %s/sample.log --lang de", BIN, MC_DATA_DIR), 0);
    test_expect_has(out, "Kein solcher Benutzer oder Postfach auf diesem Host");
    test_expect_has(out, "Lokale Zustellung auf diesem Host fehlgeschlagen");
    free(out);
    /* Exim's local transports (the real lines of test_exim_local_section): a
     * full mailbox of our own user, a file delivery our router forbids */
    ck_assert_int_eq(test_runf(NULL, "cd %s && { "
        "grep -h ' \\*\\* /a/b/c <file1@no.test.ex> R=notallowed : delivery to file forbidden' %s/exim/exim-testsuite/log/0226 | head -1; "
        "grep -h ' == userx@test.ex R=r1 T=local_delivery defer (-22): mailbox is full' %s/exim/exim-testsuite/log/0264 | head -1; "
        "} > local.log && test $(wc -l < local.log) = 2", test_dir, MC_DATA_DIR, MC_DATA_DIR), 0);
    ck_assert_int_eq(test_runf(&out, "%s triage %s/local.log --since 1990-01-01 --format json | python3 -c '"
                               "import json, sys\n"
                               "for x in json.load(sys.stdin)[\"problems\"]: print(x[\"direction\"], x[\"title\"])' | sort",
                               BIN, test_dir), 0);
    ck_assert_str_eq(out, "local A user's mailbox on this host is over quota\n"
                          "local Our own configuration refused a local delivery\n");
    free(out);
}
END_TEST

/* An inbound problem no reason explains is mail our server refused: its
 * title is in the receiver's voice (the unexplained reason's receiver_label
 * of rules/reasons.conf), never the code's generic name (codes.conf "name",
 * the remote server's meaning: "Requested action not taken: mailbox
 * unavailable" for Exim's ACL "deny" with 550), and its advice is still the
 * code's receiver_fix.  Both read here from the rules files themselves. */
START_TEST(test_inbound_title_voice)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s triage %s/exim-runs/default.log.gz --top 0 --format json | python3 -c '"
                               "import json, sys\n"
                               "def conf(path):\n"
                               "  secs, cur, last = {}, None, None\n"
                               "  for line in open(path):\n"
                               "    line = line.rstrip(\"\\n\")\n"
                               "    if not line.strip() or line.startswith(\"#\"): continue\n"
                               "    if line.startswith(\"[\"): cur = secs.setdefault(line.strip()[1:-1], {}); continue\n"
                               "    if line[0] in \" \\t\": cur[last] += \" \" + line.strip(); continue\n"
                               "    last, v = [w.strip() for w in line.split(\"=\", 1)]; cur[last] = v\n"
                               "  return secs\n"
                               "codes = conf(\"%s/codes.conf\"); reasons = conf(\"%s/reasons.conf\")\n"
                               "names = {c[\"name\"] for c in codes.values() if \"name\" in c}\n"
                               "p = [x for x in json.load(sys.stdin)[\"problems\"] if x[\"direction\"] == \"inbound\"]\n"
                               "bare = [x for x in p if x[\"reason\"] is None]\n"
                               "print(len(bare) > 0, [x[\"title\"] for x in p if x[\"title\"] in names])\n"
                               "print({x[\"title\"] == reasons[\"unexplained\"][\"receiver_label\"] for x in bare})\n"
                               "print({x[\"action\"] == codes[x[\"code\"]][\"receiver_fix\"] for x in bare})'",
                               BIN, MC_DATA_DIR, MC_SOURCE_RULES, MC_SOURCE_RULES), 0);
    ck_assert_str_eq(out, "True []\n{True}\n{True}\n");
    free(out);
}
END_TEST

/* A window before without a single log line is no evidence: nothing is
 * "new" against it.  sample.log covers 2026-11-23 12:52 to 12:53 only (its
 * first and last line, read here), so the day before and triage's 24 hours
 * before hold no line.  Before, every summary figure read "0 new" and every
 * problem "new (none in the window before)", ranked x2 as new. */
START_TEST(test_no_data_before)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "head -1 %s/sample.log | cut -c1-9; tail -1 %s/sample.log | cut -c1-9",
                               MC_DATA_DIR, MC_DATA_DIR), 0);
    ck_assert_str_eq(out, "Nov 23 12\nNov 23 12\n"); /* the year: tests/data/SOURCES.md, the run of 2026 */
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s/sample.log --day 2026-11-23", BIN, MC_DATA_DIR), 0);
    test_expect_has(out, "\nSummary (the window before has no log lines: nothing to compare with)\n");
    test_expect_lacks(out, " new\n");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s triage %s/sample.log", BIN, MC_DATA_DIR), 0);
    test_expect_has(out, "\n(the window before has no log lines: nothing to compare with)\n");
    test_expect_lacks(out, "none in the window before");
    test_expect_lacks(out, "(compared with the window before)");
    free(out);
    out = test_triage_python(MC_DATA_DIR "/sample.log", "print({(x[\"previous\"], x[\"trend\"]) for x in p})");
    ck_assert_str_eq(out, "{(None, None)}\n");
    free(out);
}
END_TEST

/* No all-clear without data, in every format: a window without a log line
 * says no "none" of warnings or senders (the header warned it is not an
 * all-clear); a window of lines without a failure says so in HTML as in
 * text.  Before, an empty window's report said "none: the MTA logged no
 * warning in this window" and "none" under the senders of failures, and the
 * HTML report and triage of successes only showed an empty problem list. */
START_TEST(test_no_all_clear_without_data)
{
    char *out = NULL;
    for (int html = 0; html < 2; html++) {
        ck_assert_int_eq(test_runf(&out, "%s report %s/sample.log --since 2020-01-01 --until 2020-01-02%s", BIN,
                                   MC_DATA_DIR, html ? " --format html" : ""), 0);
        test_expect_has(out, "No log lines in this window: nothing was checked, this is not an all-clear.");
        test_expect_lacks(out, "the MTA logged no warning");
        test_expect_lacks(out, "no transient or permanent failure");
        test_expect_lacks(out, "  none\n");
        free(out);
    }
    /* successes only: sample.log's status=sent lines (grep -c: 365 events) */
    ck_assert_int_eq(test_runf(&out, "grep 'status=sent' %s/sample.log > %s/sent.log && grep -c . %s/sent.log",
                               MC_DATA_DIR, test_dir, test_dir), 0);
    ck_assert_str_eq(out, "365\n");
    free(out);
    static const char *const runs[][2] = {
        {"report %s/sent.log --format html", "<p>none: no transient or permanent failure in this window</p>"},
        {"report %s/sent.log", "\nTop problems\n  none: no transient or permanent failure in this window\n"},
        {"triage %s/sent.log --format html", "<p>Nothing to act on: no transient or permanent failure in this window.</p>"},
        {"triage %s/sent.log", "\nNothing to act on: no transient or permanent failure in this window.\n"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char args[256];
        snprintf(args, sizeof args, runs[i][0], test_dir);
        ck_assert_int_eq(test_runf(&out, "%s %s", BIN, args), 0);
        test_expect_has(out, runs[i][1]);
        free(out);
    }
}
END_TEST

/* A line that names no domain or relay (Postfix's "status=expired,
 * returned to sender" names neither) is shown as not in the log, never as
 * "none", which reads as a value.  The count is the log's own (grep -c). */
START_TEST(test_breakdown_not_logged)
{
    char *n = NULL, *out = NULL;
    ck_assert_int_eq(test_runf(&n, "grep -c 'status=expired' %s/postfix/mta-run/maillog", MC_DATA_DIR), 0);
    n[strcspn(n, "\n")] = '\0';
    ck_assert_int_gt(atoi(n), 0);
    ck_assert_int_eq(test_runf(&out, "%s report %s/postfix/mta-run/maillog", BIN, MC_DATA_DIR), 0);
    char want[128];
    snprintf(want, sizeof want, "\n     domains: not in the log (%s)\n      relays: not in the log (%s)\n", n, n);
    test_expect_has(out, want);
    test_expect_lacks(out, ": none (");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report --lang de %s/postfix/mta-run/maillog", BIN, MC_DATA_DIR), 0);
    test_expect_has(out, "nicht im Log (");
    free(out);
    free(n);
}
END_TEST

/* Each problem's domains and clients (read for all problems from one query
 * per key, problems_cache) are exactly its own: triage's JSON lists
 * against counts made from scan's events (tests/problems_values.py) on
 * sample.log (57 problems, 80 lists) and the real Postfix run (59, 82).
 * A cache that mixed two problems' values, lost a problem or reordered
 * values of equal counts fails here. */
START_TEST(test_breakdowns_are_the_problems_own)
{
    static const char *const logs[][2] = {{"sample.log", "57 80"}, {"postfix/mta-run/maillog", "59 82"}};
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
        char *out = NULL;
        ck_assert_int_eq(test_runf(&out, "python3 %s/../problems_values.py %s %s/%s 2>&1", MC_DATA_DIR, BIN,
                                   MC_DATA_DIR, logs[i][0]),
                         0);
        ck_assert_msg(strncmp(out, logs[i][1], strlen(logs[i][1])) == 0 && out[strlen(logs[i][1])] == '\n',
                      "%s: %s", logs[i][0], out);
        free(out);
    }
}
END_TEST


/* One value of a made problem's key and its events, for the breakdown test. */
typedef struct {
    char value[128];
    uint64_t count;
} made_value;

/* qsort order of a key's values as the store gives them: the most events
 * first, then the value by its bytes (SQLite's BINARY order). */
static int by_events_then_bytes(const void *a, const void *b)
{
    const made_value *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->value, y->value);
}

/* Adds count events of value to a made list (one entry per value). */
static void made_add(made_value *v, size_t *n, const char *value, uint64_t count)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(v[i].value, value) == 0) {
            v[i].count += count;
            return;
        }
    snprintf(v[*n].value, sizeof v[*n].value, "%s", value);
    v[(*n)++].count = count;
}

/* The problems' breakdowns are bounded: of each problem's domains, relays
 * and clients the cache keeps the first PROBLEMS_VALUES_KEPT (the most a
 * writer shows), the others summed and counted, whatever the size of the
 * window.  A database made here through the view: three failing problems
 * (one with 37 domains and 25 relays over four hours, one inbound with 30
 * clients, one with three domains), their values' counts tied in places,
 * an empty domain among them, and successes that are no problem.  Every
 * problem's values of every key against counts made here as the rows are
 * written (top, rest, how many); the rows the cache holds exactly the
 * bounded number, fewer than the distinct rows (a cache of every row, as
 * before store8, fails); the text breakdown of the big problem as the
 * report writes it. */
START_TEST(test_breakdown_bounded)
{
    char path[128], err[1024];
    snprintf(path, sizeof path, "%s/p.db", test_dir);
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    store_close(s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *ins;
    ck_assert_int_eq(sqlite3_prepare_v2(db,
                                        "INSERT INTO counts (hour, mta, host, direction, status, stage, code, enhanced,"
                                        " class, reason, domain, relay, client, conflict, hard, inferred, sender,"
                                        " sender_domain, recipient, count, first_seen, last_seen, sample)"
                                        " VALUES (?1, 'postfix', 'mx', ?2, ?3, '', ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, 0,"
                                        " 0, 's@a.example', 'a.example', ?11, ?12, '', '', '')",
                                        -1, &ins, NULL),
                     SQLITE_OK);
    static const struct {
        const char *values[P_NKEYS], *klass;
        int domains, relays, clients; /* distinct values of each key */
    } problems[] = {
        {{"outbound", "bounced", "550", "5.1.1", "user_unknown"}, "permanent", 37, 25, 1},
        {{"inbound", "rejected", "554", "5.7.1", "blocklisted"}, "permanent", 1, 1, 30},
        {{"outbound", "deferred", "451", "4.7.1", "greylisted"}, "transient", 3, 2, 1},
    };
    enum { NP = sizeof problems / sizeof problems[0] };
    static const char *const keys[P_NCACHED] = {"domain", "relay", "client"};
    made_value made[NP][P_NCACHED][64];
    size_t n_made[NP][P_NCACHED] = {{0}};
    size_t distinct_rows = 0;
    ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    for (int p = 0; p < (int)NP; p++)
        for (int i = 0; i < 40; i++)
            for (int h = 0; h < 4; h++) {
                char hour[32], v[P_NCACHED][32], rcpt[48];
                int counts[P_NCACHED] = {problems[p].domains, problems[p].relays, problems[p].clients};
                snprintf(hour, sizeof hour, "2026-11-20T%02d", 5 + h);
                for (int k = 0; k < P_NCACHED; k++) {
                    int j = (i * 7 + h) % counts[k]; /* some values more often than others, some tied */
                    if (counts[k] == 1)
                        v[k][0] = '\0';
                    else if (k == 0 && j == 3)
                        v[k][0] = '\0'; /* a line that names no domain */
                    else
                        snprintf(v[k], sizeof v[k], "%s%02d.example", keys[k], j);
                }
                snprintf(rcpt, sizeof rcpt, "u%d@%s", i, v[0]);
                uint64_t n = (uint64_t)(1 + (i + p) % 3);
                sqlite3_bind_text(ins, 1, hour, -1, SQLITE_STATIC);
                for (int k = 0; k < P_REASON; k++) /* direction, status, code, enhanced: ?2 to ?5 */
                    sqlite3_bind_text(ins, 2 + k, problems[p].values[k], -1, SQLITE_STATIC);
                sqlite3_bind_text(ins, 6, problems[p].klass, -1, SQLITE_STATIC);
                sqlite3_bind_text(ins, 7, problems[p].values[P_REASON], -1, SQLITE_STATIC);
                for (int k = 0; k < P_NCACHED; k++)
                    sqlite3_bind_text(ins, 8 + k, v[k], -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(ins, 11, rcpt, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(ins, 12, (sqlite3_int64)n);
                ck_assert_int_eq(sqlite3_step(ins), SQLITE_DONE);
                sqlite3_reset(ins);
                for (int k = 0; k < P_NCACHED; k++)
                    made_add(made[p][k], &n_made[p][k], v[k], n);
                /* the same values delivered: a success, in no problem */
                sqlite3_bind_text(ins, 3, "sent", -1, SQLITE_STATIC);
                sqlite3_bind_text(ins, 6, "success", -1, SQLITE_STATIC);
                ck_assert_int_eq(sqlite3_step(ins), SQLITE_DONE);
                sqlite3_reset(ins);
            }
    ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    size_t budget = 0;
    for (int p = 0; p < (int)NP; p++)
        for (int k = 0; k < P_NCACHED; k++) {
            qsort(made[p][k], n_made[p][k], sizeof made[p][k][0], by_events_then_bytes);
            distinct_rows += n_made[p][k];
            budget += n_made[p][k] < PROBLEMS_VALUES_KEPT ? n_made[p][k] : PROBLEMS_VALUES_KEPT;
        }
    ck_assert_uint_eq(n_made[0][0], 37);
    ck_assert_uint_eq(n_made[1][2], 30);
    ck_assert_uint_gt(distinct_rows, budget + 50);

    s = store_open(path, true, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    const mc_window all = {.since = "", .until = ""};
    problems_cache c;
    problems_cache_init(&c, s, &all);
    for (int p = 0; p < (int)NP; p++) {
        kept_row r;
        memset(&r, 0, sizeof r);
        for (int k = 0; k < P_NKEYS; k++)
            r.values[k] = (char *)problems[p].values[k];
        snprintf(r.klass, sizeof r.klass, "%s", problems[p].klass);
        for (int k = 0; k < P_NCACHED; k++) {
            const problem_values *v = problems_values(&c, &r, keys[k]);
            ck_assert_ptr_nonnull(v);
            size_t want_top = n_made[p][k] < PROBLEMS_VALUES_KEPT ? n_made[p][k] : PROBLEMS_VALUES_KEPT;
            uint64_t want_rest = 0;
            for (size_t i = want_top; i < n_made[p][k]; i++)
                want_rest += made[p][k][i].count;
            ck_assert_msg(v->n == n_made[p][k] && v->top.n == want_top && v->rest == want_rest,
                          "problem %d, %s: %zu values, %zu kept, rest %llu; expected %zu, %zu, %llu", p, keys[k], v->n,
                          v->top.n, (unsigned long long)v->rest, n_made[p][k], want_top,
                          (unsigned long long)want_rest);
            for (size_t i = 0; i < want_top; i++)
                ck_assert_msg(strcmp(v->top.rows[i].values[0], made[p][k][i].value) == 0 &&
                                  v->top.rows[i].count == made[p][k][i].count,
                              "problem %d, %s, value %zu: '%s' (%llu), expected '%s' (%llu)", p, keys[k], i,
                              v->top.rows[i].values[0], (unsigned long long)v->top.rows[i].count,
                              made[p][k][i].value, (unsigned long long)made[p][k][i].count);
        }
    }
    /* a problem the window does not hold: no values, not an error */
    kept_row none;
    memset(&none, 0, sizeof none);
    char *other[P_NKEYS] = {"outbound", "bounced", "550", "5.1.1", "other"};
    for (int k = 0; k < P_NKEYS; k++)
        none.values[k] = other[k];
    snprintf(none.klass, sizeof none.klass, "permanent");
    const problem_values *nv = problems_values(&c, &none, "domain");
    ck_assert_ptr_nonnull(nv);
    ck_assert_uint_eq(nv->n, 0);
    ck_assert_uint_eq(problems_cache_rows(&c), budget);
    /* the report's line: the top three, the others (past the kept ten too) summed */
    mc_lang lang;
    ck_assert_msg(lang_load(&lang, test_rules()->dir, "en", err, sizeof err), "%s", err);
    kept_row big;
    memset(&big, 0, sizeof big);
    for (int k = 0; k < P_NKEYS; k++)
        big.values[k] = (char *)problems[0].values[k];
    snprintf(big.klass, sizeof big.klass, "permanent");
    mc_buf out, want;
    mc_buf_init(&out);
    mc_buf_init(&want);
    problems_breakdown(&c, &big, "domain", &lang, &out);
    uint64_t others = 0;
    for (size_t i = 0; i < n_made[0][0]; i++) {
        const made_value *m = &made[0][0][i];
        if (i < 3)
            mc_buf_printf(&want, "%s%s (%llu)", i ? ", " : "", m->value[0] ? m->value : lang_word(&lang, "not_logged"),
                          (unsigned long long)m->count);
        else
            others += m->count;
    }
    mc_buf_printf(&want, ", %s (%llu)", lang_word(&lang, "others"), (unsigned long long)others);
    ck_assert_str_eq(out.data, want.data);
    mc_buf_free(&out);
    mc_buf_free(&want);
    lang_free(&lang);
    problems_cache_free(&c);
    store_close(s);
}
END_TEST

static Suite *problems_suite(void)
{
    Suite *s = suite_create("problems");
    TCase *tc = tcase_create("problems");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, test_dir_setup, test_dir_teardown);
    tcase_add_test(tc, test_top_zero_is_all);
    tcase_add_test(tc, test_local_voice);
    tcase_add_test(tc, test_inbound_title_voice);
    tcase_add_test(tc, test_no_data_before);
    tcase_add_test(tc, test_no_all_clear_without_data);
    tcase_add_test(tc, test_breakdowns_are_the_problems_own);
    tcase_add_test(tc, test_breakdown_not_logged);
    tcase_add_test(tc, test_breakdown_bounded);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(problems_suite)
