/*
 * delays.h - delivery delays as fixed log-scale histograms.
 *
 * A delay (Postfix delay=, Exim QT=) is counted in one of MC_DELAY_BUCKETS
 * buckets fixed for every host and every version: 48 per decade from
 * 0.01 s to about 30 days, so each is under 5% wide (10^(1/48) = 1.049).
 * A group keeps counts per bucket, the sum and the exact maximum, never the
 * values: memory is flat, and the histograms of hours, of parallel chunks
 * and of the hosts of a fleet add up to the histogram of the whole.
 * Quantiles are read from the buckets (docs/CONTRACT.md "Delays").
 */
#ifndef MC_DELAYS_H
#define MC_DELAYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define MC_DELAY_PER_DECADE 48
#define MC_DELAY_MIN 0.01 /* the upper bound of bucket 0 */
/* Bucket 0: at most 0.01 s; bucket i (1..MC_DELAY_BUCKETS-2): over
 * 0.01 * 10^((i-1)/48) s and at most 0.01 * 10^(i/48) s; the last one:
 * over 0.01 * 10^(404/48) s (30.7 days). */
#define MC_DELAY_BUCKETS 406

/* The seconds of a delay as an MTA logs it: Postfix "0.09", "12", Exim
 * "0.716s", "1m2s", "2d3h", "1w"; -1 when it is not one. */
double delay_seconds(mc_str s);
/* The bucket of a delay in seconds (>= 0). */
int delay_bucket(double seconds);
/* The upper bound of bucket b (infinity for the last). */
double delay_bucket_upper(int b);

/* The parts of a delivery's time that are counted beside its delay:
 * Postfix's delays=a/b/c/d (before the queue manager, including the
 * message's arrival; in the queue manager; connection setup, with DNS,
 * HELO and TLS; transmission) and Exim's DT= (the delivery's own time). */
typedef enum {
    DELAY_PART_A,
    DELAY_PART_B,
    DELAY_PART_C,
    DELAY_PART_D,
    DELAY_PART_DT,
    MC_DELAY_PARTS
} mc_delay_part;

/* A part's name in the JSON ("before_qmgr", ..., "delivery"). */
const char *delay_part_name(mc_delay_part p);
/* Reads Postfix's "a/b/c/d" into four seconds; false when it is not that. */
bool delay_split(mc_str delays, double out[4]);

/* One histogram, dense. */
typedef struct {
    uint64_t counts[MC_DELAY_BUCKETS];
    double sums[MC_DELAY_BUCKETS];
    uint64_t n;
    double sum, max;
} mc_delay_part_hist;

/* One group's delays, dense: for reading (a report), not for keeping many.
 * The first members are the delay itself; parts[] its parts. */
typedef struct {
    uint64_t counts[MC_DELAY_BUCKETS];
    double sums[MC_DELAY_BUCKETS];
    uint64_t n;
    double sum, max;
    mc_delay_part_hist parts[MC_DELAY_PARTS];
} mc_delay_hist;

void delay_hist_clear(mc_delay_hist *h);
/* Adds count delays of bucket b whose sum and maximum are given. */
void delay_hist_add(mc_delay_hist *h, int b, uint64_t count, double sum, double max);
/* The q-quantile (0 < q <= 1) by nearest rank, read from the buckets: the
 * mean of the delays in the bucket that holds it, so exact when they are
 * all equal (Postfix writes two significant digits: they often are) and
 * within the bucket's 4.9% otherwise (0.01 s below 0.01 s); 0 with no
 * delays. */
double delay_hist_quantile(const mc_delay_hist *h, double q);
/* Delays at most le seconds; le must be one of mc_delay_prom_le. */
uint64_t delay_hist_at_most(const mc_delay_hist *h, double le);

/* The Prometheus histogram's bucket bounds (le): half decades, 0.01 s to
 * 31.6 days, each the upper bound of one of our buckets, so they are exact. */
