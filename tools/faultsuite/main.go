// Command faultsuite proves with real processes that no fault loses an acknowledged message. It builds the service
// and tools/fakegraph, starts a private PostgreSQL cluster, a private redis-server, the fake Graph API and TWO
// service instances (all on free loopback ports, in a temporary directory), drives signed webhook load at both
// (customer conversations that order, status webhooks, every third delivery sent 5 times at once over both
// instances), and injects one fault per phase:
//
//	pg-immediate  PostgreSQL stopped with -m immediate, restarted 2 s later
//	pg-sigstop    every PostgreSQL process paused (SIGSTOP) for 5 s
//	valkey        redis-server killed, restarted 2 s later
//	sigkill       one instance killed with SIGKILL mid-load, restarted
//	graph-500     the Graph API answers 500 to every send for 5 s
//	graph-hang    the Graph API hangs every send (30 s, past the client's timeout) for 5 s
//	panic         a customer message that makes the bot panic (FAULT_TEST_PANIC_TEXT, a test-only switch)
//
// Then it checks like Jepsen's set checker and prints a table: every wamid acknowledged 200 is stored; every stored
// message is answered exactly once (a reply accepted by the Graph API; by the bot or by the fallback, never both);
// every reply is accepted once, and sends beyond that are counted as duplicates (per send and per message), allowed
// only up to the documented in-flight bound (SEND_WORKERS, for the SIGKILL); no order is created twice; the message
// that panics the bot is given up with a reason that says so, and its fallback is sent. It exits 1 when a check fails. Run: go run ./tools/faultsuite (root or the postgres user's
// binaries needed; a few minutes). It never touches the shared PostgreSQL or Redis.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	appSecret         = "fault-suite-app-secret"
	metaPhoneID       = "1000100"
	productRetailerID = "tea-1"
	panicText         = "fault-suite-panic-now"
	panicWamid        = "wamid.fault.19970000999.0" // the message that makes the bot panic
	sendWorkers       = 4
)

var phases = []string{"baseline", "pg-immediate", "pg-sigstop", "valkey", "sigkill", "graph-500", "graph-hang", "panic"}

// phasePrefix is the start of the wa_ids of a phase's customers: 199, then the phase's number.
func phasePrefix(phase string) string {
	for i, p := range phases {
		if p == phase {
			return fmt.Sprintf("199%d", i)
		}
	}
	return "199"
}

func main() {
	keep := flag.Bool("keep", false, "keep the work directory (logs) after the run")
	flag.Parse()
	if err := run(*keep); err != nil {
		fmt.Fprintln(os.Stderr, "faultsuite:", err)
		os.Exit(1)
	}
}

