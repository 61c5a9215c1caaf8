package fakegraph_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

const phoneID = "106540352242922"

// inProcess returns a whatsapp.Client talking to fake without a socket, as sandbox mode does.
func inProcess(fake *fakegraph.Server) *whatsapp.Client {
	return whatsapp.NewClient("http://graph.sandbox", "v23.0", &http.Client{Transport: fakegraph.Transport(fake)})
}

func send(t *testing.T, c *whatsapp.Client, to string) (string, error) {
	t.Helper()
	m, err := whatsapp.NewText(to, "hello "+to, false)
	if err != nil {
		t.Fatal(err)
	}
	return c.SendMessage(context.Background(), phoneID, "tok", m)
}

func TestServer_SuccessBodyIsMetas(t *testing.T) {
	fake := fakegraph.New()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v23.0/"+phoneID+"/messages",
		strings.NewReader(`{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"text","text":{"body":"hi"}}`))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := `{"messaging_product":"whatsapp","contacts":[{"input":"+16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.FAKE1","message_status":"accepted"}]}`
	if resp.StatusCode != 200 || string(body) != want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("got %d %s", resp.StatusCode, body)
	}
}

func TestServer_RecordsInOrderAndResets(t *testing.T) {
	fake := fakegraph.New()
	c := inProcess(fake)
	for _, to := range []string{"1", "2"} {
		if _, err := send(t, c, to); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.MarkRead(context.Background(), phoneID, "tok", "wamid.IN", true); err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	if len(reqs) != 3 || reqs[0].To != "1" || reqs[1].To != "2" || reqs[2].Kind != fakegraph.KindMarkRead {
		t.Fatalf("requests %+v", reqs)
	}
	if reqs[0].Token() != "tok" || reqs[0].Time.IsZero() || reqs[1].WAMID != "wamid.FAKE2" {
		t.Errorf("request %+v", reqs[0])
	}
	if sent := fake.Sent(); len(sent) != 2 {
		t.Errorf("Sent() has %d requests, want 2", len(sent))
	}
	fake.Script(fakegraph.ServerError())
	fake.Reset()
	if len(fake.Requests()) != 0 {
		t.Error("Reset kept requests")
	}
	if _, err := send(t, c, "3"); err != nil {
		t.Errorf("Reset kept the script: %v", err)
	}
}

func TestServer_ScriptThenSucceed(t *testing.T) {
	fake := fakegraph.New()
	c := inProcess(fake)
	fake.Script(fakegraph.RateLimited(), fakegraph.Err(500, 2, "Service temporarily unavailable"))
	fake.Script(fakegraph.OK().WithDelay(time.Millisecond))
	var got []string
	for range 4 {
		_, err := send(t, c, "1")
		got = append(got, fmt.Sprint(err != nil, whatsapp.IsRetryable(err)))
	}
	if want := "[true true true true false false false false]"; fmt.Sprint(got) != want {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	var apiErr *whatsapp.APIError
	fake.Script(fakegraph.Err(400, 131009, "Parameter value is not valid"))
	if _, err := send(t, c, "1"); !errors.As(err, &apiErr) || apiErr.Code != 131009 || apiErr.Type != "OAuthException" ||
		apiErr.Message != "(#131009) Parameter value is not valid" || apiErr.Details != "Parameter value is not valid" {
		t.Errorf("got %+v", apiErr)
	}
}

func TestServer_ResponderPerRecipient(t *testing.T) {
	fake := fakegraph.New(fakegraph.WithResponder(func(r fakegraph.Request) fakegraph.Response {
		if r.To == "blocked" {
			return fakegraph.Undeliverable()
		}
		return fakegraph.Response{} // no opinion: script, then OK
	}))
	c := inProcess(fake)
	fake.Script(fakegraph.ServerError())
	if _, err := send(t, c, "blocked"); !whatsapp.IsPermanent(err) {
		t.Errorf("blocked recipient: %v", err)
	}
	if _, err := send(t, c, "ok"); !whatsapp.IsRetryable(err) {
		t.Errorf("the script should answer the second send: %v", err)
	}
	if _, err := send(t, c, "ok"); err != nil {
		t.Error(err)
	}
}

func TestServer_OnSent(t *testing.T) {
	fake := fakegraph.New(fakegraph.WithWAMIDPrefix("wamid.RUN7-"))
	type event struct{ phone, wamid, to string }
	events := make(chan event, 10)
	fake.OnSent(func(phone, wamid, to string) { events <- event{phone, wamid, to} })
	c := inProcess(fake)
	fake.Script(fakegraph.OutsideWindow())
	if _, err := send(t, c, "1"); err == nil {
		t.Fatal("want the scripted failure")
	}
	wamid, err := send(t, c, "15551234567")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e != (event{phoneID, "wamid.RUN7-1", "15551234567"}) || wamid != e.wamid {
			t.Errorf("event %+v for wamid %s", e, wamid)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnSent was not called")
	}
	select {
	case e := <-events:
		t.Errorf("an extra event %+v: failed sends are not sent", e)
	case <-time.After(50 * time.Millisecond):
	}
}

// The callback may call back into the service, which may send again: it must not hold anything of the fake's.
func TestServer_OnSentMaySendAgain(t *testing.T) {
	fake := fakegraph.New()
	c := inProcess(fake)
	done := make(chan struct{})
	fake.OnSent(func(_, _, to string) {
		if to == "first" {
			_, _ = send(t, c, "second")
			close(done)
		}
	})
	if _, err := send(t, c, "first"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the send from the callback did not finish")
	}
}

func TestServer_Concurrent(t *testing.T) {
	fake := fakegraph.New()
	var count sync.WaitGroup
	fake.OnSent(func(string, string, string) { count.Done() })
	c := inProcess(fake)
	const n = 50
	count.Add(n)
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id, err := send(t, c, fmt.Sprint(i))
			if err != nil {
				t.Error(err)
			}
			ids <- id
			_ = fake.Requests()
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("wamid %s given twice", id)
		}
		seen[id] = true
	}
	count.Wait()
	if len(fake.Sent()) != n {
		t.Errorf("%d sends recorded", len(fake.Sent()))
	}
}

