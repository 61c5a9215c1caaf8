// Package whatsapp is a small library for Meta's WhatsApp Business Cloud API: the webhook side (checking the
// X-Hub-Signature-256 header and parsing notification bodies into typed messages, statuses and contacts) and the
// Graph API client that sends messages.
//
// The parser is built for input we do not control. Meta adds message types and fields without notice and is loose
// with JSON types (a timestamp or a price may come as a number or a string), so ParseWebhook fails only when the
// body is not a JSON object at all. Everything else is kept: each message, status and contact is decoded on its
// own, keeps its raw JSON, and carries a human-readable Problem when part of it could not be understood. Callers
// store what they cannot handle rather than lose it.
//
// Money is integer minor units with an ISO 4217 code (see MinorUnits), never float64.
//
// The package is usable on its own: it imports only the standard library and nothing else of this module, and it
// does no storage, routing or logging of its own.
package whatsapp
