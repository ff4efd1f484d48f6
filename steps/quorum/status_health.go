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
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// statusVerdict is status's verdict on a node list: nil when healthy. silent are the rows
// docker lists Ready whose node does not answer over SSH (see SilentRows): degraded too, as
// are the nodes in gossipBlocked, whose 7946/udp the others' gossip does not reach
// (ReadSwarmGossip).
func statusVerdict(rows []docker.Node, h prelude.HealthInfo, silent []docker.Node, gossipBlocked []string) *failure.StatusError {
	if h.Managers > 0 && !h.OK() {
		return &failure.StatusError{Code: failure.ExitQuorumLost, Msg: msg("status.quorumlost", h)}
	}
	var down []string
	for _, r := range rows {
		if r.Status != "Ready" || r.IsManager() && !r.ManagerUp() || slices.ContainsFunc(silent, func(s docker.Node) bool { return s.ID == r.ID && s.Hostname == r.Hostname }) {
			down = append(down, r.Hostname)
		}
	}
	if len(down) > 0 {
		return &failure.StatusError{Code: failure.ExitDegraded, Msg: msg("status.degraded", map[string]any{"Down": down, "Health": h})}
	}
	if len(gossipBlocked) > 0 {
		return &failure.StatusError{Code: failure.ExitDegraded, Msg: msg("status.degraded.gossip", map[string]any{"Nodes": gossipBlocked, "Health": h})}
	}
	return nil
}

// managerSeen is a manager as the nodes' own facts know it when no manager can list the
// swarm: its address, and whether its docker answers.
type managerSeen struct {
	Name    string `json:"hostname"`
	Addr    string `json:"address"`
	Answers bool   `json:"answers"`
}

// leaderless reads, from the facts of the nodes that answered, the managers of a swarm that
// has no leader: every node knows the managers' addresses, and a manager that answers says so.
// ok is false when no connected node is a manager at all (nothing to say about quorum).
func leaderless(st *wizard.State) (managers []managerSeen, ok bool) {
	byAddr := map[string]*wizard.Node{}
	for _, n := range st.Nodes {
		if n.Conn != nil && n.Facts.Swarm.NodeAddr != "" {
			byAddr[n.Facts.Swarm.NodeAddr] = n
		}
		ok = ok || n.Conn != nil && n.Facts.Swarm.ControlAvailable
	}
	seen := map[string]bool{}
	for _, n := range st.Nodes {
		for _, m := range n.Facts.Swarm.RemoteManagers {
			host, _, _ := strings.Cut(m.Addr, ":")
			if seen[host] {
				continue
			}
			seen[host] = true
			ms := managerSeen{Name: "?", Addr: host}
			if k := byAddr[host]; k != nil {
				ms.Name, ms.Answers = k.Facts.Hostname, k.Facts.Swarm.ControlAvailable && k.Facts.DockerAnswers()
			}
			managers = append(managers, ms)
		}
	}
	return managers, ok
}

// showLeaderless is status when no manager can list the swarm: which managers answer, what a
// lost quorum means, the managers' own error, and the way out; JSON too.
func showLeaderless(env *wizard.Env, st *wizard.State, cause error) error {
	managers, ok := leaderless(st)
	if !ok {
		return cause
	}
	h := prelude.HealthInfo{Managers: len(managers)}
	var rows [][]string
	for _, m := range managers {
		answers := msg("status.answers.no", nil)
		if m.Answers {
			h.Reachable++
			answers = msg("status.answers.yes", nil)
		}
		rows = append(rows, []string{m.Name, m.Addr, answers})
	}
	h.Quorum, h.Tolerates = docker.Quorum(h.Managers), docker.Tolerates(h.Managers)
	verdict, why := leaderlessVerdict(h)
	if env.JSON != nil {
		if err := writeStatusJSON(env, st, nil, h, managers, &leaderlessError{why: why, docker: cause}, verdict, nil); err != nil {
			return err
		}
		return verdict
	}
	env.Println(ManagersSeenText(rows) + "\n")
	say(env, "status.noleader", map[string]any{"Why": why, "Err": cause.Error()})
	say(env, "status.quorumlost.explain", map[string]any{"Health": h, "Lab": st.LabName})
	return verdict
}

// leaderlessVerdict is the verdict, and its reason in swarmwiz's words, when no manager lists
// the swarm. It rests on which managers answer (the nodes' facts), never on how docker worded
// its refusal: a manager without a majority may answer "does not have a leader" or let the
// request time out, and both mean the same here.
func leaderlessVerdict(h prelude.HealthInfo) (*failure.StatusError, string) {
	if h.OK() {
		// Enough managers answer but none lists the swarm: an election under way.
		return &failure.StatusError{Code: failure.ExitDegraded, Msg: msg("status.electing", nil)}, msg("status.electing", nil)
	}
	return &failure.StatusError{Code: failure.ExitQuorumLost, Msg: msg("status.quorumlost", h)}, msg("status.noleader.why", h)
}

// leaderlessError is why no manager listed the swarm: swarmwiz's reason, with the managers'
// own error kept beside it (JSON's "dockerError").
type leaderlessError struct {
	why    string
	docker error
}

