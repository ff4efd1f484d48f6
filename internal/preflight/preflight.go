// Package preflight judges what was read from the nodes before anything changes: the few
// things that break first swarms (moby's issue tracker is full of them). It only judges;
// steps/preflight.go shows the findings and offers the fixes.
package preflight

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/templates"
)

// Level orders findings: errors block, warnings are explained and the user decides.
type Level int

// Levels.
const (
	Note Level = iota
	Warn
	Error
)

func (l Level) String() string {
	return [...]func() string{
		func() string { return templates.Msg("pf.level.note", nil) },
		func() string { return templates.Msg("pf.level.warning", nil) },
		func() string { return templates.Msg("pf.level.error", nil) },
	}[l]()
}

// Finding is one row of the preflight table.
type Finding struct {
	Node, Check, Result, Fix string
	Level                    Level
}

// Node is what the checks know of one node.
type Node struct {
	Name   string
	Addr   string // how swarmwiz reaches it: tells apart nodes that share a name
	Facts  facts.Facts
	Skew   int64 // node clock minus ours, seconds
	Member bool  // already in the swarm being built
	// WillLeave: the node is in another swarm and will leave it once the user confirms.
	WillLeave bool
}

// Options say where the advice is read: fixes name what works there.
type Options struct {
	Interactive bool   // a terminal: swarmwiz can offer fixes and ask
	Lab         string // the nodes are this practice lab's ("": real machines)
	VXLANPort   int    // the overlay's UDP port (--data-path-port); 0: 4789
}

func (o Options) vxlan() int {
	if o.VXLANPort == 0 {
		return 4789
	}
	return o.VXLANPort
}

// An overlay network wraps each packet in VXLAN: 50 bytes more. Docker gives containers on
// an overlay MTU 1450, which fits a path of 1500.
const (
	OverlayMTU      = 1450
	OverlayOverhead = 50
)

// MaxSkew is the clock difference swarm's TLS certificates survive.
const MaxSkew = 30

// Check runs every check that needs only the facts.
func Check(nodes []Node, advertise string, o Options) []Finding {
	var out []Finding
	for _, n := range nodes {
		out = append(out, checkNode(n, o)...)
	}
	nodes, twice := sameMachine(nodes)
	out = append(out, twice...)
	hostnameFix := msg("pf.hostname.fix", nil)
	if o.Lab != "" {
		hostnameFix = msg("pf.hostname.fix.lab", o.Lab)
	}
	out = append(out, unique(nodes, msg("pf.check.hostname", nil), func(f facts.Facts) string { return f.Hostname }, hostnameFix)...)
	out = append(out, unique(nodes, "machine-id", func(f facts.Facts) string { return f.MachineID }, msg("pf.machineid.fix", nil))...)
	out = append(out, unique(nodes, msg("pf.check.engineid", nil), func(f facts.Facts) string { return f.EngineID }, msg("pf.engineid.fix", nil))...)
	out = append(out, sharedAdvertise(nodes, advertise)...)
	out = append(out, versions(nodes)...)
	return out
}

