/*
 * test_factread.c - the hand readers of the fact patterns (factread.c)
 * give the captures PCRE2 gives, so a fact line reads the same with or
 * without them.
 *
 * 1. Every reader belongs to a fact rule of the shipped rules (a reader
 *    whose pattern text no rule has any more would silently stop being
 *    used), and the parser finds it.
 * 2. Reader against regex on every line of tests/data, the line and each
 *    of its tails after a space (where a message starts once the envelope
 *    and any prefix are cut): match or not, and every group, by place.
 * 3. The same on mutations of the lines each pattern matches: cut at every
 *    byte, each ASCII byte replaced by the bytes the patterns look at
 *    (space, newline, tab, < > , ( ) [ ] - = : digits, letters; \v \f \r
 *    and the bytes either side of \s near the start and the end), a
 *    two-byte character put in, field words (" H=", " S=1", " id=", " QT=")
 *    put in after each space, and counted fields past their count.
 * 4. The readers' length cap: on the worst lines of that length the
 *    pattern finishes within the parser's first match limit, so a reader
 *    never saves work the budget would have charged.
 */
#include <stdio.h>
#include <zlib.h>

#include "factread.h"
#include "testutil.h"


/* ---- 1. readers in use ----------------------------------------------- */

START_TEST(test_readers_in_use)
{
    const mc_rules *r = test_rules();
    size_t n = 0;
    for (const char *src; (src = factread_source(n)) != NULL; n++) {
        bool found = false;
        for (size_t i = 0; i < r->parse.n_mtas && !found; i++)
            for (size_t j = 0; j < r->parse.mtas[i].n_facts && !found; j++)
                found = strcmp(r->parse.mtas[i].facts[j].pat.source, src) == 0;
        ck_assert_msg(found, "no fact rule has the pattern of reader %zu: %s", n, src);
        ck_assert_ptr_nonnull(factread_for(src));
    }
    ck_assert_uint_eq(n, 9);
    /* The parser takes them: each shipped fact rule has its reader. */
    mc_parser p;
    parser_init(&p, &r->parse);
    size_t with = 0;
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        for (size_t j = 0; j < r->parse.mtas[i].n_facts; j++)
            with += p.fact_readers[i][j] != NULL;
    parser_free(&p);
    ck_assert_uint_eq(with, 9);
    /* An edited pattern has none: it runs as a regex. */
    ck_assert_ptr_null(factread_for("^(?<queue_id>[0-9A-Za-z]+): removed"));
    ck_assert_ptr_null(factread_for(""));
}
END_TEST

/* ---- 2. and 3. reader against regex ------------------------------------ */

typedef struct {
    const mc_line_rule *rule;
    mc_factread_fn read;
    size_t yes, no, ask;  /* the reader's answers */
    char **kept;          /* subjects the pattern matched, for mutations */
    size_t n_kept;
} reader_case;

static reader_case cases[16];
static size_t n_cases;
static mc_matcher matcher;

/* Whether s is valid UTF-8 (the reader's lines are). */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n)
            return false;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        if ((len == 2 && c < 0xC2) || (len == 3 && c == 0xE0 && s[i + 1] < 0xA0) ||
            (len == 3 && c == 0xED && s[i + 1] >= 0xA0) || (len == 4 && c == 0xF0 && s[i + 1] < 0x90) ||
            (len == 4 && (c > 0xF4 || (c == 0xF4 && s[i + 1] >= 0x90))))
            return false;
        i += len;
    }
    return true;
}

/* Whether two captures are the same place (or both unset). */
static bool same_capture(mc_str a, mc_str b) { return a.p == b.p && a.n == b.n; }

static const mc_group field_groups[] = {G_QUEUE_ID, G_SENDER, G_CLIENT, G_MESSAGE_ID, G_SIZE};

/* One subject through a reader and through the pattern: the same answer.
 * Returns whether the pattern matched. */
static bool compare_one(reader_case *c, const char *p, size_t n)
{
    mc_str s = mc_str_make(p, n);
    if (n > MC_FACTREAD_MAX || !utf8_ok((const unsigned char *)p, n))
        return false;
    mc_fact_fields ff;
    memset(&ff, 0, sizeof ff);
    mc_factread_result got = c->read(s, &ff);
    bool want = pattern_match(&c->rule->pat, &matcher, s);
    if (got == FACTREAD_ASK) {
        c->ask++;
        return want;
    }
    ck_assert_msg((got == FACTREAD_YES) == want, "[%s] reader %s, pattern %s on: %.*s", c->rule->name,
                  got == FACTREAD_YES ? "matches" : "does not match", want ? "matches" : "does not", (int)n, p);
    if (!want) {
        c->no++;
        return false;
    }
    c->yes++;
    /* factread_lacks: no byte of a line the pattern matches is one its
     * lines cannot hold. */
    bool seen[256] = {false};
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)p[i];
        if (seen[b])
            continue;
        seen[b] = true;
        ck_assert_msg(!factread_lacks(c->rule->pat.source, (const char *)&b, 1), "[%s] byte 0x%02x said lacked in: %.*s",
                      c->rule->name, b, (int)n, p);
    }
    const mc_str mine[] = {ff.queue_id, ff.sender, ff.client, ff.message_id, ff.size};
    for (size_t g = 0; g < sizeof field_groups / sizeof field_groups[0]; g++) {
        mc_str theirs = pattern_group(&c->rule->pat, &matcher, s, field_groups[g]);
        ck_assert_msg(same_capture(mine[g], theirs), "[%s] group %zu: reader '%.*s' (%s), pattern '%.*s' (%s) on: %.*s",
                      c->rule->name, g, (int)mine[g].n, mine[g].p ? mine[g].p : "", mine[g].p ? "set" : "unset",
                      (int)theirs.n, theirs.p ? theirs.p : "", theirs.p ? "set" : "unset", (int)n, p);
    }
    return true;
}

/* A line and its tails after each of its first TAILS spaces (a message
 * starts after the envelope's few words and any prefix), through every
 * reader. */
