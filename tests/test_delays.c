/*
 * test_delays.c - delivery delays (src/delays.c, the delays table, the
 * report's delay columns): the histogram's buckets, then the median, p95
 * and max per domain on a real Postfix run and a real Exim run, against
 * figures this test computes itself from the raw log (delay= and QT=
 * values read with sscanf, sorted, nearest rank), and the merge of
 * histograms (two halves ingested apart give the figures of the whole).
 *
 * Precision: the median and p95 are read from buckets 4.9% wide, as the
 * mean of the bucket's delays: within 4.9% of the exact value (at most
 * 0.01 s off below 0.01 s), exact when that bucket's delays are equal.
 * The max is exact.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "delays.h"
#include "parse.h"
#include "testutil.h"

#define MAILLOG MC_DATA_DIR "/postfix/mta-run/maillog"
#define EXIMLOG MC_DATA_DIR "/exim-runs/all.log.gz"

START_TEST(test_delay_values)
{
    static const struct {
        const char *text;
        double seconds;
    } cases[] = {
        {"0.09", 0.09},   {"12", 12},        {"0", 0},          {"0.716s", 0.716}, {"23s", 23},
        {"1m2s", 62},     {"2d3h", 183600},  {"1w", 604800},    {"1h0m5s", 3605},  {"", -1},
        {"1x", -1},       {"1.", -1},        {".5", -1},        {"1m2", -1},       {"1..2", -1},
        {"s", -1},        {"-1", -1},        {"1 s", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = delay_seconds(mc_str_cstr(cases[i].text));
        ck_assert_msg(fabs(v - cases[i].seconds) < 1e-9, "'%s': %g, expected %g", cases[i].text, v,
                      cases[i].seconds);
    }
    ck_assert(delay_seconds(MC_STR_NULL) < 0);
}
END_TEST

/* Postfix's delays=a/b/c/d: four bare numbers, nothing else (a line's
 * value as mta-run logs it, and near misses). */
START_TEST(test_delay_split)
{
    double v[4];
    ck_assert(delay_split(mc_str_cstr("0.03/0/5.1/0.01"), v));
    ck_assert(fabs(v[0] - 0.03) < 1e-9 && v[1] == 0 && fabs(v[2] - 5.1) < 1e-9 && fabs(v[3] - 0.01) < 1e-9);
    static const char *const bad[] = {"", "1/2/3", "1/2/3/4/5", "1/2/3/", "/1/2/3", "1m/0/0/0", "1/2s/3/4",
                                      "1//3/4", "a/b/c/d", "1/2/3/4 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!delay_split(mc_str_cstr(bad[i]), v), "'%s' read as delays", bad[i]);
    ck_assert(!delay_split(MC_STR_NULL, v));
    /* Read in one pass with the '/' search: a second dot, a trailing dot,
     * a piece past 40 bytes still refuse; 40 bytes is a number. */
    static const char *const bad2[] = {"1.2.3/0/0/0", "1./0/0/0", "0/0/0/4.", "0/0/0/4/", "0/0/0/.5"};
    for (size_t i = 0; i < sizeof bad2 / sizeof bad2[0]; i++)
        ck_assert_msg(!delay_split(mc_str_cstr(bad2[i]), v), "'%s' read as delays", bad2[i]);
    char line[128];
    snprintf(line, sizeof line, "0/%.40s/0/0", "0.00000000000000000000000000000000000001");
    ck_assert(delay_split(mc_str_cstr(line), v));
    ck_assert(v[1] > 0 && v[1] < 1e-37);
    snprintf(line, sizeof line, "0/%.41s/0/0", "0.000000000000000000000000000000000000001");
    ck_assert(!delay_split(mc_str_cstr(line), v));
}
END_TEST

/* A part's cells follow the delay's in one sorted blob, merge with it and
 * read back into the part: the stored form of parts. */
START_TEST(test_part_blobs)
{
    mc_delay_cells a = {0}, b = {0};
    delay_cells_add(&a, 2.0);
    delay_cells_add_part(&a, DELAY_PART_C, 1.5);
    delay_cells_add_part(&a, DELAY_PART_A, 0.5);
    delay_cells_add_part(&b, DELAY_PART_C, 1.5);
    delay_cells_add_part(&b, DELAY_PART_DT, 0.25);
    mc_buf ea, eb, m;
    mc_buf_init(&ea), mc_buf_init(&eb), mc_buf_init(&m);
    delay_cells_encode(&a, &ea);
    delay_cells_encode(&b, &eb);
    ck_assert(delay_blob_merge((unsigned char *)ea.data, ea.len, (unsigned char *)eb.data, eb.len, &m));
    ck_assert_uint_eq(m.len, 4 * MC_DELAY_CELL_BYTES); /* the two conn_setup cells are one */
    mc_delay_hist *h = mc_xmalloc(sizeof *h);
    delay_hist_clear(h);
    ck_assert(delay_hist_add_blob(h, (unsigned char *)m.data, m.len));
    mc_delay_figures f;
    delay_hist_figures(h, &f);
    ck_assert_uint_eq(f.all.count, 1);
    ck_assert_uint_eq(f.part[DELAY_PART_C].count, 2);
    ck_assert(fabs(f.part[DELAY_PART_C].sum - 3.0) < 1e-9 && fabs(f.part[DELAY_PART_C].median - 1.5) < 1e-9);
    ck_assert_uint_eq(f.part[DELAY_PART_A].count, 1);
    ck_assert_uint_eq(f.part[DELAY_PART_B].count, 0);
    ck_assert(fabs(f.part[DELAY_PART_DT].max - 0.25) < 1e-9);
    free(h);
    mc_buf_free(&ea), mc_buf_free(&eb), mc_buf_free(&m);
    delay_cells_free(&a), delay_cells_free(&b);
}
END_TEST

START_TEST(test_buckets)
{
    ck_assert_int_eq(delay_bucket(0), 0);
    ck_assert_int_eq(delay_bucket(0.01), 0);
    ck_assert_int_eq(delay_bucket(0.0101), 1);
    /* Every bucket is under 5% wide, and holds its upper bound. */
    for (int b = 1; b < MC_DELAY_BUCKETS - 1; b++) {
        double lo = delay_bucket_upper(b - 1), hi = delay_bucket_upper(b);
        ck_assert_msg(hi / lo <= 1.05, "bucket %d: %g..%g", b, lo, hi);
        ck_assert_int_eq(delay_bucket(hi), b);
        ck_assert_int_eq(delay_bucket(hi * 1.001), b + 1);
    }
    /* Whole seconds as Postfix writes them land under their own bound. */
    ck_assert_int_eq(delay_bucket(10), 3 * MC_DELAY_PER_DECADE);
    ck_assert_int_eq(delay_bucket(1000), 5 * MC_DELAY_PER_DECADE);
    /* 30 days still has a bucket of its own; 40 days is over the top. */
    ck_assert_int_lt(delay_bucket(30 * 86400.0), MC_DELAY_BUCKETS - 1);
    ck_assert_int_eq(delay_bucket(40 * 86400.0), MC_DELAY_BUCKETS - 1);
    /* The Prometheus bounds are bucket bounds: counting is exact. */
    for (size_t i = 0; i < mc_delay_prom_n; i++) {
        int b = delay_bucket(mc_delay_prom_le[i]);
        ck_assert_msg(fabs(delay_bucket_upper(b) / mc_delay_prom_le[i] - 1) < 1e-9, "le %g", mc_delay_prom_le[i]);
    }
}
END_TEST

/* The memo of buckets gives delay_bucket's answer whatever it held before:
 * Postfix's two-digit values, bucket bounds and the values just past them,
 * zero, and values that share a slot, in three passes (cold, warm, and
 * after a pass of other values has overwritten the slots). */
START_TEST(test_bucket_memo)
{
    mc_delay_memo memo;
    memset(&memo, 0, sizeof memo);
    double v[2000];
    size_t n = 0;
    v[n++] = 0.0;
    for (int b = 0; b < MC_DELAY_BUCKETS - 1 && n + 2 <= 900; b++) {
        v[n++] = delay_bucket_upper(b);
        v[n++] = delay_bucket_upper(b) * 1.001;
    }
    for (int i = 1; i <= 990 && n < 2000; i++)
        v[n++] = i / 100.0; /* 0.01 .. 9.9 */
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < n; i++) {
            size_t j = pass == 2 ? n - 1 - i : i;
            ck_assert_int_eq(delay_bucket_memo(&memo, v[j]), delay_bucket(v[j]));
        }
    /* Through the cells: the same cells as without the memo. */
    mc_delay_cells a = {0}, b = {0};
    mc_buf ea = {0}, eb = {0};
    for (size_t i = 0; i < n; i++) {
        delay_cells_add(&a, v[i]);
        delay_cells_add_memo(&b, &memo, -1, v[i]);
        delay_cells_add_part(&a, DELAY_PART_C, v[n - 1 - i]);
        delay_cells_add_memo(&b, &memo, DELAY_PART_C, v[n - 1 - i]);
    }
    delay_cells_encode(&a, &ea);
    delay_cells_encode(&b, &eb);
    ck_assert_uint_eq(ea.len, eb.len);
    ck_assert(memcmp(ea.data, eb.data, ea.len) == 0);
    mc_buf_free(&ea), mc_buf_free(&eb);
    delay_cells_free(&a), delay_cells_free(&b);
}
END_TEST

