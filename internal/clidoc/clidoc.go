// Package clidoc writes the documents that come from the command line's
// definition, the kong model: a man page per command and the bash, zsh
// and fish completion scripts. Generated at build time from the same
// model the parser uses, they cannot drift from --help.
package clidoc

import (
	"strings"

	"github.com/alecthomas/kong"
)

// Commands returns the visible commands under n, depth first.
func Commands(n *kong.Node) []*kong.Node {
	var out []*kong.Node
	for _, c := range n.Children {
		if c.Hidden || c.Type != kong.CommandNode {
			continue
		}
		out = append(out, c)
		out = append(out, Commands(c)...)
	}
	return out
}

// Flags returns the visible flags a command takes, its own and its
// parents' (global ones last), without --help.
func Flags(n *kong.Node) []*kong.Flag {
	var out []*kong.Flag
	for _, group := range n.AllFlags(true) {
		for _, f := range group {
			if f.Name != "help" {
				out = append(out, f)
			}
		}
	}
	return out
}

// Enum returns the values a flag takes, or nil when any value goes.
func Enum(f *kong.Flag) []string {
	if f.Enum == "" {
		return nil
	}
	var out []string
	for _, v := range f.EnumSlice() {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// TakesFile reports whether a flag's value is a path: its placeholder
// says FILE or DIR, or its type is a path.
func TakesFile(f *kong.Flag) bool {
	if f.IsBool() || f.IsCounter() || Enum(f) != nil {
		return false
	}
	if f.Tag != nil && (f.Tag.Type == "path" || f.Tag.Type == "existingfile" || f.Tag.Type == "existingdir") {
		return true
	}
	p := strings.ToUpper(f.PlaceHolder)
	return strings.Contains(p, "FILE") || strings.Contains(p, "DIR")
}

// Placeholder names a flag's value: its placeholder, else its name in
// capitals.
func Placeholder(f *kong.Flag) string {
	if f.PlaceHolder != "" {
		return f.PlaceHolder
	}
	return strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
}

// Name is a command's full name: "ruleshift persist".
func Name(n *kong.Node) string {
	var parts []string
	for p := n; p != nil; p = p.Parent {
		parts = append([]string{p.Name}, parts...)
	}
	return strings.Join(parts, " ")
}
