/*
 * parse.h - turn one log line into at most one event, using the MTA line
 * rules of rules/mta/<mta>.conf (postfix.conf, exim.conf, ...).
 *
 * Which MTA wrote a line is decided per line from its syslog program, so a
 * central syslog stream may mix Postfix and Exim.
 */
#ifndef MC_PARSE_H
#define MC_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "factread.h"
#include "lineread.h"
#include "logline.h"
#include "patterns.h"

#define MC_MAX_DAEMONS 64

/* Literals one of which a text must hold before a pattern runs (an
 * any-of gate): their texts and lengths for lit_in; their ids in the MTA's
 * literal set, and the same as a mask of that set's scan (NULL where the
 * set is not scanned).  n == 0: no gate, the pattern always runs. */
typedef struct {
    char **lits;
    size_t *lens;
    uint64_t *bytes;            /* per literal: the kinds of byte it holds (lit_bytes) */
    int *ids;
    uint64_t *mask;
    size_t words;               /* the mask's length */
    size_t n;
} mc_litgate;

typedef struct {
    char *name;                 /* section name, for messages */
    uint64_t daemon_mask;       /* bit i: the MTA's daemons[i]; 0 = any */
    char **literals;
    size_t n_literals;
    size_t *literal_lens;       /* their lengths (no strlen per line) */
    int *literal_ids;           /* the same, as ids in the MTA's literal set */
    int *literal_marker;        /* the same, as the MTA's marker each is, or -1 */
    /* any_literal lines: the message must hold at least one of them (a
     * pattern whose matches need one of several strings, such as Exim's
     * delivery flags => -> >>); none: no such condition. */
    mc_litgate any;
    mc_pattern pat;
    char *direction, *status, *stage;
    char infer[6][4];           /* code by enhanced class digit ('4','5') */
    char infer_code[4];         /* code sent when the line shows none at all */
    char *infer_text;           /* reply text sent when the line shows no message
                                 * (Exim's "Administrative prohibition"), or NULL */
    bool reply, ignore;
    bool retry_skip;            /* tally = retry-skip */
    mc_fact_kind fact;          /* fact = ...: a message fact, not an outcome */
} mc_line_rule;

typedef struct {
    mc_pattern pat;
    char *stage;                /* NULL: map the (?<command>) group */
    /* Literals one of which every match holds, read off the pattern
     * (prefilter_literals_exact): a reply none of them is in, or the line
     * of whose the set's scan found none, does not run it. */
    mc_litgate gate;
} mc_stage_rule;

typedef struct {
    char *name;                 /* "postfix", "exim" */
    char *daemons[MC_MAX_DAEMONS];
    size_t daemon_lens[MC_MAX_DAEMONS]; /* their lengths (no strlen per line) */
    bool daemon_local[MC_MAX_DAEMONS]; /* delivers to this host's own mailboxes */
    size_t n_daemons;
    char **programs;            /* whole program names (exim, exim4) */
    size_t n_programs;
    char **markers;
    size_t *marker_lens;        /* their lengths (no strlen per line) */
    size_t n_markers;
    /* Markers and every rule's literals in one automaton: a line is
     * scanned once instead of once per marker and literal (memmem). */
    mc_litset *literal_set;
    /* Whether parse.c scans the line with the set (many markers and rules:
     * Exim), else one lit_in per literal (few: Postfix).  The stage
     * patterns' literals are in the set only when it is scanned. */
    bool use_set;
    mc_litgate marker_gate;     /* the markers' ids as a mask of the scan (no texts) */
    mc_firstlit *marker_search; /* where the set is not scanned: the markers in one pass */
    /* Where the set is not scanned: the gate literals of the stage rules
     * before the first without a gate (stage_gated of them), in rule
     * order, in one pass: the first literal a reply holds names the first
     * rule whose gate is open (stage_lit_rule), none names stage_gated. */
    mc_firstlit *stage_search;
    size_t *stage_lit_rule;
    size_t n_stage_lits;
    size_t stage_gated;
    int *marker_ids;
    /* Stripped from the start of every message of this MTA before the line
     * rules run (an embedded timestamp or syslog tag); its (?<host>) group,
     * when set, becomes the event's host.  Optional. */
    mc_pattern prefix;
    bool has_prefix;
    /* An outbound event whose message matches this is a delivery to this
     * host's own mailboxes, files or pipes (Exim: => /path, => |command,
     * a local transport): the report's "local" section, like the
     * local_daemons.  Optional. */
    mc_pattern local;
    bool has_local;
    /* local_literal lines: the local pattern runs only on a message that
     * holds one of them (none: it always runs). */
    mc_litgate local_gate;
    /* Lines without any envelope that match one of these are pieces of a
     * multi-line entry the MTA writes (Exim's rejectlog header dump): they
     * are not outcomes and never count as unrecognised. */
    mc_pattern *fragments;
    size_t n_fragments;
    /* Lines without any envelope that match one of these are the MTA's
     * debug output (exim -d): never unrecognised; what follows the match,
     * when a line rule understands it, is an outcome the debug output
     * echoes from the log. */
    mc_pattern *debug;
    size_t n_debug;
    mc_pattern *replies;
    size_t n_replies;
    mc_stage_rule *stages;
    size_t n_stages;
    mc_line_rule *rules;
    size_t n_rules;
    /* Where the set is scanned: which rules a line may match, from the
     * scan (built at load from the rules' literals).  Each rule with a
     * literal is keyed by one of them (its longest), each with only
     * any_literals by every one of those, and the rest are free: a line's
     * candidates are the free rules and the rows of the keys it holds, a
     * superset of the rules whose literals it holds (rule_applies still
     * decides).  rule_row: per literal id, rule_words words (bit i: rule
     * i); rule_keys: the ids that key a rule, as a mask of the scan
     * (rule_key_words words). */
    uint64_t *rule_row;
    uint64_t *rule_free;
    uint64_t *rule_keys;
    size_t rule_words, rule_key_words;
    /* The same for the stage rules where the set is scanned and they are
     * at most 64 (else stage_row is NULL and each gate is asked in turn):
     * per literal id, the stages whose gate holds it (bit i: stage i);
     * the stages without a gate; the ids in some stage's gate, as a mask
     * of the scan (rule_key_words words).  A reply's open gates are the
     * free stages and the rows of the keys found: exactly the gates that
     * gate_open opens. */
    uint64_t *stage_row;
    uint64_t stage_free;
    uint64_t *stage_keys;
    /* Fact rules (fact = received, ...): tried on lines with a fact
     * literal, before and apart from the outcome rules. */
    mc_line_rule *facts;
    size_t n_facts;
} mc_mta_rules;

