// Package docker builds the docker commands swarmwiz runs (from templates/) and parses what
// they print. Only `--format '{{json ...}}'` output is parsed, never docker's human tables,
// whose columns change between versions.
package docker

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/swarmwiz/swarmwiz/templates"
)

// Cmd renders the docker command template name with data.
func Cmd(name string, data any) string {
	return strings.TrimSpace(templates.MustRender(name+".tmpl", data))
}

// Init is `docker swarm init --advertise-addr addr`.
func Init(addr string, o InitOptions) string {
	expiry := ""
	if o.CertExpiry != 0 {
		expiry = Hours(o.CertExpiry)
	}
	return Cmd("swarm-init", struct {
		Addr string
		InitOptions
		Expiry string
	}{addr, o, expiry})
}

// JoinToken is `docker swarm join-token -q ROLE`.
func JoinToken(role string) string { return Cmd("join-token", map[string]string{"Role": role}) }

// Join is `docker swarm join --token TOKEN MANAGER:2377`.
func Join(token, manager, advertise string) string {
	return JoinAs(token, manager, advertise, "")
}

// JoinAs is Join with the node's --availability ("": docker's active).
func JoinAs(token, manager, advertise, availability string) string {
	return Cmd("swarm-join", map[string]string{"Token": token, "Manager": manager, "Advertise": advertise, "Availability": availability})
}

// NodeLs is `docker node ls` as JSON lines.
func NodeLs() string { return Cmd("node-ls", nil) }

// Leave is `docker swarm leave [--force]`.
func Leave(force bool) string { return Cmd("swarm-leave", map[string]bool{"Force": force}) }

// Demote is `docker node demote NODE`.
func Demote(node string) string { return Cmd("node-demote", map[string]string{"Node": node}) }

// Promote is `docker node promote NODE`.
func Promote(node string) string { return Cmd("node-promote", map[string]string{"Node": node}) }

// NodeAddr is `docker node inspect` reduced to the address the node was last seen at.
func NodeAddr(node string) string { return Cmd("node-addr", map[string]string{"Node": node}) }

// JoinState reads the swarm settings dockerd keeps under root (DockerRootDir): among them
// RemoteAddr, the manager this node joined through.
func JoinState(root string) string {
	if root == "" {
		root = "/var/lib/docker"
	}
	return Cmd("swarm-join-addr", map[string]string{"Root": root})
}

// Rm is `docker node rm [--force] NODE`.
func Rm(node string, force bool) string {
	return Cmd("node-rm", map[string]any{"Node": node, "Force": force})
}

// ManagerStatus is `docker node inspect` reduced to the node's manager status.
func ManagerStatus(node string) string {
	return Cmd("node-manager-status", map[string]string{"Node": node})
}

// Node is one row of `docker node ls`.
type Node struct {
	ID            string
	Hostname      string
	Status        string
	Availability  string
	ManagerStatus string
	EngineVersion string
	Self          bool
	// Role is the role the swarm has been told (the node's spec: "manager", "worker"); it
	// changes at once on promote/demote, while ManagerStatus follows when Raft has the node.
	Role string
	// Addr is the address the node's docker last reported from (not in `docker node ls`).
	Addr string `json:"-"`
}

// Promoting says whether the node was made a manager (its spec's role) that Raft does not
// list yet: a promotion under way, or one that cannot complete (a manager gone since).
func (n Node) Promoting() bool { return n.Role == "manager" && n.ManagerStatus == "" }

// IsManager says whether the node is a manager, in whatever state.
func (n Node) IsManager() bool { return n.ManagerStatus != "" }

// ManagerUp says whether the node is a manager that Raft counts: the leader, or reachable.
// It is the one test of a working manager, in `docker node ls`'s words.
func (n Node) ManagerUp() bool { return n.ManagerStatus == "Leader" || n.ManagerStatus == "Reachable" }

// Swarm is the Swarm section of `docker info`.
type Swarm struct {
	NodeID           string
	NodeAddr         string
	LocalNodeState   string // inactive, pending, active, error, locked
	ControlAvailable bool   // a manager
	Error            string
	RemoteManagers   []struct{ NodeID, Addr string }
	Nodes, Managers  int // a manager's count of the swarm's nodes and managers
}

// SwarmFormat is `docker info --format` for the swarm fields swarmwiz reads, one JSON line
// that ParseSwarm reads: a manager's full Swarm section holds its CA certificate, whose line
// breaks would split the line.
const SwarmFormat = `{"NodeID":{{json .Swarm.NodeID}},"NodeAddr":{{json .Swarm.NodeAddr}},"LocalNodeState":{{json .Swarm.LocalNodeState}},"ControlAvailable":{{json .Swarm.ControlAvailable}},"Error":{{json .Swarm.Error}},"RemoteManagers":{{json .Swarm.RemoteManagers}},"Nodes":{{json .Swarm.Nodes}},"Managers":{{json .Swarm.Managers}}}`

// ParseSwarm reads `docker info --format '{{json .Swarm}}'`.
func ParseSwarm(out string) (Swarm, error) {
	var s Swarm
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &s); err != nil {
		return s, fmt.Errorf("docker info: %w", err)
	}
	if s.LocalNodeState == "" {
		return s, fmt.Errorf("docker info: no swarm state in %q", strings.TrimSpace(out))
	}
	return s, s.Validate()
}

