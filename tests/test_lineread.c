/*
 * test_lineread.c - the hand readers of the outcome rules' patterns and
 * the prefix gates (lineread.c) give PCRE2's answer, so a line reads the
 * same with or without them.
 *
 * 1. Every reader and gate belongs to a pattern of the shipped rules (one
 *    whose text no rule has any more would silently stop being used), the
 *    parser takes them, an edited pattern has none.
 * 2. Reader against regex on every line of tests/data, the line and each
 *    of its tails after a space (where a message starts once the envelope
 *    is cut), and on mutations of the lines the pattern matches: cut at
 *    every byte, each byte replaced by the bytes the pattern looks at, a
 *    byte dropped, a two-byte character and a control byte put in, field
 *    words put in after each space: match or not, and every group by place.
 *    Each reader hands back to PCRE2 under a tenth of the subjects of real
 *    log lines (lines with an envelope; not the side files' rows).
 * 3. The prefix gate: wherever it says the prefix cannot match more than
 *    the empty string, the pattern's match is empty and names no host; on
 *    the same lines and mutations, and it is asked on lines whose prefix
 *    is not empty (so a gate that turned every line away fails).
 * 4. Whole lines through the parser with the readers and gates and
 *    without them: the same result and fields on every line of tests/data.
 * 5. The length cap: on the worst lines of that length the pattern
 *    finishes within the parser's first match limit.
 * The [@reply] readers (Postfix's, Exim's first) and the [@stage] readers
 * (the 2xx end of data of both, Postfix's "in reply to") are readers like
 * the line rules', put through 1, 2 and 4 the same way.
 */
#include <ftw.h>
#include <stdio.h>
#include <zlib.h>

#include "lineread.h"
#include "testutil.h"


/* The shipped line rule with pattern source src, or NULL. */
static const mc_line_rule *rule_with(const mc_rules *r, const char *src)
{
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        for (size_t j = 0; j < r->parse.mtas[i].n_rules; j++)
            if (strcmp(r->parse.mtas[i].rules[j].pat.source, src) == 0)
                return &r->parse.mtas[i].rules[j];
    return NULL;
}

/* The shipped [@reply] pattern with source src, or NULL. */
static const mc_pattern *reply_with(const mc_rules *r, const char *src, const char **mta)
{
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        for (size_t j = 0; j < r->parse.mtas[i].n_replies; j++)
            if (strcmp(r->parse.mtas[i].replies[j].source, src) == 0) {
                *mta = r->parse.mtas[i].name;
                return &r->parse.mtas[i].replies[j];
            }
    return NULL;
}

/* The shipped [@stage] pattern with source src, or NULL; how many MTAs
 * have it into *count. */
static const mc_pattern *stage_with(const mc_rules *r, const char *src, size_t *count)
{
    const mc_pattern *found = NULL;
    *count = 0;
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        for (size_t j = 0; j < r->parse.mtas[i].n_stages; j++)
            if (strcmp(r->parse.mtas[i].stages[j].pat.source, src) == 0) {
                found = &r->parse.mtas[i].stages[j].pat;
                ++*count;
            }
    return found;
}

/* The shipped MTA whose prefix has source src, or NULL. */
static const mc_mta_rules *prefix_with(const mc_rules *r, const char *src)
{
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        if (r->parse.mtas[i].has_prefix && strcmp(r->parse.mtas[i].prefix.source, src) == 0)
            return &r->parse.mtas[i];
    return NULL;
}

/* The shipped MTA whose local pattern has source src, or NULL. */
static const mc_mta_rules *local_with(const mc_rules *r, const char *src)
{
    for (size_t i = 0; i < r->parse.n_mtas; i++)
        if (r->parse.mtas[i].has_local && strcmp(r->parse.mtas[i].local.source, src) == 0)
            return &r->parse.mtas[i];
    return NULL;
}

/* ---- 1. readers in use ----------------------------------------------- */

START_TEST(test_readers_in_use)
{
    const mc_rules *r = test_rules();
    size_t n = 0, g = 0;
    for (const char *src; (src = lineread_source(n)) != NULL; n++) {
        ck_assert_msg(rule_with(r, src) != NULL, "no line rule has the pattern of reader %zu: %s", n, src);
        ck_assert_ptr_nonnull(lineread_for(src));
    }
    for (const char *src; (src = lineread_prefix_source(g)) != NULL; g++) {
        ck_assert_msg(prefix_with(r, src) != NULL, "no prefix has the pattern of gate %zu: %s", g, src);
        ck_assert_ptr_nonnull(lineread_prefix_gate_for(src));
    }
    ck_assert_uint_eq(n, 14);
    ck_assert_uint_eq(g, 1);
    size_t nr = 0;
    for (const char *src; (src = lineread_reply_source(nr)) != NULL; nr++) {
        const char *mta = NULL;
        ck_assert_msg(reply_with(r, src, &mta) != NULL, "no [@reply] has the pattern of reader %zu: %s", nr, src);
        ck_assert_str_eq(mta, nr == 0 ? "postfix" : "exim");
        ck_assert_ptr_nonnull(lineread_reply_for(src));
    }
    ck_assert_uint_eq(nr, 3);
    size_t ns = 0, stage_uses = 0;
    for (const char *src; (src = lineread_stage_source(ns)) != NULL; ns++) {
        size_t count;
        ck_assert_msg(stage_with(r, src, &count) != NULL, "no [@stage] has the pattern of reader %zu: %s", ns, src);
        stage_uses += count;
        ck_assert_ptr_nonnull(lineread_stage_for(src));
    }
    ck_assert_uint_eq(ns, 3);
    ck_assert_uint_eq(stage_uses, 4); /* 2xx: Postfix's and Exim's; Exim's "error after" */
    size_t nl = 0;
    for (const char *src; (src = lineread_local_source(nl)) != NULL; nl++) {
        const mc_mta_rules *m = local_with(r, src);
        ck_assert_msg(m != NULL, "no local pattern has the source of reader %zu: %s", nl, src);
        ck_assert_str_eq(m->name, "exim");
        ck_assert_ptr_nonnull(lineread_local_for(src));
    }
    ck_assert_uint_eq(nl, 1);
    /* The parser takes them, where they belong. */
    mc_parser p;
    parser_init(&p, &r->parse);
    size_t readers = 0, gates = 0, replies = 0, stages = 0, locals = 0;
    for (size_t i = 0; i < r->parse.n_mtas; i++) {
        const mc_mta_rules *m = &r->parse.mtas[i];
        for (size_t j = 0; j < m->n_rules; j++)
            if (p.line_readers[i][j]) {
                readers++;
                ck_assert_msg(strcmp(m->rules[j].name, "delivery") == 0 || strcmp(m->rules[j].name, "deferral") == 0 ||
                                  strcmp(m->rules[j].name, "bounce") == 0 || strcmp(m->rules[j].name, "acl-rcpt") == 0 ||
                                  strcmp(m->rules[j].name, "acl-rcpt-temp") == 0 || strcmp(m->rules[j].name, "acl-data") == 0 ||
                                  strcmp(m->rules[j].name, "acl-data-temp") == 0 || strcmp(m->rules[j].name, "acl-connect") == 0 ||
                                  strcmp(m->rules[j].name, "acl-helo") == 0 || strcmp(m->rules[j].name, "per-host") == 0 ||
                                  strcmp(m->rules[j].name, "blackhole") == 0 || strcmp(m->rules[j].name, "smtpd-reject") == 0 ||
                                  strcmp(m->rules[j].name, "expired") == 0,
                              "a reader taken for rule %s", m->rules[j].name);
            }
        if (p.prefix_gates[i]) {
            gates++;
            ck_assert_str_eq(m->name, "exim");
        }
        for (size_t j = 0; j < m->n_replies; j++)
            replies += p.reply_readers[i][j] != NULL;
        for (size_t j = 0; j < m->n_stages; j++)
            stages += p.stage_readers[i][j] != NULL;
        if (p.local_readers[i]) {
            locals++;
            ck_assert_str_eq(m->name, "exim");
        }
    }
    parser_free(&p);
    /* Postfix's and Exim's [delivery], Exim's [deferral], [bounce], [acl-rcpt], [acl-rcpt-temp], [acl-data],
     * [acl-data-temp], [acl-connect], [acl-helo], [per-host], [blackhole]; Postfix's [smtpd-reject], [expired] */
    ck_assert_uint_eq(readers, 14);
    ck_assert_uint_eq(gates, 1);
    ck_assert_uint_eq(replies, 3); /* Postfix's, Exim's first and second */
    ck_assert_uint_eq(stages, 4);
    ck_assert_uint_eq(locals, 1);
    ck_assert_ptr_null(lineread_stage_for("^2[0-9][0-9]"));
    ck_assert_ptr_null(lineread_reply_for("(?:^|said: )(?<code>[2-5][0-9][0-9])"));
    /* An edited pattern has none: it runs as a regex. */
    ck_assert_ptr_null(lineread_for("^(?<queue_id>[0-9A-Za-z]+): to=<(?<recipient>[^>]*)>"));
    ck_assert_ptr_null(lineread_for(""));
    ck_assert_ptr_null(lineread_prefix_gate_for("^(?:\\[[0-9]+\\] )?"));
}
END_TEST

