/*
 * mtawarn.c - find the MTA's own warnings, errors, fatal errors and panics
 * among the log lines, and fold each into the text of its group.
 *
 * Most lines are not warnings, and a line must cost little to say so.
 * Every severity pattern starts with ^ and a literal ("warning: ", "exim
 * user lost privilege for using -"), read off its source at load: after
 * the envelope is split (again, with a copy of the parser's year state:
 * the outcome parser stays as it is) and the MTA's prefix skipped, a line
 * is compared with those few literals, and only a line that starts with
 * one meets the program check and the pattern.
 *
 * An MTA whose text may follow a prefix (Exim's stamp, pid and message
 * id) has the prefix's length read by hand when its pattern is the one
 * shipped: every line of an Exim mainlog is its own, and the pattern (or
 * a look at each of the first words for a literal) cost ~400
 * instructions a line where the reading costs a few dozen.
 */
#include "mtawarn.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "factread.h"
#include "lineshape.h"
#include "logline.h"

/* A severity word: lowercase letters, short enough for its column. */
static bool severity_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= MC_SEVERITY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return false;
    return true;
}

/* The literal a pattern source starts with after its "^": up to the first
 * regex metacharacter, less a last character a quantifier applies to.
 * Its length (0: none). */
static size_t start_literal(const char *src, char *out, size_t cap)
{
    if (src[0] != '^')
        return 0;
    size_t n = 0;
    const char *p = src + 1;
    while (*p && strchr("\\^$.|?*+()[]{}", *p) == NULL && n + 1 < cap)
        out[n++] = *p++;
    if (n > 0 && *p && strchr("?*{", *p) != NULL)
        n--; /* "ab?" holds "a" for sure, not "ab" */
    out[n] = '\0';
    return n;
}

/* One severity = pattern line: compiled, with the literal it starts with. */
static bool load_rule(mc_warn_mta *m, const char *path, const conf_entry *e, char *err, size_t errlen)
{
    if (!severity_ok(e->key))
        return conf_error(err, errlen, path, e->line,
                          "[@warnings]: '%s' is not a severity (lowercase letters, at most %d)", e->key,
                          MC_SEVERITY_MAX - 1);
    char start[256];
    size_t n = start_literal(e->value, start, sizeof start);
    if (n < 3)
        return conf_error(err, errlen, path, e->line,
                          "[@warnings]: the pattern must start with ^ and a literal of 3 characters or more"
                          " (every other line then costs one comparison)");
    m->rules = mc_xrealloc(m->rules, (m->n_rules + 1) * sizeof *m->rules);
    mc_warn_rule *r = &m->rules[m->n_rules];
    memset(r, 0, sizeof *r);
    if (!pattern_compile(&r->pat, e->value, 0, path, e->line, err, errlen))
        return false;
    r->severity = mc_xstrdup(e->key);
    r->start = mc_xstrdup(start);
    r->start_len = n;
    /* Every literal has 3 bytes or more: its first two mark the pair. */
    unsigned pair = (unsigned)(unsigned char)start[0] << 8 | (unsigned char)start[1];
    m->first_pairs[(unsigned char)start[0]] = 1;
    m->first_pairs[MC_WARN_BYTES + pair / 8] |= (uint8_t)(1u << (pair % 8));
    m->n_rules++;
    return true;
}

/* The programs = words: names, or prefixes ending in '*'. */
static void load_programs(mc_warn_mta *m, const char *value)
{
    char *copy = mc_xstrdup(value);
    for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        size_t i = m->n_programs++, n = strlen(w);
        m->programs = mc_xrealloc(m->programs, m->n_programs * sizeof *m->programs);
        m->program_lens = mc_xrealloc(m->program_lens, m->n_programs * sizeof *m->program_lens);
        m->program_prefix = mc_xrealloc(m->program_prefix, m->n_programs * sizeof *m->program_prefix);
        m->programs[i] = mc_xstrdup(w);
        m->program_prefix[i] = w[n - 1] == '*';
        m->program_lens[i] = m->program_prefix[i] ? n - 1 : n;
        if (m->program_prefix[i] || n >= 64)
            m->any_prefix = true; /* a name past the mask is looked for as a prefix is */
        else
            m->name_lens |= 1ull << n;
    }
    free(copy);
}

