package mediastore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Local keeps files under a folder, one file per key; keys' slashes are sub-folders.
type Local struct {
	root *os.Root
}

// NewLocal opens (creating) dir. Every access goes through an os.Root, so no key can reach outside it.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("mediastore: create %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("mediastore: open %s: %w", dir, err)
	}
	return &Local{root: root}, nil
}

// Close releases the folder.
func (l *Local) Close() error { return l.root.Close() }

// Put writes data to a temporary file beside the target and renames it into place, so a reader never sees half a
// file.
func (l *Local) Put(ctx context.Context, key string, data []byte, _ string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if dir := filepath.Dir(filepath.FromSlash(key)); dir != "." {
		if err := l.root.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("mediastore: create folder of %s: %w", key, err)
		}
	}
	tmp := filepath.FromSlash(key) + ".part"
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("mediastore: write %s: %w", key, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = l.root.Rename(tmp, filepath.FromSlash(key))
	}
	if err != nil {
		_ = l.root.Remove(tmp)
		return fmt.Errorf("mediastore: write %s: %w", key, err)
	}
	return nil
}

// Open opens the file under key.
func (l *Local) Open(_ context.Context, key string) (io.ReadCloser, int64, error) {
	if err := checkKey(key); err != nil {
		return nil, 0, err
	}
	f, err := l.root.Open(filepath.FromSlash(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("mediastore: %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("mediastore: open %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("mediastore: stat %s: %w", key, err)
	}
	return f, st.Size(), nil
}

// Delete removes the file under key.
func (l *Local) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := l.root.Remove(filepath.FromSlash(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mediastore: delete %s: %w", key, err)
	}
	return nil
}
