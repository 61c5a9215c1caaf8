package models

import "time"

// InboundMedia is the file of a picture, voice note, video, sticker or document a customer sent: one row per inbound
// message, written after the message is stored and fetched from the Graph API in the background. Until it is
// stored (or failed, with Reason) the message shows without its file; the message itself never depends on it.
type InboundMedia struct {
	ID               int64
	BusinessID       int64
	InboundMessageID int64
	PhoneNumberID    int64
	Kind             string // image | audio | video | document | sticker
	MediaID          string // Meta's media id, from the webhook
	MimeType         string // as checked against the content, once stored; as announced before
	Filename         string // documents: the name the customer's phone gave it
	SizeBytes        int64
	StorageKey       string // where the media store keeps it; "" until stored
	Status           MediaStatus
	Reason           string // why it failed, or why the last try did
	Attempts         int
	NextAttemptAt    time.Time
	ClaimUntil       *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// TableName is the table of InboundMedia (GORM would pluralise it otherwise).
func (InboundMedia) TableName() string { return "inbound_media" }

// MediaStatus is where fetching a customer's file stands.
type MediaStatus string

// Media states: waiting to be fetched (or retried), kept in the media store, or given up with a reason; and,
// once older than the media retention age, being removed (expiring: the file may still be there) and removed
// (expired: the row stays, with why, so the thread still shows that a file was sent).
const (
	MediaPending  MediaStatus = "pending"
	MediaStored   MediaStatus = "stored"
	MediaFailed   MediaStatus = "failed"
	MediaExpiring MediaStatus = "expiring"
	MediaExpired  MediaStatus = "expired"
)

// IsMediaKind reports whether messages of type t carry a file to fetch.
func IsMediaKind(t string) bool {
	switch t {
	case "image", "audio", "video", "document", "sticker":
		return true
	}
	return false
}
