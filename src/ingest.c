/*
 * ingest.c - the loop that joins the stages.
 *
 * For each input: find where an earlier run stopped (by fingerprint), skip
 * to there, then read -> parse -> classify -> aggregate, flushing to the
 * store in one transaction (counts + line totals + source position) when
 * the aggregate is full, when flush_seconds have passed, when the input
 * falls silent, and at the end.  Because position and counts commit
 * together, a run killed at any moment resumes without losing or
 * double-counting a line.
 *
 * Unrecognised lines go to --unrecognised FILE with the batch that counts
 * them: when a position is remembered, a line is written only once its
 * batch has committed, so a run killed before the commit writes nothing
 * that the next run will write again.
 *
 * --follow keeps a file open like tail -F: at its end it waits, and it
 * notices rotation by rename (the path names a new file), truncation
 * (copytruncate: the lines written since the last read are taken from the
 * copy) and a file that does not exist yet.
 */
#include "ingest.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "exitcodes.h"
#include "lineshape.h"
#include "mtawarn.h"
#include "parse.h"
#include "reader.h"
#include "reasoncache.h"
#include "workers.h"

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
    /* No SA_RESTART: a blocked read returns EINTR so the loop can stop. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* A parent may have started us with them blocked (and one may be
     * pending already): with the handler in place, let them in. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void ingest_reset_stop(void) { mc_stop_requested = 0; }

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* a signal cuts it short: fine */
}

/* Line counts for the current hour, handed to the aggregate when the hour
 * changes: one comparison per line instead of a string format.  The same
 * for the per-message figures of a zone-less hour (a zoned time's local
 * hour depends on its minutes and zone: those go to the aggregate at once). */
typedef struct {
    mc_time hour;
    uint64_t lines, skipped, unrecognised, retry_skips;
    mc_time fig_hour;     /* valid and zone-less when has_fig */
    /* The figures of fig_hour's lines: the join adds to them in place
     * (figures_at), zero or more. */
    mc_msg_figures fig;
    bool has_fig;
} pending_lines;

/* Whether valid times a and b are of one hour: their year, month, day and
 * hour, the struct's first 16 bytes, as two words (figures_at's every
 * fact and outcome: four compares and branches were ~10 instructions). */
static inline bool same_valid_hour(const mc_time *a, const mc_time *b)
{
    _Static_assert(offsetof(mc_time, year) == 0 && offsetof(mc_time, month) == 4 && offsetof(mc_time, day) == 8 &&
                       offsetof(mc_time, hour) == 12,
                   "year, month, day and hour are a time's first 16 bytes");
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a, 8), memcpy(&a1, (const char *)a + 8, 8);
    memcpy(&b0, b, 8), memcpy(&b1, (const char *)b + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* Whether a and b are of one hour (two invalid times are). */
static bool same_hour(const mc_time *a, const mc_time *b)
{
    if (a->valid != b->valid)
        return false;
    return !a->valid || same_valid_hour(a, b);
}

/* Whether fig holds a figure. */
static bool figures_any(const mc_msg_figures *fig)
{
    return (fig->received | fig->generated | fig->delivered | fig->deferred | fig->bounced | fig->expired |
            fig->rejected | fig->evicted | fig->bytes_received | fig->bytes_delivered) != 0;
}

/* Hands the pending figures to the aggregate (has_fig with none: the
 * hour's lines settled none, and the aggregate hears of no figure). */
static void pending_figures_flush(pending_lines *p, mc_aggregate *agg)
{
    if (agg && p->has_fig && figures_any(&p->fig))
        aggregate_messages(agg, &p->fig_hour, &p->fig);
    memset(&p->fig, 0, sizeof p->fig);
    p->has_fig = false;
}

static void pending_flush(pending_lines *p, mc_aggregate *agg)
{
    if (agg && (p->lines || p->skipped || p->unrecognised || p->retry_skips))
        aggregate_lines(agg, &p->hour, p->lines, p->skipped, p->unrecognised, p->retry_skips);
    p->lines = p->skipped = p->unrecognised = p->retry_skips = 0;
    pending_figures_flush(p, agg);
}

/* Forgets what is pending (the batch it belongs to was lost). */
static void pending_clear(pending_lines *p)
{
    p->lines = p->skipped = p->unrecognised = p->retry_skips = 0;
    memset(&p->fig, 0, sizeof p->fig);
    p->has_fig = false;
}

static void pending_add(pending_lines *p, mc_aggregate *agg, const mc_time *t, uint64_t lines,
                        uint64_t skipped, uint64_t unrec, uint64_t retry_skips)
{
    if (!same_hour(&p->hour, t)) {
        pending_flush(p, agg);
        p->hour = *t;
    }
    p->lines += lines;
    p->skipped += skipped;
    p->unrecognised += unrec;
    p->retry_skips += retry_skips;
}

static uint64_t skipped_of(const mc_reader_stats *s)
{
    return s->skipped_long + s->skipped_nul + s->skipped_utf8;
}

/* The messages a batch changed, copied out at its hand-off to the writer
 * (the loop goes on changing the table): in messages_changes' order, the
 * keys gone first; the strings in text, by offset. */
typedef struct {
    bool gone;
    bool has_sender;
    size_t key, sender;
    int64_t size, first, last;
    unsigned flags;
} change_op;

typedef struct {
    mc_buf text;
    change_op *ops;
    size_t n, cap;
} change_copy;

/* State of one input while it is being read. */
typedef struct {
    mc_ingest_opts *o;
    const char *path;
    mc_reader *r;
    mc_aggregate *agg;
    mc_parser parser;
    mc_reason_cache *reasons_seen; /* the classifier's cache, for this input */
    pending_lines pl;
    mc_msg_figures fig_now;   /* a line's figures at a zoned or no time (figures_at); zero between lines */
    mc_source src;
    bool track_source;
    bool dirty;               /* something not yet committed */
    bool reopened;            /* went back to where another ingest stopped */
    mc_buf unrec_pending;     /* unrecognised lines of the batch, for --unrecognised */
    uint64_t seen_lines, seen_skipped;
    double last_flush, last_progress, started;
    /* --jobs: the workers (NULL: this thread parses), how many chunks they
     * may hold, the bytes of lines in a chunk, and the offset after the
     * last line applied (the reader is ahead of it). */
    mc_pool *pool;
    size_t depth, chunk_bytes;
    uint64_t applied_offset;
    /* Added to a chunk's base and its lines' counts (the reader counts
     * only the lines it drops between blocks): the lines of the chunks
     * applied so far, modulo 2^64 (a reposition sets it so). */
    uint64_t blk_lines, blk_skipped;
    bool repositioned;        /* another ingest's position taken: drop what is read ahead */
    /* The store's writer thread (an ingest into a database): a batch is
     * handed over with its aggregate, its unrecognised lines and its
     * message changes, and the loop fills the other aggregate meanwhile;
     * one batch in flight. */
    bool writer;
    bool in_flight;
    mc_aggregate *agg_flight;
    mc_buf unrec_flight;
    change_copy changes;
    /* The hour of the last event counted (see hour_turned), and whether
     * the line being applied began another hour. */
    int64_t event_hour;
    bool hour_turned;
    char err[1024];
} run_state;

/* Where a commit says this input was counted up to. */
static uint64_t stream_offset(const run_state *rs)
{
    return rs->pool ? rs->applied_offset : reader_offset(rs->r);
}

/* A source first seen while shorter than MC_FP_LEN gets a longer
 * fingerprint once it has grown, read again from the start of the file. */
static void extend_fingerprint(run_state *rs)
{
    uint64_t dev, ino, size;
    reader_identity(rs->r, &dev, &ino, &size);
    /* Only a regular file can be opened twice without taking its bytes. */
    if (!rs->track_source || rs->src.fp_len >= MC_FP_LEN || ino == 0)
        return;
    char err[256];
    mc_reader *head = reader_open(rs->path, err, sizeof err);
    if (head == NULL)
        return;
    const char *bytes;
    size_t n = reader_peek(head, &bytes, MC_FP_LEN);
    if (n > rs->src.fp_len && store_fingerprint(bytes, rs->src.fp_len) == rs->src.fp_hash)
        store_source_refingerprint(&rs->src, bytes, n);
    reader_close(head);
}

static int open_input(run_state *rs);

/* Another ingest of the same file committed first: the batch just given up
 * is counted up to rs->src.committed by it, so go on from there; forward
 * in this stream, or from a fresh open when it is behind. */
static bool follow_other_ingest(run_state *rs)
{
    rs->src.lost = false;
    rs->repositioned = rs->pool != NULL;
    if (rs->src.committed >= reader_offset(rs->r) && reader_skip_to(rs->r, rs->src.committed)) {
        const mc_reader_stats *st = reader_stats(rs->r);
        if (rs->pool) {
            /* Counting goes on from the lines applied. */
            rs->blk_lines = rs->seen_lines - st->lines;
            rs->blk_skipped = rs->seen_skipped - skipped_of(st);
            return true;
        }
        rs->seen_lines = st->lines;
        rs->seen_skipped = skipped_of(st);
        return true;
    }
    if (strcmp(rs->path, "-") == 0) {
        snprintf(rs->err, sizeof rs->err, "database: another ingest is reading the same input as standard"
                                          " input and counted part of this batch; stopped");
        return false;
    }
    reader_close(rs->r);
    rs->r = NULL;
    rs->reopened = true;
    return open_input(rs) == MC_EXIT_OK;
}

static bool commit(run_state *rs);
static bool write_changes(mc_store *s, void *ctx, char *err, size_t errlen);

/* A new change at the end of the copy, with its key copied. */
static change_op *change_add(change_copy *c, const char *key)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->ops = mc_xrealloc(c->ops, c->cap * sizeof *c->ops);
    }
    change_op *op = &c->ops[c->n++];
    memset(op, 0, sizeof *op);
    op->key = c->text.len;
    mc_buf_add(&c->text, key, strlen(key) + 1);
    return op;
}

