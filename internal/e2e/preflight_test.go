//go:build linux

package e2e

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/lab"
)

// inNode runs a command on the host inside one lab node's namespaces (net, uts or mount):
// how a test makes a fault on purpose.
func inNode(t *testing.T, node int, ns string, args ...string) {
	t.Helper()
	inLabNode(t, labName, node, ns, args...)
}

// inLabNode is inNode in the lab called lab.
func inLabNode(t *testing.T, lab string, node int, ns string, args ...string) {
	t.Helper()
	// A node's processes come and go (an sshd child per connection): enter through a
	// long-lived one, dockerd where it runs, and try again if the one chosen has just ended.
	var out []byte
	var err error
	var full []string
	for try := 0; try < 5; try++ {
		pids, perr := exec.Command("ip", "netns", "pids", "swz-"+lab+"-"+string(rune('0'+node))).Output()
		fields := strings.Fields(string(pids))
		if perr != nil || len(fields) == 0 {
			t.Fatalf("node%d has no processes: %v", node, perr)
		}
		pid := fields[0]
		for _, p := range fields {
			if comm, _ := os.ReadFile("/proc/" + p + "/comm"); strings.TrimSpace(string(comm)) == "dockerd" {
				pid = p
				break
			}
		}
		full = append([]string{"--target", pid, "--" + ns, "--"}, args...)
		if out, err = exec.Command("nsenter", full...).CombinedOutput(); err == nil || !strings.Contains(string(out), "No such file") {
			break
		}
	}
	if err != nil {
		t.Fatalf("nsenter %v: %v %s", full, err, out)
	}
}

// preflightRefuses runs the seed plan, which must stop in preflight (exit 1) with every
// want in its output, and must change no node.
func preflightRefuses(t *testing.T, nodes []labNode, wants ...string) result {
	t.Helper()
	r := swarmwiz(t, "create", "--config", writePlan(t, nodes, 7), "--yes")
	for _, w := range wants {
		if r.code != 1 || !strings.Contains(r.out+r.err, w) {
			t.Errorf("want exit 1 and %q, got %s", w, r)
		}
	}
	allInactive(t)
	return r
}

func allInactive(t *testing.T) {
	t.Helper()
	for _, n := range labStatus(t, labName) {
		// "unknown": the test stopped that node's dockerd itself.
		if n.Swarm != "inactive" && n.Swarm != "unknown" {
			t.Errorf("%s changed: swarm %s", n.Name, n.Swarm)
		}
	}
}

// Port 2377 dropped on the first manager: preflight names every node that cannot reach it,
// with the fix, and nothing changes anywhere.
func TestPreflightBlockedPort(t *testing.T) {
	nodes := sharedLab(t)
	inNode(t, 1, "net", "iptables", "-I", "INPUT", "-p", "tcp", "--dport", "2377", "-j", "DROP")
	t.Cleanup(func() { inNode(t, 1, "net", "iptables", "-D", "INPUT", "-p", "tcp", "--dport", "2377", "-j", "DROP") })
	r := preflightRefuses(t, nodes, "preflight found 6 problems", "fix: on node1, let 2377/tcp in")
	for _, n := range nodes[1:] {
		want := n.Name + " "
		found := false
		for _, line := range strings.Split(r.out, "\n") {
			if strings.Contains(line, want) && strings.Contains(line, "reach "+nodes[0].Address+":2377") && strings.Contains(line, "blocked") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s is not named as unable to reach 2377:\n%s", n.Name, r.out)
		}
	}
	// In Korean: the same cause and fix, in Korean words, and nothing changed either.
	if ko := inKorean(t, "create", "--config", writePlan(t, nodes, 7), "--yes"); ko.code != 1 ||
		!strings.Contains(ko.out+ko.err, "node1 에서 2377/tcp 를 여세요") {
		t.Errorf("in Korean: want the same cause and fix: %s", ko)
	}
	allInactive(t)
	// The fix given works: run on node1 as printed, the plan builds.
	runPrintedFix(t, r.out, 1, "2377/tcp")
	t.Cleanup(func() { inNode(t, 1, "net", "iptables", "-D", "INPUT", "-p", "tcp", "--dport", "2377", "-j", "ACCEPT") })
	planBuilds(t, nodes)
}

