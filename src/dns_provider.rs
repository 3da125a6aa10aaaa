//! The library's DNS provider, recognised from its zone's NS records, and how that provider's
//! record form wants the records entered. Pure.
//!
//! The table lives in one data file, `src/dns_providers.kdl` (embedded at build time), so adding
//! a provider or correcting its wording touches no code; each entry cites the provider's page.
//! An unrecognised provider is `None`: callers keep their general wording.

use std::sync::OnceLock;

use kdl::{KdlDocument, KdlNode};

/// The table as shipped.
const TABLE: &str = include_str!("dns_providers.kdl");

/// One provider and its record form, in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsProvider {
    /// Stable id, e.g. `cloudflare`.
    pub id: String,
    /// As the provider calls itself, e.g. `Cloudflare`.
    pub name: String,
    /// Patterns of its name server hosts; `*` stands for any run of characters.
    pub ns: Vec<String>,
    /// The form's name field, and what to enter there.
    pub host_field: (String, String),
    /// The form's field for the CNAME target, where documented.
    pub value_field: Option<String>,
    /// The setting to choose for the CNAMEs, where the provider proxies.
    pub proxy: Option<String>,
    /// The TTL choice, in the form's words.
    pub ttl: String,
    /// The page the wording comes from.
    pub source: Option<String>,
}

impl DnsProvider {
    /// How to fill in the form, as one sentence-like line per field.
    pub fn form(&self) -> Vec<String> {
        let (field, what) = &self.host_field;
        let mut out = vec![format!("{field}: {what}")];
        if let Some(value) = &self.value_field {
            out.push(format!("{value}: the value exactly as listed"));
        }
        if let Some(proxy) = &self.proxy {
            out.push(proxy.clone());
        }
        out.push(format!("TTL: {}", self.ttl));
        out
    }

    /// The form in one line, for a plan's remedy.
    pub fn form_line(&self) -> String {
        self.form().join("; ")
    }
}

/// The shipped table, parsed once.
pub fn providers() -> &'static [DnsProvider] {
    static PARSED: OnceLock<Vec<DnsProvider>> = OnceLock::new();
    PARSED.get_or_init(|| {
        // The file is part of the build; a test parses it, so this cannot fail in a release.
        parse(TABLE).unwrap_or_else(|e| panic!("src/dns_providers.kdl: {e}"))
    })
}

/// The provider whose patterns match most of the zone's name server hosts; `None` when none
/// matches (an unknown provider, or a library's own name servers).
pub fn detect<S: AsRef<str>>(name_servers: &[S]) -> Option<&'static DnsProvider> {
    detect_in(providers(), name_servers)
}

fn detect_in<'a, S: AsRef<str>>(
    table: &'a [DnsProvider],
    name_servers: &[S],
) -> Option<&'a DnsProvider> {
    let hosts: Vec<String> = name_servers
        .iter()
        .map(|h| h.as_ref().trim_end_matches('.').to_ascii_lowercase())
        .collect();
    table
        .iter()
        .map(|p| {
            let hits = hosts
                .iter()
                .filter(|h| p.ns.iter().any(|pat| glob(pat, h)))
                .count();
            (hits, p)
        })
        .filter(|(hits, _)| *hits > 0)
        // The first of the best: `max_by_key` would take the last on a tie.
        .fold(
            None,
            |best: Option<(usize, &DnsProvider)>, (hits, p)| match best {
                Some((b, _)) if b >= hits => best,
                _ => Some((hits, p)),
            },
        )
        .map(|(_, p)| p)
}

/// `*` matches any run of characters (dots included); everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let Some((first, rest)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let Some(mut tail) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('*').collect();
    let (last, middle) = parts.split_last().expect("split yields at least one part");
    for part in middle {
        match tail.find(part) {
            Some(at) => tail = &tail[at + part.len()..],
            None => return false,
        }
    }
    tail.len() >= last.len() && tail.ends_with(last)
}

/// Parses the table; the error names the provider and what is wrong.
fn parse(text: &str) -> Result<Vec<DnsProvider>, String> {
    let doc: KdlDocument = text.parse().map_err(|e| format!("does not parse: {e}"))?;
    doc.nodes()
        .iter()
        .map(|node| {
            if node.name().value() != "provider" {
                return Err(format!("unexpected node `{}`", node.name().value()));
            }
            let id = arg(node, 0).ok_or("a provider without an id")?;
            let children = node
                .children()
                .ok_or_else(|| format!("provider {id} has no fields"))?;
            let one = |field: &str, at: usize| {
                children
                    .get(field)
                    .and_then(|n| arg(n, at))
                    .map(str::to_string)
            };
            let need = |field: &str, at: usize| {
                one(field, at).ok_or_else(|| format!("provider {id} lacks `{field}`"))
            };
            let ns: Vec<String> = children
                .nodes()
                .iter()
                .filter(|n| n.name().value() == "ns")
                .flat_map(|n| n.entries().iter().filter_map(|e| e.value().as_string()))
                .map(str::to_ascii_lowercase)
                .collect();
            if ns.is_empty() {
                return Err(format!("provider {id} has no `ns` pattern"));
            }
            Ok(DnsProvider {
                id: id.to_string(),
                name: need("name", 0)?,
                ns,
                host_field: (need("host-field", 0)?, need("host-field", 1)?),
                value_field: one("value-field", 0),
                proxy: one("proxy", 0),
                ttl: need("ttl", 0)?,
                source: one("source", 0),
            })
        })
        .collect()
}

