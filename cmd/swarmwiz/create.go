package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/internal/plan"
	"github.com/swarmwiz/swarmwiz/internal/preflight"
	"github.com/swarmwiz/swarmwiz/internal/runbook"
	"github.com/swarmwiz/swarmwiz/steps"
	"github.com/swarmwiz/swarmwiz/steps/check"
	"github.com/swarmwiz/swarmwiz/steps/create"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/steps/quorum"
	"github.com/swarmwiz/swarmwiz/steps/secrets"
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
	init                                                                      initFlags
	flags                                                                     *pflag.FlagSet // to tell a flag given as 0 from one not given
	output                                                                    string         // --output, where the command has it
	loaded                                                                    *plan.Plan     // the plan file, once read
}

func (p *planFlags) add(c *cobra.Command, full bool) {
	f := c.Flags()
	p.flags = f
	f.StringVar(&p.config, "config", "", "")
	f.StringVar(&p.lab, "lab", "", "")
	f.StringArrayVar(&p.hosts, "host", nil, "")
	f.StringVar(&p.hostsFile, "hosts-file", "", "")
	f.StringVar(&p.sshUser, "ssh-user", "", "")
	f.StringVar(&p.sshKey, "ssh-key", "", "")
	f.IntVar(&p.sshPort, "ssh-port", 0, "")
	f.StringVar(&p.knownHosts, "known-hosts", "", "")
	f.StringVar(&p.sshConfig, "ssh-config", "", "")
	f.DurationVar(&p.sshTimeout, "ssh-timeout", 10*time.Second, "")
	f.IntVar(&p.parallel, "parallel", 10, "")
	if full {
		f.StringVar(&p.advertise, "advertise-addr", "", "")
		f.IntVar(&p.managers, "managers", 0, "")
		f.StringArrayVar(&p.managerHosts, "manager", nil, "")
		f.StringArrayVar(&p.workerHosts, "worker", nil, "")
		f.BoolVar(&p.allowEven, "allow-even-managers", false, "")
		f.StringArrayVar(&p.init.pools, "default-addr-pool", nil, "")
		f.IntVar(&p.init.poolMask, "default-addr-pool-mask-length", 0, "")
		f.IntVar(&p.init.dataPathPort, "data-path-port", 0, "")
		f.StringVar(&p.init.availability, "manager-availability", "", "")
		f.BoolVar(&p.init.autolock, "autolock", false, "")
		f.StringVar(&p.init.unlockKeyFile, "unlock-key-file", "", "")
		f.DurationVar(&p.init.certExpiry, "cert-expiry", 0, "")
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
		st = create.FromPlan(pl)
		p.loaded = pl
	}
	if p.lab != "" {
		st.LabName = p.lab
	}
	if p.advertise != "" {
		st.Advertise = p.advertise
	}
	if p.flags.Changed("managers") {
		if p.managers < 1 {
			return nil, usage("cli.managers", p.managers)
		}
		if len(p.managerHosts)+len(p.workerHosts) > 0 {
			return nil, usage("cli.managers.both", p.managers)
		}
		st.Managers = p.managers
	}
	st.EvenOK = st.EvenOK || p.allowEven
	if err := p.init.apply(p.flags, st); err != nil {
		return nil, err
	}
	if err := p.sshState(st); err != nil {
		return nil, err
	}
	nodes, err := p.nodes()
	if err != nil {
		return nil, err
	}
	if len(nodes) > 0 {
		if p.lab != "" || p.config != "" {
			return nil, usage("cli.nodes.twice", nil)
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

// sshState puts the SSH flags into st, where given; flags win over the plan.
func (p *planFlags) sshState(st *wizard.State) error {
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
		return usage("cli.sshtimeout", p.sshTimeout.String())
	}
	st.SSH.Timeout = p.sshTimeout
	if p.flags.Changed("ssh-port") {
		if p.sshPort < 1 || p.sshPort > 65535 {
			return usage("cli.sshport", p.sshPort)
		}
		st.SSH.Port = p.sshPort
	}
	if p.sshKey != "" {
		if err := prelude.CheckKeyFile(p.sshKey); err != nil {
			return failure.Usagef("--ssh-key %v", err)
		}
		st.SSH.KeyFiles = []string{p.sshKey}
	}
	return nil
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
				return nil, usage("cli.host.empty", g.flag)
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
		nodes, err := prelude.ParseHosts(strings.Join(g.hosts, ","))
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
			return nil, usage("cli.host.twice", n.Host)
		}
		seen[key] = true
	}
	return all, nil
}

