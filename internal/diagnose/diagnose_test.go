package diagnose

import "testing"

// The cause each evidence proves, and the node it is on, told apart from its look-alikes: a
// table of evidence → cause.
func TestCauseOf(t *testing.T) {
	cut := map[string]bool{"n3": true}
	lost := Pair{TCP: "timeout", UDP: "no answer"}
	pair := func(from, to string, p Pair) Pair { p.From, p.To = from, to; return p }
	for _, tc := range []struct {
		name  string
		ev    Evidence
		p     Pair
		cause Cause
		node  string
	}{
		{"only large payloads lost, every link of n3 failing: the MTU, not VXLAN", Evidence{Cut: cut}, pair("n1", "n3", Pair{UDPLarge: "lost"}), MTU, ""},
		{"n3 cut off, 7946/tcp to it fails too: its firewall", Evidence{Cut: cut, Gossip: map[string]string{"n3": "timeout"}}, pair("n1", "n3", lost), Gossip, "n3"},
		{"n3 cut off, seen from n3's side", Evidence{Cut: cut, Gossip: map[string]string{"n3": "timeout"}}, pair("n3", "n1", lost), Gossip, "n3"},
		{"n3 cut off, not in the DNS, its log says agentInit", Evidence{Cut: cut, NotInDNS: cut, AgentInit: cut}, pair("n1", "n3", Pair{TCP: "x", UDP: "x", DNS: "x"}), Agent, "n3"},
		{"n3 cut off, not in the DNS, its log silent: said as seen", Evidence{Cut: cut, NotInDNS: cut}, pair("n1", "n3", Pair{TCP: "x", UDP: "x", DNS: "x"}), NoDNS, "n3"},
		{"n3 cut off, gossip reaches it: VXLAN", Evidence{Cut: cut}, pair("n1", "n3", lost), VXLAN, "n3"},
		{"UDP lost, TCP crosses: not VXLAN", Evidence{}, pair("n1", "n2", Pair{UDP: "no answer"}), UDP, ""},
		{"DNS only, the asker's docker knows the task: the resolver lags", Evidence{DNSKnown: map[string]bool{"n1→n2": true}}, pair("n1", "n2", Pair{DNS: "x"}), DNSLag, "n1"},
		{"DNS only, gossip did not deliver: 7946/udp into n2", Evidence{}, pair("n1", "n2", Pair{DNS: "x"}), DNS, "n2"},
		{"one pair lost both ways, nodes not cut off: between them", Evidence{}, pair("n1", "n2", lost), Path, ""},
	} {
		if cause, node := tc.ev.CauseOf(tc.p); cause != tc.cause || node != tc.node {
			t.Errorf("%s: got %s on %q, want %s on %q", tc.name, cause, node, tc.cause, tc.node)
		}
	}
}

// A node is cut off when every one of its links fails on a small payload while some pair
// works; large payloads alone cut no node off; with nothing working, nothing is singled out.
func TestCutOffAndNotInDNS(t *testing.T) {
	var pairs []Pair
	names := []string{"n1", "n2", "n3"}
	for _, f := range names {
		for _, to := range names {
			if f == to {
				continue
			}
			p := Pair{From: f, To: to, OK: true}
			if f == "n3" || to == "n3" {
				p = Pair{From: f, To: to, TCP: "timeout", DNS: "missing"}
			}
			if f == "n1" && to == "n2" {
				p = Pair{From: f, To: to, UDPLarge: "lost"}
			}
			pairs = append(pairs, p)
		}
	}
	ev := FromPairs(pairs)
	if !ev.Cut["n3"] || ev.Cut["n1"] || ev.Cut["n2"] || !ev.NotInDNS["n3"] || ev.NotInDNS["n1"] {
		t.Errorf("want n3 alone cut off and out of the DNS: %+v", ev)
	}
	for i := range pairs {
		pairs[i].OK, pairs[i].TCP = false, "timeout"
	}
	if cut := CutOff(pairs); len(cut) != 0 {
		t.Errorf("nothing works: no node singled out, got %v", cut)
	}
}
