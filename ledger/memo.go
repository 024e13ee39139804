package ledger

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/sable-settlement/sable/ledger/internal/codec"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/hkdf"
)

// A memo carries an amount's opening (value, blinding) to the one party
// that may read it, sealed to its X25519 key:
//
//	ephemeral public key (32) ‖ ChaCha20-Poly1305(key, nonce 0, opening, aad)
//
// with key = HKDF-SHA256(X25519(eph, recipient), salt = eph ‖ recipient,
// info = memoLabel). Every memo has a fresh ephemeral key, so the all-zero
// nonce is never reused under one key. The associated data binds the memo
// to its transaction's sender, receiver, currency and nonce.
const memoLabel = "sable/memo/v1"

// MemoSize is the length of a sealed opening.
const MemoSize = 32 + openingSize + chacha20poly1305.Overhead

const openingSize = 8 + 32

// ErrMemo reports a memo that does not open with the given key.
var ErrMemo = errors.New("ledger: memo does not open")

// GenerateMemoKey returns a new X25519 key pair.
func GenerateMemoKey() (priv, pub [32]byte, err error) {
	if _, err = io.ReadFull(rand.Reader, priv[:]); err != nil {
		return priv, pub, fmt.Errorf("ledger: memo key: %w", err)
	}
	p, err := curve25519.X25519(priv[:], curve25519.Basepoint)
	copy(pub[:], p)
	return priv, pub, err
}

// SealOpening encrypts o to the recipient's X25519 public key.
func SealOpening(recipient [32]byte, o Opening, aad []byte) ([]byte, error) {
	var eph [32]byte
	if _, err := io.ReadFull(rand.Reader, eph[:]); err != nil {
		return nil, fmt.Errorf("ledger: memo: %w", err)
	}
	ephPub, err := curve25519.X25519(eph[:], curve25519.Basepoint)
	if err != nil {
		return nil, fmt.Errorf("ledger: memo: %w", err)
	}
	shared, err := curve25519.X25519(eph[:], recipient[:])
	if err != nil {
		return nil, fmt.Errorf("ledger: memo: recipient key: %w", err)
	}
	aead, err := memoAEAD(shared, ephPub, recipient[:])
	if err != nil {
		return nil, err
	}
	pt := make([]byte, openingSize)
	binary.BigEndian.PutUint64(pt, o.Value)
	o.Blinding.FillBytes(pt[8:])
	return aead.Seal(ephPub, make([]byte, chacha20poly1305.NonceSize), pt, aad), nil
}

// OpenMemo decrypts a memo with the recipient's X25519 private key.
func OpenMemo(priv [32]byte, memo, aad []byte) (Opening, error) {
	if len(memo) != MemoSize {
		return Opening{}, ErrMemo
	}
	pub, err := curve25519.X25519(priv[:], curve25519.Basepoint)
	if err != nil {
		return Opening{}, ErrMemo
	}
	shared, err := curve25519.X25519(priv[:], memo[:32])
	if err != nil {
		return Opening{}, ErrMemo
	}
	aead, err := memoAEAD(shared, memo[:32], pub)
	if err != nil {
		return Opening{}, ErrMemo
	}
	pt, err := aead.Open(nil, make([]byte, chacha20poly1305.NonceSize), memo[32:], aad)
	if err != nil {
		return Opening{}, ErrMemo
	}
	return Opening{Value: binary.BigEndian.Uint64(pt), Blinding: new(big.Int).SetBytes(pt[8:])}, nil
}

// memoAEAD derives the memo's key from the X25519 shared secret; the salt
// is ephemeral public ‖ recipient public on both sides.
func memoAEAD(shared, ephPub, recipientPub []byte) (cipher.AEAD, error) {
	salt := append(append([]byte{}, ephPub...), recipientPub...)
	key := make([]byte, chacha20poly1305.KeySize)
	if _, err := io.ReadFull(hkdf.New(sha256.New, shared, salt, []byte(memoLabel)), key); err != nil {
		return nil, fmt.Errorf("ledger: memo: %w", err)
	}
	return chacha20poly1305.New(key)
}

func MemoPublicKey(priv [32]byte) []byte {
	p, err := curve25519.X25519(priv[:], curve25519.Basepoint)
	if err != nil {
		return make([]byte, 32)
	}
	return p
}

// MemoAAD binds a memo to its payment: chain, sender, receiver, currency,
// and the sender's nonce.
func MemoAAD(chainID, sender, receiver string, c Currency, nonce uint64) []byte {
	w := &codec.Writer{}
	w.Fixed([]byte("sable/memo-aad/v1"))
	w.Str(chainID)
	w.Str(sender)
	w.Str(receiver)
	w.Fixed(c[:])
	w.U64(nonce)
	return w.B
}

// BulkMemoAAD binds a memo to payment j of a bulk transfer: MemoAAD and j.
func BulkMemoAAD(chainID, sender, receiver string, c Currency, nonce uint64, j int) []byte {
	return binary.BigEndian.AppendUint32(MemoAAD(chainID, sender, receiver, c, nonce), uint32(j))
}

// SelfMemoAAD binds a self-memo, the sender's own sealed record of an
// amount it sent, to its payment: chain, sender, currency, the sender's
// nonce and the payment's index j (0 for a transfer, a mint or a burn). Its
// label differs from MemoAAD's, so a receiver's memo cannot stand in for a
// self-memo, nor one self-memo for another payment's.
func SelfMemoAAD(chainID, sender string, c Currency, nonce uint64, j int) []byte {
	w := &codec.Writer{}
	w.Fixed([]byte("sable/self-memo-aad/v1"))
	w.Str(chainID)
	w.Str(sender)
	w.Fixed(c[:])
	w.U64(nonce)
	w.U64(uint64(j))
	return w.B
}

// GenesisSupplyMemoAAD binds an issuer's genesis supply memo to the chain,
// the issuer and the currency; its label sets it apart from an account's.
func GenesisSupplyMemoAAD(chainID, issuer string, c Currency) []byte {
	w := &codec.Writer{}
	w.Fixed([]byte("sable/genesis-supply-memo-aad/v1"))
	w.Str(chainID)
	w.Str(issuer)
	w.Fixed(c[:])
	return w.B
}

// GenesisMemoAAD binds a genesis account's memo to the chain, the holder
// and the currency.
func GenesisMemoAAD(chainID, holder string, c Currency) []byte {
	w := &codec.Writer{}
	w.Fixed([]byte("sable/genesis-memo-aad/v1"))
	w.Str(chainID)
	w.Str(holder)
	w.Fixed(c[:])
	return w.B
}
