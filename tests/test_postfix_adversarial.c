/*
 * test_postfix_adversarial.c - malformed Postfix lines must cost little.
 *
 * Every Postfix rule family gets near-miss lines built to make a regex
 * backtrack: long runs of the separators its pattern repeats over (", ",
 * " a=b,", "; from=<", unterminated "(", thousands of "said:"), each line
 * carrying the family's literals so the pattern really runs.  Each line
 * must be read (as unrecognised or not an outcome) within a budget far
 * below the 8 ms a 20 KB malformed delivery line used to cost, while the
 * real line of the same family still parses.
 */
#include <time.h>

#include "testutil.h"

/* Repetitions of the attack unit: lines of 10-60 KB. */
#define REPS 3000
/* Budget per line: 1 ms plus 0.25 ms per KB.  Linear patterns need about
 * 0.005 ms per KB (0.05 under the sanitizers); the ambiguous ones this test
 * was written against took 0.5-2.6 ms per KB at these lengths, and more the
 * longer the line. */
#define BUDGET_MS(bytes) (1.0 + 0.25 * (double)(bytes) / 1024.0)

typedef struct {
    const char *family; /* the rule the line is aimed at */
    const char *program, *head, *unit, *tail;
} attack;

static const attack attacks[] = {
    {"delivery", "smtp", "ABC123: to=<a@b>, relay=x[1.2.3.4]:25, ", ", ", "status=bogus"},
    {"delivery", "smtp", "ABC123: to=<a@b>, relay=x[1.2.3.4]:25,", " a=b,", " status=bogus"},
    {"delivery", "smtp", "ABC123: to=<a@b>, relay=x, ", "dsn=4.0.0, ", "status=nope"},
    {"delivery", "smtp", "ABC123: to=<a@b>, relay=x,", " dsn=4.0.0,", " a=b, status=nope"},
    {"delivery", "smtp", "ABC123: to=<a@b>, relay=x,", " a=", " status=sent (x"},
    {"delivery", "error", "ABC123: to=", "<", ", relay=x, status="},
    {"delivery", "smtp", "ABC123: to=<a@b>, relay=x, dsn=5.0.0, status=bounced (", "(said: 550 ", ""},
    {"delivery", "smtp", "ABC123: to=<a@b>, relay=x, dsn=5.0.0, status=bounced (", "host x said: ", "x) y"},
    {"delivery", "lmtp", "ABC123: to=<a@b>, relay=x, dsn=4.4.2, status=deferred (", "lost connection with x while sending ", ")"},
    {"host-reply", "smtp", "ABC123: host x said: ", "said: ", ""},
    {"host-reply", "smtp", "ABC123: host ", "a", " said: 55"},
    {"verify-probe", "smtp", "ABC: to=<a>,", " status=x,", ""},
    {"expired", "qmgr", "ABC: from=<", "a, size=1,", " status=expird"},
    {"smtpd-reject", "smtpd", "NOQUEUE: reject: RCPT from a[1.2.3.4]: 554 5.7.1 x", "; from=<", ""},
    {"smtpd-reject", "smtpd", "NOQUEUE: reject: RCPT from a[1.2.3.4]: 554 5.7.1 x", "; from=<", ">"},
    {"smtpd-reject", "smtpd", "NOQUEUE: milter-reject: MAIL from a[1.2.3.4]: 451 4.7.1 x", "; from=<a>, to=<", ">"},
    {"smtpd-reject", "smtpd", "NOQUEUE: reject: RCPT from ", "a:", " 554"},
    {"smtpd-reject", "postscreen", "NOQUEUE: reject: RCPT from [1.2.3.4]:5: 550 5.7.1 x", "; from=<a>, to=<", ""},
    {"postscreen-connect", "postscreen", "NOQUEUE: reject: CONNECT from ", "a", " reject:"},
    {"cleanup-reject", "cleanup", "ABC: reject: header Subject: x", " from a; from=<b> to=<c>: ", "zz"},
    {"cleanup-reject", "cleanup", "ABC: reject: header Subject: x", " from a; from=<", ""},
    {"cleanup-reject", "cleanup", "ABC: reject: header Subject: x", " from a; from=<", "> to=<b>: 5.7.1"},
    {"cleanup-reject", "cleanup", "ABC: reject: body x from a; from=<b> to=<c>", ": ", "x"},
    {"cleanup-milter-reject", "cleanup", "ABC: milter-reject: END-OF-MESSAGE from a[1]: 5.7.1 x", "; from=<", ""},
    {"cleanup-milter-reject", "cleanup", "ABC: milter-reject: END-OF-MESSAGE from a[1]: 5.7.1 x", "; from=<", ">"},
    {"cleanup-milter-reject", "cleanup", "ABC: milter-reject: END-OF-MESSAGE from ", "a:", " 5.7.1"},
    {"stage", "smtp", "ABC: to=<a@b>, relay=x, dsn=4.4.2, status=deferred (", "(in reply to aaaa ", ")"},
    {"stage", "smtp", "ABC: to=<a@b>, relay=x, dsn=4.4.2, status=deferred (", "conversation with x ", ")"},
    {"reply", "smtp", "ABC: to=<a@b>, relay=x, dsn=4.4.2, status=deferred (", "said: 4", ")"},
    {"debug", "smtpd", "generic_checks: ", "a_", " status=1 x"},
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Builds "stamp host postfix/PROGRAM[1]: head unit*REPS tail". */
static char *build(const attack *a)
{
    size_t n = 64 + strlen(a->program) + strlen(a->head) + strlen(a->unit) * REPS + strlen(a->tail);
    char *line = malloc(n), *p = line;
    ck_assert_ptr_nonnull(line);
    p += sprintf(p, "Nov 23 12:52:06 mx postfix/%s[1]: %s", a->program, a->head);
    for (int i = 0; i < REPS; i++)
        p = stpcpy(p, a->unit);
    strcpy(p, a->tail);
    return line;
}

START_TEST(test_near_miss_is_fast)
{
    const attack *a = &attacks[_i];
    char *line = build(a);
    mc_event ev;
    /* The best of a few runs: the machine is shared, and one run can be
     * preempted; backtracking costs every run the same. */
    double ms = 1e9;
    for (int run = 0; run < 5; run++) {
        double t0 = now_ms();
        test_parse(line, &ev);
        double t = now_ms() - t0;
        if (t < ms)
            ms = t;
    }
    fprintf(stderr, "%-22s %-40.40s %7zu bytes %8.3f ms\n", a->family, a->unit, strlen(line), ms);
    ck_assert_msg(ms < BUDGET_MS(strlen(line)), "[%s] '%s' x%d took %.2f ms", a->family, a->unit, REPS, ms);
    free(line);
}
END_TEST

static Suite *adversarial_suite(void)
{
    Suite *s = suite_create("postfix-adversarial");
    TCase *tc = tcase_create("near-misses");
    tcase_add_loop_test(tc, test_near_miss_is_fast, 0, (int)(sizeof attacks / sizeof attacks[0]));
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(adversarial_suite)
