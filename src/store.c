/*
 * store.c - SQLite persistence of counts, line totals and source positions.
 *
 * Every statement is prepared with bound parameters; the only SQL built at
 * run time is the GROUP BY list of a report, assembled from the fixed
 * column names of key_columns[] below, never from user text.  A database
 * written by a newer schema is refused rather than misread; so is another
 * program's database (its application id), a path through a symbolic link,
 * and a file of another user in a world-writable directory, before
 * anything is written to them.
 */
#include "store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* PRAGMA application_id of a mailcodes database: "MCOD" in ASCII
 * (0x4D434F44), not among the ids SQLite's magic.txt lists.  Databases of
 * schema 1 and 2 written before it have 0 and get it on their next ingest. */
#define MC_APPLICATION_ID 0x4D434F44

#include "bykeys.h"
#include "delays.h"

/* The page size of a new database (an existing one keeps its own: the
 * pragma does nothing once the file has pages).  16 KiB, not SQLite's 4:
 * a batch appends rows, and every page it fills goes to the WAL and again
 * to the database at the checkpoint, each write a system call and a frame
 * header; a delay histogram (a blob of up to a few KiB) fits a 16 KiB
 * page where it spilled into an overflow page at 4 KiB, leaving most of
 * that page empty.  A 200 MB Postfix ingest: 117 -> 104 MB of database,
 * 4-13% less CPU, a third less system time (docs/BENCHMARKS.md,
 * ingest6).  32 and 64 KiB were no better. */
#define MC_PAGE_SIZE "16384"

/* The tuple cache: the text of a tuple (its values, each ended by a NUL)
 * to its id in tuples, for the tuples this handle has written or read, so
 * that a repeated tuple costs no lookup.  It holds the whole text and
 * compares it, so it can only save work, never change an answer; bounded
 * (cleared when full), and cleared when a transaction is rolled back (the
 * tuples it wrote are gone). */
/* Pages in the WAL after a commit past which a checkpoint copies them into
 * the database: SQLite's own default for its automatic checkpoints. */
#define CHECKPOINT_PAGES 1000

/* The bytes of a report's groups held in memory before its query runs as
 * SQL's GROUP BY instead (group_in_memory). */
#define GROUP_BYTES_DEFAULT ((size_t)16 * 1024 * 1024)

#define TUPLE_CACHE_SLOTS 65536u            /* a power of two; at most half used */
/* The slots the cache starts with, growing fourfold while half used up to
 * TUPLE_CACHE_SLOTS: a report from files writes a few thousand tuples, and
 * 2 MiB of slots hashed at random touched nearly every page of them (some
 * 500 page faults in its last flush, and as many pages unmapped at its
 * close, on the path to the report; docs/BENCHMARKS.md, end23). */
#define TUPLE_CACHE_FIRST_SLOTS 4096u
#define TUPLE_CACHE_BYTES (8u * 1024 * 1024) /* of tuple text */

typedef struct {
    uint64_t hash;
    int64_t id; /* 0: empty */
    size_t off, len; /* the text in tuple_text */
} tuple_slot;

struct failure_block; /* the failure events of a batch being packed (below) */

/* The failure blocks of one batch in the order they were filled (the last
 * is being filled); blocks past n keep their memory for the next batch. */
typedef struct {
    struct failure_block **v;
    size_t n, cap;
} failure_list;

struct store_writer; /* the writer thread (below) */
struct store_checkpointer; /* the checkpointer thread (below) */

/* A value bound to a parameter during a flush (SQLITE_STATIC: the bytes
 * are the aggregate's, which stay put until the flush ends), so that a row
 * whose value is the same as the last row's skips the binding (some 190
 * instructions in SQLite).  Forgotten when a flush begins, and before each
 * row an upgrade copies (bound_forget). */
typedef struct {
    const char *p; /* NULL: nothing bound in this flush */
    size_t n;
} bound_value;

/* A new count row of a batch held for the next group insert (see
 * write_count_grouped): its values point into the batch's aggregate, its
 * times are formatted here. */
#define COUNT_GROUP 16
struct count_pending {
    const char *hour, *recipient, *sample;
    int64_t tuple;
    uint64_t count;
    char first[48], last[48];
};

struct mc_store {
    sqlite3 *db;
    const volatile sig_atomic_t *stop; /* the caller's stop request (store_set_stop), or NULL */
    bool read_only;
    bool in_txn;        /* a batch's transaction is open */
    sqlite3_stmt *upsert_count;
    sqlite3_stmt *find_tuple, *insert_tuple; /* prepared when first used */
    bound_value tuple_bound[DIM_COUNT]; /* insert_tuple's values, by dimension (bound_forget) */
    bound_value hour_bound;              /* upsert_count's hour */
    sqlite3_stmt *insert_counts;         /* COUNT_GROUP new rows at once; prepared when first used */
    struct count_pending *pending;       /* new count rows waiting for insert_counts (flush_batch) */
    size_t n_pending;
    bound_value group_hour[COUNT_GROUP]; /* insert_counts' hours (bound_forget) */
    char hour_text[48];  /* the last hour text tuple_hour_of read ... */
    int64_t hour_number; /* ... and its number (a batch's rows share a few hours) */
    tuple_slot *tuple_slots;
    size_t n_slots; /* of tuple_slots: a power of two, up to TUPLE_CACHE_SLOTS */
    size_t n_tuples;
    mc_buf tuple_text, key;
    struct write_order *order;     /* a batch's count rows in the order they are written */
    struct write_order *order_tmp; /* the sort's room */
    size_t order_cap;
    sqlite3_stmt *insert_failure, *prune_failures; /* prepared when first used */
    /* Failure events: fill is the caller's (store_failure_add packs into
     * it while a batch is read), out the batch being written (handed over
     * whole when its flush begins, written in its transaction). */
    failure_list fill, out;
    struct store_writer *writer; /* NULL until store_flush_start */
    struct store_checkpointer *ckpt; /* NULL but while the writer thread runs on a file */
    int ckpt_pages; /* of WAL after a commit that ask the checkpointer for a checkpoint */
    int64_t retention;  /* seconds of log time failures are kept (0: none kept) */
    bool failures_added; /* in this transaction */
    int64_t newest_at;  /* the newest log time of a failure written by this handle */
    mc_bucket_memo failure_hour; /* the hour bucket of the last failure event */
    mc_time failure_time; /* the log time of the last failure event ... */
    char failure_when[64]; /* ... as formatted (a failure and its neighbours share a second) */
    mc_time_memo row_time; /* the writer's: its count rows' times (flush_batch) */
    sqlite3_stmt *upsert_lines;
    sqlite3_stmt *upsert_shape;
    sqlite3_stmt *upsert_delay, *find_delay;
    sqlite3_stmt *put_message, *delete_message; /* prepared when first used */
    sqlite3_stmt *upsert_warning, *upsert_other_warning; /* prepared when first used */
    mc_flush_hook flush_hook;
    void *flush_ctx;
    size_t group_bytes; /* of a report's groups in memory (group_in_memory); 0: SQL's GROUP BY */
    size_t grouped;     /* queries group_in_memory answered */
};


/* The counts table; {T} is its name (counts, or counts_v3 while an older
 * one is copied over). */
#define COUNTS_TABLE(T)                                                                              \
    "CREATE TABLE IF NOT EXISTS " T " ("                                                             \
    " hour TEXT NOT NULL, mta TEXT NOT NULL, host TEXT NOT NULL, direction TEXT NOT NULL,"           \
    " status TEXT NOT NULL, stage TEXT NOT NULL, code TEXT NOT NULL, enhanced TEXT NOT NULL,"        \
    " class TEXT NOT NULL, reason TEXT NOT NULL, domain TEXT NOT NULL, relay TEXT NOT NULL,"         \
    " client TEXT NOT NULL, conflict INTEGER NOT NULL, hard INTEGER NOT NULL,"                       \
    " inferred INTEGER NOT NULL, sender TEXT NOT NULL DEFAULT '',"                                   \
    " sender_domain TEXT NOT NULL DEFAULT '', recipient TEXT NOT NULL DEFAULT '',"                   \
    " count INTEGER NOT NULL,"                                                                       \
    " first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, sample TEXT NOT NULL,"                      \
    " PRIMARY KEY (hour, mta, host, direction, status, stage, code, enhanced, class, reason,"        \
    "  domain, relay, client, conflict, hard, inferred, sender, sender_domain, recipient))"          \
    " WITHOUT ROWID;"

/* The per-message figures of line_counts, in mc_msg_figures order. */
#define MSG_COLUMNS                                                                                  \
    "msg_received, msg_generated, msg_delivered, msg_deferred, msg_bounced, msg_expired,"            \
    " msg_rejected, msg_evicted, bytes_received, bytes_delivered"
#define N_MSG_COLUMNS 10

/* The trigger's test that a tuples row is the inserted row's tuple. */
#define TUPLE_MATCH_NEW                                                                              \
    "mta = NEW.mta AND host = NEW.host AND direction = NEW.direction AND status = NEW.status"        \
    " AND stage = NEW.stage AND code = NEW.code AND enhanced = NEW.enhanced AND class = NEW.class"   \
    " AND reason = NEW.reason AND domain = NEW.domain AND relay = NEW.relay AND client = NEW.client" \
    " AND conflict = NEW.conflict AND hard = NEW.hard AND inferred = NEW.inferred"                   \
    " AND sender = coalesce(NEW.sender, '') AND sender_domain = coalesce(NEW.sender_domain, '')"

/* The columns of a tuple: every dimension of a count but its hour and its
 * recipient, in mc_dim order from DIM_MTA on (aggregate.h); the recipient
 * is the last dimension and a column of count_rows. */
#define TUPLE_COLUMNS                                                                                \
    "mta, host, direction, status, stage, code, enhanced, class, reason, domain, relay, client,"     \
    " conflict, hard, inferred, sender, sender_domain"
#define TUPLE_END DIM_RECIPIENT /* the dimensions of a tuple: DIM_MTA up to here */
_Static_assert(DIM_RECIPIENT == DIM_COUNT - 1, "the recipient is the last dimension");
/* Every dimension but the hour, as the view counts names them. */
#define DIM_COLUMNS TUPLE_COLUMNS ", recipient"

/* Schema 6: the counts keyed narrowly.  A tuple (every dimension but the
 * hour and the recipient) is stored once in tuples, under an id derived
 * from its hash (see tuple_id); count_rows holds per hour, tuple and
 * recipient the count, the times and the sample.  Nearly every delivery
 * has a recipient of its own: in the tuple (schema 5) it made every event
 * a new tuple, two writes; beside it, a batch's deliveries share a few
 * hundred cached tuples and cost one write each.  The view counts joins
 * them back into the shape of schema 4, which every query reads, so
 * reports are the same byte for byte.  A new per-count figure (a delay
 * histogram, say) is a column of count_rows, its upsert in store_open and
 * the view's select list. */
#define COUNTS_SCHEMA                                                                                \
    "CREATE TABLE IF NOT EXISTS tuples ("                                                            \
    " id INTEGER PRIMARY KEY, mta TEXT NOT NULL, host TEXT NOT NULL, direction TEXT NOT NULL,"       \
    " status TEXT NOT NULL, stage TEXT NOT NULL, code TEXT NOT NULL, enhanced TEXT NOT NULL,"        \
    " class TEXT NOT NULL, reason TEXT NOT NULL, domain TEXT NOT NULL, relay TEXT NOT NULL,"         \
    " client TEXT NOT NULL, conflict INTEGER NOT NULL, hard INTEGER NOT NULL,"                       \
    " inferred INTEGER NOT NULL, sender TEXT NOT NULL, sender_domain TEXT NOT NULL);"                \
    "CREATE TABLE IF NOT EXISTS count_rows ("                                                        \
    " hour TEXT NOT NULL, tuple INTEGER NOT NULL, recipient TEXT NOT NULL, count INTEGER NOT NULL,"  \
    " first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, sample TEXT NOT NULL,"                      \
    " PRIMARY KEY (hour, tuple, recipient)) WITHOUT ROWID;"

static const char schema_sql[] =
    COUNTS_SCHEMA
    "CREATE VIEW IF NOT EXISTS counts AS SELECT c.hour AS hour, t.mta AS mta, t.host AS host,"
    " t.direction AS direction, t.status AS status, t.stage AS stage, t.code AS code,"
    " t.enhanced AS enhanced, t.class AS class, t.reason AS reason, t.domain AS domain,"
    " t.relay AS relay, t.client AS client, t.conflict AS conflict, t.hard AS hard,"
    " t.inferred AS inferred, t.sender AS sender, t.sender_domain AS sender_domain,"
    " c.recipient AS recipient, c.count AS count, c.first_seen AS first_seen,"
    " c.last_seen AS last_seen, c.sample AS sample FROM count_rows c JOIN tuples t ON t.id = c.tuple;"
    /* A row written into the view by hand (a test, a repair) lands in the
     * tables; its tuple takes the next free id. */
    "CREATE TRIGGER IF NOT EXISTS counts_insert INSTEAD OF INSERT ON counts BEGIN"
    " INSERT INTO tuples (id, " TUPLE_COLUMNS ") SELECT coalesce((SELECT max(id) FROM tuples), 0) + 1,"
    " NEW.mta, NEW.host, NEW.direction, NEW.status, NEW.stage, NEW.code, NEW.enhanced, NEW.class,"
    " NEW.reason, NEW.domain, NEW.relay, NEW.client, NEW.conflict, NEW.hard, NEW.inferred,"
    " coalesce(NEW.sender, ''), coalesce(NEW.sender_domain, '')"
    " WHERE NOT EXISTS (SELECT 1 FROM tuples WHERE " TUPLE_MATCH_NEW ");"
    " INSERT INTO count_rows (hour, tuple, recipient, count, first_seen, last_seen, sample)"
    " VALUES (NEW.hour, (SELECT id FROM tuples WHERE " TUPLE_MATCH_NEW " LIMIT 1),"
    " coalesce(NEW.recipient, ''), NEW.count,"
    " NEW.first_seen, NEW.last_seen, NEW.sample)"
    " ON CONFLICT DO UPDATE SET count = count + excluded.count; END;"
    "CREATE TABLE IF NOT EXISTS line_counts ("
    " hour TEXT PRIMARY KEY, lines INTEGER NOT NULL, skipped INTEGER NOT NULL,"
    " unrecognised INTEGER NOT NULL, retry_skips INTEGER NOT NULL DEFAULT 0,"
    " msg_received INTEGER NOT NULL DEFAULT 0, msg_generated INTEGER NOT NULL DEFAULT 0,"
    " msg_delivered INTEGER NOT NULL DEFAULT 0, msg_deferred INTEGER NOT NULL DEFAULT 0,"
    " msg_bounced INTEGER NOT NULL DEFAULT 0, msg_expired INTEGER NOT NULL DEFAULT 0,"
    " msg_rejected INTEGER NOT NULL DEFAULT 0, msg_evicted INTEGER NOT NULL DEFAULT 0,"
    " bytes_received INTEGER NOT NULL DEFAULT 0, bytes_delivered INTEGER NOT NULL DEFAULT 0)"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS sources ("
    " id INTEGER PRIMARY KEY, fp_len INTEGER NOT NULL, fp_hash INTEGER NOT NULL,"
    " offset INTEGER NOT NULL, path TEXT NOT NULL, updated TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS sources_fp ON sources (fp_len, fp_hash);"
    /* Messages in flight when the last ingest ended (messages.h). */
    "CREATE TABLE IF NOT EXISTS messages_in_flight ("
    " key TEXT PRIMARY KEY, sender TEXT, size INTEGER NOT NULL, first INTEGER NOT NULL,"
    " last INTEGER NOT NULL, flags INTEGER NOT NULL) WITHOUT ROWID;"
    /* 4: facts about the database itself: last_ingest, the UTC time of the
     * last write by an ingest */
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;";

/* Schema 1 and 2 to 3: the message figures in line_counts, and counts by
 * sender and recipient (a new primary key: the table is copied). */
static const char upgrade_to_3[] =
    "ALTER TABLE line_counts ADD COLUMN msg_received INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE line_counts ADD COLUMN msg_generated INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE line_counts ADD COLUMN msg_delivered INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE line_counts ADD COLUMN msg_deferred INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE line_counts ADD COLUMN msg_bounced INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE line_counts ADD COLUMN msg_expired INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE line_counts ADD COLUMN msg_rejected INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE line_counts ADD COLUMN msg_evicted INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE line_counts ADD COLUMN bytes_received INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE line_counts ADD COLUMN bytes_delivered INTEGER NOT NULL DEFAULT 0;"
    COUNTS_TABLE("counts_v3")
    "INSERT INTO counts_v3 (hour, mta, host, direction, status, stage, code, enhanced, class, reason,"
    " domain, relay, client, conflict, hard, inferred, count, first_seen, last_seen, sample)"
    " SELECT hour, mta, host, direction, status, stage, code, enhanced, class, reason,"
    " domain, relay, client, conflict, hard, inferred, count, first_seen, last_seen, sample FROM counts;"
    "DROP TABLE counts;"
    "ALTER TABLE counts_v3 RENAME TO counts;";

/* The shapes of unrecognised lines per hour (lineshape.h), so that a report
 * can name the new line formats of its window.  An added table, which
 * older readers ignore: created on every writable open, no new schema
 * version.  At most MAX_SHAPES_PER_HOUR shapes per hour are kept (a flood
 * of ever-new garbage keeps the table small); the hour's count in
 * line_counts stays exact. */
static const char shapes_sql[] =
    "CREATE TABLE IF NOT EXISTS unrecognised_shapes ("
    " hour TEXT NOT NULL, shape TEXT NOT NULL, count INTEGER NOT NULL,"
    " PRIMARY KEY (hour, shape)) WITHOUT ROWID";
#define MAX_SHAPES_PER_HOUR "200"

/* Delivery delays per hour and group, as histograms (delays.h): a row per
 * group and hour, its histogram one blob of the buckets it used (count,
 * sum, largest delay each), merged with what is stored by write_delays
 * (delay_blob_merge), so that hours, batches and databases add up.  A blob and not a row per
 * bucket: a row costs SQLite some 15 000 instructions to write, and a
 * group uses a dozen buckets.  An added table like unrecognised_shapes:
 * created on every writable open, read as empty where it is missing (a
 * database written before it). */
static const char delays_sql[] =
    "CREATE TABLE IF NOT EXISTS delays ("
    " hour TEXT NOT NULL, mta TEXT NOT NULL, host TEXT NOT NULL, direction TEXT NOT NULL,"
    " status TEXT NOT NULL, class TEXT NOT NULL, domain TEXT NOT NULL, relay TEXT NOT NULL,"
    " hist BLOB NOT NULL,"
    " PRIMARY KEY (hour, mta, host, direction, status, class, domain, relay)) WITHOUT ROWID";
/* The aggregate dimensions of its columns, in order. */
static const mc_dim delay_dims[] = {DIM_HOUR,   DIM_MTA,   DIM_HOST,   DIM_DIRECTION,
                                    DIM_STATUS, DIM_CLASS, DIM_DOMAIN, DIM_RELAY};
#define N_DELAY_DIMS (sizeof delay_dims / sizeof delay_dims[0])

static bool flush_warnings(mc_store *s, const mc_aggregate *a, char *err, size_t errlen);

static bool db_error(mc_store *s, const char *what, char *err, size_t errlen)
{
    int code = s->db ? sqlite3_extended_errcode(s->db) : 0;
    const char *hint = "";
    if ((code & 0xFF) == SQLITE_FULL || code == SQLITE_IOERR_WRITE || code == SQLITE_IOERR_FSYNC)
        hint = " (is the disk full? nothing of this batch was kept; run again when there is room)";
    else if ((code & 0xFF) == SQLITE_READONLY || (code & 0xFF) == SQLITE_CANTOPEN)
        hint = " (check the permissions of the database file and its directory)";
    else if ((code & 0xFF) == SQLITE_BUSY)
        hint = " (another process holds the database; try again)";
    snprintf(err, errlen, "database: %s: %s%s", what, s->db ? sqlite3_errmsg(s->db) : "cannot open", hint);
    return false;
}

static bool exec(mc_store *s, const char *sql, char *err, size_t errlen)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(s, sql, err, errlen);
    return true;
}

