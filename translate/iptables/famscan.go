package iptables

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// famScan collects the family evidence of rule lines. It reads a line the
// way ParseCommand does (the same option table, the same argument counts,
// the implicit match of -p), so that only option names and the values of
// address, protocol, module and reject options are looked at: a comment, a
// set name or a log prefix is skipped as the argument it is, whatever it
// says. It copies nothing and allocates nothing per line.
type famScan struct {
	ev famEvidence
	// line-local state
	lineEv     famEvidence
	restricted bool // the line carries -4 or -6
	owners     []scanOwner
	proto      uint8
	protoAll   bool
	tgtSeen    bool
	neg        bool // a "!" is pending
	n          int  // line number
}

// famEvidence counts the IPv4 (index 0) and IPv6 (index 1) hints and
// remembers the first of each.
type famEvidence struct {
	n    [2]int
	line [2]int
	col  [2]int
	// what describes the first hint, as two halves joined when reported:
	// this runs for every line.
	what [2][2]string
}

func (e *famEvidence) describe(i int) string { return e.what[i][0] + e.what[i][1] }

func famIndex(f ir.Family) int {
	if f == ir.IPv6 {
		return 1
	}
	return 0
}

// add counts a hint; what+val describes it.
func (e *famEvidence) add(f ir.Family, line, col int, what, val string) {
	i := famIndex(f)
	if e.n[i] == 0 {
		e.line[i], e.col[i], e.what[i] = line, col, [2]string{what, val}
	}
	e.n[i]++
}

func (e *famEvidence) merge(o *famEvidence) {
	for i := range 2 {
		if o.n[i] > 0 && e.n[i] == 0 {
			e.line[i], e.col[i], e.what[i] = o.line[i], o.col[i], o.what[i]
		}
		e.n[i] += o.n[i]
	}
}

// shortSpecs is shortOpts resolved once, indexed by the letter.
var shortSpecs = func() (t [256]*optSpec) {
	for c, name := range shortOpts {
		t[c] = genericSpec(name)
	}
	return t
}()

var genericIndex = func() map[string]*optSpec {
	m := map[string]*optSpec{}
	for i := range genericOpts {
		m[genericOpts[i].name] = &genericOpts[i]
	}
	return m
}()

// scanOwner is one set of options the scanner resolves names against, in
// the parser's order: generic, loaded matches newest first, the target.
type scanOwner struct {
	opts []optSpec
	fam  ir.Family
	def  *matchDef
	tgt  *targetDef
}

// word is one word of a line; raw holds quotes or backslashes still.
type word struct {
	text string
	col  int
	raw  bool
}

// unquoted returns the word as SplitLine would give it.
func (w word) unquoted() string {
	if !w.raw {
		return w.text
	}
	toks, _, ok := SplitLine(w.text, ir.Pos{})
	if !ok || len(toks) != 1 {
		return ""
	}
	return toks[0].Text
}

// wordIter splits a line as SplitLine does (blanks separate, double quotes
// group, a backslash inside quotes escapes) without copying.
type wordIter struct {
	line string
	i    int
}

// next returns the next word; ok is false at the end of the line or at an
// unterminated quote.
func (it *wordIter) next() (w word, ok bool) {
	s := it.line
	i := it.i
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	if i >= len(s) {
		it.i = i
		return word{}, false
	}
	start, inQuote, raw := i, false, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inQuote, raw = !inQuote, true
		case c == '\\' && inQuote:
			i++
		case !inQuote && isBlank(c):
			it.i = i
			return word{text: s[start:i], col: start + 1, raw: raw}, true
		}
	}
	it.i = len(s)
	if inQuote {
		return word{}, false
	}
	return word{text: s[start:], col: start + 1, raw: raw}, true
}

// scanLine adds the evidence of one rule line (its text from the first
// option on, col 1 being column off+1 of the file's line n).
func (s *famScan) scanLine(line string, n, off int) {
	s.n = n
	s.lineEv = famEvidence{}
	s.restricted, s.proto, s.protoAll, s.tgtSeen, s.neg = false, 0, false, false, false
	s.owners = append(s.owners[:0], scanOwner{opts: genericOpts})
	it := wordIter{line: line}
	s.words(&it, off)
	if !s.restricted {
		s.ev.merge(&s.lineEv)
	}
}

func (s *famScan) words(it *wordIter, off int) {
	for {
		w, ok := it.next()
		if !ok {
			return
		}
		w.col += off
		t := w.unquoted()
		switch {
		case t == "!":
			s.neg = true
		case strings.HasPrefix(t, "--") && len(t) > 2:
			if !s.longOpt(it, t[2:], w.col, off) {
				return
			}
		case strings.HasPrefix(t, "-") && len(t) > 1:
			if !s.shortOpts(it, t[1:], w.col, off) {
				return
			}
		default:
			// Not an option where one is due: ParseCommand refuses the
			// line, and nothing after it is in a known position.
			return
		}
	}
}

