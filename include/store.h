/*
 * store.h - the fifth stage: counts in SQLite.
 *
 * The database holds aggregated counts per hour and per combination of
 * event dimensions, the line totals, and per source file how far it has
 * been read, all written in one transaction per batch so that a crash loses
 * at most the batch and never double-counts.
 */
#ifndef MC_STORE_H
#define MC_STORE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "aggregate.h"
#include "messages.h"
#include "timewin.h"

#define MC_SCHEMA_VERSION 6 /* 2: line_counts.retry_skips; 3: message figures, senders, recipients,
                               messages_in_flight; 4: meta (last_ingest); 5: counts as tuples and
                               count_rows (the view counts), failures; 6: the recipient in
                               count_rows, failure events packed in failure_blocks */

typedef struct mc_store mc_store;

/* path NULL: a private temporary database (deleted on close), used by
 * `report FILE...`.  read_only: report from an existing database. */
mc_store *store_open(const char *path, bool read_only, char *err, size_t errlen);
void store_close(mc_store *s);

#define MC_FP_LEN 1024

/* Where a source file was left, found by the fingerprint of its first
 * bytes (so a renamed or compressed rotation is still recognised).  Two
 * ingests may read one file at once (cron beside --follow): a flush only
 * writes when the stored position is still `committed`, the one this
 * process last saw, so each line is counted by exactly one of them. */
typedef struct {
    int64_t id;            /* 0: not known yet */
    uint64_t offset;       /* decompressed bytes already counted */
    uint32_t fp_len;
    uint64_t fp_hash;
    uint64_t committed;    /* the stored offset when last read or written */
    bool lost;             /* a flush found another ingest had moved it on */
    char head[MC_FP_LEN];  /* the first fp_len bytes, to look the source up again */
} mc_source;

uint64_t store_fingerprint(const char *bytes, size_t n);

/* Looks the fingerprint up; head holds the first n bytes of the stream. */
bool store_source_find(mc_store *s, const char *head, size_t n, mc_source *src, char *err, size_t errlen);
/* The source has grown past a short fingerprint: take the longer one. */
void store_source_refingerprint(mc_source *src, const char *head, size_t n);

/* Writes the aggregate (and the source position, when src is non-NULL) in
 * one transaction.  When another ingest has moved the source on since
 * src->committed, nothing is written: false with src->lost set, and src
 * holds the stored position (id, committed) to go on from. */
bool store_flush(mc_store *s, const mc_aggregate *a, mc_source *src, const char *path,
                 char *err, size_t errlen);

/* The same, on the store's writer thread, while the caller reads the next
 * batch: one batch in flight.  The batch is a (the writer's until
 * store_flush_wait, which hands it back cleared), the failure events added
 * since the last flush, the flush hook's writes (the hook runs on the
 * writer: its data must be the batch's own, not what the caller goes on
 * changing) and a copy of src (NULL: not tracked).  store_flush_wait waits
 * for it (true at once when none is in flight) and says what store_flush
 * would have: on success src->committed is the batch's offset; when another
 * ingest had moved the source on, false with src->lost set and src at the
 * stored position, and the failure events added since the hand-off (the
 * batch being read, which the caller drops too) are dropped.  Nothing else
 * may use the store while a batch is in flight, but store_failure_add.
 * With no thread to be had, store_flush_start writes before it returns. */
void store_flush_start(mc_store *s, mc_aggregate *a, const mc_source *src, const char *path);
bool store_flush_wait(mc_store *s, mc_source *src, char *err, size_t errlen);
/* While the writer thread runs on a database file, its checkpoints (the
 * WAL copied into the database) run on a thread and connection of their
 * own, asked for after a commit that leaves at least `pages` pages in the
 * WAL (1,000 by default; 0 or less: SQLite's automatic checkpoint on the
 * writer, as a test compares).  Set before the first store_flush_start.
 * store_checkpoints: how many of that thread's copied pages (for tests). */
void store_set_checkpoint_pages(mc_store *s, int pages);
size_t store_checkpoints(mc_store *s);

/* The messages in flight kept between runs (messages.h): read hands each
 * to fn.  The writes happen inside store_flush's transaction, from its
 * hook, so that the table and the counts of a batch commit together. */
bool store_messages_read(mc_store *s, mc_message_fn fn, void *ctx, char *err, size_t errlen);
typedef bool (*mc_flush_hook)(mc_store *s, void *ctx, char *err, size_t errlen);
/* fn runs in every store_flush transaction, after the counts (NULL: none). */
void store_set_flush_hook(mc_store *s, mc_flush_hook fn, void *ctx);
/* The caller's stop request (a signal handler's flag): a wait for another
 * process's lock ends as soon as it is set (the batch then fails as locked). */
void store_set_stop(mc_store *s, const volatile sig_atomic_t *stop);
bool store_message_put(mc_store *s, const mc_message_state *m, char *err, size_t errlen);
bool store_message_delete(mc_store *s, const char *key, char *err, size_t errlen);

/* Failure events, for trace from the database.  store_failure_add packs
 * one into the batch's block of its hour (a new block when the hour
 * changes or the block is full), in memory only: the batch's blocks are
 * written in its transaction (store_flush, store_flush_start), so they
 * commit with the counts and the source position of their batch, or not
 * at all.  Blocks whose newest event is older than the retention (log
 * time, counted back from the newest kept) are pruned in every flush that
 * added some.  delays: the delay fields as logged (may be null). */