/* How long a handle waits for another's lock before it gives up.  Two
 * ingests into one database (a cron run overlapping the last) take turns
 * batch by batch; on a loaded host one batch's commit took over 10 s once,
 * and the other ingest failed where it should have waited its turn. */
#define BUSY_TIMEOUT_MS 60000
#define BUSY_STEP_MS 10

/* SQLite's busy handler: waits for another handle's lock in steps of
 * BUSY_STEP_MS, up to BUSY_TIMEOUT_MS, and not at all once a stop is
 * asked for (sqlite3_busy_timeout's sleeps do not look: a SIGTERM would
 * have waited out the minute).  The batch then fails as locked: it was
 * not committed, and the next run reads it again. */
static int busy_wait(void *ctx, int calls)
{
    const mc_store *s = ctx;
    if ((s->stop != NULL && *s->stop) || (long long)calls * BUSY_STEP_MS >= BUSY_TIMEOUT_MS)
        return 0;
    sqlite3_sleep(BUSY_STEP_MS);
    return 1;
}

void store_set_stop(mc_store *s, const volatile sig_atomic_t *stop) { s->stop = stop; }

/* exec for the pragmas that set up a new file (page size, WAL mode): while
 * another connection sets up the same new file SQLite refuses them at
 * once, without the busy handler (its rule against deadlock), so two
 * ingests started together on a new database failed.  Tried again until
 * the busy timeout. */
static bool exec_setup(mc_store *s, const char *sql, char *err, size_t errlen)
{
    for (int calls = 0;; calls++) {
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return true;
        if ((rc & 0xff) != SQLITE_BUSY || !busy_wait(s, calls))
            return db_error(s, sql, err, errlen);
    }
}

static bool prepare(mc_store *s, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_error(s, "prepare", err, errlen);
    return true;
}

/* FNV-1a of n bytes: a source's fingerprint, and the hash a tuple's id is
 * derived from (both stored: never to change). */
#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME 1099511628211ULL
static uint64_t tuple_hash(const char *p, size_t n)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* The hash of a key of a table in memory (a failure block's dictionary, a
 * batch's delay groups): mc_fast_hash (FNV-1a's byte a step was a third
 * of recording a failure event).  Never stored: a collision costs a
 * compare of the keys, never a wrong answer; the tables are bounded by a
 * block and a batch. */
static uint64_t mem_hash(const char *p, size_t n)
{
    static const uint64_t seed[2] = {0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL};
    return mc_fast_hash(seed, p, n);
}

/* The fields of an hour bucket "YYYY-MM-DDTHH"; false when it is not one.
 * The usual shape is read digit by digit (sscanf cost as much as a
 * SQLite statement per count row); anything else as sscanf reads it. */
static bool hour_fields(const char *hour, int *y, int *mo, int *d, int *h)
{
    static const char shape[] = "dddd-dd-ddTdd";
    int v[4] = {0}, field = 0;
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        if (shape[i] != 'd') {
            if (hour[i] != shape[i])
                return sscanf(hour, "%4d-%2d-%2dT%2d", y, mo, d, h) == 4;
            field++;
        } else if (hour[i] >= '0' && hour[i] <= '9') {
            v[field] = v[field] * 10 + (hour[i] - '0');
        } else {
            return sscanf(hour, "%4d-%2d-%2dT%2d", y, mo, d, h) == 4;
        }
    }
    *y = v[0], *mo = v[1], *d = v[2], *h = v[3];
    return true;
}

static bool begin_txn(mc_store *s, char *err, size_t errlen);
static bool end_txn(mc_store *s, bool ok, char *err, size_t errlen);
static bool time_same(const mc_time *a, const mc_time *b);
static void bound_forget(mc_store *s);
static bool write_count(mc_store *s, const char *const dims[DIM_COUNT], uint64_t hash, uint64_t count,
                        const char *first, const char *last, const char *sample, char *err, size_t errlen);
static uint64_t tuple_key_hash(int64_t hour, const char *const dims[DIM_COUNT]);
static int64_t tuple_hour(const char *hour);
static bool prune_failures(mc_store *s, char *err, size_t errlen);
static bool upgrade_failures(mc_store *s, char *err, size_t errlen);
static bool failures_write(mc_store *s, char *err, size_t errlen);
static void failure_list_reset(failure_list *l);
static void failure_list_free(failure_list *l);
static void failures_hand_over(mc_store *s);
static void writer_stop(mc_store *s);
static int64_t days_from_civil(int64_t y, int m, int d);

/* One value of a single-row query (a PRAGMA, a count); -1 on error. */
static sqlite3_int64 query_int(mc_store *s, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_int64 v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* Ours: our application id, or none with no tables at all (new) or with
 * the tables of schema 1 or 2 (written before the id).  *need_id: the id
 * is still to be set. */
static bool check_identity(mc_store *s, const char *path, bool *need_id, char *err, size_t errlen)
{
    sqlite3_int64 id = query_int(s, "PRAGMA application_id");
    if (id < 0)
        return db_error(s, "reading the application id", err, errlen);
    *need_id = id == 0;
    if (id == MC_APPLICATION_ID)
        return true;
    if (id == 0) {
        sqlite3_int64 tables = query_int(s, "SELECT count(*) FROM sqlite_master");
        sqlite3_int64 ours = query_int(s, "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')"
                                          " AND name IN ('counts', 'line_counts', 'sources')");
        sqlite3_int64 version = query_int(s, "PRAGMA user_version");
        if (tables < 0 || ours < 0 || version < 0)
            return db_error(s, "reading the schema", err, errlen);
        if (tables == 0 || (ours == 3 && version >= 1))
            return true;
    }
    snprintf(err, errlen, "database %s: not a mailcodes database (another program's SQLite file, application"
                          " id %lld); nothing was changed: give another --db", path, (long long)id);
    return false;
}

/* Like O_NOFOLLOW plus an owner check: the database is not reached through
 * a symbolic link, and a file of another user is not trusted in a
 * directory anyone may write (/tmp: it may have been planted there). */
static bool check_path(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return true; /* created by this run */
    if (S_ISLNK(st.st_mode)) {
        snprintf(err, errlen, "database %s is a symbolic link; give the path of the file itself", path);
        return false;
    }
    if (st.st_uid == geteuid())
        return true;
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
    struct stat dst;
    if (stat(dir, &dst) == 0 && (dst.st_mode & S_IWOTH)) {
        snprintf(err, errlen, "database %s belongs to another user (uid %u) in a directory anyone may write;"
                              " refusing it: give a database of your own", path, (unsigned)st.st_uid);
        return false;
    }
    return true;
}

/* The upsert of one count row, added to what is there. */
#define UPSERT_COUNT                                                                                 \
    "INSERT INTO count_rows (hour, tuple, recipient, count, first_seen, last_seen, sample)"          \
    " VALUES (?,?,?,?,?,?,?)"                                                                        \
    " ON CONFLICT DO UPDATE SET count = count + excluded.count,"                                     \
    " first_seen = min(first_seen, excluded.first_seen),"                                            \
    " last_seen = max(last_seen, excluded.last_seen)"

/* Schema 1-5 to 6: every count an older schema held (the query select
 * gives hour, the dimensions, count, first_seen, last_seen, sample) into
 * tuples and count_rows, the same values under the narrow key. */
static bool upgrade_counts(mc_store *s, const char *select, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (!exec(s, COUNTS_SCHEMA, err, errlen) || !prepare(s, select, &st, err, errlen))
        return false;
    bool ok = prepare(s, UPSERT_COUNT, &s->upsert_count, err, errlen);
    int rc = SQLITE_DONE;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *dims[DIM_COUNT];
        for (int d = 0; d < DIM_COUNT; d++) {
            const char *v = (const char *)sqlite3_column_text(st, d);
            dims[d] = v ? v : "";
        }
        const char *v[3];
        for (int i = 0; i < 3; i++) {
            v[i] = (const char *)sqlite3_column_text(st, DIM_COUNT + 1 + i);
            v[i] = v[i] ? v[i] : "";
        }
        bound_forget(s); /* the last row's values went with this step */
        ok = write_count(s, dims, tuple_key_hash(tuple_hour(dims[DIM_HOUR]), dims),
                         (uint64_t)sqlite3_column_int64(st, DIM_COUNT), v[0], v[1], v[2], err, errlen);
    }
    if (ok && rc != SQLITE_DONE)
        ok = db_error(s, "reading the counts to upgrade", err, errlen);
    sqlite3_finalize(st);
    sqlite3_finalize(s->upsert_count);
    s->upsert_count = NULL;
    return ok;
}

/* Schema 1-4 kept the counts in one table with the wide key: into the
 * tables of schema 6; the table goes and the view of schema_sql takes its
 * name. */
static bool upgrade_wide_counts(mc_store *s, char *err, size_t errlen)
{
    return upgrade_counts(s, "SELECT hour, " DIM_COLUMNS ", count, first_seen, last_seen, sample FROM counts", err,
                          errlen) &&
           exec(s, "DROP TABLE counts", err, errlen);
}

/* Schema 5 kept the recipient in the tuple: its tables are moved aside,
 * read through the join its view made, and dropped. */
static bool upgrade_from_5(mc_store *s, char *err, size_t errlen)
{
    return exec(s,
                "DROP VIEW counts; ALTER TABLE tuples RENAME TO tuples_v5;"
                " ALTER TABLE count_rows RENAME TO count_rows_v5",
                err, errlen) &&
           upgrade_counts(s,
                          "SELECT c.hour, t.mta, t.host, t.direction, t.status, t.stage, t.code, t.enhanced,"
                          " t.class, t.reason, t.domain, t.relay, t.client, t.conflict, t.hard, t.inferred,"
                          " t.sender, t.sender_domain, t.recipient, c.count, c.first_seen, c.last_seen, c.sample"
                          " FROM count_rows_v5 c JOIN tuples_v5 t ON t.id = c.tuple",
                          err, errlen) &&
           exec(s, "DROP TABLE count_rows_v5; DROP TABLE tuples_v5", err, errlen);
}

static bool check_schema(mc_store *s, bool need_id, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (!prepare(s, "PRAGMA user_version", &st, err, errlen))
        return false;
    int version = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version < 0)
        return db_error(s, "reading schema version", err, errlen);
    if (version > MC_SCHEMA_VERSION) {
        snprintf(err, errlen, "database: schema version %d is newer than this mailcodes (%d); upgrade mailcodes",
                 version, MC_SCHEMA_VERSION);
        return false;
    }
    if (version == MC_SCHEMA_VERSION && (!need_id || s->read_only))
        return true;
    if (s->read_only) {
        if (version >= 1) {
            snprintf(err, errlen, "database: schema version %d needs an upgrade: run 'mailcodes ingest' once"
                                  " (with no file) as a user who may write it", version);
            return false;
        }
        /* An empty (new) database read by report: nothing to show, but not an error. */
        return true;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d; PRAGMA application_id = %d", MC_SCHEMA_VERSION,
             MC_APPLICATION_ID);
    /* Version 1 lacked the retry-skip tally: add the column, keep the data.
     * Versions 1 and 2 lacked the message figures and the address columns.
     * The upgrades run before schema_sql, on the tables as they were.
     * Version 3 lacked the meta table: schema_sql creates it. */
    const char *upgrade1 = version == 1 ? "ALTER TABLE line_counts ADD COLUMN retry_skips INTEGER NOT NULL DEFAULT 0" : "";
    const char *upgrade3 = version == 1 || version == 2 ? upgrade_to_3 : "";
    /* Versions 1 to 4 kept the counts in one table with the wide key,
     * version 5 the recipient in the tuple and failures row by row. */
    bool wide = version >= 1 && version < 5;
    bool ok = begin_txn(s, err, errlen) && (!*upgrade1 || exec(s, upgrade1, err, errlen)) &&
              (!*upgrade3 || exec(s, upgrade3, err, errlen)) && (!wide || upgrade_wide_counts(s, err, errlen)) &&
              (version != 5 || upgrade_from_5(s, err, errlen)) && exec(s, schema_sql, err, errlen) &&
              (version != 5 || upgrade_failures(s, err, errlen)) && exec(s, sql, err, errlen);
    return end_txn(s, ok, err, errlen);
}

static mc_store *store_open_mode(const char *path, bool read_only, bool immutable, char *err, size_t errlen);

mc_store *store_open(const char *path, bool read_only, char *err, size_t errlen)
{
    if (path != NULL && !check_path(path, err, errlen))
        return NULL;
    mc_store *s = store_open_mode(path, read_only, false, err, errlen);
    /* A reader without write access to a WAL database's directory cannot
     * create its shared-memory file; it can still read the file as a
     * snapshot. */
    if (s == NULL && read_only && path != NULL && strstr(err, "readonly") != NULL)
        s = store_open_mode(path, true, true, err, errlen);
    return s;
}

static mc_store *store_open_mode(const char *path, bool read_only, bool immutable, char *err, size_t errlen)
{
    mc_store *s = mc_xcalloc(1, sizeof *s);
    mc_buf_init(&s->tuple_text);
    mc_buf_init(&s->key);
    s->retention = MC_RETENTION_DEFAULT;
    s->group_bytes = GROUP_BYTES_DEFAULT;
    s->ckpt_pages = CHECKPOINT_PAGES;
    s->read_only = read_only && path != NULL;
    /* NOMUTEX: a handle is used by one thread at a time (the loop's, the
     * report's, or the writer's, handed over under the writer's mutex), so
     * SQLite's locking of it in every call is pure cost (about 4% of an
     * ingest's instructions). */
    int flags = SQLITE_OPEN_NOMUTEX |
                (s->read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    mc_buf uri;
    mc_buf_init(&uri);
    if (immutable) {
        /* Every byte but the unreserved ones percent-encoded: a ?, # or %
         * in the path is part of the file name, not of the URI. */
        mc_buf_adds(&uri, "file:");
        for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("/._-~", *p) != NULL)
                mc_buf_addc(&uri, (char)*p);
            else
                mc_buf_printf(&uri, "%%%02X", *p);
        }
        mc_buf_adds(&uri, "?mode=ro&immutable=1");
        flags |= SQLITE_OPEN_URI;
    }
    /* No memory statistics (a global mutex and counters in every
     * sqlite3_malloc and free); refused once SQLite is initialised: a
     * later handle keeps what the first set. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    int rc = sqlite3_open_v2(immutable ? uri.data : path ? path : "", &s->db, flags, NULL);
    mc_buf_free(&uri);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "database %s: %s", path ? path : "(temporary)",
                 s->db ? sqlite3_errmsg(s->db) : "cannot open");
        store_close(s);
        return NULL;
    }
    sqlite3_extended_result_codes(s->db, 1);
    /* A concurrent ingest holds the write lock briefly per batch: wait. */
    sqlite3_busy_handler(s->db, busy_wait, s);
    bool need_id = false;
    bool ok = path == NULL || check_identity(s, path, &need_id, err, errlen);
    if (ok && path != NULL && !s->read_only)
        ok = exec_setup(s, "PRAGMA page_size = " MC_PAGE_SIZE, err, errlen) &&
             exec_setup(s, "PRAGMA journal_mode = WAL", err, errlen) &&
             exec_setup(s, "PRAGMA synchronous = NORMAL", err, errlen) &&
             /* 16 MiB of pages (the default is 2): a batch's rows land all
              * over the tables, and pages read again cost a system call. */
             exec(s, "PRAGMA cache_size = -16384", err, errlen);
    else if (ok && path == NULL)
        ok = exec(s, "PRAGMA journal_mode = OFF", err, errlen);
    ok = ok && check_schema(s, need_id, err, errlen);
    if (ok && !s->read_only)
        ok = exec(s, delays_sql, err, errlen) &&
             prepare(s,
                     "INSERT INTO delays (hour, mta, host, direction, status, class, domain, relay, hist)"
                     " VALUES (?,?,?,?,?,?,?,?,?)"
                     " ON CONFLICT DO UPDATE SET hist = excluded.hist",
                     &s->upsert_delay, err, errlen);
    if (ok && !s->read_only)
        ok = exec(s, shapes_sql, err, errlen) &&
             prepare(s,
                     "INSERT INTO unrecognised_shapes (hour, shape, count) SELECT ?1, ?2, ?3"
                     " WHERE (SELECT count(*) FROM unrecognised_shapes WHERE hour = ?1) < "
                     MAX_SHAPES_PER_HOUR
                     " OR EXISTS (SELECT 1 FROM unrecognised_shapes WHERE hour = ?1 AND shape = ?2)"
                     " ON CONFLICT DO UPDATE SET count = count + excluded.count",
                     &s->upsert_shape, err, errlen) &&
             prepare(s,
                     UPSERT_COUNT, &s->upsert_count, err, errlen) &&
             prepare(s,
                     "INSERT INTO line_counts (hour, lines, skipped, unrecognised, retry_skips, " MSG_COLUMNS ")"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                     " ON CONFLICT DO UPDATE SET lines = lines + excluded.lines,"
                     " skipped = skipped + excluded.skipped,"
                     " unrecognised = unrecognised + excluded.unrecognised,"
                     " retry_skips = retry_skips + excluded.retry_skips,"
                     " msg_received = msg_received + excluded.msg_received,"
                     " msg_generated = msg_generated + excluded.msg_generated,"
                     " msg_delivered = msg_delivered + excluded.msg_delivered,"
                     " msg_deferred = msg_deferred + excluded.msg_deferred,"
                     " msg_bounced = msg_bounced + excluded.msg_bounced,"
                     " msg_expired = msg_expired + excluded.msg_expired,"
                     " msg_rejected = msg_rejected + excluded.msg_rejected,"
                     " msg_evicted = msg_evicted + excluded.msg_evicted,"
                     " bytes_received = bytes_received + excluded.bytes_received,"
                     " bytes_delivered = bytes_delivered + excluded.bytes_delivered",
                     &s->upsert_lines, err, errlen);
    if (!ok) {
        if (strstr(err, "not a database") || strstr(err, "malformed"))
            snprintf(err + strlen(err), errlen - strlen(err), " (%s)", path ? path : "temporary");
        store_close(s);
        return NULL;
    }
    return s;
}

void store_close(mc_store *s)
{
    if (s == NULL)
        return;
    sqlite3_finalize(s->upsert_count);
    sqlite3_finalize(s->insert_counts);
    free(s->pending);
    sqlite3_finalize(s->upsert_lines);
    sqlite3_finalize(s->upsert_shape);
    sqlite3_finalize(s->upsert_delay);
    sqlite3_finalize(s->find_delay);
    sqlite3_finalize(s->put_message);
    sqlite3_finalize(s->delete_message);
    sqlite3_finalize(s->upsert_warning);
    sqlite3_finalize(s->upsert_other_warning);
    sqlite3_finalize(s->find_tuple);
    sqlite3_finalize(s->insert_tuple);
    sqlite3_finalize(s->insert_failure);
    sqlite3_finalize(s->prune_failures);
    writer_stop(s);
    failure_list_free(&s->fill);
    failure_list_free(&s->out);
    free(s->tuple_slots);
    mc_buf_free(&s->tuple_text);
    mc_buf_free(&s->key);
    free(s->order);
    free(s->order_tmp);
    if (s->db)
        sqlite3_close(s->db);
    free(s);
}

