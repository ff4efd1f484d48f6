//go:build linux

package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// createSeed builds the seed's swarm without a terminal (the flags answer every question).
// createSeed builds the seed's swarm on the shared lab, off a terminal: 3 managers unless
// extra says otherwise, node1 advertising its lab address.
func createSeed(t *testing.T, extra ...string) result {
	t.Helper()
	args := []string{"create", "--lab", labName, "--yes", "--advertise-addr", labStatus(t, labName)[0].Address}
	if !slices.Contains(extra, "--managers") {
		args = append(args, "--managers", "3")
	}
	r := swarmwiz(t, append(args, extra...)...)
	if r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	return r
}

func hostnamesOf(rows []map[string]any) map[string]bool {
	m := map[string]bool{}
	for _, r := range rows {
		m[r["Hostname"].(string)] = true
	}
	return m
}

// `swarmwiz leave` removes a worker, and a manager by demoting it first; the table printed
// after, and docker itself, show both gone.
func TestLeaveWorkerAndManager(t *testing.T) {
	nodes := sharedLab(t)
	createSeed(t)
	r := swarmwiz(t, "leave", "--lab", labName, "--explain", "node7", "node3")
	if r.code != 0 {
		t.Fatalf("leave: %s", r)
	}
	for _, want := range []string{"docker node demote -- node3", "docker swarm leave", "docker node rm",
		"! After node3 leaves, 2 managers need 2 to agree and tolerate 0 failures, no more than 1 manager does"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("leave --explain does not show %q:\n%s", want, r.out)
		}
	}
	rows := tableRows(t, r.out)
	if len(rows) != 5 {
		t.Errorf("table after leave: want 5 rows, got %d\n%s", len(rows), r.out)
	}
	for _, row := range rows {
		if row[1] == "node7" || row[1] == "node3" {
			t.Errorf("%s still listed: %v", row[1], row)
		}
	}
	back := hostnamesOf(nodeLs(t, nodes[0]))
	if back["node7"] || back["node3"] || len(back) != 5 {
		t.Errorf("docker node ls after leave: %v", back)
	}
	if !strings.Contains(r.out, "2 managers: quorum 2, tolerates 0 failures") {
		t.Errorf("quorum health after leave:\n%s", r.out)
	}
	for _, n := range []labNode{nodes[6], nodes[2]} {
		if got := ssh(t, n, "docker info --format '{{.Swarm.LocalNodeState}}'"); got != "inactive" {
			t.Errorf("%s is still %s", n.Name, got)
		}
	}
}

// Removing a manager of 3 while another manager is stopped would lose quorum: refused with
// the reason, nothing changed; --force is the explained way past it.
func TestLeaveRefusesToLoseQuorum(t *testing.T) {
	nodes := sharedLab(t)
	createSeed(t)
	stopNode(t, "node3")
	r := swarmwiz(t, "leave", "--lab", labName, "node2")
	if r.code != 2 || !strings.Contains(r.err, "refusing to remove manager node2") || !strings.Contains(r.err, "--force") {
		t.Fatalf("want a refusal naming --force, got %s", r)
	}
	if !strings.Contains(r.err, "Nothing was changed on any node") {
		t.Errorf("no account:\n%s", r.err)
	}
	if got := ssh(t, nodes[1], "docker info --format '{{.Swarm.ControlAvailable}}'"); got != "true" {
		t.Errorf("node2 is no longer a manager: %s", got)
	}
}

// The last manager ends the swarm only when confirmed.
func TestLeaveLastManagerNeedsConfirmation(t *testing.T) {
	nodes := sharedLab(t)
	createSeed(t, "--managers", "1")
	r := swarmwiz(t, "leave", "--lab", labName, "node1")
	if r.code != 2 || !strings.Contains(r.err, "pass --yes") {
		t.Fatalf("want a request for --yes, got %s", r)
	}
	r = swarmwiz(t, "leave", "--lab", labName, "--yes", "node1")
	if r.code != 0 || !strings.Contains(r.out, "the swarm has ended") {
		t.Fatalf("leave --yes: %s", r)
	}
	if got := ssh(t, nodes[0], "docker info --format '{{.Swarm.LocalNodeState}}'"); got != "inactive" {
		t.Errorf("node1 still %s", got)
	}
}

