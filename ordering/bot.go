package ordering

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/whatsapp"
)

// Bot handles stored inbound messages (it is the processor's ingest.Handler).
type Bot struct {
	Store *repository.Store
	Cache cache.Cache // invalidated when an order is created; may be nil
	Log   *slog.Logger
	// Listener hears each handled message after its commit (wake the outbox, mark the message read, live feeds);
	// may be nil.
	Listener Listener
	Now      func() time.Time
	// PicturesURL is where Meta fetches product pictures: PUBLIC_URL + "/p/" (see Business.PicturesURL).
	PicturesURL string

	// The business and catalog last decoded from the cache: every handler shares them, and Step only reads them.
	businesses cache.Decoded[models.Business]
	catalogs   cache.Decoded[[]models.Product]
}

// Listener hears what the bot committed. It runs on the processor's goroutine, so it must return quickly.
type Listener interface {
	// Committed is called after m's commit; created is the order the message created, or nil.
	Committed(ctx context.Context, m models.InboundMessage, created *models.Order)
}

// HandleInbound runs one message through the conversation and commits the new state, the order and the replies
// together. A message already handled (a re-run after a crash) changes nothing. It loads what the message is about,
// steps the pure state machine, then commits what the step decided.
func (b *Bot) HandleInbound(ctx context.Context, m models.InboundMessage) error {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	l, handled, err := b.load(ctx, m)
	if err != nil || handled {
		return err
	}
	res := Step(l.state, l.in, l.catalog, l.info(b.PicturesURL), now())
	res.State.LastWamid = m.Wamid
	created, cancelled, err := b.commit(ctx, l, res)
	if err != nil {
		return fmt.Errorf("handle message %s: %w", m.Wamid, err)
	}
	if (created != nil || cancelled != nil) && b.Cache != nil {
		cache.InvalidateOrders(ctx, b.Cache, m.BusinessID)
	}
	if b.Listener != nil {
		b.Listener.Committed(ctx, m, created)
	}
	return nil
}

// loaded is what a message is about, read before the step: its conversation and state, the business, the customer,
// the catalog and the step's input.
type loaded struct {
	msg     models.InboundMessage
	conv    models.Conversation
	state   State
	biz     models.Business
	cust    models.Customer
	catalog []models.Product
	in      Input
}

// info is the part of the business the step reads.
func (l *loaded) info(picturesURL string) Business {
	biz := l.biz
	return Business{Name: biz.Name, Greeting: biz.Greeting, Currency: biz.Currency, Fulfillment: biz.Fulfillment,
		MinOrderMinor: biz.MinOrderMinor, OpeningHours: biz.OpeningHours, Timezone: biz.Timezone,
		DeliveryFeeMinor: biz.DeliveryFeeMinor, FreeDeliveryOverMinor: biz.FreeDeliveryOverMinor,
		RequireContactPhone: biz.RequireContactPhone, Language: biz.Language, PicturesURL: picturesURL}
}

// load reads what m is about. handled is true when nothing is left to step: m was handled before, or a person has
// taken the conversation over (then quiet has already recorded it).
func (b *Bot) load(ctx context.Context, m models.InboundMessage) (l *loaded, handled bool, err error) {
	l = &loaded{msg: m}
	if l.cust, l.conv, err = b.Store.CustomerAndConversation(ctx, m.BusinessID, m.CustomerID); err != nil {
		return nil, false, err
	}
	if l.conv.Data != "" {
		if err := json.Unmarshal([]byte(l.conv.Data), &l.state); err != nil {
			b.Log.Warn("conversation state unreadable; starting over", "conversation", l.conv.ID, "err", err)
			l.state = State{}
		}
	}
	if l.state.LastWamid == m.Wamid {
		return nil, true, nil
	}
	if l.conv.TakenOverAt != nil {
		return nil, true, b.quiet(ctx, m, l.conv, l.state)
	}
	l.biz, err = cached(ctx, b.Cache, &b.businesses, cache.BusinessKey(m.BusinessID), cache.BusinessTTL, func(ctx context.Context) (models.Business, error) {
		return b.Store.Business(ctx, m.BusinessID)
	})
	if err != nil {
		return nil, false, err
	}
	l.catalog, err = cached(ctx, b.Cache, &b.catalogs, cache.CatalogKey(m.BusinessID), cache.CatalogTTL, func(ctx context.Context) ([]models.Product, error) {
		return b.Store.Products(ctx, m.BusinessID, false)
	})
	if err != nil {
		return nil, false, err
	}
	l.in = input(m, l.cust.Recipient())
	l.in.HasPhone = l.cust.Phone != ""
	if err := b.loadOrders(ctx, m, &l.in); err != nil {
		return nil, false, err
	}
	l.in.Language = l.conv.Language
	return l, false, nil
}

