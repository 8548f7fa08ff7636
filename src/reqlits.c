/*
 * reqlits.c - the literals every match of a pattern must contain (see
 * reqlits.h).
 *
 * A recursive reader over the PCRE2 source.  Each piece of the pattern
 * gives what it can match exactly (a small set of strings: "ha(?:s|ve)"
 * is {has, have}) when that is known, and the clauses any match of it
 * requires.  A sequence joins adjacent exact pieces ("colou?r" is {color,
 * colour}) and turns each run it cannot extend into a clause; an
 * alternation inside a group keeps, of each alternative, its rarest clause
 * (the longest shortest literal), which together make one clause.  Every
 * step only ever forgets a requirement, never invents one.
 */
#include "reqlits.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"
#include "util.h"

/* An exact set larger than this is stated as a clause instead. */
#define EXACT_MAX 16
/* Shorter literals are found in nearly every reply: a clause holding one says nothing. */
#define MIN_LITERAL 3
/* Longer literals are cut to this: as rare, and a smaller automaton to build. */
#define LITERAL_MAX 16
/* Variants that share this much are stated by what they share. */
#define COMMON_MIN 8

/* A set of strings. */
typedef struct {
    char **s;
    size_t n;
} sset;

/* What a piece of a pattern matches. */
typedef struct {
    bool exact_known; /* every match is one of exact's strings */
    sset exact;
    mc_req_clause *clauses; /* and holds one literal of each */
    size_t n_clauses;
} info;

/* The source being read; fail is set on anything the reader does not know. */
typedef struct {
    const char *s;
    size_t i, n;
    bool fail;
} reader;

/* Adds the string p (n bytes) followed by q (m bytes) unless the set
 * holds it: a join needs no buffer of its own. */
static void sset_add2(sset *set, const char *p, size_t n, const char *q, size_t m)
{
    for (size_t k = 0; k < set->n; k++)
        if (strlen(set->s[k]) == n + m && memcmp(set->s[k], p, n) == 0 && memcmp(set->s[k] + n, q, m) == 0)
            return;
    set->s = mc_xrealloc(set->s, (set->n + 1) * sizeof *set->s);
    char *t = mc_xmalloc(n + m + 1);
    memcpy(t, p, n);
    memcpy(t + n, q, m);
    t[n + m] = '\0';
    set->s[set->n++] = t;
}

/* Adds a string (n bytes) unless the set holds it. */
static void sset_add(sset *set, const char *p, size_t n) { sset_add2(set, p, n, "", 0); }

/* Frees a set's strings. */
static void sset_free(sset *set)
{
    for (size_t k = 0; k < set->n; k++)
        free(set->s[k]);
    free(set->s);
    set->s = NULL;
    set->n = 0;
}

/* Frees a piece's sets. */
static void info_free(info *x)
{
    sset_free(&x->exact);
    for (size_t k = 0; k < x->n_clauses; k++) {
        sset c = {x->clauses[k].lits, x->clauses[k].n};
        sset_free(&c);
    }
    free(x->clauses);
    memset(x, 0, sizeof *x);
}

/* A piece that matches exactly one string (the empty one for a zero-width item). */
static info info_exact(const char *p, size_t n)
{
    info x = {.exact_known = true};
    sset_add(&x.exact, p, n);
    return x;
}

/* A piece of which nothing is known. */
static info info_unknown(void)
{
    info x = {0};
    return x;
}

/* Whether a set can stand as a clause: every string long enough. */
static bool clause_ok(const sset *set)
{
    if (set->n == 0)
        return false;
    for (size_t k = 0; k < set->n; k++)
        if (strlen(set->s[k]) < MIN_LITERAL)
            return false;
    return true;
}

/* Where in s0 (n0 bytes) a part of len bytes starts that every string
 * of set holds, or -1. */
static long shared_at(const sset *set, const char *s0, size_t n0, size_t len)
{
    for (size_t off = 0; off + len <= n0; off++) {
        bool all = true;
        for (size_t k = 0; k < set->n && all; k++)
            all = set->s[k] == s0 || lit_find(mc_str_cstr(set->s[k]), s0 + off, len) != NULL;
        if (all)
            return (long)off;
    }
    return -1;
}

