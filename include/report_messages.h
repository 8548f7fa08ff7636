/*
 * report_messages.h - the per-message figures in the report writers
 * (JSON members, the daily report's Messages block).  Internal to the
 * report stage.
 */
#ifndef MC_REPORT_MESSAGES_H
#define MC_REPORT_MESSAGES_H

#include <stdbool.h>
#include <stdio.h>

#include "report_rows.h"

bool report_messages_json(mc_store *s, const mc_window *w, const mc_totals *t, FILE *out, char *err,
                          size_t errlen);
bool report_messages_text(mc_store *s, const mc_report_opts *o, const mc_lang *l, const mc_totals *t,
                          FILE *out, char *err, size_t errlen);

#endif
