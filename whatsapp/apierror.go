package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Every error the Client returns is exactly one of:
//   - retryable (IsRetryable): try the same request again later, after RetryAfter if it is set;
//   - permanent (IsPermanent): this message will never be accepted as it is; IsOutsideWindow tells when a
//     template would be;
//   - token invalid (IsTokenInvalid): nothing for this phone number will succeed until someone gives it a new
//     access token; keep the message and pause the number;
//   - none of these: ErrUnexpectedResponse, a cancelled context before sending, or a nil error.
//
// Graph API error codes the classification knows (Meta: WhatsApp Cloud API error codes):
const (
	CodeAPIService          = 2      // service temporarily down or overloaded
	CodeAPITooManyCalls     = 4      // the app hit its Graph API call rate limit
	CodeInvalidParameter    = 100    // unsupported or misspelled parameter, or the recipient is not on WhatsApp
	CodeAccessToken         = 190    // the access token expired or was invalidated
	CodeWABARateLimit       = 80007  // the WhatsApp Business Account hit its rate limit
	CodeThroughputLimit     = 130429 // Cloud API messages-per-second throughput reached
	CodeGeneric             = 131000 // "something went wrong": unknown failure, try again
	CodeRequiredParameter   = 131008 // a required parameter is missing
	CodeParameterValue      = 131009 // a parameter value is not valid
	CodeServiceUnavailable  = 131016 // a service is temporarily unavailable
	CodeUndeliverable       = 131026 // not on WhatsApp, old client, or terms not accepted: cannot deliver
	CodeOutsideWindow       = 131047 // re-engagement: over 24 hours since the customer last wrote; use a template
	CodeUnsupportedType     = 131051 // unsupported message type
	CodePairRateLimit       = 131056 // too many messages to this one recipient in a short time
	CodeTemplateParamCount  = 132000 // template parameter count does not match the template
	CodeTemplateMissing     = 132001 // template name does not exist in that language
	CodeTemplateParamFormat = 132018 // template parameter has new lines, tabs or too many spaces
	CodeServerUnavailable   = 133004 // the server is temporarily unavailable
)

var retryableCodes = map[int]bool{
	CodeAPIService: true, CodeAPITooManyCalls: true, CodeWABARateLimit: true, CodeThroughputLimit: true,
	CodeGeneric: true, CodeServiceUnavailable: true, CodePairRateLimit: true, CodeServerUnavailable: true,
}

var permanentCodes = map[int]bool{
	CodeInvalidParameter: true, CodeRequiredParameter: true, CodeParameterValue: true, CodeUndeliverable: true,
	CodeOutsideWindow: true, CodeUnsupportedType: true, CodeTemplateParamCount: true, CodeTemplateMissing: true,
	CodeTemplateParamFormat: true,
}

// ErrUnexpectedResponse means the Graph API answered 2xx with a body that lacks what it should hold. A send may
// have gone through, so it is neither retryable nor permanent: the caller decides.
var ErrUnexpectedResponse = errors.New("whatsapp: unexpected Graph API response")

// APIError is an error answer of the Graph API: {"error":{"message","type","code","error_subcode",
// "error_data":{"details"},"fbtrace_id"}}. Build error handling on Code (and Details), as Meta advises.
type APIError struct {
	HTTPStatus int
	Code       int
	Subcode    int
	Type       string // e.g. "OAuthException"
	Message    string // e.g. "(#131047) Re-engagement message"
	Details    string // error_data.details: the most specific reason
	TraceID    string // fbtrace_id, for Meta support
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "whatsapp: graph api error (HTTP %d, code %d", e.HTTPStatus, e.Code)
	if e.Subcode != 0 {
		fmt.Fprintf(&b, "/%d", e.Subcode)
	}
	b.WriteString("): " + e.Message)
	if e.Details != "" && e.Details != e.Message {
		b.WriteString(": " + e.Details)
	}
	if e.TraceID != "" {
		b.WriteString(" (fbtrace_id " + e.TraceID + ")")
	}
	return b.String()
}

// TransportError is a request that got no answer: connection failure, timeout, or a response cut short. The
// request may or may not have reached Meta. It never holds the request URL, which can carry secrets.
type TransportError struct {
	Op  string // what was being done: "send", "mark read", "get phone number", "exchange code"
	Err error
}

func (e *TransportError) Error() string { return "whatsapp: " + e.Op + ": " + e.Err.Error() }

