// Package migratetest holds the tests of ruleshift migrate. They run the
// real binary (built once in TestMain) the way users do: offline into
// roots seeded from persist's test trees, and live inside network
// namespaces the tests create (ip netns exec NS ruleshift migrate …),
// with a seeded root standing in for the machine's boot files. They never
// touch the host's firewall or its /etc.
package migratetest

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/migrate")

var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "ruleshift-migrate-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "ruleshift")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/ruleshift/ruleshift/cmd/ruleshift").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build ruleshift: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	persistSeeds = "../../../testdata/persist/seeds"
	testdata     = "../../../testdata/migrate"
)

func need(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft", "iptables-legacy-restore", "ip6tables-legacy-restore", "iptables-nft-restore",
		"ip6tables-nft-restore", "iptables-legacy-save", "ip6tables-legacy-save", "iptables-nft-save", "ip6tables-nft-save", "setsid")
}

// seedRoot writes the fragments (persist's seeds, then migrate's, by
// name) into a new directory.
func seedRoot(t *testing.T, names ...string) string {
	t.Helper()
	unitDir := "/usr/lib/systemd/system"
	for _, n := range names {
		if n == "os-debian-12" || n == "os-debian-11" || n == "os-ubuntu-22.04" {
			unitDir = "/lib/systemd/system"
		}
	}
	var b strings.Builder
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(persistSeeds, n+".tree"))
		if os.IsNotExist(err) {
			data, err = os.ReadFile(filepath.Join(testdata, "seeds", n+".tree"))
		}
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	root := t.TempDir()
	writeTree(t, root, strings.ReplaceAll(b.String(), "${UNITDIR}", unitDir))
	return root
}

type result struct {
	stdout, stderr string
	code           int
}

