package repository

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
)

// A customer is one row per person and business, whichever identifier a webhook carries: the phone-based wa_id,
// the business-scoped user id (BSUID), or both. The partial unique indexes customers_phone and customers_user_id
// hold that rule in the database; this file finds rows by either identifier, completes them when the other
// appears, and merges rows that turn out to be one person.

// identity is what one webhook said about a customer: its phone and/or BSUID and profile.
type identity struct {
	models.Customer
	order int // position in the batch: among equally recent statements, the later one wins
}

// idKey names one identifier of one business: "p:<phone>" or "u:<bsuid>".
type idKey struct {
	biz int64
	id  string
}

func phoneKey(biz int64, phone string) idKey { return idKey{biz, "p:" + phone} }
func userKey(biz int64, userID string) idKey { return idKey{biz, "u:" + userID} }

// customerIDs maps every identifier the batch named to the id of the customer it belongs to now.
type customerIDs map[idKey]int64

// of finds the customer of a message whose sender was named by key (the phone, else the BSUID).
func (m customerIDs) of(biz int64, key string) (int64, bool) {
	if id, ok := m[phoneKey(biz, key)]; ok {
		return id, true
	}
	id, ok := m[userKey(biz, key)]
	return id, ok
}

// isUserID reports whether id has the shape of a business-scoped user id ("CC.digits", with "ENT." for a parent
// id), as opposed to a phone-based wa_id, which is digits only.
func isUserID(id string) bool { return strings.Contains(id, ".") }

// normalize fills Phone and UserID from WaID for callers that name a customer by one id only.
func normalize(c models.Customer) models.Customer {
	if c.Phone == "" && c.UserID == "" && c.WaID != "" {
		if isUserID(c.WaID) {
			c.UserID = c.WaID
		} else {
			c.Phone = c.WaID
		}
	}
	c.Phone = strings.TrimPrefix(c.Phone, "+")
	c.Username = strings.TrimPrefix(c.Username, "@")
	return c
}

// group is one person in the batch: every identity and stored row linked by a shared phone or BSUID.
type group struct {
	biz    int64
	ids    []identity
	rows   []models.Customer
	idKeys []idKey
}

// upsertCustomers finds or creates the customer of every identity in ds, merging stored rows that the batch shows to
// be one person, and returns where each identifier now belongs.
func (s *Store) upsertCustomers(ctx context.Context, ds []Delivery) (customerIDs, error) {
	var ids []identity
	for _, d := range ds {
		for _, c := range d.Customers {
			c = normalize(c)
			if c.Phone == "" && c.UserID == "" {
				continue
			}
			ids = append(ids, identity{Customer: c, order: len(ids)})
		}
	}
	out := customerIDs{}
	if len(ids) == 0 {
		return out, nil
	}
	keys := map[idKey]bool{}
	for _, c := range ids {
		for _, k := range identifiers(c.Customer) {
			keys[k] = true
		}
	}
	if err := s.lockIdentifiers(ctx, keys); err != nil {
		return nil, err
	}
	rows, err := s.customersByIdentifiers(ctx, keys)
	if err != nil {
		return nil, err
	}
	// Each group becomes one row. New people are inserted, and known ones updated, in one statement per chunk
	// rather than one per customer: this runs inside the webhook commit, which every delivery of the batch waits for.
	var fresh, changed []models.Customer
	var freshGroups []*group
	for _, g := range link(ids, rows) {
		c := g.settled()
		switch {
		case len(g.rows) == 0:
			fresh, freshGroups = append(fresh, c), append(freshGroups, g)
			continue
		case len(g.rows) > 1:
			victims := make([]int64, 0, len(g.rows)-1)
			for _, v := range g.rows[1:] {
				victims = append(victims, v.ID)
			}
			if err := s.mergeCustomers(ctx, g.biz, c.ID, victims); err != nil {
				return nil, err
			}
		}
		if customerChanged(g.rows[0], c) {
			changed = append(changed, c)
		}
		for _, k := range g.idKeys {
			out[k] = c.ID
		}
	}
	if err := s.updateCustomers(ctx, changed); err != nil {
		return nil, err
	}
	created, err := s.insertCustomers(ctx, fresh)
	if err != nil {
		return nil, err
	}
	for i, g := range freshGroups {
		for _, k := range g.idKeys {
			out[k] = created[i]
		}
	}
	return out, nil
}

