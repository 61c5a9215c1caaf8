package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/outbox"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/sandbox"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

// The loop the sandbox exists for, on a real database: the outbox sends through the in-process fake, the fake's
// status webhooks go through ingest, and the message ends up read.
func TestSandbox_OutboxSendComesBackAsReadInTheDatabase(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			store := be.Open(t)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			box, _ := secretbox.New(bytes.Repeat([]byte{7}, 32))
			biz := models.Business{Name: "Sandbox Cafe"}
			if err := store.CreateBusiness(ctx, &biz); err != nil {
				t.Fatal(err)
			}
			sealed, _ := box.Seal("sandbox-token")
			phone := models.PhoneNumber{BusinessID: biz.ID, MetaPhoneID: "100000000000001", AccessTokenEnc: sealed}
			if err := store.AddPhoneNumber(ctx, &phone); err != nil {
				t.Fatal(err)
			}
			at := time.Now().UTC()
			if _, err := store.StoreDeliveries(ctx, []repository.Delivery{{Customers: []models.Customer{
				{BusinessID: biz.ID, WaID: "15550001", LastInboundAt: &at}}}}); err != nil {
				t.Fatal(err)
			}
			cust, err := store.CustomerByWaID(ctx, biz.ID, "15550001")
			if err != nil {
				t.Fatal(err)
			}

			ing := ingest.New(store, log, ingest.Options{}, nil)
			defer ing.Close()
			sb := sandbox.New(ing, log, testutil.RandomHex(4), 20*time.Millisecond)
			defer sb.Close()
			out := outbox.New(store, sb.Client("v23.0"), box, log, nil, 80)
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { out.Run(runCtx); close(done) }()
			defer func() { stop(); <-done }()

			msg, _ := whatsapp.NewText(cust.WaID, "Your order is ready", false)
			payload, _ := json.Marshal(msg)
			m := models.OutboundMessage{BusinessID: biz.ID, PhoneNumberID: phone.ID, CustomerID: cust.ID, ToWaID: cust.WaID,
				Kind: "text", Payload: string(payload), Summary: msg.Summary(), IdempotencyKey: "ready-1"}
			if _, err := store.EnqueueOutbound(ctx, &m); err != nil {
				t.Fatal(err)
			}
			out.Wake()
			deadline := time.Now().Add(30 * time.Second)
			for {
				got, err := store.Outbound(ctx, biz.ID, m.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status == models.OutRead && got.SentAt != nil && got.DeliveredAt != nil && got.ReadAt != nil {
					log := sb.Sent(phone.MetaPhoneID, cust.WaID)
					if len(log) != 1 || log[0].WAMID != *got.Wamid || log[0].Text != "Your order is ready" {
						t.Fatalf("sandbox log %+v for row %+v", log, got)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("row never read: %+v", got)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
