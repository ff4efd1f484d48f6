// Package secrets holds the commands about a swarm's secrets: autolock's unlock key, unlock,
// and rotate-tokens.
package secrets
