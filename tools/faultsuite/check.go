package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// fakeSend is one send the fake Graph API accepted.
type fakeSend struct {
	To    string          `json:"to"`
	WAMID string          `json:"wamid"`
	Time  time.Time       `json:"time"`
	Body  json.RawMessage `json:"body"`
}

// sameJSON is the key under which a send's body and a reply row's payload meet.
func sameJSON(to string, b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return to + "\x00" + string(b)
	}
	return to + "\x00" + buf.String()
}

func fakeSent(graphURL string) ([]fakeSend, error) {
	resp, err := http.Get(graphURL + "/_fault/sent")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out []fakeSend
	return out, json.Unmarshal(b, &out)
}

// tally is what the checker found for one phase (or all of them).
type tally struct {
	Phase                 string
	Requests              int64 // HTTP requests made during the phase (copies and retries included)
	Acked, Stored, Lost   int
	Unanswered            int // stored messages without a reply accepted by the Graph API
	Replies, Duplicates   int // replies accepted; accepted sends beyond one per reply row
	AnsweredTwice         int // stored messages answered by the bot and by the fallback too
	RepliedTwice          int // stored messages one of whose replies the Graph API accepted more than once
	Orders, OrdersTwice   int
	Conversations         int // conversations whose three messages were all acknowledged: one order each
	MissingOrders         int
	StatusAcked, StatusOK int
	Problems              []string // what the phase's own checks found (the panic's give-up and fallback)
}

// check is the set checker: every acknowledged wamid stored; every stored message answered exactly once (by the
// bot, or by the fallback after the bot gave up, never both); each reply accepted by the Graph API once (more is a
// duplicate, counted, per send and per message); no order twice; acknowledged statuses stored; the message that
// panics the bot given up with the reason, its fallback sent.
func check(ctx context.Context, dbURL, graphURL string, d *driver, phases []string, started map[string]time.Time) ([]tally, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("connect to check: %w", err)
	}
	defer conn.Close(context.Background())
	sends, err := fakeSent(graphURL)
	if err != nil {
		return nil, fmt.Errorf("read the fake Graph API's sends: %w", err)
	}
	acceptedByWamid := map[string]int{}
	for _, s := range sends {
		acceptedByWamid[s.WAMID]++
	}

	// Every reply row the bot (or a fallback) wrote for the suite's messages, keyed by the inbound wamid.
	rows, err := conn.Query(ctx, `SELECT o.idempotency_key, COALESCE(o.wamid, ''), o.to_wa_id, o.payload FROM outbound_messages o
		WHERE o.to_wa_id LIKE '199%'`)
	if err != nil {
		return nil, err
	}
	replies := map[string][]string{} // inbound wamid → wamids of its replies ("" when not sent)
	recorded := map[string]bool{}
	botAnswered, fellBack := map[string]bool{}, map[string]bool{} // inbound wamids with bot replies, with a fallback
	rowOf := map[string]string{}                                  // a reply's recipient and payload → its row's key
	inOf := map[string]string{}                                   // a reply row's key → its inbound wamid
	for rows.Next() {
		var key, wamid, to, payload string
		if err := rows.Scan(&key, &wamid, &to, &payload); err != nil {
			return nil, err
		}
		in := strings.TrimPrefix(key, "fallback:")
		if strings.HasPrefix(key, "in:") {
			in = key[3:strings.LastIndex(key, ":")]
			botAnswered[in] = true
		} else if strings.HasPrefix(key, "fallback:") {
			fellBack[in] = true
		}
		replies[in] = append(replies[in], wamid)
		recorded[wamid] = wamid != ""
		rowOf[sameJSON(to, []byte(payload))], inOf[key] = key, in
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Replies per message: an accepted send whose wamid no row recorded belongs to the row with its recipient and
	// body (the same reply sent again); a message one of whose rows went more than once was answered twice.
	repeated := map[string]bool{} // inbound wamids with a reply accepted more than once
	for _, s := range sends {
		if recorded[s.WAMID] || !strings.HasPrefix(s.To, "199") {
			continue
		}
		if key, ok := rowOf[sameJSON(s.To, s.Body)]; ok {
			repeated[inOf[key]] = true
		}
	}
	// Accepted sends whose wamid no row recorded: the row was sent again after this send went unrecorded. Each is
	// a duplicate, counted in the phase whose fault was under way when Meta accepted it.
	extraIn := map[string]int{}
	for _, s := range sends {
		if recorded[s.WAMID] || !strings.HasPrefix(s.To, "199") {
			continue
		}
		at := phases[0]
		for _, p := range phases {
			if !s.Time.Before(started[p]) {
				at = p
			}
		}
		extraIn[at]++
		extraIn[""]++
	}

	var out []tally
	for _, phase := range append(phases, "") {
		t := tally{Phase: phase, Requests: d.phaseRequests(phase)}
		if phase == "" {
			t.Phase = "total"
		}
		acked := d.ackedIn(phase)
		t.Acked = len(acked)
		stored := map[string]bool{}
		r, err := conn.Query(ctx, "SELECT wamid FROM inbound_messages WHERE wamid = ANY($1)", acked)
		if err != nil {
			return nil, err
		}
		found, err := pgx.CollectRows(r, pgx.RowTo[string])
		if err != nil {
			return nil, err
		}
		for _, w := range found {
			stored[w] = true
		}
		t.Stored, t.Lost = len(stored), len(acked)-len(stored)
		customers := map[string]int{}
		for _, w := range acked {
			parts := strings.Split(w, ".")
			customers[parts[2]]++
			if !stored[w] {
				continue
			}
			answered := false
			for _, rw := range replies[w] {
				if rw != "" && acceptedByWamid[rw] > 0 {
					answered = true
					t.Replies++
				}
			}
			if !answered {
				t.Unanswered++
			}
			if botAnswered[w] && fellBack[w] {
				t.AnsweredTwice++
			}
			if repeated[w] {
				t.RepliedTwice++
			}
		}
		if phase == "panic" {
			problems, err := checkGaveUp(ctx, conn, panicWamid, acceptedByWamid)
			if err != nil {
				return nil, err
			}
			t.Problems = problems
		}
		t.Duplicates += extraIn[phase]
		for _, n := range customers {
			if n == 3 {
				t.Conversations++
			}
		}
		prefix := phasePrefix(phase)
		if phase == "" {
			prefix = "199"
		}
		var orders []struct {
			wa string
			n  int
		}
		r, err = conn.Query(ctx, `SELECT c.wa_id, COUNT(*) FROM orders o JOIN customers c ON c.id = o.customer_id
			WHERE c.wa_id LIKE $1 GROUP BY c.wa_id`, prefix+"%")
		if err != nil {
			return nil, err
		}
		for r.Next() {
			var o struct {
				wa string
				n  int
			}
			if err := r.Scan(&o.wa, &o.n); err != nil {
				return nil, err
			}
			orders = append(orders, o)
		}
		r.Close()
		withOrder := map[string]bool{}
		for _, o := range orders {
			t.Orders += o.n
			if o.n > 1 {
				t.OrdersTwice++
			}
			withOrder[o.wa] = true
		}
		for c, n := range customers {
			if n == 3 && !withOrder[c] {
				t.MissingOrders++
			}
		}
		out = append(out, t)
	}
	// Statuses are not per phase: they follow replies, whenever those went out.
	d.mu.Lock()
	var keys []string
	for k := range d.statuses {
		keys = append(keys, k)
	}
	d.mu.Unlock()
	total := &out[len(out)-1]
	total.StatusAcked = len(keys)
	for _, k := range keys {
		wamid, status, _ := strings.Cut(k, "/")
		var n int
		if err := conn.QueryRow(ctx, "SELECT COUNT(*) FROM message_statuses WHERE wamid = $1 AND status = $2", wamid, status).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			total.StatusOK++
		}
	}
	return out, nil
}

