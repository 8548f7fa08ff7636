/*
 * delays.c - delivery delays as fixed log-scale histograms (see delays.h).
 *
 * The buckets are a function of the value alone, the same on every host
 * and in every version: that is what lets hours, chunks and hosts be added
 * up.  Changing MC_DELAY_PER_DECADE or MC_DELAY_MIN would make stored
 * histograms unreadable; they are part of the contract.
 */
#include "delays.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The units of an Exim time ("1w2d3h4m5s", "0.716s"), in seconds. */
static const struct {
    char unit;
    double seconds;
} time_units[] = {{'w', 604800.0}, {'d', 86400.0}, {'h', 3600.0}, {'m', 60.0}, {'s', 1.0}};

/* The seconds of a unit letter, 0 when it is none. */
static double unit_seconds(char c)
{
    for (size_t i = 0; i < sizeof time_units / sizeof time_units[0]; i++)
        if (time_units[i].unit == c)
            return time_units[i].seconds;
    return 0.0;
}

/* Reads "digits[.digits]" at s->p[*i]; false when there is no digit. */
static bool read_number(mc_str s, size_t *i, double *out)
{
    double v = 0.0, scale = 0.0;
    size_t start = *i;
    for (; *i < s.n; (*i)++) {
        char c = s.p[*i];
        if (c >= '0' && c <= '9') {
            if (scale > 0.0) {
                v += (c - '0') * scale;
                scale /= 10.0;
            } else {
                v = v * 10.0 + (c - '0');
            }
        } else if (c == '.' && scale == 0.0 && *i > start) {
            scale = 0.1;
        } else {
            break;
        }
    }
    *out = v;
    return *i > start && s.p[*i - 1] != '.';
}

/* Whether c is a decimal digit. */
static inline bool is_digit(char c) { return (unsigned char)(c - '0') < 10; }

/* Reads a value of 1 to 7 digits and at most two decimals at s.p[*i]
 * ("0", "0.09", "12.5", "117": all that Postfix writes) as read_number
 * does, stopping where it stops, with the same double: the digits before
 * the point make an integer (exact as a double), then each decimal is
 * added times 0.1, then times 0.1 / 10.0, read_number's scales, in its
 * order.  A decimal 0 adds +0.0, which changes nothing: "5", "5.0" and
 * "5.00" give one double, so the value is a function of its hundredths
 * (*hundredths).  False, with nothing moved, for any other shape (more
 * digits or decimals, no digit, a point with no decimal after it):
 * read_number reads those. */
static inline __attribute__((always_inline)) bool read_hundredths(mc_str s, size_t *i, double *out,
                                                                  uint32_t *hundredths)
{
    const char *p = s.p + *i, *end = s.p + s.n, *q = p;
    /* The two shapes of most values ("0.09": 43% of a bench log's, "0":
     * 34%) by a look at their bytes, with the same double; the loop below
     * for the rest. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (end - p >= 4) {
        uint32_t w;
        memcpy(&w, p, sizeof w);
        /* "D.DD": digits' high nibble 3, the point, and the digits' low
         * nibbles below 10 (+6 keeps the high nibble 3). */
        if ((w & 0xF0F0FFF0u) == 0x30302E30u && ((w + 0x06060006u) & 0xF0F000F0u) == 0x30300030u &&
            (end - p == 4 || !is_digit(p[4]))) {
            uint32_t d0 = w & 0xF, d1 = w >> 16 & 0xF, d2 = w >> 24 & 0xF;
            double v = (double)d0;
            v += (int)d1 * 0.1;
            v += (int)d2 * (0.1 / 10.0);
            *i += 4;
            *out = v;
            *hundredths = d0 * 100 + d1 * 10 + d2;
            return true;
        }
    }
#endif
    if (p < end && is_digit(*p) && (end - p == 1 || (!is_digit(p[1]) && p[1] != '.'))) {
        uint32_t d = (uint32_t)(*p - '0');
        *i += 1;
        *out = (double)d;
        *hundredths = d * 100;
        return true;
    }
    const char *stop = end - p > 7 ? p + 7 : end;
    uint32_t whole = 0;
    while (q < stop && is_digit(*q))
        whole = whole * 10 + (uint32_t)(*q++ - '0');
    if (q == p || (q < end && is_digit(*q)))
        return false;
    double v = (double)whole;
    uint32_t frac = 0;
    if (q < end && *q == '.') {
        if (q + 1 == end || !is_digit(q[1]))
            return false;
        int d = q[1] - '0';
        v += d * 0.1;
        frac = (uint32_t)d * 10;
        q += 2;
        if (q < end && is_digit(*q)) {
            d = *q++ - '0';
            v += d * (0.1 / 10.0);
            frac += (uint32_t)d;
            if (q < end && is_digit(*q))
                return false;
        }
    }
    *i = (size_t)(q - s.p);
    *out = v;
    *hundredths = whole * 100 + frac;
    return true;
}

