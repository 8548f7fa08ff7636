/*
 * event.h - one SMTP outcome reported by one log line (docs/CONTRACT.md "The event").
 *
 * An event borrows its strings from the line it was parsed from (mc_str
 * views) or from the rules (static for the life of the program), so making
 * an event allocates nothing.  It is valid until the next line is read.
 */
#ifndef MC_EVENT_H
#define MC_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

typedef enum { CLASS_UNKNOWN = 0, CLASS_SUCCESS, CLASS_INTERMEDIATE, CLASS_TRANSIENT, CLASS_PERMANENT } mc_class;

/* Broken-down time as the log wrote it: no conversion, so a report groups
 * by the clock the postmaster reads in the log. */
typedef struct {
    int year, month, day, hour, min, sec;
    int usec;          /* -1: the log had no fraction */
    char zone[8];      /* "" (none written), "Z", "+01:00" */
    bool valid;
} mc_time;

typedef struct {
    /* What the loop thread reads of every event comes first, in 128 bytes:
     * a worker wrote the event on the other core, so each cache line of it
     * the loop touches is a miss (the aggregate reads the time; the join
     * the host, program, status, queue id, sender and stage).  The big
     * arrays come last.  ingest.c's apply_prefetch asks for these bytes
     * by MC_EVENT_HOT_END. */
    mc_time time;
    mc_str host;
    mc_str program;        /* syslog tag without pid, e.g. postfix/submission/smtpd */
    mc_str status;         /* sent, deferred, bounced, expired, rejected, accepted */
    mc_str queue_id;
    mc_str sender;
    const char *stage;     /* connect, greeting, ... or NULL */
    const char *mta;       /* "postfix", "exim" */
    const char *direction; /* "outbound", "inbound" */
    char code[4];          /* "" when absent */
    char enhanced[12];     /* "" when absent */
    mc_class klass;
    bool conflict;
    bool hard;
    bool inferred;
    const char *reason;        /* reason name from rules, or NULL */
    mc_str reason_detail;      /* e.g. "Spamhaus", or null */
    mc_str recipient, relay, client, text;
    mc_str reply;          /* the remote's reply inside text, from its code on */
    /* The reply text the MTA sent when the line logs no message (an Exim
     * ACL deny without one: "Administrative prohibition"), from the rule's
     * infer_text.  Only the classifier reads it: text stays what the log
     * says. */
    mc_str sent;
    mc_str dsn;            /* Postfix dsn= as logged */
    /* Delays as logged (src/delays.c reads them): delay is the time the
     * message had spent on the queue when this attempt ended (Postfix
     * delay=, Exim QT=); delays is Postfix's a/b/c/d breakdown, transfer
     * Exim's DT= (this delivery's own time).  Null when not logged. */
    mc_str delay, delays, transfer;
    char domain[256];      /* recipient's domain, lowercased; "" when none */
    char sender_domain[256]; /* sender's domain, lowercased; "" when none */
} mc_event;

/* The end of what the loop thread reads of every event (above). */
#define MC_EVENT_HOT_END (offsetof(mc_event, stage) + sizeof(const char *))
_Static_assert(MC_EVENT_HOT_END <= 128, "the loop's fields of an event fit in two cache lines");

/* What a line says about a message that is not an outcome: it entered
 * the queue, got its size, left the queue (rules/mta "fact" rules). */
typedef enum {
    FACT_NONE = 0,
    FACT_RECEIVED,   /* from a client or a local submission */
    FACT_GENERATED,  /* a bounce or notice the MTA wrote itself */
    FACT_QUEUED,     /* envelope sender, size, recipients (Postfix qmgr from=) */
    FACT_MESSAGE_ID, /* the Message-ID header (Postfix cleanup) */
    FACT_REMOVED,    /* left the queue (Postfix removed, Exim Completed) */
    FACT_COUNT
} mc_fact_kind;

typedef struct {
    mc_fact_kind kind;
    mc_time time;
    mc_str host, program, queue_id, sender, client, message_id;
    bool has_sender;       /* the line names the envelope sender (maybe <>) */
    int64_t size;          /* -1: not on the line */
} mc_fact;

/* Per-message figures, counted once per message at the hour their first
 * sign is seen (messages.c decides, the aggregate sums per hour). */
typedef struct {
    uint64_t received, generated, delivered, deferred, bounced, expired, rejected, evicted;
    uint64_t bytes_received, bytes_delivered;
} mc_msg_figures;

/* The fact kind called name ("received", ...), FACT_NONE when none. */
mc_fact_kind mc_fact_kind_from_string(const char *name);
/* The lower-cased domain of an address into buf ("" when it has none). */
void mc_address_domain(mc_str address, char *buf, size_t len);
/* mc_address_domain by its definition, a byte at a time (for the tests). */
void mc_address_domain_bytewise(mc_str address, char *buf, size_t len);

const char *mc_class_name(mc_class c);
bool mc_class_from_string(const char *s, mc_class *out);
mc_class mc_class_of_digit(char d); /* '2'..'5' */

/* The SMTP stages, one vocabulary: those an event may stand at (the MTA
 * rules name them) and those rules/compare.conf may name. */
/* MC_STAGE_ENDS_MESSAGE: a refusal there ends the message (at or after
 * DATA the MTA discards it and logs nothing more of it: Exim writes no
 * Completed after "rejected after DATA", Postfix no "removed" after an
 * END-OF-MESSAGE reject; a refused RCPT leaves it alive for the others). */
enum { MC_STAGE_OF_EVENT = 1, MC_STAGE_IN_FACTS = 2, MC_STAGE_ENDS_MESSAGE = 4 };
/* Whether s is a stage of the given use. */
bool mc_stage_known(const char *s, int use);
/* The stages of a use, space-separated, for error messages. */
void mc_stage_list(int use, char *buf, size_t len);

/* Writes the event as one JSON object (scan output). */
void mc_event_json(FILE *out, const mc_event *ev);
void mc_time_format(const mc_time *t, char *buf, size_t len); /* ISO 8601 */

/* The date and hour of the last time mc_time_format_memo wrote (its
 * caller's, zeroed to start): a store's rows share a few hours. */
typedef struct {
    int year, month, day, hour;
    bool set;
    char head[16]; /* "YYYY-MM-DDTHH:" */
} mc_time_memo;

/* mc_time_format's text (len at least 48), the date and hour copied from
 * the memo when they are its own. */
void mc_time_format_memo(mc_time_memo *m, const mc_time *t, char *buf, size_t len);

#endif
