/*
 * messages.c - the join by message (see messages.h).
 *
 * An open-addressing hash (linear probing) of messages in flight.  Each
 * message remembers its envelope sender, its size and which figures it has
 * already counted, so that a message deferred ten times is one deferred
 * message and a message with three delivered recipients one delivered
 * message.  Quiet messages are swept out once an hour of log time by
 * rebuilding the slots without them; the table never grows past its
 * capacity.
 */
#include "messages.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* What a message has been counted as, once each. */
enum {
    M_RECEIVED = 1 << 0,
    M_GENERATED = 1 << 1,
    M_DELIVERED = 1 << 2,
    M_DEFERRED = 1 << 3,
    M_BOUNCED = 1 << 4,
    M_EXPIRED = 1 << 5,
    M_REJECTED = 1 << 6,
};

#define MAX_ADDRESS 1024 /* longer senders are not kept (no MTA accepts them) */
#define SWEEP_EVERY 3600 /* seconds of log time between sweeps */

typedef struct {
    char *key;        /* NULL: empty slot */
    size_t key_len;
    uint64_t hash;
    char *sender;     /* NULL: unknown; "" the null sender */
    int64_t size;
    int64_t first, last;
    unsigned flags;
    bool dirty;       /* changed since the last messages_changes_saved */
} msg_entry;

struct mc_messages {
    msg_entry *slots;
    size_t n_slots, n, capacity;
    int64_t lifetime, last_sweep, now;
    char keybuf[MAX_ADDRESS + 512];
    bool track;       /* keep dirty flags and the keys gone */
    char **gone;
    size_t n_gone, cap_gone;
};

mc_messages *messages_new(size_t capacity, int64_t lifetime)
{
    mc_messages *m = mc_xcalloc(1, sizeof *m);
    m->capacity = capacity ? capacity : MC_MESSAGES_CAPACITY;
    /* Slots double as the table fills: a small log stays small. */
    m->n_slots = 1024;
    m->slots = mc_xcalloc(m->n_slots, sizeof *m->slots);
    m->lifetime = lifetime > 0 ? lifetime : MC_MESSAGES_LIFETIME;
    return m;
}

/* Frees one entry's strings. */
static void entry_clear(msg_entry *e)
{
    free(e->key);
    free(e->sender);
    memset(e, 0, sizeof *e);
}

void messages_free(mc_messages *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_slots; i++)
        entry_clear(&m->slots[i]);
    for (size_t i = 0; i < m->n_gone; i++)
        free(m->gone[i]);
    free(m->gone);
    free(m->slots);
    free(m);
}

size_t messages_in_flight(const mc_messages *m) { return m->n; }

/* Seconds since 1970 of a zone-less civil time (days from civil, Howard
 * Hinnant's algorithm): cheap, and only differences are ever used. */
