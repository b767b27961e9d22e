/**
 * The differential corpus: templates rendered by both this engine and the Go
 * oracle, which must agree byte for byte (or both fail). Written for Hush;
 * the ESO-style cases are our own versions of the patterns ESO documents.
 */
import * as fx from './corpus-fixtures.ts';

export interface CorpusCase {
  name?: string;
  template: string;
  /** map[string]string data (what ESO passes). */
  data?: Record<string, string | Uint8Array>;
  /** JSON data instead (decoded as encoding/json would). */
  json?: string;
  left?: string;
  right?: string;
  now?: string;
}

const db = { user: 'admin', password: 'p@ss:w/rd', host: 'db.internal', port: '5432', name: 'app' };
const cfg = { 'config.json': '{"a":1,"b":[true,null,"x"],"c":{"d":"e"}}', list: 'a,b,,c', num: '42', float: '3.75', empty: '', multi: 'line1\nline2\n' };

export const corpus: CorpusCase[] = [
  // --- text, actions, trimming, comments ---
  { template: 'plain text' },
  { template: '' },
  { template: '{{/* comment */}}x{{- /* trimmed */ -}} y' },
  { template: 'a  {{- "b" -}}  c' },
  { template: 'a {{- 3 }} {{ 4 -}} b' },
  { template: '{{"\\"quoted\\"\\t\\u00e9"}}|{{`raw\\n`}}' },
  { template: "{{ 'a' }} {{ '\\n' }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ 1e3 }} {{ 1.5e-7 }} {{ -0.0 }}" },
  { template: '{{ 123456789.0 }} {{ 1e20 }} {{ 1e21 }} {{ 0.0001 }} {{ 0.00001 }} {{ 100000.0 }} {{ 1000000.0 }}' },
  { template: '{{ true }} {{ false }} {{ nil }}' },
  { template: '{{ . }}', data: { a: 'b' } },
  { template: '{{ .user }}:{{ .password }}@{{ .host }}:{{ .port }}/{{ .name }}', data: db },
  { template: '{{ .missing }}', data: db },
  { template: '{{ .user.x }}', data: db },
  { template: '{{ $x := .user }}{{ $x }}{{ $x = "y" }}{{ $x }}', data: db },
  { template: '{{ $ }}', data: { k: 'v' } },
  { template: '{{ with $x := .user }}{{ $x }}{{ . }}{{ end }}', data: db },
  { template: '{{ undefinedFn }}' },
  { template: '{{ .a | }}' },
  { template: '{{ if }}{{ end }}' },
  { template: '{{ end }}' },
  { template: '{{ range .x }}' },
  { template: 'line1\n{{ .nope }}', data: {} },
  { template: '{{ "unterminated }}' },
  { template: '{{ $undefined }}' },
  { template: '{{ 1 | 2 }}' },
  { template: '{{ (1) }} {{ ("x") }} {{ (print 1 2) }}' },
  // --- control flow ---
  { template: '{{ if .user }}yes{{ else }}no{{ end }}', data: db },
  { template: '{{ if .empty }}yes{{ else if .num }}num{{ else }}no{{ end }}', data: cfg },
  { template: '{{ with .empty }}x{{ else with .num }}{{ . }}{{ else }}none{{ end }}', data: cfg },
  { template: '{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}', data: db },
  { template: '{{ range . }}{{ . }},{{ else }}empty{{ end }}', data: {} },
  { template: '{{ range $i, $v := splitList "," .list }}{{ if eq $v "" }}{{ continue }}{{ end }}{{ $i }}:{{ $v }} {{ end }}', data: cfg },
  { template: '{{ range $v := list 1 2 3 4 }}{{ if gt $v 2 }}{{ break }}{{ end }}{{ $v }}{{ end }}' },
  { template: '{{ range 4 }}{{ . }}{{ end }}|{{ range 0 }}x{{ else }}none{{ end }}' },
  { template: '{{ range $i, $e := 3 }}{{ end }}' },
  { template: '{{ range "abc" }}{{ . }}{{ end }}' },
  { template: '{{ break }}' },
  { template: '{{ define "T" }}[{{ . }}]{{ end }}{{ template "T" "x" }}{{ template "T" }}' },
  { template: '{{ block "B" .user }}<{{ . }}>{{ end }}', data: db },
  { template: '{{ template "nope" }}' },
  { template: '{{ define "a" }}A{{ end }}{{ define "a" }}B{{ end }}' },
  { template: '{{ define "rec" }}{{ if gt (len .) 0 }}{{ first . }}{{ template "rec" (rest .) }}{{ end }}{{ end }}{{ template "rec" (list 1 2 3) }}' },
  // --- builtins ---
  { template: '{{ and 1 "x" }} {{ and 0 "x" }} {{ or "" 0 "z" }} {{ or "" 0 }} {{ not "" }} {{ not 1 }}' },
  { template: '{{ and }}' },
  { template: '{{ len .user }} {{ len . }} {{ len (list 1 2) }}', data: db },
  { template: '{{ len 3 }}' },
  { template: '{{ index . "user" }} {{ index (list 1 2 3) 1 }} {{ index "abc" 1 }}', data: db },
  { template: '{{ index (list 1) 5 }}' },
  { template: '{{ index . "nope" }}|', data: db },
  { template: '{{ slice "abcdef" 1 3 }} {{ slice (list 1 2 3) 1 }}' },
  { template: '{{ print 1 2 "a" "b" 3 nil }} {{ println "x" 2 }} {{ print }}' },
  { template: '{{ printf "%s|%q|%v|%d|%5d|%-5d|%05d|%x|%X|%o|%b|%c|%U" "s" "q" 1.5 42 42 42 42 255 255 8 5 65 65 }}' },
  { template: '{{ printf "%.2f|%8.3f|%-8.2f|%e|%E|%g|%G|%.3g|%f" 3.14159 2.71828 1.5 123456.789 0.000123 1e-7 1e21 1234.5678 2.5 }}' },
  { template: '{{ printf "%t|%v|%T|%T|%T" true false 1 "s" 1.0 }}' },
  { template: '{{ printf "%d %s" "x" 5 }} {{ printf "%d" }} {{ printf "x" 1 "y" }} {{ printf "%!" }} {{ printf "%z" 3 }}' },
  { template: '{{ printf "%v|%+v|%#v" (list 1 "a" nil) (dict "k" 1) (list "x") }}' },
  { template: '{{ printf "%q %x % x %#x" "héllo" "hi" "hi" "hi" }}' },
  { template: '{{ printf "%6.2s|%-6s|%06d|%+d|% d|%+.1e" "abcdef" "ab" -42 5 5 12345.678 }}' },
  { template: '{{ printf "%[2]d %[1]d" 1 2 }} {{ printf "%*d" 5 3 }}' },
  { template: '{{ printf "%.0f %.0f %.0f %.1f %.2f" 0.5 1.5 2.5 0.25 1.005 }}' },
  { template: '{{ html "<a href=\\"x\\">&\'</a>" }} {{ js "a\'b\\"c<d>&=\\\\ é\\u2028" }} {{ urlquery "a b&c=d/é" }}' },
  { template: '{{ html 1 "x" }} {{ js 2 }} {{ urlquery nil }}' },
  { template: '{{ eq 1 1 }} {{ eq "a" "b" "a" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2.5 }}' },
  { template: '{{ eq 1 1.0 }}' },
  { template: '{{ lt true false }}' },
  { template: '{{ eq .user "admin" }} {{ eq (len .user) 5 }}', data: db },
  { template: '{{ eq nil nil }}' },
  { template: '{{ call .user }}', data: db },
  // --- strings ---
  { template: '{{ upper .user }} {{ lower "ÀBC" }} {{ title "hello wORLD foo_bar" }} {{ untitle "Hello World" }} {{ trim "  x  " }}', data: db },
  { template: '{{ repeat 3 "ab" }} {{ "ab" | repeat 2 }} {{ substr 1 3 "hello" }} {{ substr -1 2 "hello" }} {{ substr 2 99 "hello" }} {{ trunc 3 "hello" }} {{ trunc -2 "hello" }}' },
  { template: '{{ substr 4 2 "hello" }}' },
  { template: '{{ trimAll "$" "$$5.00$" }} {{ trimSuffix "-x" "a-x" }} {{ trimPrefix "x-" "x-a" }} {{ nospace " a b\\tc " }} {{ initials "John Ronald Tolkien" }}' },
  { template: '{{ abbrev 5 "hello world" }} {{ abbrevboth 5 10 "1234 5678 9123 4567" }} {{ abbrev 3 "hello" }}' },
  { template: '{{ swapcase "Hello World" }} {{ snakecase "FirstName" }} {{ snakecase "HTTPServer2Go" }} {{ camelcase "http_server" }} {{ kebabcase "MyValueX" }} {{ camelcase "_a_b_" }}' },
  { template: '{{ wrap 5 "Hello world foo bar" }}|{{ wrapWith 5 "\\t" "Hello World" }}' },
  { template: '{{ contains "cat" "catch" }} {{ hasPrefix "ca" "cat" }} {{ hasSuffix "at" "cat" }} {{ quote "a" 1 nil "b\\"" }} {{ squote "a" 2 }} {{ cat "a" nil 1 2.5 }}' },
  { template: '{{ indent 2 "a\\nb" }}|{{ nindent 2 "x" }}|{{ replace " " "-" "a b c" }}|{{ plural "one" "many" 1 }} {{ plural "one" "many" 2 }}' },
  { template: '{{ toString 1 }} {{ toString 2.5 }} {{ toString true }} {{ toString nil }} {{ toString (list 1 2) }}' },
  { template: '{{ $p := split "$" "a$b$c" }}{{ $p._0 }} {{ $p._2 }} {{ splitList "," "a,b,c" }} {{ splitn "," 2 "a,b,c" }} {{ splitList "" "héllo" }}' },
  { template: '{{ join "," (list 1 "a" nil 2.5) }} {{ join "-" (splitList "," .list) }} {{ toStrings (list 1 nil "x") }} {{ sortAlpha (list "b" "a" "C") }}', data: cfg },
  { template: '{{ hello }} {{ b64enc "hello" }} {{ b64dec "aGVsbG8=" }} {{ b64dec "aGVsbG8" }} {{ b64dec "a$" }} {{ b32enc "hello" }} {{ b32dec "NBSWY3DP" }} {{ b32dec "NBSWY3D" }}' },
  { template: '{{ .password | b64enc | b64dec }} {{ "aGk=\\naGk=" | b64dec }}', data: db },
  { template: '{{ base "/a/b.txt" }} {{ dir "/a/b.txt" }} {{ clean "a//b/../c/." }} {{ ext "x.tar.gz" }} {{ isAbs "/x" }} {{ osBase "a/" }} {{ clean "/../x" }} {{ dir "x" }}' },
  { template: '{{ sha1sum "x" }} {{ sha256sum "x" }} {{ adler32sum "hello" }}' },
  { template: '{{ sha512sum "x" }}' },
  // --- lists & dicts ---
  { template: '{{ list 1 "a" 2.5 nil true }} {{ tuple }} {{ list }} {{ typeOf (list) }}' },
  { template: '{{ first (list 1 2 3) }} {{ rest (list 1 2 3) }} {{ last (list 1 2 3) }} {{ initial (list 1 2 3) }} {{ rest (list) }} {{ first (list) }}' },
  { template: '{{ append (list 1) 2 }} {{ prepend (list 1) 0 }} {{ reverse (list 1 2 3) }} {{ uniq (list 1 1 "a" "a" 2) }} {{ without (list 1 2 3 2) 2 }}' },
  { template: '{{ has 2 (list 1 2) }} {{ has "x" (list 1 2) }} {{ has 1 nil }} {{ compact (list 0 1 "" "a" nil false) }} {{ concat (list 1) (list 2 3) }}' },
  { template: '{{ slice (list 1 2 3 4) 1 3 }} {{ slice (list 1 2 3) 1 }} {{ slice (list 1 2) }} {{ chunk 2 (list 1 2 3 4 5) }}' },
  { template: '{{ first "abc" }}' },
  { template: '{{ mustFirst 3 }}' },
  { template: '{{ $d := dict "a" 1 "b" "two" "c" }}{{ $d }} {{ $d.a }} {{ get $d "b" }} {{ get $d "zz" }} {{ hasKey $d "c" }} {{ keys $d | sortAlpha }}' },
  { template: '{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $d }} {{ unset $d "a" }} {{ $d }}' },
  { template: '{{ $d := dict "a" 1 "b" 2 "c" 3 }}{{ pick $d "a" "c" }} {{ omit $d "a" }} {{ values (dict "x" 1 "y" 2) | sortAlpha }} {{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) }}' },
  { template: '{{ $a := dict "x" 1 "n" (dict "p" 1) "e" "" }}{{ $b := dict "x" 2 "y" 3 "n" (dict "q" 2) "e" "filled" }}{{ merge $a $b | toJson }}' },
  { template: '{{ $a := dict "x" 1 "n" (dict "p" 1) "f" true }}{{ $b := dict "x" 2 "y" 3 "n" (dict "p" 9) "f" false }}{{ mergeOverwrite $a $b | toJson }}' },
  { template: '{{ dig "a" "b" "def" (dict "a" (dict "b" "found")) }} {{ dig "a" "z" "def" (dict "a" (dict "b" 1)) }}' },
  { template: '{{ get . "user" }}', data: db },
  { template: '{{ deepCopy (dict "a" (list 1 2)) }} {{ deepEqual (list 1 2) (list 1 2) }} {{ deepEqual 1 1.0 }}' },
  // --- defaults & reflection ---
  { template: '{{ default "d" "" }} {{ default "d" "x" }} {{ .empty | default "fallback" }} {{ default "d" 0 }} {{ default "d" (list) }} {{ default "d" }}', data: cfg },
  { template: '{{ empty "" }} {{ empty 0 }} {{ empty (dict) }} {{ empty "x" }} {{ coalesce "" 0 "z" }} {{ all 1 "x" }} {{ all 1 "" }} {{ any "" 0 1 }} {{ ternary "y" "n" true }}' },
  { template: '{{ typeOf 1 }} {{ typeOf 1.5 }} {{ typeOf "s" }} {{ typeOf (dict) }} {{ typeOf (list) }} {{ typeOf . }} {{ typeOf (add 1 2) }} {{ typeOf (splitList "," "a") }} {{ typeOf nil }}', data: db },
  { template: '{{ kindOf 1 }} {{ kindOf "s" }} {{ kindOf (dict) }} {{ kindOf (list) }} {{ kindIs "map" . }} {{ typeIs "int" 1 }} {{ typeIsLike "int" 1 }}', data: db },
  // --- math ---
  { template: '{{ add 1 2 3 }} {{ add1 5 }} {{ sub 5 7 }} {{ div 7 2 }} {{ mod 7 3 }} {{ mul 2 3 4 }} {{ max 1 5 3 }} {{ min 4 2 8 }} {{ biggest 1 9 }}' },
  { template: '{{ add "3" 4.9 true nil }} {{ atoi "12" }} {{ atoi "x" }} {{ int "0x1F" }} {{ int64 "7.0" }} {{ int 3.99 }} {{ float64 "1.5" }} {{ float64 "x" }}' },
  { template: '{{ div 1 0 }}' },
  { template: '{{ addf 1.1 2.2 }} {{ subf 1 0.9 }} {{ mulf 1.1 3 }} {{ divf 10 3 }} {{ add1f 0.1 }} {{ maxf 1 2.5 }} {{ minf 1 -2.5 }}' },
  { template: '{{ ceil 1.2 }} {{ floor 1.8 }} {{ round 2.555 2 }} {{ round 1.5 0 }} {{ round -1.5 0 }} {{ round 1.45 1 0.4 }}' },
  { template: '{{ until 5 }} {{ until -3 }} {{ untilStep 0 10 3 }} {{ seq 5 }} {{ seq 2 5 }} {{ seq 5 2 }} {{ seq 0 2 10 }} {{ seq 1 -1 -3 }}' },
  { template: '{{ toDecimal "777" }} {{ toDecimal 10 }} {{ toDecimal "9" }}' },
  { template: '{{ repeat (add 1 2) "x" }}' },
  { template: '{{ repeat (int (add 1 2)) "x" }}' },
  { template: '{{ .num | atoi | add 1 }} {{ .float | float64 | mulf 2 }}', data: cfg },
  // --- json ---
  { template: '{{ toJson . }}', data: { a: '<b>&"\u2028\n\t\u0001' } },
  { template: '{{ toJson (dict "n" 1 "f" 1.5 "big" 1e21 "small" 0.0000001 "l" (list true nil) "s" "x") }}' },
  { template: '{{ toPrettyJson (dict "a" (list 1 2) "b" (dict) "c" (list)) }}' },
  { template: '{{ toRawJson (dict "html" "<&>") }} {{ toJson (rest (list)) }} {{ toJson (splitList "," "a,b") }}' },
  { template: '{{ $c := fromJson (index . "config.json") }}{{ $c.a }} {{ $c.b }} {{ $c.c.d }} {{ typeOf $c.a }} {{ fromJson "nope" }} {{ toJson (fromJson "[1,{\\"a\\":null}]") }}', data: cfg },
  { template: '{{ mustFromJson "{bad" }}' },
  { template: '{{ (fromJson (index . "config.json")).missing }}', data: cfg },
  // --- ESO documentation style templates (own copies) ---
  { template: '{{ printf "{\\"auths\\":{\\"%s\\":{\\"auth\\":\\"%s\\"}}}" .host (printf "%s:%s" .user .password | b64enc) }}', data: db },
  { template: 'postgres://{{ .user | urlquery }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ .name }}?sslmode=require', data: db },
  { template: '{{- range $k, $v := . }}\n{{ $k | upper | replace "." "_" }}={{ $v | quote }}\n{{- end }}\n', data: cfg },
  { template: '{{ .multi | indent 4 }}\n---\n{{ .multi | trim | nindent 2 }}', data: cfg },
  { template: '[client]\nuser = {{ .user }}\npassword = "{{ .password | replace "\\"" "\\\\\\"" }}"\n', data: db },
  { template: '{{ $cfg := index . "config.json" | fromJson }}{{ range $i, $v := $cfg.b }}{{ $i }}={{ $v }};{{ end }}', data: cfg },
  { template: '{{ .list | splitList "," | compact | join "|" }}', data: cfg },
  { template: '{{ (.user | upper) | printf "%-10s|" }}{{ .port | atoi | printf "%05d" }}', data: db },
  { template: '{{ if and .user (ne .port "") }}{{ .user }}@{{ .host }}{{ end }}', data: db },
  // --- delimiters ---
  { template: '<< .user >> {{ .user }}', data: db, left: '<<', right: '>>' },
  { template: '[[- .host -]] [[/* c */]]', data: db, left: '[[', right: ']]' },
  // --- bytes ---
  { template: '{{ len .bin }} {{ .bin | b64enc }} {{ printf "%x" .bin }} {{ printf "%q" .bin }}', data: { bin: '\u00ff\u0000a' } },
  { template: '{{ upper .s }} {{ len .s }} {{ title .s }} {{ substr 0 2 .s }}', data: { s: 'ßé日本' } },
  { template: '{{ len .k }} {{ .k | b64enc }} {{ printf "%x" .k }} {{ printf "%q" .k }} {{ upper .k }} {{ toJson .k }}', data: { k: new Uint8Array([0xff, 0, 0x61, 0xc3, 0x28, 0x80]) } },
  // --- deterministic crypto ---
  { template: '{{ derivePassword 1 "long" "password" "user" "example.com" }} {{ derivePassword 2 "pin" "p" "u" "s" }} {{ derivePassword 1 "nope" "p" "u" "s" }}' },
  { template: '{{ decryptAES "secretkey" (encryptAES "secretkey" "plaintext") }}|{{ encryptAES "k" "" }}|{{ decryptAES "k" "" }}' },
  { template: '{{ decryptAES "k" "bm90LWJsb2Nrcw==" }}' },
  { template: '{{ sha256sum .password }} {{ .user | sha1sum }} {{ htpasswd "a:b" "x" }}', data: db },
  { template: '{{ (genCA "x" 1) | typeOf }} {{ typeOf (genPrivateKey "ecdsa") }} {{ genPrivateKey "nope" }} {{ len (uuidv4) }} {{ len (randAlphaNum 12) }} {{ len (randBytes 9) }}' },
  { template: '{{ buildCustomCert "bm9wZQ==" "bm9wZQ==" }}' },
  { template: '{{ genSelfSignedCert "x" (list 1) nil 1 }}' },
  // --- regex (Go RE2 syntax) ---
  { template: '{{ regexMatch "^[a-z]+\\d*$" "abc123" }} {{ regexMatch "(?i)^ABC" "abcdef" }} {{ regexMatch "x" "y" }} {{ regexFind "[0-9]+" "ab12cd345" }}' },
  { template: '{{ regexFindAll "a*" "baaac" -1 }} {{ regexFindAll "[0-9]" "a1b2c3" 2 }} {{ regexFindAll "z" "abc" -1 | toJson }}' },
  { template: '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }} {{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }} {{ regexReplaceAll "(?P<first>\\w+) (?P<last>\\w+)" "John Smith" "$last, $first" }}' },
  { template: '{{ regexReplaceAll "a*" "baaac" "-" }} {{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "$1" }} {{ regexReplaceAll "" "abc" "-" }}' },
  { template: '{{ regexSplit "z+" "pizza" -1 }} {{ regexSplit "z+" "pizza" 1 }} {{ regexSplit "" "abc" -1 }} {{ regexSplit "a" "" -1 | len }} {{ regexSplit "x*" "axbc" -1 }}' },
  { template: '{{ regexQuoteMeta "1.5+[x]" }} {{ regexMatch "\\s" "\v" }} {{ regexMatch "^.$" "\r" }} {{ regexMatch "[[:upper:]]" "aB" }} {{ regexFind "\\pL+" "12héllo3" }}' },
  { template: '{{ regexMatch "(?=x)" "x" }}' },
  { template: '{{ mustRegexMatch "(" "x" }}' },
  { template: '{{ regexReplaceAll "(?m)^" "a\nb" "> " }} {{ regexFindAll "(?s)a.b" "a\nb" -1 }} {{ regexFindAll "\\bfoo\\b" "foo foobar foo" -1 }}' },
  // --- ESO helpers ---
  { template: '{{ toYaml (dict "b" (list 1 "two" true) "a" (dict "x" "y") "n" nil "f" 1.5) }}' },
  { template: '{{ $m := fromYaml "a: 1\nb:\n  - x\n  - y\nc: {d: true}" }}{{ $m.a }} {{ $m.b }} {{ $m.c.d }} {{ typeOf $m.a }}' },
  { template: '{{ toYaml . }}', data: { user: 'admin', 'port': '5432' } },
  { template: '{{ filterPEM "CERTIFICATE" .bundle }}|{{ filterPEM "PRIVATE KEY" .bundle }}', data: { bundle: 'junk\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nBAUG\n-----END PRIVATE KEY-----\n' } },
  { template: '{{ filterPEM "CERTIFICATE" "no pem here" }}' },
  { template: '{{ rsaDecrypt "None" "SHA256" "plain" "" }} {{ jwkPublicKeyPem .jwk }}', data: { jwk: '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}' } },
  { template: '{{ jwkPrivateKeyPem .jwk }}', data: { jwk: '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cLNW9ck2_BKYPbsuT1XRzU"}' } },
  { template: '{{ rsaDecrypt "ROT13" "SHA256" "x" "" }}' },
  // --- dates (Go reference-time layouts; Local is UTC as in the oracle; `now` pinned where output shows it) ---
  { template: "{{ now }}|{{ now | date \"2006-01-02 15:04:05 MST Mon Jan _2 3PM .000 -07:00 Z07:00\" }}", now: "2024-05-01T12:03:04.123456789Z" },
  { template: "{{ now }}", now: "2024-05-01T12:03:04.5+02:00" },
  { template: "{{ now | toJson }} {{ typeOf now }} {{ now.Year }} {{ now.Month }} {{ now.Weekday }} {{ now.YearDay }} {{ now.Unix }} {{ now.UnixNano }}", now: "2024-12-31T23:59:59.999Z" },
  { template: "{{ date \"2006-01-02\" 0 }} {{ htmlDate 86400 }} {{ dateInZone \"2006-01-02 15:04 MST -0700\" 1700000000 \"Europe/Berlin\" }} {{ date_in_zone \"15:04 MST\" 1700000000 \"America/New_York\" }} {{ htmlDateInZone 1700000000 \"Asia/Tokyo\" }}" },
  { template: "{{ dateInZone \"15:04 MST\" 1700000000 \"Nope/Zone\" }} {{ dateInZone \"15:04 MST\" 1700000000 \"Asia/Kolkata\" }} {{ dateInZone \"15:04 MST\" 1700000000 \"Asia/Dubai\" }} {{ dateInZone \"15:04 MST\" 1700000000 \"Australia/Sydney\" }} {{ dateInZone \"15:04 MST\" 1700000000 \"Europe/London\" }} {{ dateInZone \"15:04 MST\" 1690000000 \"Europe/London\" }}" },
  { template: "{{ toDate \"2006-01-02\" \"2024-02-29\" }} {{ toDate \"2006-01-02\" \"2023-02-29\" }} {{ mustToDate \"2006-01-02T15:04:05Z07:00\" \"2024-01-01T10:00:00+05:30\" }}" },
  { template: "{{ mustToDate \"2006-01-02\" \"2023-02-29\" }}" },
  { template: "{{ mustToDate \"2006-01-02\" \"x2023\" }}" },
  { template: "{{ mustToDate \"Jan 2, 2006 at 3:04pm (MST)\" \"Feb 3, 2013 at 7:54pm (PST)\" }} {{ toDate \"Mon Jan _2 15:04:05 2006\" \"Sat Mar  7 11:06:39 2015\" }} {{ toDate \"2006-01-02 15:04:05.000\" \"2024-01-01 10:00:00.5\" }}" },
  { template: "{{ mustToDate \"2006-01-02 15:04:05\" \"2024-01-01 10:00:00.123456\" }} {{ toDate \"02/01/06 03:04PM\" \"13/07/99 12:30AM\" }} {{ toDate \"2006.002\" \"2024.060\" }}" },
  { template: "{{ mustToDate \"2006-01-02\" \"2024-01-01 extra\" }}" },
  { template: "{{ mustToDate \"15:04\" \"25:00\" }}" },
  { template: "{{ $t := toDate \"2006-01-02\" \"2024-01-31\" }}{{ dateModify \"1.5h\" $t }} {{ date_modify \"-90m\" $t }} {{ dateModify \"bogus\" $t }} {{ mustDateModify \"24h\" $t | unixEpoch }} {{ $t.AddDate 0 1 0 }}" },
  { template: "{{ mustDateModify \"5d\" now }}", now: "2024-01-01T00:00:00Z" },
  { template: "{{ mustDateModify \"1\" now }}", now: "2024-01-01T00:00:00Z" },
  { template: "{{ must_date_modify \"\" now }}", now: "2024-01-01T00:00:00Z" },
  { template: "{{ duration \"90\" }} {{ duration 90 }} {{ duration \"x\" }} {{ duration \"99999999999999999999\" }} {{ duration \"-3600\" }} {{ duration (int64 86400) }}" },
  { template: "{{ durationRound \"2h10m\" }} {{ durationRound \"-49h\" }} {{ durationRound \"1s\" }} {{ durationRound \"1.5s\" }} {{ durationRound \"800h\" }} {{ durationRound \"9000h\" }} {{ durationRound (int64 61000000000) }} {{ durationRound 5 }}" },
  { template: "{{ $t := toDate \"2006-01-02 15:04:05\" \"2024-03-10 07:08:09\" }}{{ $t.Format \"Monday January 2 2006 03:04:05 pm 002 __2 06 1 2 3 4 5 .999 ,000\" }} {{ $t.Add 1500000000 }} {{ $t.Truncate 3600000000000 }} {{ $t.Round 86400000000000 }}" },
  { template: "{{ $a := toDate \"2006\" \"2020\" }}{{ $b := toDate \"2006\" \"2021\" }}{{ $b.Sub $a }} {{ $a.Before $b }} {{ $a.After $b }} {{ $a.Equal $a }} {{ $a.IsZero }} {{ (toDate \"x\" \"y\").IsZero }} {{ toDate \"x\" \"y\" }}" },
  { template: "{{ toJson (toDate \"2006\" \"2020\") }} {{ printf \"%v|%s\" (toDate \"2006\" \"2020\") (toDate \"2006\" \"2021\") }} {{ (toDate \"2006-01-02\" \"2024-06-01\").UTC }} {{ (toDate \"2006-01-02\" \"2024-06-01\").Local }}" },
  { template: "{{ dateModify \"1h\" \"str\" }}" },
  { template: "{{ unixEpoch now }}", now: "2024-05-01T12:00:00Z" },
  { template: "{{ toDate \"2006-01-02T15:04:05Z07:00\" \"2024-01-01T10:00:00Z\" }} {{ toDate \"2006-01-02T15:04:05Z07:00\" \"2024-01-01T10:00:00+00:00\" }} {{ toDate \"2006-01-02 MST\" \"2024-01-01 PST\" }} {{ toDate \"2006-01-02 MST\" \"2024-01-01 GMT+3\" }} {{ toDate \"2006-01-02 -0700\" \"2024-01-01 -0330\" }}" },
  { template: '{{ $t := toDate "2006-01-02T15:04:05.000000000" "2024-07-04T09:08:07.000000123" }}{{ $t.Format "Jan 2 06 15:04:05.000000 .999999999 ,9 MST" }} {{ $t.Nanosecond }} {{ $t.UnixMilli }} {{ $t.UnixMicro }} {{ $t.Hour }}:{{ $t.Minute }}:{{ $t.Second }} {{ $t.Day }}' },
  { template: '{{ dateInZone "2006-01-02T15:04:05Z07:00 MST" 0 "UTC" }} {{ dateInZone "Z0700 Z07 -07 -070000 -07:00:00" 1700000000 "Asia/Kolkata" }} {{ dateInZone "Z07:00:00" 1700000000 "America/St_Johns" }} {{ dateInZone "MST" 1700000000 "europe/berlin" }} {{ dateInZone "MST" 1700000000 "../etc/passwd" }}' },
  { template: '{{ date "Mon Jan 2 2006" (int64 -86400) }} {{ date "2006" (toDate "2006" "0099") }} {{ date "2006-01-02 15:04 MST" (toDate "2006-01-02 15:04 MST" "2024-03-31 01:30 CET") }} {{ typeOf (toDate "2006" "2024") }} {{ kindOf now }}' },
  { template: '{{ mustToDate "2006-01-02" "2024-13-01" }}' },
  { template: '{{ mustToDate "Jan 2 2006" "Foo 2 2024" }}' },
  { template: '{{ mustToDate "2006-002" "2023-366" }}' },
  { template: '{{ toDate "2006-01-02 __2" "2024-02-03  34" }}|{{ toDate "Monday, 02-Jan-06" "Friday, 01-Mar-24" }}|{{ toDate "3:04:05 PM" "12:00:00 AM" }}|{{ toDate "15:04:05.99" "10:00:00.123456789012" }}' },
  { template: '{{ durationRound "8760h1s" }} {{ durationRound "-1ns" }} {{ durationRound "1h0m1s" }} {{ durationRound "61s" }} {{ durationRound "bogus" }} {{ durationRound (toDate "2006" "2006") | len | lt 0 }}' },
  { template: '{{ $t := toDate "2006-01-02" "2024-01-01" }}{{ dateModify "1.000000001s" $t | unixEpoch }} {{ dateModify "-0.5h" $t }} {{ dateModify "+3h2m1s500ms" $t }} {{ dateModify "1µs" $t }} {{ dateModify ".5m" $t }} {{ dateModify "9223372036854775808ns" $t }}' },
  // --- ESO helpers: certificate chains, SANs, RSA-OAEP, PKCS#12 (fixtures in corpus-fixtures.ts) ---
  { template: '{{ filterCertChain "leaf" .chain }}|{{ filterCertChain "intermediate" .chain }}|{{ filterCertChain "root" .chain }}|{{ filterCertChain "other" .chain }}', data: { chain: fx.root + fx.leaf + fx.intermediate } },
  { template: '{{ filterCertChain "leaf" .c }}|{{ filterCertChain "root" .c }}|{{ filterCertChain "intermediate" .c }}', data: { c: fx.root } },
  { template: '{{ filterCertChain "leaf" .c }}', data: { c: fx.leaf + fx.root } },
  { template: '{{ filterCertChain "leaf" .c }}', data: { c: 'not a pem' } },
  { template: '{{ certSANs .leaf | toJson }} {{ certSANs .root | toJson }} {{ certSANs (print "junk\n" .leaf) | len }}', data: { leaf: fx.leaf, root: fx.root } },
  { template: '{{ certSANs "nope" }}' },
  { template: '{{ rsaDecrypt "RSA-OAEP" "SHA256" (b64dec .c) .k }}|{{ rsaDecrypt "RSA-OAEP" "SHA1" (b64dec .c1) .k }}', data: { c: fx.oaepSha256, c1: fx.oaepSha1, k: fx.rsaKey } },
  { template: '{{ rsaDecrypt "RSA-OAEP" "SHA512" (b64dec .c) .k }}', data: { c: fx.oaepSha256, k: fx.rsaKey } },
  { template: '{{ rsaDecrypt "RSA-OAEP" "SHA256" "x" .k }}', data: { k: fx.leafKey } },
  { template: '{{ .p12 | b64dec | pkcs12keyPass "legacy" }}{{ .p12 | b64dec | pkcs12certPass "legacy" }}', data: { p12: fx.legacyP12 } },
  { template: '{{ .p12 | b64dec | pkcs12keyPass "modern" }}{{ .p12 | b64dec | pkcs12certPass "modern" }}', data: { p12: fx.modernP12 } },
  { template: '{{ .p12 | b64dec | pkcs12keyPass "wrong" }}', data: { p12: fx.modernP12 } },
  { template: '{{ .p12 | b64dec | pkcs12cert }}', data: { p12: fx.legacyP12 } },
  { template: '{{ pkcs12key "not a keystore" }}' },
  { template: '{{ pemToPkcs12 "no pem" .k }}', data: { k: fx.leafKey } },
  { template: '{{ pemToPkcs12Pass .c "no key" "pw" }}', data: { c: fx.leaf } },
  { template: '{{ fullPemToPkcs12 (print .c "trailing junk") .k }}', data: { c: fx.leaf + fx.intermediate, k: fx.leafKey } },
  { template: '{{ pemToPkcs12 .c .k }}', data: { c: fx.leaf, k: fx.root } },
  { template: '{{ pemTruststoreToPKCS12 "junk" }}' },
  { template: '{{ pemToPkcs12Pass .c .k "😀" }}', data: { c: fx.leaf, k: fx.leafKey } },
  ...semverCases(),
];

