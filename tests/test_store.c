/*
 * test_store.c - the SQLite store: a round trip of aggregated counts,
 * windows, upserts across batches, source positions, refusing a database
 * from a newer schema or a file that is not a database, and the upgrade of
 * a real schema-1 database in place; two writers of one source position
 * (compare and set).
 */
#include <ctype.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "delays.h"
#include "store.h"
#include "testutil.h"
#include "timewin.h"

static char *temp_db(void)
{
    char *path = strdup("/tmp/mc-store-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    unlink(path);
    return path;
}

static void cleanup_db(char *path)
{
    char buf[4200];
    unlink(path);
    snprintf(buf, sizeof buf, "%s-wal", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", path);
    unlink(buf);
    free(path);
}

static void add_events(mc_aggregate *a, const char *line, int times)
{
    mc_event ev;
    ck_assert_int_eq(test_parse(line, &ev), PARSE_EVENT);
    for (int i = 0; i < times; i++)
        aggregate_add(a, &ev);
}

typedef struct {
    int rows;
    uint64_t total;
    char first_key[64];
} collect;

static bool collect_row(const mc_row *row, void *ctx)
{
    collect *c = ctx;
    if (c->rows++ == 0)
        snprintf(c->first_key, sizeof c->first_key, "%s/%s", row->values[0], row->values[1]);
    c->total += row->count;
    return true;
}

static const char *L550 = "Nov 23 10:00:00 mx postfix/smtp[1]: A1: to=<u@x.example>, relay=mx.x.example[192.0.2.1]:25, "
                          "delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.x.example[192.0.2.1] said: "
                          "550 5.1.1 No such user (in reply to RCPT TO command))";
static const char *L250 = "Nov 23 11:00:00 mx postfix/smtp[1]: A2: to=<v@y.example>, relay=mx.y.example[192.0.2.2]:25, "
                          "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)";

START_TEST(test_round_trip)
{
    char *path = temp_db();
    char err[1024];
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_aggregate *a = aggregate_new();
    add_events(a, L550, 3);
    add_events(a, L250, 5);
    mc_time t = {.year = 2026, .month = 11, .day = 23, .hour = 10, .valid = true};
    aggregate_lines(a, &t, 10, 1, 2, 3);
    ck_assert(store_flush(s, a, NULL, "x", err, sizeof err));
    aggregate_clear(a);
    /* a second batch adds to the same rows */
    add_events(a, L550, 2);
    ck_assert(store_flush(s, a, NULL, "x", err, sizeof err));
    store_close(s);

    s = store_open(path, true, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_totals tot;
    ck_assert(store_totals(s, NULL, NULL, &tot, err, sizeof err));
    ck_assert_uint_eq(tot.events, 10);
    ck_assert_uint_eq(tot.by_class[CLASS_PERMANENT], 5);
    ck_assert_uint_eq(tot.by_class[CLASS_SUCCESS], 5);
    ck_assert_uint_eq(tot.hard, 5);
    ck_assert_uint_eq(tot.lines, 10);
    ck_assert_uint_eq(tot.skipped, 1);
    ck_assert_uint_eq(tot.unrecognised, 2);
    ck_assert_uint_eq(tot.retry_skips, 3);
    const char *keys[] = {"code", "enhanced"};
    collect c = {0};
    ck_assert(store_rows(s, NULL, keys, 2, NULL, 0, collect_row, &c, err, sizeof err));
    ck_assert_int_eq(c.rows, 2);
    ck_assert_uint_eq(c.total, 10);
    /* ties on count sort by key */
    ck_assert_str_eq(c.first_key, "250/2.0.0");
    /* a window of one hour sees only the 550s */
    mc_window w = {.since = "2026-11-23T10", .until = "2026-11-23T11"};
    ck_assert(store_totals(s, &w, NULL, &tot, err, sizeof err));
    ck_assert_uint_eq(tot.events, 5);
    ck_assert_uint_eq(tot.by_class[CLASS_PERMANENT], 5);
    store_close(s);
    aggregate_free(a);
    cleanup_db(path);
}
END_TEST

START_TEST(test_source_positions)
{
    char *path = temp_db();
    char err[1024];
    mc_store *s = store_open(path, false, err, sizeof err);
    mc_aggregate *a = aggregate_new();
    const char head[] = "Nov 23 10:00:00 mx postfix/smtp[1]: first line of a log\n";
    mc_source src;
    ck_assert(store_source_find(s, head, sizeof head - 1, &src, err, sizeof err));
    ck_assert_int_eq(src.id, 0);
    src.offset = 1234;
    ck_assert(store_flush(s, a, &src, "/var/log/mail.log", err, sizeof err));
    mc_source again;
    ck_assert(store_source_find(s, head, sizeof head - 1, &again, err, sizeof err));
    ck_assert_int_eq(again.id, src.id);
    ck_assert_uint_eq(again.offset, 1234);
    /* The file grew past its first fingerprint: the short prefix still matches. */
    char longer[4096];
    snprintf(longer, sizeof longer, "%s%s", head, "Nov 23 10:00:01 mx postfix/smtp[1]: more\n");
    ck_assert(store_source_find(s, longer, strlen(longer), &again, err, sizeof err));
    ck_assert_int_eq(again.id, src.id);
    /* A different file is a new source. */
    ck_assert(store_source_find(s, "Dec", 3, &again, err, sizeof err));
    ck_assert_int_eq(again.id, 0);
    store_close(s);
    aggregate_free(a);
    cleanup_db(path);
}
END_TEST

START_TEST(test_refuses_bad_databases)
{
    char *path = temp_db();
    char err[1024];
    /* newer schema */
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    ck_assert_ptr_null(store_open(path, false, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "newer"));
    cleanup_db(path);
    /* not a database at all */
    path = temp_db();
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 512; i++)
        fputs("this is not sqlite ", f);
    fclose(f);
    ck_assert_ptr_null(store_open(path, false, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "not a database"));
    cleanup_db(path);
}
END_TEST

/* The rows of a query as text, one line per row, columns split by '|'
 * (malloc'd): lets a test compare table contents before and after. */
static char *dump(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    mc_buf b;
    mc_buf_init(&b);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            mc_buf_printf(&b, "%s%s", i ? "|" : "", v ? (const char *)v : "NULL");
        }
        mc_buf_addc(&b, '\n');
    }
    ck_assert_int_eq(rc, SQLITE_DONE);
    sqlite3_finalize(st);
    return b.data;
}

/* A temporary copy of the fixture tests/data/store/schema-vN.sqlite, checked
 * to be of schema N, opened read-only in *db. */
