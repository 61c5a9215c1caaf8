package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
)

// adminData runs the admin commands that move data out of or into the database: backup, export-business and
// import-business. handled is false for any other subcommand.
func adminData(ctx context.Context, cfg config.Config, store *repository.Store, args []string, stdout io.Writer) (handled bool, err error) {
	fs := flag.NewFlagSet("admin "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch args[0] {
	case "backup":
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
			return true, fmt.Errorf("backup needs the name of a new file: admin backup FILE")
		}
		if err := store.Backup(ctx, fs.Arg(0)); err != nil {
			return true, err
		}
		fmt.Fprintln(stdout, fs.Arg(0))
		return true, nil
	case "export-business":
		biz := fs.Int64("business", 0, "business id")
		if err := fs.Parse(args[1:]); err != nil || *biz <= 0 || fs.NArg() != 1 {
			return true, fmt.Errorf("export-business needs --business ID and a file: admin export-business --business ID FILE")
		}
		return true, exportBusiness(ctx, store, *biz, fs.Arg(0), stdout)
	case "import-business":
		keyFile := fs.String("source-key-file", "", "file holding the ENCRYPTION_KEY of the deployment the export came from")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
			return true, fmt.Errorf("import-business needs the export file: admin import-business [--source-key-file F] FILE")
		}
		return true, importBusiness(ctx, cfg, store, fs.Arg(0), *keyFile, stdout)
	}
	return false, nil
}

func exportBusiness(ctx context.Context, store *repository.Store, biz int64, path string, stdout io.Writer) error {
	d, err := store.ExportBusiness(ctx, biz)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- the operator names this file; it holds password hashes and sealed tokens
	if err != nil {
		return fmt.Errorf("export-business: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", " ")
	if err := enc.Encode(d); err != nil {
		f.Close()
		os.Remove(path) //nolint:errcheck
		return fmt.Errorf("export-business: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export-business: write %s: %w", path, err)
	}
	fmt.Fprintln(stdout, path)
	return nil
}

func importBusiness(ctx context.Context, cfg config.Config, store *repository.Store, path, keyFile string, stdout io.Writer) error {
	b, err := os.ReadFile(path) // #nosec G304 -- the operator names this file on the command line
	if err != nil {
		return fmt.Errorf("import-business: %w", err)
	}
	var d repository.BusinessDump
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("import-business: %s is not a business export: %w", path, err)
	}
	target, err := openBox(cfg)
	if err != nil {
		return err
	}
	var source *secretbox.Box
	if keyFile != "" {
		if source, err = boxFromFile(keyFile); err != nil {
			return err
		}
	}
	id, err := store.ImportBusiness(ctx, d, reseal(target, source))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, id)
	return nil
}

// reseal keeps a sealed access token that this deployment's key opens as it is, and re-encrypts one sealed with the
// source deployment's key under this deployment's key. The token is never written in the clear.
func reseal(target, source *secretbox.Box) func(string) (string, error) {
	return func(sealed string) (string, error) {
		if sealed == "" {
			return "", nil
		}
		if _, err := target.Open(sealed); err == nil {
			return sealed, nil
		}
		if source == nil {
			return "", errors.New("it was encrypted with another ENCRYPTION_KEY: pass that key in a file with --source-key-file")
		}
		plain, err := source.Open(sealed)
		if err != nil {
			return "", fmt.Errorf("neither this ENCRYPTION_KEY nor the --source-key-file key opens it: %w", err)
		}
		return target.Seal(plain)
	}
}

// boxFromFile reads an ENCRYPTION_KEY (hex or base64, as the variable takes it) from a file.
func boxFromFile(path string) (*secretbox.Box, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- the operator names this file on the command line
	if err != nil {
		return nil, fmt.Errorf("--source-key-file: %w", err)
	}
	key, err := config.Config{EncryptionKey: strings.TrimSpace(string(b))}.EncryptionKeyBytes()
	if err != nil {
		return nil, fmt.Errorf("--source-key-file: the key %w", err)
	}
	return secretbox.New(key)
}