typedef struct {
    char *key;                  /* as written in rules/stages.conf */
    size_t key_len;             /* its length (no strlen per reply) */
    char *stage;
} mc_command_stage;

typedef struct {
    mc_mta_rules *mtas;
    size_t n_mtas;
    mc_command_stage *commands;
    size_t n_commands;
    bool no_prefilter;          /* MAILCODES_NO_PREFILTER: memmem only */
} mc_parse_rules;

/* Loads stages.conf and every MTA file named in mta_files from dir.
 * prefilter false: lines are matched by memmem only (see rules.c). */
bool parse_rules_load(mc_parse_rules *pr, const char *dir, const char *const *mta_files,
                      size_t n_files, bool prefilter, char *err, size_t errlen);
void parse_rules_free(mc_parse_rules *pr);

typedef enum {
    PARSE_NOTHING = 0,   /* not an outcome (most lines) */
    PARSE_EVENT,         /* *ev is filled (not yet classified) */
    PARSE_UNRECOGNISED,  /* looks like an outcome, no rule understood it */
    PARSE_RETRY_SKIP,    /* a delivery skipped, its retry time not reached */
    PARSE_SKIPPED,       /* the line spent its work budget: counted as skipped */
} mc_parse_result;

/* Work one line may cost across every pattern it meets, in PCRE2
 * match-limit units.  A real line needs a few thousand; a hostile one stops
 * here instead of costing MATCH_LIMIT once per pattern. */
#define MC_LINE_BUDGET 4000000u
/* The first match limit a pattern gets; doubled while the line's budget
 * lasts.  A real line's patterns finish within it, and so must a hand
 * reader's longest line (the readers' tests check it). */
#define MC_FIRST_MATCH_LIMIT 20000u

/* A program name find_mta has seen, and its answer (the MTA, or NULL, and
 * the daemon's index): the parser's memo of the names a log repeats. */
#define MC_PROGRAM_MEMO 16      /* slots, a power of two */
#define MC_PROGRAM_MEMO_LEN 32  /* longer names are looked up every time */
typedef struct {
    char name[MC_PROGRAM_MEMO_LEN];
    size_t n;                   /* 0: an empty slot */
    const mc_mta_rules *mta;
    size_t mi;                  /* mta's index in the rules' mtas */
    int daemon;
} mc_program_memo;

/* The fact rule find_fact_rule chooses on a scanned message, by the
 * scan's bits of the few literals its rules need (fact_choice_init):
 * bit j of rule_of's index is the scan's bit shift[j] of word word[j].
 * k == 0: not so settled. */
#define MC_FACT_CHOICE_LITS 6
#define MC_FACT_CHOICE_SPAN 8
typedef struct {
    uint16_t word[MC_FACT_CHOICE_LITS];  /* where ids[j] is in the scan's words */
    uint8_t shift[MC_FACT_CHOICE_LITS];  /* and its bit there */
    size_t k;
    int8_t rule_of[1 << MC_FACT_CHOICE_LITS]; /* the rule's index in facts, or -1: none */
    /* When the k literals' bits lie in one word within MC_FACT_CHOICE_SPAN
     * bits of each other (Exim's three: ids 98-100): rule_of by those bits
     * as they stand, (found[span_word] >> span_lo) & span_mask, without
     * gathering them bit by bit.  span_mask 0: gathered (fact_chosen_bits). */
    uint16_t span_word;
    uint8_t span_lo, span_mask;
    int8_t rule_of_span[1 << MC_FACT_CHOICE_SPAN];
} mc_fact_choice;

