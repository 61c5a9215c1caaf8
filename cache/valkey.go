package cache

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valkey-io/valkey-go"
)

// Timeouts of the Valkey client. Per-call deadlines are short on purpose: a cache answer that takes longer than
// the database query it saves is worse than a miss.
const (
	DefaultCallTimeout = 100 * time.Millisecond // per Get/Set/Delete/Incr (WithTimeout)
	dialTimeout        = 500 * time.Millisecond
	connWriteTimeout   = 500 * time.Millisecond // also the deadline of valkey-go's keep-alive PINGs
	probeTimeout       = time.Second
	replayTimeout      = 5 * time.Second
	connBufferBytes    = 64 << 10 // per connection and direction; valkey-go's default (0.5 MiB) is too big for us
	// ringScale sizes each connection's ring of commands in flight: 2^8 = 256, more than our workers and requests
	// have at once (a full ring makes the next command wait). valkey-go's default, 2^10, is ~1 MB per connection.
	ringScale = 8
)

// Valkey is the shared cache. Every call is bounded by a short deadline and guarded by a circuit breaker: while
// Valkey is unreachable Get misses, Set is a no-op, Delete and generation bumps are recorded for replay, and Incr
// counts in process. Status is "down" meanwhile; the breaker probes in the background and recovers by itself.
//
// Gets use valkey-go's client-side caching (RESP3 CLIENT TRACKING, opt-in) unless WithClientCache(false): hot
// keys are answered from this process's memory, and the server tells every instance when a key it holds changes.
type Valkey struct {
	opt     valkey.ClientOption
	cfg     valkeyConfig
	log     *slog.Logger
	addr    string
	cl      atomic.Pointer[clientHolder]
	br      *breaker
	local   *Memory // counters while Valkey is down
	pending *pendingSet
	own     ownWrites // keys this instance just wrote: read from the server, not the client-side cache

	clientCache atomic.Bool // client-side caching in use

	closing   atomic.Bool
	replaying atomic.Bool
	attempts  atomic.Int64 // calls handed to valkey-go (commands and probes); bounded while the circuit is open
	dials     atomic.Int64 // TCP connection attempts
	cscHits   atomic.Int64 // Gets answered from the client-side cache
}

type clientHolder struct{ c valkey.Client }

// NewValkey parses url (redis://, rediss://, valkey://, valkeys://; see valkey.ParseURL for the query options)
// and connects. A bad URL is an error; an unreachable server is not: the cache starts "down" and connects in the
// background. Close stops that work.
func NewValkey(ctx context.Context, url string, logger *slog.Logger, opts ...Option) (*Valkey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opt, err := valkey.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("cache: parse valkey url: %w", err)
	}
	cfg := defaultValkeyConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	v := &Valkey{cfg: cfg, log: logger, addr: strings.Join(opt.InitAddress, ","),
		local: NewMemory(DefaultMemoryEntries, WithMaxBytes(1<<20)), pending: newPendingSet(cfg.replayLimit)}

	opt.DisableCache = opt.DisableCache || !cfg.clientCache // the URL may also say client_cache=0
	opt.CacheSizeEachConn = cfg.clientCacheSize
	opt.DisableRetry = true // fail fast; the breaker decides when to try again
	if opt.ClientName == "" {
		opt.ClientName = "waorder" // shows in CLIENT LIST
	}
	opt.PipelineMultiplex = 1
	opt.ReadBufferEachConn, opt.WriteBufferEachConn = connBufferBytes, connBufferBytes
	opt.RingScaleEachConn = ringScale
	if opt.Dialer.Timeout == 0 {
		opt.Dialer.Timeout = dialTimeout
	}
	if opt.ConnWriteTimeout == 0 {
		opt.ConnWriteTimeout = connWriteTimeout
	}
	dial := opt.DialCtxFn
	opt.DialCtxFn = func(ctx context.Context, addr string, d *net.Dialer, tc *tls.Config) (net.Conn, error) {
		v.dials.Add(1)
		switch {
		case dial != nil:
			return dial(ctx, addr, d, tc)
		case tc != nil:
			return (&tls.Dialer{NetDialer: d, Config: tc}).DialContext(ctx, "tcp", addr)
		}
		return d.DialContext(ctx, "tcp", addr)
	}
	v.opt = opt
	v.clientCache.Store(!opt.DisableCache)

	v.br = newBreaker(cfg.threshold, cfg.coolDown, cfg.maxCoolDown)
	v.br.probe = v.probe
	v.br.onOpen = func(err error) {
		v.log.Warn("valkey unreachable: caching off until it answers again", "addr", v.addr, "err", err)
	}
	v.br.onClose = func(d time.Duration) {
		v.log.Info("valkey reachable again: caching on", "addr", v.addr, "down_for", d.Round(time.Millisecond))
	}
	if c, err := v.connect(); err != nil {
		v.log.Warn("valkey unreachable at start: running without cache until it answers", "addr", v.addr, "err", err)
		v.br.isOpen.Store(true)
		v.br.spawn(v.br.probeLoop)
	} else {
		v.cl.Store(&clientHolder{c})
	}
	return v, nil
}

