package repository_test

import (
	"context"
	"errors"
	"testing"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// Both ways a number is stored (the operator's bootstrap and the dashboard's connect flow) refuse one of another
// business with the one typed error, and reconnect one of the same business in place.
func TestPhoneNumbers_OtherBusinessNumberIsTakenEitherWayItIsAdded(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			phoneID := "taken-" + testutil.RandomHex(3)
			owner, p := seedBusiness(t, s, phoneID)
			other := models.Business{Name: "Other"}
			if err := s.CreateBusiness(ctx, &other); err != nil {
				t.Fatal(err)
			}
			add := map[string]func(*models.PhoneNumber) error{
				"AddPhoneNumber": func(p *models.PhoneNumber) error { return s.AddPhoneNumber(ctx, p) },
				"FinishConnect":  func(p *models.PhoneNumber) error { return s.FinishConnect(ctx, p) },
			}
			for name, add := range add {
				err := add(&models.PhoneNumber{BusinessID: other.ID, MetaPhoneID: phoneID, AccessTokenEnc: "y"})
				if !errors.Is(err, models.ErrNumberTaken) || models.ErrorCode(err) != models.ECONFLICT {
					t.Fatalf("%s of another business's number: %v, want ErrNumberTaken", name, err)
				}
				again := models.PhoneNumber{BusinessID: owner.ID, MetaPhoneID: phoneID, AccessTokenEnc: "z-" + name}
				if err := add(&again); err != nil || again.ID != p.ID {
					t.Fatalf("%s reconnecting the owner's number: id %d (want %d) %v", name, again.ID, p.ID, err)
				}
			}
			got, err := s.PhoneNumberByMetaID(ctx, phoneID)
			if err != nil || got.BusinessID != owner.ID || got.Status != models.PhoneConnected {
				t.Fatalf("number after the refusals: %+v %v", got, err)
			}
			if nums, err := s.PhoneNumbers(ctx, other.ID); err != nil || len(nums) != 0 {
				t.Fatalf("other business's numbers: %+v %v", nums, err)
			}
		})
	}
}
