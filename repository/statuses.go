package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/waorder/waorder/models"
)

// outboundRankSQL is models.OutboundStatus.Rank as a SQL expression over expr, built from models' order so a status
// update moves a message forward by the same rule in Go and in SQL.
func outboundRankSQL(expr string) string {
	var b strings.Builder
	b.WriteString("CASE " + expr)
	for _, st := range models.OutboundStatuses() {
		if r := st.Rank(); r > 0 {
			fmt.Fprintf(&b, " WHEN '%s' THEN %d", st, r)
		}
	}
	b.WriteString(" ELSE 0 END")
	return b.String()
}

func (s *Store) insertStatuses(ctx context.Context, ds []Delivery) error {
	type key struct{ wamid, status string }
	var rows []models.MessageStatus
	seen := map[key]bool{}
	for _, d := range ds {
		for _, st := range d.Statuses {
			if k := (key{st.Wamid, st.Status}); !seen[k] {
				seen[k] = true
				rows = append(rows, st)
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	wamids := make([]string, len(rows))
	for i, st := range rows {
		wamids[i] = st.Wamid
	}
	// Before the insert: a transaction waiting here holds no status row another one could be waiting for.
	if err := s.lockWamids(ctx, wamids); err != nil {
		return err
	}
	t := now()
	args := make([]any, 0, len(rows)*10)
	for _, st := range rows {
		args = append(args, st.BusinessID, st.Wamid, st.Status, st.Recipient, st.ErrorCode, st.ErrorTitle, st.ErrorDetail,
			st.Payload, st.StatusAt.UTC(), t)
	}
	q := `INSERT INTO message_statuses (business_id, wamid, status, recipient, error_code, error_title, error_detail,
		payload, status_at, received_at) VALUES ` + valueRows(len(rows), "(?,?,?,?,?,?,?,?,?,?)") +
		" ON CONFLICT (wamid, status) DO NOTHING RETURNING wamid, status"
	var got []struct{ Wamid, Status string }
	if err := s.db.WithContext(ctx).Raw(q, args...).Find(&got).Error; err != nil {
		return fmt.Errorf("insert %d statuses: %w", len(rows), err)
	}
	fresh := make(map[key]bool, len(got))
	for _, g := range got {
		fresh[key{g.Wamid, g.Status}] = true
	}
	// Statuses move outbound messages forward, one statement per business and status.
	groups := map[struct {
		biz    int64
		status string
	}][]models.MessageStatus{}
	for _, st := range rows {
		if !fresh[key{st.Wamid, st.Status}] {
			if err := s.keepStatusConflict(ctx, st); err != nil {
				return err
			}
			continue
		}
		g := struct {
			biz    int64
			status string
		}{st.BusinessID, st.Status}
		groups[g] = append(groups[g], st)
	}
	for g, sts := range groups {
		if g.status == "failed" {
			// Each failure keeps its own error code and reason.
			for _, st := range sts {
				if err := s.applyStatus(ctx, st); err != nil {
					return err
				}
			}
			continue
		}
		if err := s.applyStatuses(ctx, sts); err != nil {
			return err
		}
	}
	return nil
}

// wamidLockSpace is the first key of the advisory locks lockWamids takes, so they share no key with other locks.
const wamidLockSpace = 0x77616d // "wam"

// lockWamids serialises, until the transaction ends, the two writers that meet on a wamid: the outbox recording the
// wamid of a send (MarkOutboundSentBatch) and a status webhook for it (insertStatuses). Without it, on PostgreSQL's
// read committed, a status can commit in between: the send's read of early statuses does not see the status row
// yet, and the status's update does not see the wamid yet, so the status is stored and never applied. Keys are
// taken in ascending order, so two batches cannot deadlock on each other; a hash collision only serialises two
// unrelated wamids. SQLite runs one writer at a time and needs none.
func (s *Store) lockWamids(ctx context.Context, wamids []string) error {
	if !s.postgres || len(wamids) == 0 {
		return nil
	}
	keys := make([]int32, 0, len(wamids))
	for _, w := range wamids {
		h := fnv.New32a()
		h.Write([]byte(w))
		keys = append(keys, int32(h.Sum32()))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	// The keys go as one array literal; unnest WITH ORDINALITY yields them in the order given, so the locks are
	// taken in that order.
	lit := make([]string, len(keys))
	for i, k := range keys {
		lit[i] = strconv.Itoa(int(k))
	}
	err := s.db.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock(?, k) FROM unnest(CAST(? AS int[])) WITH ORDINALITY AS u(k, n) ORDER BY n",
		wamidLockSpace, "{"+strings.Join(lit, ",")+"}").Error
	if err != nil {
		return fmt.Errorf("lock %d wamids: %w", len(keys), err)
	}
	return nil
}

// keepStatusConflict keeps a status whose (wamid, status) was already stored with other content as a conflict event;
// a true redelivery is dropped.
func (s *Store) keepStatusConflict(ctx context.Context, st models.MessageStatus) error {
	var stored string
	err := s.db.WithContext(ctx).Raw("SELECT payload FROM message_statuses WHERE wamid = ? AND status = ?", st.Wamid, st.Status).
		Find(&stored).Error
	if err != nil {
		return fmt.Errorf("compare duplicate status: %w", err)
	}
	if stored == st.Payload {
		return nil
	}
	biz := st.BusinessID
	sum := sha256.Sum256([]byte(st.Payload))
	return s.insertEvents(ctx, []Delivery{{Events: []models.WebhookEvent{{BusinessID: &biz, Kind: models.EventKindConflict,
		Field: "messages", Reason: st.Status + " status of " + st.Wamid + " already stored with other content",
		Payload: st.Payload, Hash: "conflict:" + hex.EncodeToString(sum[:])}}}})
}

// applyStatus moves the outbound message with st's wamid forward to st's status. A status for a wamid we do not
// (yet) know stays in message_statuses; MarkOutboundSent applies it once the send records the wamid.
func (s *Store) applyStatus(ctx context.Context, st models.MessageStatus) error {
	return s.applyStatuses(ctx, []models.MessageStatus{st})
}

// applyStatuses applies statuses of one business and one status kind. Never backwards: a late "delivered" leaves a
// "read" message read, and only fills its empty delivered_at.
func (s *Store) applyStatuses(ctx context.Context, sts []models.MessageStatus) error {
	st := sts[0]
	col := map[string]string{"sent": "sent_at", "delivered": "delivered_at", "read": "read_at", "failed": "failed_at"}[st.Status]
	if col == "" {
		return nil // e.g. "played", "deleted": kept in message_statuses only
	}
	wamids := make([]string, len(sts))
	at := st.StatusAt
	for i, x := range sts {
		wamids[i] = x.Wamid
		if x.StatusAt.After(at) {
			at = x.StatusAt
		}
	}
	rank, newer := outboundRankSQL("status"), outboundRankSQL("?")
	var (
		q    string
		args []any
	)
	if st.Status == "failed" {
		q = "UPDATE outbound_messages SET status = ?, " + col + " = ?, updated_at = ?, error_code = ?, last_error = ? " +
			"WHERE business_id = ? AND wamid IN ? AND " + rank + " < " + newer
		args = []any{st.Status, at.UTC(), now(), st.ErrorCode, strings.TrimSpace(st.ErrorTitle + ": " + st.ErrorDetail),
			st.BusinessID, wamids, st.Status}
	} else {
		// Meta's statuses arrive out of order (and commit out of order across committers): a late "delivered" on a
		// "read" message keeps the status, but its time is still news, so an empty timestamp is filled. One statement
		// does both: status webhooks are most of the traffic.
		q = "UPDATE outbound_messages SET status = CASE WHEN " + rank + " < " + newer + " THEN ? ELSE status END, " +
			col + " = CASE WHEN " + rank + " < " + newer + " THEN ? ELSE COALESCE(" + col + ", ?) END, updated_at = ? " +
			"WHERE business_id = ? AND wamid IN ? AND (" + rank + " < " + newer + " OR (" + col + " IS NULL AND " +
			"status <> 'failed' AND " + rank + " > " + newer + "))"
		args = []any{st.Status, st.Status, st.Status, at.UTC(), at.UTC(), now(),
			st.BusinessID, wamids, st.Status, st.Status}
	}
	if err := s.db.WithContext(ctx).Exec(q, args...).Error; err != nil {
		return fmt.Errorf("apply %d %s statuses: %w", len(sts), st.Status, err)
	}
	return nil
}
