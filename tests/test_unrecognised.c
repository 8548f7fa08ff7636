/*
 * test_unrecognised.c - accounting for lines that look like outcomes but
 * match no rule: their shape (variable parts folded), --unrecognised FILE
 * holding each such line once over resumed runs, and the report naming the
 * most common shapes.
 */
#include <stdio.h>

#include "lineshape.h"
#include "testutil.h"

#define BIN MC_BINARY
/* Real malformed lines (placeholder codes "12", "123 1.2.3") no rule reads. */
#define MALFORMED MC_DATA_DIR "/postfix/sergeymakinen-postfix_exporter-mail.log"

/* Shapes worked out by hand from the lines: time and host dropped, words
 * with a digit or dot to '#', with an '@' to '@'. */
START_TEST(test_shape_folding)
{
    static const struct {
        const char *line, *shape;
    } cases[] = {
        {"Jan 1 00:00:00 hostname postfix/smtp[12345]: 123456789AB: host example.com[123.45.67.89] said: 12 "
         "Malformed (in reply to RCPT TO command)",
         "postfix/smtp[#]: #: host #[#] said: # Malformed (in reply to RCPT TO command)"},
        {"2023-02-01T01:02:04.123456+00:00 mx2 postfix-out/smtp[7]: 4WzPS31N13z8slH: to=<a.b@c.example>, "
         "status=bounced",
         "postfix-out/smtp[#]: #: to=<@>, status=bounced"},
        /* no syslog tag (an Exim mainlog line): the whole line is folded */
        {"2026-11-23 12:56:42 1xVTb8-0002UE-0K == grey@bravo.test R=sink_route defer (-44)",
         "# #:#:# # == @ R=sink_route defer (#)"},
        /* bytes outside printable ASCII never reach a report */
        {"Nov 23 07:00:01 mx postfix/smtpd[1]: NOQUEUE: reject: \x1b[31m \xc3\xa9t\xc3\xa9",
         "postfix/smtpd[#]: NOQUEUE: reject: ?[# ??t??"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[MC_SHAPE_MAX];
        size_t n = line_shape(mc_str_cstr(cases[i].line), out, sizeof out);
        ck_assert_str_eq(out, cases[i].shape);
        ck_assert_uint_eq(n, strlen(cases[i].shape));
    }
    /* a long line is cut, and says so */
    char line[600], out[MC_SHAPE_MAX];
    int head = snprintf(line, sizeof line, "Nov 23 07:00:01 mx postfix/smtp[1]: status=");
    memset(line + head, 'x', 500);
    line[head + 500] = '\0';
    line_shape(mc_str_cstr(line), out, sizeof out);
    ck_assert_uint_eq(strlen(out), MC_SHAPE_MAX - 1);
    ck_assert_str_eq(out + MC_SHAPE_MAX - 4, "...");
}
END_TEST

/* A log ingested in two runs (it grew in between): FILE holds each of its
 * unrecognised lines exactly once, in order, as one scan of the whole log
 * writes them; a third run over nothing new adds nothing. */
START_TEST(test_file_once_over_runs)
{
    char *out = NULL;
    int rc = test_runf(&out,
                       "cd %s && head -n 30 %s > mail.log && "
                       "%s ingest --quiet --db t.db --unrecognised u.txt mail.log && "
                       "tail -n +31 %s >> mail.log && "
                       "%s ingest --quiet --db t.db --unrecognised u.txt mail.log && "
                       "%s ingest --quiet --db t.db --unrecognised u.txt mail.log && "
                       "%s scan --unrecognised whole.txt mail.log > /dev/null && "
                       "cmp u.txt whole.txt && wc -l < u.txt",
                       test_dir, MALFORMED, BIN, MALFORMED, BIN, BIN, BIN);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_int_eq(atoi(out), 13); /* grep-counted: the file's 13 malformed outcome lines */
    free(out);
}
END_TEST

/* The daily report names the three most common shapes with their counts:
 * three lines of one shape (only numbers differ), two of another, one each
 * of two more (the tie goes to the shape that sorts first). */
START_TEST(test_report_top_shapes)
{
    const char *lines =
        "Nov 23 10:00:01 mx postfix/smtp[101]: 1A: host a.example[192.0.2.1] said: 12 Malformed (in reply to RCPT TO command)\n"
        "Nov 23 10:00:02 mx postfix/smtp[102]: 2B: host b.example[192.0.2.2] said: 13 Malformed (in reply to RCPT TO command)\n"
        "Nov 23 10:00:03 mx postfix/smtp[103]: 3C: host c.example[192.0.2.3] said: 14 Malformed (in reply to RCPT TO command)\n"
        "Nov 23 10:00:04 mx postfix/smtpd[104]: NOQUEUE: reject: Unsupported 1\n"
        "Nov 23 10:00:05 mx postfix/smtpd[105]: NOQUEUE: reject: Unsupported 2\n"
        "Nov 23 10:00:06 mx postfix/qmgr[106]: 4D: from=<a@b>>, status=expired, returned to sender\n"
        "Nov 23 10:00:07 mx postfix/cleanup[107]: 5E: reject: nonsense\n";
    char path[128];
    snprintf(path, sizeof path, "%s/mail.log", test_dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(lines, f);
    fclose(f);
    char *out = NULL;
    int rc = test_runf(&out, "cd %s && %s ingest --quiet --db t.db mail.log && %s report --db t.db",
                       test_dir, BIN, BIN);
    ck_assert_msg(rc == 0, "%s", out);
    test_expect_has(out, "unrecognised outcome lines                    7\n"
                         "             3  postfix/smtp[#]: #: host #[#] said: # Malformed (in reply to RCPT TO command)\n"
                         "             2  postfix/smtpd[#]: NOQUEUE: reject: Unsupported #\n"
                         "             1  postfix/cleanup[#]: #: reject: nonsense\n");
    test_expect_lacks(out, "postfix/qmgr[#]");
    free(out);
    rc = test_runf(&out, "%s report --db %s/t.db --format json", BIN, test_dir);
    ck_assert_msg(rc == 0, "%s", out);
    test_expect_has(out, "\"unrecognised\": {\"count\": 7, \"top\": ["
                         "[\"postfix/smtp[#]: #: host #[#] said: # Malformed (in reply to RCPT TO command)\", 3], "
                         "[\"postfix/smtpd[#]: NOQUEUE: reject: Unsupported #\", 2], "
                         "[\"postfix/cleanup[#]: #: reject: nonsense\", 1]]}");
    free(out);
}
END_TEST

static Suite *unrecognised_suite(void)
{
    Suite *s = suite_create("unrecognised");
    TCase *tc = tcase_create("accounting");
    tcase_add_checked_fixture(tc, test_dir_setup, test_dir_teardown);
    tcase_add_test(tc, test_shape_folding);
    tcase_add_test(tc, test_file_once_over_runs);
    tcase_add_test(tc, test_report_top_shapes);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(unrecognised_suite)
