/*
 * test_warnings.c - the MTA's own warning, error, fatal and panic lines
 * (src/mtawarn.c, the [@warnings] of the MTA rules): grouped with their
 * variable words folded, counted, first and last seen, the newest line as
 * the sample; the same from files and from a database; a bounded table;
 * escaped in every format; fatal and panic ranked by triage.  Expected
 * counts are counted off the real logs in the test (grep) or by hand, as
 * each comment says, never taken from mailcodes' own output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lineshape.h"
#include "mtawarn.h"
#include "parse.h"
#include "rules.h"
#include "testutil.h"

#define BIN MC_BINARY
#define MTA_RUN MC_DATA_DIR "/postfix/mta-run/maillog"
#define PUBLIC MC_DATA_DIR "/postfix-public/warnings.log"
#define EXIM_RUN MC_DATA_DIR "/exim-runs/default.log.gz"
#define EXIM_DEBUG MC_DATA_DIR "/exim-runs/debug.log.gz"

/* A number a shell command prints. */
static long shell_count(const char *cmd)
{
    char *out = NULL;
    int rc = test_run(cmd, &out);
    ck_assert_msg(rc == 0, "%s: %s", cmd, out);
    long n = strtol(out, NULL, 10);
    free(out);
    return n;
}

/* The JSON object of one group, as report --format json writes it. */
static void expect_group(const char *json, const char *mta, const char *severity, const char *text, long count,
                         const char *first, const char *last, const char *sample)
{
    char want[1024];
    snprintf(want, sizeof want,
             "{\"mta\": \"%s\", \"severity\": \"%s\", \"text\": \"%s\", \"count\": %ld, \"first\": \"%s\","
             " \"last\": \"%s\", \"sample\": \"%s\"}",
             mta, severity, text, count, first, last, sample);
    test_expect_has(json, want);
}

/* The real run's local(8) lock file warnings: pflogsumm's Warnings section
 * lists this line x4; counted here with grep, independently of mailcodes.
 * First and last: the first and last such line of the file (lines 397 and
 * 4360, 12:52:06 and 12:52:46). */
START_TEST(test_mta_run_lock_file)
{
    long lock = shell_count("grep -c 'postfix/local\\[[0-9]*\\]: warning: unable to create lock file "
                            "/nonexistent-dir/mailcodes/box.lock: No such file or directory' " MTA_RUN);
    ck_assert_int_eq(lock, 4); /* pflogsumm's figure */
    long all = shell_count("grep -cE 'postfix[^ ]*\\[[0-9]+\\]: (warning|error|fatal|panic): ' " MTA_RUN);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report --format json %s", BIN, MTA_RUN), 0);
    expect_group(out, "postfix", "warning", "unable to create lock file /nonexistent-dir/mailcodes/#: No such file or directory",
                 lock, "2026-11-23T12:52:06", "2026-11-23T12:52:46",
                 "warning: unable to create lock file /nonexistent-dir/mailcodes/box.lock: No such file or directory");
    /* every warning line of the run is in a group: here the lock file ones are all */
    ck_assert_int_eq(all, lock);
    test_expect_lacks(out, "\"severity\": \"fatal\"");
    free(out);
    /* the daily report's section, after the problems */
    ck_assert_int_eq(test_runf(&out, "%s report %s", BIN, MTA_RUN), 0);
    char *problems = strstr(out, "Top problems"), *section = strstr(out, "\nWarnings (");
    ck_assert_msg(problems && section && problems < section, "%s", out);
    test_expect_has(section, "\n           4  warning unable to create lock file /nonexistent-dir/mailcodes/#: No such file or\n"
                             "                      directory\n        seen: first 2026-11-23T12:52:06, last 2026-11-23T12:52:46 (postfix)\n");
    free(out);
}
END_TEST

/* Public Postfix lines (tests/data/postfix-public/warnings.log, hand
 * counted): "fatal: no SASL authentication mechanisms" on lines 2, 8 and
 * 13; master's "process /usr/lib/postfix/smtpd pid N exit status 1" on
 * lines 3, 5, 9 and 14, its pids folded; "bad command startup" on 4, 10,
 * 15.  Every line is of one year, so the newest of a group is its line of
 * January 21 (the others are of January 6 and 10).  The fatal group comes
 * first: rules/reasons.conf weighs [mta-fatal], not warnings. */
