package models

import (
	"encoding/json"
	"strings"
	"time"
)

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
	// RequireContactPhone: a delivery order from a customer whose phone number is unknown (a username user) asks
	// for a number the courier can call.
	RequireContactPhone bool
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
	MetaPhoneID        string `gorm:"column:phone_number_id"` // Meta's phone_number_id (the column keeps Meta's name)
	WABAID             string
	DisplayPhoneNumber string
	AccessTokenEnc     string
	Status             PhoneNumberStatus
	StatusReason       string
	SendRatePerSec     int        // 0 on a new number means DefaultSendRatePerSec
	VerifiedName       string     // the display name Meta approved
	QualityRating      string     // GREEN, YELLOW, RED, UNKNOWN
	MessagingLimit     string     // TIER_250, TIER_1K, ..., TIER_UNLIMITED
	HealthNote         string     // the latest account or quality event worth telling the merchant, with what to do
	TokenExpiresAt     *time.Time // nil: the token never expires (or was not checked yet)
	TokenCheckedAt     *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// UnmarshalJSON reads a number from a business export. Exports made before Meta's id was named MetaPhoneID carry it
// as "PhoneNumberID" (a name other types use for our row id); either key is read, the new one winning.
func (p *PhoneNumber) UnmarshalJSON(data []byte) error {
	type plain PhoneNumber // without this method, so decoding it does not recurse
	var v struct {
		plain
		OldMetaPhoneID string `json:"PhoneNumberID"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*p = PhoneNumber(v.plain)
	if p.MetaPhoneID == "" {
		p.MetaPhoneID = v.OldMetaPhoneID
	}
	return nil
}

// Customer is a WhatsApp user who wrote to a business: one row per person and business, found by phone number or by
// business-scoped user id (BSUID), whichever a webhook carries, and completed when the other appears.
type Customer struct {
	ID         int64
	BusinessID int64
	// WaID is the row's contact key, unique per business and kept by the repository: Phone when known, else
	// UserID. It is also where messages go (see Recipient).
	WaID string
	// Phone is the phone-number-based wa_id; empty for users with a username who have not shared their number.
	Phone string
	// UserID is the business-scoped user id, e.g. "US.13491208655302741918"; ParentUserID the parent BSUID.
	UserID       string
	ParentUserID string
	Username     string // profile.username, when the user adopted one
	Name         string // profile.name
	// LastInboundAt opens the 24-hour window, whichever identifier the customer wrote with.
	LastInboundAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Recipient is where messages to the customer go: the phone number when known (Meta's recommendation), else the
// BSUID (else the contact key, for a row written with that alone).
func (c Customer) Recipient() string {
	switch {
	case c.Phone != "":
		return c.Phone
	case c.UserID != "":
		return c.UserID
	}
	return c.WaID
}

// Handle is how a merchant recognises the customer at a glance: "@username" when there is one, else the phone
// number, else the BSUID.
func (c Customer) Handle() string {
	if c.Username != "" {
		return "@" + strings.TrimPrefix(c.Username, "@")
	}
	if c.Phone != "" {
		return "+" + strings.TrimPrefix(c.Phone, "+")
	}
	return c.UserID
}

// WindowOpen reports whether the 24-hour customer-service window is open at now.
func (c Customer) WindowOpen(now time.Time) bool {
	return c.LastInboundAt != nil && now.Sub(*c.LastInboundAt) < 24*time.Hour
}

// DefaultSendRatePerSec is the messages per second a number sends when nothing else is configured: Meta's standard
// throughput for a Cloud API number. It is SEND_RATE_PER_SECOND's default and a new number's send_rate_per_sec (the
// first migration's column default says 80 too; applied migrations are never edited).
const DefaultSendRatePerSec = 80
