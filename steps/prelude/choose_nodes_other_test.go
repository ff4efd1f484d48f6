//go:build !linux

package prelude

import (
	"context"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/steps/stepstest"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// On macOS and Windows the practice lab is refused in one line, exit 2, before any question,
// saying how to practise on VMs instead. (Compiled for both by make cross; run there.)
func TestLabNeedsLinux(t *testing.T) {
	env, _ := stepstest.TestEnv(&wizard.Scripted{}, nil, true)
	for _, err := range []error{chooseLab(context.Background(), env, &wizard.State{}), useLab(&wizard.State{}, "lab")} {
		if failure.Code(err) != failure.ExitUsage || !strings.Contains(err.Error(), "needs Linux") || !strings.Contains(err.Error(), "Multipass") {
			t.Errorf("got %v", err)
		}
	}
}
