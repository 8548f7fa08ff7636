/*
 * report_html.h - the report as one self-contained HTML file.
 */
#ifndef MC_REPORT_HTML_H
#define MC_REPORT_HTML_H

#include "lang.h"
#include "report.h"

/* Writes the page for o's window; false with a message in err. */
bool report_write_html(mc_store *s, const mc_rules *rules, const mc_report_opts *o, const mc_lang *l,
                       const mc_totals *t, FILE *out, char *err, size_t errlen);

/* Writes s escaped for HTML text and attributes (no control, no bidi
 * control, no invalid UTF-8 gets through). */
void html_text(FILE *out, const char *s);

#endif
