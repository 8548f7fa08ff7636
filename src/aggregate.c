/*
 * aggregate.c - an open-addressing hash of dimension tuples to counts.
 *
 * Strings of a tuple are copied once, when the tuple is first seen, into an
 * arena that is dropped wholesale on clear(); a busy log repeats the same
 * few thousand tuples, so after warm-up counting a line allocates nothing.
 * The caller flushes to the store and clears when the table grows past its
 * budget, which is what keeps memory flat on any input size.
 */
#include "aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "timewin.h"

#define ARENA_BLOCK (256 * 1024)
#define MAX_LINE_BUCKETS 256
/* Distinct shapes of unrecognised lines per batch: the table is full (and
 * flushed) at this many, so a stream of ever-new garbage keeps memory flat. */
#define MAX_SHAPES 64
/* Distinct warning groups per batch (mtawarn.h): full (and flushed) at
 * this many, like the shapes. */
#define MAX_WARNINGS 64
/* About 30 000 tuples (some 15 MB with their strings) by default: flat
 * memory, and few enough store writes per batch to keep ingest fast. */
#define ENTRY_BUDGET 30000
/* Delay histogram cells (some 32 bytes each) before the table is full: a
 * delivery's entry uses a few buckets, a flood of distinct delays stays
 * at a few MB. */
#define DELAY_CELL_BUDGET 100000

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
} arena_block;

struct mc_aggregate {
    mc_agg_entry *entries;   /* dense, in insertion order */
    size_t n, cap;
    uint64_t *slots;         /* slot_of: index+1 into entries (0 = empty) and hash bits */
    size_t n_slots;
    arena_block *arena;
    mc_line_count buckets[MAX_LINE_BUCKETS];
    size_t n_buckets;
    mc_shape_count shapes[MAX_SHAPES];
    size_t n_shapes;
    mc_warn_count *warnings;     /* MAX_WARNINGS, allocated when first used */
    size_t n_warnings;
    /* The last zoned time converted to a local bucket: a log's zone and
     * minute change rarely, so localtime_r runs about once a minute. */
    mc_time memo_time;
    char memo_bucket[48];
    size_t memo_len;             /* strlen(memo_bucket) */
    /* An event's tuple packed (each kept value and its NUL, in dimension
     * order): hashed once and compared with one memcmp. */
    mc_buf key;
    mc_buf rest;                 /* aggregate_pack_rest's, when the caller did not pack */
    uint64_t hash_key[2];        /* the hash's key: the values are the senders' */
    /* The tuples' hash: mc_fast_hash until a probe walks past MAX_PROBES
     * slots (keys lined up against it, or a freak run), SipHash from then
     * on, for good (see key_hash). */
    bool sip;
    uint64_t (*test_hash)(const void *p, size_t n); /* aggregate_set_test_hash's */
    mc_delay_memo delay_memo;    /* delay buckets of recent values */
    mc_delay_slab *slab;         /* the entries' delay cells and indexes (delays.h) */
    uint32_t keep;               /* dimensions counted by */
    size_t budget;               /* entries before aggregate_full */
    size_t delay_cells;          /* histogram cells held by the entries */
};

/* A slot of the index: the entry's index + 1 in the low 32 bits (0: an
 * empty slot), the high 32 bits of its hash in the high ones.  A probe
 * that meets another tuple's slot (most probes in ingest, where nearly
 * every event is a tuple of its own) tells it from the slot alone, instead
 * of reading the entry's hash: a cache miss in ingest's 12 MB of entries
 * (perf: a third of aggregate_add's samples in ingest's loop).  The home
 * slot is taken from the low bits of the hash, so the two do not overlap
 * below 2^32 slots. */
static uint64_t slot_of(size_t index, uint64_t hash) { return (hash & 0xFFFFFFFF00000000ULL) | (uint64_t)(index + 1); }

/* Slots a probe may walk before the table takes SipHash.  At most half the
 * slots are used, so a chain of this length does not come by chance from
 * a hash that spreads keys: it means the keys were chosen against it. */
#define MAX_PROBES 64