static char *fixture_copy(int version, sqlite3 **db)
{
    char *path = temp_db();
    ck_assert_int_eq(test_runf(NULL, "cp %s/store/schema-v%d.sqlite %s", MC_DATA_DIR, version, path), 0);
    ck_assert_int_eq(sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *got = dump(*db, "PRAGMA user_version"), want[16];
    snprintf(want, sizeof want, "%d\n", version);
    ck_assert_str_eq(got, want);
    free(got);
    return path;
}

/* What a schema upgrade must keep: every count, line total and source. */
#define KEPT_COUNTS "SELECT hour, mta, host, direction, status, stage, code, enhanced, class, reason, domain," \
                    " relay, client, conflict, hard, inferred, count, first_seen, last_seen, sample" \
                    " FROM counts ORDER BY hour, mta, host, direction, status, stage, code, enhanced," \
                    " class, reason, domain, relay, client, conflict, hard, inferred"
#define KEPT_LINES "SELECT hour, lines, skipped, unrecognised FROM line_counts ORDER BY hour"
#define KEPT_SOURCES "SELECT * FROM sources ORDER BY id"

/* tests/data/store/schema-v1.sqlite was written by mailcodes with schema 1
 * (see tests/data/SOURCES.md): a reader is told to upgrade it, a writer
 * upgrades it in place, and every count, line total and source position is
 * the same afterwards, with the new retry-skip column at zero. */
START_TEST(test_upgrade_from_schema_1)
{
    char err[1024];
    sqlite3 *db;
    char *path = fixture_copy(1, &db);
    char *columns = dump(db, "SELECT group_concat(name, ',') FROM pragma_table_info('line_counts')");
    ck_assert_str_eq(columns, "hour,lines,skipped,unrecognised\n");
    free(columns);
    char *counts = dump(db, KEPT_COUNTS), *lines = dump(db, KEPT_LINES), *sources = dump(db, KEPT_SOURCES);
    char *sums = dump(db, "SELECT (SELECT sum(count) FROM counts), (SELECT sum(lines) FROM line_counts)");
    sqlite3_close(db);
    /* the fixture holds the first 600 lines of the checked Postfix run */
    unsigned long long events = 0, nlines = 0;
    ck_assert_int_eq(sscanf(sums, "%llu|%llu", &events, &nlines), 2);
    ck_assert_uint_eq(nlines, 600);
    ck_assert_uint_gt(events, 0);
    free(sums);

    /* read-only: refused with what to do */
    ck_assert_ptr_null(store_open(path, true, err, sizeof err));
    test_expect_has(err, "schema version 1 needs an upgrade: run 'mailcodes ingest' once");

    /* read-write: upgraded; the totals read through the store are the v1 data */
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_window all = {"", ""};
    mc_totals t;
    ck_assert_msg(store_totals(s, &all, NULL, &t, err, sizeof err), "%s", err);
    ck_assert_uint_eq(t.lines, nlines);
    ck_assert_uint_eq(t.events, events);
    ck_assert_uint_eq(t.retry_skips, 0);
    store_close(s);

    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *version = dump(db, "PRAGMA user_version");
    ck_assert_str_eq(version, "6\n");
    free(version);
    /* schema 3: the meta table (the time of the last ingest), empty until an ingest writes */
    char *meta = dump(db, "SELECT count(*) FROM meta");
    ck_assert_str_eq(meta, "0\n");
    free(meta);
    columns = dump(db, "SELECT group_concat(name, ',') FROM pragma_table_info('line_counts')");
    ck_assert_str_eq(columns, "hour,lines,skipped,unrecognised,retry_skips,msg_received,msg_generated,"
                              "msg_delivered,msg_deferred,msg_bounced,msg_expired,msg_rejected,msg_evicted,"
                              "bytes_received,bytes_delivered\n");
    free(columns);
    columns = dump(db, "SELECT group_concat(name, ',') FROM pragma_table_info('counts')");
    test_expect_has(columns, "inferred,sender,sender_domain,recipient,count");
    free(columns);
    columns = dump(db, "SELECT count(*) FROM messages_in_flight");
    ck_assert_str_eq(columns, "0\n");
    free(columns);
    char *after = dump(db, "SELECT count(*), sum(retry_skips) FROM line_counts WHERE retry_skips = 0");
    char *all_lines = dump(db, "SELECT count(*) FROM line_counts");
    unsigned long long zero_rows = 0, nrows = 0;
    ck_assert_int_eq(sscanf(after, "%llu|", &zero_rows), 1);
    ck_assert_int_eq(sscanf(all_lines, "%llu", &nrows), 1);
    ck_assert_uint_eq(zero_rows, nrows);
    free(after);
    free(all_lines);
    char *counts2 = dump(db, KEPT_COUNTS), *lines2 = dump(db, KEPT_LINES), *sources2 = dump(db, KEPT_SOURCES);
    sqlite3_close(db);
    ck_assert_str_eq(counts2, counts);
    ck_assert_str_eq(lines2, lines);
    ck_assert_str_eq(sources2, sources);
    free(counts2);
    free(lines2);
    free(sources2);

    /* The source position survived: ingesting the same 600 lines again
     * (known by their fingerprint) adds nothing; a read-only report now
     * opens it. */
    ck_assert_int_eq(test_runf(NULL, "head -600 %s/postfix/mta-run/maillog > %s.log && %s ingest --quiet --db %s %s.log",
                               MC_DATA_DIR, path, MC_BINARY, path, path), 0);
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    counts2 = dump(db, KEPT_COUNTS);
    lines2 = dump(db, KEPT_LINES);
    sqlite3_close(db);
    ck_assert_str_eq(counts2, counts);
    ck_assert_str_eq(lines2, lines);
    s = store_open(path, true, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    store_close(s);
    ck_assert_int_eq(test_runf(NULL, "rm -f %s.log", path), 0);
    free(counts2);
    free(lines2);
    free(counts);
    free(lines);
    free(sources);
    cleanup_db(path);
}
END_TEST


/* Every count with its addresses, as schema 4 held them. */
#define KEPT_COUNTS_4 "SELECT hour, mta, host, direction, status, stage, code, enhanced, class, reason, domain," \
                      " relay, client, conflict, hard, inferred, sender, sender_domain, recipient, count," \
                      " first_seen, last_seen, sample FROM counts ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12," \
                      " 13, 14, 15, 16, 17, 18, 19"
#define KEPT_REST_4 "SELECT (SELECT group_concat(key || '|' || sender || '|' || size || '|' || flags, ';')" \
                    " FROM messages_in_flight), (SELECT value FROM meta WHERE key = 'last_ingest')"

/* What schema 4 and later keep, read through the view: every count with its
 * addresses, line total, source, message in flight and the last ingest. */
typedef struct {
    char *counts, *lines, *sources, *rest;
} kept_4;

static void kept_4_read(sqlite3 *db, kept_4 *k)
{
    k->counts = dump(db, KEPT_COUNTS_4);
    k->lines = dump(db, KEPT_LINES);
    k->sources = dump(db, KEPT_SOURCES);
    k->rest = dump(db, KEPT_REST_4);
}

static void kept_4_free(kept_4 *k) { free(k->counts), free(k->lines), free(k->sources), free(k->rest); }

/* db (closed here) holds what before held; before is freed. */
static void kept_4_same(sqlite3 *db, kept_4 *before)
{
    kept_4 after;
    kept_4_read(db, &after);
    sqlite3_close(db);
    ck_assert_str_eq(after.counts, before->counts);
    ck_assert_str_eq(after.lines, before->lines);
    ck_assert_str_eq(after.sources, before->sources);
    ck_assert_str_eq(after.rest, before->rest);
    kept_4_free(&after);
    kept_4_free(before);
}

/* tests/data/store/schema-v4.sqlite was written by the mailcodes of schema 4
 * (see tests/data/SOURCES.md): a writer moves its counts table into
 * tuples and count_rows behind the view counts, and every count (with its
 * sender and recipient), line total, source, message in flight and the
 * last ingest read the same afterwards; the same lines ingested again add
 * nothing. */
START_TEST(test_upgrade_from_schema_4)
{
    char err[1024];
    sqlite3 *db;
    char *path = fixture_copy(4, &db);
    char *version, *kind = dump(db, "SELECT type FROM sqlite_master WHERE name = 'counts'");
    ck_assert_str_eq(kind, "table\n");
    free(kind);
    char *counts = dump(db, KEPT_COUNTS_4), *lines = dump(db, KEPT_LINES), *sources = dump(db, KEPT_SOURCES);
    char *rest = dump(db, KEPT_REST_4), *sums = dump(db, "SELECT count(*), sum(count) FROM counts");
    sqlite3_close(db);
    unsigned long long rows = 0, events = 0;
    ck_assert_int_eq(sscanf(sums, "%llu|%llu", &rows, &events), 2);
    ck_assert_uint_gt(rows, 10);
    free(sums);

    ck_assert_ptr_null(store_open(path, true, err, sizeof err));
    test_expect_has(err, "schema version 4 needs an upgrade");
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    store_close(s);

    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    version = dump(db, "PRAGMA user_version");
    kind = dump(db, "SELECT type FROM sqlite_master WHERE name = 'counts'");
    ck_assert_str_eq(version, "6\n");
    ck_assert_str_eq(kind, "view\n");
    free(version), free(kind);
    /* one tuple per distinct combination of the dimensions, one row per hour and tuple */
    char *shape = dump(db, "SELECT (SELECT count(*) FROM count_rows), (SELECT count(*) FROM tuples)");
    char want[64];
    snprintf(want, sizeof want, "%llu|", rows);
    ck_assert_msg(strncmp(shape, want, strlen(want)) == 0, "count_rows|tuples %s, want %llu rows", shape, rows);
    free(shape);
    char *counts2 = dump(db, KEPT_COUNTS_4), *lines2 = dump(db, KEPT_LINES), *sources2 = dump(db, KEPT_SOURCES);
    char *rest2 = dump(db, KEPT_REST_4);
    sqlite3_close(db);
    ck_assert_str_eq(counts2, counts);
    ck_assert_str_eq(lines2, lines);
    ck_assert_str_eq(sources2, sources);
    ck_assert_str_eq(rest2, rest);
    free(counts2), free(lines2), free(sources2), free(rest2);

    ck_assert_int_eq(test_runf(NULL, "head -600 %s/postfix/mta-run/maillog > %s.log && %s ingest --quiet --db %s %s.log",
                               MC_DATA_DIR, path, MC_BINARY, path, path), 0);
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    counts2 = dump(db, KEPT_COUNTS_4);
    lines2 = dump(db, KEPT_LINES);
    sqlite3_close(db);
    ck_assert_str_eq(counts2, counts);
    ck_assert_str_eq(lines2, lines);
    ck_assert_int_eq(test_runf(NULL, "rm -f %s.log", path), 0);
    free(counts2), free(lines2), free(counts), free(lines), free(sources), free(rest);
    cleanup_db(path);
}
END_TEST

/* Every field of a failure event kept in schema 5's failures table, as
 * failure_line writes it from the event store_failures hands back. */
#define KEPT_FAILURE_FIELDS                                                                          \
    "time || '|' || ifnull(host, 'NULL') || '|' || ifnull(mta, 'NULL') || '|' || ifnull(program, 'NULL')" \
    " || '|' || ifnull(direction, 'NULL') || '|' || ifnull(status, 'NULL') || '|' || ifnull(stage, 'NULL')" \
    " || '|' || ifnull(code, '') || '|' || ifnull(enhanced, '') || '|' || class || '|' || conflict"     \
    " || '|' || hard || '|' || inferred || '|' || ifnull(reason, 'NULL') || '|'"                        \
    " || ifnull(reason_detail, 'NULL') || '|' || ifnull(recipient, 'NULL') || '|' || ifnull(sender, 'NULL')" \
    " || '|' || ifnull(sender_domain, '') || '|' || ifnull(domain, '') || '|' || ifnull(relay, 'NULL')"  \
    " || '|' || ifnull(client, 'NULL') || '|' || ifnull(queue_id, 'NULL') || '|' || ifnull(text, 'NULL')" \
    " || '|' || ifnull(reply_at, 'NULL') || '|' || ifnull(delays, 'NULL')"

/* Appends a view as failure_line writes it (NULL for null). */
static void put_view(mc_buf *b, mc_str v)
{
    if (v.p)
        mc_buf_add(b, v.p, v.n);
    else
        mc_buf_adds(b, "NULL");
    mc_buf_addc(b, '|');
}

/* store_failures callback: the event's fields in KEPT_FAILURE_FIELDS' order, a line. */
static bool failure_line(const mc_event *ev, mc_str delays, void *ctx)
{
    mc_buf *b = ctx;
    char when[64];
    mc_time_format(&ev->time, when, sizeof when);
    mc_buf_printf(b, "%s|", when);
    put_view(b, ev->host);
    put_view(b, mc_str_cstr(ev->mta));
    put_view(b, ev->program);
    put_view(b, mc_str_cstr(ev->direction));
    put_view(b, ev->status);
    put_view(b, mc_str_cstr(ev->stage));
    mc_buf_printf(b, "%s|%s|%s|%d|%d|%d|", ev->code, ev->enhanced, mc_class_name(ev->klass), ev->conflict, ev->hard,
                  ev->inferred);
    put_view(b, mc_str_cstr(ev->reason));
    put_view(b, ev->reason_detail);
    put_view(b, ev->recipient);
    put_view(b, ev->sender);
    mc_buf_printf(b, "%s|%s|", ev->sender_domain, ev->domain);
    put_view(b, ev->relay);
    put_view(b, ev->client);
    put_view(b, ev->queue_id);
    put_view(b, ev->text);
    if (ev->reply.p)
        mc_buf_printf(b, "%td|", ev->reply.p - ev->text.p);
    else
        mc_buf_adds(b, "NULL|");
    if (delays.p)
        mc_buf_add(b, delays.p, delays.n);
    else
        mc_buf_adds(b, "NULL");
    mc_buf_addc(b, '\n');
    return true;
}

/* tests/data/store/schema-v5.sqlite was written by the mailcodes of schema 5
 * (see tests/data/SOURCES.md): a writer moves the recipient out of its
 * tuples into count_rows and its failure events row by row into
 * failure_blocks; every count, line total, source and message in flight
 * reads the same through the view afterwards, and every failure event
 * comes back from store_failures field for field, by queue id and by
 * address (its case ignored), in the order schema 5 kept them. */
START_TEST(test_upgrade_from_schema_5)
{
    char err[1024];
    sqlite3 *db;
    char *path = fixture_copy(5, &db);
    kept_4 before;
    kept_4_read(db, &before);
    char *rows = dump(db, "SELECT count(*) FROM count_rows");
    char *ids = dump(db, "SELECT DISTINCT queue_id FROM failures WHERE queue_id IS NOT NULL ORDER BY 1");
    char *by_id = dump(db, "SELECT " KEPT_FAILURE_FIELDS " FROM failures WHERE queue_id IS NOT NULL"
                           " ORDER BY queue_id, id");
    char *address = dump(db, "SELECT recipient FROM failures WHERE recipient IS NOT NULL GROUP BY recipient"
                             " ORDER BY count(*) DESC, 1 LIMIT 1");
    char *n_failures = dump(db, "SELECT count(*) FROM failures");
    sqlite3_close(db);
    ck_assert_uint_gt(strlen(ids), 100); /* many messages with failures */
    address[strlen(address) - 1] = '\0';
    for (char *p = address; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT " KEPT_FAILURE_FIELDS " FROM failures WHERE recipient = '%s' COLLATE NOCASE"
             " OR sender = '%s' COLLATE NOCASE ORDER BY id", address, address);
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *by_address = dump(db, sql);
    sqlite3_close(db);
    ck_assert_uint_gt(strlen(by_address), 0);

    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_buf got;
    mc_buf_init(&got);
    for (char *id = ids, *nl; (nl = strchr(id, '\n')) != NULL; id = nl + 1) {
        *nl = '\0';
        ck_assert_msg(store_failures(s, NULL, id, false, failure_line, &got, err, sizeof err), "%s", err);
    }
    ck_assert_str_eq(got.data ? got.data : "", by_id);
    mc_buf_reset(&got);
    ck_assert_msg(store_failures(s, NULL, address, true, failure_line, &got, err, sizeof err), "%s", err);
    ck_assert_str_eq(got.data ? got.data : "", by_address);
    mc_buf_free(&got);
    store_close(s);

    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *version = dump(db, "PRAGMA user_version");
    ck_assert_str_eq(version, "6\n");
    char *gone = dump(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('failures', 'tuples_v5', 'count_rows_v5')");
    ck_assert_str_eq(gone, "0\n");
    char *kept = dump(db, "SELECT sum(events) FROM failure_blocks");
    ck_assert_str_eq(kept, n_failures);
    char *rows2 = dump(db, "SELECT count(*) FROM count_rows");
    ck_assert_str_eq(rows2, rows);
    kept_4_same(db, &before);
    free(version), free(gone), free(kept), free(rows2);
    free(rows), free(ids), free(by_id), free(address);
    free(n_failures), free(by_address);
    cleanup_db(path);
}
END_TEST

/* A new database gets 16 KiB pages (fewer pages and WAL frames for a
 * batch's appended rows, no overflow page for a delay histogram); an
 * existing one keeps its own page size through the upgrade and later
 * batches, and stays sound.  Dropping the pragma fails the first check;
 * setting it after the WAL is on (too late for a new file) fails it too. */
START_TEST(test_page_size)
{
    char err[1024];
    char *path = temp_db();
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_aggregate *a = aggregate_new();
    add_events(a, L550, 3);
    ck_assert_msg(store_flush(s, a, NULL, "x", err, sizeof err), "%s", err);
    store_close(s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *size = dump(db, "PRAGMA page_size"), *mode = dump(db, "PRAGMA journal_mode");
    ck_assert_str_eq(size, "16384\n");
    ck_assert_str_eq(mode, "wal\n");
    sqlite3_close(db);
    free(size), free(mode);
    cleanup_db(path);

    path = fixture_copy(5, &db);
    size = dump(db, "PRAGMA page_size");
    ck_assert_str_eq(size, "4096\n");
    free(size);
    sqlite3_close(db);
    s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    aggregate_clear(a);
    add_events(a, L250, 4);
    ck_assert_msg(store_flush(s, a, NULL, "x", err, sizeof err), "%s", err);
    store_close(s);
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    size = dump(db, "PRAGMA page_size");
    char *sound = dump(db, "PRAGMA integrity_check");
    char *added = dump(db, "SELECT sum(count) FROM counts WHERE hour = '2026-11-23T11' AND code = '250'"
                           " AND domain = 'y.example'");
    ck_assert_str_eq(size, "4096\n");
    ck_assert_str_eq(sound, "ok\n");
    ck_assert_str_eq(added, "4\n");
    sqlite3_close(db);
    free(size), free(sound), free(added);
    aggregate_free(a);
    cleanup_db(path);
}
END_TEST

/* store_rows by domain: each "dN.example"'s count at N. */
typedef struct {
    uint64_t count[200];
    int rows;
} domain_counts;

static bool collect_domain(const mc_row *row, void *ctx)
{
    domain_counts *c = ctx;
    int d = -1;
    ck_assert_int_eq(sscanf(row->values[0], "d%d.example", &d), 1);
    ck_assert(d >= 0 && d < (int)(sizeof c->count / sizeof c->count[0]));
    c->count[d] += row->count;
    c->rows++;
    return true;
}

/* A tuple's id begins with its hour (tuple_id_try: 2 + hours since 1970,
 * times 2^40), whatever hours its batch mixes: rows of four hours met in
 * turns (10, 13, 10, 13, 11, ...), so a remembered hour number that is
 * not the row's (tuple_hour_of) puts a tuple among another hour's. */
START_TEST(test_tuple_ids_by_hour)
{
    char *path = temp_db();
    char err[1024];
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_aggregate *a = aggregate_new();
    static const int hours[] = {10, 13, 10, 13, 11, 11, 12, 10, 12, 13};
    for (size_t i = 0; i < sizeof hours / sizeof *hours; i++) {
        char line[512];
        snprintf(line, sizeof line,
                 "Nov 23 %02d:00:00 mx postfix/smtp[1]: A%zu: to=<t%zu@x.example>, relay=mx.x.example[192.0.2.1]:25, "
                 "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)", hours[i], i, i);
        add_events(a, line, 1);
    }
    ck_assert_msg(store_flush(s, a, NULL, "x", err, sizeof err), "%s", err);
    store_close(s);
    char *out = NULL;
    ck_assert_int_eq(test_runf(&out, "sqlite3 %s \"SELECT count(*), sum((tuple >> 40) = 2 + CAST(strftime('%%s',"
                                     " substr(hour, 1, 10) || ' ' || substr(hour, 12, 2) || ':00:00') AS INTEGER) / 3600),"
                                     " count(DISTINCT hour) FROM count_rows\"", path), 0);
    ck_assert_str_eq(out, "10|10|4\n");
    free(out);
    aggregate_free(a);
    cleanup_db(path);
}
END_TEST

/* A batch's count rows are written sorted by their tuples' ids, not in
 * the order the aggregate met them: 1,200 rows (400 recipients at 200
 * domains, in three hours, added 1 to 3 times each) written in one batch,
 * then the same events again by a second handle (an empty tuple cache):
 * every row is written once per batch (none lost or doubled by the
 * sorting), the first batch fills each table from left to right (its
 * leaf pages lie in the file in key order: none was split), and the second
 * batch finds the first's tuples (600: a domain per hour) by their ids
 * instead of storing them again (enough rows for several leaves of a
 * 16 KiB page).  The expected
 * counts are summed here as the events are made. */
START_TEST(test_batch_write_order)
{
    enum { HOURS = 3, RECIPIENTS = 400, DOMAINS = 200 };
    char *path = temp_db();
    char err[1024];
    uint64_t per_domain[DOMAINS] = {0}, total = 0;
    for (int pass = 0; pass < 2; pass++) {
        mc_store *s = store_open(path, false, err, sizeof err);
        ck_assert_msg(s != NULL, "%s", err);
        mc_aggregate *a = aggregate_new();
        for (int i = 0; i < HOURS * RECIPIENTS; i++) {
            /* the aggregate meets them in an order that is not the ids' */
            int k = (i * 7919) % (HOURS * RECIPIENTS), r = k % RECIPIENTS, h = k / RECIPIENTS;
            int d = r % DOMAINS, times = 1 + r % 3;
            char line[512];
            snprintf(line, sizeof line,
                     "Nov 23 %02d:00:00 mx postfix/smtp[1]: A1: to=<u%d@d%d.example>, relay=mx.d%d.example[192.0.2.1]:25,"
                     " delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.d%d.example[192.0.2.1] said: 550"
                     " 5.1.1 No such user (in reply to RCPT TO command))", 10 + h, r, d, d, d);
            add_events(a, line, times);
            per_domain[d] += (uint64_t)times;
            total += (uint64_t)times;
        }
        ck_assert_uint_eq(aggregate_size(a), HOURS * RECIPIENTS);
        ck_assert(store_flush(s, a, NULL, "x", err, sizeof err));
        aggregate_free(a);
        store_close(s);

        sqlite3 *db;
        ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        /* Written in key order into a new file, each table's leaves lie
         * in the file in key order: appended, none split in the middle. */
        for (int t = 0; pass == 0 && t < 2; t++) {
            char sql[256];
            snprintf(sql, sizeof sql,
                     "SELECT count(*), sum(pageno < (SELECT max(pageno) FROM dbstat d WHERE d.name = s.name"
                     " AND d.pagetype = 'leaf' AND d.path < s.path)) FROM dbstat s"
                     " WHERE name = '%s' AND pagetype = 'leaf'", t ? "tuples" : "count_rows");
            char *leaves = dump(db, sql);
            int n_leaves = 0, out_of_order = -1;
            ck_assert_int_eq(sscanf(leaves, "%d|%d", &n_leaves, &out_of_order), 2);
            ck_assert_msg(n_leaves > 2 && out_of_order == 0, "%s: %s", sql, leaves);
            free(leaves);
        }
        char *shape = dump(db, "SELECT (SELECT count(*) FROM count_rows), (SELECT count(*) FROM tuples),"
                               " (SELECT sum(count) FROM count_rows)");
        char want[64];
        snprintf(want, sizeof want, "%d|%d|%llu\n", HOURS * RECIPIENTS, HOURS * DOMAINS, (unsigned long long)total);
        ck_assert_str_eq(shape, want);
        free(shape);
        sqlite3_close(db);

        s = store_open(path, true, err, sizeof err);
        ck_assert_msg(s != NULL, "%s", err);
        const char *keys[] = {"domain"};
        domain_counts got = {{0}, 0};
        ck_assert(store_rows(s, NULL, keys, 1, NULL, 0, collect_domain, &got, err, sizeof err));
        ck_assert_int_eq(got.rows, DOMAINS);
        for (int d = 0; d < DOMAINS; d++)
            ck_assert_msg(got.count[d] == per_domain[d], "d%d.example: %llu, want %llu", d,
                          (unsigned long long)got.count[d], (unsigned long long)per_domain[d]);
        store_close(s);
    }
    cleanup_db(path);
}
END_TEST

/* Deliveries to `domains` domains in each of `hours` hours (one a
 * domain and hour, to u@dN.example), into a new aggregate. */
static mc_aggregate *domain_deliveries(int hours, int domains)
{
    mc_aggregate *a = aggregate_new();
    for (int h = 0; h < hours; h++)
        for (int d = 0; d < domains; d++) {
            char line[512];
            snprintf(line, sizeof line,
                     "Nov 23 %02d:00:00 mx postfix/smtp[1]: A1: to=<u@d%d.example>, relay=mx.d%d.example[192.0.2.1]:25,"
                     " delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)", 10 + h, d, d);
            add_events(a, line, 1);
        }
    return a;
}

/* The tuple cache grows while the tuples come (store.c,
 * TUPLE_CACHE_FIRST_SLOTS to TUPLE_CACHE_SLOTS) and keeps every one it
 * was given: a handle that wrote 9 000 tuples (3 000 domains in three
 * hours, past both growths: 4 096 slots half full at 2 048, 16 384 at
 * 8 192) finds each again without a lookup.  The tuples are deleted by
 * hand behind its back, and the same deliveries written by the same
 * handle: a cached tuple is not looked for, so none is written again and
 * its count row is added to (count 2, under the deleted id); a tuple the
 * growth lost would be inserted again. */
START_TEST(test_tuple_cache_grows)
{
    char err[1024];
    char *path = temp_db();
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_aggregate *a = domain_deliveries(3, 3000);
    ck_assert_uint_eq(aggregate_size(a), 9000);
    ck_assert_msg(store_flush(s, a, NULL, "x", err, sizeof err), "%s", err);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *shape = dump(db, "SELECT (SELECT count(*) FROM tuples), count(*), sum(count) FROM count_rows");
    ck_assert_str_eq(shape, "9000|9000|9000\n");
    free(shape);
    ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM tuples", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_msg(store_flush(s, a, NULL, "x", err, sizeof err), "%s", err);
    shape = dump(db, "SELECT (SELECT count(*) FROM tuples), count(*), sum(count = 2) FROM count_rows");
    ck_assert_str_eq(shape, "0|9000|9000\n");
    free(shape);
    store_close(s);
    sqlite3_close(db);
    aggregate_free(a);
    cleanup_db(path);
}
END_TEST

/* A tuple whose first id (its hour and hash: store.c, tuple_id) is
 * taken by another tuple gets an id of its own, one on.  300 deliveries
 * (100 domains in three hours, a tuple each) are written into a new
 * database, and the id of the 41st tuple by id is read; into a second
 * database, a tuple of another MTA is written by hand under that id
 * first, then the same deliveries.  The second holds 301 tuples; the
 * displaced one is one id on, every other one under the first database's
 * id; every delivery counts for its own domain and none for the hand-written
 * tuple.  A taken id read as the tuple's own (a lookup that does not
 * compare the values) puts that delivery under the other MTA; no other
 * test catches that.  (Written for a pass that inserted new tuples many
 * to a statement, ingest11, not kept: docs/BENCHMARKS.md.) */
START_TEST(test_tuple_taken_id)
{
    char err[1024];
    char *paths[2] = {temp_db(), temp_db()};
    char *ids[2] = {NULL, NULL};
    long long taken = 0;
    for (int db_i = 0; db_i < 2; db_i++) {
        mc_store *s = store_open(paths[db_i], false, err, sizeof err);
        ck_assert_msg(s != NULL, "%s", err);
        if (db_i == 1) {
            store_close(s);
            sqlite3 *db;
            ck_assert_int_eq(sqlite3_open(paths[1], &db), SQLITE_OK);
            char sql[512];
            snprintf(sql, sizeof sql,
                     "INSERT INTO tuples VALUES (%lld, 'exim', 'mx', 'outbound', 'sent', '', '250', '', 'success',"
                     " '', 'other.example', '', '', 0, 0, 0, '', '')", taken);
            ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
            sqlite3_close(db);
            s = store_open(paths[1], false, err, sizeof err);
            ck_assert_msg(s != NULL, "%s", err);
        }
        mc_aggregate *a = domain_deliveries(3, 100);
        ck_assert_msg(store_flush(s, a, NULL, "x", err, sizeof err), "%s", err);
        aggregate_free(a);
        store_close(s);
        sqlite3 *db;
        ck_assert_int_eq(sqlite3_open_v2(paths[db_i], &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        if (db_i == 0) {
            char *id = dump(db, "SELECT id FROM tuples ORDER BY id LIMIT 1 OFFSET 40");
            taken = atoll(id);
            free(id);
            ck_assert(taken > 0);
        }
        ids[db_i] = dump(db, "SELECT id FROM tuples WHERE mta = 'postfix' ORDER BY id");
        char *shape = dump(db, "SELECT count(*), sum(count = 3) FROM (SELECT domain, sum(count) AS count FROM counts"
                               " WHERE mta = 'postfix' AND domain LIKE 'd%.example' GROUP BY domain)");
        ck_assert_str_eq(shape, "100|100\n");
        free(shape);
        shape = dump(db, "SELECT (SELECT count(*) FROM tuples), (SELECT count(*) FROM count_rows),"
                         " (SELECT count(*) FROM counts WHERE mta = 'exim' OR domain = 'other.example')");
        ck_assert_str_eq(shape, db_i ? "301|300|0\n" : "300|300|0\n");
        free(shape);
        sqlite3_close(db);
    }
    /* the first database's ids, the taken one moved on by one */
    char moved[32];
    snprintf(moved, sizeof moved, "%lld\n", taken + 1);
    char was[32];
    snprintf(was, sizeof was, "%lld\n", taken);
    char *at = strstr(ids[0], was);
    ck_assert_ptr_nonnull(at);
    mc_buf want;
    mc_buf_init(&want);
    mc_buf_add(&want, ids[0], (size_t)(at - ids[0]));
    mc_buf_adds(&want, moved);
    mc_buf_adds(&want, at + strlen(was));
    ck_assert_str_eq(ids[1], want.data);
    mc_buf_free(&want);
    for (int i = 0; i < 2; i++) {
        free(ids[i]);
        cleanup_db(paths[i]);
    }
}
END_TEST

/* A tuple's id is stored, so its hash can never change (store.c,
 * tuple_id): the hour number (1 + hours since 1970-01-01) plus one, times
 * 2^40, plus the low 40 bits of FNV-1a over the hour number's 8 bytes
 * (little-endian) and each tuple value, mta to sender_domain, with its NUL
 * (the flags as '0' or '1').  303 deliveries (101 domains of names 2 to 4
 * characters long, three hours), written by one batch, whose writer hashes
 * four rows side by side and the last three alone: each id is computed
 * here from its row's values.  A lane that reads another lane's bytes, or
 * stops at the shortest value, gives other ids. */
static int64_t civil_days(int y, int m, int d)
{
    /* days since 1970-01-01, counted the long way */
    static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t days = 0;
    for (int yy = 1970; yy < y; yy++)
        days += (yy % 4 == 0 && (yy % 100 != 0 || yy % 400 == 0)) ? 366 : 365;
    bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    return days + before[m - 1] + (leap && m > 2) + d - 1;
}

/* The id a tuple of values v (mta to sender_domain, the flags as "0" or
 * "1") tries first in the hour of hour_text, computed as said above. */
static int64_t expected_first_id(const char *hour_text, const char *const v[17])
{
    int y, mo, d, h;
    ck_assert_int_eq(sscanf(hour_text, "%d-%d-%dT%d", &y, &mo, &d, &h), 4);
    int64_t hour = 1 + civil_days(y, mo, d) * 24 + h;
    uint64_t fnv = 14695981039346656037ULL;
    for (int i = 0; i < 8; i++)
        fnv = (fnv ^ (((uint64_t)hour >> (8 * i)) & 0xFF)) * 1099511628211ULL;
    for (int col = 0; col < 17; col++) {
        for (const unsigned char *p = (const unsigned char *)v[col]; *p; p++)
            fnv = (fnv ^ *p) * 1099511628211ULL;
        fnv *= 1099511628211ULL; /* the NUL */
    }
    return (int64_t)(((uint64_t)(hour + 1) << 40) | (fnv & ((1ULL << 40) - 1)));
}

/* Writes batch a through s and closes both. */
static void flush_close(mc_store *s, mc_aggregate *a)
{
    char err[1024];
    ck_assert_msg(store_flush(s, a, NULL, "x", err, sizeof err), "%s", err);
    aggregate_free(a);
    store_close(s);
}

/* mc_fast_hash's definition (util.c before its words were taken four and
 * two a step and its last bytes by overlapping loads): a word a step, the
 * last 1 to 7 bytes a byte at a time, little-endian. */
static uint64_t plain_mix(uint64_t h)
{
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
}

static uint64_t plain_fast_hash(const uint64_t seed[2], const void *p, size_t n)
{
    const unsigned char *in = p;
    uint64_t h = seed[0] ^ plain_mix((uint64_t)n + 0x9E3779B97F4A7C15ull);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, in + i, 8);
        h = plain_mix(h ^ w);
    }
    if (i < n) {
        uint64_t w = 0;
        for (size_t j = 0; i + j < n; j++)
            w |= (uint64_t)in[i + j] << (8 * j);
        h = plain_mix(h ^ w);
    }
    return plain_mix(plain_mix(h ^ seed[1]));
}

/* mc_fast_hash (the tables in memory: the store's, the aggregate's, the
 * message index's, the reason cache's) gives its definition's value on
 * keys of 0 to 200 bytes, each in a heap block of its exact size at each
 * of eight alignments, bytes of every value, under three seeds. */
START_TEST(test_fast_hash_plain)
{
    static const uint64_t seeds[3][2] = {{0, 0}, {0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL}, {~0ULL, 1}};
    uint32_t r = 12345;
    size_t keys = 0;
    for (size_t n = 0; n <= 200; n++)
        for (size_t at = 0; at < 8; at++) {
            unsigned char *block = malloc(at + n ? at + n : 1);
            ck_assert_ptr_nonnull(block);
            for (size_t i = 0; i < at + n; i++) {
                r = r * 1103515245u + 12345u;
                block[i] = (unsigned char)(r >> 16);
            }
            for (size_t k = 0; k < 3; k++)
                ck_assert_msg(mc_fast_hash(seeds[k], block + at, n) == plain_fast_hash(seeds[k], block + at, n),
                              "length %zu at %zu, seed %zu", n, at, k);
            free(block);
            keys++;
        }
    ck_assert_uint_eq(keys, 201 * 8);
}
END_TEST

START_TEST(test_tuple_id_hash)
{
    char err[1024];
    char *path = temp_db();
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_aggregate *a = domain_deliveries(3, 101);
    ck_assert_int_eq(aggregate_size(a), 303);
    flush_close(s, a);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db,
                                        "SELECT c.hour, t.id, t.mta, t.host, t.direction, t.status, t.stage, t.code,"
                                        " t.enhanced, t.class, t.reason, t.domain, t.relay, t.client, t.conflict,"
                                        " t.hard, t.inferred, t.sender, t.sender_domain"
                                        " FROM count_rows c JOIN tuples t ON t.id = c.tuple",
                                        -1, &st, NULL),
                     SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *v[17];
        for (int col = 2; col <= 18; col++)
            v[col - 2] = (const char *)sqlite3_column_text(st, col);
        ck_assert_int_eq(sqlite3_column_int64(st, 1), expected_first_id((const char *)sqlite3_column_text(st, 0), v));
        rows++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    ck_assert_int_eq(rows, 303);
    cleanup_db(path);
}
END_TEST

/* The count rows of tuples new in a batch go into the database sixteen
 * to a statement (store.c, COUNT_GROUP: an insert, not an upsert), the
 * rest of them and the rows of known tuples one by one (the upsert).  303
 * deliveries (101 domains of one recipient each, in three hours: a new
 * tuple each, so 18 full groups and 15 rows left over) written once, then
 * again by a second handle (every tuple known: the upserts add to the
 * rows), then with 4 more domains: every row holds its own delivery (the
 * recipient, relay and hour of its domain, the reply as sample, its time
 * as first and last seen), once and then twice, and every delivery is
 * counted.  A group bound out of step puts one row's values in another's
 * columns; a group not flushed when the rows end loses the last 15; a
 * known tuple's row inserted instead of added to keeps count 1.  Then
 * the tuples are deleted by hand (their count rows left with no tuple):
 * a batch whose new tuples take those ids again would have its group's
 * rows ignored, so the batch is refused and nothing of it is kept. */
/* Opens the database at path read-only (*db) and prepares sql on it. */
static sqlite3_stmt *query_read_only(const char *path, const char *sql, sqlite3 **db)
{
    ck_assert_int_eq(sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(*db, sql, -1, &st, NULL), SQLITE_OK);
    return st;
}

static void check_domain_rows(const char *path, int domains, int count)
{
    sqlite3 *db;
    sqlite3_stmt *st = query_read_only(
        path, "SELECT hour, domain, recipient, relay, count, first_seen, last_seen, sample FROM counts", &db);
    int rows = 0, seen[3][105] = {{0}};
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *hour = (const char *)sqlite3_column_text(st, 0);
        int d = -1, h = -1;
        ck_assert_int_eq(sscanf((const char *)sqlite3_column_text(st, 1), "d%d.example", &d), 1);
        ck_assert_int_eq(sscanf(hour + strlen(hour) - 2, "%d", &h), 1);
        ck_assert(d >= 0 && d < domains && h >= 10 && h < 13);
        char want[128];
        snprintf(want, sizeof want, "u@d%d.example", d);
        ck_assert_str_eq((const char *)sqlite3_column_text(st, 2), want);
        snprintf(want, sizeof want, "mx.d%d.example[192.0.2.1]:25", d);
        ck_assert_str_eq((const char *)sqlite3_column_text(st, 3), want);
        ck_assert_int_eq(sqlite3_column_int(st, 4), count);
        snprintf(want, sizeof want, "%s:00:00", hour);
        ck_assert_msg(strncmp((const char *)sqlite3_column_text(st, 5), want, strlen(want)) == 0, "%s",
                      sqlite3_column_text(st, 5));
        ck_assert_str_eq((const char *)sqlite3_column_text(st, 6), (const char *)sqlite3_column_text(st, 5));
        ck_assert_str_eq((const char *)sqlite3_column_text(st, 7), "250 2.0.0 Ok");
        ck_assert_int_eq(seen[h - 10][d]++, 0);
        rows++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    ck_assert_int_eq(rows, 3 * domains);
}

START_TEST(test_count_rows_grouped)
{
    char err[1024];
    char *path = temp_db();
    const int domains[3] = {101, 101, 105};
    for (int round = 0; round < 3; round++) {
        mc_store *s = store_open(path, false, err, sizeof err);
        ck_assert_msg(s != NULL, "%s", err);
        mc_aggregate *a = domain_deliveries(3, domains[round]);
        ck_assert_msg(store_flush(s, a, NULL, "x", err, sizeof err), "%s", err);
        aggregate_free(a);
        store_close(s);
        if (round == 0)
            check_domain_rows(path, 101, 1);
    }
    /* Domains 101-104 came in the last round alone: once; the rest thrice. */
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db,
                                        "SELECT sum(count = 3), sum(count = 1), count(*) FROM count_rows", -1, &st,
                                        NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), 303);
    ck_assert_int_eq(sqlite3_column_int(st, 1), 12);
    ck_assert_int_eq(sqlite3_column_int(st, 2), 315);
    sqlite3_finalize(st);
    ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM tuples", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_aggregate *a = domain_deliveries(3, 101);
    ck_assert(!store_flush(s, a, NULL, "x", err, sizeof err));
    ck_assert_msg(strstr(err, "damaged database") != NULL, "%s", err);
    aggregate_free(a);
    store_close(s);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM tuples), sum(count) FROM count_rows", -1,
                                        &st, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), 0);
    ck_assert_int_eq(sqlite3_column_int(st, 1), 303 * 3 + 12);
    sqlite3_finalize(st);
    sqlite3_close(db);
    cleanup_db(path);
}
END_TEST

