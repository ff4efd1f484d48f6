package prelude

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// ChooseNodes asks where the nodes are: machines reached over SSH, or a practice lab here.
type ChooseNodes struct {
	// Existing: the command works on a swarm that exists (status, leave): off a terminal it
	// names its own flags, and with no nodes given it uses this machine's only practice lab.
	Existing bool
}

func (ChooseNodes) Title() string { return Msg("nodes.title", nil) }

// Skip when the nodes came from flags or a plan; a lab named by flag still needs loading.
func (ChooseNodes) Skip(st *wizard.State) bool { return len(st.Nodes) > 0 }

func (c ChooseNodes) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	if st.LabName != "" {
		return useLab(st, st.LabName)
	}
	if c.Existing {
		if names := lab.Names(); len(names) == 1 {
			// The one practice lab on this machine is what a learner means; say so.
			env.Errorln(Msg("nodes.onlylab", names[0]))
			return useLab(st, names[0])
		}
		return NeedTerminal(env, Msg("noninteractive.flags.existing", nil))
	}
	if err := NeedTerminal(env, Msg("noninteractive.flags", nil)); err != nil {
		return err
	}
	options := []string{Msg("nodes.option.ssh", nil), Msg("nodes.option.lab", nil)}
	i, err := env.Prompter.Select(Msg("nodes.question", nil), Msg("nodes.help", nil), options, options[0])
	if err != nil {
		return err
	}
	if i == 1 {
		return chooseLab(ctx, env, st)
	}
	text, err := env.Prompter.Input(Msg("nodes.hosts.question", nil), Msg("nodes.hosts.help", nil), "", func(s string) error {
		_, err := ParseHosts(s)
		return err
	})
	if err != nil {
		return err
	}
	st.Nodes, _ = ParseHosts(text)
	return nil
}

// chooseLab picks one of this machine's labs, or offers to create one.
func chooseLab(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	if err := lab.CheckOS(); err != nil {
		return err // macOS, Windows: one line, exit 2, and how to practise on VMs instead
	}
	names := lab.Names()
	switch len(names) {
	case 0:
		return offerLab(ctx, env, st)
	case 1:
		return useLab(st, names[0])
	}
	i, err := env.Prompter.Select(Msg("nodes.lab.which", nil), "", names, names[0])
	if err != nil {
		return err
	}
	return useLab(st, names[i])
}

// checkLabHost is lab.CheckHost; a test's stand-in reports missing programs.
var checkLabHost = lab.CheckHost

// offerLab creates the seed's 7-node lab, with consent, installing its packages if needed.
func offerLab(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	ok, err := env.Prompter.Confirm(Msg("nodes.lab.create", nil), Msg("nodes.lab.create.help", nil), true)
	if err != nil || !ok {
		if err == nil {
			err = failure.Usagef("%s", Msg("nodes.lab.none", nil))
		}
		return err
	}
	if err := checkLabHost(); err != nil {
		var missing *lab.MissingError
		if !errors.As(err, &missing) {
			return err
		}
		ok, cerr := env.Prompter.Confirm(Msg("nodes.lab.install", err.Error()), "", true)
		if cerr != nil || !ok {
			if cerr == nil {
				cerr = err
			}
			return cerr
		}
		if err := InstallLab(ctx, env, "", lab.InstallOptions{}); err != nil {
			return err
		}
	}
	cfg, err := lab.ParseConfig(lab.DefaultName, strconv.Itoa(lab.DefaultNodes), lab.DefaultSubnet)
	if err != nil {
		return err
	}
	if _, err := lab.Up(ctx, cfg, false, env.Progress()); err != nil && !errors.Is(err, lab.ErrAlreadyUp) {
		return err
	}
	return useLab(st, cfg.Name)
}

