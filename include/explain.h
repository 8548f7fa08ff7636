/*
 * explain.h - the knowledge pages: `explain CODE | C.S.D | "REPLY"` and
 * `compare A B`, in text or JSON.
 */
#ifndef MC_EXPLAIN_H
#define MC_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "rules.h"

/* Returns an exit code; unknown input is a usage error (1). */
int explain_write(const mc_rules *rules, const char *input, bool json, const char *lang, FILE *out);
int compare_write(const mc_rules *rules, const char *a, const char *b, bool json, const char *lang, FILE *out);

#endif
