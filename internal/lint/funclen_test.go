package lint

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// MaxFuncLines is the longest a function in steps/ and cmd/ may be: the top function of a
// step or a command reads as its story, the parts it calls each do one thing.
const MaxFuncLines = 60

// No function in steps/ and cmd/ is longer than MaxFuncLines lines (tests aside); the
// failure lists every offender, longest first.
func TestNoLongFunctions(t *testing.T) {
	var long []string
	fset := token.NewFileSet()
	checked := 0
	for _, dir := range []string{"../../steps", "../../cmd"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			for _, decl := range f.Decls {
				fd, ok := decl.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				checked++
				if n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1; n > MaxFuncLines {
					long = append(long, fmt.Sprintf("%s: %s is %d lines", strings.TrimPrefix(path, "../../"), fd.Name.Name, n))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 100 {
		t.Fatalf("only %d functions read: is the tree where this test looks?", checked)
	}
	if len(long) > 0 {
		t.Errorf("functions over %d lines: split them by what each part does:\n%s", MaxFuncLines, strings.Join(long, "\n"))
	}
}
