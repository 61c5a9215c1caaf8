package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/app/apptest"
	"github.com/waorder/waorder/handlers/dashboard"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// fileIDs returns the ids of the customer's kept files, by kind.
func (e *dashEnv) fileIDs(t *testing.T, c models.Customer) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, f := range e.customerFiles(t, c) {
		out[f.Kind] = f.ID
	}
	return out
}

func (c *dashClient) fetch(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Get(c.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// A customer's files are served to the business's merchants only, as the type they were checked to be, never
// sniffed, and only pictures inline; another business gets 404 for the same ids, and nobody logged out gets them.
func TestDashboard_CustomerFilesAreServedOnlyToTheirBusiness(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	cust, pic := e.customerSendsMedia(t, "351910000081", "Rita Alves")
	ids := e.fileIDs(t, cust)
	owner := e.login(t, e.email, e.password)
	for kind, want := range map[string]struct{ typ, disposition string }{
		"image":    {"image/png", "inline"},
		"audio":    {"audio/ogg", "attachment"},
		"document": {"application/pdf", `attachment; filename=allergies.pdf`},
	} {
		resp, body := owner.fetch(t, fmt.Sprintf("/media/%d", ids[kind]))
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != want.typ ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), want.disposition) {
			t.Errorf("%s: %d %q nosniff=%q disposition=%q", kind, resp.StatusCode, resp.Header.Get("Content-Type"),
				resp.Header.Get("X-Content-Type-Options"), resp.Header.Get("Content-Disposition"))
		}
		if kind == "image" && !bytes.Equal(body, pic) {
			t.Errorf("the picture served is %d bytes, not the %d the customer sent", len(body), len(pic))
		}
	}
	_, _, intruderEmail := seedBusiness(t, e.store, "Intruder Inc")
	intruder := e.login(t, intruderEmail, dashPassword)
	for kind, id := range ids {
		if resp, body := intruder.fetch(t, fmt.Sprintf("/media/%d", id)); resp.StatusCode != http.StatusNotFound ||
			bytes.Contains(body, pic) {
			t.Errorf("another business fetching the %s: %d", kind, resp.StatusCode)
		}
	}
	if resp, _ := intruder.fetch(t, "/media/999999999999"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown id: %d", resp.StatusCode)
	}
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := anon.Get(fmt.Sprintf("%s/media/%d", e.URL, ids["image"]))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("a logged-out client got a customer's picture")
	}
}

// upload posts a file as the product picture form does.
func (c *dashClient) upload(t *testing.T, path, filename, contentType string, data []byte) int {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if err := w.WriteField(dashboard.CSRFField, c.csrf); err != nil {
		t.Fatal(err)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="picture"; filename=%q`, filename))
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data) //nolint:errcheck // a bytes.Buffer
	w.Close()
	resp, err := c.Post(c.base+path, w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A product picture is checked, kept (in the local folder, or in the S3-compatible bucket when one is configured),
// shown in the catalog and served publicly under its unguessable link (Meta fetches it for the item message); a page
// posing as a picture is refused; a replaced picture's link stops working and its file is removed.
func TestDashboard_ProductPictureUploadIsCheckedAndServed(t *testing.T) {
	t.Parallel()
	t.Run("local folder", func(t *testing.T) {
		t.Parallel()
		productPictureUpload(t, newDashEnv(t, testutil.SQLite(t)), nil)
	})
	t.Run("S3 bucket", func(t *testing.T) {
		t.Parallel()
		configure, bucket := s3Media(t)
		productPictureUpload(t, newDashEnvWith(t, testutil.SQLite(t), apptest.Log(), configure), func(key string) []byte {
			return s3Object(t, bucket, key)
		})
	})
}

// productPictureUpload is the product picture test on e; inBucket, when not nil, reads a key from the S3 bucket
// the app keeps its media in.
func productPictureUpload(t *testing.T, e *dashEnv, inBucket func(key string) []byte) {
	t.Helper()
	prod := e.product(t, "pizza-margherita", "Margherita", 950)
	owner := e.login(t, e.email, e.password)
	path := fmt.Sprintf("/catalog/%d/picture", prod.ID)
	if got := owner.upload(t, path, "x.png", "image/png", []byte("<html><script>alert(1)</script>")); got != http.StatusUnprocessableEntity {
		t.Fatalf("a page posing as a picture: %d", got)
	}
	pic := pngPicture(t, 64, 64)
	if got := owner.upload(t, path, "margherita.png", "image/png", pic); got != http.StatusSeeOther {
		t.Fatalf("upload: %d", got)
	}
	p, err := e.store.Product(context.Background(), e.biz.ID, prod.ID)
	if err != nil || p.ImageKey == "" || p.ImageType != "image/png" {
		t.Fatalf("product after the upload: %+v, %v", p, err)
	}
	if inBucket != nil && !bytes.Equal(inBucket(p.ImageKey), pic) {
		t.Fatalf("the bucket does not hold the picture under %q", p.ImageKey)
	}
	link := "/p/" + p.ImageKey
	if page := owner.get(t, "/catalog"); !strings.Contains(page, `src="`+link+`"`) {
		t.Fatal("the catalog does not show the picture")
	}
	resp, err := http.Get(e.URL + link) // no session: Meta fetches it
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, pic) || resp.Header.Get("Content-Type") != "image/png" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("public picture: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
	// The bot's item message shows it: a customer picks the product from the menu.
	e.graph.Reset()
	e.webhook(t, e.envelope("351910000082", "Lia", map[string]any{"from": "351910000082", "id": "wamid.TESTPICK" + testutil.RandomHex(6),
		"type": "interactive", "timestamp": fmt.Sprint(time.Now().Unix()), "interactive": map[string]any{"type": "list_reply",
			"list_reply": map[string]string{"id": "p:pizza-margherita", "title": "Margherita"}}}))
	dashEventually(t, 15*time.Second, "the item message with the picture", func() bool {
		for _, r := range e.graph.Sent() {
			if bytes.Contains(r.Body, []byte(`"header":{"type":"image","image":{"link":"`+e.URL+link+`"}}`)) {
				return true
			}
		}
		return false
	})
	if got := owner.upload(t, path, "again.png", "image/png", pngPicture(t, 32, 32)); got != http.StatusSeeOther {
		t.Fatalf("second upload: %d", got)
	}
	if resp, err := http.Get(e.URL + link); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the replaced picture's link: %v %v", resp.StatusCode, err)
	}
	if inBucket != nil {
		again, err := e.store.Product(context.Background(), e.biz.ID, prod.ID)
		if err != nil || again.ImageKey == p.ImageKey || len(inBucket(again.ImageKey)) == 0 {
			t.Fatalf("the new picture is not in the bucket: %+v, %v", again, err)
		}
		dashEventually(t, 10*time.Second, "the replaced picture removed from the bucket", func() bool { return inBucket(p.ImageKey) == nil })
	}
	_, _, intruderEmail := seedBusiness(t, e.store, "Intruder Inc")
	intruder := e.login(t, intruderEmail, dashPassword)
	if got := intruder.upload(t, path, "mine.png", "image/png", pic); got != http.StatusNotFound {
		t.Fatalf("another business uploading to this product: %d", got)
	}
}
