package merchant

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/mediacheck"
	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

// MaxPictureBytes is the largest product picture: what Meta fetches for an image header (5 MB).
const MaxPictureBytes = 5 << 20

// Pictures keeps products' pictures in the media store. A picture is public once set: Meta fetches it by link when
// it delivers the item message, and the catalog shows it. Its key is unguessable and changes with every upload.
//
// Why a public link rather than uploading each picture to Meta's /media endpoint and sending its id: an uploaded id
// expires after 30 days and belongs to one phone number, so every number would need its own upload, re-done before
// expiry, and a Graph API call (against the same rate limits) before the first item message; a link costs nothing
// until Meta fetches it, works for every number, and never expires. A menu picture is public by nature (the bot
// shows it to anyone who writes), so serving it to whoever holds its unguessable link discloses nothing; a
// replaced picture's link stops working. The cost: the service must be reachable over https at PUBLIC_URL.
type Pictures struct {
	store    *repository.Store
	cache    cache.Cache
	files    mediastore.Store
	maxBytes int64
	log      *slog.Logger
}

// NewPictures keeps pictures of at most min(maxBytes, MaxPictureBytes) bytes in files.
func NewPictures(store *repository.Store, c cache.Cache, files mediastore.Store, maxBytes int64, log *slog.Logger) *Pictures {
	return &Pictures{store: store, cache: c, files: files, maxBytes: min(maxBytes, MaxPictureBytes), log: log}
}

// MaxBytes is the largest picture Set accepts.
func (p *Pictures) MaxBytes() int64 { return p.maxBytes }

// Set checks data (JPEG or PNG, as announced and as its bytes show, within the size cap), keeps it and makes it
// the product's picture; the one it replaces is deleted. Bad input is a models.Invalid error on "picture".
func (p *Pictures) Set(ctx context.Context, bizID, productID int64, data []byte, announced string) error {
	if int64(len(data)) > p.maxBytes {
		return models.Invalid("picture", fmt.Sprintf("is larger than %d KB", p.maxBytes>>10))
	}
	if _, err := p.store.Product(ctx, bizID, productID); err != nil {
		return err
	}
	mimeType, ext, err := mediacheck.Check(mediacheck.KindProduct, announced, data)
	var refusal *mediacheck.Refusal
	if errors.As(err, &refusal) {
		return models.Invalid("picture", "must be a JPEG or PNG picture ("+refusal.Reason+")")
	}
	if err != nil {
		return err
	}
	key := mediastore.Key(fmt.Sprintf("b%d/products", bizID), ext)
	if err := p.files.Put(ctx, key, data, mimeType); err != nil {
		return fmt.Errorf("keep picture of product %d: %w", productID, err)
	}
	return p.replace(ctx, bizID, productID, key, mimeType)
}

// Remove takes the product's picture away.
func (p *Pictures) Remove(ctx context.Context, bizID, productID int64) error {
	return p.replace(ctx, bizID, productID, "", "")
}

func (p *Pictures) replace(ctx context.Context, bizID, productID int64, key, mimeType string) error {
	old, err := p.store.SetProductImage(ctx, bizID, productID, key, mimeType)
	if err != nil {
		if key != "" {
			p.drop(ctx, key)
		}
		return err
	}
	cache.InvalidateCatalog(context.WithoutCancel(ctx), p.cache, bizID)
	if old != "" && old != key {
		p.drop(ctx, old)
	}
	return nil
}

// drop deletes a file nothing points at any more; a failure only leaves an orphan behind.
func (p *Pictures) drop(ctx context.Context, key string) {
	if err := p.files.Delete(context.WithoutCancel(ctx), key); err != nil {
		p.log.Warn("delete replaced product picture", "key", key, "err", err)
	}
}

// Open returns a product's picture by its key ("b<business>/products/<random>.<ext>"), its size and its type; any
// key that is not a product's current picture is models.ErrNotFound.
func (p *Pictures) Open(ctx context.Context, key string) (io.ReadCloser, int64, string, error) {
	biz, rest, ok := strings.Cut(key, "/")
	id, err := strconv.ParseInt(strings.TrimPrefix(biz, "b"), 10, 64)
	if !ok || !strings.HasPrefix(biz, "b") || err != nil || !strings.HasPrefix(rest, "products/") {
		return nil, 0, "", fmt.Errorf("product picture %q: %w", key, models.ErrNotFound)
	}
	prod, err := p.store.ProductByImageKey(ctx, id, key)
	if err != nil {
		return nil, 0, "", err
	}
	rc, size, err := p.files.Open(ctx, key)
	if errors.Is(err, mediastore.ErrNotFound) {
		return nil, 0, "", fmt.Errorf("product picture %q: %w", key, models.ErrNotFound)
	}
	if err != nil {
		return nil, 0, "", err
	}
	return rc, size, prod.ImageType, nil
}
