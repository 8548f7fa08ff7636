/*
 * parse.c - the second stage of the data flow: line -> event.
 *
 * All knowledge of how an MTA words its lines lives in rules/<mta>.conf;
 * this module only knows the mechanism: find the line's MTA, try its rules
 * in order (daemon check, then memmem literals, then the JIT pattern), and
 * copy the named groups into the event.  Nothing is allocated per line:
 * event strings are views into the line.
 */
#include "parse.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"

/* ---- loading ---------------------------------------------------------- */

/* A literal or marker may be written in double quotes to keep spaces at
 * its ends ("= -> "); the quotes are not part of it. */
static char *literal_value(const char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
        return mc_xstrndup(v + 1, n - 2);
    return mc_xstrdup(v);
}

static bool is_valid_stage(const char *s)
{
    static const char *const stages[] = {"connect", "greeting", "helo", "mail", "rcpt",
                                         "data", "end-of-data", "other"};
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
        if (strcmp(s, stages[i]) == 0)
            return true;
    return false;
}

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
                    snprintf(err, errlen, "%s:%d: more than %d daemons", cf->path, e->line, MC_MAX_DAEMONS);
                    mc_free_words(w, n);
                    return false;
                }
                m->daemons[m->n_daemons++] = mc_xstrdup(w[j]);
            }
            mc_free_words(w, n);
        } else if (strcmp(e->key, "programs") == 0) {
            mc_free_words(m->programs, m->n_programs);
            m->programs = mc_split_words(e->value, " \t", &m->n_programs);
        } else if (strcmp(e->key, "marker") == 0) {
            m->markers = mc_xrealloc(m->markers, (m->n_markers + 1) * sizeof *m->markers);
            m->markers[m->n_markers++] = literal_value(e->value);
            if (m->markers[m->n_markers - 1][0] == '\0') {
                snprintf(err, errlen, "%s:%d: empty marker", cf->path, e->line);
                return false;
            }
        } else if (strcmp(e->key, "prefix") == 0) {
            if (m->has_prefix) {
                snprintf(err, errlen, "%s:%d: [@mta] has a second prefix", cf->path, e->line);
                return false;
            }
            if (!pattern_compile(&m->prefix, e->value, 0, cf->path, e->line, err, errlen))
                return false;
            m->has_prefix = true;
        } else if (strcmp(e->key, "fragment") == 0) {
            m->fragments = mc_xrealloc(m->fragments, (m->n_fragments + 1) * sizeof *m->fragments);
            if (!pattern_compile(&m->fragments[m->n_fragments], e->value, 0, cf->path, e->line, err,
                                 errlen))
                return false;
            m->n_fragments++;
        } else {
            snprintf(err, errlen,
                     "%s:%d: unknown key '%s' in [@mta] (name, daemons, programs, marker, prefix, fragment)",
                     cf->path, e->line, e->key);
            return false;
        }
    }
    if (m->name == NULL) {
        snprintf(err, errlen, "%s:%d: [@mta] needs a name", cf->path, s->line);
        return false;
    }
    return true;
}

static bool load_replies(mc_mta_rules *m, const conf_file *cf, const conf_section *s, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        if (strcmp(e->key, "pattern") != 0) {
            snprintf(err, errlen, "%s:%d: [@reply] takes only 'pattern' lines", cf->path, e->line);
            return false;
        }
        m->replies = mc_xrealloc(m->replies, (m->n_replies + 1) * sizeof *m->replies);
        if (!pattern_compile(&m->replies[m->n_replies], e->value, 0, cf->path, e->line, err, errlen))
            return false;
        m->n_replies++;
        if (m->replies[m->n_replies - 1].group[G_CODE] < 0) {
            snprintf(err, errlen, "%s:%d: a reply pattern needs a (?<code>...) group", cf->path, e->line);
            return false;
        }
    }
    return true;
}

