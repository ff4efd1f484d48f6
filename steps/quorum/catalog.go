package quorum

import "github.com/swarmwiz/swarmwiz/steps/prelude"

// msg and say take the catalog's sentences (prelude.Msg and prelude.Say).
var msg, say = prelude.Msg, prelude.Say
