package create

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/preflight"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// Preflight checks every node before anything changes: OS, docker, unique names and IDs,
// clocks, firewalls, another swarm, and whether each node reaches the first manager's swarm
// ports. Errors block; warnings are explained. Where a fix is safe to make (leave another
// swarm, open the swarm ports, install docker), it is offered, shown first, and made only
// with consent.
type Preflight struct {
	// LeaveOther answers "make it leave" for nodes in another swarm (--leave-other-swarms).
	LeaveOther bool
	// InstallDocker is the consent to install Docker Engine where it is missing
	// (--install-docker); on a terminal without it the wizard asks.
	InstallDocker bool
	// DockerSource is where Docker comes from (--docker-source): preflight.SourceDocker
	// (Docker's repository) or preflight.SourceDistro (the OS's own packages); "" asks on a
	// terminal, and is Docker's repository off one, the OS's own packages in a practice lab.
	DockerSource string
	// OpenFirewall is the consent to open the swarm ports in a node's firewall
	// (--open-firewall); on a terminal without it the wizard asks.
	OpenFirewall bool
}

func (Preflight) Title() string { return msg("preflight.title", nil) }

// SkipIn: only in make bench's fastest order, which measures what the checks cost.
func (Preflight) SkipIn(env *wizard.Env, _ *wizard.State) bool { return env.NoChecks }

func (p Preflight) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	probed := probePorts(ctx, env, st)
	findings := append(preflight.Check(preflightNodes(st), st.Advertise, checkOptions(env, st)), probed...)
	if len(findings) == 0 {
		if !env.Quiet {
			say(env, "preflight.ok", len(st.Nodes))
		}
		return nil
	}
	env.Println(PreflightText(findings))
	for _, f := range findings {
		if f.Level == preflight.Error {
			env.Class.Problem(f.Node, f.Check+": "+f.Result, f.Fix)
		}
	}
	changes, nodes := len(st.Done), len(st.Nodes)
	if err := p.resolve(ctx, env, st); err != nil {
		return err
	}
	// Judge again what the choices and fixes changed; probe the ports again only where a
	// fix (a firewall opened, docker installed) or a node left out changed what it sees.
	if len(st.Done) > changes || len(st.Nodes) != nodes {
		probed = probePorts(ctx, env, st)
	}
	var blocking, fresh []preflight.Finding
	seen := map[string]bool{}
	for _, f := range findings {
		seen[f.Node+"\x00"+f.Check+"\x00"+f.Result] = true
	}
	for _, f := range append(preflight.Check(preflightNodes(st), st.Advertise, checkOptions(env, st)), probed...) {
		if f.Level == preflight.Error {
			blocking = append(blocking, f)
		}
		// What the fixes brought to light (engines of different versions, once docker is
		// installed) is shown too.
		if !seen[f.Node+"\x00"+f.Check+"\x00"+f.Result] && f.Level != preflight.Error {
			fresh = append(fresh, f)
		}
	}
	if len(fresh) > 0 {
		env.Println(PreflightText(fresh))
	}
	if len(blocking) > 0 {
		return errors.New(msg("preflight.blocked", len(blocking)))
	}
	return nil
}

func preflightNodes(st *wizard.State) []preflight.Node {
	out := make([]preflight.Node, len(st.Nodes))
	for i, n := range st.Nodes {
		out[i] = preflightNode(n)
	}
	return out
}

func preflightNode(n *wizard.Node) preflight.Node {
	return preflight.Node{Name: n.Name(), Addr: n.Host, Facts: n.Facts, Skew: n.Skew, Member: n.Member, WillLeave: n.LeaveOther}
}

// checkOptions say where the advice will be read: on a terminal or not, in a lab or not.
func checkOptions(env *wizard.Env, st *wizard.State) preflight.Options {
	return preflight.Options{Interactive: env.Interactive, Lab: st.LabName, VXLANPort: st.Init.DataPathPort}
}

