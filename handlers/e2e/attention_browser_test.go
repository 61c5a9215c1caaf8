package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/waorder/waorder/testutil"
)

// From the navigation to the attention page: the reply Meta refused shows with its reason; Retry sends it, and
// once sent it leaves the list.
func TestBrowser_AttentionRetrySendsTheFailedReply(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	failed := e.failedReply(t, "351910000051", "Nuno Pires")
	row := fmt.Sprintf("#reply-%d", failed.ID)
	ctx := tab(t, 390, 844)
	loginAs(t, ctx, e.URL, e.email, e.password)
	do(t, ctx, "open the attention page from the navigation", chromedp.Click(chromedp.CSS(`nav a[href="/attention"]`)),
		chromedp.WaitVisible(chromedp.CSS(row)))
	if got := text(t, ctx, row+" .reason"); !strings.Contains(got, "Message Undeliverable") || !strings.Contains(got, "131026") {
		t.Fatalf("reason shown %q", got)
	}
	if got := text(t, ctx, row); !strings.Contains(got, "Nuno Pires") || !strings.Contains(got, "Failed") {
		t.Fatalf("row shows %q", got)
	}
	e.graph.Reset()
	do(t, ctx, "retry", chromedp.Click(chromedp.CSS(row+" button")), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	dashEventually(t, 20*time.Second, "the retried reply at the Graph API", func() bool { return e.sentTo("351910000051") })
	dashEventually(t, 15*time.Second, "the sent reply gone from the page", func() bool {
		do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main h1")))
		return eval[bool](t, ctx, fmt.Sprintf(`document.getElementById("reply-%d") === null`, failed.ID))
	})
}
