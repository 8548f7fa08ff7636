/*
 * test_follow.c - ingest --follow behaves like tail -F: a file that
 * appears late, rotation by rename, copytruncate, and SIGTERM/SIGINT that
 * commit what was read; and a pipe that falls silent is committed within
 * about a second.  Totals must equal a single clean run exactly.
 * copytruncate loses nothing, after a resume too, and the lines only its
 * copy holds are read from the copy.  A stop request is honoured within a
 * second even inside a line that never ends (/dev/zero, a pipe without
 * newlines).
 */
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

#define BIN MC_BINARY
#define MAILLOG MC_DATA_DIR "/postfix/mta-run/maillog"
#define EXPECT_TOTALS "\"lines\": 7942, \"events\": 2602, \"skipped\": 0, \"unrecognised\": 0, \"hard\": 106," \
                      " \"success\": 816, \"intermediate\": 0, \"transient\": 1272, \"permanent\": 514"


static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static pid_t start(char *const argv[])
{
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, argv[0], NULL, NULL, argv, environ), 0);
    return pid;
}

static int stop(pid_t pid, int sig)
{
    kill(pid, sig);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Waits until the database reports `want` lines (committed), or 10 s. */
static bool wait_lines(const char *db, const char *want)
{
    for (int i = 0; i < 100; i++) {
        char *out = NULL;
        char cmd[512];
        snprintf(cmd, sizeof cmd, "%s report --db %s --format json --by class 2>/dev/null", BIN, db);
        test_run(cmd, &out);
        bool ok = out && strstr(out, want);
        free(out);
        if (ok)
            return true;
        test_sleep_ms(100);
    }
    return false;
}

static void expect_totals(const char *db)
{
    char *out = NULL;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s report --db %s --format json --by class", BIN, db);
    ck_assert_int_eq(test_run(cmd, &out), 0);
    ck_assert_msg(strstr(out, EXPECT_TOTALS), "totals differ:\n%s", out);
    free(out);
}

START_TEST(test_rotation_truncation_late_file)
{
    char db[128], log[128];
    snprintf(db, sizeof db, "%s/db", test_dir);
    snprintf(log, sizeof log, "%s/mail.log", test_dir);
    char *argv[] = {BIN, "ingest", "--quiet", "--follow", "--db", db, log, NULL};
    pid_t pid = start(argv);
    test_sleep_ms(300);
    /* the file appears late */
    sh("head -2000 %s > %s", MAILLOG, log);
    ck_assert(wait_lines(db, "\"lines\": 2000,"));
    /* rotation by rename; the new file starts */
    sh("cd %s && mv mail.log mail.log.1 && sed -n 2001,5000p %s > mail.log", test_dir, MAILLOG);
    ck_assert(wait_lines(db, "\"lines\": 5000,"));
    /* copytruncate: the content is copied away, the file emptied, then grows */
    sh("cd %s && cp mail.log mail.log.2 && : > mail.log", test_dir);
    test_sleep_ms(600);
    sh("tail -n +5001 %s >> %s", MAILLOG, log);
    ck_assert(wait_lines(db, "\"lines\": 7942,"));
    ck_assert_int_eq(stop(pid, SIGTERM), 0);
    expect_totals(db);
    /* the rotated copies are known by fingerprint: nothing is counted twice */
    sh("cd %s && %s ingest --quiet --db db mail.log mail.log.1 mail.log.2 && gzip mail.log.1 && "
       "%s ingest --quiet --db db mail.log.1.gz", test_dir, BIN, BIN);
    expect_totals(db);
}
END_TEST

START_TEST(test_unfinished_line_waits)
{
    char db[128], log[128];
    snprintf(db, sizeof db, "%s/db", test_dir);
    snprintf(log, sizeof log, "%s/mail.log", test_dir);
    /* all but the last line, then the last line in two writes */
    sh("head -7941 %s > %s && tail -1 %s > %s/last", MAILLOG, log, MAILLOG, test_dir);
    char *argv[] = {BIN, "ingest", "--quiet", "--follow", "--db", db, log, NULL};
    pid_t pid = start(argv);
    ck_assert(wait_lines(db, "\"lines\": 7941,"));
    sh("head -c 40 %s/last | tr -d '\\n' >> %s", test_dir, log);
    test_sleep_ms(700);
    ck_assert(wait_lines(db, "\"lines\": 7941,"));
    sh("tail -c +41 %s/last >> %s", test_dir, log);
    ck_assert(wait_lines(db, "\"lines\": 7942,"));
    ck_assert_int_eq(stop(pid, SIGINT), 0);
    expect_totals(db);
}
END_TEST

/* A pipe that falls silent is committed: a killed pipe loses at most the
 * last uncommitted second. */
START_TEST(test_pipe_commits_when_silent)
{
    char db[128];
    snprintf(db, sizeof db, "%s/db", test_dir);
    sh("mkfifo %s/fifo", test_dir);
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s/fifo", test_dir);
    char *argv[] = {BIN, "ingest", "--quiet", "--db", db, fifo, NULL};
    pid_t pid = start(argv);
    /* hold the fifo open for writing in the background, write, stay silent */
    char *writer[] = {"/bin/sh", "-c", NULL, NULL};
    char script[512];
    snprintf(script, sizeof script, "exec 3>%s; cat %s >&3; sleep 8", fifo, MAILLOG);
    writer[2] = script;
    pid_t wpid = start(writer);
    ck_assert(wait_lines(db, "\"lines\": 7942,"));
    /* SIGKILL: nothing is lost, because the silence was committed */
    ck_assert_int_eq(stop(pid, SIGKILL), 128 + SIGKILL);
    stop(wpid, SIGKILL);
    expect_totals(db);
}
END_TEST

/* Sends sig to a running ingest; it must exit 0 within 2 s. */
static void expect_prompt_stop(pid_t pid, int sig, const char *what)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    kill(pid, sig);
    int status = 0;
    pid_t got = 0;
    for (int i = 0; i < 100 && got == 0; i++) {
        got = waitpid(pid, &status, WNOHANG);
        if (got == 0)
            test_sleep_ms(20);
    }
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ck_abort_msg("%s: still running 2 s after signal %d", what, sig);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d after signal %d", what, status,
                  sig);
    ck_assert_msg(took < 2.0, "%s: took %.2f s to stop", what, took);
}

