package vwo

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Paths inside the repository (the tests run in bindings/go).
var (
	repoRoot     = filepath.Join("..", "..")
	examplesPath = filepath.Join(repoRoot, "examples", "settings.json")
	fixturesDir  = filepath.Join(repoRoot, "tests", "fixtures", "conformance")
)

const (
	exampleSDKKey  = "demo0000000000000000000000000000"
	exampleAccount = 123456
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readGzJSON(t testing.TB, path string) interface{} {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var v interface{}
	if err := json.NewDecoder(zr).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// exampleOptions are offline options on examples/settings.json plus extra.
func exampleOptions(t testing.TB, extra map[string]interface{}) map[string]interface{} {
	o := map[string]interface{}{
		"sdkKey":    exampleSDKKey,
		"accountId": exampleAccount,
		"settings":  string(readFile(t, examplesPath)),
		"offline":   true,
		// Quiet: library logs go nowhere unless a test configures its own logger.
		"logger": map[string]interface{}{"transport": map[string]interface{}{"log": func(string, string) {}}},
	}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

func newExampleClient(t testing.TB, extra map[string]interface{}) *VWOClient {
	t.Helper()
	c, err := Init(exampleOptions(t, extra))
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// canon round-trips v through JSON so that values of different Go types compare equal when
// their JSON is equal (numbers compare by value).
func canon(v interface{}) interface{} {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out interface{}
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// diffJSON lists the paths where want and got differ (both canonical).
func diffJSON(want, got interface{}, path string, out *[]string) {
	switch w := want.(type) {
	case map[string]interface{}:
		g, ok := got.(map[string]interface{})
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: want %v, got %v", path, want, got))
			return
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case !wok:
				*out = append(*out, fmt.Sprintf("%s.%s: unexpected %v", path, k, gv))
			case !gok:
				*out = append(*out, fmt.Sprintf("%s.%s: missing (want %v)", path, k, wv))
			default:
				diffJSON(wv, gv, path+"."+k, out)
			}
		}
	case []interface{}:
		g, ok := got.([]interface{})
		if !ok || len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: want %v, got %v", path, want, got))
			return
		}
		for i := range w {
			diffJSON(w[i], g[i], fmt.Sprintf("%s[%d]", path, i), out)
		}
	default:
		if !reflect.DeepEqual(want, got) {
			*out = append(*out, fmt.Sprintf("%s: want %v, got %v", path, want, got))
		}
	}
}

// recStorage is a storage connector that records every read and write (as the conformance
// kit's in-memory storage).
type recStorage struct {
	mu     sync.Mutex
	data   map[[2]string]map[string]interface{}
	reads  []interface{}
	writes []interface{}
}

func newRecStorage() *recStorage {
	return &recStorage{data: map[[2]string]map[string]interface{}{}}
}

func (s *recStorage) Get(featureKey, userID string) (interface{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.data[[2]string{featureKey, userID}]
	s.reads = append(s.reads, map[string]interface{}{"key": featureKey, "user_id": userID, "found": ok})
	if !ok {
		return nil, nil
	}
	return rec, nil
}

func (s *recStorage) Set(data map[string]interface{}) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{fmt.Sprint(data["featureKey"]), fmt.Sprint(data["userId"])}
	s.data[k] = data
	s.writes = append(s.writes, data)
	return nil
}

func (s *recStorage) takeLog() (reads, writes []interface{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reads, writes = s.reads, s.writes
	s.reads, s.writes = nil, nil
	if reads == nil {
		reads = []interface{}{}
	}
	if writes == nil {
		writes = []interface{}{}
	}
	return
}

func (s *recStorage) dump() []interface{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([][2]string, 0, len(s.data))
	for k := range s.data {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	out := make([]interface{}, 0, len(keys))
	for _, k := range keys {
		out = append(out, map[string]interface{}{"key": k[0], "user_id": k[1], "value": s.data[k]})
	}
	return out
}

// rssKB is this process's resident set size from /proc/self/status (0 if unavailable).
func rssKB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			fields := strings.Fields(line)
			if len(fields) >= 2 {
				n, _ := strconv.ParseInt(fields[1], 10, 64)
				return n
			}
		}
	}
	return 0
}

// logCollector is a log transport that keeps what it receives.
type logCollector struct {
	mu    sync.Mutex
	lines []string
}

func (l *logCollector) log(level, message string) {
	l.mu.Lock()
	l.lines = append(l.lines, level+": "+message)
	l.mu.Unlock()
}

func (l *logCollector) contains(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (l *logCollector) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b bytes.Buffer
	for _, s := range l.lines {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.String()
}
