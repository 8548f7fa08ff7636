/*
 * ingest.c - the loop that joins the stages.
 *
 * For each input: find where an earlier run stopped (by fingerprint), skip
 * to there, then read -> parse -> classify -> aggregate, flushing to the
 * store in one transaction (counts + line totals + source position) when
 * the aggregate is full, when flush_seconds have passed, and at the end.
 * Because position and counts commit together, a run killed at any moment
 * resumes without losing or double-counting a line.
 */
#include "ingest.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "exitcodes.h"
#include "parse.h"
#include "reader.h"

volatile sig_atomic_t mc_stop_requested = 0;

static void on_signal(int sig)
{
    (void)sig;
    mc_stop_requested = 1;
}

void ingest_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void ingest_reset_stop(void) { mc_stop_requested = 0; }

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Line counts for the current hour, handed to the aggregate when the hour
 * changes: one comparison per line instead of a string format. */
typedef struct {
    mc_time hour;      /* only year..hour and valid matter */
    uint64_t lines, skipped, unrecognised;
} pending_lines;

static bool same_hour(const mc_time *a, const mc_time *b)
{
    if (a->valid != b->valid)
        return false;
    return !a->valid || (a->hour == b->hour && a->day == b->day && a->month == b->month &&
                         a->year == b->year);
}

static void pending_flush(pending_lines *p, mc_aggregate *agg)
{
    if (p->lines || p->skipped || p->unrecognised)
        aggregate_lines(agg, &p->hour, p->lines, p->skipped, p->unrecognised);
    p->lines = p->skipped = p->unrecognised = 0;
}

static void pending_add(pending_lines *p, mc_aggregate *agg, const mc_time *t, uint64_t lines,
                        uint64_t skipped, uint64_t unrec)
{
    if (!same_hour(&p->hour, t)) {
        if (agg)
            pending_flush(p, agg);
        p->hour = *t;
    }
    p->lines += lines;
    p->skipped += skipped;
    p->unrecognised += unrec;
}

static uint64_t skipped_of(const mc_reader_stats *s)
{
    return s->skipped_long + s->skipped_nul + s->skipped_utf8;
}

typedef struct {
    mc_ingest_opts *o;
    mc_reader *r;
    mc_aggregate *agg;
    mc_source src;
    bool track_source;
    const char *path;
} run_state;

static bool flush(run_state *rs, pending_lines *pl, char *err, size_t errlen)
{
    if (rs->o->store == NULL)
        return true;
    pending_flush(pl, rs->agg);
    rs->src.offset = reader_offset(rs->r);
    bool ok = store_flush(rs->o->store, rs->agg, rs->track_source ? &rs->src : NULL, rs->path, err, errlen);
    aggregate_clear(rs->agg);
    return ok;
}

static void show_progress(const mc_ingest_opts *o, const char *path, uint64_t lines, double started)
{
    double el = now_seconds() - started;
    fprintf(stderr, "\rmailcodes: %s: %llu lines, %llu events (%.0f lines/s)   ", path,
            (unsigned long long)lines, (unsigned long long)o->events, el > 0 ? (double)lines / el : 0.0);
}

/* Opens the input and, when resuming, skips what an earlier run counted. */
static int open_input(run_state *rs, char *err, size_t errlen)
{
    mc_ingest_opts *o = rs->o;
    rs->r = reader_open(rs->path, err, errlen);
    if (rs->r == NULL)
        return MC_EXIT_USAGE;
    rs->track_source = o->store != NULL && o->incremental;
    if (!rs->track_source)
        return MC_EXIT_OK;
    const char *head;
    size_t n = reader_peek(rs->r, &head, MC_FP_LEN);
    if (!store_source_find(o->store, head, n, &rs->src, err, errlen))
        return MC_EXIT_DB;
    if (rs->src.offset > 0) {
        if (reader_skip_to(rs->r, rs->src.offset)) {
            o->bytes_skipped_resume += rs->src.offset;
            return MC_EXIT_OK;
        }
        /* Shorter than what we counted: the file was truncated and
         * rewritten with the same first bytes.  Count it from the start. */
        reader_close(rs->r);
        rs->r = reader_open(rs->path, err, errlen);
        if (rs->r == NULL)
            return MC_EXIT_USAGE;
        rs->src.offset = 0;
    }
    return MC_EXIT_OK;
}

