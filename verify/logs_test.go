package verify

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func TestSaveLogsToVerify(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`-A INPUT -p tcp --dport 22 -j LOG --log-prefix "ssh: " --log-level 6`, `-A INPUT -p tcp --dport 22 -j NFLOG --nflog-group 65124`},
		{`-A INPUT -j NFLOG --nflog-group 5 --nflog-prefix "a \"b\"" --nflog-threshold 10`, `-A INPUT -j NFLOG --nflog-group 65124`},
		{`-A INPUT -m limit --limit 5/min -j LOG --log-tcp-options --log-uid`, `-A INPUT -m limit --limit 5/min -j NFLOG --nflog-group 65125`},
		{`-A INPUT -m hashlimit --hashlimit-name x --hashlimit-upto 1/s -j ULOG --ulog-prefix x`, `-A INPUT -m hashlimit --hashlimit-name x --hashlimit-upto 1/s -j NFLOG --nflog-group 65125`},
		// Written by hand: the target before a match, abbreviated options.
		{`-A INPUT --jump LOG --log-p "x y" -p tcp --log-tcp-seq --dport 22`, `-A INPUT -j NFLOG --nflog-group 65124 -p tcp --dport 22`},
		{`-A INPUT -jLOG --log-level=4 -s 10.0.0.1`, `-A INPUT -j NFLOG --nflog-group 65124 -s 10.0.0.1`},
		{`-A INPUT -m comment --comment "-j LOG" -j ACCEPT`, `-A INPUT -m comment --comment "-j LOG" -j ACCEPT`},
		{`-A LOG_DROP -j DROP`, `-A LOG_DROP -j DROP`},
		{`-A INPUT -j LOG_DROP`, `-A INPUT -j LOG_DROP`},
		{`:LOG - [0:0]`, `:LOG - [0:0]`},
	} {
		got, n := saveLogsToVerify("*filter\n" + c.in + "\nCOMMIT\n")
		if got != "*filter\n"+c.want+"\nCOMMIT\n" {
			t.Errorf("%s\n got %s\nwant %s", c.in, strings.Split(got, "\n")[1], c.want)
		}
		if want := 0; c.in != c.want {
			want = 1
			if n != want {
				t.Errorf("%s: %d rewritten, want %d", c.in, n, want)
			}
		}
	}
}

func TestNftLogsToVerify(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`tcp dport 22 log prefix "ssh: " level info accept`, `tcp dport 22 log group 65124 accept`},
		{`log`, `log group 65124`},
		{`log;`, `log group 65124;`},
		{`log group 5 snaplen 100 queue-threshold 2 prefix "a log"`, `log group 65124`},
		{`log flags tcp sequence,options flags ip options counter drop`, `log group 65124 counter drop`},
		{`log flags all # log it`, `log group 65124 # log it`},
		{`limit rate 5/minute log prefix x`, `limit rate 5/minute log group 65125`},
		{`limit rate 5/minute tcp dport { 22, 80 } log`, `limit rate 5/minute tcp dport { 22, 80 } log group 65125`},
		{"limit rate 5/minute accept\n\t\tlog", "limit rate 5/minute accept\n\t\tlog group 65124"},
		{`jump log`, `jump log`},
		{`chain log {`, `chain log {`},
		{`meta l4proto tcp comment "log"`, `meta l4proto tcp comment "log"`},
	} {
		got, _ := nftLogsToVerify(c.in)
		if got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

// TestLogsToVerify: the loaded copy logs to verify's groups; the side's
// own model, which names the rules in the report, keeps its targets.
func TestLogsToVerify(t *testing.T) {
	text := logsAgree
	rs, d := translate.Load([]translate.Input{{Name: "logs.v4", Data: []byte(text)}}, translate.Options{From: translate.Save})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	cp := logsToVerify(rs)
	var orig, copied []string
	for _, x := range []struct {
		rs  *ir.Ruleset
		out *[]string
	}{{rs, &orig}, {cp, &copied}} {
		ir.Walk(x.rs, func(n any) bool {
			switch t := n.(type) {
			case *ir.Log:
				*x.out = append(*x.out, "LOG")
			case *ir.NFLog:
				*x.out = append(*x.out, "NFLOG "+strconv.Itoa(int(t.Group)))
			}
			return true
		})
	}
	if got, want := strings.Join(orig, ","), "LOG,NFLOG 5,LOG,LOG,LOG"; got != want {
		t.Errorf("the model changed: %s, want %s", got, want)
	}
	if got, want := strings.Join(copied, ","), "NFLOG 65124,NFLOG 65124,NFLOG 65125,NFLOG 65124,NFLOG 65124"; got != want {
		t.Errorf("the copy: %s, want %s", got, want)
	}
	if rs.RuleCount() != cp.RuleCount() {
		t.Errorf("%d rules, copy %d", rs.RuleCount(), cp.RuleCount())
	}
	plain := &ir.Ruleset{}
	if logsToVerify(plain) != plain {
		t.Errorf("a ruleset without logs is copied")
	}
}

func TestDiffReason(t *testing.T) {
	p := &Probe{Dport: 22}
	acc := Verdict{Kind: Accept, Where: "local", Hdr: Header{Src: netip.MustParseAddr("192.0.2.1"), Dport: 22}}
	two, one, lim := acc, acc, acc
	two.Logs, one.Logs, lim.LimitedLogs = 2, 1, 3
	for _, c := range []struct {
		old, new Verdict
		want     string
	}{
		{two, one, "logged 2 times on the old side, 1 on the new"},
		{acc, one, "logged 0 times on the old side, 1 on the new"},
		{lim, acc, "logged 3 times by a rate-limited rule on the old side, 0 on the new (the count may depend on timing)"},
		{one, Verdict{Kind: Drop}, ""},
		{one, one, ""},
	} {
		d := Diff{Probe: p, Old: c.old, New: c.new}
		if got := d.Reason(); got != c.want {
			t.Errorf("%s / %s: %q, want %q", c.old, c.new, got, c.want)
		}
		// A rate-limited log's count is timing: agree leaves it out.
		if agree(p, c.old, c.new) != (c.old.fate() == c.new.fate() && c.old.Logs == c.new.Logs) {
			t.Errorf("%s / %s: agree is not equality of fate and of the count of logs without a rate limit", c.old, c.new)
		}
	}
	if s := two.String(); !strings.HasSuffix(s, ", logged 2 times") {
		t.Errorf("verdict %q does not say how often it was logged", s)
	}
}
