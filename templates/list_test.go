package templates

import "testing"

// Names read as a sentence names them, in each language.
func TestList(t *testing.T) {
	defer SetLang(Lang())
	for _, c := range []struct {
		lang  string
		names []string
		want  string
	}{
		{"en", []string{"node1"}, "node1"},
		{"en", []string{"node1", "node2"}, "node1 and node2"},
		{"en", []string{"node1", "node2", "node3"}, "node1, node2 and node3"},
		{"ko", []string{"node1", "node2"}, "node1, node2"},
		{"ko", []string{"node1", "node2", "node3"}, "node1, node2, node3"},
	} {
		SetLang(c.lang)
		if got := List(c.names); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.lang, c.names, got, c.want)
		}
	}
}