int ingest_path(mc_ingest_opts *o, const char *path)
{
    char err[1024] = "";
    run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.o = o;
    rs.path = path;
    int rc = open_input(&rs, err, sizeof err);
    if (rc != MC_EXIT_OK) {
        fprintf(stderr, "mailcodes: %s\n", err);
        reader_close(rs.r);
        return rc;
    }
    rs.agg = o->store ? aggregate_new() : NULL;
    mc_parser parser;
    parser_init(&parser, &o->rules->parse);
    pending_lines pl;
    memset(&pl, 0, sizeof pl);
    const mc_reader_stats *stats = reader_stats(rs.r);
    uint64_t seen_lines = 0, seen_skipped = 0;
    double started = now_seconds(), last_flush = started, last_progress = started;
    bool progress = o->progress && isatty(STDERR_FILENO);
    mc_str line;
    mc_event ev;
    int got;

    while ((got = reader_next(rs.r, &line)) == 1) {
        mc_parse_result pr = parser_line(&parser, line, &ev);
        uint64_t unrec = 0;
        if (pr == PARSE_EVENT) {
            classify_event(&o->rules->knowledge, &o->rules->reasons, &parser.matcher, &ev);
            o->events++;
            if (rs.agg)
                aggregate_add(rs.agg, &ev);
            if (o->on_event)
                o->on_event(&ev, o->on_event_ctx);
        } else if (pr == PARSE_UNRECOGNISED) {
            unrec = 1;
            o->unrecognised++;
            if (o->unrecognised_out) {
                fwrite(line.p, 1, line.n, o->unrecognised_out);
                fputc('\n', o->unrecognised_out);
            }
        }
        /* Lines the reader skipped before this one belong to the same
         * stretch of time. */
        uint64_t lines_now = stats->lines, skipped_now = skipped_of(stats);
        pending_add(&pl, rs.agg, &parser.last_time, lines_now - seen_lines,
                    skipped_now - seen_skipped, unrec);
        seen_lines = lines_now;
        seen_skipped = skipped_now;

        if ((stats->lines & 0x3FFF) == 0 || (rs.agg && aggregate_full(rs.agg)) || mc_stop_requested) {
            double t = (stats->lines & 0x3FFF) == 0 || mc_stop_requested ? now_seconds() : last_flush;
            bool time_up = o->flush_seconds > 0 && t - last_flush >= o->flush_seconds;
            if ((rs.agg && aggregate_full(rs.agg)) || time_up || mc_stop_requested) {
                if (!flush(&rs, &pl, err, sizeof err)) {
                    rc = MC_EXIT_DB;
                    break;
                }
                last_flush = t;
            }
            if (progress && t - last_progress >= 1.0) {
                show_progress(o, path, stats->lines, started);
                last_progress = t;
            }
            if (mc_stop_requested)
                break;
        }
    }
    if (rc == MC_EXIT_OK) {
        /* Skipped lines after the last readable one. */
        pending_add(&pl, rs.agg, &parser.last_time, stats->lines - seen_lines,
                    skipped_of(stats) - seen_skipped, 0);
        if (!flush(&rs, &pl, err, sizeof err))
            rc = MC_EXIT_DB;
    }
    if (progress)
        fputs("\r\033[K", stderr);
    if (rc == MC_EXIT_DB)
        fprintf(stderr, "mailcodes: %s\n", err);
    else if (got < 0) {
        fprintf(stderr, "mailcodes: %s\n", reader_error(rs.r));
        rc = MC_EXIT_USAGE;
    }
    o->lines += stats->lines;
    o->skipped += skipped_of(stats);
    parser_free(&parser);
    aggregate_free(rs.agg);
    reader_close(rs.r);
    return rc;
}
