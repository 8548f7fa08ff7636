/*
 * test_concurrent.c - two ingests of one file into one database at once
 * count each line once: started at the same moment, or seconds apart with
 * one paused (SIGSTOP) ahead of or behind the other.  The database must
 * equal one clean run exactly, on every dimension.  Apart from
 * test_crash.c for its run time under the sanitizers.
 */
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

#define BIN MC_BINARY

/* Two ingests of one file into one database, started at the same moment:
 * whichever commits a batch first owns those lines, the other gives its
 * batch up and goes on from there.  Two rounds, for varied interleavings. */
START_TEST(test_same_file_twice_at_once)
{
    for (int round = 0; round < 2; round++) {
        char db[32];
        snprintf(db, sizeof db, "twice%d.db", round);
        ck_assert_int_eq(test_runf(NULL, "cd %s && (%s ingest --quiet --commit-every 0.02 --db %s big.log & a=$!; "
                                         "%s ingest --quiet --commit-every 0.02 --db %s big.log & b=$!; "
                                         "wait $a && wait $b)",
                                   test_dir, BIN, db, BIN, db), 0);
        char how[64];
        snprintf(how, sizeof how, "two ingests of one file at once (round %d)", round);
        test_expect_clean_counts(db, how);
        /* and a single row per source, as a third run proves: nothing added */
        ck_assert_int_eq(test_runf(NULL, "cd %s && %s ingest --quiet --db %s big.log", test_dir, BIN, db), 0);
        test_expect_clean_counts(db, how);
    }
}
END_TEST

/* Four ingests started together on a database that does not exist yet,
 * twenty times: every one succeeds (setting up the new file's page size
 * and WAL mode is refused at once to all but one, without SQLite's busy
 * handler: once one ingest in about sixty failed with "database is
 * locked"), and the lines are counted once.  Each round has a database of
 * its own, reported on after the last round, two at a time: a report
 * between rounds would double the processes run one after another, and
 * under the sanitizers on a busy machine each takes seconds. */
START_TEST(test_new_database_together)
{
    ck_assert_int_eq(test_runf(NULL, "cd %s && head -500 big.log > small.log", test_dir), 0);
    for (int round = 0; round < 20; round++) {
        char *out = NULL;
        ck_assert_int_eq(test_runf(&out, "cd %s && "
                                         "(pids=; for i in 1 2 3 4; do %s ingest --quiet --db new%d.db small.log & pids=\"$pids $!\"; done; "
                                         " fails=0; for p in $pids; do wait $p || fails=$((fails+1)); done; "
                                         " echo \"fails=$fails\") 2>&1",
                                   test_dir, BIN, round), 0);
        ck_assert_msg(strstr(out, "fails=0") != NULL, "round %d: %s", round, out);
        free(out);
    }
    /* Each database's count, or what is wrong with it. */
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "cd %s && for r in $(seq 0 19); do echo new$r.db; done | "
                                     "xargs -P 2 -I DB sh -c '%s report --db DB --format json --by class | "
                                     "grep -q \"^ \\\"totals\\\": {\\\"lines\\\": 500, \" || echo \"DB: not 500 lines\"' 2>&1; "
                                     "echo reported",
                               test_dir, BIN), 0);
    ck_assert_str_eq(out, "reported\n");
    free(out);
}
END_TEST

/* Two ingests of one file started seconds apart, each paused (SIGSTOP) at
 * a chosen moment.  0: the first is paused with a batch read but not
 * committed; the second reads from the first's last commit to the end;
 * the first goes on and must give its batch up.  1 (a twice bigger file):
 * the first reads a long batch (--commit-every 3600) and is paused;
 * the second commits a little and is paused behind it; the first must
 * read again from the second's position, and the second skip to the end. */