extern const double mc_delay_prom_le[];
extern const size_t mc_delay_prom_n;

/* One group's delays, sparse: the few buckets it uses (an aggregate
 * entry), kept sorted by bucket. */
typedef struct {
    uint16_t bucket;
    uint64_t count;
    double sum, max;
} mc_delay_cell;

/* The stored buckets of the delay and its parts (see below). */
#define MC_DELAY_KEYS ((MC_DELAY_PARTS + 1) * MC_DELAY_BUCKETS)
#define MC_DELAY_KEY_WORDS ((MC_DELAY_KEYS + 63) / 64)

/* Where a group's cells are, by stored bucket: a bit per bucket that has a
 * cell, and per 64 buckets the number of cells before them, so a cell's
 * index is a count of bits (no search, no hint to check). */
typedef struct {
    uint64_t bits[MC_DELAY_KEY_WORDS];
    uint16_t before[MC_DELAY_KEY_WORDS];
} mc_delay_index;

typedef struct {
    mc_delay_cell *cells;
    size_t n, cap;
    /* Made by the adds once the group holds MC_DELAY_INDEX_FROM cells
     * (from its cells, so cells put in by hand, in bucket order, are
     * found too); NULL before. */
    mc_delay_index *index;
} mc_delay_cells;

#define MC_DELAY_INDEX_FROM 8

/* Counts one delay; returns true when it took a new cell. */
bool delay_cells_add(mc_delay_cells *c, double seconds);
/* Counts one part of a delay (its cells follow the delay's, see below). */
bool delay_cells_add_part(mc_delay_cells *c, mc_delay_part p, double seconds);
void delay_cells_free(mc_delay_cells *c);
/* The buckets of the values seen lately (Postfix writes two significant
 * digits: a busy log repeats a few hundred), so that log10 runs once per
 * value: a cache owned by its caller, zeroed to start, that never changes
 * an answer.  Postfix writes its values with at most two decimals ("0",
 * "0.09", "117"): such a value below MC_DELAY_FAST hundredths has its
 * bucket kept by its hundredths (the value is a function of them, see
 * delays.c), any other by its bits in a small hashed memo. */
#define MC_DELAY_FAST_BITS 15
#define MC_DELAY_FAST (1u << MC_DELAY_FAST_BITS)

/* And Postfix's delays=a/b/c/d texts of up to 16 bytes read lately (a
 * busy log repeats a thousand or so): their four values and stored
 * buckets, by the text's bytes, in a table of MC_DELAY_SPLITS slots. */
#define MC_DELAY_SPLIT_BITS 12
#define MC_DELAY_SPLITS (1u << MC_DELAY_SPLIT_BITS)

typedef struct {
    uint64_t lo, hi;    /* the text's first and last 8 bytes (4 when shorter) */
    double seconds[4];  /* the parts' values, as read in place */
    uint16_t key[4];    /* their stored buckets */
    uint32_t len;       /* the text's length; 0: an empty slot */
} mc_delay_split_slot;

typedef struct {
    uint64_t bits[64];
    int16_t bucket[64];
    uint16_t by_hundredths[MC_DELAY_FAST]; /* 0: not known yet, else the bucket + 1 */
    mc_delay_split_slot splits[MC_DELAY_SPLITS];
} mc_delay_memo;
/* delay_bucket(seconds), through the memo. */
int delay_bucket_memo(mc_delay_memo *m, double seconds);
/* As delay_cells_add (part < 0) or delay_cells_add_part, through the memo. */
bool delay_cells_add_memo(mc_delay_cells *c, mc_delay_memo *memo, int part, double seconds);
/* Counts one delivery's times as logged (NULL strings: not logged) in c
 * through the memo: its delay (Postfix delay=, Exim QT=), the parts of
 * Postfix's delays=a/b/c/d and Exim's DT=; the number of new cells. */
size_t delay_cells_add_logged(mc_delay_cells *c, mc_delay_memo *memo, mc_str delay, mc_str delays, mc_str transfer);

