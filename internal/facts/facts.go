// Package facts reads what swarmwiz learns about a node before changing anything: its
// hostname, OS, docker engine, swarm state and IPv4 interfaces.
package facts

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/templates"
)

// Facts are one node's.
type Facts struct {
	Hostname        string
	OS              string // PRETTY_NAME
	OSID, OSVersion string
	DockerInstalled bool
	Systemd         bool   // booted with systemd: `systemctl enable --now docker` can start docker
	DockerVersion   string // the daemon's; "" when it does not answer
	EngineID        string // docker's own ID of the engine: cloned VMs share it
	Swarm           docker.Swarm
	Addrs           []Addr
	MachineID       string         // /etc/machine-id: cloned VMs share it too
	Time            int64          // the node's clock, Unix seconds, when the facts were read
	Firewalld       string         // "running", "not-running"; "" when not installed
	UFW             string         // "Status: active" ...; "" when not installed
	IptablesInput   string         // "-P INPUT DROP" ...
	SELinux         string         // Enforcing, Permissive, Disabled; "" when absent
	Arch            string         // the machine, as `uname -m` says it: x86_64, aarch64 ...
	MTU             map[string]int // by interface
	Routes          []Route
	Gateway         string // the default route's next hop; "" when there is none
	// NftInput are the nftables chains on the input hook, as `nft list chains` lists them.
	NftInput    []NftChain
	DockerRoot  string   // the daemon's data root, where its swarm certificates are
	LiveRestore bool     // "live-restore": true in daemon.json, which swarm mode refuses
	Vendor      string   // DMI system vendor: "VMware, Inc." on a VMware guest
	NICDrivers  []string // vmxnet3 on VMware
}

// VMware says whether the node looks like a VMware guest, where NSX may use 4789/udp.
func (f Facts) VMware() bool {
	return strings.Contains(strings.ToLower(f.Vendor), "vmware") || slices.Contains(f.NICDrivers, "vmxnet3")
}

