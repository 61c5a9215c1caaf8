package ingest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/repository"
)

// tinyDisk mounts a 4 MiB tmpfs for the test (root only) and returns its path.
func tinyDisk(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() }) //nolint:errcheck
	return dir
}

// fill leaves about keep bytes free on the file system of dir, and returns the filler's path.
func fill(t *testing.T, dir string, keep int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	path := filepath.Join(dir, "filler")
	if err := os.WriteFile(path, make([]byte, max(free-keep, 0)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAccept_FullDiskIsUnavailableAndEveryAcknowledgedMessageIsStored(t *testing.T) {
	dir := tinyDisk(t)
	ctx := context.Background()
	s, err := repository.Open(ctx, "", dir, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	seed(t, s)
	ing := ingest.New(s, quiet, ingest.Options{}, nil)
	defer ing.Close()
	filler := fill(t, dir, 64<<10)

	var acked []string
	refused := 0
	for i := 0; i < 5000 && refused < 3; i++ {
		wamid := fmt.Sprintf("full-%d", i)
		err := ing.Accept(ctx, textBody(wamid, "1555", fmt.Sprintf("%0600d", i)))
		switch {
		case err == nil:
			acked = append(acked, wamid)
		case repository.IsUnavailable(err):
			refused++ // the webhook answers 503 and Meta retries
		default:
			t.Fatalf("a full disk gave %v, not an unavailable database", err)
		}
	}
	if refused == 0 {
		t.Fatalf("the disk never filled up: %d messages acknowledged", len(acked))
	}
	// Space comes back: deliveries are stored again, and nothing acknowledged before was lost.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := ing.Accept(ctx, textBody("after-full", "1555", "hi")); err != nil {
		t.Fatalf("after space was freed: %v", err)
	}
	acked = append(acked, "after-full")
	var stored int64
	if err := s.DB(ctx).Table("inbound_messages").Where("wamid IN ?", acked).Count(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if stored != int64(len(acked)) {
		t.Fatalf("%d of %d acknowledged messages stored", stored, len(acked))
	}
}