static bool load_stages(mc_mta_rules *m, const conf_file *cf, const conf_section *s, char *err,
                        size_t errlen)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        const conf_entry *e = &s->entries[i];
        bool via_command = strcmp(e->key, "command") == 0;
        if (!via_command && !is_valid_stage(e->key)) {
            snprintf(err, errlen, "%s:%d: '%s' is not a stage (connect greeting helo mail rcpt data end-of-data other, or command)",
                     cf->path, e->line, e->key);
            return false;
        }
        m->stages = mc_xrealloc(m->stages, (m->n_stages + 1) * sizeof *m->stages);
        mc_stage_rule *sr = &m->stages[m->n_stages];
        if (!pattern_compile(&sr->pat, e->value, 0, cf->path, e->line, err, errlen))
            return false;
        sr->stage = via_command ? NULL : mc_xstrdup(e->key);
        m->n_stages++;
        if (via_command && sr->pat.group[G_COMMAND] < 0) {
            snprintf(err, errlen, "%s:%d: a 'command' stage rule needs a (?<command>...) group",
                     cf->path, e->line);
            return false;
        }
    }
    return true;
}

static bool yes_no(const conf_entry *e, const char *path, bool *out, char *err, size_t errlen)
{
    if (strcmp(e->value, "yes") == 0)
        *out = true;
    else if (strcmp(e->value, "no") == 0)
        *out = false;
    else {
        snprintf(err, errlen, "%s:%d: %s must be yes or no", path, e->line, e->key);
        return false;
    }
    return true;
}

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
                    snprintf(err, errlen, "%s:%d: daemon '%s' is not listed in [@mta] daemons",
                             cf->path, e->line, w[j]);
                    mc_free_words(w, n);
                    return false;
                }
                r->daemon_mask |= 1ULL << d;
            }
            mc_free_words(w, n);
        } else if (strcmp(k, "literal") == 0) {
            r->literals = mc_xrealloc(r->literals, (r->n_literals + 1) * sizeof *r->literals);
            r->literals[r->n_literals++] = literal_value(e->value);
            if (r->literals[r->n_literals - 1][0] == '\0') {
                snprintf(err, errlen, "%s:%d: empty literal", cf->path, e->line);
                return false;
            }
        } else if (strcmp(k, "pattern") == 0) {
            if (have_pattern) {
                snprintf(err, errlen, "%s:%d: [%s] has a second pattern", cf->path, e->line, s->name);
                return false;
            }
            if (!pattern_compile(&r->pat, e->value, 0, cf->path, e->line, err, errlen))
                return false;
            have_pattern = true;
        } else if (strcmp(k, "direction") == 0) {
            if (strcmp(e->value, "outbound") != 0 && strcmp(e->value, "inbound") != 0) {
                snprintf(err, errlen, "%s:%d: direction must be outbound or inbound", cf->path, e->line);
                return false;
            }
            r->direction = mc_xstrdup(e->value);
        } else if (strcmp(k, "status") == 0) {
            r->status = mc_xstrdup(e->value);
        } else if (strcmp(k, "stage") == 0) {
            if (!is_valid_stage(e->value)) {
                snprintf(err, errlen, "%s:%d: '%s' is not a stage", cf->path, e->line, e->value);
                return false;
            }
            r->stage = mc_xstrdup(e->value);
        } else if (strncmp(k, "infer.", 6) == 0) {
            char d = k[6];
            if (!(d == '4' || d == '5') || k[7] != '\0' || strlen(e->value) != 3 ||
                e->value[0] != d || e->value[1] < '0' || e->value[1] > '9' || e->value[2] < '0' ||
                e->value[2] > '9') {
                snprintf(err, errlen, "%s:%d: use infer.4 = 4xx or infer.5 = 5xx", cf->path, e->line);
                return false;
            }
            memcpy(r->infer[d - '0'], e->value, 4);
        } else if (strcmp(k, "infer") == 0) {
            if (strlen(e->value) != 3 || e->value[0] < '2' || e->value[0] > '5' || e->value[1] < '0' ||
                e->value[1] > '9' || e->value[2] < '0' || e->value[2] > '9') {
                snprintf(err, errlen, "%s:%d: infer needs a reply code such as 550", cf->path, e->line);
                return false;
            }
            memcpy(r->infer_code, e->value, 4);
        } else if (strcmp(k, "reply") == 0) {
            if (!yes_no(e, cf->path, &r->reply, err, errlen))
                return false;
        } else if (strcmp(k, "ignore") == 0) {
            if (!yes_no(e, cf->path, &r->ignore, err, errlen))
                return false;
        } else if (strcmp(k, "tally") == 0) {
            if (strcmp(e->value, "retry-skip") != 0) {
                snprintf(err, errlen, "%s:%d: tally must be retry-skip", cf->path, e->line);
                return false;
            }
            r->retry_skip = r->ignore = true;
        } else {
            snprintf(err, errlen, "%s:%d: unknown key '%s' in rule [%s]", cf->path, e->line, k, s->name);
            return false;
        }
    }
    if (!have_pattern) {
        snprintf(err, errlen, "%s:%d: rule [%s] has no pattern", cf->path, s->line, s->name);
        return false;
    }
    if (!r->ignore && r->direction == NULL) {
        snprintf(err, errlen, "%s:%d: rule [%s] needs a direction (outbound or inbound)", cf->path,
                 s->line, s->name);
        return false;
    }
    if (!r->ignore && r->status == NULL && r->pat.group[G_STATUS] < 0) {
        snprintf(err, errlen, "%s:%d: rule [%s] needs a status or a (?<status>...) group", cf->path,
                 s->line, s->name);
        return false;
    }
    return true;
}

