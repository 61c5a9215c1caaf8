package models

import (
	"fmt"
	"time"
)

// OrderStatus is where an order stands.
type OrderStatus string

// Order statuses. Cancelled is reachable from any state before delivered.
const (
	StatusPending        OrderStatus = "pending"
	StatusConfirmed      OrderStatus = "confirmed"
	StatusPreparing      OrderStatus = "preparing"
	StatusReady          OrderStatus = "ready"
	StatusOutForDelivery OrderStatus = "out_for_delivery"
	StatusDelivered      OrderStatus = "delivered"
	StatusCancelled      OrderStatus = "cancelled"
)

// OrderStatuses lists every status in lifecycle order.
var OrderStatuses = []OrderStatus{StatusPending, StatusConfirmed, StatusPreparing, StatusReady, StatusOutForDelivery, StatusDelivered, StatusCancelled}

// Valid reports whether s is a known status.
func (s OrderStatus) Valid() bool {
	for _, v := range OrderStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Final reports whether no further change is allowed.
func (s OrderStatus) Final() bool { return s == StatusDelivered || s == StatusCancelled }

// Next lists the statuses an order may move to from s: the next step forward, and cancelled before delivered.
func (s OrderStatus) Next() []OrderStatus {
	if s.Final() || !s.Valid() {
		return nil
	}
	var out []OrderStatus
	for i, v := range OrderStatuses[:len(OrderStatuses)-2] {
		if v == s {
			out = append(out, OrderStatuses[i+1])
		}
	}
	return append(out, StatusCancelled)
}

// CanMoveTo reports whether s → next is a permitted transition. Skipping steps forward is allowed (a pickup order
// goes from ready to delivered), going back is not.
func (s OrderStatus) CanMoveTo(next OrderStatus) error {
	if !next.Valid() {
		return fmt.Errorf("unknown status %q", next)
	}
	if s.Final() {
		return fmt.Errorf("order is already %s", s)
	}
	if next == StatusCancelled {
		return nil
	}
	if rank(next) <= rank(s) {
		return fmt.Errorf("cannot move an order from %s back to %s", s, next)
	}
	return nil
}

func rank(s OrderStatus) int {
	for i, v := range OrderStatuses {
		if v == s {
			return i
		}
	}
	return -1
}

// Order is what a customer ordered. Money is integer minor units of Currency.
type Order struct {
	ID          int64
	BusinessID  int64
	Number      int64 // per business, from 1
	CustomerID  int64
	Customer    *Customer `gorm:"-"`
	Status      OrderStatus
	TotalMinor  int64
	Currency    string
	Fulfillment Fulfillment
	Address     string
	// ContactPhone is the number a customer without a known phone gave for the delivery.
	ContactPhone string
	Latitude     *float64
	Longitude    *float64
	Note         string
	// DeliveryFeeMinor is part of TotalMinor; ReadyAt is when the merchant expects it ready (set on accepting);
	// CancelReason is what the merchant told the customer when cancelling.
	DeliveryFeeMinor int64
	ReadyAt          *time.Time
	CancelReason     string
	Source           string      // chat | catalog | api
	SourceKey        string      // the wamid (or key) that created it; unique, so a redelivery creates nothing
	Items            []OrderItem `gorm:"-"`
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// OrderItem is one line of an order, with the price at the time of ordering.
type OrderItem struct {
	ID             int64
	OrderID        int64
	BusinessID     int64
	ProductID      *int64
	RetailerID     string
	Name           string
	Quantity       int
	UnitPriceMinor int64
}

// LineTotal is quantity × unit price.
func (i OrderItem) LineTotal() int64 { return int64(i.Quantity) * i.UnitPriceMinor }

// ItemsTotal sums the lines.
func ItemsTotal(items []OrderItem) int64 {
	var t int64
	for _, i := range items {
		t += i.LineTotal()
	}
	return t
}

// OrderEvent records one status change: who made it and when.
type OrderEvent struct {
	ID         int64
	OrderID    int64
	BusinessID int64
	FromStatus OrderStatus
	ToStatus   OrderStatus
	Actor      string
	CreatedAt  time.Time
}

// Product is a catalog item. RetailerID matches Meta's product_retailer_id.
type Product struct {
	ID          int64
	BusinessID  int64
	RetailerID  string
	Name        string
	Description string
	PriceMinor  int64
	Currency    string
	Category    string
	Available   bool
	Sort        int
	// ImageKey is where the product's picture is kept in the media store ("" for none), ImageType its type.
	ImageKey  string
	ImageType string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Conversation is the ordering bot's state for one customer of one business. Data is the bot's JSON state (cart,
// pending item, address); Version guards against two workers advancing it at once.
type Conversation struct {
	ID            int64
	BusinessID    int64
	CustomerID    int64
	State         string
	Data          string
	Version       int64
	LastMessageAt time.Time
	UpdatedAt     time.Time
	// TakenOverAt is set while a person answers this customer (the bot stays quiet); TakenOverBy is that user.
	TakenOverAt *time.Time
	TakenOverBy *int64
	NeedsHuman  string     // why the thread waits for a person (one of the Needs* codes); empty = not
	ReadAt      *time.Time // the merchant read the thread up to here
	Language    string     // the language the customer's greeting picked; empty = the business's
}

// Why a thread waits for a person (Conversation.NeedsHuman): a code, which the dashboard words in the merchant's
// language.
const (
	NeedsAsked         = "asked"          // the customer asked for a person
	NeedsBotFailed     = "bot_failed"     // the bot gave up on one of the customer's messages
	NeedsNotUnderstood = "not_understood" // the bot did not understand the customer several times in a row
)

// DeliveryFee is what a delivery of an order worth itemsMinor costs: the flat fee, or nothing from freeOverMinor
// (when above zero) on.
func DeliveryFee(feeMinor, freeOverMinor, itemsMinor int64) int64 {
	if feeMinor <= 0 || freeOverMinor > 0 && itemsMinor >= freeOverMinor {
		return 0
	}
	return feeMinor
}

// OrderFilter selects a page of orders.
type OrderFilter struct {
	Status     OrderStatus // empty: all
	Query      string      // order number, or part of the customer's name, phone, username or BSUID
	CustomerID int64       // 0: all
	Page       int         // from 1
	PageSize   int         // the caller's choice (merchant.PageSizes for people); 0 is refused, never a default
}

// DayStat is one day of an order statistics period, a calendar day in the time zone of the period's start.
type DayStat struct {
	Day          string `json:"day"`
	Orders       int64  `json:"orders"`
	RevenueMinor int64  `json:"revenue"`
}