#define TAILS 8
static void compare_line(const char *line, size_t n)
{
    for (size_t i = 0, spaces = 0; i <= n && spaces <= TAILS; i++) {
        if (i > 0 && line[i - 1] != ' ')
            continue;
        spaces += i > 0;
        for (size_t k = 0; k < n_cases; k++) {
            reader_case *c = &cases[k];
            if (compare_one(c, line + i, n - i) && c->n_kept < 40) {
                c->kept = realloc(c->kept, (c->n_kept + 1) * sizeof *c->kept);
                ck_assert_ptr_nonnull(c->kept);
                c->kept[c->n_kept] = strndup(line + i, n - i);
                ck_assert_ptr_nonnull(c->kept[c->n_kept]);
                c->n_kept++;
            }
        }
    }
}

/* One line of tests/data, as test_each_data_line hands it over. */
static void compare_data_line(const char *path, const char *line, size_t n)
{
    (void)path;
    compare_line(line, n);
}

/* The fact rules with a reader, from the shipped rules. */
static void setup_cases(void)
{
    const mc_rules *r = test_rules();
    n_cases = 0;
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        for (size_t j = 0; j < r->parse.mtas[i].n_facts; j++) {
            const mc_line_rule *rule = &r->parse.mtas[i].facts[j];
            mc_factread_fn fn = factread_for(rule->pat.source);
            if (fn && n_cases < sizeof cases / sizeof cases[0])
                cases[n_cases++] = (reader_case){.rule = rule, .read = fn};
        }
    matcher_init(&matcher);
}

static void teardown_cases(void)
{
    for (size_t k = 0; k < n_cases; k++) {
        for (size_t i = 0; i < cases[k].n_kept; i++)
            free(cases[k].kept[i]);
        free(cases[k].kept);
    }
    memset(cases, 0, sizeof cases);
    n_cases = 0;
    matcher_free(&matcher);
}

/* 2.: every line of tests/data; the lines each pattern matched are kept
 * for 3. */
static void compare_corpus(void)
{
    test_each_data_line(compare_data_line, NULL);
    /* Every pattern met real lines it matches and lines it does not. */
    for (size_t k = 0; k < n_cases; k++) {
        ck_assert_msg(cases[k].yes >= 1, "[%s] matched no line of tests/data", cases[k].rule->name);
        ck_assert_msg(cases[k].no >= 1000, "[%s] %zu lines only", cases[k].rule->name, cases[k].no);
    }
}

/* The bytes a mutation puts in place of an ASCII byte. */
static const char swaps[] = " \n\t<>,()[]-=:0aH";

/* Room for a mutation of a subject a reader takes. */
#define EDIT_CAP (MC_FACTREAD_MAX + 64)

/* A mutation of s into buf (EDIT_CAP bytes): bytes [0, at) + ins + bytes
 * [at + drop, n); its length, or SIZE_MAX when it does not fit. */
static size_t edit_into(char *buf, const char *s, size_t n, size_t at, const char *ins, size_t drop)
{
    size_t in = strlen(ins);
    if (n - drop + in > EDIT_CAP)
        return SIZE_MAX;
    memcpy(buf, s, at);
    memcpy(buf + at, ins, in);
    memcpy(buf + at + in, s + at + drop, n - at - drop);
    return n - drop + in;
}

/* A mutation of s (edit_into's) through reader c and its pattern. */
static void compare_edit(reader_case *c, const char *s, size_t n, size_t at, const char *ins, size_t drop)
{
    char buf[EDIT_CAP];
    size_t m = edit_into(buf, s, n, at, ins, drop);
    if (m != SIZE_MAX)
        compare_one(c, buf, m);
}

START_TEST(test_reader_is_regex)
{
    setup_cases();
    ck_assert_uint_eq(n_cases, 9);
    compare_corpus();
    static const char *const words[] = {" H=",    " H=[1.2.3.4]", " H=(x) [1.2.3.4]", " H=a (b) [c]", " S=",
                                        " S=12",  " S=1234567890123456789", " id=", " id=x", " QT=",
                                        " QT=1s", "<>",           "\n",               " ",
                                        " S=12 ", " S=3 id=x",    " H=a [b] S=1 id=y ", " S=4\n"};
    static const char *const long_fields[] = {"S=1234567890123456789", "id=", "message-id=<"};
    for (size_t k = 0; k < n_cases; k++) {
        reader_case *c = &cases[k];
        size_t before = c->yes + c->no;
        for (size_t m = 0; m < c->n_kept; m++) {
            const char *s = c->kept[m];
            size_t n = strlen(s);
            for (size_t at = 0; at <= n; at++) {
                compare_edit(c, s, n, at, "", n - at); /* cut */
                compare_edit(c, s, n, at, "\xc3\xa9", 0);
                if (at < n && (unsigned char)s[at] < 0x80)
                    for (const char *w = swaps; *w; w++)
                        compare_edit(c, s, n, at, (char[]){*w, 0}, 1);
                if (at < n && (unsigned char)s[at] < 0x80)
                    compare_edit(c, s, n, at, "", 1); /* a byte dropped */
                /* The other \s bytes and their neighbours (\b, \x0e: no
                 * \s), near the start (an Exim sender) and the end (its
                 * id=), where the readers look 16 bytes a step. */
                if (at < n && (unsigned char)s[at] < 0x80 && (at < 64 || n - at <= 32))
                    for (const char *w = "\v\f\r\b\x0e"; *w; w++)
                        compare_edit(c, s, n, at, (char[]){*w, 0}, 1);
                /* An alphanumeric or '-' put in near the start: an Exim
                 * id's runs one longer, on lines of 24 bytes or more too
                 * (factread_exim_id24's masks). */
                if (at < 40) {
                    compare_edit(c, s, n, at, "a", 0);
                    compare_edit(c, s, n, at, "-", 0);
                }
                if (at == 0 || s[at - 1] == ' ' || at == n)
                    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
                        compare_edit(c, s, n, at, words[w], 0);
            }
            /* The test suite's masked sizes (S=sss) as digits. */
            const char *sss = strstr(s, "S=sss");
            if (sss)
                compare_edit(c, s, n, (size_t)(sss - s) + 2, "123", 3);
            /* Counted fields past their count: 600 bytes of value. */
            for (size_t f = 0; f < sizeof long_fields / sizeof long_fields[0]; f++) {
                char big[MC_FACTREAD_MAX];
                const char *at = strstr(s, long_fields[f]);
                if (at == NULL)
                    continue;
                size_t lead = (size_t)(at - s) + strlen(long_fields[f]);
                if (lead + 600 + 2 > sizeof big)
                    continue;
                memcpy(big, s, lead);
                for (size_t i = 0; i < 600; i++)
                    big[lead + i] = i % 7 == 3 && f == 0 ? '9' : f == 0 ? '1' : 'x';
                memcpy(big + lead + 600, "\xc3\xa9", 2);
                compare_one(c, big, lead + 602);
            }
        }
        ck_assert_msg(c->yes + c->no - before >= 1000, "[%s] %zu mutations", c->rule->name, c->yes + c->no - before);
    }
    teardown_cases();
}
END_TEST

