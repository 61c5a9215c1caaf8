package repository

// migrations is the ordered schema history. Never edit one that has shipped; append a new one. Each is written once
// for both dialects: {{pk}}, {{ts}} and {{blob}} are replaced per dialect.
//
// Why not goose (github.com/pressly/goose): it keeps its own version table (goose_db_version), so every running
// deployment's schema_migrations would need a one-off bridge, and it wants a SQL file per dialect or Go
// migrations, where one text with three placeholders serves PostgreSQL and SQLite here. What goose would replace is
// Migrate below: short, tested on both databases, and already safe when two instances start at once.
//
// The column name phone_number_id means two things, and shipped migrations keep it: as TEXT (phone_numbers,
// webhook_events, connect_attempts) it is Meta's id of the number, models' MetaPhoneID; as a BIGINT referencing
// phone_numbers(id) (inbound and outbound messages, inbound media) it is our row's id, models' PhoneNumberID.
var migrations = []string{
	// 1: the spine: tenants, numbers, customers, inbound messages, statuses, raw events.
	`CREATE TABLE businesses (
		id {{pk}},
		name TEXT NOT NULL,
		currency TEXT NOT NULL DEFAULT 'USD',
		timezone TEXT NOT NULL DEFAULT 'UTC',
		opening_hours TEXT NOT NULL DEFAULT '',
		greeting TEXT NOT NULL DEFAULT '',
		fulfillment TEXT NOT NULL DEFAULT 'both',
		min_order_minor BIGINT NOT NULL DEFAULT 0,
		window_template TEXT NOT NULL DEFAULT '',
		template_language TEXT NOT NULL DEFAULT 'en_US',
		catalog_id TEXT NOT NULL DEFAULT '',
		order_seq BIGINT NOT NULL DEFAULT 0,
		created_at {{ts}} NOT NULL,
		updated_at {{ts}} NOT NULL
	);
	CREATE TABLE phone_numbers (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		phone_number_id TEXT NOT NULL UNIQUE,
		waba_id TEXT NOT NULL DEFAULT '',
		display_phone_number TEXT NOT NULL DEFAULT '',
		access_token_enc TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL DEFAULT 'connected',
		status_reason TEXT NOT NULL DEFAULT '',
		send_rate_per_sec INTEGER NOT NULL DEFAULT 80,
		created_at {{ts}} NOT NULL,
		updated_at {{ts}} NOT NULL
	);
	CREATE INDEX phone_numbers_business ON phone_numbers(business_id);
	CREATE TABLE customers (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		wa_id TEXT NOT NULL,
		user_id TEXT NOT NULL DEFAULT '',
		name TEXT NOT NULL DEFAULT '',
		last_inbound_at {{ts}},
		created_at {{ts}} NOT NULL,
		updated_at {{ts}} NOT NULL,
		UNIQUE (business_id, wa_id)
	);
	CREATE TABLE inbound_messages (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		phone_number_id BIGINT NOT NULL REFERENCES phone_numbers(id),
		customer_id BIGINT NOT NULL REFERENCES customers(id),
		wamid TEXT NOT NULL UNIQUE,
		type TEXT NOT NULL,
		body TEXT NOT NULL DEFAULT '',
		payload TEXT NOT NULL,
		sent_at {{ts}} NOT NULL,
		received_at {{ts}} NOT NULL,
		processed_at {{ts}},
		claim_until {{ts}},
		attempts INTEGER NOT NULL DEFAULT 0,
		process_error TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX inbound_messages_customer ON inbound_messages(business_id, customer_id, sent_at);
	CREATE INDEX inbound_messages_unprocessed ON inbound_messages(id) WHERE processed_at IS NULL;
	CREATE INDEX inbound_messages_pending_customer ON inbound_messages(business_id, customer_id, id) WHERE processed_at IS NULL;
	CREATE TABLE message_statuses (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		wamid TEXT NOT NULL,
		status TEXT NOT NULL,
		recipient TEXT NOT NULL DEFAULT '',
		error_code INTEGER NOT NULL DEFAULT 0,
		error_title TEXT NOT NULL DEFAULT '',
		error_detail TEXT NOT NULL DEFAULT '',
		payload TEXT NOT NULL,
		status_at {{ts}} NOT NULL,
		received_at {{ts}} NOT NULL,
		UNIQUE (wamid, status)
	);
	CREATE TABLE webhook_events (
		id {{pk}},
		business_id BIGINT REFERENCES businesses(id),
		kind TEXT NOT NULL,
		field TEXT NOT NULL DEFAULT '',
		waba_id TEXT NOT NULL DEFAULT '',
		phone_number_id TEXT NOT NULL DEFAULT '',
		reason TEXT NOT NULL DEFAULT '',
		payload TEXT NOT NULL,
		hash TEXT NOT NULL UNIQUE,
		received_at {{ts}} NOT NULL
	);
	CREATE INDEX webhook_events_kind ON webhook_events(kind, received_at);`,

	// 2: outbound messages (the outbox), catalog, conversations, orders.
	`CREATE TABLE outbound_messages (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		phone_number_id BIGINT NOT NULL REFERENCES phone_numbers(id),
		customer_id BIGINT NOT NULL REFERENCES customers(id),
		to_wa_id TEXT NOT NULL,
		kind TEXT NOT NULL,
		payload TEXT NOT NULL,
		summary TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL DEFAULT 'queued',
		wamid TEXT UNIQUE,
		idempotency_key TEXT NOT NULL UNIQUE,
		attempts INTEGER NOT NULL DEFAULT 0,
		next_attempt_at {{ts}} NOT NULL,
		claim_until {{ts}},
		claimed_by TEXT NOT NULL DEFAULT '',
		last_error TEXT NOT NULL DEFAULT '',
		error_code INTEGER NOT NULL DEFAULT 0,
		created_at {{ts}} NOT NULL,
		updated_at {{ts}} NOT NULL,
		sent_at {{ts}},
		delivered_at {{ts}},
		read_at {{ts}},
		failed_at {{ts}}
	);
	CREATE INDEX outbound_messages_queued ON outbound_messages(id) WHERE status = 'queued';
	CREATE INDEX outbound_messages_customer ON outbound_messages(business_id, customer_id, id);
	CREATE TABLE products (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		retailer_id TEXT NOT NULL,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		price_minor BIGINT NOT NULL,
		currency TEXT NOT NULL,
		category TEXT NOT NULL DEFAULT '',
		available BOOLEAN NOT NULL DEFAULT TRUE,
		sort INTEGER NOT NULL DEFAULT 0,
		created_at {{ts}} NOT NULL,
		updated_at {{ts}} NOT NULL,
		UNIQUE (business_id, retailer_id)
	);
	CREATE TABLE conversations (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		customer_id BIGINT NOT NULL REFERENCES customers(id),
		state TEXT NOT NULL DEFAULT '',
		data TEXT NOT NULL DEFAULT '{}',
		version BIGINT NOT NULL DEFAULT 0,
		last_message_at {{ts}} NOT NULL,
		updated_at {{ts}} NOT NULL,
		UNIQUE (business_id, customer_id)
	);
	CREATE TABLE orders (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		number BIGINT NOT NULL,
		customer_id BIGINT NOT NULL REFERENCES customers(id),
		status TEXT NOT NULL,
		total_minor BIGINT NOT NULL,
		currency TEXT NOT NULL,
		fulfillment TEXT NOT NULL DEFAULT '',
		address TEXT NOT NULL DEFAULT '',
		latitude DOUBLE PRECISION,
		longitude DOUBLE PRECISION,
		note TEXT NOT NULL DEFAULT '',
		source TEXT NOT NULL DEFAULT 'chat',
		source_key TEXT NOT NULL UNIQUE,
		created_at {{ts}} NOT NULL,
		updated_at {{ts}} NOT NULL,
		UNIQUE (business_id, number)
	);
	CREATE INDEX orders_business_created ON orders(business_id, created_at);
	CREATE INDEX orders_business_status ON orders(business_id, status, id);
	CREATE TABLE order_items (
		id {{pk}},
		order_id BIGINT NOT NULL REFERENCES orders(id),
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		product_id BIGINT REFERENCES products(id),
		retailer_id TEXT NOT NULL DEFAULT '',
		name TEXT NOT NULL,
		quantity INTEGER NOT NULL,
		unit_price_minor BIGINT NOT NULL
	);
	CREATE INDEX order_items_order ON order_items(order_id);
	CREATE TABLE order_events (
		id {{pk}},
		order_id BIGINT NOT NULL REFERENCES orders(id),
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		from_status TEXT NOT NULL DEFAULT '',
		to_status TEXT NOT NULL,
		actor TEXT NOT NULL DEFAULT '',
		created_at {{ts}} NOT NULL
	);
	CREATE INDEX order_events_order ON order_events(order_id);`,

	// 3: merchants' accounts, sessions and API tokens.
	`CREATE TABLE users (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		email TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL,
		role TEXT NOT NULL DEFAULT 'staff',
		created_at {{ts}} NOT NULL,
		last_login_at {{ts}}
	);
	CREATE TABLE sessions (
		id TEXT PRIMARY KEY,
		user_id BIGINT NOT NULL REFERENCES users(id),
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		csrf_token TEXT NOT NULL,
		expires_at {{ts}} NOT NULL,
		created_at {{ts}} NOT NULL
	);
	CREATE TABLE api_tokens (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		name TEXT NOT NULL DEFAULT '',
		token_hash TEXT NOT NULL UNIQUE,
		prefix TEXT NOT NULL,
		created_at {{ts}} NOT NULL,
		last_used_at {{ts}},
		revoked_at {{ts}}
	);`,

	// 4: the outbox reads only unsent rows when it claims (due messages in id order; a chat's older unsent
	// messages), and finds messages Meta failed for the 24-hour window (131047) to resend them as a template.
	`DROP INDEX outbound_messages_queued;
	CREATE INDEX outbound_messages_unsent ON outbound_messages(id) WHERE status IN ('queued', 'held');
	CREATE INDEX outbound_messages_unsent_chat ON outbound_messages(phone_number_id, customer_id, id)
		WHERE status IN ('queued', 'held');
	CREATE INDEX outbound_messages_window_failed ON outbound_messages(id) WHERE status = 'failed' AND error_code = 131047;`,

	// 5: onboarding: a number's health and limits, resumable connect attempts, message templates, account events
	// applied once, team invites and password resets.
	`ALTER TABLE phone_numbers ADD COLUMN verified_name TEXT NOT NULL DEFAULT '';
	ALTER TABLE phone_numbers ADD COLUMN quality_rating TEXT NOT NULL DEFAULT '';
	ALTER TABLE phone_numbers ADD COLUMN messaging_limit TEXT NOT NULL DEFAULT '';
	ALTER TABLE phone_numbers ADD COLUMN health_note TEXT NOT NULL DEFAULT '';
	ALTER TABLE phone_numbers ADD COLUMN token_expires_at {{ts}};
	ALTER TABLE phone_numbers ADD COLUMN token_checked_at {{ts}};
	ALTER TABLE businesses ADD COLUMN template_params TEXT NOT NULL DEFAULT '';
	ALTER TABLE webhook_events ADD COLUMN applied_at {{ts}};
	CREATE INDEX webhook_events_unapplied ON webhook_events(id) WHERE applied_at IS NULL AND kind = 'event';
	CREATE TABLE connect_attempts (
		id {{pk}},
		business_id BIGINT NOT NULL UNIQUE REFERENCES businesses(id),
		method TEXT NOT NULL,
		step TEXT NOT NULL,
		phone_number_id TEXT NOT NULL DEFAULT '',
		waba_id TEXT NOT NULL DEFAULT '',
		access_token_enc TEXT NOT NULL DEFAULT '',
		pin_enc TEXT NOT NULL DEFAULT '',
		pin_generated BOOLEAN NOT NULL DEFAULT FALSE,
		token_expires_at {{ts}},
		last_error TEXT NOT NULL DEFAULT '',
		created_at {{ts}} NOT NULL,
		updated_at {{ts}} NOT NULL
	);
	CREATE TABLE message_templates (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		meta_id TEXT NOT NULL DEFAULT '',
		name TEXT NOT NULL,
		language TEXT NOT NULL,
		category TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL DEFAULT '',
		reason TEXT NOT NULL DEFAULT '',
		body TEXT NOT NULL DEFAULT '',
		param_count INTEGER NOT NULL DEFAULT 0,
		updated_at {{ts}} NOT NULL,
		UNIQUE (business_id, name, language)
	);
	CREATE TABLE invites (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		token_hash TEXT NOT NULL UNIQUE,
		role TEXT NOT NULL,
		note TEXT NOT NULL DEFAULT '',
		expires_at {{ts}} NOT NULL,
		used_at {{ts}},
		created_at {{ts}} NOT NULL
	);
	CREATE TABLE password_resets (
		id {{pk}},
		user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		token_hash TEXT NOT NULL UNIQUE,
		expires_at {{ts}} NOT NULL,
		used_at {{ts}},
		created_at {{ts}} NOT NULL
	);`,

	// 6: the outbox's claim walks queued rows in due order and stops at its limit (claimed rows are due again only
	// when their lease ends, so it never walks rows in flight); held rows are looked at on their own index.
	`DROP INDEX outbound_messages_unsent;
	CREATE INDEX outbound_messages_due ON outbound_messages(next_attempt_at, id) WHERE status = 'queued';
	CREATE INDEX outbound_messages_held ON outbound_messages(id) WHERE status = 'held';`,

	// The dashboard's list of messages that need the merchant: replies failed or held, messages the bot gave up on.
	`CREATE INDEX outbound_messages_attention ON outbound_messages(business_id, id) WHERE status IN ('failed', 'held');
	CREATE INDEX inbound_messages_failed ON inbound_messages(business_id, id) WHERE process_error <> '' AND processed_at IS NOT NULL;`,

	// 8: sessions end after an idle time (last_seen_at), a user's sessions can all be ended at once, and the
	// database remembers whether it serves production, so sandbox mode never starts on it.
	`ALTER TABLE sessions ADD COLUMN last_seen_at {{ts}};
	UPDATE sessions SET last_seen_at = created_at;
	CREATE INDEX sessions_user ON sessions(user_id);
	CREATE TABLE instance_settings (
		name TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);`,

	// 9: the merchant's day: delivery fees, ready times and cancel reasons on orders; the business's language;
	// conversations a person took over or that need one, what the merchant has read, the customer's language.
	`ALTER TABLE businesses ADD COLUMN delivery_fee_minor BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE businesses ADD COLUMN free_delivery_over_minor BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE businesses ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
	ALTER TABLE orders ADD COLUMN delivery_fee_minor BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE orders ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
	ALTER TABLE orders ADD COLUMN ready_at {{ts}};
	ALTER TABLE conversations ADD COLUMN taken_over_at {{ts}};
	ALTER TABLE conversations ADD COLUMN taken_over_by BIGINT;
	ALTER TABLE conversations ADD COLUMN needs_human TEXT NOT NULL DEFAULT '';
	ALTER TABLE conversations ADD COLUMN read_at {{ts}};
	ALTER TABLE conversations ADD COLUMN language TEXT NOT NULL DEFAULT '';
	CREATE INDEX conversations_recent ON conversations(business_id, last_message_at);`,

	// 10: one customer per person and business, found by phone number or by business-scoped user id (BSUID).
	// wa_id stays the row's contact key (phone when known, else the BSUID); phone and user_id are each unique per
	// business where set. Rows an earlier version split (one keyed by the phone, one by the BSUID of the same user)
	// are merged into the oldest: its conversation (the newest of the two), orders, messages and outbound rows.
	// A business may require a contact number for deliveries, which customers without a known phone then give.
	`ALTER TABLE customers ADD COLUMN phone TEXT NOT NULL DEFAULT '';
	ALTER TABLE customers ADD COLUMN parent_user_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE customers ADD COLUMN username TEXT NOT NULL DEFAULT '';
	UPDATE customers SET phone = wa_id WHERE wa_id NOT LIKE '%.%';
	UPDATE customers SET user_id = wa_id WHERE user_id = '' AND wa_id LIKE '%.%';
	CREATE TABLE customer_merges (victim BIGINT PRIMARY KEY, survivor BIGINT NOT NULL);
	INSERT INTO customer_merges (victim, survivor)
		SELECT c.id, (SELECT MIN(s.id) FROM customers s WHERE s.business_id = c.business_id AND s.user_id = c.user_id)
		FROM customers c WHERE c.user_id <> '' AND EXISTS (SELECT 1 FROM customers s
			WHERE s.business_id = c.business_id AND s.user_id = c.user_id AND s.id < c.id);
	UPDATE customers SET
		phone = CASE WHEN phone <> '' THEN phone ELSE COALESCE((SELECT MAX(v.phone) FROM customers v
			JOIN customer_merges m ON m.victim = v.id WHERE m.survivor = customers.id), '') END,
		name = CASE WHEN name <> '' THEN name ELSE COALESCE((SELECT MAX(v.name) FROM customers v
			JOIN customer_merges m ON m.victim = v.id WHERE m.survivor = customers.id), '') END,
		last_inbound_at = (SELECT MAX(g.last_inbound_at) FROM customers g
			WHERE g.business_id = customers.business_id AND g.user_id = customers.user_id)
		WHERE id IN (SELECT survivor FROM customer_merges);
	DELETE FROM conversations WHERE customer_id IN (SELECT victim FROM customer_merges UNION SELECT survivor FROM customer_merges)
		AND EXISTS (SELECT 1 FROM conversations o WHERE o.business_id = conversations.business_id
			AND COALESCE((SELECT m.survivor FROM customer_merges m WHERE m.victim = o.customer_id), o.customer_id) =
				COALESCE((SELECT m.survivor FROM customer_merges m WHERE m.victim = conversations.customer_id), conversations.customer_id)
			AND (o.last_message_at > conversations.last_message_at
				OR (o.last_message_at = conversations.last_message_at AND o.id > conversations.id)));
	UPDATE conversations SET customer_id = (SELECT m.survivor FROM customer_merges m WHERE m.victim = conversations.customer_id)
		WHERE customer_id IN (SELECT victim FROM customer_merges);
	UPDATE orders SET customer_id = (SELECT m.survivor FROM customer_merges m WHERE m.victim = orders.customer_id)
		WHERE customer_id IN (SELECT victim FROM customer_merges);
	UPDATE inbound_messages SET customer_id = (SELECT m.survivor FROM customer_merges m WHERE m.victim = inbound_messages.customer_id)
		WHERE customer_id IN (SELECT victim FROM customer_merges);
	UPDATE outbound_messages SET customer_id = (SELECT m.survivor FROM customer_merges m WHERE m.victim = outbound_messages.customer_id)
		WHERE customer_id IN (SELECT victim FROM customer_merges);
	DELETE FROM customers WHERE id IN (SELECT victim FROM customer_merges);
	DROP TABLE customer_merges;
	UPDATE customers SET wa_id = CASE WHEN phone <> '' THEN phone ELSE user_id END
		WHERE wa_id <> CASE WHEN phone <> '' THEN phone ELSE user_id END;
	CREATE UNIQUE INDEX customers_phone ON customers(business_id, phone) WHERE phone <> '';
	CREATE UNIQUE INDEX customers_user_id ON customers(business_id, user_id) WHERE user_id <> '';
	ALTER TABLE businesses ADD COLUMN require_contact_phone BOOLEAN NOT NULL DEFAULT FALSE;
	ALTER TABLE orders ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';`,

	// 11: retention finds old statuses and raw events by age, and finished outbound rows whose payload it has not
	// compacted yet (the partial index shrinks as it works).
	`CREATE INDEX message_statuses_received ON message_statuses(received_at);
	CREATE INDEX webhook_events_received ON webhook_events(received_at);
	CREATE INDEX outbound_messages_compactable ON outbound_messages(updated_at)
		WHERE payload <> '' AND status IN ('sent', 'delivered', 'read', 'failed');`,
	// 12: the id of the request that caused a row (the webhook that delivered a message, the one whose message a
	// reply answers), so one id leads from the webhook's log line to the send's.
	`ALTER TABLE inbound_messages ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE outbound_messages ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE webhook_events ADD COLUMN request_id TEXT NOT NULL DEFAULT '';`,

	// 13: live inboxes follow a business's order status changes by time.
	`CREATE INDEX order_events_business_time ON order_events(business_id, created_at);`,

	// 14: media: what customers sent (pictures, voice notes, documents), fetched from the Graph API after the
	// message is stored, one row per message, with where the file is kept or why it is not; products' pictures.
	`CREATE TABLE inbound_media (
		id {{pk}},
		business_id BIGINT NOT NULL REFERENCES businesses(id),
		inbound_message_id BIGINT NOT NULL UNIQUE REFERENCES inbound_messages(id),
		phone_number_id BIGINT NOT NULL REFERENCES phone_numbers(id),
		kind TEXT NOT NULL,
		media_id TEXT NOT NULL,
		mime_type TEXT NOT NULL DEFAULT '',
		filename TEXT NOT NULL DEFAULT '',
		size_bytes BIGINT NOT NULL DEFAULT 0,
		storage_key TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL DEFAULT 'pending',
		reason TEXT NOT NULL DEFAULT '',
		attempts INTEGER NOT NULL DEFAULT 0,
		next_attempt_at {{ts}} NOT NULL,
		claim_until {{ts}},
		created_at {{ts}} NOT NULL,
		updated_at {{ts}} NOT NULL
	);
	CREATE INDEX inbound_media_business ON inbound_media(business_id, id);
	CREATE INDEX inbound_media_pending ON inbound_media(next_attempt_at) WHERE status = 'pending';
	ALTER TABLE products ADD COLUMN image_key TEXT NOT NULL DEFAULT '';
	ALTER TABLE products ADD COLUMN image_type TEXT NOT NULL DEFAULT '';
	CREATE INDEX products_image_key ON products(image_key) WHERE image_key <> '';`,

	// 15: an open thread follows its files as they arrive (or are refused, or expire), and retention finds the
	// old ones, by time.
	`CREATE INDEX inbound_media_business_updated ON inbound_media(business_id, updated_at);
	CREATE INDEX inbound_media_stored_created ON inbound_media(created_at) WHERE status IN ('stored', 'expiring');`,

	// 16: why a thread waits for a person is a code the dashboard words in the merchant's language (it was English).
	`UPDATE conversations SET needs_human = 'asked' WHERE needs_human = 'asked for a person';
	UPDATE conversations SET needs_human = 'bot_failed' WHERE needs_human IN ('the bot failed', 'bot failed');
	UPDATE conversations SET needs_human = 'not_understood' WHERE needs_human = 'the bot did not understand';`,

	// 17: when the merchant last retried a reply: HELD_MESSAGE_TTL counts from there, so a retried reply older than
	// the TTL is sent instead of expiring again at once; created_at keeps its place in the thread.
	`ALTER TABLE outbound_messages ADD COLUMN retried_at {{ts}};`,
}
