package nftables_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func renderSave(t *testing.T, save string) (string, error) {
	t.Helper()
	rs, d := translate.Load([]translate.Input{{Name: "t", Data: []byte(save)}}, translate.Options{From: translate.Save, Family: ir.IPv4})
	if d.HasErrors() {
		t.Fatalf("parse: %v", d.Err())
	}
	text, rd := nftables.Render(rs, nftables.Options{NoCounters: true})
	if rd.HasErrors() {
		return text, rd.Err()
	}
	return text, nil
}

func raw(rules ...string) string {
	return "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" + strings.Join(rules, "\n") + "\nCOMMIT\n"
}

// chainBody returns the lines of chain name in an nft script.
func chainBody(text, name string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		s := strings.TrimSpace(l)
		switch {
		case s == "chain "+name+" {":
			in = true
		case in && s == "}":
			return out
		case in && !strings.HasPrefix(s, "comment "):
			out = append(out, s)
		}
	}
	return out
}

func TestCtHelperMirror(t *testing.T) {
	cases := []struct {
		name, save string
		want       map[string]string // chain -> lines joined by " | "; "" absent
		err        string
	}{
		{"helper", raw("-A PREROUTING -p tcp --dport 21 -j CT --helper ftp"), map[string]string{
			"PREROUTING":    "type filter hook prerouting priority raw; policy accept; | tcp dport 21 ct zone set 0",
			"PREROUTING_ct": "type filter hook prerouting priority -199; policy accept; | ct status confirmed accept | tcp dport 21 ct helper set \"ftp_tcp\" accept",
			"OUTPUT_ct":     "",
		}, ""},
		{"events", raw("-A OUTPUT -p udp -j CT --ctevents new,mark,natseqinfo"), map[string]string{
			"OUTPUT_ct": "type filter hook output priority -199; policy accept; | ct status confirmed accept | ip protocol udp ct event set \"new\",\"mark\",\"seqadj\" accept",
		}, ""},
		// Only the flow before the last CT rule is mirrored: the LOG and
		// the state match after it are not.
		{"flow", raw(":U - [0:0]",
			"-A PREROUTING -s 10.0.0.0/8 -j DROP",
			"-A PREROUTING -p tcp -j U",
			"-A PREROUTING -j LOG",
			"-A PREROUTING -p udp --dport 69 -j CT --helper tftp",
			"-A PREROUTING -m state --state NEW -j ACCEPT",
			"-A U -i lo -j RETURN",
			"-A U -j MARK --set-mark 1",
			"-A U -p tcp --dport 21 -j CT --helper ftp",
			"-A U -j NOTRACK"), map[string]string{
			"PREROUTING_ct": "type filter hook prerouting priority -199; policy accept; | ct status confirmed accept | ip saddr 10.0.0.0/8 drop | ip protocol tcp jump U_ct | udp dport 69 ct helper set \"tftp_udp\" accept",
			"U_ct":          "iifname \"lo\" return | tcp dport 21 ct helper set \"ftp_tcp\" accept | accept",
			"U":             "iifname \"lo\" return | meta mark set 0x1 | tcp dport 21 ct zone set 0 | notrack",
		}, ""},
		// A jump to a chain that only returns changes no flow.
		{"plain jump", raw(":V - [0:0]", "-A PREROUTING -j V", "-A PREROUTING -p tcp -j CT --helper ftp", "-A V -j LOG"), map[string]string{
			"PREROUTING_ct": "type filter hook prerouting priority -199; policy accept; | ct status confirmed accept | ip protocol tcp ct helper set \"ftp_tcp\" accept",
			"V_ct":          "",
		}, ""},
		{"state on path", raw("-A PREROUTING -m state --state INVALID -j ACCEPT", "-A PREROUTING -p tcp -j CT --helper ftp"), nil, "-m state on the path to a CT --helper or --ctevents rule cannot be translated to nftables: iptables' raw table evaluates it before conntrack"},
		{"limit on path", raw("-A PREROUTING -p tcp -m limit --limit 1/sec -j CT --helper ftp"), nil, "-m limit on the path"},
		{"mark after MARK", raw("-A PREROUTING -j MARK --set-mark 1", "-A PREROUTING -m mark --mark 1 -j RETURN", "-A PREROUTING -p tcp -j CT --helper ftp"), nil, "sets the packet mark"},
		{"helper and events", raw("-A PREROUTING -p tcp -j CT --helper ftp --ctevents new"), nil, "expectation event mask"},
		{"udp helper on tcp", raw("-A PREROUTING -p sctp -j CT --helper ftp"), nil, "protocol tcp or udp"},
	}
	for _, c := range cases {
		text, err := renderSave(t, c.save)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "t:") {
				t.Errorf("%s: got %v, want an error with %q\n%s", c.name, err, c.err, text)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		for chain, want := range c.want {
			got := strings.Join(chainBody(text, chain), " | ")
			if got != want {
				t.Errorf("%s: chain %s:\n got %s\nwant %s", c.name, chain, got, want)
			}
		}
	}
}

