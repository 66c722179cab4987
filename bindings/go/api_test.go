package vwo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLibraryAndABIVersion(t *testing.T) {
	if LibraryVersion() == "" {
		t.Fatal("empty library version")
	}
	if !strings.HasPrefix(ABIVersion(), "1.") {
		t.Fatalf("ABI %s", ABIVersion())
	}
	if err := checkABI(); err != nil {
		t.Fatal(err)
	}
}

func TestGetUUID(t *testing.T) {
	u, err := GetUUID("user-123", "123456")
	if err != nil || u != "CC25A368ADA0542699EAD62489811105" {
		t.Fatalf("GetUUID = %q, %v", u, err)
	}
	if _, err := GetUUID("", "123456"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("empty user: %v", err)
	}
	if _, err := GetUUID("u", ""); err == nil {
		t.Fatal("empty account accepted")
	}
}

func TestInitErrors(t *testing.T) {
	settings := string(readFile(t, examplesPath))
	cases := []struct {
		name    string
		options map[string]interface{}
		want    error
		text    string
	}{
		{"nil options", nil, ErrInit, "SDK key"},
		{"no sdkKey", map[string]interface{}{"accountId": 1}, ErrInit, "SDK key"},
		{"no accountId", map[string]interface{}{"sdkKey": "k"}, ErrInit, "Account ID"},
		{"bad storage", map[string]interface{}{"sdkKey": "k", "accountId": 1, "storage": 5}, ErrInvalidArgument, "vwo.Connector"},
		{"bad logger level", map[string]interface{}{"sdkKey": "k", "accountId": 1, "logger": map[string]interface{}{"level": "loud"}}, ErrInvalidArgument, "loud"},
		{"bad integrations", map[string]interface{}{"sdkKey": "k", "accountId": 1, "integrations": map[string]interface{}{"Callback": func() {}}}, ErrInvalidArgument, "Callback"},
		{"bad flushCallback", map[string]interface{}{"sdkKey": "k", "accountId": 1, "batchEventData": map[string]interface{}{"flushCallback": 3}}, ErrInvalidArgument, "flushCallback"},
		{"bad transport", map[string]interface{}{"sdkKey": "k", "accountId": 1, "logger": map[string]interface{}{"transport": map[string]interface{}{"log": 1}}}, ErrInvalidArgument, "log"},
		{"settings not JSON", map[string]interface{}{"sdkKey": "k", "accountId": 1, "settings": "{nope"}, ErrInit, "settings"},
		{"offline without settings", map[string]interface{}{"sdkKey": "k", "accountId": 1, "offline": true}, ErrInit, "offline"},
		{"func option", map[string]interface{}{"sdkKey": "k", "accountId": 1, "settings": settings, "whatever": func() {}}, ErrInvalidArgument, "whatever"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client, err := Init(c.options)
			if client != nil || err == nil {
				t.Fatalf("Init succeeded")
			}
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("err = %v, want %v containing %q", err, c.want, c.text)
			}
		})
	}
}

func TestLenientNumbers(t *testing.T) {
	want, _ := GetUUID("alice", "123456")
	for _, acc := range []interface{}{123456, int64(123456), int32(123456), float64(123456), "123456", uint(123456)} {
		c := newExampleClient(t, map[string]interface{}{"accountId": acc, "pollInterval": float64(60000)})
		for _, sid := range []interface{}{1700000000, int64(1700000000), float64(1700000000)} {
			f, err := c.GetFlag("new_checkout", map[string]interface{}{"id": "alice", "sessionId": sid})
			if err != nil || f.GetUUID() != want || f.GetSessionId() != 1700000000 {
				t.Fatalf("accountId %T, sessionId %T: uuid %s sid %d err %v", acc, sid, f.GetUUID(), f.GetSessionId(), err)
			}
		}
	}
}

