/*
 * messages.c - the join by message (see messages.h).
 *
 * Messages in flight live in a pool of fixed-size entries of 64 bytes, one
 * cache line (a 16-byte header, then their key and sender side by side:
 * no allocation per message but for the few whose pair is too long for its
 * 48 bytes, whose size is 2^32 - 1 or more or whose times are more than
 * 2^31 s from the table's first: those are wide, all of it in a record of
 * their own, exact), in blocks that are added
 * as the table fills and never move (no doubling: the pool holds what is
 * in flight, not the next power of two), found through an open-addressing
 * index (linear probing) of pool positions, beside a bit a slot that says
 * whether it is taken (a new message's key is mostly told absent by those
 * bits, without the slot's cache line).  Queue ids and hostnames are
 * written by whoever sends us mail, and must not be able to line up a
 * chain: the index hashes keys with mc_fast_hash under a key drawn per
 * table until a probe walks past MAX_PROBES slots (which a hash that
 * spreads keys over an index at most half full does not do by chance),
 * and from then on, for good, with SipHash-1-3 under that key (every
 * message rehashed and placed again): a crafted chain costs that walk
 * once, never an answer.  Each message remembers its envelope sender, its size and which
 * figures it has already counted, so that a message deferred ten times is
 * one deferred message and a message with three delivered recipients one
 * delivered message.  Quiet messages are swept out once an hour of log
 * time (or once a lifetime, when that is shorter); the table never grows
 * past its capacity.
 *
 * A message's lines come close together (Exim's <=, => and Completed;
 * Postfix's client=, message-id=, from=, status= and removed), so a memo of
 * the messages last looked up, one per queue id hash, answers most lookups
 * without the key's copy, its SipHash and the probe.  The memo's hash is a
 * cheap unkeyed one: a memo slot holds one message and is taken only when
 * that message is in the table under the whole key looked for (host,
 * instance and queue id compared byte for byte), so a forged queue id can
 * at worst make it miss, never answer for another message nor lengthen a
 * chain.
 */
#include "messages.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* What a message has been counted as, once each. */
enum {
    M_RECEIVED = 1 << 0,
    M_GENERATED = 1 << 1,
    M_DELIVERED = 1 << 2,
    M_DEFERRED = 1 << 3,
    M_BOUNCED = 1 << 4,
    M_EXPIRED = 1 << 5,
    M_REJECTED = 1 << 6,
};

#define MAX_ADDRESS 1024 /* longer senders are not kept (no MTA accepts them) */
#define SWEEP_EVERY 3600 /* seconds of log time between sweeps (at most) */
#define MAX_KEY (MAX_ADDRESS + 512) /* host, instance and queue id */
#define ENTRY_TEXT 48    /* key, sender and NUL of most messages (92% of Exim's in flight) */
#define BLOCK_SHIFT 12   /* 4096 entries (256 KiB) a block */
#define BLOCK_ENTRIES ((size_t)1 << BLOCK_SHIFT)
#define MEMO_BITS 10     /* 1024 messages recently looked up */
#define MAX_PROBES 64     /* slots a probe walks before the index takes SipHash */
#define LONG_CHAIN SIZE_MAX /* find_slot's answer past MAX_PROBES */
#define PREFETCH_SLOTS ((size_t)1 << 15) /* an index of 256 KB or more: its slots are asked for ahead */
#define SIZE_NONE UINT32_MAX /* a narrow entry's size when unknown */
#define EPOCH_BACK ((int64_t)1 << 31) /* the epoch: this long before the table's first time */
#define HINT_BITS 4      /* 16 keys hashed ahead (messages_prefetch_slot), by bits 32 to 35 of their mix */
#define HINT_KEY 53      /* key bytes a hint holds: a 64-byte hint */
#define OFF_NONE UINT64_MAX /* memo_off when the last second has no entry offset */

/* A message whose key and sender, size or times do not fit its entry:
 * all of those here, the entry's text holding this record's address. */
typedef struct {
    int64_t size;        /* -1: unknown */
    int64_t first, last;
    uint16_t key_len, sender_len;
    char text[];         /* the key's bytes, then the sender's and a NUL */
} wide_rec;

/* A message in flight: one cache line.  Times are seconds after the
 * table's epoch (exact: a time that does not fit makes the entry wide, as
 * does a size of 2^32 - 1 or more, or a key and sender past ENTRY_TEXT).
 * No hash: the index slot holds its low 32 bits, and what needs the home
 * of an entry (a removal, a sweep's rebuild) hashes the key again. */
typedef struct {
    uint32_t first, last; /* log time - epoch (narrow) */
    uint32_t size;        /* SIZE_NONE: unknown (narrow) */
    uint8_t key_len, sender_len; /* narrow */
    uint8_t flags;
    bool used : 1;
    bool has_sender : 1; /* false: unknown; "" is the null sender */
    bool dirty : 1;      /* changed since the last messages_changes_saved */
    bool stored : 1;     /* in the database (imported, or saved since): its end is a delete there */
    bool wide : 1;       /* key, sender, size and times in the wide_rec whose address text holds */
    bool plain : 1;      /* its key's only '\n' are its three ends and its instance holds no '/' (see entry_is) */
    /* The key's bytes, then the sender's and a NUL; wide: the record's
     * address; on the free list: the next free entry + 1 (0: the end). */
    char text[ENTRY_TEXT];
} msg_entry;

/* The unit of the table's memory: 64 bytes a message in flight. */
_Static_assert(sizeof(msg_entry) == 64, "msg_entry is 64 bytes");

/* A key hashed ahead: messages_prefetch_slot builds and hashes a new
 * message's key a few lines before its lookup, which takes the hash from
 * here instead of building and hashing the key again.  The lookup uses it
 * only when the key here is its own key byte for byte (host, instance and
 * queue id compared whole) and the index still hashes as it did (a switch
 * to SipHash, or a test hash, empties the hints): a stale or another key's
 * hint costs the key's build and hash, never an answer. */
typedef struct {
    uint64_t hash;       /* the index hash of key[0, kn) */
    uint8_t kn;          /* 0: none */
    uint8_t hn, inst;    /* its host's and instance's bytes in key */
    char key[HINT_KEY];
} key_hint;

_Static_assert(sizeof(key_hint) == 64, "a hint is one cache line");

/* A memo slot: the pool position + 1 of a message looked up (0: none),
 * and a tag of its queue id, so that a new message (whose queue id is in
 * no slot) is told without reading the slot's entry, at scale a cache
 * miss; a tag that matches is still checked against the whole key. */
typedef struct {
    uint32_t pos1;
    uint32_t tag;
} memo_slot;

struct mc_messages {
    /* Each slot: the low 32 bits of its message's hash, then its pool
     * position + 1 (0: empty).  A probe past another message, and the
     * shift after a removal, read the slot alone, not the entry (at scale
     * the entries miss the cache).  A table holds fewer than 2^31
     * messages, so its home bits are within those 32 of the hash. */
    uint64_t *slots;
    /* A bit a slot, set when the slot holds a message: n_slots / 8 bytes
     * (32 KB for 80,000 messages in flight against the index's 2 MiB), so
     * that a key whose home slot is empty, most new messages', is told
     * absent without the index's line, at scale a cache miss. */
    uint64_t *busy;
    size_t n_slots, n, capacity;
    msg_entry **blocks;  /* the pool: entry i is blocks[i >> BLOCK_SHIFT][i % BLOCK_ENTRIES] */
    size_t pool_cap, pool_top; /* entries allocated; entries ever used */
    uint32_t free_head;  /* first free entry below pool_top + 1; 0: none */
    uint64_t hash_key[2];
    bool sip;            /* the index hashes with SipHash (see the header) */
    uint64_t (*test_hash)(const void *p, size_t n); /* messages_set_test_hash's */
    int64_t lifetime, sweep_every, last_sweep, now;
    int64_t epoch;       /* entries' times are offsets from it (see time_offset) */
    bool has_epoch;
    /* At most the last time of every message in the table (INT64_MAX:
     * none): a sweep whose bound is below it would evict nothing, and
     * skips its walk of the pool and its rebuild of the index.  Kept with
     * each new or imported message (a message's last time only grows),
     * made exact at each rebuild. */
    int64_t oldest;
    /* The civil day seconds_of last counted: year, month and day, as a
     * time's first 12 bytes (compared as two words: same_day). */
    int memo_ymd[3];
    int64_t memo_days;
    /* The last second seconds_of counted, of a valid time: year to second,
     * a time's first 24 bytes (compared as three words: same_second), its
     * seconds, and their offset from the epoch (OFF_NONE: no epoch yet, or
     * not within 2^32 s of it).  A log's lines come in order, many to a
     * second (190 on average on 20 MB of Postfix log, 19 on Exim's). */
    int memo_ymdhms[6];
    int64_t memo_now;
    uint64_t memo_off;
    char keybuf[MAX_KEY];
    char sender_copy[MAX_ADDRESS]; /* an ended message's filled sender (messages_event) */
    memo_slot memo[1u << MEMO_BITS]; /* messages looked up, by the high bits of memo_mix */
    /* The low 32 bits of the index hash of each memo slot's message: a
     * removal finds its index slot from them, without hashing its key
     * again.  Set with the slot; the memo is emptied whenever the index
     * hashes otherwise (take_siphash, messages_set_test_hash). */
    uint32_t memo_hash[1u << MEMO_BITS];
    key_hint hints[1u << HINT_BITS]; /* keys hashed ahead, by bits 32 to 35 of memo_mix */
    bool track;          /* keep dirty flags and the keys gone */
    bool no_sender_domain; /* messages_fill_sender_domain(false) */
    char **gone;
    size_t n_gone, cap_gone;
};

