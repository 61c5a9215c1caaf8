package outbox

import (
	"log/slog"
	"time"
)

// SetClock gives o another clock, as an instance whose clock is wrong would have.
func SetClock(o *Outbox, now func() time.Time) { o.clock = now }

// SetLogger makes o log to log.
func SetLogger(o *Outbox, log *slog.Logger) { o.log = log }
