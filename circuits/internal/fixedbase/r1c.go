package fixedbase

import (
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
)

// AssertMul asserts a·b = c in one R1CS constraint (see assertMul), for
// circuits built on this package that need the same primitive.
func AssertMul(api frontend.API, a, b, c frontend.Variable) { assertMul(api, a, b, c) }

// assertMul asserts a·b = c, for linear expressions a, b, c.
//
// gnark's API has no such primitive: api.Mul creates a new wire for the
// product, so AssertIsEqual(Mul(a, b), c) costs two constraints, and a
// chain that only ever uses Mul's outputs carries its coordinates as ever
// longer linear expressions. In an R1CS this is one constraint, L·R = O,
// emitted with gnark's generic R1C blueprint through the compiler's
// customisation interface; it adds no wire. Any other compiler (gnark's test
// engine, a PLONK builder), or a constant operand, takes the two-constraint
// form, which states the same thing.
func assertMul(api frontend.API, a, b, c frontend.Variable) {
	cmp := api.Compiler()
	l, okL := canonical(cmp, a)
	r, okR := canonical(cmp, b)
	o, okO := canonical(cmp, c)
	if !okL || !okR || !okO {
		api.AssertIsEqual(api.Mul(a, b), c)
		return
	}
	if len(r) > len(l) {
		// as gnark's builder does: fewer terms on the B side give more
		// identity points in the proving key's B vectors.
		l, r = r, l
	}
	var bp constraint.BlueprintGenericR1C
	calldata := make([]uint32, 0, 4+2*(len(l)+len(r)+len(o)))
	bp.CompressR1C(&constraint.R1C{L: l, R: r, O: o}, &calldata)
	cmp.AddInstruction(r1cBlueprint(cmp), calldata)
}

// canonical returns v as an R1CS linear expression, or false when v is a
// constant or the compiler does not build an R1CS.
func canonical(cmp frontend.Compiler, v frontend.Variable) (constraint.LinearExpression, bool) {
	if _, isConst := cmp.ConstantValue(v); isConst {
		return nil, false
	}
	le, ok := cmp.ToCanonicalVariable(v).(constraint.LinearExpression)
	return le, ok
}

// keyValueStore is the key-value store gnark's builders embed, for
// singletons shared by one compilation.
type keyValueStore interface {
	SetKeyValue(key, value any)
	GetKeyValue(key any) any
}

type r1cBlueprintKey struct{}

// r1cBlueprint returns the ID of a generic R1C blueprint in cmp's
// constraint system, registered once per compilation.
func r1cBlueprint(cmp frontend.Compiler) constraint.BlueprintID {
	kv, ok := cmp.(keyValueStore)
	if !ok {
		return cmp.AddBlueprint(&constraint.BlueprintGenericR1C{})
	}
	if id, ok := kv.GetKeyValue(r1cBlueprintKey{}).(constraint.BlueprintID); ok {
		return id
	}
	id := cmp.AddBlueprint(&constraint.BlueprintGenericR1C{})
	kv.SetKeyValue(r1cBlueprintKey{}, id)
	return id
}
