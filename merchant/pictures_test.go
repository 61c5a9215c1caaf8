package merchant_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

func pngPicture(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 3))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPictures_SetReplaceAndServeOnlyTheCurrentPicture(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b := merchanttest.Seed(t, s, "A", 0)
			dir := t.TempDir()
			files, err := mediastore.NewLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer files.Close()
			c := cache.NewMemory(100)
			svc := merchant.New(s, c, nil, nil)
			pics := merchant.NewPictures(s, c, files, 16<<20, slog.New(slog.DiscardHandler))
			prod := b.Products[0]
			if _, err := svc.Products(ctx, b.Business.ID); err != nil { // cached without a picture
				t.Fatal(err)
			}
			pic := pngPicture(t)
			if err := pics.Set(ctx, b.Business.ID, prod.ID, pic, "image/png"); err != nil {
				t.Fatal(err)
			}
			cat, err := svc.Products(ctx, b.Business.ID)
			if err != nil {
				t.Fatal(err)
			}
			first := ""
			for _, p := range cat {
				if p.ID == prod.ID {
					first = p.ImageKey
				}
			}
			if first == "" || !strings.HasSuffix(first, ".png") {
				t.Fatalf("catalog after the upload (cache invalidated?) has key %q", first)
			}
			rc, size, typ, err := pics.Open(ctx, first)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(got, pic) || size != int64(len(pic)) || typ != "image/png" {
				t.Fatalf("served %d bytes of %s", len(got), typ)
			}
			if err := pics.Set(ctx, b.Business.ID, prod.ID, pic, "image/png"); err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := pics.Open(ctx, first); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("the replaced picture is still served: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(first))); !os.IsNotExist(err) {
				t.Fatalf("the replaced file was not deleted: %v", err)
			}
			for _, key := range []string{"b1/in/x.png", "../etc/passwd", "bX/products/a.png", ""} {
				if _, _, _, err := pics.Open(ctx, key); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("Open(%q): %v, want ErrNotFound", key, err)
				}
			}
		})
	}
}

func TestPictures_RefusesWhatIsNotAPictureOrTooLarge(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	b := merchanttest.Seed(t, s, "A", 0)
	files, err := mediastore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	pics := merchant.NewPictures(s, cache.NewMemory(10), files, 2048, slog.New(slog.DiscardHandler))
	for name, c := range map[string]struct {
		data []byte
		typ  string
		msg  string
	}{
		"html as png": {[]byte("<html><script>x</script>"), "image/png",
			"must be a JPEG or PNG picture (announced as image/png but the content is text/html)"},
		"svg": {[]byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "image/svg+xml",
			`must be a JPEG or PNG picture (type "image/svg+xml" is not accepted for product files)`},
		"too large": {append(pngPicture(t), make([]byte, 4096)...), "image/png", "is larger than 2 KB"},
	} {
		err := pics.Set(ctx, b.Business.ID, b.Products[0].ID, c.data, c.typ)
		if v, ok := models.AsInvalid(err); !ok || v.Field != "picture" || v.Message != c.msg {
			t.Errorf("%s: %v, want a validation error on picture saying %q", name, err, c.msg)
		}
	}
	other := merchanttest.Seed(t, s, "B", 0)
	if err := pics.Set(ctx, other.Business.ID, b.Products[0].ID, pngPicture(t), "image/png"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("another business's product: %v", err)
	}
	p, _ := s.Product(ctx, b.Business.ID, b.Products[0].ID)
	if p.ImageKey != "" {
		t.Fatalf("a refused upload set key %q", p.ImageKey)
	}
}