/* ---- 2. and 3. reader against regex ------------------------------------ */

static mc_matcher matcher;
static const mc_mta_rules *exim;
static mc_prefix_gate_fn gate_exim;
static size_t gated, nonempty;

/* A reader, its rule, its answers, and subjects its pattern matched (for
 * mutations). */
typedef struct {
    const mc_line_rule *rule;
    mc_lineread_fn read;
    size_t yes, no, ask;
    size_t log_ask, log_settled; /* of subjects from log lines (below) */
    char **kept;
    size_t n_kept;
    size_t per_kept;     /* mutations a kept line gives at least, on average */
    size_t keep;         /* matched subjects kept (KEPT_LINES, or a third for the
                          * reply and stage readers: short subjects, simple patterns) */
} reader_case;

static reader_case cases[24];
static size_t n_cases;
/* The first cases: the readers of whole lines (Postfix and Exim [delivery],
 * Exim [deferral], [bounce], [acl-rcpt], [acl-rcpt-temp], [acl-data],
 * [acl-data-temp], [acl-connect], [acl-helo], [per-host], [blackhole],
 * Postfix [smtpd-reject], [expired]). */
#define N_LINE_CASES 14

/* Whether two captures are the same place (or both unset). */
static bool same_capture(mc_str a, mc_str b) { return a.p == b.p && a.n == b.n; }

/* One subject through a reader and its pattern: the same answer and
 * groups.  Returns whether the pattern matched. */
static bool compare_reader(reader_case *c, const char *p, size_t n)
{
    mc_str s = mc_str_make(p, n);
    mc_str groups[G_COUNT];
    for (size_t g = 0; g < G_COUNT; g++)
        groups[g] = MC_STR_NULL;
    mc_lineread_result got = c->read(s, groups);
    bool want = pattern_match(&c->rule->pat, &matcher, s);
    if (got == LINEREAD_ASK) {
        c->ask++;
        return want;
    }
    ck_assert_msg((got == LINEREAD_YES) == want, "reader %zu %s, pattern %s on: %.*s", (size_t)(c - cases),
                  got == LINEREAD_YES ? "matches" : "does not match", want ? "matches" : "does not", (int)n, p);
    if (!want) {
        c->no++;
        return false;
    }
    c->yes++;
    for (int g = 0; g < G_COUNT; g++) {
        mc_str theirs = pattern_group(&c->rule->pat, &matcher, s, (mc_group)g);
        ck_assert_msg(same_capture(groups[g], theirs), "reader %zu group %d: reader '%.*s' (%s), pattern '%.*s' (%s) on: %.*s",
                      (size_t)(c - cases), g, (int)groups[g].n, groups[g].p ? groups[g].p : "",
                      groups[g].p ? "set" : "unset", (int)theirs.n, theirs.p ? theirs.p : "",
                      theirs.p ? "set" : "unset", (int)n, p);
    }
    return true;
}

/* One subject through Exim's prefix gate: where it turns the subject away,
 * the prefix's match is empty and names no host. */
static void compare_gate(const char *p, size_t n)
{
    mc_str s = mc_str_make(p, n);
    bool may = gate_exim(s);
    ck_assert(pattern_match(&exim->prefix, &matcher, s)); /* every part is optional */
    mc_str whole = pattern_capture(&matcher, s, 0);
    mc_str host = pattern_group(&exim->prefix, &matcher, s, G_HOST);
    if (whole.n > 0 || host.p != NULL) {
        nonempty++;
        ck_assert_msg(may, "the gate turned away a prefix of %zu bytes on: %.*s", whole.n, (int)n, p);
    } else if (!may) {
        gated++;
    }
}

/* Matched lines kept per reader for the mutations.  Under the sanitizers a
 * comparison costs several times as much: a third of them there (the
 * normal build compares them all; every kind of mutation, the bad reads
 * the sanitizers look for, is still met on each line kept). */
#ifdef __SANITIZE_ADDRESS__
#define KEPT_LINES 20
#else
#define KEPT_LINES 60
#endif

/* The case whose subjects are being mutated (the mutations go to its
 * reader alone, and to the gate when it reads whole lines), or -1: a
 * line of tests/data goes to every reader.  Seven patterns a subject
 * made the mutations most of the suite's time under the sanitizers. */
static long mutating = -1;