START_TEST(test_public_groups)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report --format json %s", BIN, PUBLIC), 0);
    char *list = strstr(out, "\"mta_warnings\": [\n  {\"mta\": \"postfix\", \"severity\": \"fatal\"");
    ck_assert_msg(list != NULL, "%s", out);
    int year = 0;
    ck_assert_int_eq(sscanf(strstr(out, "\"first\": \"") + 10, "%d", &year), 1);
    char first[64], last[64];
    snprintf(first, sizeof first, "%d-01-06T14:16:45", year);
    snprintf(last, sizeof last, "%d-01-21T11:06:07", year);
    expect_group(out, "postfix", "fatal", "no SASL authentication mechanisms", 3, first, last,
                 "fatal: no SASL authentication mechanisms");
    snprintf(first, sizeof first, "%d-01-06T14:16:46", year);
    snprintf(last, sizeof last, "%d-01-21T11:06:08", year);
    expect_group(out, "postfix", "warning", "process /usr/lib/postfix/smtpd pid # exit status #", 4, first, last,
                 "warning: process /usr/lib/postfix/smtpd pid 6550 exit status 1");
    expect_group(out, "postfix", "warning", "/usr/lib/postfix/smtpd: bad command startup -- throttling", 3, first,
                 last, "warning: /usr/lib/postfix/smtpd: bad command startup -- throttling");
    /* the queue id and the address folded */
    test_expect_has(out, "\"text\": \"#: sender_canonical_maps map lookup problem for @ -- message not accepted,"
                         " try again later\", \"count\": 1");
    /* 18 lines, 2 of them smtpd's connect lines: 16 warning and fatal lines in all */
    long sum = 0;
    for (const char *p = strstr(out, "\"mta_warnings\""); (p = strstr(p, "\"count\": ")) != NULL; p++)
        sum += strtol(p + 9, NULL, 10);
    ck_assert_int_eq(sum, 16);
    free(out);
}
END_TEST

/* Exim writes "exim user lost privilege for using -C option" to its panic
 * log too: the debug run of the same Exim shows it under "LOG: MAIN PANIC".
 * The default run's mainlog has it on every -C process: counted with zgrep. */
START_TEST(test_exim_panic)
{
    long panics = shell_count("zcat " EXIM_DEBUG " | grep -A1 'LOG: MAIN PANIC$' | "
                              "grep -c '^[0-9]*   exim user lost privilege for using -C option$'");
    ck_assert_int_gt(panics, 0);
    long lines = shell_count("zcat " EXIM_RUN " | grep -c ' exim user lost privilege for using -C option$'");
    ck_assert_int_eq(lines, 48);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report --format json %s", BIN, EXIM_RUN), 0);
    char *first = NULL, *last = NULL;
    ck_assert_int_eq(test_run("zcat " EXIM_RUN " | grep ' exim user lost privilege' | head -1 | cut -c1-19 | tr ' ' T",
                              &first), 0);
    ck_assert_int_eq(test_run("zcat " EXIM_RUN " | grep ' exim user lost privilege' | tail -1 | cut -c1-19 | tr ' ' T",
                              &last), 0);
    first[strcspn(first, "\n")] = last[strcspn(last, "\n")] = '\0';
    expect_group(out, "exim", "panic", "exim user lost privilege for using -C option", lines, first, last,
                 "exim user lost privilege for using -C option");
    free(out);
    /* triage ranks it first: a panic outweighs the run's blocklisting and AUTH failure */
    ck_assert_int_eq(test_runf(&out, "%s triage --since 2026-11-01 --format json %s", BIN, EXIM_RUN), 0);
    test_expect_has(out, "\"problems\": [\n  {\"rank\": 1, \"direction\": \"local\", \"status\": \"panic\", \"code\": null,"
                         " \"enhanced\": null, \"reason\": \"mta-panic\", \"class\": \"unknown\", \"count\": 48,");
    test_expect_has(out, "\"title\": \"exim user lost privilege for using -C option\"");
    free(out);
    free(first);
    free(last);
}
END_TEST

/* Triage ranks the public log's fatal group as a problem of this host,
 * with its first and last line and the reason's advice; its warnings are
 * not problems (rules/reasons.conf has no [mta-warning]).  It is our MTA
 * itself, not one of our deliveries: its head says its severity and whose
 * fault (no class, no code), its count is of log lines (3: grep -c
 * "fatal: no SASL authentication mechanisms" on the file), and the daily
 * report shows it under its own heading, apart from the local deliveries;
 * before, it read "[unknown, local] --- -.-.-", "3 events" under "Our own
 * deliveries on this host".  JSON keeps its direction "local" (CONTRACT). */
