package ingest

import (
	"sync"
	"sync/atomic"

	"github.com/waorder/waorder/models"
)

// Arrivals carries the ids of inbound messages a webhook commit just stored from the ingest service to the
// processor (its fast path), and wakes the processor. It is built first and handed to both, so neither needs the
// other: the service writes, the processor reads.
//
// It also tells the processor how many webhook deliveries are waiting for their commit. Meta's 200 waits for that
// commit, while the bot's work can wait; so while any wait, the processor runs fewer handlers at once (its
// BusyParallel) and leaves the database connections and the CPU to the commits.
type Arrivals struct {
	mu      sync.Mutex
	fresh   map[int64]int // id → rounds it has waited behind an older message of its customer
	kick    chan struct{}
	waiting atomic.Int64
}

// maxFresh bounds the ids kept for the fast path; past it, the sweep finds the rest.
const maxFresh = 10000

// NewArrivals makes an empty hand-off.
func NewArrivals() *Arrivals {
	return &Arrivals{fresh: map[int64]int{}, kick: make(chan struct{}, 1)}
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

// committing counts a delivery waiting for its commit (+1), or done with it (-1). Safe on a nil *Arrivals.
func (a *Arrivals) committing(delta int64) {
	if a != nil {
		a.waiting.Add(delta)
	}
}

// Busy reports whether webhook deliveries are waiting for their commit.
func (a *Arrivals) Busy() bool { return a.waiting.Load() > 0 }

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
