package templates_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/templates"
)

// messageFuncs are the ways a sentence is taken from the catalog, and which argument is its
// key: templates.Msg itself and the steps' msg and say.
var messageFuncs = map[string]int{"templates.Msg": 0, "msg": 0, "say": 1, "usage": 0, "templates.Sentence": 0}

// Every call that takes a sentence from the catalog, anywhere in the program, names its key
// as a literal, and the catalog has that key: a missing one would panic at the user, and a
// key built at run time could not be checked here.
func TestCatalogHasEveryKeyTheCodeUses(t *testing.T) {
	fset := token.NewFileSet()
	calls := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok {
					name = x.Name + "." + fn.Sel.Name
				}
			}
			i, isMsg := messageFuncs[name]
			if !isMsg || len(call.Args) <= i {
				return true
			}
			calls++
			pos := fset.Position(call.Pos())
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				// The helpers themselves pass their key parameter on.
				if id, isIdent := call.Args[i].(*ast.Ident); isIdent && id.Name == "key" {
					return true
				}
				t.Errorf("%s: %s takes a key that is not a literal: name the key, so this test can check it", pos, name)
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			if !templates.Has(key) {
				t.Errorf("%s: the catalog lacks %q", pos, key)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 100 {
		t.Fatalf("found only %d catalog calls: the search is stale", calls)
	}
}
