package quorum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// Recover brings back a swarm that has lost its quorum, as docker's admin guide does it: on
// one surviving manager `docker swarm init --force-new-cluster` makes it the only manager of
// the same swarm (services, secrets and configs kept); the managers that are gone are demoted
// and removed; workers are promoted until the swarm has the odd manager count it had. Old
// managers that come back later are made to leave their stale copy of the swarm and join again
// as workers (a second `recover` does it, or it is done at once for those already back).
// A swarm with its quorum has nothing to recover: refused.
type Recover struct {
	Keep string // --keep: the manager to keep
	Yes  bool
}

func (Recover) Title() string { return msg("recover.title", nil) }

// stragglers are old members back from a stop: nodes that answer, are not part of the swarm's
// node list any more (or are listed Down), and still hold a stale copy of the swarm.
func stragglers(st *wizard.State, rows []docker.Node, keeper *wizard.Node) []*wizard.Node {
	var out []*wizard.Node
	for _, n := range st.Nodes {
		if n == keeper || n.Conn == nil || !n.Facts.DockerAnswers() {
			continue
		}
		row := prelude.FindRow(rows, n.Facts.Hostname)
		stale := n.Facts.Swarm.LocalNodeState == "active" && (row == nil || row.Status != "Ready" || row.ID != n.Facts.Swarm.NodeID)
		if stale || n.Facts.Swarm.LocalNodeState == "error" || n.Facts.Swarm.LocalNodeState == "pending" {
			out = append(out, n)
		}
	}
	return out
}

func (r Recover) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	rows, listErr := prelude.ListNodes(ctx, env, st)
	h := prelude.Health(rows)
	if listErr == nil && h.OK() {
		// Quorum holds: only old members that came back may need bringing home.
		mgr := prelude.ManagerOf(st)
		back := stragglers(st, rows, mgr)
		if len(back) == 0 || mgr == nil {
			return failure.Usagef("%s", msg("recover.healthy", h))
		}
		return r.rejoin(ctx, env, st, mgr, back)
	}
	var survivors []*wizard.Node
	for _, n := range st.Nodes {
		if n.Conn != nil && n.Facts.Swarm.ControlAvailable && n.Facts.DockerAnswers() {
			survivors = append(survivors, n)
		}
	}
	if len(survivors) == 0 {
		return errors.New(msg("recover.nosurvivor", nil))
	}
	keeper, err := r.choose(env, survivors)
	if err != nil {
		return err
	}
	target, err := r.consent(env, keeper, len(survivors))
	if err != nil {
		return err
	}
	t0 := time.Now()
	addr := keeper.Facts.Swarm.NodeAddr
	if _, err := env.Change(ctx, st, keeper, docker.ForceNewCluster(addr), msg("recover.init.why", nil),
		msg("recover.init.done", keeper.Name())); err != nil {
		return err
	}
	keeper.Facts.Swarm.NodeID = ""
	if env.DryRun {
		return nil
	}
	if err := r.demoteFormer(ctx, env, st, keeper, formerManagers(st, rows), survivors); err != nil {
		return err
	}
	// Other survivors held the old Raft: they leave their copy and join again.
	var others []*wizard.Node
	for _, n := range survivors {
		if n != keeper {
			others = append(others, n)
		}
	}
	if err := r.rejoin(ctx, env, st, keeper, others); err != nil {
		return err
	}
	if err := r.promote(ctx, env, st, keeper, target); err != nil {
		return err
	}
	say(env, "recover.done", fmt.Sprintf("%.1f", time.Since(t0).Seconds()))
	return nil
}

