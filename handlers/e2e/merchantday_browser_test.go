package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/sandbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

// sentTexts lists the text bodies the fake Graph API accepted for waID.
func (e *dashEnv) sentTexts(waID string) []string {
	var out []string
	for _, r := range e.graph.Sent() {
		if r.To != waID || r.Status != 200 {
			continue
		}
		var m whatsapp.OutgoingMessage
		if json.Unmarshal(r.Body, &m) == nil {
			out = append(out, m.Type+":"+m.Text())
		}
	}
	return out
}

// sentWamid is the wamid the fake Graph API gave the text send to waID whose body is body ("" until then).
func (e *dashEnv) sentWamid(waID, body string) string {
	for _, r := range e.graph.Sent() {
		var m whatsapp.OutgoingMessage
		if r.To == waID && r.Status == 200 && json.Unmarshal(r.Body, &m) == nil && m.Type == "text" && m.Text() == body {
			return r.WAMID
		}
	}
	return ""
}

// statusWebhook is Meta's delivery status webhook for the message wamid sent to waID.
func (e *dashEnv) statusWebhook(wamid, waID, status string) []byte {
	return sandbox.StatusWebhook(e.phone.WABAID, e.phone.MetaPhoneID, wamid, waID, status, time.Now())
}

// repliesSent waits until no reply to the customer waits in the send queue.
func (e *dashEnv) repliesSent(t *testing.T, customerID int64) {
	t.Helper()
	dashEventually(t, 15*time.Second, "the queued replies sent", func() bool {
		var n int64
		e.store.DB(t.Context()).Raw("SELECT COUNT(*) FROM outbound_messages WHERE customer_id = ? AND status = ?", customerID,
			models.OutQueued).Scan(&n)
		return n == 0
	})
}

func anyContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// The inbox end to end: a customer's thread shows with its unread count and new messages arrive live; the merchant
// takes the thread over (the bot stays quiet for that customer), replies by hand (the reply reaches the Graph API, and
// its delivery ticks change on the open page as Meta's status webhooks come), and hands it back to the bot.
func TestBrowser_InboxTakeOverReplyByHandTicksAndHandBack(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	e.product(t, "pizza-margherita", "Margherita", 950)
	const wa = "351910000060"
	e.webhook(t, e.textWebhook(wa, "Dora Reis", "hello"))
	ctx := e.ownerTab(t, 1280, 800)
	do(t, ctx, "open the inbox", chromedp.Navigate(e.URL+"/conversations"), chromedp.WaitVisible(chromedp.CSS(".thread .unread")))
	if got := liveText(t, ctx, ".thread"); !strings.Contains(got, "Dora Reis") || !strings.Contains(got, "hello") {
		t.Fatalf("thread row %q", got)
	}
	// Clicked from the page's own script: the live feed may replace the row (the bot's answer arrives) between
	// finding its node and a click sent to that node.
	eval[bool](t, ctx, `(document.querySelector(".thread a").click(), true)`)
	do(t, ctx, "open the thread", chromedp.WaitVisible(chromedp.CSS("#reply-text")))
	e.webhook(t, e.textWebhook(wa, "Dora Reis", "are you open tonight?"))
	do(t, ctx, "the new message arrives live", chromedp.WaitVisible(chromedp.CSS(`#conversation .msg:last-child .bubble.out`)))
	dashEventually(t, 10*time.Second, "the customer's live message", func() bool {
		return strings.Contains(liveText(t, ctx, "#conversation"), "are you open tonight?")
	})
	cust, err := e.store.CustomerByWaID(t.Context(), e.biz.ID, wa)
	if err != nil {
		t.Fatal(err)
	}
	e.repliesSent(t, cust.ID) // the bot's answers so far have left, so what comes next is new

	eval[bool](t, ctx, `(document.getElementById("takeover").click(), true)`)
	do(t, ctx, "take over", chromedp.WaitVisible(chromedp.CSS("#answering")))
	if th, err := e.store.Thread(t.Context(), e.biz.ID, cust.ID); err != nil || th.TakenOverAt == nil {
		t.Fatalf("thread after take over: %+v, %v", th, err)
	}
	e.graph.Reset()
	e.webhook(t, e.textWebhook(wa, "Dora Reis", "menu"))
	dashEventually(t, 10*time.Second, "the message in the thread", func() bool {
		return strings.Contains(eval[string](t, ctx, `document.querySelector("#conversation .msg:last-child").textContent`), "menu")
	})
	time.Sleep(time.Second) // the bot would have answered by now
	if sent := e.sentTexts(wa); len(sent) != 0 {
		t.Fatalf("the bot answered while a person had the thread: %v", sent)
	}

	do(t, ctx, "reply by hand",
		chromedp.SendKeys(chromedp.CSS("#reply-text"), "Yes, until 23:00!"),
		chromedp.Click(chromedp.CSS("#reply-send")),
		chromedp.WaitVisible(chromedp.CSS("#answering")))
	eval[bool](t, ctx, `(window.sameDocument = true)`)
	var wamid string
	dashEventually(t, 15*time.Second, "the reply at the Graph API", func() bool {
		wamid = e.sentWamid(wa, "Yes, until 23:00!")
		return wamid != ""
	})
	const tick = `(() => { const b = [...document.querySelectorAll("#conversation .bubble.out")].find(b => b.textContent.includes("Yes, until 23:00!"));
		const t = b && b.querySelector(".tick"); return t ? t.className + "|" + t.textContent : "" })()`
	dashEventually(t, 10*time.Second, "the reply's bubble marked sent", func() bool { return eval[string](t, ctx, tick) == "tick|✓" })
	e.webhook(t, e.statusWebhook(wamid, wa, "delivered"))
	dashEventually(t, 10*time.Second, "the bubble marked delivered", func() bool { return eval[string](t, ctx, tick) == "tick|✓✓" })
	e.webhook(t, e.statusWebhook(wamid, wa, "read"))
	dashEventually(t, 10*time.Second, "the bubble marked read", func() bool { return eval[string](t, ctx, tick) == "tick read|✓✓" })
	if !eval[bool](t, ctx, `window.sameDocument === true`) {
		t.Fatal("the page was reloaded")
	}

	eval[bool](t, ctx, `(document.getElementById("handback").click(), true)`)
	do(t, ctx, "hand back", chromedp.WaitVisible(chromedp.CSS("#takeover")))
	if th, err := e.store.Thread(t.Context(), e.biz.ID, cust.ID); err != nil || th.TakenOverAt != nil {
		t.Fatalf("thread after hand back: %+v, %v", th, err)
	}
	e.webhook(t, e.textWebhook(wa, "Dora Reis", "menu"))
	dashEventually(t, 15*time.Second, "the bot's menu after the hand-back", func() bool { return anyContains(e.sentTexts(wa), "Margherita") })

	ctx = e.ownerTab(t, 390, 844) // a fresh tab: each has its own deadline, and a phone shows the page as a list
	do(t, ctx, "the customers page", chromedp.Navigate(e.URL+"/customers"), chromedp.WaitVisible(chromedp.CSS("#customers")))
	if got := text(t, ctx, "#customers tbody"); !strings.Contains(got, "Dora Reis") || !strings.Contains(got, "Open thread") {
		t.Fatalf("customers %q", got)
	}
}

// A customer asking for a person flags the thread in the list; outside the 24-hour window the reply box becomes a
// template picker.
func TestBrowser_InboxFlagsAPersonAndClosesTextOutsideTheWindow(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	const wa = "351910000061"
	e.webhook(t, e.textWebhook(wa, "Rui Costa", "human"))
	c := e.customer(t, "351910000062", "Old Friend")
	old := time.Now().Add(-30 * time.Hour)
	e.store.DB(t.Context()).Exec("UPDATE customers SET last_inbound_at = ? WHERE id = ?", old.UTC(), c.ID)
	ctx := e.ownerTab(t, 390, 844)
	do(t, ctx, "open the inbox", chromedp.Navigate(e.URL+"/conversations"), chromedp.WaitVisible(chromedp.CSS(".thread.needs")))
	if got := liveText(t, ctx, ".thread.needs"); !strings.Contains(got, "Rui Costa") || !strings.Contains(got, "Needs a person") {
		t.Fatalf("flagged thread %q", got)
	}
	do(t, ctx, "open the old thread", chromedp.Navigate(fmt.Sprintf("%s/conversations/%d", e.URL, c.ID)),
		chromedp.WaitVisible(chromedp.CSS("#template-form")))
	if n := eval[int](t, ctx, `document.querySelectorAll("#reply-text").length`); n != 0 {
		t.Fatal("a text box outside the 24-hour window")
	}
}

