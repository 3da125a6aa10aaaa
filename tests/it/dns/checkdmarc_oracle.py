"""The oracle of the differential DNS tests: checkdmarc (PyPI, pinned in .ci/run) asked about
each domain given, through a dnspython resolver pointed at the test's Knot server on
127.0.0.1:PORT. Offline: the resolver has no system configuration, and checkdmarc's public
suffix list is the copy its `publicsuffixlist` dependency ships.

Usage: python3 checkdmarc_oracle.py PORT SPF_DOMAIN... -- DMARC_DOMAIN...
Prints one JSON object: {"spf": {domain: {...}}, "dmarc": {domain: {...}}}.
"""

import json
import sys

import dns.resolver

from checkdmarc.dmarc import check_dmarc
from checkdmarc.spf import check_spf


def main() -> None:
    port = int(sys.argv[1])
    rest = sys.argv[2:]
    cut = rest.index("--") if "--" in rest else len(rest)
    spf_domains, dmarc_domains = rest[:cut], rest[cut + 1 :]
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.timeout = 2
    resolver.lifetime = 4
    out = {"spf": {}, "dmarc": {}}
    for domain in spf_domains:
        r = check_spf(domain, resolver=resolver, timeout=2, retries=0)
        out["spf"][domain] = {
            "valid": bool(r.get("valid")),
            "error": r.get("error"),
            "warnings": r.get("warnings", []),
            "lookups": r.get("dns_lookups"),
        }
    for domain in dmarc_domains:
        r = check_dmarc(domain, resolver=resolver, timeout=2, retries=0)
        tags = r.get("tags") or {}
        p = tags.get("p", {}).get("value") if isinstance(tags.get("p"), dict) else None
        out["dmarc"][domain] = {
            "valid": bool(r.get("valid")),
            "location": r.get("location"),
            "p": p,
            "error": r.get("error"),
            "warnings": r.get("warnings", []),
        }
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main()
