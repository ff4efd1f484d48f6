//go:build linux

package e2e

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// checkJSON is what `swarmwiz check -o json` prints.
type checkJSON struct {
	Working, Total int
	Pairs          []struct {
		From, To string
		OK       bool
	}
	Mesh string
}

// traces lists, per node, what a check could leave behind: services, networks, containers.
func traces(t *testing.T, nodes []labNode) map[string]string {
	t.Helper()
	out := map[string]string{"services": ssh(t, nodes[0], "docker service ls -q | sort")}
	for _, n := range nodes {
		out[n.Name+" networks"] = ssh(t, n, "docker network ls -q | sort")
		out[n.Name+" containers"] = ssh(t, n, "docker ps -aq | sort")
	}
	return out
}

func sameTraces(t *testing.T, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed:\nbefore: %q\nafter:  %q", k, v, after[k])
		}
	}
}

// The seed's swarm built off a terminal with --check ends with proof; `swarmwiz check` then
// reports 42 of 42 directed pairs working, exits 0, leaves no service, network or container
// behind, and a second check reuses the probe image.
func TestCheckProvesEveryPair(t *testing.T) {
	nodes := sharedLab(t)
	freshDaemons(t, nodes)
	r := createSeed(t, "--check")
	if !strings.Contains(r.out, "✓ 42 of 42 directed pairs work over the overlay") {
		t.Errorf("create --check did not end with the check:\n%s", r.out)
	}
	// The next steps the wizard suggests for the lab work there: typed on a manager, the
	// hello service answers from the nodes.
	var suggested []string
	in := false
	for _, line := range strings.Split(r.out, "\n") {
		switch {
		case strings.Contains(line, "then, on a manager:"):
			in = true
		case in && strings.HasPrefix(line, "  "):
			suggested = append(suggested, strings.TrimSpace(line))
		case in:
			in = false
		}
	}
	if len(suggested) != 4 {
		t.Fatalf("want 4 suggested commands, got %q:\n%s", suggested, r.out)
	}
	if out := ssh(t, nodes[0], strings.Join(suggested, " && ")); !strings.Contains(out, "hello from node") {
		t.Errorf("the suggested commands did not say hello: %s", out)
	}
	// Remove it again, and wait until its containers are gone from every node (the agents
	// remove them a few seconds later).
	ssh(t, nodes[0], "docker service rm hello && for i in $(seq 100); do docker network rm hello-net 2>/dev/null && exit 0; sleep 0.3; done; exit 1")
	for _, n := range nodes {
		ssh(t, n, "for i in $(seq 100); do [ -z \"$(docker ps -aq --filter label=com.docker.swarm.service.name=hello)\" ] && exit 0; sleep 0.3; done; exit 1")
	}

	before := traces(t, nodes)
	r = swarmwiz(t, "check", "--lab", labName, "-o", "json")
	if r.code != 0 {
		t.Fatalf("check: %s", r)
	}
	var res checkJSON
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatalf("check -o json: %v\n%s", err, r.out)
	}
	if res.Working != 42 || res.Total != 42 || len(res.Pairs) != 42 {
		t.Errorf("want 42 of 42 pairs, got %d of %d (%d listed)", res.Working, res.Total, len(res.Pairs))
	}
	if !strings.Contains(res.Mesh, "--iptables=false") {
		t.Errorf("the lab cannot serve the routing mesh, and the check must say why: %q", res.Mesh)
	}
	sameTraces(t, before, traces(t, nodes))

	r = swarmwiz(t, "check", "--lab", labName)
	if r.code != 0 || strings.Count(r.out, "has the probe image") != 7 {
		t.Errorf("a second check must reuse the image on all 7 nodes:\n%s", r)
	}
	for _, row := range strings.Split(r.out, "\n") {
		if strings.HasPrefix(row, "node") && strings.Contains(row, "·") && strings.Count(row, "✓") != 6 {
			t.Errorf("matrix row %q: want 6 ✓", row)
		}
	}
}

