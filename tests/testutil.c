/*
 * testutil.c - see testutil.h.
 */
#include "testutil.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "reasoncache.h"
#include "util.h"

static mc_rules rules;
static bool rules_loaded;

const mc_rules *test_rules(void)
{
    if (!rules_loaded) {
        char err[1024];
        if (!rules_load(&rules, MC_SOURCE_RULES, err, sizeof err)) {
            fprintf(stderr, "test rules: %s\n", err);
            abort();
        }
        rules_loaded = true;
    }
    return &rules;
}

mc_parse_result test_parse(const char *line, mc_event *ev)
{
    static mc_parser parser;
    static mc_reason_cache *cache; /* as ingest has one: repeated replies are answered from it */
    static bool ready;
    if (!ready) {
        parser_init(&parser, &test_rules()->parse);
        cache = reason_cache_new(&test_rules()->reasons);
        ready = true;
    }
    year_ctx_init(&parser.years, 2026, 11, 23);
    memset(ev, 0, sizeof *ev);
    mc_parse_result r = parser_line(&parser, mc_str_cstr(line), ev);
    if (r == PARSE_EVENT)
        classify_event(&test_rules()->knowledge, &test_rules()->reasons, &parser.matcher, cache, ev);
    return r;
}

char *test_corpus_path(const char *rel)
{
    size_t n = strlen(MC_DATA_DIR) + strlen(rel) + 2;
    char *p = mc_xmalloc(n);
    snprintf(p, n, "%s/%s", MC_DATA_DIR, rel);
    return p;
}

char *test_corpus_line(const char *rel, const char *needle)
{
    char *path = test_corpus_path(rel);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open corpus file %s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    char *found = NULL;
    while ((got = getline(&line, &cap, f)) != -1) {
        if (strstr(line, needle)) {
            if (got > 0 && line[got - 1] == '\n')
                line[got - 1] = '\0';
            found = mc_xstrdup(line);
            break;
        }
    }
    free(line);
    fclose(f);
    ck_assert_msg(found != NULL, "no line with '%s' in %s", needle, path);
    free(path);
    return found;
}

int test_run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    mc_buf b;
    mc_buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        mc_buf_add(&b, chunk, n);
    int status = pclose(p);
    if (out)
        *out = b.data;
    else
        mc_buf_free(&b);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int test_runf(char **out, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(n > 0 && (size_t)n < sizeof cmd, "command too long");
    return test_run(cmd, out);
}

char test_dir[64];

void test_dir_setup(void)
{
    snprintf(test_dir, sizeof test_dir, "/tmp/mailcodes-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(test_dir));
}

void test_dir_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", test_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", test_dir);
}

const char *test_as_other_user(void)
{
    ck_assert_int_eq(test_runf(NULL, "cd %s && cp %s ./mailcodes && cp -r %s ./rules && chmod -R a+rX . && chmod 755 .",
                               test_dir, MC_BINARY, MC_SOURCE_RULES), 0);
    return geteuid() == 0 ? "setpriv --reuid=nobody --regid=nogroup --clear-groups " : "";
}

void test_expect_has(const char *hay, const char *needle)
{
    ck_assert_msg(hay && strstr(hay, needle), "output lacks '%s':\n%.3000s", needle, hay ? hay : "(null)");
}

void test_expect_lacks(const char *hay, const char *needle)
{
    ck_assert_msg(hay && !strstr(hay, needle), "output has '%s':\n%.3000s", needle, hay ? hay : "(null)");
}

void test_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

mc_event test_classify(const char *code, const char *enhanced, const char *status, const char *text)
{
    mc_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.code, sizeof ev.code, "%s", code);
    snprintf(ev.enhanced, sizeof ev.enhanced, "%s", enhanced);
    ev.status = mc_str_cstr(status);
    ev.text = mc_str_cstr(text);
    mc_matcher m;
    matcher_init(&m);
    classify_event(&test_rules()->knowledge, &test_rules()->reasons, &m, NULL, &ev);
    matcher_free(&m);
    return ev;
}

/* The directory of big.log and its clean reference, made once per test
 * case (an unchecked fixture) and shared by its tests: "" when not made. */
static char big_dir[64];

/* The unchecked fixture of the crash and concurrency suites: big.log, ~16
 * MB, twelve copies of the real log, each moved one day on. */
