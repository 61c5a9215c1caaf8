package repository

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
)

// dbTime is SQL for the database's clock plus d, and its arguments. Leases and due times are written and compared
// on that one clock, so instances whose clocks disagree can't take each other's leases. SQLite is embedded in one
// process, whose clock is the database's.
func (s *Store) dbTime(d time.Duration) (string, []any) {
	if s.postgres {
		if d == 0 {
			return "now()", nil
		}
		return "(now() + make_interval(secs => ?))", []any{d.Seconds()}
	}
	return "?", []any{now().Add(d)}
}

// outboundBlockedSQL is true when an older message of m's chat must go first: one queued (due or not, claimed or
// not), or one held whose customer has written since it was held.
const outboundBlockedSQL = `EXISTS (SELECT 1 FROM outbound_messages o WHERE o.phone_number_id = m.phone_number_id
	AND o.customer_id = m.customer_id AND o.id < m.id AND o.status IN ('queued', 'held')
	AND (o.status = 'queued' OR (SELECT c.last_inbound_at FROM customers c WHERE c.id = o.customer_id) > o.next_attempt_at))`

// ClaimOutbound leases up to limit due messages to owner for lease (on the database's clock), oldest due first. It
// is the queue's only entrance, for every business, and keeps three rules across any number of instances:
//
//   - One chat at a time: only the oldest unsent message of each (phone number, customer) is eligible, so a
//     customer's messages go out one by one, in order. A message waiting for a retry still blocks the ones after it.
//   - Held messages (outside the 24-hour window, no template) come back by themselves: a held row is eligible again
//     once the customer has written after it was held (customers.last_inbound_at > its next_attempt_at, which holds
//     the customer's last inbound time when it was held), and then it blocks newer messages like a queued one.
//     A held message the customer has not answered does not block: a template queued after it can still go.
//   - Numbers that are not connected (token expired, disconnected) are skipped; their messages wait, queued, and go
//     as soon as the number is connected again.
//
// Two workers never hold the same row: the lease is taken by a conditional update (with SKIP LOCKED on PostgreSQL,
// the write lock on SQLite). A claimed row's next_attempt_at moves to the end of its lease, so the pick, a walk
// of the due-time index of queued rows, never passes over rows in flight; held rows are walked on their own index.
// Each pick is a materialized CTE, evaluated once: written "id IN (SELECT … LIMIT n SKIP LOCKED)", PostgreSQL may
// run the subquery again and, skipping the rows it just locked, claim more than n.
func (s *Store) ClaimOutbound(ctx context.Context, limit int, lease time.Duration, owner string) ([]models.OutboundMessage, error) {
	var out []models.OutboundMessage
	err := s.freshPlans(ctx, func(tx *Store) error {
		q, args, err := tx.claimOutboundSQL(ctx, limit, lease, owner)
		if err != nil {
			return err
		}
		if err := tx.db.WithContext(ctx).Raw(q, args...).Find(&out).Error; err != nil {
			return fmt.Errorf("claim outbound messages: %w", err)
		}
		return nil
	}, claimPlanner...)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b models.OutboundMessage) int { return int(a.ID - b.ID) })
	return out, nil
}

// claimPlanner keeps the outbound claim on its walk of the due index whatever the statistics say. Until a queue
// that grew from nothing is analyzed, the planner believes it holds a handful of rows, and reads every due row,
// checks each one's chat and sorts them all to take the first few: at 10,000 queued that was 6-10 ms a claim and
// half of PostgreSQL's time in the outbox benchmark (and it grows with the queue). With sorts ruled out, the only
// plan left for ORDER BY … LIMIT is the index walk, which stops at the limit; with scans of whole tables and hash
// or merge joins ruled out too, each candidate's chat is checked through the unsent-chat index. The union of the
// two picks still sorts (a handful of rows; nothing else can order it), and that sort's penalty makes the
// statement look costly enough to be compiled (JIT: ~390 ms a claim), so JIT is off for it.
//
// With no other plan left to choose, the claim is planned once per connection (a generic plan, made again when
// an ANALYZE changes the statistics) instead of at every execution: planning it afresh was 1.1 ms of each claim,
// half of all PostgreSQL's planning and 8 % of its time in the benchmark's drain. A test checks the generic plan
// made on an empty queue with 20,000 queued.
var claimPlanner = [][2]string{{"enable_sort", "off"}, {"jit", "off"}, {"enable_seqscan", "off"},
	{"enable_bitmapscan", "off"}, {"enable_hashjoin", "off"}, {"enable_mergejoin", "off"},
	{"plan_cache_mode", "force_generic_plan"}}

