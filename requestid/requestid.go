// Package requestid carries one request's id from the HTTP request that caused some work to every log line and row
// that work produces: a webhook's id is stored with the inbound messages it delivered, goes with them to the bot, is
// stored with the replies the bot queued and is logged when the outbox sends them. The id travels in a
// context.Context; Logger adds it to every slog line logged with that context. It imports nothing of ours.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

type ctxKey struct{}

// Key is the attribute name of the id on log lines.
const Key = "request_id"

// With returns ctx carrying id; an empty id leaves ctx as it is.
func With(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, id)
}

// From is the id ctx carries, "" when none.
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// New makes a random id: 16 hex digits.
func New() string {
	b := make([]byte, 8)
	rand.Read(b) //nolint:errcheck // crypto/rand never fails on Linux
	return hex.EncodeToString(b)
}

// maxLen bounds an id taken from a caller (a proxy's X-Request-ID): it is stored on rows and written on log lines.
const maxLen = 64

// Valid reports whether an id from outside (a proxy or a client) may be kept: 1 to 64 letters, digits, '-', '_',
// '.' or ':'. Anything else is replaced by a new id rather than written to the logs and the database.
func Valid(id string) bool {
	if id == "" || len(id) > maxLen {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

// Logger returns l with the request id of each line's context added to the line as request_id. l itself is
// returned when it already does that.
func Logger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(handler); ok {
		return l
	}
	return slog.New(handler{l.Handler()})
}

// handler adds the context's request id to each record.
type handler struct{ slog.Handler }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if id := From(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String(Key, id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return handler{h.Handler.WithAttrs(attrs)}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.Handler.WithGroup(name)} }
