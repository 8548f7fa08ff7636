/*
 * trace.c - mailcodes trace: the life of one message (Postfix queue id
 * within one host and instance, Exim message id) or every event for one
 * address, in log order, each reply decoded (class, reason, the code's
 * meaning from the knowledge), with the delays as logged.
 *
 * A line is parsed only when the target appears in it literally; for an
 * address also the lines that name an envelope sender (so the join by
 * message gives outbound events their sender as scan does) and those that
 * carry the queue id of a message from the address (its deliveries).  The
 * check only narrows what is parsed: matching is on the parsed fields.
 */
#include "trace.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "knowledge.h"
#include "lang.h"
#include "util.h"

/* The last status of one recipient, for the outcome. */
typedef struct {
    char *recipient;
    char *status;
    char when[48];
} outcome;

struct mc_trace {
    const mc_rules *rules;
    char *target;
    size_t target_len;
    bool address;      /* target has '@' */
    bool json;
    mc_lang lang;      /* the labels' language */
    FILE *out;
    mc_str line;       /* the raw line that passed the check (valid during its callbacks) */
    char *pin;         /* host '\n' instance of the first match of an id, or NULL */
    uint64_t matched;
    outcome *outcomes;
    size_t n_outcomes, cap_outcomes;
    char **ids;        /* address: queue ids of messages from it (open addressing) */
    size_t n_ids, cap_ids;
    mc_buf delays;     /* the delay fields of the line (scratch) */
    mc_str stored_delays; /* from the database: the delays kept with the event */
    bool from_db;      /* failures only: no outcome is drawn from them */
};

#define TRACE_MAX_IDS (1u << 20) /* messages from one address followed at most (flat memory) */
#define TRACE_ID_WORDS 8         /* the queue id is among a line's first words */

/* A fixed key: the set only narrows what is parsed, never an answer. */
static const uint64_t id_key[2] = {0x6d61696c636f6465u, 0x7472616365u};

/* What a fact line is called in the trace. */
static const char *const fact_names[FACT_COUNT] = {
    [FACT_RECEIVED] = "received",
    [FACT_GENERATED] = "generated",
    [FACT_QUEUED] = "queued",
    [FACT_MESSAGE_ID] = "header",
    [FACT_REMOVED] = "removed",
};

/* Lines that name an envelope sender, let through for the join by message
 * in an address trace (Postfix qmgr from=<, Exim <= arrivals). */
static const char *const sender_marks[] = {"from=<", " <= "};

/* The delay fields as the MTAs log them (Postfix, Exim). */
static const char *const delay_marks[] = {" delay=", " delays=", " QT=", " DT="};

mc_trace *trace_new(const mc_rules *rules, const char *target, bool json, const char *lang, FILE *out)
{
    mc_trace *t = mc_xcalloc(1, sizeof *t);
    char err[512];
    if (!lang_load(&t->lang, rules->dir, lang, err, sizeof err)) /* checked by the caller: English then */
        lang_load(&t->lang, rules->dir, NULL, err, sizeof err);
    t->rules = rules;
    t->target = mc_xstrdup(target);
    t->target_len = strlen(target);
    t->address = strchr(target, '@') != NULL;
    t->json = json;
    t->out = out;
    mc_buf_init(&t->delays);
    return t;
}

void trace_free(mc_trace *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_outcomes; i++) {
        free(t->outcomes[i].recipient);
        free(t->outcomes[i].status);
    }
    free(t->outcomes);
    for (size_t i = 0; i < t->cap_ids; i++)
        free(t->ids[i]);
    free(t->ids);
    free(t->pin);
    lang_free(&t->lang);
    free(t->target);
    mc_buf_free(&t->delays);
    free(t);
}