// With VXLAN's 4789/udp dropped inside one node's namespace, the check exits 1 and names
// that node and the port, with the fix; with the fix applied as printed it passes again.
func TestCheckNamesBlockedVXLAN(t *testing.T) {
	freshDaemons(t, sharedLab(t))
	createSeed(t)
	rule := func(op string) {
		inNode(t, 5, "net", "iptables", op, "INPUT", "-p", "udp", "--dport", "4789", "-j", "DROP")
	}
	rule("-I")
	dropped := true
	t.Cleanup(func() {
		if dropped {
			rule("-D")
		}
	})
	r := swarmwiz(t, "check", "--lab", labName)
	if r.code != 1 {
		t.Fatalf("want exit 1 with 4789/udp blocked on node5: %s", r)
	}
	// A pair from the blocked node may also miss DNS while its gossip catches up (seen once in
	// CI): the cause named is the same.
	for _, pair := range []string{"node1 → node5", "node5 → node7"} {
		if !regexp.MustCompile(pair + `: TCP, UDP(, DNS)? failed: VXLAN 4789/udp is blocked on node5`).MatchString(r.out) {
			t.Errorf("missing %s's line naming VXLAN blocked on node5:\n%s", pair, r.out)
		}
	}
	for _, want := range []string{
		"node5: the overlay fails while the nodes reach each other on 7946/tcp, so VXLAN 4789/udp, which carries the overlay's traffic, is blocked on node5. Fix: open 4789/udp on node5: iptables -I INPUT -p udp --dport 4789 -j ACCEPT",
		"✗ 30 of 42 directed pairs work over the overlay",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("missing %q:\n%s", want, r.out)
		}
	}
	if n := strings.Count(r.out, "  ✗ node"); n != 12 {
		t.Errorf("want a line for each of the 12 failing pairs, got %d:\n%s", n, r.out)
	}
	// The fix as printed, run on node5 as a learner would copy it: the drop stays, the ACCEPT
	// put before it lets VXLAN in, and the check passes.
	runPrintedFix(t, r.out, 5, "4789/udp")
	t.Cleanup(func() { inNode(t, 5, "net", "iptables", "-D", "INPUT", "-p", "udp", "--dport", "4789", "-j", "ACCEPT") })
	if r := swarmwiz(t, "check", "--lab", labName); r.code != 0 || !strings.Contains(r.out, "✓ 42 of 42") {
		t.Errorf("with the printed fix applied the check must pass: %s", r)
	}
}

// startCheck runs `swarmwiz check` in the background and returns once its probe service
// exists on the swarm.
func startCheck(t *testing.T, manager labNode) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, "check", "--lab", labName)
	cmd.Env = englishEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for ssh(t, manager, "docker service ls -q --filter label=swarmwiz.check") == "" {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no probe service appeared:\n%s", out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	return cmd, &out
}

// Ctrl-C during a check exits 130 and leaves nothing behind; a check killed outright leaves
// its probe, which the next check removes before it runs.
func TestCheckInterruptedAndKilled(t *testing.T) {
	nodes := sharedLab(t)
	freshDaemons(t, nodes)
	createSeed(t)
	before := traces(t, nodes)
	cmd, out := startCheck(t, nodes[0])
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("Ctrl-C: want exit 130, got %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "Interrupted.") || !strings.Contains(out.String(), "the check's probe service, network and containers are removed") {
		t.Errorf("no account of the interrupted check:\n%s", out)
	}
	sameTraces(t, before, traces(t, nodes))

	cmd, out = startCheck(t, nodes[0])
	cmd.Process.Kill()
	cmd.Wait()
	if ssh(t, nodes[0], "docker service ls -q --filter label=swarmwiz.check") == "" {
		t.Fatalf("a killed check should have left its service (the case to test):\n%s", out)
	}
	r := swarmwiz(t, "check", "--lab", labName)
	if r.code != 0 || !strings.Contains(r.out, "removed what an earlier check left behind (1 probe service)") {
		t.Errorf("the next check must remove the leftover and pass: %s", r)
	}
	sameTraces(t, before, traces(t, nodes))
}