uint64_t store_fingerprint(const char *bytes, size_t n)
{
    return tuple_hash(bytes, n) & 0x7FFFFFFFFFFFFFFFULL; /* fits SQLite's signed integer */
}

/* The stored source whose fingerprint matches head (exact, or a shorter
 * one taken when the file was smaller): *id 0 when there is none. */
static bool lookup_source(mc_store *s, const char *head, uint32_t n, int64_t *id, uint64_t *offset, char *err,
                          size_t errlen)
{
    *id = 0;
    *offset = 0;
    sqlite3_stmt *st;
    if (!prepare(s, "SELECT id, offset, fp_len, fp_hash FROM sources WHERE fp_len <= ?"
                    " AND (fp_len < ? OR fp_hash = ?) ORDER BY fp_len DESC, offset DESC",
                 &st, err, errlen))
        return false;
    sqlite3_bind_int64(st, 1, n);
    sqlite3_bind_int64(st, 2, MC_FP_LEN);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)store_fingerprint(head, n));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint32_t len = (uint32_t)sqlite3_column_int64(st, 2);
        uint64_t hash = (uint64_t)sqlite3_column_int64(st, 3);
        if (store_fingerprint(head, len) != hash)
            continue;
        *id = sqlite3_column_int64(st, 0);
        *offset = (uint64_t)sqlite3_column_int64(st, 1);
        break;
    }
    bool ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok ? true : db_error(s, "reading sources", err, errlen);
}

void store_source_refingerprint(mc_source *src, const char *head, size_t n)
{
    src->fp_len = (uint32_t)(n < MC_FP_LEN ? n : MC_FP_LEN);
    src->fp_hash = store_fingerprint(head, src->fp_len);
    memmove(src->head, head, src->fp_len);
}

bool store_source_find(mc_store *s, const char *head, size_t n, mc_source *src, char *err, size_t errlen)
{
    memset(src, 0, sizeof *src);
    store_source_refingerprint(src, head, n);
    if (src->fp_len == 0)
        return true;
    if (!lookup_source(s, src->head, src->fp_len, &src->id, &src->offset, err, errlen))
        return false;
    src->committed = src->offset;
    return true;
}

/* Inside the write transaction: is the source where this process last saw
 * it?  If another ingest of the same file has claimed or moved it, src
 * takes the stored position and *moved is set. */
static bool source_moved(mc_store *s, mc_source *src, bool *moved, char *err, size_t errlen)
{
    int64_t id = 0;
    uint64_t offset = 0;
    if (src->id == 0) {
        if (!lookup_source(s, src->head, src->fp_len, &id, &offset, err, errlen))
            return false;
    } else {
        sqlite3_stmt *st;
        if (!prepare(s, "SELECT offset FROM sources WHERE id = ?", &st, err, errlen))
            return false;
        sqlite3_bind_int64(st, 1, src->id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            id = src->id;
            offset = (uint64_t)sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return db_error(s, "reading sources", err, errlen);
    }
    *moved = id != src->id || offset != src->committed;
    if (*moved) {
        src->id = id;
        src->committed = offset;
    }
    return true;
}

/* Runs a write statement to its end and resets it.  Its bindings are kept:
 * every caller binds each of a statement's parameters before each step. */
static bool step_done(mc_store *s, sqlite3_stmt *st, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_error(s, "write", err, errlen);
    return true;
}

/* Whether dimension d is stored as a 0/1 integer. */
static bool int_dim(int d) { return d == DIM_CONFLICT || d == DIM_HARD || d == DIM_INFERRED; }

/* Forgets every cached tuple id. */
static void tuple_cache_clear(mc_store *s)
{
    if (s->tuple_slots)
        memset(s->tuple_slots, 0, s->n_slots * sizeof *s->tuple_slots);
    s->n_tuples = 0;
    mc_buf_reset(&s->tuple_text);
}


/* The cache slot of the tuple text in s->key: where it is, or the empty
 * slot it would take. */
static tuple_slot *tuple_slot_of(mc_store *s, uint64_t h)
{
    const char *text = s->key.data;
    size_t n = s->key.len;
    size_t mask = s->n_slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        tuple_slot *t = &s->tuple_slots[i];
        if (t->id == 0 || (t->hash == h && t->len == n && memcmp(s->tuple_text.data + t->off, text, n) == 0))
            return t;
    }
}

/* The cache's slots four times as many (TUPLE_CACHE_FIRST_SLOTS at first),
 * the cached tuples placed again by their hashes. */
static void tuple_cache_grow(mc_store *s)
{
    size_t n = s->tuple_slots ? 4 * s->n_slots : TUPLE_CACHE_FIRST_SLOTS;
    if (n > TUPLE_CACHE_SLOTS)
        n = TUPLE_CACHE_SLOTS;
    tuple_slot *slots = mc_xcalloc(n, sizeof *slots);
    for (size_t k = 0; k < s->n_slots; k++) {
        const tuple_slot *t = &s->tuple_slots[k];
        if (t->id == 0)
            continue;
        size_t i = t->hash & (n - 1);
        while (slots[i].id != 0)
            i = (i + 1) & (n - 1);
        slots[i] = *t;
    }
    free(s->tuple_slots);
    s->tuple_slots = slots;
    s->n_slots = n;
}

/* Forgets the values bound to the count statements: their bytes are about
 * to go (a flush's aggregate, an upgrade's row read by the last step). */
static void bound_forget(mc_store *s)
{
    memset(s->tuple_bound, 0, sizeof s->tuple_bound);
    memset(s->group_hour, 0, sizeof s->group_hour);
    s->hour_bound = (bound_value){NULL, 0};
}

/* Whether the value p (n bytes) is the one bound last (see bound_forget);
 * when not, it is remembered as bound (the caller binds it). */
static bool bound_again(bound_value *b, const char *p, size_t n)
{
    if (b->p != NULL && b->n == n && (b->p == p || memcmp(b->p, p, n) == 0))
        return true;
    *b = (bound_value){p, n};
    return false;
}

/* Whether the tuples row st stands on holds the values of dims. */
static bool tuple_row_is(sqlite3_stmt *st, const char *const dims[DIM_COUNT])
{
    for (int d = DIM_MTA; d < TUPLE_END; d++) {
        const char *v = (const char *)sqlite3_column_text(st, d - DIM_MTA);
        const char *want = int_dim(d) ? (dims[d][0] == '1' ? "1" : "0") : dims[d];
        if (v == NULL || strcmp(v, want) != 0)
            return false;
    }
    return true;
}

/* The hour number of an hour bucket (1 + hours since 1970; 0 without a
 * time or out of range): the high bits of its tuples' ids. */
static int64_t tuple_hour(const char *hour)
{
    int y, mo, dd, hh;
    int64_t day = hour_fields(hour, &y, &mo, &dd, &hh) ? 1 + days_from_civil(y, mo, dd) * 24 + hh : 0;
    return day < 0 || day >= (1 << 22) ? 0 : day;
}

/* tuple_hour, read again only when the text is not the last one's (twice
 * per count row: its place in the batch's order, and its tuple). */
static int64_t tuple_hour_of(mc_store *s, const char *hour)
{
    if (strcmp(hour, s->hour_text) == 0 && s->hour_text[0])
        return s->hour_number;
    int64_t n = tuple_hour(hour);
    if (strlen(hour) < sizeof s->hour_text) {
        strcpy(s->hour_text, hour);
        s->hour_number = n;
    }
    return n;
}

/* Packs the tuple of dims into s->key (its hour number, then each value
 * and its NUL), each value's length into lens. */
static void tuple_pack(mc_store *s, const char *const dims[DIM_COUNT], size_t lens[TUPLE_END])
{
    int64_t day = tuple_hour_of(s, dims[DIM_HOUR]);
    /* The key, written in one go: each value's length measured once, for
     * the key and for its binding. */
    size_t total = sizeof day;
    for (int d = DIM_MTA; d < TUPLE_END; d++) {
        lens[d] = int_dim(d) ? 1 : strlen(dims[d]);
        total += lens[d] + 1;
    }
    mc_buf_reset(&s->key);
    char *k = mc_buf_room(&s->key, total);
    memcpy(k, &day, sizeof day);
    k += sizeof day;
    for (int d = DIM_MTA; d < TUPLE_END; d++) {
        if (int_dim(d))
            *k = dims[d][0] == '1' ? '1' : '0';
        else
            memcpy(k, dims[d], lens[d]);
        k[lens[d]] = '\0';
        k += lens[d] + 1;
    }
    s->key.len = total;
}

/* The id a tuple of hour number `hour` and hash h tries at its probe-th
 * try (see tuple_id). */
static uint64_t tuple_id_try(int64_t hour, uint64_t h, int probe)
{
    return ((uint64_t)(hour + 1) << 40) | ((h + (uint64_t)probe) & ((1ULL << 40) - 1));
}

/* The hash of the tuple of dims (hour: its hour number), its id's low
 * bits: tuple_hash of the key tuple_pack would write.  FNV-1a reads a byte
 * at a time, so the values are hashed where they lie, without the copy. */
static uint64_t tuple_key_hash(int64_t hour, const char *const dims[DIM_COUNT])
{
    unsigned char head[sizeof hour];
    memcpy(head, &hour, sizeof hour);
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < sizeof head; i++)
        h = (h ^ head[i]) * FNV_PRIME;
    for (int d = DIM_MTA; d < TUPLE_END; d++) {
        if (int_dim(d))
            h = (h ^ (unsigned char)(dims[d][0] == '1' ? '1' : '0')) * FNV_PRIME;
        else
            for (const unsigned char *p = (const unsigned char *)dims[d]; *p; p++)
                h = (h ^ *p) * FNV_PRIME;
        h *= FNV_PRIME; /* the value's NUL: h ^ 0 */
    }
    return h;
}

/* tuple_key_hash of four tuples at once (hours[k], dims[k] -> out[k]):
 * FNV-1a is a chain of multiplies, one a byte, each waiting for the last,
 * so one tuple's hash runs at the multiply's latency; four chains side by
 * side overlap (the writer hashed every row of a batch this way, ~4% of
 * Exim's ingest).  The bytes and their order are tuple_key_hash's: the
 * same hashes, which are stored (tuple ids). */
static void tuple_key_hash4(const int64_t hours[4], const char *const *dims[4], uint64_t out[4])
{
    uint64_t h0 = FNV_OFFSET, h1 = FNV_OFFSET, h2 = FNV_OFFSET, h3 = FNV_OFFSET;
    unsigned char head[4][sizeof hours[0]];
    memcpy(head, hours, sizeof head);
    for (size_t i = 0; i < sizeof head[0]; i++) {
        h0 = (h0 ^ head[0][i]) * FNV_PRIME;
        h1 = (h1 ^ head[1][i]) * FNV_PRIME;
        h2 = (h2 ^ head[2][i]) * FNV_PRIME;
        h3 = (h3 ^ head[3][i]) * FNV_PRIME;
    }
    for (int d = DIM_MTA; d < TUPLE_END; d++) {
        if (int_dim(d)) {
            h0 = (h0 ^ (unsigned char)(dims[0][d][0] == '1' ? '1' : '0')) * FNV_PRIME;
            h1 = (h1 ^ (unsigned char)(dims[1][d][0] == '1' ? '1' : '0')) * FNV_PRIME;
            h2 = (h2 ^ (unsigned char)(dims[2][d][0] == '1' ? '1' : '0')) * FNV_PRIME;
            h3 = (h3 ^ (unsigned char)(dims[3][d][0] == '1' ? '1' : '0')) * FNV_PRIME;
        } else {
            const unsigned char *p0 = (const unsigned char *)dims[0][d], *p1 = (const unsigned char *)dims[1][d],
                                *p2 = (const unsigned char *)dims[2][d], *p3 = (const unsigned char *)dims[3][d];
            /* Side by side while all four have bytes left, then each alone. */
            for (; *p0 && *p1 && *p2 && *p3; p0++, p1++, p2++, p3++) {
                h0 = (h0 ^ *p0) * FNV_PRIME;
                h1 = (h1 ^ *p1) * FNV_PRIME;
                h2 = (h2 ^ *p2) * FNV_PRIME;
                h3 = (h3 ^ *p3) * FNV_PRIME;
            }
            for (; *p0; p0++)
                h0 = (h0 ^ *p0) * FNV_PRIME;
            for (; *p1; p1++)
                h1 = (h1 ^ *p1) * FNV_PRIME;
            for (; *p2; p2++)
                h2 = (h2 ^ *p2) * FNV_PRIME;
            for (; *p3; p3++)
                h3 = (h3 ^ *p3) * FNV_PRIME;
        }
        h0 *= FNV_PRIME, h1 *= FNV_PRIME, h2 *= FNV_PRIME, h3 *= FNV_PRIME; /* the values' NULs */
    }
    out[0] = h0, out[1] = h1, out[2] = h2, out[3] = h3;
}

/* The id of the tuple of dims in tuples, written there when new.  The id
 * is the hour of dims[DIM_HOUR] (1 + hours since 1970, 0 without a time)
 * times 2^40 plus 40 bits of the tuple's hash: an hour's tuples lie
 * together, so a batch's writes and lookups stay on a few pages of the
 * table, however large it grows (a tuple seen again in a later hour is
 * stored again: the view sums by value, not by id).  Ids start at 2^40,
 * clear of the small ids a hand-written row takes; a different tuple
 * already there (a collision) moves it on by one within its day. */
static bool tuple_id(mc_store *s, const char *const dims[DIM_COUNT], uint64_t h, int64_t *id, bool *fresh,
                     char *err, size_t errlen)
{
    *fresh = false;
    size_t lens[TUPLE_END];
    tuple_pack(s, dims, lens);
    int64_t day;
    memcpy(&day, s->key.data, sizeof day);
    if (s->tuple_slots == NULL)
        tuple_cache_grow(s);
    tuple_slot *slot = tuple_slot_of(s, h);
    if (slot->id) {
        *id = slot->id;
        return true;
    }
    if (s->find_tuple == NULL &&
        (!prepare(s, "SELECT " TUPLE_COLUMNS " FROM tuples WHERE id = ?", &s->find_tuple, err, errlen) ||
         !prepare(s, "INSERT INTO tuples (id, " TUPLE_COLUMNS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT DO NOTHING", &s->insert_tuple, err, errlen)))
        return false;
    int64_t cand = 0;
    for (int probe = 0;; probe++) {
        cand = (int64_t)tuple_id_try(day, h, probe);
        if (probe == 64) {
            snprintf(err, errlen, "database: tuples: no free id near %lld", (long long)cand);
            return false;
        }
        /* Most tuples are new: insert first, look only when the id is taken. */
        sqlite3_stmt *st = s->insert_tuple;
        sqlite3_bind_int64(st, 1, cand);
        for (int d = DIM_MTA; d < TUPLE_END; d++) {
            if (int_dim(d)) {
                const char *v = dims[d][0] == '1' ? "1" : "0";
                if (!bound_again(&s->tuple_bound[d], v, 1))
                    sqlite3_bind_int(st, d + 1, v[0] == '1');
            } else if (!bound_again(&s->tuple_bound[d], dims[d], lens[d])) {
                sqlite3_bind_text(st, d + 1, dims[d], (int)lens[d], SQLITE_STATIC);
            }
        }
        if (!step_done(s, st, err, errlen))
            return false;
        if (sqlite3_changes(s->db) == 1) {
            *fresh = true;
            break;
        }
        sqlite3_bind_int64(s->find_tuple, 1, cand);
        int rc = sqlite3_step(s->find_tuple);
        bool same = rc == SQLITE_ROW && tuple_row_is(s->find_tuple, dims);
        sqlite3_reset(s->find_tuple);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return db_error(s, "reading tuples", err, errlen);
        if (same)
            break;
    }
    *id = cand;
    /* Half used: more slots, or when there are all, start again (the slot
     * found above is then stale). */
    if (2 * (s->n_tuples + 1) > s->n_slots && s->n_slots < TUPLE_CACHE_SLOTS) {
        tuple_cache_grow(s);
        slot = tuple_slot_of(s, h);
    }
    if (2 * (s->n_tuples + 1) > s->n_slots || s->tuple_text.len + s->key.len > TUPLE_CACHE_BYTES) {
        tuple_cache_clear(s);
        slot = tuple_slot_of(s, h);
    }
    *slot = (tuple_slot){.hash = h, .id = cand, .off = s->tuple_text.len, .len = s->key.len};
    mc_buf_add(&s->tuple_text, s->key.data, s->key.len);
    s->n_tuples++;
    return true;
}

/* Upserts one count row of tuple id: added to what is there. */
static bool upsert_count_row(mc_store *s, const char *hour, int64_t id, const char *recipient, uint64_t count,
                             const char *first, const char *last, const char *sample, char *err, size_t errlen)
{
    sqlite3_stmt *st = s->upsert_count;
    size_t hour_len = strlen(hour);
    if (!bound_again(&s->hour_bound, hour, hour_len))
        sqlite3_bind_text(st, 1, hour, (int)hour_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_text(st, 3, recipient, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)count);
    sqlite3_bind_text(st, 5, first, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, last, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, sample, -1, SQLITE_STATIC);
    return step_done(s, st, err, errlen);
}

/* Writes one count row (hour, tuple) of the aggregate, added to what is there. */
static bool write_count(mc_store *s, const char *const dims[DIM_COUNT], uint64_t hash, uint64_t count,
                        const char *first, const char *last, const char *sample, char *err, size_t errlen)
{
    int64_t id = 0;
    bool fresh;
    return tuple_id(s, dims, hash, &id, &fresh, err, errlen) &&
           upsert_count_row(s, dims[DIM_HOUR], id, dims[DIM_RECIPIENT], count, first, last, sample, err, errlen);
}

/* The insert of COUNT_GROUP new count rows in one statement.  OR IGNORE,
 * not an upsert: a statement of many rows that may stop half way (an
 * upsert's update, a NOT NULL, a key taken, each of which would abort it)
 * makes SQLite keep a journal of every page it changes, to undo the
 * statement alone; in memory that cost more than the statements saved,
 * and past 64 KiB SQLite writes it to a temporary file.  The rows are of
 * tuples new in this transaction, so no count row can hold their keys
 * (counts_flush checks that every row went in). */
static bool prepare_counts(mc_store *s, char *err, size_t errlen)
{
    mc_buf sql;
    mc_buf_init(&sql);
    mc_buf_adds(&sql, "INSERT OR IGNORE INTO count_rows (hour, tuple, recipient, count, first_seen, last_seen, sample)"
                      " VALUES ");
    for (int i = 0; i < COUNT_GROUP; i++)
        mc_buf_adds(&sql, i ? ",(?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?)");
    bool ok = prepare(s, sql.data, &s->insert_counts, err, errlen);
    mc_buf_free(&sql);
    return ok;
}

/* Writes the count rows held in s->pending: a full group in one statement
 * (insert_counts), fewer one by one (upsert_count_row). */
static bool counts_flush(mc_store *s, char *err, size_t errlen)
{
    size_t n = s->n_pending;
    s->n_pending = 0;
    if (n < COUNT_GROUP) {
        bool ok = true;
        for (size_t i = 0; ok && i < n; i++) {
            const struct count_pending *c = &s->pending[i];
            ok = upsert_count_row(s, c->hour, c->tuple, c->recipient, c->count, c->first, c->last, c->sample, err,
                                  errlen);
        }
        return ok;
    }
    sqlite3_stmt *st = s->insert_counts;
    for (size_t i = 0; i < n; i++) {
        const struct count_pending *c = &s->pending[i];
        int at = (int)i * 7;
        if (!bound_again(&s->group_hour[i], c->hour, strlen(c->hour)))
            sqlite3_bind_text(st, at + 1, c->hour, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, at + 2, c->tuple);
        sqlite3_bind_text(st, at + 3, c->recipient, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, at + 4, (sqlite3_int64)c->count);
        sqlite3_bind_text(st, at + 5, c->first, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, at + 6, c->last, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, at + 7, c->sample, -1, SQLITE_STATIC);
    }
    if (!step_done(s, st, err, errlen))
        return false;
    /* A row ignored: its key was there, a count row of a tuple that was not
     * (a database changed by hand).  Adding to it, as the upsert would, is
     * not possible here: the batch is refused whole. */
    if (sqlite3_changes(s->db) != (int)n) {
        snprintf(err, errlen, "database: count_rows holds rows of a tuple id missing from tuples (near %lld):"
                              " a damaged database", (long long)s->pending[0].tuple);
        return false;
    }
    return true;
}

/* write_count for flush_batch: a row of a tuple this transaction wrote
 * (fresh) is held for the group insert, any other upserted now.  The
 * times are formatted here (most rows are one event: one time, formatted
 * once). */
static bool write_count_grouped(mc_store *s, const mc_agg_entry *e, uint64_t hash, char *err, size_t errlen)
{
    if (s->pending == NULL)
        s->pending = mc_xcalloc(COUNT_GROUP, sizeof *s->pending);
    struct count_pending *c = &s->pending[s->n_pending];
    mc_time_format_memo(&s->row_time, &e->first, c->first, sizeof c->first);
    if (time_same(&e->first, &e->last))
        memcpy(c->last, c->first, sizeof c->last);
    else
        mc_time_format_memo(&s->row_time, &e->last, c->last, sizeof c->last);
    int64_t id = 0;
    bool fresh;
    if (!tuple_id(s, e->dims, hash, &id, &fresh, err, errlen))
        return false;
    if (!fresh)
        return upsert_count_row(s, e->dims[DIM_HOUR], id, e->dims[DIM_RECIPIENT], e->count, c->first, c->last,
                                e->sample, err, errlen);
    if (s->insert_counts == NULL && !prepare_counts(s, err, errlen))
        return false;
    c->hour = e->dims[DIM_HOUR];
    c->recipient = e->dims[DIM_RECIPIENT];
    c->sample = e->sample;
    c->tuple = id;
    c->count = e->count;
    return ++s->n_pending < COUNT_GROUP || counts_flush(s, err, errlen);
}

static bool write_source(mc_store *s, mc_source *src, const char *path, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    const char *sql = src->id
        ? "UPDATE sources SET offset = ?1, path = ?2, fp_len = ?3, fp_hash = ?4,"
          " updated = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?5"
        : "INSERT INTO sources (offset, path, fp_len, fp_hash, updated)"
          " VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%SZ','now'))";
    if (!prepare(s, sql, &st, err, errlen))
        return false;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)src->offset);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, src->fp_len);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)src->fp_hash);
    if (src->id)
        sqlite3_bind_int64(st, 5, src->id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_error(s, "writing source position", err, errlen);
    if (!src->id)
        src->id = sqlite3_last_insert_rowid(s->db);
    return true;
}

