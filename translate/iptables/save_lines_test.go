package iptables

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestSaveDamage checks the files iptables-restore 1.8.9 refuses but
// ruleshift reads (each case was run through iptables-legacy-restore and
// iptables-nft-restore --test in a scratch namespace), and the files both
// take, which must not warn.
func TestSaveDamage(t *testing.T) {
	const rule = "-A INPUT -s 10.0.0.1 -j ACCEPT"
	for _, c := range []struct {
		name, text string
		want       []string // diagnostics, in order; nil: none
	}{
		{"crlf", "*filter\r\n:INPUT ACCEPT [0:0]\r\n" + rule + "\r\nCOMMIT\r\n",
			[]string{"crlf:1:8: warning: line ends in CR LF, as in files saved on Windows or pasted from the web (4 lines end so): iptables-restore 1.8.9 would refuse the file as it is"}},
		// A CR on a chain line alone is taken by iptables-restore.
		{"crchain", "*filter\n:INPUT ACCEPT [0:0]\r\n" + rule + "\nCOMMIT\n", nil},
		{"crrule", "*filter\n" + rule + "\r\nCOMMIT\n", []string{"crrule:2:31: warning: line ends in CR LF"}},
		{"crempty", "*filter\n\r\n" + rule + "\nCOMMIT\n", []string{"crempty:2:1: warning: line ends in CR LF"}},
		// An indented rule is taken; an indented table, chain, COMMIT,
		// comment or counters line is not, nor a line of blanks.
		{"indentrule", "*filter\n  " + rule + "\n\t" + rule + "\nCOMMIT\n", nil},
		{"indent", "  *filter\n  :INPUT ACCEPT [0:0]\n  " + rule + "\n  # c\n  [1:2] " + rule + "\n  COMMIT\n",
			[]string{"indent:1:1: warning: indented line (the first of 5): iptables-restore 1.8.9 would refuse the file as it is (it takes only rule lines indented); read as if it were not"}},
		{"blank", "*filter\n   \n" + rule + "\n  COMMIT\n",
			[]string{"blank:2:1: warning: line of only blanks (the first of 2 blank or indented lines)"}},
		{"commit", "*filter\n" + rule + "\nCOMMIT \n", []string{"commit:3:7: warning: blanks after COMMIT: iptables-restore 1.8.9 would refuse the file as it is; read as a plain COMMIT"}},
		{"committab", "*filter\n" + rule + "\nCOMMIT\t\n", []string{"committab:3:7: warning: blanks after COMMIT"}},
		// Trailing blanks elsewhere are taken.
		{"trailing", "*filter \n:INPUT ACCEPT [0:0] \n" + rule + " \nCOMMIT\n", nil},
		{"noeol", "*filter\n" + rule + "\nCOMMIT",
			[]string{"noeol:3:7: warning: the file ends with COMMIT and no line end: iptables-legacy-restore 1.8.9 would refuse it as it is (iptables-nft-restore takes it)"}},
		// All at once: one warning per kind, at its first line.
		{"all", "  *filter\r\n" + rule + "\r\nCOMMIT \r\n", []string{
			"all:1:1: warning: indented line",
			"all:1:10: warning: line ends in CR LF",
			"all:3:7: warning: blanks after COMMIT",
		}},
	} {
		rs := &ir.Ruleset{}
		d := ParseSave(rs, c.name, []byte(c.text), SaveOptions{Family: ir.IPv4})
		d.Sort()
		if len(d.Items) != len(c.want) {
			t.Errorf("%s: got %v, want %d diagnostics", c.name, d.Items, len(c.want))
			continue
		}
		for i, w := range c.want {
			if got := d.Items[i].String(); !strings.HasPrefix(got, w) {
				t.Errorf("%s: got %q, want %q…", c.name, got, w)
			}
		}
		if len(rs.Tables) != 1 || len(rs.Tables[0].Chain("INPUT").Rules) == 0 {
			t.Errorf("%s: the rules should be read:\n%s", c.name, ir.Dump(rs))
		}
	}
}

