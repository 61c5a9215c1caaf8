package repository_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

func seedBusiness(t *testing.T, s *repository.Store, phoneID string) (models.Business, models.PhoneNumber) {
	t.Helper()
	ctx := context.Background()
	b := models.Business{Name: "Cafe " + phoneID}
	if err := s.CreateBusiness(ctx, &b); err != nil {
		t.Fatal(err)
	}
	p := models.PhoneNumber{BusinessID: b.ID, MetaPhoneID: phoneID, WABAID: "waba-" + phoneID, AccessTokenEnc: "x"}
	if err := s.AddPhoneNumber(ctx, &p); err != nil {
		t.Fatal(err)
	}
	return b, p
}

func delivery(b models.Business, p models.PhoneNumber, wamid, waID string, at time.Time) repository.Delivery {
	return repository.Delivery{
		Customers: []models.Customer{{BusinessID: b.ID, WaID: waID, Name: "Ann", LastInboundAt: &at}},
		Messages: []repository.InboundRow{{WaID: waID, Message: models.InboundMessage{
			BusinessID: b.ID, PhoneNumberID: p.ID, Wamid: wamid, Type: "text", Body: "hi", Payload: `{}`, SentAt: at,
		}}},
	}
}

func TestStoreDeliveries_ConcurrentDuplicatesStoreOnce(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			b, p := seedBusiness(t, s, "111")
			at := time.Now().UTC().Truncate(time.Second)
			var wg sync.WaitGroup
			created := make(chan []int64, 5)
			for range 5 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ids, err := s.StoreDeliveries(context.Background(), []repository.Delivery{delivery(b, p, "wamid.A", "15550001", at)})
					if err != nil {
						t.Error(err)
					}
					created <- ids
				}()
			}
			wg.Wait()
			close(created)
			newRows := 0
			for ids := range created {
				newRows += len(ids)
			}
			if newRows != 1 {
				t.Fatalf("%d deliveries reported a new row, want exactly 1", newRows)
			}
			msgs, err := s.InboundMessages(context.Background(), b.ID, 10)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("stored %d messages (%v), want 1", len(msgs), err)
			}
		})
	}
}

func TestStoreDeliveries_CustomerWindowOnlyMovesForward(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			b, p := seedBusiness(t, s, "222")
			ctx := context.Background()
			late := time.Now().UTC().Truncate(time.Second)
			early := late.Add(-time.Hour)
			if _, err := s.StoreDeliveries(ctx, []repository.Delivery{delivery(b, p, "wamid.late", "1555", late)}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.StoreDeliveries(ctx, []repository.Delivery{delivery(b, p, "wamid.early", "1555", early)}); err != nil {
				t.Fatal(err)
			}
			msgs, _ := s.InboundMessages(ctx, b.ID, 10)
			c, err := s.Customer(ctx, b.ID, msgs[0].CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			if c.LastInboundAt == nil || !c.LastInboundAt.Equal(late) {
				t.Fatalf("last inbound = %v, want %v", c.LastInboundAt, late)
			}
		})
	}
}

func TestClaimUnprocessed_OneMessagePerCustomerInOrder(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			b, p := seedBusiness(t, s, "333")
			ctx := context.Background()
			at := time.Now().UTC()
			var ds []repository.Delivery
			for i, w := range []string{"m1", "m2", "m3"} {
				ds = append(ds, delivery(b, p, w, "1555", at.Add(time.Duration(i)*time.Second)))
			}
			ds = append(ds, delivery(b, p, "other1", "1666", at))
			if _, err := s.StoreDeliveries(ctx, ds); err != nil {
				t.Fatal(err)
			}
			first, err := s.ClaimUnprocessed(ctx, nil, 10, time.Minute, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(first) != 2 || first[0].Wamid != "m1" || first[1].Wamid != "other1" {
				t.Fatalf("first claim = %v, want m1 and other1", wamids(first))
			}
			// A second instance finds nothing: both customers' oldest messages are leased.
			if again, _ := s.ClaimUnprocessed(ctx, nil, 10, time.Minute, 5); len(again) != 0 {
				t.Fatalf("second claim = %v, want none", wamids(again))
			}
			if err := s.MarkProcessed(ctx, b.ID, first[0].ID, ""); err != nil {
				t.Fatal(err)
			}
			// The fast path by id: m3 waits behind m2, which is free now.
			if got, _ := s.ClaimUnprocessed(ctx, []int64{first[0].ID + 2}, 10, time.Minute, 5); len(got) != 0 {
				t.Fatalf("claimed %v ahead of m2", wamids(got))
			}
			next, _ := s.ClaimUnprocessed(ctx, []int64{first[0].ID + 1, first[0].ID + 2}, 10, time.Minute, 5)
			if len(next) != 1 || next[0].Wamid != "m2" {
				t.Fatalf("after m1: %v, want m2", wamids(next))
			}
		})
	}
}

func wamids(ms []models.InboundMessage) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Wamid)
	}
	return out
}

// Claimers racing over the inbound queue never share a message, never get more than their limit (the pick is
// evaluated once), and never hold two messages of one customer at once; between them they take every message.
func TestClaimUnprocessed_ConcurrentClaimersNeverShareAMessage(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			b, p := seedBusiness(t, s, "334")
			ctx := context.Background()
			at := time.Now().UTC()
			var ds []repository.Delivery
			for i := range 100 { // 60 customers with one message, 4 with ten
				wa := fmt.Sprint("1555", i)
				if i >= 60 {
					wa = fmt.Sprint("1666", i%4)
				}
				ds = append(ds, delivery(b, p, fmt.Sprint("w", i), wa, at.Add(time.Duration(i)*time.Millisecond)))
			}
			if _, err := s.StoreDeliveries(ctx, ds); err != nil {
				t.Fatal(err)
			}
			const limit = 3
			var mu sync.Mutex
			seen := map[int64]int{}
			holding := map[int64]int64{} // customer → the message a claimer holds
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
						ms, err := s.ClaimUnprocessed(ctx, nil, limit, time.Minute, 5)
						if err != nil {
							t.Error(err)
							return
						}
						if len(ms) > limit {
							t.Errorf("claimed %d messages with a limit of %d", len(ms), limit)
						}
						mu.Lock()
						for _, m := range ms {
							seen[m.ID]++
							if other, ok := holding[m.CustomerID]; ok {
								t.Errorf("messages %d and %d of customer %d held at once", other, m.ID, m.CustomerID)
							}
							holding[m.CustomerID] = m.ID
						}
						finished := len(seen) == 100
						mu.Unlock()
						for _, m := range ms {
							mu.Lock()
							delete(holding, m.CustomerID) // before the write that frees the customer's next message
							mu.Unlock()
							if err := s.MarkProcessed(ctx, b.ID, m.ID, ""); err != nil {
								t.Error(err)
								return
							}
						}
						if finished {
							return
						}
					}
				})
			}
			wg.Wait()
			for id, n := range seen {
				if n != 1 {
					t.Fatalf("message %d claimed %d times", id, n)
				}
			}
			if len(seen) != 100 {
				t.Fatalf("claimed %d distinct messages of 100", len(seen))
			}
		})
	}
}
