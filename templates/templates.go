// Package templates holds every shell command swarmwiz runs and every multi-line text it
// shows, as text/template files embedded in the binary. Keeping them out of the Go code means
// a learner can read exactly what runs, a reviewer can diff it, and a translator can add a
// message catalog without touching steps/.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
	"text/template/parse"
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

// msg is a catalog sentence inside a text, in the user's language: {{msg "key" .}}. Added at
// init: it renders through the sets that funcs itself builds.
func init() {
	funcs["msg"] = func(key string, data ...any) string {
		var d any
		if len(data) > 0 {
			d = data[0]
		}
		return Msg(key, d)
	}
}

// base is every template with the English catalog; each other messages/<lang>.tmpl is a
// copy of base with that catalog parsed over it, so a key it lacks stays English. Each set is
// parsed when first used: `swarmwiz version` and an English run never parse the others.
var base = sync.OnceValue(parseEnglish)

func parseEnglish() *template.Template {
	return template.Must(template.New("").Funcs(funcs).ParseFS(files,
		"lab/*.tmpl", "docker/*.tmpl", "messages/en.tmpl", "text/*.tmpl", "bench/*.tmpl", "os/*.tmpl"))
}

// sets are the template sets by language, each parsed once on first use; current is the
// set Render uses (nil: English, not parsed yet).
var (
	sets    = langSets()
	current atomic.Pointer[langSet]
)

type langSet struct {
	lang string
	t    *template.Template
}

// set is lang's template set; ok is false for a language without a catalog.
func set(lang string) (t *template.Template, ok bool) {
	load, ok := sets[lang]
	if !ok {
		return nil, false
	}
	return load(), true
}

// cur is the set in use, and its language.
func cur() *langSet {
	if c := current.Load(); c != nil {
		return c
	}
	c := &langSet{"en", base()}
	current.CompareAndSwap(nil, c)
	return current.Load()
}

func langSets() map[string]func() *template.Template {
	out := map[string]func() *template.Template{"en": base}
	names, _ := fs.Glob(files, "messages/*.tmpl")
	for _, name := range names {
		lang := strings.TrimSuffix(path.Base(name), ".tmpl")
		if lang == "en" {
			continue
		}
		// Parsed anew rather than cloned from base: text/template refuses to clone a set
		// that has already run, and English may have run by then.
		out[lang] = sync.OnceValue(func() *template.Template {
			return template.Must(parseEnglish().ParseFS(files, name))
		})
	}
	return out
}

// Langs are the languages that have a catalog, English first.
func Langs() []string {
	out := []string{"en"}
	for l := range sets {
		if l != "en" {
			out = append(out, l)
		}
	}
	sort.Strings(out[1:])
	return out
}

// SetLang makes lang the language of every sentence from now on and says which language
// that is: a language without a catalog is English, with no error.
func SetLang(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	t, ok := set(lang)
	if !ok {
		lang, t = "en", base()
	}
	current.Store(&langSet{lang, t})
	return lang
}

// Lang is the language in use.
func Lang() string { return cur().lang }

// LangFromEnv is the language the environment asks for, as gettext reads it: the locale is
// the first set of LC_ALL, LC_MESSAGES, LANG ("ko_KR.UTF-8" is Korean); in the C or POSIX
// locale messages are English; otherwise LANGUAGE, a list like "ko:en", comes first.
func LangFromEnv(getenv func(string) string) string {
	locale := ""
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(v); locale != "" {
			break
		}
	}
	if locale == "" || locale == "C" || locale == "POSIX" || strings.HasPrefix(locale, "C.") {
		return "en"
	}
	for _, l := range strings.Split(getenv("LANGUAGE"), ":") {
		if _, ok := sets[langOf(l)]; ok {
			return langOf(l)
		}
	}
	return langOf(locale)
}

// langOf is a locale's language: "ko_KR.UTF-8" and "ko" are "ko".
func langOf(locale string) string {
	locale = strings.ToLower(locale)
	if i := strings.IndexAny(locale, "_.@-"); i >= 0 {
		locale = locale[:i]
	}
	return locale
}

// Render executes the named template (its file name, e.g. "lab-down.sh.tmpl", or a
// {{define}} name) with data.
func Render(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := cur().t.ExecuteTemplate(&b, name, data); err != nil {
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

// List is names as a sentence names them, in the user's language: "node1, node2 and node3";
// in Korean a comma list, which needs no particle after a name whose final sound it cannot
// know ("node1, node3 도").
func List(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	// Not Msg: it would trim the space before "and".
	return strings.Join(names[:len(names)-1], MustRender("list.sep", nil)+" ") + MustRender("list.last", nil) + " " + names[len(names)-1]
}

// Sentence is an error value whose text is the catalog's sentence key, in the language in
// use when it is read: a sentinel error made when the program starts is still in the
// user's language when shown.
type Sentence string

func (s Sentence) Error() string { return Msg(string(s), nil) }

// Has says whether the catalog or the templates define name.
func Has(name string) bool { return cur().t.Lookup(name) != nil }

// Phrases are runs of four or more plain words from lang's catalog that no other catalog
// has: the words a screen shows only in that language. The tests look for English ones on a
// Korean screen; commands and names shared by every catalog are never among them.
func Phrases(lang string) []string {
	t, ok := set(lang)
	if !ok {
		return nil
	}
	var others []string
	for l := range sets {
		if l != lang {
			b, _ := files.ReadFile("messages/" + l + ".tmpl")
			others = append(others, string(b))
		}
	}
	own, _ := files.ReadFile("messages/" + lang + ".tmpl")
	seen := map[string]bool{}
	var out []string
	for _, part := range strings.Split(string(own), `{{define "`)[1:] {
		tmpl := t.Lookup(part[:strings.IndexByte(part, '"')])
		if tmpl == nil || tmpl.Tree == nil {
			continue
		}
		for _, text := range textNodes(tmpl.Tree.Root) {
			for _, p := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune("`:;(),.\"!?\n—{}[]<>=/", r) }) {
				p = strings.Join(strings.Fields(p), " ")
				if len(strings.Fields(p)) < 4 || seen[p] || strings.ContainsAny(p, "0123456789$*|&~@#+") {
					continue
				}
				shared := false
				for _, o := range others {
					shared = shared || strings.Contains(o, p)
				}
				if !shared {
					seen[p] = true
					out = append(out, p)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// textNodes are the literal texts of a template, outside its actions.
func textNodes(n parse.Node) []string {
	var out []string
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				out = append(out, textNodes(c)...)
			}
		}
	case *parse.TextNode:
		out = append(out, string(n.Text))
	case *parse.IfNode:
		out = append(append(out, textNodes(n.List)...), textNodes(n.ElseList)...)
	case *parse.RangeNode:
		out = append(append(out, textNodes(n.List)...), textNodes(n.ElseList)...)
	case *parse.WithNode:
		out = append(append(out, textNodes(n.List)...), textNodes(n.ElseList)...)
	}
	return out
}
