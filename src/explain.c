/*
 * explain.c - render knowledge records as the pages postmasters read.
 *
 * Input is one of: a basic code (421), an enhanced code (5.7.1), or a whole
 * reply as pasted from a bounce.  A pasted reply is read with the MTAs' own
 * [@reply] patterns (then reasons.conf's), then classified for a reason like
 * any event: the page then says why it failed and what to do, with the
 * named list's or provider's own procedure first.
 *
 * compare derives its key differences from the data: the class and what a
 * client does with it, the subject of an enhanced code (who must act), the
 * RFC 5321 category of a basic code, hardness, the stage and connection
 * facts of rules/compare.conf, the defining RFC, and the reasons whose rules
 * name each code.  Every sentence is a template of rules/lang/<lang>.conf.
 */
#include "explain.h"

#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "conf.h"
#include "exitcodes.h"
#include "lang.h"
#include "textout.h"

typedef struct {
    char code[4];
    char enhanced[12];
    mc_class klass;
    const mc_code_info *basic;
    const mc_code_info *enh;
    mc_reason_hit hit;
    const char *input;
    bool reply;          /* the input was a pasted reply */
    bool enh_exact;      /* enh is the code's own record, not its subject or class */
} explained;

/* The lang key of a class's name. */
static const char *class_key(mc_class c)
{
    switch (c) {
    case CLASS_SUCCESS: return LK("class_success");
    case CLASS_INTERMEDIATE: return LK("class_intermediate");
    case CLASS_TRANSIENT: return LK("class_transient");
    case CLASS_PERMANENT: return LK("class_permanent");
    default: return LK("class_unknown");
    }
}

/* The lang key of what a client does with a class. */
static const char *action_key(mc_class c)
{
    switch (c) {
    case CLASS_SUCCESS: return LK("action_success");
    case CLASS_INTERMEDIATE: return LK("action_intermediate");
    case CLASS_TRANSIENT: return LK("action_transient");
    case CLASS_PERMANENT: return LK("action_permanent");
    default: return LK("action_unknown");
    }
}

