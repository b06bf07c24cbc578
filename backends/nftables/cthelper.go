package nftables

import (
	"strings"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// CT --helper and --ctevents.
//
// xt_CT attaches a conntrack template in the raw table (priority -300); the
// conntrack entry made from it at -200 inherits the template's helper and
// event mask. nft 1.0.6 has no template with a helper or an event mask:
// "ct helper set" and "ct event set" change the conntrack entry itself, so
// they only work after conntrack. ruleshift therefore splits such a rule:
// the raw chain keeps the rule (its counter, its zone, and the template
// that makes later CT and NOTRACK rules no-ops, as xt_CT does), and a
// mirror of the raw chain at priority -199 (passes.CtMirror, which Render
// and Apply run on raw tables) assigns the helper or the event mask on the
// entry conntrack has just created.

// ctEventNft maps libxt_CT's event names to nft's; libxt_CT's "natseqinfo"
// is the kernel's IPCT_SEQADJ, which nft calls "seqadj".
var ctEventNft = map[string]string{
	"new": "new", "related": "related", "destroy": "destroy", "reply": "reply",
	"assured": "assured", "protoinfo": "protoinfo", "helper": "helper",
	"mark": "mark", "natseqinfo": "seqadj", "secmark": "secmark",
}

// ctTemplate renders the raw-table part of a CT target that does not
// untrack: a template with the zone. Every CT rule attaches one in xt_CT,
// zone 0 included, and the first template wins (later CT and NOTRACK
// rules see a conntrack and do nothing); nft's "ct zone set" and "notrack"
// follow the same rule, so "ct zone set 0" keeps that order.
func (w *rw) ctTemplate(t *ir.CtTarget) {
	z := &stmt.CtZoneSet{Zone: t.Zone}
	if t.Zone != 0 {
		switch {
		case t.ZoneOrig && !t.ZoneReply:
			z.Dir = stmt.CtOriginal
		case t.ZoneReply && !t.ZoneOrig:
			z.Dir = stmt.CtReply
		}
	}
	w.emit(z)
}

// ctAfterConntrack checks that a CT --helper or --ctevents rule can get its
// mirror, and declares the helper object, whose name it returns. It
// reports false after an error. The mirror's copy of the rule runs the
// same checks, so that it is left out with the raw rule.
func (w *rw) ctAfterConntrack(t *ir.CtTarget) (string, bool) {
	what := "CT --ctevents"
	if t.Helper != "" {
		what = "CT --helper " + t.Helper
	}
	switch {
	case t.Helper != "" && t.CtEvents != 0:
		// xt_CT's template also sets the expectation event mask (to 0
		// without --expevents); nft cannot set it, so with a ctnetlink
		// listener the helper's expectations would be reported under nft
		// and not under iptables.
		w.unsupported("CT --helper with --ctevents", "iptables' template also sets the expectation event mask (0 without --expevents) of the helper's expectations, which nft cannot set")
		return "", false
	case w.ctx.Table != "raw":
		w.unsupported(what, "CT is valid in the raw table only")
		return "", false
	case w.ctx.Decls == nil:
		w.unsupported(what, "nft assigns it in a chain after conntrack that ruleshift adds to the table, and this output has no table")
		return "", false
	}
	if t.Helper == "" {
		for _, e := range t.CtEvents.Names() {
			if ctEventNft[e] == "" {
				w.errorf("internal error: unknown CT event %q", e)
				return "", false
			}
		}
		return "", true
	}
	return w.ctHelperObject(t.Helper)
}

// ctHelperObject declares the ct helper object for helper name on the
// rule's protocol and returns its name.
func (w *rw) ctHelperObject(name string) (string, bool) {
	var proto string
	switch w.l4() {
	case protoTCP:
		proto = "tcp"
	case protoUDP:
		proto = "udp"
	default:
		w.unsupported("CT --helper "+name, "nft ct helper objects take protocol tcp or udp, from the rule's -p")
		return "", false
	}
	if name == "" || strings.Contains(name, `"`) {
		w.unsupported("CT --helper "+name, "nft names the helper type as a string, which must be non-empty and hold no double quote")
		return "", false
	}
	return w.ctx.Decls.Helper(stmt.CtHelperObj{Name: helperObjName(name, proto), Helper: name, L4: w.l4(), V6: w.v6()}), true
}

// helperObjName is the object's name: the helper and the protocol
// ("ftp_tcp", "Q.931_tcp"), made of characters nft takes unquoted.
func helperObjName(helper, proto string) string {
	var b strings.Builder
	for i := 0; i < len(helper); i++ {
		c := helper[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c >= '0' && c <= '9' && i > 0, (c == '.' || c == '-') && i > 0:
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	return b.String() + "_" + proto
}

// ctAssign is a CT --helper or --ctevents rule in a mirror chain: the
// helper object obj or the event mask set on the new conntrack entry,
// then accept, since xt_CT's first template wins and no later rule of the
// raw table could change it.
func (w *rw) ctAssign(t *ir.CtTarget, obj string) {
	switch {
	case t.Helper != "":
		w.emit(&stmt.CtHelperSet{Obj: obj})
	case t.CtEvents != 0:
		// Quoted by the printer: nft 1.0.6's parser takes "helper" and
		// "mark" as keywords there, and lists them back unquoted in a
		// form it cannot reload.
		ev := make([]string, len(t.CtEvents.Names()))
		for i, e := range t.CtEvents.Names() {
			ev[i] = ctEventNft[e]
		}
		w.emit(&stmt.CtEventSet{Events: ev})
	default:
		// passes.CtMirror turns any other CT target into accept.
		w.errorf("internal error: CT without --helper or --ctevents in a mirror chain")
		return
	}
	w.emit(&stmt.Verdict{Kind: expr.VerdictAccept})
}
