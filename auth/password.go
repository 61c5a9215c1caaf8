package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/waorder/waorder/models"
	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
const (
	argonMemory  = 19456
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// argonSlots bounds the argon2id computations a Service runs at once. Each holds argonMemory KiB (19 MiB) for
// ~20 ms, so a burst of logins could otherwise take hundreds of MB on a 512 MB host; two slots keep two cores busy,
// the rest wait their turn, for at most ArgonWait. maxArgonMemory refuses a stored hash that would take more than
// 64 MiB.
const (
	argonSlots     = 2
	maxArgonMemory = 64 << 10
)

// HashPassword returns an argon2id PHC string: $argon2id$v=19$m=19456,t=2,p=1$salt$hash. It takes no slot: the
// service's requests go through Service.hashPassword.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches an argon2id PHC hash, in constant time. It takes no slot: the service's
// requests go through Service.checkPassword.
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
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// hashSlot takes one of the service's argon2id slots, waiting at most argonWait and never past ctx: a request whose
// client left, or that would queue behind a flood, costs nothing more. The caller runs release when done.
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(s.argonWait)
	defer t.Stop()
	select {
	case s.argon <- struct{}{}:
		return func() { <-s.argon }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", models.ErrBusy, ctx.Err())
	case <-t.C:
		return nil, models.ErrBusy
	}
}

// checkPassword is CheckPassword within a slot.
func (s *Service) checkPassword(ctx context.Context, hash, pw string) (bool, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return CheckPassword(hash, pw), nil
}

// hashPassword is HashPassword within a slot.
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(pw)
}

// dummyHash is checked against when the email is unknown, so a miss costs as long as a wrong password. It is made
// on first use, not at start, to keep 19 MiB of argon2 work out of an idle process.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("waorder-dummy-password")
	return h
})