// TestCtHelperMirrorLeavesOutRefused shows that the mirror's copy of a CT
// rule the raw chain refuses is left out with it, quietly: with
// --warn unsupported the rule is gone from both chains, and its error is
// reported once.
func TestCtHelperMirrorLeavesOutRefused(t *testing.T) {
	for _, rule := range []string{
		"-A PREROUTING -p tcp -j CT --helper ftp --ctevents new",
		"-A PREROUTING -p tcp -j CT --helper ftp --timeout x",
	} {
		rs, d := translate.Load([]translate.Input{{Name: "t", Data: []byte(raw(rule, "-A PREROUTING -p udp -j CT --helper tftp"))}}, translate.Options{From: translate.Save, Family: ir.IPv4})
		if d.HasErrors() {
			t.Fatal(d.Err())
		}
		text, rd := nftables.Render(rs, nftables.Options{NoCounters: true})
		if n := len(rd.Errors()); n != 1 {
			t.Errorf("%s: %d errors, want 1: %v", rule, n, rd.Err())
		}
		got := strings.Join(chainBody(text, "PREROUTING_ct"), " | ")
		want := "type filter hook prerouting priority -199; policy accept; | ct status confirmed accept | ip protocol udp ct helper set \"tftp_udp\" accept"
		if got != want {
			t.Errorf("%s: mirror\n got %s\nwant %s", rule, got, want)
		}
	}
}

// TestCtHelperLoads loads mirrors into the kernel and lists them back.
func TestCtHelperLoads(t *testing.T) {
	testenv.RequireBinary(t, "nft")
	ns := testenv.NewNetns(t, "hH")
	save := raw(":U - [0:0]", ":dynamic - [0:0]", "-A PREROUTING -j U", "-A OUTPUT -j U", "-A OUTPUT -j dynamic",
		"-A U -p tcp --dport 1720 -j CT --helper Q.931", "-A U -p udp --dport 5060 -j CT --helper sip --zone 3",
		"-A dynamic -p tcp -j CT --ctevents helper,mark,destroy", "-A dynamic -j CT")
	text, err := renderSave(t, save)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := ns.Run([]byte(text), "nft", "-f", "-"); err != nil {
			t.Fatalf("load %d: %v\n%s", i, err, text)
		}
	}
	got, _ := ns.Run(nil, "nft", "list", "table", "ip", nftables.TableName("raw"))
	for _, want := range []string{
		"ct helper Q.931_tcp {\n\t\ttype \"Q.931\" protocol tcp\n\t\tl3proto ip\n\t}",
		"\t\ttype filter hook output priority -199; policy accept;\n\t\tct status confirmed accept\n\t\tjump U_ct\n\t\tjump dynamic_chain_ct\n",
		"udp dport 5060 ct helper set \"sip_udp\" accept",
		"ip protocol tcp ct event set destroy,helper,mark accept",
		"jump dynamic_chain_ct",
		"udp dport 5060 ct zone set 3",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("listing lacks %q:\n%s", want, got)
		}
	}
}

// TestCtHelperFTP shows with real traffic that the FTP helper is attached
// as in iptables: a client in one namespace opens a control connection to
// a server in another, whose raw table has CT --helper ftp (then NOTRACK,
// which xt_CT ignores once a template is attached); the server's "227"
// reply makes the helper create an expectation, which only exists if the
// helper was attached. Both the original (iptables-legacy) and ruleshift's
// nft script must give it for port 21, and neither for port 2121.
func TestCtHelperFTP(t *testing.T) {
	testenv.RequireBinary(t, "nft", "iptables-legacy-restore")
	save := raw("-A PREROUTING -p tcp --dport 21 -j CT --helper ftp", "-A PREROUTING -p tcp -j NOTRACK")
	script, err := renderSave(t, save)
	if err != nil {
		t.Fatal(err)
	}
	for _, port := range []int{21, 2121} {
		for _, mode := range []string{"iptables", "nft"} {
			srv, cli := testenv.NewNetns(t, "hH"), testenv.NewNetns(t, "hH")
			wire(t, srv, cli)
			if mode == "iptables" {
				_, err = srv.Run([]byte(save), "iptables-legacy-restore")
			} else {
				_, err = srv.Run([]byte(script), "nft", "-f", "-")
			}
			if err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			exp := ftpExchange(t, srv, cli, port)
			if got, want := strings.Contains(exp, "ftp"), port == 21; got != want {
				t.Errorf("%s port %d: expectation present %v, want %v:\n%s", mode, port, got, want, exp)
			}
		}
	}
}

