package check

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/diagnose"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/internal/preflight"
	"github.com/swarmwiz/swarmwiz/internal/probe"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// Check proves the swarm works: a probe task on every node, on an overlay network of its
// own, tries every other node's task over the overlay (TCP and UDP, small and large, and the
// swarm's DNS); the result is a matrix and a line per failing pair with its likely cause and
// fix. Everything it makes is removed again, also after Ctrl-C.
type Check struct {
	Encrypted bool
	Image     string // --probe-image: an image the nodes pull; "": the swarmwiz binary itself
	// Offer: after create, the check is offered (asked on a terminal); Yes runs it unasked;
	// Declined (--check=false) neither asks nor runs it.
	Offer, Yes, Declined bool
}

// TaskTimeout is how long the wait for the probe tasks goes on without one more of them
// starting (or failing): a node whose task is not running by then is named. While tasks keep
// starting the wait goes on, up to taskLimit: 30 nodes whose daemons share 2 cores start
// their tasks one after another over a minute and a half, each node a little later.
var TaskTimeout = 40 * time.Second

// PlacePerNode is what the first task may take beyond TaskTimeout, per node: the manager
// places them all before any starts.
var PlacePerNode = 2 * time.Second

// taskLimit bounds the whole wait: TaskTimeout and ten seconds a node.
func taskLimit(nodes int) time.Duration {
	return TaskTimeout + time.Duration(nodes)*10*time.Second
}

func (Check) Title() string { return msg("check.title", nil) }

// SkipIn: after create, the check is offered on a terminal, or run with --check; never in a
// dry run, and not when the swarm ended.
func (c Check) SkipIn(env *wizard.Env, st *wizard.State) bool {
	if !c.Offer {
		return false
	}
	return c.Declined || env.DryRun || st.SwarmEnded || !c.Yes && (!env.Interactive || env.Quiet || env.JSON != nil)
}

func (c Check) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	if c.Offer && !c.Yes {
		ok, err := env.Prompter.Confirm(msg("check.offer", nil), msg("check.offer.help", nil), true)
		if err != nil {
			return err
		}
		if !ok {
			say(env, "check.later", nil)
			return nil
		}
	}
	res, err := runCheck(ctx, env, st, c)
	if err != nil {
		return err
	}
	env.Class.Check(res.Working, res.Total, res.Problems)
	if env.JSON != nil && !c.Offer {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(env.JSON, string(b))
	} else if env.Quiet {
		say(env, "check.result", res)
	} else {
		env.Println(CheckText(res))
	}
	if res.Working < res.Total || len(res.Untested) > 0 || len(res.Problems) > 0 {
		return &failure.StatusError{Code: failure.ExitFailed, Msg: msg("check.failed", res)}
	}
	return nil
}

// CheckResult is what a check found, as the matrix and as --output json.
type CheckResult struct {
	Network  string          `json:"network"` // overlay, or encrypted overlay
	Nodes    []string        `json:"nodes"`   // the nodes tested, in the node table's order
	Pairs    []CheckPair     `json:"pairs"`
	Working  int             `json:"working"`
	Total    int             `json:"total"`
	Untested []CheckSkip     `json:"untested,omitempty"` // Ready nodes a probe could not run on
	Skipped  []CheckSkip     `json:"skipped,omitempty"`  // nodes that run no tasks (down, drained)
	Mesh     string          `json:"mesh"`               // why the routing mesh was not checked
	Problems []string        `json:"problems,omitempty"`
	Fixes    []string        `json:"fixes,omitempty"`
	Notes    []string        `json:"notes,omitempty"` // seen, proving no cause: where to look
	Seconds  float64         `json:"seconds"`
	Removed  int             `json:"leftoversRemoved,omitempty"`
	Retried  int             `json:"passedOnSecondTry,omitempty"` // pairs that failed once, then passed
	dnsKnown map[string]bool // FROM→TO: the asking node's docker lists the other task
	links    []probe.Link    // unexported: kept for the diagnosis
}

// CheckPair is one directed pair: what From's task found of To's.
type CheckPair = diagnose.Pair