func run(keep bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	work, err := os.MkdirTemp("", "waorder-faults-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	for _, b := range [][2]string{{"waorder", "./cmd/waorder"}, {"fakegraph", "./tools/fakegraph"}} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(work, b[0]), b[1]).CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", b[1], err, out)
		}
	}
	pg, err := startPostgres(work)
	if err != nil {
		return err
	}
	defer pg.stop("immediate") //nolint:errcheck
	redisPort := freePort()
	redis, err := startRedis(work, redisPort)
	if err != nil {
		return err
	}
	defer func() { redis.kill() }()
	graph, graphURL, err := startFakeGraph(work, filepath.Join(work, "fakegraph"))
	if err != nil {
		return err
	}
	defer graph.kill()

	env := append(os.Environ(), "CONFIG_FILE=none.yaml", "SANDBOX=false", "DATABASE_URL="+pg.url(),
		fmt.Sprintf("VALKEY_URL=redis://127.0.0.1:%d/0", redisPort), "GRAPH_API_URL="+graphURL,
		"WHATSAPP_APP_SECRET="+appSecret, "WHATSAPP_VERIFY_TOKEN=fault-verify",
		"SESSION_SECRET=fault-suite-session-secret-0123456789abcdef",
		"ENCRYPTION_KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		"FAULT_TEST_PANIC_TEXT="+panicText, "LOG_LEVEL=warn", "DB_TIMEOUT=5s", "SHUTDOWN_GRACE=10s",
		fmt.Sprintf("SEND_WORKERS=%d", sendWorkers))
	bin := filepath.Join(work, "waorder")
	token, err := setUp(bin, env)
	if err != nil {
		return err
	}
	instances := make([]*instance, 2)
	for i := range instances {
		port := freePort()
		in := &instance{port: port, process: process{name: fmt.Sprintf("instance-%d", i+1), args: []string{bin, "serve"},
			env: append(env, fmt.Sprintf("PORT=%d", port), fmt.Sprintf("METRICS_ADDR=127.0.0.1:%d", freePort())),
			log: filepath.Join(work, fmt.Sprintf("instance-%d.log", i+1))}}
		if err := in.startAndWait(); err != nil {
			return err
		}
		defer in.kill()
		instances[i] = in
	}
	if err := addProduct(instances[0].base(), token); err != nil {
		return err
	}
	bases := func() []string { return []string{instances[0].base(), instances[1].base()} }
	d := newDriver(appSecret, metaPhoneID, bases)
	stopStatuses := make(chan struct{})
	statusesDone := make(chan struct{})
	go func() { sendStatuses(ctx, d, graphURL, stopStatuses); close(statusesDone) }()

	faults := map[string]func() error{
		"baseline":     func() error { return nil },
		"pg-immediate": func() error { return pgRestart(pg) },
		"pg-sigstop": func() error {
			pg.signal(syscall.SIGSTOP) //nolint:errcheck
			time.Sleep(5 * time.Second)
			return pg.signal(syscall.SIGCONT)
		},
		"valkey": func() error {
			redis.kill()
			time.Sleep(2 * time.Second)
			r, err := startRedis(work, redisPort)
			redis = r
			return err
		},
		"sigkill": func() error {
			instances[1].kill()
			time.Sleep(time.Second)
			return instances[1].startAndWait()
		},
		"graph-500":  func() error { return graphMode(graphURL, "500", 5*time.Second) },
		"graph-hang": func() error { return graphMode(graphURL, "hang", 5*time.Second) },
		"panic": func() error {
			if !d.message(ctx, "panic", panicWamid, "19970000999", text(panicText), true) {
				return fmt.Errorf("the panicking message was never acknowledged")
			}
			return nil
		},
	}
	started := map[string]time.Time{}
	for _, phase := range phases {
		started[phase] = time.Now()
		before := d.requests.Load()
		stop := make(chan struct{})
		loaded := make(chan int)
		go func() { loaded <- d.phaseLoad(ctx, phase, 6, stop) }()
		time.Sleep(2 * time.Second)
		start := time.Now()
		if err := faults[phase](); err != nil {
			return fmt.Errorf("inject %s: %w", phase, err)
		}
		time.Sleep(2 * time.Second)
		close(stop)
		n := <-loaded
		d.setPhaseRequests(phase, d.requests.Load()-before)
		fmt.Printf("phase %-12s fault took %5.1fs, %3d conversations, %5d requests\n", phase, time.Since(start).Seconds(), n,
			d.requests.Load()-before)
	}
	// Drain: every acknowledged message handled, every reply sent (retries, backoffs and the panic's give-up).
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(2 * time.Second) {
		ok, state := drained(ctx, pg.url(), d)
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the service did not drain in 3 minutes: %s", state)
		}
	}
	time.Sleep(3 * time.Second) // the last statuses
	close(stopStatuses)
	<-statusesDone
	tallies, err := check(ctx, pg.url(), graphURL, d, phases, started)
	if err != nil {
		return err
	}
	for _, in := range instances {
		took := in.stop(30 * time.Second)
		fmt.Printf("%s stopped %.1fs after SIGTERM\n", in.name, took.Seconds())
	}
	return report(tallies)
}

