/*
 * main.c - the command line: mailcodes COMMAND [OPTIONS] [ARGS].
 *
 * Each command parses its own options, loads the rules, and hands off to
 * the stage modules.  Exit codes (docs/CONTRACT.md): 0 ok, 1 input or usage error,
 * 2 rules error, 3 database error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "exitcodes.h"
#include "explain.h"
#include "ingest.h"
#include "lang.h"
#include "logline.h"
#include "report.h"
#include "rules.h"
#include "store.h"
#include "timewin.h"
#include "trace.h"
#include "workers.h"

#ifndef MC_VERSION
#define MC_VERSION "0.1.0"
#endif

static const char usage_main[] =
    "usage: mailcodes COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Pull every SMTP reply code out of Postfix and Exim logs, classify it (transient 4xx or\n"
    "permanent 5xx), count it in SQLite, and explain what it means and what to do.\n"
    "\n"
    "commands:\n"
    "  ingest   parse logs and add their counts to the database (incremental, idempotent)\n"
    "  report   the daily report, or counts by code, reason, domain...; text, json, csv, prom, html\n"
    "  triage   the few problems to act on now, ranked, with evidence and the action\n"
    "  scan     print every event as a JSON line; nothing is stored\n"
    "  trace    the life of one message, or every event for an address, decoded\n"
    "  explain  what a reply code, an enhanced code or a pasted reply means, and the fix\n"
    "  compare  two codes side by side\n"
    "\n"
    "Run 'mailcodes COMMAND --help' for a command's options.\n"
    "\n"
    "environment:\n"
    "  MAILCODES_DB     database path (default $XDG_DATA_HOME/mailcodes/mailcodes.db)\n"
    "  MAILCODES_RULES  rules directory (default: the installed rules)\n"
    "\n"
    "exit status: 0 success, 1 input or usage error, 2 rules error, 3 database error.\n";

static const char usage_ingest[] =
    "usage: mailcodes ingest [--db PATH] [--rules DIR] [--unrecognised FILE] [--follow] [--retention DUR]\n"
    "                        [FILE... | -]\n"
    "\n"
    "Read mail logs (plain or gzip, detected by content; '-' or no FILE reads standard input),\n"
    "find every SMTP outcome, and add the counts to the database. Each file's position is\n"
    "remembered by a fingerprint of its first bytes, so ingesting the same file again adds\n"
    "nothing, a grown file adds only its new lines, and rotated copies (mail.log.1,\n"
    "mail.log.2.gz) are recognised. Counts and positions are committed together, at least once\n"
    "a second while input flows, so a run killed at any moment resumes without losing or\n"
    "double-counting a line. SIGINT and SIGTERM commit what was read and exit with status 0.\n"
    "\n"
    "options:\n"
    "  -f, --follow         keep reading FILE as it grows, like tail -F: survives rotation by\n"
    "                       rename, truncation (copytruncate) and a file that appears late\n"
    "  --commit-every SEC   commit at least every SEC seconds (default 1; 0.01 to 3600)\n"
    "  --queue-lifetime D   forget a message quiet for D of log time (default 5d; 90s, 30m,\n"
    "                       12h, 2w): its later lines count as a new message, and it is\n"
    "                       counted as evicted\n"
    "  --retention DUR      keep each failure event for trace this long in log time (14d; s, m, h, d, w;\n"
    "                       0 keeps none); older ones are pruned as ingest goes\n"
    "  -d, --db PATH        database (default $MAILCODES_DB, else\n"
    "                       $XDG_DATA_HOME/mailcodes/mailcodes.db)\n"
    "  --rules DIR          rules directory (default $MAILCODES_RULES, else installed rules)\n"
    "  --unrecognised FILE  append lines that look like outcomes but match no rule to FILE\n"
    "  -q, --quiet          no summary on standard error\n"
    "  -j, --jobs N         parse on N threads (default: the online cores; 1: no thread);\n"
    "                       the counts are the same for any N (the database is written\n"
    "                       by a thread of its own while the next batch is read)\n"
    "  -h, --help           this text\n";

static const char usage_report[] =
    "usage: mailcodes report [--db PATH | FILE...] [WINDOW] [--by KEYS] [--top N]\n"
    "                        [--format text|json|csv|prom|html] [--lang L] [--problems-first]\n"
    "\n"
    "Counts of SMTP outcomes with each code's meaning and advice. Without --by, the text format\n"
    "is the daily report: a summary (sent, deferred, bounced, expired, rejected, transient and\n"
    "permanent, each against the previous window of the same length) and the top problems in\n"
    "sections by direction (local, outbound, inbound), ranked as triage ranks them (see\n"
    "mailcodes triage --help), with their domains, relays or clients, a sample reply and the\n"
    "advice in the voice of the direction. With FILE arguments (and no --db)\n"
    "the files are analysed in memory and nothing is stored.\n"
    "\n"
    "WINDOW (hour granularity, in the log's local clock):\n"
    "  --day D            today, yesterday or YYYY-MM-DD\n"
    "  --since T          from T (YYYY-MM-DD[THH[:MM]])\n"
    "  --until T          up to T, exclusive\n"
    "  --utc              read the window in UTC instead of local time\n"
    "\n"
    "options:\n"
    "  -d, --db PATH      database to read (default as for ingest)\n"
    "  --by KEYS          comma list of: mta host direction section status stage code enhanced class\n"
    "                     reason domain relay client sender sender_domain recipient day hour\n"
    "                     (json/csv default: direction,code,enhanced; prom: no addresses)\n"
    "  --top N            at most N rows (0 = all; default 20 for text tables, 10 problems in\n"
    "                     the daily report, all for json, csv and prom)\n"
    "  --format F         text (default), json (stable, see CONTRACT.md), csv (RFC 4180), prom\n"
    "                     (Prometheus text for node_exporter's textfile collector), html (one\n"
    "                     self-contained file with SVG charts)\n"
    "  --problems-first   in tables, failures before successes\n"
    "  --queue-lifetime D  with FILE arguments: forget a message quiet for D of log time\n"
    "                     (default 5d; 90s, 30m, 12h, 2w), counted as evicted\n"
    "  --lang L           en (default), th, ko, zh, de, ar\n"
    "  --unrecognised FILE  with FILE arguments: write unrecognised outcome lines to FILE\n"
    "  -j, --jobs N       with FILE arguments: parse on N threads (default: the online cores;\n"
    "                     1: no thread); the output is the same for any N\n"
    "  --rules DIR        rules directory\n"
    "  -h, --help         this text\n";

static const char usage_triage[] =
    "usage: mailcodes triage [--db PATH | FILE...] [WINDOW] [--top N] [--format F] [--lang L]\n"
    "\n"
    "The few problems to act on now. A problem is one direction (outbound: our mail refused\n"
    "elsewhere; local: our own deliveries on this host; inbound: mail our server refused), status,\n"
    "code, enhanced code, reason and class. Rank = severity x (1 + ln count) x trend: severity is\n"
    "3 for permanent, 1 for transient, times the reason's weight in rules/reasons.conf (greylisting\n"
    "0.1, mailbox full 0.3, blocklisting, SPF/DKIM/DMARC and SMTP AUTH failures 3), times 3 for a\n"
    "local delivery, times 2 for SMTP AUTH failures from a few clients (password guessing);\n"
    "trend: new x2, rising up to x4, falling x0.5. Each comes with its evidence (count, the window\n"
    "before, first and last seen, its domains or, inbound, the clients refused, a sample reply)\n"
    "and the action in the voice of its direction.\n"
    "Without a window: the last 24 hours of data, against the 24 hours before.\n"
    "\n"
    "options:\n"
    "  -d, --db PATH      database to read (default as for ingest)\n"
    "  --day D, --since T, --until T, --utc   the window, as for report\n"
    "  --top N            at most N problems (0 = all; default 5)\n"
    "  --format F         text (default), json (stable, see CONTRACT.md), html\n"
    "  --lang L           en (default), th, ko, zh, de, ar\n"
    "  --unrecognised FILE  with FILE arguments: write unrecognised outcome lines to FILE\n"
    "  -j, --jobs N       with FILE arguments: parse on N threads (default: the online cores;\n"
    "                     1: no thread); the output is the same for any N\n"
    "  --rules DIR        rules directory\n"
    "  -h, --help         this text\n";

static const char usage_scan[] =
    "usage: mailcodes scan [--rules DIR] [--unrecognised FILE] [FILE... | -]\n"
    "\n"
    "Print every SMTP outcome found in the logs as one JSON object per line (the event of\n"
    "CONTRACT.md: time, host, mta, program, direction, status, stage, code, enhanced, class,\n"
    "conflict, hard, inferred, reason, reason_detail, recipient, sender, domain, relay, client,\n"
    "queue_id, text). Nothing is stored.\n"
    "\n"
    "options:\n"
    "  --rules DIR          rules directory\n"
    "  --unrecognised FILE  write unrecognised outcome lines to FILE\n"
    "  -j, --jobs N         parse on N threads (default: the online cores; 1: no thread);\n"
    "                       the output is the same for any N\n"
    "  --queue-lifetime D   forget a message quiet for D of log time (default 5d; 90s, 30m,\n"
    "                       12h, 2w): its later lines no longer get its sender\n"
    "  -h, --help           this text\n";

static const char usage_trace[] =
    "usage: mailcodes trace QUEUEID|MESSAGEID|ADDRESS [--format text|json] [--lang L] [--rules DIR]\n"
    "                       [FILE... | - | [--db PATH] [--day D] [--since T] [--until T] [--utc]]\n"
    "\n"
    "The life of one message, like exigrep but decoded: a Postfix queue id (within the host\n"
    "and instance it is first seen on) or an Exim message id gives the message's lines in\n"
    "order: received (client, sender, size, message-id), each delivery attempt with its reply\n"
    "decoded (code, class, reason, the code's meaning) and its delays as logged, and at the end\n"
    "the outcome per recipient. An ADDRESS (it has an '@') gives every event whose recipient or\n"
    "envelope sender it is, and the arrivals and queue entries of the mail it sends. Files may\n"
    "be gzip; '-' reads standard input. Nothing is stored.\n"
    "With no FILE, the database answers: ingest keeps every failure event (not the successes)\n"
    "for --retention (14 days of log time by default), printed as from the files but with no\n"
    "received lines and no outcome; --day, --since, --until and --utc narrow it as for report.\n"
    "Exit status 0 when something matched, 1 when nothing did (or on an input error).\n"
    "\n"
    "options:\n"
    "  --format F   text (default) or json (the matching events as JSON lines, as scan prints)\n"
    "  --lang L     en (default), th, ko, zh, de, ar\n"
    "  --queue-lifetime D  forget a message quiet for D of log time (default 5d; 90s, 30m,\n"
    "               12h, 2w)\n"
    "  --db PATH    the database to trace from (default as for report)\n"
    "  --day D, --since T, --until T, --utc   the window, as for report (database only)\n"
    "  --rules DIR  rules directory\n"
    "  -j, --jobs N parse every line on N threads (default 1: this thread parses only the\n"
    "               lines that name the id or address); the output is the same for any N\n"
    "  -h, --help   this text\n";

static const char usage_explain[] =
    "usage: mailcodes explain CODE | C.S.D | \"REPLY TEXT\" [--format text|json] [--lang L]\n"
    "\n"
    "What a basic reply code (421), an enhanced status code (5.7.1) or a whole reply pasted\n"
    "from a bounce means: its class, description, when you see it, and how to fix it. A pasted\n"
    "reply is also classified for its reason (user-unknown, blocklisted, ...).\n"
    "\n"
    "options:\n"
    "  --format F   text (default) or json\n"
    "  --lang L     en (default), th, ko, zh, de, ar\n"
    "  --rules DIR  rules directory\n"
    "  -h, --help   this text\n";

static const char usage_compare[] =
    "usage: mailcodes compare CODE CODE [--format text|json] [--lang L]\n"
    "\n"
    "Two codes side by side: a summary, each code's description, when you see it and how to\n"
    "fix it, the key differences, and when to use which.\n"
    "\n"
    "options:\n"
    "  --format F   text (default) or json\n"
    "  --lang L     en (default), th, ko, zh, de, ar\n"
    "  --rules DIR  rules directory\n"
    "  -h, --help   this text\n";

enum {
    OPT_DB = 1000,
    OPT_RULES,
    OPT_UNRECOGNISED,
    OPT_DAY,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_BY,
    OPT_TOP,
    OPT_FORMAT,
    OPT_LANG,
    OPT_QUIET,
    OPT_FOLLOW,
    OPT_COMMIT_EVERY,
    OPT_PROBLEMS_FIRST,
    OPT_UTC,
    OPT_JOBS,
    OPT_QUEUE_LIFETIME,
    OPT_RETENTION,
};

static const struct option long_options[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"rules", required_argument, NULL, OPT_RULES},
    {"unrecognised", required_argument, NULL, OPT_UNRECOGNISED},
    {"unrecognized", required_argument, NULL, OPT_UNRECOGNISED},
    {"day", required_argument, NULL, OPT_DAY},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"by", required_argument, NULL, OPT_BY},
    {"top", required_argument, NULL, OPT_TOP},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"lang", required_argument, NULL, OPT_LANG},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"follow", no_argument, NULL, OPT_FOLLOW},
    {"commit-every", required_argument, NULL, OPT_COMMIT_EVERY},
    {"problems-first", no_argument, NULL, OPT_PROBLEMS_FIRST},
    {"utc", no_argument, NULL, OPT_UTC},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"queue-lifetime", required_argument, NULL, OPT_QUEUE_LIFETIME},
    {"retention", required_argument, NULL, OPT_RETENTION},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *db;
    const char *rules_dir;
    const char *unrecognised;
    const char *day, *since, *until;
    const char *by;
    const char *top;
    const char *format;
    const char *lang;
    bool quiet;
    bool follow;
    const char *commit_every;
    bool problems_first;
    bool utc;
    int jobs;               /* --jobs; 0: the default */
    int64_t queue_lifetime; /* seconds; 0: the default */
    const char *retention;
    char **args;
    int n_args;
} cli;