/* Whether needle occurs in hay, ASCII case ignored (addresses). */
static bool contains_nocase(mc_str hay, const char *needle, size_t n)
{
    if (n == 0 || hay.n < n)
        return false;
    char lo = (char)(*needle | 0x20), up = (char)(*needle & ~0x20);
    for (size_t i = 0; i + n <= hay.n; i++)
        if ((hay.p[i] == lo || hay.p[i] == up) && strncasecmp(hay.p + i, needle, n) == 0)
            return true;
    return false;
}

/* Whether s equals the target (addresses: case ignored). */
static bool is_target(const mc_trace *t, mc_str s)
{
    if (s.p == NULL || s.n != t->target_len)
        return false;
    return t->address ? strncasecmp(s.p, t->target, s.n) == 0 : memcmp(s.p, t->target, s.n) == 0;
}

/* The slot of id in the set: where it is, or the empty one it would take. */
static size_t id_slot(const mc_trace *t, const char *p, size_t n)
{
    size_t i = (size_t)mc_siphash13(id_key, p, n) & (t->cap_ids - 1);
    while (t->ids[i] && !(strlen(t->ids[i]) == n && memcmp(t->ids[i], p, n) == 0))
        i = (i + 1) & (t->cap_ids - 1);
    return i;
}

/* Adds a queue id of a message from the address (a full set adds no more). */
static void id_add(mc_trace *t, mc_str id)
{
    if (id.p == NULL || id.n == 0 || t->n_ids >= TRACE_MAX_IDS)
        return;
    if (2 * (t->n_ids + 1) > t->cap_ids) {
        size_t cap = t->cap_ids ? 2 * t->cap_ids : 64;
        char **old = t->ids;
        size_t old_cap = t->cap_ids;
        t->ids = mc_xcalloc(cap, sizeof *t->ids);
        t->cap_ids = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i])
                t->ids[id_slot(t, old[i], strlen(old[i]))] = old[i];
        free(old);
    }
    size_t i = id_slot(t, id.p, id.n);
    if (t->ids[i] == NULL) {
        t->ids[i] = mc_xstrndup(id.p, id.n);
        t->n_ids++;
    }
}

/* Whether one of the line's first words (a trailing ':' cut) is in the set. */
static bool names_known_id(const mc_trace *t, mc_str line)
{
    const char *p = line.p, *end = line.p + line.n;
    for (int w = 0; w < TRACE_ID_WORDS && p < end; w++) {
        while (p < end && *p == ' ')
            p++;
        const char *start = p;
        while (p < end && *p != ' ')
            p++;
        size_t n = (size_t)(p - start);
        if (n && start[n - 1] == ':')
            n--;
        if (n && t->ids[id_slot(t, start, n)])
            return true;
    }
    return false;
}

bool trace_line(mc_str line, void *ctx)
{
    mc_trace *t = ctx;
    t->line = line;
    if (t->address) {
        if (contains_nocase(line, t->target, t->target_len))
            return true;
        for (size_t i = 0; i < sizeof sender_marks / sizeof sender_marks[0]; i++)
            if (memmem(line.p, line.n, sender_marks[i], strlen(sender_marks[i])))
                return true;
        return t->n_ids && names_known_id(t, line);
    }
    return memmem(line.p, line.n, t->target, t->target_len) != NULL;
}

/* The MTA instance of a syslog tag: its first part (postfix, postfix-out). */
static size_t instance_len(mc_str program)
{
    const char *slash = program.p ? memchr(program.p, '/', program.n) : NULL;
    return slash ? (size_t)(slash - program.p) : program.n;
}

/* For an id: whether the line is of the host and instance the id was first
 * seen on (a queue id is unique only within one Postfix instance). */
static bool same_queue(mc_trace *t, mc_str host, mc_str program)
{
    size_t il = instance_len(program);
    mc_buf key;
    mc_buf_init(&key);
    mc_buf_add(&key, host.p ? host.p : "", host.n);
    mc_buf_addc(&key, '\n');
    mc_buf_add(&key, program.p ? program.p : "", il);
    mc_buf_addc(&key, '\0');
    bool same;
    if (t->pin == NULL) {
        t->pin = mc_xstrdup(key.data);
        same = true;
    } else {
        same = strcmp(t->pin, key.data) == 0;
    }
    mc_buf_free(&key);
    return same;
}

