package repository_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// outEnv is one business with one number, and helpers to queue messages to its customers.
type outEnv struct {
	s     *repository.Store
	biz   models.Business
	phone models.PhoneNumber
}

func newOutEnv(t *testing.T, s *repository.Store, phoneID string) *outEnv {
	b, p := seedBusiness(t, s, phoneID)
	return &outEnv{s: s, biz: b, phone: p}
}

// customer makes a customer who last wrote at lastInbound.
func (e *outEnv) customer(t *testing.T, waID string, lastInbound time.Time) models.Customer {
	t.Helper()
	ctx := context.Background()
	d := delivery(e.biz, e.phone, "in."+waID+"."+testutil.RandomHex(4), waID, lastInbound)
	if _, err := e.s.StoreDeliveries(ctx, []repository.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	c, err := e.s.CustomerByWaID(ctx, e.biz.ID, waID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *outEnv) enqueue(t *testing.T, c models.Customer, key, kind string) models.OutboundMessage {
	t.Helper()
	m := models.OutboundMessage{BusinessID: e.biz.ID, PhoneNumberID: e.phone.ID, CustomerID: c.ID, ToWaID: c.WaID,
		Kind: kind, Payload: `{"messaging_product":"whatsapp"}`, Summary: key, IdempotencyKey: key}
	if created, err := e.s.EnqueueOutbound(context.Background(), &m); err != nil || !created {
		t.Fatalf("enqueue %s: created=%v err=%v", key, created, err)
	}
	return m
}

func (e *outEnv) get(t *testing.T, id int64) models.OutboundMessage {
	t.Helper()
	m, err := e.s.Outbound(context.Background(), e.biz.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// claimKeys claims for owner and returns the idempotency keys claimed, and the rows.
func claimKeys(t *testing.T, s *repository.Store, owner string, lease time.Duration) (keys []string, ms []models.OutboundMessage) {
	t.Helper()
	ms, err := s.ClaimOutbound(context.Background(), 100, lease, owner)
	for _, m := range ms {
		keys = append(keys, m.IdempotencyKey)
	}
	if err != nil {
		t.Fatal(err)
	}
	return keys, ms
}

func TestOutbound_EnqueueIsIdempotentAndTransactional(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4100")
			c := e.customer(t, "15550001", time.Now())
			first := e.enqueue(t, c, "order-7-confirmed", "text")
			if first.Status != models.OutQueued || first.NextAttemptAt.IsZero() {
				t.Fatalf("defaults: %+v", first)
			}
			again := first
			again.ID = 0
			if created, err := e.s.EnqueueOutbound(ctx, &again); err != nil || created || again.ID != 0 {
				t.Fatalf("re-run of the same cause: created=%v id=%d err=%v", created, again.ID, err)
			}
			boom := errors.New("the order insert failed")
			err := e.s.Tx(ctx, func(tx *repository.Store) error {
				m := first
				m.IdempotencyKey = "rolled-back"
				if _, err := tx.EnqueueOutbound(ctx, &m); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			if n, _ := e.s.OutboundCounts(ctx, e.biz.ID); n[models.OutQueued] != 1 {
				t.Fatalf("counts %v, want 1 queued", n)
			}
		})
	}
}

// Several messages queued in one statement keep their order (ids ascend as given, which is the order the chat
// receives them), and one whose cause was already queued is skipped, on both databases.
func TestOutbound_EnqueueManyKeepsTheirOrderAndSkipsRepeats(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4101")
			c := e.customer(t, "15550002", time.Now())
			e.enqueue(t, c, "in:w1:1", "text")
			var ms []*models.OutboundMessage
			for _, key := range []string{"in:w2:0", "in:w1:1", "in:w2:1", "in:w2:2"} {
				ms = append(ms, &models.OutboundMessage{BusinessID: e.biz.ID, PhoneNumberID: e.phone.ID, CustomerID: c.ID,
					ToWaID: c.WaID, Kind: "text", Payload: `{"messaging_product":"whatsapp"}`, Summary: key, IdempotencyKey: key})
			}
			n, err := e.s.EnqueueOutbounds(ctx, ms)
			if err != nil || n != 3 {
				t.Fatalf("created %d, %v; want 3", n, err)
			}
			if ms[1].ID != 0 {
				t.Fatalf("the repeat got id %d", ms[1].ID)
			}
			if !(ms[0].ID > 0 && ms[0].ID < ms[2].ID && ms[2].ID < ms[3].ID) {
				t.Fatalf("ids %d, %d, %d: not in the order given", ms[0].ID, ms[2].ID, ms[3].ID)
			}
			for _, m := range []*models.OutboundMessage{ms[0], ms[2], ms[3]} {
				if got := e.get(t, m.ID); got.IdempotencyKey != m.IdempotencyKey || got.Status != models.OutQueued || m.NextAttemptAt.IsZero() {
					t.Fatalf("row %d: %+v (given %+v)", m.ID, got, m)
				}
			}
		})
	}
}

