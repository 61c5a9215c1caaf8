package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

const (
	phoneID = "106540352242922"
	token   = "EAAG-secret-token"
	version = "v23.0"
)

// newFake serves a fake Graph API on a real port and returns a client for it.
func newFake(t *testing.T, opts ...fakegraph.Option) (*fakegraph.Server, *whatsapp.Client) {
	t.Helper()
	fake := fakegraph.New(opts...)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, whatsapp.NewClient(srv.URL+"/", version, nil)
}

func textPayload(t *testing.T, to string) []byte {
	t.Helper()
	m, err := whatsapp.NewText(to, "Your order is confirmed", false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	return b
}

func TestClient_Send(t *testing.T) {
	fake, c := newFake(t)
	payload := textPayload(t, "15551234567")
	wamid, err := c.Send(context.Background(), phoneID, token, payload)
	if err != nil {
		t.Fatal(err)
	}
	if wamid != "wamid.FAKE1" {
		t.Errorf("wamid = %q", wamid)
	}
	sent := fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d sends recorded", len(sent))
	}
	r := sent[0]
	if r.Method != http.MethodPost || r.Path != "/"+version+"/"+phoneID+"/messages" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if r.Authorization != "Bearer "+token {
		t.Errorf("Authorization = %q", r.Authorization)
	}
	if string(r.Body) != string(payload) {
		t.Errorf("body = %s, want %s", r.Body, payload)
	}
	if r.Status != http.StatusOK || r.WAMID != wamid || r.To != "15551234567" || r.MetaPhoneID != phoneID {
		t.Errorf("recorded %+v", r)
	}
}

func TestClient_SendMessage(t *testing.T) {
	fake, c := newFake(t)
	m, err := whatsapp.NewReplyButtons("15551234567", "Confirm?", []whatsapp.Button{{ID: "yes", Title: "Yes"}})
	if err != nil {
		t.Fatal(err)
	}
	if wamid, err := c.SendMessage(context.Background(), phoneID, token, m); err != nil || wamid == "" {
		t.Fatalf("SendMessage = %q, %v", wamid, err)
	}
	var back whatsapp.OutgoingMessage
	if err := json.Unmarshal(fake.Sent()[0].Body, &back); err != nil || !reflect.DeepEqual(back, m) {
		t.Errorf("sent %s (%v)", fake.Sent()[0].Body, err)
	}

	// An invalid message fails before anything is sent.
	m.Interactive.Action.Buttons[0].Reply.Title = strings.Repeat("x", 21)
	_, err = c.SendMessage(context.Background(), phoneID, token, m)
	var ve *whatsapp.ValidationError
	if !errors.As(err, &ve) || !whatsapp.IsPermanent(err) {
		t.Errorf("want a permanent *ValidationError, got %v", err)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Errorf("%d requests, want the first one only", n)
	}
}

func TestClient_MarkRead(t *testing.T) {
	fake, c := newFake(t)
	ctx := context.Background()
	if err := c.MarkRead(ctx, phoneID, token, "wamid.IN1", false); err != nil {
		t.Fatal(err)
	}
	if err := c.MarkRead(ctx, phoneID, token, "wamid.IN2", true); err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	want := []string{
		`{"messaging_product":"whatsapp","status":"read","message_id":"wamid.IN1"}`,
		`{"messaging_product":"whatsapp","status":"read","message_id":"wamid.IN2","typing_indicator":{"type":"text"}}`,
	}
	for i, w := range want {
		if reqs[i].Kind != fakegraph.KindMarkRead || string(reqs[i].Body) != w || reqs[i].Path != "/"+version+"/"+phoneID+"/messages" {
			t.Errorf("request %d: %s %s %s, want body %s", i, reqs[i].Kind, reqs[i].Path, reqs[i].Body, w)
		}
	}
	if len(fake.Sent()) != 0 {
		t.Error("marking read is not a send")
	}
}

func TestClient_PhoneNumber(t *testing.T) {
	want := whatsapp.PhoneNumberInfo{ID: phoneID, DisplayPhoneNumber: "+1 555-123-4567", VerifiedName: "Joe's Pizza",
		QualityRating: "GREEN"}
	fake, c := newFake(t, fakegraph.WithPhoneNumber(fakegraph.PhoneNumber{ID: want.ID,
		DisplayPhoneNumber: want.DisplayPhoneNumber, VerifiedName: want.VerifiedName, QualityRating: want.QualityRating}), fakegraph.WithRevokedToken("old"))
	got, err := c.PhoneNumber(context.Background(), phoneID, token)
	if err != nil || got != want {
		t.Fatalf("PhoneNumber = %+v, %v", got, err)
	}
	r := fake.Requests()[0]
	if r.Method != http.MethodGet || r.Path != "/"+version+"/"+phoneID || r.Authorization != "Bearer "+token ||
		r.Query != "fields=display_phone_number,verified_name,quality_rating" {
		t.Errorf("request %+v", r)
	}
	if _, err := c.PhoneNumber(context.Background(), phoneID, "old"); !whatsapp.IsTokenInvalid(err) {
		t.Errorf("a revoked token: want IsTokenInvalid, got %v", err)
	}
}