static void free_mta(mc_mta_rules *m)
{
    free(m->name);
    for (size_t i = 0; i < m->n_daemons; i++)
        free(m->daemons[i]);
    mc_free_words(m->programs, m->n_programs);
    mc_free_words(m->markers, m->n_markers);
    free(m->marker_ids);
    litset_free(m->literal_set);
    if (m->has_prefix)
        pattern_free(&m->prefix);
    for (size_t i = 0; i < m->n_fragments; i++)
        pattern_free(&m->fragments[i]);
    free(m->fragments);
    for (size_t i = 0; i < m->n_replies; i++)
        pattern_free(&m->replies[i]);
    free(m->replies);
    for (size_t i = 0; i < m->n_stages; i++) {
        pattern_free(&m->stages[i].pat);
        free(m->stages[i].stage);
    }
    free(m->stages);
    for (size_t i = 0; i < m->n_rules; i++) {
        mc_line_rule *r = &m->rules[i];
        free(r->name);
        mc_free_words(r->literals, r->n_literals);
        free(r->literal_ids);
        pattern_free(&r->pat);
        free(r->direction);
        free(r->status);
        free(r->stage);
    }
    free(m->rules);
}

static void build_literal_set(mc_mta_rules *m)
{
    m->literal_set = litset_new_exact();
    m->marker_ids = mc_xcalloc(m->n_markers + 1, sizeof *m->marker_ids);
    for (size_t i = 0; i < m->n_markers; i++)
        m->marker_ids[i] = litset_add(m->literal_set, m->markers[i]);
    for (size_t i = 0; i < m->n_rules; i++) {
        mc_line_rule *r = &m->rules[i];
        r->literal_ids = mc_xcalloc(r->n_literals + 1, sizeof *r->literal_ids);
        for (size_t j = 0; j < r->n_literals; j++)
            r->literal_ids[j] = litset_add(m->literal_set, r->literals[j]);
    }
    litset_build(m->literal_set);
}

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
        else if (s->name[0] == '@') {
            snprintf(err, errlen, "%s:%d: unknown section [%s]", path, s->line, s->name);
            ok = false;
        } else
            ok = load_line_rule(m, cf, s, err, errlen);
    }
    if (ok)
        build_literal_set(m);
    conf_free(cf);
    return ok;
}

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
        if (!is_valid_stage(e->value)) {
            snprintf(err, errlen, "%s:%d: '%s' is not a stage", path, e->line, e->value);
            ok = false;
            break;
        }
        pr->commands = mc_xrealloc(pr->commands, (pr->n_commands + 1) * sizeof *pr->commands);
        pr->commands[pr->n_commands].key = mc_xstrdup(e->key);
        pr->commands[pr->n_commands].stage = mc_xstrdup(e->value);
        pr->n_commands++;
    }
    conf_free(cf);
    return ok;
}