// claimOutboundSQL builds the claim. The numbers that may not send are read first and named in it as values: as a
// join or a subquery, the planner guesses how many rows they rule out and may leave the due index for a scan and a
// sort of every queued row; with values it knows, and keeps the walk that stops at the limit. A number
// disconnected between the two statements is caught by the worker, which puts its message back.
func (s *Store) claimOutboundSQL(ctx context.Context, limit int, lease time.Duration, owner string) (string, []any, error) {
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var paused []int64
	if err := s.db.WithContext(ctx).Raw("SELECT id FROM phone_numbers WHERE status <> 'connected'").Find(&paused).Error; err != nil {
		return "", nil, fmt.Errorf("claim outbound messages: list paused numbers: %w", err)
	}
	connected := "TRUE"
	if len(paused) > 0 {
		connected = "m.phone_number_id NOT IN ?"
	}
	nowSQL, nowArgs := s.dbTime(0)
	untilSQL, untilArgs := s.dbTime(lease)
	var args []any
	add := func(a ...any) { args = append(args, a...) }
	add(nowArgs...)
	add(nowArgs...)
	if len(paused) > 0 {
		add(paused)
	}
	add(limit)
	if len(paused) > 0 {
		add(paused)
	}
	add(limit)
	add(limit)
	add(untilArgs...)
	add(untilArgs...)
	add(owner)
	add(nowArgs...)
	return `WITH due AS MATERIALIZED (
			SELECT m.id, m.next_attempt_at AS at FROM outbound_messages m
			WHERE m.status = 'queued' AND m.next_attempt_at <= ` + nowSQL + `
			AND (m.claim_until IS NULL OR m.claim_until < ` + nowSQL + `)
			AND ` + connected + ` AND NOT ` + outboundBlockedSQL + `
			ORDER BY m.next_attempt_at, m.id LIMIT ?` + lock + `),
		released AS MATERIALIZED (
			SELECT m.id, m.next_attempt_at AS at FROM outbound_messages m
			WHERE m.status = 'held' AND (SELECT c.last_inbound_at FROM customers c WHERE c.id = m.customer_id) > m.next_attempt_at
			AND ` + connected + ` AND NOT ` + outboundBlockedSQL + `
			ORDER BY m.id LIMIT ?` + lock + `),
		picked AS MATERIALIZED (
			SELECT id FROM (SELECT id, at FROM due UNION ALL SELECT id, at FROM released) b ORDER BY at, id LIMIT ?)
		UPDATE outbound_messages SET claim_until = ` + untilSQL + `, next_attempt_at = ` + untilSQL + `, claimed_by = ?,
			status = 'queued', error_code = CASE WHEN status = 'held' THEN 0 ELSE error_code END
		WHERE id IN (SELECT id FROM picked) AND status IN ('queued', 'held') AND (claim_until IS NULL OR claim_until < ` + nowSQL + `)
		RETURNING *`, args, nil
}

// settle writes the outcome of a claimed message, only while m is still queued and claimed by the same owner, and
// releases the claim. m.Attempts is written as is: the worker counts the sends it makes.
func (s *Store) settle(ctx context.Context, m models.OutboundMessage, what, set string, args ...any) error {
	args = append(args, m.Attempts, now(), m.BusinessID, m.ID, m.ClaimedBy)
	res := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET `+set+`, attempts = ?, claim_until = NULL, updated_at = ?
		WHERE business_id = ? AND id = ? AND status = 'queued' AND claimed_by = ?`, args...)
	if res.Error != nil {
		return fmt.Errorf("%s outbound %d: %w", what, m.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%s outbound %d: %w", what, m.ID, models.ErrLeaseLost)
	}
	return nil
}

// paceChats moves the queued, unclaimed messages of the chats of sent (but those in lost) to be due no sooner than
// gap from now, on the database's clock: one statement per phone number (a batch rarely spans more than one). Each
// names its number and its customers and repeats the unsent-chat index's own predicate, so both databases find the
// rows through that index (SQLite uses it for neither a row-value IN list nor an OR across numbers, nor infers the
// partial index from status = 'queued' alone; without it every record scanned the queue).
func (s *Store) paceChats(ctx context.Context, sent []SentMessage, lost []int64, gap time.Duration) error {
	byPhone := map[int64][]int64{}
	var phones []int64
	for _, x := range sent {
		p, c := x.Message.PhoneNumberID, x.Message.CustomerID
		if slices.Contains(lost, x.Message.ID) || slices.Contains(byPhone[p], c) {
			continue
		}
		if byPhone[p] == nil {
			phones = append(phones, p)
		}
		byPhone[p] = append(byPhone[p], c)
	}
	atSQL, atArgs := s.dbTime(gap)
	nowSQL, nowArgs := s.dbTime(0)
	for _, p := range phones {
		var args []any
		args = append(args, atArgs...)
		args = append(args, p, byPhone[p])
		args = append(args, nowArgs...)
		args = append(args, atArgs...)
		err := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET next_attempt_at = `+atSQL+`
			WHERE status IN ('queued', 'held') AND status = 'queued' AND phone_number_id = ? AND customer_id IN ?
			AND (claim_until IS NULL OR claim_until < `+nowSQL+`) AND next_attempt_at < `+atSQL, args...).Error
		if err != nil {
			return fmt.Errorf("pace the next messages of %d chats of number %d: %w", len(byPhone[p]), p, err)
		}
	}
	return nil
}

