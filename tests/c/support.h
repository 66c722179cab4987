/*
 * Shared helpers of the C tests, the conformance replay and the benchmark: a tiny check
 * harness, file reading, a thread-safe in-memory storage connector, JSON string helpers and
 * the options of an offline client.
 *
 * Everything here is plain C99 + POSIX threads.
 */
#ifndef VWO_TEST_SUPPORT_H
#define VWO_TEST_SUPPORT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vwo_fme.h"

/* ---- checks ------------------------------------------------------------------------- */

extern long t_checks;
extern long t_failures;

void t_fail(const char *file, int line, const char *fmt, ...);
int t_str_eq(const char *a, const char *b);

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        t_checks++;                                                                        \
        if (!(cond)) t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                       \
    } while (0)

#define CHECK_INT(actual, expected)                                                        \
    do {                                                                                   \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                    \
        t_checks++;                                                                        \
        if (a_ != e_)                                                                      \
            t_fail(__FILE__, __LINE__, "%s is %lld, expected %lld (%s)", #actual, a_, e_,  \
                   #expected);                                                             \
    } while (0)

#define CHECK_DBL(actual, expected)                                                        \
    do {                                                                                   \
        double a_ = (actual), e_ = (expected);                                             \
        t_checks++;                                                                        \
        if (a_ != e_)                                                                      \
            t_fail(__FILE__, __LINE__, "%s is %.17g, expected %.17g", #actual, a_, e_);    \
    } while (0)

/* Compares strings; NULL equals only NULL. */
#define CHECK_STR(actual, expected)                                                        \
    do {                                                                                   \
        const char *a_ = (actual), *e_ = (expected);                                       \
        t_checks++;                                                                        \
        if (!t_str_eq(a_, e_))                                                             \
            t_fail(__FILE__, __LINE__, "%s is %s%.400s%s, expected %s%.400s%s", #actual,   \
                   a_ ? "\"" : "", a_ ? a_ : "NULL", a_ ? "\"" : "", e_ ? "\"" : "",       \
                   e_ ? e_ : "NULL", e_ ? "\"" : "");                                      \
    } while (0)

#define CHECK_CONTAINS(haystack, needle)                                                   \
    do {                                                                                   \
        const char *h_ = (haystack), *n_ = (needle);                                       \
        t_checks++;                                                                        \
        if (!h_ || !strstr(h_, n_))                                                        \
            t_fail(__FILE__, __LINE__, "%s is \"%.400s\", which does not contain \"%s\"",  \
                   #haystack, h_ ? h_ : "NULL", n_);                                       \
    } while (0)

/* Runs a vwo_* call and checks its status; reports the last error message on a mismatch. */
#define CHECK_STATUS(call, expected)                                                       \
    do {                                                                                   \
        vwo_status s_ = (call);                                                            \
        t_checks++;                                                                        \
        if (s_ != (expected))                                                              \
            t_fail(__FILE__, __LINE__, "%s returned %s (\"%s\"), expected %s", #call,      \
                   vwo_status_name(s_), vwo_last_error_message(),                          \
                   vwo_status_name(expected));                                             \
    } while (0)

/* ---- files and strings -------------------------------------------------------------- */

/* The whole file, NUL-terminated (malloc'ed); exits on failure. */
char *read_file(const char *path);
/* A malloc'ed copy of the concatenation of the NULL-terminated list of strings. */
char *str_cat(const char *first, ...);
/* A malloc'ed string of `n` copies of `c` between `prefix` and `suffix`. */
char *str_fill(const char *prefix, char c, size_t n, const char *suffix);
/* Number of non-overlapping occurrences of `needle` in `haystack`. */
size_t str_count(const char *haystack, const char *needle);
/* Appends `s` as a JSON string literal (quotes and escapes) to `out`. */
void json_write_string(FILE *out, const char *s);

/* The decoded value of a top-level string member `key` of a JSON object (malloc'ed), or
 * NULL when absent or not a string. Enough JSON for storage records. */
char *json_get_string(const char *json, const char *key);

/* ---- client options ----------------------------------------------------------------- */

#define DEMO_SDK_KEY "demo0000000000000000000000000000"
#define DEMO_ACCOUNT "123456"
#define DEMO_SETTINGS "examples/settings.json"

/* Options of an offline client on a settings file, plus `extra` members (",\"k\":v" or ""). */
char *offline_options(const char *settings_path, const char *sdk_key, const char *account_id,
                      const char *extra);

/* ---- in-memory storage connector ---------------------------------------------------- */

typedef struct memstore memstore;

memstore *memstore_new(void);
void memstore_free(memstore *m);
/* Stores `record_json` under its featureKey and userId; 0 on success. */
int memstore_put(memstore *m, const char *record_json);
/* The record stored for (key, user_id), copied (malloc'ed), or NULL. */
char *memstore_get(memstore *m, const char *key, const char *user_id);
size_t memstore_size(memstore *m);

/* Callbacks over a memstore (user_data must be the memstore). */
int32_t memstore_storage_get(void *user_data, const char *key, const char *user_id,
                             vwo_storage_result *result);
int32_t memstore_storage_set(void *user_data, const char *record_json);

/* ---- time --------------------------------------------------------------------------- */

int64_t now_unix_s(void);
void sleep_ms(long ms);

#endif /* VWO_TEST_SUPPORT_H */
