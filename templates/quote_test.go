package templates

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{"abc": "abc", "10.0.0.1:2377": "10.0.0.1:2377", "": "''", "a b": "'a b'", "it's": `'it'\''s'`, "$(rm -rf /)": "'$(rm -rf /)'"} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %q, want %q", in, got, want)
		}
	}
}

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
		tmpl := base().Lookup(filepath.Base(f))
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
