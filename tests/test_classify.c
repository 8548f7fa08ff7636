/*
 * test_classify.c - class, conflict and hardness as docs/CONTRACT.md defines them,
 * and the knowledge behind explain.
 */
#include "testutil.h"

static mc_event make(const char *code, const char *enh, const char *status, const char *text)
{
    return test_classify(code, enh, status, text);
}

START_TEST(test_class_sources)
{
    ck_assert_int_eq(make("250", "", "sent", "").klass, CLASS_SUCCESS);
    ck_assert_int_eq(make("354", "", "sent", "").klass, CLASS_INTERMEDIATE);
    ck_assert_int_eq(make("", "4.4.1", "deferred", "").klass, CLASS_TRANSIENT);
    ck_assert_int_eq(make("", "", "expired", "").klass, CLASS_PERMANENT);
    ck_assert_int_eq(make("", "", "deferred", "").klass, CLASS_TRANSIENT);
    ck_assert_int_eq(make("", "", "rejected", "").klass, CLASS_UNKNOWN);
    /* the basic code wins over the status: a softened 5xx greeting */
    ck_assert_int_eq(make("521", "5.3.2", "deferred", "").klass, CLASS_PERMANENT);
}
END_TEST

START_TEST(test_conflict)
{
    mc_event ev = make("550", "4.2.2", "bounced", "mailbox full");
    ck_assert_int_eq(ev.klass, CLASS_PERMANENT);
    ck_assert(ev.conflict);
    ck_assert(!make("550", "5.2.2", "bounced", "").conflict);
    ck_assert(!make("", "4.2.2", "deferred", "").conflict);
}
END_TEST

START_TEST(test_hard)
{
    ck_assert(make("550", "5.1.1", "bounced", "").hard);
    ck_assert(make("550", "5.1.10", "bounced", "null MX").hard);
    ck_assert(make("", "5.1.2", "bounced", "Host or domain name not found").hard);
    ck_assert(make("550", "5.0.0", "bounced", "No such user here").hard);
    /* permanent but not hard: a full mailbox, a policy block */
    ck_assert(!make("552", "5.2.2", "bounced", "mailbox full").hard);
    ck_assert(!make("554", "5.7.1", "bounced", "blocked using zen.spamhaus.org").hard);
    /* not permanent: never hard */
    ck_assert(!make("450", "4.1.1", "deferred", "user unknown").hard);
}
END_TEST

START_TEST(test_reasons)
{
    mc_event ev = make("554", "5.7.1", "bounced", "Service unavailable; client [1.2.3.4] blocked using zen.spamhaus.org");
    ck_assert_str_eq(ev.reason, "blocklisted");
    /* the list by the name postmasters know it, with its way off the list */
    ck_assert_view(ev.reason_detail, "Spamhaus ZEN");
    ck_assert_ptr_nonnull(reasons_detail_advice(&test_rules()->reasons, ev.reason, ev.reason_detail));
    /* what report --by reason and triage show */
    const mc_reason *r = reasons_find(&test_rules()->reasons, ev.reason);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(r->label);
    ck_assert_ptr_nonnull(r->advice);
    ck_assert_str_eq(make("450", "4.2.0", "deferred", "Greylisted, see http://postgrey").reason, "greylisted");
    ck_assert_str_eq(make("552", "5.3.4", "bounced", "Message size exceeds fixed limit").reason, "message-too-large");
    ck_assert_str_eq(make("", "4.4.1", "deferred", "connect to x[1.2.3.4]:25: Connection timed out").reason, "network");
}
END_TEST

START_TEST(test_knowledge)
{
    const mc_knowledge *k = &test_rules()->knowledge;
    /* every basic code of RFC 5321, 7504, 3207, 4954, 1870 has a page */
    static const char *const codes[] = {"211", "214", "220", "221", "235", "250", "251", "252", "334",
                                        "354", "421", "432", "450", "451", "452", "454", "455", "500",
                                        "501", "502", "503", "504", "521", "530", "534", "535", "538",
                                        "550", "551", "552", "553", "554", "555", "556"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const mc_code_info *c = knowledge_code(k, codes[i]);
        ck_assert_msg(c != NULL, "no record for %s", codes[i]);
        ck_assert_int_eq(c->klass, mc_class_of_digit(codes[i][0]));
    }
    ck_assert_ptr_nonnull(knowledge_enhanced(k, "5.1.1"));
    ck_assert(knowledge_enhanced_is_hard(k, "5.1.1"));
    ck_assert(!knowledge_enhanced_is_hard(k, "5.2.2"));
    ck_assert_ptr_nonnull(knowledge_enhanced(k, "4.7.650"));
    ck_assert_ptr_nonnull(knowledge_enhanced_class(k, "4.9.9"));
    ck_assert_ptr_nonnull(knowledge_enhanced_subject(k, "5.7.99"));
    ck_assert_ptr_null(knowledge_code(k, "299"));
    /* RFC 3463: every subject.detail pair */
    static const int details[8] = {0, 8, 4, 5, 7, 5, 5, 7};
    for (int s = 0; s < 8; s++)
        for (int d = 0; d <= details[s]; d++) {
            char id[16];
            snprintf(id, sizeof id, "5.%d.%d", s, d);
            ck_assert_msg(knowledge_enhanced(k, id) != NULL, "no record for %s", id);
        }
}
END_TEST

