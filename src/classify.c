/*
 * classify.c - class, conflict, reason and hardness of an event.
 *
 * Class follows docs/CONTRACT.md: the basic code decides, else the enhanced code,
 * else the status.  A reply such as "550 4.2.2" keeps class permanent (the
 * basic code is what the client acts on) and is flagged as a conflict.
 *
 * Reasons come from the rules reasons.c loads (rules/reasons.conf): an
 * ordered list of rules, each naming the reason it gives; the first rule
 * that fits wins, so specific rules (a provider's reply, a named
 * blocklist) go above general ones.  rules/blocklists.conf names the lists
 * a reply may cite and how to get off each, so "blocked using
 * zen.spamhaus.org" gives reason blocklisted with detail "Spamhaus ZEN"
 * and Spamhaus's delisting procedure.
 */
#include "classify.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reasoncache.h"

/* Class of a code pair: the basic code decides, else the enhanced code. */
mc_class classify_codes(const char *code, const char *enhanced)
{
    if (code && code[0])
        return mc_class_of_digit(code[0]);
    if (enhanced && enhanced[0])
        return mc_class_of_digit(enhanced[0]);
    return CLASS_UNKNOWN;
}

/* Class from a status word when there is no code (sent, deferred, bounced...). */
static mc_class class_of_status(mc_str status)
{
    if (mc_str_eq(status, "sent") || mc_str_eq(status, "accepted"))
        return CLASS_SUCCESS;
    if (mc_str_eq(status, "deferred"))
        return CLASS_TRANSIENT;
    if (mc_str_eq(status, "bounced") || mc_str_eq(status, "expired"))
        return CLASS_PERMANENT;
    return CLASS_UNKNOWN;
}

/* strcmp(a, b) == 0 for the few bytes of a code, without a call (a
 * miss tries every listed code of some 30 rules, most differing early). */
static bool same_code(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b)
        a++, b++;
    return *a == *b;
}

/* Whether the rule lists the enhanced code (X stands for any class). */
static bool enhanced_listed(const mc_reason_rule *r, const char *enh)
{
    if (!enh || !enh[0])
        return false;
    for (size_t i = 0; i < r->n_enhanced; i++) {
        const char *w = r->enhanced[i];
        if ((w[0] == 'X' || w[0] == enh[0]) && same_code(w + 1, enh + 1))
            return true;
    }
    return false;
}

/* Whether the rule lists the basic code, or a prefix of it. */
static bool code_listed(const mc_reason_rule *r, const char *code)
{
    if (!code || !code[0])
        return false;
    for (size_t i = 0; i < r->n_codes; i++) {
        const char *w = r->codes[i], *c = code;
        while (*w != '\0' && *w == *c)
            w++, c++;
        if (*w == '\0')
            return true;
    }
    return false;
}

/* The code conditions: with both lists, either one is enough. */
static bool codes_fit(const mc_reason_rule *r, const char *code, const char *enhanced)
{
    if (r->n_codes == 0 && r->n_enhanced == 0)
        return true;
    return (r->n_codes > 0 && code_listed(r, code)) || (r->n_enhanced > 0 && enhanced_listed(r, enhanced));
}

/* The first named blocklist the text cites, or NULL. */
static const mc_blocklist *find_list(const mc_reasons *rs, mc_matcher *m, mc_str text)
{
    for (size_t i = 0; i < rs->n_lists; i++)
        for (size_t j = 0; j < rs->lists[i].n_patterns; j++)
            if (pattern_match(&rs->lists[i].patterns[j], m, text))
                return &rs->lists[i];
    return NULL;
}

/* Whether every pattern matches the text. */
static bool all_match(const mc_pattern *pats, size_t n, mc_matcher *m, mc_str text)
{
    for (size_t i = 0; i < n; i++)
        if (!pattern_match(&pats[i], m, text))
            return false;
    return true;
}

/* Whether no pattern matches the text. */
static bool none_match(const mc_pattern *pats, size_t n, mc_matcher *m, mc_str text)
{
    for (size_t i = 0; i < n; i++)
        if (pattern_match(&pats[i], m, text))
            return false;
    return true;
}

/* Does rule r fit?  On success fills hit; *captured is the pattern whose
 * (?<detail>) capture gave the detail (NULL for a list or a fixed detail). */
