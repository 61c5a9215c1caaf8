package repository

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/waorder/waorder/models"
)

// This file holds the dashboard's read-only views: one customer's side of a conversation and the orders that
// arrived since a moment, which the live order feed polls. Nothing here writes.

// CustomerInbound lists the last limit messages a customer sent to a business, oldest first.
func (s *Store) CustomerInbound(ctx context.Context, businessID, customerID int64, limit int) ([]models.InboundMessage, error) {
	var out []models.InboundMessage
	err := s.db.WithContext(ctx).Where("business_id = ? AND customer_id = ?", businessID, customerID).
		Order("id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list inbound messages of customer %d: %w", customerID, err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// CustomerByWaID finds a business's customer by WhatsApp id.
func (s *Store) CustomerByWaID(ctx context.Context, businessID int64, waID string) (models.Customer, error) {
	var c models.Customer
	if err := s.db.WithContext(ctx).Where("business_id = ? AND wa_id = ?", businessID, waID).First(&c).Error; err != nil {
		return c, fmt.Errorf("find customer %s: %w", waID, notFound(err))
	}
	return c, nil
}

// LatestOrderID is the highest order id of a business (0 when it has none): where a live feed starts.
func (s *Store) LatestOrderID(ctx context.Context, businessID int64) (int64, error) {
	var id sql.NullInt64 // MAX of no rows is NULL
	if err := s.db.WithContext(ctx).Model(&models.Order{}).Select("MAX(id)").Where("business_id = ?", businessID).
		Row().Scan(&id); err != nil {
		return 0, fmt.Errorf("latest order of business %d: %w", businessID, err)
	}
	return id.Int64, nil
}

// OrdersSince lists a business's orders with an id above afterID or created at or after since, oldest first, with
// items and customers. Ids are handed out before commit, so a slow transaction can commit a lower id after a higher
// one was seen; the time window lets a poller catch it (it drops ids it has already shown).
func (s *Store) OrdersSince(ctx context.Context, businessID, afterID int64, since time.Time, limit int) ([]models.Order, error) {
	var orders []models.Order
	err := s.db.WithContext(ctx).Where("business_id = ? AND (id > ? OR created_at >= ?)", businessID, afterID, since.UTC()).
		Order("id").Limit(limit).Find(&orders).Error
	if err != nil {
		return nil, fmt.Errorf("list new orders of business %d: %w", businessID, err)
	}
	if err := s.fillOrders(ctx, businessID, orders); err != nil {
		return nil, err
	}
	return orders, nil
}
