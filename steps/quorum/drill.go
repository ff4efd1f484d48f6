package quorum

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/internal/probe"
	"github.com/swarmwiz/swarmwiz/steps/check"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// Drill is `swarmwiz drill`: a guided failover lesson on a practice lab's swarm of 3
// managers. Each lesson says what to expect, makes it happen, and shows it happened:
//  1. the leader's node stops: another manager is elected (timed) and changes still go through;
//  2. it comes back as Reachable, not as leader;
//  3. a second manager of three stops as well: quorum lost, and a change fails, with why;
//  4. `recover` rebuilds the managers, and the stopped nodes are brought back.
type Drill struct {
	Yes bool
}

func (Drill) Title() string { return msg("drill.title", nil) }

// drillService is the service the drill changes to show whether the swarm accepts changes.
const drillService = "swarmwiz-drill"

func (d Drill) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	r, err := d.prepare(ctx, env, st)
	if err != nil {
		return err
	}
	newLeader, election, err := r.leaderStops(ctx)
	if err != nil {
		return err
	}
	if err := r.leaderComesBack(ctx, newLeader); err != nil {
		return err
	}
	keeper, stopped, err := r.quorumLost(ctx)
	if err != nil {
		return err
	}
	if err := r.recoverAndRestore(ctx, keeper, stopped); err != nil {
		return err
	}
	env.Change(ctx, st, prelude.NodeByHostname(st, keeper), docker.Cmd("service-rm", map[string]string{"Name": drillService}), "", "")
	say(env, "drill.done", fmt.Sprintf("%.1f", election))
	return nil
}

// drillRun is one drill under way: the lab, and the swarm as it was when the drill began.
type drillRun struct {
	Drill
	env      *wizard.Env
	st       *wizard.State
	inv      *lab.Inventory
	leader   string   // the leader the drill began with
	original []string // the managers the drill began with
}

// prepare checks the drill can run (a lab, three managers all reachable) and puts the
// service the lessons change on the swarm: its image is the probe's, loaded as check does.
func (d Drill) prepare(ctx context.Context, env *wizard.Env, st *wizard.State) (*drillRun, error) {
	if st.LabName == "" {
		return nil, failure.Usagef("%s", msg("drill.labonly", nil))
	}
	inv, err := lab.Load(st.LabName)
	if err != nil {
		return nil, err
	}
	rows, err := prelude.ListNodes(ctx, env, st)
	if err != nil {
		return nil, err
	}
	if h := prelude.Health(rows); h.Managers != 3 || h.Reachable != 3 {
		return nil, failure.Usagef("%s", msg("drill.needs3", map[string]any{"Health": h, "Lab": st.LabName}))
	}
	image, err := check.LoadProbeOn(ctx, env, st, rows)
	if err != nil {
		return nil, err
	}
	mgr := prelude.ManagerOf(st)
	env.Change(ctx, st, mgr, docker.Cmd("service-rm", map[string]string{"Name": drillService}), "", "")
	if _, err := env.Change(ctx, st, mgr, docker.Cmd("drill-service", map[string]string{"Name": drillService, "Image": image, "Path": probe.Path}),
		msg("drill.service.why", nil), msg("drill.service.done", drillService)); err != nil {
		return nil, err
	}
	r := &drillRun{Drill: d, env: env, st: st, inv: inv, leader: prelude.Health(rows).Leader}
	for _, row := range rows {
		if row.IsManager() {
			r.original = append(r.original, row.Hostname)
		}
	}
	return r, nil
}

// leaderStops is lesson 1: the leader stops, the others elect a new one (how long it took is
// the drill's figure), and the service can still be changed.
func (r *drillRun) leaderStops(ctx context.Context) (newLeader string, election float64, err error) {
	env, st := r.env, r.st
	if err := r.lesson(env, 1, map[string]any{"Leader": r.leader}); err != nil {
		return "", 0, err
	}
	if err := r.stop(ctx, env, r.inv, st, r.leader); err != nil {
		return "", 0, err
	}
	t0 := time.Now()
	err = prelude.UntilSaying(ctx, env, "wait.election", map[string]any{"Old": r.leader}, 60*time.Second, poll.Backoff{First: 200 * time.Millisecond, Max: time.Second, Factor: 1.5},
		func(ctx context.Context) (bool, error) {
			rows, err := prelude.ListNodes(ctx, env, st)
			if err != nil {
				return false, nil
			}
			h := prelude.Health(rows)
			newLeader = h.Leader
			return h.Leader != "" && h.Leader != r.leader, nil
		})
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", msg("drill.noelection", r.leader), err)
	}
	election = time.Since(t0).Seconds()
	say(env, "drill.elected", map[string]any{"Old": r.leader, "New": newLeader, "Seconds": fmt.Sprintf("%.1f", election)})
	return newLeader, election, r.change(ctx, env, st, prelude.NodeByHostname(st, newLeader), "1", true)
}