/* The delay histograms of a batch, one per row of delays (its group): the
 * stored histogram read once, the batch's entries added into it in their
 * order, written back once.  The same sums in the same order as an upsert
 * per entry (so the same bits), for one read and one write per group
 * instead of a merging upsert per entry: nearly every delivery is an entry
 * of its own (the recipient), and a group holds hundreds.  The group is
 * kept as cells while it is summed, not as the stored blob: merging each
 * entry into the blob copied the whole group every time (a tenth of a
 * Postfix ingest's instructions). */
typedef struct {
    uint64_t hash;
    size_t key_off, key_len; /* its values in keys */
    const mc_agg_entry *entry; /* the first entry of the group: its values */
    mc_delay_cells cells;    /* in bucket order */
} delay_group;

/* The key of an entry's delay group: its values, each ended by a NUL. */
static void delay_key(const mc_agg_entry *e, mc_buf *key)
{
    mc_buf_reset(key);
    for (size_t d = 0; d < N_DELAY_DIMS; d++)
        mc_buf_add(key, e->dims[delay_dims[d]], strlen(e->dims[delay_dims[d]]) + 1);
}

/* n little-endian bytes at p. */
static uint64_t le_bytes(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* The stored form of a histogram (delays.h: bucket u16, count u64, sum and
 * max as doubles, little-endian, by bucket) into c; false when it is not
 * one: a length that is not whole cells, a bucket out of range or out of
 * order, no count, a negative sum or maximum. */
static bool cells_of_blob(const unsigned char *p, size_t n, mc_delay_cells *c)
{
    if (n % MC_DELAY_CELL_BYTES)
        return false;
    c->n = 0;
    for (size_t i = 0; i < n / MC_DELAY_CELL_BYTES; i++, p += MC_DELAY_CELL_BYTES) {
        uint64_t sum = le_bytes(p + 10, 8), max = le_bytes(p + 18, 8);
        mc_delay_cell x = {.bucket = (uint16_t)le_bytes(p, 2), .count = le_bytes(p + 2, 8)};
        memcpy(&x.sum, &sum, sizeof x.sum);
        memcpy(&x.max, &max, sizeof x.max);
        if (x.bucket >= (MC_DELAY_PARTS + 1) * MC_DELAY_BUCKETS || x.count == 0 || !(x.sum >= 0) ||
            !(x.max >= 0) || (c->n > 0 && c->cells[c->n - 1].bucket >= x.bucket))
            return false;
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 16;
            c->cells = mc_xrealloc(c->cells, c->cap * sizeof *c->cells);
        }
        c->cells[c->n++] = x;
    }
    return true;
}

/* Adds the cells of add into into, both in bucket order: a cell of both
 * sums as delay_blob_merge sums a stored histogram (into's) and an
 * entry's, so the bits are the same. */
static void cells_merge(mc_delay_cells *into, const mc_delay_cells *add)
{
    size_t at = 0;
    for (size_t j = 0; j < add->n; j++) {
        const mc_delay_cell *y = &add->cells[j];
        while (at < into->n && into->cells[at].bucket < y->bucket)
            at++;
        if (at < into->n && into->cells[at].bucket == y->bucket) {
            mc_delay_cell *x = &into->cells[at];
            x->count += y->count;
            x->sum += y->sum;
            x->max = y->max > x->max ? y->max : x->max;
            continue;
        }
        if (into->n == into->cap) {
            into->cap = into->cap ? 2 * into->cap : 16;
            into->cells = mc_xrealloc(into->cells, into->cap * sizeof *into->cells);
        }
        memmove(&into->cells[at + 1], &into->cells[at], (into->n - at) * sizeof *into->cells);
        into->cells[at] = *y;
        into->n++;
    }
}

/* The stored histogram of the group of e into c (empty when none). */
static bool read_delays(mc_store *s, const mc_agg_entry *e, mc_delay_cells *c, char *err, size_t errlen)
{
    c->n = 0;
    if (s->find_delay == NULL &&
        !prepare(s,
                 "SELECT hist FROM delays WHERE hour = ? AND mta = ? AND host = ? AND direction = ?"
                 " AND status = ? AND class = ? AND domain = ? AND relay = ?",
                 &s->find_delay, err, errlen))
        return false;
    sqlite3_stmt *st = s->find_delay;
    for (size_t d = 0; d < N_DELAY_DIMS; d++)
        sqlite3_bind_text(st, (int)d + 1, e->dims[delay_dims[d]], -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    bool ok = rc != SQLITE_ROW || sqlite3_column_blob(st, 0) == NULL ||
              cells_of_blob(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), c);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(s, "reading delays", err, errlen);
    if (!ok)
        snprintf(err, errlen, "database: the delays table holds a corrupt histogram");
    return ok;
}

/* Writes the delay histograms of the batch's entries, a row per group. */
static bool write_delays(mc_store *s, const mc_aggregate *a, char *err, size_t errlen)
{
    delay_group *groups = NULL;
    size_t n = 0, cap = 0, n_slots = 0;
    uint32_t *slots = NULL; /* index + 1 into groups */
    mc_buf keys, key, blob;
    mc_buf_init(&keys), mc_buf_init(&key), mc_buf_init(&blob);
    bool ok = true;
    for (size_t i = 0; ok && i < aggregate_size(a); i++) {
        const mc_agg_entry *e = aggregate_entry(a, i);
        if (e->delays.n == 0)
            continue;
        if (2 * (n + 1) > n_slots) { /* grow and rehash */
            n_slots = n_slots ? 2 * n_slots : 256;
            free(slots);
            slots = mc_xcalloc(n_slots, sizeof *slots);
            for (size_t g = 0; g < n; g++) {
                size_t j = groups[g].hash & (n_slots - 1);
                while (slots[j])
                    j = (j + 1) & (n_slots - 1);
                slots[j] = (uint32_t)g + 1;
            }
        }
        delay_key(e, &key);
        uint64_t h = mem_hash(key.data, key.len);
        size_t j = h & (n_slots - 1);
        for (; slots[j]; j = (j + 1) & (n_slots - 1)) {
            const delay_group *g = &groups[slots[j] - 1];
            if (g->hash == h && g->key_len == key.len && memcmp(keys.data + g->key_off, key.data, key.len) == 0)
                break;
        }
        if (slots[j] == 0) {
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                groups = mc_xrealloc(groups, cap * sizeof *groups);
            }
            delay_group *g = &groups[n];
            *g = (delay_group){.hash = h, .key_off = keys.len, .key_len = key.len, .entry = e};
            mc_buf_add(&keys, key.data, key.len);
            slots[j] = (uint32_t)++n;
            ok = read_delays(s, e, &g->cells, err, errlen);
        }
        if (ok)
            cells_merge(&groups[slots[j] - 1].cells, &e->delays);
    }
    for (size_t i = 0; ok && i < n; i++) {
        sqlite3_stmt *st = s->upsert_delay;
        for (size_t d = 0; d < N_DELAY_DIMS; d++)
            sqlite3_bind_text(st, (int)d + 1, groups[i].entry->dims[delay_dims[d]], -1, SQLITE_STATIC);
        delay_cells_encode(&groups[i].cells, &blob);
        sqlite3_bind_blob(st, N_DELAY_DIMS + 1, blob.data, (int)blob.len, SQLITE_STATIC);
        ok = step_done(s, st, err, errlen);
    }
    for (size_t i = 0; i < n; i++)
        delay_cells_free(&groups[i].cells);
    free(groups);
    free(slots);
    mc_buf_free(&keys), mc_buf_free(&key), mc_buf_free(&blob);
    return ok;
}

/* Opens the batch's transaction, unless it is open already. */
static bool begin_txn(mc_store *s, char *err, size_t errlen)
{
    if (s->in_txn)
        return true;
    if (!exec(s, "BEGIN IMMEDIATE", err, errlen))
        return false;
    s->in_txn = true;
    s->failures_added = false;
    return true;
}

/* Commits the batch's transaction (ok) or rolls it back; false when it is
 * not committed.  A rollback takes the tuples it wrote along: the cache of
 * their ids is dropped. */
static bool end_txn(mc_store *s, bool ok, char *err, size_t errlen)
{
    failure_list_reset(&s->out); /* written by now, or rolled back with the batch */
    if (!s->in_txn)
        return ok;
    if (ok)
        ok = exec(s, "COMMIT", err, errlen);
    if (!ok) {
        char ignored[256];
        exec(s, "ROLLBACK", ignored, sizeof ignored);
        tuple_cache_clear(s);
    }
    s->in_txn = false;
    s->failures_added = false;
    return ok;
}

/* A count row's place in its batch's writes: its tuple's id as first
 * tried (hour number and hash), then its place in the aggregate. */
struct write_order {
    uint64_t id, hash;
    size_t entry;
};

#define ORDER_DIGIT_BITS 11 /* a pass of the sort reads this many bits of the ids */
#define ORDER_DIGITS 6       /* passes for 64 bits */

/* Sorts the n rows of s->order (met in entry order) by id, rows of one id
 * kept in entry order: by id, then by entry.  A radix sort, eleven bits a
 * pass from the lowest, each pass stable; a pass whose bits every id
 * shares (the hour's, mostly) is skipped.  qsort's call of a compare per
 * step cost some 800 instructions a row. */
static void order_sort(mc_store *s, size_t n)
{
    size_t(*counts)[1u << ORDER_DIGIT_BITS] = mc_xcalloc(ORDER_DIGITS, sizeof *counts);
    const uint64_t mask = (1u << ORDER_DIGIT_BITS) - 1;
    for (size_t i = 0; i < n; i++)
        for (int p = 0; p < ORDER_DIGITS; p++)
            counts[p][(s->order[i].id >> (p * ORDER_DIGIT_BITS)) & mask]++;
    struct write_order *from = s->order, *to = s->order_tmp;
    for (int p = 0; p < ORDER_DIGITS; p++) {
        int shift = p * ORDER_DIGIT_BITS;
        size_t *c = counts[p];
        if (c[(from[0].id >> shift) & mask] == n)
            continue; /* one digit for all */
        size_t at = 0;
        for (size_t d = 0; d <= mask; d++) {
            size_t k = c[d];
            c[d] = at;
            at += k;
        }
        for (size_t i = 0; i < n; i++)
            to[c[(from[i].id >> shift) & mask]++] = from[i];
        struct write_order *t = from;
        from = to, to = t;
    }
    if (from != s->order)
        memcpy(s->order, from, n * sizeof *from);
    free(counts);
}

/* Orders the aggregate's entries by the id their tuple is first tried
 * under, which is also the order of their count rows' keys (hour, then
 * tuple): each table is then written from left to right, a page at a
 * time, instead of all over an hour's pages.  Only the order of the
 * writes changes; each row gets the same values.  Returns the entries. */
static size_t count_order(mc_store *s, const mc_aggregate *a)
{
    size_t n = aggregate_size(a);
    if (n > s->order_cap) {
        s->order_cap = n;
        s->order = mc_xrealloc(s->order, n * sizeof *s->order);
        s->order_tmp = mc_xrealloc(s->order_tmp, n * sizeof *s->order_tmp);
    }
    size_t i = 0;
    for (; i + 4 <= n; i += 4) { /* four hashes side by side (tuple_key_hash4) */
        const char *const *dims[4];
        int64_t hours[4];
        uint64_t h[4];
        for (int k = 0; k < 4; k++) {
            dims[k] = aggregate_entry(a, i + (size_t)k)->dims;
            hours[k] = tuple_hour_of(s, dims[k][DIM_HOUR]);
        }
        tuple_key_hash4(hours, dims, h);
        for (int k = 0; k < 4; k++)
            s->order[i + (size_t)k] = (struct write_order){tuple_id_try(hours[k], h[k], 0), h[k], i + (size_t)k};
    }
    for (; i < n; i++) {
        const char *const *dims = aggregate_entry(a, i)->dims;
        int64_t hour = tuple_hour_of(s, dims[DIM_HOUR]);
        uint64_t h = tuple_key_hash(hour, dims);
        s->order[i] = (struct write_order){tuple_id_try(hour, h, 0), h, i};
    }
    if (n > 1)
        order_sort(s, n);
    return n;
}

/* How many rows ahead of the one being written flush_batch asks memory
 * for an entry (PREFETCH_ENTRY) and then for its values (PREFETCH_VALUES,
 * read from the entry by then). */
#define PREFETCH_ENTRY 16
#define PREFETCH_VALUES 8

/* Asks memory for the row's entry (the lines up to its sample: the rest,
 * the lengths and delays, flush_batch does not read), or for the values
 * its dims and sample point to and the tuple cache's slot.  The rows are
 * written in the order of their ids, i.e. all over the aggregate, which
 * the loop's thread filled on another core, and each probes a random slot
 * of the 2 MB cache: cache misses the writer waited for (perf: two thirds
 * of flush_batch's samples at the entry's first read, half of
 * write_count's at the slot, strcmp at the hour text).  A hint only:
 * nothing is read here that the write does not read, and no answer can
 * change. */
static void prefetch_row(const mc_store *s, const mc_aggregate *a, const struct write_order *o, bool values)
{
    const mc_agg_entry *e = aggregate_entry(a, o->entry);
    if (!values) {
        const char *p = (const char *)e, *end = (const char *)(&e->sample + 1);
        for (; p < end; p += 64)
            __builtin_prefetch(p);
        __builtin_prefetch(end - 1);
        return;
    }
    for (int d = 0; d < DIM_COUNT; d++)
        __builtin_prefetch(e->dims[d]);
    __builtin_prefetch(e->sample);
    if (s->tuple_slots) /* the tuple cache's slot its hash probes first (tuple_slot_of) */
        __builtin_prefetch(&s->tuple_slots[o->hash & (s->n_slots - 1)]);
}

/* Writes a batch (its failure blocks handed over to s->out) in one
 * transaction: store_flush's work, on the caller's thread or the writer's. */
static bool flush_batch(mc_store *s, const mc_aggregate *a, mc_source *src, const char *path, char *err,
                        size_t errlen)
{
    if (s->read_only) {
        snprintf(err, errlen, "database: opened read-only");
        failure_list_reset(&s->out);
        return false;
    }
    if (!begin_txn(s, err, errlen)) {
        failure_list_reset(&s->out);
        return false;
    }
    bound_forget(s); /* the last flush's values were its aggregate's: gone */
    s->n_pending = 0;  /* and so were the rows a failed flush held */
    bool track = src != NULL && src->fp_len > 0;
    int64_t id_before = track ? src->id : 0;
    bool ok = !track || source_moved(s, src, &src->lost, err, errlen);
    if (ok && track && src->lost) {
        snprintf(err, errlen, "database: %s: another ingest has read this file further", path);
        ok = false;
    }
    size_t n = ok ? count_order(s, a) : 0;
    for (size_t i = 0; ok && i < n; i++) {
        if (i + PREFETCH_ENTRY < n)
            prefetch_row(s, a, &s->order[i + PREFETCH_ENTRY], false);
        if (i + PREFETCH_VALUES < n)
            prefetch_row(s, a, &s->order[i + PREFETCH_VALUES], true);
        ok = write_count_grouped(s, aggregate_entry(a, s->order[i].entry), s->order[i].hash, err, errlen);
    }
    if (s->n_pending)
        ok = counts_flush(s, err, errlen) && ok;
    for (size_t i = 0; ok && i < aggregate_line_buckets(a); i++) {
        const mc_line_count *b = aggregate_line_bucket(a, i);
        sqlite3_stmt *st = s->upsert_lines;
        sqlite3_bind_text(st, 1, b->hour, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)b->lines);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)b->skipped);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)b->unrecognised);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)b->retry_skips);
        const uint64_t fig[N_MSG_COLUMNS] = {b->msg.received, b->msg.generated, b->msg.delivered,
                                             b->msg.deferred, b->msg.bounced, b->msg.expired,
                                             b->msg.rejected, b->msg.evicted, b->msg.bytes_received,
                                             b->msg.bytes_delivered};
        for (int j = 0; j < N_MSG_COLUMNS; j++)
            sqlite3_bind_int64(st, 6 + j, (sqlite3_int64)fig[j]);
        ok = step_done(s, st, err, errlen);
    }
    for (size_t i = 0; ok && i < aggregate_shapes(a); i++) {
        const mc_shape_count *c = aggregate_shape_at(a, i);
        sqlite3_stmt *st = s->upsert_shape;
        sqlite3_bind_text(st, 1, c->hour, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, c->shape, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)c->count);
        ok = step_done(s, st, err, errlen);
    }
    ok = ok && write_delays(s, a, err, errlen);
    ok = ok && flush_warnings(s, a, err, errlen);
    if (ok && s->flush_hook)
        ok = s->flush_hook(s, s->flush_ctx, err, errlen);
    if (ok && track)
        ok = write_source(s, src, path, err, errlen);
    if (ok && track) /* an ingest into a database (files into a report are not tracked) */
        ok = store_mark_ingest(s, err, errlen);
    ok = ok && failures_write(s, err, errlen);
    if (ok && s->failures_added)
        ok = prune_failures(s, err, errlen);
    ok = end_txn(s, ok, err, errlen);
    if (!ok) {
        if (track && !src->lost)
            src->id = id_before; /* an inserted row was rolled back too */
    } else if (track) {
        src->committed = src->offset;
    }
    return ok;
}

