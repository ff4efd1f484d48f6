package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/plan"
	"github.com/swarmwiz/swarmwiz/internal/runbook"
	"github.com/swarmwiz/swarmwiz/steps"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// planFlags are the answers that can be given up front instead of at the prompts: a flag for
// every question, or a plan file with them all.
type planFlags struct {
	config, lab, hostsFile, sshUser, sshKey, knownHosts, advertise, sshConfig string
	sshTimeout                                                                time.Duration
	parallel                                                                  int
	hosts, managerHosts, workerHosts                                          []string
	managers, sshPort                                                         int
	allowEven                                                                 bool
	flags                                                                     *pflag.FlagSet // to tell a flag given as 0 from one not given
	output                                                                    string         // --output, where the command has it
}

func (p *planFlags) add(c *cobra.Command, full bool) {
	f := c.Flags()
	p.flags = f
	f.StringVar(&p.config, "config", "", "plan file (YAML; - for standard input)")
	f.StringVar(&p.lab, "lab", "", "use the practice lab called NAME")
	f.StringArrayVar(&p.hosts, "host", nil, "a node, [user@]host[:port] (repeatable)")
	f.StringVar(&p.hostsFile, "hosts-file", "", "a file of nodes, one [user@]host[:port] a line")
	f.StringVar(&p.sshUser, "ssh-user", "", "SSH user on the nodes")
	f.StringVar(&p.sshKey, "ssh-key", "", "private key file")
	f.IntVar(&p.sshPort, "ssh-port", 0, "SSH port of the nodes (default 22)")
	f.StringVar(&p.knownHosts, "known-hosts", "", "known_hosts file (default ~/.ssh/known_hosts)")
	f.StringVar(&p.sshConfig, "ssh-config", "", "ssh_config file for Host aliases and ProxyJump (default ~/.ssh/config)")
	f.DurationVar(&p.sshTimeout, "ssh-timeout", 10*time.Second, "SSH connect timeout")
	f.IntVar(&p.parallel, "parallel", 10, "how many nodes to work on at once")
	if full {
		f.StringVar(&p.advertise, "advertise-addr", "", "address the first manager advertises")
		f.IntVar(&p.managers, "managers", 0, "how many managers (the first nodes listed)")
		f.StringArrayVar(&p.managerHosts, "manager", nil, "a manager node (repeatable; the first is where init runs)")
		f.StringArrayVar(&p.workerHosts, "worker", nil, "a worker node (repeatable)")
		f.BoolVar(&p.allowEven, "allow-even-managers", false, "confirm an even manager count")
	}
}

// state turns the plan file and flags into the wizard's starting State; flags win.
func (p *planFlags) state() (*wizard.State, error) {
	st := &wizard.State{}
	if p.config != "" {
		pl, err := plan.LoadFile(p.config)
		if err != nil {
			return nil, err
		}
		st = steps.FromPlan(pl)
	}
	if p.lab != "" {
		st.LabName = p.lab
	}
	if p.advertise != "" {
		st.Advertise = p.advertise
	}
	if p.flags.Changed("managers") {
		if p.managers < 1 {
			return nil, failure.Usagef("--managers %d: give how many managers, 1 or more (an odd number: 1, 3, 5)", p.managers)
		}
		if len(p.managerHosts)+len(p.workerHosts) > 0 {
			return nil, failure.Usagef("--managers %d next to --manager/--worker: the managers are the nodes given with --manager; leave --managers out, or give the nodes with --host", p.managers)
		}
		st.Managers = p.managers
	}
	st.EvenOK = st.EvenOK || p.allowEven
	if p.sshUser != "" {
		st.SSH.User = p.sshUser
	}
	if p.knownHosts != "" {
		st.SSH.KnownHosts = p.knownHosts
	}
	if p.sshConfig != "" {
		st.SSH.ConfigFile = p.sshConfig
	}
	if p.sshTimeout <= 0 {
		return nil, failure.Usagef("--ssh-timeout %s: give a positive duration, like 10s", p.sshTimeout)
	}
	st.SSH.Timeout = p.sshTimeout
	if p.flags.Changed("ssh-port") {
		if p.sshPort < 1 || p.sshPort > 65535 {
			return nil, failure.Usagef("--ssh-port %d: give a port from 1 to 65535", p.sshPort)
		}
		st.SSH.Port = p.sshPort
	}
	if p.sshKey != "" {
		if err := steps.CheckKeyFile(p.sshKey); err != nil {
			return nil, failure.Usagef("--ssh-key %v", err)
		}
		st.SSH.KeyFiles = []string{p.sshKey}
	}
	nodes, err := p.nodes()
	if err != nil {
		return nil, err
	}
	if len(nodes) > 0 {
		if p.lab != "" || p.config != "" {
			return nil, failure.Usagef("nodes are given twice: use --lab, --config, or --host/--hosts-file/--manager/--worker, not several")
		}
		st.Nodes = nodes
		for _, n := range nodes {
			if n.Role == wizard.Manager {
				st.First = n
				break
			}
		}
		if len(p.managerHosts) > 0 {
			st.Managers = len(p.managerHosts)
		}
	}
	return st, nil
}

