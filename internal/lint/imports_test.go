package lint

import (
	"os/exec"
	"strings"
	"testing"
)

// The house's arrows point down only: cmd → steps → wizard → internal → templates. A package
// may import only what is below it; templates imports nothing of swarmwiz's. Read from the
// go tool's own list of each package's imports (tests left out: a test may reach across).
//
// Inside steps/ the rooms are floors too: steps (the flows, the table of contents) → the
// families (create, check, quorum, secrets) → prelude (the steps every flow begins with, and
// what they all use). A family imports another only through that one's API where the
// house says so (familyAPI): the quorum family's drill and status use check's probe image
// and gossip reading, create's init keeps the unlock key as the secrets family does.
func TestImportsPointDown(t *testing.T) {
	const mod = "github.com/swarmwiz/swarmwiz/"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	// level is a package's floor in the house: a package imports only from higher numbers.
	level := func(p string) float64 {
		p = strings.TrimPrefix(p, mod)
		switch {
		case strings.HasPrefix(p, "cmd/"):
			return 0
		case p == "steps":
			return 1
		case p == "steps/prelude", p == "steps/stepstest":
			return 1.8
		case strings.HasPrefix(p, "steps/"):
			return 1.5
		case p == "wizard":
			return 2
		case strings.HasPrefix(p, "internal/"):
			return 3
		case p == "templates":
			return 4
		}
		return -1
	}
	familyAPI := map[string]bool{"steps/quorum steps/check": true, "steps/create steps/secrets": true}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		from := level(f[0])
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			checked++
			to := level(imp)
			pair := strings.TrimPrefix(f[0], mod) + " " + strings.TrimPrefix(imp, mod)
			// Within internal/, packages use each other (remote uses docker); upwards is never allowed.
			if to < from || (to == from && from != 3 && imp != f[0] && !familyAPI[pair]) {
				t.Errorf("%s imports %s: arrows point down only (cmd → steps → families → prelude → wizard → internal → templates)", strings.TrimPrefix(f[0], mod), strings.TrimPrefix(imp, mod))
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d imports of swarmwiz's own seen: the list is not what it seems", checked)
	}
}
