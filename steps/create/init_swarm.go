package create

import (
	"context"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/steps/secrets"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// InitSwarm runs `docker swarm init` on the first manager (unless a earlier run did) and
// reads both join tokens (when there is anyone left to join), both through the daemon's API.
type InitSwarm struct{}

func (InitSwarm) Title() string { return msg("init.title", nil) }

func (InitSwarm) Skip(st *wizard.State) bool { return st.First.Member && len(st.ToJoin("")) == 0 }

func (InitSwarm) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	n := st.First
	if n.Member {
		if !env.Quiet {
			say(env, "init.already", n.Name())
		}
	} else if err := env.ChangeBy(ctx, st, n, docker.Init(st.Advertise, st.Init), msg("init.why", nil),
		msg("init.done", map[string]string{"Node": n.Name(), "Addr": st.Advertise}), func(ctx context.Context) error {
			return n.Docker().SwarmInit(ctx, st.Advertise, st.Init)
		}); err != nil {
		return err
	}
	if env.DryRun {
		st.Tokens.Manager, st.Tokens.Worker = "SWMTKN-1-manager-token", "SWMTKN-1-worker-token"
		return nil
	}
	if st.Init.Autolock && !n.Member {
		key, err := secrets.UnlockKey(ctx, n)
		if err != nil {
			return env.NodeErr(n, docker.Cmd("unlock-key", nil), err)
		}
		if err := secrets.KeepUnlockKey(env, st, n, key); err != nil {
			return err
		}
	}
	// Both tokens in one read of the daemon's API; the learner is shown the two commands.
	if err := env.ReadBy(ctx, n, docker.JoinToken("worker"), func(ctx context.Context) (err error) {
		st.Tokens.Manager, st.Tokens.Worker, err = n.Docker().JoinTokens(ctx)
		return err
	}); err != nil {
		return err
	}
	tokens := []*string{&st.Tokens.Manager, &st.Tokens.Worker}
	for i, role := range []string{"manager", "worker"} {
		env.Teach(n, docker.JoinToken(role), msg("token.why", role), *tokens[i])
	}
	if !env.Quiet {
		say(env, "init.tokens", map[string]string{"Manager": env.Mask(st.Tokens.Manager), "Worker": env.Mask(st.Tokens.Worker)})
	}
	return nil
}