// nodes gathers --host, --hosts-file, --manager and --worker, with roles where given.
func (p *planFlags) nodes() ([]*wizard.Node, error) {
	hosts := p.hosts
	if p.hostsFile != "" {
		b, err := os.ReadFile(p.hostsFile)
		if err != nil {
			return nil, failure.Usagef("--hosts-file: %v", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				hosts = append(hosts, line)
			}
		}
	}
	for _, g := range []struct {
		flag  string
		hosts []string
	}{{"--manager", p.managerHosts}, {"--host", p.hosts}, {"--worker", p.workerHosts}} {
		for _, h := range g.hosts {
			if strings.TrimSpace(h) == "" {
				// An empty shell variable must not build a smaller cluster than meant.
				return nil, failure.Usagef("%s '': give a node, [user@]host[:port], like 10.0.0.11", g.flag)
			}
		}
	}
	var all []*wizard.Node
	for _, g := range []struct {
		flag  string
		hosts []string
		role  wizard.Role
	}{{"--manager", p.managerHosts, wizard.Manager}, {"--host", hosts, ""}, {"--worker", p.workerHosts, wizard.Worker}} {
		if len(g.hosts) == 0 {
			continue
		}
		nodes, err := steps.ParseHosts(strings.Join(g.hosts, ","))
		if err != nil {
			return nil, failure.Usagef("%s %v", g.flag, err)
		}
		for _, n := range nodes {
			n.Role = g.role
		}
		all = append(all, nodes...)
	}
	seen := map[string]bool{}
	for _, n := range all {
		port := n.Port
		if port == 0 {
			port = 22 // host and host:22 are the same node
		}
		key := fmt.Sprintf("%s:%d", n.Host, port)
		if seen[key] {
			return nil, failure.Usagef("%s is given twice: name each node once, with its role", n.Host)
		}
		seen[key] = true
	}
	return all, nil
}

// teachFlags control how much the run shows.
func teachFlags(c *cobra.Command, env *wizard.Env) {
	f := c.Flags()
	f.BoolVar(&env.Explain, "explain", false, "print each docker command and why, before it runs")
	f.BoolVar(&env.ShowTokens, "show-tokens", false, "show join tokens in full (they are secrets)")
	f.BoolVarP(&env.Quiet, "quiet", "q", false, "print only failures and the result")
	f.BoolVarP(&env.Verbose, "verbose", "v", false, "also print the read-only commands run on each node")
	f.StringVar(&env.RecordFile, "record", "", "write a runbook of this run to FILE (Markdown, mode 0600, tokens masked): every docker command, where it ran, why, and what it printed")
}

// outputFlag adds --output; json sends the result to stdout and everything else to stderr.
func outputFlag(c *cobra.Command, output *string) {
	c.Flags().StringVarP(output, "output", "o", "", "json: print the result as JSON on stdout, for scripts (everything else goes to stderr)")
}

