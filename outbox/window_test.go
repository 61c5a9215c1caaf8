package outbox_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/outbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// sentTemplate decodes the template of the i-th send request.
func sentTemplate(t *testing.T, e *env, i int) whatsapp.OutgoingMessage {
	t.Helper()
	var m whatsapp.OutgoingMessage
	if err := json.Unmarshal(e.fake.Sent()[i].Body, &m); err != nil || m.Type != "template" || m.Template == nil {
		t.Fatalf("send %d is not a template: %s (%v)", i, e.fake.Sent()[i].Body, err)
	}
	return m
}

func TestOutbox_ClosedWindowSendsTheTemplateWithTheTextAsItsParameter(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), false)
			e.setTemplate(t, "order_update")
			long := strings.Repeat("é", 1500)
			m1 := e.enqueue(t, e.cust, "k1", "Order #4 is\n\nout   for delivery")
			m2 := e.enqueue(t, e.cust, "k2", long)
			e.run(t, e.outbox(t, time.Second))
			e.waitStatus(t, m2.ID, models.OutSent)
			if all, _ := e.sends(); all != 2 {
				t.Fatalf("%d sends, want 2", all)
			}
			tm := sentTemplate(t, e, 0).Template
			if tm.Name != "order_update" || tm.Language.Code != "en_US" || len(tm.Components) != 1 ||
				tm.Components[0].Type != "body" || tm.Components[0].Parameters[0].Text != "Order #4 is · out for delivery" {
				t.Fatalf("template %+v", tm)
			}
			if p := []rune(sentTemplate(t, e, 1).Template.Components[0].Parameters[0].Text); len(p) != 1024 || p[1023] != '…' {
				t.Fatalf("long text became a %d-character parameter", len(p))
			}
			if got := e.get(t, m1.ID); got.Kind != "template" || !strings.Contains(got.Payload, "order_update") {
				t.Fatalf("the row does not say what was sent: %s %s", got.Kind, got.Payload)
			}
		})
	}
}

func TestOutbox_ClosedWindowWithoutTemplateHoldsUntilTheCustomerWrites(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), false)
			m := e.enqueue(t, e.cust, "k", "hello")
			e.run(t, e.outbox(t, time.Second))
			got := e.waitStatus(t, m.ID, models.OutHeld)
			if got.LastError != "outside 24h window, no template configured" {
				t.Fatalf("held with %q", got.LastError)
			}
			if all, _ := e.sends(); all != 0 || e.counter("held") != 1 {
				t.Fatalf("%d sends, held counter %v", all, e.counter("held"))
			}
			e.customer(t, e.cust.WaID, true) // the customer writes; nobody calls anything
			got = e.waitStatus(t, m.ID, models.OutSent)
			if r := e.fake.Sent()[0]; string(r.Body) != m.Payload || got.Kind != "text" {
				t.Fatalf("sent %s, want the original %s", r.Body, m.Payload)
			}
		})
	}
}

func TestOutbox_Meta131047SwitchesToTheTemplateOrHolds(t *testing.T) {
	t.Run("template configured", func(t *testing.T) {
		e := newEnv(t, testutil.Postgres(t), true) // our clock says open; Meta disagrees
		e.setTemplate(t, "order_update")
		e.fake.Script(fakegraph.OutsideWindow())
		m := e.enqueue(t, e.cust, "k", "late reply")
		e.run(t, e.outbox(t, time.Second))
		got := e.waitStatus(t, m.ID, models.OutSent)
		if all, _ := e.sends(); all != 2 || got.Attempts != 1 {
			t.Fatalf("%d sends, %d attempts counted", all, got.Attempts)
		}
		if string(e.fake.Sent()[0].Body) != m.Payload || sentTemplate(t, e, 1).Template.Components[0].Parameters[0].Text != "late reply" {
			t.Fatalf("sends %s then %s", e.fake.Sent()[0].Body, e.fake.Sent()[1].Body)
		}
	})
	t.Run("no template", func(t *testing.T) {
		e := newEnv(t, testutil.SQLite(t), true)
		e.fake.Script(fakegraph.OutsideWindow())
		m := e.enqueue(t, e.cust, "k", "late reply")
		e.run(t, e.outbox(t, time.Second))
		got := e.waitStatus(t, m.ID, models.OutHeld)
		if got.ErrorCode != 131047 || got.LastError != outbox.HoldReason {
			t.Fatalf("held row %+v", got)
		}
		e.customer(t, e.cust.WaID, true)
		e.waitStatus(t, m.ID, models.OutSent)
	})
	t.Run("reported later in a failed status webhook", func(t *testing.T) {
		e := newEnv(t, testutil.Postgres(t), true)
		e.setTemplate(t, "order_update")
		m := e.enqueue(t, e.cust, "k", "accepted, then refused")
		e.run(t, e.outbox(t, time.Second))
		wamid := *e.waitStatus(t, m.ID, models.OutSent).Wamid
		if _, err := e.store.StoreDeliveries(context.Background(), statusDelivery(e, wamid, "failed", 131047)); err != nil {
			t.Fatal(err)
		}
		eventually(t, "resent as the template", func() bool { all, _ := e.sends(); return all == 2 })
		got := e.waitStatus(t, m.ID, models.OutSent)
		if got.Kind != "template" || got.Wamid == nil || *got.Wamid == wamid ||
			sentTemplate(t, e, 1).Template.Components[0].Parameters[0].Text != "accepted, then refused" {
			t.Fatalf("row %+v", got)
		}
	})
}