// identifiers are the ids c is known by, in its business.
func identifiers(c models.Customer) []idKey {
	c = normalize(c)
	var out []idKey
	if c.Phone != "" {
		out = append(out, phoneKey(c.BusinessID, c.Phone))
	}
	if c.UserID != "" {
		out = append(out, userKey(c.BusinessID, c.UserID))
	}
	return out
}

// lockIdentifiers serialises, on PostgreSQL, transactions that name the same phone or BSUID of a business, so two
// concurrent webhooks of one new customer cannot both decide to create it (the unique indexes would refuse the
// second, failing its whole batch). Locks are taken in one global order, so they cannot deadlock each other. On
// SQLite every write transaction is already serial.
func (s *Store) lockIdentifiers(ctx context.Context, keys map[idKey]bool) error {
	if !s.postgres {
		return nil
	}
	locks := make([]int64, 0, len(keys))
	for k := range keys {
		h := fnv.New64a()
		fmt.Fprintf(h, "customer|%d|%s", k.biz, k.id)
		locks = append(locks, int64(h.Sum64()))
	}
	sort.Slice(locks, func(i, j int) bool { return locks[i] < locks[j] })
	var sb strings.Builder
	for i, l := range locks {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, "(%d)", l) // our own integers, not input
	}
	q := "SELECT pg_advisory_xact_lock(k) FROM (SELECT k FROM (VALUES " + sb.String() + ") v(k) ORDER BY k) s"
	if err := s.db.WithContext(ctx).Exec(q).Error; err != nil {
		return fmt.Errorf("lock %d customer identifiers: %w", len(locks), err)
	}
	return nil
}

// customersByIdentifiers loads (and on PostgreSQL locks) the stored customers that have any of the identifiers.
func (s *Store) customersByIdentifiers(ctx context.Context, keys map[idKey]bool) ([]models.Customer, error) {
	bizSet := map[int64]bool{}
	phones, users := []string{""}, []string{""} // never empty ("IN ()" is not SQL); "" matches no row
	for k := range keys {
		bizSet[k.biz] = true
		if v, ok := strings.CutPrefix(k.id, "p:"); ok {
			phones = append(phones, v)
		} else {
			users = append(users, strings.TrimPrefix(k.id, "u:"))
		}
	}
	biz := make([]int64, 0, len(bizSet))
	for b := range bizSet {
		biz = append(biz, b)
	}
	lock := ""
	if s.postgres {
		lock = " FOR NO KEY UPDATE"
	}
	var rows []models.Customer
	// wa_id too: a row written with its contact key alone (phone and user_id empty) is still that person.
	keyIDs := append(append([]string{}, phones...), users[1:]...)
	err := s.db.WithContext(ctx).Raw(`SELECT * FROM customers WHERE business_id IN ?
		AND ((phone <> '' AND phone IN ?) OR (user_id <> '' AND user_id IN ?) OR wa_id IN ?) ORDER BY id`+lock,
		biz, phones, users, keyIDs).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find customers by phone or user id: %w", err)
	}
	// A row matches only identifiers of its own business.
	kept := rows[:0]
	for _, r := range rows {
		for _, k := range identifiers(r) {
			if keys[k] {
				kept = append(kept, r)
				break
			}
		}
	}
	return kept, nil
}

