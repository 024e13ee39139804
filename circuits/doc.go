// Package circuits groups Sable's gnark circuit definitions, one circuit per
// sub-package (transfer, mint, fx, batch). They define constraints only: no
// I/O, no keys.
package circuits
