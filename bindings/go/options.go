package vwo

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Connector is a storage connector, as the official SDK's storage.Connector. Get returns
// the record stored for (featureKey, userID) as a map[string]interface{} (any JSON-encodable
// value, JSON text as a string or []byte, also works), or (nil, nil) when there is none; an
// error is logged and treated as "no record". Set receives the record to store: a map with
// "featureKey", "userId" and the decision fields (integral numbers as int).
//
// Both are called on the goroutine that called GetFlag and must be safe for concurrent use.
type Connector interface {
	Get(featureKey string, userID string) (interface{}, error)
	Set(data map[string]interface{}) error
}

// Callback flags for vwo_go_fill_callbacks.
const (
	cbStorage      = 1
	cbLog          = 2
	cbIntegrations = 4
	cbFlush        = 8
)

// parsedOptions is the options JSON for the library plus the callbacks that cannot travel
// in JSON.
type parsedOptions struct {
	json      []byte
	state     *hostState
	flags     int
	logLevel  int32
	accountID string
}

// parseOptions splits the official SDK's options map into JSON and callbacks. Numbers may
// be any Go integer or float type (the official SDK insists on int); accountId may be a
// number or a string.
func parseOptions(options map[string]interface{}) (*parsedOptions, error) {
	p := &parsedOptions{state: &hostState{prefix: "VWO-SDK", level: levelError}, logLevel: -1}
	out := make(map[string]interface{}, len(options))
	keys := make([]string, 0, len(options))
	for k := range options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := options[k]
		if v == nil {
			continue
		}
		switch k {
		case "hostProfile":
			// The official vwo.Init sets it; this library always uses the VWO hosts.
		case "storage":
			c, ok := v.(Connector)
			if !ok {
				return nil, fmt.Errorf("option storage must implement vwo.Connector (Get/Set), got %T", v)
			}
			p.state.storage = c
			p.flags |= cbStorage
		case "integrations":
			m, ok := v.(map[string]interface{})
			if !ok {
				return nil, fmt.Errorf("option integrations must be a map[string]interface{}, got %T", v)
			}
			cb := m["Callback"]
			if cb == nil {
				cb = m["callback"]
			}
			if cb == nil {
				continue
			}
			f, ok := cb.(func(map[string]interface{}))
			if !ok {
				return nil, fmt.Errorf(`integrations "Callback" must be a func(map[string]interface{}), got %T`, cb)
			}
			p.state.integration = f
			p.flags |= cbIntegrations
		case "batchEventData", "batch_event_data":
			m, ok := v.(map[string]interface{})
			if !ok {
				return nil, fmt.Errorf("option %s must be a map[string]interface{}, got %T", k, v)
			}
			rest := make(map[string]interface{}, len(m))
			for bk, bv := range m {
				switch bk {
				case "flushCallback", "flush_callback":
					if bv == nil {
						continue
					}
					f, ok := bv.(func(error, string))
					if !ok {
						return nil, fmt.Errorf("batchEventData %q must be a func(err error, events string), got %T", bk, bv)
					}
					p.state.flush = f
					p.flags |= cbFlush
				default:
					rest[bk] = bv
				}
			}
			out["batchEventData"] = rest
		case "logger":
			m, ok := v.(map[string]interface{})
			if !ok {
				return nil, fmt.Errorf("option logger must be a map[string]interface{}, got %T", v)
			}
			if err := p.parseLogger(m, out); err != nil {
				return nil, err
			}
		case "settings":
			switch s := v.(type) {
			case string:
				if json.Valid([]byte(s)) && strings.HasPrefix(strings.TrimSpace(s), "{") {
					out[k] = json.RawMessage(s)
				} else {
					out[k] = s // the library reports why it is unusable
				}
			case []byte:
				out[k] = json.RawMessage(s)
			default:
				out[k] = v
			}
		default:
			out[k] = v
		}
	}
	if a, ok := out["accountId"]; ok {
		p.accountID = fmt.Sprint(a)
	} else if a, ok := out["account_id"]; ok {
		p.accountID = fmt.Sprint(a)
	}
	b, err := appendJSON(nil, out)
	if err != nil {
		return nil, fmt.Errorf("options: %w", err)
	}
	p.json = b
	return p, nil
}

func (p *parsedOptions) parseLogger(m map[string]interface{}, out map[string]interface{}) error {
	lj := map[string]interface{}{}
	if lv, ok := m["level"]; ok && lv != nil {
		name, ok := lv.(string)
		if !ok {
			return fmt.Errorf("logger level must be a string, got %T", lv)
		}
		l, ok := parseLevel(name)
		if !ok {
			return fmt.Errorf("unknown logger level %q (use trace, debug, info, warn or error)", name)
		}
		p.state.level = l
		lj["level"] = levelName(l)
	}
	if pf, ok := m["prefix"].(string); ok {
		p.state.prefix = pf
		lj["prefix"] = pf
	}
	if a, ok := m["isAnsiColorEnabled"]; ok {
		lj["isAnsiColorEnabled"] = a
	}
	out["logger"] = lj

	var transports []interface{}
	if ts, ok := m["transports"]; ok && ts != nil {
		switch x := ts.(type) {
		case []map[string]interface{}:
			for _, t := range x {
				transports = append(transports, t)
			}
		case []interface{}:
			transports = append(transports, x...)
		case []LogTransport:
			for _, t := range x {
				transports = append(transports, t)
			}
		default:
			return fmt.Errorf("logger transports must be a []map[string]interface{}, got %T", ts)
		}
	}
	if len(transports) == 0 {
		if t, ok := m["transport"]; ok && t != nil {
			transports = append(transports, t)
		}
	}
	if len(transports) == 0 {
		return nil
	}
	min := levelError + 1
	for i, t := range transports {
		sink, err := parseTransport(t, p.state.level)
		if err != nil {
			return fmt.Errorf("logger transport %d: %w", i, err)
		}
		p.state.sinks = append(p.state.sinks, sink)
		if sink.level < min {
			min = sink.level
		}
	}
	p.logLevel = int32(min)
	p.flags |= cbLog
	return nil
}