/* Which options each command takes (the rest are usage errors). */
typedef struct {
    const char *name;
    const char *usage;
    const int *allowed;
} command_spec;

static const int allow_ingest[] = {OPT_DB, OPT_RULES, OPT_UNRECOGNISED, OPT_QUIET, OPT_FOLLOW, OPT_COMMIT_EVERY,
                                   OPT_JOBS, OPT_QUEUE_LIFETIME, OPT_RETENTION, 0};
static const int allow_report[] = {OPT_DB, OPT_RULES, OPT_UNRECOGNISED, OPT_DAY, OPT_SINCE, OPT_UNTIL,
                                   OPT_BY, OPT_TOP, OPT_FORMAT, OPT_LANG, OPT_PROBLEMS_FIRST, OPT_UTC,
                                   OPT_JOBS, OPT_QUEUE_LIFETIME, 0};
static const int allow_triage[] = {OPT_DB, OPT_RULES, OPT_UNRECOGNISED, OPT_DAY, OPT_SINCE, OPT_UNTIL,
                                   OPT_TOP, OPT_LANG, OPT_UTC, OPT_FORMAT, OPT_JOBS, 0};
static const int allow_scan[] = {OPT_RULES, OPT_UNRECOGNISED, OPT_JOBS, OPT_QUEUE_LIFETIME, 0};
static const int allow_trace[] = {OPT_RULES, OPT_FORMAT, OPT_LANG, OPT_JOBS, OPT_QUEUE_LIFETIME, OPT_DB, OPT_DAY,
                                  OPT_SINCE, OPT_UNTIL, OPT_UTC, 0};