/* Messages about 24 bytes long, where the Exim readers leave their
 * common path (factread.c: exim_received and exim_generated read a
 * message shorter than 24 bytes out of line, the id of one by bytes):
 * each, each of its cuts, and each cut with each ASCII byte replaced by
 * the swaps, through every reader and its pattern; the patterns match
 * some of those shorter than 24 bytes. */
START_TEST(test_exim_short_messages)
{
    setup_cases();
    static const char *const lines[] = {
        "1xC4Km-8QlEDp-pk <= abc",       "1xC4Km-8QlEDp-pk <= <>",         "1xC4Km-8QlEDp-pk <= a\n",
        "1xC4Km-8QlEDp-pk <= a S=1",     "1xC4Km-8QlEDp-pk <= <> R=x S=12", "1xC4Km-8QlEDp-pk <= a H=[1] S=2 id=z",
        "1xC4Km-8QlEDp-pk Completed",    "1xC4Km-8QlEDp-pk Completed QT=1s", "abcdef-ABCDEF0-09 <= x id=y",
        "abcdef-ABCDEF-09 <= x@y H=h (c) [1.2.3.4]:25 S=9 id=m@h",
    };
    size_t short_yes = 0;
    for (size_t l = 0; l < sizeof lines / sizeof lines[0]; l++) {
        const char *s = lines[l];
        size_t n = strlen(s);
        for (size_t cut = 0; cut <= n; cut++)
            for (size_t k = 0; k < n_cases; k++) {
                reader_case *c = &cases[k];
                short_yes += compare_one(c, s, cut) && cut < 24;
                for (size_t at = 0; at < cut; at++)
                    for (const char *w = swaps; *w; w++)
                        compare_edit(c, s, cut, at, (char[]){*w, 0}, 1);
            }
    }
    ck_assert_msg(short_yes >= 10, "%zu matches shorter than 24 bytes", short_yes);
    teardown_cases();
}
END_TEST

/* ---- 4. the length cap ------------------------------------------------- */

/* Worst lines of MC_FACTREAD_MAX bytes for the patterns with searches or
 * alternatives: words that start like a field and do not fit it. */
static void fill(char *buf, const char *head, const char *unit)
{
    size_t h = strlen(head), u = strlen(unit), n = h;
    memcpy(buf, head, h);
    while (n + u <= MC_FACTREAD_MAX) {
        memcpy(buf + n, unit, u);
        n += u;
    }
    memset(buf + n, 'x', MC_FACTREAD_MAX - n);
    buf[MC_FACTREAD_MAX] = '\0';
}

START_TEST(test_cap_within_first_limit)
{
    static const char *const worst[][2] = {
        {"1abcde-123456-ab <= a@b", " H=x (y) [z"},
        {"1abcde-123456-ab <= a@b", " H=x (y"},
        {"1abcde-123456-ab <= a@b", " H=(y) "},
        {"1abcde-123456-ab <= a@b", " S=1x"},
        {"1abcde-123456-ab <= a@b", " id= "},
        {"1abcde-123456-ab <= a@b", " "},
        {"1abcde-123456-ab <= a@b", " H=a"},
        {"1abcde-123456-ab Completed QT=", "1"},
        {"1abcde-123456-ab <= <> R=", " S=1x"},
        {"ABC: sender ", "delivery "},
        {"ABC: from=<", "a"},
    };
    const mc_rules *r = test_rules();
    mc_matcher mt;
    pcre2_match_context *ctx = test_first_limit_context(&mt);
    char buf[MC_FACTREAD_MAX + 1];
    size_t runs = 0;
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        for (size_t j = 0; j < r->parse.mtas[i].n_facts; j++) {
            const mc_line_rule *rule = &r->parse.mtas[i].facts[j];
            if (factread_for(rule->pat.source) == NULL)
                continue;
            for (size_t w = 0; w < sizeof worst / sizeof worst[0]; w++) {
                fill(buf, worst[w][0], worst[w][1]);
                int rc = pattern_exec(&rule->pat, mc_str_make(buf, MC_FACTREAD_MAX), mt.md, ctx);
                ck_assert_msg(!test_hit_limit(rc), "[%s] needs more than the first match limit (%d) on %.60s...", rule->name, rc, buf);
                runs++;
            }
        }
    ck_assert_uint_eq(runs, 9 * sizeof worst / sizeof worst[0]);
    matcher_free(&mt);
    pcre2_match_context_free(ctx);
}
END_TEST


/* ---- 4. readers before literals ---------------------------------------- */

