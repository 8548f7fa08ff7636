/*
 * workers.h - parse and classify chunks of lines on worker threads
 * (--jobs N); the ingest loop applies the results in input order.
 *
 * The loop (ingest.c) has the reader put a block of whole lines into a
 * chunk (reader_next_block: read straight into it, nothing split), hands
 * it to the pool, and takes chunks back strictly in the order they were
 * handed over (parsing queued ones itself while the oldest is not
 * parsed yet).  A worker splits the block into lines, skips and counts
 * those the reader would skip, and runs, for every other line, what costs:
 * the envelope, the MTA's line rules and the classification, each worker
 * with its own parser, matcher and reason cache.  What depends on the
 * lines before (the year of a stamp without one, the time of a line
 * without a stamp, the message join, the counts) is left to the loop:
 * a worker writes down what the loop needs to decide it (workers_settle).
 * So the output is the same for any number of threads and any chunk size.
 */
#ifndef MC_WORKERS_H
#define MC_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "delays.h"
#include "event.h"
#include "messages.h"
#include "parse.h"
#include "reader.h"
#include "rules.h"

/* What a worker found on one line, and where the reader would stand
 * after it, counted from the start of the chunk (the loop adds its base). */
typedef struct {
    uint32_t off, len;        /* the line, in the chunk's bytes */
    uint64_t lines, skipped;  /* lines (and skipped ones) up to it in the chunk */
    uint64_t offset;          /* its end (after the newline) in the chunk's bytes */
    int32_t ev, fact;         /* index in events / facts, -1: none */
    uint32_t calls_at;        /* its year inferences, in calls */
    uint8_t n_calls;
    uint8_t result;           /* mc_parse_result */
    uint8_t mta;              /* lines the parser counted as an MTA's */
    bool has_stamp;           /* stamp holds the line's own valid time */
    bool warning;             /* one of the MTA's warnings (mtawarn_line) */
    uint8_t mix_of;           /* mix is its fact's queue id's (MC_MIX_FACT), its event's, or none (0) */
    mc_time stamp;
    uint64_t mix;             /* messages_mix, for the join (pool_set_join) */
} mc_line_out;

enum { MC_MIX_FACT = 1, MC_MIX_EVENT = 2 };

/* What a worker prepared of an event for the loop's aggregate (only what
 * needs no other line, nor the join): its delays read and put in their
 * buckets (delay_read_logged), and the values of the kept dimensions but
 * the hour packed (aggregate_pack_rest, at pack_at in the chunk's packs). */
typedef struct {
    mc_delay_read delays;
    bool has_delays;
    bool packed;
    uint32_t pack_at, pack_n;
    uint32_t lens[DIM_COUNT];
} mc_event_prep;

/* A string copied out of the parser's scratch (a journald field), to be
 * pointed at its copy once the chunk is done. */
typedef struct {
    uint32_t index;           /* in events or facts */
    uint16_t field;           /* offset of the mc_str in the struct */
    bool in_fact;
    uint32_t at;              /* in side */
} mc_reloc;

typedef struct mc_chunk {
    uint64_t seq;
    mc_buf bytes;             /* the block of whole lines (reader_next_block) */
    uint64_t base_lines, base_skipped; /* the reader's counts before the block */
    uint64_t base_offset;     /* the block's offset in the stream */
    uint64_t tot_lines, tot_skipped;   /* the block's lines, skipped ones included */
    mc_line_out *lines;
    size_t n_lines, cap_lines;
    mc_event *events;
    size_t n_events, cap_events;
    mc_fact *facts;
    size_t n_facts, cap_facts;
    mc_event_prep *preps;     /* by event, when the pool prepares for an aggregate */
    size_t cap_preps;
    mc_buf packs;             /* the preps' packed values */
    int (*calls)[2];
    size_t n_calls, cap_calls;
    mc_buf side;              /* copies of scratch strings */
    mc_reloc *relocs;
    size_t n_relocs, cap_relocs;
    bool done;
    struct mc_chunk *next;      /* in the order handed over, or free */
    struct mc_chunk *next_todo; /* waiting for a worker */
} mc_chunk;

typedef struct mc_pool mc_pool;

/* n threads parse with rules: n - 1 worker threads started here and the
 * caller's, in pool_take.  They mark the MTA's warnings when asked and
 * prepare the events (preps) for an aggregate that counts by keep
 * (aggregate_kept; 0: none).  NULL when a thread cannot be started (the
 * caller goes on with one thread). */
mc_pool *pool_new(const mc_rules *rules, int n, bool warnings, uint32_t keep);
/* Has the workers mix each line's queue id for the join (messages_mix):
 * its fact's, else its event's. */
void pool_set_join(mc_pool *pool);
/* Waits for the work handed over, stops and frees the threads. */
void pool_free(mc_pool *pool);
/* No chunk will be handed over or taken back again (only pool_free may
 * follow): the workers end, freeing on their own threads their state,
 * the caller's and the idle chunks, while the caller goes on. */
void pool_finish(mc_pool *pool);
/* The parsing threads' states (the caller's among them) not freed yet
 * (a test hook: pool_finish brings it to 0 without the caller). */
int pool_states_held(mc_pool *pool);
/* An empty chunk to fill (a recycled one when there is one). */
mc_chunk *pool_chunk(mc_pool *pool);
/* Hands a filled chunk to the workers. */
void pool_submit(mc_pool *pool, mc_chunk *c);
/* Chunks handed over and not yet taken back. */
size_t pool_in_flight(const mc_pool *pool);
/* The oldest chunk handed over, once parsed; NULL when none.  Until it
 * is, parses the queued chunks itself, and waits only when none is. */
mc_chunk *pool_take(mc_pool *pool);
/* The chunks no thread has begun to parse are given up unparsed (their
 * lines none): what is dropped is not worth parsing, and pool_take would
 * otherwise parse them on the caller's thread. */
void pool_drop_queued(mc_pool *pool);
/* A chunk taken back and applied: its buffers are used again. */
void pool_recycle(mc_pool *pool, mc_chunk *c);

/* The line's view into the chunk. */
mc_str chunk_line(const mc_chunk *c, const mc_line_out *l);
/* Applies, in input order, what depends on the lines before: replays the
 * line's year inferences on p->years, sets p->last_time from its stamp,
 * puts the decided years and times into its event and fact and counts it
 * in p->mta_lines.  p is the loop's parser, used for its state only. */
void workers_settle(mc_parser *p, mc_chunk *c, const mc_line_out *l);

/* Most --jobs (main.c's message says it). */
#define MC_MAX_JOBS 64

/* The default --jobs: the online cores, at most MC_MAX_JOBS. */
int workers_default_jobs(void);

#endif
