package policy

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func pinned(host string, f ir.Family) ([]netip.Addr, error) {
	if f == ir.IPv4 {
		return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil
	}
	return nil, nil
}

// TestErrorsHavePositions: every error of a policy, syntax or semantic,
// has a line and a column.
func TestErrorsHavePositions(t *testing.T) {
	for _, src := range []string{
		"[policy]\ninput = 3\n",
		"x = [\n",
		"[[input]]\nport = [1, \"a\"]\nfrom = \"@nope\"\n",
		"[sets]\na = \"@b\"\nb = \"@a\"\n[[input]]\nfrom = \"@a\"\n",
		"[[input]]\nport = 22\n[[output]]\nto = \"host.example\"\n",
		"input = 1\n",
		"[policy]\ninput = \"drop\"\n",
	} {
		_, d := Load("p.toml", []byte(src), Options{})
		if !d.HasErrors() {
			t.Errorf("%q: no error", src)
		}
		for _, it := range d.Items {
			if it.Pos.Line == 0 || it.Pos.Col == 0 {
				t.Errorf("%q: %s has no line:col", src, it)
			}
		}
	}
}

// TestEgressExample: examples/egress.toml reads without errors and its
// IPv4 OUTPUT chain holds the how-to's rules after the defaults.
func TestEgressExample(t *testing.T) {
	data, err := os.ReadFile("../../examples/egress.toml")
	if err != nil {
		t.Fatal(err)
	}
	rs, d := Load("egress.toml", data, Options{Resolve: pinned})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	out := rs.Table(ir.IPv4, "filter").Chain("OUTPUT")
	if len(out.Rules) != 10 || out.PolicyOf() != ir.PolicyDrop {
		t.Fatalf("OUTPUT: %d rules, policy %v\n%s", len(out.Rules), out.PolicyOf(), ir.Dump(rs))
	}
	if _, ok := out.Rules[len(out.Rules)-1].Target.(*ir.Reject); !ok {
		t.Errorf("the last OUTPUT rule is not a reject")
	}
}

// TestLockout: input drop without an ssh rule is an error unless
// allowed; a rule accepting a range holding 22 is enough.
func TestLockout(t *testing.T) {
	src := "[[input]]\nproto = \"tcp\"\nport = 80\n"
	if _, d := Load("p.toml", []byte(src), Options{}); !d.HasErrors() {
		t.Error("no lock-out error")
	}
	if _, d := Load("p.toml", []byte(src), Options{AllowLockout: true}); d.HasErrors() {
		t.Errorf("--allow-lockout: %v", d.Err())
	}
	ok := "[[input]]\nproto = \"tcp\"\nport = \"20-30\"\n"
	if _, d := Load("p.toml", []byte(ok), Options{}); d.HasErrors() {
		t.Errorf("ssh in a range: %v", d.Err())
	}
}

func TestDetect(t *testing.T) {
	f := translate.Lookup("policy")
	for _, c := range []struct {
		name, data string
		want       translate.Confidence
	}{
		{"p.toml", "", translate.Declared},
		{"p", "# c\n[policy]\n", translate.Likely},
		{"p", "[[ output ]]\n", translate.Likely},
		{"p", "[other]\n[policy]\n", translate.No},
		{"rules.v4", "*filter\n:INPUT ACCEPT [0:0]\n", translate.No},
	} {
		if got, _ := f.Detect(translate.Input{Name: c.name, Data: []byte(c.data)}); got != c.want {
			t.Errorf("%s %q: %v, want %v", c.name, c.data, got, c.want)
		}
	}
}

// FuzzPolicy: no input panics, and every error has a position.
func FuzzPolicy(f *testing.F) {
	for _, s := range []string{
		"[policy]\ninput = \"drop\"\n[[input]]\nport = 22\n",
		"families = [\"ipv6\"]\n[sets]\na = [1, \"2-3\", \"10.0.0.0/8\"]\n[[output]]\nto = \"@a\"\nport = \"@a\"\n",
		"[[input]]\nicmp = [\"echo-request\"]\nstate = \"new\"\naction = \"limit\"\nrate = \"1/second\"\n",
		"[[forward]]\nin = \"eth0\"\nout = [\"eth1\"]\nfrom = \"h.example\"\nproto = [\"tcp\", 17]\nsport = 1\n",
		"a.b.c = 1\n[x]\ny = { z = [1, {w = 2}] }\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, d := Load("f.toml", []byte(s), Options{Resolve: pinned})
		for _, it := range d.Items {
			if it.Pos.Line == 0 {
				t.Fatalf("no line: %s", it)
			}
		}
	})
}

// TestExpansionBound: lists that multiply into too many rules are an
// error, not a ruleset of millions of rules.
func TestExpansionBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("[sets]\na = [")
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&b, "\"10.0.%d.%d\", ", i/250, i%250)
	}
	b.WriteString("]\n[[input]]\nport = 22\nfrom = \"@a\"\nto = \"@a\"\n")
	_, d := Load("p.toml", []byte(b.String()), Options{})
	if !d.HasErrors() || !strings.Contains(d.Err().Error(), "expands to") {
		t.Errorf("no expansion error: %v", d.Err())
	}
}

// TestHostOneFamily: a host name the resolver finds for IPv4 only (an
// error for IPv6, as a missing AAAA record gives) makes an IPv4 rule and
// no error; a name found nowhere is an error at its value.
func TestHostOneFamily(t *testing.T) {
	res := func(host string, f ir.Family) ([]netip.Addr, error) {
		if host == "v4.example" && f == ir.IPv4 {
			return []netip.Addr{netip.MustParseAddr("192.0.2.5")}, nil
		}
		return nil, fmt.Errorf("no such host")
	}
	rs, d := Load("p.toml", []byte("[[output]]\nto = \"v4.example\"\n"), Options{Resolve: res, AllowLockout: true})
	if d.HasErrors() || len(rs.Table(ir.IPv4, "filter").Chain("OUTPUT").Rules) != 3 || len(rs.Table(ir.IPv6, "filter").Chain("OUTPUT").Rules) != 2 {
		t.Errorf("%v\n%s", d.Err(), ir.Dump(rs))
	}
	_, d = Load("p.toml", []byte("[[output]]\nto = \"gone.example\"\n"), Options{Resolve: res, AllowLockout: true})
	if !d.HasErrors() || !strings.Contains(d.Err().Error(), "p.toml:2:6: cannot resolve host") {
		t.Errorf("%v", d.Err())
	}
}
