package sandbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/sandbox"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

func TestSandbox_KeepsWhatWasSentPerCustomer(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.New(&recorder{}, slog.New(slog.NewTextHandler(io.Discard, nil)), "log", time.Hour)
	defer sb.Close()
	client := sb.Client("v23.0")
	for i := range 25 {
		msg, _ := whatsapp.NewText("15550001", fmt.Sprint("reply ", i), false)
		if _, err := client.SendMessage(ctx, "100000000000001", "sandbox-token", msg); err != nil {
			t.Fatal(err)
		}
	}
	buttons, _ := whatsapp.NewReplyButtons("15550002", "Pickup or delivery?",
		[]whatsapp.Button{{ID: "pickup", Title: "Pickup"}, {ID: "delivery", Title: "Delivery"}})
	wamid, err := client.SendMessage(ctx, "100000000000001", "sandbox-token", buttons)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.MarkRead(ctx, "100000000000001", "sandbox-token", "wamid.in", true); err != nil {
		t.Fatal(err)
	}

	ann := sb.Sent("100000000000001", "15550001")
	if len(ann) != 20 || ann[0].Text != "reply 5" || ann[19].Text != "reply 24" || ann[19].Type != "text" {
		t.Fatalf("Ann's log: %d messages, first %+v", len(ann), ann[0])
	}
	bob := sb.Sent("100000000000001", "15550002")
	if len(bob) != 1 || bob[0].WAMID != wamid || bob[0].Type != "interactive" ||
		!strings.Contains(bob[0].Text, "[Pickup] [Delivery]") {
		t.Fatalf("Bob's log: %+v", bob)
	}
	if got := sb.Sent("100000000000002", "15550001"); len(got) != 0 {
		t.Fatalf("another business number's chat: %+v", got)
	}
}

func TestSandbox_RefusedSendsAreNotLogged(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.New(&recorder{}, slog.New(slog.NewTextHandler(io.Discard, nil)), "refused", time.Hour)
	defer sb.Close()
	sb.Fake.Script(fakegraph.Undeliverable())
	msg, _ := whatsapp.NewText("15550001", "hi", false)
	if _, err := sb.Client("v23.0").SendMessage(ctx, "100000000000001", "sandbox-token", msg); err == nil {
		t.Fatal("the scripted refusal did not reach the client")
	}
	if got := sb.Sent("100000000000001", "15550001"); len(got) != 0 {
		t.Fatalf("logged %+v", got)
	}
}