// MTU 1400 on one node's link (a VPN, a cloud overlay): the check names the MTU, with the
// evidence (small UDP and TCP cross, the 1400-byte datagram does not, node6's eth0 says 1400),
// never "4789/udp blocked" although every link of node6 fails; with the MTU back, it passes.
func TestCheckNamesSmallMTU(t *testing.T) {
	freshDaemons(t, sharedLab(t))
	createSeed(t)
	ns := "swz-" + labName + "-6"
	mustRun(t, "ip", "-n", ns, "link", "set", "eth0", "mtu", "1400")
	restored := false
	t.Cleanup(func() {
		if !restored {
			runOut("ip", "-n", ns, "link", "set", "eth0", "mtu", "1500")
		}
	})
	r := swarmwiz(t, "check", "--lab", labName)
	if r.code != 1 || !strings.Contains(r.out, "small payloads pass, large ones are lost (MTU)") ||
		!strings.Contains(r.out, "node6's eth0 has MTU 1400 (the overlay needs 1500)") {
		t.Fatalf("want exit 1 naming the MTU with node6's link as evidence: %s", r)
	}
	if strings.Contains(r.out, "4789/udp is blocked") || strings.Contains(r.out, "iptables -I") {
		t.Errorf("a firewall was blamed for the MTU: %s", r)
	}
	if ko := inKorean(t, "check", "--lab", labName); ko.code != 1 || !strings.Contains(ko.out, "작은 페이로드는 통과, 큰 것은 유실 (MTU)") ||
		!strings.Contains(ko.out, "node6 의 eth0 MTU 는 1400") || strings.Contains(ko.out, "iptables -I") {
		t.Errorf("in Korean: want the same cause and evidence in Korean: %s", ko)
	}
	mustRun(t, "ip", "-n", ns, "link", "set", "eth0", "mtu", "1500")
	restored = true
	if r := swarmwiz(t, "check", "--lab", labName); r.code != 0 {
		t.Errorf("with the MTU back the check must pass: %s", r)
	}
}

