package api

import (
	"time"

	"github.com/waorder/waorder/models"
)

// apiOrder is an order as the API shows it.
type apiOrder struct {
	ID          int64        `json:"id"`
	Number      int64        `json:"number"`
	Status      string       `json:"status"`
	Customer    apiCustomer  `json:"customer"`
	Items       []apiItem    `json:"items"`
	Total       int64        `json:"total"`
	Currency    string       `json:"currency"`
	Address     string       `json:"address"`
	Contact     string       `json:"contact_phone,omitempty"` // a delivery's number from a customer without a shared one
	Fulfillment string       `json:"fulfillment"`
	Note        string       `json:"note"`
	Source      string       `json:"source"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	Next        []string     `json:"next_statuses"`
	Location    *apiLocation `json:"location,omitempty"`
}

// apiCustomer names who ordered. wa_id is the phone-based WhatsApp id and is empty for a customer who uses a
// username and has not shared their number; user_id (the business-scoped user id) is then always set.
type apiCustomer struct {
	WaID     string `json:"wa_id"`
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

type apiItem struct {
	RetailerID string `json:"retailer_id"`
	Name       string `json:"name"`
	Quantity   int    `json:"quantity"`
	UnitPrice  int64  `json:"unit_price"`
	LineTotal  int64  `json:"line_total"`
}

type apiLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

func toAPIOrder(o models.Order) apiOrder {
	out := apiOrder{ID: o.ID, Number: o.Number, Status: string(o.Status), Total: o.TotalMinor, Currency: o.Currency,
		Address: o.Address, Contact: o.ContactPhone, Fulfillment: string(o.Fulfillment), Note: o.Note, Source: o.Source,
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(), Items: []apiItem{}, Next: []string{}}
	if o.Customer != nil {
		c := o.Customer
		out.Customer = apiCustomer{WaID: c.Phone, UserID: c.UserID, Username: c.Username, Name: c.Name}
		if c.Phone == "" && c.UserID == "" {
			out.Customer.WaID = c.WaID // a row known by its contact key alone
		}
	}
	for _, it := range o.Items {
		out.Items = append(out.Items, apiItem{RetailerID: it.RetailerID, Name: it.Name, Quantity: it.Quantity,
			UnitPrice: it.UnitPriceMinor, LineTotal: it.LineTotal()})
	}
	for _, s := range o.Status.Next() {
		out.Next = append(out.Next, string(s))
	}
	if o.Latitude != nil && o.Longitude != nil {
		out.Location = &apiLocation{*o.Latitude, *o.Longitude}
	}
	return out
}

// apiProduct is a product as the API shows it.
type apiProduct struct {
	ID          int64     `json:"id"`
	RetailerID  string    `json:"retailer_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Price       int64     `json:"price"`
	Currency    string    `json:"currency"`
	Category    string    `json:"category"`
	Available   bool      `json:"available"`
	Sort        int       `json:"sort"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toAPIProduct(p models.Product) apiProduct {
	return apiProduct{ID: p.ID, RetailerID: p.RetailerID, Name: p.Name, Description: p.Description, Price: p.PriceMinor,
		Currency: p.Currency, Category: p.Category, Available: p.Available, Sort: p.Sort, CreatedAt: p.CreatedAt.UTC(),
		UpdatedAt: p.UpdatedAt.UTC()}
}

// productInput is a POST or PATCH body; absent fields are nil (PATCH leaves them alone).
type productInput struct {
	ID          *int64  `json:"id"` // accepted and ignored, so a client may send back what it read
	RetailerID  *string `json:"retailer_id"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Price       *int64  `json:"price"`
	Currency    *string `json:"currency"`
	Category    *string `json:"category"`
	Available   *bool   `json:"available"`
	Sort        *int    `json:"sort"`
}

func (in productInput) apply(p *models.Product) {
	if in.RetailerID != nil {
		p.RetailerID = *in.RetailerID
	}
	if in.Name != nil {
		p.Name = *in.Name
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.Price != nil {
		p.PriceMinor = *in.Price
	}
	if in.Currency != nil {
		p.Currency = *in.Currency
	}
	if in.Category != nil {
		p.Category = *in.Category
	}
	if in.Available != nil {
		p.Available = *in.Available
	}
	if in.Sort != nil {
		p.Sort = *in.Sort
	}
}