mc_messages *messages_new(size_t capacity, int64_t lifetime)
{
    mc_messages *m = mc_xcalloc(1, sizeof *m);
    m->capacity = capacity ? capacity : MC_MESSAGES_CAPACITY;
    /* Slots and pool double as the table fills: a small log stays small. */
    m->n_slots = 1024;
    m->slots = mc_xcalloc(m->n_slots, sizeof *m->slots);
    m->busy = mc_xcalloc(m->n_slots / 64, sizeof *m->busy);
    m->lifetime = lifetime > 0 ? lifetime : MC_MESSAGES_LIFETIME;
    /* A lifetime shorter than the sweep interval is still kept to. */
    m->sweep_every = m->lifetime < SWEEP_EVERY ? m->lifetime : SWEEP_EVERY;
    m->oldest = INT64_MAX;
    m->memo_off = OFF_NONE;
    mc_random_key(m->hash_key, m);
    return m;
}

/* A cleared entry: copied (four 16-byte stores), not memset (a `rep
 * stos` whose start costs more than the entry's 64 bytes). */
static const msg_entry empty_entry = {.size = SIZE_NONE};

/* Pool entry i. */
static msg_entry *entry_at(const mc_messages *m, size_t i) { return &m->blocks[i >> BLOCK_SHIFT][i & (BLOCK_ENTRIES - 1)]; }

/* The wide record of a wide entry. */
static wide_rec *entry_wide(const msg_entry *e)
{
    wide_rec *w;
    memcpy(&w, e->text, sizeof w);
    return w;
}

/* Makes w the entry's wide record. */
static void entry_set_wide(msg_entry *e, wide_rec *w)
{
    memcpy(e->text, &w, sizeof w);
    e->wide = true;
}

/* The key of an entry (entry_key_len bytes, not NUL-ended). */
static const char *entry_key(const msg_entry *e) { return e->wide ? entry_wide(e)->text : e->text; }

/* The bytes of an entry's key, and of its sender. */
static size_t entry_key_len(const msg_entry *e) { return e->wide ? entry_wide(e)->key_len : e->key_len; }
static size_t entry_sender_len(const msg_entry *e) { return e->wide ? entry_wide(e)->sender_len : e->sender_len; }

/* The sender of an entry, or NULL when unknown. */
static const char *entry_sender(const msg_entry *e)
{
    if (!e->has_sender)
        return NULL;
    return entry_key(e) + entry_key_len(e);
}

/* An entry's size (-1: unknown) and log times. */
static int64_t entry_size(const msg_entry *e)
{
    if (e->wide)
        return entry_wide(e)->size;
    return e->size == SIZE_NONE ? -1 : (int64_t)e->size;
}
static int64_t entry_first(const mc_messages *m, const msg_entry *e) { return e->wide ? entry_wide(e)->first : m->epoch + e->first; }
static int64_t entry_last(const mc_messages *m, const msg_entry *e) { return e->wide ? entry_wide(e)->last : m->epoch + e->last; }

/* memo_off for memo_now and the epoch as they are (time_offset's answer
 * for memo_now, without setting the epoch). */
static void second_offset_set(mc_messages *m)
{
    uint64_t d = (uint64_t)m->memo_now - (uint64_t)m->epoch;
    m->memo_off = m->has_epoch && d <= UINT32_MAX ? d : OFF_NONE;
}

/* Log time t as an entry's offset from the epoch (set by the table's
 * first time: 2^31 s, 68 years, either side of it fit); false when it
 * does not fit. */
static bool time_offset(mc_messages *m, int64_t t, uint32_t *off)
{
    if (!m->has_epoch) {
        m->epoch = t < INT64_MIN + EPOCH_BACK ? INT64_MIN : t - EPOCH_BACK;
        m->has_epoch = true;
        second_offset_set(m);
    }
    int64_t d;
    if (__builtin_sub_overflow(t, m->epoch, &d) || d < 0 || d > (int64_t)UINT32_MAX)
        return false;
    *off = (uint32_t)d;
    return true;
}

/* Moves a narrow entry's key, sender, size and times into a wide record
 * with room for text bytes of key, sender and NUL. */
static wide_rec *entry_widen(const mc_messages *m, msg_entry *e, size_t text)
{
    size_t have = (size_t)e->key_len + e->sender_len + 1;
    wide_rec *w = mc_xmalloc(sizeof *w + (text > have ? text : have));
    w->size = entry_size(e);
    w->first = entry_first(m, e);
    w->last = entry_last(m, e);
    w->key_len = e->key_len;
    w->sender_len = e->sender_len;
    memcpy(w->text, e->text, have);
    entry_set_wide(e, w);
    return w;
}

/* Sets an entry's size (-1: unknown). */
static void entry_set_size(const mc_messages *m, msg_entry *e, int64_t size)
{
    if (!e->wide && size >= -1 && size < (int64_t)SIZE_NONE)
        e->size = size < 0 ? SIZE_NONE : (uint32_t)size;
    else
        (e->wide ? entry_wide(e) : entry_widen(m, e, 0))->size = size;
}

/* Sets an entry's first and last times. */
static void entry_set_times(mc_messages *m, msg_entry *e, int64_t first, int64_t last)
{
    uint32_t f, l;
    if (!e->wide && time_offset(m, first, &f) && time_offset(m, last, &l)) {
        e->first = f;
        e->last = l;
        return;
    }
    wide_rec *w = e->wide ? entry_wide(e) : entry_widen(m, e, 0);
    w->first = first;
    w->last = last;
}

/* entry_touch past a narrow entry's offset: a wide entry, or a time
 * whose offset does not fit (it makes the entry wide). */
static __attribute__((noinline)) void entry_touch_wide(mc_messages *m, msg_entry *e, int64_t now)
{
    if (now > entry_last(m, e))
        (e->wide ? entry_wide(e) : entry_widen(m, e, 0))->last = now;
}

/* An entry heard of at now: its last time grows to now.  Inlined: a
 * memo's answer (most lookups) touches its entry, and the call cost a
 * fifth of that answer (docs/BENCHMARKS.md, pfx24). */
static inline __attribute__((always_inline)) void entry_touch(mc_messages *m, msg_entry *e, int64_t now)
{
    uint32_t off;
    if (!e->wide && time_offset(m, now, &off)) {
        if (off > e->last)
            e->last = off;
    } else {
        entry_touch_wide(m, e, now);
    }
}

/* Frees an entry's wide record and puts pool entry i on the free list
 * (the next free position + 1 in its text). */
static void entry_release(mc_messages *m, msg_entry *e, uint32_t i)
{
    if (e->wide)
        free(entry_wide(e));
    /* Its flags only: every walk of the pool and the memo's check read a
     * free entry's used (and wide) alone, and entry_take clears it all. */
    e->used = e->has_sender = e->dirty = e->stored = e->wide = e->plain = false;
    memcpy(e->text, &m->free_head, sizeof m->free_head);
    m->free_head = i + 1;
}

/* One more block of entries for the pool (entry_take's, out of line). */
static __attribute__((noinline)) void pool_grow(mc_messages *m)
{
    size_t nb = m->pool_cap >> BLOCK_SHIFT;
    m->blocks = mc_xrealloc(m->blocks, (nb + 1) * sizeof *m->blocks);
    /* Entries on cache lines: each is one line, not two. */
    m->blocks[nb] = mc_xaligned_calloc(64, BLOCK_ENTRIES * sizeof **m->blocks);
    m->pool_cap += BLOCK_ENTRIES;
}

/* A cleared pool entry for a new message (the pool grows a block when
 * full); its position.  Inlined: a new message's lookup paid its call. */
static inline __attribute__((always_inline)) uint32_t entry_take(mc_messages *m)
{
    uint32_t i;
    if (m->free_head) {
        i = m->free_head - 1;
        memcpy(&m->free_head, entry_at(m, i)->text, sizeof m->free_head);
        /* The next new message's entry: at scale a miss anywhere in the
         * pool, asked of memory now, lines before it is taken. */
        if (m->free_head)
            __builtin_prefetch(entry_at(m, m->free_head - 1), 1);
    } else {
        if (m->pool_top == m->pool_cap)
            pool_grow(m);
        i = (uint32_t)m->pool_top++;
    }
    msg_entry *e = entry_at(m, i);
    *e = empty_entry;
    e->used = true;
    return i;
}

/* Sets a fresh entry's key (n bytes, less than MAX_KEY): in the entry
 * when it fits with its NUL, else in a wide record. */
static void entry_set_key(const mc_messages *m, msg_entry *e, const char *key, size_t n)
{
    char *t = e->text;
    if (n + 1 > ENTRY_TEXT) {
        wide_rec *w = entry_widen(m, e, n + 1);
        w->key_len = (uint16_t)n;
        t = w->text;
    } else
        e->key_len = (uint8_t)n;
    memcpy(t, key, n);
    t[n] = '\0';
}

/* entry_set_key's work on a fresh entry for a key that fits narrow (n + 1
 * <= ENTRY_TEXT) with ENTRY_TEXT readable bytes at key (lookup_index's
 * keybuf or hint): the text's 48 bytes in three 16-byte stores of the
 * key's bytes, those from n on cleared (its NUL and entry_take's zeros),
 * where memcpy's variable length was a `rep movsq` and its set-up. */
static inline void entry_set_key48(msg_entry *e, const char *key, size_t n)
{
#if defined(__SSE2__)
    _Static_assert(ENTRY_TEXT == 48, "three 16-byte stores fill a narrow entry's text");
    const __m128i nv = _mm_set1_epi8((char)n);
    const __m128i at = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int i = 0; i < 3; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(key + 16 * i));
        __m128i keep = _mm_cmpgt_epi8(nv, _mm_add_epi8(at, _mm_set1_epi8((char)(16 * i))));
        _mm_storeu_si128((__m128i *)(void *)(e->text + 16 * i), _mm_and_si128(v, keep));
    }
    e->key_len = (uint8_t)n;
#else
    entry_set_key(NULL, e, key, n);
#endif
}

