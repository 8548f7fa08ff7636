/*
 * ingest.h - drive the data flow for a set of inputs: read lines, parse,
 * classify, then either aggregate into the store or hand each event to a
 * callback (scan).
 */
#ifndef MC_INGEST_H
#define MC_INGEST_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "event.h"
#include "messages.h"
#include "rules.h"
#include "store.h"

typedef void (*mc_event_fn)(const mc_event *ev, void *ctx);
typedef void (*mc_fact_fn)(const mc_fact *f, void *ctx);
typedef bool (*mc_line_fn)(mc_str line, void *ctx);

typedef struct {
    const mc_rules *rules;
    mc_store *store;            /* NULL: events go to on_event only */
    bool incremental;           /* remember and resume source positions */
    mc_event_fn on_event;
    void *on_event_ctx;
    mc_fact_fn on_fact;         /* each message fact (received, queued...), with on_event_ctx */
    mc_line_fn line_filter;     /* NULL: every line; false: the line is not parsed (trace's
                                 * cheap literal check), with on_event_ctx */
    FILE *unrecognised_out;     /* --unrecognised FILE, or NULL */
    bool progress;              /* progress lines on stderr */
    double flush_seconds;       /* commit at least this often (0: only when full / at end) */
    bool follow;                /* like tail -F: never ends, survives rotation */
    uint32_t dims;              /* aggregate dimensions kept (0: all) */
    mc_messages *messages;      /* the join by message, across inputs (NULL: none) */
    int jobs;                   /* --jobs: parser threads (0, 1: parse on this thread) */
    /* Filled in as it runs: */
    uint64_t lines, events, skipped, unrecognised, retry_skips, bytes_skipped_resume;
} mc_ingest_opts;

/* Set by SIGINT/SIGTERM: the loop commits what it read and stops. */
extern volatile sig_atomic_t mc_stop_requested;
void ingest_install_signals(void);
void ingest_reset_stop(void);

/* Processes one input ("-" = stdin).  Returns an exit code (MC_EXIT_*),
 * with a message on stderr for anything but success. */
int ingest_path(mc_ingest_opts *o, const char *path);

/* The messages an earlier ingest left in flight, from the store into
 * o->messages, which from then on commits with every batch.  Returns an
 * exit code. */
int ingest_messages_load(mc_ingest_opts *o);

#endif