// consent says the plan (keeper, the manager count to restore: odd) and asks for the user's
// yes unless --yes was given; target is the manager count the recovery restores.
func (r Recover) consent(env *wizard.Env, keeper *wizard.Node, survivors int) (target int, err error) {
	managers := keeper.Facts.Swarm.Managers
	if managers < 1 {
		managers = 3
	}
	target = managers
	if target%2 == 0 {
		target-- // restore an odd count
	}
	addr := keeper.Facts.Swarm.NodeAddr
	if !env.Quiet || !r.Yes {
		say(env, "recover.plan", map[string]any{"Keeper": keeper.Name(), "Addr": addr, "Managers": managers,
			"Survivors": survivors, "Target": target, "Cmd": docker.ForceNewCluster(addr)})
	}
	if r.Yes || env.DryRun {
		return target, nil
	}
	if err := prelude.NeedTerminal(env, "--yes"); err != nil {
		return 0, err
	}
	ok, err := env.Prompter.Confirm(msg("recover.question", keeper.Name()), "", false)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, failure.Usagef("%s", msg("recover.declined", nil))
	}
	return target, nil
}

// formerManagers are the managers before the loss, by name: from the list while a manager
// could still give it, else from what the nodes know.
func formerManagers(st *wizard.State, rows []docker.Node) []string {
	var former []string
	for _, row := range rows {
		if row.IsManager() {
			former = append(former, row.Hostname)
		}
	}
	if len(former) == 0 {
		seen, _ := leaderless(st)
		for _, m := range seen {
			if m.Name != "?" {
				former = append(former, m.Name)
			}
		}
	}
	return former
}

// demoteFormer: the keeper is the only member of Raft now. The managers that are gone are
// still listed (Down) and still meant to be managers: demoted, they come back as workers
// when their machines return, and the manager count stays odd.
func (r Recover) demoteFormer(ctx context.Context, env *wizard.Env, st *wizard.State, keeper *wizard.Node, former []string, survivors []*wizard.Node) error {
	if _, err := waitList(ctx, env, keeper); err != nil {
		return err
	}
	for _, name := range former {
		if name == keeper.Name() || slices.ContainsFunc(survivors, func(n *wizard.Node) bool { return n.Name() == name }) {
			continue
		}
		if _, err := env.Change(ctx, st, keeper, docker.Demote(name), msg("recover.demote.why", name), msg("leave.demote.done", name)); err != nil {
			// Docker refuses to demote a manager that is no longer in Raft: it comes back
			// as a manager, and the plan's re-run (or demote) sets the count right.
			say(env, "recover.demote.later", name)
		}
	}
	return nil
}

// choose is the manager to keep: --keep, the only survivor, or the user's choice (the first
// offered); off a terminal with several survivors nothing is guessed.
func (r Recover) choose(env *wizard.Env, survivors []*wizard.Node) (*wizard.Node, error) {
	var names []string
	for _, n := range survivors {
		names = append(names, n.Name())
	}
	if r.Keep != "" {
		for _, n := range survivors {
			if strings.EqualFold(n.Name(), r.Keep) || n.Host == r.Keep {
				return n, nil
			}
		}
		return nil, failure.Usagef("%s", msg("recover.keep.unknown", map[string]any{"Keep": r.Keep, "Names": strings.Join(names, ", ")}))
	}
	if len(survivors) == 1 {
		return survivors[0], nil
	}
	if err := prelude.NeedTerminal(env, "--keep NODE"); err != nil {
		return nil, err
	}
	i, err := env.Prompter.Select(msg("recover.keep.question", nil), msg("recover.keep.help", nil), names, names[0])
	if err != nil {
		return nil, err
	}
	return survivors[i], nil
}

