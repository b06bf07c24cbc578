package iptables

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Op is the command an iptables invocation performs.
type Op uint8

const (
	OpNone        Op = iota
	OpAppend         // -A
	OpInsert         // -I
	OpDelete         // -D
	OpReplace        // -R
	OpCheck          // -C
	OpNewChain       // -N
	OpDeleteChain    // -X
	OpFlush          // -F
	OpZero           // -Z
	OpPolicy         // -P
	OpRename         // -E
	OpList           // -L
	OpListRules      // -S
	OpHelp           // -h, -V
)

var opLetters = map[Op]string{
	OpAppend: "-A", OpInsert: "-I", OpDelete: "-D", OpReplace: "-R", OpCheck: "-C",
	OpNewChain: "-N", OpDeleteChain: "-X", OpFlush: "-F", OpZero: "-Z", OpPolicy: "-P",
	OpRename: "-E", OpList: "-L", OpListRules: "-S", OpHelp: "-h",
}

func (o Op) String() string { return opLetters[o] }

// Command is one parsed iptables invocation or iptables-restore line.
type Command struct {
	Op    Op
	Table string // as given with -t; "" when not given
	Chain string
	// Num is the rule number of -I/-D/-R/-Z/-L/-S (1-based), 0 when absent.
	Num     int
	Policy  ir.Policy // -P
	NewName string    // -E
	// Rules holds the rule of -A/-I/-D/-R/-C. A list of addresses or a host
	// name with several addresses yields one rule per address, as iptables
	// does.
	Rules    []*ir.Rule
	Pos      ir.Pos // the command option
	ChainPos ir.Pos
	// OnlyFamily is set by -4/-6: the line applies to that family only.
	OnlyFamily ir.Family
	// Hosts lists host names that were resolved, for warnings.
	Hosts []ResolvedHost
}

// ResolvedHost records a host name pinned to addresses at translate time.
type ResolvedHost struct {
	Name  string
	Addrs []netip.Addr
	Pos   ir.Pos
}

// Resolver looks up the addresses of a host name for a family.
type Resolver func(host string, fam ir.Family) ([]netip.Addr, error)

// ParseOptions tunes ParseCommand.
type ParseOptions struct {
	Family ir.Family
	// Resolve resolves host names in -s/-d; nil makes them an error.
	Resolve Resolver
	// InRestore is set for iptables-restore lines, where -t is refused.
	InRestore bool
	// Lenient accepts what iptables itself parses but the kernel refuses
	// at load time (a protocol match such as -m icmp without its -p, a
	// target outside its table or hook), as iptables-translate does. Only
	// for translating single commands to nftables: the conformance test
	// with the iptables project's vectors.
	Lenient bool
	// Table is the table of the restore section ("*raw"), so that
	// extensions limited to some tables are checked against it.
	Table string
}

var genericOpts = []optSpec{
	{name: "append", arg: oneArg}, {name: "check", arg: oneArg}, {name: "delete", arg: oneArg},
	{name: "insert", arg: oneArg}, {name: "replace", arg: oneArg}, {name: "list", arg: optArg},
	{name: "list-rules", arg: optArg}, {name: "flush", arg: optArg}, {name: "zero", arg: optArg},
	{name: "new-chain", arg: oneArg}, {name: "delete-chain", arg: optArg}, {name: "policy", arg: oneArg},
	{name: "rename-chain", arg: oneArg}, {name: "source", arg: oneArg}, {name: "src", arg: oneArg},
	{name: "destination", arg: oneArg}, {name: "dst", arg: oneArg}, {name: "protocol", arg: oneArg},
	{name: "in-interface", arg: oneArg}, {name: "out-interface", arg: oneArg}, {name: "jump", arg: oneArg},
	{name: "goto", arg: oneArg}, {name: "match", arg: oneArg}, {name: "numeric"}, {name: "table", arg: oneArg},
	{name: "verbose"}, {name: "exact"}, {name: "fragment"}, {name: "line-numbers"},
	{name: "set-counters", arg: twoArgs}, {name: "modprobe", arg: oneArg}, {name: "wait", arg: optArg},
	{name: "wait-interval", arg: oneArg}, {name: "ipv4"}, {name: "ipv6"}, {name: "help"}, {name: "version"},
}