bool parse_rules_load(mc_parse_rules *pr, const char *dir, const char *const *mta_files,
                      size_t n_files, char *err, size_t errlen)
{
    memset(pr, 0, sizeof *pr);
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

/* ---- matching --------------------------------------------------------- */

void parser_init(mc_parser *p, const mc_parse_rules *rules)
{
    memset(p, 0, sizeof *p);
    p->rules = rules;
    matcher_init(&p->matcher);
    year_ctx_init_now(&p->years);
    p->no_prefilter = prefilter_disabled();
    for (size_t i = 0; i < rules->n_mtas; i++) {
        size_t w = rules->mtas[i].literal_set ? litset_words(rules->mtas[i].literal_set) : 1;
        if (w > p->found_words)
            p->found_words = w;
    }
    p->found = mc_xcalloc(p->found_words ? p->found_words : 1, sizeof *p->found);
}

void parser_free(mc_parser *p)
{
    free(p->found);
    p->found = NULL;
    matcher_free(&p->matcher);
    mc_buf_free(&p->scratch);
}

static bool ascii_caseeq(mc_str a, const char *b)
{
    size_t n = strlen(b);
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

const char *parse_command_stage(const mc_parse_rules *pr, mc_str command)
{
    if (command.p == NULL)
        return NULL;
    for (size_t i = 0; i < pr->n_commands; i++)
        if (ascii_caseeq(command, pr->commands[i].key))
            return pr->commands[i].stage;
    return NULL;
}

static bool str_eq_n(mc_str s, const char *w)
{
    size_t n = strlen(w);
    return s.n == n && memcmp(s.p, w, n) == 0;
}

/* Finds the MTA that wrote a line and the index of its daemon (or -1 when
 * the MTA is recognised by whole program name). */
static const mc_mta_rules *find_mta(const mc_parse_rules *pr, mc_str program, int *daemon)
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
                if (str_eq_n(last, m->daemons[d])) {
                    *daemon = (int)d;
                    return m;
                }
            }
        }
    }
    return NULL;
}

static bool has_marker_in(char *const *markers, size_t n, mc_str msg)
{
    for (size_t i = 0; i < n; i++)
        if (memmem(msg.p, msg.n, markers[i], strlen(markers[i])) != NULL)
            return true;
    return false;
}

/* A line no MTA claims still counts as unrecognised when it carries any
 * MTA's outcome marker: an unknown envelope is a format change too.  The
 * exception is a piece of a multi-line entry an MTA declares (fragment). */
static bool any_marker(const mc_parse_rules *pr, mc_matcher *mt, mc_str line)
{
    bool marked = false;
    for (size_t i = 0; i < pr->n_mtas && !marked; i++)
        marked = has_marker_in(pr->mtas[i].markers, pr->mtas[i].n_markers, line);
    for (size_t i = 0; marked && i < pr->n_mtas; i++)
        for (size_t j = 0; j < pr->mtas[i].n_fragments; j++)
            if (pattern_match(&pr->mtas[i].fragments[j], mt, line))
                return false;
    return marked;
}

