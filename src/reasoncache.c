/*
 * reasoncache.c - remembered reason decisions (see reasoncache.h).
 *
 * Up to CACHE_MAX_SLOTS slots, one decision each, the newest replacing the
 * old.
 * The slot comes from a keyed hash (SipHash-1-3, key drawn per cache), so
 * log text cannot aim at one slot; the slot keeps a copy of the key bytes,
 * compared in full on every hit, so two replies that share a slot or a
 * hash never share an answer.  A detail captured from the text is kept as
 * an offset and rebuilt within the new text, checked against its length.
 */
#include "reasoncache.h"

#include <stdlib.h>
#include <string.h>

/* The table starts small (a report over many small files makes many
 * caches) and grows fourfold while it is half full. */
#define CACHE_FIRST_SLOTS 64
#define CACHE_MAX_SLOTS 4096
/* Longer replies are classified every time: they are rare, and the copies
 * kept stay within CACHE_MAX_SLOTS * CACHE_MAX_KEY bytes. */
#define CACHE_MAX_KEY 1024

typedef struct {
    char *key;           /* the exact key bytes; NULL: empty */
    size_t key_len, key_cap;
    bool found;          /* a rule fitted */
    mc_reason_hit hit;   /* the whole answer, so a repeated reply runs no pattern */
    bool detail_in_text; /* hit.detail lies at detail_off of the text */
    size_t detail_off;
} cache_slot;

struct mc_reason_cache {
    const mc_reasons *rs;
    uint64_t sip_key[2];
    uint64_t (*test_hash)(const void *p, size_t n);
    cache_slot *slots;   /* NULL until the first decision is stored */
    size_t n_slots, used;
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
    mc_random_key(c->sip_key, c);
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

/* The slot hash of key bytes. */
static uint64_t slot_hash(const mc_reason_cache *c, const void *p, size_t n)
{
    return c->test_hash ? c->test_hash(p, n) : mc_siphash13(c->sip_key, p, n);
}

/* A table four times larger (CACHE_FIRST_SLOTS at first), keeping what the
 * old one held where it does not collide. */
static void grow(mc_reason_cache *c)
{
    size_t n = c->slots ? c->n_slots * 4 : CACHE_FIRST_SLOTS;
    cache_slot *slots = mc_xcalloc(n, sizeof *slots);
    size_t used = 0;
    for (size_t i = 0; i < c->n_slots; i++) {
        cache_slot *old = &c->slots[i];
        if (old->key == NULL)
            continue;
        cache_slot *to = &slots[slot_hash(c, old->key, old->key_len) % n];
        if (to->key == NULL)
            used++;
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
 * there is a text at all, then the text. */
static void build_key(mc_buf *b, const char *code, const char *enhanced, mc_class klass, mc_str text)
{
    mc_buf_reset(b);
    mc_buf_add(b, code ? code : "", code ? strlen(code) + 1 : 1);
    mc_buf_add(b, enhanced ? enhanced : "", enhanced ? strlen(enhanced) + 1 : 1);
    mc_buf_addc(b, (char)klass);
    mc_buf_addc(b, text.p ? 't' : 'n');
    if (text.p)
        mc_buf_add(b, text.p, text.n);
}

/* Looks the reply up; see reasoncache.h. */
bool reason_cache_get(mc_reason_cache *c, const mc_reasons *rs, const char *code, const char *enhanced,
                      mc_class klass, mc_str text, bool *found, mc_reason_hit *hit)
{
    c->pending = false;
    if (rs != c->rs || (text.p && text.n > CACHE_MAX_KEY))
        return false;
    build_key(&c->key, code, enhanced, klass, text);
    c->hash = slot_hash(c, c->key.data, c->key.len);
    c->pending = true;
    if (c->slots == NULL)
        return false;
    const cache_slot *slot = &c->slots[c->hash % c->n_slots];
    if (slot->key == NULL || slot->key_len != c->key.len || memcmp(slot->key, c->key.data, c->key.len) != 0)
        return false;
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
    cache_slot *slot = &c->slots[c->hash % c->n_slots];
    if (slot->key == NULL)
        c->used++;
    if (slot->key_cap < c->key.len) {
        slot->key = mc_xrealloc(slot->key, c->key.len);
        slot->key_cap = c->key.len;
    }
    memcpy(slot->key, c->key.data, c->key.len);
    slot->key_len = c->key.len;
    slot->found = found;
    slot->hit = *hit;
    slot->detail_in_text = hit->detail.p && text.p && hit->detail.p >= text.p &&
                           hit->detail.p + hit->detail.n <= text.p + text.n;
    slot->detail_off = slot->detail_in_text ? (size_t)(hit->detail.p - text.p) : 0;
}
