//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// swarmStates is each node's LocalNodeState, read over SSH: what "nothing changed" means.
func swarmStates(t *testing.T, nodes []labNode) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range nodes {
		out[n.Name] = ssh(t, n, "docker info --format '{{.Swarm.LocalNodeState}}'")
	}
	return out
}

// planned checks the result every convergence test wants: one entry per node, none Down,
// every node Ready, and the planned number of managers, as docker itself lists them.
func planned(t *testing.T, manager labNode, nodes []labNode, managers int) {
	t.Helper()
	rows := nodeLs(t, manager)
	seen := map[string]int{}
	m := 0
	for _, r := range rows {
		seen[r["Hostname"].(string)]++
		if r["Status"] != "Ready" {
			t.Errorf("%v is not Ready", r)
		}
		if r["ManagerStatus"] != "" {
			m++
		}
	}
	for _, n := range nodes {
		if seen[n.Name] != 1 {
			t.Errorf("%s is listed %d times: %v", n.Name, seen[n.Name], rows)
		}
	}
	if len(rows) != len(nodes) || m != managers {
		t.Errorf("want %d nodes and %d managers, got %d and %d: %v", len(nodes), managers, len(rows), m, rows)
	}
}

// (1) A manager join that fails half-way leaves a stale entry: 2377 dropped on node2, the
// first manager cannot connect back to it. Preflight now sees that before anything changes;
// a stale entry made by such a join (here by hand) is removed on the next run, and node2
// joins again as itself.
func TestStaleManagerEntryRemoved(t *testing.T) {
	nodes := sharedLab(t)
	plan := writePlan(t, nodes, 7)
	drop := []string{"iptables", "-I", "INPUT", "-p", "tcp", "--dport", "2377", "-j", "DROP"}
	inNode(t, 2, "net", drop...)
	undo := func() { inNode(t, 2, "net", "iptables", "-D", "INPUT", "-p", "tcp", "--dport", "2377", "-j", "DROP") }
	r := swarmwiz(t, "create", "--config", plan, "--yes")
	if r.code == 0 || !strings.Contains(r.out, "reach node2 ("+nodes[1].Address+"):2377") || !strings.Contains(r.out, "the leader connects back") {
		t.Errorf("preflight should name node1 → node2:2377:\n%s", r)
	}
	allInactive(t)

	// The half-state, made by hand: init on node1, node2's manager join fails.
	ssh(t, nodes[0], "docker swarm init --advertise-addr "+nodes[0].Address)
	token := ssh(t, nodes[0], "docker swarm join-token -q manager")
	out, err := sshTry(nodes[1], "timeout 60 docker swarm join --token "+token+" "+nodes[0].Address+":2377")
	if err == nil {
		t.Fatalf("node2's join should fail with 2377 dropped:\n%s", out)
	}
	undo()
	if got := ssh(t, nodes[0], "docker node ls --format '{{.Hostname}} {{.Status}}'"); !strings.Contains(got, "node2") {
		t.Fatalf("the half-state was not made: no stale node2 entry after the failed join (docker said %s): %s", out, got)
	}
	r = swarmwiz(t, "create", "--config", plan, "--yes")
	if r.code != 0 {
		t.Fatalf("re-run: %s", r)
	}
	planned(t, nodes[0], nodes, 3)
	for _, want := range []string{"lists an entry", "named node2", "is removed before node2 joins again", "stale entry", "of node2 removed", "node2 joined as a manager"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("re-run output lacks %q:\n%s", want, r.out)
		}
	}
	for _, row := range nodeLs(t, nodes[0]) {
		if row["Hostname"] == "node2" && row["Status"] != "Ready" {
			t.Errorf("node2 is listed %v after the re-run:\n%s", row["Status"], r.out)
		}
	}
}