START_TEST(test_triage_fatal)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s triage --since 1970-01-02 %s", BIN, PUBLIC), 0);
    test_expect_has(out, "\n1. [fatal, our MTA] no SASL authentication mechanisms\n"
                         "   evidence: 3 log lines\n");
    test_expect_has(out, "     sample: fatal: no SASL authentication mechanisms\n");
    test_expect_has(out, "postfix check");
    test_expect_lacks(out, "-.-.- /usr/lib/postfix/smtpd: bad command startup");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s", BIN, PUBLIC), 0);
    test_expect_has(out, "\nOur MTA itself: its own fatal and panic lines (this host)\n\n"
                         "  1. fatal  3 log lines  no SASL authentication mechanisms\n");
    test_expect_lacks(out, "Our own deliveries on this host");
    test_expect_lacks(out, "3 events");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s triage --since 1970-01-02 %s --format json --lang de", BIN, PUBLIC), 0);
    test_expect_has(out, "{\"rank\": 1, \"direction\": \"local\", \"status\": \"fatal\",");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report %s --lang de --format html", BIN, PUBLIC), 0);
    test_expect_has(out, "<h3>Unser MTA selbst: seine eigenen fatal- und panic-Zeilen (dieser Host)</h3>");
    free(out);
}
END_TEST

/* The same groups from a database: ingest stores them per hour, in two
 * runs of a log that grew, and the report reads them back. */
START_TEST(test_from_database)
{
    char *out = NULL;
    int rc = test_runf(&out,
                       "cd %s && head -n 2000 %s > mail.log && %s ingest --db t.db mail.log && "
                       "cat %s > mail.log && %s ingest --db t.db mail.log && %s report --db t.db --format json",
                       test_dir, MTA_RUN, BIN, MTA_RUN, BIN, BIN);
    ck_assert_msg(rc == 0, "%s", out);
    /* lines 397 .. 4360 hold the four: the first run saw one of them */
    expect_group(out, "postfix", "warning", "unable to create lock file /nonexistent-dir/mailcodes/#: No such file or directory",
                 4, "2026-11-23T12:52:06", "2026-11-23T12:52:46",
                 "warning: unable to create lock file /nonexistent-dir/mailcodes/box.lock: No such file or directory");
    free(out);
}
END_TEST

/* At most 100 groups an hour are kept: the lines of the others count as
 * the hour's other warnings, so the total stays exact.  The lines are the
 * real cleanup warning of the public log with its map name varied by
 * letters (digits would fold into one group); more than a batch's 64
 * groups also makes ingest flush mid-file. */
START_TEST(test_bounded)
{
    /* the line the groups are made from is in the public log */
    char *real = test_corpus_line("postfix-public/warnings.log", "is unavailable. open database");
    ck_assert_ptr_nonnull(real);
    free(real);
    FILE *f;
    char path[256];
    snprintf(path, sizeof path, "%s/many.log", test_dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 130; i++)
        fprintf(f, "Jan 10 11:19:39 hostname postfix/cleanup[777199]: warning: hash:/etc/postfix/%c%c_maps is"
                   " unavailable. open database /etc/postfix/sender_canonical_maps: No such file or directory\n",
                'a' + i / 26, 'a' + i % 26);
    fclose(f);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report --format json %s", BIN, path), 0);
    size_t named = 0;
    for (const char *p = out; (p = strstr(p, "\"text\": \"hash:")) != NULL; p++)
        named++;
    ck_assert_uint_eq(named, 100);
    test_expect_has(out, "\"severity\": \"warning\", \"text\": null, \"count\": 30,");
    free(out);
}
END_TEST

/* Attacker words in a warning never reach an output raw: a client's
 * HELO with a terminal escape and HTML, in smtpd's real warning wording. */
