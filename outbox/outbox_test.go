package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

func TestOutbox_SendsWithTokenAndRecordsWamid(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			m := e.enqueue(t, e.cust, "k1", "Hello Ann")
			e.run(t, e.outbox(t, 5*time.Second))
			eventually(t, "sent", func() bool { return e.get(t, m.ID).Status == models.OutSent })
			reqs := e.fake.Sent()
			if len(reqs) != 1 {
				t.Fatalf("%d sends, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Authorization != "Bearer "+token || r.PhoneNumberID != "555000" || r.To != e.cust.WaID ||
				!strings.Contains(string(r.Body), `"body":"Hello Ann"`) || !strings.HasSuffix(r.Path, "/555000/messages") {
				t.Fatalf("request %+v body %s", r, r.Body)
			}
			got := e.get(t, m.ID)
			if got.Wamid == nil || *got.Wamid != r.WAMID {
				t.Fatalf("wamid %v, fake gave %s", got.Wamid, r.WAMID)
			}
		})
	}
}

func TestOutbox_EnqueueIsIdempotent(t *testing.T) {
	e := newEnv(t, testutil.SQLite(t), true)
	m := e.enqueue(t, e.cust, "same", "one")
	dup := m
	dup.ID = 0
	created, err := e.store.EnqueueOutbound(context.Background(), &dup)
	if err != nil || created {
		t.Fatalf("second enqueue: created=%v err=%v", created, err)
	}
}

func TestOutbox_RetriesTransientErrorsThenSendsOnce(t *testing.T) {
	tests := []struct {
		name   string
		script []fakegraph.Response
	}{
		{"429 rate limited", []fakegraph.Response{fakegraph.RateLimited(), fakegraph.RateLimited()}},
		{"500 server error", []fakegraph.Response{fakegraph.ServerError()}},
		{"131056 pair rate limit", []fakegraph.Response{fakegraph.PairRateLimited()}},
		{"hang past the client timeout", []fakegraph.Response{fakegraph.Hang(2 * time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, testutil.Postgres(t), true)
			e.fake.Script(tt.script...)
			m := e.enqueue(t, e.cust, "k", "Your order is ready")
			e.run(t, e.outbox(t, 300*time.Millisecond))
			eventually(t, "sent", func() bool { return e.get(t, m.ID).Status == models.OutSent })
			if got := sentBodies(e.fake); len(got) != 1 {
				t.Fatalf("accepted sends %v, want exactly 1", got)
			}
			if n := len(e.fake.Sent()); n != len(tt.script)+1 {
				t.Fatalf("%d attempts, want %d", n, len(tt.script)+1)
			}
			if got := e.get(t, m.ID); got.Attempts != len(tt.script)+1 {
				t.Fatalf("attempts recorded %d", got.Attempts)
			}
		})
	}
}

func TestOutbox_PermanentErrorFailsWithReason(t *testing.T) {
	e := newEnv(t, testutil.SQLite(t), true)
	e.fake.Script(fakegraph.Undeliverable())
	m := e.enqueue(t, e.cust, "k", "hi")
	e.run(t, e.outbox(t, time.Second))
	eventually(t, "failed", func() bool { return e.get(t, m.ID).Status == models.OutFailed })
	got := e.get(t, m.ID)
	if got.ErrorCode != 131026 || got.LastError == "" || len(e.fake.Sent()) != 1 {
		t.Fatalf("failed row %+v after %d sends", got, len(e.fake.Sent()))
	}
}

func TestOutbox_OutsideWindowUsesTemplateOrHolds(t *testing.T) {
	t.Run("template configured", func(t *testing.T) {
		e := newEnv(t, testutil.Postgres(t), false)
		e.biz.WindowTemplate, e.biz.TemplateLanguage = "order_update", "en_US"
		if err := e.store.UpdateBusinessSettings(context.Background(), e.biz); err != nil {
			t.Fatal(err)
		}
		m := e.enqueue(t, e.cust, "k", "Order #4 is\nout for delivery")
		e.run(t, e.outbox(t, time.Second))
		eventually(t, "sent", func() bool { return e.get(t, m.ID).Status == models.OutSent })
		body := string(e.fake.Sent()[0].Body)
		if !strings.Contains(body, `"type":"template"`) || !strings.Contains(body, `"name":"order_update"`) ||
			!strings.Contains(body, `Order #4 is · out for delivery`) {
			t.Fatalf("sent %s", body)
		}
	})
	t.Run("no template: held, released when the customer writes", func(t *testing.T) {
		e := newEnv(t, testutil.SQLite(t), false)
		m := e.enqueue(t, e.cust, "k", "hello")
		e.run(t, e.outbox(t, time.Second))
		eventually(t, "held", func() bool { return e.get(t, m.ID).Status == models.OutHeld })
		if len(e.fake.Sent()) != 0 {
			t.Fatal("a held message was sent")
		}
		e.customer(t, e.cust.WaID, true) // the customer writes: window open
		if n, err := e.store.ReleaseHeld(context.Background(), e.biz.ID, e.cust.ID); err != nil || n != 1 {
			t.Fatalf("released %d, %v", n, err)
		}
		eventually(t, "sent", func() bool { return e.get(t, m.ID).Status == models.OutSent })
	})
	t.Run("131047 from Meta switches to the template", func(t *testing.T) {
		e := newEnv(t, testutil.SQLite(t), true)
		e.biz.WindowTemplate = "order_update"
		e.store.UpdateBusinessSettings(context.Background(), e.biz) //nolint:errcheck
		e.fake.Script(fakegraph.OutsideWindow())
		m := e.enqueue(t, e.cust, "k", "late reply")
		e.run(t, e.outbox(t, time.Second))
		eventually(t, "sent", func() bool { return e.get(t, m.ID).Status == models.OutSent })
		if got := sentBodies(e.fake); len(got) != 1 || !strings.HasPrefix(got[0], "template:") {
			t.Fatalf("sent %v", got)
		}
	})
}