// teachFlags control how much the run shows.
func teachFlags(c *cobra.Command, env *wizard.Env) {
	f := c.Flags()
	f.BoolVar(&env.Explain, "explain", false, "")
	f.BoolVar(&env.ShowTokens, "show-tokens", false, "")
	f.BoolVarP(&env.Quiet, "quiet", "q", false, "")
	f.BoolVarP(&env.Verbose, "verbose", "v", false, "")
	f.StringVar(&env.RecordFile, "record", "", "")
	f.StringVar(&env.ClassroomURL, "classroom", "", "")
	f.StringVar(&env.ClassroomCode, "classroom-code", "", "")
	f.StringVar(&env.Learner, "name", "", "")
}

// outputFlag adds --output; json sends the result to stdout and everything else to stderr.
func outputFlag(c *cobra.Command, output *string) {
	c.Flags().StringVarP(output, "output", "o", "", "")
}

func setOutput(env *wizard.Env, output string) error {
	switch output {
	case "":
	case "json":
		env.JSON = env.Out
		env.Out = env.Err
	default:
		return usage("cli.output", output)
	}
	return nil
}

func newCreate(env *wizard.Env, run flowRunner) *cobra.Command {
	var p planFlags
	var o steps.Options
	var output string
	c := &cobra.Command{
		Use:  "create",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Check.Declined = cmd.Flags().Changed("check") && !o.Check.Yes
			if o.DockerSource != "" && o.DockerSource != preflight.SourceDocker && o.DockerSource != preflight.SourceDistro {
				return usage("cli.dockersource", o.DockerSource)
			}
			return runFlow(cmd, env, &p, output, steps.Create(o), run)
		},
	}
	p.add(c, true)
	teachFlags(c, env)
	outputFlag(c, &output)
	c.Flags().BoolVarP(&o.Yes, "yes", "y", false, "")
	c.Flags().BoolVar(&o.LeaveOther, "leave-other-swarms", false, "")
	c.Flags().StringVar(&o.SavePlan, "save-plan", "", "")
	c.Flags().BoolVar(&env.DryRun, "dry-run", false, "")
	c.Flags().BoolVar(&o.Check.Yes, "check", false, "")
	checkFlags(c, &o.Check)
	c.Flags().BoolVar(&o.InstallDocker, "install-docker", false, "")
	c.Flags().StringVar(&o.DockerSource, "docker-source", "", "")
	c.Flags().BoolVar(&o.OpenFirewall, "open-firewall", false, "")
	lockWaitFlag(c, env)
	return c
}

func newStatus(env *wizard.Env, run flowRunner) *cobra.Command {
	var p planFlags
	var output string
	var watch bool
	c := &cobra.Command{
		Use:  "status",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env.Quiet = true
			if watch && output != "" {
				return usage("cli.watch.output", output)
			}
			return runFlow(cmd, env, &p, output, steps.Status(watch), run)
		},
	}
	c.Flags().BoolVarP(&watch, "watch", "w", false, "")
	p.add(c, false)
	teachFlags(c, env)
	outputFlag(c, &output)
	return c
}

func newLeave(env *wizard.Env, run flowRunner) *cobra.Command {
	var p planFlags
	var o steps.Options
	c := &cobra.Command{
		Use: "leave [HOSTNAME...]",
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if strings.TrimSpace(a) == "" || strings.HasPrefix(a, "-") {
					return usage("cli.leave.name", a)
				}
			}
			o.Leave = args
			return runFlow(cmd, env, &p, "", steps.Leave(o), run)
		},
	}
	p.add(c, false)
	teachFlags(c, env)
	c.Flags().BoolVar(&o.Force, "force", false, "")
	c.Flags().BoolVarP(&o.Yes, "yes", "y", false, "")
	lockWaitFlag(c, env)
	return c
}

