// Command loadgen sends signed WhatsApp webhook deliveries to a running service and reports latency percentiles
// and throughput. Open loop (-rate > 0: a fixed arrival rate, as Meta sends) or closed loop (-rate 0: -c workers
// sending back to back, for the most durable webhooks per second). It only targets the URL it is given; use
// loopback addresses.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	var (
		url      = flag.String("url", "http://127.0.0.1:3000/webhook", "webhook URL")
		secret   = flag.String("secret", "sandbox-app-secret", "app secret to sign with")
		phone    = flag.String("phone", "100000000000001", "phone_number_id to address")
		rate     = flag.Int("rate", 1000, "deliveries per second; 0 = closed loop")
		conc     = flag.Int("c", 64, "concurrent senders")
		duration = flag.Duration("d", 20*time.Second, "how long to send")
		dup      = flag.Int("dup", 1, "send each delivery this many times, concurrently")
		runID    = flag.String("run", fmt.Sprint(time.Now().UnixNano()), "unique run id (wamid prefix)")
		statuses = flag.Int("statuses", 0, "percent of deliveries that are status updates rather than customer messages")
	)
	flag.Parse()
	if err := run(*url, *secret, *phone, *rate, *conc, *duration, *dup, *statuses, *runID, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// body is delivery n: a status update when n falls in the mix percent of statuses, else a customer's text.
func body(runID, phone string, n, mix int) []byte {
	ts := time.Now().Unix()
	if n%100 < mix {
		// What Meta sends most: a status of a message the business sent (sent, delivered or read).
		return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":`+
			`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"%s"},`+
			`"statuses":[{"id":"wamid.out.%s.%d","status":"%s","timestamp":"%d","recipient_id":"1555%07d"}]},"field":"messages"}]}]}`,
			phone, runID, n/3, [3]string{"sent", "delivered", "read"}[n%3], ts, n%500)
	}
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":`+
		`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"%s"},`+
		`"contacts":[{"profile":{"name":"Load %d"},"wa_id":"1555%07d"}],"messages":[{"from":"1555%07d",`+
		`"id":"wamid.load.%s.%d","timestamp":"%d","text":{"body":"hi"},"type":"text"}]},"field":"messages"}]}]}`,
		phone, n%500, n%500, n%500, runID, n, ts)
}

func sign(b []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(b)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func run(url, secret, phone string, rate, conc int, d time.Duration, dup, mix int, runID string, out io.Writer) error {
	// fasthttp's client costs a fraction of net/http's CPU, which matters when the load and the service share cores.
	client := &fasthttp.Client{MaxConnsPerHost: conc * dup, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()

	jobs := make(chan int, conc)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		codes     = map[int]int{}
		errs      atomic.Int64
		firstErr  atomic.Value
		late      atomic.Int64
		wg        sync.WaitGroup
	)
	send := func(b []byte, sig string) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(url)
		req.Header.SetMethod(fasthttp.MethodPost)
		req.Header.SetContentType("application/json")
		req.Header.Set("X-Hub-Signature-256", sig)
		req.SetBodyRaw(b)
		start := time.Now()
		err := client.Do(req, resp)
		el := time.Since(start)
		if err != nil {
			errs.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
			return
		}
		mu.Lock()
		latencies = append(latencies, el)
		codes[resp.StatusCode()]++
		mu.Unlock()
	}
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				b := body(runID, phone, n, mix)
				sig := sign(b, secret)
				if dup <= 1 {
					send(b, sig)
					continue
				}
				var dw sync.WaitGroup
				for range dup {
					dw.Add(1)
					go func() { defer dw.Done(); send(b, sig) }()
				}
				dw.Wait()
			}
		}()
	}
	start := time.Now()
	n := 0
	if rate > 0 {
		interval := time.Second / time.Duration(rate)
		next := time.Now()
	open:
		for {
			select {
			case <-ctx.Done():
				break open
			default:
			}
			select {
			case jobs <- n:
				n++
			default:
				late.Add(1) // every sender busy: the arrival is counted, not queued
			}
			next = next.Add(interval)
			if wait := time.Until(next); wait > 0 {
				time.Sleep(wait)
			}
		}
	} else {
	closed:
		for {
			select {
			case <-ctx.Done():
				break closed
			case jobs <- n:
				n++
			}
		}
	}
	close(jobs)
	wg.Wait()
	el := time.Since(start)
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(float64(len(latencies))*p))]
	}
	ok := codes[200]
	fmt.Fprintf(out, "deliveries=%d requests=%d ok=%d codes=%v errors=%d dropped_arrivals=%d elapsed=%s\n",
		n, len(latencies), ok, codes, errs.Load(), late.Load(), el.Round(time.Millisecond))
	fmt.Fprintf(out, "throughput=%.0f ok/s p50=%s p90=%s p99=%s max=%s\n", float64(ok)/el.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond),
		pct(1).Round(10*time.Microsecond))
	if errs.Load() > 0 || ok != len(latencies) {
		return fmt.Errorf("%d transport errors (first: %v), %d non-200 answers", errs.Load(), firstErr.Load(), len(latencies)-ok)
	}
	return nil
}
