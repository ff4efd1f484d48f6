package lab

import (
	"github.com/swarmwiz/swarmwiz/templates"

	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Inventory is what a running lab is made of; the wizard reads it to find the nodes.
type Inventory struct {
	Name           string `json:"name"`
	Subnet         string `json:"subnet"`
	Bridge         string `json:"bridge"`
	HostAddress    string `json:"hostAddress"`
	User           string `json:"user"`
	IdentityFile   string `json:"identityFile"`
	KnownHostsFile string `json:"knownHostsFile"`
	Nodes          []Node `json:"nodes"`
}

// Node is one practice node.
type Node struct {
	Name    string `json:"name"` // also its hostname
	Address string `json:"address"`
	Netns   string `json:"netns"`
	Veth    string `json:"veth"`
	Dir     string `json:"dir"`
	Kind    string `json:"kind,omitempty"`   // KindNamespace ("" in older inventories) or KindMachine
	OS      string `json:"os,omitempty"`     // a machine node's release, like debian-12
	Docker  string `json:"docker,omitempty"` // a machine node's docker: preinstalled or none
}

// Machine says whether the node is a booted machine rather than a set of namespaces.
func (n Node) Machine() bool { return n.Kind == KindMachine }

// Socket is the node's docker socket as seen from the host: a machine node's is inside its
// own root, reached through its systemd's /proc entry.
func (n Node) Socket() string {
	if n.Machine() {
		return fmt.Sprintf("/proc/%d/root/run/docker.sock", initPID(n))
	}
	return filepath.Join(n.Dir, "run", "docker.sock")
}

// ErrNoLab is returned by Load for a lab that was never brought up (or is down).
var ErrNoLab = templates.Sentence("lab.nosuch")

func inventoryPath(name string) string { return filepath.Join(Dir(name), "inventory.json") }

// Load reads the inventory of the lab called name.
func Load(name string) (*Inventory, error) {
	b, err := os.ReadFile(inventoryPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", templates.Msg("lab.nosuch.name", name), ErrNoLab)
	}
	if err != nil {
		return nil, err
	}
	var inv Inventory
	if err := json.Unmarshal(b, &inv); err != nil {
		return nil, fmt.Errorf("lab %q: inventory %s: %w", name, inventoryPath(name), err)
	}
	return &inv, nil
}

func (inv *Inventory) save() error {
	b, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(inventoryPath(inv.Name), append(b, '\n'), 0o600)
}

// Find returns the node called name, or node number "3".
func (inv *Inventory) Find(name string) (Node, error) {
	for i, n := range inv.Nodes {
		if n.Name == name || strconv.Itoa(i+1) == name || n.Address == name {
			return n, nil
		}
	}
	names := make([]string, len(inv.Nodes))
	for i, n := range inv.Nodes {
		names[i] = n.Name
	}
	return Node{}, errors.New(templates.Msg("lab.nonode", map[string]string{"Lab": inv.Name, "Node": name, "Nodes": strings.Join(names, ", ")}))
}

// Names lists the labs that have state on this machine.
func Names() []string {
	entries, _ := os.ReadDir(StateRoot)
	var out []string
	for _, e := range entries {
		if e.IsDir() && nameRE.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}