// The merchant accepts with a ready time and cancels another order with a reason: both reach the customer at the
// Graph API. The kitchen ticket prints the order, and the CSV export holds the day's orders.
func TestBrowser_ReadyTimeCancelReasonPrintAndExport(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	const wa = "351910000063"
	e.webhook(t, e.textWebhook(wa, "Nuno Alves", "hello"))
	c := e.customer(t, wa, "Nuno Alves")
	first, second := e.order(t, c), e.order(t, c)
	ctx := e.ownerTab(t, 1280, 800)
	e.graph.Reset()
	do(t, ctx, "accept with a ready time", chromedp.Navigate(fmt.Sprintf("%s/orders/%d", e.URL, first.ID)),
		chromedp.WaitVisible(chromedp.CSS("#ready-in")),
		chromedp.SetValue(chromedp.CSS("#ready-in"), "20"),
		chromedp.Click(chromedp.CSS(`#status-actions button[data-status="confirmed"]`)),
		chromedp.WaitVisible(chromedp.CSS("#ready-at")))
	do(t, ctx, "cancel with a reason", chromedp.Navigate(fmt.Sprintf("%s/orders/%d", e.URL, second.ID)),
		chromedp.WaitVisible(chromedp.CSS("#cancel-reason")),
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.SendKeys(chromedp.CSS("#cancel-reason"), "We ran out of dough"),
		chromedp.Click(chromedp.CSS(`#status-actions button[data-status="cancelled"]`)),
		chromedp.WaitVisible(chromedp.CSS("#cancel-reason-shown")))
	dashEventually(t, 15*time.Second, "both messages at the Graph API", func() bool {
		sent := e.sentTexts(wa)
		return anyContains(sent, "should be ready around") && anyContains(sent, "cancelled: We ran out of dough")
	})

	ctx = e.ownerTab(t, 1280, 800) // a fresh tab: each has its own deadline
	do(t, ctx, "print the ticket", chromedp.Navigate(fmt.Sprintf("%s/orders/%d/print", e.URL, first.ID)), chromedp.WaitVisible(chromedp.CSS("#ticket")))
	if got := text(t, ctx, "#ticket"); !strings.Contains(got, fmt.Sprintf("Order #%d", first.Number)) || !strings.Contains(got, "Margherita") ||
		!strings.Contains(got, "EUR 22.00") || !strings.Contains(got, "Nuno Alves") {
		t.Fatalf("ticket %q", got)
	}
	lisbon, err := time.LoadLocation(e.biz.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(lisbon).Format("2006-01-02")
	csv := eval[string](t, ctx, fmt.Sprintf(`(() => { const x = new XMLHttpRequest();
		x.open("GET", "/export/orders.csv?from=%s&to=%s", false); x.send(); return x.status + "\n" + x.getResponseHeader("Content-Type") + "\n" + x.responseText })()`, day, day))
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 5 || lines[0] != "200" || !strings.HasPrefix(lines[1], "text/csv") || !strings.HasPrefix(lines[2], "number,created_at") ||
		!strings.Contains(lines[4], "We ran out of dough") {
		t.Fatalf("export:\n%s", csv)
	}

	// The merchant's way: the orders page's form, filled and submitted, downloads the file.
	dir := t.TempDir()
	do(t, ctx, "fill and submit the export form", chromedp.Navigate(e.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#export-form")),
		allowDownloads(dir),
		chromedp.SetValue(chromedp.CSS("#export-from"), day), chromedp.SetValue(chromedp.CSS("#export-to"), day),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("export-form").requestSubmit()`))
	file := filepath.Join(dir, "orders-"+day+"-to-"+day+".csv")
	var got []byte
	dashEventually(t, 15*time.Second, "the downloaded CSV", func() bool {
		got, err = os.ReadFile(file)
		return err == nil && len(got) > 0
	})
	if rows := strings.Split(strings.TrimSpace(string(got)), "\n"); len(rows) != 3 || rows[0] != lines[2] ||
		!strings.Contains(string(got), "We ran out of dough") || !strings.Contains(string(got), "Nuno Alves") {
		t.Fatalf("downloaded export:\n%s", got)
	}
}

// allowDownloads makes the tab's browser context save downloads into dir under the names the server suggests.
func allowDownloads(dir string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, BrowserContextID: chromedp.FromContext(ctx).BrowserContextID})
		return err
	})
}