// rs runs ruleshift, in the namespace when ns is not nil.
func rs(ns *testenv.Netns, args ...string) result {
	cmd := exec.Command(bin, args...)
	if ns != nil {
		cmd = exec.Command("ip", append([]string{"netns", "exec", ns.Name, bin}, args...)...)
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if x, ok := err.(*exec.ExitError); ok {
		code = x.ExitCode()
	} else if err != nil {
		code = -1
	}
	return result{o.String(), e.String(), code}
}

// stable drops the verification's timings and counts, which the golden
// files must not hold, and names the root ROOT.
func stable(out, root string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(strings.ReplaceAll(out, root, "ROOT"), "\n") {
		if strings.HasPrefix(l, "verify: ") {
			continue
		}
		if l != "" {
			b.WriteString("# " + l)
		}
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	testenv.CheckGolden(t, filepath.Join(testdata, "golden", name+".tree"), got, *update, "go test ./cmd/ruleshift/migratetest -update")
}

func lineDiff(a, b string) string { return testenv.LineDiff(a, b) }

// withoutOwn drops the entries of a tree that hold the new rules
// (ruleshift's files, the include in nftables.conf, its state).
func withoutOwn(tree string) string {
	var b strings.Builder
	skip := false
	for _, l := range strings.SplitAfter(tree, "\n") {
		if strings.HasPrefix(l, "-- ") {
			skip = strings.HasPrefix(l, "-- etc/ruleshift/") || strings.HasPrefix(l, "-- etc/nftables.conf ") || strings.HasPrefix(l, "-- var/lib/ruleshift/")
		}
		if !skip {
			b.WriteString(l)
		}
	}
	return b.String()
}

var debian12 = []string{"os-debian-12", "usrmerge", "xtables"}

// offlineCases are migrate --root runs on seeded roots.
var offlineCases = []struct {
	name  string
	seeds []string
	args  []string
}{
	{"debian-12-netfilter-persistent-legacy", append(debian12, "alt-legacy", "nftables-deb", "ifupdown", "nfp", "nfp-enabled", "rules-legacy"), nil},
	{"debian-12-netfilter-persistent-nft", append(debian12, "alt-nft", "nftables-deb", "ifupdown", "nfp", "nfp-enabled", "rules-legacy"), nil},
	{"debian-12-netfilter-persistent-keep-old", append(debian12, "alt-legacy", "nftables-deb", "ifupdown", "nfp", "nfp-enabled", "rules-legacy"), []string{"--keep-old"}},
	{"debian-12-ifupdown-pre-up", append(debian12, "alt-legacy", "nftables-deb", "ifupdown", "preup"), nil},
	{"ubuntu-24.04-ufw-active", []string{"os-ubuntu-24.04", "usrmerge", "xtables", "alt-nft", "nftables-deb", "netplan", "ufw-active", "ufw-files", "ufw-full"}, nil},
}

// TestOffline: migrate --root writes the golden tree (the nftables
// method, the old loader off), a dry run changes nothing, and unpersist
// gives back the seeded tree byte for byte.
func TestOffline(t *testing.T) {
	need(t)
	for _, c := range offlineCases {
		t.Run(c.name, func(t *testing.T) {
			root := seedRoot(t, c.seeds...)
			before := dumpTree(t, root)
			args := append([]string{"migrate", "--to", "nftables", "--root", root, "--probes", "300"}, c.args...)
			dry := rs(nil, append(args, "--dry-run")...)
			if dry.code != 0 || !strings.Contains(dry.stdout, "dry run: nothing written") {
				t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
			}
			if dumpTree(t, root) != before {
				t.Fatalf("the dry run changed the root")
			}
			r := rs(nil, args...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "probes agree") {
				t.Errorf("no verification in the output:\n%s", r.stdout)
			}
			checkGolden(t, c.name, stable(r.stdout, root)+dumpTree(t, root))
			// The root now loads only nftables: a second migration finds
			// nothing to do.
			if again := rs(nil, args...); again.code != 1 || !strings.Contains(again.stderr, "no iptables or ufw table to migrate") {
				t.Errorf("second migrate: exit %d: %s", again.code, again.stderr)
			}
			// A later persist replaces the new rules but leaves the old
			// boot path off.
			migrated := dumpTree(t, root)
			other := filepath.Join(t.TempDir(), "other.v4")
			os.WriteFile(other, []byte("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 8080 -j DROP\nCOMMIT\n"), 0o644)
			p := rs(nil, "persist", "--root", root, "--backend", "nftables", other)
			t.Logf("persist: %s", p.stdout)
			if p.code != 0 {
				t.Fatalf("persist after migrate: exit %d: %s", p.code, p.stderr)
			}
			if a, b := withoutOwn(migrated), withoutOwn(dumpTree(t, root)); a != b {
				t.Errorf("persist after migrate changed the old boot path:\n%s", lineDiff(a, b))
			}
			u := rs(nil, "unpersist", "--root", root)
			t.Logf("unpersist: %s", u.stdout)
			if u.code != 0 {
				t.Fatalf("unpersist: exit %d: %s", u.code, u.stderr)
			}
			if got := dumpTree(t, root); got != before {
				t.Errorf("unpersist did not restore the seeded root:\n%s", lineDiff(before, got))
			}
		})
	}
}

// oldRules are loaded into a namespace before a live migration.
var oldRules = map[string]string{
	"iptables": `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:SSH - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j SSH
-A INPUT -s 10.0.0.0/8 -p tcp -m multiport --dports 80,443 -j ACCEPT
-A INPUT -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable
-A SSH -s 192.0.2.0/24 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 192.168.10.0/24 -o eth0 -j MASQUERADE
COMMIT
`,
	"ip6tables": `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`,
}

// loadOld loads oldRules with the variant's restore tools and returns
// the variant's listing.
func loadOld(t *testing.T, ns *testenv.Netns, variant string) string {
	t.Helper()
	for _, ip := range []string{"iptables", "ip6tables"} {
		if _, err := ns.Run([]byte(oldRules[ip]), ip+"-"+variant+"-restore"); err != nil {
			t.Fatal(err)
		}
	}
	return listing(t, ns, variant)
}

// listing is the variant's save output without counters and comments.
func listing(t *testing.T, ns *testenv.Netns, variant string) string {
	t.Helper()
	var b strings.Builder
	for _, ip := range []string{"iptables", "ip6tables"} {
		out, err := ns.Run(nil, ip+"-"+variant+"-save")
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(testenv.StripSave(out))
	}
	return b.String()
}

// nftTables lists the namespace's nf_tables tables ("ip ruleshift_filter").
// onlyRuleshift checks that the namespace holds no nftables table but
// ruleshift's, and returns its ruleset written to a file for verify.
func onlyRuleshift(t *testing.T, ns *testenv.Netns) string {
	t.Helper()
	for _, tb := range nftTables(t, ns) {
		if !strings.Contains(tb, " ruleshift_") {
			t.Errorf("table %s left in the kernel", tb)
		}
	}
	ruleset, err := ns.Run(nil, "nft", "list", "ruleset")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "new.nft")
	os.WriteFile(file, []byte(ruleset), 0o644)
	return file
}

func nftTables(t *testing.T, ns *testenv.Netns) []string {
	t.Helper()
	out, err := ns.Run(nil, "nft", "list", "tables")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "table "); ok {
			tables = append(tables, rest)
		}
	}
	return tables
}

