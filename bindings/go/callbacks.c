// C shims between the library's callback signatures (const char *) and the exported Go
// trampolines (cgo exports take char *). user_data is a runtime/cgo.Handle value.

#include <string.h>
#include "vwo_go.h"
#include "_cgo_export.h"

static int32_t shim_storage_get(void *ud, const char *key, const char *user_id, vwo_storage_result *result) {
	return goVwoStorageGet((uintptr_t)ud, (char *)key, (char *)user_id, (void *)result);
}

static int32_t shim_storage_set(void *ud, const char *record_json) {
	return goVwoStorageSet((uintptr_t)ud, (char *)record_json);
}

static void shim_log(void *ud, int32_t level, const char *message) {
	goVwoLog((uintptr_t)ud, level, (char *)message);
}

static void shim_integrations(void *ud, const char *properties_json) {
	goVwoIntegrations((uintptr_t)ud, (char *)properties_json);
}

static void shim_flush(void *ud, const char *error, const char *events_json) {
	goVwoFlush((uintptr_t)ud, (char *)error, (char *)events_json);
}

static void shim_free_user_data(void *ud) {
	goVwoFreeUserData((uintptr_t)ud);
}

void vwo_go_fill_callbacks(vwo_callbacks *cb, uintptr_t handle, int flags, int32_t log_level) {
	memset(cb, 0, sizeof(*cb));
	cb->struct_size = sizeof(vwo_callbacks);
	cb->user_data = (void *)handle;
	cb->free_user_data = shim_free_user_data;
	cb->log_level = log_level;
	if (flags & 1) {
		cb->storage_get = shim_storage_get;
		cb->storage_set = shim_storage_set;
	}
	if (flags & 2) cb->log = shim_log;
	if (flags & 4) cb->integrations = shim_integrations;
	if (flags & 8) cb->flush = shim_flush;
}

// Answers a storage read from Go memory (copied by the library).
int32_t vwo_go_storage_answer(void *result, const char *json, size_t len) {
	return vwo_storage_result_set_json((vwo_storage_result *)result, json, len);
}

int32_t vwo_go_storage_error(void *result, const char *message) {
	return vwo_storage_result_set_error((vwo_storage_result *)result, message);
}