// runFlow is what every flow command does: the output format, the starting State from the
// plan flags, the flow, and every connection closed after.
func runFlow(cmd *cobra.Command, env *wizard.Env, p *planFlags, output string, flow []wizard.Step, run flowRunner) error {
	if err := setOutput(env, output); err != nil {
		return err
	}
	if p.parallel < 1 {
		return usage("cli.parallel", p.parallel)
	}
	if cmd.Flags().Changed("parallel") {
		// Given, it bounds the reads too (a bastion or a slow link that wants fewer at
		// once); by default changes go 10 at a time and reads to every node at once.
		env.Parallel = p.parallel
	}
	if env.LockWait < 0 {
		return usage("cli.lockwait", env.LockWait)
	}
	env.Command = cmd.CommandPath()
	if !cmd.HasParent() {
		env.Command += " create"
	}
	if f := cmd.Flags().Lookup("lab"); f != nil && f.Changed {
		// --lab '' is no lab, and a name with a slash is a path: refused as given.
		if lab.ValidName(p.lab) != nil {
			return usage("cli.lab.name", p.lab)
		}
	}
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
	if err := joinClassroom(env, p.loaded); err != nil {
		return err
	}
	if env.Class == nil {
		return run(cmd.Context(), env, st, flow)
	}
	name := cmd.Name()
	if !cmd.HasParent() {
		name = "create"
	}
	env.Class.Start(name)
	return finishClassroom(env, run(cmd.Context(), env, st, flow))
}

func newCheck(env *wizard.Env, run flowRunner) *cobra.Command {
	var c check.Check
	cmd, p := flowCommand(env, run, "check", noArgs, func([]string) ([]wizard.Step, error) { return steps.CheckFlow(c), nil })
	checkFlags(cmd, &c)
	outputFlag(cmd, &p.output)
	return cmd
}

// lockWaitFlag is --lock-wait, on every command that changes a swarm.
func lockWaitFlag(cmd *cobra.Command, env *wizard.Env) {
	cmd.Flags().DurationVar(&env.LockWait, "lock-wait", 5*time.Minute, "")
}

// checkFlags are the check's own flags, on `check` and on `create` (which offers the check).
func checkFlags(cmd *cobra.Command, c *check.Check) {
	cmd.Flags().BoolVar(&c.Encrypted, "encrypted", false, "")
	cmd.Flags().StringVar(&c.Image, "probe-image", "", "")
}

