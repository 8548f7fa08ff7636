/*
 * reasoncache.c - remembered reason decisions (see reasoncache.h).
 *
 * Up to CACHE_MAX_SLOTS slots, one decision each, in sets of CACHE_WAYS: a
 * key may sit in any slot of its set, and a new one replaces the set's
 * least recently used (one slot per key let two frequent replies that
 * shared it evict each other on every line).
 * The set comes from a hash seeded per cache (reason_cache_hash); the slot
 * keeps a copy of the key bytes, compared in full on every hit, so two
 * replies that share a set or a hash never share an answer.  A detail
 * captured from the text is kept as an offset and rebuilt within the new
 * text, checked against its length.
 */
#include "reasoncache.h"

#include <stdlib.h>
#include <string.h>

/* The table starts small (a report over many small files makes many
 * caches) and grows fourfold while it is half full. */
#define CACHE_FIRST_SLOTS 64
#define CACHE_MAX_SLOTS 16384
#define CACHE_WAYS 4
/* Longer replies are classified every time: they are rare, and the copies
 * kept stay within CACHE_MAX_SLOTS * CACHE_MAX_KEY bytes. */
#define CACHE_MAX_KEY 1024

typedef struct {
    char *key;           /* the exact key bytes; NULL: empty */
    size_t key_len, key_cap;
    uint64_t hash;       /* of the key */
    uint64_t used_at;    /* the cache's clock at its last use (the set's oldest goes first) */
    bool found;          /* a rule fitted */
    mc_reason_hit hit;   /* the whole answer, so a repeated reply runs no pattern */
    bool detail_in_text; /* hit.detail lies at detail_off of the text */
    size_t detail_off;
} cache_slot;

struct mc_reason_cache {
    const mc_reasons *rs;
    uint64_t seed[2];
    uint64_t (*test_hash)(const void *p, size_t n);
    cache_slot *slots;   /* NULL until the first decision is stored */
    size_t n_slots, used;
    uint64_t clock;      /* counts lookups that found a slot and decisions stored */
    size_t hits;         /* lookups answered (reason_cache_hits) */
    mc_buf key;          /* the key of the last lookup */
    uint64_t hash;       /* of that key */
    bool pending;        /* the last lookup missed and may be stored */
};

/* A fresh cache for rule set rs, with its own random hash key. */
mc_reason_cache *reason_cache_new(const mc_reasons *rs)
{
    mc_reason_cache *c = mc_xcalloc(1, sizeof *c);
    c->rs = rs;
    mc_buf_init(&c->key);
    mc_random_key(c->seed, c);
    return c;
}

/* Frees the slots and their key copies. */
static void free_slots(mc_reason_cache *c)
{
    for (size_t i = 0; i < c->n_slots; i++)
        free(c->slots[i].key);
    free(c->slots);
    c->slots = NULL;
    c->n_slots = c->used = 0;
}

/* The slot hash of key bytes under seed (mc_fast_hash).  Not SipHash (a
 * fifth of its instructions, and every failure event hashes its reply):
 * the cache needs keys spread over its sets, not resistance to a crafted
 * collision, which can only make keys share a set of CACHE_WAYS slots and
 * evict each other.  Every hit compares the whole key, so a collision
 * costs the classification the cache would have saved, never an answer. */
uint64_t reason_cache_hash(const uint64_t seed[2], const void *p, size_t n) { return mc_fast_hash(seed, p, n); }

/* The slot hash of key bytes. */
static uint64_t slot_hash(const mc_reason_cache *c, const void *p, size_t n)
{
    return c->test_hash ? c->test_hash(p, n) : reason_cache_hash(c->seed, p, n);
}

/* The first slot of the set that holds keys of this hash in a table of n slots. */
static size_t set_of(uint64_t hash, size_t n)
{
    return (size_t)(hash % (n / CACHE_WAYS)) * CACHE_WAYS;
}

/* The slot of set (the first of CACHE_WAYS) a new key takes: an empty one,
 * else the least recently used. */
static cache_slot *victim(cache_slot *set)
{
    cache_slot *v = &set[0];
    for (size_t w = 0; w < CACHE_WAYS && v->key != NULL; w++)
        if (set[w].key == NULL || set[w].used_at < v->used_at)
            v = &set[w];
    return v;
}

/* A table four times larger (CACHE_FIRST_SLOTS at first), keeping what the
 * old one held (the most recently used first where a set overflows). */
