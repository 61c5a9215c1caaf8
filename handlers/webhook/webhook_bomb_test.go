package webhook_test

import (
	"bytes"
	"compress/gzip"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/waorder/waorder/handlers"
	"github.com/waorder/waorder/handlers/api"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

// gzipBomb is ~128 KB of gzip that inflates to 128 MB of zeros: the shape of the bomb that took the service from
// 56 MB to 1 GB RSS before it answered 401.
func gzipBomb(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 128 {
		zw.Write(zeros)
	}
	zw.Close()
	return buf.Bytes()
}

// vmHWM is the process's peak resident memory so far, in bytes (Linux).
func vmHWM(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmHWM")
	return 0
}

// TestWebhook_CompressedBombIsRefusedWithoutInflating: a gzip bomb posted to /webhook (badly signed, or signed over
// the compressed bytes) and to /api/v1 is answered 415, and the process allocates nothing near its inflated size.
func TestWebhook_CompressedBombIsRefusedWithoutInflating(t *testing.T) {
	e := newWebhookEnv(t, testutil.SQLite(t), 3<<20)
	bomb := gzipBomb(t)
	apiApp := handlers.NewApp(slog.New(slog.DiscardHandler), handlers.Options{BodyLimit: 3 << 20}, &api.Handler{})
	cases := []struct {
		name, path, signature string
		app                   interface {
			Test(*http.Request, ...int) (*http.Response, error)
		}
	}{
		{"webhook, bad signature", "/webhook", "sha256=" + strings.Repeat("0", 64), e.app},
		{"webhook, no signature", "/webhook", "", e.app},
		{"webhook, signed over the compressed bytes", "/webhook", whatsapp.Sign(bomb, testSecret), e.app},
		{"api", "/api/v1/orders", "", apiApp},
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peakBefore := vmHWM(t)
	for _, tc := range cases {
		for _, enc := range []string{"gzip", "deflate, gzip", "br"} {
			req := httptest.NewRequest(http.MethodPost, tc.path, bytes.NewReader(bomb))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Content-Encoding", enc)
			req.Header.Set("Authorization", "Bearer wao_x")
			if tc.signature != "" {
				req.Header.Set("X-Hub-Signature-256", tc.signature)
			}
			resp, err := tc.app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("%s, Content-Encoding %s: %d, want 415", tc.name, enc, resp.StatusCode)
			}
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("12 bombs of %d KB refused: %d KB allocated, peak RSS +%d KB", len(bomb)>>10,
		(after.TotalAlloc-before.TotalAlloc)>>10, (vmHWM(t)-peakBefore)>>10)
	// 12 requests of ~128 KB each, copied a few times on the way in: a few MB. One inflation alone is 128 MB.
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 32<<20 {
		t.Errorf("refusing 12 bombs allocated %d MB", grown>>20)
	}
	if grown := vmHWM(t) - peakBefore; grown > 48<<20 {
		t.Errorf("peak RSS grew by %d MB", grown>>20)
	}
	if n := e.count(t, "webhook_events", ""); n != 0 {
		t.Errorf("%d events stored from refused bodies", n)
	}
}
