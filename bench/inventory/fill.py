#!/usr/bin/env python3
"""Fills a Signet database with realistic certificates, fast, for the
inventory benchmark (bench/inventory/run, docs/BENCHMARKS.md).

It writes rows directly (the schema must exist: run `signet token
bootstrap` on the database first), not through the API: a million
issuances through the pipeline would take an hour and measure issuance, not
the inventory. On SQLite the database's own triggers keep the counts the
overview reads, as they do for certificates the host records. On
PostgreSQL the one COPY transaction would update the same few count rows a
million times, and PostgreSQL keeps every old version of a row until the
transaction ends, so each update walks all the earlier ones (hours): there
the counting triggers are off during the COPY, and the counts are taken
afterwards with the statements migrations 17 and 21 use.

What it makes: tenants of different sizes (default holds 40%); three CA
instances; three profiles; services; renewal chains of one to four
certificates (older ones replaced by newer, expired ones marked expired);
~5% revoked with RFC 5280 reasons, each also in the numbered revocation
list that CRLs (16 shards) and OCSP read; lifetimes of 30, 90 and 365 days spread
over two years; P-256, RSA-2048 and RSA-3072 keys; one to three DNS names
each, all in certificate_names; each CA's chain kept once (migration 22).

    fill.py --sqlite FILE --count N
    fill.py --postgres URL --count N      (through psql COPY)
"""
import argparse, csv, hashlib, json, random, shutil, sqlite3, subprocess, sys, tempfile, time

DAY = 86_400_000
TENANTS = [("default", 0.40), ("acme", 0.25), ("globex", 0.15), ("initech", 0.12), ("umbrella", 0.08)]
CAS = ["internal", "aws", "keyfactor"]
PROFILES = [("web", 90), ("mtls", 30), ("long", 365)]
SERVICES = ["payments", "checkout", "inventory", "search", "billing", "identity", "edge", "reports"]
REASONS = ["key_compromise", "superseded", "cessation_of_operation", "affiliation_changed", "unspecified"]
REASON_CODES = {"unspecified": 0, "key_compromise": 1, "affiliation_changed": 3, "superseded": 4, "cessation_of_operation": 5}
SHARDS = 16  # revocation.crl.shards of the bench host
KEYS = [("ecdsa", 256, 0.70), ("rsa", 2048, 0.25), ("rsa", 3072, 0.05)]
# The size of a real P-256 leaf and its issuing CA in PEM; the listing never reads them.
PEM = "-----BEGIN CERTIFICATE-----\n" + ("MIIB" + "A" * 60 + "\n") * 11 + "-----END CERTIFICATE-----\n"

COLUMNS = ["id", "tenant_id", "request_id", "ca", "serial", "common_name", "sans", "profile", "status", "not_before",
           "not_after", "certificate_pem", "chain_pem", "metadata", "created_at", "revoked_at", "revocation_reason",
           "renews", "renewed_by", "key_sha256", "service", "auto_renew", "renewal_count", "updated_at", "lineage",
           "key_type", "key_bits", "crl_shard", "renewal_attempts", "chain_id"]
# The numbered revocation list CRLs and OCSP read (migration 9).
REVOCATION_COLUMNS = ["seq", "ca", "serial", "certificate_id", "revoked_at", "reason", "not_after", "crl_shard"]
# Each CA's chain, kept once (migration 22): its id is the SHA-256 of the PEM.
CHAIN_ID = hashlib.sha256(PEM.encode()).hexdigest()


def pick(weighted):
    r, total = random.random(), 0.0
    for item in weighted:
        total += item[-1]
        if r < total:
            return item
    return weighted[-1]


