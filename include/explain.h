/*
 * explain.h - the knowledge pages: `explain CODE | C.S.D | "REPLY"` and
 * `compare A B`, in text or JSON, in the languages of rules/lang/.
 */
#ifndef MC_EXPLAIN_H
#define MC_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "classify.h"
#include "rules.h"

/* Returns an exit code; unknown input is a usage error (1). */
int explain_write(const mc_rules *rules, const char *input, bool json, const char *lang, FILE *out);
int compare_write(const mc_rules *rules, const char *a, const char *b, bool json, const char *lang, FILE *out);

/* How explain reads a pasted reply: its code and enhanced code (the MTAs'
 * [@reply] patterns, then reasons.conf's), its class, and its reason. */
typedef struct {
    char code[4];        /* "" when none */
    char enhanced[12];   /* "" when none */
    mc_class klass;
    mc_reason_hit hit;   /* hit.reason NULL when no reason fits */
} mc_reply_reading;

/* text must be valid UTF-8.  False when nothing at all was recognised. */
bool explain_read_reply(const mc_rules *rules, mc_matcher *m, const char *text, mc_reply_reading *out);

#endif
