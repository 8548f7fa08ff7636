/*
 * reader.c - the first stage of the data flow: bytes in, lines out.
 *
 * One buffer of MC_MAX_LINE + READ_CHUNK bytes serves the whole input.  A
 * line longer than MC_MAX_LINE is dropped in "discard mode" until its
 * newline, so memory stays flat even on a file with no newline at all; it
 * is counted (and the offset moves past it) only when it ends, so a stop
 * inside it resumes at its start.  Every loop looks at the caller's stop
 * flag, so SIGTERM is honoured within one read even on /dev/zero.
 * gzip is recognised by its magic bytes, not the file name, so
 * `zcat | mailcodes` and `mailcodes mail.log.2.gz` both work; concatenated
 * gzip members (as logrotate's delaycompress may produce) are followed.
 * With workers (--jobs), reader_next_block hands out blocks of whole lines
 * read straight into the caller's buffer, for the workers to split, and a
 * .gz file may be inflated on a thread of its own (reader_inflate_thread).
 */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* A line of 64 bytes or more is checked 64 bytes a step where the CPU has
 * AVX2 (reader_line_kind asks it on each line). */
#define LINE_KIND_WIDE 1
#endif

#define READ_CHUNK (256 * 1024)
#define BUF_SIZE (MC_MAX_LINE + READ_CHUNK)
/* The inflate thread's hand-over: GZ_SLOTS blocks of GZ_BLOCK bytes. */
#define GZ_SLOTS 4
#define GZ_BLOCK (256 * 1024)
/* How long a wait for the inflate thread lasts before the stop flag is
 * looked at again. */
#define GZ_WAIT_MS 100

/* reader_next_block reads at least this much at a time, even for tiny blocks. */
#define MIN_BLOCK_READ 4096

struct mc_reader {
    int fd;
    bool own_fd;
    char *name;
    char *buf;           /* decompressed bytes */
    size_t start, end;   /* unread window of buf */
    size_t scan;         /* newline search resumes here */
    bool eof;            /* no more bytes will arrive in buf */
    bool discarding;     /* inside an over-long line */
    uint64_t discarded;  /* bytes of it dropped so far */
    bool gzip;
    bool failed;
    z_stream zs;
    unsigned char *zin;  /* compressed input */
    bool zs_ready;
    bool zin_eof;
    bool gz_failed;      /* the decoder's error (in gz_err), told by read_inflated */
    char gz_err[256];
    struct gz_thread *inflater; /* NULL: inflate on the caller's thread */
    uint64_t consumed;   /* offset of buf[start] in the decompressed stream */
    uint64_t raw_read;   /* bytes read from the descriptor (follow: truncation check) */
    int idle_ms;         /* > 0: return 2 when a pipe is silent this long */
    const volatile sig_atomic_t *stop; /* the caller's stop request, or NULL */
    bool follow;         /* EOF of a regular file is "no data yet" */
    bool nowait;         /* return 3 rather than block (reader_set_nowait) */
    struct stat st;
    bool have_st;
    mc_reader_stats stats;
    char err[256];
};

static void set_error(mc_reader *r, const char *what)
{
    snprintf(r->err, sizeof r->err, "%s: %s", r->name, what);
    r->failed = true;
}

static bool stop_requested(const mc_reader *r) { return r->stop != NULL && *r->stop; }

/* Reads raw bytes from the descriptor.  -2: interrupted by a signal that
 * asked to stop (or, before a stop flag is set, by any signal: a handler
 * installed without SA_RESTART wants the read cut short); other EINTRs are
 * retried. */
static ssize_t read_raw(mc_reader *r, void *dst, size_t n)
{
    for (;;) {
        ssize_t got = read(r->fd, dst, n);
        if (got > 0)
            r->raw_read += (uint64_t)got;
        if (got >= 0 || errno != EINTR)
            return got;
        if (r->stop == NULL || stop_requested(r))
            return -2;
    }
}