// sharedAddress gives every node an interface with addr (as VirtualBox NAT gives every VM
// 10.0.2.15): a veth pair with both ends inside the node, reachable from nowhere else.
func sharedAddress(t *testing.T, nodes []labNode, cidr string) {
	t.Helper()
	for i := range nodes {
		ns := fmt.Sprintf("swz-%s-%d", labName, i+1)
		for _, c := range [][]string{
			{"ip", "-n", ns, "link", "add", "swz0", "type", "veth", "peer", "name", "swz1"},
			{"ip", "-n", ns, "addr", "add", cidr, "dev", "swz0"},
			{"ip", "-n", ns, "link", "set", "swz0", "up"},
			{"ip", "-n", ns, "link", "set", "swz1", "up"},
		} {
			if out, err := runOut(c[0], c[1:]...); err != nil {
				t.Fatalf("%v: %v %s", c, err, out)
			}
		}
	}
}

func removeSharedAddress(nodes []labNode) {
	for i := range nodes {
		exec.Command("ip", "-n", fmt.Sprintf("swz-%s-%d", labName, i+1), "link", "del", "swz0").Run()
	}
}

// (2) and (3) An address every node has: refused before anything changes, with the first
// manager's own address offered. A one-node swarm that was started on such an address (by
// hand) is started again on the address asked for, never silently kept.
func TestSharedAdvertiseAddressAndCorrection(t *testing.T) {
	nodes := sharedLab(t)
	sharedAddress(t, nodes, "10.0.2.15/24")
	t.Cleanup(func() { removeSharedAddress(nodes) })
	r := swarmwiz(t, "create", "--lab", labName, "--managers", "3", "--advertise-addr", "10.0.2.15", "--yes")
	if r.code == 0 || !strings.Contains(r.out, "10.0.2.15 is also an address of node2") || !strings.Contains(r.out, nodes[0].Address+" (eth0)") {
		t.Errorf("an address every node has should be refused, offering node1's own:\n%s", r)
	}
	allInactive(t)

	// The half-state of an older run: node1 alone in a swarm on 10.0.2.15.
	ssh(t, nodes[0], "docker swarm init --advertise-addr 10.0.2.15")
	removeSharedAddress(nodes)
	r = swarmwiz(t, "create", "--lab", labName, "--managers", "3", "--advertise-addr", nodes[0].Address, "--yes")
	if r.code != 0 {
		t.Fatalf("re-run with the right address: %s", r)
	}
	if !strings.Contains(r.out, "advertises 10.0.2.15, not "+nodes[0].Address) {
		t.Errorf("the old address was not named:\n%s", r.out)
	}
	planned(t, nodes[0], nodes, 3)
	if got := ssh(t, nodes[0], "docker info --format '{{.Swarm.NodeAddr}}'"); got != nodes[0].Address {
		t.Errorf("node1 advertises %s, want %s", got, nodes[0].Address)
	}
}

// (4) Roles as they are, not as planned: a swarm built with 1 manager, re-run with a plan of
// 3, shows node2 and node3 as workers to promote, and ends with 3 managers; a 4th manager
// made by hand is demoted back to the plan's 3.
func TestRolesConvergeToThePlan(t *testing.T) {
	nodes := sharedLab(t)
	createSeed(t, "--managers", "1")
	r := createSeed(t, "--managers", "3")
	if !strings.Contains(r.out, "worker → manager") || strings.Contains(r.out, "Nothing to do") {
		t.Errorf("the summary should show node2 and node3 becoming managers:\n%s", r.out)
	}
	planned(t, nodes[0], nodes, 3)
	ssh(t, nodes[0], "docker node promote node4")
	r = createSeed(t, "--managers", "3")
	if !strings.Contains(r.out, "manager → worker") {
		t.Errorf("the summary should show node4 going back to worker:\n%s", r.out)
	}
	planned(t, nodes[0], nodes, 3)
	if r := swarmwiz(t, "create", "--lab", labName, "--yes", "--advertise-addr", nodes[0].Address, "--managers", "4"); r.code != 2 || !strings.Contains(r.err, "4 managers") {
		t.Errorf("an even count must be refused as on a fresh run: %s", r)
	}
	planned(t, nodes[0], nodes, 3)
}