/* The longest part of at least COMMON_MIN bytes that all of set's strings
 * share: its length (0: none) and where it starts in *from.  A shared part
 * of some length means one of every shorter length: the search halves. */
static size_t common_part(const sset *set, const char **from)
{
    const char *s0 = set->s[0];
    for (size_t k = 1; k < set->n; k++)
        if (strlen(set->s[k]) < strlen(s0))
            s0 = set->s[k];
    size_t n0 = strlen(s0), lo = COMMON_MIN, hi = n0, best = 0;
    while (lo <= hi) {
        size_t mid = lo + (hi - lo) / 2;
        long at = shared_at(set, s0, n0, mid);
        if (at >= 0) {
            best = mid;
            *from = s0 + at;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

/* Appends a clause of one literal (its first LITERAL_MAX bytes) to x. */
static void add_one(info *x, const char *p, size_t n)
{
    sset c = {0};
    sset_add(&c, p, n < LITERAL_MAX ? n : LITERAL_MAX);
    x->clauses = mc_xrealloc(x->clauses, (x->n_clauses + 1) * sizeof *x->clauses);
    x->clauses[x->n_clauses++] = (mc_req_clause){c.s, c.n};
}

/* The length of the start (from_end: the end) every string of set shares. */
static size_t shared_end(const sset *set, bool from_end)
{
    size_t len = strlen(set->s[0]);
    for (size_t k = 1; k < set->n; k++) {
        size_t n = strlen(set->s[k]), i = 0;
        while (i < len && i < n &&
               (from_end ? set->s[0][strlen(set->s[0]) - 1 - i] == set->s[k][n - 1 - i] : set->s[0][i] == set->s[k][i]))
            i++;
        len = i;
    }
    return len;
}

/* Adds set as a clause of x when it can stand as one, made smaller where
 * that keeps it selective: variants that share a long part ("(?:very
 * )?low reputation") give that part, and each literal keeps its first
 * LITERAL_MAX bytes (a text that holds a string holds its parts).  The
 * shared part forgets the rest of each variant: a start or an end they
 * also all share ("HELO (?:name )?(?:was )?rejected": "helo " besides
 * "rejected") is one more clause, as every text that holds one of them
 * holds it too. */
static void add_clause(info *x, const sset *set)
{
    if (!clause_ok(set))
        return;
    const char *part = NULL;
    size_t common = set->n > 1 ? common_part(set, &part) : 0;
    if (common == 0) {
        sset c = {0};
        for (size_t k = 0; k < set->n; k++)
            sset_add(&c, set->s[k], strlen(set->s[k]) < LITERAL_MAX ? strlen(set->s[k]) : LITERAL_MAX);
        x->clauses = mc_xrealloc(x->clauses, (x->n_clauses + 1) * sizeof *x->clauses);
        x->clauses[x->n_clauses++] = (mc_req_clause){c.s, c.n};
        return;
    }
    add_one(x, part, common);
    size_t head = shared_end(set, false), tail = shared_end(set, true);
    const char *s0 = set->s[0];
    if (head >= MIN_LITERAL && lit_find(mc_str_make(part, common), s0, head) == NULL)
        add_one(x, s0, head);
    if (tail >= MIN_LITERAL && lit_find(mc_str_make(part, common), s0 + strlen(s0) - tail, tail) == NULL)
        add_one(x, s0 + strlen(s0) - tail, tail);
}

/* Moves from's clauses onto to. */
static void take_clauses(info *to, info *from)
{
    if (from->n_clauses == 0)
        return;
    to->clauses = mc_xrealloc(to->clauses, (to->n_clauses + from->n_clauses) * sizeof *to->clauses);
    memcpy(to->clauses + to->n_clauses, from->clauses, from->n_clauses * sizeof *from->clauses);
    to->n_clauses += from->n_clauses;
    free(from->clauses);
    from->clauses = NULL;
    from->n_clauses = 0;
}

/* States what x requires as clauses only: its exact set becomes one. */
static void forget_exact(info *x)
{
    if (x->exact_known)
        add_clause(x, &x->exact);
    x->exact_known = false;
    sset_free(&x->exact);
}

/* Every a followed by every b into out; false when there would be too many. */
static bool cross(const sset *a, const sset *b, sset *out)
{
    if (a->n * b->n > EXACT_MAX)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        size_t la = strlen(a->s[i]);
        for (size_t j = 0; j < b->n; j++)
            sset_add2(out, a->s[i], la, b->s[j], strlen(b->s[j]));
    }
    return true;
}

/* How rare a clause's texts are: longer shortest literal first, then fewer literals. */
static int clause_better(const mc_req_clause *a, const mc_req_clause *b)
{
    size_t ma = SIZE_MAX, mb = SIZE_MAX;
    for (size_t k = 0; k < a->n; k++)
        ma = strlen(a->lits[k]) < ma ? strlen(a->lits[k]) : ma;
    for (size_t k = 0; k < b->n; k++)
        mb = strlen(b->lits[k]) < mb ? strlen(b->lits[k]) : mb;
    if (ma != mb)
        return ma > mb;
    return a->n < b->n;
}

static void read_alternatives(reader *r, info **alts, size_t *n);

/* One alternation (of a group) as one piece: the union when every
 * alternative is exact, else one clause made of each one's rarest. */
static info merge(info *alts, size_t n)
{
    if (n == 1)
        return alts[0];
    info out = {.exact_known = true};
    for (size_t a = 0; a < n && out.exact_known; a++) {
        if (!alts[a].exact_known || out.exact.n + alts[a].exact.n > EXACT_MAX)
            out.exact_known = false;
        for (size_t k = 0; out.exact_known && k < alts[a].exact.n; k++)
            sset_add(&out.exact, alts[a].exact.s[k], strlen(alts[a].exact.s[k]));
    }
    if (!out.exact_known) {
        sset_free(&out.exact);
        sset one = {0};
        bool all = true;
        for (size_t a = 0; a < n && all; a++) {
            forget_exact(&alts[a]);
            const mc_req_clause *best = NULL;
            for (size_t k = 0; k < alts[a].n_clauses; k++)
                if (best == NULL || clause_better(&alts[a].clauses[k], best))
                    best = &alts[a].clauses[k];
            all = best != NULL;
            for (size_t k = 0; best && k < best->n; k++)
                sset_add(&one, best->lits[k], strlen(best->lits[k]));
        }
        if (all)
            add_clause(&out, &one);
        sset_free(&one);
    }
    for (size_t a = 0; a < n; a++)
        info_free(&alts[a]);
    return out;
}

/* Reads a name up to its closing byte; false at the end of the source. */
static bool skip_to(reader *r, char close)
{
    while (r->i < r->n && r->s[r->i] != close)
        r->i++;
    if (r->i >= r->n)
        return false;
    r->i++;
    return true;
}

/* A group from its '(' to its ')'; look-arounds and option settings match
 * nothing of the subject themselves (zero width). */
static info read_group(reader *r)
{
    const char *s = r->s;
    size_t i = r->i + 1;
    bool zero = false;
    if (i < r->n && s[i] == '*') {
        r->fail = true; /* (*VERB) */
        return info_unknown();
    }
    if (i < r->n && s[i] == '?') {
        char c = i + 1 < r->n ? s[i + 1] : '\0';
        char d = i + 2 < r->n ? s[i + 2] : '\0';
        if (c == ':' || c == '|' || c == '>') {
            i += 2;
        } else if (c == '=' || c == '!') {
            i += 2;
            zero = true;
        } else if (c == '<' && (d == '=' || d == '!')) {
            i += 3;
            zero = true;
        } else if (c == '<' || (c == 'P' && d == '<') || c == '\'') {
            r->i = i + (c == 'P' ? 3 : 2);
            if (!skip_to(r, c == '\'' ? '\'' : '>')) {
                r->fail = true;
                return info_unknown();
            }
            i = r->i;
        } else if (c == '#') {
            r->i = i;
            if (!skip_to(r, ')'))
                r->fail = true;
            return info_exact("", 0);
        } else {
            /* Option letters: only caselessness, which the literals already ignore. */
            i++;
            while (i < r->n && (s[i] == 'i' || s[i] == '-'))
                i++;
            if (i < r->n && s[i] == ')') {
                r->i = i + 1;
                return info_exact("", 0);
            }
            if (i >= r->n || s[i] != ':') {
                r->fail = true;
                return info_unknown();
            }
            i++;
        }
    } else {
        i = r->i + 1;
    }
    r->i = i;
    info *alts = NULL;
    size_t n = 0;
    read_alternatives(r, &alts, &n);
    if (r->i >= r->n || r->s[r->i] != ')')
        r->fail = true;
    else
        r->i++;
    info x = merge(alts, n);
    free(alts);
    if (zero) {
        info_free(&x);
        return info_exact("", 0);
    }
    return x;
}

/* A class from its '[': the set of its characters when it lists plain
 * ones only, else a character nothing is known of. */
static info read_class(reader *r)
{
    const char *s = r->s;
    size_t i = r->i + 1;
    bool simple = true;
    sset chars = {0};
    if (i < r->n && s[i] == '^') {
        simple = false;
        i++;
    }
    size_t first = i;
    while (i < r->n && (s[i] != ']' || i == first)) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            if (i + 1 >= r->n || s[i + 1] == 'Q' || s[i + 1] == 'E') {
                r->fail = true;
                break;
            }
            unsigned char d = (unsigned char)s[i + 1];
            if (isalnum(d) || d >= 0x80)
                simple = false;
            else {
                char lc = (char)tolower(d);
                sset_add(&chars, &lc, 1);
            }
            i += 2;
            continue;
        }
        if (c == '[' && i + 1 < r->n && (s[i + 1] == ':' || s[i + 1] == '.' || s[i + 1] == '=')) {
            const char *end = strstr(s + i + 2, s[i + 1] == ':' ? ":]" : s[i + 1] == '.' ? ".]" : "=]");
            if (end == NULL) {
                r->fail = true;
                break;
            }
            simple = false;
            i = (size_t)(end - s) + 2;
            continue;
        }
        if (c == '-' && i != first && i + 1 < r->n && s[i + 1] != ']')
            simple = false; /* a range */
        else if (c >= 0x80)
            simple = false;
        else {
            char lc = (char)tolower(c);
            sset_add(&chars, &lc, 1);
        }
        i++;
    }
    if (i >= r->n)
        r->fail = true;
    r->i = i + 1;
    if (!simple || r->fail || chars.n > 16) {
        sset_free(&chars);
        return info_unknown();
    }
    info x = {.exact_known = true, .exact = chars};
    return x;
}