/* Every new tuple gets the id the one-by-one order of a batch's writes
 * gives it (store.c, tuple_id), also when a first id is taken among 16
 * new tuples of one hour: the case a group insert of tuples (16 to a
 * statement, tup22's try, not kept: docs/BENCHMARKS.md) must re-probe.
 * Two cases, each one batch of 16 new tuples in hour
 * 10 (a full group), each id computed here as test_tuple_id_hash does:
 * (a) d1951453.example's first id C is held by a hand-written tuple of
 * another MTA, and d6972658.example's first id is C + 1 (relay
 * mx.example for both: found by a search over 8 million domain names):
 * one by one, the first moves on to C + 1 and the second to C + 2; a
 * group that let the second keep C + 1 gives the first C + 2.  (b)
 * d4314018.example and d5199572.example (relay mx.<domain>) have the same
 * first id E: one takes E, the other E + 1.  Every other tuple keeps its
 * first id, and every delivery counts once for its own domain. */
static int64_t first_id(const char *hour, const char *domain, const char *relay)
{
    const char *v[17] = {"postfix", "mx", "outbound", "sent", "end-of-data", "250", "2.0.0", "success", "",
                         domain,    relay, "",        "0",        "0",    "0",   "",    ""};
    return expected_first_id(hour, v);
}

