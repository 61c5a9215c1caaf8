package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// fakeSend is one send the fake Graph API accepted.
type fakeSend struct {
	To    string    `json:"to"`
	WAMID string    `json:"wamid"`
	Time  time.Time `json:"time"`
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
	Orders, OrdersTwice   int
	Conversations         int // conversations whose three messages were all acknowledged: one order each
	MissingOrders         int
	StatusAcked, StatusOK int
}

// check is the set checker: every acknowledged wamid stored; every stored message answered; each reply accepted
// by the Graph API once (more is a duplicate, counted); no order twice; acknowledged statuses stored.
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
	rows, err := conn.Query(ctx, `SELECT o.idempotency_key, COALESCE(o.wamid, ''), o.to_wa_id FROM outbound_messages o
		WHERE o.to_wa_id LIKE '199%'`)
	if err != nil {
		return nil, err
	}
	replies := map[string][]string{} // inbound wamid → wamids of its replies ("" when not sent)
	recorded := map[string]bool{}
	for rows.Next() {
		var key, wamid, to string
		if err := rows.Scan(&key, &wamid, &to); err != nil {
			return nil, err
		}
		in := strings.TrimPrefix(key, "fallback:")
		if strings.HasPrefix(key, "in:") {
			in = key[3:strings.LastIndex(key, ":")]
		}
		replies[in] = append(replies[in], wamid)
		recorded[wamid] = wamid != ""
	}
	if err := rows.Err(); err != nil {
		return nil, err
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
		for r.Next() {
			var w string
			if err := r.Scan(&w); err != nil {
				return nil, err
			}
			stored[w] = true
		}
		r.Close()
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