// runPrintedFix runs on node the iptables command the output gives to open port ("7946/udp")
// there, as a learner would copy it.
func runPrintedFix(t *testing.T, out string, node int, port string) {
	t.Helper()
	fix := regexp.MustCompile(`open ` + port + ` on node` + fmt.Sprint(node) + `: (iptables [^\n(]*?)\s*(\(|$)`).FindStringSubmatch(out)
	if fix == nil {
		t.Fatalf("no command for node%d in:\n%s", node, out)
	}
	inNode(t, node, "net", "sh", "-c", fix[1])
}

// planBuilds is the seed plan run again once the fault is fixed: it must build, as planned.
func planBuilds(t *testing.T, nodes []labNode) {
	t.Helper()
	if r := swarmwiz(t, "create", "--config", writePlan(t, nodes, 7), "--yes"); r.code != 0 {
		t.Fatalf("with the fix applied the plan must build: %s", r)
	}
	planned(t, nodes[0], nodes, 3)
}

// Two nodes with the same hostname (a cloned VM): an error naming both, before any change.
func TestPreflightDuplicateHostname(t *testing.T) {
	nodes := sharedLab(t)
	inNode(t, 3, "uts", "hostname", "node2")
	t.Cleanup(func() { inNode(t, 3, "uts", "hostname", "node3") })
	preflightRefuses(t, nodes, "node2 ("+nodes[1].Address+") and node2 ("+nodes[2].Address+") share the hostname",
		"hostnamectl set-hostname")
}

// A node whose dockerd is stopped is reported as docker not answering, with the fix.
func TestPreflightDockerStopped(t *testing.T) {
	nodes := sharedLab(t)
	if out, err := exec.Command("bash", "-c", "kill $(ip netns pids swz-"+labName+"-4 | xargs ps -o pid=,comm= -p | awk '$2==\"dockerd\"{print $1}')").CombinedOutput(); err != nil {
		t.Fatalf("stop dockerd: %v %s", err, out)
	}
	t.Cleanup(func() { swarmwiz(t, "lab", "start", "--name", labName, "node4") })
	preflightRefuses(t, nodes, "installed, but the daemon does not answer", "systemctl enable --now docker")
}

// A node whose clock is an hour ahead (faked: its `date` reports it) is reported.
func TestPreflightClockSkew(t *testing.T) {
	nodes := sharedLab(t)
	fake := filepath.Join(t.TempDir(), "date")
	// The facts ask `date +%s`; this one answers an hour from now, whatever it is asked.
	os.WriteFile(fake, []byte("#!/bin/sh\necho "+nowPlus(3600)+"\n"), 0o755)
	inNode(t, 5, "mount", "mount", "--bind", fake, "/usr/bin/date")
	t.Cleanup(func() { inNode(t, 5, "mount", "umount", "/usr/bin/date") })
	r := preflightRefuses(t, nodes, " s from this machine's clock", "chrony")
	// About an hour ahead; the second it is read on may differ by one.
	if !regexp.MustCompile(`node5 .*\+(3599|3600|3601) s from this machine's clock`).MatchString(r.out) {
		t.Errorf("node5's skew of an hour not reported:\n%s", r.out)
	}
}

