package wizard

import (
	"fmt"
	"strings"
)

// Answer is one scripted reply: the question must contain Question; Value is what the user
// types (Input, Password), picks (Select: the option text; MultiSelect: options joined by
// "|"), or "y"/"n" (Confirm).
type Answer struct {
	Question string
	Value    string
}

// Scripted is the Prompter of unit tests: it answers from a script, runs validators as the
// terminal would (a refused answer is recorded in Refused and the next answer is used), and
// fails on any question the script did not expect.
type Scripted struct {
	Script  []Answer
	Refused []string // validator messages, in order
	Asked   []string
}

func (s *Scripted) next(question string) (string, error) {
	s.Asked = append(s.Asked, question)
	if len(s.Script) == 0 {
		return "", fmt.Errorf("unexpected question %q", question)
	}
	a := s.Script[0]
	if !strings.Contains(question, a.Question) {
		return "", fmt.Errorf("asked %q, script expected %q", question, a.Question)
	}
	s.Script = s.Script[1:]
	return a.Value, nil
}

func (s *Scripted) Input(question, _, def string, validate func(string) error) (string, error) {
	for {
		v, err := s.next(question)
		if err != nil {
			return "", err
		}
		if v == "" {
			v = def
		}
		if validate != nil {
			if err := validate(v); err != nil {
				s.Refused = append(s.Refused, err.Error())
				continue
			}
		}
		return v, nil
	}
}

func (s *Scripted) Password(question, _ string) (string, error) { return s.next(question) }

func (s *Scripted) Select(question, _ string, options []string, def string) (int, error) {
	v, err := s.next(question)
	if err != nil {
		return 0, err
	}
	if v == "" {
		v = def
	}
	for i, o := range options {
		if o == v || strings.HasPrefix(o, v) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%q is not among %q", v, options)
}

func (s *Scripted) MultiSelect(question, _ string, options, defs []string, validate func([]int) error) ([]int, error) {
	for {
		v, err := s.next(question)
		if err != nil {
			return nil, err
		}
		picks := defs
		if v != "" {
			picks = strings.Split(v, "|")
		}
		var idx []int
		for _, p := range picks {
			for i, o := range options {
				if strings.HasPrefix(o, p) {
					idx = append(idx, i)
				}
			}
		}
		if validate != nil {
			if err := validate(idx); err != nil {
				s.Refused = append(s.Refused, err.Error())
				continue
			}
		}
		return idx, nil
	}
}

func (s *Scripted) Confirm(question, _ string, def bool) (bool, error) {
	v, err := s.next(question)
	if err != nil {
		return false, err
	}
	if v == "" {
		return def, nil
	}
	return v == "y", nil
}
