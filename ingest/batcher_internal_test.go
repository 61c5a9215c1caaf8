package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/waorder/waorder/repository"
)

func TestSafeStore_APanicWhileStoringBecomesThatDeliverysError(t *testing.T) {
	var broken *repository.Store // every call on it panics with a nil dereference
	ids, err := safeStore(context.Background(), broken, []repository.Delivery{{}})
	var pe *PanicError
	if !errors.As(err, &pe) || ids != nil || !strings.Contains(pe.Error(), "storing the delivery panicked") || len(pe.Stack) == 0 {
		t.Fatalf("ids %v, err %v", ids, err)
	}
}

// TestArrivals_ForwardWakesOncePerBurstAndKeepsNoIDs: on a web-only instance the ids of stored messages are not
// kept (another instance's sweep claims them) and a burst of commits made while a wake is in hand costs one more
// wake, not one per commit.
func TestArrivals_ForwardWakesOncePerBurstAndKeepsNoIDs(t *testing.T) {
	a := NewArrivals()
	ctx, cancel := context.WithCancel(context.Background())
	inWake, release := make(chan struct{}), make(chan struct{})
	wakes := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Forward(ctx, func(context.Context) {
			wakes++
			inWake <- struct{}{}
			<-release
		})
	}()
	a.Notify([]int64{1, 2})
	<-inWake // the first wake is in hand
	for i := range 50 {
		a.Notify([]int64{int64(10 + i)})
	}
	release <- struct{}{}
	<-inWake // one more wake for the whole burst
	release <- struct{}{}
	cancel()
	<-done
	if wakes != 2 {
		t.Fatalf("%d wakes for two bursts; want 2", wakes)
	}
	if ids := a.take(); len(ids) != 0 {
		t.Fatalf("ids kept: %v", ids)
	}
}
