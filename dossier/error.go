package dossier

import (
	"errors"
	"fmt"
)

// ErrorCode is a machine-readable class of application error. The API maps
// each code to one HTTP status (api/problem.go); everything else is internal.
type ErrorCode string

// The error codes.
const (
	EInvalid         ErrorCode = "invalid"         // bad input: 400
	ENotFound        ErrorCode = "not_found"       // unknown dossier, procedure…: 404
	EConflict        ErrorCode = "conflict"        // does not fit the current state: 409
	ETooLarge        ErrorCode = "too_large"       // body over the limit: 413
	EUnprocessable   ErrorCode = "unprocessable"   // well-formed but refused (amount mismatch): 422
	EUnsupported     ErrorCode = "unsupported"     // a file of a type not accepted: 415
	EUnavailable     ErrorCode = "unavailable"     // a dependency is down: 503
	EInternal        ErrorCode = "internal"        // a bug or an unexpected failure: 500
	EUnauthenticated ErrorCode = "unauthenticated" // 401
	EForbidden       ErrorCode = "forbidden"       // 403
)

// FieldError names one offending field of a request and what is wrong with it.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is the application error: a code, a message a client can act on,
// and for invalid input the offending fields.
type Error struct {
	Code    ErrorCode
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of the first *Error in err's chain, EInternal
// for any other error, and "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// Invalid collects field errors while validating a request.
type Invalid struct{ Fields []FieldError }

// Add records that field is wrong and why.
func (v *Invalid) Add(field, reason string) { v.Fields = append(v.Fields, FieldError{field, reason}) }

// Err returns nil when no field was wrong, or an EInvalid *Error listing them.
func (v *Invalid) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	msg := "the request has invalid fields: "
	for i, f := range v.Fields {
		if i > 0 {
			msg += "; "
		}
		msg += f.Field + " " + f.Reason
	}
	return &Error{Code: EInvalid, Message: msg, Fields: v.Fields}
}