/* The hash of a packed tuple.  The values are written by whoever sends us
 * mail, so a table hashed by a fast unkeyed-strength hash could be fed
 * tuples that share a chain; SipHash (keyed per table) cannot, but costs
 * three to four times mc_fast_hash on the loop thread's every event.  So
 * the table starts with mc_fast_hash under its random key and switches to
 * SipHash (rehashing what it holds) the first time a probe walks past
 * MAX_PROBES slots: a crafted chain costs that walk once, never an answer
 * (every hit compares the whole key), and the entries' order, which is
 * what is written out, does not depend on the hash. */
static uint64_t key_hash(const mc_aggregate *a, const char *key, size_t n)
{
    if (a->sip)
        return mc_siphash13(a->hash_key, key, n);
    return a->test_hash ? a->test_hash(key, n) : mc_fast_hash(a->hash_key, key, n);
}

/* Places every entry in a cleared index of n_slots by its hash. */
static void place_all(mc_aggregate *a)
{
    for (size_t i = 0; i < a->n; i++) {
        size_t s = a->entries[i].hash & (a->n_slots - 1);
        while (a->slots[s])
            s = (s + 1) & (a->n_slots - 1);
        a->slots[s] = slot_of(i, a->entries[i].hash);
    }
}

/* A probe walked past MAX_PROBES: SipHash from now on, the entries
 * rehashed and placed again. */
static void take_siphash(mc_aggregate *a)
{
    a->sip = true;
    for (size_t i = 0; i < a->n; i++)
        a->entries[i].hash = key_hash(a, a->entries[i].dims[0], a->entries[i].key_len);
    memset(a->slots, 0, a->n_slots * sizeof *a->slots);
    place_all(a);
}

void aggregate_set_test_hash(mc_aggregate *a, uint64_t (*hash)(const void *p, size_t n)) { a->test_hash = hash; }

bool aggregate_hash_is_sip(const mc_aggregate *a) { return a->sip; }

/* Copies n bytes (and a NUL) into the arena; the copy lives until clear. */
static char *arena_copy(mc_aggregate *a, const char *p, size_t n)
{
    arena_block *b = a->arena;
    if (b == NULL || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > ARENA_BLOCK ? n + 1 : ARENA_BLOCK;
        arena_block *nb = mc_xmalloc(sizeof *nb + cap);
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        a->arena = b = nb;
    }
    char *dst = b->data + b->used;
    memcpy(dst, p, n);
    dst[n] = '\0';
    b->used += n + 1;
    return dst;
}

/* An empty table with the default budget. */
mc_aggregate *aggregate_new(void)
{
    mc_aggregate *a = mc_xcalloc(1, sizeof *a);
    a->n_slots = 4096;
    a->slots = mc_xcalloc(a->n_slots, sizeof *a->slots);
    a->slab = delay_slab_new();
    a->keep = MC_ALL_DIMS;
    a->budget = ENTRY_BUDGET;
    mc_random_key(a->hash_key, a);
    return a;
}

/* Counts only by the dimensions in keep (class always). */
void aggregate_keep_dims(mc_aggregate *a, uint32_t keep) { a->keep = keep | (1u << DIM_CLASS); }

/* The first and last times of an entry, as ISO 8601 text. */
void aggregate_entry_seen(const mc_agg_entry *e, char *first, char *last, size_t len)
{
    mc_time_format(&e->first, first, len);
    mc_time_format(&e->last, last, len);
}

/* Orders times of one log cheaply: the fields packed into one integer. */
static uint64_t time_key(const mc_time *t)
{
    if (!t->valid)
        return 0;
    return ((uint64_t)t->year << 46) | ((uint64_t)t->month << 42) | ((uint64_t)t->day << 37) |
           ((uint64_t)t->hour << 32) | ((uint64_t)t->min << 26) | ((uint64_t)t->sec << 20) |
           (uint64_t)(t->usec > 0 ? t->usec : 0);
}

/* "[192.0.2.1]:48355" -> "[192.0.2.1]": a client's source port differs on
 * every connection and would make every reject a tuple of its own. */