START_TEST(test_tuple_group_collision)
{
    static const int pairs[2][2] = {{1951453, 6972658}, {4314018, 5199572}};
    for (int c = 0; c < 2; c++) {
        char err[1024];
        char *path = temp_db();
        mc_store *s = store_open(path, false, err, sizeof err);
        ck_assert_msg(s != NULL, "%s", err);
        int doms[16];
        for (int i = 0; i < 16; i++)
            doms[i] = i < 2 ? pairs[c][i] : i;
        char relays[16][64], names[16][20];
        for (int i = 0; i < 16; i++) {
            snprintf(names[i], sizeof names[i], "d%d.example", doms[i]);
            if (c == 0)
                snprintf(relays[i], sizeof relays[i], "mx.example[192.0.2.1]:25");
            else
                snprintf(relays[i], sizeof relays[i], "mx.%.19s[192.0.2.1]:25", names[i]);
        }
        const char *hour = "2026-11-23T10";
        int64_t a0 = first_id(hour, names[0], relays[0]), a1 = first_id(hour, names[1], relays[1]);
        ck_assert_int_eq(a1, c == 0 ? a0 + 1 : a0);
        if (c == 0) {
            store_close(s);
            sqlite3 *db;
            ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
            char sql[512];
            snprintf(sql, sizeof sql,
                     "INSERT INTO tuples VALUES (%lld, 'exim', 'mx', 'outbound', 'sent', '', '250', '', 'success',"
                     " '', 'other.example', '', '', 0, 0, 0, '', '')", (long long)a0);
            ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
            sqlite3_close(db);
            s = store_open(path, false, err, sizeof err);
            ck_assert_msg(s != NULL, "%s", err);
        }
        mc_aggregate *a = aggregate_new();
        for (int i = 0; i < 16; i++) {
            char line[512];
            snprintf(line, sizeof line,
                     "Nov 23 10:00:00 mx postfix/smtp[1]: A1: to=<u@%.19s>, relay=%.63s, delay=1, delays=0/0/0/1,"
                     " dsn=2.0.0, status=sent (250 2.0.0 Ok)", names[i], relays[i]);
            add_events(a, line, 1);
        }
        flush_close(s, a);
        sqlite3 *db;
        sqlite3_stmt *st = query_read_only(path,
                                           "SELECT t.id, t.domain, t.relay, c.recipient, c.count, c.hour"
                                           " FROM count_rows c JOIN tuples t ON t.id = c.tuple",
                                           &db);
        int rows = 0, seen[16] = {0};
        int64_t pair_ids[2] = {0, 0};
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *dom = (const char *)sqlite3_column_text(st, 1);
            int i = 0;
            while (i < 16 && strcmp(names[i], dom) != 0)
                i++;
            ck_assert_msg(i < 16, "%s", dom);
            ck_assert_int_eq(seen[i]++, 0);
            ck_assert_str_eq((const char *)sqlite3_column_text(st, 2), relays[i]);
            char want[96];
            snprintf(want, sizeof want, "u@%s", names[i]);
            ck_assert_str_eq((const char *)sqlite3_column_text(st, 3), want);
            ck_assert_int_eq(sqlite3_column_int(st, 4), 1);
            ck_assert_str_eq((const char *)sqlite3_column_text(st, 5), hour);
            int64_t id = sqlite3_column_int64(st, 0);
            if (i < 2)
                pair_ids[i] = id;
            else
                ck_assert_int_eq(id, first_id(hour, names[i], relays[i]));
            rows++;
        }
        sqlite3_finalize(st);
        ck_assert_int_eq(rows, 16);
        if (c == 0) {
            ck_assert_int_eq(pair_ids[0], a0 + 1);
            ck_assert_int_eq(pair_ids[1], a0 + 2);
        } else { /* which of the two comes first is the batch's order */
            ck_assert(pair_ids[0] == a0 || pair_ids[1] == a0);
            ck_assert_int_eq(pair_ids[0] + pair_ids[1], 2 * a0 + 1);
        }
        char *n = dump(db, "SELECT count(*) FROM tuples");
        ck_assert_str_eq(n, c == 0 ? "17\n" : "16\n");
        free(n);
        sqlite3_close(db);
        cleanup_db(path);
    }
}
END_TEST

