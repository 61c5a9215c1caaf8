package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
)

const usage = `usage: waorder [command]

commands:
  serve                 run the service (default)
  migrate               apply database migrations and exit
  healthcheck           exit 0 when this machine's instance answers GET /health with 200 (container HEALTHCHECK)
  admin create-business --name N --phone-number-id P --waba-id W --access-token T|-
  admin create-user     --business ID --email E --password P|- [--role owner|staff]
  admin create-api-token --business ID [--name N]
  admin backup FILE     consistent copy of the embedded database (PostgreSQL: use pg_dump)
  admin export-business --business ID FILE
  admin import-business [--source-key-file F] FILE
  admin reset-link      --email E   (a one-time password reset link, valid an hour; emailed when SMTP_URL is set)
  admin list-api-tokens --business ID
  admin revoke-api-token --business ID --id TOKEN_ID
  admin reset-password  --email E --password P|-
  admin delete-user     --email E

A secret given as "-" is read from standard input (one line), so it stays out of the process list.
`

// Main is the whole program: cmd/waorder only supplies the process's environment, so tests can call it directly.
func Main(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	configFile := getenv("CONFIG_FILE")
	if configFile == "" {
		configFile = "config.yaml"
	}
	cfg, err := config.Load(getenv, configFile)
	if err != nil {
		return err
	}
	log := newLogger(stdout, cfg.LogLevel)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate":
		store, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer store.Close()
		n, err := store.Migrate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migrations\n", n)
		return nil
	case "healthcheck":
		return healthcheck(ctx, cfg.Port, stdout)
	case "admin":
		return admin(ctx, cfg, args, stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func openStore(ctx context.Context, cfg config.Config) (*repository.Store, error) {
	return repository.Open(ctx, cfg.Database, cfg.DataDir, repository.Options{QueryTimeout: cfg.DBTimeout, MaxOpenConns: dbPool(cfg)})
}

// dbPool is DB_POOL connections on PostgreSQL; the embedded database keeps its one writer connection (0: the
// repository's own choice).
func dbPool(cfg config.Config) int {
	if cfg.Database == "" {
		return 0
	}
	return cfg.DBPool
}

// openMigrated opens the database and brings its schema up to date, as every command but migrate wants it, and
// refuses a sandbox start on a database that serves production (guardMode).
func openMigrated(ctx context.Context, cfg config.Config) (*repository.Store, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	if err := guardMode(ctx, cfg, store); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// openBox makes the cipher for access tokens at rest from ENCRYPTION_KEY.
func openBox(cfg config.Config) (*secretbox.Box, error) {
	key, err := cfg.EncryptionKeyBytes()
	if err != nil {
		return nil, fmt.Errorf("ENCRYPTION_KEY %w", err)
	}
	return secretbox.New(key)
}
