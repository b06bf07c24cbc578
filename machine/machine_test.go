package machine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func TestParseLoad(t *testing.T) {
	for _, c := range []struct{ cmd, tool, file string }{
		{"iptables-restore < /etc/iptables.up.rules", "iptables-restore", "/etc/iptables.up.rules"},
		{"/sbin/iptables-restore</etc/iptables.up.rules", "iptables-restore", "/etc/iptables.up.rules"},
		{"/usr/sbin/ip6tables-legacy-restore /etc/ruleshift/rules.v6", "ip6tables-legacy-restore", "/etc/ruleshift/rules.v6"},
		{"/usr/sbin/iptables-nft-restore -w 5 /etc/r.v4", "iptables-nft-restore", "/etc/r.v4"},
		{"/usr/sbin/nft -f /etc/nftables.conf", "nft", "/etc/nftables.conf"},
		{"-/usr/sbin/nft -f /etc/sysconfig/nftables.conf", "nft", "/etc/sysconfig/nftables.conf"},
	} {
		l, ok := parseLoad(c.cmd)
		if !ok || l.tool != c.tool || l.file != c.file {
			t.Errorf("parseLoad(%q) = %q %q %v, want %q %q", c.cmd, l.tool, l.file, ok, c.tool, c.file)
		}
	}
	for _, cmd := range []string{"/usr/sbin/nft flush ruleset", "ip link set lo up", "iptables-restore"} {
		if l, ok := parseLoad(cmd); ok {
			t.Errorf("parseLoad(%q) = %+v, want none", cmd, l)
		}
	}
}

func TestIncludeName(t *testing.T) {
	for line, want := range map[string]string{
		`include "/etc/nftables.d/*.nft"`:   "/etc/nftables.d/*.nft",
		"\tinclude \"rules.nft\" # local\n": "rules.nft",
		`include /etc/x.nft`:                "/etc/x.nft",
	} {
		if got, ok := includeName(line); !ok || got != want {
			t.Errorf("includeName(%q) = %q %v, want %q", line, got, ok, want)
		}
	}
	for _, line := range []string{"includes", "# include \"x\"", "table inet filter {"} {
		if got, ok := includeName(line); ok {
			t.Errorf("includeName(%q) = %q, want none", line, got)
		}
	}
}

func TestInlineIncludes(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte(s), 0o644)
	}
	write("etc/nftables.conf", "flush ruleset\ninclude \"/etc/nftables.d/*.nft\"\ninclude \"local.nft\"\ninclude \"/etc/none/*.nft\"\n")
	write("etc/nftables.d/20-b.nft", "# b\n")
	write("etc/nftables.d/10-a.nft", "# a\ninclude \"/etc/nftables.d/inner.inc\"\n")
	write("etc/nftables.d/inner.inc", "# inner")
	write("etc/local.nft", "# local\n")
	var files []string
	got, err := inlineIncludes(root, "/etc/nftables.conf", 0, &files)
	if err != nil {
		t.Fatal(err)
	}
	if want := "flush ruleset\n# a\n# inner\n# b\n# local\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(files) != 5 {
		t.Errorf("files = %v", files)
	}
	write("etc/loop.nft", "include \"/etc/loop.nft\"\n")
	if _, err := inlineIncludes(root, "/etc/loop.nft", 0, &files); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Errorf("a file including itself: err = %v", err)
	}
	write("etc/missing.nft", "include \"/etc/nope.nft\"\n")
	if _, err := inlineIncludes(root, "/etc/missing.nft", 0, &files); err == nil {
		t.Error("a missing include is not an error")
	}
}

func TestForeignOwner(t *testing.T) {
	for name, want := range map[string]string{
		"DOCKER": "docker", "DOCKER-USER": "docker", "DOCKER-ISOLATION-STAGE-1": "docker",
		"KUBE-SERVICES": "kubernetes", "kube-proxy": "kubernetes", "LIBVIRT_INP": "libvirt",
		"libvirt_network": "libvirt", "f2b-sshd": "fail2ban", "f2b-table": "fail2ban",
		"INPUT": "", "LOGDROP": "", "firewalld": "", "ruleshift_filter": "", "KUBELET": "",
	} {
		if got := ForeignOwner(name); got != want {
			t.Errorf("ForeignOwner(%q) = %q, want %q", name, got, want)
		}
	}
}

// fake answers the listing tools with canned text; a tool not in the map
// is not installed.
func fake(out map[string]string) Runner {
	return func(_ context.Context, name string, _ ...string) ([]byte, []byte, error) {
		s, ok := out[name]
		if !ok {
			return nil, nil, &exec.Error{Name: name, Err: exec.ErrNotFound}
		}
		if s == "FAIL" {
			return nil, []byte("permission denied"), errors.New("exit status 1")
		}
		return []byte(s), nil, nil
	}
}

