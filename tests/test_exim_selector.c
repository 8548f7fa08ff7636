/*
 * test_exim_selector.c - Exim 4.96 as it really writes its log under every
 * log_selector option, and the parser's work budget.
 *
 * tests/data/exim-runs holds one mainlog per option (made by a real Exim
 * with tests/mta-runs/exim: see its README), plus default, +all, -all and
 * exim -d; next to each log, what the two other sides of every SMTP
 * exchange recorded: the sink Exim delivered to (<run>.sink.tsv.gz: the
 * reply it gave each recipient) and the clients that sent to Exim
 * (<run>.client.tsv.gz: the reply Exim gave each of them).  Every event must
 * carry exactly what those records say, every record must show up as an
 * event, and no outcome-marker line may be unrecognised.
 *
 * The budget tests feed every Exim rule family near-misses built to make a
 * backtracking pattern explode, and check that each line costs little
 * work; a pattern that does explode has its line skipped, not a hang.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "reader.h"
#include "testutil.h"

#define RUNS MC_TESTS_DIR "/data/exim-runs/"

/* Exim 4.96's log_selector options (its specification, chapter "Log files",
 * section "Reducing or increasing what is logged"; rejected_headers is an
 * alias of rejected_header), and the runs that are not one option: no
 * log_selector, +all, -all, exim -d, and +all with a queue run right after
 * a deferral (retry time not reached). */
static const char *const runs[] = {
    "default", "all", "none", "debug", "retry",
    "8bitmime", "acl_warn_skipped", "address_rewrite", "all_parents", "arguments",
    "connection_reject", "delay_delivery", "deliver_time", "delivery_size", "dkim",
    "dkim_verbose", "dnslist_defer", "dnssec", "etrn", "host_lookup_failed", "ident_timeout",
    "incoming_interface", "incoming_port", "lost_incoming_connection", "millisec", "msg_id",
    "msg_id_created", "outgoing_interface", "outgoing_port", "pid", "pipelining", "proxy",
    "queue_run", "queue_time", "queue_time_exclusive", "queue_time_overall", "receive_time",
    "received_recipients", "received_sender", "rejected_header", "retry_defer",
    "return_path_on_delivery", "sender_on_delivery", "sender_verify_fail", "size_reject",
    "skip_delivery", "smtp_confirmation", "smtp_connection", "smtp_incomplete_transaction",
    "smtp_mailauth", "smtp_no_mail", "smtp_protocol_error", "smtp_syntax_error", "subject",
    "tls_certificate_verified", "tls_cipher", "tls_peerdn", "tls_resumption", "tls_sni",
    "unknown_in_list",
};

/* The options on by default (and -all).  Their run is "-all +option"
 * (run.sh), so the other default options are off in it: smtp_confirmation's
 * C="250 ...", connection_reject's and size_reject's lines. */
static const char *const default_on[] = {
    "acl_warn_skipped", "connection_reject", "delay_delivery", "dkim", "dnslist_defer", "etrn",
    "host_lookup_failed", "lost_incoming_connection", "msg_id", "rejected_header", "retry_defer",
    "sender_verify_fail", "size_reject", "skip_delivery", "smtp_confirmation",
    "tls_certificate_verified", "tls_cipher", "none",
};

/* One reply a side recorded: who got it (recipient, or client address),
 * the stage, the reply's codes and the address of the command. */
typedef struct {
    char key[128];
    char stage[16];
    char code[4];
    char enhanced[12];
    char address[128];
    bool sync;      /* a synchronization error, not the connect ACL */
    bool too_big;   /* message_size_limit: logged under size_reject */
    bool seen;
} record;

typedef struct {
    record *v;
    size_t n;
} records;

