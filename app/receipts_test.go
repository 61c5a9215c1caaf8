package app

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// TestReadReceipts_ANumberIsReadOncePerTTL: a burst of receipts reads the number's row once and marks each message
// read with its token; a number disconnected since is seen once the row's time is up, and then gets none.
func TestReadReceipts_ANumberIsReadOncePerTTL(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			store := be.Open(t)
			b := merchanttest.Seed(t, store, "Receipts", 0)
			box, err := secretbox.New([]byte(strings.Repeat("k", 32)))
			if err != nil {
				t.Fatal(err)
			}
			enc, err := box.Seal("receipt-token")
			if err != nil {
				t.Fatal(err)
			}
			must(t, store.DB(ctx).Model(&models.PhoneNumber{}).Where("id = ?", b.Phone.ID).Update("access_token_enc", enc).Error)
			fake := fakegraph.New()
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			r := newReadReceipts(store, box, whatsapp.NewClient(srv.URL, "v23.0", nil), slog.New(slog.DiscardHandler))
			var mu sync.Mutex
			clock := time.Now()
			r.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
			msg := func(wamid string) models.InboundMessage {
				return models.InboundMessage{BusinessID: b.Business.ID, PhoneNumberID: b.Phone.ID, Wamid: wamid}
			}

			r.markRead(ctx, msg("wamid.1"))
			must(t, store.SetPhoneStatus(ctx, b.Business.ID, b.Phone.ID, models.PhoneDisconnected, "test"))
			r.markRead(ctx, msg("wamid.2")) // within the TTL: the row read for wamid.1 still says connected
			mu.Lock()
			clock = clock.Add(receiptPhoneTTL + time.Second)
			mu.Unlock()
			r.markRead(ctx, msg("wamid.3")) // the row is read again: disconnected, no receipt

			var got []string
			for _, req := range fake.Requests() {
				if req.Kind != fakegraph.KindMarkRead {
					continue
				}
				if req.Token() != "receipt-token" || req.MetaPhoneID != b.Phone.MetaPhoneID {
					t.Errorf("receipt with token %q from %q, want receipt-token from %q", req.Token(), req.MetaPhoneID, b.Phone.MetaPhoneID)
				}
				got = append(got, string(req.Body))
			}
			if len(got) != 2 || !strings.Contains(got[0], "wamid.1") || !strings.Contains(got[1], "wamid.2") {
				t.Fatalf("receipts sent: %q, want wamid.1 and wamid.2 only", got)
			}
		})
	}
}