func TestClient_ExchangeCode(t *testing.T) {
	fake, c := newFake(t, fakegraph.WithApp("app-1", "app-secret"))
	ctx := context.Background()
	got, err := c.ExchangeCode(ctx, "app-1", "app-secret", "code-1")
	if err != nil || got == "" {
		t.Fatalf("ExchangeCode = %q, %v", got, err)
	}
	r := fake.Requests()[0]
	if r.Method != http.MethodGet || r.Path != "/"+version+"/oauth/access_token" || r.Authorization != "" ||
		r.Query != "client_id=app-1&client_secret=app-secret&code=code-1" {
		t.Errorf("request %+v", r)
	}
	_, err = c.ExchangeCode(ctx, "app-1", "app-secret", "code-1")
	var apiErr *whatsapp.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 100 || !whatsapp.IsPermanent(err) {
		t.Errorf("a used code: got %v", err)
	}
	if _, err = c.ExchangeCode(ctx, "app-1", "wrong", "code-2"); !errors.As(err, &apiErr) || apiErr.HTTPStatus != 400 {
		t.Errorf("a wrong secret: got %v", err)
	}
}

// Each scripted failure reaches the caller as the typed error the send queue classifies.
func TestClient_TypedErrors(t *testing.T) {
	type check func(error) bool
	cases := []struct {
		name   string
		resp   fakegraph.Response
		status int
		code   int
		checks []check
	}{
		{"429 rate limit", fakegraph.RateLimited(), 429, 130429, []check{whatsapp.IsRetryable}},
		{"500", fakegraph.ServerError(), 500, 131000, []check{whatsapp.IsRetryable}},
		{"503", fakegraph.Unavailable(), 503, 133004, []check{whatsapp.IsRetryable}},
		{"outside window", fakegraph.OutsideWindow(), 400, 131047, []check{whatsapp.IsOutsideWindow, whatsapp.IsPermanent}},
		{"pair rate limit", fakegraph.PairRateLimited(), 400, 131056, []check{whatsapp.IsPairRateLimited, whatsapp.IsRetryable}},
		{"token expired", fakegraph.TokenExpired(), 401, 190, []check{whatsapp.IsTokenInvalid}},
		{"invalid parameter", fakegraph.InvalidParameter("to"), 400, 100, []check{whatsapp.IsPermanent}},
		{"undeliverable", fakegraph.Undeliverable(), 400, 131026, []check{whatsapp.IsPermanent}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake, client := newFake(t)
			fake.Script(c.resp)
			_, err := client.Send(context.Background(), phoneID, token, textPayload(t, "1555"))
			var apiErr *whatsapp.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("want *APIError, got %T %v", err, err)
			}
			if apiErr.HTTPStatus != c.status || apiErr.Code != c.code || apiErr.Message == "" || apiErr.TraceID == "" {
				t.Errorf("got %+v", apiErr)
			}
			for i, ok := range c.checks {
				if !ok(err) {
					t.Errorf("check %d is false for %v", i, err)
				}
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the token: %v", err)
			}
			// The script is used up: the next send goes through.
			if _, err := client.Send(context.Background(), phoneID, token, textPayload(t, "1555")); err != nil {
				t.Errorf("after the script: %v", err)
			}
		})
	}
}

func TestClient_AuthAndBodyChecks(t *testing.T) {
	_, c := newFake(t, fakegraph.WithRevokedToken("revoked"))
	ctx := context.Background()
	for _, tok := range []string{"", "revoked"} {
		_, err := c.Send(ctx, phoneID, tok, textPayload(t, "1555"))
		var apiErr *whatsapp.APIError
		if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 401 || apiErr.Code != 190 || !whatsapp.IsTokenInvalid(err) {
			t.Errorf("token %q: got %v", tok, err)
		}
	}
	for _, body := range []string{`not json`, `{"messaging_product":"sms","to":"1","type":"text","text":{"body":"x"}}`,
		`{"messaging_product":"whatsapp","to":"1","type":"text","text":{"body":""}}`} {
		_, err := c.Send(ctx, phoneID, token, []byte(body))
		var apiErr *whatsapp.APIError
		if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 400 || apiErr.Code != 100 || !whatsapp.IsPermanent(err) {
			t.Errorf("body %s: got %v", body, err)
		}
	}
}

