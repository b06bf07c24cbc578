package iptables

import "testing"

// TestUndamaged checks that a file loaded as written loses only what
// iptables-restore refuses and ParseSave reads past.
func TestUndamaged(t *testing.T) {
	for in, want := range map[string]string{
		"*filter\n-A INPUT -j ACCEPT\nCOMMIT\n":                                        "*filter\n-A INPUT -j ACCEPT\nCOMMIT\n",
		"*filter\r\n:INPUT ACCEPT [0:0]\r\n-A INPUT -j ACCEPT\r\nCOMMIT\r\n":           "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n",
		"  *filter\n\t-A INPUT -m comment --comment \"a  b \" -j ACCEPT \n  COMMIT \n": "*filter\n-A INPUT -m comment --comment \"a  b \" -j ACCEPT \nCOMMIT\n",
		"*filter\n   \n-A INPUT -j ACCEPT\nCOMMIT":                                     "*filter\n\n-A INPUT -j ACCEPT\nCOMMIT\n",
	} {
		if got := Undamaged([]byte(in)); got != want {
			t.Errorf("Undamaged(%q) = %q, want %q", in, got, want)
		}
	}
}
