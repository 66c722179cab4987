/* Shared helpers of the C tests; see support.h. */
#define _POSIX_C_SOURCE 200809L

#include "support.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

long t_checks = 0;
long t_failures = 0;

void t_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    t_failures++;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int t_str_eq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
        exit(2);
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "cannot size %s\n", path);
        exit(2);
    }
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
}

char *str_cat(const char *first, ...) {
    va_list ap;
    size_t len = 0;
    const char *s;
    char *out, *p;
    va_start(ap, first);
    for (s = first; s; s = va_arg(ap, const char *)) len += strlen(s);
    va_end(ap);
    out = malloc(len + 1);
    if (!out) abort();
    p = out;
    va_start(ap, first);
    for (s = first; s; s = va_arg(ap, const char *)) {
        size_t n = strlen(s);
        memcpy(p, s, n);
        p += n;
    }
    va_end(ap);
    *p = '\0';
    return out;
}

char *str_fill(const char *prefix, char c, size_t n, const char *suffix) {
    size_t a = strlen(prefix), b = strlen(suffix);
    char *out = malloc(a + n + b + 1);
    if (!out) abort();
    memcpy(out, prefix, a);
    memset(out + a, c, n);
    memcpy(out + a + n, suffix, b + 1);
    return out;
}

size_t str_count(const char *haystack, const char *needle) {
    size_t n = 0, len = strlen(needle);
    const char *p = haystack;
    if (!haystack || !len) return 0;
    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += len;
    }
    return n;
}

