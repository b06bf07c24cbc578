package ufw_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "github.com/ruleshift/ruleshift/backends/iptables"
	_ "github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/internal/ufwenv"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes"
	"github.com/ruleshift/ruleshift/translate/ufw"
	"github.com/ruleshift/ruleshift/verify"
)

// The oracle: for each configuration, made by running the real ufw
// command on private copies of the installed files, the real ufw-init
// starts it in a fresh namespace, and ruleshift's reading of those files
// must equal what iptables-save and ip6tables-save then list, and its
// nftables translation must pass verify against the listing loaded as
// listed. Only namespaces the test creates are touched.

type ufwCase struct {
	name string
	cfg  ufwenv.Config
	// cmds run on a started ufw first; their files are then started
	// afresh, since a ufw command edits the running rules in its own way.
	cmds []string
	// open is a port (tcp, IPv4) the configuration accepts input on:
	// verify must see a probe accepted there, so that it proves something.
	open uint16
}

func ufwCases() []ufwCase {
	rules := []string{"ufw allow 22/tcp", "ufw deny from 10.0.0.0/8", "ufw reject 113", "ufw limit 2222/tcp",
		"ufw allow proto udp from 192.0.2.0/24 to any port 53", "ufw allow from 2001:db8::/32 to any port 443 proto tcp",
		"ufw allow 80,443,8080:8090/tcp", "ufw deny in on eth1 to 198.51.100.7 port 25 proto tcp"}
	route := []string{"ufw route allow in on eth0 out on eth1", "ufw route deny proto tcp from any to 10.1.0.0/16 port 25",
		"ufw route reject out on eth1 to 172.16.0.0/12", "ufw route allow in on eth1 out on eth0 from 2001:db8:1::/48"}
	out := []string{"ufw allow out on eth0 to 8.8.8.8 port 53 proto udp", "ufw deny out 25/tcp", "ufw reject out on eth1",
		"ufw limit out 2200/tcp"}
	logs := []string{"ufw allow log 23/tcp", "ufw deny log-all from 198.51.100.0/24", "ufw allow out on eth0 log-all to any port 443 proto tcp",
		"ufw route allow in on eth0 out on eth1 log"}
	cs := []ufwCase{
		{name: "stock"},
		{name: "rules", cmds: rules, open: 22},
		{name: "route", cmds: append([]string{"ufw allow 22/tcp"}, route...), open: 22},
		{name: "out", cmds: append([]string{"ufw allow 22/tcp"}, out...), open: 22},
		{name: "log", cmds: append([]string{"ufw allow 22/tcp"}, logs...), open: 22},
		{name: "policies-reject", cmds: []string{"ufw default reject incoming", "ufw default deny outgoing", "ufw default allow routed", "ufw allow 22/tcp", "ufw allow out 53"}, open: 22},
		{name: "policies-allow", cmds: []string{"ufw default allow incoming", "ufw default reject outgoing", "ufw default reject routed", "ufw deny 23/tcp", "ufw allow out 80/tcp"}, open: 22},
		{name: "ipv6-no", cfg: ufwenv.Config{Defaults: map[string]string{"IPV6": "no"}}, cmds: []string{"ufw allow 22/tcp", "ufw limit 2222/tcp"}, open: 22},
		{name: "before-nat", cfg: ufwenv.Config{Etc: map[string]string{"before.rules": natBefore()}}, cmds: []string{"ufw allow 22/tcp"}, open: 22},
	}
	for _, level := range []string{"off", "low", "medium", "high", "full"} {
		cmds := append([]string{"ufw logging " + level, "ufw default deny outgoing", "ufw allow 22/tcp"}, logs...)
		if level == "off" || level == "full" {
			// limit's LOG line depends on the level; its -m recent keeps
			// the nftables translation out of verify (see verifyAgainst).
			cmds = append(cmds, "ufw limit 2222/tcp")
		}
		cs = append(cs, ufwCase{name: "loglevel-" + level, open: 22, cmds: cmds})
	}
	return cs
}

// natBefore is the installed before.rules with the masquerading section
// ufw-framework(8) documents in front, and a user chain of our own.
func natBefore() string {
	b, err := os.ReadFile("/etc/ufw/before.rules")
	if err != nil {
		return ""
	}
	nat := "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.8.0.0/24 -o eth0 -j MASQUERADE\nCOMMIT\n"
	s := strings.Replace(string(b), "# End required lines\n", "# End required lines\n:ruleshift-ssh - [0:0]\n-A ruleshift-ssh -s 192.0.2.0/24 -j ACCEPT\n-A ruleshift-ssh -j DROP\n", 1)
	s = strings.Replace(s, "# allow dhcp client to work\n", "-A ufw-before-input -p tcp --dport 2022 -j ruleshift-ssh\n# allow dhcp client to work\n", 1)
	return nat + s
}

