/*
 * classify.h - the third stage: give an event its class, conflict flag,
 * reason and hardness, using the reason rules (reasons.h) and the code
 * knowledge (knowledge.h).  Rules are tried in file order and the first
 * that fits wins.
 */
#ifndef MC_CLASSIFY_H
#define MC_CLASSIFY_H

#include "event.h"
#include "knowledge.h"
#include "patterns.h"
#include "reasons.h"

/* What a classification found. */
typedef struct {
    const mc_reason *reason;     /* NULL: no reason fits */
    const mc_reason_rule *rule;
    mc_str detail;               /* a view of a rules string or of the text */
    const char *detail_advice;   /* the list's delisting or the rule's own advice; NULL */
} mc_reason_hit;


/* Remembered decisions, owned by the caller (reasoncache.h). */
typedef struct mc_reason_cache mc_reason_cache;

/* Fills klass, conflict, reason, reason_detail and hard.  cache may be
 * NULL (every reply classified afresh). */
void classify_event(const mc_knowledge *k, const mc_reasons *rs, mc_matcher *m, mc_reason_cache *cache,
                    mc_event *ev);

/* Class of a code pair alone (explain): code first, then enhanced. */
mc_class classify_codes(const char *code, const char *enhanced);

/* The first rule that fits a code pair and a text; false when none does.
 * klass CLASS_UNKNOWN (a text without a code) lets every rule's class fit. */
bool classify_reason_hit(const mc_reasons *rs, mc_matcher *m, mc_reason_cache *cache, const char *code,
                         const char *enhanced, mc_class klass, mc_str text, mc_reason_hit *hit);
/* The same, reduced to the reason and its detail. */
const mc_reason *classify_reason(const mc_reasons *rs, mc_matcher *m, mc_reason_cache *cache, const char *code,
                                 const char *enhanced, mc_class klass, mc_str text, mc_str *detail);

#endif