def lineages(count, now):
    """Yields (row, names) for `count` certificates, in renewal chains."""
    n = 0
    while n < count:
        tenant = pick(TENANTS)[0]
        ca, (profile, days) = random.choice(CAS), random.choice(PROFILES)
        service = random.choice(SERVICES)
        key_type, key_bits, _ = pick(KEYS)
        length = min(random.choice([1, 1, 2, 2, 3, 4]), count - n)
        # The chain's newest certificate ended in the last month or ends within
        # its own lifetime from now (never a start in the future).
        end = now + random.randint(-30 * DAY, days * DAY)
        first = n
        cn = "%s-%d.%s.example.com" % (service, first, tenant)
        sans = [cn] + ["%s-%d-%d.%s.example.net" % (service, first, k, tenant) for k in range(random.randint(0, 2))]
        for k in range(length):
            i = n + k
            not_after = end - (length - 1 - k) * days * DAY * 2 // 3  # renewed at two thirds of the lifetime
            not_before = not_after - days * DAY
            newest = k == length - 1
            status, revoked_at, reason = "active", None, None
            if random.random() < 0.05 and not_before < now - DAY:
                # Revoked some time between its start and now (a few in the last day).
                revoked_at = random.randint(not_before + 1, min(now, not_after))
                status, reason = "revoked", random.choice(REASONS)
            elif not_after < now - DAY:
                status = "expired"  # the lifecycle job marked it; the last day's are left for it to find
            row = {
                "id": "crt_b%010d" % i, "tenant_id": tenant, "request_id": "req_b%010d" % i, "ca": ca,
                "serial": "%032x" % random.getrandbits(127), "common_name": cn,
                "sans": json.dumps({"dns": sans, "ip": [], "email": [], "uri": []}), "profile": profile,
                "status": status, "not_before": not_before, "not_after": not_after, "certificate_pem": PEM,
                "chain_pem": PEM, "metadata": json.dumps({"requester": "bench", "ticket": "RITM%07d" % i}),
                "created_at": not_before, "revoked_at": revoked_at, "revocation_reason": reason,
                "renews": "crt_b%010d" % (i - 1) if k else None, "renewed_by": None if newest else "crt_b%010d" % (i + 1),
                "key_sha256": "%064x" % random.getrandbits(255), "service": service, "auto_renew": 1,
                "renewal_count": k, "updated_at": revoked_at or not_before, "lineage": "crt_b%010d" % first,
                "key_type": key_type, "key_bits": key_bits, "crl_shard": i % SHARDS, "chain_id": CHAIN_ID,
                "renewal_attempts": 3 if newest and status == "active" and random.random() < 0.002 else 0,
            }
            yield row, sorted({s.lower() for s in sans})
        n += length


def revocation_of(row, seq):
    """The revocations row of a revoked certificate, as the host writes it."""
    return {"seq": seq, "ca": row["ca"], "serial": row["serial"], "certificate_id": row["id"],
            "revoked_at": row["revoked_at"], "reason": REASON_CODES[row["revocation_reason"]],
            "not_after": row["not_after"], "crl_shard": row["crl_shard"]}


def tenant_ids(run_sql):
    return dict(run_sql("SELECT slug, id FROM tenants"))