/**
 * semver/semverCompare against Masterminds/semver v3: every constraint below
 * over every version (one template per constraint), plus parsing and methods.
 */
function semverCases(): CorpusCase[] {
  const versions = ['0.0.0', '0.0.1', '0.1.0', '0.1.1', '0.2.3', '1.0.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0+build.1', '1.2', 'v1.2.3', '1.2.3', '1.2.4', '1.2.4-0', '1.3.0', '1.3.0-rc.1', '1.9.9', '2', '2.0.0', '2.0.0-pre', '2.1.0', '3.0.0', '10.0.0', '1.2.3-x.7.z.92', '1.2.3-01a', 'v2.0', '0.0.2-beta', '4.5.6+meta.data', '18446744073709551615.0.0'];
  const constraints = ['1.2.3', '=1.2.3', '!=1.2.3', '>1.2.3', '<1.2.3', '>=1.2.3', '<=1.2.3', '=>1.2', '=<1.2', '~1.2.3', '~>1.2', '~1', '~0', '^1.2.3', '^0.2.3', '^0.0.1', '^0.0', '^0', '^1.x', '1.x', '1.2.x', '*', 'x', '>= 1.2, < 2.0', '>=1.2 <2', '1.2 - 1.4.5', '1.2.3 - 2', '>1.0.0-alpha', '>=1.0.0-0', '<2.0.0-0', '~1.2.3-beta', '^1.2.3-beta.2', '!=1.x', '!=1.2.x', '>1.x', '>1.2.x', '<=1.x', '<=1.2.x', '>= 1.0, < 1.4 || >= 2.0', '1.x || 3.x', '~2.0.0-pre', '>0.0.0', '<1', '>=0', '!=2.0.0-pre', '^1.0.0-rc.1', '=1.2.3+build', 'v1.2.3', '~v1.2', '>  1.2', ' ^1.2.3 ', '1.2.3,1.2.4', '>1,<3', '!=1.2.3-beta', '>1.2.3-alpha.1', '<=1.2.3-alpha.10', '^0.0.x', '~0.x', '~1.2.x'];
  const badVersions = ['', 'x.y.z', '1.2.3.4', '01.2.3', '1.2.3-', '1.2.3-01', '1.2.3+', '1.2.3-a..b', 'v', '99999999999999999999.0.0', '1.2.3-é', ' 1.2.3'];
  const badConstraints = ['', '>>1', '1.2.3 ||', 'abc', '~', '1.2.3 - ', '>=1.2 <<2', '1 .2', '1.2.3.4', '>=01.2', '1.2.3-01'];
  const out: CorpusCase[] = constraints.map((c) => ({
    template: `{{ range splitList "," .vs }}{{ semverCompare ${JSON.stringify(c)} . }} {{ end }}`,
    data: { vs: versions.join(',') },
  }));
  for (const v of [...versions, ...badVersions]) {
    out.push({
      template: `{{ $v := semver ${JSON.stringify(v)} }}{{ $v }} {{ $v.Major }}.{{ $v.Minor }}.{{ $v.Patch }} {{ $v.Prerelease }} {{ $v.Metadata }} {{ $v.Original }} {{ $v.IncPatch }} {{ $v.IncMinor }} {{ $v.IncMajor }} {{ toJson $v }} {{ typeOf $v }}`,
    });
  }
  for (const c of badConstraints) out.push({ template: `{{ semverCompare ${JSON.stringify(c)} "1.2.3" }}` });
  out.push(
    { template: '{{ $a := semver "1.2.3" }}{{ $b := semver "1.10.0-rc.1" }}{{ $a.LessThan $b }} {{ $a.GreaterThan $b }} {{ $a.Equal $a }} {{ $a.Compare $b }} {{ $b.Compare $a }} {{ printf "%v %s" $a $b }}' },
    { template: '{{ (semver "1.2.3").IncMajor.Original }}' },
    { template: '{{ semverCompare "^1.2" .v }} {{ if semverCompare ">=1.20-0" .v }}new{{ else }}old{{ end }}', data: { v: 'v1.21.3-gke.100' } },
  );
  return out;
}
