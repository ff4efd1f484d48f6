package steps

import "github.com/swarmwiz/swarmwiz/wizard"

// Options are the flags that change how the flows behave.
type Options struct {
	Yes      bool
	Force    bool
	Leave    []string // hostnames for `swarmwiz leave`
	SavePlan string   // write the plan here after the summary
	// LeaveOther makes nodes in another swarm leave it, as the preflight offers to.
	LeaveOther bool
	// Check is the check offered after create (Check.Yes: --check, run it unasked).
	Check Check
	// InstallDocker, DockerSource and OpenFirewall: see Preflight.
	InstallDocker bool
	DockerSource  string
	OpenFirewall  bool
}

// Create is the guided wizard: from where the nodes are to the node table.
func Create(o Options) []wizard.Step {
	return []wizard.Step{
		ChooseNodes{}, SSHLogin{}, Connect{}, SudoAccess{}, ReadFacts{},
		ChooseFirstManager{}, CountManagers{}, ChooseManagers{}, LockNodes{}, FindMembers{LeaveOther: o.LeaveOther}, InitChoices{Yes: o.Yes}, Preflight{LeaveOther: o.LeaveOther, InstallDocker: o.InstallDocker, DockerSource: o.DockerSource, OpenFirewall: o.OpenFirewall}, ConfirmPlan{Yes: o.Yes, SavePlan: o.SavePlan},
		LeaveOtherSwarms{}, InitSwarm{}, RemoveStale{}, JoinManagers{}, JoinWorkers{}, ChangeRoles{}, ShowNodes{Next: true},
		withOffer(o.Check), NextSteps{},
	}
}

// Status prints the node table and quorum health of a running swarm.
func Status(watch bool) []wizard.Step {
	return []wizard.Step{ChooseNodes{Existing: true}, SSHLogin{}, Connect{Tolerant: true}, SudoAccess{}, ReadFacts{}, ShowNodes{Verdict: true, Watch: watch}}
}

// Leave takes nodes out of a swarm.
func Leave(o Options) []wizard.Step {
	return []wizard.Step{
		ChooseNodes{Existing: true}, SSHLogin{}, Connect{Tolerant: true}, SudoAccess{}, ReadFacts{}, LockNodes{},
		LeaveNodes{Names: o.Leave, Force: o.Force, Yes: o.Yes}, ShowNodes{},
	}
}

// CheckFlow proves a running swarm works: containers on every node talking.
func CheckFlow(c Check) []wizard.Step {
	return []wizard.Step{ChooseNodes{Existing: true}, SSHLogin{}, Connect{Tolerant: true}, SudoAccess{}, ReadFacts{}, c}
}

func withOffer(c Check) Check {
	c.Offer = true
	return c
}

// ChangeRoleFlow is `swarmwiz promote` and `swarmwiz demote`.
func ChangeRoleFlow(c ChangeRole) []wizard.Step {
	return []wizard.Step{ChooseNodes{Existing: true}, SSHLogin{}, Connect{Tolerant: true}, SudoAccess{}, ReadFacts{}, LockNodes{}, c, ShowNodes{}}
}

// RecoverFlow brings back a swarm that lost its quorum.
func RecoverFlow(r Recover) []wizard.Step {
	return []wizard.Step{ChooseNodes{Existing: true}, SSHLogin{}, Connect{Tolerant: true}, SudoAccess{}, ReadFacts{}, LockNodes{}, r, ShowNodes{}}
}

// DrillFlow is the failover lesson on a practice lab.
func DrillFlow(d Drill) []wizard.Step {
	return []wizard.Step{ChooseNodes{Existing: true}, SSHLogin{}, Connect{}, SudoAccess{}, ReadFacts{}, LockNodes{}, d, ShowNodes{}}
}

// RotateTokensFlow is `swarmwiz rotate-tokens`.
func RotateTokensFlow(r RotateTokens) []wizard.Step {
	return []wizard.Step{ChooseNodes{Existing: true}, SSHLogin{}, Connect{Tolerant: true}, SudoAccess{}, ReadFacts{}, LockNodes{}, r}
}

// UnlockFlow is `swarmwiz unlock`.
func UnlockFlow(u Unlock) []wizard.Step {
	return []wizard.Step{ChooseNodes{Existing: true}, SSHLogin{}, Connect{Tolerant: true}, SudoAccess{}, ReadFacts{}, LockNodes{}, u, ShowNodes{}}
}
