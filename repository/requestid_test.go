package repository_test

import (
	"context"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/requestid"
	"github.com/waorder/waorder/testutil"
)

func TestRequestID_TravelsFromTheWebhooksRowsToTheRepliesRows(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s := be.Open(t)
			e := newOutEnv(t, s, "p-"+testutil.RandomHex(4))
			d := delivery(e.biz, e.phone, "wamid.rid."+testutil.RandomHex(4), "1777", time.Now())
			d.Messages[0].Message.RequestID = "webhook-1"
			d.Events = []models.WebhookEvent{{BusinessID: &e.biz.ID, Kind: models.EventKindUnparsed, Reason: "test",
				Payload: "{", Hash: "rid-" + testutil.RandomHex(8), RequestID: "webhook-1"}}
			if _, err := s.StoreDeliveries(ctx, []repository.Delivery{d}); err != nil {
				t.Fatal(err)
			}
			// Meta's retry of the same body comes with another request id; the message keeps the first.
			d.Messages[0].Message.RequestID, d.Events[0].RequestID = "webhook-2", "webhook-2"
			if _, err := s.StoreDeliveries(ctx, []repository.Delivery{d}); err != nil {
				t.Fatal(err)
			}
			claimed, err := s.ClaimUnprocessed(ctx, nil, 10, time.Minute, 5)
			if err != nil || len(claimed) != 1 || claimed[0].RequestID != "webhook-1" {
				t.Fatalf("claimed %+v, %v; want the message with request id webhook-1", claimed, err)
			}
			events, err := s.ListEvents(ctx, models.EventKindUnparsed, 10)
			if err != nil || len(events) != 1 || events[0].RequestID != "webhook-1" {
				t.Fatalf("events %+v, %v; want one with request id webhook-1", events, err)
			}

			// A reply queued while handling the message takes the id from the context; one naming its own keeps it.
			c, err := s.Customer(ctx, e.biz.ID, claimed[0].CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			rctx := requestid.With(ctx, claimed[0].RequestID)
			reply := e.enqueueCtx(t, rctx, c, "reply", "")
			own := e.enqueueCtx(t, rctx, c, "own", "dashboard-7")
			if got := e.get(t, reply.ID).RequestID; got != "webhook-1" {
				t.Errorf("reply's request id %q, want webhook-1", got)
			}
			if got := e.get(t, own.ID).RequestID; got != "dashboard-7" {
				t.Errorf("request id named by the message %q, want dashboard-7", got)
			}
			out, err := s.ClaimOutbound(ctx, 10, time.Minute, "w")
			if err != nil || len(out) != 1 || out[0].RequestID != "webhook-1" {
				t.Fatalf("outbox claimed %+v, %v; want the reply with request id webhook-1", out, err)
			}
		})
	}
}

// enqueueCtx queues a text for c with ctx (and its request id), or with the message's own requestID when set.
func (e *outEnv) enqueueCtx(t *testing.T, ctx context.Context, c models.Customer, key, requestID string) models.OutboundMessage {
	t.Helper()
	m := models.OutboundMessage{BusinessID: e.biz.ID, PhoneNumberID: e.phone.ID, CustomerID: c.ID, ToWaID: c.WaID,
		Kind: "text", Payload: `{"messaging_product":"whatsapp"}`, Summary: key, IdempotencyKey: key + testutil.RandomHex(4),
		RequestID: requestID}
	if created, err := e.s.EnqueueOutbound(ctx, &m); err != nil || !created {
		t.Fatalf("enqueue %s: created=%v err=%v", key, created, err)
	}
	return m
}
