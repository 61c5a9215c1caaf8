package repository_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// TestListen_HearsItsOwnSchemasNotifiesAndCatchesUpOnConnect: a listener first hears every channel once (what was
// notified before it listened is not lost), then each notify of its schema on the channel it was sent on, and
// nothing of another schema's, even on the same channel of the same database.
func TestListen_HearsItsOwnSchemasNotifiesAndCatchesUpOnConnect(t *testing.T) {
	ours, theirs := testutil.Postgres(t), testutil.Postgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	heard := make(chan string, 16)
	done := make(chan error, 1)
	go func() {
		done <- ours.Listen(ctx, []string{repository.WakeInbound, repository.WakeOutbound}, func(ch string) { heard <- ch })
	}()
	next := func() string {
		t.Helper()
		select {
		case ch := <-heard:
			return ch
		case <-time.After(10 * time.Second):
			t.Fatal("nothing heard within 10 s")
			return ""
		}
	}
	if a, b := next(), next(); a != repository.WakeInbound || b != repository.WakeOutbound {
		t.Fatalf("on connect heard %q, %q; want every channel once", a, b)
	}
	// The other schema's notify is sent first: had it been heard, it would come before ours.
	if err := theirs.Notify(ctx, repository.WakeInbound); err != nil {
		t.Fatal(err)
	}
	if err := ours.Notify(ctx, repository.WakeOutbound); err != nil {
		t.Fatal(err)
	}
	if ch := next(); ch != repository.WakeOutbound {
		t.Fatalf("heard %q; want our own outbound notify (and not the other schema's inbound one)", ch)
	}
	if err := ours.Notify(ctx, repository.WakeInbound); err != nil {
		t.Fatal(err)
	}
	if ch := next(); ch != repository.WakeInbound {
		t.Fatalf("heard %q; want inbound", ch)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Listen ended with %v after its context; want nil", err)
	}
	select {
	case ch := <-heard:
		t.Fatalf("heard %q more than was notified", ch)
	default:
	}
}

// TestListen_TheEmbeddedDatabaseHasNoOneToHearFrom: on SQLite, Notify is a no-op and Listen says it can't.
func TestListen_TheEmbeddedDatabaseHasNoOneToHearFrom(t *testing.T) {
	s := testutil.SQLite(t)
	if err := s.Notify(context.Background(), repository.WakeInbound); err != nil {
		t.Fatalf("Notify on SQLite: %v", err)
	}
	if err := s.Listen(context.Background(), []string{repository.WakeInbound}, func(string) {}); !errors.Is(err, repository.ErrNoListen) {
		t.Fatalf("Listen on SQLite: %v; want ErrNoListen", err)
	}
}

// TestListen_ReturnsWhenItsConnectionIsKilled: the listener names itself after its schema in pg_stat_activity, and
// a killed connection ends Listen with an error (the caller listens again) instead of leaving it deaf.
func TestListen_ReturnsWhenItsConnectionIsKilled(t *testing.T) {
	s := testutil.Postgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	heard := make(chan string, 4)
	done := make(chan error, 1)
	go func() { done <- s.Listen(ctx, []string{repository.WakeInbound}, func(ch string) { heard <- ch }) }()
	select {
	case <-heard: // listening
	case <-time.After(10 * time.Second):
		t.Fatal("not listening within 10 s")
	}
	var killed int64
	if err := s.DB(ctx).Raw(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = left('waorder listen ' || current_schema(), 63)`).Find(&killed).Error; err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("%d listening connections found by name; want 1", killed)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Listen returned nil after its connection was killed; want the error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Listen still waiting 10 s after its connection was killed")
	}
}