void json_write_string(FILE *out, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    for (; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

/* ---- a minimal JSON reader: enough to pick top-level string members ------------------ */

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

static void put_utf8(char **o, unsigned long cp) {
    unsigned char *q = (unsigned char *)*o;
    if (cp < 0x80) {
        *q++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *q++ = (unsigned char)(0xC0 | (cp >> 6));
        *q++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *q++ = (unsigned char)(0xE0 | (cp >> 12));
        *q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *q++ = (unsigned char)(0xF0 | (cp >> 18));
        *q++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = (char *)q;
}

static int hex4(const char *p, unsigned long *out) {
    int i;
    *out = 0;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        *out <<= 4;
        if (c >= '0' && c <= '9') *out |= (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f') *out |= (unsigned long)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') *out |= (unsigned long)(c - 'A' + 10);
        else return 0;
    }
    return 1;
}

/* Parses a JSON string at `p` (on the opening quote). Returns the position after it and,
 * when `out` is non-NULL, the decoded text (malloc'ed). NULL on a syntax error. */
static const char *parse_string(const char *p, char **out) {
    const char *start = ++p;
    char *o = NULL, *w = NULL;
    while (*p && *p != '"') p += (*p == '\\' && p[1]) ? 2 : 1;
    if (*p != '"') return NULL;
    if (out) {
        o = w = malloc((size_t)(p - start) + 1);
        if (!o) abort();
        for (p = start; *p != '"'; p++) {
            if (*p != '\\') {
                *w++ = *p;
                continue;
            }
            p++;
            switch (*p) {
            case 'n': *w++ = '\n'; break;
            case 't': *w++ = '\t'; break;
            case 'r': *w++ = '\r'; break;
            case 'b': *w++ = '\b'; break;
            case 'f': *w++ = '\f'; break;
            case 'u': {
                unsigned long cp, lo;
                if (!hex4(p + 1, &cp)) {
                    free(o);
                    return NULL;
                }
                p += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u' &&
                    hex4(p + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
                put_utf8(&w, cp);
                break;
            }
            default: *w++ = *p; /* \" \\ \/ */
            }
        }
        *w = '\0';
        *out = o;
    }
    return p + 1;
}

/* Skips any JSON value; NULL on a syntax error. */
static const char *skip_value(const char *p) {
    int depth = 0;
    p = skip_ws(p);
    do {
        p = skip_ws(p);
        if (*p == '"') {
            p = parse_string(p, NULL);
            if (!p) return NULL;
        } else if (*p == '{' || *p == '[') {
            depth++;
            p++;
        } else if (*p == '}' || *p == ']') {
            depth--;
            p++;
        } else if (*p == ',' || *p == ':') {
            if (depth == 0) return p;
            p++;
        } else if (*p) {
            while (*p && !strchr(",:{}[]\" \t\r\n", *p)) p++;
        } else {
            return NULL;
        }
    } while (depth > 0);
    return p;
}

char *json_get_string(const char *json, const char *key) {
    const char *p = skip_ws(json);
    if (*p != '{') return NULL;
    p = skip_ws(p + 1);
    while (*p == '"') {
        char *name = NULL, *value = NULL;
        int match;
        p = parse_string(p, &name);
        if (!p) return NULL;
        match = strcmp(name, key) == 0;
        free(name);
        p = skip_ws(p);
        if (*p != ':') return NULL;
        p = skip_ws(p + 1);
        if (match) {
            if (*p != '"') return NULL;
            return parse_string(p, &value) ? value : NULL;
        }
        p = skip_value(p);
        if (!p) return NULL;
        p = skip_ws(p);
        if (*p != ',') return NULL;
        p = skip_ws(p + 1);
    }
    return NULL;
}

/* ---- options ------------------------------------------------------------------------- */

char *offline_options(const char *settings_path, const char *sdk_key, const char *account_id,
                      const char *extra) {
    char *settings = read_file(settings_path);
    char *out = str_cat("{\"sdk_key\":\"", sdk_key, "\",\"account_id\":", account_id,
                        ",\"offline\":true,\"settings\":", settings, extra, "}", (char *)NULL);
    free(settings);
    return out;
}

/* ---- memstore: a hash table of (key, user) -> record, behind a mutex ------------------- */

typedef struct entry {
    char *key, *user, *json;
    struct entry *next;
} entry;

#define MEMSTORE_BUCKETS 4096

struct memstore {
    pthread_mutex_t lock;
    entry *buckets[MEMSTORE_BUCKETS];
    size_t size;
};

static unsigned long hash2(const char *a, const char *b) {
    unsigned long h = 2166136261UL;
    for (; *a; a++) h = (h ^ (unsigned char)*a) * 16777619UL;
    h = (h ^ 0xFF) * 16777619UL;
    for (; *b; b++) h = (h ^ (unsigned char)*b) * 16777619UL;
    return h % MEMSTORE_BUCKETS;
}

static char *dup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d) abort();
    memcpy(d, s, n);
    return d;
}

memstore *memstore_new(void) {
    memstore *m = calloc(1, sizeof *m);
    if (!m) abort();
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void memstore_free(memstore *m) {
    size_t i;
    if (!m) return;
    for (i = 0; i < MEMSTORE_BUCKETS; i++) {
        entry *e = m->buckets[i];
        while (e) {
            entry *next = e->next;
            free(e->key);
            free(e->user);
            free(e->json);
            free(e);
            e = next;
        }
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

int memstore_put(memstore *m, const char *record_json) {
    char *key = json_get_string(record_json, "featureKey");
    char *user = json_get_string(record_json, "userId");
    unsigned long h;
    entry *e;
    if (!key || !user) {
        free(key);
        free(user);
        return 1;
    }
    h = hash2(key, user);
    pthread_mutex_lock(&m->lock);
    for (e = m->buckets[h]; e; e = e->next) {
        if (strcmp(e->key, key) == 0 && strcmp(e->user, user) == 0) break;
    }
    if (e) {
        free(e->json);
        e->json = dup(record_json);
        free(key);
        free(user);
    } else {
        e = malloc(sizeof *e);
        if (!e) abort();
        e->key = key;
        e->user = user;
        e->json = dup(record_json);
        e->next = m->buckets[h];
        m->buckets[h] = e;
        m->size++;
    }
    pthread_mutex_unlock(&m->lock);
    return 0;
}

char *memstore_get(memstore *m, const char *key, const char *user_id) {
    char *out = NULL;
    entry *e;
    pthread_mutex_lock(&m->lock);
    for (e = m->buckets[hash2(key, user_id)]; e; e = e->next) {
        if (strcmp(e->key, key) == 0 && strcmp(e->user, user_id) == 0) {
            out = dup(e->json);
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return out;
}

size_t memstore_size(memstore *m) {
    size_t n;
    pthread_mutex_lock(&m->lock);
    n = m->size;
    pthread_mutex_unlock(&m->lock);
    return n;
}

int32_t memstore_storage_get(void *user_data, const char *key, const char *user_id,
                             vwo_storage_result *result) {
    char *rec = memstore_get((memstore *)user_data, key, user_id);
    vwo_status s = VWO_OK;
    if (rec) s = vwo_storage_result_set_json(result, rec, strlen(rec));
    free(rec);
    return s == VWO_OK ? 0 : 1;
}

int32_t memstore_storage_set(void *user_data, const char *record_json) {
    return memstore_put((memstore *)user_data, record_json);
}

/* ---- time ---------------------------------------------------------------------------- */

int64_t now_unix_s(void) {
    return (int64_t)time(NULL);
}

void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}