/* A group's histogram counted the plain way: per stored bucket, the count,
 * the sum in the order of the adds, the maximum. */
typedef struct {
    uint64_t count[MC_DELAY_KEYS];
    double sum[MC_DELAY_KEYS], max[MC_DELAY_KEYS];
} dense_cells;

/* Whether c holds exactly d's buckets, in bucket order, to the bit. */
static void check_cells(const mc_delay_cells *c, const dense_cells *d)
{
    size_t at = 0;
    for (int k = 0; k < MC_DELAY_KEYS; k++) {
        if (d->count[k] == 0)
            continue;
        ck_assert_msg(at < c->n, "bucket %d missing", k);
        const mc_delay_cell *x = &c->cells[at++];
        ck_assert_int_eq(x->bucket, k);
        ck_assert_uint_eq(x->count, d->count[k]);
        ck_assert(memcmp(&x->sum, &d->sum[k], sizeof x->sum) == 0);
        ck_assert(memcmp(&x->max, &d->max[k], sizeof x->max) == 0);
    }
    ck_assert_uint_eq(at, c->n);
}

/* The cells a group's adds make, found by its index of bits once it has
 * MC_DELAY_INDEX_FROM cells and by a search before, are those a dense
 * histogram per stored bucket makes: values of every part that fall (each
 * new bucket put in before the cells counted so far, in every 64 buckets of
 * the index), rise and come back, through a memo and without, three groups
 * at once, one freed and made again; and a group whose cells were put in
 * by hand in bucket order (as the store merges them) before its first add. */
START_TEST(test_cell_index)
{
    static dense_cells want[3];
    static mc_delay_memo memo;
    memset(want, 0, sizeof want);
    memset(&memo, 0, sizeof memo);
    mc_delay_cells got[3] = {{0}};
    for (int round = 0; round < 3; round++) {
        for (int i = 4000; i > 0; i--) {
            /* Falling, then values seen already; every part, the delay too. */
            double v = i > 2000 ? (i - 2000) * 7.3 / 100.0 : (i % 97) / 10.0 + round;
            int g = i % 3, part = i % 7 == 0 ? -1 : i % 5;
            int key = part < 0 ? delay_bucket(v) : (part + 1) * MC_DELAY_BUCKETS + delay_bucket(v);
            bool fresh = want[g].count[key] == 0;
            want[g].count[key]++;
            want[g].sum[key] += v;
            if (v > want[g].max[key])
                want[g].max[key] = v;
            bool took = i % 2 ? delay_cells_add_memo(&got[g], &memo, part, v)
                      : part < 0 ? delay_cells_add(&got[g], v)
                                 : delay_cells_add_part(&got[g], (mc_delay_part)part, v);
            ck_assert_int_eq(took, fresh);
        }
        for (int g = 0; g < 3; g++) {
            check_cells(&got[g], &want[g]);
            ck_assert_ptr_nonnull(got[g].index);
        }
        /* A group gone, and a new one in its place. */
        delay_cells_free(&got[round % 3]);
        memset(&want[round % 3], 0, sizeof want[0]);
    }
    for (int g = 0; g < 3; g++)
        delay_cells_free(&got[g]);

    /* Cells put in by hand, more than MC_DELAY_INDEX_FROM, then added to. */
    mc_delay_cells c = {0};
    memset(&want[0], 0, sizeof want[0]);
    c.cap = 64;
    c.cells = calloc(c.cap, sizeof *c.cells);
    for (int k = 3; k < MC_DELAY_KEYS && c.n < 40; k += 61) {
        c.cells[c.n++] = (mc_delay_cell){.bucket = (uint16_t)k, .count = 2, .sum = 1.5, .max = 1.0};
        want[0].count[k] = 2, want[0].sum[k] = 1.5, want[0].max[k] = 1.0;
    }
    for (int i = 0; i < 600; i++) {
        double v = (i * 37 % 600) / 10.0;
        int part = i % 6 - 1, key = part < 0 ? delay_bucket(v) : (part + 1) * MC_DELAY_BUCKETS + delay_bucket(v);
        want[0].count[key]++;
        want[0].sum[key] += v;
        if (v > want[0].max[key])
            want[0].max[key] = v;
        delay_cells_add_memo(&c, &memo, part, v);
    }
    check_cells(&c, &want[0]);
    delay_cells_free(&c);
}
END_TEST

/* The slab test's groups: their cells counted through the slab and on the
 * heap, the same reads. */
#define SLAB_GROUPS 600
static mc_delay_cells slab_got[SLAB_GROUPS], slab_want[SLAB_GROUPS];

/* Counts round r's reads in every group, through s and on the heap, the
 * groups taking turns (so that an array one group grew out of is taken
 * by the next that grows to its size): group g uses d_g distinct keys
 * spread over all of them (53 is prime to MC_DELAY_KEYS), every 100th
 * all MC_DELAY_KEYS, in reads of 1 to MC_DELAY_READ_MAX values. */
static void slab_round(mc_delay_slab *s, int r)
{
    static int next[SLAB_GROUPS];
    memset(next, 0, sizeof next);
    for (int t = 0; t < 800; t++)
        for (int g = 0; g < SLAB_GROUPS; g++) {
            int d = g % 100 == 0 ? MC_DELAY_KEYS : 1 + (g * 37) % 300;
            mc_delay_read rd = {.n = (uint8_t)(1 + (g + t) % MC_DELAY_READ_MAX)};
            for (int i = 0; i < rd.n; i++) {
                rd.key[i] = (uint16_t)((g * 31 + (next[g]++ % d) * 53) % MC_DELAY_KEYS);
                rd.seconds[i] = (t % 13) * 0.25 + g * 0.001 + r;
                rd.part[i] = -1;
            }
            size_t a = delay_cells_add_read_in(&slab_got[g], &rd, s);
            size_t b = delay_cells_add_read(&slab_want[g], &rd);
            ck_assert_uint_eq(a, b);
        }
    mc_buf ea = {0}, eb = {0};
    for (int g = 0; g < SLAB_GROUPS; g++) {
        delay_cells_encode(&slab_got[g], &ea);
        delay_cells_encode(&slab_want[g], &eb);
        ck_assert_uint_gt(eb.len, 0);
        ck_assert_uint_eq(slab_got[g].n, slab_want[g].n);
        ck_assert_uint_eq(ea.len, eb.len);
        ck_assert_msg(memcmp(ea.data, eb.data, ea.len) == 0, "group %d differs (round %d)", g, r);
        ck_assert_uint_eq((uintptr_t)slab_got[g].cells % 64, 0);
    }
    ck_assert_uint_eq(slab_got[0].n, MC_DELAY_KEYS);
    mc_buf_free(&ea), mc_buf_free(&eb);
}

