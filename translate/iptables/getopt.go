package iptables

import (
	"sort"
	"strings"
)

// argKind says whether an option takes an argument.
type argKind uint8

const (
	noArg argKind = iota
	oneArg
	twoArgs // --tcp-flags MASK COMP, -c PKTS BYTES
	optArg  // argument only if the next word does not start with '-'
)

// optSpec declares one long option of an extension, as getopt_long sees it.
type optSpec struct {
	name string
	arg  argKind
	// noInvert marks options that iptables refuses after '!'.
	noInvert bool
}

// lookup resolves a long option name the way getopt_long does: an exact
// name wins; otherwise a unique prefix is accepted ("--icmp" for
// "--icmp-type"). It returns every candidate when the prefix is ambiguous.
func lookup(name string, owners []*optOwner) (owner *optOwner, spec *optSpec, ambiguous []string) {
	for _, o := range owners {
		for i := range o.opts {
			if o.opts[i].name == name {
				return o, &o.opts[i], nil
			}
		}
	}
	var cands []string
	for _, o := range owners {
		for i := range o.opts {
			if strings.HasPrefix(o.opts[i].name, name) {
				if owner == nil {
					owner, spec = o, &o.opts[i]
				}
				cands = append(cands, "--"+o.opts[i].name)
			}
		}
	}
	if len(cands) > 1 {
		sort.Strings(cands)
		return nil, nil, cands
	}
	return owner, spec, nil
}

// optOwner is a set of options and who handles them: the generic rule
// options, a loaded match, or the target.
type optOwner struct {
	opts  []optSpec
	match *matchInst
	isTgt bool
}
