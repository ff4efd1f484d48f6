package prelude

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// Connect opens one SSH connection per node, all at once, before anything changes. New host
// keys are shown with their fingerprints and trusted only when the user says so; a changed
// key is refused. An unreachable node is named with the reason, and the user may fix its
// address, retry, or drop it.
type Connect struct {
	// Tolerant goes on without nodes that do not answer (status and leave work with the rest
	// of a swarm; creating one does not).
	Tolerant bool
	// Lock: the flow holds the nodes later (LockNodes); each node's lock is tried at once
	// with its facts, in the same round trips, and LockNodes takes what was found.
	Lock bool
}

func (Connect) Title() string { return Msg("connect.title", nil) }

func (c Connect) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	if err := prepareLogin(env, st); err != nil {
		return err
	}
	for {
		failed := dialAll(ctx, env, st, c.Lock)
		if ctx.Err() != nil {
			return failure.ErrInterrupted
		}
		failed, err := trustNewHosts(ctx, env, st, failed, c.Lock)
		if err != nil {
			return err
		}
		if len(failed) == 0 {
			return nil
		}
		if c.Tolerant {
			for _, n := range inOrder(st, failed) {
				data := map[string]any{"Node": n.Host, "Err": failed[n]}
				switch failureKind(failed[n]) {
				case hostKeyRefused:
					Say(env, "connect.skipped.hostkey", data)
				case loginRefused:
					Say(env, "connect.skipped.login", data)
				default:
					Say(env, "connect.skipped", data)
					st.Silent = append(st.Silent, n.Host)
				}
				DropNode(st, n)
			}
			if len(st.Nodes) == 0 {
				return errors.New(Msg("connect.none", nil))
			}
			return nil
		}
		if !env.Interactive {
			var errs []error
			for _, n := range inOrder(st, failed) {
				errs = append(errs, fmt.Errorf("%s: %w", n.Host, failed[n]))
			}
			// Off a terminal nothing can be asked: say how to go on without them.
			errs = append(errs, errors.New(Msg("connect.failed.noninteractive", nil)))
			return errors.Join(errs...)
		}
		for _, n := range inOrder(st, failed) {
			if err := resolveFailure(env, st, n, failed[n]); err != nil {
				return err
			}
		}
		if len(st.Nodes) == 0 {
			return errors.New(Msg("connect.none", nil))
		}
	}
}

// dialAll connects every node that has no connection yet, in parallel; lock: the flow locks
// them later, so each node's lock is tried along with its facts (readAhead).
func dialAll(ctx context.Context, env *wizard.Env, st *wizard.State, lock bool) map[*wizard.Node]error {
	var todo []*wizard.Node
	for _, n := range st.Nodes {
		if n.Conn == nil {
			todo = append(todo, n)
		}
	}
	rep := progress.Start(env.Progress(), Msg("connect.progress", nil), len(todo))
	jumps, holder := jumpSlots{}, lockHolder(env)
	errs := EachRead(env, todo, func(_ int, n *wizard.Node) error {
		t, err := DialTarget(st, n)
		if err != nil {
			rep.Item(n.Host, err, "")
			return err
		}
		release := jumps.take(t.Jump)
		conn, err := env.Dial(ctx, t)
		release()
		if err == nil {
			n.Conn = conn
		}
		var unknown *remote.UnknownHostError
		if !errors.As(err, &unknown) {
			rep.Item(n.Host, err, "")
		}
		// Reading (it changes nothing) starts at once on this node, without waiting for the
		// slowest node's connection; ReadFacts reports it.
		if err == nil && readsAhead(env, st, n) {
			readAhead(ctx, env, n, lock && !env.DryRun, holder)
		}
		return err
	})
	rep.Stop()
	failed := map[*wizard.Node]error{}
	for i, err := range errs {
		if err != nil {
			failed[todo[i]] = err
		}
	}
	return failed
}

// readAhead reads n's facts the moment its connection is open (ReadFacts reports them), and,
// with lock, tries its lock at the same time (a dry run changes nothing, so holds nothing):
// the swarm state is read again once n is locked, after the facts, so it is what a run that
// held n before left.
func readAhead(ctx context.Context, env *wizard.Env, n *wizard.Node, lock bool, holder string) {
	if _, ok := n.Conn.(remote.Starter); !ok {
		lock = false // nothing to hold a lock with: LockNodes passes it by too
	}
	var l lockState
	done := make(chan struct{})
	go func() {
		defer close(done)
		if lock {
			l, l.Err = lockNode(ctx, n, holder, 0)
		}
	}()
	n.ReadAheadErr, n.ReadAhead = readNode(ctx, env, n), true
	<-done
	if !lock {
		return
	}
	if l.Err == nil && l.Got {
		readSwarmUnderLock(ctx, n)
	}
	n.Lock = &l
}

