/*
 * aggregate.h - the fourth stage: count events by every dimension in
 * memory, so the store sees one row per distinct combination per batch
 * instead of one write per line.
 */
#ifndef MC_AGGREGATE_H
#define MC_AGGREGATE_H

#include <stdbool.h>
#include <stdint.h>

#include "delays.h"
#include "event.h"
#include "lineshape.h"

/* The dimensions an event is counted by, in store column order. */
typedef enum {
    DIM_HOUR,   /* "YYYY-MM-DDTHH" in the log's own clock, "" unknown */
    DIM_MTA,
    DIM_HOST,
    DIM_DIRECTION,
    DIM_STATUS,
    DIM_STAGE,
    DIM_CODE,
    DIM_ENHANCED,
    DIM_CLASS,
    DIM_REASON,
    DIM_DOMAIN,
    DIM_RELAY,
    DIM_CLIENT,
    DIM_CONFLICT,
    DIM_HARD,
    DIM_INFERRED,
    DIM_SENDER,
    DIM_SENDER_DOMAIN,
    DIM_RECIPIENT,
    DIM_COUNT
} mc_dim;

#define MC_SAMPLE_MAX 300 /* bytes of reply text kept as a sample */

typedef struct mc_agg_entry {
    const char *dims[DIM_COUNT]; /* NUL-terminated, "" for null; in the arena */
    uint64_t count;
    mc_time first, last;         /* formatted only when written out */
    uint64_t first_key, last_key;
    const char *sample;          /* in the arena, may be "" */
    uint64_t hash;
    uint32_t lens[DIM_COUNT];    /* each value's length */
    size_t key_len;              /* the packed values' bytes, NULs included */
    mc_delay_cells delays;       /* the delays of its events (delays.h), sparse */
} mc_agg_entry;

typedef struct {
    char hour[48];
    uint64_t lines, skipped, unrecognised, retry_skips;
    mc_msg_figures msg;      /* per-message figures settled in this hour */
} mc_line_count;

/* Unrecognised lines of one shape in one hour bucket. */
typedef struct {
    char hour[48];
    char shape[MC_SHAPE_MAX];
    uint64_t count;
} mc_shape_count;

/* The MTA's warnings of one group (mtawarn.h) in one hour bucket. */
typedef struct {
    char hour[48];
    char mta[16];
    char severity[16];
    char text[MC_SHAPE_MAX];        /* the group: its variable words folded */
    uint64_t count;
    mc_time first, last;
    uint64_t last_key;
    char sample[MC_SAMPLE_MAX + 1]; /* the newest line's message, raw */
} mc_warn_count;

typedef struct mc_aggregate mc_aggregate;

mc_aggregate *aggregate_new(void);
/* Counts only by the dimensions in keep (a bit per mc_dim); the others are
 * stored empty.  A report straight from files needs few dimensions, and
 * fewer distinct tuples make it faster.  Default: all. */
void aggregate_keep_dims(mc_aggregate *a, uint32_t keep);
/* With the dimensions: count delivery delays too (delays.h); a report
 * that shows none leaves it out and saves their cost. */
#define MC_KEEP_DELAYS (1u << 31)
#define MC_ALL_DIMS (((1u << DIM_COUNT) - 1) | MC_KEEP_DELAYS)
/* An entry's first and last time as ISO 8601 text. */
void aggregate_entry_seen(const mc_agg_entry *e, char *first, char *last, size_t len);
void aggregate_free(mc_aggregate *a);
void aggregate_add(mc_aggregate *a, const mc_event *ev);
/* As aggregate_add, with the event's delays as delay_read_logged read
 * them (NULL: read here). */
void aggregate_add_read(mc_aggregate *a, const mc_event *ev, const mc_delay_read *rd);
/* Appends to out the values of the dimensions in keep but the hour, as
 * the table's key holds them after the hour (each value and its NUL, in
 * dimension order; an unkept one its NUL alone), and sets lens to their
 * lengths (the hour's 0); the bytes appended.  A function of the event
 * alone: a worker thread packs them, before the ingest loop's join fills
 * the sender (keep must then hold neither sender dimension). */
size_t aggregate_pack_rest(uint32_t keep, const mc_event *ev, mc_buf *out, uint32_t lens[DIM_COUNT]);
/* As aggregate_add_read, with the event's values but the hour packed by
 * aggregate_pack_rest with the table's dimensions (rest_n bytes). */
void aggregate_add_packed(mc_aggregate *a, const mc_event *ev, const mc_delay_read *rd, const char *rest,
                          size_t rest_n, const uint32_t rest_lens[DIM_COUNT]);
/* The dimensions counted by (a bit per mc_dim) and MC_KEEP_DELAYS. */
uint32_t aggregate_kept(const mc_aggregate *a);
/* Line accounting per hour bucket (lines without a time go to ""). */
void aggregate_lines(mc_aggregate *a, const mc_time *t, uint64_t lines, uint64_t skipped,
                     uint64_t unrecognised, uint64_t retry_skips);
/* One unrecognised line of this shape (see lineshape.h) at time t. */
void aggregate_shape(mc_aggregate *a, const mc_time *t, const char *shape);
size_t aggregate_shapes(const mc_aggregate *a);
const mc_shape_count *aggregate_shape_at(const mc_aggregate *a, size_t i);
/* One MTA warning of this group (mtawarn.h) at time t; message is the sample. */
void aggregate_warning(mc_aggregate *a, const mc_time *t, const char *mta, const char *severity,
                       const char *text, mc_str message);
size_t aggregate_warnings(const mc_aggregate *a);
const mc_warn_count *aggregate_warning_at(const mc_aggregate *a, size_t i);
/* Per-message figures (messages.c) settled at time t. */
void aggregate_messages(mc_aggregate *a, const mc_time *t, const mc_msg_figures *fig);
size_t aggregate_size(const mc_aggregate *a);
/* True when the table has reached its memory budget: flush and clear. */
bool aggregate_full(const mc_aggregate *a);
/* True when the table holds half its budget of entries or of delay cells:
 * an ingest may end its batch at the next turn of the hour. */
bool aggregate_half_full(const mc_aggregate *a);
/* The budget in entries (0: the default, 30 000). */
void aggregate_set_budget(mc_aggregate *a, size_t entries);
/* Entries and line counts, for the store to write. */
const mc_agg_entry *aggregate_entry(const mc_aggregate *a, size_t i);
size_t aggregate_line_buckets(const mc_aggregate *a);
const mc_line_count *aggregate_line_bucket(const mc_aggregate *a, size_t i);
/* Forgets everything (after a flush); memory is kept for reuse. */
void aggregate_clear(mc_aggregate *a);
/* Tests: the fast hash the table starts with replaced by hash (NULL: the
 * real one), so that chains can be made long; and whether the table has
 * switched to SipHash since (it does when a probe walks too far). */
void aggregate_set_test_hash(mc_aggregate *a, uint64_t (*hash)(const void *p, size_t n));
bool aggregate_hash_is_sip(const mc_aggregate *a);

#endif
