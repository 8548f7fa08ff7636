/*
 * reasoncache.h - remembered reason decisions, owned by their caller.
 *
 * Logs repeat the same replies (the same deferral for every message to one
 * host), and trying every reason rule costs tens of microseconds.  A cache
 * belongs to one caller (one per stream, like the parser) and to one rule
 * set; it maps the exact bytes of (code, enhanced, class, text) to the
 * decision.  A hit compares those bytes, so a cache can make a decision
 * faster but never different.  The text is the one the rules read
 * (classify.c's copy with addresses masked), so replies that differ only
 * in an address share a decision: the rules cannot tell them apart either.
 */
#ifndef MC_REASONCACHE_H
#define MC_REASONCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"

/* A cache for decisions under rule set rs (which must outlive it). */
mc_reason_cache *reason_cache_new(const mc_reasons *rs);
void reason_cache_free(mc_reason_cache *c);

/* Looks a reply up.  true: *found and *hit are the remembered decision
 * (a detail in the text is rebuilt as a view of this text).  false: not
 * remembered; the next reason_cache_put stores the decision for it.
 * shortened is part of the key: the text is shorter than the reply it
 * stands for (classify.c removed a joined reply's repeated codes). */
bool reason_cache_get(mc_reason_cache *c, const mc_reasons *rs, const char *code, const char *enhanced,
                      mc_class klass, mc_str text, bool shortened, bool *found, mc_reason_hit *hit);
/* Remembers the decision for the reply of the last reason_cache_get miss
 * (the caller stores only decisions that follow from the key alone). */
void reason_cache_put(mc_reason_cache *c, bool found, const mc_reason_hit *hit, mc_str text);

/* The slot hash under a cache's random seed (exposed for its test). */
uint64_t reason_cache_hash(const uint64_t seed[2], const void *p, size_t n);
/* Test hook: replaces the keyed slot hash (a constant one makes every
 * reply collide, which must not change a single answer). */
void reason_cache_set_hash(mc_reason_cache *c, uint64_t (*hash)(const void *p, size_t n));
/* Test hook: how many lookups the cache answered. */
size_t reason_cache_hits(const mc_reason_cache *c);

#endif