void test_big_log_once_setup(void)
{
    snprintf(big_dir, sizeof big_dir, "/tmp/mailcodes-big-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(big_dir));
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "cd %s && for d in 10 11 12 13 14 15 16 17 18 19 20 21; do sed \"s/^Nov 23/Nov $d/\" %s; done > big.log",
             big_dir, MC_DATA_DIR "/postfix/mta-run/maillog");
    ck_assert_int_eq(system(cmd), 0);
}

/* Removes what test_big_log_once_setup made. */
void test_big_log_once_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", big_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", big_dir);
    big_dir[0] = '\0';
}

/* The checked fixture: test_dir with big.log in it, a hard link to the
 * shared one (no test writes it). */
void test_big_log_setup(void)
{
    ck_assert_msg(big_dir[0] != '\0', "test_big_log_once_setup is not the case's unchecked fixture");
    test_dir_setup();
    ck_assert_int_eq(test_runf(NULL, "ln %s/big.log %s/big.log || cp %s/big.log %s/big.log", big_dir, test_dir,
                               big_dir, test_dir),
                     0);
}

/* The dimensions of the events, without and with the join by message. */
#define UNJOINED_KEYS "mta,host,direction,status,stage,code,enhanced,class,reason,domain,relay,client,hour"
#define JOINED_KEYS UNJOINED_KEYS ",sender,sender_domain,recipient"

/* dir/db as JSON by every dimension; joined false: without those and the
 * per-message figures that only a join in log order gives. */
static char *report_dims(const char *dir, const char *db, bool joined)
{
    char cmd[1024];
    char *out = NULL;
    /* without the time of the last ingest (data.last_ingest), which differs between runs */
    snprintf(cmd, sizeof cmd, "%s report --db %s/%s --format json --top 0 --by %s | grep -v '^ \"data\": '",
             MC_BINARY, dir, db, joined ? JOINED_KEYS : UNJOINED_KEYS);
    ck_assert_int_eq(test_run(cmd, &out), 0);
    for (const char *const *key = (const char *const[]){"\n \"messages\"", "\n \"bytes\"", "\n \"senders\"", NULL};
         !joined && *key; key++) {
        char *at = strstr(out, *key);
        ck_assert_ptr_nonnull(at);
        char *end = strchr(at + 1, '\n');
        ck_assert_ptr_nonnull(end);
        memmove(at, end, strlen(end) + 1);
    }
    return out;
}

/* Every dimension of test_dir/db, as JSON. */
char *test_report_all(const char *db) { return report_dims(test_dir, db, true); }

/* The report of one clean ingest of big.log (malloc'd): made by the first
 * test of the case that asks and kept in big_dir for the others (no test
 * writes there), since under the sanitizers the ingest and the report of
 * 16 MB take seconds each. */
static char *clean_report(bool joined)
{
    char path[128];
    snprintf(path, sizeof path, "%s/clean-%s.json", big_dir, joined ? "joined" : "unjoined");
    char *clean = NULL;
    if (access(path, F_OK) == 0) {
        ck_assert_int_eq(test_runf(&clean, "cat %s", path), 0);
        return clean;
    }
    ck_assert_int_eq(test_runf(NULL, "test -f %s/clean.db || %s ingest --quiet --db %s/clean.db %s/big.log", big_dir,
                               MC_BINARY, big_dir, big_dir),
                     0);
    clean = report_dims(big_dir, "clean.db", joined);
    /* written whole or not at all: a test that fails midway leaves no half file */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    size_t n = strlen(clean);
    ck_assert(fwrite(clean, 1, n, f) == n);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(rename(tmp, path), 0);
    return clean;
}

/* test_dir/db equals one clean ingest of big.log, on every dimension. */
void test_expect_clean_counts(const char *db, const char *how) { test_expect_clean_counts_as(db, how, true); }

void test_expect_clean_counts_as(const char *db, const char *how, bool joined)
{
    char *clean = clean_report(joined), *got = report_dims(test_dir, db, joined);
    if (strcmp(clean, got) != 0) {
        /* The first line that differs, and each whole text, for the log. */
        size_t at = 0, line = 0;
        for (size_t i = 0; clean[i] && clean[i] == got[i]; i++)
            if (clean[i] == '\n')
                at = i + 1, line++;
        ck_assert_msg(0, "%s: the counts differ from a clean run at line %zu:\n clean: %.200s\n got:   %.200s", how,
                      line + 1, clean + at, got + at);
    }
    ck_assert_ptr_nonnull(strstr(clean, "\"lines\": 95304, \"events\": 31224,"));
    free(clean);
    free(got);
}

