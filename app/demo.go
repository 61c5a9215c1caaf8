package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/whatsapp"
)

// seedDemoWeek gives the sandbox business a week of history: customers who wrote and ordered on each of the last
// seven days, orders in every status, threads read and unread, one waiting for a person. A newcomer then sees a
// real-looking order list, stats chart and inbox before typing anything. The numbers are fixed (a seeded
// generator), so every fresh sandbox looks the same.
func seedDemoWeek(ctx context.Context, store *repository.Store, bizID int64, now time.Time) error {
	phones, err := store.PhoneNumbers(ctx, bizID)
	if err != nil || len(phones) == 0 {
		return fmt.Errorf("seed demo week: the sandbox number: %w", err)
	}
	menu, err := store.Products(ctx, bizID, true)
	if err != nil {
		return fmt.Errorf("seed demo week: %w", err)
	}
	if len(menu) == 0 {
		return nil
	}
	rnd := rand.New(rand.NewPCG(14, 2026))
	names := []string{"Ana Sousa", "Bruno Lima", "Carla Dias", "Diego Ortiz", "Eva Martins", "Farah Khan", "Gil Costa", "Hana Sato"}
	day0 := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var chats []repository.DemoChat
	for i, name := range names {
		waID := fmt.Sprintf("155501000%02d", i+1)
		ch := repository.DemoChat{Customer: models.Customer{WaID: waID, Name: name, CreatedAt: day0.AddDate(0, 0, -7)}}
		for n := range 1 + i%3 {
			daysAgo := (i + n*3) % 7
			at := day0.AddDate(0, 0, -daysAgo).Add(time.Duration(9*60+rnd.IntN(12*60)) * time.Minute)
			if at.After(now) {
				at = now.Add(-time.Duration(10+rnd.IntN(120)) * time.Minute)
			}
			p := menu[rnd.IntN(len(menu))]
			q := 1 + rnd.IntN(3)
			say := func(body string, after time.Duration) {
				ch.Inbound = append(ch.Inbound, models.InboundMessage{Wamid: fmt.Sprintf("wamid.demo.%s.%d.%d", waID, n, len(ch.Inbound)),
					Type: "text", Body: body, Payload: "{}", SentAt: at.Add(after)})
			}
			reply := func(body string, after time.Duration) {
				msg, _ := whatsapp.NewText(waID, body, false)
				payload, _ := json.Marshal(msg)
				wamid := fmt.Sprintf("wamid.demo.out.%s.%d.%d", waID, n, len(ch.Outbound))
				t := at.Add(after)
				ch.Outbound = append(ch.Outbound, models.OutboundMessage{Kind: "text", Payload: string(payload), Summary: body,
					Status: models.OutRead, Wamid: &wamid, IdempotencyKey: "demo:" + wamid, CreatedAt: t, SentAt: &t, ReadAt: &t})
			}
			say("Hi!", 0)
			reply(fmt.Sprintf("Welcome to Sandbox Cafe! 👋 What would you like? (%s, …)", p.Name), 5*time.Second)
			say(fmt.Sprintf("%d %s please", q, p.Name), time.Minute)
			status := []models.OrderStatus{models.StatusDelivered, models.StatusDelivered, models.StatusReady, models.StatusCancelled,
				models.StatusDelivered}[rnd.IntN(5)]
			if daysAgo == 0 {
				status = []models.OrderStatus{models.StatusPending, models.StatusConfirmed, models.StatusPreparing}[rnd.IntN(3)]
			}
			o := models.Order{Currency: p.Currency, Fulfillment: models.FulfillPickup, Source: "chat", CreatedAt: at.Add(2 * time.Minute),
				SourceKey: fmt.Sprintf("demo:%s:%d", waID, n), Items: []models.OrderItem{{ProductID: &p.ID, RetailerID: p.RetailerID,
					Name: p.Name, Quantity: q, UnitPriceMinor: p.PriceMinor}}}
			reply(fmt.Sprintf("Thank you! Your order is received: %d × %s.", q, p.Name), 2*time.Minute)
			ch.Orders = append(ch.Orders, repository.DemoOrder{Order: o, Status: status})
			if status == models.StatusDelivered {
				say("Thanks, it was great!", 3*time.Hour)
			}
		}
		switch i {
		case 1:
			ch.Unread = true
		case 4:
			ch.Unread, ch.Needs = true, models.NeedsAsked
			ch.Inbound = append(ch.Inbound, models.InboundMessage{Wamid: "wamid.demo.human." + waID, Type: "text",
				Body: "Can I talk to a person? It's about a birthday order.", Payload: "{}", SentAt: now.Add(-25 * time.Minute)})
		}
		chats = append(chats, ch)
	}
	return store.SeedDemoHistory(ctx, bizID, phones[0].ID, chats)
}
