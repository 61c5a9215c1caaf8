package outbox_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/outbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// checkSentOnceInOrder asserts that every queued message went out exactly once, that each customer got theirs in
// the order queued (texts "c<customer>-<n>"), and that each row records the wamid Meta gave that very send.
func checkSentOnceInOrder(t *testing.T, e *env, ids []int64, customers, each int) {
	t.Helper()
	ctx := context.Background()
	for _, id := range ids {
		e.waitStatus(t, id, models.OutSent)
	}
	perText := sendsPerText(e)
	if all, _ := e.sends(); all != customers*each || len(perText) != customers*each {
		t.Fatalf("%d requests for %d distinct messages, want %d of each", all, len(perText), customers*each)
	}
	next := map[string]int{}
	for _, r := range e.fake.Sent() {
		var c, n int
		fmt.Sscanf(textOf(r.Body), "c%d-%d", &c, &n)
		if n != next[r.To] {
			t.Fatalf("%s got message %d, want %d", r.To, n, next[r.To])
		}
		next[r.To]++
	}
	byText := map[string]string{}
	for _, id := range ids {
		m, err := e.store.Outbound(ctx, e.biz.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Wamid == nil || m.Attempts != 1 {
			t.Fatalf("row %d: wamid %v after %d attempts", id, m.Wamid, m.Attempts)
		}
		byText[m.Summary] = *m.Wamid
	}
	for _, r := range e.fake.Sent() {
		if got := byText[textOf(r.Body)]; got != r.WAMID {
			t.Fatalf("%q was accepted as %s but recorded as %s", textOf(r.Body), r.WAMID, got)
		}
	}
}

// queueChats queues each messages for each of customers, interleaved as concurrent conversations queue them.
func queueChats(t *testing.T, e *env, customers, each int) []int64 {
	t.Helper()
	var cs []models.Customer
	for i := range customers {
		cs = append(cs, e.customer(t, fmt.Sprintf("1777%04d", i), true))
	}
	var ids []int64
	for n := range each {
		for i, c := range cs {
			text := fmt.Sprintf("c%d-%d", i, n)
			ids = append(ids, e.enqueue(t, c, text, text).ID)
		}
	}
	return ids
}

func TestOutbox_ManyWorkersSendABacklogOnceEachInEachCustomersOrder(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			ids := queueChats(t, e, 24, 4)
			o := e.outbox(t, 5*time.Second)
			o.Workers = 16
			e.run(t, o)
			checkSentOnceInOrder(t, e, ids, 24, 4)
		})
	}
}

// Leases are on the database's clock: instances whose clocks are an hour apart each way still never take a row
// another one holds. (With leases on each instance's clock, the one ahead would find every lease expired.)
func TestOutbox_SkewedClocksNeverSendOneRowTwice(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			slow := fakegraph.WithResponder(func(fakegraph.Request) fakegraph.Response { return fakegraph.Hang(30 * time.Millisecond) })
			e := newEnv(t, be.Open(t), true, slow)
			ids := queueChats(t, e, 12, 4)
			for _, skew := range []time.Duration{-time.Hour, 0, time.Hour} {
				o := e.outbox(t, 2*time.Second)
				o.Workers = 4
				outbox.SetClock(o, func() time.Time { return time.Now().Add(skew) })
				e.run(t, o)
			}
			checkSentOnceInOrder(t, e, ids, 12, 4)
		})
	}
}

// While webhook commits wait (Busy), the outbox keeps no more than twice BusyWorkers sends in hand, whatever its
// worker count, and leaves the database to the commits; once they catch up it sends with every worker again.
func TestOutbox_YieldsToWebhookCommitsWhileTheyWait(t *testing.T) {
	slow := fakegraph.WithResponder(func(fakegraph.Request) fakegraph.Response { return fakegraph.Hang(100 * time.Millisecond) })
	e := newEnv(t, testutil.SQLite(t), true, slow)
	var inFlight, peak atomic.Int64
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		e.fake.ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)
	e.srv = counting
	ids := queueChats(t, e, 40, 1)
	var busy atomic.Bool
	busy.Store(true)
	o := e.outbox(t, 5*time.Second)
	o.Workers, o.BusyWorkers, o.Busy = 16, 2, busy.Load
	e.run(t, o)
	for _, id := range ids[:12] {
		e.waitStatus(t, id, models.OutSent)
	}
	if p := peak.Load(); p > 4 {
		t.Fatalf("%d sends at once while the commits waited, want at most 4", p)
	}
	busy.Store(false)
	checkSentOnceInOrder(t, e, ids, 40, 1)
	if p := peak.Load(); p <= 4 {
		t.Fatalf("at most %d sends at once after the commits caught up, want more than 4 (16 workers)", p)
	}
}