bool store_flush(mc_store *s, const mc_aggregate *a, mc_source *src, const char *path, char *err,
                 size_t errlen)
{
    if (!store_flush_wait(s, NULL, err, errlen)) /* a batch handed to the writer comes first */
        return false;
    failures_hand_over(s);
    return flush_batch(s, a, src, path, err, errlen);
}

/* ---- the writer thread ------------------------------------------------- */

/* One batch at a time goes from the caller (ingest's loop) to the writer,
 * which writes it (flush_batch) while the caller reads the next.  Each
 * side keeps to its own part of the handle: the caller packs failure
 * events into s->fill, the writer uses the SQLite connection, its
 * statements and caches, and s->out; the hand-over and the wait go
 * through the mutex, so the one connection is never used by two threads
 * at once. */
struct store_writer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool running;         /* the thread exists */
    bool posted, done, quit;
    bool in_flight;       /* a batch was handed over and not yet waited for */
    mc_aggregate *a;      /* the batch's aggregate (cleared when written) */
    mc_source src;        /* its source position (track) */
    bool track;
    mc_buf path;          /* its path, NUL-ended */
    bool ok;
    char err[1024];
};

/* Writes the batch posted in w (on whichever thread runs it). */
static void writer_run(mc_store *s, struct store_writer *w)
{
    w->ok = flush_batch(s, w->a, w->track ? &w->src : NULL, w->path.data, w->err, sizeof w->err);
    aggregate_clear(w->a);
}

/* The writer thread: a batch at a time, until told to quit. */
static void *writer_main(void *arg)
{
    mc_store *s = arg;
    struct store_writer *w = s->writer;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->posted && !w->quit)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->posted)
            break;
        w->posted = false;
        pthread_mutex_unlock(&w->mu);
        writer_run(s, w);
        pthread_mutex_lock(&w->mu);
        w->done = true;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void checkpointer_stop(mc_store *s);

/* Ends the writer thread (after the batch posted, if any), then the
 * checkpointer. */
static void writer_stop(mc_store *s)
{
    struct store_writer *w = s->writer;
    if (w == NULL)
        return;
    if (w->running) {
        pthread_mutex_lock(&w->mu);
        w->quit = true;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    checkpointer_stop(s);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    mc_buf_free(&w->path);
    free(w);
    s->writer = NULL;
}

/* ---- the checkpointer thread -------------------------------------------- */

/* While the writer thread writes batches into a database file, a thread of
 * its own with a connection of its own copies the WAL into the database
 * (a checkpoint) instead of the connection that commits: SQLite's
 * automatic checkpoint ran on the writer, right after the commit that
 * passed 1,000 pages, and the writer waited for its page copies and its two
 * fdatasync calls (a 200 MB Exim ingest: 45 syncs, about a second off the
 * CPU of the thread that bounds the run's wall; docs/BENCHMARKS.md,
 * ingest7).  A checkpoint is PASSIVE: it copies what no reader needs and
 * never waits for the writer, which goes on committing into the WAL
 * meanwhile; what each commit made durable is the same as before (the
 * checkpoint moves committed pages; a SIGKILL or a crash during one is
 * SQLite's to recover, as it was on the writer).  The last connection to
 * close (the writer's) copies what is left, as before. */
struct store_checkpointer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool asked, quit;
    sqlite3 *db;
    int pages; /* of WAL after a commit that ask for a checkpoint */
    size_t done; /* checkpoints that copied pages (for tests) */
};

/* SQLite's hook after each commit of the writer's connection (pages: the
 * WAL's): past the threshold, asks the checkpointer.  It replaces
 * SQLite's automatic checkpoint on that connection. */
static int wal_committed(void *ctx, sqlite3 *db, const char *name, int pages)
{
    (void)db, (void)name;
    struct store_checkpointer *c = ctx;
    if (pages >= c->pages) {
        pthread_mutex_lock(&c->mu);
        c->asked = true;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
    return SQLITE_OK;
}

/* The checkpointer thread: a checkpoint each time it is asked, until told
 * to quit.  A checkpoint that cannot run now (another process's, a reader
 * on the pages) or fails leaves the pages in the WAL, where every reader
 * finds them: the next commit asks again, and the last close copies them. */
static void *checkpointer_main(void *arg)
{
    struct store_checkpointer *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->asked && !c->quit)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->quit)
            break;
        c->asked = false;
        pthread_mutex_unlock(&c->mu);
        int in_wal = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &in_wal, &copied);
        pthread_mutex_lock(&c->mu);
        c->done += rc == SQLITE_OK && copied > 0;
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Starts the checkpointer for s's database file (none for a temporary
 * database, or when its connection or thread cannot be had: SQLite's
 * automatic checkpoint on the writer's connection stays then). */
static void checkpointer_start(mc_store *s)
{
    const char *file = sqlite3_db_filename(s->db, "main");
    if (s->read_only || file == NULL || file[0] == '\0' || s->ckpt_pages <= 0)
        return;
    struct store_checkpointer *c = mc_xcalloc(1, sizeof *c);
    c->pages = s->ckpt_pages;
    /* The file the writer has open (its full name): not created, nor found
     * again through the path the user gave. */
    /* A read of the schema makes the new connection find the WAL (a
     * connection learns the file's journal mode at its first
     * transaction): until then its checkpoints are no-ops that say
     * SQLITE_OK. */
    if (sqlite3_open_v2(file, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL; SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) !=
            SQLITE_OK) {
        sqlite3_close(c->db);
        free(c);
        return;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        sqlite3_close(c->db);
        free(c);
        return;
    }
    s->ckpt = c;
    sqlite3_wal_hook(s->db, wal_committed, c);
}

/* Ends the checkpointer (a checkpoint under way finishes first) and puts
 * SQLite's automatic checkpoint back on the writer's connection. */
static void checkpointer_stop(mc_store *s)
{
    struct store_checkpointer *c = s->ckpt;
    if (c == NULL)
        return;
    sqlite3_wal_autocheckpoint(s->db, CHECKPOINT_PAGES); /* the hook goes: c is not used again */
    pthread_mutex_lock(&c->mu);
    c->quit = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    sqlite3_close(c->db);
    free(c);
    s->ckpt = NULL;
}

size_t store_checkpoints(mc_store *s)
{
    struct store_checkpointer *c = s->ckpt;
    if (c == NULL)
        return 0;
    pthread_mutex_lock(&c->mu);
    size_t n = c->done;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void store_set_checkpoint_pages(mc_store *s, int pages) { s->ckpt_pages = pages; }

void store_flush_start(mc_store *s, mc_aggregate *a, const mc_source *src, const char *path)
{
    char ignored[64];
    store_flush_wait(s, NULL, ignored, sizeof ignored); /* one batch in flight (the caller waited) */
    if (s->writer == NULL) {
        struct store_writer *w = mc_xcalloc(1, sizeof *w);
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cv, NULL);
        s->writer = w;
        /* With no thread to be had, the caller's thread writes. */
        w->running = pthread_create(&w->thread, NULL, writer_main, s) == 0;
        if (w->running)
            checkpointer_start(s);
    }
    struct store_writer *w = s->writer;
    failures_hand_over(s);
    w->a = a;
    w->track = src != NULL;
    if (src)
        w->src = *src;
    mc_buf_reset(&w->path);
    mc_buf_add(&w->path, path, strlen(path));
    mc_buf_addc(&w->path, '\0');
    w->in_flight = true;
    if (!w->running) {
        writer_run(s, w);
        w->done = true;
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->posted = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

bool store_flush_wait(mc_store *s, mc_source *src, char *err, size_t errlen)
{
    struct store_writer *w = s->writer;
    if (w == NULL || !w->in_flight)
        return true;
    if (w->running) {
        pthread_mutex_lock(&w->mu);
        while (!w->done)
            pthread_cond_wait(&w->cv, &w->mu);
        pthread_mutex_unlock(&w->mu);
    }
    w->done = w->in_flight = false;
    if (src && w->track) {
        src->id = w->src.id;
        src->lost = w->src.lost;
        src->committed = w->src.committed;
    }
    if (w->ok)
        return true;
    snprintf(err, errlen, "%s", w->err);
    if (w->track && w->src.lost) /* the batch being read goes with the batch lost */
        failure_list_reset(&s->fill);
    return false;
}

bool store_messages_read(mc_store *s, mc_message_fn fn, void *ctx, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (!prepare(s, "SELECT key, sender, size, first, last, flags FROM messages_in_flight", &st, err, errlen))
        return false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        if (key == NULL)
            continue;
        mc_message_state m = {.key = key, .sender = (const char *)sqlite3_column_text(st, 1),
                              .size = sqlite3_column_int64(st, 2), .first = sqlite3_column_int64(st, 3),
                              .last = sqlite3_column_int64(st, 4), .flags = (unsigned)sqlite3_column_int64(st, 5)};
        if (!fn(&m, ctx))
            break;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(s, "reading messages in flight", err, errlen);
    return true;
}

void store_set_flush_hook(mc_store *s, mc_flush_hook fn, void *ctx)
{
    s->flush_hook = fn;
    s->flush_ctx = ctx;
}

bool store_message_put(mc_store *s, const mc_message_state *m, char *err, size_t errlen)
{
    if (s->put_message == NULL &&
        !prepare(s, "INSERT OR REPLACE INTO messages_in_flight (key, sender, size, first, last, flags)"
                    " VALUES (?,?,?,?,?,?)", &s->put_message, err, errlen))
        return false;
    sqlite3_stmt *st = s->put_message;
    sqlite3_bind_text(st, 1, m->key, -1, SQLITE_STATIC);
    if (m->sender)
        sqlite3_bind_text(st, 2, m->sender, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, m->size);
    sqlite3_bind_int64(st, 4, m->first);
    sqlite3_bind_int64(st, 5, m->last);
    sqlite3_bind_int64(st, 6, m->flags);
    return step_done(s, st, err, errlen);
}

bool store_message_delete(mc_store *s, const char *key, char *err, size_t errlen)
{
    if (s->delete_message == NULL &&
        !prepare(s, "DELETE FROM messages_in_flight WHERE key = ?", &s->delete_message, err, errlen))
        return false;
    sqlite3_bind_text(s->delete_message, 1, key, -1, SQLITE_STATIC);
    return step_done(s, s->delete_message, err, errlen);
}

/* ---- queries ---------------------------------------------------------- */

const char *store_key_expr(const char *key)
{
    const mc_by_key *k = by_key_find(key);
    return k ? k->column : NULL;
}

/* WHERE clause for a window: ?1 since, ?2 until (both bound, "" = open).
 * A range on the hour, so that the tables keyed by it read the window's
 * rows only: `(?1 = '' OR hour >= ?1)` let no index in, and every query
 * of a day's report read every hour the database holds.  An hour is a
 * text, never below '' and always below a blob (x'ff': SQLite orders
 * every text before every blob), so the open ends keep every row. */
static const char window_sql[] =
    " WHERE hour >= ?1 AND hour < CASE WHEN ?2 = '' THEN x'ff' ELSE ?2 END"
    " AND (?2 = '' OR hour <> '') AND (?1 = '' OR hour <> '')";

static void bind_window(sqlite3_stmt *st, const mc_window *w)
{
    sqlite3_bind_text(st, 1, w ? w->since : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, w ? w->until : "", -1, SQLITE_TRANSIENT);
}

/* Prepares a query built in sql (freed here) and binds the window to it. */
static bool prepare_windowed(mc_store *s, mc_buf *sql, const mc_window *w, sqlite3_stmt **st, char *err,
                             size_t errlen)
{
    bool ok = prepare(s, sql->data, st, err, errlen);
    mc_buf_free(sql);
    if (ok)
        bind_window(*st, w);
    return ok;
}

/* Appends the filter's conditions; its values are parameters ?3, ?4, ... */
static bool append_filter(mc_buf *sql, const mc_filter *f, char *err, size_t errlen)
{
    if (f == NULL)
        return true;
    if (f->problems_only)
        mc_buf_adds(sql, " AND class IN ('transient', 'permanent')");
    for (size_t i = 0; i < f->n && i < MC_FILTER_KEYS; i++) {
        const char *expr = store_key_expr(f->keys[i]);
        if (expr == NULL) {
            snprintf(err, errlen, "unknown key '%s'", f->keys[i]);
            return false;
        }
        mc_buf_printf(sql, " AND %s = ?%zu", expr, i + 3);
    }
    return true;
}

static void bind_filter(sqlite3_stmt *st, const mc_filter *f)
{
    for (size_t i = 0; f && i < f->n && i < MC_FILTER_KEYS; i++)
        sqlite3_bind_text(st, (int)i + 3, f->values[i], -1, SQLITE_TRANSIENT);
}

static bool have_tables(mc_store *s)
{
    return sqlite3_table_column_metadata(s->db, NULL, "count_rows", "count", NULL, NULL, NULL, NULL, NULL) ==
           SQLITE_OK;
}

bool store_last_hour(mc_store *s, char *buf, size_t len, char *err, size_t errlen)
{
    buf[0] = '\0';
    if (!have_tables(s))
        return true;
    sqlite3_stmt *st;
    if (!prepare(s, "SELECT max(hour) FROM counts WHERE hour <> ''", &st, err, errlen))
        return false;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? true : db_error(s, "reading hours", err, errlen);
}

/* Records that an ingest wrote to the database now (meta.last_ingest). */
bool store_mark_ingest(mc_store *s, char *err, size_t errlen)
{
    return exec(s, "INSERT INTO meta (key, value) VALUES ('last_ingest', strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value", err, errlen);
}

/* One text value of a one-row query with the window bound, into buf ("" for null). */
static bool query_text(mc_store *s, const char *sql, const mc_window *w, char *buf, size_t len, char *err,
                       size_t errlen)
{
    buf[0] = '\0';
    sqlite3_stmt *st;
    if (!prepare(s, sql, &st, err, errlen))
        return false;
    if (w)
        bind_window(st, w);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : db_error(s, "reading", err, errlen);
}

bool store_span(mc_store *s, const mc_window *w, char *first, char *last, size_t len, char *err, size_t errlen)
{
    first[0] = last[0] = '\0';
    if (!have_tables(s))
        return true;
    char sql[256]; /* both ends in one scan of the counts */
    snprintf(sql, sizeof sql, "SELECT min(first_seen), max(last_seen) FROM counts%s", window_sql);
    sqlite3_stmt *st;
    if (!prepare(s, sql, &st, err, errlen))
        return false;
    bind_window(st, w);
    int rc = sqlite3_step(st);
    char *const ends[2] = {first, last};
    for (int i = 0; i < 2 && rc == SQLITE_ROW; i++)
        if (sqlite3_column_text(st, i))
            snprintf(ends[i], len, "%s", (const char *)sqlite3_column_text(st, i));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : db_error(s, "reading", err, errlen);
}

bool store_lines(mc_store *s, const mc_window *w, uint64_t *lines, char *err, size_t errlen)
{
    *lines = 0;
    if (!have_tables(s))
        return true;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT coalesce(sum(lines), 0) FROM line_counts%s", window_sql);
    sqlite3_stmt *st;
    if (!prepare(s, sql, &st, err, errlen))
        return false;
    bind_window(st, w);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *lines = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? true : db_error(s, "reading totals", err, errlen);
}

bool store_last_ingest(mc_store *s, char *buf, size_t len, char *err, size_t errlen)
{
    buf[0] = '\0';
    if (sqlite3_table_column_metadata(s->db, NULL, "meta", "value", NULL, NULL, NULL, NULL, NULL) != SQLITE_OK)
        return true; /* a database from before schema 3, or a new one */
    return query_text(s, "SELECT value FROM meta WHERE key = 'last_ingest'", NULL, buf, len, err, errlen);
}

/* How many distinct values of column X the sent rows of the window have,
 * -1 when they all have '' (a subquery's text; %s: window_sql).  Every
 * value one row of v: count(*) > 0 and max(v) = '' means that there are
 * sent rows and that '' is their only value. */
#define DISTINCT_SENT(X)                                                                             \
    "CASE WHEN count(*) > 0 AND max(v) = '' THEN -1 ELSE count(nullif(v, '')) END FROM (SELECT " #X \
    " AS v FROM counts%s AND direction IN ('outbound', 'local') AND status = 'sent' GROUP BY " #X ")"

bool store_totals(mc_store *s, const mc_window *w, const mc_filter *f, mc_totals *t, char *err,
                  size_t errlen)
{
    memset(t, 0, sizeof *t);
    mc_buf sql;
    mc_buf_init(&sql);
    sqlite3_stmt *st = NULL;
    bool ok = true;
    /* A fresh database opened read-only has no tables yet: all zero. */
    if (!have_tables(s)) {
        mc_buf_free(&sql);
        return true;
    }
    /* The distinct senders and recipients of the sent mail, each from its
     * values grouped (one row a value): a GROUP BY sorts in sequential runs
     * that stay in a bounded memory, where count(DISTINCT) inserted every
     * row into a temporary b-tree at random, page by page through a 2 MB
     * cache to its temporary file (5.5 s of the 220 MB Exim database's
     * report, against 1.0 s; docs/BENCHMARKS.md, store7).  -1: the sent
     * rows have none (a report from files not counted by them). */
    mc_buf_printf(&sql, "SELECT coalesce(sum(lines),0), coalesce(sum(skipped),0),"
                        " coalesce(sum(unrecognised),0), coalesce(sum(retry_skips),0),"
                        " coalesce(sum(msg_received),0), coalesce(sum(msg_generated),0),"
                        " coalesce(sum(msg_delivered),0), coalesce(sum(msg_deferred),0),"
                        " coalesce(sum(msg_bounced),0), coalesce(sum(msg_expired),0),"
                        " coalesce(sum(msg_rejected),0), coalesce(sum(msg_evicted),0),"
                        " coalesce(sum(bytes_received),0), coalesce(sum(bytes_delivered),0),"
                        " (SELECT " DISTINCT_SENT(sender) "), (SELECT " DISTINCT_SENT(recipient) ")"
                        " FROM line_counts%s",
                  window_sql, window_sql, window_sql);
    if (!prepare(s, sql.data, &st, err, errlen)) {
        mc_buf_free(&sql);
        return false;
    }
    bind_window(st, w);
    if (sqlite3_step(st) == SQLITE_ROW) {
        t->lines = (uint64_t)sqlite3_column_int64(st, 0);
        t->skipped = (uint64_t)sqlite3_column_int64(st, 1);
        t->unrecognised = (uint64_t)sqlite3_column_int64(st, 2);
        t->retry_skips = (uint64_t)sqlite3_column_int64(st, 3);
        uint64_t *fig[] = {&t->msg.received, &t->msg.generated, &t->msg.delivered, &t->msg.deferred,
                           &t->msg.bounced, &t->msg.expired, &t->msg.rejected, &t->msg.evicted,
                           &t->msg.bytes_received, &t->msg.bytes_delivered, &t->senders, &t->recipients};
        for (size_t i = 0; i < sizeof fig / sizeof fig[0]; i++)
            *fig[i] = (uint64_t)sqlite3_column_int64(st, 4 + (int)i);
        /* Sent rows without their recipients (a report from files that did
         * not count by recipient): the number is not known. */
        int last = 4 + (int)(sizeof fig / sizeof fig[0]) - 1;
        t->senders_known = sqlite3_column_int64(st, last - 1) >= 0;
        t->recipients_known = sqlite3_column_int64(st, last) >= 0;
        if (!t->senders_known)
            t->senders = 0;
        if (!t->recipients_known)
            t->recipients = 0;
    } else {
        ok = db_error(s, "reading totals", err, errlen);
    }
    sqlite3_finalize(st);
    mc_buf_reset(&sql);
    /* The events by class, summed here row by row: a GROUP BY class sorted
     * every row of the window for five groups.  The sums are the same. */
    mc_buf_printf(&sql, "SELECT class, count, count * hard FROM counts%s", window_sql);
    ok = ok && append_filter(&sql, f, err, errlen);
    if (ok && prepare(s, sql.data, &st, err, errlen)) {
        bind_window(st, w);
        bind_filter(st, f);
        int rc;
        mc_buf last; /* the class text of the row before, and its class */
        mc_buf_init(&last);
        mc_class c = CLASS_UNKNOWN;
        bool have_last = false;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            size_t len = name ? (size_t)sqlite3_column_bytes(st, 0) : 0;
            if (name == NULL) {
                c = CLASS_UNKNOWN;
                have_last = false;
            } else if (!have_last || len != last.len || memcmp(name, last.data, len) != 0) {
                if (!mc_class_from_string(name, &c))
                    c = CLASS_UNKNOWN;
                mc_buf_reset(&last);
                mc_buf_add(&last, name, len);
                have_last = true;
            }
            uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
            t->by_class[c] += n;
            t->events += n;
            t->hard += (uint64_t)sqlite3_column_int64(st, 2);
        }
        mc_buf_free(&last);
        if (rc != SQLITE_DONE)
            ok = db_error(s, "reading totals", err, errlen);
        sqlite3_finalize(st);
    } else {
        ok = false;
    }
    mc_buf_free(&sql);
    return ok;
}

/* "SELECT expr AS k0, ..." of keys into sql (initialised here unless
 * *none, freed on an error); of_tuples: the tuples' columns (t.), for
 * store_tuple_rows.  *none: a fresh database without tables, no rows. */
static bool select_keys(mc_store *s, mc_buf *sql, const char *const *keys, size_t n_keys, bool of_tuples, bool *none,
                        char *err, size_t errlen)
{
    *none = false;
    if (n_keys > MC_MAX_KEYS) {
        snprintf(err, errlen, "too many --by keys");
        return false;
    }
    if (!have_tables(s)) {
        *none = true;
        return true;
    }
    mc_buf_init(sql);
    mc_buf_adds(sql, "SELECT ");
    for (size_t i = 0; i < n_keys; i++) {
        const mc_by_key *k = by_key_find(keys[i]);
        if (k == NULL || (of_tuples && (k->dim == DIM_HOUR || strcmp(k->column, "recipient") == 0))) {
            snprintf(err, errlen, of_tuples ? "key '%s' is not a column of the tuples" : "unknown key '%s'", keys[i]);
            mc_buf_free(sql);
            return false;
        }
        mc_buf_printf(sql, "%s%s AS k%zu, ", of_tuples ? "t." : "", k->column, i);
    }
    return true;
}

/* Steps st (the keys' values, class, count, and with times its first and
 * last time and sample), handing each row to fn; finalizes st. */
static bool emit_rows(mc_store *s, sqlite3_stmt *st, size_t n_keys, bool times, mc_row_fn fn, void *ctx,
                      char *err, size_t errlen)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        mc_row row;
        memset(&row, 0, sizeof row);
        for (size_t i = 0; i < n_keys; i++) {
            const unsigned char *v = sqlite3_column_text(st, (int)i);
            row.values[i] = v ? (const char *)v : "";
        }
        int c = (int)n_keys;
        row.klass = (const char *)sqlite3_column_text(st, c);
        row.count = (uint64_t)sqlite3_column_int64(st, c + 1);
        if (times) {
            row.first_seen = (const char *)sqlite3_column_text(st, c + 2);
            row.last_seen = (const char *)sqlite3_column_text(st, c + 3);
            row.sample = (const char *)sqlite3_column_text(st, c + 4);
        }
        if (!fn(&row, ctx))
            break;
    }
    bool ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (!ok)
        db_error(s, "reading rows", err, errlen);
    sqlite3_finalize(st);
    return ok;
}

