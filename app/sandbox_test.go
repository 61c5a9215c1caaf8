package app

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

// The whole loop with no Meta account: a customer's webhook reaches the bot, its replies go through the outbox to
// the built-in fake Graph API, and the fake's status webhooks mark them read.
func TestSandbox_WebhookToBotToOutboxToStatuses(t *testing.T) {
	dir := t.TempDir()
	base := startService(t, map[string]string{"DATA_DIR": dir})
	body, sig := signedText("wamid.sandbox.1", "15557770001")
	req, _ := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("webhook: %d", resp.StatusCode)
	}
	store, err := repository.Open(context.Background(), "", dir, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var rows []models.OutboundMessage
		store.DB(context.Background()).Where("to_wa_id = ?", "15557770001").Order("id").Find(&rows)
		read := 0
		for _, r := range rows {
			if r.Status == models.OutRead {
				read++
			}
		}
		if len(rows) >= 2 && read == len(rows) {
			return // the welcome and the menu, both read
		}
		if time.Now().After(deadline) {
			t.Fatalf("replies not delivered and read: %+v", rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A fresh sandbox already has a week of business: orders on each of the last seven days in several statuses,
// threads with unread messages, one waiting for a person; and none of that history is sent again.
func TestSandbox_StartsWithASampleWeek(t *testing.T) {
	dir := t.TempDir()
	startService(t, map[string]string{"DATA_DIR": dir})
	store, err := repository.Open(context.Background(), "", dir, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	bizes, err := store.Businesses(ctx)
	if err != nil || len(bizes) != 1 {
		t.Fatalf("businesses %v %v", bizes, err)
	}
	biz := bizes[0]
	since := time.Now().UTC().AddDate(0, 0, -6)
	st, err := store.OrderStats(ctx, biz.ID, time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	days := 0
	for _, d := range st.Daily {
		if d.Orders > 0 {
			days++
		}
	}
	if days < 6 || len(st.ByStatus) < 3 || st.Orders < 10 {
		t.Fatalf("a thin week: %d days with orders, statuses %v, %d orders", days, st.ByStatus, st.Orders)
	}
	threads, err := store.Threads(ctx, biz.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	unread, needs := 0, 0
	for _, th := range threads {
		if th.Unread > 0 {
			unread++
		}
		if th.NeedsHuman != "" {
			needs++
		}
	}
	if len(threads) != 8 || unread != 2 || needs != 1 {
		t.Fatalf("threads %d, unread %d, waiting for a person %d", len(threads), unread, needs)
	}
	var queued int64
	store.DB(ctx).Model(&models.OutboundMessage{}).Where("status IN ('queued', 'held')").Count(&queued)
	var unhandled int64
	store.DB(ctx).Model(&models.InboundMessage{}).Where("processed_at IS NULL").Count(&unhandled)
	if queued != 0 || unhandled != 0 {
		t.Fatalf("sample history to send %d, to handle %d", queued, unhandled)
	}
}