/* prefix_words = N: how many words the prefix may span (0 .. 16). */
static bool load_words(mc_warn_mta *m, const char *path, const conf_entry *e, char *err, size_t errlen)
{
    char *end;
    unsigned long n = strtoul(e->value, &end, 10);
    if (end == e->value || *end != '\0' || n > 16)
        return conf_error(err, errlen, path, e->line, "[@warnings]: prefix_words must be a number from 0 to 16");
    m->prefix_words = (size_t)n;
    return true;
}

/* Byte classes of the Exim prefix: P_DIGIT [0-9], P_ALNUM [0-9A-Za-z],
 * P_TIME [0-9:.] (bytes 128-255 are in none, as in PCRE2's UTF mode). */
enum { P_DIGIT = 1, P_ALNUM = 2, P_TIME = 4 };
static const unsigned char prefix_class[256] = {
    ['0'] = 7, ['1'] = 7, ['2'] = 7, ['3'] = 7, ['4'] = 7, ['5'] = 7, ['6'] = 7, ['7'] = 7, ['8'] = 7, ['9'] = 7,
    [':'] = P_TIME, ['.'] = P_TIME,
    ['A'] = 2, ['B'] = 2, ['C'] = 2, ['D'] = 2, ['E'] = 2, ['F'] = 2, ['G'] = 2, ['H'] = 2, ['I'] = 2, ['J'] = 2,
    ['K'] = 2, ['L'] = 2, ['M'] = 2, ['N'] = 2, ['O'] = 2, ['P'] = 2, ['Q'] = 2, ['R'] = 2, ['S'] = 2, ['T'] = 2,
    ['U'] = 2, ['V'] = 2, ['W'] = 2, ['X'] = 2, ['Y'] = 2, ['Z'] = 2,
    ['a'] = 2, ['b'] = 2, ['c'] = 2, ['d'] = 2, ['e'] = 2, ['f'] = 2, ['g'] = 2, ['h'] = 2, ['i'] = 2, ['j'] = 2,
    ['k'] = 2, ['l'] = 2, ['m'] = 2, ['n'] = 2, ['o'] = 2, ['p'] = 2, ['q'] = 2, ['r'] = 2, ['s'] = 2, ['t'] = 2,
    ['u'] = 2, ['v'] = 2, ['w'] = 2, ['x'] = 2, ['y'] = 2, ['z'] = 2,
};

/* Where the run of class cls from i ends, looking at most max + 1 bytes
 * (a run longer than max then ends past i + max). */
static size_t prefix_run(mc_str s, size_t i, unsigned char cls, size_t max)
{
    size_t end = s.n - i > max + 1 ? i + max + 1 : s.n;
    while (i < end && (prefix_class[(unsigned char)s.p[i]] & cls))
        i++;
    return i;
}

/* Whether n bytes of class cls stand at i. */
static bool prefix_all(mc_str s, size_t i, unsigned char cls, size_t n)
{
    return i + n <= s.n && prefix_run(s, i, cls, n) >= i + n;
}

/* Whether byte c stands at i. */
static bool prefix_byte(mc_str s, size_t i, char c) { return i < s.n && s.p[i] == c; }

/* Exim's prefix on a message of 24 bytes or more that starts with no
 * stamp (its fifth byte is no '-') and no pid (its first no '['): only
 * the message id group may match, and it lies within the first 24 bytes:
 * the id by bit masks (factread_exim_id24), then its space.  The usual
 * mainlog line (the stamp already split off) in a few dozen
 * instructions, not a table look-up a byte. */
static size_t exim_id_prefix(mc_str s)
{
    size_t n = factread_exim_id24(s.p);
    return n && s.p[n] == ' ' ? n + 1 : 0;
}

/* Exim's prefix, as rules/mta/exim.conf ships it (exim_prefix_src).  Each
 * optional group is taken when it fits where the one before ended (nothing
 * after a group can fail, so PCRE2 never goes back into it); a counted
 * run of a class is followed by a byte outside it, so it fits only when
 * its longest run has the count. */