/* A backslash escape: an escaped punctuation character is itself. */
static info read_escape(reader *r)
{
    if (r->i + 1 >= r->n) {
        r->fail = true;
        return info_unknown();
    }
    unsigned char d = (unsigned char)r->s[r->i + 1];
    r->i += 2;
    if (d && strchr("bBAzZG", d))
        return info_exact("", 0);
    if (d && strchr("dDwWsShHvVRX", d))
        return info_unknown();
    if (d == 'N' && !(r->i < r->n && r->s[r->i] == '{'))
        return info_unknown();
    if (isalnum(d) || d >= 0x80) {
        r->fail = true; /* \x, \p, \Q, \K, back references ... */
        return info_unknown();
    }
    char lc = (char)d;
    return info_exact(&lc, 1);
}

/* One item: a character, class, group, escape or anchor. */
static info read_atom(reader *r)
{
    unsigned char c = (unsigned char)r->s[r->i];
    switch (c) {
    case '(':
        return read_group(r);
    case '[':
        return read_class(r);
    case '\\':
        return read_escape(r);
    case '.':
        r->i++;
        return info_unknown();
    case '^':
    case '$':
        r->i++;
        return info_exact("", 0);
    case '*':
    case '+':
    case '?':
    case '{':
        r->fail = true;
        return info_unknown();
    default:
        break;
    }
    if (c >= 0x80) { /* a UTF-8 character, caseless beyond ASCII: left to the regex */
        r->i++;
        while (r->i < r->n && ((unsigned char)r->s[r->i] & 0xC0) == 0x80)
            r->i++;
        return info_unknown();
    }
    r->i++;
    char lc = (char)tolower(c);
    return info_exact(&lc, 1);
}