static const int allow_explain[] = {OPT_RULES, OPT_FORMAT, OPT_LANG, 0};

/* Whether the command takes option opt. */
static bool allowed(const int *list, int opt)
{
    for (; *list; list++)
        if (*list == opt)
            return true;
    return false;
}

/* Prints a usage error for the command; returns the usage exit code. */
static int usage_error(const command_spec *c, const char *fmt, const char *arg)
{
    fprintf(stderr, "mailcodes %s: ", c->name);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'mailcodes %s --help'.\n", c->name);
    return MC_EXIT_USAGE;
}

/* The units a --queue-lifetime may be given in, in seconds. */
static const struct {
    char unit;
    int64_t seconds;
} duration_units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};

#define MAX_QUEUE_LIFETIME (366 * 86400) /* a year: longer than any MTA keeps a message */

/* A duration such as 90s, 30m, 12h, 5d or 2w (a bare number is seconds),
 * from 1 second to a year; 0 when it is not one. */
static int64_t parse_duration(const char *s)
{
    if (*s < '0' || *s > '9')
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int64_t unit = end[0] == '\0' ? 1 : 0;
    for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0] && end[0] && !end[1]; i++)
        if (end[0] == duration_units[i].unit)
            unit = duration_units[i].seconds;
    if (errno || unit == 0 || v == 0 || v > (unsigned long long)(MAX_QUEUE_LIFETIME / unit))
        return 0;
    return (int64_t)v * unit;
}