// probePorts checks, from every node that will join, the first manager's swarm ports.
func probePorts(ctx context.Context, env *wizard.Env, st *wizard.State) []preflight.Finding {
	joining := st.ToJoin("")
	if len(joining) == 0 {
		return nil
	}
	// UDP between every pair, while the TCP probes run.
	udp := make(chan []preflight.Finding, 1)
	go func() { udp <- probeUDP(ctx, env, st) }()
	rep := progress.Start(env.Progress(), msg("preflight.probe", st.Advertise), len(joining))
	results := make([][]preflight.Finding, len(joining))
	prelude.EachRead(env, joining, func(i int, n *wizard.Node) error {
		blocked, err := reachFrom(ctx, env, n, st.Advertise)
		if err == nil && len(blocked) > 0 {
			// A blocked port is no tick: the table below says which and why.
			rep.Item(n.Name(), errors.New(msg("preflight.probe.blocked", len(blocked))), "")
		} else {
			rep.Item(n.Name(), err, "")
		}
		if err != nil {
			return err
		}
		for _, b := range blocked {
			port, why := b.Port, b.Why
			// A firewall is blamed only where the node's own routing says the packet arrives.
			fix := preflight.RouteFix(preflightNode(st.First), preflightNode(n), st.Advertise)
			if fix == "" {
				fix = msg("preflight.port.fix", map[string]any{"First": st.First.Name(), "Port": port, "Open": prelude.OpenOn(st.First, strconv.Itoa(port), "tcp")})
			}
			results[i] = append(results[i], preflight.Finding{Node: n.Name(), Level: preflight.Error,
				Check:  msg("preflight.port.check", map[string]any{"Addr": st.Advertise, "Port": port}),
				Result: blockedResult(why),
				Fix:    fix,
			})
		}
		return nil
	})
	rep.Stop()
	var all []preflight.Finding
	for _, r := range results {
		all = append(all, r...)
	}
	all = append(all, probeBack(ctx, env, st)...)
	all = append(all, probeMesh(ctx, env, st)...)
	return append(all, <-udp...)
}

// probeMesh checks the ways between the other nodes, every pair, in one fan-out per node:
// each tries 7946/tcp (gossip) on every other node and 2377/tcp on every other manager; the
// first manager's ports and its way back to joining managers are probePorts' and probeBack's.
// Nothing listens there before the join, so refused is open, and a drop is a timeout. A port
// no node reaches is the target's firewall; one some reach and others do not is named with
// both, and no fix is guessed.
func probeMesh(ctx context.Context, env *wizard.Env, st *wizard.State) []preflight.Finding {
	var nodes []*wizard.Node
	for _, n := range st.Nodes {
		if n.Role != "" && n.Conn != nil {
			nodes = append(nodes, n)
		}
	}
	type key struct {
		target *wizard.Node
		port   int
	}
	var mu sync.Mutex
	failed, tried := map[key][]string{}, map[key]int{}
	why := map[key]string{}
	prelude.EachRead(env, nodes, func(_ int, n *wizard.Node) error {
		var wg sync.WaitGroup
		for _, m := range nodes {
			if m == n || m == st.First {
				continue
			}
			ports := []int{7946}
			if m.Role == wizard.Manager && n != st.First {
				ports = append(ports, 2377)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				blocked, err := reachFrom(ctx, env, n, joinAddr(m), ports...)
				mu.Lock()
				defer mu.Unlock()
				for _, p := range ports {
					k := key{m, p}
					if err == nil {
						tried[k]++
					}
				}
				for _, b := range blocked {
					k := key{m, b.Port}
					failed[k], why[k] = append(failed[k], n.Name()), b.Why
				}
			}()
		}
		wg.Wait()
		return nil
	})
	var out []preflight.Finding
	for _, m := range nodes {
		for _, port := range []int{7946, 2377} {
			if k := (key{m, port}); len(failed[k]) > 0 {
				out = append(out, meshFinding(m, port, "tcp", failed[k], tried[k]-len(failed[k]), why[k]))
			}
		}
	}
	return out
}

