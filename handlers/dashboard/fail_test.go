package dashboard

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// A service error gets the page of its status, as the JSON API answers it: a closed database is 503 (try again),
// not 500 (a bug), and a refusal says why in the visitor's language.
func TestFail_ServiceErrorsGetThePageOfTheirStatus(t *testing.T) {
	s := testutil.SQLite(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, closed := s.Business(context.Background(), 1)
	if closed == nil {
		t.Fatal("a closed store answered")
	}
	d := &Handler{Log: slog.New(slog.DiscardHandler)}
	if err := d.load(); err != nil {
		t.Fatal(err)
	}
	errs := map[string]error{"closed": closed, "conflict": models.ErrInvalidTransition, "missing": models.ErrNotFound,
		"bug": errors.New("nil map"), "forbidden": models.ErrForbidden}
	app := fiber.New()
	app.Get("/:case", func(c *fiber.Ctx) error { return d.fail(c, errs[c.Params("case")]) })
	for _, tt := range []struct {
		path, lang string
		status     int
		says       string
	}{
		{"/closed", "en", http.StatusServiceUnavailable, "A service did not answer"},
		{"/closed", "es", http.StatusServiceUnavailable, "Un servicio no respondió"},
		{"/conflict", "en", http.StatusConflict, "That clashes with what is saved already"},
		{"/missing", "en", http.StatusNotFound, "This page does not exist in your business"},
		{"/forbidden", "pt", http.StatusForbidden, "Só o dono do negócio"},
		{"/bug", "en", http.StatusInternalServerError, "Something went wrong"},
	} {
		req := httptest.NewRequest(http.MethodGet, tt.path, nil)
		req.Header.Set("Accept-Language", tt.lang)
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.says) {
			t.Errorf("%s in %s: %d, want %d with %q", tt.path, tt.lang, resp.StatusCode, tt.status, tt.says)
		}
	}
}
