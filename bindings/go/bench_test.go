package vwo

import (
	"fmt"
	"syscall"
	"testing"
)

// processCPU is the CPU time this process used so far (all threads, user + system), in ns.
// Reported per op beside the wall time: on a shared machine the wall time includes waiting
// for a core, the CPU time does not.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func reportCPU(b *testing.B, start int64) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// go test -bench GetFlag (make bench-go): the cost of one GetFlag through the binding,
// context map to decision, impressions queued (offline: counted, not sent).
func BenchmarkGetFlag(b *testing.B) {
	c := newExampleClient(b, nil)
	ctx := map[string]interface{}{"id": "bench-user", "customVariables": map[string]interface{}{"country": "US", "plan": "pro"}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		f, err := c.GetFlag("new_checkout", ctx)
		if err != nil || !f.IsEnabled() {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

func BenchmarkGetFlagManyUsers(b *testing.B) {
	c := newExampleClient(b, nil)
	users := make([]map[string]interface{}, 1024)
	for i := range users {
		users[i] = map[string]interface{}{"id": fmt.Sprintf("user-%d", i), "customVariables": map[string]interface{}{"country": "DE"}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		if _, err := c.GetFlag("new_checkout", users[i&1023]); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

func BenchmarkGetFlagParallel(b *testing.B) {
	c := newExampleClient(b, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := map[string]interface{}{"id": "bench-parallel", "customVariables": map[string]interface{}{"country": "US"}}
		for pb.Next() {
			if _, err := c.GetFlag("new_checkout", ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetFlagAndVariable(b *testing.B) {
	c := newExampleClient(b, nil)
	ctx := map[string]interface{}{"id": "bench-user"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f, _ := c.GetFlag("new_checkout", ctx)
		_ = f.GetVariable("title", "")
	}
}

func BenchmarkTrackEvent(b *testing.B) {
	c := newExampleClient(b, nil)
	ctx := map[string]interface{}{"id": "bench-user"}
	props := map[string]interface{}{"revenue": 12.5}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := c.TrackEvent("purchase", ctx, props); err != nil {
			b.Fatal(err)
		}
	}
}
