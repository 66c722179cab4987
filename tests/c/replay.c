/*
 * Conformance replay through the C ABI: reads a client's options and a list of calls on
 * stdin, makes each call with vwo_* functions (an in-memory storage connector and the
 * integrations callback written in C), and prints one JSON line per call with what the
 * official SDK's recorded results hold: the result, the storage reads and writes, the
 * integrations payload. tests/c/check_replay.py prepares the input from the shared
 * conformance cases and compares the output with the official Python SDK's results.
 *
 * Usage: replay [--storage] [--integrations] < INPUT
 *
 * INPUT: line 1 is the options JSON; each further line is one call, fields separated by
 * tabs (JSON text never holds a raw tab or newline):
 *   G <feature_key> <context_json>                get_flag
 *   T <event_name> <context_json> <props_json|->  track_event
 *   S <key> <value_json> <context_json>           set_attribute (one)
 *   A <attributes_json> <context_json>            set_attribute (a map)
 *   F                                             flush_events
 *   U <user_id> <account_id>                      get_uuid
 *
 * OUTPUT, per call: {"i":N,"op":..,"status":"VWO_..","result":..,"decision":..|null,
 *   "storage":{"reads":[{"key","user_id","found"}],"writes":[record...]}}
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "support.h"

/* A growable string. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) {
    sb_add(b, s, strlen(s));
}

/* Appends `s` as a JSON string literal. */
static void sb_json_string(sbuf *b, const char *s) {
    char esc[8];
    sb_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': sb_str(b, "\\\""); break;
        case '\\': sb_str(b, "\\\\"); break;
        case '\n': sb_str(b, "\\n"); break;
        case '\r': sb_str(b, "\\r"); break;
        case '\t': sb_str(b, "\\t"); break;
        default:
            if (c < 0x20) {
                sprintf(esc, "\\u%04x", c);
                sb_str(b, esc);
            } else {
                sb_add(b, s, 1);
            }
        }
    }
    sb_add(b, "\"", 1);
}

/* What the callbacks record during one call. */
static struct {
    memstore *store;
    sbuf reads, writes, decision;
    int nreads, nwrites;
} rec;

static int32_t on_storage_get(void *user_data, const char *key, const char *user_id,
                              vwo_storage_result *result) {
    char *record = memstore_get(rec.store, key, user_id);
    (void)user_data;
    sb_str(&rec.reads, rec.nreads++ ? ",{\"key\":" : "{\"key\":");
    sb_json_string(&rec.reads, key);
    sb_str(&rec.reads, ",\"user_id\":");
    sb_json_string(&rec.reads, user_id);
    sb_str(&rec.reads, record ? ",\"found\":true}" : ",\"found\":false}");
    if (record && vwo_storage_result_set_json(result, record, strlen(record)) != VWO_OK) {
        free(record);
        return 1;
    }
    free(record);
    return 0;
}

static int32_t on_storage_set(void *user_data, const char *record_json) {
    (void)user_data;
    if (rec.nwrites++) sb_str(&rec.writes, ",");
    sb_str(&rec.writes, record_json);
    return memstore_put(rec.store, record_json);
}

static void on_integrations(void *user_data, const char *properties_json) {
    (void)user_data;
    rec.decision.len = 0;
    sb_str(&rec.decision, properties_json);
}

static void on_log(void *user_data, int32_t level, const char *message) {
    (void)user_data;
    (void)level;
    (void)message;
}

