# The C ABI seen from C and C++ (issue 4): tests, replay, wrapper, quickstarts, install, bench.
#
#   make test-c            C test suite (tests/c, -std=c99 -pedantic) on the shared library
#   make test-c-asan       the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-c-valgrind   the same under valgrind (no errors, no definite/indirect leaks)
#   make test-cpp          the C++ wrapper's test; vwo_fme.h compiled as C and as C++
#   make test-c-replay     conformance cases replayed through the ABI vs the official SDK
#   make test-install      install into a temporary PREFIX, build against it with pkg-config
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make demo              the C quickstart (examples/quickstart.c); demo-rust: the Rust one
#   make bench-c           vwo_get_flag over the ABI: median ns per call
#
# Everything C/C++ is built in build/cabi/ (git-ignored) and runs from the repository root.
# Network tests talk to the project's loopback mock server only (tests/c/with_mock_server.sh).

TEST_TARGETS += test-c test-c-asan test-c-valgrind test-cpp test-c-replay test-install

.PHONY: test-c test-c-asan test-c-valgrind test-c-replay test-cpp test-headers demo demo-rust \
        install test-install bench-c

VWO_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
VWO_SOVERSION := $(firstword $(subst ., ,$(VWO_VERSION)))
CABI := build/cabi
CC := $(if $(filter default,$(origin CC)),gcc,$(CC))
CXX := $(if $(filter default,$(origin CXX)),g++,$(CXX))
PREFIX ?= /usr/local
DESTDIR ?=

# What the Rust standard library needs from the system when linking the static library
# (`rustc --print native-static-libs` on x86_64-unknown-linux-gnu).
VWO_NATIVE_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

CABI_WARN := -Wall -Wextra -Werror -pedantic
CABI_CFLAGS := -std=c99 $(CABI_WARN) -O2 -g -Iinclude -Itests/c \
               -DVWO_EXPECTED_VERSION='"$(VWO_VERSION)"'
CABI_CXXFLAGS := -std=c++17 $(CABI_WARN) -O2 -g -Iinclude -Ibindings/cpp
# Link the shared library of the development build (found at run time through the rpath).
CABI_LDLIBS := -L$(LIB_DIR) -Wl,-rpath,$(abspath $(LIB_DIR)) -lvwo_fme -lpthread
WITH_MOCK := tests/c/with_mock_server.sh

C_TEST_SRC := tests/c/test_main.c tests/c/test_api.c tests/c/test_misuse.c \
              tests/c/test_callbacks.c tests/c/test_threads.c tests/c/test_network.c \
              tests/c/support.c
C_TEST_DEPS := $(C_TEST_SRC) tests/c/support.h tests/c/tests.h include/vwo_fme.h

$(CABI):
	mkdir -p $@

# ---- C test suite ------------------------------------------------------------------------

$(CABI)/test_abi: $(C_TEST_DEPS) | $(CABI)
	$(CC) $(CABI_CFLAGS) $(C_TEST_SRC) -o $@ $(CABI_LDLIBS)

test-c: lib $(CABI)/test_abi $(CABI)/quickstart
	$(WITH_MOCK) -- $(CABI)/test_abi
	$(CABI)/quickstart >/dev/null

# AddressSanitizer + UndefinedBehaviorSanitizer on the C side (the Rust library is not
# instrumented, but its malloc/free go through ASan's allocator, so C-side misuse of the
# strings and handles it returns is caught). Leak detection is on: LeakSanitizer reports
# unfreed allocations of the whole process, the library's included. Nothing needs
# suppressing: the Rust library links no allocator of its own and is linked, not dlopen'ed.
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
$(CABI)/test_abi_asan: $(C_TEST_DEPS) | $(CABI)
	$(CC) $(CABI_CFLAGS) -O1 $(ASAN_FLAGS) $(C_TEST_SRC) -o $@ $(CABI_LDLIBS)

test-c-asan: lib $(CABI)/test_abi_asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(WITH_MOCK) -- $(CABI)/test_abi_asan

