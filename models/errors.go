package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

// Error codes: what kind of failure an error is. Callers decide on the code (ErrorCode), never on an error's text,
// and each door (the JSON API, the dashboard, the webhook) maps a code to its answer in one place.
const (
	ECONFLICT     = "conflict"     // the request fights the current state: taken, duplicate, stale, not from here
	EFORBIDDEN    = "forbidden"    // who is asking is known but may not do this
	EINTERNAL     = "internal"     // anything without a code: a bug or a failure nobody planned for
	EINVALID      = "invalid"      // bad input; Field names it
	ENOTFOUND     = "not_found"    // no such thing (for this business)
	ERATELIMITED  = "rate_limited" // too many tries; wait before the next
	EUNAUTHORIZED = "unauthorized" // who is asking is not proven
	EUNAVAILABLE  = "unavailable"  // a dependency could not be asked; the same request may work later
)

// Error is a failure a caller decides on by its Code. Message is for the person who caused it; Field names the input
// an EINVALID error is about (or the key an ECONFLICT one is). Err is the sentinel an error made With is an instance of,
// so errors.Is finds it, or the cause a reader may word itself (a *HoursError), so errors.As finds it.
type Error struct {
	Code    string
	Field   string
	Message string
	Err     error
}

// With is e with detail added to its message (what exactly was refused); errors.Is(err, e) still holds.
func (e *Error) With(detail string) *Error {
	return &Error{Code: e.Code, Field: e.Field, Message: e.Message + ": " + detail, Err: e}
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Errorf makes an Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid is bad input in one field, with a message for the person who typed it.
func Invalid(field, message string) *Error {
	return &Error{Code: EINVALID, Field: field, Message: message}
}

// AsError finds the first *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e, true
	}
	return nil, false
}

// ErrorCode is the code of the first *Error in err's chain: "" for nil; for an error that carries none, EUNAVAILABLE
// when it is an outage by the standard library's own errors (IsOutage), else EINTERNAL. The repository gives its
// drivers' outages the EUNAVAILABLE code itself, so a door decides on this code alone.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := AsError(err); ok {
		return e.Code
	}
	if IsOutage(err) {
		return EUNAVAILABLE
	}
	return EINTERNAL
}

// IsOutage reports whether err, by the standard library's error values and types, means a dependency could not be
// reached or did not answer in time (a deadline, a refused, reset or dropped connection, a full disk), as opposed to
// a refusal or a bug: the same request may work later. Drivers' own outage errors are their package's to classify
// (repository.IsUnavailable builds on this).
func IsOutage(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	// The network: refused, reset, a broken pipe, a time-out; and a full disk.
	for _, errno := range []syscall.Errno{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		syscall.ENOSPC} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// The errors callers recognise (with errors.Is) beyond their code, all in one place. Their texts are unchanged from
// when each package kept its own.
var (
	// ErrNotFound: no such row for this business (GORM's miss and a zero-row update alike).
	ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}
	// ErrConflict: a unique key (a product's retailer id, an email) is taken. The repository answers the key's own
	// error below, which is an ErrConflict too (errors.Is) and names the key in Field.
	ErrConflict = &Error{Code: ECONFLICT, Message: "conflict"}
	// ErrRetailerIDTaken: another product of the business has this retailer id.
	ErrRetailerIDTaken = &Error{Code: ECONFLICT, Field: "retailer_id", Message: "another product already uses this retailer id",
		Err: ErrConflict}
	// ErrEmailTaken: another login has this email.
	ErrEmailTaken = &Error{Code: ECONFLICT, Field: "email", Message: "another login already uses this email", Err: ErrConflict}
	// ErrDuplicate: an order with the same source key exists; the cause already ran.
	ErrDuplicate = &Error{Code: ECONFLICT, Message: "duplicate"}
	// ErrInvalidTransition: the order's status may not move that way from where it is.
	ErrInvalidTransition = &Error{Code: ECONFLICT, Message: "invalid status transition"}
	// ErrStale: a conversation changed since it was read; the caller retries with fresh state.
	ErrStale = &Error{Code: ECONFLICT, Message: "stale conversation"}
	// ErrLeaseLost: another worker owns the outbound message now.
	ErrLeaseLost = &Error{Code: ECONFLICT, Message: "outbound message lease lost"}
	// ErrNumberTaken: the phone number is connected to another business.
	ErrNumberTaken = &Error{Code: ECONFLICT, Message: "phone number belongs to another business"}
	// ErrBackupPostgres: PostgreSQL is backed up with its own tools (pg_dump), not by the service.
	ErrBackupPostgres = &Error{Code: EINVALID, Message: "the database is PostgreSQL: back it up with pg_dump (see README), not with admin backup"}
	// ErrWindowClosed: a hand-written reply outside the customer's 24-hour window; WhatsApp only delivers an
	// approved template then.
	ErrWindowClosed = Invalid("text", "the customer last wrote more than 24 hours ago: WhatsApp only delivers an approved template now")
	// ErrNoNumber: templates need a connected number.
	ErrNoNumber = Invalid("form", "Connect a WhatsApp number first.")

	ErrBadCredentials = &Error{Code: EUNAUTHORIZED, Message: "auth: wrong email or password"}
	ErrNoSession      = &Error{Code: EUNAUTHORIZED, Message: "auth: no valid session"}
	ErrBadToken       = &Error{Code: EUNAUTHORIZED, Message: "auth: invalid api token"}
	ErrForbidden      = &Error{Code: EFORBIDDEN, Message: "auth: only the business owner can do this"}
	ErrLinkUsed       = &Error{Code: ENOTFOUND, Message: "auth: this link was already used or has expired"}
	ErrRateLimited    = &Error{Code: ERATELIMITED, Message: "auth: too many failed logins"}
	ErrWeakPassword   = Errorf(EINVALID, "auth: password must be at least %d characters", MinPasswordLength)
	// ErrBusy: every password-hashing slot stayed taken while the request waited; answer 503 and let it retry.
	ErrBusy = &Error{Code: EUNAVAILABLE, Message: "auth: too many password checks at once"}

	// ErrCacheUnavailable: Valkey could not be asked (down, or its circuit is open); the caller falls back to what
	// it can decide alone.
	ErrCacheUnavailable = &Error{Code: EUNAVAILABLE, Message: "cache: valkey unavailable"}
	// ErrIngestClosed: the webhook batcher is shutting down; Meta redelivers what it was not told was stored.
	ErrIngestClosed = &Error{Code: EUNAVAILABLE, Message: "ingest: closed"}
)

// AsInvalid finds the first *Error in err's chain if it is bad input (EINVALID), to show its message at its field.
func AsInvalid(err error) (*Error, bool) {
	e, ok := AsError(err)
	return e, ok && e.Code == EINVALID
}
