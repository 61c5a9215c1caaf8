package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// freePort asks the kernel for a free loopback port.
func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// postgres is a private cluster in a temporary directory, owned by the postgres OS user when run as root
// (PostgreSQL refuses to run as root). The shared server on 5432 is never touched.
type postgres struct {
	bin, dir, data string
	port           int
}

func pgBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("PostgreSQL server binaries (initdb) not found")
}

func asPostgres(args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
	}
	return exec.Command(args[0], args[1:]...)
}

func startPostgres(work string) (*postgres, error) {
	bin, err := pgBin()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, "pg")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, err
	}
	os.Chmod(work, 0o777) //nolint:errcheck // the postgres user must reach dir
	os.Chmod(dir, 0o777)  //nolint:errcheck
	p := &postgres{bin: bin, dir: dir, data: filepath.Join(dir, "data"), port: freePort()}
	if out, err := asPostgres(bin+"/initdb", "-A", "trust", "-U", "postgres", "-D", p.data).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return p, p.start()
}

func (p *postgres) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

func (p *postgres) start() error {
	out, err := asPostgres(p.bin+"/pg_ctl", "-D", p.data, "-w", "-l", filepath.Join(p.dir, "log"), "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", p.port, p.dir), "start").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v\n%s", err, out)
	}
	return nil
}

func (p *postgres) stop(mode string) error {
	out, err := asPostgres(p.bin+"/pg_ctl", "-D", p.data, "-m", mode, "-w", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
	return nil
}

// signal sends sig to the postmaster and every process it started (backends, checkpointer, WAL writer, ...).
func (p *postgres) signal(sig syscall.Signal) error {
	b, err := os.ReadFile(filepath.Join(p.data, "postmaster.pid"))
	if err != nil {
		return fmt.Errorf("read postmaster.pid: %w", err)
	}
	master, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return fmt.Errorf("postmaster.pid: %w", err)
	}
	pids := []int{master}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(master) {
			pids = append(pids, pid)
		}
	}
	for _, pid := range pids {
		syscall.Kill(pid, sig) //nolint:errcheck // a backend may just have exited
	}
	return nil
}

// process is a child process with its output in a log file.
type process struct {
	name string
	args []string
	env  []string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *process) start() error {
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	p.cmd = exec.Command(p.args[0], p.args[1:]...)
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = p.env, f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the suite
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.done = make(chan struct{})
	go func() { p.cmd.Wait(); f.Close(); close(p.done) }() //nolint:errcheck
	return nil
}

func (p *process) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Kill() //nolint:errcheck
		<-p.done
	}
}

// stop sends SIGTERM and waits up to grace before killing.
func (p *process) stop(grace time.Duration) time.Duration {
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	select {
	case <-p.done:
	case <-time.After(grace):
		p.kill()
	}
	return time.Since(start)
}

// startRedis runs a private redis-server on port (no persistence).
func startRedis(work string, port int) (*process, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if bin, err = exec.LookPath("valkey-server"); err != nil {
			return nil, fmt.Errorf("redis-server not installed")
		}
	}
	p := &process{name: "redis", args: []string{bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no"}, env: os.Environ(), log: filepath.Join(work, "redis.log")}
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, waitTCP(port, 10*time.Second)
}

// startFakeGraph runs tools/fakegraph and returns it with its base URL (the first line it prints).
func startFakeGraph(work, bin string) (*process, string, error) {
	port := freePort()
	p := &process{name: "fakegraph", args: []string{bin, "-addr", fmt.Sprintf("127.0.0.1:%d", port)}, env: os.Environ(),
		log: filepath.Join(work, "fakegraph.log")}
	if err := p.start(); err != nil {
		return nil, "", err
	}
	if err := waitTCP(port, 10*time.Second); err != nil {
		return nil, "", err
	}
	f, err := os.Open(p.log)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	return p, strings.TrimSpace(line), nil
}

func waitTCP(port int, d time.Duration) error {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return nil
		}
	}
	return fmt.Errorf("nothing listens on port %d", port)
}

// instance is one waorder serve process on its own port.
type instance struct {
	process
	port int
}

func (in *instance) base() string { return fmt.Sprintf("http://127.0.0.1:%d", in.port) }

func (in *instance) startAndWait() error {
	if err := in.start(); err != nil {
		return err
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(in.base() + "/health"); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-in.done:
			return fmt.Errorf("%s exited at start; see %s", in.name, in.log)
		default:
		}
	}
	return fmt.Errorf("%s did not answer /health; see %s", in.name, in.log)
}