double delay_seconds(mc_str s)
{
    if (s.p == NULL || s.n == 0 || s.n > 40)
        return -1.0;
    size_t i = 0;
    double total = 0.0, v;
    /* Postfix: one bare number of seconds. */
    if (!read_number(s, &i, &v))
        return -1.0;
    if (i == s.n)
        return v;
    /* Exim: number-unit pairs, largest unit first. */
    for (;;) {
        double unit = i < s.n ? unit_seconds(s.p[i]) : 0.0;
        if (unit == 0.0)
            return -1.0;
        total += v * unit;
        if (++i == s.n)
            return total;
        if (!read_number(s, &i, &v))
            return -1.0;
    }
}

int delay_bucket(double seconds)
{
    if (!(seconds > MC_DELAY_MIN))
        return 0;
    /* The small allowance keeps a value written exactly on a bound (Postfix
     * "delay=10") in the bucket that bound closes, whatever log10 rounds to. */
    double x = ceil(MC_DELAY_PER_DECADE * log10(seconds / MC_DELAY_MIN) - 1e-9);
    if (x > MC_DELAY_BUCKETS - 2)
        return MC_DELAY_BUCKETS - 1;
    return x < 1.0 ? 1 : (int)x;
}

double delay_bucket_upper(int b)
{
    if (b >= MC_DELAY_BUCKETS - 1)
        return INFINITY;
    return MC_DELAY_MIN * pow(10.0, (double)b / MC_DELAY_PER_DECADE);
}

/* Half decades: every 24th bucket bound. */
const double mc_delay_prom_le[] = {0.01, 0.0316227766, 0.1, 0.316227766, 1, 3.16227766, 10,
                                   31.6227766, 100, 316.227766, 1000, 3162.27766, 10000,
                                   31622.7766, 100000, 316227.766, 1000000};
const size_t mc_delay_prom_n = sizeof mc_delay_prom_le / sizeof mc_delay_prom_le[0];

void delay_hist_clear(mc_delay_hist *h) { memset(h, 0, sizeof *h); }

void delay_hist_add(mc_delay_hist *h, int b, uint64_t count, double sum, double max)
{
    if (b < 0 || b >= MC_DELAY_BUCKETS || count == 0)
        return;
    h->counts[b] += count;
    h->sums[b] += sum;
    h->n += count;
    h->sum += sum;
    if (max > h->max)
        h->max = max;
}

/* The q-quantile of one histogram's arrays (see delay_hist_quantile). */
static double quantile(const uint64_t *counts, const double *sums, uint64_t n, double max, double q)
{
    if (n == 0)
        return 0.0;
    uint64_t rank = (uint64_t)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    int b = 0;
    for (; b < MC_DELAY_BUCKETS - 1; b++) {
        seen += counts[b];
        if (seen >= rank)
            break;
    }
    /* The bucket's own mean: inside the bucket, and exact when its
     * delays are equal.  The last bucket is open: its largest is the max. */
    double v = b == MC_DELAY_BUCKETS - 1 ? max : sums[b] / (double)counts[b];
    /* To the microsecond: a sum added up in another order (a file read
     * at once, or in batches into a database) differs in its last bits,
     * and a mean like 0.0075 must print the same either way. */
    v = round(v * 1e6) / 1e6;
    return v < max ? v : max;
}

double delay_hist_quantile(const mc_delay_hist *h, double q)
{
    return quantile(h->counts, h->sums, h->n, h->max, q);
}

uint64_t delay_hist_at_most(const mc_delay_hist *h, double le)
{
    uint64_t n = 0;
    for (int b = 0; b < MC_DELAY_BUCKETS - 1 && delay_bucket_upper(b) <= le * (1 + 1e-9); b++)
        n += h->counts[b];
    return n;
}

void delay_hist_stats(const mc_delay_hist *h, mc_delay_stats *st)
{
    st->count = h->n;
    st->median = delay_hist_quantile(h, 0.5);
    st->p95 = delay_hist_quantile(h, 0.95);
    st->max = h->max;
    st->sum = h->sum;
}

void delay_hist_figures(const mc_delay_hist *h, mc_delay_figures *f)
{
    delay_hist_stats(h, &f->all);
    for (int p = 0; p < MC_DELAY_PARTS; p++) {
        const mc_delay_part_hist *x = &h->parts[p];
        mc_delay_stats *st = &f->part[p];
        st->count = x->n;
        st->median = quantile(x->counts, x->sums, x->n, x->max, 0.5);
        st->p95 = quantile(x->counts, x->sums, x->n, x->max, 0.95);
        st->max = x->max;
        st->sum = x->sum;
    }
}

/* The JSON names of the parts, in mc_delay_part order. */
static const char *const part_names[MC_DELAY_PARTS] = {
    [DELAY_PART_A] = "before_qmgr", [DELAY_PART_B] = "in_qmgr",   [DELAY_PART_C] = "conn_setup",
    [DELAY_PART_D] = "transmission", [DELAY_PART_DT] = "delivery",
};

const char *delay_part_name(mc_delay_part p) { return p < MC_DELAY_PARTS ? part_names[p] : "?"; }