/* Splits `line` in place at tabs into at most `max` fields; returns their number. */
static int split(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    while (n < max) {
        char *tab = strchr(p, '\t');
        fields[n++] = p;
        if (!tab) break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

int main(int argc, char **argv) {
    int storage = 0, integrations = 0, i, index = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    vwo_callbacks cb;
    vwo_client *client = NULL;
    vwo_status st;
    sbuf out = {NULL, 0, 0};

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--storage") == 0) storage = 1;
        else if (strcmp(argv[i], "--integrations") == 0) integrations = 1;
        else {
            fprintf(stderr, "usage: replay [--storage] [--integrations] < INPUT\n");
            return 2;
        }
    }
    if ((vwo_abi_version() >> 16) != VWO_ABI_MAJOR) {
        fprintf(stderr, "replay: library ABI %u.x, expected %d.x\n", vwo_abi_version() >> 16,
                VWO_ABI_MAJOR);
        return 2;
    }

    memset(&cb, 0, sizeof cb);
    cb.struct_size = sizeof cb;
    cb.log = on_log;
    cb.log_level = -1;
    if (storage) {
        cb.storage_get = on_storage_get;
        cb.storage_set = on_storage_set;
    }
    if (integrations) cb.integrations = on_integrations;
    rec.store = memstore_new();

    if ((len = getline(&line, &cap, stdin)) <= 0) {
        fprintf(stderr, "replay: no options line\n");
        return 2;
    }
    if (line[len - 1] == '\n') line[len - 1] = '\0';
    if ((st = vwo_client_new(line, &cb, &client)) != VWO_OK) {
        fprintf(stderr, "replay: vwo_client_new: %s: %s\n", vwo_status_name(st),
                vwo_last_error_message());
        return 1;
    }

    while ((len = getline(&line, &cap, stdin)) > 0) {
        char *f[5];
        int n;
        if (line[len - 1] == '\n') line[--len] = '\0';
        if (len == 0) continue;
        n = split(line, f, 5);
        rec.reads.len = rec.writes.len = rec.decision.len = 0;
        rec.nreads = rec.nwrites = 0;
        sb_str(&rec.reads, "");
        sb_str(&rec.writes, "");
        sb_str(&rec.decision, "");
        out.len = 0;
        {
            char num[32];
            sprintf(num, "{\"i\":%d,", index++);
            sb_str(&out, num);
        }

        if (f[0][0] == 'G' && n == 3) {
            vwo_flag *flag = NULL;
            char *vars = NULL, num[32];
            const char *uuid;
            st = vwo_get_flag(client, f[1], f[2], &flag);
            sb_str(&out, "\"op\":\"get_flag\",\"status\":");
            sb_json_string(&out, vwo_status_name(st));
            sb_str(&out, ",\"result\":{\"is_enabled\":");
            sb_str(&out, vwo_flag_is_enabled(flag) ? "true" : "false");
            sb_str(&out, ",\"variables\":");
            if (vwo_flag_variables_json(flag, &vars) == VWO_OK) sb_str(&out, vars);
            else sb_str(&out, "null");
            vwo_string_free(vars);
            sb_str(&out, ",\"uuid\":");
            uuid = vwo_flag_uuid(flag);
            if (uuid) sb_json_string(&out, uuid);
            else sb_str(&out, "null");
            sprintf(num, ",\"session_id\":%lld}", (long long)vwo_flag_session_id(flag));
            sb_str(&out, num);
            vwo_flag_free(flag);
        } else if (f[0][0] == 'T' && n == 4) {
            int32_t tracked = 0;
            st = vwo_track_event(client, f[1], f[2], strcmp(f[3], "-") ? f[3] : NULL, &tracked);
            sb_str(&out, "\"op\":\"track_event\",\"status\":");
            sb_json_string(&out, vwo_status_name(st));
            sb_str(&out, ",\"result\":{");
            sb_json_string(&out, f[1]);
            sb_str(&out, tracked ? ":true}" : ":false}");
        } else if (f[0][0] == 'S' && n == 4) {
            st = vwo_set_attribute(client, f[1], f[2], f[3]);
            sb_str(&out, "\"op\":\"set_attribute\",\"status\":");
            sb_json_string(&out, vwo_status_name(st));
            sb_str(&out, ",\"result\":null");
        } else if (f[0][0] == 'A' && n == 3) {
            st = vwo_set_attributes(client, f[1], f[2]);
            sb_str(&out, "\"op\":\"set_attribute\",\"status\":");
            sb_json_string(&out, vwo_status_name(st));
            sb_str(&out, ",\"result\":null");
        } else if (f[0][0] == 'F' && n == 1) {
            int32_t delivered = 0;
            st = vwo_flush_events(client, 5000, &delivered);
            sb_str(&out, "\"op\":\"flush_events\",\"status\":");
            sb_json_string(&out, vwo_status_name(st));
            sb_str(&out, delivered ? ",\"result\":true" : ",\"result\":false");
        } else if (f[0][0] == 'U' && n == 3) {
            char *uuid = NULL;
            st = vwo_get_uuid(f[1], f[2], &uuid);
            sb_str(&out, "\"op\":\"get_uuid\",\"status\":");
            sb_json_string(&out, vwo_status_name(st));
            sb_str(&out, ",\"result\":");
            if (uuid) sb_json_string(&out, uuid);
            else sb_str(&out, "null");
            vwo_string_free(uuid);
        } else {
            fprintf(stderr, "replay: bad input line %d\n", index);
            return 2;
        }

        sb_str(&out, ",\"decision\":");
        sb_str(&out, rec.decision.len ? rec.decision.p : "null");
        sb_str(&out, ",\"storage\":{\"reads\":[");
        sb_str(&out, rec.reads.p);
        sb_str(&out, "],\"writes\":[");
        sb_str(&out, rec.writes.p);
        sb_str(&out, "]}}\n");
        fwrite(out.p, 1, out.len, stdout);
    }

    vwo_client_free(client);
    memstore_free(rec.store);
    free(rec.reads.p);
    free(rec.writes.p);
    free(rec.decision.p);
    free(out.p);
    free(line);
    return 0;
}
