package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/waorder/waorder/models"
)

// This file holds the merchant's reports: orders of a period (CSV export) and customers with what they ordered.

// OrdersBetween lists a business's orders created in [from, to), oldest first, with items and customers; at most
// limit (the caller says when a period holds more).
func (s *Store) OrdersBetween(ctx context.Context, businessID int64, from, to time.Time, limit int) ([]models.Order, error) {
	var orders []models.Order
	err := s.db.WithContext(ctx).Where("business_id = ? AND created_at >= ? AND created_at < ?", businessID, from.UTC(), to.UTC()).
		Order("created_at, id").Limit(limit).Find(&orders).Error
	if err != nil {
		return nil, fmt.Errorf("list orders of business %d in a period: %w", businessID, err)
	}
	if err := s.fillOrders(ctx, businessID, orders); err != nil {
		return nil, err
	}
	return orders, nil
}

// CustomerSummary is one customer on the customers page.
type CustomerSummary struct {
	models.Customer
	Orders      int64      // not counting cancelled ones
	SpentMinor  int64      // the total of those orders
	LastOrderAt *time.Time // nil: never ordered
	Unread      int64      // messages the merchant has not read
	NeedsHuman  string
}

// CustomerSummaries lists a business's customers, the most recent writer first.
func (s *Store) CustomerSummaries(ctx context.Context, businessID int64, limit int) ([]CustomerSummary, error) {
	var rows []struct {
		models.Customer
		Orders      int64
		SpentMinor  int64
		LastOrderAt *string // SQLite returns MAX() of a timestamp as text; parsed below
		Unread      int64
		NeedsHuman  string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT cu.*,
		(SELECT COUNT(*) FROM orders o WHERE o.business_id = cu.business_id AND o.customer_id = cu.id AND o.status <> 'cancelled') AS orders,
		(SELECT COALESCE(SUM(o.total_minor), 0) FROM orders o WHERE o.business_id = cu.business_id AND o.customer_id = cu.id
			AND o.status <> 'cancelled') AS spent_minor,
		(SELECT MAX(o.created_at) FROM orders o WHERE o.business_id = cu.business_id AND o.customer_id = cu.id) AS last_order_at,
		(SELECT COUNT(*) FROM inbound_messages m JOIN conversations c ON c.business_id = m.business_id AND c.customer_id = m.customer_id
			WHERE m.business_id = cu.business_id AND m.customer_id = cu.id AND (c.read_at IS NULL OR m.received_at > c.read_at)) AS unread,
		COALESCE((SELECT c.needs_human FROM conversations c WHERE c.business_id = cu.business_id AND c.customer_id = cu.id), '') AS needs_human
		FROM customers cu WHERE cu.business_id = ?
		ORDER BY (cu.last_inbound_at IS NULL), cu.last_inbound_at DESC, cu.id DESC LIMIT ?`, businessID, limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list customers of business %d: %w", businessID, err)
	}
	out := make([]CustomerSummary, len(rows))
	for i, r := range rows {
		out[i] = CustomerSummary{Customer: r.Customer, Orders: r.Orders, SpentMinor: r.SpentMinor, Unread: r.Unread, NeedsHuman: r.NeedsHuman}
		if r.LastOrderAt != nil {
			t, err := parseDBTime(*r.LastOrderAt)
			if err != nil {
				return nil, fmt.Errorf("list customers of business %d: last order time %q: %w", businessID, *r.LastOrderAt, err)
			}
			out[i].LastOrderAt = &t
		}
	}
	return out, nil
}

// parseDBTime reads a timestamp an aggregate returned as text (SQLite's format, or PostgreSQL's).
func parseDBTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unknown time format")
}