// commit writes what the step decided in one transaction: the conversation's new state and language, a flag for a
// person, a cancellation, the new order and the replies. A cancellation the merchant overtook, or an order that
// already exists, changes the replies to say so.
func (b *Bot) commit(ctx context.Context, l *loaded, res Outcome) (created, cancelled *models.Order, err error) {
	m, conv, to := l.msg, l.conv, l.cust.Recipient()
	p := locale.For(res.Language, l.biz.Language)
	replies := res.Replies
	err = b.Store.Tx(ctx, func(tx *repository.Store) error {
		data, _ := json.Marshal(res.State)
		conv.State, conv.Data, conv.Language = res.State.Step, string(data), res.Language
		if err := tx.SaveConversation(ctx, conv, m.SentAt); err != nil {
			return err
		}
		if res.NeedsHuman != "" {
			if err := tx.FlagThread(ctx, m.BusinessID, m.CustomerID, res.NeedsHuman); err != nil {
				return err
			}
		}
		if res.Cancel != nil {
			_, err := tx.ChangeOrderStatus(ctx, m.BusinessID, res.Cancel.ID, repository.StatusChange{
				To: models.StatusCancelled, From: models.StatusPending, Actor: "customer"})
			if errors.Is(err, models.ErrInvalidTransition) { // the merchant moved it meanwhile
				replies = append(replies[:0], mustText(to, p.T("bot.cancel_too_late")))
			} else if err != nil {
				return err
			} else {
				cancelled = res.Cancel
			}
		}
		if draft := res.Order; draft != nil {
			o := models.Order{BusinessID: m.BusinessID, CustomerID: m.CustomerID, Currency: l.biz.Currency,
				Fulfillment: draft.Fulfillment, Address: draft.Address, ContactPhone: draft.Contact, Latitude: draft.Latitude, Longitude: draft.Longitude,
				Note: draft.Note, DeliveryFeeMinor: draft.DeliveryFeeMinor, Source: draft.Source, SourceKey: draft.SourceKey,
				Items: draft.Items}
			err := tx.CreateOrder(ctx, &o)
			if errors.Is(err, models.ErrDuplicate) {
				replies = append(replies[:0], mustText(to, p.T("bot.duplicate_order")))
			} else if err != nil {
				return err
			} else {
				created = &o
				replies = append(replies, placed(p, to, o, l.biz.Name)...)
			}
		}
		outs := make([]*models.OutboundMessage, 0, len(replies))
		for i, r := range replies {
			payload, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("encode reply: %w", err)
			}
			outs = append(outs, &models.OutboundMessage{BusinessID: m.BusinessID, PhoneNumberID: m.PhoneNumberID,
				CustomerID: m.CustomerID, ToWaID: to, Kind: r.Type, Payload: string(payload), Summary: r.Summary(),
				IdempotencyKey: fmt.Sprintf("in:%s:%d", m.Wamid, i)})
		}
		_, err := tx.EnqueueOutbounds(ctx, outs) // one statement; the replies keep their order
		return err
	})
	return created, cancelled, err
}

// quiet handles a message of a customer a person has taken over: the bot says nothing and changes nothing but the
// thread's time, so the inbox shows it.
func (b *Bot) quiet(ctx context.Context, m models.InboundMessage, conv models.Conversation, st State) error {
	st.LastWamid = m.Wamid
	data, _ := json.Marshal(st)
	conv.Data = string(data)
	if err := b.Store.SaveConversation(ctx, conv, m.SentAt); err != nil {
		return fmt.Errorf("handle message %s: %w", m.Wamid, err)
	}
	if b.Listener != nil {
		b.Listener.Committed(ctx, m, nil)
	}
	return nil
}

// loadOrders reads the customer's orders the message is about: the last one for "status" and "cancel order", the
// one a tapped id names (scoped to this customer: an id of someone else's order finds nothing).
func (b *Bot) loadOrders(ctx context.Context, m models.InboundMessage, in *Input) error {
	var err error
	if in.ReplyID == "" && (command(in.Text) == "status" || command(in.Text) == "cancel order") {
		if in.LastOrder, err = b.Store.LastOrder(ctx, m.BusinessID, m.CustomerID); err != nil {
			return err
		}
	}
	if t, ok := parseTap(in.ReplyID); ok && t.kind == "co" {
		o, err := b.Store.Order(ctx, m.BusinessID, t.order)
		switch {
		case errors.Is(err, models.ErrNotFound):
		case err != nil:
			return err
		case o.CustomerID == m.CustomerID:
			in.Target = &o
		}
	}
	return nil
}

// cached reads through the cache when there is one, decoding a value only when its bytes changed (d: the values
// are shared, read-only). The merchant side invalidates these keys on every write.
func cached[T any](ctx context.Context, c cache.Cache, d *cache.Decoded[T], key string, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	if c == nil {
		return load(ctx)
	}
	return cache.RememberDecoded(ctx, c, d, key, ttl, load)
}

func mustText(to, body string) whatsapp.OutgoingMessage {
	m, _ := whatsapp.NewText(to, body, false)
	return m
}

// input reduces a stored message to what Step acts on.
func input(m models.InboundMessage, to string) Input {
	msg := whatsapp.DecodeMessage(json.RawMessage(m.Payload))
	in := Input{Wamid: m.Wamid, To: to}
	switch {
	case msg.Interactive != nil:
		in.ReplyID, in.Text = msg.Interactive.ID, msg.Interactive.Title
	case msg.Button != nil:
		in.ReplyID, in.Text = msg.Button.Payload, msg.Button.Text
	case msg.Location != nil:
		l := msg.Location
		in.Location = &Location{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
	case msg.Order != nil:
		in.OrderNote = msg.Order.Text
		for _, it := range msg.Order.Items {
			in.Order = append(in.Order, OrderLine{RetailerID: it.RetailerID, Quantity: it.Quantity, UnitPrice: it.UnitPrice, Currency: it.Currency})
		}
	case msg.Type == "text":
		in.Text = msg.Text
	default:
		in.Other = msg.Type
	}
	return in
}