func TestOutbox_ExpiredTokenPausesTheNumberUntilReconnected(t *testing.T) {
	e := newEnv(t, testutil.Postgres(t), true)
	e.fake.Script(fakegraph.TokenExpired())
	m1 := e.enqueue(t, e.cust, "k1", "one")
	e.run(t, e.outbox(t, time.Second))
	eventually(t, "number marked", func() bool {
		p, _ := e.store.PhoneNumber(context.Background(), e.biz.ID, e.phone.ID)
		return p.Status == models.PhoneTokenExpired && p.StatusReason != ""
	})
	other := e.customer(t, "15550002", true)
	m2 := e.enqueue(t, other, "k2", "two")
	time.Sleep(200 * time.Millisecond)
	if n := len(e.fake.Sent()); n != 1 {
		t.Fatalf("%d sends while the token is expired, want the 1 that found out", n)
	}
	if e.get(t, m1.ID).Status != models.OutQueued || e.get(t, m2.ID).Status != models.OutQueued {
		t.Fatal("messages of a paused number must stay queued")
	}
	sealed, _ := e.box.Seal(token)
	p := models.PhoneNumber{BusinessID: e.biz.ID, PhoneNumberID: e.phone.PhoneNumberID, AccessTokenEnc: sealed}
	if err := e.store.AddPhoneNumber(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both sent after reconnecting", func() bool {
		return e.get(t, m1.ID).Status == models.OutSent && e.get(t, m2.ID).Status == models.OutSent
	})
}

func TestOutbox_OneCustomersMessagesGoInOrder(t *testing.T) {
	e := newEnv(t, testutil.Postgres(t), true)
	e.fake.Script(fakegraph.ServerError(), fakegraph.ServerError())
	for i := range 5 {
		e.enqueue(t, e.cust, fmt.Sprint("k", i), fmt.Sprint("msg ", i))
	}
	e.run(t, e.outbox(t, time.Second))
	eventually(t, "5 sent", func() bool { return len(sentBodies(e.fake)) == 5 })
	got := sentBodies(e.fake)
	for i, b := range got {
		if b != fmt.Sprintf("text:msg %d", i) {
			t.Fatalf("order %v", got)
		}
	}
}

func TestOutbox_KilledBetweenClaimAndSendResendsOnlyThatMessage(t *testing.T) {
	e := newEnv(t, testutil.Postgres(t), true)
	m := e.enqueue(t, e.cust, "k", "once")
	// The "killed" worker claimed with a short lease and never came back.
	claimed, err := e.store.ClaimOutbound(context.Background(), 10, 300*time.Millisecond, "dead")
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim %v %v", claimed, err)
	}
	e.run(t, e.outbox(t, time.Second))
	eventually(t, "sent after the lease ran out", func() bool { return e.get(t, m.ID).Status == models.OutSent })
	if n := len(e.fake.Sent()); n != 1 {
		t.Fatalf("%d sends, want 1", n)
	}
}

func TestOutbox_TwoInstancesNeverSendTheSameRow(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			var custs []models.Customer
			for i := range 20 {
				custs = append(custs, e.customer(t, fmt.Sprintf("1666%04d", i), true))
			}
			for i := range 200 {
				e.enqueue(t, custs[i%20], fmt.Sprint("k", i), fmt.Sprint("m", i))
			}
			a, b := e.outbox(t, 2*time.Second), e.outbox(t, 2*time.Second)
			e.run(t, a)
			e.run(t, b)
			eventually(t, "200 sent", func() bool { return len(e.fake.Sent()) >= 200 })
			time.Sleep(100 * time.Millisecond)
			seen := map[string]int{}
			for _, r := range e.fake.Sent() {
				seen[string(r.Body)]++
			}
			if len(e.fake.Sent()) != 200 || len(seen) != 200 {
				t.Fatalf("%d sends of %d distinct messages, want 200 and 200", len(e.fake.Sent()), len(seen))
			}
		})
	}
}

func TestOutbox_StatusesNeverMoveBackwardsAndEarlyOnesApply(t *testing.T) {
	e := newEnv(t, testutil.Postgres(t), true)
	m := e.enqueue(t, e.cust, "k", "hi")
	e.run(t, e.outbox(t, time.Second))
	eventually(t, "sent", func() bool { return e.get(t, m.ID).Status == models.OutSent })
	wamid := *e.get(t, m.ID).Wamid
	store := func(status string) {
		d := deliveryWithStatus(e, wamid, status)
		if _, err := e.store.StoreDeliveries(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	store("read")
	store("delivered") // late
	if got := e.get(t, m.ID); got.Status != models.OutRead || got.ReadAt == nil {
		t.Fatalf("status %s after read then delivered", got.Status)
	}

	// A status for a wamid we do not know yet is kept and applied when the send records it.
	m2 := e.enqueue(t, e.cust, "k2", "second")
	store2 := deliveryWithStatus(e, "wamid.early", "delivered")
	if _, err := e.store.StoreDeliveries(context.Background(), store2); err != nil {
		t.Fatal(err)
	}
	if err := e.store.MarkOutboundSent(context.Background(), e.get(t, m2.ID), "wamid.early"); err != nil {
		t.Fatal(err)
	}
	if got := e.get(t, m2.ID); got.Status != models.OutDelivered {
		t.Fatalf("early status not applied: %s", got.Status)
	}
}
