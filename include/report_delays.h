/*
 * report_delays.h - the delivery delays in every report format: delay
 * cells of a --by table's rows (text, CSV, JSON), the JSON "delays" list,
 * the Prometheus histogram and the HTML table.  Internal to the report
 * stage; the figures come from the store (store_delay_groups).
 */
#ifndef MC_REPORT_DELAYS_H
#define MC_REPORT_DELAYS_H

#include <stdio.h>

#include "report_rows.h"

/* ', "delay": {...}' (or null) for a JSON row; nothing when rd is off. */
void delays_json_row(FILE *out, const row_delays *rd, const mc_row *row, size_t n_keys);
/* The CSV header's delay columns, and a record's cells (",,,," for none). */
void delays_csv_head(FILE *out, const row_delays *rd);
void delays_csv_row(FILE *out, const row_delays *rd, const mc_row *row, size_t n_keys);
/* The text table's delay columns: their width, head and cells. */
int delays_text_width(const row_delays *rd);
void delays_text_head(FILE *out, const row_delays *rd, const mc_lang *l);
void delays_text_row(FILE *out, const row_delays *rd, const mc_row *row, size_t n_keys);
/* The JSON report's "delays": by direction and status (no leading comma). */
bool delays_json_groups(mc_store *s, const mc_window *w, FILE *out, char *err, size_t errlen);
/* mailcodes_delivery_delay_seconds, by direction and status. */
bool delays_prom(mc_store *s, const mc_window *w, FILE *out, char *err, size_t errlen);
/* The daily report's delays section: the overall median, p95 and max of
 * our delivered mail, and its slowest domains with where the time went;
 * a window without log lines, or without mail, says so (t: its totals), not "none". */
bool delays_text_section(mc_store *s, const mc_window *w, const mc_totals *t, const mc_lang *l, FILE *out, char *err,
                         size_t errlen);
/* The HTML page's table of delays by domain and status (the ten busiest),
 * then the same section as the text report's. */
bool delays_html(mc_store *s, const mc_window *w, const mc_lang *l, FILE *out, char *err, size_t errlen);

#endif