/* memcpy of n bytes (fewer than ENTRY_TEXT: a sender into a narrow
 * entry's text) by loads and stores that overlap within the n bytes at
 * src and dst, no call: a sender is 15 to 40 bytes, and memcpy's call
 * was a fifth of keeping it. */
static inline void copy_short_text(char *dst, const char *src, size_t n)
{
#if defined(__SSE2__)
    _Static_assert(ENTRY_TEXT <= 48, "three 16-byte copies cover a narrow entry's text");
    if (n > 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)src);
        __m128i z = _mm_loadu_si128((const __m128i *)(const void *)(src + n - 16));
        if (n > 32) {
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + 16));
            _mm_storeu_si128((__m128i *)(void *)(dst + 16), b);
        }
        _mm_storeu_si128((__m128i *)(void *)dst, a);
        _mm_storeu_si128((__m128i *)(void *)(dst + n - 16), z);
        return;
    }
#endif
    mc_copy_bytes(dst, src, n);
}

/* Sets an entry's sender (n bytes, at most MAX_ADDRESS) once, after its
 * key: in the entry when key, sender and NUL fit, else in its wide record
 * (made, or grown). */
static void entry_set_sender(const mc_messages *m, msg_entry *e, const char *sender, size_t n)
{
    size_t kn = entry_key_len(e);
    char *t;
    if (!e->wide && kn + n + 1 <= ENTRY_TEXT) {
        e->sender_len = (uint8_t)n;
        t = e->text;
        copy_short_text(t + kn, sender, n);
    } else {
        /* A narrow entry's record made at its size (one allocation, where
         * a record of the key's size and its growth were two). */
        wide_rec *w = e->wide ? mc_xrealloc(entry_wide(e), sizeof(wide_rec) + kn + n + 1)
                              : entry_widen(m, e, kn + n + 1);
        entry_set_wide(e, w);
        w->sender_len = (uint16_t)n;
        t = w->text;
        memcpy(t + kn, sender, n);
    }
    t[kn + n] = '\0';
    e->has_sender = true;
}

void messages_free(mc_messages *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->pool_top; i++)
        if (entry_at(m, i)->wide)
            free(entry_wide(entry_at(m, i)));
    for (size_t i = 0; i < m->n_gone; i++)
        free(m->gone[i]);
    free(m->gone);
    for (size_t b = 0; b < m->pool_cap >> BLOCK_SHIFT; b++)
        free(m->blocks[b]);
    free(m->blocks);
    free(m->slots);
    free(m->busy);
    free(m);
}

size_t messages_in_flight(const mc_messages *m) { return m->n; }

void messages_fill_sender_domain(mc_messages *m, bool fill) { m->no_sender_domain = !fill; }

/* Days since 1970 of a civil date (days from civil, Howard Hinnant's
 * algorithm). */