// JumpHandshakes bounds how many connections go through one jump host (ProxyJump) at once:
// every one of them is a login to that host's sshd, which by default (OpenSSH's MaxStartups
// 10:30:100) starts dropping new connections beyond ten not yet logged in.
const JumpHandshakes = 10

// jumpSlots are the connections under way through each jump host, at most JumpHandshakes.
type jumpSlots struct {
	mu    sync.Mutex
	slots map[string]chan struct{}
}

// take waits for a slot on the first jump host of a connection (none: nothing to wait for)
// and returns what gives it back.
func (j *jumpSlots) take(jump *remote.Target) (release func()) {
	if jump == nil {
		return func() {}
	}
	for jump.Jump != nil {
		jump = jump.Jump // the first hop is the one every connection logs in to directly
	}
	j.mu.Lock()
	if j.slots == nil {
		j.slots = map[string]chan struct{}{}
	}
	key := jump.User + "@" + jump.Addr()
	slot, ok := j.slots[key]
	if !ok {
		slot = make(chan struct{}, JumpHandshakes)
		j.slots[key] = slot
	}
	j.mu.Unlock()
	slot <- struct{}{}
	return func() { <-slot }
}

// DialTarget is how to reach n: what the node says, then ssh_config for its name (alias,
// HostName, User, Port, IdentityFile, ProxyJump), then the run's defaults.
func DialTarget(st *wizard.State, n *wizard.Node) (remote.Target, error) {
	t := remote.Target{Host: n.Host, Port: n.Port, User: n.User, KnownHostsFile: st.SSH.KnownHosts,
		Timeout: st.SSH.Timeout, Auth: st.Login}
	t, err := st.Config.Apply(t)
	if err != nil {
		return t, err
	}
	for hop := &t; hop != nil; hop = hop.Jump {
		if hop.User == "" {
			hop.User = st.SSH.User
		}
		if hop.Port == 0 && hop == &t {
			hop.Port = st.SSH.Port
		}
	}
	return t, nil
}

// prepareLogin makes the run's shared login once: agent, keys, and prompts for a key's
// passphrase or a password where a terminal can answer them. Prompts from nodes dialled
// in parallel are asked one at a time.
func prepareLogin(env *wizard.Env, st *wizard.State) error {
	if st.Login != nil {
		return nil
	}
	if st.SSH.KnownHosts == "" {
		home, _ := os.UserHomeDir()
		st.SSH.KnownHosts = filepath.Join(home, ".ssh", "known_hosts")
	}
	cfg, err := remote.LoadSSHConfig(st.SSH.ConfigFile)
	if err != nil {
		return failure.Usagef("--ssh-config: %v", err)
	}
	st.Config = cfg
	st.Login = &remote.Auth{Agent: true, KeyFiles: st.SSH.KeyFiles}
	if env.Interactive {
		var mu sync.Mutex
		st.Login.AskPassphrase = func(file string) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			return env.Prompter.Password(Msg("ssh.passphrase", file), "")
		}
		st.Login.AskPassword = func(userAtHost string) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			return env.Prompter.Password(Msg("ssh.password", userAtHost), Msg("ssh.password.help", nil))
		}
		st.Login.AskPrompt = func(userAtHost, question string, echo bool) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			q := Msg("ssh.kbdint.prompt", map[string]string{"Host": userAtHost, "Question": question})
			if echo {
				return env.Prompter.Input(q, "", "", nil)
			}
			return env.Prompter.Password(q, "")
		}
	}
	return nil
}

