package whatsapp_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

func TestMedia_LookUpThenDownloadWithTheToken(t *testing.T) {
	fake := fakegraph.New()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{7}, 100)...)
	fake.AddMedia("1003383421387256", "image/jpeg", jpeg)
	c := whatsapp.NewClient(srv.URL, "v23.0", nil)
	ctx := context.Background()
	info, err := c.Media(ctx, "tok", "1003383421387256")
	if err != nil || info.MimeType != "image/jpeg" || info.FileSize != int64(len(jpeg)) || info.SHA256 == "" {
		t.Fatalf("info %+v, %v", info, err)
	}
	data, ctype, err := c.DownloadMedia(ctx, "tok", info.URL, 1<<20)
	if err != nil || ctype != "image/jpeg" || !bytes.Equal(data, jpeg) {
		t.Fatalf("download %d bytes %q, %v", len(data), ctype, err)
	}
	if _, _, err := c.DownloadMedia(ctx, "tok", info.URL, 50); !errors.Is(err, whatsapp.ErrMediaTooLarge) {
		t.Fatalf("over the cap: %v", err)
	}
	if _, _, err := c.DownloadMedia(ctx, "", info.URL, 1<<20); err == nil {
		t.Fatal("a download without the token was served")
	}
	reqs := fake.Requests()
	if len(reqs) != 4 || reqs[0].Kind != fakegraph.KindMedia || reqs[1].Kind != fakegraph.KindMediaDownload ||
		reqs[1].Token() != "tok" {
		t.Fatalf("requests %+v", reqs)
	}
}

// A held file's lookup waits for its release (a client that gives up first gets nothing); then it is answered.
func TestMedia_HeldLookupIsAnsweredOnlyAfterRelease(t *testing.T) {
	fake := fakegraph.New()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	fake.AddMedia("held-1", "image/png", []byte("png"))
	release := fake.HoldMedia("held-1")
	c := whatsapp.NewClient(srv.URL, "v23.0", nil)
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := c.Media(short, "tok", "held-1"); err == nil {
		t.Fatal("a held lookup was answered before its release")
	}
	release()
	release() // twice is fine
	if info, err := c.Media(context.Background(), "tok", "held-1"); err != nil || info.MimeType != "image/png" {
		t.Fatalf("after release: %+v, %v", info, err)
	}
}