static int64_t days_of(const mc_time *t)
{
    int64_t y = t->year - (t->month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (t->month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + t->day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* seconds_of's day, when it is another than the last one's: counted and
 * kept. */
static __attribute__((noinline)) void seconds_day(mc_messages *m, const mc_time *t)
{
    m->memo_days = days_of(t);
    m->memo_ymd[0] = t->year;
    m->memo_ymd[1] = t->month;
    m->memo_ymd[2] = t->day;
}

/* Whether time t is of the day seconds_of last counted (memo_ymd): its
 * year, month and day, a time's first 12 bytes, in two compares. */
static inline __attribute__((always_inline)) bool same_day(const mc_messages *m, const mc_time *t)
{
    _Static_assert(offsetof(mc_time, year) == 0 && offsetof(mc_time, month) == 4 && offsetof(mc_time, day) == 8,
                   "year, month and day are a time's first 12 bytes");
    _Static_assert(sizeof m->memo_ymd == 12, "memo_ymd is 12 bytes");
    uint64_t a, b;
    uint32_t c, d;
    memcpy(&a, t, 8), memcpy(&b, m->memo_ymd, 8);
    memcpy(&c, (const char *)t + 8, 4), memcpy(&d, &m->memo_ymd[2], 4);
    return ((a ^ b) | (c ^ d)) == 0;
}

/* seconds_of's answer for a valid time of the day it last counted. */
static inline __attribute__((always_inline)) int64_t day_seconds(const mc_messages *m, const mc_time *t)
{
    return m->memo_days * 86400 + t->hour * 3600 + t->min * 60 + t->sec;
}

/* Whether time t is of the second seconds_of last counted (memo_ymdhms):
 * its year to second, a time's first 24 bytes, in three compares. */
static inline __attribute__((always_inline)) bool same_second(const mc_messages *m, const mc_time *t)
{
    _Static_assert(offsetof(mc_time, sec) == 20, "year to second are a time's first 24 bytes");
    _Static_assert(sizeof m->memo_ymdhms == 24, "memo_ymdhms is 24 bytes");
    const char *p = (const char *)t, *q = (const char *)m->memo_ymdhms;
    uint64_t a, b, c, d, e, f;
    memcpy(&a, p, 8), memcpy(&b, q, 8);
    memcpy(&c, p + 8, 8), memcpy(&d, q + 8, 8);
    memcpy(&e, p + 16, 8), memcpy(&f, q + 16, 8);
    return ((a ^ b) | (c ^ d) | (e ^ f)) == 0;
}

/* Counts a valid time of the day seconds_of last counted as its second:
 * out of line (once a second of log). */
static __attribute__((noinline)) void second_count(mc_messages *m, const mc_time *t)
{
    m->memo_now = day_seconds(m, t);
    memcpy(m->memo_ymdhms, t, sizeof m->memo_ymdhms);
    second_offset_set(m);
}

/* Seconds since 1970 of a zone-less civil time: cheap (the day is counted
 * again only when it changes, the second when it changes: memo_now),
 * and only differences are ever used.  seconds_of_bytes counts it whole,
 * the definition. */
static inline __attribute__((always_inline)) int64_t seconds_of(mc_messages *m, const mc_time *t)
{
    if (!t->valid)
        return 0;
    if (!same_second(m, t)) {
        if (!same_day(m, t))
            seconds_day(m, t);
        second_count(m, t);
    }
    return m->memo_now;
}

/* seconds_of's answer counted whole, no memo: the definition. */
static int64_t seconds_of_bytes(const mc_time *t)
{
    if (!t->valid)
        return 0;
    return days_of(t) * 86400 + t->hour * 3600 + t->min * 60 + t->sec;
}

/* The index hash of n key bytes: keyed per table, a word at a time. */
static uint64_t hash_of(const mc_messages *m, const char *p, size_t n)
{
    if (m->sip)
        return mc_siphash13(m->hash_key, p, n);
    return m->test_hash ? m->test_hash(p, n) : mc_fast_hash(m->hash_key, p, n);
}

/* Forgets the keys hashed ahead: the index hashes otherwise from now on. */
static void hints_clear(mc_messages *m)
{
    for (size_t i = 0; i < sizeof m->hints / sizeof m->hints[0]; i++)
        m->hints[i].kn = 0;
}

void messages_set_test_hash(mc_messages *m, uint64_t (*hash)(const void *p, size_t n))
{
    m->test_hash = hash;
    hints_clear(m);
    memset(m->memo, 0, sizeof m->memo);
}

bool messages_hash_is_sip(const mc_messages *m) { return m->sip; }

size_t messages_index_marked(const mc_messages *m)
{
    size_t marked = 0;
    for (size_t w = 0; w < m->n_slots / 64; w++)
        marked += (size_t)__builtin_popcountll(m->busy[w]);
    return marked;
}

/* The bytes of program before its first '/' (all of it without one).  An
 * empty one asks memchr nothing.  The definition (instance_len reads a
 * short program by words). */
static size_t instance_len_bytes(mc_str program)
{
    if (program.p == NULL || program.n == 0)
        return 0;
    const char *slash = memchr(program.p, '/', program.n);
    return slash ? (size_t)(slash - program.p) : program.n;
}

/* The high bit of each byte of w that is '/' (exact: no carry crosses a
 * byte, as newlines_in). */
static inline uint64_t slashes_in(uint64_t w)
{
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
    uint64_t x = w ^ (0x0101010101010101ull * '/');
    return ~(((x & low7) + low7) | x | low7);
}

/* instance_len_bytes's answer: a program of 4 to 16 bytes (Exim's "exim",
 * Postfix's "postfix/smtpd") as two overlapping words within its bytes,
 * the first '/' of the first word, else of the second (whose bytes the
 * first did not hold are its last), no call: memchr and the registers
 * kept across it were ~35 instructions of each new message's key
 * (docs/BENCHMARKS.md, exfact29). */
static inline size_t instance_len(mc_str program)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    size_t n = program.p ? program.n : 0;
    if (n >= 4 && n <= 16) {
        uint64_t lo, hi;
        size_t back; /* where the second word starts */
        if (n >= 8) {
            memcpy(&lo, program.p, 8);
            memcpy(&hi, program.p + n - 8, 8);
            back = n - 8;
        } else {
            /* Both 4-byte words in one: the first in the low half, the
             * last (from n - 4) in the high half. */
            uint32_t a, b;
            memcpy(&a, program.p, 4);
            memcpy(&b, program.p + n - 4, 4);
            uint64_t z = slashes_in((uint64_t)a | (uint64_t)b << 32);
            if (z == 0)
                return n;
            size_t at = (size_t)__builtin_ctzll(z) >> 3;
            return at < 4 ? at : n - 8 + at;
        }
        uint64_t z = slashes_in(lo);
        if (z)
            return (size_t)__builtin_ctzll(z) >> 3;
        z = slashes_in(hi);
        return z ? back + ((size_t)__builtin_ctzll(z) >> 3) : n;
    }
#endif
    return instance_len_bytes(program);
}

/* host '\n' instance '\n' queue id '\n' into k (cap bytes, at most
 * MAX_KEY); its length, or 0 when it does not fit.  The instance is the
 * syslog program up to its first '/' (postfix, postfix-out), so instances
 * on one host stay apart. */
static inline __attribute__((always_inline)) size_t key_into(char *k, size_t cap, mc_str host, mc_str program,
                                                              mc_str queue_id)
{
    size_t inst = instance_len(program);
    size_t hn = host.p ? host.n : 0;
    size_t need = hn + inst + queue_id.n + 3;
    if (need > cap)
        return 0;
    mc_copy_bytes(k, host.p, hn);
    k[hn] = '\n';
    mc_copy_bytes(k + hn + 1, program.p, inst);
    k[hn + 1 + inst] = '\n';
    mc_copy_bytes(k + hn + inst + 2, queue_id.p, queue_id.n);
    k[need - 1] = '\n';
    return need;
}

/* The key of host, program and queue id into m->keybuf (key_into's). */
static size_t make_key(mc_messages *m, mc_str host, mc_str program, mc_str queue_id)
{
    _Static_assert(sizeof m->keybuf == MAX_KEY, "keybuf holds MAX_KEY bytes");
    return key_into(m->keybuf, MAX_KEY, host, program, queue_id);
}

/* Remembers the key of a message leaving the table, for the database. */
static void note_gone(mc_messages *m, const msg_entry *e)
{
    /* A message received and ended between two saves never reached the
     * database: nothing to delete there (most of them, on a busy server). */
    if (!m->track || !e->stored)
        return;
    if (m->n_gone == m->cap_gone) {
        m->cap_gone = m->cap_gone ? m->cap_gone * 2 : 256;
        m->gone = mc_xrealloc(m->gone, m->cap_gone * sizeof *m->gone);
    }
    m->gone[m->n_gone++] = mc_xstrndup(entry_key(e), entry_key_len(e));
}

/* A slot's value for pool entry i whose hash is h. */
static uint64_t slot_make(uint64_t h, uint32_t i) { return (uint64_t)(uint32_t)h << 32 | ((uint64_t)i + 1); }

/* The pool position + 1 a slot holds (0: empty). */
static uint32_t slot_pos1(uint64_t v) { return (uint32_t)v; }

/* Whether index slot s holds a message, by its bit. */
static bool slot_busy(const mc_messages *m, size_t s) { return m->busy[s >> 6] >> (s & 63) & 1; }

/* Writes slot s (v: a slot_make value) and sets its bit. */
static void slot_put(mc_messages *m, size_t s, uint64_t v)
{
    m->slots[s] = v;
    m->busy[s >> 6] |= (uint64_t)1 << (s & 63);
}

/* Empties slot s and clears its bit. */
static void slot_clear(mc_messages *m, size_t s)
{
    m->slots[s] = 0;
    m->busy[s >> 6] &= ~((uint64_t)1 << (s & 63));
}

/* Empties the whole index. */
static void slots_clear(mc_messages *m)
{
    memset(m->slots, 0, m->n_slots * sizeof *m->slots);
    memset(m->busy, 0, m->n_slots / 64 * sizeof *m->busy);
}

/* The index hash of pool entry i's key (entries keep none: see msg_entry). */
static uint64_t hash_of_entry(const mc_messages *m, uint32_t i)
{
    const msg_entry *e = entry_at(m, i);
    return hash_of(m, entry_key(e), entry_key_len(e));
}

/* Indexes pool entry i (whose hash is h) in the first free slot of its chain. */
static void place(mc_messages *m, uint32_t i, uint64_t h)
{
    size_t s = h & (m->n_slots - 1);
    while (m->slots[s])
        s = (s + 1) & (m->n_slots - 1);
    slot_put(m, s, slot_make(h, i));
}

/* Rebuilds the index keeping the messages heard of since `since`; the
 * others are counted as evicted. */
static void rebuild(mc_messages *m, int64_t since, mc_msg_figures *fig)
{
    slots_clear(m);
    /* Not needed (a memo slot is checked against the whole key), but an
     * evicted message's slot then costs no comparison. */
    memset(m->memo, 0, sizeof m->memo);
    size_t kept = 0;
    m->oldest = INT64_MAX;
    for (size_t i = 0; i < m->pool_top; i++) {
        msg_entry *e = entry_at(m, i);
        if (!e->used)
            continue;
        if (entry_last(m, e) < since) {
            fig->evicted++;
            note_gone(m, e);
            entry_release(m, e, (uint32_t)i);
            continue;
        }
        place(m, (uint32_t)i, hash_of_entry(m, (uint32_t)i));
        if (entry_last(m, e) < m->oldest)
            m->oldest = entry_last(m, e);
        kept++;
    }
    m->n = kept;
}

/* Grows the index four times over (twice when four times would pass what
 * doubling reaches at capacity, so the bound is doubling's): half the
 * growths, each slot moved half as often, on the way to Exim's 262,144
 * slots (4 growths from 1,024, not 8); the end size of a run is doubling's
 * or twice it.  Each slot's hash bits give its home in the larger one, so
 * no entry is read (at scale the pool is megabytes of cache misses); the
 * pool positions, and so the memo, stay. */
static void grow_index(mc_messages *m)
{
    size_t top = 1024; /* doubling's index at capacity: the smallest power of two >= 2 * capacity */
    while (top / 2 < m->capacity)
        top *= 2;
    size_t n_slots = m->n_slots * 4 <= top ? m->n_slots * 4 : m->n_slots * 2;
    uint64_t *slots = mc_xcalloc(n_slots, sizeof *slots);
    uint64_t *busy = mc_xcalloc(n_slots / 64, sizeof *busy);
    for (size_t i = 0; i < m->n_slots; i++) {
        if (m->slots[i] == 0)
            continue;
        size_t s = (size_t)(m->slots[i] >> 32) & (n_slots - 1);
        while (slots[s])
            s = (s + 1) & (n_slots - 1);
        slots[s] = m->slots[i];
        busy[s >> 6] |= (uint64_t)1 << (s & 63);
    }
    free(m->slots);
    free(m->busy);
    m->slots = slots;
    m->busy = busy;
    m->n_slots = n_slots;
}

/* Drops quiet messages once a sweep interval of log time, and makes room
 * when full: the quietest go first, in steps of half the remaining lifetime.
 * Whether it rebuilt the index (else every slot is as it was). */
static bool sweep(mc_messages *m, mc_msg_figures *fig)
{
    bool full = m->n >= m->capacity;
    if (!full && m->now - m->last_sweep < m->sweep_every)
        return false;
    m->last_sweep = m->now;
    int64_t keep = m->lifetime;
    bool rebuilt = false;
    /* Nothing quiet for that long (most sweeps): the table stays as it is. */
    if (m->oldest < m->now - keep) {
        rebuild(m, m->now - keep, fig);
        rebuilt = true;
    }
    while (m->n >= m->capacity - m->capacity / 8 && keep > 0) {
        keep /= 2;
        rebuild(m, m->now - keep, fig);
        rebuilt = true;
    }
    return rebuilt;
}

/* The slot of a key (kn bytes, hash h), or of the empty slot that ends
 * its chain; LONG_CHAIN past MAX_PROBES slots before the index takes
 * SipHash. */
static size_t find_slot(const mc_messages *m, const char *key, size_t kn, uint64_t h)
{
    size_t s = h & (m->n_slots - 1), probes = 0;
    /* An empty home ends the chain there: the slot's bit says so, and the
     * slot's own line (a miss, for a new message) is not read. */
    if (!slot_busy(m, s))
        return s;
    for (; m->slots[s]; s = (s + 1) & (m->n_slots - 1)) {
        if (++probes > MAX_PROBES && !m->sip)
            return LONG_CHAIN;
        if ((uint32_t)(m->slots[s] >> 32) != (uint32_t)h)
            continue;
        const msg_entry *e = entry_at(m, slot_pos1(m->slots[s]) - 1);
        if (entry_key_len(e) == kn && memcmp(entry_key(e), key, kn) == 0)
            return s;
    }
    return s;
}

/* A probe walked past MAX_PROBES: SipHash from now on, every message
 * rehashed and placed again (the pool positions, and so the memo, stay). */
static void take_siphash(mc_messages *m)
{
    m->sip = true;
    hints_clear(m);
    /* The memo's hashes are fast_hash's: a removal would start its walk
     * for its slot elsewhere. */
    memset(m->memo, 0, sizeof m->memo);
    slots_clear(m);
    for (size_t i = 0; i < m->pool_top; i++) {
        if (!entry_at(m, i)->used)
            continue;
        place(m, (uint32_t)i, hash_of_entry(m, (uint32_t)i));
    }
}

/* The slot of a key (kn bytes) as find_slot gives it, its hash in *h
 * (made here unless hashed: *h is the key's already); the index takes
 * SipHash first when its chain is too long. */
static inline __attribute__((always_inline)) size_t find_key(mc_messages *m, const char *key, size_t kn, uint64_t *h,
                                                              bool hashed, bool *found)
{
    if (!hashed)
        *h = hash_of(m, key, kn);
    /* find_slot's first answer here, without its call: an empty home (a
     * new message's, most often) ends the chain. */
    size_t s = *h & (m->n_slots - 1);
    if (!slot_busy(m, s)) {
        *found = false;
        return s;
    }
    s = find_slot(m, key, kn, *h);
    if (s == LONG_CHAIN) {
        take_siphash(m);
        *h = hash_of(m, key, kn);
        s = find_slot(m, key, kn, *h);
    }
    /* The slot's line is find_slot's last read: a slot holds a message
     * exactly when its bit is set. */
    *found = m->slots[s] != 0;
    return s;
}

/* The memo slot of a queue id: its last 8 bytes (all of a shorter one)
 * and its length, multiplied (the high bits the slot, the low 32 its tag).
 * Unkeyed on purpose: see the header. */
static uint64_t memo_mix(mc_str queue_id)
{
    uint64_t v = queue_id.n;
    if (queue_id.n >= 8) {
        uint64_t w;
        memcpy(&w, queue_id.p + queue_id.n - 8, 8);
        v ^= w;
    } else {
        for (size_t i = 0; i < queue_id.n; i++)
            v ^= (uint64_t)(unsigned char)queue_id.p[i] << (8 * i + 8);
    }
    return v * 0x9E3779B97F4A7C15ull;
}

/* Whether a key key_into made (kn bytes) is plain: '\n' only after its
 * host, its instance and its queue id (none in the fields; its instance
 * holds no '/', as key_into takes it).  One pass, no call: the definition
 * (key_plain reads it eight bytes a step). */
static bool key_plain_bytes(const char *k, size_t kn)
{
    size_t nl = 0;
    for (size_t i = 0; i < kn; i++)
        nl += k[i] == '\n';
    return nl == 3;
}

/* The '\n' among the bytes of word w that mask keeps (0xFF a byte kept):
 * a byte of w ^ "\n\n..." is zero where w has '\n', and the high bit of
 * each byte of ~(((x & 0x7F..) + 0x7F..) | x | 0x7F..) is set exactly
 * where x's byte is zero (no carry crosses a byte); their sum by one
 * multiply (at most 8, in the top byte). */
static inline size_t newlines_in(uint64_t w, uint64_t mask)
{
    const uint64_t ones = 0x0101010101010101ull, low7 = 0x7F7F7F7F7F7F7F7Full;
    uint64_t x = w ^ (ones * '\n');
    uint64_t z = ~(((x & low7) + low7) | x | low7) & mask;
    return (size_t)((z >> 7) * ones >> 56);
}

/* key_plain_bytes's answer, eight bytes a step: a new message's key is 20
 * to 40 bytes, and the byte loop was ~100 instructions of each new
 * message's (4.6 M on 20 MB of Exim log; docs/BENCHMARKS.md, pfjoin26).
 * The last bytes in one load that ends at the key's end, the bytes the
 * loop counted masked off. */
static bool key_plain(const char *k, size_t kn)
{
#if defined(__BYTE_ORDER__) && (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ || __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
    if (kn >= 8) {
        size_t nl = 0, i = 0;
        uint64_t w;
        for (; i + 8 <= kn; i += 8) {
            memcpy(&w, k + i, 8);
            nl += newlines_in(w, ~0ull);
        }
        if (i < kn) {
            /* The key's last kn - i bytes: the high bytes of the word on a
             * little-endian machine, the low ones on a big-endian one. */
            unsigned skip = (unsigned)(8 - (kn - i)) * 8;
            memcpy(&w, k + kn - 8, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            nl += newlines_in(w, ~0ull << skip);
#else
            nl += newlines_in(w, ~0ull >> skip);
#endif
        }
        return nl == 3;
    }
#endif
    return key_plain_bytes(k, kn);
}

/* key_plain's answer for the key of an entry entry_take and entry_set_key
 * have just made narrow: its text's 48 bytes are the key, its NUL and
 * entry_take's zeros, so the '\n' among them are the key's, found by three
 * 16-byte compares on the entry's own cache line, no call (key_plain was
 * ~70 instructions of each new message's; docs/BENCHMARKS.md, join27).
 * Plain: exactly three bits set (two cleared, one left). */
static inline bool entry_fresh_plain(const msg_entry *e)
{
#if defined(__SSE2__)
    _Static_assert(ENTRY_TEXT == 48, "three 16-byte loads cover a narrow entry's text");
    const __m128i nl = _mm_set1_epi8('\n');
    uint64_t m = 0;
    for (int i = 0; i < 3; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(e->text + 16 * i));
        m |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)) << (16 * i);
    }
    m &= m - 1;
    m &= m - 1;
    return m != 0 && (m & (m - 1)) == 0;
#else
    return key_plain(e->text, e->key_len);
#endif
}

