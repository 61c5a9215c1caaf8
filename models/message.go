package models

import "time"

// InboundMessage is a message a customer sent, stored once per wamid. ProcessedAt is nil until the ordering bot has
// handled it; unprocessed rows are picked up again after a crash.
type InboundMessage struct {
	ID            int64
	BusinessID    int64
	PhoneNumberID int64 // our phone_numbers row (Meta's id is PhoneNumber.MetaPhoneID)
	CustomerID    int64
	Wamid         string
	Type          string
	Body          string // human summary
	Payload       string // the message object as Meta sent it
	SentAt        time.Time
	ReceivedAt    time.Time
	ProcessedAt   *time.Time
	ClaimUntil    *time.Time
	Attempts      int
	ProcessError  string
	RequestID     string // the id of the webhook request that delivered it (logs carry it as request_id)
}

// MessageStatus is one delivery status Meta reported for a message we sent (sent, delivered, read, failed).
type MessageStatus struct {
	ID          int64
	BusinessID  int64
	Wamid       string
	Status      string
	Recipient   string
	ErrorCode   int
	ErrorTitle  string
	ErrorDetail string
	Payload     string
	StatusAt    time.Time
	ReceivedAt  time.Time
}

// WebhookEvent is a webhook change that is not a customer message: account and template updates, calls, echoes,
// deliveries for a phone number we do not know, and bodies we could not parse (Kind "unparsed", with Reason).
type WebhookEvent struct {
	ID          int64
	BusinessID  *int64
	Kind        string // event | unrouted | unparsed | conflict
	Field       string
	WABAID      string
	MetaPhoneID string `gorm:"column:phone_number_id"` // Meta's phone_number_id the change is about
	Reason      string
	Payload     string
	Hash        string // sha256 of the payload: a redelivery stores nothing new
	ReceivedAt  time.Time
	AppliedAt   *time.Time // account events: when their effect (number health, template status) was applied
	RequestID   string     // the id of the webhook request that delivered it
}

// Kinds of webhook events.
const (
	EventKindEvent    = "event"
	EventKindUnrouted = "unrouted"
	EventKindUnparsed = "unparsed"
	EventKindConflict = "conflict" // a message reusing a stored wamid with other content
)

// OutboundStatus is where a message we send stands.
type OutboundStatus string

// Outbound message states, in the order they normally advance. Held: outside the 24-hour window with no template, or
// the number's token expired; kept, not lost.
const (
	OutQueued    OutboundStatus = "queued"
	OutSent      OutboundStatus = "sent"
	OutDelivered OutboundStatus = "delivered"
	OutRead      OutboundStatus = "read"
	OutFailed    OutboundStatus = "failed"
	OutHeld      OutboundStatus = "held"
)

// OutboundStatuses lists the states in their forward order (see Rank); the repository builds its SQL from it, so the
// order exists once.
func OutboundStatuses() []OutboundStatus {
	return []OutboundStatus{OutQueued, OutHeld, OutSent, OutDelivered, OutRead, OutFailed}
}

// Rank is s's place in the forward order: queued and held (and anything unknown) are 0, then sent, delivered, read
// and failed.
func (s OutboundStatus) Rank() int {
	switch s {
	case OutSent:
		return 1
	case OutDelivered:
		return 2
	case OutRead:
		return 3
	case OutFailed:
		return 4
	}
	return 0
}

// Advances reports whether moving from s to next goes forward: a late "delivered" never overwrites "read".
func (s OutboundStatus) Advances(next OutboundStatus) bool {
	return next.Rank() > s.Rank()
}

// OutboundMessage is a message we send: written in the same transaction as whatever caused it (the outbox), then
// sent by the queue workers. IdempotencyKey makes a re-run of its cause a no-op.
type OutboundMessage struct {
	ID             int64
	BusinessID     int64
	PhoneNumberID  int64 // our phone_numbers row (Meta's id is PhoneNumber.MetaPhoneID)
	CustomerID     int64
	ToWaID         string
	Kind           string
	Payload        string // the Graph API request body
	Summary        string
	Status         OutboundStatus
	Wamid          *string
	IdempotencyKey string
	Attempts       int
	NextAttemptAt  time.Time
	ClaimUntil     *time.Time
	ClaimedBy      string
	LastError      string
	ErrorCode      int
	CreatedAt      time.Time
	UpdatedAt      time.Time
	SentAt         *time.Time
	DeliveredAt    *time.Time
	ReadAt         *time.Time
	FailedAt       *time.Time
	RetriedAt      *time.Time // the merchant's last retry; nil: never retried
	RequestID      string     // the id of the request that caused it: the customer's webhook for a bot reply
}

// QueuedAt is when m was last put in the queue: written, or retried by the merchant since. HELD_MESSAGE_TTL counts
// from here, so a retry gives an old reply a fresh day instead of expiring it again at once.
func (m OutboundMessage) QueuedAt() time.Time {
	if m.RetriedAt != nil && m.RetriedAt.After(m.CreatedAt) {
		return *m.RetriedAt
	}
	return m.CreatedAt
}

// Thread is one customer's conversation as the inbox lists it.
type Thread struct {
	Customer      Customer
	LastMessageAt time.Time
	LastText      string // what the customer wrote last
	Unread        int64  // customer messages after the merchant last read the thread
	NeedsHuman    string
	TakenOverAt   *time.Time
	TakenOverBy   *int64
	UpdatedAt     time.Time
}
