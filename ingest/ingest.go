// Package ingest turns a verified webhook body into durable rows: it parses, routes each change to its business by
// phone_number_id (or WABA id), and commits the whole delivery, grouped with concurrent ones, before the caller
// answers 200. It never replies to anyone: new messages are handed to the processor after the commit.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/requestid"
	"github.com/waorder/waorder/whatsapp"
)

// Service accepts webhook bodies.
type Service struct {
	store  *repository.Store
	log    *slog.Logger
	batch  *batcher
	routes *routeCache
}

// Options tune the group commit.
type Options struct {
	Committers int // concurrent commits; 0: 2 on PostgreSQL, 1 on SQLite
	MaxBatch   int // deliveries per commit; 0: 128
	RouteTTL   time.Duration
}

// New starts the service's committers. arrivals hears the ids of inbound messages each commit created (the
// processor's wake-up); nil when nothing processes them here.
func New(store *repository.Store, log *slog.Logger, opts Options, arrivals *Arrivals) *Service {
	if opts.Committers == 0 {
		opts.Committers = map[bool]int{true: 2, false: 1}[store.Postgres()]
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = 128
	}
	if opts.RouteTTL == 0 {
		opts.RouteTTL = 30 * time.Second
	}
	return &Service{
		store:  store,
		log:    log,
		batch:  newBatcher(store, opts.Committers, opts.MaxBatch, arrivals),
		routes: &routeCache{ttl: opts.RouteTTL, m: map[string]routeEntry{}},
	}
}

// Close waits for accepted deliveries to commit and stops the committers.
func (s *Service) Close() { s.batch.close() }

// Accept stores everything body carries and returns nil once it is committed. A body it cannot understand is stored
// raw with the reason and is not an error. An error means nothing may be assumed stored: answer 503 so Meta retries.
// The request id ctx carries (requestid) is stored with every row the body produced.
func (s *Service) Accept(ctx context.Context, body []byte) error {
	n, err := whatsapp.ParseWebhook(body)
	if err != nil {
		s.log.WarnContext(ctx, "webhook body not understood; stored raw", "reason", err.Error(), "bytes", len(body))
		return s.storeRaw(ctx, body, err.Error())
	}
	d, err := s.build(ctx, n)
	if err != nil {
		return err
	}
	if reasons := shapeProblems(n); len(reasons) > 0 {
		// Valid JSON of the wrong shape: what could be read is stored as usual, and the whole body beside it, raw.
		reason := "body not in the webhook shape: " + strings.Join(reasons, "; ")
		s.log.WarnContext(ctx, "webhook body not fully understood; stored raw", "reason", reason, "bytes", len(body))
		d.Events = append(d.Events, models.WebhookEvent{Kind: models.EventKindUnparsed, Reason: reason,
			Payload: string(body), Hash: hash("body", body)})
	}
	err = s.batch.submit(ctx, stamp(ctx, d))
	var pe *PanicError
	if errors.As(err, &pe) {
		// A body that crashes the store must not come back for 7 days, crashing it each time: keep it raw.
		s.log.ErrorContext(ctx, "storing a webhook body panicked; stored raw", "panic", fmt.Sprint(pe.Value), "stack", string(pe.Stack))
		return s.storeRaw(ctx, body, pe.Error())
	}
	return err
}

// storeRaw keeps a body it could not store as parsed, with the reason, so nothing acknowledged is lost.
func (s *Service) storeRaw(ctx context.Context, body []byte, reason string) error {
	return s.batch.submit(ctx, stamp(ctx, repository.Delivery{Events: []models.WebhookEvent{{
		Kind: models.EventKindUnparsed, Reason: reason, Payload: string(body), Hash: hash("body", body),
	}}}))
}

// stamp writes ctx's request id on the delivery's messages and events. A redelivery stores nothing new, so a
// message keeps the id of the request that first delivered it.
func stamp(ctx context.Context, d repository.Delivery) repository.Delivery {
	id := requestid.From(ctx)
	for i := range d.Messages {
		d.Messages[i].Message.RequestID = id
	}
	for i := range d.Events {
		d.Events[i].RequestID = id
	}
	return d
}

