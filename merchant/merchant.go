// Package merchant is what a merchant does to their business, whichever door they come through (dashboard or JSON
// API): reads go through the cache, writes go to the database and then invalidate what they changed. A status
// change also notifies the customer on WhatsApp through the outbox, in the same transaction. No HTTP here.
//
// Every method takes the business id of the caller and scopes every query by it: another business's id is
// models.ErrNotFound, never its data.
package merchant

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/whatsapp"
)

// PageSizes are the page sizes ListOrders accepts (and the dashboard offers); DefaultPageSize is used when none is
// given. The one home of both: the repository pages by whatever size it is handed.
var PageSizes = []int{10, 20, 25, 50}

// DefaultPageSize is the order list's page size when the caller gives none.
const DefaultPageSize = 20

// OrderPage is one page of an order list.
type OrderPage struct {
	Orders   []models.Order
	Page     int
	PageSize int
	Total    int64
}

// Service is the merchant-facing operations.
type Service struct {
	store *repository.Store
	cache cache.Cache
	log   *slog.Logger
	waker Waker
	now   func() time.Time
}

// Waker is what the service wakes after enqueueing a message (the outbox).
type Waker interface{ Wake() }

// New returns the service; c may be nil (no cache), and w may be nil (nothing to wake: the outbox's poll finds the
// message).
func New(store *repository.Store, c cache.Cache, w Waker, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if c == nil {
		c = noCache{}
	}
	return &Service{store: store, cache: c, waker: w, log: log, now: time.Now}
}

// ListOrders returns one page of the business's orders, newest first. Page sizes are PageSizes (0 means
// DefaultPageSize); pages start at 1. Pages are cached per orders generation, so any order change shows at once.
func (s *Service) ListOrders(ctx context.Context, bizID int64, f models.OrderFilter) (OrderPage, error) {
	if f.PageSize == 0 {
		f.PageSize = DefaultPageSize
	}
	if !ValidPageSize(f.PageSize) {
		return OrderPage{}, models.Invalid("page_size", "page_size must be one of 10, 20, 25, 50")
	}
	if f.Page == 0 {
		f.Page = 1
	}
	if f.Page < 1 || f.Page > 1_000_000 {
		return OrderPage{}, models.Invalid("page", "page must be a positive number")
	}
	if f.Status != "" && !f.Status.Valid() {
		return OrderPage{}, models.Invalid("status", fmt.Sprintf("unknown status %q", f.Status))
	}
	f.Query = strings.TrimSpace(f.Query)
	if utf8.RuneCountInString(f.Query) > 100 {
		return OrderPage{}, models.Invalid("q", "search is too long")
	}
	load := func(ctx context.Context) (OrderPage, error) {
		orders, total, err := s.store.ListOrders(ctx, bizID, f)
		if err != nil {
			return OrderPage{}, err
		}
		return OrderPage{Orders: orders, Page: f.Page, PageSize: f.PageSize, Total: total}, nil
	}
	if f.CustomerID != 0 { // not part of the cache key
		return load(ctx)
	}
	gen := cache.Generation(ctx, s.cache, bizID, cache.FamilyOrders)
	key := cache.OrderListKey(bizID, gen, string(f.Status), f.Page, f.PageSize, f.Query)
	return cache.Remember(ctx, s.cache, key, cache.OrderListTTL, load)
}

// ValidPageSize reports whether n is one of PageSizes.
func ValidPageSize(n int) bool {
	for _, s := range PageSizes {
		if s == n {
			return true
		}
	}
	return false
}

// Order loads one order with its items and customer (not cached: the detail page must be current).
func (s *Service) Order(ctx context.Context, bizID, id int64) (models.Order, error) {
	return s.store.Order(ctx, bizID, id)
}

// OrderEvents lists an order's status history; an order of another business is ErrNotFound.
func (s *Service) OrderEvents(ctx context.Context, bizID, id int64) ([]models.OrderEvent, error) {
	if _, err := s.store.Order(ctx, bizID, id); err != nil {
		return nil, err
	}
	return s.store.OrderEvents(ctx, bizID, id)
}

