/*
 * test_reader.c - the line reader on hostile input: gzip (single, multi
 * member, truncated), NUL bytes, invalid UTF-8, lines over 1 MiB, CRLF, a
 * last line without newline, and resuming at an offset; an over-long line
 * not yet ended moves no offset; a stale errno is no signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <zlib.h>

#include "reader.h"
#include "testutil.h"

static char *write_temp(const void *data, size_t n)
{
    char *path = strdup("/tmp/mc-reader-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
    return path;
}

/* gzip-compresses data into a malloc'd buffer. */
static unsigned char *gzip_bytes(const char *data, size_t n, size_t *out_n)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, n) + 64;
    unsigned char *out = malloc(cap);
    zs.next_in = (unsigned char *)data;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_n = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

/* Reads every line; returns their count and concatenation (joined by |). */
static size_t read_all(const char *path, mc_buf *joined, mc_reader_stats *stats, int *last_rc)
{
    char err[256];
    mc_reader *r = reader_open(path, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    mc_str line;
    size_t n = 0;
    int rc;
    while ((rc = reader_next(r, &line)) == 1) {
        if (joined) {
            if (n)
                mc_buf_addc(joined, '|');
            mc_buf_add(joined, line.p, line.n);
        }
        n++;
    }
    if (stats)
        *stats = *reader_stats(r);
    if (last_rc)
        *last_rc = rc;
    reader_close(r);
    return n;
}

START_TEST(test_plain_crlf_and_unterminated)
{
    const char data[] = "one\ntwo\r\n\nthree";
    char *p = write_temp(data, sizeof data - 1);
    mc_buf b;
    mc_buf_init(&b);
    mc_reader_stats st;
    int rc;
    ck_assert_uint_eq(read_all(p, &b, &st, &rc), 4);
    ck_assert_str_eq(b.data, "one|two||three");
    ck_assert_uint_eq(st.lines, 4);
    ck_assert_int_eq(rc, 0);
    mc_buf_free(&b);
    unlink(p);
    free(p);
}
END_TEST

START_TEST(test_bad_lines_are_counted)
{
    /* NUL inside a line, invalid UTF-8, an overlong encoding, valid UTF-8. */
    const char data[] = "ok 1\nbin\0ary\nbad \xff\xfe\nover \xc0\xaf\nthai \xe0\xb8\x81\nok 2\n";
    char *p = write_temp(data, sizeof data - 1);
    mc_buf b;
    mc_buf_init(&b);
    mc_reader_stats st;
    ck_assert_uint_eq(read_all(p, &b, &st, NULL), 3);
    ck_assert_str_eq(b.data, "ok 1|thai \xe0\xb8\x81|ok 2");
    ck_assert_uint_eq(st.lines, 6);
    ck_assert_uint_eq(st.skipped_nul, 1);
    ck_assert_uint_eq(st.skipped_utf8, 2);
    mc_buf_free(&b);
    unlink(p);
    free(p);
}
END_TEST

/* reader_line_kind looks at 64 bytes a step with AVX2 (the rest as the
 * last 64, overlapping), else at 32, then 16 bytes a step (the last 16
 * overlapping), then byte by byte: a NUL, a stray high byte, a valid
 * two-byte character and the edge values 0x01 and 0x7F are put at every
 * position of lines of every length around the steps (1 to 208 bytes, each
 * in a block of its exact size: a read past it is an ASan error), so that
 * a byte the quick pass misses (at a word's edge, in the tail) makes the
 * answer wrong.  The expected kinds follow from the
 * bytes: one NUL is a NUL line, a lone 0x80 or 0xFF is not UTF-8. */
START_TEST(test_line_kind_every_position)
{
    static const struct {
        const char *bytes;
        size_t n;
        mc_line_kind kind;
    } put[] = {
        {"\0", 1, MC_LINE_NUL},    {"\x80", 1, MC_LINE_UTF8}, {"\xff", 1, MC_LINE_UTF8},
        {"\x01", 1, MC_LINE_OK},   {"\x7f", 1, MC_LINE_OK},   {"\xc3\xa9", 2, MC_LINE_OK},
    };
    char line[48];
    for (size_t n = 1; n <= 208; n++)
        for (size_t k = 0; k < sizeof put / sizeof put[0]; k++)
            for (size_t at = 0; at + put[k].n <= n; at++) {
                char *exact = malloc(n);
                ck_assert_ptr_nonnull(exact);
                memset(exact, 'a', n);
                memcpy(exact + at, put[k].bytes, put[k].n);
                ck_assert_msg(reader_line_kind(exact, n) == put[k].kind, "length %zu, byte set %zu at %zu", n, k,
                              at);
                free(exact);
            }
    /* A NUL wins over a bad byte anywhere on the line. */
    memset(line, 'a', 40);
    line[3] = '\xff';
    line[37] = '\0';
    ck_assert_int_eq(reader_line_kind(line, 40), MC_LINE_NUL);
    /* The quick pass stops at the first doubtful word; the rest is still read. */
    memset(line, 'a', 40);
    line[2] = '\xc3';
    line[3] = '\xa9';
    line[39] = '\x80';
    ck_assert_int_eq(reader_line_kind(line, 40), MC_LINE_UTF8);
}
END_TEST

START_TEST(test_long_lines)
{
    /* 3 MiB without newline between two good lines, then a line of exactly
     * the limit, then 1 MiB + 1. */
    size_t big = 3 * 1024 * 1024;
    mc_buf b;
    mc_buf_init(&b);
    mc_buf_adds(&b, "first\n");
    for (size_t i = 0; i < big; i++)
        mc_buf_addc(&b, 'x');
    mc_buf_adds(&b, "\nmiddle\n");
    for (size_t i = 0; i < MC_MAX_LINE; i++)
        mc_buf_addc(&b, 'y');
    mc_buf_addc(&b, '\n');
    for (size_t i = 0; i < MC_MAX_LINE + 1; i++)
        mc_buf_addc(&b, 'z');
    mc_buf_adds(&b, "\nlast\n");
    char *p = write_temp(b.data, b.len);
    mc_reader_stats st;
    size_t n = 0;
    char err[256];
    mc_reader *r = reader_open(p, err, sizeof err);
    mc_str line;
    const char *expect[] = {"first", "middle", NULL, "last"};
    while (reader_next(r, &line) == 1) {
        ck_assert_uint_lt(n, 4);
        if (expect[n])
            ck_assert_view(line, expect[n]);
        else
            ck_assert_uint_eq(line.n, MC_MAX_LINE);
        n++;
    }
    st = *reader_stats(r);
    ck_assert_uint_eq(reader_offset(r), b.len);
    reader_close(r);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(st.lines, 6);
    ck_assert_uint_eq(st.skipped_long, 2);
    mc_buf_free(&b);
    unlink(p);
    free(p);
}
END_TEST

START_TEST(test_gzip_single_and_multi_member)
{
    const char a[] = "alpha\nbeta\n", c[] = "gamma\n";
    size_t na, nc;
    unsigned char *ga = gzip_bytes(a, sizeof a - 1, &na);
    unsigned char *gc = gzip_bytes(c, sizeof c - 1, &nc);
    unsigned char *both = malloc(na + nc);
    memcpy(both, ga, na);
    memcpy(both + na, gc, nc);
    char *p = write_temp(both, na + nc);
    mc_buf b;
    mc_buf_init(&b);
    int rc;
    ck_assert_uint_eq(read_all(p, &b, NULL, &rc), 3);
    ck_assert_str_eq(b.data, "alpha|beta|gamma");
    ck_assert_int_eq(rc, 0);
    mc_buf_free(&b);
    unlink(p);
    free(p);
    free(ga);
    free(gc);
    free(both);
}
END_TEST

START_TEST(test_gzip_truncated)
{
    mc_buf src;
    mc_buf_init(&src);
    for (int i = 0; i < 20000; i++)
        mc_buf_printf(&src, "line %d of a log that compresses well\n", i);
    size_t n;
    unsigned char *gz = gzip_bytes(src.data, src.len, &n);
    char *p = write_temp(gz, n / 2);
    mc_reader_stats st;
    int rc;
    size_t lines = read_all(p, NULL, &st, &rc);
    /* The lines before the cut are delivered, then an error is reported. */
    ck_assert_uint_gt(lines, 100);
    ck_assert_uint_lt(lines, 20000);
    ck_assert_int_eq(rc, -1);
    unlink(p);
    free(p);
    free(gz);
    mc_buf_free(&src);
}
END_TEST

START_TEST(test_garbage_and_empty)
{
    unsigned char junk[65536];
    unsigned int seed = 7;
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(rand_r(&seed) & 0xFF);
    char *p = write_temp(junk, sizeof junk);
    mc_reader_stats st;
    int rc;
    read_all(p, NULL, &st, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_gt(st.skipped_nul + st.skipped_utf8, 0);
    unlink(p);
    free(p);
    p = write_temp("", 0);
    ck_assert_uint_eq(read_all(p, NULL, &st, &rc), 0);
    ck_assert_uint_eq(st.lines, 0);
    unlink(p);
    free(p);
}
END_TEST

START_TEST(test_skip_to_offset)
{
    const char data[] = "aaa\nbbb\nccc\n";
    char *p = write_temp(data, sizeof data - 1);
    char err[256];
    mc_reader *r = reader_open(p, err, sizeof err);
    const char *head;
    ck_assert_uint_eq(reader_peek(r, &head, 1024), sizeof data - 1);
    ck_assert(reader_skip_to(r, 4));
    mc_str line;
    ck_assert_int_eq(reader_next(r, &line), 1);
    ck_assert_view(line, "bbb");
    ck_assert_uint_eq(reader_offset(r), 8);
    reader_close(r);
    r = reader_open(p, err, sizeof err);
    ck_assert(!reader_skip_to(r, 100));
    reader_close(r);
    unlink(p);
    free(p);
}
END_TEST

START_TEST(test_open_errors)
{
    char err[256];
    ck_assert_ptr_null(reader_open("/nonexistent/mail.log", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/mail.log"));
    ck_assert_ptr_null(reader_open("/tmp", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "directory"));
}
END_TEST

/* A pipe is read in large reads: the reader asks for a pipe of 1 MiB (the
 * default 64 KiB made `cat | mailcodes report -` wake the writer every
 * 64 KiB, a third slower than the file).  As root or within
 * fs.pipe-max-size (1 MiB by default) the pipe grows; the lines read
 * through it are the lines written. */
START_TEST(test_pipe_grows)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_lt(fcntl(fds[0], F_GETPIPE_SZ), 1048576); /* 64 KiB, or a page past a user's quota */
    const char text[] = "Nov 23 07:00:01 mx postfix/qmgr[1]: 1A2B: removed\nsecond line\n";
    ck_assert_int_eq(write(fds[1], text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fds[1]);
    char err[256];
    mc_reader *r = reader_open_fd(fds[0], "(pipe)", err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
    long max = 0;
    if (f) {
        ck_assert_int_eq(fscanf(f, "%ld", &max), 1);
        fclose(f);
    }
    if (geteuid() == 0 || max >= 1048576)
        ck_assert_int_eq(fcntl(fds[0], F_GETPIPE_SZ), 1048576);
    mc_str line;
    ck_assert_int_eq(reader_next(r, &line), 1);
    ck_assert(line.n == 49 && memcmp(line.p, text, 49) == 0);
    ck_assert_int_eq(reader_next(r, &line), 1);
    ck_assert(line.n == 11 && memcmp(line.p, "second line", 11) == 0);
    ck_assert_int_eq(reader_next(r, &line), 0);
    reader_close(r);
    close(fds[0]);
}
END_TEST

/* An over-long line that has not ended (a follow or a stop inside it) is
 * neither counted nor passed by the offset: a resume starts at the line. */
START_TEST(test_unended_long_line_keeps_offset)
{
    size_t n = 6 + 2 * MC_MAX_LINE;
    char *data = malloc(n);
    memcpy(data, "first\n", 6);
    memset(data + 6, 'a', n - 6);
    char *p = write_temp(data, n);
    char err[256];
    mc_reader *r = reader_open(p, err, sizeof err);
    reader_set_follow(r, true);
    mc_str line;
    ck_assert_int_eq(reader_next(r, &line), 1);
    ck_assert_view(line, "first");
    ck_assert_int_eq(reader_next(r, &line), 2);
    ck_assert_uint_eq(reader_offset(r), 6);
    ck_assert_uint_eq(reader_stats(r)->lines, 1);
    /* a stop request is seen before any more reading */
    volatile sig_atomic_t stop = 1;
    reader_set_stop(r, &stop);
    ck_assert_int_eq(reader_next(r, &line), 2);
    reader_close(r);
    /* read to its end, the line is counted once and skipped */
    mc_reader_stats st;
    int rc;
    ck_assert_uint_eq(read_all(p, NULL, &st, &rc), 1);
    ck_assert_uint_eq(st.lines, 2);
    ck_assert_uint_eq(st.skipped_long, 1);
    unlink(p);
    free(p);
    free(data);
}
END_TEST

/* A corrupt gzip stream is an error even when errno happens to hold EINTR
 * from earlier: only a read cut short by a signal is a stop. */
START_TEST(test_gzip_error_with_stale_errno)
{
    const unsigned char bad[] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    char *p = write_temp(bad, sizeof bad);
    char err[256];
    mc_reader *r = reader_open(p, err, sizeof err);
    ck_assert_ptr_nonnull(r);
    mc_str line;
    errno = EINTR;
    ck_assert_int_eq(reader_next(r, &line), -1);
    ck_assert_ptr_nonnull(strstr(reader_error(r), p));
    reader_close(r);
    unlink(p);
    free(p);
}
END_TEST

/* UTF-8 by the Unicode standard's table of well-formed byte sequences
 * (Table 3-7), one byte at a time: the definition mc_utf8_valid, which
 * steps over eight ASCII bytes at once, must agree with. */
static bool utf8_by_table(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t more;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            return false;
        }
        if (n - i <= more || p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= more; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF)
                return false;
        i += more + 1;
    }
    return true;
}

/* mc_utf8_valid against the table: ASCII texts of 0 to 40 bytes with a
 * well-formed or ill-formed sequence (overlong, surrogate, past U+10FFFF,
 * a stray continuation, a lead cut short, cut by the text's end) put in
 * at every place, so a bad byte sits at every place of an eight-byte step. */
START_TEST(test_utf8_valid_like_table)
{
    static const char *const seqs[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
                                       "\xED\x9F\xBF", "\x80", "\xBF", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF",
                                       "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF",
                                       "\xE2\x82", "\xF0\x9F\x98", "\xC3"};
    size_t valid = 0, invalid = 0;
    for (size_t len = 0; len <= 40; len++)
        for (size_t q = 0; q < sizeof seqs / sizeof seqs[0]; q++)
            for (size_t at = 0; at <= len; at++) {
                unsigned char text[48];
                size_t m = strlen(seqs[q]);
                memset(text, 'a', len);
                memcpy(text + at, seqs[q], m);
                size_t n = len + m;
                memset(text + at + m, 'b', len - at);
                for (size_t cut = n >= m ? n - m : 0; cut <= n; cut++) {
                    bool want = utf8_by_table(text, cut);
                    ck_assert_msg(mc_utf8_valid(text, cut) == want, "seq %zu at %zu of %zu: want %d", q, at, cut,
                                  want);
                    valid += want;
                    invalid += !want;
                }
            }
    ck_assert_uint_gt(valid, 10000);
    ck_assert_uint_gt(invalid, 10000);
}
END_TEST

/* The lines of data as the definition splits them: at each '\n' (the
 * last one without), a '\r' before it dropped, a line whose
 * reader_line_kind is not MC_LINE_OK left out; joined by '\n' into out. */
static size_t lines_by_definition(const char *data, size_t n, mc_buf *out)
{
    size_t count = 0;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(data + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - data) : n, len = e - i;
        if (len > 0 && data[i + len - 1] == '\r' && nl)
            len--;
        if (reader_line_kind(data + i, len) == MC_LINE_OK) {
            mc_buf_add(out, data + i, len);
            mc_buf_addc(out, '\n');
            count++;
        }
        i = e + 1;
    }
    return count;
}

/* What the reader hands out of data, joined as lines_by_definition's. */
static size_t lines_by_reader(const char *data, size_t n, mc_buf *out)
{
    char *p = write_temp(data, n);
    char err[256];
    mc_reader *r = reader_open(p, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    mc_str line;
    size_t count = 0;
    while (reader_next(r, &line) == 1) {
        mc_buf_add(out, line.p, line.n);
        mc_buf_addc(out, '\n');
        count++;
    }
    reader_close(r);
    unlink(p);
    free(p);
    return count;
}

static mc_buf data_lines;
static void add_data_line(const char *path, const char *line, size_t n)
{
    (void)path;
    mc_buf_add(&data_lines, line, n);
    mc_buf_addc(&data_lines, '\n');
}

/* reader_next finds a line's newline and checks its bytes in one pass of
 * 64 bytes a step with AVX2 (newline_plain): the lines it hands out are
 * those the definition (memchr, then reader_line_kind) gives, on every
 * line of tests/data and on lines of 0 to 150 bytes with a NUL, a high
 * byte, a two-byte character, an edge byte or a '\r' at each place. */
START_TEST(test_newline_pass_same)
{
    mc_buf_init(&data_lines);
    test_each_data_line(add_data_line, NULL);
    static const struct {
        const char *bytes;
        size_t n;
    } put[] = {{"\0", 1}, {"\x80", 1}, {"\xff", 1}, {"\x01", 1}, {"\x7f", 1}, {"\xc3\xa9", 2}, {"\r", 1}};
    char line[160];
    for (size_t n = 0; n <= 150; n++)
        for (size_t k = 0; k < sizeof put / sizeof put[0]; k++)
            for (size_t at = 0; at + put[k].n <= n; at += 1 + (n > 80 && at > 8 && at + 8 < n)) {
                memset(line, 'a', n);
                memcpy(line + at, put[k].bytes, put[k].n);
                mc_buf_add(&data_lines, line, n);
                mc_buf_addc(&data_lines, '\n');
            }
    mc_buf want, got;
    mc_buf_init(&want);
    mc_buf_init(&got);
    size_t w = lines_by_definition(data_lines.data, data_lines.len, &want);
    size_t g = lines_by_reader(data_lines.data, data_lines.len, &got);
    ck_assert_uint_gt(w, 10000);
    ck_assert_uint_eq(g, w);
    ck_assert_uint_eq(got.len, want.len);
    ck_assert(memcmp(got.data, want.data, want.len) == 0);
    mc_buf_free(&want);
    mc_buf_free(&got);
    mc_buf_free(&data_lines);
}
END_TEST

static Suite *reader_suite(void)
{
    Suite *s = suite_create("reader");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_plain_crlf_and_unterminated);
    tcase_add_test(tc, test_utf8_valid_like_table);
    tcase_add_test(tc, test_bad_lines_are_counted);
    tcase_add_test(tc, test_line_kind_every_position);
    tcase_add_test(tc, test_newline_pass_same);
    tcase_add_test(tc, test_long_lines);
    tcase_add_test(tc, test_gzip_single_and_multi_member);
    tcase_add_test(tc, test_gzip_truncated);
    tcase_add_test(tc, test_garbage_and_empty);
    tcase_add_test(tc, test_skip_to_offset);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_pipe_grows);
    tcase_add_test(tc, test_unended_long_line_keeps_offset);
    tcase_add_test(tc, test_gzip_error_with_stale_errno);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(reader_suite)
