package dashboard

import (
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/mediacheck"
	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// This file serves files: a customer's media in the thread (GET /media/:id, only to a merchant of the business it
// was sent to), product pictures (GET /p/<key>, public, for Meta and the catalog), and the catalog's picture upload.

// mediaView is a customer's file in a bubble: shown inline (pictures), played (voice notes, video) or offered as a
// download (documents); while it is fetched, or after it was refused, what happened.
type mediaView struct {
	URL    string `json:"url,omitempty"`
	Kind   string `json:"kind"`
	Label  string `json:"label"`
	Size   string `json:"size,omitempty"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	Image  bool   `json:"image,omitempty"`
	Audio  bool   `json:"audio,omitempty"`
	Video  bool   `json:"video,omitempty"`
}

// placeView is a shared location: its name or address (or coordinates) and a map link.
type placeView struct {
	MapURL string `json:"map_url"`
	Label  string `json:"label"`
}

// newMediaView describes f, the file of a message of kind. Its label is the file's name; a file without one is
// named by its kind where it is shown (partials.html, "media"), in the page's language.
func newMediaView(p locale.Printer, f models.InboundMedia) *mediaView {
	v := &mediaView{Kind: f.Kind, Label: f.Filename, Status: string(f.Status), Reason: f.Reason}
	if f.Status == models.MediaExpiring || f.Status == models.MediaExpired {
		// Shown like a refused file, with why, in p's language (the stored reason is the retention job's English).
		v.Status, v.Reason = string(models.MediaFailed), p.T("media.removed")
	}
	if f.Status == models.MediaStored {
		v.URL = "/media/" + strconv.FormatInt(f.ID, 10)
		v.Size = humanSize(f.SizeBytes)
		v.Image = mediacheck.IsImage(f.MimeType)
		v.Audio = strings.HasPrefix(f.MimeType, "audio/")
		v.Video = strings.HasPrefix(f.MimeType, "video/")
	}
	return v
}

// newPlaceView reads a location message's payload.
func newPlaceView(m models.InboundMessage) *placeView {
	l := whatsapp.DecodeMessage([]byte(m.Payload)).Location
	if l == nil {
		return nil
	}
	link, coords := mapURL(&l.Latitude, &l.Longitude)
	label := strings.TrimSpace(strings.Join(nonEmpty(l.Name, l.Address), " — "))
	if label == "" {
		label = coords
	}
	return &placeView{MapURL: link, Label: label}
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// media serves a customer's file to a merchant of the business it was sent to; any other id is 404. Only pictures
// are shown inline; everything else is an attachment, and nosniff keeps browsers to the checked type.
func (d *Handler) media(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	ctx := c.UserContext()
	f, err := d.Merchant.File(ctx, p.BusinessID, id)
	if err != nil {
		return d.fail(c, err)
	}
	if f.Status != models.MediaStored || d.Files == nil {
		return d.notFound(c)
	}
	rc, size, err := d.Files.Open(ctx, f.StorageKey)
	if errors.Is(err, mediastore.ErrNotFound) {
		return d.notFound(c)
	}
	if err != nil {
		return d.fail(c, err)
	}
	disposition, name := "attachment", f.Filename
	if name == "" {
		name = "media-" + strconv.FormatInt(f.ID, 10) + ext(f.StorageKey)
	}
	if mediacheck.IsImage(f.MimeType) {
		disposition = "inline"
	}
	// The page's own no-store is for pages; a file never changes under its id.
	c.Set(fiber.HeaderCacheControl, "private, max-age=86400")
	return sendFile(c, rc, size, f.MimeType, mime.FormatMediaType(disposition, map[string]string{"filename": name}))
}

// productPicture serves a product's current picture to anyone who has its unguessable link: Meta, when it delivers
// an item message, and the catalog page. A replaced picture's link stops working.
func (d *Handler) productPicture(c *fiber.Ctx) error {
	if d.Pictures == nil {
		return c.SendStatus(fiber.StatusNotFound)
	}
	rc, size, typ, err := d.Pictures.Open(c.UserContext(), c.Params("*"))
	if errors.Is(err, models.ErrNotFound) {
		return c.SendStatus(fiber.StatusNotFound)
	}
	if err != nil {
		d.Log.Error("serve product picture", "err", err)
		return c.SendStatus(fiber.StatusInternalServerError)
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=604800, immutable")
	return sendFile(c, rc, size, typ, "inline")
}

func sendFile(c *fiber.Ctx, rc io.ReadCloser, size int64, mimeType, disposition string) error {
	c.Set(fiber.HeaderContentType, mimeType)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentDisposition, disposition)
	return c.SendStream(rc, int(size)) // fasthttp closes rc once sent
}

func ext(key string) string {
	if i := strings.LastIndexByte(key, '.'); i > strings.LastIndexByte(key, '/') {
		return key[i:]
	}
	return ""
}

// uploadPicture sets a product's picture from the catalog's form (JPEG or PNG, checked by its bytes, within the
// size cap); on bad input the product page comes back with the reason.
func (d *Handler) uploadPicture(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	if d.Pictures == nil {
		return d.notFound(c)
	}
	fh, err := c.FormFile("picture")
	if err != nil {
		return d.renderProduct(c, fiber.StatusUnprocessableEntity, id, d.printer(c).T("product.picture_choose"))
	}
	if fh.Size > d.Pictures.MaxBytes() {
		return d.renderProduct(c, fiber.StatusUnprocessableEntity, id,
			d.printer(c).T("product.picture_too_large", "Size", humanSize(d.Pictures.MaxBytes())))
	}
	file, err := fh.Open()
	if err != nil {
		return d.fail(c, err)
	}
	data, err := io.ReadAll(io.LimitReader(file, d.Pictures.MaxBytes()+1))
	file.Close()
	if err != nil {
		return d.fail(c, err)
	}
	err = d.Pictures.Set(c.UserContext(), p.BusinessID, id, data, fh.Header.Get(fiber.HeaderContentType))
	if v, ok := models.AsInvalid(err); ok {
		return d.renderProduct(c, fiber.StatusUnprocessableEntity, id, d.printer(c).T("product.picture_refused", "Why", v.Message))
	}
	if err != nil {
		return d.fail(c, err)
	}
	return redirect(c, "/catalog/"+strconv.FormatInt(id, 10), d.printer(c).T("product.picture_saved_flash"))
}

// removePicture takes the product's picture away.
func (d *Handler) removePicture(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	if d.Pictures == nil {
		return d.notFound(c)
	}
	if err := d.Pictures.Remove(c.UserContext(), p.BusinessID, id); err != nil {
		return d.fail(c, err)
	}
	return redirect(c, "/catalog/"+strconv.FormatInt(id, 10), d.printer(c).T("product.picture_removed_flash"))
}

// pictureMaxKB is the largest product picture in KB; 0 when pictures are not kept here (the form is hidden).
func (d *Handler) pictureMaxKB() int64 {
	if d.Pictures == nil {
		return 0
	}
	return d.Pictures.MaxBytes() >> 10
}

// pictureURL is where the dashboard shows a product's picture ("" for none).
func pictureURL(p models.Product) string {
	if p.ImageKey == "" {
		return ""
	}
	return "/p/" + p.ImageKey
}