# valgrind (memcheck) on the plain build: any error, or a definitely/indirectly lost
# block, fails. No suppression file is needed: the Rust runtime's allocations at exit are
# "still reachable" or "possibly lost" (thread-local and thread bookkeeping), not reported.
# The thread group runs fewer rounds (valgrind serialises threads, ~80x slower).
VALGRIND := valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
            --show-leak-kinds=definite,indirect --quiet

test-c-valgrind: lib $(CABI)/test_abi
	VWO_TEST_ROUNDS=6 $(WITH_MOCK) -- $(VALGRIND) $(CABI)/test_abi

# ---- conformance replay through the ABI ----------------------------------------------------

$(CABI)/replay: tests/c/replay.c tests/c/support.c tests/c/support.h include/vwo_fme.h | $(CABI)
	$(CC) $(CABI_CFLAGS) tests/c/replay.c tests/c/support.c -o $@ $(CABI_LDLIBS)

# All 14 shared case files (12 315 calls) against the official Python SDK's results.
test-c-replay: lib $(CABI)/replay
	python3 tests/c/check_replay.py --replay $(CABI)/replay

# ---- C++ wrapper and the header as C and C++ ------------------------------------------------

CPP_TEST_DEPS := tests/cpp/test_wrapper.cpp bindings/cpp/vwo_fme.hpp include/vwo_fme.h
$(CABI)/test_wrapper: $(CPP_TEST_DEPS) | $(CABI)
	$(CXX) $(CABI_CXXFLAGS) -DVWO_EXPECTED_VERSION='"$(VWO_VERSION)"' tests/cpp/test_wrapper.cpp \
	  -o $@ $(CABI_LDLIBS)
$(CABI)/test_wrapper_asan: $(CPP_TEST_DEPS) | $(CABI)
	$(CXX) $(CABI_CXXFLAGS) -O1 $(ASAN_FLAGS) -DVWO_EXPECTED_VERSION='"$(VWO_VERSION)"' \
	  tests/cpp/test_wrapper.cpp -o $@ $(CABI_LDLIBS)

# The C header alone, as C (c99, c11) and as C++ (c++11, c++17, c++20).
test-headers: | $(CABI)
	for std in c99 c11; do \
	  $(CC) -std=$$std $(CABI_WARN) -Iinclude -c tests/c/header_only.c -o $(CABI)/header_$$std.o; done
	for std in c++11 c++17 c++20; do \
	  $(CXX) -std=$$std $(CABI_WARN) -Iinclude -c tests/cpp/header_only.cpp -o $(CABI)/header_$$std.o; done
	@echo "vwo_fme.h compiles as C99, C11, C++11, C++17 and C++20 with $(CABI_WARN)"

# The wrapper's test, plain and under ASan+UBSan (exceptions thrown by callbacks cross no C
# frame), with the mock server for the flush callback.
test-cpp: lib test-headers $(CABI)/test_wrapper $(CABI)/test_wrapper_asan $(CABI)/quickstart_cpp
	$(CABI)/quickstart_cpp >/dev/null
	$(WITH_MOCK) -- $(CABI)/test_wrapper
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(WITH_MOCK) -- $(CABI)/test_wrapper_asan

# ---- quickstarts and the demo ----------------------------------------------------------------

$(CABI)/quickstart: examples/quickstart.c include/vwo_fme.h | $(CABI)
	$(CC) $(CABI_CFLAGS) examples/quickstart.c -o $@ $(CABI_LDLIBS)
$(CABI)/quickstart_cpp: examples/quickstart.cpp bindings/cpp/vwo_fme.hpp include/vwo_fme.h | $(CABI)
	$(CXX) $(CABI_CXXFLAGS) examples/quickstart.cpp -o $@ $(CABI_LDLIBS)

# `make demo`: build the library, then run the C quickstart (offline, examples/settings.json).
demo: lib $(CABI)/quickstart
	@$(CABI)/quickstart

# The Rust example (the former `make demo`).
demo-rust:
	$(CARGO) run --quiet --release --example demo

