package hosts

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

const sample = `# comment line
127.0.0.1	localhost
192.0.2.10  www.example.org www   # trailing comment
192.0.2.11  WWW.example.org
2001:db8::1 www.example.org
::ffff:198.51.100.1 mapped.example
bogus       broken.example
203.0.113.9
192.0.2.10  www.example.org
`

func TestParseAndLookup(t *testing.T) {
	f, d := Parse("hosts", []byte(sample))
	var warns []string
	for _, x := range d.Items {
		warns = append(warns, x.String())
	}
	want := []string{
		`hosts:7:1: warning: skipping line: "bogus" is not an IP address [input-form]`,
		`hosts:8:1: warning: skipping line: address 203.0.113.9 has no host name [input-form]`,
	}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warns, "\n"), strings.Join(want, "\n"))
	}
	cases := []struct {
		host string
		fam  ir.Family
		want []string
	}{
		{"www.example.org", ir.IPv4, []string{"192.0.2.10", "192.0.2.11"}},
		{"Www.Example.Org", ir.IPv6, []string{"2001:db8::1"}},
		{"www", ir.IPv4, []string{"192.0.2.10"}},
		{"www", ir.IPv6, nil},
		{"mapped.example", ir.IPv4, []string{"198.51.100.1"}},
		{"broken.example", ir.IPv4, nil},
	}
	for _, c := range cases {
		var got []string
		for _, a := range f.Lookup(c.host, c.fam) {
			got = append(got, a.String())
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Lookup(%q, %v) = %v, want %v", c.host, c.fam, got, c.want)
		}
	}
}

func TestFileResolver(t *testing.T) {
	f, _ := Parse("my-hosts", []byte(sample))
	r := f.Resolver()
	addrs, err := r("www", ir.IPv4)
	if err != nil || !reflect.DeepEqual(addrs, []netip.Addr{netip.MustParseAddr("192.0.2.10")}) {
		t.Errorf("www: %v %v", addrs, err)
	}
	if _, err := r("elsewhere.example", ir.IPv4); err == nil || err.Error() != "not in hosts file my-hosts" {
		t.Errorf("missing name: %v", err)
	}
	// A name the file knows for the other family only: no error, no
	// address; the caller says which family was missing.
	if a, err := r("www", ir.IPv6); err != nil || len(a) != 0 {
		t.Errorf("www ipv6: %v %v", a, err)
	}
}
