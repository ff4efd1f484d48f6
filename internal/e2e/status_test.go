//go:build linux

package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitFor polls cond until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// startWatch starts `status --watch` on the shared lab, off a terminal; it is killed when the
// test ends.
func startWatch(t *testing.T) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	watch := exec.Command(bin, "status", "--watch", "--lab", labName)
	watch.Env = englishEnv()
	out := &lockedBuffer{}
	watch.Stdout, watch.Stderr = out, out
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { watch.Process.Kill() })
	return watch, out
}

// statusCode runs `status -o json` and returns its exit code and JSON (printed in every case).
func statusCode(t *testing.T) (int, map[string]any) {
	t.Helper()
	r := swarmwiz(t, "status", "--lab", labName, "-o", "json")
	var st map[string]any
	if err := json.Unmarshal([]byte(r.out), &st); err != nil {
		t.Fatalf("status -o json printed no JSON (exit %d): %v\n%s", r.code, err, r)
	}
	return r.code, st
}

// Stopping the leader: `status --watch` off a terminal prints the new leader, status exits 3
// (degraded) until the node is back, then 0. Two of three managers stopped: exit 4, the
// meaning and the way out, and JSON in every case, also once no manager can list the swarm.
func TestStatusDegradedAndQuorumLost(t *testing.T) {
	nodes := sharedLab(t)
	createSeed(t)
	leader := ""
	for _, r := range nodeLs(t, nodes[0]) {
		if r["ManagerStatus"] == "Leader" {
			leader = r["Hostname"].(string)
		}
	}
	watch, out := startWatch(t)
	if !waitFor(20*time.Second, func() bool { return strings.Contains(out.String(), leader+": Ready Leader") }) {
		t.Fatalf("watch did not show the leader %s:\n%s", leader, out.String())
	}
	t0 := time.Now()
	stopNode(t, leader)
	newLeader := func() bool {
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasSuffix(line, " Leader") && !strings.Contains(line, " "+leader+": ") {
				return true
			}
		}
		return false
	}
	if !waitFor(60*time.Second, newLeader) {
		t.Fatalf("watch never showed a new leader after %s stopped:\n%s", leader, out.String())
	}
	t.Logf("new leader shown after %.1fs", time.Since(t0).Seconds())
	watch.Process.Signal(syscall.SIGINT)
	if err := watch.Wait(); err != nil {
		t.Errorf("Ctrl-C ends --watch with exit 0: %v", err)
	}
	if code, st := statusCode(t); code != 3 || !strings.Contains(st["verdict"].(string), "degraded: "+leader) {
		t.Errorf("with the old leader down: want exit 3 naming %s, got %d %v", leader, code, st["verdict"])
	}
	swarmwiz(t, "lab", "start", "--name", labName, leader)
	var last map[string]any
	if !waitFor(60*time.Second, func() bool { code, st := statusCode(t); last = st; return code == 0 }) {
		t.Errorf("with %s back the swarm never became healthy (exit 0); last seen: %v", leader, last)
	}

	// Two of three managers down: the quorum is lost.
	var stopped []string
	for _, r := range nodeLs(t, nodes[0]) {
		if r["ManagerStatus"] != "" && r["Hostname"] != "node1" && len(stopped) < 2 {
			stopped = append(stopped, r["Hostname"].(string))
		}
	}
	// A watch that sees the quorum go: one event in swarmwiz's words, not every node vanishing.
	watch2, out2 := startWatch(t)
	if !waitFor(20*time.Second, func() bool { return strings.Contains(out2.String(), "node1: Ready") }) {
		t.Fatalf("the second watch did not start:\n%s", out2.String())
	}
	for _, n := range stopped {
		stopNode(t, n)
	}
	r := swarmwiz(t, "status", "--lab", labName)
	if r.code != 4 || !strings.Contains(r.out+r.err, "quorum lost: 1 of 3 managers reachable, and Raft needs 2") ||
		!strings.Contains(r.out, "no service can be created") || !strings.Contains(r.out, "swarmwiz recover --lab "+labName) || !strings.Contains(r.out, "--force-new-cluster") {
		t.Errorf("two managers down: want exit 4, what it means and the way out: %s", r)
	}
	// Some seconds later no manager can list the swarm at all: still exit 4, still JSON, with
	// the manager's own error and which managers answer.
	var st map[string]any
	if !waitFor(60*time.Second, func() bool {
		var code int
		code, st = statusCode(t)
		return code == 4 && st["error"] != nil
	}) {
		t.Fatalf("never saw the leaderless report: %v", st)
	}
	if !waitFor(90*time.Second, func() bool { return strings.Contains(out2.String(), " of 3 managers answer") }) {
		t.Errorf("--watch never said the quorum was lost:\n%s", out2.String())
	}
	watch2.Process.Signal(syscall.SIGINT)
	watch2.Wait()
	if w := out2.String(); strings.Count(w, "quorum lost: no leader, 1 of 3 managers answer") != 1 || strings.Count(w, "no leader") != 1 || strings.Contains(w, "no longer listed") {
		t.Errorf("--watch: the lost quorum must be one event, with no node 'no longer listed':\n%s", w)
	}
	// swarmwiz's own reading, whether docker answered "does not have a leader" or timed out.
	if !strings.Contains(st["error"].(string), "no leader: the managers cannot elect one, 1 of 3 reachable") || st["dockerError"] == nil ||
		st["quorumLost"] != true || len(st["managersSeen"].([]any)) != 3 {
		t.Errorf("leaderless JSON: %v", st)
	}
}

// A node that does not answer over SSH while docker still lists it Ready (switched off a
// moment ago, or cut off: here its SSH port dropped) is not healthy: status says docker has
// not noticed yet and exits 3, instead of 0 beside "does not answer".
func TestStatusNodeThatDoesNotAnswer(t *testing.T) {
	sharedLab(t)
	createSeed(t)
	inNode(t, 7, "net", "iptables", "-I", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP")
	t.Cleanup(func() { inNode(t, 7, "net", "iptables", "-D", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP") })
	r := swarmwiz(t, "status", "--lab", labName, "--ssh-timeout", "2s")
	if r.code != 3 || !strings.Contains(r.out, "node7 does not answer over SSH, while docker still lists it Ready: docker has not noticed yet") ||
		!strings.Contains(r.out, "is left out: it does not answer on its SSH port") ||
		!strings.Contains(r.err, "node7 is down or unreachable") {
		t.Errorf("want exit 3, node7 named as not answering: %s", r)
	}
	// check tests the others and says why not node7, instead of asking for --host or an image.
	r = swarmwiz(t, "check", "--lab", labName, "--ssh-timeout", "2s")
	if !strings.Contains(r.out, "node7: not checked: it does not answer over SSH, while docker still lists it Ready") ||
		strings.Contains(r.out+r.err, "--probe-image") {
		t.Errorf("check with node7 not answering: %s", r)
	}
}
