// Package vwo is the Go binding of vwo-fme, a native VWO Feature Management and
// Experimentation engine, with the API of the official VWO FME Go SDK
// (github.com/wingify/vwo-fme-go-sdk): Init, GetFlag, TrackEvent, SetAttribute,
// FlushEvents, UpdateSettings and GetUUID, with the same option and context keys.
//
// The engine is linked statically (lib/<GOOS>_<GOARCH>/libvwo_fme.a), so programs need no
// shared library at run time. All methods are safe for concurrent use.
package vwo

/*
#include "vwo_go.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// VWOClient is a client of one VWO account and environment. Create it with Init and
// release it with Close (a finalizer releases a client that was never closed).
type VWOClient struct {
	ptr       *C.vwo_client
	state     *hostState
	accountID string
	closeOnce sync.Once
	closeErr  error
}

// GetFlagResponse is the flag contract of the official SDK (models.GetFlagResponse);
// *Flag implements it.
type GetFlagResponse interface {
	IsEnabled() bool
	GetVariable(key string, defaultValue interface{}) interface{}
	GetVariables() []map[string]interface{}
	GetUUID() string
	GetSessionId() int64
}

var _ GetFlagResponse = (*Flag)(nil)

// Init creates a client from the official SDK's options (camelCase string keys: "sdkKey",
// "accountId", "pollInterval", "gatewayService", "batchEventData", "logger",
// "integrations", "storage", "retryConfig", "settings", "proxyUrl",
// "isUsageStatsDisabled", ...; this library's own options too: "offline", "pythonCompat",
// "threading", "maxQueueSize", ...). Like the official SDK it fetches the settings before
// it returns, unless "settings" (JSON text) is given.
func Init(options map[string]interface{}) (*VWOClient, error) {
	if err := checkABI(); err != nil {
		return nil, err
	}
	p, err := parseOptions(options)
	if err != nil {
		return nil, &Error{Status: statusInvalidArgument, Message: err.Error()}
	}
	opts := append(p.json, 0)
	var cb C.vwo_callbacks
	var cbp *C.vwo_callbacks
	var handle cgo.Handle
	if p.flags != 0 {
		handle = cgo.NewHandle(p.state)
		C.vwo_go_fill_callbacks(&cb, C.uintptr_t(handle), C.int(p.flags), C.int32_t(p.logLevel))
		cbp = &cb
	}
	var out *C.vwo_client
	var cerr *C.char
	st := int(C.vwo_go_client_new(cstr(opts), cbp, &out, &cerr))
	msg := takeErr(cerr)
	if st != statusOK || out == nil {
		// The library released user_data if it got as far as reading the callbacks; a
		// handle it never saw is deleted here (deleting twice is guarded).
		if handle != 0 {
			func() {
				defer func() { _ = recover() }()
				handle.Delete()
			}()
		}
		return nil, newError(st, msg)
	}
	c := &VWOClient{ptr: out, state: p.state, accountID: p.accountID}
	runtime.SetFinalizer(c, (*VWOClient).free)
	return c, nil
}

// free releases the native client (closing it first if needed). Finalizer only: a client
// must not be used during or after it.
func (c *VWOClient) free() {
	if c.ptr != nil {
		C.vwo_client_free(c.ptr)
		c.ptr = nil
	}
}

// GetUUID is the VWO visitor UUID of userID in accountID (32 upper-case hex digits), as the
// official vwo.GetUUID. Both must be non-empty.
func GetUUID(userID string, accountID string) (string, error) {
	if err := checkABI(); err != nil {
		return "", err
	}
	if userID == "" || accountID == "" {
		return "", &Error{Status: statusInvalidArgument, Message: "userID and accountID must be non-empty"}
	}
	b := make([]byte, 0, len(userID)+len(accountID)+2)
	b = append(append(b, userID...), 0)
	off := len(b)
	b = append(append(b, accountID...), 0)
	var out, cerr *C.char
	st := int(C.vwo_go_uuid(cstr(b), cstr(b[off:]), &out, &cerr))
	msg := takeErr(cerr)
	if st != statusOK {
		return "", newError(st, msg)
	}
	s := C.GoString(out)
	C.vwo_string_free(out)
	return s, nil
}

// A pool of call buffers: feature key, context JSON and the output scratch of GetFlag live
// in one Go allocation handed to C for the duration of the call (no C allocation).
var bufPool = sync.Pool{New: func() interface{} { b := make([]byte, 0, 2048); return &b }}

const scratchMin = 256

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(bp *[]byte, b []byte) {
	if cap(b) > 64*1024 {
		return // do not keep huge buffers alive
	}
	*bp = b[:0]
	bufPool.Put(bp)
}

// appendCString appends s and a NUL; it refuses strings with an embedded NUL.
func appendCString(b []byte, s, what string) ([]byte, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return b, &Error{Status: statusInvalidArgument, Message: what + " contains a NUL byte"}
	}
	return append(append(b, s...), 0), nil
}

// appendContext appends the context JSON and a NUL. As in the official SDK, the context
// needs a non-empty "id" (a string; numbers are accepted too).
func appendContext(b []byte, context map[string]interface{}) ([]byte, error) {
	if context == nil {
		return b, &Error{Status: statusInvalidArgument, Message: "invalid context: the context is nil"}
	}
	switch id := context["id"].(type) {
	case nil:
		return b, &Error{Status: statusInvalidArgument, Message: "invalid context: no id"}
	case string:
		if id == "" {
			return b, &Error{Status: statusInvalidArgument, Message: "invalid context: empty id"}
		}
	}
	b, err := appendJSON(b, context)
	if err != nil {
		return b, &Error{Status: statusInvalidArgument, Message: "context: " + err.Error()}
	}
	return append(b, 0), nil
}

// GetFlag decides featureKey for the user in context ("id", "customVariables",
// "userAgent", "ipAddress", "sessionId", "bucketingSeed", ...). The flag is never nil: on
// an error it is disabled and err says why (errors.Is(err, vwo.ErrClosed), ...).
func (c *VWOClient) GetFlag(featureKey string, context map[string]interface{}) (*Flag, error) {
	bp := getBuf()
	b, err := appendCString((*bp)[:0], featureKey, "featureKey")
	if err != nil {
		putBuf(bp, b)
		return disabledFlag(context), err
	}
	ctxOff := len(b)
	if b, err = appendContext(b, context); err != nil {
		putBuf(bp, b)
		return disabledFlag(context), err
	}
	used := len(b)
	if cap(b)-used < scratchMin {
		nb := make([]byte, used, used+scratchMin*2)
		copy(nb, b)
		b = nb
	}
	scratch := b[used:cap(b)]
	var r C.vwo_go_flag
	C.vwo_go_get_flag(c.ptr, cstr(b), cstr(b[ctxOff:]), &r,
		(*C.char)(unsafe.Pointer(&scratch[0])), C.size_t(len(scratch)))
	runtime.KeepAlive(c)
	f := &Flag{enabled: r.enabled != 0, sessionID: int64(r.session_id), reason: int(r.reason)}
	switch n := int(r.uuid_len); {
	case n >= 0:
		f.uuid = string(scratch[:n])
	case n == -2:
		f.uuid = C.GoString(r.uuid_heap)
	}
	if r.uuid_heap != nil {
		C.vwo_go_free_flag_extra(r.uuid_heap, nil)
	}
	if r.flag != nil {
		f.handle = r.flag
		runtime.SetFinalizer(f, (*Flag).release)
	} else {
		f.decoded = true
	}
	putBuf(bp, b)
	if st := int(r.status); st != statusOK {
		return f, newError(st, takeErr(r.err))
	}
	return f, nil
}

// TrackEvent tracks eventName for the user in context, with optional properties (only the
// first map is used, as in the official SDK). The result maps the event name to whether the
// event was one of the settings' metrics and was queued.
func (c *VWOClient) TrackEvent(eventName string, context map[string]interface{}, eventProperties ...map[string]interface{}) (map[string]bool, error) {
	result := map[string]bool{eventName: false}
	bp := getBuf()
	defer func() { putBuf(bp, *bp) }()
	b, err := appendCString((*bp)[:0], eventName, "eventName")
	if err != nil {
		return result, err
	}
	ctxOff := len(b)
	if b, err = appendContext(b, context); err != nil {
		return result, err
	}
	propsOff := -1
	if len(eventProperties) > 0 && eventProperties[0] != nil {
		propsOff = len(b)
		if b, err = appendJSON(b, eventProperties[0]); err != nil {
			return result, &Error{Status: statusInvalidArgument, Message: "eventProperties: " + err.Error()}
		}
		b = append(b, 0)
	}
	*bp = b
	var props *C.char
	if propsOff >= 0 {
		props = cstr(b[propsOff:])
	}
	var tracked C.int32_t
	var cerr *C.char
	st := int(C.vwo_go_track(c.ptr, cstr(b), cstr(b[ctxOff:]), props, &tracked, &cerr))
	runtime.KeepAlive(c)
	msg := takeErr(cerr)
	result[eventName] = tracked != 0
	return result, newError(st, msg)
}

// SetAttribute sends visitor attributes (a non-empty map of strings, numbers and booleans)
// for the user in context.
func (c *VWOClient) SetAttribute(attributes map[string]interface{}, context map[string]interface{}) error {
	if len(attributes) == 0 {
		return &Error{Status: statusInvalidArgument, Message: "attributes must be a non-empty map"}
	}
	bp := getBuf()
	defer func() { putBuf(bp, *bp) }()
	b, err := appendJSON((*bp)[:0], attributes)
	if err != nil {
		return &Error{Status: statusInvalidArgument, Message: "attributes: " + err.Error()}
	}
	b = append(b, 0)
	ctxOff := len(b)
	if b, err = appendContext(b, context); err != nil {
		return err
	}
	*bp = b
	var cerr *C.char
	st := int(C.vwo_go_set_attributes(c.ptr, cstr(b), cstr(b[ctxOff:]), &cerr))
	runtime.KeepAlive(c)
	return newError(st, takeErr(cerr))
}

// DefaultFlushTimeout bounds how long FlushEvents waits for delivery.
const DefaultFlushTimeout = 10 * time.Second

// FlushEvents sends the queued events and waits (up to DefaultFlushTimeout) until every
// pending event was delivered; the error says when some were not. Unlike the official SDK
// it also works without batching (it waits for events in flight).
func (c *VWOClient) FlushEvents() error {
	delivered, err := c.FlushEventsTimeout(DefaultFlushTimeout)
	if err == nil && !delivered {
		err = &Error{Status: statusFailed, Message: "not every pending event was delivered within " + DefaultFlushTimeout.String()}
	}
	return err
}

// FlushEventsTimeout is FlushEvents with a timeout; it reports whether every pending event
// was delivered.
func (c *VWOClient) FlushEventsTimeout(timeout time.Duration) (bool, error) {
	ms := timeout.Milliseconds()
	if ms < 0 {
		ms = 0
	}
	if ms > int64(^uint32(0)) {
		ms = int64(^uint32(0))
	}
	var delivered C.int32_t
	var cerr *C.char
	st := int(C.vwo_go_flush(c.ptr, C.uint32_t(ms), &delivered, &cerr))
	runtime.KeepAlive(c)
	return delivered != 0, newError(st, takeErr(cerr))
}

// UpdateSettings installs new settings. Arguments as in the official SDK: () or
// (isViaWebhook bool) fetch the settings from VWO (/v2-pull when isViaWebhook, the
// default, else /v2-settings); (settingsJSON string [, isViaWebhook bool]) installs the
// given settings (an empty string fetches). A map[string]interface{} or []byte is accepted
// for the settings too. On failure the current settings stay.
func (c *VWOClient) UpdateSettings(options ...interface{}) error {
	var settings []byte
	via := true
	for _, o := range options {
		switch x := o.(type) {
		case nil:
		case string:
			if x != "" {
				settings = []byte(x)
			}
		case []byte:
			if len(x) > 0 {
				settings = x
			}
		case map[string]interface{}:
			b, err := appendJSON(nil, x)
			if err != nil {
				return &Error{Status: statusInvalidArgument, Message: "settings: " + err.Error()}
			}
			settings = b
		case bool:
			via = x
		default:
			return &Error{Status: statusInvalidArgument, Message: fmt.Sprintf("UpdateSettings: unexpected argument of type %T", o)}
		}
	}
	var sp *C.char
	if settings != nil {
		s := append(append(make([]byte, 0, len(settings)+1), settings...), 0)
		sp = cstr(s)
		defer runtime.KeepAlive(s)
	}
	v := C.int32_t(0)
	if via {
		v = 1
	}
	var cerr *C.char
	st := int(C.vwo_go_update_settings(c.ptr, sp, v, &cerr))
	runtime.KeepAlive(c)
	return newError(st, takeErr(cerr))
}

// Close stops polling, delivers pending events (within the library's shutdown timeout;
// the rest go to the flush callback) and stops the library's threads. Later calls return
// ErrClosed (GetFlag a disabled flag). Idempotent; the error says when some pending events
// could not be delivered.
func (c *VWOClient) Close() error {
	c.closeOnce.Do(func() {
		var delivered C.int32_t
		var cerr *C.char
		st := int(C.vwo_go_close(c.ptr, &delivered, &cerr))
		runtime.KeepAlive(c)
		c.closeErr = newError(st, takeErr(cerr))
		if c.closeErr == nil && delivered == 0 {
			c.closeErr = &Error{Status: statusFailed, Message: "some pending events could not be delivered before close"}
		}
	})
	return c.closeErr
}
