//go:build linux

package e2e

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A lab on a 10.x network, as many offices and clouds are: docker's default overlay pool
// 10.0.0.0/8 would overlap it, so the wizard proposes another; an overlay network created on
// the result takes its subnet from that pool and not from the nodes' network. A pool the user
// gives over the nodes' network is refused (exit 2) before anything changes.
func TestAddressPoolAvoidsTheNodesNetwork(t *testing.T) {
	needLab(t)
	const name, subnet = "e2epool", "10.123.0.0/24"
	if r := swarmwiz(t, "lab", "up", "--name", name, "--nodes", "2", "--subnet", subnet); r.code != 0 {
		t.Fatalf("lab up: %s", r)
	}
	t.Cleanup(func() { swarmwiz(t, "lab", "down", "--name", name) })
	nodes := labStatus(t, name)
	for _, args := range [][]string{
		{"--default-addr-pool", "10.123.0.0/16"},
		{"--default-addr-pool", "10.300.0.0/16"},
		{"--data-path-port", "80"},
	} {
		r := swarmwiz(t, append([]string{"create", "--lab", name, "--managers", "1", "--yes", "--check=false", "--advertise-addr", nodes[0].Address}, args...)...)
		// One line of refusal; a refusal once nodes were read follows the account, which says
		// nothing changed.
		lines := strings.Split(strings.TrimSpace(r.err), "\n")
		if r.code != 2 || !strings.HasPrefix(lines[len(lines)-1], "swarmwiz: ") || len(lines) > 1 && !strings.Contains(r.err, "Nothing was changed on any node") {
			t.Errorf("%v: want exit 2 and one line: %s", args, r)
		}
		if s := ssh(t, nodes[0], "docker info --format '{{.Swarm.LocalNodeState}}'"); s != "inactive" {
			t.Fatalf("%v changed node1: its swarm state is %s", args, s)
		}
	}
	r := swarmwiz(t, "create", "--lab", name, "--managers", "1", "--yes", "--check=false", "--advertise-addr", nodes[0].Address)
	if r.code != 0 || !strings.Contains(r.out, "overlaps node1's network "+subnet) || !strings.Contains(r.out, "swarmwiz proposes 10.200.0.0/16") {
		t.Fatalf("create on a 10.x lab: want the pool proposed: %s", r)
	}
	ssh(t, nodes[0], "docker network create -d overlay pooltest")
	got, err := netip.ParsePrefix(ssh(t, nodes[0], "docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' pooltest"))
	if err != nil {
		t.Fatal(err)
	}
	if !netip.MustParsePrefix("10.200.0.0/16").Contains(got.Addr()) || got.Overlaps(netip.MustParsePrefix(subnet)) {
		t.Errorf("the overlay took %s: want a subnet of 10.200.0.0/16, clear of %s", got, subnet)
	}
}

