package guard

import "sync"

// Streams caps the long-lived live-feed (server-sent events) streams: at most PerKey per session and Total in all,
// so a page opened in many tabs, or a script opening streams, can't hold every connection and goroutine. It is a
// counter under a mutex, hand-written because a keyed semaphore with a global bound is not what the semaphore
// libraries offer, and it is a dozen lines.
type Streams struct {
	PerKey, Total int

	mu    sync.Mutex
	open  map[string]int
	total int
}

// Acquire takes a stream slot for key; ok false means a cap is reached (answer 429). release frees the slot.
func (s *Streams) Acquire(key string) (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		s.open = map[string]int{}
	}
	if s.total >= s.Total || s.open[key] >= s.PerKey {
		return nil, false
	}
	s.total++
	s.open[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.total--
			if s.open[key]--; s.open[key] <= 0 {
				delete(s.open, key)
			}
		})
	}, true
}
