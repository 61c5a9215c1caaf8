package repository

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/waorder/waorder/models"
	"gorm.io/gorm"
)

// DumpFormat and DumpVersion identify a business export; an import takes versions 1 (before media) to DumpVersion
// and refuses anything else.
const (
	DumpFormat  = "waorder-business"
	DumpVersion = 2
)

// BusinessDump is one business and what belongs to it, for moving it to another deployment: settings, numbers
// (with their access tokens still encrypted), customers, catalog, templates, conversations, orders with their items
// and history, the messages both ways with the records of customers' files (the files themselves travel beside the
// dump: FileKeys), merchants' logins and API tokens (as hashes). Left out on purpose: delivery
// statuses and raw webhook events (logs retention deletes anyway), sessions (merchants log in again), open invites,
// password-reset links and unfinished connection attempts (short-lived).
type BusinessDump struct {
	Format        string                   `json:"format"`
	Version       int                      `json:"version"`
	ExportedAt    time.Time                `json:"exported_at"`
	Business      models.Business          `json:"business"`
	PhoneNumbers  []models.PhoneNumber     `json:"phone_numbers"`
	Customers     []models.Customer        `json:"customers"`
	Products      []models.Product         `json:"products"`
	Templates     []models.MessageTemplate `json:"message_templates"`
	Conversations []models.Conversation    `json:"conversations"`
	Orders        []models.Order           `json:"orders"`
	OrderItems    []models.OrderItem       `json:"order_items"`
	OrderEvents   []models.OrderEvent      `json:"order_events"`
	Inbound       []models.InboundMessage  `json:"inbound_messages"`
	Outbound      []models.OutboundMessage `json:"outbound_messages"`
	Media         []models.InboundMedia    `json:"inbound_media"`
	Users         []models.User            `json:"users"`
	APITokens     []models.APIToken        `json:"api_tokens"`
}

// ExportBusiness reads one business in a single read-only transaction, so the dump is one consistent moment even
// while the service keeps writing (repeatable read on PostgreSQL; SQLite's transactions are snapshots).
func (s *Store) ExportBusiness(ctx context.Context, businessID int64) (BusinessDump, error) {
	d := BusinessDump{Format: DumpFormat, Version: DumpVersion, ExportedAt: now()}
	opts := &sql.TxOptions{ReadOnly: true}
	if s.postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&d.Business, businessID).Error; err != nil {
			return fmt.Errorf("business %d: %w", businessID, notFound(err))
		}
		for _, t := range []struct {
			what string
			dst  any
		}{
			{"phone numbers", &d.PhoneNumbers}, {"customers", &d.Customers}, {"products", &d.Products},
			{"message templates", &d.Templates}, {"conversations", &d.Conversations}, {"orders", &d.Orders},
			{"order items", &d.OrderItems}, {"order events", &d.OrderEvents}, {"inbound messages", &d.Inbound},
			{"outbound messages", &d.Outbound}, {"media", &d.Media}, {"users", &d.Users}, {"api tokens", &d.APITokens},
		} {
			if err := tx.Where("business_id = ?", businessID).Order("id").Find(t.dst).Error; err != nil {
				return fmt.Errorf("read %s: %w", t.what, err)
			}
		}
		return nil
	}, opts)
	if err != nil {
		return BusinessDump{}, fmt.Errorf("export business: %w", err)
	}
	return d, nil
}

