package iptables_test

import (
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// formGroup generates one form per value: the arguments pre, then the
// value as one word, then post.
type formGroup struct {
	fam       ir.Family
	table     string
	pre, post string
	vals      []string
}

func v4(pre string, vals ...string) formGroup {
	return formGroup{fam: ir.IPv4, table: "filter", pre: pre, vals: vals}
}

func v6(pre string, vals ...string) formGroup {
	return formGroup{fam: ir.IPv6, table: "filter", pre: pre, vals: vals}
}

func (g formGroup) in(table string) formGroup { g.table = table; return g }

func (g formGroup) then(post string) formGroup { g.post = post; return g }

// valueFormGroups is the table of value forms: the values real scripts
// give, and their near misses, option by option.
var valueFormGroups = []formGroup{
	// Addresses: xtables' numeric parser (base-0 octets, completion of
	// partial quads), then inet_aton inside getaddrinfo, masks as a
	// dotted quad or a base-0 number of bits.
	v4("-s", "0/0", "0", "0.0.0.0/0", "0.0.0.0", "10.1", "10", "10.1.2", "127.0.0.01", "0x0a.0.0.1",
		"0X0A.0.0.1", "0377.0.0.1", "1.2.3.0x4", "01.02.03.010", "08.1.1.1", "2130706433", "0x7f000001",
		"10.1.300", "10.65536", "1.2.3.256", "0x100.0.0.1", "+1.2.3.4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4.",
		".1.2.3", "1..2.3", "1.2.3.4.5", "-1.2.3.4", "::1", "1.2.3.4/0x10", "1.2.3.4/+8", "1.2.3.4/ 8",
		"1.2.3.4/010", "1.2.3.4/08", "1.2.3.4/33", "1.2.3.4/-1", "1.2.3.4/", "1.2.3.4/32", "1.2.3.4/0",
		"foo/0", "some.host.invalid/0", "1.2.3.4/255.0.255.0", "1.2.3.4/255.255", "1.2.3.4/255.255.255.255",
		"1.2.3.4/0.0.0.0", "1.2.3.4/255.255.0", "192.168.1.1/24", "192.168.1.1/255.255.255.0",
		"1.2.3.4,5.6.7.8", "1.2.3.4, 5.6.7.8", "10.0.0.0/8,10.1", "1.2.3.4,1.2.3.4", "0000000000000001.2.3.4",
		"1.2.3.4/0x", "1.2.3.4/0xff", "1.2.3.4//8", "1/8", "10.1/16", "1.2.3.4/255.0.0.0x"),
	v4("! -d", "0/0", "10.1", "0x0a.0.0.1/8"),
	v6("-s", "::/0", "::", "::1", "::1/64", "::1/0x40", "::1/ 64", "::1/129", "::1/-1", "::1/",
		"2001:db8::1/ffff:ffff::", "2001:db8::1/ffff::ffff", "::ffff:1.2.3.4", "1.2.3.4", "0/0", "foo/0",
		"2001:DB8::A", "[::1]", "::1,::2", "2001:db8::/32,::1", "fe80::1%lo", " ::1", "::1 ", "0::0:1",
		"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "::1/0", "::1/128", "::1/010", "2001:db8::1/48"),
	v6("! -d", "::/0", "2001:db8::/32"),
	// Protocols: lower-cased first, then a base-0 number, iptables' own
	// table, /etc/protocols.
	v4("-p", "tcp", "TCP", "Tcp", "6", "0x6", "06", " 6", "+6", "all", "ALL", "0", "256", "icmp", "ICMP",
		"udplite", "sctp", "igmp", "gre", "esp", "ah", "ospf", "ipencap", "4", "foo", "-1", "ipv6-icmp",
		"icmpv6", "mh", "dccp", "ipcomp", "255", "6 "),
	v6("-p", "ipv6-icmp", "icmpv6", "ICMPV6", "58", "icmp", "tcp", "mh", "all", "0x3a"),
	// Interfaces: at most 15 bytes, '+' as a wildcard.
	v4("-i", "eth0", "eth+", "+", "abcdefghijklmno", "abcdefghijklmnop", "eth0.100", "eth/0", "eth 0", "*", "e+th", "ETH0"),
	v4("! -o", "eth0", "ppp+"),
	// Ports: a base-0 number, a service of /etc/services, ranges.
	v4("-p tcp --dport", "22", "0x16", "026", "ssh", "SSH", "http", "www", "22:", ":22", "22:80", "80:22",
		"0", "65535", "65536", "-1", " 22", "+22", "22 ", "domain", "ftp-data", "https", "1:2:3", "", ":",
		"nosuchservice", "0:65535", "ssh:http", "22-80", "099"),
	v4("-p udp --sport", "53", "domain", "bootps:bootpc", "0x35", "ntp"),
	v4("-p tcp -m multiport --dports", "22,80", "22,80:90", "1:", ":5", "ssh,http", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
		"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "1,2,3,4,5,6,7,8,9,10,11,12,13,14:15", "22,", ",22", "80:22",
		"0x16,026", "22, 80"),
	v4("-p udp -m multiport --ports", "53,123"),
	// ICMP types: names (case?), numbers, TYPE/CODE.
	v4("-p icmp --icmp-type", "echo-request", "ECHO-REQUEST", "Echo-Request", "echo-req", "8", "8/0", "0x8", "010", "255", "256",
		"3/3", "any", "ANY", "ping", "pong", "port-unreachable", "8/256", "3/", "/3", "foo", "destination-unreachable",
		"time-exceeded", "TOS-host-unreachable", "tos-host-unreachable", "3/0x3", " 8", "8 ", "echo", "fragmentation-needed"),
	v6("-p ipv6-icmp --icmpv6-type", "echo-request", "ECHO-REQUEST", "128", "128/0", "0x80", "neighbour-solicitation",
		"neighbor-solicitation", "NEIGHBOR-ADVERTISEMENT", "router-advertisement", "1/4", "port-unreachable", "any",
		"256", "packet-too-big", "echo-req", "foo"),
	// Conntrack states: a comma list, case-insensitive words.
	v4("-m state --state", "NEW", "new", "New", "NEW,ESTABLISHED", "ESTABLISHED,RELATED", "N,E", "EST", "INVALID",
		"UNTRACKED", "SNAT", "", "NEW,,ESTABLISHED", "NEW, ESTABLISHED", "NEW,", "RELATED,ESTABLISHED", "foo"),
	v4("-m conntrack --ctstate", "NEW", "new", "SNAT,DNAT", "d", "INVALID,UNTRACKED", "NEW,", "estab", "foo"),
	v4("-m conntrack --ctstatus", "ASSURED", "assured", "NONE", "SEEN_REPLY,CONFIRMED", "EXPECTED", "foo"),
	v4("-m conntrack --ctproto", "tcp", "TCP", "6", "0x11"),
	v4("-m conntrack --ctorigsrc", "10.0.0.1", "10.0.0.0/8", "10.1", "0x0a.0.0.1", "10.0.0.0/255.0.0.0"),
	v4("-m conntrack --ctexpire", "10", "10:20", "0x10", "20:10", ":5"),
	v4("-m conntrack --ctdir", "ORIGINAL", "original", "REPLY", "Reply", "orig"),
	// Rates.
	v4("-m limit --limit", "3/min", "3/m", "3/minute", "3/MIN", "3/s", "3/sec", "3/second", "3/seconds", "5/hour",
		"5/h", "1/day", "1/d", "3", "0/s", "10001/s", "10000/s", "3/mi", "3/x", "/min", "3/", "3x/min", "0x10/min",
		"+3/min", " 3/min", "010/min", "3/minutes", "1/hours"),
	v4("-m limit --limit-burst", "5", "0", "10000", "10001", "0x10", "010", "-1", "+5", "1e3"),
	v4("-m hashlimit --hashlimit-name hl --hashlimit-upto", "3/min", "3/m", "10/s", "1kb/s", "1mb/s", "100b/s", "3/x", "0/s").then("--hashlimit-mode srcip"),
	v4("-m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-mode", "srcip", "srcip,dstport", "SRCIP", "srcip,,dstip", "dstip|dstport"),
	v4("-m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-burst", "10", "0x10", "0", "1000001"),
	v4("-m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-srcmask", "24", "0x18", "33").then("--hashlimit-mode srcip"),
	// LOG and NFLOG.
	v4("-j LOG --log-level", "4", "warning", "WARNING", "Warning", "debug", "DEBUG", "warn", "err", "error", "panic",
		"8", "0x4", "04", "", "info", "Info", "emerg", "alert", "crit", "notice", "7", "-1", "+4", " 4"),
	v4("-j LOG --log-prefix", "abc", "IPT: ", "abcdefghijklmnopqrstuvwxyz012", "abcdefghijklmnopqrstuvwxyz0123", "",
		"it's", `say "hi"`, "a\\b"),
	v4("-j NFLOG --nflog-group", "1", "0x10", "65535", "65536", "-1"),
	v4("-j NFLOG --nflog-prefix", "abc", "a b"),
	v4("-j NFLOG --nflog-threshold", "1", "0x10", "010"),
	// REJECT: any case-insensitive prefix of a type name.
	v4("-j REJECT --reject-with", "icmp-port-unreachable", "icmp-port-unreach", "icmp-port", "port-unreach",
		"port-unreachable", "icmp-net-unreachable", "net-unreach", "net-prohib", "icmp-host-prohibited",
		"ICMP-HOST-PROHIBITED", "icmp-host-prohib", "host-unreach", "host-prohib", "proto-unreach", "icmp-proto-unreachable",
		"icmp", "icmp-", "icmp-admin-prohibited", "admin-prohib", "icmp-admin", "foo", "icmp6-port-unreachable",
		"tcp-reset", "tcp-rst", "", "icmp-net-prohibited", "i", "Icmp-Net-Prohibited"),
	v4("-p tcp -j REJECT --reject-with", "tcp-reset", "tcp-rst", "TCP-RESET", "tcp-res", "tcp"),
	v6("-j REJECT --reject-with", "icmp6-port-unreachable", "port-unreach", "icmp6-port", "icmp6-no-route", "no-route",
		"icmp6-adm-prohibited", "adm-prohibited", "icmp6-addr-unreachable", "addr-unreach", "icmp6-policy-fail",
		"policy-fail", "icmp6-reject-route", "reject-route", "ICMP6-NO-ROUTE", "icmp-port-unreachable",
		"port-unreachable", "icmp6", "foo", "tcp-reset"),
	v6("-p tcp -j REJECT --reject-with", "tcp-reset", "tcp-rst"),
	// time.
	v4("-m time --timestart", "09:00", "9:00", "09:00:00", "9:0", "24:00", "23:59:59", "23:60", "0x9:00", "09:00:60",
		"9", "09-00", "9:00:", "00:00", "010:00", "08:00", "09:08", " 9:00", "9:00 ", "+9:00"),
	v4("-m time --timestop", "17:30", "17:30:59"),
	v4("-m time --datestart", "2024-01-01", "2024-01-01T10:00", "2024-01-01T10:00:00", "2024", "2024-1-1", "1969-01-01",
		"2039-01-01", "2024-13-01", "2024-02-30", "2024-01-01T25:00", "2024-01-01 10:00", "2038-01-19T03:14:07"),
	v4("-m time --weekdays", "Mon,Tue", "mon", "MON", "Monday", "1,2", "0", "8", "Mo", "Mon,,Tue", "Sat,Sun", "7", "Tu", "Thu", "Fri,Fri"),
	v4("-m time --monthdays", "1,31", "0", "32", "15", "0x1f", "1,,2"),
	// Marks.
	v4("-m mark --mark", "0x1", "0x1/0xff", "1/255", "0x100000000", "0xffffffff", "010", "1/", "/1", "-1", " 1", "0X1F", "1/0", "4294967295", "0x1/0xffffffff"),
	v4("-m connmark --mark", "0x1", "0x1/0xff", "0x100000000"),
	v4("-j MARK --set-mark", "0x1", "0x1/0xff", "1", "0x100000000", "010"),
	v4("-j MARK --set-xmark", "0x1/0xff", "0x1"),
	v4("-j MARK --and-mark", "0xff", "0x1/0x1"),
	v4("-j MARK --or-mark", "1", "0x10"),
	v4("-j CONNMARK --set-mark", "0x1", "0x1/0xff"),
	v4("-j CONNMARK --restore-mark --mask", "0xff", "0x100000000"),
	// TCP flags.
	v4("-p tcp --tcp-flags", "SYN,ACK", "syn,ack", "ALL", "all", "NONE", "FIN,SYN,RST,PSH,ACK,URG", "SYN,FOO",
		"SYN, ACK", "", "Syn", "SYN,,ACK").then("SYN"),
	v4("-p tcp --tcp-flags ALL", "NONE", "none", "SYN,ACK", "FIN,URG,PSH"),
	v4("-p tcp --tcp-option", "2", "0x2", "256", "010", "-1"),
	// Packet fields.
	v4("-m length --length", "100", "0x64", "100:200", ":200", "100:", "65536", "200:100", "100-200"),
	v4("-m ttl --ttl-eq", "64", "0x40", "256", "0100"),
	v4("-m ttl --ttl-lt", "10"),
	v6("-m hl --hl-eq", "64", "0x40"),
	v4("-m tos --tos", "Minimize-Delay", "minimize-delay", "0x10", "0x10/0x3f", "16", "Normal-Service", "0x100", "foo", "Min"),
	v4("-m dscp --dscp", "10", "0xa", "63", "64"),
	v4("-m dscp --dscp-class", "af41", "AF41", "ef", "EF", "cs0", "be", "BE", "xx", "AF4", "cs7"),
	v4("-m pkttype --pkt-type", "host", "HOST", "unicast", "broadcast", "BroadCast", "multicast", "otherhost", "bcast", "loopback", "uni"),
	v4("-m addrtype --dst-type", "LOCAL", "local", "UNICAST,LOCAL", "BROADCAST", "LOC", "foo", "unspec", "BLACKHOLE"),
	v4("-m comment --comment", "hello", "a b", strings.Repeat("x", 255), strings.Repeat("x", 256), "", "it's"),
	v4("-m connlimit --connlimit-above", "2", "0x10", "-1").then("--connlimit-mask 24"),
	v4("-m connlimit --connlimit-above 2 --connlimit-mask", "24", "0x18", "33", "255.255.255.0", "255.0.255.0"),
	v4("-m iprange --src-range", "10.0.0.1-10.0.0.9", "10.0.0.1", "10.1-10.2", "0x0a.0.0.1-10.0.0.9", "10.0.0.9-10.0.0.1", "1.2.3.4 - 1.2.3.5"),
	v4("-m mac --mac-source", "00:11:22:33:44:55", "00-11-22-33-44-55", "0:1:2:3:4:5", "001122334455", "00:11:22:33:44"),
	v4("-m statistic --mode nth --every", "2", "0x2", "0").then("--packet 0"),
	v4("-m statistic --mode random --probability", "0.5", "1", "0", "1.5", ".5", "5e-1"),
	v4("-m recent --name x --rcheck --seconds", "60", "0x3c", "0"),
	v4("-m recent --rcheck --name", "x", "a/b", "DEFAULT"),
	v4("-m string --algo", "bm", "kmp", "BM", "foo").then("--string x"),
	v4("-m string --algo bm --hex-string", "|41|", "|41 42|", "A|42|C", "|4|", "|zz|"),
	v4("-m quota --quota", "1000", "0x10", "-1"),
	v4("-m owner --uid-owner", "0", "0x10", "10-20", "10:20", "root").in("filter").then(""),
	v4("-m helper --helper", "ftp", "sip", ""),
	v4("-m connbytes --connbytes-dir original --connbytes-mode bytes --connbytes", "100", "100:200", "0x10:", "200:100"),
	v4("-m connbytes --connbytes 100 --connbytes-mode bytes --connbytes-dir", "original", "reply", "both", "ORIGINAL", "orig"),
	v4("-m connbytes --connbytes 100 --connbytes-dir both --connbytes-mode", "bytes", "packets", "avgpkt", "BYTES", "byte"),
	v4("-m physdev --physdev-in", "eth0", "br+", "abcdefghijklmnop"),
	v4("-m policy --dir in --pol", "ipsec", "none", "IPSEC"),
	v4("-m policy --dir", "in", "out", "IN").then("--pol none"),
	// More near misses, found while matching the extensions.
	v4("-p udp --dport", "026", "0x35", " 53", "+53", "-1", "65536", "http", "ssh", "domain", "53:", "60:50", "1:2:3", "bootps", "ntp", "NTP"),
	v4("-p sctp --dport", "80", "0x50", "http", "sip", "80:70"),
	v4("-p dccp --dport", "80", "026", "http"),
	v4("-p tcp --sport", "http", "bootps", "ntp", "domain", "1024:", "1024:65535"),
	v4("-p udp -m multiport --dports", "http", "ntp,domain", "0x35,123", "80:80"),
	v4("-m conntrack --ctorigdstport", "22", "026", "0x16", "ssh", "5:3", "5:", ":9", "1:2:3"),
	v4("-m conntrack --ctorigsrc", "10.0.0.0/33", "10.0.0.0/0x8", "10.0.0.0/255.0.255.0", "2130706433", "10.1.300"),
	v6("-m conntrack --ctorigsrc", "::1", "::1/64", "::1/0x40", "2001:db8::/ffff::"),
	v4("-m connlimit --connlimit-above 2 --connlimit-mask", "64", "128", "129", "0x20"),
	v6("-m connlimit --connlimit-above 2 --connlimit-mask", "64", "128", "129", "ffff:ffff::"),
	v4("-p icmp --icmp-type", "info-request", "info-reply", "address-mask-request", "3:4", "3/1:2", "ttl", "TOS-net",
		"network-un", "echo-reply", "pong", "net"),
	v6("-p ipv6-icmp --icmpv6-type", "neighb", "neighbo", "mld-listener-re", "no-route", "ttl-exceeded", "1/0:6"),
	v4("-m time --weekdays", "Mox", "mon", "Tuesday", "010", "0x1", "Mon,", ",Mon", "9", "SUN"),
	v4("-m time --monthdays", "100", "31,", "010", "0x", " 1"),
	v4("-m time --timestart", ":00", "9:", "12:30:", "-1:00", "23:59:00x"),
	v4("-m time --datestart", "2024-01-01T10", "2024-1-01T1:2:3", "2024-01-01T", "20240101", "1970-01-01", "2038-01-20"),
	v4("-m addrtype --src-type", "UNI", "B", "M", "unicast,local", "LOCAL,", "X"),
	v4("-m mac --mac-source", "0a:0b:0c:0d:0e:0f", " 1:2:3:4:5:6", "1:2:3:4:5:6:7", "1:2:3:4:5:", ":1:2:3:4:5", "100:1:2:3:4:5"),
	v4("-m iprange --dst-range", "10.1.300-10.1.1.1", "2130706433-10.0.0.1", "1.2.3.4"),
	v6("-m iprange --src-range", "::1-::2", "::1", "1.2.3.4-1.2.3.5"),
	v4("-j NETMAP --to", "2130706433/32", "10.0.0.0/255.255.0.0", "10.0.0.0/255.0.255.0", "10.0.0.0/33").in("nat"),
	v4("-j CLASSIFY --set-class", " 1:2", "1:2zz", "-1:1", ":1", "1: 2", "g:1").in("mangle"),
	v4("-j LOG --log-prefix", "a\nb", "%d %s"),
	v4("-j NFLOG --nflog-prefix", strings.Repeat("p", 63), strings.Repeat("p", 64), ""),
	v4("-m helper --helper", strings.Repeat("h", 29), strings.Repeat("h", 30)),
	v4("-m recent --set --name", strings.Repeat("r", 199), strings.Repeat("r", 200)),
	v4("-m limit --limit", "3/SEC", "3/Hour", "3/d", "2/s", "999999/d", "4294967296/s"),
	v4("-m tcp -p tcp --tcp-flags", "FIN,ACK,URG,PSH,RST,SYN", "ACK,", ",ACK").then("ACK"),
	v4("-m mark --mark", "+1", "1/+1", "0x1/ 0xff", "0x1 /0xff"),
	v4("-j MARK --set-xmark", " 0x1/0xff", "0x1/0xff ", "1/"),
	v4("-p tcp -j DNAT --to-destination", "1.2.3.4:80-", "1.2.3.4:-80", "1.2.3.4: 80", "1.2.3.4:+80", "1.2.3.4:domain",
		"1.2.3.4:ntp", "1.2.3.4:80-http", "1.2.3.4:80-90/domain", "1.2.3.4:80-90/0").in("nat"),
	v4("-p tcp -j REDIRECT --to-ports", "ntp", "80-", "-80", "domain-80").in("nat"),
	v4("-i", "", "eth0+", "a+b+"),
	v4("-s", "1.2.3.4,", ",1.2.3.4", "1.2.3.4,,5.6.7.8"),
	v6("-s", "::1,", "::ffff:0:1.2.3.4", "::1.2.3.4", "1::/0x10", "::1/0x"),
	v4("-m ttl --ttl-gt", "+1", " 1", "0x"),
	v4("-m length --length", "+1", "1:+2", "0x10:0x20"),
	v4("-m dscp --dscp-class", "af", "Af11", "CS"),
	v4("-m tos --tos", "minimize", "Maximize-Throughput", "maximize-reliability/0xff", "0x08/0x08"),
	v4("-m pkttype --pkt-type", "Unicast", "BCAST", "mcast"),
	v4("-m state --state", "RELATED,INVALID,UNTRACKED", "I", "U", "R"),
	v4("-m conntrack --ctstate", "ESTABLISHED,RELATED", "s", "D", "SNAT,"),
	v4("-m conntrack --ctstatus", "a", "c", "n", "e", "s"),
	v4("-j CT --notrack --zone", "0x").in("raw"),
	v4("-j CT --helper", "ftp", "").in("raw"),
	v4("-j CT --timeout", "x").in("raw"),
	v4("-j TCPMSS --clamp-mss-to-pmtu -p tcp --tcp-flags SYN,RST SYN -m tcpmss --mss", "1400", "1400:1500", "0x578", "1500:1400").in("mangle"),
	// The less common extensions, one numeric or named option each.
	v4("-p tcp -m ecn --ecn-ip-ect", "1", "0x1", "3", "4", "+1"),
	v4("-m devgroup --src-group", "1", "0x10", "0x10/0xf0", "1/", "default").in("raw"),
	v4("-m cpu --cpu", "0", "0x1", "010", "-1", " 1"),
	v4("-m cgroup --cgroup", "1", "0x10", "4294967296"),
	v4("-m realm --realm", "1", "0x10/0xff", "cosmos", "COSMOS", "foo"),
	v4("-m cluster --cluster-total-nodes 2 --cluster-hash-seed 0x1 --cluster-local-node", "1", "0x1", "2", "3", "0"),
	v4("-p esp -m esp --espspi", "1", "0x10", "1:2", "0x10:0x20", "2:1", ":5", "4294967296"),
	v4("-p ah -m ah --ahspi", "1", "0x10", "1:", "010"),
	v6("-m frag --fragid", "1", "0x10", "1:2", "2:1"),
	v6("-m frag --fraglen", "8", "0x8"),
	v6("-m dst --dst-len", "8", "0x8").then("--dst-opts 1:2"),
	v6("-m rt --rt-type", "0", "0x2", "2"),
	v6("-m rt --rt-segsleft", "1", "1:2", "0x1"),
	v6("-p mh -m mh --mh-type", "1", "bu", "BU", "binding-update", "0x5", "5:6", "bu:ba", "foo"),
	v6("-m ipv6header --header", "hop", "HOP", "hop-by-hop", "ipv6-frag", "frag", "60", "0x3c", "tcp", "foo", "prot", "auth,esp"),
	v4("-p sctp -m sctp --chunk-types all", "INIT", "init", "DATA:U", "DATA:Be", "DATA:x", "INIT,SACK", "FOO"),
	v4("-p sctp -m sctp --chunk-types", "any", "ANY", "only", "some").then("INIT"),
	v4("-p dccp -m dccp --dccp-types", "REQUEST", "request", "REQ", "RESPONSE,DATA", "INVALID", "foo"),
	v4("-p dccp -m dccp --dccp-option", "1", "0x1", "256"),
	v4("-p tcp -j TPROXY --on-ip 10.0.0.1 --on-port", "80", "0x50", "http", "65536").in("mangle"),
	v4("-p tcp -j TPROXY --on-port 80 --on-ip", "10.0.0.1", "10.1", "0x0a.0.0.1", "2130706433").in("mangle"),
	v4("-p tcp -j TPROXY --on-port 80 --tproxy-mark", "0x1", "0x1/0x1", "1").in("mangle"),
	v4("-j TEE --gateway", "10.0.0.1", "10.1", "0x0a.0.0.1", "::1").in("mangle"),
	v6("-j TEE --gateway", "::1", "fe80::1", "10.0.0.1").in("mangle"),
	v4("-p tcp -j SYNPROXY --sack-perm --wscale", "7", "0x7", "15", "256"),
	v4("-p tcp -j SYNPROXY --mss", "1460", "0x5b4", "65536"),
	v6("-j HL --hl-set", "64", "0x40", "256").in("mangle"),
	v6("-j HL --hl-dec", "1", "0").in("mangle"),
	v4("-m u32 --u32", "0>>22&0x3C@12>>26&0x3C@0=0x10", "0x0=0x0", "0=1:2", "junk"),
	v4("-m statistic --mode nth --every 3 --packet", "0", "2", "3", "0x1"),
	v4("-m quota --quota", "0", "18446744073709551615", "18446744073709551616"),
	v4("-m connlabel --label", "0", "127", "128", "0x10"),
	v4("-m owner --gid-owner", "0", "0x10", "10-20", "20-10").in("filter"),
	v4("-m string --algo bm --from", "10", "0x10", "65536").then("--string x"),
	v4("-m policy --dir in --pol ipsec --proto", "esp", "ESP", "50", "0x32", "ah", "ipcomp", "tcp"),
	v4("-m policy --dir in --pol ipsec --mode", "tunnel", "transport", "Tunnel"),
	v4("-m policy --dir in --pol ipsec --reqid", "1", "0x10"),
	v4("-m policy --dir in --pol ipsec --tunnel-src", "10.0.0.1", "10.0.0.0/8", "10.1", "0x0a.0.0.1").then("--mode tunnel"),
	v4("-m recent --name x --rcheck --hitcount", "1", "0x10", "0"),
	v4("-m recent --name x --set --mask", "255.255.255.0", "255.255", "0xffffff00"),
	v4("-j CT --expevents", "new", "NEW").in("raw"),
	v4("-j CONNMARK --save-mark --nfmask", "0xff", "0x1/0x1").in("mangle"),
	v4("-j CONNMARK --set-xmark", "0x1/0xff", "1").in("mangle"),
	v4("-j NFQUEUE --queue-num 1 --queue-bypass --queue-balance", "1:2"),
	// hashlimit tables, limits on IPv6 and the IPv6 header matches.
	v4("-m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-htable-size", "1024", "0x400", "-1", "1048577"),
	v4("-m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-htable-max", "1024", "0x400"),
	v4("-m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-htable-expire", "1000", "0x3e8", "0"),
	v4("-m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-htable-gcinterval", "1000", "0x3e8", "0"),
	v4("-m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-rate-match --hashlimit-rate-interval", "1", "10", "0", "0x10", "+5"),
	v4("-m hashlimit --hashlimit-name hl --hashlimit-above", "1/s", "1/sec", "100/hour", "1/DAY", "1000001/s", "1000000/s"),
	v4("-m hashlimit --hashlimit-name hl --hashlimit-upto 1kb/s --hashlimit-burst", "1kb", "2mb", "100", "10b"),
	v6("-m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-mode srcip --hashlimit-srcmask", "64", "0x40", "128", "129"),
	v6("-m limit --limit", "3/min", "3/m", "0/s"),
	v6("-m state --state", "NEW", "est"),
	v6("-m conntrack --ctstate", "NEW,RELATED", "u"),
	v6("-p tcp --dport", "22", "0x16", "ssh", "22:80"),
	v6("-p udp -m multiport --sports", "53,123", "domain"),
	v6("-i", "eth0", "eth+", "abcdefghijklmnop"),
	v6("-j LOG --log-level", "info", "INFO", "6", "0x6"),
	v6("-m mark --mark", "0x1/0x1", "1"),
	v6("-m hbh --hbh-len", "8", "0x8", "256"),
	v6("-m hbh --hbh-opts", "1:2", "1", "0x1:0x2", "1:256").then(""),
	v6("-m rt --rt-type 0 --rt-0-addrs", "::1", "::1,::2", "1.2.3.4"),
	v6("-p esp -m esp --espspi", "1", "0x1", "1:2"),
	v6("-m ah --ahlen", "8", "0x8", "256"),
	v4("-p 108 -m ipcomp --ipcompspi", "1", "0x1", "2:1"),
	v4("-m statistic --mode random --probability", "0.25", "0.333333", "1e-3", "0x1p-1", " 0.5", "+0.5"),
	v4("-m cgroup --path", "/sys", "user.slice", ""),
	v4("-m string --algo kmp --to", "100", "0x64").then("--string x"),
	v4("-m string --algo bm --string", "", "x", strings.Repeat("s", 128), strings.Repeat("s", 129)),
	v4("-j CT --zone-orig", "1", "0x1", "mark").in("raw"),
	v4("-j NFLOG --nflog-range", "1", "0x10"),
	v4("-j NFLOG --nflog-size", "1", "0x10"),
	v4("-j DSCP --set-dscp", "0x3f", " 1", "+1").in("mangle"),
	v4("-m dscp --dscp", "0x3f", "077", "0100"),
	v4("-m tos --tos", "0x10/0x10", "0x100/0xff", "16/255"),
	v4("-m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed", "1", "0x1", "4294967296"),
	v4("-m recent --name x --rcheck --seconds 10 --reap --hitcount", "5", "0x5"),
	v4("-p tcp -m tcpmss --mss", "1460", "536:1460", "0x5b4", ":1460", "1460:"),
	v4("-m quota --quota", "1k", "1e3"),
	v4("-m length --length", "0:65535", ":", "1:0"),
	v4("-m connbytes --connbytes-dir original --connbytes-mode packets --connbytes", ":10", "10:10", "0"),
	v4("-m conntrack --ctexpire", "0x10:0x20", "4294967296", "-1", "1:2:3"),
	v4("-m iprange --src-range", "10.0.0.1-", "-10.0.0.1", "10.0.0.1-10.0.0.2-10.0.0.3"),
	v4("-j MASQUERADE --to-ports", "1024").in("nat"),
	v4("-p udp -j MASQUERADE --to-ports", "1024-2048", "domain").in("nat"),
	v4("-p tcp -j DNAT --to-destination", "1.2.3.4-", "-1.2.3.4", "1.2.3.4-1.2.3.4", "1.2.3.5-1.2.3.4").in("nat"),
	v4("-j REJECT --reject-with", "ICMP-NET-UNREACH", "net-unr", "admin", "a", "h", "p", "t"),
	v6("-j REJECT --reject-with", "a", "n", "p", "r", "t", "i"),
	// Targets with values.
	v4("-p tcp -j TCPMSS --set-mss", "1400", "0x578", "65536").in("mangle"),
	v4("-j DSCP --set-dscp", "10", "0xa", "64").in("mangle"),
	v4("-j DSCP --set-dscp-class", "af41", "AF41", "EF", "xx").in("mangle"),
	v4("-j TOS --set-tos", "0x10", "Minimize-Delay", "minimize-delay", "0x10/0x3f", "16", "foo", "0x100").in("mangle"),
	v4("-j TOS --and-tos", "0x10", "16").in("mangle"),
	v4("-j TTL --ttl-set", "64", "0x40", "256").in("mangle"),
	v4("-j TTL --ttl-inc", "1", "0").in("mangle"),
	v4("-j CLASSIFY --set-class", "1:10", "0x1:0x10", "1:", "1", "ffff:ffff", "10000:1").in("mangle"),
	v4("-j NFQUEUE --queue-num", "1", "0x10", "65535", "65536"),
	v4("-j NFQUEUE --queue-balance", "0:3", "0x1:0x3", "3:0", "1"),
	v4("-j AUDIT --type", "accept", "ACCEPT", "drop", "reject", "foo"),
	v4("-p tcp -j DNAT --to-destination", "1.2.3.4", "1.2.3.4:80", "1.2.3.4-1.2.3.9", "1.2.3.4:80-90", "10.1", "0x0a.0.0.1",
		"1.2.3.4:http", "1.2.3.4:0x50", "1.2.3.4:80:90", ":80", "1.2.3.4:90-80", "1.2.3.4:80-90/100").in("nat"),
	v4("-p tcp -j SNAT --to-source", "1.2.3.4", "1.2.3.4:1024-65535", "1.2.3.4/24").in("nat"),
	v4("-p tcp -j REDIRECT --to-ports", "8080", "8080-8090", "0x1f90", "http", "8080:8090").in("nat"),
	v4("-p tcp -j MASQUERADE --to-ports", "1024-65535", "1024").in("nat"),
	v6("-p tcp -j DNAT --to-destination", "::1", "[::1]:80", "[::1]", "[::1-::9]:80-90", "::1:80").in("nat"),
	v4("-j NETMAP --to", "10.0.0.0/8", "10.1.2.3/255.255.0.0", "10.1/16", "10.0.0.0/0x8").in("nat"),
	v4("-j CT --zone", "1", "0x10", "65535", "65536").in("raw"),
	v4("-j CT --ctevents", "new", "new,related", "NEW", "foo").in("raw"),
}

// valueForms expands valueFormGroups.
func valueForms() []valueForm {
	var out []valueForm
	for _, g := range valueFormGroups {
		for _, v := range g.vals {
			args := strings.Fields(g.pre)
			args = append(args, v)
			args = append(args, strings.Fields(g.post)...)
			out = append(out, valueForm{fam: g.fam, table: g.table, args: args})
		}
	}
	return out
}

// valueFormExceptions are the forms on which ruleshift knowingly departs
// from iptables-legacy 1.8.9, keyed by valueForm.key, with the reason.
var valueFormExceptions = map[string]string{
	"6 filter -s fe80::1%lo": "a scoped address goes through getaddrinfo, which needs the interface to exist " +
		"where iptables runs; ruleshift does not know the target's interfaces and refuses the zone",
	"4 filter -m connlimit --connlimit-above 2 --connlimit-mask 255.0.255.0": "a non-contiguous mask: the kernel keeps it " +
		"but iptables-save lists it as /32, so the listing would not reload as the same rule; ruleshift refuses it",
	"4 filter -m conntrack --ctorigsrc 10.0.0.0/255.0.255.0": "a non-contiguous mask that iptables-save cannot show " +
		"(it lists the address alone); ruleshift refuses it",
	"4 nat -j NETMAP --to 10.0.0.0/255.0.255.0": "a non-contiguous NETMAP mask, listed as /32 by iptables-save; ruleshift refuses it",
	"4 filter -m connlimit --connlimit-above 2 --connlimit-mask 129": "iptables 1.8.9 takes a connlimit mask above 128 " +
		"for IPv4 and lists /32; ruleshift stops at 128, the largest prefix length of either family",
	"4 filter -p icmp --icmp-type 3/1:2": "a code range: the kernel keeps it but iptables-save prints the first code only, " +
		"so ruleshift cannot write it in iptables form and refuses it",
	"6 filter -p ipv6-icmp --icmpv6-type 1/0:6": "a code range, as above",
	"4 filter -m cgroup --path /sys": "the kernel looks the cgroup path up when the rule is added; ruleshift cannot " +
		"know the target machine's cgroup tree and accepts any path",
	"4 filter -m cgroup --path user.slice": "as above",
	"4 filter -m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-rate-match --hashlimit-rate-interval 1": "" +
		"the kernel's check of a rate-match interval against the rate is not modelled; ruleshift accepts it",
	"4 filter -m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-rate-match --hashlimit-rate-interval 10": "as above",
	"4 filter -m hashlimit --hashlimit-name hl --hashlimit-upto 3/min --hashlimit-rate-match --hashlimit-rate-interval +5": "as above",
	"4 filter -m hashlimit --hashlimit-name hl --hashlimit-above 1/DAY": "xt_hashlimit's overflow check of rate times " +
		"burst depends on the kernel's HZ and is not modelled; ruleshift accepts it",
	"4 filter -m cgroup --path \"\"": "iptables loads an empty --path; ruleshift refuses it, as a cgroup match " +
		"that names no cgroup is almost certainly a mistake and its rendering would need the empty string",
	"4 filter -m limit --limit 3/d": "the kernel's overflow check of rate times burst (user2credits with the kernel's HZ) " +
		"is not modelled exactly; ruleshift refuses only what overflows 32 bits",
}