// (5) Ctrl-C while the workers join: every node that is in the swarm afterwards is in the
// account of what was done, whether its join returned before the interruption or completed
// on the node after it.
func TestCtrlCAccountListsCompletedJoins(t *testing.T) {
	nodes := sharedLab(t)
	book := filepath.Join(t.TempDir(), "interrupted.md")
	s := startPTY(t, nil, "create", "--lab", labName, "--managers", "1", "--advertise-addr", nodes[0].Address, "--yes", "--record", book)
	s.expect("Which node starts")
	s.send(keyEnter) // node1
	s.expect("workers joining")
	time.Sleep(150 * time.Millisecond)
	s.send(keyCtrlC)
	code := s.wait()
	out := s.text()
	if code != 130 {
		t.Fatalf("exit %d, want 130:\n%s", code, out)
	}
	i := strings.LastIndex(out, "Interrupted.")
	if i < 0 {
		t.Fatalf("no account of what was done:\n%s", out)
	}
	account := out[i:]
	t.Logf("account: %s", strings.TrimSpace(account))
	// The runbook says where the run stopped, with the same account, and leaves no code block open.
	if raw, err := os.ReadFile(book); err != nil || !strings.Contains(string(raw), "## Stopped during step") ||
		!strings.Contains(string(raw), "Interrupted.") || strings.Count(string(raw), "```")%2 != 0 {
		t.Errorf("the runbook of an interrupted run (%v):\n%s", err, raw)
	}
	for _, r := range nodeLs(t, nodes[0]) {
		h := r["Hostname"].(string)
		if h != "node1" && !strings.Contains(account, h+" joined") && !strings.Contains(account, h+"'s join as a worker was still under way") {
			t.Errorf("%s is in the swarm but not in the account:\n%s", h, account)
		}
	}
	// Running the same plan again finishes the job.
	createSeed(t, "--managers", "1")
	planned(t, nodes[0], nodes, 1)
}

