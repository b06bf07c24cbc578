package persist

import (
	"fmt"
	"path"
	"strings"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/distros"
	"github.com/ruleshift/ruleshift/hostsets"
)

// Host-name sets at boot. A policy's host names live in nftables sets
// that `ruleshift refresh` keeps current. Persist writes the sets' state
// and its nft cache under /var/lib/ruleshift, ends the rule file with a
// wildcard include of the cache (so the rules load at boot with the last
// good addresses, before DNS works; a wildcard that matches nothing is no
// error for nft), and installs a timer that runs refresh once the network
// is up and then every Refresh interval.

// Refresh units.
const (
	RefreshService = "ruleshift-refresh.service"
	RefreshTimer   = "ruleshift-refresh.timer"
)

// refreshServiceUnit runs refresh; ruleshift is found on systemd's search
// path (/usr/bin from a package, /usr/local/bin by hand).
const refreshServiceUnit = `# Installed by ruleshift persist; ruleshift unpersist removes it.
[Unit]
Description=ruleshift: resolve the host names of the firewall policy again
Documentation=https://github.com/ruleshift/ruleshift
Wants=network-online.target
After=network-online.target nftables.service ruleshift.service

[Service]
Type=oneshot
ExecStart=ruleshift refresh
`

const refreshTimerUnit = `# Installed by ruleshift persist; ruleshift unpersist removes it.
[Unit]
Description=ruleshift: refresh the firewall's host-name sets every %[1]s

[Timer]
OnBootSec=30s
OnUnitActiveSec=%[1]s
RandomizedDelaySec=10s

[Install]
WantedBy=timers.target
`

// cacheInclude is the line that loads the cache after the tables.
var cacheInclude = fmt.Sprintf("include %q", hostsets.CacheGlob)

// withCacheInclude ends each nft rule file with the cache's include.
func withCacheInclude(files backends.Files) backends.Files {
	out := make(backends.Files, len(files))
	for i, f := range files {
		if f.Role == backends.RoleRules {
			f.Text = strings.TrimSuffix(f.Text, "\n") + "\n# The last good addresses of the host-name sets (ruleshift refresh).\n" + cacheInclude + "\n"
		}
		out[i] = f
	}
	return out
}

// planHostSets adds the state, the cache and the refresh timer to p.
func planHostSets(p *Plan, hs *hostsets.State) {
	p.Files = append(p.Files,
		File{Path: hostsets.StateFile, Data: hs.Marshal(), Mode: 0o644, Volatile: true},
		File{Path: hostsets.CacheFile, Data: []byte(hs.NftCache()), Mode: 0o644, Volatile: true})
	every := hs.Interval().String()
	units := "/" + distros.EtcUnits
	p.file(path.Join(units, RefreshService), refreshServiceUnit, 0o644)
	p.file(path.Join(units, RefreshTimer), fmt.Sprintf(refreshTimerUnit, every), 0o644)
	p.Services = append(p.Services, Service{RefreshTimer, Enable})
	p.notef("host names: %d set(s) load at boot from the cache in %s; %s runs `ruleshift refresh` after boot and every %s (ruleshift must be installed on the machine for it)", len(hs.Sets), hostsets.CacheFile, RefreshTimer, every)
}