func TestOutbound_ClaimTakesOneMessagePerChatInOrder(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4200")
			ann, bob := e.customer(t, "15550001", time.Now()), e.customer(t, "15550002", time.Now())
			e.enqueue(t, ann, "a1", "text")
			e.enqueue(t, bob, "b1", "text")
			e.enqueue(t, ann, "a2", "text")
			e.enqueue(t, bob, "b2", "text")
			keys, claimed := claimKeys(t, e.s, "w1", time.Minute)
			if fmt.Sprint(keys) != "[a1 b1]" {
				t.Fatalf("claimed %v, want the oldest of each chat", keys)
			}
			if keys, _ := claimKeys(t, e.s, "w2", time.Minute); len(keys) != 0 {
				t.Fatalf("claimed %v while each chat has a message in flight", keys)
			}
			a1, b1 := claimed[0], claimed[1]
			a1.Attempts++
			if err := e.s.MarkOutboundSent(ctx, a1, "wamid.a1"); err != nil {
				t.Fatal(err)
			}
			// A retry scheduled later still blocks the chat: b2 must not overtake b1.
			b1.Attempts++
			if err := e.s.RequeueOutbound(ctx, b1, time.Hour, 131000, "try later"); err != nil {
				t.Fatal(err)
			}
			if keys, _ := claimKeys(t, e.s, "w2", time.Minute); fmt.Sprint(keys) != "[a2]" {
				t.Fatalf("claimed %v, want [a2]", keys)
			}
			got := e.get(t, b1.ID)
			if got.Attempts != 1 || got.ErrorCode != 131000 || got.LastError != "try later" || got.ClaimUntil != nil {
				t.Fatalf("requeued row %+v", got)
			}
		})
	}
}

func TestOutbound_ClaimNeverTakesMoreThanTheLimit(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newOutEnv(t, be.Open(t), "4250")
			for i := range 10 {
				e.enqueue(t, e.customer(t, fmt.Sprint("1555100", i), time.Now()), fmt.Sprint("k", i), "text")
			}
			for _, limit := range []int{1, 2, 3} {
				ms, err := e.s.ClaimOutbound(context.Background(), limit, time.Minute, "w")
				if err != nil || len(ms) != limit {
					t.Fatalf("limit %d claimed %d (%v)", limit, len(ms), err)
				}
			}
		})
	}
}

func TestOutbound_ExpiredLeaseIsReclaimedAndTheOldOwnerCannotSettle(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4300")
			c := e.customer(t, "15550001", time.Now())
			e.enqueue(t, c, "k", "text")
			_, dead := claimKeys(t, e.s, "dead", -time.Second) // a lease that already ran out
			_, live := claimKeys(t, e.s, "live", time.Minute)
			if len(dead) != 1 || len(live) != 1 || live[0].ClaimedBy != "live" {
				t.Fatalf("claims %v then %v", dead, live)
			}
			if err := e.s.FailOutbound(ctx, dead[0], 100, "late"); !errors.Is(err, models.ErrLeaseLost) {
				t.Fatalf("old owner settling: %v, want models.ErrLeaseLost", err)
			}
			if err := e.s.MarkOutboundSent(ctx, live[0], "wamid.live"); err != nil {
				t.Fatal(err)
			}
			// The old owner's send did happen too: recording it again is refused, which is how a resend shows.
			if err := e.s.MarkOutboundSent(ctx, dead[0], "wamid.dead"); !errors.Is(err, models.ErrLeaseLost) {
				t.Fatalf("second record: %v, want models.ErrLeaseLost", err)
			}
			if got := e.get(t, live[0].ID); got.Status != models.OutSent || *got.Wamid != "wamid.live" {
				t.Fatalf("row %+v", got)
			}
		})
	}
}