func setOutput(env *wizard.Env, output string) error {
	switch output {
	case "":
	case "json":
		env.JSON = env.Out
		env.Out = env.Err
	default:
		return failure.Usagef("--output %q: the only format is json", output)
	}
	return nil
}

func newCreate(env *wizard.Env, run flowRunner) *cobra.Command {
	var p planFlags
	var o steps.Options
	var output string
	c := &cobra.Command{
		Use:   "create",
		Short: "The guided wizard: build a swarm (the default command)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Check.Declined = cmd.Flags().Changed("check") && !o.Check.Yes
			return runFlow(cmd, env, &p, output, steps.Create(o), run)
		},
	}
	p.add(c, true)
	teachFlags(c, env)
	outputFlag(c, &output)
	c.Flags().BoolVarP(&o.Yes, "yes", "y", false, "accept the summary without asking")
	c.Flags().BoolVar(&o.LeaveOther, "leave-other-swarms", false, "make nodes already in another swarm leave it (a manager with --force)")
	c.Flags().StringVar(&o.SavePlan, "save-plan", "", "write the plan to FILE (mode 0600, no secrets) after the summary")
	c.Flags().BoolVar(&env.DryRun, "dry-run", false, "read the nodes, then print every command it would run; change nothing")
	c.Flags().BoolVar(&o.Check.Yes, "check", false, "after the node table, prove the swarm works (swarmwiz check) without asking; --check=false: do not offer it")
	checkFlags(c, &o.Check)
	return c
}

func newStatus(env *wizard.Env, run flowRunner) *cobra.Command {
	var p planFlags
	var output string
	var watch bool
	c := &cobra.Command{
		Use:   "status",
		Short: "Print the swarm's node table and quorum health (exit 3: degraded, 4: quorum lost)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env.Quiet = true
			if watch && output != "" {
				return failure.Usagef("--watch with --output %s: watch prints a line per change; leave one out", output)
			}
			return runFlow(cmd, env, &p, output, steps.Status(watch), run)
		},
	}
	c.Flags().BoolVarP(&watch, "watch", "w", false, "redraw the table every 2 seconds (off a terminal: a line per change) until Ctrl-C")
	p.add(c, false)
	teachFlags(c, env)
	outputFlag(c, &output)
	return c
}

func newLeave(env *wizard.Env, run flowRunner) *cobra.Command {
	var p planFlags
	var o steps.Options
	c := &cobra.Command{
		Use:   "leave [HOSTNAME...]",
		Short: "Take nodes out of the swarm: workers leave, managers are demoted first",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Leave = args
			return runFlow(cmd, env, &p, "", steps.Leave(o), run)
		},
	}
	p.add(c, false)
	teachFlags(c, env)
	c.Flags().BoolVar(&o.Force, "force", false, "remove a manager even if the swarm would lose quorum, or a node that is down")
	c.Flags().BoolVarP(&o.Yes, "yes", "y", false, "confirm ending the swarm when the last manager leaves")
	return c
}

// runFlow is what every flow command does: the output format, the starting State from the
// plan flags, the flow, and every connection closed after.
func runFlow(cmd *cobra.Command, env *wizard.Env, p *planFlags, output string, flow []wizard.Step, run flowRunner) error {
	if err := setOutput(env, output); err != nil {
		return err
	}
	if p.parallel < 1 {
		return failure.Usagef("--parallel %d: give a number of nodes, 1 or more", p.parallel)
	}
	env.Parallel = p.parallel
	st, err := p.state()
	if err != nil {
		return err
	}
	defer st.Close()
	if env.RecordFile != "" {
		name := cmd.Name()
		if !cmd.HasParent() {
			name = "create" // `swarmwiz` alone
		}
		if env.Record, err = runbook.Create(env.RecordFile, name, env.Version, time.Now()); err != nil {
			return failure.Usagef("--record %s: %v", env.RecordFile, err)
		}
		// A run that stops closes the runbook with its account; one that finishes, here.
		defer env.Record.Close("")
	}
	return run(cmd.Context(), env, st, flow)
}

