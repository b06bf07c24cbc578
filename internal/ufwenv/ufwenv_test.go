package ufwenv

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

func TestSetKey(t *testing.T) {
	s := "# c\nIPV6=no\nENABLED=no\n"
	if got := SetKey(s, "ENABLED", "yes"); got != "# c\nIPV6=no\nENABLED=yes\n" {
		t.Errorf("replace: %q", got)
	}
	if got := SetKey("A=1", "B", `"x"`); got != "A=1\nB=\"x\"\n" {
		t.Errorf("append: %q", got)
	}
}

// TestStartStock starts ufw on the stock files with an SSH rule added by
// the ufw command, and checks what it loaded.
func TestStartStock(t *testing.T) {
	if why := Available(); why != "" {
		testenv.Missing(t, "%s", why)
	}
	ns := testenv.NewNetns(t, "rs-ufwenv")
	r, err := Start(ns.Name, Config{Defaults: map[string]string{"DEFAULT_OUTPUT_POLICY": "DROP"}}, "ufw allow 22/tcp", "ufw status numbered")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{":ufw-before-input - [0:0]", "-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT", ":OUTPUT DROP"} {
		if !strings.Contains(r.Save4, want) {
			t.Errorf("iptables-save lacks %q:\n%s", want, r.Save4)
		}
	}
	if !strings.Contains(r.Save6, ":ufw6-user-input") {
		t.Errorf("ip6tables-save lacks ufw6 chains:\n%s", r.Save6)
	}
	if !strings.Contains(r.Out[2], "22/tcp") {
		t.Errorf("status: %s", r.Out[2])
	}
	if !strings.Contains(r.Etc["user.rules"], "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in") {
		t.Errorf("user.rules after ufw allow:\n%s", r.Etc["user.rules"])
	}
	// The host's files are untouched.
	if strings.Contains(r.Default, "DEFAULT_OUTPUT_POLICY=\"ACCEPT\"") {
		t.Errorf("the private default file kept the stock policy")
	}
}
