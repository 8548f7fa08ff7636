/*
 * fuzz_rules.c - libFuzzer target: arbitrary bytes as a rules file.  The
 * first byte picks which file of a private rules copy is replaced; loading
 * must either succeed or fail with a FILE:LINE message, never crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"

static char dir[64];

static void init(void)
{
    snprintf(dir, sizeof dir, "/tmp/mc-fuzz-rules-XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cp -r '%s'/. %s/", rules_default_dir(NULL), dir);
    if (system(cmd) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const files[] = {"codes.conf", "enhanced.conf", "reasons.conf", "stages.conf",
                                        "mta/postfix.conf", "lang/de.conf"};
    static char saved[6][1 << 16];
    static size_t saved_len[6];
    if (dir[0] == '\0') {
        init();
        for (int i = 0; i < 6; i++) {
            char path[128];
            snprintf(path, sizeof path, "%s/%s", dir, files[i]);
            FILE *f = fopen(path, "r");
            saved_len[i] = f ? fread(saved[i], 1, sizeof saved[i], f) : 0;
            if (f)
                fclose(f);
        }
    }
    if (size == 0)
        return 0;
    int which = data[0] % 6;
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, files[which]);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    mc_rules r;
    char err[1024];
    if (rules_load(&r, dir, err, sizeof err))
        rules_free(&r);
    else if (strchr(err, ':') == NULL)
        abort(); /* every error names its file */
    /* put the original back for the next input */
    f = fopen(path, "w");
    if (f) {
        fwrite(saved[which], 1, saved_len[which], f);
        fclose(f);
    }
    return 0;
}
