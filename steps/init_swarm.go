package steps

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// InitSwarm runs `docker swarm init` on the first manager (unless a earlier run did) and
// reads both join tokens (when there is anyone left to join).
type InitSwarm struct{}

func (InitSwarm) Title() string { return msg("init.title", nil) }

func (InitSwarm) Skip(st *wizard.State) bool { return st.First.Member && len(st.ToJoin("")) == 0 }

func (InitSwarm) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	n := st.First
	if n.Member {
		if !env.Quiet {
			say(env, "init.already", n.Name())
		}
	} else if _, err := env.Change(ctx, st, n, docker.Init(st.Advertise, st.Init), msg("init.why", nil),
		msg("init.done", map[string]string{"Node": n.Name(), "Addr": st.Advertise})); err != nil {
		return err
	}
	if env.DryRun {
		st.Tokens.Manager, st.Tokens.Worker = "SWMTKN-1-manager-token", "SWMTKN-1-worker-token"
		return nil
	}
	if st.Init.Autolock && !n.Member {
		key, err := unlockKey(ctx, n)
		if err != nil {
			return env.NodeErr(n, docker.Cmd("unlock-key", nil), err)
		}
		if err := keepUnlockKey(env, st, n, key); err != nil {
			return err
		}
	}
	// Both tokens at once: two sessions on the one connection.
	tokens := []*string{&st.Tokens.Manager, &st.Tokens.Worker}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, role := range []string{"manager", "worker"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := env.Read(ctx, n, docker.JoinToken(role))
			*tokens[i], errs[i] = strings.TrimSpace(out), err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, role := range []string{"manager", "worker"} {
		env.Teach(n, docker.JoinToken(role), msg("token.why", role), *tokens[i])
	}
	if !env.Quiet {
		say(env, "init.tokens", map[string]string{"Manager": env.Mask(st.Tokens.Manager), "Worker": env.Mask(st.Tokens.Worker)})
	}
	return nil
}