def fill_sqlite(path, count):
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-2000000")  # 2 GB: the indexes' pages stay in memory while they grow
    ids = tenant_ids(lambda q: db.execute(q).fetchall())
    now = int(time.time() * 1000)
    for slug, _ in TENANTS:
        if slug not in ids:
            ids[slug] = "tnt_bench_" + slug
            db.execute("INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)", (ids[slug], slug, slug.title(), now))
    for ca in CAS:  # one chain per CA, as the host keeps it; SQLite rows keep no copy
        db.execute("INSERT INTO issuing_chains (id, chain_pem, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                   (CHAIN_ID, PEM, now))
    insert = "INSERT INTO certificates (%s) VALUES (%s)" % (", ".join(COLUMNS), ", ".join("?" * len(COLUMNS)))
    revoke = "INSERT INTO revocations (%s) VALUES (%s)" % (", ".join(REVOCATION_COLUMNS), ", ".join("?" * len(REVOCATION_COLUMNS)))
    seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM revocations").fetchone()[0]
    rows, names, revoked = [], [], []

    # Since migration 24 new names wait for the host's background indexer;
    # the fill indexes its own as it goes, as a host that kept up would have.
    queued = db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'certificate_names_to_index'").fetchone()[0]

    def flush():
        db.executemany(insert, rows)
        db.executemany("INSERT INTO certificate_names (tenant_id, name, certificate_id) VALUES (?, ?, ?)", names)
        db.executemany(revoke, revoked)
        if queued:
            db.execute("INSERT INTO certificate_name_grams (name, tenant_id, certificate_id) "
                       "SELECT name, tenant_id, certificate_id FROM certificate_names_to_index ORDER BY seq")
            db.execute("DELETE FROM certificate_names_to_index")
        db.commit()
        rows.clear(), names.clear(), revoked.clear()

    for row, row_names in lineages(count, now):
        row["tenant_id"] = ids[row["tenant_id"]]
        row["chain_pem"] = ""
        rows.append([row[c] for c in COLUMNS])
        names.extend((row["tenant_id"], n, row["id"]) for n in row_names)
        if row["revoked_at"] is not None:
            seq += 1
            revoked.append([revocation_of(row, seq)[c] for c in REVOCATION_COLUMNS])
        if len(rows) >= 20000:
            flush()
    flush()
    db.execute("ANALYZE")
    db.commit()


# The counts the triggers keep (host/src/db/certificate_counts.cpp), taken
# again over every certificate, the ones already there included.
RECOUNT = """
DELETE FROM certificate_counts;
DELETE FROM certificate_expiry_weeks;
DELETE FROM certificate_expiry_days;
INSERT INTO certificate_counts (tenant_id, ca, status, replaced, n)
  SELECT tenant_id, ca, status, CASE WHEN renewed_by IS NULL THEN 0 ELSE 1 END, COUNT(*) FROM certificates
  GROUP BY tenant_id, ca, status, CASE WHEN renewed_by IS NULL THEN 0 ELSE 1 END;
INSERT INTO certificate_expiry_weeks (tenant_id, ca, week, n)
  SELECT tenant_id, ca, not_after / 604800000, COUNT(*) FROM certificates
  WHERE status = 'active' AND renewed_by IS NULL GROUP BY tenant_id, ca, not_after / 604800000;
INSERT INTO certificate_expiry_days (tenant_id, ca, day, n)
  SELECT tenant_id, ca, not_after / 86400000, COUNT(*) FROM certificates
  WHERE status = 'active' AND renewed_by IS NULL GROUP BY tenant_id, ca, not_after / 86400000;
"""


def fill_postgres(url, count, psql):
    def query(sql):
        out = subprocess.run([psql, "-X", "-q", "-t", "-A", "-F", "\t", url, "-c", sql], check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]
    ids = tenant_ids(query)
    now = int(time.time() * 1000)
    for slug, _ in TENANTS:
        if slug not in ids:
            ids[slug] = "tnt_bench_" + slug
            query("INSERT INTO tenants (id, slug, name, created_at) VALUES ('%s', '%s', '%s', %d)" % (ids[slug], slug, slug.title(), now))
    copy = subprocess.Popen([psql, "-X", "-q", url, "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE, text=True)
    # Streamed: certificates straight into COPY as they are made, names to a
    # temporary file for the second COPY (in memory, ten million certificates
    # would need some 25 GB). One line ending throughout: COPY reads "\." on
    # a line of its own as the end.
    seq = int(query("SELECT COALESCE(MAX(seq), 0) FROM revocations")[0][0])
    with tempfile.TemporaryFile("w+", newline="") as names, tempfile.TemporaryFile("w+", newline="") as revoked:
        cw, nw = csv.writer(copy.stdin, lineterminator="\n"), csv.writer(names, lineterminator="\n")
        rw = csv.writer(revoked, lineterminator="\n")
        copy.stdin.write("BEGIN;\nALTER TABLE certificates DISABLE TRIGGER USER;\n")
        # One chain per CA as the host keeps it; the rows keep their copy too on
        # PostgreSQL in this release, as the host writes them (rolling upgrades).
        copy.stdin.write("INSERT INTO issuing_chains (id, chain_pem, created_at) VALUES ('%s', '%s', %d) "
                         "ON CONFLICT DO NOTHING;\n" % (CHAIN_ID, PEM, now))
        copy.stdin.write("COPY certificates (%s) FROM STDIN WITH (FORMAT csv, NULL '\\N');\n" % ", ".join(COLUMNS))
        for row, row_names in lineages(count, now):
            row["tenant_id"] = ids[row["tenant_id"]]
            cw.writerow(["\\N" if row[c] is None else row[c] for c in COLUMNS])
            nw.writerows((row["tenant_id"], n, row["id"]) for n in row_names)
            if row["revoked_at"] is not None:
                seq += 1
                rw.writerow([revocation_of(row, seq)[c] for c in REVOCATION_COLUMNS])
        copy.stdin.write("\\.\n")
        copy.stdin.write("ALTER TABLE certificates ENABLE TRIGGER USER;\n" + RECOUNT)
        copy.stdin.write("COPY certificate_names (tenant_id, name, certificate_id) FROM STDIN WITH (FORMAT csv);\n")
        names.seek(0)
        shutil.copyfileobj(names, copy.stdin)
        copy.stdin.write("\\.\nCOPY revocations (%s) FROM STDIN WITH (FORMAT csv);\n" % ", ".join(REVOCATION_COLUMNS))
        revoked.seek(0)
        shutil.copyfileobj(revoked, copy.stdin)
        # VACUUM as autovacuum would have long since on a database this size:
        # it sets the visibility map that index-only scans need.
        copy.stdin.write("\\.\nCOMMIT;\nVACUUM ANALYZE;\n")
    copy.stdin.close()
    if copy.wait() != 0:
        sys.exit("fill.py: psql COPY failed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite")
    parser.add_argument("--postgres")
    parser.add_argument("--psql", default="psql")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=26)
    args = parser.parse_args()
    random.seed(args.seed)
    started = time.time()
    if args.sqlite:
        fill_sqlite(args.sqlite, args.count)
    elif args.postgres:
        fill_postgres(args.postgres, args.count, args.psql)
    else:
        parser.error("give --sqlite FILE or --postgres URL")
    print("fill.py: %d certificates in %.0f s" % (args.count, time.time() - started), file=sys.stderr)


if __name__ == "__main__":
    main()
