package requestid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/waorder/waorder/requestid"
)

func TestLogger_AddsTheContextsIDToEachLine(t *testing.T) {
	var buf bytes.Buffer
	log := requestid.Logger(slog.New(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	ctx := requestid.With(context.Background(), "req-42")
	log.InfoContext(ctx, "with id")
	log.Info("without id")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", buf.String())
	}
	var with, without map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &with); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &without); err != nil {
		t.Fatal(err)
	}
	if with[requestid.Key] != "req-42" || with["component"] != "test" {
		t.Errorf("line logged with the id's context: %v", with)
	}
	if _, ok := without[requestid.Key]; ok {
		t.Errorf("line logged without an id carries one: %v", without)
	}
}

func TestLogger_WrapsOnce(t *testing.T) {
	var buf bytes.Buffer
	log := requestid.Logger(requestid.Logger(slog.New(slog.NewJSONHandler(&buf, nil))))
	log.InfoContext(requestid.With(context.Background(), "once"), "x")
	if n := strings.Count(buf.String(), requestid.Key); n != 1 {
		t.Errorf("request_id appears %d times: %s", n, buf.String())
	}
}

func TestValid_KeepsProxyIDsAndRefusesWhatDoesNotBelongInALog(t *testing.T) {
	for id, want := range map[string]bool{
		"f3c2a1b0-9d8e-4f7a-b6c5-d4e3f2a1b0c9": true, // Heroku's router
		"abc_DEF.1:2":                          true,
		"":                                     false,
		strings.Repeat("a", 65):                false,
		"two words":                            false,
		"line\nbreak":                          false,
		`quote"`:                               false,
	} {
		if got := requestid.Valid(id); got != want {
			t.Errorf("Valid(%q) = %v, want %v", id, got, want)
		}
	}
	if id := requestid.New(); !requestid.Valid(id) || id == requestid.New() {
		t.Errorf("New() = %q: not valid or not random", id)
	}
}
