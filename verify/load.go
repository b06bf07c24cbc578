package verify

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ruleshift/ruleshift/backends"
	ipbackend "github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/internal/netfilter"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Backend is how a side's rules are loaded into its firewall namespace.
type Backend string

const (
	NFTables       Backend = "nftables"
	IPTablesLegacy Backend = "iptables-legacy"
	IPTablesNFT    Backend = "iptables-nft"
)

// Backends lists the backends in the order the CLI documents them.
var Backends = []Backend{NFTables, IPTablesLegacy, IPTablesNFT}

// IPTables reports whether the backend loads with an iptables restore
// tool, which can load an iptables-save file as written.
func (b Backend) IPTables() bool { return b == IPTablesLegacy || b == IPTablesNFT }

func (b Backend) variant() *ipbackend.Variant {
	if b == IPTablesNFT {
		return ipbackend.NFT
	}
	return ipbackend.Legacy
}

// Side is one of the two rulesets verify compares.
type Side struct {
	// Label names the side in the report, e.g. the input file name.
	Label   string
	Rules   *ir.Ruleset
	Backend Backend
	// Raw, when set with an iptables backend, is loaded as it is with the
	// restore tool of RawFamily instead of ruleshift's rendering of Rules:
	// the original of an iptables-save file, so that the baseline is what
	// the user has, not what ruleshift understood of it. Rules must still
	// be parsed from it: they name the rule behind a verdict.
	Raw       []byte
	RawFamily ir.Family
	// NftFile, set with Raw and the nftables backend, says Raw is an
	// nftables file (nft -f input), loaded as written. ruleshift cannot
	// read nftables files, so Rules is then the other side's model: it
	// gives the interfaces, addresses and ports to probe (see UseModelOf).
	NftFile bool

	saves   map[ir.Family]string
	backend backends.Backend
}

// Prepare checks the side's rules for its backend. Rules the backend
// cannot express are errors, as in translate.
func (s *Side) Prepare() *diag.List {
	d := &diag.List{}
	if s.NftFile {
		if s.Backend != NFTables || s.Raw == nil {
			d.Errorf(ir.Pos{File: s.Label}, "an nftables file is loaded with nft -f: it needs the nftables backend")
		}
		return d
	}
	b, err := backends.Get(string(s.Backend))
	if err != nil {
		d.Errorf(ir.Pos{}, "%v", err)
		return d
	}
	s.backend = b
	if s.Backend.IPTables() {
		// The families loaded, whose save tools list the counters.
		s.saves = map[ir.Family]string{}
		if s.Raw != nil {
			s.saves[s.RawFamily] = netfilter.Undamaged(s.Raw)
			return d
		}
		for _, f := range s.Rules.Families() {
			s.saves[f] = ""
		}
	}
	d.Add(b.Check(s.Rules))
	return d
}

// observerGroup is the NFLOG group the observer logs to; far from the
// small numbers rulesets use.
const observerGroup = 65123

// observer is loaded into F before the rules under test. Its input chain
// sits at the last priority there is, so it sees exactly the packets that
// every table of the ruleset let through to local delivery; it logs them
// to verify and drops them, so F's own stack never answers a probe (no
// RST or port-unreachable that would look like a REJECT).
//
// Conntrack must confirm the flow before the observer drops the packet,
// or replies would never be ESTABLISHED. The confirm hook has the same
// priority (INT_MAX) and the kernel puts a hook before the existing ones
// of equal priority, so the conntrack table below, whose ct expression
// registers conntrack after the observer chain exists, makes confirm run
// first. It also keeps conntrack on for rulesets that do not use it, so
// both sides always see defragmented, tracked packets.
func observer() string {
	var b strings.Builder
	for _, fam := range []string{"ip", "ip6"} {
		fmt.Fprintf(&b, "table %s rsv_observe {\n\tchain input {\n\t\ttype filter hook input priority 2147483647; policy accept;\n\t\tlog group %d drop\n\t}\n", fam, observerGroup)
		if fam == "ip" {
			// The barrier marker (barrier.go), logged and dropped before
			// any other hook can see it.
			fmt.Fprintf(&b, "\tchain barrier {\n\t\ttype filter hook prerouting priority -2147483648; policy accept;\n\t\tip protocol %d ip daddr 169.254.0.2 log group %d drop\n\t}\n", barrierProto, observerGroup)
		}
		b.WriteString("}\n")
	}
	for _, fam := range []string{"ip", "ip6"} {
		fmt.Fprintf(&b, "table %s rsv_conntrack {\n\tchain output {\n\t\ttype filter hook output priority -1000; policy accept;\n\t\tct state new\n\t}\n}\n", fam)
	}
	return b.String()
}

