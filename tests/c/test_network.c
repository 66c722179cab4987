/* Network paths against the project's loopback mock server (`vwo-fme mock-server`, started
 * by tests/c/with_mock_server.sh, serving examples/settings.json): settings fetch and
 * refetch, events on the wire, batches delivered by worker threads with the flush callback,
 * delivery failures, a client without settings, aliasing through a gateway. Only 127.0.0.1
 * is contacted. */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests.h"

static const char *mock_url;
static const char *mock_log;

/* Requests recorded by the mock server whose line contains every given fragment. */
static int requests_with(const char *a, const char *b, const char *c) {
    char *log = read_file(mock_log);
    int n = 0;
    char *line = log, *end;
    while (*line) {
        end = strchr(line, '\n');
        if (end) *end = '\0';
        if (strstr(line, a) && (!b || strstr(line, b)) && (!c || strstr(line, c))) n++;
        if (!end) break;
        line = end + 1;
    }
    free(log);
    return n;
}

/* A loopback port nobody listens on (bound, then released). */
static int closed_port(void) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

/* Callback state. */
typedef struct net_rec {
    pthread_mutex_t lock;
    pthread_t caller;
    int flush_calls, flush_errors, flush_on_caller, freed, logs_fetch_failed;
    long impressions;      /* vwo_variationShown events reported delivered */
    long flush_uuid_fails; /* vwo_get_uuid from the worker thread */
    char last_error[512];
    char last_events[8192];
} net_rec;

static void net_flush(void *user_data, const char *error, const char *events_json) {
    net_rec *r = user_data;
    char *uuid = NULL;
    /* Calling back into the library from a worker thread. */
    vwo_status st = vwo_get_uuid("user-123", "123456", &uuid);
    pthread_mutex_lock(&r->lock);
    if (st != VWO_OK || strcmp(uuid, UUID_USER_123) != 0) r->flush_uuid_fails++;
    r->flush_calls++;
    if (pthread_equal(pthread_self(), r->caller)) r->flush_on_caller++;
    if (error) {
        size_t n = strlen(error) < sizeof r->last_error ? strlen(error) : sizeof r->last_error - 1;
        r->flush_errors++;
        memcpy(r->last_error, error, n);
        r->last_error[n] = '\0';
    } else {
        r->impressions += (long)str_count(events_json, "\"name\":\"vwo_variationShown\"");
    }
    {
        size_t n = strlen(events_json);
        if (n >= sizeof r->last_events) n = sizeof r->last_events - 1;
        memcpy(r->last_events, events_json, n);
        r->last_events[n] = '\0';
    }
    pthread_mutex_unlock(&r->lock);
    vwo_string_free(uuid);
}

static void net_log(void *user_data, int32_t level, const char *message) {
    net_rec *r = user_data;
    pthread_mutex_lock(&r->lock);
    if (level == 4 && strstr(message, "Settings could not be fetched")) r->logs_fetch_failed++;
    pthread_mutex_unlock(&r->lock);
}

static void net_free(void *user_data) {
    net_rec *r = user_data;
    pthread_mutex_lock(&r->lock);
    r->freed++;
    pthread_mutex_unlock(&r->lock);
}

static vwo_callbacks net_callbacks(net_rec *r) {
    vwo_callbacks cb;
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->caller = pthread_self();
    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    cb.user_data = r;
    cb.free_user_data = net_free;
    cb.flush = net_flush;
    cb.log = net_log;
    cb.log_level = -1;
    return cb;
}

static char *options(const char *extra) {
    return str_cat("{\"sdk_key\":\"" DEMO_SDK_KEY "\",\"account_id\":123456,\"proxy_url\":\"",
                   mock_url, "\"", extra, "}", (char *)NULL);
}