/* Returns -1 to go on, else an exit code. */
static int parse_cli(const command_spec *c, int argc, char **argv, cli *o)
{
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int opt;
    /* The usual short forms: -q --quiet, -d --db, -f --follow (as tail -f),
     * -j --jobs (as make -j). */
    static const int shorts[][2] = {{'q', OPT_QUIET}, {'d', OPT_DB}, {'f', OPT_FOLLOW}, {'j', OPT_JOBS}};
    while ((opt = getopt_long(argc, argv, ":hqd:fj:", long_options, NULL)) != -1) {
        for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++)
            if (opt == shorts[i][0])
                opt = shorts[i][1];
        if (opt == 'h') {
            fputs(c->usage, stdout);
            return MC_EXIT_OK;
        }
        if (opt == '?')
            return usage_error(c, "unknown option '%s'", argv[optind - 1]);
        if (opt == ':')
            return usage_error(c, "option '%s' needs a value", argv[optind - 1]);
        if (!allowed(c->allowed, opt))
            return usage_error(c, "option '%s' does not apply to this command", argv[optind - 1]);
        switch (opt) {
        case OPT_DB: o->db = optarg; break;
        case OPT_RULES: o->rules_dir = optarg; break;
        case OPT_UNRECOGNISED: o->unrecognised = optarg; break;
        case OPT_DAY: o->day = optarg; break;
        case OPT_SINCE: o->since = optarg; break;
        case OPT_UNTIL: o->until = optarg; break;
        case OPT_BY: o->by = optarg; break;
        case OPT_TOP: o->top = optarg; break;
        case OPT_FORMAT: o->format = optarg; break;
        case OPT_LANG: o->lang = optarg; break;
        case OPT_QUIET: o->quiet = true; break;
        case OPT_FOLLOW: o->follow = true; break;
        case OPT_COMMIT_EVERY: o->commit_every = optarg; break;
        case OPT_RETENTION: o->retention = optarg; break;
        case OPT_PROBLEMS_FIRST: o->problems_first = true; break;
        case OPT_UTC: o->utc = true; break;
        case OPT_JOBS: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end || v < 1 || v > MC_MAX_JOBS)
                return usage_error(c, "--jobs '%s': give a number of threads from 1 to 64", optarg);
            o->jobs = (int)v;
            break;
        }
        case OPT_QUEUE_LIFETIME:
            if ((o->queue_lifetime = parse_duration(optarg)) == 0)
                return usage_error(c, "--queue-lifetime '%s': give a duration such as 90s, 30m, 12h, 5d or 2w"
                                      " (at most a year)", optarg);
            break;
        }
    }
    o->args = argv + optind;
    o->n_args = argc - optind;
    return -1;
}

/* Loads the rules the options name; prints the error and returns an exit code. */
static int load_rules(const cli *o, mc_rules *rules)
{
    char err[1024];
    if (!rules_load(rules, rules_default_dir(o->rules_dir), err, sizeof err)) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_RULES;
    }
    return MC_EXIT_OK;
}

/* --lang before any output: an unknown language is a usage error, a
 * missing lang/en.conf a rules error.  Frees the rules on failure. */
