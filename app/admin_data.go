package app

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/mediastore"
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
		return true, exportBusiness(ctx, cfg, store, *biz, fs.Arg(0), stdout)
	case "import-business":
		keyFile := fs.String("source-key-file", "", "file holding the ENCRYPTION_KEY of the deployment the export came from")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
			return true, fmt.Errorf("import-business needs the export file: admin import-business [--source-key-file F] FILE")
		}
		return true, importBusiness(ctx, cfg, store, fs.Arg(0), *keyFile, stdout)
	}
	return false, nil
}

// An export is a gzip-compressed tar archive: dumpEntry first (the rows, JSON), then each file of the business
// (customers' pictures, voice notes and documents, products' pictures) as mediaDir + its media store key, so a
// business moves with its files between deployments, local folder or S3 on either side. An import also takes a
// bare JSON dump (how exports were written before they carried files).
const (
	dumpEntry = "business.json"
	mediaDir  = "media/"
	// maxImportFile bounds one file read from an archive into memory; the media store takes whole files, and no
	// file the service keeps comes near it (media and pictures are capped far lower).
	maxImportFile = 64 << 20
)

func exportBusiness(ctx context.Context, cfg config.Config, store *repository.Store, biz int64, path string, stdout io.Writer) error {
	d, err := store.ExportBusiness(ctx, biz)
	if err != nil {
		return err
	}
	files, closeFiles, err := openMediaStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("export-business: %w", err)
	}
	defer closeFiles()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- the operator names this file; it holds password hashes and sealed tokens
	if err != nil {
		return fmt.Errorf("export-business: %w", err)
	}
	missing, err := writeExport(ctx, f, d, files)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) //nolint:errcheck // the half-written file is worthless; the error says why
		return fmt.Errorf("export-business: write %s: %w", path, err)
	}
	for _, k := range missing {
		fmt.Fprintf(stdout, "file %s is recorded but no longer in the media store; exported without it\n", k)
	}
	fmt.Fprintln(stdout, path)
	return nil
}

// writeExport writes the archive of d to w, streaming each file from the media store; it returns the keys the
// store no longer holds (their rows still go, and show as missing there as they did here).
func writeExport(ctx context.Context, w io.Writer, d repository.BusinessDump, files mediastore.Store) (missing []string, err error) {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	dump, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encode the dump: %w", err)
	}
	hdr := &tar.Header{Name: dumpEntry, Mode: 0o600, Size: int64(len(dump)), ModTime: d.ExportedAt}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(dump); err != nil {
		return nil, err
	}
	for _, key := range d.FileKeys() {
		if err := copyFileInto(ctx, tw, files, key, d.ExportedAt); errors.Is(err, mediastore.ErrNotFound) {
			missing = append(missing, key)
		} else if err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return missing, zw.Close()
}

func copyFileInto(ctx context.Context, tw *tar.Writer, files mediastore.Store, key string, at time.Time) error {
	r, size, err := files.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("read file %s: %w", key, err)
	}
	defer r.Close()
	if err := tw.WriteHeader(&tar.Header{Name: mediaDir + key, Mode: 0o600, Size: size, ModTime: at}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, r); err != nil {
		return fmt.Errorf("copy file %s: %w", key, err)
	}
	return nil
}

func importBusiness(ctx context.Context, cfg config.Config, store *repository.Store, path, keyFile string, stdout io.Writer) error {
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
	f, err := os.Open(path) // #nosec G304 -- the operator names this file on the command line
	if err != nil {
		return fmt.Errorf("import-business: %w", err)
	}
	defer f.Close()
	files, closeFiles, err := openMediaStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("import-business: %w", err)
	}
	defer closeFiles()
	imp := fileImport{files: files}
	d, err := imp.read(ctx, f, path)
	if err == nil {
		var id int64
		if id, err = store.ImportBusiness(ctx, d, reseal(target, source)); err == nil {
			fmt.Fprintln(stdout, id)
			return nil
		}
	}
	// Nothing of a refused import stays: the rows were one transaction, and the files this import added go too.
	imp.undo(ctx)
	return err
}

// fileImport reads an export into the media store, remembering the files it added (a file already there under
// the same unguessable key is the same file: the export came from this deployment).
type fileImport struct {
	files mediastore.Store
	added []string
}

// read returns the dump of an export archive, its files put into the media store on the way, or of a bare JSON dump.
func (im *fileImport) read(ctx context.Context, f io.Reader, path string) (repository.BusinessDump, error) {
	var d repository.BusinessDump
	br := bufio.NewReader(f)
	if magic, _ := br.Peek(2); len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		if err := json.NewDecoder(br).Decode(&d); err != nil {
			return d, fmt.Errorf("import-business: %s is not a business export: %w", path, err)
		}
		return d, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return d, fmt.Errorf("import-business: %s: %w", path, err)
	}
	tr := tar.NewReader(zr)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != dumpEntry {
		return d, fmt.Errorf("import-business: %s is not a business export: its first entry is not %s", path, dumpEntry)
	}
	if err := json.NewDecoder(io.LimitReader(tr, maxImportFile)).Decode(&d); err != nil {
		return d, fmt.Errorf("import-business: %s: %s: %w", path, dumpEntry, err)
	}
	if d.Format != repository.DumpFormat {
		return d, fmt.Errorf("import-business: %s is not a business export (format %q)", path, d.Format)
	}
	want := map[string]bool{}
	for _, k := range d.FileKeys() {
		want[k] = true
	}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return d, nil
		}
		if err != nil {
			return d, fmt.Errorf("import-business: %s: %w", path, err)
		}
		key, ok := strings.CutPrefix(hdr.Name, mediaDir)
		if !ok || !want[key] || hdr.Typeflag != tar.TypeReg {
			return d, fmt.Errorf("import-business: %s: unexpected entry %q", path, hdr.Name)
		}
		if hdr.Size > maxImportFile {
			return d, fmt.Errorf("import-business: %s: file %s is %d bytes, over the %d limit", path, key, hdr.Size, maxImportFile)
		}
		if err := im.put(ctx, key, tr); err != nil {
			return d, fmt.Errorf("import-business: %s: %w", path, err)
		}
	}
}

func (im *fileImport) put(ctx context.Context, key string, r io.Reader) error {
	if rc, _, err := im.files.Open(ctx, key); err == nil {
		rc.Close()
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(r, maxImportFile))
	if err != nil {
		return fmt.Errorf("read file %s: %w", key, err)
	}
	if err := im.files.Put(ctx, key, data, http.DetectContentType(data)); err != nil {
		return fmt.Errorf("store file %s: %w", key, err)
	}
	im.added = append(im.added, key)
	return nil
}

// undo removes the files this import added.
func (im *fileImport) undo(ctx context.Context) {
	for _, k := range im.added {
		_ = im.files.Delete(ctx, k) // best effort: an orphan file is harmless, and the import's error is what matters
	}
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
