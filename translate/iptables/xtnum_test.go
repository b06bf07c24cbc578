package iptables

import (
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// The readers of xtnum.go and addr.go against forms whose outcome
// iptables-legacy 1.8.9 showed (see valueforms_kernel_test.go).
func TestXtablesReaders(t *testing.T) {
	for _, c := range []struct {
		s      string
		want   uint64
		wantOK bool
	}{
		{"22", 22, true}, {"0x16", 22, true}, {"026", 22, true}, {" 22", 22, true}, {"+22", 22, true},
		{"22 ", 0, false}, {"-1", 0, false}, {" -1", 0, false}, {"08", 0, false}, {"0x", 0, false},
		{"", 0, false}, {"65536", 0, false}, {"18446744073709551616", 0, false},
	} {
		got, ok := xtUint(c.s, 0, 65535)
		if ok != c.wantOK || (ok && got != c.want) {
			t.Errorf("xtUint(%q) = %d, %v; want %d, %v", c.s, got, ok, c.want, c.wantOK)
		}
	}
	for _, c := range []struct{ s, want string }{
		{"10.1", "10.1.0.0"}, {"10", "10.0.0.0"}, {"0", "0.0.0.0"}, {"127.0.0.01", "127.0.0.1"},
		{"0x0a.0.0.1", "10.0.0.1"}, {"0377.0.0.1", "255.0.0.1"}, {"08.1.1.1", ""}, {"1.2.3.256", ""},
		{"1.2.3.4.", ""}, {"1..2.3", ""},
	} {
		got, ok := numericIPv4(c.s)
		if (c.want == "") == ok || (ok && got.String() != c.want) {
			t.Errorf("numericIPv4(%q) = %v, %v; want %q", c.s, got, ok, c.want)
		}
	}
	for _, c := range []struct{ s, want string }{
		{"2130706433", "127.0.0.1"}, {"0x7f000001", "127.0.0.1"}, {"10.1.300", "10.1.1.44"},
		{"10.65536", "10.1.0.0"}, {"10.1", "10.0.0.1"}, {"1.2.3.256", ""}, {"+1.2.3.4", ""},
		{"1.2.3.4 ", ""}, {"4294967296", ""},
	} {
		got, ok := inetAton(c.s)
		if (c.want == "") == ok || (ok && got.String() != c.want) {
			t.Errorf("inetAton(%q) = %v, %v; want %q", c.s, got, ok, c.want)
		}
	}
	for _, c := range []struct{ s, want string }{
		{"0/0", "0.0.0.0/0"}, {"foo/0", "0.0.0.0/0"}, {"1.2.3.4/0x10", "1.2.0.0/16"}, {" 1.2.3.4", "1.2.3.4/32"},
		{"1.2.3.4/ 8", "1.0.0.0/8"}, {"1.2.3.4/010", "1.0.0.0/8"}, {"1.2.3.4/08", ""}, {"1.2.3.4/255.255", ""},
	} {
		a, err := parseAddr(c.s, ir.IPv4)
		if (c.want == "") != (err != nil) || (err == nil && a.net.String() != c.want) {
			t.Errorf("parseAddr(%q) = %v, %v; want %q", c.s, a.net, err, c.want)
		}
	}
}
