package prelude

import (
	"context"
	"errors"
	"fmt"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// SudoAccess finds out, for a user who is not root, how docker may be run on each node:
// directly (the docker group), with passwordless sudo, or with sudo and a password. The
// password is asked once, tried on each node, and asked again where it is refused (at most
// 3 times); it reaches sudo on its stdin only.
type SudoAccess struct{}

func (SudoAccess) Title() string { return Msg("sudo.title", nil) }

func (SudoAccess) Skip(st *wizard.State) bool {
	for _, n := range st.Nodes {
		if !asRoot(st, n) {
			return false
		}
	}
	return true
}

// asRoot says whether the run logs in to n as root: its own user, else the run's.
func asRoot(st *wizard.State, n *wizard.Node) bool {
	if n.User != "" {
		return n.User == "root"
	}
	return st.SSH.User == "root"
}

func (SudoAccess) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	password := ""
	for _, n := range st.Nodes {
		inner, ok := n.Conn.(remote.InputRunner)
		if !ok {
			continue // root, or a runner that needs no sudo
		}
		mode, err := remote.SudoMode(ctx, inner)
		if err != nil {
			user := st.SSH.User
			if n.User != "" {
				user = n.User
			}
			if mode == "requiretty" {
				err = errors.New(Msg("sudo.requiretty.fix", map[string]string{"Node": n.Host, "User": user}))
			}
			return &failure.NodeError{Node: n.Name(), Err: err}
		}
		switch mode {
		case "sudo-n":
			n.Conn = &remote.Sudo{Inner: inner}
		case "sudo-tty":
			n.Conn = &remote.Sudo{Inner: inner, TTY: true}
		case "sudo-password":
			if password, err = sudoPassword(ctx, env, n, inner, password); err != nil {
				return err
			}
			n.Conn = &remote.Sudo{Inner: inner, Password: password}
		}
		if mode != "direct" && !env.Quiet {
			Say(env, "sudo.using", map[string]string{"Node": n.Host, "Mode": mode})
		}
	}
	return nil
}

// sudoPassword returns a password sudo accepts on n: the one that worked elsewhere, else
// asked for, at most remote.MaxTries times.
func sudoPassword(ctx context.Context, env *wizard.Env, n *wizard.Node, r remote.InputRunner, known string) (string, error) {
	if known != "" && remote.CheckSudoPassword(ctx, r, known) == nil {
		return known, nil
	}
	if !env.Interactive {
		return "", failure.Usagef("%s", Msg("sudo.noterminal", n.Host))
	}
	for try := 0; try < remote.MaxTries; try++ {
		p, err := env.Prompter.Password(Msg("sudo.question", n.Host), Msg("sudo.help", nil))
		if err != nil {
			return "", err
		}
		err = remote.CheckSudoPassword(ctx, r, p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, remote.ErrWrongSudoPassword) {
			return "", &failure.NodeError{Node: n.Host, Err: err}
		}
		env.Println(Msg("sudo.wrong", nil))
	}
	return "", &failure.NodeError{Node: n.Host, Err: fmt.Errorf("%s", Msg("sudo.wrong.final", remote.MaxTries))}
}
