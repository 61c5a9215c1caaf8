package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// deliver sends one claimed message and records what happened. Every path ends with the row updated: sent,
// retried later, held, or failed; a crash before that leaves the lease to run out and the message to be claimed
// again.
func (o *Outbox) deliver(ctx context.Context, m models.OutboundMessage) {
	if err := o.try(ctx, m); err != nil {
		// The outcome could not be recorded (database trouble): the lease runs out and the message is retried.
		o.log.Error("outbound message not recorded", "id", m.ID, "err", err)
	}
}

func (o *Outbox) try(ctx context.Context, m models.OutboundMessage) error {
	phone, err := o.store.PhoneNumber(ctx, m.BusinessID, m.PhoneNumberID)
	if err != nil {
		return err
	}
	if phone.Status != models.PhoneConnected {
		return o.store.RetryOutbound(ctx, m, time.Now().Add(time.Minute), 0, "phone number "+string(phone.Status))
	}
	cust, err := o.store.Customer(ctx, m.BusinessID, m.CustomerID)
	if err != nil {
		return err
	}
	payload := m.Payload
	if m.Kind != "template" && !cust.WindowOpen(time.Now()) {
		var ok bool
		if payload, ok, err = o.outsideWindow(ctx, m, 0, "outside the 24-hour window"); err != nil || !ok {
			return err
		}
	}
	token, err := o.box.Open(phone.AccessTokenEnc)
	if err != nil {
		o.count("failed")
		return o.store.FailOutbound(ctx, m, 0, "cannot decrypt the phone number's access token: "+err.Error())
	}
	o.limits.pace(m.ToWaID)
	o.limits.wait(phone.ID, phone.SendRatePerSec)
	wamid, err := o.sender.Send(ctx, phone.PhoneNumberID, token, []byte(payload))
	if err == nil {
		o.count("sent")
		return o.store.MarkOutboundSent(ctx, m, wamid)
	}
	return o.failed(ctx, m, phone, err)
}

// failed decides what a send error means for the message and its phone number.
func (o *Outbox) failed(ctx context.Context, m models.OutboundMessage, phone models.PhoneNumber, err error) error {
	code := 0
	var apiErr *whatsapp.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.Code
	}
	reason := err.Error()
	switch {
	case whatsapp.IsTokenInvalid(err):
		// The number stops sending until it is reconnected; its messages stay queued, not failed.
		o.log.Warn("access token rejected; phone number paused until reconnected", "phone_number_id", phone.PhoneNumberID, "code", code)
		if err := o.store.SetPhoneStatus(ctx, phone.BusinessID, phone.ID, models.PhoneTokenExpired, reason); err != nil {
			return err
		}
		o.count("retry")
		return o.store.RetryOutbound(ctx, m, time.Now(), code, reason)
	case whatsapp.IsOutsideWindow(err) && m.Kind != "template":
		_, _, err := o.outsideWindow(ctx, m, code, reason)
		return err
	case whatsapp.IsRetryable(err) && m.Attempts+1 < o.MaxAttempts:
		o.count("retry")
		return o.store.RetryOutbound(ctx, m, time.Now().Add(o.backoff(m.Attempts, whatsapp.RetryAfter(err))), code, reason)
	default:
		o.count("failed")
		o.log.Warn("outbound message failed", "id", m.ID, "code", code, "attempts", m.Attempts+1, "err", err)
		return o.store.FailOutbound(ctx, m, code, reason)
	}
}

// backoff is exponential with full jitter, at least what Meta asked for in Retry-After.
func (o *Outbox) backoff(attempts int, retryAfter time.Duration) time.Duration {
	ceil := min(o.MaxBackoff, o.BaseBackoff<<min(attempts, 20))
	d := time.Duration(rand.Int64N(int64(ceil) + 1))
	return max(d, retryAfter)
}

// outsideWindow replaces a free-form message by the business's template (returning the new payload, ok) or, with no
// template configured, holds it until the customer writes again.
func (o *Outbox) outsideWindow(ctx context.Context, m models.OutboundMessage, code int, reason string) (string, bool, error) {
	biz, err := o.store.Business(ctx, m.BusinessID)
	if err != nil {
		return "", false, err
	}
	if biz.WindowTemplate == "" {
		o.count("held")
		return "", false, o.store.HoldOutbound(ctx, m, code, reason+"; no template configured: held until the customer writes")
	}
	var orig whatsapp.OutgoingMessage
	if err := json.Unmarshal([]byte(m.Payload), &orig); err != nil {
		o.count("failed")
		return "", false, o.store.FailOutbound(ctx, m, 0, "stored payload is not a message: "+err.Error())
	}
	tm, err := whatsapp.NewTemplate(m.ToWaID, biz.WindowTemplate, biz.TemplateLanguage,
		[]whatsapp.TemplateComponent{whatsapp.TemplateBodyText(templateParam(orig.Text()))})
	if err != nil {
		o.count("failed")
		return "", false, o.store.FailOutbound(ctx, m, 0, fmt.Sprintf("cannot build template %q: %v", biz.WindowTemplate, err))
	}
	b, err := json.Marshal(tm)
	if err != nil {
		return "", false, err
	}
	if err := o.store.ReplaceOutboundPayload(ctx, m, "template", string(b)); err != nil {
		return "", false, err
	}
	if code != 0 {
		// Found out by a 131047 answer: send the template on the next round.
		o.count("retry")
		return "", false, o.store.RetryOutbound(ctx, m, time.Now(), code, reason)
	}
	return string(b), true, nil
}

// templateParam fits text into a template variable: one line, no tabs or runs of spaces, at most 1024 characters.
func templateParam(text string) string {
	text = strings.Join(strings.Fields(strings.ReplaceAll(text, "\n", " · ")), " ")
	if text == "" {
		text = "-"
	}
	return whatsapp.TruncateRunes(text, 1024)
}