// waitList reads the keeper's node list until it answers (a new cluster takes a moment).
func waitList(ctx context.Context, env *wizard.Env, keeper *wizard.Node) ([]docker.Node, error) {
	var rows []docker.Node
	var err error
	for end := time.Now().Add(30 * time.Second); ; {
		if rows, err = prelude.ListOn(ctx, env, keeper); err == nil {
			return rows, nil
		}
		if time.Now().After(end) || ctx.Err() != nil {
			return rows, err
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// rejoin makes old members that hold a stale copy of the swarm leave it and join again, as
// workers (promote restores the manager count).
func (r Recover) rejoin(ctx context.Context, env *wizard.Env, st *wizard.State, mgr *wizard.Node, nodes []*wizard.Node) error {
	if len(nodes) == 0 {
		return nil
	}
	token, err := env.Read(ctx, mgr, docker.JoinToken("worker"))
	if err != nil {
		return err
	}
	token = strings.TrimSpace(token)
	addr := mgr.Facts.Swarm.NodeAddr
	rows, _ := prelude.ListNodes(ctx, env, st)
	for _, n := range nodes {
		if _, err := env.Change(ctx, st, n, docker.Leave(true), msg("recover.leave.why", nil), msg("recover.left", n.Name())); err != nil {
			return err
		}
		// Its old entry, if the swarm still lists it, goes before it joins again.
		for _, row := range rows {
			if strings.EqualFold(row.Hostname, n.Facts.Hostname) && !row.Self {
				if row.IsManager() {
					env.Change(ctx, st, mgr, docker.Demote(row.ID), msg("recover.demote.why", row.Hostname), "")
				}
				env.Change(ctx, st, mgr, docker.Rm(row.ID, true), msg("recover.rm.why", nil), "")
			}
		}
		manager := addr + ":2377"
		if err := env.ChangeBy(ctx, st, n, docker.Join(token, manager, ""), msg("join.worker.why", nil), msg("join.worker.done", n.Name()),
			func(ctx context.Context) error { return n.Docker().SwarmJoin(ctx, token, manager, "") }); err != nil {
			return err
		}
	}
	return nil
}

// promote makes Ready workers managers until the swarm has target managers, each waited for
// until Raft counts it reachable.
func (r Recover) promote(ctx context.Context, env *wizard.Env, st *wizard.State, keeper *wizard.Node, target int) error {
	// After --force-new-cluster Raft has one member, the keeper. The node list may still say
	// "Reachable" for managers that are gone (their status is refreshed a moment later), so
	// it is not what is counted: counting it once left the swarm with 2 managers of 3.
	p := &promotion{env: env, st: st, keeper: keeper, live: map[string]bool{}, liveAddr: map[string]bool{keeper.Facts.Swarm.NodeAddr: true},
		promoted: map[string]bool{}, stale: map[string]string{}, via: map[string]string{}}
	have := 1
	deadline := time.Now().Add(PromoteWait)
	for have < target && ctx.Err() == nil {
		var w *docker.Node
		var n *wizard.Node
		// At least one more look once the time is up: a Ready worker is not left out for it.
		prelude.UntilSaying(ctx, env, "wait.worker", map[string]any{"Have": have, "Target": target}, max(time.Until(deadline), time.Second), poll.Backoff{First: 300 * time.Millisecond, Max: time.Second, Factor: 1.5},
			func(ctx context.Context) (bool, error) {
				var hopeless bool
				w, n, hopeless = p.pick(ctx)
				return w != nil || hopeless, nil
			})
		if w == nil {
			break
		}
		if err := p.promoteOne(ctx, w, n, target); err != nil {
			return err
		}
		have++
	}
	if have < target {
		var names []string
		gone := ""
		for name, addr := range p.stale {
			names, gone = append(names, name), addr
		}
		slices.Sort(names)
		say(env, "recover.fewer", map[string]any{"Have": have, "Target": target, "Stale": strings.Join(names, ", "), "Via": gone})
	}
	return nil
}

// promotion is recover's promotion of workers into the forced cluster, as it goes.
//
// A worker is promoted once it is Ready in the forced cluster, its agent knows no manager
// but those in Raft now, and it did not join through a manager that is gone. Right after
// the cluster is forced the workers are not Ready until they report again (seen in CI: one
// Ready worker of four, and the swarm was left with 2 managers of 3); and a promoted worker
// asks the manager it joined through to let it into Raft (see joinedThrough).
type promotion struct {
	env      *wizard.Env
	st       *wizard.State
	keeper   *wizard.Node
	live     map[string]bool   // node IDs of the managers in Raft now
	liveAddr map[string]bool   // their addresses
	promoted map[string]bool   // hostnames
	stale    map[string]string // workers left out: hostname → the gone manager they joined through
	via      map[string]string // what each worker joined through: read once
}

// pick is the first worker that can be promoted now; hopeless when no worker ever can
// (every one that is left joined through a manager that is gone).
func (p *promotion) pick(ctx context.Context) (w *docker.Node, n *wizard.Node, hopeless bool) {
	rows, err := waitList(ctx, p.env, p.keeper)
	if err != nil {
		return nil, nil, false
	}
	slices.SortFunc(rows, func(a, b docker.Node) int { return strings.Compare(a.Hostname, b.Hostname) })
	hopeless = true
	for _, row := range rows {
		if row.Self {
			p.live[row.ID] = true
		}
	}
	for _, row := range rows {
		if row.IsManager() || p.promoted[row.Hostname] || row.Availability != "Active" {
			continue
		}
		node := prelude.NodeByHostname(p.st, row.Hostname)
		if node == nil || node.Conn == nil {
			continue
		}
		addr, read := p.via[row.Hostname]
		if !read {
			addr = joinedThrough(ctx, p.env, node)
			p.via[row.Hostname] = addr
		}
		if addr != "" && !p.liveAddr[addr] {
			p.stale[row.Hostname] = addr
			continue
		}
		delete(p.stale, row.Hostname)
		hopeless = false
		if row.Status == "Ready" && knowsOnly(ctx, node, p.live) {
			return &row, node, false
		}
	}
	return nil, nil, hopeless
}

// promoteOne promotes w (node n) and waits until it is a reachable manager.
func (p *promotion) promoteOne(ctx context.Context, w *docker.Node, n *wizard.Node, target int) error {
	rep := progress.Start(prelude.ChangeProgress(p.env), msg("roles.promote.progress", w.Hostname), 1)
	_, err := p.env.Change(ctx, p.st, p.keeper, docker.Promote(w.Hostname), msg("recover.promote.why", target), msg("roles.promote.done", w.Hostname))
	if err == nil {
		err = prelude.WaitReachable(ctx, p.env, p.keeper, n)
	}
	rep.Item(w.Hostname, err, "")
	rep.Stop()
	if err != nil {
		return err
	}
	p.promoted[w.Hostname], p.live[w.ID] = true, true
	if out, err := p.env.Read(ctx, p.keeper, docker.NodeAddr(w.ID)); err == nil {
		p.liveAddr[strings.TrimSpace(out)] = true
	}
	return nil
}

// joinedThrough is the address of the manager n joined the swarm through, as its dockerd
// keeps it ("" when unknown). A promoted worker's docker asks that manager to let it into
// Raft, whatever managers it knows since, until its daemon restarts: where that manager is
// gone, the promotion never completes (seen in the drill: node4 dialled the stopped node1
// for minutes).
func joinedThrough(ctx context.Context, env *wizard.Env, n *wizard.Node) string {
	out, err := env.Read(ctx, n, docker.JoinState(n.Facts.DockerRoot))
	if err != nil {
		return ""
	}
	var s struct{ RemoteAddr string }
	if json.Unmarshal([]byte(out), &s) != nil || s.RemoteAddr == "" {
		return ""
	}
	host, _, err := net.SplitHostPort(s.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}

// knowsOnly says whether n's swarm agent lists, as the managers it may turn to, only managers
// whose node IDs are in live.
func knowsOnly(ctx context.Context, n *wizard.Node, live map[string]bool) bool {
	var info struct{ Swarm docker.Swarm }
	if err := n.Docker().Get(ctx, "/info", &info); err != nil || len(info.Swarm.RemoteManagers) == 0 {
		return false
	}
	for _, m := range info.Swarm.RemoteManagers {
		if !live[m.NodeID] {
			return false
		}
	}
	return true
}

// PromoteWait bounds the wait for enough Ready workers to promote after a recovery.
var PromoteWait = 30 * time.Second
