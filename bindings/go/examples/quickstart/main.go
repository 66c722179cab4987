// Quickstart: decisions for a few users on the bundled settings, offline (no network).
//
//	make go-lib                       # at the repository root: builds and copies the archive
//	cd bindings/go && go run ./examples/quickstart ../../examples/settings.json
package main

import (
	"fmt"
	"log"
	"os"

	vwo "github.com/vwo-fme/vwo-fme-go"
)

func main() {
	path := "../../examples/settings.json"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	settings, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}

	client, err := vwo.Init(map[string]interface{}{
		"sdkKey":    "demo0000000000000000000000000000",
		"accountId": 123456,
		"settings":  string(settings), // no settings fetch, no polling
		"offline":   true,             // no network at all: events are counted, not sent
		"integrations": map[string]interface{}{
			"Callback": func(properties map[string]interface{}) {
				if properties["api"] == "getFlag" {
					fmt.Printf("  integration: %s served variation %v\n", properties["featureKey"], properties["experimentVariationId"])
				} else {
					fmt.Printf("  integration: %s %v\n", properties["api"], properties["eventName"])
				}
			},
		},
	})
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	defer client.Close()

	for _, user := range []map[string]interface{}{
		{"id": "alice", "customVariables": map[string]interface{}{"country": "US", "plan": "free"}},
		{"id": "bob", "customVariables": map[string]interface{}{"country": "DE", "plan": "Premium", "beta": true, "app_version": "4.3.1"}},
		{"id": "carol", "customVariables": map[string]interface{}{"country": "IN", "plan": "enterprise"}},
	} {
		flag, err := client.GetFlag("new_checkout", user)
		if err != nil {
			log.Printf("GetFlag: %v", err)
			continue
		}
		fmt.Printf("%-6s new_checkout enabled=%-5v uuid=%s variables=%v\n",
			user["id"], flag.IsEnabled(), flag.GetUUID(), flag.GetVariables())
		tracked, err := client.TrackEvent("purchase", user, map[string]interface{}{"revenue": 12.5})
		fmt.Printf("       TrackEvent(purchase) = %v, err = %v\n", tracked, err)
	}
	uuid, _ := vwo.GetUUID("alice", "123456")
	fmt.Println("GetUUID(alice, 123456) =", uuid)
}