static mc_str without_port(mc_str client)
{
    if (client.p == NULL)
        return client;
    size_t n = client.n;
    while (n > 0 && client.p[n - 1] >= '0' && client.p[n - 1] <= '9')
        n--;
    if (n < client.n && n >= 2 && client.p[n - 1] == ':' && client.p[n - 2] == ']')
        return mc_str_make(client.p, n - 1);
    return client;
}

/* The client as one key: its address.  Exim writes H=NAME (HELO) [IP]
 * with the reverse name and the HELO only when it has them, so one client
 * shows as "(test) [127.0.0.1]", "[127.0.0.1]" and "localhost (x)
 * [127.0.0.1]"; the bracketed address from the last '[' is the key. */
static mc_str client_key(mc_str client)
{
    client = without_port(client);
    if (client.p == NULL || client.n == 0 || client.p[client.n - 1] != ']')
        return client;
    for (size_t i = client.n; i > 0; i--)
        if (client.p[i - 1] == '[')
            return i - 1 > 0 && client.p[i - 2] == ' ' ? mc_str_make(client.p + i - 1, client.n - i + 1) : client;
    return client;
}

/* Frees every arena block. */
static void free_arena(mc_aggregate *a)
{
    arena_block *b = a->arena;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->arena = NULL;
}

/* Forgets the entries' delay histograms: their cells are the slab's. */
static void free_delays(mc_aggregate *a)
{
    delay_slab_clear(a->slab);
    a->delay_cells = 0;
}

/* Frees the table and its strings. */
void aggregate_free(mc_aggregate *a)
{
    if (a == NULL)
        return;
    free_arena(a);
    delay_slab_free(a->slab);
    free(a->entries);
    free(a->slots);
    free(a->warnings);
    mc_buf_free(&a->key);
    mc_buf_free(&a->rest);
    free(a);
}

/* Forgets every entry and bucket, keeping the memory for reuse. */
void aggregate_clear(mc_aggregate *a)
{
    /* Keep the newest arena block; free the rest. */
    if (a->arena) {
        arena_block *keep = a->arena, *b = keep->next;
        while (b) {
            arena_block *next = b->next;
            free(b);
            b = next;
        }
        keep->next = NULL;
        keep->used = 0;
    }
    free_delays(a);
    a->n = 0;
    memset(a->slots, 0, a->n_slots * sizeof *a->slots);
    a->n_buckets = 0;
    a->n_shapes = 0;
    a->n_warnings = 0;
}

/* Entries held. */
size_t aggregate_size(const mc_aggregate *a) { return a->n; }


/* Entries held before the table asks to be flushed (0: the default). */
void aggregate_set_budget(mc_aggregate *a, size_t entries) { a->budget = entries ? entries : ENTRY_BUDGET; }

/* Whether the caller should flush now. */
bool aggregate_full(const mc_aggregate *a)
{
    return a->n >= a->budget || a->delay_cells >= DELAY_CELL_BUDGET || a->n_buckets >= MAX_LINE_BUCKETS - 1 ||
           a->n_shapes >= MAX_SHAPES || a->n_warnings >= MAX_WARNINGS;
}
bool aggregate_half_full(const mc_aggregate *a)
{
    return 2 * a->n >= a->budget || 2 * a->delay_cells >= DELAY_CELL_BUDGET;
}
/* The i-th entry, in insertion order. */
const mc_agg_entry *aggregate_entry(const mc_aggregate *a, size_t i) { return &a->entries[i]; }
/* Hour buckets of line counts held. */
size_t aggregate_line_buckets(const mc_aggregate *a) { return a->n_buckets; }
/* The i-th hour bucket of line counts. */
const mc_line_count *aggregate_line_bucket(const mc_aggregate *a, size_t i) { return &a->buckets[i]; }
/* Unrecognised line shapes held. */
size_t aggregate_shapes(const mc_aggregate *a) { return a->n_shapes; }
/* The i-th unrecognised line shape. */
const mc_shape_count *aggregate_shape_at(const mc_aggregate *a, size_t i) { return &a->shapes[i]; }

