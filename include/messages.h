/*
 * messages.h - the join by message: a bounded table of the messages in
 * flight, keyed by queue id within one host and MTA instance (Postfix) or
 * by message id (Exim), fed with the facts (received, queued, removed) and
 * the outcomes of their lines.  It gives outbound events their envelope
 * sender, and counts each message once in the per-message figures.
 *
 * Memory is flat: a message leaves the table when the MTA says it left the
 * queue, or when it has been quiet for longer than the queue lifetime (log
 * time; counted as evicted), or, when the table is full, the longest quiet
 * ones first (counted too).  The table outlives one input, so a rotated or
 * split log joins across files in one run; messages_export/import let
 * ingest keep it in the database between runs.
 */
#ifndef MC_MESSAGES_H
#define MC_MESSAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

#define MC_MESSAGES_LIFETIME (5 * 86400) /* Postfix maximal_queue_lifetime, Exim timeout_frozen_after-ish */
/* Messages in flight at most: 12.8 MB of entries, 64 bytes each (and a
 * record of its own for the few whose key and sender do not fit in one). */
#define MC_MESSAGES_CAPACITY 200000

typedef struct mc_messages mc_messages;

/* lifetime: seconds of log time a message may stay quiet (0: default). */
mc_messages *messages_new(size_t capacity, int64_t lifetime);
void messages_free(mc_messages *m);

/* A message fact; figures it settles are added to *fig. */
void messages_fact(mc_messages *m, const mc_fact *f, mc_msg_figures *fig);
/* An outcome: fills ev->sender (and sender_domain) from the message when
 * the line lacks it; figures it settles are added to *fig.  The sender
 * view stays valid until the next call. */
void messages_event(mc_messages *m, mc_event *ev, mc_msg_figures *fig);

/* Ahead of the join: a worker thread works out, from the line alone, the
 * mix of its queue id that picks the message's memo slot (a function of
 * the queue id's bytes, the same for every table), so that the loop asks
 * memory for the entry the memo names a few lines before it applies the
 * line, and does not read the queue id's bytes to find it.  The mix only
 * picks a memo slot: every entry found there is checked whole. */
uint64_t messages_mix(mc_str queue_id);
/* Asks memory for the entry of the message whose queue id's mix is mix,
 * when the memo knows it (the loop's thread). */
void messages_prefetch(const mc_messages *m, uint64_t mix);
/* Asks memory for the index slot (and its bit) where the lookup of host,
 * program and queue id (mix: its messages_mix) will start, when the memo
 * does not know the message (most of them a new message: at scale two
 * misses); the loop's thread, a few lines before the line is applied.
 * The key's hash it makes is kept for that lookup (when given the same
 * mix), which checks the key whole before it takes it: no answer depends
 * on this call. */
void messages_prefetch_slot(mc_messages *m, mc_str host, mc_str program, mc_str queue_id, uint64_t mix);
/* messages_fact and messages_event given the mix of the line's queue id
 * (messages_mix; NULL: none): the same answers. */
void messages_fact_mixed(mc_messages *m, const mc_fact *f, const uint64_t *mix, mc_msg_figures *fig);
void messages_event_mixed(mc_messages *m, mc_event *ev, const uint64_t *mix, mc_msg_figures *fig);
/* Whether messages_event fills ev->sender_domain along with the sender it
 * takes from the message (the default); a caller that reads no sender
 * domain (a report that does not count by it) saves making it. */
void messages_fill_sender_domain(mc_messages *m, bool fill);

/* How many messages are in flight. */
size_t messages_in_flight(const mc_messages *m);

/* One message in flight, as kept between runs. */
typedef struct {
    const char *key;       /* host, instance and queue id, each ended by '\n' */
    const char *sender;    /* NULL: unknown */
    int64_t size;          /* -1: unknown */
    int64_t first, last;   /* log time, seconds since 1970 in the log's clock */
    unsigned flags;
} mc_message_state;

typedef bool (*mc_message_fn)(const mc_message_state *st, void *ctx);
/* Hands every message in flight to fn (stops when it returns false). */
bool messages_export(const mc_messages *m, mc_message_fn fn, void *ctx);
/* Puts a message back (from the database); false when the table is full. */
bool messages_import(mc_messages *m, const mc_message_state *st);
/* Forgets every message (before importing the database's again). */
void messages_reset(mc_messages *m);

