package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/requestid"
	"github.com/waorder/waorder/whatsapp"
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
	// Parallel messages are handled at once; BusyParallel while webhook deliveries wait for their commit (see Arrivals).
	Parallel     int
	BusyParallel int
	// Queued hears that a fallback reply was queued (wake the outbox); may be nil.
	Queued func()
	sweep  chan struct{}
}

// NewProcessor makes a processor that takes the messages arrivals announces (the ingest service's, or nil: the sweep
// alone finds them) and hands them to h; Run starts it.
func NewProcessor(store *repository.Store, arrivals *Arrivals, h Handler, log *slog.Logger) *Processor {
	if arrivals == nil {
		arrivals = NewArrivals()
	}
	return &Processor{store: store, handler: h, log: log, arrivals: arrivals,
		Lease: time.Minute, Poll: 2 * time.Second, MaxAttempts: 5, Parallel: 8, BusyParallel: 2,
		sweep: make(chan struct{}, 1)}
}

// Wake makes Run sweep for pending messages now rather than at its next Poll, e.g. when another instance stored
// some; it never blocks.
func (p *Processor) Wake() {
	select {
	case p.sweep <- struct{}{}:
	default:
	}
}

// Run processes until ctx ends, then waits for messages in hand.
func (p *Processor) Run(ctx context.Context) {
	t := time.NewTicker(p.Poll)
	defer t.Stop()
	p.round(ctx, nil) // whatever an earlier run left
	p.settleExhausted(ctx)
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
		case <-p.sweep:
			for p.round(ctx, nil) > 0 && ctx.Err() == nil {
			}
		case <-t.C:
			for p.round(ctx, nil) > 0 && ctx.Err() == nil {
			}
			p.settleExhausted(ctx)
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
	g := newGate(func() int {
		if p.arrivals.Busy() {
			return max(1, min(p.BusyParallel, p.Parallel))
		}
		return p.Parallel
	})
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done []int64
	)
	for _, m := range msgs {
		g.enter()
		wg.Add(1)
		go func(m models.InboundMessage) {
			defer func() { g.leave(); wg.Done() }()
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

// gate admits handlers while fewer than limit() run. The limit is read again on every admission, so a burst of
// webhooks lowers it for the handlers started after it; those already running finish (a handler is never preempted).
type gate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	running int
	limit   func() int
}

func newGate(limit func() int) *gate {
	g := &gate{limit: limit}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// enter waits for a free place. It only ever waits while a handler runs (limit() ≥ 1), whose leave wakes it.
func (g *gate) enter() {
	g.mu.Lock()
	for g.running >= g.limit() {
		g.cond.Wait()
	}
	g.running++
	g.mu.Unlock()
}

func (g *gate) leave() {
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
	g.cond.Broadcast()
}

// handle runs the handler on m; it reports success, and deals with failure itself (retry later, or give up). A
// panic in the handler is this message's failure, like an error: it never reaches the other messages. The handler
// runs with the id of the webhook request that delivered m (requestid): its log lines and the replies it queues
// carry it.
func (p *Processor) handle(ctx context.Context, m models.InboundMessage) bool {
	ctx = requestid.With(ctx, m.RequestID)
	hctx, cancel := context.WithTimeout(ctx, p.Lease/2)
	err := p.safeHandle(hctx, m)
	cancel()
	if err == nil {
		p.log.InfoContext(ctx, "inbound message handled", "id", m.ID, "wamid", m.Wamid, "attempt", m.Attempts)
		return true
	}
	if m.Attempts >= p.MaxAttempts {
		p.giveUp(ctx, m, fmt.Sprintf("gave up after %d attempts: %v", m.Attempts, err))
		return false
	}
	backoff := time.Duration(1<<min(m.Attempts, 8))*time.Second + time.Duration(rand.N(500))*time.Millisecond
	p.log.WarnContext(ctx, "inbound message will be retried", "id", m.ID, "wamid", m.Wamid, "in", backoff, "err", err)
	if err := p.store.ReleaseClaim(ctx, m.BusinessID, m.ID, backoff, err.Error()); err != nil {
		p.log.ErrorContext(ctx, "release inbound message", "id", m.ID, "err", err)
	}
	return false
}

// safeHandle runs the handler, turning a panic into an error that carries its value (the stack goes to the log).
func (p *Processor) safeHandle(ctx context.Context, m models.InboundMessage) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.log.ErrorContext(ctx, "handling an inbound message panicked", "id", m.ID, "wamid", m.Wamid, "panic", fmt.Sprint(r),
				"stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return p.handler.HandleInbound(ctx, m)
}

// settleExhausted gives up on messages whose last attempt never finished (the service died during it): nobody
// would claim them again, and their customer would never hear back.
func (p *Processor) settleExhausted(ctx context.Context) {
	msgs, err := p.store.ExhaustedInbound(ctx, p.MaxAttempts, 100)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error("list exhausted inbound messages", "err", err)
		}
		return
	}
	for _, m := range msgs {
		reason := m.ProcessError
		if reason == "" {
			reason = "the service stopped while handling it"
		}
		p.giveUp(ctx, m, fmt.Sprintf("gave up after %d attempts: %s", m.Attempts, reason))
	}
}

// giveUp marks m failed with reason, where the merchant sees it, flags the customer's thread for a person, and
// queues the customer one polite fallback reply (catalog id fallback.inbound, in the customer's language, carrying
// m's request id like the bot's replies), all in one transaction: the same for a message that failed its last
// attempt here and for one whose last attempt died with the service (settleExhausted).
func (p *Processor) giveUp(ctx context.Context, m models.InboundMessage, reason string) {
	ctx = requestid.With(ctx, m.RequestID)
	p.log.ErrorContext(ctx, "inbound message given up", "id", m.ID, "wamid", m.Wamid, "attempts", m.Attempts, "reason", reason)
	fallback, err := p.fallback(ctx, m)
	if err != nil {
		// Still settle it: the reason is kept for the merchant, who can answer by hand.
		p.log.ErrorContext(ctx, "build fallback reply", "id", m.ID, "err", err)
	}
	settled, err := p.store.GiveUpInbound(ctx, m, reason, fallback)
	if err != nil {
		p.log.ErrorContext(ctx, "mark inbound message failed", "id", m.ID, "err", err)
		return
	}
	if settled && fallback != nil && p.Queued != nil {
		p.Queued()
	}
}

func (p *Processor) fallback(ctx context.Context, m models.InboundMessage) (*models.OutboundMessage, error) {
	cust, err := p.store.Customer(ctx, m.BusinessID, m.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("load customer %d: %w", m.CustomerID, err)
	}
	lang, err := p.store.CustomerLanguage(ctx, m.BusinessID, m.CustomerID)
	if err != nil {
		return nil, err
	}
	msg, err := whatsapp.NewText(cust.WaID, locale.For(lang).T("fallback.inbound"), false)
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encode fallback reply: %w", err)
	}
	return &models.OutboundMessage{BusinessID: m.BusinessID, PhoneNumberID: m.PhoneNumberID, CustomerID: m.CustomerID,
		ToWaID: cust.WaID, Kind: msg.Type, Payload: string(payload), Summary: msg.Summary(),
		IdempotencyKey: "fallback:" + m.Wamid}, nil
}
