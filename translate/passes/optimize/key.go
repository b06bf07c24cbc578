package optimize

import (
	"encoding/binary"
	"reflect"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Rule shapes are compared by a byte key rather than pairwise with
// ir.Equal: a chain's rules go into buckets by key in one pass, which
// keeps a 10,000-rule chain linear. The key follows ir.Equal: types and
// values all the way down, without source positions and counters.

var (
	posType      = reflect.TypeFor[ir.Pos]()
	countersType = reflect.TypeFor[*ir.Counters]()
	irPkg        = posType.PkgPath()
)

// appendKey appends an encoding of v that two values share exactly when
// ir.Equal holds for them.
func appendKey(b []byte, v any) []byte {
	return encode(b, reflect.ValueOf(v))
}

func encode(b []byte, v reflect.Value) []byte {
	if !v.IsValid() {
		return append(b, 0)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, 0)
		}
		b = append(b, 1)
		if v.Kind() == reflect.Interface {
			b = appendStr(b, v.Elem().Type().String())
		}
		return encode(b, v.Elem())
	case reflect.Slice, reflect.Array:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		for i := 0; i < v.Len(); i++ {
			b = encode(b, v.Index(i))
		}
		return b
	case reflect.Struct:
		t := v.Type()
		if t == posType {
			return b
		}
		if t.PkgPath() != irPkg {
			// netip.Addr, netip.Prefix, time.Duration's owners: their
			// text is their identity.
			if !v.CanInterface() {
				return appendStr(b, "\xffhidden")
			}
			if m, ok := v.Interface().(interface{ MarshalText() ([]byte, error) }); ok {
				txt, _ := m.MarshalText()
				return appendStr(b, string(txt))
			}
		}
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).Type == countersType {
				continue
			}
			b = encode(b, v.Field(i))
		}
		return b
	case reflect.String:
		return appendStr(b, v.String())
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1)
		}
		return append(b, 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(b, v.Uint())
	case reflect.Map:
		// No map in the model today; should one come, two rules
		// holding one are never the same shape (the map's identity),
		// rather than equal by an encoding in random order.
		return binary.AppendUvarint(append(b, 0xff), uint64(v.Pointer()))
	}
	return appendStr(b, v.String())
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
