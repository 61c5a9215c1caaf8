package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valkey-io/valkey-go"
)

// pendingSet remembers the invalidations (key deletes, generation bumps) this instance could not apply while
// Valkey was unreachable, so they can be replayed when it answers again. Without it, another instance that still
// reaches Valkey would serve what this instance's writes made stale until the TTL. It is a set: recording a key
// twice costs nothing, and one replayed bump orphans every entry of its generation.
//
// It is bounded: past max entries new ones are dropped (and counted), and those keys are stale until their TTL.
type pendingSet struct {
	mu      sync.Mutex
	max     int
	seq     uint64
	dels    map[string]uint64     // key → seq of its last recording
	bumps   map[string]pendingTTL // generation key → seq and TTL
	dropped int
	n       atomic.Int64 // len(dels)+len(bumps), for a lock-free "anything to replay?"
}

type pendingTTL struct {
	seq uint64
	ttl time.Duration
}

func newPendingSet(max int) *pendingSet {
	return &pendingSet{max: max, dels: map[string]uint64{}, bumps: map[string]pendingTTL{}}
}

// addDeletes records keys; it reports true when this call started dropping entries (to log it once).
func (p *pendingSet) addDeletes(keys []string) (startedDropping bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		if _, ok := p.dels[k]; !ok && p.full() {
			startedDropping = startedDropping || p.dropped == 0
			p.dropped++
			continue
		}
		p.seq++
		p.dels[k] = p.seq
	}
	p.n.Store(int64(len(p.dels) + len(p.bumps)))
	return startedDropping
}

func (p *pendingSet) addBump(key string, ttl time.Duration) (startedDropping bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.bumps[key]; !ok && p.full() {
		p.dropped++
		return p.dropped == 1
	}
	p.seq++
	p.bumps[key] = pendingTTL{seq: p.seq, ttl: ttl}
	p.n.Store(int64(len(p.dels) + len(p.bumps)))
	return false
}

func (p *pendingSet) full() bool { return len(p.dels)+len(p.bumps) >= p.max }

// snapshot copies the set; forget later removes exactly what was replayed from it.
func (p *pendingSet) snapshot() (dels map[string]uint64, bumps map[string]pendingTTL, dropped int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	dels = make(map[string]uint64, len(p.dels))
	for k, s := range p.dels {
		dels[k] = s
	}
	bumps = make(map[string]pendingTTL, len(p.bumps))
	for k, b := range p.bumps {
		bumps[k] = b
	}
	return dels, bumps, p.dropped
}

// forget removes the replayed entries, except those recorded again since the snapshot: their replay may have
// reached Valkey before the write that recorded them again, so they must be replayed once more.
func (p *pendingSet) forget(dels map[string]uint64, bumps map[string]pendingTTL, dropped int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, s := range dels {
		if p.dels[k] == s {
			delete(p.dels, k)
		}
	}
	for k, b := range bumps {
		if p.bumps[k].seq == b.seq {
			delete(p.bumps, k)
		}
	}
	p.dropped -= dropped
	p.n.Store(int64(len(p.dels) + len(p.bumps)))
}

// replayChunk bounds the commands sent in one round trip while replaying.
const replayChunk = 256

// replay applies the recorded invalidations. Deletes and bumps are idempotent enough to repeat after a partial
// failure (a bump applied twice only orphans a generation twice), so an error keeps everything for next time.
func (v *Valkey) replay(ctx context.Context, c valkey.Client) error {
	if v.pending.n.Load() == 0 {
		return nil
	}
	dels, bumps, dropped := v.pending.snapshot()
	cmds := make(valkey.Commands, 0, len(dels)+2*len(bumps))
	for k := range dels {
		v.wrote(k)
		cmds = append(cmds, c.B().Del().Key(k).Build())
	}
	for k, b := range bumps {
		v.wrote(k)
		cmds = append(cmds, c.B().Incr().Key(k).Build(), c.B().Pexpire().Key(k).Milliseconds(b.ttl.Milliseconds()).Build())
	}
	for len(cmds) > 0 {
		n := min(len(cmds), replayChunk)
		v.attempts.Add(1)
		for _, r := range c.DoMulti(ctx, cmds[:n]...) {
			if err := r.Error(); fault(err) {
				return err
			}
		}
		cmds = cmds[n:]
	}
	v.pending.forget(dels, bumps, dropped)
	v.log.Info("valkey: replayed invalidations recorded while it was unreachable",
		"deletes", len(dels), "bumps", len(bumps), "dropped", dropped)
	return nil
}

// maybeReplay replays in the background after a success, for invalidations that failed while the circuit was
// still closed (a blip shorter than the breaker threshold). One replay runs at a time.
func (v *Valkey) maybeReplay() {
	if v.pending.n.Load() == 0 || !v.replaying.CompareAndSwap(false, true) {
		return
	}
	ok := v.br.spawn(func() {
		defer v.replaying.Store(false)
		c := v.acquire()
		if c == nil {
			return // the circuit opened meanwhile; the prober replays before closing it
		}
		ctx, cancel := context.WithTimeout(v.br.ctx, replayTimeout)
		defer cancel()
		v.record(ctx, v.replay(ctx, c))
	})
	if !ok {
		v.replaying.Store(false)
	}
}
