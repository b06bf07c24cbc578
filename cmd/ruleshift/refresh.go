package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/hostsets"
	"github.com/ruleshift/ruleshift/internal/atomicfile"
	"github.com/ruleshift/ruleshift/internal/progress"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// refreshCmd resolves the host names of the loaded policy again.
type refreshCmd struct {
	Root  string `help:"Work on the system installed under DIR: refresh the cached addresses there and load nothing." default:"/" type:"path" placeholder:"DIR"`
	Hosts string `help:"Resolve host names from this hosts(5) file only, never the network." placeholder:"FILE"`
	// StateRoot reads and writes the state under DIR but still updates
	// the running kernel, for the tests in a network namespace.
	StateRoot string `help:"Read the state under DIR and update the running kernel." type:"path" placeholder:"DIR" hidden:""`
}

func (c *refreshCmd) Run(e *env) error {
	root, live := c.Root, c.Root == "/"
	if c.StateRoot != "" {
		root, live = c.StateRoot, true
	}
	st, err := readHostState(root)
	if err != nil {
		return err
	}
	if st == nil {
		fmt.Fprintf(e.stderr, "refresh: no host-name sets recorded in %s (apply or persist a policy with host names for nftables first)\n", filepath.Join(root, hostsets.StateFile))
		return nil
	}
	flags := &inputFlags{Hosts: c.Hosts}
	resolve, err := flags.resolver(e)
	if err != nil {
		return err
	}
	show, bar := progress.For(e.stderr)
	changes, warnings := st.Refresh(resolve, show)
	bar.Done()
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	var updates []nftables.SetUpdate
	for _, ch := range changes {
		fmt.Fprintln(e.stdout, ch)
		if len(ch.Added)+len(ch.Removed) > 0 {
			s := ch.Set
			updates = append(updates, nftables.SetUpdate{Family: s.TableFam(), Table: s.Table, Name: s.Name, Interval: s.Interval, Elements: s.Elems()})
		}
	}
	if live && len(updates) > 0 {
		if err := nftables.UpdateSets("", updates); err != nil {
			return fail(exitSystem, "refresh: %v (is the policy still loaded? ruleshift apply it again)", err)
		}
	}
	return writeHostState(root, st)
}

// readHostState reads the state under root; nil when there is none.
func readHostState(root string) (*hostsets.State, error) {
	name := filepath.Join(root, hostsets.StateFile)
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fail(exitIO, "%v", err)
	}
	st, err := hostsets.Parse(name, data)
	if err != nil {
		return nil, fail(exitIO, "%v", err)
	}
	return st, nil
}

// writeHostState writes the state and its nft cache under root.
func writeHostState(root string, st *hostsets.State) error {
	if err := os.MkdirAll(filepath.Join(root, hostsets.CacheDir), 0o755); err != nil {
		return fail(exitIO, "%v", err)
	}
	if err := atomicfile.Write(filepath.Join(root, hostsets.StateFile), st.Marshal(), 0o644); err != nil {
		return fail(exitIO, "%v", err)
	}
	if err := atomicfile.Write(filepath.Join(root, hostsets.CacheFile), []byte(st.NftCache()), 0o644); err != nil {
		return fail(exitIO, "%v", err)
	}
	return nil
}

// cachedResolver falls back to the addresses cached under root for a
// host name that does not resolve now, with a warning.
func cachedResolver(e *env, root string, f *inputFlags) {
	st, err := readHostState(root)
	if err != nil || st == nil {
		return
	}
	f.cache = func(host string, fam ir.Family, n int) {
		fmt.Fprintf(e.stderr, "warning: host %q does not resolve now; using its %d cached %s address(es) from %s\n", host, n, fam, hostsets.StateFile)
	}
	f.hostState = st
}

// recordHostSets writes the state of the host-name sets just loaded, so
// that refresh knows them.
func recordHostSets(e *env, root string, rs *ir.Ruleset) error {
	st := hostsets.FromRuleset(rs, nftables.TableName)
	if st == nil {
		return nil
	}
	if err := writeHostState(root, st); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "host names: %d set(s) recorded in %s; `ruleshift refresh` resolves them again (persist installs a timer every %s)\n", len(st.Sets), filepath.Join(root, hostsets.StateFile), st.Interval())
	return nil
}