/* Whether two views hold the same bytes (or are both unset). */
static bool same_str(mc_str a, mc_str b)
{
    if (a.p == NULL || b.p == NULL)
        return a.p == b.p;
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static long first_lines, first_facts;

/* One line through the parser whose readers answer first (a) and one that
 * looks for every literal first (b): the same result, fact and count. */
static void compare_first(mc_parser *a, mc_parser *b, const char *line, size_t n)
{
    mc_event ea, eb;
    mc_str s = mc_str_make(line, n);
    mc_parse_result ra = parser_line(a, s, &ea), rb = parser_line(b, s, &eb);
    const mc_fact *fa = &a->fact, *fb = &b->fact;
    bool same = ra == rb && fa->kind == fb->kind && a->mta_lines == b->mta_lines;
    if (same && fa->kind != FACT_NONE)
        same = same_str(fa->queue_id, fb->queue_id) && same_str(fa->sender, fb->sender) &&
               fa->has_sender == fb->has_sender && same_str(fa->client, fb->client) &&
               same_str(fa->message_id, fb->message_id) && fa->size == fb->size && same_str(fa->host, fb->host) &&
               same_str(fa->program, fb->program);
    if (same && ra == PARSE_EVENT)
        same = same_str(ea.queue_id, eb.queue_id) && strcmp(ea.code, eb.code) == 0;
    ck_assert_msg(same, "readers first: result %d/%d, fact %d/%d on %.*s", ra, rb, fa->kind, fb->kind, (int)n, line);
    first_lines++;
    first_facts += fa->kind != FACT_NONE;
}

/* The next line of f without its line end, in line (cap bytes); its
 * length, or -1 at the end. */
static long next_line(gzFile f, char *line, int cap)
{
    if (gzgets(f, line, cap) == NULL)
        return -1;
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    line[n] = '\0';
    return (long)n;
}

/* Every Postfix line of one file, and (one in 4) its message under each
 * daemon with each fact literal put after it, before it or in its place. */
static void compare_first_file(mc_parser *a, mc_parser *b, const char *path)
{
    static const char *const daemons[] = {"smtpd", "qmgr", "cleanup", "pickup", "bounce", "smtp", "local"};
    static const char *const lits[] = {"", ", nrcpt=1", ": removed", " notification: ABC", ": client=x",
                                       ": message-id=<a@b>", ": uid=0 from=<a>"};
    gzFile f = gzopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char line[4096], buf[8192];
    long got;
    for (long k = 0; (got = next_line(f, line, sizeof line)) >= 0; k++) {
        size_t n = (size_t)got;
        compare_first(a, b, line, n);
        const char *msg = strstr(line, "]: ");
        if (k % 4 != 0 || msg == NULL)
            continue;
        msg += 3;
        for (size_t d = 0; d < sizeof daemons / sizeof daemons[0]; d++)
            for (size_t l = 0; l < sizeof lits / sizeof lits[0]; l++) {
                static const char *const forms[] = {"%s%s", "%2$s%1$s", "ABC%2$s"};
                for (size_t fm = 0; fm < sizeof forms / sizeof forms[0]; fm++) {
                    char body[4096];
                    snprintf(body, sizeof body, forms[fm], msg, lits[l]);
                    int m = snprintf(buf, sizeof buf, "Oct  1 00:00:02 mx postfix/%s[123]: %s", daemons[d], body);
                    compare_first(a, b, buf, (size_t)m);
                }
            }
    }
    gzclose(f);
}

/* Each file the command ls lists through file (more than min_files),
 * then the parsers freed: over 100,000 lines compared, 10,000 facts. */
static void compare_listed(mc_parser *a, mc_parser *b, void (*file)(mc_parser *, mc_parser *, const char *),
                           size_t min_files, const char *ls)
{
    first_lines = first_facts = 0;
    char *out = NULL;
    ck_assert_int_eq(test_run(ls, &out), 0);
    size_t files = 0;
    for (char *save = NULL, *w = strtok_r(out, "\n", &save); w; w = strtok_r(NULL, "\n", &save), files++)
        file(a, b, w);
    free(out);
    parser_free(a);
    parser_free(b);
    ck_assert_uint_gt(files, min_files);
    ck_assert_int_gt(first_lines, 100000);
    ck_assert_int_gt(first_facts, 10000);
}

START_TEST(test_readers_before_literals)
{
    const mc_rules *r = test_rules();
    /* Which fact rules' readers answer first: Postfix's six (no prefix,
     * literals looked for one by one); Exim's none (a prefix). */
    mc_parser a, b;
    parser_init(&a, &r->parse);
    parser_init(&b, &r->parse);
    size_t first = 0;
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        for (size_t j = 0; j < r->parse.mtas[i].n_facts; j++) {
            bool postfix = strcmp(r->parse.mtas[i].name, "postfix") == 0;
            ck_assert_int_eq(a.fact_first[i][j], postfix);
            first += a.fact_first[i][j];
            b.fact_first[i][j] = false;
        }
    /* read_fact_rule reads the flags from the daemons' lists. */
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        for (size_t d = 0; d <= r->parse.mtas[i].n_daemons; d++)
            for (size_t k = 0; k < b.daemon_facts[i][d].n; k++) {
                const mc_fact_list *l = &b.daemon_facts[i][d];
                ck_assert(l->at[k].first == a.fact_first[i][l->idx[k]]);
                l->at[k].first = false;
            }
    ck_assert_uint_eq(first, 6);
    /* A literal the pattern's text holds, and ones it does not. */
    const char *qmgr = "^(?<queue_id>[0-9A-Za-z]+): from=<(?<sender>[^<>]*+)>, size=(?<size>[0-9]{1,18}), nrcpt=[0-9]+";
    ck_assert(factread_holds(qmgr, ", nrcpt=", 8));
    ck_assert(factread_holds(qmgr, "nrcpt", 5));
    ck_assert(!factread_holds(qmgr, ", nrcpt=1", 9));
    ck_assert(!factread_holds(qmgr, ": removed", 9));
    ck_assert(!factread_holds(qmgr, "", 0));
    ck_assert(!factread_holds("^(?<queue_id>[0-9A-Za-z]+): removed", ": removed", 9));
    /* The lines of qmgr's removed (its bytes: [0-9A-Za-z], ": " and a
     * final newline) lack from='s literal: its reader answers first. */
    const char *removed = "^(?<queue_id>[0-9A-Za-z]+): removed$";
    static const struct {
        bool removed; /* of removed's pattern, else of qmgr's */
        const char *lit;
        bool lacked;
    } lacks[] = {{true, ", nrcpt=", true}, {true, "x=", true},   {true, ": removed", false},
                 {true, "AB12: \n", false}, {false, ", nrcpt=", false}, {false, "\x01", false}};
    for (size_t k = 0; k < sizeof lacks / sizeof lacks[0]; k++)
        ck_assert_msg(factread_lacks(lacks[k].removed ? removed : qmgr, lacks[k].lit, strlen(lacks[k].lit)) ==
                          lacks[k].lacked,
                      "lacks %s", lacks[k].lit);
    size_t next_first = 0;
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        for (size_t d = 0; d <= r->parse.mtas[i].n_daemons; d++)
            for (size_t k = 0; k < a.daemon_facts[i][d].n; k++) {
                const mc_fact_list *l = &a.daemon_facts[i][d];
                if (!l->next_first[k])
                    continue;
                next_first++;
                ck_assert_str_eq(r->parse.mtas[i].facts[l->idx[k]].name, "fact-qmgr-from");
                ck_assert_str_eq(r->parse.mtas[i].facts[l->idx[k + 1]].name, "fact-qmgr-removed");
                /* daemon_facts[i][d] lists daemon d - 1's rules */
                ck_assert_msg(d > 0 && (strcmp(r->parse.mtas[i].daemons[d - 1], "qmgr") == 0 ||
                                        strcmp(r->parse.mtas[i].daemons[d - 1], "oqmgr") == 0),
                              "daemon %zu", d);
            }
    /* qmgr's and oqmgr's: the two queue managers share the rules */
    ck_assert_uint_eq(next_first, 2);
    compare_listed(&a, &b, compare_first_file, 5,
                   "ls " MC_DATA_DIR "/postfix/*.log " MC_DATA_DIR "/postfix/mta-run/* " MC_DATA_DIR
                   "/postfix-public/*.log " MC_DATA_DIR "/postfix-gen/maillog " MC_DATA_DIR "/sample.log");
}
END_TEST

/* ---- 5. the fact gate of a scanned MTA -------------------------------- */

/* Every line of one Exim file, and (one in 4) the line with each fact
 * literal (and a piece of one) put in before each of its first 5 spaces
 * and at its end. */
static void compare_gate_file(mc_parser *a, mc_parser *b, const char *path)
{
    static const char *const lits[] = {" <= <> R=", " <= ", " Completed", " <= <>", " <=", "Completed", " QT=1s"};
    gzFile f = gzopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char line[4096], buf[8192];
    long got;
    for (long k = 0; (got = next_line(f, line, sizeof line)) >= 0; k++) {
        size_t n = (size_t)got;
        compare_first(a, b, line, n);
        if (k % 4 != 0 || n > 2000)
            continue;
        for (size_t at = 0, spaces = 0; at <= n && spaces < 6; at++) {
            if (at < n && line[at] != ' ')
                continue;
            spaces++;
            for (size_t l = 0; l < sizeof lits / sizeof lits[0]; l++) {
                int m = snprintf(buf, sizeof buf, "%.*s%s%s", (int)at, line, lits[l], line + at);
                compare_first(a, b, buf, (size_t)m);
            }
        }
    }
    gzclose(f);
}

/* Every Exim log of tests/data, for compare_listed. */
#define EXIM_LOGS                                                                                                    \
    "ls " MC_DATA_DIR "/exim/*.log " MC_DATA_DIR "/exim/exim-testsuite/log/* " MC_DATA_DIR "/exim-runs/*.log.gz"

/* Two parsers of the test rules, a and b (one to change, to compare). */
static const mc_rules *two_parsers(mc_parser *a, mc_parser *b)
{
    const mc_rules *r = test_rules();
    parser_init(a, &r->parse);
    parser_init(b, &r->parse);
    return r;
}

/* Exim's lines are scanned with its literal set, and a scan without any
 * fact rule's first literal is no fact (parse.c fact_gates): a parser with
 * the gate and one without it (every line asks each rule) agree on every
 * Exim line of tests/data and on the lines with a fact literal put in. */
START_TEST(test_fact_gate)
{
    mc_parser a, b;
    const mc_rules *r = two_parsers(&a, &b);
    size_t gated = 0;
    for (size_t i = 0; i < r->parse.n_mtas; i++) {
        bool exim = strcmp(r->parse.mtas[i].name, "exim") == 0;
        ck_assert_uint_eq(a.fact_gates[i].n, exim ? r->parse.mtas[i].n_facts : 0);
        gated += a.fact_gates[i].n;
        b.fact_gates[i].n = 0; /* no gate: find_fact_rule on every line */
        a.fact_choices[i].k = b.fact_choices[i].k = 0; /* the gate, not the table (test_fact_choice) */
    }
    ck_assert_uint_eq(gated, 3);
    compare_listed(&a, &b, compare_gate_file, 100, EXIM_LOGS);
}
END_TEST

/* Exim's fact rule is chosen by a table of the scan's bits of its three
 * fact literals (parse.c fact_chosen): a parser that does and one that
 * asks the gate and each rule in turn agree on every Exim line of
 * tests/data and on the lines with a fact literal put in. */
START_TEST(test_fact_choice)
{
    mc_parser a, b;
    const mc_parse_rules *pr = &two_parsers(&a, &b)->parse;
    size_t tabled = 0, exim = pr->n_mtas;
    for (size_t i = 0; i < pr->n_mtas; i++) {
        tabled += a.fact_choices[i].k > 0;
        exim = strcmp(pr->mtas[i].name, "exim") == 0 ? i : exim;
        b.fact_choices[i].k = 0; /* the gate, then each rule in turn */
    }
    ck_assert_uint_eq(tabled, 1);
    ck_assert_uint_lt(exim, pr->n_mtas);
    ck_assert_uint_eq(a.fact_choices[exim].k, 3);
    /* Bits: " <= <> R=", " <= ", " Completed" (the rules' order); the
     * first rule whose literals are all found. */
    static const int8_t want[8] = {-1, 0, 1, 0, 2, 0, 1, 0};
    for (unsigned bits = 0; bits < 8; bits++)
        ck_assert_int_eq(a.fact_choices[exim].rule_of[bits], want[bits]);
    compare_listed(&a, &b, compare_gate_file, 100, EXIM_LOGS);
}
END_TEST

/* Exim's three fact literals' bits lie side by side in one word of the
 * scan, so fact_chosen reads rule_of by their span as it stands
 * (rule_of_span) instead of gathering them bit by bit: each span entry is
 * rule_of at the bits it holds at the literals' places, and a parser with
 * the span table and one that gathers the bits (span_mask 0, the
 * definition) agree on every Exim line of tests/data and on the lines
 * with a fact literal put in. */
START_TEST(test_fact_choice_span)
{
    mc_parser a, b;
    const mc_parse_rules *pr = &two_parsers(&a, &b)->parse;
    size_t spanned = 0;
    for (size_t i = 0; i < pr->n_mtas; i++) {
        const mc_fact_choice *c = &a.fact_choices[i];
        spanned += c->span_mask != 0;
        b.fact_choices[i].span_mask = 0; /* gathered bit by bit */
        if (c->span_mask == 0)
            continue;
        ck_assert_uint_gt(c->k, 0);
        /* Every value of the span's word, the bits outside it set or not. */
        for (unsigned v = 0; v <= c->span_mask; v++) {
            for (int rest = 0; rest < 2; rest++) {
                uint64_t word = (uint64_t)v << c->span_lo;
                if (rest)
                    word |= ~((uint64_t)c->span_mask << c->span_lo);
                unsigned bits = 0;
                for (size_t j = 0; j < c->k; j++) {
                    ck_assert_uint_eq(c->word[j], c->span_word);
                    bits |= (unsigned)(word >> c->shift[j] & 1) << j;
                }
                ck_assert_int_eq(c->rule_of_span[word >> c->span_lo & c->span_mask], c->rule_of[bits]);
            }
        }
    }
    ck_assert_uint_eq(spanned, 1);
    compare_listed(&a, &b, compare_gate_file, 100, EXIM_LOGS);
}
END_TEST

/* ---- 6. Exim's fact lines read before the prefix ----------------------- */

/* Every line of one Exim file, and each whose message (after its date)
 * starts with a word: under a syslog tag, with a stamp after the tag, with
 * a [pid] before it, with the word's first 4 bytes "exim", with "exim"
 * after the word, and with the byte after the word's space an 'e'. */
static void compare_unprefixed_file(mc_parser *a, mc_parser *b, const char *path)
{
    gzFile f = gzopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char line[4096], buf[8192];
    long got;
    while ((got = next_line(f, line, sizeof line)) >= 0) {
        size_t n = (size_t)got;
        compare_first(a, b, line, n);
        /* "YYYY-MM-DD HH:MM:SS " and a word of at least 4 bytes */
        if (n < 26 || n > 2000 || line[4] != '-' || line[19] != ' ' || strchr(line + 20, ' ') == NULL)
            continue;
        const char *date = line, *msg = line + 20, *rest = strchr(msg, ' ');
        int w = (int)(rest - msg);
        if (w < 4)
            continue;
        int m = snprintf(buf, sizeof buf, "Oct  1 00:00:02 mx exim[123]: %s", msg);
        compare_first(a, b, buf, (size_t)m);
        m = snprintf(buf, sizeof buf, "Oct  1 00:00:02 mx exim4[123]: %.20s%s", date, msg);
        compare_first(a, b, buf, (size_t)m);
        m = snprintf(buf, sizeof buf, "%.20s[123] %s", date, msg);
        compare_first(a, b, buf, (size_t)m);
        m = snprintf(buf, sizeof buf, "%.20sexim%s", date, msg + 4);
        compare_first(a, b, buf, (size_t)m);
        m = snprintf(buf, sizeof buf, "%.20s%.*s exim%s", date, w, msg, rest);
        compare_first(a, b, buf, (size_t)m);
        if (rest[1] != '\0') {
            m = snprintf(buf, sizeof buf, "%.20s%.*s e%s", date, w, msg, rest + 2);
            compare_first(a, b, buf, (size_t)m);
        }
    }
    gzclose(f);
}

/* Exim's three fact rules' readers read a line before the prefix (its gate
 * turns away every line they take: parse.c take_unprefixed): a parser that
 * does and one that runs the prefix first agree on every Exim line of
 * tests/data and on the forms above, where the prefix matches (a syslog
 * tag, a stamp, a [pid]) or its gate lets it run ("exim"). */
START_TEST(test_fact_unprefixed)
{
    mc_parser a, b;
    const mc_parse_rules *pr = &two_parsers(&a, &b)->parse;
    size_t first = 0; /* Exim's three rules, no other MTA's */
    for (size_t i = 0; i < pr->n_mtas; i++)
        for (size_t j = 0; j < pr->mtas[i].n_facts; j++) {
            ck_assert_int_eq(a.fact_unprefixed[i][j], strcmp(pr->mtas[i].name, "exim") == 0);
            first += a.fact_unprefixed[i][j];
            b.fact_unprefixed[i][j] = false; /* the prefix first, as before */
        }
    ck_assert_uint_eq(first, 3);
    /* The shipped gate spares an Exim id; no gate, none. */
    ck_assert(lineread_gate_spares_exim_ids(lineread_prefix_gate_for(lineread_prefix_source(0))));
    ck_assert(!lineread_gate_spares_exim_ids(NULL));
    ck_assert(!factread_exim_id_first(factread_source(0))); /* Postfix's client= */
    compare_listed(&a, &b, compare_unprefixed_file, 100, EXIM_LOGS);
}
END_TEST

/* ---- 7. a reader's size read a word at a time ------------------------ */

/* Every line of one file, and each line holding a size (" S=" or
 * ", size=" and a digit) with its size put in its place: 1 to 19 digits,
 * each a different digit's run and a mixed one. */
static void compare_size_file(mc_parser *a, mc_parser *b, const char *path)
{
    static const char *const keys[] = {" S=", ", size="};
    static const char *const mixed = "9081726354453627189";
    gzFile f = gzopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char line[4096], buf[8192], digits[24];
    long got;
    while ((got = next_line(f, line, sizeof line)) >= 0) {
        size_t n = (size_t)got;
        compare_first(a, b, line, n);
        if (n > 2000)
            continue;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const char *at = strstr(line, keys[k]);
            if (at == NULL || at[strlen(keys[k])] < '0' || at[strlen(keys[k])] > '9')
                continue;
            const char *from = at + strlen(keys[k]), *to = from;
            while (*to >= '0' && *to <= '9')
                to++;
            for (size_t len = 1; len <= 19; len++)
                for (int d = -1; d <= 9; d++) {
                    for (size_t i = 0; i < len; i++)
                        digits[i] = d < 0 ? mixed[i] : (char)('0' + d);
                    digits[len] = '\0';
                    int m = snprintf(buf, sizeof buf, "%.*s%s%s", (int)(from - line), line, digits, to);
                    compare_first(a, b, buf, (size_t)m);
                }
        }
    }
    gzclose(f);
}

