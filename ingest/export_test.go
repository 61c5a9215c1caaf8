package ingest

// HoldCommitting makes a look like a webhook delivery is waiting for its commit until the returned func is called.
func HoldCommitting(a *Arrivals) (release func()) {
	a.committing(1)
	return func() { a.committing(-1) }
}