// leaderComesBack is lesson 2: the old leader starts again and rejoins as a follower.
func (r *drillRun) leaderComesBack(ctx context.Context, newLeader string) error {
	env, st := r.env, r.st
	if err := r.lesson(env, 2, map[string]any{"Leader": r.leader, "New": newLeader}); err != nil {
		return err
	}
	if err := r.start(ctx, env, r.inv, st, r.leader); err != nil {
		return err
	}
	var back string
	prelude.UntilSaying(ctx, env, "wait.rejoin", map[string]any{"Node": r.leader}, 60*time.Second, poll.Backoff{First: 300 * time.Millisecond, Max: time.Second, Factor: 1.5},
		func(ctx context.Context) (bool, error) {
			rows, err := prelude.ListNodes(ctx, env, st)
			if row := prelude.FindRow(rows, r.leader); err == nil && row != nil {
				back = row.ManagerStatus
			}
			return back == "Reachable" || back == "Leader", nil
		})
	say(env, "drill.back", map[string]string{"Node": r.leader, "Status": back})
	return nil
}

// quorumLost is lesson 3: two of the three managers stop, and the service can no longer be
// changed. keeper is the manager kept: the one the workers joined through.
func (r *drillRun) quorumLost(ctx context.Context) (keeper string, stopped []string, err error) {
	env, st := r.env, r.st
	rows, _ := prelude.ListNodes(ctx, env, st)
	keeper = workersJoinedThrough(ctx, env, st, rows)
	for _, row := range rows {
		if row.IsManager() && row.Hostname != keeper {
			stopped = append(stopped, row.Hostname)
		}
	}
	if err := r.lesson(env, 3, map[string]any{"Stopped": templates.List(stopped), "Keeper": keeper}); err != nil {
		return "", nil, err
	}
	for _, n := range stopped {
		if err := r.stop(ctx, env, r.inv, st, n); err != nil {
			return "", nil, err
		}
	}
	return keeper, stopped, r.change(ctx, env, st, prelude.NodeByHostname(st, keeper), "3", false)
}

// recoverAndRestore is lesson 4: recover on the keeper, start the stopped managers again
// (they rejoin on their own, as workers: recover demoted them), wait until every node is
// Ready, and give the managers' role back to the three the drill began with.
func (r *drillRun) recoverAndRestore(ctx context.Context, keeper string, stopped []string) error {
	env, st := r.env, r.st
	if err := r.lesson(env, 4, map[string]any{"Keeper": keeper, "Lab": st.LabName}); err != nil {
		return err
	}
	if err := prelude.ReadFactsOf(ctx, env, prelude.NodeByHostname(st, keeper)); err != nil {
		return err
	}
	if err := (Recover{Keep: keeper, Yes: true}).Run(ctx, env, st); err != nil {
		return err
	}
	for _, n := range stopped {
		if err := r.start(ctx, env, r.inv, st, n); err != nil {
			return err
		}
	}
	err := prelude.UntilSaying(ctx, env, "wait.back", map[string]any{"Nodes": templates.List(stopped)}, 90*time.Second, poll.Backoff{First: 500 * time.Millisecond, Max: 2 * time.Second, Factor: 1.5},
		func(ctx context.Context) (bool, error) {
			rows, err := prelude.ListNodes(ctx, env, st)
			return err == nil && prelude.AllReady(rows, len(rows)) && len(rows) == len(r.inv.Nodes), nil
		})
	if err != nil {
		return fmt.Errorf("%s: %w", msg("drill.notback", strings.Join(stopped, ", ")), err)
	}
	if err := restoreManagers(ctx, env, st, r.original); err != nil {
		return err
	}
	return r.change(ctx, env, st, prelude.NodeByHostname(st, keeper), "4", true)
}

// workersJoinedThrough is the manager most workers joined the swarm through, else the
// leader. Lesson 3 keeps it: recover can then promote the workers (a promoted worker's docker
// asks the manager it joined through to let it into Raft), so lesson 4 ends as it predicts,
// with 3 managers, and the gotcha of a gone manager is not met by surprise.
func workersJoinedThrough(ctx context.Context, env *wizard.Env, st *wizard.State, rows []docker.Node) string {
	byAddr := map[string]string{}
	for _, r := range rows {
		if n := prelude.NodeByHostname(st, r.Hostname); n != nil && r.IsManager() {
			for _, a := range []string{n.Facts.Swarm.NodeAddr, n.Host} {
				if a != "" {
					byAddr[a] = r.Hostname
				}
			}
		}
	}
	count := map[string]int{}
	best := prelude.Health(rows).Leader
	for _, r := range rows {
		n := prelude.NodeByHostname(st, r.Hostname)
		if r.IsManager() || n == nil {
			continue
		}
		if a := joinedThrough(ctx, env, n); a != "" && byAddr[a] != "" {
			m := byAddr[a]
			count[m]++
			if count[m] > count[best] {
				best = m
			}
		}
	}
	return best
}