/* A fact reader's size is read 8 digits at a time (parse.c decimal_read):
 * a parser whose fact rules read by their readers and one whose rules run
 * their patterns (the size's bytes one by one) agree on every Postfix and
 * Exim line of tests/data and on their sizes of every length. */
START_TEST(test_fact_size)
{
    mc_parser a, b;
    const mc_parse_rules *pr = &two_parsers(&a, &b)->parse;
    size_t readers = 0;
    for (size_t i = 0; i < pr->n_mtas; i++)
        for (size_t j = 0; j < pr->mtas[i].n_facts; j++) {
            readers += b.fact_readers[i][j] != NULL;
            b.fact_readers[i][j] = NULL;
            b.fact_first[i][j] = false;
            b.fact_unprefixed[i][j] = false;
        }
    /* read_fact_rule reads the readers from the daemons' lists (their
     * copies made at setup): off there too, or Postfix's half of this
     * test compares the readers with themselves. */
    for (size_t i = 0; i < pr->n_mtas; i++)
        for (size_t d = 0; d <= pr->mtas[i].n_daemons; d++)
            for (size_t k = 0; k < b.daemon_facts[i][d].n; k++) {
                mc_fact_entry *e = &b.daemon_facts[i][d].at[k];
                e->first = false;
                e->read = NULL;
                e->pair = NULL;
            }
    ck_assert_uint_eq(readers, 9);
    compare_listed(&a, &b, compare_size_file, 100,
                   EXIM_LOGS " " MC_DATA_DIR "/postfix/*.log " MC_DATA_DIR "/postfix/mta-run/* " MC_DATA_DIR
                             "/postfix-public/*.log " MC_DATA_DIR "/postfix-gen/maillog " MC_DATA_DIR "/sample.log");
}
END_TEST

