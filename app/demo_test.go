package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// The sample week is the business's week: its orders fall in opening-like hours on each of its last seven days,
// on its own clock (here a Los Angeles evening that is already tomorrow in UTC, two days after the clocks moved),
// and its customers and bot speak its language.
func TestSandbox_SampleWeekIsOnTheBusinessesClockAndInItsLanguage(t *testing.T) {
	ctx := context.Background()
	store := testutil.SQLite(t)
	b := models.Business{Name: "Café Praia", Timezone: "America/Los_Angeles", Language: "pt", Currency: "USD"}
	if err := store.CreateBusiness(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if err := store.AddPhoneNumber(ctx, &models.PhoneNumber{BusinessID: b.ID, MetaPhoneID: "demo-1", WABAID: "w", AccessTokenEnc: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := seedDemoCatalog(ctx, store, b.ID); err != nil {
		t.Fatal(err)
	}
	la := b.Location()
	now := time.Date(2026, 3, 10, 5, 0, 0, 0, time.UTC) // 22:00 on Monday 9 March in Los Angeles
	if err := seedDemoWeek(ctx, store, b.ID, now); err != nil {
		t.Fatal(err)
	}

	orders, _, err := store.ListOrders(ctx, b.ID, models.OrderFilter{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]bool{}
	for _, o := range orders {
		at := o.CreatedAt.In(la)
		if at.Hour() < 9 || at.Hour() > 21 || o.CreatedAt.After(now) {
			t.Errorf("order #%d at %s, outside the day's hours there", o.Number, at.Format(time.DateTime))
		}
		days[at.Format(time.DateOnly)] = true
	}
	for d := 3; d <= 9; d++ {
		if day := time.Date(2026, 3, d, 0, 0, 0, 0, la).Format(time.DateOnly); !days[day] {
			t.Errorf("no order on %s; orders on %v", day, days)
		}
	}
	if len(days) != 7 {
		t.Errorf("orders on %d days (%v), want the business's last 7", len(days), days)
	}

	var said []string
	store.DB(ctx).Model(&models.InboundMessage{}).Where("business_id = ?", b.ID).Pluck("body", &said)
	var wrote []string
	store.DB(ctx).Model(&models.OutboundMessage{}).Where("business_id = ?", b.ID).Pluck("summary", &wrote)
	all := strings.Join(append(said, wrote...), "\n")
	for _, want := range []string{"Olá!", "Boas-vindas a Café Praia!", "Obrigado! Recebemos seu pedido", "Posso falar com uma pessoa?"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in the sample messages", want)
		}
	}
	for _, english := range []string{"Hi!", "Welcome", "please", "Thank you", "Can I talk"} {
		if strings.Contains(all, english) {
			t.Errorf("English %q in a Portuguese business's sample week", english)
		}
	}
}
