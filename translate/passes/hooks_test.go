package passes

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestCheckHooksTable puts each entry of the restriction table in a user
// chain jumped to from every hook of its table and expects an error
// exactly from the hooks the kernel refuses.
func TestCheckHooksTable(t *testing.T) {
	for _, c := range hookCases {
		for _, h := range tableHooks[c.table].List() {
			rs := load(t, c.fam, saveText(c.table, h, c.spec))
			d := CheckHooks(rs)
			want := !c.allowed.Has(h)
			if got := d.HasErrors(); got != want {
				t.Errorf("%s %s from %s: error %v, want %v: %s", c.table, c.spec, HookName(h), got, want, joined(d))
			}
		}
	}
}

func TestCheckHooksMessage(t *testing.T) {
	rs := load(t, ir.IPv4, `*mangle
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:a - [0:0]
:b - [0:0]
-A PREROUTING -j a
-A OUTPUT -j b
-A a -p tcp -j b
-A b -m owner --uid-owner 0 -j MARK --set-mark 1
COMMIT
`)
	got := joined(CheckHooks(rs))
	want := "rules:9:1: owner match is valid only from OUTPUT/POSTROUTING, but chain b is reached from PREROUTING (PREROUTING -> a -> b) (the kernel refuses the table) [kernel-check]"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestCheckHooksUnreached: a chain no hook reaches is not checked, as the
// kernel does not check it either.
func TestCheckHooksUnreached(t *testing.T) {
	rs := load(t, ir.IPv4, "*nat\n:PREROUTING ACCEPT [0:0]\n:A - [0:0]\n-A A -j MASQUERADE\nCOMMIT\n")
	if d := CheckHooks(rs); len(d.Items) != 0 {
		t.Errorf("unexpected: %s", joined(d))
	}
}

func TestCheckIfaces(t *testing.T) {
	cases := []struct {
		table string
		h     ir.Hook
		spec  string
		want  string // "" for no warning
	}{
		{"filter", ir.HookInput, "-o eth0", "-o eth0 never matches: packets from INPUT have no output device, and chain A is reached from INPUT (INPUT -> A)"},
		{"filter", ir.HookInput, "! -o eth0", "-o eth0 always matches"},
		{"filter", ir.HookInput, "-o +", ""},
		{"filter", ir.HookInput, "-i eth0", ""},
		{"filter", ir.HookForward, "-o eth0", ""},
		{"filter", ir.HookOutput, "-i eth0", "-i eth0 never matches: packets from OUTPUT have no input device"},
		{"nat", ir.HookPostrouting, "-i eth0", "-i eth0 never matches"},
		{"nat", ir.HookPrerouting, "-o eth0", "-o eth0 never matches"},
		{"nat", ir.HookPrerouting, "-i eth0", ""},
	}
	for _, c := range cases {
		rs := load(t, ir.IPv4, saveText(c.table, c.h, c.spec))
		d := CheckHooks(rs)
		got := joined(d)
		if d.HasErrors() || (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s from %s: got %q, want %q", c.spec, HookName(c.h), got, c.want)
		}
	}
}
