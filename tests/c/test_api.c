/* Every function of the C ABI used as documented, with exact expected values from
 * examples/settings.json, the behaviour spec's test vectors (§7.1, §21) and the conformance
 * settings. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "tests.h"

#ifndef VWO_EXPECTED_VERSION
#define VWO_EXPECTED_VERSION "0.1.0"
#endif

/* ---- shared fixtures ----------------------------------------------------------------- */

static void discard_log(void *user_data, int32_t level, const char *message) {
    (void)user_data;
    (void)level;
    (void)message;
}

const vwo_callbacks *quiet_callbacks(void) {
    static vwo_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    cb.log = discard_log;
    cb.log_level = -1;
    return &cb;
}

vwo_client *demo_client(const vwo_callbacks *cb, const char *extra) {
    char *opts = offline_options(DEMO_SETTINGS, DEMO_SDK_KEY, DEMO_ACCOUNT, extra);
    vwo_client *c = NULL;
    vwo_status s = vwo_client_new(opts, cb ? cb : quiet_callbacks(), &c);
    free(opts);
    if (s != VWO_OK || !c) {
        fprintf(stderr, "cannot create the demo client: %s %s\n", vwo_status_name(s),
                vwo_last_error_message());
        exit(2);
    }
    return c;
}

vwo_flag *flag_of(vwo_client *c, const char *feature, const char *context_json,
                  vwo_status expected_status) {
    vwo_flag *f = NULL;
    CHECK_STATUS(vwo_get_flag(c, feature, context_json, &f), expected_status);
    CHECK(f != NULL);
    return f;
}

char *variables_of(const vwo_flag *f) {
    char *json = NULL, *copy;
    CHECK_STATUS(vwo_flag_variables_json(f, &json), VWO_OK);
    copy = str_cat(json ? json : "(null)", (char *)NULL);
    vwo_string_free(json);
    return copy;
}

/* ---- version, status names, last error ----------------------------------------------- */

static void *other_thread_last_error(void *arg) {
    /* The last error is per thread: this thread made no call, so its message is empty.
     * (Copied: the message is thread-local storage, gone when the thread ends.) */
    char *out = arg;
    strncpy(out, vwo_last_error_message(), 63);
    out[63] = '\0';
    return NULL;
}

void test_version_and_status(void) {
    static const struct {
        vwo_status code;
        const char *name;
    } names[] = {
        {VWO_OK, "VWO_OK"},
        {VWO_ERR_NULL_ARGUMENT, "VWO_ERR_NULL_ARGUMENT"},
        {VWO_ERR_INVALID_UTF8, "VWO_ERR_INVALID_UTF8"},
        {VWO_ERR_INVALID_JSON, "VWO_ERR_INVALID_JSON"},
        {VWO_ERR_INVALID_ARGUMENT, "VWO_ERR_INVALID_ARGUMENT"},
        {VWO_ERR_TOO_LARGE, "VWO_ERR_TOO_LARGE"},
        {VWO_ERR_INIT, "VWO_ERR_INIT"},
        {VWO_ERR_CLOSED, "VWO_ERR_CLOSED"},
        {VWO_ERR_NO_SETTINGS, "VWO_ERR_NO_SETTINGS"},
        {VWO_ERR_FAILED, "VWO_ERR_FAILED"},
        {VWO_ERR_NOT_FOUND, "VWO_ERR_NOT_FOUND"},
        {VWO_ERR_TYPE_MISMATCH, "VWO_ERR_TYPE_MISMATCH"},
        {VWO_ERR_BAD_HANDLE, "VWO_ERR_BAD_HANDLE"},
        {VWO_ERR_PANIC, "VWO_ERR_PANIC"},
        {13, "VWO_ERR_UNKNOWN"},
        {98, "VWO_ERR_UNKNOWN"},
        {-1, "VWO_ERR_UNKNOWN"},
        {INT32_MIN, "VWO_ERR_UNKNOWN"},
    };
    size_t i;
    char *uuid = NULL;
    char other[64] = "unset";
    pthread_t t;

    CHECK_STR(vwo_version(), VWO_EXPECTED_VERSION);
    CHECK(vwo_version() == vwo_version()); /* static */
    CHECK_INT(vwo_abi_version(), ((uint32_t)VWO_ABI_MAJOR << 16) | VWO_ABI_MINOR);
    CHECK_INT(vwo_abi_version() >> 16, 1);
    CHECK_INT(vwo_abi_version() & 0xFFFFu, 0);
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK_STR(vwo_status_name(names[i].code), names[i].name);
    }
    CHECK_INT(VWO_MAX_KEY_BYTES, 4096);
    CHECK_INT(VWO_MAX_CONTEXT_BYTES, 1048576);
    CHECK_INT(VWO_MAX_SETTINGS_BYTES, 67108864);

    /* A failure leaves a message; the next call clears it. */
    CHECK_STATUS(vwo_get_uuid("", "1", &uuid), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "user_id and account_id must be non-empty");
    CHECK(pthread_create(&t, NULL, other_thread_last_error, other) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_STR(other, "");
    CHECK_STR(vwo_last_error_message(), "user_id and account_id must be non-empty");
    CHECK_STATUS(vwo_get_uuid("u", "1", &uuid), VWO_OK);
    CHECK_STR(vwo_last_error_message(), "");
    vwo_string_free(uuid);
}

