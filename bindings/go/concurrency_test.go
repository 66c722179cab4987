package vwo

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// 64 goroutines share one client; every result must be the one for its own request (user,
// feature, session id), as computed serially before. Settings are re-installed concurrently
// all along. Run under -race by `make test-go`.
func TestConcurrentGoroutinesGetTheirOwnResults(t *testing.T) {
	const goroutines = 64
	iterations := 400
	if testing.Short() {
		iterations = 50
	}
	c := newExampleClient(t, map[string]interface{}{"storage": newRecStorage()})
	features := []string{"new_checkout", "search_ranking", "homepage_hero", "pricing_page", "dark_mode", "recommendations_v2"}
	type key struct{ user, feature string }
	type want struct {
		enabled bool
		uuid    string
		vars    []map[string]interface{}
	}
	userOf := func(g, i int) string { return fmt.Sprintf("g%02d-u%03d", g, i%40) }
	// A user's attributes are fixed (they decide the answer); the session id varies per call.
	ctxOf := func(g, i int) map[string]interface{} {
		u := i % 40
		return map[string]interface{}{
			"id":              userOf(g, i),
			"sessionId":       int64(1700000000 + g*100000 + i),
			"customVariables": map[string]interface{}{"country": []string{"US", "DE", "IN"}[(g+u)%3], "beta": u%2 == 0, "app_version": "4.3.1"},
		}
	}
	// Serial answers (storage makes the first answer sticky, so compute it the same way).
	expected := map[key]want{}
	for g := 0; g < goroutines; g++ {
		for i := 0; i < 40; i++ {
			for _, f := range features {
				k := key{userOf(g, i), f}
				if _, ok := expected[k]; ok {
					continue
				}
				fl, err := c.GetFlag(f, ctxOf(g, i))
				if err != nil {
					t.Fatal(err)
				}
				expected[k] = want{fl.IsEnabled(), fl.GetUUID(), fl.GetVariables()}
			}
		}
	}
	settings := string(readFile(t, examplesPath))
	stop := make(chan struct{})
	var updater sync.WaitGroup
	updater.Add(1)
	go func() {
		defer updater.Done()
		for {
			select {
			case <-stop:
				return
			default:
				if err := c.UpdateSettings(settings); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan string, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < iterations; i++ {
				f := features[(g+i)%len(features)]
				ctx := ctxOf(g, i)
				fl, err := c.GetFlag(f, ctx)
				if err != nil {
					errs <- err.Error()
					return
				}
				w := expected[key{userOf(g, i), f}]
				if fl.IsEnabled() != w.enabled || fl.GetUUID() != w.uuid || fl.GetSessionId() != ctx["sessionId"].(int64) ||
					!reflect.DeepEqual(fl.GetVariables(), w.vars) {
					errs <- fmt.Sprintf("goroutine %d call %d (%s, %s): got enabled=%v uuid=%s sid=%d vars=%v, want %v %s %d %v",
						g, i, ctx["id"], f, fl.IsEnabled(), fl.GetUUID(), fl.GetSessionId(), fl.GetVariables(),
						w.enabled, w.uuid, ctx["sessionId"], w.vars)
					return
				}
				if i%10 == 0 {
					ev := fmt.Sprintf("ev-%d", g)
					r, err := c.TrackEvent(ev, ctx)
					if err != nil || len(r) != 1 {
						errs <- fmt.Sprintf("goroutine %d: TrackEvent %v %v", g, r, err)
						return
					}
					if _, ok := r[ev]; !ok {
						errs <- fmt.Sprintf("goroutine %d: TrackEvent result for another event: %v", g, r)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(stop)
	updater.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
