package create

import (
	"context"
	"fmt"

	"github.com/swarmwiz/swarmwiz/wizard"
)

// ChooseManagers picks which other nodes are managers; the rest are workers.
type ChooseManagers struct{}

func (ChooseManagers) Title() string { return msg("managers.title", nil) }

func (ChooseManagers) Run(_ context.Context, env *wizard.Env, st *wizard.State) error {
	var others []*wizard.Node
	for _, n := range st.Nodes {
		if n != st.First {
			others = append(others, n)
		}
	}
	want := st.Managers - 1
	chosen := 0
	for _, n := range others {
		if n.Role == wizard.Manager {
			chosen++
		}
	}
	if chosen == want {
		// Managers given by flag or plan: everyone else is a worker.
		for _, n := range others {
			if n.Role != wizard.Manager {
				n.Role = wizard.Worker
			}
		}
		return nil
	}
	pick := make([]bool, len(others))
	if want > 0 && env.Interactive {
		options := make([]string, len(others))
		for i, n := range others {
			options[i] = fmt.Sprintf("%s (%s)", n.Name(), n.Host)
		}
		idx, err := env.Prompter.MultiSelect(msg("managers.question", want), msg("managers.help", nil), options, options[:want], func(idx []int) error {
			if len(idx) != want {
				return fmt.Errorf("%s", msg("managers.count", map[string]int{"Want": want, "Got": len(idx)}))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, i := range idx {
			pick[i] = true
		}
	} else {
		// Off a terminal: the first nodes listed after the first manager.
		for i := 0; i < want; i++ {
			pick[i] = true
		}
	}
	for i, n := range others {
		n.Role = wizard.Worker
		if pick[i] {
			n.Role = wizard.Manager
		}
	}
	return nil
}
