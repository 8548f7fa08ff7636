#include "testutil.h"
START_TEST(t_placeholder) { ck_assert(1); }
END_TEST
static Suite *s_(void){Suite *s=suite_create("store");TCase *tc=tcase_create("x");tcase_add_test(tc,t_placeholder);suite_add_tcase(s,tc);return s;}
MC_TEST_MAIN(s_)
