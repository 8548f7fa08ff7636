/*
 * msgstage.c - the join by message on a thread of its own (see msgstage.h).
 *
 * A ring of MC_MSGSTAGE_DEPTH slots under one mutex: the loop fills the
 * slot at `tail`, the thread joins the one at `joined`, the loop takes
 * back the one at `head` (head <= joined <= tail, counted without end).
 * A slot's figures array is written by the thread alone while it joins,
 * read by the loop alone once joined: the mutex orders the two.  The loop
 * never waits on a full ring inside msgstage_push (it would wait for
 * itself): it takes a chunk back first (msgstage_full).
 */
#include "msgstage.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

/* Chunks handed over before the thread is woken for them. */
#define MSGSTAGE_WAKE_AT (MC_MSGSTAGE_DEPTH / 2)

typedef struct {
    mc_chunk *chunk;
    size_t n_lines;           /* the lines the loop applied */
    mc_stage_figure *figs;    /* what they settled, in order */
    size_t n_figs, cap_figs;
} stage_slot;

struct mc_msgstage {
    mc_messages *m;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;   /* a chunk was handed over, or stop */
    pthread_cond_t done_cv;   /* a chunk was joined */
    uint64_t head, joined, tail;
    bool idle;                /* the thread waits for work */
    bool stopping;
    stage_slot slots[MC_MSGSTAGE_DEPTH];
};

/* Writes down a line's figures, when it settled any. */
static void note_figures(stage_slot *sl, const mc_time *t, const mc_msg_figures *fig)
{
    if (!messages_figures_any(fig))
        return;
    if (sl->n_figs == sl->cap_figs) {
        sl->cap_figs = sl->cap_figs ? 2 * sl->cap_figs : 64;
        sl->figs = mc_xrealloc(sl->figs, sl->cap_figs * sizeof *sl->figs);
    }
    sl->figs[sl->n_figs++] = (mc_stage_figure){.time = *t, .fig = *fig};
}

/* Joins the applied lines of a slot's chunk, in order, as the loop's
 * apply_line would: a line's fact first, then its outcome. */
static void join_slot(mc_messages *m, stage_slot *sl)
{
    mc_chunk *c = sl->chunk;
    for (size_t i = 0; i < sl->n_lines; i++) {
        const mc_line_out *l = &c->lines[i];
        if (l->fact >= 0) {
            mc_msg_figures fig = {0};
            messages_fact(m, &c->facts[l->fact], &fig);
            note_figures(sl, &c->facts[l->fact].time, &fig);
        }
        if (l->result == PARSE_EVENT && l->ev >= 0) {
            mc_msg_figures fig = {0};
            messages_event(m, &c->events[l->ev], &fig);
            note_figures(sl, &c->events[l->ev].time, &fig);
        }
    }
}

/* The thread: joins each chunk handed over, in order, until stopped. */
static void *stage_main(void *arg)
{
    mc_msgstage *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->joined == s->tail && !s->stopping) {
            s->idle = true;
            pthread_cond_wait(&s->work_cv, &s->mu);
            s->idle = false;
        }
        if (s->joined == s->tail)
            break;
        stage_slot *sl = &s->slots[s->joined % MC_MSGSTAGE_DEPTH];
        pthread_mutex_unlock(&s->mu);
        join_slot(s->m, sl);
        pthread_mutex_lock(&s->mu);
        s->joined++;
        pthread_cond_signal(&s->done_cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

mc_msgstage *msgstage_new(mc_messages *m)
{
    mc_msgstage *s = mc_xcalloc(1, sizeof *s);
    s->m = m;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    /* The loop's thread takes the stop signals (as the workers'). */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    bool ok = pthread_create(&s->tid, NULL, stage_main, s) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!ok) {
        pthread_cond_destroy(&s->done_cv);
        pthread_cond_destroy(&s->work_cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    return s;
}

void msgstage_free(mc_msgstage *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_signal(&s->work_cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->tid, NULL);
    for (size_t i = 0; i < MC_MSGSTAGE_DEPTH; i++)
        free(s->slots[i].figs);
    pthread_cond_destroy(&s->done_cv);
    pthread_cond_destroy(&s->work_cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

bool msgstage_full(const mc_msgstage *s) { return s->tail - s->head == MC_MSGSTAGE_DEPTH; }

void msgstage_push(mc_msgstage *s, mc_chunk *c, size_t n_lines)
{
    stage_slot *sl = &s->slots[s->tail % MC_MSGSTAGE_DEPTH];
    pthread_mutex_lock(&s->mu);
    sl->chunk = c;
    sl->n_lines = n_lines;
    sl->n_figs = 0;
    s->tail++;
    /* Woken for a few chunks at a time, not for each: a wake-up costs
     * two context switches. */
    if (s->idle && s->tail - s->joined >= MSGSTAGE_WAKE_AT)
        pthread_cond_signal(&s->work_cv);
    pthread_mutex_unlock(&s->mu);
}

mc_chunk *msgstage_take(mc_msgstage *s, bool wait, const mc_stage_figure **figs, size_t *n)
{
    pthread_mutex_lock(&s->mu);
    if (s->head == s->tail || (!wait && s->head == s->joined)) {
        pthread_mutex_unlock(&s->mu);
        return NULL;
    }
    if (s->idle)
        pthread_cond_signal(&s->work_cv);
    while (s->head == s->joined)
        pthread_cond_wait(&s->done_cv, &s->mu);
    stage_slot *sl = &s->slots[s->head % MC_MSGSTAGE_DEPTH];
    s->head++;
    pthread_mutex_unlock(&s->mu);
    *figs = sl->figs;
    *n = sl->n_figs;
    return sl->chunk;
}
