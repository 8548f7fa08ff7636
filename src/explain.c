/*
 * explain.c - render knowledge records as the pages postmasters read.
 *
 * Input is one of: a basic code (421), an enhanced code (5.7.1), or a whole
 * reply as pasted from a bounce.  A pasted reply is read with the MTAs'
 * own [@reply] patterns, then classified for a reason like any event.
 */
#include "explain.h"

#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "exitcodes.h"
#include "lang.h"

typedef struct {
    char code[4];
    char enhanced[12];
    mc_class klass;
    const mc_code_info *basic;
    const mc_code_info *enh;
    const mc_reason *reason;
    mc_str detail;
    const char *input;
} explained;

static const char *class_words(mc_class c)
{
    switch (c) {
    case CLASS_SUCCESS: return "2xx Positive Completion";
    case CLASS_INTERMEDIATE: return "3xx Positive Intermediate";
    case CLASS_TRANSIENT: return "4xx Transient Negative";
    case CLASS_PERMANENT: return "5xx Permanent Negative";
    default: return "unknown class";
    }
}

static void copy_view(char *dst, size_t cap, mc_str s)
{
    size_t n = s.p ? (s.n < cap - 1 ? s.n : cap - 1) : 0;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
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
        mc_str text = mc_str_cstr(input);
        for (size_t i = 0; i < rules->parse.n_mtas && !x->code[0]; i++) {
            const mc_mta_rules *mta = &rules->parse.mtas[i];
            for (size_t j = 0; j < mta->n_replies; j++) {
                if (pattern_match(&mta->replies[j], m, text)) {
                    copy_view(x->code, sizeof x->code, pattern_group(&mta->replies[j], m, text, G_CODE));
                    copy_view(x->enhanced, sizeof x->enhanced,
                              pattern_group(&mta->replies[j], m, text, G_ENHANCED));
                    break;
                }
            }
        }
        x->klass = classify_codes(x->code, x->enhanced);
        x->reason = classify_reason(&rules->reasons, m, x->code, x->enhanced, x->klass, text, &x->detail);
        if (!x->code[0] && !x->enhanced[0] && x->reason == NULL)
            return false;
    }
    if (x->klass == CLASS_UNKNOWN)
        x->klass = classify_codes(x->code, x->enhanced);
    x->basic = knowledge_code(&rules->knowledge, x->code);
    x->enh = knowledge_enhanced(&rules->knowledge, x->enhanced);
    if (x->enh == NULL && x->enhanced[0])
        x->enh = knowledge_enhanced_subject(&rules->knowledge, x->enhanced);
    return x->basic || x->enh || x->reason;
}

/* The record whose three sections describe the input best. */
static const mc_code_info *main_record(const explained *x)
{
    return x->enh && !x->code[0] ? x->enh : x->basic ? x->basic : x->enh;
}

static void section(FILE *out, const char *heading, const char *body)
{
    if (body == NULL || !*body)
        return;
    fprintf(out, "\n%s\n", heading);
    /* Wrap at 92 columns with a two-space indent. */
    const char *p = body;
    while (*p) {
        size_t len = strlen(p);
        size_t take = len;
        if (len > 90) {
            take = 90;
            while (take > 0 && p[take] != ' ')
                take--;
            if (take == 0)
                take = 90;
        }
        fputs("  ", out);
        mc_text_safe(out, p, take);
        fputc('\n', out);
        p += take;
        while (*p == ' ')
            p++;
    }
}

static void write_text(const mc_rules *rules, const explained *x, const mc_lang *lang, FILE *out)
{
    (void)rules;
    const mc_code_info *rec = main_record(x);
    char title[64];
    snprintf(title, sizeof title, "%s%s%s", x->code, x->code[0] && x->enhanced[0] ? " " : "", x->enhanced);
    fprintf(out, "%s", title);
    if (rec)
        fprintf(out, " %s", rec->name);
    fputc('\n', out);
    fprintf(out, "%s\n", class_words(x->klass));
    if (x->basic && x->enh && rec == x->basic)
        fprintf(out, "%s: %s\n", x->enhanced, x->enh->name);
    if (x->reason) {
        fprintf(out, "Reason: %s", x->reason->label ? x->reason->label : x->reason->name);
        if (x->detail.p) {
            fputs(" (", out);
            mc_text_safe(out, x->detail.p, x->detail.n);
            fputc(')', out);
        }
        fputc('\n', out);
    }
    if (rec) {
        section(out, lang_word(lang, "description"), rec->description);
        section(out, lang_word(lang, "when"), rec->when);
        section(out, lang_word(lang, "fix"), x->reason ? x->reason->advice : rec->fix);
        if (x->reason && rec->fix)
            section(out, "", rec->fix);
    } else if (x->reason) {
        section(out, lang_word(lang, "fix"), x->reason->advice);
    }
}

static void json_field(FILE *out, const char *key, const char *v, bool last)
{
    fprintf(out, "\"%s\": ", key);
    mc_json_cstr_or_null(out, v);
    fputs(last ? "" : ", ", out);
}

static void write_json(const explained *x, FILE *out)
{
    const mc_code_info *rec = main_record(x);
    char detail[256] = "";
    copy_view(detail, sizeof detail, x->detail);
    fputc('{', out);
    json_field(out, "input", x->input, false);
    json_field(out, "code", x->code, false);
    json_field(out, "enhanced", x->enhanced, false);
    json_field(out, "class", x->klass == CLASS_UNKNOWN ? NULL : mc_class_name(x->klass), false);
    json_field(out, "name", rec ? rec->name : NULL, false);
    json_field(out, "reason", x->reason ? x->reason->name : NULL, false);
    json_field(out, "reason_detail", detail, false);
    json_field(out, "description", rec ? rec->description : NULL, false);
    json_field(out, "when", rec ? rec->when : NULL, false);
    json_field(out, "fix", x->reason ? x->reason->advice : rec ? rec->fix : NULL, true);
    fputs("}\n", out);
}

