'use strict';
// The C ABI of libvwo_fme (include/vwo_fme.h) declared with koffi, loaded once per JS
// realm (the main thread and each worker_thread load their own instance; the shared library
// itself is loaded once per process by the dynamic loader).

const fs = require('fs');
const path = require('path');
const koffi = require('koffi');

/** ABI major version this binding was written for (VWO_ABI_MAJOR in vwo_fme.h). */
const ABI_MAJOR = 1;

/** Status codes (vwo_status) by value. */
const STATUS = {
  0: 'VWO_OK',
  1: 'VWO_ERR_NULL_ARGUMENT',
  2: 'VWO_ERR_INVALID_UTF8',
  3: 'VWO_ERR_INVALID_JSON',
  4: 'VWO_ERR_INVALID_ARGUMENT',
  5: 'VWO_ERR_TOO_LARGE',
  6: 'VWO_ERR_INIT',
  7: 'VWO_ERR_CLOSED',
  8: 'VWO_ERR_NO_SETTINGS',
  9: 'VWO_ERR_FAILED',
  10: 'VWO_ERR_NOT_FOUND',
  11: 'VWO_ERR_TYPE_MISMATCH',
  12: 'VWO_ERR_BAD_HANDLE',
  99: 'VWO_ERR_PANIC',
};

const REASON = ['EVALUATED', 'STORED_EXPERIMENT', 'STORED_HOLDOUT', 'HOLDOUT', 'FEATURE_NOT_FOUND', 'ERROR'];

/** Where the shared library is: $VWO_FME_LIBRARY, else the repository's release build. */
function libraryPath() {
  const env = process.env.VWO_FME_LIBRARY;
  if (env) return path.resolve(env);
  const ext = process.platform === 'darwin' ? 'dylib' : process.platform === 'win32' ? 'dll' : 'so';
  const name = process.platform === 'win32' ? `vwo_fme.${ext}` : `libvwo_fme.${ext}`;
  return path.resolve(__dirname, '..', '..', '..', 'target', 'release', name);
}

