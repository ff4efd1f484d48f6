package steps

import (
	"context"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// ConfirmPlan shows the swarm about to be built and asks before anything changes.
type ConfirmPlan struct {
	Yes bool // --yes: accepted in advance
}

func (ConfirmPlan) Title() string { return msg("summary.title", nil) }

func (c ConfirmPlan) Run(_ context.Context, env *wizard.Env, st *wizard.State) error {
	type row struct{ Name, Host, Role, OS, Docker string }
	var rows []row
	for _, n := range st.Nodes {
		role := string(n.Role)
		if n == st.First {
			role = "first manager"
		}
		rows = append(rows, row{n.Name(), n.Host, role, n.Facts.OS, n.Facts.DockerVersion})
	}
	show(env, "summary", map[string]any{
		"Rows": rows, "First": st.First.Name(), "Advertise": st.Advertise,
		"Managers": st.Managers, "Quorum": docker.Quorum(st.Managers), "Tolerates": docker.Tolerates(st.Managers),
		"Workers": len(st.Nodes) - st.Managers,
	})
	if c.Yes || env.DryRun {
		return nil
	}
	if err := needTerminal(env, "--yes"); err != nil {
		return err
	}
	ok, err := env.Prompter.Confirm(msg("summary.question", nil), "", true)
	if err != nil {
		return err
	}
	if !ok {
		return failure.Usagef("%s", msg("summary.declined", nil))
	}
	return nil
}
