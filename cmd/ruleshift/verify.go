package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/ruleshift/ruleshift/internal/progress"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/nft"
	"github.com/ruleshift/ruleshift/verify"
)

type verifyCmd struct {
	Probes     int    `help:"How many probes to generate; replies of flows both sides accept come on top." default:"2000"`
	Seed       uint64 `help:"Seed of the probe generator: the same seed sends the same probes." default:"1"`
	OldBackend string `help:"How OLD is loaded: ${loaders_text}. An iptables-save file loaded with an iptables backend is loaded as written." enum:"${loaders}" default:"iptables-legacy"`
	NewBackend string `help:"How NEW is loaded: ${loaders_text}, as ruleshift apply loads it." enum:"${loaders}" default:"nftables"`
	From       string `help:"Input format of both files: auto, nft (nft JSON; an nftables file with auto is loaded as written), policy (a TOML policy), save (iptables-save), script (shell script) or ufw (a directory; auto recognises one)." enum:"auto,nft,policy,save,script,ufw" default:"auto"`
	Family     string `help:"Family of save files: auto (detect), ipv4 or ipv6." enum:"auto,ipv4,ipv6" default:"auto"`
	Hosts      string `help:"Resolve host names in -s/-d from this hosts(5) file only, never the network." placeholder:"FILE" xor:"resolve"`
	NoResolve  bool   `help:"Make host names in -s/-d an error instead of resolving them." xor:"resolve"`
	AsRun      bool   `name:"as-run" help:"Scripts: a command iptables would refuse, where the script does not check its status, is a warning instead of an error, and the result is what running the script leaves, failures included."`
	// NetnsPrefix names the throwaway namespaces; tests set it so that
	// what they create is recognisable.
	NetnsPrefix string `name:"netns-prefix" hidden:"" help:"Prefix of the names of the namespaces verify creates."`
	Old         string `arg:"" help:"The rules in use now: any input translate reads (a ufw directory such as /etc/ufw included)."`
	New         string `arg:"" help:"The rules to compare with them: any input translate reads."`
	JSON        bool   `name:"json" help:"Print the report as one JSON object (schema/verify.v1.json)."`
}

func (c *verifyCmd) Run(e *env) error {
	if err := refuseUFWSide(c.OldBackend, c.NewBackend); err != nil {
		return err
	}
	old, err := c.side(e, c.Old, verify.Backend(c.OldBackend))
	if err != nil {
		return err
	}
	new, err := c.side(e, c.New, verify.Backend(c.NewBackend))
	if err != nil {
		return err
	}
	if err := verify.UseModelOf(old, new); err != nil {
		return fail(exitUsage, "%v", err)
	}
	prefix := c.NetnsPrefix
	if prefix == "" {
		prefix = fmt.Sprintf("rsv%d", os.Getpid())
	}
	// An interrupted verify must not leave its namespaces behind.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			verify.Cleanup(prefix)
			os.Exit(130)
		}
	}()
	show, bar := progress.For(e.stderr)
	res, err := verify.Run(old, new, verify.Options{Probes: c.Probes, Seed: c.Seed, NSPrefix: prefix, Progress: show})
	bar.Done()
	if err != nil {
		return fail(exitSystem, "%v", err)
	}
	if c.JSON {
		if err := writeJSON(e.stdout, verifyToJSON(res)); err != nil {
			return err
		}
	} else {
		res.Write(e.stdout)
	}
	if n := len(res.Diffs); n > 0 {
		return fail(exitMismatch, "%d of %d probes differ between %s and %s", n, res.Originals+res.Replies, c.Old, c.New)
	}
	return nil
}

// side reads one input and prepares it for its backend. An iptables-save
// file for an iptables backend is loaded as written, so that the baseline
// is the user's file and not ruleshift's reading of it.
func (c *verifyCmd) side(e *env, name string, b verify.Backend) (*verify.Side, error) {
	var data []byte
	var err error
	isDir := false
	if st, serr := os.Stat(name); name != "-" && serr == nil && st.IsDir() {
		isDir = true // a ufw machine (/etc/ufw, or a root holding it)
	} else if name == "-" {
		data, err = io.ReadAll(e.stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fail(exitIO, "%v", err)
	}
	in := translate.Input{Name: name, Data: data, Dir: filepath.Dir(name), IsDir: isDir}
	if c.From == "auto" && translate.DetectFormat(in) == translate.NFT && !nft.IsJSON(data) {
		// Loaded as written with nft -f, whatever --old-backend or
		// --new-backend say: it is already nftables.
		if b != verify.NFTables {
			fmt.Fprintf(e.stderr, "%s: an nftables file: loaded as written with nft -f (not with %s)\n", name, b)
		}
		s := &verify.Side{Label: name, Backend: verify.NFTables, Raw: data, NftFile: true}
		return s, report(e, s.Prepare())
	}
	flags := &inputFlags{Family: c.Family, Hosts: c.Hosts, NoResolve: c.NoResolve, AsRun: c.AsRun}
	resolve, err := flags.resolver(e)
	if err != nil {
		return nil, err
	}
	from := translate.Format(c.From)
	// A policy's host names go into the sets nftables loads, as apply
	// loads them; the other backends pin their addresses. AllowLockout:
	// verify loads only into its scratch namespaces, where a policy
	// without an ssh rule locks nobody out.
	rs, diags := translate.Load([]translate.Input{in}, translate.Options{From: from, Family: flags.family(), Resolve: resolve, AsRun: flags.AsRun, AllowLockout: true, HostSets: b == verify.NFTables})
	if !diags.HasErrors() {
		diags.Add(runPasses(rs))
		quietUFWChains(diags)
	}
	if err := report(e, diags); err != nil {
		return nil, err
	}
	if b == verify.NFTables {
		rs = policyInet(rs, []translate.Input{in}, from)
	}
	s := &verify.Side{Label: name, Rules: rs, Backend: b}
	if from == translate.Auto {
		from = translate.DetectFormat(in)
	}
	if fams := rs.Families(); from == translate.Save && b.IPTables() && len(fams) <= 1 {
		s.Raw, s.RawFamily = data, ir.IPv4
		if len(fams) == 1 {
			s.RawFamily = fams[0]
		}
	}
	if err := report(e, s.Prepare()); err != nil {
		return nil, err
	}
	return s, nil
}