/* Waits for input on a pipe up to idle_ms; false on time-out. */
static bool wait_readable(mc_reader *r)
{
    if (r->idle_ms <= 0)
        return true;
    struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
    int rc = poll(&pfd, 1, r->idle_ms);
    /* A signal also returns "idle": the caller checks its stop flag. */
    if (rc < 0 && errno == EINTR)
        return false;
    return rc != 0;
}

/* The decoder's error, kept apart from the reader's: the inflate thread
 * may meet it while the reader's owner looks at r->failed. */
static void gz_error(mc_reader *r, const char *what)
{
    snprintf(r->gz_err, sizeof r->gz_err, "%s: %s", r->name, what);
    r->gz_failed = true;
}

/* Fills up to room bytes at dst with decompressed data. */
static ssize_t read_gzip(mc_reader *r, char *dst, size_t room)
{
    r->zs.next_out = (unsigned char *)dst;
    r->zs.avail_out = (uInt)room;
    while (r->zs.avail_out == room) {
        if (r->zs.avail_in == 0 && !r->zin_eof) {
            ssize_t got = read_raw(r, r->zin, READ_CHUNK);
            if (got == -2)
                return -2;
            if (got < 0) {
                gz_error(r, strerror(errno));
                return -1;
            }
            if (got == 0)
                r->zin_eof = true;
            r->zs.next_in = r->zin;
            r->zs.avail_in = (uInt)got;
        }
        if (r->zs.avail_in == 0 && r->zin_eof) {
            if (r->zs_ready) {
                /* Stream ended inside a member: keep what we have, say so. */
                gz_error(r, "truncated gzip data (the lines before the cut were read)");
                return (ssize_t)(room - r->zs.avail_out) > 0 ? (ssize_t)(room - r->zs.avail_out) : -1;
            }
            return 0;
        }
        int rc = inflate(&r->zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            /* Another member may follow: reset and go on. */
            inflateReset(&r->zs);
            r->zs_ready = false;
            if (r->zs.avail_in == 0 && r->zin_eof)
                break;
            continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            gz_error(r, r->zs.msg ? r->zs.msg : "corrupt gzip data");
            return -1;
        }
        r->zs_ready = true;
        if (rc == Z_BUF_ERROR && r->zs.avail_in == 0 && r->zin_eof)
            continue;
    }
    return (ssize_t)(room - r->zs.avail_out);
}

/* Decompressed blocks handed from the inflate thread to the reader: a
 * ring of GZ_SLOTS, the filled ones from head on. */
typedef struct gz_thread {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;        /* a slot was filled or emptied, or quit */
    char *slot[GZ_SLOTS];
    size_t len[GZ_SLOTS];
    size_t head, count, pos;  /* pos: bytes of slot[head] taken */
    bool done;                /* the thread has reached the end or an error */
    bool quit;                /* the reader is closing */
} gz_thread;

/* The inflate thread: fills free slots until the end of the stream, an
 * error, or the reader closes.  It alone touches the decoder's state. */
static void *inflate_main(void *arg)
{
    mc_reader *r = arg;
    gz_thread *t = r->inflater;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (t->count == GZ_SLOTS && !t->quit)
            pthread_cond_wait(&t->cv, &t->mu);
        if (t->quit)
            break;
        size_t at = (t->head + t->count) % GZ_SLOTS;
        pthread_mutex_unlock(&t->mu);
        ssize_t got = read_gzip(r, t->slot[at], GZ_BLOCK);
        pthread_mutex_lock(&t->mu);
        if (got > 0) {
            t->len[at] = (size_t)got;
            t->count++;
        }
        if (got <= 0 || r->gz_failed) {
            t->done = true;
            pthread_cond_broadcast(&t->cv);
            break;
        }
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* Waits for the inflate thread on t->mu (held) up to GZ_WAIT_MS. */
static void gz_wait(gz_thread *t)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += GZ_WAIT_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&t->cv, &t->mu, &until);
}