/* Settings fetched from the server, events sent in the caller's thread (threading off). */
static void fetch_and_send(void) {
    net_rec r;
    vwo_callbacks cb = net_callbacks(&r);
    char *opts = options(",\"threading\":{\"enabled\":false}");
    vwo_client *c = NULL;
    vwo_flag *f;
    char *vars;
    int32_t out;
    int fetches = requests_with("\"path\":\"/server-side/v2-settings\"", "a=123456", NULL);
    int pulls = requests_with("\"path\":\"/server-side/v2-pull\"", NULL, NULL);
    int batches = requests_with("\"path\":\"/server-side/batch-events-v2\"", UUID_ALICE,
                                "vwo_variationShown");
    int tracks = requests_with("\"path\":\"/events/t\"", "en=purchase", "\"revenue\":12.5");
    int attrs = requests_with("\"path\":\"/events/t\"", "en=vwo_syncVisitorProp", "\"plan\":\"pro\"");

    CHECK_STATUS(vwo_client_new(opts, &cb, &c), VWO_OK);
    CHECK_INT(requests_with("\"path\":\"/server-side/v2-settings\"", "a=123456", NULL), fetches + 1);
    f = flag_of(c, "new_checkout", "{\"id\":\"alice\"}", VWO_OK);
    vars = variables_of(f);
    CHECK_STR(vars, VARS_CONTROL);
    free(vars);
    vwo_flag_free(f);
    /* Sent before get_flag returned: the rollout and test impressions in one batch. */
    CHECK_INT(requests_with("\"path\":\"/server-side/batch-events-v2\"", UUID_ALICE,
                            "vwo_variationShown"),
              batches + 1);
    out = -1;
    CHECK_STATUS(vwo_track_event(c, "purchase", "{\"id\":\"alice\"}", "{\"revenue\":12.5}", &out),
                 VWO_OK);
    CHECK_INT(out, 1);
    CHECK_INT(requests_with("\"path\":\"/events/t\"", "en=purchase", "\"revenue\":12.5"), tracks + 1);
    CHECK_STATUS(vwo_set_attribute(c, "plan", "\"pro\"", "{\"id\":\"alice\"}"), VWO_OK);
    CHECK_INT(requests_with("\"path\":\"/events/t\"", "en=vwo_syncVisitorProp", "\"plan\":\"pro\""),
              attrs + 1);
    /* Refetch, from the settings endpoint and from the webhook one. */
    CHECK_STATUS(vwo_update_settings(c, NULL, 0), VWO_OK);
    CHECK_INT(requests_with("\"path\":\"/server-side/v2-settings\"", "a=123456", NULL), fetches + 2);
    CHECK_STATUS(vwo_update_settings(c, NULL, 1), VWO_OK);
    CHECK_INT(requests_with("\"path\":\"/server-side/v2-pull\"", NULL, NULL), pulls + 1);
    out = -1;
    CHECK_STATUS(vwo_flush_events(c, 5000, &out), VWO_OK);
    CHECK_INT(out, 1);
    out = -1;
    CHECK_STATUS(vwo_client_close(c, &out), VWO_OK);
    CHECK_INT(out, 1);
    CHECK_INT(r.flush_errors, 0);
    CHECK_INT(r.freed, 0);
    vwo_client_free(c);
    CHECK_INT(r.freed, 1);
    pthread_mutex_destroy(&r.lock);
    free(opts);
}

/* Batches delivered by the library's worker threads: the flush callback runs there. */
typedef struct decider_arg {
    vwo_client *c;
    int index;
    int failures;
} decider_arg;

#define DECIDERS 4
#define DECISIONS_EACH 10

static void *decider(void *p) {
    decider_arg *a = p;
    int i;
    for (i = 0; i < DECISIONS_EACH; i++) {
        char ctx[64];
        vwo_flag *f = NULL;
        sprintf(ctx, "{\"id\":\"net-%d-%d\"}", a->index, i);
        /* new_checkout: a rollout and a test impression for everyone. */
        if (vwo_get_flag(a->c, "new_checkout", ctx, &f) != VWO_OK || !vwo_flag_is_enabled(f))
            a->failures++;
        vwo_flag_free(f);
    }
    return NULL;
}

