package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strings"

	ipbackend "github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// --dry-run prints what would be loaded and the rules it would add and
// remove. For nftables the new ruleset is loaded into a scratch network
// namespace and both are listed by nft, so that the two sides are in the
// same canonical form (and the kernel has checked the new one); for
// iptables the save tool's output is compared with the rendered restore
// input, which is written in save format.

func dryRun(e *env, rs *ir.Ruleset, backend string) error {
	var old, new map[string][]string
	var err error
	if backend == backendNft {
		text, _ := nftables.Render(rs, nftables.Options{})
		fmt.Fprintf(e.stdout, "# would be loaded over netlink (nftables):\n%s", text)
		old, new, err = nftDiffSides(rs)
	} else {
		v := variantOf(backend)
		old, new = map[string][]string{}, map[string][]string{}
		for _, f := range rs.Families() {
			text, _ := ipbackend.Render(rs, f, v, ipbackend.Options{})
			fmt.Fprintf(e.stdout, "# would be loaded with %s:\n%s", v.RestoreCommand(f), text)
			cur, serr := ipbackend.Save(v, f, ipbackend.TouchedTables(rs, f))
			if serr != nil {
				err = serr
			}
			saveChains(old, familyFlag(f), cur)
			saveChains(new, familyFlag(f), text)
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "note: no difference shown: %v\n", err)
		fmt.Fprintln(e.stderr, "dry run: nothing was changed")
		return nil
	}
	printDiff(e, old, new)
	fmt.Fprintln(e.stderr, "dry run: nothing was changed")
	return nil
}

// saveChains collects the policy and rule lines of save-format text by
// "family table chain".
func saveChains(out map[string][]string, fam, text string) {
	table := ""
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "*"):
			table = l[1:]
		case strings.HasPrefix(l, ":"):
			f := strings.Fields(l[1:])
			if len(f) >= 2 {
				k := fam + " " + table + " " + f[0]
				out[k] = append(out[k], "policy "+f[1])
			}
		case strings.HasPrefix(l, "-A "):
			f := strings.Fields(l)
			k := fam + " " + table + " " + f[1]
			out[k] = append(out[k], l)
		}
	}
}

var nftCounter = regexp.MustCompile(`counter packets \d+ bytes \d+`)

// nftChains collects the rule lines of "nft list table" output by "table
// chain", counters zeroed.
func nftChains(out map[string][]string, table, listing string) {
	chain := ""
	for _, l := range strings.Split(listing, "\n") {
		s := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(s, "chain ") && strings.HasSuffix(s, "{"):
			chain = strings.TrimSuffix(strings.TrimPrefix(s, "chain "), " {")
			out[table+" "+chain] = append(out[table+" "+chain], []string{}...)
		case chain == "" || s == "}" || s == "":
		case strings.HasPrefix(s, "type ") || strings.HasPrefix(s, "comment "):
			out[table+" "+chain] = append(out[table+" "+chain], s)
		default:
			out[table+" "+chain] = append(out[table+" "+chain], nftCounter.ReplaceAllString(s, "counter"))
		}
	}
}

// nftDiffSides lists ruleshift's tables now and as they would be.
func nftDiffSides(rs *ir.Ruleset) (map[string][]string, map[string][]string, error) {
	nft, err := exec.LookPath("nft")
	if err != nil {
		return nil, nil, fmt.Errorf("the comparison lists rules with nft, which is not installed")
	}
	scratch, err := scratchNetns()
	if err != nil {
		return nil, nil, err
	}
	defer scratch.Close()
	path := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), scratch.Fd())
	if _, err := nftables.Apply(rs, nftables.ApplyOptions{NetNS: path, Nft: nft}); err != nil {
		return nil, nil, fmt.Errorf("the new ruleset does not load: %w", err)
	}
	old, new := map[string][]string{}, map[string][]string{}
	for _, side := range []struct {
		netns string
		out   map[string][]string
	}{{"", old}, {path, new}} {
		tables, err := nftables.ListTables(side.netns)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range tables {
			if !strings.HasPrefix(t.Name, nftables.TablePrefix) || !ownFamily(rs, t.Family) {
				continue
			}
			args := []string{"list", "table", t.Family, t.Name}
			cmd := exec.Command(nft, args...)
			if side.netns != "" {
				cmd = exec.Command("nsenter", append([]string{"--net=" + side.netns, nft}, args...)...)
			}
			listing, err := cmd.Output()
			if err != nil {
				return nil, nil, fmt.Errorf("nft list table %s %s: %v", t.Family, t.Name, err)
			}
			nftChains(side.out, t.Family+" "+t.Name, string(listing))
		}
	}
	return old, new, nil
}

func ownFamily(rs *ir.Ruleset, fam string) bool {
	for _, f := range rs.Families() {
		if f.String() == fam {
			return true
		}
	}
	return false
}

// scratchNetns creates a network namespace held only by the returned
// file: it disappears when the file is closed.
func scratchNetns() (*os.File, error) {
	type res struct {
		f   *os.File
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // left locked (and the thread dropped) if switching back fails
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- res{nil, err}
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- res{nil, fmt.Errorf("create a scratch network namespace: %w", err)}
			return
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- res{f, err}
	}()
	r := <-ch
	return r.f, r.err
}

// printDiff prints, per chain, the lines only one side has, and totals.
func printDiff(e *env, old, new map[string][]string) {
	keys := map[string]bool{}
	var order []string
	for _, m := range []map[string][]string{new, old} {
		for k := range m {
			if !keys[k] {
				keys[k] = true
				order = append(order, k)
			}
		}
	}
	sort.Strings(order)
	added, removed, same := 0, 0, 0
	fmt.Fprintln(e.stdout, "# difference from what is loaded now (- loaded now, + would be loaded):")
	for _, k := range order {
		plus, minus, n := multisetDiff(old[k], new[k])
		same += n
		if len(plus)+len(minus) == 0 {
			continue
		}
		fmt.Fprintf(e.stdout, "%s:\n", k)
		for _, l := range minus {
			fmt.Fprintf(e.stdout, "-\t%s\n", l)
		}
		for _, l := range plus {
			fmt.Fprintf(e.stdout, "+\t%s\n", l)
		}
		added += countRules(plus)
		removed += countRules(minus)
	}
	fmt.Fprintf(e.stdout, "# %d rules added, %d removed, %d lines unchanged\n", added, removed, same)
}

func countRules(ls []string) int {
	n := 0
	for _, l := range ls {
		if !strings.HasPrefix(l, "policy ") && !strings.HasPrefix(l, "type ") && !strings.HasPrefix(l, "comment ") {
			n++
		}
	}
	return n
}

// multisetDiff matches equal lines regardless of position (linear, for
// rulesets of 100,000 rules) and returns what only new and only old have.
func multisetDiff(old, new []string) (plus, minus []string, same int) {
	count := map[string]int{}
	for _, l := range old {
		count[l]++
	}
	for _, l := range new {
		if count[l] > 0 {
			count[l]--
			same++
			continue
		}
		plus = append(plus, l)
	}
	for _, l := range old {
		if count[l] > 0 {
			count[l]--
			minus = append(minus, l)
		}
	}
	return plus, minus, same
}