func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the request timed out (the client's timeout or the context's deadline).
func (e *TransportError) Timeout() bool {
	var ne net.Error
	return errors.Is(e.Err, context.DeadlineExceeded) || (errors.As(e.Err, &ne) && ne.Timeout())
}

// ValidationError says which field of an outgoing message breaks Meta's rules, before anything is sent. Field is
// the JSON path, e.g. "interactive.action.buttons[1].reply.title". It is permanent.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	return "whatsapp: invalid message: " + e.Field + " " + e.Reason
}

// IsRetryable reports whether the same request may succeed later: transport failures and timeouts, HTTP 429 and
// 5xx, and the rate-limit and temporary-failure codes.
func IsRetryable(err error) bool {
	var te *TransportError
	if errors.As(err, &te) {
		return true
	}
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	if retryableCodes[e.Code] {
		return true
	}
	if permanentCodes[e.Code] || tokenInvalid(e) {
		return false
	}
	return e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500
}

// IsPermanent reports whether the message can never be sent as it is: an invalid message, the permanent codes
// (undeliverable, invalid parameter, outside the window, template errors, ...) and any other 4xx that is not a
// rate limit or an invalid token.
func IsPermanent(err error) bool {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return true
	}
	var e *APIError
	if !errors.As(err, &e) || IsRetryable(err) || tokenInvalid(e) {
		return false
	}
	return permanentCodes[e.Code] || (e.HTTPStatus >= 400 && e.HTTPStatus < 500)
}

// IsTokenInvalid reports whether the access token was refused (code 190, or HTTP 401).
func IsTokenInvalid(err error) bool {
	var e *APIError
	return errors.As(err, &e) && tokenInvalid(e)
}

func tokenInvalid(e *APIError) bool {
	return e.Code == CodeAccessToken || e.HTTPStatus == http.StatusUnauthorized
}

// IsOutsideWindow reports whether the customer last wrote over 24 hours ago, so only a template may be sent
// (code 131047). Such errors are also permanent.
func IsOutsideWindow(err error) bool { return hasCode(err, CodeOutsideWindow) }

// IsPairRateLimited reports whether too many messages went to this one recipient lately (code 131056). Such
// errors are also retryable; back off for this recipient only, others can still be sent to.
func IsPairRateLimited(err error) bool { return hasCode(err, CodePairRateLimit) }

func hasCode(err error, code int) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}

// RetryAfter returns how long the Graph API asked to wait (its Retry-After header), or 0.
func RetryAfter(err error) time.Duration {
	var e *APIError
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// parseAPIError reads an error answer. Meta is loose with types (codes as strings, error_data as a string), and
// a proxy in between may answer with HTML, so whatever cannot be read falls back to the HTTP status.
func parseAPIError(status int, header http.Header, body []byte) *APIError {
	e := &APIError{HTTPStatus: status, RetryAfter: parseRetryAfter(header.Get("Retry-After"))}
	var wire struct {
		Error struct {
			Message   string          `json:"message"`
			Type      string          `json:"type"`
			Code      json.RawMessage `json:"code"`
			Subcode   json.RawMessage `json:"error_subcode"`
			ErrorData json.RawMessage `json:"error_data"`
			TraceID   string          `json:"fbtrace_id"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &wire) != nil || wire.Error.Message == "" && wire.Error.Code == nil {
		e.Message = http.StatusText(status)
		if s := strings.TrimSpace(string(body)); s != "" {
			e.Details = TruncateRunes(strings.Join(strings.Fields(s), " "), 200)
		}
		return e
	}
	w := wire.Error
	e.Code, e.Subcode = looseInt(w.Code), looseInt(w.Subcode)
	e.Type, e.Message, e.TraceID = w.Type, w.Message, w.TraceID
	var data struct {
		Details string `json:"details"`
	}
	var inString string
	if json.Unmarshal(w.ErrorData, &inString) == nil {
		w.ErrorData = []byte(inString) // error_data sent as a string holding JSON
	}
	if json.Unmarshal(w.ErrorData, &data) == nil {
		e.Details = data.Details
	}
	return e
}

// looseInt reads 131047 or "131047"; anything else is 0.
func looseInt(raw json.RawMessage) int {
	n, err := strconv.Atoi(strings.Trim(string(bytes.TrimSpace(raw)), `"`))
	if err != nil {
		return 0
	}
	return n
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