/* Cells and indexes in a slab (an aggregate's) are those the heap's
 * arrays make, to the bit, for 600 groups that grow by turns to 1 to 300
 * cells and six to every key (the largest array), over many blocks; and
 * again after the slab is cleared, in the blocks it kept (no more made). */
START_TEST(test_cell_slab)
{
    mc_delay_slab *s = delay_slab_new();
    memset(slab_got, 0, sizeof slab_got);
    memset(slab_want, 0, sizeof slab_want);
    slab_round(s, 0);
    size_t blocks = delay_slab_blocks(s);
    ck_assert_uint_gt(blocks, 4);
    delay_slab_clear(s);
    for (int g = 0; g < SLAB_GROUPS; g++) {
        memset(&slab_got[g], 0, sizeof slab_got[g]);
        delay_cells_free(&slab_want[g]);
    }
    slab_round(s, 1);
    ck_assert_uint_eq(delay_slab_blocks(s), blocks);
    for (int g = 0; g < SLAB_GROUPS; g++)
        delay_cells_free(&slab_want[g]);
    delay_slab_free(s);
}
END_TEST

/* What the read-then-count test has seen: a worker's memo, each group's
 * cells both ways, and the values by part. */
static struct {
    mc_delay_memo worker;
    mc_delay_cells read[3], plain[3];
    size_t events, values, by_part[MC_DELAY_PARTS + 1];
} rc;

/* Parses a line of tests/data (n bytes, not NUL-ended); true for an event. */
static bool data_event(const char *line, size_t n, mc_event *ev)
{
    static char buf[65536];
    memcpy(buf, line, n);
    buf[n] = '\0';
    return test_parse(buf, ev) == PARSE_EVENT;
}

/* One line of tests/data: its event's delays read and counted (group by
 * event), and counted one by one without a memo. */
static void read_count_line(const char *path, const char *line, size_t n)
{
    (void)path;
    mc_event ev;
    if (!data_event(line, n, &ev))
        return;
    size_t g = rc.events++ % 3;
    mc_delay_read r;
    delay_read_logged(&rc.worker, ev.delay, ev.delays, ev.transfer, &r);
    delay_cells_add_read(&rc.read[g], &r);
    size_t values = 0;
    double v = ev.delay.p ? delay_seconds(ev.delay) : -1.0, part[4];
    if (v >= 0.0) {
        delay_cells_add(&rc.plain[g], v);
        values++, rc.by_part[0]++;
    }
    if (ev.delays.p && delay_split(ev.delays, part))
        for (int p = DELAY_PART_A; p <= DELAY_PART_D; p++) {
            delay_cells_add_part(&rc.plain[g], (mc_delay_part)p, part[p - DELAY_PART_A]);
            values++, rc.by_part[p + 1]++;
        }
    v = ev.transfer.p ? delay_seconds(ev.transfer) : -1.0;
    if (v >= 0.0) {
        delay_cells_add_part(&rc.plain[g], DELAY_PART_DT, v);
        values++, rc.by_part[DELAY_PART_DT + 1]++;
    }
    ck_assert_uint_eq(r.n, values);
    rc.values += values;
}

/* The delays a worker thread reads (delay_read_logged, through its own
 * memo) and the ingest loop counts (delay_cells_add_read, through the
 * groups' indexes) make the cells that every delay=, delays=, QT= and DT= of
 * tests/data makes counted one at a time without a memo (delay_seconds,
 * delay_split, delay_cells_add, delay_cells_add_part), in three groups. */
START_TEST(test_read_then_count)
{
    memset(&rc, 0, sizeof rc);
    test_each_data_line(read_count_line, NULL);
    /* Real values of every kind were met. */
    ck_assert_uint_gt(rc.values, 1000);
    for (int p = 0; p <= MC_DELAY_PARTS; p++)
        ck_assert_msg(rc.by_part[p] > 0, "no value of part %d in tests/data", p - 1);
    mc_buf ea = {0}, eb = {0};
    for (int g = 0; g < 3; g++) {
        delay_cells_encode(&rc.read[g], &ea);
        delay_cells_encode(&rc.plain[g], &eb);
        ck_assert_uint_gt(eb.len, 0);
        ck_assert_uint_eq(ea.len, eb.len);
        ck_assert(memcmp(ea.data, eb.data, ea.len) == 0);
        delay_cells_free(&rc.read[g]), delay_cells_free(&rc.plain[g]);
    }
    mc_buf_free(&ea), mc_buf_free(&eb);
}
END_TEST

/* Dimension sets a report keeps (report_rows.c): the JSON report's, a
 * problem's breakdowns, and every one but the senders (which the loop's
 * join fills, so a worker does not pack them). */
#define BIT(d) (1u << (d))
static const uint32_t pack_keeps[] = {
    BIT(DIM_HOUR) | BIT(DIM_CLASS) | BIT(DIM_HARD) | BIT(DIM_STATUS) | BIT(DIM_DIRECTION) | BIT(DIM_CODE) |
        BIT(DIM_ENHANCED) | MC_KEEP_DELAYS,
    BIT(DIM_HOUR) | BIT(DIM_CLASS) | BIT(DIM_HARD) | BIT(DIM_DIRECTION) | BIT(DIM_STATUS) | BIT(DIM_CODE) |
        BIT(DIM_ENHANCED) | BIT(DIM_REASON) | BIT(DIM_DOMAIN) | BIT(DIM_RELAY) | BIT(DIM_CLIENT),
    (MC_ALL_DIMS & ~(BIT(DIM_SENDER) | BIT(DIM_SENDER_DOMAIN))),
};
#define N_PACK_KEEPS (sizeof pack_keeps / sizeof pack_keeps[0])

/* Per dimension set: the table fed by aggregate_add, the one fed with
 * the values packed apart, and the packing buffer. */
static struct {
    mc_aggregate *whole[N_PACK_KEEPS], *packed[N_PACK_KEEPS];
    mc_delay_memo memo;
    mc_buf rest;
    size_t events;
} pk;

/* One line of tests/data: its event into both tables of every set. */
static void pack_line(const char *path, const char *line, size_t n)
{
    (void)path;
    mc_event ev;
    if (!data_event(line, n, &ev))
        return;
    pk.events++;
    mc_delay_read r;
    delay_read_logged(&pk.memo, ev.delay, ev.delays, ev.transfer, &r);
    for (size_t k = 0; k < N_PACK_KEEPS; k++) {
        aggregate_add(pk.whole[k], &ev);
        uint32_t lens[DIM_COUNT];
        /* After other bytes, as in a chunk's buffer. */
        size_t at = pk.rest.len;
        size_t got = aggregate_pack_rest(pack_keeps[k], &ev, &pk.rest, lens);
        ck_assert_uint_eq(pk.rest.len, at + got);
        aggregate_add_packed(pk.packed[k], &ev, &r, pk.rest.data + at, got, lens);
    }
    if (pk.rest.len > 4096)
        mc_buf_reset(&pk.rest);
}

