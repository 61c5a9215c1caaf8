package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/whatsapp"
)

// readReceipts shows the customer blue ticks and a typing indicator while the reply is on its way. They are
// cosmetic: sent directly (not through the outbox), at most 16 in flight (past that they are skipped), and only
// logged when they fail.
type readReceipts struct {
	store *repository.Store
	box   *secretbox.Box
	graph *whatsapp.Client
	log   *slog.Logger
	slots chan struct{}
	now   func() time.Time

	mu     sync.Mutex
	phones map[int64]receiptPhone // by phone_numbers row id, each kept for receiptPhoneTTL
}

// receiptPhone is what a receipt needs of its number: Meta's id and the opened token, or not connected.
type receiptPhone struct {
	metaID, token string
	connected     bool
	until         time.Time
}

// receiptPhoneTTL is how long a number's row is reused for receipts: during a burst every message would otherwise
// read it again. A number disconnected within that time may still get a receipt, which Meta then refuses: they are
// cosmetic. Hand-written rather than cache.Memory: that one keeps JSON, and this is one token per number.
const receiptPhoneTTL = 5 * time.Second

func newReadReceipts(store *repository.Store, box *secretbox.Box, graph *whatsapp.Client, log *slog.Logger) *readReceipts {
	return &readReceipts{store: store, box: box, graph: graph, log: log, slots: make(chan struct{}, 16), now: time.Now,
		phones: map[int64]receiptPhone{}}
}

// send marks msg read in the background, unless 16 receipts are already in flight.
func (r *readReceipts) send(ctx context.Context, msg models.InboundMessage) {
	select {
	case r.slots <- struct{}{}:
		go func() {
			defer func() { <-r.slots }()
			r.markRead(context.WithoutCancel(ctx), msg)
		}()
	default:
	}
}

func (r *readReceipts) markRead(ctx context.Context, msg models.InboundMessage) {
	phone, err := r.phone(ctx, msg.BusinessID, msg.PhoneNumberID)
	if err != nil || !phone.connected {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.graph.MarkRead(ctx, phone.metaID, phone.token, msg.Wamid, true); err != nil {
		r.log.Debug("mark as read failed", "wamid", msg.Wamid, "err", err)
	}
}

// phone is the number a receipt goes out from, read at most once per receiptPhoneTTL.
func (r *readReceipts) phone(ctx context.Context, businessID, id int64) (receiptPhone, error) {
	now := r.now()
	r.mu.Lock()
	p, ok := r.phones[id]
	r.mu.Unlock()
	if ok && now.Before(p.until) {
		return p, nil
	}
	row, err := r.store.PhoneNumber(ctx, businessID, id)
	if err != nil {
		return receiptPhone{}, err
	}
	p = receiptPhone{metaID: row.MetaPhoneID, until: now.Add(receiptPhoneTTL)}
	if row.Status == models.PhoneConnected {
		if p.token, err = r.box.Open(row.AccessTokenEnc); err == nil {
			p.connected = true
		}
	}
	r.mu.Lock()
	for k, old := range r.phones { // numbers are few; drop the stale ones while here
		if !now.Before(old.until) {
			delete(r.phones, k)
		}
	}
	r.phones[id] = p
	r.mu.Unlock()
	return p, nil
}