/* ---- get_uuid ------------------------------------------------------------------------ */

void test_uuid(void) {
    static const struct {
        const char *user, *account, *uuid;
    } vectors[] = {
        /* behaviour spec §7.1 and §21 #1-#4, measured on the official Python SDK */
        {"user-123", "123456", "CC25A368ADA0542699EAD62489811105"},
        {"user_id", "12345", "E4824A365FF15611963CB44DC0E4D513"},
        {"Ashley", "123456", "4C9BA81BAF53591488EB5FD5E66A98B9"},
        {"\xc3\xbcn\xc3\xaf\x63\xc3\xb8\x64\xc3\xa9", "12345", "CD67693E9C9A5829B73ADE52609FB790"},
        {"alice", "123456", UUID_ALICE},
    };
    size_t i;
    char *uuid;
    char *long_id;
    vwo_client *c;
    vwo_flag *f;

    for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        uuid = NULL;
        CHECK_STATUS(vwo_get_uuid(vectors[i].user, vectors[i].account, &uuid), VWO_OK);
        CHECK_STR(uuid, vectors[i].uuid);
        vwo_string_free(uuid);
    }
    /* §21 #5: empty ids give no UUID; the out pointer is reset to NULL. */
    uuid = (char *)"sentinel";
    CHECK_STATUS(vwo_get_uuid("", "1", &uuid), VWO_ERR_INVALID_ARGUMENT);
    CHECK(uuid == NULL);
    uuid = (char *)"sentinel";
    CHECK_STATUS(vwo_get_uuid("u", "", &uuid), VWO_ERR_INVALID_ARGUMENT);
    CHECK(uuid == NULL);

    /* Key size limit: exactly VWO_MAX_KEY_BYTES is accepted, one more byte is not. */
    long_id = str_fill("", 'u', VWO_MAX_KEY_BYTES, "");
    CHECK_STATUS(vwo_get_uuid(long_id, "1", &uuid), VWO_OK);
    CHECK_INT(uuid ? strlen(uuid) : 0, 32);
    vwo_string_free(uuid);
    free(long_id);
    long_id = str_fill("", 'u', VWO_MAX_KEY_BYTES + 1, "");
    CHECK_STATUS(vwo_get_uuid(long_id, "1", &uuid), VWO_ERR_TOO_LARGE);
    CHECK(uuid == NULL);
    free(long_id);

    /* A flag's UUID is the same derivation with the options' account id. */
    c = demo_client(NULL, "");
    f = flag_of(c, "new_checkout", "{\"id\":\"user-123\"}", VWO_OK);
    CHECK_STR(vwo_flag_uuid(f), UUID_USER_123);
    CHECK(vwo_flag_uuid(f) == vwo_flag_uuid(f)); /* borrowed from the flag */
    vwo_flag_free(f);
    vwo_client_free(c);
}

/* ---- contexts ------------------------------------------------------------------------ */