/* Whether the tests/data line being compared is a log line: one whose
 * envelope (a syslog, ISO, RFC 5424, Exim or journald stamp; a container
 * wrapper) logline.c reads, as the parser would.  The side files (the
 * tab-separated replies and grok messages, the READMEs) are read too, for
 * the answers; but a tab in every line makes a reader hand each back, and
 * how often a reader hands back a line is a figure of real log lines. */
static bool log_line;
static mc_buf log_scratch;

/* One subject through the gate and every reader, when it is one the
 * parser would give them; the pattern of case `keep` matched it. */
static void compare_one(const char *p, size_t n, bool keep)
{
    if (n > MC_LINEREAD_MAX || !mc_utf8_valid((const unsigned char *)p, n))
        return;
    if (mutating < N_LINE_CASES)
        compare_gate(p, n);
    for (size_t k = 0; k < n_cases; k++) {
        if (mutating >= 0 && (size_t)mutating != k)
            continue;
        reader_case *c = &cases[k];
        /* Kept for the mutations: a subject the pattern matches and the
         * reader settles (one it hands back, such as a UTF-8 reply, would
         * make mutations it hands back too). */
        size_t asked = c->ask;
        bool matched = compare_reader(c, p, n);
        if (log_line && mutating < 0) {
            c->log_ask += c->ask != asked;
            c->log_settled += c->ask == asked;
        }
        if (matched && c->ask == asked && keep && c->n_kept < c->keep) {
            c->kept = realloc(c->kept, (c->n_kept + 1) * sizeof *c->kept);
            ck_assert_ptr_nonnull(c->kept);
            c->kept[c->n_kept] = strndup(p, n);
            ck_assert_ptr_nonnull(c->kept[c->n_kept]);
            c->n_kept++;
        }
    }
}

/* A line and its tails after each of its first TAILS spaces. */
#define TAILS 8
static void compare_line(const char *path, const char *line, size_t n)
{
    (void)path;
    static mc_year_ctx years;
    mc_logline ll;
    year_ctx_init(&years, 2026, 11, 23);
    log_line = logline_split_buf(mc_str_make(line, n), &years, &log_scratch, &ll);
    /* The 16-byte class runs against the byte table, from every place. */
    ck_assert_msg(lineread_class_runs_agree(mc_str_make(line, n)), "class runs differ on: %.*s", (int)n, line);
    for (size_t i = 0, spaces = 0; i <= n && spaces <= TAILS; i++) {
        if (i > 0 && line[i - 1] != ' ')
            continue;
        spaces += i > 0;
        compare_one(line + i, n - i, true);
    }
}

/* A mutation of s: bytes [0, at) + ins + bytes [at + drop, n). */
static void compare_edit(const char *s, size_t n, size_t at, const char *ins, size_t drop)
{
    size_t in = strlen(ins);
    char buf[MC_LINEREAD_MAX + 64];
    if (n - drop + in > sizeof buf)
        return;
    memcpy(buf, s, at);
    memcpy(buf + at, ins, in);
    memcpy(buf + at + in, s + at + drop, n - at - drop);
    compare_one(buf, n - drop + in, false);
}

/* The bytes a mutation puts in place of an ASCII byte. */
static const char swaps[] = " \n\t<>,()[]=:./-_0a5S\"@#3";

/* Words put in after a space: fields in and out of their shapes. */
static const char *const words[] = {
    "dsn=5.1.1, ",      "dsn=5.1.1000, ",   "dsn=6.1.1, ",       "dsn=5.1, ",        "delay=1.5, ",
    "delay=12, ",       "delay=1234567890123, ", "delay=1.1234567, ", "delay=., ",   "delays=1/2/3/4, ",
    "delays=1/2/3, ",   "delays=1/2/3/4/5, ", "delays=123456789012345678901/1/1/1, ", "tls=TLSv1.3, ",
    "status=sent, ",    "orig_to=<a@b>, ",  "relay=x, ",         "x=, ",             "X=y, ",
    "status=sent (x)",  "(x) ",             ") ",                "to=<a>, ",         "=, ",
    ", ",               "exim[1]: ",        "exim4[22]: ",       "2026-11-23 10:00:00 ", "[123] ",
    "1234-",            "host exim[1]: ",   "info exim[1]: ",    "exim",             "\xc3\xa9",
    "QT=1s",            "QT=1s ",           "DT=2s",             "QT=1s DT=2s",      "QT=1x",
    "QT=12345678901234567890123456789012", "F=<a@b> ", "P=<> ",   "F=<a b> ",         "a:b ",
    "H=h [1.2.3.4] ",   "H=h [1.2.3.4]:25 ", "H=h [1.2.3.4]:x_1 ", "H=[1] ",         "H=h [] ",
    "C=\"250 ok\" ",    "C=\"250 \"x\" y=\" ", "C=\"a\" B=",        "C=\"",             "\" ",
    "<a@b> ",           "a <b@c> ",          "a <bc> ",           "@ ",               "=> ",
    "said: 550 ",       "said: 250-",        "refused to talk to me: 421 ", "said: ", "550 #5.1.0 ",
    "(in reply to ",    "RCPT TO command)", " command)",         "(in reply to end of data command) ", "250\r",
    "5.1.1 ",           "4.2.1234 ",         "5.1.1.",            "553 5.12.1",       "x said: 550 4.1.1 ", "said: 550\n",
    "== ",              "defer (-44) ",      "defer (-44): ",     " defer (",         "defer (1",
    "defer (-53): retry time not reached ", ": host h [1.2.3.4]: ", ": host h [1.2.3.4]:25: ", ": host h: ",
    "H=h [1.2.3.4]* ",  "H=h [1.2.3.4] DS ", "H=h [1.2.3.4]* DS: ", "DS ",          "* ",
    ": ",               ":",                 "Xyz=1 ",            "XYZW=1 ",          "X= ",
    "X=a:b ",           "X=a: ",             "DT=1s",             " DT=1s",           "DT=a:b",
    "DT=",              "x DT=1s",           "T=remote_smtp ",    "R=dnslookup ",      " XYZW=1",
    "XYZW=1: ",         " Xyz=1: x",         " X=a::",            " X=a:",             " X=a: ",
    " DS: ",            "*: ",               " H=h [1.2.3.4]*: ", " H=h [1.2.3.4]: x H=g [5.6.7.8] ",
    ": host h [1.2.3.4] ", ": host h [1.2.3.4]:x ", "** ",          " : ",              "a: ",
    "a:",               "x:y ",              "T=local_delivery ", "T=local_delivery", "T=pipe:",
    "T=pipe: ",         "T=filex ",          "T=file ",           "T=maildir_spool:x ", "T=dovecot ",
    "T=",               "=> /",              "-> |x ",            "** /a ",           "== |",
    "=>/x ",            "=> T=pipe ",        "x T=file",          "\tT=file ",        "SMTP error after ",
    "SMTP error from remote mail server after ", "LMTP timeout after pipelined ", "PRDR error after RCPT TO",
    "MAIL FROM",        "after ",            "pipelined ",        "SMTP ",             "RCPT",
    "end of data",      "initial connection", "sending data block", "SMTP error after x", "LMTP error after AB1",
    "SMTP error from remote mail server after RCPT TO:<a@b>: ", "SMTP error after MAIL FROM:<a> SIZE=1: ",
    "PRDR error after pipelined RCPT TO:<a>: host h [1.2.3.4]: ", "host h [1.2.3.4]:25: ", "host h [1.2.3.4]:x_1: 451 ",
    "host h [1.2.3.4] ", "host h []: ",       "host [1]: ",        "RCPT TO:<",        ">: ",
    "<a>x: ",           "MAIL FROM:<a>: 550 ", "error after ",    "5.1.1: ",          "550-5.7.1 ",
    "DS",               "DSrejected RCPT <a> ", "rejected RCPT ", "temporarily rejected RCPT ",
    "rejected RCPT <a@b>: ", "rejected RCPT a:b ", "F=<a b> ",      "F=\"a b\" ",     "F=a<b ",
    "F=<> ",            "F=<a>x ",           "X=\"a b\" ",      "X=\"a\"b ",       "X=\"a b ",
    "U=root ",          "ABCD=x ",           "I=[1.2.3.4]:25 ",   "H=(h) [1.2.3.4] ", "H=h (x y) [1.2.3.4]:25 ",
    "H=h (x) [1.2.3.4]:x ", "H=[1.2.3.4]:25 ", "H=(x)[1.2.3.4] ",  "H=h [1.2.3.4]x ",  "550 5.1.1 ",
    "450-4.7.1 ",       "550 5.1.1234 ",     "550 5.1.",          "5500 ",            "550",
    "<a@b>: 550 5.1.1 x", "<a>>: ",          "x: 450 4.1.1",      "rejected RCPT <a: b>: 550 ",
    "rejected after DATA", "rejected after DATA: ", "temporarily rejected after DATA PRDR: 451 ", " PRDR",
    "after DATA PRDR",  "after DATAx",       "during MIME ACL checks", "during MIME ACL checks: ", "DKIM",
    "DKIM: ",           "DKIM_x ",           "DKIM x",            "DKIMx: ",          "rejected DKIM",
    "rejected connection", "rejected connection: 554 5.7.1 x", " in \"connect\" ACL", " in \"connect\" ACL: ",
    " in \"connect\" ACLx", "temporarily rejected connection", "rejected EHLO or HELO", "rejected EHLO or HELO x: ",
    "rejected EHLO or HELOx:y", "temporarily rejected after DATA", "temporarily rejected after DATA: 451 4.7.1 ",
    "temporarily rejected during MIME ACL checks", "temporarily rejected DKIM x", "=> :blackhole: ", "=> blackhole (",
    ":blackhole:",      ":blackhole",        "blackhole (",       "blackhole(",       "H=h [1.2.3.4] Connection refused",
    "H=h [1.2.3.4]:25 Connection", "H=h [1.2.3.4]*: x", "H=h [1.2.3.4]:x", "H=h [1.2.3.4] c", " Connection refused",
};