// CheckSkip is a node left out of the matrix, and why.
type CheckSkip struct {
	Node string `json:"node"`
	Why  string `json:"why"`
}

// probeTarget is a node the probe runs on.
type probeTarget struct {
	row       docker.Node
	node      *wizard.Node // nil: not connected
	ip        string       // its task's overlay address
	container string
}

func runCheck(ctx context.Context, env *wizard.Env, st *wizard.State, c Check) (*CheckResult, error) {
	t0 := time.Now()
	phase := phaseTimer(env, "check")
	res := &CheckResult{Network: "overlay"}
	if c.Encrypted {
		res.Network = "encrypted overlay"
	}
	mgr, targets, image, err := checkSetup(ctx, env, st, c, res, phase)
	if err != nil {
		return nil, err
	}
	local := c.Image == ""
	id := randomID()
	name := "swarmwiz-check-" + id
	// From here on the check has made something: whatever happens, remove it.
	defer func() {
		if _, err := cleanupCheck(ctx, env, st, mgr, targets, false); err != nil {
			env.Errorln(msg("check.cleanup.failed", err.Error()))
		} else if ctx.Err() != nil {
			env.Errorln(msg("check.cleaned", nil))
		}
		phase("cleanup")
	}()
	if _, err := env.Change(ctx, st, mgr, docker.CheckNetworkCreate(name, id, c.Encrypted), msg("check.network.why", nil), ""); err != nil {
		return nil, err
	}
	if _, err := env.Change(ctx, st, mgr, docker.CheckServiceCreate(name, id, image, probe.Path, local), msg("check.service.why", nil), ""); err != nil {
		return nil, err
	}
	phase("create")
	res.Untested = append(res.Untested, waitTasks(ctx, env, mgr, name, targets)...)
	phase("tasks")
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var live []*probeTarget
	for _, t := range targets {
		if t.container != "" {
			live = append(live, t)
		}
	}
	if len(live) < 2 {
		return nil, errors.New(msg("check.notasks", res.Untested))
	}
	waitGossip(ctx, env, name, live)
	phase("gossip")
	started := time.Now()
	if err := runProbes(ctx, env, name, live, res); err != nil {
		return nil, err
	}
	phase("probes")
	res.Mesh = meshSupport(ctx, env, live)
	gatherAndDiagnose(ctx, env, st, c, mgr, name, live, started, res)
	phase("diagnose")
	res.Seconds = time.Since(t0).Seconds()
	return res, nil
}

// checkSetup finds a manager and the nodes to probe, removes what a killed check left, and
// puts the probe's image on the nodes (unless c names one): image is the image to run.
func checkSetup(ctx context.Context, env *wizard.Env, st *wizard.State, c Check, res *CheckResult, phase func(string)) (mgr *wizard.Node, targets []*probeTarget, image string, err error) {
	mgr = prelude.ManagerOf(st)
	if mgr == nil {
		return nil, nil, "", errors.New(msg("nodes.nomanager", nil))
	}
	rows, err := prelude.ListNodes(ctx, env, st)
	if err != nil {
		return nil, nil, "", err
	}
	targets = checkTargets(st, rows, res)
	if len(targets) < 2 {
		return nil, nil, "", errors.New(msg("check.toofew", len(targets)))
	}
	// A check killed before it could clean up left its service and network: remove them first.
	if env.Explain {
		env.ExplainCmd(mgr, docker.CheckCleanup(false), msg("check.cleanup.why", nil))
	}
	if res.Removed, err = cleanupCheck(ctx, env, st, mgr, targets, true); err != nil {
		return nil, nil, "", err
	}
	phase("cleanup-before")
	if res.Removed > 0 && !env.Quiet {
		env.Println("  " + msg("check.leftover", res.Removed))
	}
	image = c.Image
	if image == "" {
		if image, err = loadProbe(ctx, env, targets); err != nil {
			return nil, nil, "", err
		}
	}
	phase("image")
	return mgr, targets, image, nil
}

