package pktset

import "math/bits"

// Field is one dimension of the packet space.
type Field uint8

const (
	Proto Field = iota // layer 4 protocol number
	// Frag is 1 for the second and later fragments of an IPv4 packet,
	// which carry no layer 4 header: port, flag and type matches never
	// hold for them.
	Frag
	SAddr
	DAddr
	SPort
	DPort
	ICMP  // type<<8 | code
	Flags // the TCP flags byte
	Ct    // conntrack state, see CtValue
	InIf  // interface name, 16 bytes big-endian, NUL-padded
	OutIf
	Mark
	// UID is the socket owner's uid + 1; 0 stands for a packet without a
	// local socket (forwarded, or sent by the kernel).
	UID
	NumFields
)

var fieldNames = [NumFields]string{"proto", "frag", "saddr", "daddr", "sport", "dport", "icmp", "tcp-flags", "ct-state", "iif", "oif", "mark", "uid"}

func (f Field) String() string { return fieldNames[f] }

// Conntrack states as values of the Ct field.
const (
	CtInvalid = iota
	CtNew
	CtEstablished
	CtRelated
	CtUntracked
	numCt
)

// Space gives each field its largest value, which depends on the family
// (addresses are 32 or 128 bits).
type Space struct {
	max [NumFields]U128
	V6  bool
	// Inet: the table holds packets of both families, so conditions
	// that imply a family (addresses, ICMP types) are opaque.
	Inet bool
}

var ones128 = U128{^uint64(0), ^uint64(0)}

// NewSpace returns the packet space of a family.
func NewSpace(v6 bool) *Space {
	s := &Space{V6: v6}
	for f, m := range map[Field]uint64{Proto: 255, Frag: 1, SPort: 65535, DPort: 65535, ICMP: 65535, Flags: 255, Ct: numCt - 1, Mark: 1<<32 - 1, UID: 1 << 32} {
		s.max[f] = U64(m)
	}
	s.max[SAddr], s.max[DAddr] = U64(1<<32-1), U64(1<<32-1)
	if v6 {
		s.max[SAddr], s.max[DAddr] = ones128, ones128
	}
	s.max[InIf], s.max[OutIf] = ones128, ones128
	return s
}

// Max returns the largest value of a field.
func (s *Space) Max(f Field) U128 { return s.max[f] }

// Full returns the set of every value of a field.
func (s *Space) Full(f Field) ISet { return ISet{{U128{}, s.max[f]}} }

// Complement returns the values of f not in v.
func (s *Space) Complement(f Field, v ISet) ISet { return Diff(s.Full(f), v) }

// Box is a product of one value set per field: the packets whose every
// field is in its set. A field not in has is unconstrained.
type Box struct {
	has uint16
	f   [NumFields]ISet
}

// Has reports whether the box constrains a field.
func (b *Box) Has(f Field) bool { return b.has&(1<<f) != 0 }

// Get returns the values of a field, nil when unconstrained.
func (b *Box) Get(f Field) ISet {
	if !b.Has(f) {
		return nil
	}
	return b.f[f]
}

// Constrain intersects the field's values with v.
func (b *Box) Constrain(f Field, v ISet) {
	if b.Has(f) {
		v = Intersect(b.f[f], v)
	}
	b.has |= 1 << f
	b.f[f] = v
}

// Empty reports whether no packet is in the box.
func (b *Box) Empty() bool {
	for h := b.has; h != 0; h &= h - 1 {
		if len(b.f[bits.TrailingZeros16(h)]) == 0 {
			return true
		}
	}
	return false
}

// Overlaps reports whether a packet is in both boxes.
func (b *Box) Overlaps(o *Box) bool {
	for h := b.has & o.has; h != 0; h &= h - 1 {
		f := bits.TrailingZeros16(h)
		if !overlaps(b.f[f], o.f[f]) {
			return false
		}
	}
	return !b.Empty() && !o.Empty()
}

// Intersect returns the packets in both boxes.
func (b *Box) Intersect(o *Box) Box {
	out := *b
	for h := o.has; h != 0; h &= h - 1 {
		out.Constrain(Field(bits.TrailingZeros16(h)), o.f[bits.TrailingZeros16(h)])
	}
	return out
}

// Within reports whether every packet of b is in o.
func (b *Box) Within(o *Box) bool {
	if b.Empty() {
		return true
	}
	for h := o.has; h != 0; h &= h - 1 {
		f := bits.TrailingZeros16(h)
		if !b.Has(Field(f)) {
			// b takes every value and o not all: o's set is the full
			// range only if it was constrained to it.
			return false
		}
		if !Subset(b.f[f], o.f[f]) {
			return false
		}
	}
	return true
}

// minus returns b \ o as disjoint boxes, at most one per field o
// constrains: the packets outside o in the first such field, then those
// inside it and outside o in the second, and so on.
func (s *Space) minus(b, o *Box, out []Box) []Box {
	if !b.Overlaps(o) {
		return append(out, *b)
	}
	cur := *b
	for h := o.has; h != 0; h &= h - 1 {
		f := Field(bits.TrailingZeros16(h))
		have := s.Full(f)
		if cur.Has(f) {
			have = cur.f[f]
		}
		if rest := Diff(have, o.f[f]); len(rest) > 0 {
			piece := cur
			piece.has |= 1 << f
			piece.f[f] = rest
			out = append(out, piece)
		}
		cur.has |= 1 << f
		cur.f[f] = Intersect(have, o.f[f])
	}
	return out
}

// Contains reports whether the packet p (one value per field) is in the box.
func (b *Box) Contains(p *Packet) bool {
	for h := b.has; h != 0; h &= h - 1 {
		f := bits.TrailingZeros16(h)
		if !b.f[f].Contains(p[f]) {
			return false
		}
	}
	return true
}

// Packet is a concrete packet: one value per field.
type Packet [NumFields]U128