func TestUFWInitOracle(t *testing.T) {
	if why := ufwenv.Available(); why != "" {
		testenv.Missing(t, "%s", why)
	}
	testenv.RequireBinary(t, "nft", "iptables-nft-restore", "ip6tables-nft-restore")
	equal, verified, viaNFT := 0, 0, 0
	for _, c := range ufwCases() {
		t.Run(c.name, func(t *testing.T) {
			r := start(t, c)
			rs := readResult(t, r)
			for _, f := range []ir.Family{ir.IPv4, ir.IPv6} {
				save := r.Save4
				if f == ir.IPv6 {
					save = r.Save6
				}
				want := &ir.Ruleset{}
				if d := iptables.ParseSave(want, f.String()+"-save", []byte(save), iptables.SaveOptions{Family: f}); d.HasErrors() {
					t.Fatalf("the %s listing: %v", f, d.Err())
				}
				got := only(rs, f)
				if !sameTables(t, got, want) {
					continue
				}
				equal++
				if ok, nft := verifyAgainst(t, c, f, save, want, got); ok {
					verified++
					if nft {
						viaNFT++
					}
				}
			}
		})
	}
	t.Logf("%d family listings of %d configurations equal ruleshift's reading; %d verify runs agree, %d of them with the nftables translation (the others through iptables-nft: ufw limit)", equal, len(ufwCases()), verified, viaNFT)
}

// start runs c's commands on a started ufw, then starts their files in a
// fresh namespace: the listing to compare with.
func start(t *testing.T, c ufwCase) *ufwenv.Result {
	t.Helper()
	ns := testenv.NewNetns(t, "rs-ufwin")
	r, err := ufwenv.Start(ns.Name, c.cfg, c.cmds...)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.cmds) == 0 {
		return r
	}
	etc := map[string]string{}
	for n, text := range r.Etc {
		// The stock init scripts are templates, not run: ufwenv would
		// make them executable.
		if n != "before.init" && n != "after.init" {
			etc[n] = text
		}
	}
	ns2 := testenv.NewNetns(t, "rs-ufwin")
	r2, err := ufwenv.Start(ns2.Name, ufwenv.Config{Etc: etc, Defaults: defaultsOf(r.Default)})
	if err != nil {
		t.Fatal(err)
	}
	return r2
}

// defaultsOf reads the keys of an /etc/default/ufw text.
func defaultsOf(text string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		m[k] = strings.Trim(v, `"'`)
	}
	return m
}

