package outbox_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

func TestOutbox_SendsTheStoredPayloadWithTheNumbersTokenAndRecordsTheWamid(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			m := e.enqueue(t, e.cust, "k1", "Hello Ann")
			e.run(t, e.outbox(t, 5*time.Second))
			got := e.waitStatus(t, m.ID, models.OutSent)
			reqs := e.fake.Sent()
			if len(reqs) != 1 {
				t.Fatalf("%d sends, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != "/v23.0/555000/messages" || r.Authorization != "Bearer "+token ||
				r.MetaPhoneID != "555000" || r.To != e.cust.WaID || string(r.Body) != m.Payload {
				t.Fatalf("request %s %s auth %q to %s body %s; want payload %s", r.Method, r.Path, r.Authorization, r.To, r.Body, m.Payload)
			}
			if got.Wamid == nil || *got.Wamid != r.WAMID || got.SentAt == nil || got.Attempts != 1 || got.ClaimUntil != nil {
				t.Fatalf("row %+v, fake gave %s", got, r.WAMID)
			}
			if e.counter("sent") != 1 {
				t.Fatalf("sent counter %v", e.counter("sent"))
			}
		})
	}
}

func TestOutbox_RetriesTransientErrorsThenSendsOnce(t *testing.T) {
	tests := []struct {
		name   string
		script []fakegraph.Response
		code   int // error code the row carried before the success
	}{
		{"429 throughput 130429", []fakegraph.Response{fakegraph.RateLimited(), fakegraph.RateLimited()}, 130429},
		{"500 something went wrong 131000", []fakegraph.Response{fakegraph.ServerError()}, 131000},
		{"503 unavailable", []fakegraph.Response{fakegraph.Unavailable()}, 133004},
		{"131056 pair rate limit", []fakegraph.Response{fakegraph.PairRateLimited()}, 131056},
		{"4 app call limit", []fakegraph.Response{fakegraph.Err(http.StatusBadRequest, 4, "Application request limit reached")}, 4},
		{"80007 WABA rate limit", []fakegraph.Response{fakegraph.Err(http.StatusBadRequest, 80007, "Rate limit issues")}, 80007},
		{"hang past the client timeout", []fakegraph.Response{fakegraph.Hang(10 * time.Second)}, 0},
	}
	for _, be := range testutil.Backends() {
		for _, tt := range tests {
			t.Run(be.Name+"/"+tt.name, func(t *testing.T) {
				e := newEnv(t, be.Open(t), true)
				e.fake.Script(tt.script...)
				m := e.enqueue(t, e.cust, "k", "Your order is ready")
				e.run(t, e.outbox(t, 300*time.Millisecond))
				got := e.waitStatus(t, m.ID, models.OutSent)
				all, accepted := e.sends()
				if accepted != 1 || all != len(tt.script)+1 || got.Attempts != len(tt.script)+1 {
					t.Fatalf("%d requests, %d accepted, %d attempts recorded; want %d, 1, %d", all, accepted, got.Attempts,
						len(tt.script)+1, len(tt.script)+1)
				}
				for _, r := range e.fake.Sent() {
					if string(r.Body) != m.Payload || r.Authorization != "Bearer "+token {
						t.Fatalf("retry changed the request: %s %q", r.Body, r.Authorization)
					}
				}
				if e.counter("retry") != float64(len(tt.script)) || e.counter("sent") != 1 {
					t.Fatalf("counters retry=%v sent=%v", e.counter("retry"), e.counter("sent"))
				}
			})
		}
	}
}

func TestOutbox_HonoursRetryAfter(t *testing.T) {
	e := newEnv(t, testutil.SQLite(t), true)
	e.fake.Script(fakegraph.RateLimited().WithRetryAfter(2 * time.Second))
	m := e.enqueue(t, e.cust, "k", "hi")
	e.run(t, e.outbox(t, time.Second))
	eventually(t, "the 429 recorded", func() bool { return e.get(t, m.ID).Attempts == 1 })
	got := e.get(t, m.ID)
	if got.Status != models.OutQueued || got.ErrorCode != 130429 || got.NextAttemptAt.Sub(got.UpdatedAt) < 1900*time.Millisecond {
		t.Fatalf("after a 429 with Retry-After 2: status %s code %d, due %v after the update", got.Status, got.ErrorCode,
			got.NextAttemptAt.Sub(got.UpdatedAt))
	}
	e.waitStatus(t, m.ID, models.OutSent)
}