func TestGetFlag(t *testing.T) {
	c := newExampleClient(t, nil)
	uuid, _ := GetUUID("alice", "123456")
	f, err := c.GetFlag("new_checkout", map[string]interface{}{"id": "alice", "sessionId": 1700000001,
		"customVariables": map[string]interface{}{"country": "US", "plan": "free"}})
	if err != nil {
		t.Fatal(err)
	}
	if !f.IsEnabled() || f.GetUUID() != uuid || f.GetSessionId() != 1700000001 || f.Reason() != "evaluated" {
		t.Fatalf("flag %+v", f)
	}
	vars := f.GetVariables()
	if len(vars) != 5 {
		t.Fatalf("variables %v", vars)
	}
	byKey := map[string]map[string]interface{}{}
	for _, v := range vars {
		byKey[v["key"].(string)] = v
		if _, ok := v["id"].(int); !ok {
			t.Fatalf("id is %T", v["id"])
		}
	}
	if _, ok := byKey["title"]["value"].(string); !ok || byKey["title"]["type"] != "string" {
		t.Fatalf("title %v", byKey["title"])
	}
	if _, ok := byKey["discount_percent"]["value"].(float64); !ok {
		t.Fatalf("integer variable is %T (the official SDK gives float64)", byKey["discount_percent"]["value"])
	}
	if _, ok := byKey["layout"]["value"].(map[string]interface{}); !ok {
		t.Fatalf("json variable is %T", byKey["layout"]["value"])
	}
	if _, ok := byKey["show_banner"]["value"].(bool); !ok {
		t.Fatalf("boolean variable is %T", byKey["show_banner"]["value"])
	}
	if f.GetVariable("title", "x") != byKey["title"]["value"] {
		t.Fatal("GetVariable(title)")
	}
	if f.GetVariable("missing", "dflt") != "dflt" {
		t.Fatal("GetVariable default")
	}

	// GetVariable before GetVariables asks the native flag for one value: same values.
	for _, user := range []string{"alice", "bob", "carol", "dave"} {
		all, _ := c.GetFlag("new_checkout", map[string]interface{}{"id": user})
		for _, v := range all.GetVariables() {
			one, _ := c.GetFlag("new_checkout", map[string]interface{}{"id": user})
			if got := one.GetVariable(v["key"].(string), nil); !reflect.DeepEqual(got, v["value"]) {
				t.Fatalf("%s %s: GetVariable %#v, GetVariables %#v", user, v["key"], got, v["value"])
			}
			if one.GetVariable("missing", 7) != 7 {
				t.Fatal("GetVariable default on an undecoded flag")
			}
			if len(one.GetVariables()) != 5 {
				t.Fatal("GetVariables after GetVariable")
			}
		}
	}
	if v, err := decodeValue([]byte(`"a\"b\u00e9"`)); err != nil || v != "a\"bé" {
		t.Fatalf("escaped string: %#v %v", v, err)
	}

	// Unknown feature: disabled, no error, as the official SDK.
	f, err = c.GetFlag("no_such_flag", map[string]interface{}{"id": "alice"})
	if err != nil || f.IsEnabled() || f.Reason() != "feature_not_found" || f.GetVariables() == nil || len(f.GetVariables()) != 0 {
		t.Fatalf("unknown feature: %+v %v", f, err)
	}
	// Bad contexts: a disabled flag and an error.
	for _, ctx := range []map[string]interface{}{nil, {}, {"id": ""}, {"id": "a", "bad": func() {}}} {
		f, err := c.GetFlag("new_checkout", ctx)
		if err == nil || f == nil || f.IsEnabled() {
			t.Fatalf("context %v: %+v %v", ctx, f, err)
		}
	}
	if _, err := c.GetFlag("new\x00checkout", map[string]interface{}{"id": "a"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("NUL in key: %v", err)
	}
	// A context too large for the library: an error, not a crash.
	big := strings.Repeat("x", 2<<20)
	if _, err := c.GetFlag("new_checkout", map[string]interface{}{"id": "a", "customVariables": map[string]interface{}{"b": big}}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big context: %v", err)
	}
	// Variables larger than the call buffer's scratch space still arrive.
	f, _ = c.GetFlag("new_checkout", map[string]interface{}{"id": strings.Repeat("u", 3000)})
	if f.IsEnabled() && len(f.GetVariables()) != 5 {
		t.Fatalf("long id: %v", f.GetVariables())
	}
}

func TestTrackEventAndSetAttribute(t *testing.T) {
	var mu sync.Mutex
	var payloads []map[string]interface{}
	c := newExampleClient(t, map[string]interface{}{"integrations": map[string]interface{}{
		"Callback": func(p map[string]interface{}) { mu.Lock(); payloads = append(payloads, p); mu.Unlock() },
	}})
	ctx := map[string]interface{}{"id": "bob", "userAgent": "curl/8", "ipAddress": "127.0.0.1"}
	r, err := c.TrackEvent("purchase", ctx, map[string]interface{}{"revenue": 12.5, "currency": "EUR"})
	if err != nil || len(r) != 1 || !r["purchase"] {
		t.Fatalf("TrackEvent = %v, %v", r, err)
	}
	r, err = c.TrackEvent("purchase", ctx)
	if err != nil || !r["purchase"] {
		t.Fatalf("TrackEvent without properties = %v, %v", r, err)
	}
	r, err = c.TrackEvent("purchase", ctx, nil)
	if err != nil || !r["purchase"] {
		t.Fatalf("TrackEvent nil properties = %v, %v", r, err)
	}
	r, err = c.TrackEvent("not_a_metric", ctx)
	if err != nil || r["not_a_metric"] {
		t.Fatalf("unknown event = %v, %v", r, err)
	}
	mu.Lock()
	if len(payloads) == 0 || payloads[0]["api"] != "trackEvent" || payloads[0]["eventName"] != "purchase" {
		t.Fatalf("integrations payloads %v", payloads)
	}
	mu.Unlock()
	_, _ = c.GetFlag("new_checkout", ctx)
	mu.Lock()
	last := payloads[len(payloads)-1]
	mu.Unlock()
	for _, k := range []string{"featureName", "featureId", "featureKey", "userId", "api", "customVariables", "rolloutId", "rolloutKey", "rolloutVariationId"} {
		if _, ok := last[k]; !ok {
			t.Errorf("getFlag payload lacks %q (the official Go SDK's key): %v", k, last)
		}
	}
	if r, err := c.TrackEvent("purchase", nil); err == nil || r["purchase"] {
		t.Fatalf("nil context: %v %v", r, err)
	}

	if err := c.SetAttribute(map[string]interface{}{"plan": "pro", "seats": 3, "trial": false, "score": 1.5}, ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.SetAttribute(map[string]interface{}{}, ctx); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("empty attributes: %v", err)
	}
	if err := c.SetAttribute(map[string]interface{}{"plan": "pro"}, map[string]interface{}{}); err == nil {
		t.Fatal("context without id accepted")
	}
	if err := c.FlushEvents(); err != nil {
		t.Fatalf("FlushEvents offline: %v", err)
	}
}

func TestUpdateSettings(t *testing.T) {
	c := newExampleClient(t, nil)
	settings := string(readFile(t, examplesPath))
	ctx := map[string]interface{}{"id": "alice"}
	if err := c.UpdateSettings(settings); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateSettings(settings, false); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateSettings([]byte(settings)); err != nil {
		t.Fatal(err)
	}
	var m map[string]interface{}
	_ = json.Unmarshal([]byte(settings), &m)
	// Switch dark_mode's rollout off through a map: the decision follows.
	before, _ := c.GetFlag("new_checkout", ctx)
	m["features"] = []interface{}{}
	if err := c.UpdateSettings(m); err != nil {
		t.Fatal(err)
	}
	if f, _ := c.GetFlag("new_checkout", ctx); f.IsEnabled() || f.Reason() != "feature_not_found" {
		t.Fatalf("after removing features: %+v", f)
	}
	if err := c.UpdateSettings("{\"features\": 5}"); err == nil {
		t.Fatal("invalid settings accepted")
	}
	if f, _ := c.GetFlag("new_checkout", ctx); f.Reason() != "feature_not_found" {
		t.Fatal("invalid settings replaced the current ones")
	}
	if err := c.UpdateSettings(settings, true); err != nil {
		t.Fatal(err)
	}
	if f, _ := c.GetFlag("new_checkout", ctx); f.IsEnabled() != before.IsEnabled() {
		t.Fatal("settings not restored")
	}
	// Offline: nothing to fetch from.
	if err := c.UpdateSettings(); err == nil {
		t.Fatal("fetch in offline mode succeeded")
	}
	if err := c.UpdateSettings(3.5); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad argument: %v", err)
	}
}

