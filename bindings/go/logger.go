package vwo

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"
)

// Log levels as the library numbers them.
const (
	levelTrace = 0
	levelDebug = 1
	levelInfo  = 2
	levelWarn  = 3
	levelError = 4
)

var levelNames = [...]string{"trace", "debug", "info", "warn", "error"}

func levelName(l int) string {
	if l >= 0 && l < len(levelNames) {
		return levelNames[l]
	}
	return "error"
}

// parseLevel reads a level name case-insensitively ("warning" is "warn", as in the official
// SDK); ok is false for an unknown name.
func parseLevel(s string) (int, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace":
		return levelTrace, true
	case "debug":
		return levelDebug, true
	case "info":
		return levelInfo, true
	case "warn", "warning":
		return levelWarn, true
	case "error":
		return levelError, true
	}
	return 0, false
}

// LogTransport is a custom log destination, as the official SDK's logger.LogTransport: a
// value with a Log method may be given as a transport's "log" entry, or as the transport
// itself.
type LogTransport interface {
	Log(level string, message string)
}

// logSink is one configured transport.
type logSink struct {
	level    int                         // minimum level
	raw      func(level, message string) // "log": lower-case level, raw message
	perLevel map[int]func(string)        // "trace".."error": formatted line
}

// hostState is what the library's callbacks reach through the cgo.Handle in user_data.
// Immutable after Init; the user's functions must be safe for concurrent use.
type hostState struct {
	storage     Connector
	sinks       []logSink
	integration func(map[string]interface{})
	flush       func(err error, events string)
	prefix      string
	level       int
}

func (s *hostState) format(level int, message string) string {
	ts := time.Now().UTC().Format("2006-01-02T15:04:05.000000")
	return fmt.Sprintf("[%s] %s %s %s", strings.ToUpper(levelName(level)), s.prefix, ts, message)
}

// dispatchLog hands a library log message to every transport that wants its level.
func (s *hostState) dispatchLog(level int, message string) {
	for i := range s.sinks {
		sink := &s.sinks[i]
		if level < sink.level {
			continue
		}
		s.callSink(sink, level, message)
	}
}

func (s *hostState) callSink(sink *logSink, level int, message string) {
	defer func() {
		if r := recover(); r != nil {
			// Never through the transports again: a panicking transport would recurse.
			fmt.Fprintln(os.Stderr, s.format(levelError, fmt.Sprintf("log transport panicked: %v", r)))
		}
	}()
	if sink.raw != nil {
		sink.raw(levelName(level), message)
		return
	}
	if f := sink.perLevel[level]; f != nil {
		f(s.format(level, message))
	}
}

// logBinding logs a message of the binding itself (a failing callback, ...): to the
// transports when there are any, else to standard output as the library's console logger.
func (s *hostState) logBinding(level int, message string) {
	if level < s.level {
		return
	}
	if len(s.sinks) > 0 {
		s.dispatchLog(level, message)
		return
	}
	fmt.Fprintln(os.Stdout, s.format(level, message))
}

// parseTransport reads one transport map (or a LogTransport value).
func parseTransport(v interface{}, defaultLevel int) (logSink, error) {
	sink := logSink{level: defaultLevel}
	if lt, ok := v.(LogTransport); ok {
		sink.raw = lt.Log
		return sink, nil
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		return sink, fmt.Errorf("a transport must be a map[string]interface{} or a vwo.LogTransport, got %T", v)
	}
	if lv, ok := m["level"]; ok && lv != nil {
		name, _ := lv.(string)
		l, ok := parseLevel(name)
		if !ok {
			return sink, fmt.Errorf("unknown transport level %v", lv)
		}
		sink.level = l
	}
	if f, ok := m["log"]; ok && f != nil {
		raw, err := rawLogFunc(f)
		if err != nil {
			return sink, err
		}
		sink.raw = raw
		return sink, nil
	}
	for i, name := range levelNames {
		f, ok := m[name]
		if !ok || f == nil {
			continue
		}
		g, ok := f.(func(string))
		if !ok {
			return sink, fmt.Errorf("transport %q must be a func(string), got %T", name, f)
		}
		if sink.perLevel == nil {
			sink.perLevel = map[int]func(string){}
		}
		sink.perLevel[i] = g
	}
	if sink.perLevel == nil {
		return sink, fmt.Errorf(`a transport needs "log" (func(level, message string)) or per-level funcs`)
	}
	return sink, nil
}

// rawLogFunc accepts func(level, message string), a LogTransport, or any func of two
// string-kind parameters (the official SDK calls "log" by reflection).
func rawLogFunc(f interface{}) (func(string, string), error) {
	switch g := f.(type) {
	case func(string, string):
		return g, nil
	case LogTransport:
		return g.Log, nil
	}
	rv := reflect.ValueOf(f)
	t := rv.Type()
	if t.Kind() == reflect.Func && t.NumIn() == 2 && t.In(0).Kind() == reflect.String && t.In(1).Kind() == reflect.String {
		return func(level, message string) {
			rv.Call([]reflect.Value{reflect.ValueOf(level).Convert(t.In(0)), reflect.ValueOf(message).Convert(t.In(1))})
		}, nil
	}
	return nil, fmt.Errorf(`transport "log" must be a func(level, message string), got %T`, f)
}
