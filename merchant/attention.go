package merchant

import (
	"context"
	"fmt"

	"github.com/waorder/waorder/models"
)

// Attention is what needs the merchant: replies that failed or are held (with their reasons), and customer
// messages the bot gave up on (the customer got one fallback reply; the merchant may answer by hand).
type Attention struct {
	Replies   []models.OutboundMessage
	Messages  []models.InboundMessage
	Customers map[int64]models.Customer // the customers of both lists, by id
}

// attentionLimit bounds each list on the page: the newest ones matter.
const attentionLimit = 50

// Attention lists a business's failed and held replies and its messages the bot gave up on, newest first, with
// their customers.
func (s *Service) Attention(ctx context.Context, businessID int64) (Attention, error) {
	var a Attention
	var err error
	if a.Replies, err = s.store.OutboundNeedingAttention(ctx, businessID, attentionLimit); err != nil {
		return a, err
	}
	if a.Messages, err = s.store.FailedInbound(ctx, businessID, attentionLimit); err != nil {
		return a, err
	}
	ids := make([]int64, 0, len(a.Replies)+len(a.Messages))
	for _, r := range a.Replies {
		ids = append(ids, r.CustomerID)
	}
	for _, m := range a.Messages {
		ids = append(ids, m.CustomerID)
	}
	a.Customers, err = s.store.CustomersByID(ctx, businessID, ids)
	return a, err
}

// RetryReply sends a failed or held reply again (as the template outside the customer's window, or held again),
// with a fresh count of attempts. One not failed or held any more is models.ErrNotFound.
func (s *Service) RetryReply(ctx context.Context, businessID, id int64) error {
	if err := s.store.RetryOutbound(ctx, businessID, id); err != nil {
		return fmt.Errorf("retry reply %d: %w", id, err)
	}
	if s.waker != nil {
		s.waker.Wake()
	}
	return nil
}
