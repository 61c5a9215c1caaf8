package mediafetch_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/mediafetch"
	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// rig is one business on a store, a fake Graph API serving its media, a media folder, and a processor that queues
// files before a do-nothing bot, with the fetcher running.
type rig struct {
	store  *repository.Store
	fake   *fakegraph.Server
	dir    string
	ingest *ingest.Service
	biz    models.Business
}

func start(t *testing.T, be testutil.Backend, maxBytes int64) *rig {
	t.Helper()
	return startWith(t, be, maxBytes, nil)
}

// startWith is start keeping files in files (nil: a local folder, the rig's dir).
func startWith(t *testing.T, be testutil.Backend, maxBytes int64, files mediastore.Store) *rig {
	t.Helper()
	s := be.Open(t)
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal("token-of-42")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := models.Business{Name: "Cafe"}
	if err := s.CreateBusiness(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPhoneNumber(ctx, &models.PhoneNumber{BusinessID: b.ID, MetaPhoneID: "42", WABAID: "w",
		AccessTokenEnc: sealed}); err != nil {
		t.Fatal(err)
	}
	fake := fakegraph.New()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	if files == nil {
		local, err := mediastore.NewLocal(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { local.Close() })
		files = local
	}
	f := mediafetch.New(s, whatsapp.NewClient(srv.URL, "v23.0", nil), box, files, maxBytes, quiet)
	f.Poll = 50 * time.Millisecond
	arrivals := ingest.NewArrivals()
	bot := ingest.HandlerFunc(func(context.Context, models.InboundMessage) error { return nil })
	p := ingest.NewProcessor(s, arrivals, f.Before(bot), quiet)
	p.Poll = 50 * time.Millisecond
	ing := ingest.New(s, quiet, ingest.Options{}, arrivals)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { p.Run(runCtx); done <- struct{}{} }()
	go func() { f.Run(runCtx); done <- struct{}{} }()
	t.Cleanup(func() { ing.Close(); cancel(); <-done; <-done })
	return &rig{store: s, fake: fake, dir: dir, ingest: ing, biz: b}
}

// send delivers a webhook with one media message of kind from customer 1555.
func (r *rig) send(t *testing.T, wamid, kind, mediaID, mimeType string) {
	t.Helper()
	body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"w","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"42"},
		"contacts":[{"profile":{"name":"Ann"},"wa_id":"1555"}],
		"messages":[{"from":"1555","id":"%s","timestamp":"%d","type":"%s","%s":{"id":"%s","mime_type":"%s","caption":"look"}}]}}]}]}`,
		wamid, time.Now().Unix(), kind, kind, mediaID, mimeType)
	if err := r.ingest.Accept(context.Background(), body); err != nil {
		t.Fatal(err)
	}
}

// settled waits until the only message's file is no longer pending and returns the message and its file.
func (r *rig) settled(t *testing.T) (models.InboundMessage, models.InboundMedia) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msgs, err := r.store.InboundMessages(context.Background(), r.biz.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 1 {
			got, err := r.store.InboundMediaOfMessages(context.Background(), r.biz.ID, []int64{msgs[0].ID})
			if err != nil {
				t.Fatal(err)
			}
			if m, ok := got[msgs[0].ID]; ok && m.Status != models.MediaPending {
				return msgs[0], m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the file was not settled; messages: %d", len(msgs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rig) kept(t *testing.T) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(r.dir, func(path string, d os.DirEntry, err error) error { //nolint:errcheck // a test listing
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	return out
}

func (r *rig) requests(kind string) []fakegraph.Request {
	var out []fakegraph.Request
	for _, q := range r.fake.Requests() {
		if q.Kind == kind {
			out = append(out, q)
		}
	}
	return out
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFetcher_PictureIsFetchedWithTheTokenCheckedAndKept(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			r := start(t, be, 1<<20)
			pic := pngOf(t, 8, 8)
			r.fake.AddMedia("m1", "image/png", pic)
			r.send(t, "w1", "image", "m1", "image/png")
			msg, m := r.settled(t)
			if m.Status != models.MediaStored || m.MimeType != "image/png" || m.SizeBytes != int64(len(pic)) ||
				m.Kind != "image" || m.MediaID != "m1" || m.Reason != "" {
				t.Fatalf("file row %+v", m)
			}
			data, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(m.StorageKey)))
			if err != nil || !bytes.Equal(data, pic) {
				t.Fatalf("kept file: %d bytes, %v", len(data), err)
			}
			if !strings.HasPrefix(m.StorageKey, fmt.Sprintf("b%d/in/", r.biz.ID)) || !strings.HasSuffix(m.StorageKey, ".png") {
				t.Fatalf("key %q", m.StorageKey)
			}
			for _, kind := range []string{fakegraph.KindMedia, fakegraph.KindMediaDownload} {
				reqs := r.requests(kind)
				if len(reqs) != 1 || reqs[0].Token() != "token-of-42" {
					t.Fatalf("%s requests: %+v", kind, reqs)
				}
			}
			if msg.Type != "image" || msg.Body != "look" {
				t.Fatalf("message %+v", msg)
			}
		})
	}
}

func TestFetcher_FileOverTheCapIsRefusedBeforeDownloading(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			r := start(t, be, 1024)
			r.fake.AddMedia("big", "image/png", append(pngOf(t, 1, 1), make([]byte, 4096)...))
			r.send(t, "w1", "image", "big", "image/png")
			_, m := r.settled(t)
			if m.Status != models.MediaFailed || !strings.Contains(m.Reason, "too large") || m.StorageKey != "" {
				t.Fatalf("file row %+v", m)
			}
			if n := len(r.requests(fakegraph.KindMediaDownload)); n != 0 {
				t.Fatalf("%d downloads of a file over the cap", n)
			}
			if files := r.kept(t); len(files) != 0 {
				t.Fatalf("kept %v", files)
			}
		})
	}
}

func TestFetcher_ContentThatIsNotTheAnnouncedTypeIsRefused(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			r := start(t, be, 1<<20)
			r.fake.AddMedia("evil", "image/jpeg", []byte("<html><script>alert(document.cookie)</script></html>"))
			r.send(t, "w1", "image", "evil", "image/jpeg")
			_, m := r.settled(t)
			if m.Status != models.MediaFailed || !strings.Contains(m.Reason, "content is text/html") {
				t.Fatalf("file row %+v", m)
			}
			if files := r.kept(t); len(files) != 0 {
				t.Fatalf("kept %v", files)
			}
		})
	}
}

func TestFetcher_TypeNotOnTheListIsRefusedWithoutDownloading(t *testing.T) {
	r := start(t, testutil.Backend{Name: "sqlite", Open: testutil.SQLite}, 1<<20)
	r.fake.AddMedia("exe", "application/x-msdownload", []byte("MZ\x90\x00"))
	r.send(t, "w1", "document", "exe", "application/x-msdownload")
	_, m := r.settled(t)
	if m.Status != models.MediaFailed || !strings.Contains(m.Reason, "not accepted") {
		t.Fatalf("file row %+v", m)
	}
	if n := len(r.requests(fakegraph.KindMediaDownload)); n != 0 {
		t.Fatalf("%d downloads of a refused type", n)
	}
}

func TestFetcher_GraphRefusalIsRecordedAndTheMessageKept(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			r := start(t, be, 1<<20)
			r.fake.AddMedia("gone", "audio/ogg", []byte("OggS\x00\x02 voice"))
			r.fake.FailNext(fakegraph.KindMedia, fakegraph.Err(http.StatusNotFound, 100, "Media expired"))
			r.send(t, "w1", "audio", "gone", "audio/ogg; codecs=opus")
			msg, m := r.settled(t)
			if m.Status != models.MediaFailed || !strings.Contains(m.Reason, "Media expired") || m.Attempts != 1 {
				t.Fatalf("file row %+v", m)
			}
			if msg.Wamid != "w1" || msg.Type != "audio" {
				t.Fatalf("message %+v", msg)
			}
		})
	}
}

func TestFetcher_GraphOutageIsRetriedThenKept(t *testing.T) {
	r := start(t, testutil.Backend{Name: "sqlite", Open: testutil.SQLite}, 1<<20)
	r.fake.AddMedia("doc", "application/pdf", []byte("%PDF-1.7\nmenu"))
	r.fake.FailNext(fakegraph.KindMedia, fakegraph.ServerError())
	r.send(t, "w1", "document", "doc", "application/pdf")
	_, m := r.settled(t)
	if m.Status != models.MediaStored || m.Attempts != 2 || m.MimeType != "application/pdf" {
		t.Fatalf("file row %+v", m)
	}
	if n := len(r.requests(fakegraph.KindMedia)); n != 2 {
		t.Fatalf("%d lookups, want 2 (one failed, one retried)", n)
	}
}

func TestFetcher_TextMessagesQueueNothing(t *testing.T) {
	r := start(t, testutil.Backend{Name: "sqlite", Open: testutil.SQLite}, 1<<20)
	body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"w","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"42"},
		"contacts":[{"profile":{"name":"Ann"},"wa_id":"1555"}],
		"messages":[{"from":"1555","id":"t1","timestamp":"%d","type":"text","text":{"body":"hi"}}]}}]}]}`, time.Now().Unix())
	if err := r.ingest.Accept(context.Background(), body); err != nil {
		t.Fatal(err)
	}
	var msgs []models.InboundMessage
	deadline := time.Now().Add(20 * time.Second)
	for len(msgs) == 0 || msgs[0].ProcessedAt == nil {
		if time.Now().After(deadline) {
			t.Fatal("the text was not processed")
		}
		time.Sleep(20 * time.Millisecond)
		msgs, _ = r.store.InboundMessages(context.Background(), r.biz.ID, 10)
	}
	got, err := r.store.InboundMediaOfMessages(context.Background(), r.biz.ID, []int64{msgs[0].ID})
	if err != nil || len(got) != 0 {
		t.Fatalf("media rows for a text: %v, %v", got, err)
	}
}
