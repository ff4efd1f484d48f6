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

// OptionError is an init option refused, in the catalog's words: on the command line it names
// the flag (--cert-expiry), in a plan file the key (init.certExpiry).
type OptionError struct {
	Option string                      // the plan key: certExpiry
	Flag   string                      // the flag: cert-expiry
	render func(map[string]any) string // the catalog's sentence, given Name
	data   map[string]any
}

func optionError(option, flag string, render func(map[string]any) string, data map[string]any) *OptionError {
	return &OptionError{Option: option, Flag: flag, render: render, data: data}
}

// CertExpiryError is a plan's certExpiry that is no duration.
func CertExpiryError(value string) *OptionError {
	return optionError("certExpiry", "cert-expiry", func(d map[string]any) string { return templates.Msg("init.bad.certexpiry", d) }, map[string]any{"Value": value})
}

func (e *OptionError) Error() string { return e.named("--" + e.Flag) }

// InPlan is the refusal naming the plan's key.
func (e *OptionError) InPlan() string { return e.named("init." + e.Option) }

func (e *OptionError) named(name string) string {
	d := map[string]any{"Name": name}
	for k, v := range e.data {
		d[k] = v
	}
	return e.render(d)
}

// Validate refuses a value docker would refuse, or one that cannot work, in the catalog's
// words (one line, naming the flag and what would be accepted).
func (o InitOptions) Validate() error {
	narrowest := 0
	for _, p := range o.Pools {
		pfx, err := netip.ParsePrefix(p)
		if err != nil || !pfx.Addr().Is4() || pfx.Masked() != pfx {
			return optionError("defaultAddrPool", "default-addr-pool", func(d map[string]any) string { return templates.Msg("init.bad.pool", d) }, map[string]any{"Value": p})
		}
		narrowest = max(narrowest, pfx.Bits())
	}
	if o.PoolMaskLen != 0 {
		if o.PoolMaskLen < max(narrowest, 8) || o.PoolMaskLen > 29 {
			return optionError("defaultAddrPoolMaskLength", "default-addr-pool-mask-length", func(d map[string]any) string { return templates.Msg("init.bad.masklen", d) }, map[string]any{"Value": o.PoolMaskLen, "Min": max(narrowest, 8)})
		}
	}
	if o.DataPathPort != 0 && (o.DataPathPort < MinDataPathPort || o.DataPathPort > MaxDataPathPort) {
		return optionError("dataPathPort", "data-path-port", func(d map[string]any) string { return templates.Msg("init.bad.port", d) }, map[string]any{"Value": o.DataPathPort})
	}
	if o.Availability != "" && o.Availability != "active" && o.Availability != "drain" {
		return optionError("managerAvailability", "manager-availability", func(d map[string]any) string { return templates.Msg("init.bad.availability", d) }, map[string]any{"Value": o.Availability})
	}
	if o.CertExpiry != 0 && o.CertExpiry < MinCertExpiry {
		if o.CertExpiry < 0 {
			o.CertExpiry = 0
		}
		return optionError("certExpiry", "cert-expiry", func(d map[string]any) string { return templates.Msg("init.bad.certexpiry", d) }, map[string]any{"Value": o.CertExpiry.String()})
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
