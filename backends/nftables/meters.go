package nftables

import (
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Hashlimit names shared by several rules.
//
// xt_hashlimit keeps one table of buckets per name and family in a network
// namespace (htable_find_get in net/netfilter/xt_hashlimit.c looks it up by
// name and family only): every rule of that family with that name, in any
// iptables table, counts in the same buckets, and the buckets' key, rate,
// burst and expiry are those of the rule whose check ran first, whatever
// the later rules say. In nft a meter is a set created with its rule, so
// two "meter NAME" statements make nft 1.0.6 refuse the second rule
// (EBUSY). So:
//
//   - a name used once stays a meter, as iptables-translate writes it;
//   - a name used by several rules of one table with the same parameters
//     becomes one named dynamic set that each rule updates, which is
//     exactly what the meter compiles to (a set with flags dynamic and, with
//     an expiry, timeout; "update @NAME { KEY timeout Ns limit … }", or
//     "add @NAME { KEY limit … }" without one);
//   - a name used with different parameters, or in two tables of a family,
//     is refused naming the other rule: iptables would silently apply the
//     first rule's parameters to every rule, and nft sets belong to one
//     table. An element's limit is a copy of the limit of the rule that
//     added it, so rules of different rates (or one with --hashlimit-above
//     and one without) cannot share a set either.

// meterUse is one hashlimit match of the ruleset.
type meterUse struct {
	table *ir.Table
	rule  *ir.Rule
	m     *ir.Hashlimit
}

// meterPlan lists the hashlimit matches by family and name.
type meterPlan struct {
	uses  map[meterName][]meterUse
	order []meterName // in the order of first use
	// nft is the name each hashlimit name has in nft (see meterIdent).
	nft map[meterName]string
}

type meterName struct {
	fam  ir.Family
	name string
}

// planMeters collects the hashlimit matches of every table.
func planMeters(rs *ir.Ruleset) *meterPlan {
	p := &meterPlan{uses: map[meterName][]meterUse{}}
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				for _, x := range r.Matches {
					if m, ok := x.(*ir.Hashlimit); ok {
						k := meterName{t.Family, m.Name}
						if p.uses[k] == nil {
							p.order = append(p.order, k)
						}
						p.uses[k] = append(p.uses[k], meterUse{t, r, m})
					}
				}
			}
		}
	}
	p.nft = map[meterName]string{}
	used := map[string]bool{}
	for _, k := range p.order {
		if nftIdentOK(k.name) {
			used[k.fam.String()+" "+k.name] = true
		}
	}
	for _, k := range p.order {
		p.nft[k] = meterIdent(k.name, func(n string) bool { return used[k.fam.String()+" "+n] })
		used[k.fam.String()+" "+p.nft[k]] = true
	}
	return p
}

// nftIdentOK reports whether nft 1.0.6 takes name unquoted as a set name
// and no anonymous set can have it.
func nftIdentOK(name string) bool {
	return plainIdent.MatchString(name) && !keywords[name] && !strings.HasPrefix(name, "__set")
}

// meterIdent is the nft name of a hashlimit name. A name nft 1.0.6 cannot
// parse ("icmp", "udp", "my limit") or an anonymous set could have
// ("__set0") gets a "_meter" suffix: the name is not seen by any packet,
// only by someone listing the buckets, so it may change where it must.
// taken reports the names already in use; the result is none of them.
func meterIdent(name string, taken func(string) bool) string {
	if nftIdentOK(name) {
		return name
	}
	base := strings.TrimSuffix(SafeChainName(name), "_chain") + "_meter"
	if !nftIdentOK(base) {
		base = "hl" + base // "__set0" → "hl__set0_meter"
	}
	n := base
	for i := 2; taken != nil && taken(n); i++ {
		n = fmt.Sprintf("%s_%d", base, i)
	}
	return n
}

// meterNFT is the nft name of the hashlimit name of m in the rule being
// written.
func (w *rw) meterNFT(m *ir.Hashlimit) string {
	if w.ctx.meters != nil {
		if n, ok := w.ctx.meters.nft[meterName{w.ctx.Family, m.Name}]; ok {
			return n
		}
	}
	return meterIdent(m.Name, nil)
}

