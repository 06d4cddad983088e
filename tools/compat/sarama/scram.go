package main

// A SCRAM-SHA-256/512 client (RFC 5802) for sarama, which leaves the implementation to its user.
// Debian packages no SCRAM library for Go, so this runner carries its own, on the standard library.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"
)

type scramClient struct {
	newHash            func() hash.Hash
	user, password     string
	nonce, clientFirst string
	serverSignature    []byte
	step               int
}

func newScram(mechanism string) *scramClient {
	h := sha512.New
	if mechanism == "SCRAM-SHA-256" {
		h = sha256.New
	}
	return &scramClient{newHash: h}
}

func (s *scramClient) Begin(user, password, _ string) error {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	s.user, s.password, s.nonce, s.step = user, password, base64.RawStdEncoding.EncodeToString(b), 0
	return nil
}

func (s *scramClient) mac(key []byte, msg string) []byte {
	m := hmac.New(s.newHash, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// pbkdf2 with one output block: the key length of SCRAM is the hash length.
func (s *scramClient) salted(salt []byte, iterations int) []byte {
	u := s.mac([]byte(s.password), string(append(append([]byte{}, salt...), 0, 0, 0, 1)))
	out := append([]byte{}, u...)
	for i := 1; i < iterations; i++ {
		u = s.mac([]byte(s.password), string(u))
		for j := range out {
			out[j] ^= u[j]
		}
	}
	return out
}

func (s *scramClient) Step(challenge string) (string, error) {
	s.step++
	switch s.step {
	case 1:
		name := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s.user)
		s.clientFirst = "n=" + name + ",r=" + s.nonce
		return "n,," + s.clientFirst, nil
	case 2:
		attrs := map[string]string{}
		for _, kv := range strings.Split(challenge, ",") {
			if len(kv) > 2 {
				attrs[kv[:1]] = kv[2:]
			}
		}
		salt, err := base64.StdEncoding.DecodeString(attrs["s"])
		iterations, err2 := strconv.Atoi(attrs["i"])
		if err != nil || err2 != nil || !strings.HasPrefix(attrs["r"], s.nonce) {
			return "", errors.New("bad server-first message")
		}
		salted := s.salted(salt, iterations)
		clientKey := s.mac(salted, "Client Key")
		h := s.newHash()
		h.Write(clientKey)
		final := "c=biws,r=" + attrs["r"]
		auth := s.clientFirst + "," + challenge + "," + final
		sig := s.mac(h.Sum(nil), auth)
		for i := range sig {
			sig[i] ^= clientKey[i]
		}
		s.serverSignature = s.mac(s.mac(salted, "Server Key"), auth)
		return final + ",p=" + base64.StdEncoding.EncodeToString(sig), nil
	default:
		if challenge != "v="+base64.StdEncoding.EncodeToString(s.serverSignature) {
			return "", errors.New("server signature does not match")
		}
		return "", nil
	}
}

func (s *scramClient) Done() bool { return s.step >= 3 }
