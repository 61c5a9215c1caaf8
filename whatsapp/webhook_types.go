package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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

// Lenient wire types. Meta's JSON is not strict about scalar types, so the wire structs below use these instead
// of string, int and time.Time: each accepts every reasonable spelling and fails (with a readable reason) only
// on values that cannot mean the field, such as an object where a string belongs.

// whString accepts a string, a number or boolean (kept as its JSON text) and null (empty).
type whString string

func (s *whString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch k := whKind(b); k {
	case "string":
		// Most strings have no escapes and need no decoding; the decoder has already validated them.
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
			*s = whString(b[1 : len(b)-1])
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = whString(v)
	case "null":
		*s = ""
	case "number", "boolean":
		*s = whString(b)
	default:
		return whWant("a string", k)
	}
	return nil
}

// whScalar returns the trimmed text of a string or number, "" for null, and an error for anything else.
func whScalar(b []byte, want string) (string, error) {
	var s whString
	if k := whKind(b); k == "boolean" {
		return "", whWant(want, k)
	}
	if err := s.UnmarshalJSON(b); err != nil {
		return "", whWant(want, whKind(b))
	}
	return strings.TrimSpace(string(s)), nil
}

// whInt accepts an integer as a number or a string ("2", 2, 2.0).
type whInt int

func (n *whInt) UnmarshalJSON(b []byte) error {
	s, err := whScalar(b, "an integer")
	if err != nil || s == "" {
		*n = 0
		return err
	}
	if v, err := strconv.Atoi(s); err == nil {
		*n = whInt(v)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f > 1<<53 || f < -(1<<53) || f != math.Trunc(f) {
		return fmt.Errorf("want an integer, got %q", whShort(s))
	}
	*n = whInt(f)
	return nil
}

// whFloat accepts a number or a numeric string.
type whFloat float64

func (f *whFloat) UnmarshalJSON(b []byte) error {
	s, err := whScalar(b, "a number")
	if err != nil || s == "" {
		*f = 0
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Errorf("want a number, got %q", whShort(s))
	}
	*f = whFloat(v)
	return nil
}

// whDecimal keeps the exact text of a decimal number, sent as a JSON number or a string, for MinorUnits.
type whDecimal string

func (d *whDecimal) UnmarshalJSON(b []byte) error {
	s, err := whScalar(b, "a decimal number")
	*d = whDecimal(s)
	return err
}

// whBool accepts true/false, "true"/"false" and 1/0 in either form.
type whBool bool

func (v *whBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	switch strings.ToLower(s) {
	case "true", "1":
		*v = true
	case "false", "0", "null", "":
		*v = false
	default:
		return fmt.Errorf("want a boolean, got %q", whShort(s))
	}
	return nil
}

// maxUnixSeconds is the end of year 9999, past which a timestamp is surely not seconds.
const maxUnixSeconds = 253402300799

// whTime accepts unix seconds as a number or a string, with an optional fraction; "" and null are the zero time.
type whTime time.Time

func (t *whTime) UnmarshalJSON(b []byte) error {
	s, err := whScalar(b, "a unix time")
	if err != nil || s == "" {
		*t = whTime{}
		return err
	}
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil && sec >= 0 && sec <= maxUnixSeconds {
		*t = whTime(time.Unix(sec, 0).UTC())
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= maxUnixSeconds) {
		return fmt.Errorf("want a unix time in seconds, got %q", whShort(s))
	}
	sec, frac := math.Modf(f)
	*t = whTime(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}

// whKind names the kind of a JSON value from its first byte.
func whKind(b []byte) string {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func whWant(want, got string) error {
	return fmt.Errorf("want %s, got %s %s", want, whArticle(got), got)
}

func whArticle(kind string) string {
	if kind == "object" || kind == "array" {
		return "an"
	}
	return "a"
}

// whShort keeps quoted input short in problem messages.
func whShort(s string) string {
	if len(s) > 40 {
		i := 40
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return s[:i] + "..."
	}
	return s
}
