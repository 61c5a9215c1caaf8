package models

import "time"

// Role is what a merchant may do in the dashboard.
type Role string

// Merchant roles: owners also manage settings, users and tokens.
const (
	RoleOwner Role = "owner"
	RoleStaff Role = "staff"
)

// MinPasswordLength is the shortest password a merchant may set.
const MinPasswordLength = 8

// User is a merchant who logs in to the dashboard. PasswordHash is an argon2id PHC string.
type User struct {
	ID           int64
	BusinessID   int64
	Email        string
	PasswordHash string
	Role         Role
	CreatedAt    time.Time
	LastLoginAt  *time.Time
}

// Session is a logged-in dashboard session. ID is the SHA-256 of the cookie value, so a database leak gives no
// usable session.
type Session struct {
	ID         string
	UserID     int64
	BusinessID int64
	CSRFToken  string
	ExpiresAt  time.Time
	CreatedAt  time.Time
	LastSeenAt time.Time // the idle timeout counts from here
}

// APIToken authorises a merchant's own systems on the JSON API. Only its SHA-256 is stored.
type APIToken struct {
	ID         int64
	BusinessID int64
	Name       string
	TokenHash  string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}
