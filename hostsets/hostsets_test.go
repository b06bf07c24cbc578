package hostsets

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/translate/ir"
)

func testState() *State {
	rs := &ir.Ruleset{Tables: []*ir.Table{{Family: ir.IPv4, Name: "filter", Sets: []*ir.Set{{
		Name: "mirrors", Key: ir.SetKeyIPv4, Refresh: 5 * time.Minute,
		Elements: []ir.SetElem{{Prefix: netip.MustParsePrefix("203.0.113.0/24")}},
		Hosts:    []ir.HostAddrs{{Name: "a.example", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}, {Name: "b.example", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.2")}}},
	}, {Name: "plain", Key: ir.SetKeyIPv4}}}}}
	return FromRuleset(rs, func(n string) string { return "ruleshift_" + n })
}

func TestStateRoundTrip(t *testing.T) {
	st := testState()
	if len(st.Sets) != 1 || st.Interval() != 5*time.Minute {
		t.Fatalf("state: %+v", st)
	}
	back, err := Parse("hosts.json", st.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Marshal()) != string(st.Marshal()) {
		t.Errorf("round trip:\n%s\n%s", st.Marshal(), back.Marshal())
	}
	want := "flush set ip ruleshift_filter mirrors\nadd element ip ruleshift_filter mirrors { 203.0.113.0/24, 192.0.2.1, 192.0.2.2 }\n"
	if !strings.HasSuffix(st.NftCache(), want) {
		t.Errorf("cache:\n%s", st.NftCache())
	}
	for _, bad := range []string{`{`, `{"version":2}`, `{"version":1,"sets":[{"family":"inet"}]}`, `{"version":1,"sets":[{"family":"ip","key":"ipv4_addr","elements":["x"]}]}`, `{"version":1,"sets":[{"family":"ip","key":"inet_service"}]}`} {
		if _, err := Parse("f", []byte(bad)); err == nil {
			t.Errorf("Parse(%s) accepted it", bad)
		}
	}
}

// TestRefresh: a changed name changes the set, a failing one keeps its
// addresses with a warning, and an unchanged set reports no change.
func TestRefresh(t *testing.T) {
	st := testState()
	res := func(host string, fam ir.Family) ([]netip.Addr, error) {
		if host == "a.example" {
			return []netip.Addr{netip.MustParseAddr("192.0.2.9"), netip.MustParseAddr("2001:db8::1")}, nil
		}
		return nil, errors.New("timeout")
	}
	ch, warn := st.Refresh(res, nil)
	if len(ch) != 1 || strings.Join(ch[0].Added, ",") != "192.0.2.9" || strings.Join(ch[0].Removed, ",") != "192.0.2.1" {
		t.Errorf("changes: %+v", ch)
	}
	if len(warn) != 1 || !strings.Contains(warn[0], "keeping 192.0.2.2") {
		t.Errorf("warnings: %q", warn)
	}
	ch, _ = st.Refresh(res, nil)
	if ch[0].String() != "set ip ruleshift_filter mirrors: unchanged" {
		t.Errorf("second refresh: %s", ch[0])
	}
	cached := st.Cached(func(string, ir.Family) ([]netip.Addr, error) { return nil, errors.New("down") }, nil)
	if a, err := cached("b.example", ir.IPv4); err != nil || len(a) != 1 || a[0].String() != "192.0.2.2" {
		t.Errorf("cached: %v %v", a, err)
	}
	if _, err := cached("c.example", ir.IPv4); err == nil {
		t.Error("an unknown name came from the cache")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(testState().Marshal())
	f.Add([]byte(`{"version":1,"sets":[{"family":"ip6","key":"ipv6_addr","hosts":[{"name":"x","addrs":["::1"]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := Parse("f", data)
		if err == nil {
			st.NftCache()
			st.Refresh(func(string, ir.Family) ([]netip.Addr, error) { return nil, errors.New("no") }, nil)
		}
	})
}
