/*
 * fuzz_reader.c - libFuzzer target: arbitrary bytes (plain or gzip, whole
 * or cut) through the line reader.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return 0;
    }
    char err[256];
    mc_reader *r = reader_open_fd(fd, "fuzz", err, sizeof err);
    if (r) {
        mc_str line;
        size_t total = 0;
        while (reader_next(r, &line) == 1)
            total += line.n;
        if (total > size * 2000 + (1 << 20))
            abort(); /* lines cannot outgrow what gzip can expand to */
        reader_close(r);
    }
    close(fd);
    return 0;
}