static bool rule_fits(const mc_reasons *rs, const mc_reason_rule *r, mc_matcher *m, const char *code,
                      const char *enhanced, mc_class klass, mc_str text, mc_reason_hit *hit,
                      const mc_pattern **captured)
{
    if (r->klass_mask && klass != CLASS_UNKNOWN && !(r->klass_mask & (1 << klass)))
        return false;
    bool codes_ok = codes_fit(r, code, enhanced);
    if (!codes_ok && !r->by_code_alone)
        return false;
    const mc_pattern *matched = NULL;
    const mc_blocklist *list = NULL;
    bool fits = false;
    if (text.p && (r->n_patterns || r->lists) && all_match(r->require, r->n_require, m, text)) {
        for (size_t j = 0; j < r->n_patterns && !matched; j++)
            if (pattern_match(&r->patterns[j], m, text))
                matched = &r->patterns[j];
        fits = matched != NULL;
        if (r->lists && !fits) {
            list = find_list(rs, m, text);
            fits = list != NULL;
        } else if (r->lists) {
            list = find_list(rs, m, text);
        }
    }
    /* by_code_alone: the code list decides on its own, and a text match
     * needs no code; otherwise both must fit. */
    if (r->by_code_alone ? !(fits || codes_ok) : !(fits && codes_ok))
        return false;
    if (text.p && !none_match(r->unless, r->n_unless, m, text))
        return false;
    hit->reason = &rs->reasons[r->reason];
    hit->rule = r;
    hit->detail_advice = r->advice;
    hit->detail = MC_STR_NULL;
    *captured = NULL;
    if (list) {
        hit->detail = mc_str_cstr(list->name);
        hit->detail_advice = list->advice;
    } else if (r->detail) {
        hit->detail = mc_str_cstr(r->detail);
    } else if (matched && matched->group[G_DETAIL] >= 0) {
        /* Run the pattern that matched again: the other patterns since
         * reused the match data. */
        if (pattern_match(matched, m, text))
            hit->detail = pattern_group(matched, m, text, G_DETAIL);
        *captured = matched;
    }
    return true;
}

/* ASCII digit. */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Length of an enhanced code at p ("5.7.26"), 0 when there is none. */
static size_t enhanced_len(const char *p, const char *end)
{
    const char *q = p;
    if (q >= end || !(*q == '2' || *q == '4' || *q == '5'))
        return 0;
    q++;
    for (int part = 0; part < 2; part++) {
        if (q >= end || *q != '.')
            return 0;
        q++;
        const char *s = q;
        while (q < end && is_digit(*q) && q - s < 3)
            q++;
        if (q == s)
            return 0;
    }
    return (size_t)(q - p);
}

/* A multi-line reply joined on one line repeats its code on every line
 * ("550-5.7.26 Unauthenticated email ... due to 550-5.7.26 domain's DMARC
 * policy").  Removes the repeats from buf in place (it only shrinks), so a
 * phrase split across lines still matches; returns the new length, n when
 * there were none. */
static size_t unfold(char *buf, size_t n)
{
    const char *end = buf + n;
    const char *first = NULL;
    /* The first "NNN-" at a word's start, found by its '-' (memchr reads
     * the reply much faster than a byte loop: every failure comes here). */
    for (const char *d = n > 3 ? memchr(buf + 3, '-', n - 3) : NULL; d; d = memchr(d + 1, '-', (size_t)(end - d - 1))) {
        const char *q = d - 3;
        if ((q == buf || q[-1] == ' ') && q[0] >= '2' && q[0] <= '5' && is_digit(q[1]) && is_digit(q[2])) {
            first = q;
            break;
        }
    }
    if (first == NULL)
        return n;
    char code[3];
    memcpy(code, first, 3);
    size_t out = 0;
    const char *copied = buf;
    for (const char *q = first + 4; q + 4 <= end; q++) {
        /* The next place that starts with the code's first digit (a place
         * before it cannot start a repeat). */
        q = memchr(q, code[0], (size_t)(end - 3 - q));
        if (q == NULL)
            break;
        if (q[-1] != ' ' || memcmp(q, code, 3) != 0 || !(q[3] == '-' || q[3] == ' '))
            continue;
        const char *r = q + 4;
        size_t el = enhanced_len(r, end);
        if (el && (r + el == end || r[el] == ' '))
            r += el + (r + el < end);
        else if (el)
            continue;
        memmove(buf + out, copied, (size_t)(q - copied));
        out += (size_t)(q - copied);
        copied = r;
        q = r - 1;
    }
    if (copied == buf)
        return n;
    memmove(buf + out, copied, (size_t)(end - copied));
    out += (size_t)(end - copied);
    buf[out] = '\0';
    return out;
}

