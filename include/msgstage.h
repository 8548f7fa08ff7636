/*
 * msgstage.h - the join by message (messages.h) on a thread of its own.
 *
 * With --jobs N the ingest loop applies each parsed chunk in input order
 * (the line counts, the aggregate); the join of its facts and outcomes in
 * the table of messages in flight can run after it, on another thread,
 * when nothing the loop does with a line reads what the join writes into
 * it (the sender an outcome takes from its message): a report from files
 * that counts by neither sender dimension.  The loop hands each applied
 * chunk over in order; the stage joins its lines in order (the same calls
 * in the same order as the loop would make: the same table, the same
 * figures) and writes down the figures each line settled, with their
 * time; the loop takes the chunk back in order, counts those figures in
 * its aggregate (counts add: the hour's sums are the same whichever batch
 * holds them) and recycles the chunk.  The table is the stage's from
 * msgstage_new to msgstage_free.
 */
#ifndef MC_MSGSTAGE_H
#define MC_MSGSTAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "messages.h"
#include "workers.h"

/* Chunks the stage holds at most (handed over and not taken back). */
#define MC_MSGSTAGE_DEPTH 8

/* A line's per-message figures and the time they are counted at. */
typedef struct {
    mc_time time;
    mc_msg_figures fig;
} mc_stage_figure;

typedef struct mc_msgstage mc_msgstage;

/* Starts the thread that joins in m; NULL when none can be started (the
 * caller joins on its own thread). */
mc_msgstage *msgstage_new(mc_messages *m);
/* Stops the thread once every chunk handed over is joined, and frees it
 * (the chunks not taken back stay the caller's: take them first). */
void msgstage_free(mc_msgstage *s);
/* Whether MC_MSGSTAGE_DEPTH chunks are held: take one back first. */
bool msgstage_full(const mc_msgstage *s);
/* Hands over a chunk whose first n_lines lines the loop applied. */
void msgstage_push(mc_msgstage *s, mc_chunk *c, size_t n_lines);
/* The oldest chunk handed over, once joined (wait: waits for it; else
 * NULL when it is not joined yet), or NULL when none is held; *figs and *n
 * the figures its lines settled, in line order, valid until the next
 * msgstage_push. */
mc_chunk *msgstage_take(mc_msgstage *s, bool wait, const mc_stage_figure **figs, size_t *n);

#endif