// A node already in another swarm is explained; choosing "leave it" makes it join ours.
func TestPreflightOtherSwarmLeaves(t *testing.T) {
	nodes := sharedLab(t)
	ssh(t, nodes[6], "docker swarm init --advertise-addr "+nodes[6].Address)
	s := startPTY(t, nil)
	chooseLab(s)
	// node7 already manages a swarm and is offered first; start ours on node1.
	s.send("n", "o", "d", "e", "1", keyEnter)
	s.expect("advertise?")
	s.send(keyEnter)
	s.expect("How many managers")
	s.send(keyEnter)
	s.expect("Choose 2 more managers")
	s.send(keyEnter)
	availability(s, "already a manager of another swarm")
	s.expect("node7 is already in another swarm, as a manager: leaving takes --force")
	s.expect("What should node7 do?")
	s.send(keyEnter) // leave that swarm
	s.expect("Build this swarm now?")
	s.send("y", keyEnter)
	s.expect("Save this plan")
	s.send("n", keyEnter)
	s.expect("Prove the swarm works now")
	s.send("n", keyEnter)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d\n%s", code, s.text())
	}
	rows := tableRows(t, s.text())
	if len(rows) != 7 {
		t.Fatalf("want 7 nodes with node7 in ours, got %d:\n%s", len(rows), s.text())
	}
	if !hostnamesOf(nodeLs(t, nodes[0]))["node7"] {
		t.Errorf("node7 did not join our swarm")
	}
}

// A node whose network has a smaller MTU than the overlay assumes is warned about before
// anything changes, with the MTU to give overlay networks.
func TestPreflightSmallMTU(t *testing.T) {
	nodes := sharedLab(t)
	ns := "swz-" + labName + "-6"
	mustRun(t, "ip", "-n", ns, "link", "set", "eth0", "mtu", "1400")
	t.Cleanup(func() { runOut("ip", "-n", ns, "link", "set", "eth0", "mtu", "1500") })
	r := swarmwiz(t, "create", "--lab", labName, "--managers", "3", "--advertise-addr", nodes[0].Address, "--dry-run")
	if r.code != 0 || !regexp.MustCompile(`warning\s+node6\s+mtu\s+eth0 has MTU 1400`).MatchString(r.out) ||
		!strings.Contains(r.out, "com.docker.network.driver.mtu=1350") {
		t.Errorf("want node6's MTU of 1400 warned about, with the overlay MTU to use: %s", r)
	}
	allInactive(t)
}

// An advertise address the other nodes have no way to (node1's second network, which no other
// node is on) is named as routing, from each joining node's own routing table, with the
// address that works, not as a firewall: with no default route ("no route") and with one
// (handed to a gateway, here an address no machine answers, so no packet leaves). Nothing
// changes on any node.
func TestWrongAdvertiseAddressIsRouting(t *testing.T) {
	nodes := sharedLab(t)
	inNode(t, 1, "net", "sh", "-c", "ip link add swz-other type veth peer name swz-other2 && ip addr add 10.77.0.1/24 dev swz-other && ip link set swz-other up && ip link set swz-other2 up")
	t.Cleanup(func() { runOut("nsenter", "--net=/run/netns/swz-"+labName+"-1", "ip", "link", "del", "swz-other") })
	args := []string{"create", "--lab", labName, "--yes", "--managers", "3", "--advertise-addr", "10.77.0.1"}
	before := swarmStates(t, nodes)
	r := swarmwiz(t, args...)
	for _, want := range []string{"node2 has no route to 10.77.0.1", "no firewall rule can help", "node1's address " + nodes[0].Address + " is on node2's network", "--advertise-addr " + nodes[0].Address} {
		if r.code != 1 || !strings.Contains(r.out, want) {
			t.Errorf("no route: want exit 1 and %q: %s", want, r)
		}
	}
	if strings.Contains(r.out, "iptables -I") || strings.Contains(r.out, "firewall-cmd") {
		t.Errorf("a firewall was blamed for a routing problem: %s", r)
	}
	gateway := strings.TrimSuffix(nodes[0].Address, ".2") + ".254"
	for i := 2; i <= len(nodes); i++ {
		inNode(t, i, "net", "ip", "route", "add", "default", "via", gateway)
		t.Cleanup(func() {
			runOut("nsenter", fmt.Sprintf("--net=/run/netns/swz-%s-%d", labName, i), "ip", "route", "del", "default")
		})
	}
	r = swarmwiz(t, args...)
	for _, want := range []string{"10.77.0.1 is not on any network node2 is on", "gateway " + gateway, "--advertise-addr " + nodes[0].Address} {
		if r.code != 1 || !strings.Contains(r.out, want) {
			t.Errorf("through a gateway: want exit 1 and %q: %s", want, r)
		}
	}
	if after := swarmStates(t, nodes); !maps.Equal(before, after) {
		t.Errorf("nodes changed: %v -> %v", before, after)
	}
}

