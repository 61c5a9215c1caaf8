// Package outbox sends the messages other parts of the service wrote to the outbound_messages table: workers claim
// due rows with a lease, send them through the Graph API, and record the outcome. It keeps Meta's limits (a
// throughput budget per phone number, the pair rate limit per recipient, the 24-hour window), retries what can be
// retried with backoff, and pauses a number whose token Meta refuses. It decides nothing about what to say, and it
// never writes a message itself: it only delivers what is queued.
//
// # Sending at most once per lease
//
// A worker sends a message only while it holds the message's lease, and gives each send a deadline that ends
// before the lease does (Lease minus a margin), so two live workers never send the same row, in one instance or
// many. Every outcome is a conditional update on the lease. Two cases can still send a message twice, and no
// queue can rule them out, because Meta cannot be asked "did you get this one?":
//   - the process dies (or loses the database for longer than the lease) after Meta answered 200 and before the
//     wamid is recorded: when the lease runs out another worker sends that message again. At most the messages in
//     flight at that moment (Workers of them) are resent, once each; the rest of the queue is unaffected.
//   - a send times out or its connection drops after Meta accepted it: it is retried (usually Meta never got it; when
//     it did, the customer gets the message twice).
//
// Leases are taken, compared and ended on the database's clock (now() in SQL), and each instance measures its own
// send deadline from just before its claim on its own clock, so instances whose clocks disagree still never hold
// one row at once.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
)

// Sender is the Graph API's send call (*whatsapp.Client).
type Sender interface {
	Send(ctx context.Context, metaPhoneID, token string, payload []byte) (string, error)
}

// Outbox runs the send workers of one instance. Several instances may run on one database. Set the exported
// fields before Run.
type Outbox struct {
	store   *repository.Store
	sender  Sender
	box     *secretbox.Box
	log     *slog.Logger
	metrics *metrics.Metrics
	owner   string
	wake    chan struct{}
	limits  *limiter
	alarm   alarm
	rate    int
	clock   func() time.Time // this instance's clock: pacing and send deadlines (leases are the database's)
	// instances is how many outbox instances were last seen alive in Shared: while it is down, each keeps a
	// number's budget divided by that many.
	instances atomic.Int64

	Workers      int           // concurrent sends (SEND_WORKERS)
	Lease        time.Duration // how long a claimed message is ours; sends end leaseMargin before it does
	SendTimeout  time.Duration // longest one Graph API call may take
	Poll         time.Duration // how often to look for due messages without a Wake
	MaxAttempts  int           // sends that count toward giving up (token and window troubles do not)
	BaseBackoff  time.Duration // first retry within [0, BaseBackoff], doubling per attempt, full jitter
	MaxBackoff   time.Duration // cap of the backoff (a longer Retry-After from Meta still wins)
	PairPeriod   time.Duration // Meta's pair rate limit: one message per PairPeriod to one recipient, sustained...
	PairBurst    int           // ...with bursts of up to PairBurst messages
	RecipientGap time.Duration // shortest gap between two messages to one recipient
	Shared       SharedRate    // a number's throughput shared by every instance (Valkey); nil: this instance's own
	SharedPrefix string        // prefix of Shared's keys
	HeldTTL      time.Duration // a message not sent this long after it was written (held, or retried through an outage) fails as expired; 0: never
	// Busy reports that webhook deliveries are waiting too long for their commit (ingest's Arrivals.Busy); while it
	// does, no more than 2 × BusyWorkers sends are in hand, so the sends' claims and records leave the database and the
	// CPU to the commits Meta waits for. Nil: never busy.
	Busy        func() bool
	BusyWorkers int
}

// busyRecheck is how often a throttled outbox asks again whether the commits have caught up.
const busyRecheck = 5 * time.Millisecond

// leaseMargin is kept between the end of a send's deadline and the end of its lease.
const leaseMargin = 5 * time.Second