/* A count row's times are written by mc_time_format_memo (event.c),
 * which copies the date and hour from the last time it wrote: the same
 * text as the ISO 8601 form written here with snprintf, for times in one
 * hour, in the next, on another day, with and without a fraction, in
 * every zone form (an 8-byte zone has no NUL), and out of range (year
 * 10000, minute 100, fraction 10^6, negative fields: printf's form), each
 * followed by one of the first hour (so the other differs from the memo
 * in its year, month, day or hour alone).  A memo kept from a time out of
 * range, or one not matched on every field, writes another head. */
static void iso_expected(const mc_time *t, char *buf, size_t len)
{
    if (!t->valid) {
        buf[0] = '\0';
        return;
    }
    int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", t->year, t->month, t->day, t->hour, t->min, t->sec);
    if (t->usec >= 0)
        n += snprintf(buf + n, len - (size_t)n, ".%06d", t->usec);
    snprintf(buf + n, len - (size_t)n, "%.8s", t->zone);
}

START_TEST(test_time_format_memo)
{
    const mc_time base = {.year = 2026, .month = 11, .day = 30, .hour = 9, .min = 5, .sec = 7, .usec = -1,
                          .zone = "", .valid = true};
    mc_time times[48];
    size_t n = 0;
    const struct {
        int dyear, dmonth, dday, dhour, min, sec, usec;
        const char *zone;
    } v[] = {
        {0, 0, 0, 0, 5, 7, -1, ""},        {0, 0, 0, 0, 59, 59, 0, "Z"},      {0, 0, 0, 0, 0, 0, 999999, "+01:00"},
        {0, 0, 0, 0, 1, 2, 5, "+0100XYZ"}, {0, 0, 0, 1, 1, 2, -1, ""},        {0, 0, 1, 0, 1, 2, -1, ""},
        {0, 1, 0, 0, 1, 2, -1, ""},        {1, 0, 0, 0, 1, 2, -1, ""},        {7974, 0, 0, 0, 3, 4, -1, ""},
        {0, 0, 0, 0, 100, 4, -1, ""},      {0, 0, 0, 0, 3, 100, -1, ""},      {0, 0, 0, 0, 3, 4, 1000000, "Z"},
        {0, -12, 0, 0, 3, 4, -1, ""},      {0, 0, 0, 0, -1, 4, 12, ""},       {0, 0, 0, 0, 3, 4, -7, "Z"},
        {0, 0, -30, 0, 3, 4, -1, ""},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        for (int again = 0; again < 2; again++) {
            mc_time t = base;
            if (!again) /* then base's hour, minutes and seconds as given */
                t.year += v[i].dyear, t.month += v[i].dmonth, t.day += v[i].dday, t.hour += v[i].dhour;
            t.min = v[i].min, t.sec = v[i].sec, t.usec = v[i].usec;
            memcpy(t.zone, v[i].zone, strlen(v[i].zone) < sizeof t.zone ? strlen(v[i].zone) + 1 : sizeof t.zone);
            times[n++] = t;
        }
    for (int i = 0; i < 2; i++) { /* two of year 10000 in a row: no memo from the first */
        times[n] = base;
        times[n].year = 10000;
        times[n++].min = 10 + i;
    }
    times[n++] = (mc_time){.valid = false};
    times[n++] = base;
    mc_time_memo memo = {0};
    for (size_t i = 0; i < n; i++) {
        char got[48], want[96];
        mc_time_format_memo(&memo, &times[i], got, sizeof got);
        iso_expected(&times[i], want, sizeof want);
        ck_assert_msg(strcmp(got, want) == 0, "time %zu: %s, want %s", i, got, want);
    }
}
END_TEST

/* A tuple's values are bound again only when they differ from the row
 * written before it (store.c, bound_value): 120 deliveries to six domains
 * whose names, relays and recipients all have the same length and differ
 * in one character, bounced (hard) or deferred, in two batches of one
 * handle, each from an aggregate of its own and in an hour of its own (so
 * the second batch writes tuples whose values are the first's, from other
 * memory).  Every tuple holds its own values: a value kept by length alone
 * lands a count on a neighbour's domain, relay or status; one kept from the
 * last batch reads the freed aggregate (and fails under ASan).  The
 * expected rows are counted here as the events are made.  The first
 * delivery is logged again half an hour on: its row's first and last
 * times differ, the others' are one time (formatted once, store_flush). */
START_TEST(test_bound_values)
{
    enum { EVENTS = 120, DOMAINS = 6 };
    char *path = temp_db();
    char err[1024];
    uint64_t want[2][DOMAINS][2] = {{{0}}}; /* hour, domain, bounced */
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    for (int pass = 0; pass < 2; pass++) {
        mc_aggregate *a = aggregate_new();
        for (int i = 0; i < EVENTS; i++) {
            int d = i % DOMAINS, bounced = (i / DOMAINS) % 2, times = 1 + i % 3;
            char line[512];
            snprintf(line, sizeof line,
                     "Nov 23 %02d:00:00 mx postfix/smtp[1]: A1: to=<u%03d@d%d.example>, relay=mx.d%d.example[192.0.2.1]:25,"
                     " delay=1, delays=0/0/0/1, dsn=%s, status=%s (host mx.d%d.example[192.0.2.1] said: %s"
                     " (in reply to RCPT TO command))",
                     10 + pass, i, d, d, bounced ? "5.1.1" : "4.2.0", bounced ? "bounced" : "deferred", d,
                     bounced ? "550 5.1.1 No such user" : "450 4.2.0 Mailbox busy");
            add_events(a, line, times);
            want[pass][d][bounced] += (uint64_t)times;
            if (i == 0) { /* the same row half an hour on: its first and last times differ */
                char *at = strstr(line, ":00:00 ");
                ck_assert_ptr_nonnull(at);
                memcpy(at, ":30:00 ", 7);
                add_events(a, line, 1);
                want[pass][d][bounced]++;
            }
        }
        ck_assert(store_flush(s, a, NULL, "x", err, sizeof err));
        aggregate_free(a);
    }
    store_close(s);
    mc_buf expect;
    mc_buf_init(&expect);
    for (int h = 0; h < 2; h++)
        for (int d = 0; d < DOMAINS; d++)
            for (int b = 1; b >= 0; b--) /* bounced sorts first */
                mc_buf_printf(&expect, "2026-11-23T%02d|d%d.example|mx.d%d.example[192.0.2.1]:25|%s|%d|%llu\n", 10 + h,
                              d, d, b ? "bounced" : "deferred", b, (unsigned long long)want[h][d][b]);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *got = dump(db, "SELECT substr(hour, 1, 13), domain, relay, status, hard, sum(count) FROM counts"
                         " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 4");
    ck_assert_str_eq(got, expect.data);
    free(got);
    got = dump(db, "SELECT (SELECT count(*) FROM tuples), (SELECT count(*) FROM count_rows)");
    ck_assert_str_eq(got, "24|240\n");
    free(got);
    got = dump(db, "SELECT hour, recipient, count, first_seen, last_seen FROM count_rows"
                   " WHERE recipient IN ('u000@d0.example', 'u001@d1.example') ORDER BY 1, 2");
    ck_assert_str_eq(got, "2026-11-23T10|u000@d0.example|2|2026-11-23T10:00:00|2026-11-23T10:30:00\n"
                          "2026-11-23T10|u001@d1.example|2|2026-11-23T10:00:00|2026-11-23T10:00:00\n"
                          "2026-11-23T11|u000@d0.example|2|2026-11-23T11:00:00|2026-11-23T11:30:00\n"
                          "2026-11-23T11|u001@d1.example|2|2026-11-23T11:00:00|2026-11-23T11:00:00\n");
    free(got);
    sqlite3_close(db);
    mc_buf_free(&expect);
    cleanup_db(path);
}
END_TEST

/* Schema 6 keeps the recipient beside the tuple: every answer by
 * recipient, sender and domain from a database (the mta-run log ingested
 * as two files, so that hours span batches and rows and delay histograms
 * are added to) is byte for byte the answer from the file, in text, CSV
 * and JSON, and so are the daily report's figures (recipients, senders). */
START_TEST(test_db_answers_as_file)
{
    char *path = temp_db();
    const char *log = MC_DATA_DIR "/postfix/mta-run/maillog";
    ck_assert_int_eq(test_runf(NULL, "head -4000 %s > %s.1 && tail -n +4001 %s > %s.2 && %s ingest --quiet --db %s %s.1"
                                     " && %s ingest --quiet --db %s %s.2",
                               log, path, log, path, MC_BINARY, path, path, MC_BINARY, path, path), 0);
    /* each key in two formats: a report is a full read of the log */
    static const char *const by[] = {"recipient", "recipient,class", "sender,recipient,status", "domain,relay",
                                     "sender_domain,status", "code,recipient"};
    static const char *const formats[] = {"text", "csv", "json"};
    for (size_t i = 0; i < sizeof by / sizeof by[0]; i++) {
        for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
            if (f == i % 3)
                continue;
            char *file = NULL, *db = NULL;
            /* data.last_ingest is known from a database only, the
             * distinct senders and recipients to a file read only when it
             * counts by them (the daily report below compares them), and
             * the stale-data warning asks about ingest or about the files */
            const char *known = "grep -v -e '^ \"data\": ' -e '^ \"senders\": ' -e '^ \"warnings\": '";
            ck_assert_int_eq(test_runf(&file, "%s report --top 0 --by %s --format %s %s | %s", MC_BINARY, by[i],
                                       formats[f], log, known), 0);
            ck_assert_int_eq(test_runf(&db, "%s report --top 0 --by %s --format %s --db %s | %s", MC_BINARY, by[i],
                                       formats[f], path, known), 0);
            ck_assert_msg(strlen(file) > 200, "--by %s %s: %s", by[i], formats[f], file);
            ck_assert_msg(strcmp(db, file) == 0, "--by %s --format %s differs from the database", by[i], formats[f]);
            free(file), free(db);
        }
    }
    /* The daily report: the same but for the figures a file read does
     * not count; the database's distinct recipients are the distinct to=
     * of the log's sent deliveries. */
    char *file = NULL, *db = NULL, *sent = NULL, *figures = NULL;
    ck_assert_int_eq(test_runf(&file, "%s report --format json %s | grep -v -e '^ \"data\": ' -e '^ \"senders\": '"
                               " -e '^ \"warnings\": '",
                               MC_BINARY, log), 0);
    ck_assert_int_eq(test_runf(&db, "%s report --format json --db %s | grep -v -e '^ \"data\": ' -e '^ \"senders\": '"
                               " -e '^ \"warnings\": '",
                               MC_BINARY, path), 0);
    ck_assert_msg(strcmp(db, file) == 0, "the daily report differs from the database");
    ck_assert_int_eq(test_runf(&sent, "grep 'status=sent' %s | grep -o ' to=<[^>]*>' | sort -u | wc -l", log), 0);
    ck_assert_int_eq(test_runf(&figures, "%s report --format json --db %s | grep '^ \"senders\": '", MC_BINARY, path), 0);
    char want[64];
    snprintf(want, sizeof want, "\"recipients\": %d,", atoi(sent));
    ck_assert_int_gt(atoi(sent), 100);
    test_expect_has(figures, want);
    free(file), free(db), free(sent), free(figures);
    ck_assert_int_eq(test_runf(NULL, "rm -f %s.1 %s.2", path, path), 0);
    cleanup_db(path);
}
END_TEST