// InstallLab installs the lab's packages on this machine, first saying that they would start
// a dockerd and an sshd on this machine itself, and asking (or, off a terminal, reading
// --host-daemons) whether to leave those stopped and disabled.
func InstallLab(ctx context.Context, env *wizard.Env, hostDaemons string, o lab.InstallOptions) error {
	if err := lab.CheckInstall(); err != nil {
		return err
	}
	if d := lab.HostDocker(); d != "" {
		Say(env, "lab.install.hostdocker", d)
	}
	units := lab.HostDaemonUnits()
	stop := true
	switch hostDaemons {
	case "stop":
	case "keep":
		stop = false
	case "":
		if len(units) == 0 {
			break
		}
		Say(env, "lab.install.daemons", strings.Join(units, ", "))
		if !env.Interactive {
			return failure.Usagef("%s", Msg("lab.install.daemons.flag", nil))
		}
		var err error
		if stop, err = env.Prompter.Confirm(Msg("lab.install.daemons.question", nil), "", true); err != nil {
			return err
		}
	default:
		return failure.Usagef("%s", Msg("cli.hostdaemons", hostDaemons))
	}
	o.StopHostDaemons = stop
	if o.Log == "" {
		o.Log = lab.InstallLog
	}
	// One line while apt-get works; its hundred lines go to the log, shown only on failure.
	rep := progress.Start(env.Progress(), Msg("lab.install.progress", map[string]string{
		"Packages": strings.Join(lab.InstallPackages(), ", "), "Log": o.Log}), 1)
	err := lab.Install(ctx, o)
	rep.Item(Msg("lab.install.item", nil), err, "")
	rep.Stop()
	var failed *lab.InstallError
	if errors.As(err, &failed) {
		env.Println(Msg("lab.install.tail", failed.Log))
		env.Println(failed.Tail)
	}
	return err
}

// useLab takes the nodes and SSH settings of the lab called name.
func useLab(st *wizard.State, name string) error {
	if err := lab.CheckOS(); err != nil {
		return err
	}
	inv, err := lab.Load(name)
	if err != nil {
		return failure.Usagef("%v", err)
	}
	st.LabName = name
	// The lab's own login; the run's other SSH settings (timeout, ssh_config) stay.
	st.SSH.User, st.SSH.KeyFiles, st.SSH.KnownHosts = inv.User, []string{inv.IdentityFile}, inv.KnownHostsFile
	st.Nodes = nil
	for _, n := range inv.Nodes {
		st.Nodes = append(st.Nodes, &wizard.Node{Host: n.Address})
	}
	return nil
}

// ParseHosts reads a list of nodes, comma- or newline-separated, each `host`, `user@host`,
// `host:port` or `user@host:port` (IPv6 in brackets when a port follows).
func ParseHosts(text string) ([]*wizard.Node, error) {
	var nodes []*wizard.Node
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' }) {
		n, err := ParseHost(f)
		if err != nil {
			return nil, err
		}
		// host and host:22 are the same node, as are user@host and host.
		port := n.Port
		if port == 0 {
			port = 22
		}
		key := net.JoinHostPort(n.Host, strconv.Itoa(port))
		if seen[key] {
			return nil, errors.New(Msg("hosts.twice", f))
		}
		seen[key] = true
		nodes = append(nodes, n)
	}
	if len(nodes) == 0 {
		return nil, errors.New(Msg("hosts.none", nil))
	}
	return nodes, nil
}

// ParseHost reads one `[user@]host[:port]`.
func ParseHost(s string) (*wizard.Node, error) {
	n := &wizard.Node{}
	if user, rest, ok := strings.Cut(s, "@"); ok {
		if user == "" {
			return nil, errors.New(Msg("hosts.nouser", s))
		}
		n.User, s = user, rest
	}
	host := s
	if h, p, err := net.SplitHostPort(s); err == nil {
		port, perr := strconv.Atoi(p)
		if perr != nil || port < 1 || port > 65535 {
			return nil, errors.New(Msg("hosts.port", []string{s, p}))
		}
		host, n.Port = h, port
	}
	if !remote.ValidHost(host) {
		return nil, errors.New(Msg("hosts.bad", s))
	}
	n.Host = host
	return n, nil
}
