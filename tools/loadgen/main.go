// Command loadgen sends signed WhatsApp webhook deliveries to a running service and reports latency percentiles
// and throughput. Open loop (-rate > 0: a fixed arrival rate, as Meta sends) or closed loop (-rate 0: -c workers
// sending back to back, for the most durable webhooks per second). It only targets the URL it is given; use
// loopback addresses.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"hash/crc32"
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
		fresh    = flag.Bool("fresh", false, "every customer message comes from a new customer (else 500 customers take turns)")
		timeline = flag.String("timeline", "", "write a CSV of each second's answers and latency percentiles to this file")
	)
	flag.Parse()
	g := gen{runID: *runID, phone: *phone, mix: *statuses, fresh: *fresh}
	if err := run(*url, *secret, g, *rate, *conc, *duration, *dup, *timeline, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// gen makes the deliveries of one run.
type gen struct {
	runID, phone string
	mix          int  // percent of status updates
	fresh        bool // a new customer for every message
}

// body is delivery n: a status update when n falls in the mix percent of statuses, else a customer's text.
func (g gen) body(n int) []byte {
	ts := time.Now().Unix()
	if n%100 < g.mix {
		// What Meta sends most: a status of a message the business sent (sent, delivered or read).
		return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":`+
			`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"%s"},`+
			`"statuses":[{"id":"wamid.out.%s.%d","status":"%s","timestamp":"%d","recipient_id":"1555%07d"}]},"field":"messages"}]}]}`,
			g.phone, g.runID, n/3, [3]string{"sent", "delivered", "read"}[n%3], ts, n%500)
	}
	waID := fmt.Sprintf("1555%07d", n%500)
	if g.fresh {
		waID = fmt.Sprintf("1%04d%09d", crc32.ChecksumIEEE([]byte(g.runID))%10000, n)
	}
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":`+
		`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"%s"},`+
		`"contacts":[{"profile":{"name":"Load %d"},"wa_id":"%s"}],"messages":[{"from":"%s",`+
		`"id":"wamid.load.%s.%d","timestamp":"%d","text":{"body":"hi"},"type":"text"}]},"field":"messages"}]}]}`,
		g.phone, n%500, waID, waID, g.runID, n, ts)
}

func sign(b []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(b)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func run(url, secret string, g gen, rate, conc int, d time.Duration, dup int, timeline string, out io.Writer) error {
	// fasthttp's client costs a fraction of net/http's CPU, which matters when the load and the service share cores.
	client := &fasthttp.Client{MaxConnsPerHost: conc * dup, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()

	jobs := make(chan int, conc)
	begin := time.Now()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		samples   []sample // for the timeline
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
		samples = append(samples, sample{time.Since(begin), el})
		codes[resp.StatusCode()]++
		mu.Unlock()
	}
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				b := g.body(n)
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
	if timeline != "" {
		if err := writeTimeline(timeline, samples); err != nil {
			return err
		}
	}
	if errs.Load() > 0 || ok != len(latencies) {
		return fmt.Errorf("%d transport errors (first: %v), %d non-200 answers", errs.Load(), firstErr.Load(), len(latencies)-ok)
	}
	return nil
}

// sample is one answered request: when it was answered (since the start) and how long it took.
type sample struct{ at, latency time.Duration }

// writeTimeline writes, per second of the run, the answers and their p50 and p99 latency in milliseconds.
func writeTimeline(path string, samples []sample) error {
	var buf bytes.Buffer
	buf.WriteString("second,answers,p50_ms,p99_ms\n")
	bySecond := map[int][]time.Duration{}
	last := 0
	for _, s := range samples {
		sec := int(s.at / time.Second)
		bySecond[sec] = append(bySecond[sec], s.latency)
		last = max(last, sec)
	}
	for sec := 0; sec <= last; sec++ {
		l := bySecond[sec]
		slices.Sort(l)
		p := func(q float64) float64 {
			if len(l) == 0 {
				return 0
			}
			return float64(l[min(len(l)-1, int(float64(len(l))*q))]) / 1e6
		}
		fmt.Fprintf(&buf, "%d,%d,%.2f,%.2f\n", sec, len(l), p(0.5), p(0.99))
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	return nil
}
