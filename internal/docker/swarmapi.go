package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// The swarm reads swarmwiz makes most often, through the daemon's API: a few milliseconds
// each, where the docker client costs a noticeable fraction of a second to start on a small
// node. What a learner is shown, and can type by hand, is still the docker command.

// JoinTokens reads both join tokens at once (GET /swarm), what `docker swarm join-token -q
// manager` and `... worker` print.
func (a API) JoinTokens(ctx context.Context) (manager, worker string, err error) {
	var sw struct {
		JoinTokens struct{ Manager, Worker string }
	}
	if err := a.Get(ctx, "/swarm", &sw); err != nil {
		return "", "", err
	}
	return sw.JoinTokens.Manager, sw.JoinTokens.Worker, nil
}

// apiNode is the part of a swarm node object (GET /nodes) that `docker node ls` shows.
type apiNode struct {
	ID          string
	Spec        struct{ Availability, Role string }
	Description struct {
		Hostname string
		Engine   struct{ EngineVersion string }
	}
	Status        struct{ State, Addr string }
	ManagerStatus *ManagerStatusOf
}

// row is the node as a row of `docker node ls`, in its words.
func (n apiNode) row(self string) Node {
	r := Node{ID: n.ID, Hostname: n.Description.Hostname, Status: title(n.Status.State),
		Availability: title(n.Spec.Availability), EngineVersion: n.Description.Engine.EngineVersion, Self: n.ID == self, Role: n.Spec.Role,
		Addr: n.Status.Addr}
	if m := n.ManagerStatus; m != nil {
		r.ManagerStatus = title(m.Reachability)
		if m.Leader {
			r.ManagerStatus = "Leader"
		}
	}
	return r
}

// NodeList reads the swarm's node list from a manager (GET /nodes) as `docker node ls`
// shows it: in its words, ordered by hostname, the node read from marked Self.
func (a API) NodeList(ctx context.Context) ([]Node, error) {
	var info struct{ Swarm struct{ NodeID string } }
	if err := a.Get(ctx, "/info", &info); err != nil {
		return nil, err
	}
	var body json.RawMessage
	if err := a.Get(ctx, "/nodes", &body); err != nil {
		return nil, err
	}
	return nodeRows(body, info.Swarm.NodeID)
}

// nodeRows reads GET /nodes's answer as rows of `docker node ls`; self is the ID of the node
// read from. A node that has just joined may not have reported its hostname yet; an ID it
// always has, and an answer with a node without one is refused.
func nodeRows(body []byte, self string) ([]Node, error) {
	var nodes []apiNode
	if err := json.Unmarshal(body, &nodes); err != nil {
		return nil, fmt.Errorf("docker API /nodes: %w", err)
	}
	rows := make([]Node, len(nodes))
	for i, n := range nodes {
		if n.ID == "" {
			return nil, fmt.Errorf("docker API /nodes: a node without an ID")
		}
		rows[i] = n.row(self)
	}
	sort.SliceStable(rows, func(i, j int) bool { return naturalLess(rows[i].Hostname, rows[j].Hostname) })
	return rows, nil
}

// NodeManagerStatus reads one node's manager status (GET /nodes/NAME; docker resolves an ID,
// a name or an ID prefix), what `docker node inspect --format '{{json .ManagerStatus}}'`
// prints: nil for a worker.
func (a API) NodeManagerStatus(ctx context.Context, node string) (*ManagerStatusOf, error) {
	var n apiNode
	if err := a.Get(ctx, "/nodes/"+url.PathEscape(node), &n); err != nil {
		return nil, err
	}
	return n.ManagerStatus, nil
}

// title is docker's way of printing a state: its first letter in capitals.
func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// naturalLess orders names as people count: node2 before node10.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// InitRequest is the body of POST /swarm/init: what `docker swarm init` sends for the
// options swarmwiz offers. Zero values are docker's defaults (the daemon merges only what
// is set into swarmkit's), but for SubnetSize, which the client always sends.
type InitRequest struct {
	ListenAddr      string
	AdvertiseAddr   string
	DataPathPort    uint32   `json:",omitempty"`
	DefaultAddrPool []string `json:",omitempty"`
	SubnetSize      uint32   `json:",omitempty"`
	Availability    string   `json:",omitempty"`
	Spec            initSpec
}

type initSpec struct {
	CAConfig struct {
		NodeCertExpiry int64 `json:",omitempty"`
	}
	EncryptionConfig struct{ AutoLockManagers bool }
}

// SwarmInit starts a swarm on the daemon, advertising addr, as `docker swarm init` with
// the options o does (Init renders that command).
func (a API) SwarmInit(ctx context.Context, addr string, o InitOptions) error {
	// The mask length goes with every init, as the docker client sends its flag's default: a
	// pool with no mask length (0) gives overlay networks no subnet at all.
	mask := o.PoolMaskLen
	if mask == 0 {
		mask = DefaultPoolMask
	}
	req := InitRequest{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: addr, DataPathPort: uint32(o.DataPathPort),
		DefaultAddrPool: o.Pools, SubnetSize: uint32(mask), Availability: o.Availability}
	req.Spec.CAConfig.NodeCertExpiry = int64(o.CertExpiry)
	req.Spec.EncryptionConfig.AutoLockManagers = o.Autolock
	return a.Post(ctx, "/swarm/init", req, nil)
}

// JoinContinues says whether err is docker giving up waiting for a join that it goes on with
// in the background ("Timeout was reached before node joined. The attempt to join the swarm
// will continue in the background."): on a busy machine a join can take longer than the 20
// seconds docker waits.
func JoinContinues(err error) bool {
	var e *APIError
	return errors.As(err, &e) && strings.Contains(e.Message, "continue in the background")
}

// LocalNodeState is the daemon's own swarm state (GET /info): inactive, pending, active,
// error or locked, what `docker info --format '{{.Swarm.LocalNodeState}}'` prints.
func (a API) LocalNodeState(ctx context.Context) (string, error) {
	var info struct {
		Swarm struct{ LocalNodeState string }
	}
	err := a.Get(ctx, "/info", &info)
	return info.Swarm.LocalNodeState, err
}