/* Copies a view into a fixed field, cut to fit. */
static void copy_view(char *dst, size_t cap, mc_str s)
{
    size_t n = s.p ? (s.n < cap - 1 ? s.n : cap - 1) : 0;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* ---- reading a pasted reply ------------------------------------------ */

/* Runs [@reply] patterns on a pasted reply; true when one finds a code (a
 * basic code, or an enhanced code that opens the reply without one). */
static bool find_code(const mc_pattern *pats, size_t n, mc_matcher *m, mc_str text, mc_reply_reading *out)
{
    for (size_t j = 0; j < n; j++) {
        if (pattern_match(&pats[j], m, text)) {
            copy_view(out->code, sizeof out->code, pattern_group(&pats[j], m, text, G_CODE));
            copy_view(out->enhanced, sizeof out->enhanced, pattern_group(&pats[j], m, text, G_ENHANCED));
            if (out->code[0] && !is_basic_code(out->code))
                out->code[0] = '\0';
            if (out->enhanced[0] && !is_enhanced_code(out->enhanced))
                out->enhanced[0] = '\0';
            if (out->code[0] || out->enhanced[0])
                return true;
        }
    }
    return false;
}

/* Reads a pasted reply: code, enhanced code, class and reason. */
bool explain_read_reply(const mc_rules *rules, mc_matcher *m, const char *input, mc_reply_reading *out)
{
    memset(out, 0, sizeof *out);
    mc_str text = mc_str_cstr(input);
    bool found = false;
    for (size_t i = 0; i < rules->parse.n_mtas && !found; i++)
        found = find_code(rules->parse.mtas[i].replies, rules->parse.mtas[i].n_replies, m, text, out);
    if (!found)
        found = find_code(rules->reasons.replies, rules->reasons.n_replies, m, text, out);
    out->klass = classify_codes(out->code, out->enhanced);
    if (out->klass != CLASS_SUCCESS && out->klass != CLASS_INTERMEDIATE)
        classify_reason_hit(&rules->reasons, m, NULL, out->code, out->enhanced, out->klass, text, &out->hit);
    return out->code[0] || out->enhanced[0] || out->hit.reason;
}

/* Understands the input; false when it is none of the three forms. */
static bool understand(const mc_rules *rules, mc_matcher *m, const char *input, explained *x)
{
    memset(x, 0, sizeof *x);
    x->input = input;
    if (is_basic_code(input)) {
        memcpy(x->code, input, 4);
    } else if (is_enhanced_code(input)) {
        snprintf(x->enhanced, sizeof x->enhanced, "%s", input);
    } else {
        /* Patterns run without UTF-8 checks: the text must be valid. */
        if (!mc_utf8_valid((const unsigned char *)input, strlen(input)))
            return false;
        mc_reply_reading rd;
        if (!explain_read_reply(rules, m, input, &rd))
            return false;
        memcpy(x->code, rd.code, sizeof x->code);
        memcpy(x->enhanced, rd.enhanced, sizeof x->enhanced);
        x->hit = rd.hit;
        x->reply = true;
    }
    x->klass = classify_codes(x->code, x->enhanced);
    x->basic = knowledge_code(&rules->knowledge, x->code);
    x->enh = knowledge_enhanced(&rules->knowledge, x->enhanced);
    x->enh_exact = x->enh != NULL;
    /* A typed enhanced code that no registry or provider record defines is
     * undefined, like a typed basic code without a record (299). */
    if (!x->enh_exact && x->enhanced[0] && !x->reply)
        return false;
    if (x->enh == NULL && x->enhanced[0])
        x->enh = knowledge_enhanced_subject(&rules->knowledge, x->enhanced);
    if (x->enh == NULL && x->enhanced[0])
        x->enh = knowledge_enhanced_class(&rules->knowledge, x->enhanced);
    return x->basic || x->enh || x->hit.reason;
}

/* The record whose three sections describe the input best: the enhanced
 * code's own record before the basic code's generic one (the reason rule's
 * advice, the most specific of all, is shown first by the callers). */
static const mc_code_info *main_record(const explained *x)
{
    if (x->enh && (x->enh_exact || !x->code[0]))
        return x->enh;
    return x->basic ? x->basic : x->enh;
}

/* ---- text layout ------------------------------------------------------ */

/* Explain pages are wrapped at 92 columns (textout.c measures them). */
#define PAGE_WIDTH 92

/* Wraps body with indent on every line (mark first: the right-to-left mark
 * for Arabic). */
static void wrap(FILE *out, const char *mark, const char *indent, const char *body)
{
    text_wrap(out, PAGE_WIDTH, false, mark, indent, indent, body);
}

/* Writes a heading in the reader's language. */
static void heading(FILE *out, const mc_lang *lang, const char *text)
{
    fputc('\n', out);
    lang_line(out, lang, text);
}

/* A section: heading, then its paragraphs separated by blank lines. */
static void section(FILE *out, const mc_lang *lang, const char *key, const char *const *paras, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any = any || (paras[i] && *paras[i]);
    if (!any)
        return;
    heading(out, lang, lang_word(lang, key));
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!paras[i] || !*paras[i])
            continue;
        if (!first)
            fputc('\n', out);
        wrap(out, "", "  ", paras[i]);
        first = false;
    }
}

/* Writes a record's description, when and fix sections. */
static void record_sections(FILE *out, const mc_lang *lang, const mc_code_info *rec, const char *fix_first,
                            const char *fix_second)
{
    const char *d[1] = {rec ? rec->description : NULL};
    const char *w[1] = {rec ? rec->when : NULL};
    section(out, lang, "description", d, 1);
    section(out, lang, "when", w, 1);
    /* A rule that named the situation (fix_first, its detail's advice) says
     * what to do; the code's general fix could contradict it (postscreen's
     * deny list refuses with 550 5.3.2, whose fix is about overload). */
    const char *f[3] = {fix_first, fix_second, rec && fix_first == NULL ? rec->fix : NULL};
    section(out, lang, "fix", f, 3);
}

/* A reason's label in the reader's language. */
static const char *reason_label(const mc_lang *lang, const mc_reason *r)
{
    return lang_reason_label(lang, r->name, r->label ? r->label : r->name);
}

/* The receiver's voice: what it means when our own server gave this
 * reply (the reason's, then the code record's), or that it is seen in one
 * direction only. */
