/*
 * test_prefilter.c - the literal prefilter: the literals read off a pattern
 * are exactly the ones every match must contain (worked out by hand from
 * the pattern, most of them real patterns of rules/reasons.conf), a pattern
 * the reader does not understand gets none (so it always runs), and the
 * Aho-Corasick scan finds each literal, caselessly or exactly.
 */
#include "testutil.h"

#include <ctype.h>

#include "prefilter.h"
#include "rules.h"

typedef struct {
    const char *pattern;
    const char *lits[8]; /* expected, in order; {NULL} = no literal set */
} literal_case;

/* Each expectation is derived from the pattern, not from a run: a branch
 * gives its longest run of plain characters (lowercased, at least three,
 * with a word character) that every match of the branch must contain; a
 * branch without one gives the literals of a required group; one branch
 * without either means no set at all. */
static const literal_case cases[] = {
    /* rules/reasons.conf */
    {"\\bDMARC\\b", {"dmarc"}},
    {"(?:unauthenticated|authentication checks|\\bSPF or DKIM\\b|either SPF or DKIM)",
     {"unauthenticated", "authentication checks", "spf or dkim", "either spf or dkim"}},
    {"\\bSPF\\b[^.]{0,80}(?:fail|did(?:n't| not) pass|not pass|suspicious|violation)", {"spf"}},
    {"unusual rate of (?:unsolicited )?mail", {"unusual rate of "}},
    {"(?:very |extremely )?low reputation of the sending (?:IP|domain)|sending IP address has been temporarily "
     "blocked|Denial of Service \\(DoS\\)",
     {"low reputation of the sending ", "sending ip address has been temporarily blocked",
      "denial of service (dos)"}},
    {"\\bS3150\\b|part of their network is on our block ?list|blocked using Blocklist \\d",
     {"s3150", "part of their network is on our block", "blocked using blocklist "}},
    {"rate limited due to IP reputation|\\((?:S3113|S3114|S3140|S775|S843|S844|S7771\\d)\\)",
     {"rate limited due to ip reputation", "s3113", "s3114", "s3140", "s775", "s843", "s844", "s7771"}},
    /* the longer of two runs split by a group */
    {"did(?:n't| not) pass", {" pass"}},
    /* a repeated character ends a run; an optional one too */
    {"fo+bar", {"bar"}},
    {"x{0,3}abc", {"abc"}},
    {"colou?r code", {"r code"}},
    /* a leading option setting, any character, anchors */
    {"(?i)Mailbox Full", {"mailbox full"}},
    {"^a.*user unknown$", {"user unknown"}},
    /* a named group that is required */
    {"(?<what>quota exceeded|over quota)", {"quota exceeded", "over quota"}},
    /* non-ASCII is left to the regex (caseless UTF-8) */
    {"\xc3\x9c" "berschritten", {"berschritten"}},
    /* no set: a branch under three characters, a back reference, a
     * property, an unbalanced group, a look-ahead only, a verb */
    {"ab|cd", {NULL}},
    {"user unknown|no", {NULL}},
    {"(\\w+) \\1", {NULL}},
    {"\\p{L}+ rejected", {NULL}},
    {"(abc", {NULL}},
    {"(?=blocked)", {NULL}},
    {"(*UTF)blocked", {NULL}},
    {"[[:alpha:]", {NULL}},
};

START_TEST(test_literals_exact)
{
    const literal_case *c = &cases[_i];
    char **lits = NULL;
    size_t n = prefilter_literals(c->pattern, &lits);
    size_t want = 0;
    while (want < sizeof c->lits / sizeof c->lits[0] && c->lits[want])
        want++;
    ck_assert_msg(n == want, "'%s': %zu literals, expected %zu", c->pattern, n, want);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strcmp(lits[i], c->lits[i]) == 0, "'%s': literal %zu is '%s', expected '%s'", c->pattern, i,
                      lits[i], c->lits[i]);
    if (n == 0)
        ck_assert_ptr_null(lits);
    prefilter_free_literals(lits, n);
}
END_TEST

/* The reading in the pattern's own case (the MTA patterns, matched with
 * case), against the caseless one: the same literals, case kept; none at
 * all for a pattern that turns caselessness on anywhere; and neither
 * reads extended syntax, where a space in the source is none in the text. */
