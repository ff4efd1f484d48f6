package prelude

import (
	"context"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/steps/stepstest"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// A host without the lab's programs is offered the install in every language: the offer
// follows the error's type, not its English words.
func TestLabInstallOfferedInEveryLanguage(t *testing.T) {
	defer func(f func() error) { checkLabHost = f }(checkLabHost)
	checkLabHost = func() error {
		return &lab.MissingError{Programs: []string{"dockerd", "sshd"}, Hint: "apt-get install docker.io"}
	}
	defer templates.SetLang("en")
	for _, lang := range []string{"en", "ko"} {
		templates.SetLang(lang)
		create, install := Msg("nodes.lab.create", nil), Msg("nodes.lab.install", "x")
		install = install[:strings.Index(install, "x")] // the question's words before the programs
		p := &wizard.Scripted{Script: []wizard.Answer{stepstest.Ans(create, "y"), stepstest.Ans(install, "n")}}
		env, _ := stepstest.TestEnv(p, nil, true)
		err := offerLab(context.Background(), env, &wizard.State{})
		if len(p.Asked) != 2 || len(p.Script) != 0 {
			t.Errorf("%s: the install was not offered: asked %q, err %v", lang, p.Asked, err)
		}
		if failure.Code(err) != failure.ExitUsage || !strings.Contains(err.Error(), "dockerd, sshd") {
			t.Errorf("%s: declining the install: want exit 2 naming what is missing, got %v", lang, err)
		}
	}
}