# ---- install ---------------------------------------------------------------------------------
#
#   make install PREFIX=/usr/local [DESTDIR=/staging]
#
#   lib/libvwo_fme.so.$(VWO_VERSION)   soname libvwo_fme.so.$(VWO_SOVERSION); only vwo_* exported
#   lib/libvwo_fme.so.$(VWO_SOVERSION) -> libvwo_fme.so.$(VWO_VERSION)
#   lib/libvwo_fme.so   -> libvwo_fme.so.$(VWO_SOVERSION)
#   lib/libvwo_fme.a
#   lib/pkgconfig/vwo_fme.pc        (Libs.private: the static library's system libraries)
#   include/vwo_fme.h, include/vwo_fme.hpp
#
# The installed shared library is linked from the release static library: the same
# LTO-optimised objects as target/release/libvwo_fme.so, with the soname set by the linker
# (-Wl,-soname) and the exports by mk/vwo_fme.map. This keeps the development build
# soname-free (the tests and the language bindings load target/release/libvwo_fme.so under
# that name; a soname there would make every program linked with it ask for libvwo_fme.so.0)
# and costs a 2 s link instead of a full cargo rebuild with other RUSTFLAGS.
# After installing into a system directory, run ldconfig.

VWO_SONAME := libvwo_fme.so.$(VWO_SOVERSION)
VWO_REALNAME := libvwo_fme.so.$(VWO_VERSION)

$(CABI)/$(VWO_REALNAME): lib mk/vwo_fme.map | $(CABI)
	$(CC) -shared -o $@ -Wl,-soname,$(VWO_SONAME) -Wl,--version-script=mk/vwo_fme.map \
	  -Wl,--gc-sections -Wl,-z,relro,-z,now,-z,noexecstack \
	  -Wl,--whole-archive $(LIB_DIR)/libvwo_fme.a -Wl,--no-whole-archive $(VWO_NATIVE_LIBS)

install: $(CABI)/$(VWO_REALNAME)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(CABI)/$(VWO_REALNAME) $(DESTDIR)$(PREFIX)/lib/$(VWO_REALNAME)
	ln -sfn $(VWO_REALNAME) $(DESTDIR)$(PREFIX)/lib/$(VWO_SONAME)
	ln -sfn $(VWO_SONAME) $(DESTDIR)$(PREFIX)/lib/libvwo_fme.so
	install -m 0644 $(LIB_DIR)/libvwo_fme.a $(DESTDIR)$(PREFIX)/lib/libvwo_fme.a
	install -m 0644 include/vwo_fme.h bindings/cpp/vwo_fme.hpp $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VWO_VERSION)|' \
	    -e 's|@LIBS_PRIVATE@|$(VWO_NATIVE_LIBS)|' mk/vwo_fme.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/vwo_fme.pc
	@echo "installed vwo-fme $(VWO_VERSION) into $(DESTDIR)$(PREFIX)"

# Installs into a temporary PREFIX, checks the layout, soname and exports, builds the
# quickstarts against it with pkg-config (shared and static) and runs them, and runs the C
# test suite on the installed shared library.
test-install: lib $(CABI)/test_abi $(CABI)/quickstart $(CABI)/quickstart_cpp
	MAKE="$(MAKE)" VWO_CC="$(CC)" VWO_CXX="$(CXX)" VWO_VERSION=$(VWO_VERSION) tests/c/test_install.sh

# ---- benchmark -------------------------------------------------------------------------------

$(CABI)/bench: tests/c/bench.c tests/c/support.c tests/c/support.h include/vwo_fme.h | $(CABI)
	$(CC) $(CABI_CFLAGS) tests/c/bench.c tests/c/support.c -o $@ $(CABI_LDLIBS)

# Median ns per vwo_get_flag (JSON context; reused vwo_context) with the impression queued for
# the loopback mock server: thread CPU time first, wall time second (tests/c/bench.c).
bench-c: lib $(CABI)/bench
	$(WITH_MOCK) --settings tests/fixtures/conformance/settings/s1_rollout_only.json -- $(CABI)/bench
