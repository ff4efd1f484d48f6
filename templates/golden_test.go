package templates

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

type addr struct{ Host, Fingerprint string }
type row struct {
	ID, Hostname, Status, Availability, ManagerStatus, EngineVersion string
	Self                                                             bool
}

// fixtures are the data each template file is rendered with for its golden file.
var fixtures = map[string]any{
	"net-up.sh.tmpl": map[string]any{"Name": "lab", "Bridge": "swb-lab", "HostCIDR": "198.18.0.1/24", "Tag": "swarmwiz-lab-lab",
		"Nodes": []map[string]string{{"Hostname": "node1", "Netns": "swz-lab-1", "Veth": "sw-lab-1", "CIDR": "198.18.0.2/24"}}},
	"down.sh.tmpl": map[string]string{"Name": "lab", "NetnsPattern": "^swz-lab-[0-9]+$", "VethPattern": "^sw-lab-[0-9]+$",
		"Bridge": "swb-lab", "Tag": "swarmwiz-lab-lab"},
	"node-boot.sh.tmpl":      map[string]string{"Hostname": "node1", "Dir": "/var/lib/swarmwiz/lab/lab/nodes/node1"},
	"node-stop.sh.tmpl":      map[string]string{"Hostname": "node1", "Netns": "swz-lab-1"},
	"install-debian.sh.tmpl": nil,
	"sshd_config.tmpl": map[string]string{"Hostname": "node1", "Address": "198.18.0.2", "Dir": "/var/lib/swarmwiz/lab/lab/nodes/node1",
		"AuthorizedKeys": "/var/lib/swarmwiz/lab/lab/authorized_keys"},
	"hosts.tmpl":               map[string]any{"Nodes": []map[string]string{{"Name": "node1", "Address": "198.18.0.2"}, {"Name": "node2", "Address": "198.18.0.3"}}},
	"facts.sh.tmpl":            map[string]bool{"Docker": true},
	"swarm-init.tmpl":          map[string]string{"Addr": "10.0.0.11"},
	"join-token.tmpl":          map[string]string{"Role": "worker"},
	"swarm-join.tmpl":          map[string]string{"Token": "SWMTKN-1-abc-def", "Manager": "10.0.0.11:2377", "Advertise": ""},
	"node-ls.tmpl":             nil,
	"swarm-leave.tmpl":         map[string]bool{"Force": true},
	"node-demote.tmpl":         map[string]string{"Node": "node3"},
	"node-rm.tmpl":             map[string]any{"Node": "node3", "Force": false},
	"node-manager-status.tmpl": map[string]string{"Node": "abc123"},
	"lab-up.tmpl": map[string]any{"Name": "lab", "User": "root", "IdentityFile": "/k", "KnownHostsFile": "/kh",
		"Nodes": []map[string]string{{"Name": "node1", "Address": "198.18.0.2"}}},
	"lab-status.tmpl": map[string]any{"Name": "lab", "Subnet": "198.18.0.0/24",
		"Nodes": []map[string]any{{"Name": "node1", "Address": "198.18.0.2", "SSHD": true, "Dockerd": false, "Swarm": "unknown"}}},
	"quorum-table.tmpl":  []map[string]int{{"Managers": 1, "Quorum": 1, "Tolerates": 0}, {"Managers": 2, "Quorum": 2, "Tolerates": 0}, {"Managers": 3, "Quorum": 2, "Tolerates": 1}},
	"new-host-keys.tmpl": map[string]any{"KnownHosts": "/root/.ssh/known_hosts", "Hosts": []addr{{"10.0.0.11", "SHA256:abc"}}},
	"summary.tmpl": map[string]any{"First": "n1", "Advertise": "10.0.0.11", "Managers": 3, "Quorum": 2, "Tolerates": 1, "Workers": 4,
		"Rows": []map[string]string{{"Name": "n1", "Host": "10.0.0.11", "Role": "first manager", "OS": "CentOS Linux 7 (Core)", "Docker": "24.0.7"}}},
	"node-table.tmpl":               []row{{"id1", "n1", "Ready", "Active", "Leader", "24.0.7", true}, {"id2", "n2", "Ready", "Active", "", "24.0.7", false}},
	"next-steps.tmpl":               nil,
	"sudo-mode.sh.tmpl":             nil,
	"install-docker-rhel.sh.tmpl":   map[string]any{"Name": "Rocky Linux 9.3", "PM": "dnf", "CentOS7": false},
	"install-docker-debian.sh.tmpl": map[string]any{"Name": "Debian GNU/Linux 12", "ID": "debian"},
	"firewall-open.sh.tmpl":         map[string]string{"Firewall": "firewalld"},
	"probe-ports.sh.tmpl":           map[string]string{"Addr": "10.0.0.11"},
	"preflight.tmpl": []map[string]any{{"Level": levelString("ERROR"), "Node": "node2", "Check": "reach 10.0.0.11:2377",
		"Result": "blocked (timeout)", "Fix": "on node1, let 2377/tcp in"}},
	"baseline.sh.tmpl": map[string]any{"Key": "/k", "KnownHosts": "/kh", "First": "198.18.0.2",
		"Managers": []string{"198.18.0.3", "198.18.0.4"}, "Workers": []string{"198.18.0.5"}},
}