function load() {
  const file = libraryPath();
  if (!fs.existsSync(file)) {
    throw new Error(
      `vwo-fme-native: the shared library ${file} does not exist. Build it with ` +
        '`cargo build --release --lib` at the repository root (or `make lib`), or set ' +
        'VWO_FME_LIBRARY to the path of libvwo_fme.so.',
    );
  }
  const lib = koffi.load(file);
  const abiVersion = lib.func('uint32_t vwo_abi_version(void)')();
  if (abiVersion >>> 16 !== ABI_MAJOR) {
    throw new Error(
      `vwo-fme-native: ${file} has C ABI ${abiVersion >>> 16}.${abiVersion & 0xffff}; ` +
        `this binding needs major version ${ABI_MAJOR}`,
    );
  }

  // Strings the library returns as owned: converted to JS strings, then vwo_string_free'd.
  const stringFree = lib.func('void vwo_string_free(void *s)');
  koffi.disposable('vwo_owned_str', 'str', stringFree);

  // Function pointers are declared as uintptr_t members: the struct then takes the
  // addresses koffi.register() returns (bigint), wherever they were registered.
  const Callbacks = koffi.struct('vwo_callbacks', {
    struct_size: 'uint32_t',
    user_data: 'uintptr_t',
    free_user_data: 'uintptr_t',
    storage_get: 'uintptr_t',
    storage_set: 'uintptr_t',
    log: 'uintptr_t',
    log_level: 'int32_t',
    integrations: 'uintptr_t',
    flush: 'uintptr_t',
  });

  const protos = {
    storageGet: koffi.proto('int32_t vwo_storage_get_cb(uintptr_t ud, const char *key, const char *user_id, void *result)'),
    storageSet: koffi.proto('int32_t vwo_storage_set_cb(uintptr_t ud, const char *record_json)'),
    log: koffi.proto('void vwo_log_cb(uintptr_t ud, int32_t level, const char *message)'),
    integrations: koffi.proto('void vwo_integrations_cb(uintptr_t ud, const char *properties_json)'),
    flush: koffi.proto('void vwo_flush_cb(uintptr_t ud, const char *error, const char *events_json)'),
  };

  const fn = {
    version: lib.func('const char *vwo_version(void)'),
    abiVersion: () => abiVersion,
    lastError: lib.func('const char *vwo_last_error_message(void)'),
    statusName: lib.func('const char *vwo_status_name(int32_t status)'),
    storageResultSetJson: lib.func('int32_t vwo_storage_result_set_json(void *result, const char *json, size_t len)'),
    storageResultSetError: lib.func('int32_t vwo_storage_result_set_error(void *result, const char *message)'),
    clientNew: lib.func('int32_t vwo_client_new(const char *options_json, const vwo_callbacks *callbacks, _Out_ void **out_client)'),
    clientClose: lib.func('int32_t vwo_client_close(void *client, _Out_ int32_t *out_delivered_all)'),
    // With native memory (koffi.alloc) for the result, readable before the async call's
    // completion runs (the exit listener polls it: see index.js beginClose).
    clientCloseRaw: lib.func('int32_t vwo_client_close(void *client, int32_t *out_delivered_all)'),
    clientFree: lib.func('void vwo_client_free(void *client)'),
    trackEvent: lib.func('int32_t vwo_track_event(void *client, const char *event_name, const char *context_json, const char *properties_json, _Out_ int32_t *out_tracked)'),
    setAttribute: lib.func('int32_t vwo_set_attribute(void *client, const char *key, const char *value_json, const char *context_json)'),
    setAttributes: lib.func('int32_t vwo_set_attributes(void *client, const char *attributes_json, const char *context_json)'),
    flushEvents: lib.func('int32_t vwo_flush_events(void *client, uint32_t timeout_ms, _Out_ int32_t *out_delivered)'),
    updateSettings: lib.func('int32_t vwo_update_settings(void *client, const char *settings_json, int32_t via_webhook)'),
    setAlias: lib.func('int32_t vwo_set_alias(void *client, const char *user_id, const char *alias_id, _Out_ int32_t *out_ok)'),
    getUuid: lib.func('int32_t vwo_get_uuid(const char *user_id, const char *account_id, _Out_ vwo_owned_str *out_uuid)'),
    getFlag: lib.func('int32_t vwo_get_flag(void *client, const char *feature_key, const char *context_json, _Out_ void **out_flag)'),
    // With native memory for the flag (koffi.alloc): NULL until the call writes its flag, its
    // last act, so the exit listener can see a call on the pool end (see index.js).
    getFlagRaw: lib.func('int32_t vwo_get_flag(void *client, const char *feature_key, const char *context_json, void **out_flag)'),
    // Hot path: out-pointers as typed arrays (no marshalling: ~0.7 us less per argument).
    getFlagFast: lib.func('int32_t vwo_get_flag(void *client, const char *feature_key, const char *context_json, void **out_flag)'),
    flagVariablesJsonFast: lib.func('int32_t vwo_flag_variables_json(void *flag, void **out_json)'),
    trackEventFast: lib.func('int32_t vwo_track_event(void *client, const char *event_name, const char *context_json, const char *properties_json, int32_t *out_tracked)'),
    stringFree,
    takeString: takeStringFn(koffi, stringFree),
    flagIsEnabled: lib.func('int32_t vwo_flag_is_enabled(void *flag)'),
    flagReason: lib.func('int32_t vwo_flag_reason(void *flag)'),
    flagSessionId: lib.func('int64_t vwo_flag_session_id(void *flag)'),
    flagUuid: lib.func('const char *vwo_flag_uuid(void *flag)'),
    flagVariablesJson: lib.func('int32_t vwo_flag_variables_json(void *flag, _Out_ vwo_owned_str *out_json)'),
    flagFree: lib.func('void vwo_flag_free(void *flag)'),
  };

  return { koffi, lib, file, fn, Callbacks, protos, callbacksSize: koffi.sizeof(Callbacks) };
}

/**
 * `takeString(ptr)`: the JS string of an owned C string (a bigint address), which is then
 * freed with vwo_string_free. koffi converts `const char *` *return values* without cost or
 * leak, while koffi.decode(ptr, 'char', -1) leaks ~9 bytes a call (koffi 3.3.4, measured)
 * and `_Out_` disposable strings cost ~0.7 us more per call; so the string goes through
 * libc's strstr(s, ""), which returns s itself.
 */
function takeStringFn(koffi, stringFree) {
  let strstr = null;
  try {
    strstr = koffi.load(null).func('const char *strstr(void *s, const char *needle)');
  } catch (_) {
    strstr = null;
  }
  if (strstr) {
    return (ptr) => {
      if (!ptr) return null;
      const s = strstr(ptr, '');
      stringFree(ptr);
      return s;
    };
  }
  return (ptr) => {
    if (!ptr) return null;
    const s = koffi.decode(ptr, 'char', -1);
    stringFree(ptr);
    return s;
  };
}

let cached = null;
/** The loaded library (throws a descriptive Error when it cannot be loaded). */
function native() {
  if (!cached) cached = load();
  return cached;
}

function statusName(status) {
  return STATUS[status] || `VWO_ERR_UNKNOWN(${status})`;
}

module.exports = { native, libraryPath, statusName, STATUS, REASON, ABI_MAJOR };
