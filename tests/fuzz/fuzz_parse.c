/*
 * fuzz_parse.c - libFuzzer target: arbitrary bytes as log lines through the
 * envelope parser, every MTA's line rules and the classifier.
 *
 * The reader hands the parser only NUL-free valid UTF-8 lines (patterns run
 * with PCRE2_NO_UTF_CHECK), so the same filter is applied here; the
 * envelope parser sees raw bytes too, since it runs before that filter
 * would matter.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "logline.h"
#include "parse.h"
#include "reasoncache.h"
#include "rules.h"

static mc_rules rules;
static mc_parser parser;
static mc_reason_cache *cache;
static int ready;

static void init(void)
{
    char err[1024];
    if (!rules_load(&rules, rules_default_dir(NULL), err, sizeof err)) {
        fprintf(stderr, "fuzz_parse: %s\n", err);
        abort();
    }
    parser_init(&parser, &rules.parse);
    cache = reason_cache_new(&rules.reasons);
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        init();
    year_ctx_init(&parser.years, 2026, 11, 23);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        mc_str line = mc_str_make(p, n);
        mc_logline ll;
        (void)logline_split(line, &parser.years, &ll);
        if (memchr(p, '\0', n) == NULL && mc_utf8_valid((const unsigned char *)p, n)) {
            mc_event ev;
            if (parser_line(&parser, line, &ev) == PARSE_EVENT) {
                classify_event(&rules.knowledge, &rules.reasons, &parser.matcher, cache, &ev);
                FILE *devnull = fopen("/dev/null", "w");
                if (devnull) {
                    mc_event_json(devnull, &ev);
                    fclose(devnull);
                }
            }
        }
        p += n + (nl ? 1 : 0);
    }
    return 0;
}
