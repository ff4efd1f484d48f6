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

func TestParseOS(t *testing.T) {
	for _, c := range []struct {
		spec  string
		nodes int
		want  string // the releases joined, or "error: " and a piece of the refusal
	}{
		{"debian-12", -1, strings.TrimSuffix(strings.Repeat("debian-12,", DefaultNodes), ",")},
		{"debian-11", 2, "debian-11,debian-11"},
		{"debian-12:2,debian-11:1,debian-13:1", -1, "debian-12,debian-12,debian-11,debian-13"},
		{"debian-12:2,debian-11:1", 3, "debian-12,debian-12,debian-11"},
		{"debian-12:2,debian-11:1", 4, "error: makes 3 nodes but --nodes is 4"},
		{"debian-99", -1, "error: give one of debian-11, debian-12, debian-13"},
		{"debian-12,debian-11", -1, "error: a mix with counts"},
		{"debian-12:0", -1, "error: a mix with counts"},
		{"debian-12:x", -1, "error: a mix with counts"},
		{"debian-12:61", -1, "error: makes 61 nodes: a lab has at most 60"},
	} {
		got, err := ParseOS(c.spec, c.nodes)
		s := strings.Join(got, ",")
		if err != nil {
			s = "error: " + err.Error()
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: a refusal of more than one line: %q", c.spec, err)
			}
		}
		wantErr := strings.HasPrefix(c.want, "error: ")
		if (err != nil) != wantErr || !strings.Contains(s, strings.TrimPrefix(c.want, "error: ")) {
			t.Errorf("ParseOS(%q, %d) = %q, want %q", c.spec, c.nodes, s, c.want)
		}
	}
}
