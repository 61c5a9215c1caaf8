package repository

// Wakes between instances: a web-only instance (RUN_WORKERS=false) stores webhooks and queues merchants' messages,
// and the instances that run the workers hear about it through PostgreSQL's LISTEN/NOTIFY instead of waiting for
// their next sweep. A notification is only a hint: one lost (a listener reconnecting, a NOTIFY that failed) costs
// the wait for that sweep, never a message, since the rows themselves are what the workers claim.

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The channels instances wake each other on. The payload is the notifier's schema (current_schema()), so
// deployments sharing one database in different schemas don't wake each other.
const (
	WakeInbound  = "waorder_inbound"  // inbound messages were stored: sweep the bot's queue
	WakeOutbound = "waorder_outbound" // outbound messages were queued: look for due sends
)

// Notify tells the instances listening on channel (Listen) that there is work; on SQLite, where one process owns
// the database, it does nothing.
func (s *Store) Notify(ctx context.Context, channel string) error {
	if !s.postgres {
		return nil
	}
	if err := s.db.WithContext(ctx).Exec("SELECT pg_notify(?, current_schema())", channel).Error; err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listen holds a connection of its own (outside the pool) listening on channels, and calls on with the channel
// of every notification from this store's schema, one at a time. Once listening it calls on for every channel,
// since what was notified before (or while reconnecting) was not heard. It returns when ctx ends (nil) or the
// connection fails (the error; the caller reconnects). On SQLite it returns at once with ErrNoListen.
func (s *Store) Listen(ctx context.Context, channels []string, on func(channel string)) error {
	if s.conn == nil {
		return ErrNoListen
	}
	conn, err := pgx.ConnectConfig(ctx, s.conn.Copy())
	if err != nil {
		return fmt.Errorf("connect to listen: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck // the connection is dropped either way
	var schema string
	// The connection names itself in pg_stat_activity as the listener of its schema, for operators (and tests).
	if err := conn.QueryRow(ctx, "SELECT current_schema(), set_config('application_name', left('waorder listen ' || current_schema(), 63), false)").
		Scan(&schema, nil); err != nil {
		return fmt.Errorf("read the schema to listen for: %w", err)
	}
	for _, ch := range channels {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("listen on %s: %w", ch, err)
		}
	}
	for _, ch := range channels {
		on(ch)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("wait for notifications: %w", err)
		}
		if n.Payload == schema {
			on(n.Channel)
		}
	}
}

// ErrNoListen: the embedded database has no other instances to hear from.
var ErrNoListen = errors.New("listening for other instances needs PostgreSQL")