/* Writes "name=value" with the value made safe, when it is there. */
static void field(FILE *out, const char *name, mc_str v)
{
    if (v.p == NULL)
        return;
    fprintf(out, " %s=", name);
    mc_text_safe(out, v.p, v.n);
}

/* Writes the envelope sender, the null sender as <>. */
static void from_field(FILE *out, mc_str v)
{
    if (v.p == NULL || v.n == 0)
        fputs(" from=<>", out);
    else
        field(out, "from", v);
}

/* The head of a trace line: time, host, program, queue id. */
static void head(FILE *out, const mc_time *tm, mc_str host, mc_str program, mc_str id)
{
    char when[48];
    mc_time_format(tm, when, sizeof when);
    fputs(when, out);
    fputc(' ', out);
    mc_text_safe(out, host.p ? host.p : "-", host.p ? host.n : 1);
    fputc(' ', out);
    mc_text_safe(out, program.p ? program.p : "-", program.p ? program.n : 1);
    fputc(' ', out);
    mc_text_safe(out, id.p ? id.p : "-", id.p ? id.n : 1);
}

void trace_fact(const mc_fact *f, void *ctx)
{
    mc_trace *t = ctx;
    if (t->address ? !(f->has_sender && is_target(t, f->sender))
                   : !(is_target(t, f->queue_id) && same_queue(t, f->host, f->program)))
        return;
    if (t->address)
        id_add(t, f->queue_id);
    t->matched++;
    if (t->json)
        return;
    head(t->out, &f->time, f->host, f->program, f->queue_id);
    fprintf(t->out, " %s", fact_names[f->kind] ? fact_names[f->kind] : "fact");
    field(t->out, "client", f->client);
    if (f->has_sender)
        from_field(t->out, f->sender);
    if (f->size >= 0)
        fprintf(t->out, " size=%lld", (long long)f->size);
    field(t->out, "message-id", f->message_id);
    fputc('\n', t->out);
}

/* The one-line meaning of the event's code: the enhanced code's name, else
 * the basic code's; NULL when the knowledge has neither. */
static const char *meaning(const mc_trace *t, const mc_event *ev)
{
    const mc_knowledge *k = &t->rules->knowledge;
    const mc_code_info *ci = ev->enhanced[0] ? knowledge_enhanced(k, ev->enhanced) : NULL;
    if (ci == NULL && ev->code[0])
        ci = knowledge_code(k, ev->code);
    return ci ? ci->name : NULL;
}

/* The value of a field of a line (" delay=" -> "12"), or null. */
static mc_str mark_value(mc_str line, const char *mark)
{
    size_t ml = strlen(mark);
    const char *p = line.p ? memmem(line.p, line.n, mark, ml) : NULL;
    if (p == NULL)
        return MC_STR_NULL;
    const char *end = line.p + line.n, *v = p + ml, *e = v;
    while (e < end && *e != ',' && *e != ' ')
        e++;
    return mc_str_make(v, (size_t)(e - v));
}

/* The delay fields of the raw line as logged, each after a space, into b:
 * each mark's first place in the line, as mark_value finds it.  Every mark
 * ends with '=', so one pass over the line's '='s finds them all (a
 * failure line holds a handful), instead of a search of the whole line
 * per mark: a third of recording a failure event. */