// checkTargets are the nodes the probe runs on: every Ready, active node of rows. The others
// go into res.Skipped, with why.
func checkTargets(st *wizard.State, rows []docker.Node, res *CheckResult) []*probeTarget {
	var targets []*probeTarget
	silent := prelude.SilentRows(st, rows)
	for _, r := range rows {
		switch {
		case slices.ContainsFunc(silent, func(s docker.Node) bool { return s.ID == r.ID }):
			// Switched off a moment ago, most likely: not a reason to name it with --host.
			res.Skipped = append(res.Skipped, CheckSkip{r.Hostname, msg("check.skip.silent", nil)})
		case r.Status != "Ready":
			res.Skipped = append(res.Skipped, CheckSkip{r.Hostname, msg("check.skip.down", r.Status)})
		case r.Availability != "Active":
			res.Skipped = append(res.Skipped, CheckSkip{r.Hostname, msg("check.skip.drain", r.Availability)})
		default:
			targets = append(targets, &probeTarget{row: r, node: prelude.NodeByHostname(st, r.Hostname)})
		}
	}
	return targets
}

// gatherAndDiagnose reads the evidence the probes' results call for (the data-path port,
// gossip's reach, docker's DNS, docker's own logs since the probes started) and weighs it:
// res gets its problems, fixes and notes.
func gatherAndDiagnose(ctx context.Context, env *wizard.Env, st *wizard.State, c Check, mgr *wizard.Node, name string, live []*probeTarget, started time.Time, res *CheckResult) {
	dpp := dataPathPort(ctx, mgr)
	blocked := gossipBlocked(ctx, env, res, live)
	res.dnsKnown = dnsEvidence(ctx, name, res, live)
	logs := readGossip(ctx, env, name, live, started)
	res.Problems, res.Fixes = diagnosePairs(res, live, dpp, blocked, logs.agentInit, c.Encrypted, st.LabName)
	problems, fixes, notes := gossipFindings(logs, byHostname(live))
	res.Problems, res.Fixes, res.Notes = append(res.Problems, problems...), append(res.Fixes, fixes...), notes
}

// phaseTimer returns a function that, for `make bench` (SWARMWIZ_TIMINGS=1), writes how long
// each named phase since the last took.
func phaseTimer(env *wizard.Env, step string) func(name string) {
	last := time.Now()
	return func(name string) {
		if env.Timings != nil {
			fmt.Fprintf(env.Timings, "timing %s.%s %.3f\n", step, name, time.Since(last).Seconds())
		}
		last = time.Now()
	}
}

func randomID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// LoadProbeOn puts the probe's image (the swarmwiz binary) on the nodes of rows, as a check
// does, and names it: the drill's service runs it.
func LoadProbeOn(ctx context.Context, env *wizard.Env, st *wizard.State, rows []docker.Node) (string, error) {
	var targets []*probeTarget
	for _, r := range rows {
		targets = append(targets, &probeTarget{row: r, node: prelude.NodeByHostname(st, r.Hostname)})
	}
	return loadProbe(ctx, env, targets)
}

// loadProbe puts the probe image (this very binary) on every tested node that lacks it,
// streamed over the node's docker connection: no registry, no internet.
func loadProbe(ctx context.Context, env *wizard.Env, targets []*probeTarget) (string, error) {
	img, err := probe.FromExecutable(env.Self, env.Version)
	if err != nil {
		var ns *probe.NotStaticError
		if errors.As(err, &ns) {
			return "", errors.New(msg("check.image.dynamic", ns.Interp))
		}
		return "", err
	}
	var nodes []*wizard.Node
	for _, t := range targets {
		switch {
		case t.node == nil || t.node.Conn == nil:
			return "", errors.New(msg("check.image.unreachable", t.row.Hostname))
		case t.node.Facts.Arch != "" && !probe.SameArch(img.Arch, t.node.Facts.Arch):
			return "", errors.New(msg("check.image.arch", map[string]string{"Node": t.row.Hostname, "Arch": t.node.Facts.Arch, "Own": img.Arch}))
		}
		nodes = append(nodes, t.node)
	}
	rep := progress.Start(prelude.ChangeProgress(env), msg("check.image.progress", img.Ref), len(nodes))
	errs := prelude.EachNode(env, nodes, func(_ int, n *wizard.Node) error {
		api := n.Docker()
		have, err := api.ImageID(ctx, img.Ref)
		note := msg("check.image.had", nil)
		if err == nil && have != img.ID {
			err = api.LoadImage(ctx, bytes.NewReader(img.Archive()))
			note = msg("check.image.loaded", len(img.Archive())>>20)
		}
		if err != nil {
			err = env.NodeErr(n, "docker load", err)
		}
		rep.Item(n.Name(), err, note)
		return err
	})
	rep.Stop()
	return img.Ref, errors.Join(errs...)
}