static void receiver_section(FILE *out, const mc_lang *lang, const mc_reason *r, const mc_code_info *rec,
                             bool specific)
{
    /* specific: a rule named the situation; the reason speaks for it, as for the sender */
    const char *p[2] = {r ? r->receiver_advice : NULL,
                        rec && !(specific && r && r->receiver_advice) ? rec->receiver_fix : NULL};
    if (!p[0] && !p[1]) {
        const char *only = r && r->only ? r->only : rec ? rec->only : NULL;
        if (only == NULL)
            return;
        p[0] = lang_word(lang, strcmp(only, "outbound") == 0 ? "only_outbound" : "only_inbound");
    }
    section(out, lang, "fix_receiver", p, 2);
}

/* The reason's advice in the sender's voice, its {domains} slot (a
 * problem's domains in the report) read as "the same domain". */
static const char *sender_advice(const mc_lang *lang, const mc_reason *r, mc_buf *b)
{
    mc_buf_reset(b);
    if (r == NULL || r->advice == NULL)
        return NULL;
    knowledge_fill_domains(b, r->advice, lang_word(lang, "advice_same_domain"));
    return b->data;
}

/* "Label: value" in the reader's language. */
static void labelled(FILE *out, const mc_lang *lang, const char *key, const char *value)
{
    mc_buf b;
    mc_buf_init(&b);
    const char *vars[] = {"label", lang_word(lang, key), "value", value, NULL};
    lang_fill(&b, lang, "labelled", vars);
    lang_line(out, lang, b.data);
    mc_buf_free(&b);
}

/* The explain page as text. */
static void write_text(const explained *x, const mc_lang *lang, FILE *out)
{
    const mc_code_info *rec = main_record(x);
    mc_buf b;
    mc_buf_init(&b);
    if (x->code[0] || x->enhanced[0]) {
        mc_buf_printf(&b, "%s%s%s", x->code, x->code[0] && x->enhanced[0] ? " " : "", x->enhanced);
        if (rec)
            mc_buf_printf(&b, " %s", rec->name);
        lang_line(out, lang, b.data);
        lang_line(out, lang, lang_word(lang, class_key(x->klass)));
        if (x->basic && x->enh && rec == x->basic) {
            mc_buf_reset(&b);
            mc_buf_printf(&b, "%s: %s", x->enhanced, x->enh->name);
            lang_line(out, lang, b.data);
        } else if (x->basic && x->enh && rec == x->enh) {
            mc_buf_reset(&b);
            mc_buf_printf(&b, "%s: %s", x->code, x->basic->name);
            lang_line(out, lang, b.data);
        }
    } else {
        /* A reply without a code: the input itself is the title. */
        size_t n = strlen(x->input);
        mc_buf_add(&b, x->input, n > 100 ? 100 : n);
        if (n > 100)
            mc_buf_adds(&b, "...");
        lang_line(out, lang, b.data);
    }
    const mc_reason *r = x->hit.reason;
    if (r) {
        mc_buf_reset(&b);
        mc_buf_printf(&b, "%s (%s)", r->name, reason_label(lang, r));
        labelled(out, lang, "reason", b.data);
        if (x->hit.detail.p) {
            mc_buf_reset(&b);
            mc_buf_add(&b, x->hit.detail.p, x->hit.detail.n);
            labelled(out, lang, "detail", b.data);
        }
    }
    const char *advice = sender_advice(lang, r, &b);
    if (rec) {
        record_sections(out, lang, rec, r ? x->hit.detail_advice : NULL, advice);
    } else if (r) {
        const char *f[2] = {x->hit.detail_advice, advice};
        section(out, lang, "fix", f, 2);
    }
    receiver_section(out, lang, r, rec, r && x->hit.detail_advice);
    mc_buf_free(&b);
}

/* ---- JSON ------------------------------------------------------------- */

/* Writes one "key": value member of the explain JSON. */
static void json_field(FILE *out, const char *key, const char *v, bool last)
{
    fprintf(out, "\"%s\": ", key);
    mc_json_cstr_or_null(out, v && *v ? v : NULL);
    fputs(last ? "" : ", ", out);
}

