// Package mediacheck decides whether a file may be kept and shown: its announced type must be on the list for its
// kind (pictures, voice notes, documents, ...), and its bytes must look like that type (sniffed with
// http.DetectContentType), so a page or a script never passes for a picture. It does no I/O.
package mediacheck

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// ErrRefused is what every refusal is (errors.Is); errors.As finds the *Refusal that says why.
var ErrRefused = errors.New("file refused")

// Refusal is why a file may not be kept: Reason is a phrase for a person ("the file is empty").
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return ErrRefused.Error() + ": " + r.Reason }

// Is makes every refusal an ErrRefused.
func (r *Refusal) Is(target error) bool { return target == ErrRefused }

func refused(format string, args ...any) error { return &Refusal{Reason: fmt.Sprintf(format, args...)} }

// Kinds of files, by where they come from. KindProduct is a product picture a merchant uploads.
const (
	KindImage    = "image"
	KindSticker  = "sticker"
	KindAudio    = "audio"
	KindVideo    = "video"
	KindDocument = "document"
	KindProduct  = "product"
)

// octet is what DetectContentType says for bytes it has no rule for.
const octet = "application/octet-stream"

// accepted is one type a kind may have: the sniffed types its bytes may show, and the extension files get.
type accepted struct {
	sniffs []string
	ext    string
}

// allowed lists, per kind, the types WhatsApp sends for it (Cloud API media limits) and what their bytes sniff as.
// Formats DetectContentType has no rule for (AAC, AMR, 3GPP, old Office files, MP3 without an ID3 tag) may sniff
// as octet-stream; anything it does recognise must agree.
func allowed(kind string) map[string]accepted {
	zip := []string{"application/zip"}
	switch kind {
	case KindImage, KindProduct:
		return map[string]accepted{
			"image/jpeg": {[]string{"image/jpeg"}, ".jpg"},
			"image/png":  {[]string{"image/png"}, ".png"},
		}
	case KindSticker:
		return map[string]accepted{"image/webp": {[]string{"image/webp"}, ".webp"}}
	case KindAudio:
		return map[string]accepted{
			"audio/ogg":  {[]string{"application/ogg"}, ".ogg"},
			"audio/mpeg": {[]string{"audio/mpeg", octet}, ".mp3"},
			"audio/mp4":  {[]string{"video/mp4", "audio/mp4"}, ".m4a"},
			"audio/aac":  {[]string{octet}, ".aac"},
			"audio/amr":  {[]string{octet}, ".amr"},
		}
	case KindVideo:
		return map[string]accepted{
			"video/mp4":  {[]string{"video/mp4"}, ".mp4"},
			"video/3gpp": {[]string{"video/mp4", octet}, ".3gp"},
		}
	case KindDocument:
		return map[string]accepted{
			"application/pdf":               {[]string{"application/pdf"}, ".pdf"},
			"text/plain":                    {[]string{"text/plain"}, ".txt"},
			"application/msword":            {[]string{octet}, ".doc"},
			"application/vnd.ms-excel":      {[]string{octet}, ".xls"},
			"application/vnd.ms-powerpoint": {[]string{octet}, ".ppt"},
			"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   {zip, ".docx"},
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         {zip, ".xlsx"},
			"application/vnd.openxmlformats-officedocument.presentationml.presentation": {zip, ".pptx"},
		}
	}
	return nil
}

// Accepts returns nil when files of kind may have the announced type, before any byte is read; else a *Refusal.
func Accepts(kind, announced string) error {
	if _, ok := allowed(kind)[baseType(announced)]; !ok {
		return refused("type %q is not accepted for %s files", baseType(announced), kind)
	}
	return nil
}

func baseType(announced string) string {
	typ, _, err := mime.ParseMediaType(announced)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(announced))
	}
	return typ
}

// Check returns the type to keep data as (the announced one, without parameters) and the extension for its file
// name, or a *Refusal that says why: the type is not accepted for kind, or the bytes are something else.
func Check(kind, announced string, data []byte) (mimeType, ext string, err error) {
	if err := Accepts(kind, announced); err != nil {
		return "", "", err
	}
	typ := baseType(announced)
	a := allowed(kind)[typ]
	if len(data) == 0 {
		return "", "", refused("the file is empty")
	}
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(data))
	for _, s := range a.sniffs {
		if s == sniffed {
			return typ, a.ext, nil
		}
	}
	return "", "", refused("announced as %s but the content is %s", typ, sniffed)
}

// IsImage reports whether a kept type is a picture, the only files a page shows inline; everything else is served
// as an attachment (an <audio> element still plays it).
func IsImage(mimeType string) bool {
	switch mimeType {
	case "image/jpeg", "image/png", "image/webp":
		return true
	}
	return false
}