START_TEST(test_escaped)
{
    char path[256];
    snprintf(path, sizeof path, "%s/evil.log", test_dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("Jan 10 11:19:39 mx postfix/smtpd[7]: warning: Illegal address syntax from unknown[192.0.2.1] in"
          " MAIL command: <\x1b[31m<script>alert(1)</script>@x>\n", f);
    fclose(f);
    static const char *const formats[] = {"text", "json", "html"};
    for (size_t i = 0; i < 3; i++) {
        char *out = NULL;
        ck_assert_int_eq(test_runf(&out, "%s report --format %s %s", BIN, formats[i], path), 0);
        ck_assert_msg(strchr(out, '\x1b') == NULL, "%s: raw escape", formats[i]);
        if (i == 2)
            test_expect_lacks(out, "<script>");
        test_expect_has(out, "Illegal address syntax from unknown");
        free(out);
    }
}
END_TEST

/* A [@warnings] pattern that does not start with ^ and a literal would
 * run on every line: the rules refuse it, saying where. */
START_TEST(test_rules_need_literal)
{
    char *out = NULL;
    int rc = test_runf(&out,
                       "cd %s && cp -r %s rules && printf 'notice = ^(?<text>.+)\\n' >> rules/mta/postfix.conf && "
                       "%s explain 550 --rules rules 2>&1; echo rc=$?",
                       test_dir, MC_SOURCE_RULES, BIN);
    ck_assert_msg(rc == 0, "%s", out);
    test_expect_has(out, "postfix.conf:");
    test_expect_has(out, "[@warnings]: the pattern must start with ^ and a literal");
    test_expect_has(out, "rc=2");
    free(out);
}
END_TEST

/* A warning's text is folded from its first byte (text_shape), not from a
 * "]: " inside it as for a whole line. */
START_TEST(test_text_shape)
{
    char out[MC_SHAPE_MAX];
    text_shape(mc_str_cstr("hash:/etc/x lookup error for host[192.0.2.1]: 451 busy"), out, sizeof out);
    ck_assert_str_eq(out, "hash:/etc/x lookup error for host[#]: # busy");
}
END_TEST

/* One line through the warnings pass twice: after the parser has parsed
 * it (the pass takes the parser's own envelope split and its first look,
 * may_warn) and by a parser that never saw it (the pass splits the line
 * itself and walks every MTA's rules).  Both must give the same answer.
 * Returns whether it is a warning. */
static bool same_both(const mc_rules *r, mc_parser *parsed, mc_parser *fresh, mc_buf *scratch, const char *path,
                      mc_str l)
{
    mc_event ev;
    (void)parser_line(parsed, l, &ev);
    fresh->years = parsed->years;
    mc_warning a, b;
    bool wa = mtawarn_line(&r->warnings, parsed, l, scratch, &a);
    bool wb = mtawarn_line(&r->warnings, fresh, l, scratch, &b);
    ck_assert_msg(wa == wb, "%s: %.*s", path, (int)l.n, l.p);
    if (wa) {
        ck_assert_str_eq(a.text, b.text);
        ck_assert_str_eq(a.severity, b.severity);
        ck_assert(a.message.n == b.message.n && memcmp(a.message.p, b.message.p, a.message.n) == 0);
    }
    /* Taken once: a second look at the same bytes splits them again. */
    ck_assert(parsed->env_line.p == NULL);
    return wa;
}

static long literals_put_in; /* lines that had a rule's literal put in, and were warnings */

/* One file's lines through same_both; one line in 8 also with each MTA
 * rule's literal put in at its start and after each of its first 6
 * spaces (where a message, a text after a stamp, a pid or an id starts),
 * as the literal and as the literal less its last byte.  Returns the
 * warnings found among the file's own lines. */
static long same_both_ways(const char *path)
{
    const mc_rules *r = test_rules();
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s", path);
    mc_parser parsed, fresh;
    parser_init(&parsed, &r->parse);
    parser_init(&fresh, &r->parse);
    mc_buf scratch = {0};
    char *line = NULL, *put = NULL;
    size_t cap = 0;
    ssize_t n;
    long found = 0;
    for (long k = 0; (n = getline(&line, &cap, f)) > 0; k++) {
        if (line[n - 1] == '\n')
            n--;
        found += same_both(r, &parsed, &fresh, &scratch, path, mc_str_make(line, (size_t)n));
        if (k % 8 != 0)
            continue;
        put = realloc(put, (size_t)n + 256);
        ck_assert_ptr_nonnull(put);
        for (size_t at = 0, spaces = 0; at < (size_t)n && spaces <= 6; at++) {
            if (at > 0 && line[at - 1] != ' ')
                continue;
            spaces += at > 0;
            for (size_t i = 0; i < r->warnings.n_mtas; i++)
                for (size_t j = 0; j < r->warnings.mtas[i].n_rules; j++) {
                    const mc_warn_rule *wr = &r->warnings.mtas[i].rules[j];
                    for (size_t len = wr->start_len - 1; len <= wr->start_len && wr->start_len < 200; len++) {
                        memcpy(put, line, at);
                        memcpy(put + at, wr->start, len);
                        memcpy(put + at + len, line + at, (size_t)n - at);
                        literals_put_in +=
                            same_both(r, &parsed, &fresh, &scratch, path, mc_str_make(put, (size_t)n + len));
                    }
                }
        }
    }
    free(line);
    free(put);
    mc_buf_free(&scratch);
    parser_free(&parsed);
    parser_free(&fresh);
    fclose(f);
    return found;
}

/* The parser's split reused by the warnings pass changes no answer: every
 * line of real Postfix and Exim logs (Exim's test suite logs hold its
 * "failed to expand" panics; warnings.log the public Postfix warnings),
 * and the envelope forms (Docker JSON, CRI, TAI64N, shippers). */
START_TEST(test_parser_split_reused)
{
    literals_put_in = 0;
    ck_assert_int_eq(same_both_ways(PUBLIC), 16);
    ck_assert_int_eq(same_both_ways(MTA_RUN), 4);
    long exim = 0;
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "ls %s/exim/exim-testsuite/log", MC_DATA_DIR), 0);
    for (char *save = NULL, *w = strtok_r(out, "\n", &save); w; w = strtok_r(NULL, "\n", &save)) {
        char path[4096];
        snprintf(path, sizeof path, "%s/exim/exim-testsuite/log/%s", MC_DATA_DIR, w);
        exim += same_both_ways(path);
    }
    free(out);
    ck_assert_msg(exim > 0, "no Exim warning found: the comparison proved nothing");
    const char *env[] = {"compose.log", "cri.log", "docker-json.log", "shippers.log", "tai64n.log"};
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/envelopes/%s", MC_DATA_DIR, env[i]);
        same_both_ways(path);
    }
    /* The literals put in made warnings of both MTAs' shapes: the first
     * look was asked about lines it must not turn away. */
    ck_assert_int_gt(literals_put_in, 1000);
}
END_TEST

