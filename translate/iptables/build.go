package iptables

import (
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// addrSpec is one element of a -s/-d list before host names are resolved.
type addrSpec struct {
	net  netip.Prefix
	mask netip.Addr // non-contiguous mask only
	host string
	bits int    // prefix length given with a host name, -1 if none
	pos  ir.Pos // the element
	opt  ir.Pos // the -s or -d option: where the Addr match points
}

func (p *parser) address(o opt) {
	src := o.name == "source" || o.name == "src"
	flag := "-d"
	if src {
		flag = "-s"
	}
	if !p.onceGeneric(o, flag) {
		return
	}
	var list []addrSpec
	col := 0
	for _, part := range strings.Split(o.arg(), ",") {
		pos := o.argPos()
		pos.Col += col
		col += len(part) + 1
		a, err := parseAddr(part, p.o.Family)
		if err != nil {
			p.errorf(pos, "%v", err)
			continue
		}
		a.pos, a.opt = pos, o.pos
		list = append(list, a)
	}
	if o.neg && len(list) > 1 {
		p.errorf(o.pos, "! not allowed with multiple source or destination addresses")
	}
	if src {
		p.src, p.srcNeg = list, o.neg
	} else {
		p.dst, p.dstNeg = list, o.neg
	}
}

// buildCtx is the context of one match's or the target's build
// function, in storage the parser reuses.
func (p *parser) buildCtx(name string, opts []opt, pos ir.Pos) *ctx {
	p.cx = ctx{name: name, fam: p.o.Family, table: p.cmd.Table, chain: p.cmd.Chain, proto: p.proto, opts: opts, pos: pos, diags: p.diags, lenient: p.o.Lenient, seen: p.cx.seen[:0]}
	return &p.cx
}

// finish builds the typed rule(s) once every argument is read.
func (p *parser) finish() {
	var mods []ir.Match
	for _, m := range p.matches {
		c := p.buildCtx(m.def.name, m.opts, m.pos)
		if c.table == "" {
			c.table = "filter"
		}
		if mm := m.def.build(c); mm != nil {
			mm.SetPos(m.pos)
			mods = append(mods, mm)
		}
	}
	var tgt ir.Target
	switch {
	case p.target != nil:
		c := p.buildCtx(p.target.name, p.targetOpts, p.targetPos)
		if c.table == "" {
			c.table = "filter"
		}
		// The table and hook checks are the kernel's; iptables-translate
		// translates a lone command without them, and so does Lenient.
		switch {
		case p.o.Lenient:
		case p.target.tables != nil && !contains(p.target.tables, c.table):
			p.errorf(p.targetPos, "target %s is only valid in the %s table(s), not in %q", p.target.name, strings.Join(p.target.tables, ", "), c.table)
		case p.target.name == "DROP" && c.table == "nat":
			// iptables' own check (do_command4 and do_command6), not
			// the kernel's.
			p.errorf(p.targetPos, "iptables refuses DROP in the nat table, which is not for filtering: drop in the filter table")
		case p.target.hooks != nil && IsBuiltin(c.table, c.chain) && !contains(p.target.hooks, c.chain):
			p.errorf(p.targetPos, "target %s is only valid in the %s chain(s), not in %s (the kernel refuses it there)", p.target.name, strings.Join(p.target.hooks, ", "), c.chain)
		}
		tgt = p.target.build(c)
	case p.jump != nil:
		tgt = p.jump
	}
	if tgt != nil {
		tgt.SetPos(p.targetPos)
	}
	if p.diags.HasErrors() {
		return
	}
	switch p.cmd.Op {
	case OpAppend, OpInsert, OpReplace, OpCheck:
	case OpDelete:
		if p.cmd.Num > 0 {
			if len(mods) > 0 || tgt != nil || p.proto != nil || p.src != nil || p.dst != nil {
				p.errorf(p.cmd.Pos, "-D takes either a rule number or a rule, not both")
			}
			return
		}
	case OpNone:
		if len(p.toks) > 0 {
			p.errorf(p.toks[0].Pos, "no command given (such as -A CHAIN)")
		}
		return
	default:
		if len(mods) > 0 || tgt != nil || p.proto != nil || p.src != nil || p.dst != nil {
			p.errorf(p.cmd.Pos, "%s takes no rule specification", p.cmd.Op)
		}
		return
	}
	srcs := p.resolve(p.src, ir.Src)
	dsts := p.resolve(p.dst, ir.Dst)
	if p.diags.HasErrors() {
		return
	}
	if srcs == nil {
		srcs = []*ir.Addr{nil}
	}
	if dsts == nil {
		dsts = []*ir.Addr{nil}
	}
	for _, s := range srcs {
		for _, d := range dsts {
			r := &ir.Rule{Src: p.cmd.Pos, Counters: p.counters, Target: tgt}
			if p.iface[0] != nil {
				r.Matches = append(r.Matches, p.iface[0])
			}
			if p.iface[1] != nil {
				r.Matches = append(r.Matches, p.iface[1])
			}
			if p.frag != nil {
				r.Matches = append(r.Matches, p.frag)
			}
			if p.proto != nil {
				r.Matches = append(r.Matches, p.proto)
			}
			if s != nil {
				s.Neg = p.srcNeg
				r.Matches = append(r.Matches, s)
			}
			if d != nil {
				d.Neg = p.dstNeg
				r.Matches = append(r.Matches, d)
			}
			r.Matches = append(r.Matches, mods...)
			p.cmd.Rules = append(p.cmd.Rules, r)
		}
	}
}

// resolve turns address specs into one Addr per address, looking up host
// names with the configured resolver.
func (p *parser) resolve(list []addrSpec, dir ir.Dir) []*ir.Addr {
	var out []*ir.Addr
	for _, a := range list {
		if a.host == "" {
			out = append(out, &ir.Addr{At: ir.At{Src: a.opt}, Dir: dir, Net: a.net, Mask: a.mask})
			continue
		}
		if p.o.Resolve == nil {
			p.errorf(a.pos, "%q is a host name, and host names are not resolved (give an address, or --hosts FILE)", a.host)
			continue
		}
		addrs, err := p.o.Resolve(a.host, p.o.Family)
		if err != nil {
			p.errorf(a.pos, "cannot resolve host %q: %v", a.host, err)
			continue
		}
		if len(addrs) == 0 {
			p.errorf(a.pos, "host %q has no %s address", a.host, famWord(p.o.Family))
			continue
		}
		p.cmd.Hosts = append(p.cmd.Hosts, ResolvedHost{Name: a.host, Addrs: addrs, Pos: a.pos})
		for _, ip := range addrs {
			bits := ip.BitLen()
			if a.bits >= 0 {
				bits = a.bits
			}
			pfx, _ := ip.Prefix(bits)
			out = append(out, &ir.Addr{At: ir.At{Src: a.opt}, Dir: dir, Net: pfx, Host: a.host})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