func wire(t *testing.T, srv, cli *testenv.Netns) {
	t.Helper()
	a, b := "hH"+srv.Name[len(srv.Name)-6:], "hH"+cli.Name[len(cli.Name)-6:]
	for _, args := range [][]string{
		{"link", "add", a, "netns", srv.Name, "type", "veth", "peer", "name", b, "netns", cli.Name},
		{"-n", srv.Name, "addr", "add", "10.9.0.2/24", "dev", a}, {"-n", srv.Name, "link", "set", a, "up"},
		{"-n", cli.Name, "addr", "add", "10.9.0.1/24", "dev", b}, {"-n", cli.Name, "link", "set", b, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
}

// ftpExchange runs an FTP-like control exchange (this test binary as the
// server and the client, inside the namespaces) and returns the server's
// conntrack expectations while the connection is open.
func ftpExchange(t *testing.T, srv, cli *testenv.Netns, port int) string {
	t.Helper()
	role := func(ns *testenv.Netns, r string) *exec.Cmd {
		cmd := exec.Command("ip", "netns", "exec", ns.Name, os.Args[0], "-test.run=^TestCtHelperFTPRole$")
		cmd.Env = append(os.Environ(), "HH_FTP_ROLE="+r, fmt.Sprintf("HH_FTP_PORT=%d", port))
		return cmd
	}
	s := role(srv, "server")
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Wait()
	time.Sleep(300 * time.Millisecond)
	c := role(cli, "client")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Wait()
	time.Sleep(700 * time.Millisecond)
	exp, err := srv.Run(nil, "cat", "/proc/net/nf_conntrack_expect")
	if err != nil {
		testenv.Missing(t, "no /proc/net/nf_conntrack_expect: %v", err)
	}
	return exp
}

// TestCtHelperFTPRole is the server or client side of TestCtHelperFTP; it
// does nothing unless that test starts it.
func TestCtHelperFTPRole(t *testing.T) {
	role, port := os.Getenv("HH_FTP_ROLE"), os.Getenv("HH_FTP_PORT")
	switch role {
	case "server":
		l, err := net.Listen("tcp", "10.9.0.2:"+port)
		if err != nil {
			t.Fatal(err)
		}
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		c.Write([]byte("220 hello\r\n"))
		c.Read(buf)
		c.Write([]byte("227 Entering Passive Mode (10,9,0,2,195,80).\r\n"))
		time.Sleep(1500 * time.Millisecond)
	case "client":
		c, err := net.DialTimeout("tcp", "10.9.0.2:"+port, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		c.Read(buf)
		c.Write([]byte("PASV\r\n"))
		c.Read(buf)
		time.Sleep(1500 * time.Millisecond)
	}
}

// TestCtHelperApply checks that Apply loads the mirror chains (over
// netlink, "ct event set" included) and refuses what Render refuses.
func TestCtHelperApply(t *testing.T) {
	testenv.RequireBinary(t, "nft", "nsenter")
	ns := testenv.NewNetns(t, "hH")
	load := func(save string) (*nftables.ApplyResult, error) {
		rs, d := translate.Load([]translate.Input{{Name: "t", Data: []byte(save)}}, translate.Options{From: translate.Save, Family: ir.IPv4})
		if d.HasErrors() {
			t.Fatal(d.Err())
		}
		return nftables.Apply(rs, nftables.ApplyOptions{NetNS: "/run/netns/" + ns.Name})
	}
	res, err := load(raw("-A OUTPUT -p udp -j CT --ctevents new"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := ns.Run(nil, "nft", "list", "chain", "ip", nftables.TableName("raw"), "OUTPUT_ct")
	if res.Method != "netlink" || !strings.Contains(got, `ip protocol udp ct event set new accept`) {
		t.Errorf("method %q, mirror:\n%s", res.Method, got)
	}
	if _, err := load(raw("-A OUTPUT -m conntrack --ctstate INVALID -j RETURN", "-A OUTPUT -p udp -j CT --ctevents new")); err != nftables.ErrRender {
		t.Errorf("a conntrack match on the path: got %v, want ErrRender", err)
	}
}
