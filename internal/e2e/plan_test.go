//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writePlan writes a plan for the first n lab nodes: the first three managers.
func writePlan(t *testing.T, nodes []labNode, n int) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: swarmwiz/v1\nadvertiseAddr: %s\nssh:\n  user: root\n  key: %s\n  knownHosts: %s\nnodes:\n",
		nodes[0].Address, nodes[0].IdentityFile, nodes[0].KnownHostsFile)
	for i, node := range nodes[:n] {
		role := "worker"
		if i < 3 {
			role = "manager"
		}
		fmt.Fprintf(&b, "  - host: %s\n    role: %s\n", node.Address, role)
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("plan%d.yaml", n))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type statusJSON struct {
	Nodes []struct {
		ID, Hostname, Status, ManagerStatus string
	}
	Managers  int
	Reachable int
	Leader    string
	Changed   bool
}

func statusOf(t *testing.T, args ...string) statusJSON {
	t.Helper()
	r := swarmwiz(t, append([]string{"status", "--output", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("status: %s", r)
	}
	var s statusJSON
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		t.Fatalf("status json: %v\n%s", err, r.out)
	}
	return s
}

func nodeIDs(s statusJSON) map[string]string {
	ids := map[string]string{}
	for _, n := range s.Nodes {
		ids[n.Hostname] = n.ID
	}
	return ids
}

// Without a terminal and without answers, create stops at once, naming the flags.
func TestCreateWithoutTerminalListsFlags(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "create")
	cmd.Env = englishEnv()
	cmd.Stdin = nil // /dev/null
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 {
		t.Fatalf("want exit 2, got %v:\n%s", err, out)
	}
	for _, flag := range []string{"--config", "--lab", "--host", "--ssh-user", "--ssh-key", "--managers", "--yes"} {
		if !strings.Contains(string(out), flag) {
			t.Errorf("message does not name %s:\n%s", flag, out)
		}
	}
	t.Logf("exited 2 in %s", time.Since(t0))
}

// The seed's topology from a plan file, no terminal: then re-running changes nothing, a
// plan with one more worker joins only it, and every node keeps its swarm node ID.
func TestPlanFileAndSafeReruns(t *testing.T) {
	nodes := sharedLab(t)
	plan6, plan7 := writePlan(t, nodes, 6), writePlan(t, nodes, 7)

	r := swarmwiz(t, "create", "--config", plan6, "--yes", "--output", "json")
	if r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	var first statusJSON
	if err := json.Unmarshal([]byte(r.out), &first); err != nil || len(first.Nodes) != 6 || !first.Changed {
		t.Fatalf("create --output json: %v\n%s", err, r)
	}

	r = swarmwiz(t, "create", "--config", plan7, "--yes")
	if r.code != 0 {
		t.Fatalf("create with one more worker: %s", r)
	}
	if !strings.Contains(r.out, "6 nodes are already in this swarm") || !strings.Contains(r.out, "node7 joined as a worker") {
		t.Errorf("the re-run should join node7 only:\n%s", r.out)
	}
	for _, other := range []string{"node1", "node2", "node3", "node4", "node5", "node6"} {
		if strings.Contains(r.out, other+" joined") {
			t.Errorf("%s joined again:\n%s", other, r.out)
		}
	}
	st := statusOf(t, "--lab", labName)
	if len(st.Nodes) != 7 || st.Managers != 3 || st.Reachable != 3 || st.Leader == "" {
		t.Fatalf("status after adding a worker: %+v", st)
	}
	before := nodeIDs(st)
	for h, id := range nodeIDs(first) {
		if before[h] != id {
			t.Errorf("%s changed node ID: %s -> %s", h, id, before[h])
		}
	}

	r = swarmwiz(t, "create", "--config", plan7, "--yes")
	if r.code != 0 || !strings.Contains(r.out, "Nothing to do") {
		t.Fatalf("re-run of a finished plan: %s", r)
	}
	after := nodeIDs(statusOf(t, "--lab", labName))
	for h, id := range before {
		if after[h] != id {
			t.Errorf("%s changed node ID on a no-op re-run: %s -> %s", h, id, after[h])
		}
	}
}

