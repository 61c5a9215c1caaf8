package cache

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// breaker is a circuit breaker with a background prober. After threshold consecutive failures it opens: callers
// see allow() == false and skip Valkey entirely, so an outage costs no timeouts. While open, one goroutine calls
// probe after a cool-down that doubles on each failed probe (up to maxCool); the first success closes it.
//
// Why not github.com/sony/gobreaker: its half-open state lets a caller's own request be the probe, so a request
// pays Valkey's time-out after each cool-down, and the cool-down is fixed. Here no request ever waits on a down
// Valkey (allow is one atomic load), the probe backs off with jitter across instances, and it replays the writes
// missed meanwhile (replay.go) before the circuit closes, which needs the close to be ours.
type breaker struct {
	threshold int32
	minCool   time.Duration
	maxCool   time.Duration
	probe     func(context.Context) error
	onOpen    func(err error)
	onClose   func(downFor time.Duration)

	fails  atomic.Int32
	isOpen atomic.Bool

	mu     sync.Mutex // guards closed and wg.Add against Close
	closed bool
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newBreaker(threshold int, minCool, maxCool time.Duration) *breaker {
	b := &breaker{threshold: int32(max(threshold, 1)), minCool: minCool, maxCool: max(maxCool, minCool)}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b
}

// allow reports whether a call may go to Valkey. It is one atomic load: the hot path of every cache call.
func (b *breaker) allow() bool { return !b.isOpen.Load() }

func (b *breaker) success() {
	if b.fails.Load() != 0 {
		b.fails.Store(0)
	}
}

func (b *breaker) failure(err error) {
	if b.fails.Add(1) >= b.threshold {
		b.trip(err)
	}
}

// trip opens the circuit, once per outage, and starts the prober. onOpen is nil-safe for the start-up case,
// which logs its own message.
func (b *breaker) trip(err error) {
	if !b.isOpen.CompareAndSwap(false, true) {
		return
	}
	if b.onOpen != nil {
		b.onOpen(err)
	}
	b.spawn(b.probeLoop)
}

// spawn runs f in a goroutine that Close waits for; it does nothing once closed.
func (b *breaker) spawn(f func()) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		f()
	}()
	return true
}

func (b *breaker) probeLoop() {
	start := time.Now()
	cool := b.minCool
	for {
		// ±10% jitter so that many instances do not probe a recovering server in lockstep.
		wait := cool + time.Duration((rand.Float64()-0.5)*0.2*float64(cool))
		t := time.NewTimer(wait)
		select {
		case <-b.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := b.probe(b.ctx); err == nil {
			b.fails.Store(0)
			b.isOpen.Store(false)
			if b.onClose != nil {
				b.onClose(time.Since(start))
			}
			return
		}
		cool = min(cool*2, b.maxCool)
	}
}

// close stops the prober and any other spawned work and waits for them.
func (b *breaker) close() {
	b.mu.Lock()
	b.closed = true
	b.cancel()
	b.mu.Unlock()
	b.wg.Wait()
}
