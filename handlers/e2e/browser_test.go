package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/waorder/waorder/testutil"
)

// The browser tests share one headless Chromium per test binary; each test gets its own tab in its own browser
// context (cookies and storage of its own), so tests can run in parallel.

const chromiumPath = "/usr/bin/chromium"

var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

func startBrowser() {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(1280, 800)) // and a fresh temporary user-data-dir, which chromedp makes and removes
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	browser.ctx, browser.cancel = bctx, func() { bcancel(); acancel() }
	browser.err = chromedp.Do(bctx) // starts the browser
}

// tab opens an isolated tab with a viewport of width × height CSS pixels.
func tab(t *testing.T, width, height int64) context.Context {
	t.Helper()
	testutil.Binary(t, chromiumPath, "install Chromium (apt-get install -y chromium) to run the browser tests")
	browser.once.Do(startBrowser)
	if browser.err != nil {
		t.Fatalf("start chromium: %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	var opts []chromedp.EmulateViewportOption
	if width < 700 {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height, opts...)); err != nil {
		t.Fatalf("viewport: %v", err)
	}
	return ctx
}

// do runs steps and fails the test with what was being done.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("%s: %v\npage: %.3000s", what, err, html)
	}
}

// text reads an element's text. A read that races a navigation (the node it found belongs to the page being
// replaced: "No node with given id found", a destroyed execution context) is tried again for a few seconds.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var s string
		if s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel))); err == nil {
			return strings.TrimSpace(s)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
	}
	t.Fatalf("text of %s: %v", sel, err)
	return ""
}

// liveText reads an element's text from the page's own script, as it is at that moment: for rows the live feed
// replaces (a node found first and read after may already be detached, and read as empty). "" when none matches.
func liveText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	q, _ := json.Marshal(sel)
	return strings.TrimSpace(eval[string](t, ctx, `(document.querySelector(`+string(q)+`) || {}).textContent || ""`))
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// loginAs fills the login form and waits for the orders page (or fails at once with the form's error).
func loginAs(t *testing.T, ctx context.Context, base, email, password string) {
	t.Helper()
	do(t, ctx, "log in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#orders-total, #login-error")))
	if msg := eval[string](t, ctx, `(document.getElementById("login-error") || {}).textContent || ""`); msg != "" {
		t.Fatalf("log in as %s: %s", email, msg)
	}
}

// ownerTab opens a browser tab of width×height with the business's owner logged in, on the orders page.
func (e *dashEnv) ownerTab(t *testing.T, width, height int64) context.Context {
	t.Helper()
	ctx := tab(t, width, height)
	loginAs(t, ctx, e.URL, e.email, e.password)
	return ctx
}

// screenshot saves a full-page PNG to $WAORDER_SCREENSHOTS (or the test's temporary folder) and returns its path.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	dir := os.Getenv("WAORDER_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

func rows(t *testing.T, ctx context.Context) int {
	t.Helper()
	return eval[int](t, ctx, `document.querySelectorAll("#orders tbody tr").length`)
}

func firstRowNumber(t *testing.T, ctx context.Context) string {
	return text(t, ctx, "#orders tbody tr:first-child .order-no")
}