// (6) Choosing "leave that swarm" for a node in another swarm changes nothing until the
// summary is confirmed; the first manager Enter picks is not that other swarm's manager.
func TestLeaveOtherSwarmWaitsForYes(t *testing.T) {
	nodes := sharedLab(t)
	ssh(t, nodes[2], "docker swarm init --advertise-addr "+nodes[2].Address)
	s := startPTY(t, nil)
	chooseLab(s)
	s.send(keyEnter) // the default first manager
	s.expect("Which address does node1 advertise?")
	s.send(keyEnter)
	s.expect("How many managers (1 to 7)?")
	s.send(keyEnter)
	s.expect("Choose 2 more managers")
	s.send(keyEnter) // node2 and node3
	availability(s, "What should node3 do?")
	s.send(keyEnter) // leave that swarm
	s.expect("Build this swarm now?")
	s.send("n", keyEnter)
	code := s.wait()
	out := s.text()
	if code == 0 || strings.Contains(out, "left its old swarm") {
		t.Errorf("declined: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "(leaves other swarm)") {
		t.Errorf("the summary should say node3 leaves its other swarm:\n%s", out)
	}
	st := swarmStates(t, nodes)
	if st["node3"] != "active" || st["node1"] != "inactive" {
		t.Errorf("declined, yet nodes changed: %v", st)
	}
	if got := ssh(t, nodes[2], "docker node ls --format '{{.Hostname}}'"); got != "node3" {
		t.Errorf("node3's own swarm changed: %q", got)
	}
	r := createSeed(t, "--leave-other-swarms")
	if r.code != 0 {
		t.Fatal(r)
	}
	planned(t, nodes[0], nodes, 3)
}

// Off a terminal nothing is guessed: each missing or meaningless answer is refused with
// exit 2 and one line naming the flag, and no node changes.
func TestOffTerminalInputsRefused(t *testing.T) {
	nodes := sharedLab(t)
	a := nodes[0].Address
	port0 := writePlan(t, nodes, 3)
	b, _ := os.ReadFile(port0)
	os.WriteFile(port0, []byte(strings.Replace(string(b), "  user: root\n", "  user: root\n  port: 0\n", 1)), 0o600)
	lab := []string{"--lab", labName, "--yes"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append([]string{"create", "--managers", "0", "--advertise-addr", a}, lab...), "--managers 0"},
		{append([]string{"create", "--advertise-addr", a}, lab...), "--managers N"},
		{append([]string{"create", "--managers", "3"}, lab...), "--advertise-addr IP"},
		{append([]string{"create", "--managers", "3", "--advertise-addr", a, "--ssh-port", "0"}, lab...), "--ssh-port 0"},
		{[]string{"create", "--config", port0, "--yes"}, "ssh.port 0"},
		{[]string{"create", "--host", a, "--host", "", "--managers", "1", "--advertise-addr", a, "--yes"}, "--host ''"},
		{[]string{"create", "--manager", a, "--worker", nodes[1].Address, "--managers", "2", "--advertise-addr", a, "--yes"}, "--managers 2 next to --manager/--worker"},
		{append([]string{"create", "node1", "--managers", "3", "--advertise-addr", a}, lab...), `"node1" is not a flag`},
		{append([]string{"create", "--managers", "abc"}, lab...), `--managers "abc": give a whole number`},
		{append([]string{"create", "--ssh-timeout", "-1"}, lab...), `--ssh-timeout "-1": give a duration`},
	} {
		r := swarmwiz(t, c.args...)
		if r.code != 2 || !strings.Contains(r.err, c.want) {
			t.Errorf("%v: want exit 2 naming %q, got %s", c.args, c.want, r)
		}
	}
	allInactive(t)
}

// status off a terminal with no nodes: with one practice lab on this machine it uses that
// lab and says so; with two it names status's own flags (not create's --managers or --yes).
func TestStatusFindsTheOnlyLab(t *testing.T) {
	sharedLab(t)
	createSeed(t, "--managers", "1")
	r := swarmwiz(t, "status")
	if r.code != 0 || !strings.Contains(r.err, `using the practice lab "e2e"`) || !strings.Contains(r.out, "Leader") {
		t.Errorf("status with the only lab: %s", r)
	}
	if r := swarmwiz(t, "lab", "up", "--name", "e2edown", "--nodes", "1", "--subnet", "198.19.0.0/24"); r.code != 0 {
		t.Fatalf("lab up e2edown: %s", r)
	}
	t.Cleanup(func() { swarmwiz(t, "lab", "down", "--name", "e2edown") })
	r = swarmwiz(t, "status")
	if r.code != 2 || !strings.Contains(r.err, "--lab NAME") || strings.Contains(r.err, "--managers") || strings.Contains(r.err, "--yes") {
		t.Errorf("status with two labs should name its own flags: %s", r)
	}
}

