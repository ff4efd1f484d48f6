package templates

import (
	"bytes"
	"embed"
	"fmt"
	htmltmpl "html/template"
	"strings"
	"sync"
)

// The classroom's web page: html/template, so that every value a learner's wizard sent is
// escaped; its sentences come from the same catalog as the terminal's.
//
//go:embed classroom/*.html
var htmlFiles embed.FS

var htmlSets sync.Map // lang → *htmltmpl.Template

// MsgIn is the catalog sentence key in lang (a language without a catalog: English), for a
// page served to many people at once, each in their own language.
func MsgIn(lang, key string, data any) (string, error) {
	t, ok := set(lang)
	if !ok {
		t = base()
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, key, data); err != nil {
		return "", fmt.Errorf("template %s: %w", key, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// HTML renders the classroom page template name in lang.
func HTML(lang, name string, data any) (string, error) {
	if _, ok := set(lang); !ok {
		lang = "en"
	}
	t, ok := htmlSets.Load(lang)
	if !ok {
		parsed, err := htmltmpl.New("").Funcs(htmltmpl.FuncMap{
			"msg": func(key string, data ...any) (string, error) {
				var d any
				if len(data) > 0 {
					d = data[0]
				}
				return MsgIn(lang, key, d)
			},
			"lang": func() string { return lang },
		}).ParseFS(htmlFiles, "classroom/*.html")
		if err != nil {
			return "", err
		}
		t, _ = htmlSets.LoadOrStore(lang, parsed)
	}
	var b bytes.Buffer
	if err := t.(*htmltmpl.Template).ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("template %s: %w", name, err)
	}
	return b.String(), nil
}
