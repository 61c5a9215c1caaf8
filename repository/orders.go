package repository

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
)

// CreateOrder numbers o within its business and inserts it with its items and a first event. Run it inside Tx with
// whatever else the order causes (its confirmation message). The business row lock taken for the number serialises
// concurrent orders of one business, so the source-key check after it is race-free.
func (s *Store) CreateOrder(ctx context.Context, o *models.Order) error {
	db := s.db.WithContext(ctx)
	var seq int64
	if err := db.Raw("UPDATE businesses SET order_seq = order_seq + 1 WHERE id = ? RETURNING order_seq", o.BusinessID).
		Find(&seq).Error; err != nil {
		return fmt.Errorf("number order of business %d: %w", o.BusinessID, err)
	}
	if seq == 0 {
		return fmt.Errorf("number order: business %d: %w", o.BusinessID, models.ErrNotFound)
	}
	var n int64
	if err := db.Model(&models.Order{}).Where("source_key = ?", o.SourceKey).Count(&n).Error; err != nil {
		return fmt.Errorf("check order %s: %w", o.SourceKey, err)
	}
	if n > 0 {
		return fmt.Errorf("order from %s: %w", o.SourceKey, models.ErrDuplicate)
	}
	t := now()
	o.Number, o.CreatedAt, o.UpdatedAt = seq, t, t
	if o.Status == "" {
		o.Status = models.StatusPending
	}
	o.TotalMinor = models.ItemsTotal(o.Items) + o.DeliveryFeeMinor
	if err := db.Create(o).Error; err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("order from %s: %w", o.SourceKey, models.ErrDuplicate)
		}
		return fmt.Errorf("insert order: %w", err)
	}
	for i := range o.Items {
		o.Items[i].OrderID, o.Items[i].BusinessID = o.ID, o.BusinessID
	}
	if len(o.Items) > 0 {
		if err := db.Create(&o.Items).Error; err != nil {
			return fmt.Errorf("insert items of order %d: %w", o.ID, err)
		}
	}
	ev := models.OrderEvent{OrderID: o.ID, BusinessID: o.BusinessID, ToStatus: o.Status, Actor: "customer", CreatedAt: t}
	if err := db.Create(&ev).Error; err != nil {
		return fmt.Errorf("insert first event of order %d: %w", o.ID, err)
	}
	return nil
}

// Order loads one order of a business with its items and customer.
func (s *Store) Order(ctx context.Context, businessID, id int64) (models.Order, error) {
	var o models.Order
	if err := s.db.WithContext(ctx).Where("business_id = ? AND id = ?", businessID, id).First(&o).Error; err != nil {
		return o, fmt.Errorf("load order %d: %w", id, notFound(err))
	}
	one := []models.Order{o}
	if err := s.fillOrders(ctx, businessID, one); err != nil {
		return o, err
	}
	return one[0], nil
}

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\': a searched "%" or "_" is that character,
// not a wildcard that matches every customer.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// ListOrders returns one page of a business's orders, newest first, and how many match in all.
func (s *Store) ListOrders(ctx context.Context, businessID int64, f models.OrderFilter) ([]models.Order, int64, error) {
	if f.PageSize < 1 {
		return nil, 0, fmt.Errorf("list orders of business %d: %w", businessID, models.Invalid("page_size", "must be given"))
	}
	q := s.db.WithContext(ctx).Model(&models.Order{}).Where("orders.business_id = ?", businessID)
	if f.Status != "" {
		q = q.Where("orders.status = ?", f.Status)
	}
	if f.CustomerID != 0 {
		q = q.Where("orders.customer_id = ?", f.CustomerID)
	}
	if qs := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f.Query), "#")); qs != "" {
		like := "%" + escapeLike(strings.ToLower(qs)) + "%"
		user := "%" + escapeLike(strings.ToLower(strings.TrimPrefix(qs, "@"))) + "%" // "@ana" finds username "ana.lima"
		sub := s.db.Model(&models.Customer{}).Select("id").
			Where(`business_id = ? AND (LOWER(name) LIKE ? ESCAPE '\' OR wa_id LIKE ? ESCAPE '\' OR phone LIKE ? ESCAPE '\'
				OR LOWER(username) LIKE ? ESCAPE '\' OR LOWER(user_id) LIKE ? ESCAPE '\')`, businessID, like, like, like, user, like)
		if num, err := strconv.ParseInt(qs, 10, 64); err == nil {
			q = q.Where("orders.number = ? OR orders.customer_id IN (?)", num, sub)
		} else {
			q = q.Where("orders.customer_id IN (?)", sub)
		}
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count orders of business %d: %w", businessID, err)
	}
	if f.Page < 1 {
		f.Page = 1
	}
	var orders []models.Order
	if err := q.Order("orders.id DESC").Offset((f.Page - 1) * f.PageSize).Limit(f.PageSize).Find(&orders).Error; err != nil {
		return nil, 0, fmt.Errorf("list orders of business %d: %w", businessID, err)
	}
	if err := s.fillOrders(ctx, businessID, orders); err != nil {
		return nil, 0, err
	}
	return orders, total, nil
}

