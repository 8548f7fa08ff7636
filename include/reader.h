/*
 * reader.h - stream a log as lines: files, stdin, gzip (by magic bytes).
 *
 * Memory is one fixed buffer per reader, whatever the input size; a line is
 * handed out as a view into that buffer and is valid until the next call.
 * Lines that cannot be read as text are skipped and counted, never fatal.
 */
#ifndef MC_READER_H
#define MC_READER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define MC_MAX_LINE (1024 * 1024) /* longer lines are skipped */

typedef struct {
    uint64_t lines;          /* every line read, skipped ones included */
    uint64_t skipped_long;   /* over MC_MAX_LINE */
    uint64_t skipped_nul;    /* held a NUL byte (binary) */
    uint64_t skipped_utf8;   /* invalid UTF-8 */
} mc_reader_stats;

typedef struct mc_reader mc_reader;

/* path "-" reads standard input.  NULL on error (message in err). */
mc_reader *reader_open(const char *path, char *err, size_t errlen);
/* Reads from an already open descriptor (tests, pipes). name is for messages. */
mc_reader *reader_open_fd(int fd, const char *name, char *err, size_t errlen);
void reader_close(mc_reader *r);

/* 1: *line holds the next readable line (no newline); 0: end of input;
 * -1: read or decompression error (message via reader_error);
 * 2: no data for now (only in follow or idle mode, see below);
 * 3: reading would block (only in no-wait mode, see below).
 * Skipped lines are counted in the stats and not returned. */
int reader_next(mc_reader *r, mc_str *line);

/* Block mode (--jobs: the workers split lines): appends to dst a block of
 * whole lines, about want bytes (at most MC_MAX_LINE), read straight into
 * dst when it can be: up to the last newline within want bytes, or one
 * line when the first is longer; at the end of the input, a last line
 * without newline.  The lines of a block are neither counted nor checked
 * (reader_line_kind does that, as reader_next would); a line over
 * MC_MAX_LINE never enters one: it is counted in the stats (lines,
 * skipped_long) and 4 is returned, with no block.  So the stats at the
 * return of a block count exactly the lines dropped before it.  Returns
 * as reader_next otherwise (1: a block was appended). */
int reader_next_block(mc_reader *r, mc_buf *dst, size_t want);

/* Inflates a gzip file on a thread of its own from here on, ahead of the
 * caller (at most 1 MiB ahead): for a caller with workers, so that the
 * thread that reads is not also the one that inflates.  Only a regular
 * file read to its end (not follow mode); otherwise nothing changes. */
void reader_inflate_thread(mc_reader *r);

/* Why a complete line (without newline and CR) is skipped, if it is. */
typedef enum { MC_LINE_OK, MC_LINE_NUL, MC_LINE_UTF8 } mc_line_kind;
mc_line_kind reader_line_kind(const char *p, size_t n);

/* Idle mode (pipes): when no byte arrives for idle_ms, reader_next returns
 * 2 so the caller can commit; it may be called again to go on waiting.
 * Follow mode (files): end of file is not the end; reader_next returns 2
 * and keeps an unfinished last line until its newline arrives. */
void reader_set_idle(mc_reader *r, int idle_ms);
void reader_set_follow(mc_reader *r, bool follow);
/* No-wait mode (a thread that batches lines for others): when no whole
 * line is buffered and reading would block, reader_next returns 3 at once,
 * so the lines batched so far can be handed on before it waits. */
void reader_set_nowait(mc_reader *r, bool nowait);
/* The caller's stop request (set by its signal handler): once *stop is
 * non-zero, reader_next returns 2 and reader_skip_to returns true at once,
 * even inside an over-long line or a busy stream. */
void reader_set_stop(mc_reader *r, const volatile sig_atomic_t *stop);

typedef enum {
    FOLLOW_SAME = 0,   /* path still names the file being read */
    FOLLOW_REPLACED,   /* path names another file now (rotated), or is gone */
    FOLLOW_TRUNCATED,  /* the file is shorter than what was read */
} mc_follow_state;

/* Compares what path names now with the open file (follow mode). */
mc_follow_state reader_follow_check(const mc_reader *r, const char *path);

const mc_reader_stats *reader_stats(const mc_reader *r);
const char *reader_error(const mc_reader *r);
const char *reader_name(const mc_reader *r);
bool reader_is_gzip(const mc_reader *r);
/* Bytes of the (decompressed) stream consumed up to the end of the last
 * line returned or skipped: where an incremental ingest resumes. */
uint64_t reader_offset(const mc_reader *r);
/* Discards input up to the given (decompressed) offset, which must fall on
 * a line boundary recorded earlier by reader_offset.  Returns false when
 * the stream is shorter. */
bool reader_skip_to(mc_reader *r, uint64_t offset);
/* Peeks at the first bytes of the (decompressed) stream without consuming
 * them: used to fingerprint a file.  Returns the count available (<= want). */
size_t reader_peek(mc_reader *r, const char **bytes, size_t want);
/* File identity of a regular file (0 for pipes). */
void reader_identity(const mc_reader *r, uint64_t *dev, uint64_t *ino, uint64_t *size);

#endif
