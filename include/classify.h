/*
 * classify.h - the third stage: give an event its class, conflict flag,
 * reason and hardness, using rules/reasons.conf, rules/blocklists.conf and
 * the code knowledge.
 *
 * reasons.conf holds two things in one ordered list of sections:
 *   [user-unknown]            a reason: label, family, hard, advice, and
 *                             (optionally) its first rule
 *   [user-unknown/gmail]      one more rule for that reason, at its place
 *                             in the order; may carry its own detail and
 *                             advice (a provider's reply, say)
 * Rules are tried in file order and the first that fits wins.
 */
#ifndef MC_CLASSIFY_H
#define MC_CLASSIFY_H

#include "event.h"
#include "knowledge.h"
#include "patterns.h"

/* A reason of the taxonomy (one per [name] section). */
typedef struct {
    char *name;          /* user-unknown, greylisted, ... */
    char *label;         /* short human name */
    char *family;        /* the coarse reason it belongs to (itself when not set) */
    char *advice;        /* what to do, whatever the detail */
    bool hard;           /* the address itself is dead */
    double weight;       /* how much it matters in triage (1: as its class says) */
} mc_reason;

/* A named blocklist from rules/blocklists.conf. */
typedef struct {
    char *name;          /* canonical: "Spamhaus ZEN", "Barracuda BRBL" */
    char *advice;        /* the delisting procedure, in words */
    mc_pattern *patterns;
    size_t n_patterns;
} mc_blocklist;

/* One rule: conditions that, when they fit, give a reason. */
typedef struct {
    char *id;            /* section name: "blocklisted", "rate-limited/yahoo-tss04" */
    size_t reason;       /* index into mc_reasons.reasons */
    char *detail;        /* fixed detail, e.g. "Yahoo TSS04"; NULL: list or (?<detail>) */
    char *advice;        /* advice for this rule's detail, or NULL */
    char **codes;        /* basic-code prefixes ("55", "550"); empty: any */
    size_t n_codes;
    char **enhanced;     /* enhanced codes, X allowed for the class; empty: any */
    size_t n_enhanced;
    mc_pattern *patterns;/* any one matching the text is enough */
    size_t n_patterns;
    mc_pattern *require; /* all of these must match (a cheap gate: the provider's name) */
    size_t n_require;
    mc_pattern *unless;  /* none of these may match */
    size_t n_unless;
    int klass_mask;      /* bit per mc_class this rule may apply to; 0 = any */
    bool by_code_alone;  /* codes/enhanced alone suffice, without a text match */
    bool lists;          /* a blocklist named in the text also fits, and names the detail */
} mc_reason_rule;

typedef struct {
    mc_reason *reasons;
    size_t n_reasons;
    mc_reason_rule *rules;
    size_t n_rules;
    mc_blocklist *lists;
    size_t n_lists;
    /* [@reply] in reasons.conf: where a pasted reply's code is, when no MTA
     * rule finds it (explain). */
    mc_pattern *replies;
    size_t n_replies;
    unsigned long generation; /* tells one loaded rule set from another (cache) */
    mc_litset *literals;      /* prefilter over every pattern above */
} mc_reasons;

/* What a classification found. */
typedef struct {
    const mc_reason *reason;     /* NULL: no reason fits */
    const mc_reason_rule *rule;
    mc_str detail;               /* a view of a rules string or of the text */
    const char *detail_advice;   /* the list's delisting or the rule's own advice; NULL */
} mc_reason_hit;

bool reasons_load(mc_reasons *rs, const char *dir, char *err, size_t errlen);
void reasons_free(mc_reasons *rs);
const mc_reason *reasons_find(const mc_reasons *rs, const char *name);
/* The advice that goes with a detail as stored with an event (a list's
 * delisting procedure, a provider rule's advice), or NULL. */
const char *reasons_detail_advice(const mc_reasons *rs, const char *reason, mc_str detail);
/* The family (coarse reason) of a reason name; the name itself when unknown. */
const char *reasons_family(const mc_reasons *rs, const char *name);

/* Fills klass, conflict, reason, reason_detail and hard. */
void classify_event(const mc_knowledge *k, const mc_reasons *rs, mc_matcher *m, mc_event *ev);

/* Class of a code pair alone (explain): code first, then enhanced. */
mc_class classify_codes(const char *code, const char *enhanced);

/* The first rule that fits a code pair and a text; false when none does.
 * klass CLASS_UNKNOWN (a text without a code) lets every rule's class fit. */
bool classify_reason_hit(const mc_reasons *rs, mc_matcher *m, const char *code, const char *enhanced,
                         mc_class klass, mc_str text, mc_reason_hit *hit);
/* The same, reduced to the reason and its detail. */
const mc_reason *classify_reason(const mc_reasons *rs, mc_matcher *m, const char *code,
                                 const char *enhanced, mc_class klass, mc_str text, mc_str *detail);

#endif
