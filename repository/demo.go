package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/waorder/waorder/models"
)

// DemoChat is one customer's past in the sandbox's sample week: their messages, what was sent to them, and their
// orders, each at its own time.
type DemoChat struct {
	Customer models.Customer
	Inbound  []models.InboundMessage // handled already: the bot never sees them
	Outbound []models.OutboundMessage
	Orders   []DemoOrder
	Unread   bool   // the merchant has not read the last messages
	Needs    string // the thread waits for a person
}

// DemoOrder is a past order and how far it got.
type DemoOrder struct {
	Order  models.Order
	Status models.OrderStatus
}

// SeedDemoHistory writes a sample history for a sandbox business in one transaction, back-dated as given. It is
// for the sandbox only: real history comes from webhooks.
func (s *Store) SeedDemoHistory(ctx context.Context, bizID, phoneID int64, chats []DemoChat) error {
	return s.Tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		for _, ch := range chats {
			c := ch.Customer
			c.BusinessID = bizID
			if err := db.Create(&c).Error; err != nil {
				return fmt.Errorf("seed demo customer: %w", err)
			}
			var last time.Time
			for _, m := range ch.Inbound {
				m.BusinessID, m.PhoneNumberID, m.CustomerID, m.ReceivedAt = bizID, phoneID, c.ID, m.SentAt
				at := m.SentAt
				m.ProcessedAt = &at
				if err := db.Create(&m).Error; err != nil {
					return fmt.Errorf("seed demo message: %w", err)
				}
				if m.SentAt.After(last) {
					last = m.SentAt
				}
			}
			for _, m := range ch.Outbound {
				m.BusinessID, m.PhoneNumberID, m.CustomerID, m.ToWaID = bizID, phoneID, c.ID, c.WaID
				m.NextAttemptAt, m.UpdatedAt = m.CreatedAt, m.CreatedAt
				if err := db.Create(&m).Error; err != nil {
					return fmt.Errorf("seed demo reply: %w", err)
				}
			}
			for _, d := range ch.Orders {
				o := d.Order
				o.BusinessID, o.CustomerID = bizID, c.ID
				at := o.CreatedAt
				if err := tx.CreateOrder(ctx, &o); err != nil {
					return err
				}
				if err := db.Model(&models.Order{}).Where("id = ?", o.ID).Updates(map[string]any{"status": d.Status,
					"created_at": at.UTC(), "updated_at": at.UTC()}).Error; err != nil {
					return fmt.Errorf("seed demo order: %w", err)
				}
				if err := db.Model(&models.OrderEvent{}).Where("order_id = ?", o.ID).Update("created_at", at.UTC()).Error; err != nil {
					return fmt.Errorf("seed demo order: %w", err)
				}
			}
			if err := db.Model(&models.Customer{}).Where("id = ?", c.ID).Update("last_inbound_at", last.UTC()).Error; err != nil {
				return fmt.Errorf("seed demo customer: %w", err)
			}
			conv, err := tx.Conversation(ctx, bizID, c.ID)
			if err != nil {
				return err
			}
			set := map[string]any{"last_message_at": last.UTC(), "updated_at": last.UTC(), "needs_human": ch.Needs,
				"state": "menu", "data": `{"step":"menu"}`}
			if !ch.Unread {
				set["read_at"] = last.UTC()
			}
			if err := db.Model(&models.Conversation{}).Where("id = ?", conv.ID).Updates(set).Error; err != nil {
				return fmt.Errorf("seed demo conversation: %w", err)
			}
		}
		return nil
	})
}
