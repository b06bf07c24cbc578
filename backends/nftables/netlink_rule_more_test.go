package nftables

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
)

// TestQueueAttrs checks the queue expression against what nft 1.0.6 sends
// (nft --debug=mnl): the kernels the tests run on have no nft_queue to
// compare listings.
func TestQueueAttrs(t *testing.T) {
	u16 := func(typ, v uint16) []byte {
		b := binary.NativeEndian.AppendUint16(nil, 6)
		b = binary.NativeEndian.AppendUint16(b, typ)
		return append(binary.BigEndian.AppendUint16(b, v), 0, 0)
	}
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	for _, c := range []struct {
		q    stmt.Queue
		text string
		want []byte
	}{
		{stmt.Queue{Num: 2, Last: 2}, "queue num 2", cat(u16(1, 2), u16(2, 1))},
		{stmt.Queue{Num: 3, Last: 5, Bypass: true, Fanout: true}, "queue num 3-5 bypass,fanout", cat(u16(1, 3), u16(2, 3), u16(3, 3))},
		{stmt.Queue{Num: 1, Last: 1, Bypass: true}, "queue num 1 bypass", cat(u16(1, 1), u16(2, 1), u16(3, 1))},
	} {
		if got := string(stmt.AppendRule(nil, &stmt.Rule{Stmts: []stmt.Stmt{&c.q}})); got != c.text {
			t.Errorf("%+v prints %q, want %q", c.q, got, c.text)
		}
		if x := queue(&c.q); x.name != "queue" || !bytes.Equal(x.data, c.want) {
			t.Errorf("%s: attributes % x, want % x", c.text, x.data, c.want)
		}
	}
}