bool delay_split(mc_str delays, double out[4])
{
    if (delays.p == NULL)
        return false;
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        /* Each piece a bare number of seconds, as delay_seconds reads one
         * (not its Exim units: "1m" is not a Postfix value), read in the
         * one pass that finds its end: the number must run to the '/' (to
         * the end for the last), 1 to 40 bytes. */
        size_t start = i;
        if (!read_number(delays, &i, &out[k]) || i - start > 40)
            return false;
        if (k == 3)
            return i == delays.n;
        if (i == delays.n || delays.p[i] != '/')
            return false;
        i++;
    }
    return false; /* not reached: the fourth piece answers */
}

/* Counts seconds in cell at of c. */
static void cell_count(mc_delay_cells *c, size_t at, double seconds)
{
    mc_delay_cell *cell = &c->cells[at];
    cell->count++;
    cell->sum += seconds;
    if (seconds > cell->max)
        cell->max = seconds;
}

/* The bits set in w: the CPU's instruction when the build may use it
 * (hw: the caller is compiled for it, see delay_cells_add_read), else a
 * few shifts and masks (the library's fallback is a call). */
static inline __attribute__((always_inline)) int ones_as(uint64_t w, bool hw)
{
#ifndef __POPCNT__
    if (!hw) {
        w -= (w >> 1) & 0x5555555555555555ull;
        w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
        w = (w + (w >> 4)) & 0x0F0F0F0F0F0F0F0Full;
        return (int)((w * 0x0101010101010101ull) >> 56);
    }
#endif
    (void)hw;
    return __builtin_popcountll(w);
}

static inline int ones(uint64_t w) { return ones_as(w, false); }

/* The slab (delays.h): blocks of SLAB_BLOCK bytes, each array and index
 * on whole cache lines of one. */
#define SLAB_LINE 64
/* A mapped block's bytes: its header's cache line, then the block's. */
#define SLAB_MAP (256 * 1024)
#define SLAB_BLOCK (SLAB_MAP - SLAB_LINE)
/* Arrays of 8 << k cells, k < SLAB_CLASSES: 8 to 4,096 cells, and a group
 * has at most MC_DELAY_KEYS. */
#define SLAB_CLASSES 10
#define SLAB_INDEX_BYTES ((sizeof(mc_delay_index) + SLAB_LINE - 1) / SLAB_LINE * SLAB_LINE)
_Static_assert((8u << (SLAB_CLASSES - 1)) >= MC_DELAY_KEYS, "a group's cells fit the largest array");
_Static_assert((8u << (SLAB_CLASSES - 1)) * sizeof(mc_delay_cell) <= SLAB_BLOCK, "the largest array fits a block");
_Static_assert(8 * sizeof(mc_delay_cell) % SLAB_LINE == 0, "arrays are whole cache lines");

typedef struct slab_block {
    struct slab_block *next;
    unsigned char *data; /* SLAB_BLOCK bytes on a cache line, in this allocation */
    bool mapped;         /* block_new's mmap, else the heap's */
} slab_block;
_Static_assert(sizeof(slab_block) <= SLAB_LINE, "a block's header fits its first line");

struct mc_delay_slab {
    slab_block *first, *at;   /* the blocks in order; the one handing out (NULL: none yet) */
    size_t used;              /* bytes of at's handed out */
    size_t n_blocks;
    void *free[SLAB_CLASSES]; /* arrays given back, by size, linked through their first bytes */
};

mc_delay_slab *delay_slab_new(void) { return mc_xcalloc(1, sizeof(mc_delay_slab)); }

void delay_slab_clear(mc_delay_slab *s)
{
    s->at = NULL;
    s->used = 0;
    memset(s->free, 0, sizeof s->free);
}

void delay_slab_free(mc_delay_slab *s)
{
    if (s == NULL)
        return;
    for (slab_block *b = s->first, *next; b; b = next) {
        next = b->next;
#if defined(MAP_POPULATE)
        if (b->mapped) {
            munmap(b, SLAB_MAP);
            continue;
        }
#endif
        free(b);
    }
    free(s);
}

size_t delay_slab_blocks(const mc_delay_slab *s) { return s->n_blocks; }

/* A new block, its header then SLAB_BLOCK bytes on a cache line.  Where
 * the kernel can, its pages are mapped at once (MAP_POPULATE): a block is
 * filled before the next is taken, and one call that maps its 64 pages
 * cost a quarter of their 64 faults on the bench's virtual machine
 * (docs/BENCHMARKS.md, cells20); else from the heap, each page faulted in
 * when first written. */
static slab_block *block_new(void)
{
    slab_block *b;
#if defined(MAP_POPULATE)
    void *p = mmap(NULL, SLAB_MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p != MAP_FAILED) {
        b = p;
        b->mapped = true;
        b->data = (unsigned char *)p + SLAB_LINE;
        b->next = NULL;
        return b;
    }
#endif
    unsigned char *raw = mc_xmalloc(sizeof *b + SLAB_LINE + SLAB_BLOCK);
    b = (slab_block *)raw;
    b->mapped = false;
    uintptr_t at = (uintptr_t)(raw + sizeof *b);
    b->data = raw + sizeof *b + ((SLAB_LINE - at % SLAB_LINE) % SLAB_LINE);
    b->next = NULL;
    return b;
}