fn arg(node: &KdlNode, at: usize) -> Option<&str> {
    node.entries()
        .iter()
        .filter(|e| e.name().is_none())
        .nth(at)
        .and_then(|e| e.value().as_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(hosts: &[&str]) -> Option<&'static str> {
        detect(hosts).map(|p| p.id.as_str())
    }

    #[test]
    fn the_table_parses_and_every_provider_has_a_form() {
        let table = providers();
        assert_eq!(table.len(), 8);
        for p in table {
            assert!(p.form().iter().any(|l| l.starts_with("TTL: ")), "{p:?}");
        }
    }

    #[test]
    fn cloudflare() {
        assert_eq!(
            detected(&["ada.ns.cloudflare.com", "bob.ns.cloudflare.com."]),
            Some("cloudflare")
        );
        let p = detect(&["ada.ns.cloudflare.com"]).unwrap();
        assert!(p.form_line().contains("DNS only (grey cloud)"));
        assert!(p.form_line().contains("TTL: Auto"));
    }

    #[test]
    fn godaddy() {
        assert_eq!(
            detected(&["ns43.domaincontrol.com", "ns44.domaincontrol.com"]),
            Some("godaddy")
        );
        assert!(
            detect(&["ns43.domaincontrol.com"])
                .unwrap()
                .form_line()
                .contains("1 Hour")
        );
    }

    #[test]
    fn namecheap() {
        assert_eq!(
            detected(&["dns1.registrar-servers.com", "dns2.registrar-servers.com"]),
            Some("namecheap")
        );
        assert!(
            detect(&["dns1.registrar-servers.com"])
                .unwrap()
                .form_line()
                .contains("Automatic")
        );
    }

    #[test]
    fn route53() {
        assert_eq!(
            detected(&[
                "ns-1234.awsdns-56.org",
                "ns-789.awsdns-01.net",
                "ns-1900.awsdns-12.co.uk",
                "ns-42.awsdns-05.com",
            ]),
            Some("route53")
        );
    }

    #[test]
    fn azure_dns() {
        assert_eq!(
            detected(&[
                "ns1-01.azure-dns.com",
                "ns2-01.azure-dns.net",
                "ns3-01.azure-dns.org"
            ]),
            Some("azure")
        );
    }

    #[test]
    fn google_cloud_dns() {
        assert_eq!(
            detected(&[
                "ns-cloud-a1.googledomains.com",
                "ns-cloud-a2.googledomains.com"
            ]),
            Some("google")
        );
    }

    #[test]
    fn network_solutions() {
        assert_eq!(
            detected(&["ns13.worldnic.com", "ns14.worldnic.com"]),
            Some("network-solutions")
        );
    }

    #[test]
    fn ionos() {
        assert_eq!(
            detected(&["ns1045.ui-dns.com", "ns1109.ui-dns.de", "ns1041.ui-dns.biz"]),
            Some("ionos")
        );
    }

    #[test]
    fn unknown_name_servers_are_no_provider() {
        assert_eq!(
            detected(&["ns1.springfield-library.example.org", "ns.example.net"]),
            None
        );
        assert_eq!(detected(&[]), None);
        // A look-alike is not the provider: the pattern is anchored at both ends.
        assert_eq!(detected(&["ns.cloudflare.com.evil.example"]), None);
    }

    #[test]
    fn the_provider_with_most_hosts_wins() {
        assert_eq!(
            detected(&[
                "ns43.domaincontrol.com",
                "ada.ns.cloudflare.com",
                "bob.ns.cloudflare.com"
            ]),
            Some("cloudflare")
        );
    }

    #[test]
    fn globs() {
        assert!(glob("ns-*.awsdns-*", "ns-1.awsdns-2.co.uk"));
        assert!(!glob("ns-*.awsdns-*", "xns-1.awsdns-2.com"));
        assert!(glob("*.ns.cloudflare.com", "a.ns.cloudflare.com"));
        assert!(!glob("*.ns.cloudflare.com", "ns.cloudflare.com"));
        assert!(glob("exact.example", "exact.example"));
    }

    #[test]
    fn a_broken_table_names_what_is_wrong() {
        let err = parse("provider \"x\" { name \"X\"\n ttl \"Auto\" }").unwrap_err();
        assert!(err.contains("provider x"), "{err}");
    }
}
