//go:build linux

package e2e

import (
	"strings"
	"testing"
	"time"
)

// With two of three managers stopped, `recover --yes` off a terminal brings the swarm back:
// the surviving tasks are there, a service can be created, and the swarm has 3 managers again,
// all Reachable; once the stopped nodes are back, a second `recover` makes them join again.
// On a healthy swarm, recover refuses (exit 2) and changes nothing.
func TestRecoverLostQuorum(t *testing.T) {
	nodes := sharedLab(t)
	createSeed(t)
	if r := swarmwiz(t, "recover", "--lab", labName, "--yes"); r.code != 2 || !strings.Contains(r.err, "nothing to recover: the swarm has its quorum (3 of 3 managers reachable, 2 needed)") {
		t.Errorf("recover on a healthy swarm: want exit 2 and the reason: %s", r)
	}
	// An image the nodes have, for a service that must survive: the check loads it.
	swarmwiz(t, "check", "--lab", labName, "--quiet")
	image := strings.TrimSpace(ssh(t, nodes[0], "docker images --format '{{.Repository}}:{{.Tag}}' swarmwiz-probe | head -n 1"))
	ssh(t, nodes[0], "docker service create -d --name keep --replicas 2 --no-resolve-image --entrypoint /swarmwiz "+image+" probe serve")
	if !waitFor(60*time.Second, func() bool {
		return strings.Count(ssh(t, nodes[0], "docker service ps keep --filter desired-state=running --format '{{.CurrentState}}'"), "Running") == 2
	}) {
		t.Fatalf("the service never ran")
	}
	stopNode(t, "node2")
	stopNode(t, "node3")
	if code, _ := statusCode(t); code != 4 {
		t.Fatalf("two of three managers down: status exit %d, want 4", code)
	}
	r := swarmwiz(t, "recover", "--lab", labName, "--yes", "--explain")
	if r.code != 0 || !strings.Contains(r.out, "docker swarm init --force-new-cluster --advertise-addr "+nodes[0].Address) {
		t.Fatalf("recover: %s", r)
	}
	if !waitFor(30*time.Second, func() bool {
		return strings.Contains(ssh(t, nodes[0], "docker service ls --format '{{.Name}} {{.Replicas}}'"), "keep 2/2")
	}) {
		t.Errorf("the service that ran before is not still there with its tasks: %q", ssh(t, nodes[0], "docker service ps keep"))
	}
	ssh(t, nodes[0], "docker service create -d --name after --no-resolve-image --entrypoint /swarmwiz "+image+" probe serve")
	managers := func() (up, all int) {
		for _, row := range nodeLs(t, nodes[0]) {
			if ms := row["ManagerStatus"]; ms != "" {
				all++
				if ms == "Leader" || ms == "Reachable" {
					up++
				}
			}
		}
		return
	}
	if up, all := managers(); up != 3 || all != 3 {
		t.Errorf("after recover: %d of %d managers reachable, want 3 of 3", up, all)
	}

	// The stopped managers come back and rejoin on their own: the swarm is whole and healthy,
	// and a re-run of the plan puts the managers back where the plan has them, 3 of 3
	// reachable.
	swarmwiz(t, "lab", "start", "--name", labName, "node2")
	swarmwiz(t, "lab", "start", "--name", labName, "node3")
	var st map[string]any
	if !waitFor(90*time.Second, func() bool {
		var code int
		code, st = statusCode(t)
		return code == 0 && len(st["nodes"].([]any)) == 7
	}) {
		t.Fatalf("the stopped managers never came back: %v", st)
	}
	if r := swarmwiz(t, "recover", "--lab", labName, "--yes"); r.code != 2 || !strings.Contains(r.err, "nothing to recover") {
		t.Errorf("a second recover has nothing left to do: %s", r)
	}
	createSeed(t)
	if up, all := managers(); up != 3 || all != 3 || statusRole(t, "node2") == "" || statusRole(t, "node3") == "" {
		t.Errorf("after the plan's re-run: %d of %d managers reachable, node2 %q, node3 %q", up, all, statusRole(t, "node2"), statusRole(t, "node3"))
	}
}