START_TEST(test_reader_is_regex)
{
    const mc_rules *r = test_rules();
    n_cases = 0;
    for (const char *src; (src = lineread_source(n_cases)) != NULL; n_cases++)
        cases[n_cases] = (reader_case){.rule = rule_with(r, src), .read = lineread_for(src), .per_kept = 100000 / 60,
                                      .keep = KEPT_LINES};
    ck_assert_uint_eq(n_cases, N_LINE_CASES);
    /* The reply readers, each as a rule of its pattern alone. */
    static mc_line_rule reply_rules[3];
    for (size_t k = 0; lineread_reply_source(k) != NULL; k++, n_cases++) {
        const char *mta = NULL;
        ck_assert_uint_lt(k, 3);
        reply_rules[k].pat = *reply_with(r, lineread_reply_source(k), &mta);
        /* Replies are shorter than lines: fewer mutations each. */
        cases[n_cases] = (reader_case){
            .rule = &reply_rules[k], .read = lineread_reply_for(lineread_reply_source(k)), .per_kept = 60000 / 60,
            .keep = KEPT_LINES / 3};
    }
    /* The stage readers, the same way. */
    static mc_line_rule stage_rules[3];
    for (size_t k = 0; lineread_stage_source(k) != NULL; k++, n_cases++) {
        size_t count;
        ck_assert_uint_lt(k, 3);
        stage_rules[k].pat = *stage_with(r, lineread_stage_source(k), &count);
        cases[n_cases] = (reader_case){
            .rule = &stage_rules[k], .read = lineread_stage_for(lineread_stage_source(k)), .per_kept = 40000 / 60,
            .keep = KEPT_LINES / 3};
    }
    /* Exim's local pattern, the same way (a yes or no: no groups). */
    static mc_line_rule local_rules[1];
    for (size_t k = 0; lineread_local_source(k) != NULL; k++, n_cases++) {
        ck_assert_uint_lt(k, 1);
        local_rules[k].pat = local_with(r, lineread_local_source(k))->local;
        cases[n_cases] = (reader_case){
            .rule = &local_rules[k], .read = lineread_local_for(lineread_local_source(k)), .per_kept = 60000 / 60,
            .keep = KEPT_LINES / 3};
    }
    ck_assert_uint_eq(n_cases, 21);
    gate_exim = lineread_prefix_gate_for(lineread_prefix_source(0));
    exim = prefix_with(r, lineread_prefix_source(0));
    ck_assert(gate_exim && exim);
    matcher_init(&matcher);
    mc_buf_init(&log_scratch);
    test_each_data_line(compare_line, NULL);
    mc_buf_free(&log_scratch);
    /* Prefixes the gate lets in and lines it turns away. */
    ck_assert_uint_ge(nonempty, 100);
    ck_assert_uint_ge(gated, 10000);
    /* A host word of each length before the syslog tag: the first space
     * at each place of the gate's first 24 bytes (read 16 and 8 at once)
     * and past them, on messages longer and shorter than 24 bytes; and
     * the same with the tag misspelt ("xexim": empty, may be turned away). */
    size_t before = nonempty;
    for (size_t k = 1; k <= 40; k++)
        for (int form = 0; form < 4; form++) {
            char l[160];
            snprintf(l, sizeof l, "%.*s %sexim[1]: %s", (int)k, "hostabcdefghijklmnopqrstuvwxyz0123456789abcdefgh",
                     form % 2 ? "x" : "", form < 2 ? "1xC4Km-8QlEDp-pk <= a@b" : "");
            compare_gate(l, strlen(l));
        }
    ck_assert_uint_eq(nonempty - before, 80);
    for (size_t k = 0; k < n_cases; k++) {
        reader_case *c = &cases[k];
        /* Real lines the pattern matches and does not. */
        ck_assert_msg(c->yes >= 500, "reader %zu: %zu lines matched", k, c->yes);
        ck_assert_uint_ge(c->no, 10000);
        size_t before = c->yes + c->no;
        mutating = (long)k;
        for (size_t m = 0; m < c->n_kept; m++) {
            const char *s = c->kept[m];
            size_t n = strlen(s);
            for (size_t at = 0; at <= n; at++) {
                compare_edit(s, n, at, "", n - at); /* cut */
                if (at < n) {
                    for (const char *w = swaps; *w; w++)
                        compare_edit(s, n, at, (char[]){*w, 0}, 1);
                    compare_edit(s, n, at, "", 1);
                }
                /* A word put in, and a word that ends the subject. */
                if (at == 0 || s[at - 1] == ' ' || s[at - 1] == ')' || at == n)
                    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
                        compare_edit(s, n, at, words[w], 0);
                        compare_edit(s, n, at, words[w], n - at);
                    }
            }
            free(c->kept[m]);
        }
        mutating = -1;
        free(c->kept);
        c->kept = NULL;
        c->n_kept = 0;
        ck_assert_msg(c->yes + c->no - before >= c->per_kept * c->keep, "reader %zu: %zu mutations", k, c->yes + c->no - before);
        /* The reader settles nearly every log line itself (and every
         * reader meets thousands of them). */
        ck_assert_uint_ge(c->log_settled, 10000);
        ck_assert_msg(c->log_ask * 10 < c->log_settled, "reader %zu: %zu log subjects asked, %zu settled", k, c->log_ask,
                      c->log_settled);
    }
    matcher_free(&matcher);
}
END_TEST

