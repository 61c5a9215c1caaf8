package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

// These tests stop real servers under load: a private PostgreSQL cluster and a private redis-server, each on its
// own port, so the shared ones other tests use are never touched.

const pgBin = "/usr/lib/postgresql/15/bin"

// privatePostgres starts a throwaway cluster owned by the postgres user and returns its URL and a restart func.
func privatePostgres(t *testing.T) (url string, restart func()) {
	t.Helper()
	testutil.Binary(t, filepath.Join(pgBin, "initdb"), "install PostgreSQL 15's server binaries to run the PostgreSQL fault test")
	dir, err := os.MkdirTemp("", "waorder-pg-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777) //nolint:errcheck
	data := filepath.Join(dir, "data")
	port := freePort(t)
	as := func(args ...string) *exec.Cmd {
		if os.Geteuid() == 0 {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
		}
		return exec.Command(args[0], args[1:]...)
	}
	if out, err := as(pgBin+"/initdb", "-A", "trust", "-U", "postgres", "-D", data).CombinedOutput(); err != nil {
		testutil.Unavailable(t, "a private PostgreSQL cluster", "run as root or as a user that may run initdb",
			fmt.Errorf("initdb: %v: %s", err, out))
	}
	start := func() {
		out, err := as(pgBin+"/pg_ctl", "-D", data, "-w", "-l", filepath.Join(dir, "log"), "-o",
			fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, dir), "start").CombinedOutput()
		if err != nil {
			t.Fatalf("pg_ctl start: %v\n%s", err, out)
		}
	}
	stop := func(mode string) {
		as(pgBin+"/pg_ctl", "-D", data, "-m", mode, "-w", "stop").Run() //nolint:errcheck
	}
	start()
	t.Cleanup(func() { stop("immediate"); os.RemoveAll(dir) })
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), func() { stop("fast"); start() }
}

// privateRedis starts a redis-server on a free port; the returned func kills it.
func privateRedis(t *testing.T) (url string, kill func()) {
	t.Helper()
	bin := testutil.Command(t, "redis-server", "install redis-server (apt-get install -y redis-server) to run the Valkey fault test")
	port := freePort(t)
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	k := func() { once.Do(func() { cmd.Process.Kill(); cmd.Wait() }) } //nolint:errcheck
	t.Cleanup(k)
	return fmt.Sprintf("redis://127.0.0.1:%d/0", port), k
}

// startService runs the real service with env and returns its base URL; it stops when the test ends.
func startService(t *testing.T, env map[string]string) string {
	t.Helper()
	port := freePort(t)
	env["PORT"] = strconv.Itoa(port)
	env["CONFIG_FILE"] = "none.yaml"
	if env["DATA_DIR"] == "" {
		env["DATA_DIR"] = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() { done <- Main(ctx, []string{"serve"}, envOf(env), nil, &syncWriter{w: &logs}, &logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("service did not stop")
		}
	})
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/health"); err == nil {
			resp.Body.Close()
			return base
		}
	}
	t.Fatal("service did not start")
	return ""
}

func signedText(wamid, from string) ([]byte, string) {
	b := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"w","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"%s"},
		"contacts":[{"profile":{"name":"Load"},"wa_id":"%s"}],
		"messages":[{"from":"%s","id":"%s","timestamp":"%d","type":"text","text":{"body":"hi"}}]}}]}]}`,
		SandboxMetaPhoneID, from, from, wamid, time.Now().Unix())
	return b, whatsapp.Sign(b, config.SandboxAppSecret)
}

// load sends deliveries from 8 senders until stop closes; it returns the wamids answered 200 and the count of others.
func load(t *testing.T, base string, stop <-chan struct{}) (acked []string, failed int64) {
	var mu sync.Mutex
	var bad atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 15 * time.Second}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				wamid := fmt.Sprintf("wamid.fault.%d.%d", w, i)
				body, sig := signedText(wamid, fmt.Sprintf("1555%04d", i%50))
				req, _ := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
				req.Header.Set("X-Hub-Signature-256", sig)
				resp, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					acked = append(acked, wamid)
					mu.Unlock()
				} else {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return acked, bad.Load()
}

func TestFaults_PostgresRestartedMidLoadLosesNoAcknowledgedWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test")
	}
	dbURL, restart := privatePostgres(t)
	base := startService(t, map[string]string{"DATABASE_URL": dbURL, "SANDBOX": "true"})
	stop := make(chan struct{})
	var acked []string
	var failed int64
	finished := make(chan struct{})
	go func() { acked, failed = load(t, base, stop); close(finished) }()
	time.Sleep(1500 * time.Millisecond)
	restart()
	time.Sleep(2 * time.Second)
	close(stop)
	<-finished
	if len(acked) == 0 {
		t.Fatal("no delivery was acknowledged")
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var missing int
	if err := conn.QueryRow(context.Background(),
		"SELECT COUNT(*) FROM unnest($1::text[]) w WHERE NOT EXISTS (SELECT 1 FROM inbound_messages m WHERE m.wamid = w)",
		acked).Scan(&missing); err != nil {
		t.Fatal(err)
	}
	t.Logf("acknowledged %d, refused during the restart %d (Meta retries those), missing %d", len(acked), failed, missing)
	if missing != 0 {
		t.Fatalf("%d acknowledged deliveries are not in the database", missing)
	}
}

func TestFaults_ValkeyStoppedMidLoadFailsNoWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test")
	}
	vkURL, kill := privateRedis(t)
	dir := t.TempDir()
	base := startService(t, map[string]string{"VALKEY_URL": vkURL, "DATA_DIR": dir})
	var out bytes.Buffer
	if err := Main(context.Background(), []string{"admin", "create-api-token", "--business", "1"},
		envOf(map[string]string{"DATA_DIR": dir, "CONFIG_FILE": "none.yaml"}), nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String()[strings.LastIndex(strings.TrimSpace(out.String()), "\n")+1:])
	api := func() int {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/orders", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := api(); code != http.StatusOK {
		t.Fatalf("API with Valkey up: %d", code)
	}
	stop := make(chan struct{})
	var acked []string
	var failed int64
	finished := make(chan struct{})
	go func() { acked, failed = load(t, base, stop); close(finished) }()
	time.Sleep(time.Second)
	kill()
	time.Sleep(2 * time.Second)
	resp, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	close(stop)
	<-finished
	if failed != 0 || len(acked) == 0 {
		t.Fatalf("with Valkey stopped: %d acknowledged, %d failed; want none failed", len(acked), failed)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health with Valkey down: %d, want 200 (degraded)", resp.StatusCode)
	}
	if code := api(); code != http.StatusOK {
		t.Fatalf("API with Valkey down: %d, want 200 from the database", code)
	}
	login, err := http.Get(base + "/login")
	if err != nil {
		t.Fatalf("dashboard login page with Valkey down: %v", err)
	}
	login.Body.Close()
	if login.StatusCode != http.StatusOK {
		t.Fatalf("dashboard login page with Valkey down: %d, want 200", login.StatusCode)
	}
}
