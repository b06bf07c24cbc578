package nftables

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"golang.org/x/sys/unix"
)

// The statements of stmt/rest.go, encoded as nft 1.0.6 compiles them
// (checked with nft --debug=netlink and --debug=mnl).

const (
	protoDCCP    = 33
	protoUDPLite = 136

	typeInteger     = 4  // nft's integer datatype
	typeDCCPPktType = 16 // nft's dccp_pkttype datatype
	byteorderHost   = 1
	exprHash        = 24 // EXPR_HASH, for a set's typeof user data

	nftBitwiseRshift = 2 // NFT_BITWISE_RSHIFT
	nftaBitwiseOp    = 6 // NFTA_BITWISE_OP
	nftaBitwiseData  = 7 // NFTA_BITWISE_DATA

	// cgroupRoot is where nft looks a cgroup v2 path up.
	cgroupRoot = "/sys/fs/cgroup"
)

// portDesc is nft's protocol description id of each protocol with ports,
// which a set's "typeof P dport" user data names.
var portDesc = map[uint8]uint32{protoUDP: 6, protoUDPLite: 7, protoTCP: 8, protoDCCP: 9, protoSCTP: 10}

// restStmt encodes the statements of stmt/rest.go.
func (e *encoder) restStmt(s stmt.Stmt) {
	switch s := s.(type) {
	case *stmt.TrafficClass:
		e.trafficClass(s)
	case *stmt.SocketCgroup:
		e.socketCgroup(s)
	case *stmt.SocketMarkRestore:
		e.brk(&expr.Socket{Key: expr.SocketKeyMark, Register: reg1},
			&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: reg1})
	case *stmt.JHash:
		e.jhash(s)
	case *stmt.PktTypeHost:
		e.brk(&expr.Immediate{Register: reg1, Data: []byte{unix.PACKET_HOST}},
			&expr.Meta{Key: expr.MetaKeyPKTTYPE, SourceRegister: true, Register: reg1})
	case *stmt.DCCPTypes:
		e.dccpTypes(s)
	case *stmt.TProxyMark:
		m := &stmt.MarkSet{Src: stmt.MarkImm, Value: s.Mark}
		if s.Mask != 0xffffffff {
			m = &stmt.MarkSet{Src: stmt.MarkMeta, Ops: []stmt.MarkOp{{Op: '&', V: ^s.Mask}, {Op: '^', V: s.Mark}}}
		}
		e.markSetStmt(m)
	}
}

// trafficClass tests the IPv6 traffic class as nft 1.0.6 compiles
// "@nh,0,16 & M<<4 == V<<4": a 2-byte load, a mask, a compare.
func (e *encoder) trafficClass(s *stmt.TrafficClass) {
	e.masked(network, 0, be16(uint16(s.Mask)<<4), be16(uint16(s.Value&s.Mask)<<4), s.Neg)
}

// socketCgroup compares the socket's cgroup at a level with the cgroup's
// id, its inode number, which nft looks up below /sys/fs/cgroup when it
// loads the rule (a path that does not exist is an error there too).
func (e *encoder) socketCgroup(s *stmt.SocketCgroup) {
	fi, err := os.Stat(cgroupRoot + "/" + s.Path)
	if err != nil {
		e.err = fmt.Errorf("socket cgroupv2 %q: %w", s.Path, err)
		return
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		e.err = fmt.Errorf("socket cgroupv2 %q: no inode number", s.Path)
		return
	}
	e.add(&expr.Socket{Key: expr.SocketKeyCgroupv2, Level: s.Level, Register: reg1},
		&expr.Cmp{Op: cmpOp(s.Neg), Register: reg1, Data: binary.NativeEndian.AppendUint64(nil, st.Ino)})
}

