package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// TestOutbox_RestrictedNumberWaitsThenSends: a number Meta restricted or flagged sends nothing; its messages stay
// queued and go out once it is connected again.
func TestOutbox_RestrictedNumberWaitsThenSends(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			ctx := context.Background()
			if err := e.store.SetPhoneStatus(ctx, e.biz.ID, e.phone.ID, models.PhoneRestricted, "flagged"); err != nil {
				t.Fatal(err)
			}
			m := e.enqueue(t, e.cust, "k", "hello")
			o := e.outbox(t, time.Second)
			e.run(t, o)
			time.Sleep(300 * time.Millisecond) // several polls: nothing may go out meanwhile
			if all, _ := e.sends(); all != 0 {
				t.Fatalf("%d sends from a restricted number", all)
			}
			if got := e.get(t, m.ID); got.Status != models.OutQueued {
				t.Fatalf("status %s", got.Status)
			}
			if err := e.store.SetPhoneStatus(ctx, e.biz.ID, e.phone.ID, models.PhoneConnected, ""); err != nil {
				t.Fatal(err)
			}
			o.Wake()
			e.waitStatus(t, m.ID, models.OutSent)
		})
	}
}
