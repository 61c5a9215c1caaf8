// Package mediafetch brings the files customers send (pictures, voice notes, videos, stickers, documents) from the
// Graph API into the media store, after their messages are stored: never in the webhook's commit, never holding up
// the bot. Each file is looked up by media id, refused when over the size cap or not an accepted type (announced
// and sniffed), kept under an unguessable key and recorded; a failure is recorded with its reason, retried a bounded
// number of times when it may pass later, and never touches the message.
package mediafetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/mediacheck"
	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/whatsapp"
)

// Tokens opens a phone number's stored access token (secretbox.Box does).
type Tokens interface {
	Open(sealed string) (string, error)
}

// Fetcher queues and fetches customers' files. Run it once per instance; any number of instances may run.
type Fetcher struct {
	store  *repository.Store
	graph  *whatsapp.Client
	tokens Tokens
	files  mediastore.Store
	log    *slog.Logger
	wake   chan struct{}

	MaxBytes    int64         // the size cap (MEDIA_MAX_BYTES)
	Lease       time.Duration // how long one try may take before another instance may take the file
	Poll        time.Duration // how often due retries are looked for without a wake-up
	MaxAttempts int
	Parallel    int
}

// New makes a fetcher; Run starts it.
func New(store *repository.Store, graph *whatsapp.Client, tokens Tokens, files mediastore.Store, maxBytes int64,
	log *slog.Logger) *Fetcher {
	return &Fetcher{store: store, graph: graph, tokens: tokens, files: files, log: log, wake: make(chan struct{}, 1),
		MaxBytes: maxBytes, Lease: 2 * time.Minute, Poll: 5 * time.Second, MaxAttempts: 5, Parallel: 2}
}

// Wake makes Run look for work now.
func (f *Fetcher) Wake() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Before returns a handler that queues m's file (when it has one) and then runs next: the processor calls it after
// the message is stored, and retries both when either fails, so the queue entry is never lost.
func (f *Fetcher) Before(next ingest.Handler) ingest.Handler {
	return ingest.HandlerFunc(func(ctx context.Context, m models.InboundMessage) error {
		if err := f.Queue(ctx, m); err != nil {
			return err
		}
		return next.HandleInbound(ctx, m)
	})
}

// Queue records that m's file is to be fetched, once; messages without a file are left alone.
func (f *Fetcher) Queue(ctx context.Context, m models.InboundMessage) error {
	if !models.IsMediaKind(m.Type) {
		return nil
	}
	md := whatsapp.DecodeMessage([]byte(m.Payload)).Media
	if md == nil {
		md = &whatsapp.Media{Kind: m.Type}
	}
	created, err := f.store.RecordInboundMedia(ctx, models.InboundMedia{BusinessID: m.BusinessID,
		InboundMessageID: m.ID, PhoneNumberID: m.PhoneNumberID, Kind: md.Kind, MediaID: md.ID,
		MimeType: md.MimeType, Filename: md.Filename})
	if err != nil {
		return err
	}
	if created {
		f.Wake()
	}
	return nil
}

// Run fetches until ctx ends, then waits for the files in hand.
func (f *Fetcher) Run(ctx context.Context) {
	t := time.NewTicker(f.Poll)
	defer t.Stop()
	for {
		for f.round(ctx) > 0 && ctx.Err() == nil {
		}
		if n, err := f.store.SettleExhaustedMedia(ctx, f.MaxAttempts); err != nil && ctx.Err() == nil {
			f.log.Error("settle exhausted media", "err", err)
		} else if n > 0 {
			f.log.Warn("media given up after its last try never finished", "files", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		case <-t.C:
		}
	}
}

// round claims due files and fetches them, Parallel at a time; it returns how many it claimed.
func (f *Fetcher) round(ctx context.Context) int {
	rows, err := f.store.ClaimInboundMedia(ctx, f.Parallel*2, f.Lease, f.MaxAttempts)
	if err != nil {
		if ctx.Err() == nil {
			f.log.Error("claim media to fetch", "err", err)
		}
		return 0
	}
	sem := make(chan struct{}, f.Parallel)
	var wg sync.WaitGroup
	for _, row := range rows {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			f.settle(context.WithoutCancel(ctx), row)
		}()
	}
	wg.Wait()
	return len(rows)
}