#define MC_RETENTION_DEFAULT (14 * 86400)
void store_set_retention(mc_store *s, int64_t seconds); /* 0: keep none */
/* The bytes of a report's groups summed in memory before a query falls
 * back to SQL's GROUP BY (16 MiB; 0: always SQL's, as a test compares). */
void store_set_group_bytes(mc_store *s, size_t bytes);
/* How many queries of this handle were grouped in memory (for tests). */
size_t store_groups_in_memory(const mc_store *s);
void store_failure_add(mc_store *s, const mc_event *ev, mc_str delays);

/* ---- queries ---------------------------------------------------------- */

/* The failure events kept in window w for target (an address: recipient or
 * sender, ASCII case ignored; else a queue or message id), in log order.
 * The event and delays are valid during the call of fn; false stops. */
typedef bool (*mc_failure_fn)(const mc_event *ev, mc_str delays, void *ctx);
bool store_failures(mc_store *s, const mc_window *w, const char *target, bool address, mc_failure_fn fn,
                    void *ctx, char *err, size_t errlen);


typedef struct {
    uint64_t lines, skipped, unrecognised, retry_skips, events, hard;
    uint64_t by_class[5];
    mc_msg_figures msg;        /* per-message figures */
    uint64_t senders, recipients; /* distinct, of outbound events */
    bool senders_known, recipients_known; /* false: the rows were counted without them */
} mc_totals;

#define MC_FILTER_KEYS 6
/* Narrows a query: failures only, and/or equality on up to six keys
 * (names from store_key_expr; values are bound, never pasted). */
typedef struct {
    bool problems_only;      /* class transient or permanent */
    bool problems_first;     /* sort failures before successes */
    const char *keys[MC_FILTER_KEYS];
    const char *values[MC_FILTER_KEYS]; /* "" matches null */
    size_t n;
} mc_filter;

bool store_totals(mc_store *s, const mc_window *w, const mc_filter *f, mc_totals *t, char *err,
                  size_t errlen);

/* The log lines read in window w (the first of store_totals' figures, without its scans of the counts). */
bool store_lines(mc_store *s, const mc_window *w, uint64_t *lines, char *err, size_t errlen);

/* The first and last event's time in window w ("" when none). */
bool store_span(mc_store *s, const mc_window *w, char *first, char *last, size_t len, char *err, size_t errlen);

/* Records the time of this ingest (UTC); the last one is store_last_ingest's. */
bool store_mark_ingest(mc_store *s, char *err, size_t errlen);
/* The UTC time of the last ingest ("" when unknown: files, a database from
 * before schema 3). */
bool store_last_ingest(mc_store *s, char *buf, size_t len, char *err, size_t errlen);

/* The newest hour bucket with events ("" when empty). */
bool store_last_hour(mc_store *s, char *buf, size_t len, char *err, size_t errlen);
/* The n most common shapes of unrecognised lines in the window, most
 * common first (ties by shape); *found of them are filled. */
bool store_unrecognised_top(mc_store *s, const mc_window *w, mc_shape_count *top, size_t n, size_t *found,
                            char *err, size_t errlen);

/* One group of the MTA's warnings over a window (mtawarn.h): text "" is
 * the "other warnings" of an hour that had more groups than the store
 * keeps.  The strings live until the callback returns. */
typedef struct {
    const char *mta, *severity, *text;
    uint64_t count;
    const char *first, *last, *sample; /* sample: the newest line's message */
} mc_warn_row;

typedef bool (*mc_warn_fn)(const mc_warn_row *row, void *ctx);

/* Every warning group of the window, most lines first (at most limit;
 * 0: all); a database from before warnings has none. */
bool store_warnings(mc_store *s, const mc_window *w, size_t limit, mc_warn_fn fn, void *ctx, char *err,
                    size_t errlen);

/* Names usable with --by, and the column expression each stands for. */
const char *store_key_expr(const char *key);

/* One result row: values[i] for keys[i] ("" = null), then class and count. */
typedef struct {
    const char *values[24];
    const char *klass;
    uint64_t count;
    const char *first_seen, *last_seen, *sample;
} mc_row;

typedef bool (*mc_row_fn)(const mc_row *row, void *ctx);

/* Groups by keys (validated names) plus class; sorted by count desc, then
 * keys.  limit 0 = all.  f may be NULL. */
bool store_rows(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys,
                const mc_filter *f, size_t limit, mc_row_fn fn, void *ctx, char *err, size_t errlen);

/* Like store_rows over the failures (class transient or permanent), with
 * no limit and only the values, class and count of each row (no times or
 * sample): summed per tuple before the text columns are grouped, for keys
 * that are columns of the tuples (not hour or recipient). */
bool store_tuple_rows(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys, mc_row_fn fn,
                      void *ctx, char *err, size_t errlen);

/* Hands fn the delay histogram of every group of keys (names with
 * by_key_has_delays), and of class too when by_class (klass NULL
 * otherwise), in the window, sorted by the keys; fn returns false to stop.
 * values and h are valid during the call. */
typedef bool (*mc_delay_fn)(const char *const *values, const char *klass, const mc_delay_hist *h, void *ctx);
bool store_delay_groups(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys,
                        bool by_class, mc_delay_fn fn, void *ctx, char *err, size_t errlen);

#endif
