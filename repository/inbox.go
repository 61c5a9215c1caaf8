package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/waorder/waorder/models"
)

// This file is the merchant's inbox: one thread per customer who wrote, what is unread, who answers (the bot or a
// person), and which threads wait for a person.

type threadRow struct {
	models.Customer
	LastMessageAt time.Time
	LastText      string
	Unread        int64
	NeedsHuman    string
	TakenOverAt   *time.Time
	TakenOverBy   *int64
	ConvUpdatedAt time.Time
}

const threadSelect = `SELECT cu.*, c.last_message_at, c.needs_human, c.taken_over_at, c.taken_over_by, c.updated_at AS conv_updated_at,
	COALESCE((SELECT m.body FROM inbound_messages m WHERE m.business_id = c.business_id AND m.customer_id = c.customer_id
		ORDER BY m.id DESC LIMIT 1), '') AS last_text,
	(SELECT COUNT(*) FROM inbound_messages m WHERE m.business_id = c.business_id AND m.customer_id = c.customer_id
		AND (c.read_at IS NULL OR m.received_at > c.read_at)) AS unread
	FROM conversations c JOIN customers cu ON cu.id = c.customer_id AND cu.business_id = c.business_id
	WHERE c.business_id = ?`

func (r threadRow) thread() models.Thread {
	return models.Thread{Customer: r.Customer, LastMessageAt: r.LastMessageAt, LastText: r.LastText, Unread: r.Unread,
		NeedsHuman: r.NeedsHuman, TakenOverAt: r.TakenOverAt, TakenOverBy: r.TakenOverBy, UpdatedAt: r.ConvUpdatedAt}
}

// Threads lists a business's conversations: those waiting for a person first, then newest message first.
func (s *Store) Threads(ctx context.Context, businessID int64, limit int) ([]models.Thread, error) {
	var rows []threadRow
	err := s.db.WithContext(ctx).Raw(threadSelect+` ORDER BY CASE WHEN c.needs_human <> '' THEN 0 ELSE 1 END, c.last_message_at DESC, c.id DESC LIMIT ?`, businessID, limit).
		Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list threads of business %d: %w", businessID, err)
	}
	out := make([]models.Thread, len(rows))
	for i, r := range rows {
		out[i] = r.thread()
	}
	return out, nil
}

// ThreadsChangedSince lists the business's threads whose conversation changed at or after since (a message came,
// the bot answered, someone took over or read it), oldest change first: what a live inbox polls.
func (s *Store) ThreadsChangedSince(ctx context.Context, businessID int64, since time.Time, limit int) ([]models.Thread, error) {
	var rows []threadRow
	err := s.db.WithContext(ctx).Raw(threadSelect+` AND c.updated_at >= ? ORDER BY c.updated_at, c.id LIMIT ?`,
		businessID, since.UTC(), limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list changed threads of business %d: %w", businessID, err)
	}
	out := make([]models.Thread, len(rows))
	for i, r := range rows {
		out[i] = r.thread()
	}
	return out, nil
}

// Thread loads one customer's thread.
func (s *Store) Thread(ctx context.Context, businessID, customerID int64) (models.Thread, error) {
	var rows []threadRow
	err := s.db.WithContext(ctx).Raw(threadSelect+` AND c.customer_id = ?`, businessID, customerID).Find(&rows).Error
	if err != nil {
		return models.Thread{}, fmt.Errorf("load thread of customer %d: %w", customerID, err)
	}
	if len(rows) == 0 {
		return models.Thread{}, fmt.Errorf("thread of customer %d: %w", customerID, models.ErrNotFound)
	}
	return rows[0].thread(), nil
}

// UnreadThreads counts the business's threads with unread messages or waiting for a person (the menu's badge).
func (s *Store) UnreadThreads(ctx context.Context, businessID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*) FROM conversations c WHERE c.business_id = ? AND (c.needs_human <> ''
		OR EXISTS (SELECT 1 FROM inbound_messages m WHERE m.business_id = c.business_id AND m.customer_id = c.customer_id
			AND (c.read_at IS NULL OR m.received_at > c.read_at)))`, businessID).Find(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count unread threads of business %d: %w", businessID, err)
	}
	return n, nil
}

// updateConversation sets columns of a customer's conversation (creating it if the customer never wrote) and
// bumps updated_at, so live inboxes see the change.
func (s *Store) updateConversation(ctx context.Context, businessID, customerID int64, set map[string]any) error {
	if _, err := s.Conversation(ctx, businessID, customerID); err != nil {
		return err
	}
	set["updated_at"] = now()
	res := s.db.WithContext(ctx).Model(&models.Conversation{}).Where("business_id = ? AND customer_id = ?", businessID, customerID).
		Updates(set)
	if res.Error != nil {
		return fmt.Errorf("update conversation of customer %d: %w", customerID, res.Error)
	}
	return nil
}

// MarkThreadRead records that the merchant read the thread up to at.
func (s *Store) MarkThreadRead(ctx context.Context, businessID, customerID int64, at time.Time) error {
	return s.updateConversation(ctx, businessID, customerID, map[string]any{"read_at": at.UTC()})
}

// TakeOver makes a person (userID) answer the customer: the bot stays quiet and the thread no longer waits.
func (s *Store) TakeOver(ctx context.Context, businessID, customerID, userID int64, at time.Time) error {
	return s.updateConversation(ctx, businessID, customerID, map[string]any{"taken_over_at": at.UTC(), "taken_over_by": userID,
		"needs_human": ""})
}

// HandBack gives the customer back to the bot.
func (s *Store) HandBack(ctx context.Context, businessID, customerID int64) error {
	return s.updateConversation(ctx, businessID, customerID, map[string]any{"taken_over_at": nil, "taken_over_by": nil,
		"needs_human": ""})
}

// FlagThread marks the thread as waiting for a person, saying why (a models.Needs* code). A thread a person already
// answers is not flagged.
func (s *Store) FlagThread(ctx context.Context, businessID, customerID int64, reason string) error {
	res := s.db.WithContext(ctx).Model(&models.Conversation{}).
		Where("business_id = ? AND customer_id = ? AND taken_over_at IS NULL", businessID, customerID).
		Updates(map[string]any{"needs_human": reason, "updated_at": now()})
	if res.Error != nil {
		return fmt.Errorf("flag conversation of customer %d: %w", customerID, res.Error)
	}
	return nil
}

// OutboundChangedSince lists a business's outbound messages created or updated at or after since (new replies and
// delivery statuses), oldest change first, optionally for one customer (0 = all).
func (s *Store) OutboundChangedSince(ctx context.Context, businessID, customerID int64, since time.Time, limit int) ([]models.OutboundMessage, error) {
	q := s.db.WithContext(ctx).Where("business_id = ? AND updated_at >= ?", businessID, since.UTC())
	if customerID != 0 {
		q = q.Where("customer_id = ?", customerID)
	}
	var out []models.OutboundMessage
	if err := q.Order("updated_at, id").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list changed outbound messages of business %d: %w", businessID, err)
	}
	return out, nil
}

// InboundSince lists a customer's messages with an id above afterID, oldest first.
func (s *Store) InboundSince(ctx context.Context, businessID, customerID, afterID int64, limit int) ([]models.InboundMessage, error) {
	var out []models.InboundMessage
	err := s.db.WithContext(ctx).Where("business_id = ? AND customer_id = ? AND id > ?", businessID, customerID, afterID).
		Order("id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list new messages of customer %d: %w", customerID, err)
	}
	return out, nil
}
