package ordering_test

import (
	"context"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// "agent" flags the thread for a person; while a person has it the bot says nothing, and after the hand-back it
// answers again. Not understanding twice in a row flags the thread too.
func TestBot_HandOffToAPersonAndBack(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), models.FulfillPickup)
			ctx := context.Background()
			c := "15550201"
			w := e.send(t, c, "text", text("Agent"))
			if r := e.replies(t, w); !contains(r, "someone from Casa will answer you") {
				t.Fatalf("agent replies %v", r)
			}
			cust, err := e.store.CustomerByWaID(ctx, e.biz.ID, c)
			if err != nil {
				t.Fatal(err)
			}
			if th, _ := e.store.Thread(ctx, e.biz.ID, cust.ID); th.NeedsHuman != models.NeedsAsked {
				t.Fatalf("thread %+v", th)
			}
			if err := e.store.TakeOver(ctx, e.biz.ID, cust.ID, 1, time.Now()); err != nil {
				t.Fatal(err)
			}
			w = e.send(t, c, "text", text("menu"))
			if r := e.replies(t, w); len(r) != 0 {
				t.Fatalf("the bot spoke while a person had the thread: %v", r)
			}
			th, _ := e.store.Thread(ctx, e.biz.ID, cust.ID)
			if th.NeedsHuman != "" || th.LastText != "menu" || th.Unread != 2 {
				t.Fatalf("taken-over thread %+v", th)
			}
			if err := e.store.HandBack(ctx, e.biz.ID, cust.ID); err != nil {
				t.Fatal(err)
			}
			w = e.send(t, c, "text", text("menu"))
			if r := e.replies(t, w); !contains(r, "View menu") {
				t.Fatalf("after the hand-back %v", r)
			}
			e.send(t, c, "text", text("blorp"))
			w = e.send(t, c, "text", text("zzz"))
			if r := e.replies(t, w); !contains(r, "asked someone from Casa") {
				t.Fatalf("second miss %v", r)
			}
			if th, _ := e.store.Thread(ctx, e.biz.ID, cust.ID); th.NeedsHuman != models.NeedsNotUnderstood {
				t.Fatalf("thread after two misses %+v", th)
			}
		})
	}
}