// flowCommand is a command that runs a flow on a running swarm's nodes, named the way
// `status` names them (--lab, --host, --config, ssh flags), with the teaching flags; flow
// builds the steps from the arguments once the flags are parsed.
func flowCommand(env *wizard.Env, run flowRunner, use string, args cobra.PositionalArgs, flow func(args []string) ([]wizard.Step, error)) (*cobra.Command, *planFlags) {
	p := &planFlags{}
	cmd := &cobra.Command{
		Use:  use,
		Args: args,
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
	c := quorum.ChangeRole{To: to}
	use := "promote HOSTNAME..."
	if to == wizard.Worker {
		use = "demote HOSTNAME..."
	}
	cmd, _ := flowCommand(env, run, use, cobra.ArbitraryArgs, func(args []string) ([]wizard.Step, error) {
		c.Names = args
		return steps.ChangeRoleFlow(c), nil
	})
	if to == wizard.Worker {
		cmd.Flags().BoolVar(&c.Force, "force", false, "")
	}
	lockWaitFlag(cmd, env)
	return cmd
}

func newRecover(env *wizard.Env, run flowRunner) *cobra.Command {
	var r quorum.Recover
	cmd, _ := flowCommand(env, run, "recover", noArgs, func([]string) ([]wizard.Step, error) { return steps.RecoverFlow(r), nil })
	cmd.Flags().StringVar(&r.Keep, "keep", "", "")
	cmd.Flags().BoolVarP(&r.Yes, "yes", "y", false, "")
	cmd.Flags().BoolVar(&env.DryRun, "dry-run", false, "")
	lockWaitFlag(cmd, env)
	return cmd
}

func newDrill(env *wizard.Env, run flowRunner) *cobra.Command {
	var d quorum.Drill
	var p *planFlags
	cmd, p := flowCommand(env, run, "drill", noArgs, func([]string) ([]wizard.Step, error) {
		if p.lab == "" && (len(p.hosts) > 0 || p.hostsFile != "" || p.config != "") {
			// It stops and starts nodes: never on machines given by address.
			return nil, failure.Usagef("%s", templates.Msg("drill.labonly", nil))
		}
		return steps.DrillFlow(d), nil
	})
	cmd.Flags().BoolVarP(&d.Yes, "yes", "y", false, "")
	lockWaitFlag(cmd, env)
	return cmd
}

// initFlags are what only `docker swarm init` can be told; a flag wins over the plan's init
// section.
type initFlags struct {
	pools                  []string
	poolMask, dataPathPort int
	availability           string
	autolock               bool
	unlockKeyFile          string
	certExpiry             time.Duration
}

func (i *initFlags) apply(f *pflag.FlagSet, st *wizard.State) error {
	if f.Lookup("autolock") == nil {
		return nil // a command on a running swarm: its init is long done
	}
	o := &st.Init
	if f.Changed("default-addr-pool") {
		o.Pools, st.PoolGiven = i.pools, true
	}
	if f.Changed("default-addr-pool-mask-length") {
		o.PoolMaskLen = i.poolMask
	}
	if f.Changed("data-path-port") {
		o.DataPathPort = i.dataPathPort
	}
	if f.Changed("manager-availability") {
		o.Availability = i.availability
	}
	if f.Changed("autolock") {
		o.Autolock = i.autolock
	}
	if f.Changed("cert-expiry") {
		if i.certExpiry == 0 {
			i.certExpiry = -1 // given as 0: refused below, not taken for docker's default
		}
		o.CertExpiry = i.certExpiry
	}
	if i.unlockKeyFile != "" {
		st.UnlockKeyFile = i.unlockKeyFile
	}
	if err := o.Validate(); err != nil {
		return failure.Usagef("%v", err)
	}
	if st.UnlockKeyFile != "" && !o.Autolock {
		return usage("cli.unlockkey.noautolock", st.UnlockKeyFile)
	}
	return nil
}

func newUnlock(env *wizard.Env, run flowRunner) *cobra.Command {
	var u secrets.Unlock
	cmd, _ := flowCommand(env, run, "unlock", noArgs, func([]string) ([]wizard.Step, error) { return steps.UnlockFlow(u), nil })
	cmd.Flags().StringVar(&u.KeyFile, "unlock-key-file", "", "")
	lockWaitFlag(cmd, env)
	return cmd
}

func newRotateTokens(env *wizard.Env, run flowRunner) *cobra.Command {
	var r secrets.RotateTokens
	cmd, _ := flowCommand(env, run, "rotate-tokens", noArgs, func([]string) ([]wizard.Step, error) {
		if r.KeyFile != "" && !r.UnlockKey {
			return nil, usage("cli.unlockkey.norotate", r.KeyFile)
		}
		return steps.RotateTokensFlow(r), nil
	})
	cmd.Flags().BoolVar(&r.Manager, "manager", false, "")
	cmd.Flags().BoolVar(&r.Worker, "worker", false, "")
	cmd.Flags().BoolVar(&r.UnlockKey, "rotate-unlock-key", false, "")
	cmd.Flags().StringVar(&r.KeyFile, "unlock-key-file", "", "")
	cmd.Flags().BoolVar(&env.DryRun, "dry-run", false, "")
	lockWaitFlag(cmd, env)
	return cmd
}
