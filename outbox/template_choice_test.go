package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// TestOutbox_ChosenTemplateGetsOrderNumberStatusAndBusinessName: the merchant's chosen sources fill the
// template's variables of an order notification sent outside the window.
func TestOutbox_ChosenTemplateGetsOrderNumberStatusAndBusinessName(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), false)
			ctx := context.Background()
			if err := e.store.SetWindowTemplate(ctx, e.biz.ID, "order_update", "en_US", "order_number,status,business_name"); err != nil {
				t.Fatal(err)
			}
			tpl := models.MessageTemplate{BusinessID: e.biz.ID, Name: "order_update", Language: "en_US", Status: "APPROVED", ParamCount: 3}
			if err := e.store.SaveTemplate(ctx, &tpl); err != nil {
				t.Fatal(err)
			}
			o := models.Order{BusinessID: e.biz.ID, CustomerID: e.cust.ID, Currency: "USD", Fulfillment: models.FulfillPickup,
				Source: "chat", SourceKey: "wamid." + testutil.RandomHex(8),
				Items: []models.OrderItem{{RetailerID: "tea", Name: "Tea", Quantity: 1, UnitPriceMinor: 250}}}
			o.TotalMinor = 250
			if err := e.store.Tx(ctx, func(tx *repository.Store) error { return tx.CreateOrder(ctx, &o) }); err != nil {
				t.Fatal(err)
			}
			m := e.enqueue(t, e.cust, fmt.Sprintf("order:%d:status:out_for_delivery", o.ID), "Your order is on its way")
			e.run(t, e.outbox(t, time.Second))
			e.waitStatus(t, m.ID, models.OutSent)
			ps := sentTemplate(t, e, 0).Template.Components[0].Parameters
			if len(ps) != 3 || ps[0].Text != fmt.Sprintf("#%d", o.Number) || ps[1].Text != "out for delivery" || ps[2].Text != "Cafe" {
				t.Fatalf("parameters %+v", ps)
			}
		})
	}
}

// TestOutbox_PausedTemplateIsNotSent: a template Meta paused is not used; the message waits for the customer.
func TestOutbox_PausedTemplateIsNotSent(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), false)
			e.setTemplate(t, "order_update")
			tpl := models.MessageTemplate{BusinessID: e.biz.ID, Name: "order_update", Language: "en_US", Status: "PAUSED"}
			if err := e.store.SaveTemplate(context.Background(), &tpl); err != nil {
				t.Fatal(err)
			}
			m := e.enqueue(t, e.cust, "k", "hello")
			e.run(t, e.outbox(t, time.Second))
			got := e.waitStatus(t, m.ID, models.OutHeld)
			if !strings.Contains(got.LastError, "template order_update is paused") {
				t.Errorf("held with %q", got.LastError)
			}
			if all, _ := e.sends(); all != 0 {
				t.Errorf("%d sends", all)
			}
		})
	}
}