/* A fact rule of a daemon's list as read_fact_rule asks it: the rule,
 * its reader (NULL: none), whether the reader answers first (fact_first)
 * and, where next_first holds, both readers in one call (NULL: none). */
typedef struct {
    const mc_line_rule *rule;
    mc_factread_fn read;
    mc_factread_pair_fn pair;
    bool first;
} mc_fact_entry;

/* The fact rules that may apply to one daemon's lines, in file order. */
typedef struct {
    size_t *idx;
    mc_fact_entry *at; /* per place k: rule idx[k] */
    /* Per place k: the reader of rule idx[k + 1] may answer first, as no
     * line it takes holds rule idx[k]'s literals (qmgr's removed before
     * from=; both rules' readers answer before their literals). */
    bool *next_first;
    size_t n;
} mc_fact_list;

/* Per-stream parsing state: scratch space and year inference. */
typedef struct {
    const mc_parse_rules *rules;
    mc_matcher matcher;
    mc_year_ctx years;
    mc_time last_time;   /* of the last line with a readable stamp */
    mc_buf scratch;      /* decoded journald fields of the current line */
    uint64_t *found;     /* literals of the line's MTA found in it */
    size_t found_words;
    uint64_t *cand;      /* the line rules the line may match (rule_candidates) */
    size_t cand_words;
    bool no_prefilter;   /* MAILCODES_NO_PREFILTER: memmem only */
    /* The line's work budget: patterns run with this match context, whose
     * limit is what is left of the budget. */
    pcre2_match_context *budget_ctx;
    uint32_t line_budget;  /* per line (MC_LINE_BUDGET; a test may lower it) */
    uint32_t budget_left;
    uint64_t line_work;    /* units charged to the last line (a lower bound) */
    mc_fact fact;        /* what the last line said about its message (kind FACT_NONE: nothing) */
    mc_fact *fact_out;   /* where the line being parsed writes its fact: &fact, or a worker's slot */
    uint64_t mta_lines;  /* lines written by a known MTA (Postfix, Exim) */
    /* The envelope of the last line parsed (not a journald one, whose
     * message is a sanitised copy), for the warnings pass over the same
     * line (mtawarn_line): it takes it once, then it is gone. */
    mc_logline env;
    mc_str env_line;     /* the line it was split from (NULL: none) */
    /* Per MTA, per fact rule: the hand reader of its pattern, or NULL
     * (factread.h); found once, when the parser starts. */
    mc_factread_fn **fact_readers;
    /* Per MTA, per fact rule: its reader answers before its literals are
     * looked for (its pattern holds every one of them; see read_fact_rule). */
    bool **fact_first;
    /* Per MTA, per daemon (index 0: a line of no daemon, d + 1: daemon d):
     * the fact rules whose daemons take its lines. */
    mc_fact_list **daemon_facts;
    /* Per MTA whose line is scanned with its literal set: a gate of the
     * scan's bits of every fact rule's first literal (n 0: none, a rule
     * without a literal or no set); a scan with none of them holds no fact. */
    mc_litgate *fact_gates;
    /* Per MTA: its fact rule by the scan's bits alone, without asking the
     * gate and each rule in turn (Exim's three: ~75 instructions fewer a
     * fact line). */
    mc_fact_choice *fact_choices;
    /* Per MTA, per fact rule: its reader may read the message before the
     * MTA's prefix, whose gate turns away every line the reader takes
     * (Exim's: factread_exim_id_first, lineread_gate_spares_exim_ids). */
    bool **fact_unprefixed;
    /* Per MTA, per line rule: the hand reader of its pattern, or NULL;
     * per MTA: the gate of its prefix pattern, or NULL (lineread.h). */
    mc_lineread_fn **line_readers;
    mc_prefix_gate_fn *prefix_gates;
    /* Per MTA, per [@reply] and per [@stage] pattern: its hand reader, or NULL. */
    mc_lineread_fn **reply_readers;
    mc_lineread_fn **stage_readers;
    /* Per MTA: the hand reader of its local pattern, or NULL. */
    mc_lineread_fn *local_readers;
    mc_str read_groups[G_COUNT]; /* the groups a line reader read */
    /* The program names seen (find_mta's answers), slot by a hash of the
     * name's length and last bytes; a slot's name is compared in full. */
    mc_program_memo program_memo[MC_PROGRAM_MEMO];
} mc_parser;

void parser_init(mc_parser *p, const mc_parse_rules *rules);
void parser_free(mc_parser *p);

/* One line to at most one event; a message fact on the line is left in
 * p->fact (valid, like the event, until the next line). */
mc_parse_result parser_line(mc_parser *p, mc_str line, mc_event *ev);
/* parser_line with the line's fact written to *fact instead of p->fact
 * (a worker's slot in its chunk: no copy of the fact afterwards). */
mc_parse_result parser_line_fact(mc_parser *p, mc_str line, mc_event *ev, mc_fact *fact);

/* Maps an SMTP command as an MTA words it to a stage, or NULL. */
const char *parse_command_stage(const mc_parse_rules *pr, mc_str command);

#endif