/* The plain character at i (an escaped punctuation character is one),
 * lowercased, and how many bytes it takes; 0 when there is none there. */
static size_t plain_at(const reader *r, size_t i, char *c)
{
    unsigned char a = (unsigned char)r->s[i];
    if (a == '\\') {
        unsigned char d = i + 1 < r->n ? (unsigned char)r->s[i + 1] : 0;
        if (d == 0 || isalnum(d) || d >= 0x80)
            return 0;
        *c = (char)d;
        return 2;
    }
    if (a >= 0x80 || strchr("[](){}|.^$*+?", a))
        return 0;
    *c = (char)tolower(a);
    return 1;
}

/* A run of plain characters that no quantifier splits, as one exact
 * string (read a byte at a time, a long pattern would cost its length
 * squared); an unknown piece, reading nothing, when there is none. */
static info read_plain(reader *r)
{
    /* Most runs fit on the stack: one malloc less per item read. */
    char small[256];
    char *buf = r->n - r->i + 1 <= sizeof small ? small : mc_xmalloc(r->n - r->i + 1);
    size_t len = 0, i = r->i, step;
    char c;
    while (i < r->n && (step = plain_at(r, i, &c)) > 0) {
        char q = i + step < r->n ? r->s[i + step] : '\0';
        if (q == '?' || q == '*' || q == '+' || q == '{')
            break; /* the quantifier takes this character alone */
        buf[len++] = c;
        i += step;
    }
    info x = info_unknown();
    if (len > 0) {
        x = info_exact(buf, len);
        r->i = i;
    }
    if (buf != small)
        free(buf);
    return x;
}

