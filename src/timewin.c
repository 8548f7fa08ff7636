/*
 * timewin.c - hour buckets and windows of time (see timewin.h).
 */
#include "timewin.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "logline.h"

/* The bucket of a broken-down time, as it is. */
static void tm_bucket(const struct tm *tm, char *out, size_t len)
{
    snprintf(out, len, "%04d-%02d-%02dT%02d", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour);
}

/* Buckets as seconds of a clock without a zone (timegm), for arithmetic;
 * 0 when bucket is not one. */
static time_t bucket_to_time(const char *bucket)
{
    struct tm tm = {0};
    if (sscanf(bucket, "%4d-%2d-%2dT%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour) != 4)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

/* The bucket of seconds from bucket_to_time. */
static void time_to_bucket(time_t when, char *out, size_t len)
{
    struct tm tm;
    gmtime_r(&when, &tm);
    tm_bucket(&tm, out, len);
}

/* Moves a bucket by whole hours. */
void timewin_shift(const char *bucket, long hours, char *out, size_t len)
{
    time_to_bucket(bucket_to_time(bucket) + hours * 3600, out, len);
}

/* The bucket of t as written. */
void timewin_bucket(const mc_time *t, char *buf, size_t len)
{
    if (t->valid)
        snprintf(buf, len, "%04d-%02d-%02dT%02d", t->year, t->month, t->day, t->hour);
    else if (len)
        buf[0] = '\0';
}

/* Seconds east of UTC for "Z" / "+hh:mm". */
static long zone_offset(const char *zone)
{
    if (zone[0] == 'Z')
        return 0;
    int hh = 0, mm = 0;
    if (sscanf(zone + 1, "%2d:%2d", &hh, &mm) < 1)
        return 0;
    long off = hh * 3600L + mm * 60L;
    return zone[0] == '-' ? -off : off;
}

/* A zoned time's bucket in the local clock. */
void timewin_local_bucket(const mc_time *t, char *buf, size_t len)
{
    struct tm tm = {0};
    tm.tm_year = t->year - 1900;
    tm.tm_mon = t->month - 1;
    tm.tm_mday = t->day;
    tm.tm_hour = t->hour;
    tm.tm_min = t->min;
    time_t when = timegm(&tm) - zone_offset(t->zone);
    struct tm lt;
    localtime_r(&when, &lt);
    tm_bucket(&lt, buf, len);
}

void timewin_bucket_of(mc_bucket_memo *m, const mc_time *t, char *buf, size_t len)
{
    const mc_time *o = &m->time;
    bool zoned = t->zone[0] != '\0';
    if (!t->valid) {
        (zoned ? timewin_local_bucket : timewin_bucket)(t, buf, len);
        return;
    }
    if (!(o->valid && o->year == t->year && o->month == t->month && o->day == t->day && o->hour == t->hour &&
          strcmp(o->zone, t->zone) == 0 && (!zoned || o->min == t->min))) {
        (zoned ? timewin_local_bucket : timewin_bucket)(t, m->bucket, sizeof m->bucket);
        m->time = *t;
    }
    size_t n = strlen(m->bucket);
    if (len == 0)
        return;
    n = n < len ? n : len - 1;
    memcpy(buf, m->bucket, n);
    buf[n] = '\0';
}

/* --utc: a bound given in UTC, as the local-clock bucket the store uses. */
static void utc_bucket_to_local(char *bucket, size_t len)
{
    time_t when = bucket_to_time(bucket);
    struct tm tm;
    localtime_r(&when, &tm);
    tm_bucket(&tm, bucket, len);
}

/* "YYYY-MM-DD HH:00", a bucket as people read it. */
static void bucket_words(const char *bucket, char *out, size_t len)
{
    snprintf(out, len, "%.10s %.2s:00", bucket, bucket + 11);
}

/* The window of the same length just before, for "change" columns. */
static void set_previous(mc_timewin *tw)
{
    memset(&tw->previous, 0, sizeof tw->previous);
    if (!tw->window.since[0] || !tw->window.until[0])
        return;
    long hours = (long)((bucket_to_time(tw->window.until) - bucket_to_time(tw->window.since)) / 3600);
    snprintf(tw->previous.until, sizeof tw->previous.until, "%s", tw->window.since);
    timewin_shift(tw->window.since, -hours, tw->previous.since, sizeof tw->previous.since);
}

/* Whether the date of t exists in the calendar (no 30 February). */
static bool real_date(const mc_time *t)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (t->month < 1 || t->month > 12 || t->day < 1)
        return false;
    bool leap = (t->year % 4 == 0 && t->year % 100 != 0) || t->year % 400 == 0;
    return t->day <= days[t->month - 1] + (t->month == 2 && leap);
}

/* --day: the 24 hours of one day. */
static bool parse_day(mc_timewin *tw, const char *d, bool utc, char *err, size_t errlen)
{
    char day[48];
    mc_time t;
    if (strcmp(d, "today") == 0 || strcmp(d, "yesterday") == 0) {
        time_t now = time(NULL);
        struct tm tm;
        if (utc)
            gmtime_r(&now, &tm);
        else
            localtime_r(&now, &tm);
        snprintf(day, sizeof day, "%04d-%02d-%02dT00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        if (d[0] == 'y')
            timewin_shift(day, -24, day, sizeof day);
    } else if (strlen(d) == 10 && parse_iso_time(d, &t) && real_date(&t)) {
        snprintf(day, sizeof day, "%sT00", d);
    } else {
        snprintf(err, errlen, "--day '%s': use today, yesterday or YYYY-MM-DD", d);
        return false;
    }
    snprintf(tw->window.since, sizeof tw->window.since, "%s", day);
    timewin_shift(day, 24, tw->window.until, sizeof tw->window.until);
    snprintf(tw->since_label, sizeof tw->since_label, "%.10s", tw->window.since);
    snprintf(tw->until_label, sizeof tw->until_label, "%.10s", tw->window.until);
    return true;
}

/* One --since or --until bound: its hour, rounded up for --until when the
 * hour has begun (an hour that has begun is included); *inside: the time
 * was inside an hour, so the effective bound differs from the words. */
static bool parse_bound(const char *opt, const char *s, bool up, char *bucket, size_t len, bool *inside,
                        char *err, size_t errlen)
{
    mc_time t;
    if (!parse_iso_time(s, &t) || !real_date(&t)) {
        snprintf(err, errlen, "%s '%s': use YYYY-MM-DD or YYYY-MM-DDTHH:MM (a date that exists)", opt, s);
        return false;
    }
    snprintf(bucket, len, "%04d-%02d-%02dT%02d", t.year, t.month, t.day, t.hour);
    if (up && (t.min || t.sec))
        timewin_shift(bucket, 1, bucket, len);
    *inside = t.min || t.sec;
    return true;
}

/* The window the command line asked for; see timewin.h. */
bool timewin_parse(mc_timewin *tw, const char *day, const char *since, const char *until, bool utc,
                   char *err, size_t errlen)
{
    memset(tw, 0, sizeof *tw);
    bool since_inside = false, until_inside = false;
    if (day) {
        if (since || until) {
            snprintf(err, errlen, "--day cannot be combined with --since or --until");
            return false;
        }
        if (!parse_day(tw, day, utc, err, errlen))
            return false;
    } else {
        if (since && !parse_bound("--since", since, false, tw->window.since, sizeof tw->window.since,
                                  &since_inside, err, errlen))
            return false;
        if (until && !parse_bound("--until", until, true, tw->window.until, sizeof tw->window.until,
                                  &until_inside, err, errlen))
            return false;
        if (tw->window.since[0] && tw->window.until[0] && strcmp(tw->window.since, tw->window.until) >= 0) {
            snprintf(err, errlen, "--since must come before --until");
            return false;
        }
    }
    if (utc) {
        if (tw->window.since[0])
            utc_bucket_to_local(tw->window.since, sizeof tw->window.since);
        if (tw->window.until[0])
            utc_bucket_to_local(tw->window.until, sizeof tw->window.until);
    }
    /* Counts are hourly: a bound inside an hour is shown as the hour used. */
    if (since_inside)
        bucket_words(tw->window.since, tw->since_label, sizeof tw->since_label);
    if (until_inside)
        bucket_words(tw->window.until, tw->until_label, sizeof tw->until_label);
    set_previous(tw);
    return true;
}

/* Triage's "now": the last 24 hours of data, against the 24 hours before. */
void timewin_last_day(mc_timewin *tw, const char *last_hour)
{
    memset(tw, 0, sizeof *tw);
    timewin_shift(last_hour, 1, tw->window.until, sizeof tw->window.until);
    timewin_shift(tw->window.until, -24, tw->window.since, sizeof tw->window.since);
    bucket_words(tw->window.since, tw->since_label, sizeof tw->since_label);
    bucket_words(tw->window.until, tw->until_label, sizeof tw->until_label);
    set_previous(tw);
}