static int check_lang(const command_spec *c, const cli *o, mc_rules *rules)
{
    char err[1024];
    int rc = lang_check(rules->dir, o->lang, err, sizeof err);
    if (rc == MC_EXIT_OK)
        return rc;
    rules_free(rules);
    if (rc == MC_EXIT_USAGE)
        return usage_error(c, "%s", err);
    fprintf(stderr, "mailcodes: %s\n", err);
    return rc;
}

/* mkdir -p for the directory part of path. */
static bool make_parent_dirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return false;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    return true;
}

/* --db, else $MAILCODES_DB, else $XDG_DATA_HOME or ~/.local/share. */
static const char *default_db(const cli *o, char *buf, size_t len)
{
    if (o->db)
        return o->db;
    const char *env = getenv("MAILCODES_DB");
    if (env && *env)
        return env;
    const char *xdg = getenv("XDG_DATA_HOME");
    if (xdg && *xdg) {
        snprintf(buf, len, "%s/mailcodes/mailcodes.db", xdg);
        return buf;
    }
    const char *home = getenv("HOME");
    snprintf(buf, len, "%s/.local/share/mailcodes/mailcodes.db", home && *home ? home : ".");
    return buf;
}

/* Runs the command's inputs (or stdin) through ingest, with --unrecognised
 * FILE open for the run; returns the worst exit code. */
/* Whether every input can be opened for reading, checked before anything
 * is printed: a missing or unreadable file is an error on stderr and
 * nothing on stdout, never a report of zeros mailed as an all-clear. */
static int check_inputs(const cli *o)
{
    for (int i = 0; i < o->n_args; i++) {
        if (strcmp(o->args[i], "-") == 0)
            continue;
        int fd = open(o->args[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "mailcodes: %s: %s\n", o->args[i], strerror(errno));
            return MC_EXIT_USAGE;
        }
        close(fd);
    }
    return MC_EXIT_OK;
}

static int run_inputs(const cli *o, mc_ingest_opts *io)
{
    static char *stdin_only[] = {"-"};
    char **paths = o->args;
    int n = o->n_args;
    if (n == 0) {
        paths = stdin_only;
        n = 1;
    }
    if (o->unrecognised) {
        /* ingest remembers where it stopped, so its FILE grows with the
         * database: each unrecognised line of a log once, over all runs.
         * scan and report read everything again: a fresh FILE. */
        io->unrecognised_out = fopen(o->unrecognised, io->incremental ? "a" : "w");
        if (io->unrecognised_out == NULL) {
            fprintf(stderr, "mailcodes: %s: %s\n", o->unrecognised, strerror(errno));
            return MC_EXIT_USAGE;
        }
    }
    /* One join by message for all the inputs: a rotated log's parts are
     * one stream; ingest keeps what is still in flight in the database. */
    io->messages = messages_new(0, o->queue_lifetime);
    /* A line filter (trace) lets one thread parse only the few lines it
     * keeps, while workers parse every line: one thread unless asked. */
    io->jobs = o->jobs ? o->jobs : io->line_filter ? 1 : workers_default_jobs();
    int worst = io->incremental ? ingest_messages_load(io) : MC_EXIT_OK;
    for (int i = 0; i < n && !mc_stop_requested && worst != MC_EXIT_DB; i++) {
        int rc = ingest_path(io, paths[i]);
        if (rc > worst)
            worst = rc;
        if (rc == MC_EXIT_DB)
            break;
    }
    if (io->store)
        store_set_flush_hook(io->store, NULL, NULL);
    messages_free(io->messages);
    io->messages = NULL;
    if (io->unrecognised_out) {
        if (fclose(io->unrecognised_out) != 0 && worst == MC_EXIT_OK)
            worst = MC_EXIT_USAGE;
        io->unrecognised_out = NULL;
    }
    return worst;
}

/* The start of a command that reads its rules at once: its options, then
 * its rules; -1 to go on, else the exit code. */
static int command_start(const command_spec *c, int argc, char **argv, cli *o, mc_rules *rules)
{
    int rc = parse_cli(c, argc, argv, o);
    if (rc >= 0)
        return rc;
    return (rc = load_rules(o, rules)) != MC_EXIT_OK ? rc : -1;
}

/* The end of a command that wrote to stdout: a write error (a full disk,
 * a closed pipe) fails it, then its rules are freed; returns its exit code. */
static int command_end(mc_rules *rules, int rc)
{
    if (fflush(stdout) != 0 && rc == MC_EXIT_OK)
        rc = MC_EXIT_USAGE;
    rules_free(rules);
    return rc;
}

