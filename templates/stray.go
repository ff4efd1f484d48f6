package templates

import (
	"regexp"
	"strings"
)

// strayAllowed are the English words Korean learner material keeps as they are: docker's and
// swarm's own terms, names of programs, systems, formats and keys. Keep it short.
var strayAllowed = map[string]bool{
	// swarm's terms, as docker's Korean docs keep them
	"swarm": true, "manager": true, "worker": true, "raft": true, "token": true, "overlay": true, "leader": true, "gossip": true,
	"autolock": true, "ingress": true, "vxlan": true, "advertise": true, "init": true, "ipsec": true, "engine": true,
	// programs, systems, formats
	"docker": true, "dockerd": true, "containerd": true, "ssh": true, "sshd": true, "sudo": true, "systemd": true, "yaml": true, "json": true, "markdown": true, "csv": true,
	"linux": true, "macos": true, "windows": true, "powershell": true, "bash": true, "zsh": true, "fish": true,
	"debian": true, "ubuntu": true, "centos": true, "rocky": true, "alma": true, "multipass": true, "virtualbox": true,
	"mib": true, "kib": true, "gib": true, "publish": true, // units; docker's --publish
	"vmware": true, "apt-get": true, "apt": true, "ipv": true, "distro": true,
	"tab": true, "ctrl": true, "ctrl-c": true, "root": true, "agent": true, "url": true, "api": true, "mtu": true, "tcp": true, "udp": true,
	"iptables": true, "nftables": true, "firewalld": true, "ufw": true, "nft": true, "chromium": true,
	// what a user types or sees as a name: command and key names
	"swarmwiz": true, "known_hosts": true, "ssh_config": true, "proxyjump": true, "host": true, "hostname": true,
	"bash-completion": true, "compinit": true, "fpath": true, "source": true,
}

var (
	strayCode   = regexp.MustCompile("`[^`]*`")
	strayURL    = regexp.MustCompile(`[a-z]+://\S+`)
	strayFlag   = regexp.MustCompile(`(^|[\s(\[])--?[A-Za-z][\w-]*(=\S*)?`)
	strayPath   = regexp.MustCompile(`(^|[\s(=])[~.]?/[\w./${}\[\]-]*|\S+\.(json|yaml|yml|md|log|sh|tmpl|tar\.gz|zip|fish)\b`)
	strayAddr   = regexp.MustCompile(`\b\d+(\.\d+){1,3}(/\d+)?(:\d+)?\b|\b[\w-]+(\.[\w-]+)+\b`)
	strayUpper  = regexp.MustCompile(`\b[A-Z][A-Z0-9_-]+\b`) // placeholders and acronyms: FILE, NAME, SSH
	strayWord   = regexp.MustCompile(`[A-Za-z][A-Za-z'-]{2,}`)
	strayNode   = regexp.MustCompile(`\bnode\d+\b`)
	strayCmd    = regexp.MustCompile(`(?m)\b(swarmwiz|docker|sudo|source|ssh|ssh-keyscan|ssh-keygen|systemctl|make)( [^\s가-힣]+)+`)
	strayName   = regexp.MustCompile(`\b[A-Za-z]*\d[\w-]*\b`)          // names with digits: e2eko, node1, 20.10.24+dfsg1
	strayQuoted = regexp.MustCompile(`"[^"가-힣]*"`)                     // a literal a program prints: "hello from NODE"
	straySyntax = regexp.MustCompile(`\S*[@\[\]|]\S*|\S+:[^\s:]+`)     // [user@]host[:port], a|b, host:port
	strayIdents = regexp.MustCompile(`\b\w+_\w+\b|\b[a-z]+[A-Z]\w*\b`) // key names: known_hosts, advertiseAddr
)

// StrayEnglish lists the English words left in a Korean screen once what stays English
// everywhere is taken out: code spans, commands and their arguments, flags, addresses and
// host names, paths and files, placeholders in capitals, node names, and the allowed terms.
// An empty list is a screen a Korean learner reads without English they did not ask for.
func StrayEnglish(text string, allow ...string) []string {
	for _, re := range []*regexp.Regexp{strayCode, strayQuoted, strayURL, strayCmd, straySyntax, strayFlag, strayPath, strayAddr, strayUpper, strayNode, strayName, strayIdents} {
		text = re.ReplaceAllString(text, " ")
	}
	extra := map[string]bool{}
	for _, a := range allow {
		extra[strings.ToLower(a)] = true
	}
	var out []string
	for _, w := range strayWord.FindAllString(text, -1) {
		lw := strings.ToLower(strings.Trim(w, "'-"))
		if len(lw) < 3 || strayAllowed[lw] || extra[lw] {
			continue
		}
		out = append(out, w)
	}
	return out
}
