package merchant_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// inbound stores a customer's message as the webhook would, and touches the thread as the bot would.
func inbound(t *testing.T, s *repository.Store, b merchanttest.Biz, cust models.Customer, body string, at time.Time) models.InboundMessage {
	t.Helper()
	ctx := context.Background()
	m := models.InboundMessage{BusinessID: b.Business.ID, PhoneNumberID: b.Phone.ID, CustomerID: cust.ID, Wamid: "wamid." + testutil.RandomHex(8),
		Type: "text", Body: body, Payload: "{}", SentAt: at, ReceivedAt: at}
	if err := s.DB(ctx).Create(&m).Error; err != nil {
		t.Fatal(err)
	}
	conv, err := s.Conversation(ctx, b.Business.ID, cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveConversation(ctx, conv, at); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInbox_ThreadsNewestFirstWithUnreadCounts(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b := merchanttest.Seed(t, s, "A", 0)
			other := merchanttest.Seed(t, s, "B", 0)
			svc := merchant.New(s, cache.NewMemory(100), nil, nil)
			now := time.Now().UTC()
			bob := models.Customer{BusinessID: b.Business.ID, WaID: "1555" + testutil.RandomHex(4), Name: "Bob", CreatedAt: now, UpdatedAt: now}
			if err := s.DB(ctx).Create(&bob).Error; err != nil {
				t.Fatal(err)
			}
			inbound(t, s, b, b.Customer, "hello", now.Add(-time.Hour))
			inbound(t, s, b, bob, "one", now.Add(-30*time.Minute))
			inbound(t, s, b, bob, "two", now.Add(-20*time.Minute))
			inbound(t, s, other, other.Customer, "not yours", now)
			got, err := svc.Threads(ctx, b.Business.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Customer.Name != "Bob" || got[0].Unread != 2 || got[0].LastText != "two" || got[1].Unread != 1 {
				t.Fatalf("threads %+v", got)
			}
			if _, err := svc.Thread(ctx, b.Business.ID, bob.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Thread(ctx, b.Business.ID, other.Customer.ID); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("another business's thread: %v", err)
			}
			got, _ = svc.Threads(ctx, b.Business.ID)
			if got[0].Unread != 0 || got[1].Unread != 1 {
				t.Fatalf("after reading Bob: %+v", got)
			}
			if n, _ := s.UnreadThreads(ctx, b.Business.ID); n != 1 {
				t.Fatalf("unread threads %d", n)
			}
		})
	}
}

func TestInbox_ThreadsWaitingForAPersonComeFirstThenNewest(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b := merchanttest.Seed(t, s, "A", 0)
			svc := merchant.New(s, cache.NewMemory(100), nil, nil)
			now := time.Now().UTC()
			customer := func(name string) models.Customer {
				c := models.Customer{BusinessID: b.Business.ID, WaID: "1555" + testutil.RandomHex(4), Name: name, CreatedAt: now, UpdatedAt: now}
				if err := s.DB(ctx).Create(&c).Error; err != nil {
					t.Fatal(err)
				}
				return c
			}
			ann, bob, cat, dan := customer("Ann"), customer("Bob"), customer("Cat"), customer("Dan")
			failed := inbound(t, s, b, ann, "2 pizzas please", now.Add(-4*time.Hour))
			inbound(t, s, b, bob, "hello", now.Add(-3*time.Hour))
			inbound(t, s, b, cat, "agent", now.Add(-2*time.Hour))
			inbound(t, s, b, dan, "menu", now.Add(-time.Hour))
			if _, err := s.GiveUpInbound(ctx, failed, "gave up after 5 attempts", nil); err != nil { // the bot failed Ann
				t.Fatal(err)
			}
			if err := s.FlagThread(ctx, b.Business.ID, cat.ID, models.NeedsAsked); err != nil {
				t.Fatal(err)
			}
			got, err := svc.Threads(ctx, b.Business.ID)
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			for _, th := range got {
				order = append(order, th.Customer.Name+":"+th.NeedsHuman)
			}
			if want := "Cat:asked Ann:bot_failed Dan: Bob:"; strings.Join(order, " ") != want {
				t.Fatalf("threads in the order %q, want %q", strings.Join(order, " "), want)
			}
		})
	}
}

