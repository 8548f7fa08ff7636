/*
 * test_rules.c - the rules loader: the real rules load, and every kind of
 * broken rules file stops with FILE:LINE and a clear message.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "testutil.h"

/* Makes a private copy of rules/ (symlinks) so one file can be replaced. */
static char *rules_copy(void)
{
    char *dir = strdup("/tmp/mc-rules-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cp -r %s/. %s/", MC_SOURCE_RULES, dir);
    ck_assert_int_eq(system(cmd), 0);
    return dir;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void remove_dir(char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}

/* Loads dir's rules and checks the error names file:line and says what. */
static void expect_error(const char *dir, const char *file_line, const char *what)
{
    mc_rules r;
    char err[1024] = "";
    ck_assert_msg(!rules_load(&r, dir, err, sizeof err), "broken rules were accepted");
    ck_assert_msg(strstr(err, file_line) != NULL, "error '%s' lacks '%s'", err, file_line);
    ck_assert_msg(strstr(err, what) != NULL, "error '%s' lacks '%s'", err, what);
}

START_TEST(test_real_rules_load)
{
    const mc_rules *r = test_rules();
    ck_assert_uint_ge(r->parse.n_mtas, 1);
    ck_assert_uint_ge(r->knowledge.n_codes, 30);
    ck_assert_uint_ge(r->knowledge.n_enhanced, 60);
    ck_assert_uint_ge(r->reasons.n_reasons, 10);
}
END_TEST

START_TEST(test_broken_files)
{
    static const struct {
        const char *file, *text, *where, *what;
    } cases[] = {
        {"stages.conf", "[@commands]\nRCPT = recipient\n", "stages.conf:2:", "not a stage"},
        {"stages.conf", "[@commands]\n  continued\n", "stages.conf:2:", "continues nothing"},
        {"stages.conf", "key = value\n", "stages.conf:1:", "before any [section]"},
        {"stages.conf", "[@commands]\n[@commands]\n", "stages.conf:2:", "duplicate section"},
        {"stages.conf", "[@commands\n", "stages.conf:1:", "malformed section header"},
        {"stages.conf", "[@commands]\njust words\n", "stages.conf:2:", "expected 'key = value'"},
        {"stages.conf", "[@commands]\nRCPT = rcpt\nbad \xff = x\n", "stages.conf:3:", "invalid UTF-8"},
        {"codes.conf", "[550]\nname = x\nclass = transient\ndescription = d\nwhen = w\nfix = f\n",
         "codes.conf:3:", "contradicts code 550"},
        {"codes.conf", "[55]\nname = x\n", "codes.conf:1:", "not a reply code"},
        {"codes.conf", "[550]\nname = x\ndescription = d\nwhen = w\n", "codes.conf:1:", "has no 'fix'"},
        {"enhanced.conf", "[X.1.1]\nname = n\nhard = maybe\ndescription = d\nwhen = w\nfix = f\n",
         "enhanced.conf:3:", "hard must be yes or no"},
        {"reasons.conf", "[r]\nmatch = (unclosed\nadvice = a\n", "reasons.conf:2:", "bad pattern"},
        {"reasons.conf", "[r]\nmatch = x\n", "reasons.conf:1:", "has no advice"},
        {"reasons.conf", "[r]\nmatch = x\nadvice = a\nclass = fatal\n", "reasons.conf:4:", "not a class"},
        {"reasons.conf", "[r]\nmatch = x\nadvice = a\nenhanced = 9.9\n", "reasons.conf:4:", "not an enhanced code"},
        {"mta/postfix.conf", "[@mta]\nname = postfix\ndaemons = smtp\n[r]\ndaemons = smtpd\npattern = x\ndirection = inbound\nstatus = rejected\n",
         "postfix.conf:5:", "not listed in [@mta] daemons"},
        {"mta/postfix.conf", "[@mta]\nname = postfix\n[r]\npattern = (?<code>x\ndirection = inbound\nstatus = rejected\n",
         "postfix.conf:4:", "bad pattern"},
        {"mta/postfix.conf", "[@mta]\nname = postfix\n[r]\npattern = x\nstatus = rejected\n",
         "postfix.conf:3:", "needs a direction"},
        {"mta/postfix.conf", "[@mta]\nname = postfix\n[r]\npattern = x\ndirection = sideways\n",
         "postfix.conf:5:", "direction must be"},
        {"mta/postfix.conf", "[@mta]\nname = postfix\n[r]\npattern = x\ndirection = inbound\nstatus = rejected\ninfer = 650\n",
         "postfix.conf:7:", "infer needs a reply code"},
        {"mta/postfix.conf", "[@mta]\nname = postfix\n[r]\npattern = x\ndirection = inbound\nstatus = rejected\ncolour = red\n",
         "postfix.conf:7:", "unknown key 'colour'"},
        {"mta/postfix.conf", "[r]\npattern = x\n", "postfix.conf", "no [@mta] section"},
        {"mta/postfix.conf", "[@mta]\nname = postfix\n[@stage]\nlanding = x\n", "postfix.conf:4:", "not a stage"},
        {"mta/postfix.conf", "[@mta]\nname = postfix\n[@reply]\npattern = [0-9]+\n", "postfix.conf:4:", "(?<code>...)"},
        /* compare.conf is checked with the rest at start, not only by `compare` */
        {"compare.conf", "[550]\nstage = rcpt\ncloses = maybe\n", "compare.conf:3:", "closes must be yes, no or may"},
        {"compare.conf", "[550]\nstage = rcpt, lunch\n", "compare.conf:2:", "'lunch' is not a stage"},
        {"compare.conf", "[5.7.1]\nstage = rcpt\n", "compare.conf:1:", "is not a reply code"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = rules_copy();
        put_file(dir, cases[i].file, cases[i].text);
        expect_error(dir, cases[i].where, cases[i].what);
        remove_dir(dir);
    }
}
END_TEST

START_TEST(test_missing_pieces)
{
    mc_rules r;
    char err[1024];
    ck_assert(!rules_load(&r, "/nonexistent-rules", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "rules directory not found"));
    char *dir = rules_copy();
    char path[4096];
    snprintf(path, sizeof path, "%s/codes.conf", dir);
    unlink(path);
    ck_assert(!rules_load(&r, dir, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "codes.conf: cannot open"));
    remove_dir(dir);
}
END_TEST

/* A postmaster adds an MTA rule without a compiler: a new file in mta/. */
START_TEST(test_added_rule_takes_effect)
{
    char *dir = rules_copy();
    put_file(dir, "mta/zz-local.conf",
             "[@mta]\nname = localmta\nprograms = mymta\nmarker = FAIL\n"
             "[fail]\nliteral = FAIL\npattern = ^FAIL (?<recipient>\\S+) (?<code>[45][0-9][0-9]) (?<text>.*)$\n"
             "direction = outbound\nstatus = bounced\n");
    mc_rules r;
    char err[1024];
    ck_assert_msg(rules_load(&r, dir, err, sizeof err), "%s", err);
    mc_parser p;
    parser_init(&p, &r.parse);
    mc_event ev;
    ck_assert_int_eq(parser_line(&p, mc_str_cstr("Nov 23 07:00:01 mx mymta[1]: FAIL a@b.example 550 no"), &ev),
                     PARSE_EVENT);
    ck_assert_str_eq(ev.mta, "localmta");
    ck_assert_str_eq(ev.code, "550");
    ck_assert_str_eq(ev.domain, "b.example");
    ck_assert_int_eq(parser_line(&p, mc_str_cstr("Nov 23 07:00:01 mx mymta[1]: FAIL garbled"), &ev),
                     PARSE_UNRECOGNISED);
    parser_free(&p);
    rules_free(&r);
    remove_dir(dir);
}
END_TEST

/* A rules copy whose mta/<mta>.conf a sed script has edited. */
static char *mta_edited(const char *mta, const char *script)
{
    char *dir = rules_copy();
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "sed -i '%s' %s/mta/%s.conf", script, dir, mta);
    ck_assert_int_eq(system(cmd), 0);
    return dir;
}

/* Loads dir's rules, with the prefilters off or on. */
static void load_prefilter(mc_rules *r, const char *dir, bool off)
{
    char err[1024];
    ck_assert_msg(rules_load(r, dir, err, sizeof err), "%s", err);
    r->parse.no_prefilter = off;
}

/* A sent Postfix delivery (as in tests/data/postfix-gen/maillog). */
static const char sent[] = "Nov 28 21:32:43 mx postfix/smtp[24277]: 56550A767F0: to=<anna@ok.test>, "
                           "relay=127.0.0.1[127.0.0.1]:3425, delay=1, delays=0.16/0.79/0.04/0.04, dsn=2.0.0, "
                           "status=sent (250 2.0.0 Ok: queued)";

/* A postmaster adds an outcome marker to Postfix's [@mta]: a Postfix line
 * holding it (and no other marker) no rule reads is then unrecognised,
 * where the shipped rules pass it by, and the markers before and after it
 * still mark their lines (the markers' one-pass search is built from the
 * rules at load; MAILCODES_NO_PREFILTER's one lit_in per marker answers
 * the same). */
START_TEST(test_added_marker_takes_effect)
{
    static const char frob[] = "Nov 23 07:00:01 mx postfix/smtp[1]: ABCDEF0123: frobnicated: the queue file was "
                               "frobnicated by a postmaster";
    static const char auth[] = "Nov 23 07:00:01 mx postfix/smtpd[2]: warning: unknown[192.0.2.7]: SASL LOGIN "
                               "authentication failed: UGFzc3dvcmQ6";
    char *dir = mta_edited("postfix", "s/^marker = status=$/&\\nmarker = frobnicated:/");
    for (int off = 0; off < 2; off++) {
        mc_rules r;
        load_prefilter(&r, dir, off);
        const mc_mta_rules *m = NULL;
        for (size_t i = 0; i < r.parse.n_mtas; i++)
            if (strcmp(r.parse.mtas[i].name, "postfix") == 0)
                m = &r.parse.mtas[i];
        ck_assert_ptr_nonnull(m);
        ck_assert_uint_eq(m->n_markers, 5);
        ck_assert_str_eq(m->markers[1], "frobnicated:");
        mc_parser p;
        parser_init(&p, &r.parse);
        mc_event ev;
        ck_assert_int_eq(parser_line(&p, mc_str_cstr(frob), &ev), PARSE_UNRECOGNISED);
        ck_assert_int_eq(parser_line(&p, mc_str_cstr(sent), &ev), PARSE_EVENT);
        ck_assert_str_eq(ev.code, "250");
        ck_assert_int_eq(parser_line(&p, mc_str_cstr(auth), &ev), PARSE_EVENT);
        parser_free(&p);
        rules_free(&r);
    }
    mc_parser p;
    parser_init(&p, &test_rules()->parse);
    mc_event ev;
    ck_assert_int_eq(parser_line(&p, mc_str_cstr(frob), &ev), PARSE_NOTHING);
    parser_free(&p);
    remove_dir(dir);
}
END_TEST

/* A postmaster adds a [@stage] rule to Postfix's before its last (the 2xx
 * one): a sent delivery's reply holding its words takes its stage, the
 * first rule in file order that matches, with the one-pass search of the
 * stage gates (built at load) and without it; the shipped rules give the
 * 2xx rule's end-of-data, and an earlier rule still wins over the new one. */
START_TEST(test_added_stage_takes_effect)
{
    static const char deferred[] = "Nov 28 21:32:43 mx postfix/smtp[24277]: 56550A767F0: to=<anna@ok.test>, "
                                   "relay=none, delay=1, delays=0.16/0.79/0.04/0.04, dsn=4.4.1, status=deferred "
                                   "(connect to mx.ok.test[192.0.2.1]:25: Connection refused, queued)";
    char *dir = mta_edited("postfix", "s/^end-of-data = /data = Ok: queued\\n&/");
    for (int off = 0; off < 2; off++) {
        mc_rules r;
        load_prefilter(&r, dir, off);
        mc_parser p;
        parser_init(&p, &r.parse);
        mc_event ev;
        ck_assert_int_eq(parser_line(&p, mc_str_cstr(sent), &ev), PARSE_EVENT);
        ck_assert_str_eq(ev.stage, "data");
        ck_assert_int_eq(parser_line(&p, mc_str_cstr(deferred), &ev), PARSE_EVENT);
        ck_assert_str_eq(ev.stage, "connect");
        parser_free(&p);
        rules_free(&r);
    }
    mc_parser p;
    parser_init(&p, &test_rules()->parse);
    mc_event ev;
    ck_assert_int_eq(parser_line(&p, mc_str_cstr(sent), &ev), PARSE_EVENT);
    ck_assert_str_eq(ev.stage, "end-of-data");
    parser_free(&p);
    remove_dir(dir);
}
END_TEST

/* A postmaster adds three rules to Exim's before [delivery]: one with
 * literals (keyed by one of them in the scan's rule index, built at
 * load), one with any_literals only (keyed by each) and one with neither
 * (tried on every line).  Each takes the delivery lines it matches, the
 * first rule in file order, with the set's scan and its rule index and
 * without them (MAILCODES_NO_PREFILTER); a delivery none of them matches
 * is still [delivery]'s, and the shipped rules read all three as sent. */
START_TEST(test_added_exim_rules_take_effect)
{
    static const char lit[] = "2026-11-23 07:00:01 1abcDE-000000-AB => bob@lit.example R=dnslookup T=remote_smtp "
                              "H=mx [192.0.2.1] C=\"250 frobbed by the relay\"";
    static const char any[] = "2026-11-23 07:00:01 1abcDE-000000-AB => bob@any.example R=frobany2 T=remote_smtp "
                              "H=mx [192.0.2.1]";
    static const char free_[] = "2026-11-23 07:00:01 1abcDE-000000-AB => bob@free.example R=frobfree T=remote_smtp "
                                "H=mx [192.0.2.1]";
    static const char plain[] = "2026-11-23 07:00:01 1abcDE-000000-AB => bob@plain.example R=dnslookup "
                                "T=remote_smtp H=mx [192.0.2.1]";
    char *dir = mta_edited(
        "exim",
        "s/^\\[delivery\\]$/[frob-lit]\\nliteral = =>\\nliteral = \"frobbed by\"\\n"
        "pattern = ^\\\\S+ => (?<recipient>\\\\S+) .*frobbed by\\ndirection = outbound\\nstatus = bounced\\n\\n"
        "[frob-any]\\nany_literal = R=frobany1\\nany_literal = R=frobany2\\n"
        "pattern = ^\\\\S+ => (?<recipient>\\\\S+) R=frobany[12] \\ndirection = outbound\\nstatus = deferred\\n\\n"
        "[frob-free]\\npattern = ^\\\\S+ => (?<recipient>\\\\S+) R=frobfree \\ndirection = inbound\\n"
        "status = rejected\\n\\n&/");
    static const struct {
        const char *line, *status, *recipient;
    } want[] = {
        {lit, "bounced", "bob@lit.example"},
        {any, "deferred", "bob@any.example"},
        {free_, "rejected", "bob@free.example"},
        {plain, "sent", "bob@plain.example"},
    };
    for (int off = 0; off < 2; off++) {
        mc_rules r;
        load_prefilter(&r, dir, off);
        mc_parser p;
        parser_init(&p, &r.parse);
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            mc_event ev;
            ck_assert_int_eq(parser_line(&p, mc_str_cstr(want[i].line), &ev), PARSE_EVENT);
            ck_assert_msg(mc_str_eq(ev.status, want[i].status), "prefilter %s, line %zu: status %.*s",
                          off ? "off" : "on", i, (int)ev.status.n, ev.status.p);
            ck_assert_msg(mc_str_eq(ev.recipient, want[i].recipient), "line %zu", i);
        }
        parser_free(&p);
        rules_free(&r);
    }
    mc_parser p;
    parser_init(&p, &test_rules()->parse);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        mc_event ev;
        ck_assert_int_eq(parser_line(&p, mc_str_cstr(want[i].line), &ev), PARSE_EVENT);
        ck_assert(mc_str_eq(ev.status, "sent"));
    }
    parser_free(&p);
    remove_dir(dir);
}
END_TEST