/* Exim's lines through syslog (program exim or exim4, an id before the
 * text): the first look inlined in the caller (mtawarn.h mtawarn_passed)
 * must let them on by the program's name length alone, since the message
 * does not start with a literal; the parsed and the fresh path agree.
 * The expected answers are from exim.conf's [@warnings]: its programs
 * "exim exim4", its prefix (an id and its space) and its panic rule
 * "^failed to expand .+". */
START_TEST(test_first_look_syslog)
{
    const mc_rules *r = test_rules();
    static const struct {
        const char *line;
        bool warning;
    } cases[] = {
        {"Nov 30 06:00:00 mx exim[123]: 1wXyZa-000001-AB failed to expand \"${lookup}\"", true},
        {"Nov 30 06:00:00 mx exim4[9]: 1wXyZa-000001-AB failed to expand \"${if}\"", true},
        {"Nov 30 06:00:00 mx exim4[9]: failed to expand \"${if}\"", true},
        {"Nov 30 06:00:00 mx eximx[9]: 1wXyZa-000001-AB failed to expand \"${if}\"", false},
        {"Nov 30 06:00:00 mx exim[9]: 1wXyZa-000001-AB not failed to expand", false},
        {"Nov 30 06:00:00 mx postfix/smtpd[9]: 1wXyZa-000001-AB failed to expand x", false},
    };
    mc_parser parsed, fresh;
    parser_init(&parsed, &r->parse);
    parser_init(&fresh, &r->parse);
    mc_buf scratch = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mc_str l = mc_str_make(cases[i].line, strlen(cases[i].line));
        mc_event ev;
        (void)parser_line(&parsed, l, &ev);
        ck_assert_msg(parsed.env_line.p == l.p, "not split by the parser: %s", cases[i].line);
        mc_warning a;
        ck_assert_msg(mtawarn_line(&r->warnings, &parsed, l, &scratch, &a) == cases[i].warning, "%s", cases[i].line);
        if (cases[i].warning) {
            ck_assert_str_eq(a.mta, "exim");
            ck_assert_str_eq(a.severity, "panic");
        }
        ck_assert(same_both(r, &parsed, &fresh, &scratch, "cases", l) == cases[i].warning);
    }
    mc_buf_free(&scratch);
    parser_free(&parsed);
    parser_free(&fresh);
}
END_TEST

/* The shipped rules copied to test_dir/name, edited there by the shell
 * command edit (run in that directory), and their two MTAs' [@warnings]
 * loaded into w. */
static void load_edited(mc_warn_rules *w, const char *name, const char *edit)
{
    char *out = NULL;
    int rc = test_runf(&out, "cd %s && rm -rf %s && cp -r %s %s && cd %s && %s", test_dir, name, MC_SOURCE_RULES, name,
                       name, edit);
    ck_assert_msg(rc == 0, "%s", out);
    free(out);
    char dir[512], err[512];
    snprintf(dir, sizeof dir, "%s/%s", test_dir, name);
    const char *files[] = {"mta/exim.conf", "mta/postfix.conf"};
    ck_assert_msg(mtawarn_load(w, dir, files, 2, err, sizeof err), "%s", err);
}

/* The gate of the one MTA with a prefix, asked where the line is read
 * (mtawarn.h mtawarn_passed, prefixed_gate): only when that MTA is the
 * only one with a prefix and its prefix is the shipped pattern (with the
 * reader and gate); then it turns away most lines of Exim's own log
 * before any call.  A second MTA with a prefix, whose lines the Exim gate
 * knows nothing of, must keep its warnings: Postfix with a prefix "x "
 * added (a line's "x warning: ..." is then a warning by it alone). */