// waitTasks waits until every probeTarget runs its probe task, and learns each task's container
// and overlay address; it returns the targets whose task did not start, with why.
func waitTasks(ctx context.Context, env *wizard.Env, mgr *wizard.Node, name string, targets []*probeTarget) []CheckSkip {
	api := mgr.Docker()
	why := map[string]string{}
	settled, lastChange := 0, time.Now().Add(time.Duration(len(targets))*PlacePerNode)
	prelude.UntilSaying(ctx, env, "wait.tasks", map[string]any{"Nodes": len(targets)}, taskLimit(len(targets)), poll.Backoff{First: 200 * time.Millisecond, Max: time.Second, Factor: 1.5},
		func(ctx context.Context) (bool, error) {
			tasks, err := api.Tasks(ctx, name)
			if err != nil {
				return false, nil
			}
			done, n := true, 0
			for _, t := range targets {
				t.container, t.ip = "", ""
				for _, task := range tasks {
					if task.NodeID != t.row.ID {
						continue
					}
					switch task.Status.State {
					case "running":
						t.container, t.ip = task.Status.ContainerStatus.ContainerID, task.Addr(name)
					case "failed", "rejected", "shutdown", "complete", "orphaned":
						why[t.row.Hostname] = task.Status.State + ": " + task.Status.Err
					}
				}
				if t.container != "" || why[t.row.Hostname] != "" {
					n++
				} else {
					done = false
				}
			}
			if n > settled {
				settled, lastChange = n, time.Now()
			}
			return done || time.Since(lastChange) > TaskTimeout, nil
		})
	var out []CheckSkip
	for _, t := range targets {
		if t.container == "" || t.ip == "" {
			w := why[t.row.Hostname]
			if w == "" {
				w = msg("check.task.timeout", TaskTimeout)
			}
			out = append(out, CheckSkip{t.row.Hostname, w})
			t.container = ""
		}
	}
	return out
}

// GossipTimeout bounds the wait for every node to learn of every probe task.
var GossipTimeout = 30 * time.Second

