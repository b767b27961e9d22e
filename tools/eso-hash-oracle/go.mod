// Test-only oracle for src/controllers/externalsecret/hash.ts: ESO's hashes
// computed the way ESO computes them, with Go's own fmt and crypto/sha3.
module hush.dev/tools/eso-hash-oracle

go 1.26.0