/* mailcodes ingest. */
static int cmd_ingest(const command_spec *c, int argc, char **argv)
{
    /* First thing: a stop request during start-up is honoured like any other. */
    ingest_install_signals();
    cli o;
    mc_rules rules;
    int rc = command_start(c, argc, argv, &o, &rules);
    if (rc >= 0)
        return rc;
    char dbbuf[PATH_MAX], err[1024];
    const char *db = default_db(&o, dbbuf, sizeof dbbuf);
    if (!o.db && !make_parent_dirs(db))
        fprintf(stderr, "mailcodes: cannot create the directory for %s: %s\n", db, strerror(errno));
    mc_store *store = store_open(db, false, err, sizeof err);
    if (store == NULL) {
        fprintf(stderr, "mailcodes: %s\n", err);
        rules_free(&rules);
        return MC_EXIT_DB;
    }
    mc_ingest_opts io;
    memset(&io, 0, sizeof io);
    io.rules = &rules;
    io.store = store;
    io.incremental = true;
    io.progress = !o.quiet;
    io.flush_seconds = 1.0;
    if (o.commit_every) {
        char *end;
        double v = strtod(o.commit_every, &end);
        if (*o.commit_every == '\0' || *end || !(v >= 0.01 && v <= 3600)) {
            store_close(store);
            rules_free(&rules);
            return usage_error(c, "--commit-every '%s': give seconds from 0.01 to 3600", o.commit_every);
        }
        io.flush_seconds = v;
    }
    io.follow = o.follow;
    if (o.follow && (o.n_args != 1 || strcmp(o.args[0], "-") == 0)) {
        store_close(store);
        rules_free(&rules);
        return usage_error(c, "%s", "--follow takes exactly one FILE (a pipe already follows)");
    }
    if (o.retention) {
        /* "0" keeps none; otherwise a duration as for --queue-lifetime */
        int64_t seconds = strcmp(o.retention, "0") == 0 ? 0 : parse_duration(o.retention);
        if (seconds == 0 && strcmp(o.retention, "0") != 0) {
            store_close(store);
            rules_free(&rules);
            return usage_error(c, "--retention '%s': give a duration such as 14d, 36h or 2w (0: keep none)",
                               o.retention);
        }
        store_set_retention(store, seconds);
    }
    /* Failure events are kept one by one for trace (trace.c). */
    mc_trace_recorder *recorder = trace_recorder_new(store);
    io.line_filter = trace_record_line;
    io.on_event = trace_record_event;
    io.on_event_ctx = recorder;
    /* The recorder's line filter keeps every line: ingest parses on every
     * core unless told (a filter alone would mean trace's one thread). */
    if (o.jobs == 0)
        o.jobs = workers_default_jobs();
    rc = run_inputs(&o, &io);
    /* The time of this ingest, even when it found nothing new: reports
     * show it, so a postmaster sees whether ingest still runs. */
    /* Every flush records it too, in its own transaction: a lock held by
     * another ingest at this last moment costs only this note. */
    if (rc == MC_EXIT_OK && !store_mark_ingest(store, err, sizeof err))
        fprintf(stderr, "mailcodes: warning: the time of this ingest was not recorded: %s\n", err);
    /* After a database error the batch being read was not committed (a
     * lock still held when the stop came): the rerun reads it again. */
    if (mc_stop_requested)
        fputs(rc == MC_EXIT_OK ? "mailcodes: interrupted: what was read so far is committed; run again to go on\n"
                               : "mailcodes: interrupted: what was committed before the error is kept; run again "
                                 "to go on\n",
              stderr);
    if (!o.quiet)
        fprintf(stderr, "mailcodes: %llu lines, %llu events, %llu skipped, %llu unrecognised -> %s%s\n",
                (unsigned long long)io.lines, (unsigned long long)io.events,
                (unsigned long long)io.skipped, (unsigned long long)io.unrecognised, db,
                mc_stop_requested ? " (interrupted)" : "");
    store_close(store);
    trace_recorder_free(recorder);
    rules_free(&rules);
    return rc;
}

/* Puts a window into the report options; since and until are the user's
 * words for the bounds that have no label of their own. */
static void use_window(mc_report_opts *ro, const mc_timewin *tw, const char *since, const char *until)
{
    ro->window = tw->window;
    ro->previous = tw->previous;
    snprintf(ro->since_buf, sizeof ro->since_buf, "%s", tw->since_label);
    snprintf(ro->until_buf, sizeof ro->until_buf, "%s", tw->until_label);
    ro->since_text = tw->since_label[0] ? ro->since_buf : since;
    ro->until_text = tw->until_label[0] ? ro->until_buf : until;
}

/* The window of --day, --since, --until and --utc into ro (timewin.c does
 * the arithmetic); the bounds are named as the user wrote them. */
static bool parse_window(const cli *o, mc_report_opts *ro, char *err, size_t errlen)
{
    mc_timewin tw;
    if (!timewin_parse(&tw, o->day, o->since, o->until, o->utc, err, errlen))
        return false;
    use_window(ro, &tw, o->since, o->until);
    return true;
}

/* Opens what a report reads: log files analysed into a temporary
 * database, or the database.  Returns an exit code; *store on success. */
static int open_report_source(const cli *o, const mc_rules *rules, uint32_t dims, mc_store **store)
{
    char err[1024];
    *store = NULL;
    if (o->n_args > 0) {
        int rc = check_inputs(o);
        if (rc != MC_EXIT_OK)
            return rc;
        mc_store *s = store_open(NULL, false, err, sizeof err);
        if (s == NULL) {
            fprintf(stderr, "mailcodes: %s\n", err);
            return MC_EXIT_DB;
        }
        mc_ingest_opts io;
        memset(&io, 0, sizeof io);
        io.rules = rules;
        io.store = s;
        io.dims = dims;
        rc = run_inputs(o, &io);
        if (rc != MC_EXIT_OK) { /* an input failed midway: no partial report */
            store_close(s);
            return rc;
        }
        *store = s;
        return rc;
    }
    char dbbuf[PATH_MAX];
    const char *db = default_db(o, dbbuf, sizeof dbbuf);
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "mailcodes: database %s does not exist; run 'mailcodes ingest' first, or give log files\n", db);
        return MC_EXIT_DB;
    }
    *store = store_open(db, true, err, sizeof err);
    if (*store == NULL) {
        fprintf(stderr, "mailcodes: %s\n", err);
        return MC_EXIT_DB;
    }
    return MC_EXIT_OK;
}

