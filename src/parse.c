/*
 * parse.c - the second stage of the data flow: line -> event.
 *
 * All knowledge of how an MTA words its lines lives in rules/mta/<mta>.conf
 * (loaded by mtarules.c); this module only knows the mechanism: find the line's MTA, try its rules
 * in order (daemon check, then its literals, then the JIT pattern), and
 * copy the named groups into the event.  Nothing is allocated per line:
 * event strings are views into the line.
 */
#include "parse.h"

#include <stdlib.h>
#include <string.h>


static void lineread_init(mc_parser *p, const mc_parse_rules *rules);
static void fact_first_init(mc_parser *p, const mc_parse_rules *rules);
static void daemon_facts_init(mc_parser *p, const mc_parse_rules *rules);
static void fact_masks_init(mc_parser *p, const mc_parse_rules *rules);
static void fact_choice_init(mc_parser *p, const mc_parse_rules *rules);
static void fact_span_init(mc_fact_choice *c);

/* Per-stream state for rules: scratch, year inference, the literal bitmap. */
void parser_init(mc_parser *p, const mc_parse_rules *rules)
{
    memset(p, 0, sizeof *p);
    p->rules = rules;
    matcher_init(&p->matcher);
    year_ctx_init_now(&p->years);
    p->no_prefilter = rules->no_prefilter;
    for (size_t i = 0; i < rules->n_mtas; i++) {
        size_t w = rules->mtas[i].literal_set ? litset_words(rules->mtas[i].literal_set) : 1;
        if (w > p->found_words)
            p->found_words = w;
    }
    p->found = mc_xcalloc(p->found_words ? p->found_words : 1, sizeof *p->found);
    for (size_t i = 0; i < rules->n_mtas; i++)
        if (rules->mtas[i].rule_words > p->cand_words)
            p->cand_words = rules->mtas[i].rule_words;
    p->cand = mc_xcalloc(p->cand_words + 1, sizeof *p->cand);
    p->budget_ctx = pcre2_match_context_create(NULL);
    if (p->budget_ctx == NULL) {
        fprintf(stderr, "mailcodes: out of memory (PCRE2 match context)\n");
        exit(3);
    }
    if (p->matcher.jit_stack)
        pcre2_jit_stack_assign(p->budget_ctx, NULL, p->matcher.jit_stack);
    p->line_budget = MC_LINE_BUDGET;
    p->fact_readers = mc_xcalloc(rules->n_mtas ? rules->n_mtas : 1, sizeof *p->fact_readers);
    for (size_t i = 0; i < rules->n_mtas; i++) {
        const mc_mta_rules *m = &rules->mtas[i];
        p->fact_readers[i] = mc_xcalloc(m->n_facts ? m->n_facts : 1, sizeof **p->fact_readers);
        for (size_t j = 0; j < m->n_facts; j++)
            p->fact_readers[i][j] = m->facts[j].pat.source ? factread_for(m->facts[j].pat.source) : NULL;
    }
    fact_first_init(p, rules);
    daemon_facts_init(p, rules);
    fact_masks_init(p, rules);
    fact_choice_init(p, rules);
    lineread_init(p, rules);
}

/* Each scanned MTA's gate of its fact rules' first literals (find_fact_rule
 * needs every literal of a rule: a scan without any rule's first finds
 * none; on Exim every line asked each rule, ~85 instructions a line).
 * Only its mask is kept: it is asked with a scan (gate_open's found). */
static void fact_masks_init(mc_parser *p, const mc_parse_rules *rules)
{
    p->fact_gates = mc_xcalloc(rules->n_mtas ? rules->n_mtas : 1, sizeof *p->fact_gates);
    for (size_t i = 0; i < rules->n_mtas; i++) {
        const mc_mta_rules *m = &rules->mtas[i];
        bool all = m->use_set && m->literal_set != NULL && m->n_facts > 0;
        for (size_t j = 0; all && j < m->n_facts; j++)
            all = m->facts[j].n_literals > 0;
        if (!all)
            continue;
        mc_litgate *g = &p->fact_gates[i];
        g->words = litset_words(m->literal_set);
        g->mask = mc_xcalloc(g->words + 1, sizeof *g->mask);
        for (size_t j = 0; j < m->n_facts; j++)
            g->mask[m->facts[j].literal_ids[0] / 64] |= 1ULL << (m->facts[j].literal_ids[0] % 64);
        g->n = m->n_facts;
    }
}

/* Each scanned MTA's fact rule as the scan's bits choose it, when its
 * rules take any daemon's lines, need no any_literal and together name at
 * most MC_FACT_CHOICE_LITS literals: rule_applies on a scanned message
 * is then each of the rule's literals' bits, and find_fact_rule's answer
 * (the first rule that applies) a function of those bits, tabled here. */
static void fact_choice_init(mc_parser *p, const mc_parse_rules *rules)
{
    p->fact_choices = mc_xcalloc(rules->n_mtas ? rules->n_mtas : 1, sizeof *p->fact_choices);
    for (size_t i = 0; i < rules->n_mtas; i++) {
        const mc_mta_rules *m = &rules->mtas[i];
        mc_fact_choice *c = &p->fact_choices[i];
        bool fits = m->use_set && m->literal_set != NULL && m->n_facts > 0 && !p->no_prefilter;
        int ids[MC_FACT_CHOICE_LITS];
        size_t k = 0;
        for (size_t j = 0; fits && j < m->n_facts; j++) {
            const mc_line_rule *r = &m->facts[j];
            fits = r->daemon_mask == 0 && r->any.n == 0 && r->n_literals > 0;
            for (size_t l = 0; fits && l < r->n_literals; l++) {
                size_t at = 0;
                while (at < k && ids[at] != r->literal_ids[l])
                    at++;
                if (at == k && (fits = k < MC_FACT_CHOICE_LITS))
                    ids[k++] = r->literal_ids[l];
            }
        }
        if (!fits)
            continue;
        for (size_t j = 0; j < k; j++) {
            c->word[j] = (uint16_t)(ids[j] / 64);
            c->shift[j] = (uint8_t)(ids[j] % 64);
        }
        for (unsigned bits = 0; bits < 1u << k; bits++) {
            c->rule_of[bits] = -1;
            for (size_t j = 0; j < m->n_facts && c->rule_of[bits] < 0; j++) {
                bool all = true;
                for (size_t l = 0; l < m->facts[j].n_literals; l++) {
                    size_t at = 0;
                    while (ids[at] != m->facts[j].literal_ids[l])
                        at++;
                    all &= (bits >> at & 1) != 0;
                }
                if (all)
                    c->rule_of[bits] = (int8_t)j;
            }
        }
        c->k = k;
        fact_span_init(c);
    }
}

/* c's table by the span of its literals' bits, when they lie in one word
 * within MC_FACT_CHOICE_SPAN bits (else span_mask stays 0): entry v is
 * rule_of at the bits v holds at the literals' places. */
static void fact_span_init(mc_fact_choice *c)
{
    unsigned lo = c->shift[0], hi = c->shift[0];
    for (size_t j = 1; j < c->k; j++) {
        if (c->word[j] != c->word[0])
            return;
        lo = c->shift[j] < lo ? c->shift[j] : lo;
        hi = c->shift[j] > hi ? c->shift[j] : hi;
    }
    if (hi - lo >= MC_FACT_CHOICE_SPAN)
        return;
    unsigned width = hi - lo + 1;
    for (unsigned v = 0; v < 1u << width; v++) {
        unsigned bits = 0;
        for (size_t j = 0; j < c->k; j++)
            bits |= (v >> (c->shift[j] - lo) & 1) << j;
        c->rule_of_span[v] = c->rule_of[bits];
    }
    c->span_word = c->word[0];
    c->span_lo = (uint8_t)lo;
    c->span_mask = (uint8_t)((1u << width) - 1);
}

