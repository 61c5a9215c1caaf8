package ingest

import (
	"context"
	"sync"
	"time"

	"github.com/waorder/waorder/models"
)

// Arrivals carries the ids of inbound messages a webhook commit just stored from the ingest service to the
// processor (its fast path), and wakes the processor. It is built first and handed to both, so neither needs the
// other: the service writes, the processor reads.
//
// It also tells the processor when webhook commits fall behind. Meta's 200 waits for that commit, while the bot's
// work can wait; so while a delivery has waited longer than slowCommit for its commit, the processor runs fewer
// handlers at once (its BusyParallel) and leaves the database connections and the CPU to the commits. A steady
// trickle of deliveries committed promptly (the status webhooks that follow every send) is not "behind": throttling
// the bot for it would halve its throughput for nothing.
type Arrivals struct {
	mu    sync.Mutex
	fresh map[int64]int // id → rounds it has waited behind an older message of its customer
	kick  chan struct{}

	wmu     sync.Mutex
	waiters map[uint64]time.Time // deliveries waiting for their commit → since when
	nextW   uint64
}

// slowCommit is how long a delivery may wait for its commit before the bot yields to the commits: well under the
// webhook latency the service aims for (p99 ≤ 20 ms), well over a prompt group commit.
const slowCommit = 10 * time.Millisecond

// maxFresh bounds the ids kept for the fast path; past it, the sweep finds the rest.
const maxFresh = 10000

// NewArrivals makes an empty hand-off.
func NewArrivals() *Arrivals {
	return &Arrivals{fresh: map[int64]int{}, kick: make(chan struct{}, 1), waiters: map[uint64]time.Time{}}
}

// Notify hands over the ids of messages just stored and wakes the processor; it never blocks.
func (a *Arrivals) Notify(ids []int64) {
	a.mu.Lock()
	for _, id := range ids {
		if len(a.fresh) >= maxFresh {
			break
		}
		a.fresh[id] = 0
	}
	a.mu.Unlock()
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// committing registers a delivery waiting for its commit since at; the returned func ends the wait. Safe on a nil
// *Arrivals.
func (a *Arrivals) committing(at time.Time) (done func()) {
	if a == nil {
		return func() {}
	}
	a.wmu.Lock()
	id := a.nextW
	a.nextW++
	a.waiters[id] = at
	a.wmu.Unlock()
	return func() {
		a.wmu.Lock()
		delete(a.waiters, id)
		a.wmu.Unlock()
	}
}

// Busy reports whether a webhook delivery has been waiting longer than slowCommit for its commit.
func (a *Arrivals) Busy() bool {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	for _, since := range a.waiters {
		if time.Since(since) >= slowCommit {
			return true
		}
	}
	return false
}

// Forward is the processor's side on a web-only instance, whose bot runs elsewhere: every wake-up drops the ids
// (the other instances' sweep claims them from the database) and calls wake, one call at a time, so a burst of
// commits costs one wake per call rather than one per commit. It returns when ctx ends.
func (a *Arrivals) Forward(ctx context.Context, wake func(context.Context)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.kick:
			a.mu.Lock()
			clear(a.fresh)
			a.mu.Unlock()
			wake(ctx)
		}
	}
}

// take returns the fast-path ids and forgets those that waited too many rounds.
func (a *Arrivals) take() []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := make([]int64, 0, min(len(a.fresh), 512))
	for id, waited := range a.fresh {
		if len(ids) == cap(ids) {
			break
		}
		if waited > 3 {
			delete(a.fresh, id)
			continue
		}
		a.fresh[id] = waited + 1
		ids = append(ids, id)
	}
	return ids
}

// forget drops the messages a round claimed.
func (a *Arrivals) forget(msgs []models.InboundMessage) {
	a.mu.Lock()
	for _, m := range msgs {
		delete(a.fresh, m.ID)
	}
	a.mu.Unlock()
}