/* ---- 8. qmgr's pair reader --------------------------------------------- */

/* qmgr's two readers as read_fact_rule asked them one by one (removed
 * first, each on a cleared out), and the pair reader that replaces the
 * two calls. */
static mc_factread_fn pair_first, pair_second;
static mc_factread_pair_fn pair_fn;
static size_t pair_counts[3]; /* yes by the first, yes by the second, no */
static char *pair_kept[80]; /* up to 40 subjects each rule took */
static size_t pair_n_kept, pair_kept_by[2];

/* One subject both ways: the same answer, the same rule, and on a yes the
 * same five fields by place (the pair's out starts as a sentinel, so a
 * field it leaves unwritten shows).  Returns 1 when the first said yes,
 * 2 when the second did, else 0. */
static int compare_pair(const char *p, size_t n)
{
    if (n > MC_FACTREAD_MAX || !utf8_ok((const unsigned char *)p, n))
        return 0;
    mc_str s = mc_str_make(p, n);
    mc_fact_fields want;
    memset(&want, 0, sizeof want);
    bool want_second = pair_second(s, &want) == FACTREAD_YES;
    mc_factread_result w = FACTREAD_YES;
    if (!want_second) {
        memset(&want, 0, sizeof want);
        w = pair_first(s, &want);
    }
    static const char sentinel[] = "???";
    mc_str junk = mc_str_make(sentinel, 3);
    mc_fact_fields got = {junk, junk, junk, junk, junk};
    bool second = !want_second;
    mc_factread_result g = pair_fn(s, &got, &second);
    ck_assert_msg(g == w, "pair %d, readers %d on: %.*s", (int)g, (int)w, (int)n, p);
    if (w != FACTREAD_YES) {
        pair_counts[2]++;
        return 0;
    }
    ck_assert_msg(second == want_second, "pair's rule on: %.*s", (int)n, p);
    pair_counts[want_second]++;
    const mc_str mine[] = {got.queue_id, got.sender, got.client, got.message_id, got.size};
    const mc_str theirs[] = {want.queue_id, want.sender, want.client, want.message_id, want.size};
    for (size_t f = 0; f < 5; f++)
        ck_assert_msg(same_capture(mine[f], theirs[f]), "field %zu on: %.*s", f, (int)n, p);
    return 1 + want_second;
}

