/*
 * The C ABI layer of the benchmark matrix (make bench, bench/README.md): one scenario of
 * bench/scenarios.json through libvwo_fme.so, with the context passed as JSON on every call
 * (vwo_get_flag) and as a reused parsed handle (vwo_get_flag_ctx).
 *
 *   cabi_matrix NAME SETTINGS_FILE ACCOUNT_ID STORAGE(0|1) CONTEXT_JSON FEATURE...
 *
 * Each mode gets its own client: the settings of SETTINGS_FILE given at creation, impressions
 * queued for the loopback server at VWO_MOCK_URL and delivered in batches by the library's
 * event workers, log messages dropped (a no-op log callback), and with STORAGE=1 an in-memory
 * storage connector (tests/c/support.c). One call = vwo_get_flag[_ctx] for the next feature
 * (cycled) + vwo_flag_is_enabled + vwo_flag_free.
 *
 * Timing (as benches/support.rs): batches sized to last at least 0.5 ms, run for VWO_BENCH_MS
 * (default 400) and at least 15 batches; the median, p10 and p90 of the wall time per call
 * over the batches, and the median of the calling thread's CPU time per call.
 *
 * Prints one JSON object per mode on standard output (bench/matrix.py reads them).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"

#define SDK_KEY "0123456789abcdef0123456789abcdef"
#define MAX_SAMPLES 100000

static double wall_samples[MAX_SAMPLES], cpu_samples[MAX_SAMPLES];
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

static double pick(double *v, size_t n, double q) {
    return v[(size_t)((double)(n - 1) * q + 0.5)];
}

static void quiet_log(void *user_data, int32_t level, const char *message) {
    (void)user_data;
    (void)level;
    (void)message;
}

static void free_store(void *user_data) {
    memstore_free((memstore *)user_data);
}

typedef struct bench_case {
    vwo_client *client;
    const vwo_context *ctx; /* NULL: the JSON context */
    const char *context_json;
    char **features;
    int n_features;
    int next;
} bench_case;

static int32_t one_call(bench_case *b) {
    vwo_flag *f = NULL;
    const char *key = b->features[b->next];
    int32_t on;
    b->next = (b->next + 1) % b->n_features;
    if (b->ctx)
        vwo_get_flag_ctx(b->client, key, b->ctx, &f);
    else
        vwo_get_flag(b->client, key, b->context_json, &f);
    on = vwo_flag_is_enabled(f);
    vwo_flag_free(f);
    return on;
}

static vwo_client *new_client(const char *settings_path, const char *account, int storage,
                              const char *url) {
    char *settings = read_file(settings_path);
    char *opts = str_cat("{\"sdk_key\":\"" SDK_KEY "\",\"account_id\":", account, ",\"settings\":", settings,
                         ",\"proxy_url\":\"", url,
                         "\",\"max_queue_size\":10000000,"
                         "\"batch_event_data\":{\"events_per_request\":500,\"request_time_interval\":60}}",
                         (char *)NULL);
    vwo_callbacks cb;
    vwo_client *c = NULL;
    vwo_status st;
    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    cb.log = quiet_log;
    cb.log_level = -1;
    if (storage) {
        cb.user_data = memstore_new();
        cb.free_user_data = free_store;
        cb.storage_get = memstore_storage_get;
        cb.storage_set = memstore_storage_set;
    }
    st = vwo_client_new(opts, &cb, &c);
    free(settings);
    free(opts);
    if (st != VWO_OK) {
        fprintf(stderr, "cabi_matrix: vwo_client_new: %s: %s\n", vwo_status_name(st), vwo_last_error_message());
        exit(1);
    }
    return c;
}

