package repository_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

func TestInboundMedia_QueuedOncePerMessageAndScopedToItsBusiness(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, p := seedBusiness(t, s, "61")
			other, _ := seedBusiness(t, s, "62")
			ids, err := s.StoreDeliveries(ctx, []repository.Delivery{delivery(b, p, "w1", "1555", time.Now())})
			if err != nil || len(ids) != 1 {
				t.Fatalf("store message: %v, %v", ids, err)
			}
			m := models.InboundMedia{BusinessID: b.ID, InboundMessageID: ids[0], PhoneNumberID: p.ID, Kind: "image",
				MediaID: "m1", MimeType: "image/png"}
			for i, want := range []bool{true, false} {
				created, err := s.RecordInboundMedia(ctx, m)
				if err != nil || created != want {
					t.Fatalf("record #%d: created=%v, %v", i+1, created, err)
				}
			}
			claimed, err := s.ClaimInboundMedia(ctx, 10, time.Minute, 3)
			if err != nil || len(claimed) != 1 || claimed[0].Attempts != 1 {
				t.Fatalf("claim: %+v, %v", claimed, err)
			}
			if again, err := s.ClaimInboundMedia(ctx, 10, time.Minute, 3); err != nil || len(again) != 0 {
				t.Fatalf("a leased file was claimed again: %+v, %v", again, err)
			}
			if err := s.MediaStored(ctx, b.ID, claimed[0].ID, "b1/in/x.png", "image/png", 99); err != nil {
				t.Fatal(err)
			}
			got, err := s.InboundMedia(ctx, b.ID, claimed[0].ID)
			if err != nil || got.Status != models.MediaStored || got.StorageKey != "b1/in/x.png" || got.SizeBytes != 99 {
				t.Fatalf("stored file: %+v, %v", got, err)
			}
			if _, err := s.InboundMedia(ctx, other.ID, claimed[0].ID); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("another business read the file: %v", err)
			}
			if byMsg, err := s.InboundMediaOfMessages(ctx, other.ID, []int64{ids[0]}); err != nil || len(byMsg) != 0 {
				t.Fatalf("another business listed the file: %v, %v", byMsg, err)
			}
		})
	}
}

func TestInboundMedia_LastTryThatNeverFinishedIsSettledAsFailed(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	b, p := seedBusiness(t, s, "63")
	ids, err := s.StoreDeliveries(ctx, []repository.Delivery{delivery(b, p, "w1", "1555", time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordInboundMedia(ctx, models.InboundMedia{BusinessID: b.ID, InboundMessageID: ids[0],
		PhoneNumberID: p.ID, Kind: "audio", MediaID: "m"}); err != nil {
		t.Fatal(err)
	}
	// One attempt allowed, and its lease already over: the instance died during it.
	if c, err := s.ClaimInboundMedia(ctx, 1, -time.Second, 1); err != nil || len(c) != 1 {
		t.Fatalf("claim: %v, %v", c, err)
	}
	n, err := s.SettleExhaustedMedia(ctx, 1)
	if err != nil || n != 1 {
		t.Fatalf("settled %d, %v", n, err)
	}
	byMsg, err := s.InboundMediaOfMessages(ctx, b.ID, ids)
	if m := byMsg[ids[0]]; err != nil || m.Status != models.MediaFailed || m.Reason != "gave up after 1 attempts" {
		t.Fatalf("file %+v, %v", m, err)
	}
}

func TestProductImage_SetReplacedAndFoundOnlyInItsBusiness(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, _ := seedBusiness(t, s, "71")
			other, _ := seedBusiness(t, s, "72")
			p := models.Product{BusinessID: b.ID, RetailerID: "pizza", Name: "Pizza", PriceMinor: 900, Currency: "USD", Available: true}
			if err := s.CreateProduct(ctx, &p); err != nil {
				t.Fatal(err)
			}
			if old, err := s.SetProductImage(ctx, b.ID, p.ID, "b1/products/a.png", "image/png"); err != nil || old != "" {
				t.Fatalf("first picture: old %q, %v", old, err)
			}
			if old, err := s.SetProductImage(ctx, b.ID, p.ID, "b1/products/b.jpg", "image/jpeg"); err != nil || old != "b1/products/a.png" {
				t.Fatalf("second picture: old %q, %v", old, err)
			}
			p.Name = "Pizza Margherita"
			if err := s.UpdateProduct(ctx, p); err != nil {
				t.Fatal(err)
			}
			got, err := s.ProductByImageKey(ctx, b.ID, "b1/products/b.jpg")
			if err != nil || got.ID != p.ID || got.ImageType != "image/jpeg" || got.Name != "Pizza Margherita" {
				t.Fatalf("by key after an edit: %+v, %v", got, err)
			}
			for _, c := range []struct {
				biz int64
				key string
			}{{other.ID, "b1/products/b.jpg"}, {b.ID, "b1/products/a.png"}, {b.ID, ""}} {
				if _, err := s.ProductByImageKey(ctx, c.biz, c.key); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("business %d key %q: %v, want ErrNotFound", c.biz, c.key, err)
				}
			}
			if _, err := s.SetProductImage(ctx, other.ID, p.ID, "x/y.png", "image/png"); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("another business set the picture: %v", err)
			}
		})
	}
}