/* Takes up to room decompressed bytes from the inflate thread.  -2 when a
 * stop was requested while waiting. */
static ssize_t take_inflated(mc_reader *r, char *dst, size_t room)
{
    gz_thread *t = r->inflater;
    pthread_mutex_lock(&t->mu);
    while (t->count == 0 && !t->done && !stop_requested(r))
        gz_wait(t);
    bool have = t->count > 0, done = t->done, failed = r->gz_failed;
    pthread_mutex_unlock(&t->mu);
    if (!have)
        return !done ? -2 : failed ? -1 : 0;
    /* slot[head] is the reader's until it is given back. */
    size_t n = t->len[t->head] - t->pos;
    if (n > room)
        n = room;
    memcpy(dst, t->slot[t->head] + t->pos, n);
    pthread_mutex_lock(&t->mu);
    t->pos += n;
    if (t->pos == t->len[t->head]) {
        t->head = (t->head + 1) % GZ_SLOTS;
        t->count--;
        t->pos = 0;
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return (ssize_t)n;
}

/* Decompressed bytes, from the inflate thread or inflated here; the
 * decoder's error becomes the reader's once its bytes are taken. */
static ssize_t read_inflated(mc_reader *r, char *dst, size_t room)
{
    ssize_t got = r->inflater ? take_inflated(r, dst, room) : read_gzip(r, dst, room);
    /* With the thread, gz_failed may be read only once it is done. */
    if ((r->inflater ? got == -1 : r->gz_failed) && !r->failed) {
        snprintf(r->err, sizeof r->err, "%s", r->gz_err);
        r->failed = true;
    }
    return got;
}

/* Starts the inflate thread where it can run (reader.h). */
void reader_inflate_thread(mc_reader *r)
{
    if (!r->gzip || r->inflater || r->follow || r->gz_failed || !r->have_st || !S_ISREG(r->st.st_mode))
        return;
    gz_thread *t = mc_xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    for (size_t i = 0; i < GZ_SLOTS; i++)
        t->slot[i] = mc_xmalloc(GZ_BLOCK);
    r->inflater = t;
    /* The caller's thread takes the stop signals (its reads see EINTR). */
    sigset_t block, old;
    sigfillset(&block);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    bool ok = pthread_create(&t->tid, NULL, inflate_main, r) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!ok) {
        r->inflater = NULL; /* inflate here, as before */
        for (size_t i = 0; i < GZ_SLOTS; i++)
            free(t->slot[i]);
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        free(t);
    }
}

/* Stops and frees the inflate thread. */
static void inflater_free(mc_reader *r)
{
    gz_thread *t = r->inflater;
    if (t == NULL)
        return;
    pthread_mutex_lock(&t->mu);
    t->quit = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->tid, NULL);
    for (size_t i = 0; i < GZ_SLOTS; i++)
        free(t->slot[i]);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
    r->inflater = NULL;
}

/* Makes room and reads more bytes into buf.  Returns bytes added, 0 at EOF,
 * -1 on error, -2 when a silent pipe or a signal should let the caller look
 * at its stop flag or commit. */
static ssize_t fill(mc_reader *r)
{
    if (r->start > 0 && (BUF_SIZE - r->end) < READ_CHUNK) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->scan -= r->start;
        r->start = 0;
    }
    size_t room = BUF_SIZE - r->end;
    if (room > READ_CHUNK)
        room = READ_CHUNK;
    if (!r->gzip && !wait_readable(r))
        return -2; /* silent pipe: let the caller commit */
    ssize_t got = r->gzip ? read_inflated(r, r->buf + r->end, room) : read_raw(r, r->buf + r->end, room);
    if (got == -2)
        return -2;
    if (got < 0) {
        /* read_gzip has said what is wrong; errno is only read's. */
        if (!r->failed)
            set_error(r, strerror(errno));
        return -1;
    }
    r->end += (size_t)got;
    return got;
}