// ImportBusiness writes a dump as a new business in one transaction and returns its id: every row gets a new id
// and every reference is remapped, so the dump can come from any deployment. reseal turns each stored access token
// into one this deployment can open. Nothing is written if any row conflicts (a phone number or login email that
// already exists here).
func (s *Store) ImportBusiness(ctx context.Context, d BusinessDump, reseal func(string) (string, error)) (int64, error) {
	if d.Format != DumpFormat || d.Version < 1 || d.Version > DumpVersion {
		return 0, fmt.Errorf("import business: not a %s dump of version 1 to %d (format %q, version %d)", DumpFormat, DumpVersion, d.Format, d.Version)
	}
	var bizID int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		im := importer{tx: tx, ids: map[string]map[int64]int64{}}
		b := d.Business
		b.ID = 0
		if err := tx.Create(&b).Error; err != nil {
			return fmt.Errorf("business: %w", err)
		}
		bizID = b.ID
		for _, p := range d.PhoneNumbers {
			enc, err := reseal(p.AccessTokenEnc)
			if err != nil {
				return fmt.Errorf("access token of phone number %s: %w", p.MetaPhoneID, err)
			}
			old := p.ID
			p.ID, p.BusinessID, p.AccessTokenEnc = 0, bizID, enc
			if err := im.create("phone", old, &p, &p.ID, "phone number "+p.MetaPhoneID); err != nil {
				return err
			}
		}
		for _, c := range d.Customers {
			old := c.ID
			c.ID, c.BusinessID = 0, bizID
			if err := im.create("customer", old, &c, &c.ID, "customer "+c.WaID); err != nil {
				return err
			}
		}
		for _, p := range d.Products {
			old := p.ID
			p.ID, p.BusinessID = 0, bizID
			if err := im.create("product", old, &p, &p.ID, "product "+p.RetailerID); err != nil {
				return err
			}
		}
		for _, t := range d.Templates {
			t.ID, t.BusinessID = 0, bizID
			if err := im.create("", 0, &t, &t.ID, "template "+t.Name); err != nil {
				return err
			}
		}
		for _, c := range d.Conversations {
			c.ID, c.BusinessID, c.CustomerID = 0, bizID, im.id("customer", c.CustomerID)
			c.Data = im.remapCart(c.Data)
			if err := im.create("", 0, &c, &c.ID, "conversation"); err != nil {
				return err
			}
		}
		for _, o := range d.Orders {
			old := o.ID
			o.ID, o.BusinessID, o.CustomerID, o.Customer, o.Items = 0, bizID, im.id("customer", o.CustomerID), nil, nil
			if err := im.create("order", old, &o, &o.ID, fmt.Sprintf("order #%d", o.Number)); err != nil {
				return err
			}
		}
		for _, it := range d.OrderItems {
			it.ID, it.BusinessID, it.OrderID = 0, bizID, im.id("order", it.OrderID)
			if it.ProductID != nil {
				if id, ok := im.ids["product"][*it.ProductID]; ok {
					it.ProductID = &id
				} else {
					it.ProductID = nil // the product was deleted before the export; the line keeps its name and price
				}
			}
			if err := im.create("", 0, &it, &it.ID, "order item"); err != nil {
				return err
			}
		}
		for _, e := range d.OrderEvents {
			e.ID, e.BusinessID, e.OrderID = 0, bizID, im.id("order", e.OrderID)
			if err := im.create("", 0, &e, &e.ID, "order event"); err != nil {
				return err
			}
		}
		for _, m := range d.Inbound {
			old := m.ID
			m.ID, m.BusinessID, m.PhoneNumberID, m.CustomerID, m.ClaimUntil = 0, bizID, im.id("phone", m.PhoneNumberID), im.id("customer", m.CustomerID), nil
			if err := im.create("inbound", old, &m, &m.ID, "inbound message "+m.Wamid); err != nil {
				return err
			}
		}
		for _, m := range d.Outbound {
			m.ID, m.BusinessID, m.PhoneNumberID, m.CustomerID = 0, bizID, im.id("phone", m.PhoneNumberID), im.id("customer", m.CustomerID)
			m.ClaimUntil, m.ClaimedBy = nil, ""
			if err := im.create("", 0, &m, &m.ID, "outbound message "+m.IdempotencyKey); err != nil {
				return err
			}
		}
		for _, m := range d.Media {
			m.ID, m.BusinessID, m.ClaimUntil = 0, bizID, nil
			m.InboundMessageID, m.PhoneNumberID = im.id("inbound", m.InboundMessageID), im.id("phone", m.PhoneNumberID)
			if err := im.create("", 0, &m, &m.ID, "media of message "+m.MediaID); err != nil {
				return err
			}
		}
		for _, u := range d.Users {
			u.ID, u.BusinessID = 0, bizID
			if err := im.create("", 0, &u, &u.ID, "user "+u.Email); err != nil {
				return err
			}
		}
		for _, t := range d.APITokens {
			t.ID, t.BusinessID = 0, bizID
			if err := im.create("", 0, &t, &t.ID, "api token "+t.Prefix); err != nil {
				return err
			}
		}
		return im.missing
	})
	if err != nil {
		return 0, fmt.Errorf("import business: %w", err)
	}
	return bizID, nil
}

// FileKeys are the media store keys of the dump's files: customers' stored files and products' pictures, each once.
func (d BusinessDump) FileKeys() []string {
	var keys []string
	seen := map[string]bool{}
	add := func(k string) {
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, m := range d.Media {
		if m.Status == models.MediaStored {
			add(m.StorageKey)
		}
	}
	for _, p := range d.Products {
		add(p.ImageKey)
	}
	return keys
}

// importer inserts rows and remembers each entity's old id → new id.
type importer struct {
	tx      *gorm.DB
	ids     map[string]map[int64]int64
	missing error // the first reference to a row the dump does not hold
}

// create inserts row (its ID zeroed), and when kind is set records old → the new *id.
func (im *importer) create(kind string, old int64, row any, id *int64, what string) error {
	if im.missing != nil {
		return fmt.Errorf("%s: %w", what, im.missing)
	}
	if err := im.tx.Create(row).Error; err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if kind != "" {
		if im.ids[kind] == nil {
			im.ids[kind] = map[int64]int64{}
		}
		im.ids[kind][old] = *id
	}
	return nil
}

// id maps an old id of kind to its new id; a reference to a row the dump lacks makes the next create fail.
func (im *importer) id(kind string, old int64) int64 {
	if id, ok := im.ids[kind][old]; ok {
		return id
	}
	if im.missing == nil {
		im.missing = fmt.Errorf("the dump refers to %s %d, which it does not contain", kind, old)
	}
	return 0
}

// remapCart points the product ids of a bot conversation's cart (its JSON state's cart[].product_id) at the
// imported products; other state is kept as it is.
func (im *importer) remapCart(data string) string {
	var st map[string]json.RawMessage
	if json.Unmarshal([]byte(data), &st) != nil || st["cart"] == nil {
		return data
	}
	var cart []map[string]any
	if json.Unmarshal(st["cart"], &cart) != nil {
		return data
	}
	for _, line := range cart {
		if f, ok := line["product_id"].(float64); ok {
			line["product_id"] = im.ids["product"][int64(f)]
		}
	}
	b, err := json.Marshal(cart)
	if err != nil {
		return data
	}
	st["cart"] = b
	out, err := json.Marshal(st)
	if err != nil {
		return data
	}
	return string(out)
}