/* The plain value of dimension d (all but the hour and the client): the
 * view or C string as it stands, its length by strlen, a flag "1" or "0". */
static mc_str plain_dim(int d, const mc_event *ev)
{
    switch (d) {
    case DIM_MTA: return mc_str_cstr(ev->mta);
    case DIM_HOST: return ev->host;
    case DIM_DIRECTION: return mc_str_cstr(ev->direction);
    case DIM_STATUS: return ev->status;
    case DIM_STAGE: return mc_str_cstr(ev->stage);
    case DIM_CODE: return mc_str_cstr(ev->code);
    case DIM_ENHANCED: return mc_str_cstr(ev->enhanced);
    case DIM_CLASS: return mc_str_cstr(mc_class_name(ev->klass));
    case DIM_REASON: return mc_str_cstr(ev->reason);
    case DIM_DOMAIN: return mc_str_cstr(ev->domain);
    case DIM_RELAY: return ev->relay;
    case DIM_CONFLICT: return mc_str_cstr(ev->conflict ? "1" : "0");
    case DIM_HARD: return mc_str_cstr(ev->hard ? "1" : "0");
    case DIM_INFERRED: return mc_str_cstr(ev->inferred ? "1" : "0");
    case DIM_SENDER: return ev->sender;
    case DIM_SENDER_DOMAIN: return mc_str_cstr(ev->sender_domain);
    case DIM_RECIPIENT: return ev->recipient;
    default: return MC_STR_NULL;
    }
}

/* ev packed by aggregate_pack_rest against the layout built plainly
 * (each dimension from 1 its value if kept, then a NUL; the lengths). */
static void pack_like_plain(const mc_event *ev, uint32_t keep)
{
    mc_buf got = {0}, want = {0};
    uint32_t lens[DIM_COUNT], want_lens[DIM_COUNT] = {0};
    size_t n = aggregate_pack_rest(keep, ev, &got, lens);
    for (int d = 1; d < DIM_COUNT; d++) {
        if (keep & (1u << d)) {
            mc_str v = plain_dim(d, ev);
            if (v.p != NULL && v.n > 0)
                mc_buf_add(&want, v.p, v.n);
            want_lens[d] = v.p ? (uint32_t)v.n : 0;
        }
        mc_buf_add(&want, "", 1);
    }
    ck_assert_uint_eq(n, want.len);
    ck_assert_uint_eq(got.len, want.len);
    ck_assert(memcmp(got.data, want.data, n) == 0);
    ck_assert(memcmp(lens, want_lens, sizeof lens) == 0);
    mc_buf_free(&got), mc_buf_free(&want);
}

static size_t pack_plain_events;

/* One line of tests/data: its event packed with every dimension but the
 * client (its key is made, not copied), and with the first set above. */
static void pack_plain_line(const char *path, const char *line, size_t n)
{
    (void)path;
    mc_event ev;
    if (!data_event(line, n, &ev))
        return;
    pack_plain_events++;
    pack_like_plain(&ev, MC_ALL_DIMS & ~(BIT(DIM_HOUR) | BIT(DIM_CLIENT)));
    pack_like_plain(&ev, pack_keeps[0]);
}

/* aggregate_pack_rest measures its values in place (the code and the
 * enhanced code counted, the flags as "1" / "0") and copies the short ones
 * by mc_copy_bytes: the same key and lengths as the plain layout on every
 * event of tests/data, and on values of 0 to 40 bytes in each copied
 * dimension; mc_copy_bytes writes the n bytes of memcpy and no other (n
 * from 0 to 40, the source a heap block of its exact size). */
START_TEST(test_pack_rest_plain)
{
    for (size_t len = 0; len <= 40; len++) {
        char *src = malloc(len ? len : 1);
        ck_assert_ptr_nonnull(src);
        for (size_t i = 0; i < len; i++)
            src[i] = (char)('A' + i);
        char dst[64];
        memset(dst, '~', sizeof dst);
        mc_copy_bytes(dst + 5, src, len);
        for (size_t i = 0; i < sizeof dst; i++)
            ck_assert_msg(dst[i] == (i >= 5 && i < 5 + len ? src[i - 5] : '~'), "length %zu, byte %zu", len, i);
        free(src);
    }
    pack_plain_events = 0;
    test_each_data_line(pack_plain_line, NULL);
    ck_assert_uint_gt(pack_plain_events, 5000);
    static const char bytes[] = "abcdefghijklmnopqrstuvwxyz0123456789.-_ABCD";
    mc_event ev;
    memset(&ev, 0, sizeof ev);
    ev.mta = "postfix";
    for (size_t len = 0; len <= 40; len++) {
        char *v = malloc(len + 1);
        ck_assert_ptr_nonnull(v);
        memcpy(v, bytes, len);
        v[len] = '\0';
        ev.host = ev.status = ev.relay = ev.sender = ev.recipient = mc_str_make(v, len);
        ev.direction = ev.stage = ev.reason = v;
        snprintf(ev.code, sizeof ev.code, "%.*s", (int)len, v);
        snprintf(ev.enhanced, sizeof ev.enhanced, "%.*s", (int)len, v);
        snprintf(ev.domain, sizeof ev.domain, "%s", v);
        snprintf(ev.sender_domain, sizeof ev.sender_domain, "%s", v);
        ev.klass = (mc_class)(len % 5);
        ev.conflict = len % 2, ev.hard = len % 3 == 0, ev.inferred = len % 5 == 1;
        pack_like_plain(&ev, MC_ALL_DIMS & ~(BIT(DIM_HOUR) | BIT(DIM_CLIENT)));
        free(v);
    }
}
END_TEST

/* The aggregate's add with the values but the hour packed apart and the
 * delays read apart, as a worker thread prepares them for the ingest loop
 * (aggregate_pack_rest, delay_read_logged, aggregate_add_packed), makes
 * the entries aggregate_add makes of every event of tests/data: the same
 * tuples in the same order with their values, lengths, counts, times,
 * sample and delays, for three sets of dimensions. */
