package steps

import (
	"github.com/swarmwiz/swarmwiz/steps/check"
	"github.com/swarmwiz/swarmwiz/steps/create"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/steps/quorum"
	"github.com/swarmwiz/swarmwiz/steps/secrets"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// Options are the flags that change how the flows behave.
type Options struct {
	Yes      bool
	Force    bool
	Leave    []string // hostnames for `swarmwiz leave`
	SavePlan string   // write the plan here after the summary
	// LeaveOther makes nodes in another swarm leave it, as the preflight offers to.
	LeaveOther bool
	// Check is the check offered after create (Check.Yes: --check, run it unasked).
	Check check.Check
	// InstallDocker, DockerSource and OpenFirewall: see Preflight.
	InstallDocker bool
	DockerSource  string
	OpenFirewall  bool
}

// Create is the guided wizard: from where the nodes are to the node table.
func Create(o Options) []wizard.Step {
	return []wizard.Step{
		prelude.ChooseNodes{}, prelude.SSHLogin{}, prelude.Connect{Lock: true}, prelude.SudoAccess{}, prelude.ReadFacts{},
		create.ChooseFirstManager{}, create.CountManagers{}, create.ChooseManagers{}, prelude.LockNodes{}, create.FindMembers{LeaveOther: o.LeaveOther}, create.InitChoices{Yes: o.Yes}, create.Preflight{LeaveOther: o.LeaveOther, InstallDocker: o.InstallDocker, DockerSource: o.DockerSource, OpenFirewall: o.OpenFirewall}, create.ConfirmPlan{Yes: o.Yes, SavePlan: o.SavePlan},
		create.LeaveOtherSwarms{}, create.InitSwarm{}, create.RemoveStale{}, create.JoinManagers{}, create.JoinWorkers{}, create.ChangeRoles{}, quorum.ShowNodes{Next: true},
		withOffer(o.Check), create.NextSteps{},
	}
}

// Status prints the node table and quorum health of a running swarm.
func Status(watch bool) []wizard.Step {
	return []wizard.Step{prelude.ChooseNodes{Existing: true}, prelude.SSHLogin{}, prelude.Connect{Tolerant: true}, prelude.SudoAccess{}, prelude.ReadFacts{}, quorum.ShowNodes{Verdict: true, Watch: watch}}
}

// Leave takes nodes out of a swarm.
func Leave(o Options) []wizard.Step {
	return []wizard.Step{
		prelude.ChooseNodes{Existing: true}, prelude.SSHLogin{}, prelude.Connect{Tolerant: true, Lock: true}, prelude.SudoAccess{}, prelude.ReadFacts{}, prelude.LockNodes{},
		quorum.LeaveNodes{Names: o.Leave, Force: o.Force, Yes: o.Yes}, quorum.ShowNodes{},
	}
}

// CheckFlow proves a running swarm works: containers on every node talking.
func CheckFlow(c check.Check) []wizard.Step {
	return []wizard.Step{prelude.ChooseNodes{Existing: true}, prelude.SSHLogin{}, prelude.Connect{Tolerant: true}, prelude.SudoAccess{}, prelude.ReadFacts{}, c}
}

func withOffer(c check.Check) check.Check {
	c.Offer = true
	return c
}

// ChangeRoleFlow is `swarmwiz promote` and `swarmwiz demote`.
func ChangeRoleFlow(c quorum.ChangeRole) []wizard.Step {
	return []wizard.Step{prelude.ChooseNodes{Existing: true}, prelude.SSHLogin{}, prelude.Connect{Tolerant: true, Lock: true}, prelude.SudoAccess{}, prelude.ReadFacts{}, prelude.LockNodes{}, c, quorum.ShowNodes{}}
}

// RecoverFlow brings back a swarm that lost its quorum.
func RecoverFlow(r quorum.Recover) []wizard.Step {
	return []wizard.Step{prelude.ChooseNodes{Existing: true}, prelude.SSHLogin{}, prelude.Connect{Tolerant: true, Lock: true}, prelude.SudoAccess{}, prelude.ReadFacts{}, prelude.LockNodes{}, r, quorum.ShowNodes{}}
}

// DrillFlow is the failover lesson on a practice lab.
func DrillFlow(d quorum.Drill) []wizard.Step {
	return []wizard.Step{prelude.ChooseNodes{Existing: true}, prelude.SSHLogin{}, prelude.Connect{Lock: true}, prelude.SudoAccess{}, prelude.ReadFacts{}, prelude.LockNodes{}, d, quorum.ShowNodes{}}
}

// RotateTokensFlow is `swarmwiz rotate-tokens`.
func RotateTokensFlow(r secrets.RotateTokens) []wizard.Step {
	return []wizard.Step{prelude.ChooseNodes{Existing: true}, prelude.SSHLogin{}, prelude.Connect{Tolerant: true, Lock: true}, prelude.SudoAccess{}, prelude.ReadFacts{}, prelude.LockNodes{}, r}
}

// UnlockFlow is `swarmwiz unlock`.
func UnlockFlow(u secrets.Unlock) []wizard.Step {
	return []wizard.Step{prelude.ChooseNodes{Existing: true}, prelude.SSHLogin{}, prelude.Connect{Tolerant: true, Lock: true}, prelude.SudoAccess{}, prelude.ReadFacts{}, prelude.LockNodes{}, u, quorum.ShowNodes{}}
}