/* bytes (whole cache lines, at most a block) from the block handing out,
 * else from the next one, kept from before a clear or made now (not
 * cleared: what the arrays hold is written before it is read, an index is
 * cleared by its taker). */
static void *slab_take(mc_delay_slab *s, size_t bytes)
{
    slab_block *b = s->at;
    if (b == NULL || SLAB_BLOCK - s->used < bytes) {
        slab_block *next = b ? b->next : s->first;
        if (next == NULL) {
            next = block_new();
            if (b)
                b->next = next;
            else
                s->first = next;
            s->n_blocks++;
        }
        s->at = b = next;
        s->used = 0;
    }
    void *p = b->data + s->used;
    s->used += bytes;
    return p;
}

/* The size class of an array of cap cells (8 << k). */
static inline int slab_class(size_t cap) { return __builtin_ctzll((unsigned long long)cap) - 3; }

/* An array of cap cells (8 << k): one given back, else a new one. */
static mc_delay_cell *slab_cells(mc_delay_slab *s, size_t cap)
{
    int k = slab_class(cap);
    void *p = s->free[k];
    if (p) {
        memcpy(&s->free[k], p, sizeof(void *));
        return p;
    }
    return slab_take(s, cap * sizeof(mc_delay_cell));
}

/* Gives back an array of cap cells, for the next group that grows to it. */
static void slab_give(mc_delay_slab *s, mc_delay_cell *cells, size_t cap)
{
    int k = slab_class(cap);
    memcpy(cells, &s->free[k], sizeof(void *));
    s->free[k] = cells;
}

/* Makes c's index from its cells (in bucket order), from s (NULL: the heap). */
static void index_make(mc_delay_cells *c, mc_delay_slab *s)
{
    mc_delay_index *x;
    if (s) {
        x = slab_take(s, SLAB_INDEX_BYTES);
        memset(x, 0, sizeof *x);
    } else {
        x = mc_xcalloc(1, sizeof *x);
    }
    for (size_t i = 0; i < c->n; i++)
        x->bits[c->cells[i].bucket >> 6] |= 1ull << (c->cells[i].bucket & 63);
    uint16_t before = 0;
    for (int w = 0; w < MC_DELAY_KEY_WORDS; w++) {
        x->before[w] = before;
        before = (uint16_t)(before + ones(x->bits[w]));
    }
    c->index = x;
}

/* As cells_add_at, for a bucket the index has no cell for, or when there
 * is no index yet: apart, so that the common count needs no registers
 * saved. */
/* One more cell before each 64 buckets from word w on: the index's counts
 * four at a time as lanes of a word (a count is at most MC_DELAY_KEYS,
 * far below 65,535, so no lane carries into the next), the last few one
 * by one.  The loop of single increments cost ~28 instructions a new
 * cell. */
static void counts_up(mc_delay_index *x, int w)
{
    _Static_assert(MC_DELAY_KEYS < 0xFFFF, "an index count never carries out of its lane");
    for (; w + 4 <= MC_DELAY_KEY_WORDS; w += 4) {
        uint64_t q;
        memcpy(&q, &x->before[w], sizeof q);
        q += 0x0001000100010001ull;
        memcpy(&x->before[w], &q, sizeof q);
    }
    for (; w < MC_DELAY_KEY_WORDS; w++)
        x->before[w]++;
}

static __attribute__((noinline)) bool cells_add_slow(mc_delay_cells *c, int b, double seconds, mc_delay_slab *s)
{
    size_t at;
    mc_delay_index *x = c->index;
    if (x) {
        uint64_t bit = 1ull << (b & 63), word = x->bits[b >> 6];
        at = x->before[b >> 6] + (size_t)ones(word & (bit - 1));
        x->bits[b >> 6] = word | bit;
        counts_up(x, (b >> 6) + 1);
    } else {
        /* A few cells: a binary search. */
        size_t hi = c->n;
        at = 0;
        while (at < hi) {
            size_t mid = at + (hi - at) / 2;
            if (c->cells[mid].bucket < b)
                at = mid + 1;
            else
                hi = mid;
        }
        if (at < c->n && c->cells[at].bucket == b) {
            cell_count(c, at, seconds);
            return false;
        }
    }
    if (c->n == c->cap) {
        /* Eight at first: a Postfix delivery brings five values at once
         * (its delay= and the four of delays=), each a cell of its own, and
         * four cells made the first delivery of every group grow twice
         * (the loop's reallocations, issue 18 item 8). */
        size_t cap = c->cap ? c->cap * 2 : 8;
        if (s) {
            /* From the slab, the array grown out of given back to it. */
            mc_delay_cell *to = slab_cells(s, cap);
            if (c->n)
                memcpy(to, c->cells, c->n * sizeof *c->cells);
            if (c->cells)
                slab_give(s, c->cells, c->cap);
            c->cells = to;
        } else {
            c->cells = mc_xrealloc(c->cells, cap * sizeof *c->cells);
        }
        c->cap = cap;
    }
    /* Kept in bucket order: the stored form needs no sort. */
    memmove(&c->cells[at + 1], &c->cells[at], (c->n - at) * sizeof *c->cells);
    c->cells[at] = (mc_delay_cell){.bucket = (uint16_t)b, .count = 1, .sum = seconds, .max = seconds};
    c->n++;
    if (!x && c->n >= MC_DELAY_INDEX_FROM)
        index_make(c, s);
    return true;
}

