package onboarding

import (
	"context"

	"github.com/waorder/waorder/models"
)

// Templates lists the business's message templates as last synced from Meta.
func (s *Service) Templates(ctx context.Context, bizID int64) ([]models.MessageTemplate, error) {
	return s.Store.Templates(ctx, bizID)
}

// PhoneNumber loads one of the business's numbers by our id; models.ErrNotFound for another business's.
func (s *Service) PhoneNumber(ctx context.Context, bizID, phoneID int64) (models.PhoneNumber, error) {
	return s.Store.PhoneNumber(ctx, bizID, phoneID)
}
