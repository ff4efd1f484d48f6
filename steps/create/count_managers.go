package create

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// CountManagers asks how many managers, teaching Raft quorum on the way: an even count is
// warned about (it tolerates no more failures than one fewer), more than 7 too (Raft cost).
type CountManagers struct{}

func (CountManagers) Title() string { return msg("count.title", nil) }

func (CountManagers) Run(_ context.Context, env *wizard.Env, st *wizard.State) error {
	total := len(st.Nodes)
	if st.Managers != 0 {
		if err := CheckManagerCount(strconv.Itoa(st.Managers), total); err != nil {
			return failure.Usagef("--managers %v", err)
		}
		if st.Managers%2 == 0 && !st.EvenOK {
			return failure.Usagef("%s", msg("count.even.flag", st.Managers))
		}
		return nil
	}
	def := 1
	if total >= 3 {
		def = 3
	}
	if err := prelude.NeedTerminal(env, "--managers N"); err != nil {
		// Off a terminal nothing is guessed: the count is a decision about failures.
		return err
	}
	// Only the counts this cluster allows, and never past 7 (Raft's cost grows with each).
	env.Println(QuorumText(min(total, 7)))
	for {
		text, err := env.Prompter.Input(msg("count.question", total), msg("count.help", nil), strconv.Itoa(def), func(s string) error {
			return CheckManagerCount(s, total)
		})
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(strings.TrimSpace(text))
		warn := ""
		switch {
		case n%2 == 0:
			warn = msg("count.even", map[string]int{"N": n, "Tol": docker.Tolerates(n), "Quorum": docker.Quorum(n), "Fewer": n - 1})
		case n > 7:
			warn = msg("count.many", n)
		}
		if warn != "" {
			env.Println(warn)
			ok, err := env.Prompter.Confirm(msg("count.keep", n), "", false)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		st.Managers = n
		return nil
	}
}

// CheckManagerCount accepts a whole number from 1 to the number of nodes.
func CheckManagerCount(s string, total int) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		return errors.New(msg("count.nan", map[string]any{"Value": s, "Total": total}))
	case n < 1:
		return errors.New(msg("count.zero", map[string]any{"Value": n, "Total": total}))
	case n > total:
		return errors.New(msg("count.toomany", map[string]any{"Value": n, "Total": total}))
	}
	return nil
}
