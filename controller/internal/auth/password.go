// Package auth holds the controller's credentials logic: argon2id password
// hashes, random tokens stored as SHA-256, and login throttling. It does no
// I/O; the api package wires it to HTTP and the store.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams follow RFC 9106's second recommended option (64 MiB, 3
// passes), with 2 lanes for the small machines the controller runs on.
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 2}

// ErrMismatch is a wrong password.
var ErrMismatch = errors.New("auth: password does not match")

// HashPassword returns a PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword compares in constant time; the parameters come from the
// hash, so raising DefaultParams keeps old hashes valid.
func CheckPassword(hash, password string) error {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("auth: not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return errors.New("auth: unsupported argon2 version")
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return fmt.Errorf("auth: argon2 parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return fmt.Errorf("auth: salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return fmt.Errorf("auth: key: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// NewToken returns a random token: prefix followed by 32 random bytes in
// URL-safe base64.
func NewToken(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error()) // never on Linux ≥ 3.17
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how tokens, session ids and codes are stored: SHA-256, hex.
// They are long and random (or short-lived and one-time), so a fast hash is
// enough; passwords use argon2id.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// codeAlphabet has no 0/O, 1/I/L: codes are read off a phone and typed on a
// board's console.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewEnrolmentCode returns a one-time code such as "K7QM-4XTR-P9WA" (about
// 59 bits).
func NewEnrolmentCode() string {
	var sb strings.Builder
	b := make([]byte, 1)
	for n := 0; n < 12; {
		if _, err := rand.Read(b); err != nil {
			panic("auth: crypto/rand failed: " + err.Error())
		}
		// Rejection sampling: 248 = 8 × 31 keeps every character equally likely.
		if int(b[0]) >= 248 {
			continue
		}
		if n > 0 && n%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(codeAlphabet[int(b[0])%len(codeAlphabet)])
		n++
	}
	return sb.String()
}
