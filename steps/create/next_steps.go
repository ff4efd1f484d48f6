package create

import (
	"context"

	"github.com/swarmwiz/swarmwiz/internal/probe"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// NextSteps ends create: the swarm is ready, and what to try with it. It comes after the
// offer to check the swarm, so "ready" is never said before a check that may fail.
type NextSteps struct{}

func (NextSteps) Title() string { return msg("next.title", nil) }

// SkipIn: nothing to say in a dry run, with --quiet (the result line said it), or when the
// swarm was taken down.
func (NextSteps) SkipIn(env *wizard.Env, st *wizard.State) bool {
	return env.DryRun || env.Quiet || st.SwarmEnded
}

func (NextSteps) Run(_ context.Context, env *wizard.Env, st *wizard.State) error {
	env.Println(NextStepsText(len(st.ByRole(wizard.Manager)), st.LabName, probe.Ref(env.Version)))
	if env.Interactive {
		say(env, "rotate.remind", st.LabName)
	}
	return nil
}