// New makes an outbox; ratePerSec is the default throughput budget of a phone number per second
// (SEND_RATE_PER_SECOND; a number's own send_rate_per_sec overrides it). m may be nil.
func New(store *repository.Store, sender Sender, box *secretbox.Box, log *slog.Logger, m *metrics.Metrics, ratePerSec int) *Outbox {
	id := make([]byte, 6)
	rand.Read(id) //nolint:errcheck // crypto/rand never fails on Linux
	if ratePerSec <= 0 {
		ratePerSec = models.DefaultSendRatePerSec
	}
	o := &Outbox{
		store: store, sender: sender, box: box, log: log, metrics: m, rate: ratePerSec,
		owner: hex.EncodeToString(id), wake: make(chan struct{}, 1), limits: newLimiter(), clock: time.Now,
		Workers: 4, Lease: time.Minute, SendTimeout: 15 * time.Second, Poll: time.Second, MaxAttempts: 12,
		BaseBackoff: time.Second, MaxBackoff: 10 * time.Minute,
		PairPeriod: 6 * time.Second, PairBurst: 30, RecipientGap: 250 * time.Millisecond, SharedPrefix: "waorder:outbox:",
		HeldTTL: 24 * time.Hour, BusyWorkers: 2,
	}
	o.alarm.fire = o.Wake
	return o
}

// Forward stands in for Run on an instance whose outbox runs elsewhere (RUN_WORKERS=false): each Wake, coalesced
// while one call is in hand, calls wake (which tells the instances that send). It returns when ctx ends.
func (o *Outbox) Forward(ctx context.Context, wake func(context.Context)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
			wake(ctx)
		}
	}
}

// Wake makes the workers look for due messages now, e.g. right after a message was enqueued; it never blocks.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run claims and sends until ctx ends, then finishes the sends in hand and gives back the claims not yet started.
// It keeps at most two messages per worker claimed (one being sent, one waiting), and claims again once that falls
// to one per worker: claims come in batches under load, and at once when the queue is quiet, so a customer's next
// message goes as soon as the previous one is recorded. Each claim reads the batch's numbers and customers in two
// statements, and the workers' sends are recorded together (one transaction for every send that finished
// meanwhile), so a message costs no database round trip of its own on the way.
func (o *Outbox) Run(ctx context.Context) {
	workers := max(o.Workers, 1)
	// A lease must outlive a whole send, or no send could ever start.
	o.Lease = max(o.Lease, o.SendTimeout+leaseMargin+minSendWindow)
	o.limits.configure(o.PairPeriod, o.PairBurst, o.RecipientGap)
	rec := newRecorder(o, workers)
	jobs := make(chan job, 2*workers)
	done := make(chan struct{}, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				o.deliver(ctx, j, rec)
				done <- struct{}{}
			}
		}()
	}
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	defer o.alarm.stop()
	o.heartbeat(ctx)
	held := 0 // claimed and not yet settled: in jobs or being sent
	var expiredAt time.Time
	for {
		// While webhook commits wait, the outbox works as if it had BusyWorkers workers: no more than twice that
		// many sends in hand. The check runs again every busyRecheck, so the sends pick up as soon as the commits
		// catch up.
		active, recheck := workers, (<-chan time.Time)(nil)
		if o.Busy != nil && o.Busy() {
			active, recheck = min(max(o.BusyWorkers, 1), workers), time.After(busyRecheck)
		}
		if held <= active && ctx.Err() == nil {
			for _, j := range o.claim(ctx, 2*active-held) {
				jobs <- j
				held++
			}
		}
		select {
		case <-ctx.Done():
			close(jobs) // workers give back what they have not started
			wg.Wait()
			rec.close()
			return
		case <-done:
			held--
		case <-o.wake:
		case <-recheck:
		case <-tick.C:
			o.heartbeat(ctx)
			o.requeueWindowFailures(ctx)
			if every := max(o.Poll, min(10*time.Second, o.HeldTTL/10)); o.HeldTTL > 0 && time.Since(expiredAt) >= every {
				expiredAt = time.Now()
				o.expireHeld(ctx)
			}
		}
	}
}

