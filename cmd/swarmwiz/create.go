package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/steps"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// planFlags are the answers that can be given up front instead of at the prompts.
type planFlags struct {
	lab, sshUser, sshKey, knownHosts, advertise string
	hosts                                       []string
	managers                                    int
}

func (p *planFlags) add(c *cobra.Command, full bool) {
	f := c.Flags()
	f.StringVar(&p.lab, "lab", "", "use the practice lab called NAME")
	f.StringArrayVar(&p.hosts, "host", nil, "a node, [user@]host[:port] (repeatable)")
	f.StringVar(&p.sshUser, "ssh-user", "", "SSH user on the nodes")
	f.StringVar(&p.sshKey, "ssh-key", "", "private key file")
	f.StringVar(&p.knownHosts, "known-hosts", "", "known_hosts file (default ~/.ssh/known_hosts)")
	if full {
		f.StringVar(&p.advertise, "advertise-addr", "", "address the first manager advertises")
		f.IntVar(&p.managers, "managers", 0, "how many managers")
	}
}

// state turns the flags into the wizard's starting State.
func (p *planFlags) state() (*wizard.State, error) {
	st := &wizard.State{LabName: p.lab, Advertise: p.advertise, Managers: p.managers}
	st.SSH.User, st.SSH.KnownHosts = p.sshUser, p.knownHosts
	if p.sshKey != "" {
		if err := steps.CheckKeyFile(p.sshKey); err != nil {
			return nil, failure.Usagef("--ssh-key %v", err)
		}
		st.SSH.KeyFiles = []string{p.sshKey}
	}
	if p.lab != "" && len(p.hosts) > 0 {
		return nil, failure.Usagef("--lab and --host both name the nodes: give one of them")
	}
	if len(p.hosts) > 0 {
		nodes, err := steps.ParseHosts(strings.Join(p.hosts, ","))
		if err != nil {
			return nil, failure.Usagef("--host %v", err)
		}
		st.Nodes = nodes
	}
	return st, nil
}

// teachFlags control how much the run shows.
func teachFlags(c *cobra.Command, env *wizard.Env) {
	f := c.Flags()
	f.BoolVar(&env.Explain, "explain", false, "print each docker command and why, before it runs")
	f.BoolVar(&env.ShowTokens, "show-tokens", false, "show join tokens in full (they are secrets)")
	f.BoolVarP(&env.Quiet, "quiet", "q", false, "print only failures and the result")
}

func newCreate(env *wizard.Env) *cobra.Command {
	var p planFlags
	var yes bool
	c := &cobra.Command{
		Use:   "create",
		Short: "The guided wizard: build a swarm (the default command)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := p.state()
			if err != nil {
				return err
			}
			defer st.Close()
			return wizard.Run(cmd.Context(), env, st, steps.Create(steps.Options{Yes: yes}))
		},
	}
	p.add(c, true)
	teachFlags(c, env)
	c.Flags().BoolVarP(&yes, "yes", "y", false, "accept the summary without asking")
	c.Flags().BoolVar(&env.DryRun, "dry-run", false, "read the nodes, then print every command it would run; change nothing")
	return c
}

func newStatus(env *wizard.Env) *cobra.Command {
	var p planFlags
	c := &cobra.Command{
		Use:   "status",
		Short: "Print the swarm's node table and quorum health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := p.state()
			if err != nil {
				return err
			}
			defer st.Close()
			env.Quiet = true
			return wizard.Run(cmd.Context(), env, st, steps.Status())
		},
	}
	p.add(c, false)
	return c
}

func newLeave(env *wizard.Env) *cobra.Command {
	var p planFlags
	var o steps.Options
	c := &cobra.Command{
		Use:   "leave [HOSTNAME...]",
		Short: "Take nodes out of the swarm: workers leave, managers are demoted first",
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := p.state()
			if err != nil {
				return err
			}
			defer st.Close()
			o.Leave = args
			return wizard.Run(cmd.Context(), env, st, steps.Leave(o))
		},
	}
	p.add(c, false)
	teachFlags(c, env)
	c.Flags().BoolVar(&o.Force, "force", false, "remove a manager even if the swarm would lose quorum")
	c.Flags().BoolVarP(&o.Yes, "yes", "y", false, "confirm ending the swarm when the last manager leaves")
	return c
}
