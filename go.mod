module github.com/ruleshift/ruleshift

go 1.26.8

require (
	github.com/alecthomas/kong v1.17.0
	golang.org/x/tools v0.38.0
)

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	mvdan.cc/sh/v3 v3.14.1 // indirect
)
