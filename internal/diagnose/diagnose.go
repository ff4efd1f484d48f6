// Package diagnose is check's diagnosis as a pure function: the evidence the probes and the
// nodes gave in, the cause each failed pair proves (and the node it is on) out. No I/O, no
// sentences: check puts the cause into the catalog's words with the fix for the node's own
// firewall, and a table of evidence → cause tests each cause against its look-alikes.
package diagnose

// Pair is one directed pair: what From's probe found of To's over the overlay. Each field
// but OK is empty when that test passed, or says how it failed.
type Pair struct {
	From     string `json:"from"`
	To       string `json:"to"`
	OK       bool   `json:"ok"`
	TCP      string `json:"tcp,omitempty"`
	TCPLarge string `json:"tcpLarge,omitempty"`
	UDP      string `json:"udp,omitempty"`
	UDPLarge string `json:"udpLarge,omitempty"`
	DNS      string `json:"dns,omitempty"`
}

// Cause is what a failed pair's evidence proves; its catalog words are check.short.CAUSE and
// check.why.CAUSE.
type Cause string

const (
	MTU    Cause = "mtu"    // only full-size payloads are lost: the path's MTU
	Gossip Cause = "gossip" // a node cut off, 7946/tcp to it fails too: its firewall
	Agent  Cause = "agent"  // a node cut off and unknown to the DNS, its docker log says agentInit
	NoDNS  Cause = "nodns"  // the same, its log silent: said as seen, not proven
	VXLAN  Cause = "vxlan"  // a node cut off while gossip reaches it: its data-path port
	UDP    Cause = "udp"    // UDP lost while TCP crosses: not VXLAN
	DNSLag Cause = "dnslag" // only DNS fails, the asker's docker knows the task: the resolver
	DNS    Cause = "dns"    // only DNS fails, gossip did not deliver: 7946/udp into the target
	Path   Cause = "path"   // one pair lost both ways, neither node cut off: between them
)

// Evidence is what check knows beyond each pair's own results.
type Evidence struct {
	Cut       map[string]bool   // nodes every link of which fails both ways, while some pair works
	NotInDNS  map[string]bool   // of those, the ones every pair also misses in the swarm's DNS
	Gossip    map[string]string // node → why 7946/tcp to it fails (gossip's own reach)
	AgentInit map[string]bool   // node → its docker logged that its network agent did not start
	DNSKnown  map[string]bool   // "FROM→TO": the asking node's docker lists the other's task
}

// FromPairs is the evidence the pairs themselves give (Cut, NotInDNS); the rest is the
// caller's to fill.
func FromPairs(pairs []Pair) Evidence {
	ev := Evidence{Cut: CutOff(pairs), NotInDNS: map[string]bool{}}
	// A node whose every link also fails on DNS is not gossiping: the swarm's DNS learns of
	// tasks over 7946, not over the VXLAN port.
	for n := range ev.Cut {
		ev.NotInDNS[n] = true
	}
	for _, p := range pairs {
		if p.DNS == "" {
			ev.NotInDNS[p.From], ev.NotInDNS[p.To] = false, false
		}
	}
	return ev
}

// CutOff lists the nodes whose every link, both ways, failed, while some other pair works.
func CutOff(pairs []Pair) map[string]bool {
	bad, all := map[string]int{}, map[string]int{}
	working := 0
	for _, p := range pairs {
		all[p.From]++
		all[p.To]++
		if p.OK {
			working++
		}
		// Only a small payload lost cuts a node off: large ones alone are the MTU's doing.
		if !p.OK && (p.TCP != "" || p.UDP != "" || p.DNS != "") {
			bad[p.From]++
			bad[p.To]++
		}
	}
	cut := map[string]bool{}
	if working == 0 {
		return cut
	}
	for n, c := range all {
		if bad[n] == c {
			cut[n] = true
		}
	}
	return cut
}

// CauseOf names what the evidence proves of a failed pair, and the node it is on ("" where
// it is between the two).
func (ev Evidence) CauseOf(p Pair) (Cause, string) {
	switch {
	case p.TCP == "" && p.UDP == "" && (p.TCPLarge != "" || p.UDPLarge != ""):
		// Small payloads cross the overlay both ways, so VXLAN and the firewall let it
		// through; only full-size ones are lost: the path's MTU, whatever else fails.
		return MTU, ""
	case ev.Cut[p.To] || ev.Cut[p.From]:
		node := p.To
		if !ev.Cut[p.To] {
			node = p.From
		}
		_, gossip := ev.Gossip[node]
		switch {
		case gossip:
			return Gossip, node
		case ev.NotInDNS[node] && ev.AgentInit[node]:
			// Its docker's own log says its network agent did not start.
			return Agent, node
		case ev.NotInDNS[node]:
			// Seen, not proven: said as seen, with where to look.
			return NoDNS, node
		}
		return VXLAN, node
	case p.TCP == "" && p.UDP != "":
		// TCP crossed the overlay, so VXLAN is open: something drops only UDP.
		return UDP, ""
	case p.TCP == "" && p.UDP == "" && p.DNS != "" && ev.DNSKnown[p.From+"→"+p.To]:
		// Its docker knows the task (gossip delivered it); only the resolver lags.
		return DNSLag, p.From
	case p.TCP == "" && p.UDP == "" && p.DNS != "":
		return DNS, p.To
	}
	return Path, ""
}