// The init options on the seed's swarm: a VXLAN port of 5789 (docker info shows it, and the
// check proves the overlay works on it), drained managers (the check runs on the workers),
// autolock (the unlock key only in the named 0600 file; a restarted manager is locked, status
// says so, `swarmwiz unlock` typed on a terminal brings it back), a 1h certificate lifetime
// (status warns), and rotate-tokens (the old worker token is refused, the new one works).
func TestInitOptionsInTheLab(t *testing.T) {
	nodes := sharedLab(t)
	freshDaemons(t, nodes)
	keyFile := filepath.Join(t.TempDir(), "unlock.key")
	plan := filepath.Join(t.TempDir(), "plan.yaml")
	r := createSeed(t, "--check=false", "--data-path-port", "5789", "--manager-availability", "drain", "--autolock",
		"--unlock-key-file", keyFile, "--cert-expiry", "1h", "--save-plan", plan)
	info, err := os.Stat(keyFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("unlock key file: %v %v", info, err)
	}
	b, _ := os.ReadFile(keyFile)
	key := strings.TrimSpace(string(b))
	if !strings.HasPrefix(key, "SWMKEY-1-") {
		t.Fatalf("unlock key file holds %q", key)
	}
	planText, _ := os.ReadFile(plan)
	if strings.Contains(r.out+r.err+string(planText), key) || !strings.Contains(string(planText), "autolock: true") {
		t.Errorf("the unlock key left its file (or the plan lost autolock):\n%s\n%s", r, planText)
	}
	if p := ssh(t, nodes[0], "docker info --format '{{.Swarm.Cluster.DataPathPort}}'"); p != "5789" {
		t.Errorf("docker info: data path port %q, want 5789", p)
	}
	for _, row := range nodeLs(t, nodes[0]) {
		if row["ManagerStatus"] != "" && row["Availability"] != "Drain" {
			t.Errorf("manager %v: not drained", row)
		}
	}
	if c := swarmwiz(t, "check", "--lab", labName); c.code != 0 || !strings.Contains(c.out+c.err, "✓ 12 of 12 directed pairs work over the overlay") {
		t.Errorf("check on VXLAN port 5789, the 4 workers only: %s", c)
	}
	if s := swarmwiz(t, "status", "--lab", labName); !strings.Contains(s.out+s.err, "This swarm's certificates last 1h (--cert-expiry)") {
		t.Errorf("status with 1h certificates: no warning: %s", s)
	}

	// A manager's docker restarts: locked until unlocked.
	swarmwiz(t, "lab", "stop", "--name", labName, "node2")
	swarmwiz(t, "lab", "start", "--name", labName, "node2")
	if !waitFor(30*time.Second, func() bool {
		return ssh(t, nodes[1], "docker info --format '{{.Swarm.LocalNodeState}}'") == "locked"
	}) {
		t.Fatalf("node2 is not locked after its docker restarted")
	}
	if s := swarmwiz(t, "status", "--lab", labName); s.code != 3 || !strings.Contains(s.out+s.err, "node2 is locked") {
		t.Errorf("status with node2 locked: want exit 3 and the reason: %s", s)
	}
	p := startPTY(t, nil, "unlock", "--lab", labName)
	p.expect("Unlock key (SWMKEY-1-...):")
	p.send(strings.Split(key, "")...)
	p.send(keyEnter)
	if code := p.wait(); code != 0 || !strings.Contains(p.text(), "node2 unlocked") {
		t.Fatalf("unlock: exit %d\n%s", code, p.text())
	}
	if strings.Contains(p.text(), key) {
		t.Errorf("the typed key was echoed")
	}
	if !waitFor(30*time.Second, func() bool {
		for _, row := range nodeLs(t, nodes[0]) {
			if row["Hostname"] == "node2" {
				return row["ManagerStatus"] == "Reachable"
			}
		}
		return false
	}) {
		t.Errorf("node2 is not Reachable after unlock")
	}

	// After the workshop: new tokens; the old worker token no longer joins.
	old := ssh(t, nodes[0], "docker swarm join-token -q worker")
	ssh(t, nodes[6], "docker swarm leave")
	ssh(t, nodes[0], "docker node rm --force node7")
	rt := swarmwiz(t, "rotate-tokens", "--lab", labName)
	if rt.code != 0 || !strings.Contains(rt.out, "worker SWMTKN-1-****") {
		t.Fatalf("rotate-tokens: %s", rt)
	}
	fresh := ssh(t, nodes[0], "docker swarm join-token -q worker")
	if fresh == old || strings.Contains(rt.out+rt.err, fresh) {
		t.Fatalf("rotate-tokens: the token did not change, or was printed")
	}
	if out, err := sshTry(nodes[6], "docker swarm join --token "+old+" "+nodes[0].Address+":2377"); err == nil {
		t.Errorf("the old worker token still joins: %s", out)
	}
	ssh(t, nodes[6], "docker swarm join --token "+fresh+" "+nodes[0].Address+":2377")

	// A new unlock key on a terminal: shown once, then written where the user says (0600).
	p = startPTY(t, nil, "rotate-tokens", "--lab", labName, "--rotate-unlock-key")
	p.expect("The unlock key, shown this once (it is never printed again): ")
	p.expect("Also write the unlock key to a file")
	newFile := filepath.Join(t.TempDir(), "new.key")
	p.send(strings.Split(newFile, "")...)
	p.send(keyEnter)
	if code := p.wait(); code != 0 {
		t.Fatalf("rotate-tokens --rotate-unlock-key: exit %d\n%s", code, p.text())
	}
	b, _ = os.ReadFile(newFile)
	newKey := strings.TrimSpace(string(b))
	info, err = os.Stat(newFile)
	if err != nil || info.Mode().Perm() != 0o600 || !strings.HasPrefix(newKey, "SWMKEY-1-") || newKey == key {
		t.Fatalf("the new unlock key file: %v %v %q", info, err, newKey)
	}
	if n := strings.Count(p.text(), newKey); n != 1 {
		t.Errorf("the new unlock key is on the screen %d times, want once:\n%s", n, p.text())
	}
}