/* The database after a stop: readable, intact, and holding exactly the
 * given line count. */
static void expect_lines(const char *db, const char *want)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report --db %s --format json --by class", BIN, db), 0);
    test_expect_has(out, want);
    free(out);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* /dev/zero is one endless line: SIGTERM and SIGINT stop the ingest inside
 * it, and nothing is counted (the line has not ended). */
START_TEST(test_stop_inside_endless_line)
{
    int sigs[] = {SIGTERM, SIGINT};
    for (int i = 0; i < 2; i++) {
        char db[128];
        snprintf(db, sizeof db, "%s/zero%d.db", test_dir, i);
        char *argv[] = {BIN, "ingest", "--quiet", "--db", db, "/dev/zero", NULL};
        pid_t pid = start(argv);
        test_sleep_ms(1500);
        expect_prompt_stop(pid, sigs[i], "/dev/zero");
        expect_lines(db, "\"lines\": 0, \"events\": 0,");
    }
}
END_TEST

/* A pipe that writes two real lines, falls silent (they are committed),
 * then writes bytes without a newline for ever: stopped within a second,
 * the two lines kept, the endless one not counted. */
START_TEST(test_stop_inside_endless_pipe_line)
{
    int sigs[] = {SIGTERM, SIGINT};
    for (int i = 0; i < 2; i++) {
        char db[128], fifo[128], go[128], script[768];
        snprintf(db, sizeof db, "%s/pipe%d.db", test_dir, i);
        snprintf(fifo, sizeof fifo, "%s/fifo%d", test_dir, i);
        snprintf(go, sizeof go, "%s/go%d", test_dir, i);
        sh("mkfifo %s", fifo);
        char *argv[] = {BIN, "ingest", "--quiet", "--db", db, fifo, NULL};
        pid_t pid = start(argv);
        /* The endless line starts only once the two lines are committed
         * (the silence before it lasts as long as the commit takes, not a
         * fixed time a loaded machine may overrun). */
        snprintf(script, sizeof script,
                 "exec >%s; head -2 %s; while [ ! -e %s ]; do sleep 0.1; done; yes x | tr -d '\\n'", fifo,
                 MAILLOG, go);
        char *writer[] = {"/bin/sh", "-c", script, NULL};
        pid_t wpid = start(writer);
        ck_assert(wait_lines(db, "\"lines\": 2,"));
        sh("touch %s", go);
        test_sleep_ms(2500); /* well inside the endless line */
        expect_prompt_stop(pid, sigs[i], "a pipe without newlines");
        stop(wpid, SIGKILL);
        expect_lines(db, "\"lines\": 2, \"events\": 0,");
    }
}
END_TEST

