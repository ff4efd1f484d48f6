package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// Every command a user can see has its one line, and every flag its description, from the
// catalog: a command or flag added without its sentence fails here.
func TestHelpComesFromTheCatalog(t *testing.T) {
	for _, lang := range templates.Langs() {
		templates.SetLang(lang)
		root := newRoot(&wizard.Env{}, nil)
		var walk func(c *cobra.Command)
		commands, flags := 0, 0
		walk = func(c *cobra.Command) {
			if c.Hidden {
				return
			}
			if c.Short == "" && c.Name() != "completion" && !(c.HasParent() && c.Parent().Name() == "completion") {
				t.Errorf("%s: %s has no cmd%s.short in the catalog", lang, c.CommandPath(), commandKey(c))
			}
			commands++
			c.Flags().VisitAll(func(f *pflag.Flag) {
				flags++
				if f.Usage == "" {
					t.Errorf("%s: %s --%s has no flag.%s (or flag%s.%s) in the catalog", lang, c.CommandPath(), f.Name, f.Name, commandKey(c), f.Name)
				}
			})
			for _, sub := range c.Commands() {
				walk(sub)
			}
		}
		walk(root)
		if commands < 15 || flags < 100 {
			t.Errorf("%s: walked only %d commands and %d flags", lang, commands, flags)
		}
	}
	templates.SetLang("en")
}

func help(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"} {
		t.Setenv(k, env[k])
	}
	code, _, e, errOut := call(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	return e.Out.(*bytes.Buffer).String()
}

// `--lang ko` and a Korean locale make the help Korean: no English sentence of the
// catalog is left in it; a language without a catalog is English, with no error.
func TestHelpInKorean(t *testing.T) {
	defer templates.SetLang("en")
	for _, c := range []struct {
		env  map[string]string
		args []string
	}{
		{nil, []string{"--lang", "ko", "--help"}},
		{map[string]string{"LANG": "ko_KR.UTF-8"}, []string{"create", "--help"}},
		{map[string]string{"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, []string{"lab", "up", "--help"}},
		{map[string]string{"LANG": "en_US.UTF-8"}, []string{"status", "--lang=ko", "--help"}},
	} {
		out := help(t, c.env, c.args...)
		if !strings.Contains(out, "사용법:") || !strings.Contains(out, "플래그:") {
			t.Errorf("%v %v: not Korean:\n%s", c.env, c.args, out)
		}
		for _, p := range templates.Phrases("en") {
			if strings.Contains(out, p) {
				t.Errorf("%v %v: English left in the Korean help: %q", c.env, c.args, p)
			}
		}
	}
	if out := help(t, nil, "--lang", "ko", "--help"); !strings.Contains(out, "처음 만드는 Docker Swarm 클러스터") || !strings.Contains(out, "노드의 SSH 사용자") {
		t.Errorf("swarmwiz --lang ko --help lacks the Korean command line and flags:\n%s", out)
	}
	out := help(t, map[string]string{"LANG": "ko_KR.UTF-8"}, "--lang", "xx", "--help")
	if !strings.Contains(out, "Usage:") || !strings.Contains(out, "Build your first Docker Swarm cluster") {
		t.Errorf("--lang xx: want English:\n%s", out)
	}
	if out := help(t, map[string]string{"LANG": "de_DE.UTF-8"}, "--help"); !strings.Contains(out, "Usage:") {
		t.Errorf("LANG=de_DE: want English:\n%s", out)
	}
	// A refusal is Korean too, and still exit 2.
	t.Setenv("LANG", "ko_KR.UTF-8")
	if code, _, _, errOut := call(t, "create", "--managers", "0", "--lab", "lab"); code != 2 || !strings.Contains(errOut, "매니저 수를 1 이상으로") {
		t.Errorf("create --managers 0 in Korean: exit %d, %q", code, errOut)
	}
	_ = context.Background
}

// flagValues are the words flags take as values that Korean help names as they are typed.
var flagValues = []string{"active", "drain", "preinstalled", "none", "stop", "keep", "dist", "json"}

// Every command's help in Korean has no English a Korean learner did not ask for: once
// commands, flags, their values, names and code are taken out, no English word is left
// (cobra's and pflag's own words included: "(default ...)", "string", "[flags]").
func TestKoreanHelpHasNoStrayEnglish(t *testing.T) {
	root := newRoot(&wizard.Env{}, nil)
	var paths [][]string
	allow := append([]string{}, flagValues...)
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.Hidden {
			return
		}
		paths = append(paths, path)
		allow = append(allow, c.Name())
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	walk(root, nil)
	for _, p := range paths {
		out := help(t, map[string]string{"LANG": "ko_KR.UTF-8"}, append(p, "--help")...)
		if stray := templates.StrayEnglish(out, allow...); len(stray) > 0 {
			t.Errorf("swarmwiz %s --help in Korean shows English: %q", strings.Join(p, " "), stray)
		}
	}
	if len(paths) < 20 {
		t.Errorf("walked only %d commands", len(paths))
	}
}