/* Two writers of one source (two ingests of one file): the second flush,
 * made from a stale position, writes nothing and learns where the source
 * is now; a claim of a new source loses to one made in between. */
START_TEST(test_source_compare_and_set)
{
    char *path = temp_db();
    char err[1024];
    mc_store *a = store_open(path, false, err, sizeof err), *b = store_open(path, false, err, sizeof err);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    mc_aggregate *agg = aggregate_new();
    add_events(agg, L550, 1);
    const char head[] = "Nov 23 10:00:00 mx postfix/smtp[1]: first line of a log\n";
    mc_source sa, sb;
    ck_assert(store_source_find(a, head, sizeof head - 1, &sa, err, sizeof err));
    ck_assert(store_source_find(b, head, sizeof head - 1, &sb, err, sizeof err));
    /* both saw nothing; a claims it first */
    sa.offset = 100;
    ck_assert(store_flush(a, agg, &sa, "mail.log", err, sizeof err));
    sb.offset = 80;
    ck_assert(!store_flush(b, agg, &sb, "mail.log", err, sizeof err));
    ck_assert(sb.lost);
    ck_assert_int_eq(sb.id, sa.id);
    ck_assert_uint_eq(sb.committed, 100);
    /* b goes on from 100; a's next flush is now the stale one */
    sb.lost = false;
    sb.offset = 150;
    ck_assert(store_flush(b, agg, &sb, "mail.log", err, sizeof err));
    sa.offset = 200;
    ck_assert(!store_flush(a, agg, &sa, "mail.log", err, sizeof err));
    ck_assert(sa.lost);
    ck_assert_uint_eq(sa.committed, 150);
    /* two batches were written, one event each: the lost ones added nothing */
    mc_totals t;
    ck_assert(store_totals(a, NULL, NULL, &t, err, sizeof err));
    ck_assert_uint_eq(t.events, 2);
    mc_source again;
    ck_assert(store_source_find(a, head, sizeof head - 1, &again, err, sizeof err));
    ck_assert_uint_eq(again.offset, 150);
    store_close(a);
    store_close(b);
    aggregate_free(agg);
    cleanup_db(path);
}
END_TEST

/* store_failures callback: each event's recipient, a line. */
static bool failure_recipient(const mc_event *ev, mc_str delays, void *ctx)
{
    (void)delays;
    mc_buf_add(ctx, ev->recipient.p, ev->recipient.n);
    mc_buf_addc(ctx, '\n');
    return true;
}

/* The recipients of queue id A1's failure events kept in s, in log order. */
static char *kept_recipients(mc_store *s)
{
    char err[1024];
    mc_buf got = {0};
    ck_assert_msg(store_failures(s, NULL, "A1", false, failure_recipient, &got, err, sizeof err), "%s", err);
    mc_buf_addc(&got, '\0');
    return got.data;
}

/* Adds failure event `at` (a minute of the hour 10, recipient r<at>) to a
 * and to s's failure events, and its recipient to want. */
static void add_failure(mc_store *s, mc_aggregate *a, int at, mc_buf *want)
{
    char line[512];
    snprintf(line, sizeof line,
             "Nov 23 10:%02d:%02d mx postfix/smtp[1]: A1: to=<r%d@x.example>, relay=mx.x.example[192.0.2.1]:25, "
             "delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.x.example[192.0.2.1] said: "
             "550 5.1.1 No such user (in reply to RCPT TO command))", at / 60, at % 60, at);
    mc_event ev;
    ck_assert_int_eq(test_parse(line, &ev), PARSE_EVENT);
    aggregate_add(a, &ev);
    store_failure_add(s, &ev, MC_STR_NULL);
    mc_buf_printf(want, "r%d@x.example\n", at);
}

/* qsort's order of C strings. */
static int cmp_strings(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

/* The varint at *p (below end), moving *p past it. */
static uint64_t blob_varint(const unsigned char **p, const unsigned char *end)
{
    uint64_t v = 0;
    for (int shift = 0; *p < end; shift += 7) {
        unsigned char c = *(*p)++;
        v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80))
            return v;
    }
    ck_abort_msg("a varint runs past its blob");
    return 0;
}

/* A failure block's dictionary holds each string once, however many
 * records use it: 3,000 failure events of one hour (one block) whose
 * recipients come back every 700 events (a first set in the first half,
 * a second in the second, met first between two growths of the index)
 * and relays every 300, none next to its last use (so the last-record
 * shortcut cannot find it), enough strings to grow the dictionary's index
 * three times.  The strings are
 * read from the stored blob (format 1: a format byte, the count, each
 * string as its length, bytes and NUL): none twice, and each recipient
 * and relay there.  A probe that misses a string it holds (its slot's
 * hash bits kept wrong through a growth, say) stores it again. */
START_TEST(test_failure_dictionary)
{
    enum { EVENTS = 3000, RCPTS = 700, RELAYS = 300 };
    enum { ALL_RCPTS = 2 * RCPTS };
    char *path = temp_db();
    char err[1024];
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_aggregate *a = aggregate_new();
    for (int i = 0; i < EVENTS; i++) {
        char line[512];
        snprintf(line, sizeof line,
                 "Nov 23 10:%02d:%02d mx postfix/smtp[1]: A1: to=<r%d@x.example>, relay=mx.d%d.example[192.0.2.1]:25,"
                 " delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.x.example[192.0.2.1] said: "
                 "550 5.1.1 No such user (in reply to RCPT TO command))", i / 60 % 60, i % 60,
                 (i < EVENTS / 2 ? 0 : RCPTS) + i % RCPTS, i % RELAYS);
        mc_event ev;
        ck_assert_int_eq(test_parse(line, &ev), PARSE_EVENT);
        aggregate_add(a, &ev);
        store_failure_add(s, &ev, MC_STR_NULL);
    }
    ck_assert_msg(store_flush(s, a, NULL, "x", err, sizeof err), "%s", err);
    store_close(s);
    aggregate_free(a);

    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT events, data FROM failure_blocks", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), EVENTS);
    const unsigned char *p = sqlite3_column_blob(st, 1), *end = p + sqlite3_column_bytes(st, 1);
    ck_assert_int_eq(*p++, 1);
    uint64_t n = blob_varint(&p, end);
    ck_assert_uint_gt(n, 2048); /* past 1,024 slots, half full, three times */
    char **strings = calloc(n, sizeof *strings);
    int rcpt_seen[ALL_RCPTS] = {0}, relay_seen[RELAYS] = {0};
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len = blob_varint(&p, end);
        ck_assert(p + len < end && p[len] == '\0');
        strings[i] = strndup((const char *)p, len);
        p += len + 1;
        int k;
        char tail[16];
        if (sscanf(strings[i], "r%d@x.exampl%15s", &k, tail) == 2 && strcmp(tail, "e") == 0 && k >= 0 && k < ALL_RCPTS)
            rcpt_seen[k]++;
        if (sscanf(strings[i], "mx.d%d.exampl%15s", &k, tail) == 2 && k >= 0 && k < RELAYS &&
            strncmp(tail, "e[192.0.2.1]", 12) == 0)
            relay_seen[k]++;
    }
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
    qsort(strings, n, sizeof *strings, cmp_strings);
    for (uint64_t i = 1; i < n; i++)
        ck_assert_msg(strcmp(strings[i - 1], strings[i]) != 0, "\"%s\" twice in the dictionary", strings[i]);
    for (int k = 0; k < ALL_RCPTS; k++)
        ck_assert_int_eq(rcpt_seen[k], 1);
    for (int k = 0; k < RELAYS; k++)
        ck_assert_int_eq(relay_seen[k], 1);
    for (uint64_t i = 0; i < n; i++)
        free(strings[i]);
    free(strings);
    cleanup_db(path);
}
END_TEST

/* The checkpoints of a writer thread run on a thread of their own: twelve
 * batches of 1,500 new rows each through store_flush_start, a checkpoint
 * asked past 20 pages of WAL: while the handle is still open the
 * checkpointer has copied pages into the database (the file grew; waited
 * for up to ten seconds, it runs beside the writer); every event is
 * counted once; the close leaves no WAL and a sound file.  With the
 * threshold at 0, SQLite's own checkpoints, none of the thread's, and the
 * same counts.  A checkpointer whose connection never found the WAL (its
 * checkpoints say SQLITE_OK and copy nothing) fails the first half. */
START_TEST(test_checkpointer)
{
    enum { BATCHES = 12, ROWS = 1500 };
    for (int pages = 20; pages >= 0; pages -= 20) {
        char *path = temp_db();
        char err[1024];
        mc_store *s = store_open(path, false, err, sizeof err);
        ck_assert_msg(s != NULL, "%s", err);
        store_set_checkpoint_pages(s, pages);
        struct stat before;
        ck_assert_int_eq(stat(path, &before), 0);
        mc_aggregate *agg[2] = {aggregate_new(), aggregate_new()};
        for (int b = 0; b < BATCHES; b++) {
            mc_aggregate *a = agg[b % 2];
            for (int i = 0; i < ROWS; i++) {
                char line[512];
                snprintf(line, sizeof line,
                         "Nov 23 10:%02d:%02d mx postfix/smtp[1]: A1: to=<b%d.r%d@x.example>, relay=mx.x.example"
                         "[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.x.example"
                         "[192.0.2.1] said: 550 5.1.1 No such user (in reply to RCPT TO command))",
                         b, i % 60, b, i);
                add_events(a, line, 1);
            }
            ck_assert_msg(store_flush_wait(s, NULL, err, sizeof err), "%s", err);
            store_flush_start(s, a, NULL, "x");
        }
        ck_assert_msg(store_flush_wait(s, NULL, err, sizeof err), "%s", err);
        if (pages > 0) {
            for (int waited = 0; store_checkpoints(s) == 0 && waited < 1000; waited++)
                usleep(10000);
            ck_assert_uint_gt(store_checkpoints(s), 0);
            struct stat now;
            ck_assert_int_eq(stat(path, &now), 0);
            ck_assert_int_gt(now.st_size, before.st_size);
        } else {
            ck_assert_uint_eq(store_checkpoints(s), 0);
        }
        mc_totals t;
        ck_assert(store_totals(s, NULL, NULL, &t, err, sizeof err));
        ck_assert_uint_eq(t.events, BATCHES * ROWS);
        store_close(s);
        aggregate_free(agg[0]);
        aggregate_free(agg[1]);
        char wal[4200];
        snprintf(wal, sizeof wal, "%s-wal", path);
        ck_assert_int_ne(access(wal, F_OK), 0);
        sqlite3 *db;
        ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        char *ok = dump(db, "PRAGMA integrity_check");
        ck_assert_str_eq(ok, "ok\n");
        free(ok);
        sqlite3_close(db);
        cleanup_db(path);
    }
}
END_TEST

/* The writer thread (store_flush_start): batch i is handed over while
 * batch i+1's failure events are packed.  Each batch is written whole,
 * in order, with its own failure events only (after the wait for batch i,
 * the database holds the events of batches 0..i, none of i+1's), its
 * position committed, its aggregate handed back cleared.  Then a batch
 * lost to another writer of the source: false, lost, the other's
 * position, and the failure events packed since its hand-off (the batch
 * being read, which ingest drops) are not written by the next flush. */
START_TEST(test_writer_batches)
{
    char *path = temp_db();
    char err[1024];
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_aggregate *agg[2] = {aggregate_new(), aggregate_new()};
    const char head[] = "Nov 23 10:00:00 mx postfix/smtp[1]: first line of a log\n";
    mc_source src;
    ck_assert(store_source_find(s, head, sizeof head - 1, &src, err, sizeof err));
    mc_buf want = {0}, written = {0};
    int at = 0;
    for (int i = 0; i < 6; i++) {
        mc_aggregate *a = agg[i % 2];
        for (int k = 0; k <= i; k++)
            add_failure(s, a, at++, &want);
        /* batch i-1 is in flight while batch i was packed */
        ck_assert_msg(store_flush_wait(s, &src, err, sizeof err), "%s", err);
        if (i > 0) {
            ck_assert_uint_eq(src.committed, 100 * (uint64_t)i);
            ck_assert_uint_eq(aggregate_size(agg[(i - 1) % 2]), 0);
            char *got = kept_recipients(s);
            mc_buf_addc(&written, '\0');
            ck_assert_str_eq(got, written.data);
            written.len--;
            free(got);
        }
        mc_buf_add(&written, want.data, want.len);
        mc_buf_reset(&want);
        src.offset = 100 * (uint64_t)(i + 1);
        store_flush_start(s, a, &src, "mail.log");
    }
    ck_assert_msg(store_flush_wait(s, &src, err, sizeof err), "%s", err);
    ck_assert_uint_eq(src.committed, 600);
    mc_totals t;
    ck_assert(store_totals(s, NULL, NULL, &t, err, sizeof err));
    ck_assert_uint_eq(t.events, 21);
    char *got = kept_recipients(s);
    mc_buf_addc(&written, '\0');
    ck_assert_str_eq(got, written.data);
    free(got);

    /* another ingest of the same file moves it on */
    mc_store *b = store_open(path, false, err, sizeof err);
    ck_assert_ptr_nonnull(b);
    mc_source sb;
    ck_assert(store_source_find(b, head, sizeof head - 1, &sb, err, sizeof err));
    ck_assert_uint_eq(sb.offset, 600);
    sb.offset = 1000;
    ck_assert(store_flush(b, agg[1], &sb, "mail.log", err, sizeof err));
    store_close(b);
    add_failure(s, agg[0], at++, &want);
    src.offset = 700;
    store_flush_start(s, agg[0], &src, "mail.log");
    add_failure(s, agg[1], at++, &want); /* the batch being read */
    ck_assert(!store_flush_wait(s, &src, err, sizeof err));
    ck_assert(src.lost);
    ck_assert_uint_eq(src.committed, 1000);
    ck_assert_uint_eq(aggregate_size(agg[0]), 0);
    aggregate_clear(agg[1]);
    src.lost = false;
    src.offset = 1000;
    ck_assert_msg(store_flush(s, agg[1], &src, "mail.log", err, sizeof err), "%s", err);
    got = kept_recipients(s);
    ck_assert_str_eq(got, written.data);
    ck_assert(store_totals(s, NULL, NULL, &t, err, sizeof err));
    ck_assert_uint_eq(t.events, 21);
    free(got);
    mc_buf_free(&want), mc_buf_free(&written);
    store_close(s);
    aggregate_free(agg[0]), aggregate_free(agg[1]);
    cleanup_db(path);
}
END_TEST

