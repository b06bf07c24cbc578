package nftables

import (
	"sort"

	"github.com/google/nftables/userdata"
)

// Anonymous port sets.

// nft datatype ids, set flags and user data types (nftables' datatype.h
// and udata.h, linux nf_tables.h).
const (
	typeInetService = 13

	setAnonymous = 0x1
	setConstant  = 0x2
	setInterval  = 0x4

	setElemIntervalEnd = 0x1

	byteorderBig = 2

	udataSetKeyByteorder = 0
	udataSetMerge        = 2
	udataSetKeyTypeof    = 3
	udataElemFlags       = 1
	elemFlagIntervalOpen = 1
)

// portSet builds the anonymous set of "{ 25, 110-120, 443 }" as nft does.
// With a range it is an interval set: nft sorts and merges adjacent and
// overlapping ranges, and writes each as a start element and an end
// element one past it, preceded by an end element at 0 when the first
// range does not start there; a range reaching 65535 is open and has no
// end element.
func portSet(rs [][2]uint64, proto uint8, off uint32) *anonSet {
	interval := false
	for _, r := range rs {
		if r[0] != r[1] {
			interval = true
		}
	}
	s := &anonSet{keyType: typeInetService, keyLen: 2, flags: setAnonymous | setConstant}
	s.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderBig)
	if !interval {
		// A hash set keeps the order given.
		seen := map[uint64]bool{}
		for _, r := range rs {
			if !seen[r[0]] {
				seen[r[0]] = true
				s.elems = append(s.elems, setElem{key: be16(uint16(r[0]))})
			}
		}
		s.udata = append(s.udata, portTypeof(proto, off)...)
		return s
	}
	s.flags |= setInterval
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
	s.udata = userdata.AppendUint32(s.udata, udataSetMerge, 1)
	s.udata = append(s.udata, portTypeof(proto, off)...)
	var merged [][2]uint64
	for _, r := range rs {
		if n := len(merged); n > 0 && r[0] <= merged[n-1][1]+1 {
			merged[n-1][1] = max(merged[n-1][1], r[1])
			continue
		}
		merged = append(merged, r)
	}
	if merged[0][0] > 0 {
		s.elems = append(s.elems, setElem{key: be16(0), flags: setElemIntervalEnd})
	}
	for _, r := range merged {
		if r[1] == 65535 {
			s.elems = append(s.elems, setElem{key: be16(uint16(r[0])), udata: userdata.AppendUint32(nil, udataElemFlags, elemFlagIntervalOpen)})
			continue
		}
		s.elems = append(s.elems, setElem{key: be16(uint16(r[0]))}, setElem{key: be16(uint16(r[1] + 1)), flags: setElemIntervalEnd})
	}
	return s
}

// portTypeof is the set's "typeof tcp dport" user data, which nft writes
// so that listings can print the key as the expression it came from.
func portTypeof(proto uint8, off uint32) []byte {
	desc := portDesc[proto]
	field := uint32(1) // sport
	if off == 2 {
		field = 2
	}
	inner := userdata.AppendUint32(nil, 0, desc)
	inner = userdata.AppendUint32(inner, 1, field)
	v := userdata.AppendUint32(nil, 0, 7) // EXPR_PAYLOAD
	v = userdata.Append(v, 1, inner)
	return userdata.Append(nil, udataSetKeyTypeof, v)
}
