package lab

import (
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/failure"
)

func TestParseConfigRefusesInOneLine(t *testing.T) {
	for _, c := range []struct{ name, nodes, subnet, want string }{
		{"lab", "0", DefaultSubnet, "--nodes"}, {"lab", "61", DefaultSubnet, "--nodes"}, {"lab", "abc", DefaultSubnet, "--nodes"},
		{"lab", "7", "300.1.1.0/24", "--subnet"}, {"lab", "7", "198.18.0.0/29", "choose a larger subnet"},
		{"lab", "7", "fd00::/64", "IPv4"}, {"Lab!", "7", DefaultSubnet, "--name"}, {"waytoolongname", "7", DefaultSubnet, "--name"},
	} {
		_, err := ParseConfig(c.name, c.nodes, c.subnet)
		if failure.Code(err) != failure.ExitUsage || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: got %v", c, err)
		}
	}
	cfg, err := ParseConfig("lab", "60", "198.18.0.0/26")
	if err != nil || cfg.Nodes != 60 {
		t.Fatalf("60 nodes in a /26 (62 usable) should fit: %v", err)
	}
}

func TestPlanNamesFitLinuxLimits(t *testing.T) {
	cfg, _ := ParseConfig("abcdefgh", "60", DefaultSubnet)
	inv := Plan(cfg)
	if inv.HostAddress != "198.18.0.1" || inv.Nodes[0].Address != "198.18.0.2" || inv.Nodes[59].Address != "198.18.0.61" {
		t.Errorf("addresses: host %s, first %s, last %s", inv.HostAddress, inv.Nodes[0].Address, inv.Nodes[59].Address)
	}
	for _, n := range inv.Nodes {
		if len(n.Veth) > 15 || len(inv.Bridge) > 15 {
			t.Errorf("link name too long for Linux: %s / %s", n.Veth, inv.Bridge)
		}
	}
	if inv.Nodes[6].Name != "node7" {
		t.Errorf("node 7 is called %s", inv.Nodes[6].Name)
	}
}