/* Whether the n bytes at a and b are the same, as mc_same_bytes answers,
 * always inlined and also for fewer than 4 bytes (a short host name):
 * there mc_same_bytes calls memcmp, and GCC kept it out of line, ~30
 * instructions of a memo's answer for the host (docs/BENCHMARKS.md, pfx24). */
static inline __attribute__((always_inline)) bool same_short(const char *a, const char *b, size_t n)
{
    if (n < 4)
        return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
    if (n >= 8 && n <= 16) {
        uint64_t x, y, u, v;
        memcpy(&x, a, 8), memcpy(&y, b, 8);
        memcpy(&u, a + n - 8, 8), memcpy(&v, b + n - 8, 8);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    if (n < 8) {
        uint32_t x, y, u, v;
        memcpy(&x, a, 4), memcpy(&y, b, 4);
        memcpy(&u, a + n - 4, 4), memcpy(&v, b + n - 4, 4);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    return memcmp(a, b, n) == 0;
}

/* Whether the entry is the message of host, program and queue id: its
 * key compared whole, as make_key would have made it.  A plain key (see
 * key_plain) needs no '/' looked for in the program: its instance is the
 * key's length less the host's and the queue id's, and when the key's
 * bytes are host, program's first inst bytes and queue id with '\n'
 * after each, and program has a '/' or its end after those bytes, make_key
 * takes the same instance (the key's '\n' fix where host and instance
 * end, and its instance holds no '/').  Others (imported) take it as
 * make_key does. */
static bool entry_is_any(const msg_entry *e, const mc_str *host, const mc_str *program, const mc_str *queue_id)
{
    if (!e->used)
        return false;
    size_t hn = host->p ? host->n : 0, pn = program->p ? program->n : 0, qn = queue_id->n, kn = entry_key_len(e), inst;
    if (e->plain) {
        if (kn < hn + qn + 3)
            return false;
        inst = kn - hn - qn - 3;
        if (inst > pn || (inst < pn && program->p[inst] != '/'))
            return false;
    } else {
        inst = instance_len(*program);
        if (kn != hn + inst + qn + 3)
            return false;
    }
    const char *k = entry_key(e);
    return same_short(k + hn + inst + 2, queue_id->p, qn) && k[hn] == '\n' && k[hn + 1 + inst] == '\n' &&
           k[kn - 1] == '\n' && same_short(k, host->p, hn) && same_short(k + hn + 1, program->p, inst);
}

/* entry_is_any's answer past its fast case: out of line. */
static __attribute__((noinline)) bool entry_is_other(const msg_entry *e, const mc_str *host, const mc_str *program,
                                                     const mc_str *queue_id)
{
    return entry_is_any(e, host, program, queue_id);
}

/* entry_is_any's answer, the entry in use, narrow and plain (most of a
 * memo's answers: one test of its flags) read here, the rest by
 * entry_is_other. */
static inline __attribute__((always_inline)) bool entry_is(const msg_entry *e, const mc_str *host,
                                                            const mc_str *program, const mc_str *queue_id)
{
    if (!e->used || e->wide || !e->plain)
        return entry_is_other(e, host, program, queue_id);
    size_t hn = host->p ? host->n : 0, pn = program->p ? program->n : 0, qn = queue_id->n, kn = e->key_len;
    /* Past pn (wrapped) when the key is shorter than host and queue id. */
    size_t inst = kn - hn - qn - 3;
    if (inst > pn || (inst < pn && program->p[inst] != '/'))
        return false;
    const char *k = e->text;
    return same_short(k + kn - 1 - qn, queue_id->p, qn) && k[hn] == '\n' && k[hn + 1 + inst] == '\n' &&
           k[kn - 1] == '\n' && same_short(k, host->p, hn) && same_short(k + hn + 1, program->p, inst);
}

/* The index slot of the message lookup just gave for mix (its memo slot's,
 * whose hash is the message's: no key hashed again). */
static size_t slot_looked_up(const mc_messages *m, uint64_t mix)
{
    size_t ms = mix >> (64 - MEMO_BITS), s = m->memo_hash[ms] & (m->n_slots - 1);
    while (slot_pos1(m->slots[s]) != m->memo[ms].pos1)
        s = (s + 1) & (m->n_slots - 1);
    return s;
}

uint64_t messages_mix(mc_str queue_id) { return memo_mix(queue_id); }

void messages_seconds(mc_messages *m, const mc_time *t, int64_t *fast, int64_t *general)
{
    *fast = seconds_of(m, t);
    *general = seconds_of_bytes(t);
}

void messages_key_plain(const char *key, size_t n, bool *fast, bool *fresh, bool *general)
{
    *fast = key_plain(key, n);
    *general = key_plain_bytes(key, n);
    /* A fresh narrow entry of the key, as lookup_index makes one. */
    msg_entry e = empty_entry;
    e.used = true;
    if (n + 1 <= ENTRY_TEXT) {
        entry_set_key(NULL, &e, key, n);
        *fresh = entry_fresh_plain(&e);
    } else {
        *fresh = *general;
    }
}

void messages_instance_len(mc_str program, size_t *fast, size_t *general)
{
    *fast = instance_len(program);
    *general = instance_len_bytes(program);
}

bool messages_key48_same(const char *key, size_t n)
{
    msg_entry a = empty_entry, b = empty_entry;
    a.used = b.used = true;
    entry_set_key(NULL, &a, key, n);
    entry_set_key48(&b, key, n);
    return memcmp(&a, &b, sizeof a) == 0;
}

void messages_memo_is(const mc_messages *m, uint64_t mix, mc_str host, mc_str program, mc_str queue_id, bool *fast,
                      bool *general)
{
    const memo_slot *memo = &m->memo[mix >> (64 - MEMO_BITS)];
    *fast = *general = false;
    if (memo->pos1 == 0)
        return;
    const msg_entry *e = entry_at(m, memo->pos1 - 1);
    *fast = entry_is(e, &host, &program, &queue_id);
    *general = entry_is_any(e, &host, &program, &queue_id);
}

void messages_prefetch(const mc_messages *m, uint64_t mix)
{
    const memo_slot *memo = &m->memo[mix >> (64 - MEMO_BITS)];
    if (memo->pos1 && memo->tag == (uint32_t)mix) {
        /* 64 bytes on a cache line (entry_take's blocks): one line (a
         * wide entry's record is not asked for: few are wide). */
        __builtin_prefetch(entry_at(m, memo->pos1 - 1), 1);
    }
}

/* The hint of a queue id's mix: bits the memo's slot (the high ones) and
 * tag (the low 32) leave to chance, so that two lines in flight rarely
 * share one. */
static key_hint *hint_of(mc_messages *m, uint64_t mix) { return &m->hints[mix >> 32 & ((1u << HINT_BITS) - 1)]; }

/* Whether hint k holds the key of host, program and queue id, as key_into
 * would make it: its host's and instance's lengths are noted, so the
 * program's '/' is not looked for (as entry_is). */
static bool hint_is(const key_hint *k, mc_str host, mc_str program, mc_str queue_id)
{
    size_t hn = host.p ? host.n : 0, pn = program.p ? program.n : 0, inst = k->inst;
    if (k->kn == 0 || k->hn != hn || inst > pn || (inst < pn && program.p[inst] != '/') ||
        k->kn != hn + inst + queue_id.n + 3)
        return false;
    return mc_same_bytes(k->key + hn + inst + 2, queue_id.p, queue_id.n) &&
           (hn == 0 || mc_same_bytes(k->key, host.p, hn)) && (inst == 0 || mc_same_bytes(k->key + hn + 1, program.p, inst));
}

/* messages_prefetch_slot's work past its gate: out of line, so that the
 * gate (most calls: a small index, or a message the memo knows) pays no
 * frame for the key. */
static __attribute__((noinline)) void prefetch_slot_of(mc_messages *m, mc_str host, mc_str program, mc_str queue_id,
                                                       uint64_t mix)
{
    /* Built and hashed once, here: the lookup takes both from the hint. */
    key_hint *k = hint_of(m, mix);
    size_t kn = key_into(k->key, HINT_KEY, host, program, queue_id);
    uint64_t h;
    if (kn) {
        k->hash = h = hash_of(m, k->key, kn);
        k->kn = (uint8_t)kn;
        k->hn = (uint8_t)(host.p ? host.n : 0);
        k->inst = (uint8_t)(kn - k->hn - queue_id.n - 3);
    } else {
        char key[MAX_KEY];
        kn = key_into(key, MAX_KEY, host, program, queue_id);
        if (kn == 0)
            return;
        h = hash_of(m, key, kn);
    }
    /* The slot the lookup will start at (the same table, key and function,
     * unless the index takes SipHash in between: then a wasted prefetch). */
    size_t s = h & (m->n_slots - 1);
    __builtin_prefetch(&m->busy[s >> 6]);
    __builtin_prefetch(&m->slots[s], 1);
}

void messages_prefetch_slot(mc_messages *m, mc_str host, mc_str program, mc_str queue_id, uint64_t mix)
{
    /* A small index stays in the caches: nothing to ask for. */
    if (m->n_slots < PREFETCH_SLOTS || queue_id.p == NULL || queue_id.n == 0)
        return;
    const memo_slot *memo = &m->memo[mix >> (64 - MEMO_BITS)];
    if (memo->pos1 && memo->tag == (uint32_t)mix)
        return;
    prefetch_slot_of(m, host, program, queue_id, mix);
}

/* lookup past its memo (the memo's slot for mix did not answer): the
 * index, and a new message.  Out of line: the memo's answer (most
 * lookups, 85% of Postfix's) then saves and restores no registers for
 * this part's work, and runs on fewer cache lines of code
 * (docs/BENCHMARKS.md, pfx24). */
static __attribute__((noinline)) msg_entry *lookup_index(mc_messages *m, const mc_str *host, const mc_str *program,
                                                         const mc_str *queue_id, int64_t now, mc_msg_figures *fig,
                                                         uint64_t mix)
{
    size_t ms = mix >> (64 - MEMO_BITS);
    /* The key and its hash from the hint when messages_prefetch_slot made
     * them for this very key (it makes none for a small index), else built
     * and hashed here. */
    const char *key = m->keybuf;
    size_t kn = 0;
    uint64_t h = 0;
    bool hashed = false, found;
    if (m->n_slots >= PREFETCH_SLOTS) {
        const key_hint *hint = hint_of(m, mix);
        if ((hashed = hint_is(hint, *host, *program, *queue_id))) {
            key = hint->key;
            kn = hint->kn;
            h = hint->hash;
        }
    }
    if (!hashed) {
        kn = make_key(m, *host, *program, *queue_id);
        if (kn == 0)
            return NULL;
    }
    size_t s = find_key(m, key, kn, &h, hashed, &found);
    if (found) {
        msg_entry *e = entry_at(m, slot_pos1(m->slots[s]) - 1);
        entry_touch(m, e, now);
        e->dirty = true;
        m->memo[ms] = (memo_slot){.pos1 = slot_pos1(m->slots[s]), .tag = (uint32_t)mix};
        m->memo_hash[ms] = (uint32_t)h;
        return e;
    }
    if (fig == NULL)
        return NULL;
    bool moved = sweep(m, fig);
    if ((m->n + 1) * 2 > m->n_slots) {
        grow_index(m);
        moved = true;
    }
    uint32_t i = entry_take(m);
    msg_entry *e = entry_at(m, i);
    if (kn + 1 <= ENTRY_TEXT) {
        entry_set_key48(e, key, kn);
        e->plain = entry_fresh_plain(e);
    } else {
        entry_set_key(m, e, key, kn);
        e->plain = key_plain(key, kn);
    }
    /* First and last the same: one offset (entry_set_times makes two). */
    uint32_t off;
    if (!e->wide && time_offset(m, now, &off))
        e->first = e->last = off;
    else
        entry_set_times(m, e, now, now);
    if (now < m->oldest)
        m->oldest = now;
    e->dirty = true;
    /* The sweep or the growth may have moved the chain's end (and, once,
     * the hash); without them (most new messages) slot s still ends it:
     * entry_take and entry_set_key touch no slot. */
    if (moved)
        s = find_key(m, key, kn, &h, true, &found);
    slot_put(m, s, slot_make(h, i));
    m->n++;
    m->memo[ms] = (memo_slot){.pos1 = i + 1, .tag = (uint32_t)mix};
    m->memo_hash[ms] = (uint32_t)h;
    return e;
}

/* lookup past a memo slot whose tag is mix's, at now (seconds_of's): its
 * entry when it is the message (entry_is), else lookup_index.  Out of
 * line: lookup itself then saves no register. */
static __attribute__((noinline)) msg_entry *lookup_memo(mc_messages *m, const mc_str *host, const mc_str *program,
                                                        const mc_str *queue_id, int64_t now, mc_msg_figures *fig,
                                                        uint64_t mix)
{
    msg_entry *e = entry_at(m, m->memo[mix >> (64 - MEMO_BITS)].pos1 - 1);
    if (entry_is(e, host, program, queue_id)) {
        entry_touch(m, e, now);
        e->dirty = true;
        return e;
    }
    return lookup_index(m, host, program, queue_id, now, fig, mix);
}

/* lookup at now (seconds_of's answer for its time): the clock moved, then
 * the memo's slot (lookup_memo) or the index (lookup_index), as tail
 * calls. */
static inline __attribute__((always_inline)) msg_entry *lookup_at(mc_messages *m, const mc_str *host,
                                                                   const mc_str *program, const mc_str *queue_id,
                                                                   int64_t now, mc_msg_figures *fig, uint64_t mix)
{
    if (now > m->now)
        m->now = now;
    const memo_slot *memo = &m->memo[mix >> (64 - MEMO_BITS)];
    if (memo->pos1 && memo->tag == (uint32_t)mix)
        return lookup_memo(m, host, program, queue_id, now, fig, mix);
    return lookup_index(m, host, program, queue_id, now, fig, mix);
}

/* lookup at a time not valid or of another day than seconds_of's last:
 * seconds_of's call here, not in lookup, which then needs no frame. */
static __attribute__((noinline)) msg_entry *lookup_day(mc_messages *m, const mc_str *host, const mc_str *program,
                                                       const mc_str *queue_id, const mc_time *t, mc_msg_figures *fig,
                                                       uint64_t mix)
{
    return lookup_at(m, host, program, queue_id, seconds_of(m, t), fig, mix);
}

/* The entry of the message of host, program and queue id heard of at t
 * (mix: the queue id's memo_mix), created when missing if fig is given
 * (NULL: a missing message stays missing); NULL when the key is too long,
 * or missing and not created.  Found, it is the memo slot of mix's
 * (slot_looked_up).  The fields by address: by value they passed the
 * argument registers, and the memo's answer spilled them to the stack.
 * Out of line: inlined in its two callers it ran 3 M fewer instructions
 * on 20 MB of Postfix log, but the instruction cache missed 12% more
 * (docs/BENCHMARKS.md, pfjoin26).  Most lookups are memo_known's; this
 * one, mostly a new message's, calls nothing but its tail calls, so it
 * saves no register (docs/BENCHMARKS.md, join29). */
static __attribute__((noinline)) msg_entry *lookup(mc_messages *m, const mc_str *host, const mc_str *program,
                                                   const mc_str *queue_id, const mc_time *t, mc_msg_figures *fig,
                                                   uint64_t mix)
{
    if (!t->valid || !same_second(m, t))
        return lookup_day(m, host, program, queue_id, t, fig, mix);
    return lookup_at(m, host, program, queue_id, m->memo_now, fig, mix);
}

/* lookup's answer when memo_known found t valid and of the day seconds_of
 * last counted, and mix's memo slot naming no message of mix's tag (most
 * of them a new message): lookup_at's path to the index, without lookup's
 * check of the day and lookup_at's of the memo slot, whose answers are
 * known (docs/BENCHMARKS.md, join30). */
static inline __attribute__((always_inline)) msg_entry *lookup_unmemoed(mc_messages *m, const mc_str *host,
                                                                        const mc_str *program,
                                                                        const mc_str *queue_id, mc_msg_figures *fig,
                                                                        uint64_t mix)
{
    int64_t now = m->memo_now;
    if (now > m->now)
        m->now = now;
    return lookup_index(m, host, program, queue_id, now, fig, mix);
}

/* The lookup after memo_known gave no answer: lookup_unmemoed when it
 * said why (unmemoed), else lookup. */
static inline __attribute__((always_inline)) msg_entry *lookup_after_memo(mc_messages *m, const mc_str *host,
                                                                           const mc_str *program,
                                                                           const mc_str *queue_id, const mc_time *t,
                                                                           mc_msg_figures *fig, uint64_t mix,
                                                                           bool unmemoed)
{
    if (unmemoed)
        return lookup_unmemoed(m, host, program, queue_id, fig, mix);
    return lookup(m, host, program, queue_id, t, fig, mix);
}

/* Whether the n bytes at a and b are the same, n below 32: no call
 * (memo_known's fields; same_short calls memcmp past 16 bytes, and a call
 * there made its callers keep their values on the stack).  Words that
 * overlap: 8 to 32 bytes as [0, 8), [n - 8, n), and past 16 [8, 16),
 * [n - 16, n - 8). */
static inline __attribute__((always_inline)) bool same_upto32(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t x, y, u, v;
        memcpy(&x, a, 8), memcpy(&y, b, 8);
        memcpy(&u, a + n - 8, 8), memcpy(&v, b + n - 8, 8);
        uint64_t d = (x ^ y) | (u ^ v);
        if (n > 16) {
            memcpy(&x, a + 8, 8), memcpy(&y, b + 8, 8);
            memcpy(&u, a + n - 16, 8), memcpy(&v, b + n - 16, 8);
            d |= (x ^ y) | (u ^ v);
        }
        return d == 0;
    }
    if (n >= 4) {
        uint32_t x, y, u, v;
        memcpy(&x, a, 4), memcpy(&y, b, 4);
        memcpy(&u, a + n - 4, 4), memcpy(&v, b + n - 4, 4);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/* lookup's answer when it is the memo's and changes nothing but the
 * entry's last time (most lookups: 84% of Postfix's, 67% of Exim's), NULL
 * when this cannot say so: then lookup answers, the definition.  The
 * time's day is the one seconds_of last counted, the memo's slot for mix
 * names a narrow plain entry whose key is host, program and queue id
 * compared whole (entry_is's reading, each field below 32 bytes: no
 * call), and the new offset fits (the epoch set); nothing is changed
 * before all of that holds, so a NULL leaves the table as it was.
 * Inlined in messages_fact_mixed and messages_event_mixed: on their
 * frames, lookup's own (six registers saved and restored, ~23
 * instructions a call) and the call are not paid (docs/BENCHMARKS.md,
 * join29). */
static inline __attribute__((always_inline)) msg_entry *memo_known(mc_messages *m, const mc_str *host,
                                                                    const mc_str *program, const mc_str *queue_id,
                                                                    const mc_time *t, uint64_t mix, bool *unmemoed)
{
    if (!t->valid)
        return NULL;
    if (!same_second(m, t)) {
        if (!same_day(m, t))
            return NULL;
        second_count(m, t);
    }
    const memo_slot *memo = &m->memo[mix >> (64 - MEMO_BITS)];
    if (memo->pos1 == 0 || memo->tag != (uint32_t)mix) {
        *unmemoed = true;
        return NULL;
    }
    msg_entry *e = entry_at(m, memo->pos1 - 1);
    /* A plain entry is in use (entry_release clears plain with used). */
    if (!e->plain || e->wide)
        return NULL;
    /* As entry_is: the instance's length from the key's, the program's
     * '/' or end after it; a plain key's last byte is its third '\n'
     * (key_into's).  Field by field, few values held at once. */
    const char *k = e->text;
    size_t kn = e->key_len, qn = queue_id->n;
    if (qn >= 32 || qn + 3 > kn || !same_upto32(k + kn - 1 - qn, queue_id->p, qn))
        return NULL;
    size_t hn = host->p ? host->n : 0;
    if (hn >= 32 || hn + qn + 3 > kn || k[hn] != '\n' || !same_upto32(k, host->p, hn))
        return NULL;
    size_t inst = kn - hn - qn - 3, pn = program->p ? program->n : 0;
    if (inst >= 32 || inst > pn || (inst < pn && program->p[inst] != '/') || k[hn + 1 + inst] != '\n' ||
        !same_upto32(k + hn + 1, program->p, inst))
        return NULL;
    /* seconds_of's answer and time_offset's, kept with the second. */
    uint64_t d = m->memo_off;
    if (d > UINT32_MAX)
        return NULL;
    int64_t now = m->memo_now;
    if (now > m->now)
        m->now = now;
    if ((uint32_t)d > e->last)
        e->last = (uint32_t)d;
    e->dirty = true;
    return e;
}

void messages_memo_known(mc_messages *m, uint64_t mix, mc_str host, mc_str program, mc_str queue_id, const mc_time *t,
                         bool *fast, bool *same)
{
    /* The entry the memo names, and the clock, as they were: memo_known
     * changes them (its answer), then they are put back for lookup, and
     * again at the end (a time asked far ahead would hold the clock). */
    const memo_slot *memo = &m->memo[mix >> (64 - MEMO_BITS)];
    msg_entry *held = memo->pos1 ? entry_at(m, memo->pos1 - 1) : NULL;
    unsigned char before[sizeof(msg_entry)] = {0}, after[sizeof(msg_entry)] = {0};
    if (held)
        memcpy(before, held, sizeof before);
    int64_t now_before = m->now;
    bool unmemoed = false;
    msg_entry *f = memo_known(m, &host, &program, &queue_id, t, mix, &unmemoed);
    if (held)
        memcpy(after, held, sizeof after);
    int64_t now_fast = m->now;
    if (held)
        memcpy(held, before, sizeof before);
    m->now = now_before;
    msg_entry *g = lookup(m, &host, &program, &queue_id, t, NULL, mix);
    *fast = f != NULL;
    /* An answer: the lookup's entry, left as the lookup leaves it; none:
     * nothing changed. */
    if (f)
        *same = f == held && g == f && memcmp(g, after, sizeof after) == 0 && m->now == now_fast;
    else
        *same = memcmp(before, after, sizeof before) == 0 && now_fast == now_before;
    if (held)
        memcpy(held, before, sizeof before);
    m->now = now_before;
}

/* Removes the message of a slot, shifting its chain back so that lookups
 * still find every other key (deletion without tombstones).  Inlined in
 * its two callers: an ended message (every Exim Completed, Postfix's
 * removed) paid the call and six registers saved. */
static inline __attribute__((always_inline)) void remove_entry(mc_messages *m, size_t i)
{
    msg_entry *e = entry_at(m, slot_pos1(m->slots[i]) - 1);
    note_gone(m, e);
    entry_release(m, e, slot_pos1(m->slots[i]) - 1);
    m->n--;
    /* Slot i is the hole: each message moved back fills it and leaves its
     * own; the last hole is emptied with its bit. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & (m->n_slots - 1);
        if (m->slots[j] == 0) {
            slot_clear(m, i);
            return;
        }
        size_t home = (size_t)(m->slots[j] >> 32) & (m->n_slots - 1);
        /* Moves back when its home is not cyclically in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays)
            continue;
        m->slots[i] = m->slots[j];
        i = j;
    }
}

/* strnlen(p, n), its definition, 16 bytes a step for n of 16 or more
 * (the last step the last 16 bytes), no call: a sender is 15 to 40
 * bytes (docs/BENCHMARKS.md, exfact29). */
static inline size_t sender_len(const char *p, size_t n)
{
#if defined(__SSE2__)
    if (n >= 16) {
        const __m128i zero = _mm_setzero_si128();
        size_t i = 0;
        for (; i + 16 <= n; i += 16) {
            unsigned nul = (unsigned)_mm_movemask_epi8(
                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), zero));
            if (nul)
                return i + (size_t)__builtin_ctz(nul);
        }
        if (i < n) {
            /* The last 16 bytes: those before i hold no NUL (read above). */
            unsigned nul = (unsigned)_mm_movemask_epi8(
                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + n - 16)), zero));
            if (nul)
                return n - 16 + (size_t)__builtin_ctz(nul);
        }
        return n;
    }