/* An address's domain is what follows its last '@', lower-cased; none
 * without an '@', after a trailing one, or when it does not fit.  Each
 * address is its own exact-size allocation (no NUL after it), so a search
 * past its end or before its start is a heap-buffer-overflow under ASan. */
START_TEST(test_address_domain)
{
    static const struct {
        const char *address, *domain;
    } cases[] = {
        {"bob@Example.COM", "example.com"}, {"\"a@b\"@mx.example.net", "mx.example.net"},
        {"@d", "d"},                        {"bob@", ""},
        {"nobody", ""},                     {"@", ""},
        {"a@b", "b"},                       {"x@0123456789abcdef", ""}, /* 16 bytes: no room with the NUL */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].address);
        char *a = mc_xmalloc(n ? n : 1);
        memcpy(a, cases[i].address, n);
        char buf[16];
        memset(buf, '#', sizeof buf);
        mc_address_domain(mc_str_make(a, n), buf, sizeof buf);
        ck_assert_msg(strcmp(buf, cases[i].domain) == 0, "%s: '%s'", cases[i].address, buf);
        free(a);
    }
    char buf[4] = "zz";
    mc_address_domain(MC_STR_NULL, buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    mc_address_domain(mc_str_make("", 0), buf, sizeof buf);
    ck_assert_str_eq(buf, "");
}
END_TEST

/* mc_address_domain's 8-byte steps against its definition on the words
 * with an '@' of every tests/data line, each also as the domain of
 * mutated addresses: a capital, '@', ']' ('Z' + 3), '`' ('a' - 1), 0x80,
 * 0xC1, 0xDA, '\n' or a NUL put at each place. */
static void domain_same(const char *a, size_t n)
{
    char fast[64], slow[64];
    memset(fast, '#', sizeof fast);
    memset(slow, '#', sizeof slow);
    mc_address_domain(mc_str_make(a, n), fast, sizeof fast);
    mc_address_domain_bytewise(mc_str_make(a, n), slow, sizeof slow);
    ck_assert_msg(memcmp(fast, slow, sizeof fast) == 0, "'%.*s': '%s' / '%s'", (int)n, a, fast, slow);
}

static void domain_line(const char *path, const char *line, size_t n)
{
    (void)path;
    static const char puts[] = {'A', 'Z', 'M', '@', ']', '`', '[', (char)0x80, (char)0xC1, (char)0xDA, '\n', '\0'};
    size_t w = 0;
    while (w < n) {
        size_t e = w;
        while (e < n && line[e] != ' ')
            e++;
        if (memchr(line + w, '@', e - w) != NULL) {
            domain_same(line + w, e - w);
            char m[96];
            size_t k = e - w < sizeof m ? e - w : sizeof m;
            for (size_t i = 0; i < k; i++)
                for (size_t c = 0; c < sizeof puts; c++) {
                    memcpy(m, line + w, k);
                    m[i] = puts[c];
                    domain_same(m, k);
                }
        }
        w = e + 1;
    }
}

START_TEST(test_address_domain_by_words)
{
    test_each_data_line(domain_line, NULL);
    /* Every length 0-70, every case of the domain's bytes. */
    char a[80];
    for (size_t len = 0; len <= 70; len++)
        for (int v = 0; v < 4; v++) {
            a[0] = 'u';
            a[1] = '@';
            for (size_t i = 0; i < len; i++)
                a[2 + i] = (char)(v == 0 ? 'A' + i % 26 : v == 1 ? 'a' + i % 26 : v == 2 ? '@' + i % 64 : 0x7F + i);
            domain_same(a, 2 + len);
        }
}
END_TEST

static Suite *classify_suite(void)
{
    Suite *s = suite_create("classify");
    TCase *tc = tcase_create("classify");
    tcase_add_test(tc, test_class_sources);
    tcase_add_test(tc, test_conflict);
    tcase_add_test(tc, test_hard);
    tcase_add_test(tc, test_reasons);
    tcase_add_test(tc, test_knowledge);
    tcase_add_test(tc, test_address_domain);
    tcase_add_test(tc, test_address_domain_by_words);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(classify_suite)
