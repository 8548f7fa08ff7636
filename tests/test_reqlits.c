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
 * 5. The tables of which by_code_alone rules each code lets in (reasons.c
 *    index_codes), against each rule's code lists read here, and the same
 *    rule with the prefilter on and off for code pairs and odd forms.
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
 * most 16); variants sharing 8 bytes or more give what they share (and,
 * as one more clause each, a start or an end of 3 bytes or more they all
 * share outside it); a clause with a literal under 3 bytes is dropped; a
 * branch without a clause, or an unknown construct, gives no requirement
 * at all. */
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
    /* four variants share " rejected" and all start "helo ": both are required */
    {"HELO (?:name )?(?:was )?rejected", "{ rejected} {helo }"},
    /* four variants share " unavailable " and all end " sorry" */
    {"(?:user|mailbox) unavailable (?:here|now) sorry", "{ unavailable } { sorry}"},
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

/* The rules of the source tree with the prefilter off: every rule tried,
 * each by its own lists. */
static void load_without_prefilter(mc_reasons *off)
{
    char err[512];
    ck_assert_msg(reasons_load(off, MC_SOURCE_RULES, false, err, sizeof err), "%s", err);
}

START_TEST(test_same_rule_with_prefilter_off)
{
    const mc_reasons *on = &test_rules()->reasons;
    mc_reasons off;
    load_without_prefilter(&off);
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

/* ---- 5. the by-code tables ---------------------------------------------- */

/* Whether rule r lists the code pair, read from its lists as reasons.conf
 * states them: a basic code a listed prefix starts, or an enhanced code
 * equal to a listed one ('X' for any class). */
static bool lists_pair(const mc_reason_rule *r, const char *code, const char *enh)
{
    for (size_t j = 0; code && code[0] && j < r->n_codes; j++)
        if (strncmp(code, r->codes[j], strlen(r->codes[j])) == 0)
            return true;
    for (size_t j = 0; enh && enh[0] && j < r->n_enhanced; j++) {
        const char *w = r->enhanced[j];
        if ((w[0] == 'X' || w[0] == enh[0]) && strcmp(w + 1, enh + 1) == 0)
            return true;
    }
    return false;
}

/* Every basic code 200-599 and every enhanced code a rule lists (each
 * class for 'X', the next detail, and none): the tables let a by_code_alone
 * rule in exactly when its lists hold the pair; forms the tables do not
 * hold (leading zeros, another class, two digits) give -2. */
START_TEST(test_code_tables)
{
    const mc_reasons *rs = &test_rules()->reasons;
    ck_assert_ptr_nonnull(rs->code_rules);
    char (*enh)[16] = NULL;
    size_t n_enh = 0;
    for (size_t i = 0; i < rs->n_rules; i++)
        for (size_t j = 0; j < rs->rules[i].n_enhanced; j++)
            for (int k = 0; k < 6; k++) {
                enh = realloc(enh, (n_enh + 1) * sizeof *enh);
                ck_assert_ptr_nonnull(enh);
                int subject = 0, detail = 0;
                ck_assert_int_eq(sscanf(rs->rules[i].enhanced[j] + 1, ".%d.%d", &subject, &detail), 2);
                snprintf(enh[n_enh++], sizeof *enh, "%c.%d.%d", "245"[k % 3], subject, detail + k / 3);
            }
    size_t by_code = 0, let_in = 0;
    for (int c = 199; c <= 600; c++) {
        char code[8];
        snprintf(code, sizeof code, "%d", c);
        long code_row = reasons_code_row(code);
        ck_assert_int_eq(code_row, c >= 200 && c <= 599 ? c - 200 : -2);
        for (size_t e = 0; e <= n_enh; e++) {
            const char *en = e < n_enh ? enh[e] : NULL;
            long enh_row = reasons_enh_row(rs, en);
            ck_assert_int_ne(enh_row, -2);
            for (size_t i = 0; code_row >= 0 && i < rs->n_rules; i++) {
                if (!(rs->rules_by_code[i / 64] >> (i % 64) & 1))
                    continue;
                uint64_t bit = 1ULL << (i % 64);
                bool got = (rs->code_rules[(size_t)code_row * rs->rule_words + i / 64] & bit) ||
                           (enh_row >= 0 && (rs->enh_rules[(size_t)enh_row * rs->rule_words + i / 64] & bit));
                bool want = lists_pair(&rs->rules[i], code, en);
                ck_assert_msg(got == want, "[%s] code %s enhanced %s: the tables say %d", rs->rules[i].id, code,
                              en ? en : "none", got);
                by_code++;
                let_in += got;
            }
        }
    }
    free(enh);
    /* the 44 rules outside rules_always, and enough pairs let in */
    ck_assert_uint_gt(by_code, 44 * 400);
    ck_assert_uint_gt(let_in, 10000);
    static const char *const odd_codes[] = {"55", "5", "5500", "55x", "650", "150"};
    for (size_t k = 0; k < sizeof odd_codes / sizeof odd_codes[0]; k++)
        ck_assert_int_eq(reasons_code_row(odd_codes[k]), -2);
    ck_assert_int_eq(reasons_code_row(""), -1);
    ck_assert_int_eq(reasons_code_row(NULL), -1);
    static const char *const odd_enh[] = {"5.7.026", "5.07.1", "3.1.1", "5.1.1.1", "5.1", "5.1.1234", "X.1.1", "5..1"};
    for (size_t k = 0; k < sizeof odd_enh / sizeof odd_enh[0]; k++)
        ck_assert_int_eq(reasons_enh_row(rs, odd_enh[k]), -2);
    ck_assert_int_ge(reasons_enh_row(rs, "5.1.1"), 0);   /* [user-unknown/code] X.1.1 */
    ck_assert_int_eq(reasons_enh_row(rs, "5.1.99"), -1); /* listed by no rule */
}
END_TEST

/* A text without literals, every code pair of test_code_tables' kind and
 * the odd forms: the same rule with the prefilter (the tables) and
 * without (each rule's lists). */
START_TEST(test_code_pairs_with_prefilter_off)
{
    const mc_reasons *on = &test_rules()->reasons;
    mc_reasons off;
    load_without_prefilter(&off);
    static const char *const codes[] = {"", "421", "450", "451", "454", "500", "501", "521", "525",
                                        "534", "535", "550", "552", "553", "554", "556", "55", "5500"};
    static const char *const enhs[] = {"",        "5.1.1",   "4.1.1",   "5.1.10", "5.7.26", "4.7.26",  "5.7.606",
                                       "5.7.615", "4.7.650", "5.2.121", "5.7.3",  "5.3.4",  "5.5.3",   "5.7.12",
                                       "4.4.1",   "5.7.64",  "2.0.0",   "5.7.026", "3.1.1",  "5.01.1", "5.6.211"};
    static const mc_class classes[] = {CLASS_UNKNOWN, CLASS_TRANSIENT, CLASS_PERMANENT};
    mc_matcher m;
    matcher_init(&m);
    size_t found = 0;
    for (size_t c = 0; c < sizeof codes / sizeof codes[0]; c++)
        for (size_t e = 0; e < sizeof enhs / sizeof enhs[0]; e++)
            for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++) {
                mc_reason_hit a, b;
                mc_str text = mc_str_cstr("zz");
                bool fa = classify_reason_hit(on, &m, NULL, codes[c], enhs[e], classes[k], text, &a);
                bool fb = classify_reason_hit(&off, &m, NULL, codes[c], enhs[e], classes[k], text, &b);
                ck_assert_msg(fa == fb && (!fa || a.rule == on->rules + (b.rule - off.rules)),
                              "%s %s: rule %s with the prefilter, %s without", codes[c], enhs[e],
                              fa ? a.rule->id : "none", fb ? b.rule->id : "none");
                found += fa;
            }
    matcher_free(&m);
    reasons_free(&off);
    ck_assert_uint_gt(found, 500);
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
    tcase_add_test(tc, test_code_tables);
    tcase_add_test(tc, test_code_pairs_with_prefilter_off);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(reqlits_suite)
