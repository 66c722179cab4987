/* The C test suite's groups (each in its own file) and shared fixtures. */
#ifndef VWO_TESTS_H
#define VWO_TESTS_H

#include "support.h"

/* test_api.c: every function used as documented. */
void test_version_and_status(void);
void test_uuid(void);
void test_context(void);
void test_client_new(void);
void test_decisions(void);
void test_typed_getters(void);
void test_events_offline(void);
void test_update_settings(void);
void test_close_and_free(void);

/* test_misuse.c: NULLs, invalid UTF-8, malformed JSON, 10 MB strings, wrong handles. */
void test_null_arguments(void);
void test_invalid_utf8(void);
void test_malformed_json(void);
void test_oversized_input(void);
void test_bad_handles(void);
void test_bad_handles_cross(void); /* not run by default: a known ABI defect */
void test_use_after_close(void);

/* test_callbacks.c: storage, log, integrations, re-entrancy, user_data lifetime. */
void test_storage_callbacks(void);
void test_storage_result_misuse(void);
void test_log_callback(void);
void test_integrations_callback(void);
void test_reentrant_callbacks(void);
void test_free_user_data(void);
void test_callbacks_struct_size(void);

/* test_threads.c: one client, many threads. */
void test_threads_offline(void);

/* test_network.c: the loopback mock server (VWO_MOCK_URL, VWO_MOCK_LOG). */
void test_network(void);

/* Callbacks whose log discards every message (keeps the console quiet). */
const vwo_callbacks *quiet_callbacks(void);

/* An offline client on examples/settings.json (account 123456) with `cb` (NULL: quiet) and
 * extra option members (",\"k\":v" or ""). Exits when it cannot be created. */
vwo_client *demo_client(const vwo_callbacks *cb, const char *extra);

/* Decides `feature` for `context_json`, checks the status is `expected_status`, and
 * returns the flag (never NULL for a live client). */
vwo_flag *flag_of(vwo_client *c, const char *feature, const char *context_json,
                  vwo_status expected_status);

/* The variables JSON of a flag (malloc'ed copy of the library's string). */
char *variables_of(const vwo_flag *f);

/* The visitor UUIDs of the examples' users in account 123456 (vwo-fme uuid USER 123456). */
#define UUID_ALICE "3021035F151B5E9191BE243366302B14"
#define UUID_USER_123 "CC25A368ADA0542699EAD62489811105"

/* Variables of new_checkout's variations in examples/settings.json, as vwo_flag_variables_json
 * returns them. */
#define VARS_CONTROL                                                                       \
    "[{\"id\":1,\"value\":\"Checkout\",\"type\":\"string\",\"key\":\"title\"},"            \
    "{\"id\":2,\"value\":0,\"type\":\"integer\",\"key\":\"discount_percent\"},"            \
    "{\"id\":3,\"value\":false,\"type\":\"boolean\",\"key\":\"show_banner\"},"             \
    "{\"id\":4,\"value\":{\"steps\":3},\"type\":\"json\",\"key\":\"layout\"},"             \
    "{\"id\":5,\"value\":1.0,\"type\":\"double\",\"key\":\"button_scale\"}]"
#define VARS_ONE_PAGE                                                                      \
    "[{\"id\":1,\"value\":\"Fast checkout\",\"type\":\"string\",\"key\":\"title\"},"       \
    "{\"id\":2,\"value\":5,\"type\":\"integer\",\"key\":\"discount_percent\"},"            \
    "{\"id\":3,\"value\":true,\"type\":\"boolean\",\"key\":\"show_banner\"},"              \
    "{\"id\":4,\"value\":{\"steps\":1},\"type\":\"json\",\"key\":\"layout\"},"             \
    "{\"id\":5,\"value\":1.25,\"type\":\"double\",\"key\":\"button_scale\"}]"
#define VARS_TWO_PAGE                                                                      \
    "[{\"id\":1,\"value\":\"Quick checkout\",\"type\":\"string\",\"key\":\"title\"},"      \
    "{\"id\":2,\"value\":10,\"type\":\"integer\",\"key\":\"discount_percent\"},"           \
    "{\"id\":3,\"value\":true,\"type\":\"boolean\",\"key\":\"show_banner\"},"              \
    "{\"id\":4,\"value\":{\"steps\":2},\"type\":\"json\",\"key\":\"layout\"},"             \
    "{\"id\":5,\"value\":1.25,\"type\":\"double\",\"key\":\"button_scale\"}]"

/* A string that is not UTF-8 (a lone continuation byte and an invalid lead byte). */
#define BAD_UTF8 "ab\x80\xff"

/* 10 MB: more than every string limit except the settings one. */
#define TEN_MB (10u * 1024u * 1024u)

#endif /* VWO_TESTS_H */
