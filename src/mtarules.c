/*
 * mtarules.c - loads how each MTA words its lines: rules/mta/<mta>.conf
 * (the programs and daemons, outcome markers, line rules with their
 * literals and PCRE2 patterns, reply and stage patterns) and
 * rules/stages.conf (SMTP command wording -> stage).  Compiles the
 * patterns and builds each MTA's literal set once, for parse.c to use on
 * every line.
 */
#include "parse.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"

/* A literal or marker may be written in double quotes to keep spaces at
 * its ends ("= -> "); the quotes are not part of it. */
static char *literal_value(const char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
        return mc_xstrndup(v + 1, n - 2);
    return mc_xstrdup(v);
}

/* Appends a literal line's value to a list; false (with FILE:LINE) when
 * it is empty. */
static bool add_literal(char ***list, size_t *n, const conf_file *cf, const conf_entry *e, char *err,
                        size_t errlen)
{
    *list = mc_xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = literal_value(e->value);
    if ((*list)[*n - 1][0] == '\0') {
        conf_error(err, errlen, cf->path, e->line, "empty %s", e->key);
        return false;
    }
    return true;
}

/* Frees a gate's literals and indexes. */
static void gate_free(mc_litgate *g)
{
    mc_free_words(g->lits, g->n);
    free(g->lens);
    free(g->bytes);
    free(g->ids);
    free(g->mask);
    memset(g, 0, sizeof *g);
}

/* Gives a list of literals their lengths and, when ls is scanned, their
 * ids in it (before litset_build; -1 without ls). */
static void index_literals(mc_litset *ls, char **lits, size_t n, int **ids, size_t **lens)
{
    *ids = mc_xcalloc(n + 1, sizeof **ids);
    *lens = mc_xcalloc(n + 1, sizeof **lens);
    for (size_t j = 0; j < n; j++) {
        (*ids)[j] = ls ? litset_add(ls, lits[j]) : -1;
        (*lens)[j] = strlen(lits[j]);
    }
}

/* The same for a gate's literals, and their byte values (lit_bytes). */
static void gate_index(mc_litgate *g, mc_litset *ls)
{
    index_literals(ls, g->lits, g->n, &g->ids, &g->lens);
    g->bytes = mc_xcalloc(g->n + 1, sizeof *g->bytes);
    for (size_t j = 0; j < g->n; j++)
        g->bytes[j] = lit_bytes(mc_str_make(g->lits[j], g->lens[j]));
}

/* Turns a gate's ids into a mask of ls's scan (after litset_build). */
static void gate_mask(mc_litgate *g, const int *ids, const mc_litset *ls)
{
    g->words = litset_words(ls);
    g->mask = mc_xcalloc(g->words + 1, sizeof *g->mask);
    for (size_t j = 0; j < g->n; j++)
        g->mask[ids[j] / 64] |= 1ULL << (ids[j] % 64);
}

/* A key of [@mta] that holds one pattern (prefix, local): compiled into
 * pat, a second one is an error. */
static bool single_pattern(const conf_file *cf, const conf_entry *e, mc_pattern *pat, bool *has, char *err,
                           size_t errlen)
{
    if (*has) {
        conf_error(err, errlen, cf->path, e->line, "[@mta] has a second %s", e->key);
        return false;
    }
    if (!pattern_compile(pat, e->value, 0, cf->path, e->line, err, errlen))
        return false;
    *has = true;
    return true;
}

