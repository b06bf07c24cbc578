package persist

import (
	"path"
	"strings"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/distros"
)

// UnitName is ruleshift's own unit.
const UnitName = "ruleshift.service"

// unitHead orders the unit like Debian's netfilter-persistent and
// nftables units: no default dependencies and pulled in by sysinit.target,
// so it runs as early as possible; before network-pre.target (which it
// pulls in), so no network manager brings an interface up before the
// rules are there. Lines checked with systemd-analyze verify.
const unitHead = `# Installed by ruleshift persist; ruleshift unpersist removes it.
[Unit]
Description=ruleshift firewall rules
Documentation=https://github.com/ruleshift/ruleshift
DefaultDependencies=no
Wants=network-pre.target
Before=network-pre.target shutdown.target
After=local-fs.target systemd-modules-load.service
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
# nft converts "meta hour" and "meta time" with its own time zone, while
# iptables' time match compares in UTC.
Environment=TZ=UTC
`

const unitTail = `
[Install]
WantedBy=sysinit.target
`

// planSystemd writes ruleshift's rule files, a stop file that removes
// exactly what they load, and a oneshot unit that loads them with nft or
// *-restore: no ruleshift binary is needed at boot.
func planSystemd(e *Env) (*Plan, error) {
	p := &Plan{}
	start := ownRules(p, e)
	var stop []string
	for _, f := range e.Rules.Of(backends.RoleStop) {
		stop = append(stop, ownFile(p, e, f))
	}
	var b strings.Builder
	b.WriteString(unitHead)
	for _, key := range []struct {
		name string
		cmds []string
	}{{"ExecStart", start}, {"ExecReload", start}, {"ExecStop", stop}} {
		for _, c := range key.cmds {
			b.WriteString(key.name + "=" + c + "\n")
		}
	}
	b.WriteString(unitTail)
	p.file(path.Join("/", distros.EtcUnits, UnitName), b.String(), 0o644)
	p.Services = append(p.Services, Service{UnitName, Enable})
	return p, nil
}
