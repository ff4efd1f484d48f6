package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra/doc"

	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// The command reference (docs/reference, Markdown) and the man pages (docs/man) are made from
// the command tree itself, so they cannot drift from what `--help` says. `make docs` writes
// them (UPDATE_DOCS=1); without it this test fails when they are stale.
func TestReferenceDocsAreCurrent(t *testing.T) {
	templates.SetLang("en")
	dir := t.TempDir()
	md, man := filepath.Join(dir, "reference"), filepath.Join(dir, "man")
	os.MkdirAll(md, 0o755)
	os.MkdirAll(man, 0o755)
	root := newRoot(&wizard.Env{}, nil)
	root.DisableAutoGenTag = true // no date: the same tree gives the same files
	if err := doc.GenMarkdownTree(root, md); err != nil {
		t.Fatal(err)
	}
	// The man pages' date is fixed for the same reason.
	header := &doc.GenManHeader{Title: "SWARMWIZ", Section: "1", Source: "swarmwiz", Manual: "swarmwiz manual", Date: &manDate}
	if err := doc.GenManTree(root, header, man); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"reference", "man"} {
		want := filepath.Join("..", "..", "docs", sub)
		if os.Getenv("UPDATE_DOCS") == "1" {
			os.RemoveAll(want)
			if err := os.CopyFS(want, os.DirFS(filepath.Join(dir, sub))); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if stale := differ(t, filepath.Join(dir, sub), want); len(stale) > 0 {
			t.Errorf("docs/%s is stale (run make docs): %v", sub, stale)
		}
	}
}

// differ lists the files that are not the same in the two folders.
func differ(t *testing.T, got, want string) []string {
	var out []string
	names := func(d string) []string {
		es, _ := os.ReadDir(d)
		var n []string
		for _, e := range es {
			n = append(n, e.Name())
		}
		return n
	}
	g, w := names(got), names(want)
	for _, n := range g {
		a, _ := os.ReadFile(filepath.Join(got, n))
		b, err := os.ReadFile(filepath.Join(want, n))
		if err != nil || !bytes.Equal(a, b) {
			out = append(out, n)
		}
	}
	for _, n := range w {
		if !slices.Contains(g, n) {
			out = append(out, n+" (no longer made)")
		}
	}
	return out
}

var manDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// The README is a learner's first page: short, starting with the two commands, and every
// relative link in it and in docs/ leads to a file that exists.
func TestReadmeShortAndLinksWork(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n > 150 {
		t.Errorf("README.md has %d lines; at most 150 (the rest belongs in docs/)", n)
	}
	if !bytes.Contains(b[:200], []byte("go run ./cmd/swarmwiz")) || !bytes.Contains(b[:300], []byte("make test")) {
		t.Errorf("README.md must start with the two commands")
	}
	link := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	files, _ := filepath.Glob("../../docs/*.md")
	ko, _ := filepath.Glob("../../docs/ko/*.md")
	for _, f := range append(append(files, ko...), "../../README.md", "../../README.ko.md") {
		text, _ := os.ReadFile(f)
		for _, m := range link.FindAllSubmatch(text, -1) {
			target := filepath.Join(filepath.Dir(f), string(m[1]))
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, m[1])
			}
		}
	}
}

// The troubleshooting table, in English and in Korean, is the catalog's (trouble.table): what
// swarmwiz names and how it proves it is written once, where its words are. `make docs`
// writes it into the docs (UPDATE_DOCS=1); without it this test fails when they differ.
func TestTroubleshootingTableFromTheCatalog(t *testing.T) {
	defer templates.SetLang(templates.Lang())
	const start, end = "<!-- The table is made from the message catalog (trouble.table) by make docs: edit it there. -->", "<!-- end of the table -->"
	for lang, file := range map[string]string{"en": "../../docs/troubleshooting.md", "ko": "../../docs/ko/troubleshooting.md"} {
		templates.SetLang(lang)
		table := templates.Msg("trouble.table", nil)
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		doc := string(b)
		i, j := strings.Index(doc, start), strings.Index(doc, end)
		if i < 0 || j < i {
			t.Fatalf("%s lacks the table's markers", file)
		}
		made := doc[:i+len(start)] + "\n" + table + "\n" + doc[j:]
		if os.Getenv("UPDATE_DOCS") == "1" {
			if err := os.WriteFile(file, []byte(made), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if made != doc {
			t.Errorf("%s's table is not the catalog's trouble.table in %s (run make docs)", file, lang)
		}
	}
}
