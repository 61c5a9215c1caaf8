package fakegraph_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// The account routes check what Meta checks: the bearer, the method, the parameters and that the ids exist.
func TestServer_AccountRoutesRefuseLikeMeta(t *testing.T) {
	fake := fakegraph.New(fakegraph.WithWABA("200", "100"))
	srv := httptest.NewServer(fake)
	defer srv.Close()
	expectRefusals(t, srv.URL, []refusal{
		{"debug_token without bearer", "GET", "/v23.0/debug_token?input_token=x", "", ``, 401, 190, "access token"},
		{"debug_token without input", "GET", "/v23.0/debug_token", "Bearer app|s", ``, 400, 100, "input_token"},
		{"unknown WABA", "GET", "/v23.0/999/phone_numbers", "Bearer t", ``, 400, 100, "does not exist"},
		{"subscribe unknown WABA", "POST", "/v23.0/999/subscribed_apps", "Bearer t", `{}`, 400, 100, "does not exist"},
		{"register without product", "POST", "/v23.0/100/register", "Bearer t", `{"pin":"123456"}`, 400, 100, "messaging_product"},
		{"register short PIN", "POST", "/v23.0/100/register", "Bearer t", `{"messaging_product":"whatsapp","pin":"123"}`, 400, 131008, "6-digit"},
		{"template without examples", "POST", "/v23.0/200/message_templates", "Bearer t",
			`{"name":"x","language":"en_US","category":"UTILITY","components":[{"type":"BODY","text":"Hi {{1}}"}]}`, 400, 100, "example"},
		{"template bad category", "POST", "/v23.0/200/message_templates", "Bearer t",
			`{"name":"x","language":"en_US","category":"PROMO","components":[{"type":"BODY","text":"Hi"}]}`, 400, 100, "category"},
		{"profile too long", "POST", "/v23.0/100/whatsapp_business_profile", "Bearer t",
			`{"messaging_product":"whatsapp","about":"` + strings.Repeat("a", 140) + `"}`, 400, 100, "about"},
		{"subscribe with GET", "GET", "/v23.0/200/subscribed_apps", "Bearer t", ``, 400, 100, "Unsupported get"},
	})
	if fake.RegisteredPIN("100") != "" || len(fake.Templates("200")) != 0 || fake.Subscribed("200") {
		t.Error("a refused request changed the fake's state")
	}
}

// FailNext fails the next request of one step only, once.
func TestServer_FailNextFailsOneStepOnce(t *testing.T) {
	fake := fakegraph.New(fakegraph.WithWABA("200", "100"))
	c := inProcess(fake)
	fake.FailNext(fakegraph.KindSubscribe, fakegraph.ServerError())
	if err := c.SubscribeApp(t.Context(), "200", "tok"); err == nil {
		t.Fatal("the scripted failure did not happen")
	}
	if _, err := c.WABAPhoneNumbers(t.Context(), "200", "tok"); err != nil {
		t.Fatalf("another step failed: %v", err)
	}
	if err := c.SubscribeApp(t.Context(), "200", "tok"); err != nil || !fake.Subscribed("200") {
		t.Fatalf("second try: %v", err)
	}
}
