package onboarding_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// connected connects phoneID for the env's business and returns the stored number.
func (e *env) connected(t *testing.T) models.PhoneNumber {
	t.Helper()
	got, err := e.svc.ConnectSignup(context.Background(), e.biz.ID, "code-"+testutil.RandomHex(4), phoneID, wabaID, "")
	if err != nil {
		t.Fatal(err)
	}
	return got.Phone
}

// deliver stores a webhook with one change of field as Meta would send it, through ingestion, then applies
// account events.
func (e *env) deliver(t *testing.T, field, value string) {
	t.Helper()
	in := ingest.New(e.store, slog.New(slog.NewTextHandler(io.Discard, nil)), ingest.Options{}, nil)
	defer in.Close()
	body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"time":%d,"changes":[{"field":%q,"value":%s}]}]}`,
		wabaID, time.Now().Unix(), field, value)
	if err := in.Accept(context.Background(), []byte(body)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ApplyEvents(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
}

func (e *env) phone(t *testing.T) models.PhoneNumber {
	t.Helper()
	ps := e.phones(t)
	if len(ps) != 1 {
		t.Fatalf("phones %+v", ps)
	}
	return ps[0]
}

func TestHealth_FlaggedNumberPausesSendingUntilUnflagged(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *repository.Store) {
		e := newEnv(t, open)
		e.connected(t)
		e.deliver(t, "phone_number_quality_update", `{"display_phone_number":"15551234567","event":"FLAGGED","current_limit":"TIER_1K"}`)
		p := e.phone(t)
		if p.Status != models.PhoneRestricted || p.QualityRating != "RED" || !strings.Contains(p.StatusReason, "flagged") {
			t.Fatalf("after FLAGGED %+v", p)
		}
		bs, err := e.svc.Banners(context.Background(), e.biz, []models.PhoneNumber{p})
		if err != nil || len(bs) != 1 || !bs[0].Danger || !strings.Contains(bs[0].Text, "sending is paused") {
			t.Errorf("banners %+v %v", bs, err)
		}
		e.deliver(t, "phone_number_quality_update", `{"display_phone_number":"15551234567","event":"UNFLAGGED","current_limit":"TIER_10K"}`)
		p = e.phone(t)
		if p.Status != models.PhoneConnected || p.MessagingLimit != "TIER_10K" || p.HealthNote != "" {
			t.Errorf("after UNFLAGGED %+v", p)
		}
	})
}

func TestHealth_AccountRestrictionAndBan(t *testing.T) {
	e := newEnv(t, testutil.SQLite)
	e.connected(t)
	e.deliver(t, "account_update", `{"phone_number":"15551234567","event":"ACCOUNT_RESTRICTION","restriction_info":[
		{"restriction_type":"RESTRICTED_BIZ_INITIATED_MESSAGING","expiration":"2026-12-10"}]}`)
	if p := e.phone(t); p.Status != models.PhoneRestricted || !strings.Contains(p.StatusReason, "biz initiated messaging until 2026-12-10") {
		t.Fatalf("after restriction %+v", p)
	}
	e.deliver(t, "account_update", `{"event":"ACCOUNT_RESTRICTION","restriction_info":[]}`)
	if p := e.phone(t); p.Status != models.PhoneConnected {
		t.Fatalf("after lifting %+v", p)
	}
	e.deliver(t, "account_update", `{"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"DISABLE","waba_ban_date":"2026-12-01"}}`)
	if p := e.phone(t); p.Status != models.PhoneRestricted {
		t.Fatalf("after ban %+v", p)
	}
	e.deliver(t, "account_update", `{"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"REINSTATE"}}`)
	if p := e.phone(t); p.Status != models.PhoneConnected {
		t.Fatalf("after reinstatement %+v", p)
	}
	e.deliver(t, "account_update", `{"event":"ACCOUNT_VIOLATION","violation_info":{"violation_type":"SPAM"}}`)
	if p := e.phone(t); p.Status != models.PhoneConnected || !strings.Contains(p.HealthNote, "spam") {
		t.Fatalf("after violation %+v", p)
	}
}