// waitGossip waits, briefly, until every node's view of the probe network lists every
// task. Nodes learn of other nodes' tasks by gossip, a moment after the tasks start, and
// right after nodes joined a swarm a node can wait for its next full sync (up to half a
// minute): testing before then would blame a network that is merely not yet told. A node
// that never learns is left to the tests, which then name it.
func waitGossip(ctx context.Context, env *wizard.Env, name string, live []*probeTarget) {
	want := make([]string, len(live))
	for i, t := range live {
		want[i] = t.ip
	}
	ctx, cancel := context.WithTimeout(ctx, GossipTimeout)
	defer cancel()
	defer prelude.SayAfter(env, "wait.gossip", nil, GossipTimeout)()
	var wg sync.WaitGroup
	for _, t := range live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			api := t.node.Docker()
			poll.Until(ctx, GossipTimeout, poll.Backoff{First: 200 * time.Millisecond, Max: time.Second, Factor: 1.5},
				func(ctx context.Context) (bool, error) {
					ips, err := api.NetworkTasks(ctx, name, name)
					return err == nil && containsAll(ips, want), nil
				})
		}()
	}
	wg.Wait()
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// runProbes runs the tester in every task at once: each tries every other task.
func runProbes(ctx context.Context, env *wizard.Env, name string, live []*probeTarget, res *CheckResult) error {
	nodes := make([]*wizard.Node, len(live))
	for i, t := range live {
		nodes[i] = t.node
		res.Nodes = append(res.Nodes, t.row.Hostname)
	}
	reports := make([]probe.Report, len(live))
	rep := progress.Start(env.Progress(), msg("check.progress", nil), len(live))
	if env.Explain {
		env.ExplainCmd(live[0].node, docker.CheckExec(live[0].container, probe.Path, name, peerArgs(live, 0, nil)), msg("check.exec.why", nil))
	}
	errs := prelude.EachNode(env, nodes, func(i int, n *wizard.Node) error {
		err := probeFrom(ctx, env, name, live, i, peerArgs(live, i, nil), &reports[i])
		reached := 0
		for _, l := range reports[i].Links {
			if l.OK() {
				reached++
			}
		}
		rep.Item(n.Name(), err, msg("check.reached", map[string]int{"OK": reached, "Of": len(live) - 1}))
		return err
	})
	rep.Stop()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := retryWithin(ctx, env, name, live, reports, res); err != nil {
		return err
	}
	for i, r := range reports {
		for _, l := range r.Links {
			res.links = append(res.links, l)
			res.Pairs = append(res.Pairs, CheckPair{From: live[i].row.Hostname, To: l.Node, OK: l.OK(),
				TCP: l.TCP, TCPLarge: l.TCPLarge, UDP: l.UDP, UDPLarge: l.UDPLarge, DNS: l.DNS})
			res.Total++
			if l.OK() {
				res.Working++
			}
		}
	}
	return nil
}

