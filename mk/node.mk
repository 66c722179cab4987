# Node.js binding (bindings/node): koffi over target/release/libvwo_fme.so.
#   make test-node    node --test (conformance, API, callbacks, threads, memory)
#   make bench-node   getFlag median of this binding and of the official vwo-fme-node-sdk

NODE ?= node
NODE_DIR := bindings/node

.PHONY: test-node bench-node node-deps

node-deps:
	@if [ ! -d $(NODE_DIR)/node_modules/koffi ]; then cd $(NODE_DIR) && npm ci --no-audit --no-fund; fi

test-node: lib node-deps
	cd $(NODE_DIR) && VWO_FME_LIBRARY=$(CURDIR)/$(LIB_DIR)/libvwo_fme.so VWO_FME_BIN=$(CURDIR)/$(LIB_DIR)/vwo-fme \
		$(NODE) --expose-gc --test --test-concurrency=1 test/*.test.js

bench-node: lib node-deps
	cd $(NODE_DIR) && VWO_FME_LIBRARY=$(CURDIR)/$(LIB_DIR)/libvwo_fme.so VWO_FME_BIN=$(CURDIR)/$(LIB_DIR)/vwo-fme \
		$(NODE) --expose-gc bench/getflag.js

TEST_TARGETS += test-node
