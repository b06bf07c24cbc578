package ir

import "net/netip"

// IPsec and IPv6 extension header matches: ah, esp, ipcomp, frag, hbh/dst,
// rt, mh, ipv6header, eui64.

// AH is -m ah. IPv4 (ipt_ah) stores only the SPI range; IPv6 (ip6t_ah)
// also a header length and the reserved-field test. Without --ahspi the
// kernel holds the full range.
type AH struct {
	At
	V6     bool
	SPI    U32Range
	NegSPI bool
	// Len is --ahlen in bytes as the kernel compares it ((hdrlen+2)*4);
	// 0 means not given. IPv6 only.
	Len    uint32
	NegLen bool
	// Res is --ahres: the reserved field must be zero. IPv6 only.
	Res bool
}

// ESP is -m esp.
type ESP struct {
	At
	SPI    U32Range
	NegSPI bool
}

// IPComp is -m ipcomp.
type IPComp struct {
	At
	SPI    U32Range
	NegSPI bool
	// Res is --compres: the reserved fields must be zero.
	Res bool
}

// Frag is -m frag (IPv6).
type Frag struct {
	At
	ID    U32Range
	NegID bool
	// Len is --fraglen; 0: not given. The kernel stores it but never
	// compares it (ip6t_frag only prints it in a debug message).
	Len    uint32
	NegLen bool
	// Res: the reserved fields must be zero. First: offset 0. More: the
	// M flag is set. Last: the M flag is clear.
	Res, First, More, Last bool
}

// IPv6Opt is one --hbh-opts / --dst-opts element: an option type and an
// optional option data length.
type IPv6Opt struct {
	Type uint8
	Len  *uint8
}

// IPv6Opts is -m hbh (Dst false) or -m dst (Dst true).
type IPv6Opts struct {
	At
	Dst bool
	// Len is the header length in bytes as the kernel compares it
	// ((hdrlen+1)*8); 0: not given.
	Len    uint32
	NegLen bool
	Opts   []IPv6Opt
}

// RT is -m rt (IPv6 routing header).
type RT struct {
	At
	Type    *uint8
	NegType bool
	// SegsLeft is the full range when not given.
	SegsLeft    U32Range
	NegSegsLeft bool
	// Len is the header length in bytes ((hdrlen+1)*8); 0: not given.
	Len    uint32
	NegLen bool
	// Res: the type 0 reserved field must be zero.
	Res bool
	// Addrs are --rt-0-addrs; NotStrict is --rt-0-not-strict.
	Addrs     []netip.Addr
	NotStrict bool
}

// MH is -m mh: a mobility header type range (full range when not given).
type MH struct {
	At
	Neg    bool
	Lo, Hi uint8
}

// IPv6HeaderSet is the set of headers of -m ipv6header, as the kernel
// stores it (MASK_* bits).
type IPv6HeaderSet uint8

// IPv6HeaderNames lists the header bits from the most significant down
// with the names ip6tables-save prints.
var IPv6HeaderNames = []struct {
	Bit  IPv6HeaderSet
	Name string
}{
	{0x80, "hop-by-hop"}, {0x40, "ipv6-opts"}, {0x20, "ipv6-route"}, {0x10, "ipv6-frag"},
	{0x08, "ah"}, {0x04, "esp"}, {0x02, "ipv6-nonxt"}, {0x01, "protocol"},
}

// IPv6Header is -m ipv6header.
type IPv6Header struct {
	At
	Neg     bool
	Headers IPv6HeaderSet
	Soft    bool
}

// EUI64 is -m eui64: the source address's interface id is the EUI-64 of
// the source MAC address.
type EUI64 struct{ At }

func (*AH) isMatch()         {}
func (*ESP) isMatch()        {}
func (*IPComp) isMatch()     {}
func (*Frag) isMatch()       {}
func (*IPv6Opts) isMatch()   {}
func (*RT) isMatch()         {}
func (*MH) isMatch()         {}
func (*IPv6Header) isMatch() {}
func (*EUI64) isMatch()      {}