// StatusUpdate is a merchant's status change with what it tells the customer: a reason when cancelling, when the
// order will be ready when accepting.
type StatusUpdate struct {
	To      models.OrderStatus
	Actor   string
	Reason  string        // cancelling: why (up to 300 characters)
	ReadyIn time.Duration // confirming: how long until it is ready (0 = not said; at most 12 hours)
}

// ChangeStatus moves an order to status to and, in the same transaction, queues a WhatsApp message telling the
// customer (idempotency key "order:<id>:status:<to>", from the business's first connected number). A transition
// the lifecycle forbids, or that someone else made first, is models.ErrInvalidTransition.
func (s *Service) ChangeStatus(ctx context.Context, bizID, id int64, to models.OrderStatus, actor string) (models.Order, error) {
	return s.UpdateStatus(ctx, bizID, id, StatusUpdate{To: to, Actor: actor})
}

// UpdateStatus is ChangeStatus with a cancel reason or a ready time, which the customer's message carries.
func (s *Service) UpdateStatus(ctx context.Context, bizID, id int64, u StatusUpdate) (models.Order, error) {
	if !u.To.Valid() {
		return models.Order{}, models.Invalid("status", fmt.Sprintf("unknown status %q", u.To))
	}
	u.Reason = strings.TrimSpace(u.Reason)
	switch {
	case u.Reason != "" && u.To != models.StatusCancelled:
		return models.Order{}, models.Invalid("reason", "a reason goes with cancelling only")
	case utf8.RuneCountInString(u.Reason) > 300:
		return models.Order{}, models.Invalid("reason", "the reason must be at most 300 characters")
	case u.ReadyIn != 0 && u.To != models.StatusConfirmed:
		return models.Order{}, models.Invalid("ready_in", "a ready time goes with accepting only")
	case u.ReadyIn < 0 || u.ReadyIn > 12*time.Hour:
		return models.Order{}, models.Invalid("ready_in", "the ready time must be between 1 minute and 12 hours")
	}
	change := repository.StatusChange{To: u.To, Actor: u.Actor, Reason: u.Reason}
	if u.ReadyIn > 0 {
		at := s.now().Add(u.ReadyIn).Truncate(time.Minute)
		change.ReadyAt = &at
	}
	var queued bool
	err := s.store.Tx(ctx, func(tx *repository.Store) error {
		before, err := tx.ChangeOrderStatus(ctx, bizID, id, change)
		if err != nil {
			return err
		}
		before.CancelReason = change.Reason
		if change.ReadyAt != nil {
			before.ReadyAt = change.ReadyAt
		}
		queued, err = s.notify(ctx, tx, before, u.To)
		return err
	})
	if err != nil {
		return models.Order{}, err
	}
	s.InvalidateOrders(ctx, bizID)
	if queued && s.waker != nil {
		s.waker.Wake()
	}
	return s.store.Order(ctx, bizID, id)
}

// notify queues the status message; no number or no customer is logged, not an error (the change stands).
func (s *Service) notify(ctx context.Context, tx *repository.Store, o models.Order, to models.OrderStatus) (bool, error) {
	phone, err := sendingNumber(ctx, tx, o.BusinessID)
	if err != nil {
		return false, err
	}
	if phone == nil {
		s.log.Warn("order status: business has no number, customer not notified", "business", o.BusinessID, "order", o.ID)
		return false, nil
	}
	cust, err := tx.Customer(ctx, o.BusinessID, o.CustomerID)
	if err != nil {
		return false, err
	}
	biz, err := tx.Business(ctx, o.BusinessID)
	if err != nil {
		return false, err
	}
	lang, err := tx.CustomerLanguage(ctx, o.BusinessID, o.CustomerID)
	if err != nil {
		return false, err
	}
	text := StatusText(locale.For(lang, biz.Language), biz, o, to)
	msg, err := whatsapp.NewText(cust.Recipient(), text, false)
	if err != nil {
		return false, fmt.Errorf("status message of order %d: %w", o.ID, err)
	}
	payload, err := json.Marshal(msg)
	if err != nil {
		return false, fmt.Errorf("status message of order %d: %w", o.ID, err)
	}
	out := models.OutboundMessage{BusinessID: o.BusinessID, PhoneNumberID: phone.ID, CustomerID: cust.ID, ToWaID: cust.Recipient(),
		Kind: "text", Payload: string(payload), Summary: text,
		IdempotencyKey: fmt.Sprintf("order:%d:status:%s", o.ID, to)}
	return tx.EnqueueOutbound(ctx, &out)
}

