/*
 * timewin.h - hours and windows of time.
 *
 * Counts are kept per hour bucket, "YYYY-MM-DDTHH" in this host's local
 * clock; a window is a pair of buckets compared as strings.  This module
 * makes buckets from log times (moving zoned stamps to the local clock),
 * does the hour arithmetic (timegm, so month ends and leap years come out
 * right), and turns --day, --since, --until and --utc into a window and
 * the window of the same length before it.
 */
#ifndef MC_TIMEWIN_H
#define MC_TIMEWIN_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"

typedef struct {
    char since[48];  /* "YYYY-MM-DDTHH" inclusive, "" open */
    char until[48];  /* exclusive, "" open */
} mc_window;

/* A window as the command line asked for it. */
typedef struct {
    mc_window window;
    mc_window previous;      /* same length just before; since[0] == 0 when unknown */
    char since_label[48];    /* how to name the bounds when the user gave none */
    char until_label[48];    /* in words (--day, triage's last day); "" otherwise */
} mc_timewin;

/* The hour bucket of t as written (no zone conversion); "" when t is not valid. */
void timewin_bucket(const mc_time *t, char *buf, size_t len);
/* The hour bucket of a time written with a zone ("Z", "+hh:mm"), in the
 * local clock. */
void timewin_local_bucket(const mc_time *t, char *buf, size_t len);

/* The last bucket timewin_bucket_of formatted, and the time it was for
 * (owned by the caller; zero it to start). */
typedef struct {
    mc_time time;
    char bucket[48];
} mc_bucket_memo;
/* timewin_local_bucket for a zoned time, else timewin_bucket, formatted
 * only when the hour (zoned: the minute or zone) differs from the memo's:
 * a log's times come in order, so about once an hour (a minute). */
void timewin_bucket_of(mc_bucket_memo *m, const mc_time *t, char *buf, size_t len);
/* bucket moved by hours (negative: back), into out (which may be bucket). */
void timewin_shift(const char *bucket, long hours, char *out, size_t len);

/* --day D (today, yesterday, YYYY-MM-DD), or --since/--until T
 * (YYYY-MM-DD[THH[:MM]]), read in UTC when utc; each may be NULL.  false
 * with the message in err. */
bool timewin_parse(mc_timewin *tw, const char *day, const char *since, const char *until, bool utc,
                   char *err, size_t errlen);
/* The 24 hours of data that end with the hour last_hour, and the 24 before. */
void timewin_last_day(mc_timewin *tw, const char *last_hour);

#endif