/* A delivery's times read and put in their buckets, not yet counted: what
 * delay_cells_add_logged counts, in its order.  A worker thread reads them
 * (the texts need no other line), the ingest loop counts them in input
 * order (the sums then add up in the same order as when read there). */
#define MC_DELAY_READ_MAX (MC_DELAY_PARTS + 1)
typedef struct {
    double seconds[MC_DELAY_READ_MAX];
    uint16_t key[MC_DELAY_READ_MAX];  /* the stored bucket (a part's offset in) */
    int8_t part[MC_DELAY_READ_MAX];   /* -1: the delay itself */
    uint8_t n;
} mc_delay_read;

/* Reads a delivery's times as logged into r through the memo (its
 * buckets; its hints are not used): the values delay_seconds and
 * delay_split read, to the bit, Postfix's read in place. */
void delay_read_logged(mc_delay_memo *memo, mc_str delay, mc_str delays, mc_str transfer, mc_delay_read *r);
/* Counts what delay_read_logged read in c; the number of new cells. */
size_t delay_cells_add_read(mc_delay_cells *c, const mc_delay_read *r);

/* Where a table's groups keep their cells and indexes, instead of one
 * heap allocation each that grows by realloc (an aggregate's: a Postfix
 * report's 2,200 groups made 5,700 reallocations on the loop's thread,
 * issue 18 item 8): blocks the slab owns, a group's cells handed out in
 * arrays of 8 << k cells aligned to cache lines (a cell never straddles
 * two), the array a group grew out of reused by the next group that grows
 * to its size, everything taken back at once.  Cells counted through a
 * slab are the slab's: never delay_cells_free'd. */
typedef struct mc_delay_slab mc_delay_slab;

mc_delay_slab *delay_slab_new(void);
/* Takes back every array and index handed out (the groups that held them
 * are forgotten); the blocks are kept for the next ones. */
void delay_slab_clear(mc_delay_slab *s);
void delay_slab_free(mc_delay_slab *s);
/* Blocks the slab holds (tests). */
size_t delay_slab_blocks(const mc_delay_slab *s);
/* As delay_cells_add_read, c's memory taken from s (c zeroed or only
 * ever counted through s). */
size_t delay_cells_add_read_in(mc_delay_cells *c, const mc_delay_read *r, mc_delay_slab *s);

/* The stored form of a group's histogram (the store's delays.hist): its
 * cells by bucket, MC_DELAY_CELL_BYTES each (bucket u16, count u64, sum
 * and max as IEEE doubles; little-endian).  The delay's buckets are
 * 0..MC_DELAY_BUCKETS-1; part p's bucket b is stored as bucket
 * (p + 1) * MC_DELAY_BUCKETS + b, so one sorted list holds them all and
 * merges as before. */
#define MC_DELAY_CELL_BYTES 26
void delay_cells_encode(const mc_delay_cells *c, mc_buf *out);
/* Adds two stored histograms into out (the store's upsert); false when
 * either is not one. */
bool delay_blob_merge(const unsigned char *a, size_t an, const unsigned char *b, size_t bn, mc_buf *out);
/* Adds a stored histogram to h; false when it is not one. */
bool delay_hist_add_blob(mc_delay_hist *h, const unsigned char *p, size_t n);

/* The figures a report shows for a group. */
typedef struct {
    uint64_t count;
    double median, p95, max, sum;
} mc_delay_stats;

void delay_hist_stats(const mc_delay_hist *h, mc_delay_stats *st);
/* A group's figures: its delays' and each part's. */
typedef struct {
    mc_delay_stats all, part[MC_DELAY_PARTS];
} mc_delay_figures;

void delay_hist_figures(const mc_delay_hist *h, mc_delay_figures *f);
/* A delay in seconds for a person: "0.09s", "4m12s", "2h05m", "3d04h". */
void delay_format(double seconds, char *buf, size_t len);

#endif
