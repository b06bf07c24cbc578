package distros

// Choose asks the registry what a backend's files are and what loads
// them, as it does in the CLI, which imports the backends.
import (
	_ "github.com/ruleshift/ruleshift/backends/iptables"
	_ "github.com/ruleshift/ruleshift/backends/nftables"
)
