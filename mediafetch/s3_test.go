package mediafetch_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/waorder/waorder/mediastore/mediastoretest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// With an S3-compatible bucket configured, a customer's picture goes from the Graph API into the bucket, under the
// key its record names, with its type; nothing lands in the local folder.
func TestFetcher_PictureIsKeptInTheS3Bucket(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			bucket, backend := mediastoretest.Store(t)
			r := startWith(t, be, 1<<20, bucket)
			pic := pngOf(t, 8, 8)
			r.fake.AddMedia("m1", "image/png", pic)
			r.send(t, "w1", "image", "m1", "image/png")
			_, m := r.settled(t)
			if m.Status != models.MediaStored || m.SizeBytes != int64(len(pic)) || m.StorageKey == "" {
				t.Fatalf("file row %+v", m)
			}
			obj, err := backend.GetObject("media", m.StorageKey, nil)
			if err != nil {
				t.Fatalf("object %q: %v", m.StorageKey, err)
			}
			defer obj.Contents.Close()
			data, _ := io.ReadAll(obj.Contents)
			if !bytes.Equal(data, pic) || obj.Metadata["Content-Type"] != "image/png" {
				t.Fatalf("object: %d bytes, metadata %v", len(data), obj.Metadata)
			}
			rc, size, err := bucket.Open(context.Background(), m.StorageKey)
			if err != nil || size != int64(len(pic)) {
				t.Fatalf("read back through the store: %d bytes, %v", size, err)
			}
			rc.Close()
			if files := r.kept(t); len(files) != 0 {
				t.Fatalf("files in the local folder: %v", files)
			}
		})
	}
}
