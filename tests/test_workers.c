/*
 * test_workers.c - the parse pool of --jobs N (src/workers.c): N threads
 * parse, N - 1 of them workers and the caller, which parses queued chunks
 * in pool_take while the oldest is not parsed yet.  On the real Postfix
 * run and the Exim test suite's 250 mainlogs, in chunks of a few lines, every
 * chunk comes back in the order handed over, parsed, with the events and
 * facts a one-line-at-a-time parse finds, for a pool with no worker thread
 * (the caller parses alone: a pool_take that only waits would hang) and
 * for pools of one and three workers.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "workers.h"

/* One chunk of the test: whole lines of a log. */
typedef struct {
    char *bytes;
    size_t len;
    size_t events, facts, lines; /* found by the one-line parse */
} test_chunk;

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The log at rel, or the logs in the directory rel in the order of their
 * names, as one stream. */
static FILE *open_logs(const char *rel)
{
    char *path = test_corpus_path(rel);
    FILE *out = tmpfile();
    ck_assert_ptr_nonnull(out);
    char *names[512];
    size_t n = 0;
    DIR *d = opendir(path);
    if (d == NULL) {
        names[n++] = strdup(path);
    } else {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.') {
                ck_assert_uint_lt(n, sizeof names / sizeof names[0]);
                ck_assert_int_gt(asprintf(&names[n++], "%s/%s", path, e->d_name), 0);
            }
        closedir(d);
        qsort(names, n, sizeof names[0], by_name);
    }
    for (size_t i = 0; i < n; i++) {
        FILE *f = fopen(names[i], "r");
        ck_assert_msg(f != NULL, "cannot open %s", names[i]);
        char buf[65536];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, f)) > 0)
            ck_assert_uint_eq(fwrite(buf, 1, got, out), got);
        fclose(f);
        free(names[i]);
    }
    free(path);
    rewind(out);
    return out;
}

/* Cuts the logs into chunks of at most `lines` lines each, counting what
 * a plain parser finds in each (the reference: no pool, no deferred year). */
static test_chunk *cut_file(const char *rel, size_t lines, size_t *n)
{
    FILE *f = open_logs(rel);
    test_chunk *cs = NULL;
    size_t cap = 0;
    *n = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    size_t in_chunk = lines;
    mc_parser p;
    parser_init(&p, &test_rules()->parse);
    while ((got = getline(&line, &line_cap, f)) > 0) {
        if (in_chunk == lines) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 64;
                cs = realloc(cs, cap * sizeof *cs);
                ck_assert_ptr_nonnull(cs);
            }
            memset(&cs[*n], 0, sizeof cs[*n]);
            (*n)++;
            in_chunk = 0;
        }
        test_chunk *c = &cs[*n - 1];
        c->bytes = realloc(c->bytes, c->len + (size_t)got);
        ck_assert_ptr_nonnull(c->bytes);
        memcpy(c->bytes + c->len, line, (size_t)got);
        c->len += (size_t)got;
        c->lines++;
        in_chunk++;
        mc_event ev;
        mc_fact fact;
        size_t len = (size_t)got;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (parser_line_fact(&p, mc_str_make(line, len), &ev, &fact) == PARSE_EVENT)
            c->events++;
        if (fact.kind != FACT_NONE)
            c->facts++;
    }
    free(line);
    fclose(f);
    parser_free(&p);
    ck_assert_msg(*n > 3, "%s: only %zu chunks", rel, *n);
    return cs;
}

static void free_chunks(test_chunk *cs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(cs[i].bytes);
    free(cs);
}

/* pool_finish on a pool of `threads` parsing threads, everything taken
 * back: the workers free every thread's state, the caller's too, on their
 * own (waited for up to 30 s); without a worker the caller's stays for
 * pool_free. */
static void finish_pool(mc_pool *pool, int threads)
{
    ck_assert_int_eq(pool_states_held(pool), threads);
    pool_finish(pool);
    int want = threads > 1 ? 0 : 1;
    for (int i = 0; i < 3000 && pool_states_held(pool) != want; i++)
        usleep(10000);
    ck_assert_int_eq(pool_states_held(pool), want);
}

/* Hands the chunks to a pool of `threads` parsing threads, at most `depth`
 * at a time, and checks each as it comes back; returns the events.
 * finish: pool_finish before pool_free (as a report from files does). */