/* ---- rows grouped in memory -------------------------------------------- */

/* A report's GROUP BY made SQLite sort every row of the window to get a
 * few groups (the Exim 200 MB database: 729,000 rows of about 100 bytes
 * through a sorter of 2 MB runs in a temporary file, for ten statuses).
 * While the groups are few they are summed here in a hash table over one
 * scan of the rows instead, and ordered as the query's ORDER BY would; past
 * group_bytes of them the query runs again as SQL's GROUP BY, whose
 * sorter spills in sequential runs: memory stays bounded whatever the
 * window.  Texts are ordered as SQLite's BINARY collation orders them (by
 * their bytes, then their length); a value that is not a text (no key
 * column of mailcodes holds one) sends the query to SQL. */

/* One group: its values (keys, then class) serialised by group_value_add,
 * its sum and, with times, its first and last time and largest sample. */
typedef struct {
    uint64_t hash, count;
    int rank;   /* failures first: 1 a failure class, 0 another */
    char *key;  /* the values: each a 4-byte length, its bytes and a NUL */
    size_t key_len;
    mc_str first, last, sample; /* owned copies, NUL-ended */
} mem_group;

typedef struct {
    mem_group *g;
    size_t n, cap;
    uint32_t *slots; /* a group's index + 1; 0: empty */
    size_t n_slots;  /* a power of two, at most half used */
    size_t bytes;    /* held, against the store's group_bytes */
    mc_buf key;      /* the row being read */
} mem_groups;

/* Appends text column i of st to the serialised key; false when it is
 * not a text. */
static bool group_value_add(mc_buf *key, sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) != SQLITE_TEXT)
        return false;
    const char *p = (const char *)sqlite3_column_text(st, i);
    uint32_t n = (uint32_t)sqlite3_column_bytes(st, i);
    mc_buf_add(key, (const char *)&n, sizeof n);
    mc_buf_add(key, p ? p : "", n);
    mc_buf_addc(key, '\0');
    return true;
}

/* Reads one serialised value at p: its text and length; the next value. */
static const char *group_value_read(const char *p, const char **text, uint32_t *n)
{
    memcpy(n, p, sizeof *n);
    *text = p + sizeof *n;
    return *text + *n + 1;
}

/* SQLite's BINARY order of two texts: memcmp, then the shorter first. */
static int binary_cmp(const char *p, size_t np, const char *q, size_t nq)
{
    int c = memcmp(p, q, np < nq ? np : nq);
    return c != 0 ? c : (np > nq) - (np < nq);
}

/* The order of two serialised value lists of the same keys. */
static int group_key_cmp(const mem_group *x, const mem_group *y)
{
    const char *p = x->key, *q = y->key, *pe = x->key + x->key_len;
    while (p < pe) {
        const char *sp, *sq;
        uint32_t np, nq;
        p = group_value_read(p, &sp, &np);
        q = group_value_read(q, &sq, &nq);
        int c = binary_cmp(sp, np, sq, nq);
        if (c != 0)
            return c;
    }
    return 0;
}

/* qsort order of the groups: the ORDER BY of store_rows and
 * store_tuple_rows (failures first when asked, the largest sum, then the
 * keys and the class); every group's values differ, so the order is total. */
static int by_group_order(const void *a, const void *b)
{
    const mem_group *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank > y->rank ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return group_key_cmp(x, y);
}

/* Frees the groups and their table. */
static void groups_free(mem_groups *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->g[i].key);
        free((char *)m->g[i].first.p);
        free((char *)m->g[i].last.p);
        free((char *)m->g[i].sample.p);
    }
    free(m->g);
    free(m->slots);
    mc_buf_free(&m->key);
    memset(m, 0, sizeof *m);
}

/* A copy of text column i into *into when it orders before (min) or after
 * (max) what is there, its bytes counted; false when it is not a text. */
static bool group_text_keep(mem_groups *m, mc_str *into, sqlite3_stmt *st, int i, bool max)
{
    if (sqlite3_column_type(st, i) != SQLITE_TEXT)
        return false;
    const char *p = (const char *)sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    if (into->p != NULL) {
        int c = binary_cmp(p, n, into->p, into->n);
        if (max ? c <= 0 : c >= 0)
            return true;
        m->bytes -= into->n + 1;
        free((char *)into->p);
    }
    char *copy = mc_xmalloc(n + 1);
    memcpy(copy, p, n);
    copy[n] = '\0';
    *into = (mc_str){copy, n};
    m->bytes += n + 1;
    return true;
}

/* The group of the key in m->key (hash h), made when new; NULL when a
 * new group would take the groups past limit bytes. */
static mem_group *group_find(mem_groups *m, uint64_t h, size_t limit)
{
    if (2 * (m->n + 1) > m->n_slots) { /* grow the table, keeping it at most half full */
        size_t n_slots = m->n_slots ? m->n_slots * 2 : 64;
        uint32_t *slots = mc_xcalloc(n_slots, sizeof *slots);
        for (size_t j = 0; j < m->n; j++) {
            size_t k = (size_t)m->g[j].hash & (n_slots - 1);
            while (slots[k])
                k = (k + 1) & (n_slots - 1);
            slots[k] = (uint32_t)j + 1;
        }
        m->bytes += (n_slots - m->n_slots) * sizeof *slots;
        free(m->slots);
        m->slots = slots;
        m->n_slots = n_slots;
    }
    size_t mask = m->n_slots - 1, i = (size_t)h & mask;
    for (; m->slots[i]; i = (i + 1) & mask) {
        mem_group *g = &m->g[m->slots[i] - 1];
        if (g->hash == h && g->key_len == m->key.len && memcmp(g->key, m->key.data, m->key.len) == 0)
            return g;
    }
    m->bytes += sizeof(mem_group) + m->key.len;
    if (m->bytes > limit || m->n >= UINT32_MAX / 4)
        return NULL;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->g = mc_xrealloc(m->g, m->cap * sizeof *m->g);
    }
    mem_group *g = &m->g[m->n];
    memset(g, 0, sizeof *g);
    g->hash = h;
    g->key = mc_xmalloc(m->key.len);
    memcpy(g->key, m->key.data, m->key.len);
    g->key_len = m->key.len;
    m->slots[i] = (uint32_t)++m->n;
    return g;
}

/* The rank of a row's class (a text) when failures come first (ORDER BY
 * class IN ('transient', 'permanent') DESC). */
static int group_rank(sqlite3_stmt *st, int i)
{
    const char *c = (const char *)sqlite3_column_text(st, i);
    int n = sqlite3_column_bytes(st, i); /* every byte compared, as SQL's IN does */
    return (n == 9 && memcmp(c, "transient", 9) == 0) || (n == 9 && memcmp(c, "permanent", 9) == 0);
}

/* Hands the groups, sorted, to fn: at most limit (0: all). */
static void groups_emit(mem_groups *m, size_t n_keys, bool times, size_t limit, mc_row_fn fn, void *ctx)
{
    if (m->n > 1)
        qsort(m->g, m->n, sizeof *m->g, by_group_order);
    size_t end = limit > 0 && limit < m->n ? limit : m->n;
    for (size_t k = 0; k < end; k++) {
        const mem_group *g = &m->g[k];
        mc_row row;
        memset(&row, 0, sizeof row);
        const char *p = g->key;
        for (size_t i = 0; i <= n_keys; i++) {
            const char *text;
            uint32_t len;
            p = group_value_read(p, &text, &len);
            if (i < n_keys)
                row.values[i] = text;
            else
                row.klass = text;
        }
        row.count = g->count;
        if (times) {
            row.first_seen = g->first.p;
            row.last_seen = g->last.p;
            row.sample = g->sample.p;
        }
        if (!fn(&row, ctx))
            break;
    }
}

/* Groups the rows of the scan st (the keys' values, class, count, and
 * with times the first and last time and the sample) by keys and class
 * in memory, and hands the groups to fn in the order of the query's ORDER
 * BY (failures first when asked; at most limit, 0: all).  Finalizes st.
 * 1: done; 0: an error (in err); -1: the groups passed the store's
 * group_bytes, or a value is of a type not ordered here: fn has seen
 * nothing, and the caller asks SQL's GROUP BY. */
static int group_in_memory(mc_store *s, sqlite3_stmt *st, size_t n_keys, bool times, bool problems_first,
                           size_t limit, mc_row_fn fn, void *ctx, char *err, size_t errlen)
{
    mem_groups m;
    memset(&m, 0, sizeof m);
    mc_buf_init(&m.key);
    int c = (int)n_keys, rc = SQLITE_DONE, res = 1;
    while (res == 1 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        mc_buf_reset(&m.key);
        for (int i = 0; res == 1 && i <= c; i++)
            if (!group_value_add(&m.key, st, i))
                res = -1;
        mem_group *g = NULL;
        if (res == 1 && sqlite3_column_type(st, c + 1) == SQLITE_INTEGER)
            g = group_find(&m, mem_hash(m.key.data, m.key.len), s->group_bytes);
        int64_t n = g ? sqlite3_column_int64(st, c + 1) : -1;
        /* a negative count or a sum past int64 (SQL's overflow error): SQL's to say */
        if (n < 0 || (uint64_t)n > (uint64_t)INT64_MAX - g->count) {
            res = -1;
            break;
        }
        g->count += (uint64_t)n;
        g->rank = problems_first ? group_rank(st, c) : 0;
        if (times && (!group_text_keep(&m, &g->first, st, c + 2, false) ||
                      !group_text_keep(&m, &g->last, st, c + 3, true) ||
                      !group_text_keep(&m, &g->sample, st, c + 4, true) || m.bytes > s->group_bytes))
            res = -1;
    }
    if (res == 1 && rc != SQLITE_DONE)
        res = db_error(s, "reading rows", err, errlen);
    sqlite3_finalize(st);
    if (res == 1) {
        groups_emit(&m, n_keys, times, limit, fn, ctx);
        s->grouped++;
    }
    groups_free(&m);
    return res;
}

bool store_rows(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys,
                const mc_filter *f, size_t limit, mc_row_fn fn, void *ctx, char *err, size_t errlen)
{
    mc_buf sql;
    bool none;
    if (!select_keys(s, &sql, keys, n_keys, false, &none, err, errlen))
        return false;
    if (none)
        return true;
    mc_buf scan; /* the same rows ungrouped, for group_in_memory */
    mc_buf_init(&scan);
    mc_buf_add(&scan, sql.data, sql.len);
    mc_buf_printf(&scan, "class, count, first_seen, last_seen, sample FROM counts%s", window_sql);
    mc_buf_printf(&sql, "class, sum(count) AS n, min(first_seen), max(last_seen), max(sample)"
                        " FROM counts%s", window_sql);
    if (!append_filter(&sql, f, err, errlen) || !append_filter(&scan, f, err, errlen)) {
        mc_buf_free(&sql);
        mc_buf_free(&scan);
        return false;
    }
    mc_buf_adds(&sql, " GROUP BY ");
    for (size_t i = 0; i < n_keys; i++)
        mc_buf_printf(&sql, "k%zu, ", i);
    mc_buf_adds(&sql, "class ORDER BY ");
    if (f && f->problems_first)
        mc_buf_adds(&sql, "class IN ('transient', 'permanent') DESC, ");
    mc_buf_adds(&sql, "n DESC");
    for (size_t i = 0; i < n_keys; i++)
        mc_buf_printf(&sql, ", k%zu", i);
    mc_buf_adds(&sql, ", class");
    if (limit > 0)
        mc_buf_printf(&sql, " LIMIT %zu", limit);
    sqlite3_stmt *st, *sc;
    if (!prepare_windowed(s, &sql, w, &st, err, errlen)) {
        mc_buf_free(&scan);
        return false;
    }
    bind_filter(st, f);
    /* By recipient a group is an address: past the bound, a wasted scan. */
    bool per_address = false;
    for (size_t i = 0; i < n_keys; i++)
        per_address = per_address || strcmp(keys[i], "recipient") == 0;
    if (s->group_bytes > 0 && !per_address) {
        if (!prepare_windowed(s, &scan, w, &sc, err, errlen)) {
            sqlite3_finalize(st);
            return false;
        }
        bind_filter(sc, f);
        int r = group_in_memory(s, sc, n_keys, true, f && f->problems_first, limit, fn, ctx, err, errlen);
        if (r >= 0) {
            sqlite3_finalize(st);
            return r == 1;
        }
    }
    mc_buf_free(&scan);
    return emit_rows(s, st, n_keys, true, fn, ctx, err, errlen);
}

bool store_tuple_rows(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys, mc_row_fn fn,
                      void *ctx, char *err, size_t errlen)
{
    mc_buf sql, scan;
    bool none;
    if (!select_keys(s, &sql, keys, n_keys, true, &none, err, errlen))
        return false;
    if (none)
        return true;
    /* The failures summed per tuple first (integer keys, count_rows alone),
     * then the few tuples grouped by their text: the same sums as grouping the view. */
    mc_buf_printf(&sql, "t.class, sum(c.n) AS n FROM (SELECT tuple, sum(count) AS n FROM count_rows%s"
                        " AND tuple IN (SELECT id FROM tuples WHERE class IN ('transient', 'permanent'))"
                        " GROUP BY tuple) c JOIN tuples t ON t.id = c.tuple"
                        " WHERE t.class IN ('transient', 'permanent') GROUP BY ", window_sql);
    for (size_t i = 0; i < n_keys; i++)
        mc_buf_printf(&sql, "k%zu, ", i);
    mc_buf_adds(&sql, "t.class ORDER BY n DESC");
    for (size_t i = 0; i < n_keys; i++)
        mc_buf_printf(&sql, ", k%zu", i);
    mc_buf_adds(&sql, ", t.class");
    sqlite3_stmt *st, *sc;
    if (!prepare_windowed(s, &sql, w, &st, err, errlen))
        return false;
    if (s->group_bytes > 0) {
        /* The failures of the view in memory while their groups are few:
         * the sums the tuple-first query gives (test_grouped_rows). */
        if (!select_keys(s, &scan, keys, n_keys, false, &none, err, errlen)) {
            sqlite3_finalize(st);
            return false;
        }
        mc_buf_printf(&scan, "class, count FROM counts%s AND class IN ('transient', 'permanent')", window_sql);
        if (!prepare_windowed(s, &scan, w, &sc, err, errlen)) {
            sqlite3_finalize(st);
            return false;
        }
        int r = group_in_memory(s, sc, n_keys, false, false, 0, fn, ctx, err, errlen);
        if (r >= 0) {
            sqlite3_finalize(st);
            return r == 1;
        }
    }
    return emit_rows(s, st, n_keys, false, fn, ctx, err, errlen);
}

bool store_unrecognised_top(mc_store *s, const mc_window *w, mc_shape_count *top, size_t n, size_t *found,
                            char *err, size_t errlen)
{
    *found = 0;
    /* A database from before the table, read-only: no shapes to show. */
    if (sqlite3_table_column_metadata(s->db, NULL, "unrecognised_shapes", "shape", NULL, NULL, NULL, NULL,
                                      NULL) != SQLITE_OK)
        return true;
    mc_buf sql;
    mc_buf_init(&sql);
    mc_buf_printf(&sql, "SELECT shape, sum(count) FROM unrecognised_shapes%s"
                        " GROUP BY shape ORDER BY 2 DESC, 1 LIMIT %zu", window_sql, n);
    sqlite3_stmt *st;
    if (!prepare_windowed(s, &sql, w, &st, err, errlen))
        return false;
    bool ok = true;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *found < n) {
        mc_shape_count *c = &top[(*found)++];
        c->hour[0] = '\0';
        const unsigned char *shape = sqlite3_column_text(st, 0);
        snprintf(c->shape, sizeof c->shape, "%s", shape ? (const char *)shape : "");
        c->count = (uint64_t)sqlite3_column_int64(st, 1);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        ok = db_error(s, "reading unrecognised shapes", err, errlen);
    sqlite3_finalize(st);
    return ok;
}

