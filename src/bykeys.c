/*
 * bykeys.c - the table of --by dimensions (see bykeys.h).
 */
#include "bykeys.h"

#include <string.h>

static const mc_by_key keys[] = {
    {"mta", DIM_MTA, "mta", 7},
    {"host", DIM_HOST, "host", 16},
    /* The contract's direction is outbound or inbound: our own local
     * deliveries (stored as "local", see parse.c) are outbound mail. */
    {"direction", DIM_DIRECTION, "CASE direction WHEN 'local' THEN 'outbound' ELSE direction END", 9},
    /* The report's section: local, outbound or inbound. */
    {"section", DIM_DIRECTION, "direction", 9},
    {"status", DIM_STATUS, "status", 9},
    {"stage", DIM_STAGE, "stage", 11},
    {"code", DIM_CODE, "code", 4},
    {"enhanced", DIM_ENHANCED, "enhanced", 8},
    {"class", DIM_CLASS, "class", 12},
    {"reason", DIM_REASON, "reason", 20},
    {"domain", DIM_DOMAIN, "domain", 24},
    {"relay", DIM_RELAY, "relay", 28},
    {"client", DIM_CLIENT, "client", 28},
    {"sender", DIM_SENDER, "sender", 32},
    {"sender_domain", DIM_SENDER_DOMAIN, "sender_domain", 24},
    {"recipient", DIM_RECIPIENT, "recipient", 32},
    /* both read the hour bucket: a day is its first ten characters */
    {"day", DIM_HOUR, "substr(hour, 1, 10)", 10},
    {"hour", DIM_HOUR, "CASE WHEN hour = '' THEN '' ELSE hour || ':00' END", 16},
};

/* Linear: eighteen keys, looked up once per report column. */
const mc_by_key *by_key_find(const char *name)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].key, name) == 0)
            return &keys[i];
    return NULL;
}

/* The i-th key of the table. */
const mc_by_key *by_key_at(size_t i) { return i < sizeof keys / sizeof keys[0] ? &keys[i] : NULL; }

/* How many keys there are. */
size_t by_key_count(void) { return sizeof keys / sizeof keys[0]; }

/* The dimensions of the delays table (store.c), a bit per mc_dim. */
#define DELAY_DIMS                                                                                   \
    ((1u << DIM_HOUR) | (1u << DIM_MTA) | (1u << DIM_HOST) | (1u << DIM_DIRECTION) |                 \
     (1u << DIM_STATUS) | (1u << DIM_CLASS) | (1u << DIM_DOMAIN) | (1u << DIM_RELAY))

/* Whether the delays table can be grouped by k. */
bool by_key_has_delays(const mc_by_key *k) { return k != NULL && (DELAY_DIMS & (1u << k->dim)) != 0; }
