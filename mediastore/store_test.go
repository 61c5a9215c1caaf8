package mediastore_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/mediastore/mediastoretest"
)

func stores(t *testing.T) map[string]mediastore.Store {
	local, err := mediastore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	s3, _ := mediastoretest.Store(t)
	return map[string]mediastore.Store{"local": local, "s3": s3}
}

func read(t *testing.T, s mediastore.Store, key string) (string, int64, error) {
	t.Helper()
	rc, size, err := s.Open(context.Background(), key)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	return string(data), size, err
}

func TestStore_PutThenOpenReturnsTheBytesAndSize(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			key := mediastore.Key("b1/in", ".jpg")
			if err := s.Put(context.Background(), key, []byte("picture bytes"), "image/jpeg"); err != nil {
				t.Fatal(err)
			}
			got, size, err := read(t, s, key)
			if err != nil || got != "picture bytes" || size != 13 {
				t.Fatalf("read back %q (%d bytes), %v", got, size, err)
			}
			if err := s.Put(context.Background(), key, []byte("v2"), "image/jpeg"); err != nil {
				t.Fatal(err)
			}
			if got, _, _ := read(t, s, key); got != "v2" {
				t.Fatalf("after replacing: %q", got)
			}
		})
	}
}

func TestStore_MissingAndDeletedKeysAreNotFound(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, _, err := read(t, s, "b1/in/nothing.png"); !errors.Is(err, mediastore.ErrNotFound) {
				t.Fatalf("missing key: %v, want ErrNotFound", err)
			}
			if err := s.Put(ctx, "b1/p/x.png", []byte("x"), "image/png"); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, "b1/p/x.png"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := read(t, s, "b1/p/x.png"); !errors.Is(err, mediastore.ErrNotFound) {
				t.Fatalf("deleted key: %v, want ErrNotFound", err)
			}
			if err := s.Delete(ctx, "b1/p/x.png"); err != nil {
				t.Fatalf("deleting twice: %v", err)
			}
		})
	}
}

func TestStore_KeysThatCouldEscapeAreRefused(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			for _, key := range []string{"../x", "/etc/passwd", "b1/../../x", "b1//x", "B1/X", "", "b1/x\x00"} {
				if err := s.Put(context.Background(), key, []byte("x"), "text/plain"); err == nil {
					t.Errorf("Put(%q) was accepted", key)
				}
				if _, _, err := s.Open(context.Background(), key); err == nil {
					t.Errorf("Open(%q) was accepted", key)
				}
			}
		})
	}
}

func TestLocal_FilesLandUnderTheFolderWithNoPartLeft(t *testing.T) {
	dir := t.TempDir()
	s, err := mediastore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(context.Background(), "b7/in/a.ogg", []byte("voice"), "audio/ogg"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "b7", "in", "a.ogg"))
	if err != nil || string(data) != "voice" {
		t.Fatalf("file on disk: %q, %v", data, err)
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "b7", "in", "*.part"))
	if len(parts) != 0 {
		t.Fatalf("temporary files left: %v", parts)
	}
}

func TestS3_ObjectsLandInTheBucketWithTheirContentType(t *testing.T) {
	s, backend := mediastoretest.Store(t)
	if err := s.Put(context.Background(), "b3/in/doc.pdf", []byte("%PDF-1.4"), "application/pdf"); err != nil {
		t.Fatal(err)
	}
	obj, err := backend.GetObject("media", "b3/in/doc.pdf", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Contents.Close()
	data, _ := io.ReadAll(obj.Contents)
	if string(data) != "%PDF-1.4" || obj.Metadata["Content-Type"] != "application/pdf" {
		t.Fatalf("object %q with metadata %v", data, obj.Metadata)
	}
}

func TestS3_MissingBucketIsReportedAtCheck(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	s, err := mediastore.NewS3(mediastore.S3Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Bucket: "absent",
		AccessKey: "k", SecretKey: "s", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckBucket(context.Background()); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Fatalf("check of a missing bucket: %v", err)
	}
}

func TestKey_IsUniqueAndValid(t *testing.T) {
	a, b := mediastore.Key("b1/in", ".png"), mediastore.Key("b1/in", ".png")
	if a == b || !strings.HasPrefix(a, "b1/in/") || !strings.HasSuffix(a, ".png") {
		t.Fatalf("keys %q and %q", a, b)
	}
}