func TestOutbound_DisconnectedNumberKeepsItsMessagesQueued(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4400")
			c := e.customer(t, "15550001", time.Now())
			m := e.enqueue(t, c, "k", "text")
			if ok, err := e.s.DisconnectPhoneNumber(ctx, e.phone, models.PhoneTokenExpired, "190: token expired"); err != nil || !ok {
				t.Fatalf("disconnect: %v %v", ok, err)
			}
			if keys, _ := claimKeys(t, e.s, "w", time.Minute); len(keys) != 0 {
				t.Fatalf("claimed %v from a number whose token expired", keys)
			}
			// Reconnected (a new token) while a worker still held the old one: its late 190 must not undo that.
			p := e.phone
			p.AccessTokenEnc = "sealed-new-token"
			if err := e.s.AddPhoneNumber(ctx, &p); err != nil {
				t.Fatal(err)
			}
			if ok, err := e.s.DisconnectPhoneNumber(ctx, e.phone, models.PhoneTokenExpired, "stale"); err != nil || ok {
				t.Fatalf("stale disconnect changed the number: %v %v", ok, err)
			}
			if keys, _ := claimKeys(t, e.s, "w", time.Minute); fmt.Sprint(keys) != "[k]" || e.get(t, m.ID).Status != models.OutQueued {
				t.Fatalf("after reconnecting: claimed %v", keys)
			}
		})
	}
}

func TestOutbound_HeldMessageIsReleasedWhenTheCustomerWrites(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4500")
			last := time.Now().UTC().Add(-30 * time.Hour).Truncate(time.Second)
			c := e.customer(t, "15550001", last)
			e.enqueue(t, c, "free-form", "text")
			_, claimed := claimKeys(t, e.s, "w", time.Minute)
			if err := e.s.HoldOutbound(ctx, claimed[0], last, 0, "outside 24h window, no template configured"); err != nil {
				t.Fatal(err)
			}
			e.enqueue(t, c, "template", "template")
			e.enqueue(t, c, "later", "text")
			// The held message does not block: the template can go; "later" waits behind the template.
			if keys, ms := claimKeys(t, e.s, "w", time.Minute); fmt.Sprint(keys) != "[template]" {
				t.Fatalf("claimed %v, want [template]", keys)
			} else if err := e.s.MarkOutboundSent(ctx, ms[0], "wamid.t"); err != nil {
				t.Fatal(err)
			}
			if keys, ms := claimKeys(t, e.s, "w", time.Minute); fmt.Sprint(keys) != "[later]" {
				t.Fatalf("claimed %v, want [later]", keys)
			} else if err := e.s.HoldOutbound(ctx, ms[0], last, 131047, "held"); err != nil {
				t.Fatal(err)
			}
			if keys, _ := claimKeys(t, e.s, "w", time.Minute); len(keys) != 0 {
				t.Fatalf("claimed %v before the customer wrote", keys)
			}
			e.customer(t, c.WaID, time.Now()) // the customer writes: no call needed, the claim releases in order
			keys, ms := claimKeys(t, e.s, "w", time.Minute)
			if fmt.Sprint(keys) != "[free-form]" {
				t.Fatalf("claimed %v, want [free-form] first", keys)
			}
			if err := e.s.MarkOutboundSent(ctx, ms[0], "wamid.f"); err != nil {
				t.Fatal(err)
			}
			if keys, ms := claimKeys(t, e.s, "w", time.Minute); fmt.Sprint(keys) != "[later]" || ms[0].ErrorCode != 0 {
				t.Fatalf("claimed %v (%+v), want [later] with its 131047 cleared", keys, ms)
			}
			if n, err := e.s.ReleaseHeldForCustomer(ctx, e.biz.ID, c.ID); err != nil || n != 0 {
				t.Fatalf("explicit release found %d held: %v", n, err)
			}
		})
	}
}