/* ---- delays ------------------------------------------------------------ */

/* Whether the delays table is there (a database written before it, or one
 * opened read-only before its first new ingest, has none). */
static bool have_delays(mc_store *s)
{
    return query_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'delays'") > 0;
}

bool store_delay_groups(mc_store *s, const mc_window *w, const char *const *keys, size_t n_keys,
                        bool by_class, mc_delay_fn fn, void *ctx, char *err, size_t errlen)
{
    if (n_keys > MC_MAX_KEYS) {
        snprintf(err, errlen, "too many --by keys");
        return false;
    }
    if (!have_delays(s))
        return true;
    mc_buf sql;
    mc_buf_init(&sql);
    mc_buf_adds(&sql, "SELECT ");
    for (size_t i = 0; i < n_keys; i++) {
        const mc_by_key *k = by_key_find(keys[i]);
        if (!by_key_has_delays(k)) {
            snprintf(err, errlen, "delays are not kept by '%s'", keys[i]);
            mc_buf_free(&sql);
            return false;
        }
        mc_buf_printf(&sql, "%s AS k%zu, ", k->column, i);
    }
    mc_buf_printf(&sql, "%s AS kc, hist FROM delays%s ORDER BY ", by_class ? "class" : "''", window_sql);
    for (size_t i = 0; i < n_keys; i++)
        mc_buf_printf(&sql, "k%zu, ", i);
    mc_buf_adds(&sql, "kc");
    sqlite3_stmt *st;
    if (!prepare_windowed(s, &sql, w, &st, err, errlen))
        return false;
    /* Rows come sorted by group: a group ends where its keys change. */
    mc_delay_hist *h = mc_xmalloc(sizeof *h);
    delay_hist_clear(h);
    char *group[MC_MAX_KEYS + 1] = {0};
    const char *values[MC_MAX_KEYS + 1];
    bool go = true, corrupt = false;
    int rc = SQLITE_DONE;
    while (go && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool same = h->n > 0;
        for (size_t i = 0; same && i <= n_keys; i++) {
            const unsigned char *v = sqlite3_column_text(st, (int)i);
            same = strcmp(group[i], v ? (const char *)v : "") == 0;
        }
        if (!same && h->n > 0) {
            for (size_t i = 0; i <= n_keys; i++)
                values[i] = group[i];
            go = fn(values, by_class ? values[n_keys] : NULL, h, ctx);
            delay_hist_clear(h);
        }
        if (!same) {
            for (size_t i = 0; i <= n_keys; i++) {
                const unsigned char *v = sqlite3_column_text(st, (int)i);
                free(group[i]);
                group[i] = mc_xstrdup(v ? (const char *)v : "");
            }
        }
        const unsigned char *blob = sqlite3_column_blob(st, (int)n_keys + 1);
        if (!delay_hist_add_blob(h, blob, blob ? (size_t)sqlite3_column_bytes(st, (int)n_keys + 1) : 0)) {
            snprintf(err, errlen, "database: the delays table holds a corrupt histogram");
            corrupt = true;
            break;
        }
    }
    bool ok = !corrupt && (!go || rc == SQLITE_DONE);
    if (ok && go && h->n > 0) {
        for (size_t i = 0; i <= n_keys; i++)
            values[i] = group[i];
        fn(values, by_class ? values[n_keys] : NULL, h, ctx);
    }
    if (!ok && !corrupt)
        db_error(s, "reading delays", err, errlen);
    sqlite3_finalize(st);
    for (size_t i = 0; i <= n_keys; i++)
        free(group[i]);
    free(h);
    return ok;
}

/* ---- the MTA's warnings (mtawarn.h) ------------------------------------ */

/* The warning groups per hour.  Like unrecognised_shapes, an added table
 * that older readers ignore, so no new schema version: created when the
 * first warning is stored.  At most MAX_WARNINGS_PER_HOUR groups per hour;
 * the lines of any further group count in their hour's "other" row (text
 * ''), so every warning line is counted and the table stays small. */
static const char warnings_sql[] =
    "CREATE TABLE IF NOT EXISTS mta_warnings ("
    " hour TEXT NOT NULL, mta TEXT NOT NULL, severity TEXT NOT NULL, text TEXT NOT NULL,"
    " count INTEGER NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, sample TEXT NOT NULL,"
    " PRIMARY KEY (hour, mta, severity, text)) WITHOUT ROWID";
#define MAX_WARNINGS_PER_HOUR "100"

/* Prepares the warning statements (and the table) on first use. */
static bool prepare_warnings(mc_store *s, char *err, size_t errlen)
{
    if (s->upsert_warning != NULL)
        return true;
    /* The sample follows the newest line: SET reads the row's old values. */
    return exec(s, warnings_sql, err, errlen) &&
           prepare(s,
                   "INSERT INTO mta_warnings (hour, mta, severity, text, count, first_seen, last_seen, sample)"
                   " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8"
                   " WHERE (SELECT count(*) FROM mta_warnings WHERE hour = ?1) < " MAX_WARNINGS_PER_HOUR
                   " OR EXISTS (SELECT 1 FROM mta_warnings WHERE hour = ?1 AND mta = ?2 AND severity = ?3"
                   " AND text = ?4)"
                   " ON CONFLICT DO UPDATE SET count = count + excluded.count,"
                   " first_seen = min(first_seen, excluded.first_seen),"
                   " sample = CASE WHEN excluded.last_seen >= last_seen THEN excluded.sample ELSE sample END,"
                   " last_seen = max(last_seen, excluded.last_seen)",
                   &s->upsert_warning, err, errlen) &&
           prepare(s,
                   "INSERT INTO mta_warnings (hour, mta, severity, text, count, first_seen, last_seen, sample)"
                   " VALUES (?1, ?2, ?3, '', ?5, ?6, ?7, '')"
                   " ON CONFLICT DO UPDATE SET count = count + excluded.count,"
                   " first_seen = min(first_seen, excluded.first_seen),"
                   " last_seen = max(last_seen, excluded.last_seen)",
                   &s->upsert_other_warning, err, errlen);
}

/* Writes the batch's warning groups, in the batch's transaction. */
static bool flush_warnings(mc_store *s, const mc_aggregate *a, char *err, size_t errlen)
{
    if (aggregate_warnings(a) == 0)
        return true;
    if (!prepare_warnings(s, err, errlen))
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < aggregate_warnings(a); i++) {
        const mc_warn_count *c = aggregate_warning_at(a, i);
        char first[48], last[48];
        mc_time_format(&c->first, first, sizeof first);
        mc_time_format(&c->last, last, sizeof last);
        sqlite3_stmt *st = s->upsert_warning;
        for (int pass = 0; ok && pass < 2; pass++) {
            sqlite3_bind_text(st, 1, c->hour, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, c->mta, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, c->severity, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, c->text, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 5, (sqlite3_int64)c->count);
            sqlite3_bind_text(st, 6, first, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 7, last, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 8, c->sample, -1, SQLITE_STATIC);
            ok = step_done(s, st, err, errlen);
            /* The hour had its fill of groups: count the lines as other. */
            if (!ok || sqlite3_changes(s->db) > 0)
                break;
            st = s->upsert_other_warning;
        }
    }
    return ok;
}

/* Every warning group of the window, most lines first. */
bool store_warnings(mc_store *s, const mc_window *w, size_t limit, mc_warn_fn fn, void *ctx, char *err,
                    size_t errlen)
{
    /* A database from before the table, or without a warning yet. */
    if (sqlite3_table_column_metadata(s->db, NULL, "mta_warnings", "text", NULL, NULL, NULL, NULL, NULL) !=
        SQLITE_OK)
        return true;
    mc_buf sql;
    mc_buf_init(&sql);
    mc_buf_printf(&sql,
                  "SELECT mta, severity, text, sum(count), min(first_seen), max(last_seen),"
                  " (SELECT x.sample FROM mta_warnings x WHERE x.mta = mta_warnings.mta"
                  " AND x.severity = mta_warnings.severity AND x.text = mta_warnings.text"
                  " AND (?1 = '' OR (x.hour >= ?1 AND x.hour <> '')) AND (?2 = '' OR (x.hour < ?2 AND x.hour <> ''))"
                  " ORDER BY x.last_seen DESC LIMIT 1)"
                  " FROM mta_warnings%s GROUP BY mta, severity, text ORDER BY 4 DESC, 1, 2, 3",
                  window_sql);
    if (limit)
        mc_buf_printf(&sql, " LIMIT %zu", limit);
    sqlite3_stmt *st;
    if (!prepare_windowed(s, &sql, w, &st, err, errlen))
        return false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *col[7];
        for (int i = 0; i < 7; i++) {
            col[i] = (const char *)sqlite3_column_text(st, i);
            if (col[i] == NULL)
                col[i] = "";
        }
        mc_warn_row row = {.mta = col[0], .severity = col[1], .text = col[2],
                           .count = (uint64_t)sqlite3_column_int64(st, 3), .first = col[4], .last = col[5],
                           .sample = col[6]};
        if (!fn(&row, ctx))
            break;
    }
    bool ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (!ok)
        db_error(s, "reading warnings", err, errlen);
    sqlite3_finalize(st);
    return ok;
}

/* ---- failure events --------------------------------------------------- */

/* Failure events for trace from the database (schema 6).  A batch's
 * events of one hour are packed into one row of failure_blocks: a blob
 * with a dictionary of the distinct strings of the block and the records
 * as indices into it, so a reply text, a relay, a sender repeated over
 * many recipients is stored once per block, and a batch costs SQLite one
 * insert per hour instead of one row and four index entries per event.
 * Trace reads the blocks of its window and matches its target against
 * each block's dictionary once, so a record costs a few varints to skip.
 * The retention drops whole blocks by their newest log time: an event is
 * kept at least the retention, and at most the hour of its block longer.
 * The index on the hour lets trace read only its window's blocks (added by
 * store8: made by the next ingest that writes a block; a database without
 * it is scanned, with the same answer).
 *
 * Blob: a format byte (1); varint n_strings, each string as varint length,
 * its bytes and a NUL; varint n_records, each record as zigzag varint at,
 * a flag byte (conflict 1, hard 2, inferred 4, reply offset follows 8),
 * [varint reply offset], then a varint per field of failure_field: 0 null,
 * i the dictionary's string i - 1. */
static const char failures_sql[] =
    "CREATE TABLE IF NOT EXISTS failure_blocks ("
    " id INTEGER PRIMARY KEY, hour TEXT NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,"
    " events INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS failure_blocks_last_at ON failure_blocks (last_at);"
    "CREATE INDEX IF NOT EXISTS failure_blocks_hour ON failure_blocks (hour);";

#define FAILURE_FORMAT 1
#define FAILURE_BLOCK_BYTES (1u << 20) /* a block is written when it holds this much */

/* The text fields of a failure event, in record order. */
typedef enum {
    FF_TIME, FF_HOST, FF_MTA, FF_PROGRAM, FF_DIRECTION, FF_STATUS, FF_STAGE, FF_CODE, FF_ENHANCED,
    FF_CLASS, FF_REASON, FF_REASON_DETAIL, FF_RECIPIENT, FF_SENDER, FF_SENDER_DOMAIN, FF_DOMAIN,
    FF_RELAY, FF_CLIENT, FF_QUEUE_ID, FF_TEXT, FF_DELAYS, FF_COUNT
} failure_field;

enum { FF_CONFLICT = 1, FF_HARD = 2, FF_INFERRED = 4, FF_REPLY_AT = 8 };

/* One string of the block being filled: where it is in strings. */
typedef struct {
    uint64_t hash;
    size_t off, len;
} dict_entry;

struct failure_block {
    char hour[48];
    mc_buf strings, records;
    size_t n_records;
    int64_t first_at, last_at;
    dict_entry *dict;      /* the block's distinct strings, in order */
    size_t n_dict, dict_cap;
    uint64_t *slots;       /* hash of a string -> dict_slot_value (0: empty) */
    size_t n_slots;        /* a power of two, at most half used */
    uint32_t last[FF_COUNT]; /* per field, the index + 1 of the last record's string (0: none) */
};

void store_set_retention(mc_store *s, int64_t seconds) { s->retention = seconds > 0 ? seconds : 0; }

void store_set_group_bytes(mc_store *s, size_t bytes) { s->group_bytes = bytes; }

size_t store_groups_in_memory(const mc_store *s) { return s->grouped; }

/* Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The log time of an event in seconds, on the local clock of its hour
 * bucket ("YYYY-MM-DDTHH"); -1 when it has none. */
static int64_t log_seconds(const char *hour, const mc_time *t)
{
    int y, mo, d, h;
    if (!t->valid || !hour_fields(hour, &y, &mo, &d, &h))
        return -1;
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + t->min * 60 + t->sec;
}

/* Writes v as a varint at p (room for 10 bytes); the bytes written. */
static size_t encode_varint(char *p, uint64_t v)
{
    size_t n = 0;
    do {
        p[n++] = (char)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

static void put_varint(mc_buf *b, uint64_t v)
{
    char tmp[10];
    mc_buf_add(b, tmp, encode_varint(tmp, v));
}

/* Reads a varint at *p (below end); false when it is cut short or too long. */
static bool get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char c = *(*p)++;
        *v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80))
            return true;
    }
    return false;
}

/* Forgets the block's records and strings; memory is kept.  A block
 * already empty is left as it is: a written block is reset by
 * failure_block_write and again by failure_list_reset at the batch's end,
 * and clearing its slots twice (up to 512 KiB a block) cost 0.1% of an
 * ingest's instructions. */
static void failure_block_reset(struct failure_block *b)
{
    if (b->n_records == 0 && b->n_dict == 0 && b->strings.len == 0 && b->records.len == 0)
        return; /* the slots hold nothing: every string added is in dict */
    mc_buf_reset(&b->strings);
    mc_buf_reset(&b->records);
    b->n_records = 0;
    b->n_dict = 0;
    memset(b->last, 0, sizeof b->last);
    if (b->slots)
        memset(b->slots, 0, b->n_slots * sizeof *b->slots);
}

static void failure_block_free(struct failure_block *b)
{
    if (b == NULL)
        return;
    mc_buf_free(&b->strings);
    mc_buf_free(&b->records);
    free(b->dict);
    free(b->slots);
    free(b);
}

#define FAILURE_BLOCKS_KEPT 4 /* blocks a list keeps for reuse (each up to ~1 MiB) */

/* Empties a list of blocks: a few keep their memory, the rest are freed. */
static void failure_list_reset(failure_list *l)
{
    for (size_t i = 0; i < l->cap; i++) {
        if (i < FAILURE_BLOCKS_KEPT) {
            if (i < l->n)
                failure_block_reset(l->v[i]);
        } else {
            failure_block_free(l->v[i]);
        }
    }
    l->n = 0;
    l->cap = l->cap < FAILURE_BLOCKS_KEPT ? l->cap : FAILURE_BLOCKS_KEPT;
}

static void failure_list_free(failure_list *l)
{
    for (size_t i = 0; i < l->cap; i++)
        failure_block_free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* A new, empty block at the end of the list. */
static struct failure_block *failure_list_next(failure_list *l)
{
    if (l->n == l->cap) {
        l->v = mc_xrealloc(l->v, (l->cap + 1) * sizeof *l->v);
        l->v[l->cap++] = mc_xcalloc(1, sizeof **l->v);
    }
    return l->v[l->n++];
}

/* The batch's failure blocks become the ones to write; the caller fills
 * the emptied list of the last batch. */
static void failures_hand_over(mc_store *s)
{
    failure_list t = s->out;
    s->out = s->fill;
    s->fill = t;
}

/* What a slot of a block's dictionary holds: the string's index + 1 in
 * the low 32 bits, the high 32 bits of its hash in the high ones, so that
 * a probe past another string reads the slot alone, not the string's
 * entry (a cache miss in a block of up to 1 MiB: perf put a quarter of
 * failure_put's samples there).  The home slot comes from the hash's low
 * bits. */
#define DICT_HASH_BITS 0xFFFFFFFF00000000ULL
static uint64_t dict_slot_value(uint32_t index1, uint64_t h) { return (h & DICT_HASH_BITS) | index1; }

/* The slot of the string v (hash h): where it is, or the empty slot it takes. */
static uint64_t *dict_slot(struct failure_block *b, mc_str v, uint64_t h)
{
    for (size_t i = h & (b->n_slots - 1);; i = (i + 1) & (b->n_slots - 1)) {
        uint64_t *slot = &b->slots[i];
        if (*slot == 0)
            return slot;
        if ((*slot & DICT_HASH_BITS) != (h & DICT_HASH_BITS))
            continue;
        const dict_entry *e = &b->dict[(uint32_t)*slot - 1];
        if (e->hash == h && e->len == v.n && memcmp(b->strings.data + e->off, v.p, v.n) == 0)
            return slot;
    }
}

/* Whether field f's string v is the one the last record had there (most
 * fields repeat it: host, program, status, reason...): a compare instead
 * of a hash and a probe. */
static bool field_is_last(const struct failure_block *b, failure_field f, mc_str v)
{
    if (b->last[f] == 0)
        return false;
    const dict_entry *e = &b->dict[b->last[f] - 1];
    return e->len == v.n && memcmp(b->strings.data + e->off, v.p, v.n) == 0;
}

/* The dictionary index of field f's string v (hash h), not the last
 * record's (field_is_last), the string added to the dictionary when new. */
static uint64_t field_index(struct failure_block *b, failure_field f, mc_str v, uint64_t h)
{
    if (2 * (b->n_dict + 1) > b->n_slots) { /* grow and rehash */
        size_t n = b->n_slots ? 2 * b->n_slots : 1024;
        free(b->slots);
        b->slots = mc_xcalloc(n, sizeof *b->slots);
        b->n_slots = n;
        for (size_t i = 0; i < b->n_dict; i++) {
            const dict_entry *e = &b->dict[i];
            *dict_slot(b, mc_str_make(b->strings.data + e->off, e->len), e->hash) =
                dict_slot_value((uint32_t)i + 1, e->hash);
        }
    }
    uint64_t *slot = dict_slot(b, v, h);
    if (*slot == 0) {
        if (b->n_dict == b->dict_cap) {
            b->dict_cap = b->dict_cap ? 2 * b->dict_cap : 512;
            b->dict = mc_xrealloc(b->dict, b->dict_cap * sizeof *b->dict);
        }
        put_varint(&b->strings, v.n);
        b->dict[b->n_dict] = (dict_entry){.hash = h, .off = b->strings.len, .len = v.n};
        mc_buf_add(&b->strings, v.p, v.n);
        mc_buf_addc(&b->strings, '\0');
        *slot = dict_slot_value((uint32_t)++b->n_dict, h);
    }
    b->last[f] = (uint32_t)*slot;
    return b->last[f];
}

/* A C string as a field: null when NULL or empty (as scan writes it). */
static mc_str cstr_field(const char *v) { return v && *v ? mc_str_cstr(v) : MC_STR_NULL; }

/* Writes block b as one row of failure_blocks, in the batch's
 * transaction, and empties it. */
static bool failure_block_write(mc_store *s, struct failure_block *b, char *err, size_t errlen)
{
    if (b->n_records == 0)
        return true;
    if (!begin_txn(s, err, errlen))
        return false;
    if (s->insert_failure == NULL &&
        (!exec(s, failures_sql, err, errlen) ||
         !prepare(s, "INSERT INTO failure_blocks (hour, first_at, last_at, events, data) VALUES (?,?,?,?,?)",
                  &s->insert_failure, err, errlen)))
        return false;
    mc_buf *blob = &s->key; /* scratch */
    mc_buf_reset(blob);
    mc_buf_addc(blob, FAILURE_FORMAT);
    put_varint(blob, b->n_dict);
    mc_buf_add(blob, b->strings.data, b->strings.len);
    put_varint(blob, b->n_records);
    mc_buf_add(blob, b->records.data, b->records.len);
    sqlite3_stmt *st = s->insert_failure;
    sqlite3_bind_text(st, 1, b->hour, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, b->first_at);
    sqlite3_bind_int64(st, 3, b->last_at);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)b->n_records);
    sqlite3_bind_blob(st, 5, blob->data, (int)blob->len, SQLITE_STATIC);
    bool ok = step_done(s, st, err, errlen);
    failure_block_reset(b);
    if (ok)
        s->failures_added = true;
    return ok;
}

