// Package outbox sends the messages other parts of the service wrote to the outbound_messages table: workers claim
// due rows with a lease, send them through the Graph API, and record the outcome. It enforces Meta's limits (a
// throughput budget per phone number, the 24-hour window, per-recipient backoff) and retries what can be retried.
// It decides nothing about what to say; it only delivers.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
)

// Sender is the Graph API's send call (*whatsapp.Client).
type Sender interface {
	Send(ctx context.Context, phoneNumberID, token string, payload []byte) (string, error)
}

// Outbox runs the send workers of one instance. Several instances may run on one database.
type Outbox struct {
	store   *repository.Store
	sender  Sender
	box     *secretbox.Box
	log     *slog.Logger
	metrics *metrics.Metrics
	owner   string
	wake    chan struct{}
	limits  *limiter

	Workers     int           // concurrent sends
	Lease       time.Duration // how long a claimed message is ours; longer than a send can take
	Poll        time.Duration // how often to look for due messages without a Wake
	MaxAttempts int           // then the message fails
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
}

// New makes an outbox; ratePerSec is the default throughput budget of a phone number (its send_rate_per_sec
// overrides it). m may be nil.
func New(store *repository.Store, sender Sender, box *secretbox.Box, log *slog.Logger, m *metrics.Metrics, ratePerSec int) *Outbox {
	id := make([]byte, 6)
	rand.Read(id) //nolint:errcheck // crypto/rand never fails on Linux
	return &Outbox{
		store: store, sender: sender, box: box, log: log, metrics: m,
		owner: hex.EncodeToString(id), wake: make(chan struct{}, 1), limits: newLimiter(ratePerSec),
		Workers: 4, Lease: time.Minute, Poll: time.Second, MaxAttempts: 12,
		BaseBackoff: time.Second, MaxBackoff: 10 * time.Minute,
	}
}

// Wake makes the workers look for due messages now; it never blocks.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run claims and sends until ctx ends, then finishes the sends in hand.
func (o *Outbox) Run(ctx context.Context) {
	t := time.NewTicker(o.Poll)
	defer t.Stop()
	for {
		for o.round(ctx) > 0 && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-t.C:
		}
	}
}

// round claims a batch of due messages (at most one per customer) and sends them with Workers in parallel.
func (o *Outbox) round(ctx context.Context) int {
	msgs, err := o.store.ClaimOutbound(ctx, o.Workers*4, o.Lease, o.owner)
	if err != nil {
		if ctx.Err() == nil {
			o.log.Error("claim outbound messages", "err", err)
		}
		return 0
	}
	sem := make(chan struct{}, o.Workers)
	var wg sync.WaitGroup
	for _, m := range msgs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			o.deliver(context.WithoutCancel(ctx), m)
		}()
	}
	wg.Wait()
	return len(msgs)
}

func (o *Outbox) count(result string) {
	if o.metrics != nil {
		o.metrics.Sends.WithLabelValues(result).Inc()
	}
}
