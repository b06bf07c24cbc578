package iptables

import (
	"math"
	"math/bits"
)

// Numbers as libxtables 1.8.9 reads them. Almost every numeric value of
// iptables goes through xtables_strtoul: C's strtoumax with base 0 (0x
// hex, leading-0 octal, decimal), after leading blanks and an optional
// '+', with '-' refused up front. Go's own literal forms (0b, 0o, _)
// are not C's and stay refused.

// cSpace is C's isspace in the C locale.
func cSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

// strtoumax reads the longest base-0 (base 0) or fixed-base number at the
// start of s as C's strtoumax does: blanks, an optional sign, then
// digits. It returns the value, the bytes consumed (0 when no digits were
// read) and whether the value overflowed. A '-' negates, as in C.
func strtoumax(s string, base int) (v uint64, n int, overflow bool) {
	i := 0
	for i < len(s) && cSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	hexDigit := func(j int) bool { return j < len(s) && digitVal(s[j]) < 16 }
	if base == 0 || base == 16 {
		if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && hexDigit(i+2) {
			base, i = 16, i+2
		} else if base == 0 && i < len(s) && s[i] == '0' {
			base = 8
		} else if base == 0 {
			base = 10
		}
	}
	start := i
	for i < len(s) {
		d := digitVal(s[i])
		if d >= base {
			break
		}
		hi, lo := bits.Mul64(v, uint64(base))
		lo, carry := bits.Add64(lo, uint64(d), 0)
		if hi != 0 || carry != 0 {
			overflow = true
		}
		v = lo
		i++
	}
	if i == start {
		return 0, 0, false
	}
	if overflow {
		v = math.MaxUint64
	} else if neg {
		v = -v
	}
	return v, i, overflow
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// xtPrefix is xtables_strtoul with an end pointer: the number at the start
// of s within [min, max] (max 0: no bound) and what follows it.
func xtPrefix(s string, min, max uint64) (v uint64, rest string, ok bool) {
	if negative(s) {
		return 0, s, false
	}
	v, n, overflow := strtoumax(s, 0)
	if n == 0 || overflow || v < min || (max != 0 && v > max) {
		return 0, s, false
	}
	return v, s[n:], true
}

// xtUint is the strict xtables_strtoul: the whole of s must be one number
// within [min, max].
func xtUint(s string, min, max uint64) (uint64, bool) {
	v, rest, ok := xtPrefix(s, min, max)
	return v, ok && rest == ""
}

// cStrtoul10 is what glibc's getaddrinfo does with a numeric service:
// strtoul(s, &end, 10) over the whole string, the result truncated to 16
// bits by htons.
func cStrtoul10(s string) (uint16, bool) {
	v, n, _ := strtoumax(s, 10)
	if n == 0 || n != len(s) || negative(s) {
		return 0, false
	}
	return uint16(v), true
}

// negative says whether s, after C's isspace blanks, starts with '-':
// strtoul accepts "-1" as a huge number, which xtables refuses. A loop,
// not strings.TrimLeft, which builds its character set on every call
// (2% of translating 100,000 rules).
func negative(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			continue
		case '-':
			return true
		}
		return false
	}
	return false
}
