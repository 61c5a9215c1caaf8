package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/requestid"
	"github.com/waorder/waorder/whatsapp"
)

// minSendWindow is the least lease time left, after the margin, for a send to start.
const minSendWindow = 2 * time.Second

// deliver sends one claimed message and records what happened: sent, retried later, put off, held, or failed. If
// the outcome cannot be recorded, the lease runs out and the message is claimed again. Everything it logs carries
// the id of the request that caused the message (requestid), and so does a fallback reply it queues.
func (o *Outbox) deliver(ctx context.Context, j job, rec *recorder) {
	ctx = requestid.With(ctx, j.m.RequestID)
	err := o.safeAttempt(ctx, j, rec)
	switch {
	case err == nil:
	case errors.Is(err, models.ErrLeaseLost):
		o.log.WarnContext(ctx, "outbound message was settled by another worker", "id", j.m.ID, "err", err)
	default:
		o.log.ErrorContext(ctx, "outbound message outcome not recorded; it is tried again when its lease runs out", "id", j.m.ID, "err", err)
	}
}

// safeAttempt runs attempt; a panic in it is settled as this message's failed attempt (retried with backoff, failed
// with the reason after MaxAttempts, the customer then getting one fallback reply), never reaching other sends.
func (o *Outbox) safeAttempt(ctx context.Context, j job, rec *recorder) (err error) {
	db := context.WithoutCancel(ctx)
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		m := j.m
		o.log.ErrorContext(db, "sending an outbound message panicked", "id", m.ID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		m.Attempts++
		reason := fmt.Sprintf("panic while sending: %v", r)
		if m.Attempts < o.MaxAttempts {
			o.count("retry")
			err = o.requeue(db, m, o.backoff(m.Attempts, 0), 0, reason)
			return
		}
		o.count("failed")
		reason = fmt.Sprintf("gave up after %d attempts: %s", m.Attempts, reason)
		o.log.WarnContext(db, "outbound message failed", "id", m.ID, "attempts", m.Attempts, "reason", reason)
		err = o.store.FailOutboundWithFallback(db, m, 0, reason, o.fallbackFor(db, m))
		if err == nil {
			o.Wake()
		}
	}()
	return o.attempt(ctx, db, j, rec)
}

// fallbackFor is the polite reply queued when m fails for good inside the service (not at Meta), in the customer's
// language (catalog id fallback.outbound), or nil when m is itself a fallback (one is enough).
func (o *Outbox) fallbackFor(ctx context.Context, m models.OutboundMessage) *models.OutboundMessage {
	if strings.HasPrefix(m.IdempotencyKey, "fallback:") {
		return nil
	}
	lang, err := o.store.CustomerLanguage(ctx, m.BusinessID, m.CustomerID)
	if err != nil {
		o.log.WarnContext(ctx, "fallback reply in the default language", "id", m.ID, "err", err) // the reply matters more
	}
	msg, err := whatsapp.NewText(m.ToWaID, locale.For(lang).T("fallback.outbound"), false)
	if err != nil {
		return nil
	}
	payload, err := json.Marshal(msg)
	if err != nil {
		return nil
	}
	return &models.OutboundMessage{BusinessID: m.BusinessID, PhoneNumberID: m.PhoneNumberID, CustomerID: m.CustomerID,
		ToWaID: m.ToWaID, Kind: msg.Type, Payload: string(payload), Summary: msg.Summary(),
		IdempotencyKey: fmt.Sprintf("fallback:out:%d", m.ID)}
}

