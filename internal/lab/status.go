package lab

import (
	"context"
	"net"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
)

// NodeStatus is one node as `lab status` reports it.
type NodeStatus struct {
	Name           string `json:"name"`
	Address        string `json:"address"`
	Kind           string `json:"kind"` // namespace or machine
	OS             string `json:"os"`   // a machine node's release; a namespace node runs this machine's
	User           string `json:"user"`
	IdentityFile   string `json:"identityFile"`
	KnownHostsFile string `json:"knownHostsFile"`
	SSHD           bool   `json:"sshd"`
	Dockerd        bool   `json:"dockerd"`
	Swarm          string `json:"swarm"` // docker's LocalNodeState: inactive, active, pending, error; "unknown" when dockerd is down
}

// Status probes every node of inv, BootParallel at a time: sixty SSH handshakes at once on
// a machine that also runs sixty daemons outlast any short timeout, and a node that answers
// late is not down. A node that is down refuses at once.
func Status(ctx context.Context, inv *Inventory) []NodeStatus {
	out := make([]NodeStatus, len(inv.Nodes))
	eachNode(inv.Nodes, BootParallel, func(i int, n Node) {
		kind, osName := KindNamespace, HostOS()
		if n.Machine() {
			kind, osName = KindMachine, n.OS
		}
		s := NodeStatus{Name: n.Name, Address: n.Address, Kind: kind, OS: osName, User: inv.User, IdentityFile: inv.IdentityFile,
			KnownHostsFile: inv.KnownHostsFile, Swarm: "unknown"}
		name, err := sshHostname(ctx, inv, n, 5*time.Second)
		s.SSHD = err == nil && name == n.Name
		var info struct {
			Swarm struct{ LocalNodeState string }
		}
		if err := dockerAPI(n).Get(ctx, "/info", &info); err == nil {
			s.Dockerd = true
			s.Swarm = info.Swarm.LocalNodeState
		}
		out[i] = s
	})
	return out
}

// dockerAPI is the node's dockerd asked directly over its socket, from the host: readiness
// and status need no SSH round trip.
func dockerAPI(n Node) docker.API {
	return docker.API{Timeout: 2 * time.Second, Dial: func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", n.Socket())
	}}
}
