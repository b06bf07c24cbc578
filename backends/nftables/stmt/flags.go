package stmt

import (
	"github.com/google/nftables/expr"
)

// Ct is a conntrack key.
type Ct struct {
	Text  string
	Key   expr.CtKey
	Bytes uint32
	Dt    Datatype
}

func (c *Ct) Name() string   { return c.Text }
func (c *Ct) Type() Datatype { return c.Dt }
func (c *Ct) Len() uint32    { return c.Bytes }

var (
	CtState  = &Ct{"ct state", expr.CtKeySTATE, 4, CtStateDt}
	CtStatus = &Ct{"ct status", expr.CtKeySTATUS, 4, CtStatusDt}
	CtMark   = &Ct{"ct mark", expr.CtKeyMARK, 4, Mark}
)

// Flags tests bits of a flag field: "FIELD LIST" matches when some bit of
// the list is set, "FIELD ! LIST" when none is. ("!=" would compare the
// whole value in nft 1.0.6, which is not what a flag test means.)
type Flags struct {
	Field Field
	None  bool
	Bits  uint32 // in host byte order, as the kernel holds the field
}

func (*Flags) stmt() {}

// flagName is one named bit of a flag datatype.
type flagName struct {
	bit  uint32
	name string
}

// flagNames lists the bits of each flag datatype in the order the text
// prints them (iptables-save's order, which the golden files keep).
var flagNames = map[Datatype][]flagName{
	CtStateDt: {{1, "invalid"}, {8, "new"}, {4, "related"}, {2, "established"}, {64, "untracked"}},
	CtStatusDt: {{0x1, "expected"}, {0x2, "seen-reply"}, {0x4, "assured"}, {0x8, "confirmed"},
		{0x10, "snat"}, {0x20, "dnat"}, {0x200, "dying"}},
}

// FlagBit returns the bit of a flag name of the datatype, 0 if unknown.
func FlagBit(dt Datatype, name string) uint32 {
	for _, f := range flagNames[dt] {
		if f.name == name {
			return f.bit
		}
	}
	return 0
}

func appendFlags(dst []byte, f *Flags) []byte {
	dst = append(append(dst, f.Field.Name()...), ' ')
	if f.None {
		dst = append(dst, "! "...)
	}
	first := true
	for _, n := range flagNames[f.Field.Type()] {
		if f.Bits&n.bit != 0 {
			if !first {
				dst = append(dst, ',')
			}
			dst = append(dst, n.name...)
			first = false
		}
	}
	return dst
}