static int64_t seconds_of(const mc_time *t)
{
    if (!t->valid)
        return 0;
    int64_t y = t->year - (t->month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (t->month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + t->day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + t->hour * 3600 + t->min * 60 + t->sec;
}

static uint64_t hash_of(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* host '\n' instance '\n' queue id '\n' into m->keybuf; its length, or 0
 * when it does not fit.  The instance is the syslog program up to its
 * first '/' (postfix, postfix-out), so instances on one host stay apart. */
static size_t make_key(mc_messages *m, mc_str host, mc_str program, mc_str queue_id)
{
    size_t inst = 0;
    while (inst < program.n && program.p[inst] != '/')
        inst++;
    size_t hn = host.p ? host.n : 0;
    size_t need = hn + inst + queue_id.n + 3;
    if (need > sizeof m->keybuf)
        return 0;
    char *k = m->keybuf;
    memcpy(k, host.p ? host.p : "", hn);
    k[hn] = '\n';
    memcpy(k + hn + 1, program.p ? program.p : "", inst);
    k[hn + 1 + inst] = '\n';
    memcpy(k + hn + inst + 2, queue_id.p, queue_id.n);
    k[need - 1] = '\n';
    return need;
}

/* Remembers the key of a message leaving the table, for the database. */
static void note_gone(mc_messages *m, const msg_entry *e)
{
    if (!m->track)
        return;
    if (m->n_gone == m->cap_gone) {
        m->cap_gone = m->cap_gone ? m->cap_gone * 2 : 256;
        m->gone = mc_xrealloc(m->gone, m->cap_gone * sizeof *m->gone);
    }
    m->gone[m->n_gone++] = mc_xstrndup(e->key, e->key_len);
}

/* Places an entry (its key and hash set) in the first free slot of its chain. */
static void place(msg_entry *slots, size_t n_slots, const msg_entry *e)
{
    size_t s = e->hash & (n_slots - 1);
    while (slots[s].key)
        s = (s + 1) & (n_slots - 1);
    slots[s] = *e;
}

/* Rebuilds the slots (n_slots of them) keeping the messages heard of since
 * `since`; the others are counted as evicted. */
static void rebuild(mc_messages *m, size_t n_slots, int64_t since, mc_msg_figures *fig)
{
    msg_entry *slots = mc_xcalloc(n_slots, sizeof *slots);
    size_t kept = 0;
    for (size_t i = 0; i < m->n_slots; i++) {
        msg_entry *e = &m->slots[i];
        if (e->key == NULL)
            continue;
        if (e->last < since) {
            fig->evicted++;
            note_gone(m, e);
            entry_clear(e);
            continue;
        }
        place(slots, n_slots, e);
        kept++;
    }
    free(m->slots);
    m->slots = slots;
    m->n_slots = n_slots;
    m->n = kept;
}

/* Drops quiet messages once an hour of log time, and makes room when full:
 * the quietest go first, in steps of half the remaining lifetime. */
static void sweep(mc_messages *m, mc_msg_figures *fig)
{
    bool full = m->n >= m->capacity;
    if (!full && m->now - m->last_sweep < SWEEP_EVERY)
        return;
    m->last_sweep = m->now;
    int64_t keep = m->lifetime;
    rebuild(m, m->n_slots, m->now - keep, fig);
    while (m->n >= m->capacity - m->capacity / 8 && keep > 0) {
        keep /= 2;
        rebuild(m, m->n_slots, m->now - keep, fig);
    }
}

/* The entry of a key, created when missing (NULL when the key is too long). */
static msg_entry *lookup(mc_messages *m, mc_str host, mc_str program, mc_str queue_id, const mc_time *t,
                         bool create, mc_msg_figures *fig)
{
    int64_t now = seconds_of(t);
    if (now > m->now)
        m->now = now;
    size_t kn = make_key(m, host, program, queue_id);
    if (kn == 0)
        return NULL;
    uint64_t h = hash_of(m->keybuf, kn);
    size_t s = h & (m->n_slots - 1);
    for (; m->slots[s].key; s = (s + 1) & (m->n_slots - 1)) {
        msg_entry *e = &m->slots[s];
        if (e->hash == h && e->key_len == kn && memcmp(e->key, m->keybuf, kn) == 0) {
            if (now > e->last)
                e->last = now;
            e->dirty = true;
            return e;
        }
    }
    if (!create)
        return NULL;
    sweep(m, fig);
    if ((m->n + 1) * 2 > m->n_slots)
        rebuild(m, m->n_slots * 2, INT64_MIN, fig);
    msg_entry e = {.key = mc_xstrndup(m->keybuf, kn), .key_len = kn, .hash = h, .size = -1,
                   .first = now, .last = now, .dirty = true};
    place(m->slots, m->n_slots, &e);
    m->n++;
    /* The placed copy: found again by its key. */
    for (s = h & (m->n_slots - 1); m->slots[s].key != e.key; s = (s + 1) & (m->n_slots - 1))
        ;
    return &m->slots[s];
}

/* Removes an entry, shifting its chain back so that lookups still find
 * every other key (deletion without tombstones). */
static void remove_entry(mc_messages *m, msg_entry *e)
{
    size_t i = (size_t)(e - m->slots);
    note_gone(m, e);
    entry_clear(e);
    m->n--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & (m->n_slots - 1);
        if (m->slots[j].key == NULL)
            return;
        size_t home = m->slots[j].hash & (m->n_slots - 1);
        /* Moves back when its home is not cyclically in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays)
            continue;
        m->slots[i] = m->slots[j];
        memset(&m->slots[j], 0, sizeof m->slots[j]);
        i = j;
    }
}

/* Keeps the sender (a copy) unless it is already known or too long. */
static void keep_sender(msg_entry *e, mc_str sender)
{
    if (e->sender != NULL || sender.p == NULL || sender.n > MAX_ADDRESS)
        return;
    e->sender = mc_xstrndup(sender.p, sender.n);
}

/* Counts a figure once per message: true the first time. */
static bool first_time(msg_entry *e, unsigned flag)
{
    if (e->flags & flag)
        return false;
    e->flags |= flag;
    return true;
}

void messages_fact(mc_messages *m, const mc_fact *f, mc_msg_figures *fig)
{
    if (f->kind == FACT_NONE || f->queue_id.p == NULL)
        return;
    if (f->kind == FACT_REMOVED) {
        msg_entry *e = lookup(m, f->host, f->program, f->queue_id, &f->time, false, fig);
        if (e)
            remove_entry(m, e);
        return;
    }
    msg_entry *e = lookup(m, f->host, f->program, f->queue_id, &f->time, true, fig);
    if (e == NULL)
        return;
    if (f->has_sender)
        keep_sender(e, f->sender);
    bool fresh_size = f->size >= 0 && e->size < 0;
    if (f->size >= 0)
        e->size = f->size;
    switch (f->kind) {
    case FACT_RECEIVED:
        if (!(e->flags & M_GENERATED) && first_time(e, M_RECEIVED))
            fig->received++;
        break;
    case FACT_GENERATED:
        if (first_time(e, M_GENERATED))
            fig->generated++;
        break;
    default:
        break;
    }
    /* Bytes received: a received message's size, once, whichever line
     * (Exim's <=, Postfix qmgr's from=) brings it. */
    if (fresh_size && (e->flags & M_RECEIVED))
        fig->bytes_received += (uint64_t)e->size;
}

/* The status words of outcomes, and the figure each settles. */
static const struct {
    const char *status;
    unsigned flag;
    size_t offset;
} status_figures[] = {
    {"sent", M_DELIVERED, offsetof(mc_msg_figures, delivered)},
    {"deferred", M_DEFERRED, offsetof(mc_msg_figures, deferred)},
    {"bounced", M_BOUNCED, offsetof(mc_msg_figures, bounced)},
    {"expired", M_EXPIRED, offsetof(mc_msg_figures, expired)},
    {"rejected", M_REJECTED, offsetof(mc_msg_figures, rejected)},
};

void messages_event(mc_messages *m, mc_event *ev, mc_msg_figures *fig)
{
    size_t st = 0;
    while (st < sizeof status_figures / sizeof status_figures[0] &&
           !(ev->status.n == strlen(status_figures[st].status) &&
             memcmp(ev->status.p, status_figures[st].status, ev->status.n) == 0))
        st++;
    bool known = st < sizeof status_figures / sizeof status_figures[0];
    if (ev->queue_id.p == NULL || ev->queue_id.n == 0) {
        /* Refused before it had a queue id: each refusal one message, but
         * not a refusal outside the mail transaction (a failed AUTH). */
        if (known && status_figures[st].flag == M_REJECTED && !(ev->stage && strcmp(ev->stage, "other") == 0))
            fig->rejected++;
        return;
    }
    msg_entry *e = lookup(m, ev->host, ev->program, ev->queue_id, &ev->time, true, fig);
    if (e == NULL)
        return;
    if (ev->sender.p != NULL)
        keep_sender(e, ev->sender);
    else if (e->sender != NULL) {
        ev->sender = mc_str_cstr(e->sender);
        mc_address_domain(ev->sender, ev->sender_domain, sizeof ev->sender_domain);
    }
    if (!known)
        return;
    if (first_time(e, status_figures[st].flag))
        (*(uint64_t *)((char *)fig + status_figures[st].offset))++;
    if (status_figures[st].flag == M_DELIVERED && e->size > 0)
        fig->bytes_delivered += (uint64_t)e->size;
}

/* What is kept of a message between runs. */
static mc_message_state state_of(const msg_entry *e)
{
    return (mc_message_state){.key = e->key, .sender = e->sender, .size = e->size, .first = e->first,
                              .last = e->last, .flags = e->flags};
}

bool messages_export(const mc_messages *m, mc_message_fn fn, void *ctx)
{
    for (size_t i = 0; i < m->n_slots; i++) {
        const msg_entry *e = &m->slots[i];
        if (e->key == NULL)
            continue;
        mc_message_state st = state_of(e);
        if (!fn(&st, ctx))
            return false;
    }
    return true;
}

bool messages_import(mc_messages *m, const mc_message_state *st)
{
    size_t kn = strlen(st->key);
    if (m->n + 1 >= m->capacity || kn == 0 || kn >= sizeof m->keybuf)
        return false;
    if ((m->n + 1) * 2 > m->n_slots) {
        mc_msg_figures none = {0};
        rebuild(m, m->n_slots * 2, INT64_MIN, &none);
    }
    msg_entry e = {.key = mc_xstrndup(st->key, kn), .key_len = kn, .hash = hash_of(st->key, kn),
                   .sender = st->sender ? mc_xstrdup(st->sender) : NULL, .size = st->size,
                   .first = st->first, .last = st->last, .flags = st->flags};
    place(m->slots, m->n_slots, &e);
    m->n++;
    if (st->last > m->now)
        m->now = st->last;
    return true;
}

void messages_reset(mc_messages *m)
{
    for (size_t i = 0; i < m->n_slots; i++)
        entry_clear(&m->slots[i]);
    m->n = 0;
    m->now = m->last_sweep = 0;
    messages_changes_saved(m);
    for (size_t i = 0; i < m->n_slots; i++)
        m->slots[i].dirty = false;
}

void messages_track_changes(mc_messages *m) { m->track = true; }

bool messages_changes(const mc_messages *m, mc_message_fn changed, mc_message_gone_fn gone, void *ctx)
{
    for (size_t i = 0; i < m->n_gone; i++)
        if (!gone(m->gone[i], ctx))
            return false;
    for (size_t i = 0; i < m->n_slots; i++) {
        const msg_entry *e = &m->slots[i];
        if (e->key == NULL || !e->dirty)
            continue;
        mc_message_state st = state_of(e);
        if (!changed(&st, ctx))
            return false;
    }
    return true;
}

void messages_changes_saved(mc_messages *m)
{
    for (size_t i = 0; i < m->n_gone; i++)
        free(m->gone[i]);
    m->n_gone = 0;
    for (size_t i = 0; i < m->n_slots; i++)
        m->slots[i].dirty = false;
}