/* [mta]: the programs, daemons and markers of one MTA. */
static bool load_mta_section(mc_mta_rules *m, const conf_file *cf, const conf_section *s,
                             char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        if (strcmp(e->key, "name") == 0) {
            free(m->name);
            m->name = mc_xstrdup(e->value);
        } else if (strcmp(e->key, "daemons") == 0) {
            size_t n;
            char **w = mc_split_words(e->value, " \t", &n);
            for (size_t j = 0; j < n; j++) {
                if (m->n_daemons == MC_MAX_DAEMONS) {
                    conf_error(err, errlen, cf->path, e->line, "more than %d daemons", MC_MAX_DAEMONS);
                    mc_free_words(w, n);
                    return false;
                }
                m->daemon_lens[m->n_daemons] = strlen(w[j]);
                m->daemons[m->n_daemons++] = mc_xstrdup(w[j]);
            }
            mc_free_words(w, n);
        } else if (strcmp(e->key, "local_daemons") == 0) {
            /* Daemons that deliver to this host's own mailboxes: the
             * report's "local" section (our faults: disk, permissions). */
            size_t n;
            char **w = mc_split_words(e->value, " \t", &n);
            for (size_t j = 0; j < n; j++) {
                size_t d = 0;
                while (d < m->n_daemons && strcmp(m->daemons[d], w[j]) != 0)
                    d++;
                if (d == m->n_daemons) {
                    conf_error(err, errlen, cf->path, e->line, "local daemon '%s' is not listed in daemons", w[j]);
                    mc_free_words(w, n);
                    return false;
                }
                m->daemon_local[d] = true;
            }
            mc_free_words(w, n);
        } else if (strcmp(e->key, "programs") == 0) {
            mc_free_words(m->programs, m->n_programs);
            m->programs = mc_split_words(e->value, " \t", &m->n_programs);
        } else if (strcmp(e->key, "marker") == 0) {
            m->markers = mc_xrealloc(m->markers, (m->n_markers + 1) * sizeof *m->markers);
            m->markers[m->n_markers++] = literal_value(e->value);
            if (m->markers[m->n_markers - 1][0] == '\0') {
                conf_error(err, errlen, cf->path, e->line, "empty marker");
                return false;
            }
        } else if (strcmp(e->key, "local_literal") == 0) {
            if (!add_literal(&m->local_gate.lits, &m->local_gate.n, cf, e, err, errlen))
                return false;
        } else if (strcmp(e->key, "prefix") == 0 || strcmp(e->key, "local") == 0) {
            bool prefix = e->key[0] == 'p';
            if (!single_pattern(cf, e, prefix ? &m->prefix : &m->local, prefix ? &m->has_prefix : &m->has_local,
                                err, errlen))
                return false;
        } else if (strcmp(e->key, "fragment") == 0 || strcmp(e->key, "debug") == 0) {
            bool debug = e->key[0] == 'd';
            mc_pattern **v = debug ? &m->debug : &m->fragments;
            size_t *n = debug ? &m->n_debug : &m->n_fragments;
            *v = mc_xrealloc(*v, (*n + 1) * sizeof **v);
            if (!pattern_compile(&(*v)[*n], e->value, 0, cf->path, e->line, err, errlen))
                return false;
            (*n)++;
        } else {
            conf_error(err, errlen, cf->path, e->line,
                       "unknown key '%s' in [@mta] (name, daemons, local_daemons, local, local_literal, programs, "
                       "marker, prefix, fragment, debug)",
                       e->key);
            return false;
        }
    }
    if (m->name == NULL) {
        conf_error(err, errlen, cf->path, s->line, "[@mta] needs a name");
        return false;
    }
    if (m->local_gate.n > 0 && !m->has_local) {
        conf_error(err, errlen, cf->path, s->line, "[@mta] has local_literal lines but no local pattern");
        return false;
    }
    return true;
}

/* [@reply]: where a pasted reply's code is, in this MTA's wording. */
static bool load_replies(mc_mta_rules *m, const conf_file *cf, const conf_section *s, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        if (strcmp(e->key, "pattern") != 0) {
            conf_error(err, errlen, cf->path, e->line, "[@reply] takes only 'pattern' lines");
            return false;
        }
        m->replies = mc_xrealloc(m->replies, (m->n_replies + 1) * sizeof *m->replies);
        if (!pattern_compile(&m->replies[m->n_replies], e->value, 0, cf->path, e->line, err, errlen))
            return false;
        m->n_replies++;
        if (m->replies[m->n_replies - 1].group[G_CODE] < 0) {
            conf_error(err, errlen, cf->path, e->line, "a reply pattern needs a (?<code>...) group");
            return false;
        }
    }
    return true;
}

