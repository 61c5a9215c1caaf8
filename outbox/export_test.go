package outbox

import "time"

// SetClock gives o another clock, as an instance whose clock is wrong would have.
func SetClock(o *Outbox, now func() time.Time) { o.clock = now }
