/*
 * test_crash.c - crash safety: ingest is killed with SIGKILL (and stopped
 * with SIGINT / SIGTERM) at points of a large input chosen by what the test
 * sees of it from outside (its database open, the position it committed,
 * SQLite's write lock held), run again until it finishes, and the database
 * must then equal one clean run exactly, on every dimension.  The
 * interruptions must have landed where they prove something: some before
 * a run's first commit, enough after one.  Also: two ingests of different files into one database
 * at once, and a report while an ingest writes (two of the same file:
 * test_concurrent.c).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

#define BIN MC_BINARY
#define MAILLOG MC_DATA_DIR "/postfix/mta-run/maillog"

/* Where an interruption landed, seen from outside the process at the
 * moment of the signal: the database not yet open (its file not among
 * /proc/PID/fd), open but no position committed by this run yet, this run's
 * batch being written (SQLite's WAL write lock on DB-shm is held: from
 * BEGIN IMMEDIATE to COMMIT), between commits, or the whole file's position
 * committed (the run is finishing, its database maybe closed).  Only a
 * signal after the run's first commit can catch a batch counted but not
 * positioned, or counted again. */
enum phase { PH_UNOPENED, PH_FIRST, PH_WRITE, PH_BETWEEN, PH_END, N_PHASES };

static const char *const phase_names[N_PHASES] = {
    [PH_UNOPENED] = "before the database opened", [PH_FIRST] = "before the run's first commit",
    [PH_WRITE] = "during a batch's write",        [PH_BETWEEN] = "between commits",
    [PH_END] = "after the last commit",
};

/* The interruptions of one loop of reruns, by phase. */
typedef struct {
    int landed[N_PHASES];
    int after_first;  /* of them, after a commit of the interrupted run */
    int before_first; /* after the open, before that commit (in its write, too) */
} landings;

/* Whether process pid has file path (a real path) open. */
static bool has_open(pid_t pid, const char *path)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    if (d == NULL)
        return false; /* gone */
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(d)) != NULL;) {
        char link[PATH_MAX + 80], target[PATH_MAX];
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            found = strcmp(target, path) == 0;
        }
    }
    closedir(d);
    return found;
}

/* The position committed for the input in database db (0: none yet, or no
 * database), read as a report would (read-only, WAL: it never waits for
 * the writer). */
static long long committed_offset(const char *db)
{
    sqlite3 *h = NULL;
    long long offset = 0;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 5000);
        sqlite3_stmt *st = NULL;
        /* no table yet: the database is being made */
        if (sqlite3_prepare_v2(h, "SELECT coalesce(max(offset), 0) FROM sources", -1, &st, NULL) == SQLITE_OK) {
            int rc = sqlite3_step(st);
            ck_assert_msg(rc == SQLITE_ROW, "reading %s: %s", db, sqlite3_errmsg(h));
            offset = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return offset;
}

/* Whether another process holds SQLite's WAL write lock (the first lock
 * byte of the wal-index, 120) on shm, the database's -shm file.  The test
 * holds no lock on it (its connection, committed_offset, is closed by
 * then): closing the descriptor drops none. */
static bool write_locked(const char *shm)
{
    int fd = open(shm, O_RDONLY);
    if (fd < 0)
        return false; /* not made yet */
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 120, .l_len = 1};
    bool locked = fcntl(fd, F_GETLK, &l) == 0 && l.l_type != F_UNLCK;
    close(fd);
    return locked;
}

/* Where a signal to pid, about to be sent, lands (db and shm real paths,
 * from: the position when the run started, size: the input's). */
static enum phase phase_now(pid_t pid, const char *db, const char *shm, long long from, long long size,
                            long long *at)
{
    bool open = has_open(pid, db);
    *at = committed_offset(db);
    if (*at == size) /* the database may be closed already: the run is ending */
        return PH_END;
    if (!open)
        return PH_UNOPENED;
    if (write_locked(shm))
        return PH_WRITE;
    return *at == from ? PH_FIRST : PH_BETWEEN;
}