/* The fact rule find_fact_rule would choose on a message scanned into
 * found, by c's table, its index gathered bit by bit (the definition). */
static inline const mc_line_rule *fact_chosen_bits(const mc_mta_rules *m, const mc_fact_choice *c, const uint64_t *found)
{
    unsigned bits = 0;
    for (size_t j = 0; j < c->k; j++)
        bits |= (unsigned)(found[c->word[j]] >> c->shift[j] & 1) << j;
    int r = c->rule_of[bits];
    return r < 0 ? NULL : &m->facts[r];
}

/* fact_chosen_bits' answer, by the span table where c has one: one shift
 * and mask of the scan's word, where the loop cost ~25 instructions on
 * every Exim line. */
static inline const mc_line_rule *fact_chosen(const mc_mta_rules *m, const mc_fact_choice *c, const uint64_t *found)
{
    if (c->span_mask == 0)
        return fact_chosen_bits(m, c, found);
    int r = c->rule_of_span[found[c->span_word] >> c->span_lo & c->span_mask];
    return r < 0 ? NULL : &m->facts[r];
}

/* Whether fact rule r may apply to the lines of daemon (-1: none). */
static bool fact_for_daemon(const mc_line_rule *r, int daemon)
{
    return r->daemon_mask == 0 || (daemon >= 0 && (r->daemon_mask & (1ULL << daemon)));
}

/* Each daemon's fact rules (read_fact_rule walks only those: most
 * daemons have one or none of an MTA's half dozen). */
static void daemon_facts_init(mc_parser *p, const mc_parse_rules *rules)
{
    p->daemon_facts = mc_xcalloc(rules->n_mtas ? rules->n_mtas : 1, sizeof *p->daemon_facts);
    for (size_t i = 0; i < rules->n_mtas; i++) {
        const mc_mta_rules *m = &rules->mtas[i];
        p->daemon_facts[i] = mc_xcalloc(m->n_daemons + 1, sizeof **p->daemon_facts);
        for (size_t d = 0; d <= m->n_daemons; d++) {
            mc_fact_list *l = &p->daemon_facts[i][d];
            l->idx = mc_xcalloc(m->n_facts ? m->n_facts : 1, sizeof *l->idx);
            for (size_t j = 0; j < m->n_facts; j++)
                if (fact_for_daemon(&m->facts[j], (int)d - 1))
                    l->idx[l->n++] = j;
            l->next_first = mc_xcalloc(l->n ? l->n : 1, sizeof *l->next_first);
            for (size_t k = 0; k + 1 < l->n; k++) {
                const mc_line_rule *r = &m->facts[l->idx[k]], *next = &m->facts[l->idx[k + 1]];
                bool lacked = false;
                for (size_t q = 0; q < r->n_literals && !lacked; q++)
                    lacked = factread_lacks(next->pat.source, r->literals[q], r->literal_lens[q]);
                l->next_first[k] = lacked && p->fact_first[i][l->idx[k]] && p->fact_first[i][l->idx[k + 1]];
            }
            l->at = mc_xcalloc(l->n ? l->n : 1, sizeof *l->at);
            for (size_t k = 0; k < l->n; k++) {
                mc_fact_entry *e = &l->at[k];
                e->rule = &m->facts[l->idx[k]];
                e->read = p->fact_readers[i][l->idx[k]];
                e->first = p->fact_first[i][l->idx[k]];
                if (l->next_first[k])
                    e->pair = factread_pair_for(e->rule->pat.source, m->facts[l->idx[k + 1]].pat.source);
            }
        }
    }
}

/* The hand readers of the line rules' patterns and the gates of the MTAs'
 * prefixes (lineread.h), found by their exact text; none when the
 * prefilters are off (MAILCODES_NO_PREFILTER: every pattern runs, the
 * answer to compare with). */
static void lineread_init(mc_parser *p, const mc_parse_rules *rules)
{
    p->line_readers = mc_xcalloc(rules->n_mtas ? rules->n_mtas : 1, sizeof *p->line_readers);
    p->prefix_gates = mc_xcalloc(rules->n_mtas ? rules->n_mtas : 1, sizeof *p->prefix_gates);
    p->reply_readers = mc_xcalloc(rules->n_mtas ? rules->n_mtas : 1, sizeof *p->reply_readers);
    p->stage_readers = mc_xcalloc(rules->n_mtas ? rules->n_mtas : 1, sizeof *p->stage_readers);
    p->local_readers = mc_xcalloc(rules->n_mtas ? rules->n_mtas : 1, sizeof *p->local_readers);
    p->fact_unprefixed = mc_xcalloc(rules->n_mtas ? rules->n_mtas : 1, sizeof *p->fact_unprefixed);
    for (size_t i = 0; i < rules->n_mtas; i++) {
        const mc_mta_rules *m = &rules->mtas[i];
        p->fact_unprefixed[i] = mc_xcalloc(m->n_facts ? m->n_facts : 1, sizeof **p->fact_unprefixed);
        p->line_readers[i] = mc_xcalloc(m->n_rules ? m->n_rules : 1, sizeof **p->line_readers);
        p->reply_readers[i] = mc_xcalloc(m->n_replies ? m->n_replies : 1, sizeof **p->reply_readers);
        p->stage_readers[i] = mc_xcalloc(m->n_stages ? m->n_stages : 1, sizeof **p->stage_readers);
        if (p->no_prefilter)
            continue;
        for (size_t j = 0; j < m->n_rules; j++)
            p->line_readers[i][j] = lineread_for(m->rules[j].pat.source);
        for (size_t j = 0; j < m->n_replies; j++)
            p->reply_readers[i][j] = lineread_reply_for(m->replies[j].source);
        for (size_t j = 0; j < m->n_stages; j++)
            p->stage_readers[i][j] = lineread_stage_for(m->stages[j].pat.source);
        if (m->has_prefix)
            p->prefix_gates[i] = lineread_prefix_gate_for(m->prefix.source);
        for (size_t j = 0; j < m->n_facts; j++)
            p->fact_unprefixed[i][j] = p->fact_readers[i][j] != NULL && lineread_gate_spares_exim_ids(p->prefix_gates[i]) &&
                                       factread_exim_id_first(m->facts[j].pat.source);
        if (m->has_local)
            p->local_readers[i] = lineread_local_for(m->local.source);
    }
}

/* Which fact rules' readers may answer before their literals are looked
 * for: a reader whose pattern holds every literal of the rule (and the
 * rule no any-of gate), of an MTA with no prefix pattern (the literals
 * and the pattern then see the same message); none when the prefilters
 * are off (the answer to compare with). */
static void fact_first_init(mc_parser *p, const mc_parse_rules *rules)
{
    p->fact_first = mc_xcalloc(rules->n_mtas ? rules->n_mtas : 1, sizeof *p->fact_first);
    for (size_t i = 0; i < rules->n_mtas; i++) {
        const mc_mta_rules *m = &rules->mtas[i];
        p->fact_first[i] = mc_xcalloc(m->n_facts ? m->n_facts : 1, sizeof **p->fact_first);
        for (size_t j = 0; j < m->n_facts && !p->no_prefilter && !m->has_prefix; j++) {
            const mc_line_rule *r = &m->facts[j];
            bool holds = p->fact_readers[i][j] != NULL && r->any.n == 0;
            for (size_t k = 0; holds && k < r->n_literals; k++)
                holds = factread_holds(r->pat.source, r->literals[k], r->literal_lens[k]);
            p->fact_first[i][j] = holds;
        }
    }
}