/* [@stage]: patterns that find the SMTP stage in a reply. */
static bool load_stages(mc_mta_rules *m, const conf_file *cf, const conf_section *s, char *err,
                        size_t errlen)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        bool via_command = strcmp(e->key, "command") == 0;
        if (!via_command && !mc_stage_known(e->key, MC_STAGE_OF_EVENT)) {
            char known[256];
            mc_stage_list(MC_STAGE_OF_EVENT, known, sizeof known);
            conf_error(err, errlen, cf->path, e->line, "'%s' is not a stage (%s, or command)", e->key, known);
            return false;
        }
        m->stages = mc_xrealloc(m->stages, (m->n_stages + 1) * sizeof *m->stages);
        mc_stage_rule *sr = &m->stages[m->n_stages];
        memset(sr, 0, sizeof *sr);
        if (!pattern_compile(&sr->pat, e->value, 0, cf->path, e->line, err, errlen))
            return false;
        sr->stage = via_command ? NULL : mc_xstrdup(e->key);
        sr->gate.n = prefilter_literals_exact(e->value, &sr->gate.lits);
        m->n_stages++;
        if (via_command && sr->pat.group[G_COMMAND] < 0) {
            conf_error(err, errlen, cf->path, e->line,
                       "a 'command' stage rule needs a (?<command>...) group");
            return false;
        }
    }
    return true;
}

