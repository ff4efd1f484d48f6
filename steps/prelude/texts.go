package prelude

import (
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/templates"
)

// NewHostKeysText lists hosts not in knownHosts yet, with each key's type, fingerprint and
// the command that prints the same fingerprint on the machine.
func NewHostKeysText(unknown []*remote.UnknownHostError, knownHosts string) string {
	var rows [][]string
	for _, u := range unknown {
		rows = append(rows, []string{"  " + u.Host, u.Type(), u.Fingerprint, "ssh-keygen -lf " + u.PubFile()})
	}
	return Text("new-host-keys", struct {
		Hosts      []*remote.UnknownHostError
		Rows       [][]string
		KnownHosts string
	}{unknown, rows, knownHosts})
}

// Text renders a text template without its final line break: it is printed as one line.
func Text(name string, data any) string {
	return strings.TrimRight(templates.MustRender(name+".tmpl", data), "\n")
}