/* Change tracking, for ingest to commit the table with each batch: once
 * on, messages_changes hands over the messages changed and the keys of
 * those gone since the last messages_changes_saved (only of those that
 * were imported or saved: one that came and went in between was never
 * in the database). */
void messages_track_changes(mc_messages *m);
typedef bool (*mc_message_gone_fn)(const char *key, void *ctx);
bool messages_changes(const mc_messages *m, mc_message_fn changed, mc_message_gone_fn gone, void *ctx);
void messages_changes_saved(mc_messages *m);

/* Tests: the fast hash the index starts with replaced by hash (NULL: the
 * real one), so that chains can be made long; and whether the index has
 * switched to SipHash since (it does when a probe walks too far). */
void messages_set_test_hash(mc_messages *m, uint64_t (*hash)(const void *p, size_t n));
bool messages_hash_is_sip(const mc_messages *m);
/* Tests: how many index slots are marked as holding a message (each
 * message in flight holds one). */
size_t messages_index_marked(const mc_messages *m);
/* Tests: whether a key's only '\n' are three (a plain key, key_into's
 * fields holding none), read eight bytes a step (*fast), from a fresh
 * narrow entry holding it (*fresh; a key too long for one: *general) and
 * byte by byte, its definition (*general). */
void messages_key_plain(const char *key, size_t n, bool *fast, bool *fresh, bool *general);
/* Tests: the instance a key takes of a syslog program (its bytes before
 * the first '/'), read by words (*fast) and by memchr, its definition
 * (*general). */
void messages_instance_len(mc_str program, size_t *fast, size_t *general);
/* Tests: whether the fresh narrow entry a new message's lookup makes of a
 * key (n bytes, n + 1 <= 48, with 48 readable bytes at key) by three
 * stores is byte for byte the one entry_set_key makes. */
bool messages_key48_same(const char *key, size_t n);
/* Tests: the length a kept sender of n bytes at p takes (to its first
 * NUL), read 16 bytes a step (*fast) and by strnlen, its definition
 * (*general). */
void messages_sender_len(const char *p, size_t n, size_t *fast, size_t *general);
/* Tests: the seconds a time counts as in the table, through its memos of
 * the last day and second (*fast; they are kept), and counted whole, the
 * definition (*general). */
void messages_seconds(mc_messages *m, const mc_time *t, int64_t *fast, int64_t *general);
/* Tests: messages_fact and messages_event by the lookup alone, their
 * definition: neither memo_known's answer nor the index reached past it
 * without lookup's checks (lookup_unmemoed) that messages_fact_mixed and
 * messages_event_mixed take.  The same answers, figures and table. */
void messages_fact_general(mc_messages *m, const mc_fact *f, mc_msg_figures *fig);
void messages_event_general(mc_messages *m, mc_event *ev, mc_msg_figures *fig);
/* Tests: the table's clock (the latest time it was asked at). */
int64_t messages_clock(const mc_messages *m);
/* Tests: whether the message the memo slot of mix holds (none: both
 * false) is that of host, program and queue id, by the lookup's fast
 * reading of a narrow plain entry (*fast) and by the general one, its
 * definition (*general). */
void messages_memo_is(const mc_messages *m, uint64_t mix, mc_str host, mc_str program, mc_str queue_id, bool *fast,
                      bool *general);
/* Tests: the lookup of host, program and queue id at t (mix: the queue
 * id's messages_mix) by the memo's answer messages_fact_mixed and
 * messages_event_mixed try first (*fast: it answered), then by the
 * lookup, its definition (creating nothing): *same when the memo's answer
 * was the lookup's entry left byte for byte as the lookup leaves it, the
 * table's clock too, or, when it gave none, it changed nothing.  The
 * memo's entry and the clock are left as they were before the call. */
void messages_memo_known(mc_messages *m, uint64_t mix, mc_str host, mc_str program, mc_str queue_id, const mc_time *t,
                         bool *fast, bool *same);

#endif