// Meta's checks: what it refuses, the fake refuses the same way.
func TestServer_RefusesLikeMeta(t *testing.T) {
	fake := fakegraph.New(fakegraph.WithApp("app", "secret"))
	srv := httptest.NewServer(fake)
	defer srv.Close()
	expectRefusals(t, srv.URL, []refusal{
		{"no token", "POST", "/v23.0/1/messages", "", `{}`, 401, 190, "access token"},
		{"not JSON", "POST", "/v23.0/1/messages", "Bearer t", `{`, 400, 100, "JSON"},
		{"wrong product", "POST", "/v23.0/1/messages", "Bearer t", `{"messaging_product":"x","to":"1","type":"text"}`, 400, 100, "messaging_product"},
		{"no recipient", "POST", "/v23.0/1/messages", "Bearer t", `{"messaging_product":"whatsapp","type":"text","text":{"body":"x"}}`, 400, 131008, "to"},
		{"BSUID in to", "POST", "/v23.0/1/messages", "Bearer t", `{"messaging_product":"whatsapp","to":"US.1349","type":"text","text":{"body":"x"}}`, 400, 100, "recipient"},
		{"title too long", "POST", "/v23.0/1/messages", "Bearer t", `{"messaging_product":"whatsapp","to":"1","type":"interactive",
			"interactive":{"type":"button","body":{"text":"b"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"123456789012345678901"}}]}}}`,
			400, 100, "buttons[0].reply.title"},
		{"read without id", "POST", "/v23.0/1/messages", "Bearer t", `{"messaging_product":"whatsapp","status":"read"}`, 400, 100, "message_id"},
		{"phone without token", "GET", "/v23.0/1", "", ``, 401, 190, "access token"},
		{"oauth without code", "GET", "/v23.0/oauth/access_token?client_id=app&client_secret=secret", "", ``, 400, 100, "code"},
		{"oauth wrong app", "GET", "/v23.0/oauth/access_token?client_id=x&client_secret=secret&code=c", "", ``, 400, 101, "application"},
		{"unknown route", "DELETE", "/v23.0/1/messages", "Bearer t", ``, 400, 100, "Unsupported"},
	})
	if n := len(fake.Sent()); n != 6 {
		t.Errorf("Sent() = %d requests; refused sends are recorded too", n)
	}
}

func TestServer_RevokeAndPhoneNumber(t *testing.T) {
	fake := fakegraph.New()
	c := inProcess(fake)
	info, err := c.PhoneNumber(context.Background(), "42", "tok")
	if err != nil || info.ID != "42" || info.DisplayPhoneNumber == "" || info.VerifiedName == "" || info.QualityRating != "GREEN" {
		t.Errorf("default phone number %+v, %v", info, err)
	}
	fake.Revoke("tok")
	if _, err := send(t, c, "1"); !whatsapp.IsTokenInvalid(err) {
		t.Errorf("after Revoke: %v", err)
	}
}

func TestServer_UnderAPrefix(t *testing.T) {
	fake := fakegraph.New()
	mux := http.NewServeMux()
	mux.Handle("/graph/", fake)
	c := whatsapp.NewClient("http://sandbox/graph", "v23.0", &http.Client{Transport: fakegraph.Transport(mux)})
	if _, err := send(t, c, "1"); err != nil {
		t.Fatal(err)
	}
	if got := fake.Sent()[0].MetaPhoneID; got != phoneID {
		t.Errorf("phone number id %q", got)
	}
}

func TestTransport_HandlerPanics(t *testing.T) {
	rt := fakegraph.Transport(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	_, err := (&http.Client{Transport: rt}).Get("http://x/")
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("got %v", err)
	}
}

func TestTransport_PassesStatusHeadersAndBody(t *testing.T) {
	rt := fakegraph.Transport(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", r.Header.Get("X-In")+r.URL.RawQuery)
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write(body)
	}))
	req, _ := http.NewRequest("POST", "http://x/p?q=1", strings.NewReader("payload"))
	req.Header.Set("X-In", "in-")
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTeapot || resp.Header.Get("X-Echo") != "in-q=1" || string(body) != "payload" {
		t.Errorf("got %d %v %q", resp.StatusCode, resp.Header, body)
	}
}
