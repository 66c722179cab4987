#!/usr/bin/env bash
# C ABI tests (mk/cabi.mk): a C and a C++ compiler, valgrind, pkg-config, readelf (binutils)
# and python3. Installs only what is missing (Debian/Ubuntu, run as root). Idempotent.
set -euo pipefail

need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v readelf >/dev/null 2>&1 || need+=(binutils)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# AddressSanitizer / UndefinedBehaviorSanitizer runtimes come with gcc on Debian; check.
if command -v gcc >/dev/null 2>&1 &&
   ! echo 'int main(void){return 0;}' | gcc -x c -fsanitize=address,undefined -o /dev/null - >/dev/null 2>&1; then
  need+=(libasan8 libubsan1)
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "cabi: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${need[@]}"
else
  echo "cabi: gcc, g++, valgrind, pkg-config, readelf, python3 present"
fi
