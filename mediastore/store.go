// Package mediastore keeps media files (pictures, voice notes and documents customers sent, product pictures) by
// key: in a local folder by default, or in any S3-compatible bucket when one is configured. It knows nothing of
// businesses, messages or HTTP; callers choose keys (see Key) and keep them in the database.
package mediastore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// ErrNotFound is returned by Open for a key that holds nothing.
var ErrNotFound = errors.New("media not found")

// Store keeps files by key.
type Store interface {
	// Put stores data under key, replacing what was there.
	Put(ctx context.Context, key string, data []byte, contentType string) error
	// Open returns a reader of the file under key and its size; the caller closes it. ErrNotFound when absent.
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	// Delete removes the file under key; a missing file is not an error.
	Delete(ctx context.Context, key string) error
}

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$`)

// checkKey refuses keys that could leave the folder or bucket prefix ("..", absolute paths, odd characters).
func checkKey(key string) error {
	if len(key) > 200 || !keyPattern.MatchString(key) || strings.Contains(key, "..") {
		return fmt.Errorf("mediastore: invalid key %q", key)
	}
	return nil
}

// Key makes a new unguessable key under prefix (e.g. "b12/in"), ending in ext (".jpg", or "" for none).
func Key(prefix, ext string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + "/" + hex.EncodeToString(b[:]) + ext
}
