package iptables

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The generic options of a rule (-p, -s, -d, -i, -o, -f, -m, -j, -g, -c)
// and the commands (-A, -I, -D …).

// command records the command option and reads the arguments that
// follow it (chain, rule number, policy, new name).
func (p *parser) command(op Op, o opt) {
	if p.cmd.Op != OpNone {
		p.errorf(o.pos, "only one command at a time: %s and %s given", p.cmd.Op, op)
		return
	}
	p.cmd.Op, p.cmd.Pos = op, o.pos
	if len(o.args) > 0 {
		p.cmd.Chain, p.cmd.ChainPos = o.args[0].Text, o.args[0].Pos
	}
	next := func() (Token, bool) {
		if p.i < len(p.toks) && !strings.HasPrefix(p.toks[p.i].Text, "-") && p.toks[p.i].Text != "!" {
			p.i++
			return p.toks[p.i-1], true
		}
		return Token{}, false
	}
	num := func(t Token) {
		n, err := strconv.Atoi(t.Text)
		if err != nil || n < 1 {
			p.errorf(t.Pos, "invalid rule number %q", t.Text)
			return
		}
		p.cmd.Num = n
	}
	switch op {
	case OpInsert, OpZero, OpList, OpListRules:
		if op != OpInsert && p.cmd.Chain == "" {
			return
		}
		if t, ok := next(); ok {
			num(t)
		}
	case OpDelete:
		if t, ok := next(); ok {
			num(t)
		}
	case OpReplace:
		t, ok := next()
		if !ok {
			p.errorf(o.pos, "-R requires a rule number")
			return
		}
		num(t)
	case OpPolicy:
		t, ok := next()
		if !ok {
			p.errorf(o.pos, "-P requires a policy (ACCEPT or DROP)")
			return
		}
		switch strings.ToUpper(t.Text) {
		case "ACCEPT":
			p.cmd.Policy = ir.PolicyAccept
		case "DROP":
			p.cmd.Policy = ir.PolicyDrop
		default:
			p.errorf(t.Pos, "bad policy %q: a built-in chain's policy is ACCEPT or DROP", t.Text)
		}
	case OpRename:
		t, ok := next()
		if !ok {
			p.errorf(o.pos, "-E requires the new chain name")
			return
		}
		p.cmd.NewName = t.Text
	}
}

func (p *parser) onceGeneric(o opt, what string) bool {
	for _, w := range p.seen[:p.nseen] {
		if w == what {
			p.errorf(o.pos, "multiple %s flags not allowed", what)
			return false
		}
	}
	if p.nseen < len(p.seen) {
		p.seen[p.nseen] = what
		p.nseen++
	}
	return true
}