// attempt is deliver's work. ctx only says whether the outbox is stopping; db carries every call, so a send that
// started is finished and recorded.
func (o *Outbox) attempt(ctx, db context.Context, j job, rec *recorder) error {
	m := j.m
	if ctx.Err() != nil || j.sendBy.Sub(o.clock()) < minSendWindow {
		return o.putOff(db, m, 0) // stopping, or the lease is nearly spent: let a worker claim it afresh
	}
	if o.expired(m) {
		return o.fail(db, m, m.ErrorCode, o.expiredReason(m))
	}
	if j.phone == nil {
		p, err := o.store.PhoneNumber(db, m.BusinessID, m.PhoneNumberID)
		if err != nil {
			return err
		}
		j.phone = &p
	}
	phone := *j.phone
	if phone.Status != models.PhoneConnected {
		return o.putOff(db, m, 0) // disconnected since the claim: it waits, queued, for the reconnection
	}
	if j.cust == nil {
		c, err := o.store.Customer(db, m.BusinessID, m.CustomerID)
		if err != nil {
			return err
		}
		j.cust = &c
	}
	cust := *j.cust
	if to := cust.Recipient(); to != "" && to != m.ToWaID {
		// The customer's identifiers changed since this was queued (a phone number became known, or rows of one
		// person were merged): send to what Meta accepts now.
		var err error
		if m, err = readdress(m, to); err != nil {
			return o.fail(db, m, 0, err.Error())
		}
	}
	payload := m.Payload
	// error_code 131047 on a queued message: Meta already refused it as outside the window, whatever our clock says.
	if metaSaid := m.ErrorCode == whatsapp.CodeOutsideWindow; m.Kind != "template" && (metaSaid || !cust.WindowOpen(o.clock())) {
		code := map[bool]int{true: whatsapp.CodeOutsideWindow}[metaSaid]
		var (
			send bool
			err  error
		)
		if payload, send, err = o.outsideWindow(db, m, cust, code); err != nil || !send {
			return err
		}
		m.Kind, m.Payload = "template", payload
	}
	token, err := o.box.Open(phone.AccessTokenEnc)
	if err != nil {
		return o.pauseNumber(db, m, phone, models.PhoneDisconnected, 0,
			"the stored access token cannot be decrypted (was ENCRYPTION_KEY changed?): reconnect the number")
	}
	wait, ok := o.reserve(db, phone, m.ToWaID)
	if !ok {
		return o.putOff(db, m, wait)
	}
	time.Sleep(wait)
	sendCtx, cancel := context.WithTimeout(db, min(o.SendTimeout, j.sendBy.Sub(o.clock())))
	m.Attempts++
	wamid, err := o.sender.Send(sendCtx, phone.MetaPhoneID, token, []byte(payload))
	cancel()
	if err == nil {
		return o.recordSent(db, rec, m, wamid)
	}
	return o.failed(db, m, phone, cust, err)
}

// failed decides what a send error means for the message and its phone number.
func (o *Outbox) failed(db context.Context, m models.OutboundMessage, phone models.PhoneNumber, cust models.Customer, err error) error {
	code, status := 0, 0
	var apiErr *whatsapp.APIError
	if errors.As(err, &apiErr) {
		code, status = apiErr.Code, apiErr.HTTPStatus
	}
	if o.metrics != nil {
		o.metrics.SendError(code, status)
	}
	reason := err.Error()
	switch {
	case whatsapp.IsTokenInvalid(err):
		m.Attempts-- // the message is not at fault
		return o.pauseNumber(db, m, phone, models.PhoneTokenExpired, code, reason)
	case whatsapp.IsOutsideWindow(err) && m.Kind != "template":
		m.Attempts--
		if _, send, err := o.outsideWindow(db, m, cust, code); err != nil || !send {
			return err
		}
		o.count("retry") // as the template, right away
		return o.requeue(db, m, 0, code, reason)
	case errors.Is(err, whatsapp.ErrUnexpectedResponse):
		return o.fail(db, m, code, "Meta answered without a message id, so it may have been sent; not retried: "+reason)
	case whatsapp.IsPermanent(err):
		return o.fail(db, m, code, reason)
	}
	// Transient (429, 5xx, timeouts, 130429, 131056, 4, 80007, 131000, ...): an outage or a limit at Meta. It is
	// retried with capped backoff for as long as the message can still go: a free-form message while the
	// customer's window is open (once it closes, the next attempt sends the template instead, or holds it), a
	// template until it expires (HeldTTL). Anything unforeseen counts toward MaxAttempts.
	if !whatsapp.IsRetryable(err) && m.Attempts >= o.MaxAttempts {
		return o.fail(db, m, code, fmt.Sprintf("gave up after %d attempts: %s", m.Attempts, reason))
	}
	now, retryAfter := o.clock(), whatsapp.RetryAfter(err)
	d := o.backoff(m.Attempts, retryAfter)
	pause := now.Add(max(retryAfter, time.Second))
	switch {
	case whatsapp.IsPairRateLimited(err):
		// This recipient only: its later messages wait behind this one; other recipients go on.
		d = max(d, o.PairPeriod)
		o.limits.blockPair(phone.ID, m.ToWaID, now.Add(d))
	case code == whatsapp.CodeAPITooManyCalls:
		o.limits.pauseAll(pause) // the app's call budget: every number
	case code == whatsapp.CodeThroughputLimit || code == whatsapp.CodeWABARateLimit || status == http.StatusTooManyRequests:
		o.limits.pausePhone(phone.ID, pause)
	}
	o.count("retry")
	o.log.WarnContext(db, "outbound message not sent; retrying", "id", m.ID, "code", code, "attempts", m.Attempts,
		"in", d, "err", reason)
	return o.requeue(db, m, d, code, reason)
}

// backoff is exponential with full jitter, capped at MaxBackoff, and at least what Meta asked in Retry-After.
func (o *Outbox) backoff(attempts int, retryAfter time.Duration) time.Duration {
	ceil := min(o.MaxBackoff, o.BaseBackoff<<min(max(attempts-1, 0), 30))
	return max(time.Duration(rand.Int64N(int64(max(ceil, 1))+1)), retryAfter)
}

