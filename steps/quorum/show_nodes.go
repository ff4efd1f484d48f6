package quorum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/classroom"
	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/steps/check"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// ShowNodes prints the swarm's nodes as `docker node ls` shows them, then quorum health and
// what to do next. After create it first verifies: it waits, briefly, until every planned
// node is listed and Ready, since a node that has just joined takes a moment to report in.
type ShowNodes struct {
	Next bool // after create: verify, and say what to try next
	// Verdict: `status`: a degraded swarm or a lost quorum is the exit code, explained, and
	// a swarm no manager can list is reported from what the nodes know.
	Verdict bool
	Watch   bool // status --watch: redraw until Ctrl-C
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
	if s.Watch {
		return watch(ctx, env, st)
	}
	rows, err := prelude.ListNodes(ctx, env, st)
	if s.Next {
		rows, err = waitReady(ctx, env, st, rows, err)
	}
	if err != nil {
		if s.Verdict && ctx.Err() == nil {
			return showLeaderless(env, st, err)
		}
		return err
	}
	h := prelude.Health(rows)
	env.Class.Nodes(classRows(rows))
	env.Record.Text(msg("runbook.table", nil), NodeTableText(rows)+"\n\n"+msg("quorum.health", h))
	var v statusReading
	if s.Verdict {
		v = readStatus(ctx, env, st, rows, h)
	}
	if env.JSON != nil {
		if err := writeStatusJSON(env, st, rows, h, nil, nil, v.verdict, v.certs); err != nil {
			return err
		}
		return asError(v.verdict)
	}
	if s.Next && env.Quiet {
		// Quiet: the one result line.
		say(env, "nodes.ready", map[string]any{"Nodes": len(rows), "Health": prelude.Health(rows)})
		return nil
	}
	env.Println(NodeTableText(rows) + "\n")
	say(env, "quorum.health", h)
	for _, r := range v.silent {
		say(env, "status.silent", r.Hostname)
	}
	for i := range v.problems {
		say(env, "status.gossip", map[string]string{"Problem": v.problems[i], "Fix": v.fixes[i]})
	}
	for _, a := range advisories(st, v.lifetime, v.certs, time.Now()) {
		env.Println(a)
	}
	if v.verdict != nil && v.verdict.Code == failure.ExitQuorumLost {
		say(env, "status.quorumlost.explain", map[string]any{"Health": h, "Lab": st.LabName})
	}
	return asError(v.verdict)
}

// statusReading is what `status` reads beyond the node table, and its verdict.
type statusReading struct {
	verdict         *failure.StatusError
	silent          []docker.Node // listed Ready, silent over SSH
	problems, fixes []string      // of gossip
	certs           []CertInfo
	lifetime        time.Duration
}

func readStatus(ctx context.Context, env *wizard.Env, st *wizard.State, rows []docker.Node, h prelude.HealthInfo) statusReading {
	v := statusReading{silent: prelude.SilentRows(st, rows)}
	var gossip []string
	gossip, v.problems, v.fixes = check.ReadSwarmGossip(ctx, env, st, rows)
	v.verdict = statusVerdict(rows, h, v.silent, gossip)
	v.certs = nodeCerts(ctx, env, st)
	v.lifetime = certLifetime(ctx, st)
	return v
}

// asError is a verdict as an error: a nil *StatusError must be a nil error.
func asError(v *failure.StatusError) error {
	if v == nil {
		return nil
	}
	return v
}

// waitReady polls the node list, with backoff, until it lists every planned node Ready.
func waitReady(ctx context.Context, env *wizard.Env, st *wizard.State, rows []docker.Node, err error) ([]docker.Node, error) {
	if err != nil || prelude.AllReady(rows, len(st.Nodes)) {
		return rows, err
	}
	perr := prelude.UntilSaying(ctx, env, "wait.ready", nil, VerifyTimeout, poll.Backoff{First: 100 * time.Millisecond, Max: time.Second, Factor: 2},
		func(ctx context.Context) (bool, error) {
			rows, err = prelude.ListNodes(ctx, env, st)
			return err == nil && prelude.AllReady(rows, len(st.Nodes)), err
		})
	switch {
	case errors.Is(perr, poll.ErrTimeout):
		say(env, "verify.notready", VerifyTimeout)
	case perr != nil:
		return nil, perr
	}
	return rows, err
}

// writeStatusJSON is --output json: the node list (or, with no leader, the managers the
// nodes know), quorum health and the verdict, for scripts. It is printed in every case.
func writeStatusJSON(env *wizard.Env, st *wizard.State, rows []docker.Node, h prelude.HealthInfo, seen []managerSeen, cause error, verdict *failure.StatusError, certs []CertInfo) error {
	type node struct {
		ID            string `json:"id"`
		Hostname      string `json:"hostname"`
		Status        string `json:"status"`
		Availability  string `json:"availability"`
		ManagerStatus string `json:"managerStatus"`
		EngineVersion string `json:"engineVersion"`
	}
	out := struct {
		Nodes      []node `json:"nodes"`
		Managers   int    `json:"managers"`
		Reachable  int    `json:"reachable"`
		Quorum     int    `json:"quorum"`
		Tolerates  int    `json:"tolerates"`
		Leader     string `json:"leader"`
		Healthy    bool   `json:"healthy"`
		QuorumLost bool   `json:"quorumLost"`
		Verdict    string `json:"verdict,omitempty"`
		Error      string `json:"error,omitempty"`
		// DockerError is the managers' own words behind Error, as docker (or the request's
		// deadline) put them; Error is swarmwiz's reading of the evidence.
		DockerError string        `json:"dockerError,omitempty"`
		Seen        []managerSeen `json:"managersSeen,omitempty"`
		Changed     bool          `json:"changed"`
		Locked      []string      `json:"locked,omitempty"`
		Certs       []CertInfo    `json:"certificates,omitempty"`
	}{Certs: certs, Nodes: []node{}, Managers: h.Managers, Reachable: h.Reachable, Quorum: h.Quorum, Tolerates: h.Tolerates, Leader: h.Leader,
		Healthy: verdict == nil && h.OK(), QuorumLost: h.Managers > 0 && !h.OK(), Seen: seen, Changed: st.Changed}
	for _, n := range st.Nodes {
		if n.Conn != nil && n.Facts.Swarm.LocalNodeState == "locked" {
			out.Locked = append(out.Locked, n.Name())
		}
	}
	if verdict != nil {
		out.Verdict = verdict.Msg
	}
	if cause != nil {
		out.Error = cause.Error()
		var le *leaderlessError
		if errors.As(cause, &le) && le.docker != nil {
			out.DockerError = le.docker.Error()
		}
	}
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

// classRows is the node table as the classroom page shows it.
func classRows(rows []docker.Node) []classroom.NodeRow {
	out := make([]classroom.NodeRow, len(rows))
	for i, r := range rows {
		out[i] = classroom.NodeRow{Hostname: r.Hostname, Status: r.Status, Availability: r.Availability, Manager: r.ManagerStatus}
	}
	return out
}
