// Package lab is the practice lab: N real swarm-ready nodes on one Linux machine, each a set
// of namespaces with its own dockerd and sshd (see shared/LAB-NOTES.md for the recipe).
package lab

import (
	"github.com/swarmwiz/swarmwiz/templates"

	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/swarmwiz/swarmwiz/internal/failure"
)

// Defaults and limits of `swarmwiz lab up`.
const (
	DefaultName   = "lab"
	DefaultNodes  = 7
	DefaultSubnet = "198.18.0.0/24"
	MaxNodes      = 60
)

// StateRoot holds one folder per lab: keys, known_hosts, node folders, the inventory (a
// variable for the tests).
var StateRoot = "/var/lib/swarmwiz/lab"

// Link names are at most 15 bytes: "swb-" + 8 and "sw-" + 8 + "-" + 2 both fit.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,7}$`)

// Config is what `lab up` was asked for, validated.
type Config struct {
	Name   string
	Nodes  int
	Subnet netip.Prefix
	MachineOptions
}

// ParseConfig validates the flags of `lab up`; every refusal is one line that says what would
// be accepted.
func ParseConfig(name, nodes, subnet string) (Config, error) {
	if err := ValidName(name); err != nil {
		return Config{}, err
	}
	n, err := strconv.Atoi(nodes)
	if err != nil || n < 1 || n > MaxNodes {
		return Config{}, failure.Usagef("%s", templates.Msg("lab.cfg.nodes", map[string]any{"Value": nodes, "Max": MaxNodes}))
	}
	p, err := netip.ParsePrefix(subnet)
	if err != nil || !p.Addr().Is4() {
		return Config{}, failure.Usagef("%s", templates.Msg("lab.cfg.subnet", map[string]any{"Value": subnet, "Example": DefaultSubnet}))
	}
	p = p.Masked()
	// The host takes the first address; network and broadcast addresses are not usable.
	if usable := (1 << (32 - p.Bits())) - 2; usable < n+1 {
		return Config{}, failure.Usagef("%s", templates.Msg("lab.cfg.small", map[string]any{"Subnet": p.String(), "Holds": max(usable, 0), "Nodes": n, "Need": n + 1, "Example": DefaultSubnet}))
	}
	return Config{Name: name, Nodes: n, Subnet: p}, nil
}

// ValidName checks a lab name.
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return failure.Usagef("%s", templates.Msg("lab.cfg.name", name))
	}
	return nil
}

// Dir is the state folder of the lab called name.
func Dir(name string) string { return filepath.Join(StateRoot, name) }

// Plan lays out the lab cfg describes: names, addresses and paths, without creating anything.
func Plan(cfg Config) Inventory {
	dir := Dir(cfg.Name)
	host := cfg.Subnet.Addr().Next()
	inv := Inventory{
		Name:           cfg.Name,
		Subnet:         cfg.Subnet.String(),
		Bridge:         "swb-" + cfg.Name,
		HostAddress:    host.String(),
		User:           "root",
		IdentityFile:   filepath.Join(dir, "id_ed25519"),
		KnownHostsFile: filepath.Join(dir, "known_hosts"),
	}
	addr := host
	for i := 1; i <= cfg.Nodes; i++ {
		addr = addr.Next()
		inv.Nodes = append(inv.Nodes, Node{
			Name:    fmt.Sprintf("node%d", i),
			Address: addr.String(),
			Netns:   fmt.Sprintf("swz-%s-%d", cfg.Name, i),
			Veth:    fmt.Sprintf("sw-%s-%d", cfg.Name, i),
			Dir:     filepath.Join(dir, "nodes", fmt.Sprintf("node%d", i)),
			Kind:    KindNamespace,
		})
		if len(cfg.OS) >= i {
			n := &inv.Nodes[i-1]
			n.Kind, n.OS, n.Docker = KindMachine, cfg.OS[i-1], cfg.Docker
		}
	}
	return inv
}

// checkFree refuses a subnet that overlaps an address this machine already has outside this
// lab's own bridge: the lab would hijack part of a real network, or its traffic could leave
// the machine. It runs before anything is changed.
func checkFree(cfg Config) error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	for _, ifc := range ifaces {
		if ifc.Name == "swb-"+cfg.Name || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			p, err := netip.ParsePrefix(a.String())
			if err != nil || !p.Addr().Is4() {
				continue
			}
			if p.Overlaps(cfg.Subnet) {
				return failure.Usagef("%s", templates.Msg("lab.cfg.overlap", map[string]any{"Subnet": cfg.Subnet.String(), "Net": p.Masked().String(), "Iface": ifc.Name, "Example": DefaultSubnet}))
			}
		}
	}
	return nil
}