/* The explain page as JSON. */
static void write_json(const explained *x, const mc_lang *lang, FILE *out)
{
    const mc_code_info *rec = main_record(x);
    char detail[256] = "";
    copy_view(detail, sizeof detail, x->hit.detail);
    const mc_reason *r = x->hit.reason;
    mc_buf fix;
    mc_buf_init(&fix);
    if (r) {
        if (x->hit.detail_advice)
            mc_buf_printf(&fix, "%s ", x->hit.detail_advice);
        if (r->advice)
            knowledge_fill_domains(&fix, r->advice, lang_word(lang, "advice_same_domain"));
    } else if (rec) {
        mc_buf_adds(&fix, rec->fix);
    }
    fputc('{', out);
    json_field(out, "input", x->input, false);
    json_field(out, "code", x->code, false);
    json_field(out, "enhanced", x->enhanced, false);
    json_field(out, "class", x->klass == CLASS_UNKNOWN ? NULL : mc_class_name(x->klass), false);
    json_field(out, "name", rec ? rec->name : NULL, false);
    json_field(out, "reason", r ? r->name : NULL, false);
    json_field(out, "reason_detail", detail, false);
    json_field(out, "description", rec ? rec->description : NULL, false);
    json_field(out, "when", rec ? rec->when : NULL, false);
    json_field(out, "fix", fix.len ? fix.data : NULL, false);
    json_field(out, "receiver_advice", r ? r->receiver_advice : rec ? rec->receiver_fix : NULL, true);
    fputc('}', out);
    mc_buf_free(&fix);
}

/* Loads the reader's language; prints the error when it fails. */
static bool open_lang(const mc_rules *rules, const char *lang_name, mc_lang *lang)
{
    char err[512];
    if (!lang_load(lang, rules->dir, lang_name, err, sizeof err)) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return false;
    }
    return true;
}

/* Explains a code, an enhanced code or a pasted reply; returns an exit code. */
int explain_write(const mc_rules *rules, const char *input, bool json, const char *lang_name, FILE *out)
{
    mc_lang lang;
    if (!open_lang(rules, lang_name, &lang))
        return MC_EXIT_USAGE;
    mc_matcher m;
    matcher_init(&m);
    explained x;
    int rc = MC_EXIT_OK;
    if (!understand(rules, &m, input, &x)) {
        fputs("mailcodes: explain: '", stderr);
        mc_text_safe(stderr, input, strlen(input));
        fputs("' is not a known reply code (e.g. 421), enhanced code (e.g. 5.7.1) or SMTP reply\n", stderr);
        rc = MC_EXIT_USAGE;
    } else if (json) {
        write_json(&x, &lang, out);
        fputc('\n', out);
    } else {
        write_text(&x, &lang, out);
    }
    matcher_free(&m);
    lang_free(&lang);
    return rc;
}

/* ---- compare ---------------------------------------------------------- */

typedef struct {
    mc_buf *items;
    size_t n, cap;
} buf_list;

/* A new empty buffer at the end of the list. */
static mc_buf *list_add(buf_list *l)
{
    if (l->n == l->cap)
        l->items = mc_xrealloc(l->items, (l->cap = l->cap ? 2 * l->cap : 8) * sizeof *l->items);
    mc_buf_init(&l->items[l->n]);
    return &l->items[l->n++];
}

/* Frees the list and its buffers. */
static void list_free(buf_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        mc_buf_free(&l->items[i]);
    free(l->items);
}

/* The separator between items of a list (", " in English). */
static void add_sep(mc_buf *out, const mc_lang *lang)
{
    const char *vars[] = {"space", " ", NULL};
    lang_fill(out, lang, "list_sep", vars);
}