static mc_reader *reader_new(int fd, bool own, const char *name)
{
    mc_reader *r = mc_xcalloc(1, sizeof *r);
    r->fd = fd;
    r->own_fd = own;
    r->name = mc_xstrdup(name);
    r->buf = mc_xmalloc(BUF_SIZE);
    r->have_st = fstat(fd, &r->st) == 0;
#if defined(F_SETPIPE_SZ)
    /* A pipe (`tail -F | mailcodes ingest -`) holds 64 KiB by default: the
     * writer and this reader then wake each other every 64 KiB.  A larger
     * one (as far as fs.pipe-max-size allows; refused is harmless) lets
     * each read take up to a READ_CHUNK. */
    if (r->have_st && S_ISFIFO(r->st.st_mode))
        (void)fcntl(fd, F_SETPIPE_SZ, READ_CHUNK * 4);
#endif
    return r;
}

/* Looks at the first two raw bytes; sets up zlib when they are gzip's. */
static bool detect_gzip(mc_reader *r, char *err, size_t errlen)
{
    unsigned char head[2];
    size_t have = 0;
    while (have < 2) {
        ssize_t got = read_raw(r, head + have, 2 - have);
        if (got == -2)
            break; /* stopping: whatever comes is not read anyway */
        if (got < 0) {
            snprintf(err, errlen, "%s: %s", r->name, strerror(errno));
            return false;
        }
        if (got == 0)
            break;
        have += (size_t)got;
    }
    if (have == 2 && head[0] == 0x1f && head[1] == 0x8b) {
        r->gzip = true;
        r->zin = mc_xmalloc(READ_CHUNK);
        memcpy(r->zin, head, 2);
        memset(&r->zs, 0, sizeof r->zs);
        r->zs.next_in = r->zin;
        r->zs.avail_in = 2;
        if (inflateInit2(&r->zs, 15 + 16) != Z_OK) {
            snprintf(err, errlen, "%s: cannot start gzip decoder", r->name);
            return false;
        }
    } else {
        memcpy(r->buf, head, have);
        r->end = have;
    }
    return true;
}

mc_reader *reader_open_fd(int fd, const char *name, char *err, size_t errlen)
{
    mc_reader *r = reader_new(fd, false, name);
    if (!detect_gzip(r, err, errlen)) {
        reader_close(r);
        return NULL;
    }
    return r;
}

mc_reader *reader_open(const char *path, char *err, size_t errlen)
{
    if (strcmp(path, "-") == 0)
        return reader_open_fd(STDIN_FILENO, "(stdin)", err, errlen);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory", path);
        close(fd);
        return NULL;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    mc_reader *r = reader_new(fd, true, path);
    if (!detect_gzip(r, err, errlen)) {
        reader_close(r);
        return NULL;
    }
    return r;
}

void reader_close(mc_reader *r)
{
    if (r == NULL)
        return;
    inflater_free(r);
    if (r->gzip)
        inflateEnd(&r->zs);
    if (r->own_fd)
        close(r->fd);
    free(r->zin);
    free(r->buf);
    free(r->name);
    free(r);
}

/* True when every byte is below 0x80: the common case, checked a word at a
 * time before the full UTF-8 validation is paid for. */
static bool all_ascii(const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ULL)
            return false;
    }
    for (; i < n; i++)
        if (p[i] & 0x80)
            return false;
    return true;
}

/* True when no byte of the 8 is NUL nor at or above 0x80: then every
 * byte is 1..0x7F, subtracting 1 from each borrows nowhere and leaves
 * the top bits clear.  A word with a NUL or a high byte always answers
 * false (a borrow can only add false answers, never hide one). */
#if !defined(__SSE2__)
static bool word_plain(uint64_t w) { return ((w | (w - 0x0101010101010101ULL)) & 0x8080808080808080ULL) == 0; }
#endif

/* Whether 16 bytes at p hold neither a NUL nor a high byte: with SSE2 one
 * compare and one mask (a high byte is its own sign bit), else two words. */