static size_t exim_prefix(mc_str s)
{
    if (s.n >= 24 && s.p[4] != '-' && s.p[0] != '[')
        return exim_id_prefix(s);
    size_t i = 0, e;
    /* (?:[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]{8,15}(?: [+-][0-9]{4})? )? */
    if (prefix_all(s, 0, P_DIGIT, 4) && prefix_byte(s, 4, '-') && prefix_all(s, 5, P_DIGIT, 2) &&
        prefix_byte(s, 7, '-') && prefix_all(s, 8, P_DIGIT, 2) && prefix_byte(s, 10, ' ') &&
        (e = prefix_run(s, 11, P_TIME, 15)) - 11 >= 8 && e - 11 <= 15 && prefix_byte(s, e, ' ')) {
        bool zone = (prefix_byte(s, e + 1, '+') || prefix_byte(s, e + 1, '-')) && prefix_all(s, e + 2, P_DIGIT, 4) &&
                    prefix_byte(s, e + 6, ' ');
        i = zone ? e + 7 : e + 1;
    }
    /* (?:\[[0-9]+\] )? */
    if (prefix_byte(s, i, '[') && (e = prefix_run(s, i + 1, P_DIGIT, s.n)) > i + 1 && prefix_byte(s, e, ']') &&
        prefix_byte(s, e + 1, ' '))
        i = e + 2;
    /* (?:[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} )? */
    size_t a = prefix_run(s, i, P_ALNUM, 6), b, c;
    if (a - i == 6 && prefix_byte(s, a, '-') && (b = prefix_run(s, a + 1, P_ALNUM, 11)) - (a + 1) >= 6 &&
        b - (a + 1) <= 11 && prefix_byte(s, b, '-') && (c = prefix_run(s, b + 1, P_ALNUM, 4)) - (b + 1) >= 2 &&
        c - (b + 1) <= 4 && prefix_byte(s, c, ' '))
        i = c + 1;
    return i;
}

/* exim_gate as the reader's gate (mc_prefix_gate). */
static bool exim_prefix_may_hold(const uint8_t *first_pairs, mc_str s) { return mtawarn_exim_gate(first_pairs, s, true); }

/* The prefix patterns with a reader, as written in rules/mta/<mta>.conf,
 * and the reader's gate (NULL: none). */
static const struct {
    const char *src;
    mc_prefix_reader fn;
    mc_prefix_gate gate;
} prefix_readers[] = {
    {"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]{8,15}(?: [+-][0-9]{4})? )?(?:\\[[0-9]+\\] )?"
     "(?:[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} )?",
     exim_prefix, exim_prefix_may_hold},
};

mc_prefix_reader mtawarn_prefix_reader(const char *src, mc_prefix_gate *gate)
{
    *gate = NULL;
    for (size_t i = 0; i < sizeof prefix_readers / sizeof prefix_readers[0]; i++)
        if (strcmp(src, prefix_readers[i].src) == 0) {
            *gate = prefix_readers[i].gate;
            return prefix_readers[i].fn;
        }
    return NULL;
}

/* Compiles a [@warnings] pattern key that may be given once. */
static bool load_once(mc_pattern *pat, bool *has, const char *path, const conf_entry *e, char *err, size_t errlen)
{
    if (*has)
        return conf_error(err, errlen, path, e->line, "[@warnings] has a second %s", e->key);
    *has = pattern_compile(pat, e->value, 0, path, e->line, err, errlen);
    return *has;
}

/* The [@warnings] section of one MTA file, when it has one. */
static bool load_file(mc_warn_rules *w, const char *path, char *err, size_t errlen)
{
    conf_file *cf = conf_load(path, err, errlen);
    if (cf == NULL)
        return false;
    const conf_section *s = conf_find_section(cf, "@warnings");
    const char *name = conf_get(conf_find_section(cf, "@mta"), "name");
    bool ok = true;
    if (s != NULL) {
        w->mtas = mc_xrealloc(w->mtas, (w->n_mtas + 1) * sizeof *w->mtas);
        mc_warn_mta *m = &w->mtas[w->n_mtas++];
        memset(m, 0, sizeof *m);
        m->mta = mc_xstrdup(name ? name : "");
        for (size_t i = 0; ok && i < s->n_entries; i++) {
            const conf_entry *e = &s->entries[i];
            if (strcmp(e->key, "programs") == 0)
                load_programs(m, e->value);
            else if (strcmp(e->key, "prefix") == 0) {
                ok = load_once(&m->prefix, &m->has_prefix, path, e, err, errlen);
                m->read_prefix = ok ? mtawarn_prefix_reader(e->value, &m->prefix_gate) : NULL;
            }
            else if (strcmp(e->key, "prefix_words") == 0)
                ok = load_words(m, path, e, err, errlen);
            else if (strcmp(e->key, "own_log") == 0)
                ok = conf_yes_no(path, e, &m->own_log, err, errlen);
            else
                ok = load_rule(m, path, e, err, errlen);
        }
    }
    conf_free(cf);
    return ok;
}

