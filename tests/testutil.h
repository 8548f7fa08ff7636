/*
 * testutil.h - shared helpers for the Check suites: the real rules from the
 * source tree, a parser with a fixed "today" (2026-11-23) so year inference
 * is repeatable, and assertions on string views.
 */
#ifndef MC_TESTUTIL_H
#define MC_TESTUTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* Check marks every assertion that holds (_mark_point: a write to the
 * runner's pipe, a system call each): the differential suites, which
 * assert millions of times, spent half their time in the kernel (5.3
 * million writes in test_factread).  Here an assertion that holds costs
 * its test alone; one that fails is reported as before.  (After a crash
 * Check names the last point it was told of, not the last assertion:
 * the sanitizer build gives the stack.) */
#undef ck_assert_msg
#define ck_assert_msg(expr, ...)                                                                    \
    ((expr) ? (void)0 : _ck_assert_failed(__FILE__, __LINE__, "Assertion '" #expr "' failed", ##__VA_ARGS__))

#include "classify.h"
#include "event.h"
#include "parse.h"
#include "rules.h"

/* Loads the source tree's rules once per test process. */
const mc_rules *test_rules(void);

/* Parses and classifies one line as `scan` would, with today = 2026-11-23.
 * Returns the parse result; *ev is valid while line is. */
mc_parse_result test_parse(const char *line, mc_event *ev);

/* Classifies an event made of a code pair, a status and a reply text;
 * the event's views point at the arguments. */
mc_event test_classify(const char *code, const char *enhanced, const char *status, const char *text);

/* The path of a test data file, relative to tests/data (malloc'd). */
char *test_corpus_path(const char *rel);
/* Returns the first line of a tests/data file containing needle (malloc'd),
 * failing the test when there is none: tests quote real lines by a unique
 * fragment instead of copying them. */
char *test_corpus_line(const char *rel, const char *needle);

/* Runs triage --format json --top 1000 on log and the Python lines py on
 * its problems (the list p); returns what py printed (malloc'd). */
char *test_triage_python(const char *log, const char *py);

/* Runs a shell command, returns its exit status; output captured in *out
 * (malloc'd) when out is non-NULL. */
int test_run(const char *cmd, char **out);
/* The same with the command built from a format. */
int test_runf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A private temporary directory per test: add test_dir_setup and
 * test_dir_teardown as a checked fixture, then use test_dir. */
extern char test_dir[64];
void test_dir_setup(void);
void test_dir_teardown(void);

/* Prepares test_dir for a command run as a user who may not write (nobody,
 * when the test runs as root): copies the mailcodes binary and the rules
 * into it as ./mailcodes and ./rules and opens it to everyone, since that
 * user may not reach the build or source tree (a clone in a 0700 home).
 * Returns the command prefix that switches to that user ("" when not root);
 * run "cd test_dir && PREFIX./mailcodes ... --rules rules". */
const char *test_as_other_user(void);

/* Fail the test when hay lacks (or has) needle, showing hay. */
void test_expect_has(const char *hay, const char *needle);
void test_expect_lacks(const char *hay, const char *needle);

void test_sleep_ms(int ms);

/* The fixtures of the crash and concurrency suites: unchecked (once per
 * test case), big.log (~16 MB: twelve copies of the real Postfix run, each
 * moved one day on) in a directory of the case's own; checked (per test),
 * test_dir_setup, then big.log in test_dir. */
void test_big_log_once_setup(void);
void test_big_log_once_teardown(void);
void test_big_log_setup(void);
/* The database test_dir/db must hold exactly what one clean ingest of
 * big.log gives, on every dimension; how says what the test did to it. */
void test_expect_clean_counts(const char *db, const char *how);
/* joined false: leaves the join by message out (two files read at once). */
void test_expect_clean_counts_as(const char *db, const char *how, bool joined);
/* The report of test_dir/db on every dimension, as JSON (malloc'd). */
char *test_report_all(const char *db);

#define ck_assert_view(view, expected)                                                           \
    do {                                                                                         \
        mc_str v_ = (view);                                                                      \
        const char *e_ = (expected);                                                             \
        if (e_ == NULL)                                                                          \
            ck_assert_msg(v_.p == NULL, "expected null, got '%.*s'", (int)v_.n, v_.p);           \
        else {                                                                                   \
            ck_assert_msg(v_.p != NULL, "expected '%s', got null", e_);                         \
            ck_assert_msg(v_.n == strlen(e_) && memcmp(v_.p, e_, v_.n) == 0,                     \
                          "expected '%s', got '%.*s'", e_, (int)v_.n, v_.p);                     \
        }                                                                                        \
    } while (0)

#define ck_assert_cstr_or_null(actual, expected)                                                 \
    do {                                                                                         \
        const char *a_ = (actual), *e_ = (expected);                                             \
        if (e_ == NULL)                                                                          \
            ck_assert_msg(a_ == NULL || *a_ == '\0', "expected null, got '%s'", a_);             \
        else                                                                                     \
            ck_assert_msg(a_ && strcmp(a_, e_) == 0, "expected '%s', got '%s'", e_, a_ ? a_ : "(null)"); \
    } while (0)

/* What a line parsed to, as text to compare: the result, every field the
 * parser fills and, with p, the parser's fact and its queue id. */
void test_parse_fingerprint(const mc_parser *p, mc_parse_result r, const mc_event *ev, char *buf, size_t cap);

/* A match context with the parser's first match limit (and mt's JIT
 * stack, mt made here): a pattern run with it does what the parser's
 * first try does.  Free both when done. */
pcre2_match_context *test_first_limit_context(mc_matcher *mt);

/* Whether a pattern's result is one of PCRE2's limits (match, depth, heap,
 * JIT stack): the pattern needed more than the limits it was given. */
bool test_hit_limit(int rc);

/* Every test file ends with MC_TEST_MAIN(its_suite_function). */
/* Every whole line of every file of tests/data but the databases
 * (gzip'd or not: the Exim runs' logs are), without its end, to fn with
 * its path; file (or NULL) once before each file's first line.  A piece
 * of a line longer than 64 KiB is left out. */
void test_each_data_line(void (*fn)(const char *path, const char *line, size_t n), void (*file)(void));

#define MC_TEST_MAIN(suite_fn)                                                                   \
    int main(void)                                                                               \
    {                                                                                            \
        SRunner *sr = srunner_create(suite_fn());                                                \
        srunner_run_all(sr, CK_NORMAL);                                                          \
        int failed = srunner_ntests_failed(sr);                                                  \
        srunner_free(sr);                                                                        \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                             \
    }

#endif