/* triage's JSON problems through a few lines of Python. */
char *test_triage_python(const char *log, const char *py)
{
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "%s triage %s --top 1000 --format json | python3 -c '"
                               "import json, sys\n"
                               "p = json.load(sys.stdin)[\"problems\"]\n%s'", MC_BINARY, log, py), 0);
    return out;
}

/* Appends " name=VALUE" ("-" when unset) at *at, cut to cap. */
static void fingerprint_put(char *buf, size_t cap, size_t *at, const char *name, mc_str s)
{
    int n = snprintf(buf + *at, cap - *at, " %s=%.*s", name, s.p ? (int)s.n : 1, s.p ? s.p : "-");
    if (n > 0)
        *at += (size_t)n < cap - *at ? (size_t)n : cap - *at - 1;
}

/* What a line parsed to, as text: the result, the fact, every field. */
void test_parse_fingerprint(const mc_parser *p, mc_parse_result r, const mc_event *ev, char *buf, size_t cap)
{
    size_t at = (size_t)snprintf(buf, cap, "r=%d", (int)r);
    if (p) {
        int n = snprintf(buf + at, cap - at, " fact=%d", (int)p->fact.kind);
        if (n > 0)
            at += (size_t)n < cap - at ? (size_t)n : cap - at - 1;
        if (p->fact.kind != FACT_NONE)
            fingerprint_put(buf, cap, &at, "fqid", p->fact.queue_id);
    }
    if (r != PARSE_EVENT)
        return;
    int n = snprintf(buf + at, cap - at, " dir=%s stage=%s code=%s enh=%s inf=%d", ev->direction,
                     ev->stage ? ev->stage : "-", ev->code, ev->enhanced, (int)ev->inferred);
    if (n > 0)
        at += (size_t)n < cap - at ? (size_t)n : cap - at - 1;
    const struct {
        const char *name;
        mc_str v;
    } f[] = {{"status", ev->status}, {"qid", ev->queue_id}, {"rcpt", ev->recipient}, {"sender", ev->sender},
             {"relay", ev->relay},   {"client", ev->client}, {"host", ev->host},      {"text", ev->text},
             {"reply", ev->reply},   {"dsn", ev->dsn},       {"delay", ev->delay},    {"delays", ev->delays},
             {"transfer", ev->transfer}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        fingerprint_put(buf, cap, &at, f[i].name, f[i].v);
}

/* A match context with the first match limit, and a matcher for it. */
pcre2_match_context *test_first_limit_context(mc_matcher *mt)
{
    pcre2_match_context *ctx = pcre2_match_context_create(NULL);
    ck_assert_ptr_nonnull(ctx);
    pcre2_set_match_limit(ctx, MC_FIRST_MATCH_LIMIT);
    matcher_init(mt);
    if (mt->jit_stack)
        pcre2_jit_stack_assign(ctx, NULL, mt->jit_stack);
    return ctx;
}

/* Whether rc is one of PCRE2's limits. */
bool test_hit_limit(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
           rc == PCRE2_ERROR_HEAPLIMIT;
}

/* What each_file does with every whole line of a file (its path, the
 * line without its end), and once before a file's first line (or NULL). */
static void (*per_line)(const char *path, const char *line, size_t n);
static void (*per_file)(void);

/* Every whole line of one file of tests/data (gzip'd or not: the Exim
 * runs' logs are), but the databases, to per_line; a piece of a line
 * longer than the buffer is left out. */
static int each_file(const char *path, const struct stat *st, int kind, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (kind != FTW_F || strstr(path, "/store/"))
        return 0;
    gzFile f = gzopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    if (per_file)
        per_file();
    static char line[65536];
    bool whole = true;
    while (gzgets(f, line, sizeof line) != NULL) {
        size_t n = strlen(line);
        bool ends = (n > 0 && line[n - 1] == '\n') || gzeof(f);
        if (whole && ends) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                n--;
            per_line(path, line, n);
        }
        whole = ends;
    }
    gzclose(f);
    return 0;
}

/* Every line of tests/data to fn (see testutil.h). */
void test_each_data_line(void (*fn)(const char *, const char *, size_t), void (*file)(void))
{
    per_line = fn;
    per_file = file;
    char *dir = test_corpus_path("");
    ck_assert_int_eq(nftw(dir, each_file, 16, FTW_PHYS), 0);
    free(dir);
}