func TestUseAfterClose(t *testing.T) {
	c, err := Init(exampleOptions(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx := map[string]interface{}{"id": "alice", "sessionId": 1700000009}
	if f, err := c.GetFlag("new_checkout", ctx); err != nil || !f.IsEnabled() {
		t.Fatal("before close", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	f, err := c.GetFlag("new_checkout", ctx)
	if !errors.Is(err, ErrClosed) || f == nil || f.IsEnabled() || f.GetSessionId() != 1700000009 {
		t.Fatalf("GetFlag after close: %+v %v", f, err)
	}
	if r, err := c.TrackEvent("purchase", ctx); !errors.Is(err, ErrClosed) || r["purchase"] {
		t.Fatalf("TrackEvent after close: %v %v", r, err)
	}
	if err := c.SetAttribute(map[string]interface{}{"a": 1}, ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetAttribute after close: %v", err)
	}
	if err := c.FlushEvents(); !errors.Is(err, ErrClosed) {
		t.Fatalf("FlushEvents after close: %v", err)
	}
	if err := c.UpdateSettings(string(readFile(t, examplesPath))); !errors.Is(err, ErrClosed) {
		t.Fatalf("UpdateSettings after close: %v", err)
	}
}

type panicStorage struct{ get, set bool }

func (p panicStorage) Get(string, string) (interface{}, error) {
	if p.get {
		panic("storage get exploded")
	}
	return nil, errors.New("storage get failed")
}

func (p panicStorage) Set(map[string]interface{}) error {
	if p.set {
		panic("storage set exploded")
	}
	return errors.New("storage set failed")
}

type badValueStorage struct{}

func (badValueStorage) Get(string, string) (interface{}, error) { return "not json", nil }
func (badValueStorage) Set(map[string]interface{}) error        { return nil }

func TestStorageCallback(t *testing.T) {
	s := newRecStorage()
	c := newExampleClient(t, map[string]interface{}{"storage": s})
	ctx := map[string]interface{}{"id": "carol"}
	f1, err := c.GetFlag("new_checkout", ctx)
	if err != nil {
		t.Fatal(err)
	}
	reads, writes := s.takeLog()
	if len(reads) == 0 || len(writes) != 1 {
		t.Fatalf("reads %v writes %v", reads, writes)
	}
	w := writes[0].(map[string]interface{})
	if w["featureKey"] != "new_checkout" || w["userId"] != "carol" {
		t.Fatalf("write %v", w)
	}
	if _, ok := w["rolloutId"].(int); !ok {
		t.Fatalf("rolloutId is %T (want int, as the official SDK)", w["rolloutId"])
	}
	f2, _ := c.GetFlag("new_checkout", ctx)
	if f2.Reason() != "stored_experiment" || f2.IsEnabled() != f1.IsEnabled() {
		t.Fatalf("second call: %s", f2.Reason())
	}
	// A record given back as JSON text works too.
	c2 := newExampleClient(t, map[string]interface{}{"storage": jsonTextStorage{s}})
	if f3, _ := c2.GetFlag("new_checkout", ctx); f3.Reason() != "stored_experiment" {
		t.Fatalf("JSON text record: %s", f3.Reason())
	}
}

type jsonTextStorage struct{ s *recStorage }

func (j jsonTextStorage) Get(k, u string) (interface{}, error) {
	v, err := j.s.Get(k, u)
	if v == nil || err != nil {
		return nil, err
	}
	b, _ := json.Marshal(v)
	return string(b), nil
}
func (j jsonTextStorage) Set(d map[string]interface{}) error { return j.s.Set(d) }

func TestCallbackErrorsAndPanics(t *testing.T) {
	for _, tc := range []struct {
		name    string
		storage Connector
		want    []string
	}{
		{"errors", panicStorage{}, []string{"storage get failed", "storage set failed"}},
		{"panics", panicStorage{get: true, set: true}, []string{"Get(\"new_checkout\", \"dave\") panicked: storage get exploded", "Set panicked: storage set exploded"}},
		{"bad value", badValueStorage{}, []string{"unusable value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &logCollector{}
			c := newExampleClient(t, map[string]interface{}{
				"storage": tc.storage,
				"logger":  map[string]interface{}{"level": "error", "transport": map[string]interface{}{"log": logs.log}},
				"integrations": map[string]interface{}{"Callback": func(map[string]interface{}) {
					panic("integration exploded")
				}},
			})
			f, err := c.GetFlag("new_checkout", map[string]interface{}{"id": "dave"})
			if err != nil || !f.IsEnabled() {
				t.Fatalf("decision failed: %v", err)
			}
			for _, w := range append(tc.want, "integrations callback panicked: integration exploded") {
				if !logs.contains(w) {
					t.Errorf("log lacks %q:\n%s", w, logs)
				}
			}
		})
	}
}

type ifaceTransport struct{ logs *logCollector }

func (i ifaceTransport) Log(level, message string) { i.logs.log(level, message) }

func TestLoggerTransports(t *testing.T) {
	raw, debug, perLevel, iface := &logCollector{}, &logCollector{}, &logCollector{}, &logCollector{}
	var reflected int32
	c := newExampleClient(t, map[string]interface{}{
		"logger": map[string]interface{}{
			"level":  "warning",
			"prefix": "MY-PREFIX",
			"transports": []map[string]interface{}{
				{"log": raw.log},
				{"level": "DEBUG", "log": debug.log},
				{"level": "info", "info": func(line string) { perLevel.log("info", line) }, "error": func(line string) { perLevel.log("error", line) }},
				{"log": ifaceTransport{iface}},
				{"level": "error", "log": func(l, m string) { panic("transport exploded") }},
				{"level": "error", "log": func(l string, m string) { atomic.AddInt32(&reflected, 1) }},
			},
		},
	})
	_, _ = c.GetFlag("no_such_flag", map[string]interface{}{"id": "erin"})
	_, _ = c.GetFlag("new_checkout", map[string]interface{}{"id": "erin"})
	if !raw.contains("error: ") || raw.contains("debug: ") || raw.contains("info: ") {
		t.Errorf("raw transport (warn level) got:\n%s", raw)
	}
	if !debug.contains("info: ") {
		t.Errorf("debug transport got:\n%s", debug)
	}
	if !perLevel.contains("[ERROR] MY-PREFIX") {
		t.Errorf("per-level transport got:\n%s", perLevel)
	}
	if !iface.contains("error: ") {
		t.Errorf("LogTransport got:\n%s", iface)
	}
	if atomic.LoadInt32(&reflected) == 0 {
		t.Error("transport after the panicking one got nothing")
	}
	if raw.contains("demo0000000000000000000000000000") || debug.contains("demo0000000000000000000000000000") {
		t.Error("the SDK key reached a log transport")
	}
}

// mockVWO is a loopback stand-in for VWO: settings, events and batches (127.0.0.1 only).
type mockVWO struct {
	srv      *httptest.Server
	mu       sync.Mutex
	settings []byte
	paths    []string
	bodies   []string
	fail     int32
}

func newMockVWO(t *testing.T, settings []byte) *mockVWO {
	m := &mockVWO{settings: settings}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		m.paths = append(m.paths, r.URL.Path)
		m.bodies = append(m.bodies, string(body))
		m.mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/v2-settings") || strings.HasSuffix(r.URL.Path, "/v2-pull"):
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(m.settings)
		case atomic.LoadInt32(&m.fail) != 0:
			w.WriteHeader(http.StatusBadRequest)
		default:
			_, _ = w.Write([]byte("{}"))
		}
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *mockVWO) count(suffix string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, p := range m.paths {
		if strings.HasSuffix(p, suffix) {
			n++
		}
	}
	return n
}

// Settings fetched at Init, batched impressions, the flush callback on a library thread,
// log messages from library threads, UpdateSettings() fetching again: all against a
// loopback server.
func TestNetworkFlushCallbackAndLibraryThreads(t *testing.T) {
	m := newMockVWO(t, readFile(t, examplesPath))
	logs := &logCollector{}
	type flushCall struct {
		err    error
		events string
	}
	flushes := make(chan flushCall, 100)
	c, err := Init(map[string]interface{}{
		"sdkKey":      exampleSDKKey,
		"accountId":   "123456",
		"proxyUrl":    m.srv.URL,
		"retryConfig": map[string]interface{}{"shouldRetry": false},
		"logger":      map[string]interface{}{"level": "debug", "transport": map[string]interface{}{"log": logs.log}},
		"batchEventData": map[string]interface{}{
			"eventsPerRequest": 3, "requestTimeInterval": 60,
			"flushCallback": func(err error, events string) { flushes <- flushCall{err, events} },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if m.count("/v2-settings") != 1 {
		t.Fatalf("settings requests: %v", m.paths)
	}
	for i := 0; i < 5; i++ {
		if _, err := c.GetFlag("new_checkout", map[string]interface{}{"id": fmt.Sprintf("net-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.FlushEvents(); err != nil {
		t.Fatal(err)
	}
	total := 0
	deadline := time.After(10 * time.Second)
	for total < 5 {
		select {
		case f := <-flushes:
			if f.err != nil {
				t.Fatalf("flush error: %v", f.err)
			}
			var payload struct {
				Ev []interface{} `json:"ev"`
			}
			if err := json.Unmarshal([]byte(f.events), &payload); err != nil {
				t.Fatalf("flush payload %q: %v", f.events, err)
			}
			total += len(payload.Ev)
		case <-deadline:
			t.Fatalf("flush callback saw %d of 5 impressions", total)
		}
	}
	if m.count("/batch-events-v2") == 0 {
		t.Fatalf("no batch request: %v", m.paths)
	}
	// Delivery is logged by the library's event workers: log callbacks on foreign threads.
	if !logs.contains("sent to VWO") {
		t.Fatalf("no delivery log from a library thread:\n%s", logs)
	}

	// A rejected batch reaches the flush callback with its error.
	atomic.StoreInt32(&m.fail, 1)
	_, _ = c.GetFlag("new_checkout", map[string]interface{}{"id": "net-fail"})
	if err := c.FlushEvents(); err == nil {
		t.Fatal("FlushEvents reported a rejected batch as delivered")
	}
	for failed := false; !failed; {
		select {
		case f := <-flushes:
			failed = f.err != nil
		case <-time.After(10 * time.Second):
			t.Fatal("no flush callback with an error for the rejected batch")
		}
	}
	atomic.StoreInt32(&m.fail, 0)

	if err := c.UpdateSettings(); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateSettings(false); err != nil {
		t.Fatal(err)
	}
	if m.count("/v2-pull") != 1 || m.count("/v2-settings") != 2 {
		t.Fatalf("settings requests after UpdateSettings: %v", m.paths)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// A flush callback that panics on a library thread is recovered and logged.
func TestFlushCallbackPanic(t *testing.T) {
	m := newMockVWO(t, readFile(t, examplesPath))
	logs := &logCollector{}
	c, err := Init(map[string]interface{}{
		"sdkKey": exampleSDKKey, "accountId": exampleAccount, "proxyUrl": m.srv.URL,
		"logger":         map[string]interface{}{"level": "error", "transport": map[string]interface{}{"log": logs.log}},
		"batchEventData": map[string]interface{}{"flushCallback": func(error, string) { panic("flush exploded") }},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.GetFlag("new_checkout", map[string]interface{}{"id": "fp"})
	if err := c.FlushEvents(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !logs.contains("flush callback panicked: flush exploded") {
		if time.Now().After(deadline) {
			t.Fatalf("no log of the panic:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// A client that is never closed is released by its finalizer, which frees the callback
// state (free_user_data).
func TestFinalizerReleasesClient(t *testing.T) {
	before := atomic.LoadInt64(&userDataFreed)
	func() {
		c, err := Init(exampleOptions(t, map[string]interface{}{"storage": newRecStorage()}))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.GetFlag("new_checkout", map[string]interface{}{"id": "fin"})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for atomic.LoadInt64(&userDataFreed) == before {
		if time.Now().After(deadline) {
			t.Fatal("the finalizer did not release the client")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
