package fakegraph

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/waorder/waorder/whatsapp"
)

// Response is how the fake answers one message send. The zero Response means "no opinion" (see WithResponder).
type Response struct {
	Status int
	// Body is sent as it is. Nil with a 2xx Status means the usual success body with a new wamid, and only
	// then does the send count as sent (OnSent, Request.WAMID).
	Body   []byte
	Header http.Header
	// Delay holds the answer back this long, or until the client gives up; a client that gives up gets nothing
	// and the send does not count as sent.
	Delay time.Duration
}

// OK is a successful send.
func OK() Response { return Response{Status: http.StatusOK} }

// Hang answers OK only after d, or never if the client gives up first: a timeout for any client with a
// shorter one.
func Hang(d time.Duration) Response { return Response{Status: http.StatusOK, Delay: d} }

// Err is a Graph API error answer with Meta's shape: {"error":{"message":"(#code) msg","type":"OAuthException",
// "code":code,"error_data":{"messaging_product":"whatsapp","details":msg},"fbtrace_id":...}}.
func Err(httpStatus, code int, msg string) Response {
	return Response{Status: httpStatus, Body: errorBody(code, msg)}
}

// RateLimited is HTTP 429 with code 130429: the app's message throughput was reached.
func RateLimited() Response {
	return Err(http.StatusTooManyRequests, whatsapp.CodeThroughputLimit, "Rate limit hit")
}

// PairRateLimited is code 131056: too many messages to the same recipient in a short time.
func PairRateLimited() Response {
	return Err(http.StatusBadRequest, whatsapp.CodePairRateLimit, "(Business Account, Consumer Account) pair rate limit hit")
}

// OutsideWindow is code 131047: the customer last wrote over 24 hours ago; only templates may be sent.
func OutsideWindow() Response {
	return Err(http.StatusBadRequest, whatsapp.CodeOutsideWindow, "Re-engagement message")
}

// Undeliverable is code 131026: the recipient cannot receive the message.
func Undeliverable() Response {
	return Err(http.StatusBadRequest, whatsapp.CodeUndeliverable, "Message Undeliverable")
}

// InvalidParameter is code 100 with msg as its details.
func InvalidParameter(msg string) Response {
	return Err(http.StatusBadRequest, whatsapp.CodeInvalidParameter, "Invalid parameter: "+msg)
}

// TokenExpired is HTTP 401 with code 190.
func TokenExpired() Response {
	return Err(http.StatusUnauthorized, whatsapp.CodeAccessToken, "Error validating access token: Session has expired")
}

// ServerError is HTTP 500 with code 131000, "something went wrong".
func ServerError() Response {
	return Err(http.StatusInternalServerError, whatsapp.CodeGeneric, "Something went wrong")
}

// Unavailable is HTTP 503 with code 133004, server temporarily unavailable.
func Unavailable() Response {
	return Err(http.StatusServiceUnavailable, whatsapp.CodeServerUnavailable, "Server Temporarily Unavailable")
}

// WithRetryAfter adds a Retry-After header of d, rounded up to whole seconds.
func (r Response) WithRetryAfter(d time.Duration) Response {
	r.Header = r.Header.Clone()
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	return r
}

// WithDelay holds the answer back by d, like Hang, whatever the answer is.
func (r Response) WithDelay(d time.Duration) Response {
	r.Delay = d
	return r
}

func (r Response) isZero() bool {
	return r.Status == 0 && r.Body == nil && r.Header == nil && r.Delay == 0
}

func errorBody(code int, msg string) []byte {
	type errorData struct {
		MessagingProduct string `json:"messaging_product"`
		Details          string `json:"details"`
	}
	var body struct {
		Error struct {
			Message   string    `json:"message"`
			Type      string    `json:"type"`
			Code      int       `json:"code"`
			ErrorData errorData `json:"error_data"`
			TraceID   string    `json:"fbtrace_id"`
		} `json:"error"`
	}
	e := &body.Error
	e.Message, e.Type, e.Code = fmt.Sprintf("(#%d) %s", code, msg), "OAuthException", code
	e.ErrorData = errorData{MessagingProduct: "whatsapp", Details: msg}
	e.TraceID = "FAKE" + strconv.Itoa(code)
	b, _ := json.Marshal(body) // cannot fail: strings and ints only
	return b
}