static void batches_from_workers(void) {
    net_rec r;
    vwo_callbacks cb = net_callbacks(&r);
    char *opts = options(",\"batch_event_data\":{\"events_per_request\":7,\"request_time_interval\":60}");
    vwo_client *c = NULL;
    pthread_t threads[DECIDERS];
    decider_arg args[DECIDERS];
    int i, calls;
    int32_t out;

    CHECK_STATUS(vwo_client_new(opts, &cb, &c), VWO_OK);
    for (i = 0; i < DECIDERS; i++) {
        args[i].c = c;
        args[i].index = i;
        args[i].failures = 0;
        CHECK(pthread_create(&threads[i], NULL, decider, &args[i]) == 0);
    }
    for (i = 0; i < DECIDERS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK_INT(args[i].failures, 0);
    }
    out = -1;
    CHECK_STATUS(vwo_flush_events(c, 20000, &out), VWO_OK);
    CHECK_INT(out, 1);
    pthread_mutex_lock(&r.lock);
    CHECK_INT(r.impressions, 2L * DECIDERS * DECISIONS_EACH);
    CHECK_INT(r.flush_errors, 0);
    CHECK(r.flush_calls >= (2 * DECIDERS * DECISIONS_EACH) / 7);
    CHECK_INT(r.flush_on_caller, 0); /* worker threads only */
    CHECK_INT(r.flush_uuid_fails, 0);
    calls = r.flush_calls;
    pthread_mutex_unlock(&r.lock);
    out = -1;
    CHECK_STATUS(vwo_client_close(c, &out), VWO_OK);
    CHECK_INT(out, 1);
    vwo_client_free(c);
    /* user_data released once, after the workers stopped; no callback after that. */
    CHECK_INT(r.freed, 1);
    sleep_ms(50);
    CHECK_INT(r.flush_calls, calls);
    pthread_mutex_destroy(&r.lock);
    free(opts);
}

/* Nobody listening: failures reach the flush callback with the reason. */
static void delivery_failures(void) {
    net_rec r;
    vwo_callbacks cb;
    char port[16], *settings = read_file(DEMO_SETTINGS), *opts;
    vwo_client *c = NULL;
    int32_t out;

    sprintf(port, "%d", closed_port());
    CHECK(atoi(port) > 0);

    /* Batched, on a worker thread. */
    cb = net_callbacks(&r);
    opts = str_cat("{\"sdk_key\":\"" DEMO_SDK_KEY "\",\"account_id\":123456,"
                   "\"proxy_url\":\"http://127.0.0.1:", port, "\",\"settings\":", settings,
                   ",\"retry_config\":{\"should_retry\":false},"
                   "\"batch_event_data\":{\"events_per_request\":100,\"request_time_interval\":60}}",
                   (char *)NULL);
    CHECK_STATUS(vwo_client_new(opts, &cb, &c), VWO_OK);
    out = -1;
    CHECK_STATUS(vwo_track_event(c, "purchase", "{\"id\":\"alice\"}", NULL, &out), VWO_OK);
    CHECK_INT(out, 1);
    out = -1;
    CHECK_STATUS(vwo_flush_events(c, 10000, &out), VWO_OK);
    CHECK_INT(out, 0);
    pthread_mutex_lock(&r.lock);
    CHECK(r.flush_errors >= 1);
    CHECK_CONTAINS(r.last_error, "Connection refused");
    CHECK_CONTAINS(r.last_events, "\"name\":\"purchase\"");
    CHECK_INT(r.flush_on_caller, 0);
    pthread_mutex_unlock(&r.lock);
    vwo_client_free(c);
    CHECK_INT(r.freed, 1);
    pthread_mutex_destroy(&r.lock);
    free(opts);

    /* Threading off: the failure is reported on the caller's thread, before the call returns. */
    cb = net_callbacks(&r);
    opts = str_cat("{\"sdk_key\":\"" DEMO_SDK_KEY "\",\"account_id\":123456,"
                   "\"proxy_url\":\"http://127.0.0.1:", port, "\",\"settings\":", settings,
                   ",\"retry_config\":{\"should_retry\":false},\"threading\":{\"enabled\":false}}",
                   (char *)NULL);
    CHECK_STATUS(vwo_client_new(opts, &cb, &c), VWO_OK);
    pthread_mutex_lock(&r.lock); /* the SDK-init event, sent by vwo_client_new */
    CHECK_INT(r.flush_errors, 1);
    CHECK_INT(r.flush_on_caller, 1);
    CHECK_CONTAINS(r.last_events, "\"name\":\"vwo_fmeSdkInit\"");
    pthread_mutex_unlock(&r.lock);
    CHECK_STATUS(vwo_set_attribute(c, "plan", "\"pro\"", "{\"id\":\"alice\"}"), VWO_OK);
    pthread_mutex_lock(&r.lock);
    CHECK_INT(r.flush_errors, 2);
    CHECK_INT(r.flush_on_caller, 2);
    CHECK_CONTAINS(r.last_events, "\"name\":\"vwo_syncVisitorProp\"");
    CHECK_CONTAINS(r.last_error, "vwo_syncVisitorProp failed after 1 attempt(s)");
    CHECK_CONTAINS(r.last_error, "Connection refused");
    pthread_mutex_unlock(&r.lock);
    vwo_client_free(c);
    pthread_mutex_destroy(&r.lock);
    free(opts);

    /* No settings (the fetch failed): decisions say VWO_ERR_NO_SETTINGS until settings are
     * given. */
    cb = net_callbacks(&r);
    opts = str_cat("{\"sdk_key\":\"" DEMO_SDK_KEY "\",\"account_id\":123456,"
                   "\"proxy_url\":\"http://127.0.0.1:", port, "\",\"settings_timeout_ms\":3000,"
                   "\"retry_config\":{\"should_retry\":false},\"threading\":{\"enabled\":false}}",
                   (char *)NULL);
    CHECK_STATUS(vwo_client_new(opts, &cb, &c), VWO_OK);
    CHECK_INT(r.logs_fetch_failed, 1);
    {
        vwo_flag *f = flag_of(c, "new_checkout", "{\"id\":\"alice\"}", VWO_ERR_NO_SETTINGS);
        char *vars;
        CHECK_INT(vwo_flag_is_enabled(f), 0);
        CHECK_INT(vwo_flag_reason(f), VWO_REASON_ERROR);
        vwo_flag_free(f);
        out = -1;
        CHECK_STATUS(vwo_track_event(c, "purchase", "{\"id\":\"alice\"}", NULL, &out), VWO_OK);
        CHECK_INT(out, 0);
        CHECK_STATUS(vwo_update_settings(c, NULL, 0), VWO_ERR_FAILED);
        CHECK_STATUS(vwo_update_settings(c, settings, 0), VWO_OK);
        f = flag_of(c, "new_checkout", "{\"id\":\"alice\"}", VWO_OK);
        vars = variables_of(f);
        CHECK_STR(vars, VARS_CONTROL);
        free(vars);
        vwo_flag_free(f);
    }
    vwo_client_free(c);
    pthread_mutex_destroy(&r.lock);
    free(opts);
    free(settings);
}

