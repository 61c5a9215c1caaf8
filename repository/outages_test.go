package repository_test

import (
	"context"
	"errors"
	"testing"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// A database outage reaches callers as models' EUNAVAILABLE error (a door answers 503 on the code alone, without
// asking this package), still wrapping the driver's error; other errors keep their own code, and nested
// transactions (savepoints) still work through the translating dialector.
func TestOutages_ADatabaseOutageCarriesTheUnavailableCode(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, _ := seedBusiness(t, s, "out-"+testutil.RandomHex(3))
			if _, err := s.Business(ctx, b.ID+1000); models.ErrorCode(err) != models.ENOTFOUND {
				t.Fatalf("a miss: %v (code %q)", err, models.ErrorCode(err))
			}
			inner := errors.New("roll the savepoint back")
			err := s.Tx(ctx, func(tx *repository.Store) error {
				if err := tx.Tx(ctx, func(tx *repository.Store) error {
					if err := tx.UpdateBusinessSettings(ctx, models.Business{ID: b.ID, Name: "Rolled back", Currency: "USD"}); err != nil {
						return err
					}
					return inner
				}); !errors.Is(err, inner) {
					return err
				}
				return nil
			})
			if got, _ := s.Business(ctx, b.ID); err != nil || got.Name != b.Name {
				t.Fatalf("nested transaction: %v, name %q (want %q kept)", err, got.Name, b.Name)
			}
			if s.Postgres() { // the server ends our session: a driver's error (SQLSTATE 57P01), not the standard library's
				err := s.DB(ctx).Exec("SELECT pg_terminate_backend(pg_backend_pid())").Error
				if models.ErrorCode(err) != models.EUNAVAILABLE || !repository.IsUnavailable(err) {
					t.Fatalf("terminated session: %v (code %q)", err, models.ErrorCode(err))
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			_, err = s.Business(ctx, b.ID)
			if e, ok := models.AsError(err); !ok || e.Code != models.EUNAVAILABLE || !repository.IsUnavailable(err) {
				t.Fatalf("closed store: %v, want models' unavailable error", err)
			}
		})
	}
}