// retryWithin: a pair that failed is tried again, on its own, with fresh probes, until it
// passes or RetryWindow is over: on a busy machine the overlay and the swarm's DNS learn where
// a task lives by gossip, seconds after the first try may have given up (seen in CI: TCP
// passed and UDP failed in one try; a task missing from DNS on two tries in a row). A pair
// still failing at the end of the window is a real fault.
func retryWithin(ctx context.Context, env *wizard.Env, name string, live []*probeTarget, reports []probe.Report, res *CheckResult) error {
	again := func(i int, peers []string, r *probe.Report) error {
		return probeFrom(ctx, env, name, live, i, peers, r)
	}
	end := time.Now().Add(RetryWindow)
	for pause := time.Second; ; pause *= 2 {
		left, err := retryFailed(ctx, env, live, reports, res, again)
		if err != nil {
			return err
		}
		if left == 0 || time.Now().Add(pause).After(end) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// probeFrom runs the tester in live[i]'s task against the peers given as NAME=IP.
func probeFrom(ctx context.Context, env *wizard.Env, name string, live []*probeTarget, i int, peers []string, r *probe.Report) error {
	n := live[i].node
	cmd := append([]string{probe.Path, "probe", "test", "--service", name}, peers...)
	out, errOut, code, err := n.Docker().Exec(ctx, live[i].container, cmd)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit %d: %s", code, strings.TrimSpace(errOut))
	}
	if err == nil {
		err = json.Unmarshal([]byte(out), r)
	}
	if err != nil {
		err = env.NodeErr(n, docker.CheckExec(live[i].container, probe.Path, name, nil), err)
	}
	return err
}

// RetryWindow bounds how long failed pairs are tried again, with pauses of 1, 2, 4, ... s.
var RetryWindow = 20 * time.Second

// retryFailed tries every failed link of reports again (try: the tester in live[i]'s task
// against peers), all testers at once, each against only its failed peers, and puts the
// second answers in place of the first. res.Retried counts the links that passed only then;
// left is how many still fail.
func retryFailed(ctx context.Context, env *wizard.Env, live []*probeTarget, reports []probe.Report, res *CheckResult, try func(i int, peers []string, r *probe.Report) error) (left int, err error) {
	failed := make([]map[string]bool, len(live))
	var nodes []*wizard.Node
	var from []int
	for i, r := range reports {
		for _, l := range r.Links {
			if !l.OK() {
				if failed[i] == nil {
					failed[i] = map[string]bool{}
					nodes = append(nodes, live[i].node)
					from = append(from, i)
				}
				failed[i][l.Node] = true
			}
		}
	}
	if len(nodes) == 0 || ctx.Err() != nil {
		return 0, nil
	}
	again := make([]probe.Report, len(live))
	errs := prelude.EachNode(env, nodes, func(k int, _ *wizard.Node) error {
		i := from[k]
		return try(i, peerArgs(live, i, failed[i]), &again[i])
	})
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	for _, i := range from {
		for _, l := range again[i].Links {
			for j := range reports[i].Links {
				if reports[i].Links[j].Node == l.Node {
					if l.OK() {
						res.Retried++
					} else {
						left++
					}
					reports[i].Links[j] = l
				}
			}
		}
	}
	return left, nil
}

// peerArgs are live[self]'s peers as NAME=IP: every other task, or only those in only.
func peerArgs(live []*probeTarget, self int, only map[string]bool) []string {
	var out []string
	for j, t := range live {
		if j != self && (only == nil || only[t.row.Hostname]) {
			out = append(out, t.row.Hostname+"="+t.ip)
		}
	}
	return out
}

// cleanupCheck removes the probe service and network, and waits until no probe container is
// left on any node. It runs after Ctrl-C too, on a context of its own.
//
// Before a check (first), where no service was left behind, there are no containers to wait
// for: a network left alone (a check killed between the two) is removed at once.
func cleanupCheck(ctx context.Context, env *wizard.Env, st *wizard.State, mgr *wizard.Node, targets []*probeTarget, first bool) (int, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	out, err := env.Change(ctx, st, mgr, docker.CheckCleanup(false), "", "")
	if err != nil {
		return 0, err
	}
	removed, _ := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(out), "removed "))
	if first && removed == 0 {
		_, err = env.Change(ctx, st, mgr, docker.CheckCleanup(true), "", "")
		return 0, err
	}
	var nodes []*wizard.Node
	for _, t := range targets {
		if t.node != nil && t.node.Conn != nil {
			nodes = append(nodes, t.node)
		}
	}
	// The swarm's agents remove a removed service's containers a few seconds later, on their
	// own; removing them here (`docker rm --force`) leaves nothing behind now, and lets the
	// network go at once. A task still being prepared when its service went creates its
	// container after that: the manager lists the task until its node's agent has shut it
	// down, so that is waited for first (seen in CI: a probe container and the check's
	// network left on node2 after a Ctrl-C).
	stop := prelude.SayAfter(env, "wait.cleanup", nil, 30*time.Second)
	mapi := mgr.Docker()
	poll.Until(ctx, 30*time.Second, poll.Backoff{First: 200 * time.Millisecond, Max: time.Second, Factor: 1.5},
		func(ctx context.Context) (bool, error) {
			tasks, err := mapi.TasksLabelled(ctx, "swarmwiz.check")
			return err == nil && len(tasks) == 0, nil
		})
	prelude.EachNode(env, nodes, func(_ int, n *wizard.Node) error {
		api := n.Docker()
		return poll.Until(ctx, 30*time.Second, poll.Backoff{First: 200 * time.Millisecond, Max: time.Second, Factor: 1.5},
			func(ctx context.Context) (bool, error) {
				ids, err := api.Containers(ctx, "swarmwiz.check")
				for _, id := range ids {
					api.RemoveContainer(ctx, id)
				}
				return err == nil && len(ids) == 0, nil
			})
	})
	stop()
	_, err = env.Change(ctx, st, mgr, docker.CheckCleanup(true), "", "")
	return removed, err
}

// meshSupport says why the routing mesh cannot be checked on these nodes ("" when it could).
func meshSupport(ctx context.Context, env *wizard.Env, live []*probeTarget) string {
	for _, t := range live {
		out, err := env.Read(ctx, t.node, docker.MeshSupport())
		if err != nil {
			continue
		}
		switch {
		case strings.Contains(out, "iptables=false"):
			return msg("check.mesh.iptables", t.row.Hostname)
		case strings.Contains(out, "ipvs=missing"):
			return msg("check.mesh.ipvs", t.row.Hostname)
		}
	}
	return msg("check.mesh.notyet", nil)
}