/* copytruncate while the follower is paused (SIGSTOP), so the order of
 * events is fixed: `before` shell commands run, then the copy and the
 * truncation, then `after`. */
static void copytruncate_paused(pid_t pid, const char *before, const char *after)
{
    kill(pid, SIGSTOP);
    sh("cd %s && %s && cp mail.log mail.log.1 && : > mail.log && %s", test_dir, before, after);
    kill(pid, SIGCONT);
}

/* A follower that resumed a file (skipping what an earlier run counted)
 * still sees a copytruncate: the new content (2,942 lines, over 256 KiB
 * but shorter than the old file) is read from its start. */
START_TEST(test_copytruncate_after_resume)
{
    char db[128], log[128];
    snprintf(db, sizeof db, "%s/db", test_dir);
    snprintf(log, sizeof log, "%s/mail.log", test_dir);
    sh("head -5000 %s > %s && %s ingest --quiet --db %s %s", MAILLOG, log, BIN, db, log);
    char *argv[] = {BIN, "ingest", "--quiet", "--follow", "--db", db, log, NULL};
    pid_t pid = start(argv);
    test_sleep_ms(1000); /* resumed and waiting at the end */
    char after[512];
    snprintf(after, sizeof after, "tail -n +5001 %s >> mail.log", MAILLOG);
    copytruncate_paused(pid, "true", after);
    ck_assert(wait_lines(db, "\"lines\": 7942,"));
    ck_assert_int_eq(stop(pid, SIGTERM), 0);
    expect_totals(db);
}
END_TEST

/* Lines written after the follower's last read and before the copy exist
 * only in the copy (mail.log.1, same first bytes): they are read from it. */
START_TEST(test_copytruncate_reads_the_copy)
{
    char db[128], log[128];
    snprintf(db, sizeof db, "%s/db", test_dir);
    snprintf(log, sizeof log, "%s/mail.log", test_dir);
    sh("head -5000 %s > %s", MAILLOG, log);
    char *argv[] = {BIN, "ingest", "--quiet", "--follow", "--db", db, log, NULL};
    pid_t pid = start(argv);
    ck_assert(wait_lines(db, "\"lines\": 5000,"));
    char before[512], after[512];
    snprintf(before, sizeof before, "sed -n 5001,6000p %s >> mail.log", MAILLOG);
    snprintf(after, sizeof after, "tail -n +6001 %s >> mail.log", MAILLOG);
    copytruncate_paused(pid, before, after);
    ck_assert(wait_lines(db, "\"lines\": 7942,"));
    ck_assert_int_eq(stop(pid, SIGTERM), 0);
    expect_totals(db);
    /* the copy and the new file are known: nothing is counted twice */
    sh("cd %s && %s ingest --quiet --db db mail.log.1 mail.log", test_dir, BIN);
    expect_totals(db);
}
END_TEST

static Suite *follow_suite(void)
{
    Suite *s = suite_create("follow");
    TCase *tc = tcase_create("follow");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, test_dir_setup, test_dir_teardown);
    tcase_add_test(tc, test_rotation_truncation_late_file);
    tcase_add_test(tc, test_unfinished_line_waits);
    tcase_add_test(tc, test_pipe_commits_when_silent);
    tcase_add_test(tc, test_stop_inside_endless_line);
    tcase_add_test(tc, test_copytruncate_after_resume);
    tcase_add_test(tc, test_copytruncate_reads_the_copy);
    tcase_add_test(tc, test_stop_inside_endless_pipe_line);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(follow_suite)
