package vwo

// The cgo layer: the static library, the header, and small C helpers that make one C call
// out of each API call. The helpers also copy the per-thread last error message inside the
// same C call, because a goroutine may move to another OS thread between two cgo calls.
//
// The archive is lib/<GOOS>_<GOARCH>/libvwo_fme.a inside this module (built and copied by
// `make go-lib` at the repository root), so a program that imports this package is linked
// statically against it and needs no LD_LIBRARY_PATH.

/*
#cgo CFLAGS: -I${SRCDIR} -I${SRCDIR}/include -O2
#cgo linux,amd64 LDFLAGS: ${SRCDIR}/lib/linux_amd64/libvwo_fme.a
#cgo linux,arm64 LDFLAGS: ${SRCDIR}/lib/linux_arm64/libvwo_fme.a
#cgo darwin,amd64 LDFLAGS: ${SRCDIR}/lib/darwin_amd64/libvwo_fme.a
#cgo darwin,arm64 LDFLAGS: ${SRCDIR}/lib/darwin_arm64/libvwo_fme.a
#cgo linux LDFLAGS: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#cgo darwin LDFLAGS: -framework Security -framework CoreFoundation -liconv -lSystem -lc -lm

#include "vwo_go.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// abiMajor is the C ABI major version this package was written for.
const abiMajor = 1

// Compile-time check that the header this package was built with has the same major.
var _ [0]struct{} = [C.VWO_ABI_MAJOR - abiMajor]struct{}{}

// checkABI refuses a library whose ABI major differs from the one this package expects.
func checkABI() error {
	v := uint32(C.vwo_abi_version())
	if major := v >> 16; major != abiMajor {
		return fmt.Errorf("vwo: the linked libvwo_fme has C ABI %d.%d; this package needs major %d",
			major, v&0xffff, abiMajor)
	}
	return nil
}

// LibraryVersion is the version of the linked native library (e.g. "0.1.0").
func LibraryVersion() string { return C.GoString(C.vwo_version()) }

// ABIVersion is the linked library's C ABI version as "major.minor".
func ABIVersion() string {
	v := uint32(C.vwo_abi_version())
	return fmt.Sprintf("%d.%d", v>>16, v&0xffff)
}

// takeErr converts a C error message from a helper (malloc'd) into a Go string and frees it.
func takeErr(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.free(unsafe.Pointer(p))
	return s
}

// cstr returns a pointer to the first byte of b (which must hold a NUL-terminated string)
// for the duration of a cgo call. b holds no Go pointers, so passing it is allowed.
func cstr(b []byte) *C.char { return (*C.char)(unsafe.Pointer(&b[0])) }
