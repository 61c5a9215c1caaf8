// Package mediastoretest serves an in-memory S3-compatible server (gofakes3) for tests of code that keeps media in
// a bucket.
package mediastoretest

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/waorder/waorder/mediastore"
)

// Bucket is where S3 starts the server: its endpoint (host:port, plain http) and the one bucket it holds.
const Bucket = "media"

// Credentials the fake accepts, and the region the store is given.
const (
	AccessKey = "key"
	SecretKey = "secret"
	Region    = "us-east-1"
)

// S3 serves an in-memory S3 with the empty bucket "media" until the test ends, and returns its endpoint and its
// objects.
func S3(t testing.TB) (endpoint string, objects *s3mem.Backend) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(Bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host, backend
}

// Store is a media store on a fresh S3 (see S3), checked, and the server's objects.
func Store(t testing.TB) (*mediastore.S3, *s3mem.Backend) {
	t.Helper()
	endpoint, backend := S3(t)
	s, err := mediastore.NewS3(mediastore.S3Config{Endpoint: endpoint, Bucket: Bucket, AccessKey: AccessKey,
		SecretKey: SecretKey, Region: Region})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, backend
}