/* ASCII letter or digit. */
static bool is_alnum(char c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

/* A byte of an address's local part (RFC 5322 atext and dots, without the
 * '/' and '?' of URLs): letters, digits and .!#$%&'*+=^_`{|}~- as a bit
 * set (this runs on every byte before an '@' of every failure's reply). */
static bool is_local_char(char c)
{
    static const uint64_t set[4] = {0x23FF6CFA00000000ull, 0x7FFFFFFFC7FFFFFEull, 0, 0};
    unsigned char u = (unsigned char)c;
    return (set[u >> 6] >> (u & 63)) & 1;
}

/* A byte of a domain name. */
static bool is_domain_char(char c) { return is_alnum(c) || c == '-' || c == '.'; }

/* Masks every email address in buf (n bytes): its letters and digits become
 * 'x', its length and punctuation stay.  A reply quotes addresses the
 * receiver did not choose ("<spam-admin@example.com>", "bob@spamhaus.org",
 * SRS0=...=gmail.com=...): a word in one must not decide a reason.  Returns
 * whether anything was masked. */
static bool mask_addresses(char *buf, size_t n)
{
    bool masked = false;
    for (size_t at = 1; at + 1 < n; at++) {
        const char *sign = memchr(buf + at, '@', n - 1 - at); /* the next '@' (before the last byte) */
        if (sign == NULL)
            break;
        at = (size_t)(sign - buf);
        size_t b = at;
        while (b > 0 && is_local_char(buf[b - 1]))
            b--;
        size_t e = at + 1;
        if (buf[e] == '[') {
            while (e < n && buf[e] != ']' && buf[e] != ' ')
                e++;
            if (e < n && buf[e] == ']')
                e++;
        } else {
            while (e < n && is_domain_char(buf[e]))
                e++;
            while (e > at + 1 && buf[e - 1] == '.') /* the end of a sentence */
                e--;
        }
        if (b == at || e == at + 1 || !(is_alnum(buf[at + 1]) || buf[at + 1] == '['))
            continue;
        for (size_t i = b; i < e; i++)
            if (is_alnum(buf[i]))
                buf[i] = 'x';
        masked = true;
        at = e;
    }
    return masked;
}

/* The first rule that fits, in file order; its index, or -1.  After a
 * prefilter scan of text only the rules its literals let in are tried
 * (reasons.h): the others provably cannot fit, and the order is kept. */
static long first_fit(const mc_reasons *rs, mc_matcher *m, const char *code, const char *enhanced,
                      mc_class klass, mc_str text, mc_reason_hit *hit, const mc_pattern **captured)
{
    const uint64_t *found = rs->lit_rules ? matcher_found(m, rs->literals, text) : NULL;
    if (found == NULL) {
        for (size_t i = 0; i < rs->n_rules; i++)
            if (rule_fits(rs, &rs->rules[i], m, code, enhanced, klass, text, hit, captured))
                return (long)i;
        return -1;
    }
    size_t lit_words = litset_words(rs->literals);
    /* The rows of the codes in the by-code tables (reasons.h); a code
     * written otherwise (-2) is checked against each rule's lists. */
    long code_row = reasons_code_row(code), enh_row = reasons_enh_row(rs, enhanced);
    bool by_table = code_row != -2 && enh_row != -2;
    for (size_t w = 0; w < rs->rule_words; w++) {
        uint64_t may = rs->rules_always[w];
        for (size_t fw = 0; fw < lit_words; fw++)
            for (uint64_t b = found[fw]; b; b &= b - 1)
                may |= rs->lit_rules[(fw * 64 + (size_t)__builtin_ctzll(b)) * rs->rule_words + w];
        /* A by_code_alone rule whose literals are absent fits by its codes
         * or not at all: the code lists decide it here, without a call. */
        if (by_table) {
            uint64_t fit = 0;
            if (code_row >= 0)
                fit |= rs->code_rules[(size_t)code_row * rs->rule_words + w];
            if (enh_row >= 0)
                fit |= rs->enh_rules[(size_t)enh_row * rs->rule_words + w];
            may |= rs->rules_by_code[w] & fit;
        } else {
            for (uint64_t b = rs->rules_by_code[w] & ~may; b; b &= b - 1) {
                size_t i = w * 64 + (size_t)__builtin_ctzll(b);
                if (codes_fit(&rs->rules[i], code, enhanced))
                    may |= b & -b;
            }
        }
        for (; may; may &= may - 1) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(may);
            if (rule_fits(rs, &rs->rules[i], m, code, enhanced, klass, text, hit, captured))
                return (long)i;
        }
    }
    return -1;
}

/* The first rule that fits, answered from the cache when the rules saw
 * the same words before. */
