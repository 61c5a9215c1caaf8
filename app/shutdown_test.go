package app

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// clusterPIDs lists the processes of the private PostgreSQL cluster listening on port: its postmaster and every
// child of it.
func clusterPIDs(t *testing.T, port string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc")
	}
	type proc struct{ ppid int }
	procs := map[int]proc{}
	master := 0
	var candidates []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		procs[pid] = proc{ppid}
		args := strings.Split(string(cmd), "\x00")
		if strings.HasSuffix(args[0], "/postgres") && strings.Contains(strings.Join(args, " "), "-p "+port+" ") {
			candidates = append(candidates, pid)
		}
	}
	// A child the postmaster has just forked still shows the postmaster's command line until it sets its own title:
	// the postmaster is the candidate whose parent is not one.
	for _, pid := range candidates {
		if !slices.Contains(candidates, procs[pid].ppid) {
			master = pid
		}
	}
	if master == 0 {
		t.Fatalf("no postmaster on port %s", port)
	}
	pids := []int{master}
	for pid, p := range procs {
		if p.ppid == master {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestServe_StopsWithinItsGracePeriodWhilePostgresIsPaused(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test")
	}
	dbURL, _ := privatePostgres(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ports := freePorts(t, 2)
	port, opsAddr := strconv.Itoa(ports[0]), "127.0.0.1:"+strconv.Itoa(ports[1])
	const grace = 4 * time.Second
	env := map[string]string{"DATABASE_URL": dbURL, "SANDBOX": "true", "PORT": port, "CONFIG_FILE": "none.yaml", "DATA_DIR": t.TempDir(),
		"SHUTDOWN_GRACE": grace.String(), "DB_TIMEOUT": "1s", "METRICS_ADDR": opsAddr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() { done <- Main(ctx, []string{"serve"}, envOf(env), nil, &syncWriter{w: &logs}, &logs) }()
	base := "http://127.0.0.1:" + port
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/health"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("service did not start")
		}
	}
	// Webhooks in flight while the database hangs: they hold connections, commits and workers.
	// Stop every process of the cluster; scan again after the postmaster is stopped, so that a backend it forked
	// between the first scan and its own stop (the service opens connections as it starts) is stopped too.
	// Then check the premise: a new connection must not be answered (the postmaster is stopped). A stop that missed
	// a process is tried again rather than testing a database that is not paused.
	var pids []int
	stopped := map[int]bool{}
	t.Cleanup(func() {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGCONT) //nolint:errcheck
		}
	})
	paused := false
	for try := 0; try < 5 && !paused; try++ {
		for range 3 {
			for _, pid := range clusterPIDs(t, u.Port()) {
				if !stopped[pid] {
					stopped[pid] = true
					pids = append(pids, pid)
					syscall.Kill(pid, syscall.SIGSTOP) //nolint:errcheck
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		probe, cancelProbe := context.WithTimeout(context.Background(), 500*time.Millisecond)
		conn, err := pgx.Connect(probe, dbURL)
		cancelProbe()
		if err == nil {
			conn.Close(context.Background()) //nolint:errcheck
			t.Logf("PostgreSQL still answers after stopping %v; stopping again", pids)
			continue
		}
		paused = true
	}
	if !paused {
		t.Fatalf("could not pause the private PostgreSQL (stopped %v)", pids)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	answered := make(chan int, 8)
	for i := range 8 {
		go func() {
			body, sig := signedText("wamid.paused."+strconv.Itoa(i), "15550100")
			req, _ := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
			req.Header.Set("X-Hub-Signature-256", sig)
			resp, err := client.Do(req)
			if err != nil {
				answered <- 0
				return
			}
			resp.Body.Close()
			answered <- resp.StatusCode
		}()
	}
	for range 2 { // scrapes in flight on the operator listener too: its metrics read the database
		go func() {
			if resp, err := client.Get("http://" + opsAddr + "/metrics"); err == nil {
				resp.Body.Close()
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // without a bound this waits for PostgreSQL forever
		t.Fatalf("serve did not return 20 s after the stop signal with PostgreSQL paused\n%s", logs.String())
	}
	took := time.Since(start)
	// The whole stop, listeners and workers, fits in the grace period; the margin is for the closers after it.
	if margin := 2 * time.Second; took > grace+margin {
		t.Fatalf("serve returned %s after the stop signal; want within the grace period (%s) + %s\n%s", took.Round(10*time.Millisecond),
			grace, margin, logs.String())
	}
	for range 8 {
		if code := <-answered; code == http.StatusOK {
			t.Fatalf("a webhook was acknowledged while the database was paused\n%s", logs.String())
		}
	}
	t.Logf("stopped %s after the signal (grace %s) with PostgreSQL paused", took.Round(10*time.Millisecond), grace)
}