/* Counts seconds under a stored bucket number (a part's are offset);
 * returns true when it took a new cell.  hw: ones_as's; s: the slab of
 * c's memory (NULL: the heap). */
static inline __attribute__((always_inline)) bool cells_add_at_as(mc_delay_cells *c, int b, double seconds, bool hw,
                                                                  mc_delay_slab *s)
{
    const mc_delay_index *x = c->index;
    if (x) {
        /* Its cell: after those of the 64 buckets before, and of the bits below b's. */
        uint64_t bit = 1ull << (b & 63), word = x->bits[b >> 6];
        if (word & bit) {
            cell_count(c, x->before[b >> 6] + (size_t)ones_as(word & (bit - 1), hw), seconds);
            return false;
        }
    }
    return cells_add_slow(c, b, seconds, s);
}

static inline bool cells_add_at(mc_delay_cells *c, int b, double seconds)
{
    return cells_add_at_as(c, b, seconds, false, NULL);
}

bool delay_cells_add(mc_delay_cells *c, double seconds) { return cells_add_at(c, delay_bucket(seconds), seconds); }

int delay_bucket_memo(mc_delay_memo *m, double seconds)
{
    uint64_t bits;
    memcpy(&bits, &seconds, sizeof bits);
    /* A zeroed slot holds 0.0, whose bucket is 0: right from the start. */
    size_t i = (size_t)((bits * 0x9E3779B97F4A7C15ull) >> 58);
    if (m->bits[i] != bits) {
        m->bits[i] = bits;
        m->bucket[i] = (int16_t)delay_bucket(seconds);
    }
    return m->bucket[i];
}

/* The stored bucket of seconds of a part (-1: the delay itself). */
static int part_key(mc_delay_memo *memo, int part, double seconds)
{
    int b = delay_bucket_memo(memo, seconds);
    return part < 0 ? b : (part + 1) * MC_DELAY_BUCKETS + b;
}

/* As part_key, for seconds read_hundredths read as hundredths h: the
 * bucket kept by h (one double per h) when h is small enough. */
static int part_key_fast(mc_delay_memo *memo, int part, double seconds, uint32_t h)
{
    if (h >= MC_DELAY_FAST)
        return part_key(memo, part, seconds);
    int b = memo->by_hundredths[h] - 1;
    if (b < 0) {
        b = delay_bucket(seconds);
        memo->by_hundredths[h] = (uint16_t)(b + 1);
    }
    return part < 0 ? b : (part + 1) * MC_DELAY_BUCKETS + b;
}

bool delay_cells_add_memo(mc_delay_cells *c, mc_delay_memo *memo, int part, double seconds)
{
    return cells_add_at(c, part_key(memo, part, seconds), seconds);
}

/* Puts seconds of a part with its stored bucket key in r. */
static void read_put(mc_delay_read *r, int part, double seconds, int key)
{
    r->seconds[r->n] = seconds;
    r->part[r->n] = (int8_t)part;
    r->key[r->n++] = (uint16_t)key;
}

/* Reads Postfix's delays=a/b/c/d into v and h when every piece is a value
 * read_hundredths reads and the text is four pieces and no more. */
static inline __attribute__((always_inline)) bool read_four(mc_str delays, double v[4], uint32_t h[4])
{
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        if (!read_hundredths(delays, &i, &v[k], &h[k]))
            return false;
        if (k < 3 && (i == delays.n || delays.p[i++] != '/'))
            return false;
    }
    return i == delays.n;
}

/* Reads Postfix's delays=a/b/c/d into r when every piece is a value
 * read_hundredths reads; false (r as it was) when one is not, or when the
 * text is not four pieces: delay_split decides those. */
static bool read_split_fast(mc_delay_memo *memo, mc_str delays, mc_delay_read *r)
{
    double v[4];
    uint32_t h[4];
    if (!read_four(delays, v, h))
        return false;
    for (int k = 0; k < 4; k++)
        read_put(r, DELAY_PART_A + k, v[k], part_key_fast(memo, DELAY_PART_A + k, v[k], h[k]));
    return true;
}

/* Reads Postfix's delay= and delays=a/b/c/d (no transfer time) into v and
 * h (the delay first, then the parts) when read_hundredths reads all five
 * and delays= is four pieces and no more; false otherwise. */
static inline __attribute__((always_inline)) bool read_postfix_five(mc_str delay, mc_str delays, double v[5],
                                                                    uint32_t h[5])
{
    size_t i = 0;
    if (!read_hundredths(delay, &i, &v[0], &h[0]) || i != delay.n)
        return false;
    return read_four(delays, v + 1, h + 1);
}

/* A text of 4 to 16 bytes as two words that hold all its bytes (with its
 * length, all of it): its first and last 8, or 4; false for other lengths. */