// Networks are the IPv4 networks the node is on or routes to, docker's own bridges and
// loopback left out: an overlay subnet that overlaps one of them makes containers lose
// the way to that network.
func (f Facts) Networks() []Route {
	var out []Route
	own := func(iface string) bool {
		return iface == "lo" || iface == "docker0" || iface == "docker_gwbridge" || strings.HasPrefix(iface, "veth") || strings.HasPrefix(iface, "br-")
	}
	for _, a := range f.Addrs {
		if a.Net.IsValid() && !own(a.Iface) {
			out = append(out, Route{a.Iface, a.Net})
		}
	}
	for _, r := range f.Routes {
		if !own(r.Iface) && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// Addr is one IPv4 address of a node's interface.
type Addr struct {
	Iface string
	IP    string
	Net   netip.Prefix // the interface's network (10.0.0.0/24 for 10.0.0.11/24)
}

// Route is a network the node reaches through an interface (its routing table, default
// route left out).
type Route struct {
	Iface string
	Net   netip.Prefix
}

// DockerAnswers says whether the daemon answered.
func (f Facts) DockerAnswers() bool { return f.DockerVersion != "" }

// Command is the read-only script that prints the facts; withDocker asks the docker client
// too (run as the node's Runner runs it: directly or through sudo), where the docker facts
// are not read from the API instead.
func Command(withDocker bool) string {
	format := ""
	if withDocker {
		format = "{{.ServerVersion}}|{{.ID}}|{{.DockerRootDir}}|" + docker.SwarmFormat
	}
	return templates.MustRender("facts.sh.tmpl", map[string]string{"Format": format})
}

// LockScript holds a node for one run (see node-lock.sh.tmpl), waiting up to wait for another
// holder; holder is what a waiting run is shown. It says "ready" once it holds the node (the
// run then reads the node's swarm state again, through the docker API).
func LockScript(wait time.Duration, holder string) (string, error) {
	return templates.Render("node-lock.sh.tmpl", map[string]string{"Wait": fmt.Sprint(int(wait.Seconds())), "Holder": holder})
}

// DockerSocket is where the docker daemon listens on a node.
const DockerSocket = "/var/run/docker.sock"

// ReadAPI asks the docker daemon for its version and swarm state directly over its socket
// (api reaches the node's daemon): a few milliseconds, where starting the docker client costs
// a noticeable fraction of a second on a small machine. It changes nothing.
func ReadAPI(ctx context.Context, api docker.API, f *Facts) error {
	var info struct {
		ServerVersion string
		ID            string
		Name          string // the node's hostname
		DockerRootDir string
		Swarm         docker.Swarm
		// LiveRestoreEnabled: docker refuses swarm mode with "live-restore" on.
		LiveRestoreEnabled bool
	}
	if err := api.Get(ctx, "/info", &info); err != nil {
		return err
	}
	if err := info.Swarm.Validate(); err != nil {
		return err
	}
	f.DockerInstalled, f.DockerVersion, f.EngineID, f.Swarm, f.DockerRoot = true, info.ServerVersion, info.ID, info.Swarm, info.DockerRootDir
	f.LiveRestore = info.LiveRestoreEnabled
	if f.Hostname == "" {
		f.Hostname = info.Name
	}
	return nil
}

// Parse reads the script's output. A swarm state that does not parse, or names an address
// that is not an IP address, is an error: nothing the node says is used unchecked.
func Parse(out string) (Facts, error) {
	var f Facts
	var bad error
	sc := bufio.NewScanner(strings.NewReader(out))
	section := ""
	var nft []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "#ip" || line == "#iptables" || line == "#nft":
			section = line[1:]
			continue
		case line == "#end":
			section = ""
			continue
		case section == "ip":
			f.parseIP(line)
			continue
		case section == "nft":
			nft = append(nft, line)
			continue
		case section == "iptables":
			if f.IptablesInput == "" {
				f.IptablesInput = strings.TrimSpace(line) // the policy line comes first
			}
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "hostname":
			f.Hostname = v
		case "arch":
			f.Arch = v
		case "os":
			f.OS = v
		case "os_id":
			f.OSID = v
		case "os_version":
			f.OSVersion = v
		case "docker_installed":
			f.DockerInstalled = true
		case "systemd":
			f.Systemd = true
		case "docker":
			f.DockerVersion = strings.TrimSpace(v)
		case "engine_id":
			f.EngineID = v
		case "docker_root":
			f.DockerRoot = strings.TrimSpace(v)
		case "machine_id":
			f.MachineID = v
		case "time":
			f.Time, _ = strconv.ParseInt(v, 10, 64)
		case "firewalld":
			f.Firewalld = v
		case "ufw":
			f.UFW = v
		case "selinux":
			f.SELinux = v
		case "swarm":
			s, err := docker.ParseSwarm(v)
			switch {
			case err == nil:
				f.Swarm = s
			case strings.TrimSpace(v) != "":
				// An empty value is a daemon that does not answer, not a bad answer.
				bad = err
			}
		case "vendor":
			f.Vendor = strings.TrimSpace(v)
		case "nic_driver":
			f.NICDrivers = append(f.NICDrivers, strings.TrimSpace(v))
		}
	}
	f.NftInput = parseNft(nft)
	return f, bad
}

// parseIP reads one line of `ip -o -4` (addr, route or link show), told apart by their shape:
//
//	2: eth0    inet 10.0.0.11/24 brd 10.0.0.255 scope global eth0\ ...
//	10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11
//	2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc ...
func (f *Facts) parseIP(line string) {
	w := strings.Fields(line)
	if len(w) < 3 {
		return
	}
	after := func(key string) string {
		for i := 1; i+1 < len(w); i++ {
			if w[i] == key {
				return w[i+1]
			}
		}
		return ""
	}
	switch {
	case !strings.HasSuffix(w[0], ":"): // a route; routes without a device left out, the default kept apart
		if w[0] == "default" {
			if via := after("via"); via != "" && f.Gateway == "" {
				f.Gateway = via
			} else if via == "" && after("dev") != "" && f.Gateway == "" {
				f.Gateway = "dev " + after("dev") // a default route straight onto a link (a point-to-point VPN)
			}
		} else if dev := after("dev"); dev != "" {
			f.addRoute(dev, w[0])
		}
	case w[2] == "inet":
		if len(w) > 3 {
			f.addAddr(w[1], w[3])
		}
	case strings.HasSuffix(w[1], ":"): // a link
		name, _, _ := strings.Cut(strings.TrimSuffix(w[1], ":"), "@")
		f.addMTU(name, after("mtu"))
	}
}

func (f *Facts) addAddr(iface, cidr string) {
	if p, err := netip.ParsePrefix(cidr); err == nil {
		f.Addrs = append(f.Addrs, Addr{Iface: iface, IP: p.Addr().String(), Net: p.Masked()})
	}
}

