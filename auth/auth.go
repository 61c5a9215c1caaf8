// Package auth holds merchants' credentials: argon2id passwords, dashboard sessions with their CSRF tokens, API
// tokens for the JSON API, and the login rate limit. It does no HTTP; handlers/dashboard/session.go does.
//
// Secrets are never stored as such: a session row's id is the SHA-256 of the cookie value, an API token row holds
// the SHA-256 of the token, so a database leak yields nothing usable.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"strings"
	"time"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

// Limits of the login rate limit and session lifetime.
const (
	SessionTTL = 7 * 24 * time.Hour
	// SessionIdleTimeout ends a session nobody used for this long (SESSION_IDLE_TIMEOUT overrides it).
	SessionIdleTimeout = 12 * time.Hour
	// ArgonWait bounds how long a login waits for a password-hashing slot before models.ErrBusy.
	ArgonWait        = 2 * time.Second
	LoginWindow      = 15 * time.Minute
	MaxFailsPerEmail = 5
	MaxFailsPerIP    = 20
	TokenPrefix      = "wao_"
)

// Principal is who a request acts for.
type Principal struct {
	UserID, BusinessID int64
	Email              string
	Role               models.Role
	CSRFToken          string
	SessionID          string
}

// Service authenticates merchants and their systems.
type Service struct {
	store      *repository.Store
	cache      cache.Cache
	sessionKey []byte
	log        *slog.Logger
	now        func() time.Time
	// failures mirrors the login-attempt counters in this process. The shared counters are what limit logins across
	// instances; while Valkey is down its Get misses, and this copy keeps the limit holding on this instance.
	failures *cache.Memory
	// argon bounds the argon2id computations running at once (see hashSlot); argonWait is how long a request may
	// wait for one before it is answered models.ErrBusy.
	argon     chan struct{}
	argonWait time.Duration
	idle      time.Duration // a session unused this long has ended
}

// New returns the service. sessionKey (SESSION_SECRET) keys the rate-limit counters' names; it may be empty.
func New(store *repository.Store, c cache.Cache, sessionKey []byte, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if c == nil {
		c = cache.NewMemory(1000)
	}
	return &Service{store: store, cache: c, sessionKey: sessionKey, log: log, now: time.Now,
		failures: cache.NewMemory(10_000, cache.WithMaxBytes(2<<20)),
		argon:    make(chan struct{}, argonSlots), argonWait: ArgonWait, idle: SessionIdleTimeout}
}