// trustNewHosts shows every unknown host key at once and asks once; the accepted ones are
// written to known_hosts and dialled again. It returns the failures that remain.
func trustNewHosts(ctx context.Context, env *wizard.Env, st *wizard.State, failed map[*wizard.Node]error, lock bool) (map[*wizard.Node]error, error) {
	var unknown []*remote.UnknownHostError
	for _, err := range failed {
		var u *remote.UnknownHostError
		if errors.As(err, &u) {
			unknown = append(unknown, u)
		}
	}
	if len(unknown) == 0 {
		return failed, nil
	}
	env.Println(NewHostKeysText(unknown, st.SSH.KnownHosts))
	if !env.Interactive {
		return failed, failure.Usagef("%s", Msg("connect.unknown.noninteractive", map[string]any{"File": st.SSH.KnownHosts, "Scans": keyscans(unknown, st.SSH.KnownHosts)}))
	}
	ok, err := env.Prompter.Confirm(Msg("connect.unknown.question", len(unknown)), Msg("connect.unknown.help", nil), false)
	if err != nil {
		return failed, err
	}
	if !ok {
		return failed, nil
	}
	for _, u := range unknown {
		if err := remote.Trust(st.SSH.KnownHosts, u.Host, u.Key); err != nil {
			return failed, err
		}
	}
	return dialAll(ctx, env, st, lock), nil
}

// resolveFailure asks what to do about a node that could not be reached.
func resolveFailure(env *wizard.Env, st *wizard.State, n *wizard.Node, err error) error {
	Say(env, "connect.failed", map[string]any{"Node": n.Host, "Err": err})
	options := []string{Msg("connect.option.retry", nil), Msg("connect.option.edit", nil), Msg("connect.option.drop", nil), Msg("connect.option.quit", nil)}
	question := Msg("connect.question", n.Host)
	switch failureKind(err) {
	case hostKeyRefused:
		// Retrying a refused key cannot help; the user must check the machine first.
		options = options[2:]
		question = Msg("connect.question.hostkey", n.Host)
	case loginRefused:
		question = Msg("connect.question.login", n.Host)
	}
	i, perr := env.Prompter.Select(question, "", options, options[0])
	if perr != nil {
		return perr
	}
	switch options[i] {
	case Msg("connect.option.edit", nil):
		text, perr := env.Prompter.Input(Msg("connect.edit.question", nil), "", n.Host, func(s string) error {
			_, err := ParseHost(s)
			return err
		})
		if perr != nil {
			return perr
		}
		fixed, _ := ParseHost(text)
		n.Host, n.Port = fixed.Host, fixed.Port
		if fixed.User != "" {
			n.User = fixed.User
		}
	case Msg("connect.option.drop", nil):
		DropNode(st, n)
	case Msg("connect.option.quit", nil):
		return err
	}
	return nil
}

// Why a node could not be connected to: the catalog has a sentence for each.
const (
	unreachable = iota
	hostKeyRefused
	loginRefused
)

// failureKind tells a refusal over the host key or the login (the host answered) from a host
// that cannot be reached.
func failureKind(err error) int {
	var wrong *remote.WrongSecretError
	var refused *remote.LoginRefusedError
	var person *remote.NeedsPersonError
	switch {
	case remote.IsHostKeyError(err):
		return hostKeyRefused
	case errors.As(err, &wrong) || errors.As(err, &refused) || errors.As(err, &person):
		return loginRefused
	}
	return unreachable
}

func DropNode(st *wizard.State, n *wizard.Node) {
	for i, m := range st.Nodes {
		if m == n {
			st.Nodes = append(st.Nodes[:i], st.Nodes[i+1:]...)
			return
		}
	}
}

// inOrder lists the failed nodes in the order the user gave them.
func inOrder(st *wizard.State, failed map[*wizard.Node]error) []*wizard.Node {
	var out []*wizard.Node
	for _, n := range st.Nodes {
		if _, ok := failed[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// keyscans are the ssh-keyscan commands that fetch the unknown hosts' keys into file, with
// the port where it is not 22 (known_hosts names such a host [HOST]:PORT, and a keyscan
// without -p asks port 22, where nothing may answer).
func keyscans(unknown []*remote.UnknownHostError, file string) []string {
	var out []string
	for _, u := range unknown {
		host, port := u.Host, ""
		if h, p, err := net.SplitHostPort(u.Host); err == nil && strings.HasPrefix(u.Host, "[") {
			host, port = h, p
		}
		cmd := "ssh-keyscan "
		if port != "" && port != "22" {
			cmd += "-p " + templates.Quote(port) + " "
		}
		out = append(out, cmd+templates.Quote(host)+" >> "+templates.Quote(file))
	}
	return out
}