// settle makes one try at row and records its outcome: stored, retried later, or failed with the reason.
func (f *Fetcher) settle(ctx context.Context, row models.InboundMedia) {
	tctx, cancel := context.WithTimeout(ctx, f.Lease/2)
	key, mimeType, size, err := f.fetch(tctx, row)
	cancel()
	if err == nil {
		if err = f.store.MediaStored(ctx, row.BusinessID, row.ID, key, mimeType, size); err == nil {
			return
		}
		// Not recorded: the file would be kept with nothing pointing at it. Drop it; the retry fetches it again.
		if derr := f.files.Delete(ctx, key); derr != nil {
			f.log.Warn("drop unrecorded media file", "key", key, "err", derr)
		}
	}
	reason := err.Error()
	var perm *permanent
	if errors.As(err, &perm) || row.Attempts >= f.MaxAttempts {
		if row.Attempts >= f.MaxAttempts && perm == nil {
			reason = fmt.Sprintf("gave up after %d attempts: %s", row.Attempts, reason)
		}
		f.log.Warn("media not kept", "media", row.ID, "business", row.BusinessID, "kind", row.Kind, "reason", reason)
		if err := f.store.MediaFailed(ctx, row.BusinessID, row.ID, reason); err != nil {
			f.log.Error("record media failure", "media", row.ID, "err", err)
		}
		return
	}
	backoff := max(whatsapp.RetryAfter(err), time.Duration(1<<min(row.Attempts, 8))*time.Second) +
		time.Duration(rand.N(500))*time.Millisecond
	f.log.Info("media fetch will be retried", "media", row.ID, "in", backoff, "err", reason)
	if err := f.store.MediaRetry(ctx, row.BusinessID, row.ID, backoff, reason); err != nil {
		f.log.Error("release media", "media", row.ID, "err", err)
	}
}

// permanent is a failure a later try would repeat: too large, a refused type, a media id Meta does not know.
type permanent struct{ reason string }

func (p *permanent) Error() string { return p.reason }

// fetch looks row's media up, downloads it within the cap, checks it and keeps it; it returns the key, the checked
// type and the size.
func (f *Fetcher) fetch(ctx context.Context, row models.InboundMedia) (string, string, int64, error) {
	phone, err := f.store.PhoneNumber(ctx, row.BusinessID, row.PhoneNumberID)
	if err != nil {
		return "", "", 0, fmt.Errorf("load phone number: %w", err)
	}
	token, err := f.tokens.Open(phone.AccessTokenEnc)
	if err != nil {
		return "", "", 0, &permanent{"the number's access token cannot be opened"}
	}
	info, err := f.graph.Media(ctx, token, row.MediaID)
	if err != nil {
		return "", "", 0, graphFailure("look up media", err)
	}
	if info.FileSize > f.MaxBytes {
		return "", "", 0, &permanent{fmt.Sprintf("too large: %d bytes, the limit is %d", info.FileSize, f.MaxBytes)}
	}
	announced := info.MimeType
	if announced == "" {
		announced = row.MimeType
	}
	if err := mediacheck.Accepts(row.Kind, announced); err != nil {
		return "", "", 0, &permanent{err.Error()}
	}
	data, _, err := f.graph.DownloadMedia(ctx, token, info.URL, f.MaxBytes)
	if errors.Is(err, whatsapp.ErrMediaTooLarge) {
		return "", "", 0, &permanent{fmt.Sprintf("too large: over the limit of %d bytes", f.MaxBytes)}
	}
	if err != nil {
		return "", "", 0, graphFailure("download media", err)
	}
	mimeType, ext, err := mediacheck.Check(row.Kind, announced, data)
	if err != nil {
		return "", "", 0, &permanent{err.Error()}
	}
	key := mediastore.Key(fmt.Sprintf("b%d/in", row.BusinessID), ext)
	if err := f.files.Put(ctx, key, data, mimeType); err != nil {
		return "", "", 0, fmt.Errorf("keep media: %w", err)
	}
	return key, mimeType, int64(len(data)), nil
}

// graphFailure marks Graph API refusals that will not change (an unknown or expired media id, a bad request) as
// permanent; outages, rate limits and refused tokens (which the merchant can fix by reconnecting) are retried.
func graphFailure(op string, err error) error {
	if whatsapp.IsPermanent(err) {
		return &permanent{fmt.Sprintf("%s: %v", op, err)}
	}
	return fmt.Errorf("%s: %w", op, err)
}
