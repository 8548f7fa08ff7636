/*
 * test_linegate.c - the literal gates in front of the MTA line patterns:
 * a rule's any_literal lines (Exim's [delivery] runs only on a line with
 * one of its flags), the [@mta] local_literal lines (the local-delivery
 * pattern runs only on a line with one of them) and the literals read off
 * each [@stage] pattern (it runs only on a line holding one).  A gate may only save
 * work: every real line of tests/data parses to the same event with the
 * gates as without them, the gates do turn lines away, and every transport
 * name the local pattern knows has its literal.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"

/* The directories of logs in tests/data (plain or gzip: gzopen reads
 * both), the files of each that are logs, and the MTA whose gates the
 * comparison switches off. */
static const struct {
    const char *mta, *dir, *suffix;
} log_dirs[] = {
    {"exim", "exim", ".log"},
    {"exim", "exim/exim-testsuite/log", ""},
    {"exim", "exim/exim-testsuite/rejectlog", ""},
    {"exim", "exim-runs", "log.gz"},
    {"postfix", "postfix", ".log"},
    {"postfix", "postfix/mta-run", "maillog"},
    {"postfix", "postfix-public", ".log"},
    {"postfix", "postfix-gen", "maillog"},
};

/* Whether name ends with suffix. */
static bool ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* The rules as loaded, with one MTA's gates switched off: any_literal,
 * local_literal and the stage patterns' literal lists emptied (their texts
 * stay owned by the rules). */
typedef struct {
    size_t *n_any;       /* each rule's n_any, as loaded */
    size_t *n_stage;     /* each stage pattern's n_lits, as loaded */
    size_t n_local;      /* the MTA's n_local_literals, as loaded */
} saved_gates;

/* Switches MTA m's gates off (saving their counts in sv) or back on. */
static void gates(mc_mta_rules *m, saved_gates *sv, bool on)
{
    if (!on) {
        sv->n_any = mc_xcalloc(m->n_rules + 1, sizeof *sv->n_any);
        for (size_t i = 0; i < m->n_rules; i++) {
            sv->n_any[i] = m->rules[i].any.n;
            m->rules[i].any.n = 0;
        }
        sv->n_stage = mc_xcalloc(m->n_stages + 1, sizeof *sv->n_stage);
        for (size_t i = 0; i < m->n_stages; i++) {
            sv->n_stage[i] = m->stages[i].gate.n;
            m->stages[i].gate.n = 0;
        }
        sv->n_local = m->local_gate.n;
        m->local_gate.n = 0;
        return;
    }
    for (size_t i = 0; i < m->n_rules; i++)
        m->rules[i].any.n = sv->n_any[i];
    for (size_t i = 0; i < m->n_stages; i++)
        m->stages[i].gate.n = sv->n_stage[i];
    m->local_gate.n = sv->n_local;
    free(sv->n_any);
    free(sv->n_stage);
}

/* MTA name's rules in a fresh load (the test changes them). */
static mc_mta_rules *mta_of(mc_rules *r, const char *name)
{
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        if (strcmp(r->parse.mtas[i].name, name) == 0)
            return &r->parse.mtas[i];
    ck_abort_msg("no %s rules", name);
    return NULL;
}

/* The rules of a fresh load and its Exim part. */
static mc_mta_rules *exim_of(mc_rules *r)
{
    char err[1024];
    ck_assert_msg(rules_load(r, MC_SOURCE_RULES, err, sizeof err), "%s", err);
    return mta_of(r, "exim");
}

/* What the lines of the logs parsed to, counted by kind. */
typedef struct {
    size_t lines, sent, local, other;
} tally;

/* One line parsed with gates on (parser on, its event into e1) and off
 * (parser off, the definition; it also forgets the program names it has
 * seen, find_mta's memo, so the line's MTA and daemon are searched for
 * afresh): the same result and fields.  Returns on's result. */