START_TEST(test_literals_case)
{
    static const struct {
        const char *pattern, *exact, *folded; /* NULL: no set */
    } cs[] = {
        /* rules/mta/exim.conf [@stage] */
        {"PRDR error after DATA", "PRDR error after DATA", "prdr error after data"},
        {"(?:SMTP|LMTP|PRDR) (?:error|timeout)(?: from remote mail server)? after", " after", " after"},
        {"(?i)Mailbox Full", NULL, "mailbox full"},
        {"Mailbox (?i:full) now", NULL, "mailbox "},
        {"Mailbox (?-i)full", NULL, "mailbox "},
        {"(?x)user unknown", NULL, NULL},
        {"user (?x: unknown )", NULL, NULL},
        /* an escaped parenthesis sets no option */
        {"\\(?i\\) refused", "i) refused", "i) refused"},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        for (int fold = 0; fold < 2; fold++) {
            char **lits = NULL;
            size_t n = fold ? prefilter_literals(cs[i].pattern, &lits) : prefilter_literals_exact(cs[i].pattern, &lits);
            const char *want = fold ? cs[i].folded : cs[i].exact;
            if (want == NULL) {
                ck_assert_msg(n == 0 && lits == NULL, "'%s' (%s): %zu literals, expected none", cs[i].pattern,
                              fold ? "caseless" : "exact", n);
                continue;
            }
            ck_assert_msg(n == 1, "'%s' (%s): %zu literals, expected 1", cs[i].pattern, fold ? "caseless" : "exact", n);
            ck_assert_str_eq(lits[0], want);
            prefilter_free_literals(lits, n);
        }
    }
}
END_TEST

/* One scan reports every literal a text holds, whatever its case, and no
 * other; an exact set keeps case. */
START_TEST(test_scan)
{
    mc_litset *ls = litset_new();
    int dmarc = litset_add(ls, "dmarc"), spf = litset_add(ls, "spf"), quota = litset_add(ls, "over quota");
    litset_build(ls);
    ck_assert_uint_eq(litset_count(ls), 3);
    ck_assert_uint_eq(litset_words(ls), 1);
    uint64_t bits = 0;
    litset_scan(ls, mc_str_cstr("550 5.7.26 Failed DMARC and SpF checks"), &bits);
    ck_assert_uint_eq(bits, (1ULL << dmarc) | (1ULL << spf));
    litset_scan(ls, mc_str_cstr("552 user is OVER QUOTA"), &bits);
    ck_assert_uint_eq(bits, 1ULL << quota);
    litset_scan(ls, mc_str_cstr("over quot"), &bits);
    ck_assert_uint_eq(bits, 0);
    litset_free(ls);

    mc_litset *ex = litset_new_exact();
    int said = litset_add(ex, "said:");
    litset_build(ex);
    litset_scan(ex, mc_str_cstr("host x said: 550"), &bits);
    ck_assert_uint_eq(bits, 1ULL << said);
    litset_scan(ex, mc_str_cstr("host x SAID: 550"), &bits);
    ck_assert_uint_eq(bits, 0);
    litset_free(ex);
}
END_TEST

/* More literals than one 64-bit word: each is still found. */
START_TEST(test_scan_many)
{
    mc_litset *ls = litset_new();
    char lit[16];
    for (int i = 0; i < 100; i++) {
        snprintf(lit, sizeof lit, "lit%03d;", i);
        ck_assert_int_eq(litset_add(ls, lit), i);
    }
    /* The same literal again keeps its id, across the lookup table's growth. */
    for (int i = 99; i >= 0; i--) {
        snprintf(lit, sizeof lit, "lit%03d;", i);
        ck_assert_int_eq(litset_add(ls, lit), i);
    }
    ck_assert_uint_eq(litset_count(ls), 100);
    litset_build(ls);
    ck_assert_uint_eq(litset_words(ls), 2);
    uint64_t bits[2];
    litset_scan(ls, mc_str_cstr("x LIT007; y lit099; z lit064"), bits);
    ck_assert_uint_eq(bits[0], 1ULL << 7);
    ck_assert_uint_eq(bits[1], 1ULL << (99 - 64));
    litset_free(ls);
}
END_TEST

/* lit_in gives memmem's answer, and lit_find memmem's place, for every
 * literal length (1-40), text length (0-80) and place of the literal, for
 * near misses (first and last byte right, one in between wrong), for the
 * literal twice (the first place is the answer), and for a literal
 * completed only by the bytes just past the text's end (a look past the
 * end would find it). */
START_TEST(test_lit_in_like_memmem)
{
    char buf[256], lit[48];
    size_t checked = 0, found = 0;
    for (size_t n = 1; n <= 40; n++) {
        for (size_t k = 0; k < n; k++)
            lit[k] = (char)('a' + (k * 7 + n) % 26);
        for (size_t len = 0; len <= 80; len++) {
            for (size_t at = 0; at <= len + 1; at++) {
                for (int variant = 0; variant < 4; variant++) {
                    memset(buf, 'z', sizeof buf);
                    /* the literal at 'at' (it may run past the text) ... */
                    memcpy(buf + at, lit, n);
                    /* ... or with one inner byte wrong, or its last byte */
                    if (variant == 1 && n > 2)
                        buf[at + n / 2] = 'Z';
                    if (variant == 2)
                        buf[at + n - 1] = 'Z';
                    /* ... or once more, later (overlapping or not) */
                    if (variant == 3)
                        memcpy(buf + at + 1 + at % (n + 1), lit, n);
                    mc_str text = mc_str_make(buf, len);
                    const char *place = memmem(buf, len, lit, n);
                    bool want = place != NULL;
                    ck_assert_msg(lit_in(text, lit, n) == want, "n=%zu len=%zu at=%zu variant=%d: want %d", n,
                                  len, at, variant, want);
                    ck_assert_msg(lit_find(text, lit, n) == place, "n=%zu len=%zu at=%zu variant=%d: lit_find", n,
                                  len, at, variant);
                    checked++;
                    found += want;
                }
            }
        }
    }
    ck_assert_uint_gt(found, 1000);
    ck_assert_uint_gt(checked - found, 1000);
    /* A marker in a delivery line of Postfix's shape, and the same line without it. */
    ck_assert(lit_in(mc_str_cstr("3F4A1A4E: to=<u@example.com>, relay=none, delay=0, status=bounced (x)"),
                     "status=", 7));
    ck_assert(!lit_in(mc_str_cstr("3F4A1A4E: to=<u@example.com>, relay=none, delay=0, status bounced (x)"),
                      "status=", 7));
    ck_assert(lit_in(mc_str_cstr("x"), "", 0));
    ck_assert(!lit_in(MC_STR_NULL, "x", 1));
    const char *x = "x";
    ck_assert_ptr_eq(lit_find(mc_str_cstr(x), "", 0), x);
    ck_assert_ptr_null(lit_find(MC_STR_NULL, "x", 1));
}
END_TEST