START_TEST(test_packed_adds)
{
    memset(&pk, 0, sizeof pk);
    for (size_t k = 0; k < N_PACK_KEEPS; k++) {
        pk.whole[k] = aggregate_new();
        pk.packed[k] = aggregate_new();
        aggregate_keep_dims(pk.whole[k], pack_keeps[k]);
        aggregate_keep_dims(pk.packed[k], pack_keeps[k]);
        aggregate_set_budget(pk.whole[k], 1000000);
        aggregate_set_budget(pk.packed[k], 1000000);
    }
    test_each_data_line(pack_line, NULL);
    ck_assert_uint_gt(pk.events, 5000);
    mc_buf ea = {0}, eb = {0};
    for (size_t k = 0; k < N_PACK_KEEPS; k++) {
        size_t n = aggregate_size(pk.whole[k]), events = 0;
        ck_assert_uint_gt(n, 50);
        ck_assert_uint_eq(aggregate_size(pk.packed[k]), n);
        for (size_t i = 0; i < n; i++) {
            const mc_agg_entry *a = aggregate_entry(pk.whole[k], i), *b = aggregate_entry(pk.packed[k], i);
            /* Each value where its length says (no value of tests/data
             * holds a NUL), an hour "YYYY-MM-DDTHH", an unkept one empty. */
            for (int d = 0; d < DIM_COUNT; d++) {
                ck_assert_uint_eq(strlen(b->dims[d]), b->lens[d]);
                if (!(pack_keeps[k] & BIT(d)))
                    ck_assert_uint_eq(b->lens[d], 0);
            }
            ck_assert_uint_eq(b->lens[DIM_HOUR], 13);
            ck_assert_uint_eq(b->key_len, DIM_COUNT + b->lens[DIM_HOUR] + strlen(b->dims[DIM_CLASS]) +
                                              strlen(b->dims[DIM_STATUS]) + strlen(b->dims[DIM_DIRECTION]) +
                                              strlen(b->dims[DIM_CODE]) + strlen(b->dims[DIM_ENHANCED]) +
                                              strlen(b->dims[DIM_HARD]) + strlen(b->dims[DIM_MTA]) +
                                              strlen(b->dims[DIM_HOST]) + strlen(b->dims[DIM_STAGE]) +
                                              strlen(b->dims[DIM_REASON]) + strlen(b->dims[DIM_DOMAIN]) +
                                              strlen(b->dims[DIM_RELAY]) + strlen(b->dims[DIM_CLIENT]) +
                                              strlen(b->dims[DIM_CONFLICT]) + strlen(b->dims[DIM_INFERRED]) +
                                              strlen(b->dims[DIM_SENDER]) + strlen(b->dims[DIM_SENDER_DOMAIN]) +
                                              strlen(b->dims[DIM_RECIPIENT]));
            events += b->count;
            ck_assert_uint_eq(a->key_len, b->key_len);
            ck_assert(memcmp(a->dims[0], b->dims[0], a->key_len) == 0);
            ck_assert(memcmp(a->lens, b->lens, sizeof a->lens) == 0);
            ck_assert_uint_eq(a->count, b->count);
            ck_assert(memcmp(&a->first, &b->first, sizeof a->first) == 0);
            ck_assert(memcmp(&a->last, &b->last, sizeof a->last) == 0);
            ck_assert_str_eq(a->sample, b->sample);
            delay_cells_encode(&a->delays, &ea);
            delay_cells_encode(&b->delays, &eb);
            ck_assert_uint_eq(ea.len, eb.len);
            ck_assert(ea.len == 0 || memcmp(ea.data, eb.data, ea.len) == 0);
        }
        ck_assert_uint_eq(events, pk.events);
        aggregate_free(pk.whole[k]);
        aggregate_free(pk.packed[k]);
    }
    mc_buf_free(&ea), mc_buf_free(&eb), mc_buf_free(&pk.rest);
}
END_TEST

/* A hash under which every tuple collides: each new tuple's probe walks
 * the whole chain of those before it. */
static uint64_t one_hash(const void *p, size_t n)
{
    (void)p, (void)n;
    return 0x5555555500000000ULL;
}

/* The tables of test_hash_switch: the real hash, and every tuple colliding. */
static struct {
    mc_aggregate *real, *colliding;
    size_t events;
} hs;

static void hash_switch_line(const char *path, const char *line, size_t n)
{
    (void)path;
    mc_event ev;
    if (!data_event(line, n, &ev))
        return;
    hs.events++;
    aggregate_add(hs.real, &ev);
    aggregate_add(hs.colliding, &ev);
}

/* A table whose every tuple lands in one chain (keys written against its
 * fast hash) takes SipHash once a probe walks past its limit, and then
 * counts as the table whose hash spreads them: the same tuples in the
 * same order with the same counts; the real hash never needs the switch
 * on tests/data's events (hundreds of tuples). */
START_TEST(test_hash_switch)
{
    memset(&hs, 0, sizeof hs);
    hs.real = aggregate_new();
    hs.colliding = aggregate_new();
    aggregate_set_budget(hs.real, 1000000);
    aggregate_set_budget(hs.colliding, 1000000);
    aggregate_set_test_hash(hs.colliding, one_hash);
    test_each_data_line(hash_switch_line, NULL);
    size_t n = aggregate_size(hs.real), events = 0;
    ck_assert_uint_gt(n, 500);
    ck_assert(!aggregate_hash_is_sip(hs.real));
    ck_assert(aggregate_hash_is_sip(hs.colliding));
    ck_assert_uint_eq(aggregate_size(hs.colliding), n);
    for (size_t i = 0; i < n; i++) {
        const mc_agg_entry *a = aggregate_entry(hs.real, i), *b = aggregate_entry(hs.colliding, i);
        ck_assert_uint_eq(a->key_len, b->key_len);
        ck_assert(memcmp(a->dims[0], b->dims[0], a->key_len) == 0);
        ck_assert_uint_eq(a->count, b->count);
        events += b->count;
    }
    ck_assert_uint_eq(events, hs.events);
    aggregate_free(hs.real);
    aggregate_free(hs.colliding);
}
END_TEST

/* One delivery's delay= and delays= read together by delay_read_logged
 * (through memo) checked against delay_seconds, delay_split and
 * delay_bucket to the bit. */
static void check_pair(mc_delay_memo *memo, const char *delay, const char *delays)
{
    mc_delay_read r;
    double want = delay_seconds(mc_str_cstr(delay)), parts[4];
    bool ok = delay_split(mc_str_cstr(delays), parts);
    delay_read_logged(memo, mc_str_cstr(delay), mc_str_cstr(delays), MC_STR_NULL, &r);
    size_t first = want >= 0.0;
    ck_assert_msg(r.n == first + (ok ? 4 : 0), "'%s' and '%s': %u values", delay, delays, r.n);
    if (first) {
        ck_assert_msg(memcmp(&r.seconds[0], &want, sizeof want) == 0, "'%s' with '%s'", delay, delays);
        ck_assert_int_eq(r.part[0], -1);
        ck_assert_int_eq(r.key[0], delay_bucket(want));
    }
    for (int k = 0; ok && k < 4; k++) {
        ck_assert_msg(memcmp(&r.seconds[first + k], &parts[k], sizeof parts[k]) == 0, "'%s' part %d: %.17g, not %.17g",
                      delays, k, r.seconds[first + k], parts[k]);
        ck_assert_int_eq(r.part[first + k], DELAY_PART_A + k);
        ck_assert_int_eq(r.key[first + k], (k + 1) * MC_DELAY_BUCKETS + delay_bucket(parts[k]));
    }
}

/* One text read by delay_read_logged as a delay= and, four times over, as a
 * delays=a/b/c/d, checked against delay_seconds, delay_split and
 * delay_bucket to the bit (the read in place of Postfix's values must give
 * their doubles, not just values close to them). */
static void check_read(mc_delay_memo *memo, const char *text)
{
    mc_delay_read r;
    double want = delay_seconds(mc_str_cstr(text));
    delay_read_logged(memo, mc_str_cstr(text), MC_STR_NULL, MC_STR_NULL, &r);
    ck_assert_msg(r.n == (want >= 0.0), "'%s': %u values", text, r.n);
    if (r.n) {
        ck_assert_msg(memcmp(&r.seconds[0], &want, sizeof want) == 0, "'%s': %.17g, not %.17g", text, r.seconds[0],
                      want);
        ck_assert_int_eq(r.part[0], -1);
        ck_assert_int_eq(r.key[0], delay_bucket(want));
    }
    /* The text as each of the four parts, the others varied around it. */
    char four[256];
    static const char *const other[] = {"0", "0.01", "12", "3.5"};
    for (int at = 0; at < 4; at++) {
        size_t len = 0;
        for (int k = 0; k < 4; k++)
            len += (size_t)snprintf(four + len, sizeof four - len, "%s%s", k ? "/" : "",
                                    k == at ? text : other[(k + at) % 4]);
        double parts[4];
        bool ok = delay_split(mc_str_make(four, len), parts);
        delay_read_logged(memo, MC_STR_NULL, mc_str_make(four, len), MC_STR_NULL, &r);
        ck_assert_msg(r.n == (ok ? 4 : 0), "'%s': %u values", four, r.n);
        for (int k = 0; ok && k < 4; k++) {
            ck_assert_msg(memcmp(&r.seconds[k], &parts[k], sizeof parts[k]) == 0, "'%s' part %d: %.17g, not %.17g",
                          four, k, r.seconds[k], parts[k]);
            ck_assert_int_eq(r.part[k], DELAY_PART_A + k);
            ck_assert_int_eq(r.key[k], (k + 1) * MC_DELAY_BUCKETS + delay_bucket(parts[k]));
        }
        /* A Postfix delivery: the text as delay= and in delays= at once
         * (read together when all five values are in place), in the
         * line's order, as each would be read alone. */
        check_pair(memo, text, four);
    }
}