/* One line per loop of reruns in the test's output: where they landed. */
static void landings_print(const landings *l, const char *what, double seconds)
{
    printf("test_crash: %s: %.1f s,", what, seconds);
    for (int p = 0; p < N_PHASES; p++)
        printf(" %d %s%s", l->landed[p], phase_names[p], p + 1 < N_PHASES ? "," : ";");
    printf(" %d after the run's first commit, %d after the open and before it\n", l->after_first, l->before_first);
    fflush(stdout);
}

/* The paths one loop of reruns watches, and its input's size. */
typedef struct {
    char db[PATH_MAX], shm[PATH_MAX + 8]; /* real paths, as /proc/PID/fd shows them */
    long long size;
} watched;

/* A monotonic clock, in milliseconds. */
static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Whether pid has exited (reaped, its status in *status). */
static bool exited(pid_t pid, int *status) { return waitpid(pid, status, WNOHANG) == pid; }

/* Spawns ingest with argv and interrupts it with sig where aim says:
 * PH_FIRST, delay_ms after it opened the database; PH_BETWEEN and
 * PH_WRITE, once it has committed a position, delay_ms later, the next
 * moment it holds the write lock (or does not); PH_END, once the position
 * of the whole input is committed.  Returns the phase the signal landed in
 * (or -1: the run finished by itself), with the committed positions when
 * the run started (*from) and at the signal (*at). */