/* Frees a per-MTA table of reader arrays (n MTAs) and clears it. */
static void free_readers(mc_lineread_fn ***t, size_t n)
{
    for (size_t i = 0; *t && i < n; i++)
        free((*t)[i]);
    free(*t);
    *t = NULL;
}

/* Frees what parser_init allocated. */
void parser_free(mc_parser *p)
{
    free(p->found);
    p->found = NULL;
    free(p->cand);
    p->cand = NULL;
    for (size_t i = 0; p->fact_readers && i < p->rules->n_mtas; i++)
        free(p->fact_readers[i]);
    free(p->fact_readers);
    p->fact_readers = NULL;
    for (size_t i = 0; p->fact_first && i < p->rules->n_mtas; i++)
        free(p->fact_first[i]);
    free(p->fact_first);
    p->fact_first = NULL;
    for (size_t i = 0; p->daemon_facts && i < p->rules->n_mtas; i++) {
        for (size_t d = 0; d <= p->rules->mtas[i].n_daemons; d++) {
            free(p->daemon_facts[i][d].idx);
            free(p->daemon_facts[i][d].next_first);
            free(p->daemon_facts[i][d].at);
        }
        free(p->daemon_facts[i]);
    }
    free(p->daemon_facts);
    p->daemon_facts = NULL;
    for (size_t i = 0; p->fact_gates && i < p->rules->n_mtas; i++)
        free(p->fact_gates[i].mask);
    free(p->fact_gates);
    p->fact_gates = NULL;
    free(p->fact_choices);
    p->fact_choices = NULL;
    free_readers(&p->line_readers, p->rules->n_mtas);
    free_readers(&p->reply_readers, p->rules->n_mtas);
    free_readers(&p->stage_readers, p->rules->n_mtas);
    free(p->prefix_gates);
    p->prefix_gates = NULL;
    for (size_t i = 0; p->fact_unprefixed && i < p->rules->n_mtas; i++)
        free(p->fact_unprefixed[i]);
    free(p->fact_unprefixed);
    p->fact_unprefixed = NULL;
    free(p->local_readers);
    p->local_readers = NULL;
    if (p->budget_ctx)
        pcre2_match_context_free(p->budget_ctx);
    p->budget_ctx = NULL;
    matcher_free(&p->matcher);
    mc_buf_free(&p->scratch);
}