func TestOutbox_PairRateLimitBacksOffThatRecipientOnly(t *testing.T) {
	var annTried atomic.Bool
	e := newEnv(t, testutil.Postgres(t), true, fakegraph.WithResponder(func(r fakegraph.Request) fakegraph.Response {
		if r.To == "15550001" && !annTried.Swap(true) {
			return fakegraph.PairRateLimited()
		}
		return fakegraph.Response{}
	}))
	bob := e.customer(t, "15550002", true)
	a := e.enqueue(t, e.cust, "a1", "to Ann")
	for i := range 3 {
		e.enqueue(t, bob, fmt.Sprint("b", i), fmt.Sprint("to Bob ", i))
	}
	o := e.outbox(t, time.Second)
	o.PairPeriod = 2 * time.Second // the floor of a 131056 backoff
	e.run(t, o)
	e.waitStatus(t, a.ID, models.OutSent)
	got := e.texts()
	want := "[text:to Bob 0 text:to Bob 1 text:to Bob 2 text:to Ann]"
	if fmt.Sprint(got) != want {
		t.Fatalf("accepted sends %v, want Bob's three before Ann's retry: %s", got, want)
	}
}

func TestOutbox_PermanentErrorsFailWithTheReason(t *testing.T) {
	tests := []struct {
		name string
		resp fakegraph.Response
		code int
	}{
		{"131026 undeliverable", fakegraph.Undeliverable(), 131026},
		{"100 invalid parameter", fakegraph.InvalidParameter("bad recipient"), 100},
		{"131051 unsupported type", fakegraph.Err(http.StatusBadRequest, 131051, "Unsupported message type"), 131051},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, testutil.SQLite(t), true)
			e.fake.Script(tt.resp)
			m := e.enqueue(t, e.cust, "k", "hi")
			e.run(t, e.outbox(t, time.Second))
			got := e.waitStatus(t, m.ID, models.OutFailed)
			if all, _ := e.sends(); all != 1 || got.ErrorCode != tt.code || !strings.Contains(got.LastError, fmt.Sprint(tt.code)) ||
				got.FailedAt == nil || got.Attempts != 1 {
				t.Fatalf("failed row %+v after %d sends", got, all)
			}
			if e.counter("failed") != 1 || e.counter("retry") != 0 {
				t.Fatalf("counters failed=%v retry=%v", e.counter("failed"), e.counter("retry"))
			}
			if n := e.counterOf("waorder_outbound_send_errors_total", "code", fmt.Sprint(tt.code)); n != 1 {
				t.Fatalf("waorder_outbound_send_errors_total{code=%q} = %v, want 1", fmt.Sprint(tt.code), n)
			}
		})
	}
}

func TestOutbox_TransientFailuresAreRetriedPastMaxAttemptsWhileTheWindowIsOpen(t *testing.T) {
	e := newEnv(t, testutil.Postgres(t), true)
	for range 5 {
		e.fake.Script(fakegraph.ServerError())
	}
	m := e.enqueue(t, e.cust, "k", "hi")
	o := e.outbox(t, time.Second)
	o.MaxAttempts = 3
	e.run(t, o)
	got := e.waitStatus(t, m.ID, models.OutSent)
	if all, accepted := e.sends(); all != 6 || accepted != 1 || got.Attempts != 6 {
		t.Fatalf("row %+v after %d sends (%d accepted)", got, all, accepted)
	}
}

func TestOutbox_OneCustomersMessagesGoInOrderThroughRetries(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			bob := e.customer(t, "15550002", true)
			e.fake.Script(fakegraph.ServerError(), fakegraph.RateLimited(), fakegraph.Hang(5*time.Second), fakegraph.ServerError())
			for i := range 5 {
				e.enqueue(t, e.cust, fmt.Sprint("a", i), fmt.Sprint("Ann ", i))
				e.enqueue(t, bob, fmt.Sprint("b", i), fmt.Sprint("Bob ", i))
			}
			e.run(t, e.outbox(t, 300*time.Millisecond))
			eventually(t, "10 accepted", func() bool { _, n := e.sends(); return n == 10 })
			var ann, bobs []string
			for _, s := range e.texts() {
				if strings.Contains(s, "Ann") {
					ann = append(ann, s)
				} else {
					bobs = append(bobs, s)
				}
			}
			for i := range 5 {
				if ann[i] != fmt.Sprint("text:Ann ", i) || bobs[i] != fmt.Sprint("text:Bob ", i) {
					t.Fatalf("order per recipient: Ann %v, Bob %v", ann, bobs)
				}
			}
		})
	}
}

