package secrets

import (
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/docker"
)

// An unlock key is a secret like a join token: masked wherever tokens are.
func TestUnlockKeyMasked(t *testing.T) {
	s := docker.MaskToken("key SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8 and SWMTKN-1-abc-def")
	if s != "key SWMKEY-1-**** and SWMTKN-1-****" {
		t.Errorf("masked: %q", s)
	}
}