static void copy_code(char *dst, size_t cap, mc_str s)
{
    size_t n = s.p ? (s.n < cap - 1 ? s.n : cap - 1) : 0;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

static void set_domain(mc_event *ev)
{
    ev->domain[0] = '\0';
    if (ev->recipient.p == NULL)
        return;
    const char *at = NULL;
    for (size_t i = ev->recipient.n; i > 0; i--)
        if (ev->recipient.p[i - 1] == '@') {
            at = ev->recipient.p + i - 1;
            break;
        }
    if (at == NULL)
        return;
    size_t n = (size_t)(ev->recipient.p + ev->recipient.n - at - 1);
    if (n == 0 || n >= sizeof ev->domain)
        return;
    memcpy(ev->domain, at + 1, n);
    ev->domain[n] = '\0';
    mc_ascii_lower(ev->domain);
}

/* Finds the reply code in a delivery's text with the MTA's [@reply] rules. */
static void find_reply(const mc_mta_rules *m, mc_matcher *mt, mc_str text, mc_event *ev)
{
    for (size_t i = 0; i < m->n_replies; i++) {
        const mc_pattern *rp = &m->replies[i];
        if (pattern_match(rp, mt, text)) {
            mc_str code = pattern_group(rp, mt, text, G_CODE);
            copy_code(ev->code, sizeof ev->code, code);
            if (code.p)
                ev->reply = mc_str_make(code.p, (size_t)(text.p + text.n - code.p));
            copy_code(ev->enhanced, sizeof ev->enhanced, pattern_group(rp, mt, text, G_ENHANCED));
            return;
        }
    }
}

static const char *stage_from_text(const mc_parse_rules *pr, const mc_mta_rules *m, mc_matcher *mt,
                                   mc_str text)
{
    if (text.p == NULL)
        return NULL;
    for (size_t i = 0; i < m->n_stages; i++) {
        const mc_stage_rule *sr = &m->stages[i];
        if (!pattern_match(&sr->pat, mt, text))
            continue;
        if (sr->stage)
            return sr->stage;
        const char *st = parse_command_stage(pr, pattern_group(&sr->pat, mt, text, G_COMMAND));
        if (st)
            return st;
    }
    return NULL;
}

static bool found_bit(const uint64_t *found, int id)
{
    return (found[id / 64] >> (id % 64)) & 1;
}

/* found: the literals of the MTA's set present in the line (one scan), or
 * NULL to look each literal up with memmem. */
static bool rule_applies(const mc_line_rule *r, int daemon, const uint64_t *found, mc_str msg)
{
    if (r->daemon_mask != 0 && (daemon < 0 || !(r->daemon_mask & (1ULL << daemon))))
        return false;
    for (size_t i = 0; i < r->n_literals; i++) {
        bool there = found ? found_bit(found, r->literal_ids[i])
                           : memmem(msg.p, msg.n, r->literals[i], strlen(r->literals[i])) != NULL;
        if (!there)
            return false;
    }
    return true;
}

/* Fills the event from a matched rule. */
static void build_event(const mc_parse_rules *pr, const mc_mta_rules *m, const mc_line_rule *r,
                        mc_matcher *mt, mc_str msg, mc_event *ev)
{
    const mc_pattern *pat = &r->pat;
    ev->mta = m->name;
    ev->direction = r->direction;
    ev->status = r->status ? mc_str_cstr(r->status) : pattern_group(pat, mt, msg, G_STATUS);
    ev->queue_id = pattern_group(pat, mt, msg, G_QUEUE_ID);
    ev->recipient = pattern_group(pat, mt, msg, G_RECIPIENT);
    ev->sender = pattern_group(pat, mt, msg, G_SENDER);
    ev->relay = pattern_group(pat, mt, msg, G_RELAY);
    ev->client = pattern_group(pat, mt, msg, G_CLIENT);
    ev->text = pattern_group(pat, mt, msg, G_TEXT);
    ev->dsn = pattern_group(pat, mt, msg, G_DSN);
    mc_str host = pattern_group(pat, mt, msg, G_HOST);
    if (host.p)
        ev->host = host;
    mc_str command = pattern_group(pat, mt, msg, G_COMMAND);
    copy_code(ev->code, sizeof ev->code, pattern_group(pat, mt, msg, G_CODE));
    copy_code(ev->enhanced, sizeof ev->enhanced, pattern_group(pat, mt, msg, G_ENHANCED));

    /* Everything below runs other patterns, which reuse the match data:
     * the captures above are all taken first. */
    if (r->reply && ev->code[0] == '\0') {
        mc_str reply = pattern_group(pat, mt, msg, G_REPLY);
        find_reply(m, mt, reply.p ? reply : ev->text, ev);
    }
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
    }
    if (r->stage)
        ev->stage = r->stage;
    else if (command.p)
        ev->stage = parse_command_stage(pr, command);
    else
        ev->stage = stage_from_text(pr, m, mt, ev->text);
    set_domain(ev);
}