void test_context(void) {
    vwo_client *c = demo_client(NULL, "");
    vwo_context *snake = NULL, *camel = NULL, *sess = NULL;
    vwo_flag *f = NULL;
    char *vars;
    int64_t now;

    CHECK_STATUS(vwo_context_new("{\"id\":\"bob\",\"custom_variables\":{\"country\":\"DE\","
                                 "\"plan\":\"Premium\",\"beta\":true,\"app_version\":\"4.3.1\"}}",
                                 &snake),
                 VWO_OK);
    CHECK(snake != NULL);
    CHECK_STATUS(vwo_context_new("{\"id\":\"bob\",\"customVariables\":{\"country\":\"DE\","
                                 "\"plan\":\"Premium\",\"beta\":true,\"app_version\":\"4.3.1\"},"
                                 "\"userAgent\":\"curl/8.5.0\",\"ipAddress\":\"203.0.113.7\"}",
                                 &camel),
                 VWO_OK);

    /* bob: new_checkout Two-page; search_ranking served by the "Beta testers" personalize
     * rule (beta = true and app_version >= 4.2.0). Same with a reused handle, both key
     * spellings, and a JSON context. */
    CHECK_STATUS(vwo_get_flag_ctx(c, "new_checkout", snake, &f), VWO_OK);
    vars = variables_of(f);
    CHECK_STR(vars, VARS_TWO_PAGE);
    free(vars);
    vwo_flag_free(f);
    CHECK_STATUS(vwo_get_flag_ctx(c, "search_ranking", snake, &f), VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(f), 1);
    vars = variables_of(f);
    CHECK_STR(vars, "[{\"id\":1,\"value\":\"vector-hybrid\",\"type\":\"string\",\"key\":\"algorithm\"},"
                    "{\"id\":2,\"value\":50,\"type\":\"integer\",\"key\":\"max_results\"}]");
    free(vars);
    vwo_flag_free(f);
    CHECK_STATUS(vwo_get_flag_ctx(c, "search_ranking", camel, &f), VWO_OK);
    vars = variables_of(f);
    CHECK_CONTAINS(vars, "\"vector-hybrid\"");
    free(vars);
    vwo_flag_free(f);
    /* No country nor plan: the rollout (evaluated first) does not target bob, so the
     * personalize rule is not reached. */
    f = flag_of(c, "search_ranking",
                "{\"id\":\"bob\",\"customVariables\":{\"beta\":true,\"app_version\":\"4.3.1\"}}",
                VWO_OK);
    vars = variables_of(f);
    CHECK_STR(vars, "[]");
    free(vars);
    vwo_flag_free(f);
    /* In the US with app_version below 4.2.0: the rollout serves bm25, no beta variation. */
    f = flag_of(c, "search_ranking",
                "{\"id\":\"bob\",\"custom_variables\":{\"country\":\"US\",\"beta\":true,"
                "\"app_version\":\"4.1\"}}",
                VWO_OK);
    vars = variables_of(f);
    CHECK_STR(vars, "[{\"id\":1,\"value\":\"bm25\",\"type\":\"string\",\"key\":\"algorithm\"},"
                    "{\"id\":2,\"value\":20,\"type\":\"integer\",\"key\":\"max_results\"}]");
    free(vars);
    vwo_flag_free(f);

    /* session_id: from the context, else now. */
    CHECK_STATUS(vwo_context_new("{\"id\":\"alice\",\"session_id\":1700000000}", &sess), VWO_OK);
    CHECK_STATUS(vwo_get_flag_ctx(c, "new_checkout", sess, &f), VWO_OK);
    CHECK_INT(vwo_flag_session_id(f), 1700000000);
    CHECK_STR(vwo_flag_uuid(f), UUID_ALICE);
    vwo_flag_free(f);
    now = now_unix_s();
    f = flag_of(c, "new_checkout", "{\"id\":\"alice\"}", VWO_OK);
    CHECK(vwo_flag_session_id(f) >= now - 2 && vwo_flag_session_id(f) <= now + 2);
    vwo_flag_free(f);

    /* A context is independent of any client: it outlives this one and serves another. */
    vwo_client_free(c);
    c = demo_client(NULL, "");
    CHECK_STATUS(vwo_get_flag_ctx(c, "new_checkout", snake, &f), VWO_OK);
    vars = variables_of(f);
    CHECK_STR(vars, VARS_TWO_PAGE);
    free(vars);
    vwo_flag_free(f);

    /* Unusable contexts. */
    snake = (vwo_context_free(snake), NULL);
    camel = (vwo_context_free(camel), (vwo_context *)1);
    CHECK_STATUS(vwo_context_new("{}", &camel), VWO_ERR_INVALID_ARGUMENT);
    CHECK(camel == NULL);
    CHECK_STR(vwo_last_error_message(),
              "context_json: context must be a non-empty object with an \"id\"");
    CHECK_STATUS(vwo_context_new("[\"alice\"]", &camel), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vwo_context_new("{\"id\":42}", &camel), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vwo_context_new("\"alice\"", &camel), VWO_ERR_INVALID_ARGUMENT);
    CHECK(camel == NULL);
    vwo_context_free(NULL);
    vwo_context_free(sess);
    vwo_client_free(c);
}

/* ---- client creation ----------------------------------------------------------------- */