// Join tokens are masked everywhere unless --show-tokens; with it, the real one is shown.
func TestTokensMaskedUnlessAsked(t *testing.T) {
	nodes := sharedLab(t)
	r := createSeed(t, "--explain", "--managers", "1")
	noFullToken(t, r.out+r.err)
	if !strings.Contains(r.out, "docker swarm join --token SWMTKN-1-**** ") {
		t.Errorf("--explain does not show the masked join command:\n%s", r.out)
	}
	sharedLab(t)
	r = createSeed(t, "--explain", "--show-tokens", "--managers", "1")
	token := ssh(t, nodes[0], "docker swarm join-token -q worker")
	if !strings.Contains(r.out, token) {
		t.Errorf("--show-tokens does not show the worker token %s:\n%s", token, r.out)
	}
}

// A worker whose machine is dead (stopped) cannot leave by itself: without --force that is
// refused with the reason; with it a manager removes the node.
func TestLeaveDownNodeNeedsForce(t *testing.T) {
	nodes := sharedLab(t)
	createSeed(t)
	stopNode(t, "node7")
	// The managers notice a dead node at its missed heartbeats: wait for that, bounded.
	deadline := time.Now().Add(60 * time.Second)
	for down := false; !down; time.Sleep(500 * time.Millisecond) {
		for _, r := range nodeLs(t, nodes[0]) {
			down = down || r["Hostname"] == "node7" && r["Status"] == "Down"
		}
		if time.Now().After(deadline) {
			t.Fatal("node7 never showed as Down")
		}
	}
	r := swarmwiz(t, "leave", "--lab", labName, "node7")
	if r.code != 2 || !strings.Contains(r.err, "pass --force") {
		t.Fatalf("want a request for --force, got %s", r)
	}
	r = swarmwiz(t, "leave", "--lab", labName, "--force", "node7")
	if r.code != 0 || hostnamesOf(nodeLs(t, nodes[0]))["node7"] {
		t.Fatalf("leave --force of a down node: %s", r)
	}
}

// promote warns when it makes the manager count even; demote refuses, without --force, to
// leave too few reachable managers for a quorum (one of three is down).
func TestPromoteDemoteQuorumGuard(t *testing.T) {
	sharedLab(t)
	createSeed(t)
	r := swarmwiz(t, "promote", "--lab", labName, "node4")
	if r.code != 0 || !strings.Contains(r.out, "4 managers need 3 to agree and tolerate 1 failure, no more than 3 managers do") {
		t.Errorf("promote to 4 managers: want exit 0 and the even-count warning: %s", r)
	}
	if role := statusRole(t, "node4"); role != "Reachable" {
		t.Errorf("node4 after promote: %q", role)
	}
	if r := swarmwiz(t, "demote", "--lab", labName, "node4"); r.code != 0 || statusRole(t, "node4") != "" {
		t.Errorf("demote node4 back: %s", r)
	}
	// Demoting the leader: the table printed is docker's settled one, read from a manager of
	// now: no node Unknown, the old leader a worker, 2 managers reachable. Then it is a manager
	// again, for what follows.
	leader := ""
	_, st := statusCode(t)
	for _, n := range st["nodes"].([]any) {
		if m := n.(map[string]any); m["managerStatus"] == "Leader" {
			leader = m["hostname"].(string)
		}
	}
	r = swarmwiz(t, "demote", "--lab", labName, leader)
	if r.code != 0 || strings.Contains(r.out, "Unknown") || !strings.Contains(r.out, "2 managers: quorum 2, tolerates 0 failures; 2 reachable") {
		t.Errorf("demote the leader %s: want docker's settled table (2 managers, 2 reachable, nobody Unknown): %s", leader, r)
	}
	if role := statusRole(t, leader); role != "" {
		t.Errorf("%s after demote: %q", leader, role)
	}
	p := swarmwiz(t, "promote", "--lab", labName, leader)
	if p.code != 0 {
		t.Fatalf("promote %s back: %s", leader, p)
	}
	if strings.Count(p.out, leader+" promoted to manager, reachable after") != 1 {
		t.Errorf("promote: one line for the promotion and its wait: %s", p)
	}
	stopNode(t, "node3")
	r = swarmwiz(t, "demote", "--lab", labName, "node2")
	if r.code != 2 || !strings.Contains(r.err, "refusing to demote: of 3 managers 2 are reachable; 2 managers need 2 for quorum and only 1 would be left") {
		t.Errorf("demoting the second-to-last reachable manager must be refused: %s", r)
	}
	if role := statusRole(t, "node2"); role == "" {
		t.Errorf("node2 was demoted although refused")
	}
}

