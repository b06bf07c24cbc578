package iptables

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Conntrack and mark extensions, written the way iptables-save 1.8.9
// prints them, so that a save of our output equals a save of the input.

func ctStates(s ir.CtState) string {
	var out []string
	for _, st := range ir.CtStateOrder {
		if s&st.Bit != 0 {
			out = append(out, st.Name)
		}
	}
	return strings.Join(out, ",")
}

func (w *writer) state(m *ir.State) {
	w.module("state")
	w.opt(m.Neg, "--state", ctStates(m.States))
}

func ctAddr(a *ir.CtAddr) string {
	if a.Bits == a.Addr.BitLen() {
		return a.Addr.String()
	}
	return a.Addr.String() + "/" + strconv.Itoa(a.Bits)
}

func (w *writer) conntrack(m *ir.Conntrack) {
	w.module("conntrack")
	if m.State != nil {
		w.opt(m.State.Neg, "--ctstate", ctStates(m.State.States))
	}
	if m.Proto != nil {
		w.opt(m.Proto.Neg, "--ctproto", strconv.Itoa(int(m.Proto.Num)))
	}
	for _, a := range []struct {
		name string
		a    *ir.CtAddr
	}{{"--ctorigsrc", m.OrigSrc}, {"--ctorigdst", m.OrigDst}, {"--ctreplsrc", m.ReplSrc}, {"--ctrepldst", m.ReplDst}} {
		if a.a != nil {
			w.opt(a.a.Neg, a.name, ctAddr(a.a))
		}
	}
	for _, p := range []struct {
		name string
		p    *ir.CtPorts
	}{{"--ctorigsrcport", m.OrigSrcPort}, {"--ctorigdstport", m.OrigDstPort}, {"--ctreplsrcport", m.ReplSrcPort}, {"--ctrepldstport", m.ReplDstPort}} {
		if p.p != nil {
			w.opt(p.p.Neg, p.name, rangeText(uint64(p.p.Lo), uint64(p.p.Hi)))
		}
	}
	if m.StatusSet {
		w.opt(m.NegStatus, "--ctstatus", ctStatus(m.Status))
	}
	if e := m.Expire; e != nil {
		w.opt(e.Neg, "--ctexpire", rangeText(uint64(e.Min), uint64(e.Max)))
	}
	if m.Dir != "" {
		w.add("--ctdir", string(m.Dir))
	}
}

// rangeText prints "lo" or "lo:hi"; a reversed range is kept as given.
func rangeText(lo, hi uint64) string {
	if lo == hi {
		return strconv.FormatUint(lo, 10)
	}
	return strconv.FormatUint(lo, 10) + ":" + strconv.FormatUint(hi, 10)
}

func ctStatus(s ir.CtStatus) string {
	if s == 0 {
		return "NONE"
	}
	var out []string
	for _, st := range ir.CtStatusOrder {
		if s&st.Bit != 0 {
			out = append(out, st.Name)
		}
	}
	return strings.Join(out, ",")
}

// markMask prints value[/mask] as xtables_print_mark_mask does.
func markMask(v, m uint32) string {
	if m == math.MaxUint32 {
		return fmt.Sprintf("0x%x", v)
	}
	return fmt.Sprintf("0x%x/0x%x", v, m)
}

func (w *writer) mark(m *ir.Mark) {
	w.module("mark")
	w.opt(m.Neg, "--mark", markMask(m.Value, m.Mask))
}

func (w *writer) connMark(m *ir.ConnMark) {
	w.module("connmark")
	w.opt(m.Neg, "--mark", markMask(m.Value, m.Mask))
}

func (w *writer) helper(m *ir.Helper) {
	w.module("helper")
	if m.Neg {
		w.add("!")
	}
	w.add("--helper", QuoteAlways(m.Name))
}

func (w *writer) connLimit(m *ir.ConnLimit) {
	w.module("connlimit")
	if m.Upto {
		w.add("--connlimit-upto", strconv.FormatUint(uint64(m.Limit), 10))
	} else {
		w.add("--connlimit-above", strconv.FormatUint(uint64(m.Limit), 10))
	}
	w.add("--connlimit-mask", strconv.Itoa(m.Bits))
	if m.DAddr {
		w.add("--connlimit-daddr")
	} else {
		w.add("--connlimit-saddr")
	}
}

func (w *writer) connBytes(m *ir.ConnBytes) {
	w.module("connbytes")
	v := strconv.FormatUint(m.From, 10)
	if m.To != math.MaxUint64 {
		// Always FROM:TO: a lone number means FROM and up.
		v = fmt.Sprintf("%d:%d", m.From, m.To)
	}
	w.opt(m.Neg, "--connbytes", v)
	w.add("--connbytes-mode", string(m.Mode), "--connbytes-dir", string(m.Dir))
}

func (w *writer) connLabel(m *ir.ConnLabel) {
	w.module("connlabel")
	w.opt(m.Neg, "--label", strconv.Itoa(int(m.Bit)))
	if m.Set {
		w.add("--set")
	}
}

func (w *writer) markTarget(t *ir.MarkTarget) {
	w.add("-j", "MARK", "--set-xmark", fmt.Sprintf("0x%x/0x%x", t.Value, t.Mask))
}

func (w *writer) connMarkTarget(t *ir.ConnMarkTarget) {
	w.add("-j", "CONNMARK")
	switch t.Mode {
	case ir.ConnMarkSet:
		w.add("--set-xmark", fmt.Sprintf("0x%x/0x%x", t.Value, t.CtMask))
	case ir.ConnMarkSave, ir.ConnMarkRestore:
		w.add("--"+string(t.Mode), "--nfmask", fmt.Sprintf("0x%x", t.NfMask), "--ctmask", fmt.Sprintf("0x%x", t.CtMask))
	default:
		w.errorf("internal error: CONNMARK without a mode")
		return
	}
	if t.Shift != 0 {
		dir := "--left-shift-mark"
		if t.ShiftRight {
			dir = "--right-shift-mark"
		}
		w.add(dir, strconv.Itoa(int(t.Shift)))
	}
}

func (w *writer) ctTarget(t *ir.CtTarget) {
	if t.Alias {
		w.add("-j", "NOTRACK")
		return
	}
	w.add("-j", "CT")
	if t.NoTrack {
		w.add("--notrack")
	}
	if t.Helper != "" {
		w.add("--helper", Quote(t.Helper))
	}
	if t.Timeout != "" {
		w.add("--timeout", Quote(t.Timeout))
	}
	if t.CtEvents != 0 {
		w.add("--ctevents", t.CtEvents.String())
	}
	if t.ExpEvents != 0 {
		w.add("--expevents", t.ExpEvents.String())
	}
	if t.ZoneMark || t.Zone != 0 {
		opt := "--zone"
		switch {
		case t.ZoneOrig && !t.ZoneReply:
			opt = "--zone-orig"
		case t.ZoneReply && !t.ZoneOrig:
			opt = "--zone-reply"
		}
		v := strconv.Itoa(int(t.Zone))
		if t.ZoneMark {
			v = "mark"
		}
		w.add(opt, v)
	}
}
