package repository

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/waorder/waorder/models"
)

// Backup writes a consistent copy of the embedded database to path while the service keeps serving: SQLite's
// VACUUM INTO reads one snapshot (writers are not blocked in WAL mode) and writes a compact, self-contained file.
// It writes next to path first and renames at the end, so path never holds half a backup; an existing path is
// refused rather than overwritten.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.postgres {
		return models.ErrBackupPostgres
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err == nil {
		return fmt.Errorf("backup to %s: the file exists; choose a new name", abs)
	}
	tmp := abs + ".partial"
	os.Remove(tmp) //nolint:errcheck // a leftover of an interrupted backup
	if err := s.db.WithContext(ctx).Exec("VACUUM INTO ?", tmp).Error; err != nil {
		os.Remove(tmp) //nolint:errcheck
		return fmt.Errorf("backup to %s: %w", abs, err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		os.Remove(tmp) //nolint:errcheck
		return fmt.Errorf("backup to %s: %w", abs, err)
	}
	return nil
}