/* "the greeting, RCPT TO" from a stage list, in the reader's language. */
static void stage_phrase(mc_buf *out, const mc_lang *lang, const char *stages)
{
    char *copy = mc_xstrdup(stages), *save = NULL;
    bool first = true;
    for (char *w = strtok_r(copy, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
        char key[64];
        snprintf(key, sizeof key, LK_PREFIX("stage_") "%s", w);
        if (!first)
            add_sep(out, lang);
        mc_buf_adds(out, lang_word(lang, key));
        first = false;
    }
    free(copy);
}

/* The labels of the reasons compare.conf lists for this code, then of those
 * whose rules name it, comma-separated. */
static void typical_reasons(mc_buf *out, const mc_lang *lang, const mc_reasons *rs, const explained *x,
                            const char *listed)
{
    const mc_reason *seen[16];
    size_t n = 0;
    char *copy = mc_xstrdup(listed ? listed : ""), *save = NULL;
    for (char *w = strtok_r(copy, " ,", &save); w && n < 16; w = strtok_r(NULL, " ,", &save)) {
        const mc_reason *reason = reasons_find(rs, w);
        if (reason)
            seen[n++] = reason;
    }
    free(copy);
    for (size_t i = 0; i < rs->n_rules && n < 16; i++) {
        const mc_reason_rule *r = &rs->rules[i];
        bool hit = false;
        if (x->enhanced[0] && !x->code[0]) {
            for (size_t j = 0; j < r->n_enhanced && !hit; j++) {
                const char *w = r->enhanced[j];
                hit = (w[0] == 'X' || w[0] == x->enhanced[0]) && strcmp(w + 1, x->enhanced + 1) == 0;
            }
        } else if (x->code[0]) {
            for (size_t j = 0; j < r->n_codes && !hit; j++)
                hit = strcmp(r->codes[j], x->code) == 0;
        }
        if (!hit)
            continue;
        const mc_reason *reason = &rs->reasons[r->reason];
        bool dup = false;
        for (size_t k = 0; k < n; k++)
            dup = dup || seen[k] == reason;
        if (!dup)
            seen[n++] = reason;
    }
    for (size_t k = 0; k < n; k++) {
        if (k)
            add_sep(out, lang);
        mc_buf_adds(out, reason_label(lang, seen[k]));
    }
}

/* The first sentence of a description. */
static void first_sentence(mc_buf *out, const char *text)
{
    if (text == NULL)
        return;
    const char *p = text;
    while (*p) {
        if (*p == '.' && (p[1] == ' ' || p[1] == '\0') && !(p > text + 1 && p[-2] == ' ') &&
            !(p >= text + 3 && strncmp(p - 3, "e.g", 3) == 0) && !(p >= text + 3 && strncmp(p - 3, "i.e", 3) == 0)) {
            p++;
            break;
        }
        p++;
    }
    mc_buf_add(out, text, (size_t)(p - text));
}

typedef struct {
    const char *id;      /* as typed */
    char name[512];
    char klass[128];
    char action[256];
    char subject[256];
    char actor[256];
    char category[256];
    char stage[256];
    char stages[128];    /* the stage words of compare.conf, untranslated */
    char reasons[512];
    char first[1024];
    const char *rfc;
    bool hard;
    mc_closes closes; /* rules/compare.conf */
    bool has_stage;
} side;

/* What compare says about one of its two codes. */
static void fill_side(side *s, const char *id, const explained *x, const mc_rules *rules, const mc_lang *lang,
                      const conf_file *facts)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    const mc_code_info *rec = main_record(x);
    snprintf(s->name, sizeof s->name, "%s", rec ? rec->name : "?");
    snprintf(s->klass, sizeof s->klass, "%s", lang_word(lang, class_key(x->klass)));
    snprintf(s->action, sizeof s->action, "%s", lang_word(lang, action_key(x->klass)));
    const conf_section *f = facts && x->code[0] ? conf_find_section(facts, x->code) : NULL;
    const char *cl = conf_get(f, "closes");
    s->closes = cl ? (mc_closes)knowledge_closes(cl) : MC_CLOSES_NO; /* checked at load */
    /* 221 succeeds and ends the session: "the session goes on" would be false. */
    if (s->closes == MC_CLOSES_YES && x->klass == CLASS_SUCCESS && lang_word_or_null(lang, "action_success_closes"))
        snprintf(s->action, sizeof s->action, "%s", lang_word(lang, "action_success_closes"));
    s->rfc = rec && rec->rfc && *rec->rfc ? rec->rfc : NULL;
    s->hard = rec && rec->hard;
    mc_buf b;
    mc_buf_init(&b);
    if (x->enhanced[0]) {
        const mc_code_info *subj = knowledge_enhanced_subject(&rules->knowledge, x->enhanced);
        snprintf(s->subject, sizeof s->subject, "%s", subj ? subj->name : "?");
        const char *dot = strchr(x->enhanced + 2, '.');
        char key[32];
        snprintf(key, sizeof key, LK_PREFIX("actor_") "%.*s", (int)(dot - (x->enhanced + 2)), x->enhanced + 2);
        const char *actor = lang_word_or_null(lang, key);
        snprintf(s->actor, sizeof s->actor, "%s", actor ? actor : lang_word(lang, "actor_other"));
    }
    if (x->code[0]) {
        char key[32];
        snprintf(key, sizeof key, LK_PREFIX("category_") "%c", x->code[1]);
        const char *cat = lang_word_or_null(lang, key);
        snprintf(s->category, sizeof s->category, "%s", cat ? cat : "?");
        const char *st = conf_get(f, "stage");
        if (st) {
            stage_phrase(&b, lang, st);
            snprintf(s->stage, sizeof s->stage, "%s", b.data);
            snprintf(s->stages, sizeof s->stages, "%s", st);
            s->has_stage = true;
        }
    }
    mc_buf_reset(&b);
    typical_reasons(&b, lang, &rules->reasons, x, conf_get(f, "reasons"));
    snprintf(s->reasons, sizeof s->reasons, "%s", b.len ? b.data : "");
    mc_buf_reset(&b);
    first_sentence(&b, rec ? rec->description : NULL);
    snprintf(s->first, sizeof s->first, "%s", b.data ? b.data : "");
    mc_buf_free(&b);
}

