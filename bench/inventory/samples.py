#!/usr/bin/env python3
"""Request paths for the inventory benchmark's per-certificate queries
(bench/inventory/run): random certificates of a filled database (of the tenant
`default`, the one the benchmark's token acts for) by id, by serial, and OCSP requests (RFC 6960 §4.1.1, SHA-1 CertID, no nonce) for
random serials of the CA instance `internal`, each different so that no
answer comes from the responder's cache.

    samples.py --count N --ids FILE --serials FILE --ocsp FILE --template DER \\
               (--sqlite DB | --postgres URL --psql PSQL) [--n 20000]

`--template` is an OCSP request openssl made for the CA (`openssl ocsp
-issuer ca.pem -serial 1 -no_nonce -reqout`): its issuer name and key
hashes are taken from it.
"""
import argparse, base64, random, sqlite3, subprocess, urllib.parse

FILL_ID = "crt_b%010d"  # bench/inventory/fill.py's ids


def der(tag, body):
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        size = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(size)]) + size
    return bytes([tag]) + length + body


def hashes_of(template):
    """The two 20-byte OCTET STRINGs of the template's CertID: name and key hashes."""
    out, i = [], 0
    while len(out) < 2:
        i = template.index(b"\x04\x14", i)
        out.append(template[i + 2:i + 22])
        i += 22
    return out


def ocsp_request(name_hash, key_hash, serial_hex):
    serial = bytes.fromhex(serial_hex).lstrip(b"\x00") or b"\x00"
    if serial[0] & 0x80:
        serial = b"\x00" + serial
    sha1 = der(0x30, der(0x06, bytes.fromhex("2b0e03021a")) + der(0x05, b""))
    cert_id = der(0x30, sha1 + der(0x04, name_hash) + der(0x04, key_hash) + der(0x02, serial))
    return der(0x30, der(0x30, der(0x30, der(0x30, cert_id))))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--n", type=int, default=50000)  # ids drawn; ~40 % are the tenant's
    p.add_argument("--ids", required=True)
    p.add_argument("--serials", required=True)
    p.add_argument("--ocsp", required=True)
    p.add_argument("--template", required=True)
    p.add_argument("--sqlite")
    p.add_argument("--postgres")
    p.add_argument("--psql", default="psql")
    a = p.parse_args()
    random.seed(28)

    def rows_of(ids, tenant_only):
        out = []
        for start in range(0, len(ids), 5000):  # statements of a bounded size
            where = "id IN (%s)" % ", ".join("'%s'" % i for i in ids[start:start + 5000])
            if tenant_only:  # the token's tenant (`default`, 40 % of the fill): another's certificate is a 404 to it
                where += " AND tenant_id = (SELECT id FROM tenants WHERE slug = 'default')"
            else:  # OCSP answers for the CA whatever the tenant
                where += " AND ca = 'internal'"
            sql = "SELECT id, ca, serial FROM certificates WHERE " + where
            if a.sqlite:
                out += sqlite3.connect(a.sqlite).execute(sql).fetchall()
            else:
                text = subprocess.run([a.psql, "-X", "-q", "-t", "-A", "-F", "\t", a.postgres, "-f", "-"], input=sql,
                                      check=True, capture_output=True, text=True).stdout
                out += [tuple(line.split("\t")) for line in text.splitlines() if line]
        random.shuffle(out)
        return out

    draw = lambda n: sorted({FILL_ID % random.randrange(a.count) for _ in range(n)})
    rows = rows_of(draw(a.n), True)
    # More OCSP requests than a run sends, so that none is answered from the
    # responder's cache (a third of the fill is the CA `internal`'s).
    ocsp_rows = rows_of(draw(4 * a.n), False)
    name_hash, key_hash = hashes_of(open(a.template, "rb").read())
    with open(a.ids, "w") as f:
        f.writelines("/v1/certificates/%s\n" % r[0] for r in rows)
    with open(a.serials, "w") as f:
        f.writelines("/v1/certificates?limit=50&serial=%s\n" % r[2] for r in rows)
    with open(a.ocsp, "w") as f:
        for _, ca, serial in ocsp_rows:
            if ca == "internal":
                request = base64.b64encode(ocsp_request(name_hash, key_hash, serial)).decode()
                f.write("/pki/internal/ocsp/%s\n" % urllib.parse.quote(request, safe=""))


if __name__ == "__main__":
    main()
