package onboarding_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/onboarding"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

const (
	appID, appSecret = "1234567", "app-secret"
	phoneID, wabaID  = "106540352242922", "102290129340398"
	version          = "v23.0"
)

type env struct {
	svc   *onboarding.Service
	fake  *fakegraph.Server
	store *repository.Store
	biz   models.Business
}

// newEnv is a business without numbers, the service talking to a fake Graph API that knows one WABA owning phoneID.
func newEnv(t *testing.T, open func(testing.TB) *repository.Store, opts ...fakegraph.Option) *env {
	t.Helper()
	store := open(t)
	opts = append([]fakegraph.Option{fakegraph.WithApp(appID, appSecret), fakegraph.WithWABA(wabaID, phoneID),
		fakegraph.WithPhoneNumber(fakegraph.PhoneNumber{ID: phoneID, DisplayPhoneNumber: "+1 555-123-4567",
			VerifiedName: "Joe's Pizza", QualityRating: "GREEN", MessagingLimitTier: "TIER_1K"})}, opts...)
	fake := fakegraph.New(opts...)
	box, err := secretbox.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	biz := models.Business{ID: 1_000_000 + rand.Int64N(1<<40), Name: "Joe's Pizza"}
	if err := store.CreateBusiness(context.Background(), &biz); err != nil {
		t.Fatal(err)
	}
	graph := whatsapp.NewClient("http://graph.test", version, &http.Client{Transport: fakegraph.Transport(fake)})
	return &env{svc: &onboarding.Service{Graph: graph, Store: store, Box: box, AppID: appID, AppSecret: appSecret},
		fake: fake, store: store, biz: biz}
}

func (e *env) phones(t *testing.T) []models.PhoneNumber {
	t.Helper()
	ps, err := e.store.PhoneNumbers(context.Background(), e.biz.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func eachBackend(t *testing.T, f func(t *testing.T, open func(testing.TB) *repository.Store)) {
	for _, b := range testutil.Backends() {
		t.Run(b.Name, func(t *testing.T) { f(t, b.Open) })
	}
}