func TestInbox_ReplyByHandInsideTheWindowTemplateOutside(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b := merchanttest.Seed(t, s, "A", 0)
			svc := merchant.New(s, cache.NewMemory(100), nil, nil)
			reply := merchant.Reply{CustomerID: b.Customer.ID, UserID: 7, Key: "k1", Text: " Your table is ready "}
			for range 2 { // a double submit sends once
				if err := svc.SendReply(ctx, b.Business.ID, reply); err != nil {
					t.Fatal(err)
				}
			}
			key := fmt.Sprintf("agent:%d:%d:k1", b.Business.ID, b.Customer.ID)
			if n, text := merchanttest.OutboundByKey(t, s, key); n != 1 || text != "Your table is ready" {
				t.Fatalf("reply rows %d %q", n, text)
			}
			if th, _ := s.Thread(ctx, b.Business.ID, b.Customer.ID); th.TakenOverAt == nil || *th.TakenOverBy != 7 {
				t.Fatalf("replying takes over: %+v", th)
			}

			old := time.Now().Add(-25 * time.Hour)
			if err := s.DB(ctx).Model(&models.Customer{}).Where("id = ?", b.Customer.ID).Update("last_inbound_at", old).Error; err != nil {
				t.Fatal(err)
			}
			err := svc.SendReply(ctx, b.Business.ID, merchant.Reply{CustomerID: b.Customer.ID, Key: "k2", Text: "late"})
			if v, ok := models.AsInvalid(err); !errors.Is(err, models.ErrWindowClosed) || !ok || v.Field != "text" {
				t.Fatalf("outside the window: %v", err)
			}
			for _, tpl := range []models.MessageTemplate{
				{Name: "order_update", Language: "en", Status: "APPROVED", ParamCount: 1},
				{Name: "promo", Language: "en", Status: "REJECTED"},
			} {
				tpl.BusinessID = b.Business.ID
				if err := s.SaveTemplate(ctx, &tpl); err != nil {
					t.Fatal(err)
				}
			}
			for _, bad := range []merchant.Reply{
				{Template: "promo", Language: "en"},
				{Template: "order_update", Language: "en"},
				{Template: "order_update", Language: "en", Params: []string{" "}},
				{Template: "nope", Language: "en"},
			} {
				bad.CustomerID, bad.Key = b.Customer.ID, "k3"
				if _, ok := models.AsInvalid(svc.SendReply(ctx, b.Business.ID, bad)); !ok {
					t.Fatalf("%+v accepted", bad)
				}
			}
			err = svc.SendReply(ctx, b.Business.ID, merchant.Reply{CustomerID: b.Customer.ID, Key: "k4", Template: "order_update",
				Language: "en", Params: []string{"#12"}})
			if err != nil {
				t.Fatal(err)
			}
			var row models.OutboundMessage
			s.DB(ctx).Where("idempotency_key = ?", fmt.Sprintf("agent:%d:%d:k4", b.Business.ID, b.Customer.ID)).First(&row)
			if row.Kind != "template" || !strings.Contains(row.Payload, `"order_update"`) || !strings.Contains(row.Payload, `"#12"`) {
				t.Fatalf("template reply %+v", row)
			}
			if tpls, _ := svc.ApprovedTemplates(ctx, b.Business.ID); len(tpls) != 1 || tpls[0].Name != "order_update" {
				t.Fatalf("approved templates %+v", tpls)
			}
		})
	}
}

func TestExportOrders_PeriodInTheBusinessZoneAsSafeCSV(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b := merchanttest.Seed(t, s, "A", 3)
			b.Business.Timezone = "America/Sao_Paulo" // UTC-3
			if err := s.UpdateBusinessSettings(ctx, b.Business); err != nil {
				t.Fatal(err)
			}
			svc := merchant.New(s, nil, nil, nil)
			at := []time.Time{
				time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC),  // 19 Nov 23:00 local: outside
				time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), // 20 Nov 09:00 local
				time.Date(2026, 11, 21, 2, 30, 0, 0, time.UTC), // 20 Nov 23:30 local
			}
			for i, o := range b.Orders {
				s.DB(ctx).Model(&models.Order{}).Where("id = ?", o.ID).Updates(map[string]any{"created_at": at[i], "note": "=cmd|' /C calc'!A0"})
			}
			var buf strings.Builder
			if err := svc.ExportOrders(ctx, &buf, b.Business.ID, "2026-11-20", "2026-11-20"); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 3 || !strings.HasPrefix(lines[0], "number,created_at,status") ||
				!strings.Contains(lines[1], "2026-11-20 09:00") || !strings.Contains(lines[2], "2026-11-20 23:30") ||
				!strings.Contains(lines[1], "'=cmd") || !strings.Contains(lines[1], ",2 x Tea,5.00,0.00,5.00,USD,") {
				t.Fatalf("csv:\n%s", buf.String())
			}
			for _, p := range [][2]string{{"2026-11-21", "2026-11-20"}, {"x", "2026-11-20"}, {"2024-01-01", "2026-11-20"}} {
				if _, ok := models.AsInvalid(svc.ExportOrders(ctx, &buf, b.Business.ID, p[0], p[1])); !ok {
					t.Fatalf("%v accepted", p)
				}
			}
		})
	}
}

func TestOrderMovesSince_ListsTheBusinessStatusChangesWithTheirCustomer(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b := merchanttest.Seed(t, s, "A", 2)
			other := merchanttest.Seed(t, s, "B", 1)
			svc := merchant.New(s, cache.NewMemory(100), nil, nil)
			since := time.Now().Add(-time.Second)
			if _, err := svc.ChangeStatus(ctx, b.Business.ID, b.Orders[1].ID, models.StatusConfirmed, "test"); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ChangeStatus(ctx, other.Business.ID, other.Orders[0].ID, models.StatusConfirmed, "test"); err != nil {
				t.Fatal(err)
			}
			moves, err := s.OrderMovesSince(ctx, b.Business.ID, since, 50)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range moves {
				if m.CustomerID != b.Customer.ID {
					t.Errorf("move of order %d names customer %d, want %d", m.OrderID, m.CustomerID, b.Customer.ID)
				}
				got = append(got, fmt.Sprintf("#%d:%s", m.Number, m.Status))
			}
			// The seeded orders were placed before since or at it; the confirmation is the last move, and the other
			// business's never shows.
			if len(got) == 0 || got[len(got)-1] != fmt.Sprintf("#%d:confirmed", b.Orders[1].Number) {
				t.Fatalf("moves %v", got)
			}
			later, err := s.OrderMovesSince(ctx, b.Business.ID, time.Now().Add(time.Minute), 50)
			if err != nil || len(later) != 0 {
				t.Fatalf("moves after now: %v %v", later, err)
			}
		})
	}
}