static void run(const char *layer, const char *name, bench_case *b, double budget_ms) {
    size_t n = 0;
    int batch = 1, k, i;
    double start, t0, c0, w, med, p10, p90, cpu, cpu10, proc0, thread0, calls = 0;
    int32_t delivered = 0;

    /* Decisions of the first pass (before any storage record exists). */
    printf("{\"kind\":\"latency\",\"layer\":\"%s\",\"scenario\":\"%s\",\"decisions\":[", layer, name);
    for (i = 0; i < b->n_features; i++) printf("%s%s", i ? "," : "", one_call(b) ? "true" : "false");
    b->next = 0;

    /* Everything from here to the end of the flush: CPU time of the whole process and of
     * this thread, to tell what the event pipeline (other threads) costs per call. */
    proc0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    thread0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    /* Warm up and size the batch (>= 0.5 ms). */
    for (;;) {
        t0 = now_ns(CLOCK_MONOTONIC);
        for (k = 0; k < batch; k++) sink += one_call(b);
        calls += batch;
        if (now_ns(CLOCK_MONOTONIC) - t0 >= 5e5 || batch >= (1 << 24)) break;
        batch *= 2;
    }
    start = now_ns(CLOCK_MONOTONIC);
    while ((now_ns(CLOCK_MONOTONIC) - start < budget_ms * 1e6 || n < 15) && n < MAX_SAMPLES) {
        c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        t0 = now_ns(CLOCK_MONOTONIC);
        for (k = 0; k < batch; k++) sink += one_call(b);
        w = now_ns(CLOCK_MONOTONIC);
        wall_samples[n] = (w - t0) / batch;
        cpu_samples[n] = (now_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / batch;
        n++;
        calls += batch;
    }
    qsort(wall_samples, n, sizeof wall_samples[0], cmp_double);
    qsort(cpu_samples, n, sizeof cpu_samples[0], cmp_double);
    med = pick(wall_samples, n, 0.5);
    p10 = pick(wall_samples, n, 0.1);
    p90 = pick(wall_samples, n, 0.9);
    cpu = pick(cpu_samples, n, 0.5);
    cpu10 = pick(cpu_samples, n, 0.1);
    vwo_flush_events(b->client, 120000, &delivered);
    /* Other threads' CPU time per call: the event pipeline (building, batching, sending). */
    w = ((now_ns(CLOCK_PROCESS_CPUTIME_ID) - proc0) - (now_ns(CLOCK_THREAD_CPUTIME_ID) - thread0)) / calls;
    printf("],\"median_ns\":%.1f,\"p10_ns\":%.1f,\"p90_ns\":%.1f,\"cpu_ns\":%.1f,\"cpu_p10_ns\":%.1f,\"batches\":%lu,"
           "\"batch\":%d,\"calls\":%.0f,\"background_cpu_ns\":%.1f,\"all_delivered\":%s}\n",
           med, p10, p90, cpu, cpu10, (unsigned long)n, batch, calls, w, delivered ? "true" : "false");
    fflush(stdout);
    fprintf(stderr, "c       %-12s %-20s %8.0f ns (p10 %.0f, p90 %.0f; caller CPU %.0f; other threads %.0f)%s\n",
            layer, name, med, p10, p90, cpu, w, delivered ? "" : "  NOT ALL EVENTS DELIVERED");
}

int main(int argc, char **argv) {
    const char *url = getenv("VWO_MOCK_URL");
    double budget = getenv("VWO_BENCH_MS") ? atof(getenv("VWO_BENCH_MS")) : 400.0;
    const char *name, *settings, *account, *context_json;
    int storage;
    bench_case b;
    vwo_context *ctx = NULL;
    vwo_status st;

    if (argc < 7) {
        fprintf(stderr, "usage: %s NAME SETTINGS_FILE ACCOUNT_ID STORAGE(0|1) CONTEXT_JSON FEATURE...\n", argv[0]);
        return 2;
    }
    if (!url || !*url) {
        fprintf(stderr, "cabi_matrix: VWO_MOCK_URL is not set (a loopback mock server's URL)\n");
        return 2;
    }
    name = argv[1];
    settings = argv[2];
    account = argv[3];
    storage = strcmp(argv[4], "1") == 0;
    context_json = argv[5];

    memset(&b, 0, sizeof b);
    b.context_json = context_json;
    b.features = argv + 6;
    b.n_features = argc - 6;

    b.client = new_client(settings, account, storage, url);
    run("c_json", name, &b, budget);
    vwo_client_free(b.client);

    if ((st = vwo_context_new(context_json, &ctx)) != VWO_OK) {
        fprintf(stderr, "cabi_matrix: vwo_context_new: %s: %s\n", vwo_status_name(st), vwo_last_error_message());
        return 1;
    }
    b.client = new_client(settings, account, storage, url);
    b.ctx = ctx;
    b.next = 0;
    run("c_ctx", name, &b, budget);
    vwo_client_free(b.client);
    vwo_context_free(ctx);
    return sink < 0 ? 3 : 0;
}