// A worker that goes down while the managers are still joining does not stop them: the
// managers complete, the other workers join, the stopped worker is named with what failed,
// and once it is back a re-run finishes the cluster.
func TestWorkerStoppedWhileManagersJoin(t *testing.T) {
	nodes := sharedLab(t)
	s := startPTY(t, nil, "create", "--lab", labName, "--managers", "3", "--advertise-addr", nodes[0].Address, "--yes")
	s.expect("Which node starts")
	s.send(keyEnter) // node1
	s.expect("Choose 2 more managers")
	s.send(keyEnter) // node2 and node3
	s.expect("joining as a manager")
	stopNode(t, "node7")
	code := s.wait()
	out := s.text()
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	if !strings.Contains(out, "node7") || !strings.Contains(out, "swarm join") {
		t.Errorf("the stopped worker and its command are not named:\n%s", out)
	}
	managers, workers := 0, map[string]bool{}
	for _, r := range nodeLs(t, nodes[0]) {
		switch ms, _ := r["ManagerStatus"].(string); {
		case ms == "Leader" || ms == "Reachable":
			managers++
		case ms == "":
			workers[r["Hostname"].(string)] = true
		}
	}
	if managers != 3 || len(workers) != 3 || workers["node7"] {
		t.Errorf("want 3 managers reachable and node4-6 as workers, got %d managers, workers %v\n%s", managers, workers, out)
	}
	if r := swarmwiz(t, "lab", "start", "--name", labName, "node7"); r.code != 0 {
		t.Fatal(r)
	}
	createSeed(t)
	planned(t, nodes[0], nodes, 3)
}

// One hand on a swarm at a time. Two creates of the same plan started together: both end
// well, one of them having waited for the other (told who holds the nodes), none advising
// to leave a healthy node, and the swarm is the plan's. Staggered (the second starts while
// the first is joining nodes): the second waits, then reads the swarm as the first left it
// and has nothing to do. With --lock-wait 0 it does not wait: exit 5, the holder named.
func TestTwoRunsAtOnce(t *testing.T) {
	nodes := sharedLab(t)
	args := []string{"create", "--lab", labName, "--yes", "--managers", "3", "--advertise-addr", nodes[0].Address}
	clean := func(who string, r result) {
		t.Helper()
		for _, bad := range []string{"swarm leave", "half-way", "already part of a swarm"} {
			if strings.Contains(r.out+r.err, bad) {
				t.Errorf("%s says %q:\n%s", who, bad, r)
			}
		}
	}
	var wg sync.WaitGroup
	rs := make([]result, 2)
	for i := range rs {
		wg.Add(1)
		go func() { defer wg.Done(); rs[i] = swarmwiz(t, args...) }()
	}
	wg.Wait()
	waited := 0
	for i, r := range rs {
		if r.code != 0 {
			t.Errorf("run %d at once: %s", i+1, r)
		}
		clean(fmt.Sprintf("run %d at once", i+1), r)
		if strings.Contains(r.out, "is held by another swarmwiz run") {
			waited++
		}
	}
	if waited == 0 {
		t.Errorf("neither run said it waited for the other:\n%s\n%s", rs[0], rs[1])
	}
	planned(t, nodes[0], nodes, 3)

	// Staggered, from a swarm that is not there yet.
	sharedLab(t)
	first := exec.Command(bin, args...)
	first.Env = englishEnv()
	out1 := &lockedBuffer{}
	first.Stdout, first.Stderr = out1, out1
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// It holds every node from the moment it looks for members.
	if !waitFor(time.Minute, func() bool { return strings.Contains(out1.String(), "Checking which nodes are already in the swarm") }) {
		t.Fatalf("the first run did not get to its members step:\n%s", out1.String())
	}
	busy := swarmwiz(t, append(args, "--lock-wait", "0")...)
	if busy.code != 5 || !strings.Contains(busy.err, "is still held by another swarmwiz run (root@") || !strings.Contains(busy.err, "swarmwiz create") {
		t.Errorf("--lock-wait 0 while the first run holds the nodes: want exit 5 naming the holder: %s", busy)
	}
	second := swarmwiz(t, args...)
	if err := first.Wait(); err != nil {
		t.Fatalf("the first run: %v\n%s", err, out1.String())
	}
	if second.code != 0 || !strings.Contains(second.out, "is held by another swarmwiz run") || !strings.Contains(second.out, "Nothing to do") {
		t.Errorf("the second run, started while the first joined nodes: want it to wait, then find nothing to do: %s", second)
	}
	clean("the staggered second run", second)
	planned(t, nodes[0], nodes, 3)
}