// A run that fails half-way (node7 cannot reach the manager) keeps what succeeded, names the
// node and command; fixing the node and running again completes the cluster.
func TestRerunAfterFailureConverges(t *testing.T) {
	nodes := sharedLab(t)
	plan := writePlan(t, nodes, 7)
	block := []string{"--net=/run/netns/swz-" + labName + "-7", "iptables", "-A", "OUTPUT", "-p", "tcp", "--dport", "2377", "-j", "REJECT"}
	if out, err := exec.Command("nsenter", block...).CombinedOutput(); err != nil {
		t.Fatalf("block: %v %s", err, out)
	}
	r := swarmwiz(t, "create", "--config", plan, "--yes")
	if r.code != 1 || !strings.Contains(r.err, "node7: `docker swarm join --token SWMTKN-1-**** "+nodes[0].Address+":2377` failed") {
		t.Fatalf("want exit 1 naming node7 and its command, got %s", r)
	}
	noFullToken(t, r.out+r.err)
	if st := statusOf(t, "--lab", labName); len(st.Nodes) != 6 {
		t.Errorf("the six good nodes should have stayed: %+v", st)
	}
	block[2] = "-D"
	if out, err := exec.Command("nsenter", block...).CombinedOutput(); err != nil {
		t.Fatalf("unblock: %v %s", err, out)
	}
	r = swarmwiz(t, "create", "--config", plan, "--yes")
	if r.code != 0 || !strings.Contains(r.out, "node7 joined as a worker") {
		t.Fatalf("re-run: %s", r)
	}
	if st := statusOf(t, "--lab", labName); len(st.Nodes) != 7 {
		t.Errorf("after the re-run: %+v", st)
	}
}

// --dry-run reads the nodes, lists init and every join per node, and changes nothing.
func TestDryRunChangesNothing(t *testing.T) {
	nodes := sharedLab(t)
	r := swarmwiz(t, "create", "--config", writePlan(t, nodes, 7), "--dry-run")
	if r.code != 0 {
		t.Fatalf("dry run: %s", r)
	}
	if !strings.Contains(r.out, "would run on node1: docker swarm init --advertise-addr "+nodes[0].Address) {
		t.Errorf("no init line:\n%s", r.out)
	}
	for _, n := range nodes[1:] {
		if !strings.Contains(r.out, "would run on "+n.Name+": docker swarm join --token SWMTKN-1-****") {
			t.Errorf("no join line for %s:\n%s", n.Name, r.out)
		}
	}
	for _, n := range labStatus(t, labName) {
		if n.Swarm != "inactive" {
			t.Errorf("%s changed by a dry run: %s", n.Name, n.Swarm)
		}
	}
}

// The ten malformed plans each exit 2 with the line and reason, before touching any node.
func TestMalformedPlansRefused(t *testing.T) {
	files, _ := filepath.Glob("../plan/testdata/malformed/*.yaml")
	if len(files) != 10 {
		t.Fatalf("want 10 malformed plans, found %d", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		want, _, _ := strings.Cut(string(b), "\n")
		want = f + strings.TrimPrefix(want, "# want: ")
		r := swarmwiz(t, "create", "--config", f, "--yes")
		if r.code != 2 || !strings.Contains(r.err, want) {
			t.Errorf("%s: want exit 2 and %q, got %s", f, want, r)
		}
	}
}

// checkSavedPlan: mode 0600, the planned nodes, and no secret in it.
func checkSavedPlan(t *testing.T, path string, nodes int) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("plan not saved: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("plan mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if strings.Count(string(b), "- host:") != nodes || strings.Contains(string(b), "SWMTKN") || strings.Contains(strings.ToLower(string(b)), "password:") {
		t.Errorf("saved plan:\n%s", b)
	}
}
