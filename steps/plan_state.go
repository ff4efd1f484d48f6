package steps

import (
	"github.com/swarmwiz/swarmwiz/internal/plan"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// FromPlan is the starting State a plan file describes: every question answered.
func FromPlan(p *plan.Plan) *wizard.State {
	st := &wizard.State{Advertise: p.AdvertiseAddr, Managers: p.Managers(), EvenOK: p.AllowEvenManagers}
	st.SSH = wizard.SSH{User: p.SSH.User, KnownHosts: p.SSH.KnownHosts, Port: p.SSH.Port}
	if p.SSH.Key != "" {
		st.SSH.KeyFiles = []string{p.SSH.Key}
	}
	first := p.First()
	for i := range p.Nodes {
		pn := &p.Nodes[i]
		n := &wizard.Node{Host: pn.Host, Port: pn.Port, User: pn.User, Role: wizard.Role(pn.Role)}
		if pn == first {
			st.First = n
		}
		st.Nodes = append(st.Nodes, n)
	}
	return st
}

// ToPlan is the plan of what the wizard was told: never a password, passphrase or token.
func ToPlan(st *wizard.State) *plan.Plan {
	p := &plan.Plan{APIVersion: plan.APIVersion, AdvertiseAddr: st.Advertise, AllowEvenManagers: st.Managers%2 == 0}
	p.SSH = plan.SSH{User: st.SSH.User, KnownHosts: st.SSH.KnownHosts, Port: st.SSH.Port}
	if len(st.SSH.KeyFiles) > 0 {
		p.SSH.Key = st.SSH.KeyFiles[0]
	}
	// The first manager goes first: it is where init runs when the plan is replayed.
	p.Nodes = append(p.Nodes, planNode(st.First))
	for _, n := range st.Nodes {
		if n != st.First {
			p.Nodes = append(p.Nodes, planNode(n))
		}
	}
	return p
}

func planNode(n *wizard.Node) plan.Node {
	return plan.Node{Host: n.Host, Role: string(n.Role), User: n.User, Port: n.Port}
}
