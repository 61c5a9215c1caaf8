package app

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/models"
)

// panicOnText is for the fault suite only (FAULT_TEST_PANIC_TEXT, off by default): it makes the bot panic on a
// customer text message equal to text, as a bug would, to prove one message cannot take the service down.
func panicOnText(text string, next ingest.Handler) ingest.Handler {
	return ingest.HandlerFunc(func(ctx context.Context, m models.InboundMessage) error {
		var msg struct {
			Text struct {
				Body string `json:"body"`
			} `json:"text"`
		}
		if m.Type == "text" && json.Unmarshal([]byte(m.Payload), &msg) == nil && strings.TrimSpace(msg.Text.Body) == text {
			panic("fault suite: FAULT_TEST_PANIC_TEXT received")
		}
		return next.HandleInbound(ctx, m)
	})
}
