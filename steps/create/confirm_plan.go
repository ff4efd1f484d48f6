package create

import (
	"context"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/plan"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// ConfirmPlan shows the swarm about to be built, asks before anything changes, and offers
// to save the plan for replaying.
type ConfirmPlan struct {
	Yes      bool   // --yes: accepted in advance
	SavePlan string // --save-plan: where to write the plan
}

func (ConfirmPlan) Title() string { return msg("summary.title", nil) }

func (c ConfirmPlan) Run(_ context.Context, env *wizard.Env, st *wizard.State) error {
	// Quiet shows the summary only where a person must confirm it.
	if !env.Quiet || !c.Yes && env.Interactive {
		env.Println(SummaryText(st))
	}
	if st.First.Member && len(st.ToJoin("")) == 0 && len(roleChanges(st)) == 0 {
		say(env, "nothing.todo", nil)
		return nil
	}
	if !c.Yes && !env.DryRun {
		if err := prelude.NeedTerminal(env, "--yes"); err != nil {
			return err
		}
		ok, err := env.Prompter.Confirm(msg("summary.question", nil), "", true)
		if err != nil {
			return err
		}
		if !ok {
			return failure.Usagef("%s", msg("summary.declined", nil))
		}
	}
	return c.save(env, st)
}

func (c ConfirmPlan) save(env *wizard.Env, st *wizard.State) error {
	path := c.SavePlan
	if path == "" && env.Interactive && !c.Yes {
		ok, err := env.Prompter.Confirm(msg("plan.save.question", nil), "", false)
		if err != nil || !ok {
			return err
		}
		if path, err = env.Prompter.Input(msg("plan.save.path", nil), "", "swarmwiz-plan.yaml", nil); err != nil {
			return err
		}
	}
	if path == "" {
		return nil
	}
	if err := plan.Save(ToPlan(st), path); err != nil {
		return err
	}
	say(env, "plan.saved", path)
	return nil
}
