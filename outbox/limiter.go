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
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate int) *limiter { return &limiter{rate: rate, buckets: map[int64]*bucket{}} }

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