var shortOpts = map[byte]string{
	'A': "append", 'C': "check", 'D': "delete", 'I': "insert", 'R': "replace", 'L': "list",
	'S': "list-rules", 'F': "flush", 'Z': "zero", 'N': "new-chain", 'X': "delete-chain",
	'P': "policy", 'E': "rename-chain", 's': "source", 'd': "destination", 'p': "protocol",
	'i': "in-interface", 'o': "out-interface", 'j': "jump", 'g': "goto", 'm': "match",
	'n': "numeric", 't': "table", 'v': "verbose", 'x': "exact", 'f': "fragment",
	'c': "set-counters", 'w': "wait", 'W': "wait-interval", '4': "ipv4", '6': "ipv6",
	'h': "help", 'V': "version",
}

var genericOwner = &optOwner{opts: genericOpts}

func genericSpec(name string) *optSpec {
	for i := range genericOpts {
		if genericOpts[i].name == name {
			return &genericOpts[i]
		}
	}
	return nil
}

// parser holds the state of one command being parsed.
type parser struct {
	o     ParseOptions
	toks  []Token
	i     int
	diags *diag.List
	cmd   *Command

	negNext bool
	negPos  ir.Pos

	iface      [2]*ir.Iface
	frag       *ir.Fragment
	proto      *ir.Protocol
	protoTok   Token
	src, dst   []addrSpec
	srcNeg     bool
	dstNeg     bool
	matches    []*matchInst
	target     *targetDef
	targetOpts []opt
	jump       *ir.Jump
	targetName string
	targetPos  ir.Pos
	counters   *ir.Counters
	// seen holds the generic flags given so far ("-p", "-s" …); a fixed
	// array because a map per command showed up in profiles.
	seen  [8]string
	nseen int
	// ownerCache is owners()'s result until a match or target is loaded.
	ownerCache []*optOwner
	ownerBuf   []*optOwner
	tgtOwner   optOwner

	// Storage kept from one command to the next when a parser is reused
	// (see reset): a save file of 100,000 rules otherwise allocates a
	// parser, its match instances and two build contexts per line, which
	// made a third of translate's garbage.
	insts []*matchInst // insts[i] backs matches[i]
	cx    ctx
}

// ParseCommand parses the arguments of one iptables command (without the
// program name). It collects every problem it finds.
func ParseCommand(toks []Token, o ParseOptions) (*Command, *diag.List) {
	return new(parser).parse(toks, o)
}

// parse is ParseCommand on a parser that may have parsed commands before.
func (p *parser) parse(toks []Token, o ParseOptions) (*Command, *diag.List) {
	if o.Family == 0 {
		o.Family = ir.IPv4
	}
	p.reset(toks, o)
	p.run()
	if p.diags.HasErrors() {
		return p.cmd, p.diags
	}
	p.finish()
	return p.cmd, p.diags
}

// reset readies p for a command, keeping the capacity of its buffers.
// Nothing a command returns points into them: build functions copy what
// they keep out of their options.
func (p *parser) reset(toks []Token, o ParseOptions) {
	*p = parser{
		o: o, toks: toks, diags: &diag.List{}, cmd: &Command{Table: o.Table},
		matches: p.matches[:0], targetOpts: p.targetOpts[:0], ownerBuf: p.ownerBuf[:0],
		insts: p.insts, cx: ctx{seen: p.cx.seen[:0]},
	}
}

// newMatch adds a match instance to the command, reusing storage.
func (p *parser) newMatch(def *matchDef, pos ir.Pos) *matchInst {
	n := len(p.matches)
	if n == len(p.insts) {
		p.insts = append(p.insts, &matchInst{})
	}
	m := p.insts[n]
	*m = matchInst{def: def, pos: pos, opts: m.opts[:0]}
	p.matches = append(p.matches, m)
	return m
}