// Validate refuses addresses that are not IP addresses. A node reports them itself, and
// swarmwiz passes them on to other nodes' commands: a compromised or broken node must not
// be able to smuggle shell text there ("10.0.0.1; touch /tmp/x").
func (s Swarm) Validate() error {
	if s.NodeAddr != "" {
		if _, err := netip.ParseAddr(s.NodeAddr); err != nil {
			return &InvalidAddrError{What: "swarm address", Addr: s.NodeAddr}
		}
	}
	for _, m := range s.RemoteManagers {
		if _, err := netip.ParseAddrPort(m.Addr); err != nil {
			return &InvalidAddrError{What: "manager address", Addr: m.Addr}
		}
	}
	return nil
}

// InvalidAddrError is an address a node reported that is not an IP address.
type InvalidAddrError struct{ What, Addr string }

func (e *InvalidAddrError) Error() string {
	return fmt.Sprintf("docker reports a %s %q that is not an IP address: refusing to use anything this node says about its swarm", e.What, e.Addr)
}

// ManagerStatusOf is a manager's Raft view: Reachability is "reachable", "unreachable" or
// "unknown".
type ManagerStatusOf struct {
	Leader       bool
	Reachability string
	Addr         string
}

// Reachable is ManagerUp in `docker node inspect`'s words.
func (m ManagerStatusOf) Reachable() bool { return m.Reachability == "reachable" }

// tokenRE matches a swarm join token: SWMTKN-1-<cluster hash>-<secret>.
var tokenRE = regexp.MustCompile(`SWMTKN-1-[0-9A-Za-z]+-[0-9A-Za-z]+`)

// unlockKeyRE matches an autolocked swarm's unlock key: SWMKEY-1-<secret>.
var unlockKeyRE = regexp.MustCompile(`SWMKEY-1-[0-9A-Za-z+/=]+`)

// MaskToken hides every join token and unlock key in s: SWMTKN-1-****, SWMKEY-1-****. The
// prefix stays so the learner sees what kind of string it is.
func MaskToken(s string) string {
	return unlockKeyRE.ReplaceAllString(tokenRE.ReplaceAllString(s, "SWMTKN-1-****"), "SWMKEY-1-****")
}

// Quorum is how many managers must be up for a swarm of n managers to make decisions.
func Quorum(n int) int { return n/2 + 1 }

// Tolerates is how many managers may fail with the swarm still working.
func Tolerates(n int) int { return (n - 1) / 2 }

// CheckNetworkCreate is `docker network create --driver overlay` for a check's probe.
func CheckNetworkCreate(name, id string, encrypted bool) string {
	return Cmd("check-network-create", map[string]any{"Name": name, "ID": id, "Encrypted": encrypted})
}

// CheckServiceCreate is `docker service create --mode global` of a check's probe: one task on
// every node, on the network of the same name, its entrypoint path in image; local: the image
// was loaded onto the nodes, so no registry is asked for it.
func CheckServiceCreate(name, id, image, path string, local bool) string {
	return Cmd("check-service-create", map[string]any{"Name": name, "ID": id, "Image": image, "Path": path, "Local": local})
}

// CheckExec is the `docker exec` that runs a probe's tests, as a learner would type it.
func CheckExec(container, path, name string, peers []string) string {
	return Cmd("check-exec", map[string]any{"Container": container, "Path": path, "Name": name, "Peers": peers})
}

// CheckCleanup is the script that removes every check's probe services, or (networks) their
// overlay networks.
func CheckCleanup(networks bool) string {
	return Cmd("check-cleanup.sh", map[string]bool{"Networks": networks})
}

// MeshSupport is the read-only script that says why a node cannot serve the routing mesh:
// "iptables=false" (dockerd leaves iptables alone), "ipvs=missing" (the kernel has no IPVS).
func MeshSupport() string { return Cmd("mesh-support.sh", nil) }

// ForceNewCluster is `docker swarm init --force-new-cluster`: a surviving manager becomes the
// only manager of the same swarm, its services and secrets kept.
func ForceNewCluster(addr string) string {
	return Cmd("swarm-init-force", map[string]string{"Addr": addr})
}

// GossipLogScript reads what docker logged of the swarm's gossip: memberlist's UDP probes
// that failed in the last seconds, and an agent that could not start (read with ParseGossipLog).
func GossipLogScript(seconds int) string {
	return Cmd("gossip-log.sh", map[string]any{"Seconds": strconv.Itoa(seconds)})
}

// GossipLogTwoRounds is GossipLogScript(seconds) that also reads the older seconds before
// those (GossipLog.Older): a reading of the past, for a swarm nobody is testing now.
func GossipLogTwoRounds(seconds, older int) string {
	return Cmd("gossip-log.sh", map[string]any{"Seconds": strconv.Itoa(seconds), "Older": strconv.Itoa(older)})
}

// GossipLog is what a node's docker logged of gossip: UDPFailed, the memberlist names of
// the peers its UDP probes failed to reach while TCP did (recently); AgentInit, its network
// agent failed to start (since dockerd started); NoLog, no log of docker's could be read.
type GossipLog struct {
	UDPFailed []string
	Older     []string // UDPFailed of the window before (GossipLogTwoRounds)
	AgentInit bool
	NoLog     bool
}

// ParseGossipLog reads GossipLogScript's output.
func ParseGossipLog(out string) GossipLog {
	var g GossipLog
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && f[0] == "nolog":
			g.NoLog = true
		case len(f) == 3 && f[0] == "recent" && f[1] == "udpfailed" && !slices.Contains(g.UDPFailed, f[2]):
			g.UDPFailed = append(g.UDPFailed, f[2])
		case len(f) == 3 && f[0] == "older" && f[1] == "udpfailed" && !slices.Contains(g.Older, f[2]):
			g.Older = append(g.Older, f[2])
		case len(f) == 2 && f[0] == "started" && f[1] == "agentinit":
			g.AgentInit = true
		}
	}
	return g
}