/* messages_changes callback: a message changed, copied into the batch's copy. */
static bool copy_changed(const mc_message_state *st, void *ctx)
{
    change_copy *c = ctx;
    change_op *op = change_add(c, st->key);
    op->has_sender = st->sender != NULL;
    if (st->sender) {
        op->sender = c->text.len;
        mc_buf_add(&c->text, st->sender, strlen(st->sender) + 1);
    }
    op->size = st->size, op->first = st->first, op->last = st->last, op->flags = st->flags;
    return true;
}

/* messages_changes callback: the key of a message gone, copied. */
static bool copy_gone(const char *key, void *ctx)
{
    change_add(ctx, key)->gone = true;
    return true;
}

/* store_flush hook of a batch handed to the writer: its copied changes. */
static bool write_copied_changes(mc_store *s, void *ctx, char *err, size_t errlen)
{
    const change_copy *c = ctx;
    bool ok = true;
    for (size_t i = 0; ok && i < c->n; i++) {
        const change_op *op = &c->ops[i];
        const char *key = c->text.data + op->key;
        if (op->gone) {
            ok = store_message_delete(s, key, err, errlen);
            continue;
        }
        mc_message_state st = {.key = key, .sender = op->has_sender ? c->text.data + op->sender : NULL,
                               .size = op->size, .first = op->first, .last = op->last, .flags = op->flags};
        ok = store_message_put(s, &st, err, errlen);
    }
    return ok;
}

/* Waits for the batch in flight: on its commit, its unrecognised lines
 * are written out; when another ingest had counted it, the batch being
 * read goes too (its lines follow the lost ones) and reading goes on from
 * where that ingest stopped, as commit does. */
static bool batch_wait(run_state *rs)
{
    if (!rs->in_flight)
        return true;
    rs->in_flight = false;
    bool ok = store_flush_wait(rs->o->store, &rs->src, rs->err, sizeof rs->err);
    if (ok && rs->unrec_flight.len && rs->o->unrecognised_out) {
        fwrite(rs->unrec_flight.data, 1, rs->unrec_flight.len, rs->o->unrecognised_out);
        fflush(rs->o->unrecognised_out);
    }
    mc_buf_reset(&rs->unrec_flight);
    if (ok || !rs->src.lost)
        return ok;
    aggregate_clear(rs->agg);
    pending_clear(&rs->pl);
    mc_buf_reset(&rs->unrec_pending);
    rs->dirty = false;
    return follow_other_ingest(rs) && ingest_messages_load(rs->o) == MC_EXIT_OK;
}