// recordSent stores the wamid, together with the other workers' sends (see recorder). A message recorded twice was
// sent twice: its lease ran out before this send was recorded.
func (o *Outbox) recordSent(ctx context.Context, rec *recorder, m models.OutboundMessage, wamid string) error {
	o.count("sent")
	err := rec.record(repository.SentMessage{Message: m, Wamid: wamid})
	if errors.Is(err, models.ErrLeaseLost) {
		o.log.ErrorContext(ctx, "outbound message was sent twice: its lease ran out before this send was recorded",
			"id", m.ID, "wamid", wamid)
		return nil
	}
	if err == nil {
		o.log.InfoContext(ctx, "outbound message sent", "id", m.ID, "wamid", wamid, "kind", m.Kind, "attempts", m.Attempts)
	}
	return err
}

// pauseNumber stops a phone number's sends until it is reconnected. The message stays queued, not failed: the claim
// skips numbers that are not connected, and takes their messages again once the number is.
func (o *Outbox) pauseNumber(db context.Context, m models.OutboundMessage, phone models.PhoneNumber, status models.PhoneNumberStatus, code int, reason string) error {
	changed, err := o.store.DisconnectPhoneNumber(db, phone, status, reason)
	if err != nil {
		return err
	}
	if changed {
		o.log.WarnContext(db, "phone number paused until it is reconnected", "phone_number_id", phone.MetaPhoneID,
			"status", status, "reason", reason)
	}
	return o.requeue(db, m, 0, code, reason)
}

// putOff gives the message back untouched, due after the delay: no attempt was made.
func (o *Outbox) putOff(db context.Context, m models.OutboundMessage, after time.Duration) error {
	return o.requeue(db, m, after, m.ErrorCode, m.LastError)
}

func (o *Outbox) requeue(db context.Context, m models.OutboundMessage, after time.Duration, code int, reason string) error {
	if err := o.settle(db, m, func() error { return o.store.RequeueOutbound(db, m, after, code, reason) }); err != nil {
		return err
	}
	o.alarm.set(after)
	return nil
}

func (o *Outbox) fail(db context.Context, m models.OutboundMessage, code int, reason string) error {
	o.count("failed")
	o.log.WarnContext(db, "outbound message failed", "id", m.ID, "code", code, "attempts", m.Attempts, "reason", reason)
	return o.settle(db, m, func() error { return o.store.FailOutbound(db, m, code, reason) })
}

// settle writes an outcome, trying again while the database is unavailable (down, or its disk full), for at most a
// lease: an attempt whose outcome is lost would not count toward MaxAttempts, and the message would be sent again
// when its lease runs out. Once the lease is over the write is refused (ErrLeaseLost) and the loop ends.
func (o *Outbox) settle(ctx context.Context, m models.OutboundMessage, write func() error) error {
	until := time.Now().Add(o.Lease)
	for i := 0; ; i++ {
		err := write()
		if err == nil || !repository.IsUnavailable(err) || time.Now().After(until) {
			return err
		}
		if i == 0 {
			o.log.WarnContext(ctx, "recording an outbound message's outcome failed; trying again while its lease lasts", "id", m.ID, "err", err)
		}
		time.Sleep(min(50*time.Millisecond<<min(i, 10), 2*time.Second, max(time.Until(until), 0)))
	}
}

// expired reports whether m was queued (written, or retried by the merchant) longer than HeldTTL ago: sent now it
// would be stale ("your order is ready" days later).
func (o *Outbox) expired(m models.OutboundMessage) bool {
	return o.HeldTTL > 0 && !m.QueuedAt().IsZero() && o.clock().Sub(m.QueuedAt()) > o.HeldTTL
}

func (o *Outbox) expiredReason(m models.OutboundMessage) string {
	reason := fmt.Sprintf("expired: not sent within %s of being queued", o.HeldTTL)
	if m.LastError != "" {
		reason += " (last: " + m.LastError + ")"
	}
	return reason
}

// rateOf is the number's throughput budget across every instance: its own send_rate_per_sec (Meta's limit for
// it), capped by SEND_RATE_PER_SECOND.
func (o *Outbox) rateOf(p models.PhoneNumber) int {
	if p.SendRatePerSec > 0 {
		return min(p.SendRatePerSec, o.rate)
	}
	return o.rate
}

// readdress points a stored message at to: "to" for a phone number, "recipient" for a business-scoped user id.
func readdress(m models.OutboundMessage, to string) (models.OutboundMessage, error) {
	var msg whatsapp.OutgoingMessage
	if err := json.Unmarshal([]byte(m.Payload), &msg); err != nil {
		return m, fmt.Errorf("stored payload is not a message: %w", err)
	}
	msg.Address(to)
	b, err := json.Marshal(msg)
	if err != nil {
		return m, fmt.Errorf("encode readdressed message: %w", err)
	}
	m.Payload, m.ToWaID = string(b), to
	return m, nil
}
