package guard_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/guard"
)

// serve starts app on a loopback port (the peer address is then 127.0.0.1) and returns its base URL.
func serve(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln) //nolint:errcheck // ends with Shutdown
	t.Cleanup(func() { app.Shutdown() })
	return "http://" + ln.Addr().String()
}

func do(t *testing.T, method, url string, header map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestIdentityBodyOnly_RefusesCompressedBodiesWith415(t *testing.T) {
	app := fiber.New()
	app.Use(guard.IdentityBodyOnly())
	app.Post("/x", func(c *fiber.Ctx) error { return c.Send(c.Request().Body()) })
	base := serve(t, app)
	for enc, want := range map[string]int{"": 200, "identity": 200, "gzip": 415, "deflate": 415, "br": 415,
		"identity, gzip": 415, "GZIP": 415, "x-anything": 415} {
		h := map[string]string{}
		if enc != "" {
			h["Content-Encoding"] = enc
		}
		if resp, body := do(t, "POST", base+"/x", h, "hello"); resp.StatusCode != want || (want == 200 && body != "hello") {
			t.Errorf("Content-Encoding %q: %d %q, want %d", enc, resp.StatusCode, body, want)
		}
	}
}

func TestProxies_ForwardedHeadersBelievedOnlyFromTrustedProxies(t *testing.T) {
	for _, tt := range []struct {
		name, trusted, xff, proto string
		wantIP, wantProto         string
	}{
		{"no proxies: the peer is the client", "", "203.0.113.9", "https", "127.0.0.1", "http"},
		{"untrusted peer", "10.0.0.0/8", "203.0.113.9", "https", "127.0.0.1", "http"},
		{"trusted peer", "127.0.0.1", "203.0.113.9", "https", "203.0.113.9", "https"},
		{"client-written hop on the left is not believed", "127.0.0.0/8", "6.6.6.6, 203.0.113.9", "https", "203.0.113.9", "https"},
		{"chain of trusted proxies", "127.0.0.1,10.0.0.0/8", "203.0.113.9, 10.1.1.1", "http", "203.0.113.9", "http"},
		{"ipv6 client", "127.0.0.1", "2001:db8::7", "https", "2001:db8::7", "https"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var list []string
			if tt.trusted != "" {
				list = strings.Split(tt.trusted, ",")
			}
			p, err := guard.ParseProxies(list)
			if err != nil {
				t.Fatal(err)
			}
			cfg := fiber.Config{}
			p.Configure(&cfg)
			app := fiber.New(cfg)
			app.Use(p.Middleware())
			app.Get("/", func(c *fiber.Ctx) error { return c.SendString(guard.ClientIP(c) + " " + c.Protocol()) })
			_, body := do(t, "GET", serve(t, app)+"/", map[string]string{"X-Forwarded-For": tt.xff, "X-Forwarded-Proto": tt.proto}, "")
			if body != tt.wantIP+" "+tt.wantProto {
				t.Fatalf("got %q, want %q", body, tt.wantIP+" "+tt.wantProto)
			}
		})
	}
	if _, err := guard.ParseProxies([]string{"10.0.0.0/99"}); err == nil {
		t.Fatal("a bad range was accepted")
	}
}

func TestHeaders_CSPFramingNosniffReferrerAndHSTSOnlyOverHTTPS(t *testing.T) {
	p, _ := guard.ParseProxies([]string{"127.0.0.1"})
	cfg := fiber.Config{}
	p.Configure(&cfg)
	app := fiber.New(cfg)
	app.Use(guard.Headers())
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString("page") })
	app.Get("/signup", func(c *fiber.Ctx) error { guard.AllowEmbeddedSignup(c); return c.SendString("signup") })
	base := serve(t, app)
	resp, _ := do(t, "GET", base+"/", nil, "")
	h := resp.Header
	for k, want := range map[string]string{"Content-Security-Policy": guard.CSP, "X-Content-Type-Options": "nosniff",
		"X-Frame-Options": "DENY", "Referrer-Policy": "strict-origin-when-cross-origin"} {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}
	for _, d := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self';"} {
		if !strings.Contains(h.Get("Content-Security-Policy"), d) {
			t.Errorf("CSP lacks %q", d)
		}
	}
	if h.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS over plain http")
	}
	resp, _ = do(t, "GET", base+"/", map[string]string{"X-Forwarded-Proto": "https"}, "")
	if !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=31536000") {
		t.Errorf("HSTS behind a trusted https proxy: %q", resp.Header.Get("Strict-Transport-Security"))
	}
	resp, _ = do(t, "GET", base+"/signup", nil, "")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' https://connect.facebook.net") ||
		!strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("signup page CSP %q", csp)
	}
}

func TestStreams_CapPerKeyAndInAll(t *testing.T) {
	s := &guard.Streams{PerKey: 2, Total: 3}
	r1, ok1 := s.Acquire("a")
	_, ok2 := s.Acquire("a")
	if _, ok := s.Acquire("a"); !ok1 || !ok2 || ok {
		t.Fatal("per-key cap not held")
	}
	_, okB := s.Acquire("b")
	if _, ok := s.Acquire("c"); !okB || ok {
		t.Fatal("total cap not held")
	}
	r1()
	r1() // releasing twice frees one slot only
	if _, ok := s.Acquire("c"); !ok {
		t.Fatal("a released slot was not reusable")
	}
	if _, ok := s.Acquire("d"); ok {
		t.Fatal("a double release freed two slots")
	}
}
