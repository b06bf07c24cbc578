package main

// The nftables reader installs itself in package translate (init): --from
// nft, and nftables files and nft JSON listings given to translate.
import _ "github.com/ruleshift/ruleshift/translate/nft"
