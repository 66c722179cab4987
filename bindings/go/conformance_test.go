package vwo

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Conformance: shared case files replayed through this binding (offline, python_compat,
// the Go SDK's camelCase context keys), compared call by call with what the official Python
// SDK 1.65.0 did (tests/fixtures/conformance/results): every result (is_enabled, variables,
// uuid, session id; track results), every integrations payload, every storage read and
// write, and the final storage.

var conformanceCases = []string{"s2_rollout_ab.storage", "s4_segmentation.storage", "s5_meg.storage"}

// The Go SDK's context keys for the Python-style keys of the case files.
var goContextKeys = map[string]string{
	"custom_variables":              "customVariables",
	"user_agent":                    "userAgent",
	"ip_address":                    "ipAddress",
	"session_id":                    "sessionId",
	"bucketing_seed":                "bucketingSeed",
	"variation_targeting_variables": "variationTargetingVariables",
	"post_segmentation_variables":   "postSegmentationVariables",
	"platform_variables":            "platformVariables",
}

func goContext(c map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(c))
	for k, v := range c {
		if g, ok := goContextKeys[k]; ok {
			k = g
		}
		out[k] = v
	}
	return out
}

// normSession replaces a session id near now with "<TS_S>", as the kit normalises it.
func normSession(sid int64) interface{} {
	now := time.Now().Unix()
	if sid >= now-5 && sid <= now+3600 {
		return "<TS_S>"
	}
	return sid
}

func TestConformance(t *testing.T) {
	for _, name := range conformanceCases {
		name := name
		t.Run(name, func(t *testing.T) {
			n, diffs := replayConformance(t, name)
			if len(diffs) > 0 {
				max := len(diffs)
				if max > 20 {
					max = 20
				}
				t.Fatalf("%s: %d differences in %d calls, first:\n%s", name, len(diffs), n, strings.Join(diffs[:max], "\n"))
			}
			t.Logf("%s: %d calls identical to the official SDK", name, n)
		})
	}
}

func replayConformance(t *testing.T, name string) (int, []string) {
	base := strings.SplitN(name, ".", 2)[0]
	settings := readFile(t, filepath.Join(fixturesDir, "settings", base+".json"))
	var cases map[string]interface{}
	casesText := readFile(t, filepath.Join(fixturesDir, "cases", name+".json"))
	obj, err := decodeObject(string(casesText))
	if err != nil {
		t.Fatal(err)
	}
	cases = obj
	expected := readGzJSON(t, filepath.Join(fixturesDir, "results", name+".json.gz")).(map[string]interface{})
	meta := expected["meta"].(map[string]interface{})["sdk_options"].(map[string]interface{})
	copt, _ := cases["options"].(map[string]interface{})

	storage := newRecStorage()
	var mu sync.Mutex
	var decisions []map[string]interface{}
	options := map[string]interface{}{
		"sdkKey":       meta["sdk_key"],
		"accountId":    meta["account_id"],
		"settings":     string(settings),
		"offline":      true,
		"pythonCompat": true,
		"logger":       map[string]interface{}{"transport": map[string]interface{}{"log": func(string, string) {}}},
		"integrations": map[string]interface{}{"Callback": func(p map[string]interface{}) {
			mu.Lock()
			decisions = append(decisions, p)
			mu.Unlock()
		}},
	}
	useStorage := copt["storage"] == true
	if useStorage {
		options["storage"] = storage
	}
	client, err := Init(options)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	defer client.Close()

	var diffs []string
	calls := cases["calls"].([]interface{})
	want := expected["calls"].([]interface{})
	if len(want) != len(calls) {
		t.Fatalf("%d calls, %d results", len(calls), len(want))
	}
	for i, raw := range calls {
		call := raw.(map[string]interface{})
		mu.Lock()
		decisions = nil
		mu.Unlock()
		ctx, _ := call["context"].(map[string]interface{})
		op := call["op"].(string)
		var result interface{}
		switch op {
		case "get_flag":
			f, _ := client.GetFlag(call["feature_key"].(string), goContext(ctx))
			result = map[string]interface{}{
				"is_enabled": f.IsEnabled(), "variables": f.GetVariables(),
				"uuid": f.GetUUID(), "session_id": normSession(f.GetSessionId()),
			}
		case "track_event":
			var props []map[string]interface{}
			if p, ok := call["event_properties"].(map[string]interface{}); ok {
				props = append(props, p)
			}
			r, _ := client.TrackEvent(call["event_name"].(string), goContext(ctx), props...)
			result = r
		case "set_attribute":
			attrs, ok := call["attributes"].(map[string]interface{})
			if !ok {
				attrs = map[string]interface{}{call["key"].(string): call["value"]}
			}
			_ = client.SetAttribute(attrs, goContext(ctx))
			result = nil
		default:
			t.Fatalf("unexpected op %s", op)
		}
		w := want[i].(map[string]interface{})
		p := fmt.Sprintf("calls[%d](%s)", i, op)
		diffJSON(canon(w["result"]), canon(result), p+".result", &diffs)
		mu.Lock()
		var last interface{}
		if len(decisions) > 0 {
			last = decisions[len(decisions)-1]
		}
		mu.Unlock()
		// The payload's keys as the official Go SDK spells them (customVariables, eventName).
		var wantDecision interface{}
		if d, ok := canon(w["decision"]).(map[string]interface{}); ok {
			wantDecision = camelKeys(d)
		}
		diffJSON(wantDecision, canon(last), p+".decision", &diffs)
		if useStorage {
			r, wr := storage.takeLog()
			got := map[string]interface{}{"reads": r, "writes": wr}
			diffJSON(canon(w["storage"]), canon(got), p+".storage", &diffs)
		}
	}
	if useStorage {
		diffJSON(canon(expected["final_storage"]), canon(storage.dump()), "final_storage", &diffs)
	}
	return len(calls), diffs
}
