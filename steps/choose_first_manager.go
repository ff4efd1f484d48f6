package steps

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// ChooseFirstManager picks the node where `docker swarm init` runs, and the address it
// advertises to the others.
type ChooseFirstManager struct{}

func (ChooseFirstManager) Title() string { return msg("first.title", nil) }

func (ChooseFirstManager) Run(_ context.Context, env *wizard.Env, st *wizard.State) error {
	if st.First == nil {
		if len(st.Nodes) == 1 || !env.Interactive {
			// Off a terminal the first node listed is the first manager, as in a plan file.
			st.First = st.Nodes[0]
		} else {
			say(env, "first.explain", nil)
			options := make([]string, len(st.Nodes))
			def := ""
			for i, n := range st.Nodes {
				options[i] = fmt.Sprintf("%s (%s, %s)", n.Name(), n.Host, n.Facts.OS)
				if def == "" && n.Facts.Swarm.ControlAvailable {
					// Already a manager: building on its swarm is what a re-run means.
					def = options[i]
				}
			}
			if def == "" {
				def = options[0]
			}
			i, err := env.Prompter.Select(msg("first.question", nil), msg("first.help", nil), options, def)
			if err != nil {
				return err
			}
			st.First = st.Nodes[i]
		}
	}
	st.First.Role = wizard.Manager
	if fs := st.First.Facts.Swarm; fs.LocalNodeState == "active" && fs.ControlAvailable && fs.NodeAddr != "" {
		// A re-run: the swarm exists and advertises what it advertises.
		st.Advertise = fs.NodeAddr
		return nil
	}
	if st.Advertise != "" {
		if err := CheckAdvertise(st.First, st.Advertise); err != nil {
			return failure.Usagef("--advertise-addr %v", err)
		}
		return nil
	}
	return chooseAdvertise(env, st)
}

func chooseAdvertise(env *wizard.Env, st *wizard.State) error {
	n := st.First
	cands := n.Facts.AdvertiseCandidates()
	if !env.Interactive {
		// The address we reached it by is the one the other nodes most likely reach too.
		for _, a := range cands {
			if a.IP == n.Host {
				st.Advertise = a.IP
				return nil
			}
		}
		return needTerminal(env, "--advertise-addr IP")
	}
	say(env, "advertise.explain", nil)
	var options []string
	def := ""
	for _, a := range cands {
		note := a.Iface
		if a.IP == n.Host {
			note += ", " + msg("advertise.ssh", nil)
		}
		if a.IP == "10.0.2.15" {
			note += ", " + msg("advertise.vboxnat", nil)
		}
		label := fmt.Sprintf("%s (%s)", a.IP, note)
		if a.IP == n.Host {
			def = label
		}
		options = append(options, label)
	}
	other := msg("advertise.other", nil)
	options = append(options, other)
	i, err := env.Prompter.Select(msg("advertise.question", n.Name()), msg("advertise.help", nil), options, def)
	if err != nil {
		return err
	}
	if options[i] != other {
		st.Advertise = cands[i].IP
		return nil
	}
	addr, err := env.Prompter.Input(msg("advertise.input", n.Name()), msg("advertise.help", nil), "", func(s string) error {
		return CheckAdvertise(n, s)
	})
	if err != nil {
		return err
	}
	st.Advertise = addr
	return nil
}

// CheckAdvertise accepts an IP address that the node has.
func CheckAdvertise(n *wizard.Node, s string) error {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return fmt.Errorf("%q is not an IP address: give one of %s's, like %s", s, n.Name(), exampleIP(n))
	}
	if ip.IsLoopback() || !n.Facts.HasIP(ip.String()) {
		return fmt.Errorf("%s is not an address of %s: give one of its own, like %s", s, n.Name(), exampleIP(n))
	}
	return nil
}

func exampleIP(n *wizard.Node) string {
	if c := n.Facts.AdvertiseCandidates(); len(c) > 0 {
		return c[0].IP
	}
	return n.Host
}
