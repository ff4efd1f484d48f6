//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/lab"
)

// Each node answers over real SSH, with strict host key checking against the lab's
// known_hosts, as its own host: hostname and docker's idea of its name agree and differ
// from every other node's.
func TestLabNodesAreDistinctHosts(t *testing.T) {
	nodes := sharedLab(t)
	if len(nodes) != 7 {
		t.Fatalf("want 7 nodes, got %d", len(nodes))
	}
	seen := map[string]bool{}
	for _, n := range nodes {
		if !n.SSHD || !n.Dockerd {
			t.Errorf("%s: sshd %v dockerd %v", n.Name, n.SSHD, n.Dockerd)
		}
		host := ssh(t, n, "hostname")
		engine := ssh(t, n, "docker info --format '{{.Name}}'")
		if host != n.Name || engine != n.Name {
			t.Errorf("%s: hostname %q, docker info name %q", n.Name, host, engine)
		}
		if seen[host] {
			t.Errorf("hostname %q answered twice", host)
		}
		seen[host] = true
	}
}

// Two nodes form a swarm with plain docker commands over SSH: the lab is a real network.
func TestLabTwoNodesFormASwarmByHand(t *testing.T) {
	nodes := sharedLab(t)
	a, b := nodes[0], nodes[1]
	ssh(t, a, "docker swarm init --advertise-addr "+a.Address)
	token := ssh(t, a, "docker swarm join-token -q worker")
	ssh(t, b, "docker swarm join --token "+token+" "+a.Address+":2377")
	rows := nodeLs(t, a)
	if len(rows) != 2 {
		t.Fatalf("want 2 nodes in the swarm, got %v", rows)
	}
	for _, r := range rows {
		if r["Status"] != "Ready" {
			t.Errorf("%s is %s", r["Hostname"], r["Status"])
		}
	}
}

// A stopped node is reported down and answers nothing; started again it is back.
func TestLabStopStartNode(t *testing.T) {
	nodes := sharedLab(t)
	n := nodes[6]
	keep := containerOn(t, n)
	if r := swarmwiz(t, "lab", "stop", "--name", labName, n.Name); r.code != 0 {
		t.Fatalf("lab stop: %s", r)
	}
	// As a machine powered off: what ran on it, its containers too, is gone.
	if keep.alive() {
		t.Errorf("a container of %s outlived lab stop (pid %d)", n.Name, keep.pid)
	}
	st := labStatus(t, labName)[6]
	if st.SSHD || st.Dockerd {
		t.Errorf("after stop: %+v", st)
	}
	if _, err := sshTry(n, "true"); err == nil {
		t.Errorf("ssh to a stopped node succeeded")
	}
	if r := swarmwiz(t, "lab", "start", "--name", labName, n.Name); r.code != 0 {
		t.Fatalf("lab start: %s", r)
	}
	if got := ssh(t, n, "hostname"); got != n.Name {
		t.Errorf("after start: hostname %q", got)
	}
}

// Bad flags are refused in one line with exit 2, and nothing is created.
func TestLabUpRefusesBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"--nodes", "0"}, {"--nodes", "61"}, {"--nodes", "abc"},
		{"--subnet", "300.1.1.0/24"}, {"--nodes", "7", "--subnet", "198.19.0.0/29"},
	} {
		r := swarmwiz(t, append([]string{"lab", "up", "--name", "e2edown"}, args...)...)
		lines := strings.Split(strings.TrimSpace(r.err), "\n")
		if r.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], args[len(args)-2]) {
			t.Errorf("%v: want exit 2 and one line naming the flag, got %s", args, r)
		}
		if strings.Contains(netState(t), "e2edown") {
			t.Fatalf("%v created something:\n%s", args, netState(t))
		}
	}
}

// Up twice and down twice are harmless, and down leaves nothing: no namespace, link,
// firewall rule, cgroup or process of the lab, the containers running on its nodes included.
func TestLabUpDownIdempotentAndClean(t *testing.T) {
	for i := 0; i < 2; i++ {
		r := swarmwiz(t, "lab", "up", "--name", "e2edown", "--nodes", "2", "--subnet", "198.19.0.0/24")
		if r.code != 0 {
			t.Fatalf("lab up #%d: %s", i+1, r)
		}
		if i == 1 && !strings.Contains(r.out, "already up") {
			t.Errorf("second lab up should say the lab is already up:\n%s", r)
		}
	}
	before := netState(t)
	for _, want := range []string{"swz-e2edown-1", "sw-e2edown-2", "swb-e2edown", "swarmwiz-lab-e2edown"} {
		if !strings.Contains(before, want) {
			t.Fatalf("lab up left no %s:\n%s", want, before)
		}
	}
	var containers []proc
	for _, n := range labStatus(t, "e2edown") {
		containers = append(containers, containerOn(t, n))
	}
	for i := 0; i < 2; i++ {
		if r := swarmwiz(t, "lab", "down", "--name", "e2edown"); r.code != 0 {
			t.Fatalf("lab down #%d: %s", i+1, r)
		}
	}
	if after := netState(t); strings.Contains(after, "e2edown") {
		t.Errorf("lab down left:\n%s", after)
	}
	for i, c := range containers {
		if c.alive() {
			t.Errorf("a container of node%d outlived lab down (pid %d)", i+1, c.pid)
		}
	}
	if groups := labCgroups("e2edown"); len(groups) > 0 {
		t.Errorf("lab down left cgroups: %v", groups)
	}
	ps, _ := exec.Command("ps", "-eo", "args").Output()
	for _, line := range strings.Split(string(ps), "\n") {
		if strings.Contains(line, "/lab/e2edown/") {
			t.Errorf("process left: %s", line)
		}
	}
}

// netState is what the acceptance names: namespaces, links and firewall rules.
func netState(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, c := range [][]string{{"ip", "netns", "list"}, {"ip", "link"}, {"iptables", "-S"}} {
		out, err := exec.Command(c[0], c[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		b.Write(out)
	}
	return b.String()
}

// All lab nodes share this machine's kernel and its one neighbour table: labs of many nodes
// in all raise its limits (30 nodes overflowed the default 1024 and dropped overlay packets
// between random pairs), and keep this machine's own values to put back after the last lab.
func TestLabRaisesTheSharedNeighbourTable(t *testing.T) {
	defer swarmwiz(t, "lab", "down", "--name", "e2edown")
	if r := swarmwiz(t, "lab", "up", "--name", "e2edown", "--nodes", "12", "--subnet", "198.19.0.0/24"); r.code != 0 {
		t.Fatalf("lab up: %s", r)
	}
	total := 0
	for _, name := range lab.Names() {
		if inv, err := lab.Load(name); err == nil {
			total += len(inv.Nodes)
		}
	}
	need := lab.NeighNeed(total)
	var got [3]int
	for i, k := range []string{"gc_thresh1", "gc_thresh2", "gc_thresh3"} {
		b, err := os.ReadFile("/proc/sys/net/ipv4/neigh/default/" + k)
		if err != nil {
			t.Fatal(err)
		}
		if got[i], _ = strconv.Atoi(strings.TrimSpace(string(b))); got[i] < need[i] {
			t.Errorf("%d lab nodes in all: %s is %d, want at least %d", total, k, got[i], need[i])
		}
	}
	saved, err := os.ReadFile(filepath.Join(lab.StateRoot, "neigh-limits"))
	// Where the lab raised them (they are exactly what it needs), this machine's own are kept.
	if got == need && err != nil {
		t.Errorf("the machine's own limits were not kept to put back: %v", err)
	}
	t.Logf("%d nodes in all; kept: %s", total, strings.TrimSpace(string(saved)))
}
