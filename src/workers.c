/*
 * workers.c - the parse stage on worker threads (see workers.h).
 *
 * A bounded pool: the ingest loop decides how many chunks are handed over
 * at once, so memory is a few chunks per worker whatever the input size.
 * Chunks wait in one queue; any idle worker takes the next.  The loop
 * takes them back in the order it handed them over (a list kept apart
 * from the queue).  When the oldest is not parsed yet, the loop parses
 * the next queued chunk itself and waits only when none is queued: so n
 * threads parse, n - 1 of them workers, and --jobs 2 on two cores is two
 * threads.  (Two workers beside the loop were three threads on two
 * cores: the scheduler let the workers fill the queue while the loop
 * waited for a core, then they waited for the loop, and a fifth of the
 * CPU time the machine had went unused.)
 *
 * A worker's parser runs in deferred-year mode and starts every line with
 * a placeholder for "the time of the line before", so nothing it writes
 * depends on the lines of other chunks; workers_settle decides both, in
 * order, on the loop's parser.  A journald line's fields are unescaped in
 * the worker's scratch, overwritten by the next line: they are copied into
 * the chunk (side) and pointed at there.
 */
#include "workers.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "mtawarn.h"
#include "reasoncache.h"

/* "The time of the line before": no real time is invalid with this year. */
#define INHERIT_YEAR INT_MIN

typedef struct {
    struct mc_pool *pool;
    pthread_t tid;
    bool started;
    mc_parser parser;
    mc_reason_cache *cache;
    mc_buf warn_scratch;      /* mtawarn_line's, for journald lines */
    mc_delay_memo *delay_memo; /* the delays' buckets and splits (pool delays) */
} worker;

struct mc_pool {
    const mc_rules *rules;
    bool warnings;            /* mark the MTA's warnings (pool_new) */
    bool delays;              /* read the events' delays (pool_new's keep) */
    uint32_t pack;            /* the dimensions to pack (0: none) */
    bool join;                /* mix the lines' queue ids for the join (pool_set_join) */
    pthread_mutex_t mu;
    pthread_cond_t work_cv;   /* a chunk was queued, or stop */
    pthread_cond_t done_cv;   /* a chunk was parsed */
    mc_chunk *todo, *todo_tail;     /* queued for a worker */
    mc_chunk *flight, *flight_tail; /* handed over, not taken back, in order */
    size_t n_flight;
    mc_chunk *free_chunks;
    bool stopping;
    bool finishing;           /* pool_finish: the workers free what the caller is done with */
    int held;                 /* workers' states not freed yet (pool_states_held) */
    uint64_t seq;
    worker *w;                /* w[0] the loop's own (no thread), w[1..n-1] threads */
    int n;
};

/* The strings of an event and of a fact that may point into the parser's
 * scratch (those of a journald line); the others point into the rules.  A
 * new mc_str field of mc_event or mc_fact belongs here. */
static const uint16_t event_strs[] = {
    offsetof(mc_event, host),     offsetof(mc_event, program),       offsetof(mc_event, status),
    offsetof(mc_event, recipient), offsetof(mc_event, sender),       offsetof(mc_event, relay),
    offsetof(mc_event, client),   offsetof(mc_event, queue_id),      offsetof(mc_event, text),
    offsetof(mc_event, reply),    offsetof(mc_event, reason_detail), offsetof(mc_event, dsn),
    offsetof(mc_event, delay),    offsetof(mc_event, delays),        offsetof(mc_event, transfer),
};
static const uint16_t fact_strs[] = {
    offsetof(mc_fact, host),   offsetof(mc_fact, program), offsetof(mc_fact, queue_id),
    offsetof(mc_fact, sender), offsetof(mc_fact, client),  offsetof(mc_fact, message_id),
};

/* Room for one more element of size `size` in an array of *cap. */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t cap2 = *cap ? *cap * 2 : 256;
    while (cap2 < need)
        cap2 *= 2;
    *cap = cap2;
    return mc_xrealloc(p, cap2 * size);
}

mc_str chunk_line(const mc_chunk *c, const mc_line_out *l) { return mc_str_make(c->bytes.data + l->off, l->len); }

/* Cuts the block into lines as reader_next would (a CR before the newline
 * dropped, not on a last line without one), counts every line and skips
 * the unreadable ones. */
