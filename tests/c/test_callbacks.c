/* Host callbacks: an in-memory storage connector, storage failures and odd answers, the
 * log transport, the integrations callback, callbacks that call back into the library,
 * user_data's lifetime (free_user_data exactly once) and struct_size versioning. */
#define _POSIX_C_SOURCE 200809L

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

#define MAX_LOGS 256

/* What the callbacks saw. */
typedef struct recorder {
    pthread_mutex_t lock;
    pthread_t owner;      /* the test's thread */
    memstore *store;      /* storage_get/set "store" behaviour */
    const char *get_mode; /* see rec_storage_get */
    int set_result;       /* what storage_set returns */
    vwo_client *client;   /* for re-entrant calls */
    int depth;            /* re-entrancy guard */
    int get_calls, set_calls, integration_calls, freed, off_thread;
    char get_keys[1024];  /* "key/user;" for each read */
    char last_set[2048];
    char last_integration[4096];
    int nlogs;
    int log_levels[MAX_LOGS];
    char *logs[MAX_LOGS];
    /* results of calls made from inside callbacks */
    vwo_status nested_status[16];
    char nested_text[4][256];
    int nested_enabled, nested_tracked;
} recorder;

static void rec_init(recorder *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->owner = pthread_self();
    r->store = memstore_new();
    r->get_mode = "store";
}

static void rec_done(recorder *r) {
    int i;
    for (i = 0; i < r->nlogs; i++) free(r->logs[i]);
    memstore_free(r->store);
    pthread_mutex_destroy(&r->lock);
}

