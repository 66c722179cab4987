package vwo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// TestMatrixBench is the Go layer of the benchmark matrix (make bench, bench/README.md). It
// runs only when VWO_BENCH_SCENARIOS names the scenarios file (bench/scenarios.json):
//
//	VWO_BENCH_SCENARIOS=../../bench/scenarios.json VWO_MOCK_URL=http://127.0.0.1:PORT \
//	  go test -run '^TestMatrixBench$' -count=1 -v .
//
// Every scenario (same settings, feature keys cycled, context with camelCase keys) goes through
// GetFlag with impressions queued for the mock server at VWO_MOCK_URL, logs dropped by a no-op
// transport and, when the scenario says so, an in-memory storage connector. Timing as the Rust
// harness (benches/support.rs): batches of calls lasting >= 0.5 ms, the median / p10 / p90 of
// the wall time per call over the batches and the median CPU time per call of the calling OS
// thread (the goroutine is locked to it), for VWO_BENCH_MS (default 400) per scenario. One JSON
// object per scenario on standard output.
func TestMatrixBench(t *testing.T) {
	file := os.Getenv("VWO_BENCH_SCENARIOS")
	if file == "" {
		t.Skip("VWO_BENCH_SCENARIOS is not set (run by make bench)")
	}
	url := os.Getenv("VWO_MOCK_URL")
	if url == "" {
		t.Fatal("VWO_MOCK_URL is not set (a loopback mock server)")
	}
	budget := 400 * time.Millisecond
	if ms := os.Getenv("VWO_BENCH_MS"); ms != "" {
		var v int
		if _, err := fmt.Sscan(ms, &v); err == nil {
			budget = time.Duration(v) * time.Millisecond
		}
	}
	var doc struct {
		Scenarios []struct {
			Name     string                 `json:"name"`
			Settings string                 `json:"settings"`
			Features []string               `json:"features"`
			Context  map[string]interface{} `json:"context"`
			Storage  bool                   `json:"storage"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(readFile(t, file), &doc); err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, sc := range doc.Scenarios {
		settings := readFile(t, filepath.Join(repoRoot, sc.Settings))
		var meta struct {
			AccountID interface{} `json:"accountId"`
		}
		if err := json.Unmarshal(settings, &meta); err != nil {
			t.Fatal(err)
		}
		opts := map[string]interface{}{
			"sdkKey": "0123456789abcdef0123456789abcdef", "accountId": meta.AccountID, "settings": string(settings),
			"proxyUrl": url, "maxQueueSize": 10000000,
			"batchEventData": map[string]interface{}{"eventsPerRequest": 500, "requestTimeInterval": 60},
			"logger":         map[string]interface{}{"transport": map[string]interface{}{"log": func(string, string) {}}},
		}
		if sc.Storage {
			opts["storage"] = &memStorage{data: map[[2]string]map[string]interface{}{}}
		}
		c, err := Init(opts)
		if err != nil {
			t.Fatalf("Init: %v", err)
		}
		ctx := goContext(sc.Context)
		keys := sc.Features
		decisions := make([]bool, len(keys))
		for i, k := range keys {
			f, _ := c.GetFlag(k, ctx)
			decisions[i] = f.IsEnabled()
		}
		m := len(keys)
		call := func(i int) {
			f, _ := c.GetFlag(keys[i%m], ctx)
			_ = f.IsEnabled()
		}
		rec := timeBatches(call, budget)
		delivered, _ := c.FlushEventsTimeout(120 * time.Second)
		_ = c.Close()
		rec["kind"], rec["layer"], rec["scenario"] = "latency", "go", sc.Name
		rec["decisions"], rec["all_delivered"] = decisions, delivered
		line, _ := json.Marshal(rec)
		fmt.Println(string(line))
		fmt.Fprintf(os.Stderr, "%-16s %-20s %10.0f ns (p10 %.0f, p90 %.0f; caller CPU %.0f)\n", "go", sc.Name,
			rec["median_ns"], rec["p10_ns"], rec["p90_ns"], rec["cpu_ns"])
	}
}

type memStorage struct {
	mu   sync.Mutex
	data map[[2]string]map[string]interface{}
}

func (s *memStorage) Get(featureKey, userID string) (interface{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.data[[2]string{featureKey, userID}]; ok {
		return v, nil
	}
	return nil, nil
}

func (s *memStorage) Set(data map[string]interface{}) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[[2]string{fmt.Sprint(data["featureKey"]), fmt.Sprint(data["userId"])}] = data
	return nil
}

// threadCPU is the CPU time of the calling OS thread, in ns (CLOCK_THREAD_CPUTIME_ID).
func threadCPU() float64 {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	_, _, _ = syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return float64(ts.Sec)*1e9 + float64(ts.Nsec)
}

func timeBatches(call func(int), budget time.Duration) map[string]interface{} {
	batch, i := 1, 0
	for {
		t := time.Now()
		for j := 0; j < batch; j++ {
			call(i)
			i++
		}
		if time.Since(t) >= 500*time.Microsecond || batch >= 1<<20 {
			break
		}
		batch *= 2
	}
	runtime.GC()
	var wall, cpu []float64
	start := time.Now()
	for time.Since(start) < budget || len(wall) < 15 {
		c := threadCPU()
		t := time.Now()
		for j := 0; j < batch; j++ {
			call(i)
			i++
		}
		wall = append(wall, float64(time.Since(t).Nanoseconds())/float64(batch))
		cpu = append(cpu, (threadCPU()-c)/float64(batch))
	}
	sort.Float64s(wall)
	sort.Float64s(cpu)
	pick := func(v []float64, q float64) float64 { return v[int(float64(len(v)-1)*q+0.5)] }
	return map[string]interface{}{
		"median_ns": pick(wall, 0.5), "p10_ns": pick(wall, 0.1), "p90_ns": pick(wall, 0.9),
		"cpu_ns": pick(cpu, 0.5), "cpu_p10_ns": pick(cpu, 0.1), "batches": len(wall), "batch": batch,
	}
}
