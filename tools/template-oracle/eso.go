package main

// ESO's template helpers, re-implemented from their documented behaviour so
// the oracle covers the same function names as ESO's engine.

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"sigs.k8s.io/yaml"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"
)

func esoFuncs() map[string]any {
	return map[string]any{
		"pkcs12key":                 func(in string) (string, error) { return p12Key("", in) },
		"pkcs12keyPass":             p12Key,
		"pkcs12cert":                func(in string) (string, error) { return p12Cert("", in) },
		"pkcs12certPass":            p12Cert,
		"pemToPkcs12":               func(cert, key string) (string, error) { return pemToP12(cert, key, "", false) },
		"pemToPkcs12Pass":           func(cert, key, pass string) (string, error) { return pemToP12(cert, key, pass, false) },
		"fullPemToPkcs12":           func(cert, key string) (string, error) { return pemToP12(cert, key, "", true) },
		"fullPemToPkcs12Pass":       func(cert, key, pass string) (string, error) { return pemToP12(cert, key, pass, true) },
		"pemTruststoreToPKCS12":     func(cert string) (string, error) { return trustStore(cert, "") },
		"pemTruststoreToPKCS12Pass": trustStore,
		"filterPEM":                 filterPEM,
		"filterCertChain":           filterCertChain,
		"certSANs":                  certSANs,
		"jwkPublicKeyPem":           jwkPublic,
		"jwkPrivateKeyPem":          jwkPrivate,
		"toYaml":                    toYAML,
		"fromYaml":                  fromYAML,
		"rsaDecrypt":                rsaDecrypt,
	}
}

