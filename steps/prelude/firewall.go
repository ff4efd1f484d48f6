package prelude

import (
	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/preflight"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// openData is what the fix to open port/proto on t needs: its name, its firewall, the command.
func openData(name string, n *wizard.Node, port, proto string) map[string]string {
	fw, nft := "", facts.NftChain{}
	if n != nil {
		fw = firewallOf(n)
		nft, _ = n.Facts.NftDrop()
	}
	return map[string]string{"Node": name, "Port": port + "/" + proto, "Firewall": fw,
		"Cmd": docker.Cmd("open-port", map[string]string{"Firewall": fw, "Port": port + "/" + proto, "Proto": proto, "Number": port,
			"Family": nft.Family, "Table": nft.Table, "Chain": nft.Chain})}
}

// OpenOn is how to let port/proto in on n, with n's own firewall's command (firewalld, ufw,
// or iptables, whose rule a reboot forgets: said so).
func OpenOn(n *wizard.Node, port, proto string) string {
	name := "?"
	if n != nil {
		name = n.Name()
	}
	return OpenOnNamed(name, n, port, proto)
}

// OpenOnNamed is OpenOn for n called name (as the node table names it; n may be nil: not
// connected).
func OpenOnNamed(name string, n *wizard.Node, port, proto string) string {
	return Msg("check.fix.open", openData(name, n, port, proto))
}

// firewallOf names the node's active firewall: firewalld, ufw, nftables, or "" for plain
// iptables (its rules are the fix where nothing else filters).
func firewallOf(n *wizard.Node) string {
	if fw := preflight.Firewall(n.Facts); fw != "iptables" {
		return fw
	}
	return ""
}
