package check

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/probe"
	"github.com/swarmwiz/swarmwiz/internal/remote/remotetest"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/steps/stepstest"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// pairs makes every directed pair of names, each failing as fail says.
func pairs(names []string, fail func(from, to string) CheckPair) *CheckResult {
	res := &CheckResult{Nodes: names}
	for _, f := range names {
		for _, t := range names {
			if f == t {
				continue
			}
			p := fail(f, t)
			p.From, p.To = f, t
			p.OK = p.TCP == "" && p.TCPLarge == "" && p.UDP == "" && p.UDPLarge == "" && p.DNS == ""
			res.Pairs = append(res.Pairs, p)
			res.Total++
			if p.OK {
				res.Working++
			}
		}
	}
	return res
}

func targetsOf(names []string, fw map[string]facts.Facts) []*probeTarget {
	var out []*probeTarget
	for _, n := range names {
		out = append(out, &probeTarget{row: docker.Node{Hostname: n}, node: &wizard.Node{Facts: fw[n]}})
	}
	return out
}

func TestDiagnose(t *testing.T) {
	names := []string{"node1", "node2", "node3", "node4"}
	cut3 := func(from, to string) CheckPair {
		if from == "node3" || to == "node3" {
			return CheckPair{TCP: "no connection: i/o timeout", TCPLarge: probe.NotTried, UDP: "no answer", UDPLarge: probe.NotTried}
		}
		return CheckPair{}
	}
	noDNS3 := func(from, to string) CheckPair {
		p := cut3(from, to)
		if p.TCP != "" {
			p.DNS = "tasks.x does not list 10.0.1.4"
		}
		return p
	}
	for _, tc := range []struct {
		name      string
		res       *CheckResult
		facts     map[string]facts.Facts
		gossip    map[string]string
		agentInit map[string]bool
		encrypted bool
		lab       string
		problems  int
		want      []string
		absent    []string
	}{
		{name: "VXLAN blocked on one node", res: pairs(names, cut3), problems: 6, want: []string{
			"node1 → node3: TCP, UDP failed: VXLAN 4789/udp is blocked on node3",
			"node3: the overlay fails while the nodes reach each other on 7946/tcp",
			"node3 → node4:",
			"Fix: open 4789/udp on node3: iptables -I INPUT -p udp --dport 4789 -j ACCEPT",
		}},
		{name: "a node cut off by its firewall", res: pairs(names, cut3), gossip: map[string]string{"node3": "timeout"},
			facts: map[string]facts.Facts{"node3": {Firewalld: "running"}}, problems: 6, want: []string{
				"node3 → node1: TCP, UDP failed: a firewall on node3 blocks the swarm's ports",
				"node3: it cannot be reached on 7946/tcp either (timeout)",
				"Fix: open 7946/tcp on node3: firewall-cmd --permanent --add-port=7946/tcp && firewall-cmd --reload",
				"; open 7946/udp on node3:",
				"; open 4789/udp on node3: firewall-cmd",
			}},
		{name: "a node whose network agent did not start, as its docker log says", res: pairs(names, noDNS3), agentInit: map[string]bool{"node3": true},
			lab: "class", problems: 6, want: []string{
				"node3 → node1: TCP, UDP, DNS failed: docker's network agent on node3 is not gossiping",
				"node3: the swarm's DNS does not list its task although it answers on 7946/tcp",
				`as its docker log says ("error in agentInit" since docker started`,
				"Fix: restart docker on node3: swarmwiz lab stop --name class node3 && swarmwiz lab start --name class node3",
			}},
		// The same symptom without that line in its log: said as seen, with where to look;
		// no agent blamed, no restart advised.
		{name: "a node missing from the DNS, its log silent", res: pairs(names, noDNS3), lab: "class", problems: 6, want: []string{
			"node3 → node1: TCP, UDP, DNS failed: the swarm's DNS does not list node3's task, and docker's log there does not say why",
			"look at docker's log on node3 (journalctl -u docker)",
		}, absent: []string{"Fix: restart", "is not gossiping"}},
		{name: "MTU", res: pairs(names, func(from, to string) CheckPair {
			if from == "node1" && to == "node2" {
				return CheckPair{TCPLarge: "1000 of 262144 bytes came back"}
			}
			return CheckPair{}
		}), problems: 1, want: []string{"node1 → node2: large TCP failed: small payloads pass, large ones are lost (MTU)", "Fix: lower the overlay's MTU"}},
		// node3's link has MTU 1400 (a VPN): every pair with node3 loses only the large
		// datagram. The MTU, with its evidence, never "4789 blocked on node3" (every link of
		// node3 fails, but only full-size).
		{name: "MTU on one node's link", res: pairs(names, func(from, to string) CheckPair {
			if from == "node3" || to == "node3" {
				return CheckPair{UDPLarge: "no answer to a 1400-byte datagram"}
			}
			return CheckPair{}
		}), facts: map[string]facts.Facts{"node3": {Addrs: []facts.Addr{{Iface: "eth0", IP: "10.0.0.3"}}, MTU: map[string]int{"eth0": 1400},
			Swarm: docker.Swarm{NodeAddr: "10.0.0.3"}}}, problems: 6, want: []string{
			"node1 → node3: large UDP failed: small payloads pass, large ones are lost (MTU)",
			"node1 → node3: a 1400-byte UDP datagram is lost while small UDP and TCP cross; node3's eth0 has MTU 1400 (the overlay needs 1500)",
			"no port is blocked",
		}, absent: []string{"4789/udp is blocked", "iptables"}},
		{name: "DNS only", res: pairs(names, func(from, to string) CheckPair {
			if to == "node4" {
				return CheckPair{DNS: "tasks.x does not list 10.0.1.5"}
			}
			return CheckPair{}
		}), facts: map[string]facts.Facts{"node4": {UFW: "Status: active"}}, problems: 3, want: []string{
			"node2 → node4: DNS failed: the swarm's DNS does not list node4's task",
			"Fix: open 7946/udp on node4: ufw allow 7946/udp",
		}},
		// The same symptom, with the evidence that gossip works: node2's own docker lists
		// node4's task. Not a firewall: the resolver lags; nothing says 7946.
		{name: "DNS only, gossip delivered", res: withDNSKnown(pairs(names, func(from, to string) CheckPair {
			if from == "node2" && to == "node4" {
				return CheckPair{DNS: "tasks.x does not list 10.0.1.5"}
			}
			return CheckPair{}
		}), "node2→node4"), lab: "class", problems: 1, want: []string{
			"node2 → node4: DNS failed: the swarm's DNS on node2 does not answer with node4's task, which its docker knows",
			"the firewall is not the cause",
			"Fix: restart docker on node2: swarmwiz lab stop --name class node2",
		}, absent: []string{"7946"}},
		{name: "UDP only", res: pairs(names, func(from, to string) CheckPair {
			if from == "node3" && to == "node4" {
				return CheckPair{UDP: "no answer to a 32-byte datagram", UDPLarge: probe.NotTried}
			}
			return CheckPair{}
		}), problems: 1, want: []string{
			"node3 → node4: UDP failed: UDP gets no answer while TCP works",
			"node3 → node4: TCP crosses the overlay, so VXLAN 4789/udp, which carries both, is open",
		}},
		{name: "encrypted", res: pairs(names, cut3), encrypted: true, problems: 6, want: []string{
			"An encrypted overlay also needs ESP (IP protocol 50) between the nodes",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problems, fixes := diagnosePairs(tc.res, targetsOf(names, tc.facts), 4789, tc.gossip, tc.agentInit, tc.encrypted, tc.lab)
			if len(problems) != tc.problems {
				t.Errorf("want %d problem lines, got %d: %q", tc.problems, len(problems), problems)
			}
			tc.res.Problems, tc.res.Fixes = problems, fixes
			saysOnly(t, CheckText(tc.res), tc.want, tc.absent)
		})
	}
}