func (p *parser) errorf(pos ir.Pos, format string, args ...any) {
	p.diags.Errorf(pos, format, args...)
}

func (p *parser) owners() []*optOwner {
	if p.ownerCache != nil {
		return p.ownerCache
	}
	out := append(p.ownerBuf[:0], genericOwner)
	// The newest instance of a module takes its options, as in iptables,
	// where loading a module again marks the earlier instances complete.
next:
	for i := len(p.matches) - 1; i >= 0; i-- {
		m := p.matches[i]
		for _, o := range out[1:] {
			if o.match != nil && o.match.def == m.def {
				continue next
			}
		}
		m.owner = optOwner{opts: m.def.opts, match: m}
		out = append(out, &m.owner)
	}
	if p.target != nil {
		p.tgtOwner = optOwner{opts: p.target.opts, isTgt: true}
		out = append(out, &p.tgtOwner)
	}
	p.ownerBuf = out
	p.ownerCache = out
	return out
}

// run reads the arguments. It stops at the first error, as iptables does:
// what follows a bad option is usually that option's argument, and reporting
// it too would only add noise. Other lines are still checked.
func (p *parser) run() {
	for p.i < len(p.toks) && !p.diags.HasErrors() {
		t := p.toks[p.i]
		p.i++
		switch {
		case t.Text == "!":
			if p.negNext {
				p.errorf(t.Pos, "multiple \"!\" flags not allowed")
			}
			p.negNext, p.negPos = true, t.Pos
		case strings.HasPrefix(t.Text, "--") && len(t.Text) > 2:
			p.longOpt(t)
		case strings.HasPrefix(t.Text, "-") && len(t.Text) > 1:
			p.shortOpts(t)
		default:
			p.errorf(t.Pos, "unexpected argument %q", t.Text)
			p.negNext = false
		}
	}
	if p.negNext && !p.diags.HasErrors() {
		p.errorf(p.negPos, "\"!\" at the end of the command negates nothing")
	}
}

func (p *parser) longOpt(t Token) {
	name, val, hasVal := strings.Cut(t.Text[2:], "=")
	owner, spec, amb := lookup(name, p.owners())
	if amb != nil {
		p.errorf(t.Pos, "option \"--%s\" is ambiguous (could be %s)", name, strings.Join(amb, ", "))
		p.negNext = false
		return
	}
	if owner == nil {
		owner, spec = p.loadProto(name, t.Pos)
	}
	if owner == nil {
		p.unknownOption(t, name)
		p.negNext = false
		return
	}
	var inline *Token
	if hasVal {
		v := Token{Text: val, Pos: t.Pos}
		v.Pos.Col += 3 + len(name)
		inline = &v
	}
	p.dispatch(owner, spec, t, inline)
}

func (p *parser) shortOpts(t Token) {
	s := t.Text[1:]
	for j := 0; j < len(s); j++ {
		name, ok := shortOpts[s[j]]
		if !ok {
			p.errorf(t.Pos, "unknown option \"-%c\"", s[j])
			p.negNext = false
			return
		}
		spec := genericSpec(name)
		if spec.arg != noArg && j+1 < len(s) {
			v := Token{Text: s[j+1:], Pos: t.Pos}
			v.Pos.Col += j + 2
			p.dispatch(genericOwner, spec, t, &v)
			return
		}
		p.dispatch(genericOwner, spec, t, nil)
	}
}

// loadProto implements iptables' implicit match: an unknown option after
// "-p tcp" loads the tcp match and is looked up again.
func (p *parser) loadProto(name string, at ir.Pos) (*optOwner, *optSpec) {
	if p.proto == nil || p.proto.Neg || p.proto.All {
		return nil, nil
	}
	mod := protoModule(p.proto.Num, p.o.Family)
	def := findMatch(mod, p.o.Family)
	if def == nil {
		return nil, nil
	}
	for _, m := range p.matches {
		if m.def == def {
			return nil, nil
		}
	}
	// The implicit match points at the option that loaded it ("--dport"
	// of "-p tcp --dport 22"), not at the protocol.
	inst := p.newMatch(def, at)
	p.ownerCache = nil
	owner, spec, amb := lookup(name, p.owners())
	if owner == nil || amb != nil || owner.match != inst {
		p.matches = p.matches[:len(p.matches)-1]
		p.ownerCache = nil
		return nil, nil
	}
	return owner, spec
}

