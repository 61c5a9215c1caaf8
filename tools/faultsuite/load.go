package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// driver sends signed webhooks the way Meta does: each delivery is retried until it is answered 200 (Meta retries
// non-200s for days; here until the run's deadline), and some are sent 5 times at once, spread over both instances.
type driver struct {
	secret, metaPhoneID string
	bases               func() []string // the instances' base URLs
	client              *http.Client
	requests            atomic.Int64 // HTTP requests made
	refused             atomic.Int64 // answered non-200 or not at all

	mu       sync.Mutex
	acked    map[string]string // wamid of an acknowledged customer message → the phase it belongs to
	statuses map[string]bool   // "wamid/status" of acknowledged status webhooks
	reqs     map[string]int64  // requests made per phase
}

func newDriver(secret, metaPhoneID string, bases func() []string) *driver {
	return &driver{secret: secret, metaPhoneID: metaPhoneID, bases: bases, client: &http.Client{Timeout: 20 * time.Second},
		acked: map[string]string{}, statuses: map[string]bool{}}
}

func (d *driver) sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(d.secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// post sends body once to base and reports whether it was answered 200.
func (d *driver) post(ctx context.Context, base string, body []byte) bool {
	d.requests.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhook", bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", d.sign(body))
	resp, err := d.client.Do(req)
	if err != nil {
		d.refused.Add(1)
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		d.refused.Add(1)
		return false
	}
	return true
}

// deliver sends body until one copy is answered 200 or ctx ends; with dup, 5 copies go at once each round, spread
// over the instances. It reports whether the body was acknowledged.
func (d *driver) deliver(ctx context.Context, body []byte, dup bool) bool {
	for wait := 100 * time.Millisecond; ctx.Err() == nil; wait = min(wait*2, 2*time.Second) {
		bases := d.bases()
		copies := 1
		if dup {
			copies = 5
		}
		var ok atomic.Bool
		var wg sync.WaitGroup
		first := rand.IntN(len(bases))
		for i := range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if d.post(ctx, bases[(first+i)%len(bases)], body) {
					ok.Store(true)
				}
			}()
		}
		wg.Wait()
		if ok.Load() {
			return true
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	return false
}

func (d *driver) message(ctx context.Context, phase, wamid, from, msgJSON string, dup bool) bool {
	body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"waba-fault","changes":[{"field":"messages",
"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000000","phone_number_id":"%s"},
"contacts":[{"profile":{"name":"Fault %s"},"wa_id":"%s"}],"messages":[{"from":"%s","id":"%s","timestamp":"%d",%s}]}}]}]}`,
		d.metaPhoneID, from, from, from, wamid, time.Now().Unix(), msgJSON)
	if !d.deliver(ctx, body, dup) {
		return false
	}
	d.mu.Lock()
	d.acked[wamid] = phase
	d.mu.Unlock()
	return true
}

func text(s string) string {
	b, _ := json.Marshal(s)
	return `"type":"text","text":{"body":` + string(b) + `}`
}

// cartJSON is a cart sent from the WhatsApp catalog: one item of the suite's product.
func cartJSON(retailerID string) string {
	return fmt.Sprintf(`"type":"order","order":{"catalog_id":"cat-fault","product_items":[{"product_retailer_id":%q,
"quantity":1,"item_price":5,"currency":"USD"}]}`, retailerID)
}

// conversation is one customer ordering: a catalog cart, "pickup", "confirm": one order, several replies. Every
// third message goes 5 times at once. It stops at the first message not acknowledged by ctx's end.
func (d *driver) conversation(ctx context.Context, phase, customer string, n *int64) {
	steps := []string{cartJSON(productRetailerID), text("pickup"), text("confirm")}
	for i, m := range steps {
		wamid := fmt.Sprintf("wamid.fault.%s.%d", customer, i)
		if !d.message(ctx, phase, wamid, customer, m, (atomic.AddInt64(n, 1))%3 == 0) {
			return
		}
	}
}

// status sends a delivered status for a wamid the fake Graph API accepted; to a random instance, sometimes twice.
func (d *driver) status(ctx context.Context, wamid, to string) {
	body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"waba-fault","changes":[{"field":"messages",
"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000000","phone_number_id":"%s"},
"statuses":[{"id":"%s","status":"delivered","timestamp":"%d","recipient_id":"%s"}]}}]}]}`, d.metaPhoneID, wamid, time.Now().Unix(), to)
	if d.deliver(ctx, body, rand.IntN(4) == 0) {
		d.mu.Lock()
		d.statuses[wamid+"/delivered"] = true
		d.mu.Unlock()
	}
}

// phaseLoad runs customers conversations concurrently, starting new ones until stop closes; customers are named
// after the phase so the checker can report per phase. It returns once every conversation has ended.
func (d *driver) phaseLoad(ctx context.Context, phase string, concurrency int, stop <-chan struct{}) int {
	var wg sync.WaitGroup
	var started atomic.Int64
	var n int64
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				started.Add(1)
				d.conversation(ctx, phase, fmt.Sprintf("%s%02d%03d", phasePrefix(phase), w, i), &n)
			}
		}()
	}
	wg.Wait()
	return int(started.Load())
}

func (d *driver) ackedIn(phase string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for w, p := range d.acked {
		if p == phase || phase == "" {
			out = append(out, w)
		}
	}
	return out
}

func (d *driver) setPhaseRequests(phase string, n int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.reqs == nil {
		d.reqs = map[string]int64{}
	}
	d.reqs[phase] = n
}

// phaseRequests is the requests made during phase, or in all when phase is "".
func (d *driver) phaseRequests(phase string) int64 {
	if phase == "" {
		return d.requests.Load()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reqs[phase]
}