static void grow(mc_reason_cache *c)
{
    size_t n = c->slots ? c->n_slots * 4 : CACHE_FIRST_SLOTS;
    cache_slot *slots = mc_xcalloc(n, sizeof *slots);
    size_t used = 0;
    for (size_t i = 0; i < c->n_slots; i++) {
        cache_slot *old = &c->slots[i];
        if (old->key == NULL)
            continue;
        cache_slot *to = victim(&slots[set_of(old->hash, n)]);
        if (to->key == NULL)
            used++;
        else if (to->used_at > old->used_at)
            continue; /* the set is full of newer keys: this one is dropped */
        free(to->key);
        *to = *old;
        old->key = NULL;
    }
    free_slots(c);
    c->slots = slots;
    c->n_slots = n;
    c->used = used;
}

/* Frees the cache and its key copies. */
void reason_cache_free(mc_reason_cache *c)
{
    if (c == NULL)
        return;
    free_slots(c);
    mc_buf_free(&c->key);
    free(c);
}

/* Test hook: a chosen slot hash instead of the keyed one. */
void reason_cache_set_hash(mc_reason_cache *c, uint64_t (*hash)(const void *p, size_t n))
{
    c->test_hash = hash;
}

/* The key bytes of a reply: code NUL enhanced NUL class, then whether
 * there is a text at all (and whether it was shortened), then the text. */
static void build_key(mc_buf *b, const char *code, const char *enhanced, mc_class klass, mc_str text,
                      bool shortened)
{
    size_t cn = code ? strlen(code) : 0, en = enhanced ? strlen(enhanced) : 0;
    size_t n = cn + 1 + en + 1 + 2 + (text.p ? text.n : 0);
    mc_buf_reset(b);
    char *k = mc_buf_room(b, n);
    memcpy(k, code ? code : "", cn + 1);
    memcpy(k + cn + 1, enhanced ? enhanced : "", en + 1);
    k += cn + 1 + en + 1;
    *k++ = (char)klass;
    *k++ = text.p ? (shortened ? 's' : 't') : 'n';
    if (text.p)
        memcpy(k, text.p, text.n);
    b->len = n;
}

/* The slot holding the last lookup's key, or NULL. */
static cache_slot *find_slot(mc_reason_cache *c)
{
    cache_slot *set = &c->slots[set_of(c->hash, c->n_slots)];
    for (size_t w = 0; w < CACHE_WAYS; w++) {
        cache_slot *slot = &set[w];
        if (slot->key != NULL && slot->hash == c->hash && slot->key_len == c->key.len &&
            memcmp(slot->key, c->key.data, c->key.len) == 0)
            return slot;
    }
    return NULL;
}

/* Looks the reply up; see reasoncache.h. */
bool reason_cache_get(mc_reason_cache *c, const mc_reasons *rs, const char *code, const char *enhanced,
                      mc_class klass, mc_str text, bool shortened, bool *found, mc_reason_hit *hit)
{
    c->pending = false;
    if (rs != c->rs || (text.p && text.n > CACHE_MAX_KEY))
        return false;
    build_key(&c->key, code, enhanced, klass, text, shortened);
    c->hash = slot_hash(c, c->key.data, c->key.len);
    c->pending = true;
    if (c->slots == NULL)
        return false;
    cache_slot *slot = find_slot(c);
    if (slot == NULL)
        return false;
    slot->used_at = ++c->clock;
    c->hits++;
    if (slot->detail_in_text && (text.p == NULL || slot->detail_off > text.n ||
                                 slot->hit.detail.n > text.n - slot->detail_off))
        return false; /* cannot happen for equal keys; never read past the text */
    *found = slot->found;
    *hit = slot->hit;
    if (slot->detail_in_text)
        hit->detail = mc_str_make(text.p + slot->detail_off, slot->hit.detail.n);
    return true;
}

/* Stores the decision for the last miss; see reasoncache.h. */
void reason_cache_put(mc_reason_cache *c, bool found, const mc_reason_hit *hit, mc_str text)
{
    if (!c->pending)
        return;
    c->pending = false;
    if (c->slots == NULL || (c->used >= c->n_slots / 2 && c->n_slots < CACHE_MAX_SLOTS))
        grow(c);
    cache_slot *slot = victim(&c->slots[set_of(c->hash, c->n_slots)]);
    if (slot->key == NULL)
        c->used++;
    if (slot->key_cap < c->key.len) {
        slot->key = mc_xrealloc(slot->key, c->key.len);
        slot->key_cap = c->key.len;
    }
    memcpy(slot->key, c->key.data, c->key.len);
    slot->key_len = c->key.len;
    slot->hash = c->hash;
    slot->used_at = ++c->clock;
    slot->found = found;
    slot->hit = *hit;
    slot->detail_in_text = hit->detail.p && text.p && hit->detail.p >= text.p &&
                           hit->detail.p + hit->detail.n <= text.p + text.n;
    slot->detail_off = slot->detail_in_text ? (size_t)(hit->detail.p - text.p) : 0;
}

/* Lookups answered so far (a test hook). */
size_t reason_cache_hits(const mc_reason_cache *c)
{
    return c->hits;
}
