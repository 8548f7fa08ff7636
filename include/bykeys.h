/*
 * bykeys.h - the dimensions a report can count by (--by KEYS): one table
 * says, for each key, the aggregate dimension it reads, the store column
 * (an SQL expression of our own, never user text) and the width of its
 * text column.
 */
#ifndef MC_BYKEYS_H
#define MC_BYKEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "aggregate.h"

/* At most this many --by keys in one report (there are fewer keys). */
#define MC_MAX_KEYS 16

typedef struct {
    const char *key;     /* as on the command line and in JSON */
    mc_dim dim;          /* what the aggregate must keep for it */
    const char *column;  /* the store's expression for it */
    int width;           /* columns in a text table */
} mc_by_key;

/* The key called name, or NULL. */
const mc_by_key *by_key_find(const char *name);
/* The i-th key (i < by_key_count()), in the order help texts list them. */
const mc_by_key *by_key_at(size_t i);
size_t by_key_count(void);
/* Whether delays are kept by this key (the store's delays table has its
 * column): hour, day, mta, host, direction, section, status, class,
 * domain, relay. */
bool by_key_has_delays(const mc_by_key *k);

#endif