static void delays_of(mc_buf *b, mc_str line)
{
    enum { N_MARKS = sizeof delay_marks / sizeof delay_marks[0] };
    mc_buf_reset(b);
    if (line.p == NULL)
        return;
    size_t mark_len[N_MARKS];
    for (size_t i = 0; i < N_MARKS; i++)
        mark_len[i] = strlen(delay_marks[i]);
    const char *at[N_MARKS] = {NULL}; /* where each mark's value starts */
    size_t left = N_MARKS;
    const char *end = line.p + line.n;
    for (const char *p = line.p; left > 0 && p < end; p++) {
        p = memchr(p, '=', (size_t)(end - p));
        if (p == NULL)
            break;
        size_t before = (size_t)(p + 1 - line.p);
        for (size_t i = 0; i < N_MARKS; i++)
            if (at[i] == NULL && before >= mark_len[i] && memcmp(p + 1 - mark_len[i], delay_marks[i], mark_len[i]) == 0) {
                at[i] = p + 1;
                left--;
            }
    }
    for (size_t i = 0; i < N_MARKS; i++) {
        if (at[i] == NULL)
            continue;
        const char *e = at[i];
        while (e < end && *e != ',' && *e != ' ')
            e++;
        mc_buf_add(b, delay_marks[i], mark_len[i]);
        mc_buf_add(b, at[i], (size_t)(e - at[i]));
    }
}

/* Remembers the recipient's latest status for the outcome. */
static void note_outcome(mc_trace *t, const mc_event *ev)
{
    if (ev->recipient.p == NULL || ev->status.p == NULL)
        return;
    outcome *o = NULL;
    for (size_t i = 0; i < t->n_outcomes && !o; i++)
        if (strlen(t->outcomes[i].recipient) == ev->recipient.n &&
            memcmp(t->outcomes[i].recipient, ev->recipient.p, ev->recipient.n) == 0)
            o = &t->outcomes[i];
    if (o == NULL) {
        if (t->n_outcomes == t->cap_outcomes) {
            t->cap_outcomes = t->cap_outcomes ? 2 * t->cap_outcomes : 8;
            t->outcomes = mc_xrealloc(t->outcomes, t->cap_outcomes * sizeof *t->outcomes);
        }
        o = &t->outcomes[t->n_outcomes++];
        o->recipient = mc_xstrndup(ev->recipient.p, ev->recipient.n);
        o->status = NULL;
    }
    free(o->status);
    o->status = mc_xstrndup(ev->status.p, ev->status.n);
    mc_time_format(&ev->time, o->when, sizeof o->when);
}

void trace_event(const mc_event *ev, void *ctx)
{
    mc_trace *t = ctx;
    if (t->address ? !(is_target(t, ev->recipient) || is_target(t, ev->sender))
                   : !(is_target(t, ev->queue_id) && same_queue(t, ev->host, ev->program)))
        return;
    t->matched++;
    if (t->json) {
        mc_event_json(t->out, ev);
        return;
    }
    FILE *out = t->out;
    head(out, &ev->time, ev->host, ev->program, ev->queue_id);
    fputc(' ', out);
    mc_text_safe(out, ev->status.p, ev->status.n);
    field(out, "to", ev->recipient);
    if (ev->sender.p)
        from_field(out, ev->sender);
    field(out, "relay", ev->relay);
    field(out, "client", ev->client);
    if (t->stored_delays.p)
        mc_text_safe(out, t->stored_delays.p, t->stored_delays.n);
    else {
        delays_of(&t->delays, t->line);
        mc_text_safe(out, t->delays.data, t->delays.len);
    }
    fputc('\n', out);
    /* The class names are their own keys in rules/lang. */
    fprintf(out, "    %s %s %s", ev->code[0] ? ev->code : "-", ev->enhanced[0] ? ev->enhanced : "-",
            lang_word(&t->lang, mc_class_name(ev->klass)));
    if (ev->reason) {
        fprintf(out, " %s", ev->reason);
        if (ev->reason_detail.p) {
            fputs(" (", out);
            mc_text_safe(out, ev->reason_detail.p, ev->reason_detail.n);
            fputc(')', out);
        }
    }
    const char *m = meaning(t, ev);
    if (m)
        fprintf(out, ": %s", m);
    fputc('\n', out);
    /* The remote's reply; else what the MTA said (Exim's routing errors). */
    mc_str said = ev->reply.p ? ev->reply : ev->text;
    if (said.p && said.n) {
        fprintf(out, "    %s ", lang_word(&t->lang, ev->reply.p ? "trace_reply" : "trace_text"));
        mc_text_safe(out, said.p, said.n);
        fputc('\n', out);
    }
    note_outcome(t, ev);
}