func TestSaveStrayLines(t *testing.T) {
	const body = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n"
	for _, c := range []struct{ text, want string }{
		{"root@host:~# iptables-save\n" + body, `x:1:1: this line looks like a pasted shell prompt ("root@host:~# iptables-save"), not part of an iptables-save file; remove it`},
		{"user@host:/etc/iptables$ cat rules.v4\n" + body, "x:1:1: this line looks like a pasted shell prompt"},
		{"[root@centos ~]# iptables-save\n" + body, "x:1:1: this line looks like a pasted shell prompt"},
		{"$ sudo iptables-save\n" + body, "x:1:1: this line looks like a pasted shell prompt"},
		{"router# iptables-save\n" + body, "x:1:1: this line looks like a pasted shell prompt"},
		{"```\n" + body + "```\n", "x:1:1: this line is a Markdown code fence"},
		{"sudo iptables-save > /etc/iptables/rules.v4\n" + body, `x:1:1: this line is a shell command ("sudo iptables-save > /etc/iptables/rules.v4")`},
		{"*filter\nroot@host:~# \n-A INPUT -j ACCEPT\nCOMMIT\n", "x:2:1: this line looks like a pasted shell prompt"},
		{"*filter\nhello world\nCOMMIT\n", "x:2:1: unexpected line: want a *table, :CHAIN, rule or COMMIT line"},
		{"-A INPUT -j ACCEPT\n", "x:1:1: rule outside a table (no *table line before it)"},
		// iptables -S output: one error for the run, with what restore needs.
		{"-P INPUT ACCEPT\n-N f2b-sshd\n-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd\n-A f2b-sshd -j RETURN\n",
			"x:1:1: rule outside a table (no *table line before it); lines like this are what iptables -S prints: iptables-restore reads them only after a *table line (*filter) and before COMMIT (and the 3 rule lines after it up to the next table)"},
		{"*filter\n]x\nCOMMIT\n", "x:2:1: unexpected line"},
	} {
		d := ParseSave(&ir.Ruleset{}, "x", []byte(c.text), SaveOptions{Family: ir.IPv4})
		if len(d.Items) == 0 || !strings.HasPrefix(d.Items[0].String(), c.want) || !d.HasErrors() {
			t.Errorf("%q: got %v, want %q…", c.text, d.Items, c.want)
		}
	}
}

// TestSaveListingOutput: iptables -S output given as a save file is one
// error saying what restore needs, not one per line; a run of rules outside
// a table after a COMMIT is reported again.
func TestSaveListingOutput(t *testing.T) {
	text := "-P INPUT DROP\n-N f2b-sshd\n-A INPUT -j f2b-sshd\n-A f2b-sshd -j RETURN\n*filter\n-A INPUT -j ACCEPT\nCOMMIT\n-A INPUT -j DROP\n"
	d := ParseSave(&ir.Ruleset{}, "x", []byte(text), SaveOptions{Family: ir.IPv4})
	var got []string
	for _, x := range d.Items {
		got = append(got, x.String())
	}
	want := []string{
		"x:1:1: rule outside a table (no *table line before it); lines like this are what iptables -S prints: iptables-restore reads them only after a *table line (*filter) and before COMMIT (and the 3 rule lines after it up to the next table)",
		"x:8:1: rule outside a table (no *table line before it)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSaveMissingCommit checks that a table left open is reported where
// iptables-restore expects COMMIT, naming where the table began.
func TestSaveMissingCommit(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"*filter\n-A INPUT -j ACCEPT\n", "x:3:1: COMMIT expected at the end of the input: table filter, begun at line 1, is not closed"},
		{"# c\n*filter\n-A INPUT -j ACCEPT", "x:4:1: COMMIT expected at the end of the input: table filter, begun at line 2, is not closed"},
		{"*filter\n-A INPUT -j ACCEPT\n*nat\nCOMMIT\n", "x:3:1: COMMIT expected before this table: table filter, begun at line 1, is not closed"},
	} {
		d := ParseSave(&ir.Ruleset{}, "x", []byte(c.text), SaveOptions{Family: ir.IPv4})
		if len(d.Items) != 1 || d.Items[0].String() != c.want {
			t.Errorf("%q: got %v, want %q", c.text, d.Items, c.want)
		}
	}
}
