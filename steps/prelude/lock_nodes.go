package prelude

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// LockNodes holds every node this run may change until the run ends: one hand on a swarm at a
// time. Two runs on the same nodes (two learners sharing VMs, a re-run in a second terminal)
// would otherwise read each other's work half-done and "fix" it. The lock is a session on each
// node holding flock on a file (remote.Starter); it ends with this process, however it ends.
// Taken at once on every node when nobody holds any; otherwise one node after another in a
// fixed order, waiting up to --lock-wait for each holder, so two runs cannot deadlock.
// Each node's swarm state is read again under its lock, in the same round trip, so what a run
// that held it before changed is what this run plans from. It prints nothing unless it has to
// wait, and has no step number.
type LockNodes struct{}

func (LockNodes) Title() string { return "" }

func (LockNodes) Untitled() bool { return true }

// lockState is what a node's lock script said.
type lockState = wizard.NodeLock

func (LockNodes) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	if env.DryRun {
		return nil // it changes nothing, so it holds nothing (and leaves no lock file)
	}
	var nodes []*wizard.Node
	for _, n := range st.Nodes {
		if _, ok := n.Conn.(remote.Starter); ok {
			nodes = append(nodes, n)
		}
	}
	sort.Slice(nodes, func(i, j int) bool { return nodeKey(nodes[i]) < nodeKey(nodes[j]) })
	holder := lockHolder(env)
	// At once, without waiting: the usual case, one round trip.
	states := make([]lockState, len(nodes))
	errs := EachRead(env, nodes, func(i int, n *wizard.Node) (err error) {
		if n.Lock != nil { // tried already, with the facts
			states[i], err, n.Lock = *n.Lock, n.Lock.Err, nil
			return err
		}
		states[i], err = lockNode(ctx, n, holder, 0)
		if err == nil && states[i].Got {
			readSwarmUnderLock(ctx, n)
		}
		return err
	})
	busy := false
	for i, s := range states {
		busy = busy || (errs[i] == nil && !s.Got && !s.None)
	}
	if err := firstError(nodes, errs); err != nil || !busy {
		if err != nil {
			releaseAll(states)
		}
		return err
	}
	// Someone holds some of them: let go of all, then one by one in order, waiting.
	releaseAll(states)
	deadline := time.Now().Add(env.LockWait)
	for i, n := range nodes {
		wait := max(0, time.Until(deadline))
		s, err := lockNode(ctx, n, holder, wait, func(who string) {
			Say(env, "lock.waiting", map[string]any{"Node": n.Name(), "Holder": readHolder(who), "Wait": wait.Round(time.Second)})
		})
		states[i] = s
		if err != nil {
			releaseAll(states)
			return env.NodeErr(n, "flock /tmp/swarmwiz-MACHINE-ID-HOSTNAME.lock", err)
		}
		if s.Got {
			readSwarmUnderLock(ctx, n)
		}
		if !s.Got && !s.None {
			releaseAll(states)
			return &failure.BusyError{Msg: Msg("lock.busy", map[string]any{"Node": n.Name(), "Holder": readHolder(s.Holder), "Wait": env.LockWait})}
		}
	}
	return nil
}

// readSwarmUnderLock reads n's swarm state again once n is locked, from its daemon's API over
// the connection the facts opened (one round trip, where the docker client costs a node a
// fraction of a second of CPU): what a run that held the node before changed is seen. A
// daemon that does not answer leaves the state as the facts read it.
func readSwarmUnderLock(ctx context.Context, n *wizard.Node) {
	var f facts.Facts
	if facts.ReadAPI(ctx, n.Docker(), &f) == nil {
		n.Facts.Swarm = f.Swarm
	}
}

// nodeKey orders nodes the same way in every run, however each run names them (an address
// in one, a host name in another): by the machine's own id and hostname, as its lock file is.
func nodeKey(n *wizard.Node) string {
	return fmt.Sprintf("%s-%s-%s:%05d", n.Facts.MachineID, n.Facts.Hostname, n.Host, n.Port)
}

// lockNode runs the lock script on n, waiting up to wait for a holder; busy, when given, is
// told who holds it as soon as the script says.
func lockNode(ctx context.Context, n *wizard.Node, holder string, wait time.Duration, busy ...func(who string)) (lockState, error) {
	script, err := facts.LockScript(wait, holder)
	if err != nil {
		return lockState{}, err
	}
	h, err := n.Conn.(remote.Starter).Start(ctx, script, "")
	if err != nil {
		return lockState{}, err
	}
	s := lockState{Held: h}
	for {
		line, err := readLine(ctx, h)
		if err != nil {
			h.Release()
			return lockState{}, err
		}
		switch {
		case line == "locked":
			s.Got = true
		case line == "ready":
			return s, nil
		case line == "noflock":
			h.Release()
			return lockState{None: true}, nil
		case line == "timeout":
			h.Release()
			s.Held = nil
			return s, nil
		case strings.HasPrefix(line, "busy"):
			s.Holder = strings.TrimSpace(strings.TrimPrefix(line, "busy"))
			for _, f := range busy {
				f(s.Holder)
			}
		}
	}
}

// readLine is the lock script's next line, or ctx's end.
func readLine(ctx context.Context, h *remote.Held) (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := h.Out.ReadString('\n')
		ch <- result{strings.TrimSpace(line), err}
	}()
	select {
	case r := <-ch:
		if r.err != nil && r.line == "" {
			return "", r.err
		}
		return r.line, nil
	case <-ctx.Done():
		h.Release()
		return "", ctx.Err()
	}
}

func releaseAll(states []lockState) {
	for i := range states {
		if states[i].Held != nil {
			states[i].Held.Release()
			states[i] = lockState{}
		}
	}
}

// firstError is the first node's error, named by the node.
func firstError(nodes []*wizard.Node, errs []error) error {
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("%s: %w", nodes[i].Name(), err)
		}
	}
	return nil
}

// lockHolder is what this run writes beside the lock for another run to read: who runs it
// and where, since when (Unix seconds) and which command, separated by "|". No secret.
func lockHolder(env *wizard.Env) string {
	who := "?"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	host, _ := os.Hostname()
	command := env.Command
	if command == "" {
		command = "swarmwiz"
	}
	return fmt.Sprintf("%s@%s|%d|%s|%d", who, host, time.Now().Unix(), command, os.Getpid())
}

// readHolder turns what a holder wrote into the words of the catalog.
func readHolder(s string) string {
	f := strings.Split(s, "|")
	if len(f) != 4 {
		if s == "" {
			return Msg("lock.holder.unknown", nil)
		}
		return s
	}
	since := f[1]
	if sec, err := strconv.ParseInt(f[1], 10, 64); err == nil {
		since = time.Unix(sec, 0).Format("15:04:05")
	}
	return Msg("lock.holder", map[string]any{"Who": f[0], "Since": since, "Command": f[2], "PID": f[3]})
}