static bool plain16(const char *p)
{
#if defined(__SSE2__)
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    return _mm_movemask_epi8(_mm_or_si128(v, _mm_cmpeq_epi8(v, _mm_setzero_si128()))) == 0;
#else
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    return word_plain(a) && word_plain(b);
#endif
}

/* The same for 32 bytes: two loads, their NULs and high bits in one mask. */
static bool plain32(const char *p)
{
#if defined(__SSE2__)
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    __m128i z = _mm_setzero_si128();
    __m128i nul = _mm_or_si128(_mm_cmpeq_epi8(a, z), _mm_cmpeq_epi8(b, z));
    return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), nul)) == 0;
#else
    return plain16(p) && plain16(p + 16);
#endif
}

#if defined(LINE_KIND_WIDE)
/* Whether 64 bytes at p hold neither a NUL nor a high byte, with AVX2:
 * the two loads' high bits ORed, a NUL found as their unsigned minimum's
 * zero, one mask. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) bool plain64(const char *p)
{
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    __m256i nul = _mm256_cmpeq_epi8(_mm256_min_epu8(a, b), _mm256_setzero_si256());
    return _mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(a, b), nul)) == 0;
}

/* Whether a line of n >= 64 bytes is plain: 64 bytes a step, the rest as
 * the line's last 64 (overlapping the step before). */
__attribute__((target("avx2"))) static bool plain_wide(const char *p, size_t n)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        if (!plain64(p + i))
            return false;
    return i == n || plain64(p + n - 64);
}
#endif

#if defined(LINE_KIND_WIDE)
/* The first newline at or after p, looked for 64 bytes a step with AVX2
 * while 64 bytes remain before end (no read past end), and whether the
 * bytes from p to it hold neither a NUL nor a high byte (*plain; false
 * tells nothing: reader_line_kind, the definition, then decides).  NULL
 * when the steps meet no newline: the caller's memchr looks again.  One
 * pass for what memchr and reader_line_kind's quick pass each read. */
__attribute__((target("avx2"))) static const char *newline_plain(const char *p, const char *end, bool *plain)
{
    const __m256i nl = _mm256_set1_epi8('\n'), z = _mm256_setzero_si256();
    bool clean = true;
    for (; end - p >= 64; p += 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
        uint64_t n = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, nl)) |
                     (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, nl)) << 32;
        /* A byte's top bit, or a NUL (its compare's top bit). */
        uint64_t x = (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(a, _mm256_cmpeq_epi8(a, z))) |
                     (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(b, _mm256_cmpeq_epi8(b, z))) << 32;
        if (n != 0) {
            *plain = clean && (x & ((n & -n) - 1)) == 0;
            return p + __builtin_ctzll(n);
        }
        clean = clean && x == 0;
    }
    return NULL;
}
#endif

/* Whether a complete line is skipped, and why (reader.h).  Nearly every
 * line is plain ASCII without a NUL: one pass of 64 bytes a step with
 * AVX2 (a line of 64 bytes or more), else of 32, then 16 bytes a step says
 * so (the last step the line's last 16 bytes, overlapping the one before),
 * and only a line that fails it pays for the exact checks (a line the
 * AVX2 pass doubts goes through the other pass too). */
mc_line_kind reader_line_kind(const char *p, size_t n)
{
#if defined(LINE_KIND_WIDE)
    if (n >= 64 && __builtin_cpu_supports("avx2") && plain_wide(p, n))
        return MC_LINE_OK;
#endif
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        if (!plain32(p + i))
            break;
    for (; i + 16 <= n; i += 16)
        if (!plain16(p + i))
            break;
    if (i < n && n >= 16 && i + 16 > n && plain16(p + n - 16))
        i = n;
    for (; i < n; i++)
        if (p[i] == '\0' || (p[i] & 0x80))
            break;
    if (i == n)
        return MC_LINE_OK;
    if (memchr(p, '\0', n) != NULL)
        return MC_LINE_NUL;
    if (!all_ascii((const unsigned char *)p, n) && !mc_utf8_valid((const unsigned char *)p, n))
        return MC_LINE_UTF8;
    return MC_LINE_OK;
}