/* Copies a bucket name, cut to fit (snprintf's "%s" cost ~600 instructions
 * on every event and figure). */
static void copy_bucket(char *buf, size_t len, const char *bucket)
{
    size_t n = strlen(bucket);
    if (n >= len)
        n = len - 1;
    memcpy(buf, bucket, n);
    buf[n] = '\0';
}

/* Buckets are in local time: a time written with a zone (RFC 3339,
 * journald) is moved to this host's clock, so days begin at local
 * midnight whatever form the log used.  Zone-less stamps are local already.
 * The bucket of t, in the table's memo (valid until the next call) or in
 * buf, and its length in *len. */
static const char *bucket_of(mc_aggregate *a, const mc_time *t, char *buf, size_t buf_len, size_t *len)
{
    if (!t->valid) {
        timewin_bucket(t, buf, buf_len);
        *len = strlen(buf);
        return buf;
    }
    mc_time *m = &a->memo_time;
    if (t->zone[0] == '\0') {
        /* Local already; the same hour as last time needs no formatting. */
        if (!(m->valid && m->zone[0] == '\0' && m->year == t->year && m->month == t->month &&
              m->day == t->day && m->hour == t->hour)) {
            timewin_bucket(t, a->memo_bucket, sizeof a->memo_bucket);
            a->memo_len = strlen(a->memo_bucket);
            *m = *t;
        }
    } else if (!(m->valid && m->year == t->year && m->month == t->month && m->day == t->day &&
                 m->hour == t->hour && m->min == t->min && strcmp(m->zone, t->zone) == 0)) {
        timewin_local_bucket(t, a->memo_bucket, sizeof a->memo_bucket);
        a->memo_len = strlen(a->memo_bucket);
        *m = *t;
    }
    *len = a->memo_len;
    return a->memo_bucket;
}

/* The bucket of t copied into buf, cut to fit. */
static void local_bucket(mc_aggregate *a, const mc_time *t, char *buf, size_t len)
{
    size_t n;
    const char *b = bucket_of(a, t, buf, len, &n);
    if (b == buf)
        return;
    copy_bucket(buf, len, b);
}

/* Doubles the open-addressing index and re-inserts every entry. */
static void grow_slots(mc_aggregate *a)
{
    free(a->slots);
    a->n_slots *= 2;
    a->slots = mc_xcalloc(a->n_slots, sizeof *a->slots);
    place_all(a);
}

/* Counts the event's delay and its parts (Postfix delays=a/b/c/d, Exim
 * DT=), those it logged, in the entry's histogram, its cells in the
 * table's slab: as read already (rd), or read here. */
static void add_delay(mc_aggregate *a, mc_agg_entry *e, const mc_event *ev, const mc_delay_read *rd)
{
    if (!(a->keep & MC_KEEP_DELAYS))
        return;
    mc_delay_read here;
    if (rd == NULL) {
        delay_read_logged(&a->delay_memo, ev->delay, ev->delays, ev->transfer, &here);
        rd = &here;
    }
    /* Nothing logged (a reject; an Exim log without QT= and DT=): no count. */
    if (rd->n > 0)
        a->delay_cells += delay_cells_add_read_in(&e->delays, rd, a->slab);
}

/* The dimensions counted by (a bit per mc_dim) and MC_KEEP_DELAYS. */
uint32_t aggregate_kept(const mc_aggregate *a) { return a->keep; }

/* The value of dimension d of an event (hour: its bucket, formatted by
 * the caller).  Asked only for the kept dimensions: a report from files
 * keeps a few (report_dims), and the others cost nothing. */
/* mc_str_cstr, inlined (a call per value was a fifth of a tuple's packing). */
static inline mc_str cstr_view(const char *s) { return s ? mc_str_make(s, strlen(s)) : MC_STR_NULL; }

/* A C string in an array of a few bytes (the code, the enhanced code),
 * counted here: shorter than a call to strlen. */
static inline mc_str short_view(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    return mc_str_make(s, n);
}

/* A flag as its value "1" or "0". */
static inline mc_str flag_view(bool on) { return mc_str_make(on ? "1" : "0", 1); }