func TestReadLive(t *testing.T) {
	st := ReadLive(context.Background(), fake(map[string]string{
		"iptables-legacy-save": "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n" +
			"*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n-A PREROUTING -j DOCKER\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n",
		"iptables-nft-save": "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n# Table `mangle' is incompatible, use 'nft' tool.\n",
		"nft": `{"nftables": [{"metainfo": {"json_schema_version": 1}},
{"table": {"family": "ip", "name": "filter", "handle": 1}},
{"chain": {"family": "ip", "table": "filter", "name": "INPUT", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
{"table": {"family": "ip", "name": "mangle", "handle": 2}},
{"chain": {"family": "ip", "table": "mangle", "name": "pre", "handle": 1, "type": "filter", "hook": "prerouting", "prio": -150, "policy": "accept"}},
{"rule": {"family": "ip", "table": "mangle", "chain": "pre", "handle": 2, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}}, {"accept": null}]}},
{"table": {"family": "bridge", "name": "br", "handle": 3}},
{"table": {"family": "ip", "name": "libvirt_network", "handle": 4}}]}`,
	}), Options{})
	if st.Diags.HasErrors() {
		t.Fatal(st.Diags.Err())
	}
	var got []string
	for _, e := range st.Entries {
		got = append(got, e.Key()+" "+string(e.Source)+" "+e.From)
	}
	want := []string{
		"ipv4 nat legacy iptables-legacy-save",
		"ipv4 filter nft-compat iptables-nft-save",
		"ipv4 mangle native nftables nft table ip mangle",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var left []string
	for _, l := range st.Left {
		left = append(left, l.Where+" "+l.Owner)
	}
	if w := "ipv4 nat chain DOCKER docker|nft table bridge br family bridge, which ruleshift does not read|nft table ip libvirt_network libvirt"; strings.Join(left, "|") != w {
		t.Errorf("left out: %q, want %q", strings.Join(left, "|"), w)
	}
	if n := len(st.Notes); n != 2 {
		t.Errorf("notes (the two ip6tables tools are missing): %q", st.Notes)
	}
	if nat := st.Entries[0].Table; len(nat.Chain("PREROUTING").Rules) != 0 {
		t.Error("the jump to DOCKER was kept")
	}
	st = ReadLive(context.Background(), fake(map[string]string{"iptables-legacy-save": "FAIL"}), Options{})
	if !st.Diags.HasErrors() {
		t.Error("a failing save tool is not an error")
	}
}

func entry(t *testing.T, src Source, save string) *State {
	rs := &ir.Ruleset{}
	if d := iptables.ParseSave(rs, "x", []byte(save), iptables.SaveOptions{Family: ir.IPv4}); d.HasErrors() {
		t.Fatal(d.Err())
	}
	return FromRuleset(rs, src, "x", Options{})
}

func TestRulesetClash(t *testing.T) {
	a := entry(t, Legacy, "*filter\n:INPUT DROP [0:0]\nCOMMIT\n")
	b := entry(t, NFTCompat, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n")
	a.Entries = append(a.Entries, b.Entries...)
	if _, err := a.Ruleset(); err == nil || !strings.Contains(err.Error(), "held by legacy (x) and by nft-compat (x)") {
		t.Errorf("err = %v", err)
	}
	// In a root, the file that loads at boot wins over one that does not.
	c := entry(t, Legacy, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n")
	a.Entries = append(a.Entries[:1], c.Entries...)
	a.root = true
	a.Entries[1].AtBoot, a.Entries[1].Boot = true, "netfilter-persistent.service"
	rs, err := a.Ruleset()
	if err != nil || len(rs.Tables) != 1 || rs.Tables[0] != a.Entries[1].Table {
		t.Errorf("rs = %v, err = %v", rs, err)
	}
}

func TestCompare(t *testing.T) {
	old := entry(t, Legacy, "*filter\n:INPUT DROP [0:0]\n:A - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp --dport 80 -j ACCEPT\n-A INPUT -j A\n-A A -j DROP\nCOMMIT\n")
	new := entry(t, Legacy, "*filter\n:INPUT ACCEPT [0:0]\n:B - [0:0]\n-A INPUT -j B\n-A INPUT -p tcp --dport 80 -j ACCEPT\n[5:300] -A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n")
	oc, d := Canonical(old)
	nc, d2 := Canonical(new)
	if d.HasErrors() || d2.HasErrors() {
		t.Fatal(d.Err(), d2.Err())
	}
	c := Compare("boot", oc, "kernel", nc)
	var b strings.Builder
	c.WriteText(&b)
	want := `--- boot
+++ kernel
ipv4 filter A: only in boot
-	-A A -j DROP
ipv4 filter B: only in kernel
ipv4 filter INPUT:
  policy DROP in boot, ACCEPT in kernel
-	-A INPUT -j A
+	-A INPUT -j B
~	-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT	(rule 2 in boot, rule 2 in kernel)
# kernel and boot differ: 1 chain only in kernel, 1 chain only in boot, 1 rule only in kernel, 2 only in boot, 1 moved, 1 policy changed
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if same := Compare("boot", oc, "kernel", oc); same.Differs() {
		t.Errorf("a side differs from itself: %+v", same)
	}
}