/* Decides whether a complete line can be handed out. */
static bool line_readable(mc_reader *r, const char *p, size_t n)
{
    mc_line_kind kind = reader_line_kind(p, n);
    r->stats.skipped_nul += kind == MC_LINE_NUL;
    r->stats.skipped_utf8 += kind == MC_LINE_UTF8;
    return kind == MC_LINE_OK;
}

/* A line of `bytes` more bytes (`len` without its newline) has ended:
 * moves the offset past it and counts it.  False when it was over-long
 * (skipped, nothing to hand out). */
static bool line_ended(mc_reader *r, size_t bytes, size_t len)
{
    r->consumed += r->discarded + bytes;
    r->stats.lines++;
    if (r->discarding || len > MC_MAX_LINE) {
        r->stats.skipped_long++;
        r->discarding = false;
        r->discarded = 0;
        return false;
    }
    return true;
}

/* Whether a read would return at once: always for a regular file (its end
 * is an answer too), for a pipe when poll says so.  Compressed bytes not
 * yet inflated count as ready. */
static bool bytes_ready(mc_reader *r)
{
    if (r->have_st && S_ISREG(r->st.st_mode))
        return true;
    if (r->gzip && r->zs.avail_in > 0)
        return true;
    struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
    return poll(&pfd, 1, 0) != 0;
}

/* The window's bytes hold no newline: past MC_MAX_LINE they are dropped,
 * and dropping goes on until the line's end, where it is counted once. */
static void no_newline_yet(mc_reader *r)
{
    r->scan = r->end;
    if (r->end - r->start > MC_MAX_LINE) {
        r->discarding = true;
        r->discarded += r->end - r->start;
        r->start = r->end = r->scan = 0;
    }
}

/* At the end of the input: in follow mode not the end, more may be
 * appended (an unfinished last line stays in the buffer until its newline
 * arrives).  True when the caller says "no data for now". */
static bool follow_waits(mc_reader *r)
{
    if (!r->follow || r->failed)
        return false;
    r->eof = false;
    return true;
}

int reader_next(mc_reader *r, mc_str *line)
{
    for (;;) {
        if (stop_requested(r))
            return 2;
        char *nl = NULL;
        bool plain = false; /* the line [start, nl) known to be plain */
#if defined(LINE_KIND_WIDE)
        /* A line not yet scanned in part, with 64 bytes ahead: one pass. */
        if (r->scan == r->start && r->end - r->scan >= 64 && __builtin_cpu_supports("avx2"))
            nl = (char *)newline_plain(r->buf + r->scan, r->buf + r->end, &plain);
#endif
        if (nl == NULL && r->scan < r->end)
            nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
        if (nl != NULL) {
            size_t ls = r->start;
            size_t len = (size_t)(nl - (r->buf + ls));
            size_t next = (size_t)(nl - r->buf) + 1;
            r->start = r->scan = next;
            if (!line_ended(r, next - ls, len))
                continue;
            if (len > 0 && r->buf[ls + len - 1] == '\r')
                len--;
            if (!plain && !line_readable(r, r->buf + ls, len))
                continue;
            *line = mc_str_make(r->buf + ls, len);
            return 1;
        }
        no_newline_yet(r);
        if (r->eof || r->failed) {
            if (follow_waits(r))
                return 2;
            if (r->start < r->end || r->discarding) {
                /* A last line without newline (a file cut mid-write). */
                size_t ls = r->start, len = r->end - r->start;
                r->start = r->scan = r->end;
                if (!line_ended(r, len, len))
                    continue;
                if (!line_readable(r, r->buf + ls, len))
                    continue;
                *line = mc_str_make(r->buf + ls, len);
                return 1;
            }
            return r->failed ? -1 : 0;
        }
        if (r->nowait && !bytes_ready(r))
            return 3;
        ssize_t got = fill(r);
        if (got == -2)
            return 2;
        if (got < 0)
            r->failed = true; /* deliver what was read, then report */
        else if (got == 0)
            r->eof = true;
    }
}

