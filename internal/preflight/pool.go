package preflight

import (
	"net/netip"
	"strconv"

	"github.com/swarmwiz/swarmwiz/internal/docker"
)

// Overlap is a node's network that an overlay address pool overlaps: containers on an
// overlay subnet carved from it lose the way to that network (the LAN, a VPN, the nodes).
type Overlap struct {
	Node, Iface string
	Net, Pool   netip.Prefix
}

// PoolOverlaps are the nodes' networks that pools (docker's 10.0.0.0/8 when none) overlap.
func PoolOverlaps(nodes []Node, pools []string) []Overlap {
	if len(pools) == 0 {
		pools = []string{docker.DefaultPool}
	}
	var out []Overlap
	for _, p := range pools {
		pool, err := netip.ParsePrefix(p)
		if err != nil {
			continue
		}
		for _, n := range nodes {
			for _, r := range n.Facts.Networks() {
				if r.Net.Overlaps(pool) {
					out = append(out, Overlap{Node: n.Name, Iface: r.Iface, Net: r.Net, Pool: pool})
				}
			}
		}
	}
	return out
}

// ProposePool is an address pool that overlaps none of the nodes' networks, for overlay
// subnets of maskLen bits (docker's 24 when 0): a /16 of 10.x high up, else of 172.20-31
// (172.16-19 are where docker puts its own bridges), else of 192.168.x; "" when every
// candidate is taken, which takes a very crowded network.
func ProposePool(nodes []Node, maskLen int) string {
	if maskLen == 0 {
		maskLen = docker.DefaultPoolMask
	}
	var candidates []string
	for i := 200; i < 255; i++ {
		candidates = append(candidates, "10."+strconv.Itoa(i)+".0.0/16")
	}
	for i := 20; i < 32; i++ {
		candidates = append(candidates, "172."+strconv.Itoa(i)+".0.0/16")
	}
	for i := 128; i < 256; i += 16 {
		candidates = append(candidates, "192.168."+strconv.Itoa(i)+".0/20")
	}
	for _, c := range candidates {
		if p := netip.MustParsePrefix(c); p.Bits() <= maskLen && len(PoolOverlaps(nodes, []string{c})) == 0 {
			return c
		}
	}
	return ""
}
