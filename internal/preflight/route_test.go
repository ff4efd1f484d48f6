package preflight

import (
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/facts"
)

// The routing cause is named only where the joining node's own routing table proves it, with
// the first manager's address that would work; elsewhere the firewall fix stands ("").
func TestRouteFix(t *testing.T) {
	parse := func(lines string) facts.Facts {
		f, err := facts.Parse("hostname=x\n#ip\n" + lines + "#end\n")
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	first := Node{Name: "node1", Facts: parse("2: eth0    inet 203.0.113.5/24 scope global eth0\\ x\n3: eth1    inet 10.0.0.11/24 scope global eth1\\ x\n")}
	withGateway := Node{Name: "node2", Facts: parse("2: eth0    inet 10.0.0.12/24 scope global eth0\\ x\ndefault via 10.0.0.1 dev eth0\n")}
	noRoute := Node{Name: "node3", Facts: parse("2: eth0    inet 10.0.0.13/24 scope global eth0\\ x\n")}
	elsewhere := Node{Name: "node4", Facts: parse("2: eth0    inet 172.16.0.4/24 scope global eth0\\ x\ndefault via 172.16.0.1 dev eth0\n")}
	for _, c := range []struct {
		node      Node
		addr      string
		want, not []string
	}{
		{withGateway, "203.0.113.5", []string{"203.0.113.5 is not on any network node2 is on", "gateway 10.0.0.1", "--advertise-addr 10.0.0.11"}, nil},
		{noRoute, "203.0.113.5", []string{"node3 has no route to 203.0.113.5", "no firewall rule can help", "--advertise-addr 10.0.0.11"}, nil},
		{withGateway, "10.0.0.11", nil, nil}, // on its own network: a firewall's doing
		{elsewhere, "203.0.113.5", nil, nil}, // only a gateway, and no nearer address: cannot tell
	} {
		got := RouteFix(first, c.node, c.addr)
		if len(c.want) == 0 && got != "" {
			t.Errorf("%s to %s: want no routing cause, got %q", c.node.Name, c.addr, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s to %s: %q lacks %q", c.node.Name, c.addr, got, w)
			}
		}
	}
}