// connect creates the valkey-go client, which dials at once and fails if the server is down.
func (v *Valkey) connect() (valkey.Client, error) {
	c, err := valkey.NewClient(v.opt)
	if errors.Is(err, valkey.ErrNoCache) && !v.opt.DisableCache {
		v.log.Warn("valkey: server lacks RESP3 client tracking; client-side caching off", "addr", v.addr)
		v.opt.DisableCache = true // only NewValkey and the single prober goroutine call connect
		v.clientCache.Store(false)
		c, err = valkey.NewClient(v.opt)
	}
	return c, err
}

// probe is the breaker's health check: connect if never connected, PING, then replay what failed meanwhile.
// The circuit stays open until the replay is done, so this instance serves nothing its own writes made stale.
func (v *Valkey) probe(ctx context.Context) error {
	v.attempts.Add(1)
	h := v.cl.Load()
	if h == nil {
		c, err := v.connect()
		if err != nil {
			return err
		}
		h = &clientHolder{c}
		v.cl.Store(h)
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if err := h.c.Do(pctx, h.c.B().Ping().Build()).Error(); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, replayTimeout)
	defer cancel()
	return v.replay(rctx, h.c)
}

// acquire returns the client if a call may go to Valkey now, else nil (not connected, circuit open, closed).
func (v *Valkey) acquire() valkey.Client {
	if !v.br.allow() {
		return nil
	}
	h := v.cl.Load()
	if h == nil {
		return nil
	}
	v.attempts.Add(1)
	return h.c
}

// fault reports whether err means Valkey could not be reached or could not serve, as opposed to a miss or a
// reply (say WRONGTYPE) from a server that works.
func fault(err error) bool {
	if err == nil {
		return false
	}
	var ve *valkey.ValkeyError // a nil reply too
	if errors.As(err, &ve) {
		return ve.IsLoading() || ve.IsClusterDown() || ve.IsTryAgain()
	}
	return true
}

// record feeds the outcome of a call to the breaker and reports whether it succeeded. A call the caller
// abandoned (its ctx ended) says nothing about Valkey and is not counted.
func (v *Valkey) record(parent context.Context, err error) bool {
	if !fault(err) {
		v.br.success()
		v.maybeReplay()
		return true
	}
	if parent.Err() == nil {
		v.br.failure(err)
	}
	return false
}

// Get reads key, from the client-side cache when it holds it. Any fault is a miss.
func (v *Valkey) Get(ctx context.Context, key string) ([]byte, bool) {
	c := v.acquire()
	if c == nil || ctx.Err() != nil {
		return nil, false
	}
	cctx, cancel := context.WithTimeout(ctx, v.cfg.timeout)
	defer cancel()
	var r valkey.ValkeyResult
	if v.clientCache.Load() && !v.own.has(key) {
		r = c.DoCache(cctx, c.B().Get().Key(key).Cache(), v.cfg.clientCacheTTL)
	} else {
		r = c.Do(cctx, c.B().Get().Key(key).Build())
	}
	s, err := r.ToString()
	if !v.record(ctx, err) || err != nil {
		return nil, false
	}
	if r.IsCacheHit() {
		v.cscHits.Add(1)
	}
	return []byte(s), true // a copy: the client-side cache shares s's memory
}

// Set writes key with a TTL; a failure is a no-op for the caller.
func (v *Valkey) Set(ctx context.Context, key string, val []byte, ttl time.Duration) {
	c := v.acquire()
	if c == nil || ctx.Err() != nil {
		return
	}
	v.wrote(key)
	cctx, cancel := context.WithTimeout(ctx, v.cfg.timeout)
	defer cancel()
	v.record(ctx, c.Do(cctx, c.B().Set().Key(key).Value(string(val)).Px(ttlOrDefault(ttl)).Build()).Error())
}