// An open thread asks which of its customer's messages had their file settled since a moment: stored, refused or
// removed files count, pending ones and other customers' or businesses' do not.
func TestInboundMedia_SettledSinceListsTheCustomersMessagesWhoseFileSettled(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, p := seedBusiness(t, s, "64")
			other, op := seedBusiness(t, s, "65")
			record := func(biz models.Business, phone models.PhoneNumber, wamid, waID string) (msgID, mediaID int64) {
				ids, err := s.StoreDeliveries(ctx, []repository.Delivery{delivery(biz, phone, wamid, waID, time.Now())})
				if err != nil || len(ids) != 1 {
					t.Fatalf("store %s: %v %v", wamid, ids, err)
				}
				if _, err := s.RecordInboundMedia(ctx, models.InboundMedia{BusinessID: biz.ID, InboundMessageID: ids[0],
					PhoneNumberID: phone.ID, Kind: "image", MediaID: wamid, MimeType: "image/png"}); err != nil {
					t.Fatal(err)
				}
				f, err := s.InboundMediaOfMessages(ctx, biz.ID, ids)
				if err != nil {
					t.Fatal(err)
				}
				return ids[0], f[ids[0]].ID
			}
			before := time.Now().Add(-time.Second)
			stored, storedFile := record(b, p, "s1", "1555")
			refused, refusedFile := record(b, p, "s2", "1555")
			_, _ = record(b, p, "s3", "1555") // still pending
			_, otherCustFile := record(b, p, "s4", "1666")
			_, otherBizFile := record(other, op, "s5", "1555")
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(s.MediaStored(ctx, b.ID, storedFile, "b/in/1.png", "image/png", 9))
			must(s.MediaFailed(ctx, b.ID, refusedFile, "too large"))
			must(s.MediaStored(ctx, b.ID, otherCustFile, "b/in/2.png", "image/png", 9))
			must(s.MediaStored(ctx, other.ID, otherBizFile, "o/in/3.png", "image/png", 9))
			cust, err := s.CustomerByWaID(ctx, b.ID, "1555")
			must(err)
			got, err := s.InboundWithFilesSettledSince(ctx, b.ID, cust.ID, before, 10)
			must(err)
			var ids []int64
			for _, m := range got {
				ids = append(ids, m.ID)
			}
			if len(ids) != 2 || ids[0] != stored || ids[1] != refused {
				t.Fatalf("settled since: %v, want [%d %d]", ids, stored, refused)
			}
			if later, err := s.InboundWithFilesSettledSince(ctx, b.ID, cust.ID, time.Now().Add(time.Minute), 10); err != nil || len(later) != 0 {
				t.Fatalf("settled after now: %v %v", later, err)
			}
		})
	}
}