// fillOrders loads the items and customers of orders, in place, in two queries: every list of orders with items and
// customers goes through it.
func (s *Store) fillOrders(ctx context.Context, businessID int64, orders []models.Order) error {
	if len(orders) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(orders))
	custIDs := make([]int64, 0, len(orders))
	for _, o := range orders {
		ids = append(ids, o.ID)
		custIDs = append(custIDs, o.CustomerID)
	}
	var items []models.OrderItem
	if err := s.db.WithContext(ctx).Where("business_id = ? AND order_id IN ?", businessID, ids).Order("id").Find(&items).Error; err != nil {
		return fmt.Errorf("load order items: %w", err)
	}
	var custs []models.Customer
	if err := s.db.WithContext(ctx).Where("business_id = ? AND id IN ?", businessID, custIDs).Find(&custs).Error; err != nil {
		return fmt.Errorf("load order customers: %w", err)
	}
	byOrder := map[int64][]models.OrderItem{}
	for _, it := range items {
		byOrder[it.OrderID] = append(byOrder[it.OrderID], it)
	}
	byID := map[int64]*models.Customer{}
	for i := range custs {
		byID[custs[i].ID] = &custs[i]
	}
	for i := range orders {
		orders[i].Items = byOrder[orders[i].ID]
		orders[i].Customer = byID[orders[i].CustomerID]
	}
	return nil
}

// StatusChange is one change of an order's status and what it carries.
type StatusChange struct {
	To    models.OrderStatus
	Actor string
	// From, when set, makes the change happen only from that status (a customer cancels only a pending order).
	From    models.OrderStatus
	Reason  string     // a cancel reason for the customer
	ReadyAt *time.Time // when the order should be ready (set on accepting)
}

// UpdateOrderStatus moves an order to status to, if its lifecycle allows, and records who did it. It returns the
// order as it was before. A forbidden transition, or a change someone else made first, is models.ErrInvalidTransition.
func (s *Store) UpdateOrderStatus(ctx context.Context, businessID, id int64, to models.OrderStatus, actor string) (models.Order, error) {
	return s.ChangeOrderStatus(ctx, businessID, id, StatusChange{To: to, Actor: actor})
}

// ChangeOrderStatus is UpdateOrderStatus with what the change carries (see StatusChange).
func (s *Store) ChangeOrderStatus(ctx context.Context, businessID, id int64, c StatusChange) (models.Order, error) {
	var before models.Order
	err := s.Tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		if err := db.Where("business_id = ? AND id = ?", businessID, id).First(&before).Error; err != nil {
			return fmt.Errorf("load order %d: %w", id, notFound(err))
		}
		if c.From != "" && before.Status != c.From {
			return fmt.Errorf("order %d: %w", id, models.ErrInvalidTransition.With(fmt.Sprintf("it is %s, not %s", before.Status, c.From)))
		}
		if err := before.Status.CanMoveTo(c.To); err != nil {
			return fmt.Errorf("order %d: %w", id, models.ErrInvalidTransition.With(err.Error()))
		}
		t := now()
		set := map[string]any{"status": c.To, "updated_at": t}
		if c.Reason != "" {
			set["cancel_reason"] = c.Reason
		}
		if c.ReadyAt != nil {
			set["ready_at"] = c.ReadyAt.UTC()
		}
		res := db.Model(&models.Order{}).Where("business_id = ? AND id = ? AND status = ?", businessID, id, before.Status).Updates(set)
		if res.Error != nil {
			return fmt.Errorf("update order %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("order %d changed meanwhile: %w", id, models.ErrInvalidTransition)
		}
		ev := models.OrderEvent{OrderID: id, BusinessID: businessID, FromStatus: before.Status, ToStatus: c.To, Actor: c.Actor, CreatedAt: t}
		if err := db.Create(&ev).Error; err != nil {
			return fmt.Errorf("record event of order %d: %w", id, err)
		}
		return nil
	})
	return before, err
}