func (p *parser) unknownOption(t Token, name string) {
	var cands []string
	for _, o := range p.owners() {
		for _, s := range o.opts {
			cands = append(cands, s.name)
		}
	}
	// Offer the options of the protocol's implicit match and of the common
	// modules too: "--dprot" after "-p tcp" should suggest "--dport".
	if p.proto != nil {
		if d := findMatch(protoModule(p.proto.Num, p.o.Family), p.o.Family); d != nil {
			for _, s := range d.opts {
				cands = append(cands, s.name)
			}
		}
	}
	msg := fmt.Sprintf("unknown option \"--%s\"", name)
	if s := diag.Suggest(name, cands); s != "" {
		msg += fmt.Sprintf(" (did you mean --%s?)", s)
	} else if owner := moduleOwning(name, p.o.Family); owner != "" {
		msg += fmt.Sprintf(" (it belongs to the %s module: add \"-m %s\" before it)", owner, owner)
	}
	p.errorf(t.Pos, "%s", msg)
}

// moduleOwning names a module that declares option name, for hints.
func moduleOwning(name string, f ir.Family) string {
	for _, n := range matchNames(f) {
		for _, s := range matchDefs[n].opts {
			if s.name == name {
				return matchDefs[n].name
			}
		}
	}
	return ""
}

// takeArgs reads the arguments an option needs.
func (p *parser) takeArgs(spec *optSpec, t Token, inline *Token) ([]Token, bool) {
	// The common case, one argument in the next word, is a subslice of the
	// command's tokens: no allocation per option.
	if spec.arg == oneArg && inline == nil && p.i < len(p.toks) {
		p.i++
		return p.toks[p.i-1 : p.i : p.i], true
	}
	var args []Token
	if inline != nil {
		args = append(args, *inline)
	}
	need := 0
	switch spec.arg {
	case oneArg:
		need = 1
	case twoArgs:
		need = 2
	case optArg:
		if inline == nil && p.i < len(p.toks) && !strings.HasPrefix(p.toks[p.i].Text, "-") && p.toks[p.i].Text != "!" {
			args = append(args, p.toks[p.i])
			p.i++
		}
		return args, true
	case noArg:
		if inline != nil {
			p.errorf(inline.Pos, "option \"--%s\" takes no argument", spec.name)
			return nil, false
		}
		return nil, true
	}
	for len(args) < need {
		if p.i >= len(p.toks) {
			p.errorf(t.Pos, "option \"--%s\" requires an argument", spec.name)
			return nil, false
		}
		args = append(args, p.toks[p.i])
		p.i++
	}
	return args, true
}

func (p *parser) dispatch(owner *optOwner, spec *optSpec, t Token, inline *Token) {
	neg, negPos := p.negNext, p.negPos
	p.negNext = false
	args, ok := p.takeArgs(spec, t, inline)
	if !ok {
		return
	}
	for _, a := range args {
		if a.Text == "!" {
			p.errorf(a.Pos, "\"--%s ! ARG\" is an old syntax iptables no longer accepts: write \"! --%s ARG\"", spec.name, spec.name)
			return
		}
	}
	if neg && spec.noInvert {
		p.errorf(negPos, "option \"--%s\" cannot be negated", spec.name)
		return
	}
	o := opt{name: spec.name, neg: neg, args: args, pos: t.Pos}
	switch {
	case owner.isTgt:
		p.targetOpts = append(p.targetOpts, o)
	case owner.match != nil:
		owner.match.opts = append(owner.match.opts, o)
	default:
		p.generic(o, negPos)
	}
}
