package distros

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ruleshift/ruleshift/backends"
)

// Methods, as --method spells them.
const (
	MethodIfupdown    = "ifupdown"
	MethodNFPersist   = "netfilter-persistent"
	MethodIPTServices = "iptables-services"
	MethodNFTables    = "nftables"
	MethodSystemd     = "systemd"
	// MethodUFW installs ufw's files (the ufw backend's rendering): where
	// ufw is active it owns the firewall.
	MethodUFW = "ufw"
)

// Methods lists the --method values besides auto.
var Methods = []string{MethodIfupdown, MethodNFPersist, MethodIPTServices, MethodNFTables, MethodSystemd, MethodUFW}

// Backends, as --backend spells them.
const (
	BackendNFTables = "nftables"
	BackendIPTNFT   = "iptables-nft"
	BackendLegacy   = "iptables-legacy"
	// BackendIPTables means the variant `iptables` runs on the machine.
	BackendIPTables = "iptables"
	// BackendUFW is ufw's files, loaded by ufw.
	BackendUFW = "ufw"
)

// Request is what the user asked for; "" or "auto" leaves it to Choose.
type Request struct {
	Method, Backend string
	Force           bool
	// UFWRetired: ufw is turned off in the same step (migrate), so the
	// rules do not load beside it and no note says they would.
	UFWRetired bool
}

// Choice is the decided method and backend, with the reason for each.
type Choice struct {
	Profile    *Profile
	Method     string
	MethodWhy  string
	Backend    string // nftables, iptables-nft or iptables-legacy
	BackendWhy string
	// Mask lists conflicting units to disable and mask (only with --force).
	Mask  []string
	Notes []string
}

// ErrorKind sorts choice errors for exit codes.
type ErrorKind int

const (
	// KindUsage: the request cannot work here (wrong method for the
	// distribution, wrong backend for the method).
	KindUsage ErrorKind = iota
	// KindSystem: the machine lacks a package or holds a conflict.
	KindSystem
)

// ChoiceError explains why no method fits.
type ChoiceError struct {
	Kind ErrorKind
	Msg  string
}

func (e *ChoiceError) Error() string { return e.Msg }

func usageErr(format string, args ...any) error {
	return &ChoiceError{Kind: KindUsage, Msg: fmt.Sprintf(format, args...)}
}

func systemErr(format string, args ...any) error {
	return &ChoiceError{Kind: KindSystem, Msg: fmt.Sprintf(format, args...)}
}

func auto(s string) bool { return s == "" || s == "auto" }

// Choose decides the method and backend: explicit choices first (checked
// against what the root offers), then the profile's preference order among
// the methods the root shows, then the profile's default backend.
func Choose(p *Profile, f *Facts, r Request) (*Choice, error) {
	c := &Choice{Profile: p}
	wantsUFW := r.Method == MethodUFW || r.Backend == BackendUFW || r.Backend == "ufw-commands"
	if wantsUFW || f.UFWActive && !r.Force {
		return c, c.ufw(f, r)
	}
	switch {
	case r.UFWRetired:
	case f.UFWActive:
		c.Notes = append(c.Notes, "ufw is active; --force installs beside it, and rules loaded into the filter table replace ufw's chains there")
	case f.Units["ufw.service"].Installed():
		c.Notes = append(c.Notes, "ufw is installed but inactive; `ufw enable` would later load ufw's rules beside these, into the same filter table")
	}
	if err := c.backend(p, f, r); err != nil {
		return nil, err
	}
	if !auto(r.Method) {
		if err := c.explicitMethod(p, f, r.Method); err != nil {
			return nil, err
		}
	} else if err := c.autoMethod(p, f); err != nil {
		return nil, err
	}
	return c, c.conflicts(f, r.Force)
}

// ufw chooses the ufw method: asked for, or ufw is active (without
// --force, which installs beside it).
func (c *Choice) ufw(f *Facts, r Request) error {
	const active = "ufw is active (ufw.service enabled, ENABLED=yes in /etc/ufw/ufw.conf)"
	switch {
	case r.Backend == "ufw-commands":
		return usageErr("the ufw-commands backend prints a script of ufw commands, which loads nothing at boot; persist with --backend ufw")
	case !auto(r.Method) && r.Method != MethodUFW:
		return systemErr("%s and owns the firewall here; --method %s would load beside it. Use --method ufw (or auto) to install the rules as ufw's files, or --force to install beside ufw, whose rules then still apply", active, r.Method)
	case !auto(r.Backend) && r.Backend != BackendUFW:
		if r.Method == MethodUFW {
			return usageErr("the ufw method installs the ufw backend's files; --backend %s cannot go with it", r.Backend)
		}
		return systemErr("%s and owns the firewall here; --backend %s would load beside it. Use --backend ufw (or auto), or --force to install beside ufw, whose rules then still apply", active, r.Backend)
	case !f.Units["ufw.service"].Installed() && !f.UFWActive:
		return systemErr("method ufw cannot work on %s: ufw is not installed; install it with `apt-get install ufw`", c.Profile.Name)
	}
	c.Method, c.Backend = MethodUFW, BackendUFW
	switch {
	case !auto(r.Method):
		c.MethodWhy = "asked for with --method"
	case !auto(r.Backend):
		c.MethodWhy = "the ufw backend's files are installed in /etc/ufw"
	default:
		c.MethodWhy = active + ": ufw owns the firewall, and the rules are installed as its files"
	}
	c.BackendWhy = "ufw loads its own files"
	return nil
}

