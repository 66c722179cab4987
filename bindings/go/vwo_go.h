// Declarations shared by the Go files' cgo preambles (definitions in vwo_go.c and
// callbacks.c). Declarations only: files with //export may include it.
#ifndef VWO_GO_H
#define VWO_GO_H

#include <stdint.h>
#include <stdlib.h>
#include "vwo_fme.h"

// Everything GetFlag needs, from one C call. The UUID is copied into buf when it fits
// (uuid_len >= 0), else uuid_heap owns a copy (freed with vwo_go_free_flag_extra). An
// enabled flag's handle stays in flag, for its variables (vwo_go_flag_variables frees it);
// a disabled flag has no variables and is freed at once.
typedef struct {
	int32_t status;
	int32_t enabled;
	int32_t reason;
	int32_t uuid_len;   // -1: no uuid; -2: see uuid_heap
	int64_t session_id;
	int32_t vars_len;   // unused (0)
	int32_t _pad;
	char *uuid_heap;
	char *vars_heap;    // unused (NULL)
	char *err;          // malloc'd copy of the last error message, or NULL
	vwo_flag *flag;     // enabled flags only: the live handle
} vwo_go_flag;

void vwo_go_get_flag(vwo_client *c, const char *fk, const char *ctx, vwo_go_flag *r, char *buf, size_t cap);
void vwo_go_free_flag_extra(char *uuid_heap, char *vars_heap);
// The variables JSON of f (owned: vwo_string_free), then frees f.
char *vwo_go_flag_variables(vwo_flag *f);
// The JSON of one variable's value copied into buf (returns its length), or -1 when the
// flag has no such variable, or -2 with an owned copy in *heap (vwo_string_free).
int32_t vwo_go_flag_variable(const vwo_flag *f, const char *key, char *buf, size_t cap, char **heap);
vwo_status vwo_go_client_new(const char *options, const vwo_callbacks *cb, vwo_client **out, char **err);
vwo_status vwo_go_track(vwo_client *c, const char *ev, const char *ctx, const char *props, int32_t *tracked, char **err);
vwo_status vwo_go_set_attributes(vwo_client *c, const char *attrs, const char *ctx, char **err);
vwo_status vwo_go_flush(vwo_client *c, uint32_t timeout_ms, int32_t *delivered, char **err);
vwo_status vwo_go_update_settings(vwo_client *c, const char *settings, int32_t via_webhook, char **err);
vwo_status vwo_go_close(vwo_client *c, int32_t *delivered, char **err);
vwo_status vwo_go_uuid(const char *user, const char *account, char **out, char **err);

// callbacks.c: fills the callbacks struct with the Go trampolines selected by flags
// (1 storage, 2 log, 4 integrations, 8 flush) and user_data = handle.
void vwo_go_fill_callbacks(vwo_callbacks *cb, uintptr_t handle, int flags, int32_t log_level);
int32_t vwo_go_storage_answer(void *result, const char *json, size_t len);
int32_t vwo_go_storage_error(void *result, const char *message);

#endif