#endif
    return strnlen(p, n);
}

/* keep_sender's copy, once a message: out of line, so that its callers
 * keep only the test (most calls: a sender already known). */
static __attribute__((noinline)) void keep_new_sender(const mc_messages *m, msg_entry *e, mc_str sender)
{
    /* Read back as a C string (messages_export, an outcome's fill): kept
     * to the length strlen gives it, so the fill need not count it. */
    entry_set_sender(m, e, sender.p, sender_len(sender.p, sender.n));
}

/* Keeps the sender (a copy) unless it is already known or too long. */
static inline __attribute__((always_inline)) void keep_sender(const mc_messages *m, msg_entry *e, mc_str sender)
{
    if (e->has_sender || sender.p == NULL || sender.n > MAX_ADDRESS)
        return;
    keep_new_sender(m, e, sender);
}

void messages_sender_len(const char *p, size_t n, size_t *fast, size_t *general)
{
    *fast = sender_len(p, n);
    *general = strnlen(p, n);
}

/* Counts a figure once per message: true the first time. */
static bool first_time(msg_entry *e, unsigned flag)
{
    if (e->flags & flag)
        return false;
    e->flags |= flag;
    return true;
}

void messages_fact(mc_messages *m, const mc_fact *f, mc_msg_figures *fig) { messages_fact_mixed(m, f, NULL, fig); }

