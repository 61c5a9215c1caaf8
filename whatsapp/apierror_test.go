package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseAPIError_MetaShape(t *testing.T) {
	body := `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,
		"error_subcode":2494010,"error_data":{"messaging_product":"whatsapp",
		"details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
		"fbtrace_id":"A2X9x0Z"}}`
	e := parseAPIError(400, http.Header{}, []byte(body))
	want := APIError{HTTPStatus: 400, Code: 131047, Subcode: 2494010, Type: "OAuthException",
		Message: "(#131047) Re-engagement message", TraceID: "A2X9x0Z",
		Details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number."}
	if *e != want {
		t.Errorf("got %+v\nwant %+v", *e, want)
	}
	for _, part := range []string{"HTTP 400", "131047/2494010", "Re-engagement", "24 hours", "A2X9x0Z"} {
		if !strings.Contains(e.Error(), part) {
			t.Errorf("Error() = %q lacks %q", e.Error(), part)
		}
	}
}

func TestParseAPIError_LooseShapes(t *testing.T) {
	cases := []struct {
		name, body       string
		code             int
		message, details string
	}{
		{"code as a string", `{"error":{"message":"(#131056) pair rate limit hit","code":"131056"}}`, 131056,
			"(#131056) pair rate limit hit", ""},
		{"error_data as a string", `{"error":{"message":"x","code":100,"error_data":"{\"details\":\"bad to\"}"}}`, 100,
			"x", "bad to"},
		{"no error_data", `{"error":{"message":"Unsupported post request","code":100,"error_subcode":33}}`, 100,
			"Unsupported post request", ""},
		{"HTML from a proxy", "<html><body>502 Bad Gateway</body></html>", 0, "Bad Gateway",
			"<html><body>502 Bad Gateway</body></html>"},
		{"empty body", "", 0, "Bad Gateway", ""},
		{"JSON without error", `{"ok":false}`, 0, "Bad Gateway", `{"ok":false}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := parseAPIError(502, http.Header{}, []byte(c.body))
			if e.Code != c.code || e.Message != c.message || e.Details != c.details || e.HTTPStatus != 502 {
				t.Errorf("got code %d message %q details %q", e.Code, e.Message, e.Details)
			}
		})
	}
}

func TestParseAPIError_RetryAfter(t *testing.T) {
	cases := map[string]time.Duration{"": 0, "7": 7 * time.Second, "-3": 0, "soon": 0,
		time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat): 90 * time.Second}
	for header, want := range cases {
		e := parseAPIError(429, http.Header{"Retry-After": {header}}, nil)
		if got := RetryAfter(e); got < want-2*time.Second || got > want {
			t.Errorf("Retry-After %q: got %v, want about %v", header, got, want)
		}
	}
	if got := RetryAfter(errors.New("x")); got != 0 {
		t.Errorf("RetryAfter of another error = %v", got)
	}
}

func TestClassification(t *testing.T) {
	api := func(status, code int) error { return &APIError{HTTPStatus: status, Code: code, Message: "m"} }
	type class struct{ retryable, permanent, token, window, pair bool }
	cases := []struct {
		name string
		err  error
		want class
	}{
		{"429 throughput 130429", api(429, 130429), class{retryable: true}},
		{"429 without code", api(429, 0), class{retryable: true}},
		{"400 throughput 130429", api(400, 130429), class{retryable: true}},
		{"500 generic 131000", api(500, 131000), class{retryable: true}},
		{"503 without code", api(503, 0), class{retryable: true}},
		{"400 app call limit 4", api(400, 4), class{retryable: true}},
		{"400 WABA limit 80007", api(400, 80007), class{retryable: true}},
		{"503 server unavailable 133004", api(503, 133004), class{retryable: true}},
		{"400 service unavailable 131016", api(400, 131016), class{retryable: true}},
		{"400 pair rate limit 131056", api(400, 131056), class{retryable: true, pair: true}},
		{"400 outside window 131047", api(400, 131047), class{permanent: true, window: true}},
		{"400 undeliverable 131026", api(400, 131026), class{permanent: true}},
		{"400 invalid parameter 100", api(400, 100), class{permanent: true}},
		{"500 invalid parameter 100", api(500, 100), class{permanent: true}},
		{"400 unsupported type 131051", api(400, 131051), class{permanent: true}},
		{"400 parameter value 131009", api(400, 131009), class{permanent: true}},
		{"400 missing parameter 131008", api(400, 131008), class{permanent: true}},
		{"400 template params 132000", api(400, 132000), class{permanent: true}},
		{"404 template missing 132001", api(404, 132001), class{permanent: true}},
		{"400 spam limit 131048 (unclassified 4xx)", api(400, 131048), class{permanent: true}},
		{"403 permission 10 (unclassified 4xx)", api(403, 10), class{permanent: true}},
		{"401 token 190", api(401, 190), class{token: true}},
		{"400 token 190", api(400, 190), class{token: true}},
		{"401 without code", api(401, 0), class{token: true}},
		{"transport", &TransportError{Op: "send", Err: errors.New("connection refused")}, class{retryable: true}},
		{"timeout", &TransportError{Op: "send", Err: context.DeadlineExceeded}, class{retryable: true}},
		{"validation", &ValidationError{Field: "to", Reason: "is required"}, class{permanent: true}},
		{"unexpected answer", fmt.Errorf("send: %w", ErrUnexpectedResponse), class{}},
		{"cancelled before sending", context.Canceled, class{}},
		{"nil", nil, class{}},
		{"wrapped pair limit", fmt.Errorf("outbox: %w", api(400, 131056)), class{retryable: true, pair: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := class{IsRetryable(c.err), IsPermanent(c.err), IsTokenInvalid(c.err), IsOutsideWindow(c.err),
				IsPairRateLimited(c.err)}
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestTransportError(t *testing.T) {
	e := &TransportError{Op: "send", Err: context.DeadlineExceeded}
	if !e.Timeout() || !errors.Is(e, context.DeadlineExceeded) {
		t.Error("a deadline is a timeout and unwraps to it")
	}
	if (&TransportError{Op: "send", Err: errors.New("connection reset")}).Timeout() {
		t.Error("a reset is not a timeout")
	}
	if got := e.Error(); got != "whatsapp: send: context deadline exceeded" {
		t.Errorf("Error() = %q", got)
	}
}