// link groups identities and stored rows that share an identifier (union-find over identifiers): each group is
// one person.
func link(ids []identity, rows []models.Customer) []*group {
	parent := map[idKey]idKey{}
	var find func(k idKey) idKey
	find = func(k idKey) idKey {
		p, ok := parent[k]
		if !ok || p == k {
			parent[k] = k
			return k
		}
		r := find(p)
		parent[k] = r
		return r
	}
	union := func(ks []idKey) {
		for _, k := range ks[min(1, len(ks)):] {
			a, b := find(ks[0]), find(k)
			if a != b {
				parent[b] = a
			}
		}
	}
	for _, c := range ids {
		union(identifiers(c.Customer))
	}
	for _, r := range rows {
		union(identifiers(r))
	}
	groups := map[idKey]*group{}
	var order []*group
	get := func(k idKey) *group {
		root := find(k)
		g, ok := groups[root]
		if !ok {
			g = &group{biz: k.biz}
			groups[root] = g
			order = append(order, g)
		}
		return g
	}
	for _, c := range ids {
		g := get(identifiers(c.Customer)[0])
		g.ids = append(g.ids, c)
	}
	for _, r := range rows {
		if ks := identifiers(r); len(ks) > 0 {
			g := get(ks[0])
			g.rows = append(g.rows, r)
		}
	}
	for k := range parent {
		groups[find(k)].idKeys = append(groups[find(k)].idKeys, k)
	}
	// A fixed order keeps concurrent batches from taking row locks in opposite orders.
	sort.Slice(order, func(i, j int) bool { return lessKey(order[i].idKeys, order[j].idKeys) })
	return order
}

func lessKey(a, b []idKey) bool {
	minOf := func(ks []idKey) idKey {
		m := ks[0]
		for _, k := range ks[1:] {
			if k.biz < m.biz || k.biz == m.biz && k.id < m.id {
				m = k
			}
		}
		return m
	}
	x, y := minOf(a), minOf(b)
	return x.biz < y.biz || x.biz == y.biz && x.id < y.id
}

// settled is the group as one row: the oldest stored row survives and absorbs the others, and takes what the
// webhooks said (the newest statement of each field wins; a field a webhook left out keeps its stored value). A
// group with no stored row is a new customer (ID 0).
func (g *group) settled() models.Customer {
	sort.SliceStable(g.ids, func(i, j int) bool {
		a, b := g.ids[i], g.ids[j]
		if at, bt := inboundAt(a.Customer), inboundAt(b.Customer); !at.Equal(bt) {
			return at.Before(bt)
		}
		return a.order < b.order
	})
	c := models.Customer{BusinessID: g.biz}
	if len(g.rows) > 0 {
		c = normalize(g.rows[0])
		for _, v := range g.rows[1:] {
			v = normalize(v)
			c.Phone, c.UserID = firstSet(c.Phone, v.Phone), firstSet(c.UserID, v.UserID)
			c.ParentUserID, c.Username = firstSet(c.ParentUserID, v.ParentUserID), firstSet(c.Username, v.Username)
			c.Name, c.LastInboundAt = firstSet(c.Name, v.Name), later(c.LastInboundAt, v.LastInboundAt)
		}
	}
	for _, in := range g.ids { // oldest first, so the newest statement is applied last
		c.Phone, c.UserID = firstSet(in.Phone, c.Phone), firstSet(in.UserID, c.UserID)
		c.ParentUserID, c.Username = firstSet(in.ParentUserID, c.ParentUserID), firstSet(in.Username, c.Username)
		c.Name, c.LastInboundAt = firstSet(in.Name, c.Name), later(c.LastInboundAt, in.LastInboundAt)
	}
	c.WaID = c.Recipient()
	return c
}

func inboundAt(c models.Customer) time.Time {
	if c.LastInboundAt == nil {
		return time.Time{}
	}
	return *c.LastInboundAt
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func later(a, b *time.Time) *time.Time {
	if a == nil || b != nil && b.After(*a) {
		return b
	}
	return a
}
