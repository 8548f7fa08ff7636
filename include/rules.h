/*
 * rules.h - everything loaded from the rules/ directory, in one place.
 *
 * Where the rules are: --rules DIR, else $MAILCODES_RULES, else the source
 * tree's rules/ when the binary runs from its build directory, else the
 * installed copy (datadir/mailcodes/rules).
 */
#ifndef MC_RULES_H
#define MC_RULES_H

#include "knowledge.h"
#include "mtawarn.h"
#include "parse.h"
#include "reasons.h"

typedef struct {
    char *dir;
    mc_knowledge knowledge;
    mc_parse_rules parse;
    mc_reasons reasons;
    mc_warn_rules warnings; /* the [@warnings] sections of the MTA files */
} mc_rules;

/* Picks the directory as described above (explicit may be NULL). */
const char *rules_default_dir(const char *explicit_dir);

/* Loads all rules; false with "FILE:LINE: ..." in err. */
bool rules_load(mc_rules *r, const char *dir, char *err, size_t errlen);
void rules_free(mc_rules *r);

#endif
