package whatsapp

import (
	"encoding/json"
	"strconv"
	"time"
)

// Notification is one webhook POST body from Meta: its object (normally "whatsapp_business_account") and the
// changes of all its entries, flattened in order.
type Notification struct {
	Object  string
	Changes []Change
	// Problems are reasons the envelope itself was not fully understood (no entry, an entry that is not an
	// object or has no changes, "changes" that is not an array, ...). Problems inside a change are in Change.Problems; AllProblems has both.
	Problems []string
}

// AllProblems returns the envelope's problems followed by those of every change, for logging or storing beside
// the raw body.
func (n *Notification) AllProblems() []string {
	out := append([]string(nil), n.Problems...)
	for i := range n.Changes {
		out = append(out, n.Changes[i].Problems...)
	}
	return out
}

// Change is one entry[].changes[] item: a webhook field ("messages", "account_update", "smb_message_echoes",
// "calls", "message_template_status_update", ...) and its value. The value is always kept raw; the parts this
// package knows are decoded beside it.
type Change struct {
	WABAID string // entry.id: the WhatsApp Business Account
	Field  string

	// value.metadata: the business phone number the change is about; route on MetaPhoneID (Meta's
	// phone_number_id).
	MetaPhoneID        string
	DisplayPhoneNumber string

	Contacts []Contact
	Messages []InboundMessage // value.messages: what customers sent
	Echoes   []InboundMessage // value.message_echoes: what the business sent from the WhatsApp Business app
	Statuses []Status
	Errors   []Error // value.errors

	Value json.RawMessage // the whole value as received (nil only when the change had none)

	// Problems lists everything in this change that could not be decoded, each message's and status's problem
	// included (prefixed with where it was). Nothing listed here was dropped: it is in Value and in the Raw of
	// the element concerned.
	Problems []string
}

// Contact is a value.contacts[] item: the profile of the customer a change is about.
type Contact struct {
	WaID         string // phone-number-based WhatsApp id; may be absent for users who adopted a username
	UserID       string // business-scoped user id (BSUID), e.g. "US.13491208655302741918"
	ParentUserID string // parent BSUID, when enabled for the business
	Name         string // profile.name
	Username     string // profile.username, when the user has one
	Problem      string
}

// InboundMessage is one value.messages[] (or value.message_echoes[]) item. Only the fields of its Type are set;
// Raw always holds the whole message and Problem says what, if anything, could not be decoded.
type InboundMessage struct {
	ID         string // wamid
	From       string // sender's wa_id; may be empty for BSUID-only users, see FromUserID and SenderKey
	FromUserID string // sender's business-scoped user id
	To         string // echoes: the customer the business wrote to
	ToUserID   string // echoes: the customer's business-scoped user id
	Timestamp  time.Time
	Type       string // as sent: "text", "image", "interactive", "order", ...; unknown types kept as they are

	// Context: the message this one replies to or quotes. Product inquiries ("Message business" on a product)
	// carry the product in ReferredProduct.
	ContextID           string
	ContextFrom         string
	ReferredProduct     *ReferredProduct
	Forwarded           bool
	FrequentlyForwarded bool

	// Text is the best human-readable summary of the message whatever its type: the text body, a media caption,
	// the button text, the interactive reply's title, the location's name, the reaction emoji, a system message's
	// body, an order's note, shared contacts' names, or an edit's new text.
	Text string

	Interactive *InteractiveReply
	Button      *ButtonReply
	Location    *Location
	Order       *Order
	Media       *Media // image, video, audio, document or sticker
	Reaction    *Reaction
	System      *System
	Edit        *Edit
	// RevokedMessageID is the wamid of the message a "revoke" (deleted for everyone) takes back.
	RevokedMessageID string
	// Referral is the click-to-WhatsApp ad or post the customer came from, as received.
	Referral json.RawMessage
	Errors   []Error // e.g. 131051 for an "unsupported" message

	Raw     json.RawMessage // the message object as received
	Problem string          // non-empty if part of the message could not be decoded
}

