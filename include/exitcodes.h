/* exitcodes.h - the exit statuses that scripts rely on (docs/CONTRACT.md). */
#ifndef MC_EXITCODES_H
#define MC_EXITCODES_H
enum {
    MC_EXIT_OK = 0,
    MC_EXIT_USAGE = 1, /* input or usage error */
    MC_EXIT_RULES = 2, /* a rules file is broken */
    MC_EXIT_DB = 3,    /* database (or other resource) error */
};
#endif