/* messages_fact_mixed's work; general: by lookup alone, the definition
 * (messages_fact_general), else memo_known first and lookup_after_memo. */
static inline __attribute__((always_inline)) void fact_join(mc_messages *m, const mc_fact *f, const uint64_t *mix,
                                                             mc_msg_figures *fig, bool general)
{
    if (f->kind == FACT_NONE || f->queue_id.p == NULL)
        return;
    uint64_t qmix = mix ? *mix : memo_mix(f->queue_id);
    /* One lookup: a removal's creates nothing. */
    msg_entry *e;
    if (general) {
        e = lookup(m, &f->host, &f->program, &f->queue_id, &f->time, f->kind == FACT_REMOVED ? NULL : fig, qmix);
    } else {
        bool unmemoed = false;
        e = memo_known(m, &f->host, &f->program, &f->queue_id, &f->time, qmix, &unmemoed);
        if (e == NULL)
            e = lookup_after_memo(m, &f->host, &f->program, &f->queue_id, &f->time,
                                  f->kind == FACT_REMOVED ? NULL : fig, qmix, unmemoed);
    }
    if (e == NULL)
        return;
    if (f->kind == FACT_REMOVED) {
        remove_entry(m, slot_looked_up(m, qmix));
        return;
    }
    if (f->has_sender)
        keep_sender(m, e, f->sender);
    bool fresh_size = f->size >= 0 && entry_size(e) < 0;
    if (f->size >= 0)
        entry_set_size(m, e, f->size);
    switch (f->kind) {
    case FACT_RECEIVED:
        if (!(e->flags & M_GENERATED) && first_time(e, M_RECEIVED))
            fig->received++;
        break;
    case FACT_GENERATED:
        if (first_time(e, M_GENERATED))
            fig->generated++;
        break;
    default:
        break;
    }
    /* Bytes received: a received message's size, once, whichever line
     * (Exim's <=, Postfix qmgr's from=) brings it. */
    if (fresh_size && (e->flags & M_RECEIVED))
        fig->bytes_received += (uint64_t)entry_size(e);
}

