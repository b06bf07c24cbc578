package script_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/script"
)

const loadsTail = " into the kernel, which ruleshift does not read, so the result lacks them; give those files to ruleshift as inputs"

// The unit cases pin behaviours the golden scripts do not show line by
// line: positions through expansions, eval and source, set -e, status
// checks, the helpers, and what the issue says must be an error.
var unitCases = []struct {
	name  string
	src   string
	files map[string]string // files beside the script
	diags []string          // every diagnostic, in order
	dump  []string          // lines the model dump must contain
	rules int               // rules in the model afterwards
	opts  script.Options
}{
	{
		name:  "position through variable",
		src:   "IPT=\"sudo iptables\"\n$IPT -A INPUT -p tcp --dprot 22 -j ACCEPT\n",
		diags: []string{`t.sh:2:22: unknown option "--dprot" (did you mean --dport?)`},
	},
	{
		name:  "position of each rule of a loop",
		src:   "for p in 22 80; do\n  iptables -A INPUT -p tcp --dport $p -j ACCEPT\ndone\n",
		dump:  []string{"t.sh:2:12: protocol{Num:6} tcp{DstPorts:22}", "t.sh:2:12: protocol{Num:6} tcp{DstPorts:80}"},
		rules: 2,
	},
	{
		name:  "eval takes the position of the eval",
		src:   "R='-A INPUT -j DROP'\neval \"iptables $R\"\n",
		dump:  []string{"t.sh:2:1: -> verdict{Kind:DROP}"},
		rules: 1,
	},
	{
		name:  "source of a file beside the script",
		src:   "# helpers\n. ./lib.sh\nallow 22\n",
		files: map[string]string{"lib.sh": "allow() { iptables -A INPUT -p tcp --dport \"$1\" -j ACCEPT; }\n"},
		dump:  []string{"t.sh:3:1: protocol{Num:6} tcp{DstPorts:22}"},
		rules: 1,
	},
	{
		name:  "sh FILE runs a script beside this one",
		src:   "sh ./more.sh 443\n",
		files: map[string]string{"more.sh": "\niptables -A INPUT -p tcp --dport \"$1\" -j ACCEPT\n"},
		dump:  []string{"more.sh:2:10: protocol{Num:6} tcp{DstPorts:443}"},
		rules: 1,
	},
	{
		name:  "set -e stops at the first failure",
		src:   "set -e\niptables -D INPUT 1\niptables -A INPUT -j ACCEPT\n",
		diags: []string{`t.sh:2:10: index of deletion too big: chain "INPUT" has 0 rules`},
		rules: 0,
	},
	{
		name:  "without set -e the script goes on",
		src:   "iptables -X NOPE\niptables -A INPUT -j ACCEPT\n",
		diags: []string{`t.sh:1:13: chain "NOPE" does not exist in table filter`},
		rules: 1,
	},
	{
		name:  "a checked failure is a warning",
		src:   "if iptables -D INPUT -j DROP; then :; fi\niptables -X NOPE || true\n",
		diags: []string{`t.sh:1:13: warning: bad rule: no rule in chain "INPUT" matches the one to delete (the script handles this failure and goes on)`, `t.sh:2:13: warning: chain "NOPE" does not exist in table filter (the script handles this failure and goes on)`},
		rules: 0,
	},
	{
		name:  "-C answers from the model",
		src:   "iptables -A INPUT -j DROP\niptables -C INPUT -j DROP && iptables -A INPUT -j LOG\niptables -C INPUT -j ACCEPT || iptables -A INPUT -j ACCEPT\n",
		dump:  []string{"t.sh:2:39: -> log{", "t.sh:3:41: -> verdict{Kind:ACCEPT}"},
		rules: 3,
	},
	{
		name:  "root check and which",
		src:   "[ \"$(id -u)\" -eq 0 ] || exit 1\n[ \"$(whoami)\" = root ] || exit 1\nIPT=$(command -v iptables)\n[ -x \"$IPT\" ] || exit 1\n$(which ip6tables) -A INPUT -j ACCEPT\n$IPT -A INPUT -j ACCEPT\n",
		rules: 2,
	},
	{
		name:  "exit with a status is a warning",
		src:   "iptables -A INPUT -j ACCEPT\nexit 3\niptables -A INPUT -j DROP\n",
		diags: []string{"t.sh:2:1: warning: the script exits here with status 3; nothing after this point is translated"},
		rules: 1,
	},
	{
		name:  "seq and brace expansion",
		src:   "for i in $(seq 2 2 6) {8..9}; do iptables -A INPUT -s 10.0.$i.0/24 -j ACCEPT; done\n",
		rules: 5,
	},
	{
		name:  "family flags",
		src:   "iptables -6 -A INPUT -j ACCEPT\nip6tables -4 -A INPUT -j ACCEPT\n",
		diags: []string{`t.sh:1:13: iptables is the ip tool, but the command asks for ip6 only (use ip6tables)`, `t.sh:2:14: ip6tables is the ip6 tool, but the command asks for ip only (use iptables)`},
		rules: 0,
	},
	{
		name:  "restore --test changes nothing",
		src:   "iptables -A INPUT -j ACCEPT\niptables-restore --test <<EOF\n*filter\n-A INPUT -j DROP\nCOMMIT\nEOF\n",
		rules: 1,
	},
	{
		name:  "restore error at its heredoc line",
		src:   "iptables-restore <<EOF\n*filter\n-A INPUT -j NOWHERE\nCOMMIT\nEOF\n",
		diags: []string{`t.sh:3:1: target "NOWHERE" is neither a target iptables knows nor a chain of table filter`},
	},
	{
		name:  "host names without a resolver",
		src:   "iptables -A OUTPUT -d mirror.example.org -j ACCEPT\n",
		diags: []string{`t.sh:1:23: "mirror.example.org" is a host name, and host names are not resolved (give an address, or --hosts FILE)`},
		rules: 0,
	},
	{
		name:  "typographic quote in a broken line",
		src:   "iptables -A INPUT -m comment --comment ‘it's’ -j ACCEPT\n",
		diags: []string{`t.sh:1:40: typographic quote ‘ is not a shell quote (pasted from a web page?): use a plain " or '`, "t.sh:1:45: reached EOF without closing quote `'`"},
	},
	{
		name:  "parse error",
		src:   "for p in 22; do\n  iptables -A INPUT -p tcp --dport $p -j ACCEPT\n",
		diags: []string{"t.sh:1:1: `for` statement must end with `done`"},
	},
	{
		// Public setup scripts write their rules to the service's file and
		// then reload it: say which rules the result lacks.
		name: "services that load saved rules",
		src: "netfilter-persistent reload\nservice iptables restart\nsudo systemctl --now restart netfilter-persistent.service\n/etc/init.d/iptables-persistent start\n/etc/init.d/iptables restart\n" +
			"netfilter-persistent save\nsystemctl restart nginx\niptables -A INPUT -j ACCEPT\n",
		diags: []string{
			`t.sh:1:1: warning: "netfilter-persistent reload" is not run: it loads the rules saved in /etc/iptables/rules.v4 and rules.v6` + loadsTail,
			`t.sh:2:1: warning: "service iptables restart" is not run: it loads the rules saved in /etc/sysconfig/iptables` + loadsTail,
			`t.sh:3:6: warning: "systemctl --now restart netfilter-persistent.service" is not run: it loads the rules saved in /etc/iptables/rules.v4 and rules.v6` + loadsTail,
			`t.sh:4:1: warning: "/etc/init.d/iptables-persistent start" is not run: it loads the rules saved in /etc/iptables/rules.v4 and rules.v6` + loadsTail,
			`t.sh:5:1: warning: "/etc/init.d/iptables restart" is not run: it loads the rules saved in /etc/sysconfig/iptables` + loadsTail,
			`t.sh:6:1: warning: "netfilter-persistent" is not run: only iptables commands are translated`,
			`t.sh:7:1: warning: "systemctl" is not run: only iptables commands are translated`,
		},
		rules: 1,
	},
	{
		name: "a misspelt iptables command",
		src:  "ip6tbales -A FORWARD -j ACCEPT\niptabels -A INPUT -j ACCEPT\nipset create x hash:ip\nip link\n",
		diags: []string{
			`t.sh:1:1: warning: "ip6tbales" is not run: only iptables commands are translated (did you mean ip6tables? as written, the shell finds no such command and goes on)`,
			`t.sh:2:1: warning: "iptabels" is not run: only iptables commands are translated (did you mean iptables? as written, the shell finds no such command and goes on)`,
			`t.sh:3:1: warning: "ipset" is not translated: ipset commands are not read (rules using -m set need the sets created separately), so its rules are not in the result`,
			`t.sh:4:1: warning: "ip" is not run: only iptables commands are translated`,
		},
	},
	{
		name:  "output used from an unknown command",
		src:   "for ip in $(dig +short example.org); do iptables -A INPUT -s $ip -j DROP; done\n",
		diags: []string{`t.sh:1:13: warning: "dig" is not run: only iptables commands are translated; its output is taken as empty`},
		rules: 0,
	},
	{
		name:  "as run, a refused command is a warning and the script goes on",
		src:   "iptables -A INPUT -p tcp --dprot 22 -j ACCEPT\niptables -X NOPE\niptables -A INPUT -j ACCEPT\n",
		opts:  script.Options{AsRun: true},
		diags: []string{`t.sh:1:26: warning: unknown option "--dprot" (did you mean --dport?) (as run, iptables refuses the command and changes nothing)`, `t.sh:2:13: warning: chain "NOPE" does not exist in table filter (as run, iptables refuses the command and changes nothing)`},
		rules: 1,
	},
	{
		name:  "as run, set -e stops at the refused command",
		src:   "set -e\niptables -A INPUT -j ACCEPT\niptables -D INPUT 3\niptables -P INPUT DROP\n",
		opts:  script.Options{AsRun: true},
		diags: []string{"t.sh:3:1: warning: the script stops here: it runs with set -e and this command fails (status 1), so nothing after it runs or is translated", `t.sh:3:10: warning: index of deletion too big: chain "INPUT" has 1 rule (as run, iptables refuses the command and changes nothing)`},
		dump:  []string{"chain INPUT (filter input 0 policy ACCEPT)"},
		rules: 1,
	},
	{
		name:  "as run, a bad command whose status is checked is a warning",
		src:   "iptables -A INPUT -j ACCEPT --bogus || true\n",
		opts:  script.Options{AsRun: true},
		diags: []string{`t.sh:1:29: warning: unknown option "--bogus" (the script handles this failure and goes on)`},
	},
	{
		name:  "as run, an extension ruleshift does not read stays an error",
		src:   "iptables -t mangle -A INPUT -j SECMARK --selctx system_u:object_r:ssh_packet_t:s0\niptables -A INPUT -m bpf --bytecode '1,6 0 0 0' -j DROP || true\n",
		opts:  script.Options{AsRun: true},
		diags: []string{`t.sh:1:40: unknown option "--selctx" (did you mean --delete?) (ruleshift does not read the iptables target SECMARK, so it cannot tell what running this command leaves)`, `t.sh:2:22: unknown match "bpf" (did you mean "cpu"?) (ruleshift does not read the iptables match bpf, so it cannot tell what running this command leaves)`},
	},
	{
		name:  "as run, a host name without a resolver stays an error",
		src:   "iptables -A OUTPUT -d mirror.example.org -j ACCEPT\n",
		opts:  script.Options{AsRun: true},
		diags: []string{`t.sh:1:23: "mirror.example.org" is a host name, and host names are not resolved (give an address, or --hosts FILE) (host names are not resolved, so ruleshift cannot tell what running this command leaves)`},
	},
	{
		name:  "as run, restore keeps the tables committed before the refused line",
		src:   "iptables-restore <<EOF\n*filter\n-A INPUT -j ACCEPT\nCOMMIT\n*nat\n-A POSTROUTING -j MASQUERAD\nCOMMIT\n*mangle\n-A INPUT -j ACCEPT\nCOMMIT\nEOF\n",
		opts:  script.Options{AsRun: true},
		diags: []string{`t.sh:6:1: warning: target "MASQUERAD" is neither a target iptables knows nor a chain of table nat (did you mean "MASQUERADE"?) (as run, iptables-restore stops here: the tables it committed before this one stay, the rest is not loaded)`},
		dump:  []string{"table ip filter", "table ip nat\n  chain PREROUTING (nat prerouting -100 policy ACCEPT)\n  chain INPUT (nat input 100 policy ACCEPT)\n  chain OUTPUT (nat output -100 policy ACCEPT)\n  chain POSTROUTING (nat postrouting 100 policy ACCEPT)\n"},
		rules: 1,
	},
	{
		name:  "a checked restore failure leaves the table as it was",
		src:   "iptables -A INPUT -j DROP\niptables-restore <<EOF || true\n*filter\n-A INPUT -j ACCEPT\n-A INPUT -j NOWHERE\nCOMMIT\nEOF\n",
		diags: []string{`t.sh:5:1: warning: target "NOWHERE" is neither a target iptables knows nor a chain of table filter (the script handles this failure and goes on)`},
		dump:  []string{"t.sh:1:10: -> verdict{Kind:DROP}"},
		rules: 1,
	},
	{
		name:  "-D of several rules deletes all or none",
		src:   "iptables -A INPUT -s 192.0.2.1 -j DROP\niptables -D INPUT -s 192.0.2.1,192.0.2.2 -j DROP || true\n",
		diags: []string{`t.sh:2:10: warning: bad rule: no rule in chain "INPUT" matches the one to delete (the script handles this failure and goes on)`},
		rules: 1,
	},
	{
		name:  "mapfile of nothing gives an empty array",
		src:   "mapfile -t IFS_ < <(ip -o link 2>/dev/null)\nfor i in \"${IFS_[@]}\"; do iptables -A INPUT -i \"$i\" -j ACCEPT; done\nset -u\nreadarray -t N <<< 'eth0'\nfor i in \"${N[@]}\"; do iptables -A INPUT -i \"$i\" -j ACCEPT; done\necho \"${#N[@]}\" >/dev/null\n",
		diags: []string{`t.sh:1:21: warning: "ip" is not run: only iptables commands are translated; its output is taken as empty`},
		dump:  []string{`iface{Dir:src Name:"eth0"}`},
		rules: 1,
	},
	{
		name:  "listing loads the table as the kernel does",
		src:   "iptables -t nat -L -n >/dev/null\n",
		dump:  []string{"table ip nat"},
		rules: 0,
	},
}

func TestUnitCases(t *testing.T) {
	for _, c := range unitCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range c.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			o := c.opts
			o.Name, o.Dir = "t.sh", dir
			rs := &ir.Ruleset{}
			d := script.Load(rs, []byte(c.src), o)
			d.Sort()
			var got []string
			for _, x := range d.Items {
				got = append(got, x.String())
			}
			if strings.Join(got, "\n") != strings.Join(c.diags, "\n") {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.diags, "\n"))
			}
			dump := ir.Dump(rs)
			for _, want := range c.dump {
				if !strings.Contains(dump, want) {
					t.Errorf("dump lacks %q:\n%s", want, dump)
				}
			}
			if n := rs.RuleCount(); n != c.rules {
				t.Errorf("%d rules, want %d:\n%s", n, c.rules, dump)
			}
		})
	}
}