/* Loads every MTA file's [@warnings]. */
bool mtawarn_load(mc_warn_rules *w, const char *dir, const char *const *mta_files, size_t n_files, char *err,
                  size_t errlen)
{
    memset(w, 0, sizeof *w);
    bool ok = true;
    for (size_t i = 0; ok && i < n_files; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, mta_files[i]);
        ok = load_file(w, path, err, errlen);
    }
    for (size_t i = 0; ok && i < w->n_mtas; i++) {
        if (w->mtas[i].has_prefix) {
            w->prefixed = mc_xrealloc(w->prefixed, (w->n_prefixed + 1) * sizeof *w->prefixed);
            w->prefixed[w->n_prefixed++] = i;
        }
        for (size_t b = 0; b < sizeof w->start_pairs; b++)
            w->start_pairs[b] |= w->mtas[i].first_pairs[b];
    }
    for (size_t k = 0; ok && k < w->n_prefixed; k++) {
        const mc_warn_mta *m = &w->mtas[w->prefixed[k]];
        w->prefixed_name_lens |= m->name_lens;
        w->prefixed_any_prefix |= m->any_prefix;
        w->prefixed_own_log |= m->own_log;
    }
    /* A prefix among the names: every length may be one (the inlined
     * look then tests the mask alone). */
    if (w->prefixed_any_prefix)
        w->prefixed_name_lens = ~0ull;
    /* The inlined look's gate: only when one MTA has a prefix (may_warn
     * asks each) and its gate is Exim's. */
    if (ok && w->n_prefixed == 1) {
        const mc_warn_mta *m = &w->mtas[w->prefixed[0]];
        if (m->read_prefix && m->prefix_gate == exim_prefix_may_hold)
            w->prefixed_gate = m->first_pairs;
    }
    if (!ok)
        mtawarn_free(w);
    return ok;
}

/* Frees what mtawarn_load built. */
void mtawarn_free(mc_warn_rules *w)
{
    for (size_t i = 0; i < w->n_mtas; i++) {
        mc_warn_mta *m = &w->mtas[i];
        for (size_t j = 0; j < m->n_rules; j++) {
            pattern_free(&m->rules[j].pat);
            free(m->rules[j].severity);
            free(m->rules[j].start);
        }
        free(m->rules);
        for (size_t j = 0; j < m->n_programs; j++)
            free(m->programs[j]);
        free(m->programs);
        free(m->program_lens);
        free(m->program_prefix);
        if (m->has_prefix)
            pattern_free(&m->prefix);
        free(m->mta);
    }
    free(w->mtas);
    free(w->prefixed);
    memset(w, 0, sizeof *w);
}

/* Whether the line's envelope may be this MTA's, by what costs least: a
 * line of its own log form, or a program of one of its names' lengths
 * (most lines of another MTA end here).  False: line_of is false. */
static inline bool line_may_be_of(const mc_warn_mta *m, const mc_logline *env)
{
    if (env->program.n == 0)
        return m->own_log && env->form == LOGLINE_EXIM;
    return m->any_prefix || (env->program.n < 64 && (m->name_lens >> env->program.n & 1));
}

/* Whether the line's envelope is this MTA's: its program is one of the
 * names (or starts with a prefix), or it is a line of the MTA's own log. */
static inline bool line_of(const mc_warn_mta *m, const mc_logline *env)
{
    if (!line_may_be_of(m, env))
        return false;
    if (env->program.n == 0)
        return true;
    for (size_t i = 0; i < m->n_programs; i++) {
        size_t n = m->program_lens[i];
        if ((m->program_prefix[i] ? env->program.n >= n : env->program.n == n) &&
            mc_same_bytes(env->program.p, m->programs[i], n))
            return true;
    }
    return false;
}

/* The message after the MTA's prefix (a stamp, a pid, a message id). */
static mc_str after_prefix(const mc_warn_mta *m, mc_matcher *mt, mc_str msg)
{
    if (!m->has_prefix || !pattern_match(&m->prefix, mt, msg))
        return msg;
    mc_str skip = pattern_capture(mt, msg, 0);
    size_t n = skip.p ? (size_t)(skip.p - msg.p) + skip.n : 0;
    return mc_str_make(msg.p + n, msg.n - n);
}