func report(ts []tally) error {
	fmt.Println()
	fmt.Println("| phase | requests | acknowledged | stored | lost | unanswered | answered twice | replies | duplicates sent | orders | orders twice | missing orders |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, t := range ts {
		fmt.Printf("| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n", t.Phase, t.Requests, t.Acked, t.Stored,
			t.Lost, t.Unanswered, t.AnsweredTwice+t.RepliedTwice, t.Replies, t.Duplicates, t.Orders, t.OrdersTwice, t.MissingOrders)
	}
	total := ts[len(ts)-1]
	fmt.Printf("\nstatus webhooks acknowledged %d, stored %d\n", total.StatusAcked, total.StatusOK)
	var bad []string
	for _, t := range ts {
		if t.Lost > 0 || t.Unanswered > 0 || t.AnsweredTwice > 0 || t.OrdersTwice > 0 || t.MissingOrders > 0 {
			bad = append(bad, fmt.Sprintf("%s: lost %d, unanswered %d, answered by the bot and the fallback %d, orders twice %d, missing orders %d",
				t.Phase, t.Lost, t.Unanswered, t.AnsweredTwice, t.OrdersTwice, t.MissingOrders))
		}
		if t.Phase != "total" && t.Phase != "sigkill" && t.Duplicates > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d duplicate sends outside the documented window (first sent during this phase)",
				t.Phase, t.Duplicates))
		}
		for _, p := range t.Problems {
			bad = append(bad, t.Phase+": "+p)
		}
	}
	if total.Duplicates > sendWorkers {
		bad = append(bad, fmt.Sprintf("%d duplicate sends, more than the documented bound of %d", total.Duplicates, sendWorkers))
	}
	// Counted per message too: a message is answered twice only through those sends (a reply accepted while its
	// instance was killed before recording it, at most one per send worker), whichever phase it arrived in.
	if total.RepliedTwice > sendWorkers {
		bad = append(bad, fmt.Sprintf("%d messages answered twice, more than the documented bound of %d", total.RepliedTwice, sendWorkers))
	}
	if total.StatusOK != total.StatusAcked {
		bad = append(bad, fmt.Sprintf("%d acknowledged statuses not stored", total.StatusAcked-total.StatusOK))
	}
	if total.Acked == 0 {
		bad = append(bad, "nothing was acknowledged")
	}
	if len(bad) > 0 {
		return fmt.Errorf("checks failed:\n  %s", strings.Join(bad, "\n  "))
	}
	fmt.Println("all checks passed: 0 acknowledged messages lost")
	return nil
}

// setUp migrates the private database, creates the business and an API token with the binary's admin commands.
func setUp(bin string, env []string) (token string, err error) {
	runCmd := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("waorder %s: %v", strings.Join(args, " "), err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return strings.TrimSpace(lines[len(lines)-1]), nil
	}
	if _, err := runCmd("migrate"); err != nil {
		return "", err
	}
	id, err := runCmd("admin", "create-business", "--name", "Fault Cafe", "--phone-number-id", metaPhoneID,
		"--waba-id", "waba-fault", "--access-token", "fault-token")
	if err != nil {
		return "", err
	}
	return runCmd("admin", "create-api-token", "--business", id)
}

func addProduct(base, token string) error {
	body, _ := json.Marshal(map[string]any{"retailer_id": productRetailerID, "name": "Tea", "price": 500, "currency": "USD",
		"category": "Drinks", "available": true})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/products", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("create product: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("create product: HTTP %d", resp.StatusCode)
	}
	return nil
}

func pgRestart(pg *postgres) error {
	if err := pg.stop("immediate"); err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	return pg.start()
}

func graphMode(graphURL, mode string, d time.Duration) error {
	set := func(m string) error {
		resp, err := http.Post(graphURL+"/_fault/mode?set="+m, "text/plain", nil)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	if err := set(mode); err != nil {
		return err
	}
	time.Sleep(d)
	return set("ok")
}

// sendStatuses answers every send the fake Graph API accepted with a delivered status webhook, as Meta does.
func sendStatuses(ctx context.Context, d *driver, graphURL string, stop <-chan struct{}) {
	seen := map[string]bool{}
	for {
		select {
		case <-stop:
			return
		case <-time.After(500 * time.Millisecond):
		}
		sends, err := fakeSent(graphURL)
		if err != nil {
			continue
		}
		for _, s := range sends {
			if !seen[s.WAMID] && strings.HasPrefix(s.To, "199") {
				seen[s.WAMID] = true
				d.status(ctx, s.WAMID, s.To)
			}
		}
	}
}