func TestHealth_NameDecisions(t *testing.T) {
	e := newEnv(t, testutil.SQLite)
	e.connected(t)
	e.deliver(t, "phone_number_name_update", `{"display_phone_number":"15551234567","decision":"REJECTED",
		"requested_verified_name":"Best Pizza Ever","rejection_reason":"NAME_FORMAT_UNACCEPTABLE"}`)
	if p := e.phone(t); p.VerifiedName != "Joe's Pizza" || !strings.Contains(p.HealthNote, "name format unacceptable") {
		t.Fatalf("after rejection %+v", p)
	}
	e.deliver(t, "phone_number_name_update", `{"display_phone_number":"15551234567","decision":"APPROVED","requested_verified_name":"Joe's Pizzeria"}`)
	if p := e.phone(t); p.VerifiedName != "Joe's Pizzeria" || p.HealthNote != "" {
		t.Fatalf("after approval %+v", p)
	}
}

func TestHealth_TokenErrorsAreNotOverwrittenByHealthEvents(t *testing.T) {
	e := newEnv(t, testutil.SQLite)
	p := e.connected(t)
	if err := e.store.SetPhoneStatus(context.Background(), e.biz.ID, p.ID, models.PhoneTokenExpired, "190"); err != nil {
		t.Fatal(err)
	}
	e.deliver(t, "phone_number_quality_update", `{"display_phone_number":"15551234567","event":"UNFLAGGED","current_limit":"TIER_1K"}`)
	if p := e.phone(t); p.Status != models.PhoneTokenExpired {
		t.Errorf("status %s", p.Status)
	}
}

func TestTokenCheck_WarnsBeforeExpiryAndPausesWhenInvalid(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *repository.Store) {
		e := newEnv(t, open)
		p := e.connected(t)
		now := time.Now()
		e.svc.Now = func() time.Time { return now.Add(25 * time.Hour) } // the connect's check is a day old
		exp := now.Add(3 * 24 * time.Hour).Truncate(time.Second)
		e.fake.Reset()
		e.fake.FailNext(fakegraph.KindDebugToken, fakegraph.Response{Status: 200, Body: []byte(fmt.Sprintf(
			`{"data":{"app_id":%q,"type":"USER","is_valid":true,"expires_at":%d,"scopes":["whatsapp_business_management","whatsapp_business_messaging"]}}`,
			appID, exp.Unix()))})
		if n, err := e.svc.CheckTokens(context.Background(), 10); err != nil || n != 1 {
			t.Fatalf("checked %d, %v", n, err)
		}
		p = e.phone(t)
		if p.TokenExpiresAt == nil || !p.TokenExpiresAt.Equal(exp) || p.Status != models.PhoneConnected {
			t.Fatalf("after check %+v", p)
		}
		bs, _ := e.svc.Banners(context.Background(), e.biz, []models.PhoneNumber{p})
		if len(bs) != 1 || !strings.Contains(bs[0].Text, "expires on") {
			t.Errorf("banners %+v", bs)
		}
		// Checked today: not asked again.
		if n, _ := e.svc.CheckTokens(context.Background(), 10); n != 0 {
			t.Errorf("checked again the same day: %d", n)
		}
		// A day later Meta says the token is gone.
		e.svc.Now = func() time.Time { return now.Add(50 * time.Hour) }
		e.fake.Revoke("FAKE-TOKEN-1")
		if _, err := e.svc.CheckTokens(context.Background(), 10); err != nil {
			t.Fatal(err)
		}
		if p := e.phone(t); p.Status != models.PhoneTokenExpired {
			t.Errorf("after revocation %+v", p)
		}
		r := e.fake.Requests()[0]
		if r.Kind != fakegraph.KindDebugToken || r.Token() != appID+"|"+appSecret || !strings.Contains(r.Query, "input_token=FAKE-TOKEN-1") {
			t.Errorf("debug_token request %+v", r)
		}
	})
}