void test_client_new(void) {
    vwo_client *c = (vwo_client *)1;
    vwo_flag *f;
    vwo_callbacks cb;
    char *opts, *settings, *vars;

    /* Missing required options: VWO_ERR_INIT with the official SDK's message. */
    CHECK_STATUS(vwo_client_new("{\"sdk_key\":\"" DEMO_SDK_KEY "\"}", NULL, &c), VWO_ERR_INIT);
    CHECK(c == NULL);
    CHECK_STR(vwo_last_error_message(),
              "Account ID is required to initialize VWO. Please provide the account_id in the "
              "options.");
    c = (vwo_client *)1;
    CHECK_STATUS(vwo_client_new("{\"account_id\":123456}", NULL, &c), VWO_ERR_INIT);
    CHECK(c == NULL);
    CHECK_STR(vwo_last_error_message(),
              "SDK key is required to initialize VWO. Please provide the sdk_key in the options.");
    CHECK_STATUS(vwo_client_new("{}", NULL, &c), VWO_ERR_INIT);
    CHECK_STATUS(vwo_client_new("[]", NULL, &c), VWO_ERR_INIT);
    CHECK_STATUS(vwo_client_new("42", NULL, &c), VWO_ERR_INIT);
    CHECK_STATUS(vwo_client_new("{\"sdk_key\":\"" DEMO_SDK_KEY "\",\"account_id\":123456,"
                                "\"offline\":true}",
                                NULL, &c),
                 VWO_ERR_INIT);
    CHECK_STR(vwo_last_error_message(),
              "VWO initialization failed. Error: offline mode needs the settings option");
    CHECK(c == NULL);

    /* camelCase keys, a string account id, settings as JSON text rather than an object. */
    settings = read_file(DEMO_SETTINGS);
    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    opts = str_cat("{\"sdkKey\":\"" DEMO_SDK_KEY "\",\"accountId\":\"123456\",\"offline\":true,"
                   "\"settings\":",
                   settings, "}", (char *)NULL);
    CHECK_STATUS(vwo_client_new(opts, &cb, &c), VWO_OK);
    CHECK(c != NULL);
    f = flag_of(c, "new_checkout", "{\"id\":\"alice\"}", VWO_OK);
    CHECK_STR(vwo_flag_uuid(f), UUID_ALICE);
    vars = variables_of(f);
    CHECK_STR(vars, VARS_CONTROL);
    free(vars);
    vwo_flag_free(f);
    vwo_client_free(c);
    free(opts);
    free(settings);

    /* Invalid settings in the options: the client exists and says so at each decision. */
    c = NULL;
    CHECK_STATUS(vwo_client_new("{\"sdk_key\":\"" DEMO_SDK_KEY "\",\"account_id\":123456,"
                                "\"offline\":true,\"settings\":{\"features\":3}}",
                                quiet_callbacks(), &c),
                 VWO_OK);
    CHECK(c != NULL);
    f = flag_of(c, "new_checkout", "{\"id\":\"alice\"}", VWO_ERR_NO_SETTINGS);
    CHECK_INT(vwo_flag_is_enabled(f), 0);
    CHECK_INT(vwo_flag_reason(f), VWO_REASON_ERROR);
    vwo_flag_free(f);
    vwo_client_free(c);
}

/* ---- decisions ----------------------------------------------------------------------- */

#define CTX_ALICE "{\"id\":\"alice\",\"custom_variables\":{\"country\":\"US\",\"plan\":\"free\"}}"
#define CTX_BOB                                                                            \
    "{\"id\":\"bob\",\"custom_variables\":{\"country\":\"DE\",\"plan\":\"Premium\","       \
    "\"beta\":true,\"app_version\":\"4.3.1\"}}"
#define CTX_CAROL                                                                          \
    "{\"id\":\"carol\",\"custom_variables\":{\"country\":\"IN\",\"plan\":\"enterprise\"}}"
#define CTX_QA "{\"id\":\"qa_alice\",\"custom_variables\":{\"country\":\"CA\"}}"
#define CTX_DAVE                                                                           \
    "{\"id\":\"dave\",\"custom_variables\":{\"country\":\"US\",\"beta\":true,"             \
    "\"app_version\":\"4.1\"}}"

static const struct decision {
    const char *context, *feature;
    int enabled;
    vwo_reason reason;
    const char *variables;
} decisions[] = {
    {CTX_ALICE, "new_checkout", 1, VWO_REASON_EVALUATED, VARS_CONTROL},
    {CTX_ALICE, "search_ranking", 0, VWO_REASON_EVALUATED, "[]"},
    {CTX_ALICE, "homepage_hero", 0, VWO_REASON_EVALUATED, "[]"},
    {CTX_ALICE, "pricing_page", 1, VWO_REASON_EVALUATED,
     "[{\"id\":1,\"value\":\"monthly\",\"type\":\"string\",\"key\":\"default_period\"},"
     "{\"id\":2,\"value\":false,\"type\":\"boolean\",\"key\":\"show_savings\"}]"},
    {CTX_ALICE, "dark_mode", 1, VWO_REASON_EVALUATED,
     "[{\"id\":1,\"value\":\"dark\",\"type\":\"string\",\"key\":\"theme\"},"
     "{\"id\":2,\"value\":1.1,\"type\":\"double\",\"key\":\"contrast\"}]"},
    {CTX_ALICE, "recommendations_v2", 1, VWO_REASON_EVALUATED,
     "[{\"id\":1,\"value\":\"collaborative\",\"type\":\"string\",\"key\":\"model\"},"
     "{\"id\":2,\"value\":4,\"type\":\"integer\",\"key\":\"slots\"}]"},
    {CTX_BOB, "new_checkout", 1, VWO_REASON_EVALUATED, VARS_TWO_PAGE},
    {CTX_BOB, "homepage_hero", 1, VWO_REASON_EVALUATED,
     "[{\"id\":1,\"value\":\"Welcome back\",\"type\":\"string\",\"key\":\"headline\"},"
     "{\"id\":2,\"value\":\"hero-a.png\",\"type\":\"string\",\"key\":\"image\"}]"},
    {CTX_BOB, "pricing_page", 0, VWO_REASON_EVALUATED, "[]"},
    {CTX_CAROL, "new_checkout", 1, VWO_REASON_EVALUATED, VARS_ONE_PAGE},
    {CTX_CAROL, "dark_mode", 0, VWO_REASON_HOLDOUT, "[]"},
    {CTX_CAROL, "recommendations_v2", 0, VWO_REASON_HOLDOUT, "[]"},
    {CTX_QA, "homepage_hero", 1, VWO_REASON_EVALUATED,
     "[{\"id\":1,\"value\":\"Do more, faster\",\"type\":\"string\",\"key\":\"headline\"},"
     "{\"id\":2,\"value\":\"hero-b.png\",\"type\":\"string\",\"key\":\"image\"}]"},
    {CTX_DAVE, "search_ranking", 1, VWO_REASON_EVALUATED,
     "[{\"id\":1,\"value\":\"bm25\",\"type\":\"string\",\"key\":\"algorithm\"},"
     "{\"id\":2,\"value\":20,\"type\":\"integer\",\"key\":\"max_results\"}]"},
    {CTX_DAVE, "pricing_page", 1, VWO_REASON_EVALUATED,
     "[{\"id\":1,\"value\":\"annual\",\"type\":\"string\",\"key\":\"default_period\"},"
     "{\"id\":2,\"value\":true,\"type\":\"boolean\",\"key\":\"show_savings\"}]"},
    {CTX_ALICE, "no_such_flag", 0, VWO_REASON_FEATURE_NOT_FOUND, "[]"},
    {CTX_ALICE, "", 0, VWO_REASON_FEATURE_NOT_FOUND, "[]"},
};

