package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/internal/probe"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// ShowNodes prints the swarm's nodes as `docker node ls` shows them, then quorum health and
// what to do next. After create it first verifies: it waits, briefly, until every planned
// node is listed and Ready, since a node that has just joined takes a moment to report in.
type ShowNodes struct {
	Next bool // after create: verify, and say what to try next
}

// VerifyTimeout bounds the wait for joined nodes to be Ready.
const VerifyTimeout = 30 * time.Second

func (ShowNodes) Title() string { return msg("nodes.table.title", nil) }

func (s ShowNodes) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	if env.DryRun {
		return nil
	}
	if st.SwarmEnded {
		say(env, "nodes.ended", nil)
		return nil
	}
	rows, err := ListNodes(ctx, env, st)
	if s.Next {
		rows, err = waitReady(ctx, env, st, rows, err)
	}
	if err != nil {
		return err
	}
	env.Record.Text(msg("runbook.table", nil), NodeTableText(rows)+"\n\n"+msg("quorum.health", Health(rows)))
	if env.JSON != nil {
		return writeJSON(env, st, rows)
	}
	if s.Next && env.Quiet {
		// Quiet: the one result line.
		say(env, "nodes.ready", map[string]any{"Nodes": len(rows), "Health": Health(rows)})
		return nil
	}
	env.Println(NodeTableText(rows) + "\n")
	say(env, "quorum.health", Health(rows))
	if s.Next {
		env.Println(NextStepsText(len(st.ByRole(wizard.Manager)), st.LabName, probe.Ref(env.Version)))
	}
	return nil
}

// waitReady polls the node list, with backoff, until it lists every planned node Ready.
func waitReady(ctx context.Context, env *wizard.Env, st *wizard.State, rows []docker.Node, err error) ([]docker.Node, error) {
	if err != nil || allReady(rows, len(st.Nodes)) {
		return rows, err
	}
	perr := poll.Until(ctx, VerifyTimeout, poll.Backoff{First: 100 * time.Millisecond, Max: time.Second, Factor: 2},
		func(ctx context.Context) (bool, error) {
			rows, err = ListNodes(ctx, env, st)
			return err == nil && allReady(rows, len(st.Nodes)), err
		})
	switch {
	case errors.Is(perr, poll.ErrTimeout):
		say(env, "verify.notready", VerifyTimeout)
	case perr != nil:
		return nil, perr
	}
	return rows, err
}

// writeJSON is --output json: the node list and quorum health, for scripts.
func writeJSON(env *wizard.Env, st *wizard.State, rows []docker.Node) error {
	type node struct {
		ID            string `json:"id"`
		Hostname      string `json:"hostname"`
		Status        string `json:"status"`
		Availability  string `json:"availability"`
		ManagerStatus string `json:"managerStatus"`
		EngineVersion string `json:"engineVersion"`
	}
	h := Health(rows)
	out := struct {
		Nodes     []node `json:"nodes"`
		Managers  int    `json:"managers"`
		Reachable int    `json:"reachable"`
		Quorum    int    `json:"quorum"`
		Tolerates int    `json:"tolerates"`
		Leader    string `json:"leader"`
		Healthy   bool   `json:"healthy"`
		Changed   bool   `json:"changed"`
	}{Managers: h.Managers, Reachable: h.Reachable, Quorum: h.Quorum, Tolerates: h.Tolerates, Leader: h.Leader,
		Healthy: h.OK(), Changed: st.Changed}
	for _, r := range rows {
		out.Nodes = append(out.Nodes, node{r.ID, r.Hostname, r.Status, r.Availability, r.ManagerStatus, r.EngineVersion})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.JSON, string(b))
	return err
}