func TestOutbound_StatusesNeverMoveBackwards(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4600")
			c := e.customer(t, "15550001", time.Now())
			e.enqueue(t, c, "k", "text")
			_, ms := claimKeys(t, e.s, "w", time.Minute)
			if err := e.s.MarkOutboundSent(ctx, ms[0], "wamid.x"); err != nil {
				t.Fatal(err)
			}
			e.status(t, "wamid.x", "read", 0)
			e.status(t, "wamid.x", "delivered", 0) // late: its time is kept, the status stays read
			e.status(t, "wamid.x", "sent", 0)      // later still
			got := e.get(t, ms[0].ID)
			if got.Status != models.OutRead || got.ReadAt == nil || got.DeliveredAt == nil {
				t.Fatalf("after read, delivered, sent: %s (read_at %v, delivered_at %v)", got.Status, got.ReadAt, got.DeliveredAt)
			}
		})
	}
}

func TestOutbound_StatusForAnUnknownWamidAppliesOnceTheSendIsRecorded(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4700")
			c := e.customer(t, "15550001", time.Now())
			e.enqueue(t, c, "k", "text")
			_, ms := claimKeys(t, e.s, "w", time.Minute)
			// Meta's webhook overtakes our own write of the wamid.
			e.status(t, "wamid.early", "sent", 0)
			e.status(t, "wamid.early", "delivered", 0)
			if got := e.get(t, ms[0].ID); got.Status != models.OutQueued {
				t.Fatalf("status %s before the wamid is known", got.Status)
			}
			if err := e.s.MarkOutboundSent(ctx, ms[0], "wamid.early"); err != nil {
				t.Fatal(err)
			}
			if got := e.get(t, ms[0].ID); got.Status != models.OutDelivered || got.DeliveredAt == nil {
				t.Fatalf("early statuses not applied: %s", got.Status)
			}
		})
	}
}

func TestOutbound_WindowFailureFromAWebhookIsRequeuedForTheTemplate(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4800")
			c := e.customer(t, "15550001", time.Now())
			e.enqueue(t, c, "free", "text")
			e.enqueue(t, e.customer(t, "15550002", time.Now()), "tmpl", "template")
			_, ms := claimKeys(t, e.s, "w", time.Minute)
			for i, m := range ms {
				if err := e.s.MarkOutboundSent(ctx, m, fmt.Sprint("wamid.", i)); err != nil {
					t.Fatal(err)
				}
				e.status(t, fmt.Sprint("wamid.", i), "failed", 131047)
			}
			if n, err := e.s.RequeueWindowFailures(ctx, 10); err != nil || n != 1 {
				t.Fatalf("requeued %d, %v; want only the free-form one", n, err)
			}
			got := e.get(t, ms[0].ID)
			if got.Status != models.OutQueued || got.Wamid != nil || got.FailedAt != nil || got.ErrorCode != 131047 {
				t.Fatalf("requeued row %+v", got)
			}
			if e.get(t, ms[1].ID).Status != models.OutFailed {
				t.Fatal("a template failing with 131047 must stay failed")
			}
		})
	}
}

func TestOutbound_ConcurrentClaimersNeverShareARow(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4900")
			for i := range 100 {
				e.enqueue(t, e.customer(t, fmt.Sprint("155500", i%10), time.Now()), fmt.Sprint("k", i), "text")
			}
			var mu sync.Mutex
			seen := map[int64]int{}
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Go(func() {
					for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
						ms, err := e.s.ClaimOutbound(ctx, 3, time.Minute, fmt.Sprint("w", w))
						mu.Lock()
						for _, m := range ms {
							seen[m.ID]++
						}
						finished := len(seen) == 100
						mu.Unlock()
						for _, m := range ms {
							err = errors.Join(err, e.s.MarkOutboundSent(ctx, m, fmt.Sprint("wamid.", m.ID)))
						}
						if err != nil {
							t.Error(err)
						}
						if err != nil || finished {
							return
						}
					}
				})
			}
			wg.Wait()
			counts, _ := e.s.OutboundCounts(ctx, e.biz.ID)
			for id, n := range seen {
				if n != 1 {
					t.Fatalf("row %d claimed %d times", id, n)
				}
			}
			if len(seen) != 100 || counts[models.OutSent] != 100 {
				t.Fatalf("claimed %d distinct rows, counts %v", len(seen), counts)
			}
		})
	}
}