// jhash loads the original source address into register 2, hashes it
// into register 1 and compares or looks the result up. Both expressions
// are written by hand: google/nftables sends a ct direction as 32 bits
// (the kernel reads 8) and leaves out a zero seed (the kernel then picks
// a random one).
func (e *encoder) jhash(h *stmt.JHash) {
	const reg2 = 2
	key, n := uint32(unix.NFT_CT_SRC_IP), uint32(4)
	if h.V6 {
		key, n = unix.NFT_CT_SRC_IP6, 16
	}
	var ct msgBuf
	ct.u32(unix.NFTA_CT_DREG, reg2)
	ct.u32(unix.NFTA_CT_KEY, key)
	ct.attr(unix.NFTA_CT_DIRECTION, []byte{0})
	var hash msgBuf
	hash.u32(unix.NFTA_HASH_SREG, reg2)
	hash.u32(unix.NFTA_HASH_DREG, reg1)
	hash.u32(unix.NFTA_HASH_LEN, n)
	hash.u32(unix.NFTA_HASH_MODULUS, h.Mod)
	hash.u32(unix.NFTA_HASH_SEED, h.Seed)
	hash.u32(unix.NFTA_HASH_OFFSET, 0)
	hash.u32(unix.NFTA_HASH_TYPE, unix.NFT_HASH_JENKINS)
	x := []any{&rawExpr{name: "ct", data: ct.b}, &rawExpr{name: "hash", data: hash.b}}
	if h.Neg || len(h.Vals) == 1 {
		e.add(append(x, &expr.Cmp{Op: cmpOp(h.Neg), Register: reg1, Data: host32(h.Vals[0])})...)
		return
	}
	set := &anonSet{keyType: typeInteger, keyLen: 4, flags: setAnonymous | setConstant}
	set.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderHost)
	set.udata = append(set.udata, hashTypeof(h)...)
	for _, v := range h.Vals {
		set.elems = append(set.elems, setElem{key: host32(v)})
	}
	e.addLookup(x, set, false)
}

// hashTypeof is the set's "typeof jhash …" user data: the hash type,
// offset, modulus, seed and that a seed was given.
func hashTypeof(h *stmt.JHash) []byte {
	var inner []byte
	for i, v := range []uint32{unix.NFT_HASH_JENKINS, 0, h.Mod, h.Seed, 1} {
		inner = userdata.AppendUint32(inner, userdata.Type(i), v)
	}
	v := userdata.AppendUint32(nil, 0, exprHash)
	v = userdata.Append(v, 1, inner)
	return userdata.Append(nil, udataSetKeyTypeof, v)
}

// addLookup adds the loads x and a lookup in the anonymous set.
func (e *encoder) addLookup(x []any, set *anonSet, neg bool) {
	lk := &expr.Lookup{SourceRegister: reg1, SetName: "__set%d", Invert: neg}
	set.lookup = lk
	e.sets = append(e.sets, set)
	e.add(append(x, lk)...)
}

// dccpTypes tests the type bits of the DCCP header against several types.
// nft compares the field in place, each type shifted left by one; a range
// of types ends one past its last type shifted, and a set with one is an
// interval set whose ranges nft merges before it shifts them.
func (e *encoder) dccpTypes(d *stmt.DCCPTypes) {
	e.l4dep(protoDCCP)
	f := stmt.DCCPType
	x := []any{load(transport, f.Offset, 1),
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 1, Mask: f.Mask, Xor: []byte{0}}}
	var rs [][2]uint8 // unshifted, inclusive, in the order of the bits
	for i := uint8(0); i <= 10; i++ {
		if d.Types&(1<<i) == 0 {
			continue
		}
		hi := i
		if i == 10 {
			hi = 15
		}
		if n := len(rs); n > 0 && rs[n-1][1]+1 == i {
			rs[n-1][1] = hi
			continue
		}
		rs = append(rs, [2]uint8{i, hi})
	}
	interval := d.Types&stmt.DCCPReserved != 0
	if d.Types&(d.Types-1) == 0 {
		// One type or the one range: compared, without a set.
		lo, hi := []byte{rs[0][0] << 1}, []byte{rs[0][1] << 1}
		switch {
		case rs[0][0] == rs[0][1]:
			x = append(x, &expr.Cmp{Op: cmpOp(d.Neg), Register: reg1, Data: lo})
		case d.Neg:
			x = append(x, &expr.Range{Op: expr.CmpOpNeq, Register: reg1, FromData: lo, ToData: hi})
		default:
			x = append(x, &expr.Cmp{Op: expr.CmpOpGte, Register: reg1, Data: lo}, &expr.Cmp{Op: expr.CmpOpLte, Register: reg1, Data: hi})
		}
		e.add(x...)
		return
	}
	set := &anonSet{keyType: typeDCCPPktType, keyLen: 1, flags: setAnonymous | setConstant}
	set.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderBig)
	if !interval {
		for i := uint8(0); i < 10; i++ {
			if d.Types&(1<<i) != 0 {
				set.elems = append(set.elems, setElem{key: []byte{i << 1}})
			}
		}
		e.addLookup(x, set, d.Neg)
		return
	}
	set.flags |= setInterval
	set.udata = userdata.AppendUint32(set.udata, udataSetMerge, 1)
	if rs[0][0] > 0 {
		set.elems = append(set.elems, setElem{key: []byte{0}, flags: setElemIntervalEnd})
	}
	for _, r := range rs {
		set.elems = append(set.elems, setElem{key: []byte{r[0] << 1}}, setElem{key: []byte{r[1]<<1 + 1}, flags: setElemIntervalEnd})
	}
	e.addLookup(x, set, d.Neg)
}