func (s *famScan) longOpt(it *wordIter, name string, col, off int) bool {
	name, val, hasVal := strings.Cut(name, "=")
	o, spec, amb := s.lookup(name)
	if amb {
		return false
	}
	if spec == nil {
		o, spec = s.loadProto(name)
		if spec == nil {
			return false
		}
	}
	var inline *word
	if hasVal {
		inline = &word{text: val, col: col + 3 + len(name)}
	}
	return s.option(it, o, spec, inline, col, off)
}

func (s *famScan) shortOpts(it *wordIter, letters string, col, off int) bool {
	for j := 0; j < len(letters); j++ {
		spec := shortSpecs[letters[j]]
		if spec == nil {
			return false
		}
		if spec.arg != noArg && j+1 < len(letters) {
			return s.option(it, 0, spec, &word{text: letters[j+1:], col: col + j + 2}, col, off)
		}
		if !s.option(it, 0, spec, nil, col, off) {
			return false
		}
	}
	return true
}

// lookup resolves a long option as getopt_long does (see lookup in
// getopt.go), returning the index of its owner.
func (s *famScan) lookup(name string) (owner int, spec *optSpec, ambiguous bool) {
	// The generic options come first; a map spares a scan of all of them
	// for every option of a module.
	if g := genericIndex[name]; g != nil {
		return 0, g, false
	}
	for i := 1; i < len(s.owners); i++ {
		for j := range s.owners[i].opts {
			if s.owners[i].opts[j].name == name {
				return i, &s.owners[i].opts[j], false
			}
		}
	}
	for i := range s.owners {
		for j := range s.owners[i].opts {
			if strings.HasPrefix(s.owners[i].opts[j].name, name) {
				if spec != nil {
					return 0, nil, true
				}
				owner, spec = i, &s.owners[i].opts[j]
			}
		}
	}
	return owner, spec, false
}

// loadProto is the implicit match of -p, as in the parser.
func (s *famScan) loadProto(name string) (int, *optSpec) {
	if s.proto == 0 || s.protoAll {
		return 0, nil
	}
	def := matchDefs[protoModule(s.proto, 0)]
	if def == nil {
		return 0, nil
	}
	for _, o := range s.owners {
		if o.def == def {
			return 0, nil
		}
	}
	s.addMatch(def)
	i, spec, amb := s.lookup(name)
	if spec == nil || amb || s.owners[i].def != def {
		return 0, nil
	}
	return i, spec
}

// addMatch puts a loaded match first among the matches, as the newest
// instance of a module takes its options.
func (s *famScan) addMatch(def *matchDef) {
	o := scanOwner{opts: def.opts, fam: def.family, def: def}
	for i := 1; i < len(s.owners); i++ {
		if s.owners[i].def == def {
			copy(s.owners[2:i+1], s.owners[1:i])
			s.owners[1] = o
			return
		}
	}
	s.owners = append(s.owners, scanOwner{})
	copy(s.owners[2:], s.owners[1:len(s.owners)-1])
	s.owners[1] = o
}

// option takes the arguments of one option and records what they say.
func (s *famScan) option(it *wordIter, owner int, spec *optSpec, inline *word, col, off int) bool {
	var args [2]word
	n := 0
	if inline != nil {
		args[0], n = *inline, 1
	}
	need := 0
	switch spec.arg {
	case oneArg:
		need = 1
	case twoArgs:
		need = 2
	case optArg:
		if inline == nil {
			save := it.i
			if w, ok := it.next(); ok {
				if t := w.unquoted(); strings.HasPrefix(t, "-") || t == "!" {
					it.i = save
				} else {
					w.col += off
					args[0], n = w, 1
				}
			}
		}
	case noArg:
		if inline != nil {
			return false
		}
	}
	for n < need {
		w, ok := it.next()
		if !ok {
			return false
		}
		w.col += off
		args[n] = w
		n++
	}
	neg := s.neg
	s.neg = false
	o := &s.owners[owner]
	if o.tgt != nil && o.fam != 0 && !s.tgtSeen {
		s.tgtSeen = true
		s.lineEv.add(o.fam, s.n, col, "-j ", o.tgt.name)
	}
	if n == 0 {
		if owner == 0 && (spec.name == "ipv4" || spec.name == "ipv6") {
			s.restricted = true
		}
		return true
	}
	return s.value(o, spec.name, args[0], neg)
}

