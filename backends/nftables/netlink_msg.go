package nftables

import (
	"encoding/binary"
)

// msgBuf builds netlink messages back to back in one byte slice, so that a
// batch of 100,000 rules is one allocation that grows, not one per message
// and attribute.
type msgBuf struct {
	b      []byte
	starts []int // offset of each message
	cur    int   // offset of the open message, -1 when none
}

func align4(n int) int { return (n + 3) &^ 3 }

// begin opens a message: the netlink header and the nfgenmsg header.
func (m *msgBuf) begin(typ uint16, flags uint16, family uint8, resID uint16) {
	m.cur = len(m.b)
	m.starts = append(m.starts, m.cur)
	var h [nlmsgHdrLen + nfgenLen]byte
	binary.NativeEndian.PutUint16(h[4:6], typ)
	binary.NativeEndian.PutUint16(h[6:8], flags)
	h[16] = family
	h[17] = 0 // NFNETLINK_V0
	binary.BigEndian.PutUint16(h[18:20], resID)
	m.b = append(m.b, h[:]...)
}

// end closes the open message by writing its length.
func (m *msgBuf) end() {
	binary.NativeEndian.PutUint32(m.b[m.cur:], uint32(len(m.b)-m.cur))
}

// count is the number of messages.
func (m *msgBuf) count() int { return len(m.starts) }

func (m *msgBuf) setSeq(i int, seq uint32) {
	binary.NativeEndian.PutUint32(m.b[m.starts[i]+8:], seq)
}

// setSeqs numbers the messages from first on.
func (m *msgBuf) setSeqs(first uint32) {
	for i := range m.starts {
		m.setSeq(i, first+uint32(i))
	}
}

// attr appends one attribute with its padding.
func (m *msgBuf) attr(typ uint16, data []byte) {
	var h [4]byte
	binary.NativeEndian.PutUint16(h[0:2], uint16(4+len(data)))
	binary.NativeEndian.PutUint16(h[2:4], typ)
	m.b = append(m.b, h[:]...)
	m.b = append(m.b, data...)
	m.pad()
}

func (m *msgBuf) pad() {
	for len(m.b)%4 != 0 {
		m.b = append(m.b, 0)
	}
}

// str appends a NUL-terminated string attribute.
func (m *msgBuf) str(typ uint16, s string) {
	var h [4]byte
	binary.NativeEndian.PutUint16(h[0:2], uint16(4+len(s)+1))
	binary.NativeEndian.PutUint16(h[2:4], typ)
	m.b = append(m.b, h[:]...)
	m.b = append(m.b, s...)
	m.b = append(m.b, 0)
	m.pad()
}

// u32 appends a big-endian 32-bit attribute, as nf_tables wants them.
func (m *msgBuf) u32(typ uint16, v uint32) {
	var d [4]byte
	binary.BigEndian.PutUint32(d[:], v)
	m.attr(typ, d[:])
}

// nest opens a nested attribute and returns its offset for nestEnd.
func (m *msgBuf) nest(typ uint16) int {
	off := len(m.b)
	var h [4]byte
	binary.NativeEndian.PutUint16(h[2:4], typ|nlaFNested)
	m.b = append(m.b, h[:]...)
	return off
}

func (m *msgBuf) nestEnd(off int) {
	binary.NativeEndian.PutUint16(m.b[off:], uint16(len(m.b)-off))
}

// raw appends bytes that already hold complete attributes.
func (m *msgBuf) raw(b []byte) { m.b = append(m.b, b...) }

const nlaFNested = 0x8000

// attribute is one decoded attribute.
type attribute struct {
	typ  uint16 // without the nested and byte-order flags
	data []byte
}

func parseAttrs(b []byte) []attribute {
	var out []attribute
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		if l < 4 || l > len(b) {
			break
		}
		out = append(out, attribute{typ: binary.NativeEndian.Uint16(b[2:4]) & 0x3fff, data: b[4:l]})
		b = b[min(align4(l), len(b)):]
	}
	return out
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// attrStr finds a string attribute.
func attrStr(as []attribute, typ uint16) string {
	for _, a := range as {
		if a.typ == typ {
			return cstring(a.data)
		}
	}
	return ""
}

// Attributes golang.org/x/sys/unix does not name (linux nf_tables.h).
const (
	nftaChainUserdata  = 12 // NFTA_CHAIN_USERDATA
	nftaSetDescConcat  = 2  // NFTA_SET_DESC_CONCAT
	nftaSetFieldLen    = 1  // NFTA_SET_FIELD_LEN
	nftaSetElemKeyEnd  = 10 // NFTA_SET_ELEM_KEY_END
	nftaRulePositionID = 10 // NFTA_RULE_POSITION_ID
)