// statusRole is the node's MANAGER STATUS in `status -o json` ("" for a worker).
func statusRole(t *testing.T, host string) string {
	t.Helper()
	_, st := statusCode(t)
	for _, n := range st["nodes"].([]any) {
		if m := n.(map[string]any); m["hostname"] == host {
			return m["managerStatus"].(string)
		}
	}
	t.Fatalf("%s not listed: %v", host, st)
	return ""
}

// swarmState is the node's own swarm state, as its docker says it.
func swarmState(t *testing.T, n labNode) string {
	t.Helper()
	return strings.TrimSpace(ssh(t, n, "docker info --format '{{.Swarm.LocalNodeState}}'"))
}

// Leaving every manager and a worker, managers typed first: the worker leaves first and the
// swarm ends on its last manager, each node's own docker out of the swarm. The workers left
// out are orphaned (no manager anywhere): one is made to leave. Then a plan whose first
// manager is a worker of another swarm builds with --leave-other-swarms.
func TestLeaveEveryManagerThenRebuild(t *testing.T) {
	nodes := sharedLab(t)
	createSeed(t)
	r := swarmwiz(t, "leave", "--lab", labName, "--yes", "node1", "node2", "node3", "node4")
	if r.code != 0 {
		t.Fatalf("leave every manager and node4: %s", r)
	}
	for _, n := range nodes[:4] {
		if s := swarmState(t, n); s != "inactive" {
			t.Errorf("%s after leave: %s", n.Name, s)
		}
	}
	r = swarmwiz(t, "leave", "--lab", labName, "--yes", "node5")
	if r.code != 0 || !strings.Contains(r.out, "node5 is a worker of a swarm that has no manager left") || swarmState(t, nodes[4]) != "inactive" {
		t.Errorf("the orphaned node5 must be made to leave: %s", r)
	}
	// node1 becomes a worker of another swarm, started on node2.
	ssh(t, nodes[1], "docker swarm init --advertise-addr "+nodes[1].Address)
	token := strings.TrimSpace(ssh(t, nodes[1], "docker swarm join-token -q worker"))
	ssh(t, nodes[0], "docker swarm join --token "+token+" "+nodes[1].Address+":2377")
	args := []string{"create", "--lab", labName, "--yes", "--managers", "3", "--advertise-addr", nodes[0].Address}
	if r := swarmwiz(t, args...); r.code != 2 || !strings.Contains(r.err, "--leave-other-swarms") {
		t.Errorf("node1, a worker of another swarm, first manager without the flag: want exit 2 naming it: %s", r)
	}
	if r := swarmwiz(t, append(args, "--leave-other-swarms")...); r.code != 0 {
		t.Fatalf("with --leave-other-swarms: %s", r)
	}
	planned(t, nodes[0], nodes, 3)
}
