package stmt

import (
	"net/netip"
	"strconv"

	"github.com/google/nftables/expr"
)

// Declarations of a table: the named sets and objects its rules refer to.

// Decl is a named set or object of a table.
type Decl interface {
	// Kind is the declaration's keyword: "set", "ct helper".
	Kind() string
	DeclName() string
}

// SetDecl is a named set a rule adds elements to: "set NAME { type T1 . T2;
// [size N;] flags dynamic[,timeout]; }".
type SetDecl struct {
	Name string
	// Keys are the datatypes of the key's fields: IPv4Addr, IPv6Addr or
	// InetService.
	Keys    []Datatype
	Size    uint32 // 0: nft's default
	Timeout bool   // elements expire
}

// CtHelperObj is a ct helper object: `ct helper NAME { type "HELPER"
// protocol tcp|udp; l3proto ip|ip6; }`.
type CtHelperObj struct {
	Name   string
	Helper string
	L4     uint8 // 6 or 17
	V6     bool
}

func (*SetDecl) Kind() string           { return "set" }
func (s *SetDecl) DeclName() string     { return s.Name }
func (*CtHelperObj) Kind() string       { return "ct helper" }
func (h *CtHelperObj) DeclName() string { return h.Name }

// KeyLen is the length of the set's key in bytes, each field padded to
// 4 bytes as the kernel's registers hold a concatenation.
func (s *SetDecl) KeyLen() uint32 {
	if len(s.Keys) == 1 {
		return keyBytes(s.Keys[0])
	}
	n := uint32(0)
	for _, k := range s.Keys {
		n += (keyBytes(k) + 3) &^ 3
	}
	return n
}

func keyBytes(d Datatype) uint32 {
	switch d {
	case IPv4Addr:
		return 4
	case IPv6Addr:
		return 16
	case InetService:
		return 2
	}
	return 0
}

var typeNames = map[Datatype]string{IPv4Addr: "ipv4_addr", IPv6Addr: "ipv6_addr", InetService: "inet_service"}

// AppendDeclBody appends the body of a declaration, from its opening brace.
func AppendDeclBody(dst []byte, d Decl) []byte {
	switch d := d.(type) {
	case *SetDecl:
		dst = append(dst, "{ type "...)
		for i, k := range d.Keys {
			if i > 0 {
				dst = append(dst, " . "...)
			}
			dst = append(dst, typeNames[k]...)
		}
		dst = append(dst, "; "...)
		if d.Size != 0 {
			dst = append(strconv.AppendUint(append(dst, "size "...), uint64(d.Size), 10), "; "...)
		}
		dst = append(dst, "flags dynamic"...)
		if d.Timeout {
			dst = append(dst, ",timeout"...)
		}
		return append(dst, "; }"...)
	case *CtHelperObj:
		dst = append(append(append(dst, `{ type "`...), d.Helper...), `" protocol `...)
		if d.L4 == 17 {
			dst = append(dst, "udp"...)
		} else {
			dst = append(dst, "tcp"...)
		}
		if d.V6 {
			return append(dst, "; l3proto ip6; }"...)
		}
		return append(dst, "; l3proto ip; }"...)
	}
	panic("internal error: no nft text for a declaration")
}

// ConnCount is "add @SET { ip|ip6 saddr|daddr [and MASK] ct count [over]
// N }": the connection counted in the set under its address (masked), the
// rule matching while the count is at most N (over: above N).
type ConnCount struct {
	Set   string
	Dst   bool
	Mask  netip.Addr // invalid for the whole address
	Addr6 bool
	Over  bool
	Limit uint32
}

func (*ConnCount) stmt() {}

// AppendConnCount is the text printer of ConnCount.
func AppendConnCount(dst []byte, c *ConnCount) []byte {
	dst = append(append(dst, "add @"...), c.Set...)
	if c.Addr6 {
		dst = append(dst, " { ip6 "...)
	} else {
		dst = append(dst, " { ip "...)
	}
	if c.Dst {
		dst = append(dst, "daddr"...)
	} else {
		dst = append(dst, "saddr"...)
	}
	if c.Mask.IsValid() {
		dst = c.Mask.AppendTo(append(dst, " and "...))
	}
	dst = append(dst, " ct count "...)
	if c.Over {
		dst = append(dst, "over "...)
	}
	return append(strconv.AppendUint(dst, uint64(c.Limit), 10), " }"...)
}