// checkGaveUp checks the message that panics the bot: given up, with a reason that says it panicked, and its one
// fallback reply accepted by the Graph API.
func checkGaveUp(ctx context.Context, conn *pgx.Conn, wamid string, accepted map[string]int) ([]string, error) {
	var reason string
	var processed bool
	err := conn.QueryRow(ctx, "SELECT process_error, processed_at IS NOT NULL FROM inbound_messages WHERE wamid = $1", wamid).
		Scan(&reason, &processed)
	if errors.Is(err, pgx.ErrNoRows) {
		return []string{"the panicking message " + wamid + " is not stored"}, nil
	}
	if err != nil {
		return nil, err
	}
	var problems []string
	if !processed || !strings.Contains(reason, "gave up after") || !strings.Contains(reason, "panic") {
		problems = append(problems, fmt.Sprintf("the panicking message was not given up after a panic (settled %v, reason %q)", processed, reason))
	}
	r, err := conn.Query(ctx, "SELECT COALESCE(wamid, '') FROM outbound_messages WHERE idempotency_key = $1", "fallback:"+wamid)
	if err != nil {
		return nil, err
	}
	fallbacks, err := pgx.CollectRows(r, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	if len(fallbacks) != 1 || accepted[fallbacks[0]] == 0 {
		problems = append(problems, fmt.Sprintf("the panicking message's fallback: %d rows %q, want one accepted by the Graph API", len(fallbacks), fallbacks))
	}
	return problems, r.Err()
}

// drained reports whether every acknowledged message was handled and no reply waits in the queue.
func drained(ctx context.Context, dbURL string, d *driver) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return false, err.Error()
	}
	defer conn.Close(context.Background())
	var pending, queued int
	if err := conn.QueryRow(ctx, "SELECT COUNT(*) FROM inbound_messages WHERE wamid = ANY($1) AND processed_at IS NULL",
		d.ackedIn("")).Scan(&pending); err != nil {
		return false, err.Error()
	}
	if err := conn.QueryRow(ctx, "SELECT COUNT(*) FROM outbound_messages WHERE status IN ('queued', 'held')").Scan(&queued); err != nil {
		return false, err.Error()
	}
	return pending == 0 && queued == 0, fmt.Sprintf("%d messages not yet handled, %d replies queued", pending, queued)
}
