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

// demoWords are what the sample week's customers and bot say, in each language a business may speak.
type demoWords struct {
	hi, welcome, please, thanks, great, person string // welcome and please take a product name; thanks a quantity too
}

var demoLanguages = map[string]demoWords{
	"en": {"Hi!", "Welcome to %s! 👋 What would you like? (%s, …)", "%d %s please", "Thank you! Your order is received: %d × %s.",
		"Thanks, it was great!", "Can I talk to a person? It's about a birthday order."},
	"es": {"¡Hola!", "¡Bienvenido a %s! 👋 ¿Qué te gustaría? (%s, …)", "%d %s, por favor", "¡Gracias! Recibimos tu pedido: %d × %s.",
		"¡Gracias, estaba buenísimo!", "¿Puedo hablar con una persona? Es por un pedido de cumpleaños."},
	"pt": {"Olá!", "Boas-vindas a %s! 👋 O que você gostaria? (%s, …)", "%d %s, por favor", "Obrigado! Recebemos seu pedido: %d × %s.",
		"Obrigado, estava ótimo!", "Posso falar com uma pessoa? É sobre um pedido de aniversário."},
}

// seedDemoWeek gives the sandbox business a week of history: customers who wrote and ordered on each of the last
// seven days (the business's days, in its time zone and language), orders in every status, threads read and
// unread, one waiting for a person. A newcomer then sees a real-looking order list, stats chart and inbox before
// typing anything. The numbers are fixed (a seeded generator), so every fresh sandbox looks the same.
func seedDemoWeek(ctx context.Context, store *repository.Store, bizID int64, now time.Time) error {
	biz, err := store.Business(ctx, bizID)
	if err != nil {
		return fmt.Errorf("seed demo week: %w", err)
	}
	words, ok := demoLanguages[biz.Language]
	if !ok {
		words = demoLanguages["en"]
	}
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
	local := now.In(biz.Location())
	day0 := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, local.Location())
	var chats []repository.DemoChat
	for i, name := range names {
		waID := fmt.Sprintf("155501000%02d", i+1)
		ch := repository.DemoChat{Customer: models.Customer{WaID: waID, Name: name, CreatedAt: day0.AddDate(0, 0, -7)}}
		for n := range 1 + i%3 {
			daysAgo := (i + n*3) % 7
			day := day0.AddDate(0, 0, -daysAgo) // midnight there, whatever a DST change did in between
			at := time.Date(day.Year(), day.Month(), day.Day(), 9, rnd.IntN(12*60), 0, 0, day.Location())
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
			say(words.hi, 0)
			reply(fmt.Sprintf(words.welcome, biz.Name, p.Name), 5*time.Second)
			say(fmt.Sprintf(words.please, q, p.Name), time.Minute)
			status := []models.OrderStatus{models.StatusDelivered, models.StatusDelivered, models.StatusReady, models.StatusCancelled,
				models.StatusDelivered}[rnd.IntN(5)]
			if daysAgo == 0 {
				status = []models.OrderStatus{models.StatusPending, models.StatusConfirmed, models.StatusPreparing}[rnd.IntN(3)]
			}
			o := models.Order{Currency: p.Currency, Fulfillment: models.FulfillPickup, Source: "chat", CreatedAt: at.Add(2 * time.Minute),
				SourceKey: fmt.Sprintf("demo:%s:%d", waID, n), Items: []models.OrderItem{{ProductID: &p.ID, RetailerID: p.RetailerID,
					Name: p.Name, Quantity: q, UnitPriceMinor: p.PriceMinor}}}
			reply(fmt.Sprintf(words.thanks, q, p.Name), 2*time.Minute)
			ch.Orders = append(ch.Orders, repository.DemoOrder{Order: o, Status: status})
			if status == models.StatusDelivered {
				say(words.great, 3*time.Hour)
			}
		}
		switch i {
		case 1:
			ch.Unread = true
		case 4:
			ch.Unread, ch.Needs = true, models.NeedsAsked
			ch.Inbound = append(ch.Inbound, models.InboundMessage{Wamid: "wamid.demo.human." + waID, Type: "text",
				Body: words.person, Payload: "{}", SentAt: now.Add(-25 * time.Minute)})
		}
		chats = append(chats, ch)
	}
	return store.SeedDemoHistory(ctx, bizID, phones[0].ID, chats)
}
