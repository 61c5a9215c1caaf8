package models

import "time"

// Connect steps, in order. A ConnectAttempt's Step is the next one to run.
const (
	StepExchange  = "exchange"  // Embedded Signup's code becomes a business token
	StepToken     = "token"     // debug_token: valid, WhatsApp scopes, reaches this WABA, expiry
	StepOwnership = "ownership" // the WABA owns the phone number
	StepSubscribe = "subscribe" // our app subscribes to the WABA's webhooks
	StepRegister  = "register"  // the number is registered for the Cloud API with its two-step PIN
	StepDetails   = "details"   // display number, verified name, quality rating, messaging limit
)

// ConnectSteps lists the steps in order, with the words the dashboard shows.
var ConnectSteps = []struct{ Key, Label string }{
	{StepExchange, "Sign in with Meta"},
	{StepToken, "Check the access token"},
	{StepOwnership, "Check the account owns the number"},
	{StepSubscribe, "Subscribe to the account's webhooks"},
	{StepRegister, "Register the number (two-step PIN)"},
	{StepDetails, "Read name, quality and messaging limit"},
}

// Connect methods.
const (
	ConnectSignup = "signup" // Embedded Signup
	ConnectManual = "manual" // ids and a system-user token pasted by the owner
)

// ConnectAttempt is a business's connection of a number in progress: what earlier steps established, so a retry
// resumes at Step. The number itself is stored only when every step passed. One per business at a time.
type ConnectAttempt struct {
	ID             int64
	BusinessID     int64
	Method         string
	Step           string
	MetaPhoneID    string `gorm:"column:phone_number_id"` // Meta's phone_number_id
	WABAID         string
	AccessTokenEnc string // sealed like a number's token
	PINEnc         string // sealed two-step PIN
	PINGenerated   bool   // we made the PIN up, so it is shown once when the number is connected
	TokenExpiresAt *time.Time
	LastError      string // Meta's message from the step that failed
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// MessageTemplate is one of a business's WhatsApp message templates, as last synced or reported by webhook.
type MessageTemplate struct {
	ID         int64
	BusinessID int64
	MetaID     string
	Name       string
	Language   string
	Category   string
	Status     string // APPROVED, PENDING, REJECTED, PAUSED, DISABLED, ...
	Reason     string // why it was rejected, paused or disabled
	Body       string
	ParamCount int
	UpdatedAt  time.Time
}

// Usable reports whether the template may be sent: Meta approved it and has not paused or disabled it since.
func (t MessageTemplate) Usable() bool { return t.Status == "APPROVED" }

// Sources of a window template's body variables (Business.TemplateParams).
const (
	ParamOrderNumber  = "order_number"
	ParamOrderStatus  = "status"
	ParamBusinessName = "business_name"
	ParamMessage      = "message" // the text the customer would have got inside the window
)

// TemplateParamSources lists the sources with the words the dashboard shows.
var TemplateParamSources = []struct{ Key, Label string }{
	{ParamOrderNumber, "Order number"}, {ParamOrderStatus, "Order status"}, {ParamBusinessName, "Business name"},
	{ParamMessage, "The message text"},
}

// Invite is a one-time link to join a business's team. Only the SHA-256 of its token is stored.
type Invite struct {
	ID         int64
	BusinessID int64
	TokenHash  string
	Role       Role
	Note       string // who it is for, as the owner wrote it
	ExpiresAt  time.Time
	UsedAt     *time.Time
	CreatedAt  time.Time
}

// PasswordReset is a one-time link to set a new password. Only the SHA-256 of its token is stored.
type PasswordReset struct {
	ID        int64
	UserID    int64
	TokenHash string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}