/* Hands the batch being read to the writer, once the one before is
 * written: its aggregate (the loop takes the other), its unrecognised
 * lines, its message changes (copied: the table is the loop's) and its
 * position. */
static bool hand_over(run_state *rs)
{
    rs->last_flush = now_seconds();
    if (!batch_wait(rs))
        return false;
    if (!rs->dirty)
        return true;
    pending_flush(&rs->pl, rs->agg);
    rs->src.offset = stream_offset(rs);
    extend_fingerprint(rs);
    mc_store *store = rs->o->store;
    if (rs->o->messages) {
        rs->changes.n = 0;
        mc_buf_reset(&rs->changes.text);
        messages_changes(rs->o->messages, copy_changed, copy_gone, &rs->changes);
        messages_changes_saved(rs->o->messages);
        store_set_flush_hook(store, write_copied_changes, &rs->changes);
    }
    store_flush_start(store, rs->agg, &rs->src, rs->path);
    mc_aggregate *a = rs->agg;
    rs->agg = rs->agg_flight;
    rs->agg_flight = a;
    mc_buf t = rs->unrec_flight;
    rs->unrec_flight = rs->unrec_pending;
    rs->unrec_pending = t;
    rs->in_flight = true;
    rs->dirty = false;
    return true;
}

/* Ends the batch being read: handed to the writer thread (which has
 * written the one before), or written here. */
static bool flush(run_state *rs)
{
    if (rs->writer)
        return hand_over(rs);
    return commit(rs);
}

/* Writes the batch being read, and waits for it. */
static bool commit(run_state *rs)
{
    if (rs->writer)
        return hand_over(rs) && batch_wait(rs);
    rs->last_flush = now_seconds();
    if (rs->o->store == NULL || !rs->dirty)
        return true;
    pending_flush(&rs->pl, rs->agg);
    rs->src.offset = stream_offset(rs);
    extend_fingerprint(rs);
    bool ok = store_flush(rs->o->store, rs->agg, rs->track_source ? &rs->src : NULL, rs->path, rs->err,
                          sizeof rs->err);
    aggregate_clear(rs->agg);
    rs->dirty = false;
    /* Committed: now the batch's unrecognised lines are written.  Not when
     * the commit failed (the next run reads them again) nor when another
     * ingest had counted them (they are in its output). */
    if (ok && rs->unrec_pending.len && rs->o->unrecognised_out) {
        fwrite(rs->unrec_pending.data, 1, rs->unrec_pending.len, rs->o->unrecognised_out);
        fflush(rs->o->unrecognised_out);
    }
    mc_buf_reset(&rs->unrec_pending);
    if (ok && rs->o->messages)
        messages_changes_saved(rs->o->messages);
    /* Another ingest counted this batch: its table of messages is the one
     * that goes with the position it committed. */
    if (!ok && rs->track_source && rs->src.lost)
        ok = follow_other_ingest(rs) && ingest_messages_load(rs->o) == MC_EXIT_OK;
    return ok;
}

/* An unrecognised line: its shape counted for the report, the line itself
 * written out (held for the commit when positions are remembered). */
static void note_unrecognised(run_state *rs, mc_str line)
{
    if (rs->agg) {
        char shape[MC_SHAPE_MAX];
        line_shape(line, shape, sizeof shape);
        aggregate_shape(rs->agg, &rs->parser.last_time, shape);
    }
    FILE *out = rs->o->unrecognised_out;
    if (out == NULL)
        return;
    if (!rs->track_source) {
        fwrite(line.p, 1, line.n, out);
        fputc('\n', out);
        return;
    }
    mc_buf_add(&rs->unrec_pending, line.p, line.n);
    mc_buf_addc(&rs->unrec_pending, '\n');
}

static void show_progress(run_state *rs)
{
    double now = now_seconds();
    if (!rs->o->progress || now - rs->last_progress < 1.0)
        return;
    rs->last_progress = now;
    double el = now - rs->started;
    uint64_t lines = rs->pool ? rs->seen_lines : reader_stats(rs->r)->lines;
    fprintf(stderr, "\rmailcodes: %s: %llu lines, %llu events (%.0f lines/s)   ", rs->path,
            (unsigned long long)lines, (unsigned long long)rs->o->events,
            el > 0 ? (double)lines / el : 0.0);
}

/* Opens the input and, when resuming, skips what an earlier run counted. */
static int open_input(run_state *rs)
{
    mc_ingest_opts *o = rs->o;
    rs->r = reader_open(rs->path, rs->err, sizeof rs->err);
    if (rs->r == NULL)
        return MC_EXIT_USAGE;
    reader_set_stop(rs->r, &mc_stop_requested);
    uint64_t dev, ino, size;
    reader_identity(rs->r, &dev, &ino, &size);
    if (o->follow)
        reader_set_follow(rs->r, true);
    else if (ino == 0 && o->store != NULL && o->flush_seconds > 0)
        reader_set_idle(rs->r, (int)(o->flush_seconds * 1000));
    rs->seen_lines = rs->seen_skipped = rs->blk_lines = rs->blk_skipped = 0;
    memset(&rs->src, 0, sizeof rs->src);
    rs->track_source = o->store != NULL && o->incremental;
    if (!rs->track_source)
        return MC_EXIT_OK;
    const char *head;
    size_t n = reader_peek(rs->r, &head, MC_FP_LEN);
    if (!store_source_find(o->store, head, n, &rs->src, rs->err, sizeof rs->err))
        return MC_EXIT_DB;
    if (rs->src.offset > 0) {
        if (reader_skip_to(rs->r, rs->src.offset)) {
            o->bytes_skipped_resume += rs->src.offset;
            return MC_EXIT_OK;
        }
        /* Shorter than what we counted: truncated and rewritten with the
         * same first bytes.  Count it from the start. */
        reader_close(rs->r);
        rs->r = reader_open(rs->path, rs->err, sizeof rs->err);
        if (rs->r == NULL)
            return MC_EXIT_USAGE;
        reader_set_stop(rs->r, &mc_stop_requested);
        if (o->follow)
            reader_set_follow(rs->r, true);
        rs->src.offset = 0;
    }
    return MC_EXIT_OK;
}

