package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

func productionEnv(dir string) map[string]string {
	return map[string]string{"DATA_DIR": dir, "CONFIG_FILE": "none.yaml", "WHATSAPP_APP_SECRET": "app-secret",
		"WHATSAPP_VERIFY_TOKEN": "verify", "SESSION_SECRET": strings.Repeat("s", 32), "ENCRYPTION_KEY": strings.Repeat("ab", 32)}
}

// start builds the service on env's DATA_DIR (listening on a free loopback port) and closes it again.
func start(t *testing.T, env map[string]string) (string, error) {
	t.Helper()
	cfg, err := config.Load(envOf(env), "")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	svc, err := New(cfg, newLogger(&logs, "info"), WithAddr("127.0.0.1:0"))
	if err == nil {
		svc.Close()
	}
	return logs.String(), err
}

func demoUser(t *testing.T, dir string) (models.User, error) {
	t.Helper()
	store, err := repository.Open(context.Background(), "", dir, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	return store.UserByEmail(context.Background(), sandboxEmail)
}

// TestSandbox_NeverStartsOnAProductionDatabaseAndItsLoginDiesWithIt: the demo login exists only in sandbox mode, a
// production start deletes it, and sandbox mode then refuses the database for good.
func TestSandbox_NeverStartsOnAProductionDatabaseAndItsLoginDiesWithIt(t *testing.T) {
	dir := t.TempDir()
	sandboxEnv := map[string]string{"DATA_DIR": dir, "CONFIG_FILE": "none.yaml"}
	if _, err := start(t, sandboxEnv); err != nil {
		t.Fatal(err)
	}
	if _, err := demoUser(t, dir); err != nil {
		t.Fatalf("sandbox start made no demo login: %v", err)
	}
	if _, err := start(t, sandboxEnv); err != nil {
		t.Fatalf("second sandbox start: %v", err)
	}
	logs, err := start(t, productionEnv(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demoUser(t, dir); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("demo login after a production start: %v\n%s", err, logs)
	}
	if _, err := start(t, sandboxEnv); err == nil || !strings.Contains(err.Error(), "sandbox mode refuses this database") {
		t.Fatalf("sandbox start on a database that served production: %v", err)
	}
	if _, err := demoUser(t, dir); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("the refused sandbox start made the demo login again: %v", err)
	}
}

// TestSandbox_RefusesADatabaseWithAnotherBusinessAndPutsTheDemoLoginOnlyOnItsOwn: a database from before the
// mode was recorded, holding a real business, is refused; the demo login never lands on another business.
func TestSandbox_RefusesADatabaseWithAnotherBusinessAndPutsTheDemoLoginOnlyOnItsOwn(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	store, err := repository.Open(ctx, "", dir, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	real := models.Business{Name: "Real Cafe"}
	if err := store.CreateBusiness(ctx, &real); err != nil {
		t.Fatal(err)
	}
	store.Close()
	if _, err := start(t, map[string]string{"DATA_DIR": dir, "CONFIG_FILE": "none.yaml"}); err == nil ||
		!strings.Contains(err.Error(), "Real Cafe") {
		t.Fatalf("sandbox start beside a real business: %v", err)
	}

	// A sandbox database whose demo login was moved to another business gets it back on its own business only.
	dir = t.TempDir()
	if _, err := start(t, map[string]string{"DATA_DIR": dir, "CONFIG_FILE": "none.yaml"}); err != nil {
		t.Fatal(err)
	}
	store, err = repository.Open(ctx, "", dir, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	other := models.Business{Name: "Signed up in the sandbox"}
	if err := store.CreateBusiness(ctx, &other); err != nil {
		t.Fatal(err)
	}
	if err := store.DB(ctx).Table("users").Where("email = ?", sandboxEmail).Update("business_id", other.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := start(t, map[string]string{"DATA_DIR": dir, "CONFIG_FILE": "none.yaml"}); err != nil {
		t.Fatal(err)
	}
	u, err := store.UserByEmail(ctx, sandboxEmail)
	phone, _ := store.PhoneNumberByMetaID(ctx, SandboxMetaPhoneID)
	if err != nil || u.BusinessID != phone.BusinessID || u.BusinessID == other.ID {
		t.Fatalf("demo login on business %d (%v), want the sandbox business %d", u.BusinessID, err, phone.BusinessID)
	}
}