/* Shared by report and triage: options, rules, window, source. */
static int report_like(const command_spec *c, int argc, char **argv, bool triage)
{
    cli o;
    int rc = parse_cli(c, argc, argv, &o);
    if (rc >= 0)
        return rc;
    mc_report_opts ro;
    memset(&ro, 0, sizeof ro);
    char err[1024];
    char keybuf[512];
    if (o.by) {
        snprintf(keybuf, sizeof keybuf, "%s", o.by);
        if (!report_parse_keys(keybuf, &ro, err, sizeof err))
            return usage_error(c, "%s", err);
    }
    if (o.format && !report_parse_format(o.format, &ro.format))
        return usage_error(c, "unknown --format '%s' (text, json, csv, prom, html)", o.format);
    if (o.top) {
        char *end;
        errno = 0;
        long v = strtol(o.top, &end, 10);
        if (*o.top == '\0' || *end || v < 0 || errno)
            return usage_error(c, "--top '%s' is not a whole number >= 0", o.top);
        ro.top = (size_t)v;
        ro.top_given = true;
    } else {
        ro.top = ro.format == FORMAT_TEXT && o.by ? 20 : 0;
    }
    if (triage && (ro.format == FORMAT_CSV || ro.format == FORMAT_PROM))
        return usage_error(c, "triage --format is text, json or html, not '%s'", o.format);
    if (!parse_window(&o, &ro, err, sizeof err))
        return usage_error(c, "%s", err);
    if (o.db && o.n_args > 0)
        return usage_error(c, "%s", "give either --db or log files, not both");
    ro.color = ro.format == FORMAT_TEXT && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
    ro.problems_first = o.problems_first;
    ro.lang = o.lang;
    ro.from_db = o.n_args == 0;
    ro.ends_now = o.until == NULL && (o.day == NULL || strcmp(o.day, "today") == 0);
    mc_rules rules;
    if ((rc = load_rules(&o, &rules)) != MC_EXIT_OK)
        return rc;
    if ((rc = check_lang(c, &o, &rules)) != MC_EXIT_OK)
        return rc;
    mc_store *store;
    rc = open_report_source(&o, &rules, report_dims(&ro, triage), &store);
    if (store == NULL) {
        rules_free(&rules);
        return rc;
    }
    if (triage && !ro.window.since[0] && !ro.window.until[0]) {
        /* "Now": the last 24 hours of data, against the 24 hours before. */
        char last[48];
        if (store_last_hour(store, last, sizeof last, err, sizeof err) && last[0]) {
            mc_timewin tw;
            timewin_last_day(&tw, last);
            use_window(&ro, &tw, NULL, NULL);
        }
    }
    int wrc = triage ? triage_write(store, &rules, &ro, stdout) : report_write(store, &rules, &ro, stdout);
    if (wrc != MC_EXIT_OK)
        rc = wrc;
    store_close(store);
    return command_end(&rules, rc);
}

/* mailcodes report. */
static int cmd_report(const command_spec *c, int argc, char **argv) { return report_like(c, argc, argv, false); }
/* mailcodes triage. */
static int cmd_triage(const command_spec *c, int argc, char **argv) { return report_like(c, argc, argv, true); }

/* scan's event callback: one JSON line. */
static void print_event(const mc_event *ev, void *ctx) { mc_event_json((FILE *)ctx, ev); }

/* mailcodes scan. */
static int cmd_scan(const command_spec *c, int argc, char **argv)
{
    cli o;
    mc_rules rules;
    int rc = command_start(c, argc, argv, &o, &rules);
    if (rc >= 0)
        return rc;
    mc_ingest_opts io;
    memset(&io, 0, sizeof io);
    io.rules = &rules;
    io.on_event = print_event;
    io.on_event_ctx = stdout;
    if ((rc = check_inputs(&o)) == MC_EXIT_OK)
        rc = run_inputs(&o, &io);
    return command_end(&rules, rc);
}

/* --format text|json of trace, explain and compare; -1 to go on, else an exit code. */
static int text_or_json(const command_spec *c, const cli *o, bool *json)
{
    if (o->format && strcmp(o->format, "json") != 0 && strcmp(o->format, "text") != 0)
        return usage_error(c, "unknown --format '%s' (text, json)", o->format);
    *json = o->format && strcmp(o->format, "json") == 0;
    return -1;
}

/* The start of a command that prints text or JSON in a language: its
 * format, its rules, its language; -1 to go on, else the exit code (with
 * nothing left to free). */