/* ---- 4. whole lines, with and without ----------------------------------- */

static mc_parser with, without;
static size_t lines_both, events_both;

/* Each file from the same day, for year inference. */
static void same_day(void)
{
    year_ctx_init(&with.years, 2026, 11, 23);
    year_ctx_init(&without.years, 2026, 11, 23);
}

/* One line through both parsers: the same fingerprint. */
static void parse_both(const char *path, const char *line, size_t n)
{
    static char a[8192], b[8192];
    mc_event e1, e2;
    memset(&e1, 0, sizeof e1);
    memset(&e2, 0, sizeof e2);
    mc_parse_result r1 = parser_line(&with, mc_str_make(line, n), &e1);
    test_parse_fingerprint(&with, r1, &e1, a, sizeof a);
    mc_parse_result r2 = parser_line(&without, mc_str_make(line, n), &e2);
    test_parse_fingerprint(&without, r2, &e2, b, sizeof b);
    ck_assert_msg(strcmp(a, b) == 0, "%s: %.*s\n with:    %s\n without: %s", path, (int)n, line, a, b);
    lines_both++;
    events_both += r1 == PARSE_EVENT;
}

START_TEST(test_parser_same_without)
{
    const mc_rules *r = test_rules();
    parser_init(&with, &r->parse);
    parser_init(&without, &r->parse);
    size_t taken = 0;
    for (size_t i = 0; i < r->parse.n_mtas; i++) {
        for (size_t j = 0; j < r->parse.mtas[i].n_rules; j++) {
            taken += with.line_readers[i][j] != NULL;
            without.line_readers[i][j] = NULL;
        }
        taken += with.prefix_gates[i] != NULL;
        without.prefix_gates[i] = NULL;
        for (size_t j = 0; j < r->parse.mtas[i].n_replies; j++) {
            taken += with.reply_readers[i][j] != NULL;
            without.reply_readers[i][j] = NULL;
        }
        for (size_t j = 0; j < r->parse.mtas[i].n_stages; j++) {
            taken += with.stage_readers[i][j] != NULL;
            without.stage_readers[i][j] = NULL;
        }
        taken += with.local_readers[i] != NULL;
        without.local_readers[i] = NULL;
    }
    ck_assert_uint_eq(taken, 23);
    test_each_data_line(parse_both, same_day);
    ck_assert_uint_ge(lines_both, 30000);
    ck_assert_uint_ge(events_both, 5000);
    parser_free(&with);
    parser_free(&without);
}
END_TEST

/* ---- 5. the length cap ------------------------------------------------- */

/* A line of MC_LINEREAD_MAX bytes: head, then unit again and again, then
 * tail, padded with x before the tail. */
static void fill(char *buf, const char *head, const char *unit, const char *tail)
{
    size_t h = strlen(head), u = strlen(unit), t = strlen(tail), n = h;
    memcpy(buf, head, h);
    while (n + u + t <= MC_LINEREAD_MAX) {
        memcpy(buf + n, unit, u);
        n += u;
    }
    memset(buf + n, 'x', MC_LINEREAD_MAX - t - n);
    memcpy(buf + MC_LINEREAD_MAX - t, tail, t);
    buf[MC_LINEREAD_MAX] = '\0';
}