/* One line rule: daemons, literals, pattern and the fields it sets. */
static bool load_line_rule(mc_mta_rules *m, const conf_file *cf, const conf_section *s, char *err,
                           size_t errlen)
{
    m->rules = mc_xrealloc(m->rules, (m->n_rules + 1) * sizeof *m->rules);
    mc_line_rule *r = &m->rules[m->n_rules++];
    memset(r, 0, sizeof *r);
    r->name = mc_xstrdup(s->name);
    bool have_pattern = false;
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        const char *k = e->key;
        if (strcmp(k, "daemons") == 0) {
            size_t n;
            char **w = mc_split_words(e->value, " \t", &n);
            for (size_t j = 0; j < n; j++) {
                size_t d = 0;
                while (d < m->n_daemons && strcmp(m->daemons[d], w[j]) != 0)
                    d++;
                if (d == m->n_daemons) {
                    conf_error(err, errlen, cf->path, e->line,
                               "daemon '%s' is not listed in [@mta] daemons", w[j]);
                    mc_free_words(w, n);
                    return false;
                }
                r->daemon_mask |= 1ULL << d;
            }
            mc_free_words(w, n);
        } else if (strcmp(k, "literal") == 0 || strcmp(k, "any_literal") == 0) {
            bool any = k[0] == 'a';
            if (!add_literal(any ? &r->any.lits : &r->literals, any ? &r->any.n : &r->n_literals, cf, e, err,
                             errlen))
                return false;
        } else if (strcmp(k, "pattern") == 0) {
            if (have_pattern) {
                conf_error(err, errlen, cf->path, e->line, "[%s] has a second pattern", s->name);
                return false;
            }
            if (!pattern_compile(&r->pat, e->value, 0, cf->path, e->line, err, errlen))
                return false;
            have_pattern = true;
        } else if (strcmp(k, "direction") == 0) {
            if (strcmp(e->value, "outbound") != 0 && strcmp(e->value, "inbound") != 0) {
                conf_error(err, errlen, cf->path, e->line, "direction must be outbound or inbound");
                return false;
            }
            free(r->direction); /* a repeated key: the last one counts, as for name */
            r->direction = mc_xstrdup(e->value);
        } else if (strcmp(k, "status") == 0) {
            free(r->status);
            r->status = mc_xstrdup(e->value);
        } else if (strcmp(k, "stage") == 0) {
            if (!mc_stage_known(e->value, MC_STAGE_OF_EVENT)) {
                conf_error(err, errlen, cf->path, e->line, "'%s' is not a stage", e->value);
                return false;
            }
            free(r->stage);
            r->stage = mc_xstrdup(e->value);
        } else if (strncmp(k, "infer.", 6) == 0) {
            char d = k[6];
            if (!(d == '4' || d == '5') || k[7] != '\0' || strlen(e->value) != 3 ||
                e->value[0] != d || e->value[1] < '0' || e->value[1] > '9' || e->value[2] < '0' ||
                e->value[2] > '9') {
                conf_error(err, errlen, cf->path, e->line, "use infer.4 = 4xx or infer.5 = 5xx");
                return false;
            }
            memcpy(r->infer[d - '0'], e->value, 4);
        } else if (strcmp(k, "infer") == 0) {
            if (strlen(e->value) != 3 || e->value[0] < '2' || e->value[0] > '5' || e->value[1] < '0' ||
                e->value[1] > '9' || e->value[2] < '0' || e->value[2] > '9') {
                conf_error(err, errlen, cf->path, e->line, "infer needs a reply code such as 550");
                return false;
            }
            memcpy(r->infer_code, e->value, 4);
        } else if (strcmp(k, "infer_text") == 0) {
            free(r->infer_text);
            r->infer_text = mc_xstrdup(e->value);
        } else if (strcmp(k, "reply") == 0) {
            if (!conf_yes_no(cf->path, e, &r->reply, err, errlen))
                return false;
        } else if (strcmp(k, "ignore") == 0) {
            if (!conf_yes_no(cf->path, e, &r->ignore, err, errlen))
                return false;
        } else if (strcmp(k, "fact") == 0) {
            r->fact = mc_fact_kind_from_string(e->value);
            if (r->fact == FACT_NONE) {
                conf_error(err, errlen, cf->path, e->line,
                           "fact must be received, generated, queued, message-id or removed");
                return false;
            }
        } else if (strcmp(k, "tally") == 0) {
            if (strcmp(e->value, "retry-skip") != 0) {
                conf_error(err, errlen, cf->path, e->line, "tally must be retry-skip");
                return false;
            }
            r->retry_skip = r->ignore = true;
        } else {
            conf_error(err, errlen, cf->path, e->line, "unknown key '%s' in rule [%s]", k, s->name);
            return false;
        }
    }
    if (!have_pattern) {
        conf_error(err, errlen, cf->path, s->line, "rule [%s] has no pattern", s->name);
        return false;
    }
    if (r->fact != FACT_NONE) {
        if (r->n_literals == 0 || r->pat.group[G_QUEUE_ID] < 0 || r->ignore || r->direction || r->status) {
            conf_error(err, errlen, cf->path, s->line, "fact rule [%s] needs a literal and a (?<queue_id>...)"
                       " group, and takes no ignore, direction or status", s->name);
            return false;
        }
        /* Apart from the outcome rules: they never see it. */
        m->facts = mc_xrealloc(m->facts, (m->n_facts + 1) * sizeof *m->facts);
        m->facts[m->n_facts++] = *r;
        m->n_rules--;
        return true;
    }
    if (!r->ignore && r->direction == NULL) {
        conf_error(err, errlen, cf->path, s->line,
                   "rule [%s] needs a direction (outbound or inbound)", s->name);
        return false;
    }
    if (!r->ignore && r->status == NULL && r->pat.group[G_STATUS] < 0) {
        conf_error(err, errlen, cf->path, s->line,
                   "rule [%s] needs a status or a (?<status>...) group", s->name);
        return false;
    }
    return true;
}

/* Frees a list of line rules. */
static void free_line_rules(mc_line_rule *rules, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mc_line_rule *r = &rules[i];
        free(r->name);
        mc_free_words(r->literals, r->n_literals);
        free(r->literal_ids);
        free(r->literal_lens);
        free(r->literal_marker);
        gate_free(&r->any);
        pattern_free(&r->pat);
        free(r->direction);
        free(r->status);
        free(r->stage);
        free(r->infer_text);
    }
    free(rules);
}