static mc_parse_result compare_both(mc_mta_rules *m, mc_parser *on, mc_parser *off, const char *line, size_t n,
                                    mc_event *e1)
{
    char a[8192], b[8192];
    mc_event e2;
    memset(e1, 0, sizeof *e1);
    memset(&e2, 0, sizeof e2);
    mc_parse_result r1 = parser_line(on, mc_str_make(line, n), e1);
    test_parse_fingerprint(NULL, r1, e1, a, sizeof a);
    saved_gates sv;
    gates(m, &sv, false);
    memset(off->program_memo, 0, sizeof off->program_memo);
    mc_parse_result r2 = parser_line(off, mc_str_make(line, n), &e2);
    gates(m, &sv, true);
    test_parse_fingerprint(NULL, r2, &e2, b, sizeof b);
    ck_assert_msg(strcmp(a, b) == 0, "%.*s\n gated:   %s\n ungated: %s", (int)n, line, a, b);
    return r1;
}

/* Whether compare_both's line parsed to an event naming a stage. */
static bool staged_both(mc_mta_rules *m, mc_parser *on, mc_parser *off, const char *line, size_t n)
{
    mc_event e;
    return compare_both(m, on, off, line, n, &e) == PARSE_EVENT && e.stage != NULL;
}

/* Every line of one log: the same result and fields with m's gates on
 * and off (compare_both). */
static void compare_file(mc_mta_rules *m, mc_parser *on, mc_parser *off, const char *path, tally *t)
{
    static char line[65536];
    gzFile gz = gzopen(path, "rb");
    ck_assert_msg(gz != NULL, "cannot open %s", path);
    year_ctx_init(&on->years, 2026, 11, 23);
    year_ctx_init(&off->years, 2026, 11, 23);
    while (gzgets(gz, line, sizeof line) != NULL) {
        size_t n = strcspn(line, "\n");
        mc_event e1;
        mc_parse_result r1 = compare_both(m, on, off, line, n, &e1);
        t->lines++;
        if (r1 == PARSE_EVENT && strcmp(e1.direction, "local") == 0)
            t->local++;
        else if (r1 == PARSE_EVENT && mc_str_eq(e1.status, "sent"))
            t->sent++;
        else if (r1 == PARSE_EVENT || r1 == PARSE_UNRECOGNISED)
            t->other++;
    }
    gzclose(gz);
}

/* Every line of every log: the same result and fields with the line's
 * MTA's gates on and off; and the gates are real (delivery lines and local deliveries
 * are among them, so a gate that let nothing through would show). */
START_TEST(test_gates_change_no_answer)
{
    mc_rules rules;
    mc_mta_rules *m = exim_of(&rules);
    ck_assert_uint_gt(m->local_gate.n, 0);
    mc_parser on, off;
    parser_init(&on, &rules.parse);
    /* off is the definition: no one-pass search of the markers or of the
     * stage rules' gates either (MAILCODES_NO_PREFILTER). */
    rules.parse.no_prefilter = true;
    parser_init(&off, &rules.parse);
    rules.parse.no_prefilter = false;
    tally t = {0}, pf = {0};
    for (size_t d = 0; d < sizeof log_dirs / sizeof log_dirs[0]; d++) {
        bool exim = strcmp(log_dirs[d].mta, "exim") == 0;
        char *dpath = test_corpus_path(log_dirs[d].dir);
        DIR *dir = opendir(dpath);
        ck_assert_msg(dir != NULL, "cannot open %s", dpath);
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            if (de->d_name[0] == '.' || !ends_with(de->d_name, log_dirs[d].suffix))
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dpath, de->d_name);
            compare_file(exim ? m : mta_of(&rules, "postfix"), &on, &off, path, exim ? &t : &pf);
        }
        closedir(dir);
        free(dpath);
    }
    /* Deliveries (the [delivery] gate lets them in), local ones (the local
     * gate lets them in) and other outcomes (the delivery gate keeps them
     * out) are all there. */
    ck_assert_uint_gt(t.lines, 1000);
    ck_assert_uint_gt(t.sent, 50);
    ck_assert_uint_gt(t.local, 5);
    ck_assert_uint_gt(t.other, 50);
    /* Postfix: its stage patterns' literals are looked up one by one. */
    ck_assert_uint_gt(pf.sent, 50);
    ck_assert_uint_gt(pf.other, 50);
    parser_free(&on);
    parser_free(&off);
    rules_free(&rules);
}
END_TEST

