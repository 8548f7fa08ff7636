/*
 * logline.h - split a raw log line into its envelope (time, host, program,
 * pid) and the message the MTA wrote.
 *
 * Forms recognised, per line, so one stream may mix them: RFC 3164 syslog
 * (also Postfix's maillog_file), RFC 3339 / journald short-iso, the RFC 5424
 * wire form, Exim's own mainlog/rejectlog stamp, journald's `journalctl -o
 * json` export (one JSON object per line) and its short-precise and
 * short-full text forms.  Any of them may sit inside one wrapper that a
 * container runtime or collector adds: docker compose prefixes, Kubernetes
 * CRI, Docker json-file, `docker logs -t`, TAI64N labels.  The inner line's
 * stamp wins over the wrapper's; a bare "program[pid]: msg" takes the
 * wrapper's.
 */
#ifndef MC_LOGLINE_H
#define MC_LOGLINE_H

#include "event.h"
#include "util.h"

typedef enum {
    LOGLINE_NONE = 0,
    LOGLINE_RFC3164,
    LOGLINE_RFC3339,
    LOGLINE_RFC5424,
    LOGLINE_EXIM,      /* Exim's own log file: no host, no program */
    LOGLINE_JOURNAL,   /* journalctl -o json: MESSAGE, SYSLOG_IDENTIFIER, ... */
    LOGLINE_SHORT_FULL, /* journalctl -o short-full: "Sun 2026-11-23 12:52:06 UTC host tag:" */
    LOGLINE_BARE,      /* "program[pid]: message" in a wrapper: the wrapper's time, no host */
    LOGLINE_UNSTAMPED, /* "host exim[pid]: 2026-11-23 07:00:01 message": a syslog tag, no stamp */
} mc_logline_form;

/* What a collector wrapped around the line; form is then the inner line's. */
typedef enum {
    LOGWRAP_NONE = 0,
    LOGWRAP_COMPOSE,     /* docker compose logs: "name_1  | line", "name-1  | line" */
    LOGWRAP_CRI,         /* Kubernetes CRI: "2024-05-01T10:00:00.1Z stdout F line" */
    LOGWRAP_STAMP,       /* docker logs -t: "2024-05-01T10:00:00.1Z line" */
    LOGWRAP_DOCKER_JSON, /* Docker json-file: {"log":"line\n","stream":..,"time":..} */
    LOGWRAP_TAI64N,      /* daemontools, s6, runit: "@4000000063f0a1b20c1d2e3f line" */
} mc_logline_wrap;

typedef struct {
    mc_logline_form form;
    mc_logline_wrap wrapper;
    mc_time time;
    mc_str host;
    mc_str program;  /* syslog tag without [pid] */
    mc_str pid;
    mc_str message;  /* what the daemon wrote */
} mc_logline;

/* Inferences one line can make: split_direct makes at most one, and a line
 * reaches it at most five times (plain, then a CRI or compose wrapper that
 * tries the inner line twice each). */
#define MC_YEAR_CALLS 8
#define MC_YEAR_DEFERRED (1 << 24) /* far above any real year */

/* Year inference state for RFC 3164 stamps, which carry no year.  The first
 * stamp takes the most recent year that does not put it in the future;
 * after that a step from December to January moves to the next year. */
typedef struct {
    int now_year, now_month, now_day;
    int year;       /* 0 until the first RFC 3164 stamp */
    int last_month;
    /* Deferred mode (a worker thread parsing a chunk of a stream): the year
     * depends on every stamp before the line, so it is not decided here.
     * Each inference is written down (month, day) and answered with the
     * placeholder MC_YEAR_DEFERRED + its index on the line; the thread
     * that sees the lines in order replays them (year_ctx_replay). */
    bool deferred;
    int n_calls;
    int calls[MC_YEAR_CALLS][2];
} mc_year_ctx;

void year_ctx_init(mc_year_ctx *y, int now_year, int now_month, int now_day);
void year_ctx_init_now(mc_year_ctx *y);
/* Deferred mode; year_ctx_line_start forgets the last line's inferences. */
void year_ctx_init_deferred(mc_year_ctx *y);
void year_ctx_line_start(mc_year_ctx *y);
/* Replays one line's inferences (as written down in deferred mode) on y,
 * in order: years[i] is what the i-th of them gave. */
void year_ctx_replay(mc_year_ctx *y, const int (*calls)[2], int n, int *years);
/* A time whose year is a deferred placeholder gets the replayed year. */
void year_resolve(mc_time *t, const int *years, int n);

/* Returns false when the line has no envelope this module knows.  The views
 * in *out point into line.  JSON lines (journald's, Docker json-file's) are
 * not read here (their strings must be unescaped): use logline_split_buf. */
bool logline_split(mc_str line, mc_year_ctx *years, mc_logline *out);

/* As logline_split, and also reads JSON lines, whose fields are unescaped
 * into scratch: the views in *out then point into scratch and stay valid
 * until the next call with the same buffer.  scratch is reset on every call
 * and only grows (no allocation per line once it is large enough); it may
 * start zeroed.  A journald line (`journalctl -o json`) gives MESSAGE,
 * SYSLOG_IDENTIFIER, _HOSTNAME and the pid, its time is
 * __REALTIME_TIMESTAMP in UTC (zone "Z"); a MESSAGE that journald wrote as
 * an array of bytes (non-UTF-8 or binary) is decoded to those bytes; a null
 * MESSAGE (a field over 4096 bytes without journalctl --all), a missing one
 * or malformed JSON returns false.  A Docker json-file line's "log" is read
 * as an inner line, "time" being the wrapper's time. */
bool logline_split_buf(mc_str line, mc_year_ctx *years, mc_buf *scratch, mc_logline *out);

/* As logline_split_buf without the fixed-offset readings of the classic
 * syslog line and stamp: the plain readings, the definition those give the
 * same answers as (the test compares the two).  A wrapped line's inner line
 * is read the usual way. */
bool logline_split_plain(mc_str line, mc_year_ctx *years, mc_buf *scratch, mc_logline *out);

/* Reads the RFC 3164 stamp at the start of s ("Nov 23 07:00:01", no year
 * inferred: year 0) into *t: the bytes read, or 0.  fixed tries the fixed
 * offsets of the classic stamp first, as every split does; without it only
 * the plain reading, the definition, runs (the test compares the two). */
size_t logline_rfc3164_stamp(mc_str s, bool fixed, mc_time *t);

/* Parses "YYYY-MM-DD[Thh:mm[:ss]]" style times used on the command line.
 * Returns false on malformed input. */
bool parse_iso_time(const char *s, mc_time *t);

#endif
