//go:build linux

package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A pid file names a process only while the same process runs: a stranger that got the
// number (after a reboot or a crash) is never signalled; the recorded process is.
func TestRecordedProcessIdentity(t *testing.T) {
	stranger := exec.Command("sleep", "60")
	if err := stranger.Start(); err != nil {
		t.Fatal(err)
	}
	defer stranger.Process.Kill()
	dir := t.TempDir()
	pid := stranger.Process.Pid
	for name, text := range map[string]string{
		"bare":       fmt.Sprint(pid),                             // an older swarmwiz's file: proves nothing
		"otherstart": fmt.Sprintf("%d %d", pid, procStart(pid)-1), // the number, another process's start
		"garbage":    fmt.Sprintf("%d x", pid),
	} {
		f := filepath.Join(dir, name)
		os.WriteFile(f, []byte(text), 0o600)
		if livePID(f) != 0 {
			t.Errorf("%s: %q taken as the lab's process", name, text)
		}
		stopRecorded(context.Background(), f, syscall.SIGKILL, time.Second)
		if stranger.Process.Signal(syscall.Signal(0)) != nil {
			t.Fatalf("%s: a stranger at the recorded number was killed", name)
		}
	}
	own := filepath.Join(dir, "own")
	if err := writePIDFile(own, pid); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(own); st.Mode().Perm() != 0o600 || livePID(own) != pid {
		t.Fatalf("a recorded process is known: mode %v, live %d", st.Mode(), livePID(own))
	}
	stopRecorded(context.Background(), own, syscall.SIGTERM, 5*time.Second)
	if err := stranger.Wait(); err == nil {
		t.Errorf("the recorded process was not stopped")
	}
	if livePID(own) != 0 {
		t.Errorf("a stopped process is still taken as live")
	}
}