// SenderKey identifies the customer who sent the message: the wa_id when present, else the business-scoped user
// id (users with a username may not expose their phone number).
func (m InboundMessage) SenderKey() string {
	if m.From != "" {
		return m.From
	}
	return m.FromUserID
}

// ReferredProduct is the catalog product a message was sent about.
type ReferredProduct struct {
	CatalogID  string
	RetailerID string // product_retailer_id
}

// InteractiveReply is the customer's answer to an interactive message.
type InteractiveReply struct {
	// Type is "button_reply", "list_reply", "nfm_reply" (a completed Flow), "call_permission_reply", or
	// whatever else Meta sends.
	Type        string
	ID          string // the id the business gave the button or row
	Title       string // the button or row title; a Flow's body text; a call permission's response
	Description string // list rows only
	// ResponseJSON is a completed Flow's response_json (Meta sends it as a string holding JSON), as JSON.
	ResponseJSON json.RawMessage
	FlowName     string
}

// ButtonReply is a quick-reply button of a template message being tapped (message type "button").
type ButtonReply struct {
	Payload string
	Text    string
}

// Location is a shared location.
type Location struct {
	Latitude, Longitude float64
	Name, Address, URL  string
}

// Order is a cart sent from the catalog.
type Order struct {
	CatalogID string
	Text      string // the customer's note
	Items     []OrderItem
}

// OrderItem is one line of an Order. UnitPrice is in minor units of Currency (see MinorUnits); PriceText is
// item_price exactly as sent. When the price could not be converted UnitPrice is 0 and the message has a Problem.
type OrderItem struct {
	RetailerID string // product_retailer_id
	Quantity   int
	UnitPrice  int64
	Currency   string
	PriceText  string
}

// Media is an image, video, audio, document or sticker; download it through the Graph API by ID.
type Media struct {
	Kind     string // "image", "video", "audio", "document", "sticker"
	ID       string
	MimeType string
	SHA256   string
	Caption  string
	Filename string // documents
	URL      string // sent by some API versions
	Voice    bool   // audio recorded as a voice note
	Animated bool   // stickers
}

// Reaction is an emoji reaction to a message; an empty Emoji removes the reaction.
type Reaction struct {
	MessageID string
	Emoji     string
}

// System is a system message: a customer changed number ("user_changed_number", older "customer_changed_number")
// or identity ("customer_identity_changed"), among others.
type System struct {
	Type     string
	Body     string
	WaID     string // the customer's new wa_id
	NewWaID  string // older name of the same
	Identity string // identity hash, when the identity changed
	UserID   string
}

// Edit is a message the customer (or, in echoes, the business) edited.
type Edit struct {
	OriginalMessageID string
	Message           *InboundMessage // the new content; it carries no id or sender of its own
}

// Status is a value.statuses[] item: what happened to a message the business sent (sent, delivered, read,
// played, failed), or the state of a call (with Type "call").
type Status struct {
	ID                    string // wamid of the business's message
	Status                string
	Type                  string // "call" for call statuses; usually empty
	RecipientID           string // wa_id
	RecipientUserID       string // business-scoped user id
	Timestamp             time.Time
	ConversationID        string
	ConversationCategory  string // conversation.origin.type
	PricingCategory       string // pricing.category
	Billable              bool
	BizOpaqueCallbackData string
	Errors                []Error // why a message failed, e.g. 131047 outside the 24-hour window
	Raw                   json.RawMessage
	Problem               string
}

// Error is an error object of a webhook (value.errors, a message's or a status's errors).
type Error struct {
	Code    int
	Title   string
	Message string
	Details string // error_data.details
	Href    string
}

// String renders the error for logs: "131047 Re-engagement message: <details>".
func (e Error) String() string {
	s := strconv.Itoa(e.Code)
	if t := e.Title; t != "" || e.Message != "" {
		if t == "" {
			t = e.Message
		}
		s += " " + t
	}
	if e.Details != "" {
		s += ": " + e.Details
	}
	return s
}