// sendingNumber is the number a business's messages go from: its first connected one, else its first (the message
// waits until it is reconnected); nil when it has none.
func sendingNumber(ctx context.Context, tx *repository.Store, bizID int64) (*models.PhoneNumber, error) {
	numbers, err := tx.PhoneNumbers(ctx, bizID)
	if err != nil {
		return nil, err
	}
	for i := range numbers {
		if numbers[i].Status == models.PhoneConnected {
			return &numbers[i], nil
		}
	}
	if len(numbers) > 0 {
		return &numbers[0], nil
	}
	return nil, nil
}

// StatusText is the message a customer gets, in p's language, when their order moves to status to.
func StatusText(p locale.Printer, biz models.Business, o models.Order, to models.OrderStatus) string {
	total := whatsapp.FormatMoney(o.TotalMinor, o.Currency)
	switch to {
	case models.StatusConfirmed:
		if o.ReadyAt != nil {
			return p.T("notify.confirmed_ready_at", "Number", o.Number, "Total", total, "Time", o.ReadyAt.In(biz.Location()).Format("15:04"))
		}
		return p.T("notify.confirmed", "Number", o.Number, "Total", total)
	case models.StatusPreparing:
		return p.T("notify.preparing", "Number", o.Number)
	case models.StatusReady:
		if o.Fulfillment == models.FulfillPickup {
			return p.T("notify.ready_pickup", "Number", o.Number)
		}
		return p.T("notify.ready_delivery", "Number", o.Number)
	case models.StatusOutForDelivery:
		return p.T("notify.out_for_delivery", "Number", o.Number)
	case models.StatusDelivered:
		return p.T("notify.delivered", "Number", o.Number, "Shop", biz.Name)
	case models.StatusCancelled:
		if o.CancelReason != "" {
			return p.T("notify.cancelled_reason", "Number", o.Number, "Reason", o.CancelReason)
		}
		return p.T("notify.cancelled", "Number", o.Number)
	default:
		return p.T("notify.moved", "Number", o.Number, "Status", p.Status(string(to)))
	}
}

// Stats summarises the last 1, 7 or 30 days (1 = today in the business's time zone), cached StatsTTL.
func (s *Service) Stats(ctx context.Context, bizID int64, days int) (repository.Stats, error) {
	var period string
	switch days {
	case 1:
		period = "today"
	case 7:
		period = "7d"
	case 30:
		period = "30d"
	default:
		return repository.Stats{}, models.Invalid("days", "days must be 1, 7 or 30")
	}
	return cache.Remember(ctx, s.cache, cache.StatsKey(bizID, period), cache.StatsTTL, func(ctx context.Context) (repository.Stats, error) {
		biz, err := s.Business(ctx, bizID)
		if err != nil {
			return repository.Stats{}, err
		}
		loc := biz.Location()
		now := s.now().In(loc)
		since := time.Date(now.Year(), now.Month(), now.Day()-(days-1), 0, 0, 0, 0, loc)
		return s.store.OrderStats(ctx, bizID, since)
	})
}