/* One thread's share of test_lazy_jit: its own matcher, the shared pattern. */
typedef struct {
    const mc_pattern *pat;
    int wrong;
} jit_race;

/* Matches the shared pattern against texts whose answers are known. */
static void *jit_race_main(void *arg)
{
    jit_race *r = arg;
    mc_matcher m;
    matcher_init(&m);
    for (int i = 0; i < 200; i++) {
        bool yes = pattern_match(r->pat, &m, mc_str_cstr("550 5.1.1 <a@b.example>: User unknown in table"));
        bool no = pattern_match(r->pat, &m, mc_str_cstr("450 4.7.1 greylisted, try again later"));
        r->wrong += !yes + no;
        if (yes && !mc_str_eq(pattern_group(r->pat, &m, mc_str_cstr("550 5.1.1 <a@b.example>: User unknown in table"),
                                            G_DETAIL),
                              "User unknown"))
            r->wrong++;
    }
    matcher_free(&m);
    return NULL;
}

/* Start-up compiles every pattern but JIT-compiles none: the first match
 * does, once, even when threads sharing the rules reach it together, and
 * the answers are those of a pattern compiled before the threads start. */
START_TEST(test_lazy_jit)
{
    const mc_rules *rules = test_rules();
    /* real rules loaded (and used by other tests in this process or not):
     * the Exim reasons a Postfix-only test never runs stay unJITted */
    const mc_reasons *rs = &rules->reasons;
    size_t pending = 0, total = 0;
    for (size_t i = 0; i < rs->n_rules; i++)
        for (size_t j = 0; j < rs->rules[i].n_patterns; j++, total++)
            pending += !pattern_jit_done(&rs->rules[i].patterns[j]);
    ck_assert_uint_gt(total, 50);
    ck_assert_uint_eq(pending, total);

    mc_pattern pat;
    char err[256];
    ck_assert_msg(pattern_compile(&pat, "(?<detail>user unknown)\\b", PCRE2_CASELESS, "t.conf", 1, err, sizeof err),
                  "%s", err);
    ck_assert(!pattern_jit_done(&pat));
    enum { N = 4 };
    pthread_t tid[N];
    jit_race race[N];
    for (int i = 0; i < N; i++) {
        race[i] = (jit_race){.pat = &pat, .wrong = 0};
        ck_assert_int_eq(pthread_create(&tid[i], NULL, jit_race_main, &race[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
        ck_assert_int_eq(race[i].wrong, 0);
    }
    ck_assert(pattern_jit_done(&pat));
    pattern_free(&pat);
}
END_TEST

/* A file of many sections (more than the loader's index of names holds
 * before it grows, several times over): each is found by its name, and a
 * repeated one, early, late or at a growth, is refused at its own line
 * with the line of the first. */
START_TEST(test_many_sections_and_a_repeat)
{
    enum { N = 300 };
    static const int repeats[] = {-1, 0, 1, 31, 32, 33, 64, 127, 200, N - 1};
    char path[] = "/tmp/mailcodes-conf-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    for (size_t r = 0; r < sizeof repeats / sizeof repeats[0]; r++) {
        FILE *fp = fopen(path, "w");
        ck_assert_ptr_nonnull(fp);
        for (int i = 0; i < N; i++) /* section i on line 2i + 1, its key on 2i + 2 */
            fprintf(fp, "[s%d]\nk = %d\n", i, i);
        if (repeats[r] >= 0)
            fprintf(fp, "[s%d]\n", repeats[r]);
        fclose(fp);
        char err[1024] = "";
        conf_file *cf = conf_load(path, err, sizeof err);
        if (repeats[r] < 0) {
            ck_assert_msg(cf != NULL, "%s", err);
            ck_assert_uint_eq(cf->n_sections, N);
            for (int i = 0; i < N; i++) {
                char name[16], value[16];
                snprintf(name, sizeof name, "s%d", i);
                snprintf(value, sizeof value, "%d", i);
                const conf_section *sec = conf_find_section(cf, name);
                ck_assert_ptr_nonnull(sec);
                ck_assert_int_eq(sec->line, 2 * i + 1);
                ck_assert_str_eq(conf_get(sec, "k"), value);
            }
            conf_free(cf);
            continue;
        }
        ck_assert_ptr_null(cf);
        char want[128];
        snprintf(want, sizeof want, ":%d: duplicate section [s%d] (first at line %d)", 2 * N + 1, repeats[r],
                 2 * repeats[r] + 1);
        ck_assert_msg(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
    }
    unlink(path);
}
END_TEST

static Suite *rules_suite(void)
{
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_real_rules_load);
    tcase_add_test(tc, test_broken_files);
    tcase_add_test(tc, test_missing_pieces);
    tcase_add_test(tc, test_many_sections_and_a_repeat);
    tcase_add_test(tc, test_added_rule_takes_effect);
    tcase_add_test(tc, test_added_marker_takes_effect);
    tcase_add_test(tc, test_added_stage_takes_effect);
    tcase_add_test(tc, test_added_exim_rules_take_effect);
    tcase_add_test(tc, test_lazy_jit);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(rules_suite)
