# Go binding (bindings/go, cgo over the static library).
#   make go-lib     build target/release/libvwo_fme.a and copy it (debug info stripped: 110 ->
#                   60 MB) to bindings/go/lib/<GOOS>_<GOARCH>/, and the header to
#                   bindings/go/include/, where the package's #cgo directives find them
#   make test-go    go vet, go test -race ./..., then the 1 000 000-call memory test without -race
#   make bench-go   GetFlag benchmark (ns/op)

GO ?= go
STRIP ?= strip
# No VCS stamping (CI clones may be owned by another user); no module downloads needed.
export GOFLAGS ?= -buildvcs=false
GO_DIR := bindings/go
GO_PLATFORM = $(shell $(GO) env GOOS)_$(shell $(GO) env GOARCH)

.PHONY: go-lib test-go bench-go

go-lib:
	$(CARGO) build --release --lib
	@mkdir -p $(GO_DIR)/lib/$(GO_PLATFORM) $(GO_DIR)/include
	@dest=$(GO_DIR)/lib/$(GO_PLATFORM)/libvwo_fme.a; \
	if [ ! -f "$$dest" ] || [ $(LIB_DIR)/libvwo_fme.a -nt "$$dest" ]; then \
		cp $(LIB_DIR)/libvwo_fme.a "$$dest.tmp" && { $(STRIP) --strip-debug "$$dest.tmp" || true; } && mv "$$dest.tmp" "$$dest"; \
	fi
	@cmp -s include/vwo_fme.h $(GO_DIR)/include/vwo_fme.h || cp include/vwo_fme.h $(GO_DIR)/include/vwo_fme.h
	@echo "go-lib: $(GO_DIR)/lib/$(GO_PLATFORM)/libvwo_fme.a"

test-go: go-lib
	@cd $(GO_DIR) && bad=$$(gofmt -l .) && if [ -n "$$bad" ]; then echo "gofmt needed: $$bad"; exit 1; fi
	cd $(GO_DIR) && $(GO) vet ./...
	cd $(GO_DIR) && $(GO) test -race -count=1 ./...
	cd $(GO_DIR) && VWO_LEAK_TEST=1 $(GO) test -count=1 -run 'TestMemoryFlat' -v .

bench-go: go-lib
	cd $(GO_DIR) && $(GO) test -run '^$$' -bench 'GetFlag' -benchmem -count=1 .

TEST_TARGETS += test-go