void test_decisions(void) {
    vwo_client *c = demo_client(NULL, "");
    long failures = t_failures;
    size_t i;
    for (i = 0; i < sizeof decisions / sizeof decisions[0]; i++) {
        const struct decision *d = &decisions[i];
        vwo_context *ctx = NULL;
        vwo_flag *f = flag_of(c, d->feature, d->context, VWO_OK), *g = NULL;
        char *vars = variables_of(f), *vars2;
        CHECK_INT(vwo_flag_is_enabled(f), d->enabled);
        CHECK_INT(vwo_flag_reason(f), d->reason);
        CHECK_STR(vars, d->variables);
        CHECK(vwo_flag_uuid(f) != NULL && strlen(vwo_flag_uuid(f)) == 32);
        /* The same decision through a context handle. */
        CHECK_STATUS(vwo_context_new(d->context, &ctx), VWO_OK);
        CHECK_STATUS(vwo_get_flag_ctx(c, d->feature, ctx, &g), VWO_OK);
        vars2 = variables_of(g);
        CHECK_INT(vwo_flag_is_enabled(g), d->enabled);
        CHECK_INT(vwo_flag_reason(g), d->reason);
        CHECK_STR(vars2, d->variables);
        CHECK_STR(vwo_flag_uuid(g), vwo_flag_uuid(f));
        if (t_failures > failures)
            fprintf(stderr, "  (decision %lu: %s for %s)\n", (unsigned long)i, d->feature, d->context);
        failures = t_failures;
        free(vars);
        free(vars2);
        vwo_flag_free(f);
        vwo_flag_free(g);
        vwo_context_free(ctx);
    }
    vwo_client_free(c);
}

/* ---- typed getters ------------------------------------------------------------------- */

