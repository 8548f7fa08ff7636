/*
 * rules.c - locate and load the rules/ directory.
 *
 * MTA line rules are every *.conf file in rules/mta/, in name order, so a
 * postmaster adds support for a new MTA or a local variant by dropping in a
 * file.
 */
#include "rules.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MC_INSTALLED_RULES
#define MC_INSTALLED_RULES "/usr/local/share/mailcodes/rules"
#endif
#ifndef MC_SOURCE_RULES
#define MC_SOURCE_RULES "rules"
#endif
#ifndef MC_BUILD_DIR
#define MC_BUILD_DIR ""
#endif

/* Whether p is a directory. */
static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* True when this executable lives in the build tree it was compiled in. */
static bool running_from_build_dir(void)
{
    char exe[PATH_MAX], build[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || MC_BUILD_DIR[0] == '\0' || realpath(MC_BUILD_DIR, build) == NULL)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    /* Test and fuzz binaries live in subdirectories of the build tree. */
    size_t bl = strlen(build);
    return strncmp(exe, build, bl) == 0 && (exe[bl] == '\0' || exe[bl] == '/');
}

/* The rules directory: explicit, else $MAILCODES_RULES, else the source tree's or the installed one. */
const char *rules_default_dir(const char *explicit_dir)
{
    if (explicit_dir && *explicit_dir)
        return explicit_dir;
    const char *env = getenv("MAILCODES_RULES");
    if (env && *env)
        return env;
    if (running_from_build_dir() && is_dir(MC_SOURCE_RULES))
        return MC_SOURCE_RULES;
    if (is_dir(MC_INSTALLED_RULES))
        return MC_INSTALLED_RULES;
    return MC_SOURCE_RULES;
}

/* qsort order of file names. */
static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the .conf files of rules/mta, sorted, as paths relative to dir. */
static char **list_mta_files(const char *dir, size_t *n_out, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/mta", dir);
    DIR *d = opendir(path);
    if (d == NULL) {
        snprintf(err, errlen, "%s: cannot open the MTA rules directory (is --rules right?)", path);
        return NULL;
    }
    size_t n = 0, cap = 8;
    char **names = mc_xmalloc(cap * sizeof *names);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
            continue;
        if (n == cap)
            names = mc_xrealloc(names, (cap *= 2) * sizeof *names);
        size_t need = len + 5;
        names[n] = mc_xmalloc(need);
        snprintf(names[n], need, "mta/%s", de->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    *n_out = n;
    return names;
}

/* MAILCODES_NO_PREFILTER=1 turns the literal prefilters off, so a test can
 * check that they change speed only, never a result.  Read once, here. */
static bool prefilter_wanted(void)
{
    const char *v = getenv("MAILCODES_NO_PREFILTER");
    return !(v != NULL && *v != '\0' && strcmp(v, "0") != 0);
}

/* Loads every rules file from dir; false with FILE:LINE in err. */
bool rules_load(mc_rules *r, const char *dir, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (!is_dir(dir)) {
        snprintf(err, errlen, "%s: rules directory not found (use --rules DIR or MAILCODES_RULES)", dir);
        return false;
    }
    r->dir = mc_xstrdup(dir);
    size_t n_files = 0;
    char **files = list_mta_files(dir, &n_files, err, errlen);
    if (files == NULL) {
        rules_free(r);
        return false;
    }
    bool prefilter = prefilter_wanted();
    bool ok = knowledge_load(&r->knowledge, dir, err, errlen) &&
              parse_rules_load(&r->parse, dir, (const char *const *)files, n_files, prefilter, err, errlen) &&
              reasons_load(&r->reasons, dir, prefilter, err, errlen) &&
              mtawarn_load(&r->warnings, dir, (const char *const *)files, n_files, err, errlen);
    for (size_t i = 0; i < n_files; i++)
        free(files[i]);
    free(files);
    if (!ok)
        rules_free(r);
    return ok;
}

/* Frees everything rules_load built. */
void rules_free(mc_rules *r)
{
    knowledge_free(&r->knowledge);
    parse_rules_free(&r->parse);
    reasons_free(&r->reasons);
    mtawarn_free(&r->warnings);
    free(r->dir);
    memset(r, 0, sizeof *r);
}
