package check

import (
	"context"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// ReadSwarmGossip is what status reads of the swarm's gossip, as check does (see check_gossip.go)
// but of the past, since nothing is being tested: each answering node's docker log for two
// rounds of memberlist's probes, the nodes named through the ingress network's peers (every
// node of a swarm is on it). nodes are the hostnames whose 7946/udp the others' gossip does
// not reach; problems and fixes say so, with each node's own firewall command.
func ReadSwarmGossip(ctx context.Context, env *wizard.Env, st *wizard.State, rows []docker.Node) (nodes, problems, fixes []string) {
	var live []*probeTarget
	for _, r := range rows {
		if n := prelude.NodeByHostname(st, r.Hostname); r.Status == "Ready" && n != nil && n.Conn != nil {
			live = append(live, &probeTarget{row: r, node: n})
		}
	}
	if len(live) < 3 {
		// With two nodes each one's warnings are the other's echo: no node can be named.
		return nil, nil, nil
	}
	logs := readGossipLogs(ctx, env, "ingress", live, len(live)+3, true)
	problems, fixes, _ = gossipFindings(logs, byHostname(live))
	_, own := logs.blamed()
	for _, t := range live {
		if own[t.row.Hostname] {
			nodes = append(nodes, t.row.Hostname)
		}
	}
	return nodes, problems, fixes
}
