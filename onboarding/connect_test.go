package onboarding_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/onboarding"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// TestConnectSignup_RunsEveryStepAgainstMeta checks each request Meta receives (path, method, parameters, bearer)
// and what is stored at the end.
func TestConnectSignup_RunsEveryStepAgainstMeta(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *repository.Store) {
		e := newEnv(t, open)
		got, err := e.svc.ConnectSignup(context.Background(), e.biz.ID, "code-1", phoneID, wabaID, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.PIN) != 6 || e.fake.RegisteredPIN(phoneID) != got.PIN {
			t.Errorf("generated PIN %q, registered with %q", got.PIN, e.fake.RegisteredPIN(phoneID))
		}
		reqs := e.fake.Requests()
		want := []struct{ kind, method, path, bearer string }{
			{fakegraph.KindOAuth, "GET", "/" + version + "/oauth/access_token", ""},
			{fakegraph.KindDebugToken, "GET", "/" + version + "/debug_token", appID + "|" + appSecret},
			{fakegraph.KindWABAPhones, "GET", "/" + version + "/" + wabaID + "/phone_numbers", "FAKE-TOKEN-1"},
			{fakegraph.KindSubscribe, "POST", "/" + version + "/" + wabaID + "/subscribed_apps", "FAKE-TOKEN-1"},
			{fakegraph.KindRegister, "POST", "/" + version + "/" + phoneID + "/register", "FAKE-TOKEN-1"},
			{fakegraph.KindPhoneNumber, "GET", "/" + version + "/" + phoneID, "FAKE-TOKEN-1"},
		}
		if len(reqs) != len(want) {
			t.Fatalf("%d requests: %+v", len(reqs), reqs)
		}
		for i, w := range want {
			r := reqs[i]
			if r.Kind != w.kind || r.Method != w.method || r.Path != w.path || r.Token() != w.bearer || r.Status != 200 {
				t.Errorf("request %d = %s %s %s bearer %q → %d; want %+v", i, r.Kind, r.Method, r.Path, r.Token(), r.Status, w)
			}
		}
		q, _ := url.ParseQuery(reqs[0].Query)
		if q.Get("client_id") != appID || q.Get("client_secret") != appSecret || q.Get("code") != "code-1" {
			t.Errorf("exchange query %q", reqs[0].Query)
		}
		if q, _ := url.ParseQuery(reqs[1].Query); q.Get("input_token") != "FAKE-TOKEN-1" {
			t.Errorf("debug_token query %q", reqs[1].Query)
		}
		var reg map[string]string
		if err := json.Unmarshal(reqs[4].Body, &reg); err != nil || reg["messaging_product"] != "whatsapp" || reg["pin"] != got.PIN {
			t.Errorf("register body %s", reqs[4].Body)
		}
		if !strings.Contains(reqs[5].Query, "messaging_limit_tier") || !strings.Contains(reqs[5].Query, "quality_rating") {
			t.Errorf("details query %q", reqs[5].Query)
		}
		if !e.fake.Subscribed(wabaID) {
			t.Error("app not subscribed to the WABA")
		}
		ps := e.phones(t)
		if len(ps) != 1 {
			t.Fatalf("phones %+v", ps)
		}
		p := ps[0]
		if p.MetaPhoneID != phoneID || p.WABAID != wabaID || p.DisplayPhoneNumber != "+1 555-123-4567" ||
			p.VerifiedName != "Joe's Pizza" || p.QualityRating != "GREEN" || p.MessagingLimit != "TIER_1K" ||
			p.Status != models.PhoneConnected || p.TokenCheckedAt == nil {
			t.Errorf("stored %+v", p)
		}
		if tok, err := e.svc.Box.Open(p.AccessTokenEnc); err != nil || tok != "FAKE-TOKEN-1" {
			t.Errorf("stored token %q, %v", tok, err)
		}
		if _, ok, _ := e.svc.Attempt(context.Background(), e.biz.ID); ok {
			t.Error("attempt kept after success")
		}
	})
}

