package merchant

import (
	"context"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

// This file holds the reads behind the dashboard's conversations and live feeds (orders, inbox): they poll the
// database, never the cache, so what any instance stored shows up on every instance's pages.

// Messages are one customer's side of the conversation both ways: the last limit messages they sent and the last
// limit sent to them, each oldest first.
func (s *Service) Messages(ctx context.Context, bizID, customerID int64, limit int) ([]models.InboundMessage, []models.OutboundMessage, error) {
	in, err := s.store.CustomerInbound(ctx, bizID, customerID, limit)
	if err != nil {
		return nil, nil, err
	}
	out, err := s.store.OutboundForCustomer(ctx, bizID, customerID, limit)
	if err != nil {
		return nil, nil, err
	}
	return in, out, nil
}

// LatestInboundID is the id of the customer's newest message (0 when they never wrote): where a thread's live
// feed starts.
func (s *Service) LatestInboundID(ctx context.Context, bizID, customerID int64) (int64, error) {
	in, err := s.store.CustomerInbound(ctx, bizID, customerID, 1)
	if err != nil || len(in) == 0 {
		return 0, err
	}
	return in[0].ID, nil
}

// CustomerByWaID finds the business's customer by WhatsApp id; models.ErrNotFound when none wrote yet.
func (s *Service) CustomerByWaID(ctx context.Context, bizID int64, waID string) (models.Customer, error) {
	return s.store.CustomerByWaID(ctx, bizID, waID)
}

// LatestOrderID is the business's highest order id (0 when it has none): where the live order feed starts.
func (s *Service) LatestOrderID(ctx context.Context, bizID int64) (int64, error) {
	return s.store.LatestOrderID(ctx, bizID)
}

// OrdersSince lists the business's orders with an id above afterID or created at or after since, oldest first:
// the time window catches an order whose lower id committed after a higher one was shown.
func (s *Service) OrdersSince(ctx context.Context, bizID, afterID int64, since time.Time, limit int) ([]models.Order, error) {
	return s.store.OrdersSince(ctx, bizID, afterID, since, limit)
}

// ThreadsChangedSince lists the business's threads that changed at or after since, oldest change first.
func (s *Service) ThreadsChangedSince(ctx context.Context, bizID int64, since time.Time, limit int) ([]models.Thread, error) {
	return s.store.ThreadsChangedSince(ctx, bizID, since, limit)
}

// OrderMovesSince lists the business's order status changes at or after since, oldest first.
func (s *Service) OrderMovesSince(ctx context.Context, bizID int64, since time.Time, limit int) ([]repository.OrderMove, error) {
	return s.store.OrderMovesSince(ctx, bizID, since, limit)
}

// InboundSince lists the customer's messages with an id above afterID, oldest first.
func (s *Service) InboundSince(ctx context.Context, bizID, customerID, afterID int64, limit int) ([]models.InboundMessage, error) {
	return s.store.InboundSince(ctx, bizID, customerID, afterID, limit)
}

// MarkThreadRead records that the merchant read the customer's thread up to at.
func (s *Service) MarkThreadRead(ctx context.Context, bizID, customerID int64, at time.Time) error {
	return s.store.MarkThreadRead(ctx, bizID, customerID, at)
}

// OutboundChangedSince lists the messages sent to the customer that were created or changed status at or after
// since, oldest change first.
func (s *Service) OutboundChangedSince(ctx context.Context, bizID, customerID int64, since time.Time, limit int) ([]models.OutboundMessage, error) {
	return s.store.OutboundChangedSince(ctx, bizID, customerID, since, limit)
}

// Files are the customer files (pictures, voice notes, documents) of these messages of the business, by message id.
func (s *Service) Files(ctx context.Context, bizID int64, messageIDs []int64) (map[int64]models.InboundMedia, error) {
	return s.store.InboundMediaOfMessages(ctx, bizID, messageIDs)
}

// InboundWithFilesSettledSince returns the customer's messages whose file was stored, refused or removed at or
// after from: an open thread redraws them.
func (s *Service) InboundWithFilesSettledSince(ctx context.Context, bizID, customerID int64, from time.Time, limit int) ([]models.InboundMessage, error) {
	return s.store.InboundWithFilesSettledSince(ctx, bizID, customerID, from, limit)
}

// File loads one customer file of the business; another business's id is models.ErrNotFound.
func (s *Service) File(ctx context.Context, bizID, id int64) (models.InboundMedia, error) {
	return s.store.InboundMedia(ctx, bizID, id)
}