// SentMessage is a claimed message Meta accepted, with the wamid it gave.
type SentMessage struct {
	Message models.OutboundMessage
	Wamid   string
}

// MarkOutboundSent records Meta's wamid for a sent message, then applies any status webhook that arrived for that
// wamid before we knew it, in one transaction. The send happened, so it is recorded whoever holds the lease now;
// models.ErrLeaseLost means the row was already recorded as sent: the message went out twice.
func (s *Store) MarkOutboundSent(ctx context.Context, m models.OutboundMessage, wamid string) error {
	lost, err := s.MarkOutboundSentBatch(ctx, []SentMessage{{m, wamid}})
	if err != nil {
		return err
	}
	if len(lost) > 0 {
		return fmt.Errorf("mark outbound %d sent as %s: %w", m.ID, wamid, models.ErrLeaseLost)
	}
	return nil
}

// MarkOutboundSentBatch is MarkOutboundSent for many messages in one transaction of four statements (and one more per number when paced), whatever
// their number: a lock on the wamids (see lockWamids), one update, one read of early statuses, and the statuses
// applied. It returns the ids that were already recorded as sent (each one a message that went out twice); an error
// means none was recorded.
func (s *Store) MarkOutboundSentBatch(ctx context.Context, sent []SentMessage) (lost []int64, err error) {
	return s.MarkOutboundSentPaced(ctx, sent, 0)
}