static void split_chunk(mc_chunk *c)
{
    const char *data = c->bytes.data, *p = data, *end = data + c->bytes.len;
    uint64_t lines = 0, skipped = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl ? nl + 1 : end;
        size_t len = (size_t)((nl ? nl : end) - p);
        if (nl && len > 0 && p[len - 1] == '\r')
            len--;
        lines++;
        if (reader_line_kind(p, len) != MC_LINE_OK) {
            skipped++;
            p = next;
            continue;
        }
        c->lines = grow(c->lines, &c->cap_lines, c->n_lines + 1, sizeof *c->lines);
        mc_line_out *l = &c->lines[c->n_lines++];
        memset(l, 0, sizeof *l);
        l->off = (uint32_t)(p - data);
        l->len = (uint32_t)len;
        l->lines = lines;
        l->skipped = skipped;
        l->offset = (uint64_t)(next - data);
        p = next;
    }
    c->tot_lines = lines;
    c->tot_skipped = skipped;
}

/* The strings of one event or fact that lie in scratch are noted to be
 * pointed at the copy of scratch made at side offset *base (made on first
 * need, once per line). */
static void note_relocs(mc_chunk *c, const mc_buf *scratch, void *obj, bool in_fact, uint32_t index, long *base)
{
    /* A plain line leaves the scratch empty: nothing can point into it. */
    if (scratch->len == 0)
        return;
    const uint16_t *fields = in_fact ? fact_strs : event_strs;
    size_t n = in_fact ? sizeof fact_strs / sizeof *fact_strs : sizeof event_strs / sizeof *event_strs;
    uintptr_t lo = (uintptr_t)scratch->data, hi = lo + scratch->len;
    for (size_t i = 0; i < n; i++) {
        mc_str *s = (mc_str *)((char *)obj + fields[i]);
        uintptr_t at = (uintptr_t)s->p;
        if (s->p == NULL || at < lo || at > hi)
            continue;
        if (*base < 0) {
            *base = (long)c->side.len;
            mc_buf_add(&c->side, scratch->data, scratch->len);
        }
        c->relocs = grow(c->relocs, &c->cap_relocs, c->n_relocs + 1, sizeof *c->relocs);
        c->relocs[c->n_relocs++] =
            (mc_reloc){.index = index, .field = fields[i], .in_fact = in_fact, .at = (uint32_t)(*base + (long)(at - lo))};
    }
}

/* Points the noted strings at their copies, now that side will not move. */
static void apply_relocs(mc_chunk *c)
{
    for (size_t i = 0; i < c->n_relocs; i++) {
        const mc_reloc *r = &c->relocs[i];
        void *obj = r->in_fact ? (void *)&c->facts[r->index] : (void *)&c->events[r->index];
        mc_str *s = (mc_str *)((char *)obj + r->field);
        s->p = c->side.data + r->at;
    }
}

/* Prepares the chunk's next event for the loop's aggregate: what needs no
 * other line, done here, counted by the loop in order. */
static void prepare_event(worker *w, mc_chunk *c, const mc_event *ev)
{
    c->preps = grow(c->preps, &c->cap_preps, c->n_events + 1, sizeof *c->preps);
    mc_event_prep *pr = &c->preps[c->n_events];
    pr->has_delays = w->pool->delays;
    if (pr->has_delays)
        delay_read_logged(w->delay_memo, ev->delay, ev->delays, ev->transfer, &pr->delays);
    pr->packed = w->pool->pack != 0;
    if (pr->packed) {
        pr->pack_at = (uint32_t)c->packs.len;
        pr->pack_n = (uint32_t)aggregate_pack_rest(w->pool->pack, ev, &c->packs, pr->lens);
    }
}

