package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/waorder/waorder/app"
	"github.com/waorder/waorder/app/apptest"
	"github.com/waorder/waorder/testutil"
)

// A customer sends a picture, a voice note, a document and a location; the merchant opens the thread and sees the
// picture rendered (decoded by the browser), a player, a download link and a map link.
func TestBrowser_ThreadShowsTheCustomersPictureVoiceNoteDocumentAndLocation(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	cust, _ := e.customerSendsMedia(t, "351910000091", "Rita Alves")
	for _, vp := range []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 800}, {"phone", 390, 844}} {
		ctx := tab(t, vp.width, vp.height)
		loginAs(t, ctx, e.URL, e.email, e.password)
		do(t, ctx, "open the thread", chromedp.Navigate(fmt.Sprintf("%s/conversations/%d", e.URL, cust.ID)),
			chromedp.WaitVisible(chromedp.CSS("#conversation img.media-img")))
		dashEventually(t, 10*time.Second, "the picture decoded", func() bool {
			return eval[int](t, ctx, `(() => { const i = document.querySelector("#conversation img.media-img");
				return i && i.complete ? i.naturalWidth : 0 })()`) == 240
		})
		if src := eval[string](t, ctx, `document.querySelector("#conversation audio").getAttribute("src")`); !strings.HasPrefix(src, "/media/") {
			t.Fatalf("voice note player src %q", src)
		}
		if got := liveText(t, ctx, "#conversation a.media-doc"); !strings.Contains(got, "allergies.pdf") {
			t.Fatalf("document link %q", got)
		}
		if href := eval[string](t, ctx, `document.querySelector("#conversation a.media-place").href`); !strings.Contains(href, "openstreetmap.org") ||
			!strings.Contains(liveText(t, ctx, "#conversation a.media-place"), "Praça do Comércio") {
			t.Fatalf("location link %q", href)
		}
		if got := liveText(t, ctx, "#conversation"); !strings.Contains(got, "This one?") {
			t.Fatalf("the picture's caption is missing: %q", got)
		}
		// From the page's own script: the live feed may redraw the bubble (its file settled moments before the page
		// opened) between finding its node and scrolling to it.
		eval[bool](t, ctx, `(document.querySelector("#conversation img.media-img").scrollIntoView(), true)`)
		screenshot(t, ctx, "thread-media-"+vp.name)
		if over := eval[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
			t.Errorf("thread with media on %s: page is %dpx wider than the screen", vp.name, over)
		}
	}
}

// The merchant has the thread open when a picture comes in whose file Meta is slow to hand over: the bubble says it
// is arriving, and the picture takes its place when it is kept, without a reload and on the same live stream (it
// lasts a minute here, so the browser's reconnect, which redraws everything, cannot be what shows it).
func TestBrowser_OpenThreadShowsThePictureWhenItsFileArrives(t *testing.T) {
	t.Parallel()
	e := newDashEnvLogging(t, testutil.SQLite(t), apptest.Log(), app.WithEventStream(time.Minute))
	const waID = "351910000092"
	e.webhook(t, e.textWebhook(waID, "Nuno", "Hello, a picture is coming"))
	cust, err := e.store.CustomerByWaID(context.Background(), e.biz.ID, waID)
	if err != nil {
		t.Fatal(err)
	}
	ctx := tab(t, 1280, 800)
	loginAs(t, ctx, e.URL, e.email, e.password)
	do(t, ctx, "open the thread", chromedp.Navigate(fmt.Sprintf("%s/conversations/%d", e.URL, cust.ID)),
		chromedp.WaitVisible(chromedp.CSS("#conversation")))
	eval[bool](t, ctx, `(window.sameDocument = true)`)

	// Meta holds the file back until the bubble has said it is arriving, however slow this run; then hands it over.
	e.graph.AddMedia("late-pic", "image/png", pngPicture(t, 240, 160))
	release := e.graph.HoldMedia("late-pic")
	defer release()
	e.webhook(t, e.mediaWebhook(waID, "Nuno", "image", "late-pic", "image/png", nil))
	do(t, ctx, "the bubble says the picture is arriving", chromedp.WaitVisible(chromedp.CSS("#conversation span.media")))
	if n := eval[int](t, ctx, `document.querySelectorAll("#conversation img.media-img").length`); n != 0 {
		t.Fatalf("%d pictures shown before the file was kept", n)
	}
	release()
	dashEventually(t, 45*time.Second, "the picture replaces the arriving note", func() bool {
		return eval[int](t, ctx, `(() => { const i = document.querySelector("#conversation img.media-img");
			return i && i.complete ? i.naturalWidth : 0 })()`) == 240
	})
	if !eval[bool](t, ctx, `window.sameDocument === true`) {
		t.Fatal("the page was reloaded")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#conversation span.media").length`); n != 0 {
		t.Fatalf("%d arriving notes left beside the picture", n)
	}
}
