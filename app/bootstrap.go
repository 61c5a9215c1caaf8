package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
)

// SandboxMetaPhoneID is the phone_number_id (Meta's id) of the demo business sandbox mode creates.
const SandboxMetaPhoneID = "100000000000001"

// bootstrap creates, when asked by the environment, the single business of a self-hosted install, and in sandbox
// mode a demo business, so a fresh start has something to talk to.
func bootstrap(ctx context.Context, cfg config.Config, store *repository.Store, box *secretbox.Box, log *slog.Logger) error {
	metaPhoneID, token, name, waba := cfg.MetaPhoneID, cfg.AccessToken, cfg.BusinessName, cfg.WABAID
	if metaPhoneID == "" && cfg.Sandbox {
		metaPhoneID, token, waba = SandboxMetaPhoneID, "sandbox-token", SandboxWABAID
		if name == "" {
			name = "Sandbox Cafe"
		}
	}
	if metaPhoneID == "" {
		return nil
	}
	if _, err := store.PhoneNumberByMetaID(ctx, metaPhoneID); err == nil {
		return nil
	} else if !errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if name == "" {
		name = "My Business"
	}
	id, err := createBusiness(ctx, store, box, name, metaPhoneID, waba, token)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	log.Info("bootstrapped business", "business_id", id, "name", name, "phone_number_id", metaPhoneID)
	if cfg.Sandbox && cfg.MetaPhoneID == "" {
		if err := seedDemoCatalog(ctx, store, id); err != nil {
			return err
		}
		return seedDemoWeek(ctx, store, id, time.Now())
	}
	return nil
}

// seedDemoCatalog gives the sandbox business a menu long enough to page through.
func seedDemoCatalog(ctx context.Context, store *repository.Store, bizID int64) error {
	demo := []struct {
		sku, name, category string
		price               int64
	}{
		{"espresso", "Espresso", "Coffee", 180}, {"cappuccino", "Cappuccino", "Coffee", 290},
		{"latte", "Caffè latte", "Coffee", 320}, {"tea", "Green tea", "Tea", 220}, {"chai", "Chai latte", "Tea", 340},
		{"croissant", "Butter croissant", "Bakery", 250}, {"muffin", "Blueberry muffin", "Bakery", 280},
		{"bagel", "Salmon bagel", "Food", 690}, {"toast", "Avocado toast", "Food", 750},
		{"salad", "Quinoa salad", "Food", 890}, {"cookie", "Chocolate cookie", "Bakery", 190},
		{"juice", "Orange juice", "Drinks", 350},
	}
	for i, d := range demo {
		p := models.Product{BusinessID: bizID, RetailerID: d.sku, Name: d.name, PriceMinor: d.price, Currency: "USD",
			Category: d.category, Available: true, Sort: i}
		if err := store.CreateProduct(ctx, &p); err != nil {
			return fmt.Errorf("seed demo catalog: %w", err)
		}
	}
	return nil
}

func createBusiness(ctx context.Context, store *repository.Store, box *secretbox.Box, name, metaPhoneID, wabaID, token string) (int64, error) {
	sealed, err := box.Seal(token)
	if err != nil {
		return 0, err
	}
	var id int64
	err = store.Tx(ctx, func(tx *repository.Store) error {
		b := models.Business{Name: name}
		if err := tx.CreateBusiness(ctx, &b); err != nil {
			return err
		}
		id = b.ID
		return tx.AddPhoneNumber(ctx, &models.PhoneNumber{BusinessID: b.ID, MetaPhoneID: metaPhoneID, WABAID: wabaID, AccessTokenEnc: sealed})
	})
	return id, err
}

// Sandbox's demo login, so a fresh `go run ./cmd/waorder` can open the dashboard.
const (
	sandboxEmail    = "demo@example.com"
	sandboxPassword = "sandbox-demo"
)

// bootstrapLogin creates the first merchant login from ADMIN_EMAIL and ADMIN_PASSWORD for the first business, unless
// that email exists. In sandbox mode without ADMIN_EMAIL it makes the public demo login, on the sandbox business
// only; any start outside sandbox mode deletes the demo login, wherever it is.
func bootstrapLogin(ctx context.Context, cfg config.Config, store *repository.Store, accounts *auth.Service, log *slog.Logger) error {
	if !cfg.Sandbox {
		if err := removeDemoLogin(ctx, store, log); err != nil {
			return err
		}
	}
	if cfg.Sandbox && cfg.AdminEmail == "" {
		return demoLogin(ctx, store, accounts, log)
	}
	email, password := cfg.AdminEmail, cfg.AdminPassword
	if email == "" {
		return nil
	}
	if _, err := store.UserByEmail(ctx, email); err == nil {
		return nil
	} else if !errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("bootstrap login: %w", err)
	}
	bs, err := store.Businesses(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap login: %w", err)
	}
	if len(bs) == 0 {
		log.Warn("ADMIN_EMAIL is set but there is no business yet; create one (admin create-business) and restart")
		return nil
	}
	if _, err := accounts.CreateUser(ctx, bs[0].ID, email, password, models.RoleOwner); err != nil {
		return fmt.Errorf("bootstrap login: %w", err)
	}
	log.Info("created the first merchant login", "email", email, "business_id", bs[0].ID)
	return nil
}

// demoLogin makes sure the public demo login exists and belongs to the sandbox business, and to no other.
func demoLogin(ctx context.Context, store *repository.Store, accounts *auth.Service, log *slog.Logger) error {
	phone, err := store.PhoneNumberByMetaID(ctx, SandboxMetaPhoneID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo login: %w", err)
	}
	u, err := store.UserByEmail(ctx, sandboxEmail)
	switch {
	case err == nil && u.BusinessID == phone.BusinessID:
		return nil
	case err == nil:
		if err := store.DeleteUser(ctx, u.ID); err != nil {
			return fmt.Errorf("demo login on business %d: %w", u.BusinessID, err)
		}
	case !errors.Is(err, models.ErrNotFound):
		return fmt.Errorf("demo login: %w", err)
	}
	if _, err := accounts.CreateUser(ctx, phone.BusinessID, sandboxEmail, sandboxPassword, models.RoleOwner); err != nil {
		return fmt.Errorf("demo login: %w", err)
	}
	log.Warn("SANDBOX login for the dashboard", "email", sandboxEmail, "password", sandboxPassword)
	return nil
}

// removeDemoLogin deletes the public demo login (and its sessions), which must not outlive sandbox mode.
func removeDemoLogin(ctx context.Context, store *repository.Store, log *slog.Logger) error {
	u, err := store.UserByEmail(ctx, sandboxEmail)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove demo login: %w", err)
	}
	if err := store.DeleteUser(ctx, u.ID); err != nil {
		return fmt.Errorf("remove demo login: %w", err)
	}
	log.Warn("deleted the sandbox demo login: it has no place outside sandbox mode", "email", sandboxEmail,
		"business_id", u.BusinessID)
	return nil
}