/* Writes the batch's blocks (s->out), in the order they were filled. */
static bool failures_write(mc_store *s, char *err, size_t errlen)
{
    bool ok = true;
    for (size_t i = 0; ok && i < s->out.n; i++)
        ok = failure_block_write(s, s->out.v[i], err, errlen);
    failure_list_reset(&s->out);
    return ok;
}

/* Whether two log times are the same, field by field. */
static bool time_same(const mc_time *a, const mc_time *b)
{
    return a->valid == b->valid && a->sec == b->sec && a->min == b->min && a->hour == b->hour &&
           a->day == b->day && a->month == b->month && a->year == b->year && a->usec == b->usec &&
           strncmp(a->zone, b->zone, sizeof a->zone) == 0;
}

/* A failure event's log time as text, formatted again only when it is not
 * the last event's time. */
static const char *failure_when(mc_store *s, const mc_time *t)
{
    if (!time_same(&s->failure_time, t)) {
        mc_time_format(t, s->failure_when, sizeof s->failure_when);
        s->failure_time = *t;
    }
    return s->failure_when;
}

/* Adds one failure event of the given hour bucket and log time to the
 * block being filled (the last of s->fill); a new block is begun when
 * that one holds another hour or is full.  Touches no SQLite: a batch's
 * blocks are written when it is flushed. */
static void failure_put(mc_store *s, const char *hour, int64_t at, const mc_event *ev, mc_str delays)
{
    struct failure_block *b = s->fill.n ? s->fill.v[s->fill.n - 1] : NULL;
    if (b == NULL || strcmp(b->hour, hour) != 0 || b->records.len + b->strings.len > FAILURE_BLOCK_BYTES)
        b = failure_list_next(&s->fill);
    if (b->n_records == 0) {
        snprintf(b->hour, sizeof b->hour, "%s", hour);
        b->first_at = b->last_at = at;
    }
    b->first_at = at < b->first_at ? at : b->first_at;
    b->last_at = at > b->last_at ? at : b->last_at;
    const char *when = failure_when(s, &ev->time);
    bool local = ev->direction && strcmp(ev->direction, "local") == 0;
    /* The reply lies inside the text (event.h): its offset there. */
    bool reply_at = ev->reply.p && ev->text.p && ev->reply.p >= ev->text.p &&
                    ev->reply.p + ev->reply.n <= ev->text.p + ev->text.n;
    char rec[10 + 1 + 10 + FF_COUNT * 10]; /* the record, appended at once */
    size_t n = encode_varint(rec, at >= 0 ? (uint64_t)at << 1 : ((uint64_t)(-(at + 1)) << 1) | 1);
    rec[n++] = (char)((ev->conflict ? FF_CONFLICT : 0) | (ev->hard ? FF_HARD : 0) | (ev->inferred ? FF_INFERRED : 0) |
                      (reply_at ? FF_REPLY_AT : 0));
    if (reply_at)
        n += encode_varint(rec + n, (uint64_t)(ev->reply.p - ev->text.p));
    const mc_str fields[FF_COUNT] = {
        [FF_TIME] = cstr_field(when),
        [FF_HOST] = ev->host,
        [FF_MTA] = cstr_field(ev->mta),
        [FF_PROGRAM] = ev->program,
        [FF_DIRECTION] = cstr_field(local ? "local" : ev->direction),
        [FF_STATUS] = ev->status,
        [FF_STAGE] = cstr_field(ev->stage),
        [FF_CODE] = cstr_field(ev->code),
        [FF_ENHANCED] = cstr_field(ev->enhanced),
        [FF_CLASS] = cstr_field(mc_class_name(ev->klass)),
        [FF_REASON] = cstr_field(ev->reason),
        [FF_REASON_DETAIL] = ev->reason_detail,
        [FF_RECIPIENT] = ev->recipient,
        [FF_SENDER] = ev->sender,
        [FF_SENDER_DOMAIN] = cstr_field(ev->sender_domain),
        [FF_DOMAIN] = cstr_field(ev->domain),
        [FF_RELAY] = ev->relay,
        [FF_CLIENT] = ev->client,
        [FF_QUEUE_ID] = ev->queue_id,
        [FF_TEXT] = ev->text,
        [FF_DELAYS] = delays.p && delays.n ? delays : MC_STR_NULL,
    };
    /* The fields that are not the last record's are hashed first and their
     * home slots asked of memory, then looked up in field order (so the
     * dictionary grows as it would one field at a time): the probes of a
     * record's new strings wait for memory together, not one by one. */
    uint64_t hashes[FF_COUNT];
    uint32_t todo = 0;
    for (int f = 0; f < FF_COUNT; f++) {
        if (fields[f].p == NULL || field_is_last(b, (failure_field)f, fields[f]))
            continue;
        hashes[f] = mem_hash(fields[f].p, fields[f].n);
        todo |= 1u << f;
        if (b->n_slots)
            __builtin_prefetch(&b->slots[hashes[f] & (b->n_slots - 1)]);
    }
    for (int f = 0; f < FF_COUNT; f++) {
        uint64_t index = fields[f].p == NULL ? 0
                         : todo & (1u << f) ? field_index(b, (failure_field)f, fields[f], hashes[f])
                                            : b->last[f];
        n += encode_varint(rec + n, index);
    }
    mc_buf_add(&b->records, rec, n);
    b->n_records++;
}

void store_failure_add(mc_store *s, const mc_event *ev, mc_str delays)
{
    if (s->read_only || s->retention == 0)
        return;
    char hour[48];
    timewin_bucket_of(&s->failure_hour, &ev->time, hour, sizeof hour);
    int64_t at = log_seconds(hour, &ev->time);
    if (at < 0)
        at = s->newest_at; /* no time: it ages with the log around it */
    else if (at > s->newest_at)
        s->newest_at = at;
    failure_put(s, hour, at, ev, delays);
}

/* Drops the blocks of failure events older than the retention, counted
 * back from the newest log time in the table (log time, not the clock: an
 * old log ingested today keeps its last days). */
static bool prune_failures(mc_store *s, char *err, size_t errlen)
{
    if (s->prune_failures == NULL &&
        !prepare(s, "DELETE FROM failure_blocks WHERE last_at < (SELECT max(last_at) FROM failure_blocks) - ?",
                 &s->prune_failures, err, errlen))
        return false;
    sqlite3_bind_int64(s->prune_failures, 1, s->retention);
    return step_done(s, s->prune_failures, err, errlen);
}

/* Reads back a time mc_time_format wrote; invalid when it cannot. */
static mc_time parse_time(const char *s)
{
    mc_time t;
    memset(&t, 0, sizeof t);
    t.usec = -1;
    int n = 0;
    if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &t.year, &t.month, &t.day, &t.hour, &t.min, &t.sec, &n) != 6)
        return t;
    s += n;
    if (*s == '.') {
        int m = 0;
        if (sscanf(s + 1, "%6d%n", &t.usec, &m) != 1)
            return t;
        s += 1 + m;
    }
    snprintf(t.zone, sizeof t.zone, "%s", s);
    t.valid = true;
    return t;
}

/* Column i as a view (null for SQL null). */
static mc_str column_str(sqlite3_stmt *st, int i)
{
    const char *p = (const char *)sqlite3_column_text(st, i);
    return p ? mc_str_make(p, (size_t)sqlite3_column_bytes(st, i)) : MC_STR_NULL;
}

/* Schema 5 kept failure events row by row in failures: each, in order,
 * into the blocks of schema 6, with its hour and log time as stored. */
static bool upgrade_failures(mc_store *s, char *err, size_t errlen)
{
    if (sqlite3_table_column_metadata(s->db, NULL, "failures", "at", NULL, NULL, NULL, NULL, NULL) != SQLITE_OK)
        return true; /* none was kept */
    sqlite3_stmt *st;
    if (!prepare(s,
                 "SELECT hour, at, time, host, mta, program, direction, status, stage, code, enhanced, class,"
                 " conflict, hard, inferred, reason, reason_detail, recipient, sender, sender_domain, domain,"
                 " relay, client, queue_id, text, reply_at, delays FROM failures ORDER BY id",
                 &st, err, errlen))
        return false;
    bool ok = true;
    int rc;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        mc_event ev;
        memset(&ev, 0, sizeof ev);
        const char *hour = (const char *)sqlite3_column_text(st, 0);
        int64_t at = sqlite3_column_int64(st, 1);
        int i = 2;
        ev.time = parse_time((const char *)sqlite3_column_text(st, i++));
        ev.host = column_str(st, i++);
        ev.mta = (const char *)sqlite3_column_text(st, i++);
        ev.program = column_str(st, i++);
        ev.direction = (const char *)sqlite3_column_text(st, i++);
        ev.status = column_str(st, i++);
        ev.stage = (const char *)sqlite3_column_text(st, i++);
        mc_str code = column_str(st, i++), enhanced = column_str(st, i++);
        snprintf(ev.code, sizeof ev.code, "%.*s", (int)code.n, code.p ? code.p : "");
        snprintf(ev.enhanced, sizeof ev.enhanced, "%.*s", (int)enhanced.n, enhanced.p ? enhanced.p : "");
        const char *klass = (const char *)sqlite3_column_text(st, i++);
        if (klass == NULL || !mc_class_from_string(klass, &ev.klass))
            ev.klass = CLASS_UNKNOWN;
        ev.conflict = sqlite3_column_int(st, i++) != 0;
        ev.hard = sqlite3_column_int(st, i++) != 0;
        ev.inferred = sqlite3_column_int(st, i++) != 0;
        ev.reason = (const char *)sqlite3_column_text(st, i++);
        ev.reason_detail = column_str(st, i++);
        ev.recipient = column_str(st, i++);
        ev.sender = column_str(st, i++);
        mc_str sd = column_str(st, i++), dom = column_str(st, i++);
        snprintf(ev.sender_domain, sizeof ev.sender_domain, "%.*s", (int)sd.n, sd.p ? sd.p : "");
        snprintf(ev.domain, sizeof ev.domain, "%.*s", (int)dom.n, dom.p ? dom.p : "");
        ev.relay = column_str(st, i++);
        ev.client = column_str(st, i++);
        ev.queue_id = column_str(st, i++);
        ev.text = column_str(st, i++);
        if (sqlite3_column_type(st, i) != SQLITE_NULL) {
            sqlite3_int64 off = sqlite3_column_int64(st, i);
            if (ev.text.p && off >= 0 && (size_t)off <= ev.text.n)
                ev.reply = mc_str_make(ev.text.p + off, ev.text.n - (size_t)off);
        }
        i++;
        mc_str delays = column_str(st, i++);
        failure_put(s, hour ? hour : "", at, &ev, delays);
        /* A block is written as soon as the next is begun: memory stays
         * one block's. */
        if (s->fill.n > 1) {
            struct failure_block *last = s->fill.v[1];
            ok = failure_block_write(s, s->fill.v[0], err, errlen);
            s->fill.v[1] = s->fill.v[0];
            s->fill.v[0] = last;
            s->fill.n = 1;
        }
    }
    if (ok && rc != SQLITE_DONE)
        ok = db_error(s, "reading the failure events to upgrade", err, errlen);
    sqlite3_finalize(st);
    failures_hand_over(s);
    if (!ok) {
        failure_list_reset(&s->out);
        return false;
    }
    return failures_write(s, err, errlen) && exec(s, "DROP TABLE failures", err, errlen);
}

/* Whether a and b are equal, ASCII case ignored (SQLite's NOCASE). */
static bool ascii_eq_nocase(mc_str a, const char *b, size_t bn)
{
    if (a.n != bn)
        return false;
    for (size_t i = 0; i < bn; i++) {
        unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b[i];
        if (x != y && (x | 0x20) != (y | 0x20))
            return false;
        if (x != y && !((x | 0x20) >= 'a' && (x | 0x20) <= 'z'))
            return false;
    }
    return true;
}

/* A string field of a decoded record: a view, or null. */
static mc_str record_str(const mc_str *dict, const uint64_t *idx, int f)
{
    return idx[f] ? dict[idx[f] - 1] : MC_STR_NULL;
}

/* A C-string field of a decoded record (NUL-terminated in the blob), or NULL. */
static const char *record_cstr(const mc_str *dict, const uint64_t *idx, int f)
{
    return idx[f] ? dict[idx[f] - 1].p : NULL;
}

/* Copies a field into a fixed buffer of the event ("" for null). */
static void record_copy(char *dst, size_t len, const mc_str *dict, const uint64_t *idx, int f)
{
    mc_str v = record_str(dict, idx, f);
    snprintf(dst, len, "%.*s", (int)v.n, v.p ? v.p : "");
}

/* Hands fn the events of one block whose recipient or sender (address) or
 * queue id is target; *stop when fn asked to.  False when the blob is
 * corrupt. */
static bool failure_block_scan(const unsigned char *p, const unsigned char *end, const char *target, bool address,
                               mc_buf *scratch, mc_failure_fn fn, void *ctx, bool *stop)
{
    uint64_t n_dict, n_records;
    if (p == end || *p++ != FAILURE_FORMAT || !get_varint(&p, end, &n_dict) || n_dict > (uint64_t)(end - p))
        return false;
    /* The dictionary, each string's match with the target beside it. */
    mc_buf_reset(scratch);
    size_t tn = strlen(target);
    for (uint64_t i = 0; i < n_dict; i++) {
        uint64_t len;
        if (!get_varint(&p, end, &len) || len >= (uint64_t)(end - p) || p[len] != '\0')
            return false;
        mc_str v = mc_str_make((const char *)p, (size_t)len);
        bool match = address ? ascii_eq_nocase(v, target, tn) : v.n == tn && memcmp(v.p, target, tn) == 0;
        mc_buf_add(scratch, (const char *)&v, sizeof v);
        mc_buf_addc(scratch, match);
        p += len + 1;
    }
    const size_t stride = sizeof(mc_str) + 1;
    mc_str *dict = mc_xmalloc((n_dict ? n_dict : 1) * sizeof *dict);
    bool *matches = mc_xmalloc((n_dict ? n_dict : 1) * sizeof *matches);
    for (uint64_t i = 0; i < n_dict; i++) {
        memcpy(&dict[i], scratch->data + i * stride, sizeof dict[i]);
        matches[i] = scratch->data[i * stride + sizeof(mc_str)] != 0;
    }
    bool ok = get_varint(&p, end, &n_records);
    for (uint64_t r = 0; ok && !*stop && r < n_records; r++) {
        uint64_t at, reply_at = 0, idx[FF_COUNT];
        ok = get_varint(&p, end, &at) && p < end;
        unsigned flags = ok ? *p++ : 0;
        if (ok && (flags & FF_REPLY_AT))
            ok = get_varint(&p, end, &reply_at);
        for (int f = 0; ok && f < FF_COUNT; f++)
            ok = get_varint(&p, end, &idx[f]) && idx[f] <= n_dict;
        if (!ok)
            break;
        bool hit = address ? (idx[FF_RECIPIENT] && matches[idx[FF_RECIPIENT] - 1]) ||
                                 (idx[FF_SENDER] && matches[idx[FF_SENDER] - 1])
                           : idx[FF_QUEUE_ID] && matches[idx[FF_QUEUE_ID] - 1];
        if (!hit)
            continue;
        mc_event ev;
        memset(&ev, 0, sizeof ev);
        ev.time = parse_time(record_cstr(dict, idx, FF_TIME));
        ev.host = record_str(dict, idx, FF_HOST);
        ev.mta = record_cstr(dict, idx, FF_MTA);
        ev.program = record_str(dict, idx, FF_PROGRAM);
        ev.direction = record_cstr(dict, idx, FF_DIRECTION);
        ev.status = record_str(dict, idx, FF_STATUS);
        ev.stage = record_cstr(dict, idx, FF_STAGE);
        record_copy(ev.code, sizeof ev.code, dict, idx, FF_CODE);
        record_copy(ev.enhanced, sizeof ev.enhanced, dict, idx, FF_ENHANCED);
        const char *klass = record_cstr(dict, idx, FF_CLASS);
        if (klass == NULL || !mc_class_from_string(klass, &ev.klass))
            ev.klass = CLASS_UNKNOWN;
        ev.conflict = (flags & FF_CONFLICT) != 0;
        ev.hard = (flags & FF_HARD) != 0;
        ev.inferred = (flags & FF_INFERRED) != 0;
        ev.reason = record_cstr(dict, idx, FF_REASON);
        ev.reason_detail = record_str(dict, idx, FF_REASON_DETAIL);
        ev.recipient = record_str(dict, idx, FF_RECIPIENT);
        ev.sender = record_str(dict, idx, FF_SENDER);
        record_copy(ev.sender_domain, sizeof ev.sender_domain, dict, idx, FF_SENDER_DOMAIN);
        record_copy(ev.domain, sizeof ev.domain, dict, idx, FF_DOMAIN);
        ev.relay = record_str(dict, idx, FF_RELAY);
        ev.client = record_str(dict, idx, FF_CLIENT);
        ev.queue_id = record_str(dict, idx, FF_QUEUE_ID);
        ev.text = record_str(dict, idx, FF_TEXT);
        if ((flags & FF_REPLY_AT) && ev.text.p && reply_at <= ev.text.n)
            ev.reply = mc_str_make(ev.text.p + reply_at, ev.text.n - (size_t)reply_at);
        if (!fn(&ev, record_str(dict, idx, FF_DELAYS), ctx))
            *stop = true;
    }
    free(dict);
    free(matches);
    return ok;
}

bool store_failures(mc_store *s, const mc_window *w, const char *target, bool address, mc_failure_fn fn,
                    void *ctx, char *err, size_t errlen)
{
    if (sqlite3_table_column_metadata(s->db, NULL, "failure_blocks", "data", NULL, NULL, NULL, NULL, NULL) !=
        SQLITE_OK)
        return true; /* nothing kept yet */
    mc_buf sql;
    mc_buf_init(&sql);
    /* The window's ids from the hour's index, then each block by its id in
     * their order: no sort of the blobs, no read of the other hours'. */
    mc_buf_printf(&sql, "SELECT data FROM failure_blocks WHERE id IN (SELECT id FROM failure_blocks%s) ORDER BY id",
                  window_sql);
    sqlite3_stmt *st;
    if (!prepare_windowed(s, &sql, w, &st, err, errlen))
        return false;
    mc_buf scratch;
    mc_buf_init(&scratch);
    bool stop = false, ok = true;
    int rc = SQLITE_DONE;
    while (ok && !stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_blob(st, 0);
        size_t n = p ? (size_t)sqlite3_column_bytes(st, 0) : 0;
        if (p == NULL || !failure_block_scan(p, p + n, target, address, &scratch, fn, ctx, &stop))
            ok = false, snprintf(err, errlen, "database: failure_blocks holds a corrupt block");
    }
    mc_buf_free(&scratch);
    if (ok && rc != SQLITE_ROW && rc != SQLITE_DONE)
        ok = db_error(s, "reading failure events", err, errlen);
    sqlite3_finalize(st);
    return ok;
}