static size_t run_pool(int threads, const test_chunk *cs, size_t n, size_t depth, bool finish)
{
    mc_pool *pool = pool_new(test_rules(), threads, true, 0);
    ck_assert_ptr_nonnull(pool);
    size_t sent = 0, taken = 0, events = 0;
    while (taken < n) {
        while (sent < n && pool_in_flight(pool) < depth) {
            mc_chunk *c = pool_chunk(pool);
            mc_buf_add(&c->bytes, cs[sent].bytes, cs[sent].len);
            c->base_offset = sent;
            pool_submit(pool, c);
            sent++;
        }
        mc_chunk *c = pool_take(pool);
        ck_assert_ptr_nonnull(c);
        ck_assert(c->done);
        /* Back in the order handed over, with what the plain parse found. */
        ck_assert_uint_eq(c->base_offset, taken);
        ck_assert_uint_eq(c->tot_lines, cs[taken].lines);
        ck_assert_uint_eq(c->n_events, cs[taken].events);
        ck_assert_uint_eq(c->n_facts, cs[taken].facts);
        events += c->n_events;
        pool_recycle(pool, c);
        taken++;
    }
    ck_assert_ptr_null(pool_take(pool));
    if (finish)
        finish_pool(pool, threads);
    pool_free(pool);
    return events;
}

/* The logs, cut in chunks of 7 lines (a message's lines fall apart). */
static const char *const logs[] = {"postfix/mta-run/maillog", "exim/exim-testsuite/log"};

/* The events of all the chunks, by the plain parse. */
static size_t events_of(const test_chunk *cs, size_t n)
{
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        want += cs[i].events;
    ck_assert_uint_gt(want, 100);
    return want;
}

START_TEST(test_caller_parses_alone)
{
    size_t n;
    test_chunk *cs = cut_file(logs[_i], 7, &n);
    size_t want = events_of(cs, n);
    /* No worker thread: only the caller's parse in pool_take can serve. */
    ck_assert_uint_eq(run_pool(1, cs, n, 6, false), want);
    ck_assert_uint_eq(run_pool(1, cs, n, n, true), want);
    free_chunks(cs, n);
}
END_TEST

START_TEST(test_workers_and_caller)
{
    size_t n;
    test_chunk *cs = cut_file(logs[_i], 7, &n);
    size_t want = events_of(cs, n);
    for (int threads = 2; threads <= 4; threads += 2) {
        ck_assert_uint_eq(run_pool(threads, cs, n, 2 * (size_t)threads + 2, false), want);
        ck_assert_uint_eq(run_pool(threads, cs, n, n, true), want);
    }
    free_chunks(cs, n);
}
END_TEST

/* Chunks dropped before any thread began them come back unparsed, in
 * order, at once (a stop takes back what is in flight without parsing
 * it); a chunk the caller took back before the drop was parsed whole. */
START_TEST(test_drop_queued)
{
    size_t n;
    test_chunk *cs = cut_file(logs[_i], 7, &n);
    mc_pool *pool = pool_new(test_rules(), 1, true, 0); /* no worker thread: nothing begins them */
    ck_assert_ptr_nonnull(pool);
    for (size_t i = 0; i < 6; i++) {
        mc_chunk *c = pool_chunk(pool);
        mc_buf_add(&c->bytes, cs[i].bytes, cs[i].len);
        c->base_offset = i;
        pool_submit(pool, c);
    }
    mc_chunk *c = pool_take(pool);
    ck_assert_uint_eq(c->base_offset, 0);
    ck_assert_uint_eq(c->tot_lines, cs[0].lines);
    pool_recycle(pool, c);
    pool_drop_queued(pool);
    for (size_t i = 1; i < 6; i++) {
        c = pool_take(pool);
        ck_assert_ptr_nonnull(c);
        ck_assert(c->done);
        ck_assert_uint_eq(c->base_offset, i);
        ck_assert_uint_eq(c->tot_lines, 0);
        ck_assert_uint_eq(c->n_events, 0);
        pool_recycle(pool, c);
    }
    ck_assert_ptr_null(pool_take(pool));
    pool_free(pool);
    free_chunks(cs, n);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("workers");
    TCase *tc = tcase_create("pool");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_caller_parses_alone, 0, 2);
    tcase_add_loop_test(tc, test_workers_and_caller, 0, 2);
    tcase_add_loop_test(tc, test_drop_queued, 0, 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