static int run_interrupted(char **argv, const watched *w, int sig, enum phase aim, int delay_ms, int period_ms,
                           long long *from, long long *at)
{
    *from = *at = committed_offset(w->db);
    pid_t pid;
    int status;
    ck_assert_int_eq(posix_spawn(&pid, BIN, NULL, NULL, argv, environ), 0);
    /* Its signal handlers are in place before it opens the database. */
    while (!has_open(pid, w->db)) {
        if (exited(pid, &status))
            goto finished; /* nothing to do, or a failure: the check says */
        test_sleep_ms(1);
    }
    enum phase ph;
    if (aim == PH_FIRST) {
        test_sleep_ms(delay_ms);
        ph = phase_now(pid, w->db, w->shm, *from, w->size, at);
    } else {
        while ((*at = committed_offset(w->db)) == *from || (aim == PH_END && *at < w->size)) {
            if (exited(pid, &status))
                goto finished;
            test_sleep_ms(1);
        }
        if (aim != PH_END)
            test_sleep_ms(delay_ms);
        /* The whole input committed is as good a landing as any after a
         * commit; so is any other once a few commit periods have passed:
         * when the writer is slower than the reader, its batches follow
         * each other within microseconds, and a run waiting for a moment
         * between them would run to its end. */
        double give_up = now_ms() + 3 * period_ms;
        while ((ph = phase_now(pid, w->db, w->shm, *from, w->size, at)) != aim && ph != PH_END &&
               now_ms() < give_up) {
            /* A write starts and ends at a moment's notice: look at the lock alone until it turns. */
            while (write_locked(w->shm) != (aim == PH_WRITE) && now_ms() < give_up) {
                if (exited(pid, &status))
                    goto finished;
                sched_yield();
            }
        }
    }
    kill(pid, sig);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    /* It may have finished between the look and the signal. */
    if (sig == SIGKILL && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return -1;
    if (sig == SIGKILL)
        ck_assert(WIFSIGNALED(status));
    else /* SIGINT / SIGTERM: commit and exit cleanly */
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d after signal %d", status, sig);
    return (int)ph;
finished:
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ingest failed (status %d)", status);
    return -1;
}

/* What the interruptions aim at in turn: before the run's first commit,
 * between commits, in a batch's write.  Those after a commit come right
 * after the run's first (within a commit period): a rerun then goes on
 * from one batch further (big.log commits at each of its 12 hours), so
 * they land in every part of the input however fast the machine is.  Once
 * less than a sixth of it is left, the last aims after the last commit. */
static const enum phase aims[3] = {PH_FIRST, PH_BETWEEN, PH_WRITE};

/* At least this many interruptions must land after a commit of the run
 * they interrupt: only those can find a batch counted without its
 * position, or counted again by the rerun.  A SIGKILL after a commit
 * moves the next run on by a batch or two of big.log's 12 on a loaded or
 * sanitized build, where 6 land there in one loop; a SIGINT or SIGTERM
 * commits what was read as well, and 3 land there.  An idle machine runs
 * further within a commit period and covers the file in fewer runs (2 of
 * 4 landed after a commit in one loop, on an idle 2-core VM): the loops
 * of interrupted_until_proven then add up to the requirement. */
#define AFTER_FIRST_KILL 3
#define AFTER_FIRST_STOP 2

/* Runs ingest, interrupting it with sig where aims says until a run
 * finishes by itself or one is stopped after the last commit, then once
 * more (it must find nothing new), and adds where the signals landed to
 * *total.  Returns the number of interrupted runs.  every:
 * --commit-every; jobs: --jobs (NULL: the default). */
static int ingest_interrupted_every(const char *db, int sig, unsigned int *seed, char *every, char *jobs,
                                    landings *total)
{
    char dbpath[128], log[128];
    snprintf(dbpath, sizeof dbpath, "%s/%s", test_dir, db);
    snprintf(log, sizeof log, "%s/big.log", test_dir);
    watched w;
    ck_assert_ptr_nonnull(realpath(test_dir, w.db));
    ck_assert_int_lt(strlen(w.db) + strlen(db) + 1, PATH_MAX);
    strcat(strcat(w.db, "/"), db);
    snprintf(w.shm, sizeof w.shm, "%s-shm", w.db);
    struct stat st;
    ck_assert_int_eq(stat(log, &st), 0);
    w.size = st.st_size;
    const int period_ms = (int)(atof(every) * 1000);
    char *argv[] = {BIN, "ingest", "--quiet", "--commit-every", every, "--db", dbpath, log, NULL, NULL, NULL};
    if (jobs) { /* else the default */
        argv[8] = "--jobs";
        argv[9] = jobs;
    }
    landings l = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int interrupted = 0;
    for (int i = 0; i < 40; i++) { /* a bound: each turn of aims moves on by a batch or two */
        enum phase aim = committed_offset(w.db) > w.size / 6 * 5 ? PH_END : aims[i % 3];
        long long from, at;
        int ph = run_interrupted(argv, &w, sig, aim, (int)(rand_r(seed) % (unsigned)period_ms), period_ms, &from, &at);
        if (ph < 0)
            break;
        interrupted++;
        l.landed[ph]++;
        l.after_first += at > from;
        l.before_first += at == from && ph != PH_END;
        if (ph == PH_END)
            break;
    }
    pid_t pid;
    int status;
    ck_assert_int_eq(posix_spawn(&pid, BIN, NULL, NULL, argv, environ), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ingest failed");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char what[128];
    snprintf(what, sizeof what, "signal %d, --commit-every %s, --jobs %s, %d interruptions", sig, every,
             jobs ? jobs : "default", interrupted);
    landings_print(&l, what, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    for (int p = 0; p < N_PHASES; p++)
        total->landed[p] += l.landed[p];
    total->after_first += l.after_first;
    total->before_first += l.before_first;
    return interrupted;
}

/* Loops of reruns as ingest_interrupted_every's, each on a new database
 * db and each ending with the clean counts, until the landings of all of
 * them meet the requirement (AFTER_FIRST_*, and one before a first
 * commit): a fast machine can cover big.log in fewer interrupted runs
 * than the requirement asks of one loop, so the loops add up what one
 * loop proves instead of lowering it.  At most MAX_LOOPS loops; then the
 * requirement fails. */
#define MAX_LOOPS 6
static void interrupted_until_proven(const char *db, int sig, unsigned int *seed, char *every, char *jobs)
{
    const int min = sig == SIGKILL ? AFTER_FIRST_KILL : AFTER_FIRST_STOP;
    landings total = {0};
    int loops = 0;
    while (loops < MAX_LOOPS && (total.after_first < min || total.before_first < 1)) {
        char path[160], how[96];
        static const char *const suffixes[] = {"", "-wal", "-shm"};
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
            snprintf(path, sizeof path, "%s/%s%s", test_dir, db, suffixes[i]);
            ck_assert_msg(unlink(path) == 0 || errno == ENOENT, "cannot remove %s", path);
        }
        int n = ingest_interrupted_every(db, sig, seed, every, jobs, &total);
        ck_assert_int_ge(n, 1);
        snprintf(how, sizeof how, "after %d interruptions (signal %d, --jobs %s)", n, sig, jobs ? jobs : "default");
        test_expect_clean_counts(db, how);
        loops++;
    }
    ck_assert_msg(total.before_first >= 1, "signal %d: none landed before a run's first commit in %d loops", sig,
                  loops);
    ck_assert_msg(total.after_first >= min, "signal %d: %d landed after a run's first commit in %d loops, not %d",
                  sig, total.after_first, loops, min);
}

static void check_signal(int sig, unsigned int seed) { interrupted_until_proven("killed.db", sig, &seed, "0.02", NULL); }

START_TEST(test_sigkill) { check_signal(SIGKILL, 42); }
END_TEST
START_TEST(test_sigint) { check_signal(SIGINT, 7); }
END_TEST
START_TEST(test_sigterm) { check_signal(SIGTERM, 99); }
END_TEST

/* SIGKILL while batches go to the writer thread every 10 ms, with two
 * parser threads and with one: a kill lands while a batch is in flight
 * and the next is read, in the hand-off, or in a commit; whatever it
 * hits, the reruns end with the clean counts (a batch committed with
 * another's position, or the next batch's rows in it, would lose or
 * double lines). */
START_TEST(test_sigkill_handoff)
{
    unsigned int seed = 2026;
    char *jobs[] = {"2", "1"};
    for (int j = 0; j < 2; j++) {
        char db[32];
        snprintf(db, sizeof db, "handoff%d.db", j);
        interrupted_until_proven(db, SIGKILL, &seed, "0.01", jobs[j]);
    }
}
END_TEST

/* An error of the writer thread, on a batch after some were committed
 * (a trigger refuses the failure events of Nov 15 on, the sixth of
 * big.log's twelve days): exit 3 with SQLite's message, the batches before
 * it committed with their positions (the source further than first.log,
 * short of the end), and a rerun without the trigger completes the counts
 * exactly. */
START_TEST(test_writer_error)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(NULL, "cd %s && head -2000 big.log > first.log && "
                                     "%s ingest --quiet --db refused.db first.log && "
                                     "sqlite3 refused.db \"CREATE TRIGGER refuse BEFORE INSERT ON failure_blocks"
                                     " WHEN substr(NEW.hour, 6, 5) >= '11-15'"
                                     " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;\"",
                               test_dir, BIN), 0);
    test_runf(&out, "cd %s && %s ingest --quiet --commit-every 0.01 --db refused.db big.log 2>&1; echo \"rc=$?\"",
              test_dir, BIN);
    ck_assert_msg(strstr(out, "rc=3") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "refused by the test") != NULL, "%s", out);
    free(out);
    ck_assert_int_eq(test_runf(&out, "cd %s && echo $(wc -c < first.log) $(wc -c < big.log) "
                                     "$(sqlite3 refused.db 'SELECT offset FROM sources')", test_dir), 0);
    long long first, big, offset;
    ck_assert_int_eq(sscanf(out, "%lld %lld %lld", &first, &big, &offset), 3);
    ck_assert_msg(offset > first && offset < big, "%s", out);
    free(out);
    ck_assert_int_eq(test_runf(NULL, "cd %s && sqlite3 refused.db 'DROP TRIGGER refuse' && "
                                     "%s ingest --quiet --db refused.db big.log",
                               test_dir, BIN), 0);
    test_expect_clean_counts("refused.db", "after a writer error and a rerun");
}
END_TEST

