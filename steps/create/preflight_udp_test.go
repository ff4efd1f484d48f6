package create

import (
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/preflight"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// What a UDP listener heard is weighed against what each sender said it did: a sender that
// never tried is not counted against the target, one whose own side refused is named itself,
// and only datagrams that left and were never heard by anyone are the target's firewall.
func TestUDPFindingsFromEvidence(t *testing.T) {
	var nodes []*wizard.Node
	for i, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"} {
		n := &wizard.Node{Host: ip}
		n.Facts.Hostname = "n" + string(rune('1'+i))
		n.Facts.Addrs = []facts.Addr{{Iface: "eth0", IP: ip}}
		nodes = append(nodes, n)
	}
	target := nodes[3]
	sent := func(left bool) preflight.UDPTried { return preflight.UDPTried{"10.0.0.4": {7946: left}} }
	for _, c := range []struct {
		name  string
		said  map[*wizard.Node]preflight.UDPTried
		heard []string
		want  []string // node, check, fix parts of every finding, in order
	}{
		{"all heard", map[*wizard.Node]preflight.UDPTried{nodes[0]: sent(true), nodes[1]: sent(true), nodes[2]: sent(true)},
			[]string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, nil},
		{"no sender ran: nothing is known, nothing said", nil, nil, nil},
		{"one sender never tried, the others heard", map[*wizard.Node]preflight.UDPTried{nodes[0]: sent(true), nodes[1]: sent(true)},
			[]string{"10.0.0.1", "10.0.0.2"}, nil},
		{"sent by all, heard from none: the target's firewall", map[*wizard.Node]preflight.UDPTried{nodes[0]: sent(true), nodes[1]: sent(true), nodes[2]: sent(true)},
			nil, []string{"n4 | 7946/udp from n1, n2 and n3 | no other node's UDP reaches n4's 7946/udp"}},
		{"sent by two, the third never tried, heard from none: still the target's own", map[*wizard.Node]preflight.UDPTried{nodes[0]: sent(true), nodes[1]: sent(true)},
			nil, []string{"n4 | 7946/udp from n1 and n2 | no other node's UDP reaches n4's 7946/udp"}},
		{"one unheard of three: something between", map[*wizard.Node]preflight.UDPTried{nodes[0]: sent(true), nodes[1]: sent(true), nodes[2]: sent(true)},
			[]string{"10.0.0.1", "10.0.0.2"}, []string{"n4 | 7946/udp from n3 | 2 other nodes' UDP reaches n4's 7946/udp, but n3's does not"}},
		{"refused by its sender: the sender is named, the target is not blamed", map[*wizard.Node]preflight.UDPTried{nodes[0]: sent(true), nodes[1]: sent(true), nodes[2]: sent(false)},
			[]string{"10.0.0.1", "10.0.0.2"}, []string{"n3 | 7946/udp to n4 | n3's own firewall (OUTPUT) or its routes stop UDP to n4"}},
		{"refused by every sender: no word against the target", map[*wizard.Node]preflight.UDPTried{nodes[0]: sent(false), nodes[1]: sent(false), nodes[2]: sent(false)},
			nil, []string{"n1 | 7946/udp to n4 | n1's own", "n2 | 7946/udp to n4 | n2's own", "n3 | 7946/udp to n4 | n3's own"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := udpFindings(nodes, target, 7946, c.heard, c.said)
			if len(got) != len(c.want) {
				t.Fatalf("want %d findings, got %+v", len(c.want), got)
			}
			for i, w := range c.want {
				parts := strings.Split(w, " | ")
				f := got[i]
				if f.Node != parts[0] || f.Check != parts[1] || !strings.Contains(f.Fix, parts[2]) || f.Level != preflight.Error {
					t.Errorf("finding %d: want %q, got %+v", i, w, f)
				}
			}
		})
	}
}

// A swarm UDP port found taken before the node joins is said by who holds it: docker's own
// leftover (a warning with the restart that frees it), another program (an error: docker
// cannot bind it). Held by no program (the kernel's VXLAN socket of an overlay a node that just
// left is taking down, or not): nothing proves a cause, nothing is said. Only another data path
// port can move the overlay; gossip's 7946 cannot move.
func TestBusyUDPPortFindings(t *testing.T) {
	m := &wizard.Node{Host: "10.0.0.4"}
	m.Facts.Hostname = "n4"
	for _, c := range []struct {
		port   int
		holder string
		level  preflight.Level
		result string
		fix    string
		nofix  string
	}{
		{7946, "dockerd", preflight.Warn, "docker holds it, though n4 is in no swarm", "systemctl restart docker", "data-path-port"},
		{7946, "serf", preflight.Error, "serf already uses it", "stop serf on n4", "data-path-port"},
		{4789, "flanneld", preflight.Error, "flanneld already uses it", "--data-path-port PORT", "restart docker"},
	} {
		f, ok := busyFinding(m, c.port, c.holder)
		if !ok || f.Node != "n4" || f.Level != c.level || !strings.Contains(f.Result, c.result) || !strings.Contains(f.Fix, c.fix) || strings.Contains(f.Fix, c.nofix) {
			t.Errorf("%d held by %q: got %+v", c.port, c.holder, f)
		}
	}
	if f, ok := busyFinding(m, 4789, ""); ok {
		t.Errorf("4789 held by no program: said %+v", f)
	}
}