// bootRoot is the seeded stand-in for the namespace's boot files: the
// old rules load from netfilter-persistent.
func bootRoot(t *testing.T, variant string) string {
	root := seedRoot(t, append(debian12, "alt-"+variant, "nftables-deb", "ifupdown", "nfp", "nfp-enabled")...)
	for file, ip := range map[string]string{"rules.v4": "iptables", "rules.v6": "ip6tables"} {
		if err := os.WriteFile(filepath.Join(root, "etc/iptables", file), []byte(oldRules[ip]), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var variants = []string{"legacy", "nft"}

// TestLive migrates a namespace's iptables rules (each variant) to
// nftables: afterwards the kernel holds only ruleshift's nftables tables
// (a legacy table stays, emptied, as the kernel keeps it), they behave
// like the old rules on real packets, and the boot root loads them.
func TestLive(t *testing.T) {
	need(t)
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			ns := testenv.NewNetns(t, "rsMig")
			loadOld(t, ns, v)
			root := bootRoot(t, v)
			r := rs(ns, "migrate", "--to", "nftables", "--boot-root", root, "--probes", "300", "--state-dir", t.TempDir())
			if r.code != 0 {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if got := listing(t, ns, v); strings.Contains(got, "-A ") || strings.Contains(got, "DROP") {
				t.Errorf("old %s rules left in the kernel:\n%s", v, got)
			}
			newFile := onlyRuleshift(t, ns)
			dir := filepath.Dir(newFile)
			for _, fam := range []struct{ file, ip string }{{"old.v4", "iptables"}, {"old.v6", "ip6tables"}} {
				old := filepath.Join(dir, fam.file)
				os.WriteFile(old, []byte(oldRules[fam.ip]), 0o644)
				vr := rs(nil, "verify", "--probes", "500", "--old-backend", "iptables-"+v, old, newFile)
				if vr.code != 0 {
					t.Errorf("verify %s against the migrated kernel: exit %d\n%s%s", fam.file, vr.code, vr.stdout, vr.stderr)
				}
			}
			for _, f := range []string{"etc/iptables/rules.v4", "etc/iptables/rules.v6", "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service"} {
				if _, err := os.Lstat(filepath.Join(root, f)); err == nil {
					t.Errorf("%s is still there: the old boot path is on", f)
				}
			}
			conf, _ := os.ReadFile(filepath.Join(root, "etc/nftables.conf"))
			if !strings.Contains(string(conf), "include ") {
				t.Errorf("nftables.conf does not include ruleshift's rules:\n%s", conf)
			}
		})
	}
}

// TestLiveConfirmKilled: migrate --confirm whose whole session is
// SIGKILLed after the switch brings back the old rules and removes the
// new tables; the boot files stay as they were.
func TestLiveConfirmKilled(t *testing.T) {
	need(t)
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			ns := testenv.NewNetns(t, "rsMig")
			before := loadOld(t, ns, v)
			tablesBefore := strings.Join(nftTables(t, ns), ",")
			root := bootRoot(t, v)
			tree := dumpTree(t, root)
			killAfterSwitch(t, ns, root, func() {
				if listing(t, ns, v) == before {
					t.Fatalf("the old rules were not removed")
				}
			})
			back := false
			for i := 0; i < 150 && !back; i++ {
				time.Sleep(100 * time.Millisecond)
				back = listing(t, ns, v) == before && strings.Join(nftTables(t, ns), ",") == tablesBefore
			}
			if !back {
				t.Errorf("no rollback after migrate was killed:\n%s\nnft tables: %v", listing(t, ns, v), nftTables(t, ns))
			}
			if dumpTree(t, root) != tree {
				t.Errorf("the boot files changed although the migration was not confirmed")
			}
		})
	}
}