bool classify_reason_hit(const mc_reasons *rs, mc_matcher *m, mc_reason_cache *cache, const char *code,
                         const char *enhanced, mc_class klass, mc_str text, mc_reason_hit *hit)
{
    memset(hit, 0, sizeof *hit);
    /* Rules read a copy of the reply in the matcher's scratch: addresses
     * masked, repeated codes of a joined multi-line reply removed.  The
     * cache is keyed by that copy: replies that differ only in an address
     * get one decision, the one the rules would give each. */
    mc_str words = text;
    bool folded = false;
    if (text.p) {
        char *buf = matcher_scratch(m, text.n);
        memcpy(buf, text.p, text.n);
        buf[text.n] = '\0';
        mask_addresses(buf, text.n);
        words.p = buf;
        words.n = unfold(buf, text.n);
        folded = words.n != text.n;
    }
    bool found;
    if (cache == NULL || !reason_cache_get(cache, rs, code, enhanced, klass, words, folded, &found, hit)) {
        matcher_prefilter(m, rs->literals, words);
        const mc_pattern *captured = NULL;
        found = first_fit(rs, m, code, enhanced, klass, words, hit, &captured) >= 0;
        /* A detail captured from a shortened copy is captured again in the
         * caller's text (or left unset): that decision depends on more than
         * the copy, the cache's key, and is not stored. */
        if (cache && !(found && captured && folded))
            reason_cache_put(cache, found, hit, words);
        if (found && captured && folded) {
            hit->detail = MC_STR_NULL;
            if (pattern_match(captured, m, text))
                hit->detail = pattern_group(captured, m, text, G_DETAIL);
        }
        matcher_prefilter_clear(m);
    }
    /* A detail in the copy must point into the caller's text: the same
     * offset, as masking keeps the length (a shortened copy keeps none:
     * see above).  No text, no copy: a rule that fits by its code alone
     * has no detail to move (and no pointer arithmetic on NULL). */
    if (found && !folded && words.p != NULL && words.p != text.p && hit->detail.p >= words.p &&
        (size_t)(hit->detail.p - words.p) <= words.n)
        hit->detail.p = text.p + (hit->detail.p - words.p);
    return found;
}

/* The reason of a reply and its detail. */
const mc_reason *classify_reason(const mc_reasons *rs, mc_matcher *m, mc_reason_cache *cache, const char *code,
                                 const char *enhanced, mc_class klass, mc_str text, mc_str *detail)
{
    mc_reason_hit hit;
    classify_reason_hit(rs, m, cache, code, enhanced, klass, text, &hit);
    *detail = hit.detail;
    return hit.reason;
}

/* Fills an event's class, conflict, reason, detail and hardness. */
void classify_event(const mc_knowledge *k, const mc_reasons *rs, mc_matcher *m, mc_reason_cache *cache,
                    mc_event *ev)
{
    mc_class basic = ev->code[0] ? mc_class_of_digit(ev->code[0]) : CLASS_UNKNOWN;
    mc_class enh = ev->enhanced[0] ? mc_class_of_digit(ev->enhanced[0]) : CLASS_UNKNOWN;
    if (basic != CLASS_UNKNOWN)
        ev->klass = basic;
    else if (enh != CLASS_UNKNOWN)
        ev->klass = enh;
    else
        ev->klass = class_of_status(ev->status);
    ev->conflict = basic != CLASS_UNKNOWN && enh != CLASS_UNKNOWN && basic != enh;

    /* A success has no failure reason. */
    ev->reason = NULL;
    ev->reason_detail = MC_STR_NULL;
    const mc_reason *r = NULL;
    if (ev->klass != CLASS_SUCCESS && ev->klass != CLASS_INTERMEDIATE) {
        /* Reasons read the remote's own words when the line quotes a reply,
         * so the MTA's wrapper ("refused to talk to me") cannot decide them. */
        mc_str words = ev->reply.p ? ev->reply : ev->text;
        /* A line without a message: the text the MTA sent by default. */
        if (words.n == 0 && ev->sent.p)
            words = ev->sent;
        r = classify_reason(rs, m, cache, ev->code, ev->enhanced, ev->klass, words, &ev->reason_detail);
        /* The MTA gave up after the queue lifetime and says no more (Postfix
         * "status=expired, returned to sender"): the status is the reason. */
        if (r == NULL && mc_str_eq(ev->status, "expired"))
            r = reasons_find(rs, "expired");
        ev->reason = r ? r->name : NULL;
    }
    ev->hard = ev->klass == CLASS_PERMANENT &&
               ((r && r->hard) || knowledge_enhanced_is_hard(k, ev->enhanced));
}