static void close_input(run_state *rs)
{
    if (rs->r == NULL)
        return;
    const mc_reader_stats *st = reader_stats(rs->r);
    /* With workers the reader may be ahead of what was applied (a stop
     * drops what was read ahead): the lines applied are counted. */
    rs->o->lines += rs->pool ? rs->seen_lines : st->lines;
    rs->o->skipped += rs->pool ? rs->seen_skipped : skipped_of(st);
    reader_close(rs->r);
    rs->r = NULL;
}

typedef enum { STREAM_END, STREAM_IDLE, STREAM_STOPPED, STREAM_READ_ERROR, STREAM_DB_ERROR } stream_result;

/* lines_now, skipped_now: the reader's counts after the line.  skipped: a
 * line the parser gave up on (its work budget spent), on top of those the
 * reader skipped. */
static void count_line_stats(run_state *rs, uint64_t lines_now, uint64_t skipped_now, uint64_t skipped,
                             uint64_t unrec, uint64_t retry_skips)
{
    /* Lines the reader skipped before this one belong to the same hour. */
    pending_add(&rs->pl, rs->agg, &rs->parser.last_time, lines_now - rs->seen_lines,
                skipped_now - rs->seen_skipped + skipped, unrec, retry_skips);
    if (lines_now != rs->seen_lines)
        rs->dirty = true;
    rs->seen_lines = lines_now;
    rs->seen_skipped = skipped_now;
}

/* Where the join (messages.c, which adds to the figures it is given) adds
 * the per-message figures of a line at time t: in place, to the pending
 * figures of t's hour when t is valid and zone-less (those of another hour
 * handed to the aggregate first), else to rs->fig_now, which figures_done
 * hands on at once (a zoned time's local hour depends on its minutes and
 * zone).  Added in place, a line's figures are not cleared, or'ed and
 * summed apart: on Exim three lines in four settle one, and that was ~60
 * instructions a fact or event, 9.9 M per 20 MB of Exim log, 6.1 M of
 * Postfix (docs/BENCHMARKS.md, loop18).  The sums are the same; an hour
 * whose lines settle none is handed on with none, and so not at all. */
static __attribute__((noinline)) mc_msg_figures *figures_turn(run_state *rs, const mc_time *t)
{
    pending_lines *p = &rs->pl;
    if (rs->agg == NULL || !t->valid || t->zone[0] != '\0')
        return &rs->fig_now;
    if (p->has_fig && !same_hour(&p->fig_hour, t))
        pending_figures_flush(p, rs->agg);
    if (!p->has_fig) {
        p->fig_hour = *t;
        p->has_fig = true;
    }
    /* Nothing to mark dirty: the line's count (count_line_stats) does. */
    return &p->fig;
}

/* figures_turn's answer, here when the line is in the pending hour (most
 * lines: no call).  has_fig implies rs->agg (figures_turn sets it only
 * with one) and a valid fig_hour. */
static inline mc_msg_figures *figures_at(run_state *rs, const mc_time *t)
{
    pending_lines *p = &rs->pl;
    if (p->has_fig && t->valid && t->zone[0] == '\0' && same_valid_hour(&p->fig_hour, t))
        return &p->fig;
    return figures_turn(rs, t);
}

/* After the join of a line at time t that added to fig (figures_at's):
 * figures in rs->fig_now go to the aggregate now. */
static void figures_done(run_state *rs, const mc_time *t, mc_msg_figures *fig)
{
    if (fig != &rs->fig_now || !figures_any(fig))
        return;
    if (rs->agg) {
        pending_figures_flush(&rs->pl, rs->agg);
        aggregate_messages(rs->agg, t, fig);
        rs->dirty = true;
    }
    memset(fig, 0, sizeof *fig);
}

/* Counts the lines the reader skipped up to where it stands (with
 * workers, after every chunk was applied). */
static void count_reader_stats(run_state *rs)
{
    const mc_reader_stats *st = reader_stats(rs->r);
    rs->applied_offset = reader_offset(rs->r);
    count_line_stats(rs, rs->blk_lines + st->lines, rs->blk_skipped + skipped_of(st), 0, 0, 0);
}

/* Counts an event in the aggregate, with what a worker prepared of it
 * (prep NULL: nothing; packs: the chunk's packed values). */
static void add_event(mc_aggregate *agg, const mc_event *ev, const mc_event_prep *prep, const char *packs)
{
    const mc_delay_read *rd = prep && prep->has_delays ? &prep->delays : NULL;
    if (prep && prep->packed)
        aggregate_add_packed(agg, ev, rd, packs + prep->pack_at, prep->pack_n, prep->lens);
    else
        aggregate_add_read(agg, ev, rd);
}

/* Whether event time t begins another hour than the events before it
 * (remembered in rs) while the batch holds half its budget: an ingest into
 * a database then ends its batch after this line.  The count rows of an
 * hour are keyed by its tuples' hashes, so a batch that writes the rest
 * of an hour an earlier batch began inserts among that batch's rows, and
 * SQLite splits the hour's full pages (ex20: B-tree inserts -33%, all
 * instructions -3.5%, when each hour is written by one batch;
 * docs/BENCHMARKS.md, ingest13).  Batches only end earlier, never later:
 * a pipe's latency and the memory bound are as before. */
static bool hour_turned(run_state *rs, const mc_time *t)
{
    int64_t h = (((int64_t)t->year * 100 + t->month) * 100 + t->day) * 100 + t->hour;
    if (h == rs->event_hour)
        return false;
    bool turned = rs->event_hour != 0 && aggregate_half_full(rs->agg);
    rs->event_hour = h;
    return turned;
}

/* Applies, in input order, what one line gave (ev classified, prep what a
 * worker prepared of it for the aggregate, packs its chunk's packed
 * values; fact NULL: none; maybe_warning false: a worker found it is none
 * of the MTA's warnings; lo the worker's record of it, NULL: none), with
 * the reader's counts after it.  False on a database error. */