mc_parse_result parser_line(mc_parser *p, mc_str line, mc_event *ev)
{
    mc_logline ll;
    if (!logline_split_buf(line, &p->years, &p->scratch, &ll))
        return any_marker(p->rules, &p->matcher, line) ? PARSE_UNRECOGNISED : PARSE_NOTHING;
    if (ll.time.valid)
        p->last_time = ll.time;
    /* The reader validated the raw line, but a journald MESSAGE decoded from
     * a byte array may hold anything (a Latin-1 reply): patterns run without
     * UTF-8 checks, so such bytes become '?' in our own scratch copy. */
    if (ll.form == LOGLINE_JOURNAL && ll.message.p >= p->scratch.data &&
        ll.message.p + ll.message.n <= p->scratch.data + p->scratch.len)
        mc_utf8_sanitize((unsigned char *)p->scratch.data + (ll.message.p - p->scratch.data), ll.message.n);
    int daemon = -1;
    const mc_mta_rules *m = find_mta(p->rules, ll.program, &daemon);
    if (m == NULL)
        return PARSE_NOTHING;
    /* Every outcome line carries one of the MTA's markers (status=, said:,
     * =>, rejected ...): a line without one is settled by a few memmem
     * calls, before any pattern runs.  Most lines of a busy log end here. */
    /* Few markers and rules (Postfix): a few memmem calls are cheapest.
     * Many (Exim): one automaton scan answers them all at once. */
    const uint64_t *found = NULL;
    if ((m->n_markers <= 4 && m->n_rules <= 16) || p->no_prefilter) {
        if (!has_marker_in(m->markers, m->n_markers, ll.message))
            return PARSE_NOTHING;
    } else {
        litset_scan(m->literal_set, ll.message, p->found);
        bool marked = false;
        for (size_t i = 0; i < m->n_markers && !marked; i++)
            marked = found_bit(p->found, m->marker_ids[i]);
        if (!marked)
            return PARSE_NOTHING;
        found = p->found;
    }
    /* The MTA's prefix (an embedded stamp, a syslog tag) is not the message. */
    mc_str msg = ll.message, host = ll.host;
    if (m->has_prefix && pattern_match(&m->prefix, &p->matcher, msg)) {
        mc_str whole = pattern_capture(&p->matcher, msg, 0);
        mc_str h = pattern_group(&m->prefix, &p->matcher, msg, G_HOST);
        if (h.p)
            host = h;
        if (whole.p == msg.p)
            msg = mc_str_make(msg.p + whole.n, msg.n - whole.n);
    }
    for (size_t i = 0; i < m->n_rules; i++) {
        const mc_line_rule *r = &m->rules[i];
        /* A literal seen only in the stripped prefix lets the pattern run
         * and fail: slower, never wrong. */
        if (!rule_applies(r, daemon, found, msg) || !pattern_match(&r->pat, &p->matcher, msg))
            continue;
        if (r->ignore)
            return r->retry_skip ? PARSE_RETRY_SKIP : PARSE_NOTHING;
        memset(ev, 0, sizeof *ev);
        ev->time = ll.time;
        ev->host = host;
        ev->program = ll.program;
        build_event(p->rules, m, r, &p->matcher, msg, ev);
        return PARSE_EVENT;
    }
    return PARSE_UNRECOGNISED;
}
