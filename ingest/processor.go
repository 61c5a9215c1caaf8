package ingest

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

// Handler processes one stored inbound message (the ordering bot). It runs after the webhook was answered; an error
// means "try again later", so it must be idempotent.
type Handler interface {
	HandleInbound(ctx context.Context, m models.InboundMessage) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m models.InboundMessage) error

// HandleInbound calls f.
func (f HandlerFunc) HandleInbound(ctx context.Context, m models.InboundMessage) error {
	return f(ctx, m)
}

// Processor hands stored inbound messages to the Handler. It claims with a lease, so a crash after the 200 loses
// nothing: the lease runs out and this or another instance takes the message again (at start, at once). Per customer,
// messages are handled one at a time in arrival order, across instances too.
//
// Messages this instance just stored arrive through Arrivals and are claimed by id (index probes); a periodic sweep
// claims whatever else is pending (retries, other instances' crashes, a full Arrivals buffer), so the scan of every
// pending row runs every Poll, not on every webhook.
type Processor struct {
	store       *repository.Store
	handler     Handler
	log         *slog.Logger
	arrivals    *Arrivals
	Lease       time.Duration
	Poll        time.Duration
	MaxAttempts int
	Parallel    int
}

// NewProcessor makes a processor that takes the messages arrivals announces (the ingest service's, or nil: the sweep
// alone finds them) and hands them to h; Run starts it.
func NewProcessor(store *repository.Store, arrivals *Arrivals, h Handler, log *slog.Logger) *Processor {
	if arrivals == nil {
		arrivals = NewArrivals()
	}
	return &Processor{store: store, handler: h, log: log, arrivals: arrivals,
		Lease: time.Minute, Poll: 2 * time.Second, MaxAttempts: 5, Parallel: 8}
}

// Run processes until ctx ends, then waits for messages in hand.
func (p *Processor) Run(ctx context.Context) {
	t := time.NewTicker(p.Poll)
	defer t.Stop()
	p.round(ctx, nil) // whatever an earlier run left
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.arrivals.kick:
			for ids := p.arrivals.take(); len(ids) > 0 && ctx.Err() == nil; ids = p.arrivals.take() {
				if p.round(ctx, ids) == 0 {
					break // all of them wait behind older messages in hand elsewhere: the sweep finds them
				}
			}
		case <-t.C:
			for p.round(ctx, nil) > 0 && ctx.Err() == nil {
			}
		}
	}
}

// round claims the oldest waiting message of each customer (among ids, or among all pending ones when ids is nil)
// and handles them in parallel; it returns how many it handled.
func (p *Processor) round(ctx context.Context, ids []int64) int {
	limit := p.Parallel * 4
	if ids != nil {
		limit = len(ids)
	}
	msgs, err := p.store.ClaimUnprocessed(ctx, ids, limit, p.Lease, p.MaxAttempts)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error("claim inbound messages", "err", err)
		}
		return 0
	}
	p.arrivals.forget(msgs)
	sem := make(chan struct{}, p.Parallel)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done []int64
	)
	for _, m := range msgs {
		sem <- struct{}{}
		wg.Add(1)
		go func(m models.InboundMessage) {
			defer func() { <-sem; wg.Done() }()
			if p.handle(context.WithoutCancel(ctx), m) {
				mu.Lock()
				done = append(done, m.ID)
				mu.Unlock()
			}
		}(m)
	}
	wg.Wait()
	// One statement for every success of the round; until it commits the leases keep other instances off them.
	if err := p.store.MarkProcessedBatch(context.WithoutCancel(ctx), done); err != nil {
		p.log.Error("mark inbound messages processed", "err", err)
	}
	return len(msgs)
}

// handle runs the handler on m; it reports success, and deals with failure itself (retry later, or give up).
func (p *Processor) handle(ctx context.Context, m models.InboundMessage) bool {
	hctx, cancel := context.WithTimeout(ctx, p.Lease/2)
	err := p.handler.HandleInbound(hctx, m)
	cancel()
	if err == nil {
		return true
	}
	if m.Attempts >= p.MaxAttempts {
		p.log.Error("inbound message given up", "id", m.ID, "wamid", m.Wamid, "attempts", m.Attempts, "err", err)
		if err := p.store.MarkProcessed(ctx, m.BusinessID, m.ID, err.Error()); err != nil {
			p.log.Error("mark inbound message failed", "id", m.ID, "err", err)
		}
		if err := p.store.FlagThread(ctx, m.BusinessID, m.CustomerID, "the bot failed on a message"); err != nil {
			p.log.Error("flag thread for a person", "customer", m.CustomerID, "err", err)
		}
		return false
	}
	backoff := time.Duration(1<<min(m.Attempts, 8))*time.Second + time.Duration(rand.N(500))*time.Millisecond
	p.log.Warn("inbound message will be retried", "id", m.ID, "in", backoff, "err", err)
	if err := p.store.ReleaseClaim(ctx, m.BusinessID, m.ID, backoff, err.Error()); err != nil {
		p.log.Error("release inbound message", "id", m.ID, "err", err)
	}
	return false
}