/* The stage words two compare.conf lists share ("any" shares every word), or
 * "" when they share none. */
static void common_stages(char *dst, size_t cap, const char *a, const char *b)
{
    dst[0] = '\0';
    bool any_a = strstr(a, "any") != NULL, any_b = strstr(b, "any") != NULL;
    const char *from = any_a && !any_b ? b : a, *other = any_a && !any_b ? a : b;
    char *copy = mc_xstrdup(from), *save = NULL;
    size_t len = 0;
    for (char *w = strtok_r(copy, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
        char padded[160];
        snprintf(padded, sizeof padded, " %s ", other);
        char word[64];
        snprintf(word, sizeof word, " %s ", w);
        bool shared = strstr(padded, word) != NULL || (strcmp(w, "any") != 0 && strstr(other, "any") != NULL);
        if (shared && len + strlen(w) + 2 < cap)
            len += (size_t)snprintf(dst + len, cap - len, "%s%s", len ? " " : "", w);
    }
    free(copy);
}

#define FILL(list, key, ...)                                                                                  \
    do {                                                                                                      \
        const char *vars_[] = {__VA_ARGS__, NULL};                                                            \
        lang_fill(list_add(list), lang, key, vars_);                                                          \
    } while (0)

/* The summary, key differences and when-to-use-which of two codes. */
static void derive(const side *a, const side *b, const explained *xa, const explained *xb, const mc_lang *lang,
                   mc_buf *summary, buf_list *diffs, buf_list *which)
{
    /* Summary: the two names, classes and what a client does with each. */
    if (strcmp(xa->code, xb->code) == 0 && strcmp(xa->enhanced, xb->enhanced) == 0 && !xa->reply && !xb->reply) {
        const char *v[] = {"a", a->id, "b", b->id, "name_a", a->name, "class", a->klass, "action", a->action, NULL};
        lang_fill(summary, lang, "summary_identical", v);
    } else if (xa->klass == xb->klass) {
        const char *v[] = {"a", a->id, "name_a", a->name, "b", b->id, "name_b", b->name, "class", a->klass,
                           "action", a->action, NULL};
        lang_fill(summary, lang, "summary_same", v);
    } else {
        const char *v[] = {"a", a->id, "name_a", a->name, "class_a", a->klass, "action_a", a->action,
                           "b", b->id, "name_b", b->name, "class_b", b->klass, "action_b", b->action, NULL};
        lang_fill(summary, lang, "summary_diff", v);
    }

    /* 1. Class and what the client does. */
    if (xa->klass == xb->klass)
        FILL(diffs, "diff_class_same", "class", a->klass, "action", a->action);
    else
        FILL(diffs, "diff_class", "a", a->id, "class_a", a->klass, "action_a", a->action, "b", b->id, "class_b",
             b->klass, "action_b", b->action);

    /* 2. Subject of an enhanced code (who must act), or the category of a
     * basic code (its second digit, RFC 5321 section 4.2.1). */
    if (a->subject[0] && b->subject[0]) {
        if (strcmp(a->subject, b->subject) == 0)
            FILL(diffs, "diff_subject_same", "subject", a->subject, "actor", a->actor);
        else
            FILL(diffs, "diff_subject", "a", a->id, "subject_a", a->subject, "actor_a", a->actor, "b", b->id,
                 "subject_b", b->subject, "actor_b", b->actor);
    }
    if (a->category[0] && b->category[0]) {
        if (strcmp(a->category, b->category) == 0)
            FILL(diffs, "diff_category_same", "category", a->category);
        else
            FILL(diffs, "diff_category", "a", a->id, "category_a", a->category, "b", b->id, "category_b",
                 b->category);
    }

    /* 3. Hardness: does it condemn the address? */
    if (a->hard && b->hard)
        FILL(diffs, "diff_hard_both", NULL);
    else if (a->hard || b->hard)
        FILL(diffs, "diff_hard", "x", a->hard ? a->id : b->id, "y", a->hard ? b->id : a->id);

    /* 4. Stage and connection facts (rules/compare.conf). */
    if (a->has_stage && b->has_stage) {
        if (strcmp(a->stage, b->stage) == 0)
            FILL(diffs, "diff_stage_same", "stage", a->stage);
        else
            FILL(diffs, "diff_stage", "a", a->id, "stage_a", a->stage, "b", b->id, "stage_b", b->stage);
    }
    /* The lang key of each pair of closings (rows: a's, columns: b's). */
    static const char *const closing[3][3] = {
        [MC_CLOSES_NO] = {NULL, LK("diff_closes_may"), LK("diff_closes")},
        [MC_CLOSES_MAY] = {LK("diff_closes_may"), LK("diff_closes_may_both"), LK("diff_closes_may_yes")},
        [MC_CLOSES_YES] = {LK("diff_closes"), LK("diff_closes_may_yes"), LK("diff_closes_both")},
    };
    const char *ck = closing[a->closes][b->closes];
    if (ck) {
        const side *lo = a->closes <= b->closes ? a : b, *hi = lo == a ? b : a;
        /* {x} closes (or may) and {y} goes on; or {x} may close and {y} closes; or both alike */
        const side *x = lo->closes == MC_CLOSES_NO ? hi : lo, *y = x == lo ? hi : lo;
        const char *vars[] = {"x", x->id, "y", y->id, NULL};
        lang_fill(list_add(diffs), lang, ck, vars); /* the keys: the table's LK() */
    }

    /* 5. Where each is defined. */
    if (a->rfc && b->rfc && strcmp(a->rfc, b->rfc) != 0)
        FILL(diffs, "diff_rfc", "a", a->id, "rfc_a", a->rfc, "b", b->id, "rfc_b", b->rfc);
    else if (a->rfc && b->rfc)
        FILL(diffs, "diff_rfc_same", "rfc", a->rfc);

    /* 6. The reasons whose rules name each code. */
    if ((a->reasons[0] || b->reasons[0]) && strcmp(a->reasons, b->reasons) != 0)
        FILL(diffs, "diff_reasons", "a", a->id, "reasons_a", a->reasons[0] ? a->reasons : lang_word(lang, "none"),
             "b", b->id, "reasons_b", b->reasons[0] ? b->reasons : lang_word(lang, "none"));

    /* 7. Meaning. */
    FILL(diffs, "diff_meaning", "a", a->id, "name_a", a->name, "b", b->id, "name_b", b->name);

    /* When to use which: each one's own first sentence, then the rule that
     * separates them. */
    FILL(which, "which_use", "code", a->id, "name", a->name, "first", a->first);
    FILL(which, "which_use", "code", b->id, "name", b->name, "first", b->first);
    bool ta = xa->klass == CLASS_TRANSIENT, tb = xb->klass == CLASS_TRANSIENT;
    bool pa = xa->klass == CLASS_PERMANENT, pb = xb->klass == CLASS_PERMANENT;
    bool sa = xa->klass == CLASS_SUCCESS || xa->klass == CLASS_INTERMEDIATE;
    bool sb = xb->klass == CLASS_SUCCESS || xb->klass == CLASS_INTERMEDIATE;
    if ((ta && pb) || (pa && tb))
        FILL(which, "which_transient_permanent", "t", ta ? a->id : b->id, "p", pa ? a->id : b->id);
    else if (sa != sb) {
        /* Success and failure at the same point (220 and 421 or 521 are both
         * greetings) are the two answers to one situation. */
        char shared[128];
        common_stages(shared, sizeof shared, a->stages, b->stages);
        if (shared[0]) {
            mc_buf st;
            mc_buf_init(&st);
            stage_phrase(&st, lang, shared);
            FILL(which, "which_success_failure_stage", "s", sa ? a->id : b->id, "f", sa ? b->id : a->id, "stage",
                 st.data);
            mc_buf_free(&st);
        } else {
            FILL(which, "which_success_failure", "s", sa ? a->id : b->id, "f", sa ? b->id : a->id);
        }
    }
    else if (xa->klass == xb->klass && strcmp(a->id, b->id) != 0)
        FILL(which, "which_same_class", "action", a->action);
    if (a->hard != b->hard)
        FILL(which, "which_hard", "x", a->hard ? a->id : b->id, "y", a->hard ? b->id : a->id);
    else if (a->subject[0] && b->subject[0] && strcmp(a->subject, b->subject) != 0)
        FILL(which, "which_subject", "a", a->id, "actor_a", a->actor, "b", b->id, "actor_b", b->actor);
}

/* Compares two codes side by side; returns an exit code. */
int compare_write(const mc_rules *rules, const char *a, const char *b, bool json, const char *lang_name, FILE *out)
{
    mc_lang lang;
    if (!open_lang(rules, lang_name, &lang))
        return MC_EXIT_USAGE;
    const conf_file *facts = rules->knowledge.facts;
    mc_matcher m;
    matcher_init(&m);
    explained x[2];
    const char *in[2] = {a, b};
    int rc = MC_EXIT_OK;
    for (int i = 0; i < 2 && rc == MC_EXIT_OK; i++) {
        if (!understand(rules, &m, in[i], &x[i]) || !main_record(&x[i])) {
            fputs("mailcodes: compare: '", stderr);
            mc_text_safe(stderr, in[i], strlen(in[i]));
            fputs("' is not a known code (give a basic code such as 421, a defined enhanced code such as 5.7.1"
                  " or a reply text; the two may be of different kinds)\n",
                  stderr);
            rc = MC_EXIT_USAGE;
        }
    }
    if (rc == MC_EXIT_OK) {
        side s[2];
        fill_side(&s[0], a, &x[0], rules, &lang, facts);
        fill_side(&s[1], b, &x[1], rules, &lang, facts);
        mc_buf summary;
        mc_buf_init(&summary);
        buf_list diffs = {0}, which = {0};
        derive(&s[0], &s[1], &x[0], &x[1], &lang, &summary, &diffs, &which);
        if (json) {
            fputs("{\"a\": ", out);
            write_json(&x[0], &lang, out);
            fputs(", \"b\": ", out);
            write_json(&x[1], &lang, out);
            fputs(", \"summary\": ", out);
            mc_json_str(out, summary.data, summary.len);
            fputs(", \"differences\": [", out);
            for (size_t i = 0; i < diffs.n; i++) {
                fputs(i ? ", " : "", out);
                mc_json_str(out, diffs.items[i].data, diffs.items[i].len);
            }
            fputs("], \"which\": [", out);
            for (size_t i = 0; i < which.n; i++) {
                fputs(i ? ", " : "", out);
                mc_json_str(out, which.items[i].data, which.items[i].len);
            }
            fputs("]}\n", out);
        } else {
            const char *mark = lang_line_mark(&lang);
            mc_buf t;
            mc_buf_init(&t);
            const char *tv[] = {"a", a, "b", b, NULL};
            lang_fill(&t, &lang, "compare_title", tv);
            lang_line(out, &lang, t.data);
            fputc('\n', out);
            wrap(out, mark, "", summary.data);
            for (int i = 0; i < 2; i++) {
                const mc_code_info *r = main_record(&x[i]);
                mc_buf_reset(&t);
                mc_buf_printf(&t, "== %s %s (%s)", in[i], r->name, s[i].klass);
                fputc('\n', out);
                text_wrap(out, PAGE_WIDTH, false, mark, "", "   ", t.data);
                record_sections(out, &lang, r, NULL, NULL);
            }
            heading(out, &lang, lang_word(&lang, "differences"));
            for (size_t i = 0; i < diffs.n; i++) {
                mc_buf_reset(&t);
                mc_buf_printf(&t, "%zu. %s", i + 1, diffs.items[i].data);
                text_wrap(out, PAGE_WIDTH, false, mark, "  ", "     ", t.data);
            }
            heading(out, &lang, lang_word(&lang, "which"));
            for (size_t i = 0; i < which.n; i++)
                wrap(out, mark, "  ", which.items[i].data);
            mc_buf_free(&t);
        }
        mc_buf_free(&summary);
        list_free(&diffs);
        list_free(&which);
    }
    matcher_free(&m);
    lang_free(&lang);
    return rc;
}