/* Frees one MTA's rules. */
static void free_mta(mc_mta_rules *m)
{
    free(m->name);
    for (size_t i = 0; i < m->n_daemons; i++)
        free(m->daemons[i]);
    mc_free_words(m->programs, m->n_programs);
    mc_free_words(m->markers, m->n_markers);
    gate_free(&m->local_gate);
    free(m->marker_gate.mask);
    free(m->marker_ids);
    free(m->marker_lens);
    firstlit_free(m->marker_search);
    firstlit_free(m->stage_search);
    free(m->stage_lit_rule);
    litset_free(m->literal_set);
    free(m->rule_row);
    free(m->rule_free);
    free(m->rule_keys);
    free(m->stage_row);
    free(m->stage_keys);
    if (m->has_prefix)
        pattern_free(&m->prefix);
    if (m->has_local)
        pattern_free(&m->local);
    for (size_t i = 0; i < m->n_fragments; i++)
        pattern_free(&m->fragments[i]);
    free(m->fragments);
    for (size_t i = 0; i < m->n_debug; i++)
        pattern_free(&m->debug[i]);
    free(m->debug);
    for (size_t i = 0; i < m->n_replies; i++)
        pattern_free(&m->replies[i]);
    free(m->replies);
    for (size_t i = 0; i < m->n_stages; i++) {
        pattern_free(&m->stages[i].pat);
        free(m->stages[i].stage);
        gate_free(&m->stages[i].gate);
    }
    free(m->stages);
    free_line_rules(m->rules, m->n_rules);
    free_line_rules(m->facts, m->n_facts);
}

/* Which of m's markers each of r's literals is (-1: none): the parser
 * knows those answers from its marker search. */
static void mark_literals(const mc_mta_rules *m, mc_line_rule *r)
{
    r->literal_marker = mc_xcalloc(r->n_literals + 1, sizeof *r->literal_marker);
    for (size_t j = 0; j < r->n_literals; j++) {
        r->literal_marker[j] = -1;
        for (size_t k = 0; k < m->n_markers && r->literal_marker[j] < 0; k++)
            if (strcmp(r->literals[j], m->markers[k]) == 0)
                r->literal_marker[j] = (int)k;
    }
}

/* The one-pass search of the stage rules' gates (see parse.h), after
 * their gates are indexed. */
static void build_stage_search(mc_mta_rules *m)
{
    size_t n = 0;
    while (m->stage_gated < m->n_stages && m->stages[m->stage_gated].gate.n > 0)
        n += m->stages[m->stage_gated++].gate.n;
    char **lits = mc_xcalloc(n + 1, sizeof *lits);
    size_t *lens = mc_xcalloc(n + 1, sizeof *lens);
    m->stage_lit_rule = mc_xcalloc(n + 1, sizeof *m->stage_lit_rule);
    size_t k = 0;
    for (size_t i = 0; i < m->stage_gated; i++)
        for (size_t j = 0; j < m->stages[i].gate.n; j++, k++) {
            lits[k] = m->stages[i].gate.lits[j];
            lens[k] = m->stages[i].gate.lens[j];
            m->stage_lit_rule[k] = i;
        }
    m->n_stage_lits = n;
    m->stage_search = firstlit_new(lits, lens, n);
    free(lits);
    free(lens);
}

/* The rule index of a scanned set (see parse.h, rule_row): each rule
 * keyed by its longest literal (longer literals are rarer on most lines),
 * else by each of its any_literals, else free. */
