package docker

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/swarmwiz/swarmwiz/templates"
)

// InitOptions are what `docker swarm init` can only be told at init: the overlay address
// pool, the VXLAN port, the managers' availability, autolock and the certificates' lifetime.
// The zero value is docker's defaults.
type InitOptions struct {
	Pools        []string      // --default-addr-pool, CIDRs; none: docker's 10.0.0.0/8
	PoolMaskLen  int           // --default-addr-pool-mask-length; 0: docker's 24
	DataPathPort int           // --data-path-port; 0: docker's 4789
	Availability string        // the managers' --availability: "", "active" or "drain"
	Autolock     bool          // --autolock
	CertExpiry   time.Duration // --cert-expiry; 0: docker's 90 days
}

// Limits docker puts on the options.
const (
	DefaultPool       = "10.0.0.0/8"
	DefaultPoolMask   = 24
	DefaultVXLANPort  = 4789
	MinDataPathPort   = 1024
	MaxDataPathPort   = 49151
	MinCertExpiry     = time.Hour
	DefaultCertExpiry = 90 * 24 * time.Hour
)

// OptionError is an init option refused: Option is its plan key (certExpiry), so a plan can
// name the line, and Msg the catalog's sentence (naming the flag).
type OptionError struct {
	Option string
	Msg    string
}

func (e *OptionError) Error() string { return e.Msg }

// Validate refuses a value docker would refuse, or one that cannot work, in the catalog's
// words (one line, naming the flag and what would be accepted).
func (o InitOptions) Validate() error {
	narrowest := 0
	for _, p := range o.Pools {
		pfx, err := netip.ParsePrefix(p)
		if err != nil || !pfx.Addr().Is4() || pfx.Masked() != pfx {
			return &OptionError{"defaultAddrPool", templates.Msg("init.bad.pool", p)}
		}
		narrowest = max(narrowest, pfx.Bits())
	}
	if o.PoolMaskLen != 0 {
		if o.PoolMaskLen < max(narrowest, 8) || o.PoolMaskLen > 29 {
			return &OptionError{"defaultAddrPoolMaskLength", templates.Msg("init.bad.masklen", map[string]int{"Value": o.PoolMaskLen, "Min": max(narrowest, 8)})}
		}
	}
	if o.DataPathPort != 0 && (o.DataPathPort < MinDataPathPort || o.DataPathPort > MaxDataPathPort) {
		return &OptionError{"dataPathPort", templates.Msg("init.bad.port", o.DataPathPort)}
	}
	if o.Availability != "" && o.Availability != "active" && o.Availability != "drain" {
		return &OptionError{"managerAvailability", templates.Msg("init.bad.availability", o.Availability)}
	}
	if o.CertExpiry != 0 && o.CertExpiry < MinCertExpiry {
		if o.CertExpiry < 0 {
			o.CertExpiry = 0
		}
		return &OptionError{"certExpiry", templates.Msg("init.bad.certexpiry", o.CertExpiry.String())}
	}
	return nil
}

// VXLANPort is the UDP port the overlay's traffic uses.
func (o InitOptions) VXLANPort() int {
	if o.DataPathPort != 0 {
		return o.DataPathPort
	}
	return DefaultVXLANPort
}

// Changed says whether any option differs from docker's defaults.
func (o InitOptions) Changed() bool {
	return len(o.Pools) > 0 || o.PoolMaskLen != 0 || o.DataPathPort != 0 || o.Availability == "drain" || o.Autolock || o.CertExpiry != 0
}

// Hours writes a duration as docker's users write it: 2160h, or Go's form when it is not
// whole hours.
func Hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return d.String()
}