static inline bool split_words(mc_str t, uint64_t *lo, uint64_t *hi)
{
    if (t.n >= 8 && t.n <= 16) {
        memcpy(lo, t.p, sizeof *lo);
        memcpy(hi, t.p + t.n - 8, sizeof *hi);
        return true;
    }
    if (t.n >= 4 && t.n < 8) {
        uint32_t a, b;
        memcpy(&a, t.p, sizeof a);
        memcpy(&b, t.p + t.n - 4, sizeof b);
        *lo = a, *hi = b;
        return true;
    }
    return false;
}

/* The memo's split slot of a Postfix delivery's delays= (by its bytes,
 * which split_words takes as *lo and *hi), its delay= read in place into
 * *d and *hd; NULL when delays= does not fit a slot or delay= is not read
 * in place (the caller reads them). */
static inline __attribute__((always_inline)) mc_delay_split_slot *postfix_slot(mc_delay_memo *memo, mc_str delay,
                                                                               mc_str delays, double *d, uint32_t *hd,
                                                                               uint64_t *lo, uint64_t *hi)
{
    size_t i = 0;
    if (!split_words(delays, lo, hi) || !read_hundredths(delay, &i, d, hd) || i != delay.n)
        return NULL;
    uint64_t mix = (*lo ^ (*hi * 0x9E3779B97F4A7C15ull) ^ delays.n) * 0xC2B2AE3D27D4EB4Full;
    return &memo->splits[mix >> (64 - MC_DELAY_SPLIT_BITS)];
}

/* A delivery's five values into r: its delay d (stored bucket key) and
 * the four parts a split slot holds. */
static inline __attribute__((always_inline)) void put_five(mc_delay_read *r, double d, int key,
                                                           const mc_delay_split_slot *s)
{
    r->seconds[0] = d;
    r->part[0] = -1;
    r->key[0] = (uint16_t)key;
    for (int k = 0; k < 4; k++) {
        r->seconds[k + 1] = s->seconds[k];
        r->part[k + 1] = (int8_t)(DELAY_PART_A + k);
        r->key[k + 1] = s->key[k];
    }
    r->n = 5;
}

/* Reads a Postfix delivery's five values into r as read_postfix_five and
 * part_key_fast do, delays= through the memo's splits: a text read before
 * is found by its bytes (same bytes, same values and buckets), a new one
 * read in place and kept.  False (r as it was) when delay= or delays= is
 * not read in place or delays= does not fit a slot: the caller reads them. */
static inline __attribute__((always_inline)) bool read_postfix_memo(mc_delay_memo *memo, mc_str delay, mc_str delays,
                                                                    mc_delay_read *r)
{
    uint64_t lo, hi;
    double d;
    uint32_t hd;
    mc_delay_split_slot *s = postfix_slot(memo, delay, delays, &d, &hd, &lo, &hi);
    if (s == NULL)
        return false;
    if (s->len != delays.n || s->lo != lo || s->hi != hi) {
        double v[4];
        uint32_t h[4];
        if (!read_four(delays, v, h))
            return false;
        for (int k = 0; k < 4; k++) {
            s->seconds[k] = v[k];
            s->key[k] = (uint16_t)part_key_fast(memo, DELAY_PART_A + k, v[k], h[k]);
        }
        s->lo = lo, s->hi = hi, s->len = (uint32_t)delays.n;
    }
    put_five(r, d, part_key_fast(memo, -1, d, hd), s);
    return true;
}

/* The memo's answer for a Postfix delivery read before: as
 * read_postfix_memo on a delays= text its splits hold and a delay= whose
 * bucket by_hundredths holds; false (r as it was) otherwise.  It calls
 * nothing, so delay_read_logged's hit saves no registers (its prologue
 * was ~16 instructions of a hit's ~90). */
static inline __attribute__((always_inline)) bool read_postfix_hit(mc_delay_memo *memo, mc_str delay, mc_str delays,
                                                                   mc_delay_read *r)
{
    uint64_t lo, hi;
    double d;
    uint32_t hd;
    const mc_delay_split_slot *s = postfix_slot(memo, delay, delays, &d, &hd, &lo, &hi);
    if (s == NULL || hd >= MC_DELAY_FAST || memo->by_hundredths[hd] == 0 || s->len != delays.n || s->lo != lo ||
        s->hi != hi)
        return false;
    put_five(r, d, memo->by_hundredths[hd] - 1, s);
    return true;
}

static void read_logged_rest(mc_delay_memo *memo, mc_str delay, mc_str delays, mc_str transfer, mc_delay_read *r);

void delay_read_logged(mc_delay_memo *memo, mc_str delay, mc_str delays, mc_str transfer, mc_delay_read *r)
{
    if (delay.p && delays.p && !transfer.p && read_postfix_hit(memo, delay, delays, r))
        return;
    /* Nothing logged (an Exim log without QT= and DT=): nothing read. */
    if (!delay.p && !delays.p && !transfer.p) {
        r->n = 0;
        return;
    }
    read_logged_rest(memo, delay, delays, transfer, r);
}

/* delay_read_logged past the memo's answer (a new text or value, Exim's
 * and every other shape): the same reading, with read_postfix_memo
 * first (out of line: its calls' saved registers stay off the hit). */