/* set_alias through a gateway (the mock server answers {}: not confirmed). */
static void alias_via_gateway(void) {
    char *opts = str_cat("{\"sdk_key\":\"" DEMO_SDK_KEY "\",\"account_id\":123456,"
                         "\"gateway_service\":{\"url\":\"", mock_url, "\"},"
                         "\"is_aliasing_enabled\":true,\"threading\":{\"enabled\":false}}",
                         (char *)NULL);
    vwo_client *c = NULL;
    int32_t ok = -1;
    int before = requests_with("\"path\":\"/user-alias/setUserAlias\"", "userId=alice&aliasId=alice-42", NULL);
    CHECK_STATUS(vwo_client_new(opts, quiet_callbacks(), &c), VWO_OK);
    CHECK_STATUS(vwo_set_alias(c, "alice", "alice-42", &ok), VWO_OK);
    CHECK_INT(ok, 0);
    CHECK_INT(requests_with("\"path\":\"/user-alias/setUserAlias\"", "userId=alice&aliasId=alice-42", NULL),
              before + 1);
    CHECK_STATUS(vwo_set_alias(c, "alice", "alice", &ok), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "invalid argument: user id and alias id must differ");
    CHECK_STATUS(vwo_set_alias(c, "alice", " ", &ok), VWO_ERR_INVALID_ARGUMENT);
    vwo_client_free(c);
    free(opts);
}

void test_network(void) {
    mock_url = getenv("VWO_MOCK_URL");
    mock_log = getenv("VWO_MOCK_LOG");
    if (!mock_url || !mock_log) {
        printf("  network: SKIPPED (run under tests/c/with_mock_server.sh)\n");
        return;
    }
    CHECK(strncmp(mock_url, "http://127.0.0.1:", 17) == 0);
    fetch_and_send();
    batches_from_workers();
    delivery_failures();
    alias_via_gateway();
}
