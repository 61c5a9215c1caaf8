// Package e2e tests the whole app end to end: the dashboard in headless Chromium (driven by chromedp) and over
// plain HTTP, against a real listener, real databases (SQLite and PostgreSQL) and the shared Redis, with signed
// webhooks coming in and a fake Graph API receiving what the outbox sends. It has no code besides its tests.
package e2e
