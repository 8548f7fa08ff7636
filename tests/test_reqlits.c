/*
 * test_reqlits.c - the reason prefilter's requirements (reqlits.c) and the
 * rule index built on them (reasons.c, classify.c) never change an answer.
 *
 * 1. The requirement read off a pattern, worked out by hand from the
 *    pattern: variants joined, clauses kept per branch, the rarest first,
 *    and nothing for a shape the reader does not know.
 * 2. Every pattern of rules/reasons.conf and rules/blocklists.conf, run on
 *    every real reply and outcome line of tests/data: when the regex
 *    matches, the gate lets it run.
 * 3. The same replies classified with the prefilter on and off: the same
 *    rule, reason and detail.
 * 4. Replies written to fit a rule only through a branch or a variant the
 *    reader could lose (an optional word, a class, a repeated piece, a
 *    shared part): the rule the pattern names still wins.
 */
#include <stdio.h>

#include "reqlits.h"
#include "testutil.h"

/* ---- 1. requirements ---------------------------------------------------- */

typedef struct {
    const char *pattern;
    const char *want; /* branches " | ", clauses " ", literals ",": NULL when none */
} req_case;

/* Derived from each pattern by hand: a literal run gives itself (first 16
 * bytes); an optional or alternative piece multiplies the variants (at
 * most 16); variants sharing 8 bytes or more give what they share; a
 * clause with a literal under 3 bytes is dropped; a branch without a
 * clause, or an unknown construct, gives no requirement at all. */
static const req_case req_cases[] = {
    {"\\bDMARC\\b", "{dmarc}"},
    {"user unknown|no such user", "{user unknown} | {no such user}"},
    {"colou?r code", "{colour code,color code}"},
    {"ab(?:c|d)", "{abc,abd}"},
    {"reverse[ -]?DNS", "{reverse dns,reverse-dns,reversedns}"},
    /* two required groups: both clauses, the one with longer literals first */
    {"\\b(?:user|recipient|mailbox)\\b[^;.]{0,40}?\\b(?:unknown|not found)",
     "{unknown,not found} {user,recipient,mailbox}"},
    /* six variants share "low reputation of the sending ", cut to 16 bytes */
    {"(?:very |extremely )?low reputation of the sending (?:IP|domain)", "{low reputation o}"},
    {"(?:quota )?exceeded", "{exceeded}"},
    /* 3 x 3 x 2 variants are too many: the run stops before the optional "ed" */
    {"\\b(?:black|block|deny)[ -]?list(?:ed)?\\b",
     "{black list,black-list,blacklist,block list,block-list,blocklist,deny list,deny-list,denylist}"},
    /* a group of inexact alternatives: each one's rarest clause, together */
    {"(?:user \\w+ unknown|mailbox \\d+ full)", "{ unknown,mailbox }"},
    /* zero-width items keep neighbours adjacent; a repeated piece still required */
    {"rejected\\b(?!:)", "{rejected}"},
    {"(?<what>over quota)+ now", "{over quota} { now}"},
    {"[[:alpha:]]+ rejected", "{ rejected}"},
    {"a very long literal phrase here", "{a very long lite}"},
    {"(?i)Mailbox Full", "{mailbox full}"},
    /* none: a branch under three bytes, unknown constructs */
    {"ab|cd", NULL},
    {"user unknown|no", NULL},
    {"x(?:cc|dd)?y", NULL},
    {"(\\w+) \\1", NULL},
    {"\\p{L}+ rejected", NULL},
    {"(*UTF)blocked", NULL},
    {"(?x)mailbox full", NULL},
    {"a{,3}bcd", NULL},
    {"(abc", NULL},
    {"abc)", NULL},
};

/* The requirement in the notation of req_case, or NULL. */
static char *req_text(const char *pattern)
{
    mc_req q;
    if (!reqlits_read(pattern, &q))
        return NULL;
    mc_buf b;
    mc_buf_init(&b);
    for (size_t i = 0; i < q.n; i++) {
        if (i)
            mc_buf_add(&b, " | ", 3);
        for (size_t c = 0; c < q.branches[i].n; c++) {
            mc_buf_add(&b, c ? " {" : "{", c ? 2 : 1);
            for (size_t l = 0; l < q.branches[i].clauses[c].n; l++) {
                if (l)
                    mc_buf_addc(&b, ',');
                mc_buf_add(&b, q.branches[i].clauses[c].lits[l], strlen(q.branches[i].clauses[c].lits[l]));
            }
            mc_buf_addc(&b, '}');
        }
    }
    mc_buf_addc(&b, '\0');
    reqlits_free(&q);
    return b.data;
}