// MeterKey is one field of a meter's key: an address ("ip daddr [and
// MASK]") or, with Proto set, a port ("tcp dport").
type MeterKey struct {
	Proto uint8 // the port's protocol; 0 for an address
	Dst   bool
	V6    bool
	Bits  uint8 // the address mask's length; the full length for none
}

// Meter is "meter NAME { KEY [timeout T] limit rate [over] RATE }" or, on
// a set the table declares (Shared), "add|update @NAME { … }": update
// with a timeout, add without, which is what a meter compiles to.
type Meter struct {
	Name    string
	Shared  bool
	Keys    []MeterKey
	Timeout uint32 // ms; 0 for none
	// Limit is a packet rate (Type LimitTypePkts, Burst packets), or,
	// with Cost set, a byte rate of xt_hashlimit's cost per byte, printed
	// as iptables-translate prints it (Burst a multiple of the rate).
	Limit expr.Limit
	Cost  uint64
	Burst uint64
}

func (*Meter) stmt() {}

// AppendMeter is the text printer of Meter.
func AppendMeter(dst []byte, m *Meter) []byte {
	switch {
	case !m.Shared:
		dst = append(dst, "meter "...)
	case m.Timeout != 0:
		dst = append(dst, "update @"...)
	default:
		dst = append(dst, "add @"...)
	}
	dst = append(append(dst, m.Name...), " { "...)
	for i, k := range m.Keys {
		if i > 0 {
			dst = append(dst, " . "...)
		}
		dst = appendMeterKey(dst, k)
	}
	if m.Timeout != 0 {
		dst = appendMillis(append(dst, " timeout "...), m.Timeout)
	}
	dst = append(dst, " limit rate "...)
	if m.Limit.Over {
		dst = append(dst, "over "...)
	}
	if m.Cost != 0 {
		dst = appendBytesRate(dst, m.Cost, m.Burst)
	} else {
		dst = strconv.AppendUint(dst, m.Limit.Rate, 10)
		dst = append(append(dst, '/'), LimitUnits[m.Limit.Unit]...)
		dst = strconv.AppendUint(append(dst, " burst "...), m.Burst, 10)
		dst = append(dst, " packets"...)
	}
	return append(dst, " }"...)
}

func appendMeterKey(dst []byte, k MeterKey) []byte {
	if k.Proto != 0 {
		dst = append(append(dst, ProtoName(k.Proto)...), ' ')
		if k.Dst {
			return append(dst, "dport"...)
		}
		return append(dst, "sport"...)
	}
	full := uint8(32)
	if k.V6 {
		full = 128
		dst = append(dst, "ip6 "...)
	} else {
		dst = append(dst, "ip "...)
	}
	if k.Dst {
		dst = append(dst, "daddr"...)
	} else {
		dst = append(dst, "saddr"...)
	}
	if k.Bits == full {
		return dst
	}
	b := make([]byte, full/8)
	for i := 0; i < int(k.Bits); i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	dst = append(dst, " and "...)
	if !k.V6 {
		for i, x := range b {
			if i > 0 {
				dst = append(dst, '.')
			}
			dst = strconv.AppendUint(dst, uint64(x), 10)
		}
		return dst
	}
	// Every group written out, as iptables-translate does.
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = strconv.AppendUint(dst, uint64(b[i])<<8|uint64(b[i+1]), 16)
	}
	return dst
}

// appendMillis writes a duration as nft 1.0.6 lists it: "60s", "1s500ms",
// "500ms".
func appendMillis(dst []byte, ms uint32) []byte {
	switch {
	case ms%1000 == 0:
		return append(strconv.AppendUint(dst, uint64(ms/1000), 10), 's')
	case ms < 1000:
		return append(strconv.AppendUint(dst, uint64(ms), 10), "ms"...)
	}
	dst = append(strconv.AppendUint(dst, uint64(ms/1000), 10), 's')
	return append(strconv.AppendUint(dst, uint64(ms%1000), 10), "ms"...)
}

// appendBytesRate mirrors print_bytes_rate_xlate of libxt_hashlimit.c: the
// rate of a cost per byte, and the burst, in the largest unit that keeps
// the cost.
func appendBytesRate(dst []byte, cost, burst uint64) []byte {
	r, ru, b, bu := bytesRate(cost, burst)
	dst = strconv.AppendUint(dst, r, 10)
	dst = append(append(append(dst, ' '), ru...), "bytes/second"...)
	if burst > 0 {
		dst = strconv.AppendUint(append(dst, " burst "...), b, 10)
		dst = append(append(append(dst, ' '), bu...), "bytes"...)
	}
	return dst
}
