/* One client shared by many threads: concurrent decisions (JSON and context handles) with
 * storage and integrations callbacks running on each calling thread, a settings swap under
 * load, and the per-thread last error. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "tests.h"

#define THREADS 8

/* Rounds of every user x feature per thread: 60, or VWO_TEST_ROUNDS (valgrind uses fewer). */
static int rounds = 60;

static const char *const users[] = {"alice", "bob", "carol", "dave", "qa_alice", "user-123"};
static const char *const features[] = {"new_checkout",  "search_ranking", "homepage_hero",
                                       "pricing_page",  "dark_mode",      "recommendations_v2",
                                       "no_such_flag"};
#define NUSERS (sizeof users / sizeof users[0])
#define NFEATURES (sizeof features / sizeof features[0])

/* Expected results, computed on one thread first. */
static int expected_enabled[NUSERS][NFEATURES];
static char *expected_vars[NUSERS][NFEATURES];
static char contexts[NUSERS][128];
static char *first_records[NUSERS][NFEATURES];

typedef struct shared {
    vwo_client *client;
    vwo_context *ctx[NUSERS];
    pthread_mutex_t lock;
    long integrations;
    long mismatches;
    long decisions;
    long errors_seen_elsewhere;
    const char *settings;
    int stop;
} shared;

static void count_integration(void *user_data, const char *json) {
    shared *s = user_data;
    (void)json;
    pthread_mutex_lock(&s->lock);
    s->integrations++;
    pthread_mutex_unlock(&s->lock);
}

typedef struct worker_arg {
    shared *s;
    int index;
} worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    shared *s = a->s;
    long mismatches = 0, decisions = 0;
    int round;
    size_t u, f;
    char msg[64];
    for (round = 0; round < rounds; round++) {
        for (u = 0; u < NUSERS; u++) {
            for (f = 0; f < NFEATURES; f++) {
                vwo_flag *flag = NULL;
                char *vars = NULL;
                /* Alternate JSON contexts and the shared context handles. */
                vwo_status st = ((round + a->index) % 2)
                                    ? vwo_get_flag(s->client, features[f], contexts[u], &flag)
                                    : vwo_get_flag_ctx(s->client, features[f], s->ctx[u], &flag);
                if (st != VWO_OK || vwo_flag_variables_json(flag, &vars) != VWO_OK ||
                    vwo_flag_is_enabled(flag) != expected_enabled[u][f] ||
                    strcmp(vars, expected_vars[u][f]) != 0) {
                    mismatches++;
                }
                vwo_string_free(vars);
                vwo_flag_free(flag);
                decisions++;
            }
        }
        /* The last error is this thread's own. */
        sprintf(msg, "thread %d round %d", a->index, round);
        {
            char *uuid = NULL;
            if (vwo_get_uuid("", msg, &uuid) != VWO_ERR_INVALID_ARGUMENT ||
                strcmp(vwo_last_error_message(), "user_id and account_id must be non-empty") != 0)
                mismatches++;
            if (vwo_get_uuid(msg, "123456", &uuid) != VWO_OK || strlen(uuid) != 32 ||
                vwo_last_error_message()[0] != '\0')
                mismatches++;
            vwo_string_free(uuid);
        }
    }
    pthread_mutex_lock(&s->lock);
    s->mismatches += mismatches;
    s->decisions += decisions;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Re-installs the same settings again and again while the workers decide. */
static void *swapper(void *p) {
    shared *s = p;
    int n = 0, stop = 0;
    while (!stop) {
        if (vwo_update_settings(s->client, s->settings, 0) != VWO_OK) {
            pthread_mutex_lock(&s->lock);
            s->mismatches++;
            pthread_mutex_unlock(&s->lock);
        }
        n++;
        pthread_mutex_lock(&s->lock);
        stop = s->stop;
        pthread_mutex_unlock(&s->lock);
        sleep_ms(2);
    }
    return NULL;
}