// backend resolves the backend; with an automatic backend and an explicit
// method, the method decides what it can load.
func (c *Choice) backend(p *Profile, f *Facts, r Request) error {
	b := r.Backend
	why := "asked for with --backend"
	if auto(b) {
		switch r.Method {
		case MethodNFTables:
			b, why = BackendNFTables, "the nftables method loads nft scripts"
		case MethodNFPersist, MethodIPTServices:
			b, why = BackendIPTables, "the "+r.Method+" method loads iptables-restore files"
		default:
			b, why = p.Backend, "the default of profile "+p.Name
		}
	}
	if b == BackendIPTables {
		var variant string
		b, variant = p.iptablesVariant(f.Variant, f.VariantFrom)
		why += "; " + variant
	}
	c.Backend, c.BackendWhy = b, why
	return nil
}

// iptablesVariant resolves the backend "iptables" to the variant that
// `iptables` runs: as detected (variant, from), else the profile's default.
func (p *Profile) iptablesVariant(variant, from string) (backend, why string) {
	if variant == "" {
		variant, from = p.IPTables, "profile "+p.Name+" default ("+from+")"
	}
	return "iptables-" + variant, "iptables runs iptables-" + variant + ": " + from
}

// DefaultBackend is the distribution's own firewall backend, the one place
// that knows it: persist and apply both fall back to it. A profile default
// of "iptables" becomes the variant `iptables` runs (variant and from as
// in Facts); why is "" when nothing needed resolving.
func (p *Profile) DefaultBackend(variant, from string) (backend, why string) {
	if p.Backend == BackendIPTables {
		return p.iptablesVariant(variant, from)
	}
	return p.Backend, ""
}

// methodsFor lists the profile's methods for the chosen backend kind.
func methodsFor(p *Profile, backend string) []string {
	if loadsNft(backend) {
		return p.MethodsNFTables
	}
	return p.MethodsIPTables
}

func (c *Choice) autoMethod(p *Profile, f *Facts) error {
	var skipped []string
	for _, m := range methodsFor(p, c.Backend) {
		ok, why, _ := available(m, p, f, c.Backend)
		if ok {
			c.Method = m
			c.MethodWhy = why
			if len(skipped) > 0 {
				c.MethodWhy += "; not " + strings.Join(skipped, "; not ")
			}
			return nil
		}
		skipped = append(skipped, m+": "+why)
	}
	return systemErr("no persistence method for %s works on %s: %s", c.Backend, p.Name, strings.Join(skipped, "; "))
}

func (c *Choice) explicitMethod(p *Profile, f *Facts, m string) error {
	ok, why, fix := available(m, p, f, c.Backend)
	if ok {
		c.Method, c.MethodWhy = m, "asked for with --method; "+why
		return nil
	}
	alt := ""
	for _, other := range methodsFor(p, c.Backend) {
		if other == m {
			continue
		}
		if ok, _, _ := available(other, p, f, c.Backend); ok {
			alt = other
			break
		}
	}
	msg := fmt.Sprintf("method %s cannot work on %s: %s", m, p.Name, why)
	if fix != "" {
		msg += "; " + fix
	}
	if alt != "" {
		msg += fmt.Sprintf("; --method %s works here", alt)
	}
	if fix != "" && strings.HasPrefix(fix, "install") {
		return systemErr("%s", msg)
	}
	return usageErr("%s", msg)
}