func encodePEM(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func p12Key(pass, in string) (string, error) {
	key, _, _, err := gopkcs12.DecodeChain([]byte(in), pass)
	if err != nil {
		return "", fmt.Errorf("unable to decode pkcs12 with password: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return encodePEM("PRIVATE KEY", der), nil
}

func p12Cert(pass, in string) (string, error) {
	_, leaf, cas, err := gopkcs12.DecodeChain([]byte(in), pass)
	if err != nil {
		return "", fmt.Errorf("unable to decode pkcs12 certificate with password: %s", err)
	}
	var all bytes.Buffer
	all.WriteString(encodePEM("CERTIFICATE", leaf.Raw))
	for _, c := range cas {
		all.WriteString(encodePEM("CERTIFICATE", c.Raw))
	}
	ordered, err := orderChain(all.Bytes())
	if err != nil {
		return all.String(), nil
	}
	var out bytes.Buffer
	for _, c := range ordered {
		out.WriteString(encodePEM("CERTIFICATE", c.Raw))
	}
	return out.String(), nil
}

func parseKey(der []byte) (any, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("unable to parse private key type")
}

// parseCerts mirrors ESO's parseCaCerts: a missing PEM block is a nil
// dereference there, and text/template reports the panic; so does this.
func parseCerts(data []byte) ([]*x509.Certificate, error) {
	out := make([]*x509.Certificate, 0)
	for len(data) > 0 {
		block, rest := pem.Decode(data)
		data = rest
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func pemToP12(cert, key, pass string, full bool) (string, error) {
	block, rest := pem.Decode([]byte(cert))
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", err
	}
	var cas []*x509.Certificate
	if full {
		if cas, err = parseCerts(rest); err != nil {
			return "", err
		}
	}
	kb, _ := pem.Decode([]byte(key))
	k, err := parseKey(kb.Bytes)
	if err != nil {
		return "", err
	}
	pfx, err := gopkcs12.Modern.Encode(k, leaf, cas, pass)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(pfx), nil
}

func trustStore(cert, pass string) (string, error) {
	cas, err := parseCerts([]byte(cert))
	if err != nil {
		return "", err
	}
	pfx, err := gopkcs12.Modern.EncodeTrustStore(cas, pass)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(pfx), nil
}

func trimToFirstBlock(in string) string {
	if i := strings.Index(in, "-----BEGIN"); i >= 0 {
		return in[i:]
	}
	return in
}

func filterPEM(typ, in string) (string, error) {
	data := []byte(trimToFirstBlock(in))
	var out []byte
	var rest []byte
	for {
		var block *pem.Block
		block, rest = pem.Decode(data)
		data = rest
		if block == nil {
			break
		}
		if strings.EqualFold(block.Type, typ) {
			out = append(out, pem.EncodeToMemory(block)...)
		}
	}
	if len(out) == 0 && len(rest) != 0 {
		return "", errors.New("error filtering pem: found junk")
	}
	return string(out), nil
}

// orderChain sorts certificates leaf → intermediates → root by key identifiers.
func orderChain(data []byte) ([]*x509.Certificate, error) {
	type link struct {
		cert     *x509.Certificate
		parent   int
		isParent bool
	}
	var links []*link
	for {
		block, rest := pem.Decode(data)
		data = rest
		if block == nil {
			break
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		links = append(links, &link{cert: c, parent: -1})
	}
	for i := range links {
		for j := range links {
			if i != j && bytes.Equal(links[i].cert.AuthorityKeyId, links[j].cert.SubjectKeyId) {
				links[j].isParent = true
				links[i].parent = j
				break
			}
		}
	}
	leaf := -1
	for i, l := range links {
		if !l.isParent {
			if leaf >= 0 {
				return nil, errors.New("found multiple leaf or disjunct certificates")
			}
			leaf = i
		}
	}
	if leaf < 0 {
		return nil, errors.New("no leaf certificate found")
	}
	var out []*x509.Certificate
	for n := leaf; n >= 0; n = links[n].parent {
		if len(out) >= len(links) {
			return nil, errors.New("constructing chain resulted in cycle")
		}
		out = append(out, links[n].cert)
	}
	return out, nil
}

func isRoot(c *x509.Certificate) bool {
	return c.AuthorityKeyId == nil || bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId)
}

func filterCertChain(kind, in string) (string, error) {
	chain, err := orderChain([]byte(in))
	if err != nil {
		return "", err
	}
	switch kind {
	case "leaf":
		c := chain[0]
		if c.AuthorityKeyId != nil && !bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId) {
			return encodePEM("CERTIFICATE", c.Raw), nil
		}
	case "intermediate":
		if len(chain) < 2 {
			return "", nil
		}
		var out strings.Builder
		for _, c := range chain[1:] {
			if isRoot(c) {
				break
			}
			out.WriteString(encodePEM("CERTIFICATE", c.Raw))
		}
		return out.String(), nil
	case "root":
		c := chain[len(chain)-1]
		if isRoot(c) {
			return encodePEM("CERTIFICATE", c.Raw), nil
		}
	}
	return "", nil
}

func certSANs(in string) ([]string, error) {
	block, _ := pem.Decode([]byte(trimToFirstBlock(in)))
	if block == nil {
		return nil, errors.New("failed to decode PEM block")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("failed to parse certificate: %w", err)
	}
	out := make([]string, 0)
	out = append(out, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	out = append(out, c.EmailAddresses...)
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return out, nil
}

func jwkPublic(in string) (string, error) {
	k, err := jwk.ParseKey([]byte(in))
	if err != nil {
		return "", err
	}
	var raw any
	if err := k.Raw(&raw); err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(raw)
	if err != nil {
		return "", err
	}
	return encodePEM("PUBLIC KEY", der), nil
}

func jwkPrivate(in string) (string, error) {
	k, err := jwk.ParseKey([]byte(in))
	if err != nil {
		return "", err
	}
	var raw any
	if err := k.Raw(&raw); err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(raw)
	if err != nil {
		return "", err
	}
	return encodePEM("PRIVATE KEY", der), nil
}

func toYAML(v any) string {
	out, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func fromYAML(in string) map[string]any {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(in), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func oaepHash(name string) hash.Hash {
	switch name {
	case "SHA1":
		return crypto.SHA1.New()
	case "SHA512":
		return sha512.New()
	}
	return sha256.New()
}

func rsaDecrypt(scheme, hashName, in, key string) (string, error) {
	switch scheme {
	case "None":
		return in, nil
	case "RSA-OAEP":
		block, _ := pem.Decode([]byte(key))
		if block == nil {
			return "", errors.New("failed to decode PEM block")
		}
		k, err := parseKey(block.Bytes)
		if err != nil {
			return "", fmt.Errorf("could not parse private key: %v", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return "", errors.New("could not parse RSA private key")
		}
		out, err := rsa.DecryptOAEP(oaepHash(hashName), nil, rk, []byte(in), nil)
		if err != nil {
			return "", fmt.Errorf("error decrypting data with RSA: %v", err)
		}
		return string(out), nil
	}
	return "", fmt.Errorf("decryption scheme %v is not supported", scheme)
}
