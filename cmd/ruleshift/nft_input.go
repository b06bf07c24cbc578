package main

// The nftables reader installs itself in package translate (init): --from
// nft, and nftables files and nft JSON listings given to translate. verify
// loads an nftables file as written but reads a JSON listing with it
// (verify.go).
import _ "github.com/ruleshift/ruleshift/translate/nft"
