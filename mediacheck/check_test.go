package mediacheck_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/waorder/waorder/mediacheck"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheck_AcceptsWhatTheBytesAre(t *testing.T) {
	ogg := append([]byte("OggS\x00\x02"), make([]byte, 40)...)
	cases := []struct {
		kind, announced string
		data            []byte
		want, ext       string
	}{
		{mediacheck.KindImage, "image/png", pngBytes(t), "image/png", ".png"},
		{mediacheck.KindProduct, "image/png", pngBytes(t), "image/png", ".png"},
		{mediacheck.KindAudio, "audio/ogg; codecs=opus", ogg, "audio/ogg", ".ogg"},
		{mediacheck.KindDocument, "application/pdf", []byte("%PDF-1.7\n..."), "application/pdf", ".pdf"},
		{mediacheck.KindDocument, "text/plain", []byte("order list\n2 pizzas"), "text/plain", ".txt"},
	}
	for _, c := range cases {
		got, ext, err := mediacheck.Check(c.kind, c.announced, c.data)
		if err != nil || got != c.want || ext != c.ext {
			t.Errorf("%s %s: got %q %q, %v", c.kind, c.announced, got, ext, err)
		}
	}
}

func TestCheck_RefusesTypesNotOnTheListAndContentThatDisagrees(t *testing.T) {
	cases := []struct {
		name, kind, announced string
		data                  []byte
		why                   string
	}{
		{"svg picture", mediacheck.KindImage, "image/svg+xml", []byte("<svg/>"), "not accepted"},
		{"html as png", mediacheck.KindImage, "image/png", []byte("<html><script>alert(1)</script>"), "content is text/html"},
		{"pdf as jpeg", mediacheck.KindImage, "image/jpeg", []byte("%PDF-1.4"), "content is application/pdf"},
		{"html as text document", mediacheck.KindDocument, "text/plain", []byte("<!DOCTYPE html><p>x"), "content is text/html"},
		{"executable document", mediacheck.KindDocument, "application/x-msdownload", []byte("MZ\x90"), "not accepted"},
		{"webp product", mediacheck.KindProduct, "image/webp", []byte("RIFF\x00\x00\x00\x00WEBPVP"), "not accepted"},
		{"empty", mediacheck.KindImage, "image/png", nil, "empty"},
	}
	for _, c := range cases {
		_, _, err := mediacheck.Check(c.kind, c.announced, c.data)
		if !errors.Is(err, mediacheck.ErrRefused) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: %v, want a refusal saying %q", c.name, err, c.why)
		}
		var r *mediacheck.Refusal
		if !errors.As(err, &r) || !strings.Contains(r.Reason, c.why) || strings.Contains(r.Reason, "refused") {
			t.Errorf("%s: %#v, want a *Refusal whose Reason alone says %q", c.name, err, c.why)
		}
	}
}

func TestIsImage_OnlyPicturesAreShownInline(t *testing.T) {
	for typ, want := range map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true,
		"application/pdf": false, "audio/ogg": false, "text/plain": false, "image/svg+xml": false} {
		if mediacheck.IsImage(typ) != want {
			t.Errorf("IsImage(%q) = %v", typ, !want)
		}
	}
}
