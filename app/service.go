// Package app is the service's one composition root and its commands. New builds every stage from a Config and
// connects each one to the next exactly once, in the order data flows:
//
//	store, cache, cipher → ingest (webhooks, committed in batches) → Graph client (or the sandbox's fake)
//	→ outbox (sends) → merchant and auth services → dashboard → bot (+ read receipts, live feeds) → processor
//	→ Fiber app on its listener
//
// Run serves until its context ends and then stops in order; Close releases what New opened. Main is the whole
// program (serve, migrate, admin …); cmd/waorder only hands it the process's arguments and environment.
//
// Tests start the real service the same way serve does, with the overrides they need:
//
//	cfg, _ := config.Load(getenv, "")            // or edit a loaded Config: GraphURL to a fakegraph server, DataDir …
//	svc, err := app.New(cfg, log,
//		app.WithAddr("127.0.0.1:0"),             // a free port; svc.URL() is its base URL
//		app.WithStore(store),                    // a testutil store the test seeds and reads (closed by the test)
//		app.WithGraphURL(fake.URL),              // a whatsapp/fakegraph server even in sandbox mode
//		app.WithPoll(200*time.Millisecond))      // quicker sweeps than production's
//	ctx, cancel := context.WithCancel(context.Background())
//	go svc.Run(ctx)                              // cancel, then wait for Run to return, then svc.Close()
//
// apptest.Start does all of that for a *testing.T.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/handlers"
	"github.com/waorder/waorder/handlers/api"
	"github.com/waorder/waorder/handlers/dashboard"
	"github.com/waorder/waorder/handlers/guard"
	"github.com/waorder/waorder/handlers/ops"
	"github.com/waorder/waorder/handlers/webhook"
	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/mediafetch"
	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/onboarding"
	"github.com/waorder/waorder/ordering"
	"github.com/waorder/waorder/outbox"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/requestid"
	"github.com/waorder/waorder/sandbox"
	"github.com/waorder/waorder/whatsapp"
)

// Service is the whole running service: its stages, its workers and its HTTP listener.
type Service struct {
	cfg  config.Config
	log  *slog.Logger
	opts options

	store    *repository.Store
	cache    cache.Cache
	metrics  *metrics.Metrics
	ingest   *ingest.Service
	sandbox  *sandbox.Sandbox // nil outside sandbox mode
	outbox   *outbox.Outbox
	proc     *ingest.Processor
	arrivals *ingest.Arrivals // stored messages' ids, from the webhook commits to proc (or, web-only, to the others)
	media    *mediafetch.Fetcher
	files    mediastore.Store // pictures, voice notes, documents: customers' and products'
	accounts *auth.Service
	// onboarding applies Meta's account webhooks (templates, quality, restrictions) and checks tokens daily.
	onboarding *onboarding.Service
	http       *fiber.App
	ln         net.Listener
	ops        *fiber.App   // the operator listener's app (METRICS_ADDR); nil when it is not set
	opsLn      net.Listener // its listener

	closers []func() // what New opened, in opening order; Close runs them backwards
	once    sync.Once
}

// Option changes what New builds, for tests; serve uses none.
type Option func(*options)

type options struct {
	store       *repository.Store
	addr        string
	graphURL    string
	poll        time.Duration
	eventStream time.Duration
	shutdown    time.Duration
}

// WithStore makes the service use store (open and migrated; its owner closes it) instead of opening the database
// cfg names. Several services over one store behave as instances behind a load balancer do.
func WithStore(store *repository.Store) Option { return func(o *options) { o.store = store } }

// WithAddr makes the service listen on addr (e.g. "127.0.0.1:0" for a free port) instead of cfg.Port.
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithGraphURL sends every Graph API call to url (a whatsapp/fakegraph server), in sandbox mode too, where the
// built-in fake is not started then.
func WithGraphURL(url string) Option { return func(o *options) { o.graphURL = url } }