// TestConnect_EachStepFailureKeepsMetasMessageAndRetryResumes fails every step in turn: nothing is stored, Meta's
// message is kept, and the retry starts at the failed step (the steps before are not asked again).
func TestConnect_EachStepFailureKeepsMetasMessageAndRetryResumes(t *testing.T) {
	steps := []struct{ kind, step string }{
		{fakegraph.KindDebugToken, models.StepToken},
		{fakegraph.KindWABAPhones, models.StepOwnership},
		{fakegraph.KindSubscribe, models.StepSubscribe},
		{fakegraph.KindRegister, models.StepRegister},
		{fakegraph.KindPhoneNumber, models.StepDetails},
	}
	eachBackend(t, func(t *testing.T, open func(testing.TB) *repository.Store) {
		for _, st := range steps {
			t.Run(st.step, func(t *testing.T) {
				e := newEnv(t, open)
				e.fake.FailNext(st.kind, fakegraph.Err(http.StatusBadRequest, 100, "Step "+st.kind+" is broken today"))
				_, err := e.svc.ConnectSignup(context.Background(), e.biz.ID, "code-1", phoneID, wabaID, "123456")
				var se *onboarding.StepError
				if !errors.As(err, &se) || se.Step != st.step || !strings.Contains(se.Message, "Step "+st.kind+" is broken today") {
					t.Fatalf("error %v", err)
				}
				if ps := e.phones(t); len(ps) != 0 {
					t.Fatalf("half-saved number %+v", ps)
				}
				a, ok, err := e.svc.Attempt(context.Background(), e.biz.ID)
				if err != nil || !ok || a.Step != st.step || !strings.Contains(a.LastError, "broken today") {
					t.Fatalf("attempt %+v %v %v", a, ok, err)
				}
				e.fake.Reset()
				if _, err := e.svc.Resume(context.Background(), e.biz.ID, ""); err != nil {
					t.Fatal(err)
				}
				first := e.fake.Requests()[0]
				if first.Kind != st.kind {
					t.Errorf("retry started with %s, want %s", first.Kind, st.kind)
				}
				for _, r := range e.fake.Requests() {
					if r.Kind == fakegraph.KindOAuth {
						t.Error("the one-time code was exchanged again")
					}
				}
				if ps := e.phones(t); len(ps) != 1 || ps[0].Status != models.PhoneConnected {
					t.Errorf("after retry %+v", ps)
				}
			})
		}
	})
}

func TestConnect_RefusesTokensMetaWouldNotHonour(t *testing.T) {
	cases := []struct {
		name string
		info fakegraph.TokenInfo
		want string
	}{
		{"invalid", fakegraph.TokenInfo{Valid: false, Scopes: []string{"whatsapp_business_management", "whatsapp_business_messaging"}}, "not valid"},
		{"no messaging scope", fakegraph.TokenInfo{Valid: true, Scopes: []string{"whatsapp_business_management"}}, "permissions"},
		{"other WABA", fakegraph.TokenInfo{Valid: true, Scopes: []string{"whatsapp_business_management", "whatsapp_business_messaging"},
			WABAs: []string{"999"}}, "not given access"},
		{"expired", fakegraph.TokenInfo{Valid: true, Scopes: []string{"whatsapp_business_management", "whatsapp_business_messaging"},
			ExpiresAt: time.Now().Add(-time.Hour)}, "expired"},
	}
	const token = "EAAG-pasted-system-user-token"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, testutil.SQLite, fakegraph.WithTokenInfo(token, c.info))
			_, err := e.svc.ConnectManual(context.Background(), e.biz.ID, phoneID, wabaID, token, "")
			var se *onboarding.StepError
			if !errors.As(err, &se) || se.Step != models.StepToken || !strings.Contains(se.Message, c.want) {
				t.Fatalf("error %v", err)
			}
			if len(e.phones(t)) != 0 || e.fake.Subscribed(wabaID) {
				t.Error("went on after a refused token")
			}
		})
	}
}