// MarkOutboundSentPaced is MarkOutboundSentBatch that also makes the next queued message of each chat due no sooner
// than gap from now (the shortest gap between two messages to one recipient), in the same transaction. The claim
// walks due messages in due order, so it then takes other chats' messages instead of one a worker would have to
// wait for, or put off with a write of its own.
func (s *Store) MarkOutboundSentPaced(ctx context.Context, sent []SentMessage, gap time.Duration) (lost []int64, err error) {
	if len(sent) == 0 {
		return nil, nil
	}
	err = s.Tx(ctx, func(tx *Store) error {
		lost = lost[:0]
		t := now()
		var wamidCase, attemptsCase, bizCase strings.Builder
		var wamidArgs, attemptsArgs, bizArgs []any
		ids := make([]int64, len(sent))
		byWamid := make(map[string]models.OutboundMessage, len(sent))
		for i, x := range sent {
			id := x.Message.ID
			ids[i] = id
			byWamid[x.Wamid] = x.Message
			wamidCase.WriteString(" WHEN ? THEN ?")
			wamidArgs = append(wamidArgs, id, x.Wamid)
			attemptsCase.WriteString(" WHEN ? THEN CAST(? AS INTEGER)")
			attemptsArgs = append(attemptsArgs, id, x.Message.Attempts)
			bizCase.WriteString(" WHEN ? THEN CAST(? AS BIGINT)")
			bizArgs = append(bizArgs, id, x.Message.BusinessID)
		}
		all := make([]string, len(sent))
		for i, x := range sent {
			all[i] = x.Wamid
		}
		if err := tx.lockWamids(ctx, all); err != nil {
			return err
		}
		var args []any
		args = append(args, wamidArgs...)
		args = append(args, t)
		args = append(args, attemptsArgs...)
		args = append(args, t, ids)
		args = append(args, bizArgs...)
		var updated []int64
		err := tx.db.WithContext(ctx).Raw(`UPDATE outbound_messages SET status = 'sent', wamid = CASE id`+wamidCase.String()+` END,
			sent_at = ?, attempts = CASE id`+attemptsCase.String()+` END, claim_until = NULL, last_error = '', error_code = 0,
			updated_at = ? WHERE id IN ? AND business_id = CASE id`+bizCase.String()+` END AND status = 'queued' RETURNING id`,
			args...).Find(&updated).Error
		if err != nil {
			return fmt.Errorf("mark %d outbound messages sent: %w", len(sent), err)
		}
		if len(updated) < len(sent) {
			for _, id := range ids {
				if !slices.Contains(updated, id) {
					lost = append(lost, id)
				}
			}
		}
		wamids := make([]string, 0, len(sent))
		for _, x := range sent {
			if !slices.Contains(lost, x.Message.ID) {
				wamids = append(wamids, x.Wamid)
			}
		}
		if len(wamids) == 0 {
			return nil
		}
		if gap > 0 {
			if err := tx.paceChats(ctx, sent, lost, gap); err != nil {
				return err
			}
		}
		var early []models.MessageStatus
		if err := tx.db.WithContext(ctx).Where("wamid IN ?", wamids).Order("id").Find(&early).Error; err != nil {
			return fmt.Errorf("load early statuses of %d sent messages: %w", len(wamids), err)
		}
		for _, st := range early {
			if byWamid[st.Wamid].BusinessID != st.BusinessID {
				continue // another tenant's status for a wamid that happens to match: not ours to apply
			}
			if err := tx.applyStatus(ctx, st); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return lost, nil
}

// RequeueOutbound gives a claimed message back to the queue, due after the delay (on the database's clock): a retry
// (the worker counted the attempt in m.Attempts) or a deferral (it did not).
func (s *Store) RequeueOutbound(ctx context.Context, m models.OutboundMessage, after time.Duration, code int, reason string) error {
	due, dueArgs := s.dbTime(max(after, 0))
	return s.settle(ctx, m, "requeue", "next_attempt_at = "+due+", error_code = ?, last_error = ?",
		append(dueArgs, code, clip(reason))...)
}

// FailOutbound gives up on a claimed message, keeping the reason.
func (s *Store) FailOutbound(ctx context.Context, m models.OutboundMessage, code int, reason string) error {
	return s.settle(ctx, m, "fail", "status = 'failed', failed_at = ?, error_code = ?, last_error = ?", now(), code, clip(reason))
}

// HoldOutbound keeps a claimed message unsent until the customer writes after lastInbound (their last inbound
// time as the worker saw it; zero if they never wrote): ClaimOutbound then releases it on its own.
func (s *Store) HoldOutbound(ctx context.Context, m models.OutboundMessage, lastInbound time.Time, code int, reason string) error {
	if lastInbound.IsZero() {
		lastInbound = time.Unix(0, 0)
	}
	return s.settle(ctx, m, "hold", "status = 'held', next_attempt_at = ?, error_code = ?, last_error = ?",
		lastInbound.UTC(), code, clip(reason))
}

// ReplaceOutboundPayload swaps what a claimed message will send (a template in place of free text outside the
// window); the claim stays.
func (s *Store) ReplaceOutboundPayload(ctx context.Context, m models.OutboundMessage, kind, payload string) error {
	res := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET kind = ?, payload = ?, updated_at = ?
		WHERE business_id = ? AND id = ? AND status = 'queued' AND claimed_by = ?`, kind, payload, now(), m.BusinessID, m.ID, m.ClaimedBy)
	if res.Error != nil {
		return fmt.Errorf("replace payload of outbound %d: %w", m.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("replace payload of outbound %d: %w", m.ID, models.ErrLeaseLost)
	}
	return nil
}

// SendContext is what a batch of claimed messages needs to be sent: their numbers and customers, read in two
// statements instead of two per message.
type SendContext struct {
	Phones    map[int64]models.PhoneNumber
	Customers map[int64]models.Customer
}

// LoadSendContext reads the phone numbers and customers of claimed messages. A row whose business does not match
// the message's is left out.
func (s *Store) LoadSendContext(ctx context.Context, ms []models.OutboundMessage) (SendContext, error) {
	sc := SendContext{Phones: map[int64]models.PhoneNumber{}, Customers: map[int64]models.Customer{}}
	if len(ms) == 0 {
		return sc, nil
	}
	var phoneIDs, custIDs []int64
	biz := map[int64]bool{}
	for _, m := range ms {
		phoneIDs = append(phoneIDs, m.PhoneNumberID)
		custIDs = append(custIDs, m.CustomerID)
		biz[m.BusinessID] = true
	}
	var phones []models.PhoneNumber
	if err := s.db.WithContext(ctx).Where("id IN ?", phoneIDs).Find(&phones).Error; err != nil {
		return sc, fmt.Errorf("load phone numbers of %d claimed messages: %w", len(ms), err)
	}
	var custs []models.Customer
	if err := s.db.WithContext(ctx).Where("id IN ?", custIDs).Find(&custs).Error; err != nil {
		return sc, fmt.Errorf("load customers of %d claimed messages: %w", len(ms), err)
	}
	for _, p := range phones {
		if biz[p.BusinessID] {
			sc.Phones[p.ID] = p
		}
	}
	for _, c := range custs {
		if biz[c.BusinessID] {
			sc.Customers[c.ID] = c
		}
	}
	return sc, nil
}