// saysOnly fails t unless out says every one of want and none of absent (what the evidence
// rules out).
func saysOnly(t *testing.T, out string, want, absent []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("missing %q in\n%s", w, out)
		}
	}
	for _, w := range absent {
		if strings.Contains(out, w) {
			t.Errorf("%q, which the evidence rules out, in\n%s", w, out)
		}
	}
}

// The check after create is asked on a terminal only, runs with --check anywhere, and never
// in a dry run or with --check=false.
func TestCheckOffered(t *testing.T) {
	st := &wizard.State{}
	for _, tc := range []struct {
		c           Check
		interactive bool
		dry         bool
		skip        bool
	}{
		{Check{Offer: true}, true, false, false},
		{Check{Offer: true}, false, false, true},
		{Check{Offer: true, Yes: true}, false, false, false},
		{Check{Offer: true, Yes: true}, false, true, true},
		{Check{Offer: true, Declined: true}, true, false, true},
		{Check{}, false, false, false}, // `swarmwiz check` itself
	} {
		env := &wizard.Env{Interactive: tc.interactive, DryRun: tc.dry}
		if got := tc.c.SkipIn(env, st); got != tc.skip {
			t.Errorf("%+v interactive=%v dry=%v: skip %v, want %v", tc.c, tc.interactive, tc.dry, got, tc.skip)
		}
	}
}