static __attribute__((noinline)) void read_logged_rest(mc_delay_memo *memo, mc_str delay, mc_str delays,
                                                       mc_str transfer, mc_delay_read *r)
{
    if (delay.p && delays.p && !transfer.p && read_postfix_memo(memo, delay, delays, r))
        return;
    /* A Postfix delivery's five values, read into locals and written in
     * one run: put one by one, each store of r->n was read back by the
     * next (a fifth of this function's samples). */
    double v5[5];
    uint32_t h5[5];
    if (delay.p && delays.p && !transfer.p && read_postfix_five(delay, delays, v5, h5)) {
        for (int k = 0; k < 5; k++) {
            r->seconds[k] = v5[k];
            r->part[k] = (int8_t)(k - 1);
            r->key[k] = (uint16_t)part_key_fast(memo, k - 1, v5[k], h5[k]);
        }
        r->n = 5;
        return;
    }
    r->n = 0;
    double seconds, part[4];
    uint32_t h;
    size_t i = 0;
    /* Postfix's delay= read in place; anything else (Exim's units, more
     * decimals) as delay_seconds reads it. */
    if (delay.p && read_hundredths(delay, &i, &seconds, &h) && i == delay.n)
        read_put(r, -1, seconds, part_key_fast(memo, -1, seconds, h));
    else if ((seconds = delay.p ? delay_seconds(delay) : -1.0) >= 0.0)
        read_put(r, -1, seconds, part_key(memo, -1, seconds));
    if (delays.p && !read_split_fast(memo, delays, r) && delay_split(delays, part))
        for (int p = DELAY_PART_A; p <= DELAY_PART_D; p++)
            read_put(r, p, part[p - DELAY_PART_A], part_key(memo, p, part[p - DELAY_PART_A]));
    seconds = transfer.p ? delay_seconds(transfer) : -1.0;
    if (seconds >= 0.0)
        read_put(r, DELAY_PART_DT, seconds, part_key(memo, DELAY_PART_DT, seconds));
}

/* add_read_as's values from the i-th on, each as cells_add_at_as
 * (hw: ones_as's; s: its slab); n read once, the cells' stores cannot
 * change it. */
static inline __attribute__((always_inline)) size_t add_read_from(mc_delay_cells *c, const mc_delay_read *r,
                                                                  unsigned i, bool hw, mc_delay_slab *s)
{
    size_t fresh = 0;
    unsigned n = r->n;
    for (; i < n; i++)
        fresh += cells_add_at_as(c, r->key[i], r->seconds[i], hw, s);
    return fresh;
}

/* add_read_from without popcnt, out of line (add_read_as's rest). */
static __attribute__((noinline)) size_t add_read_rest(mc_delay_cells *c, const mc_delay_read *r, unsigned i,
                                                      mc_delay_slab *s)
{
    return add_read_from(c, r, i, false, s);
}

/* delay_cells_add_read's loop: the values whose cells the group's index
 * holds (nearly all of a busy log's) counted in a loop that calls
 * nothing, so it saves no registers (~18 instructions a delivery); from
 * the first that needs a new cell (or a group with no index yet) on,
 * cells_add_at_as one by one, out of line.  The same counts in the same
 * order either way. */
static inline __attribute__((always_inline)) size_t add_read_as(mc_delay_cells *c, const mc_delay_read *r, bool hw,
                                                                mc_delay_slab *s,
                                                                size_t (*rest)(mc_delay_cells *, const mc_delay_read *,
                                                                               unsigned, mc_delay_slab *))
{
    unsigned n = r->n, i = 0;
    const mc_delay_index *x = c->index;
    if (x != NULL) {
        for (; i < n; i++) {
            int b = r->key[i];
            uint64_t bit = 1ull << (b & 63), word = x->bits[b >> 6];
            if (!(word & bit))
                break;
            cell_count(c, x->before[b >> 6] + (size_t)ones_as(word & (bit - 1), hw), r->seconds[i]);
        }
        if (i == n)
            return 0;
    }
    return rest(c, r, i, s);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__POPCNT__)
/* The loop's count of a delivery's values (five on Postfix, each a count of
 * bits) with the CPU's popcnt where it has one: the shifts and masks are
 * ~12 instructions a value, 2.4 M per 20 MB of Postfix log on the loop's
 * thread (docs/BENCHMARKS.md, loop18).  The same count either way. */
#define DELAY_POPCNT 1
__attribute__((target("popcnt"), noinline)) static size_t add_read_rest_popcnt(mc_delay_cells *c,
                                                                                const mc_delay_read *r, unsigned i,
                                                                                mc_delay_slab *s)
{
    return add_read_from(c, r, i, true, s);
}

__attribute__((target("popcnt"))) static size_t add_read_popcnt(mc_delay_cells *c, const mc_delay_read *r,
                                                                 mc_delay_slab *s)
{
    return add_read_as(c, r, true, s, add_read_rest_popcnt);
}
#endif