// WithPoll makes the processor's and outbox's sweeps and the dashboard's live feed poll every d.
func WithPoll(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithEventStream makes one live-feed stream last d before the browser reconnects (production: 20 s).
func WithEventStream(d time.Duration) Option { return func(o *options) { o.eventStream = d } }

// WithShutdownTimeout bounds how long Run waits for in-flight requests when it stops (production: 20 s).
func WithShutdownTimeout(d time.Duration) Option { return func(o *options) { o.shutdown = d } }

// New builds the service from cfg: it opens (and migrates) the database, connects the cache, bootstraps the
// configured business and login, connects every stage and binds the listener. Nothing is served until Run. On an
// error, what was opened is closed again.
func New(cfg config.Config, log *slog.Logger, opts ...Option) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Every line logged with a request's context names its request_id (see requestid).
	s := &Service{cfg: cfg, log: requestid.Logger(log), metrics: metrics.New(), opts: options{shutdown: 20 * time.Second}}
	for _, o := range opts {
		o(&s.opts)
	}
	if err := s.build(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// warmConns is how many PostgreSQL connections a service opens before it listens (the rest of DB_POOL on demand).
const warmConns = 8

// build opens and connects the stages. Start-up has no caller's deadline: migrations take what they take.
func (s *Service) build() error {
	ctx := context.Background()
	cfg, log := s.cfg, s.log
	if cfg.Sandbox {
		log.Warn("SANDBOX MODE: no Meta account is used; messages go to the built-in fake Graph API. " +
			"Set WHATSAPP_APP_SECRET (and the other production keys) to go live.")
	}
	s.store = s.opts.store
	if s.store == nil {
		store, err := openMigrated(ctx, cfg)
		if err != nil {
			return err
		}
		s.store = store
		s.closers = append(s.closers, func() { store.Close() })
		// Enough connections for a burst's first commits and reads, opened before the listener takes requests.
		store.Warm(ctx, warmConns)
	}
	if err := observe(s.metrics, s.store); err != nil {
		return err
	}
	c, err := cache.New(ctx, cfg.Valkey, log)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	s.closers = append(s.closers, c.Close)
	c = cache.Counted(c, s.metrics.CacheGet) // every read feeds the hit ratio on /metrics
	s.cache = c
	box, err := openBox(cfg)
	if err != nil {
		return err
	}
	if err := bootstrap(ctx, cfg, s.store, box, log); err != nil {
		return err
	}
	files, closeFiles, err := openMediaStore(ctx, cfg)
	if err != nil {
		return err
	}
	s.files, s.closers = files, append(s.closers, closeFiles)

	// Inbound: webhooks are stored, and the ids of new messages handed to the processor through arrivals.
	arrivals := ingest.NewArrivals()
	s.arrivals = arrivals
	s.ingest = ingest.New(s.store, log, ingest.Options{}, arrivals)
	s.closers = append(s.closers, s.ingest.Close)

	// Outbound: the Graph API, or in sandbox mode the built-in fake whose status webhooks come back through ingest.
	graph := whatsapp.NewClient(cfg.GraphURL, cfg.GraphVer, nil)
	if s.opts.graphURL != "" {
		graph = whatsapp.NewClient(s.opts.graphURL, cfg.GraphVer, nil)
	} else if cfg.Sandbox {
		s.sandbox = sandbox.New(s.ingest, log, strconv.FormatInt(time.Now().UnixNano(), 36), 0)
		s.closers = append(s.closers, s.sandbox.Close)
		graph = s.sandbox.Client(cfg.GraphVer)
	}
	s.outbox = outbox.New(s.store, graph, box, log, s.metrics, cfg.SendRatePerSec)
	s.outbox.Workers = cfg.Workers
	s.outbox.Busy = arrivals.Busy // sends yield to webhook commits, as the bot does
	s.outbox.HeldTTL = cfg.HeldMessageTTL
	if v, ok := c.(*cache.Valkey); ok {
		s.outbox.Shared = v // a number's send rate is one budget across instances
	}

	// Merchants: the dashboard and the JSON API share the merchant service (cached reads, status changes that
	// notify the customer through the outbox) and the accounts service.
	merch := merchant.New(s.store, c, s.outbox, log)
	accounts := auth.New(s.store, c, cfg.SessionKey(), log)
	accounts.SetIdleTimeout(cfg.SessionIdleTimeout)
	s.accounts = accounts
	if err := bootstrapLogin(ctx, cfg, s.store, accounts, log); err != nil {
		return err
	}
	// Onboarding: connecting numbers step by step, templates, account health and token checks, sign-up and team.
	onb, sandboxMeta, team, err := onboardingParts(cfg, s.store, box, c, graph, s.sandbox, log)
	if err != nil {
		return err
	}
	s.onboarding = onb
	dash := &dashboard.Handler{
		Merchant: merch, Auth: accounts, Ingest: s.ingest, Log: log,
		Files: s.files, Pictures: merchant.NewPictures(s.store, c, s.files, pictureCap(cfg), log),
		Onboarding: onb, SandboxMeta: sandboxMeta, Team: team,
		Sandbox: cfg.Sandbox, AppSecret: cfg.AppSecret, MetaAppID: cfg.MetaAppID, MetaConfigID: cfg.MetaConfig,
		GraphVersion: cfg.GraphVer, HeldTTL: cfg.HeldMessageTTL, EventPoll: s.opts.poll, EventStream: s.opts.eventStream,
	}

	// The bot answers stored messages; after each commit the outbox is woken, the customer sees blue ticks, and a
	// new order reaches this instance's live feeds at once.
	bot := &ordering.Bot{Store: s.store, Cache: c, Log: log, Listener: &afterBot{
		outbox: s.outbox, receipts: newReadReceipts(s.store, box, graph, log), orders: dash}}
	var handler ingest.Handler = bot
	if cfg.FaultTestPanicText != "" {
		log.Warn("FAULT_TEST_PANIC_TEXT is set: the bot panics on that text (fault suite only)")
		handler = panicOnText(cfg.FaultTestPanicText, bot)
	}
	// Customers' files are queued before the bot sees their message and fetched in the background.
	s.media = mediafetch.New(s.store, graph, box, s.files, cfg.MediaMaxBytes, log)
	handler = s.media.Before(handler)
	s.proc = ingest.NewProcessor(s.store, arrivals, handler, log)
	s.proc.Parallel = cfg.BotWorkers
	s.proc.Queued = s.outbox.Wake // a fallback reply was queued
	if s.opts.poll > 0 {
		s.proc.Poll, s.outbox.Poll, s.media.Poll = s.opts.poll, s.opts.poll, s.opts.poll
	}

	// The dashboard comes last: its pages sit under "/", after the more specific routes.
	proxyList, err := cfg.TrustedProxyList()
	if err != nil {
		return fmt.Errorf("TRUSTED_PROXIES %w", err)
	}
	proxies, err := guard.ParseProxies(proxyList)
	if err != nil {
		return fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	health := &ops.Health{DB: s.store, Cache: c, Metrics: s.metrics}
	s.http = handlers.NewApp(log, handlers.Options{BodyLimit: cfg.BodyLimitBytes, Proxies: proxies},
		health,
		&webhook.Handler{AppSecret: cfg.AppSecret, VerifyToken: cfg.VerifyToken, Ingest: s.ingest, Metrics: s.metrics, Log: log},
		&api.Handler{Merchant: merch, Auth: accounts, Log: log},
		dash,
	)
	addr := s.opts.addr
	if addr == "" {
		addr = net.JoinHostPort(cfg.ListenHost(), strconv.Itoa(cfg.Port))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.closers = append(s.closers, func() { ln.Close() })
	bot.PicturesURL = picturesURL(cfg, s.URL()) // the sandbox's own address is known only now
	if err := s.listenOperator(health); err != nil {
		return err
	}
	// Start-up work (migrations, an argon2id hash of 19 MiB for the bootstrap login) is done: give its memory back
	// now rather than when the scavenger gets to it, so the idle footprint is what serving needs.
	debug.FreeOSMemory()
	return nil
}

// listenOperator binds the operator listener on METRICS_ADDR, which serves /metrics and /memory (and /health);
// the public port serves only /health. Without METRICS_ADDR they are not served at all.
func (s *Service) listenOperator(health *ops.Health) error {
	if s.cfg.MetricsAddr == "" {
		s.log.Info("METRICS_ADDR is not set: /metrics and /memory are not served")
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen on METRICS_ADDR %s: %w", s.cfg.MetricsAddr, err)
	}
	s.opsLn, s.ops = ln, ops.NewOperatorApp(s.log, health)
	s.closers = append(s.closers, func() { ln.Close() })
	return nil
}

// OperatorURL is the operator listener's base URL, "" when METRICS_ADDR is not set.
func (s *Service) OperatorURL() string {
	if s.opsLn == nil {
		return ""
	}
	return "http://" + s.opsLn.Addr().String()
}

// sessionPurgeEvery is how often ended (expired or idle) sessions are deleted.
const sessionPurgeEvery = 15 * time.Minute

// URL is the service's base URL, e.g. http://127.0.0.1:41234 (loopback for a wildcard listener).
func (s *Service) URL() string {
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// Store is the service's database, for tests that seed and read it.
func (s *Service) Store() *repository.Store { return s.store }

// afterBot is what follows each message the bot committed.
type afterBot struct {
	outbox   *outbox.Outbox
	receipts *readReceipts
	orders   *dashboard.Handler
}

// Committed wakes the outbox for the replies, sends the read receipt and wakes the live feeds (orders, inbox).
// Messages held for a closed window need no release here: the outbox's claim takes them again by itself once the
// customer has written after they were held.
func (a *afterBot) Committed(ctx context.Context, m models.InboundMessage, created *models.Order) {
	a.orders.NotifyOrder(m.BusinessID) // the order feed looks for a new order, the inbox for the new message
	a.outbox.Wake()
	a.receipts.send(ctx, m)
}

// accountPoll is how often stored account events are applied: the test poll, else every 2 s.
func (s *Service) accountPoll() time.Duration {
	if s.opts.poll > 0 {
		return s.opts.poll
	}
	return 2 * time.Second
}

func dbKind(s *repository.Store) string {
	if s.Postgres() {
		return "postgres"
	}
	return "sqlite"
}