START_TEST(test_cap_within_first_limit)
{
    static const char *const worst[][3] = {
        {"A1: to=<a>, relay=x,", " a=b,", " status=sent (x"},
        {"A1: to=<a>, relay=x,", " a=b,", " status=sent (x)y"},
        {"A1: to=<a>, relay=x,", " dsn=5.1.1,", " status=sent"},
        {"A1: to=<a>, relay=x, status=sent (", ")", "x"},
        {"A1: to=<a>, relay=x, status=sent (", "(x) ", ""},
        {"A1: to=<", "a", ""},
        {"A1: to=<a>, relay=", "x", ""},
        {"A1: to=<a>, relay=x,", " delays=1/2/3/4,", ""},
        {"1abcde-123456-ab => a ", "F=<a ", ""},
        {"1abcde-123456-ab => a ", "H=h [1 ", ""},
        {"1abcde-123456-ab => a ", "C=\"x\" ", "QT=1"},
        {"=> a ", "C=\"", "\""},
        {"=> a ", "x QT=1 ", "DT=1"},
        {"=> a", " <", "@"},
        {"", "exim ", ""},
        {"a ", "exim[1]: ", ""},
        {"2026-11-23 ", "1", ""},
        {"=> ", "a ", ""},
        {"=> ", "T=pipex ", ""},
        {"=> ", "T=maildir_spoolx ", ""},
        {"a => ", " ", "x:"},
        {"1abcde-123456-ab H=h [1.2.3.4] ", "A=b ", "rejected RCPT <a>"},
        {"DS H=h [1.2.3.4] F=<a> ", "A=b ", " rejected RCPT <a>"},
        {"DS H=h [1.2.3.4] F=<a> ", "A=\"b ", "rejected RCPT <a>x"},
        {"DS H=h [1.2.3.4] F=<a> rejected RCPT <a>", " x", ":x"},
        {"DS H=h [1.2.3.4] F=<a> rejected RCPT a", " x", ":x"},
        {"DS H=h [1.2.3.4] F=<a> A=b rejected RCPT aaaaaaaaaaaaaaaaaaaa xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx:x", " y", ""},
        {"DS H=h (a) [1.2.3.4] F=<a b> ", "A=b ", "temporarily rejected RCPT <a>: 450 4.1.1 x"},
        {"DS H=h [1.2.3.4] F=<a> ", "A=b ", "rejected DKIM x:x"},
        {"DS H=h [1.2.3.4] F=<a> rejected DKIM", " x", ":x"},
        {"DS H=h [1.2.3.4] F=<a> ", "A=b ", "rejected after DATA PRDR:x"},
        {"DS H=h [1.2.3.4] F=<a> ", "A=b ", "temporarily rejected after DATA:x"},
        {"DS H=h (a) [1.2.3.4] F=<a b> ", "A=b ", "rejected connection in \"connect\" ACLx"},
        {"DS H=h [1.2.3.4] F=<a> ", "A=\"b ", "rejected EHLO or HELO x:x"},
        {"DS H=h [1.2.3.4] F=<a> rejected EHLO or HELO", " x", ":x"},
        {"1abcde-123456-ab H=", "h", " [1"},
        {"1abcde-123456-ab H=h [", "1", "]x"},
        {"1abcde-123456-ab => ", "blackhole ", ""},
        {"NOQUEUE: reject: RCPT from a: 550 5.1.1 x", "; from=<a", ""},
        {"NOQUEUE: reject: RCPT from a: 550 5.1.1 x; from=<a>", " to=<a", "x"},
        {"NOQUEUE: reject: RCPT from ", "a:", " 550"},
        {"1A: reject: ", "A-", " from a: 550"},
        {"1A: from=<", "a", ""},
        {"1A: from=<a>, size=", "1", ","},
    };
    const mc_rules *r = test_rules();
    const mc_line_rule *rule = rule_with(r, lineread_source(0)), *rule2 = rule_with(r, lineread_source(1));
    const mc_line_rule *acl = rule_with(r, lineread_source(4)), *acl_temp = rule_with(r, lineread_source(5));
    const mc_line_rule *data = rule_with(r, lineread_source(6)), *data_temp = rule_with(r, lineread_source(7));
    const mc_line_rule *connect = rule_with(r, lineread_source(8)), *helo = rule_with(r, lineread_source(9));
    const mc_line_rule *per_host = rule_with(r, lineread_source(10)), *blackhole = rule_with(r, lineread_source(11));
    const mc_line_rule *reject = rule_with(r, lineread_source(12)), *expired = rule_with(r, lineread_source(13));
    const mc_mta_rules *m = prefix_with(r, lineread_prefix_source(0));
    const mc_mta_rules *lm = local_with(r, lineread_local_source(0));
    ck_assert(rule && rule2 && acl && acl_temp && data && data_temp && connect && helo && per_host && blackhole && reject &&
              expired && m && lm);
    mc_matcher mt;
    pcre2_match_context *ctx = test_first_limit_context(&mt);
    char buf[MC_LINEREAD_MAX + 1];
    for (size_t w = 0; w < sizeof worst / sizeof worst[0]; w++) {
        fill(buf, worst[w][0], worst[w][1], worst[w][2]);
        const mc_pattern *pats[] = {&rule->pat,      &rule2->pat,   &m->prefix,      &lm->local,
                                    &acl->pat,       &acl_temp->pat, &data->pat,     &data_temp->pat,
                                    &connect->pat,   &helo->pat,    &per_host->pat,  &blackhole->pat,
                                    &reject->pat,    &expired->pat};
        for (size_t k = 0; k < sizeof pats / sizeof pats[0]; k++) {
            int rc = pattern_exec(pats[k], mc_str_make(buf, MC_LINEREAD_MAX), mt.md, ctx);
            ck_assert_msg(!test_hit_limit(rc), "pattern %zu needs more than the first match limit (%d) on %.60s...", k, rc, buf);
        }
    }
    matcher_free(&mt);
    pcre2_match_context_free(ctx);
}
END_TEST

/* The line rule whose pattern holds needle, and its reader, the matcher
 * ready. */
static reader_case case_with(const char *needle)
{
    const mc_rules *r = test_rules();
    reader_case c = {0};
    for (size_t i = 0; lineread_source(i) != NULL; i++)
        if (strstr(lineread_source(i), needle) != NULL) {
            c.rule = rule_with(r, lineread_source(i));
            c.read = lineread_for(lineread_source(i));
        }
    ck_assert(c.rule != NULL && c.read != NULL);
    matcher_init(&matcher);
    return c;
}

/* Postfix's [delivery] rule and its reader (the rule with orig_to). */
static reader_case delivery_case(void) { return case_with("orig_to"); }

/* Postfix's [delivery] reader and its pattern on the recipient's run
 * ([^>,]*, found 16 bytes a step) and the printable check (its last step
 * overlapping the one before): recipients of 0 to 40 bytes, closed by '>',
 * by the ',' alone, with a '>', ',' or tab inside at each place, and
 * lines of every length mod 64 with a tab or a 0x80 byte at each place,
 * each line in a block of its exact size (a read past it is an ASan
 * error): the same answer and groups.  Expected by hand: the plain
 * recipients of every length match, with the recipient as built; a tab or
 * a 0x80 byte makes the reader hand the line back. */
