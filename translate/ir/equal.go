package ir

import "reflect"

// Equal reports whether a and b are the same model: the same types and the
// same values all the way down, ignoring source positions (Pos anywhere,
// so also the At of matches and targets) and packet counters (the
// Counters of chains and rules). A nil slice equals an empty one. a and b
// may be any node: *Ruleset, *Table, *Chain, *Rule, a Match or a Target.
// It is for tests and for passes that must know whether two rules mean
// the same, such as the optimiser.
func Equal(a, b any) bool {
	return equalValue(reflect.ValueOf(a), reflect.ValueOf(b))
}

var (
	posType      = reflect.TypeFor[Pos]()
	countersType = reflect.TypeFor[*Counters]()
	irPkg        = posType.PkgPath()
)

func equalValue(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValue(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !equalValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		t := a.Type()
		if t == posType {
			return true
		}
		if t.PkgPath() != irPkg {
			// netip.Addr, netip.Prefix and the like: no positions inside.
			return reflect.DeepEqual(a.Interface(), b.Interface())
		}
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).Type == countersType {
				continue
			}
			if !equalValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