static bool apply_line(run_state *rs, mc_str line, mc_parse_result pr, mc_event *ev, const mc_event_prep *prep,
                       const char *packs, const mc_fact *fact, bool maybe_warning, const mc_line_out *lo,
                       uint64_t lines_now, uint64_t skipped_now)
{
    mc_ingest_opts *o = rs->o;
    uint64_t unrec = 0, retry_skip = 0, skipped = 0;
    /* The MTA's own warnings, for the report's Warnings section: here, in
     * order, with the parser's year and time settled for this line. */
    if (rs->agg && maybe_warning)
        mtawarn_count(&o->rules->warnings, &rs->parser, line, rs->agg);
    if (o->messages && fact) {
        mc_msg_figures *fig = figures_at(rs, &fact->time);
        messages_fact_mixed(o->messages, fact, lo && lo->mix_of == MC_MIX_FACT ? &lo->mix : NULL, fig);
        figures_done(rs, &fact->time, fig);
    }
    if (o->on_fact && fact)
        o->on_fact(fact, o->on_event_ctx);
    if (pr == PARSE_SKIPPED) {
        skipped = 1;
        o->skipped++;
    } else if (pr == PARSE_RETRY_SKIP) {
        retry_skip = 1;
        o->retry_skips++;
    } else if (pr == PARSE_EVENT) {
        if (o->messages) {
            mc_msg_figures *fig = figures_at(rs, &ev->time);
            messages_event_mixed(o->messages, ev, lo && lo->mix_of == MC_MIX_EVENT ? &lo->mix : NULL, fig);
            figures_done(rs, &ev->time, fig);
        }
        o->events++;
        if (rs->agg) {
            add_event(rs->agg, ev, prep, packs);
            if (rs->writer && ev->time.valid && hour_turned(rs, &ev->time))
                rs->hour_turned = true;
        }
        if (o->on_event)
            o->on_event(ev, o->on_event_ctx);
    } else if (pr == PARSE_UNRECOGNISED) {
        unrec = 1;
        o->unrecognised++;
        note_unrecognised(rs, line);
    }
    count_line_stats(rs, lines_now, skipped_now, skipped, unrec, retry_skip);
    /* Held unrecognised lines commit early past 1 MiB: flat memory. */
    bool full = rs->agg && (aggregate_full(rs->agg) || rs->unrec_pending.len > (1u << 20) || rs->hour_turned);
    rs->hour_turned = false;
    if ((lines_now & 0x3FFF) == 0 || full || mc_stop_requested) {
        bool time_up = o->flush_seconds > 0 && now_seconds() - rs->last_flush >= o->flush_seconds;
        if ((full || time_up) && !flush(rs))
            return false;
        show_progress(rs);
    }
    return true;
}

/* The reader said there is no line for now (got 2): idle or follow mode,
 * or a stop.  STREAM_END here means: go on reading. */
static stream_result no_line_now(run_state *rs)
{
    if (!commit(rs))
        return STREAM_DB_ERROR;
    if (mc_stop_requested)
        return STREAM_STOPPED;
    if (rs->o->follow)
        return STREAM_IDLE;
    return STREAM_END; /* a silent pipe: committed, keep waiting */
}

/* Reads until the end, a silence (idle/follow), a stop request or an
 * error, parsing on this thread (--jobs 1). */
static stream_result process_stream_one(run_state *rs)
{
    mc_ingest_opts *o = rs->o;
    mc_str line;
    mc_event ev;
    for (;;) {
        int got = reader_next(rs->r, &line);
        if (got == 1) {
            const mc_reader_stats *st = reader_stats(rs->r);
            if (o->line_filter && !o->line_filter(line, o->on_event_ctx)) {
                count_line_stats(rs, st->lines, skipped_of(st), 0, 0, 0);
                continue;
            }
            mc_parse_result pr = parser_line(&rs->parser, line, &ev);
            if (pr == PARSE_EVENT)
                classify_event(&o->rules->knowledge, &o->rules->reasons, &rs->parser.matcher, rs->reasons_seen, &ev);
            const mc_fact *fact = rs->parser.fact.kind != FACT_NONE ? &rs->parser.fact : NULL;
            if (!apply_line(rs, line, pr, &ev, NULL, NULL, fact, true, NULL, st->lines, skipped_of(st)))
                return STREAM_DB_ERROR;
            if (mc_stop_requested)
                return STREAM_STOPPED;
            continue;
        }
        /* Skipped lines after the last readable one. */
        count_reader_stats(rs);
        if (got == 2) {
            stream_result res = no_line_now(rs);
            if (res != STREAM_END)
                return res;
            continue;
        }
        return got == 0 ? STREAM_END : STREAM_READ_ERROR;
    }
}

/* Has the reader put blocks of whole lines into c, until it holds half of
 * chunk_bytes (one read of a file; pipes give less at a time) or the
 * reader has no whole line now; returns what reader_next_block last said
 * (never 4: a line dropped between blocks ends the chunk, so that the
 * base taken at its start counts every line dropped before it).  It waits
 * for input only when nothing is pending, so lines read are handed on
 * before a silent pipe blocks. */
static int fill_chunk(run_state *rs, mc_chunk *c)
{
    for (;;) {
        if (c->bytes.len == 0) {
            const mc_reader_stats *st = reader_stats(rs->r);
            c->base_lines = st->lines;
            c->base_skipped = skipped_of(st);
            c->base_offset = reader_offset(rs->r);
        }
        reader_set_nowait(rs->r, c->bytes.len > 0 || pool_in_flight(rs->pool) > 0);
        int got = reader_next_block(rs->r, &c->bytes, rs->chunk_bytes - c->bytes.len);
        if (got == 4 && c->bytes.len == 0)
            continue;
        if (got == 4)
            return 1;
        if (got != 1 || c->bytes.len >= rs->chunk_bytes / 2)
            return got;
    }
}

/* Lines ahead whose records apply_chunk asks of memory: far enough for a
 * line from the other core's cache to arrive, near enough to stay in L1. */
#define APPLY_AHEAD 8

/* Asks memory for what applying line l will read of its event and fact:
 * a worker wrote them on the other core, and each of their cache lines is
 * a miss when first read.  The event is 864 bytes and need not start a
 * line: the aggregate reads its time (the ends of those 40 bytes), the
 * join the rest of its first MC_EVENT_HOT_END (two or three lines); the
 * fact's time and ids.  For the join (m given), also the line's first
 * bytes, where its host, program and queue id are compared, and the entry
 * the memo names for its queue id. */