/* The stage rules' index (stage_row, parse.h) against the walk that asks
 * each gate (MAILCODES_NO_PREFILTER, gates off): Exim outcome lines of
 * tests/data with a reply text, as logged and with every stage gate's
 * literal put at the text's start and at the line's end, and with two of
 * them (one at each place), parse to the same event both ways. */
START_TEST(test_stage_index_like_walk)
{
    mc_rules rules;
    mc_mta_rules *m = exim_of(&rules);
    ck_assert_ptr_nonnull(m->stage_row);
    mc_parser on, off;
    parser_init(&on, &rules.parse);
    rules.parse.no_prefilter = true;
    parser_init(&off, &rules.parse);
    rules.parse.no_prefilter = false;
    const char *lits[256];
    size_t lens[256], n_lits = 0;
    for (size_t i = 0; i < m->n_stages; i++)
        for (size_t j = 0; j < m->stages[i].gate.n && n_lits < 256; j++, n_lits++) {
            lits[n_lits] = m->stages[i].gate.lits[j];
            lens[n_lits] = m->stages[i].gate.lens[j];
        }
    ck_assert_uint_gt(n_lits, 5);
    size_t texts = 0, variants = 0, staged = 0;
    static char line[65536], v[70000];
    for (size_t d = 0; d < sizeof log_dirs / sizeof log_dirs[0] && texts < 1500; d++) {
        if (strcmp(log_dirs[d].mta, "exim") != 0)
            continue;
        char *dpath = test_corpus_path(log_dirs[d].dir);
        DIR *dir = opendir(dpath);
        ck_assert_msg(dir != NULL, "cannot open %s", dpath);
        struct dirent *de;
        while ((de = readdir(dir)) != NULL && texts < 1500) {
            if (de->d_name[0] == '.' || !ends_with(de->d_name, log_dirs[d].suffix))
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dpath, de->d_name);
            gzFile gz = gzopen(path, "rb");
            ck_assert_msg(gz != NULL, "cannot open %s", path);
            year_ctx_init(&on.years, 2026, 11, 23);
            year_ctx_init(&off.years, 2026, 11, 23);
            while (gzgets(gz, line, sizeof line) != NULL && texts < 1500) {
                size_t n = strcspn(line, "\n");
                mc_event e;
                memset(&e, 0, sizeof e);
                if (parser_line(&on, mc_str_make(line, n), &e) != PARSE_EVENT || e.text.n == 0 ||
                    e.text.p < line || e.text.p > line + n || n > 60000)
                    continue;
                size_t at = (size_t)(e.text.p - line);
                texts++;
                staged += staged_both(m, &on, &off, line, n);
                variants++;
                for (size_t k = 0; k < n_lits; k++) {
                    /* the literal at the text's start, then at the line's end,
                     * then both (with the next literal at the end) */
                    for (int form = 0; form < 3; form++) {
                        size_t o = 0;
                        memcpy(v, line, at);
                        o = at;
                        if (form != 1) {
                            memcpy(v + o, lits[k], lens[k]);
                            o += lens[k];
                            v[o++] = ' ';
                        }
                        memcpy(v + o, line + at, n - at);
                        o += n - at;
                        if (form != 0) {
                            const char *l = lits[form == 2 ? (k + 1) % n_lits : k];
                            size_t ln = lens[form == 2 ? (k + 1) % n_lits : k];
                            v[o++] = ' ';
                            memcpy(v + o, l, ln);
                            o += ln;
                        }
                        staged += staged_both(m, &on, &off, v, o);
                        variants++;
                    }
                }
            }
            gzclose(gz);
        }
        closedir(dir);
        free(dpath);
    }
    ck_assert_uint_ge(texts, 1000);
    ck_assert_uint_gt(staged, variants / 10);
    ck_assert_uint_gt(variants - staged, variants / 10);
    parser_free(&on);
    parser_free(&off);
    rules_free(&rules);
}
END_TEST

/* Parses one synthetic Exim line with a parser of its own. */
static mc_parse_result parse_with(const mc_rules *r, const char *line, mc_event *ev)
{
    mc_parser p;
    parser_init(&p, &r->parse);
    year_ctx_init(&p.years, 2026, 11, 23);
    memset(ev, 0, sizeof *ev);
    mc_parse_result res = parser_line(&p, mc_str_cstr(line), ev);
    parser_free(&p);
    return res;
}

