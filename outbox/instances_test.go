package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

func TestOutbox_ExpiredTokenPausesTheNumberUntilItIsReconnected(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, be.Open(t), true, fakegraph.WithRevokedToken(token))
			bob := e.customer(t, "15550002", true)
			m1, m2 := e.enqueue(t, e.cust, "k1", "one"), e.enqueue(t, bob, "k2", "two")
			o := e.outbox(t, time.Second)
			e.run(t, o)
			eventually(t, "the number marked", func() bool {
				p, _ := e.store.PhoneNumber(ctx, e.biz.ID, e.phone.ID)
				return p.Status == models.PhoneTokenExpired && strings.Contains(p.StatusReason, "190")
			})
			eventually(t, "both back in the queue", func() bool {
				a, b := e.get(t, m1.ID), e.get(t, m2.ID)
				return a.ClaimUntil == nil && b.ClaimUntil == nil
			})
			before, _ := e.sends()
			m3 := e.enqueue(t, e.cust, "k3", "three")
			o.Wake()
			time.Sleep(300 * time.Millisecond) // several polls: nothing may be sent meanwhile
			if n, _ := e.sends(); n != before || before > 2 {
				t.Fatalf("%d sends while paused, %d before; want none after the one(s) that found out", n-before, before)
			}
			for _, id := range []int64{m1.ID, m2.ID, m3.ID} {
				if got := e.get(t, id); got.Status != models.OutQueued || got.Attempts != 0 {
					t.Fatalf("message of a paused number: %s after %d attempts; want queued, 0", got.Status, got.Attempts)
				}
			}
			sealed, _ := e.box.Seal("EAAG-new-token")
			p := models.PhoneNumber{BusinessID: e.biz.ID, MetaPhoneID: e.phone.MetaPhoneID, AccessTokenEnc: sealed}
			if err := e.store.AddPhoneNumber(ctx, &p); err != nil {
				t.Fatal(err)
			}
			for _, id := range []int64{m1.ID, m2.ID, m3.ID} {
				e.waitStatus(t, id, models.OutSent)
			}
			for _, r := range e.fake.Sent()[before:] {
				if r.Authorization != "Bearer EAAG-new-token" {
					t.Fatalf("sent with %q after reconnecting", r.Authorization)
				}
			}
			if e.counter("failed") != 0 {
				t.Fatal("a token problem failed a message")
			}
		})
	}
}

func TestOutbox_KilledBetweenClaimAndSendSendsEachMessageOnce(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			var ids []int64
			for i := range 5 {
				c := e.customer(t, fmt.Sprint("1666000", i), true)
				ids = append(ids, e.enqueue(t, c, fmt.Sprint("k", i), fmt.Sprint("m", i)).ID)
			}
			// The "killed" process claimed everything with a short lease and never sent or came back.
			claimed, err := e.store.ClaimOutbound(context.Background(), 10, time.Second, "dead")
			if err != nil || len(claimed) != 5 {
				t.Fatalf("claim: %d, %v", len(claimed), err)
			}
			e.run(t, e.outbox(t, time.Second))
			for _, id := range ids {
				e.waitStatus(t, id, models.OutSent)
			}
			if all, _ := e.sends(); all != 5 {
				t.Fatalf("%d sends, want 5", all)
			}
		})
	}
}

func TestOutbox_KilledAfterMetaAcceptedResendsOnlyThatMessage(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, be.Open(t), true)
			var ids []int64
			for i := range 5 {
				c := e.customer(t, fmt.Sprint("1666000", i), true)
				ids = append(ids, e.enqueue(t, c, fmt.Sprint("k", i), fmt.Sprint("m", i)).ID)
			}
			// The doomed process claims one message, Meta accepts its send, and it dies before recording the wamid.
			claimed, err := e.store.ClaimOutbound(ctx, 1, time.Second, "dead")
			if err != nil || len(claimed) != 1 {
				t.Fatalf("claim: %v, %v", claimed, err)
			}
			client := whatsapp.NewClient(e.srv.URL, "v23.0", &http.Client{Timeout: time.Second})
			if _, err := client.Send(ctx, e.phone.MetaPhoneID, token, []byte(claimed[0].Payload)); err != nil {
				t.Fatal(err)
			}
			e.run(t, e.outbox(t, time.Second))
			for _, id := range ids {
				e.waitStatus(t, id, models.OutSent)
			}
			perKey := sendsPerText(e)
			for i := range 5 {
				want := 1
				if fmt.Sprint("m", i) == claimed[0].Summary {
					want = 2 // the documented bound: the one message in flight when the process died, once more
				}
				if perKey[fmt.Sprint("m", i)] != want {
					t.Fatalf("sends per message %v; want 2 for %s and 1 for the others", perKey, claimed[0].Summary)
				}
			}
		})
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
			var ids []int64
			for i := range 200 {
				ids = append(ids, e.enqueue(t, custs[i%20], fmt.Sprint("k", i), fmt.Sprint("m", i)).ID)
			}
			a, b := e.outbox(t, 2*time.Second), e.outbox(t, 2*time.Second)
			a.Workers, b.Workers = 4, 4
			e.run(t, a)
			e.run(t, b)
			for _, id := range ids {
				e.waitStatus(t, id, models.OutSent)
			}
			perKey := sendsPerText(e)
			if all, _ := e.sends(); all != 200 || len(perKey) != 200 {
				t.Fatalf("%d requests for %d distinct messages, want 200 and 200", all, len(perKey))
			}
			for k, n := range perKey {
				if n != 1 {
					t.Fatalf("%s sent %d times", k, n)
				}
			}
			// And each recipient got its ten in the order they were queued.
			next := map[string]int{}
			for _, r := range e.fake.Sent() {
				var i int
				fmt.Sscanf(textOf(r.Body), "m%d", &i)
				if want := next[r.To]*20 + i%20; i != want {
					t.Fatalf("%s got m%d, want m%d", r.To, i, want)
				}
				next[r.To]++
			}
		})
	}
}

func textOf(body []byte) string {
	var m whatsapp.OutgoingMessage
	json.Unmarshal(body, &m) //nolint:errcheck
	return m.Text()
}

// sendsPerText counts the fake's send requests per message text (each test message has its own).
func sendsPerText(e *env) map[string]int {
	out := map[string]int{}
	for _, r := range e.fake.Sent() {
		out[textOf(r.Body)]++
	}
	return out
}