// lesson says what lesson n will do and what to expect, and waits for the learner.
func (d Drill) lesson(env *wizard.Env, n int, data map[string]any) error {
	data["N"] = n
	say(env, "drill.lesson", data)
	if d.Yes {
		return nil
	}
	if err := prelude.NeedTerminal(env, "--yes"); err != nil {
		return err
	}
	ok, err := env.Prompter.Confirm(msg("drill.go", n), "", true)
	if err == nil && !ok {
		err = failure.Usagef("%s", msg("drill.stopped", n))
	}
	return err
}

// stop stops a lab node's daemons, as `swarmwiz lab stop` does, and says so.
func (d Drill) stop(ctx context.Context, env *wizard.Env, inv *lab.Inventory, st *wizard.State, host string) error {
	for _, n := range inv.Nodes {
		if n.Name == host {
			if env.Explain {
				env.ExplainCmd(&wizard.Node{Host: "lab"}, "swarmwiz lab stop --name "+inv.Name+" "+host, msg("drill.stop.why", nil))
			}
			if err := lab.Stop(ctx, n); err != nil {
				return err
			}
			// Its connection died with it: nothing may be asked of it until it is back.
			if node := prelude.NodeByHostname(st, host); node != nil && node.Conn != nil {
				node.Conn.Close()
				node.Conn = nil
			}
			st.Record(msg("drill.stopped.node", host))
			env.Printf("  ✓ %s\n", msg("drill.stopped.node", host))
			return nil
		}
	}
	return fmt.Errorf("no lab node %s", host)
}

// start starts a lab node again and connects to it afresh (its old connection died with it).
func (d Drill) start(ctx context.Context, env *wizard.Env, inv *lab.Inventory, st *wizard.State, host string) error {
	for _, n := range inv.Nodes {
		if n.Name != host {
			continue
		}
		if err := lab.Start(ctx, inv, n, env.Progress()); err != nil {
			return err
		}
		env.Printf("  ✓ %s\n", msg("drill.started.node", host))
		node := prelude.NodeByHostname(st, host)
		if node == nil {
			return nil
		}
		if node.Conn != nil {
			node.Conn.Close()
		}
		t, err := prelude.DialTarget(st, node)
		if err != nil {
			return err
		}
		node.Conn, err = env.Dial(ctx, t)
		return err
	}
	return fmt.Errorf("no lab node %s", host)
}

// change tries a change of the swarm (the drill service's label) on n and shows whether it
// went through; want says whether it should.
func (d Drill) change(ctx context.Context, env *wizard.Env, st *wizard.State, n *wizard.Node, lesson string, want bool) error {
	if n == nil || n.Conn == nil {
		return errors.New(msg("nodes.nomanager", nil))
	}
	cmd := docker.Cmd("drill-update", map[string]string{"Name": drillService, "Lesson": lesson})
	if env.Explain {
		env.ExplainCmd(n, cmd, msg("drill.update.why", nil))
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, _, err := n.Conn.Run(ctx, cmd)
	switch {
	case want && err != nil:
		return env.NodeErr(n, cmd, err)
	case want:
		say(env, "drill.change.ok", n.Name())
	case err == nil:
		return errors.New(msg("drill.change.unexpected", n.Name()))
	default:
		// docker's own refusal in a code span, as docker said it; a request that got no answer
		// in time (no leader to answer it) in the learner's words.
		why := "`" + lastLineOf(err.Error()) + "`"
		if errors.Is(err, context.DeadlineExceeded) {
			why = msg("drill.change.noanswer", nil)
		}
		say(env, "drill.change.refused", map[string]string{"Node": n.Name(), "Err": why})
	}
	return nil
}

func lastLineOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}

// restoreManagers makes exactly the nodes named managers: those that are not are promoted
// first (each waited for), then the others are demoted, so the quorum never shrinks below
// what it was.
func restoreManagers(ctx context.Context, env *wizard.Env, st *wizard.State, want []string) error {
	rows, err := prelude.ListNodes(ctx, env, st)
	if err != nil {
		return err
	}
	var promote, demote []string
	for _, r := range rows {
		switch in := slices.Contains(want, r.Hostname); {
		case in && !r.IsManager():
			promote = append(promote, r.Hostname)
		case !in && r.IsManager():
			demote = append(demote, r.Hostname)
		}
	}
	if len(promote) > 0 {
		if err := (ChangeRole{Names: promote, To: wizard.Manager}).Run(ctx, env, st); err != nil {
			return err
		}
	}
	if len(demote) > 0 {
		return ChangeRole{Names: demote, To: wizard.Worker}.Run(ctx, env, st)
	}
	return nil
}