func (p *parser) generic(o opt, negPos ir.Pos) {
	if o.neg {
		switch o.name {
		case "source", "src", "destination", "dst", "protocol", "in-interface", "out-interface", "fragment":
		default:
			p.errorf(negPos, "option \"--%s\" cannot be negated", o.name)
			return
		}
	}
	switch o.name {
	case "append":
		p.command(OpAppend, o)
	case "check":
		p.command(OpCheck, o)
	case "delete":
		p.command(OpDelete, o)
	case "insert":
		p.command(OpInsert, o)
	case "replace":
		p.command(OpReplace, o)
	case "list":
		p.command(OpList, o)
	case "list-rules":
		p.command(OpListRules, o)
	case "flush":
		p.command(OpFlush, o)
	case "zero":
		p.command(OpZero, o)
	case "new-chain":
		p.command(OpNewChain, o)
	case "delete-chain":
		p.command(OpDeleteChain, o)
	case "policy":
		p.command(OpPolicy, o)
	case "rename-chain":
		p.command(OpRename, o)
	case "help", "version":
		p.command(OpHelp, o)
	case "table":
		if p.o.InRestore {
			p.errorf(o.pos, "\"-t\" is not allowed in iptables-restore input: use a *table line")
			return
		}
		if p.onceGeneric(o, "-t") {
			p.cmd.Table = o.arg()
			if !validTable(p.cmd.Table) {
				p.errorf(o.argPos(), "unknown table %q (tables are filter, nat, mangle, raw, security)", p.cmd.Table)
			}
		}
	case "source", "src", "destination", "dst":
		p.address(o)
	case "protocol":
		if p.onceGeneric(o, "-p") {
			pr, err := parseProtocol(o.arg(), p.o.Family)
			if err != nil {
				p.errorf(o.argPos(), "%v", err)
				return
			}
			if o.neg && (pr.All || pr.Num == 0) {
				// ipv4_proto_parse and ipv6_proto_parse (xshared.c).
				p.errorf(o.pos, "\"! -p %s\" would never match a packet, and iptables refuses it", o.arg())
				return
			}
			pr.Neg = o.neg
			pr.SetPos(o.pos)
			p.proto, p.protoTok = pr, o.args[0]
		}
	case "in-interface", "out-interface":
		dir, idx, flag := ir.Src, 0, "-i"
		if o.name == "out-interface" {
			dir, idx, flag = ir.Dst, 1, "-o"
		}
		if !p.onceGeneric(o, flag) {
			return
		}
		name := o.arg()
		if name == "" {
			p.errorf(o.argPos(), "empty interface name (iptables refuses it: \"Empty interface is likely to be undesired\")")
			return
		}
		if err := checkIfaceName(name); err != nil {
			p.errorf(o.argPos(), "%v", err)
			return
		}
		// iptables refuses -i in OUTPUT and POSTROUTING and -o in
		// PREROUTING and INPUT by the chain's name, in every table
		// ("Can't use -i with OUTPUT"); iptables-translate does too.
		if c := p.cmd.Chain; (idx == 0 && (c == "OUTPUT" || c == "POSTROUTING")) || (idx == 1 && (c == "PREROUTING" || c == "INPUT")) {
			p.errorf(o.pos, "%s cannot be used in chain %s: the packet has no %s interface there, and iptables refuses it", flag, c, map[int]string{0: "input", 1: "output"}[idx])
			return
		}
		if strings.ContainsAny(name, "/ ") {
			// iptables warns and loads it; the kernel takes any bytes.
			p.diags.Report(diag.InputForm, o.argPos(), "weird character in interface %q ('/' and ' ' are not allowed by the kernel)", name)
		}
		p.iface[idx] = &ir.Iface{At: ir.At{Src: o.pos}, Dir: dir, Neg: o.neg, Name: name}
	case "fragment":
		if p.o.Family == ir.IPv6 {
			p.errorf(o.pos, "-f is IPv4 only: ip6tables uses \"-m frag\"")
			return
		}
		if p.onceGeneric(o, "-f") {
			p.frag = &ir.Fragment{At: ir.At{Src: o.pos}, Neg: o.neg}
		}
	case "match":
		p.loadMatch(o)
	case "jump", "goto":
		p.loadTarget(o)
	case "set-counters":
		pk, err1 := strconv.ParseUint(o.args[0].Text, 10, 64)
		by, err2 := strconv.ParseUint(o.args[1].Text, 10, 64)
		if err1 != nil || err2 != nil {
			p.errorf(o.argPos(), "bad counters %q %q", o.args[0].Text, o.args[1].Text)
			return
		}
		p.counters = &ir.Counters{Packets: pk, Bytes: by}
	case "ipv4":
		p.cmd.OnlyFamily = ir.IPv4
	case "ipv6":
		p.cmd.OnlyFamily = ir.IPv6
	case "numeric", "verbose", "exact", "line-numbers", "modprobe", "wait", "wait-interval":
		// Output and locking options change nothing in the ruleset.
	}
}

func (p *parser) loadMatch(o opt) {
	name := o.arg()
	def := findMatch(name, p.o.Family)
	if def == nil {
		if other := findMatch(name, otherFamily(p.o.Family)); other != nil {
			p.errorf(o.argPos(), "match %q is %s only; this rule is %s", name, famWord(otherFamily(p.o.Family)), famWord(p.o.Family))
			return
		}
		msg := fmt.Sprintf("unknown match %q", name)
		if s := diag.Suggest(name, matchNames(p.o.Family)); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		p.errorf(o.argPos(), "%s", msg)
		return
	}
	p.newMatch(def, o.pos)
	p.ownerCache = nil
}

func (p *parser) loadTarget(o opt) {
	if p.targetName != "" {
		p.errorf(o.pos, "multiple -j flags not allowed")
		return
	}
	name := o.arg()
	p.targetName, p.targetPos = name, o.argPos()
	if name == "" {
		p.errorf(o.argPos(), "empty target name")
		return
	}
	if o.name == "goto" {
		p.jump = &ir.Jump{Chain: name, Goto: true}
		return
	}
	if def := findTarget(name, p.o.Family); def != nil {
		p.target = def
		p.ownerCache = nil
		return
	}
	if findTarget(name, otherFamily(p.o.Family)) != nil {
		p.errorf(o.argPos(), "target %q is %s only; this rule is %s", name, famWord(otherFamily(p.o.Family)), famWord(p.o.Family))
		return
	}
	p.jump = &ir.Jump{Chain: name}
}

func otherFamily(f ir.Family) ir.Family {
	if f == ir.IPv6 {
		return ir.IPv4
	}
	return ir.IPv6
}

func famWord(f ir.Family) string {
	if f == ir.IPv6 {
		return "IPv6 (ip6tables)"
	}
	return "IPv4 (iptables)"
}

func validTable(t string) bool {
	switch t {
	case "filter", "nat", "mangle", "raw", "security":
		return true
	}
	return false
}

func checkIfaceName(n string) error {
	if len(n) >= 16 {
		return fmt.Errorf("interface name %q is longer than 15 characters", n)
	}
	if strings.IndexByte(n, 0) >= 0 {
		return fmt.Errorf("invalid interface name %q", n)
	}
	return nil
}