static void copy_text(char *dst, size_t size, const char *src) {
    size_t n = strlen(src);
    if (n >= size) n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The log lines received at `level` containing `needle`. */
static int logs_with(recorder *r, int level, const char *needle) {
    int i, n = 0;
    pthread_mutex_lock(&r->lock);
    for (i = 0; i < r->nlogs; i++)
        if ((level < 0 || r->log_levels[i] == level) && strstr(r->logs[i], needle)) n++;
    pthread_mutex_unlock(&r->lock);
    return n;
}

static int rec_storage_get(void *user_data, const char *key, const char *user_id,
                           vwo_storage_result *result) {
    recorder *r = user_data;
    const char *mode = r->get_mode;
    size_t used = strlen(r->get_keys);
    r->get_calls++;
    if (!pthread_equal(pthread_self(), r->owner)) r->off_thread++;
    if (used + strlen(key) + strlen(user_id) + 3 < sizeof r->get_keys) {
        strcat(r->get_keys, key);
        strcat(r->get_keys, "/");
        strcat(r->get_keys, user_id);
        strcat(r->get_keys, ";");
    }
    if (strcmp(mode, "store") == 0) return memstore_storage_get(r->store, key, user_id, result);
    if (strcmp(mode, "fail") == 0) {
        r->nested_status[0] = vwo_storage_result_set_error(result, "disk on fire");
        return 1;
    }
    if (strcmp(mode, "fail_silently") == 0) return 7;
    if (strcmp(mode, "array") == 0) return (int)vwo_storage_result_set_json(result, "[1,2]", 5);
    if (strcmp(mode, "number") == 0) return (int)vwo_storage_result_set_json(result, "42", 2);
    if (strcmp(mode, "malformed") == 0) return (int)vwo_storage_result_set_json(result, "{", 1);
    if (strcmp(mode, "force_two_page") == 0) {
        /* A stored decision for variation 3 (Two-page) of new_checkout's test. */
        const char *j = "{\"featureKey\":\"new_checkout\",\"userId\":\"alice\",\"rolloutId\":101,"
                        "\"rolloutKey\":\"new_checkout_rolloutRule1\",\"rolloutVariationId\":1,"
                        "\"experimentId\":102,\"experimentKey\":\"new_checkout_testingRule1\","
                        "\"experimentVariationId\":3}";
        return (int)vwo_storage_result_set_json(result, j, strlen(j));
    }
    if (strcmp(mode, "misuse") == 0) {
        /* Argument errors first, then a record given as the first 2 bytes of a longer text,
         * replaced by an error, replaced again by an empty record: the last answer wins. */
        char *huge = calloc(1, (size_t)VWO_MAX_SETTINGS_BYTES + 2);
        r->nested_status[0] = vwo_storage_result_set_json(result, NULL, 0);
        r->nested_status[1] = vwo_storage_result_set_json(NULL, "{}", 2);
        r->nested_status[2] = vwo_storage_result_set_json(result, "{\"a\":\"" BAD_UTF8 "\"}", 10);
        r->nested_status[3] =
            huge ? vwo_storage_result_set_json(result, huge, (size_t)VWO_MAX_SETTINGS_BYTES + 1)
                 : VWO_ERR_TOO_LARGE;
        free(huge);
        r->nested_status[4] = vwo_storage_result_set_json(result, "{}garbage", 2);
        r->nested_status[5] = vwo_storage_result_set_error(result, NULL);
        r->nested_status[6] = vwo_storage_result_set_error(NULL, "x");
        r->nested_status[7] = vwo_storage_result_set_json(result, "{}", 2);
        return 0;
    }
    if (strcmp(mode, "error_bad_utf8") == 0) {
        r->nested_status[0] = vwo_storage_result_set_error(result, BAD_UTF8);
        return 1;
    }
    if (strcmp(mode, "reenter") == 0) {
        /* A nested decision for another feature from inside the read. */
        if (r->depth == 0) {
            vwo_flag *f = NULL;
            r->depth++;
            r->nested_status[0] = vwo_get_flag(r->client, "dark_mode", "{\"id\":\"alice\"}", &f);
            r->nested_enabled = vwo_flag_is_enabled(f);
            vwo_flag_free(f);
            r->depth--;
        }
        return memstore_storage_get(r->store, key, user_id, result);
    }
    return 0;
}

static int rec_storage_set(void *user_data, const char *record_json) {
    recorder *r = user_data;
    r->set_calls++;
    copy_text(r->last_set, sizeof r->last_set, record_json);
    if (strcmp(r->get_mode, "reenter") == 0) {
        char *uuid = NULL;
        r->nested_status[1] = vwo_get_uuid("user-123", "123456", &uuid);
        copy_text(r->nested_text[0], sizeof r->nested_text[0], uuid ? uuid : "(null)");
        vwo_string_free(uuid);
    }
    memstore_put(r->store, record_json);
    return r->set_result;
}

static void rec_log(void *user_data, int32_t level, const char *message) {
    recorder *r = user_data;
    /* Calls into the library from the log transport (any thread). */
    const char *v = vwo_version();
    uint32_t abi = vwo_abi_version();
    pthread_mutex_lock(&r->lock);
    if (!pthread_equal(pthread_self(), r->owner)) r->off_thread++;
    if (strcmp(v, vwo_version()) != 0 || abi >> 16 != VWO_ABI_MAJOR) r->nested_status[15] = 1;
    if (r->nlogs < MAX_LOGS) {
        r->log_levels[r->nlogs] = level;
        r->logs[r->nlogs] = str_cat(message, (char *)NULL);
        r->nlogs++;
    }
    pthread_mutex_unlock(&r->lock);
}

static void rec_integrations(void *user_data, const char *properties_json) {
    recorder *r = user_data;
    r->integration_calls++;
    if (!pthread_equal(pthread_self(), r->owner)) r->off_thread++;
    copy_text(r->last_integration, sizeof r->last_integration, properties_json);
    if (r->client && r->depth == 0 && strcmp(r->get_mode, "reenter_integrations") == 0) {
        /* Re-entrant calls: a UUID, another decision, its variables, an event. */
        vwo_flag *f = NULL;
        char *s = NULL;
        int32_t tracked = -1;
        r->depth++;
        r->nested_status[0] = vwo_get_uuid("user-123", "123456", &s);
        copy_text(r->nested_text[0], sizeof r->nested_text[0], s ? s : "(null)");
        vwo_string_free(s);
        r->nested_status[1] = vwo_get_flag(r->client, "dark_mode", "{\"id\":\"alice\"}", &f);
        r->nested_enabled = vwo_flag_is_enabled(f);
        s = NULL;
        r->nested_status[2] = vwo_flag_get_string(f, "theme", "light", &s);
        copy_text(r->nested_text[1], sizeof r->nested_text[1], s ? s : "(null)");
        vwo_string_free(s);
        copy_text(r->nested_text[2], sizeof r->nested_text[2],
                  vwo_flag_uuid(f) ? vwo_flag_uuid(f) : "(null)");
        vwo_flag_free(f);
        r->nested_status[3] =
            vwo_track_event(r->client, "purchase", "{\"id\":\"alice\"}", "{\"n\":1}", &tracked);
        r->nested_tracked = tracked;
        r->nested_status[4] = vwo_flag_get_string(NULL, "x", NULL, &s); /* sets a last error */
        r->depth--;
    }
}

static void rec_free(void *user_data) {
    recorder *r = user_data;
    r->freed++;
}

static vwo_callbacks callbacks_for(recorder *r) {
    vwo_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    cb.user_data = r;
    cb.free_user_data = rec_free;
    cb.storage_get = rec_storage_get;
    cb.storage_set = rec_storage_set;
    cb.log = rec_log;
    cb.log_level = -1;
    cb.integrations = rec_integrations;
    return cb;
}

#define ALICE "{\"id\":\"alice\"}"
#define RECORD_ALICE_CONTROL                                                               \
    "{\"featureKey\":\"new_checkout\",\"userId\":\"alice\",\"rolloutId\":101,"             \
    "\"rolloutKey\":\"new_checkout_rolloutRule1\",\"rolloutVariationId\":1,"               \
    "\"experimentId\":102,\"experimentKey\":\"new_checkout_testingRule1\","                \
    "\"experimentVariationId\":1,\"isInHoldoutId\":null,\"notInHoldoutId\":[]}"

/* ---- storage ------------------------------------------------------------------------- */

static void decide_with_mode(const char *mode, vwo_status expect_status, int expect_enabled,
                             vwo_reason expect_reason, const char *expect_vars,
                             const char *expect_log) {
    recorder r;
    vwo_callbacks cb;
    vwo_client *c;
    vwo_flag *f;
    char *vars;
    long failures = t_failures;
    rec_init(&r);
    r.get_mode = mode;
    cb = callbacks_for(&r);
    c = demo_client(&cb, "");
    f = flag_of(c, "new_checkout", ALICE, expect_status);
    vars = variables_of(f);
    CHECK_INT(vwo_flag_is_enabled(f), expect_enabled);
    CHECK_INT(vwo_flag_reason(f), expect_reason);
    CHECK_STR(vars, expect_vars);
    CHECK_INT(r.get_calls, 1);
    CHECK_STR(r.get_keys, "new_checkout/alice;");
    if (expect_log) CHECK_INT(logs_with(&r, 4, expect_log), 1);
    if (t_failures > failures) fprintf(stderr, "  (storage mode %s)\n", mode);
    free(vars);
    vwo_flag_free(f);
    vwo_client_free(c);
    CHECK_INT(r.freed, 1);
    rec_done(&r);
}

void test_storage_callbacks(void) {
    recorder r;
    vwo_callbacks cb;
    vwo_client *c;
    vwo_flag *f;
    char *vars;

    /* First decision: read (nothing), evaluate, write the record. Second: served from it. */
    rec_init(&r);
    cb = callbacks_for(&r);
    c = demo_client(&cb, "");
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    CHECK_INT(vwo_flag_reason(f), VWO_REASON_EVALUATED);
    CHECK_INT(r.get_calls, 1);
    CHECK_STR(r.get_keys, "new_checkout/alice;");
    CHECK_INT(r.set_calls, 1);
    CHECK_STR(r.last_set, RECORD_ALICE_CONTROL);
    vwo_flag_free(f);
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    CHECK_INT(vwo_flag_reason(f), VWO_REASON_STORED_EXPERIMENT);
    vars = variables_of(f);
    CHECK_STR(vars, VARS_CONTROL);
    free(vars);
    CHECK_INT(r.get_calls, 2);
    CHECK_INT(r.set_calls, 1);
    vwo_flag_free(f);

    /* Mutually exclusive group 7 (homepage_hero, pricing_page): the group's winner is
     * stored under _vwo_meta_meg_7; alice gets pricing_page only. */
    r.get_keys[0] = '\0';
    f = flag_of(c, "homepage_hero", ALICE, VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(f), 0);
    vwo_flag_free(f);
    CHECK_STR(r.get_keys, "homepage_hero/alice;_vwo_meta_meg_7/alice;homepage_hero/alice;"
                          "pricing_page/alice;homepage_hero/alice;pricing_page/alice;");
    {
        char *meg = memstore_get(r.store, "_vwo_meta_meg_7", "alice");
        CHECK_STR(meg, "{\"featureKey\":\"_vwo_meta_meg_7\",\"userId\":\"alice\",\"rolloutId\":null,"
                       "\"rolloutKey\":null,\"rolloutVariationId\":null,\"experimentId\":401,"
                       "\"experimentKey\":\"pricing_page_testingRule1\",\"experimentVariationId\":-1,"
                       "\"isInHoldoutId\":null,\"notInHoldoutId\":null}");
        free(meg);
    }
    f = flag_of(c, "pricing_page", ALICE, VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(f), 1);
    vwo_flag_free(f);

    /* Holdout 901 (10 %): carol is in it; the second decision comes from the record. */
    f = flag_of(c, "dark_mode", "{\"id\":\"carol\"}", VWO_OK);
    CHECK_INT(vwo_flag_reason(f), VWO_REASON_HOLDOUT);
    vwo_flag_free(f);
    CHECK_CONTAINS(r.last_set, "\"featureKey\":\"dark_mode\",\"userId\":\"carol\"");
    CHECK_CONTAINS(r.last_set, "\"isInHoldoutId\":[901]");
    f = flag_of(c, "dark_mode", "{\"id\":\"carol\"}", VWO_OK);
    CHECK_INT(vwo_flag_reason(f), VWO_REASON_STORED_HOLDOUT);
    CHECK_INT(vwo_flag_is_enabled(f), 0);
    vwo_flag_free(f);
    CHECK_INT(memstore_size(r.store), 5);
    CHECK_INT(r.off_thread, 0); /* storage and integrations ran on this thread */
    vwo_client_free(c);
    CHECK_INT(r.freed, 1);
    rec_done(&r);

    /* A stored decision is served as is: variation 3 (Two-page) for alice. */
    decide_with_mode("force_two_page", VWO_OK, 1, VWO_REASON_STORED_EXPERIMENT, VARS_TWO_PAGE,
                     NULL);
    /* A failed read (with or without a message) is logged and evaluation goes on. */
    decide_with_mode("fail", VWO_OK, 1, VWO_REASON_EVALUATED, VARS_CONTROL,
                     "Error reading data from storage. Error:disk on fire");
    decide_with_mode("fail_silently", VWO_OK, 1, VWO_REASON_EVALUATED, VARS_CONTROL,
                     "Error reading data from storage. Error:storage_get returned 7");
    decide_with_mode("error_bad_utf8", VWO_OK, 1, VWO_REASON_EVALUATED, VARS_CONTROL,
                     "Error reading data from storage. Error:the storage connector failed");
    /* Malformed JSON is a failed read. */
    decide_with_mode("malformed", VWO_OK, 1, VWO_REASON_EVALUATED, VARS_CONTROL,
                     "Error reading data from storage. Error:storage record is not JSON");
    /* JSON that is not an object fails the decision, as in the official SDK. */
    decide_with_mode("array", VWO_ERR_FAILED, 0, VWO_REASON_ERROR, "[]",
                     "API - getFlag failed to execute. Error:storage returned array instead of an object");
    decide_with_mode("number", VWO_ERR_FAILED, 0, VWO_REASON_ERROR, "[]",
                     "API - getFlag failed to execute. Error:storage returned number instead of an object");

    /* A failed write is logged; the decision stands. */
    rec_init(&r);
    r.set_result = 5;
    cb = callbacks_for(&r);
    c = demo_client(&cb, "");
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(f), 1);
    CHECK_INT(r.set_calls, 1);
    CHECK_INT(logs_with(&r, 4, "Error storing data into storage. Error: storage_set returned 5"), 1);
    vwo_flag_free(f);
    vwo_client_free(c);
    rec_done(&r);

    /* The in-memory store of support.c as the connector (user_data = the store). */
    {
        memstore *m = memstore_new();
        memset(&cb, 0, sizeof cb);
        cb.struct_size = sizeof cb;
        cb.user_data = m;
        cb.storage_get = memstore_storage_get;
        cb.storage_set = memstore_storage_set;
        c = demo_client(&cb, "");
        f = flag_of(c, "new_checkout", ALICE, VWO_OK);
        vwo_flag_free(f);
        f = flag_of(c, "new_checkout", ALICE, VWO_OK);
        CHECK_INT(vwo_flag_reason(f), VWO_REASON_STORED_EXPERIMENT);
        vwo_flag_free(f);
        vars = memstore_get(m, "new_checkout", "alice");
        CHECK_STR(vars, RECORD_ALICE_CONTROL);
        free(vars);
        vwo_client_free(c);
        memstore_free(m);
    }
}