// declare reserves the hashlimit names t uses, so that the table's other
// declarations (connlimit0, …) do not take them, and declares the set of
// each name that t's rules share, in the order of first use, before any
// rule: nft -f creates the declared sets first, and the netlink loader
// must create them in the same order for the listings to match.
func (p *meterPlan) declare(d *Decls, t *ir.Table) {
	if p == nil {
		return
	}
	var names []string
	for _, k := range p.order {
		for _, u := range p.uses[k] {
			if u.table == t {
				names = append(names, p.nft[k])
				break
			}
		}
	}
	d.reserve(names)
	for _, k := range p.order {
		uses := p.uses[k]
		if len(uses) < 2 || uses[0].table != t {
			continue
		}
		m := uses[0].m
		d.named(&stmt.SetDecl{Name: p.nft[k], Keys: meterSetKeys(m, t.Family), Size: 65535, Timeout: m.Expire != 1000})
	}
}

// sameBuckets reports how two hashlimit matches differ in what nft keeps
// per set element ("" when they do not).
func sameBuckets(a, b *ir.Hashlimit) string {
	var d []string
	if a.Mode != b.Mode {
		d = append(d, "--hashlimit-mode")
	}
	if a.Mode&ir.HashSrcIP != 0 && a.SrcMask != b.SrcMask {
		d = append(d, "--hashlimit-srcmask")
	}
	if a.Mode&ir.HashDstIP != 0 && a.DstMask != b.DstMask {
		d = append(d, "--hashlimit-dstmask")
	}
	if a.Avg != b.Avg || a.Bytes != b.Bytes {
		d = append(d, "the rate")
	}
	if a.Burst != b.Burst {
		d = append(d, "--hashlimit-burst")
	}
	if a.Above != b.Above {
		d = append(d, "--hashlimit-above")
	}
	if a.Expire != b.Expire {
		d = append(d, "--hashlimit-htable-expire")
	}
	return strings.Join(d, ", ")
}

// shared decides how the hashlimit match m of the rule being written is
// rendered: false for a meter of its own, true for the named set it
// shares with other rules. It reports false after an error.
func (w *rw) sharedMeter(m *ir.Hashlimit) (shared, ok bool) {
	if w.ctx.meters == nil {
		return false, true
	}
	uses := w.ctx.meters.uses[meterName{w.ctx.Family, m.Name}]
	if len(uses) < 2 {
		return false, true
	}
	first := uses[0]
	if first.table.Name != w.ctx.Table {
		w.unsupported(fmt.Sprintf("hashlimit name %q", m.Name), fmt.Sprintf("the %s table uses the same name (%s): iptables counts every rule of a family with that name in one table of buckets, and an nft set belongs to one table; give the rules different names if they need not share", first.table.Name, first.rule.Src))
		return false, false
	}
	if first.m != m {
		if d := sameBuckets(first.m, m); d != "" {
			w.unsupported(fmt.Sprintf("hashlimit name %q", m.Name), fmt.Sprintf("the rule at %s uses the same name with a different %s: iptables shares one table of buckets between them and applies the parameters of the rule it checked first to both, and an nft set's elements keep the limit of the rule that added them; use one name per set of parameters", first.rule.Src, d))
			return false, false
		}
	}
	return true, true
}

// meterSetKeys are the types of the fields of the key a hashlimit's set
// is keyed on, in the order hashlimitKey writes them.
func meterSetKeys(m *ir.Hashlimit, f ir.Family) []stmt.Datatype {
	addr := stmt.IPv4Addr
	if f == ir.IPv6 {
		addr = stmt.IPv6Addr
	}
	var t []stmt.Datatype
	for _, x := range []struct {
		bit ir.HashMode
		typ stmt.Datatype
	}{{ir.HashDstIP, addr}, {ir.HashDstPort, stmt.InetService}, {ir.HashSrcIP, addr}, {ir.HashSrcPort, stmt.InetService}} {
		if m.Mode&x.bit != 0 {
			t = append(t, x.typ)
		}
	}
	return t
}
