// Package lint holds checks over the source tree itself.
package lint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// matchers are the calls that decide something by reading a string.
var matchers = map[string]bool{
	"strings.Contains": true, "strings.ContainsAny": true, "strings.HasPrefix": true, "strings.HasSuffix": true,
	"strings.Index": true, "strings.IndexAny": true, "strings.LastIndex": true, "strings.EqualFold": true,
	"strings.Cut": true, "strings.Count": true, "bytes.Contains": true,
	".MatchString": true, ".FindStringSubmatch": true, ".FindString": true, ".FindAllString": true,
}

// allowed are the functions that read an error's text because the library behind it gives no
// other way to tell; each names the library and its fixed wording. Keep it short.
var allowed = map[string]string{
	// x/crypto/ssh has no type for "every method refused": "ssh: unable to authenticate, ...".
	"internal/remote/remote.go:loginError": "x/crypto/ssh client_auth.go",
	// yaml v3 gives a plan's line only inside its messages ("yaml: line 3: ...").
	"internal/plan/plan.go:yamlLine": "yaml v3 TypeError/yamlError text",
	"internal/plan/plan.go:yamlMsg":  "yaml v3: \"field X not found in type\"",
	// Presentation only: the classroom shows the last clause of an error; nothing branches on it.
	"internal/classroom/client.go:shortWhy": "shortens what is shown",
	// docker's API refuses to remove a manager's entry with "... must be demoted ... before removal".
	"steps/create/converge.go:Run": "docker's node rm refusal",
}

// No code decides by reading an error's text or swarmwiz's own catalog sentences: both change
// with the language and with a library's wording. Branch on a type (errors.As) instead.
func TestNoDecisionByErrorText(t *testing.T) {
	root, _ := filepath.Abs("../..")
	var found []string
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || rel == "internal/e2e" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, perr := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if perr != nil {
			t.Fatal(perr)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			for _, what := range textDecisions(fn.Body) {
				key := rel + ":" + fn.Name.Name
				if _, ok := allowed[key]; !ok {
					found = append(found, key+": "+what)
				}
			}
		}
		return nil
	})
	sort.Strings(found)
	for _, f := range found {
		t.Errorf("decides by text: %s (branch on the error's type; or, for a library that has none, allow-list it with a comment)", f)
	}
}

// textDecisions lists the matcher calls in body that read an error's text or a catalog
// sentence, directly or through a variable assigned from one.
func textDecisions(body *ast.BlockStmt) []string {
	tainted := map[string]bool{}
	// Two passes: a variable assigned from another tainted one is tainted too.
	for range 2 {
		ast.Inspect(body, func(n ast.Node) bool {
			if as, ok := n.(*ast.AssignStmt); ok {
				for i, rhs := range as.Rhs {
					if i < len(as.Lhs) && isStringOfText(rhs, tainted) {
						if id, ok := as.Lhs[i].(*ast.Ident); ok {
							tainted[id.Name] = true
						}
					}
				}
			}
			return true
		})
	}
	var out []string
	ast.Inspect(body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			name := callName(x)
			if !matchers[name] && !matchers["."+selName(x)] {
				return true
			}
			for _, a := range x.Args {
				if isText(a, tainted) {
					out = append(out, name)
					break
				}
			}
		case *ast.BinaryExpr:
			if (x.Op == token.EQL || x.Op == token.NEQ) && (isStringOfText(x.X, tainted) && isLit(x.Y) || isStringOfText(x.Y, tainted) && isLit(x.X)) {
				out = append(out, "==")
			}
		case *ast.SwitchStmt:
			if x.Tag != nil && isStringOfText(x.Tag, tainted) {
				out = append(out, "switch")
			}
		}
		return true
	})
	return out
}

// isText says whether e reads an error's text (x.Error()) or a catalog sentence (msg(...),
// templates.Msg(...)), or a variable holding one.
func isText(e ast.Expr, tainted map[string]bool) bool {
	hit := false
	ast.Inspect(e, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			if s := selName(x); (s == "Error" && len(x.Args) == 0) || s == "Msg" || callName(x) == "msg" {
				hit = true
			}
		case *ast.Ident:
			hit = hit || tainted[x.Name]
		}
		return !hit
	})
	return hit
}

// isStringOfText says whether e is itself such a text (not, say, an error made from one): an
// .Error() or catalog call, a strings function of one, or a variable holding one.
func isStringOfText(e ast.Expr, tainted map[string]bool) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return tainted[x.Name]
	case *ast.ParenExpr:
		return isStringOfText(x.X, tainted)
	case *ast.CallExpr:
		if s := selName(x); (s == "Error" && len(x.Args) == 0) || s == "Msg" || callName(x) == "msg" {
			return true
		}
		if strings.HasPrefix(callName(x), "strings.") {
			for _, a := range x.Args {
				if isStringOfText(a, tainted) {
					return true
				}
			}
		}
	}
	return false
}

func isLit(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	return ok && l.Kind == token.STRING && l.Value != `""` // == "" asks whether there is any text
}

func callName(c *ast.CallExpr) string {
	switch f := c.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		if id, ok := f.X.(*ast.Ident); ok {
			return id.Name + "." + f.Sel.Name
		}
		return "." + f.Sel.Name
	}
	return ""
}

func selName(c *ast.CallExpr) string {
	if f, ok := c.Fun.(*ast.SelectorExpr); ok {
		return f.Sel.Name
	}
	return ""
}