/* Postfix's values read in place (delay_read_logged) are the doubles and
 * buckets that delay_seconds, delay_split and delay_bucket give, for every
 * value of at most two decimals below 1,000 s (each hundredth written as
 * "W", "W.D", "W.DD", with a leading zero and a trailing one, the memo's
 * bucket of a hundredth first taken from one of its writings and then read
 * for the others, in two orders), and for what a log can hold besides:
 * more decimals, long numbers, Exim's units, garbage. */
START_TEST(test_read_in_place)
{
    static mc_delay_memo memo;
    memset(&memo, 0, sizeof memo);
    char text[64];
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < 100000; k++) {
            int h = pass ? 99999 - k : k, w = h / 100, d1 = h / 10 % 10, d2 = h % 10;
            static const char *const shapes[] = {"%d.%d%d", "%d.%d", "%d", "0%d.%d%d", "%d.%d%d0"};
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                size_t sh = (s + (size_t)pass * 2) % 5; /* another writing first on the second pass */
                if (sh == 1 && d2 != 0)
                    continue; /* "W.D" only when it is that value */
                if (sh == 2 && (d1 != 0 || d2 != 0))
                    continue;
                if (sh == 0 || sh == 3 || sh == 4)
                    snprintf(text, sizeof text, shapes[sh], w, d1, d2);
                else if (sh == 1)
                    snprintf(text, sizeof text, shapes[sh], w, d1);
                else
                    snprintf(text, sizeof text, shapes[sh], w);
                if (k % 50 == 0 || h < 2000)
                    check_read(&memo, text); /* the four parts too, for a share */
                else {
                    mc_delay_read r;
                    double want = delay_seconds(mc_str_cstr(text));
                    delay_read_logged(&memo, mc_str_cstr(text), MC_STR_NULL, MC_STR_NULL, &r);
                    ck_assert_uint_eq(r.n, 1);
                    ck_assert_msg(memcmp(&r.seconds[0], &want, sizeof want) == 0, "'%s'", text);
                    ck_assert_int_eq(r.key[0], delay_bucket(want));
                }
            }
        }
    static const char *const odd[] = {
        "0", "0.1", "12.34", "1234.5", "0.00", "0.001", "0.125", "0.09999999999999999999", "1.23456789012345678901",
        "9999999", "9999999.99", "10000000", "12345678.9", "123456789012345678901234567890", "00000000000000000001",
        "327.67", "327.68", "655.35", "655.36", "99999.99", "1.", ".5", "1..2", "1.2.3", "", "1x", "x1", "-1", "+1",
        "1 ", " 1", "1/2", "0.716s", "23s", "1m2s", "2d3h", "1w", "1h0m5s", "1m2", "s", "1e3", "0x10", "١٢",
        "12345678901234567890123456789012345678901", "1.5e", "0.0.0", "7.", "07", "007.07", "0.10", "0.01",
        /* Bytes beside the digits' range where a digit or the point stands (0x2F, 0x3A-0x3F). */
        "1.2:", "1.:2", ":.12", "1:12", "9.9?", "1.?9", "/.12", "1.2/", "1.23:", "5:", "5?", "0.0/"};
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
            check_read(&memo, odd[i]);
    /* Texts that are no four pieces of such values. */
    static const char *const bad[] = {"", "0/0/0", "0/0/0/0/0", "0/0/0/", "/0/0/0", "0//0/0", "0/0/0/0 ", "0/0/0/0.",
                                      "0/0.1.2/0/0", "0/0/0/1m", "0.001/0/0/0", "1.2/3/4/5s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mc_delay_read r;
        double parts[4];
        bool ok = delay_split(mc_str_cstr(bad[i]), parts);
        delay_read_logged(&memo, MC_STR_NULL, mc_str_cstr(bad[i]), MC_STR_NULL, &r);
        ck_assert_uint_eq(r.n, ok ? 4 : 0);
    }
}
END_TEST

/* The delays= texts of tests/data (their delay= beside), gathered. */
static struct {
    char delay[64][32], delays[64][64];
    size_t n;
} pairs;

/* Keeps a line's delay= and delays= when it has both (distinct texts, up to 64). */
static void pair_line(const char *path, const char *line, size_t n)
{
    (void)path;
    mc_event ev;
    if (!data_event(line, n, &ev) || !ev.delay.p || !ev.delays.p || ev.transfer.p)
        return;
    if (ev.delay.n >= sizeof pairs.delay[0] || ev.delays.n >= sizeof pairs.delays[0] || pairs.n == 64)
        return;
    for (size_t i = 0; i < pairs.n; i++)
        if (strlen(pairs.delays[i]) == ev.delays.n && memcmp(pairs.delays[i], ev.delays.p, ev.delays.n) == 0)
            return;
    memcpy(pairs.delay[pairs.n], ev.delay.p, ev.delay.n);
    pairs.delay[pairs.n][ev.delay.n] = '\0';
    memcpy(pairs.delays[pairs.n], ev.delays.p, ev.delays.n);
    pairs.delays[pairs.n++][ev.delays.n] = '\0';
}

/* A Postfix delivery's delays= found in the memo's splits by its bytes
 * (read_postfix_memo) gives what reading it gives: tests/data's texts and
 * each mutated (every byte replaced by digits, '.', '/' and bytes beside
 * them; cut short, made longer), and every four-piece text of a dozen
 * values (more texts than slots: slots taken, found, and taken over, many
 * texts with the same first 8 bytes), read twice in two orders through
 * one memo. */
START_TEST(test_split_memo)
{
    static mc_delay_memo memo;
    memset(&memo, 0, sizeof memo);
    memset(&pairs, 0, sizeof pairs);
    test_each_data_line(pair_line, NULL);
    ck_assert_uint_gt(pairs.n, 5);
    static const char subst[] = "0159./:-x";
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < pairs.n; i++) {
            check_pair(&memo, pairs.delay[i], pairs.delays[i]);
            char t[80];
            size_t len = strlen(pairs.delays[i]);
            for (size_t at = 0; at < len; at++)
                for (size_t c = 0; c < sizeof subst - 1; c++) {
                    memcpy(t, pairs.delays[i], len + 1);
                    t[at] = subst[c];
                    check_pair(&memo, pairs.delay[i], t);
                    t[at + 1] = '\0'; /* cut after it */
                    check_pair(&memo, pairs.delay[i], t);
                }
            snprintf(t, sizeof t, "%s5", pairs.delays[i]);
            check_pair(&memo, pairs.delay[i], t);
            snprintf(t, sizeof t, "%s/0", pairs.delays[i]);
            check_pair(&memo, pairs.delay[i], t);
        }
    static const char *const v[] = {"0", "0.01", "0.1", "0.09", "1", "1.2", "12", "3.45", "10.5", "0.5", "9.99", "117"};
    const size_t nv = sizeof v / sizeof v[0], all = nv * nv * nv * nv;
    for (int pass = 0; pass < 2; pass++)
        for (size_t j = 0; j < all; j++) {
            size_t x = pass ? all - 1 - j : j;
            char t[80];
            snprintf(t, sizeof t, "%s/%s/%s/%s", v[x % nv], v[x / nv % nv], v[x / nv / nv % nv], v[x / nv / nv / nv]);
            check_pair(&memo, v[(x + (size_t)pass) % nv], t);
        }
}
END_TEST