func (s *Service) build(ctx context.Context, n *whatsapp.Notification) (repository.Delivery, error) {
	var d repository.Delivery
	for _, ch := range n.Changes {
		route, known, err := s.route(ctx, ch)
		if err != nil {
			return d, err
		}
		if !known {
			if ch.MetaPhoneID != "" {
				s.log.WarnContext(ctx, "webhook for an unknown phone number; stored", "phone_number_id", ch.MetaPhoneID, "field", ch.Field)
			}
			d.Events = append(d.Events, event(nil, models.EventKindUnrouted, ch, "no business has this phone number or WABA"))
			continue
		}
		biz := route.BusinessID
		if len(ch.Messages) == 0 && len(ch.Statuses) == 0 || len(ch.Echoes) > 0 || len(ch.Errors) > 0 || len(ch.Problems) > 0 {
			reason := ""
			if len(ch.Problems) > 0 {
				reason = fmt.Sprint(ch.Problems)
			}
			d.Events = append(d.Events, event(&biz, models.EventKindEvent, ch, reason))
		}
		if route.PhoneID == 0 {
			continue // a WABA-level change: kept as an event above
		}
		for _, m := range ch.Messages {
			c, ok := sender(m, ch.Contacts)
			if m.ID == "" || !ok {
				reason := "message without id or sender"
				if m.ID != "" && len(ch.Contacts) > 1 {
					reason = fmt.Sprintf("message without sender in a change with %d contacts", len(ch.Contacts))
				}
				d.Events = append(d.Events, models.WebhookEvent{BusinessID: &biz, Kind: models.EventKindUnparsed, Field: ch.Field,
					WABAID: ch.WABAID, MetaPhoneID: ch.MetaPhoneID, Reason: reason,
					Payload: string(m.Raw), Hash: hash("msg", m.Raw)})
				continue
			}
			sent := m.Timestamp
			if sent.IsZero() {
				sent = time.Now().UTC()
			}
			key := c.WaID
			if key == "" {
				key = c.UserID
			}
			d.Customers = append(d.Customers, models.Customer{BusinessID: biz, Phone: c.WaID, UserID: c.UserID,
				ParentUserID: c.ParentUserID, Username: c.Username, Name: c.Name, LastInboundAt: &sent})
			body := m.Text
			if m.Problem != "" {
				s.log.WarnContext(ctx, "message partly understood; stored raw", "wamid", m.ID, "reason", m.Problem)
			}
			d.Messages = append(d.Messages, repository.InboundRow{WaID: key, Message: models.InboundMessage{
				BusinessID: biz, PhoneNumberID: route.PhoneID, Wamid: m.ID, Type: m.Type, Body: body,
				Payload: string(m.Raw), SentAt: sent,
			}})
		}
		for _, st := range ch.Statuses {
			if st.ID == "" {
				d.Events = append(d.Events, models.WebhookEvent{BusinessID: &biz, Kind: models.EventKindUnparsed, Field: ch.Field,
					MetaPhoneID: ch.MetaPhoneID, Reason: "status without id", Payload: string(st.Raw), Hash: hash("status", st.Raw)})
				continue
			}
			row := models.MessageStatus{BusinessID: biz, Wamid: st.ID, Status: st.Status, Recipient: firstSet(st.RecipientID, st.RecipientUserID),
				Payload: string(st.Raw), StatusAt: st.Timestamp}
			if row.StatusAt.IsZero() {
				row.StatusAt = time.Now().UTC()
			}
			if len(st.Errors) > 0 {
				e := st.Errors[0]
				row.ErrorCode, row.ErrorTitle, row.ErrorDetail = e.Code, e.Title, e.Details
				if row.ErrorDetail == "" {
					row.ErrorDetail = e.Message
				}
			}
			d.Statuses = append(d.Statuses, row)
		}
	}
	return d, nil
}

