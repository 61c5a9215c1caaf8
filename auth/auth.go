// Package auth holds merchants' credentials: argon2id passwords, dashboard sessions with their CSRF tokens, API
// tokens for the JSON API, and the login rate limit. It does no HTTP; handlers/auth_middleware.go does.
//
// Secrets are never stored as such: a session row's id is the SHA-256 of the cookie value, an API token row holds
// the SHA-256 of the token, so a database leak yields nothing usable.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"golang.org/x/crypto/argon2"
)

// Errors callers map to answers.
var (
	ErrBadCredentials = errors.New("auth: wrong email or password")
	ErrRateLimited    = errors.New("auth: too many failed logins")
	ErrNoSession      = errors.New("auth: no valid session")
	ErrBadToken       = errors.New("auth: invalid api token")
)

// Limits of the login rate limit and session lifetime.
const (
	SessionTTL        = 7 * 24 * time.Hour
	LoginWindow       = 15 * time.Minute
	MaxFailsPerEmail  = 5
	MaxFailsPerIP     = 20
	MinPasswordLength = 8
	TokenPrefix       = "wao_"
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
	// failures mirrors the failed-login counters in this process. The shared counters are what limit logins across
	// instances; while Valkey is down its Get misses, and this copy keeps the limit holding on this instance.
	failures *cache.Memory
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
		failures: cache.NewMemory(10_000, cache.WithMaxBytes(2<<20))}
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Argon2id parameters (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
const (
	argonMemory  = 19456
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns an argon2id PHC string: $argon2id$v=19$m=19456,t=2,p=1$salt$hash.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := idKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches an argon2id PHC hash, in constant time.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 ||
		m > maxArgonMemory || t > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := idKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// argonSlots bounds the argon2id computations running at once. Each holds argonMemory KiB (19 MiB) for ~20 ms, so a
// burst of logins could otherwise take hundreds of MB on a 512 MB host; two slots keep two cores busy, the rest
// wait their turn. maxArgonMemory refuses a stored hash that would take more than 64 MiB.
var argonSlots = make(chan struct{}, 2)

const maxArgonMemory = 64 << 10

func idKey(pw, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	argonSlots <- struct{}{}
	defer func() { <-argonSlots }()
	return argon2.IDKey(pw, salt, t, m, p, n)
}

// dummyHash is checked against when the email is unknown, so a miss costs as long as a wrong password. It is made
// on first use, not at start, to keep 19 MiB of argon2 work out of an idle process.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("waorder-dummy-password")
	return h
})

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

// count is a failure counter: the shared one, or this process's copy when that is higher (Valkey down or
// restarted).
func (s *Service) count(ctx context.Context, key string) int64 {
	var n int64
	for _, c := range []cache.Cache{s.cache, s.failures} {
		if b, ok := c.Get(ctx, key); ok {
			if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
				n = max(n, v)
			}
		}
	}
	return n
}

// fail counts a failed login against key, in the shared counter and this process's copy, and returns the count.
func (s *Service) fail(ctx context.Context, key string) int64 {
	shared, _ := s.cache.Incr(ctx, key, LoginWindow)
	local, _ := s.failures.Incr(ctx, key, LoginWindow)
	return max(shared, local)
}

// Login checks email and password and starts a session. After MaxFailsPerEmail failures for an email, or
// MaxFailsPerIP from an IP, within LoginWindow, it answers ErrRateLimited without checking the password.
func (s *Service) Login(ctx context.Context, email, password, ip string) (string, Principal, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	emailKey, ipKey := s.limitKey("email", email), s.limitKey("ip", ip)
	if s.count(ctx, emailKey) >= MaxFailsPerEmail || (ip != "" && s.count(ctx, ipKey) >= MaxFailsPerIP) {
		return "", Principal{}, ErrRateLimited
	}
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, repository.ErrNotFound) {
		return "", Principal{}, err
	}
	hash := u.PasswordHash
	if err != nil {
		hash = dummyHash()
	}
	if !CheckPassword(hash, password) || err != nil {
		ne := s.fail(ctx, emailKey)
		var ni int64
		if ip != "" {
			ni = s.fail(ctx, ipKey)
		}
		if ne > MaxFailsPerEmail || ni > MaxFailsPerIP {
			return "", Principal{}, ErrRateLimited
		}
		return "", Principal{}, ErrBadCredentials
	}
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

// Session resolves a session cookie's value to its principal; unknown or expired is ErrNoSession.
func (s *Service) Session(ctx context.Context, cookieValue string) (Principal, error) {
	if cookieValue == "" || len(cookieValue) > 200 {
		return Principal{}, ErrNoSession
	}
	sess, err := s.store.Session(ctx, sha256Hex(cookieValue), s.now())
	if errors.Is(err, repository.ErrNotFound) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	u, err := s.store.User(ctx, sess.UserID)
	if errors.Is(err, repository.ErrNotFound) || (err == nil && u.BusinessID != sess.BusinessID) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
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
// repository.ErrConflict.
func (s *Service) CreateUser(ctx context.Context, bizID int64, email, password string, role models.Role) (models.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return models.User{}, fmt.Errorf("auth: invalid email %q", email)
	}
	if len(password) < MinPasswordLength {
		return models.User{}, fmt.Errorf("auth: password must be at least %d characters", MinPasswordLength)
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
	hash, err := HashPassword(password)
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

// APIToken resolves a bearer token to its business; unknown, malformed or revoked is ErrBadToken.
func (s *Service) APIToken(ctx context.Context, plaintext string) (int64, error) {
	if !strings.HasPrefix(plaintext, TokenPrefix) || len(plaintext) > 100 {
		return 0, ErrBadToken
	}
	t, err := s.store.APITokenByHash(ctx, sha256Hex(plaintext))
	if errors.Is(err, repository.ErrNotFound) {
		return 0, ErrBadToken
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
