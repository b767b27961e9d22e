package main

// Shape checks for functions whose output is random by design: the TS engine
// renders, and the oracle confirms with Go's own parsers that the output is
// what Go would accept (a bcrypt hash that matches, a key of the right type,
// a certificate signed by the right CA, a PKCS#12 bundle that opens).

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"

	"golang.org/x/crypto/bcrypt"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"
)

type check struct {
	Kind     string `json:"kind"`
	Hash     string `json:"hash"`
	Password string `json:"password"`
	PEM      string `json:"pem"`
	CA       string `json:"ca"`
	B64      string `json:"b64"`
	Key      string `json:"key"`
	Encoder  string `json:"encoder"`
}

// p12Encoders are the go-pkcs12 encoders a "p12encode" check can use to
// make keystores for the TypeScript reader.
var p12Encoders = map[string]*gopkcs12.Encoder{
	"modern":       gopkcs12.Modern,
	"modern2026":   gopkcs12.Modern2026,
	"legacyRC2":    gopkcs12.LegacyRC2,
	"legacyDES":    gopkcs12.LegacyDES,
	"passwordless": gopkcs12.Passwordless,
}

func runCheck(raw json.RawMessage) any {
	var c check
	if err := json.Unmarshal(raw, &c); err != nil {
		return map[string]any{"error": err.Error()}
	}
	out, err := doCheck(c)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	return out
}

func keyInfo(k any) map[string]any {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return map[string]any{"type": "rsa", "bits": k.N.BitLen(), "valid": k.Validate() == nil}
	case *ecdsa.PrivateKey:
		return map[string]any{"type": "ecdsa", "curve": k.Curve.Params().Name}
	case ed25519.PrivateKey:
		return map[string]any{"type": "ed25519"}
	case *rsa.PublicKey:
		return map[string]any{"type": "rsa-public", "bits": k.N.BitLen()}
	case *ecdsa.PublicKey:
		return map[string]any{"type": "ecdsa-public", "curve": k.Curve.Params().Name}
	case ed25519.PublicKey:
		return map[string]any{"type": "ed25519-public"}
	}
	return map[string]any{"type": "unknown"}
}

func doCheck(c check) (any, error) {
	switch c.Kind {
	case "bcrypt":
		return map[string]any{"match": bcrypt.CompareHashAndPassword([]byte(c.Hash), []byte(c.Password)) == nil}, nil
	case "privkey":
		block, _ := pem.Decode([]byte(c.PEM))
		if block == nil {
			return nil, errors.New("no PEM block")
		}
		info := map[string]any{"pemType": block.Type}
		if block.Type == "DSA PRIVATE KEY" {
			info["type"] = "dsa"
			return info, nil
		}
		if block.Type == "PUBLIC KEY" {
			k, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, err
			}
			for kk, v := range keyInfo(k) {
				info[kk] = v
			}
			return info, nil
		}
		k, err := parseKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		for kk, v := range keyInfo(k) {
			info[kk] = v
		}
		return info, nil
	case "cert":
		block, _ := pem.Decode([]byte(c.PEM))
		if block == nil {
			return nil, errors.New("no PEM block")
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		ips := []string{}
		for _, ip := range cert.IPAddresses {
			ips = append(ips, ip.String())
		}
		info := map[string]any{
			"cn":          cert.Subject.CommonName,
			"issuerCN":    cert.Issuer.CommonName,
			"isCA":        cert.IsCA,
			"dnsNames":    cert.DNSNames,
			"ips":         ips,
			"days":        int(cert.NotAfter.Sub(cert.NotBefore).Hours() / 24),
			"keyUsage":    int(cert.KeyUsage),
			"extKeyUsage": len(cert.ExtKeyUsage),
		}
		if c.CA != "" {
			cb, _ := pem.Decode([]byte(c.CA))
			if cb == nil {
				return nil, errors.New("no CA PEM block")
			}
			ca, err := x509.ParseCertificate(cb.Bytes)
			if err != nil {
				return nil, err
			}
			info["signedByCA"] = cert.CheckSignatureFrom(ca) == nil
		} else {
			// CheckSignature, not CheckSignatureFrom: a self-signed leaf is no CA.
			info["selfSigned"] = cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
		}
		return info, nil
	case "p12encode":
		enc, ok := p12Encoders[c.Encoder]
		if !ok {
			return nil, errors.New("unknown encoder " + c.Encoder)
		}
		certs, err := parseCerts([]byte(c.PEM))
		if err != nil {
			return nil, err
		}
		var pfx []byte
		if c.Key == "" {
			pfx, err = enc.EncodeTrustStore(certs, c.Password)
		} else {
			kb, _ := pem.Decode([]byte(c.Key))
			if kb == nil {
				return nil, errors.New("no key PEM block")
			}
			k, err2 := parseKey(kb.Bytes)
			if err2 != nil {
				return nil, err2
			}
			pfx, err = enc.Encode(k, certs[0], certs[1:], c.Password)
		}
		if err != nil {
			return nil, err
		}
		return map[string]any{"b64": base64.StdEncoding.EncodeToString(pfx)}, nil
	case "pkcs12":
		der, err := base64.StdEncoding.DecodeString(c.B64)
		if err != nil {
			return nil, err
		}
		key, leaf, cas, err := gopkcs12.DecodeChain(der, c.Password)
		if err != nil {
			certs, err2 := gopkcs12.DecodeTrustStore(der, c.Password)
			if err2 != nil {
				return nil, err
			}
			out := []string{}
			for _, ct := range certs {
				out = append(out, encodePEM("CERTIFICATE", ct.Raw))
			}
			return map[string]any{"trustStore": out}, nil
		}
		kd, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		caPEMs := []string{}
		for _, ct := range cas {
			caPEMs = append(caPEMs, encodePEM("CERTIFICATE", ct.Raw))
		}
		return map[string]any{"key": encodePEM("PRIVATE KEY", kd), "cert": encodePEM("CERTIFICATE", leaf.Raw), "cas": caPEMs}, nil
	}
	return nil, errors.New("unknown check kind " + c.Kind)
}
