package models

import "testing"

func TestOrderStatus_Transitions(t *testing.T) {
	tests := []struct {
		from, to OrderStatus
		ok       bool
	}{
		{StatusPending, StatusConfirmed, true},
		{StatusConfirmed, StatusPreparing, true},
		{StatusReady, StatusDelivered, true},
		{StatusPreparing, StatusConfirmed, false},
		{StatusPending, StatusCancelled, true},
		{StatusOutForDelivery, StatusCancelled, true},
		{StatusDelivered, StatusCancelled, false},
		{StatusCancelled, StatusPending, false},
		{StatusPending, "shipped", false},
	}
	for _, tt := range tests {
		err := tt.from.CanMoveTo(tt.to)
		if (err == nil) != tt.ok {
			t.Errorf("%s → %s: err=%v, want ok=%v", tt.from, tt.to, err, tt.ok)
		}
	}
}

func TestOrderStatus_NextOffersStepAndCancel(t *testing.T) {
	got := StatusReady.Next()
	if len(got) != 2 || got[0] != StatusOutForDelivery || got[1] != StatusCancelled {
		t.Fatalf("ready.Next() = %v", got)
	}
	if StatusDelivered.Next() != nil {
		t.Fatal("delivered has no next status")
	}
}

func TestOutboundStatus_NeverMovesBackwards(t *testing.T) {
	if OutRead.Advances(OutDelivered) {
		t.Fatal("a late delivered must not overwrite read")
	}
	if !OutSent.Advances(OutDelivered) || !OutQueued.Advances(OutSent) || !OutRead.Advances(OutFailed) {
		t.Fatal("forward moves must advance")
	}
}

func TestItemsTotal(t *testing.T) {
	items := []OrderItem{{Quantity: 2, UnitPriceMinor: 3000}, {Quantity: 1, UnitPriceMinor: 2550}}
	if got := ItemsTotal(items); got != 8550 {
		t.Fatalf("total = %d", got)
	}
}
