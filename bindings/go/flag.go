package vwo

/*
#include "vwo_go.h"
*/
import "C"

import (
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Flag is a flag decision (the official SDK's *models.GetFlag). Immutable and safe for
// concurrent use.
//
// An enabled flag keeps its native decision until GetVariables is first called (building
// the variables list costs more than the decision itself, and many callers only ask
// IsEnabled or read one variable); then, or when the Flag is garbage collected, the native
// flag is freed.
type Flag struct {
	enabled   bool
	uuid      string
	sessionID int64
	reason    int

	mu      sync.Mutex
	handle  *C.vwo_flag // enabled flags until their variables are decoded
	decoded bool
	vars    []variable
}

func disabledFlag(context map[string]interface{}) *Flag {
	f := &Flag{reason: reasonError, sessionID: time.Now().Unix(), decoded: true}
	if context != nil {
		switch s := context["sessionId"].(type) {
		case int64:
			f.sessionID = s
		case int:
			f.sessionID = int64(s)
		case float64:
			f.sessionID = int64(s)
		}
	}
	return f
}

// release frees the native flag of a Flag that was never fully decoded (finalizer).
func (f *Flag) release() {
	if f.handle != nil {
		C.vwo_flag_free(f.handle)
		f.handle = nil
	}
}

// IsEnabled reports whether the flag is enabled for the user.
func (f *Flag) IsEnabled() bool { return f.enabled }

// GetUUID is the VWO visitor UUID of the user ("" when the call failed before deriving it).
func (f *Flag) GetUUID() string { return f.uuid }

// GetSessionId is the session id of the decision (unix seconds): the context's
// "sessionId" when given, else the time of the call.
func (f *Flag) GetSessionId() int64 { return f.sessionID }

// variables decodes all variables once (and frees the native flag). Call with f.mu held.
func (f *Flag) variablesLocked() []variable {
	if f.decoded {
		return f.vars
	}
	f.decoded = true
	if f.handle == nil {
		return nil
	}
	p := C.vwo_go_flag_variables(f.handle) // frees the handle
	f.handle = nil
	runtime.SetFinalizer(f, nil)
	if p == nil {
		return nil
	}
	text := C.GoString(p)
	C.vwo_string_free(p)
	if v, err := decodeVariables([]byte(text)); err == nil {
		f.vars = v
	}
	return f.vars
}

// GetVariable is the value of the variable key, or defaultValue when the flag has no such
// variable. Values are as encoding/json decodes them (numbers are float64, json variables
// map[string]interface{}), as in the official SDK.
func (f *Flag) GetVariable(key string, defaultValue interface{}) interface{} {
	f.mu.Lock()
	if f.decoded || f.handle == nil || strings.IndexByte(key, 0) >= 0 {
		vars := f.variablesLocked()
		f.mu.Unlock()
		for _, v := range vars {
			if v.key == key {
				return v.value
			}
		}
		return defaultValue
	}
	// One variable: ask the native flag for that value only.
	var stack [256]byte
	b := append(append(stack[:0], key...), 0)
	if cap(b)-len(b) < 128 {
		nb := make([]byte, len(b), len(b)+1024)
		copy(nb, b)
		b = nb
	}
	buf := b[len(b):cap(b)]
	var heap *C.char
	n := int(C.vwo_go_flag_variable(f.handle, cstr(b), (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &heap))
	f.mu.Unlock()
	var text []byte
	switch {
	case n >= 0:
		text = buf[:n]
	case n == -2:
		text = []byte(C.GoString(heap))
		C.vwo_string_free(heap)
	default:
		return defaultValue
	}
	v, err := decodeValue(text)
	if err != nil {
		return defaultValue
	}
	return v
}

// decodeValue decodes one JSON value as encoding/json into interface{} would, with fast
// paths for plain strings, numbers and booleans.
func decodeValue(text []byte) (interface{}, error) {
	switch {
	case len(text) >= 2 && text[0] == '"' && text[len(text)-1] == '"':
		inner := text[1 : len(text)-1]
		plain := true
		for _, c := range inner {
			if c == '\\' || c < 0x20 || c >= 0x80 {
				plain = false
				break
			}
		}
		if plain {
			return string(inner), nil
		}
	case string(text) == "true":
		return true, nil
	case string(text) == "false":
		return false, nil
	case len(text) > 0 && (text[0] == '-' || text[0] >= '0' && text[0] <= '9'):
		if x, err := strconv.ParseFloat(string(text), 64); err == nil {
			return x, nil
		}
	}
	var v interface{}
	err := json.Unmarshal(text, &v)
	return v, err
}

// GetVariables lists the flag's variables as maps with "key", "value", "type" and "id"
// (an int); empty, never nil.
func (f *Flag) GetVariables() []map[string]interface{} {
	f.mu.Lock()
	vs := f.variablesLocked()
	f.mu.Unlock()
	out := make([]map[string]interface{}, 0, len(vs))
	for _, v := range vs {
		out = append(out, map[string]interface{}{"key": v.key, "value": v.value, "type": v.typ, "id": v.id})
	}
	return out
}

// Reasons (an addition to the official API).
const (
	reasonEvaluated        = 0
	reasonStoredExperiment = 1
	reasonStoredHoldout    = 2
	reasonHoldout          = 3
	reasonFeatureNotFound  = 4
	reasonError            = 5
)

// Reason says how the decision was reached: "evaluated", "stored_experiment",
// "stored_holdout", "holdout", "feature_not_found" or "error". Not in the official SDK.
func (f *Flag) Reason() string {
	switch f.reason {
	case reasonEvaluated:
		return "evaluated"
	case reasonStoredExperiment:
		return "stored_experiment"
	case reasonStoredHoldout:
		return "stored_holdout"
	case reasonHoldout:
		return "holdout"
	case reasonFeatureNotFound:
		return "feature_not_found"
	}
	return "error"
}