func TestConnectManual_SameChecksAndStoresTokenExpiry(t *testing.T) {
	const token = "EAAG-pasted-system-user-token"
	exp := time.Now().Add(50 * 24 * time.Hour).Truncate(time.Second).UTC()
	e := newEnv(t, testutil.SQLite, fakegraph.WithTokenInfo(token, fakegraph.TokenInfo{Valid: true, ExpiresAt: exp,
		Scopes: []string{"whatsapp_business_management", "whatsapp_business_messaging"}, WABAs: []string{wabaID}}))
	got, err := e.svc.ConnectManual(context.Background(), e.biz.ID, phoneID, wabaID, token, "654321")
	if err != nil {
		t.Fatal(err)
	}
	if got.PIN != "" || e.fake.RegisteredPIN(phoneID) != "654321" {
		t.Errorf("owner's PIN: shown %q, registered %q", got.PIN, e.fake.RegisteredPIN(phoneID))
	}
	p := e.phones(t)[0]
	if p.TokenExpiresAt == nil || !p.TokenExpiresAt.Equal(exp) {
		t.Errorf("token expiry %v, want %v", p.TokenExpiresAt, exp)
	}
	kinds := []string{}
	for _, r := range e.fake.Requests() {
		kinds = append(kinds, r.Kind)
	}
	if strings.Join(kinds, ",") != "debug_token,waba_phones,subscribed_apps,register,phone_number" {
		t.Errorf("requests %v", kinds)
	}
}

func TestConnect_NumberNotInTheWABAIsRefused(t *testing.T) {
	e := newEnv(t, testutil.SQLite)
	_, err := e.svc.ConnectManual(context.Background(), e.biz.ID, "555000111222", wabaID, "EAAG-pasted-system-user-token", "")
	var se *onboarding.StepError
	if !errors.As(err, &se) || se.Step != models.StepOwnership || !strings.Contains(se.Message, "555000111222") {
		t.Fatalf("error %v", err)
	}
}

func TestConnect_WrongPINAsksForTheNumbersPIN(t *testing.T) {
	e := newEnv(t, testutil.SQLite, fakegraph.WithTwoStepPIN(phoneID, "111111"))
	_, err := e.svc.ConnectManual(context.Background(), e.biz.ID, phoneID, wabaID, "EAAG-pasted-system-user-token", "")
	var se *onboarding.StepError
	if !errors.As(err, &se) || se.Step != models.StepRegister || !strings.Contains(se.Message, "PIN does not match") {
		t.Fatalf("error %v", err)
	}
	if _, err := e.svc.Resume(context.Background(), e.biz.ID, "12"); err == nil {
		t.Error("a two-digit PIN was accepted")
	}
	got, err := e.svc.Resume(context.Background(), e.biz.ID, "111111")
	if err != nil || got.PIN != "" || got.Phone.MetaPhoneID != phoneID {
		t.Fatalf("resume %+v %v", got, err)
	}
}

func TestConnect_BadInputIsRefusedBeforeMeta(t *testing.T) {
	e := newEnv(t, testutil.SQLite)
	for _, c := range []struct{ phone, waba, token, pin string }{
		{"+1 555", wabaID, "EAAG-pasted-system-user-token", ""},
		{phoneID, "abc", "EAAG-pasted-system-user-token", ""},
		{phoneID, wabaID, "short", ""},
		{phoneID, wabaID, "EAAG-pasted-system-user-token", "12345"},
	} {
		if _, err := e.svc.ConnectManual(context.Background(), e.biz.ID, c.phone, c.waba, c.token, c.pin); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Errorf("%d requests reached Meta", n)
	}
}

func TestDisconnect_StopsSendingAndKeepsTheNumber(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *repository.Store) {
		e := newEnv(t, open)
		got, err := e.svc.ConnectSignup(context.Background(), e.biz.ID, "code-1", phoneID, wabaID, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Disconnect(context.Background(), e.biz.ID, got.Phone.ID); err != nil {
			t.Fatal(err)
		}
		ps := e.phones(t)
		if len(ps) != 1 || ps[0].Status != models.PhoneDisconnected {
			t.Fatalf("after disconnect %+v", ps)
		}
		if err := e.svc.Disconnect(context.Background(), e.biz.ID+1, got.Phone.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("another business disconnected it: %v", err)
		}
		// Connecting again (with the PIN shown the first time) resumes the same number.
		if _, err := e.svc.ConnectSignup(context.Background(), e.biz.ID, "code-2", phoneID, wabaID, got.PIN); err != nil {
			t.Fatal(err)
		}
		if ps := e.phones(t); len(ps) != 1 || ps[0].ID != got.Phone.ID || ps[0].Status != models.PhoneConnected {
			t.Errorf("after reconnect %+v", ps)
		}
	})
}
