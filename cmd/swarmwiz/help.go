package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/templates"
)

// The help is the catalog's: every command's one line is cmd.PATH.short and every flag's
// description flag.COMMAND.NAME (a flag that means something else on another command, like
// --yes) or flag.NAME, in the user's language. TestHelpComesFromTheCatalog walks the whole
// tree, so a command or flag without its sentence fails there, not in front of a user.

// flagData is what flag descriptions may use.
var flagData = map[string]any{"MaxNodes": lab.MaxNodes}

// describe fills c's help and its subcommands', in the language in use.
func describe(c *cobra.Command) {
	c.InitDefaultHelpFlag()
	if !c.HasParent() {
		c.InitDefaultHelpCmd()
		c.InitDefaultCompletionCmd()
		c.SetUsageTemplate(usageTemplate())
	}
	path := commandKey(c)
	if s, ok := catalog("cmd" + path + ".short"); ok {
		c.Short = s
	}
	c.Flags().VisitAll(func(f *pflag.Flag) { describeFlag(c, f) })
	c.PersistentFlags().VisitAll(func(f *pflag.Flag) { describeFlag(c, f) })
	for _, sub := range c.Commands() {
		if sub.Name() == "help" && !c.HasParent() {
			// cobra's own help command: its words from the catalog too.
			sub.Short, _ = catalog("cmd.help.short")
			sub.Long, _ = catalog("cmd.help.long")
			sub.InitDefaultHelpFlag()
			sub.Flags().VisitAll(func(f *pflag.Flag) { f.Usage, _ = catalog("flag.help", "help") })
			continue
		}
		if sub.Name() == "completion" && sub.HasParent() && !sub.Parent().HasParent() {
			describeCompletion(sub)
			continue
		}
		describe(sub)
	}
}

// describeCompletion gives cobra's own completion command and its shells their words from
// the catalog: the one line, how to load the script, and the flags.
func describeCompletion(c *cobra.Command) {
	c.Short, _ = catalog("cmd.completion.short")
	c.Long, _ = catalog("cmd.completion.long")
	c.InitDefaultHelpFlag()
	c.Flags().VisitAll(func(f *pflag.Flag) { describeFlag(c, f) })
	for _, sh := range c.Commands() {
		sh.Short, _ = catalog("cmd.completion.shell.short", sh.Name())
		sh.Long, _ = catalog("cmd.completion.shell.long", sh.Name())
		sh.InitDefaultHelpFlag()
		sh.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" {
				f.Usage, _ = catalog("flag.help", sh.Name())
			} else if u, ok := catalog("flag.completion." + f.Name); ok {
				f.Usage = u
			}
		})
	}
}

func describeFlag(c *cobra.Command, f *pflag.Flag) {
	if f.Name == "help" {
		f.Usage, _ = catalog("flag.help", c.Name())
		return
	}
	path := commandKey(c)
	if path == "" {
		path = ".create" // `swarmwiz` alone runs create, with its flags
	}
	// The command's own sentence, else its parent's (a lab's --name on every lab command), else
	// the one for every command.
	for p := path; p != ""; p = p[:strings.LastIndex(p, ".")] {
		if s, ok := catalog("flag"+p+"."+f.Name, flagData); ok {
			f.Usage = s
			return
		}
	}
	if s, ok := catalog("flag."+f.Name, flagData); ok {
		f.Usage = s
	}
}

// commandKey is c's place in the tree as a key part: "" for swarmwiz, ".lab.up".
func commandKey(c *cobra.Command) string {
	var parts []string
	for ; c.HasParent(); c = c.Parent() {
		parts = append([]string{c.Name()}, parts...)
	}
	if len(parts) == 0 {
		return ""
	}
	return "." + strings.Join(parts, ".")
}

// catalog is the catalog's sentence for a key made from the tree, and whether there is one.
func catalog(key string, data ...any) (string, bool) {
	if !templates.Has(key) {
		return "", false
	}
	var d any
	if len(data) > 0 {
		d = data[0]
	}
	s, err := templates.Render(key, d)
	return strings.TrimSpace(s), err == nil
}

// usageTemplate is cobra's usage text with its headings from the catalog.
func usageTemplate() string {
	h := func(key string) string { s, _ := catalog(key); return s }
	more, _ := catalog("help.more", "{{.CommandPath}}")
	return h("help.usage") + `{{if .Runnable}}
  {{useLine .}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} ` + h("help.command.placeholder") + `{{end}}{{if .HasAvailableSubCommands}}

` + h("help.commands") + `{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

` + h("help.flags") + `
{{flagUsages .LocalFlags | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

` + h("help.global") + `
{{flagUsages .InheritedFlags | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

` + more + `{{end}}
`
}

func init() {
	cobra.AddTemplateFunc("useLine", useLine)
	cobra.AddTemplateFunc("flagUsages", flagUsages)
}

// useLine is cobra's use line with its "[flags]" in the user's language.
func useLine(c *cobra.Command) string {
	l := c.UseLine()
	if s, ok := catalog("help.flags.placeholder"); ok {
		l = strings.Replace(l, " [flags]", " "+s, 1)
	}
	return l
}

// flagUsages is pflag's FlagUsages with its own words from the catalog: the value's kind
// (string, int, duration) and "(default ...)". The layout is pflag's.
func flagUsages(fs *pflag.FlagSet) string {
	type row struct{ left, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if varname != "" {
			if w, ok := catalog("help.kind." + varname); ok {
				varname = w
			}
			left += " " + varname
		}
		if f.NoOptDefVal != "" && f.Value.Type() != "bool" {
			left += "[=" + f.NoOptDefVal + "]"
		}
		if !zeroDefault(f) {
			def := f.DefValue
			if f.Value.Type() == "string" {
				def = strconv.Quote(def)
			}
			d, _ := catalog("help.default", def)
			usage += " " + d
		}
		rows = append(rows, row{left, usage})
		width = max(width, templates.Width(left))
	})
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.left + strings.Repeat(" ", width-templates.Width(r.left)+3) + r.usage + "\n")
	}
	return b.String()
}

// zeroDefault says whether f's default is its type's zero value, which help leaves unsaid.
func zeroDefault(f *pflag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "[]", "0s", "<nil>":
		return true
	}
	return false
}

// langFromArgs is --lang's value when the arguments have it: the help must be in the
// language asked for before cobra reads a flag.
func langFromArgs(args []string) (string, bool) {
	for i, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--lang="); ok {
			return v, true
		}
		if a == "--lang" && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// usage is bad input (exit 2) in the catalog's words.
func usage(key string, data any) error { return failure.Usagef("%s", templates.Msg(key, data)) }
