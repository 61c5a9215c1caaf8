package repository

// Writing the customers of a webhook batch: new ones in one multi-row INSERT, changed ones in one UPDATE per chunk
// (customers.go decides which are which).

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/waorder/waorder/models"
)

// customerRowsPerStatement bounds a multi-row statement well under PostgreSQL's 65,535 parameters.
const customerRowsPerStatement = 1000

// insertCustomers creates the customers, a statement per chunk, and returns their ids in the order given. Each
// business's wa_id is unique, so the rows a statement returns are matched back by it.
func (s *Store) insertCustomers(ctx context.Context, cs []models.Customer) ([]int64, error) {
	ids := make([]int64, 0, len(cs))
	t := now()
	for chunk := range slices.Chunk(cs, customerRowsPerStatement) {
		args := make([]any, 0, len(chunk)*10)
		for _, c := range chunk {
			args = append(args, c.BusinessID, c.WaID, c.Phone, c.UserID, c.ParentUserID, c.Username, c.Name, utc(c.LastInboundAt), t, t)
		}
		q := `INSERT INTO customers (business_id, wa_id, phone, user_id, parent_user_id, username, name,
		last_inbound_at, created_at, updated_at) VALUES ` + valueRows(len(chunk), "(?,?,?,?,?,?,?,?,?,?)") +
			" RETURNING id, business_id, wa_id"
		var rows []struct {
			ID         int64
			BusinessID int64
			WaID       string
		}
		if err := s.db.WithContext(ctx).Raw(q, args...).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("create %d customers: %w", len(chunk), err)
		}
		byKey := make(map[idKey]int64, len(rows))
		for _, r := range rows {
			byKey[idKey{r.BusinessID, r.WaID}] = r.ID
		}
		for _, c := range chunk {
			id, ok := byKey[idKey{c.BusinessID, c.WaID}]
			if !ok {
				return nil, fmt.Errorf("create customer %s: no row came back", c.WaID)
			}
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// customerChanged reports whether c says anything the stored row before does not.
func customerChanged(before, c models.Customer) bool {
	return before.WaID != c.WaID || before.Phone != c.Phone || before.UserID != c.UserID || before.ParentUserID != c.ParentUserID ||
		before.Username != c.Username || before.Name != c.Name || !inboundAt(before).Equal(inboundAt(c))
}

// updateCustomers writes the customers' new state. The window only moves forward, whatever a concurrent writer
// did in between. On PostgreSQL it is one statement per chunk (a round trip each inside the webhook commit); on
// SQLite, in-process, one per customer.
func (s *Store) updateCustomers(ctx context.Context, cs []models.Customer) error {
	if !s.postgres || len(cs) == 1 {
		for _, c := range cs {
			if err := s.updateCustomer(ctx, c); err != nil {
				return err
			}
		}
		return nil
	}
	t := now()
	for chunk := range slices.Chunk(cs, customerRowsPerStatement) {
		args := make([]any, 0, len(chunk)*9+1)
		args = append(args, t)
		for _, c := range chunk {
			args = append(args, c.BusinessID, c.ID, c.WaID, c.Phone, c.UserID, c.ParentUserID, c.Username, c.Name, utc(c.LastInboundAt))
		}
		q := `UPDATE customers AS c SET wa_id = v.wa_id, phone = v.phone, user_id = v.user_id,
		parent_user_id = v.parent_user_id, username = v.username, name = v.name,
		last_inbound_at = CASE WHEN c.last_inbound_at IS NULL OR c.last_inbound_at < v.t THEN v.t ELSE c.last_inbound_at END,
		updated_at = ? FROM (VALUES ` +
			valueRows(len(chunk), "(?::bigint,?::bigint,?::text,?::text,?::text,?::text,?::text,?::text,?::timestamptz)") +
			`) AS v(business_id, id, wa_id, phone, user_id, parent_user_id, username, name, t)
		WHERE c.business_id = v.business_id AND c.id = v.id`
		if err := s.db.WithContext(ctx).Exec(q, args...).Error; err != nil {
			return fmt.Errorf("update %d customers: %w", len(chunk), err)
		}
	}
	return nil
}

// updateCustomer writes one customer's new state (see updateCustomers).
func (s *Store) updateCustomer(ctx context.Context, c models.Customer) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE customers SET wa_id = ?, phone = ?, user_id = ?, parent_user_id = ?, username = ?,
		name = ?, last_inbound_at = CASE WHEN last_inbound_at IS NULL OR last_inbound_at < ? THEN ? ELSE last_inbound_at END,
		updated_at = ? WHERE business_id = ? AND id = ?`,
		c.WaID, c.Phone, c.UserID, c.ParentUserID, c.Username, c.Name, utc(c.LastInboundAt), utc(c.LastInboundAt), now(),
		c.BusinessID, c.ID).Error
	if err != nil {
		return fmt.Errorf("update customer %d: %w", c.ID, err)
	}
	return nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