// readResult writes the files the run used under a root and reads them.
func readResult(t *testing.T, r *ufwenv.Result) *ir.Ruleset {
	t.Helper()
	root := t.TempDir()
	etc := filepath.Join(root, "etc", "ufw")
	if err := os.MkdirAll(filepath.Join(root, "etc", "default"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, text := range r.Etc {
		if err := os.WriteFile(filepath.Join(etc, n), []byte(text), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "default", "ufw"), []byte(r.Default), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := ufw.Locate(root)
	if err != nil {
		t.Fatal(err)
	}
	rs := &ir.Ruleset{}
	d := ufw.Load(rs, src, ufw.Options{})
	if d.HasErrors() {
		t.Fatalf("reading: %v", d.Err())
	}
	return rs
}

// only is the part of rs in family f.
func only(rs *ir.Ruleset, f ir.Family) *ir.Ruleset {
	out := &ir.Ruleset{}
	for _, t := range rs.Tables {
		if t.Family == f {
			out.Tables = append(out.Tables, t)
		}
	}
	return out
}

// sameTables compares two rulesets as listings compare: tables by name,
// built-in chains first, user chains by name (iptables-save's order), the
// rules of each chain in order, positions and counters aside.
func sameTables(t *testing.T, got, want *ir.Ruleset) bool {
	t.Helper()
	g, w := canonical(got), canonical(want)
	if ir.Equal(g, w) {
		return true
	}
	t.Errorf("ruleshift's reading differs from the listing:\n%s", lineDiff(ir.Dump(w), ir.Dump(g)))
	return false
}

func canonical(rs *ir.Ruleset) *ir.Ruleset {
	out := &ir.Ruleset{}
	for _, t := range rs.Tables {
		c := *t
		c.Src = ir.Pos{}
		c.Chains = append([]*ir.Chain(nil), t.Chains...)
		sort.SliceStable(c.Chains, func(i, j int) bool {
			a, b := c.Chains[i], c.Chains[j]
			if a.IsBase() != b.IsBase() {
				return a.IsBase()
			}
			return !a.IsBase() && a.Name < b.Name
		})
		out.Tables = append(out.Tables, &c)
	}
	sort.SliceStable(out.Tables, func(i, j int) bool { return out.Tables[i].Name < out.Tables[j].Name })
	return out
}

// lineDiff shows the lines only in want (-) or only in got (+).
func lineDiff(want, got string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	wm, gm := count(want), count(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if gm[l] < wm[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if wm[l] < gm[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// nsPrefix names the namespaces of one verify run; a cleanup removes any
// that a failure left.
func nsPrefix(t *testing.T) string {
	var b [3]byte
	rand.Read(b[:])
	p := "rs-ufwv-" + hex.EncodeToString(b[:])
	t.Cleanup(func() { verify.Cleanup(p) })
	return p
}

// verifyAgainst runs verify between the listing, loaded as listed with
// iptables-nft, and ruleshift's reading loaded with the nftables backend;
// nft says whether it was (rather than iptables-nft, for ufw limit).
func verifyAgainst(t *testing.T, c ufwCase, f ir.Family, save string, want, got *ir.Ruleset) (ok, nft bool) {
	t.Helper()
	if d := passes.Run(got, passes.Options{}); d.HasErrors() {
		t.Errorf("passes: %v", d.Err())
		return false, false
	}
	old := &verify.Side{Label: "ufw-init " + f.String(), Rules: want, Backend: verify.IPTablesNFT, Raw: []byte(save), RawFamily: f}
	if d := old.Prepare(); d.HasErrors() {
		t.Errorf("%s: %v", old.Label, d.Err())
		return false, false
	}
	new := &verify.Side{Label: "ruleshift " + f.String(), Rules: got, Backend: verify.NFTables}
	if d := new.Prepare(); d.HasErrors() {
		// ufw limit is -m recent, which nftables cannot express (the
		// nftables backend says so at the user.rules line): such a
		// configuration is verified through ruleshift's iptables-nft
		// rendering instead.
		for _, e := range d.Errors() {
			if e.Code != diag.Unsupported || !strings.Contains(e.Msg, "-m recent") {
				t.Errorf("%s: %v", new.Label, d.Err())
				return false, false
			}
		}
		new = &verify.Side{Label: "ruleshift (iptables-nft) " + f.String(), Rules: got, Backend: verify.IPTablesNFT}
		if d := new.Prepare(); d.HasErrors() {
			t.Errorf("%s: %v", new.Label, d.Err())
			return false, false
		}
	}
	res, err := verify.Run(old, new, verify.Options{Probes: 800, Seed: 1, NSPrefix: nsPrefix(t), KeepAll: true})
	if err != nil {
		t.Errorf("verify %s: %v", f, err)
		return false, false
	}
	for _, d := range res.Diffs {
		t.Errorf("verify %s: #%d %s [%s]\n    listing   %s\n    ruleshift %s", f, d.Probe.ID, d.Probe, d.Probe.Why, d.Old, d.New)
	}
	accepted, open := 0, false
	for _, d := range res.All {
		if os.Getenv("UFW_DUMP") != "" && d.Probe.Path == verify.Input && d.Probe.Dport == c.open {
			t.Logf("#%d %s [%s]\n    old %s\n    new %s", d.Probe.ID, d.Probe, d.Probe.Why, d.Old, d.New)
		}
		if d.Probe.Path == verify.Input && d.Probe.Orig == nil && d.Old.Kind == verify.Accept {
			accepted++
			open = open || d.Probe.Proto == 6 && d.Probe.Dport == c.open
		}
	}
	t.Logf("verify %s with %s: %d probes and %d replies agree; %d input probes accepted", f, new.Backend, res.Originals, res.Replies, accepted)
	if f == ir.IPv4 && c.open != 0 && !open {
		t.Errorf("verify %s: no input probe to tcp port %d was accepted: the probes prove nothing there", f, c.open)
	}
	return len(res.Diffs) == 0, new.Backend == verify.NFTables
}
