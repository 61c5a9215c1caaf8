package outbox

import (
	"context"
	"time"

	"github.com/waorder/waorder/models"
)

// SharedRate books sends against a budget every instance shares, timed by one clock (*cache.Valkey does, in
// Valkey). Meta's throughput limit is per phone number, whichever instance sends: with N instances each keeping
// its own budget, a number would send N times its limit.
type SharedRate interface {
	// Reserve books one send on key's schedule (rate per second, bursts of burst); see cache.Valkey.Reserve.
	Reserve(ctx context.Context, key string, rate, burst int, maxWait time.Duration) (wait time.Duration, ok bool, err error)
	// Members says this instance is alive in group for ttl and returns how many are.
	Members(ctx context.Context, group, member string, ttl time.Duration) (int, error)
}

// sharedCallTimeout bounds one booking: past it the send is paced by this instance's share instead.
const sharedCallTimeout = 100 * time.Millisecond

// reserve books a send from phone to the recipient: the number's throughput in Shared when it answers, else this
// instance's share of it (the number's budget divided by the instances last seen alive), and the recipient's
// pacing in this instance (a customer's messages go one at a time anyway). Same contract as limiter.reserve.
func (o *Outbox) reserve(ctx context.Context, phone models.PhoneNumber, to string) (time.Duration, bool) {
	rate := o.rateOf(phone)
	if o.Shared == nil {
		return o.limits.reserve(o.clock(), phone.ID, rate, to)
	}
	local, ok := o.limits.reserve(o.clock(), phone.ID, 0, to)
	if !ok {
		return local, false
	}
	cctx, cancel := context.WithTimeout(ctx, sharedCallTimeout)
	wait, ok, err := o.Shared.Reserve(cctx, o.SharedPrefix+"rate:"+phone.MetaPhoneID, rate, rate, maxInlineWait)
	cancel()
	if err != nil {
		// Valkey is down: this instance keeps its share on its own. The recipient's pacing is already booked.
		n := max(o.instances.Load(), 1)
		wait, ok = o.limits.reservePhone(o.clock(), phone.ID, int((int64(rate)+n-1)/n))
	}
	return max(wait, local), ok
}

// heartbeat tells Shared this instance is alive and learns how many are, for the share kept while it is down.
func (o *Outbox) heartbeat(ctx context.Context) {
	if o.Shared == nil {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, sharedCallTimeout)
	defer cancel()
	if n, err := o.Shared.Members(cctx, o.SharedPrefix+"instances", o.owner, 5*max(o.Poll, time.Second)); err == nil {
		o.instances.Store(int64(max(n, 1)))
	}
}
