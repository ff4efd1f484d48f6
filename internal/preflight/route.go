package preflight

import "github.com/swarmwiz/swarmwiz/internal/facts"

// RouteFix is the fix for a port of addr (the first manager's advertise address) that node
// cannot reach, when node's own routing table shows the cause: no route at all (no firewall
// rule can help), or only its default gateway while the first manager has an address on one
// of node's own networks (advertise that one). "" when routing says the packet should arrive
// on a network node is on: then it is a firewall's doing, and the firewall fix stands.
func RouteFix(first, node Node, addr string) string {
	way := node.Facts.WayTo(addr)
	if way == facts.WayLink || way == facts.WayRoute {
		return ""
	}
	better := ""
	for _, a := range first.Facts.AdvertiseCandidates() {
		if a.IP != addr && node.Facts.WayTo(a.IP) == facts.WayLink {
			better = a.IP
			break
		}
	}
	data := map[string]string{"Node": node.Name, "First": first.Name, "Addr": addr, "Better": better, "Gateway": node.Facts.Gateway}
	if way == facts.WayNone {
		return msg("preflight.route.none", data)
	}
	if better == "" {
		return "" // through a gateway, and no address of the first manager's is nearer: cannot tell
	}
	return msg("preflight.route.gateway", data)
}
