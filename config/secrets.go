package config

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
)

// EncryptionKeyBytes decodes ENCRYPTION_KEY (64 hex characters or standard base64 of 32 bytes). In sandbox mode with
// no key, a fixed development key is derived: sandbox data holds no real tokens.
func (c Config) EncryptionKeyBytes() ([]byte, error) {
	if c.EncryptionKey == "" {
		if c.Sandbox {
			k := sha256.Sum256([]byte("waorder sandbox encryption key"))
			return k[:], nil
		}
		return nil, errors.New("is required outside sandbox mode")
	}
	if b, err := hex.DecodeString(c.EncryptionKey); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(c.EncryptionKey); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("must be 32 bytes, as 64 hex characters or base64")
}

// SessionKey is the HMAC key for session and CSRF tokens. In sandbox mode with no secret a fixed development key is
// used, so a restart keeps merchants logged in.
func (c Config) SessionKey() []byte {
	if c.SessionSecret == "" {
		k := sha256.Sum256([]byte("waorder sandbox session key"))
		return k[:]
	}
	return []byte(c.SessionSecret)
}
