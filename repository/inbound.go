package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

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
	var sb strings.Builder
	args := make([]any, 0, len(rows)*10)
	sb.WriteString("INSERT INTO inbound_messages (business_id, phone_number_id, customer_id, wamid, type, body, payload, sent_at, received_at, request_id) VALUES ")
	for i, r := range rows {
		m := r.Message
		cid, ok := customers.of(m.BusinessID, strings.TrimPrefix(r.WaID, "+"))
		if !ok {
			return nil, fmt.Errorf("message %s: customer %s was not upserted", m.Wamid, r.WaID)
		}
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString("(?,?,?,?,?,?,?,?,?,?)")
		args = append(args, m.BusinessID, m.PhoneNumberID, cid, m.Wamid, m.Type, m.Body, m.Payload, m.SentAt.UTC(), t, m.RequestID)
	}
	sb.WriteString(" ON CONFLICT (wamid) DO NOTHING RETURNING id, wamid")
	var inserted []struct {
		ID    int64
		Wamid string
	}
	if err := s.db.WithContext(ctx).Raw(sb.String(), args...).Scan(&inserted).Error; err != nil {
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
	if err := s.db.WithContext(ctx).Raw("SELECT wamid, payload FROM inbound_messages WHERE wamid IN ?", dup).Scan(&stored).Error; err != nil {
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

// outboundRankSQL orders outbound states so a status update only ever moves a message forward.
const outboundRankSQL = `CASE %s WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE 0 END`

func (s *Store) insertStatuses(ctx context.Context, ds []Delivery) error {
	type key struct{ wamid, status string }
	var rows []models.MessageStatus
	seen := map[key]bool{}
	for _, d := range ds {
		for _, st := range d.Statuses {
			if k := (key{st.Wamid, st.Status}); !seen[k] {
				seen[k] = true
				rows = append(rows, st)
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	t := now()
	var sb strings.Builder
	args := make([]any, 0, len(rows)*10)
	sb.WriteString(`INSERT INTO message_statuses (business_id, wamid, status, recipient, error_code, error_title, error_detail,
		payload, status_at, received_at) VALUES `)
	for i, st := range rows {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString("(?,?,?,?,?,?,?,?,?,?)")
		args = append(args, st.BusinessID, st.Wamid, st.Status, st.Recipient, st.ErrorCode, st.ErrorTitle, st.ErrorDetail,
			st.Payload, st.StatusAt.UTC(), t)
	}
	sb.WriteString(" ON CONFLICT (wamid, status) DO NOTHING RETURNING wamid, status")
	var got []struct{ Wamid, Status string }
	if err := s.db.WithContext(ctx).Raw(sb.String(), args...).Scan(&got).Error; err != nil {
		return fmt.Errorf("insert %d statuses: %w", len(rows), err)
	}
	fresh := make(map[key]bool, len(got))
	for _, g := range got {
		fresh[key{g.Wamid, g.Status}] = true
	}
	// Statuses move outbound messages forward, one statement per business and status.
	groups := map[struct {
		biz    int64
		status string
	}][]models.MessageStatus{}
	for _, st := range rows {
		if !fresh[key{st.Wamid, st.Status}] {
			if err := s.keepStatusConflict(ctx, st); err != nil {
				return err
			}
			continue
		}
		g := struct {
			biz    int64
			status string
		}{st.BusinessID, st.Status}
		groups[g] = append(groups[g], st)
	}
	for g, sts := range groups {
		if g.status == "failed" {
			// Each failure keeps its own error code and reason.
			for _, st := range sts {
				if err := s.applyStatus(ctx, st); err != nil {
					return err
				}
			}
			continue
		}
		if err := s.applyStatuses(ctx, sts); err != nil {
			return err
		}
	}
	return nil
}

// keepStatusConflict keeps a status whose (wamid, status) was already stored with other content as a conflict event;
// a true redelivery is dropped.
func (s *Store) keepStatusConflict(ctx context.Context, st models.MessageStatus) error {
	var stored string
	err := s.db.WithContext(ctx).Raw("SELECT payload FROM message_statuses WHERE wamid = ? AND status = ?", st.Wamid, st.Status).
		Scan(&stored).Error
	if err != nil {
		return fmt.Errorf("compare duplicate status: %w", err)
	}
	if stored == st.Payload {
		return nil
	}
	biz := st.BusinessID
	sum := sha256.Sum256([]byte(st.Payload))
	return s.insertEvents(ctx, []Delivery{{Events: []models.WebhookEvent{{BusinessID: &biz, Kind: models.EventKindConflict,
		Field: "messages", Reason: st.Status + " status of " + st.Wamid + " already stored with other content",
		Payload: st.Payload, Hash: "conflict:" + hex.EncodeToString(sum[:])}}}})
}

// applyStatus moves the outbound message with st's wamid forward to st's status. A status for a wamid we do not
// (yet) know stays in message_statuses; MarkOutboundSent applies it once the send records the wamid.
func (s *Store) applyStatus(ctx context.Context, st models.MessageStatus) error {
	return s.applyStatuses(ctx, []models.MessageStatus{st})
}

// applyStatuses applies statuses of one business and one status kind in one statement. Never backwards: a late
// "delivered" leaves a "read" message as it is.
func (s *Store) applyStatuses(ctx context.Context, sts []models.MessageStatus) error {
	st := sts[0]
	col := map[string]string{"sent": "sent_at", "delivered": "delivered_at", "read": "read_at", "failed": "failed_at"}[st.Status]
	if col == "" {
		return nil // e.g. "played", "deleted": kept in message_statuses only
	}
	wamids := make([]string, len(sts))
	at := st.StatusAt
	for i, x := range sts {
		wamids[i] = x.Wamid
		if x.StatusAt.After(at) {
			at = x.StatusAt
		}
	}
	set := "status = ?, " + col + " = ?, updated_at = ?"
	args := []any{st.Status, at.UTC(), now()}
	if st.Status == "failed" {
		set += ", error_code = ?, last_error = ?"
		args = append(args, st.ErrorCode, strings.TrimSpace(st.ErrorTitle+": "+st.ErrorDetail))
	}
	q := "UPDATE outbound_messages SET " + set + " WHERE business_id = ? AND wamid IN ? AND " +
		fmt.Sprintf(outboundRankSQL, "status") + " < " + fmt.Sprintf(outboundRankSQL, "?")
	args = append(args, st.BusinessID, wamids, st.Status)
	if err := s.db.WithContext(ctx).Exec(q, args...).Error; err != nil {
		return fmt.Errorf("apply %d %s statuses: %w", len(sts), st.Status, err)
	}
	return nil
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

// ClaimUnprocessed leases up to limit inbound messages the bot has not handled (new, or whose lease ran out after a
// crash), oldest first, taking only the oldest pending message of each customer: a customer whose oldest message is
// leased is skipped, so each customer's messages are handled one at a time and in order, across instances. A message
// that used up maxAttempts no longer blocks its customer.
//
// With ids, only those messages are considered: the fast path for messages just stored, which costs index probes
// instead of a scan of everything pending. Without, every pending message is (the sweep for retries and crashes).
func (s *Store) ClaimUnprocessed(ctx context.Context, ids []int64, limit int, lease time.Duration, maxAttempts int) ([]models.InboundMessage, error) {
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	nowSQL, nowArgs := s.dbTime(0)
	untilSQL, untilArgs := s.dbTime(lease)
	var args []any
	args = append(args, maxAttempts)
	args = append(args, nowArgs...)
	args = append(args, maxAttempts)
	only := ""
	if ids != nil {
		only = " AND m.id IN ?"
		args = append(args, ids)
	}
	args = append(args, limit)
	args = append(args, untilArgs...)
	args = append(args, nowArgs...)
	var claimed []models.InboundMessage
	// The pick is a materialized CTE, evaluated once, like the outbox's: written "id IN (SELECT … LIMIT n SKIP
	// LOCKED)", PostgreSQL may run the subquery again and claim more than n. Leases are on the database's clock.
	err := s.db.WithContext(ctx).Raw(`WITH picked AS MATERIALIZED (
			SELECT m.id FROM inbound_messages m
			WHERE m.processed_at IS NULL AND m.attempts < ? AND (m.claim_until IS NULL OR m.claim_until < `+nowSQL+`)
			AND NOT EXISTS (SELECT 1 FROM inbound_messages o WHERE o.business_id = m.business_id
				AND o.customer_id = m.customer_id AND o.processed_at IS NULL AND o.attempts < ? AND o.id < m.id)`+only+`
			ORDER BY m.id LIMIT ?`+lock+`)
		UPDATE inbound_messages SET claim_until = `+untilSQL+`, attempts = attempts + 1
		WHERE id IN (SELECT id FROM picked) AND processed_at IS NULL AND (claim_until IS NULL OR claim_until < `+nowSQL+`)
		RETURNING *`, args...).Scan(&claimed).Error
	if err != nil {
		return nil, fmt.Errorf("claim unprocessed messages: %w", err)
	}
	sort.Slice(claimed, func(i, j int) bool { return claimed[i].ID < claimed[j].ID })
	return claimed, nil
}

// MarkProcessedBatch records that the bot handled these messages.
func (s *Store) MarkProcessedBatch(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Exec(`UPDATE inbound_messages SET processed_at = ?, claim_until = NULL, process_error = ''
		WHERE id IN ?`, now(), ids).Error
	if err != nil {
		return fmt.Errorf("mark %d messages processed: %w", len(ids), err)
	}
	return nil
}

// MarkProcessed records that the bot handled a message (procErr empty) or gave up on it.
func (s *Store) MarkProcessed(ctx context.Context, businessID, id int64, procErr string) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE inbound_messages SET processed_at = ?, claim_until = NULL, process_error = ?
		WHERE business_id = ? AND id = ?`, now(), procErr, businessID, id).Error
	if err != nil {
		return fmt.Errorf("mark message %d processed: %w", id, err)
	}
	return nil
}

// ReleaseClaim gives a message back for another try after backoff (on the database's clock).
func (s *Store) ReleaseClaim(ctx context.Context, businessID, id int64, backoff time.Duration, procErr string) error {
	at, atArgs := s.dbTime(backoff)
	err := s.db.WithContext(ctx).Exec(`UPDATE inbound_messages SET claim_until = `+at+`, process_error = ? WHERE business_id = ? AND id = ?`,
		append(atArgs, procErr, businessID, id)...).Error
	if err != nil {
		return fmt.Errorf("release message %d: %w", id, err)
	}
	return nil
}

// InboundMessages lists a business's inbound messages, newest first (for tests and the conversation view).
func (s *Store) InboundMessages(ctx context.Context, businessID int64, limit int) ([]models.InboundMessage, error) {
	var out []models.InboundMessage
	err := s.db.WithContext(ctx).Where("business_id = ?", businessID).Order("id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list inbound messages of business %d: %w", businessID, err)
	}
	return out, nil
}
