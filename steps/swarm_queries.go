package steps

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// The questions several steps ask of a running swarm: its node list, read from a manager
// that answers; its quorum health; which connected node a row of the list is.

func allReady(rows []docker.Node, want int) bool {
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
	for _, n := range managersFirst(st) {
		rows, err := listOn(ctx, env, n)
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
		last = errors.New(msg("nodes.nomanager", nil))
	}
	return nil, last
}

// ReadTimeout bounds one node's answer to `docker node ls`: a node that went away without
// closing its connection (a machine switched off) must not hold up the managers that answer.
var ReadTimeout = 5 * time.Second

// listOn reads `docker node ls` on n, through its daemon's API.
func listOn(ctx context.Context, env *wizard.Env, n *wizard.Node) ([]docker.Node, error) {
	ctx, cancel := context.WithTimeout(ctx, ReadTimeout)
	defer cancel()
	var rows []docker.Node
	err := env.ReadBy(ctx, n, docker.NodeLs(), func(ctx context.Context) (err error) {
		rows, err = n.Docker().NodeList(ctx)
		return err
	})
	return rows, err
}

// managersFirst orders the connected nodes: the first manager, other managers, the rest.
func managersFirst(st *wizard.State) []*wizard.Node {
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

// nodeByHostname finds the connected node with that hostname.
func nodeByHostname(st *wizard.State, host string) *wizard.Node {
	for _, n := range st.Nodes {
		if strings.EqualFold(n.Facts.Hostname, host) {
			return n
		}
	}
	return nil
}

// otherManager is a connected, reachable manager other than host.
func otherManager(st *wizard.State, rows []docker.Node, host string) *wizard.Node {
	for _, r := range rows {
		if r.Hostname == host || !r.ManagerUp() {
			continue
		}
		if n := nodeByHostname(st, r.Hostname); n != nil && n.Conn != nil {
			return n
		}
	}
	return nil
}

func findRow(rows []docker.Node, host string) *docker.Node {
	for i := range rows {
		if strings.EqualFold(rows[i].Hostname, host) {
			return &rows[i]
		}
	}
	return nil
}