// Every pair, not only the first manager: node5 drops 7946/tcp from everyone (its own
// firewall, fixed on node5), and node3 alone cannot reach node6's 7946/tcp (dropped on its
// way out: named with both, no firewall fix guessed for node6). Nothing changes anywhere.
func TestPreflightProbesEveryPair(t *testing.T) {
	nodes := sharedLab(t)
	inNode(t, 5, "net", "iptables", "-I", "INPUT", "-p", "tcp", "--dport", "7946", "-j", "DROP")
	t.Cleanup(func() { inNode(t, 5, "net", "iptables", "-D", "INPUT", "-p", "tcp", "--dport", "7946", "-j", "DROP") })
	inNode(t, 3, "net", "iptables", "-I", "OUTPUT", "-p", "tcp", "-d", nodes[5].Address, "--dport", "7946", "-j", "DROP")
	t.Cleanup(func() {
		inNode(t, 3, "net", "iptables", "-D", "OUTPUT", "-p", "tcp", "-d", nodes[5].Address, "--dport", "7946", "-j", "DROP")
	})
	r := preflightRefuses(t, nodes, "preflight found 2 problems",
		"reach 7946/tcp from node1, node2, node3, node4, node6 and node7", "no other node reaches node5's 7946/tcp",
		"on node5, open 7946/tcp on node5: iptables -I INPUT -p tcp --dport 7946 -j ACCEPT",
		"reach 7946/tcp from node3", "5 other nodes reach node6's 7946/tcp, but node3 cannot")
	// The fix given works: node5's command, as printed, run on node5; node3's way out, for
	// which no fix was guessed, opened by hand. The plan then builds.
	runPrintedFix(t, r.out, 5, "7946/tcp")
	inNode(t, 3, "net", "iptables", "-D", "OUTPUT", "-p", "tcp", "-d", nodes[5].Address, "--dport", "7946", "-j", "DROP")
	inNode(t, 3, "net", "iptables", "-I", "OUTPUT", "-p", "tcp", "-d", nodes[5].Address, "--dport", "7946", "-j", "ACCEPT")
	t.Cleanup(func() {
		inNode(t, 5, "net", "iptables", "-D", "INPUT", "-p", "tcp", "--dport", "7946", "-j", "ACCEPT")
		inNode(t, 3, "net", "iptables", "-D", "OUTPUT", "-p", "tcp", "-d", nodes[5].Address, "--dport", "7946", "-j", "ACCEPT")
		inNode(t, 3, "net", "iptables", "-I", "OUTPUT", "-p", "tcp", "-d", nodes[5].Address, "--dport", "7946", "-j", "DROP")
	})
	planBuilds(t, nodes)
}

