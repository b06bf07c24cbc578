// Package hosts resolves the host names that iptables rules may hold in
// -s/-d. iptables looks them up once, when a rule is added, and the kernel
// keeps only the addresses; ruleshift has to pin them the same way at
// translate time, from a hosts(5) file given with --hosts or from the system
// resolver.
//
// It sits beside the frontends: translate/iptables and translate/script take
// the Resolver it builds and never look names up themselves.
package hosts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Resolver looks up the addresses of a host name for one family. It has the
// shape of iptables.Resolver so that it can be passed on as is.
type Resolver = func(host string, fam ir.Family) ([]netip.Addr, error)

// File is a parsed hosts(5) file.
type File struct {
	Name string
	// addrs maps a lower-cased name to its addresses in file order, as
	// glibc's "files" source returns them.
	addrs map[string][]netip.Addr
}

// Parse reads hosts(5) text: "ADDRESS NAME [ALIAS...]" per line, "#" to the
// end of a line is a comment. Lines that glibc would skip (a bad address, no
// name) are skipped too, with a warning at their position.
func Parse(name string, data []byte) (*File, *diag.List) {
	f := &File{Name: name, addrs: map[string][]netip.Addr{}}
	diags := &diag.List{}
	for i, line := range strings.Split(string(data), "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pos := ir.Pos{File: name, Line: i + 1, Col: strings.Index(line, fields[0]) + 1}
		addr, err := netip.ParseAddr(fields[0])
		if err != nil || addr.Zone() != "" {
			diags.Report(diag.InputForm, pos, "skipping line: %q is not an IP address", fields[0])
			continue
		}
		if len(fields) < 2 {
			diags.Report(diag.InputForm, pos, "skipping line: address %s has no host name", addr)
			continue
		}
		for _, n := range fields[1:] {
			k := strings.ToLower(n)
			if !containsAddr(f.addrs[k], addr) {
				f.addrs[k] = append(f.addrs[k], addr)
			}
		}
	}
	return f, diags
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// Lookup returns the addresses of host for the family, in file order. An
// IPv4 address written as ::ffff:a.b.c.d counts as IPv4.
func (f *File) Lookup(host string, fam ir.Family) []netip.Addr {
	var out []netip.Addr
	for _, a := range f.addrs[strings.ToLower(host)] {
		a = a.Unmap()
		if (fam == ir.IPv4) == a.Is4() && !containsAddr(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// Resolver returns a resolver that answers from the file only, so that a
// translation never depends on the network: a name missing from the file
// is an error.
func (f *File) Resolver() Resolver {
	return func(host string, fam ir.Family) ([]netip.Addr, error) {
		if _, ok := f.addrs[strings.ToLower(host)]; !ok {
			return nil, fmt.Errorf("not in hosts file %s", f.Name)
		}
		return f.Lookup(host, fam), nil
	}
}

// System returns a resolver that asks the system resolver, each lookup
// bounded by timeout.
func System(timeout time.Duration) Resolver {
	return func(host string, fam ir.Family) ([]netip.Addr, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		network := "ip4"
		if fam == ir.IPv6 {
			network = "ip6"
		}
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, network, host)
		if err != nil {
			var dnsErr *net.DNSError
			if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
				return nil, fmt.Errorf("no such host")
			}
			return nil, err
		}
		var out []netip.Addr
		for _, a := range addrs {
			a = a.Unmap().WithZone("")
			if !containsAddr(out, a) {
				out = append(out, a)
			}
		}
		return out, nil
	}
}