/* Makes a gate's mask hold literal id alone. */
static void only_bit(mc_litgate *g, int id)
{
    memset(g->mask, 0, g->words * sizeof *g->mask);
    g->mask[id / 64] |= 1ULL << (id % 64);
}

/* The gates are consulted: a delivery whose flag literal is made one the
 * line lacks is no longer read, and a local delivery whose literals are
 * made ones the line lacks stays outbound. */
START_TEST(test_gates_are_consulted)
{
    mc_rules rules;
    mc_mta_rules *m = exim_of(&rules);
    static const char delivery[] = "2026-11-23 10:00:00 1abcDE-000000AB-Xy => user@example.com R=dnslookup "
                                   "T=remote_smtp H=mx.example.com [192.0.2.1] C=\"250 OK\"";
    static const char localdel[] = "2026-11-23 10:00:00 1abcDE-000000AB-Xy => user <user@example.com> "
                                   "R=localuser T=local_delivery";
    mc_event ev;
    ck_assert_int_eq(parse_with(&rules, delivery, &ev), PARSE_EVENT);
    ck_assert_str_eq(ev.direction, "outbound");
    ck_assert_int_eq(parse_with(&rules, localdel, &ev), PARSE_EVENT);
    ck_assert_str_eq(ev.direction, "local");
    /* "synchronization error" is a marker, so it has an id in the set; no
     * line here holds it. */
    int absent = -1;
    for (size_t i = 0; i < m->n_markers; i++)
        if (strcmp(m->markers[i], "synchronization error") == 0)
            absent = m->marker_ids[i];
    ck_assert_int_ge(absent, 0);
    mc_line_rule *d = NULL;
    for (size_t i = 0; i < m->n_rules; i++)
        if (strcmp(m->rules[i].name, "delivery") == 0)
            d = &m->rules[i];
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(d->any.n, 3);
    only_bit(&d->any, absent);
    ck_assert_int_eq(parse_with(&rules, delivery, &ev), PARSE_UNRECOGNISED);
    only_bit(&m->local_gate, absent);
    /* The local line is no longer a delivery either: no rule reads it. */
    ck_assert_int_ne(parse_with(&rules, localdel, &ev), PARSE_EVENT);
    rules_free(&rules);
}
END_TEST

/* Every transport the local pattern names, and a file and a pipe after
 * each delivery flag, is a local delivery: a name added to the pattern
 * without its local_literal line fails here. */
START_TEST(test_local_literals_cover_pattern)
{
    mc_rules rules;
    mc_mta_rules *m = exim_of(&rules);
    const char *src = m->local.source;
    const char *t = strstr(src, "T=(?:");
    ck_assert_ptr_nonnull(t);
    t += strlen("T=(?:");
    const char *end = strchr(t, ')');
    ck_assert_ptr_nonnull(end);
    size_t names = 0;
    char line[512];
    mc_event ev;
    while (t < end) {
        size_t n = strcspn(t, "|)");
        snprintf(line, sizeof line,
                 "2026-11-23 10:00:00 1abcDE-000000AB-Xy => user <user@example.com> R=r1 T=%.*s", (int)n, t);
        ck_assert_int_eq(parse_with(&rules, line, &ev), PARSE_EVENT);
        ck_assert_msg(strcmp(ev.direction, "local") == 0, "not local: %s", line);
        names++;
        t += n + (t[n] == '|');
    }
    ck_assert_uint_ge(names, 10);
    static const char *const flags[] = {"=>", "->"};
    static const char *const targets[] = {"/var/mail/user", "|/usr/bin/procmail"};
    for (size_t f = 0; f < 2; f++) {
        for (size_t k = 0; k < 2; k++) {
            snprintf(line, sizeof line, "2026-11-23 10:00:00 1abcDE-000000AB-Xy %s %s <user@example.com> R=r1 T=t1",
                     flags[f], targets[k]);
            ck_assert_int_eq(parse_with(&rules, line, &ev), PARSE_EVENT);
            ck_assert_msg(strcmp(ev.direction, "local") == 0, "not local: %s", line);
        }
    }
    /* A remote transport whose name ends like a local one stays outbound. */
    ck_assert_int_eq(parse_with(&rules, "2026-11-23 10:00:00 1abcDE-000000AB-Xy => user@example.com R=r1 "
                                        "T=remote_pipe H=mx.example.com [192.0.2.1]",
                                &ev),
                     PARSE_EVENT);
    ck_assert_str_eq(ev.direction, "outbound");
    rules_free(&rules);
}
END_TEST