/* lit_bytes: every byte of a text is among its kinds (so a literal it
 * holds never lacks one: each of the 256 bytes, and each slice of lines
 * of every kind of byte); a letter is the same kind in either case and
 * another kind than every other letter, digit and the space, so that the
 * Postfix stage literals a "250 2.0.0 Ok" reply cannot hold are told
 * apart by it. */
START_TEST(test_lit_bytes)
{
    char all[256];
    for (int c = 0; c < 256; c++) {
        char b = (char)c;
        all[c] = b;
        ck_assert_uint_ne(lit_bytes(mc_str_make(&b, 1)), 0);
    }
    uint64_t whole = lit_bytes(mc_str_make(all, sizeof all));
    for (size_t i = 0; i < sizeof all; i++)
        for (size_t n = 0; i + n <= sizeof all; n += 7)
            ck_assert_uint_eq(lit_bytes(mc_str_make(all + i, n)) & ~whole, 0);
    const char *line = "3F4A1A4E: to=<u@example.com>, relay=none, delay=0, status=bounced (Host or domain name not found)";
    uint64_t have = lit_bytes(mc_str_cstr(line));
    for (size_t i = 0; line[i]; i++)
        for (size_t n = 1; line[i + n - 1]; n++)
            ck_assert_uint_eq(lit_bytes(mc_str_make(line + i, n)) & ~have, 0);
    ck_assert_uint_eq(lit_bytes(MC_STR_NULL), 0);
    const char distinct[] = "abcdefghijklmnopqrstuvwxyz0123456789 ";
    for (size_t i = 0; distinct[i]; i++) {
        char a = distinct[i], up = (char)toupper((unsigned char)a);
        ck_assert_uint_eq(lit_bytes(mc_str_make(&a, 1)), lit_bytes(mc_str_make(&up, 1)));
        for (size_t j = 0; distinct[j]; j++)
            if (j != i)
                ck_assert_msg(lit_bytes(mc_str_make(&a, 1)) != lit_bytes(mc_str_make(distinct + j, 1)), "'%c' '%c'", a,
                              distinct[j]);
    }
    uint64_t ok = lit_bytes(mc_str_cstr("250 2.0.0 Ok: queued as 4BC23F"));
    ck_assert_uint_ne(lit_bytes(mc_str_cstr("refused to talk to me")) & ~ok, 0);
    ck_assert_uint_ne(lit_bytes(mc_str_cstr("while sending ")) & ~ok, 0);
    ck_assert_uint_eq(lit_bytes(mc_str_cstr("queued as")) & ~ok, 0);
}
END_TEST

/* The automaton finds exactly what memmem finds, literal by literal: the
 * markers of rules/mta/exim.conf and literals that end inside one another
 * (found through the failure links), on texts of every length 0-64 (the
 * scan takes four bytes a step) made of their own bytes, exactly and
 * caselessly. */
