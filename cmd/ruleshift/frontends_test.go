package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate"
)

// TestFromEnum checks that every --from flag offers "auto" and the
// frontends that read files, as registered with package translate: kong
// takes its enum from a static struct tag, so a frontend added or renamed
// must show up there too.
func TestFromEnum(t *testing.T) {
	want := []string{"auto"}
	want = append(want, translate.Names()...)
	found := 0
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case f.Name == "From":
				found++
				if got := strings.Split(f.Tag.Get("enum"), ","); !slices.Equal(got, want) {
					t.Errorf("%s.From: enum %v, registered frontends %v", path, got, want)
				}
			case ft.Kind() == reflect.Struct && ft.PkgPath() == typ.PkgPath():
				walk(ft, path+"."+f.Name)
			}
		}
	}
	walk(reflect.TypeOf(cli{}), "cli")
	// translate, apply and persist share inputFlags; verify has its own.
	if found < 2 {
		t.Errorf("found %d --from flags, want every command that reads rules", found)
	}
}
