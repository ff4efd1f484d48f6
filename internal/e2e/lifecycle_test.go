//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/lab"
)

// A lab's pid files name a process only while it is the same process: a stranger that got
// the number (after a reboot or a crash) survives lab down and lab up, whatever form the file
// has. A half-made lab (a folder, no inventory) is listed by lab ls with the command that
// removes it, and that command does.
func TestLabNeverSignalsAStranger(t *testing.T) {
	needLab(t)
	const name = "e2ehalf"
	t.Cleanup(func() { runOut(bin, "lab", "down", "--name", name) })
	stranger := exec.Command("sleep", "600")
	stranger.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := stranger.Start(); err != nil {
		t.Fatal(err)
	}
	defer stranger.Process.Kill()
	pid := stranger.Process.Pid
	dir := lab.Dir(name)
	for file, text := range map[string]string{
		"nodes/node1/nspawn.pid": fmt.Sprint(pid),          // an older swarmwiz's form
		"nodes/node2/nspawn.pid": fmt.Sprintf("%d 1", pid), // the number, another start time
		"apt-proxy/pid":          fmt.Sprint(pid),
	} {
		p := filepath.Join(dir, file)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	alive := func() bool { return stranger.Process.Signal(syscall.Signal(0)) == nil && !zombie(pid) }
	if r := swarmwiz(t, "lab", "ls"); !strings.Contains(r.out, "half-made: swarmwiz lab down --name "+name+" removes it") {
		t.Errorf("lab ls does not show the half-made lab: %s", r)
	}
	if r := swarmwiz(t, "lab", "down", "--name", name); r.code != 0 || !alive() {
		t.Fatalf("lab down: exit %d, stranger alive %v: %s", r.code, alive(), r)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("lab down left %s", dir)
	}
	if r := swarmwiz(t, "lab", "ls"); strings.Contains(r.out, name) {
		t.Errorf("lab ls still lists %s: %s", name, r)
	}
	// lab up over the same leftovers (it clears them first), then down again.
	for file := range map[string]bool{"nodes/node1/nspawn.pid": true, "apt-proxy/pid": true} {
		p := filepath.Join(dir, file)
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, []byte(fmt.Sprint(pid)), 0o600)
	}
	if r := swarmwiz(t, "lab", "up", "--recreate", "--name", name, "--nodes", "1", "--subnet", "198.18.121.0/24"); r.code != 0 || !alive() {
		t.Fatalf("lab up over leftovers: exit %d, stranger alive %v: %s", r.code, alive(), r)
	}
	if r := swarmwiz(t, "lab", "down", "--name", name); r.code != 0 || !alive() {
		t.Fatalf("lab down after up: exit %d, stranger alive %v: %s", r.code, alive(), r)
	}
}

// zombie says whether pid has ended and waits to be reaped.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || strings.HasPrefix(strings.TrimSpace(string(b[i+1:])), "Z")
}
