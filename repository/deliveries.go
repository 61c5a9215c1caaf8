package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/waorder/waorder/models"
)

// Delivery is everything one webhook request carries, already routed to businesses. It is stored in one
// transaction (together with other deliveries committed at the same moment).
type Delivery struct {
	Customers []models.Customer      // found by phone or BSUID, created or completed; LastInboundAt only moves forward
	Messages  []InboundRow           // inserted once per wamid
	Statuses  []models.MessageStatus // inserted once per (wamid, status); outbound messages advance
	Events    []models.WebhookEvent  // inserted once per hash
}

// InboundRow is an inbound message whose customer is named by the sender's phone-based wa_id, or by its BSUID when
// the webhook carried no phone; the customer id is filled in the transaction.
type InboundRow struct {
	Message models.InboundMessage
	WaID    string
}

// StoreDeliveries commits all deliveries in one transaction and returns the ids of inbound messages that were new
// (a redelivered wamid inserts nothing and returns nothing). Idempotency comes from unique constraints, so
// concurrent duplicates are safe.
func (s *Store) StoreDeliveries(ctx context.Context, ds []Delivery) (newMessageIDs []int64, err error) {
	err = s.Tx(ctx, func(tx *Store) error {
		newMessageIDs = newMessageIDs[:0]
		ids, err := tx.upsertCustomers(ctx, ds)
		if err != nil {
			return err
		}
		created, err := tx.insertMessages(ctx, ds, ids)
		if err != nil {
			return err
		}
		newMessageIDs = created
		if err := tx.insertStatuses(ctx, ds); err != nil {
			return err
		}
		return tx.insertEvents(ctx, ds)
	})
	if err != nil {
		return nil, fmt.Errorf("store %d webhook deliveries: %w", len(ds), err)
	}
	return newMessageIDs, nil
}

func (s *Store) insertMessages(ctx context.Context, ds []Delivery, customers customerIDs) ([]int64, error) {
	var rows []InboundRow
	for _, d := range ds {
		rows = append(rows, d.Messages...)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	t := now()
	args := make([]any, 0, len(rows)*10)
	for _, r := range rows {
		m := r.Message
		cid, ok := customers.of(m.BusinessID, strings.TrimPrefix(r.WaID, "+"))
		if !ok {
			return nil, fmt.Errorf("message %s: customer %s was not upserted", m.Wamid, r.WaID)
		}
		args = append(args, m.BusinessID, m.PhoneNumberID, cid, m.Wamid, m.Type, m.Body, m.Payload, m.SentAt.UTC(), t, m.RequestID)
	}
	q := "INSERT INTO inbound_messages (business_id, phone_number_id, customer_id, wamid, type, body, payload, sent_at, received_at, request_id) VALUES " +
		valueRows(len(rows), "(?,?,?,?,?,?,?,?,?,?)") + " ON CONFLICT (wamid) DO NOTHING RETURNING id, wamid"
	var inserted []struct {
		ID    int64
		Wamid string
	}
	if err := s.db.WithContext(ctx).Raw(q, args...).Find(&inserted).Error; err != nil {
		return nil, fmt.Errorf("insert %d inbound messages: %w", len(rows), err)
	}
	ids := make([]int64, len(inserted))
	fresh := make(map[string]bool, len(inserted))
	for i, r := range inserted {
		ids[i] = r.ID
		fresh[r.Wamid] = true
	}
	if len(inserted) < len(rows) {
		if err := s.keepConflicts(ctx, rows, fresh); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// keepConflicts looks at messages whose wamid was already stored. A true redelivery (same content) is dropped; a
// different message reusing a wamid is kept as a "conflict" event, so nothing a sender told us is lost.
func (s *Store) keepConflicts(ctx context.Context, rows []InboundRow, fresh map[string]bool) error {
	var dup []string
	for _, r := range rows {
		if !fresh[r.Message.Wamid] {
			dup = append(dup, r.Message.Wamid)
		}
	}
	var stored []struct {
		Wamid   string
		Payload string
	}
	if err := s.db.WithContext(ctx).Raw("SELECT wamid, payload FROM inbound_messages WHERE wamid IN ?", dup).Find(&stored).Error; err != nil {
		return fmt.Errorf("compare duplicate messages: %w", err)
	}
	have := make(map[string]string, len(stored))
	for _, st := range stored {
		have[st.Wamid] = st.Payload
	}
	var events []models.WebhookEvent
	for _, r := range rows {
		m := r.Message
		if fresh[m.Wamid] || have[m.Wamid] == m.Payload {
			continue
		}
		biz := m.BusinessID
		sum := sha256.Sum256([]byte(m.Payload))
		events = append(events, models.WebhookEvent{BusinessID: &biz, Kind: models.EventKindConflict, Field: "messages",
			Reason: "wamid " + m.Wamid + " already stored with other content", Payload: m.Payload,
			Hash: "conflict:" + hex.EncodeToString(sum[:])})
	}
	if len(events) == 0 {
		return nil
	}
	return s.insertEvents(ctx, []Delivery{{Events: events}})
}

func (s *Store) insertEvents(ctx context.Context, ds []Delivery) error {
	db := s.db.WithContext(ctx)
	t := now()
	for _, d := range ds {
		for _, e := range d.Events {
			if e.ReceivedAt.IsZero() {
				e.ReceivedAt = t
			}
			err := db.Exec(`INSERT INTO webhook_events (business_id, kind, field, waba_id, phone_number_id, reason, payload, hash,
				received_at, request_id) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (hash) DO NOTHING`,
				e.BusinessID, e.Kind, e.Field, e.WABAID, e.MetaPhoneID, e.Reason, e.Payload, e.Hash, e.ReceivedAt.UTC(), e.RequestID).Error
			if err != nil {
				return fmt.Errorf("insert %s webhook event: %w", e.Kind, err)
			}
		}
	}
	return nil
}

// StoreEvent stores one raw webhook event on its own, e.g. a body that could not be parsed.
func (s *Store) StoreEvent(ctx context.Context, e models.WebhookEvent) error {
	return s.insertEvents(ctx, []Delivery{{Events: []models.WebhookEvent{e}}})
}

// ListEvents returns the newest webhook events of a kind, for operators.
func (s *Store) ListEvents(ctx context.Context, kind string, limit int) ([]models.WebhookEvent, error) {
	var out []models.WebhookEvent
	err := s.db.WithContext(ctx).Where("kind = ?", kind).Order("id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list %s events: %w", kind, err)
	}
	return out, nil
}