func (e *leaderlessError) Error() string { return e.why }

func (e *leaderlessError) Unwrap() error { return e.docker }

// watchInterval is how often `status --watch` reads the swarm.
var watchInterval = 2 * time.Second

// watch redraws the node table and quorum line until ctx ends (Ctrl-C: exit 0). On a
// terminal the screen is redrawn in place; off one, one line per change.
func watch(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	var last map[string]string
	var lastHealth string // the health line last said; with no leader, its kind (one event)
	var good *wizard.Node // the manager that answered last: asked first next time
	for {
		// The manager that answered last is asked first; one that stopped answering costs one
		// timeout, then the next answers.
		rows, order, err := watchList(ctx, env, st, &good)
		if ctx.Err() != nil {
			return nil
		}
		now := time.Now().Format("15:04:05")
		state := map[string]string{}
		health, key := "", ""
		if err != nil {
			// No manager lists the swarm: one event, from which managers' docker answer, not
			// every node "no longer listed" (the nodes are as they were, only unseen), and
			// not again when one more manager's docker answers.
			var lost bool
			health, lost = leaderlessLine(ctx, order, managersIn(last))
			key, state = fmt.Sprint("leaderless ", lost), last
		} else {
			h := prelude.Health(rows)
			health = msg("quorum.health", h)
			key = health
			for _, r := range rows {
				state[r.Hostname] = strings.TrimSpace(r.Status + " " + r.ManagerStatus)
			}
		}
		switch {
		case env.Interactive:
			// Home, clear, then the table: one screen, redrawn in place.
			fmt.Fprint(env.Out, "\033[H\033[2J")
			if err == nil {
				env.Println(NodeTableText(rows) + "\n")
			}
			env.Println(health)
			say(env, "status.watch.footer", now)
		default:
			for _, line := range watchChanges(last, state) {
				env.Println(now + " " + line)
			}
			if key != lastHealth {
				env.Println(now + " " + health)
			}
		}
		last, lastHealth = state, key
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(watchInterval):
		}
	}
}

// watchList lists the swarm on the first manager that answers, *good (the one that answered
// last) first, and makes it *good; order is the managers in the order asked.
func watchList(ctx context.Context, env *wizard.Env, st *wizard.State, good **wizard.Node) (rows []docker.Node, order []*wizard.Node, err error) {
	err = errors.New(msg("nodes.nomanager", nil))
	order = prelude.ManagersFirst(st)
	if g := *good; g != nil {
		order = append([]*wizard.Node{g}, slices.DeleteFunc(order, func(n *wizard.Node) bool { return n == g })...)
	}
	for _, n := range order {
		if rows, err = prelude.ListOn(ctx, env, n); err == nil {
			*good = n
			break
		}
	}
	return rows, order, err
}

// managersIn is how many managers the last reading listed (0: none read yet).
func managersIn(state map[string]string) int {
	n := 0
	for _, s := range state {
		if strings.Contains(s, "Leader") || strings.Contains(s, "Reachable") || strings.Contains(s, "Unreachable") {
			n++
		}
	}
	return n
}

// leaderlessLine is --watch's one line when no manager lists the swarm: how many of the
// managers (known: how many the last reading listed) answer as managers, and whether that
// is a lost quorum.
func leaderlessLine(ctx context.Context, nodes []*wizard.Node, known int) (line string, quorumLost bool) {
	answer, managers := 0, 0
	for _, n := range nodes {
		if n.Facts.Swarm.ControlAvailable || n.Role == wizard.Manager {
			managers++
		}
		if n.Conn == nil {
			continue
		}
		// A manager (as its facts said) whose daemon answers at all: /info would wait on
		// Raft, which has no leader to answer.
		ictx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if n.Facts.Swarm.ControlAvailable && n.Docker().Get(ictx, "/_ping", nil) == nil {
			answer++
		}
		cancel()
	}
	if known == 0 {
		known = managers // no reading yet: the managers the nodes' facts name
	}
	return watchLeaderless(answer, known), answer < docker.Quorum(known)
}

// watchLeaderless says, for answer of m managers answering, whether the quorum is lost or an
// election is probably under way.
func watchLeaderless(answer, m int) string {
	data := map[string]int{"Answer": answer, "Managers": m}
	if answer >= docker.Quorum(m) {
		return msg("status.watch.electing", data)
	}
	return msg("status.watch.quorumlost", data)
}

// watchChanges says what changed between two readings of the node list: a node's status or
// manager status, a node that appeared or went from the list.
func watchChanges(before, after map[string]string) []string {
	var out []string
	for name, now := range after {
		if was, ok := before[name]; !ok || was != now {
			out = append(out, msg("status.watch.node", map[string]string{"Node": name, "State": now}))
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			out = append(out, msg("status.watch.gone", name))
		}
	}
	slices.Sort(out)
	return out
}

// ManagersSeenText is the table of managers when none can list the swarm: name, address,
// whether its docker answers.
func ManagersSeenText(rows [][]string) string { return prelude.Text("managers-seen", rows) }
