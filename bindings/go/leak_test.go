package vwo

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// Memory stays flat over 1 000 000 GetFlag calls: Go heap (runtime.MemStats after GC) and
// process RSS (/proc/self/status, which includes the native library's allocations).
// `make test-go` runs it without -race (VWO_LEAK_TEST=1); `go test` alone skips it.
func TestMemoryFlat(t *testing.T) {
	if os.Getenv("VWO_LEAK_TEST") == "" {
		t.Skip("set VWO_LEAK_TEST=1 (make test-go does) to run 1 000 000 calls")
	}
	c := newExampleClient(t, nil)
	users := make([]map[string]interface{}, 1000)
	for i := range users {
		users[i] = map[string]interface{}{"id": fmt.Sprintf("leak-%d", i),
			"customVariables": map[string]interface{}{"country": "US", "plan": "pro"}}
	}
	features := []string{"new_checkout", "search_ranking", "homepage_hero", "dark_mode"}
	run := func(n int) {
		for i := 0; i < n; i++ {
			f, err := c.GetFlag(features[i%len(features)], users[i%len(users)])
			if err != nil {
				t.Fatal(err)
			}
			if f.IsEnabled() {
				_ = f.GetVariable("title", "")
			}
		}
	}
	// Flags with a native decision are freed by finalizers, which run after a GC and free
	// their objects at the next one: collect until the heap settles.
	heap := func() uint64 {
		for i := 0; i < 4; i++ {
			runtime.GC()
			time.Sleep(5 * time.Millisecond)
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	run(100000) // warm-up: pools, caches, the library's event queue
	h0, r0 := heap(), rssKB()
	const total = 1000000
	for done := 0; done < total; done += 250000 {
		run(250000)
		t.Logf("after %7d calls: heap %6d KB, RSS %6d KB", done+250000, heap()/1024, rssKB())
	}
	h1, r1 := heap(), rssKB()
	runtime.KeepAlive(users) // measured with the same live data as h0
	t.Logf("1 000 000 GetFlag calls: heap %d -> %d KB, RSS %d -> %d KB", h0/1024, h1/1024, r0, r1)
	if h1 > h0+4<<20 {
		t.Errorf("Go heap grew by %d KB", (h1-h0)/1024)
	}
	if r0 > 0 && r1 > r0+16*1024 {
		t.Errorf("RSS grew by %d KB", r1-r0)
	}
}
