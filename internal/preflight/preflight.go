// Package preflight judges what was read from the nodes before anything changes: the few
// things that break first swarms (moby's issue tracker is full of them). It only judges;
// steps/preflight.go shows the findings and offers the fixes.
package preflight

import (
	"fmt"
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

func (l Level) String() string { return [...]string{"note", "warning", "ERROR"}[l] }

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
	hostnameFix := "give each machine its own name: sudo hostnamectl set-hostname NEWNAME"
	if o.Lab != "" {
		hostnameFix = "a practice node renamed by hand: swarmwiz lab up --name " + o.Lab + " --recreate gives every node its own name again"
	}
	out = append(out, unique(nodes, "hostname", func(f facts.Facts) string { return f.Hostname }, hostnameFix)...)
	out = append(out, unique(nodes, "machine-id", func(f facts.Facts) string { return f.MachineID },
		"a cloned VM: sudo rm /etc/machine-id && sudo systemd-machine-id-setup, then reboot")...)
	out = append(out, unique(nodes, "engine ID", func(f facts.Facts) string { return f.EngineID },
		"a cloned VM: sudo systemctl stop docker && sudo rm /etc/docker/key.json && sudo systemctl start docker")...)
	out = append(out, sharedAdvertise(nodes, advertise)...)
	return out
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
			return []Finding{{Check: "advertise address", Level: Warn, Result: advertise + " looks like VirtualBox NAT, which every VM has and no other VM reaches",
				Fix: "advertise the host-only or bridged adapter's address instead"}}
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
	what := "every node has its own copy of it, so each one reaches only itself there"
	if strings.HasPrefix(advertise, "10.0.2.") {
		what = "it looks like VirtualBox NAT, which every VM has and no other VM reaches"
	}
	fix := "advertise an address of " + first.Name + " that only it has"
	if len(others) > 0 {
		fix = "advertise one of " + first.Name + "'s own addresses instead: " + strings.Join(others, ", ")
	}
	return []Finding{{Node: first.Name, Check: "advertise address", Level: Error,
		Result: fmt.Sprintf("%s is also an address of %s: %s", advertise, strings.Join(also, ", "), what), Fix: fix}}
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
			found = append(found, Finding{Node: n.Name, Check: "listed twice", Level: Error,
				Result: fmt.Sprintf("%s and %s are the same machine (same machine-id, hostname and addresses)", prev.Addr, n.Addr),
				Fix:    "list each machine once"})
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
		add(Error, "docker", "not installed", "swarmwiz can install Docker Engine from Docker's repository (it asks first)")
	case !f.DockerAnswers():
		fix := "sudo systemctl enable --now docker"
		if o.Lab != "" {
			fix = "swarmwiz lab start --name " + o.Lab + " " + n.Facts.Hostname
		}
		add(Error, "docker", "installed, but the daemon does not answer", fix)
	case major(f.DockerVersion) < 20 && !strings.HasPrefix(f.DockerVersion, "1.13"):
		add(Warn, "docker", "version "+f.DockerVersion+" is old", "upgrade to a current Docker Engine")
	}
	if n.Skew > MaxSkew || n.Skew < -MaxSkew {
		add(Error, "clock", fmt.Sprintf("%+d s from this machine's clock: swarm's TLS certificates would be \"not yet valid\" or expired", n.Skew),
			"sync the clock: sudo systemctl enable --now chronyd (or ntp, systemd-timesyncd)")
	}
	if !n.Member {
		switch s := f.Swarm.LocalNodeState; s {
		case "active":
			what := "a worker"
			if f.Swarm.ControlAvailable {
				what = "a manager"
			}
			switch {
			case n.WillLeave:
				add(Note, "swarm", "already "+what+" of another swarm", "leaves it once you confirm the summary")
			case o.Interactive:
				add(Error, "swarm", "already "+what+" of another swarm", "make it leave that swarm (swarmwiz offers to), or leave this node out")
			default:
				add(Error, "swarm", "already "+what+" of another swarm", "add --leave-other-swarms to make it leave that swarm, or leave this node out of the list")
			}
		case "pending", "error", "locked":
			add(Error, "swarm", "stuck in swarm state "+s, "docker swarm leave --force on it, then run swarmwiz again")
		}
	}
	if strings.Contains(f.Firewalld, "running") && f.Firewalld != "not-running" {
		add(Warn, "firewall", "firewalld is running", "open 2377/tcp, 7946/tcp+udp, 4789/udp (swarmwiz offers to)")
	}
	if strings.Contains(f.UFW, "Status: active") {
		add(Warn, "firewall", "ufw is active", "open 2377/tcp, 7946/tcp+udp, 4789/udp (swarmwiz offers to)")
	}
	if strings.Contains(f.IptablesInput, "-P INPUT DROP") || strings.Contains(f.IptablesInput, "-P INPUT REJECT") {
		add(Warn, "firewall", "iptables drops incoming traffic by default", "open 2377/tcp, 7946/tcp+udp, 4789/udp (swarmwiz offers to)")
	}
	if iface := f.IfaceOf(n.Addr); f.MTU[iface] > 0 && f.MTU[iface] < OverlayMTU+OverlayOverhead {
		mtu := f.MTU[iface]
		add(Warn, "mtu", fmt.Sprintf("%s has MTU %d: overlay networks carry each packet with %d bytes more, and give containers MTU %d, which assumes %d on the way",
			iface, mtu, OverlayOverhead, OverlayMTU, OverlayMTU+OverlayOverhead),
			fmt.Sprintf("create overlay networks with --opt com.docker.network.driver.mtu=%d (swarmwiz check shows it: small packets pass, large ones are lost)", mtu-OverlayOverhead))
	}
	if f.SELinux == "Enforcing" {
		add(Note, "selinux", "enforcing: fine for swarm itself", "bind mounts of containers may need the :z option")
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
				Result: fmt.Sprintf("%s share the %s %q", strings.Join(names, " and "), check, k), Fix: fix})
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
			return "CentOS 7", Note, "end of life since June 2024: its package mirrors moved to vault.centos.org (the install script switches to them)"
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
		if v == "11" || v == "12" {
			return "Debian " + version, Note, ""
		}
	}
	return strings.TrimSpace(id + " " + version), Warn, "not one swarmwiz knows; it will try, but check each fix yourself"
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

// InstallScript is the script that installs Docker Engine on a node with these facts.
func InstallScript(f facts.Facts) (string, error) {
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
	return "", fmt.Errorf("no install script for %s: install Docker Engine by hand (docs.docker.com/engine/install)", f.OS)
}

// Firewall is the firewall a node runs ("firewalld", "ufw", "iptables"), or "".
func Firewall(f facts.Facts) string {
	switch {
	case strings.Contains(f.Firewalld, "running") && f.Firewalld != "not-running":
		return "firewalld"
	case strings.Contains(f.UFW, "Status: active"):
		return "ufw"
	case strings.Contains(f.IptablesInput, "DROP") || strings.Contains(f.IptablesInput, "REJECT"):
		return "iptables"
	}
	return ""
}

// FirewallScript opens the swarm ports with the given firewall.
func FirewallScript(firewall string) (string, error) {
	return templates.Render("firewall-open.sh.tmpl", map[string]string{"Firewall": firewall})
}

// ProbeScript checks from one node whether addr's ports can be reached (the swarm ports,
// 2377 and 7946, when none are given).
func ProbeScript(addr string, ports ...int) string {
	if len(ports) == 0 {
		ports = []int{2377, 7946}
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
