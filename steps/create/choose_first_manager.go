package create

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
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
			for i, n := range st.Nodes {
				options[i] = fmt.Sprintf("%s (%s, %s)", n.Name(), n.Host, n.Facts.OS)
			}
			def := options[defaultFirst(st.Nodes)]
			i, err := env.Prompter.Select(msg("first.question", nil), msg("first.help", nil), options, def)
			if err != nil {
				return err
			}
			st.First = st.Nodes[i]
		}
	}
	st.First.Role = wizard.Manager
	if fs := st.First.Facts.Swarm; fs.LocalNodeState == "active" && fs.ControlAvailable && fs.NodeAddr != "" {
		// A re-run: the swarm exists and advertises what it advertises, unless the user asked
		// for another address: never silently use the old one.
		if st.Advertise == "" || st.Advertise == fs.NodeAddr {
			st.Advertise = fs.NodeAddr
			return nil
		}
		if err := CheckAdvertise(st.First, st.Advertise); err != nil {
			return failure.Usagef("--advertise-addr %v", err)
		}
		data := map[string]any{"Node": st.First.Name(), "Old": fs.NodeAddr, "New": st.Advertise, "Nodes": fs.Nodes}
		if fs.Nodes > 1 {
			// A manager keeps the address it joined Raft with; moving a swarm is not a re-run.
			return failure.Usagef("%s", msg("advertise.moved.refused", data))
		}
		// A swarm of this node alone: it leaves and starts again on the new address, once the
		// user confirms the summary. Nothing else lived there.
		say(env, "advertise.moved.restart", data)
		st.First.LeaveOther = true
		return nil
	}
	if st.Advertise != "" {
		if env.NoChecks {
			return nil // make bench's fastest order read no addresses to check it against
		}
		if err := CheckAdvertise(st.First, st.Advertise); err != nil {
			return failure.Usagef("--advertise-addr %v", err)
		}
		return nil
	}
	return chooseAdvertise(env, st)
}

// defaultFirst is the node Enter picks as the first manager: on a re-run, a manager of the
// swarm that holds the most of these nodes (building on it is what a re-run means); never a
// manager of a swarm that holds none of the others, which is someone else's; else the first
// node in no swarm at all.
func defaultFirst(nodes []*wizard.Node) int {
	best, bestCount := -1, 1
	for i, n := range nodes {
		s := n.Facts.Swarm
		if s.LocalNodeState != "active" || !s.ControlAvailable {
			continue
		}
		if c := sameSwarm(nodes, n); c > bestCount {
			best, bestCount = i, c
		}
	}
	if best >= 0 {
		return best
	}
	for i, n := range nodes {
		if n.Facts.Swarm.LocalNodeState != "active" {
			return i
		}
	}
	return 0
}

// sameSwarm counts the nodes in m's swarm, m included: those that know one of the managers
// m knows.
func sameSwarm(nodes []*wizard.Node, m *wizard.Node) int {
	managers := map[string]bool{}
	for _, r := range m.Facts.Swarm.RemoteManagers {
		managers[r.NodeID] = true
	}
	count := 0
	for _, n := range nodes {
		for _, r := range n.Facts.Swarm.RemoteManagers {
			if n.Facts.Swarm.LocalNodeState == "active" && managers[r.NodeID] {
				count++
				break
			}
		}
	}
	return count
}

func chooseAdvertise(env *wizard.Env, st *wizard.State) error {
	n := st.First
	cands := n.Facts.AdvertiseCandidates()
	if err := prelude.NeedTerminal(env, msg("advertise.flag", nil)); err != nil {
		// Off a terminal nothing is guessed: a wrong address breaks the swarm for good.
		return err
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
		shared := sharedWith(st, n, a.IP)
		if shared != "" {
			note += ", " + msg("advertise.shared", shared)
		}
		label := fmt.Sprintf("%s (%s)", a.IP, note)
		if a.IP == n.Host && shared == "" {
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

// sharedWith names the other nodes that have ip too ("" when none): no node can reach an
// address every node has.
func sharedWith(st *wizard.State, first *wizard.Node, ip string) string {
	var names []string
	for _, m := range st.Nodes {
		if m != first && m.Facts.HasIP(ip) {
			names = append(names, m.Name())
		}
	}
	return strings.Join(names, ", ")
}

// CheckAdvertise accepts an IP address that the node has.
func CheckAdvertise(n *wizard.Node, s string) error {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return errors.New(msg("advertise.notip", map[string]string{"Addr": s, "Node": n.Name(), "Example": exampleIP(n)}))
	}
	if ip.IsLoopback() || !n.Facts.HasIP(ip.String()) {
		return errors.New(msg("advertise.notown", map[string]string{"Addr": s, "Node": n.Name(), "Example": exampleIP(n)}))
	}
	return nil
}

func exampleIP(n *wizard.Node) string {
	if c := n.Facts.AdvertiseCandidates(); len(c) > 0 {
		return c[0].IP
	}
	return n.Host
}