func TestOutbound_DashboardQueriesAreScopedByBusiness(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s := be.Open(t)
			e, other := newOutEnv(t, s, "5000"), newOutEnv(t, s, "5001")
			c := e.customer(t, "15550001", time.Now())
			for i := range 3 {
				e.enqueue(t, c, fmt.Sprint("m", i), "text")
			}
			got, err := s.OutboundForCustomer(ctx, e.biz.ID, c.ID, 2)
			if err != nil || len(got) != 2 || got[0].IdempotencyKey != "m1" || got[1].IdempotencyKey != "m2" {
				t.Fatalf("conversation %v %v, want the newest 2 oldest first", got, err)
			}
			if got, _ := s.OutboundForCustomer(ctx, other.biz.ID, c.ID, 10); len(got) != 0 {
				t.Fatalf("another business sees %d messages", len(got))
			}
			if _, err := s.Outbound(ctx, other.biz.ID, got[0].ID); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("another business loads a message: %v", err)
			}
			if n, _ := s.OutboundCounts(ctx, other.biz.ID); len(n) != 0 {
				t.Fatalf("another business counts %v", n)
			}
		})
	}
}

// status stores a status webhook for wamid as ingest would.
func (e *outEnv) status(t *testing.T, wamid, status string, code int) {
	t.Helper()
	st := models.MessageStatus{BusinessID: e.biz.ID, Wamid: wamid, Status: status, Recipient: "15550001", ErrorCode: code,
		Payload: fmt.Sprintf(`{"id":%q,"status":%q}`, wamid, status), StatusAt: time.Now().UTC()}
	if _, err := e.s.StoreDeliveries(context.Background(), []repository.Delivery{{Statuses: []models.MessageStatus{st}}}); err != nil {
		t.Fatal(err)
	}
}

// A status webhook that commits while the send's wamid is being recorded must not fall between the two: the send's
// transaction does not yet see the status row, and the status's update does not yet see the wamid. Each pair runs
// concurrently; every message must end read.
func TestOutbound_StatusRacingTheRecordOfItsSendIsNeverLost(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newOutEnv(t, be.Open(t), "4650")
			const n = 40
			for i := range n {
				c := e.customer(t, fmt.Sprintf("1555%04d", i), time.Now())
				e.enqueue(t, c, fmt.Sprintf("k%d", i), "text")
			}
			_, ms := claimKeys(t, e.s, "w", time.Minute)
			if len(ms) != n {
				t.Fatalf("claimed %d of %d", len(ms), n)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 2*n)
			for i, m := range ms {
				wamid := fmt.Sprintf("wamid.race.%d", i)
				start := make(chan struct{})
				wg.Add(2)
				go func() {
					defer wg.Done()
					<-start
					errs <- e.s.MarkOutboundSent(ctx, m, wamid)
				}()
				go func() {
					defer wg.Done()
					<-start
					st := models.MessageStatus{BusinessID: e.biz.ID, Wamid: wamid, Status: "read", Recipient: m.ToWaID,
						Payload: fmt.Sprintf(`{"id":%q,"status":"read"}`, wamid), StatusAt: time.Now().UTC()}
					_, err := e.s.StoreDeliveries(ctx, []repository.Delivery{{Statuses: []models.MessageStatus{st}}})
					errs <- err
				}()
				close(start)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, m := range ms {
				if got := e.get(t, m.ID); got.Status != models.OutRead || got.ReadAt == nil {
					t.Errorf("message %d: status %s, read_at %v", m.ID, got.Status, got.ReadAt)
				}
			}
		})
	}
}
