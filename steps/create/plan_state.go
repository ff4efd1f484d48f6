package create

import (
	"github.com/swarmwiz/swarmwiz/internal/docker"
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
	st.Init, _ = p.Init.Options() // validated when the plan was loaded
	st.PoolGiven = len(st.Init.Pools) > 0
	if p.Init != nil {
		st.UnlockKeyFile = p.Init.UnlockKeyFile
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
	if o := st.Init; o.Changed() || st.UnlockKeyFile != "" {
		p.Init = &plan.Init{DefaultAddrPool: o.Pools, DefaultAddrPoolMaskLength: o.PoolMaskLen, DataPathPort: o.DataPathPort,
			ManagerAvailability: o.Availability, Autolock: o.Autolock, UnlockKeyFile: st.UnlockKeyFile}
		if o.CertExpiry != 0 {
			p.Init.CertExpiry = docker.Hours(o.CertExpiry)
		}
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