// versions notes a swarm whose nodes run different engine versions: it works, but says what
// that means and which node runs which.
func versions(nodes []Node) []Finding {
	by := map[string][]string{}
	for _, n := range nodes {
		if v := n.Facts.DockerVersion; v != "" && n.Facts.DockerAnswers() {
			by[v] = append(by[v], n.Name)
		}
	}
	if len(by) < 2 {
		return nil
	}
	vs := make([]string, 0, len(by))
	for v := range by {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	parts := make([]string, len(vs))
	var names []string
	for i, v := range vs {
		parts[i] = v + " (" + strings.Join(by[v], ", ") + ")"
		names = append(names, by[v]...)
	}
	sort.Strings(names)
	return []Finding{{Node: strings.Join(names, ", "), Check: msg("pf.check.versions", nil), Level: Note,
		Result: msg("pf.versions", strings.Join(parts, "; ")), Fix: msg("pf.versions.fix", nil)}}
}

// sharedAdvertise refuses an advertise address that another node has too: VirtualBox NAT
// gives every VM 10.0.2.15, docker0 every host 172.17.0.1. A node that has it reaches it on
// itself only, so a probe from there "passes" and the swarm would be built on an address no
// other node can reach.
func sharedAdvertise(nodes []Node, advertise string) []Finding {
	if advertise == "" {
		return nil
	}
	var first *Node
	var also []string
	for i := range nodes {
		if !nodes[i].Facts.HasIP(advertise) {
			continue
		}
		if first == nil {
			first = &nodes[i]
			continue
		}
		also = append(also, nodes[i].Name)
	}
	if first == nil {
		return nil
	}
	if len(also) == 0 {
		if strings.HasPrefix(advertise, "10.0.2.") {
			return []Finding{{Check: msg("pf.check.advertise", nil), Level: Warn, Result: msg("pf.vboxnat", advertise),
				Fix: msg("pf.vboxnat.fix", nil)}}
		}
		return nil
	}
	var others []string
	for _, a := range first.Facts.AdvertiseCandidates() {
		if a.IP == advertise {
			continue
		}
		shared := false
		for _, n := range nodes {
			if n.Name != first.Name && n.Facts.HasIP(a.IP) {
				shared = true
			}
		}
		if !shared {
			others = append(others, a.IP+" ("+a.Iface+")")
		}
	}
	fix := msg("pf.shared.fix", first.Name)
	if len(others) > 0 {
		fix = msg("pf.shared.fix.others", map[string]string{"Node": first.Name, "Others": strings.Join(others, ", ")})
	}
	return []Finding{{Node: first.Name, Check: msg("pf.check.advertise", nil), Level: Error,
		Result: msg("pf.shared", map[string]any{"Addr": advertise, "Also": strings.Join(also, ", "), "VBox": strings.HasPrefix(advertise, "10.0.2.")}), Fix: fix}}
}

// sameMachine finds a machine given twice (10.0.0.11 and root@10.0.0.11:22, or a name and
// its address): the same machine-id and the same addresses. That is a duplicate entry, not a
// cloned VM (a clone has addresses of its own); the others' checks run on the list without
// the repeats.
func sameMachine(nodes []Node) ([]Node, []Finding) {
	var out []Node
	var found []Finding
	seen := map[string]Node{}
	for _, n := range nodes {
		key := n.Facts.MachineID + "|" + n.Facts.Hostname + "|" + addrKey(n.Facts)
		if n.Facts.MachineID == "" || len(n.Facts.Addrs) == 0 {
			out = append(out, n)
			continue
		}
		if prev, ok := seen[key]; ok {
			found = append(found, Finding{Node: n.Name, Check: msg("pf.check.twice", nil), Level: Error,
				Result: msg("pf.twice", []string{prev.Addr, n.Addr}), Fix: msg("pf.twice.fix", nil)})
			continue
		}
		seen[key] = n
		out = append(out, n)
	}
	return out, found
}

func addrKey(f facts.Facts) string {
	var ips []string
	for _, a := range f.Addrs {
		ips = append(ips, a.IP)
	}
	sort.Strings(ips)
	return strings.Join(ips, ",")
}

func checkNode(n Node, o Options) []Finding {
	f := n.Facts
	var out []Finding
	add := func(level Level, check, result, fix string) {
		out = append(out, Finding{Node: n.Name, Check: check, Result: result, Fix: fix, Level: level})
	}
	if name, level, note := OS(f.OSID, f.OSVersion); level > Note || note != "" {
		add(level, "os", name+": "+note, "")
	}
	switch {
	case !f.DockerInstalled:
		add(Error, "docker", msg("pf.docker.missing", nil), msg("pf.docker.missing.fix", nil))
	case !f.DockerAnswers():
		// With systemd running, swarmwiz can start it (and offers to).
		fix := "sudo systemctl enable --now docker"
		if f.Systemd {
			fix = msg("pf.docker.down.fix", nil)
		}
		if o.Lab != "" && !f.Systemd {
			fix = "swarmwiz lab start --name " + o.Lab + " " + n.Facts.Hostname
		}
		add(Error, "docker", msg("pf.docker.down", nil), fix)
	case major(f.DockerVersion) < 20 && !strings.HasPrefix(f.DockerVersion, "1.13"):
		add(Warn, "docker", msg("pf.docker.old", f.DockerVersion), msg("pf.docker.old.fix", nil))
	}
	if f.Hostname != "" && !dnsName.MatchString(f.Hostname) {
		// Docker takes it, but names in the swarm's DNS and in other tools follow RFC 1123.
		add(Note, msg("pf.check.hostname", nil), msg("pf.hostname.dns", f.Hostname), msg("pf.hostname.dns.fix", strings.Trim(dnsBad.ReplaceAllString(strings.ToLower(f.Hostname), "-"), "-")))
	}
	if f.LiveRestore && !n.Member {
		// docker refuses swarm mode with it: the init or join would fail with docker's words.
		add(Error, "docker", msg("pf.liverestore", nil), msg("pf.liverestore.fix", nil))
	}
	if n.Skew > MaxSkew || n.Skew < -MaxSkew {
		add(Error, msg("pf.check.clock", nil), msg("pf.clock", fmt.Sprintf("%+d", n.Skew)), msg("pf.clock.fix", nil))
	}
	if !n.Member {
		switch s := f.Swarm.LocalNodeState; s {
		case "active":
			manager := false
			if f.Swarm.ControlAvailable {
				manager = true
			}
			switch {
			case n.WillLeave:
				add(Note, msg("pf.check.swarm", nil), msg("pf.other", manager), msg("pf.other.fix.leave", nil))
			case o.Interactive:
				add(Error, msg("pf.check.swarm", nil), msg("pf.other", manager), msg("pf.other.fix.ask", nil))
			default:
				add(Error, msg("pf.check.swarm", nil), msg("pf.other", manager), msg("pf.other.fix.flag", nil))
			}
		case "pending", "error", "locked":
			add(Error, msg("pf.check.swarm", nil), msg("pf.stuck", s), msg("pf.stuck.fix", nil))
		}
	}
	if strings.Contains(f.Firewalld, "running") && f.Firewalld != "not-running" {
		add(Warn, msg("pf.check.firewall", nil), msg("pf.firewalld", nil), msg("pf.firewall.fix", o.vxlan()))
	}
	if strings.Contains(f.UFW, "Status: active") {
		add(Warn, msg("pf.check.firewall", nil), msg("pf.ufw", nil), msg("pf.firewall.fix", o.vxlan()))
	}
	if c, ok := f.NftDrop(); ok && Firewall(f) == "nftables" {
		add(Warn, msg("pf.check.firewall", nil), msg("pf.nftables", c), msg("pf.firewall.fix", o.vxlan()))
	}
	if strings.Contains(f.IptablesInput, "-P INPUT DROP") || strings.Contains(f.IptablesInput, "-P INPUT REJECT") {
		add(Warn, msg("pf.check.firewall", nil), msg("pf.iptables", nil), msg("pf.firewall.fix", o.vxlan()))
	}
	if iface := f.IfaceOf(n.Addr); f.MTU[iface] > 0 && f.MTU[iface] < OverlayMTU+OverlayOverhead {
		mtu := f.MTU[iface]
		add(Warn, "mtu", msg("pf.mtu", map[string]any{"Iface": iface, "MTU": mtu, "Overhead": OverlayOverhead, "Overlay": OverlayMTU, "Path": OverlayMTU + OverlayOverhead}),
			msg("pf.mtu.fix", mtu-OverlayOverhead))
	}
	if f.SELinux == "Enforcing" {
		add(Note, "selinux", msg("pf.selinux", nil), msg("pf.selinux.fix", nil))
	}
	return out
}

// unique reports nodes that share a value that must differ between machines.
func unique(nodes []Node, check string, key func(facts.Facts) string, fix string) []Finding {
	by := map[string][]string{}
	for _, n := range nodes {
		if k := key(n.Facts); k != "" {
			by[k] = append(by[k], fmt.Sprintf("%s (%s)", n.Name, n.Addr))
		}
	}
	var out []Finding
	for k, names := range by {
		if len(names) > 1 {
			sort.Strings(names)
			out = append(out, Finding{Node: strings.Join(names, ", "), Check: check, Level: Error,
				Result: msg("pf.share", map[string]any{"Nodes": names, "Check": check, "Value": k}), Fix: fix})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// OS names an os-release ID and version and says how well swarmwiz knows it.
func OS(id, version string) (string, Level, string) {
	v := version
	if i := strings.IndexByte(v, '.'); i >= 0 && id != "ubuntu" {
		v = v[:i]
	}
	switch id {
	case "centos":
		if v == "7" {
			return "CentOS 7", Note, msg("pf.os.centos7", nil)
		}
		return "CentOS " + version, Note, ""
	case "rhel", "rocky", "almalinux":
		if v == "8" || v == "9" {
			return id + " " + version, Note, ""
		}
	case "ubuntu":
		switch version {
		case "20.04", "22.04", "24.04":
			return "Ubuntu " + version, Note, ""
		}
	case "debian":
		if v == "11" || v == "12" || v == "13" {
			return "Debian " + version, Note, ""
		}
	}
	return strings.TrimSpace(id + " " + version), Warn, msg("pf.os.unknown", nil)
}

// Family is "rhel" or "debian", for the install scripts; "" when unknown.
func Family(id string) string {
	switch id {
	case "centos", "rhel", "rocky", "almalinux", "fedora":
		return "rhel"
	case "debian", "ubuntu":
		return "debian"
	}
	return ""
}

// Where Docker Engine is installed from.
const (
	SourceDocker = "docker" // Docker's own repository: the current engine, as Docker documents
	SourceDistro = "distro" // the OS's own packages: older, but served by the OS's mirrors
)

// InstallScript is the script that installs Docker Engine on a node with these facts, from
// source (SourceDocker or SourceDistro).
func InstallScript(f facts.Facts, source string) (string, error) {
	if source == SourceDistro {
		return distroScript(f)
	}
	switch Family(f.OSID) {
	case "rhel":
		pm := "dnf"
		if f.OSID == "centos" && strings.HasPrefix(f.OSVersion, "7") {
			pm = "yum"
		}
		return templates.Render("install-docker-rhel.sh.tmpl", map[string]any{"Name": f.OS, "PM": pm,
			"CentOS7": f.OSID == "centos" && strings.HasPrefix(f.OSVersion, "7")})
	case "debian":
		return templates.Render("install-docker-debian.sh.tmpl", map[string]any{"Name": f.OS, "ID": f.OSID})
	}
	return "", errors.New(msg("pf.noinstall", f.OS))
}

// Firewall is the firewall a node runs ("firewalld", "ufw", "nftables", "iptables"), or "".
// nftables is its own chains on the input hook dropping by default, beside which iptables'
// policy (ACCEPT) says nothing.
func Firewall(f facts.Facts) string {
	_, nft := f.NftDrop()
	switch {
	case strings.Contains(f.Firewalld, "running") && f.Firewalld != "not-running":
		return "firewalld"
	case strings.Contains(f.UFW, "Status: active"):
		return "ufw"
	case nft:
		return "nftables"
	case strings.Contains(f.IptablesInput, "DROP") || strings.Contains(f.IptablesInput, "REJECT"):
		return "iptables"
	}
	return ""
}

// FirewallScript opens the swarm ports with the given firewall; nft is the input chain to
// add the rules to when it is nftables.
func FirewallScript(firewall string, nft facts.NftChain, vxlanPort int) (string, error) {
	if vxlanPort == 0 {
		vxlanPort = 4789
	}
	at := nft.Family + " " + nft.Table + " " + nft.Chain
	return templates.Render("firewall-open.sh.tmpl", map[string]any{"Firewall": firewall, "VXLAN": strconv.Itoa(vxlanPort), "Nft": nft,
		"Marker": NftMarker, "NftLines": []string{
			"insert rule " + at + " tcp dport { 2377, 7946 } accept",
			"insert rule " + at + " udp dport { 7946, " + strconv.Itoa(vxlanPort) + " } accept"}})
}

// NftMarker is the line swarmwiz adds before its rules in nftables' configuration, so a second
// run does not add them again.
const NftMarker = "# swarmwiz: Docker Swarm's ports (2377/tcp, 7946/tcp+udp, the overlay's udp)"

// dnsName is a hostname as DNS has them (RFC 1123 labels): letters, digits and hyphens, not
// at either end of a label; dnsBad is what a name would lose to become one.
var (
	dnsName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
	dnsBad  = regexp.MustCompile(`[^a-z0-9.-]+`)
)

// RulesNotKept is what the firewall script prints when iptables rules it added will not
// survive a reboot (no netfilter-persistent, no /etc/sysconfig/iptables).
const RulesNotKept = "swarmwiz:rules-not-kept"

// SwarmPorts are the TCP ports a joining node must reach on the first manager: 2377 for the
// cluster, 7946 for gossip.
var SwarmPorts = []int{2377, 7946}

// ProbeScript checks from one node whether addr's ports can be reached (the swarm ports,
// 2377 and 7946, when none are given).
func ProbeScript(addr string, ports ...int) string {
	if len(ports) == 0 {
		ports = SwarmPorts
	}
	return templates.MustRender("probe-ports.sh.tmpl", struct {
		Addr  string
		Ports []int
	}{addr, ports})
}

// Blocked is a port a probe could not reach, and why.
type Blocked struct {
	Port int
	Why  string
}

// ParseProbe reads ProbeScript's output: the ports that are blocked, with why, in the order
// probed.
func ParseProbe(out string) []Blocked {
	var blocked []Blocked
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(line, " ", 3)
		if len(f) >= 2 && f[1] == "blocked" {
			port, _ := strconv.Atoi(f[0])
			why := "timeout"
			if len(f) == 3 {
				why = f[2]
			}
			blocked = append(blocked, Blocked{port, why})
		}
	}
	return blocked
}

func major(v string) int {
	m, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return m
}

// msg is a sentence of the catalog, in the user's language.
func msg(key string, data any) string { return templates.Msg(key, data) }

// distroScript installs the engine the OS itself packages, saying what that version means:
// docker.io on Debian and Ubuntu, docker (1.13) on CentOS 7, moby-engine on Fedora. RHEL,
// Rocky and Alma package no Docker Engine (podman's docker command runs no swarm).
func distroScript(f facts.Facts) (string, error) {
	data := map[string]any{"Name": f.OS, "Family": Family(f.OSID), "ID": f.OSID}
	centos7 := f.OSID == "centos" && strings.HasPrefix(f.OSVersion, "7")
	switch {
	case Family(f.OSID) == "debian":
		data["Package"], data["Note"] = "docker.io", msg("pf.distro.debian", nil)
	case centos7:
		data["Package"], data["Note"] = "docker", msg("pf.distro.centos7", nil)
	case f.OSID == "fedora":
		data["Package"], data["Note"] = "moby-engine", msg("pf.distro.fedora", nil)
	case Family(f.OSID) == "rhel":
		return "", errors.New(msg("pf.distro.none", f.OS))
	default:
		return "", errors.New(msg("pf.noinstall", f.OS))
	}
	data["PM"] = "dnf"
	if centos7 {
		data["PM"] = "yum"
	}
	return templates.Render("install-docker-distro.sh.tmpl", data)
}

// StartScript starts Docker Engine where it is installed but stopped, and at every boot.
func StartScript(f facts.Facts) (string, error) {
	return templates.Render("start-docker.sh.tmpl", map[string]any{"Name": f.OS})
}