// meshFinding says that the nodes from could not reach m's port over proto, while reached
// others did: none did is m's own firewall, with its fix; only some is something between,
// named with who cannot, and no fix guessed. why is what a TCP probe met.
func meshFinding(m *wizard.Node, port int, proto string, from []string, reached int, why string) preflight.Finding {
	slices.Sort(from)
	data := map[string]any{"Node": m.Name(), "Port": port, "From": templates.List(from), "Reached": reached,
		"Open": prelude.OpenOn(m, strconv.Itoa(port), proto)}
	f := preflight.Finding{Node: m.Name(), Level: preflight.Error}
	switch {
	case proto == "udp":
		f.Check, f.Result = msg("preflight.udp.check", data), msg("preflight.udp.unheard", nil)
		f.Fix = msg("preflight.udp.partial", data)
		if reached == 0 {
			f.Fix = msg("preflight.udp.fix", data)
		}
	default:
		f.Check, f.Result = msg("preflight.mesh.check", data), blockedResult(why)
		f.Fix = msg("preflight.mesh.partial", data)
		if reached == 0 {
			f.Fix = msg("preflight.mesh.fix", data)
		}
	}
	return f
}

// blockedResult is a TCP probe's result in the user's words: why is the probe's word for
// what it met (timeout, noroute, unreachable), or the system's own text for anything else.
func blockedResult(why string) string {
	return msg("preflight.blocked.result", map[string]any{"Why": why})
}

// probeBack checks the other direction: the first manager must reach every node that joins
// as a manager on its own 2377, since the leader connects back to a joining manager. Where
// it cannot, the join fails half-way and leaves a stale entry in the node list. Nothing
// listens there before the join, so "refused" means the way is open.
func probeBack(ctx context.Context, env *wizard.Env, st *wizard.State) []preflight.Finding {
	managers := st.ToJoin(wizard.Manager)
	if len(managers) == 0 {
		return nil
	}
	results := make([][]preflight.Finding, len(managers))
	prelude.EachRead(env, managers, func(i int, n *wizard.Node) error {
		addr := joinAddr(n)
		blocked, err := reachFrom(ctx, env, st.First, addr, 2377)
		if err != nil {
			return err
		}
		for _, b := range blocked {
			port, why := b.Port, b.Why
			results[i] = append(results[i], preflight.Finding{Node: st.First.Name(), Level: preflight.Error,
				Check:  msg("preflight.portback.check", map[string]any{"Node": n.Name(), "Addr": addr, "Port": port}),
				Result: blockedResult(why),
				Fix:    msg("preflight.portback.fix", map[string]any{"First": st.First.Name(), "Node": n.Name(), "Port": port, "Open": prelude.OpenOn(n, strconv.Itoa(port), "tcp")}),
			})
		}
		return nil
	})
	var all []preflight.Finding
	for _, r := range results {
		all = append(all, r...)
	}
	return all
}

// reachFrom asks n which of addr's ports (none given: the swarm's) it cannot reach: sshd
// connects from the node where it forwards TCP (no process started on the node), the probe
// script asks where it does not. Either way it is what the node sees.
func reachFrom(ctx context.Context, env *wizard.Env, n *wizard.Node, addr string, ports ...int) ([]preflight.Blocked, error) {
	script := preflight.ProbeScript(addr, ports...)
	var blocked []preflight.Blocked
	err := env.ReadBy(ctx, n, script, func(ctx context.Context) error {
		if d, ok := n.Conn.(remote.TCPDialer); ok {
			var forwarded bool
			if blocked, forwarded = preflight.ProbeForward(ctx, d, addr, ports); forwarded {
				return nil
			}
		}
		out, _, err := n.Conn.Run(ctx, script)
		blocked = preflight.ParseProbe(out)
		return err
	})
	return blocked, err
}

// joinAddr is the address a joining node is reached at: the one swarmwiz reached it by
// when that is one of its own, else its first address other nodes could reach.
func joinAddr(n *wizard.Node) string {
	if n.Facts.HasIP(n.Host) {
		return n.Host
	}
	if c := n.Facts.AdvertiseCandidates(); len(c) > 0 {
		return c[0].IP
	}
	return n.Host
}

