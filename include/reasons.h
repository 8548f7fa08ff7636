/*
 * reasons.h - the reason taxonomy and the rules that give reasons
 * (rules/reasons.conf), and the named blocklists (rules/blocklists.conf).
 *
 * reasons.conf holds two things in one ordered list of sections:
 *   [user-unknown]            a reason: label, family, hard, advice, and
 *                             (optionally) its first rule
 *   [user-unknown/gmail]      one more rule for that reason, at its place
 *                             in the order; may carry its own detail and
 *                             advice (a provider's reply, say)
 */
#ifndef MC_REASONS_H
#define MC_REASONS_H

#include <stdbool.h>
#include <stdint.h>

#include "patterns.h"
#include "util.h"

/* A reason of the taxonomy (one per [name] section). */
typedef struct {
    char *name;          /* user-unknown, greylisted, ... */
    char *label;         /* short human name */
    char *family;        /* the coarse reason it belongs to (itself when not set) */
    char *advice;        /* what to do, whatever the detail: the sender's voice
                            (our mail was refused: what we fix) */
    char *receiver_advice; /* the receiver's voice (our server refused someone:
                            was it intended, which setting, how to let a
                            legitimate sender through) */
    char *receiver_label; /* the title in the receiver's voice (inbound problems) */
    char *local_label;   /* the local voice (our own deliveries on this host failed:
                            permissions, disk, quota, the mailbox path, the pipe
                            command): the title; NULL: label */
    char *local_advice;  /* the advice in that voice; NULL: advice */
    const char *only;    /* "outbound" / "inbound": happens in that direction
                            only (its other voice is absent); NULL: both */
    bool hard;           /* the address itself is dead */
    double weight;       /* how much it matters in triage (1: as its class says) */
    double receiver_weight; /* the same when our server refused someone; < 0: weight */
    double brute_force;  /* inbound events per client from which a problem is an
                            attack from a few clients (severity x2); 0: never */
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
    mc_litset *literals;      /* prefilter over every pattern above */
    /* Which rules a reply may fit, by the literals it holds (built with the
     * prefilter; NULL without it): rules_always (rule_words words) has a
     * bit per rule that may fit whatever the literals, lit_rules
     * (rule_words words per literal id) a bit per rule that literal lets
     * in.  A rule with neither bit set provably cannot fit.  rules_by_code
     * has a bit per by_code_alone rule not in rules_always: it may also
     * fit by its codes, so a reply whose codes it lists lets it in. */
    uint64_t *rules_always;
    uint64_t *lit_rules;
    uint64_t *rules_by_code;
    size_t rule_words;
    /* The rules_by_code rules each code lets in, so a miss asks a table
     * instead of every rule's code lists (built with the prefilter):
     * code_rules (rule_words words per basic code 200-599) and, for the
     * enhanced codes the rules list in plain digits, enh_keys (sorted,
     * class * 1000000 + subject * 1000 + detail) with enh_rules (rule_words
     * words each).  A code written otherwise is checked rule by rule. */
    uint64_t *code_rules;
    uint32_t *enh_keys;
    uint64_t *enh_rules;
    size_t n_enh;
} mc_reasons;

/* The row of a basic code in code_rules (0 for "200"), -1 for none, -2
 * for a code written otherwise than as 3 digits from 200 to 599. */
long reasons_code_row(const char *code);
/* The row of an enhanced code in enh_keys, -1 for none or one no
 * rules_by_code rule lists, -2 for one written otherwise than in plain digits. */
long reasons_enh_row(const mc_reasons *rs, const char *enhanced);

/* Loads reasons.conf and blocklists.conf from dir; prefilter false runs
 * every pattern (see rules.c).  false with FILE:LINE in err. */
bool reasons_load(mc_reasons *rs, const char *dir, bool prefilter, char *err, size_t errlen);
void reasons_free(mc_reasons *rs);
const mc_reason *reasons_find(const mc_reasons *rs, const char *name);
/* The advice that goes with a detail as stored with an event (a list's
 * delisting procedure, a provider rule's advice), or NULL. */
const char *reasons_detail_advice(const mc_reasons *rs, const char *reason, mc_str detail);
/* The family (coarse reason) of a reason name; the name itself when unknown. */
const char *reasons_family(const mc_reasons *rs, const char *name);

#endif
