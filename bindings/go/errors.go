package vwo

import "fmt"

// Status codes of the C ABI (include/vwo_fme.h).
const (
	statusOK              = 0
	statusNullArgument    = 1
	statusInvalidUTF8     = 2
	statusInvalidJSON     = 3
	statusInvalidArgument = 4
	statusTooLarge        = 5
	statusInit            = 6
	statusClosed          = 7
	statusNoSettings      = 8
	statusFailed          = 9
	statusNotFound        = 10
	statusTypeMismatch    = 11
	statusBadHandle       = 12
	statusPanic           = 99
)

var statusNames = map[int]string{
	statusNullArgument:    "VWO_ERR_NULL_ARGUMENT",
	statusInvalidUTF8:     "VWO_ERR_INVALID_UTF8",
	statusInvalidJSON:     "VWO_ERR_INVALID_JSON",
	statusInvalidArgument: "VWO_ERR_INVALID_ARGUMENT",
	statusTooLarge:        "VWO_ERR_TOO_LARGE",
	statusInit:            "VWO_ERR_INIT",
	statusClosed:          "VWO_ERR_CLOSED",
	statusNoSettings:      "VWO_ERR_NO_SETTINGS",
	statusFailed:          "VWO_ERR_FAILED",
	statusNotFound:        "VWO_ERR_NOT_FOUND",
	statusTypeMismatch:    "VWO_ERR_TYPE_MISMATCH",
	statusBadHandle:       "VWO_ERR_BAD_HANDLE",
	statusPanic:           "VWO_ERR_PANIC",
}

// Error is an error reported by the native library (or by this binding before the call).
// Compare with errors.Is against the sentinels below: errors.Is(err, vwo.ErrClosed).
type Error struct {
	// Status is the C ABI status code (VWO_ERR_*); 0 for errors of the binding itself.
	Status int
	// Message says what went wrong.
	Message string
}

func (e *Error) Error() string {
	if name, ok := statusNames[e.Status]; ok {
		return fmt.Sprintf("vwo: %s: %s", name, e.Message)
	}
	return "vwo: " + e.Message
}

// Is matches errors with the same status (errors.Is(err, vwo.ErrClosed)).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Status == e.Status
}

// Sentinels for errors.Is.
var (
	ErrInvalidArgument = &Error{Status: statusInvalidArgument}
	ErrInvalidJSON     = &Error{Status: statusInvalidJSON}
	ErrInit            = &Error{Status: statusInit}
	ErrClosed          = &Error{Status: statusClosed}
	ErrNoSettings      = &Error{Status: statusNoSettings}
	ErrFailed          = &Error{Status: statusFailed}
	ErrTooLarge        = &Error{Status: statusTooLarge}
	ErrPanic           = &Error{Status: statusPanic}
)

func newError(status int, msg string) error {
	if status == statusOK {
		return nil
	}
	return &Error{Status: status, Message: msg}
}