static void apply_prefetch(const mc_chunk *c, const mc_line_out *l, const mc_messages *m)
{
    if (l->ev >= 0) {
        const char *ev = (const char *)&c->events[l->ev];
        __builtin_prefetch(ev);
        __builtin_prefetch(ev + sizeof(mc_time) - 1);
        if (m) {
            __builtin_prefetch(ev + 64);
            __builtin_prefetch(ev + MC_EVENT_HOT_END - 1);
        }
    }
    if (m && l->fact >= 0) {
        const mc_fact *f = &c->facts[l->fact];
        __builtin_prefetch(&f->time);
        __builtin_prefetch(&f->queue_id);
        __builtin_prefetch(&f->size);
    }
    if (m && l->mix_of) {
        const char *b = c->bytes.data + l->off;
        __builtin_prefetch(b);
        __builtin_prefetch(b + 64);
        messages_prefetch(m, l->mix);
    }
}

#define SLOT_AHEAD 4 /* lines between a line's index slot asked for and its join */

/* Asks memory for the index slot where the join of line l will look for
 * its message, when the memo does not know it (the table keeps the key's
 * hash for that join): the line's fact or event, and its bytes, were asked
 * for APPLY_AHEAD lines before, so reading its host, program and queue id
 * here does not wait. */
static void apply_prefetch_slot(const mc_chunk *c, const mc_line_out *l, mc_messages *m)
{
    if (l->mix_of == MC_MIX_FACT) {
        const mc_fact *f = &c->facts[l->fact];
        if (f->kind != FACT_NONE)
            messages_prefetch_slot(m, f->host, f->program, f->queue_id, l->mix);
    } else if (l->mix_of == MC_MIX_EVENT) {
        const mc_event *ev = &c->events[l->ev];
        messages_prefetch_slot(m, ev->host, ev->program, ev->queue_id, l->mix);
    }
}

/* Applies a parsed chunk line by line.  STREAM_END: all of it applied. */
static stream_result apply_chunk(run_state *rs, mc_chunk *c)
{
    mc_ingest_opts *o = rs->o;
    mc_messages *join = o->messages;
    for (size_t i = 0; i < c->n_lines && i < APPLY_AHEAD; i++)
        apply_prefetch(c, &c->lines[i], join);
    for (size_t i = 0; join && i < c->n_lines && i < SLOT_AHEAD; i++)
        apply_prefetch_slot(c, &c->lines[i], join);
    for (size_t i = 0; i < c->n_lines; i++) {
        const mc_line_out *l = &c->lines[i];
        if (i + APPLY_AHEAD < c->n_lines)
            apply_prefetch(c, &c->lines[i + APPLY_AHEAD], join);
        if (join && i + SLOT_AHEAD < c->n_lines)
            apply_prefetch_slot(c, &c->lines[i + SLOT_AHEAD], join);
        mc_str line = chunk_line(c, l);
        uint64_t lines_now = rs->blk_lines + c->base_lines + l->lines;
        uint64_t skipped_now = rs->blk_skipped + c->base_skipped + l->skipped;
        rs->applied_offset = c->base_offset + l->offset;
        if (o->line_filter && !o->line_filter(line, o->on_event_ctx)) {
            count_line_stats(rs, lines_now, skipped_now, 0, 0, 0);
            continue;
        }
        workers_settle(&rs->parser, c, l);
        mc_event *ev = l->ev >= 0 ? &c->events[l->ev] : NULL;
        const mc_event_prep *prep = l->ev >= 0 && c->preps ? &c->preps[l->ev] : NULL;
        const mc_fact *fact = l->fact >= 0 ? &c->facts[l->fact] : NULL;
        if (!apply_line(rs, line, (mc_parse_result)l->result, ev, prep, c->packs.data, fact, l->warning, l, lines_now,
                        skipped_now))
            return STREAM_DB_ERROR;
        if (mc_stop_requested)
            return STREAM_STOPPED;
        if (rs->repositioned)
            return STREAM_IDLE;
    }
    rs->blk_lines += c->tot_lines;
    rs->blk_skipped += c->tot_skipped;
    return STREAM_END;
}

/* Takes back every chunk handed over without applying it (those not
 * begun unparsed: a stop or an error should not wait for them). */
static void drop_in_flight(run_state *rs)
{
    mc_chunk *c;
    pool_drop_queued(rs->pool);
    while ((c = pool_take(rs->pool)) != NULL)
        pool_recycle(rs->pool, c);
}

/* Applies the oldest chunk handed over (all of them when all is set).
 * STREAM_END: done, go on. */
static stream_result apply_taken(run_state *rs, bool all)
{
    mc_chunk *c;
    while ((c = pool_take(rs->pool)) != NULL) {
        stream_result res = apply_chunk(rs, c);
        pool_recycle(rs->pool, c);
        if (rs->repositioned && res == STREAM_IDLE) {
            /* What was read ahead is another ingest's now: go on from
             * where the reader was put. */
            drop_in_flight(rs);
            rs->repositioned = false;
            rs->applied_offset = reader_offset(rs->r);
            return STREAM_END;
        }
        if (res != STREAM_END) {
            drop_in_flight(rs);
            return res;
        }
        if (!all)
            break;
    }
    return STREAM_END;
}

/* As process_stream_one, with the workers parsing chunks of lines while
 * this thread reads the next ones and applies the parsed ones in order. */
static stream_result process_stream_pool(run_state *rs)
{
    rs->applied_offset = reader_offset(rs->r); /* nothing read ahead yet */
    reader_inflate_thread(rs->r);
    for (;;) {
        /* Set by a commit made with nothing in flight: nothing to drop. */
        rs->repositioned = false;
        int got = 1;
        while (got == 1 && pool_in_flight(rs->pool) < rs->depth) {
            mc_chunk *c = pool_chunk(rs->pool);
            got = fill_chunk(rs, c);
            if (c->bytes.len)
                pool_submit(rs->pool, c);
            else
                pool_recycle(rs->pool, c);
        }
        /* Lines keep coming (1), or a pipe would block (3): apply the
         * oldest chunk and read on.  Otherwise apply everything first. */
        bool more = got == 1 || got == 3;
        stream_result res = apply_taken(rs, !more);
        if (res != STREAM_END)
            return res;
        if (more)
            continue;
        /* Skipped lines after the last readable one. */
        count_reader_stats(rs);
        if (got == 2) {
            res = no_line_now(rs);
            if (res != STREAM_END)
                return res;
            continue;
        }
        return got == 0 ? STREAM_END : STREAM_READ_ERROR;
    }
}