START_TEST(test_first_look_gate)
{
    const mc_rules *r = test_rules();
    const mc_warn_mta *exim = NULL;
    for (size_t i = 0; i < r->warnings.n_mtas; i++)
        if (strcmp(r->warnings.mtas[i].mta, "exim") == 0)
            exim = &r->warnings.mtas[i];
    ck_assert_ptr_nonnull(exim);
    ck_assert_uint_eq(r->warnings.n_prefixed, 1);

    /* Exim's own log, the test suite's: lines turned away where read,
     * and the rest (the parser's split) answer as the fresh path does. */
    mc_parser parsed, fresh;
    parser_init(&parsed, &r->parse);
    parser_init(&fresh, &r->parse);
    mc_buf scratch = {0};
    const char *exim_log = MC_DATA_DIR "/exim/exim-testsuite/log/5700";
    FILE *f = fopen(exim_log, "r");
    ck_assert_msg(f != NULL, "%s", exim_log);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lines = 0, turned = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            n--;
        mc_str l = mc_str_make(line, (size_t)n);
        mc_event ev;
        (void)parser_line(&parsed, l, &ev);
        if (parsed.env_line.p == l.p && parsed.env.form == LOGLINE_EXIM) {
            lines++;
            turned += mtawarn_passed(&r->warnings, &parsed.env);
        }
        (void)same_both(r, &parsed, &fresh, &scratch, exim_log, l);
    }
    fclose(f);
    ck_assert_int_gt(lines, 10);
    ck_assert_msg(turned * 10 >= lines * 9, "%ld of %ld lines turned away where read", turned, lines);
    ck_assert_ptr_eq(r->warnings.prefixed_gate, exim->first_pairs);

    /* Postfix with a prefix too: no gate where the line is read, and its
     * warnings after the prefix are found. */
    mc_warn_rules two;
    load_edited(&two, "two", "printf 'prefix = ^(?:x )?\\nprefix_words = 1\\n' >> mta/postfix.conf");
    ck_assert_uint_eq(two.n_prefixed, 2);
    static const char *const pf = "Nov 30 06:00:00 mx postfix/smtpd[9]: x warning: hostname nowhere.example does not resolve";
    mc_str l = mc_str_make(pf, strlen(pf));
    mc_event ev;
    (void)parser_line(&parsed, l, &ev);
    ck_assert(parsed.env_line.p == l.p);
    mc_warning w;
    ck_assert(mtawarn_line(&two, &parsed, l, &scratch, &w));
    ck_assert_str_eq(w.mta, "postfix");
    ck_assert_str_eq(w.severity, "warning");
    ck_assert_ptr_null(two.prefixed_gate);
    mtawarn_free(&two);

    /* An edited Exim prefix has no reader: no gate where read. */
    load_edited(&two, "ed", "sed -i 's/^prefix = \\(.*\\)$/prefix = \\1(?:x )?/' mta/exim.conf");
    ck_assert_uint_eq(two.n_prefixed, 1);
    ck_assert_ptr_null(two.mtas[two.prefixed[0]].read_prefix);
    ck_assert_ptr_null(two.prefixed_gate);
    /* Its own log's lines then go on past the first look (no gate to
     * ask): a panic after the id is found. */
    static const char *const own = "2026-11-30 06:00:00 1wXyZa-000001-AB failed to expand \"${if}\"";
    l = mc_str_make(own, strlen(own));
    (void)parser_line(&parsed, l, &ev);
    ck_assert(parsed.env_line.p == l.p && parsed.env.form == LOGLINE_EXIM);
    ck_assert(mtawarn_line(&two, &parsed, l, &scratch, &w));
    ck_assert_str_eq(w.mta, "exim");
    ck_assert_str_eq(w.severity, "panic");
    mtawarn_free(&two);

    free(line);
    mc_buf_free(&scratch);
    parser_free(&parsed);
    parser_free(&fresh);
}
END_TEST

/* The prefix's hand reader gives the length PCRE2's match of the prefix
 * pattern gives: on every line of the Exim logs of tests/data (test suite
 * logs and the gzip'd runs, each line whole and from each of its first 4
 * spaces), and on mutations of their first 64 bytes (each byte replaced by
 * the bytes the pattern looks at, cut at each byte, a byte put in; one
 * line in 16).  The
 * shipped pattern has the reader; an edited one has none. */
static mc_matcher reader_matcher;
static const mc_warn_mta *reader_mta;
static long reader_compared, reader_differ, reader_gated;

/* Reader against regex on one message. */
static void compare_prefix(const char *p, size_t n)
{
    if (n > MC_WARN_READ_MAX)
        return;
    mc_str s = mc_str_make(p, n);
    size_t got = reader_mta->read_prefix(s);
    ck_assert(pattern_match(&reader_mta->prefix, &reader_matcher, s));
    mc_str whole = pattern_capture(&reader_matcher, s, 0);
    reader_compared++;
    /* The gate says no rule's literal may follow the prefix: none does. */
    if (!reader_mta->prefix_gate(reader_mta->first_pairs, s)) {
        reader_gated++;
        for (size_t j = 0; j < reader_mta->n_rules; j++) {
            const mc_warn_rule *r = &reader_mta->rules[j];
            ck_assert_msg(!(n - got >= r->start_len && memcmp(p + got, r->start, r->start_len) == 0),
                          "gated, but \"%s\" follows the prefix: %.*s", r->start, (int)(n < 80 ? n : 80), p);
        }
    }
    if (whole.p != s.p || whole.n != got) {
        if (reader_differ++ < 5)
            fprintf(stderr, "prefix: reader %zu, regex %zu: %.*s\n", got, whole.n, (int)(n < 80 ? n : 80), p);
    }
}