START_TEST(test_requirements)
{
    const req_case *c = &req_cases[_i];
    char *got = req_text(c->pattern);
    if (c->want == NULL)
        ck_assert_msg(got == NULL, "'%s': expected no requirement, got %s", c->pattern, got);
    else
        ck_assert_msg(got && strcmp(got, c->want) == 0, "'%s': expected %s, got %s", c->pattern, c->want,
                      got ? got : "(none)");
    free(got);
}
END_TEST

/* ---- 2. every pattern on every real text -------------------------------- */

/* Whether a log line holds an outcome (the lines the reasons read). */
static bool outcome_line(const char *line)
{
    static const char *const marks[] = {"status=", "reject", "said:", " ** ", " == ", "refused", "failed"};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(line, marks[i]))
            return true;
    return false;
}

/* The texts: every reply of the two labelled sets, every outcome line of the logs. */
static char **load_texts(size_t *n)
{
    static const char *const files[] = {
        "responses/replies.tsv",
        "replies-public/replies.tsv",
        "sample.log",
        "postfix/mta-run/maillog",
        "postfix/fail2ban-postfix.log",
        "postfix/sergeymakinen-postfix_exporter-mail.log",
        "postfix/pflogsumm-go-sample.log",
        "exim/fail2ban-exim.log",
        "exim/fail2ban-exim-spam.log",
    };
    char **texts = NULL;
    *n = 0;
    char line[65536];
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char *path = test_corpus_path(files[f]);
        FILE *fp = fopen(path, "r");
        ck_assert_msg(fp != NULL, "cannot open %s", path);
        bool tsv = strstr(files[f], ".tsv") != NULL;
        while (fgets(line, sizeof line, fp)) {
            line[strcspn(line, "\n")] = '\0';
            const char *t = line;
            if (tsv) { /* the reply column: the third */
                const char *c1 = strchr(line, '\t'), *c2 = c1 ? strchr(c1 + 1, '\t') : NULL;
                if (c2 == NULL)
                    continue;
                char *end = strchr(c2 + 1, '\t');
                if (end)
                    *end = '\0';
                t = c2 + 1;
            }
            if (!tsv && !outcome_line(t))
                continue;
            if (!mc_utf8_valid((const unsigned char *)t, strlen(t)))
                continue;
            texts = mc_xrealloc(texts, (*n + 1) * sizeof *texts);
            texts[(*n)++] = mc_xstrdup(t);
        }
        fclose(fp);
        free(path);
    }
    return texts;
}

/* One pattern on a scanned text: the gate lets it run whenever it matches. */
static void check_gate(const mc_pattern *p, mc_matcher *m, mc_str s, size_t *matches)
{
    bool truth = pattern_exec(p, s, m->md, m->mctx) > 0;
    bool gated = pattern_match(p, m, s);
    ck_assert_msg(truth == gated, "%s:%d: the prefilter skipped a pattern that matches '%.*s'", p->file, p->line,
                  (int)s.n, s.p);
    *matches += truth;
}

START_TEST(test_gate_lets_every_match_run)
{
    const mc_reasons *rs = &test_rules()->reasons;
    ck_assert_ptr_nonnull(rs->lit_rules); /* the prefilter is on */
    size_t n = 0, matches = 0, gated = 0;
    char **texts = load_texts(&n);
    ck_assert_uint_gt(n, 4000);
    mc_matcher m;
    matcher_init(&m);
    for (size_t t = 0; t < n; t++) {
        mc_str s = mc_str_cstr(texts[t]);
        matcher_prefilter(&m, rs->literals, s);
        for (size_t i = 0; i < rs->n_rules; i++) {
            const mc_reason_rule *r = &rs->rules[i];
            for (size_t j = 0; j < r->n_patterns; j++)
                check_gate(&r->patterns[j], &m, s, &matches);
            for (size_t j = 0; j < r->n_require; j++)
                check_gate(&r->require[j], &m, s, &matches);
            for (size_t j = 0; j < r->n_unless; j++)
                check_gate(&r->unless[j], &m, s, &matches);
            gated += r->n_patterns > 0 && r->patterns[0].gate != NULL;
        }
        for (size_t i = 0; i < rs->n_lists; i++)
            for (size_t j = 0; j < rs->lists[i].n_patterns; j++)
                check_gate(&rs->lists[i].patterns[j], &m, s, &matches);
        matcher_prefilter_clear(&m);
        free(texts[t]);
    }
    free(texts);
    matcher_free(&m);
    /* enough matches and gated patterns for the check to mean something */
    ck_assert_uint_gt(matches, 20000);
    ck_assert_uint_gt(gated, 100 * n);
}
END_TEST

/* ---- 3. prefilter on and off -------------------------------------------- */