// The wait for the probe tasks ends once none has started for TaskTimeout: the node whose
// task never starts is named with why, the one that runs is tested.
func TestWaitTasksEndsWhenTasksStopStarting(t *testing.T) {
	oldWait, oldPlace := TaskTimeout, PlacePerNode
	TaskTimeout, PlacePerNode = 300*time.Millisecond, 0
	defer func() { TaskTimeout, PlacePerNode = oldWait, oldPlace }()
	mgr := &remotetest.Node{Replies: map[string]remotetest.Reply{
		"API GET /tasks": {Out: `[{"NodeID":"id1","Status":{"State":"running","ContainerStatus":{"ContainerID":"c1"}},` +
			`"NetworksAttachments":[{"Network":{"Spec":{"Name":"probe"}},"Addresses":["10.0.9.2/24"]}]},` +
			`{"NodeID":"id2","Status":{"State":"preparing"}}]`},
	}}
	env, _ := stepstest.TestEnv(&wizard.Scripted{}, nil, false)
	n := &wizard.Node{Host: "10.0.0.1", Conn: mgr}
	targets := []*probeTarget{
		{row: docker.Node{ID: "id1", Hostname: "n1"}, node: n},
		{row: docker.Node{ID: "id2", Hostname: "n2"}},
	}
	t0 := time.Now()
	skipped := waitTasks(context.Background(), env, n, "probe", targets)
	if took := time.Since(t0); took > 5*time.Second {
		t.Errorf("the wait went on for %v after the tasks stopped starting", took)
	}
	if len(skipped) != 1 || skipped[0].Node != "n2" || !strings.Contains(skipped[0].Why, "did not start") {
		t.Errorf("want n2 named as not started, got %+v", skipped)
	}
	if targets[0].container != "c1" || targets[0].ip != "10.0.9.2" {
		t.Errorf("n1's task not taken: %+v", targets[0])
	}
}

// A link that fails once is tried again on its own; one that passes then counts as working
// and is counted as passed on a second try, one that fails again stays failed.
func TestRetryFailedTriesOnlyFailedLinksAgain(t *testing.T) {
	names := []string{"n1", "n2", "n3"}
	live := targetsOf(names, nil)
	for i, tg := range live {
		tg.ip = fmt.Sprintf("10.0.9.%d", i+2)
	}
	bad := probe.Link{UDP: "no answer to a 32-byte datagram", UDPLarge: probe.NotTried}
	link := func(node string, l probe.Link) probe.Link { l.Peer = probe.Peer{Node: node}; return l }
	reports := []probe.Report{
		{Node: "n1", Links: []probe.Link{link("n2", bad), link("n3", probe.Link{})}},
		{Node: "n2", Links: []probe.Link{link("n1", probe.Link{}), link("n3", probe.Link{})}},
		{Node: "n3", Links: []probe.Link{link("n1", bad), link("n2", probe.Link{})}},
	}
	var mu sync.Mutex
	asked := map[int][]string{}
	try := func(i int, peers []string, r *probe.Report) error {
		mu.Lock()
		asked[i] = peers
		mu.Unlock()
		r.Node = names[i]
		if i == 0 { // n1 → n2 passes this time, n3 → n1 fails again
			r.Links = []probe.Link{link("n2", probe.Link{})}
		} else {
			r.Links = []probe.Link{link("n1", bad)}
		}
		return nil
	}
	env, _ := stepstest.TestEnv(&wizard.Scripted{}, nil, false)
	res := &CheckResult{}
	if left, err := retryFailed(context.Background(), env, live, reports, res, try); err != nil || left != 1 {
		t.Fatalf("left %d, err %v; want 1 still failing", left, err)
	}
	want := map[int][]string{0: {"n2=10.0.9.3"}, 2: {"n1=10.0.9.2"}}
	if !reflect.DeepEqual(asked, want) {
		t.Errorf("tried again: %v, want only the failed links %v", asked, want)
	}
	if res.Retried != 1 || !reports[0].Links[0].OK() || reports[2].Links[0].OK() || !reports[0].Links[1].OK() {
		t.Errorf("retried %d, reports %+v", res.Retried, reports)
	}
	if got := CheckText(&CheckResult{Retried: 1, Network: "overlay"}); !strings.Contains(got, "1 pair passed only when tried again") {
		t.Errorf("the matrix does not say a pair passed on a second try:\n%s", got)
	}
}

// withDNSKnown marks pairs FROM→TO whose asking node's docker lists the other task.
func withDNSKnown(res *CheckResult, pairs ...string) *CheckResult {
	res.dnsKnown = map[string]bool{}
	for _, p := range pairs {
		res.dnsKnown[p] = true
	}
	return res
}

// A fix names the firewall the node really runs, and only that one; iptables's rule is said
// to be lost at a reboot, with how to keep it.
func TestOpenOnNamesTheNodesFirewall(t *testing.T) {
	n := &wizard.Node{Host: "10.0.0.1"}
	n.Facts.Hostname = "node1"
	got := prelude.OpenOn(n, "2377", "tcp")
	if !strings.Contains(got, "iptables -I INPUT -p tcp --dport 2377 -j ACCEPT") || !strings.Contains(got, "netfilter-persistent save") ||
		strings.Contains(got, "firewall-cmd") || strings.Contains(got, "ufw") {
		t.Errorf("plain iptables: %q", got)
	}
	n.Facts.Firewalld = "running"
	if got := prelude.OpenOn(n, "2377", "tcp"); !strings.Contains(got, "firewall-cmd --permanent --add-port=2377/tcp") || strings.Contains(got, "ufw") || strings.Contains(got, "reboot") {
		t.Errorf("firewalld: %q", got)
	}
}
