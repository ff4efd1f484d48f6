package prelude

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/wizard"
)

func AllReady(rows []docker.Node, want int) bool {
	ready := 0
	for _, r := range rows {
		if r.Status == "Ready" && r.Hostname != "" {
			ready++
		}
	}
	return ready >= want
}

// ListNodes reads `docker node ls` from a manager that answers.
func ListNodes(ctx context.Context, env *wizard.Env, st *wizard.State) ([]docker.Node, error) {
	var first, last error
	for _, n := range ManagersFirst(st) {
		rows, err := ListOn(ctx, env, n)
		if err == nil {
			return rows, nil
		}
		// A manager's own error ("The swarm does not have a leader") says more than a
		// worker's "This node is not a swarm manager": keep the first manager's.
		if first == nil && n.Facts.Swarm.ControlAvailable {
			first = err
		}
		last = err
	}
	if first != nil {
		return nil, first
	}
	if last == nil {
		last = errors.New(Msg("nodes.nomanager", nil))
	}
	return nil, last
}

// ReadTimeout bounds one node's answer to `docker node ls`: a node that went away without
// closing its connection (a machine switched off) must not hold up the managers that answer.
var ReadTimeout = 5 * time.Second

// ListOn reads `docker node ls` on n, through its daemon's API.
func ListOn(ctx context.Context, env *wizard.Env, n *wizard.Node) ([]docker.Node, error) {
	ctx, cancel := context.WithTimeout(ctx, ReadTimeout)
	defer cancel()
	var rows []docker.Node
	err := env.ReadBy(ctx, n, docker.NodeLs(), func(ctx context.Context) (err error) {
		rows, err = n.Docker().NodeList(ctx)
		return err
	})
	return rows, err
}

// ManagersFirst orders the connected nodes: the first manager, other managers, the rest.
func ManagersFirst(st *wizard.State) []*wizard.Node {
	var out, rest []*wizard.Node
	first := st.First != nil && st.First.Conn != nil && (st.First.Facts.Swarm.ControlAvailable || st.First.Role == wizard.Manager)
	if first {
		out = append(out, st.First) // unless this run demoted it: then it is one of the rest
	}
	for _, n := range st.Nodes {
		switch {
		case n == st.First && first || n.Conn == nil:
		case n.Facts.Swarm.ControlAvailable || n.Role == wizard.Manager:
			out = append(out, n)
		default:
			rest = append(rest, n)
		}
	}
	return append(out, rest...)
}

// HealthInfo is the quorum health of a swarm, from its node list.
type HealthInfo struct {
	Managers, Reachable, Quorum, Tolerates int
	Leader                                 string
}

// OK says whether the reachable managers make a quorum.
func (h HealthInfo) OK() bool { return h.Reachable >= h.Quorum }

// Health counts managers and reachable ones (Leader or Reachable).
func Health(rows []docker.Node) HealthInfo {
	var h HealthInfo
	for _, r := range rows {
		if !r.IsManager() {
			continue
		}
		h.Managers++
		if r.ManagerUp() {
			h.Reachable++
		}
		if r.ManagerStatus == "Leader" {
			h.Leader = r.Hostname
		}
	}
	h.Quorum, h.Tolerates = docker.Quorum(h.Managers), docker.Tolerates(h.Managers)
	return h
}

// NodeByHostname finds the connected node with that hostname.
func NodeByHostname(st *wizard.State, host string) *wizard.Node {
	for _, n := range st.Nodes {
		if strings.EqualFold(n.Facts.Hostname, host) {
			return n
		}
	}
	return nil
}

// OtherManager is a connected, reachable manager other than host.
func OtherManager(st *wizard.State, rows []docker.Node, host string) *wizard.Node {
	for _, r := range rows {
		if r.Hostname == host || !r.ManagerUp() {
			continue
		}
		if n := NodeByHostname(st, r.Hostname); n != nil && n.Conn != nil {
			return n
		}
	}
	return nil
}

func FindRow(rows []docker.Node, host string) *docker.Node {
	for i := range rows {
		if strings.EqualFold(rows[i].Hostname, host) {
			return &rows[i]
		}
	}
	return nil
}

// ManagerOf is a connected manager to run the check's docker commands on.
func ManagerOf(st *wizard.State) *wizard.Node {
	for _, n := range ManagersFirst(st) {
		if n.Facts.Swarm.ControlAvailable || n.Role == wizard.Manager {
			return n
		}
	}
	return nil
}

// Hostnames are the rows' hostnames, as a list to read.
func Hostnames(rows []docker.Node) string {
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Hostname
	}
	return strings.Join(names, ", ")
}

// SilentRows are the rows docker lists Ready of nodes that did not answer over SSH this run
// (st.Silent, matched by the address docker last saw them at, or by name): a machine
// switched off seconds ago, which docker has not noticed yet.
func SilentRows(st *wizard.State, rows []docker.Node) []docker.Node {
	var out []docker.Node
	for _, r := range rows {
		if r.Status == "Ready" && (slices.Contains(st.Silent, r.Addr) || slices.Contains(st.Silent, r.Hostname)) {
			out = append(out, r)
		}
	}
	return out
}