/* Parses and classifies every line of a chunk. */
static void parse_chunk(worker *w, mc_chunk *c)
{
    mc_parser *p = &w->parser;
    const mc_rules *rules = w->pool->rules;
    static const mc_time inherit = {.year = INHERIT_YEAR};
    split_chunk(c);
    for (size_t i = 0; i < c->n_lines; i++) {
        mc_line_out *l = &c->lines[i];
        year_ctx_line_start(&p->years);
        p->last_time = inherit;
        uint64_t mta_before = p->mta_lines;
        /* The parser writes an event straight into the chunk's next slot
         * (kept only when the line gives one): copying the 864-byte event
         * in afterwards was a quarter of this loop's own samples. */
        c->events = grow(c->events, &c->cap_events, c->n_events + 1, sizeof *c->events);
        mc_event *ev = &c->events[c->n_events];
        /* And its fact straight into the next fact slot: the copy from
         * the parser read back what it had just written in other widths
         * (store forwarding failed). */
        c->facts = grow(c->facts, &c->cap_facts, c->n_facts + 1, sizeof *c->facts);
        mc_fact *fact = &c->facts[c->n_facts];
        mc_parse_result pr = parser_line_fact(p, chunk_line(c, l), ev, fact);
        l->result = (uint8_t)pr;
        l->mta = (uint8_t)(p->mta_lines - mta_before);
        l->has_stamp = p->last_time.valid;
        if (l->has_stamp)
            l->stamp = p->last_time;
        l->n_calls = (uint8_t)p->years.n_calls;
        l->calls_at = (uint32_t)c->n_calls;
        if (l->n_calls) {
            c->calls = grow(c->calls, &c->cap_calls, c->n_calls + l->n_calls, sizeof *c->calls);
            /* A plain line makes one inference: a memcpy of a size not
             * known here was a rep movs, a fifth of this loop's own time. */
            if (l->n_calls == 1) {
                c->calls[c->n_calls][0] = p->years.calls[0][0];
                c->calls[c->n_calls][1] = p->years.calls[0][1];
            } else {
                memcpy(c->calls + c->n_calls, p->years.calls, l->n_calls * sizeof *c->calls);
            }
            c->n_calls += l->n_calls;
        }
        l->ev = l->fact = -1;
        /* The look for a warning costs on every line: done here, the
         * loop counts the few marked ones. */
        if (w->pool->warnings) {
            mc_warning found;
            l->warning = mtawarn_line(&rules->warnings, p, chunk_line(c, l), &w->warn_scratch, &found);
        }
        long base = -1;
        /* The join looks up a fact's message (a fact always names a
         * queue id), then an event's (when it has one): the first one's
         * mix. */
        l->mix_of = 0;
        if (fact->kind != FACT_NONE) {
            l->fact = (int32_t)c->n_facts;
            if (w->pool->join) {
                l->mix = messages_mix(fact->queue_id);
                l->mix_of = MC_MIX_FACT;
            }
            note_relocs(c, &p->scratch, fact, true, (uint32_t)c->n_facts, &base);
            c->n_facts++;
        }
        if (pr == PARSE_EVENT) {
            if (w->pool->join && l->mix_of == 0 && ev->queue_id.n > 0) {
                l->mix = messages_mix(ev->queue_id);
                l->mix_of = MC_MIX_EVENT;
            }
            classify_event(&rules->knowledge, &rules->reasons, &p->matcher, w->cache, ev);
            if (w->pool->delays || w->pool->pack)
                prepare_event(w, c, ev);
            l->ev = (int32_t)c->n_events;
            note_relocs(c, &p->scratch, &c->events[c->n_events], false, (uint32_t)c->n_events, &base);
            c->n_events++;
        }
    }
    apply_relocs(c);
}

/* Frees a worker's parser, matcher and caches (worker_init's). */
static void worker_state_free(worker *w)
{
    if (w->pool == NULL)
        return;
    parser_free(&w->parser);
    reason_cache_free(w->cache);
    mc_buf_free(&w->warn_scratch);
    free(w->delay_memo);
    w->pool = NULL;
}

static void free_chunks(mc_chunk *c);

/* A worker: parses queued chunks until the pool stops.  After pool_finish
 * it frees its own state on its way out, and the first worker also the
 * caller's parser and caches and the idle chunks: the caller does not
 * parse again, and its core is busy with the batch's last write (some
 * 32 000 frees of two full reason caches and a few MB of chunks, 3-4 ms
 * of a 200 MB report's end, done on the core that has nothing else to do). */