// Delete removes keys, one DEL per key so that keys of different cluster slots work too. It runs even if the
// caller's context has ended (an invalidation must not be skipped because a request was cancelled), and keys it
// could not delete are recorded and deleted when Valkey answers again.
func (v *Valkey) Delete(ctx context.Context, keys ...string) {
	if len(keys) == 0 {
		return
	}
	c := v.acquire()
	if c == nil {
		v.remember(v.pending.addDeletes(keys))
		return
	}
	v.wrote(keys...)
	ctx = context.WithoutCancel(ctx)
	cctx, cancel := context.WithTimeout(ctx, v.cfg.timeout)
	defer cancel()
	cmds := make(valkey.Commands, len(keys))
	for i, k := range keys {
		cmds[i] = c.B().Del().Key(k).Build()
	}
	if !v.record(ctx, firstFault(c.DoMulti(cctx, cmds...))) {
		v.remember(v.pending.addDeletes(keys))
	}
}

// bump increments a generation counter and renews its expiry (see Bump), or records it for replay.
func (v *Valkey) bump(ctx context.Context, key string, ttl time.Duration) {
	ttl = ttlOrDefault(ttl)
	c := v.acquire()
	if c == nil {
		v.remember(v.pending.addBump(key, ttl))
		return
	}
	v.wrote(key)
	ctx = context.WithoutCancel(ctx)
	cctx, cancel := context.WithTimeout(ctx, v.cfg.timeout)
	defer cancel()
	res := c.DoMulti(cctx, c.B().Incr().Key(key).Build(), c.B().Pexpire().Key(key).Milliseconds(ttl.Milliseconds()).Build())
	if !v.record(ctx, firstFault(res)) {
		v.remember(v.pending.addBump(key, ttl))
	}
}

// wrote notes keys this instance is about to write (see ownWriteWindow).
func (v *Valkey) wrote(keys ...string) {
	if v.clientCache.Load() {
		v.own.add(keys...)
	}
}

func (v *Valkey) remember(startedDropping bool) {
	if startedDropping {
		v.log.Warn("valkey: too many invalidations to remember while it is unreachable; "+
			"other instances may serve stale entries until their TTL", "limit", v.cfg.replayLimit)
	}
}

func firstFault(res []valkey.ValkeyResult) error {
	for _, r := range res {
		if err := r.Error(); fault(err) {
			return err
		}
	}
	return nil
}

// Incr increments a counter whose TTL is set on its first increment (PEXPIRE NX, so a counter that lost its
// expiry gets one back). While Valkey is unreachable it counts in this process instead: a rate limit then holds
// per instance rather than across instances, and the error stays nil. The error is non-nil when the caller's
// context has ended or when Valkey refuses the increment (the key holds something that is not an integer).
func (v *Valkey) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	ttl = ttlOrDefault(ttl)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	c := v.acquire()
	if c == nil {
		return v.local.Incr(ctx, key, ttl)
	}
	v.wrote(key)
	cctx, cancel := context.WithTimeout(ctx, v.cfg.timeout)
	defer cancel()
	ms := ttl.Milliseconds()
	res := c.DoMulti(cctx, c.B().Incr().Key(key).Build(), c.B().Pexpire().Key(key).Milliseconds(ms).Nx().Build())
	n, err := res[0].ToInt64()
	if !v.record(ctx, err) {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return v.local.Incr(ctx, key, ttl)
	}
	if err != nil {
		return 0, fmt.Errorf("cache: incr %s: %w", key, err)
	}
	if perr := res[1].Error(); perr != nil && !fault(perr) && n == 1 {
		// A server older than Redis 7 has no NX: set the expiry the old way, on the first increment.
		c.Do(cctx, c.B().Pexpire().Key(key).Milliseconds(ms).Build())
	}
	return n, nil
}

// Status is StatusUp, or StatusDown while the circuit is open or the first connection is still pending.
func (v *Valkey) Status() string {
	if v.closing.Load() || !v.br.allow() || v.cl.Load() == nil {
		return StatusDown
	}
	return StatusUp
}

// Close stops the background prober and closes the connections, waiting for calls in flight.
func (v *Valkey) Close() {
	if !v.closing.CompareAndSwap(false, true) {
		return
	}
	v.br.close()
	if h := v.cl.Swap(nil); h != nil {
		h.c.Close()
	}
}