void test_typed_getters(void) {
    vwo_client *c = demo_client(NULL, "");
    vwo_flag *bob = flag_of(c, "new_checkout", CTX_BOB, VWO_OK);
    vwo_flag *alice = flag_of(c, "new_checkout", CTX_ALICE, VWO_OK);
    vwo_flag *off = flag_of(c, "search_ranking", CTX_ALICE, VWO_OK);
    int32_t b;
    int64_t i;
    double d;
    char *s;

    /* bob: Two-page. */
    CHECK_STATUS(vwo_flag_get_bool(bob, "show_banner", 0, &b), VWO_OK);
    CHECK_INT(b, 1);
    CHECK_STATUS(vwo_flag_get_int(bob, "discount_percent", -1, &i), VWO_OK);
    CHECK_INT(i, 10);
    CHECK_STATUS(vwo_flag_get_double(bob, "button_scale", -1, &d), VWO_OK);
    CHECK_DBL(d, 1.25);
    CHECK_STATUS(vwo_flag_get_string(bob, "title", "default", &s), VWO_OK);
    CHECK_STR(s, "Quick checkout");
    vwo_string_free(s);
    CHECK_STATUS(vwo_flag_variable_json(bob, "layout", &s), VWO_OK);
    CHECK_STR(s, "{\"steps\":2}");
    vwo_string_free(s);
    CHECK_STATUS(vwo_flag_variable_json(bob, "title", &s), VWO_OK);
    CHECK_STR(s, "\"Quick checkout\"");
    vwo_string_free(s);
    CHECK_STATUS(vwo_flag_variable_json(bob, "discount_percent", &s), VWO_OK);
    CHECK_STR(s, "10");
    vwo_string_free(s);

    /* alice: Control; 1.0 is an integer for get_int (no fraction), 0 a number for get_double. */
    CHECK_STATUS(vwo_flag_get_bool(alice, "show_banner", 1, &b), VWO_OK);
    CHECK_INT(b, 0);
    CHECK_STATUS(vwo_flag_get_int(alice, "button_scale", -1, &i), VWO_OK);
    CHECK_INT(i, 1);
    CHECK_STATUS(vwo_flag_get_double(alice, "discount_percent", -1, &d), VWO_OK);
    CHECK_DBL(d, 0.0);
    CHECK_STATUS(vwo_flag_variable_json(alice, "button_scale", &s), VWO_OK);
    CHECK_STR(s, "1.0");
    vwo_string_free(s);

    /* Type mismatches write the default and say so. */
    CHECK_STATUS(vwo_flag_get_int(bob, "button_scale", -7, &i), VWO_ERR_TYPE_MISMATCH);
    CHECK_INT(i, -7);
    CHECK_STR(vwo_last_error_message(), "the variable is 1.25, not an integer");
    CHECK_STATUS(vwo_flag_get_bool(bob, "title", 1, &b), VWO_ERR_TYPE_MISMATCH);
    CHECK_INT(b, 1);
    CHECK_STATUS(vwo_flag_get_bool(bob, "discount_percent", 0, &b), VWO_ERR_TYPE_MISMATCH);
    CHECK_INT(b, 0);
    CHECK_STATUS(vwo_flag_get_int(bob, "show_banner", 3, &i), VWO_ERR_TYPE_MISMATCH);
    CHECK_INT(i, 3);
    CHECK_STATUS(vwo_flag_get_double(bob, "title", 2.5, &d), VWO_ERR_TYPE_MISMATCH);
    CHECK_DBL(d, 2.5);
    CHECK_STATUS(vwo_flag_get_double(bob, "layout", 2.5, &d), VWO_ERR_TYPE_MISMATCH);
    CHECK_DBL(d, 2.5);
    CHECK_STATUS(vwo_flag_get_string(bob, "discount_percent", "fallback", &s),
                 VWO_ERR_TYPE_MISMATCH);
    CHECK_STR(s, "fallback");
    vwo_string_free(s);
    CHECK_STATUS(vwo_flag_get_string(bob, "layout", NULL, &s), VWO_ERR_TYPE_MISMATCH);
    CHECK(s == NULL);

    /* Missing variables, on an enabled and on a disabled flag. */
    CHECK_STATUS(vwo_flag_get_int(bob, "nope", 42, &i), VWO_ERR_NOT_FOUND);
    CHECK_INT(i, 42);
    CHECK_STR(vwo_last_error_message(), "no variable with this key on the flag");
    CHECK_STATUS(vwo_flag_get_bool(off, "show_banner", 1, &b), VWO_ERR_NOT_FOUND);
    CHECK_INT(b, 1);
    CHECK_STATUS(vwo_flag_get_double(off, "x", 0.5, &d), VWO_ERR_NOT_FOUND);
    CHECK_DBL(d, 0.5);
    CHECK_STATUS(vwo_flag_get_string(off, "algorithm", "bm25-default", &s), VWO_ERR_NOT_FOUND);
    CHECK_STR(s, "bm25-default");
    vwo_string_free(s);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_flag_get_string(off, "algorithm", NULL, &s), VWO_ERR_NOT_FOUND);
    CHECK(s == NULL);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_flag_variable_json(off, "algorithm", &s), VWO_ERR_NOT_FOUND);
    CHECK(s == NULL);
    CHECK_STATUS(vwo_flag_get_string(bob, "", "empty-key", &s), VWO_ERR_NOT_FOUND);
    CHECK_STR(s, "empty-key");
    vwo_string_free(s);

    vwo_flag_free(bob);
    vwo_flag_free(alice);
    vwo_flag_free(off);
    vwo_client_free(c);
}

/* ---- events -------------------------------------------------------------------------- */