// job is a claimed message and what sending it needs.
type job struct {
	m      models.OutboundMessage
	phone  *models.PhoneNumber // nil: not read with the claim, the worker reads it
	cust   *models.Customer
	sendBy time.Time // on this instance's clock: the send must be over by then, leaseMargin before the lease ends
}

// claim leases up to n messages and reads their numbers and customers. Were the database to return more, the extra
// ones are given back at once: the dispatcher must never wait for room in jobs.
func (o *Outbox) claim(ctx context.Context, n int) []job {
	// The lease runs on the database's clock from some moment after this one: measured from here on this
	// instance's clock, the deadline is early rather than late, whatever the clocks say.
	sendBy := o.clock().Add(o.Lease - leaseMargin)
	msgs, err := o.store.ClaimOutbound(ctx, n, o.Lease, o.owner)
	if err != nil && ctx.Err() == nil {
		o.log.Error("claim outbound messages", "err", err)
	}
	if len(msgs) > n {
		o.log.Error("claim returned more messages than asked; giving the rest back", "asked", n, "got", len(msgs))
		for _, m := range msgs[n:] {
			if err := o.putOff(context.WithoutCancel(ctx), m, 0); err != nil {
				o.log.Error("give back an outbound message", "id", m.ID, "err", err)
			}
		}
		msgs = msgs[:n]
	}
	if len(msgs) == 0 {
		return nil
	}
	sc, err := o.store.LoadSendContext(context.WithoutCancel(ctx), msgs)
	if err != nil {
		o.log.Warn("read the claimed messages' numbers and customers; each is read on its own", "err", err)
	}
	jobs := make([]job, len(msgs))
	for i, m := range msgs {
		jobs[i] = job{m: m, sendBy: sendBy}
		if p, ok := sc.Phones[m.PhoneNumberID]; ok && p.BusinessID == m.BusinessID {
			jobs[i].phone = &p
		}
		if c, ok := sc.Customers[m.CustomerID]; ok && c.BusinessID == m.BusinessID {
			jobs[i].cust = &c
		}
	}
	return jobs
}

// requeueWindowFailures picks up messages Meta failed in a status webhook with 131047, to send them as the
// business's template (or hold them).
func (o *Outbox) requeueWindowFailures(ctx context.Context) {
	n, err := o.store.RequeueWindowFailures(ctx, 100)
	if err != nil && ctx.Err() == nil {
		o.log.Error("requeue messages failed outside the 24-hour window", "err", err)
	}
	if n > 0 {
		o.log.Info("messages Meta refused outside the 24-hour window requeued", "count", n)
		o.Wake()
	}
}

// expireHeld fails held messages older than HeldTTL; a claimed one is expired by its worker instead (attempt).
func (o *Outbox) expireHeld(ctx context.Context) {
	reason := fmt.Sprintf("expired: held longer than %s (%s)", o.HeldTTL, HoldReason)
	n, err := o.store.ExpireHeld(ctx, time.Now().Add(-o.HeldTTL), reason, 500)
	if err != nil && ctx.Err() == nil {
		o.log.Error("expire held messages", "err", err)
	}
	if n > 0 {
		o.log.Warn("held messages expired unsent", "count", n, "after", o.HeldTTL)
		if o.metrics != nil {
			o.metrics.Sends.WithLabelValues("expired").Add(float64(n))
		}
	}
}

func (o *Outbox) count(result string) {
	if o.metrics != nil {
		o.metrics.Sends.WithLabelValues(result).Inc()
	}
}

// alarm wakes the outbox when the earliest message it put off comes due, so a short retry or pacing delay does not
// wait for the next poll. Later ones are found by the poll.
type alarm struct {
	mu    sync.Mutex
	timer *time.Timer
	at    time.Time
	fire  func()
}

func (a *alarm) set(after time.Duration) {
	at := time.Now().Add(after)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.timer != nil && a.at.After(time.Now()) && !a.at.After(at) {
		return // an earlier alarm is pending
	}
	if a.timer != nil {
		a.timer.Stop()
	}
	a.at = at
	a.timer = time.AfterFunc(after, a.fire)
}

func (a *alarm) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.timer != nil {
		a.timer.Stop()
	}
}
