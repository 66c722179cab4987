package vwo

/*
#include "vwo_go.h"
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/cgo"
	"strings"
	"sync/atomic"
	"unsafe"
)

// The exported trampolines the library calls (through the shims in callbacks.c). Each one
// looks up the client's callback state by its cgo.Handle, recovers any panic of the user's
// function (a Go panic must never unwind into C), and logs it. The library may call them
// on its own threads (log and flush callbacks run on event workers and the poller); cgo
// runs Go code on such threads without any set-up.

func stateOf(ud C.uintptr_t) *hostState {
	defer func() { _ = recover() }() // an invalid handle panics; treat it as "no state"
	s, _ := cgo.Handle(uintptr(ud)).Value().(*hostState)
	return s
}

//export goVwoStorageGet
func goVwoStorageGet(ud C.uintptr_t, key *C.char, userID *C.char, result unsafe.Pointer) (rc C.int32_t) {
	s := stateOf(ud)
	if s == nil || s.storage == nil {
		return 0
	}
	k, u := C.GoString(key), C.GoString(userID)
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprintf("storage connector Get(%q, %q) panicked: %v", k, u, r)
			s.logBinding(levelError, msg)
			storageError(result, msg)
			rc = 1
		}
	}()
	v, err := s.storage.Get(k, u)
	if err != nil {
		storageError(result, err.Error())
		return 1
	}
	text, err := storageRecordJSON(v)
	if err != nil {
		msg := fmt.Sprintf("storage connector Get(%q, %q) returned an unusable value: %v", k, u, err)
		storageError(result, msg)
		return 1
	}
	if text == nil {
		return 0
	}
	if C.vwo_go_storage_answer(result, (*C.char)(unsafe.Pointer(&text[0])), C.size_t(len(text))) != 0 {
		return 1
	}
	return 0
}

func storageError(result unsafe.Pointer, msg string) {
	b := append([]byte(msg), 0)
	C.vwo_go_storage_error(result, cstr(b))
}

// storageRecordJSON turns what a storage connector's Get returned into record JSON (nil: no
// record). Maps (any key/value types encoding/json accepts), JSON text as string or
// []byte, json.RawMessage and structs are accepted.
func storageRecordJSON(v interface{}) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]interface{}:
		if x == nil {
			return nil, nil
		}
		return appendJSON(nil, x)
	case string:
		if x == "" {
			return nil, nil
		}
		if !json.Valid([]byte(x)) {
			return nil, errors.New("a string that is not JSON")
		}
		return []byte(x), nil
	case []byte:
		if len(x) == 0 {
			return nil, nil
		}
		if !json.Valid(x) {
			return nil, errors.New("bytes that are not JSON")
		}
		return x, nil
	case json.RawMessage:
		if len(x) == 0 {
			return nil, nil
		}
		return []byte(x), nil
	default:
		return json.Marshal(x)
	}
}

//export goVwoStorageSet
func goVwoStorageSet(ud C.uintptr_t, record *C.char) (rc C.int32_t) {
	s := stateOf(ud)
	if s == nil || s.storage == nil {
		return 0
	}
	defer func() {
		if r := recover(); r != nil {
			s.logBinding(levelError, fmt.Sprintf("storage connector Set panicked: %v", r))
			rc = 1
		}
	}()
	data, err := decodeObject(C.GoString(record))
	if err != nil {
		s.logBinding(levelError, "storage record from the library is not a JSON object: "+err.Error())
		return 1
	}
	if err := s.storage.Set(data); err != nil {
		s.logBinding(levelError, "storage connector Set failed: "+err.Error())
		return 1
	}
	return 0
}

//export goVwoLog
func goVwoLog(ud C.uintptr_t, level C.int32_t, message *C.char) {
	s := stateOf(ud)
	if s == nil {
		return
	}
	s.dispatchLog(int(level), C.GoString(message))
}

//export goVwoIntegrations
func goVwoIntegrations(ud C.uintptr_t, props *C.char) {
	s := stateOf(ud)
	if s == nil || s.integration == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.logBinding(levelError, fmt.Sprintf("integrations callback panicked: %v", r))
		}
	}()
	m, err := decodeObject(C.GoString(props))
	if err != nil {
		s.logBinding(levelError, "integrations payload is not a JSON object: "+err.Error())
		return
	}
	s.integration(camelKeys(m))
}

// camelKeys renames the payload's snake_case keys (event_name, custom_variables,
// variation_targeting_variables: the Python SDK's spelling, which the library uses) to the
// official Go SDK's camelCase (eventName, customVariables, variationTargetingVariables).
func camelKeys(m map[string]interface{}) map[string]interface{} {
	for k, v := range m {
		if c := camel(k); c != k {
			delete(m, k)
			m[c] = v
		}
	}
	return m
}

func camel(k string) string {
	if strings.IndexByte(k, '_') <= 0 {
		return k
	}
	parts := strings.Split(k, "_")
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1:] {
		if p != "" {
			b.WriteString(strings.ToUpper(p[:1]))
			b.WriteString(p[1:])
		}
	}
	return b.String()
}

//export goVwoFlush
func goVwoFlush(ud C.uintptr_t, errText *C.char, events *C.char) {
	s := stateOf(ud)
	if s == nil || s.flush == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.logBinding(levelError, fmt.Sprintf("flush callback panicked: %v", r))
		}
	}()
	var err error
	if errText != nil {
		err = errors.New(C.GoString(errText))
	}
	// The official SDK passes the serialized batch payload, {"ev": [...]}.
	s.flush(err, `{"ev":`+C.GoString(events)+`}`)
}

// userDataFreed counts released callback states (for tests).
var userDataFreed int64

//export goVwoFreeUserData
func goVwoFreeUserData(ud C.uintptr_t) {
	defer func() { _ = recover() }()
	atomic.AddInt64(&userDataFreed, 1)
	cgo.Handle(uintptr(ud)).Delete()
}
