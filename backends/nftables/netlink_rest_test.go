package nftables_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// restV4 and restV6 use the statements of stmt/rest.go (netlink_rule_rest.go
// encodes them), in each form the lowering writes. CGROUP is replaced by a
// cgroup below /sys/fs/cgroup.
const restV4 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udplite -m multiport --dports 5,7:9 -j ACCEPT
-A INPUT -p udplite -m multiport --sports 5 -j ACCEPT
-A INPUT -p udplite -m multiport ! --sports 5:8 -j ACCEPT
-A INPUT -p udplite -m multiport ! --dports 5,7,9 -j ACCEPT
-A INPUT -p dccp -m multiport ! --dports 5,7 -j ACCEPT
-A INPUT -p dccp -m multiport --ports 5,7:9 -j ACCEPT
-A INPUT -p udplite -m multiport ! --ports 5 -j ACCEPT
-A INPUT -p udplite -m multiport --ports 5,6 -j ACCEPT
-A FORWARD -p dccp -m multiport --sports 1,2,3 -j ACCEPT
-A FORWARD -p udplite -m multiport --dports 1,2,3 -j ACCEPT
-A INPUT -p dccp -m dccp --dccp-types REQUEST,RESPONSE -j ACCEPT
-A INPUT -p dccp -m dccp ! --dccp-types DATA,ACK,INVALID -j ACCEPT
-A INPUT -p dccp -m dccp --dccp-types INVALID -j ACCEPT
-A INPUT -p dccp -m dccp ! --dccp-types INVALID -j ACCEPT
-A INPUT -p dccp -m dccp --dport 5 --dccp-types SYNCACK,INVALID -j ACCEPT
-A INPUT -p dccp -m dccp --dccp-types REQUEST,INVALID -j ACCEPT
-A INPUT -p dccp -m dccp ! --dccp-types RESET,CLOSE,SYNC -j ACCEPT
-A OUTPUT -m cgroup --path CGROUP -j ACCEPT
-A OUTPUT -m cgroup ! --path CGROUP -j ACCEPT
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -m socket --restore-skmark -j ACCEPT
-A PREROUTING -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 0xdeadbeef -j MARK --set-mark 0xffff
-A PREROUTING -m cluster --cluster-total-nodes 4 --cluster-local-nodemask 0x5 --cluster-hash-seed 0x1 -j ACCEPT
-A PREROUTING -m cluster --cluster-total-nodes 4 ! --cluster-local-nodemask 0x5 --cluster-hash-seed 0x0 -j ACCEPT
-A PREROUTING -m cluster --cluster-total-nodes 3 --cluster-local-node 3 --cluster-hash-seed 7 -j ACCEPT
-A PREROUTING -p tcp -j TPROXY --on-port 80 --tproxy-mark 0x1/0xff
-A PREROUTING -p tcp -j TPROXY --on-port 80 --tproxy-mark 0x1
COMMIT
`

const restV6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m tos --tos 0x10/0x3f -j ACCEPT
-A INPUT -m tos ! --tos 0x10 -j ACCEPT
-A INPUT -p udplite -m multiport --dports 5,7:9 -j ACCEPT
-A INPUT -p dccp -m multiport ! --ports 5,7:9 -j ACCEPT
-A INPUT -p dccp -m dccp ! --dccp-types DATA,ACK,INVALID -j ACCEPT
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 0xdeadbeef -j ACCEPT
-A PREROUTING -m cluster --cluster-total-nodes 8 --cluster-local-nodemask 0x83 --cluster-hash-seed 0x0 -j ACCEPT
-A PREROUTING -m socket --restore-skmark -j ACCEPT
-A PREROUTING -p tcp -j TPROXY --on-port 80 --on-ip ::1 --tproxy-mark 0x1/0xff
COMMIT
`

// TestNetlinkRestConstructs loads the inputs above over netlink and with
// nft -f and compares the listings and the bytecode. nft -f runs with
// nsenter rather than ip netns exec, which mounts a /sys of its own where
// nft would find no cgroup.
func TestNetlinkRestConstructs(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "nsenter")
	cg := ""
	if ds, err := os.ReadDir("/sys/fs/cgroup"); err == nil {
		for _, d := range ds {
			if d.IsDir() {
				cg = d.Name()
				break
			}
		}
	}
	v4 := restV4
	if cg == "" {
		t.Log("no directory below /sys/fs/cgroup: the cgroup rules are left out")
		var keep []string
		for _, l := range strings.Split(v4, "\n") {
			if !strings.Contains(l, "CGROUP") {
				keep = append(keep, l)
			}
		}
		v4 = strings.Join(keep, "\n")
	}
	v4 = strings.ReplaceAll(v4, "CGROUP", cg)
	for _, in := range []extInput{{"rest.v4", v4, ir.IPv4}, {"rest.v6", restV6, ir.IPv6}} {
		rs, d := translate.Load([]translate.Input{{Name: in.name, Data: []byte(in.data)}}, translate.Options{Family: in.fam})
		if d.HasErrors() {
			t.Fatalf("%s: %v", in.name, d.Err())
		}
		script, d := nftables.Render(rs, nftables.Options{})
		if d.HasErrors() {
			t.Fatalf("%s: render: %v", in.name, d.Err())
		}
		ref := testenv.NewNetns(t, "hR")
		cmd := exec.Command("nsenter", "--net=/run/netns/"+ref.Name, "nft", "-f", "-")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: nft -f: %v: %s\n%s", in.name, err, out, script)
		}
		ns := testenv.NewNetns(t, "hR")
		res, err := nftables.Apply(rs, nftables.ApplyOptions{NetNS: "/run/netns/" + ns.Name})
		if err != nil {
			t.Fatalf("%s: apply without nft: %v", in.name, err)
		}
		if res.Method != "netlink" {
			t.Errorf("%s: loaded with %s, want netlink", in.name, res.Method)
		}
		for _, args := range [][]string{{"list", "ruleset"}, {"--debug=netlink", "list", "ruleset"}} {
			want, _ := ref.Run(nil, "nft", args...)
			got, _ := ns.Run(nil, "nft", args...)
			if w, g := sortedElems(withoutHandles(want)), sortedElems(withoutHandles(got)); g != w {
				t.Errorf("%s: nft %s differs after a netlink load:\n%s", in.name, strings.Join(args, " "), lineDiff(w, g))
			}
		}
	}
}

// sortedElems sorts each run of set element lines of a --debug=netlink
// listing: the kernel lists a hash set (the cluster match's values) in
// the order of a hash seeded at random when the set is made.
func sortedElems(s string) string {
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j]), "element ") {
			j++
		}
		slices.Sort(lines[i:j])
		i = max(j, i+1)
	}
	return strings.Join(lines, "\n")
}