// 7946/udp (gossip) dropped into node5 on a formed swarm: the nodes still reach each other
// (memberlist falls back to TCP), and docker's own log says it, every second, on every other
// node. check names node5 from that evidence, with the fix for node5's own firewall, in
// English and in Korean; the fix as printed works, and the next check, reading only what was
// logged since it started, passes.
func TestCheckNamesGossipUDPDropped(t *testing.T) {
	freshDaemons(t, sharedLab(t))
	createSeed(t)
	drop := []string{"INPUT", "-p", "udp", "--dport", "7946", "-j", "DROP"}
	inNode(t, 5, "net", append([]string{"iptables", "-I"}, drop...)...)
	t.Cleanup(func() {
		ns := "--net=/run/netns/swz-" + labName + "-5"
		runOut("nsenter", ns, "iptables", "-D", "INPUT", "-p", "udp", "--dport", "7946", "-j", "ACCEPT")
		runOut("nsenter", append([]string{ns, "iptables", "-D"}, drop...)...)
	})
	r := swarmwiz(t, "check", "--lab", labName)
	for _, want := range []string{
		"node5: gossip's UDP does not reach it: docker on node1, node2, node3, node4, node6 and node7 logged memberlist's",
		"7946/udp is dropped on its way into node5. Fix: open 7946/udp on node5: iptables -I INPUT -p udp --dport 7946 -j ACCEPT",
	} {
		if r.code != 1 || !strings.Contains(r.out, want) {
			t.Errorf("want exit 1 and %q: %s", want, r)
		}
	}
	// node5 alone, its own warnings about the others (their answers dropped too) not taken
	// for other faults; no VXLAN blamed.
	if n := len(regexp.MustCompile(`node\d: gossip's UDP does not reach it`).FindAllString(r.out, -1)); n != 1 ||
		regexp.MustCompile(`node\d → node\d: docker on`).MatchString(r.out) || strings.Contains(r.out, "4789/udp is blocked") {
		t.Errorf("a cause the evidence does not show: %s", r)
	}
	ko := runIn(t, koreanEnv(), "check", "--lab", labName)
	if ko.code != 1 || !strings.Contains(ko.out, "node5: 가십의 UDP 가 닿지 않습니다") {
		t.Errorf("in Korean: want the same cause in Korean: %s", ko)
	}
	if stray := strayKorean(ko.out+ko.err, "iptables", "INPUT", "ACCEPT", "udp", "dport", "netfilter-persistent", "save", "service",
		"CentOS", "Rocky", "memberlist", "Was", "able", "to", "connect", "but", "other", "probes", "failed", "TCP", "UDP"); len(stray) > 0 {
		t.Errorf("English in the Korean check: %q\n%s", stray, ko.out)
	}
	// status reads the same logs, of the past: degraded (exit 3) for node5 alone, with the fix.
	st := swarmwiz(t, "status", "--lab", labName)
	if st.code != 3 || !strings.Contains(st.out, "! node5: gossip's UDP does not reach it") ||
		!strings.Contains(st.out, "Fix: open 7946/udp on node5: iptables -I INPUT -p udp --dport 7946 -j ACCEPT") ||
		!strings.Contains(st.out+st.err, "degraded: the others' gossip does not reach node5 over UDP") ||
		regexp.MustCompile(`node[1-46-7]: gossip's UDP`).MatchString(st.out) {
		t.Errorf("status: want exit 3 naming node5's gossip alone, with the fix: %s", st)
	}
	if ko := runIn(t, koreanEnv(), "status", "--lab", labName); ko.code != 3 || !strings.Contains(ko.out+ko.err, "다른 노드들의 가십이 UDP 로 node5 에 닿지 않습니다") {
		t.Errorf("status in Korean: want the same verdict in Korean: %s", ko)
	}
	runPrintedFix(t, r.out, 5, "7946/udp")
	if r := swarmwiz(t, "check", "--lab", labName); r.code != 0 || strings.Contains(r.out, "gossip's UDP") {
		t.Errorf("with the fix applied the check must pass: %s", r)
	}
	// status reads two rounds of the past: once both are after the fix, it is healthy again.
	deadline := time.Now().Add(time.Minute)
	for st = swarmwiz(t, "status", "--lab", labName); st.code != 0 && time.Now().Before(deadline); st = swarmwiz(t, "status", "--lab", labName) {
		time.Sleep(2 * time.Second)
	}
	if st.code != 0 || strings.Contains(st.out, "gossip") {
		t.Errorf("with the fix applied status must be healthy within two rounds: %s", st)
	}
}

// No false alarm on a busy machine: on a healthy swarm, check passes 20 runs of 20 while
// both cores are saturated and processes are spawned without pause (as when a machine image
// is being built). The time per run is logged: the README states the run.
func TestCheckTwentyOfTwentyWhileBusy(t *testing.T) {
	nodes := sharedLab(t)
	freshDaemons(t, nodes)
	createSeed(t)
	load := exec.Command("bash", "-c", `trap 'kill 0' TERM; for i in 1 2; do (while :; do :; done) & done; while :; do /bin/true; done`)
	load.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { syscall.Kill(-load.Process.Pid, syscall.SIGKILL); load.Wait() }()
	t0 := time.Now()
	failed := 0
	for i := 1; i <= 20; i++ {
		if r := swarmwiz(t, "check", "--lab", labName, "--quiet"); r.code != 0 {
			failed++
			t.Errorf("run %d of 20 on a busy machine: %s", i, r)
		}
	}
	t.Logf("check on a busy machine: %d of 20 passed, %.1f s a run", 20-failed, time.Since(t0).Seconds()/20)
}