// loadError is a kernel or tool refusing a side's rules.
type loadError struct {
	side, tool, msg string
}

func (e *loadError) Error() string {
	return fmt.Sprintf("%s: %s refused the rules: %s", e.side, e.tool, e.msg)
}

// IsLoadError reports whether err is the kernel or a tool refusing rules.
func IsLoadError(err error) bool {
	_, ok := err.(*loadError)
	return ok
}

// load puts the observer and then the side's rules into namespace ns,
// their log actions redirected to verify (logs.go).
func (s *Side) load(name, ns string) error {
	if _, err := nsRun(ns, []byte(observer()), "nft", "-f", "-"); err != nil {
		return fmt.Errorf("%s: loading the observer: %v", name, err)
	}
	if s.NftFile {
		text, _ := nftLogsToVerify(string(nftAsWritten(s.Raw)))
		if _, err := nsRun(ns, []byte(text), "nft", "-f", "-"); err != nil {
			return &loadError{name, "nft", err.Error()}
		}
		return nil
	}
	if s.Raw == nil {
		// Loaded as ruleshift apply loads it, by the backend's own Apply
		// (for nftables: over netlink, in one transaction), so that
		// verify proves what apply loads.
		o := backends.ApplyOptions{NetNS: filepath.Join(netnsDir, ns)}
		if _, err := s.backend.Apply(context.Background(), logsToVerify(s.Rules), o); err != nil {
			return &loadError{name, s.backend.Name() + " apply", err.Error()}
		}
		return nil
	}
	for _, f := range []ir.Family{ir.IPv4, ir.IPv6} {
		text, ok := s.saves[f]
		if !ok {
			continue
		}
		tool := s.Backend.variant().RestoreCommand(f)
		text, _ = saveLogsToVerify(text)
		if _, err := nsRun(ns, []byte(text), tool, "-w", "10"); err != nil {
			return &loadError{name, tool, err.Error()}
		}
	}
	return nil
}

// nftAsWritten is an nftables file as nft -f is to load it in F. The one
// change: a "flush ruleset" line is left out, since in F it would only
// remove verify's own observer tables (the namespace holds nothing else),
// and loading the observer after the file instead would put it before
// conntrack's confirm hook (see observer). Line numbers stay as in the
// file: the line is blanked, not removed.
func nftAsWritten(data []byte) []byte {
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(l), ";"))
		if len(f) == 2 && f[0] == "flush" && f[1] == "ruleset" {
			lines[i] = ""
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

// UseModelOf makes an nftables-file side probe with the other side's
// model: the interfaces, addresses and ports its rules name. Both sides
// being nftables files is an error: there is then no model to probe from.
func UseModelOf(a, b *Side) error {
	switch {
	case a.NftFile && b.NftFile:
		return fmt.Errorf("%s and %s are both nftables files: verify needs one side it can read (an iptables script or save file) to choose the interfaces, addresses and probes", a.Label, b.Label)
	case a.NftFile:
		a.Rules = b.Rules
	case b.NftFile:
		b.Rules = a.Rules
	}
	return nil
}
