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

// Run runs steps in order, printing "[i/n] Title" before each. It stops at the first error,
// and on any stop that is not success it gives the account of what was done.
func Run(ctx context.Context, env *Env, st *State, steps []Step) error {
	for i, s := range steps {
		if err := ctx.Err(); err != nil {
			return env.stopped(st, failure.ErrInterrupted)
		}
		if sk, ok := s.(Skipper); ok && sk.Skip(st) {
			continue
		}
		if !env.Quiet {
			env.Printf("\n[%d/%d] %s\n", i+1, len(steps), s.Title())
		}
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
	e.Errorln(templates.Msg("run.stopped", map[string]any{
		"Interrupted": errors.Is(err, failure.ErrInterrupted), "Done": st.Done}))
	return err
}
