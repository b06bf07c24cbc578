package script

import (
	"path/filepath"
	"strings"
)

// Services that load saved rules. A script that writes its rules to
// /etc/iptables/rules.v4 and then runs "netfilter-persistent reload", or
// to /etc/sysconfig/iptables and then "service iptables restart", leaves
// in the kernel what those files hold. ruleshift neither writes nor reads
// them, so such a command gets a warning that says which rules are
// missing from the result, not the plain "is not run".

// ruleFiles are the files each rule-loading service reads.
var ruleFiles = map[string]string{
	"netfilter-persistent": "/etc/iptables/rules.v4 and rules.v6",
	"iptables-persistent":  "/etc/iptables/rules.v4 and rules.v6",
	"iptables":             "/etc/sysconfig/iptables",
	"ip6tables":            "/etc/sysconfig/ip6tables",
}

// loadVerbs are the actions that load the files ("save" writes them).
var loadVerbs = map[string]bool{"start": true, "restart": true, "reload": true, "force-reload": true, "try-restart": true, "reload-or-restart": true}

// loadsRules reports whether a command starts or reloads a service that
// loads saved rules, and the files it reads: "netfilter-persistent reload",
// "service iptables restart", "systemctl restart netfilter-persistent",
// "/etc/init.d/iptables-persistent start".
func loadsRules(args []string) (files string, ok bool) {
	name := filepath.Base(args[0])
	var units []string
	verb := ""
	switch name {
	case "service":
		if len(args) >= 3 {
			units, verb = args[1:2], args[2]
		}
	case "systemctl":
		for i, a := range args[1:] {
			if !strings.HasPrefix(a, "-") {
				verb, units = a, args[i+2:]
				break
			}
		}
	default:
		if len(args) >= 2 && (name == "netfilter-persistent" || strings.HasPrefix(args[0], "/etc/init.d/")) {
			units, verb = []string{name}, args[1]
		}
	}
	if !loadVerbs[verb] {
		return "", false
	}
	for _, u := range units {
		u = strings.TrimSuffix(u, ".service")
		if f, ok := ruleFiles[u]; ok {
			return f, true
		}
	}
	return "", false
}