/* One line, its tails after its first spaces, and (mutate) its
 * mutations. */
static void compare_prefix_line(const char *line, size_t n, bool mutate)
{
    static const char swaps[] = " -:.[]+0a9Z\n\x80";
    for (size_t i = 0, spaces = 0; i <= n && spaces <= 4; i++) {
        if (i > 0 && line[i - 1] != ' ')
            continue;
        spaces += i > 0;
        compare_prefix(line + i, n - i);
    }
    char buf[MC_WARN_READ_MAX + 2];
    if (!mutate || n > MC_WARN_READ_MAX)
        return;
    for (size_t at = 0; at < n && at < 64; at++) {
        memcpy(buf, line, n);
        for (const char *c = swaps; *c; c++) {
            buf[at] = *c;
            compare_prefix(buf, n);
        }
        compare_prefix(line, at); /* cut */
        memcpy(buf, line, at);    /* a byte put in */
        buf[at] = line[at] == ' ' ? '1' : ' ';
        memcpy(buf + at + 1, line + at, n - at);
        compare_prefix(buf, n + 1);
    }
}

/* Every line of one file (gzip'd or not). */
static void compare_prefix_file(const char *path)
{
    gzFile f = gzopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char line[8192];
    /* Every line; one in 16 mutated (the logs repeat their shapes). */
    for (long k = 0; gzgets(f, line, sizeof line) != NULL; k++) {
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        compare_prefix_line(line, n, k % 16 == 0);
    }
    gzclose(f);
}

START_TEST(test_prefix_reader)
{
    const mc_rules *r = test_rules();
    reader_mta = NULL;
    for (size_t i = 0; i < r->warnings.n_mtas; i++)
        if (r->warnings.mtas[i].has_prefix)
            reader_mta = &r->warnings.mtas[i];
    ck_assert_ptr_nonnull(reader_mta);
    ck_assert_str_eq(reader_mta->mta, "exim");
    ck_assert_ptr_nonnull(reader_mta->read_prefix);
    /* An edited pattern runs as the regex it is. */
    char edited[1024];
    snprintf(edited, sizeof edited, "%s(?:x )?", reader_mta->prefix.source);
    mc_prefix_gate gate;
    ck_assert_ptr_null(mtawarn_prefix_reader(edited, &gate));
    ck_assert_ptr_null(gate);
    ck_assert_ptr_nonnull(mtawarn_prefix_reader(reader_mta->prefix.source, &gate));
    ck_assert_ptr_nonnull(gate);
    ck_assert_ptr_nonnull(reader_mta->prefix_gate);
    matcher_init(&reader_matcher);
    reader_compared = reader_differ = reader_gated = 0;
    /* By hand: each group, its counts at and past their ends. */
    static const char *const cases[] = {
        "2026-10-01 00:00:00 1xC4Km-8QlEDp-pk <= a@b",
        "2026-10-01 00:00:00.123456 +0100 [1234] 1xC4Km-8QlEDp-pkpk Completed",
        "2026-10-01 00:00:00.1234567 x", "2026-10-01 00:00:0 x", "2026-10-01 00:00:00 +010 x",
        "2026-10-01 00:00:00 -0100x", "[] x", "[12]x", "[12] 1xC4Km-8QlED-pk x", "1xC4Km-8QlEDp12345-pk x",
        "1xC4Km-8QlEDp-p x", "1xC4Km-8QlEDp-pkpkp x", "1xC4K-8QlEDp-pk x", "1xC4Km-8QlEDp-pk", "",
        "2026-10-01 00:00:00", "2026-10-01 00:00:00 ", "failed to expand x",
        /* A literal after the id (the gate's second place), cut and
         * mutated around it. */
        "1xC4Km-8QlEDp-pk Failed to get write lock for /var/spool/exim/db/retry.lockfile",
        "1xC4Km-8QlEDpabcde-pkpk failed to expand \"${lookup{x}lsearch{/etc/y}}\"",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        compare_prefix_line(cases[i], strlen(cases[i]), true);
    /* The same, and ids cut and grown at each count, on messages of 24
     * bytes or more (the reader's block path). */
    static const char *const ids[] = {"1xC4Km-8QlEDp-pk", "1xC4Km-8QlEDpabcde-pkpk", "1xC4Km-8QlEDpabcdef-pk",
                                      "1xC4Km-8QlED-pk", "1xC4Km-8QlEDp-p", "1xC4Km-8QlEDp-pkpkp", "1xC4Kmm-8QlEDp-pk",
                                      "1xC4K-8QlEDp-pk", "1xC4\x80m-8QlEDp-pk", "1xC4Km-8QlEDp-p\x80", "abc"};
    char padded[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(padded, sizeof padded, "%s and enough words for a block", cases[i]);
        compare_prefix_line(padded, strlen(padded), true);
    }
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        for (const char *after = " => x@example.com R=a T=b"; *after; after++) {
            snprintf(padded, sizeof padded, "%s%s%s", ids[i], after, " padding past the 24 bytes");
            compare_prefix_line(padded, strlen(padded), true);
        }
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "ls %s/exim/exim-testsuite/log/* %s/exim-runs/*.log.gz %s/exim/*.log", MC_DATA_DIR,
                               MC_DATA_DIR, MC_DATA_DIR), 0);
    size_t files = 0;
    for (char *save = NULL, *w = strtok_r(out, "\n", &save); w; w = strtok_r(NULL, "\n", &save), files++)
        compare_prefix_file(w);
    free(out);
    matcher_free(&reader_matcher);
    ck_assert_uint_gt(files, 100);
    ck_assert_int_gt(reader_compared, 1000000);
    ck_assert_msg(reader_differ == 0, "%ld of %ld messages read differently", reader_differ, reader_compared);
    /* The gate passed over most real lines without the reader. */
    ck_assert_int_gt(reader_gated, reader_compared / 4);
}
END_TEST

