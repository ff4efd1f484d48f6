// Package steps is the table of contents: the flows, each the steps of one command in the
// order they run (flows.go). The steps themselves live in rooms by family, one step a file:
//
//   - prelude: what every flow begins with (where the nodes are, SSH logins, connecting,
//     sudo, reading each node, locking the nodes) and what every family uses (the catalog's
//     sentences, the bounded fan-out, waits that say what they wait for, the node list);
//   - create: `swarmwiz create`, from the first manager to the joins, with the preflight;
//   - check: `swarmwiz check`, the probes and the diagnosis;
//   - quorum: status, leave, promote and demote, recover, and the drill;
//   - secrets: autolock, unlock and rotate-tokens.
//
// Arrows point down: steps → the families → prelude. A family uses another only through
// that one's exported API, where internal/lint's import test allows it.
package steps