START_TEST(test_concurrent_writers_and_reader)
{
    char cmd[2048];
    /* two different files into one new database at once, a report in
     * between: both ingests succeed (they once failed to set up the new
     * file together, "database is locked") */
    snprintf(cmd, sizeof cmd,
             "cd %s && head -50000 big.log > a.log && tail -n +50001 big.log > b.log && "
             "(%s ingest --quiet --db shared.db a.log & a=$!; %s ingest --quiet --db shared.db b.log & b=$!; "
             " for i in 1 2 3 4 5; do %s report --db shared.db --format json >/dev/null 2>err || "
             "  { grep -q 'does not exist' err || exit 1; }; done; wait $a && wait $b)",
             test_dir, BIN, BIN, BIN);
    ck_assert_int_eq(system(cmd), 0);
    /* Two halves of one log read at once: a message whose lines fall in
     * both is joined in neither (docs/CONTRACT.md says so); all else agrees. */
    test_expect_clean_counts_as("shared.db", "two ingests at once", false);
}
END_TEST

/* A full disk (a file-size limit stands in for it): exit 3 with a clear
 * message, the database stays valid, and a rerun with room completes the
 * counts exactly. */
START_TEST(test_disk_full)
{
    char cmd[2048];
    char *out = NULL;
    snprintf(cmd, sizeof cmd, "cd %s && (ulimit -f 300; %s ingest --quiet --db full.db big.log 2>&1; echo \"rc=$?\")",
             test_dir, BIN);
    test_run(cmd, &out);
    ck_assert_msg(strstr(out, "rc=3") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "is the disk full?") != NULL, "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "%s ingest --quiet --db %s/full.db %s/big.log", BIN, test_dir, test_dir);
    ck_assert_int_eq(system(cmd), 0);
    test_expect_clean_counts("full.db", "after a full disk and a rerun");
}
END_TEST