static void build_rule_index(mc_mta_rules *m)
{
    size_t rw = (m->n_rules + 63) / 64, lw = litset_words(m->literal_set);
    m->rule_words = rw;
    m->rule_key_words = lw;
    m->rule_row = mc_xcalloc(litset_count(m->literal_set) * rw + 1, sizeof *m->rule_row);
    m->rule_free = mc_xcalloc(rw + 1, sizeof *m->rule_free);
    m->rule_keys = mc_xcalloc(lw + 1, sizeof *m->rule_keys);
    for (size_t i = 0; i < m->n_rules; i++) {
        const mc_line_rule *r = &m->rules[i];
        uint64_t bit = 1ULL << (i % 64);
        size_t key = 0;
        for (size_t j = 1; j < r->n_literals; j++)
            if (r->literal_lens[j] > r->literal_lens[key])
                key = j;
        const int *ids = r->n_literals > 0 ? &r->literal_ids[key] : r->any.ids;
        size_t n = r->n_literals > 0 ? 1 : r->any.n;
        if (n == 0)
            m->rule_free[i / 64] |= bit;
        for (size_t j = 0; j < n; j++) {
            m->rule_row[(size_t)ids[j] * rw + i / 64] |= bit;
            m->rule_keys[ids[j] / 64] |= 1ULL << (ids[j] % 64);
        }
    }
}

/* The stage rules' index of a scanned set (see parse.h, stage_row): each
 * stage filed under every literal of its gate, or free without one. */
static void build_stage_index(mc_mta_rules *m)
{
    if (m->n_stages == 0 || m->n_stages > 64)
        return;
    m->stage_row = mc_xcalloc(litset_count(m->literal_set) + 1, sizeof *m->stage_row);
    m->stage_keys = mc_xcalloc(m->rule_key_words + 1, sizeof *m->stage_keys);
    for (size_t i = 0; i < m->n_stages; i++) {
        const mc_litgate *g = &m->stages[i].gate;
        if (g->n == 0)
            m->stage_free |= 1ULL << i;
        for (size_t j = 0; j < g->n; j++) {
            m->stage_row[g->ids[j]] |= 1ULL << i;
            m->stage_keys[g->ids[j] / 64] |= 1ULL << (g->ids[j] % 64);
        }
    }
}

/* One exact-literal automaton per MTA over its markers and every rule's
 * literals, fact rules' and the gates' too: where the automaton runs, the
 * scan it makes for the markers also answers which fact rule a line may
 * be, and which gated patterns may match it. */
static void build_literal_set(mc_mta_rules *m)
{
    m->literal_set = litset_new_exact();
    /* Few markers and rules: parse.c looks each literal up on its own
     * (lit_in), and nothing reads the gates' ids. */
    m->use_set = m->n_markers > 4 || m->n_rules > 16;
    mc_litset *gates = m->use_set ? m->literal_set : NULL;
    index_literals(m->literal_set, m->markers, m->n_markers, &m->marker_ids, &m->marker_lens);
    gate_index(&m->local_gate, gates);
    for (size_t i = 0; i < m->n_rules; i++) {
        index_literals(m->literal_set, m->rules[i].literals, m->rules[i].n_literals, &m->rules[i].literal_ids,
                       &m->rules[i].literal_lens);
        gate_index(&m->rules[i].any, gates);
        mark_literals(m, &m->rules[i]);
    }
    for (size_t i = 0; i < m->n_facts; i++) {
        index_literals(m->literal_set, m->facts[i].literals, m->facts[i].n_literals, &m->facts[i].literal_ids,
                       &m->facts[i].literal_lens);
        gate_index(&m->facts[i].any, gates);
        mark_literals(m, &m->facts[i]);
    }
    for (size_t i = 0; i < m->n_stages; i++)
        gate_index(&m->stages[i].gate, gates);
    if (!m->use_set)
        build_stage_search(m);
    litset_build(m->literal_set);
    m->marker_search = firstlit_new(m->markers, m->marker_lens, m->n_markers);
    m->marker_gate.n = m->n_markers;
    gate_mask(&m->marker_gate, m->marker_ids, m->literal_set);
    if (gates == NULL)
        return;
    gate_mask(&m->local_gate, m->local_gate.ids, gates);
    for (size_t i = 0; i < m->n_rules; i++)
        gate_mask(&m->rules[i].any, m->rules[i].any.ids, gates);
    for (size_t i = 0; i < m->n_facts; i++)
        gate_mask(&m->facts[i].any, m->facts[i].any.ids, gates);
    for (size_t i = 0; i < m->n_stages; i++)
        gate_mask(&m->stages[i].gate, m->stages[i].gate.ids, gates);
    build_rule_index(m);
    build_stage_index(m);
}