START_TEST(test_same_file_seconds_apart)
{
    ck_assert_int_eq(test_runf(NULL, "cd %s && cat big.log big.log > big2.log", test_dir), 0);
    for (int which = 0; which < 2; which++) {
        char dbpath[128], log[128];
        snprintf(dbpath, sizeof dbpath, "%s/apart%d.db", test_dir, which);
        snprintf(log, sizeof log, "%s/%s", test_dir, which == 0 ? "big.log" : "big2.log");
        char *first_argv[] = {BIN, "ingest", "--quiet", "--commit-every", which == 0 ? "0.05" : "3600",
                              "--db", dbpath, log, NULL};
        char *second_argv[] = {BIN, "ingest", "--quiet", "--commit-every", "0.02", "--db", dbpath, log, NULL};
        pid_t first, second;
        int status;
        ck_assert_int_eq(posix_spawn(&first, BIN, NULL, NULL, first_argv, environ), 0);
        /* past its start-up (the database created, in WAL mode), reading */
        char wal[160];
        snprintf(wal, sizeof wal, "%s-wal", dbpath);
        for (int i = 0; i < 200 && access(wal, F_OK) != 0; i++)
            test_sleep_ms(50);
        test_sleep_ms(which == 0 ? 100 : 400);
        kill(first, SIGSTOP);
        test_sleep_ms(1000);
        ck_assert_int_eq(posix_spawn(&second, BIN, NULL, NULL, second_argv, environ), 0);
        /* 0: the second reads to the end meanwhile; 1: it commits a little
         * and is paused behind the first */
        test_sleep_ms(which == 0 ? 2000 : 300);
        if (which == 1) {
            kill(second, SIGSTOP);
            test_sleep_ms(1000);
        }
        kill(first, SIGCONT);
        if (which == 1) {
            /* The first reads on with the second paused.  A process paused
             * inside a transaction holds the write lock, so neither is kept
             * paused while the other has to wait for it. */
            test_sleep_ms(1000);
            kill(second, SIGCONT);
        }
        ck_assert_int_eq(waitpid(second, &status, 0), second);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ck_assert_int_eq(waitpid(first, &status, 0), first);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    test_expect_clean_counts("apart0.db", "two ingests of one file, seconds apart");
    /* two copies of big.log: twice its clean totals (95304 lines, 31224 events) */
    char *out = test_report_all("apart1.db");
    test_expect_has(out, "\"lines\": 190608, \"events\": 62448, \"skipped\": 0,");
    free(out);
}
END_TEST

/* A stop while another process holds the database's write lock ends the
 * wait at once (the busy handler looks at the stop request; SQLite's own
 * timeout slept on for up to a minute): SIGTERM half a second into the
 * wait, the ingest gone within 5 s, exit 3 (its batch was not committed),
 * and the database holds the first ingest's counts alone. */
START_TEST(test_stop_while_locked)
{
    char dbpath[128], log[128];
    snprintf(dbpath, sizeof dbpath, "%s/locked.db", test_dir);
    snprintf(log, sizeof log, "%s/postfix/mta-run/maillog", MC_DATA_DIR);
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s %s/sample.log", BIN, dbpath, MC_DATA_DIR), 0);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open(dbpath, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    char *argv[] = {BIN, "ingest", "--quiet", "--db", dbpath, log, NULL};
    pid_t pid;
    int status;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(posix_spawn(&pid, BIN, NULL, NULL, argv, environ), 0);
    test_sleep_ms(500);
    kill(pid, SIGTERM);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(secs < 5.0, "the stop took %.1f s", secs);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    ck_assert_int_eq(sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report --db %s --format json", BIN, dbpath), 0);
    char *want = NULL;
    ck_assert_int_eq(test_runf(&want, "%s report %s/sample.log --format json | grep -o '\"lines\": [0-9]*,'",
                               BIN, MC_DATA_DIR), 0);
    want[strcspn(want, "\n")] = '\0';
    ck_assert_uint_gt(strlen(want), 10);
    test_expect_has(out, want);
    free(want);
    free(out);
}
END_TEST

static Suite *concurrent_suite(void)
{
    Suite *s = suite_create("concurrent");
    TCase *tc = tcase_create("concurrent");
    tcase_set_timeout(tc, 280);
    tcase_add_unchecked_fixture(tc, test_big_log_once_setup, test_big_log_once_teardown);
    tcase_add_checked_fixture(tc, test_big_log_setup, test_dir_teardown);
    tcase_add_test(tc, test_same_file_twice_at_once);
    tcase_add_test(tc, test_same_file_seconds_apart);
    tcase_add_test(tc, test_new_database_together);
    tcase_add_test(tc, test_stop_while_locked);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(concurrent_suite)