// OrderMove is one order's move to a status, with whose order it is: what a live inbox shows in that thread.
type OrderMove struct {
	EventID    int64
	OrderID    int64
	Number     int64
	CustomerID int64
	Status     models.OrderStatus
	At         time.Time
}

// OrderMovesSince lists the business's order status changes (placing an order included) at or after since,
// oldest first.
func (s *Store) OrderMovesSince(ctx context.Context, businessID int64, since time.Time, limit int) ([]OrderMove, error) {
	var out []OrderMove
	err := s.db.WithContext(ctx).Raw(`SELECT e.id AS event_id, e.order_id, o.number, o.customer_id, e.to_status AS status,
		e.created_at AS at FROM order_events e JOIN orders o ON o.id = e.order_id
		WHERE e.business_id = ? AND e.created_at >= ? ORDER BY e.created_at, e.id LIMIT ?`, businessID, since.UTC(), limit).
		Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list order moves of business %d: %w", businessID, err)
	}
	return out, nil
}

// OrderEvents lists an order's status history, oldest first.
func (s *Store) OrderEvents(ctx context.Context, businessID, orderID int64) ([]models.OrderEvent, error) {
	var out []models.OrderEvent
	if err := s.db.WithContext(ctx).Where("business_id = ? AND order_id = ?", businessID, orderID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list events of order %d: %w", orderID, err)
	}
	return out, nil
}

// Stats summarises a business's orders since a moment. Cancelled orders count in ByStatus but not in revenue.
type Stats struct {
	Orders         int64                        `json:"orders"`
	RevenueMinor   int64                        `json:"revenue"`
	AvgBasketMinor int64                        `json:"average_basket"`
	ByStatus       map[models.OrderStatus]int64 `json:"by_status"`
	Daily          []models.DayStat             `json:"daily"`
}

// OrderStats computes Stats over orders created at or after since, in daily buckets of since's time zone (pass
// midnight in the business's zone: its days, not UTC's, even across a DST change).
func (s *Store) OrderStats(ctx context.Context, businessID int64, since time.Time) (Stats, error) {
	st := Stats{ByStatus: map[models.OrderStatus]int64{}}
	var rows []struct {
		Status     models.OrderStatus
		TotalMinor int64
		CreatedAt  time.Time
	}
	err := s.db.WithContext(ctx).Model(&models.Order{}).Select("status, total_minor, created_at").
		Where("business_id = ? AND created_at >= ?", businessID, since.UTC()).Find(&rows).Error
	if err != nil {
		return st, fmt.Errorf("order stats of business %d: %w", businessID, err)
	}
	loc := since.Location()
	days := map[string]*models.DayStat{}
	start := time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, loc)
	for d := start; !d.After(now()); d = d.AddDate(0, 0, 1) {
		key := d.Format("2006-01-02")
		days[key] = &models.DayStat{Day: key}
		st.Daily = append(st.Daily, models.DayStat{Day: key})
	}
	for _, r := range rows {
		st.ByStatus[r.Status]++
		if r.Status == models.StatusCancelled {
			continue
		}
		st.Orders++
		st.RevenueMinor += r.TotalMinor
		if d := days[r.CreatedAt.In(loc).Format("2006-01-02")]; d != nil {
			d.Orders++
			d.RevenueMinor += r.TotalMinor
		}
	}
	for i := range st.Daily {
		st.Daily[i] = *days[st.Daily[i].Day]
	}
	if st.Orders > 0 {
		st.AvgBasketMinor = st.RevenueMinor / st.Orders
	}
	return st, nil
}