// SetIdleTimeout sets how long an unused session lasts (SESSION_IDLE_TIMEOUT); d <= 0 keeps the default.
func (s *Service) SetIdleTimeout(d time.Duration) {
	if d > 0 {
		s.idle = d
	}
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// limitKey names a rate-limit counter; the subject is hashed, so nothing a user types shapes the key.
func (s *Service) limitKey(kind, subject string) string {
	return "ratelimit:login:" + kind + ":" + sha256Hex(string(s.sessionKey) + "\x00" + subject)[:32]
}

// ipSubject is what the per-IP limit counts against: the address itself for IPv4, its /64 for IPv6, since one
// subscriber usually holds a whole /64 and could otherwise take a fresh address for every guess.
func ipSubject(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

// attempt counts a login attempt against key, in the shared counter and this process's copy, and returns the
// count. The increment is atomic, so of any number of parallel attempts only the first few see a count within the
// limit: the attempt is counted before the password is checked, never after.
func (s *Service) attempt(ctx context.Context, key string) int64 {
	shared, _ := s.cache.Incr(ctx, key, LoginWindow)
	local, _ := s.failures.Incr(ctx, key, LoginWindow)
	return max(shared, local)
}

// Login checks email and password and starts a session. Every attempt is counted before the password is checked:
// past MaxFailsPerEmail attempts for an email, or MaxFailsPerIP from an IP, within LoginWindow, it answers
// models.ErrRateLimited without checking. A successful login clears its email's count (not its IP's). When the password
// hashing slots stay busy it answers models.ErrBusy.
func (s *Service) Login(ctx context.Context, email, password, ip string) (string, Principal, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	emailKey, ipKey := s.limitKey("email", email), s.limitKey("ip", ipSubject(ip))
	limited := s.attempt(ctx, emailKey) > MaxFailsPerEmail
	if ip != "" && s.attempt(ctx, ipKey) > MaxFailsPerIP {
		limited = true
	}
	if limited {
		return "", Principal{}, models.ErrRateLimited
	}
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return "", Principal{}, err
	}
	hash := u.PasswordHash
	if err != nil {
		hash = dummyHash()
	}
	ok, cerr := s.checkPassword(ctx, hash, password)
	if cerr != nil {
		return "", Principal{}, cerr
	}
	if !ok || err != nil {
		return "", Principal{}, models.ErrBadCredentials
	}
	s.cache.Delete(ctx, emailKey)
	s.failures.Delete(ctx, emailKey)
	cookie, err := randomToken(32)
	if err != nil {
		return "", Principal{}, err
	}
	csrf, err := randomToken(32)
	if err != nil {
		return "", Principal{}, err
	}
	now := s.now().UTC()
	sess := models.Session{ID: sha256Hex(cookie), UserID: u.ID, BusinessID: u.BusinessID, CSRFToken: csrf,
		ExpiresAt: now.Add(SessionTTL), CreatedAt: now}
	if err := s.store.CreateSession(ctx, &sess); err != nil {
		return "", Principal{}, err
	}
	if err := s.store.TouchUserLogin(ctx, u.ID, now); err != nil {
		s.log.Warn("login: last login not recorded", "user", u.ID, "err", err)
	}
	return cookie, Principal{UserID: u.ID, BusinessID: u.BusinessID, Email: u.Email, Role: u.Role, CSRFToken: csrf,
		SessionID: sess.ID}, nil
}

// Session resolves a session cookie's value to its principal; unknown or expired is models.ErrNoSession.
func (s *Service) Session(ctx context.Context, cookieValue string) (Principal, error) {
	if cookieValue == "" || len(cookieValue) > 200 {
		return Principal{}, models.ErrNoSession
	}
	now := s.now()
	sess, err := s.store.Session(ctx, sha256Hex(cookieValue), now, now.Add(-s.idle))
	if errors.Is(err, models.ErrNotFound) {
		return Principal{}, models.ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	u, err := s.store.User(ctx, sess.UserID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && u.BusinessID != sess.BusinessID) {
		return Principal{}, models.ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	// One write a minute at most: the idle timeout does not need a finer clock than that.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.store.TouchSession(ctx, sess.ID, now); err != nil {
			s.log.Warn("session: last use not recorded", "user", u.ID, "err", err)
		}
	}
	return Principal{UserID: u.ID, BusinessID: sess.BusinessID, Email: u.Email, Role: u.Role, CSRFToken: sess.CSRFToken,
		SessionID: sess.ID}, nil
}

// Logout deletes the session of a cookie value.
func (s *Service) Logout(ctx context.Context, cookieValue string) error {
	if cookieValue == "" {
		return nil
	}
	return s.store.DeleteSession(ctx, sha256Hex(cookieValue))
}

// CreateUser adds a merchant login to a business. A bad email or short password is an error; a taken email is
// models.ErrConflict.
func (s *Service) CreateUser(ctx context.Context, bizID int64, email, password string, role models.Role) (models.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return models.User{}, fmt.Errorf("auth: invalid email %q", email)
	}
	if len(password) < models.MinPasswordLength {
		return models.User{}, fmt.Errorf("auth: password must be at least %d characters", models.MinPasswordLength)
	}
	if role == "" {
		role = models.RoleOwner
	}
	if role != models.RoleOwner && role != models.RoleStaff {
		return models.User{}, fmt.Errorf("auth: unknown role %q", role)
	}
	if _, err := s.store.Business(ctx, bizID); err != nil {
		return models.User{}, fmt.Errorf("auth: business %d: %w", bizID, err)
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return models.User{}, err
	}
	u := models.User{BusinessID: bizID, Email: email, PasswordHash: hash, Role: role, CreatedAt: s.now().UTC()}
	if err := s.store.CreateUser(ctx, &u); err != nil {
		return models.User{}, err
	}
	return u, nil
}

// CreateAPIToken issues a token for a business's own systems: "wao_" and 32 random bytes. Only its SHA-256 is
// stored; the plaintext is returned once.
func (s *Service) CreateAPIToken(ctx context.Context, bizID int64, name string) (string, error) {
	if _, err := s.store.Business(ctx, bizID); err != nil {
		return "", fmt.Errorf("auth: business %d: %w", bizID, err)
	}
	r, err := randomToken(32)
	if err != nil {
		return "", err
	}
	plain := TokenPrefix + r
	t := models.APIToken{BusinessID: bizID, Name: name, TokenHash: sha256Hex(plain), Prefix: plain[:len(TokenPrefix)+6],
		CreatedAt: s.now().UTC()}
	if err := s.store.CreateAPIToken(ctx, &t); err != nil {
		return "", err
	}
	return plain, nil
}

// APIToken resolves a bearer token to its business; unknown, malformed or revoked is models.ErrBadToken.
func (s *Service) APIToken(ctx context.Context, plaintext string) (int64, error) {
	if !strings.HasPrefix(plaintext, TokenPrefix) || len(plaintext) > 100 {
		return 0, models.ErrBadToken
	}
	t, err := s.store.APITokenByHash(ctx, sha256Hex(plaintext))
	if errors.Is(err, models.ErrNotFound) {
		return 0, models.ErrBadToken
	}
	if err != nil {
		return 0, err
	}
	now := s.now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			s.log.Warn("api token: last use not recorded", "token", t.ID, "err", err)
		}
	}
	return t.BusinessID, nil
}