/* A delivery status in the reader's language (a status the MTA logged that
 * is none of the five stays as logged). */
static const char *status_word(const mc_lang *l, const char *status)
{
    static const char *const statuses[] = {LK("sent"), LK("deferred"), LK("bounced"), LK("expired"),
                                           LK("rejected")};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(status, statuses[i]) == 0)
            return lang_word(l, statuses[i]);
    return status;
}

uint64_t trace_finish(mc_trace *t)
{
    if (!t->json && !t->address && !t->from_db)
        for (size_t i = 0; i < t->n_outcomes; i++) {
            fprintf(t->out, "%s ", lang_word(&t->lang, "trace_outcome"));
            mc_text_safe(t->out, t->outcomes[i].recipient, strlen(t->outcomes[i].recipient));
            fputc(' ', t->out);
            const char *status = status_word(&t->lang, t->outcomes[i].status);
            mc_text_safe(t->out, status, strlen(status));
            fprintf(t->out, " %s %s\n", lang_word(&t->lang, "trace_at"), t->outcomes[i].when);
        }
    return t->matched;
}

/* ---- the database part: failure events kept by ingest ----------------- */

struct mc_trace_recorder {
    mc_store *store;
    mc_str line;   /* the line being parsed (valid during its callbacks) */
    mc_buf delays;
};

/* The statuses of a success; any other, or a failure class, is a failure. */
static const char *const success_statuses[] = {"sent", "accepted"};

/* Whether ingest keeps the event for trace: a failure, not a success. */
static bool is_failure(const mc_event *ev)
{
    if (ev->klass == CLASS_TRANSIENT || ev->klass == CLASS_PERMANENT)
        return true;
    for (size_t i = 0; i < sizeof success_statuses / sizeof success_statuses[0]; i++)
        if (ev->status.p && mc_str_eq(ev->status, success_statuses[i]))
            return false;
    return true;
}

mc_trace_recorder *trace_recorder_new(mc_store *store)
{
    mc_trace_recorder *r = mc_xcalloc(1, sizeof *r);
    r->store = store;
    mc_buf_init(&r->delays);
    return r;
}

void trace_recorder_free(mc_trace_recorder *r)
{
    if (r == NULL)
        return;
    mc_buf_free(&r->delays);
    free(r);
}

bool trace_record_line(mc_str line, void *ctx)
{
    ((mc_trace_recorder *)ctx)->line = line;
    return true;
}

void trace_record_event(const mc_event *ev, void *ctx)
{
    mc_trace_recorder *r = ctx;
    if (!is_failure(ev))
        return;
    delays_of(&r->delays, r->line);
    store_failure_add(r->store, ev, mc_str_make(r->delays.data, r->delays.len));
}

/* store_failures callback: one kept event, printed as from a file. */
static bool db_event(const mc_event *ev, mc_str delays, void *ctx)
{
    mc_trace *t = ctx;
    t->stored_delays = delays.p ? delays : mc_str_make("", 0);
    /* The event's delay fields from the kept ones, so that its JSON is the
     * object the file gives: Postfix delay= delays=, Exim QT= DT=. */
    mc_event e = *ev;
    e.delay = mark_value(t->stored_delays, " delay=");
    if (e.delay.p == NULL)
        e.delay = mark_value(t->stored_delays, " QT=");
    e.delays = mark_value(t->stored_delays, " delays=");
    e.transfer = mark_value(t->stored_delays, " DT=");
    trace_event(&e, t);
    return true;
}

bool trace_from_store(mc_trace *t, mc_store *s, const mc_window *w, char *err, size_t errlen)
{
    t->from_db = true;
    return store_failures(s, w, t->target, t->address, db_event, t, err, errlen);
}
