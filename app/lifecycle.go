package app

// The running service's life: Run starts the workers and serves, stops them in order within SHUTDOWN_GRACE, and
// Close releases what New opened.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/repository"
)

// Run serves HTTP and runs the workers until ctx ends, then stops in order: stop accepting, finish in-flight
// requests, commit accepted webhooks, stop workers. It returns early only when the listener fails.
func (s *Service) Run(ctx context.Context) error {
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(workCtx) }()
	}
	if s.cfg.RunWorkers {
		run(s.proc.Run)
		run(s.media.Run)
		run(s.outbox.Run)
		run(newRetention(s.cfg, s.store, s.files, s.log, s.metrics).Run)
		run(func(ctx context.Context) { s.onboarding.Run(ctx, s.accountPoll()) })
		if s.store.Postgres() {
			run(s.hearWakes)
		}
	} else {
		// Web-only: the instances running the workers hear of stored messages and queued replies at once.
		run(func(ctx context.Context) { s.arrivals.Forward(ctx, s.notify(repository.WakeInbound)) })
		run(func(ctx context.Context) { s.outbox.Forward(ctx, s.notify(repository.WakeOutbound)) })
	}
	run(func(ctx context.Context) {
		metrics.MonitorMemory(ctx, s.log, s.cfg.MemoryWarnMB, s.cfg.MemoryCriticalMB, s.cfg.MemoryInterval)
	})
	run(func(ctx context.Context) { s.accounts.RunSessionPurge(ctx, sessionPurgeEvery) })
	// Every instance keeps the planner's statistics: a web-only one's commits read the tables its webhooks grow.
	run(func(ctx context.Context) { keepStatistics(ctx, s.store, s.log) })

	s.log.Info("listening", "addr", s.ln.Addr().String(), "database", dbKind(s.store), "cache", s.cache.Status(),
		"sandbox", s.cfg.Sandbox, "workers", s.cfg.RunWorkers)
	served := make(chan error, 2)
	go func() { served <- s.http.Listener(s.ln) }()
	if s.ops != nil {
		s.log.Info("operator listener (/metrics, /memory)", "addr", s.opsLn.Addr().String())
		go func() {
			if err := s.ops.Listener(s.opsLn); err != nil {
				served <- fmt.Errorf("operator listener: %w", err)
			}
		}()
	}
	var err error
	select {
	case err = <-served:
		err = fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.shutdown(func() {
		s.ingest.Close()
		stopWork()
		wg.Wait()
	})
	return err
}

// hearWakes listens for web-only instances' notifications (repository.Listen) and wakes the bot's sweep or the
// outbox, until ctx ends; a dropped connection is logged and listened again after a pause that doubles up to 30 s.
// Without it those instances' work would wait for the next sweep (Poll), never be lost.
func (s *Service) hearWakes(ctx context.Context) {
	on := func(ch string) {
		switch ch {
		case repository.WakeInbound:
			s.proc.Wake()
		case repository.WakeOutbound:
			s.outbox.Wake()
		}
	}
	pause := time.Second
	for {
		err := s.store.Listen(ctx, []string{repository.WakeInbound, repository.WakeOutbound}, on)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("listening for other instances' work; the sweeps find it meanwhile", "err", err, "retry_in", pause)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

// notify returns a wake for Forward: it notifies channel, and logs a failure (the workers' sweep finds the work).
func (s *Service) notify(channel string) func(context.Context) {
	return func(ctx context.Context) {
		if err := s.store.Notify(ctx, channel); err != nil && ctx.Err() == nil {
			s.log.Warn("wake the instances running the workers; their sweep finds the work", "err", err)
		}
	}
}

// shutdown stops within the grace period (SHUTDOWN_GRACE), whatever hangs, even a paused database: the HTTP server
// gets most of it to finish its requests, the operator listener at most what is left (a scrape hung on the
// database must not stretch the stop), then the committers and workers get the rest. Work still running at the end
// is abandoned, not lost: a webhook whose commit did not finish was not answered 200, and claimed rows go back to
// the queue when their lease runs out.
func (s *Service) shutdown(stopWork func()) {
	grace := s.cfg.ShutdownGrace
	if grace <= 0 {
		grace = 25 * time.Second
	}
	deadline := time.Now().Add(grace)
	s.log.Info("shutting down", "grace", grace)
	if err := s.http.ShutdownWithTimeout(min(s.opts.shutdown, grace*3/5)); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("http shutdown", "err", err)
	}
	if s.ops != nil {
		if err := s.ops.ShutdownWithTimeout(min(5*time.Second, max(time.Until(deadline), 0))); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("operator listener shutdown", "err", err)
		}
	}
	done := make(chan struct{})
	go func() { stopWork(); close(done) }()
	select {
	case <-done:
		s.log.Info("stopped")
	case <-time.After(time.Until(deadline)):
		s.log.Error("shutdown grace period over; abandoning the work in hand (its leases hand it to another instance)",
			"grace", grace)
	}
}

// Close releases what New opened (sandbox, cache, database unless the caller's, listener). Call it after Run
// returned, or instead of Run.
func (s *Service) Close() error {
	s.once.Do(func() {
		for i := len(s.closers) - 1; i >= 0; i-- {
			s.closers[i]()
		}
	})
	return nil
}
