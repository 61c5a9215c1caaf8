package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

const fixturePhoneID = "106540352242922" // phone_number_id of whatsapp/testdata/webhooks

func fixtureEnv(t *testing.T, s *repository.Store) (*ingest.Service, models.Business) {
	t.Helper()
	b := models.Business{Name: "Fixture Cafe"}
	if err := s.CreateBusiness(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	p := models.PhoneNumber{BusinessID: b.ID, MetaPhoneID: fixturePhoneID, WABAID: "102290129340398", AccessTokenEnc: "x"}
	if err := s.AddPhoneNumber(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	ing := ingest.New(s, quiet, ingest.Options{}, nil)
	t.Cleanup(ing.Close)
	return ing, b
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "whatsapp", "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every username-only payload is stored under one customer known by BSUID, username and profile name.
func TestAccept_UsernameOnlyPayloadsMakeOneCustomerWithoutAPhone(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ing, b := fixtureEnv(t, s)
			ctx := context.Background()
			for _, f := range []string{"username_text.json", "username_interactive_reply.json", "username_order.json",
				"username_no_sender.json", "username_status.json"} {
				if err := ing.Accept(ctx, fixture(t, f)); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
			}
			var cs []models.Customer
			s.DB(ctx).Where("business_id = ?", b.ID).Find(&cs)
			if len(cs) != 1 {
				t.Fatalf("customers %+v, want one", cs)
			}
			c := cs[0]
			if c.Phone != "" || c.UserID != "BR.1502576394655843" || c.ParentUserID != "BR.ENT.99887766554433221100" ||
				c.Username != "ana.lima" || c.Name != "Ana Lima" || c.Recipient() != c.UserID || c.LastInboundAt == nil {
				t.Fatalf("customer %+v", c)
			}
			var n int64
			s.DB(ctx).Raw("SELECT COUNT(*) FROM inbound_messages WHERE customer_id = ?", c.ID).Scan(&n)
			if n != 4 {
				t.Fatalf("messages of the customer = %d, want 4 (text, reply, order, the one without sender)", n)
			}
			s.DB(ctx).Raw("SELECT COUNT(*) FROM message_statuses WHERE recipient = ?", c.UserID).Scan(&n)
			if n != 1 {
				t.Fatalf("statuses to the BSUID = %d, want 1", n)
			}
			if evs, _ := s.ListEvents(ctx, models.EventKindUnparsed, 10); len(evs) != 0 {
				t.Fatalf("unparsed events %+v", evs)
			}
		})
	}
}

func TestAccept_MessageWithoutSenderAmongSeveralContactsIsStoredRawWithTheReason(t *testing.T) {
	s := testutil.SQLite(t)
	ing, _ := fixtureEnv(t, s)
	ctx := context.Background()
	body := strings.Replace(string(fixture(t, "username_no_sender.json")), `"contacts": [`,
		`"contacts": [{"profile": {"name": "Ravi"}, "wa_id": "919876543210"},`, 1)
	if err := ing.Accept(ctx, []byte(body)); err != nil {
		t.Fatal(err)
	}
	evs, err := s.ListEvents(ctx, models.EventKindUnparsed, 10)
	if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Reason, "without sender in a change with 2 contacts") ||
		!strings.Contains(evs[0].Payload, "Still there?") {
		t.Fatalf("events %+v, %v", evs, err)
	}
	var n int64
	s.DB(ctx).Raw("SELECT COUNT(*) FROM inbound_messages").Scan(&n)
	if n != 0 {
		t.Fatalf("%d messages stored for a sender nobody named", n)
	}
}