/* Reads until the end, a silence (idle/follow), a stop request or an error. */
static stream_result process_stream(run_state *rs)
{
    if (rs->pool == NULL)
        return process_stream_one(rs);
    stream_result res = process_stream_pool(rs);
    reader_set_nowait(rs->r, false);
    return res;
}

static int finish(run_state *rs, stream_result res)
{
    int rc = MC_EXIT_OK;
    rs->reopened = false;
    if (res == STREAM_DB_ERROR && rs->in_flight) { /* the error is the one reported */
        char err[sizeof rs->err];
        memcpy(err, rs->err, sizeof err);
        batch_wait(rs);
        memcpy(rs->err, err, sizeof err);
    }
    if (res != STREAM_DB_ERROR && !commit(rs))
        res = STREAM_DB_ERROR;
    /* The last batch was given up to another ingest that stopped before
     * its end: read the rest again from where that one stopped. */
    while (res == STREAM_END && rs->reopened) {
        rs->reopened = false;
        res = process_stream(rs);
        if (res != STREAM_DB_ERROR && !commit(rs))
            res = STREAM_DB_ERROR;
    }
    if (res == STREAM_DB_ERROR) {
        fprintf(stderr, "mailcodes: %s\n", rs->err);
        rc = MC_EXIT_DB;
    } else if (res == STREAM_READ_ERROR) {
        fprintf(stderr, "mailcodes: %s\n", reader_error(rs->r));
        rc = MC_EXIT_USAGE;
    }
    return rc;
}

/* Opens the copy copytruncate made of the followed file: a regular file
 * beside it, named like it plus a suffix (mail.log.1, mail.log.1.gz,
 * mail.log-20261128), whose first bytes are the followed file's.  NULL
 * when there is none. */
static mc_reader *open_rotated_copy(const run_state *rs, char *copy, size_t len)
{
    const char *slash = strrchr(rs->path, '/');
    const char *base = slash ? slash + 1 : rs->path;
    size_t base_len = strlen(base);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - rs->path) + 1 : 1, slash ? rs->path : ".");
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    mc_reader *found = NULL;
    struct dirent *e;
    while (found == NULL && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, base, base_len) != 0 || (e->d_name[base_len] != '.' && e->d_name[base_len] != '-'))
            continue;
        struct stat st;
        if (snprintf(copy, len, "%s%s%s", slash ? "" : "./", slash ? dir : "", e->d_name) >= (int)len ||
            stat(copy, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        char err[256];
        mc_reader *r = reader_open(copy, err, sizeof err);
        const char *head;
        if (r && reader_peek(r, &head, rs->src.fp_len) == rs->src.fp_len &&
            store_fingerprint(head, rs->src.fp_len) == rs->src.fp_hash)
            found = r;
        else
            reader_close(r);
    }
    closedir(d);
    return found;
}

/* copytruncate: the lines written between the last read and the copy
 * exist only in the copy.  Reads the copy from where the followed file was
 * left, as the same source (it has the same fingerprint). */
static stream_result read_rotated_copy(run_state *rs)
{
    if (!rs->track_source || rs->src.fp_len == 0)
        return STREAM_END;
    if (!commit(rs))
        return STREAM_DB_ERROR;
    char copy[PATH_MAX];
    mc_reader *r = open_rotated_copy(rs, copy, sizeof copy);
    if (r == NULL)
        return STREAM_END;
    reader_set_stop(r, &mc_stop_requested);
    if (!reader_skip_to(r, reader_offset(rs->r))) {
        reader_close(r);
        return STREAM_END; /* not the copy of what we read */
    }
    close_input(rs);
    rs->r = r;
    rs->seen_lines = rs->seen_skipped = rs->blk_lines = rs->blk_skipped = 0;
    const char *path = rs->path;
    rs->path = copy; /* should another ingest take over, it reopens the copy */
    stream_result res = process_stream(rs);
    if (res == STREAM_END && !commit(rs))
        res = STREAM_DB_ERROR;
    rs->path = path;
    return res;
}

/* tail -F: read, wait at the end, reopen when the path names a new file. */
static int follow_file(run_state *rs)
{
    bool announced_missing = false;
    while (!mc_stop_requested) {
        struct stat st;
        if (stat(rs->path, &st) != 0) {
            if (!announced_missing && rs->o->progress)
                fprintf(stderr, "mailcodes: %s: waiting for the file to appear\n", rs->path);
            announced_missing = true;
            sleep_ms(250);
            continue;
        }
        int rc = open_input(rs);
        if (rc != MC_EXIT_OK) {
            fprintf(stderr, "mailcodes: %s\n", rs->err);
            if (rs->r)
                close_input(rs);
            return rc;
        }
        announced_missing = false;
        for (;;) {
            stream_result res = process_stream(rs);
            if (res != STREAM_IDLE) {
                rc = finish(rs, res);
                close_input(rs);
                return rc;
            }
            mc_follow_state fs = reader_follow_check(rs->r, rs->path);
            if (fs == FOLLOW_SAME) {
                sleep_ms(200);
                continue;
            }
            if (fs == FOLLOW_REPLACED || fs == FOLLOW_TRUNCATED) {
                /* Lines written to the old file just before the rename,
                 * or to the copy. */
                sleep_ms(100);
                res = fs == FOLLOW_REPLACED ? process_stream(rs) : read_rotated_copy(rs);
                if (res != (fs == FOLLOW_REPLACED ? STREAM_IDLE : STREAM_END)) {
                    rc = finish(rs, res);
                    close_input(rs);
                    return rc;
                }
            }
            if (!commit(rs)) {
                rc = finish(rs, STREAM_DB_ERROR);
                close_input(rs);
                return rc;
            }
            close_input(rs);
            break; /* reopen the path */
        }
    }
    return MC_EXIT_OK;
}

/* Chunks of about this many bytes of lines go to a worker: large enough
 * that handing one over (~900 lines) costs nothing next to parsing it,
 * small enough that the chunks in flight with their results (about 2 MiB
 * per worker, measured: 512 KiB chunks cost 6 MiB per worker for no
 * gain) keep memory near one thread's.  MAILCODES_CHUNK_BYTES
 * overrides it (tests make chunks of a line or two, so that chunk borders
 * fall everywhere). */
