/*
 * quickstart.c - vwo-fme from C: decide feature flags offline, read variables, track an event.
 *
 *   make demo                                   # builds the library and runs this
 *   cc -std=c99 examples/quickstart.c $(pkg-config --cflags --libs vwo_fme)   # installed copy
 *   ./quickstart [path/to/settings.json]        # run from the repository root
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vwo_fme.h"

/* The whole file as a NUL-terminated string (NULL on failure). */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long n;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)n + 1)) != NULL && fread(text, 1, (size_t)n, f) == (size_t)n)
        text[n] = '\0';
    if (f) fclose(f);
    return text;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "examples/settings.json";
    const char *users[][2] = { /* name, context (JSON: id and optional custom variables) */
        {"alice", "{\"id\":\"alice\",\"custom_variables\":{\"country\":\"US\",\"plan\":\"free\"}}"},
        {"bob", "{\"id\":\"bob\",\"custom_variables\":{\"country\":\"DE\",\"plan\":\"Premium\"}}"},
        {"carol", "{\"id\":\"carol\",\"custom_variables\":{\"country\":\"IN\"}}"},
    };
    const char *features[] = {"dark_mode", "search_ranking", "homepage_hero"};
    char *settings = read_file(path), *options;
    vwo_client *client = NULL;
    vwo_context *bob = NULL;
    vwo_status status;
    int32_t tracked = 0;
    size_t i;

    if (!settings) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    /* 1. A client. Options use the official SDKs' keys; with "settings" and "offline" it
     *    never touches the network (events are counted, not sent). */
    options = malloc(strlen(settings) + 128);
    sprintf(options, "{\"sdk_key\":\"demo0000000000000000000000000000\",\"account_id\":123456,"
                     "\"offline\":true,\"settings\":%s}", settings);
    status = vwo_client_new(options, NULL, &client);
    free(options);
    free(settings);
    if (status != VWO_OK) {
        fprintf(stderr, "vwo_client_new: %s: %s\n", vwo_status_name(status), vwo_last_error_message());
        return 1;
    }
    printf("vwo-fme %s, offline on %s\n\n", vwo_version(), path);

    /* 2. Decide one flag per user and read typed variables (with defaults). get_flag always
     *    gives a flag: disabled, with a status, when something is wrong. */
    for (i = 0; i < sizeof users / sizeof users[0]; i++) {
        vwo_flag *flag = NULL;
        char *title = NULL;
        int64_t discount = 0;
        int32_t banner = 0;
        vwo_get_flag(client, "new_checkout", users[i][1], &flag);
        vwo_flag_get_string(flag, "title", "Checkout", &title);
        vwo_flag_get_int(flag, "discount_percent", 0, &discount);
        vwo_flag_get_bool(flag, "show_banner", 0, &banner);
        printf("%-6s new_checkout %s  title=\"%s\" discount=%lld%% banner=%s\n", users[i][0],
               vwo_flag_is_enabled(flag) ? "on " : "off", title, (long long)discount,
               banner ? "yes" : "no");
        vwo_string_free(title); /* strings from the library go back to the library */
        vwo_flag_free(flag);
    }

    /* 3. Parse a context once, decide several flags with it, print all variables as JSON. */
    vwo_context_new("{\"id\":\"bob\",\"custom_variables\":{\"country\":\"US\",\"beta\":true,"
                    "\"app_version\":\"4.3.0\"}}", &bob);
    printf("\nbob in the US, beta tester, app 4.3.0:\n");
    for (i = 0; i < sizeof features / sizeof features[0]; i++) {
        vwo_flag *flag = NULL;
        char *variables = NULL;
        vwo_get_flag_ctx(client, features[i], bob, &flag);
        vwo_flag_variables_json(flag, &variables);
        printf("  %-15s %s %s\n", features[i], vwo_flag_is_enabled(flag) ? "on " : "off", variables);
        vwo_string_free(variables);
        vwo_flag_free(flag);
    }

    /* 4. Track a conversion: 1 when the event is one of the settings' metrics. */
    vwo_track_event(client, "purchase", users[0][1], "{\"revenue\":49.9}", &tracked);
    printf("\npurchase by alice tracked: %s\n", tracked ? "yes" : "no");

    /* 5. Release everything (vwo_client_free also closes the client). */
    vwo_context_free(bob);
    vwo_client_free(client);
    return 0;
}
