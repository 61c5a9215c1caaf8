package outbox

import (
	"sync"
	"time"
)

// limiter is a token bucket per phone number: Meta caps each number's throughput (80 messages/s by default).
// It is per instance; several instances each keep their own budget, so set the rate to the number's share.
type limiter struct {
	mu      sync.Mutex
	rate    int
	buckets map[int64]*bucket
	last    map[string]time.Time // recipient → last send, for pacing
}

// recipientGap spaces messages to one recipient, so a burst of replies arrives in order and stays far below Meta's
// pair rate limit (131056, which the outbox also backs off from).
const recipientGap = 250 * time.Millisecond

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate int) *limiter {
	return &limiter{rate: rate, buckets: map[int64]*bucket{}, last: map[string]time.Time{}}
}

// pace blocks until recipientGap has passed since the last send to recipient.
func (l *limiter) pace(recipient string) {
	l.mu.Lock()
	now := time.Now()
	next := l.last[recipient].Add(recipientGap)
	if next.Before(now) {
		next = now
	}
	l.last[recipient] = next
	if len(l.last) > 100000 {
		for k, v := range l.last {
			if now.Sub(v) > time.Minute {
				delete(l.last, k)
			}
		}
	}
	l.mu.Unlock()
	time.Sleep(time.Until(next))
}

// wait blocks until phoneID may send one message at rate per second (the number's own, or the default).
func (l *limiter) wait(phoneID int64, rate int) {
	if rate <= 0 {
		rate = l.rate
	}
	for {
		l.mu.Lock()
		b := l.buckets[phoneID]
		now := time.Now()
		if b == nil {
			b = &bucket{tokens: float64(rate), last: now}
			l.buckets[phoneID] = b
		}
		b.tokens = min(float64(rate), b.tokens+now.Sub(b.last).Seconds()*float64(rate))
		b.last = now
		if b.tokens >= 1 {
			b.tokens--
			l.mu.Unlock()
			return
		}
		need := time.Duration((1 - b.tokens) / float64(rate) * float64(time.Second))
		l.mu.Unlock()
		time.Sleep(need)
	}
}
