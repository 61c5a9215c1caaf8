package merchant_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// TestChangeStatus_ConcurrentSameChangeWinsOnce: five merchants press "confirm" at once (two browser tabs, the API,
// a retry): one change, one event, one message to the customer; the others are told it already happened.
func TestChangeStatus_ConcurrentSameChangeWinsOnce(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b := merchanttest.Seed(t, s, "A", 1)
			svc := merchant.New(s, cache.NewMemory(100), nil, nil)
			id := b.Orders[0].ID
			var wg sync.WaitGroup
			errs := make([]error, 5)
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = svc.ChangeStatus(ctx, b.Business.ID, id, models.StatusConfirmed, fmt.Sprintf("tab-%d", i))
				})
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, models.ErrInvalidTransition):
					t.Fatalf("unexpected error: %v", err)
				}
			}
			if won != 1 {
				t.Fatalf("%d changes succeeded, want 1 (%v)", won, errs)
			}
			if n, _ := merchanttest.OutboundByKey(t, s, fmt.Sprintf("order:%d:status:confirmed", id)); n != 1 {
				t.Fatalf("%d notifications queued", n)
			}
			if ev, _ := svc.OrderEvents(ctx, b.Business.ID, id); len(ev) != 2 {
				t.Fatalf("%d events, want creation and one change", len(ev))
			}
		})
	}
}

// TestStatusText_SaysWhatHappened checks each status's message, and that "ready" depends on how the order is
// handed over.
func TestStatusText_SaysWhatHappened(t *testing.T) {
	biz := models.Business{Name: "Cafe Azul"}
	o := models.Order{Number: 12, TotalMinor: 1250, Currency: "USD", Fulfillment: models.FulfillDelivery}
	pickup := o
	pickup.Fulfillment = models.FulfillPickup
	for _, tc := range []struct {
		o    models.Order
		to   models.OrderStatus
		want string
	}{
		{o, models.StatusConfirmed, "confirmed"},
		{o, models.StatusPreparing, "preparing"},
		{pickup, models.StatusReady, "ready for pickup"},
		{o, models.StatusReady, "on its way soon"},
		{o, models.StatusOutForDelivery, "on its way"},
		{o, models.StatusDelivered, "delivered"},
		{o, models.StatusCancelled, "cancelled"},
	} {
		got := merchant.StatusText(locale.For("en"), biz, tc.o, tc.to)
		if !strings.Contains(got, "#12") || !strings.Contains(got, tc.want) {
			t.Errorf("%s (%s): %q, want #12 and %q", tc.to, tc.o.Fulfillment, got, tc.want)
		}
	}
}