/* A gate line that says nothing, or a local_literal without a local
 * pattern, is a rules error with its place. */
/* One parser reads deliveries of two daemons whose names share a slot of
 * its memo of program names (postfix/smtp and postfix/lmtp: the same
 * length, last and middle bytes), alternately: each line gets its own
 * daemon's answer (lmtp delivers to this host's mailboxes: "local"), and
 * a name longer than the memo keeps is looked up every time. */
START_TEST(test_program_memo_names)
{
    const mc_rules *r = test_rules();
    static const struct {
        const char *line, *direction;
    } lines[] = {
        {"Nov 23 10:00:00 mx postfix/smtp[1]: 3F4A1A4E: to=<u@example.com>, relay=mx.example.com[192.0.2.1]:25, "
         "delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)", "outbound"},
        {"Nov 23 10:00:01 mx postfix/lmtp[2]: 3F4A1A4F: to=<v@example.com>, relay=mail.example.com[private/dovecot-lmtp], "
         "delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)", "local"},
        {"Nov 23 10:00:02 mx postfix/smtp[1]: 3F4A1A50: to=<w@example.com>, relay=mx.example.com[192.0.2.1]:25, "
         "delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)", "outbound"},
        {"Nov 23 10:00:03 mx postfix-a-very-long-instance-name-past-the-memo/lmtp[3]: 3F4A1A51: to=<x@example.com>, "
         "relay=mail.example.com[private/dovecot-lmtp], delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
         "local"},
        {"Nov 23 10:00:04 mx postfix/lmtp[2]: 3F4A1A52: to=<y@example.com>, relay=mail.example.com[private/dovecot-lmtp], "
         "delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)", "local"},
    };
    mc_parser p;
    parser_init(&p, &r->parse);
    year_ctx_init(&p.years, 2026, 11, 23);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
            mc_event ev;
            memset(&ev, 0, sizeof ev);
            ck_assert_int_eq(parser_line(&p, mc_str_cstr(lines[i].line), &ev), PARSE_EVENT);
            ck_assert_msg(strcmp(ev.direction, lines[i].direction) == 0, "round %d line %zu: %s, want %s", round, i,
                          ev.direction, lines[i].direction);
            ck_assert_str_eq(ev.mta, "postfix");
        }
    }
    parser_free(&p);
}
END_TEST

START_TEST(test_gate_errors)
{
    static const struct {
        const char *conf, *error;
    } cases[] = {
        {"[@mta]\nname = x\nmarker = =>\n[r]\nany_literal = \"\"\npattern = ^x\ndirection = outbound\nstatus = sent\n",
         "empty any_literal"},
        {"[@mta]\nname = x\nmarker = =>\nlocal_literal = T=file\n", "no local pattern"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[] = "/tmp/mc-linegate-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char path[256];
        snprintf(path, sizeof path, "%s/stages.conf", dir);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs("[@commands]\nRCPT TO = rcpt\n", f);
        fclose(f);
        snprintf(path, sizeof path, "%s/x.conf", dir);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(cases[i].conf, f);
        fclose(f);
        mc_parse_rules pr;
        char err[512];
        const char *files[] = {"x.conf"};
        ck_assert(!parse_rules_load(&pr, dir, files, 1, true, err, sizeof err));
        ck_assert_msg(strstr(err, cases[i].error) != NULL && strstr(err, "x.conf:") != NULL, "%s", err);
        unlink(path);
        snprintf(path, sizeof path, "%s/stages.conf", dir);
        unlink(path);
        rmdir(dir);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linegate");
    TCase *tc = tcase_create("gates");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_gates_change_no_answer);
    tcase_add_test(tc, test_gates_are_consulted);
    tcase_add_test(tc, test_stage_index_like_walk);
    tcase_add_test(tc, test_local_literals_cover_pattern);
    tcase_add_test(tc, test_gate_errors);
    tcase_add_test(tc, test_program_memo_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
