package wizard

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/terminal"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/templates"
)

var localize sync.Once

// localizeSurvey puts survey's own hints ("[? for help]", "Use arrows to move", "Sorry, your
// reply was invalid") into the user's language: survey keeps its prompts as package-level
// templates, so the words are replaced in them once, before the first prompt.
func localizeSurvey() {
	if templates.Lang() == "en" {
		return
	}
	r := strings.NewReplacer(
		"Use arrows to move, type to filter", templates.Msg("survey.select", nil),
		"Use arrows to move, space to select,", templates.Msg("survey.multiselect", nil),
		" <right> to all,", " "+templates.Msg("survey.all", nil),
		" <left> to none,", " "+templates.Msg("survey.none", nil),
		" type to filter", " "+templates.Msg("survey.filter", nil),
		" for more help", " "+templates.Msg("survey.morehelp", nil),
		" for help", " "+templates.Msg("survey.help", nil),
		"Sorry, your reply was invalid:", templates.Msg("survey.invalid", nil),
	)
	for _, t := range []*string{&survey.SelectQuestionTemplate, &survey.MultiSelectQuestionTemplate, &survey.InputQuestionTemplate,
		&survey.ConfirmQuestionTemplate, &survey.PasswordQuestionTemplate, &survey.ErrorTemplate} {
		*t = r.Replace(*t)
	}
	// A confirmation's answer is shown as survey's "Yes" or "No": said in the language too.
	survey.ConfirmQuestionTemplate = strings.Replace(survey.ConfirmQuestionTemplate, "{{.Answer}}",
		`{{if eq .Answer "Yes"}}`+templates.Msg("survey.yes", nil)+`{{else}}`+templates.Msg("survey.no", nil)+`{{end}}`, 1)
}

// Prompter asks the user things. Steps see only this narrow interface; the survey-backed one
// runs in a terminal, the scripted one in unit tests.
type Prompter interface {
	Input(question, help, def string, validate func(string) error) (string, error)
	Select(question, help string, options []string, def string) (int, error)
	MultiSelect(question, help string, options []string, defs []string, validate func([]int) error) ([]int, error)
	Confirm(question, help string, def bool) (bool, error)
	Password(question, help string) (string, error)
}

// SurveyPrompter is the terminal Prompter.
type SurveyPrompter struct {
	ctx   context.Context
	stdio terminal.Stdio
}

// NewSurveyPrompter prompts on the given terminal. A SIGINT that arrives while the terminal
// is not in raw mode cancels ctx instead of reaching survey as a key: the prompt then gives
// up, or it would wait for an answer forever.
func NewSurveyPrompter(ctx context.Context, in terminal.FileReader, out terminal.FileWriter, errw io.Writer) *SurveyPrompter {
	return &SurveyPrompter{ctx: ctx, stdio: terminal.Stdio{In: in, Out: out, Err: errw}}
}

func (p *SurveyPrompter) ask(q survey.Prompt, answer any, opts ...survey.AskOpt) error {
	localize.Do(localizeSurvey)
	opts = append(opts, survey.WithStdio(p.stdio.In, p.stdio.Out, p.stdio.Err))
	done := make(chan error, 1)
	go func() { done <- survey.AskOne(q, answer, opts...) }()
	var err error
	select {
	case err = <-done:
	case <-p.ctx.Done():
		return failure.ErrInterrupted
	}
	if errors.Is(err, terminal.InterruptErr) {
		return failure.ErrInterrupted
	}
	return err
}

// Input asks for a line of text; validate refusals are shown and the question asked again.
func (p *SurveyPrompter) Input(question, help, def string, validate func(string) error) (string, error) {
	var s string
	var opts []survey.AskOpt
	if validate != nil {
		opts = append(opts, survey.WithValidator(func(v any) error { return validate(v.(string)) }))
	}
	err := p.ask(&survey.Input{Message: question, Help: help, Default: def}, &s, opts...)
	return s, err
}

// Select asks for one of options and returns its index.
func (p *SurveyPrompter) Select(question, help string, options []string, def string) (int, error) {
	q := &survey.Select{Message: question, Help: help, Options: options}
	// survey panics on a default that is not among the options.
	for _, o := range options {
		if o == def {
			q.Default = def
		}
	}
	var i int
	err := p.ask(q, &i)
	return i, err
}

// MultiSelect asks for several of options and returns their indexes.
func (p *SurveyPrompter) MultiSelect(question, help string, options []string, defs []string, validate func([]int) error) ([]int, error) {
	q := &survey.MultiSelect{Message: question, Help: help, Options: options}
	if len(defs) > 0 {
		q.Default = defs
	}
	var opts []survey.AskOpt
	if validate != nil {
		opts = append(opts, survey.WithValidator(func(v any) error {
			answers := v.([]survey.OptionAnswer)
			idx := make([]int, len(answers))
			for i, a := range answers {
				idx[i] = a.Index
			}
			return validate(idx)
		}))
	}
	var idx []int
	err := p.ask(q, &idx, opts...)
	return idx, err
}

// Confirm asks yes or no.
func (p *SurveyPrompter) Confirm(question, help string, def bool) (bool, error) {
	var b bool
	err := p.ask(&survey.Confirm{Message: question, Help: help, Default: def}, &b)
	return b, err
}

// Password asks without echo. The answer is only ever held in memory.
func (p *SurveyPrompter) Password(question, help string) (string, error) {
	var s string
	err := p.ask(&survey.Password{Message: question, Help: help}, &s)
	return s, err
}
