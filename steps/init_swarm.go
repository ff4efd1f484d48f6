package steps

import (
	"context"
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// InitSwarm runs `docker swarm init` on the first manager and reads both join tokens.
type InitSwarm struct{}

func (InitSwarm) Title() string { return msg("init.title", nil) }

func (InitSwarm) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	n := st.First
	if _, err := env.Change(ctx, st, n, docker.Init(st.Advertise), msg("init.why", nil),
		msg("init.done", map[string]string{"Node": n.Name(), "Addr": st.Advertise})); err != nil {
		return err
	}
	if env.DryRun {
		st.Tokens.Manager, st.Tokens.Worker = "SWMTKN-1-manager-token", "SWMTKN-1-worker-token"
		return nil
	}
	for _, role := range []string{"manager", "worker"} {
		if env.Explain {
			env.Change(ctx, st, n, docker.JoinToken(role), msg("token.why", role), "")
		}
		out, err := env.Read(ctx, n, docker.JoinToken(role))
		if err != nil {
			return err
		}
		if role == "manager" {
			st.Tokens.Manager = strings.TrimSpace(out)
		} else {
			st.Tokens.Worker = strings.TrimSpace(out)
		}
	}
	if !env.Quiet {
		say(env, "init.tokens", map[string]string{"Manager": env.Mask(st.Tokens.Manager), "Worker": env.Mask(st.Tokens.Worker)})
	}
	return nil
}