// resolve offers the fixes swarmwiz can make: another swarm one node at a time, then
// Docker where it is missing and the swarm ports where a firewall closes them.
func (p Preflight) resolve(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	for _, n := range append([]*wizard.Node(nil), st.Nodes...) {
		if err := p.resolveSwarm(ctx, env, st, n); err != nil {
			return err
		}
	}
	if err := p.installDocker(ctx, env, st); err != nil {
		return err
	}
	return p.openFirewalls(ctx, env, st)
}

// resolveSwarm deals with a node in another swarm: leave it, or leave the node out.
func (p Preflight) resolveSwarm(ctx context.Context, env *wizard.Env, st *wizard.State, n *wizard.Node) error {
	s := n.Facts.Swarm
	if n.Member || s.LocalNodeState != "active" || n.LeaveOther {
		return nil
	}
	leave := p.LeaveOther
	if !leave && env.Interactive {
		say(env, "preflight.other.explain", map[string]any{"Node": n.Name(), "Manager": s.ControlAvailable})
		options := []string{msg("preflight.other.leave", n.Name()), msg("preflight.other.drop", nil), msg("connect.option.quit", nil)}
		i, err := env.Prompter.Select(msg("preflight.other.question", n.Name()), "", options, options[0])
		if err != nil {
			return err
		}
		switch i {
		case 1:
			prelude.DropNode(st, n)
			return nil
		case 2:
			return errors.New(msg("preflight.other.quit", n.Name()))
		}
		leave = true
	}
	// Only planned here: every change waits for the user's yes at the summary.
	n.LeaveOther = leave
	return nil
}

// installDocker installs Docker Engine on every node that lacks it, and starts it (with
// systemd) where it is installed but stopped, with consent: the scripts are shown first (one
// per kind of OS), asked once on a terminal, or given by --install-docker off one. They run on
// all those nodes at once.
func (p Preflight) installDocker(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	var nodes []*wizard.Node
	missing := false
	for _, n := range st.Nodes {
		switch {
		case !n.Facts.DockerInstalled:
			nodes, missing = append(nodes, n), true
		case !n.Facts.DockerAnswers() && n.Facts.Systemd:
			nodes = append(nodes, n)
		}
	}
	if len(nodes) == 0 || (!env.Interactive && !p.InstallDocker) {
		return nil // the finding's fix names the flag
	}
	source := ""
	if missing {
		var err error
		if source, err = p.source(env, st); err != nil {
			return err
		}
	}
	scripts, order, byScript, ready := installScripts(env, nodes, source)
	if len(ready) == 0 {
		return nil
	}
	var names []string
	for _, s := range order {
		names = append(names, byScript[s]...)
		if !env.Quiet || !p.InstallDocker {
			env.Printf("\n%s\n%s\n", msg("preflight.install.for", strings.Join(byScript[s], ", ")), indent(s))
		}
	}
	if !p.InstallDocker {
		ok, err := env.Prompter.Confirm(msg("preflight.install.question", strings.Join(names, ", ")), "", false)
		if err != nil || !ok {
			return err
		}
	}
	return fixAll(ctx, env, st, ready, msg("preflight.install.progress", nil), func(n *wizard.Node) (string, string) {
		if n.Facts.DockerInstalled {
			return scripts[n], msg("preflight.start.done", n.Name())
		}
		return scripts[n], msg("preflight.install.done", n.Name())
	})
}

