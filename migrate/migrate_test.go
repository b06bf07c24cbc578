package migrate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/machine"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func table(fam ir.Family, name string, rules int) *ir.Table {
	c := &ir.Chain{Name: "INPUT", Base: &ir.BaseChain{Policy: ir.PolicyDrop}}
	for i := 0; i < rules; i++ {
		c.Rules = append(c.Rules, &ir.Rule{Target: &ir.Verdict{Kind: ir.Accept}})
	}
	return &ir.Table{Family: fam, Name: name, Chains: []*ir.Chain{c}}
}

func state(entries ...*machine.Entry) *machine.State {
	return &machine.State{Entries: entries}
}

func TestSelect(t *testing.T) {
	leg := &machine.Entry{Table: table(ir.IPv4, "filter", 1), Source: machine.Legacy, From: "iptables-legacy-save"}
	leg6 := &machine.Entry{Table: table(ir.IPv6, "filter", 1), Source: machine.Legacy, From: "ip6tables-legacy-save"}
	xt := &machine.Entry{Table: table(ir.IPv4, "nat", 1), Source: machine.NFTCompat, From: "iptables-nft-save"}
	native := &machine.Entry{Table: table(ir.Inet, "mine", 1), Source: machine.Native, From: "nft"}

	p, err := Select(state(leg, leg6, xt, native), "nftables")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Moved) != 3 || len(p.Kept) != 1 || p.OldBackend != "iptables-legacy" || len(p.Rules.Tables) != 3 {
		t.Errorf("moved %d kept %d old %s tables %d", len(p.Moved), len(p.Kept), p.OldBackend, len(p.Rules.Tables))
	}
	var got []string
	for _, r := range p.Removals {
		name, args, stdin := r.Command()
		got = append(got, name+" "+strings.Join(args, " ")+": "+strings.ReplaceAll(stdin, "\n", "|"))
	}
	want := []string{
		"iptables-legacy-restore -w: *filter|:INPUT ACCEPT [0:0]|:FORWARD ACCEPT [0:0]|:OUTPUT ACCEPT [0:0]|COMMIT|",
		"ip6tables-legacy-restore -w: *filter|:INPUT ACCEPT [0:0]|:FORWARD ACCEPT [0:0]|:OUTPUT ACCEPT [0:0]|COMMIT|",
		"nft -f -: delete table ip nat|",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("removals:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if v := p.Variants(); len(v["iptables-legacy"].Tables) != 2 || len(v["iptables-nft"].Tables) != 1 {
		t.Errorf("variants: %v", v)
	}

	// To iptables-nft, iptables-nft's own tables are replaced by the
	// apply, not removed.
	p, err = Select(state(leg, xt), "iptables-nft")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Removals) != 1 || p.Removals[0].Source != machine.Legacy {
		t.Errorf("iptables-nft removals: %+v", p.Removals)
	}
	if _, err := Select(state(xt), "iptables-nft"); err == nil || !strings.Contains(err.Error(), "nothing to migrate") {
		t.Errorf("only iptables-nft tables to iptables-nft: %v", err)
	}
	if _, err := Select(state(native), "nftables"); err == nil || !strings.Contains(err.Error(), "no iptables or ufw table") {
		t.Errorf("only nftables: %v", err)
	}
	docker := state(leg)
	docker.Left = []machine.Left{{Where: "ipv4 filter chain DOCKER", Owner: "docker"}}
	if _, err := Select(docker, "nftables"); err == nil || !strings.Contains(err.Error(), "DOCKER") {
		t.Errorf("a table with Docker's chains: %v", err)
	}
}

func TestRetire(t *testing.T) {
	root := t.TempDir()
	write := func(p, data string, mode os.FileMode) {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte(data), mode)
	}
	write("etc/network/interfaces", "iface lo inet loopback\n\tpre-up iptables-restore < /etc/fw.rules\n", 0o644)
	write("etc/network/if-pre-up.d/fw", "#!/bin/sh\nip6tables-restore < /etc/fw6.rules\n", 0o755)
	write("etc/ufw/ufw.conf", "ENABLED=yes\nLOGLEVEL=low\n", 0o644)
	loaders := []machine.Loader{
		{Tool: "iptables-restore", File: "/etc/iptables/rules.v4", How: "netfilter-persistent.service", On: true, Unit: "netfilter-persistent.service"},
		{Tool: "ip6tables-restore", File: "/etc/iptables/rules.v6", How: "netfilter-persistent.service", On: true, Unit: "netfilter-persistent.service"},
		{Tool: "iptables-restore", File: "/etc/sysconfig/iptables", How: "iptables.service, disabled", Unit: "iptables.service"},
		{Tool: "iptables-restore", File: "/etc/fw.rules", How: "ifupdown (pre-up in /etc/network/interfaces)", On: true, In: "/etc/network/interfaces", Line: "pre-up iptables-restore < /etc/fw.rules"},
		{Tool: "ip6tables-restore", File: "/etc/fw6.rules", How: "ifupdown (/etc/network/if-pre-up.d/fw)", On: true, In: "/etc/network/if-pre-up.d/fw", Line: "ip6tables-restore < /etc/fw6.rules"},
		{Tool: "nft", File: "/etc/nftables.conf", How: "nftables.service", On: true, Unit: "nftables.service"},
		{Tool: "ufw", File: "/etc/ufw", How: "ufw.service", On: true, Unit: "ufw.service"},
	}
	r, err := Retire(root, loaders, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range r.Services {
		got = append(got, string(s.Action)+" "+s.Unit)
	}
	for _, f := range r.Files {
		switch {
		case f.Remove:
			got = append(got, "remove "+f.Path)
		default:
			got = append(got, "write "+f.Path+" "+f.Mode.String()+": "+strings.ReplaceAll(string(f.Data), "\n", "|"))
		}
	}
	want := []string{
		"disable netfilter-persistent.service",
		"disable ufw.service",
		"remove /etc/iptables/rules.v4",
		"remove /etc/iptables/rules.v6",
		"remove /etc/fw.rules",
		"remove /etc/fw6.rules",
		"write /etc/network/interfaces -rw-r--r--: iface lo inet loopback|\t" + Marker + "pre-up iptables-restore < /etc/fw.rules|",
		"write /etc/network/if-pre-up.d/fw -rw-r--r--: #!/bin/sh|ip6tables-restore < /etc/fw6.rules|",
		"write /etc/ufw/ufw.conf -rw-r--r--: ENABLED=no|LOGLEVEL=low|",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("retirement:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	r, err = Retire(root, loaders, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Files {
		if f.Remove {
			t.Errorf("--keep-old removes %s", f.Path)
		}
	}
}

func TestOwnTables(t *testing.T) {
	if OwnPrefix != nftables.TablePrefix {
		t.Errorf("OwnPrefix %q, the nftables backend's %q", OwnPrefix, nftables.TablePrefix)
	}
	leg := &machine.Entry{Table: table(ir.IPv4, "filter", 1), Source: machine.Legacy, From: "iptables-legacy-save"}
	own := &machine.Entry{Table: table(ir.IPv4, "filter", 1), Source: machine.Native, From: "nft table ip ruleshift_filter"}
	if _, err := Select(state(leg, own), "nftables"); err == nil || !strings.Contains(err.Error(), "ip ruleshift_filter") {
		t.Errorf("ruleshift's own tables beside legacy ones: %v", err)
	}
}