/* mtawarn_pair_at (its first byte's test, then the pair's bit) answers
 * as the rules' literals say, by their text: at every place of every
 * pair of bytes, for each MTA's table and for start_pairs (any MTA's),
 * with the shipped rules and with rules whose literals share first
 * bytes and pairs ("warm", "wax", "pan" added to Postfix's); and never
 * where fewer than 3 bytes are left. */
static void pairs_by_text(const mc_warn_rules *w)
{
    char s[8] = "..xyz..";
    long yes = 0;
    for (unsigned c0 = 0; c0 < 256; c0++)
        for (unsigned c1 = 0; c1 < 256; c1++) {
            bool any = false;
            for (size_t i = 0; i < w->n_mtas; i++) {
                const mc_warn_mta *m = &w->mtas[i];
                bool own = false;
                for (size_t j = 0; j < m->n_rules; j++)
                    own |= (unsigned char)m->rules[j].start[0] == c0 && (unsigned char)m->rules[j].start[1] == c1;
                any |= own;
                for (size_t at = 0; at < 5; at++) {
                    memcpy(s, "..xyz..", 7);
                    s[at] = (char)c0;
                    s[at + 1] = (char)c1;
                    ck_assert_msg(mtawarn_pair_at(m->first_pairs, mc_str_make(s, 7), at) == (own && at + 3 <= 7),
                                  "%s: pair %u %u at %zu", m->mta, c0, c1, at);
                }
            }
            yes += any;
            s[0] = (char)c0;
            s[1] = (char)c1;
            ck_assert(mtawarn_pair_at(w->start_pairs, mc_str_make(s, 3), 0) == any);
            ck_assert(!mtawarn_pair_at(w->start_pairs, mc_str_make(s, 2), 0));
        }
    ck_assert_int_gt(yes, 3);
}

START_TEST(test_pair_bytes)
{
    const mc_rules *r = test_rules();
    pairs_by_text(&r->warnings);
    mc_warn_rules w;
    load_edited(&w, "pairs",
                "printf 'notice = ^warm (?<text>.+)\\nnotice = ^wax (?<text>.+)\\nnotice = ^pan (?<text>.+)\\n' >> "
                "mta/postfix.conf");
    ck_assert_uint_eq(w.mtas[1].n_rules, 7);
    pairs_by_text(&w);
    mtawarn_free(&w);
}
END_TEST

static Suite *warnings_suite(void)
{
    Suite *s = suite_create("warnings");
    TCase *tc = tcase_create("warnings");
    tcase_set_timeout(tc, 240);
    tcase_add_checked_fixture(tc, test_dir_setup, test_dir_teardown);
    tcase_add_test(tc, test_mta_run_lock_file);
    tcase_add_test(tc, test_public_groups);
    tcase_add_test(tc, test_exim_panic);
    tcase_add_test(tc, test_triage_fatal);
    tcase_add_test(tc, test_from_database);
    tcase_add_test(tc, test_bounded);
    tcase_add_test(tc, test_escaped);
    tcase_add_test(tc, test_rules_need_literal);
    tcase_add_test(tc, test_text_shape);
    tcase_add_test(tc, test_parser_split_reused);
    tcase_add_test(tc, test_first_look_syslog);
    tcase_add_test(tc, test_first_look_gate);
    tcase_add_test(tc, test_prefix_reader);
    tcase_add_test(tc, test_pair_bytes);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(warnings_suite)