static mc_str dim_value(int d, const mc_event *ev, const char *hour)
{
    switch (d) {
    case DIM_HOUR: return cstr_view(hour);
    case DIM_MTA: return cstr_view(ev->mta);
    case DIM_HOST: return ev->host;
    case DIM_DIRECTION: return cstr_view(ev->direction);
    case DIM_STATUS: return ev->status;
    case DIM_STAGE: return cstr_view(ev->stage);
    case DIM_CODE: return short_view(ev->code);
    case DIM_ENHANCED: return short_view(ev->enhanced);
    case DIM_CLASS: return cstr_view(mc_class_name(ev->klass));
    case DIM_REASON: return cstr_view(ev->reason);
    case DIM_DOMAIN: return cstr_view(ev->domain);
    case DIM_RELAY: return ev->relay;
    case DIM_CLIENT: return client_key(ev->client);
    case DIM_CONFLICT: return flag_view(ev->conflict);
    case DIM_HARD: return flag_view(ev->hard);
    case DIM_INFERRED: return flag_view(ev->inferred);
    case DIM_SENDER: return ev->sender;
    case DIM_SENDER_DOMAIN: return mc_str_cstr(ev->sender_domain);
    case DIM_RECIPIENT: return ev->recipient;
    default: return MC_STR_NULL;
    }
}

/* Counts one classified event under its tuple of kept dimensions. */
void aggregate_add(mc_aggregate *a, const mc_event *ev) { aggregate_add_read(a, ev, NULL); }

size_t aggregate_pack_rest(uint32_t keep, const mc_event *ev, mc_buf *out, uint32_t lens[DIM_COUNT])
{
    /* Each kept value with its NUL (an unkept or null one is its NUL
     * alone): the entry's strings are this very layout after the hour, so
     * a tuple is one hash, one memcmp, one copy. */
    mc_str v[DIM_COUNT];
    memset(lens, 0, DIM_COUNT * sizeof *lens);
    size_t total = DIM_COUNT - 1;
    /* Only the kept dimensions are visited (a report keeps a few of the
     * DIM_COUNT), lowest first: dimension order. */
    keep &= ((1u << DIM_COUNT) - 1) & ~(1u << DIM_HOUR);
    for (uint32_t m = keep; m; m &= m - 1) {
        int d = __builtin_ctz(m);
        v[d] = dim_value(d, ev, "");
        lens[d] = v[d].p ? (uint32_t)v[d].n : 0;
        total += lens[d];
    }
    char *key = mc_buf_room(out, total);
    memset(key, '\0', total);
    /* Value d (from 1) starts after d - 1 NULs and the kept values before it. */
    size_t before = 0;
    for (uint32_t m = keep; m; m &= m - 1) {
        int d = __builtin_ctz(m);
        mc_copy_bytes(key + (size_t)d - 1 + before, v[d].p, lens[d]);
        before += lens[d];
    }
    out->len += total;
    return total;
}

/* As aggregate_add, with the event's delays read already (NULL: not). */
void aggregate_add_read(mc_aggregate *a, const mc_event *ev, const mc_delay_read *rd)
{
    uint32_t lens[DIM_COUNT];
    mc_buf_reset(&a->rest);
    size_t n = aggregate_pack_rest(a->keep, ev, &a->rest, lens);
    aggregate_add_packed(a, ev, rd, a->rest.data, n, lens);
}

