package ingest

import "time"

// HoldCommitting makes a look like a webhook delivery has been waiting for its commit since at, until the returned
// func is called.
func HoldCommitting(a *Arrivals, at time.Time) (release func()) { return a.committing(at) }
