/*
 * test_textout.c - text for a terminal measured by display width: cells
 * cut or padded (wide CJK two columns, Thai marks none), right-aligned
 * heads, wrapping that never starts a line with CJK closing punctuation,
 * and an indent (a translated label) measured in columns, not bytes.  The
 * expected strings are counted by hand from the Unicode widths.
 */
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"
#include "textout.h"

/* What f wrote to a memory stream. */
#define CAPTURE(buf, call)                                                                                    \
    do {                                                                                                      \
        size_t len_;                                                                                          \
        FILE *out = open_memstream(&(buf), &len_);                                                            \
        ck_assert_ptr_nonnull(out);                                                                           \
        call;                                                                                                 \
        fclose(out);                                                                                          \
    } while (0)

START_TEST(test_cells_by_display_width)
{
    char *s;
    CAPTURE(s, text_cell(out, "abc", 5, true));
    ck_assert_str_eq(s, "abc  ");
    free(s);
    /* 永 久 否 定: two columns each; five columns hold two and the '~'. */
    CAPTURE(s, text_cell(out, "\xe6\xb0\xb8\xe4\xb9\x85\xe5\x90\xa6\xe5\xae\x9a", 5, true));
    ck_assert_str_eq(s, "\xe6\xb0\xb8\xe4\xb9\x85~");
    free(s);
    /* 数量 is four columns: six columns pad it with two spaces. */
    CAPTURE(s, text_cell(out, "\xe6\x95\xb0\xe9\x87\x8f", 6, true));
    ck_assert_str_eq(s, "\xe6\x95\xb0\xe9\x87\x8f  ");
    free(s);
    CAPTURE(s, text_right(out, "\xe6\x95\xb0\xe9\x87\x8f", 6));
    ck_assert_str_eq(s, "  \xe6\x95\xb0\xe9\x87\x8f");
    free(s);
    /* ล้มเหลว: ล, the tone mark (no column), ม, เ, ห, ล, ว: six columns;
     * five keep ล้มเห (four) and the '~'. */
    CAPTURE(s, text_cell(out, "\xe0\xb8\xa5\xe0\xb9\x89\xe0\xb8\xa1\xe0\xb9\x80\xe0\xb8\xab\xe0\xb8\xa5\xe0\xb8\xa7", 5,
                         true));
    ck_assert_str_eq(s, "\xe0\xb8\xa5\xe0\xb9\x89\xe0\xb8\xa1\xe0\xb9\x80\xe0\xb8\xab~");
    free(s);
    ck_assert_int_eq(text_width("\xe0\xb8\xa5\xe0\xb9\x89\xe0\xb8\xa1\xe0\xb9\x80\xe0\xb8\xab\xe0\xb8\xa5\xe0\xb8\xa7"), 6);
}
END_TEST

START_TEST(test_wrap_by_display_width)
{
    char *s;
    /* 一二三四，五六 in eight columns: the comma may not start a line, so
     * 四 goes down with it. */
    CAPTURE(s, text_wrap(out, 8, false, "", "", "",
                         "\xe4\xb8\x80\xe4\xba\x8c\xe4\xb8\x89\xe5\x9b\x9b\xef\xbc\x8c\xe4\xba\x94\xe5\x85\xad"));
    ck_assert_str_eq(s, "\xe4\xb8\x80\xe4\xba\x8c\xe4\xb8\x89\n\xe5\x9b\x9b\xef\xbc\x8c\xe4\xba\x94\xe5\x85\xad\n");
    free(s);
    /* The indent "  标签 " is seven columns (nine bytes): 13 columns are
     * left of 20, and "aaaa bbbb ccc" is 13. */
    CAPTURE(s, text_wrap(out, 20, false, "", "  \xe6\xa0\x87\xe7\xad\xbe ", "", "aaaa bbbb ccc"));
    ck_assert_str_eq(s, "  \xe6\xa0\x87\xe7\xad\xbe aaaa bbbb ccc\n");
    free(s);
    CAPTURE(s, text_wrap(out, 20, false, "", "  \xe6\xa0\x87\xe7\xad\xbe ", "       ", "aaaa bbbb cccc"));
    ck_assert_str_eq(s, "  \xe6\xa0\x87\xe7\xad\xbe aaaa bbbb\n       cccc\n");
    free(s);
}
END_TEST

static Suite *textout_suite(void)
{
    Suite *s = suite_create("textout");
    TCase *tc = tcase_create("textout");
    tcase_add_test(tc, test_cells_by_display_width);
    tcase_add_test(tc, test_wrap_by_display_width);
    suite_add_tcase(s, tc);
    return s;
}

MC_TEST_MAIN(textout_suite)
