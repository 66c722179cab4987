#!/usr/bin/env bash
# make test-install: `make install` into a temporary PREFIX, then check what a C or C++
# developer gets: the layout, the soname, the exports, pkg-config, the quickstarts built
# against the installed copy (shared and static) giving the same output as the development
# build, and the C test suite running on the installed shared library.
#
# Needs build/cabi/{test_abi,quickstart,quickstart_cpp} (make test-install builds them).
set -euo pipefail

# The compilers come as VWO_CC / VWO_CXX, not CC / CXX: those would reach cargo through the
# inner `make install`, and build scripts that watch them (ring's) would rebuild everything.
MAKE=${MAKE:-make}
CC=${VWO_CC:-gcc}
CXX=${VWO_CXX:-g++}
VERSION=${VWO_VERSION:?VWO_VERSION is required}
SOVERSION=${VERSION%%.*}
build=build/cabi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vwo-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
lib=$prefix/lib
checks=0
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); }

env -u CC -u CXX "$MAKE" --no-print-directory install PREFIX="$prefix" >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log"; fail "make install"; }

# 1. Layout.
for f in "lib/libvwo_fme.so.$VERSION" lib/libvwo_fme.a lib/pkgconfig/vwo_fme.pc \
         include/vwo_fme.h include/vwo_fme.hpp; do
  [ -f "$prefix/$f" ] || fail "$f not installed"; ok
done
[ "$(readlink "$lib/libvwo_fme.so.$SOVERSION")" = "libvwo_fme.so.$VERSION" ] || fail "libvwo_fme.so.$SOVERSION link"; ok
[ "$(readlink "$lib/libvwo_fme.so")" = "libvwo_fme.so.$SOVERSION" ] || fail "libvwo_fme.so link"; ok
cmp -s include/vwo_fme.h "$prefix/include/vwo_fme.h" || fail "vwo_fme.h differs"; ok
cmp -s bindings/cpp/vwo_fme.hpp "$prefix/include/vwo_fme.hpp" || fail "vwo_fme.hpp differs"; ok

# 2. Soname and exports: the same vwo_* symbols as the development build, nothing else.
readelf -d "$lib/libvwo_fme.so.$VERSION" | grep -q "Library soname: \[libvwo_fme.so.$SOVERSION\]" \
  || fail "no soname libvwo_fme.so.$SOVERSION"; ok
nm -D --defined-only "$lib/libvwo_fme.so.$VERSION" | awk '{print $3}' | sort >"$tmp/installed.syms"
nm -D --defined-only target/release/libvwo_fme.so | awk '{print $3}' | sort >"$tmp/dev.syms"
! grep -qv '^vwo_' "$tmp/installed.syms" || fail "non-vwo_ symbols exported: $(grep -v '^vwo_' "$tmp/installed.syms" | tr '\n' ' ')"; ok
cmp -s "$tmp/installed.syms" "$tmp/dev.syms" || fail "exports differ from target/release/libvwo_fme.so"; ok
if readelf -lW "$lib/libvwo_fme.so.$VERSION" | grep GNU_STACK | grep -q RWE; then fail "executable stack"; fi; ok

# 3. pkg-config.
export PKG_CONFIG_PATH=$lib/pkgconfig
[ "$(pkg-config --modversion vwo_fme)" = "$VERSION" ] || fail "pkg-config --modversion"; ok
[ "$(pkg-config --cflags vwo_fme | xargs)" = "-I$prefix/include" ] || fail "cflags: $(pkg-config --cflags vwo_fme)"; ok
[ "$(pkg-config --libs vwo_fme | xargs)" = "-L$lib -lvwo_fme" ] || fail "libs: $(pkg-config --libs vwo_fme)"; ok
pkg-config --static --libs vwo_fme | grep -q -- "-lpthread" || fail "Libs.private"; ok

# 4. The C quickstart against the installed shared library: the soname is what it needs,
#    the installed copy is what it loads, and it prints what the development build prints.
# shellcheck disable=SC2046
"$CC" -std=c99 -Wall -Wextra -Werror -pedantic examples/quickstart.c $(pkg-config --cflags --libs vwo_fme) \
  -Wl,-rpath,"$lib" -o "$tmp/quickstart"
readelf -d "$tmp/quickstart" | grep -q "NEEDED.*\[libvwo_fme.so.$SOVERSION\]" || fail "quickstart does not need libvwo_fme.so.$SOVERSION"; ok
ldd "$tmp/quickstart" | grep -q "libvwo_fme.so.$SOVERSION => $lib/libvwo_fme.so.$SOVERSION" || fail "quickstart does not load the installed copy"; ok
"$build/quickstart" >"$tmp/expected.txt"
"$tmp/quickstart" >"$tmp/shared.txt"
diff -u "$tmp/expected.txt" "$tmp/shared.txt" || fail "quickstart output (shared) differs"; ok

# 5. The same, linked statically with the static library and Libs.private.
libs_private=$(pkg-config --static --libs-only-l vwo_fme | sed -e 's/-lvwo_fme//')
# shellcheck disable=SC2046,SC2086
"$CC" -std=c99 -Wall -Wextra -Werror -pedantic examples/quickstart.c $(pkg-config --cflags vwo_fme) \
  "$lib/libvwo_fme.a" $libs_private -o "$tmp/quickstart_static"
if readelf -d "$tmp/quickstart_static" | grep -q "libvwo_fme"; then fail "the static build needs libvwo_fme.so"; fi; ok
"$tmp/quickstart_static" >"$tmp/static.txt"
diff -u "$tmp/expected.txt" "$tmp/static.txt" || fail "quickstart output (static) differs"; ok

# 6. The C++ quickstart with the installed vwo_fme.hpp.
# shellcheck disable=SC2046
"$CXX" -std=c++17 -Wall -Wextra -Werror -pedantic examples/quickstart.cpp $(pkg-config --cflags --libs vwo_fme) \
  -Wl,-rpath,"$lib" -o "$tmp/quickstart_cpp"
"$build/quickstart_cpp" >"$tmp/expected_cpp.txt"
"$tmp/quickstart_cpp" >"$tmp/cpp.txt"
diff -u "$tmp/expected_cpp.txt" "$tmp/cpp.txt" || fail "C++ quickstart output differs"; ok

# 7. The whole C test suite on the installed shared library (LD_LIBRARY_PATH comes before
#    the test binary's RUNPATH).
LD_LIBRARY_PATH=$lib ldd "$build/test_abi" | grep -q "libvwo_fme.so => $lib/libvwo_fme.so" \
  || fail "test_abi does not load the installed copy"; ok
LD_LIBRARY_PATH=$lib tests/c/with_mock_server.sh -- "$build/test_abi" | tail -n1 | tee "$tmp/suite.txt"
grep -q ", 0 failures" "$tmp/suite.txt" || fail "C test suite on the installed library"; ok

echo "test-install: $checks checks passed (prefix $prefix, soname libvwo_fme.so.$SOVERSION)"
