package outbox

import (
	"sync"
	"time"
)

// maxInlineWait is the longest a worker sleeps for a rate limit before sending; a longer wait puts the message
// back in the queue, due when the limit allows it, and frees the worker for other recipients.
const maxInlineWait = 100 * time.Millisecond

// limiter keeps Meta's sending limits in this instance, as GCRA schedules (a token bucket told as "the time the
// next message may go"):
//   - throughput per phone number: rate messages per second, bursts of up to one second's worth;
//   - the pair rate limit per (phone number, recipient): Meta allows about one message every 6 seconds to one user,
//     with bursts (up to 45 in a few seconds, paid back afterwards); we allow PairBurst, and keep RecipientGap
//     between two messages so a burst of replies arrives in order;
//   - pauses after Meta said a limit was hit: one number (130429, 80007, HTTP 429), one recipient (131056) or
//     every number (4, the app's call budget).
//
// It is per instance. With several instances, a number's throughput is booked in Valkey instead (see shared.go),
// and this limiter keeps it only while Valkey is down, at this instance's share; Meta's rate-limit errors, retried
// with backoff, catch what the instances do not see of each other.
//
// Why not golang.org/x/time/rate: a send is booked on the number's and the pair's schedules together, at the
// later of the two (and of the gap and any pause), and only if that is within maxInlineWait; rate.Limiter books
// each bucket at its own earliest time and restores a cancelled token only approximately, and has no pause.
// The shared budget across instances (shared.go, cache.Valkey.Reserve) is a GCRA in Valkey for the same reason as
// cache/rate.go says: one schedule on one clock for every instance.
type limiter struct {
	mu        sync.Mutex
	phones    map[int64]*schedule
	pairs     map[pairKey]*schedule
	allPaused time.Time
	period    time.Duration // pair: one message per period, sustained
	burst     int
	gap       time.Duration
	swept     time.Time
}

type pairKey struct {
	phone int64
	to    string
}

// schedule is one GCRA: tat is the theoretical arrival time of the next message; last is when the last one went;
// until blocks it outright (a pause Meta asked for).
type schedule struct {
	tat, last, until time.Time
}

func newLimiter() *limiter {
	return &limiter{phones: map[int64]*schedule{}, pairs: map[pairKey]*schedule{},
		period: 6 * time.Second, burst: 30, gap: 250 * time.Millisecond}
}

func (l *limiter) configure(period time.Duration, burst int, gap time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.period, l.burst, l.gap = period, max(burst, 1), gap
}

// earliest is when a message may go on s, at or after now, with emission interval t and burst n.
func (s *schedule) earliest(now time.Time, t time.Duration, n int) time.Time {
	at := s.tat.Add(-t * time.Duration(n-1))
	for _, x := range []time.Time{now, s.until} {
		if at.Before(x) {
			at = x
		}
	}
	return at
}

func (s *schedule) take(at time.Time, t time.Duration) {
	if s.tat.Before(at) {
		s.tat = at
	}
	s.tat = s.tat.Add(t)
	s.last = at
}

// reserve says how long to wait before sending from phone to recipient. If that is at most maxInlineWait, the
// send is booked (ok true) and the caller sleeps wait then sends; otherwise nothing is booked and the caller puts
// the message off by wait. rate 0 leaves the number's throughput out (booked elsewhere: the shared budget); its
// pauses still apply.
func (l *limiter) reserve(now time.Time, phone int64, rate int, to string) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	ph, pr := getSchedule(l.phones, phone), getSchedule(l.pairs, pairKey{phone, to})
	perMsg := time.Duration(0)
	at := ph.earliest(now, 0, 1)
	if rate > 0 {
		perMsg = time.Second / time.Duration(rate)
		at = ph.earliest(now, perMsg, rate)
	}
	for _, x := range []time.Time{l.allPaused, pr.earliest(now, l.period, l.burst), pr.last.Add(l.gap)} {
		if at.Before(x) {
			at = x
		}
	}
	if wait = at.Sub(now); wait > maxInlineWait {
		return wait, false
	}
	if rate > 0 {
		ph.take(at, perMsg)
	}
	pr.take(at, l.period)
	return wait, true
}

// reservePhone is reserve for the number's throughput alone (rate per second), this instance's share of it while
// the shared budget cannot be asked.
func (l *limiter) reservePhone(now time.Time, phone int64, rate int) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rate = max(rate, 1)
	ph := getSchedule(l.phones, phone)
	perMsg := time.Second / time.Duration(rate)
	at := ph.earliest(now, perMsg, rate)
	if at.Before(l.allPaused) {
		at = l.allPaused
	}
	wait := at.Sub(now)
	if wait > maxInlineWait {
		return wait, false
	}
	ph.take(at, perMsg)
	return wait, true
}

func (l *limiter) pausePhone(phone int64, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := getSchedule(l.phones, phone); s.until.Before(until) {
		s.until = until
	}
}

func (l *limiter) pauseAll(until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.allPaused.Before(until) {
		l.allPaused = until
	}
}

func (l *limiter) blockPair(phone int64, to string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := getSchedule(l.pairs, pairKey{phone, to}); s.until.Before(until) {
		s.until = until
	}
}

func getSchedule[K comparable](m map[K]*schedule, k K) *schedule {
	s := m[k]
	if s == nil {
		s = &schedule{}
		m[k] = s
	}
	return s
}

// sweepEvery is how often the limiter forgets recipients whose schedules have fully recovered. A recipient is
// kept for about period × messages after its last reply (12 s after the usual two); swept once a minute, a backlog
// of new customers (400 a second in the benchmark's drain) kept ~29,000 of them, 4.7 MB of the heap; every 5 s it
// keeps what the last ~17 s sent to. A sweep is a walk of the map under the lock: ~1 ms at 20,000 recipients.
const sweepEvery = 5 * time.Second

// sweep forgets recipients whose schedules have fully recovered, so the map stays the size of the recent
// conversations.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < sweepEvery {
		return
	}
	l.swept = now
	for k, s := range l.pairs {
		if s.tat.Before(now) && s.until.Before(now) && now.Sub(s.last) > l.gap {
			delete(l.pairs, k)
		}
	}
}
