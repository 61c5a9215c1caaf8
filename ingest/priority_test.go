package ingest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// concurrency is a Handler that records how many messages it handled at once. Until wide is reached, each handler
// waits (up to a bound) for others to join, so a gate that admits wide handlers is seen doing so.
type concurrency struct {
	mu       sync.Mutex
	running  int
	peak     int
	handled  int
	wide     int
	reached  chan struct{}
	reachedO sync.Once
}

func (c *concurrency) HandleInbound(ctx context.Context, _ models.InboundMessage) error {
	c.mu.Lock()
	c.running++
	c.peak = max(c.peak, c.running)
	if c.running >= c.wide {
		c.reachedO.Do(func() { close(c.reached) })
	}
	c.mu.Unlock()
	select {
	case <-c.reached:
	case <-time.After(150 * time.Millisecond):
	case <-ctx.Done():
	}
	c.mu.Lock()
	c.running--
	c.handled++
	c.mu.Unlock()
	return nil
}

func (c *concurrency) stats() (peak, handled int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peak, c.handled
}

func TestProcessor_WhileWebhooksWaitForTheirCommitTheBotRunsFewerHandlers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		waiting  time.Duration // how long a delivery has been waiting for its commit; 0: none waits
		wantPeak func(peak int) bool
	}{
		{"a webhook waiting long for its commit: at most BusyParallel", time.Minute, func(peak int) bool { return peak >= 1 && peak <= 2 }},
		{"no webhook waiting: more than BusyParallel", 0, func(peak int) bool { return peak > 2 && peak <= 8 }},
		// A delivery whose commit is being made promptly (the steady trickle of status webhooks after every send)
		// does not slow the bot. Its wait is dated an hour ahead so that it stays short however slow this run is.
		{"a webhook waiting briefly: more than BusyParallel", -time.Hour, func(peak int) bool { return peak > 2 && peak <= 8 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testutil.SQLite(t)
			seed(t, s)
			ing := ingest.New(s, quiet, ingest.Options{}, nil)
			for i := range 12 {
				body := textBody(fmt.Sprintf("w%d", i), fmt.Sprintf("1555%03d", i), "hi") // 12 customers: no ordering wait
				if err := ing.Accept(context.Background(), body); err != nil {
					t.Fatal(err)
				}
			}
			ing.Close()

			arrivals := ingest.NewArrivals()
			if tc.waiting != 0 {
				defer ingest.HoldCommitting(arrivals, time.Now().Add(-tc.waiting))()
			}
			h := &concurrency{wide: 3, reached: make(chan struct{})}
			p := ingest.NewProcessor(s, arrivals, h, quiet)
			p.Parallel, p.BusyParallel = 8, 2
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { p.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			waitFor(t, "12 handled messages", func() bool { _, n := h.stats(); return n == 12 })
			if peak, _ := h.stats(); !tc.wantPeak(peak) {
				t.Fatalf("%d handlers ran at once", peak)
			}
		})
	}
}
