package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/mediastore/mediastoretest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// pngPicture is a w×h picture with a coloured band, so a screenshot shows something.
func pngPicture(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			c := color.RGBA{0xf4, 0xa2, 0x61, 0xff}
			if y > h/3 && y < 2*h/3 {
				c = color.RGBA{0x2a, 0x9d, 0x8f, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mediaWebhook is a message of kind (image, audio, document, …) from waID whose file Meta keeps as mediaID.
func (e *dashEnv) mediaWebhook(waID, name, kind, mediaID, mimeType string, extra map[string]any) []byte {
	part := map[string]any{"id": mediaID, "mime_type": mimeType}
	for k, v := range extra {
		part[k] = v
	}
	return e.envelope(waID, name, map[string]any{"from": waID, "id": "wamid.TEST" + strings.ToUpper(testutil.RandomHex(10)),
		"type": kind, "timestamp": fmt.Sprint(time.Now().Unix()), kind: part})
}

// locationWebhook is a shared location from waID.
func (e *dashEnv) locationWebhook(waID, name string) []byte {
	return e.envelope(waID, name, map[string]any{"from": waID, "id": "wamid.TEST" + strings.ToUpper(testutil.RandomHex(10)),
		"type": "location", "timestamp": fmt.Sprint(time.Now().Unix()),
		"location": map[string]any{"latitude": 38.71004, "longitude": -9.13661, "name": "Praça do Comércio", "address": "Lisboa"}})
}

// customerSendsMedia has waID send a picture, a voice note, a document and a location, with the files served by
// the fake Graph API, and waits until the three files are kept. It returns the customer and the picture's bytes.
func (e *dashEnv) customerSendsMedia(t *testing.T, waID, name string) (models.Customer, []byte) {
	t.Helper()
	pic := pngPicture(t, 240, 160)
	e.graph.AddMedia("pic-"+waID, "image/png", pic)
	e.graph.AddMedia("voice-"+waID, "audio/ogg", append([]byte("OggS\x00\x02"), make([]byte, 64)...))
	e.graph.AddMedia("doc-"+waID, "application/pdf", []byte("%PDF-1.4\n% menu\n"))
	e.webhook(t, e.textWebhook(waID, name, "Hi! Is this the pizza from your menu?"))
	e.webhook(t, e.mediaWebhook(waID, name, "image", "pic-"+waID, "image/png", map[string]any{"caption": "This one?"}))
	e.webhook(t, e.mediaWebhook(waID, name, "audio", "voice-"+waID, "audio/ogg; codecs=opus", map[string]any{"voice": true}))
	e.webhook(t, e.mediaWebhook(waID, name, "document", "doc-"+waID, "application/pdf", map[string]any{"filename": "allergies.pdf"}))
	e.webhook(t, e.locationWebhook(waID, name))
	c, err := e.store.CustomerByWaID(context.Background(), e.biz.ID, waID)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	defer func() {
		if t.Failed() {
			t.Logf("files: %v", states)
		}
	}()
	dashEventually(t, 60*time.Second, "the three files kept", func() bool {
		files := e.customerFiles(t, c)
		stored := 0
		states = states[:0]
		for _, f := range files {
			states = append(states, string(f.Status)+" "+f.Reason)
			if f.Status == models.MediaStored {
				stored++
			}
		}
		return stored == 3
	})
	return c, pic
}

// customerFiles lists the files of the customer's messages.
func (e *dashEnv) customerFiles(t *testing.T, c models.Customer) []models.InboundMedia {
	t.Helper()
	msgs, err := e.store.CustomerInbound(context.Background(), e.biz.ID, c.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	byMsg, err := e.store.InboundMediaOfMessages(context.Background(), e.biz.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	var out []models.InboundMedia
	for _, f := range byMsg {
		out = append(out, f)
	}
	return out
}

// s3Media starts an in-memory S3-compatible server with an empty bucket "media" and returns what points the app's
// media store at it, and the server's objects.
func s3Media(t *testing.T) (func(*config.Config), *s3mem.Backend) {
	t.Helper()
	endpoint, backend := mediastoretest.S3(t)
	return func(cfg *config.Config) {
		cfg.MediaS3Endpoint, cfg.MediaS3Bucket = endpoint, mediastoretest.Bucket
		cfg.MediaS3AccessKey, cfg.MediaS3SecretKey = mediastoretest.AccessKey, mediastoretest.SecretKey
		cfg.MediaS3Region, cfg.MediaS3UseSSL = mediastoretest.Region, false
	}, backend
}

// s3Object reads the object key of bucket "media" (nil when there is none).
func s3Object(t *testing.T, backend *s3mem.Backend, key string) []byte {
	t.Helper()
	obj, err := backend.GetObject("media", key, nil)
	if err != nil {
		return nil
	}
	defer obj.Contents.Close()
	data, err := io.ReadAll(obj.Contents)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