static void *worker_main(void *arg)
{
    worker *w = arg;
    mc_pool *pool = w->pool;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (pool->todo == NULL && !pool->stopping)
            pthread_cond_wait(&pool->work_cv, &pool->mu);
        mc_chunk *c = pool->todo;
        if (c == NULL)
            break;
        pool->todo = c->next_todo;
        if (pool->todo == NULL)
            pool->todo_tail = NULL;
        pthread_mutex_unlock(&pool->mu);
        parse_chunk(w, c);
        pthread_mutex_lock(&pool->mu);
        c->done = true;
        pthread_cond_broadcast(&pool->done_cv);
    }
    bool finishing = pool->finishing;
    pthread_mutex_unlock(&pool->mu);
    if (finishing) {
        int freed = 1;
        worker_state_free(w);
        if (w == &pool->w[1]) {
            worker_state_free(&pool->w[0]);
            free_chunks(pool->free_chunks);
            pool->free_chunks = NULL;
            freed++;
        }
        pthread_mutex_lock(&pool->mu);
        pool->held -= freed;
        pthread_mutex_unlock(&pool->mu);
    }
    return NULL;
}

/* Frees a list of chunks linked by next. */
static void free_chunks(mc_chunk *c)
{
    while (c) {
        mc_chunk *next = c->next;
        mc_buf_free(&c->bytes);
        mc_buf_free(&c->side);
        free(c->lines);
        free(c->events);
        free(c->facts);
        free(c->preps);
        mc_buf_free(&c->packs);
        free(c->calls);
        free(c->relocs);
        free(c);
        c = next;
    }
}

/* A worker's parser, matcher and caches (its thread not started). */
static void worker_init(worker *w, mc_pool *pool, bool delays)
{
    w->pool = pool;
    parser_init(&w->parser, &pool->rules->parse);
    year_ctx_init_deferred(&w->parser.years);
    w->cache = reason_cache_new(&pool->rules->reasons);
    if (delays)
        w->delay_memo = mc_xcalloc(1, sizeof *w->delay_memo);
}

mc_pool *pool_new(const mc_rules *rules, int n, bool warnings, uint32_t keep)
{
    mc_pool *pool = mc_xcalloc(1, sizeof *pool);
    pool->rules = rules;
    pool->warnings = warnings;
    /* The workers read the delays only when there are two of them or more.
     * With --jobs 2 the loop's thread parses half the chunks itself and
     * the run costs the CPU time of both: read where they are counted
     * (add_delay), the delays need no record handed from core to core, and
     * one memo (the aggregate's) stays warm instead of one per thread
     * (docs/BENCHMARKS.md, delays29).  With more threads the loop's own
     * time bounds the run, and the workers take the read off it. */
    bool delays = (keep & MC_KEEP_DELAYS) != 0 && n > 2;
    pool->delays = delays;
    /* The loop's join fills an event's sender: those are packed there. */
    if (!(keep & (1u << DIM_SENDER | 1u << DIM_SENDER_DOMAIN)))
        pool->pack = keep & ((1u << DIM_COUNT) - 1);
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->work_cv, NULL);
    pthread_cond_init(&pool->done_cv, NULL);
    pool->w = mc_xcalloc((size_t)n, sizeof *pool->w);
    pool->n = n;
    pool->held = n;
    worker_init(&pool->w[0], pool, delays);
    /* The loop's thread takes the stop signals: a blocked read there must
     * see EINTR.  Threads inherit the mask they are created with. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    bool ok = true;
    for (int i = 1; i < n && ok; i++) {
        worker *w = &pool->w[i];
        worker_init(w, pool, delays);
        w->started = ok = pthread_create(&w->tid, NULL, worker_main, w) == 0;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!ok) {
        pool_free(pool);
        return NULL;
    }
    return pool;
}

void pool_set_join(mc_pool *pool)
{
    /* Before any chunk is handed over: the pool's lock orders it before
     * every worker's read. */
    pthread_mutex_lock(&pool->mu);
    pool->join = true;
    pthread_mutex_unlock(&pool->mu);
}

void pool_free(mc_pool *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->mu);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->work_cv);
    pthread_mutex_unlock(&pool->mu);
    /* Every thread first: after pool_finish the first frees the caller's state. */
    for (int i = 1; i < pool->n; i++)
        if (pool->w[i].started)
            pthread_join(pool->w[i].tid, NULL);
    for (int i = 0; i < pool->n; i++)
        worker_state_free(&pool->w[i]);
    free_chunks(pool->flight);
    free_chunks(pool->free_chunks);
    pthread_cond_destroy(&pool->done_cv);
    pthread_cond_destroy(&pool->work_cv);
    pthread_mutex_destroy(&pool->mu);
    free(pool->w);
    free(pool);
}

