/*
 * C ABI benchmark (make bench-c): vwo_get_flag through the shared library, with the
 * decision's impression queued for a real loopback server (the project's mock server, at
 * VWO_MOCK_URL, serving tests/fixtures/conformance/settings/s1_rollout_only.json) and the
 * client's default threading (event workers deliver in the background).
 *
 * One call = vwo_get_flag[_ctx] + vwo_flag_is_enabled + vwo_flag_free, for feature
 * rollout_basic and the user {"id":"user-42","custom_variables":{"plan":"pro","country":"US",
 * "visits":3}} (the Rust client benchmark's case, benches/client.rs).
 *
 * Figures: the median over batches of calls of
 *   - CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), the primary figure: what the
 *     caller pays, whatever the background event workers do on the machine's other core;
 *   - wall time (CLOCK_MONOTONIC), which also absorbs preemption by those workers.
 * p10 and p90 are shown too. VWO_BENCH_MS sets each measurement's budget (default 1500 ms).
 *
 * Usage: bench [json] [ctx] [json-wall] [ctx-wall] [offline-json] [offline]
 *   (default: all; name some to profile them alone, e.g. under perf)
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"

#define CONTEXT "{\"id\":\"user-42\",\"custom_variables\":{\"plan\":\"pro\",\"country\":\"US\",\"visits\":3}}"
#define FEATURE "rollout_basic"
#define MAX_SAMPLES 100000

static double samples[MAX_SAMPLES];
static volatile int32_t sink;

static double now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct timing {
    double median, p10, p90;
} timing;

typedef struct bench_case {
    vwo_client *client;
    const vwo_context *ctx; /* NULL: the JSON context */
    const char *feature;
} bench_case;

static void one_call(const bench_case *b) {
    vwo_flag *f = NULL;
    if (b->ctx)
        vwo_get_flag_ctx(b->client, b->feature, b->ctx, &f);
    else
        vwo_get_flag(b->client, b->feature, CONTEXT, &f);
    sink += vwo_flag_is_enabled(f);
    vwo_flag_free(f);
}

/* Median ns per call on `clock`, over batches of `batch` calls, for about `budget_ms`. */
static timing measure(const bench_case *b, clockid_t clock, int batch, double budget_ms) {
    size_t n = 0, i;
    double start = now_ns(CLOCK_MONOTONIC);
    timing t;
    int k;
    for (k = 0; k < 2000; k++) one_call(b); /* warm-up */
    while ((now_ns(CLOCK_MONOTONIC) - start < budget_ms * 1e6 || n < 15) && n < MAX_SAMPLES) {
        double t0 = now_ns(clock);
        for (k = 0; k < batch; k++) one_call(b);
        samples[n++] = (now_ns(clock) - t0) / batch;
    }
    qsort(samples, n, sizeof samples[0], cmp_double);
    i = n - 1;
    t.median = samples[(size_t)(i * 0.5 + 0.5)];
    t.p10 = samples[(size_t)(i * 0.1 + 0.5)];
    t.p90 = samples[(size_t)(i * 0.9 + 0.5)];
    return t;
}

static void report(const char *what, timing t, double target) {
    printf("%-58s %9.0f %9.0f %9.0f", what, t.median, t.p10, t.p90);
    if (target > 0) printf("   <= %4.0f ns: %s", target, t.median <= target ? "met" : "MISSED");
    printf("\n");
    fflush(stdout);
}

static void drain(vwo_client *c) {
    int32_t delivered = 0;
    vwo_flush_events(c, 120000, &delivered);
    if (!delivered) fprintf(stderr, "bench: not every event was delivered\n");
}

/* Whether measurement `name` was asked for (no argument: all of them). */
static int wanted(int argc, char **argv, const char *name) {
    int i;
    if (argc < 2) return 1;
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    const char *url = getenv("VWO_MOCK_URL");
    double budget = getenv("VWO_BENCH_MS") ? atof(getenv("VWO_BENCH_MS")) : 1500.0;
    char *opts;
    vwo_client *c = NULL, *offline = NULL;
    vwo_context *ctx = NULL;
    vwo_status st;
    bench_case json_case, ctx_case, offline_case;
    timing t;

    if (!url) {
        fprintf(stderr, "bench: VWO_MOCK_URL is not set (run through tests/c/with_mock_server.sh)\n");
        return 2;
    }
    opts = str_cat("{\"sdk_key\":\"0123456789abcdef0123456789abcdef\",\"account_id\":888888,"
                   "\"proxy_url\":\"", url, "\",\"max_queue_size\":10000000}", (char *)NULL);
    if ((st = vwo_client_new(opts, NULL, &c)) != VWO_OK ||
        (st = vwo_context_new(CONTEXT, &ctx)) != VWO_OK) {
        fprintf(stderr, "bench: %s: %s\n", vwo_status_name(st), vwo_last_error_message());
        return 1;
    }
    free(opts);
    opts = offline_options("tests/fixtures/conformance/settings/s1_rollout_only.json",
                           "0123456789abcdef0123456789abcdef", "888888", "");
    if ((st = vwo_client_new(opts, NULL, &offline)) != VWO_OK) {
        fprintf(stderr, "bench: %s: %s\n", vwo_status_name(st), vwo_last_error_message());
        return 1;
    }
    free(opts);
    json_case.client = c;
    json_case.ctx = NULL;
    json_case.feature = FEATURE;
    ctx_case = json_case;
    ctx_case.ctx = ctx;
    offline_case = ctx_case;
    offline_case.client = offline;

    printf("vwo-fme %s C ABI, %s for %s, ns per call (get_flag + is_enabled + flag_free)\n",
           vwo_version(), FEATURE, CONTEXT);
    printf("%-58s %9s %9s %9s\n", "", "median", "p10", "p90");

    if (wanted(argc, argv, "json")) {
        t = measure(&json_case, CLOCK_THREAD_CPUTIME_ID, 200, budget);
        report("vwo_get_flag, JSON context, impression queued: CPU", t, 1500);
        drain(c);
    }
    if (wanted(argc, argv, "ctx")) {
        t = measure(&ctx_case, CLOCK_THREAD_CPUTIME_ID, 200, budget);
        report("vwo_get_flag_ctx, reused context, impression queued: CPU", t, 400);
        drain(c);
    }
    if (wanted(argc, argv, "json-wall")) {
        t = measure(&json_case, CLOCK_MONOTONIC, 500, budget);
        report("vwo_get_flag, JSON context, impression queued: wall", t, 0);
        drain(c);
    }
    if (wanted(argc, argv, "ctx-wall")) {
        t = measure(&ctx_case, CLOCK_MONOTONIC, 500, budget);
        report("vwo_get_flag_ctx, reused context, impression queued: wall", t, 0);
        drain(c);
    }
    /* For comparison: the same decisions on an offline client (events counted, not queued):
     * what the decision and the ABI cost without the event pipeline. */
    if (wanted(argc, argv, "offline-json")) {
        bench_case b = json_case;
        b.client = offline;
        t = measure(&b, CLOCK_THREAD_CPUTIME_ID, 200, budget);
        report("vwo_get_flag, JSON context, offline client: CPU", t, 0);
    }
    if (wanted(argc, argv, "offline")) {
        t = measure(&offline_case, CLOCK_THREAD_CPUTIME_ID, 200, budget);
        report("vwo_get_flag_ctx, reused context, offline client: CPU", t, 0);
    }

    vwo_context_free(ctx);
    vwo_client_free(c);
    vwo_client_free(offline);
    return sink < 0;
}