START_TEST(test_delivery_recipient_runs)
{
    reader_case c = delivery_case();
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789.@-_ABCDEFGH";
    size_t matched = 0, asked = 0;
    for (size_t len = 0; len <= 40; len++) {
        for (int form = 0; form < 2; form++) {
            for (size_t at = 0; at <= len; at++) {
                /* put 0: the plain recipient (once); 1-3: a '>', a ',' or
                 * a tab at `at`. */
                for (int put = at == len ? 0 : 1; put < (at == len ? 1 : 4); put++) {
                    char rcpt[48];
                    memcpy(rcpt, alnum, len);
                    rcpt[len] = '\0';
                    if (put > 0)
                        rcpt[at] = put == 1 ? '>' : put == 2 ? ',' : '\t';
                    char line[256];
                    int n = snprintf(line, sizeof line,
                                     "4F3A2B1C0D: to=%s%s%s, relay=mx.example.net[192.0.2.1]:25, delay=0.09, "
                                     "delays=0.02/0.04/0.01/0.02, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
                                     form ? "<" : "", rcpt, form ? ">" : "");
                    char *exact = malloc((size_t)n);
                    ck_assert_ptr_nonnull(exact);
                    memcpy(exact, line, (size_t)n);
                    mc_str groups[G_COUNT];
                    for (size_t g = 0; g < G_COUNT; g++)
                        groups[g] = MC_STR_NULL;
                    mc_lineread_result got = c.read(mc_str_make(exact, (size_t)n), groups);
                    bool want = compare_reader(&c, exact, (size_t)n);
                    if (put == 0) {
                        ck_assert_msg(got == LINEREAD_YES && want, "length %zu, form %d", len, form);
                        ck_assert_uint_eq(groups[G_RECIPIENT].n, len);
                        ck_assert(memcmp(groups[G_RECIPIENT].p, alnum, len) == 0);
                        matched++;
                    }
                    if (put == 3) {
                        ck_assert_int_eq(got, LINEREAD_ASK);
                        asked++;
                    }
                    free(exact);
                }
            }
        }
    }
    ck_assert_uint_eq(matched, 41 * 2);
    ck_assert_uint_eq(asked, (40 * 41 / 2) * 2);
    /* A control byte or a byte from 0x80 at each place of lines of every
     * length mod 64 (the printable check's last step overlaps the one
     * before at every offset, of 16 or of 64 bytes): the reader hands
     * each back. */
    size_t handed = 0;
    for (size_t len = 0; len < 64; len++) {
        char rcpt[64], line[256];
        for (size_t i = 0; i < len; i++)
            rcpt[i] = alnum[i % (sizeof alnum - 1)];
        int n = snprintf(line, sizeof line,
                         "4F3A2B1C0D: to=<%.*s>, relay=mx.example.net[192.0.2.1]:25, delay=0.09, "
                         "delays=0.02/0.04/0.01/0.02, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
                         (int)len, rcpt);
        for (size_t at = 0; at < (size_t)n; at++)
            for (int bad = 0; bad < 2; bad++) {
                char *exact = malloc((size_t)n);
                ck_assert_ptr_nonnull(exact);
                memcpy(exact, line, (size_t)n);
                exact[at] = bad ? (char)0x80 : '\t';
                mc_str groups[G_COUNT];
                for (size_t g = 0; g < G_COUNT; g++)
                    groups[g] = MC_STR_NULL;
                ck_assert_msg(c.read(mc_str_make(exact, (size_t)n), groups) == LINEREAD_ASK, "length %zu, at %zu",
                              len, at);
                handed++;
                free(exact);
            }
    }
    ck_assert_uint_gt(handed, 64 * 2 * 100);
    matcher_free(&matcher);
}
END_TEST

/* Exim's [delivery] reader against its pattern where it marks a line's
 * spaces and ':'s and checks it printable in one pass (marks_fill: 16
 * bytes a step, the rest of a line of 16 bytes or more read from the 16
 * that end it): delivery lines of every length from 3 to 220 bytes, a
 * space, a ':', a '"', a tab or a 0x80 byte at each place (or the byte
 * removed), each line in a block of its exact size (a read past it is an
 * ASan error): the same answer and groups, and a tab or a 0x80 byte
 * always handed back. */
START_TEST(test_exim_delivery_marks)
{
    reader_case c = case_with("QT=");
    static const char *const shapes[] = {
        "1xC4Km-8QlEDp-pk => sam@delta-city.org <admin_26@solar-blue.com> R=all_R T=smtp H=mx.solar-blue.com "
        "[193.249.191.189] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 OK id=1xC4Km\" QT=3s DT=1s",
        "1xC4Hy-2Q1tQL-O8 => :blackhole: <maria_5572@river-bright.de> R=r_dump QT=0s",
        "-> b@c.d R=x T=y H=h [1.2.3.4]:25 C=\"250 ok\" QT=1.5s"};
    static const char puts_[] = {' ', ':', '"', '\t', (char)0x80};
    size_t matched = 0, handed = 0;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        size_t base = strlen(shapes[k]);
        for (size_t len = 3; len <= 220; len++) {
            /* The shape cut at len, or padded by a word of the filler. */
            char line[512];
            size_t n = len;
            if (len <= base) {
                memcpy(line, shapes[k], len);
            } else {
                memcpy(line, shapes[k], base);
                line[base] = ' ';
                for (size_t i = base + 1; i < len; i++)
                    line[i] = (char)('a' + i % 26);
            }
            for (size_t at = 0; at <= n; at++)
                for (size_t put = 0; put <= sizeof puts_; put++) {
                    if (at == n && put != 0)
                        continue;
                    char tmp[512];
                    size_t m = n;
                    memcpy(tmp, line, n);
                    if (put == sizeof puts_) { /* the byte at `at` removed */
                        memmove(tmp + at, tmp + at + 1, n - at - 1);
                        m = n - 1;
                    } else if (at < n) {
                        tmp[at] = puts_[put];
                    }
                    char *block = malloc(m);
                    ck_assert_ptr_nonnull(block);
                    memcpy(block, tmp, m);
                    matched += compare_reader(&c, block, m);
                    if (at < n && put >= 3 && put < sizeof puts_) {
                        mc_str groups[G_COUNT];
                        ck_assert_msg(c.read(mc_str_make(block, m), groups) == LINEREAD_ASK, "shape %zu length %zu at %zu",
                                      k, m, at);
                        handed++;
                    }
                    free(block);
                }
        }
    }
    ck_assert_uint_gt(matched, 10000);
    ck_assert_uint_gt(c.yes, 10000);
    ck_assert_uint_gt(handed, 1000);
    matcher_free(&matcher);
}
END_TEST

/* Postfix's [delivery] reader against its pattern on the named fields'
 * values (dsn=, delay=, delays=: read to their end, the ',' after it
 * looked at, no memchr): each field of a real line given values of every
 * shape near its own (counted runs one short and one long, a byte of each
 * kind at each place, bytes removed, a field left last before status=,
 * the field twice), each line in a block of its exact size: the same
 * answer and groups. */