/* A line of tests/data and its tails after its first spaces. */
static void compare_pair_line(const char *path, const char *line, size_t n)
{
    (void)path;
    for (size_t i = 0, spaces = 0; i <= n && spaces <= TAILS; i++) {
        if (i > 0 && line[i - 1] != ' ')
            continue;
        spaces += i > 0;
        int took = compare_pair(line + i, n - i);
        if (took > 0 && pair_kept_by[took - 1] < 40) {
            pair_kept_by[took - 1]++;
            pair_kept[pair_n_kept] = strndup(line + i, n - i);
            ck_assert_ptr_nonnull(pair_kept[pair_n_kept]);
            pair_n_kept++;
        }
    }
}

/* A mutation of s (edit_into's) through the pair and the two readers. */
static void compare_pair_edit(const char *s, size_t n, size_t at, const char *ins, size_t drop)
{
    char buf[EDIT_CAP];
    size_t m = edit_into(buf, s, n, at, ins, drop);
    if (m != SIZE_MAX)
        compare_pair(buf, m);
}

START_TEST(test_pair_like_readers)
{
    const mc_rules *r = test_rules();
    const char *from = NULL, *removed = NULL;
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        for (size_t j = 0; j < r->parse.mtas[i].n_facts; j++) {
            const mc_line_rule *rule = &r->parse.mtas[i].facts[j];
            if (strcmp(rule->name, "fact-qmgr-from") == 0)
                from = rule->pat.source;
            if (strcmp(rule->name, "fact-qmgr-removed") == 0)
                removed = rule->pat.source;
        }
    ck_assert_ptr_nonnull(from);
    ck_assert_ptr_nonnull(removed);
    pair_first = factread_for(from);
    pair_second = factread_for(removed);
    pair_fn = factread_pair_for(from, removed);
    ck_assert_ptr_nonnull(pair_fn);
    /* Only that pair, in that order. */
    ck_assert_ptr_null(factread_pair_for(removed, from));
    ck_assert_ptr_null(factread_pair_for(from, from));
    ck_assert_ptr_null(factread_pair_for("^(?<queue_id>[0-9A-Za-z]+): removed", removed));
    /* The parser takes it for qmgr's list. */
    mc_parser p;
    parser_init(&p, &r->parse);
    size_t pairs = 0;
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        for (size_t d = 0; d <= r->parse.mtas[i].n_daemons; d++)
            for (size_t k = 0; k < p.daemon_facts[i][d].n; k++)
                pairs += p.daemon_facts[i][d].at[k].pair == pair_fn;
    parser_free(&p);
    ck_assert_uint_eq(pairs, 2); /* qmgr's and oqmgr's */
    memset(pair_counts, 0, sizeof pair_counts);
    pair_n_kept = pair_kept_by[0] = pair_kept_by[1] = 0;
    test_each_data_line(compare_pair_line, NULL);
    ck_assert_uint_gt(pair_counts[0], 10);
    ck_assert_uint_gt(pair_counts[1], 10);
    ck_assert_uint_gt(pair_counts[2], 10000);
    /* Mutations of the lines either took: cut at every byte, each byte
     * swapped, bytes dropped, and the other rule's words put in. */
    static const char *const words[] = {": removed", ": removed\n", "\n", ", nrcpt=1", ", size=12", "<>", ": from=<a>",
                                        " ", ":", "\xc3\xa9"};
    size_t before = pair_counts[0] + pair_counts[1] + pair_counts[2];
    for (size_t m = 0; m < pair_n_kept; m++) {
        const char *s = pair_kept[m];
        size_t n = strlen(s);
        for (size_t at = 0; at <= n; at++) {
            compare_pair_edit(s, n, at, "", n - at);
            if (at < n && (unsigned char)s[at] < 0x80) {
                for (const char *w = swaps; *w; w++)
                    compare_pair_edit(s, n, at, (char[]){*w, 0}, 1);
                compare_pair_edit(s, n, at, "", 1);
            }
            for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
                compare_pair_edit(s, n, at, words[w], 0);
        }
        free(pair_kept[m]);
    }
    ck_assert_uint_gt(pair_counts[0] + pair_counts[1] + pair_counts[2] - before, 10000);
}
END_TEST