/* The first rule of m whose literal text starts with, or NULL. */
static const mc_warn_rule *candidate(const mc_warn_mta *m, mc_str text, size_t from)
{
    /* Most words: no literal starts with these two bytes (a pair, not a
     * byte: Exim's "F=" and "C=" words share a first byte with "Failed"
     * and "Cannot"); a literal has 3 bytes or more. */
    if (text.n < 3)
        return NULL;
    /* The pair's bit alone, not mtawarn_pair_at's first-byte test: this
     * is the definition that test_warnings holds the fast look to. */
    unsigned pair = (unsigned)(unsigned char)text.p[0] << 8 | (unsigned char)text.p[1];
    if (!(m->first_pairs[MC_WARN_BYTES + pair / 8] & (1u << (pair % 8))))
        return NULL;
    for (size_t j = from; j < m->n_rules; j++) {
        const mc_warn_rule *r = &m->rules[j];
        if (text.n >= r->start_len && text.p[0] == r->start[0] && memcmp(text.p, r->start, r->start_len) == 0)
            return r;
    }
    return NULL;
}

/* How far into the line the syslog tag "program[pid]: " may end. */
#define TAG_WITHIN 200

/* A quick look for the syslog tag "program[pid]: " near the start of the
 * line, the form of nearly every line: its program and what follows.
 * False when there is none (the full split decides then). */
static bool quick_tag(mc_str line, mc_str *program, mc_str *message)
{
    /* memchr for ']' and a look at the next two bytes: cheaper than
     * memmem on a short line. */
    size_t limit = line.n < TAG_WITHIN ? line.n : TAG_WITHIN;
    const char *tag = NULL;
    for (const char *q = line.p, *end = line.p + limit; tag == NULL && (q = memchr(q, ']', (size_t)(end - q))) != NULL;
         q++)
        if (q + 2 < line.p + line.n && q[1] == ':' && q[2] == ' ')
            tag = q;
    const char *open = tag ? memrchr(line.p, '[', (size_t)(tag - line.p)) : NULL;
    if (open == NULL)
        return false;
    const char *start = open;
    while (start > line.p && start[-1] != ' ')
        start--;
    *program = mc_str_make(start, (size_t)(open - start));
    *message = mc_str_make(tag + 3, (size_t)(line.p + line.n - (tag + 3)));
    return true;
}

/* Whether a rule's literal starts the message or one of its first
 * prefix_words + 1 words: where the text may start once the prefix is
 * skipped.  A cheap test before the prefix's pattern. */
static bool may_hold_text(const mc_warn_mta *m, mc_str msg)
{
    const char *p = msg.p, *end = msg.p + msg.n;
    for (size_t word = 0; word <= m->prefix_words && p < end; word++) {
        if (candidate(m, mc_str_make(p, (size_t)(end - p)), 0) != NULL)
            return true;
        const char *space = memchr(p, ' ', (size_t)(end - p));
        if (space == NULL)
            break;
        p = space + 1;
    }
    return false;
}

/* Whether the line can be passed over without splitting it: its quick tag
 * names a program of an MTA without a prefix, and what follows the tag
 * starts with none of that MTA's literals.  Any doubt: not passed over. */
static bool passed_over(const mc_warn_rules *w, mc_str line)
{
    mc_str program, message;
    if (line.n == 0 || line.p[0] == '{' || !quick_tag(line, &program, &message))
        return false;
    mc_logline env = {.form = LOGLINE_RFC3164, .program = program};
    for (size_t i = 0; i < w->n_mtas; i++) {
        const mc_warn_mta *m = &w->mtas[i];
        if (line_of(m, &env))
            return !m->has_prefix && candidate(m, message, 0) == NULL;
    }
    return false;
}

/* Whether a line the parser split may be one of the MTA's warnings: what
 * every MTA's turn in find_warning asks before any pattern, asked in the
 * order that settles most lines first.  A literal's first pair at the
 * message's start (start_pairs: any MTA's) may be anyone's: maybe.  Else
 * an MTA without a prefix finds no text, and one with a prefix needs the
 * line to be its own and, when its prefix reader has a gate, the gate's
 * yes (asked before the program's name is compared: on its own lines the
 * gate is what says no).  False: find_warning would find none.  The walk
 * over the MTAs cost ~190 instructions an Exim line, ~97 a Postfix line. */