func TestOutbox_WakeSendsWithoutWaitingForThePoll(t *testing.T) {
	e := newEnv(t, testutil.SQLite(t), true)
	o := e.outbox(t, time.Second)
	o.Poll = time.Hour
	e.run(t, o)
	m := e.enqueue(t, e.cust, "k", "hi")
	o.Wake()
	e.waitStatus(t, m.ID, models.OutSent)
}

func TestOutbox_StatusWebhooksAfterTheSendMoveItForwardOnly(t *testing.T) {
	e := newEnv(t, testutil.Postgres(t), true)
	m := e.enqueue(t, e.cust, "k", "hi")
	e.run(t, e.outbox(t, time.Second))
	wamid := *e.waitStatus(t, m.ID, models.OutSent).Wamid
	for _, st := range []string{"read", "delivered"} {
		if _, err := e.store.StoreDeliveries(context.Background(), statusDelivery(e, wamid, st, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.get(t, m.ID); got.Status != models.OutRead {
		t.Fatalf("status %s after read then delivered", got.Status)
	}
}

// statusDelivery is a stored status webhook, as ingest makes it.
func statusDelivery(e *env, wamid, status string, code int) []repository.Delivery {
	return []repository.Delivery{{Statuses: []models.MessageStatus{{BusinessID: e.biz.ID, Wamid: wamid, Status: status,
		Recipient: e.cust.WaID, ErrorCode: code, ErrorTitle: whatsappTitle(code),
		Payload: fmt.Sprintf(`{"id":%q,"status":%q}`, wamid, status), StatusAt: time.Now().UTC()}}}}
}

func whatsappTitle(code int) string {
	if code == whatsapp.CodeOutsideWindow {
		return "Re-engagement message"
	}
	return ""
}

func TestOutbox_PacingPutsMessagesOffWithoutCountingAttempts(t *testing.T) {
	e := newEnv(t, testutil.SQLite(t), true)
	var ids []int64
	for i := range 3 {
		ids = append(ids, e.enqueue(t, e.cust, fmt.Sprint("k", i), fmt.Sprint("m", i)).ID)
	}
	o := e.outbox(t, time.Second)
	o.PairBurst, o.PairPeriod = 1, 300*time.Millisecond // one message per 300ms to Ann
	e.run(t, o)
	for _, id := range ids {
		if got := e.waitStatus(t, id, models.OutSent); got.Attempts != 1 {
			t.Fatalf("a paced message counted %d attempts", got.Attempts)
		}
	}
	if all, _ := e.sends(); all != 3 || fmt.Sprint(e.texts()) != "[text:m0 text:m1 text:m2]" {
		t.Fatalf("%d sends: %v", all, e.texts())
	}
}

func TestOutbox_StopFinishesTheSendInHandAndGivesBackTheRest(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			e.fake.Script(fakegraph.OK().WithDelay(300 * time.Millisecond))
			var ids []int64
			for i := range 3 {
				c := e.customer(t, fmt.Sprint("1555900", i), true)
				ids = append(ids, e.enqueue(t, c, fmt.Sprint("k", i), fmt.Sprint("m", i)).ID)
			}
			o := e.outbox(t, 5*time.Second)
			o.Workers = 1 // one send in hand, one more claimed and waiting
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { o.Run(ctx); close(done) }()
			eventually(t, "the first send to start", func() bool { all, _ := e.sends(); return all == 1 })
			cancel()
			<-done
			if all, accepted := e.sends(); all != 1 || accepted != 1 {
				t.Fatalf("%d sends (%d accepted) after stopping, want the one in hand, finished", all, accepted)
			}
			if got := e.get(t, ids[0]); got.Status != models.OutSent {
				t.Fatalf("the send in hand was not recorded: %s", got.Status)
			}
			for _, id := range ids[1:] {
				if got := e.get(t, id); got.Status != models.OutQueued || got.ClaimUntil != nil || got.Attempts != 0 {
					t.Fatalf("a message claimed but not started was not given back: %+v", got)
				}
			}
		})
	}
}