START_TEST(test_delivery_field_values)
{
    reader_case c = delivery_case();
    static const char *const names[] = {"dsn", "delay", "delays", "dsnx", "dela", "status_"};
    static const char *const seeds[] = {"2.0.0", "4.4.1", "5.7.1000", "5.1.10", "0.09", "123456789012", "1234567890123",
                                        "0.1234567", "0.02/0.04/0.01/0.02", "0/0/0/0/0", "0/0/0", "", "2.0.0.", "x"};
    static const char kinds[] = "0.,/5x";
    size_t lines = 0, matched = 0;
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++)
        for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
            size_t sn = strlen(seeds[k]);
            /* place: -1 the seed as it is; else each byte replaced by each
             * kind, or removed (kind index 6). */
            for (long at = -1; at < (long)sn; at++)
                for (size_t kind = 0; kind < (at < 0 ? 1 : sizeof kinds); kind++)
                    for (int form = 0; form < 3; form++) {
                        char value[48];
                        memcpy(value, seeds[k], sn + 1);
                        if (at >= 0 && kind < sizeof kinds - 1)
                            value[at] = kinds[kind];
                        else if (at >= 0)
                            memmove(value + at, value + at + 1, sn - (size_t)at);
                        char line[512];
                        int n;
                        if (form == 0)
                            n = snprintf(line, sizeof line,
                                         "4F3A2B1C0D: to=<a@b.example>, relay=mx.example.net[192.0.2.1]:25, %s=%s, "
                                         "delays=0.02/0.04/0.01/0.02, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
                                         names[f], value);
                        else if (form == 1)
                            n = snprintf(line, sizeof line,
                                         "4F3A2B1C0D: to=<a@b.example>, relay=none, delay=5, %s=%s, status=deferred "
                                         "(connection refused)",
                                         names[f], value);
                        else
                            n = snprintf(line, sizeof line,
                                         "4F3A2B1C0D: to=<a@b.example>, relay=local, %s=%s, %s=%s,", names[f], value,
                                         names[f], seeds[k]);
                        char *exact = malloc((size_t)n);
                        ck_assert_ptr_nonnull(exact);
                        memcpy(exact, line, (size_t)n);
                        matched += compare_reader(&c, exact, (size_t)n);
                        free(exact);
                        lines++;
                    }
        }
    ck_assert_uint_gt(lines, 3000);
    ck_assert_uint_gt(matched, 1000);
    ck_assert_uint_lt(matched, lines);
    matcher_free(&matcher);
}
END_TEST

/* One built line through a reader and its pattern, in a block of its
 * exact size (a read past it is an ASan error); returns whether the
 * pattern matched. */
static bool compare_exact(reader_case *c, const char *line, size_t n)
{
    char *exact = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(exact);
    memcpy(exact, line, n);
    bool matched = compare_reader(c, exact, n);
    free(exact);
    return matched;
}

/* The runs lineread.c reads 16 bytes a step (alnum_run: the queue id of
 * Postfix's [delivery], [expired] and [smtpd-reject]; name_run: a
 * delivery field's name) against their patterns, and against the byte
 * table from every place (as on every line of tests/data, compare_line): runs of 1 to 40 bytes,
 * each with a byte at each place replaced by each byte at the edges of
 * the classes, the line cut after each of its first 48 bytes (the run's
 * last step read from the 16 that end it, or a line under 16 bytes by the
 * table).  Expected by hand: every plain run of every length matches. */
START_TEST(test_class_runs_like_table)
{
    static const char run[] = "aZ09bY18cX27dW36eV45fU54gT63hS72iR81jQ90kP";
    static const char name_run[] = "abcdefghijklmnopqrstuvwxyz_abcdefghijklmn";
    static const char edges[] = "/09:@AZ[`az{_\x7f-. ,=";
    static const char *const needles[] = {"orig_to", "force-expired", "milter-"};
    static const char *const tails[] = {
        ": to=<a@b.example>, relay=mx.example.net[192.0.2.1]:25, delay=0.09, dsn=2.0.0, status=sent (250 Ok)",
        ": from=<a@b.example>, size=1234, status=expired, returned to sender",
        ": reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 <a@b.example>: Relay access denied; from=<x@y> to=<a@b>"};
    size_t lines = 0, matched = 0, plain = 0;
    for (size_t k = 0; k < 3; k++) {
        reader_case c = case_with(needles[k]);
        for (size_t len = 1; len <= 40; len++)
            for (long at = -1; at < (long)len; at++)
                for (size_t e = 0; e < (at < 0 ? 1 : sizeof edges - 1); e++) {
                    char line[256];
                    memcpy(line, run, len);
                    if (at >= 0)
                        line[at] = edges[e];
                    size_t n = len + strlen(tails[k]);
                    memcpy(line + len, tails[k], n - len);
                    bool m = compare_exact(&c, line, n);
                    matched += m;
                    lines++;
                    if (at < 0) {
                        ck_assert_msg(m, "queue id of %zu bytes, reader %zu", len, k);
                        plain++;
                    }
                    /* The line cut short: the run's end near the line's. */
                    if (at < 0 || e % 4 == 0)
                        for (size_t cut = 0; cut <= len + 8 && cut < n; cut++) {
                            compare_exact(&c, line, cut);
                            lines++;
                        }
                }
        matcher_free(&matcher); /* case_with sets it up anew for each rule */
    }
    reader_case c = delivery_case();
    for (size_t len = 1; len <= 40; len++)
        for (long at = -1; at < (long)len; at++)
            for (size_t e = 0; e < (at < 0 ? 1 : sizeof edges - 1); e++) {
                char name[48];
                memcpy(name, name_run, len);
                name[len] = '\0';
                if (at >= 0)
                    name[at] = edges[e];
                char line[256];
                int n = snprintf(line, sizeof line,
                                 "4F3A2B1C0D: to=<a@b.example>, relay=local, %s=x, delay=1, dsn=2.0.0, status=sent (ok)",
                                 name);
                bool m = compare_exact(&c, line, (size_t)n);
                matched += m;
                lines++;
                if (at < 0) {
                    ck_assert_msg(m, "field name of %zu bytes", len);
                    plain++;
                }
                /* The name's run at the line's end: the last step's. */
                int head = (int)(strchr(line + 40, '=') - line);
                for (int cut = 30; cut <= head + 1; cut++) {
                    compare_exact(&c, line, (size_t)cut);
                    lines++;
                }
            }
    /* The runs themselves against the table, from every place: texts of 0
     * to 70 bytes of each class with each edge byte at each place, each in
     * a block of its exact size. */
    for (size_t n = 0; n <= 70; n++)
        for (int which = 0; which < 2; which++)
            for (long at = -1; at < (long)n; at++)
                for (size_t e = 0; e < (at < 0 ? 1 : sizeof edges - 1); e++) {
                    char *t = malloc(n ? n : 1);
                    ck_assert_ptr_nonnull(t);
                    for (size_t i = 0; i < n; i++)
                        t[i] = (which ? name_run : run)[i % 40];
                    if (at >= 0)
                        t[at] = edges[e];
                    ck_assert_msg(lineread_class_runs_agree(mc_str_make(t, n)), "class runs differ: %zu bytes, %ld",
                                  n, at);
                    free(t);
                }
    ck_assert_uint_eq(plain, 4 * 40);
    ck_assert_uint_gt(lines, 20000);
    ck_assert_uint_lt(matched, lines);
    matcher_free(&matcher);
}
END_TEST

static Suite *lineread_suite(void)
{
    Suite *s = suite_create("lineread");
    TCase *tc = tcase_create("lineread");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_readers_in_use);
    tcase_add_test(tc, test_reader_is_regex);
    tcase_add_test(tc, test_parser_same_without);
    tcase_add_test(tc, test_cap_within_first_limit);
    tcase_add_test(tc, test_delivery_recipient_runs);
    tcase_add_test(tc, test_exim_delivery_marks);
    tcase_add_test(tc, test_delivery_field_values);
    tcase_add_test(tc, test_class_runs_like_table);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(lineread_suite)