static inline bool may_warn(const mc_warn_rules *w, const mc_logline *env)
{
    mc_str msg = env->message;
    if (msg.n == 0)
        return false;
    if (mtawarn_pair_at(w->start_pairs, msg, 0))
        return true;
    for (size_t k = 0; k < w->n_prefixed; k++) {
        const mc_warn_mta *m = &w->mtas[w->prefixed[k]];
        if (!line_may_be_of(m, env))
            continue;
        if (m->read_prefix && msg.n <= MC_WARN_READ_MAX && m->prefix_gate) {
            /* The shipped gate inlined, without its look at byte 0. */
            bool maybe = m->prefix_gate == exim_prefix_may_hold ? mtawarn_exim_gate(m->first_pairs, msg, false)
                                                                : m->prefix_gate(m->first_pairs, msg);
            if (!maybe)
                continue;
        }
        if (line_of(m, env))
            return true;
    }
    return false;
}

static bool find_warning(const mc_warn_rules *w, mc_parser *p, mc_str line, bool parsed, mc_buf *scratch,
                         mc_warning *out);

/* mtawarn_line past its inlined look (mtawarn.h). */
bool mtawarn_find(const mc_warn_rules *w, mc_parser *p, mc_str line, bool parsed, mc_buf *scratch, mc_warning *out)
{
    if (parsed && !may_warn(w, &p->env))
        return false;
    return find_warning(w, p, line, parsed, scratch, out);
}

/* mtawarn_line past its first look: every MTA's rules on the line. */
static bool find_warning(const mc_warn_rules *w, mc_parser *p, mc_str line, bool parsed, mc_buf *scratch,
                         mc_warning *out)
{
    /* A line the parser did not split: the quick look at its tag first
     * (may_warn has settled the parser's lines). */
    if (!parsed && passed_over(w, line))
        return false;
    const mc_logline *envp = &p->env;
    mc_logline own;
    if (!parsed) {
        mc_year_ctx years = p->years; /* the parser's year, not moved by this second look */
        /* A journald line needs the scratch; every other form is split in place. */
        if (!(line.n > 0 && line.p[0] == '{' ? logline_split_buf(line, &years, scratch, &own)
                                             : logline_split(line, &years, &own)))
            return false;
        envp = &own;
    }
    if (envp->message.n == 0)
        return false;
    for (size_t i = 0; i < w->n_mtas; i++) {
        const mc_warn_mta *m = &w->mtas[i];
        /* A prefix costs a pattern: only on the MTA's own lines that may
         * hold a text.  Its reader, where it has one, costs less than the
         * look for a literal. */
        mc_str msg = envp->message;
        if (m->has_prefix && !line_of(m, envp))
            continue;
        if (m->read_prefix && msg.n <= MC_WARN_READ_MAX) {
            /* Most lines: no literal may start where the prefix ends. */
            if (m->prefix_gate && !m->prefix_gate(m->first_pairs, msg))
                continue;
            size_t n = m->read_prefix(msg);
            msg = mc_str_make(msg.p + n, msg.n - n);
        } else if (m->has_prefix) {
            if (!may_hold_text(m, msg))
                continue;
            msg = after_prefix(m, &p->matcher, msg);
        }
        const mc_warn_rule *r = candidate(m, msg, 0);
        if (r == NULL || (!m->has_prefix && !line_of(m, envp)))
            continue;
        for (; r != NULL; r = candidate(m, msg, (size_t)(r - m->rules) + 1)) {
            if (!pattern_match(&r->pat, &p->matcher, msg))
                continue;
            mc_str text = pattern_group(&r->pat, &p->matcher, msg, G_TEXT);
            if (text.p == NULL)
                text = msg;
            text_shape(text, out->text, sizeof out->text);
            out->mta = m->mta;
            out->severity = r->severity;
            out->message = envp->message;
            return true;
        }
    }
    return false;
}

/* Finds and counts one warning line past mtawarn_count's inlined look. */
void mtawarn_count_found(const mc_warn_rules *w, mc_parser *p, mc_str line, bool parsed, mc_aggregate *agg)
{
    mc_buf scratch = {0}; /* allocated only by a journald line that holds a literal */
    mc_warning found;
    if (mtawarn_find(w, p, line, parsed, &scratch, &found))
        aggregate_warning(agg, &p->last_time, found.mta, found.severity, found.text, found.message);
    if (scratch.data) /* most lines: none made */
        mc_buf_free(&scratch);
}