/* The memo of the failures' hour buckets (timewin_bucket_of) gives what
 * formatting each time gives: a new hour, and for a zoned time a new
 * minute or zone, is formatted again (in a +05:30 zone, 12:29Z and 12:30Z
 * fall in different local hours); an invalid time has no bucket. */
START_TEST(test_bucket_memo)
{
    const char *tz = getenv("TZ");
    char *saved = tz ? strdup(tz) : NULL;
    setenv("TZ", "IST-5:30", 1);
    tzset();
    static const struct {
        mc_time t;
        const char *bucket;
    } cases[] = {
        {{2026, 11, 23, 12, 59, 59, -1, "", true}, "2026-11-23T12"},
        {{2026, 11, 23, 12, 30, 0, -1, "", true}, "2026-11-23T12"},
        {{2026, 11, 23, 13, 0, 0, -1, "", true}, "2026-11-23T13"},
        {{2026, 11, 23, 12, 29, 0, 5, "Z", true}, "2026-11-23T17"},
        {{2026, 11, 23, 12, 30, 0, 5, "Z", true}, "2026-11-23T18"},
        {{2026, 11, 23, 12, 30, 0, 5, "+01:00", true}, "2026-11-23T17"},
        {{2026, 11, 23, 17, 0, 0, -1, "", true}, "2026-11-23T17"},
        {{0, 0, 0, 0, 0, 0, -1, "", false}, ""},
        {{2026, 11, 23, 17, 0, 0, -1, "", true}, "2026-11-23T17"},
    };
    mc_bucket_memo memo;
    memset(&memo, 0, sizeof memo);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[48], direct[48];
        timewin_bucket_of(&memo, &cases[i].t, got, sizeof got);
        (cases[i].t.zone[0] ? timewin_local_bucket : timewin_bucket)(&cases[i].t, direct, sizeof direct);
        ck_assert_msg(strcmp(got, cases[i].bucket) == 0, "case %zu: %s, want %s", i, got, cases[i].bucket);
        ck_assert_str_eq(got, direct);
    }
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    free(saved);
    tzset();
}
END_TEST

/* Every row of the delays table of path, in key order, each as its key
 * and the histogram decoded (counts, sums, max); false at the end. */
typedef struct {
    char key[512];
    mc_delay_hist h;
} delay_row;

static size_t read_delay_rows(const char *path, delay_row *rows, size_t cap)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db,
                                        "SELECT hour || '|' || mta || '|' || host || '|' || direction || '|' ||"
                                        " status || '|' || class || '|' || domain || '|' || relay, hist FROM delays"
                                        " ORDER BY 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        ck_assert_uint_lt(n, cap);
        snprintf(rows[n].key, sizeof rows[n].key, "%s", (const char *)sqlite3_column_text(st, 0));
        delay_hist_clear(&rows[n].h);
        ck_assert_msg(delay_hist_add_blob(&rows[n].h, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1)),
                      "not a histogram: %s", rows[n].key);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* The delay histograms of a log ingested in nine growing steps (each a
 * batch added to the rows the ones before stored, the store summing a
 * group's cells) are those of one ingest of the whole log (which the
 * delay tests check against the raw log): the same groups, the same count
 * and maximum in every bucket, the same sums up to rounding.  Then a
 * stored histogram out of bucket order is refused, not merged. */
START_TEST(test_delays_across_batches)
{
    char *whole = temp_db(), *steps = temp_db();
    const char *log = MC_DATA_DIR "/postfix/mta-run/maillog";
    ck_assert_int_eq(test_runf(NULL, "%s ingest --quiet --db %s %s", MC_BINARY, whole, log), 0);
    for (int k = 1; k <= 9; k++)
        ck_assert_int_eq(test_runf(NULL, "n=$(wc -l < %s); head -n $((n * %d / 9)) %s > %s.log && %s ingest --quiet"
                                         " --db %s %s.log",
                                   log, k, log, steps, MC_BINARY, steps, steps),
                         0);
    static delay_row a[2048], b[2048];
    size_t na = read_delay_rows(whole, a, 2048), nb = read_delay_rows(steps, b, 2048);
    ck_assert_uint_gt(na, 50);
    ck_assert_uint_eq(nb, na);
    for (size_t i = 0; i < na; i++) {
        ck_assert_str_eq(b[i].key, a[i].key);
        ck_assert_uint_eq(b[i].h.n, a[i].h.n);
        ck_assert_msg(b[i].h.max == a[i].h.max, "%s: max %g, whole %g", a[i].key, b[i].h.max, a[i].h.max);
        for (int q = 0; q < MC_DELAY_BUCKETS; q++) {
            ck_assert_uint_eq(b[i].h.counts[q], a[i].h.counts[q]);
            ck_assert_msg(fabs(b[i].h.sums[q] - a[i].h.sums[q]) <= 1e-9 * a[i].h.sums[q], "%s: bucket %d", a[i].key,
                          q);
        }
        for (int p = 0; p < MC_DELAY_PARTS; p++)
            for (int q = 0; q < MC_DELAY_BUCKETS; q++)
                ck_assert_uint_eq(b[i].h.parts[p].counts[q], a[i].h.parts[p].counts[q]);
    }
    /* Two cells swapped: out of bucket order, so not a stored histogram. */
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(steps, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "UPDATE delays SET hist = CAST(substr(hist, 27, 26) || substr(hist, 1, 26) ||"
                                  " substr(hist, 53) AS BLOB) WHERE length(hist) >= 52",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_gt(sqlite3_changes(db), 0);
    sqlite3_close(db);
    char *out = NULL;
    /* A line ahead: another file, read from its start, its delays merged. */
    ck_assert_int_eq(test_runf(&out, "(echo another file; cat %s) > %s.all && %s ingest --quiet --db %s %s.all 2>&1",
                               log, steps, MC_BINARY, steps, steps),
                     3);
    test_expect_has(out, "corrupt histogram");
    free(out);
    cleanup_db(whole);
    cleanup_db(steps);
}
END_TEST

/* The aggregate packs a tuple's values into one key: values that shift
 * bytes between dimensions, or hold a NUL, must stay tuples of their own;
 * equal tuples must meet again, across the index's growth. */
START_TEST(test_aggregate_packed_keys)
{
    mc_event ev;
    ck_assert_int_eq(test_parse(L550, &ev), PARSE_EVENT);
    mc_aggregate *a = aggregate_new();
    /* Relay and client: ("ab", "c") and ("a", "bc"); "a\0" + "bc" packs
     * like "a" + "\0bc" would without the lengths. */
    static const struct {
        const char *relay, *client;
        size_t relay_n, client_n;
    } pairs[] = {{"ab", "c", 2, 1}, {"a", "bc", 1, 2}, {"a\0", "bc", 2, 2}, {"a", "\0bc", 1, 3}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        ev.relay = mc_str_make(pairs[i].relay, pairs[i].relay_n);
        ev.client = mc_str_make(pairs[i].client, pairs[i].client_n);
        aggregate_add(a, &ev);
    }
    ck_assert_uint_eq(aggregate_size(a), 4);
    /* 5000 distinct recipients (the index grows past 4096 slots), each
     * counted three times, in three passes. */
    char rcpt[5000][32];
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < 5000; i++) {
            snprintf(rcpt[i], sizeof rcpt[i], "u%d@x.example", i);
            ev.recipient = mc_str_cstr(rcpt[i]);
            aggregate_add(a, &ev);
        }
    ck_assert_uint_eq(aggregate_size(a), 5004);
    for (size_t i = 4; i < 5004; i++) {
        const mc_agg_entry *e = aggregate_entry(a, i);
        ck_assert_uint_eq(e->count, 3);
        char want[32];
        snprintf(want, sizeof want, "u%zu@x.example", i - 4);
        ck_assert_str_eq(e->dims[DIM_RECIPIENT], want);
        ck_assert_str_eq(e->dims[DIM_CODE], "550");
    }
    ck_assert_str_eq(aggregate_entry(a, 0)->dims[DIM_RELAY], "ab");
    ck_assert_str_eq(aggregate_entry(a, 1)->dims[DIM_CLIENT], "bc");
    aggregate_free(a);
}
END_TEST

/* Only the kept dimensions are looked up and packed: keeping one
 * dimension (and class, always kept) must give the value the full tuple
 * has in that dimension and "" in every other, and events that differ
 * only in a dimension not kept are one tuple. */
START_TEST(test_aggregate_kept_dims)
{
    mc_event ev;
    ck_assert_int_eq(test_parse(L550, &ev), PARSE_EVENT);
    ev.sender = mc_str_cstr("s@y.example");
    ev.client = mc_str_cstr("mail.example[192.0.2.1]:25");
    mc_aggregate *all = aggregate_new();
    aggregate_add(all, &ev);
    const mc_agg_entry *full = aggregate_entry(all, 0);
    ck_assert_str_eq(full->dims[DIM_CODE], "550");
    ck_assert_str_eq(full->dims[DIM_SENDER], "s@y.example");
    ck_assert_str_eq(full->dims[DIM_CLIENT], "mail.example[192.0.2.1]"); /* the port dropped */
    for (int d = 0; d < DIM_COUNT; d++) {
        mc_aggregate *one = aggregate_new();
        aggregate_keep_dims(one, 1u << d);
        aggregate_add(one, &ev);
        const mc_agg_entry *e = aggregate_entry(one, 0);
        for (int o = 0; o < DIM_COUNT; o++)
            ck_assert_msg(strcmp(e->dims[o], o == d || o == DIM_CLASS ? full->dims[o] : "") == 0,
                          "kept %d: dimension %d is '%s'", d, o, e->dims[o]);
        aggregate_free(one);
    }
    mc_aggregate *by_code = aggregate_new();
    aggregate_keep_dims(by_code, 1u << DIM_CODE);
    static const char *const relays[] = {"a.example", "b.example", NULL};
    for (size_t i = 0; i < sizeof relays / sizeof relays[0]; i++) {
        ev.relay = relays[i] ? mc_str_cstr(relays[i]) : MC_STR_NULL;
        aggregate_add(by_code, &ev);
    }
    ck_assert_uint_eq(aggregate_size(by_code), 1);
    ck_assert_uint_eq(aggregate_entry(by_code, 0)->count, 3);
    ck_assert_uint_eq(aggregate_entry(by_code, 0)->lens[DIM_RELAY], 0);
    aggregate_free(by_code);
    aggregate_free(all);
}
END_TEST

/* A report's rows as text, one line a row: its values, class, count and
 * (times) first, last and sample; for grouped_rows' comparisons. */
static bool serialise_row(const mc_row *row, void *ctx)
{
    mc_buf *b = ctx;
    for (size_t i = 0; i < 4 && row->values[i]; i++)
        mc_buf_printf(b, "%s|", row->values[i]);
    mc_buf_printf(b, "%s|%llu|%s|%s|%s\n", row->klass ? row->klass : "(null)", (unsigned long long)row->count,
                  row->first_seen ? row->first_seen : "-", row->last_seen ? row->last_seen : "-",
                  row->sample ? row->sample : "-");
    return true;
}

/* store_rows and store_tuple_rows group a window's rows in memory while
 * their groups are few (group_in_memory) and by SQL's GROUP BY past that:
 * both must give SQL's answer, rows, sums, times, samples and order.  A
 * database of 3,000 rows made through the view (its trigger shares a
 * tuple across hours and recipients) with values whose orders differ by
 * bytes, case, length, a byte over 0x7f and ties of counts; every key
 * alone and in pairs, with and without failures first, a filter, windows
 * and a limit; the store's answers with the default memory, with none
 * (SQL) and with 2 KiB (the groups pass it midway: SQL again), the same.
 * The class totals, the distinct senders and recipients of the sent rows
 * and the events of each window (the hour's range: open, since, until,
 * both; rows without a time only in the whole) are counted here as the
 * rows are made. */