// available says whether method m can work under the facts, why (or why
// not), and what would fix it.
func available(m string, p *Profile, f *Facts, backend string) (ok bool, why, fix string) {
	nft := loadsNft(backend)
	switch m {
	case MethodIfupdown:
		if p.Family != FamilyDebian {
			return false, "ifupdown does not manage interfaces on " + p.Name + " (NetworkManager does)", ""
		}
		return f.Ifupdown, f.IfupdownWhy, ""
	case MethodNFPersist:
		switch {
		case p.Family != FamilyDebian:
			return false, "netfilter-persistent is Debian's and Ubuntu's loader", ""
		case nft:
			return false, "netfilter-persistent loads iptables-restore files, not nft scripts", "use --backend iptables or --method nftables"
		case !f.Units["netfilter-persistent.service"].Installed() || !f.NFPlugins:
			return false, "netfilter-persistent is not installed", "install it with `" + p.InstallHint(m) + "`"
		case wrongVariant(f, backend):
			return false, "netfilter-persistent loads with iptables-restore, which runs iptables-" + f.Variant + " here", switchVariant(f, backend)
		}
		return true, "netfilter-persistent (" + p.Package(m) + ") is installed", ""
	case MethodIPTServices:
		u := f.Units["iptables.service"]
		switch {
		case p.Family != FamilyRHEL:
			return false, "iptables-services is the RHEL and Fedora loader", ""
		case nft:
			return false, "iptables.service loads iptables-restore files, not nft scripts", "use --backend iptables or --method nftables"
		case !u.Installed() || u.AliasOf != "":
			return false, "iptables.service is not installed", "install it with `" + p.InstallHint(m) + "`"
		case wrongVariant(f, backend):
			return false, "iptables.service loads with iptables-restore, which runs iptables-" + f.Variant + " here", switchVariant(f, backend)
		}
		return true, "iptables.service (" + p.Package(m) + ") is installed", ""
	case MethodNFTables:
		switch {
		case !nft:
			return false, "nftables.service loads nft scripts, not iptables-restore files", "use --backend nftables"
		case !f.Units["nftables.service"].Installed():
			return false, "nftables.service is not installed", "install it with `" + p.InstallHint(m) + "`"
		}
		return true, "nftables.service is installed", ""
	case MethodSystemd:
		for _, bin := range Loaders(backend) {
			if f.Binaries(bin) == "" {
				return false, bin + " is not installed", "install it with `" + p.InstallHint(loaderPackage(bin)) + "`"
			}
		}
		return true, "a unit of ruleshift's own loads the rules with " + strings.Join(Loaders(backend), " and "), ""
	}
	return false, "unknown method " + m, "use one of: auto, " + strings.Join(Methods, ", ")
}

// wrongVariant reports whether the iptables backend differs from the
// variant that iptables-restore runs, for the loaders that call it by that
// name.
func wrongVariant(f *Facts, backend string) bool {
	return f.Variant != "" && backend != "iptables-"+f.Variant
}

func switchVariant(f *Facts, backend string) string {
	v := strings.TrimPrefix(backend, "iptables-")
	return fmt.Sprintf("use --backend iptables-%s, or switch with `update-alternatives --set iptables /usr/sbin/iptables-%s` and the same for ip6tables", f.Variant, v)
}

// Loaders names the programs that load a backend's files at boot, as the
// registered backend renders them; nil for a backend not registered.
func Loaders(backend string) []string {
	if b := backends.Lookup(backend); b != nil {
		return backends.Loaders(b)
	}
	return nil
}

// loadsNft reports whether the backend's files are nft scripts, which
// nftables.service loads, rather than restore files.
func loadsNft(backend string) bool {
	return slices.Contains(Loaders(backend), "nft")
}

func loaderPackage(bin string) string {
	if bin == "nft" {
		return "nftables"
	}
	return "iptables"
}

// conflicts handles firewalld, whose unit has Conflicts= on iptables.service,
// ip6tables.service and nftables.service (and so on netfilter-persistent,
// which Debian aliases to iptables.service).
func (c *Choice) conflicts(f *Facts, force bool) error {
	fw := f.Units["firewalld.service"]
	own := c.Method == MethodSystemd || c.Method == MethodIfupdown
	if fw.Masked && !own {
		// Keep it masked, most likely by an earlier persist --force: a
		// later persist must not bring it back.
		c.Mask = append(c.Mask, "firewalld.service")
		return nil
	}
	if !fw.Enabled {
		return nil
	}
	if own {
		c.Notes = append(c.Notes, "firewalld is enabled: its reject at the end of filter_INPUT still applies, so a port ruleshift accepts must also be opened in firewalld")
		return nil
	}
	if !force {
		return systemErr("firewalld is enabled and conflicts with the %s method (firewalld.service has Conflicts= on iptables.service, ip6tables.service and nftables.service); use --force to disable and mask firewalld, or --method systemd to load beside it", c.Method)
	}
	c.Mask = append(c.Mask, "firewalld.service")
	c.Notes = append(c.Notes, "firewalld is enabled: --force disables and masks it (systemctl unmask firewalld and systemctl enable firewalld, or ruleshift unpersist, bring it back)")
	return nil
}