void test_events_offline(void) {
    vwo_client *c = demo_client(NULL, "");
    vwo_context *ctx = NULL;
    int32_t tracked, delivered, ok;

    CHECK_STATUS(vwo_context_new(CTX_ALICE, &ctx), VWO_OK);
    /* Known metrics are tracked, unknown names are not (the official {name: bool}). */
    tracked = -1;
    CHECK_STATUS(vwo_track_event(c, "purchase", CTX_ALICE, NULL, &tracked), VWO_OK);
    CHECK_INT(tracked, 1);
    tracked = -1;
    CHECK_STATUS(vwo_track_event(c, "hero_click", CTX_ALICE, "{\"revenue\":12.5,\"k\":\"v\"}",
                                 &tracked),
                 VWO_OK);
    CHECK_INT(tracked, 1);
    tracked = -1;
    CHECK_STATUS(vwo_track_event(c, "checkout_started", CTX_ALICE, "null", &tracked), VWO_OK);
    CHECK_INT(tracked, 1);
    tracked = -1;
    CHECK_STATUS(vwo_track_event(c, "not_a_metric", CTX_ALICE, NULL, &tracked), VWO_OK);
    CHECK_INT(tracked, 0);
    CHECK_STATUS(vwo_track_event(c, "purchase", CTX_ALICE, NULL, NULL), VWO_OK);
    tracked = -1;
    CHECK_STATUS(vwo_track_event_ctx(c, "theme_toggled", ctx, "{\"on\":true}", &tracked),
                 VWO_OK);
    CHECK_INT(tracked, 1);
    tracked = -1;
    CHECK_STATUS(vwo_track_event_ctx(c, "nope", ctx, NULL, &tracked), VWO_OK);
    CHECK_INT(tracked, 0);
    /* Properties must be an object. */
    tracked = -1;
    CHECK_STATUS(vwo_track_event(c, "purchase", CTX_ALICE, "[1,2]", &tracked),
                 VWO_ERR_INVALID_ARGUMENT);
    CHECK_INT(tracked, 0);
    CHECK_STR(vwo_last_error_message(), "properties_json must be a JSON object");
    CHECK_STATUS(vwo_track_event(c, "purchase", CTX_ALICE, "12", &tracked),
                 VWO_ERR_INVALID_ARGUMENT);
    /* A bad context. */
    CHECK_STATUS(vwo_track_event(c, "purchase", "{\"custom_variables\":{}}", NULL, &tracked),
                 VWO_ERR_INVALID_ARGUMENT);
    CHECK_INT(tracked, 0);

    /* Attributes: strings, numbers, booleans. */
    CHECK_STATUS(vwo_set_attribute(c, "plan", "\"pro\"", CTX_ALICE), VWO_OK);
    CHECK_STATUS(vwo_set_attribute(c, "visits", "3", CTX_ALICE), VWO_OK);
    CHECK_STATUS(vwo_set_attribute(c, "score", "98.5", CTX_ALICE), VWO_OK);
    CHECK_STATUS(vwo_set_attribute(c, "beta", "false", CTX_ALICE), VWO_OK);
    CHECK_STATUS(vwo_set_attributes(c, "{\"plan\":\"pro\",\"visits\":3,\"beta\":true}", CTX_ALICE),
                 VWO_OK);
    CHECK_STATUS(vwo_set_attributes_ctx(c, "{\"plan\":\"team\"}", ctx), VWO_OK);
    CHECK_STATUS(vwo_set_attribute(c, "plan", "\"\"", CTX_ALICE), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "value must not be an empty string");
    CHECK_STATUS(vwo_set_attribute(c, "", "\"pro\"", CTX_ALICE), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "key must be a non-empty string");
    CHECK_STATUS(vwo_set_attribute(c, "plan", "[1]", CTX_ALICE), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vwo_set_attribute(c, "plan", "{\"a\":1}", CTX_ALICE), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vwo_set_attribute(c, "plan", "null", CTX_ALICE), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vwo_set_attributes(c, "{}", CTX_ALICE), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STR(vwo_last_error_message(),
              "invalid argument: attribute_map should be a non-empty object");
    CHECK_STATUS(vwo_set_attributes(c, "{\"a\":[1]}", CTX_ALICE), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vwo_set_attributes(c, "[{\"a\":1}]", CTX_ALICE), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "attributes_json must be a JSON object");
    CHECK_STATUS(vwo_set_attributes(c, "null", CTX_ALICE), VWO_ERR_INVALID_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "attributes_json must be a JSON object");
    CHECK_STATUS(vwo_set_attributes_ctx(c, "{}", ctx), VWO_ERR_INVALID_ARGUMENT);

    /* Offline: events are counted, not sent; a flush reports them all handled. */
    delivered = -1;
    CHECK_STATUS(vwo_flush_events(c, 1000, &delivered), VWO_OK);
    CHECK_INT(delivered, 1);
    CHECK_STATUS(vwo_flush_events(c, 0, NULL), VWO_OK);

    /* Aliasing needs is_aliasing_enabled and a gateway. */
    ok = -1;
    CHECK_STATUS(vwo_set_alias(c, "alice", "alice-alias", &ok), VWO_ERR_FAILED);
    CHECK_INT(ok, 0);
    CHECK_STR(vwo_last_error_message(), "aliasing is not enabled (is_aliasing_enabled)");

    vwo_context_free(ctx);
    vwo_client_free(c);
}

/* ---- update_settings ------------------------------------------------------------------ */

void test_update_settings(void) {
    vwo_client *c = demo_client(NULL, "");
    char *s1 = read_file("tests/fixtures/conformance/settings/s1_rollout_only.json");
    char *demo = read_file(DEMO_SETTINGS);
    char *padded, *vars;
    vwo_flag *f;

    /* Replace the settings: the demo's features disappear, s1's appear. */
    CHECK_STATUS(vwo_update_settings(c, s1, 0), VWO_OK);
    f = flag_of(c, "new_checkout", CTX_ALICE, VWO_OK);
    CHECK_INT(vwo_flag_reason(f), VWO_REASON_FEATURE_NOT_FOUND);
    vwo_flag_free(f);
    f = flag_of(c, "rollout_multi_var", "{\"id\":\"alice\"}", VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(f), 1);
    vars = variables_of(f);
    CHECK_STR(vars, "[{\"id\":1,\"value\":14,\"type\":\"integer\",\"key\":\"int_var\"},"
                    "{\"id\":2,\"value\":2.5,\"type\":\"double\",\"key\":\"float_var\"},"
                    "{\"id\":3,\"value\":\"free\",\"type\":\"string\",\"key\":\"string_var\"},"
                    "{\"id\":4,\"value\":false,\"type\":\"boolean\",\"key\":\"bool_var\"},"
                    "{\"id\":5,\"value\":{\"tag\":\"free\",\"n\":4},\"type\":\"json\","
                    "\"key\":\"json_var\"}]");
    free(vars);
    /* The options' account (123456) still derives the UUID. */
    CHECK_STR(vwo_flag_uuid(f), UUID_ALICE);
    vwo_flag_free(f);

    /* Invalid settings are refused and the current ones stay. */
    CHECK_STATUS(vwo_update_settings(c, "{\"features\":3}", 0), VWO_ERR_FAILED);
    CHECK_CONTAINS(vwo_last_error_message(), "settings failed schema validation at $.features");
    CHECK_STATUS(vwo_update_settings(c, "{\"features\":", 0), VWO_ERR_INVALID_JSON);
    f = flag_of(c, "rollout_basic", "{\"id\":\"alice\"}", VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(f), 1);
    vwo_flag_free(f);

    /* Offline, a refetch (NULL, or an empty object) is refused. */
    CHECK_STATUS(vwo_update_settings(c, NULL, 0), VWO_ERR_FAILED);
    CHECK_STR(vwo_last_error_message(), "offline mode: pass the settings to update_settings");
    CHECK_STATUS(vwo_update_settings(c, NULL, 1), VWO_ERR_FAILED);
    CHECK_STATUS(vwo_update_settings(c, "{}", 0), VWO_ERR_FAILED);

    /* Back to the demo settings, padded with 10 MB of whitespace (under the 64 MB limit). */
    padded = str_fill(demo, ' ', TEN_MB, "\n");
    CHECK_STATUS(vwo_update_settings(c, padded, 1), VWO_OK);
    f = flag_of(c, "new_checkout", CTX_ALICE, VWO_OK);
    vars = variables_of(f);
    CHECK_STR(vars, VARS_CONTROL);
    free(vars);
    vwo_flag_free(f);

    free(padded);
    free(s1);
    free(demo);
    vwo_client_free(c);
}

/* ---- close and free ------------------------------------------------------------------ */

void test_close_and_free(void) {
    vwo_client *c = demo_client(NULL, "");
    vwo_flag *f = flag_of(c, "new_checkout", CTX_BOB, VWO_OK);
    int32_t all = -1, b = -1;
    int64_t i = -1;
    char *s, *vars;

    CHECK_STATUS(vwo_client_close(c, &all), VWO_OK);
    CHECK_INT(all, 1);
    all = -1;
    CHECK_STATUS(vwo_client_close(c, &all), VWO_OK); /* idempotent */
    CHECK_INT(all, 1);
    CHECK_STATUS(vwo_client_close(c, NULL), VWO_OK);
    vwo_client_free(c);

    /* A flag outlives its client. */
    CHECK_INT(vwo_flag_is_enabled(f), 1);
    CHECK_INT(vwo_flag_reason(f), VWO_REASON_EVALUATED);
    CHECK_STATUS(vwo_flag_get_bool(f, "show_banner", 0, &b), VWO_OK);
    CHECK_INT(b, 1);
    CHECK_STATUS(vwo_flag_get_int(f, "discount_percent", 0, &i), VWO_OK);
    CHECK_INT(i, 10);
    CHECK_STATUS(vwo_flag_get_string(f, "title", NULL, &s), VWO_OK);
    CHECK_STR(s, "Quick checkout");
    vwo_string_free(s);
    vars = variables_of(f);
    CHECK_STR(vars, VARS_TWO_PAGE);
    free(vars);
    CHECK_STATUS(vwo_get_uuid("bob", DEMO_ACCOUNT, &s), VWO_OK);
    CHECK_STR(vwo_flag_uuid(f), s);
    vwo_string_free(s);
    vwo_flag_free(f);

    /* Free without close; the NULL handles are ignored. */
    c = demo_client(NULL, "");
    vwo_client_free(c);
    vwo_client_free(NULL);
    vwo_flag_free(NULL);
    vwo_context_free(NULL);
    vwo_string_free(NULL);
}
