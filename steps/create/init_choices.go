package create

import (
	"context"
	"slices"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/preflight"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// InitChoices settles what only `docker swarm init` can be told, and only where it matters:
// the overlay address pool when the nodes' own networks overlap docker's default (a pool is
// proposed that overlaps none of them), the VXLAN port on VMware guests (NSX uses 4789), and,
// on a terminal with workers to run the tasks, whether managers run workloads too. A swarm
// that already exists keeps what its init chose. With Yes (--yes: the run is meant to go
// unattended) nothing is asked: a proposal is taken and said, the managers stay active.
type InitChoices struct {
	Yes bool
}

func (InitChoices) Title() string { return msg("initopts.title", nil) }

// SkipIn: nothing to settle, or a swarm whose init is long done.
func (c InitChoices) SkipIn(env *wizard.Env, st *wizard.State) bool {
	if st.First == nil || st.First.Member {
		return true
	}
	if st.Init.Autolock && st.UnlockKeyFile == "" && !env.Interactive {
		return false // refused in Run, before anything changes
	}
	nodes := preflightNodes(st)
	return !st.PoolGiven && len(preflight.PoolOverlaps(nodes, nil)) == 0 &&
		!(st.Init.DataPathPort == 0 && anyVMware(st)) && !c.askAvailability(env, st)
}

func (c InitChoices) asks(env *wizard.Env) bool { return env.Interactive && !c.Yes }

func (c InitChoices) askAvailability(env *wizard.Env, st *wizard.State) bool {
	return c.asks(env) && st.Init.Availability == "" && st.Managers < len(st.Nodes)
}

func anyVMware(st *wizard.State) bool {
	return slices.ContainsFunc(st.Nodes, func(n *wizard.Node) bool { return n.Facts.VMware() })
}

func (c InitChoices) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	if st.Init.Autolock && st.UnlockKeyFile == "" {
		// The key is shown once: off a terminal it would land in a log; it needs a file.
		if err := prelude.NeedTerminal(env, "--unlock-key-file FILE (with --autolock)"); err != nil {
			return err
		}
	}
	nodes := preflightNodes(st)
	if st.PoolGiven {
		// A pool the user gave that overlaps a node's network is refused before anything runs.
		if o := preflight.PoolOverlaps(nodes, st.Init.Pools); len(o) > 0 {
			return failure.Usagef("%s", msg("pool.given.overlap", o[0]))
		}
	} else if o := preflight.PoolOverlaps(nodes, nil); len(o) > 0 {
		pool := preflight.ProposePool(nodes, st.Init.PoolMaskLen)
		if pool == "" {
			return failure.Usagef("%s", msg("pool.none", o[0]))
		}
		if !env.Quiet || env.Interactive {
			say(env, "pool.proposed", map[string]any{"Overlap": o[0], "Others": len(o) - 1, "Pool": pool})
		}
		use := true
		if c.asks(env) {
			var err error
			if use, err = env.Prompter.Confirm(msg("pool.question", pool), msg("pool.help", nil), true); err != nil {
				return err
			}
		}
		if use {
			st.Init.Pools = []string{pool}
		} else {
			say(env, "pool.kept", nil)
		}
	}
	if st.Init.DataPathPort == 0 && anyVMware(st) {
		const port = 5789
		if !env.Quiet || env.Interactive {
			say(env, "vxlan.vmware", port)
		}
		if c.asks(env) {
			ok, err := env.Prompter.Confirm(msg("vxlan.question", port), msg("vxlan.help", nil), true)
			if err != nil {
				return err
			}
			if ok {
				st.Init.DataPathPort = port
			}
		}
	}
	if c.askAvailability(env, st) {
		options := []string{msg("availability.active", nil), msg("availability.drain", nil)}
		i, err := env.Prompter.Select(msg("availability.question", nil), msg("availability.help", nil), options, options[0])
		if err != nil {
			return err
		}
		st.Init.Availability = []string{"active", "drain"}[i]
	}
	return nil
}

// initSummary is the summary's line on the init options that differ from docker's defaults,
// or "".
func initSummary(o docker.InitOptions) string {
	if !o.Changed() {
		return ""
	}
	expiry := ""
	if o.CertExpiry != 0 {
		expiry = docker.Hours(o.CertExpiry)
	}
	return msg("summary.init", map[string]any{"O": o, "Expiry": expiry})
}