// killAfterSwitch runs migrate --confirm 3s live in ns, in a session of
// its own, until it says the old tables are removed; then runs switched
// (the test's look at the kernel in between) and SIGKILLs the whole
// session, as a dropped SSH connection would.
func killAfterSwitch(t *testing.T, ns *testenv.Netns, root string, switched func()) {
	t.Helper()
	cmd := exec.Command("setsid", "ip", "netns", "exec", ns.Name, bin, "migrate", "--to", "nftables", "--boot-root", root,
		"--probes", "300", "--confirm", "3s", "--state-dir", t.TempDir())
	outp, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}()
	done := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(outp)
		ok := false
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "migrate: old tables removed") {
				ok = true
				break
			}
		}
		done <- ok
		for sc.Scan() {
		}
	}()
	select {
	case ok := <-done:
		if !ok {
			cmd.Wait()
			t.Fatalf("migrate ended before the switch: %s", stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("migrate did not switch within 60s")
	}
	switched()
}

// TestLiveToIPTablesNFT: from iptables-legacy to iptables-nft the rules
// stay iptables rules: iptables-nft-save then lists what
// iptables-legacy-save listed, and the legacy tables are empty.
func TestLiveToIPTablesNFT(t *testing.T) {
	need(t)
	ns := testenv.NewNetns(t, "rsMig")
	before := loadOld(t, ns, "legacy")
	root := bootRoot(t, "nft")
	r := rs(ns, "migrate", "--to", "iptables-nft", "--boot-root", root, "--probes", "300", "--state-dir", t.TempDir())
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := listing(t, ns, "nft"); sortTables(got) != sortTables(before) {
		t.Errorf("iptables-nft holds\n%s\nwant what legacy held:\n%s", got, before)
	}
	if got := listing(t, ns, "legacy"); strings.Contains(got, "-A ") || strings.Contains(got, "DROP") {
		t.Errorf("old legacy rules left in the kernel:\n%s", got)
	}
	rules, err := os.ReadFile(filepath.Join(root, "etc/iptables/rules.v4"))
	if err != nil || !strings.Contains(string(rules), "-A SSH -s 192.0.2.0/24 -j ACCEPT") {
		t.Errorf("netfilter-persistent's rules.v4 does not hold the rules (%v):\n%s", err, rules)
	}
	t.Log(r.stdout)
}

// sortTables orders the tables of a save listing, which the two
// variants list in different orders.
func sortTables(s string) string {
	blocks := strings.SplitAfter(s, "COMMIT\n")
	sort.Strings(blocks)
	return strings.Join(blocks, "")
}

// TestLiveConfirmKeeps: ruleshift confirm from another process keeps the
// migration; only then are the boot files changed.
func TestLiveConfirmKeeps(t *testing.T) {
	need(t)
	ns := testenv.NewNetns(t, "rsMig")
	loadOld(t, ns, "legacy")
	root := bootRoot(t, "legacy")
	state := t.TempDir()
	cmd := exec.Command("ip", "netns", "exec", ns.Name, bin, "migrate", "--to", "nftables", "--boot-root", root,
		"--probes", "300", "--confirm", "20s", "--state-dir", state)
	outp, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(outp)
	var out strings.Builder
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "migrate: old tables removed") {
			break
		}
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/iptables/rules.v4")); err != nil {
		t.Errorf("the boot files changed before the confirmation: %v", err)
	}
	if r := rs(ns, "confirm", "--state-dir", state); r.code != 0 {
		t.Fatalf("confirm: exit %d: %s", r.code, r.stderr)
	}
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("migrate: %v\n%s%s", err, out.String(), stderr.String())
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/iptables/rules.v4")); err == nil {
		t.Errorf("confirmed, but the old boot file is still in place:\n%s", out.String())
	}
	if got := listing(t, ns, "legacy"); strings.Contains(got, "-A ") {
		t.Errorf("confirmed, but the old rules are back:\n%s", got)
	}
	for _, tb := range nftTables(t, ns) {
		if !strings.Contains(tb, " ruleshift_") {
			t.Errorf("table %s in the kernel", tb)
		}
	}
}
