//go:build linux

package e2e

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// containerOn starts a long-running container on n (an image of this very binary, imported
// from a file: namespace nodes share this machine's files) and returns its process as this
// machine sees it: namespace nodes share its pid namespace.
func containerOn(t *testing.T, n labNode) proc {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	if err := exec.Command("cp", bin, filepath.Join(dir, "swarmwiz")).Run(); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(dir, "probe.tar")
	if out, err := exec.Command("tar", "-C", dir, "-cf", tarball, "swarmwiz").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	ssh(t, n, "docker import "+tarball+" e2e/keep:1 >/dev/null")
	id := ssh(t, n, "docker run -d --network none --entrypoint /swarmwiz e2e/keep:1 probe serve")
	pid, err := strconv.Atoi(ssh(t, n, "docker inspect --format '{{.State.Pid}}' "+id))
	if err != nil || pid <= 0 {
		t.Fatalf("%s: container pid: %v", n.Name, err)
	}
	p := proc{pid, startOf(pid)}
	if !p.alive() {
		t.Fatalf("%s: the container's process %d is not running", n.Name, pid)
	}
	return p
}

// proc is a process known by its number and its start time, as the lab knows its own.
type proc struct {
	pid   int
	start string
}

func (p proc) alive() bool { return p.start != "" && startOf(p.pid) == p.start }

// startOf is field 22 of /proc/PID/stat, or "" when no such process runs (a zombie has ended).
func startOf(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || f[0] == "Z" {
		return ""
	}
	return f[19]
}

// labCgroups are the lab's cgroups left in any hierarchy.
func labCgroups(name string) []string {
	var out []string
	for _, pattern := range []string{"/sys/fs/cgroup/*/swarmwiz-lab/" + name, "/sys/fs/cgroup/swarmwiz-lab/" + name} {
		m, _ := filepath.Glob(pattern)
		out = append(out, m...)
	}
	return out
}

// A lab is all or nothing. `lab up` killed at any point (SIGKILL: nothing of swarmwiz runs
// after it) leaves a half-made lab that `lab down` removes to the last process, cgroup,
// namespace, link, rule, mount and limit; stopped by Ctrl-C, it removes what it made itself,
// says so, and exits 130. The points are spread over one measured run, with some jitter.
func TestLabUpKilledAtRandomPoints(t *testing.T) {
	needLab(t)
	const name = "e2ehalf"
	t.Cleanup(func() { runOut(bin, "lab", "down", "--name", name) })
	args := []string{"lab", "up", "--recreate", "--name", name, "--nodes", "3", "--subnet", "198.18.121.0/24"}
	before := hostTraces(name)
	same := func(when string) {
		t.Helper()
		if diff := changedLines(before, hostTraces(name)); len(diff) > 0 {
			t.Errorf("%s, this machine differs from before:\n%s", when, strings.Join(diff, "\n"))
		}
	}
	t0 := time.Now()
	if r := swarmwiz(t, args...); r.code != 0 {
		t.Fatalf("lab up: %s", r)
	}
	whole := time.Since(t0)
	if r := swarmwiz(t, "lab", "down", "--name", name); r.code != 0 {
		t.Fatalf("lab down: %s", r)
	}
	same("after a whole lab up and lab down")
	for _, frac := range []float64{0.05, 0.3, 0.55, 0.8} {
		at := time.Duration((frac + 0.1*rand.Float64()) * float64(whole))
		cmd := exec.Command(bin, args...)
		cmd.Env = englishEnv()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(at)
		cmd.Process.Kill()
		cmd.Wait()
		if _, err := os.Stat(lab.Dir(name)); err == nil {
			// Killed before its last step (the inventory written) the lab is half-made, and
			// said so; after it, lab up was only printing: the lab is whole and usable.
			want, what := "half-made: swarmwiz lab down --name "+name, "the half-made lab and how to remove it"
			if _, err := lab.Load(name); err == nil {
				want, what = "swarmwiz status --lab "+name, "the whole lab, as lab up made it"
				if r := swarmwiz(t, "lab", "status", "--name", name); r.code != 0 {
					t.Errorf("lab up killed at %s, after its inventory was written: want a whole lab: %s", at, r)
				}
			}
			if r := swarmwiz(t, "lab", "ls"); !strings.Contains(r.out, want) {
				t.Errorf("lab ls after lab up killed at %s: want %s: %s", at, what, r)
			}
		}
		if r := swarmwiz(t, "lab", "down", "--name", name); r.code != 0 {
			t.Fatalf("lab down after lab up killed at %s of %s: %s", at, whole, r)
		}
		t.Logf("lab up killed at %s of %s", at.Round(time.Millisecond), whole.Round(time.Millisecond))
		same(fmt.Sprintf("lab up killed at %s of %s, then lab down", at.Round(time.Millisecond), whole.Round(time.Millisecond)))
	}
	// Ctrl-C half-way: no lab down needed.
	cmd := exec.Command(bin, args...)
	cmd.Env = englishEnv()
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(whole / 2)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 130 || !strings.Contains(errb.String(), `removed everything it had made`) {
		t.Errorf("lab up interrupted half-way (%s): want exit 130 and the account, got exit %d:\n%s", whole/2, code, errb.String())
	}
	same("lab up interrupted half-way, without lab down")
	if r := swarmwiz(t, "lab", "ls"); strings.Contains(r.out, name) {
		t.Errorf("lab ls lists the interrupted lab: %s", r)
	}
}