void test_storage_result_misuse(void) {
    recorder r;
    vwo_callbacks cb;
    vwo_client *c;
    vwo_flag *f;
    rec_init(&r);
    r.get_mode = "misuse";
    cb = callbacks_for(&r);
    c = demo_client(&cb, "");
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    CHECK_INT(r.nested_status[0], VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(r.nested_status[1], VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(r.nested_status[2], VWO_ERR_INVALID_UTF8);
    CHECK_INT(r.nested_status[3], VWO_ERR_TOO_LARGE);
    CHECK_INT(r.nested_status[4], VWO_OK);
    CHECK_INT(r.nested_status[5], VWO_OK);
    CHECK_INT(r.nested_status[6], VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(r.nested_status[7], VWO_OK);
    /* The last answer, an empty record, is "no decision stored": evaluated afresh. */
    CHECK_INT(vwo_flag_reason(f), VWO_REASON_EVALUATED);
    CHECK_INT(vwo_flag_is_enabled(f), 1);
    CHECK_INT(logs_with(&r, 4, "storage"), 0);
    vwo_flag_free(f);
    vwo_client_free(c);
    rec_done(&r);
}

/* ---- log transport ------------------------------------------------------------------- */

void test_log_callback(void) {
    recorder r;
    vwo_callbacks cb;
    vwo_client *c;
    vwo_flag *f;
    int i;

    /* log_level 2 (info): the client's info lines reach the transport on this thread. */
    rec_init(&r);
    cb = callbacks_for(&r);
    cb.storage_get = NULL;
    cb.storage_set = NULL;
    cb.log_level = 2;
    c = demo_client(&cb, "");
    CHECK_INT(logs_with(&r, 2, "VWO client initialized"), 1);
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    vwo_flag_free(f);
    CHECK_INT(logs_with(&r, 2, "Decision for feature:new_checkout: enabled"), 1);
    f = flag_of(c, "nope", ALICE, VWO_OK);
    vwo_flag_free(f);
    CHECK_INT(logs_with(&r, 4, "Feature not found for the key:nope"), 1);
    CHECK_INT(logs_with(&r, 1, ""), 0); /* nothing below info */
    CHECK_INT(logs_with(&r, 0, ""), 0);
    CHECK_INT(r.off_thread, 0);
    CHECK_INT(r.nested_status[15], 0); /* vwo_version from inside the transport worked */
    vwo_client_free(c);
    rec_done(&r);

    /* log_level -1: the options' logger level (warn) applies. */
    rec_init(&r);
    cb = callbacks_for(&r);
    cb.log_level = -1;
    c = demo_client(&cb, ",\"logger\":{\"level\":\"warn\"}");
    f = flag_of(c, "nope", ALICE, VWO_OK);
    vwo_flag_free(f);
    CHECK_INT(logs_with(&r, 4, "Feature not found for the key:nope"), 1);
    CHECK_INT(logs_with(&r, 2, ""), 0);
    vwo_client_free(c);
    rec_done(&r);

    /* log_level 0 (trace): everything, and the SDK key never appears (it is masked). */
    rec_init(&r);
    cb = callbacks_for(&r);
    cb.log_level = 0;
    c = demo_client(&cb, "");
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    vwo_flag_free(f);
    CHECK_INT(logs_with(&r, 2, "Decision for feature:new_checkout: enabled"), 1);
    CHECK_INT(logs_with(&r, -1, DEMO_SDK_KEY), 0);
    vwo_client_free(c);
    for (i = 0; i < r.nlogs; i++) CHECK(r.log_levels[i] >= 0 && r.log_levels[i] <= 4);
    rec_done(&r);

    /* An unknown logger level in the options is an initialisation error. */
    rec_init(&r);
    cb = callbacks_for(&r);
    {
        char *opts = offline_options(DEMO_SETTINGS, DEMO_SDK_KEY, DEMO_ACCOUNT,
                                     ",\"logger\":{\"level\":\"loud\"}");
        c = (vwo_client *)1;
        CHECK_STATUS(vwo_client_new(opts, &cb, &c), VWO_ERR_INIT);
        CHECK(c == NULL);
        CHECK_CONTAINS(vwo_last_error_message(), "unknown logger level \"loud\"");
        free(opts);
    }
    rec_done(&r);
}

/* ---- integrations -------------------------------------------------------------------- */

void test_integrations_callback(void) {
    recorder r;
    vwo_callbacks cb;
    vwo_client *c;
    vwo_flag *f;
    int32_t tracked;

    rec_init(&r);
    cb = callbacks_for(&r);
    cb.storage_get = NULL;
    cb.storage_set = NULL;
    c = demo_client(&cb, "");
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    vwo_flag_free(f);
    CHECK_INT(r.integration_calls, 1);
    CHECK_STR(r.last_integration,
              "{\"featureName\":\"New checkout\",\"featureId\":1,\"featureKey\":\"new_checkout\","
              "\"userId\":\"alice\",\"api\":\"getFlag\",\"holdoutIDs\":[],\"isPartOfHoldout\":false,"
              "\"isHoldoutPresent\":false,\"isUserPartOfCampaign\":true,"
              "\"custom_variables\":{\"_vwoUserId\":\"alice\"},\"rolloutId\":101,"
              "\"rolloutKey\":\"new_checkout_rolloutRule1\",\"rolloutVariationId\":1,"
              "\"variation_targeting_variables\":{\"_vwoUserId\":\"alice\"},\"experimentId\":102,"
              "\"experimentKey\":\"new_checkout_testingRule1\",\"experimentVariationId\":1}");
    /* A holdout decision. */
    f = flag_of(c, "dark_mode", "{\"id\":\"carol\"}", VWO_OK);
    vwo_flag_free(f);
    CHECK_INT(r.integration_calls, 2);
    CHECK_STR(r.last_integration,
              "{\"featureName\":\"Dark mode\",\"featureId\":5,\"featureKey\":\"dark_mode\","
              "\"userId\":\"carol\",\"api\":\"getFlag\",\"holdoutIDs\":[901],"
              "\"isPartOfHoldout\":true,\"isHoldoutPresent\":true,"
              "\"isUserPartOfCampaign\":false,\"isEnabled\":false}");
    /* Tracked events; an unknown event or feature makes no call. */
    CHECK_STATUS(vwo_track_event(c, "purchase", ALICE, NULL, &tracked), VWO_OK);
    CHECK_INT(r.integration_calls, 3);
    CHECK_STR(r.last_integration, "{\"event_name\":\"purchase\",\"api\":\"trackEvent\"}");
    CHECK_STATUS(vwo_track_event(c, "unknown_event", ALICE, NULL, &tracked), VWO_OK);
    f = flag_of(c, "no_such_flag", ALICE, VWO_OK);
    vwo_flag_free(f);
    CHECK_INT(r.integration_calls, 3);
    CHECK_INT(r.off_thread, 0);
    vwo_client_free(c);
    rec_done(&r);
}

/* ---- re-entrancy --------------------------------------------------------------------- */

void test_reentrant_callbacks(void) {
    recorder r;
    vwo_callbacks cb;
    vwo_client *c;
    vwo_flag *f;
    char *vars;

    /* The integrations callback calls get_uuid, get_flag, flag getters and track_event. */
    rec_init(&r);
    r.get_mode = "reenter_integrations";
    cb = callbacks_for(&r);
    cb.storage_get = NULL;
    cb.storage_set = NULL;
    c = demo_client(&cb, "");
    r.client = c;
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    /* A failed call made from inside a callback does not leak its message into the outer
     * call's result: the outer call succeeded, so the last error is empty. */
    CHECK_STR(vwo_last_error_message(), "");
    vars = variables_of(f);
    CHECK_STR(vars, VARS_CONTROL);
    free(vars);
    vwo_flag_free(f);
    CHECK_INT(r.nested_status[0], VWO_OK);
    CHECK_STR(r.nested_text[0], UUID_USER_123);
    CHECK_INT(r.nested_status[1], VWO_OK);
    CHECK_INT(r.nested_enabled, 1);
    CHECK_INT(r.nested_status[2], VWO_OK);
    CHECK_STR(r.nested_text[1], "dark");
    CHECK_STR(r.nested_text[2], UUID_ALICE);
    CHECK_INT(r.nested_status[3], VWO_OK);
    CHECK_INT(r.nested_tracked, 1);
    CHECK_INT(r.nested_status[4], VWO_ERR_NULL_ARGUMENT);
    /* outer decision + nested decision + nested event */
    CHECK_INT(r.integration_calls, 3);
    CHECK_STR(r.last_integration, "{\"event_name\":\"purchase\",\"api\":\"trackEvent\"}");
    vwo_client_free(c);
    CHECK_INT(r.freed, 1);
    rec_done(&r);

    /* storage_get makes a nested decision (with its own storage read and write);
     * storage_set calls get_uuid. */
    rec_init(&r);
    r.get_mode = "reenter";
    cb = callbacks_for(&r);
    c = demo_client(&cb, "");
    r.client = c;
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    vars = variables_of(f);
    CHECK_STR(vars, VARS_CONTROL);
    free(vars);
    vwo_flag_free(f);
    CHECK_INT(r.nested_status[0], VWO_OK);
    CHECK_INT(r.nested_enabled, 1);
    CHECK_STR(r.get_keys, "new_checkout/alice;dark_mode/alice;");
    CHECK_INT(r.set_calls, 2);
    CHECK_INT(r.nested_status[1], VWO_OK);
    CHECK_STR(r.nested_text[0], UUID_USER_123);
    CHECK_INT(memstore_size(r.store), 2);
    vwo_client_free(c);
    rec_done(&r);
}

/* ---- user_data lifetime -------------------------------------------------------------- */

void test_free_user_data(void) {
    recorder r;
    vwo_callbacks cb;
    vwo_client *c;
    vwo_flag *f;
    char *opts;

    /* Released once, by vwo_client_free (close keeps it: the handle still exists). */
    rec_init(&r);
    cb = callbacks_for(&r);
    c = demo_client(&cb, "");
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    vwo_flag_free(f);
    CHECK_STATUS(vwo_client_close(c, NULL), VWO_OK);
    CHECK_INT(r.freed, 0);
    CHECK_STATUS(vwo_client_close(c, NULL), VWO_OK);
    CHECK_INT(r.freed, 0);
    vwo_client_free(c);
    CHECK_INT(r.freed, 1);
    rec_done(&r);

    /* Free without close. */
    rec_init(&r);
    cb = callbacks_for(&r);
    c = demo_client(&cb, "");
    vwo_client_free(c);
    CHECK_INT(r.freed, 1);
    rec_done(&r);

    /* A failed vwo_client_new releases user_data before returning, whatever the error,
     * except a struct_size too small to read the callbacks at all. */
    rec_init(&r);
    cb = callbacks_for(&r);
    CHECK_STATUS(vwo_client_new("{", &cb, &c), VWO_ERR_INVALID_JSON);
    CHECK_INT(r.freed, 1);
    CHECK_STATUS(vwo_client_new(NULL, &cb, &c), VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(r.freed, 2);
    CHECK_STATUS(vwo_client_new("{}", &cb, NULL), VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(r.freed, 3);
    cb.struct_size = 0;
    CHECK_STATUS(vwo_client_new("{}", &cb, &c), VWO_ERR_INVALID_ARGUMENT);
    CHECK_INT(r.freed, 3);
    cb.struct_size = sizeof cb;
    CHECK_STATUS(vwo_client_new("{\"sdk_key\":\"" DEMO_SDK_KEY "\"}", &cb, &c), VWO_ERR_INIT);
    CHECK_INT(r.freed, 4);
    opts = offline_options(DEMO_SETTINGS, DEMO_SDK_KEY, DEMO_ACCOUNT,
                           ",\"retry_config\":{\"max_retries\":\"x\"},\"proxy_url\":\"ftp://x\"");
    CHECK_STATUS(vwo_client_new(opts, &cb, &c), VWO_ERR_INIT);
    CHECK_INT(r.freed, 5);
    free(opts);
    rec_done(&r);

    /* No free_user_data: nothing is called. */
    rec_init(&r);
    cb = callbacks_for(&r);
    cb.free_user_data = NULL;
    c = demo_client(&cb, "");
    vwo_client_free(c);
    CHECK_INT(r.freed, 0);
    rec_done(&r);
}

/* ---- struct_size --------------------------------------------------------------------- */

static int unexpected_calls = 0;
static void unexpected_log(void *user_data, int32_t level, const char *message) {
    (void)user_data;
    (void)level;
    (void)message;
    unexpected_calls++;
}
static void unexpected_integrations(void *user_data, const char *json) {
    (void)user_data;
    (void)json;
    unexpected_calls++;
}
static void unexpected_free(void *user_data) {
    (void)user_data;
    unexpected_calls++;
}

void test_callbacks_struct_size(void) {
    recorder r;
    vwo_callbacks cb;
    vwo_client *c;
    vwo_flag *f;
    struct {
        vwo_callbacks cb;
        unsigned char future_members[64];
    } bigger;

    /* An older caller's struct ending before `log`: members past struct_size are ignored. */
    rec_init(&r);
    cb = callbacks_for(&r);
    cb.struct_size = (uint32_t)offsetof(vwo_callbacks, log);
    cb.log = unexpected_log;
    cb.log_level = 0;
    cb.integrations = unexpected_integrations;
    c = demo_client(&cb, ",\"logger\":{\"level\":\"error\"}");
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(f), 1);
    vwo_flag_free(f);
    CHECK_INT(r.get_calls, 1); /* storage_get is inside the size */
    CHECK_INT(r.set_calls, 1);
    vwo_client_free(c);
    CHECK_INT(r.freed, 1);
    CHECK_INT(unexpected_calls, 0);
    rec_done(&r);

    /* Only struct_size itself: no callback at all, not even free_user_data. */
    memset(&cb, 0, sizeof cb);
    cb.struct_size = 4;
    cb.free_user_data = unexpected_free;
    cb.integrations = unexpected_integrations;
    c = demo_client(&cb, "");
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    vwo_flag_free(f);
    vwo_client_free(c);
    CHECK_INT(unexpected_calls, 0);

    /* A newer caller's larger struct: the known members are used. */
    rec_init(&r);
    memset(&bigger, 0xAB, sizeof bigger);
    bigger.cb = callbacks_for(&r);
    bigger.cb.struct_size = (uint32_t)sizeof bigger;
    c = demo_client(&bigger.cb, "");
    f = flag_of(c, "new_checkout", ALICE, VWO_OK);
    vwo_flag_free(f);
    CHECK_INT(r.get_calls, 1);
    CHECK_INT(r.integration_calls, 1);
    vwo_client_free(c);
    CHECK_INT(r.freed, 1);
    rec_done(&r);

    /* Too small to hold struct_size: refused. */
    memset(&cb, 0, sizeof cb);
    cb.struct_size = 3;
    c = (vwo_client *)1;
    {
        char *opts = offline_options(DEMO_SETTINGS, DEMO_SDK_KEY, DEMO_ACCOUNT, "");
        CHECK_STATUS(vwo_client_new(opts, &cb, &c), VWO_ERR_INVALID_ARGUMENT);
        CHECK_STR(vwo_last_error_message(), "callbacks.struct_size must be sizeof(vwo_callbacks)");
        CHECK(c == NULL);
        free(opts);
    }
}
