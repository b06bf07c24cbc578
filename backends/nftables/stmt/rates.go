package stmt

// bytesRate is a hashlimit byte rate as appendBytesRate prints it: the
// rate per second and the burst in bytes, each in the largest unit ("m",
// "k" or "") that keeps the rate exact, truncated to that unit.
func bytesRate(cost, burst uint64) (rate uint64, rateUnit string, b uint64, burstUnit string) {
	units := []struct {
		name   string
		thresh uint64
	}{{"m", 1 << 20}, {"k", 1 << 10}, {"", 1}}
	cost2b := func(cost uint64) uint64 {
		r := uint64(0xFFFFFFFF)
		if cost != 0 {
			r = 0xFFFFFFFF / cost
		}
		return (r - 1) << 4
	}
	b2cost := func(b uint64) uint64 { return 0xFFFFFFFF / (uint64(uint32(b>>4)) + 1) }
	r := cost2b(cost)
	i := 0
	for ; i < len(units)-1; i++ {
		if r >= units[i].thresh && b2cost(r&^(units[i].thresh-1)) == cost {
			break
		}
	}
	rate, rateUnit = r/units[i].thresh, units[i].name
	if burst > 0 {
		r *= burst
		for i = 0; i < len(units)-1; i++ {
			if r >= units[i].thresh {
				break
			}
		}
		b, burstUnit = r/units[i].thresh, units[i].name
	}
	return rate, rateUnit, b, burstUnit
}

var unitBytes = map[string]uint64{"m": 1 << 20, "k": 1 << 10, "": 1}

// BytesRate is the byte rate per second and the burst in bytes that nft
// reads from what the printer writes for a meter's cost and burst.
func BytesRate(cost, burst uint64) (rate, b uint64) {
	r, ru, bb, bu := bytesRate(cost, burst)
	return r * unitBytes[ru], bb * unitBytes[bu]
}
