package localnet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
)

// FreeBasePort picks a base port (see testnet.Options.BasePort) whose
// validators' P2P, RPC, metrics and pprof ports are all free now. It stays below Linux's
// ephemeral range so that outgoing connections do not take them meanwhile.
func FreeBasePort(validators int) (int, error) {
	for range 100 {
		base := 20000 + 10*rand.IntN(1200)
		if portsFree(base, validators) {
			return base, nil
		}
	}
	return 0, errors.New("localnet: no free ports")
}

func portsFree(base, validators int) bool {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := range validators {
		for _, p := range []int{base + 10*i + 6, base + 10*i + 7, base + 10*i + 8, base + 10*i + 9} { // p2p, RPC, metrics, pprof
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				return false
			}
			ls = append(ls, l)
		}
	}
	return true
}
