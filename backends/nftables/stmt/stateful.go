package stmt

import (
	"strconv"
	"time"
)

// Quota, statistic, time, ipsec policy and owner statements.

// Quota is "quota [over] N bytes".
type Quota struct {
	Bytes uint64
	Over  bool
}

// Random is "meta random & 2147483647 < P" (">=" when Neg): xt_statistic's
// random mode, P out of 2^31.
type Random struct {
	Prob uint32
	Neg  bool
}

// Numgen is "numgen inc mod MOD [!=] PACKET": xt_statistic's nth mode.
type Numgen struct {
	Mod    uint64
	Packet uint32
	Neg    bool
}

// MetaTime is `meta time "FROM"-"TO"`, seconds since the epoch in UTC.
type MetaTime struct{ From, To uint32 }

// MetaHour is `meta hour "FROM"-"TO"`, seconds of the day.
type MetaHour struct{ From, To uint32 }

// MetaDay is "meta day D" or "meta day { D1, D2 }", 0 for Sunday.
type MetaDay struct{ Days []uint8 }

// Secpath is "meta secpath exists|missing" or, for the outbound policy
// (the route's xfrm bundle), "rt ipsec exists|missing".
type Secpath struct {
	Out    bool
	Exists bool
}

// SkID is "meta skuid|skgid [!=] ID", a range MIN-MAX, or a user or group
// Name that nft resolves when it loads the rule.
type SkID struct {
	Gid      bool
	Neg      bool
	Min, Max uint32
	Name     string
}

func (*Quota) stmt()    {}
func (*Random) stmt()   {}
func (*Numgen) stmt()   {}
func (*MetaTime) stmt() {}
func (*MetaHour) stmt() {}
func (*MetaDay) stmt()  {}
func (*Secpath) stmt()  {}
func (*SkID) stmt()     {}

// AppendStateful is the text printer of the statements of this file.
func AppendStateful(dst []byte, s Stmt) []byte {
	switch s := s.(type) {
	case *Quota:
		dst = append(dst, "quota "...)
		if s.Over {
			dst = append(dst, "over "...)
		}
		return append(strconv.AppendUint(dst, s.Bytes, 10), " bytes"...)
	case *Random:
		dst = append(dst, "meta random & 2147483647 "...)
		if s.Neg {
			dst = append(dst, ">= "...)
		} else {
			dst = append(dst, "< "...)
		}
		return strconv.AppendUint(dst, uint64(s.Prob), 10)
	case *Numgen:
		dst = strconv.AppendUint(append(dst, "numgen inc mod "...), s.Mod, 10)
		dst = append(dst, ' ')
		if s.Neg {
			dst = append(dst, "!= "...)
		}
		return strconv.AppendUint(dst, uint64(s.Packet), 10)
	case *MetaTime:
		dst = append(appendDate(append(dst, "meta time "...), s.From), '-')
		return appendDate(dst, s.To)
	case *MetaHour:
		dst = append(appendHour(append(dst, "meta hour "...), s.From), '-')
		return appendHour(dst, s.To)
	case *MetaDay:
		dst = append(dst, "meta day "...)
		if len(s.Days) == 1 {
			return strconv.AppendUint(dst, uint64(s.Days[0]), 10)
		}
		dst = append(dst, "{ "...)
		for i, d := range s.Days {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = strconv.AppendUint(dst, uint64(d), 10)
		}
		return append(dst, " }"...)
	case *Secpath:
		if s.Out {
			dst = append(dst, "rt ipsec "...)
		} else {
			dst = append(dst, "meta secpath "...)
		}
		if s.Exists {
			return append(dst, "exists"...)
		}
		return append(dst, "missing"...)
	case *SkID:
		if s.Gid {
			dst = append(dst, "meta skgid "...)
		} else {
			dst = append(dst, "meta skuid "...)
		}
		if s.Neg {
			dst = append(dst, "!= "...)
		}
		switch {
		case s.Min != s.Max:
			dst = strconv.AppendUint(dst, uint64(s.Min), 10)
			return strconv.AppendUint(append(dst, '-'), uint64(s.Max), 10)
		case s.Name != "":
			return append(dst, s.Name...)
		}
		return strconv.AppendUint(dst, uint64(s.Min), 10)
	}
	panic("internal error: no nft text for a statement")
}

// appendDate writes a date, quoted, in UTC.
func appendDate(dst []byte, v uint32) []byte {
	dst = time.Unix(int64(v), 0).UTC().AppendFormat(append(dst, '"'), "2006-01-02 15:04:05")
	return append(dst, '"')
}

// appendHour writes "HH:MM:SS", quoted.
func appendHour(dst []byte, s uint32) []byte {
	dst = append(dst, '"')
	for i, v := range []uint32{s / 3600, s / 60 % 60, s % 60} {
		if i > 0 {
			dst = append(dst, ':')
		}
		if v < 10 {
			dst = append(dst, '0')
		}
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	return append(dst, '"')
}