/* Moves the window's first n bytes (whole lines) to dst. */
static void give_block(mc_reader *r, mc_buf *dst, size_t n)
{
    mc_buf_add(dst, r->buf + r->start, n);
    r->start += n;
    if (r->scan < r->start)
        r->scan = r->start;
    r->consumed += n;
}

/* Where a block read into p[0, have) ends: after the last newline within
 * want bytes, or else after the first one; 0 when there is none. */
static size_t block_cut(const char *p, size_t have, size_t want)
{
    const char *nl = memrchr(p, '\n', have < want ? have : want);
    if (nl == NULL && have > want)
        nl = memchr(p + want, '\n', have - want);
    return nl ? (size_t)(nl - p) + 1 : 0;
}

/* The window holds an unfinished line shorter than want: reads straight
 * into dst behind a copy of it, keeps the whole lines there and puts the
 * rest back into the window.  Returns what fill() returns. */
static ssize_t read_into(mc_reader *r, mc_buf *dst, size_t want)
{
    size_t tail = r->end - r->start;
    size_t size = want < MIN_BLOCK_READ ? MIN_BLOCK_READ : want;
    char *room = mc_buf_room(dst, size);
    memcpy(room, r->buf + r->start, tail);
    ssize_t got = r->gzip ? read_inflated(r, room + tail, size - tail) : read_raw(r, room + tail, size - tail);
    int saved = errno;
    size_t have = tail + (got > 0 ? (size_t)got : 0);
    size_t cut = block_cut(room, have, want);
    memcpy(r->buf, room + cut, have - cut);
    r->start = 0;
    r->end = r->scan = have - cut;
    r->consumed += cut;
    dst->len += cut;
    dst->data[dst->len] = '\0';
    errno = saved;
    return got;
}

/* A block of whole lines for a worker to split (reader.h). */
int reader_next_block(mc_reader *r, mc_buf *dst, size_t want)
{
    size_t had = dst->len;
    for (;;) {
        if (stop_requested(r))
            return 2;
        size_t avail = r->end - r->start;
        if (!r->discarding && avail > 0) {
            size_t look = avail < want ? avail : want;
            const char *nl = memrchr(r->buf + r->start, '\n', look);
            if (nl != NULL) {
                give_block(r, dst, (size_t)(nl - (r->buf + r->start)) + 1);
                return 1;
            }
            if (r->scan < r->start + look)
                r->scan = r->start + look;
        }
        /* A first line of want bytes or more goes on its own (or is
         * dropped when over-long), found as reader_next finds it. */
        bool on_its_own = r->discarding || avail >= want;
        if (on_its_own) {
            char *nl = r->scan < r->end ? memchr(r->buf + r->scan, '\n', r->end - r->scan) : NULL;
            if (nl != NULL) {
                size_t ls = r->start, len = (size_t)(nl - (r->buf + ls)), next = (size_t)(nl - r->buf) + 1;
                if (r->discarding || len > MC_MAX_LINE) {
                    r->start = r->scan = next;
                    line_ended(r, next - ls, len);
                    return 4;
                }
                give_block(r, dst, next - ls);
                return 1;
            }
            no_newline_yet(r);
        }
        if (r->eof || r->failed) {
            if (follow_waits(r))
                return 2;
            if (r->start < r->end || r->discarding) {
                /* A last line without newline: the block's only unended one. */
                size_t len = r->end - r->start;
                if (r->discarding || len > MC_MAX_LINE) {
                    r->start = r->scan = r->end;
                    line_ended(r, len, len);
                    return 4;
                }
                give_block(r, dst, len);
                return 1;
            }
            return r->failed ? -1 : 0;
        }
        if (r->nowait && !bytes_ready(r))
            return 3;
        ssize_t got;
        if (on_its_own)
            got = fill(r);
        else
            got = !r->gzip && !wait_readable(r) ? -2 : read_into(r, dst, want);
        if (got == -2)
            return 2;
        if (got < 0) {
            if (!r->failed)
                set_error(r, strerror(errno));
            r->failed = true; /* deliver what was read, then report */
        } else if (got == 0) {
            r->eof = true;
        }
        if (dst->len > had)
            return 1;
    }
}