void aggregate_add_packed(mc_aggregate *a, const mc_event *ev, const mc_delay_read *rd, const char *rest,
                          size_t rest_n, const uint32_t rest_lens[DIM_COUNT])
{
    char buf[48];
    size_t hour_n = 0;
    const char *hour = "";
    if (a->keep & (1u << DIM_HOUR))
        hour = bucket_of(a, &ev->time, buf, sizeof buf, &hour_n);
    uint32_t lens[DIM_COUNT];
    memcpy(lens, rest_lens, sizeof lens);
    lens[DIM_HOUR] = (uint32_t)hour_n;
    /* The hour (dimension 0) and its NUL, then the rest as packed. */
    size_t total = hour_n + 1 + rest_n;
    mc_buf_reset(&a->key);
    char *key = mc_buf_room(&a->key, total);
    memcpy(key, hour, hour_n + 1);
    memcpy(key + hour_n + 1, rest, rest_n);
again:;
    uint64_t h = key_hash(a, key, total);
    uint64_t tkey = time_key(&ev->time);
    size_t s = h & (a->n_slots - 1);
    const uint64_t bits = h & 0xFFFFFFFF00000000ULL;
    size_t probes = 0;
    for (uint64_t v; (v = a->slots[s]) != 0; s = (s + 1) & (a->n_slots - 1)) {
        if (++probes > MAX_PROBES && !a->sip) {
            take_siphash(a);
            goto again;
        }
        if ((v & 0xFFFFFFFF00000000ULL) != bits)
            continue; /* another tuple's hash: its entry is not read */
        mc_agg_entry *e = &a->entries[(uint32_t)v - 1];
        /* The lengths too: a value holding a NUL (decoded from journald JSON) must
         * not pass for two. */
        if (e->hash == h && e->key_len == total && memcmp(e->lens, lens, sizeof lens) == 0 &&
            memcmp(e->dims[0], key, total) == 0) {
            e->count++;
            if (tkey && (e->first_key == 0 || tkey < e->first_key)) {
                e->first_key = tkey;
                e->first = ev->time;
            }
            if (tkey > e->last_key) {
                e->last_key = tkey;
                e->last = ev->time;
            }
            add_delay(a, e, ev, rd);
            return;
        }
    }
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 1024;
        a->entries = mc_xrealloc(a->entries, a->cap * sizeof *a->entries);
    }
    mc_agg_entry *e = &a->entries[a->n++];
    char *copy = arena_copy(a, key, total - 1); /* the last NUL is arena_copy's */
    for (int d = 0, at = 0; d < DIM_COUNT; d++) {
        e->dims[d] = copy + at;
        at += (int)lens[d] + 1;
    }
    memcpy(e->lens, lens, sizeof lens);
    e->key_len = total;
    e->count = 1;
    e->hash = h;
    e->first = e->last = ev->time;
    e->first_key = e->last_key = tkey;
    e->delays = (mc_delay_cells){0};
    add_delay(a, e, ev, rd);
    /* The remote's own words make the best sample; else the MTA's text. */
    mc_str text = ev->reply.p ? ev->reply : ev->text;
    size_t sn = text.p ? (text.n < MC_SAMPLE_MAX ? text.n : MC_SAMPLE_MAX) : 0;
    /* Do not cut a UTF-8 sequence in half. */
    while (sn > 0 && sn < text.n && ((unsigned char)text.p[sn] & 0xC0) == 0x80)
        sn--;
    e->sample = arena_copy(a, text.p ? text.p : "", sn);
    a->slots[s] = slot_of(a->n - 1, h);
    if (a->n * 2 > a->n_slots)
        grow_slots(a);
}

/* The line bucket of time t, made when missing (the last one when the
 * table of buckets is full: totals stay exact, only the hour blurs). */
static mc_line_count *line_bucket(mc_aggregate *a, const mc_time *t)
{
    char hour[48];
    local_bucket(a, t, hour, sizeof hour);
    /* Lines arrive in time order, so the bucket is nearly always the last. */
    for (size_t i = a->n_buckets; i > 0; i--)
        if (strcmp(a->buckets[i - 1].hour, hour) == 0)
            return &a->buckets[i - 1];
    /* A stream jumping between many hours: merge into the last bucket
     * rather than grow; the caller flushes often enough for this to be
     * rare. */
    if (a->n_buckets == MAX_LINE_BUCKETS)
        return &a->buckets[a->n_buckets - 1];
    mc_line_count *b = &a->buckets[a->n_buckets++];
    memset(b, 0, sizeof *b);
    snprintf(b->hour, sizeof b->hour, "%s", hour);
    return b;
}