void test_threads_offline(void) {
    shared s;
    vwo_callbacks cb;
    pthread_t threads[THREADS], swap;
    worker_arg args[THREADS];
    memstore *store = memstore_new(), *single = memstore_new();
    size_t u, f;
    int i;
    char *settings = read_file(DEMO_SETTINGS);

    if (getenv("VWO_TEST_ROUNDS") && atoi(getenv("VWO_TEST_ROUNDS")) > 0)
        rounds = atoi(getenv("VWO_TEST_ROUNDS"));
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    s.settings = settings;

    /* Expected values, single-threaded, with a storage connector of its own. */
    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    cb.user_data = single;
    cb.storage_get = memstore_storage_get;
    cb.storage_set = memstore_storage_set;
    cb.log = quiet_callbacks()->log;
    s.client = demo_client(&cb, "");
    for (u = 0; u < NUSERS; u++) {
        sprintf(contexts[u], "{\"id\":\"%s\",\"custom_variables\":{\"country\":\"US\",\"beta\":true,"
                             "\"app_version\":\"4.3.0\"}}",
                users[u]);
        for (f = 0; f < NFEATURES; f++) {
            vwo_flag *flag = flag_of(s.client, features[f], contexts[u], VWO_OK);
            expected_enabled[u][f] = vwo_flag_is_enabled(flag);
            expected_vars[u][f] = variables_of(flag);
            vwo_flag_free(flag);
        }
    }
    /* The records after one decision... */
    for (u = 0; u < NUSERS; u++)
        for (f = 0; f + 1 < NFEATURES; f++)
            first_records[u][f] = memstore_get(single, features[f], users[u]);
    /* ...and after a second one, served from storage: same decisions; a record may be
     * rewritten (notInHoldoutId alternates between [901] and [] from one decision to the
     * next, as in the official SDK). */
    for (u = 0; u < NUSERS; u++) {
        for (f = 0; f < NFEATURES; f++) {
            vwo_flag *flag = flag_of(s.client, features[f], contexts[u], VWO_OK);
            char *vars = variables_of(flag);
            CHECK_INT(vwo_flag_is_enabled(flag), expected_enabled[u][f]);
            CHECK_STR(vars, expected_vars[u][f]);
            free(vars);
            vwo_flag_free(flag);
        }
    }
    vwo_client_free(s.client);
    /* A few anchors from the settings file, so the table itself is checked. */
    CHECK_INT(expected_enabled[0][0], 1);
    CHECK_STR(expected_vars[0][0], VARS_CONTROL);
    CHECK_INT(expected_enabled[2][4], 0); /* carol: holdout 901 */
    CHECK_STR(expected_vars[1][1], /* bob: beta tester, 4.3.0 >= 4.2.0 */
              "[{\"id\":1,\"value\":\"vector-hybrid\",\"type\":\"string\",\"key\":\"algorithm\"},"
              "{\"id\":2,\"value\":50,\"type\":\"integer\",\"key\":\"max_results\"}]");
    CHECK_INT(expected_enabled[0][6], 0);

    /* The shared client: storage (a locked in-memory store) and integrations callbacks. */
    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    cb.user_data = &s;
    cb.integrations = count_integration;
    cb.log = quiet_callbacks()->log;
    s.client = demo_client(&cb, "");
    for (u = 0; u < NUSERS; u++) CHECK_STATUS(vwo_context_new(contexts[u], &s.ctx[u]), VWO_OK);
    CHECK(pthread_create(&swap, NULL, swapper, &s) == 0);
    for (i = 0; i < THREADS; i++) {
        args[i].s = &s;
        args[i].index = i;
        CHECK(pthread_create(&threads[i], NULL, worker, &args[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    pthread_mutex_lock(&s.lock);
    s.stop = 1;
    pthread_mutex_unlock(&s.lock);
    CHECK(pthread_join(swap, NULL) == 0);
    CHECK_INT(s.mismatches, 0);
    CHECK_INT(s.decisions, (long)THREADS * rounds * NUSERS * NFEATURES);
    /* One integrations call per decision of an existing feature (no storage here). */
    CHECK_INT(s.integrations, (long)THREADS * rounds * NUSERS * (NFEATURES - 1));
    for (u = 0; u < NUSERS; u++) vwo_context_free(s.ctx[u]);
    vwo_client_free(s.client);

    /* The same with a storage connector shared by all threads: every decision stays the
     * same and the store ends up with the single-threaded run's records. */
    memset(&s.ctx, 0, sizeof s.ctx);
    s.mismatches = s.decisions = 0;
    memset(&cb, 0, sizeof cb);
    cb.log = quiet_callbacks()->log;
    cb.struct_size = sizeof cb;
    cb.user_data = store;
    cb.storage_get = memstore_storage_get;
    cb.storage_set = memstore_storage_set;
    s.client = demo_client(&cb, "");
    for (u = 0; u < NUSERS; u++) CHECK_STATUS(vwo_context_new(contexts[u], &s.ctx[u]), VWO_OK);
    for (i = 0; i < THREADS; i++) {
        args[i].s = &s;
        args[i].index = i;
        CHECK(pthread_create(&threads[i], NULL, worker, &args[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK_INT(s.mismatches, 0);
    /* Concurrent decisions of one user interleave their reads and writes, so each record
     * ends in one of the two states a sequence of decisions produces. */
    CHECK_INT(memstore_size(store), memstore_size(single));
    for (u = 0; u < NUSERS; u++) {
        for (f = 0; f + 1 < NFEATURES; f++) {
            char *a = memstore_get(store, features[f], users[u]);
            char *b = memstore_get(single, features[f], users[u]);
            t_checks++;
            if (!t_str_eq(a, b) && !t_str_eq(a, first_records[u][f]))
                t_fail(__FILE__, __LINE__, "record %s/%s is %s, expected %s or %s", features[f],
                       users[u], a ? a : "NULL", b ? b : "NULL",
                       first_records[u][f] ? first_records[u][f] : "NULL");
            free(a);
            free(b);
            free(first_records[u][f]);
        }
    }
    for (u = 0; u < NUSERS; u++) vwo_context_free(s.ctx[u]);
    vwo_client_free(s.client);

    for (u = 0; u < NUSERS; u++)
        for (f = 0; f < NFEATURES; f++) free(expected_vars[u][f]);
    memstore_free(store);
    memstore_free(single);
    pthread_mutex_destroy(&s.lock);
    free(settings);
}
