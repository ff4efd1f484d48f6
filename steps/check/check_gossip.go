package check

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// gossipRead is what check read of the nodes' docker logs.
type gossipRead struct {
	udpFailed map[string][]string // node → the nodes its gossip's UDP did not reach (TCP did)
	agentInit map[string]bool     // node → its network agent failed to start, since dockerd started
	read      map[string]bool     // node → its docker log could be read
	seconds   int                 // how far back the UDP warnings were read
}

// readGossip reads the nodes' docker logs since the check started. Where a warning shows, it
// reads two whole rounds (memberlist probes one peer a second, in turn: in a round every node
// has probed every other) and keeps only the warnings both rounds have: a firewall drops every
// round, a moment of a busy machine does not repeat; and a warning from before a fix the user
// just made is not read at all. A healthy swarm costs one read.
func readGossip(ctx context.Context, env *wizard.Env, network string, live []*probeTarget, since time.Time) gossipRead {
	first := readGossipOnce(ctx, env, network, live, since)
	if len(first.udpFailed) == 0 {
		return first
	}
	round := time.Duration(len(live)+3) * time.Second
	wait := func(until time.Time) bool {
		select {
		case <-time.After(time.Until(until)):
			return true
		case <-ctx.Done():
			return false
		}
	}
	if !wait(since.Add(round)) {
		return gossipRead{read: first.read, agentInit: first.agentInit}
	}
	first = readGossipOnce(ctx, env, network, live, since)
	again := time.Now()
	if !wait(again.Add(round)) {
		return gossipRead{read: first.read, agentInit: first.agentInit}
	}
	second := readGossipOnce(ctx, env, network, live, again)
	both := gossipRead{udpFailed: map[string][]string{}, agentInit: first.agentInit, read: map[string]bool{},
		seconds: first.seconds + second.seconds}
	for n := range first.read {
		both.read[n] = second.read[n]
	}
	for from, tos := range first.udpFailed {
		for _, to := range tos {
			if slices.Contains(second.udpFailed[from], to) {
				both.udpFailed[from] = append(both.udpFailed[from], to)
			}
		}
	}
	return both
}

func readGossipOnce(ctx context.Context, env *wizard.Env, network string, live []*probeTarget, since time.Time) gossipRead {
	return readGossipLogs(ctx, env, network, live, int(time.Since(since).Seconds())+1, false)
}

// readGossipLogs reads the nodes' docker logs of the last seconds; twoRounds: of the seconds
// before those too, and a warning counts only when both windows have it (status reads the
// past of a swarm nobody is testing: a firewall's drop repeats, a busy moment's does not).
// network names the peers: an overlay every node of live is on.
func readGossipLogs(ctx context.Context, env *wizard.Env, network string, live []*probeTarget, seconds int, twoRounds bool) gossipRead {
	g := gossipRead{udpFailed: map[string][]string{}, agentInit: map[string]bool{}, read: map[string]bool{}, seconds: seconds}
	script := docker.GossipLogScript(seconds)
	if twoRounds {
		script, g.seconds = docker.GossipLogTwoRounds(seconds, seconds), 2*seconds
	}
	var nodes []*wizard.Node
	host := map[*wizard.Node]string{}
	for _, t := range live {
		if t.node != nil {
			nodes = append(nodes, t.node)
			host[t.node] = t.row.Hostname
		}
	}
	var mu sync.Mutex
	prelude.EachRead(env, nodes, func(_ int, n *wizard.Node) error {
		out, err := env.Read(ctx, n, script)
		log := docker.ParseGossipLog(out)
		if err != nil || log.NoLog {
			return nil
		}
		failed := log.UDPFailed
		if twoRounds {
			failed = slices.DeleteFunc(failed, func(name string) bool { return !slices.Contains(log.Older, name) })
		}
		var to []string
		if len(failed) > 0 {
			peers, _ := n.Docker().NetworkPeers(ctx, network)
			for _, name := range failed {
				if h := hostAt(live, peers[name]); h != "" && h != host[n] && !slices.Contains(to, h) {
					to = append(to, h)
				}
			}
		}
		mu.Lock()
		defer mu.Unlock()
		g.read[host[n]], g.agentInit[host[n]] = true, log.AgentInit
		if len(to) > 0 {
			g.udpFailed[host[n]] = to
		}
		return nil
	})
	return g
}

// hostAt is the live node whose address ip is ("" when none is).
func hostAt(live []*probeTarget, ip string) string {
	for _, t := range live {
		if ip != "" && t.node != nil && (t.node.Facts.HasIP(ip) || t.node.Facts.Swarm.NodeAddr == ip) {
			return t.row.Hostname
		}
	}
	return ""
}

// gossipFindings weighs the warnings. A node that every other node read warns about, of at
// least two, is one whose own 7946/udp drops what arrives: a problem, with its fix there; its
// own warnings about the others are the echo of that (their answers are dropped too) and are
// not counted. A warning only some nodes give proves no cause: it is said as seen, with where
// to look, as a note that does not fail the check.
func gossipFindings(g gossipRead, byName map[string]*probeTarget) (problems, fixes, notes []string) {
	blamedBy, own := g.blamed()
	for _, to := range slices.Sorted(maps.Keys(blamedBy)) {
		from := blamedBy[to]
		slices.Sort(from)
		data := map[string]any{"Node": to, "From": templates.List(from), "Seconds": g.seconds}
		if own[to] {
			data["Fix"] = openFor(byName[to], "7946", "udp")
			problems = append(problems, msg("check.gossip.own", data))
			fixes = append(fixes, msg("check.gossip.own.why", data))
			continue
		}
		for _, f := range from {
			if own[f] {
				continue
			}
			data["From"] = f
			notes = append(notes, msg("check.gossip.pair", data))
		}
	}
	return problems, fixes, notes
}

// blamed is, for each node warned about, the nodes that warned; own[NODE] is true when every
// other node read did so, of at least two: NODE's own 7946/udp drops what arrives.
func (g gossipRead) blamed() (blamedBy map[string][]string, own map[string]bool) {
	blamedBy, own = map[string][]string{}, map[string]bool{}
	for from, tos := range g.udpFailed {
		for _, to := range tos {
			blamedBy[to] = append(blamedBy[to], from)
		}
	}
	for to, from := range blamedBy {
		readers := 0
		for n := range g.read {
			if n != to {
				readers++
			}
		}
		own[to] = readers >= 2 && len(from) == readers
	}
	return blamedBy, own
}