int explain_write(const mc_rules *rules, const char *input, bool json, const char *lang_name, FILE *out)
{
    mc_lang lang;
    char err[512];
    if (!lang_load(&lang, rules->dir, lang_name, err, sizeof err)) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_USAGE;
    }
    mc_matcher m;
    matcher_init(&m);
    explained x;
    int rc = MC_EXIT_OK;
    if (!understand(rules, &m, input, &x)) {
        fprintf(stderr, "mailcodes: explain: '%s' is not a known reply code (e.g. 421), enhanced code"
                        " (e.g. 5.7.1) or SMTP reply\n", input);
        rc = MC_EXIT_USAGE;
    } else if (json) {
        write_json(&x, out);
    } else {
        write_text(rules, &x, &lang, out);
    }
    matcher_free(&m);
    lang_free(&lang);
    return rc;
}

/* ---- compare ---------------------------------------------------------- */

static const char *retry_words(mc_class c)
{
    switch (c) {
    case CLASS_TRANSIENT: return "the sender keeps the message queued and retries later";
    case CLASS_PERMANENT: return "the sender stops and returns the message (a bounce)";
    case CLASS_SUCCESS: return "the command succeeded and the dialogue goes on";
    case CLASS_INTERMEDIATE: return "the server waits for more input from the client";
    default: return "the meaning depends on the reply";
    }
}

int compare_write(const mc_rules *rules, const char *a, const char *b, bool json, const char *lang_name, FILE *out)
{
    mc_lang lang;
    char err[512];
    if (!lang_load(&lang, rules->dir, lang_name, err, sizeof err)) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_USAGE;
    }
    mc_matcher m;
    matcher_init(&m);
    explained x[2];
    const char *in[2] = {a, b};
    int rc = MC_EXIT_OK;
    for (int i = 0; i < 2 && rc == MC_EXIT_OK; i++) {
        if (!understand(rules, &m, in[i], &x[i])) {
            fprintf(stderr, "mailcodes: compare: '%s' is not a known code\n", in[i]);
            rc = MC_EXIT_USAGE;
        }
    }
    if (rc == MC_EXIT_OK && json) {
        fputs("[", out);
        write_json(&x[0], out);
        fputs(",", out);
        write_json(&x[1], out);
        fputs("]\n", out);
    } else if (rc == MC_EXIT_OK) {
        const mc_code_info *r0 = main_record(&x[0]), *r1 = main_record(&x[1]);
        fprintf(out, "%s compared with %s\n\n", a, b);
        fprintf(out, "%s (%s) is %s; %s (%s) is %s. ", a, r0 ? r0->name : "?", class_words(x[0].klass),
                b, r1 ? r1->name : "?", class_words(x[1].klass));
        if (x[0].klass == x[1].klass)
            fprintf(out, "Both are of the same class, so a client treats them alike: %s; they differ"
                         " in what went wrong and what to fix.\n", retry_words(x[0].klass));
        else
            fprintf(out, "With %s %s; with %s %s.\n", a, retry_words(x[0].klass), b, retry_words(x[1].klass));
        for (int i = 0; i < 2; i++) {
            const mc_code_info *r = i ? r1 : r0;
            fprintf(out, "\n== %s %s (%s)\n", in[i], r ? r->name : "", class_words(x[i].klass));
            if (r) {
                section(out, lang_word(&lang, "description"), r->description);
                section(out, lang_word(&lang, "when"), r->when);
                section(out, lang_word(&lang, "fix"), r->fix);
            }
        }
        fprintf(out, "\n%s\n", lang_word(&lang, "differences"));
        int n = 1;
        if (x[0].klass != x[1].klass)
            fprintf(out, "  %d. Class: %s is %s, %s is %s: %s versus %s.\n", n++, a, class_words(x[0].klass),
                    b, class_words(x[1].klass), retry_words(x[0].klass), retry_words(x[1].klass));
        else
            fprintf(out, "  %d. Class: both are %s.\n", n++, class_words(x[0].klass));
        if (r0 && r1 && strcmp(r0->rfc, r1->rfc) != 0)
            fprintf(out, "  %d. Defined in: %s by %s; %s by %s.\n", n++, a, r0->rfc, b, r1->rfc);
        if (r0 && r1 && r0->hard != r1->hard)
            fprintf(out, "  %d. Address: %s says the address itself is dead; %s does not.\n", n++,
                    r0->hard ? a : b, r0->hard ? b : a);
        fprintf(out, "  %d. Meaning: %s means \"%s\"; %s means \"%s\".\n", n++, a, r0 ? r0->name : "?", b,
                r1 ? r1->name : "?");
        fprintf(out, "\n%s\n", lang_word(&lang, "which"));
        fprintf(out, "  A server answers %s when %s. It answers %s when %s.\n", a,
                r0 ? r0->name : "?", b, r1 ? r1->name : "?");
        if (x[0].klass != x[1].klass)
            fprintf(out, "  Choose the %s code only when %s.\n",
                    x[0].klass == CLASS_PERMANENT ? a : (x[1].klass == CLASS_PERMANENT ? b : a),
                    x[0].klass == CLASS_PERMANENT || x[1].klass == CLASS_PERMANENT
                        ? "retrying can never succeed; otherwise prefer the code that lets the sender retry"
                        : "its meaning fits the situation exactly");
    }
    matcher_free(&m);
    lang_free(&lang);
    return rc;
}