void pool_drop_queued(mc_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    for (mc_chunk *c = pool->todo; c != NULL; c = c->next_todo)
        c->done = true;
    pool->todo = pool->todo_tail = NULL;
    pthread_mutex_unlock(&pool->mu);
}

void pool_finish(mc_pool *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->mu);
    /* Only a started worker frees anything: with none, pool_free does. */
    pool->finishing = pool->n > 1 && pool->w[1].started;
    pool->stopping = true;
    pthread_cond_broadcast(&pool->work_cv);
    pthread_mutex_unlock(&pool->mu);
}

int pool_states_held(mc_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    int n = pool->held;
    pthread_mutex_unlock(&pool->mu);
    return n;
}

mc_chunk *pool_chunk(mc_pool *pool)
{
    mc_chunk *c = pool->free_chunks;
    if (c)
        pool->free_chunks = c->next;
    else
        c = mc_xcalloc(1, sizeof *c);
    mc_buf_reset(&c->bytes);
    mc_buf_reset(&c->side);
    mc_buf_reset(&c->packs);
    c->base_lines = c->base_skipped = c->base_offset = c->tot_lines = c->tot_skipped = 0;
    c->n_lines = c->n_events = c->n_facts = c->n_calls = c->n_relocs = 0;
    c->done = false;
    c->next = c->next_todo = NULL;
    return c;
}

void pool_submit(mc_pool *pool, mc_chunk *c)
{
    c->seq = pool->seq++;
    pthread_mutex_lock(&pool->mu);
    if (pool->todo_tail)
        pool->todo_tail->next_todo = c;
    else
        pool->todo = c;
    pool->todo_tail = c;
    if (pool->flight_tail)
        pool->flight_tail->next = c;
    else
        pool->flight = c;
    pool->flight_tail = c;
    pool->n_flight++;
    pthread_cond_signal(&pool->work_cv);
    pthread_mutex_unlock(&pool->mu);
}

size_t pool_in_flight(const mc_pool *pool) { return pool->n_flight; }

mc_chunk *pool_take(mc_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    mc_chunk *c = pool->flight;
    if (c != NULL) {
        while (!c->done) {
            mc_chunk *t = pool->todo;
            if (t == NULL) {
                pthread_cond_wait(&pool->done_cv, &pool->mu);
                continue;
            }
            /* The oldest itself when no worker took it yet, else the
             * one the workers would take next. */
            pool->todo = t->next_todo;
            if (pool->todo == NULL)
                pool->todo_tail = NULL;
            pthread_mutex_unlock(&pool->mu);
            parse_chunk(&pool->w[0], t);
            pthread_mutex_lock(&pool->mu);
            t->done = true;
        }
        pool->flight = c->next;
        if (pool->flight == NULL)
            pool->flight_tail = NULL;
        pool->n_flight--;
        c->next = NULL;
    }
    pthread_mutex_unlock(&pool->mu);
    return c;
}

void pool_recycle(mc_pool *pool, mc_chunk *c)
{
    c->next = pool->free_chunks;
    pool->free_chunks = c;
}

/* A time a worker left open: the line before's, or a replayed year. */
static void settle_time(const mc_parser *p, mc_time *t, const int *years, int n)
{
    if (!t->valid && t->year == INHERIT_YEAR)
        *t = p->last_time;
    else
        year_resolve(t, years, n);
}

void workers_settle(mc_parser *p, mc_chunk *c, const mc_line_out *l)
{
    int years[MC_YEAR_CALLS];
    year_ctx_replay(&p->years, l->n_calls ? c->calls + l->calls_at : NULL, l->n_calls, years);
    if (l->has_stamp) {
        mc_time t = l->stamp;
        year_resolve(&t, years, l->n_calls);
        p->last_time = t;
    }
    if (l->ev >= 0)
        settle_time(p, &c->events[l->ev].time, years, l->n_calls);
    if (l->fact >= 0)
        settle_time(p, &c->facts[l->fact].time, years, l->n_calls);
    p->mta_lines += l->mta;
}

int workers_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MC_MAX_JOBS ? MC_MAX_JOBS : (int)n;
}
