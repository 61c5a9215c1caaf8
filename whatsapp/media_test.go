package whatsapp_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"testing"

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
