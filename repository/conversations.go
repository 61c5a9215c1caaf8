package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/waorder/waorder/models"
)

// ConversationOrNew loads the bot's state for a customer, or returns an unsaved empty one (ID 0) the first time:
// SaveConversation inserts it with the state the first message leaves, so a new customer's conversation is written
// once, in the bot's commit, instead of inserted empty and then updated (two writes and a dead row per customer).
func (s *Store) ConversationOrNew(ctx context.Context, businessID, customerID int64) (models.Conversation, error) {
	var cs []models.Conversation
	err := s.db.WithContext(ctx).Where("business_id = ? AND customer_id = ?", businessID, customerID).Limit(1).Find(&cs).Error
	if err != nil {
		return models.Conversation{}, fmt.Errorf("load conversation of customer %d: %w", customerID, err)
	}
	if len(cs) == 1 {
		return cs[0], nil
	}
	return unsavedConversation(businessID, customerID), nil
}

// unsavedConversation is a customer's conversation before the first save (ID 0), with an empty state.
func unsavedConversation(businessID, customerID int64) models.Conversation {
	return models.Conversation{BusinessID: businessID, CustomerID: customerID, Data: "{}"}
}

// CustomerAndConversation reads what the bot needs first about a message's sender in one statement: the customer
// (models.ErrNotFound if the business has none with that id) and their conversation, or an unsaved empty one as
// ConversationOrNew returns. Two reads of their own were 12 % of the service's CPU in the benchmark's drain.
func (s *Store) CustomerAndConversation(ctx context.Context, businessID, customerID int64) (models.Customer, models.Conversation, error) {
	var rows []struct {
		models.Customer
		ConvID            *int64
		ConvState         *string
		ConvData          *string
		ConvVersion       *int64
		ConvLastMessageAt *time.Time
		ConvUpdatedAt     *time.Time
		ConvTakenOverAt   *time.Time
		ConvTakenOverBy   *int64
		ConvNeedsHuman    *string
		ConvReadAt        *time.Time
		ConvLanguage      *string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT cu.*, c.id AS conv_id, c.state AS conv_state, c.data AS conv_data,
		c.version AS conv_version, c.last_message_at AS conv_last_message_at, c.updated_at AS conv_updated_at,
		c.taken_over_at AS conv_taken_over_at, c.taken_over_by AS conv_taken_over_by, c.needs_human AS conv_needs_human,
		c.read_at AS conv_read_at, c.language AS conv_language
		FROM customers cu LEFT JOIN conversations c ON c.business_id = cu.business_id AND c.customer_id = cu.id
		WHERE cu.business_id = ? AND cu.id = ?`, businessID, customerID).Find(&rows).Error
	if err != nil {
		return models.Customer{}, models.Conversation{}, fmt.Errorf("load customer %d and conversation: %w", customerID, err)
	}
	if len(rows) == 0 {
		return models.Customer{}, models.Conversation{}, fmt.Errorf("load customer %d: %w", customerID, models.ErrNotFound)
	}
	r := rows[0]
	conv := unsavedConversation(businessID, customerID)
	if r.ConvID != nil {
		conv = models.Conversation{ID: *r.ConvID, BusinessID: businessID, CustomerID: customerID, State: deref(r.ConvState),
			Data: deref(r.ConvData), Version: deref(r.ConvVersion), LastMessageAt: deref(r.ConvLastMessageAt),
			UpdatedAt: deref(r.ConvUpdatedAt), TakenOverAt: r.ConvTakenOverAt, TakenOverBy: r.ConvTakenOverBy,
			NeedsHuman: deref(r.ConvNeedsHuman), ReadAt: r.ConvReadAt, Language: deref(r.ConvLanguage)}
	}
	return r.Customer, conv, nil
}

// deref is *p, or T's zero value for nil (a column of a row a LEFT JOIN did not find).
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// Conversation loads the bot's state for a customer, creating an empty one the first time.
func (s *Store) Conversation(ctx context.Context, businessID, customerID int64) (models.Conversation, error) {
	// Read first: a customer who wrote before has one. Only a first load tries the insert (which a concurrent first
	// load may win; then the read after it finds that row).
	conv, err := s.ConversationOrNew(ctx, businessID, customerID)
	if err != nil || conv.ID != 0 {
		return conv, err
	}
	var cs []models.Conversation
	t := now()
	err = s.db.WithContext(ctx).Raw(`INSERT INTO conversations (business_id, customer_id, state, data, version, last_message_at, updated_at)
		VALUES (?, ?, '', '{}', 0, ?, ?) ON CONFLICT (business_id, customer_id) DO NOTHING RETURNING *`, businessID, customerID, t, t).Find(&cs).Error
	if err != nil {
		return models.Conversation{}, fmt.Errorf("create conversation of customer %d: %w", customerID, err)
	}
	if len(cs) == 1 {
		return cs[0], nil
	}
	if conv, err = s.ConversationOrNew(ctx, businessID, customerID); err != nil || conv.ID != 0 {
		return conv, err
	}
	return models.Conversation{}, fmt.Errorf("load conversation of customer %d: %w", customerID, models.ErrNotFound)
}

// SaveConversation writes c's new state and language if nobody changed it since it was read at c.Version; else
// models.ErrStale. An unsaved conversation (from ConversationOrNew) is inserted, unless another one was created for
// the customer meanwhile: that is models.ErrStale too, and the caller retries with the one that won.
func (s *Store) SaveConversation(ctx context.Context, c models.Conversation, at time.Time) error {
	if c.ID == 0 {
		t := now()
		res := s.db.WithContext(ctx).Exec(`INSERT INTO conversations (business_id, customer_id, state, data, language, version,
			last_message_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (business_id, customer_id) DO NOTHING`,
			c.BusinessID, c.CustomerID, c.State, c.Data, c.Language, at.UTC(), t)
		if res.Error != nil {
			return fmt.Errorf("create conversation of customer %d: %w", c.CustomerID, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("create conversation of customer %d: %w", c.CustomerID, models.ErrStale)
		}
		return nil
	}
	res := s.db.WithContext(ctx).Exec(`UPDATE conversations SET state = ?, data = ?, language = ?, version = version + 1,
		last_message_at = ?, updated_at = ? WHERE business_id = ? AND id = ? AND version = ?`,
		c.State, c.Data, c.Language, at.UTC(), now(), c.BusinessID, c.ID, c.Version)
	if res.Error != nil {
		return fmt.Errorf("save conversation %d: %w", c.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("save conversation %d: %w", c.ID, models.ErrStale)
	}
	return nil
}

// CustomerLanguage is the language a customer is written to in: the one their greeting picked for their
// conversation, else the business's.
func (s *Store) CustomerLanguage(ctx context.Context, businessID, customerID int64) (string, error) {
	var lang string
	err := s.db.WithContext(ctx).Raw(`SELECT COALESCE(NULLIF(c.language, ''), b.language) FROM businesses b
		LEFT JOIN conversations c ON c.business_id = b.id AND c.customer_id = ? WHERE b.id = ?`, customerID, businessID).Find(&lang).Error
	if err != nil {
		return "", fmt.Errorf("language of customer %d: %w", customerID, err)
	}
	return lang, nil
}

// LastOrder is a customer's newest order, or nil.
func (s *Store) LastOrder(ctx context.Context, businessID, customerID int64) (*models.Order, error) {
	orders, _, err := s.ListOrders(ctx, businessID, models.OrderFilter{CustomerID: customerID, Page: 1, PageSize: 1})
	if err != nil || len(orders) == 0 {
		return nil, err
	}
	return &orders[0], nil
}