// "live-restore": true in one node's daemon.json (docker refuses swarm mode with it): preflight
// names it with the daemon.json fix before anything changes, read from the daemon itself.
func TestPreflightLiveRestore(t *testing.T) {
	nodes := sharedLab(t)
	conf := filepath.Join(lab.Dir(labName), "nodes", "node3", "etc-docker", "daemon.json")
	if err := os.WriteFile(conf, []byte(`{"live-restore": true}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	restart := func() {
		stopNode(t, "node3")
		if r := swarmwiz(t, "lab", "start", "--name", labName, "node3"); r.code != 0 {
			t.Fatalf("lab start: %s", r)
		}
	}
	t.Cleanup(func() { os.Remove(conf); restart() })
	restart()
	preflightRefuses(t, nodes, "\"live-restore\": true is set in its docker daemon configuration", "remove \"live-restore\": true from /etc/docker/daemon.json")
}

// 7946/udp (gossip) dropped on one worker, TCP open: before, preflight passed it (TCP only)
// and the swarm limped. Now every other node's UDP is listened for there: the port is named
// with the fix for node5's own firewall, nothing changes, and the fix as printed works.
// Another program holding node6's 7946/udp (a serf agent, here python) is named by its name,
// where the listener could not listen, and not taken for a firewall.
func TestPreflightProbesUDP(t *testing.T) {
	nodes := sharedLab(t)
	inNode(t, 5, "net", "iptables", "-I", "INPUT", "-p", "udp", "--dport", "7946", "-j", "DROP")
	t.Cleanup(func() { inNode(t, 5, "net", "iptables", "-D", "INPUT", "-p", "udp", "--dport", "7946", "-j", "DROP") })
	holder := exec.Command("ip", "netns", "exec", "swz-"+labName+"-6", "python3", "-c",
		"import socket, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('', 7946)); print('bound', flush=True); sys.stdin.read()")
	in, _ := holder.StdinPipe() // it ends when this test lets go of its stdin
	out, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	stopHolder := func() { in.Close(); holder.Wait() }
	t.Cleanup(func() {
		if holder.ProcessState == nil {
			stopHolder()
		}
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "bound\n" {
		t.Fatalf("the holder did not bind 7946/udp on node6: %q %v", line, err)
	}
	r := preflightRefuses(t, nodes, "preflight found 2 problems",
		"7946/udp from node1, node2, node3, node4, node6 and node7", "no other node's UDP reaches node5's 7946/udp",
		"on node5, open 7946/udp on node5: iptables -I INPUT -p udp --dport 7946 -j ACCEPT",
		"python3 already uses it: docker cannot take it for the swarm", "stop python3 on node6")
	for _, wrong := range []string{"4789/udp from", "node6's 7946/udp", "node6 is in no swarm"} {
		if strings.Contains(r.out, wrong) {
			t.Errorf("%q: not what is wrong, and named: %s", wrong, r)
		}
	}
	stopHolder()
	// The same fault for a Korean learner: the same cause, in Korean words, and nothing else
	// in English but the commands.
	ko := runIn(t, koreanEnv(), "create", "--config", writePlan(t, nodes, 7), "--yes")
	if ko.code != 1 || !strings.Contains(ko.out, "다른 어느 노드의 UDP 도 node5 의 7946/udp 에 닿지 못합니다") {
		t.Errorf("in Korean: want the same cause in Korean: %s", ko)
	}
	if stray := strayKorean(ko.out+ko.err, "iptables", "INPUT", "ACCEPT", "udp", "dport", "netfilter-persistent", "save", "service", "CentOS", "Rocky"); len(stray) > 0 {
		t.Errorf("English in the Korean preflight: %q\n%s", stray, ko.out)
	}
	allInactive(t)
	runPrintedFix(t, r.out, 5, "7946/udp")
	t.Cleanup(func() { inNode(t, 5, "net", "iptables", "-D", "INPUT", "-p", "udp", "--dport", "7946", "-j", "ACCEPT") })
	planBuilds(t, nodes)
}

// A cloned VM: node3 has node2's machine-id. Preflight names both with the fix before anything
// changes; with a machine-id of its own again (what systemd-machine-id-setup makes), the plan
// builds.
func TestPreflightClonedMachineID(t *testing.T) {
	nodes := sharedLab(t)
	dir := filepath.Join(lab.Dir(labName), "nodes")
	own, err := os.ReadFile(filepath.Join(dir, "node3", "machine-id"))
	if err != nil {
		t.Fatal(err)
	}
	twin, _ := os.ReadFile(filepath.Join(dir, "node2", "machine-id"))
	// The node's /etc/machine-id is this file, bind-mounted: the same file, new contents.
	write := func(b []byte) {
		f, err := os.OpenFile(filepath.Join(dir, "node3", "machine-id"), os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(b)
		f.Close()
	}
	write(twin)
	t.Cleanup(func() { write(own) })
	if got := ssh(t, nodes[2], "cat /etc/machine-id"); got != strings.TrimSpace(string(twin)) {
		t.Fatalf("node3's machine-id is %q, not node2's", got)
	}
	preflightRefuses(t, nodes, "node2 ("+nodes[1].Address+") and node3 ("+nodes[2].Address+") share the machine-id", "sudo systemd-machine-id-setup")
	write(own)
	planBuilds(t, nodes)
}
