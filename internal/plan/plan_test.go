package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/failure"
)

const good = `apiVersion: swarmwiz/v1
advertiseAddr: 10.0.0.11
ssh:
  user: root
  key: /root/.ssh/id_ed25519
nodes:
  - host: 10.0.0.11
    role: manager
  - host: 10.0.0.12
    role: manager
  - host: 10.0.0.13
    role: manager
  - host: 10.0.0.14
    role: worker
    user: admin
    port: 2222
`

func TestLoadGood(t *testing.T) {
	p, err := Load(strings.NewReader(good), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.First().Host != "10.0.0.11" || p.Managers() != 3 || p.Nodes[3].Port != 2222 || p.SSH.User != "root" {
		t.Errorf("%+v", p)
	}
}

// Malformed plans, one per way of getting it wrong, are in testdata/malformed; each file's
// first line says what the refusal must say after the file name.
func malformed(t testing.TB) map[string]string {
	files, _ := filepath.Glob("testdata/malformed/*.yaml")
	if len(files) != 10 {
		t.Fatalf("want 10 malformed plans, found %d", len(files))
	}
	out := map[string]string{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		first, _, _ := strings.Cut(string(b), "\n")
		out[f] = strings.TrimPrefix(first, "# want: ")
	}
	return out
}

func TestLoadRefusesMalformed(t *testing.T) {
	for file, want := range malformed(t) {
		_, err := LoadFile(file)
		if failure.Code(err) != failure.ExitUsage || !strings.HasPrefix(err.Error(), file+want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want prefix %q", file, err, file+want)
		}
	}
}

func TestSaveIs0600AndRoundTrips(t *testing.T) {
	p, _ := Load(strings.NewReader(good), "plan.yaml")
	path := filepath.Join(t.TempDir(), "p.yaml")
	os.WriteFile(path, []byte("old"), 0o644)
	if err := Save(p, path); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	q, err := LoadFile(path)
	if err != nil || len(q.Nodes) != 4 || q.Nodes[3].User != "admin" {
		t.Fatalf("round trip: %v %+v", err, q)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(good)
	for file := range malformed(f) {
		b, _ := os.ReadFile(file)
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Load(strings.NewReader(s), "f.yaml")
		if err != nil {
			if failure.Code(err) != failure.ExitUsage || strings.Contains(err.Error(), "\n") {
				t.Fatalf("not a one-line usage error: %q", err)
			}
			return
		}
		if p.First() == nil || len(p.Nodes) == 0 {
			t.Fatalf("accepted a plan without a first manager: %q", s)
		}
	})
}