// Every template file renders as its golden file says; shell scripts also pass `bash -n`.
// Run `go test ./templates -update` after changing a template, and read the diff.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("*/*.tmpl")
	sort.Strings(files)
	for _, f := range files {
		if strings.HasPrefix(f, "messages/") {
			continue // the catalog is tested through the sentences the steps' tests read
		}
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, ok := fixtures[name]
			if !ok {
				t.Fatalf("no fixture for %s: add one to fixtures", name)
			}
			got, err := Render(name, data)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", strings.TrimSuffix(name, ".tmpl")+".golden")
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, golden, got, want)
			}
			if strings.HasSuffix(name, ".sh.tmpl") || strings.HasPrefix(f, "docker/") {
				if out, err := exec.Command("bash", "-n", "-c", got).CombinedOutput(); err != nil {
					t.Errorf("bash -n: %v %s", err, out)
				}
			}
		})
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{"abc": "abc", "10.0.0.1:2377": "10.0.0.1:2377", "": "''", "a b": "'a b'", "it's": `'it'\''s'`, "$(rm -rf /)": "'$(rm -rf /)'"} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every catalog key the code uses exists: a missing one would panic at the user.
func TestCatalogKeys(t *testing.T) {
	out, err := exec.Command("bash", "-c", `grep -rhoE '(msg|say)\((env, )?"[a-z.]+"' ../steps ../wizard | grep -oE '"[a-z.]+"' | tr -d '"' | sort -u`).Output()
	if err != nil {
		t.Fatal(err)
	}
	keys := strings.Fields(string(out))
	if len(keys) < 50 {
		t.Fatalf("found only %d keys: the pattern is stale", len(keys))
	}
	for _, k := range keys {
		if all.Lookup(k) == nil {
			t.Errorf("catalog lacks %q", k)
		}
	}
}

// levelString stands in for preflight.Level in fixtures (templates may not import it).
type levelString string

func (l levelString) String() string { return string(l) }

// shellTemplate says whether a template's output reaches a shell: scripts, docker commands
// and the benchmark's baseline.
func shellTemplate(file string) bool {
	return strings.HasSuffix(file, ".sh.tmpl") || strings.HasPrefix(file, "docker/") || strings.HasPrefix(file, "bench/")
}

// Every value that reaches a shell goes through quote; in a comment line, through comment
// (one line, so it cannot end the comment); and never inside a double-quoted string, where
// a single-quoted word is not one word. A template that pastes a value any other way fails
// here, before it can run on a node.
func TestShellTemplatesQuoteEveryValue(t *testing.T) {
	files, _ := filepath.Glob("*/*.tmpl")
	checked := 0
	for _, f := range files {
		if !shellTemplate(f) {
			continue
		}
		checked++
		tmpl := all.Lookup(filepath.Base(f))
		if tmpl == nil || tmpl.Tree == nil {
			t.Fatalf("%s: not parsed", f)
		}
		for _, bad := range unquotedActions(tmpl.Tree.Root) {
			t.Errorf("%s: %s", f, bad)
		}
	}
	if checked < 15 {
		t.Fatalf("checked only %d shell templates: the file pattern is stale", checked)
	}
}

// The checker itself: each way of pasting a value is caught, and the safe ways pass.
func TestQuoteCheckerCatchesUnquotedValues(t *testing.T) {
	for text, wantBad := range map[string]bool{
		"docker node rm {{.Node}}\n":                     true,
		"docker node rm -- {{quote .Node}}\n":            false,
		"bash -c \"exec 3<>/dev/tcp/{{quote .Addr}}\"\n": true,
		"# probes {{.Addr}}\n":                           true,
		"# probes {{comment .Addr}}\n":                   false,
		"echo {{comment .Addr}}\n":                       true,
		"{{range .Nodes}}ip addr add {{.CIDR}}{{end}}\n": true,
		"{{if .Force}} --force{{end}} {{quote .Node}}\n": false,
		"echo \"a\" {{quote .X}}\n":                      false,
	} {
		tmpl := template.Must(template.New("t").Funcs(funcs).Parse(text))
		if got := len(unquotedActions(tmpl.Tree.Root)) > 0; got != wantBad {
			t.Errorf("%q: flagged %v, want %v", text, got, wantBad)
		}
	}
}

// unquotedActions walks a template in output order, tracking the text of the current line,
// and lists every action that pastes a value unsafely.
func unquotedActions(root *parse.ListNode) []string {
	var bad []string
	line := ""
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.TextNode:
			s := string(n.Text)
			if i := strings.LastIndexByte(s, '\n'); i >= 0 {
				line = s[i+1:]
			} else {
				line += s
			}
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 {
				return // a variable set, nothing printed
			}
			last := n.Pipe.Cmds[len(n.Pipe.Cmds)-1]
			if _, ok := last.Args[0].(*parse.StringNode); ok && len(n.Pipe.Cmds) == 1 && len(last.Args) == 1 {
				line += "CONSTANT" // a literal of the template itself: proven constant
				return
			}
			fn := ""
			if id, ok := last.Args[0].(*parse.IdentifierNode); ok {
				fn = id.Ident
			}
			inComment := strings.HasPrefix(strings.TrimSpace(line), "#")
			switch {
			case inComment && fn != "comment":
				bad = append(bad, fmt.Sprintf("%s in a comment: use comment, so a value cannot end the comment line", n))
			case !inComment && fn != "quote":
				bad = append(bad, fmt.Sprintf("%s reaches the shell unquoted: use quote", n))
			case !inComment && strings.Count(line, `"`)%2 == 1:
				bad = append(bad, fmt.Sprintf("%s is inside a double-quoted string, where quote does not make one word", n))
			}
			line += "VALUE"
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			bad = append(bad, fmt.Sprintf("%s: a shell template may not include another", n))
		}
	}
	walk(root)
	return bad
}
