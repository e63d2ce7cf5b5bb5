/* Shared include for unit tests: cmocka needs these before its own header. */
#ifndef HC_UNIT_H
#define HC_UNIT_H
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#define assert_error(expr, err) assert_int_equal((expr).error, (err))
#define assert_success(expr)    assert_error(expr, HC_OK)
#endif
