package sandbox_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/sandbox"
	"github.com/waorder/waorder/whatsapp"
)

type recorder struct {
	mu     sync.Mutex
	bodies []string
}

func (r *recorder) Accept(_ context.Context, body []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, string(body))
	return nil
}

func (r *recorder) statuses() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bodies {
		n, _ := whatsapp.ParseWebhook([]byte(b))
		for _, c := range n.Changes {
			for _, s := range c.Statuses {
				out = append(out, s.ID+":"+s.Status)
			}
		}
	}
	return out
}

func TestSandbox_ASendComesBackAsSentDeliveredRead(t *testing.T) {
	rec := &recorder{}
	sb := sandbox.New(rec, slog.New(slog.NewTextHandler(io.Discard, nil)), "t1", 10*time.Millisecond)
	defer sb.Close()
	msg, _ := whatsapp.NewText("15550001", "hi", false)
	wamid, err := sb.Client("v23.0").SendMessage(context.Background(), "100000000000001", "sandbox-token", msg)
	if err != nil || !strings.HasPrefix(wamid, "wamid.SANDBOX.t1.") {
		t.Fatalf("send: %q %v", wamid, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.statuses()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := rec.statuses()
	want := []string{wamid + ":sent", wamid + ":delivered", wamid + ":read"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("statuses %v, want %v", got, want)
	}
}