/* A quantifier after an item: its least and most repetitions (max -1:
 * unbounded); false when there is none. */
static bool read_quantifier(reader *r, long *min, long *max)
{
    if (r->i >= r->n)
        return false;
    const char *s = r->s;
    char c = s[r->i];
    if (c == '?' || c == '*' || c == '+') {
        *min = c == '+';
        *max = c == '?' ? 1 : -1;
        r->i++;
    } else if (c == '{') {
        size_t i = r->i + 1;
        if (i >= r->n || !isdigit((unsigned char)s[i])) {
            r->fail = true; /* a literal '{' in PCRE2: not worth knowing */
            return false;
        }
        *min = strtol(s + i, NULL, 10);
        while (i < r->n && isdigit((unsigned char)s[i]))
            i++;
        *max = *min;
        if (i < r->n && s[i] == ',') {
            i++;
            *max = i < r->n && isdigit((unsigned char)s[i]) ? strtol(s + i, NULL, 10) : -1;
            while (i < r->n && isdigit((unsigned char)s[i]))
                i++;
        }
        if (i >= r->n || s[i] != '}') {
            r->fail = true;
            return false;
        }
        r->i = i + 1;
    } else {
        return false;
    }
    if (r->i < r->n && (s[r->i] == '?' || s[r->i] == '+'))
        r->i++; /* lazy or possessive: the same strings */
    return true;
}

/* An item under a quantifier: optional loses its clauses (an optional
 * exact item keeps its strings and the empty one); repeated keeps them. */
static info quantify(info x, long min, long max)
{
    if (min == 0) {
        if (max == 1 && x.exact_known) {
            sset_add(&x.exact, "", 0);
            return x;
        }
        info_free(&x);
        return info_unknown();
    }
    if (max != 1)
        forget_exact(&x);
    return x;
}