/* ---- 9. the usual Exim id's fast path ---------------------------------- */

static size_t id16_places, id16_fast;

/* factread_exim_id16 on the 24 bytes at p: 0, or factread_exim_id24's
 * answer. */
static void compare_id16(const char *p)
{
    size_t fast = factread_exim_id16(p), general = factread_exim_id24(p);
    ck_assert_msg(fast == 0 || fast == general, "id16 %zu, id24 %zu on: %.24s", fast, general, p);
    id16_places++;
    id16_fast += fast != 0;
}

/* The bytes a mutation of an id puts in: each class's edges and
 * neighbours ('/' and ':' beside the digits, '@' '[' '`' '{' beside the
 * letters), '-', '_', a space, '.', a newline and high bytes. */
static const char id_swaps[] = "09azAZ/:@[`{-_ .\n\x80\xff";

/* Each place of a line where a message may start (its tails after
 * spaces, as compare_line), with 24 bytes after it: the two agree there,
 * and on each of those 24 bytes put in place of each id_swaps byte when
 * the place holds an id. */
static void id16_line(const char *path, const char *line, size_t n)
{
    (void)path;
    for (size_t i = 0, spaces = 0; i + 24 <= n && spaces <= TAILS; i++) {
        if (i > 0 && line[i - 1] != ' ')
            continue;
        spaces += i > 0;
        char buf[24];
        memcpy(buf, line + i, 24);
        compare_id16(buf);
        if (factread_exim_id24(buf) == 0)
            continue;
        for (size_t at = 0; at < 24; at++)
            for (size_t k = 0; k < sizeof id_swaps - 1; k++) {
                char was = buf[at];
                buf[at] = id_swaps[k];
                compare_id16(buf);
                /* Two bytes changed: an id one run longer or shorter. */
                for (size_t at2 = at + 1; at2 < 24 && at < 18; at2 += 5) {
                    char was2 = buf[at2];
                    buf[at2] = id_swaps[(k + at2) % (sizeof id_swaps - 1)];
                    compare_id16(buf);
                    buf[at2] = was2;
                }
                buf[at] = was;
            }
    }
}

/* factread_exim_id16 (the fast path of the Exim readers' id) answers as
 * factread_exim_id24 (the definition) or not at all, on every line of
 * tests/data and on their ids mutated, and answers on most real ids. */
START_TEST(test_exim_id16_like_id24)
{
    id16_places = id16_fast = 0;
    test_each_data_line(id16_line, NULL);
    /* Exim's test suite and 4.96 runs: ids of 16 bytes, read fast. */
    ck_assert_msg(id16_fast >= 1000000 && id16_places >= 10000000, "%zu of %zu places read fast", id16_fast,
                  id16_places);
    /* Made up: a 6-6-2 id with each byte after it (read fast after a
     * space only). */
    char buf[25] = "abcdef-ABCDEF-09 <= x@y ";
    for (unsigned c = 0; c < 256; c++) {
        buf[16] = (char)c;
        compare_id16(buf);
        ck_assert_uint_eq(factread_exim_id16(buf) != 0, c == ' ');
    }
}
END_TEST

static Suite *factread_suite(void)
{
    Suite *s = suite_create("factread");
    TCase *tc = tcase_create("factread");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_readers_in_use);
    tcase_add_test(tc, test_reader_is_regex);
    tcase_add_test(tc, test_exim_short_messages);
    tcase_add_test(tc, test_cap_within_first_limit);
    tcase_add_test(tc, test_readers_before_literals);
    tcase_add_test(tc, test_fact_gate);
    tcase_add_test(tc, test_fact_choice);
    tcase_add_test(tc, test_fact_choice_span);
    tcase_add_test(tc, test_fact_unprefixed);
    tcase_add_test(tc, test_fact_size);
    tcase_add_test(tc, test_pair_like_readers);
    tcase_add_test(tc, test_exim_id16_like_id24);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(factread_suite)
