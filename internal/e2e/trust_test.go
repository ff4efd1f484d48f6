//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// multiKeyOther is an ed25519 public key that no server of the lab has.
func multiKeyOther(t *testing.T) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "other")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, _ := os.ReadFile(key + ".pub")
	f := strings.Fields(string(pub))
	return f[0] + " " + f[1]
}

// psRecorder samples every command line on this machine (the nodes' processes are this
// machine's) while a run lasts.
type psRecorder struct {
	mu    sync.Mutex
	lines map[string]bool
	done  chan struct{}
	wg    sync.WaitGroup
	count int
}

func recordPS() *psRecorder {
	r := &psRecorder{lines: map[string]bool{}, done: make(chan struct{})}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			out, _ := exec.Command("ps", "-eo", "args").Output()
			r.mu.Lock()
			for _, l := range strings.Split(string(out), "\n") {
				r.lines[l] = true
			}
			r.count++
			r.mu.Unlock()
			select {
			case <-r.done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return r
}

func (r *psRecorder) stop() { close(r.done); r.wg.Wait() }

// sshAs runs cmd on n as user with the lab's key (the learner's authorized_keys has it).
func sshAs(user string, n labNode, cmd string) (string, error) {
	return runOut("ssh", "-i", n.IdentityFile, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+n.KnownHostsFile,
		"-o", "BatchMode=yes", user+"@"+n.Address, cmd)
}

// `lab down` of one lab removes its own firewall rule and no other lab's, however alike
// their names: "e2e" is a prefix of "e2edown".
func TestLabDownLeavesOtherLabsRule(t *testing.T) {
	sharedLab(t)
	if r := swarmwiz(t, "lab", "up", "--name", "e2edown", "--nodes", "1", "--subnet", "198.19.0.0/24"); r.code != 0 {
		t.Fatalf("lab up e2edown: %s", r)
	}
	t.Cleanup(func() { swarmwiz(t, "lab", "down", "--name", "e2edown") })
	rule := func(tag string) bool {
		out, _ := runOut("iptables", "-S", "FORWARD")
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "--comment "+tag+" ") {
				return true
			}
		}
		return false
	}
	if !rule("swarmwiz-lab-e2e") || !rule("swarmwiz-lab-e2edown") {
		t.Fatal("both labs should have their rule")
	}
	if r := swarmwiz(t, "lab", "down", "--name", labName); r.code != 0 {
		t.Fatalf("lab down e2e: %s", r)
	}
	if rule("swarmwiz-lab-e2e") {
		t.Error("lab down e2e left its own rule")
	}
	if !rule("swarmwiz-lab-e2edown") {
		t.Error("lab down e2e removed e2edown's rule")
	}
}
