package models

import "time"

// Fulfillment says how a business hands over orders.
type Fulfillment string

// The ways a business hands over orders.
const (
	FulfillDelivery Fulfillment = "delivery"
	FulfillPickup   Fulfillment = "pickup"
	FulfillBoth     Fulfillment = "both"
)

// Business is one tenant: a restaurant or shop with its settings.
type Business struct {
	ID               int64
	Name             string
	Currency         string
	Timezone         string
	OpeningHours     string // JSON: {"mon":[["09:00","22:00"]],...}; empty = always open
	Greeting         string
	Fulfillment      Fulfillment
	MinOrderMinor    int64
	WindowTemplate   string // template sent outside the 24-hour window
	TemplateLanguage string
	TemplateParams   string // comma-separated sources of the window template's body variables, in order (TemplateParamSources)
	CatalogID        string
	// DeliveryFeeMinor is charged on each delivery; from FreeDeliveryOverMinor (when above zero) on, it is free.
	DeliveryFeeMinor      int64
	FreeDeliveryOverMinor int64
	Language              string // the bot's and the dashboard's language: en, es or pt
	OrderSeq              int64
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// Location is the business's time zone (UTC when unset or unknown).
func (b Business) Location() *time.Location {
	if loc, err := time.LoadLocation(b.Timezone); err == nil && b.Timezone != "" {
		return loc
	}
	return time.UTC
}

// PhoneNumberStatus is the connection state of a WhatsApp number.
type PhoneNumberStatus string

// Connection states of a phone number.
const (
	PhoneConnected    PhoneNumberStatus = "connected"
	PhoneTokenExpired PhoneNumberStatus = "token_expired"
	PhoneDisconnected PhoneNumberStatus = "disconnected"
	// PhoneRestricted: Meta restricted, flagged or banned the number or its account; sending waits until lifted.
	PhoneRestricted PhoneNumberStatus = "restricted"
)

// PhoneNumber is a business's WhatsApp number on the Cloud API. AccessTokenEnc is AES-256-GCM ciphertext, never the
// token itself.
type PhoneNumber struct {
	ID                 int64
	BusinessID         int64
	PhoneNumberID      string // Meta's phone_number_id
	WABAID             string
	DisplayPhoneNumber string
	AccessTokenEnc     string
	Status             PhoneNumberStatus
	StatusReason       string
	SendRatePerSec     int
	VerifiedName       string     // the display name Meta approved
	QualityRating      string     // GREEN, YELLOW, RED, UNKNOWN
	MessagingLimit     string     // TIER_250, TIER_1K, ..., TIER_UNLIMITED
	HealthNote         string     // the latest account or quality event worth telling the merchant, with what to do
	TokenExpiresAt     *time.Time // nil: the token never expires (or was not checked yet)
	TokenCheckedAt     *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Customer is a WhatsApp user who wrote to a business. WaID is the phone-based wa_id or, for users known only by
// their business-scoped user id (BSUID), that id.
type Customer struct {
	ID            int64
	BusinessID    int64
	WaID          string
	UserID        string
	Name          string
	LastInboundAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// WindowOpen reports whether the 24-hour customer-service window is open at now.
func (c Customer) WindowOpen(now time.Time) bool {
	return c.LastInboundAt != nil && now.Sub(*c.LastInboundAt) < 24*time.Hour
}
