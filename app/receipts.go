package app

import (
	"context"
	"log/slog"
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
}

func newReadReceipts(store *repository.Store, box *secretbox.Box, graph *whatsapp.Client, log *slog.Logger) *readReceipts {
	return &readReceipts{store: store, box: box, graph: graph, log: log, slots: make(chan struct{}, 16)}
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
	phone, err := r.store.PhoneNumber(ctx, msg.BusinessID, msg.PhoneNumberID)
	if err != nil || phone.Status != models.PhoneConnected {
		return
	}
	token, err := r.box.Open(phone.AccessTokenEnc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.graph.MarkRead(ctx, phone.MetaPhoneID, token, msg.Wamid, true); err != nil {
		r.log.Debug("mark as read failed", "wamid", msg.Wamid, "err", err)
	}
}