/* The stored form round-trips and merges; a blob that is not one is refused. */
START_TEST(test_blobs)
{
    mc_delay_cells a = {0}, b = {0};
    const double va[] = {0.5, 0.5, 12, 3600}, vb[] = {0.5, 40 * 86400.0};
    for (size_t i = 0; i < 4; i++)
        delay_cells_add(&a, va[i]);
    for (size_t i = 0; i < 2; i++)
        delay_cells_add(&b, vb[i]);
    mc_buf ea, eb, m;
    mc_buf_init(&ea);
    mc_buf_init(&eb);
    mc_buf_init(&m);
    delay_cells_encode(&a, &ea);
    delay_cells_encode(&b, &eb);
    ck_assert(delay_blob_merge((unsigned char *)ea.data, ea.len, (unsigned char *)eb.data, eb.len, &m));
    mc_delay_hist h;
    delay_hist_clear(&h);
    ck_assert(delay_hist_add_blob(&h, (unsigned char *)m.data, m.len));
    ck_assert_uint_eq(h.n, 6);
    ck_assert_uint_eq(h.counts[delay_bucket(0.5)], 3);
    ck_assert(fabs(h.max - 40 * 86400.0) < 1e-6);
    ck_assert(fabs(delay_hist_quantile(&h, 0.5) - 0.5) < 1e-9); /* exact: equal values */
    ck_assert(fabs(delay_hist_quantile(&h, 1.0) - 40 * 86400.0) < 1e-6);
    /* Not a whole number of cells; a bucket out of range: refused. */
    ck_assert(!delay_blob_merge((unsigned char *)ea.data, ea.len - 1, (unsigned char *)eb.data, eb.len, &m));
    ea.data[0] = (char)0xFF;
    ea.data[1] = (char)0xFF;
    ck_assert(!delay_hist_add_blob(&h, (unsigned char *)ea.data, ea.len));
    ck_assert(!delay_blob_merge((unsigned char *)ea.data, ea.len, (unsigned char *)eb.data, eb.len, &m));
    mc_buf_free(&ea);
    mc_buf_free(&eb);
    mc_buf_free(&m);
    delay_cells_free(&a);
    delay_cells_free(&b);
}
END_TEST

/* Nearest-rank quantile of n sorted values. */
static double nearest_rank(const double *v, size_t n, double q)
{
    size_t rank = (size_t)ceil(q * (double)n);
    return v[(rank ? rank : 1) - 1];
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Our figure against the exact one, within the documented precision. */
static void expect_close(const char *what, double ours, double exact)
{
    double allowed = exact <= 0.01 ? 0.01 : exact * 0.049;
    ck_assert_msg(fabs(ours - exact) <= allowed + 0.0005, "%s: %.4f, exact %.4f", what, ours, exact);
}

/* The values after key (e.g. " delay=") on the lines of path (through
 * cat or zcat) that contain every one of needles and not reject (NULL:
 * none); sorted into v. */
static size_t scan_values(const char *cat, const char *path, const char *const *needles, size_t n_needles,
                          const char *reject, const char *key, bool exim, double *v, size_t cap)
{
    char *all = NULL;
    ck_assert_int_eq(test_runf(&all, "%s %s", cat, path), 0);
    size_t n = 0;
    for (char *line = strtok(all, "\n"); line; line = strtok(NULL, "\n")) {
        bool want = true;
        for (size_t i = 0; i < n_needles && want; i++)
            want = strstr(line, needles[i]) != NULL;
        want = want && (reject == NULL || strstr(line, reject) == NULL);
        const char *at = want ? strstr(line, key) : NULL;
        if (at == NULL)
            continue;
        /* Exim's QT= here is seconds with an "s" (the runs took under a minute). */
        double d;
        char unit = 0;
        int got = sscanf(at + strlen(key), exim ? "%lf%c" : "%lf", &d, &unit);
        ck_assert_msg(got >= 1 && (!exim || unit == 's'), "unexpected value in %s", line);
        ck_assert(n < cap);
        v[n++] = d;
    }
    free(all);
    qsort(v, n, sizeof *v, by_value);
    return n;
}

/* The CSV record of a --by domain,status report whose first fields are prefix. */
static void csv_delays(const char *csv, const char *prefix, unsigned long long *count, double *median, double *p95,
                       double *max)
{
    const char *at = strstr(csv, prefix);
    ck_assert_msg(at != NULL, "no %s in\n%s", prefix, csv);
    /* domain,status,class,count,delay_count,delay_median,delay_p95,delay_max */
    unsigned long long events;
    char klass[32];
    ck_assert_int_eq(sscanf(at + strlen(prefix), "%31[^,],%llu,%llu,%lf,%lf,%lf", klass, &events, count, median,
                            p95, max),
                     6);
    ck_assert_uint_eq(events, *count);
}

/* Part k (0-3) of delays=a/b/c/d on the lines of path that contain every
 * one of needles, sorted into v. */
static size_t scan_part(const char *path, const char *const *needles, size_t n_needles, int k, double *v,
                        size_t cap)
{
    char *all = NULL;
    ck_assert_int_eq(test_runf(&all, "cat %s", path), 0);
    size_t n = 0;
    for (char *line = strtok(all, "\n"); line; line = strtok(NULL, "\n")) {
        bool want = true;
        for (size_t i = 0; i < n_needles && want; i++)
            want = strstr(line, needles[i]) != NULL;
        const char *at = want ? strstr(line, " delays=") : NULL;
        if (at == NULL)
            continue;
        double d[4];
        ck_assert_int_eq(sscanf(at + 8, "%lf/%lf/%lf/%lf", &d[0], &d[1], &d[2], &d[3]), 4);
        ck_assert(n < cap);
        v[n++] = d[k];
    }
    free(all);
    qsort(v, n, sizeof *v, by_value);
    return n;
}

/* Field number i (0-based) of the CSV line at p (no quoted fields here). */
static double csv_field(const char *p, size_t i, size_t *len)
{
    for (; i > 0; i--) {
        p = strchr(p, ',');
        ck_assert(p != NULL);
        p++;
    }
    *len = strcspn(p, ",\r\n");
    return strtod(p, NULL);
}

/* The index of column name in the CSV header (the first line). */
static size_t csv_column(const char *csv, const char *name)
{
    size_t i = 0, n = strlen(name);
    for (const char *p = csv; *p && *p != '\r'; i++) {
        size_t len = strcspn(p, ",\r");
        if (len == n && memcmp(p, name, n) == 0)
            return i;
        p += len + (p[len] == ',');
    }
    ck_abort_msg("no column %s", name);
    return 0;
}

/* One part's columns (column is "delay_<part>_") of one record against
 * the part's values in the raw log; the sum within rounding of the printed
 * values. */
static void expect_part(const char *csv, const char *prefix, const char *column, const double *v, size_t n)
{
    const char *rec = strstr(csv, prefix);
    ck_assert_msg(rec != NULL, "no %s", prefix);
    rec++;
    static const char *const figures[] = {"count", "median", "p95", "max", "sum"};
    double got[5];
    for (size_t i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s%s", column, figures[i]);
        size_t len;
        got[i] = csv_field(rec, csv_column(csv, name), &len);
        ck_assert_msg(len > 0, "%s empty", name);
    }
    ck_assert_uint_eq((size_t)got[0], n);
    expect_close("part median", got[1], nearest_rank(v, n, 0.5));
    expect_close("part p95", got[2], nearest_rank(v, n, 0.95));
    ck_assert_msg(fabs(got[3] - v[n - 1]) < 0.0005, "part max %.3f, exact %.3f", got[3], v[n - 1]);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    ck_assert_msg(fabs(got[4] - sum) < 0.0005 * (double)n + 0.001, "part sum %.3f, exact %.3f", got[4], sum);
}

/* One domain and status of a report against the raw log. */
static void expect_group(const char *csv, const char *prefix, const double *v, size_t n)
{
    unsigned long long count;
    double median, p95, max;
    csv_delays(csv, prefix, &count, &median, &p95, &max);
    ck_assert_uint_eq(count, n);
    expect_close("median", median, nearest_rank(v, n, 0.5));
    expect_close("p95", p95, nearest_rank(v, n, 0.95));
    ck_assert_msg(fabs(max - v[n - 1]) < 0.0005, "max %.3f, exact %.3f", max, v[n - 1]);
}

START_TEST(test_postfix_run)
{
    char *csv = NULL;
    ck_assert_int_eq(test_runf(&csv, "%s report --by domain,status --format csv %s", MC_BINARY, MAILLOG), 0);
    /* the header: every part's columns, whatever the log holds */
    test_expect_has(csv, "domain,status,class,count,delay_count,delay_median,delay_p95,delay_max,"
                         "delay_before_qmgr_count,delay_before_qmgr_median,delay_before_qmgr_p95,"
                         "delay_before_qmgr_max,delay_before_qmgr_sum,delay_in_qmgr_count,");
    test_expect_has(csv, ",delay_delivery_count,delay_delivery_median,delay_delivery_p95,delay_delivery_max,"
                         "delay_delivery_sum\r\n");
    static double v[4096];
    /* alpha.test: 203 deliveries, delay= from 0.05 s to 28 s. */
    const char *sent[] = {"postfix/smtp[", "@alpha.test>,", " status=sent "};
    size_t n = scan_values("cat", MAILLOG, sent, 3, NULL, " delay=", false, v, 4096);
    ck_assert_uint_eq(n, 203);
    expect_group(csv, "\nalpha.test,sent,", v, n);
    /* its parts: a (before qmgr) and d (transmission) of delays=a/b/c/d */
    static const struct {
        const char *column;
        int part;
    } parts[] = {{"delay_before_qmgr_", 0}, {"delay_transmission_", 3}};
    for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
        size_t np = scan_part(MAILLOG, sent, 3, parts[p].part, v, 4096);
        ck_assert_uint_eq(np, 203);
        expect_part(csv, "\nalpha.test,sent,", parts[p].column, v, np);
    }
    /* ratelimit.test: deferrals, a delay of minutes. */
    const char *deferred[] = {"postfix/smtp[", "@ratelimit.test>,", " status=deferred "};
    n = scan_values("cat", MAILLOG, deferred, 3, NULL, " delay=", false, v, 4096);
    ck_assert_uint_gt(n, 100);
    expect_group(csv, "\nratelimit.test,deferred,", v, n);
    free(csv);
}
END_TEST

