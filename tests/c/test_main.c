/*
 * The C test suite of the vwo-fme C ABI: calls every function of include/vwo_fme.h, used as
 * documented and misused. Run from the repository root (it reads examples/settings.json and
 * tests/fixtures/); the network group needs VWO_MOCK_URL and VWO_MOCK_LOG, which
 * tests/c/with_mock_server.sh provides (`make test-c` does it).
 *
 * Usage: test_abi [GROUP... | -GROUP...]
 *   no argument: every group but the optional ones; GROUP: only the named groups;
 *   -GROUP: every default group but those named.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests.h"

struct group {
    const char *name;
    void (*run)(void);
    int optional; /* run only when named */
};

static const struct group groups[] = {
    {"version_and_status", test_version_and_status, 0},
    {"uuid", test_uuid, 0},
    {"context", test_context, 0},
    {"client_new", test_client_new, 0},
    {"decisions", test_decisions, 0},
    {"typed_getters", test_typed_getters, 0},
    {"events_offline", test_events_offline, 0},
    {"update_settings", test_update_settings, 0},
    {"close_and_free", test_close_and_free, 0},
    {"null_arguments", test_null_arguments, 0},
    {"invalid_utf8", test_invalid_utf8, 0},
    {"malformed_json", test_malformed_json, 0},
    {"oversized_input", test_oversized_input, 0},
    {"bad_handles", test_bad_handles, 0},
    {"use_after_close", test_use_after_close, 0},
    {"storage_callbacks", test_storage_callbacks, 0},
    {"storage_result_misuse", test_storage_result_misuse, 0},
    {"log_callback", test_log_callback, 0},
    {"integrations_callback", test_integrations_callback, 0},
    {"reentrant_callbacks", test_reentrant_callbacks, 0},
    {"free_user_data", test_free_user_data, 0},
    {"callbacks_struct_size", test_callbacks_struct_size, 0},
    {"threads_offline", test_threads_offline, 0},
    {"network", test_network, 0},
    {"bad_handles_cross", test_bad_handles_cross, 0},
};

int main(int argc, char **argv) {
    size_t i, n = sizeof groups / sizeof groups[0], ran = 0;
    int only = 0, j;
    for (j = 1; j < argc; j++) only |= argv[j][0] != '-';
    for (i = 0; i < n; i++) {
        int selected = !only && !groups[i].optional;
        long before_checks = t_checks, before_failures = t_failures;
        struct timespec t0, t1;
        for (j = 1; j < argc; j++) {
            if (strcmp(argv[j], groups[i].name) == 0) selected = 1;
            if (argv[j][0] == '-' && strcmp(argv[j] + 1, groups[i].name) == 0) selected = 0;
        }
        if (!selected) continue;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        groups[i].run();
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ran++;
        printf("  %-26s %5ld checks %7.0f ms%s\n", groups[i].name, t_checks - before_checks,
               (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
               t_failures > before_failures ? "  FAILED" : "");
        fflush(stdout);
    }
    printf("test-c: %lu groups, %ld checks, %ld failures\n", (unsigned long)ran, t_checks,
           t_failures);
    return t_failures == 0 && ran > 0 ? 0 : 1;
}
