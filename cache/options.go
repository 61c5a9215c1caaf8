package cache

import "time"

// valkeyConfig is what the Options set; defaultValkeyConfig documents the defaults.
type valkeyConfig struct {
	clientCache     bool
	clientCacheTTL  time.Duration
	clientCacheSize int
	timeout         time.Duration
	threshold       int
	coolDown        time.Duration
	maxCoolDown     time.Duration
	replayLimit     int
}

func defaultValkeyConfig() valkeyConfig {
	return valkeyConfig{
		clientCache: true, clientCacheTTL: time.Minute, clientCacheSize: 4 << 20,
		timeout: DefaultCallTimeout, threshold: 3, coolDown: 2 * time.Second, maxCoolDown: 30 * time.Second,
		replayLimit: 10_000,
	}
}

// Option configures a Valkey.
type Option func(*valkeyConfig)

// WithClientCache turns client-side caching of Gets on (the default) or off.
func WithClientCache(enabled bool) Option { return func(c *valkeyConfig) { c.clientCache = enabled } }

// WithClientCacheTTL bounds how long a Get is served from local memory (default one minute; the key's own TTL
// caps it too). Invalidation normally arrives much sooner; this bounds the damage if it does not.
func WithClientCacheTTL(d time.Duration) Option {
	return func(c *valkeyConfig) { c.clientCacheTTL = max(d, time.Millisecond) }
}

// WithClientCacheBytes bounds the client-side cache of each connection (default 4 MiB; two connections).
func WithClientCacheBytes(n int) Option { return func(c *valkeyConfig) { c.clientCacheSize = n } }

// WithTimeout sets the deadline of each call (DefaultCallTimeout).
func WithTimeout(d time.Duration) Option {
	return func(c *valkeyConfig) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithBreaker sets how many consecutive failures open the circuit (default 3), the first cool-down before a
// probe (2 s) and the longest one (30 s); cool-downs double after each failed probe. Zero keeps a default.
func WithBreaker(threshold int, coolDown, maxCoolDown time.Duration) Option {
	return func(c *valkeyConfig) {
		if threshold > 0 {
			c.threshold = threshold
		}
		if coolDown > 0 {
			c.coolDown = coolDown
		}
		if maxCoolDown > 0 {
			c.maxCoolDown = maxCoolDown
		}
	}
}

// WithReplayLimit bounds the invalidations remembered while Valkey is down (default 10,000 keys).
func WithReplayLimit(n int) Option { return func(c *valkeyConfig) { c.replayLimit = max(n, 1) } }
