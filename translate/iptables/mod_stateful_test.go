package iptables

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

func TestStatefulErrors(t *testing.T) {
	cases := []struct{ args, want string }{
		{"-A INPUT -m limit --limit 20000/s", "rate too fast"},
		{"-A INPUT -m limit --limit 7/x", "bad rate"},
		{"-A INPUT -m limit ! --limit 1/s", "cannot be negated"},
		{"-A INPUT -m limit --limit-burst 0", "refused by the kernel"},
		{"-A INPUT -m limit --limit 1/d", "overflows"},
		{"-A INPUT -m hashlimit --hashlimit-upto 5", "--hashlimit-name is required"},
		{"-A INPUT -m hashlimit --hashlimit-name x", "is required"},
		{"-A INPUT -m hashlimit --hashlimit-upto 5 --hashlimit-above 6 --hashlimit-name x", "only one of"},
		{"-A INPUT -m hashlimit --hashlimit-upto 5 --hashlimit-name x --hashlimit-mode foo", "bad --hashlimit-mode"},
		{"-A INPUT -m hashlimit --hashlimit-upto 5 --hashlimit-name x --hashlimit-srcmask 33", "out of range"},
		{"-A INPUT -m hashlimit --hashlimit-upto 5 --hashlimit-name x --hashlimit-burst 0", "out of range"},
		{"-A INPUT -m recent --name x", "is required"},
		{"-A INPUT -m recent --set --seconds 10", "only make sense"},
		{"-A INPUT -m recent --update --reap", "--reap needs --seconds"},
		{"-A INPUT -m recent --set --name a/b", "invalid --name"},
		{"-A OUTPUT -m owner --uid-owner no-such-user-hB", "not a known user"},
		{"-A OUTPUT -m owner --suppl-groups", "needs --gid-owner"},
		{"-A INPUT -m time --days Mon", "unknown option"},
		{"-A INPUT -m time --timestart 25:00", "invalid time"},
		{"-A INPUT -m time --weekdays Xy", "not a valid day"},
		{"-A INPUT -m statistic --mode nth --every 3", "nth mode takes"},
		{"-A INPUT -m statistic --mode random --probability 2", "from 0 to 1"},
		{"-A INPUT -m quota", "--quota is required"},
		{"-A INPUT -m policy --dir in", "--pol none|ipsec is required"},
		{"-A INPUT -m string --string x", "--algo is required"},
		{"-A INPUT -m set --match-set s foo", "not src or dst"},
	}
	for _, c := range cases {
		_, d := ParseCommand(Tokens(strings.Fields(c.args), ir.Pos{File: "t", Line: 1}), ParseOptions{Family: ir.IPv4})
		if !d.HasErrors() {
			t.Errorf("%s: no error, want %q", c.args, c.want)
			continue
		}
		got := d.Err().Error()
		if !strings.Contains(got, c.want) || !strings.Contains(got, "t:1") {
			t.Errorf("%s: got %q, want %q with a position", c.args, got, c.want)
		}
	}
}

func TestStatefulParse(t *testing.T) {
	cmd, d := ParseCommand(Tokens(strings.Fields("-A INPUT -m limit --limit 100/min --limit-burst 10 -m hashlimit --hashlimit-upto 5/min --hashlimit-name b --hashlimit-rate-match"), ir.Pos{}), ParseOptions{Family: ir.IPv4})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	l := cmd.Rules[0].Matches[0].(*ir.Limit)
	if l.Avg != 6000 || l.Burst != 10 {
		t.Errorf("limit = %+v", l)
	}
	h := cmd.Rules[0].Matches[1].(*ir.Hashlimit)
	if h.Avg != 200000 || h.Expire != 60000 || h.Interval != 60 {
		t.Errorf("hashlimit = %+v", h)
	}
}