size_t delay_cells_add_read_in(mc_delay_cells *c, const mc_delay_read *r, mc_delay_slab *s)
{
#if defined(DELAY_POPCNT)
    if (__builtin_cpu_supports("popcnt"))
        return add_read_popcnt(c, r, s);
#endif
    return add_read_as(c, r, false, s, add_read_rest);
}

size_t delay_cells_add_read(mc_delay_cells *c, const mc_delay_read *r) { return delay_cells_add_read_in(c, r, NULL); }

size_t delay_cells_add_logged(mc_delay_cells *c, mc_delay_memo *memo, mc_str delay, mc_str delays, mc_str transfer)
{
    mc_delay_read r;
    delay_read_logged(memo, delay, delays, transfer, &r);
    return delay_cells_add_read(c, &r);
}

bool delay_cells_add_part(mc_delay_cells *c, mc_delay_part p, double seconds)
{
    return cells_add_at(c, (int)(p + 1) * MC_DELAY_BUCKETS + delay_bucket(seconds), seconds);
}

void delay_cells_free(mc_delay_cells *c)
{
    free(c->cells);
    free(c->index);
    memset(c, 0, sizeof *c);
}

void delay_format(double seconds, char *buf, size_t len)
{
    if (seconds < 60.0) {
        snprintf(buf, len, seconds < 10.0 ? "%.2fs" : "%.0fs", seconds);
        return;
    }
    long s = lround(seconds);
    if (s < 3600)
        snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, len, "%ldh%02ldm", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, len, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
}

/* Writes n bytes of v at p, least significant first. */
static void put_le(char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (char)(v >> (8 * i) & 0xFF);
}

/* Reads n bytes, least significant first. */
static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* A double as its IEEE bits and back (memcpy: no aliasing). */
static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* One cell into its stored form. */
static void put_cell(mc_buf *out, const mc_delay_cell *c)
{
    char cell[MC_DELAY_CELL_BYTES]; /* one append, not one per byte */
    put_le(cell, c->bucket, 2);
    put_le(cell + 2, c->count, 8);
    put_le(cell + 10, double_bits(c->sum), 8);
    put_le(cell + 18, double_bits(c->max), 8);
    mc_buf_add(out, cell, sizeof cell);
}

/* The i-th stored cell of p; false when it is not a cell. */
static bool get_cell(const unsigned char *p, size_t i, mc_delay_cell *c)
{
    const unsigned char *q = p + i * MC_DELAY_CELL_BYTES;
    c->bucket = (uint16_t)get_le(q, 2);
    c->count = get_le(q + 2, 8);
    c->sum = bits_double(get_le(q + 10, 8));
    c->max = bits_double(get_le(q + 18, 8));
    return c->bucket < (MC_DELAY_PARTS + 1) * MC_DELAY_BUCKETS && c->count > 0 && c->sum >= 0 && c->max >= 0;
}

void delay_cells_encode(const mc_delay_cells *c, mc_buf *out)
{
    mc_buf_reset(out);
    for (size_t i = 0; i < c->n; i++)
        put_cell(out, &c->cells[i]);
}

bool delay_blob_merge(const unsigned char *a, size_t an, const unsigned char *b, size_t bn, mc_buf *out)
{
    mc_buf_reset(out);
    if (an % MC_DELAY_CELL_BYTES || bn % MC_DELAY_CELL_BYTES)
        return false;
    size_t na = an / MC_DELAY_CELL_BYTES, nb = bn / MC_DELAY_CELL_BYTES, i = 0, j = 0;
    mc_delay_cell x, y;
    /* Both are sorted by bucket: one pass, like merging sorted lists. */
    while (i < na || j < nb) {
        bool take_a = j == nb, take_b = i == na;
        if (!take_a && !take_b) {
            if (!get_cell(a, i, &x) || !get_cell(b, j, &y))
                return false;
            take_a = x.bucket < y.bucket;
            take_b = y.bucket < x.bucket;
        }
        if (take_a || take_b) {
            if (!get_cell(take_a ? a : b, take_a ? i++ : j++, &x))
                return false;
            put_cell(out, &x);
            continue;
        }
        x.count += y.count;
        x.sum += y.sum;
        x.max = y.max > x.max ? y.max : x.max;
        put_cell(out, &x);
        i++;
        j++;
    }
    return true;
}

bool delay_hist_add_blob(mc_delay_hist *h, const unsigned char *p, size_t n)
{
    if (n % MC_DELAY_CELL_BYTES)
        return false;
    for (size_t i = 0; i < n / MC_DELAY_CELL_BYTES; i++) {
        mc_delay_cell c;
        if (!get_cell(p, i, &c))
            return false;
        if (c.bucket < MC_DELAY_BUCKETS) {
            delay_hist_add(h, c.bucket, c.count, c.sum, c.max);
            continue;
        }
        /* A part's cell. */
        mc_delay_part_hist *x = &h->parts[c.bucket / MC_DELAY_BUCKETS - 1];
        int b = c.bucket % MC_DELAY_BUCKETS;
        x->counts[b] += c.count;
        x->sums[b] += c.sum;
        x->n += c.count;
        x->sum += c.sum;
        if (c.max > x->max)
            x->max = c.max;
    }
    return true;
}