#define CHUNK_BYTES (128 * 1024)

/* --jobs N: N threads parse, N - 1 workers and this one, which reads,
 * applies, and parses while the chunk due next is not parsed yet.  With
 * no thread to be had, this thread parses alone. */
static void start_workers(run_state *rs)
{
    const char *env = getenv("MAILCODES_CHUNK_BYTES");
    char *end;
    unsigned long long v = env ? strtoull(env, &end, 10) : 0;
    rs->chunk_bytes = env && *env && *end == '\0' && v > 0 && v <= MC_MAX_LINE ? (size_t)v : CHUNK_BYTES;
    /* Two chunks per parsing thread keep each busy while this thread
     * applies one; two more are being filled or applied. */
    rs->depth = 2 * (size_t)rs->o->jobs + 2;
    rs->pool = pool_new(rs->o->rules, rs->o->jobs, rs->agg != NULL, rs->agg ? aggregate_kept(rs->agg) : 0);
    if (rs->pool && rs->o->messages)
        pool_set_join(rs->pool);
}

/* A batch's aggregate.  A report from files keeps few dimensions in a
 * smaller table, so its memory is the same for a day of log or a month.
 * (With the writer thread two live at once, one read and one written: at
 * half the budget each, memory stays as it was without the thread, but an
 * Exim ingest takes 20% longer: measured, not taken.) */
static mc_aggregate *ingest_aggregate(const mc_ingest_opts *o)
{
    mc_aggregate *a = aggregate_new();
    if (o->dims) {
        aggregate_keep_dims(a, o->dims);
        aggregate_set_budget(a, 8192);
    }
    return a;
}

int ingest_path(mc_ingest_opts *o, const char *path)
{
    run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.o = o;
    rs.path = path;
    rs.writer = o->store != NULL && o->incremental;
    if (o->store)
        store_set_stop(o->store, &mc_stop_requested);
    rs.agg = o->store ? ingest_aggregate(o) : NULL;
    parser_init(&rs.parser, &o->rules->parse);
    rs.reasons_seen = reason_cache_new(&o->rules->reasons);
    /* An event's sender domain from the join is read by the aggregate
     * when it keeps that dimension, and by on_event; else not made. */
    if (o->messages)
        messages_fill_sender_domain(o->messages, o->on_event != NULL || rs.agg == NULL ||
                                                     (aggregate_kept(rs.agg) & 1u << DIM_SENDER_DOMAIN));
    if (o->jobs > 1)
        start_workers(&rs);
    if (rs.writer)
        rs.agg_flight = ingest_aggregate(o);
    rs.started = rs.last_flush = rs.last_progress = now_seconds();
    o->progress = o->progress && isatty(STDERR_FILENO);
    int rc;
    uint64_t lines_before = o->lines;
    if (o->follow && strcmp(path, "-") != 0) {
        rc = follow_file(&rs);
    } else {
        rc = open_input(&rs);
        if (rc != MC_EXIT_OK) {
            fprintf(stderr, "mailcodes: %s\n", rs.err);
        } else {
            stream_result res = process_stream(&rs);
            /* Nothing is read again: an input whose position is not kept
             * cannot have been counted by another ingest (finish reads on
             * only then).  The workers free what parsing used while this
             * thread writes the last batch. */
            if (!rs.track_source && res == STREAM_END)
                pool_finish(rs.pool);
            rc = finish(&rs, res);
        }
        if (rs.r)
            close_input(&rs);
    }
    /* A wrong file (dpkg.log, an Apache log) reads without error and finds
     * nothing: say so, or "0 events" reads as a quiet mail server. */
    if (rc == MC_EXIT_OK && o->lines > lines_before && rs.parser.mta_lines == 0)
        fprintf(stderr, "mailcodes: warning: %s: none of its %llu lines was recognised as Postfix or Exim\n",
                strcmp(path, "-") == 0 ? "standard input" : path, (unsigned long long)(o->lines - lines_before));
    if (o->progress)
        fputs("\r\033[K", stderr);
    /* Every end above commits (finish, follow_file); should one not, the
     * batch in flight is waited for before its aggregate is freed. */
    if (rs.in_flight && !store_flush_wait(o->store, NULL, rs.err, sizeof rs.err) && rc == MC_EXIT_OK) {
        fprintf(stderr, "mailcodes: %s\n", rs.err);
        rc = MC_EXIT_DB;
    }
    pool_free(rs.pool);
    parser_free(&rs.parser);
    if (rs.writer && o->messages) /* the batches' copies go: the table's own hook again */
        store_set_flush_hook(o->store, write_changes, o->messages);
    aggregate_free(rs.agg_flight);
    mc_buf_free(&rs.unrec_flight);
    mc_buf_free(&rs.changes.text);
    free(rs.changes.ops);
    mc_buf_free(&rs.unrec_pending);
    reason_cache_free(rs.reasons_seen);
    aggregate_free(rs.agg);
    return rc;
}

/* store_flush hook: the messages changed in this batch, in its transaction. */
typedef struct {
    mc_store *s;
    char *err;
    size_t errlen;
} change_writer;

static bool put_message(const mc_message_state *st, void *ctx)
{
    change_writer *w = ctx;
    return store_message_put(w->s, st, w->err, w->errlen);
}

static bool delete_message(const char *key, void *ctx)
{
    change_writer *w = ctx;
    return store_message_delete(w->s, key, w->err, w->errlen);
}

static bool write_changes(mc_store *s, void *ctx, char *err, size_t errlen)
{
    change_writer w = {.s = s, .err = err, .errlen = errlen};
    return messages_changes(ctx, put_message, delete_message, &w);
}

/* store_messages_read callback: one message back into the table. */
static bool import_message(const mc_message_state *st, void *ctx)
{
    messages_import(ctx, st); /* a full table drops the rest: the lifetime rules anyway */
    return true;
}

int ingest_messages_load(mc_ingest_opts *o)
{
    char err[1024];
    if (o->store == NULL || o->messages == NULL)
        return MC_EXIT_OK;
    messages_track_changes(o->messages);
    store_set_flush_hook(o->store, write_changes, o->messages);
    messages_reset(o->messages);
    if (!store_messages_read(o->store, import_message, o->messages, err, sizeof err)) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    return MC_EXIT_OK;
}
