package wizard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/templates"
)

// Step is one small, named part of a flow.
type Step interface {
	Title() string
	Run(ctx context.Context, env *Env, st *State) error
}

// Skipper is a step that may have nothing to do (its answer came from a flag or a plan).
type Skipper interface {
	Skip(st *State) bool
}

// Untitled is a step the learner need not see as one (holding the nodes): it runs without a
// number or a title, and says something only when it has to.
type Untitled interface {
	Untitled() bool
}

// EnvSkipper is a step whose running depends on how the run was started (a question that is
// only asked on a terminal).
type EnvSkipper interface {
	SkipIn(env *Env, st *State) bool
}

// Run runs steps in order, printing "[n] Title" before each one that runs, numbered as they
// run: a step skipped because its answer came from a flag or a plan leaves no gap, and no
// total is shown, since which steps run is learned on the way. It stops at the first error,
// and on any stop that is not success it gives the account of what was done.
func Run(ctx context.Context, env *Env, st *State, steps []Step) error {
	n := 0
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return env.stopped(st, failure.ErrInterrupted)
		}
		if sk, ok := s.(Skipper); ok && sk.Skip(st) {
			continue
		}
		if sk, ok := s.(EnvSkipper); ok && sk.SkipIn(env, st) {
			continue
		}
		if u, ok := s.(Untitled); ok && u.Untitled() {
			if err := s.Run(ctx, env, st); err != nil {
				return env.stopped(st, err)
			}
			continue
		}
		n++
		if !env.Quiet {
			env.Printf("\n[%d] %s\n", n, s.Title())
		}
		env.Record.Step(n, s.Title())
		env.Class.Step(n, s.Title())
		t0 := time.Now()
		err := s.Run(ctx, env, st)
		if env.Timings != nil {
			// For `make bench`: one line per step, its Go type and seconds.
			fmt.Fprintf(env.Timings, "timing %T %.3f\n", s, time.Since(t0).Seconds())
		}
		if err != nil {
			if ctx.Err() != nil && !errors.Is(err, failure.ErrInterrupted) {
				err = errors.Join(failure.ErrInterrupted, err)
			}
			var u *failure.UsageError
			var se *failure.StatusError
			if errors.As(err, &se) {
				// A report's verdict (status, check): not a stop, nothing to account for.
				env.Record.Close(se.Msg)
				return err
			}
			if !errors.As(err, &u) && !errors.Is(err, failure.ErrInterrupted) {
				err = fmt.Errorf("%s: %w", s.Title(), err)
			}
			return env.stopped(st, err)
		}
	}
	return nil
}

// stopped prints the short account of what the run did before it stopped.
func (e *Env) stopped(st *State, err error) error {
	account := templates.Msg("run.stopped", map[string]any{
		"Interrupted": errors.Is(err, failure.ErrInterrupted), "Done": st.Done})
	e.Errorln(account)
	e.Record.Close(account + "\n\n" + e.Mask(err.Error()))
	return err
}
