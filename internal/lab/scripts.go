package lab

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/swarmwiz/swarmwiz/templates"
)

// The lab's files and scripts, each rendered from its template by one function: the lab
// runs what these return, and the golden tests read the same.

// NetUpScript wires the lab: its bridge, and each node's namespace and address.
func NetUpScript(inv *Inventory) (string, error) {
	bits := strings.SplitN(inv.Subnet, "/", 2)[1]
	type node struct{ Hostname, Netns, Veth, CIDR string }
	nodes := make([]node, len(inv.Nodes))
	for i, n := range inv.Nodes {
		nodes[i] = node{n.Name, n.Netns, n.Veth, n.Address + "/" + bits}
	}
	return templates.Render("net-up.sh.tmpl", struct {
		Name, Bridge, HostCIDR, Tag string
		Nodes                       []node
	}{inv.Name, inv.Bridge, inv.HostAddress + "/" + bits, tag(inv.Name), nodes})
}

// DownScript removes all the lab called name left on this machine.
func DownScript(name string) (string, error) {
	return templates.Render("down.sh.tmpl", struct{ Name, NetnsPattern, VethPattern, Bridge, Tag string }{
		name, fmt.Sprintf("^swz-%s-[0-9]+$", name), fmt.Sprintf("^sw-%s-[0-9]+$", name), "swb-" + name, tag(name)})
}

// StopScript stops one node's processes.
func StopScript(n Node) (string, error) {
	return templates.Render("node-stop.sh.tmpl", struct{ Hostname, Netns string }{n.Name, n.Netns})
}

// nodeData is what a node's boot script and sshd_config are rendered with.
type nodeData struct{ Hostname, Address, Dir, Netns, AuthorizedKeys, CgroupParent string }

func nodeDataOf(inv *Inventory, n Node) nodeData {
	return nodeData{n.Name, n.Address, n.Dir, n.Netns, filepath.Join(Dir(inv.Name), "authorized_keys"), CgroupParent(n)}
}

// BootScript starts a node's daemons inside its namespaces.
func BootScript(inv *Inventory, n Node) (string, error) {
	return templates.Render("node-boot.sh.tmpl", nodeDataOf(inv, n))
}

// SSHDConfig is a node's sshd_config.
func SSHDConfig(inv *Inventory, n Node) (string, error) {
	return templates.Render("sshd_config.tmpl", nodeDataOf(inv, n))
}

// HostsFile is every node's /etc/hosts: each resolves every other by name.
func HostsFile(inv *Inventory) (string, error) { return templates.Render("hosts.tmpl", inv) }

// UpText is what `lab up` prints: the nodes and how to log in to them.
func UpText(inv *Inventory) (string, error) {
	var rows [][]string
	for _, n := range inv.Nodes {
		rows = append(rows, []string{n.Name, n.Address, "ssh -i " + inv.IdentityFile + " -o UserKnownHostsFile=" + inv.KnownHostsFile + " " + inv.User + "@" + n.Address})
	}
	// Machine nodes: which releases, and whether docker is there yet.
	var machines []string
	docker := true
	for _, n := range inv.Nodes {
		if n.Machine() {
			machines = append(machines, n.OS)
			docker = docker && n.Docker != DockerNone
		}
	}
	return templates.Render("lab-up.tmpl", struct {
		*Inventory
		Rows     [][]string
		Machines string
		Docker   bool
	}{inv, rows, strings.Join(uniq(machines), ", "), docker})
}

// StatusText is what `lab status` prints.
func StatusText(inv *Inventory, nodes []NodeStatus) (string, error) {
	yesno := func(b bool) string {
		if b {
			return templates.Msg("lab.status.up", nil)
		}
		return templates.Msg("lab.status.down", nil)
	}
	var rows [][]string
	for _, n := range nodes {
		kind := templates.Msg("lab.kind.namespace", nil)
		if n.Kind == KindMachine {
			kind = templates.Msg("lab.kind.machine", nil)
		}
		rows = append(rows, []string{n.Name, n.Address, kind, n.OS, yesno(n.SSHD), yesno(n.Dockerd), n.Swarm})
	}
	return templates.Render("lab-status.tmpl", struct {
		Name, Subnet string
		Rows         [][]string
	}{inv.Name, inv.Subnet, rows})
}

// ByHandScript is `make bench`'s baseline: the seed guide done by hand with OpenSSH on this
// lab, first is where init runs.
func ByHandScript(inv *Inventory, first string, managers, workers []string) (string, error) {
	return ByHandScriptThrough(inv, "", inv.KnownHostsFile, first, managers, workers)
}

// ByHandScriptThrough is ByHandScript through an ssh_config (each node's address an alias:
// the distance bench's delaying relays), with the known_hosts that goes with it.
func ByHandScriptThrough(inv *Inventory, sshConfig, knownHosts, first string, managers, workers []string) (string, error) {
	return templates.Render("baseline.sh.tmpl", struct {
		Key, KnownHosts, Config, First string
		Managers, Workers              []string
	}{inv.IdentityFile, knownHosts, sshConfig, first, managers, workers})
}

// ImagesText is what `lab images` prints.
func ImagesText(images []Image) (string, error) {
	var rows [][]string
	for _, im := range images {
		rows = append(rows, []string{im.Release, im.Layer, fmt.Sprintf("%d MB", im.Bytes/1_000_000), im.Path})
	}
	return templates.Render("lab-images.tmpl", struct {
		Root string
		Rows [][]string
	}{ImageRoot(), rows})
}
