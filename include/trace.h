/*
 * trace.h - the life of one message, or every event for one address, from
 * log files (mailcodes trace): like exigrep, but each reply decoded.
 *
 * ingest drives it through three callbacks: a literal check of the raw
 * line (cheap: the target must appear in it), then the facts and events
 * of the lines that pass.  The trace prints as it goes and says at the end
 * what happened to each recipient.
 */
#ifndef MC_TRACE_H
#define MC_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"
#include "rules.h"
#include "store.h"
#include "timewin.h"

typedef struct mc_trace mc_trace;

/* target: a Postfix queue id, an Exim message id, or an address (has '@').
 * json: the matching events as scan's JSON lines, nothing else.  lang:
 * the --lang of the labels (NULL: English; check it first with lang_check). */
mc_trace *trace_new(const mc_rules *rules, const char *target, bool json, const char *lang, FILE *out);
void trace_free(mc_trace *t);

/* ingest's callbacks (ctx: the mc_trace). */
bool trace_line(mc_str line, void *ctx);
void trace_fact(const mc_fact *f, void *ctx);
void trace_event(const mc_event *ev, void *ctx);

/* Prints the outcome per recipient (text only); returns the events and
 * facts matched. */
uint64_t trace_finish(mc_trace *t);

/* From the database: the failure events ingest kept (see store.h) in
 * window w, printed as from the files; no outcome is drawn from failures
 * alone. */
bool trace_from_store(mc_trace *t, mc_store *s, const mc_window *w, char *err, size_t errlen);

/* ingest's side: keeps each failure event (not successes) in the store,
 * with the delay fields of its line.  Set line_filter = trace_record_line
 * and on_event = trace_record_event with this as their context. */
typedef struct mc_trace_recorder mc_trace_recorder;
mc_trace_recorder *trace_recorder_new(mc_store *store);
void trace_recorder_free(mc_trace_recorder *r);
bool trace_record_line(mc_str line, void *ctx);
void trace_record_event(const mc_event *ev, void *ctx);

#endif