// value records what the argument of option name says about the family.
func (s *famScan) value(o *scanOwner, name string, w word, neg bool) bool {
	// Only the arguments looked at below are unquoted: free text is
	// never even read.
	v := w.text
	if o.def == nil && o.tgt == nil {
		if w.raw {
			v = w.unquoted()
		}
		switch name {
		case "source", "src", "destination", "dst":
			s.addrs(v, w.col)
		case "protocol":
			s.protocol(v, w.col, neg)
		case "match":
			def := matchDefs[v]
			if def == nil {
				// An extension ruleshift does not know: its options
				// cannot be told from their arguments.
				return false
			}
			if def.family != 0 {
				s.lineEv.add(def.family, s.n, w.col, "-m ", v)
			}
			s.addMatch(def)
		case "jump", "goto":
			if d := targetDefs[v]; d != nil && len(s.owners) > 0 && s.owners[len(s.owners)-1].tgt == nil {
				s.owners = append(s.owners, scanOwner{opts: d.opts, fam: d.family, tgt: d})
			}
		}
		return true
	}
	switch {
	case name == "reject-with", name == "mask":
	case isAddrOpt(name):
		if w.raw {
			v = w.unquoted()
		}
		s.addrs(v, w.col)
		return true
	default:
		return true
	}
	if w.raw {
		v = w.unquoted()
	}
	switch name {
	case "mask":
		if o.def != nil && o.def.name == "recent" {
			s.addrs(v, w.col)
		}
	case "reject-with":
		// Read with the prefix rule REJECT itself applies, so a type
		// counts for the family only when the other one cannot take it.
		_, in4 := findReject(v, rejectV4)
		_, in6 := findReject(v, rejectV6)
		switch {
		case in4 && !in6:
			s.lineEv.add(ir.IPv4, s.n, w.col, "--reject-with ", v)
		case in6 && !in4:
			s.lineEv.add(ir.IPv6, s.n, w.col, "--reject-with ", v)
		}
	}
	return true
}

func (s *famScan) protocol(v string, col int, neg bool) {
	n, ok := protoNums[v]
	if !ok {
		if x, err := strconv.ParseUint(v, 10, 8); err == nil {
			n, ok = uint8(x), true
		} else {
			n, ok = protoNums[strings.ToLower(v)]
		}
	}
	if !ok || n == 0 {
		return
	}
	// "! -p tcp" loads no implicit match, as in the parser.
	s.proto, s.protoAll = n, neg
	switch n {
	case 1:
		s.lineEv.add(ir.IPv4, s.n, col, "-p ", v)
	case 58:
		s.lineEv.add(ir.IPv6, s.n, col, "-p ", v)
	}
}

// addrs records the family of each address in a list such as
// "10.0.0.0/8,192.0.2.1", "[2001:db8::1]:80", "1.2.3.4-1.2.3.9:80-90".
// Host names say nothing.
func (s *famScan) addrs(v string, col int) {
	for v != "" {
		a := v
		if k := strings.IndexByte(v, ','); k >= 0 {
			a, v = v[:k], v[k+1:]
		} else {
			v = ""
		}
		if f := addrFamily(a); f != 0 {
			s.lineEv.add(f, s.n, col, "address ", a)
		}
	}
}

func addrFamily(a string) ir.Family {
	if strings.HasPrefix(a, "[") {
		if k := strings.IndexByte(a, ']'); k > 0 {
			a = a[1:k]
		}
	}
	if k := strings.IndexByte(a, '-'); k >= 0 {
		a = a[:k]
	}
	if k := strings.IndexByte(a, '/'); k >= 0 {
		a = a[:k]
	}
	if a == "" || !(a[0] >= '0' && a[0] <= '9' || a[0] >= 'a' && a[0] <= 'f' || a[0] >= 'A' && a[0] <= 'F' || a[0] == ':') {
		return 0
	}
	if x, err := netip.ParseAddr(a); err == nil {
		if x.Is4() {
			return ir.IPv4
		}
		return ir.IPv6
	}
	// 192.0.2.1:80, as DNAT --to-destination writes an IPv4 address
	// with a port.
	if h, _, ok := strings.Cut(a, ":"); ok {
		if x, err := netip.ParseAddr(h); err == nil && x.Is4() {
			return ir.IPv4
		}
	}
	return 0
}

// isAddrOpt names the options of extensions whose argument is an address,
// a list or a range of them.
func isAddrOpt(name string) bool {
	switch name {
	case "to-destination", "to-source", "to", "ctorigsrc", "ctorigdst", "ctreplsrc", "ctrepldst",
		"src-range", "dst-range", "on-ip", "gateway", "tunnel-src", "tunnel-dst", "vaddr", "src-pfx", "dst-pfx":
		return true
	}
	return false
}
