package repository

import (
	"context"
	"fmt"
	"strings"

	"github.com/waorder/waorder/models"
)

// mergeCustomers moves everything of the victims to the survivor and deletes them: their orders, messages and
// outbound rows; of all their conversations the one with the newest message survives (a cart in progress goes on).
func (s *Store) mergeCustomers(ctx context.Context, biz, survivor int64, victims []int64) error {
	db := s.db.WithContext(ctx)
	all := append([]int64{survivor}, victims...)
	var convs []models.Conversation
	if err := db.Where("business_id = ? AND customer_id IN ?", biz, all).Order("last_message_at DESC, id DESC").
		Find(&convs).Error; err != nil {
		return fmt.Errorf("merge customers %v into %d: load conversations: %w", victims, survivor, err)
	}
	if len(convs) > 1 {
		drop := make([]int64, 0, len(convs)-1)
		for _, c := range convs[1:] {
			drop = append(drop, c.ID)
		}
		if err := db.Exec("DELETE FROM conversations WHERE business_id = ? AND id IN ?", biz, drop).Error; err != nil {
			return fmt.Errorf("merge customers %v into %d: drop older conversations: %w", victims, survivor, err)
		}
	}
	for _, table := range []string{"conversations", "orders", "inbound_messages", "outbound_messages"} {
		if err := db.Exec("UPDATE "+table+" SET customer_id = ? WHERE business_id = ? AND customer_id IN ?",
			survivor, biz, victims).Error; err != nil {
			return fmt.Errorf("merge customers %v into %d: move %s: %w", victims, survivor, table, err)
		}
	}
	if err := db.Exec("DELETE FROM customers WHERE business_id = ? AND id IN ?", biz, victims).Error; err != nil {
		return fmt.Errorf("merge customers %v into %d: %w", victims, survivor, err)
	}
	return nil
}

// CustomerByIdentifier finds a business's customer by phone number or business-scoped user id.
func (s *Store) CustomerByIdentifier(ctx context.Context, businessID int64, id string) (models.Customer, error) {
	var c models.Customer
	id = strings.TrimPrefix(id, "+")
	err := s.db.WithContext(ctx).Where("business_id = ? AND ((phone <> '' AND phone = ?) OR (user_id <> '' AND user_id = ?))",
		businessID, id, id).Order("id").First(&c).Error
	if err != nil {
		return c, fmt.Errorf("find customer %s: %w", id, notFound(err))
	}
	return c, nil
}
