package fixedbase

import (
	"sync"

	"github.com/sable-settlement/sable/internal/pedersen"
)

// G returns the value base of Sable's Pedersen commitments (pedersen.G).
var G = sync.OnceValue(func() *Base { return NewBase(pedersen.G()) })

// H returns the blinding base of Sable's Pedersen commitments (pedersen.H).
var H = sync.OnceValue(func() *Base { return NewBase(pedersen.H()) })