START_TEST(test_scan_like_memmem)
{
    static const char *lits[] = {"=>", " -> ", " >> ", "**", "==", "rejected", "refused", "dropped",
                                 "authenticator failed for", "SMTP error", "synchronization error",
                                 "defer (", "he", "she", "his", "hers", "e", "ee", "eee", "s r"};
    enum { N = sizeof lits / sizeof lits[0] };
    const char alphabet[] = "=>-* rejctdfushiE";
    for (int exact = 0; exact < 2; exact++) {
        mc_litset *ls = exact ? litset_new_exact() : litset_new();
        for (size_t i = 0; i < N; i++)
            litset_add(ls, lits[i]);
        litset_build(ls);
        uint32_t seed = 12345;
        size_t hits = 0;
        for (int round = 0; round < 3000; round++) {
            char text[80], folded[80];
            size_t len = (size_t)round % 65;
            for (size_t k = 0; k < len; k++) {
                seed = seed * 1103515245u + 12345u;
                text[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
                folded[k] = (char)tolower((unsigned char)text[k]);
            }
            uint64_t bits = 0;
            litset_scan(ls, mc_str_make(text, len), &bits);
            for (size_t i = 0; i < N; i++) {
                bool want = memmem(exact ? text : folded, len, lits[i], strlen(lits[i])) != NULL;
                ck_assert_msg(((bits >> i) & 1) == want, "exact=%d len=%zu literal '%s': want %d", exact, len,
                              lits[i], want);
                hits += want;
            }
        }
        ck_assert_uint_gt(hits, 3000);
        litset_free(ls);
    }
}
END_TEST

/* The same on longer texts (a delivery or reply line, not only the first
 * 64 bytes): every literal planted at every place of texts of 63 to 301
 * bytes, the rest random bytes of the literals' alphabet, the longest
 * literal among them. */
START_TEST(test_scan_long_like_memmem)
{
    static const char *lits[] = {"=>", " -> ", "**", "rejected", "authenticator failed for", "he", "she",
                                 "hers", "e", "s r", "defer ("};
    enum { N = sizeof lits / sizeof lits[0] };
    static const size_t lens[] = {63, 64, 65, 91, 92, 93, 94, 100, 127, 128, 129, 200, 301};
    const char alphabet[] = "=>-* rejctdfushiE(";
    for (int exact = 0; exact < 2; exact++) {
        mc_litset *ls = exact ? litset_new_exact() : litset_new();
        for (size_t i = 0; i < N; i++)
            litset_add(ls, lits[i]);
        litset_build(ls);
        uint32_t seed = 777;
        size_t scans = 0, hits = 0;
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            size_t len = lens[l];
            for (size_t j = 0; j < N; j++) {
                size_t n = strlen(lits[j]);
                for (size_t at = 0; at + n <= len; at++) {
                    char text[320], folded[320];
                    for (size_t k = 0; k < len; k++) {
                        seed = seed * 1103515245u + 12345u;
                        text[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
                    }
                    memcpy(text + at, lits[j], n);
                    for (size_t k = 0; k < len; k++)
                        folded[k] = (char)tolower((unsigned char)text[k]);
                    uint64_t bits = 0;
                    litset_scan(ls, mc_str_make(text, len), &bits);
                    ck_assert_msg((bits >> j) & 1, "exact=%d len=%zu '%s' at %zu not found", exact, len, lits[j], at);
                    for (size_t i = 0; i < N; i++) {
                        bool want = memmem(exact ? text : folded, len, lits[i], strlen(lits[i])) != NULL;
                        ck_assert_msg(((bits >> i) & 1) == want, "exact=%d len=%zu literal '%s': want %d", exact,
                                      len, lits[i], want);
                        hits += want;
                    }
                    scans++;
                }
            }
        }
        ck_assert_uint_gt(scans, 10000);
        ck_assert_uint_gt(hits, scans);
        litset_free(ls);
    }
}
END_TEST

/* The rules' literal sets (each MTA's and the reasons'), whose automata
 * hold a literal's first bytes and scan a text as overlapping windows at
 * once, against their plain automata (whole literals, one pass: the
 * definition).  Each set with its plain copy, and the texts compared. */
enum { MAX_SETS = 8, MAX_WORDS = 64 };
static const mc_litset *cut_set[MAX_SETS];
static mc_litset *plain_set[MAX_SETS];
/* Per set, its copy scanned by the automaton (the same as the set itself
 * where no byte filter serves it). */
static mc_litset *chain_set[MAX_SETS];
/* Per set, the bits of its literals longer than 8 bytes (cut ones). */
static uint64_t long_mask[MAX_SETS][MAX_WORDS];
static size_t n_sets, texts, long_finds, data_lines;

/* One text through set k and its plain copy: the same bits. */
static void compare_text(size_t k, const char *p, size_t n)
{
    uint64_t cut[MAX_WORDS], plain[MAX_WORDS], chain[MAX_WORDS];
    mc_str text = mc_str_make(p, n);
    size_t words = litset_words(cut_set[k]);
    /* A scan sets every word of its bits: what was there before counts for nothing. */
    memset(cut, 0xa5, sizeof cut);
    memset(chain, 0x5a, sizeof chain);
    litset_scan(cut_set[k], text, cut);
    litset_scan(plain_set[k], text, plain);
    litset_scan(chain_set[k], text, chain);
    for (size_t w = 0; w < words; w++) {
        ck_assert_msg(cut[w] == plain[w], "set %zu word %zu: %016llx, the plain automaton %016llx on '%.*s'", k, w,
                      (unsigned long long)cut[w], (unsigned long long)plain[w], (int)n, p);
        ck_assert_msg(chain[w] == plain[w], "set %zu word %zu: the chains %016llx, the plain automaton %016llx on '%.*s'",
                      k, w, (unsigned long long)chain[w], (unsigned long long)plain[w], (int)n, p);
        long_finds += (size_t)__builtin_popcountll(plain[w] & long_mask[k][w]);
    }
    texts++;
}

/* s with ins put in at `at` in place of drop bytes (or what fits), through set k. */
static void compare_edit(size_t k, const char *s, size_t n, size_t at, const char *ins, size_t in, size_t drop)
{
    char buf[1024];
    if (at > n || drop > n - at || n - drop + in > sizeof buf)
        return;
    memcpy(buf, s, at);
    memcpy(buf + at, ins, in);
    memcpy(buf + at + in, s + at + drop, n - at - drop);
    compare_text(k, buf, n - drop + in);
}

/* The lines of tests/data whose mutations are compared: one in MUTATED
 * (under the sanitizers, where a scan costs many times as much, fewer;
 * every kind of mutation is still met). */
#ifdef __SANITIZE_ADDRESS__
#define MUTATED 293
#else
#define MUTATED 97
#endif

/* A line of tests/data, and on every MUTATED-th line its mutations: each
 * literal of a set (every 16th of a large set, in turn), its first bytes
 * alone and capitalised, put in at the start, at the end (whole, and cut
 * by the end), and at four places that move from line to line, so over
 * the lines every border of the windows is crossed. */
static void compare_data(const char *path, const char *line, size_t n)
{
    (void)path;
    for (size_t k = 0; k < n_sets; k++)
        compare_text(k, line, n);
    if (data_lines++ % MUTATED != 0 || n > 900)
        return;
    uint32_t seed = (uint32_t)data_lines * 2654435761u;
    for (size_t k = 0; k < n_sets; k++) {
        size_t count = litset_count(cut_set[k]), every = count > 256 ? 16 : 1;
        for (size_t i = data_lines % every; i < count; i += every) {
            const char *lit = litset_literal(cut_set[k], i);
            size_t len = strlen(lit);
            char up[256];
            for (size_t j = 0; j < len && j < sizeof up; j++)
                up[j] = (char)toupper((unsigned char)lit[j]);
            for (int variant = 0; variant < 3; variant++) {
                const char *ins = variant == 2 ? up : lit;
                size_t in = variant == 1 && len > 1 ? len - 1 : len;
                size_t at[7] = {0, n, n >= in ? n - in + 1 : 0, 0, 0, 0, 0};
                for (int r = 3; r < 7; r++) {
                    seed = seed * 1103515245u + 12345u;
                    at[r] = n ? (seed >> 8) % n : 0;
                }
                for (int r = 0; r < 7; r++) {
                    compare_edit(k, line, n, at[r], ins, in, 0);
                    compare_edit(k, line, n, at[r], ins, in, in);
                }
            }
        }
    }
}

START_TEST(test_scan_like_plain)
{
    const mc_rules *r = test_rules();
    n_sets = 0;
    for (size_t m = 0; m < r->parse.n_mtas && n_sets < MAX_SETS - 1; m++)
        cut_set[n_sets++] = r->parse.mtas[m].literal_set;
    cut_set[n_sets++] = r->reasons.literals;
    for (size_t k = 0; k < n_sets; k++) {
        ck_assert_uint_le(litset_words(cut_set[k]), MAX_WORDS);
        plain_set[k] = litset_new_like(cut_set[k], 0);
        chain_set[k] = litset_new_unfiltered(cut_set[k]);
        ck_assert(!litset_filtered(plain_set[k]) && !litset_filtered(chain_set[k]));
        memset(long_mask[k], 0, sizeof long_mask[k]);
        for (size_t i = 0; i < litset_count(cut_set[k]); i++)
            if (strlen(litset_literal(cut_set[k], i)) > 8)
                long_mask[k][i / 64] |= 1ULL << (i % 64);
    }
    /* Exim's set (exact) is scanned by the byte filter where the CPU has
     * AVX2; the reasons' (caseless) by the automaton. */
    for (size_t m = 0; m < r->parse.n_mtas; m++) {
        if (strcmp(r->parse.mtas[m].name, "exim") != 0)
            continue;
#if defined(__x86_64__) && defined(__GNUC__)
        ck_assert_int_eq(litset_filtered(r->parse.mtas[m].literal_set), __builtin_cpu_supports("avx2") != 0);
#else
        ck_assert(!litset_filtered(r->parse.mtas[m].literal_set));
#endif
    }
    ck_assert(!litset_filtered(r->reasons.literals));
    test_each_data_line(compare_data, NULL);
    for (size_t k = 0; k < n_sets; k++) {
        litset_free(plain_set[k]);
        litset_free(chain_set[k]);
    }
    ck_assert_uint_gt(data_lines, 50000);
    ck_assert_uint_gt(texts, 1000000);
    ck_assert_uint_gt(long_finds, 100000);
}
END_TEST

/* ---- firstlit: the first of a few literals, in one pass ----------------- */

/* Literal sets firstlit must answer as firstlit_plain does: Postfix's
 * markers, a one-byte literal, one a suffix of another (either order),
 * several ending in the same two bytes, one of 40 bytes, a literal at the
 * start of the text, nine distinct last pairs, and eighteen two-byte
 * literals (more keys than one pass holds: looked up one by one). */
#define FL_MAX 20
static const char *const firstlit_sets[][FL_MAX] = {
    {"status=", "reject:", "said:", " authentication failed"},
    {"=", "status=", "said:"},
    {"said:", "d:"},
    {"d:", "said:"},
    {"reject:", "said:", "id:", "d:"},
    {"a forty-byte marker of a postmasters own", "from=", "<>"},
    {"Nov", "mx", "postfix/"},
    {"a1", "b2", "c3", "d4", "e5", "f6", "g7", "h8", "status="},
    {"rcpt=", "ehlo=", "queued", "removed", " ", ":"},
    {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "j0", "j1", "j2", "j3", "j4", "j5", "j6", "j7"},
};
#define N_FIRSTLIT_SETS (sizeof firstlit_sets / sizeof firstlit_sets[0])
static mc_firstlit *fl_sets[N_FIRSTLIT_SETS][2]; /* wide (if the CPU has it), narrow */
static size_t fl_counts[N_FIRSTLIT_SETS];
static size_t fl_lens[N_FIRSTLIT_SETS][FL_MAX];
static size_t fl_found, fl_texts;

/* Every set's answer on text (whole, and without its first bytes: other
 * lengths and alignments) against firstlit_plain.  The text is copied to
 * a heap block of its exact size: a load past its end is the sanitizers'
 * to catch (the suite runs under ASan too). */
static void firstlit_compare(mc_str text)
{
    char *copy = malloc(text.n ? text.n : 1);
    ck_assert_ptr_nonnull(copy);
    if (text.n)
        memcpy(copy, text.p, text.n);
    text.p = text.p ? copy : NULL;
    for (size_t k = 0; k < N_FIRSTLIT_SETS; k++)
        for (size_t cut = 0; cut < 3 && cut <= text.n; cut++) {
            mc_str t = mc_str_make(text.p ? text.p + cut : NULL, text.n - cut);
            size_t want = firstlit_plain((char *const *)firstlit_sets[k], fl_lens[k], fl_counts[k], t);
            for (int w = 0; w < 2; w++)
                ck_assert_msg(firstlit_find(fl_sets[k][w], t) == want, "set %zu narrow %d: want %zu on '%.*s'", k,
                              w, want, (int)t.n, t.p);
            fl_found += want < fl_counts[k];
            fl_texts++;
        }
    free(copy);
}

static void firstlit_line(const char *path, const char *line, size_t n)
{
    (void)path;
    firstlit_compare(mc_str_make(line, n));
}

/* firstlit_find gives firstlit_plain's answer (the lowest-indexed literal
 * present, not the leftmost) on every line of tests/data and on each set's
 * literals planted at every place of texts of 1 to 80 bytes, with 32 and
 * with 16 places a step. */
START_TEST(test_firstlit_like_plain)
{
    for (size_t k = 0; k < N_FIRSTLIT_SETS; k++) {
        fl_counts[k] = 0;
        while (fl_counts[k] < FL_MAX && firstlit_sets[k][fl_counts[k]] != NULL) {
            fl_lens[k][fl_counts[k]] = strlen(firstlit_sets[k][fl_counts[k]]);
            fl_counts[k]++;
        }
        for (int w = 0; w < 2; w++)
            fl_sets[k][w] = firstlit_new((char *const *)firstlit_sets[k], fl_lens[k], fl_counts[k]);
        firstlit_narrow(fl_sets[k][1]);
    }
    ck_assert_uint_eq(strlen(firstlit_sets[5][0]), 40);
    fl_found = fl_texts = 0;
    test_each_data_line(firstlit_line, NULL);
    ck_assert_uint_gt(fl_texts, 50000);
    ck_assert_uint_gt(fl_found, 10000);
    /* Planted: a text of filler (no literal of the sets holds '~'), one
     * literal or two (a later-indexed one before an earlier one). */
    char buf[200];
    for (size_t k = 0; k < N_FIRSTLIT_SETS; k++)
        for (size_t len = 1; len <= 80; len++)
            for (size_t i = 0; i < fl_counts[k]; i++)
                for (size_t at = 0; at + fl_lens[k][i] <= len; at++) {
                    memset(buf, '~', len);
                    memcpy(buf + at, firstlit_sets[k][i], fl_lens[k][i]);
                    firstlit_compare(mc_str_make(buf, len));
                    size_t j = fl_counts[k] - 1;
                    if (j != i && at >= fl_lens[k][j]) {
                        memcpy(buf, firstlit_sets[k][j], fl_lens[k][j]);
                        firstlit_compare(mc_str_make(buf, len));
                    }
                }
    /* The lowest index wins over the leftmost place. */
    size_t lens[2] = {5, 7};
    char *const later_first[2] = {"said:", "status="};
    mc_firstlit *f = firstlit_new(later_first, lens, 2);
    ck_assert_uint_eq(firstlit_find(f, mc_str_cstr("ABCDEF0123: to=<a@b.example>, status=bounced (host said: 550 no)")),
                      0);
    ck_assert_uint_eq(firstlit_find(f, mc_str_cstr("ABCDEF0123: to=<a@b.example>, status=bounced (host sent: 550 no)")),
                      1);
    ck_assert_uint_eq(firstlit_find(f, mc_str_cstr("ABCDEF0123: to=<a@b.example>, stat=bounced (host sent: 550 no)")),
                      2);
    ck_assert_uint_eq(firstlit_find(f, MC_STR_NULL), 2);
    firstlit_free(f);
    for (size_t k = 0; k < N_FIRSTLIT_SETS; k++)
        for (int w = 0; w < 2; w++)
            firstlit_free(fl_sets[k][w]);
}
END_TEST

/* The definition of a scan, literal by literal: lit_in on the text as
 * the set compares it (ASCII capitals folded for a caseless set). */
static void scan_by_definition(const mc_litset *ls, bool exact, const char *p, size_t n, uint64_t *bits)
{
    char folded[1024];
    ck_assert_uint_le(n, sizeof folded);
    for (size_t k = 0; k < n; k++)
        folded[k] = exact ? p[k] : (char)tolower((unsigned char)p[k]);
    memset(bits, 0, litset_words(ls) * sizeof *bits);
    for (size_t i = 0; i < litset_count(ls); i++) {
        const char *lit = litset_literal(ls, i);
        if (lit_in(mc_str_make(folded, n), lit, strlen(lit)))
            bits[i / 64] |= 1ULL << (i % 64);
    }
}

/* The rules' sets as built (litset_build makes the trie sparse, the
 * failure links on it, the rows in the scan's numbering and the outputs
 * as pairs, with no dense copy to compare with) against the definition,
 * not another automaton: every 64th line of tests/data, and every
 * literal of each set planted (capitalised for the caseless set) at a
 * place that moves from literal to literal in one of those lines. */
enum { DEF_EVERY = 64, DEF_LINES = 2000, DEF_WORDS = 128 };
static char def_line[DEF_LINES][512];
static size_t def_len[DEF_LINES], def_n, def_seen;

/* Keeps every DEF_EVERY-th line of tests/data (of up to 400 bytes). */
static void keep_line(const char *path, const char *line, size_t n)
{
    (void)path;
    if (def_seen++ % DEF_EVERY != 0 || n > 400 || def_n == DEF_LINES)
        return;
    memcpy(def_line[def_n], line, n);
    def_len[def_n++] = n;
}

/* One text through set ls and its definition: the same bits. */
static void compare_definition(const mc_litset *ls, bool exact, const char *p, size_t n, size_t *found)
{
    uint64_t got[DEF_WORDS], want[DEF_WORDS];
    ck_assert_uint_le(litset_words(ls), DEF_WORDS);
    litset_scan(ls, mc_str_make(p, n), got);
    scan_by_definition(ls, exact, p, n, want);
    for (size_t w = 0; w < litset_words(ls); w++) {
        ck_assert_msg(got[w] == want[w], "word %zu: %016llx, the definition %016llx on '%.*s'", w,
                      (unsigned long long)got[w], (unsigned long long)want[w], (int)n, p);
        *found += (size_t)__builtin_popcountll(want[w]);
    }
}

START_TEST(test_rules_sets_like_definition)
{
    const mc_rules *r = test_rules();
    def_n = def_seen = 0;
    test_each_data_line(keep_line, NULL);
    ck_assert_uint_gt(def_n, 500);
    const mc_litset *sets[MAX_SETS];
    bool exact[MAX_SETS];
    size_t n = 0;
    for (size_t m = 0; m < r->parse.n_mtas && n < MAX_SETS - 1; m++) {
        sets[n] = r->parse.mtas[m].literal_set;
        exact[n++] = true;
    }
    sets[n] = r->reasons.literals;
    exact[n++] = false;
    size_t found = 0, planted = 0;
    for (size_t k = 0; k < n; k++) {
        for (size_t l = 0; l < def_n; l++)
            compare_definition(sets[k], exact[k], def_line[l], def_len[l], &found);
        for (size_t i = 0; i < litset_count(sets[k]); i++) {
            const char *lit = litset_literal(sets[k], i);
            size_t len = strlen(lit), l = (i * 7) % def_n, at = def_len[l] ? (i * 13) % def_len[l] : 0;
            char text[1024];
            if (len + def_len[l] > sizeof text)
                continue;
            memcpy(text, def_line[l], at);
            for (size_t j = 0; j < len; j++)
                text[at + j] = exact[k] ? lit[j] : (char)toupper((unsigned char)lit[j]);
            memcpy(text + at + len, def_line[l] + at, def_len[l] - at);
            compare_definition(sets[k], exact[k], text, def_len[l] + len, &found);
            planted++;
        }
    }
    ck_assert_uint_gt(planted, 1000);
    ck_assert_uint_gt(found, planted);
}
END_TEST

/* Orders literals of the big set. */
static int by_text(const void *a, const void *b) { return strcmp(a, b); }

/* A set too large for the table (more than 65,535 states: scanned by the
 * automaton's own transitions, in its own numbering), whole literals:
 * random texts and planted literals against the definition. */
START_TEST(test_big_set_like_definition)
{
    enum { N = 8000, LEN = 12 };
    static char lits[N][LEN + 1];
    const char alphabet[] = "abcdefgh";
    uint32_t seed = 4242;
    mc_litset *ls = litset_new();
    litset_prefix(ls, 0);
    for (size_t i = 0; i < N; i++) {
        for (size_t k = 0; k < LEN; k++) {
            seed = seed * 1103515245u + 12345u;
            lits[i][k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        litset_add(ls, lits[i]);
    }
    litset_build(ls);
    ck_assert_uint_eq(litset_count(ls), N);
    /* The trie's states: the root and, in sorted order, each literal's
     * bytes past what it shares with the one before. */
    qsort(lits, N, sizeof lits[0], by_text);
    size_t states = 1 + LEN;
    for (size_t i = 1; i < N; i++) {
        size_t common = 0;
        while (common < LEN && lits[i][common] == lits[i - 1][common])
            common++;
        states += LEN - common;
    }
    ck_assert_uint_gt(states, 65535);
    size_t found = 0;
    for (size_t round = 0; round < 3000; round++) {
        char text[200];
        size_t len = 40 + round % 150;
        for (size_t k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            text[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        const char *lit = lits[(round * 31) % N];
        memcpy(text + 1 + (round * 17) % (len - LEN - 1), lit, LEN);
        text[0] = 'A'; /* a capital, folded */
        compare_definition(ls, false, text, len, &found);
    }
    ck_assert_uint_ge(found, 3000);
    litset_free(ls);
}
END_TEST

/* Exact sets of random literals (2 to 12 bytes, among them bytes past
 * ASCII and DEL, alike first bytes in families), scanned by the byte
 * filter where the CPU has AVX2, whose buckets are placed by the set's
 * own prints (place_prints): random texts with literals planted whole
 * and with one byte changed, against the definition.  A placement that
 * left a print out of its bucket's nibbles would miss its literal. */
START_TEST(test_filter_sets_like_definition)
{
    static const char bytes[] = "aAbB =<>-*.:;,[]()T0129\x7f\x80\xc3\xa9\xff";
    uint32_t seed = 2626;
    size_t found = 0, filtered = 0;
    for (size_t set = 0; set < 60; set++) {
        size_t count = 3 + set * 4, families = 1 + set % 9;
        char lits[250][13];
        mc_litset *ls = litset_new_exact();
        for (size_t i = 0; i < count; i++) {
            seed = seed * 1103515245u + 12345u;
            size_t len = 2 + (seed >> 16) % 11;
            for (size_t k = 0; k < len; k++) {
                seed = seed * 1103515245u + 12345u;
                lits[i][k] = bytes[(seed >> 16) % (sizeof bytes - 1)];
            }
            /* Families: literals that share their first byte or two. */
            lits[i][0] = bytes[(i % families) * 3 % (sizeof bytes - 1)];
            if (i % 2 == 0)
                lits[i][1] = bytes[(i % families) * 5 % (sizeof bytes - 1)];
            lits[i][len] = '\0';
            litset_add(ls, lits[i]);
        }
        litset_build(ls);
        filtered += litset_filtered(ls);
        for (size_t round = 0; round < 200; round++) {
            char text[300];
            size_t len = round % 120 + 1;
            for (size_t k = 0; k < len; k++) {
                seed = seed * 1103515245u + 12345u;
                text[k] = bytes[(seed >> 16) % (sizeof bytes - 1)];
            }
            for (size_t put = 0; put < 3; put++) {
                seed = seed * 1103515245u + 12345u;
                const char *lit = lits[(seed >> 8) % count];
                size_t n = strlen(lit);
                if (n > len)
                    continue;
                size_t at = (seed >> 20) % (len - n + 1);
                memcpy(text + at, lit, n);
                if (put == 2)
                    text[at + (seed >> 4) % n] ^= 1;
            }
            compare_definition(ls, true, text, len, &found);
        }
        litset_free(ls);
    }
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2"))
        ck_assert_uint_eq(filtered, 60);
#endif
    ck_assert_uint_gt(found, 10000);
}
END_TEST

static Suite *prefilter_suite(void)
{
    Suite *s = suite_create("prefilter");
    TCase *tc = tcase_create("prefilter");
    tcase_add_loop_test(tc, test_literals_exact, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_literals_case);
    tcase_add_test(tc, test_scan);
    tcase_add_test(tc, test_scan_many);
    tcase_add_test(tc, test_lit_in_like_memmem);
    tcase_add_test(tc, test_lit_bytes);
    tcase_add_test(tc, test_scan_like_memmem);
    tcase_add_test(tc, test_scan_long_like_memmem);
    tcase_add_test(tc, test_scan_like_plain);
    tcase_add_test(tc, test_firstlit_like_plain);
    tcase_add_test(tc, test_rules_sets_like_definition);
    tcase_add_test(tc, test_big_set_like_definition);
    tcase_add_test(tc, test_filter_sets_like_definition);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(prefilter_suite)
