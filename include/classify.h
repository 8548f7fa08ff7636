/*
 * classify.h - the third stage: give an event its class, conflict flag,
 * reason and hardness, using rules/reasons.conf and the code knowledge.
 */
#ifndef MC_CLASSIFY_H
#define MC_CLASSIFY_H

#include "event.h"
#include "knowledge.h"
#include "patterns.h"

typedef struct {
    char *name;          /* user-unknown, greylisted, ... */
    char *label;         /* short human name */
    char *advice;
    char *detail;        /* fixed detail, e.g. a list's name; NULL: (?<detail>) group */
    char **codes;        /* basic-code prefixes ("55", "550"); empty: any */
    size_t n_codes;
    char **enhanced;     /* enhanced codes, X allowed for the class; empty: any */
    size_t n_enhanced;
    mc_pattern *patterns;/* any one matching the text is enough */
    size_t n_patterns;
    int klass_mask;      /* bit per mc_class this reason may apply to; 0 = any */
    bool hard;           /* the address itself is dead */
    bool by_code_alone;  /* codes/enhanced alone suffice, without a text match */
} mc_reason;

typedef struct {
    mc_reason *reasons;
    size_t n_reasons;
} mc_reasons;

bool reasons_load(mc_reasons *rs, const char *dir, char *err, size_t errlen);
void reasons_free(mc_reasons *rs);
const mc_reason *reasons_find(const mc_reasons *rs, const char *name);

/* Fills klass, conflict, reason, reason_detail and hard. */
void classify_event(const mc_knowledge *k, const mc_reasons *rs, mc_matcher *m, mc_event *ev);

/* Class of a code pair alone (explain): code first, then enhanced. */
mc_class classify_codes(const char *code, const char *enhanced);

/* The first reason whose rules fit a code pair and a text (explain). */
const mc_reason *classify_reason(const mc_reasons *rs, mc_matcher *m, const char *code,
                                 const char *enhanced, mc_class klass, mc_str text, mc_str *detail);

#endif