/* Loads one rules/mta/<mta>.conf. */
static bool load_mta_file(mc_parse_rules *pr, const char *path, char *err, size_t errlen)
{
    conf_file *cf = conf_load(path, err, errlen);
    if (cf == NULL)
        return false;
    pr->mtas = mc_xrealloc(pr->mtas, (pr->n_mtas + 1) * sizeof *pr->mtas);
    mc_mta_rules *m = &pr->mtas[pr->n_mtas++];
    memset(m, 0, sizeof *m);
    bool ok = true;
    const conf_section *head = conf_find_section(cf, "@mta");
    if (head == NULL) {
        snprintf(err, errlen, "%s: no [@mta] section", path);
        ok = false;
    } else {
        ok = load_mta_section(m, cf, head, err, errlen);
    }
    for (size_t i = 0; ok && i < cf->n_sections; i++) {
        const conf_section *s = &cf->sections[i];
        if (strcmp(s->name, "@mta") == 0)
            continue;
        else if (strcmp(s->name, "@reply") == 0)
            ok = load_replies(m, cf, s, err, errlen);
        else if (strcmp(s->name, "@stage") == 0)
            ok = load_stages(m, cf, s, err, errlen);
        else if (strcmp(s->name, "@warnings") == 0)
            continue; /* the MTA's own warnings: mtawarn.c */
        else if (s->name[0] == '@') {
            conf_error(err, errlen, path, s->line, "unknown section [%s]", s->name);
            ok = false;
        } else
            ok = load_line_rule(m, cf, s, err, errlen);
    }
    if (ok)
        build_literal_set(m);
    conf_free(cf);
    return ok;
}

/* Loads rules/stages.conf: SMTP command wording -> stage. */
static bool load_commands(mc_parse_rules *pr, const char *dir, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/stages.conf", dir);
    conf_file *cf = conf_load(path, err, errlen);
    if (cf == NULL)
        return false;
    bool ok = true;
    const conf_section *s = conf_find_section(cf, "@commands");
    if (s == NULL) {
        snprintf(err, errlen, "%s: no [@commands] section", path);
        ok = false;
    }
    for (size_t i = 0; ok && i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        if (!mc_stage_known(e->value, MC_STAGE_OF_EVENT)) {
            conf_error(err, errlen, path, e->line, "'%s' is not a stage", e->value);
            ok = false;
            break;
        }
        pr->commands = mc_xrealloc(pr->commands, (pr->n_commands + 1) * sizeof *pr->commands);
        pr->commands[pr->n_commands].key = mc_xstrdup(e->key);
        pr->commands[pr->n_commands].key_len = strlen(e->key);
        pr->commands[pr->n_commands].stage = mc_xstrdup(e->value);
        pr->n_commands++;
    }
    conf_free(cf);
    return ok;
}

/* Loads stages.conf and every MTA file; false with FILE:LINE in err. */
bool parse_rules_load(mc_parse_rules *pr, const char *dir, const char *const *mta_files,
                      size_t n_files, bool prefilter, char *err, size_t errlen)
{
    memset(pr, 0, sizeof *pr);
    pr->no_prefilter = !prefilter;
    bool ok = load_commands(pr, dir, err, errlen);
    for (size_t i = 0; ok && i < n_files; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, mta_files[i]);
        ok = load_mta_file(pr, path, err, errlen);
    }
    if (!ok)
        parse_rules_free(pr);
    return ok;
}

/* Frees everything parse_rules_load built. */
void parse_rules_free(mc_parse_rules *pr)
{
    for (size_t i = 0; i < pr->n_mtas; i++)
        free_mta(&pr->mtas[i]);
    free(pr->mtas);
    for (size_t i = 0; i < pr->n_commands; i++) {
        free(pr->commands[i].key);
        free(pr->commands[i].stage);
    }
    free(pr->commands);
    memset(pr, 0, sizeof *pr);
}