func TestClient_RetryAfter(t *testing.T) {
	fake, c := newFake(t)
	fake.Script(fakegraph.RateLimited().WithRetryAfter(3 * time.Second))
	_, err := c.Send(context.Background(), phoneID, token, textPayload(t, "1555"))
	if got := whatsapp.RetryAfter(err); got != 3*time.Second {
		t.Errorf("RetryAfter = %v (%v)", got, err)
	}
}

func TestClient_HangBecomesRetryableTimeout(t *testing.T) {
	check := func(t *testing.T, fake *fakegraph.Server, c *whatsapp.Client) {
		fake.Script(fakegraph.Hang(10 * time.Second))
		start := time.Now()
		_, err := c.Send(context.Background(), phoneID, token, textPayload(t, "1555"))
		var te *whatsapp.TransportError
		if !errors.As(err, &te) || !te.Timeout() || !whatsapp.IsRetryable(err) {
			t.Fatalf("want a retryable timeout *TransportError, got %T %v", err, err)
		}
		if time.Since(start) > 5*time.Second {
			t.Error("the client waited for the fake instead of timing out")
		}
		if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "http") {
			t.Errorf("the error shows the request: %v", err)
		}
		if r := fake.Sent()[0]; r.Status != 0 || r.WAMID != "" {
			t.Errorf("a send the client gave up on was recorded as answered: %+v", r)
		}
	}
	httpClient := &http.Client{Timeout: 100 * time.Millisecond}
	t.Run("over a socket", func(t *testing.T) {
		fake := fakegraph.New()
		srv := httptest.NewServer(fake)
		defer srv.Close() // returns only once the fake's handler has given up too
		check(t, fake, whatsapp.NewClient(srv.URL, version, httpClient))
	})
	t.Run("in process", func(t *testing.T) {
		fake := fakegraph.New()
		check(t, fake, whatsapp.NewClient("http://graph.invalid", version,
			&http.Client{Timeout: 100 * time.Millisecond, Transport: fakegraph.Transport(fake)}))
	})
	t.Run("context deadline", func(t *testing.T) {
		fake, c := newFake(t)
		fake.Script(fakegraph.Hang(10 * time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Send(ctx, phoneID, token, textPayload(t, "1555"))
		var te *whatsapp.TransportError
		if !errors.As(err, &te) || !te.Timeout() || !whatsapp.IsRetryable(err) {
			t.Fatalf("want a retryable timeout *TransportError, got %T %v", err, err)
		}
	})
}

func TestClient_ErrorsNeverShowSecrets(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c := whatsapp.NewClient(url, version, nil)
	_, err := c.ExchangeCode(context.Background(), "app-1", "app-secret-value", "code-value")
	var te *whatsapp.TransportError
	if !errors.As(err, &te) || !whatsapp.IsRetryable(err) {
		t.Fatalf("want *TransportError, got %T %v", err, err)
	}
	_, err2 := c.Send(context.Background(), phoneID, token, textPayload(t, "1555"))
	for _, e := range []error{err, err2} {
		for _, secret := range []string{"app-secret-value", "code-value", token} {
			if strings.Contains(e.Error(), secret) {
				t.Errorf("error %q shows %q", e, secret)
			}
		}
	}
}

func TestClient_UnexpectedSuccessBody(t *testing.T) {
	_, c := newFake(t, fakegraph.WithResponder(func(fakegraph.Request) fakegraph.Response {
		return fakegraph.Response{Status: 200, Body: []byte(`{"messaging_product":"whatsapp","messages":[]}`)}
	}))
	_, err := c.Send(context.Background(), phoneID, token, textPayload(t, "1555"))
	if !errors.Is(err, whatsapp.ErrUnexpectedResponse) || whatsapp.IsRetryable(err) || whatsapp.IsPermanent(err) {
		t.Errorf("got %v", err)
	}
}

func TestClient_CancelledContext(t *testing.T) {
	fake, c := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Send(ctx, phoneID, token, textPayload(t, "1555")); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
	if len(fake.Requests()) != 0 {
		t.Error("a cancelled call still reached the server")
	}
}

func TestClient_RefusesEmptyPhoneNumberID(t *testing.T) {
	fake, c := newFake(t)
	ctx := context.Background()
	_, err1 := c.Send(ctx, "", token, textPayload(t, "1555"))
	err2 := c.MarkRead(ctx, " ", token, "wamid.X", false)
	_, err3 := c.PhoneNumber(ctx, "", token)
	for _, err := range []error{err1, err2, err3} {
		var ve *whatsapp.ValidationError
		if !errors.As(err, &ve) || ve.Field != "phone_number_id" {
			t.Errorf("got %v", err)
		}
	}
	if len(fake.Requests()) != 0 {
		t.Error("a request was made without a phone number id")
	}
}
