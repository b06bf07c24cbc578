package stmt

import (
	"net/netip"
	"strconv"
)

// Conntrack matches and the conntrack and mark statements.

// CtDir is the tuple a conntrack key reads; CtDirNone for a key of the
// connection as a whole.
type CtDir uint8

const (
	CtDirNone CtDir = iota
	CtOriginal
	CtReply
)

var ctDirNames = [...]string{CtDirNone: "", CtOriginal: "original", CtReply: "reply"}

func (d CtDir) String() string { return ctDirNames[d] }

// CtKind is the conntrack key a CtMatch compares.
type CtKind uint8

const (
	CtDirection  CtKind = iota // "ct direction DIR": the packet's direction is Dir
	CtProtocol                 // "ct DIR protocol N"
	CtAddr                     // "ct DIR ip|ip6 saddr|daddr ADDR[/BITS]"
	CtPort                     // "ct DIR proto-src|proto-dst N[-M]"
	CtExpiration               // "ct expiration N[-M]", "< Ns", ">= Ns"
	CtBytes                    // "ct [DIR] bytes …"
	CtPackets                  // "ct [DIR] packets …"
	CtAvgpkt                   // "ct [DIR] avgpkt …"
	CtHelper                   // `ct helper "NAME"`
	CtLabel                    // "ct label BIT", "ct label and BIT != BIT"
)

// CtOp is how a CtMatch compares.
type CtOp uint8

const (
	CtEq CtOp = iota
	CtNeq
	CtLt // "<" for the expiration, "lt" for a counter
	CtGe // ">=" for the expiration, "ge" for a counter
)

// CtMatch compares a conntrack key. Lo..Hi is the value or range of a
// number (Hi == Lo for one value), Addr the network of CtAddr, Name the
// helper of CtHelper.
type CtMatch struct {
	Kind   CtKind
	Dir    CtDir
	Dst    bool // daddr, proto-dst
	V6     bool // ip6 saddr|daddr: the table's family
	Op     CtOp
	Lo, Hi uint64
	Addr   netip.Prefix
	Name   string
}

// CtLabelSet is "ct label set BIT".
type CtLabelSet struct{ Bit uint16 }

func (*CtMatch) stmt()    {}
func (*CtLabelSet) stmt() {}

var ctCounterNames = map[CtKind]string{CtBytes: "bytes", CtPackets: "packets", CtAvgpkt: "avgpkt"}

// AppendCt is the text printer of the conntrack statements.
func AppendCt(dst []byte, s Stmt) []byte {
	switch s := s.(type) {
	case *CtLabelSet:
		return strconv.AppendUint(append(dst, "ct label set "...), uint64(s.Bit), 10)
	case *CtMatch:
		return appendCtMatch(dst, s)
	}
	return appendCtTarget(dst, s)
}

func appendCtMatch(dst []byte, m *CtMatch) []byte {
	dst = append(dst, "ct "...)
	dir := func() {
		if m.Dir != CtDirNone {
			dst = append(append(dst, m.Dir.String()...), ' ')
		}
	}
	switch m.Kind {
	case CtDirection:
		return append(append(dst, "direction "...), m.Dir.String()...)
	case CtProtocol:
		dir()
		dst = append(dst, "protocol "...)
	case CtAddr:
		dir()
		if m.V6 {
			dst = append(dst, "ip6 "...)
		} else {
			dst = append(dst, "ip "...)
		}
		if m.Dst {
			dst = append(dst, "daddr "...)
		} else {
			dst = append(dst, "saddr "...)
		}
		dst = ctNeq(dst, m.Op)
		if m.Addr.IsSingleIP() {
			return m.Addr.Addr().AppendTo(dst)
		}
		return m.Addr.AppendTo(dst)
	case CtPort:
		dir()
		if m.Dst {
			dst = append(dst, "proto-dst "...)
		} else {
			dst = append(dst, "proto-src "...)
		}
	case CtExpiration:
		dst = append(dst, "expiration "...)
		switch m.Op {
		case CtLt:
			return append(strconv.AppendUint(append(dst, "< "...), m.Lo, 10), 's')
		case CtGe:
			return append(strconv.AppendUint(append(dst, ">= "...), m.Lo, 10), 's')
		}
	case CtBytes, CtPackets, CtAvgpkt:
		dir()
		dst = append(append(dst, ctCounterNames[m.Kind]...), ' ')
		switch m.Op {
		case CtLt:
			dst = append(dst, "lt "...)
		case CtGe:
			dst = append(dst, "ge "...)
		}
	case CtHelper:
		dst = ctNeq(append(dst, "helper "...), m.Op)
		return append(append(append(dst, '"'), m.Name...), '"')
	case CtLabel:
		dst = append(dst, "label "...)
		if m.Op == CtNeq {
			dst = strconv.AppendUint(append(dst, "and "...), m.Lo, 10)
			dst = append(dst, " != "...)
		}
		return strconv.AppendUint(dst, m.Lo, 10)
	}
	dst = strconv.AppendUint(ctNeq(dst, m.Op), m.Lo, 10)
	if m.Hi != m.Lo {
		dst = strconv.AppendUint(append(dst, '-'), m.Hi, 10)
	}
	return dst
}