/* ASCII case-insensitive equality of a view and a string of n bytes. */
static bool ascii_caseeq(mc_str a, const char *b, size_t n)
{
    if (a.n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char x = a.p[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

/* The stage an SMTP command (as the MTA words it) belongs to, or NULL. */
const char *parse_command_stage(const mc_parse_rules *pr, mc_str command)
{
    if (command.p == NULL)
        return NULL;
    for (size_t i = 0; i < pr->n_commands; i++)
        if (ascii_caseeq(command, pr->commands[i].key, pr->commands[i].key_len))
            return pr->commands[i].stage;
    return NULL;
}

/* Whether the view is exactly the word w. */
static bool str_eq_n(mc_str s, const char *w)
{
    size_t n = strlen(w);
    return s.n == n && memcmp(s.p, w, n) == 0;
}

/* Finds the MTA that wrote a line and the index of its daemon (or -1 when
 * the MTA is recognised by whole program name). */
static const mc_mta_rules *find_mta_in(const mc_parse_rules *pr, mc_str program, int *daemon)
{
    const char *slash = NULL;
    for (size_t i = program.n; i > 0; i--) {
        if (program.p[i - 1] == '/') {
            slash = program.p + i - 1;
            break;
        }
    }
    for (size_t i = 0; i < pr->n_mtas; i++) {
        const mc_mta_rules *m = &pr->mtas[i];
        for (size_t j = 0; j < m->n_programs; j++) {
            if (str_eq_n(program, m->programs[j])) {
                *daemon = -1;
                return m;
            }
        }
        if (slash != NULL) {
            mc_str last = mc_str_make(slash + 1, (size_t)(program.p + program.n - slash - 1));
            for (size_t d = 0; d < m->n_daemons; d++) {
                if (last.n == m->daemon_lens[d] && memcmp(last.p, m->daemons[d], last.n) == 0) {
                    *daemon = (int)d;
                    return m;
                }
            }
        }
    }
    return NULL;
}

/* The index of m (not NULL) among the parser's MTAs. */
static size_t mta_index(const mc_parser *p, const mc_mta_rules *m) { return (size_t)(m - p->rules->mtas); }

/* find_mta_in's answer and the MTA's index (*mi, when there is one),
 * from the parser's memo when the line's program name was seen before: a
 * log repeats a dozen names, and the search compares the name with every
 * program and daemon of every MTA.  The answer depends on the name's
 * bytes alone, compared in full. */
static const mc_mta_rules *find_mta(mc_parser *p, mc_str program, int *daemon, size_t *mi)
{
    if (program.p == NULL || program.n == 0 || program.n > MC_PROGRAM_MEMO_LEN) {
        const mc_mta_rules *m = find_mta_in(p->rules, program, daemon);
        *mi = m ? mta_index(p, m) : 0;
        return m;
    }
    const unsigned char *u = (const unsigned char *)program.p;
    size_t n = program.n;
    size_t slot = (n * 7u + u[n - 1] * 3u + u[n / 2]) & (MC_PROGRAM_MEMO - 1);
    mc_program_memo *e = &p->program_memo[slot];
    if (e->n == n && mc_same_bytes(e->name, program.p, n)) {
        *daemon = e->daemon;
        *mi = e->mi;
        return e->mta;
    }
    const mc_mta_rules *m = find_mta_in(p->rules, program, daemon);
    *mi = m ? mta_index(p, m) : 0;
    memcpy(e->name, program.p, n);
    e->n = n;
    e->mta = m;
    e->daemon = m ? *daemon : -1;
    e->mi = *mi;
    return m;
}

/* Runs a pattern within what is left of the line's work budget.  PCRE2 does
 * not say how much work a match took, only whether it hit the limit: a call
 * starts with a small limit and is rerun with twice the limit each time it
 * hits it, every limit hit charged to the line (so the charge is a lower
 * bound of the work, and the work at most twice the budget plus one small
 * limit per pattern).  Once the budget is spent every match fails. */
static bool budget_match(mc_parser *p, const mc_pattern *pat, mc_str s)
{
    if (s.p == NULL || p->budget_left == 0)
        return false;
    for (uint32_t limit = MC_FIRST_MATCH_LIMIT;; limit = limit > UINT32_MAX / 2 ? UINT32_MAX : limit * 2) {
        if (limit > p->budget_left)
            limit = p->budget_left;
        pcre2_set_match_limit(p->budget_ctx, limit);
        int rc = pattern_exec(pat, s, p->matcher.md, p->budget_ctx);
        if (rc != PCRE2_ERROR_MATCHLIMIT && rc != PCRE2_ERROR_JIT_STACKLIMIT &&
            rc != PCRE2_ERROR_DEPTHLIMIT && rc != PCRE2_ERROR_HEAPLIMIT)
            return rc > 0;
        bool resources = rc != PCRE2_ERROR_MATCHLIMIT;
        p->line_work += limit;
        p->budget_left = resources ? 0 : p->budget_left - limit;
        if (p->budget_left == 0)
            return false;
    }
}

/* The first of the markers msg holds (the ones before it it does not), or
 * n_markers when it holds none: one pass for all of them (most lines hold
 * none, and a lit_in per marker walked the message four times on
 * Postfix), the lit_in per marker without the prefilters. */
static size_t first_marker(const mc_parser *p, const mc_mta_rules *m, mc_str msg)
{
    if (m->marker_search != NULL && !p->no_prefilter)
        return firstlit_find(m->marker_search, msg);
    return firstlit_plain(m->markers, m->marker_lens, m->n_markers, msg);
}

/* A line no MTA claims still counts as unrecognised when it carries any
 * MTA's outcome marker: an unknown envelope is a format change too.  The
 * exception is a piece of a multi-line entry an MTA declares (fragment). */
static bool any_marker(mc_parser *p, mc_str line)
{
    const mc_parse_rules *pr = p->rules;
    bool marked = false;
    for (size_t i = 0; i < pr->n_mtas && !marked; i++)
        marked = first_marker(p, &pr->mtas[i], line) < pr->mtas[i].n_markers;
    for (size_t i = 0; marked && i < pr->n_mtas; i++)
        for (size_t j = 0; j < pr->mtas[i].n_fragments; j++)
            if (budget_match(p, &pr->mtas[i].fragments[j], line))
                return false;
    return marked;
}

/* Copies a code view into a fixed field, cut to fit. */
static void copy_code(char *dst, size_t cap, mc_str s)
{
    size_t n = s.p ? (s.n < cap - 1 ? s.n : cap - 1) : 0;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* The recipient's and the sender's domains, lower-cased ("" when none fits). */
static void set_domain(mc_event *ev)
{
    mc_address_domain(ev->recipient, ev->domain, sizeof ev->domain);
    mc_address_domain(ev->sender, ev->sender_domain, sizeof ev->sender_domain);
}

/* Whether a [@reply] or [@stage] pattern matches text, by its hand reader
 * read (or NULL) when the text is one the reader settles (as read_rule's),
 * else by the pattern; its groups code, enhanced and command into g.
 * Inlined at each of its three calls (out of line, Postfix's replies and
 * stages paid its call: pf20 +1.5 M). */
static inline __attribute__((always_inline)) bool read_or_match(mc_parser *p, mc_lineread_fn read, const mc_pattern *pat, mc_str text, mc_str g[G_COUNT])
{
    g[G_CODE] = g[G_ENHANCED] = g[G_COMMAND] = MC_STR_NULL;
    if (read != NULL && text.n <= MC_LINEREAD_MAX && p->budget_left >= MC_FIRST_MATCH_LIMIT) {
        mc_lineread_result got = read(text, g);
        if (got != LINEREAD_ASK)
            return got == LINEREAD_YES;
        g[G_CODE] = g[G_ENHANCED] = g[G_COMMAND] = MC_STR_NULL;
    }
    if (!budget_match(p, pat, text))
        return false;
    /* Only what the pattern has: the others stay unset. */
    static const mc_group wanted[] = {G_CODE, G_ENHANCED, G_COMMAND};
    for (size_t k = 0; k < sizeof wanted / sizeof wanted[0]; k++)
        if (pat->n_dup[wanted[k]] > 0)
            g[wanted[k]] = pattern_group(pat, &p->matcher, text, wanted[k]);
    return true;
}

/* Finds the reply code in a delivery's text with the MTA's [@reply] rules. */
static void find_reply(mc_parser *p, const mc_mta_rules *m, mc_str text, mc_event *ev)
{
    for (size_t i = 0; i < m->n_replies; i++) {
        mc_str g[G_COUNT];
        if (read_or_match(p, p->reply_readers[m - p->rules->mtas][i], &m->replies[i], text, g)) {
            mc_str code = g[G_CODE];
            copy_code(ev->code, sizeof ev->code, code);
            if (code.p)
                ev->reply = mc_str_make(code.p, (size_t)(text.p + text.n - code.p));
            copy_code(ev->enhanced, sizeof ev->enhanced, g[G_ENHANCED]);
            return;
        }
    }
}

/* Whether literal id was found in the line. */
static bool found_bit(const uint64_t *found, int id)
{
    return (found[id / 64] >> (id % 64)) & 1;
}

/* Whether a gate lets a pattern run on text: no gate, or the text holds
 * one of its literals.  found: the MTA's literal set's scan of a line that
 * holds the text, or NULL to look each up with lit_in. */
static bool gate_open(const mc_litgate *g, const uint64_t *found, mc_str text)
{
    if (g->n == 0)
        return true;
    if (found) {
        for (size_t w = 0; w < g->words; w++)
            if (found[w] & g->mask[w])
                return true;
        return false;
    }
    for (size_t i = 0; i < g->n; i++)
        if (lit_in(text, g->lits[i], g->lens[i]))
            return true;
    return false;
}

/* A text's kinds of byte (lit_bytes), taken when first asked for. */
typedef struct {
    uint64_t set;
    bool taken;
} text_bytes;

/* gate_open without a scan (found NULL), for one text whose gates are
 * looked up one after another: a literal with a byte the text lacks is
 * not searched for.  The text's bytes are taken at its second literal
 * (one lit_in costs about as much as taking them; a reply that names its
 * stage in the first pattern's words needs no more). */
static bool gate_open_bytes(const mc_litgate *g, mc_str text, text_bytes *tb, size_t *looked)
{
    if (g->n == 0)
        return true;
    for (size_t i = 0; i < g->n; i++) {
        if ((*looked)++ > 0) {
            if (!tb->taken) {
                tb->set = lit_bytes(text);
                tb->taken = true;
            }
            if (g->bytes[i] & ~tb->set)
                continue;
        }
        if (lit_in(text, g->lits[i], g->lens[i]))
            return true;
    }
    return false;
}

/* The longest reply the stage rules' one-pass search is asked about: some
 * of its gates' literals are lower-case words only (keys such as "th",
 * "ng", "to"), so a long failure text has many places to check, and its
 * literals looked up one by one (the byte set first) cost less there
 * (pf20: 96 bytes 609.96 M, 128 608.98 M, 192 609.85 M, no limit 617.46 M). */
#define STAGE_SEARCH_MAX 128

/* The stage a stage rule that matched names: its own, or its command's;
 * NULL for none. */
static inline const char *stage_named(const mc_parse_rules *pr, const mc_stage_rule *sr, const mc_str g[G_COUNT])
{
    return sr->stage ? sr->stage : parse_command_stage(pr, g[G_COMMAND]);
}

/* stage_from_text on a scanned line whose MTA has the stage index: the
 * stages whose gates are open (stage_row, parse.h) tried in rule order,
 * as the walk below tries them, without asking each closed gate. */
static const char *stage_from_index(mc_parser *p, const mc_mta_rules *m, mc_str text, const uint64_t *found)
{
    uint64_t open = m->stage_free;
    for (size_t w = 0; w < m->rule_key_words; w++)
        for (uint64_t b = found[w] & m->stage_keys[w]; b; b &= b - 1)
            open |= m->stage_row[w * 64 + (size_t)__builtin_ctzll(b)];
    for (; open; open &= open - 1) {
        size_t i = (size_t)__builtin_ctzll(open);
        const mc_stage_rule *sr = &m->stages[i];
        mc_str g[G_COUNT];
        if (!read_or_match(p, p->stage_readers[m - p->rules->mtas][i], &sr->pat, text, g))
            continue;
        const char *st = stage_named(p->rules, sr, g);
        if (st)
            return st;
    }
    return NULL;
}

/* The SMTP stage a reply text names (after RCPT TO, ...), by the MTA's stage patterns and stages.conf.
 * found: the literal set's scan of a line that holds the text, or NULL;
 * a pattern none of whose literals the line holds is not run (most
 * replies name no stage, and each pattern that fails costs a call). */
static const char *stage_from_text(mc_parser *p, const mc_mta_rules *m, mc_str text, const uint64_t *found)
{
    if (text.p == NULL)
        return NULL;
    if (found != NULL && m->stage_row != NULL)
        return stage_from_index(p, m, text, found);
    text_bytes tb = {0, false};
    size_t looked = 0;
    /* Without a scan, one pass over the text finds the first rule whose
     * gate is open (most replies hold none of the literals: a sent
     * delivery's goes straight to the 2xx rule); the rules after it are
     * gated one by one as before. */
    size_t start = 0;
    bool start_open = false;
    if (found == NULL && m->stage_search != NULL && !p->no_prefilter && text.n <= STAGE_SEARCH_MAX) {
        size_t k = firstlit_find(m->stage_search, text);
        start = k < m->n_stage_lits ? m->stage_lit_rule[k] : m->stage_gated;
        start_open = true;
    }
    for (size_t i = start; i < m->n_stages; i++) {
        const mc_stage_rule *sr = &m->stages[i];
        mc_str g[G_COUNT];
        bool open = (i == start && start_open) ||
                    (found ? gate_open(&sr->gate, found, text) : gate_open_bytes(&sr->gate, text, &tb, &looked));
        if (!open || !read_or_match(p, p->stage_readers[m - p->rules->mtas][i], &sr->pat, text, g))
            continue;
        const char *st = stage_named(p->rules, sr, g);
        if (st)
            return st;
    }
    return NULL;
}

/* Whether msg holds every literal of r, each looked up with lit_in but
 * those that are markers first_marker's answer (known, SIZE_MAX: none)
 * settles: absent when an earlier marker was the first found, present
 * when it was that one.  Postfix's [delivery] would look for the status=
 * its line was just found to hold. */
static bool literals_in(const mc_line_rule *r, mc_str msg, size_t known)
{
    for (size_t i = 0; i < r->n_literals; i++) {
        int k = r->literal_marker[i];
        bool there = known != SIZE_MAX && k >= 0 && (size_t)k <= known
                         ? (size_t)k == known
                         : lit_in(msg, r->literals[i], r->literal_lens[i]);
        if (!there)
            return false;
    }
    return true;
}

/* found: the literals of the MTA's set present in the line (one scan), or
 * NULL to look each literal up (literals_in, with known). */
static inline bool rule_applies(const mc_line_rule *r, int daemon, const uint64_t *found, mc_str msg, size_t known)
{
    if (r->daemon_mask != 0 && (daemon < 0 || !(r->daemon_mask & (1ULL << daemon))))
        return false;
    if (found == NULL)
        return literals_in(r, msg, known) && gate_open(&r->any, NULL, msg);
    for (size_t i = 0; i < r->n_literals; i++)
        if (!found_bit(found, r->literal_ids[i]))
            return false;
    return gate_open(&r->any, found, msg);
}

/* The rules a scanned line may match (rule_row, parse.h): the free
 * ones and the rows of the keys found, into cand (m->rule_words).  Rows
 * of two words (Exim's 77 rules) are ORed in two registers, without the
 * free rules' memcpy call and the inner loop. */
static void rule_candidates(const mc_mta_rules *m, const uint64_t *found, uint64_t *cand)
{
    size_t rw = m->rule_words, lw = m->rule_key_words;
    if (__builtin_expect(rw == 2, 1)) {
        uint64_t c0 = m->rule_free[0], c1 = m->rule_free[1];
        for (size_t w = 0; w < lw; w++)
            for (uint64_t b = found[w] & m->rule_keys[w]; b; b &= b - 1) {
                const uint64_t *row = m->rule_row + (w * 64 + (size_t)__builtin_ctzll(b)) * 2;
                c0 |= row[0];
                c1 |= row[1];
            }
        cand[0] = c0;
        cand[1] = c1;
        return;
    }
    memcpy(cand, m->rule_free, rw * sizeof *cand);
    for (size_t w = 0; w < lw; w++)
        for (uint64_t b = found[w] & m->rule_keys[w]; b; b &= b - 1) {
            const uint64_t *row = m->rule_row + (w * 64 + (size_t)__builtin_ctzll(b)) * rw;
            for (size_t k = 0; k < rw; k++)
                cand[k] |= row[k];
        }
}

/* The next rule to try: the first candidate left in cand (taken out of
 * it); n when none is left. */
static inline size_t next_rule(uint64_t *cand, size_t words, size_t n)
{
    for (size_t w = 0; w < words; w++)
        if (cand[w]) {
            size_t k = w * 64 + (size_t)__builtin_ctzll(cand[w]);
            cand[w] &= cand[w] - 1;
            return k;
        }
    return n;
}

/* A group of the rule that matched: read by its line reader (read), or
 * from the pattern's match data. */
static mc_str rule_group(const mc_parser *p, const mc_pattern *pat, mc_str msg, const mc_str *read, mc_group g)
{
    return read ? read[g] : pattern_group(pat, &p->matcher, msg, g);
}

/* Fills the event from a matched rule; read: the groups its line reader
 * read, or NULL (the pattern's match).  Sets every field on every path but
 * those parse_message sets or clears first: a new field is set here or
 * cleared there (test_event_poison fails otherwise). */
static inline __attribute__((always_inline)) void build_event(mc_parser *p, const mc_mta_rules *m,
                                                            const mc_line_rule *r, mc_str msg,
                        const uint64_t *found, const mc_str *read, mc_event *ev)
{
    const mc_parse_rules *pr = p->rules;
    const mc_pattern *pat = &r->pat;
#define GROUP(g) rule_group(p, pat, msg, read, (g))
    ev->mta = m->name;
    ev->direction = r->direction;
    ev->status = r->status ? mc_str_cstr(r->status) : GROUP(G_STATUS);
    ev->queue_id = GROUP(G_QUEUE_ID);
    ev->recipient = GROUP(G_RECIPIENT);
    ev->sender = GROUP(G_SENDER);
    ev->relay = GROUP(G_RELAY);
    ev->client = GROUP(G_CLIENT);
    ev->text = GROUP(G_TEXT);
    ev->dsn = GROUP(G_DSN);
    ev->delay = GROUP(G_DELAY);
    ev->delays = GROUP(G_DELAYS);
    ev->transfer = GROUP(G_TRANSFER);
    mc_str host = GROUP(G_HOST);
    if (host.p)
        ev->host = host;
    mc_str command = GROUP(G_COMMAND);
    copy_code(ev->code, sizeof ev->code, GROUP(G_CODE));
    copy_code(ev->enhanced, sizeof ev->enhanced, GROUP(G_ENHANCED));
    mc_str reply_group = GROUP(G_REPLY);
#undef GROUP

    /* Everything below runs other patterns, which reuse the match data:
     * the captures above are all taken first. */
    if (r->reply && ev->code[0] == '\0')
        find_reply(p, m, reply_group.p ? reply_group : ev->text, ev);
    /* The reply's own enhanced code is the remote's word; dsn= is Postfix's
     * rewrite of it (5.0.0 for "550 4.2.2"), so it only fills a gap. */
    if (ev->enhanced[0] == '\0')
        copy_code(ev->enhanced, sizeof ev->enhanced, ev->dsn);
    if (ev->code[0] == '\0' && ev->enhanced[0] != '\0') {
        const char *inferred = r->infer[ev->enhanced[0] - '0' < 6 ? ev->enhanced[0] - '0' : 0];
        if (inferred[0]) {
            memcpy(ev->code, inferred, 4);
            ev->inferred = true;
        }
    }
    if (ev->code[0] == '\0' && r->infer_code[0]) {
        memcpy(ev->code, r->infer_code, 4);
        ev->inferred = true;
        /* No code and no message logged: the MTA sent its default text. */
        if (ev->text.n == 0 && r->infer_text)
            ev->sent = mc_str_cstr(r->infer_text);
    }
    if (r->stage)
        ev->stage = r->stage;
    else if (command.p)
        ev->stage = parse_command_stage(pr, command);
    else
        ev->stage = stage_from_text(p, m, ev->text, found);
    set_domain(ev);
}

/* The verdict on a line whose budget ran out: skipped, whatever the
 * patterns that did finish said. */
static mc_parse_result within_budget(const mc_parser *p, mc_parse_result r)
{
    return p->budget_left == 0 ? PARSE_SKIPPED : r;
}

static mc_parse_result parse_budgeted(mc_parser *p, mc_str line, mc_event *ev);

/* The first fact rule for the line's daemon whose literals it holds, or
 * NULL.  found: the automaton's answer for msg, or NULL to lit_in (a
 * handful of rules, most for one daemon each: the daemon check settles
 * most lines before any literal is looked for). */
static const mc_line_rule *find_fact_rule(const mc_mta_rules *m, int daemon, const uint64_t *found,
                                          mc_str msg)
{
    for (size_t i = 0; i < m->n_facts; i++)
        if (rule_applies(&m->facts[i], daemon, found, msg, SIZE_MAX))
            return &m->facts[i];
    return NULL;
}

/* A decimal field of at most 18 digits, or -1. */
static int64_t decimal(mc_str s)
{
    if (s.p == NULL || s.n == 0 || s.n > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    return v;
}

/* The fact rule's groups on msg, by its hand reader when it has one and
 * the line is one the reader settles, else by its pattern.  The reader
 * takes only a line whose pattern would finish within the first match
 * limit (a short one, a budget not yet cut), so the budget is what the
 * pattern would have left.  False when the pattern does not match. */
static bool fact_fields(mc_parser *p, const mc_mta_rules *m, const mc_line_rule *r, mc_str msg,
                        mc_fact_fields *ff, bool *by_reader)
{
    mc_factread_fn read = p->fact_readers[m - p->rules->mtas][r - m->facts];
    memset(ff, 0, sizeof *ff);
    if (read && msg.n <= MC_FACTREAD_MAX && p->budget_left >= MC_FIRST_MATCH_LIMIT) {
        mc_factread_result got = read(msg, ff);
        *by_reader = true;
        if (got != FACTREAD_ASK)
            return got == FACTREAD_YES;
        memset(ff, 0, sizeof *ff);
    }
    *by_reader = false;
    if (!budget_match(p, &r->pat, msg))
        return false;
    mc_matcher *mt = &p->matcher;
    ff->queue_id = pattern_group(&r->pat, mt, msg, G_QUEUE_ID);
    ff->sender = pattern_group(&r->pat, mt, msg, G_SENDER);
    ff->client = pattern_group(&r->pat, mt, msg, G_CLIENT);
    ff->message_id = pattern_group(&r->pat, mt, msg, G_MESSAGE_ID);
    ff->size = pattern_group(&r->pat, mt, msg, G_SIZE);
    return true;
}

/* decimal of a size a fact reader read: 1 to 18 ASCII digits (the
 * readers' [0-9]{1,18}) or unset, within the message at msg.  Up to 8
 * digits with at least 8 bytes of msg ending where they end (every
 * shipped size: S= and size= follow an id) are read at once: the word
 * that ends with them, the bytes before them cleared, as one number of 8
 * digits (those bytes its leading zeros).  The byte loop cost ~60
 * instructions a 6-digit size, on every Exim arrival and qmgr from=. */
static inline int64_t decimal_read(mc_str s, mc_str msg)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (s.p == NULL || s.n == 0 || s.n > 8 || (size_t)(s.p + s.n - msg.p) < 8)
        return decimal(s);
    uint64_t x;
    memcpy(&x, s.p + s.n - 8, 8);
    /* Little-endian: the digits are the word's last (highest) s.n bytes;
     * the others are cleared before the classes are taken. */
    x &= ~(uint64_t)0 << (8 * (8 - s.n));
    x = (x & 0x0F0F0F0F0F0F0F0FULL) * 2561 >> 8;
    x = (x & 0x00FF00FF00FF00FFULL) * 6553601 >> 16;
    return (int64_t)((x & 0x0000FFFF0000FFFFULL) * 42949672960001ULL >> 32);
#else
    (void)msg;
    return decimal(s);
#endif
}

/* Fills the line's fact (p->fact_out) from the fields a fact rule read
 * on it (read: by its reader, whose size is digits; else by its pattern,
 * whose size group may hold anything).  Every field is written, without a
 * memset first: a 160-byte clear (rep stos) was the fact line's costliest
 * instruction by time. */
static inline void fact_fill(mc_parser *p, const mc_line_rule *r, const mc_logline *ll, mc_str host,
                             const mc_fact_fields *ff, bool read, mc_str msg)
{
    mc_fact *f = p->fact_out;
    f->kind = ff->queue_id.p != NULL ? r->fact : FACT_NONE;
    f->time = ll->time;
    f->host = host;
    f->program = ll->program;
    f->queue_id = ff->queue_id;
    f->sender = ff->sender;
    f->has_sender = ff->sender.p != NULL;
    f->client = ff->client;
    f->message_id = ff->message_id;
    f->size = read ? decimal_read(ff->size, msg) : decimal(ff->size);
}

/* Fills the line's fact when the fact rule's pattern matches the message. */
static void take_fact(mc_parser *p, const mc_mta_rules *m, const mc_line_rule *r, const mc_logline *ll,
                      mc_str host, mc_str msg)
{
    mc_fact_fields ff;
    bool by_reader;
    if (fact_fields(p, m, r, msg, &ff, &by_reader))
        fact_fill(p, r, ll, host, &ff, by_reader, msg);
}

/* take_fact before the MTA's prefix, for a rule whose reader may read
 * first (fact_unprefixed): the message as it stands, when the prefix's
 * gate would be asked (short enough, a budget not yet cut: as
 * prefix_may_match) and turn it away, i.e. when the reader takes it and
 * it does not start with "exim".  The prefix then matches empty and
 * take_fact would read the same message.  False: nothing filled, the
 * prefix and take_fact run as before (an Exim fact line asked the gate,
 * ~70 instructions with the call, only to learn it has no prefix). */
static bool take_unprefixed(mc_parser *p, mc_factread_fn read, const mc_line_rule *r, const mc_logline *ll)
{
    mc_str msg = ll->message;
    if (msg.n > MC_FACTREAD_MAX || msg.n > MC_LINEREAD_MAX || p->budget_left < MC_FIRST_MATCH_LIMIT ||
        (msg.n >= 4 && memcmp(msg.p, "exim", 4) == 0))
        return false;
    mc_fact_fields ff;
    memset(&ff, 0, sizeof ff);
    if (read(msg, &ff) != FACTREAD_YES)
        return false;
    fact_fill(p, r, ll, ll->host, &ff, true, msg);
    return true;
}

/* find_fact_rule and take_fact at once, for an MTA whose fact literals are
 * looked for one by one in the message its patterns read (no literal set,
 * no prefix).  A rule whose reader answers first (fact_first) is settled
 * by it: a line it reads holds the rule's literals, so the rule is the
 * one find_fact_rule chooses and *taken says the fact is filled; its
 * literals are looked for only when the reader says no and the answer
 * matters (a later rule may apply, or a line of no daemon, which counts
 * as the MTA's when a rule applies).  Any other rule, or a line the
 * readers do not take (too long, a cut budget, a reader's ASK), is
 * searched for as find_fact_rule does, and taken by take_fact. */
static const mc_line_rule *read_fact_rule(mc_parser *p, size_t mi, int daemon, const mc_logline *ll, bool *taken)
{
    const mc_fact_list *l = &p->daemon_facts[mi][daemon + 1];
    /* Most lines (Postfix's deliveries) are of a daemon with no fact rule. */
    if (l->n == 0)
        return NULL;
    mc_str msg = ll->message;
    bool can_read = msg.n <= MC_FACTREAD_MAX && p->budget_left >= MC_FIRST_MATCH_LIMIT;
    for (size_t k = 0; k < l->n; k++) {
        const mc_fact_entry *e = &l->at[k];
        const mc_line_rule *r = e->rule;
        if (can_read && e->first) {
            mc_fact_fields ff;
            mc_factread_result got;
            /* A line the next rule's reader takes lacks this rule's
             * literals: this rule does not apply and its reader says no,
             * so the next rule is the one find_fact_rule chooses (qmgr's
             * removed: no from= reader, no search for ", nrcpt="). */
            if (e->pair != NULL) {
                /* Both readers in one call, every field written on a yes. */
                bool second;
                got = e->pair(msg, &ff, &second);
                if (got == FACTREAD_YES && second) {
                    const mc_line_rule *next = l->at[k + 1].rule;
                    fact_fill(p, next, ll, ll->host, &ff, true, msg);
                    *taken = true;
                    return next;
                }
            } else {
                if (l->next_first[k]) {
                    const mc_fact_entry *next = &l->at[k + 1];
                    memset(&ff, 0, sizeof ff);
                    if (next->read(msg, &ff) == FACTREAD_YES) {
                        fact_fill(p, next->rule, ll, ll->host, &ff, true, msg);
                        *taken = true;
                        return next->rule;
                    }
                }
                memset(&ff, 0, sizeof ff);
                got = e->read(msg, &ff);
            }
            if (got == FACTREAD_YES) {
                fact_fill(p, r, ll, ll->host, &ff, true, msg);
                *taken = true;
                return r;
            }
            /* No fact either way: whether the rule applies decides only
             * which rules come next and a daemon-less line's count. */
            if (got == FACTREAD_NO && daemon >= 0 && k + 1 == l->n)
                return NULL;
        }
        if (rule_applies(r, daemon, NULL, msg, SIZE_MAX))
            return r;
    }
    return NULL;
}

/* One line to at most one event (PARSE_EVENT fills *ev). */
mc_parse_result parser_line(mc_parser *p, mc_str line, mc_event *ev) { return parser_line_fact(p, line, ev, &p->fact); }

/* parser_line with the line's fact written to *fact. */
mc_parse_result parser_line_fact(mc_parser *p, mc_str line, mc_event *ev, mc_fact *fact)
{
    p->fact_out = fact;
    p->budget_left = p->line_budget ? p->line_budget : 1;
    p->line_work = 0;
    return within_budget(p, parse_budgeted(p, line, ev));
}

/* The rule's pattern on msg by its line reader, when it has one and the
 * line is one the reader settles (groups in p->read_groups), else
 * LINEREAD_ASK: run the pattern.  As for the fact readers, only a line
 * whose pattern would finish within the first match limit. */
static mc_lineread_result read_rule(mc_parser *p, size_t mi, size_t ri, mc_str msg)
{
    mc_lineread_fn read = p->line_readers[mi][ri];
    if (read == NULL || msg.n > MC_LINEREAD_MAX || p->budget_left < MC_FIRST_MATCH_LIMIT)
        return LINEREAD_ASK;
    /* The groups unset, four (64 bytes) a memset: stores the compiler makes
     * plain, where one copy of the whole block became a "rep movs" of 40
     * words and a loop of single stores cost 8.5 M instructions per 20 MB
     * of Exim log. */
    _Static_assert(G_COUNT % 4 == 0, "read_rule clears the groups four at a time");
#pragma GCC unroll 8
    for (size_t i = 0; i < G_COUNT; i += 4)
        memset(&p->read_groups[i], 0, 4 * sizeof p->read_groups[i]);
    return read(msg, p->read_groups);
}

/* Whether m's prefix pattern may match more than the empty string on msg
 * (else it would strip nothing and name no host): its gate's answer on a
 * line it takes (as read_rule's), else yes. */
static bool prefix_may_match(const mc_parser *p, size_t mi, mc_str msg)
{
    mc_prefix_gate_fn gate = p->prefix_gates[mi];
    return gate == NULL || msg.n > MC_LINEREAD_MAX || p->budget_left < MC_FIRST_MATCH_LIMIT || gate(msg);
}

/* Whether m's local pattern matches msg: by its reader on a line it
 * settles (as read_rule's: short enough, a budget not yet cut), else by
 * the pattern (it ran on every delivery holding a local literal). */
static bool local_match(mc_parser *p, size_t mi, const mc_mta_rules *m, mc_str msg)
{
    mc_lineread_fn read = p->local_readers[mi];
    if (read != NULL && msg.n <= MC_LINEREAD_MAX && p->budget_left >= MC_FIRST_MATCH_LIMIT) {
        mc_str g[G_COUNT];
        mc_lineread_result got = read(msg, g);
        if (got != LINEREAD_ASK)
            return got == LINEREAD_YES;
    }
    return budget_match(p, &m->local, msg);
}

/* Rule ri of m (the mi-th MTA) on a message whose literals let it
 * through: false when its reader or pattern turns the message away, else
 * true with the answer in *res (the event built, or the rule's ignore). */
static inline __attribute__((always_inline)) bool try_rule(mc_parser *p, size_t mi, const mc_mta_rules *m,
                                                          size_t ri, int daemon,
                     const mc_logline *ll, mc_str host, mc_str msg, const uint64_t *found, mc_event *ev,
                     mc_parse_result *res)
{
    const mc_line_rule *r = &m->rules[ri];
    const mc_str *read = NULL;
    mc_lineread_result got = read_rule(p, mi, ri, msg);
    if (got == LINEREAD_NO || (got == LINEREAD_ASK && !budget_match(p, &r->pat, msg)))
        return false;
    if (got == LINEREAD_YES)
        read = p->read_groups;
    if (r->ignore) {
        *res = r->retry_skip ? PARSE_RETRY_SKIP : PARSE_NOTHING;
        return true;
    }
    /* build_event sets every other field on every path, code, enhanced
     * and the domains as strings, which every reader ends at their NUL
     * (test_event_poison): clearing the whole event (~864 bytes) was
     * the costliest line of parse. */
    ev->klass = CLASS_UNKNOWN;
    ev->conflict = ev->hard = ev->inferred = false;
    ev->reason = NULL;
    ev->reason_detail = ev->reply = ev->sent = MC_STR_NULL;
    ev->time = ll->time;
    ev->host = host;
    ev->program = ll->program;
    build_event(p, m, r, msg, found, read, ev);
    /* Our own mailboxes (rules' local_daemons, or the local pattern): the report's "local"
     * section; every output writes the contract's outbound.  The direction
     * is the rule's, which mtarules.c takes only as "outbound" or
     * "inbound": its first byte tells them apart, no strcmp call. */
    if (ev->direction[0] == 'o' &&
        ((daemon >= 0 && m->daemon_local[daemon]) ||
         (m->has_local &&
          gate_open(&m->local_gate, found, msg) &&
          local_match(p, mi, m, msg))))
        ev->direction = "local";
    *res = PARSE_EVENT;
    return true;
}

/* The line rules of MTA m (the mi-th) on one message (the envelope
 * removed); its markers are looked for in marked (the message, or more of
 * the line: marked_msg says which, so the line's views are not compared
 * again here). */
static mc_parse_result parse_message(mc_parser *p, const mc_mta_rules *m, size_t mi, int daemon,
                                     const mc_logline *ll, mc_str marked, bool marked_msg, mc_event *ev)
{
    /* A daemon name (postfix/smtp) says whose line it is; a line matched
     * by its form alone (Exim's "date time message", which any dated log
     * has) counts only when it carries one of the MTA's markers below. */
    if (daemon >= 0)
        p->mta_lines++;
    /* Every outcome line carries one of the MTA's markers (status=, said:,
     * =>, rejected ...): a line without one is settled by a few literal
     * searches, before any pattern runs.  Most lines of a busy log end here. */
    /* Few markers and rules (Postfix): one lit_in per literal is cheapest
     * (a scan by each literal's rarest byte cost 1.4x as much as memmem,
     * lit_in less than half of it).
     * Many (Exim): one automaton scan answers them all at once (use_set). */
    const uint64_t *found = NULL;
    bool has_marker = false;
    size_t known = SIZE_MAX; /* first_marker's answer on the message */
    if (!m->use_set || p->no_prefilter) {
        size_t first = first_marker(p, m, marked);
        has_marker = first < m->n_markers;
        if (marked_msg)
            known = first;
    } else {
        litset_scan(m->literal_set, marked, p->found);
        has_marker = m->n_markers > 0 && gate_open(&m->marker_gate, p->found, marked);
        found = p->found;
    }
    /* A message fact (client=, from=, removed) carries no marker.  Its
     * literals are looked for in the message: the scan above answers for
     * them only when it scanned the message itself (not a debug line). */
    bool scanned_msg = found && marked_msg;
    bool fact_taken = false;
    const mc_fact_choice *choice = &p->fact_choices[mi];
    const mc_line_rule *fact = found == NULL && !m->has_prefix ? read_fact_rule(p, mi, daemon, ll, &fact_taken)
                               : scanned_msg && choice->k > 0 ? fact_chosen(m, choice, found)
                               : scanned_msg && !gate_open(&p->fact_gates[mi], found, ll->message)
                                   ? NULL
                                   : find_fact_rule(m, daemon, scanned_msg ? found : NULL, ll->message);
    if (!has_marker && fact == NULL)
        return PARSE_NOTHING;
    if (daemon < 0)
        p->mta_lines++;
    /* A fact read_fact_rule took (an MTA with no prefix: the message is
     * the one its reader read) on a line without a marker is all the line
     * gives: the steps below would strip no prefix and take no fact. */
    if (fact_taken && !has_marker)
        return PARSE_NOTHING;
    /* An Exim fact line its reader takes as it stands has no prefix. */
    bool unprefixed = false;
    if (fact != NULL && !fact_taken) {
        size_t fi = (size_t)(fact - m->facts);
        unprefixed = p->fact_unprefixed[mi][fi] && take_unprefixed(p, p->fact_readers[mi][fi], fact, ll);
    }
    fact_taken |= unprefixed;
    /* The MTA's prefix (an embedded stamp, a syslog tag) is not the message. */
    mc_str msg = ll->message, host = ll->host;
    if (m->has_prefix && !unprefixed && prefix_may_match(p, mi, msg) && budget_match(p, &m->prefix, msg)) {
        mc_str whole = pattern_capture(&p->matcher, msg, 0);
        mc_str h = pattern_group(&m->prefix, &p->matcher, msg, G_HOST);
        if (h.p)
            host = h;
        if (whole.p == msg.p)
            msg = mc_str_make(msg.p + whole.n, msg.n - whole.n);
    }
    if (msg.p != ll->message.p || msg.n != ll->message.n)
        known = SIZE_MAX; /* the markers were looked for in more than msg */
    if (fact != NULL && !fact_taken)
        take_fact(p, m, fact, ll, host, msg);
    if (!has_marker)
        return PARSE_NOTHING;
    /* A scanned line tries only the rules its literals may let through,
     * in file order (rule_candidates); any other each rule in turn.  A
     * literal seen only in the stripped prefix lets the pattern run and
     * fail: slower, never wrong. */
    mc_parse_result res;
    if (found && m->rule_words) {
        rule_candidates(m, found, p->cand);
        for (size_t i; (i = next_rule(p->cand, m->rule_words, m->n_rules)) < m->n_rules;)
            if (rule_applies(&m->rules[i], daemon, found, msg, known) &&
                try_rule(p, mi, m, i, daemon, ll, host, msg, found, ev, &res))
                return res;
    } else {
        for (size_t i = 0; i < m->n_rules; i++)
            if (rule_applies(&m->rules[i], daemon, found, msg, known) &&
                try_rule(p, mi, m, i, daemon, ll, host, msg, found, ev, &res))
                return res;
    }
    return PARSE_UNRECOGNISED;
}

/* A line of an MTA's debug output (no envelope): the outcome it echoes, if
 * any, else nothing.  False when no MTA claims the line. */
static bool parse_debug(mc_parser *p, mc_str line, mc_event *ev, mc_parse_result *out)
{
    for (size_t i = 0; i < p->rules->n_mtas; i++) {
        const mc_mta_rules *m = &p->rules->mtas[i];
        for (size_t j = 0; j < m->n_debug; j++) {
            if (!budget_match(p, &m->debug[j], line))
                continue;
            mc_str whole = pattern_capture(&p->matcher, line, 0);
            size_t skip = whole.p ? (size_t)(whole.p - line.p) + whole.n : 0;
            mc_logline ll = {0};
            ll.time = p->last_time;
            ll.message = mc_str_make(line.p + skip, line.n - skip);
            /* The echoed line's marker may span the cut (" -> "). */
            mc_parse_result r = parse_message(p, m, i, -1, &ll, line, skip == 0, ev);
            *out = r == PARSE_UNRECOGNISED ? PARSE_NOTHING : r;
            return true;
        }
    }
    return false;
}

/* parser_line within the line's budget. */
static mc_parse_result parse_budgeted(mc_parser *p, mc_str line, mc_event *ev)
{
    p->fact_out->kind = FACT_NONE;
    p->env_line = MC_STR_NULL;
    /* Only a JSON line ('{') may be journald's, which must not become the
     * envelope: it is split aside and copied when it is not; every other line
     * is split straight into p->env, saving a copy of the split per line.
     * p->env is read only while env_line is this line (mtawarn_take_split). */
    mc_logline json_ll;
    mc_logline *ll = line.n > 0 && line.p[0] == '{' ? &json_ll : &p->env;
    if (!logline_split_buf(line, &p->years, &p->scratch, ll)) {
        mc_parse_result r;
        if (parse_debug(p, line, ev, &r))
            return r;
        return any_marker(p, line) ? PARSE_UNRECOGNISED : PARSE_NOTHING;
    }
    if (ll->time.valid)
        p->last_time = ll->time;
    if (ll->form != LOGLINE_JOURNAL) {
        if (ll != &p->env)
            p->env = *ll;
        p->env_line = line;
    }
    /* The reader validated the raw line, but a journald MESSAGE decoded from
     * a byte array may hold anything (a Latin-1 reply): patterns run without
     * UTF-8 checks, so such bytes become '?' in our own scratch copy. */
    if (ll->form == LOGLINE_JOURNAL && ll->message.p >= p->scratch.data &&
        ll->message.p + ll->message.n <= p->scratch.data + p->scratch.len)
        mc_utf8_sanitize((unsigned char *)p->scratch.data + (ll->message.p - p->scratch.data), ll->message.n);
    int daemon = -1;
    size_t mi;
    const mc_mta_rules *m = find_mta(p, ll->program, &daemon, &mi);
    if (m == NULL)
        return PARSE_NOTHING;
    return parse_message(p, m, mi, daemon, ll, ll->message, true, ev);
}