void aggregate_lines(mc_aggregate *a, const mc_time *t, uint64_t lines, uint64_t skipped,
                     uint64_t unrecognised, uint64_t retry_skips)
{
    mc_line_count *b = line_bucket(a, t);
    b->lines += lines;
    b->skipped += skipped;
    b->unrecognised += unrecognised;
    b->retry_skips += retry_skips;
}

void aggregate_messages(mc_aggregate *a, const mc_time *t, const mc_msg_figures *fig)
{
    mc_line_count *b = line_bucket(a, t);
    b->msg.received += fig->received;
    b->msg.generated += fig->generated;
    b->msg.delivered += fig->delivered;
    b->msg.deferred += fig->deferred;
    b->msg.bounced += fig->bounced;
    b->msg.expired += fig->expired;
    b->msg.rejected += fig->rejected;
    b->msg.evicted += fig->evicted;
    b->msg.bytes_received += fig->bytes_received;
    b->msg.bytes_delivered += fig->bytes_delivered;
}

/* Counts one unrecognised line shape in the hour of t. */
void aggregate_shape(mc_aggregate *a, const mc_time *t, const char *shape)
{
    char hour[48];
    local_bucket(a, t, hour, sizeof hour);
    for (size_t i = 0; i < a->n_shapes; i++) {
        mc_shape_count *c = &a->shapes[i];
        if (strcmp(c->shape, shape) == 0 && strcmp(c->hour, hour) == 0) {
            c->count++;
            return;
        }
    }
    /* Full: the caller flushes right after the line that filled it, so
     * this does not happen in ingest; the line still counts in its hour. */
    if (a->n_shapes == MAX_SHAPES)
        return;
    mc_shape_count *c = &a->shapes[a->n_shapes++];
    snprintf(c->hour, sizeof c->hour, "%s", hour);
    snprintf(c->shape, sizeof c->shape, "%s", shape);
    c->count = 1;
}

/* Counts one MTA warning of its group in the hour of t; the newest line
 * (by log time) is the group's sample. */
void aggregate_warning(mc_aggregate *a, const mc_time *t, const char *mta, const char *severity,
                       const char *text, mc_str message)
{
    char hour[48];
    local_bucket(a, t, hour, sizeof hour);
    uint64_t key = time_key(t);
    mc_warn_count *c = NULL;
    for (size_t i = 0; i < a->n_warnings && c == NULL; i++) {
        mc_warn_count *w = &a->warnings[i];
        if (strcmp(w->text, text) == 0 && strcmp(w->severity, severity) == 0 && strcmp(w->mta, mta) == 0 &&
            strcmp(w->hour, hour) == 0)
            c = w;
    }
    if (c == NULL) {
        /* Full: the caller flushes right after the line that filled it. */
        if (a->n_warnings == MAX_WARNINGS)
            return;
        if (a->warnings == NULL)
            a->warnings = mc_xcalloc(MAX_WARNINGS, sizeof *a->warnings);
        c = &a->warnings[a->n_warnings++];
        snprintf(c->hour, sizeof c->hour, "%s", hour);
        snprintf(c->mta, sizeof c->mta, "%s", mta);
        snprintf(c->severity, sizeof c->severity, "%s", severity);
        snprintf(c->text, sizeof c->text, "%s", text);
        c->count = 0;
        c->first = *t;
        c->last_key = 0;
        c->sample[0] = '\0';
    }
    c->count++;
    if (time_key(&c->first) > key)
        c->first = *t;
    if (c->count == 1 || key >= c->last_key) {
        c->last = *t;
        c->last_key = key;
        size_t n = message.n < MC_SAMPLE_MAX ? message.n : MC_SAMPLE_MAX;
        /* Do not cut a UTF-8 sequence in half. */
        while (n > 0 && n < message.n && ((unsigned char)message.p[n] & 0xC0) == 0x80)
            n--;
        memcpy(c->sample, message.p, n);
        c->sample[n] = '\0';
    }
}

/* Warning groups held. */
size_t aggregate_warnings(const mc_aggregate *a) { return a->n_warnings; }
/* The i-th warning group. */
const mc_warn_count *aggregate_warning_at(const mc_aggregate *a, size_t i) { return &a->warnings[i]; }