func ctNeq(dst []byte, op CtOp) []byte {
	if op == CtNeq {
		return append(dst, "!= "...)
	}
	return dst
}

// MarkSrc is where a MarkSet reads the mark it changes.
type MarkSrc uint8

const (
	MarkImm  MarkSrc = iota // the constant Value
	MarkMeta                // the packet mark
	MarkCt                  // the conntrack mark
)

// MarkOp is one bitwise step applied to the source: '&', '|' or '^'.
type MarkOp struct {
	Op byte
	V  uint32
}

// MarkSet is "meta mark set …" or "ct mark set …": the source, the
// steps in order, then a shift (Shift 0 for none) of the whole.
type MarkSet struct {
	Ct         bool // sets the conntrack mark, else the packet mark
	Src        MarkSrc
	Value      uint32 // of MarkImm
	Ops        []MarkOp
	Shift      uint8
	ShiftRight bool
}

func (*MarkSet) stmt() {}

var markKeys = [...]string{MarkMeta: "meta mark", MarkCt: "ct mark"}

func appendMark(dst []byte, s Stmt) []byte {
	m, ok := s.(*MarkSet)
	if !ok {
		panic("internal error: no nft text for a statement")
	}
	if m.Ct {
		dst = append(dst, "ct mark set "...)
	} else {
		dst = append(dst, "meta mark set "...)
	}
	if m.Shift != 0 {
		dst = append(dst, "( "...)
	}
	if m.Src == MarkImm {
		dst = strconv.AppendUint(append(dst, "0x"...), uint64(m.Value), 16)
	} else {
		dst = append(dst, markKeys[m.Src]...)
	}
	for _, o := range m.Ops {
		switch o.Op {
		case '&':
			dst = append(dst, " and 0x"...)
		case '|':
			dst = append(dst, " or 0x"...)
		default:
			dst = append(dst, " xor 0x"...)
		}
		dst = strconv.AppendUint(dst, uint64(o.V), 16)
	}
	if m.Shift != 0 {
		if m.ShiftRight {
			dst = append(dst, " ) >> "...)
		} else {
			dst = append(dst, " ) << "...)
		}
		dst = strconv.AppendUint(dst, uint64(m.Shift), 10)
	}
	return dst
}

// Notrack is "notrack".
type Notrack struct{}

// CtZoneSet is "ct [DIR] zone set ZONE".
type CtZoneSet struct {
	Dir  CtDir
	Zone uint16
}

// CtHelperSet is `ct helper set "OBJ"`: it assigns the ct helper object
// OBJ of the table.
type CtHelperSet struct{ Obj string }

// CtEventSet is `ct event set "E1","E2"`, the events by nft's names.
// They are quoted: nft 1.0.6's parser takes "helper" and "mark" as
// keywords there.
type CtEventSet struct{ Events []string }

func (*Notrack) stmt()     {}
func (*CtZoneSet) stmt()   {}
func (*CtHelperSet) stmt() {}
func (*CtEventSet) stmt()  {}

func appendCtTarget(dst []byte, s Stmt) []byte {
	switch s := s.(type) {
	case *Notrack:
		return append(dst, "notrack"...)
	case *CtZoneSet:
		dst = append(dst, "ct "...)
		if s.Dir != CtDirNone {
			dst = append(append(dst, s.Dir.String()...), ' ')
		}
		return strconv.AppendUint(append(dst, "zone set "...), uint64(s.Zone), 10)
	case *CtHelperSet:
		return append(append(append(dst, `ct helper set "`...), s.Obj...), '"')
	case *CtEventSet:
		dst = append(dst, "ct event set "...)
		for i, e := range s.Events {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(append(append(dst, '"'), e...), '"')
		}
		return dst
	}
	return appendMark(dst, s)
}
