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
