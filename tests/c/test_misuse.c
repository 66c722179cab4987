/* Misuse of every function: NULL for each pointer parameter, invalid UTF-8, malformed JSON,
 * 10 MB strings, a handle of one type passed as another, calls after close. None may crash;
 * each gives the documented status and leaves out-parameters in their documented state. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "tests.h"

#define CTX "{\"id\":\"alice\"}"

/* A disabled flag as get_flag returns on a problem. */
static void check_disabled(const vwo_flag *f) {
    char *vars;
    CHECK(f != NULL);
    CHECK_INT(vwo_flag_is_enabled(f), 0);
    CHECK_INT(vwo_flag_reason(f), VWO_REASON_ERROR);
    vars = variables_of(f);
    CHECK_STR(vars, "[]");
    free(vars);
}

void test_null_arguments(void) {
    vwo_client *c = demo_client(NULL, "");
    vwo_context *ctx = NULL;
    vwo_flag *f = flag_of(c, "new_checkout", CTX, VWO_OK), *g;
    vwo_client *nc;
    int32_t i32;
    int64_t i64;
    double d;
    char *s;

    CHECK_STATUS(vwo_context_new(CTX, &ctx), VWO_OK);

    /* storage results (a live one is only available inside storage_get: test_callbacks.c) */
    CHECK_STATUS(vwo_storage_result_set_json(NULL, "{}", 2), VWO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(vwo_storage_result_set_json(NULL, NULL, 0), VWO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(vwo_storage_result_set_error(NULL, "x"), VWO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(vwo_storage_result_set_error(NULL, NULL), VWO_ERR_NULL_ARGUMENT);

    /* vwo_client_new */
    nc = (vwo_client *)1;
    CHECK_STATUS(vwo_client_new(NULL, NULL, &nc), VWO_ERR_NULL_ARGUMENT);
    CHECK(nc == NULL);
    CHECK_STR(vwo_last_error_message(), "options_json is NULL");
    CHECK_STATUS(vwo_client_new("{}", NULL, NULL), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "out_client is NULL");

    /* close / free */
    i32 = -1;
    CHECK_STATUS(vwo_client_close(NULL, &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(vwo_client_close(NULL, NULL), VWO_ERR_NULL_ARGUMENT);
    vwo_client_free(NULL);

    /* vwo_get_flag: any NULL argument but out_flag gives a disabled flag, as documented. */
    g = NULL;
    CHECK_STATUS(vwo_get_flag(NULL, "new_checkout", CTX, &g), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "client is NULL");
    check_disabled(g);
    vwo_flag_free(g);
    g = NULL;
    CHECK_STATUS(vwo_get_flag(c, NULL, CTX, &g), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "feature_key is NULL");
    check_disabled(g);
    vwo_flag_free(g);
    g = NULL;
    CHECK_STATUS(vwo_get_flag(c, "new_checkout", NULL, &g), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "context_json is NULL");
    check_disabled(g);
    CHECK(vwo_flag_uuid(g) == NULL);
    vwo_flag_free(g);
    CHECK_STATUS(vwo_get_flag(c, "new_checkout", CTX, NULL), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "out_flag is NULL");
    g = NULL;
    CHECK_STATUS(vwo_get_flag_ctx(NULL, "new_checkout", ctx, &g), VWO_ERR_NULL_ARGUMENT);
    check_disabled(g);
    vwo_flag_free(g);
    CHECK_STATUS(vwo_get_flag_ctx(c, NULL, ctx, &g), VWO_ERR_NULL_ARGUMENT);
    check_disabled(g);
    vwo_flag_free(g);
    CHECK_STATUS(vwo_get_flag_ctx(c, "new_checkout", NULL, &g), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "context is NULL");
    check_disabled(g);
    vwo_flag_free(g);
    CHECK_STATUS(vwo_get_flag_ctx(c, "new_checkout", ctx, NULL), VWO_ERR_NULL_ARGUMENT);

    /* flag accessors on NULL */
    CHECK_INT(vwo_flag_is_enabled(NULL), 0);
    CHECK_INT(vwo_flag_reason(NULL), VWO_REASON_ERROR);
    CHECK_INT(vwo_flag_session_id(NULL), 0);
    CHECK(vwo_flag_uuid(NULL) == NULL);
    i32 = -1;
    CHECK_STATUS(vwo_flag_get_bool(NULL, "show_banner", 1, &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(i32, 1);
    i32 = -1;
    CHECK_STATUS(vwo_flag_get_bool(f, NULL, 1, &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(i32, 1);
    CHECK_STATUS(vwo_flag_get_bool(f, "show_banner", 1, NULL), VWO_ERR_NULL_ARGUMENT);
    i64 = -1;
    CHECK_STATUS(vwo_flag_get_int(NULL, "discount_percent", 5, &i64), VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(i64, 5);
    i64 = -1;
    CHECK_STATUS(vwo_flag_get_int(f, NULL, 5, &i64), VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(i64, 5);
    CHECK_STATUS(vwo_flag_get_int(f, "discount_percent", 5, NULL), VWO_ERR_NULL_ARGUMENT);
    d = -1;
    CHECK_STATUS(vwo_flag_get_double(NULL, "button_scale", 0.5, &d), VWO_ERR_NULL_ARGUMENT);
    CHECK_DBL(d, 0.5);
    d = -1;
    CHECK_STATUS(vwo_flag_get_double(f, NULL, 0.5, &d), VWO_ERR_NULL_ARGUMENT);
    CHECK_DBL(d, 0.5);
    CHECK_STATUS(vwo_flag_get_double(f, "button_scale", 0.5, NULL), VWO_ERR_NULL_ARGUMENT);
    s = NULL;
    CHECK_STATUS(vwo_flag_get_string(NULL, "title", "dflt", &s), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(s, "dflt");
    vwo_string_free(s);
    s = NULL;
    CHECK_STATUS(vwo_flag_get_string(f, NULL, "dflt", &s), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(s, "dflt");
    vwo_string_free(s);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_flag_get_string(NULL, "title", NULL, &s), VWO_ERR_NULL_ARGUMENT);
    CHECK(s == NULL);
    CHECK_STATUS(vwo_flag_get_string(f, "title", "dflt", NULL), VWO_ERR_NULL_ARGUMENT);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_flag_variable_json(NULL, "layout", &s), VWO_ERR_NULL_ARGUMENT);
    CHECK(s == NULL);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_flag_variable_json(f, NULL, &s), VWO_ERR_NULL_ARGUMENT);
    CHECK(s == NULL);
    CHECK_STATUS(vwo_flag_variable_json(f, "layout", NULL), VWO_ERR_NULL_ARGUMENT);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_flag_variables_json(NULL, &s), VWO_ERR_NULL_ARGUMENT);
    CHECK(s == NULL);
    CHECK_STATUS(vwo_flag_variables_json(f, NULL), VWO_ERR_NULL_ARGUMENT);
    vwo_flag_free(NULL);
    vwo_string_free(NULL);

    /* events */
    i32 = -1;
    CHECK_STATUS(vwo_track_event(NULL, "purchase", CTX, NULL, &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(i32, 0);
    i32 = -1;
    CHECK_STATUS(vwo_track_event(c, NULL, CTX, NULL, &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(i32, 0);
    CHECK_STR(vwo_last_error_message(), "event_name is NULL");
    CHECK_STATUS(vwo_track_event(c, "purchase", NULL, NULL, &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "context_json is NULL");
    CHECK_STATUS(vwo_track_event(c, "purchase", CTX, NULL, NULL), VWO_OK);
    CHECK_STATUS(vwo_track_event_ctx(NULL, "purchase", ctx, NULL, &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(vwo_track_event_ctx(c, NULL, ctx, NULL, &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(vwo_track_event_ctx(c, "purchase", NULL, NULL, &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "context is NULL");
    CHECK_INT(i32, 0);
    CHECK_STATUS(vwo_track_event_ctx(c, "purchase", ctx, NULL, NULL), VWO_OK);

    CHECK_STATUS(vwo_set_attribute(NULL, "plan", "\"pro\"", CTX), VWO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(vwo_set_attribute(c, NULL, "\"pro\"", CTX), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "key is NULL");
    CHECK_STATUS(vwo_set_attribute(c, "plan", NULL, CTX), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "value_json is NULL");
    CHECK_STATUS(vwo_set_attribute(c, "plan", "\"pro\"", NULL), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "context_json is NULL");
    CHECK_STATUS(vwo_set_attributes(NULL, "{\"plan\":\"pro\"}", CTX), VWO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(vwo_set_attributes(c, NULL, CTX), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "attributes_json is NULL");
    CHECK_STATUS(vwo_set_attributes(c, "{\"plan\":\"pro\"}", NULL), VWO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(vwo_set_attributes_ctx(NULL, "{\"plan\":\"pro\"}", ctx), VWO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(vwo_set_attributes_ctx(c, NULL, ctx), VWO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(vwo_set_attributes_ctx(c, "{\"plan\":\"pro\"}", NULL), VWO_ERR_NULL_ARGUMENT);

    i32 = -1;
    CHECK_STATUS(vwo_flush_events(NULL, 10, &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(i32, 0);
    CHECK_STATUS(vwo_update_settings(NULL, "{}", 0), VWO_ERR_NULL_ARGUMENT);
    i32 = -1;
    CHECK_STATUS(vwo_set_alias(NULL, "a", "b", &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_INT(i32, 0);
    CHECK_STATUS(vwo_set_alias(c, NULL, "b", &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "user_id is NULL");
    CHECK_STATUS(vwo_set_alias(c, "a", NULL, &i32), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "alias_id is NULL");

    /* uuid and contexts */
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_get_uuid(NULL, "1", &s), VWO_ERR_NULL_ARGUMENT);
    CHECK(s == NULL);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_get_uuid("u", NULL, &s), VWO_ERR_NULL_ARGUMENT);
    CHECK(s == NULL);
    CHECK_STATUS(vwo_get_uuid("u", "1", NULL), VWO_ERR_NULL_ARGUMENT);
    CHECK_STR(vwo_last_error_message(), "out_uuid is NULL");
    {
        vwo_context *x = (vwo_context *)1;
        CHECK_STATUS(vwo_context_new(NULL, &x), VWO_ERR_NULL_ARGUMENT);
        CHECK(x == NULL);
        CHECK_STATUS(vwo_context_new(CTX, NULL), VWO_ERR_NULL_ARGUMENT);
        CHECK_STR(vwo_last_error_message(), "out_context is NULL");
    }
    vwo_context_free(NULL);

    /* Nothing above broke the client. */
    vwo_flag_free(f);
    f = flag_of(c, "new_checkout", CTX, VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(f), 1);
    vwo_flag_free(f);
    vwo_context_free(ctx);
    vwo_client_free(c);
}

void test_invalid_utf8(void) {
    vwo_client *c = demo_client(NULL, ""), *nc;
    vwo_context *ctx = NULL, *x;
    vwo_flag *f = flag_of(c, "new_checkout", CTX, VWO_OK), *g = NULL;
    const char *bad_ctx = "{\"id\":\"" BAD_UTF8 "\"}";
    int32_t i32;
    char *s;

    CHECK_STATUS(vwo_context_new(CTX, &ctx), VWO_OK);
    nc = (vwo_client *)1;
    CHECK_STATUS(vwo_client_new("{\"sdk_key\":\"" BAD_UTF8 "\"}", NULL, &nc), VWO_ERR_INVALID_UTF8);
    CHECK(nc == NULL);
    CHECK_CONTAINS(vwo_last_error_message(), "options_json is not valid UTF-8");

    CHECK_STATUS(vwo_get_flag(c, BAD_UTF8, CTX, &g), VWO_ERR_INVALID_UTF8);
    CHECK_CONTAINS(vwo_last_error_message(), "feature_key is not valid UTF-8");
    check_disabled(g);
    vwo_flag_free(g);
    CHECK_STATUS(vwo_get_flag(c, "new_checkout", bad_ctx, &g), VWO_ERR_INVALID_UTF8);
    check_disabled(g);
    vwo_flag_free(g);
    CHECK_STATUS(vwo_get_flag_ctx(c, BAD_UTF8, ctx, &g), VWO_ERR_INVALID_UTF8);
    check_disabled(g);
    vwo_flag_free(g);

    x = (vwo_context *)1;
    CHECK_STATUS(vwo_context_new(bad_ctx, &x), VWO_ERR_INVALID_UTF8);
    CHECK(x == NULL);

    i32 = -1;
    CHECK_STATUS(vwo_track_event(c, BAD_UTF8, CTX, NULL, &i32), VWO_ERR_INVALID_UTF8);
    CHECK_INT(i32, 0);
    CHECK_STATUS(vwo_track_event(c, "purchase", bad_ctx, NULL, &i32), VWO_ERR_INVALID_UTF8);
    CHECK_STATUS(vwo_track_event(c, "purchase", CTX, "{\"k\":\"" BAD_UTF8 "\"}", &i32),
                 VWO_ERR_INVALID_UTF8);
    CHECK_STATUS(vwo_track_event_ctx(c, BAD_UTF8, ctx, NULL, &i32), VWO_ERR_INVALID_UTF8);
    CHECK_STATUS(vwo_set_attribute(c, BAD_UTF8, "1", CTX), VWO_ERR_INVALID_UTF8);
    CHECK_STATUS(vwo_set_attribute(c, "plan", "\"" BAD_UTF8 "\"", CTX), VWO_ERR_INVALID_UTF8);
    CHECK_STATUS(vwo_set_attribute(c, "plan", "1", bad_ctx), VWO_ERR_INVALID_UTF8);
    CHECK_STATUS(vwo_set_attributes(c, "{\"" BAD_UTF8 "\":1}", CTX), VWO_ERR_INVALID_UTF8);
    CHECK_STATUS(vwo_set_attributes(c, "{\"a\":1}", bad_ctx), VWO_ERR_INVALID_UTF8);
    CHECK_STATUS(vwo_set_attributes_ctx(c, "{\"a\":\"" BAD_UTF8 "\"}", ctx), VWO_ERR_INVALID_UTF8);
    CHECK_STATUS(vwo_update_settings(c, "{\"" BAD_UTF8 "\":1}", 0), VWO_ERR_INVALID_UTF8);
    CHECK_STATUS(vwo_set_alias(c, BAD_UTF8, "b", &i32), VWO_ERR_INVALID_UTF8);
    CHECK_STATUS(vwo_set_alias(c, "a", BAD_UTF8, &i32), VWO_ERR_INVALID_UTF8);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_get_uuid(BAD_UTF8, "1", &s), VWO_ERR_INVALID_UTF8);
    CHECK(s == NULL);
    CHECK_STATUS(vwo_get_uuid("u", BAD_UTF8, &s), VWO_ERR_INVALID_UTF8);

    CHECK_STATUS(vwo_flag_get_bool(f, BAD_UTF8, 1, &i32), VWO_ERR_INVALID_UTF8);
    CHECK_INT(i32, 1);
    {
        int64_t i64 = 0;
        double d = 0;
        CHECK_STATUS(vwo_flag_get_int(f, BAD_UTF8, 9, &i64), VWO_ERR_INVALID_UTF8);
        CHECK_INT(i64, 9);
        CHECK_STATUS(vwo_flag_get_double(f, BAD_UTF8, 9.5, &d), VWO_ERR_INVALID_UTF8);
        CHECK_DBL(d, 9.5);
    }
    s = NULL;
    CHECK_STATUS(vwo_flag_get_string(f, BAD_UTF8, "dflt", &s), VWO_ERR_INVALID_UTF8);
    CHECK_STR(s, "dflt");
    vwo_string_free(s);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_flag_get_string(f, "title", BAD_UTF8, &s), VWO_ERR_INVALID_UTF8);
    CHECK_CONTAINS(vwo_last_error_message(), "default_value is not valid UTF-8");
    CHECK(s == NULL);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_flag_variable_json(f, BAD_UTF8, &s), VWO_ERR_INVALID_UTF8);
    CHECK(s == NULL);

    vwo_flag_free(f);
    vwo_context_free(ctx);
    vwo_client_free(c);
}

void test_malformed_json(void) {
    static const char *const garbage[] = {"", "{", "{\"id\":}", "{'id':'alice'}", "nul",
                                          "{\"id\":\"alice\"} trailing", "\"unterminated"};
    vwo_client *c = demo_client(NULL, ""), *nc;
    vwo_context *ctx = NULL, *x;
    vwo_flag *g = NULL;
    int32_t i32;
    size_t i;

    CHECK_STATUS(vwo_context_new(CTX, &ctx), VWO_OK);
    for (i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        const char *j = garbage[i];
        nc = (vwo_client *)1;
        CHECK_STATUS(vwo_client_new(j, NULL, &nc), VWO_ERR_INVALID_JSON);
        CHECK(nc == NULL);
        CHECK_CONTAINS(vwo_last_error_message(), "options_json is not valid JSON");
        g = NULL;
        CHECK_STATUS(vwo_get_flag(c, "new_checkout", j, &g), VWO_ERR_INVALID_JSON);
        CHECK_CONTAINS(vwo_last_error_message(), "context_json is not valid JSON");
        check_disabled(g);
        vwo_flag_free(g);
        x = (vwo_context *)1;
        CHECK_STATUS(vwo_context_new(j, &x), VWO_ERR_INVALID_JSON);
        CHECK(x == NULL);
        i32 = -1;
        CHECK_STATUS(vwo_track_event(c, "purchase", j, NULL, &i32), VWO_ERR_INVALID_JSON);
        CHECK_INT(i32, 0);
        CHECK_STATUS(vwo_track_event(c, "purchase", CTX, j, &i32), VWO_ERR_INVALID_JSON);
        CHECK_STATUS(vwo_track_event_ctx(c, "purchase", ctx, j, &i32), VWO_ERR_INVALID_JSON);
        CHECK_STATUS(vwo_set_attribute(c, "plan", j, CTX), VWO_ERR_INVALID_JSON);
        CHECK_STATUS(vwo_set_attribute(c, "plan", "1", j), VWO_ERR_INVALID_JSON);
        CHECK_STATUS(vwo_set_attributes(c, j, CTX), VWO_ERR_INVALID_JSON);
        CHECK_STATUS(vwo_set_attributes(c, "{\"a\":1}", j), VWO_ERR_INVALID_JSON);
        CHECK_STATUS(vwo_set_attributes_ctx(c, j, ctx), VWO_ERR_INVALID_JSON);
        CHECK_STATUS(vwo_update_settings(c, j, 0), VWO_ERR_INVALID_JSON);
    }
    /* A bare word is not a JSON string value for set_attribute. */
    CHECK_STATUS(vwo_set_attribute(c, "plan", "pro", CTX), VWO_ERR_INVALID_JSON);
    /* The client still decides. */
    g = flag_of(c, "new_checkout", CTX, VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(g), 1);
    vwo_flag_free(g);
    vwo_context_free(ctx);
    vwo_client_free(c);
}

void test_oversized_input(void) {
    vwo_client *c = demo_client(NULL, ""), *nc;
    vwo_context *ctx = NULL, *x;
    vwo_flag *f = flag_of(c, "new_checkout", CTX, VWO_OK), *g = NULL;
    char *big = str_fill("", 'x', TEN_MB, "");                          /* 10 MB of text */
    char *big_ctx = str_fill("{\"id\":\"", 'a', TEN_MB, "\"}");         /* a 10 MB context */
    char *big_obj = str_fill("{\"k\":\"", 'v', TEN_MB, "\"}");          /* a 10 MB object */
    char *big_value = str_fill("\"", 'v', TEN_MB, "\"");                /* a 10 MB JSON string */
    char *max_key = str_fill("", 'k', VWO_MAX_KEY_BYTES, "");           /* at the key limit */
    char *max_ctx, *huge;
    int32_t i32;
    int64_t i64;
    char *s;

    CHECK_STATUS(vwo_context_new(CTX, &ctx), VWO_OK);

    CHECK_STATUS(vwo_get_flag(c, big, CTX, &g), VWO_ERR_TOO_LARGE);
    CHECK_STR(vwo_last_error_message(), "feature_key is 10485760 bytes, more than the 4096 allowed");
    check_disabled(g);
    vwo_flag_free(g);
    CHECK_STATUS(vwo_get_flag(c, "new_checkout", big_ctx, &g), VWO_ERR_TOO_LARGE);
    check_disabled(g);
    vwo_flag_free(g);
    CHECK_STATUS(vwo_get_flag_ctx(c, big, ctx, &g), VWO_ERR_TOO_LARGE);
    check_disabled(g);
    vwo_flag_free(g);
    x = (vwo_context *)1;
    CHECK_STATUS(vwo_context_new(big_ctx, &x), VWO_ERR_TOO_LARGE);
    CHECK(x == NULL);

    /* At the limits: a key of VWO_MAX_KEY_BYTES and a context of VWO_MAX_CONTEXT_BYTES. */
    g = flag_of(c, max_key, CTX, VWO_OK);
    CHECK_INT(vwo_flag_reason(g), VWO_REASON_FEATURE_NOT_FOUND);
    vwo_flag_free(g);
    max_ctx = str_fill("{\"id\":\"alice\",\"pad\":\"", ' ', VWO_MAX_CONTEXT_BYTES - 23, "\"}");
    CHECK_INT(strlen(max_ctx), VWO_MAX_CONTEXT_BYTES);
    g = flag_of(c, "new_checkout", max_ctx, VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(g), 1);
    CHECK_STR(vwo_flag_uuid(g), UUID_ALICE);
    vwo_flag_free(g);
    free(max_ctx);
    max_ctx = str_fill("{\"id\":\"alice\",\"pad\":\"", ' ', VWO_MAX_CONTEXT_BYTES - 22, "\"}");
    CHECK_STATUS(vwo_get_flag(c, "new_checkout", max_ctx, &g), VWO_ERR_TOO_LARGE);
    vwo_flag_free(g);
    free(max_ctx);

    i32 = -1;
    CHECK_STATUS(vwo_track_event(c, big, CTX, NULL, &i32), VWO_ERR_TOO_LARGE);
    CHECK_INT(i32, 0);
    CHECK_STATUS(vwo_track_event(c, "purchase", big_ctx, NULL, &i32), VWO_ERR_TOO_LARGE);
    CHECK_STATUS(vwo_track_event(c, "purchase", CTX, big_obj, &i32), VWO_ERR_TOO_LARGE);
    CHECK_STATUS(vwo_track_event_ctx(c, "purchase", ctx, big_obj, &i32), VWO_ERR_TOO_LARGE);
    CHECK_STATUS(vwo_set_attribute(c, big, "1", CTX), VWO_ERR_TOO_LARGE);
    CHECK_STATUS(vwo_set_attribute(c, "plan", big_value, CTX), VWO_ERR_TOO_LARGE);
    CHECK_STATUS(vwo_set_attribute(c, "plan", "1", big_ctx), VWO_ERR_TOO_LARGE);
    CHECK_STATUS(vwo_set_attributes(c, big_obj, CTX), VWO_ERR_TOO_LARGE);
    CHECK_STATUS(vwo_set_attributes(c, "{\"a\":1}", big_ctx), VWO_ERR_TOO_LARGE);
    CHECK_STATUS(vwo_set_attributes_ctx(c, big_obj, ctx), VWO_ERR_TOO_LARGE);
    CHECK_STATUS(vwo_set_alias(c, big, "b", &i32), VWO_ERR_TOO_LARGE);
    CHECK_STATUS(vwo_set_alias(c, "a", big, &i32), VWO_ERR_TOO_LARGE);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_get_uuid(big, "1", &s), VWO_ERR_TOO_LARGE);
    CHECK(s == NULL);
    CHECK_STATUS(vwo_get_uuid("u", big, &s), VWO_ERR_TOO_LARGE);

    i64 = -1;
    CHECK_STATUS(vwo_flag_get_int(f, big, 3, &i64), VWO_ERR_TOO_LARGE);
    CHECK_INT(i64, 3);
    s = NULL;
    CHECK_STATUS(vwo_flag_get_string(f, big, "dflt", &s), VWO_ERR_TOO_LARGE);
    CHECK_STR(s, "dflt");
    vwo_string_free(s);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_flag_get_string(f, "title", big, &s), VWO_ERR_TOO_LARGE);
    CHECK(s == NULL);
    CHECK_STATUS(vwo_flag_variable_json(f, big, &s), VWO_ERR_TOO_LARGE);

    /* Options and settings may be up to 64 MB: 10 MB of garbage is parsed (and refused as
     * JSON); one byte over 64 MB is refused unread. */
    nc = (vwo_client *)1;
    CHECK_STATUS(vwo_client_new(big, NULL, &nc), VWO_ERR_INVALID_JSON);
    CHECK(nc == NULL);
    CHECK_STATUS(vwo_update_settings(c, big, 0), VWO_ERR_INVALID_JSON);
    huge = str_fill("", ' ', VWO_MAX_SETTINGS_BYTES + 1, "");
    CHECK_STATUS(vwo_client_new(huge, NULL, &nc), VWO_ERR_TOO_LARGE);
    CHECK_STR(vwo_last_error_message(),
              "options_json is 67108865 bytes, more than the 67108864 allowed");
    CHECK_STATUS(vwo_update_settings(c, huge, 0), VWO_ERR_TOO_LARGE);
    free(huge);

    /* The client still decides. */
    g = flag_of(c, "new_checkout", CTX, VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(g), 1);
    vwo_flag_free(g);

    free(big);
    free(big_ctx);
    free(big_obj);
    free(big_value);
    free(max_key);
    vwo_flag_free(f);
    vwo_context_free(ctx);
    vwo_client_free(c);
}

/* A handle of one type where another is expected: VWO_ERR_BAD_HANDLE, and the handles stay
 * intact. The library recognises a handle by a type tag at the start of the pointed-to
 * block. */
void test_bad_handles(void) {
    vwo_client *c = demo_client(NULL, "");
    vwo_context *ctx = NULL;
    vwo_flag *f = flag_of(c, "new_checkout", CTX, VWO_OK), *g;
    vwo_client *flag_as_client = (vwo_client *)(void *)f;
    vwo_client *ctx_as_client;
    vwo_flag *ctx_as_flag;
    int32_t i32;
    int64_t i64;
    double d;
    char *s, *vars;

    CHECK_STATUS(vwo_context_new(CTX, &ctx), VWO_OK);
    ctx_as_client = (vwo_client *)(void *)ctx;
    ctx_as_flag = (vwo_flag *)(void *)ctx;

    /* A flag (or a context) where a client is expected. */
    g = NULL;
    CHECK_STATUS(vwo_get_flag(flag_as_client, "new_checkout", CTX, &g), VWO_ERR_BAD_HANDLE);
    CHECK_STR(vwo_last_error_message(), "not a vwo_client handle");
    check_disabled(g);
    vwo_flag_free(g);
    g = NULL;
    CHECK_STATUS(vwo_get_flag(ctx_as_client, "new_checkout", CTX, &g), VWO_ERR_BAD_HANDLE);
    check_disabled(g);
    vwo_flag_free(g);
    g = NULL;
    CHECK_STATUS(vwo_get_flag_ctx(flag_as_client, "new_checkout", ctx, &g), VWO_ERR_BAD_HANDLE);
    check_disabled(g);
    vwo_flag_free(g);
    i32 = -1;
    CHECK_STATUS(vwo_track_event(flag_as_client, "purchase", CTX, NULL, &i32), VWO_ERR_BAD_HANDLE);
    CHECK_INT(i32, 0);
    CHECK_STATUS(vwo_track_event_ctx(ctx_as_client, "purchase", ctx, NULL, &i32),
                 VWO_ERR_BAD_HANDLE);
    CHECK_STATUS(vwo_set_attribute(flag_as_client, "plan", "1", CTX), VWO_ERR_BAD_HANDLE);
    CHECK_STATUS(vwo_set_attributes(flag_as_client, "{\"a\":1}", CTX), VWO_ERR_BAD_HANDLE);
    CHECK_STATUS(vwo_set_attributes_ctx(ctx_as_client, "{\"a\":1}", ctx), VWO_ERR_BAD_HANDLE);
    i32 = -1;
    CHECK_STATUS(vwo_flush_events(flag_as_client, 10, &i32), VWO_ERR_BAD_HANDLE);
    CHECK_INT(i32, 0);
    CHECK_STATUS(vwo_update_settings(flag_as_client, NULL, 0), VWO_ERR_BAD_HANDLE);
    CHECK_STATUS(vwo_set_alias(flag_as_client, "a", "b", &i32), VWO_ERR_BAD_HANDLE);
    CHECK_STATUS(vwo_client_close(flag_as_client, &i32), VWO_ERR_BAD_HANDLE);
    CHECK_STATUS(vwo_client_close(ctx_as_client, &i32), VWO_ERR_BAD_HANDLE);
    vwo_client_free(flag_as_client); /* ignored: not a client */
    vwo_client_free(ctx_as_client);

    /* A context where a flag is expected. */
    CHECK_INT(vwo_flag_is_enabled(ctx_as_flag), 0);
    CHECK_INT(vwo_flag_reason(ctx_as_flag), VWO_REASON_ERROR);
    CHECK_INT(vwo_flag_session_id(ctx_as_flag), 0);
    CHECK(vwo_flag_uuid(ctx_as_flag) == NULL);
    i32 = -1;
    CHECK_STATUS(vwo_flag_get_bool(ctx_as_flag, "show_banner", 1, &i32), VWO_ERR_BAD_HANDLE);
    CHECK_STR(vwo_last_error_message(), "not a vwo_flag handle");
    CHECK_INT(i32, 1);
    CHECK_STATUS(vwo_flag_get_int(ctx_as_flag, "discount_percent", 4, &i64), VWO_ERR_BAD_HANDLE);
    CHECK_INT(i64, 4);
    CHECK_STATUS(vwo_flag_get_double(ctx_as_flag, "button_scale", 4.5, &d), VWO_ERR_BAD_HANDLE);
    CHECK_DBL(d, 4.5);
    s = NULL;
    CHECK_STATUS(vwo_flag_get_string(ctx_as_flag, "title", "dflt", &s), VWO_ERR_BAD_HANDLE);
    CHECK_STR(s, "dflt");
    vwo_string_free(s);
    s = (char *)"sentinel";
    CHECK_STATUS(vwo_flag_variable_json(ctx_as_flag, "layout", &s), VWO_ERR_BAD_HANDLE);
    CHECK(s == NULL);
    CHECK_STATUS(vwo_flag_variables_json(ctx_as_flag, &s), VWO_ERR_BAD_HANDLE);
    CHECK(s == NULL);
    vwo_flag_free(ctx_as_flag); /* ignored */

    /* All three handles are intact. */
    CHECK_INT(vwo_flag_is_enabled(f), 1);
    vars = variables_of(f);
    CHECK_STR(vars, VARS_CONTROL);
    free(vars);
    CHECK_STATUS(vwo_get_flag_ctx(c, "new_checkout", ctx, &g), VWO_OK);
    CHECK_INT(vwo_flag_is_enabled(g), 1);
    vwo_flag_free(g);
    vwo_flag_free(f);
    vwo_context_free(ctx);
    vwo_client_free(c);
}

/* The remaining pairs: a client where a flag or a context is expected, a flag where a
 * context is expected. Every handle block starts with its 8-byte type tag, so the check
 * reads inside the block whatever the real type; valgrind and ASan verify that. */
void test_bad_handles_cross(void) {
    vwo_client *c = demo_client(NULL, "");
    vwo_flag *f = flag_of(c, "new_checkout", CTX, VWO_OK), *g = NULL;
    vwo_flag *client_as_flag = (vwo_flag *)(void *)c;
    vwo_context *client_as_ctx = (vwo_context *)(void *)c;
    vwo_context *flag_as_ctx = (vwo_context *)(void *)f;
    int32_t i32 = -1;

    CHECK_INT(vwo_flag_is_enabled(client_as_flag), 0);
    CHECK_STATUS(vwo_flag_get_bool(client_as_flag, "show_banner", 1, &i32), VWO_ERR_BAD_HANDLE);
    CHECK_INT(i32, 1);
    vwo_flag_free(client_as_flag);
    CHECK_STATUS(vwo_get_flag_ctx(c, "new_checkout", flag_as_ctx, &g), VWO_ERR_BAD_HANDLE);
    check_disabled(g);
    vwo_flag_free(g);
    CHECK_STATUS(vwo_get_flag_ctx(c, "new_checkout", client_as_ctx, &g), VWO_ERR_BAD_HANDLE);
    vwo_flag_free(g);
    CHECK_STATUS(vwo_set_attributes_ctx(c, "{\"a\":1}", client_as_ctx), VWO_ERR_BAD_HANDLE);
    vwo_context_free(flag_as_ctx);
    vwo_context_free(client_as_ctx);
    CHECK_INT(vwo_flag_is_enabled(f), 1);
    vwo_flag_free(f);
    vwo_client_free(c);
}

void test_use_after_close(void) {
    vwo_client *c = demo_client(NULL, "");
    vwo_context *ctx = NULL;
    vwo_flag *before = flag_of(c, "new_checkout", CTX, VWO_OK), *g = NULL;
    char *demo = read_file(DEMO_SETTINGS), *s, *vars;
    int32_t i32;
    int64_t now;

    CHECK_STATUS(vwo_context_new(CTX, &ctx), VWO_OK);
    CHECK_STATUS(vwo_client_close(c, &i32), VWO_OK);

    /* Decisions come back disabled with VWO_ERR_CLOSED. */
    now = now_unix_s();
    CHECK_STATUS(vwo_get_flag(c, "new_checkout", CTX, &g), VWO_ERR_CLOSED);
    check_disabled(g);
    CHECK(vwo_flag_uuid(g) == NULL);
    CHECK(vwo_flag_session_id(g) >= now - 2 && vwo_flag_session_id(g) <= now + 2);
    vwo_flag_free(g);
    CHECK_STATUS(vwo_get_flag_ctx(c, "new_checkout", ctx, &g), VWO_ERR_CLOSED);
    check_disabled(g);
    vwo_flag_free(g);
    /* Everything else says VWO_ERR_CLOSED. */
    i32 = -1;
    CHECK_STATUS(vwo_track_event(c, "purchase", CTX, NULL, &i32), VWO_ERR_CLOSED);
    CHECK_INT(i32, 0);
    CHECK_STR(vwo_last_error_message(), "the client is closed");
    CHECK_STATUS(vwo_track_event_ctx(c, "purchase", ctx, NULL, &i32), VWO_ERR_CLOSED);
    CHECK_STATUS(vwo_set_attribute(c, "plan", "\"pro\"", CTX), VWO_ERR_CLOSED);
    CHECK_STATUS(vwo_set_attributes(c, "{\"plan\":\"pro\"}", CTX), VWO_ERR_CLOSED);
    CHECK_STATUS(vwo_set_attributes_ctx(c, "{\"plan\":\"pro\"}", ctx), VWO_ERR_CLOSED);
    i32 = -1;
    CHECK_STATUS(vwo_flush_events(c, 100, &i32), VWO_ERR_CLOSED);
    CHECK_INT(i32, 0);
    CHECK_STATUS(vwo_update_settings(c, demo, 0), VWO_ERR_CLOSED);
    CHECK_STATUS(vwo_set_alias(c, "a", "b", &i32), VWO_ERR_CLOSED);
    i32 = -1;
    CHECK_STATUS(vwo_client_close(c, &i32), VWO_OK);
    CHECK_INT(i32, 1);
    /* A flag decided before the close is still readable; get_uuid needs no client. */
    vars = variables_of(before);
    CHECK_STR(vars, VARS_CONTROL);
    free(vars);
    CHECK_STATUS(vwo_get_uuid("alice", DEMO_ACCOUNT, &s), VWO_OK);
    CHECK_STR(s, UUID_ALICE);
    vwo_string_free(s);

    vwo_flag_free(before);
    vwo_context_free(ctx);
    vwo_client_free(c);
    free(demo);
}
