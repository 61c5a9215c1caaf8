package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad_NoSettingsIsSandboxOnEmbeddedDefaults(t *testing.T) {
	c, err := Load(env(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Sandbox || c.Port != 3000 || c.DataDir != "./data" || c.Database != "" || c.Valkey != "" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.AppSecret != SandboxAppSecret {
		t.Fatalf("sandbox app secret = %q", c.AppSecret)
	}
}

func TestLoad_ProductionNamesEveryMissingKey(t *testing.T) {
	_, err := Load(env(map[string]string{"WHATSAPP_APP_SECRET": "s"}), "")
	if err == nil {
		t.Fatal("expected an error")
	}
	for _, key := range []string{"WHATSAPP_VERIFY_TOKEN", "SESSION_SECRET", "ENCRYPTION_KEY"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
}

func TestLoad_BadValuesAreNamed(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		key  string
	}{
		{"port", map[string]string{"PORT": "70000"}, "PORT"},
		{"database", map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{"valkey", map[string]string{"VALKEY_URL": "http://x"}, "VALKEY_URL"},
		{"key", map[string]string{"ENCRYPTION_KEY": "short"}, "ENCRYPTION_KEY"},
		{"token without number", map[string]string{"WHATSAPP_ACCESS_TOKEN": "t"}, "WHATSAPP_PHONE_NUMBER_ID"},
		{"interval", map[string]string{"MEMORY_CHECK_INTERVAL": "5ms"}, "MEMORY_CHECK_INTERVAL"},
		{"statuses purged before Meta stops redelivering", map[string]string{"RETENTION_STATUSES": "48h"}, "RETENTION_STATUSES"},
		{"events age", map[string]string{"RETENTION_EVENTS": "1h"}, "RETENTION_EVENTS"},
		{"media removed within the day", map[string]string{"RETENTION_MEDIA": "2h"}, "RETENTION_MEDIA"},
		{"no bot workers", map[string]string{"BOT_WORKERS": "0"}, "BOT_WORKERS"},
		{"a pool too small for the workers", map[string]string{"DB_POOL": "2"}, "DB_POOL"},
		{"a web-only instance on the embedded database", map[string]string{"RUN_WORKERS": "false"}, "RUN_WORKERS"},
		{"retention batch", map[string]string{"RETENTION_BATCH": "0"}, "RETENTION_BATCH"},
		{"retention interval", map[string]string{"RETENTION_INTERVAL": "1s"}, "RETENTION_INTERVAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env), "")
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("error %v does not name %s", err, tt.key)
			}
		})
	}
}

func TestLoad_WorkersRunUnlessAWebOnlyInstanceSharesPostgreSQL(t *testing.T) {
	c, err := Load(env(nil), "")
	if err != nil || !c.RunWorkers {
		t.Fatalf("default: RunWorkers %v, err %v; want true", c.RunWorkers, err)
	}
	c, err = Load(env(map[string]string{"RUN_WORKERS": "false", "DATABASE_URL": "postgres://db/x", "SANDBOX": "true"}), "")
	if err != nil || c.RunWorkers {
		t.Fatalf("web-only on PostgreSQL: RunWorkers %v, err %v; want false, no error", c.RunWorkers, err)
	}
}

func TestLoad_FileThenEnvironmentWins(t *testing.T) {
	f := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(f, []byte("PORT: 4000\nBUSINESS_NAME: Cafe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"PORT": "5000", "REDIS_URL": "redis://127.0.0.1:6379/0"}), f)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 5000 || c.BusinessName != "Cafe" || c.Valkey != "redis://127.0.0.1:6379/0" {
		t.Fatalf("got %+v", c)
	}
	if _, err := Load(env(nil), filepath.Join(t.TempDir(), "missing.yaml")); err != nil {
		t.Fatalf("a missing optional file must not fail: %v", err)
	}
}

func TestEncryptionKeyBytes_AcceptsHexAndBase64(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	for _, k := range []string{hexKey, "q83vq83vq83vq83vq83vq83vq83vq83vq83vq83vq80="} {
		b, err := Config{EncryptionKey: k}.EncryptionKeyBytes()
		if err != nil || len(b) != 32 {
			t.Fatalf("%q: %v", k, err)
		}
	}
}