/* Splits a tab-separated line into at most max fields (in place). */
static size_t split_tabs(char *s, char **f, size_t max)
{
    size_t n = 0;
    f[n++] = s;
    for (char *p = s; *p && n < max; p++)
        if (*p == '\t') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

/* The basic and enhanced codes of a reply as the peer wrote it: "452 4.2.2
 * ...", "550-5.7.1 ...\n550 ..." (the first line's). */
static void reply_codes(const char *reply, char *code, char *enhanced)
{
    code[0] = enhanced[0] = '\0';
    if (strlen(reply) < 3 || reply[0] < '2' || reply[0] > '5')
        return;
    memcpy(code, reply, 3);
    code[3] = '\0';
    const char *e = reply + 3;
    if (*e != ' ' && *e != '-')
        return;
    e++;
    int a, b, c, used = 0;
    if (sscanf(e, "%1d.%3d.%3d%n", &a, &b, &c, &used) == 3 && (e[used] == ' ' || e[used] == '\0') &&
        (a == 2 || a == 4 || a == 5) && used < 12) {
        memcpy(enhanced, e, (size_t)used);
        enhanced[used] = '\0';
    }
}

static record *find_record(records *rs, mc_str key)
{
    for (size_t i = 0; i < rs->n; i++)
        if (key.p && strlen(rs->v[i].key) == key.n && memcmp(rs->v[i].key, key.p, key.n) == 0)
            return &rs->v[i];
    return NULL;
}

/* Reads a side file (gzip) of records. */
static records read_records(const char *path)
{
    records rs = {0};
    char err[256];
    mc_reader *r = reader_open(path, err, sizeof err);
    ck_assert_msg(r != NULL, "%s: %s", path, err);
    mc_str line;
    while (reader_next(r, &line) == 1) {
        char buf[2048];
        ck_assert(line.n < sizeof buf);
        memcpy(buf, line.p, line.n);
        buf[line.n] = '\0';
        char *f[4];
        size_t n = split_tabs(buf, f, 4);
        ck_assert_msg(n >= 3, "%s: short record '%s'", path, buf);
        record new = {0}, *rec = &new;
        snprintf(rec->key, sizeof rec->key, "%s", f[0]);
        /* the sink says "data" for its reply after the end of data */
        snprintf(rec->stage, sizeof rec->stage, "%s", strcmp(f[1], "data") == 0 ? "end-of-data" : f[1]);
        reply_codes(f[2], rec->code, rec->enhanced);
        rec->sync = strstr(f[2], "synchronization") != NULL;
        rec->too_big = strstr(f[2], "size exceeds") != NULL;
        if (n == 4)
            snprintf(rec->address, sizeof rec->address, "%s", f[3]);
        /* A recipient retried gets the same reply again: one record. */
        record *old = find_record(&rs, mc_str_cstr(rec->key));
        if (old != NULL) {
            ck_assert_msg(strcmp(old->code, rec->code) == 0 && strcmp(old->stage, rec->stage) == 0,
                          "%s: %s answered two ways", path, rec->key);
            continue;
        }
        rs.v = realloc(rs.v, (rs.n + 1) * sizeof *rs.v);
        ck_assert(rs.v != NULL);
        rs.v[rs.n++] = new;
    }
    reader_close(r);
    return rs;
}

static bool in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

static bool view_eq(mc_str v, const char *s)
{
    return v.p != NULL && v.n == strlen(s) && memcmp(v.p, s, v.n) == 0;
}

/* The client's address inside "(helo) [ip]". */
static mc_str client_ip(mc_str client)
{
    if (client.p == NULL || client.n < 2 || client.p[client.n - 1] != ']')
        return MC_STR_NULL;
    for (size_t i = client.n - 1; i > 0; i--)
        if (client.p[i - 1] == '[')
            return mc_str_make(client.p + i, client.n - 1 - i);
    return MC_STR_NULL;
}

/* An outbound event against what the sink answered its recipient. */
static void check_outbound(const char *run, const char *line, const mc_event *ev, records *sink,
                           bool confirmation)
{
    /* the local delivery (router local_user, appendfile): no SMTP at all */
    if (view_eq(ev->recipient, "user@mx.test")) {
        ck_assert_msg(strcmp(ev->status.p, "sent") == 0 && ev->code[0] == '\0' && ev->relay.p == NULL,
                      "%s: local delivery: %s", run, line);
        return;
    }
    record *rec = find_record(sink, ev->recipient);
    ck_assert_msg(rec != NULL, "%s: event for a recipient the sink never answered: %s", run, line);
    rec->seen = true;
    const char *at = strchr(rec->key, '@');
    ck_assert_str_eq(ev->domain, at + 1);
    ck_assert_ptr_null(ev->client.p);
    if (strstr(line, "retry timeout exceeded") != NULL) {
        /* Exim's own verdict after the retry rule's cutoff: no reply */
        ck_assert_msg(view_eq(ev->status, "bounced") && ev->code[0] == '\0', "%s: expiry: %s", run, line);
        return;
    }
    /* H=127.0.0.1 [127.0.0.1], with :port under +outgoing_port */
    const char *relay = "127.0.0.1 [127.0.0.1]";
    ck_assert_msg(ev->relay.p && ev->relay.n >= strlen(relay) && memcmp(ev->relay.p, relay, strlen(relay)) == 0 &&
                      (ev->relay.n == strlen(relay) || ev->relay.p[strlen(relay)] == ':'),
                  "%s: relay '%.*s': %s", run, (int)ev->relay.n, ev->relay.p, line);
    static const char *const by_class[] = {['2'] = "sent", ['4'] = "deferred", ['5'] = "bounced"};
    ck_assert_msg(view_eq(ev->status, by_class[(int)rec->code[0]]), "%s: status '%.*s', sink said %s: %s",
                  run, (int)ev->status.n, ev->status.p, rec->code, line);
    if (rec->code[0] == '2' && !confirmation) {
        /* no C="..." without smtp_confirmation: no code, no stage */
        ck_assert_msg(ev->code[0] == '\0' && ev->stage == NULL, "%s: %s", run, line);
        return;
    }
    ck_assert_msg(strcmp(ev->code, rec->code) == 0, "%s: code %s, sink said %s: %s", run, ev->code,
                  rec->code, line);
    ck_assert_msg(strcmp(ev->enhanced, rec->enhanced) == 0, "%s: enhanced '%s', sink said '%s': %s", run,
                  ev->enhanced, rec->enhanced, line);
    ck_assert_msg(ev->stage && strcmp(ev->stage, rec->stage) == 0, "%s: stage %s, sink replied at %s: %s",
                  run, ev->stage ? ev->stage : "(none)", rec->stage, line);
    ck_assert(!ev->inferred);
}

/* An inbound event against the reply the client got from Exim. */
static void check_inbound(const char *run, const char *line, const mc_event *ev, records *client)
{
    record *rec = find_record(client, client_ip(ev->client));
    ck_assert_msg(rec != NULL, "%s: rejection of a client that recorded none: %s", run, line);
    rec->seen = true;
    ck_assert_msg(view_eq(ev->status, "rejected"), "%s: %s", run, line);
    ck_assert_msg(strcmp(ev->code, rec->code) == 0, "%s: code %s, the client got %s: %s", run, ev->code,
                  rec->code, line);
    ck_assert_msg(strcmp(ev->enhanced, rec->enhanced) == 0, "%s: enhanced '%s', the client got '%s': %s",
                  run, ev->enhanced, rec->enhanced, line);
    ck_assert_msg(ev->stage && strcmp(ev->stage, rec->stage) == 0, "%s: stage %s, the client was at %s: %s",
                  run, ev->stage ? ev->stage : "(none)", rec->stage, line);
    /* client.py greets with EHLO client.test, except at connect and in the
     * bad-HELO scenario */
    char want[192];
    snprintf(want, sizeof want, "%s[%s]",
             strcmp(rec->stage, "connect") == 0 ? ""
             : strcmp(rec->stage, "helo") == 0  ? "(bad.helo.test) "
                                                : "(client.test) ",
             rec->key);
    ck_assert_msg(view_eq(ev->client, want), "%s: client '%.*s', want '%s': %s", run, (int)ev->client.n,
                  ev->client.p, want, line);
    if (rec->address[0] && strcmp(rec->stage, "rcpt") == 0)
        ck_assert_msg(view_eq(ev->recipient, rec->address), "%s: recipient: %s", run, line);
    if (rec->address[0] && strcmp(rec->stage, "mail") == 0)
        ck_assert_msg(view_eq(ev->sender, rec->address), "%s: sender: %s", run, line);
    ck_assert_ptr_null(ev->relay.p);
}

static bool has_marker(const mc_mta_rules *m, mc_str line)
{
    for (size_t i = 0; i < m->n_markers; i++)
        if (memmem(line.p, line.n, m->markers[i], strlen(m->markers[i])) != NULL)
            return true;
    return false;
}

static const mc_mta_rules *exim_rules(void)
{
    const mc_parse_rules *pr = &test_rules()->parse;
    for (size_t i = 0; i < pr->n_mtas; i++)
        if (strcmp(pr->mtas[i].name, "exim") == 0)
            return &pr->mtas[i];
    ck_abort_msg("no exim rules");
    return NULL;
}

/* Whether Exim logs the rejection a client recorded under run's selector:
 * not a 2xx (no rejection at all); the connect ACL's only with
 * connection_reject, a message too big only with size_reject (both on by
 * default, so off in the "-all +option" runs). */
static bool logged(const char *run, const record *rec)
{
    if (rec->code[0] == '2' || rec->code[0] == '\0')
        return false;
    const char *needs = strcmp(rec->stage, "connect") == 0 && !rec->sync ? "connection_reject"
                        : rec->too_big                                   ? "size_reject"
                                                                         : NULL;
    return needs == NULL || strcmp(run, needs) == 0 ||
           !in_list(run, default_on, sizeof default_on / sizeof default_on[0]);
}

/* One run: every line of its log, every record of its side files. */
START_TEST(test_run_log)
{
    const char *run = runs[_i];
    char path[512];
    snprintf(path, sizeof path, RUNS "%s.sink.tsv.gz", run);
    records sink = read_records(path);
    snprintf(path, sizeof path, RUNS "%s.client.tsv.gz", run);
    records client = read_records(path);
    bool confirmation = !in_list(run, default_on, sizeof default_on / sizeof default_on[0]) ||
                        strcmp(run, "smtp_confirmation") == 0;

    mc_parser p;
    parser_init(&p, &test_rules()->parse);
    year_ctx_init(&p.years, 2026, 11, 28);
    snprintf(path, sizeof path, RUNS "%s.log.gz", run);
    char err[256];
    mc_reader *r = reader_open(path, err, sizeof err);
    ck_assert_msg(r != NULL, "%s: %s", path, err);
    mc_str line;
    size_t marked = 0, unrecognised = 0, events = 0, retry_skips = 0;
    while (reader_next(r, &line) == 1) {
        char buf[8192];
        size_t n = line.n < sizeof buf - 1 ? line.n : sizeof buf - 1;
        memcpy(buf, line.p, n);
        buf[n] = '\0';
        mc_event ev;
        mc_parse_result pr = parser_line(&p, line, &ev);
        ck_assert_msg(pr != PARSE_SKIPPED, "%s: over the work budget: %s", run, buf);
        /* a real line: every pattern finishes within its first limit */
        ck_assert_msg(p.line_work == 0, "%s: %llu units of work: %s", run, (unsigned long long)p.line_work, buf);
        /* "retry time not reached" lines: counted apart, not outcomes */
        if (strstr(buf, "retry time not reached") != NULL) {
            ck_assert_msg(pr == PARSE_RETRY_SKIP, "%s: not a retry skip: %s", run, buf);
            retry_skips++;
        }
        if (has_marker(exim_rules(), line)) {
            marked++;
            if (pr == PARSE_UNRECOGNISED) {
                unrecognised++;
                fprintf(stderr, "%s: unrecognised: %s\n", run, buf);
            }
        }
        if (pr != PARSE_EVENT)
            continue;
        events++;
        ck_assert_msg(strcmp(ev.mta, "exim") == 0, "%s: %s", run, buf);
        /* local (a delivery on this host, the report's own section) is outbound mail */
        if (strcmp(ev.direction, "inbound") != 0)
            check_outbound(run, buf, &ev, &sink, confirmation);
        else
            check_inbound(run, buf, &ev, &client);
    }
    reader_close(r);
    parser_free(&p);
    ck_assert_msg(unrecognised * 1000 < marked, "%s: %zu of %zu outcome-marker lines unrecognised", run,
                  unrecognised, marked);
    /* Nothing silently dropped: every reply the sink gave is an event, and
     * every rejection a client got (not a 2xx) */
    for (size_t i = 0; i < sink.n; i++)
        ck_assert_msg(sink.v[i].seen, "%s: the sink answered %s (%s), no event", run, sink.v[i].key,
                      sink.v[i].code);
    for (size_t i = 0; i < client.n; i++)
        ck_assert_msg(client.v[i].seen || !logged(run, &client.v[i]), "%s: client %s got %s, no event", run,
                      client.v[i].key, client.v[i].code);
    ck_assert_msg(events > 20, "%s: only %zu events", run, events);
    /* the retry run queues at once after a deferral (run.sh) */
    if (strcmp(run, "retry") == 0)
        ck_assert_msg(retry_skips > 0, "%s: no retry skip", run);
    free(sink.v);
    free(client.v);
}
END_TEST

/* The reject log: each rejection again, then the header dump. */
START_TEST(test_rejectlog)
{
    mc_parser p;
    parser_init(&p, &test_rules()->parse);
    year_ctx_init(&p.years, 2026, 11, 28);
    char err[256];
    mc_reader *r = reader_open(RUNS "default.rejectlog.gz", err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    mc_str line;
    size_t events = 0;
    while (reader_next(r, &line) == 1) {
        mc_event ev;
        mc_parse_result pr = parser_line(&p, line, &ev);
        ck_assert_msg(pr == PARSE_EVENT || pr == PARSE_NOTHING, "%.*s", (int)line.n, line.p);
        if (pr == PARSE_EVENT) {
            events++;
            ck_assert_msg(view_eq(ev.status, "rejected"), "%.*s", (int)line.n, line.p);
        }
    }
    reader_close(r);
    parser_free(&p);
    /* the after-DATA rejections: the only ones with a header to dump */
    ck_assert_uint_ge(events, 3);
}
END_TEST

/* ---- the work budget ------------------------------------------------- */

/* A hostile line: head, then unit count times, then tail. */
typedef struct {
    const char *family, *head, *unit;
    int count;
    const char *tail;
} hostile;

#define ACL_HEAD "2026-11-23 12:00:00 H=(x.test) [192.0.2.1] "
#define ID "1xXPe0-0004rJ-0d"

static const hostile hostiles[] = {
    /* the ACL rules' field runs: a="" read two ways; unterminated quotes */
    {"acl-rcpt", ACL_HEAD, "a=\"\" ", 120, "F=<s@x.test> rejected RCPTx"},
    {"acl-rcpt-temp", ACL_HEAD, "a=\"\" ", 120, "F=<s@x.test> temporarily rejected RCPT <r@x.test"},
    {"acl-mail", ACL_HEAD, "a=\"x ", 120, "rejected MAIL <s@x.test"},
    {"acl-mail-temp", ACL_HEAD, "F=<s@x.test> ", 300, "temporarily rejected MAILx"},
    {"acl-predata", ACL_HEAD, "a=\"\" ", 120, "rejected DATAx"},
    {"acl-data", ACL_HEAD, "a=\"\" ", 120, "F=<s> rejected after DATAx"},
    {"acl-data-temp", ACL_HEAD, "ab=\"\" ", 120, "temporarily rejected during MIME ACL checksx"},
    {"acl-connect", ACL_HEAD, "a=\"\" ", 120, "rejected connectionx"},
    {"acl-helo", ACL_HEAD, "X=y ", 3000, "rejected EHLO or HELOx"},
    {"acl-auth", ACL_HEAD, "a=\"\" ", 120, "temporarily rejected AUTHx"},
    {"acl-etrn", ACL_HEAD, "a=\"\" ", 120, "rejected ETRNx"},
    {"acl-expn", ACL_HEAD, "a=\"", 300, "rejected EXPNx"},
    {"acl-vrfy", ACL_HEAD, "a=\"\" ", 120, "temporarily rejected VRFYx"},
    {"acl-starttls", ACL_HEAD, "a=\"\" ", 120, "rejected STARTTLSx"},
    {"acl-other", ACL_HEAD, "a=\"\" b=\"\" ", 80, "rejected 1"},
    {"acl-drop", ACL_HEAD, "a=\"\" ", 120, "dropped by 'x"},
    {"acl-other-temp", "2026-11-23 12:00:00 ", "a=\"\" ", 150, "temporarily rejected"},
    /* outbound: long runs of fields after the address */
    {"delivery", "2026-11-23 12:00:00 " ID " => r@x.test", " C=\"", 2000, ""},
    {"deferral", "2026-11-23 12:00:00 " ID " == r@x.test R=r T=t defer (-44)", " X=a:", 3000, "x"},
    {"deferral-host", "2026-11-23 12:00:00 " ID " == r@x.test", ": host h [1.2.3.4]", 2000, " defer"},
    {"bounce", "2026-11-23 12:00:00 " ID " ** r@x.test", " F=<a> H=h [1.2.3.4]", 1500, ": "},
    {"retry-skip", "2026-11-23 12:00:00 " ID " == r@x.test", " defer (-53)", 2000, ": retry"},
    /* inbound fixed replies */
    {"auth-failed", "2026-11-23 12:00:00 plain authenticator failed for (x) [192.0.2.1]", " X=a:", 3000, "x"},
    {"dropped", "2026-11-23 12:00:00 SMTP call from (x) [192.0.2.1]", " X=a", 3000, " droppedx"},
    {"sync", "2026-11-23 12:00:00 SMTP protocol synchronization error (x): rejected \"", "\" H=", 2000, "x"},
    {"helo-syntax", "2026-11-23 12:00:00 rejected EHLO from (x) [192.0.2.1]", " I=[1.2.3.4]:25:", 2000, "x"},
    {"rejected-from", "2026-11-23 12:00:00 " ID " rejected from <s@x.test>", " H=(x) [1.2.3.4]", 1500, "x"},
    /* exim -d output: no envelope */
    {"debug", "12345   H=(x.test) [192.0.2.1] ", "a=\"\" ", 200, "rejected RCPTx"},
    /* a syslog envelope around the same */
    {"syslog", "Nov 23 12:00:00 mx exim[1]: 2026-11-23 12:00:00 H=(x) [192.0.2.1] ", "a=\"\" ", 120,
     "rejected RCPTx"},
};

static char *build_hostile(const hostile *h)
{
    size_t n = strlen(h->head) + strlen(h->unit) * (size_t)h->count + strlen(h->tail) + 1;
    char *s = malloc(n);
    ck_assert(s != NULL);
    char *p = stpcpy(s, h->head);
    for (int i = 0; i < h->count; i++)
        p = stpcpy(p, h->unit);
    strcpy(p, h->tail);
    return s;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each near-miss costs a small share of the budget: no pattern explodes. */
START_TEST(test_hostile_line)
{
    const hostile *h = &hostiles[_i];
    char *line = build_hostile(h);
    mc_parser p;
    parser_init(&p, &test_rules()->parse);
    year_ctx_init(&p.years, 2026, 11, 23);
    mc_event ev;
    double t0 = now_s();
    mc_parse_result r = parser_line(&p, mc_str_cstr(line), &ev);
    double took = now_s() - t0;
    ck_assert_msg(r != PARSE_SKIPPED, "%s: budget spent (%zu bytes)", h->family, strlen(line));
    /* A line whose patterns all finish within their first limit is charged
     * nothing; the old field runs were charged the whole budget. */
    ck_assert_msg(p.line_work <= MC_LINE_BUDGET / 16, "%s: %llu units of work (%zu bytes)", h->family,
                  (unsigned long long)p.line_work, strlen(line));
    /* generous: under ASan on a loaded machine; the old patterns took ~0.5 s */
    ck_assert_msg(took < 0.25, "%s: %.3f s", h->family, took);
    parser_free(&p);
    free(line);
}
END_TEST

/* The real lines of the families above still parse, with long field runs. */
START_TEST(test_real_lines_still_parse)
{
    static const struct {
        const char *line, *recipient, *code, *status;
    } real[] = {
        {"2026-11-23 12:00:00 H=(client.test) [127.0.0.10]:42417 I=[127.0.0.1]:2635 a=\"\" b=\"x y\" "
         "F=<sender@client.test> SPF=fail rejected RCPT <rnouser-1@mx.test>: 550 5.1.1 <rnouser-1@mx.test>: "
         "User unknown",
         "rnouser-1@mx.test", "550", "rejected"},
        {"2026-11-23 12:00:00 H=(client.test) [127.0.0.12]:46557 I=[127.0.0.1]:2635 F=<sender@client.test> "
         "temporarily rejected RCPT <rgrey-1@mx.test>: 450 4.2.0 Greylisted, try again later",
         "rgrey-1@mx.test", "450", "rejected"},
        {"2026-11-28 21:09:33.649 [27977] 1xXPfp-0007H6-0O == busy-1@charlie.test R=sink_route T=sink_smtp "
         "defer (-44) H=127.0.0.1 [127.0.0.1]:2636 I=[127.0.0.1]:60952 DT=0.000s: SMTP error from remote "
         "mail server after RCPT TO:<busy-1@charlie.test>: 450 Mailbox busy, try again later",
         "busy-1@charlie.test", "450", "deferred"},
        {"2026-11-28 21:09:31.830 [27871] 1xXPfn-0007FK-1a == ok-1@alpha.test R=sink_route T=sink_smtp defer "
         "(111): Connection refused DT=0.000s",
         "ok-1@alpha.test", "", "deferred"},
        {"12345   H=(client.test) [127.0.0.11] F=<sender@client.test> rejected RCPT <rdeny-1@mx.test>",
         "rdeny-1@mx.test", "550", "rejected"},
    };
    for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
        mc_event ev;
        ck_assert_msg(test_parse(real[i].line, &ev) == PARSE_EVENT, "not an event: %s", real[i].line);
        ck_assert_view(ev.recipient, real[i].recipient);
        ck_assert_str_eq(ev.code, real[i].code);
        ck_assert_view(ev.status, real[i].status);
    }
    mc_event ev;
    /* the field run does not swallow F=: the sender is read */
    ck_assert_int_eq(test_parse(real[0].line, &ev), PARSE_EVENT);
    ck_assert_view(ev.sender, "sender@client.test");
    ck_assert_view(ev.client, "(client.test) [127.0.0.10]");
    /* a retry skip logged with +deliver_time is still a retry skip */
    ck_assert_int_eq(test_parse("2026-11-28 21:09:32.726 [27933] 1xXPfo-0007GN-1a == nouser-1@bravo.test "
                                "R=sink_route T=sink_smtp defer (-54) DT=0.000s: retry time not reached "
                                "for any host for 'bravo.test'",
                                &ev),
                     PARSE_RETRY_SKIP);
    /* debug noise with outcome markers is not unrecognised */
    ck_assert_int_eq(test_parse("28839 SMTP>> 550 Administrative prohibition rejected", &ev), PARSE_NOTHING);
    ck_assert_int_eq(test_parse("29290 DKIM >> Body data for hash, canonicalized >>>>>>>>", &ev), PARSE_NOTHING);
}
END_TEST

/* A rules directory whose one MTA has an exploding pattern. */
static void write_evil_rules(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/mta", dir);
    ck_assert_int_eq(mkdir(dir, 0700) == 0 || errno == EEXIST, 1);
    ck_assert_int_eq(mkdir(path, 0700) == 0 || errno == EEXIST, 1);
    snprintf(path, sizeof path, "%s/mta/evil.conf", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[@mta]\nname = evil\nprograms = evil\nmarker = boom\n\n"
          "[explode]\nliteral = boom\npattern = ^(?:a|aa)+ boom$\ndirection = inbound\nstatus = rejected\n",
          f);
    fclose(f);
}

#define EVIL_LINE "Nov 23 12:00:00 mx evil[1]: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa boomx"

/* The budget stops a pattern that explodes: the line is skipped, its work
 * is what the budget allowed (not MATCH_LIMIT per pattern), time bounded. */
START_TEST(test_budget_spent_line_is_skipped)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s/rules", test_dir);
    write_evil_rules(dir);
    ck_assert_int_eq(test_runf(NULL, "cp %s/stages.conf %s/", MC_SOURCE_RULES, dir), 0);
    mc_parse_rules pr;
    char err[512];
    const char *files[] = {"mta/evil.conf"};
    ck_assert_msg(parse_rules_load(&pr, dir, files, 1, true, err, sizeof err), "%s", err);
    mc_parser p;
    parser_init(&p, &pr);
    p.line_budget = 200000;
    mc_event ev;
    double t0 = now_s();
    ck_assert_int_eq(parser_line(&p, mc_str_cstr(EVIL_LINE), &ev), PARSE_SKIPPED);
    ck_assert_msg(now_s() - t0 < 1.0, "took %.3f s", now_s() - t0);
    ck_assert_uint_eq(p.line_work, 200000);
    /* the next line has a budget of its own */
    ck_assert_int_eq(parser_line(&p, mc_str_cstr("Nov 23 12:00:00 mx evil[1]: a boom"), &ev), PARSE_EVENT);
    ck_assert_uint_eq(p.line_work, 0);
    parser_free(&p);
    parse_rules_free(&pr);
}
END_TEST

/* End to end: a skipped line is counted in totals.skipped, not lost. */
START_TEST(test_budget_skip_counted)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s/rules", test_dir);
    ck_assert_int_eq(test_runf(NULL, "cp -r %s %s", MC_SOURCE_RULES, dir), 0);
    write_evil_rules(dir);
    ck_assert_int_eq(test_runf(NULL, "printf '%%s\\n' '" EVIL_LINE "' '" EVIL_LINE "' > %s/evil.log", test_dir), 0);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report --rules %s --format json %s/evil.log", MC_BINARY, dir, test_dir), 0);
    test_expect_has(out, "\"lines\": 2, \"events\": 0, \"skipped\": 2, \"unrecognised\": 0");
    free(out);
}
END_TEST

static Suite *exim_selector_suite(void)
{
    /* loaded once here, so each forked test inherits the compiled rules */
    (void)test_rules();
    Suite *s = suite_create("exim_selector");
    TCase *tc = tcase_create("runs");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_run_log, 0, (int)(sizeof runs / sizeof runs[0]));
    tcase_add_test(tc, test_rejectlog);
    suite_add_tcase(s, tc);
    tc = tcase_create("budget");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, test_dir_setup, test_dir_teardown);
    tcase_add_loop_test(tc, test_hostile_line, 0, (int)(sizeof hostiles / sizeof hostiles[0]));
    tcase_add_test(tc, test_real_lines_still_parse);
    tcase_add_test(tc, test_budget_spent_line_is_skipped);
    tcase_add_test(tc, test_budget_skip_counted);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(exim_selector_suite)
