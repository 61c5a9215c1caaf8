package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/handlers"
	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/ordering"
	"github.com/waorder/waorder/outbox"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/sandbox"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/whatsapp"
)

// serve runs the service until ctx ends, then stops in order: stop accepting, finish in-flight requests, commit
// accepted webhooks, stop workers, close pools.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if cfg.Sandbox {
		log.Warn("SANDBOX MODE: no Meta account is used; messages go to the built-in fake Graph API. " +
			"Set WHATSAPP_APP_SECRET (and the other production keys) to go live.")
	}
	store, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	c, err := cache.New(ctx, cfg.Valkey, log)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer c.Close()
	box, err := openBox(cfg)
	if err != nil {
		return err
	}
	if err := bootstrap(ctx, cfg, store, box, log); err != nil {
		return err
	}

	m := metrics.New()
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()

	// Inbound: webhooks are stored, then handed to the bot. Outbound: the outbox sends what the bot queued.
	var (
		out   *outbox.Outbox
		graph *whatsapp.Client
	)
	bot := &ordering.Bot{Store: store, Cache: c, Log: log}
	reading := make(chan struct{}, 16) // read receipts in flight; past that they are skipped (they are cosmetic)
	bot.AfterCommit = func(ctx context.Context, msg models.InboundMessage) {
		out.Wake()
		select {
		case reading <- struct{}{}:
			go func() {
				defer func() { <-reading }()
				markRead(context.WithoutCancel(ctx), store, box, graph, log, msg)
			}()
		default:
		}
	}
	// Messages held for a closed window need no release here: the outbox's claim takes them again by itself once
	// the customer has written after they were held (AfterCommit wakes it).
	var handler ingest.Handler = bot
	if cfg.FaultTestPanicText != "" {
		log.Warn("FAULT_TEST_PANIC_TEXT is set: the bot panics on that text (fault suite only)")
		handler = panicOnText(cfg.FaultTestPanicText, bot)
	}
	proc := ingest.NewProcessor(store, handler, log)
	proc.Queued = func() { out.Wake() }
	ing := ingest.New(store, log, ingest.Options{}, proc.Notify)

	graph = whatsapp.NewClient(cfg.GraphURL, cfg.GraphVer, nil)
	if cfg.Sandbox {
		sb := sandbox.New(ing, log, strconv.FormatInt(time.Now().UnixNano(), 36), 0)
		defer sb.Close()
		graph = sb.Client(cfg.GraphVer)
	}
	out = outbox.New(store, graph, box, log, m, cfg.SendRatePerSec)
	out.Workers = cfg.Workers
	out.HeldTTL = cfg.HeldMessageTTL

	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(workCtx) }()
	}
	run(proc.Run)
	run(out.Run)
	run(func(ctx context.Context) {
		metrics.MonitorMemory(ctx, log, cfg.MemoryWarnMB, cfg.MemoryCriticalMB, cfg.MemoryInterval)
	})

	// Merchants: the dashboard and the JSON API share the merchant service (cached reads, status changes that
	// notify the customer through the outbox) and the accounts service.
	merch := merchant.New(store, c, log)
	merch.SetWaker(out)
	accounts := auth.New(store, c, cfg.SessionKey(), log)
	if err := bootstrapLogin(ctx, cfg, store, accounts, log); err != nil {
		return err
	}
	// Start-up work (migrations, an argon2id hash of 19 MiB for the bootstrap login) is done: give its memory back
	// now rather than when the scavenger gets to it, so the idle footprint is what serving needs.
	debug.FreeOSMemory()
	dash := &handlers.Dashboard{
		Merchant: merch, Auth: accounts, Store: store, Ingest: ing, Log: log,
		Connect: &handlers.GraphConnector{Graph: graph, Store: store, Box: box, Cache: c, AppID: cfg.MetaAppID, AppSecret: cfg.AppSecret},
		Sandbox: cfg.Sandbox, AppSecret: cfg.AppSecret, MetaAppID: cfg.MetaAppID, MetaConfigID: cfg.MetaConfig,
		GraphVersion: cfg.GraphVer,
	}
	bot.OnOrder = func(_ context.Context, o models.Order) { dash.NotifyOrder(o.BusinessID) }

	// The dashboard comes last: its pages sit under "/", after the more specific routes.
	app := handlers.NewApp(log, cfg.BodyLimitBytes,
		&handlers.Health{DB: store, Cache: c, Metrics: m},
		&handlers.Webhook{AppSecret: cfg.AppSecret, VerifyToken: cfg.VerifyToken, Ingest: ing, Metrics: m, Log: log},
		&handlers.API{Merchant: merch, Auth: accounts, Log: log},
		dash,
	)
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on port %d: %w", cfg.Port, err)
	}
	log.Info("listening", "addr", ln.Addr().String(), "database", dbKind(store), "cache", c.Status(), "sandbox", cfg.Sandbox)
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", cfg.ShutdownGrace)
	shutdown(log, cfg.ShutdownGrace, app.ShutdownWithTimeout, func() {
		ing.Close()
		stopWork()
		wg.Wait()
	})
	return nil
}

// shutdown stops within grace, whatever hangs: the HTTP server gets most of it to finish its requests, then the
// committers and workers get what is left. Work still running at the end is abandoned, not lost: an accepted
// webhook that did not commit was not answered 200, and claimed rows go back to the queue when their lease runs out.
func shutdown(log *slog.Logger, grace time.Duration, stopHTTP func(time.Duration) error, stopWork func()) {
	deadline := time.Now().Add(grace)
	if err := stopHTTP(grace * 3 / 5); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("http shutdown", "err", err)
	}
	done := make(chan struct{})
	go func() { stopWork(); close(done) }()
	select {
	case <-done:
		log.Info("stopped")
	case <-time.After(time.Until(deadline)):
		log.Error("shutdown grace period over; abandoning the work in hand (its leases hand it to another instance)",
			"grace", grace)
	}
}

func dbKind(s *repository.Store) string {
	if s.Postgres() {
		return "postgres"
	}
	return "sqlite"
}

// markRead shows the customer blue ticks and a typing indicator while the reply is on its way. It is cosmetic, so it
// is sent directly and only logged when it fails.
func markRead(ctx context.Context, store *repository.Store, box *secretbox.Box, graph *whatsapp.Client, log *slog.Logger, msg models.InboundMessage) {
	phone, err := store.PhoneNumber(ctx, msg.BusinessID, msg.PhoneNumberID)
	if err != nil || phone.Status != models.PhoneConnected {
		return
	}
	token, err := box.Open(phone.AccessTokenEnc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := graph.MarkRead(ctx, phone.PhoneNumberID, token, msg.Wamid, true); err != nil {
		log.Debug("mark as read failed", "wamid", msg.Wamid, "err", err)
	}
}