START_TEST(test_same_rule_with_prefilter_off)
{
    const mc_reasons *on = &test_rules()->reasons;
    mc_reasons off;
    char err[512];
    ck_assert_msg(reasons_load(&off, MC_SOURCE_RULES, false, err, sizeof err), "%s", err);
    ck_assert_ptr_null(off.lit_rules);
    size_t n = 0, found = 0;
    char **texts = load_texts(&n);
    mc_matcher m;
    matcher_init(&m);
    static const mc_class classes[] = {CLASS_UNKNOWN, CLASS_TRANSIENT, CLASS_PERMANENT};
    for (size_t t = 0; t < n; t++) {
        mc_str s = mc_str_cstr(texts[t]);
        /* the code a reply starts with, and none */
        char code[4] = "";
        if (s.n > 3 && s.p[0] >= '2' && s.p[0] <= '5' && s.p[3] == ' ')
            memcpy(code, s.p, 3);
        for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++) {
            mc_reason_hit a, b;
            bool fa = classify_reason_hit(on, &m, NULL, code, NULL, classes[k], s, &a);
            bool fb = classify_reason_hit(&off, &m, NULL, code, NULL, classes[k], s, &b);
            ck_assert_msg(fa == fb && (!fa || a.rule == on->rules + (b.rule - off.rules)),
                          "'%s': rule %s with the prefilter, %s without", texts[t], fa ? a.rule->id : "none",
                          fb ? b.rule->id : "none");
            ck_assert_msg(a.detail.n == b.detail.n && (a.detail.n == 0 || memcmp(a.detail.p, b.detail.p, a.detail.n) == 0),
                          "'%s': another detail with the prefilter", texts[t]);
            found += fa;
        }
        free(texts[t]);
    }
    free(texts);
    matcher_free(&m);
    reasons_free(&off);
    ck_assert_uint_gt(found, 8000);
}
END_TEST

/* ---- 4. replies that fit through a variant ------------------------------ */

typedef struct {
    const char *reply;
    const char *rule; /* the rule whose pattern it was written for */
} crafted;

/* Each reply fits its rule's pattern only through the variant named, and
 * (read from rules/reasons.conf by hand) no rule above fits it. */
static const crafted crafted_cases[] = {
    /* [blocklisted/unnamed]: deny, the '-' of [ -]?, the optional "ed" */
    {"Your IP is deny-listed here", "blocklisted/unnamed"},
    /* [bad-reputation/gmail]: the optional "extremely ", the domain variant */
    {"extremely low reputation of the sending domain", "bad-reputation/gmail"},
    /* [mailbox-full/text]: (?:'s)? and (?:\S+ )? taken, "limit" */
    {"recipient's box is over the limit", "mailbox-full/text"},
    /* [reverse-dns/text]: reverse[ -]?DNS through '-' */
    {"no reverse-dns for your host", "reverse-dns/text"},
    /* [user-unknown/text]: the second group after up to 40 bytes of anything */
    {"mailbox 12 unknown here", "user-unknown/text"},
    {"the Recipient address 7 does not exist", "user-unknown/text"},
    /* [mailbox-disabled/text]: a word of the first group, then frozen */
    {"account is frozen", "mailbox-disabled/text"},
};

START_TEST(test_crafted_variants)
{
    const mc_reasons *rs = &test_rules()->reasons;
    const crafted *c = &crafted_cases[_i];
    mc_matcher m;
    matcher_init(&m);
    mc_reason_hit hit;
    bool found = classify_reason_hit(rs, &m, NULL, NULL, NULL, CLASS_UNKNOWN, mc_str_cstr(c->reply), &hit);
    ck_assert_msg(found && strcmp(hit.rule->id, c->rule) == 0, "'%s': rule %s, expected %s", c->reply,
                  found ? hit.rule->id : "none", c->rule);
    matcher_free(&m);
}
END_TEST

/* litset_add gives a repeated literal its first id, across the index's growth. */
START_TEST(test_litset_repeats)
{
    mc_litset *ls = litset_new();
    char lit[32];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 300; i++) {
            snprintf(lit, sizeof lit, "literal %d", i);
            ck_assert_int_eq(litset_add(ls, lit), i);
        }
    }
    ck_assert_uint_eq(litset_count(ls), 300);
    litset_free(ls);
}
END_TEST

static Suite *reqlits_suite(void)
{
    Suite *s = suite_create("reqlits");
    TCase *tc = tcase_create("reqlits");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_requirements, 0, (int)(sizeof req_cases / sizeof req_cases[0]));
    tcase_add_test(tc, test_gate_lets_every_match_run);
    tcase_add_test(tc, test_same_rule_with_prefilter_off);
    tcase_add_loop_test(tc, test_crafted_variants, 0, (int)(sizeof crafted_cases / sizeof crafted_cases[0]));
    tcase_add_test(tc, test_litset_repeats);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(reqlits_suite)