START_TEST(test_grouped_rows)
{
    char *path = temp_db();
    char err[1024];
    mc_store *s = store_open(path, false, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    store_close(s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    static const char *const dirs[] = {"outbound", "inbound", "local"};
    static const char *const statuses[] = {"sent", "deferred", "bounced", "rejected"};
    static const char *const classes[] = {"success", "transient", "permanent", "unknown", "intermediate"};
    static const char *const domains[] = {"a.example", "ab.example", "B.example", "\xc3\xa9.example", "", "a.exampl"};
    static const char *const senders[] = {"", "x@a.example", "X@a.example", "y@ab.example"};
    static const char *const samples[] = {"", "550 no", "550 no such user", "451 later", "\xc3\xa9t\xc3\xa9"};
    sqlite3_stmt *ins;
    ck_assert_int_eq(sqlite3_prepare_v2(db,
                                        "INSERT INTO counts (hour, mta, host, direction, status, stage, code, enhanced,"
                                        " class, reason, domain, relay, client, conflict, hard, inferred, sender,"
                                        " sender_domain, recipient, count, first_seen, last_seen, sample)"
                                        " VALUES (?1, 'postfix', 'mx', ?2, ?3, '', ?4, '', ?5, ?6, ?7, ?8, ?9, 0, ?10,"
                                        " 0, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                                        -1, &ins, NULL),
                     SQLITE_OK);
    /* the windows: the whole, since, until, both */
    const mc_window windows[] = {{.since = "", .until = ""},
                                 {.since = "2026-11-21T05", .until = ""},
                                 {.since = "", .until = "2026-11-21T10"},
                                 {.since = "2026-11-20T00", .until = "2026-11-21T00"}};
#define N_WINDOWS (sizeof windows / sizeof windows[0])
    uint64_t by_class[5] = {0}, hard = 0, in_window[N_WINDOWS] = {0};
    char sent_senders[64][32], sent_rcpts[4096][32];
    size_t n_senders = 0, n_rcpts = 0;
    uint32_t r = 12345;
    ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    for (int i = 0; i < 3000; i++) {
        char hour[32], rcpt[32], first[64], last[64], code[16], relay[16], client[16];
        r = r * 1103515245u + 12345u;
        int day = 20 + (int)(r >> 8) % 3, h = (int)(r >> 12) % 24;
        snprintf(hour, sizeof hour, "2026-11-%02dT%02d", day, h);
        if (i % 50 == 7) /* an event without a time: in no window but the whole */
            hour[0] = '\0';
        /* a tuple's values drawn from few choices (576 tuples), so that rows share them */
        int si = (int)(r >> 18) % 4, ci = (si + (int)(r >> 20) % 2) % 5, di = (int)(r >> 23) % 6;
        const char *dir = dirs[(r >> 16) % 3], *st = statuses[si], *cl = classes[ci];
        const char *dom = domains[di], *snd = senders[(r >> 26) % 4];
        snprintf(rcpt, sizeof rcpt, "%c%d@%s", "abAB"[(r >> 5) % 4], (int)(r >> 10) % 900, dom);
        snprintf(code, sizeof code, "%d", 250 + 100 * si);
        snprintf(relay, sizeof relay, "r%d", di % 4);
        snprintf(client, sizeof client, "c%d", ci % 3);
        snprintf(first, sizeof first, "%s:%02d:%02d", hour, (int)(r >> 3) % 60, (int)(r >> 7) % 30);
        snprintf(last, sizeof last, "%s:%02d:%02d", hour, (int)(r >> 3) % 60, 30 + (int)(r >> 7) % 30);
        int count = 1 + (int)(r >> 24) % 3, is_hard = ci == 2;
        sqlite3_reset(ins);
        const char *text[] = {hour, dir, st, code, cl, ci == 1 ? "mailbox-full" : "", dom, relay, client};
        for (int k = 0; k < 9; k++)
            sqlite3_bind_text(ins, k + 1, text[k], -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 10, is_hard);
        sqlite3_bind_text(ins, 11, snd, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 12, snd[0] ? strchr(snd, '@') + 1 : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 13, rcpt, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 14, count);
        sqlite3_bind_text(ins, 15, first, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 16, last, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 17, samples[(r >> 21) % 5], -1, SQLITE_TRANSIENT);
        ck_assert_int_eq(sqlite3_step(ins), SQLITE_DONE);
        mc_class c;
        ck_assert(mc_class_from_string(cl, &c));
        by_class[c] += (uint64_t)count;
        for (size_t wi = 0; wi < N_WINDOWS; wi++)
            if ((!windows[wi].since[0] && !windows[wi].until[0]) ||
                (hour[0] && strcmp(hour, windows[wi].since) >= 0 &&
                 (!windows[wi].until[0] || strcmp(hour, windows[wi].until) < 0)))
                in_window[wi] += (uint64_t)count;
        hard += (uint64_t)(count * is_hard);
        if (strcmp(st, "sent") == 0 && strcmp(dir, "inbound") != 0) { /* distinct, as a set */
            size_t j = 0;
            while (j < n_rcpts && strcmp(sent_rcpts[j], rcpt) != 0)
                j++;
            if (j == n_rcpts)
                snprintf(sent_rcpts[n_rcpts++], sizeof sent_rcpts[0], "%s", rcpt);
            for (j = 0; j < n_senders && strcmp(sent_senders[j], snd) != 0; j++)
                ;
            if (j == n_senders && snd[0]) /* '' is no sender */
                snprintf(sent_senders[n_senders++], sizeof sent_senders[0], "%s", snd);
        }
    }
    ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_finalize(ins);
    char *out = NULL;
    sqlite3_close(db);
    /* rows that share a tuple across hours and recipients: fewer tuples than rows */
    ck_assert_int_eq(test_runf(&out, "sqlite3 %s \"SELECT (SELECT count(*) FROM count_rows) > 2 *"
                                     " (SELECT count(*) FROM tuples)\"", path), 0);
    ck_assert_str_eq(out, "1\n");
    free(out);

    s = store_open(path, true, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    mc_totals t;
    ck_assert_msg(store_totals(s, NULL, NULL, &t, err, sizeof err), "%s", err);
    for (int c = 0; c < 5; c++)
        ck_assert_uint_eq(t.by_class[c], by_class[c]);
    ck_assert_uint_eq(t.hard, hard);
    ck_assert_uint_eq(t.recipients, n_rcpts);
    ck_assert_uint_eq(t.senders, n_senders);
    ck_assert(t.senders_known && t.recipients_known && n_rcpts > 300);
    /* each window's events, counted here: the hour's range misses none */
    for (size_t wi = 0; wi < N_WINDOWS; wi++) {
        ck_assert_msg(store_totals(s, &windows[wi], NULL, &t, err, sizeof err), "%s", err);
        ck_assert_uint_eq(t.events, in_window[wi]);
        ck_assert(in_window[wi] > 0 && (wi == 0 || in_window[wi] < in_window[0]));
    }

    static const char *const keys[] = {"domain", "status", "class", "recipient", "sender", "direction",
                                       "section", "code", "reason", "relay", "client", "hour", "day", "sender_domain"};
    const size_t n_keys = sizeof keys / sizeof keys[0];
    const mc_filter filters[] = {{0},
                                 {.problems_first = true},
                                 {.problems_only = true},
                                 {.keys = {"section"}, .values = {"inbound"}, .n = 1}};
    static const size_t caps[] = {0, 2048};
    int in_memory = 0, runs = 0;
    for (size_t a = 0; a < n_keys; a++) {
        for (size_t b = a; b < n_keys; b += 5) { /* every key alone, and pairs */
            const char *ks[2] = {keys[a], keys[b]};
            size_t nk = a == b ? 1 : 2;
            for (size_t wi = 0; wi < N_WINDOWS; wi++) {
                for (size_t fi = 0; fi < 4; fi++) {
                    size_t limit = (a + fi) % 3 == 0 ? 3 : 0;
                    mc_buf want, got;
                    mc_buf_init(&want);
                    store_set_group_bytes(s, 0);
                    ck_assert_msg(store_rows(s, &windows[wi], ks, nk, &filters[fi], limit, serialise_row, &want,
                                             err, sizeof err), "%s", err);
                    for (size_t ci = 0; ci <= 2; ci++) {
                        mc_buf_init(&got);
                        store_set_group_bytes(s, ci < 2 ? caps[ci] : (size_t)16 << 20);
                        if (ci == 2)
                            in_memory += want.len > 0;
                        ck_assert_msg(store_rows(s, &windows[wi], ks, nk, &filters[fi], limit, serialise_row, &got,
                                                 err, sizeof err), "%s", err);
                        ck_assert_msg(got.len == want.len && memcmp(got.data, want.data, want.len) == 0,
                                      "--by %s,%s window %zu filter %zu cap %zu:\nSQL:\n%.1500s\nmemory:\n%.1500s", ks[0],
                                      ks[nk - 1], wi, fi, ci, want.data ? want.data : "", got.data ? got.data : "");
                        mc_buf_free(&got);
                    }
                    runs++;
                    mc_buf_free(&want);
                }
                /* the failures' rows by tuple columns (no hour, no recipient, no
                 * expression like direction's) */
                if (strcmp(ks[0], "direction") == 0 || strcmp(ks[nk - 1], "direction") == 0 ||
                    strcmp(ks[0], "recipient") == 0 || strcmp(ks[nk - 1], "recipient") == 0 ||
                    strcmp(ks[0], "hour") == 0 || strcmp(ks[nk - 1], "hour") == 0 || strcmp(ks[0], "day") == 0 ||
                    strcmp(ks[nk - 1], "day") == 0)
                    continue;
                mc_buf want, got;
                mc_buf_init(&want);
                mc_buf_init(&got);
                store_set_group_bytes(s, 0);
                ck_assert_msg(store_tuple_rows(s, &windows[wi], ks, nk, serialise_row, &want, err, sizeof err), "%s",
                              err);
                store_set_group_bytes(s, (size_t)16 << 20);
                ck_assert_msg(store_tuple_rows(s, &windows[wi], ks, nk, serialise_row, &got, err, sizeof err), "%s",
                              err);
                ck_assert_msg(got.len == want.len && memcmp(got.data, want.data, want.len) == 0,
                              "tuple rows by %s,%s window %zu:\nSQL:\n%.1500s\nmemory:\n%.1500s", ks[0], ks[nk - 1], wi,
                              want.data ? want.data : "", got.data ? got.data : "");
                ck_assert(want.len > 0);
                mc_buf_free(&want);
                mc_buf_free(&got);
            }
        }
    }
    ck_assert_int_gt(runs, 100);
    ck_assert_int_gt(in_memory, 100);
    /* the memory path ran where it could: a 2 KiB cap, no more, sent the large groupings to SQL */
    ck_assert_uint_gt(store_groups_in_memory(s), (size_t)in_memory / 2);
    store_close(s);
    cleanup_db(path);
#undef N_WINDOWS
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_batch_write_order);
    tcase_add_test(tc, test_bound_values);
    tcase_add_test(tc, test_bucket_memo);
    tcase_add_test(tc, test_aggregate_packed_keys);
    tcase_add_test(tc, test_aggregate_kept_dims);
    tcase_add_test(tc, test_source_positions);
    tcase_add_test(tc, test_refuses_bad_databases);
    tcase_add_test(tc, test_upgrade_from_schema_1);
    tcase_add_test(tc, test_upgrade_from_schema_4);
    tcase_add_test(tc, test_upgrade_from_schema_5);
    tcase_add_test(tc, test_page_size);
    /* many report runs, slow under a sanitizer */
    TCase *slow = tcase_create("answers");
    tcase_set_timeout(slow, 600);
    tcase_add_test(slow, test_db_answers_as_file);
    tcase_add_test(slow, test_delays_across_batches);
    tcase_add_test(tc, test_source_compare_and_set);
    tcase_add_test(tc, test_writer_batches);
    tcase_add_test(tc, test_failure_dictionary);
    tcase_add_test(tc, test_checkpointer);
    tcase_add_test(tc, test_tuple_ids_by_hour);
    tcase_add_test(tc, test_tuple_taken_id);
    tcase_add_test(tc, test_tuple_id_hash);
    tcase_add_test(tc, test_fast_hash_plain);
    tcase_add_test(tc, test_time_format_memo);
    tcase_add_test(tc, test_count_rows_grouped);
    tcase_add_test(tc, test_tuple_cache_grows);
    tcase_add_test(tc, test_tuple_group_collision);
    tcase_add_test(tc, test_grouped_rows);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, slow);
    return s;
}

MC_TEST_MAIN(store_suite)