/* A sequence of items up to '|', ')' or the end: adjacent exact items
 * join into longer strings; each run that cannot grow becomes a clause. */
static info read_sequence(reader *r)
{
    info out = {0};
    sset run = {0};
    sset_add(&run, "", 0);
    bool all_exact = true;
    while (!r->fail && r->i < r->n && r->s[r->i] != '|' && r->s[r->i] != ')') {
        info x = read_plain(r); /* no quantifier follows a run */
        if (!x.exact_known) {
            long min, max;
            x = read_atom(r);
            if (!r->fail && read_quantifier(r, &min, &max))
                x = quantify(x, min, max);
        }
        if (r->fail) {
            info_free(&x);
            break;
        }
        sset joined = {0};
        if (x.exact_known && run.n == 1 && run.s[0][0] == '\0' && x.exact.n <= EXACT_MAX) {
            /* The empty run joined with x is x's set itself (a set, no
             * repeats): taken, not copied (cross's answer). */
            sset_free(&run);
            run = x.exact;
            x.exact = (sset){0};
        } else if (x.exact_known && cross(&run, &x.exact, &joined)) {
            sset_free(&run);
            run = joined;
        } else {
            sset_free(&joined);
            add_clause(&out, &run);
            sset_free(&run);
            all_exact = false;
            if (x.exact_known) {
                run = x.exact;
                x.exact = (sset){0};
            } else {
                sset_add(&run, "", 0);
            }
        }
        take_clauses(&out, &x);
        info_free(&x);
    }
    if (all_exact) {
        out.exact_known = true;
        out.exact = run;
    } else {
        add_clause(&out, &run);
        sset_free(&run);
    }
    return out;
}

/* The alternatives of a group (or of the whole pattern) up to its ')' or the end. */
static void read_alternatives(reader *r, info **alts, size_t *n)
{
    *alts = NULL;
    *n = 0;
    for (;;) {
        info x = read_sequence(r);
        *alts = mc_xrealloc(*alts, (*n + 1) * sizeof **alts);
        (*alts)[(*n)++] = x;
        if (r->fail || r->i >= r->n || r->s[r->i] != '|')
            return;
        r->i++;
    }
}

/* Reads the requirement of src (see reqlits.h). */
bool reqlits_read(const char *src, mc_req *req)
{
    memset(req, 0, sizeof *req);
    reader r = {src, 0, strlen(src), false};
    info *alts = NULL;
    size_t n = 0;
    read_alternatives(&r, &alts, &n);
    bool ok = !r.fail && r.i == r.n;
    if (ok) {
        req->branches = mc_xcalloc(n, sizeof *req->branches);
        req->n = n;
    }
    for (size_t a = 0; a < n; a++) {
        forget_exact(&alts[a]);
        ok = ok && alts[a].n_clauses > 0;
        if (ok) {
            /* The rarest clause first: the one an index of rules keys on. */
            mc_req_clause *cl = alts[a].clauses;
            for (size_t k = 1; k < alts[a].n_clauses; k++) {
                if (clause_better(&cl[k], &cl[0])) {
                    mc_req_clause t = cl[0];
                    cl[0] = cl[k];
                    cl[k] = t;
                }
            }
            req->branches[a] = (mc_req_branch){alts[a].clauses, alts[a].n_clauses};
            alts[a].clauses = NULL;
            alts[a].n_clauses = 0;
        }
        info_free(&alts[a]);
    }
    free(alts);
    if (!ok)
        reqlits_free(req);
    return ok;
}

/* Frees what reqlits_read filled. */
void reqlits_free(mc_req *req)
{
    for (size_t b = 0; b < req->n; b++) {
        for (size_t c = 0; c < req->branches[b].n; c++) {
            mc_req_clause *cl = &req->branches[b].clauses[c];
            for (size_t k = 0; k < cl->n; k++)
                free(cl->lits[k]);
            free(cl->lits);
        }
        free(req->branches[b].clauses);
    }
    free(req->branches);
    memset(req, 0, sizeof *req);
}