func newCheck(env *wizard.Env, run flowRunner) *cobra.Command {
	var c steps.Check
	cmd, p := flowCommand(env, run, "check", "Prove the swarm works: containers on every node talk to every other over an overlay network",
		noArgs, func([]string) ([]wizard.Step, error) { return steps.CheckFlow(c), nil })
	checkFlags(cmd, &c)
	outputFlag(cmd, &p.output)
	return cmd
}

// checkFlags are the check's own flags, on `check` and on `create` (which offers the check).
func checkFlags(cmd *cobra.Command, c *steps.Check) {
	cmd.Flags().BoolVar(&c.Encrypted, "encrypted", false, "check an encrypted overlay (IPsec ESP between the nodes)")
	cmd.Flags().StringVar(&c.Image, "probe-image", "", "an image the nodes pull for the probe, holding a static swarmwiz at /swarmwiz (default: this binary, loaded onto the nodes)")
}

// flowCommand is a command that runs a flow on a running swarm's nodes, named the way
// `status` names them (--lab, --host, --config, ssh flags), with the teaching flags; flow
// builds the steps from the arguments once the flags are parsed.
func flowCommand(env *wizard.Env, run flowRunner, use, short string, args cobra.PositionalArgs, flow func(args []string) ([]wizard.Step, error)) (*cobra.Command, *planFlags) {
	p := &planFlags{}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, args []string) error {
			steps, err := flow(args)
			if err != nil {
				return err
			}
			return runFlow(cmd, env, p, p.output, steps, run)
		},
	}
	p.add(cmd, false)
	teachFlags(cmd, env)
	return cmd, p
}

// newChangeRole is `swarmwiz promote` (to manager) and `swarmwiz demote` (to worker).
func newChangeRole(env *wizard.Env, run flowRunner, to wizard.Role) *cobra.Command {
	c := steps.ChangeRole{To: to}
	use, short := "promote HOSTNAME...", "Make workers managers (an even manager count is warned about)"
	if to == wizard.Worker {
		use, short = "demote HOSTNAME...", "Make managers workers, never leaving too few for a quorum without --force"
	}
	cmd, _ := flowCommand(env, run, use, short, cobra.ArbitraryArgs, func(args []string) ([]wizard.Step, error) {
		c.Names = args
		return steps.ChangeRoleFlow(c), nil
	})
	if to == wizard.Worker {
		cmd.Flags().BoolVar(&c.Force, "force", false, "demote even if too few reachable managers would be left for a quorum")
	}
	return cmd
}

func newRecover(env *wizard.Env, run flowRunner) *cobra.Command {
	var r steps.Recover
	cmd, _ := flowCommand(env, run, "recover", "Bring back a swarm that lost its quorum: force a new cluster on a surviving manager, then restore the managers",
		noArgs, func([]string) ([]wizard.Step, error) { return steps.RecoverFlow(r), nil })
	cmd.Flags().StringVar(&r.Keep, "keep", "", "the surviving manager to rebuild the swarm from (asked when several answer)")
	cmd.Flags().BoolVarP(&r.Yes, "yes", "y", false, "go ahead without asking")
	cmd.Flags().BoolVar(&env.DryRun, "dry-run", false, "say what it would do; change nothing")
	return cmd
}

func newDrill(env *wizard.Env, run flowRunner) *cobra.Command {
	var d steps.Drill
	var p *planFlags
	cmd, p := flowCommand(env, run, "drill", "A failover lesson on a practice lab: the leader stops, a new one is elected, quorum is lost and recovered",
		noArgs, func([]string) ([]wizard.Step, error) {
			if p.lab == "" && (len(p.hosts) > 0 || p.hostsFile != "" || p.config != "") {
				// It stops and starts nodes: never on machines given by address.
				return nil, failure.Usagef("%s", templates.Msg("drill.labonly", nil))
			}
			return steps.DrillFlow(d), nil
		})
	cmd.Flags().BoolVarP(&d.Yes, "yes", "y", false, "run every lesson without waiting (a demo on a projector)")
	return cmd
}
