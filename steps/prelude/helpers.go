package prelude

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/fanout"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// Msg is a catalog sentence.
func Msg(key string, data any) string { return templates.Msg(key, data) }

// Say prints a catalog sentence or text on its own line(s).
func Say(env *wizard.Env, key string, data any) {
	env.Println(Msg(key, data))
}

// NeedTerminal is the answer to a question that cannot be asked: off a terminal swarmwiz
// never prompts, it names the flag that gives the answer instead.
func NeedTerminal(env *wizard.Env, flags string) error {
	if env.Interactive {
		return nil
	}
	return failure.Usagef("%s", Msg("noninteractive.missing", flags))
}

// DefaultParallel bounds how many nodes are changed at once unless --parallel says: in a
// practice lab every node's docker shares this machine's CPUs, and ten joins at once were
// faster than thirty there (57 workers: 81 s against 104 s).
const DefaultParallel = 10

// ReadParallel bounds how many nodes are read at once unless --parallel says: a read
// (connect, facts, locks, probes) costs a node almost nothing and is mostly waiting for the
// network's round trips; read ten at a time, 30 far-away nodes would pay each read's round
// trips three times over.
const ReadParallel = 64

// EachNode runs fn, a change, on every node, at most env.Parallel (or DefaultParallel) at a
// time, and returns the errors by node index.
func EachNode(env *wizard.Env, nodes []*wizard.Node, fn func(i int, n *wizard.Node) error) []error {
	limit := env.Parallel
	if limit <= 0 {
		limit = DefaultParallel
	}
	return fanout.Each(nodes, limit, fn)
}

// EachRead is EachNode for fn that only reads (or probes): at most env.Parallel at a time
// when --parallel is given, else ReadParallel.
func EachRead(env *wizard.Env, nodes []*wizard.Node, fn func(i int, n *wizard.Node) error) []error {
	limit := env.Parallel
	if limit <= 0 {
		limit = ReadParallel
	}
	return fanout.Each(nodes, limit, fn)
}

// WaitNotice is how long a wait may last before the user is told what it waits for.
var WaitNotice = 2 * time.Second

// SayAfter says what a wait made of several (one per node) waits for, once it has taken
// WaitNotice; call the returned stop when it is over.
func SayAfter(env *wizard.Env, key string, data map[string]any, max time.Duration) (stop func()) {
	t := time.AfterFunc(WaitNotice, func() {
		if !env.Quiet {
			d := map[string]any{"Max": max.Round(time.Second)}
			maps.Copy(d, data)
			env.Println(Msg("wait.saying", map[string]any{"What": Msg(key, d), "Max": d["Max"]}))
		}
	})
	return func() { t.Stop() }
}

// UntilSaying is poll.Until that, once the wait has taken WaitNotice, says once what it waits
// for (the catalog's key, with data) and for how long at most: no silent pause of 10 s.
func UntilSaying(ctx context.Context, env *wizard.Env, key string, data map[string]any, timeout time.Duration, b poll.Backoff, cond func(context.Context) (bool, error)) error {
	t0 := time.Now()
	var said sync.Once
	return poll.Until(ctx, timeout, b, func(ctx context.Context) (bool, error) {
		ok, err := cond(ctx)
		if !ok && err == nil && !env.Quiet && time.Since(t0) >= WaitNotice {
			said.Do(func() {
				d := map[string]any{"Max": timeout.Round(time.Second)}
				maps.Copy(d, data)
				env.Println(Msg("wait.saying", map[string]any{"What": Msg(key, d), "Max": d["Max"]}))
			})
		}
		return ok, err
	})
}