func (f *Facts) addRoute(iface, cidr string) {
	if p, err := netip.ParsePrefix(cidr); err == nil && p.Addr().Is4() {
		f.Routes = append(f.Routes, Route{iface, p.Masked()})
	}
}

func (f *Facts) addMTU(iface, n string) {
	if mtu, err := strconv.Atoi(n); err == nil && mtu > 0 {
		if f.MTU == nil {
			f.MTU = map[string]int{}
		}
		f.MTU[iface] = mtu
	}
}

// IfaceOf is the interface that holds ip ("" when none does).
func (f Facts) IfaceOf(ip string) string {
	for _, a := range f.Addrs {
		if a.IP == ip {
			return a.Iface
		}
	}
	return ""
}

// AdvertiseCandidates are the addresses worth offering for --advertise-addr: loopback and the
// interfaces docker makes for itself (docker0, docker_gwbridge, veths) left out, since other
// nodes can never reach those.
func (f Facts) AdvertiseCandidates() []Addr {
	var out []Addr
	for _, a := range f.Addrs {
		ip, err := netip.ParseAddr(a.IP)
		if err != nil || ip.IsLoopback() || a.Iface == "docker0" || a.Iface == "docker_gwbridge" ||
			strings.HasPrefix(a.Iface, "veth") || strings.HasPrefix(a.Iface, "virbr") {
			continue
		}
		out = append(out, a)
	}
	return out
}

// NftChain is a base chain of nftables on the input hook.
type NftChain struct {
	Family, Table, Chain, Policy string
}

// Iptables says whether iptables made the chain (its nf_tables backend's INPUT of the ip or ip6
// filter table): its rules are iptables' to manage.
func (c NftChain) Iptables() bool {
	return (c.Family == "ip" || c.Family == "ip6") && c.Table == "filter" && c.Chain == "INPUT"
}

// NftDrop is the first chain of nftables' own (not iptables') on the input hook that drops by
// default: where a node run with nftables alone (Debian's nftables.conf) closes the swarm's
// ports. ok is false when there is none.
func (f Facts) NftDrop() (c NftChain, ok bool) {
	for _, c := range f.NftInput {
		if !c.Iptables() && c.Policy == "drop" {
			return c, true
		}
	}
	return NftChain{}, false
}

// nftName says whether s is a plain nftables name (what swarmwiz puts in a rule it writes).
func nftName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// parseNft reads `nft list chains`: "table inet filter {", "chain input {",
// "type filter hook input priority filter; policy drop;".
func parseNft(lines []string) []NftChain {
	var out []NftChain
	var family, table, chain string
	for _, line := range lines {
		w := strings.Fields(strings.ReplaceAll(line, ";", " ; "))
		switch {
		case len(w) >= 3 && w[0] == "table":
			family, table, chain = w[1], w[2], ""
		case len(w) >= 2 && w[0] == "chain":
			chain = w[1]
		case slices.Contains(w, "hook"):
			if i := slices.Index(w, "hook"); i+1 < len(w) && w[i+1] == "input" {
				policy := "accept"
				if j := slices.Index(w, "policy"); j >= 0 && j+1 < len(w) {
					policy = w[j+1]
				}
				if nftName(family) && nftName(table) && nftName(chain) {
					out = append(out, NftChain{family, table, chain, policy})
				}
			}
		}
	}
	return out
}

// Ways a node's packets take to an address, as its own routing table says.
const (
	WayLink    = "link"    // on a network the node is on: delivered on that link
	WayRoute   = "route"   // a route of the node's covers it
	WayGateway = "gateway" // only the default route: handed to the gateway, beyond the node's view
	WayNone    = "none"    // no route at all: the kernel refuses to send (Network is unreachable)
)

// WayTo says how the node would send a packet to ip.
func (f Facts) WayTo(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return WayNone
	}
	for _, ad := range f.Addrs {
		if ad.IP == ip || (ad.Net.IsValid() && ad.Net.Contains(a) && ad.Net.Bits() < 32) {
			return WayLink
		}
	}
	for _, r := range f.Routes {
		if r.Net.Contains(a) {
			return WayRoute
		}
	}
	if f.Gateway != "" {
		return WayGateway
	}
	return WayNone
}

// HasIP says whether ip is one of the node's addresses.
func (f Facts) HasIP(ip string) bool {
	for _, a := range f.Addrs {
		if a.IP == ip {
			return true
		}
	}
	return false
}