// InvalidateOrders drops the business's cached order lists and stats (after a change made elsewhere).
func (s *Service) InvalidateOrders(ctx context.Context, bizID int64) {
	cache.InvalidateOrders(context.WithoutCancel(ctx), s.cache, bizID)
}

// Products lists the whole catalog (available or not), cached CatalogTTL.
func (s *Service) Products(ctx context.Context, bizID int64) ([]models.Product, error) {
	return cache.Remember(ctx, s.cache, cache.CatalogKey(bizID), cache.CatalogTTL, func(ctx context.Context) ([]models.Product, error) {
		return s.store.Products(ctx, bizID, false)
	})
}

// Product loads one product from the database.
func (s *Service) Product(ctx context.Context, bizID, id int64) (models.Product, error) {
	return s.store.Product(ctx, bizID, id)
}

// CreateProduct validates and adds p to p.BusinessID's catalog (an empty currency is the business's); a taken
// retailer id is models.ErrConflict.
func (s *Service) CreateProduct(ctx context.Context, p *models.Product) error {
	if p.Currency == "" {
		if b, err := s.Business(ctx, p.BusinessID); err == nil {
			p.Currency = b.Currency
		}
	}
	if err := ValidateProduct(p); err != nil {
		return err
	}
	p.ID = 0
	if err := s.store.CreateProduct(ctx, p); err != nil {
		return err
	}
	cache.InvalidateCatalog(context.WithoutCancel(ctx), s.cache, p.BusinessID)
	return nil
}

// UpdateProduct validates and saves p (scoped by p.BusinessID).
func (s *Service) UpdateProduct(ctx context.Context, p models.Product) error {
	if err := ValidateProduct(&p); err != nil {
		return err
	}
	if err := s.store.UpdateProduct(ctx, p); err != nil {
		return err
	}
	cache.InvalidateCatalog(context.WithoutCancel(ctx), s.cache, p.BusinessID)
	return nil
}

// DeleteProduct removes a product of the business.
func (s *Service) DeleteProduct(ctx context.Context, bizID, id int64) error {
	if err := s.store.DeleteProduct(ctx, bizID, id); err != nil {
		return err
	}
	cache.InvalidateCatalog(context.WithoutCancel(ctx), s.cache, bizID)
	return nil
}

// Business loads the business's settings, cached BusinessTTL.
func (s *Service) Business(ctx context.Context, bizID int64) (models.Business, error) {
	return cache.Remember(ctx, s.cache, cache.BusinessKey(bizID), cache.BusinessTTL, func(ctx context.Context) (models.Business, error) {
		return s.store.Business(ctx, bizID)
	})
}

// UpdateSettings validates and saves the merchant-editable settings of b.
func (s *Service) UpdateSettings(ctx context.Context, b models.Business) error {
	if err := ValidateSettings(&b); err != nil {
		return err
	}
	if _, err := s.store.Business(ctx, b.ID); err != nil {
		return err
	}
	if err := s.store.UpdateBusinessSettings(ctx, b); err != nil {
		return err
	}
	wctx := context.WithoutCancel(ctx)
	cache.InvalidateBusiness(wctx, s.cache, b.ID)
	cache.InvalidateCatalog(wctx, s.cache, b.ID) // catalog pages show the business's currency and name
	return nil
}

// PhoneNumbers lists the business's WhatsApp numbers.
func (s *Service) PhoneNumbers(ctx context.Context, bizID int64) ([]models.PhoneNumber, error) {
	return s.store.PhoneNumbers(ctx, bizID)
}

// noCache is the cache when none is given: every read misses.
type noCache struct{}

func (noCache) Get(context.Context, string) ([]byte, bool)                 { return nil, false }
func (noCache) Set(context.Context, string, []byte, time.Duration)         {}
func (noCache) Delete(context.Context, ...string)                          {}
func (noCache) Incr(context.Context, string, time.Duration) (int64, error) { return 0, nil }
func (noCache) Status() string                                             { return cache.StatusMemory }
func (noCache) Close()                                                     {}
