package sandbox_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/onboarding"
	"github.com/waorder/waorder/sandbox"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

// With no Meta account, a business connects a number through the simulated signup window, every step answered by
// the sandbox's fake, a refused registration retried; then Meta's account events arrive through the webhook path.
func TestSandbox_OnboardingEndToEnd(t *testing.T) {
	ctx := context.Background()
	store := testutil.SQLite(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	in := ingest.New(store, log, ingest.Options{}, nil)
	defer in.Close()
	sb := sandbox.New(in, log, "t", 0)
	defer sb.Close()
	box, _ := secretbox.New([]byte("0123456789abcdef0123456789abcdef"))
	svc := &onboarding.Service{Graph: sb.Client("v23.0"), Store: store, Box: box, AppID: sandbox.AppID, AppSecret: "sandbox-app-secret"}
	biz := models.Business{Name: "Sandbox Tacos"}
	if err := store.CreateBusiness(ctx, &biz); err != nil {
		t.Fatal(err)
	}
	code, phone, waba := sb.SimulateSignup()
	sb.FailNextRegister("blocked for now")
	_, err := svc.ConnectSignup(ctx, biz.ID, code, phone, waba, "")
	var se *onboarding.StepError
	if !errors.As(err, &se) || se.Step != models.StepRegister {
		t.Fatalf("first try: %v", err)
	}
	got, err := svc.Resume(ctx, biz.ID, "")
	if err != nil || got.Phone.MetaPhoneID != phone || len(got.PIN) != 6 {
		t.Fatalf("retry: %+v %v", got, err)
	}
	if _, err := svc.CreateOrderTemplate(ctx, biz.ID, "en_US"); err != nil {
		t.Fatal(err)
	}
	if ts, _ := store.Templates(ctx, biz.ID); len(ts) != 1 || !ts[0].Usable() {
		t.Fatalf("sandbox templates are approved at once: %+v", ts)
	}
	err = sb.AccountEvent(ctx, waba, whatsapp.FieldPhoneQualityUpdate, map[string]string{
		"display_phone_number": got.Phone.DisplayPhoneNumber, "event": "FLAGGED", "current_limit": "TIER_250"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApplyEvents(ctx, 10); err != nil {
		t.Fatal(err)
	}
	p, err := store.PhoneNumber(ctx, biz.ID, got.Phone.ID)
	if err != nil || p.Status != models.PhoneRestricted || p.MessagingLimit != "TIER_250" {
		t.Fatalf("after the event %+v %v", p, err)
	}
}
