/*
 * knowledge.h - what each SMTP reply code and enhanced status code means,
 * loaded from rules/codes.conf and rules/enhanced.conf, and the facts
 * compare derives its differences from (rules/compare.conf).
 */
#ifndef MC_KNOWLEDGE_H
#define MC_KNOWLEDGE_H

#include <stdbool.h>

#include "conf.h"
#include "event.h"
#include "util.h"

typedef struct {
    char *id;          /* "550", "X.1.1", "5.7.606", "5.X.X", "X.7.X" */
    char *name;
    char *rfc;
    char *description;
    char *when;
    char *fix;         /* the sender's voice: our mail got this reply */
    char *receiver_fix; /* the receiver's voice: our server gave it; NULL with only */
    const char *only;  /* "outbound" / "inbound": seen in that direction only; NULL: both */
    mc_class klass;    /* basic codes and class records; else CLASS_UNKNOWN */
    bool hard;         /* enhanced detail codes only */
} mc_code_info;

typedef struct {
    mc_code_info *codes;
    size_t n_codes;
    mc_code_info *enhanced;
    size_t n_enhanced;
    /* The same records by id (strcmp order), for a binary search: the
     * classifier asks for an enhanced code's hardness on every failure. */
    const mc_code_info **codes_by_id;
    const mc_code_info **enhanced_by_id;
    conf_file *facts;  /* compare.conf: [CODE] stage, closes (checked at load) */
} mc_knowledge;

/* Loads the three files from dir.  false + "FILE:LINE: ..." in err on error. */
bool knowledge_load(mc_knowledge *k, const char *dir, char *err, size_t errlen);
void knowledge_free(mc_knowledge *k);

const mc_code_info *knowledge_code(const mc_knowledge *k, const char *code);
/* Exact "5.7.606" first, then the class-free "X.7.606". */
const mc_code_info *knowledge_enhanced(const mc_knowledge *k, const char *enhanced);
const mc_code_info *knowledge_enhanced_subject(const mc_knowledge *k, const char *enhanced);
const mc_code_info *knowledge_enhanced_class(const mc_knowledge *k, const char *enhanced);
bool knowledge_enhanced_is_hard(const mc_knowledge *k, const char *enhanced);

/* compare.conf's "closes" of a code: whether the server closes the
 * connection after it (may: 521, RFC 7504 lets it close at once or answer
 * every command but QUIT).  knowledge_closes reads a value: -1 when it is
 * none of no, may, yes. */
typedef enum { MC_CLOSES_NO, MC_CLOSES_MAY, MC_CLOSES_YES } mc_closes;
int knowledge_closes(const char *value);

/* Appends text to out with its "{domains}" slot (advice that names the
 * domains of a problem, rules/reasons.conf) replaced by domains. */
void knowledge_fill_domains(mc_buf *out, const char *text, const char *domains);

/* Syntax checks shared by the command line and the loaders. */
bool is_basic_code(const char *s);    /* [2-5][0-9][0-9] */
bool is_enhanced_code(const char *s); /* [245].[0-9]{1,3}.[0-9]{1,3} */

#endif