// sender is who sent m: its own from / from_user_id, completed from the change's contact with either id; a
// message naming no sender belongs to the change's single contact. With several contacts and no sender, ok is false.
func sender(m whatsapp.InboundMessage, contacts []whatsapp.Contact) (whatsapp.Contact, bool) {
	if m.From == "" && m.FromUserID == "" {
		if len(contacts) == 1 && (contacts[0].WaID != "" || contacts[0].UserID != "") {
			return contacts[0], true
		}
		return whatsapp.Contact{}, false
	}
	c := whatsapp.Contact{WaID: m.From, UserID: m.FromUserID}
	for _, k := range contacts {
		if m.From != "" && k.WaID == m.From || m.FromUserID != "" && k.UserID == m.FromUserID {
			c.Name, c.Username, c.ParentUserID = k.Name, k.Username, k.ParentUserID
			c.WaID, c.UserID = firstSet(c.WaID, k.WaID), firstSet(c.UserID, k.UserID)
			break
		}
	}
	return c, true
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// shapeProblems says why n's body must be kept whole: its envelope was not understood (no entries, an entry that is
// not an object or has no changes, ...), or a change had no value, so the parsed rows alone would not hold it.
func shapeProblems(n *whatsapp.Notification) []string {
	reasons := append([]string(nil), n.Problems...)
	for i, ch := range n.Changes {
		if ch.Value == nil {
			reasons = append(reasons, fmt.Sprintf("change %d (field %q): no value", i, ch.Field))
		}
	}
	if len(n.Changes) == 0 && len(reasons) == 0 {
		reasons = append(reasons, "no changes")
	}
	return reasons
}

func event(biz *int64, kind string, ch whatsapp.Change, reason string) models.WebhookEvent {
	return models.WebhookEvent{BusinessID: biz, Kind: kind, Field: ch.Field, WABAID: ch.WABAID, MetaPhoneID: ch.MetaPhoneID,
		Reason: reason, Payload: string(ch.Value), Hash: hash(kind+"|"+ch.Field+"|"+ch.WABAID+"|"+ch.MetaPhoneID, ch.Value)}
}

func hash(prefix string, b []byte) string {
	h := sha256.New()
	h.Write([]byte(prefix))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

type routeEntry struct {
	BusinessID int64
	PhoneID    int64 // 0 for a WABA-level route
	known      bool
	expires    time.Time
}

// routeCache remembers phone number and WABA lookups briefly: routing is on every webhook's path.
type routeCache struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]routeEntry
}

func (s *Service) route(ctx context.Context, ch whatsapp.Change) (routeEntry, bool, error) {
	key := "p:" + ch.MetaPhoneID
	if ch.MetaPhoneID == "" {
		key = "w:" + ch.WABAID
	}
	s.routes.mu.Lock()
	e, ok := s.routes.m[key]
	s.routes.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e, e.known, nil
	}
	e = routeEntry{expires: time.Now().Add(s.routes.ttl)}
	var err error
	if ch.MetaPhoneID != "" {
		var p models.PhoneNumber
		p, err = s.store.PhoneNumberByMetaID(ctx, ch.MetaPhoneID)
		e.BusinessID, e.PhoneID = p.BusinessID, p.ID
	} else if ch.WABAID != "" {
		e.BusinessID, err = s.store.BusinessByWABA(ctx, ch.WABAID)
	} else {
		err = models.ErrNotFound
	}
	switch {
	case err == nil:
		e.known = true
	case errors.Is(err, models.ErrNotFound):
		// Cache the miss too, but briefly: the number may be added in a moment.
		e.expires = time.Now().Add(2 * time.Second)
	default:
		return e, false, fmt.Errorf("route webhook: %w", err)
	}
	s.routes.mu.Lock()
	if len(s.routes.m) > 10000 {
		s.routes.m = map[string]routeEntry{}
	}
	s.routes.m[key] = e
	s.routes.mu.Unlock()
	return e, e.known, nil
}
