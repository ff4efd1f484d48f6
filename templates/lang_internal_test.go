package templates

import (
	"sort"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"
)

// Every catalog of another language has exactly English's keys, and each of its sentences
// uses only fields the English one uses: a translation can neither miss a sentence (it would
// fall back to English in the middle of Korean) nor render "<no value>".
func TestCatalogsMatchEnglish(t *testing.T) {
	en := catalogKeys(t, "en")
	if len(en) < 400 {
		t.Fatalf("only %d English keys: the catalog was not read", len(en))
	}
	if len(sets) < 2 {
		t.Fatalf("no catalog besides English: %v", Langs())
	}
	for lang := range sets {
		if lang == "en" {
			continue
		}
		keys := catalogKeys(t, lang)
		for k := range en {
			if !keys[k] {
				t.Errorf("%s.tmpl lacks %q", lang, k)
			}
		}
		for k := range keys {
			if !en[k] {
				t.Errorf("%s.tmpl has %q, which en.tmpl lacks", lang, k)
			}
		}
		for k := range keys {
			if !en[k] {
				continue
			}
			want := fields(mustSet(t, "en").Lookup(k).Tree.Root)
			for f := range fields(mustSet(t, lang).Lookup(k).Tree.Root) {
				if !want[f] {
					t.Errorf("%s.tmpl %q uses %s, which the English sentence does not: it would render <no value>", lang, k, f)
				}
			}
		}
	}
}

// catalogKeys are the keys messages/<lang>.tmpl defines.
func catalogKeys(t *testing.T, lang string) map[string]bool {
	b, err := files.ReadFile("messages/" + lang + ".tmpl")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, part := range strings.Split(string(b), `{{define "`)[1:] {
		keys[part[:strings.IndexByte(part, '"')]] = true
	}
	return keys
}

// fields are the field chains a template reads (".Node", ".Health.Quorum"), wherever they
// appear: in actions, conditions, ranges and calls.
func fields(n parse.Node) map[string]bool {
	out := map[string]bool{}
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			out["."+strings.Join(n.Ident, ".")] = true
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	walk(n)
	return out
}

func TestLangFromEnv(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LANG": "ko_KR.UTF-8"}, "ko"},
		{map[string]string{"LANG": "en_US.UTF-8"}, "en"},
		{map[string]string{}, "en"},
		{map[string]string{"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, "en"},
		{map[string]string{"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"},
		{map[string]string{"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"},
		{map[string]string{"LC_MESSAGES": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"},
		{map[string]string{"LANG": "de_DE.UTF-8", "LANGUAGE": "ko:de"}, "ko"},
		{map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "ko"}, "en"},
		{map[string]string{"LANG": "ko"}, "ko"},
	} {
		if got := LangFromEnv(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %q, want %q", c.env, got, c.want)
		}
	}
}

// A language without a catalog is English, with no error; Korean is Korean.
func TestSetLang(t *testing.T) {
	defer SetLang("en")
	if got := SetLang("xx"); got != "en" || Msg("summary.title", nil) != "Summary" {
		t.Errorf("SetLang(xx) = %q, summary.title %q", got, Msg("summary.title", nil))
	}
	if got := SetLang("ko"); got != "ko" || Msg("summary.title", nil) != "요약" {
		t.Errorf("SetLang(ko) = %q, summary.title %q", got, Msg("summary.title", nil))
	}
	if l := Langs(); !sort.StringsAreSorted(l[1:]) || l[0] != "en" {
		t.Errorf("Langs() = %v", l)
	}
}

func mustSet(t *testing.T, lang string) *template.Template {
	t.Helper()
	s, ok := set(lang)
	if !ok {
		t.Fatalf("no catalog for %s", lang)
	}
	return s
}
