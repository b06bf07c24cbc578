package ir

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
)

// Dump renders the ruleset as canonical text: one line per table, chain and
// rule, each rule with its source position and every match and target as
// kind{field:value …} with zero fields left out. It exists for golden tests
// of frontends, so its format is stable but not meant for users.
func Dump(rs *Ruleset) string {
	var b strings.Builder
	for _, t := range rs.Tables {
		fmt.Fprintf(&b, "table %s %s\n", t.Family, t.Name)
		for _, st := range t.Sets {
			dumpSet(&b, st)
		}
		for _, c := range t.Chains {
			kind := "user"
			if b := c.Base; b != nil {
				kind = fmt.Sprintf("%s %s %d policy %s", b.Type, b.Hook, b.Priority, b.Policy)
			}
			if c.MirrorOf != "" {
				kind += ", mirror of " + c.MirrorOf
			}
			fmt.Fprintf(&b, "  chain %s (%s)\n", c.Name, kind)
			for _, r := range c.Rules {
				fmt.Fprintf(&b, "    %s:", r.Src)
				for _, m := range r.Matches {
					b.WriteByte(' ')
					dumpValue(&b, m)
				}
				if r.Target != nil {
					b.WriteString(" -> ")
					dumpValue(&b, r.Target)
				}
				if r.Counters != nil {
					fmt.Fprintf(&b, " [%d:%d]", r.Counters.Packets, r.Counters.Bytes)
				}
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}

var (
	stringer = reflect.TypeFor[fmt.Stringer]()
	atType   = reflect.TypeFor[At]()
)

// dumpSet writes a set as one line: name, key, flags and the elements in
// the order given (the order is the frontend's; a set's meaning does not
// depend on it, but a stable dump does).
func dumpSet(b *strings.Builder, s *Set) {
	fmt.Fprintf(b, "  set %s %s", s.Name, s.Key)
	if s.Flags != 0 {
		fmt.Fprintf(b, " flags %s", s.Flags)
	}
	b.WriteString(" {")
	for i, e := range s.Elements {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(e.String())
	}
	b.WriteString("}")
	for _, h := range s.Hosts {
		fmt.Fprintf(b, " host %s {", h.Name)
		for i, a := range h.Addrs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(a.String())
		}
		b.WriteString("}")
	}
	b.WriteString("\n")
}

func dumpValue(b *strings.Builder, x any) {
	v := reflect.ValueOf(x)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	b.WriteString(strings.ToLower(v.Type().Name()))
	b.WriteByte('{')
	first := true
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		// Positions of matches and targets are left out: the rule's
		// position heads the line, and a golden file should not change
		// when a frontend points an option more precisely.
		if f.IsZero() || v.Type().Field(i).Type == atType {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		b.WriteString(v.Type().Field(i).Name)
		b.WriteByte(':')
		dumpField(b, f)
	}
	b.WriteByte('}')
}

func dumpField(b *strings.Builder, f reflect.Value) {
	switch x := f.Interface().(type) {
	case netip.Prefix, netip.Addr:
		fmt.Fprint(b, x)
		return
	case PortRange:
		if x.Single() {
			fmt.Fprint(b, x.Lo)
		} else {
			fmt.Fprintf(b, "%d-%d", x.Lo, x.Hi)
		}
		return
	case string:
		fmt.Fprintf(b, "%q", x)
		return
	}
	switch f.Kind() {
	case reflect.Pointer:
		dumpField(b, f.Elem())
	case reflect.Slice:
		b.WriteByte('[')
		for i := 0; i < f.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			dumpField(b, f.Index(i))
		}
		b.WriteByte(']')
	case reflect.Struct:
		dumpValue(b, f.Interface())
	default:
		if f.Type().Implements(stringer) {
			fmt.Fprint(b, f.Interface())
			return
		}
		fmt.Fprint(b, f.Interface())
	}
}