void reader_set_idle(mc_reader *r, int idle_ms) { r->idle_ms = idle_ms; }
void reader_set_stop(mc_reader *r, const volatile sig_atomic_t *stop) { r->stop = stop; }
void reader_set_follow(mc_reader *r, bool follow) { r->follow = follow; }
void reader_set_nowait(mc_reader *r, bool nowait) { r->nowait = nowait; }

mc_follow_state reader_follow_check(const mc_reader *r, const char *path)
{
    struct stat now;
    if (stat(path, &now) != 0)
        return FOLLOW_REPLACED; /* renamed away; a new file will appear */
    if (!r->have_st || now.st_ino != r->st.st_ino || now.st_dev != r->st.st_dev)
        return FOLLOW_REPLACED;
    if ((uint64_t)now.st_size < r->raw_read)
        return FOLLOW_TRUNCATED;
    return FOLLOW_SAME;
}

const mc_reader_stats *reader_stats(const mc_reader *r) { return &r->stats; }
const char *reader_error(const mc_reader *r) { return r->err; }
const char *reader_name(const mc_reader *r) { return r->name; }
bool reader_is_gzip(const mc_reader *r) { return r->gzip; }
uint64_t reader_offset(const mc_reader *r) { return r->consumed; }

size_t reader_peek(mc_reader *r, const char **bytes, size_t want)
{
    if (want > READ_CHUNK)
        want = READ_CHUNK;
    while (r->end - r->start < want && !r->eof && !r->failed) {
        ssize_t got = fill(r);
        if (got == -2)
            break;
        if (got <= 0) {
            if (got == 0)
                r->eof = true;
            else
                r->failed = true;
        }
    }
    if (r->follow)
        r->eof = false;
    size_t have = r->end - r->start;
    *bytes = r->buf + r->start;
    return have < want ? have : want;
}

bool reader_skip_to(mc_reader *r, uint64_t offset)
{
    while (r->consumed < offset && !stop_requested(r)) {
        size_t avail = r->end - r->start;
        uint64_t need = offset - r->consumed;
        if (avail > 0) {
            size_t take = need < avail ? (size_t)need : avail;
            r->start += take;
            r->consumed += take;
            if (r->scan < r->start)
                r->scan = r->start;
            continue;
        }
        if (r->eof || r->failed)
            return false;
        if (!r->gzip && r->have_st && S_ISREG(r->st.st_mode)) {
            off_t pos = lseek(r->fd, (off_t)need, SEEK_CUR);
            if (pos >= 0 && (uint64_t)pos <= (uint64_t)r->st.st_size) {
                r->consumed += need;
                r->raw_read = (uint64_t)pos; /* the truncation check compares with it */
                r->start = r->end = r->scan = 0;
                continue;
            }
        }
        r->start = r->end = r->scan = 0;
        ssize_t got = fill(r);
        if (got == -2)
            continue;
        if (got <= 0) {
            if (got == 0)
                r->eof = true;
            else
                r->failed = true;
        }
    }
    return true;
}

void reader_identity(const mc_reader *r, uint64_t *dev, uint64_t *ino, uint64_t *size)
{
    bool reg = r->have_st && S_ISREG(r->st.st_mode);
    *dev = reg ? (uint64_t)r->st.st_dev : 0;
    *ino = reg ? (uint64_t)r->st.st_ino : 0;
    *size = reg ? (uint64_t)r->st.st_size : 0;
}