// installScripts are the scripts that install (or start) docker on nodes, each node's, and
// the nodes of each (byScript, in order): one is shown per kind of OS. ready are the nodes
// with a script; one without (its OS or source has none) is said and left as found.
func installScripts(env *wizard.Env, nodes []*wizard.Node, source string) (scripts map[*wizard.Node]string, order []string, byScript map[string][]string, ready []*wizard.Node) {
	scripts, byScript = map[*wizard.Node]string{}, map[string][]string{}
	for _, n := range nodes {
		s, err := preflight.StartScript(n.Facts)
		if !n.Facts.DockerInstalled {
			s, err = preflight.InstallScript(n.Facts, source)
		}
		if err != nil {
			env.Println("  " + err.Error())
			continue
		}
		scripts[n] = s
		ready = append(ready, n)
		if byScript[s] == nil {
			order = append(order, s)
		}
		byScript[s] = append(byScript[s], n.Name())
	}
	return scripts, order, byScript, ready
}

// source is where Docker is installed from: the flag, else the OS's own packages in a
// practice lab (it has no route to Docker's repository), else asked on a terminal, else
// Docker's repository, as Docker documents.
func (p Preflight) source(env *wizard.Env, st *wizard.State) (string, error) {
	switch {
	case p.DockerSource != "":
		return p.DockerSource, nil
	case st.LabName != "":
		return preflight.SourceDistro, nil
	case !env.Interactive:
		return preflight.SourceDocker, nil
	}
	options := []string{msg("preflight.source.docker", nil), msg("preflight.source.distro", nil)}
	i, err := env.Prompter.Select(msg("preflight.source.question", nil), msg("preflight.source.help", nil), options, options[0])
	if err != nil {
		return "", err
	}
	if i == 1 {
		return preflight.SourceDistro, nil
	}
	return preflight.SourceDocker, nil
}

// openFirewalls opens the swarm ports on nodes whose firewall closes them, with consent:
// each node's commands are shown and asked on a terminal, or --open-firewall gives it.
func (p Preflight) openFirewalls(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	if !env.Interactive && !p.OpenFirewall {
		return nil
	}
	scripts := map[*wizard.Node]string{}
	var nodes []*wizard.Node
	for _, n := range st.Nodes {
		fw := preflight.Firewall(n.Facts)
		if fw == "" || n.Member || !n.Facts.DockerInstalled {
			continue
		}
		nft, _ := n.Facts.NftDrop()
		s, err := preflight.FirewallScript(fw, nft, st.Init.DataPathPort)
		if err != nil {
			return err
		}
		if !env.Quiet || !p.OpenFirewall {
			env.Printf("\n%s\n", indent(s))
		}
		if !p.OpenFirewall {
			ok, err := env.Prompter.Confirm(msg("preflight.firewall.question", map[string]string{"Node": n.Name(), "Firewall": fw}), "", false)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		scripts[n] = s
		nodes = append(nodes, n)
	}
	return fixAll(ctx, env, st, nodes, msg("preflight.firewall.progress", nil), func(n *wizard.Node) (string, string) {
		return scripts[n], msg("preflight.firewall.done", n.Name())
	})
}

// fixAll runs each node's fix at once on all nodes, then reads their facts again. A node
// whose fix failed is named with its command; the others keep what they got.
func fixAll(ctx context.Context, env *wizard.Env, st *wizard.State, nodes []*wizard.Node, title string, fix func(*wizard.Node) (script, done string)) error {
	if len(nodes) == 0 {
		return nil
	}
	rep := progress.Start(prelude.ChangeProgress(env), title, len(nodes))
	errs := prelude.EachNode(env, nodes, func(_ int, n *wizard.Node) error {
		t0 := time.Now()
		script, done := fix(n)
		// The progress line says it is done; the account records it.
		out, err := env.Change(ctx, st, n, script, "", "")
		if err == nil && !env.DryRun {
			st.Record(done)
			if strings.Contains(out, preflight.RulesNotKept) {
				// Said plainly: the swarm would partition at this node's first reboot.
				say(env, "preflight.firewall.notkept", map[string]string{"Node": n.Name(), "Firewall": preflight.Firewall(n.Facts)})
			}
			err = prelude.ReadFactsOf(ctx, env, n)
		}
		rep.Item(n.Name(), err, msg("preflight.fix.item", time.Since(t0).Seconds()))
		return err
	})
	rep.Stop()
	return errors.Join(errs...)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
}