/* A database the user may read but not write: ingest fails with exit 3 and
 * a hint; report still reads it.  As root (who ignores permissions) the
 * check runs as nobody (see test_as_other_user). */
START_TEST(test_read_only_database)
{
    char cmd[2048];
    char *out = NULL;
    snprintf(cmd, sizeof cmd, "cd %s && head -3000 big.log > small.log && tail -1000 big.log > more.log && "
                              "%s ingest --quiet --db ro.db small.log", test_dir, BIN);
    ck_assert_int_eq(system(cmd), 0);
    const char *as = test_as_other_user();
    snprintf(cmd, sizeof cmd, "chmod 444 %s/ro.db", test_dir);
    ck_assert_int_eq(system(cmd), 0);
    /* new lines, so ingest has to write (the same file again would not) */
    snprintf(cmd, sizeof cmd, "cd %s && %s./mailcodes ingest --rules rules --quiet --db ro.db more.log 2>&1; "
                              "echo \"rc=$?\"", test_dir, as);
    test_run(cmd, &out);
    ck_assert_msg(strstr(out, "rc=3") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "permissions") != NULL, "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "cd %s && %s./mailcodes report --rules rules --db ro.db --format json --by class",
             test_dir, as);
    ck_assert_int_eq(test_run(cmd, &out), 0);
    ck_assert_msg(strstr(out, "\"lines\": 3000,") != NULL, "%s", out);
    free(out);
}
END_TEST

static Suite *crash_suite(void)
{
    Suite *s = suite_create("crash");
    TCase *tc = tcase_create("crash");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, test_big_log_once_setup, test_big_log_once_teardown);
    tcase_add_checked_fixture(tc, test_big_log_setup, test_dir_teardown);
    tcase_add_test(tc, test_sigkill);
    tcase_add_test(tc, test_sigint);
    tcase_add_test(tc, test_sigterm);
    tcase_add_test(tc, test_sigkill_handoff);
    tcase_add_test(tc, test_writer_error);
    tcase_add_test(tc, test_concurrent_writers_and_reader);
    tcase_add_test(tc, test_disk_full);
    tcase_add_test(tc, test_read_only_database);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(crash_suite)
