// Package templates holds every shell command swarmwiz runs and every multi-line text it
// shows, as text/template files embedded in the binary. Keeping them out of the Go code means
// a learner can read exactly what runs, a reviewer can diff it, and a translator can add a
// message catalog without touching steps/.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed lab/*.tmpl docker/*.tmpl messages/*.tmpl text/*.tmpl bench/*.tmpl os/*.tmpl
var files embed.FS

// funcs are available to every template. quote is the only way a value reaches a shell:
// templates never paste a value unquoted.
var funcs = template.FuncMap{
	"quote": Quote,
	// comment is a value in a shell comment: made one line, so it cannot end the comment.
	"comment": func(v any) string {
		return strings.Join(strings.Fields(fmt.Sprint(v)), " ")
	},
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	// table lays out [][]string rows under a header, by display width (see Table).
	"table": Table,
	// list makes a header: {{table (list "NODE" "ADDRESS") .Rows}}.
	"list": func(cells ...string) []string { return cells },
}

var all = template.Must(template.New("").Funcs(funcs).ParseFS(files,
	"lab/*.tmpl", "docker/*.tmpl", "messages/*.tmpl", "text/*.tmpl", "bench/*.tmpl", "os/*.tmpl"))

// Render executes the named template (its file name, e.g. "lab-down.sh.tmpl", or a
// {{define}} name) with data.
func Render(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := all.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("template %s: %w", name, err)
	}
	return b.String(), nil
}

// MustRender is Render for templates whose data is fixed by the code: an error there is a
// programming mistake that the golden tests catch, not something a user can cause.
func MustRender(name string, data any) string {
	s, err := Render(name, data)
	if err != nil {
		panic(err)
	}
	return s
}

// Quote makes s one word for a POSIX shell: single quotes, with embedded single quotes
// closed, escaped and reopened. Plain words that need no quoting are left as they are so that
// commands shown to learners read like the ones they would type.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Msg is the catalog sentence key, rendered with data, in the user's language. The catalog
// is messages/<lang>.tmpl; English is the fallback for a key a translation lacks.
func Msg(key string, data any) string {
	return strings.TrimSpace(MustRender(key, data))
}

// Has says whether the catalog or the templates define name.
func Has(name string) bool { return all.Lookup(name) != nil }
