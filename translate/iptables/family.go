package iptables

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// FamilyBasis says what decided the family of a save file.
type FamilyBasis uint8

const (
	// ByContents: the rules hold evidence of one family only.
	ByContents FamilyBasis = iota + 1
	// ByMajority: the rules hold evidence of both; the larger side won.
	ByMajority
	// ByName: the rules say nothing; the file name does (rules.v6).
	ByName
	// ByDefault: neither says anything; IPv4.
	ByDefault
)

// FamilyDecision is the family of a save file and why.
type FamilyDecision struct {
	Family ir.Family
	Basis  FamilyBasis
	// V4, V6 count the hints of each family found in the rules.
	V4, V6 int
	// Warning, when not empty, is to be reported at WarnPos: the family
	// was a guess, or the name and the contents disagree.
	Warning string
	WarnPos ir.Pos
}

// DetectFamily decides the family of a save file. The rules decide first:
// addresses in address options, -p icmp / ipv6-icmp, matches and targets
// that exist in one family only (-m icmp6, -m frag, -j TTL …), ICMP or
// ICMPv6 reject types, each read in its own option position, so that a
// comment, set name or log prefix never counts whatever its words. When the
// rules say nothing the name does (rules.v6, ip6tables.rules), and failing
// that the file is IPv4, with a warning. A name that contradicts the rules
// is reported.
func DetectFamily(name string, data []byte) FamilyDecision {
	return detectFamily(name, string(data))
}

func detectFamily(name, text string) FamilyDecision {
	workers := runtime.GOMAXPROCS(0)
	if len(text) < parallelDetect || workers < 2 {
		var s famScan
		s.scanText(text, 0)
		return decideFamily(name, &s.ev)
	}
	// Large inputs are scanned in pieces cut at line ends, one per CPU,
	// and the evidence merged in order so that "first" stays first.
	scans := make([]famScan, workers)
	var wg sync.WaitGroup
	line := 0
	for w := range workers {
		piece := text
		if w < workers-1 {
			end := min(len(text)/(workers-w), len(text))
			if i := strings.IndexByte(text[end:], '\n'); i >= 0 {
				end += i + 1
			} else {
				end = len(text)
			}
			piece, text = text[:end], text[end:]
		} else {
			text = ""
		}
		wg.Add(1)
		go func(s *famScan, piece string, first int) {
			defer wg.Done()
			s.scanText(piece, first)
		}(&scans[w], piece, line)
		line += strings.Count(piece, "\n")
	}
	wg.Wait()
	for i := 1; i < workers; i++ {
		scans[0].ev.merge(&scans[i].ev)
	}
	return decideFamily(name, &scans[0].ev)
}

// parallelDetect is the input size from which the detection is spread
// over the CPUs; a variable so that a test can compare both paths.
var parallelDetect = 256 << 10

// scanText scans the rule lines of text, whose first line is line
// first+1 of the file.
func (s *famScan) scanText(text string, first int) {
	n := first
	for len(text) > 0 {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		n++
		off := 0
		for off < len(line) && (line[off] == ' ' || line[off] == '\t') {
			off++
		}
		if off < len(line) && line[off] == '[' {
			// "[pkts:bytes] -A …"
			k := strings.IndexByte(line[off:], ']')
			if k < 0 {
				continue
			}
			off += k + 1
			for off < len(line) && (line[off] == ' ' || line[off] == '\t') {
				off++
			}
		}
		if off >= len(line) || line[off] != '-' {
			continue
		}
		s.scanLine(line[off:], n, off)
	}
}

// NameFamily is the family a file name gives by convention: rules.v6,
// ip6tables.rules, before6.rules for IPv6; rules.v4, iptables.rules for
// IPv4; 0 for any other name.
func NameFamily(name string) ir.Family {
	base := strings.ToLower(filepath.Base(name))
	switch {
	case strings.HasSuffix(base, ".v6"), strings.HasSuffix(base, ".ipv6"), strings.HasSuffix(base, "6.rules"),
		strings.Contains(base, "ip6tables"):
		return ir.IPv6
	case strings.HasSuffix(base, ".v4"), strings.HasSuffix(base, ".ipv4"), strings.HasSuffix(base, "4.rules"),
		strings.Contains(base, "iptables"):
		return ir.IPv4
	}
	return 0
}

const familyHint = "use --family to say otherwise"

func decideFamily(name string, ev *famEvidence) FamilyDecision {
	d := FamilyDecision{V4: ev.n[0], V6: ev.n[1]}
	named := NameFamily(name)
	at := func(f ir.Family) ir.Pos {
		i := famIndex(f)
		return ir.Pos{File: name, Line: ev.line[i], Col: ev.col[i]}
	}
	switch {
	case d.V4 == 0 && d.V6 == 0 && named != 0:
		d.Family, d.Basis = named, ByName
	case d.V4 == 0 && d.V6 == 0:
		d.Family, d.Basis = ir.IPv4, ByDefault
		d.WarnPos = ir.Pos{File: name}
		d.Warning = "nothing in the rules or the file name tells IPv4 from IPv6 (no addresses, ICMP or family-only matches); assuming IPv4 (" + familyHint + ")"
	case d.V4 == 0 || d.V6 == 0:
		d.Family, d.Basis = ir.IPv4, ByContents
		if d.V6 > 0 {
			d.Family = ir.IPv6
		}
		if named != 0 && named != d.Family {
			i := famIndex(d.Family)
			d.WarnPos = at(d.Family)
			d.Warning = fmt.Sprintf("the rules are %s (%s here) but the name %s says %s; reading them as %s (%s)",
				famShort(d.Family), ev.describe(i), filepath.Base(name), famShort(named), famShort(d.Family), familyHint)
		}
	default:
		d.Basis = ByMajority
		switch {
		case d.V4 > d.V6:
			d.Family = ir.IPv4
		case d.V6 > d.V4:
			d.Family = ir.IPv6
		case named != 0:
			d.Family = named
		default:
			d.Family = ir.IPv4
		}
		other := ir.IPv6
		if d.Family == ir.IPv6 {
			other = ir.IPv4
		}
		i, j := famIndex(d.Family), famIndex(other)
		d.WarnPos = at(other)
		d.Warning = fmt.Sprintf("the rules mix the families: %s here is %s, but %s at line %d is %s (%s against %s)",
			ev.describe(j), famShort(other), ev.describe(i), ev.line[i], famShort(d.Family),
			hints(ev.n[i], d.Family), hints(ev.n[j], other))
		switch {
		case named == d.Family:
			d.Warning += fmt.Sprintf("; reading them as %s, as the name %s says (%s)", famShort(d.Family), filepath.Base(name), familyHint)
		case named != 0:
			d.Warning += fmt.Sprintf("; reading them as %s although the name %s says %s (%s)", famShort(d.Family), filepath.Base(name), famShort(named), familyHint)
		default:
			d.Warning += fmt.Sprintf("; reading them as %s (%s)", famShort(d.Family), familyHint)
		}
	}
	return d
}

func hints(n int, f ir.Family) string {
	if n == 1 {
		return "1 " + famShort(f) + " hint"
	}
	return fmt.Sprintf("%d %s hints", n, famShort(f))
}

func famShort(f ir.Family) string {
	if f == ir.IPv6 {
		return "IPv6"
	}
	return "IPv4"
}

func joinAddrs(a []netip.Addr) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}