START_TEST(test_exim_run)
{
    char *csv = NULL;
    ck_assert_int_eq(test_runf(&csv, "%s report --by domain,status --format csv %s", MC_BINARY, EXIMLOG), 0);
    static double v[256];
    /* client.test: the bounces and notices Exim delivered back, QT= on each. */
    const char *sent[] = {" => sender@client.test F=<> ", " QT="};
    size_t n = scan_values("zcat", EXIMLOG, sent, 2, NULL, " QT=", true, v, 256);
    ck_assert_uint_eq(n, 13);
    expect_group(csv, "\nclient.test,sent,", v, n);
    /* alpha.test: => and -> deliveries; *> is one -N suppressed, no event. */
    const char *alpha[] = {"@alpha.test F=<", " QT="};
    n = scan_values("zcat", EXIMLOG, alpha, 2, " *> ", " QT=", true, v, 256);
    ck_assert_uint_eq(n, 4);
    expect_group(csv, "\nalpha.test,sent,", v, n);
    /* Exim logs no QT= on deferrals and bounces: no delay figures there. */
    test_expect_has(csv, "\ncharlie.test,deferred,transient,4,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n");
    free(csv);
}
END_TEST

/* The delay figures of two halves, ingested one after the other into one
 * database, are those of the whole file: histograms add up. */
START_TEST(test_halves_merge)
{
    char *whole = NULL, *halves = NULL, *db = NULL, *prom_whole = NULL, *prom_db = NULL;
    ck_assert_int_eq(test_runf(NULL, "head -n 4000 %s > %s/a.log && tail -n +4001 %s > %s/b.log", MAILLOG,
                               test_dir, MAILLOG, test_dir),
                     0);
    const char *by = "--by domain,relay,status --format csv";
    ck_assert_int_eq(test_runf(&whole, "%s report %s %s", MC_BINARY, by, MAILLOG), 0);
    ck_assert_int_eq(test_runf(&halves, "%s report %s %s/a.log %s/b.log", MC_BINARY, by, test_dir, test_dir), 0);
    ck_assert_str_eq(halves, whole);
    ck_assert_int_eq(test_runf(NULL, "%s ingest --db %s/db %s/a.log && %s ingest --db %s/db %s/b.log", MC_BINARY,
                               test_dir, test_dir, MC_BINARY, test_dir, test_dir),
                     0);
    ck_assert_int_eq(test_runf(&db, "%s report --db %s/db %s", MC_BINARY, test_dir, by), 0);
    ck_assert_str_eq(db, whole);
    test_expect_has(whole, "delay_max");
    /* The Prometheus histogram too. */
    ck_assert_int_eq(test_runf(&prom_whole, "%s report --format prom %s | grep delay_seconds", MC_BINARY, MAILLOG), 0);
    ck_assert_int_eq(test_runf(&prom_db, "%s report --db %s/db --format prom | grep delay_seconds", MC_BINARY,
                               test_dir),
                     0);
    ck_assert_str_eq(prom_db, prom_whole);
    test_expect_has(prom_whole, "mailcodes_delivery_delay_seconds_bucket{direction=\"outbound\",status=\"sent\",le=\"+Inf\"} ");
    free(whole);
    free(halves);
    free(db);
    free(prom_whole);
    free(prom_db);
}
END_TEST

/* Keys that delays are not kept by leave the columns out; JSON rows carry
 * "delay" only when they are all kept. */
START_TEST(test_columns_only_when_kept)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s report --by code --format csv %s", MC_BINARY, MAILLOG), 0);
    test_expect_lacks(out, "delay_");
    free(out);
    ck_assert_int_eq(test_runf(&out, "%s report --by relay --format json --top 3 %s", MC_BINARY, MAILLOG), 0);
    test_expect_has(out, "\"delay\": {\"count\": ");
    test_expect_has(out, "\"delays\": [\n  {\"direction\": \"outbound\", \"status\": \"bounced\", \"count\": ");
    free(out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("delays");
    TCase *tc = tcase_create("delays");
    tcase_add_checked_fixture(tc, test_dir_setup, test_dir_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_delay_values);
    tcase_add_test(tc, test_delay_split);
    tcase_add_test(tc, test_bucket_memo);
    tcase_add_test(tc, test_cell_index);
    tcase_add_test(tc, test_cell_slab);
    tcase_add_test(tc, test_read_in_place);
    tcase_add_test(tc, test_split_memo);
    tcase_add_test(tc, test_read_then_count);
    tcase_add_test(tc, test_packed_adds);
    tcase_add_test(tc, test_pack_rest_plain);
    tcase_add_test(tc, test_hash_switch);
    tcase_add_test(tc, test_part_blobs);
    tcase_add_test(tc, test_buckets);
    tcase_add_test(tc, test_blobs);
    tcase_add_test(tc, test_postfix_run);
    tcase_add_test(tc, test_exim_run);
    tcase_add_test(tc, test_halves_merge);
    tcase_add_test(tc, test_columns_only_when_kept);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
