# Ruby binding (bindings/ruby, the ffi gem over the shared library).
#   make ruby-lib     build target/release/libvwo_fme.so and copy it to
#                     bindings/ruby/lib/vwo_fme/native/<arch>-<os>/ (where the gem looks first)
#   make test-ruby    the minitest suites (conformance, API, callbacks, threads, fork) and
#                     the 1 000 000-call memory test
#   make bench-ruby   median microseconds per get_flag

RUBY ?= ruby
RUBY_DIR := bindings/ruby
RUBY_PLATFORM_DIR = $(shell $(RUBY) -rffi -e 'print "#{FFI::Platform::ARCH}-#{FFI::Platform::OS}"')

.PHONY: ruby-lib test-ruby bench-ruby

ruby-lib:
	$(CARGO) build --release --lib
	@dest=$(RUBY_DIR)/lib/vwo_fme/native/$(RUBY_PLATFORM_DIR); mkdir -p "$$dest"; \
	if [ ! -f "$$dest/libvwo_fme.so" ] || [ $(LIB_DIR)/libvwo_fme.so -nt "$$dest/libvwo_fme.so" ]; then \
		cp $(LIB_DIR)/libvwo_fme.so "$$dest/libvwo_fme.so.tmp" && mv "$$dest/libvwo_fme.so.tmp" "$$dest/libvwo_fme.so"; \
	fi; echo "ruby-lib: $$dest/libvwo_fme.so"

test-ruby: ruby-lib
	cd $(RUBY_DIR) && VWO_LEAK_TEST=1 $(RUBY) -w -Ilib -Itest -e 'Dir["test/test_*.rb"].sort.each { |f| require File.expand_path(f) }'

bench-ruby: ruby-lib
	cd $(RUBY_DIR) && $(RUBY) -Ilib bench/get_flag.rb

TEST_TARGETS += test-ruby