void messages_fact_mixed(mc_messages *m, const mc_fact *f, const uint64_t *mix, mc_msg_figures *fig)
{
    fact_join(m, f, mix, fig, false);
}

void messages_fact_general(mc_messages *m, const mc_fact *f, mc_msg_figures *fig) { fact_join(m, f, NULL, fig, true); }

/* The status words of outcomes, and the figure each settles. */
static const struct {
    const char *status;
    unsigned flag;
    size_t offset;
} status_figures[] = {
    {"sent", M_DELIVERED, offsetof(mc_msg_figures, delivered)},
    {"deferred", M_DEFERRED, offsetof(mc_msg_figures, deferred)},
    {"bounced", M_BOUNCED, offsetof(mc_msg_figures, bounced)},
    {"expired", M_EXPIRED, offsetof(mc_msg_figures, expired)},
    {"rejected", M_REJECTED, offsetof(mc_msg_figures, rejected)},
};

/* strcmp(s, "other") == 0 without the call (most refusals' stage is
 * another): byte by byte, none read past a NUL of s. */
static inline bool stage_is_other(const char *s)
{
    return s[0] == 'o' && s[1] == 't' && s[2] == 'h' && s[3] == 'e' && s[4] == 'r' && s[5] == '\0';
}

void messages_event(mc_messages *m, mc_event *ev, mc_msg_figures *fig) { messages_event_mixed(m, ev, NULL, fig); }

/* messages_event_mixed's work; general: by lookup alone, the definition
 * (messages_event_general), else memo_known first and lookup_after_memo. */
static inline __attribute__((always_inline)) void event_join(mc_messages *m, mc_event *ev, const uint64_t *mix,
                                                              mc_msg_figures *fig, bool general)
{
    size_t st = 0;
    while (st < sizeof status_figures / sizeof status_figures[0] &&
           !(ev->status.n == strlen(status_figures[st].status) &&
             memcmp(ev->status.p, status_figures[st].status, ev->status.n) == 0))
        st++;
    bool known = st < sizeof status_figures / sizeof status_figures[0];
    if (ev->queue_id.p == NULL || ev->queue_id.n == 0) {
        /* Refused before it had a queue id: each refusal one message, but
         * not a refusal outside the mail transaction (a failed AUTH). */
        if (known && status_figures[st].flag == M_REJECTED && !(ev->stage && stage_is_other(ev->stage)))
            fig->rejected++;
        return;
    }
    uint64_t qmix = mix ? *mix : memo_mix(ev->queue_id);
    msg_entry *e;
    if (general) {
        e = lookup(m, &ev->host, &ev->program, &ev->queue_id, &ev->time, fig, qmix);
    } else {
        bool unmemoed = false;
        e = memo_known(m, &ev->host, &ev->program, &ev->queue_id, &ev->time, qmix, &unmemoed);
        if (e == NULL)
            e = lookup_after_memo(m, &ev->host, &ev->program, &ev->queue_id, &ev->time, fig, qmix, unmemoed);
    }
    if (e == NULL)
        return;
    if (ev->sender.p != NULL)
        keep_sender(m, e, ev->sender);
    else if (e->has_sender) {
        ev->sender = mc_str_make(entry_sender(e), entry_sender_len(e));
        if (!m->no_sender_domain)
            mc_address_domain(ev->sender, ev->sender_domain, sizeof ev->sender_domain);
    }
    if (!known)
        return;
    if (first_time(e, status_figures[st].flag))
        (*(uint64_t *)((char *)fig + status_figures[st].offset))++;
    if (status_figures[st].flag == M_DELIVERED && entry_size(e) > 0)
        fig->bytes_delivered += (uint64_t)entry_size(e);
    if (status_figures[st].flag == M_REJECTED && ev->stage && mc_stage_known(ev->stage, MC_STAGE_ENDS_MESSAGE)) {
        /* The sender view filled from the entry outlives it (until the
         * next call): a copy the table owns, not the entry's released
         * bytes. */
        if (ev->sender.p != NULL && ev->sender.p == entry_sender(e)) {
            memcpy(m->sender_copy, ev->sender.p, ev->sender.n);
            ev->sender.p = m->sender_copy;
        }
        remove_entry(m, slot_looked_up(m, qmix));
    }
}

void messages_event_mixed(mc_messages *m, mc_event *ev, const uint64_t *mix, mc_msg_figures *fig)
{
    event_join(m, ev, mix, fig, false);
}

void messages_event_general(mc_messages *m, mc_event *ev, mc_msg_figures *fig) { event_join(m, ev, NULL, fig, true); }

int64_t messages_clock(const mc_messages *m) { return m->now; }

/* What is kept of a message between runs; its key NUL-ended in kb (the
 * entry's key runs on into its sender). */
static mc_message_state state_of(const mc_messages *m, const msg_entry *e, char kb[MAX_KEY + 1])
{
    memcpy(kb, entry_key(e), entry_key_len(e));
    kb[entry_key_len(e)] = '\0';
    return (mc_message_state){.key = kb, .sender = entry_sender(e), .size = entry_size(e),
                              .first = entry_first(m, e), .last = entry_last(m, e), .flags = e->flags};
}

bool messages_export(const mc_messages *m, mc_message_fn fn, void *ctx)
{
    for (size_t i = 0; i < m->pool_top; i++) {
        const msg_entry *e = entry_at(m, i);
        if (!e->used)
            continue;
        char kb[MAX_KEY + 1];
        mc_message_state st = state_of(m, e, kb);
        if (!fn(&st, ctx))
            return false;
    }
    return true;
}

bool messages_import(mc_messages *m, const mc_message_state *st)
{
    size_t kn = strlen(st->key);
    if (m->n + 1 >= m->capacity || kn == 0 || kn >= sizeof m->keybuf)
        return false;
    if ((m->n + 1) * 2 > m->n_slots)
        grow_index(m);
    uint32_t i = entry_take(m);
    msg_entry *e = entry_at(m, i);
    entry_set_key(m, e, st->key, kn);
    if (st->sender && strlen(st->sender) <= MAX_ADDRESS)
        entry_set_sender(m, e, st->sender, strlen(st->sender));
    entry_set_size(m, e, st->size);
    entry_set_times(m, e, st->first, st->last);
    if (st->last < m->oldest)
        m->oldest = st->last;
    e->flags = (uint8_t)st->flags;
    e->stored = true;
    place(m, i, hash_of(m, st->key, kn));
    m->n++;
    if (st->last > m->now)
        m->now = st->last;
    return true;
}

void messages_reset(mc_messages *m)
{
    for (size_t i = 0; i < m->pool_top; i++) {
        if (entry_at(m, i)->wide)
            free(entry_wide(entry_at(m, i)));
        memset(entry_at(m, i), 0, sizeof(msg_entry));
    }
    slots_clear(m);
    memset(m->memo, 0, sizeof m->memo);
    m->pool_top = 0;
    m->free_head = 0;
    m->n = 0;
    m->now = m->last_sweep = 0;
    m->has_epoch = false;
    second_offset_set(m);
    m->oldest = INT64_MAX;
    messages_changes_saved(m);
}

void messages_track_changes(mc_messages *m) { m->track = true; }

bool messages_changes(const mc_messages *m, mc_message_fn changed, mc_message_gone_fn gone, void *ctx)
{
    for (size_t i = 0; i < m->n_gone; i++)
        if (!gone(m->gone[i], ctx))
            return false;
    for (size_t i = 0; i < m->pool_top; i++) {
        const msg_entry *e = entry_at(m, i);
        if (!e->used || !e->dirty)
            continue;
        char kb[MAX_KEY + 1];
        mc_message_state st = state_of(m, e, kb);
        if (!changed(&st, ctx))
            return false;
    }
    return true;
}

void messages_changes_saved(mc_messages *m)
{
    for (size_t i = 0; i < m->n_gone; i++)
        free(m->gone[i]);
    m->n_gone = 0;
    /* Every message in the table is in the database now: the changed ones
     * were just written, the others before. */
    for (size_t i = 0; i < m->pool_top; i++) {
        msg_entry *e = entry_at(m, i);
        e->dirty = false;
        e->stored = e->used;
    }
}
