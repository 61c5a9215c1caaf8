package repository_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/testutil"
)

// A customer's first message creates their conversation, even when several arrive at once; every later load finds
// that same row, with what was saved in it.
func TestConversation_CreatedOnceThenLoaded(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, p := seedBusiness(t, s, "1")
			store(t, s, said(b, p, "wamid.1", annPhone, annUser, time.Now().UTC()))
			c := oneCustomer(t, s, b, 1)
			ids := make([]int64, 8)
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for i := range ids {
				wg.Go(func() {
					conv, err := s.Conversation(ctx, b.ID, c.ID)
					ids[i], errs[i] = conv.ID, err
				})
			}
			wg.Wait()
			for i := range ids {
				if errs[i] != nil || ids[i] == 0 || ids[i] != ids[0] {
					t.Fatalf("concurrent first loads: ids %v, errors %v", ids, errs)
				}
			}
			if n := count(t, s, "SELECT COUNT(*) FROM conversations WHERE customer_id = ?", c.ID); n != 1 {
				t.Fatalf("%d conversations, want 1", n)
			}
			conv, err := s.Conversation(ctx, b.ID, c.ID)
			if err != nil || conv.Version != 0 || conv.State != "" || conv.BusinessID != b.ID || conv.CustomerID != c.ID {
				t.Fatalf("new conversation %+v, %v", conv, err)
			}
			conv.State, conv.Data = "menu", `{"step":"menu"}`
			if err := s.SaveConversation(ctx, conv, time.Now()); err != nil {
				t.Fatal(err)
			}
			again, err := s.Conversation(ctx, b.ID, c.ID)
			if err != nil || again.ID != ids[0] || again.State != "menu" || again.Data != `{"step":"menu"}` || again.Version != 1 {
				t.Fatalf("loaded again: %+v, %v", again, err)
			}
		})
	}
}