static int start_format_lang(const command_spec *c, const cli *o, mc_rules *rules, bool *json)
{
    int rc;
    if ((rc = text_or_json(c, o, json)) >= 0)
        return rc;
    if ((rc = load_rules(o, rules)) != MC_EXIT_OK)
        return rc;
    if ((rc = check_lang(c, o, rules)) != MC_EXIT_OK)
        return rc; /* check_lang freed the rules */
    return -1;
}

/* trace from the database: the failure events ingest kept, in the window. */
static int trace_db(const cli *o, mc_trace *t)
{
    char err[1024];
    mc_report_opts ro;
    memset(&ro, 0, sizeof ro);
    if (!parse_window(o, &ro, err, sizeof err)) {
        fprintf(stderr, "mailcodes trace: %s\n", err);
        return MC_EXIT_USAGE;
    }
    mc_store *store;
    int rc = open_report_source(o, NULL, 0, &store);
    if (store == NULL)
        return rc;
    if (!trace_from_store(t, store, &ro.window, err, sizeof err)) {
        fprintf(stderr, "mailcodes: %s\n", err);
        rc = MC_EXIT_DB;
    }
    store_close(store);
    return rc;
}

/* mailcodes trace. */
static int cmd_trace(const command_spec *c, int argc, char **argv)
{
    cli o;
    int rc = parse_cli(c, argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.n_args < 1 || o.args[0][0] == '\0')
        return usage_error(c, "%s", "give a queue id, a message id or an address");
    bool json = false;
    mc_rules rules;
    if ((rc = start_format_lang(c, &o, &rules, &json)) >= 0)
        return rc;
    const char *target = o.args[0];
    o.args++;
    o.n_args--;
    /* No FILE: the database, as for report ('-' reads standard input). */
    bool from_db = o.n_args == 0;
    if (!from_db && (o.db || o.day || o.since || o.until || o.utc)) {
        rules_free(&rules);
        return usage_error(c, "%s", "--db, --day, --since, --until and --utc trace the database: give no FILE");
    }
    mc_trace *t = trace_new(&rules, target, json, o.lang, stdout);
    if (from_db)
        rc = trace_db(&o, t);
    else {
        mc_ingest_opts io;
        memset(&io, 0, sizeof io);
        io.rules = &rules;
        io.on_event = trace_event;
        io.on_fact = trace_fact;
        io.line_filter = trace_line;
        io.on_event_ctx = t;
        rc = run_inputs(&o, &io);
    }
    uint64_t matched = trace_finish(t);
    if (rc == MC_EXIT_OK && matched == 0) {
        fprintf(stderr, "mailcodes trace: nothing matched '%s'\n", target);
        rc = MC_EXIT_USAGE;
    }
    trace_free(t);
    return command_end(&rules, rc);
}

/* Shared by explain and compare: options, rules, want_args arguments. */
static int explain_like(const command_spec *c, int argc, char **argv, int want_args)
{
    cli o;
    int rc = parse_cli(c, argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.n_args != want_args)
        return usage_error(c, "%s", want_args == 1 ? "give one code, enhanced code or reply text"
                                                   : "give two codes");
    bool json = false;
    mc_rules rules;
    if ((rc = start_format_lang(c, &o, &rules, &json)) >= 0)
        return rc;
    rc = want_args == 1 ? explain_write(&rules, o.args[0], json, o.lang, stdout)
                        : compare_write(&rules, o.args[0], o.args[1], json, o.lang, stdout);
    return command_end(&rules, rc);
}

/* mailcodes explain. */
static int cmd_explain(const command_spec *c, int argc, char **argv) { return explain_like(c, argc, argv, 1); }
/* mailcodes compare. */
static int cmd_compare(const command_spec *c, int argc, char **argv) { return explain_like(c, argc, argv, 2); }

typedef int (*command_fn)(const command_spec *, int, char **);

static const struct {
    command_spec spec;
    command_fn fn;
} commands[] = {
    {{"ingest", usage_ingest, allow_ingest}, cmd_ingest},
    {{"report", usage_report, allow_report}, cmd_report},
    {{"triage", usage_triage, allow_triage}, cmd_triage},
    {{"scan", usage_scan, allow_scan}, cmd_scan},
    {{"trace", usage_trace, allow_trace}, cmd_trace},
    {{"explain", usage_explain, allow_explain}, cmd_explain},
    {{"compare", usage_compare, allow_explain}, cmd_compare},
};

/* Dispatches to the command named by the first argument. */
int main(int argc, char **argv)
{
    /* A file-size limit (or a full quota) must surface as a write error
     * that is reported and rolled back, not as a signal that kills us
     * mid-transaction. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        fputs(usage_main, stderr);
        return MC_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(argv[2], commands[i].spec.name) == 0) {
                    fputs(commands[i].spec.usage, stdout);
                    return MC_EXIT_OK;
                }
        }
        fputs(usage_main, stdout);
        return MC_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        printf("mailcodes %s\n", MC_VERSION);
        return MC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].spec.name) == 0)
            return commands[i].fn(&commands[i].spec, argc - 1, argv + 1);
    fprintf(stderr, "mailcodes: unknown command '%s'\n\n", cmd);
    fputs(usage_main, stderr);
    return MC_EXIT_USAGE;
}