// dataPathPort is the swarm's VXLAN port (4789 unless init chose another).
func dataPathPort(ctx context.Context, mgr *wizard.Node) int {
	var sw struct{ DataPathPort int }
	if err := mgr.Docker().Get(ctx, "/swarm", &sw); err != nil || sw.DataPathPort == 0 {
		return 4789
	}
	return sw.DataPathPort
}

// gossipBlocked asks, for every node whose every link failed, whether a node that works can
// reach it on 7946/tcp at all: it tells a blocked VXLAN port from a node cut off entirely.
func gossipBlocked(ctx context.Context, env *wizard.Env, res *CheckResult, live []*probeTarget) map[string]string {
	cut := diagnose.CutOff(res.Pairs)
	out := map[string]string{}
	var from *probeTarget
	for _, t := range live {
		if !cut[t.row.Hostname] {
			from = t
			break
		}
	}
	if from == nil {
		return out
	}
	for _, t := range live {
		if !cut[t.row.Hostname] || t.node == nil {
			continue
		}
		addr := t.node.Facts.Swarm.NodeAddr
		if addr == "" {
			continue
		}
		probeOut, err := env.Read(ctx, from.node, preflight.ProbeScript(addr, 7946))
		if err != nil {
			continue
		}
		for _, b := range preflight.ParseProbe(probeOut) {
			out[t.row.Hostname] = b.Why
		}
	}
	return out
}

// byHostname is live by the node table's hostnames.
func byHostname(live []*probeTarget) map[string]*probeTarget {
	out := map[string]*probeTarget{}
	for _, t := range live {
		out[t.row.Hostname] = t
	}
	return out
}

// dnsEvidence reads, for every pair that failed on DNS alone, whether the asking node's own
// docker lists the other task in the network's database (which gossip fills). It tells a
// resolver that has not caught up (listed: gossip works) from gossip that does not arrive.
// The key is "FROM→TO".
func dnsEvidence(ctx context.Context, name string, res *CheckResult, live []*probeTarget) map[string]bool {
	byName := map[string]*probeTarget{}
	for _, t := range live {
		byName[t.row.Hostname] = t
	}
	known := map[string]bool{}
	for _, p := range res.Pairs {
		from, to := byName[p.From], byName[p.To]
		if p.OK || p.DNS == "" || p.TCP != "" || p.UDP != "" || from == nil || to == nil || from.node == nil {
			continue
		}
		ips, err := from.node.Docker().NetworkTasks(ctx, name, name)
		known[p.From+"→"+p.To] = err == nil && slices.Contains(ips, to.ip)
	}
	return known
}

// diagnosePairs gives one line per failing pair (the nodes, what failed, the likely cause in a
// few words) and, once per cause, why and the fix.
func diagnosePairs(res *CheckResult, live []*probeTarget, dpp int, gossip map[string]string, agentInit map[string]bool, encrypted bool, labName string) (problems, fixes []string) {
	ev := diagnose.FromPairs(res.Pairs)
	ev.Gossip, ev.AgentInit, ev.DNSKnown = gossip, agentInit, res.dnsKnown
	byName := byHostname(live)
	seen := map[string]bool{}
	port := strconv.Itoa(dpp)
	open := func(node, port, proto string) string {
		return openFor(byName[node], port, proto)
	}
	for _, p := range res.Pairs {
		if p.OK {
			continue
		}
		key, node := ev.CauseOf(p)
		data := map[string]any{"From": p.From, "To": p.To, "Failed": failedTests(p), "Port": port + "/udp", "Node": node}
		switch key {
		case diagnose.MTU:
			data["Evidence"] = mtuEvidence(byName, p)
		case diagnose.Gossip:
			data["Why"] = gossip[node]
			data["Fix"] = strings.Join([]string{open(node, "7946", "tcp"), open(node, "7946", "udp"), open(node, port, "udp")}, "; ")
		case diagnose.Agent, diagnose.DNSLag:
			data["Fix"] = msg("check.fix.restart", map[string]string{"Node": node, "Lab": labName})
		case diagnose.VXLAN:
			data["Fix"] = open(node, port, "udp")
		case diagnose.DNS:
			data["Fix"] = open(node, "7946", "udp")
		case diagnose.Path:
			data["Fix"] = open(p.To, port, "udp") + "; " + open(p.From, port, "udp")
		}
		short, why := causeText(key, data)
		data["Cause"] = short
		problems = append(problems, msg("check.pair", data))
		if why := why(); !seen[why] {
			seen[why] = true
			fixes = append(fixes, why)
		}
	}
	if encrypted && len(problems) > 0 {
		fixes = append(fixes, msg("check.why.esp", nil))
	}
	return problems, fixes
}

