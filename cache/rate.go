package cache

import (
	"context"
	"fmt"
	"time"

	"github.com/valkey-io/valkey-go"
	"github.com/waorder/waorder/models"
)

// reserveScript is a GCRA (the "theoretical arrival time" form of a token bucket) kept in one key and timed by the
// Valkey server's clock, so every instance books against one schedule whatever its own clock says. Hand-written:
// valkey-go has no rate limiter, and the maintained Go ones (redis_rate, …) need go-redis, a second client.
// KEYS[1] the schedule; ARGV: emission interval µs, burst tolerance µs, longest wait µs. Returns {booked, wait µs}.
var reserveScript = valkey.NewLuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, tolerance, maxwait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
if wait > maxwait then return {0, wait} end
local ttl = math.floor((tat + interval - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', tat + interval), 'PX', ttl)
return {1, wait}`)

// membersScript records member as alive until now+ttl in a sorted set and returns how many are alive.
// KEYS[1] the set; ARGV: member, ttl µs.
var membersScript = valkey.NewLuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[2]) / 1000) + 1000)
return redis.call('ZCARD', KEYS[1])`)

// Reserve books one event on key's schedule, shared by every instance: rate per second, with bursts of up to
// burst. It returns how long to wait before the event; when that is more than maxWait nothing is booked and ok is
// false (ask again after wait). models.ErrCacheUnavailable: Valkey could not be asked (down, or the circuit is open).
func (v *Valkey) Reserve(ctx context.Context, key string, rate, burst int, maxWait time.Duration) (wait time.Duration, ok bool, err error) {
	c := v.acquire()
	if c == nil {
		return 0, false, models.ErrCacheUnavailable
	}
	rate, burst = max(rate, 1), max(burst, 1)
	interval := time.Second / time.Duration(rate)
	cctx, cancel := context.WithTimeout(ctx, v.cfg.timeout)
	defer cancel()
	res, err := reserveScript.Exec(cctx, c, []string{key}, []string{
		fmt.Sprint(interval.Microseconds()), fmt.Sprint((interval * time.Duration(burst-1)).Microseconds()),
		fmt.Sprint(maxWait.Microseconds())}).ToArray()
	if !v.record(ctx, err) {
		return 0, false, fmt.Errorf("%w: reserve %s: %v", models.ErrCacheUnavailable, key, err)
	}
	if err != nil || len(res) != 2 {
		return 0, false, fmt.Errorf("cache: reserve %s: %v", key, err)
	}
	booked, _ := res[0].AsInt64()
	us, _ := res[1].AsInt64()
	return time.Duration(us) * time.Microsecond, booked == 1, nil
}

// Members records member as alive in group for ttl and returns how many members are alive, by Valkey's clock.
func (v *Valkey) Members(ctx context.Context, group, member string, ttl time.Duration) (int, error) {
	c := v.acquire()
	if c == nil {
		return 0, models.ErrCacheUnavailable
	}
	cctx, cancel := context.WithTimeout(ctx, v.cfg.timeout)
	defer cancel()
	n, err := membersScript.Exec(cctx, c, []string{group}, []string{member, fmt.Sprint(ttl.Microseconds())}).AsInt64()
	if !v.record(ctx, err) {
		return 0, fmt.Errorf("%w: members of %s: %v", models.ErrCacheUnavailable, group, err)
	}
	if err != nil {
		return 0, fmt.Errorf("cache: members of %s: %w", group, err)
	}
	return int(n), nil
}
