/*
 * report_messages.c - the per-message figures of a report: messages
 * received, generated, delivered, deferred, bounced, expired, rejected
 * (each message once), deliveries (each recipient attempt), bytes, the
 * distinct senders and recipients, and the senders of failures.  Written
 * apart from report.c, which calls these with one line each.
 */
#include "report_messages.h"

#include <string.h>

#include "report_data.h"
#include "textout.h"

/* A count, or null when the rows did not keep what it counts. */
static void json_count_or_null(FILE *out, bool known, uint64_t n)
{
    if (known)
        fprintf(out, "%llu", (unsigned long long)n);
    else
        fputs("null", out);
}

/* The JSON "messages", "deliveries", "bytes", "senders", "recipients" members. */
bool report_messages_json(mc_store *s, const mc_window *w, const mc_totals *t, FILE *out, char *err,
                          size_t errlen)
{
    status_counts sc;
    if (!rows_statuses(s, w, &sc, err, errlen))
        return false;
    const mc_msg_figures *m = &t->msg;
    fprintf(out,
            ",\n \"messages\": {\"received\": %llu, \"generated\": %llu, \"delivered\": %llu,"
            " \"deferred\": %llu, \"bounced\": %llu, \"expired\": %llu, \"rejected\": %llu,"
            " \"evicted\": %llu},\n"
            " \"deliveries\": {\"sent\": %llu, \"deferred\": %llu, \"bounced\": %llu, \"expired\": %llu},\n"
            " \"bytes\": {\"received\": %llu, \"delivered\": %llu},\n"
            " \"senders\": ",
            (unsigned long long)m->received, (unsigned long long)m->generated,
            (unsigned long long)m->delivered, (unsigned long long)m->deferred,
            (unsigned long long)m->bounced, (unsigned long long)m->expired,
            (unsigned long long)m->rejected, (unsigned long long)m->evicted, (unsigned long long)sc.sent,
            (unsigned long long)sc.deferred, (unsigned long long)sc.bounced, (unsigned long long)sc.expired,
            (unsigned long long)m->bytes_received, (unsigned long long)m->bytes_delivered);
    json_count_or_null(out, t->senders_known, t->senders);
    fputs(", \"recipients\": ", out);
    json_count_or_null(out, t->recipients_known, t->recipients);
    return true;
}

/* One line of the messages table: label, then the figure. */
static void figure_line(FILE *out, const char *label, uint64_t n)
{
    fputs("  ", out);
    text_cell(out, label, 34, true);
    fprintf(out, " %12llu\n", (unsigned long long)n);
}

/* The daily report's "Messages" block and its top senders of failures. */
bool report_messages_text(mc_store *s, const mc_report_opts *o, const mc_lang *l, const mc_totals *t,
                          FILE *out, char *err, size_t errlen)
{
    const mc_msg_figures *m = &t->msg;
    fprintf(out, "\n%s\n", lang_word(l, "messages"));
    const struct {
        const char *key;
        uint64_t n;
    } lines[] = {
        {LK("msg_received"), m->received},
        {LK("msg_generated"), m->generated},
        {LK("msg_delivered"), m->delivered},
        {LK("msg_deferred"), m->deferred},
        {LK("msg_bounced"), m->bounced},
        {LK("msg_expired"), m->expired},
        {LK("msg_rejected"), m->rejected},
        {LK("bytes_received"), m->bytes_received},
        {LK("bytes_delivered"), m->bytes_delivered},
        {LK("senders"), t->senders},
        {LK("recipients"), t->recipients},
    };
    /* The last two, senders and recipients, only when the rows kept them. */
    size_t n_lines = sizeof lines / sizeof lines[0];
    for (size_t i = 0; i < n_lines; i++)
        if ((i != n_lines - 2 || t->senders_known) && (i != n_lines - 1 || t->recipients_known))
            figure_line(out, lang_word(l, lines[i].key), lines[i].n);
    kept_rows k;
    const char *keys[1] = {"sender"};
    mc_filter f = {.problems_only = true, .keys = {"direction"}, .values = {"outbound"}, .n = 1};
    if (!rows_query(s, &o->window, keys, 1, &f, report_top(o, 5), &k, err, errlen))
        return false;
    fprintf(out, "\n%s\n", lang_word(l, "top_failing_senders"));
    size_t shown = 0;
    for (size_t i = 0; i < k.n; i++) {
        if (k.rows[i].values[0][0] == '\0')
            continue;
        fprintf(out, "  %12llu  ", (unsigned long long)k.rows[i].count);
        text_cell(out, report_value_word(l, k.rows[i].klass), 13, true);
        fputc(' ', out);
        text_cell(out, k.rows[i].values[0], MC_TEXT_WIDTH - 31, false);
        fputc('\n', out);
        shown++;
    }
    if (shown == 0) /* without lines the header warned: no all-clear, and no empty heading */
        fprintf(out, "  %s\n", report_nothing(l, t, lang_word(l, "none")));
    rows_free(&k);
    return true;
}