// causeText is a cause's words: its short name for the pair's line, and (once the pair's
// line has them in data) why, with the fix.
func causeText(key diagnose.Cause, data map[string]any) (short string, why func() string) {
	switch key {
	case diagnose.MTU:
		return msg("check.short.mtu", data), func() string { return msg("check.why.mtu", data) }
	case diagnose.Gossip:
		return msg("check.short.gossip", data), func() string { return msg("check.why.gossip", data) }
	case diagnose.Agent:
		return msg("check.short.agent", data), func() string { return msg("check.why.agent", data) }
	case diagnose.NoDNS:
		return msg("check.short.nodns", data), func() string { return msg("check.why.nodns", data) }
	case diagnose.VXLAN:
		return msg("check.short.vxlan", data), func() string { return msg("check.why.vxlan", data) }
	case diagnose.UDP:
		return msg("check.short.udp", data), func() string { return msg("check.why.udp", data) }
	case diagnose.DNSLag:
		return msg("check.short.dnslag", data), func() string { return msg("check.why.dnslag", data) }
	case diagnose.DNS:
		return msg("check.short.dns", data), func() string { return msg("check.why.dns", data) }
	}
	return msg("check.short.path", data), func() string { return msg("check.why.path", data) }
}

// mtuEvidence is what the nodes' own facts say of the MTU on a pair's way: each end's link
// MTU where it is below the 1500 the overlay needs, or that both links say 1500 (then the
// smaller MTU is on the path between).
func mtuEvidence(byName map[string]*probeTarget, p CheckPair) string {
	var low []string
	for _, name := range []string{p.From, p.To} {
		t := byName[name]
		if t == nil || t.node == nil {
			continue
		}
		f := t.node.Facts
		iface := f.IfaceOf(t.node.Facts.Swarm.NodeAddr)
		if iface == "" {
			iface = f.IfaceOf(t.node.Host)
		}
		if mtu := f.MTU[iface]; mtu > 0 && mtu < preflight.OverlayMTU+preflight.OverlayOverhead {
			low = append(low, msg("check.evidence.link", map[string]any{"Node": name, "Iface": iface, "MTU": mtu}))
		}
	}
	data := map[string]any{"Large": probe.LargeUDP, "Links": strings.Join(low, ", "), "Need": preflight.OverlayMTU + preflight.OverlayOverhead}
	return msg("check.evidence.mtu", data)
}

func failedTests(p CheckPair) string {
	var f []string
	for _, t := range []struct{ name, err string }{
		{"TCP", p.TCP}, {msg("check.large", "TCP"), p.TCPLarge}, {"UDP", p.UDP}, {msg("check.large", "UDP"), p.UDPLarge}, {"DNS", p.DNS},
	} {
		if t.err != "" && t.err != probe.NotTried {
			f = append(f, t.name)
		}
	}
	return strings.Join(f, ", ")
}

// openFor is OpenOn for a probed node, named as the node table names it ("?" for none).
func openFor(t *probeTarget, port, proto string) string {
	if t == nil {
		return prelude.OpenOn(nil, port, proto)
	}
	return prelude.OpenOnNamed(t.row.Hostname, t.node, port, proto)
}
