//! `mailform costs`: the managed domains' yearly charges from a hand-written live snapshot.

use serde_json::{Value, json};

use crate::snap;
use crate::support::cli::{Cli, Output};

fn managed(id: &str, domain: &str, extra: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n\n    managed-domain {{\n        domain \"{domain}\"\n        from \"noreply@{domain}\"\n{extra}    }}\n}}\n"
    )
}

const SES_LIBRARY: &str = r#"library "springfield" {
    name "Springfield Public Library"
    it-contact "it@springfield-library.example.org"

    ses-domain {
        from "noreply@springfield-library.example.org"
    }
}
"#;

/// ogdenville registered (.com, renewal price), north-haverbrook registering (.net, only a
/// registration price), brockway not yet (.org), cypress-creek under a TLD without a price.
fn live() -> Value {
    json!({
        "version": 1, "taken_at": "2026-11-26T09:00:00Z", "region": "us-east-1", "targets": null,
        "ses": { "account": { "production_access": true, "sending_enabled": true,
                              "max_24_hour_send": null, "max_send_rate": null },
                 "identities": [], "configuration_sets": [] },
        "registrar": {
            "domains": [{
                "name": "ogdenville-library-mail.com", "auto_renew": false, "transfer_lock": true,
                "expiry": "2027-11-20T00:00:00Z", "statuses": ["clientTransferProhibited"],
                "name_servers": [], "tags": {}
            }],
            "operations": [{
                "id": "op-1", "domain": "north-haverbrook-mail.net", "type": "REGISTER_DOMAIN",
                "status": "IN_PROGRESS", "submitted": "2026-11-26T08:00:00Z"
            }],
            "availability": [],
            "prices": [
                { "tld": "com", "registration": 14.0, "renewal": 15.5, "currency": "USD" },
                { "tld": "net", "registration": 12.0, "renewal": null, "currency": "USD" },
                { "tld": "org", "registration": 13.0, "renewal": 13.0, "currency": "USD" }
            ]
        },
        "route53": { "hosted_zones": [] },
        "libraries": []
    })
}

/// The five example libraries under `platform`, with the hand-written live snapshot.
fn estate(platform: &str) -> Cli {
    Cli::with_platform()
        .file("libraries/_platform.kdl", platform)
        .file(
            "libraries/ogdenville.kdl",
            &managed(
                "ogdenville",
                "ogdenville-library-mail.com",
                "        years 2\n",
            ),
        )
        .file(
            "libraries/north-haverbrook.kdl",
            &managed("north-haverbrook", "north-haverbrook-mail.net", ""),
        )
        .file(
            "libraries/brockway.kdl",
            &managed(
                "brockway",
                "brockway-library.org",
                "        auto-renew #false\n",
            ),
        )
        .file(
            "libraries/cypress-creek.kdl",
            &managed("cypress-creek", "cypress-creek-library.info", ""),
        )
        .file("libraries/springfield.kdl", SES_LIBRARY)
        .file("live.json", &serde_json::to_string_pretty(&live()).unwrap())
}

fn run(format: &str) -> Output {
    estate(crate::support::cli::PLATFORM)
        .args(["costs", "--format", format, "--live", "live.json"])
        .run()
}

#[test]
fn table_with_a_total() {
    let out = run("table");
    assert_eq!(out.code, 0, "{}", out.all());
    // 15.50 + 12.00 for the two domains bought; brockway's (13.00) and the unpriced .info
    // domain are not bought yet: listed, never totalled as a charge, and said so.
    assert!(
        out.stdout.contains("Total: 27.50 USD a year for 2 domains")
            && out
                .stdout
                .contains("2 domains not bought yet (not in the total)"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("springfield"),
        "method 1 is not billed"
    );
    snap!("costs", "table", out.stdout);
}

#[test]
fn csv_for_billing() {
    let out = run("csv");
    assert_eq!(out.code, 0, "{}", out.all());
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "library,domain,yearly_amount,currency,price_basis,years,auto_renew,registration,expiry"
    );
    let row = |id: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{id},")))
            .unwrap_or_else(|| panic!("a row for {id}"))
            .to_string()
    };
    assert_eq!(
        row("ogdenville"),
        "ogdenville,ogdenville-library-mail.com,15.50,USD,renewal,2,false,registered,2027-11-20"
    );
    assert_eq!(
        row("north-haverbrook"),
        "north-haverbrook,north-haverbrook-mail.net,12.00,USD,registration,1,true,registering,"
    );
    assert_eq!(
        row("brockway"),
        "brockway,brockway-library.org,13.00,USD,renewal,1,false,not-registered,"
    );
    assert_eq!(
        row("cypress-creek"),
        "cypress-creek,cypress-creek-library.info,,USD,,1,true,not-registered,"
    );
    assert_eq!(lines.len(), 5, "one row per managed domain, no total row");
    snap!("costs", "csv", out.stdout);
}

#[test]
fn no_managed_domains_reads_nothing() {
    // No --live and no AWS: with nothing to price, nothing is read.
    let out = Cli::with_platform()
        .file("libraries/springfield.kdl", SES_LIBRARY)
        .args(["costs"])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains("No library uses a managed domain."),
        "{}",
        out.stdout
    );
}

/// The test platform managing tenants at `price` a tenant a month.
fn platform_with_tenants(price: &str) -> String {
    crate::support::cli::PLATFORM.replacen(
        "platform {\n",
        &format!("platform {{\n    tenants {{\n        price-per-month {price}\n    }}\n"),
        1,
    )
}

#[test]
fn tenants_priced_in_the_platform_file_are_a_monthly_charge() {
    // Each library that sends through SES is a tenant: the four managed-domain libraries and
    // springfield; at half a cent a month, 2.5 cents a month, 30 cents a year.
    let out = estate(&platform_with_tenants("0.005"))
        .args(["costs", "--live", "live.json"])
        .run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout
            .contains("5 tenants x 0.005 USD a month = 0.025 USD a month, 0.30 USD a year"),
        "{}",
        out.stdout
    );
    // springfield alone, at `price`; with no managed domain nothing is read (no AWS here).
    let alone = |price: &str| {
        Cli::with_platform()
            .file("libraries/_platform.kdl", &platform_with_tenants(price))
            .file("libraries/springfield.kdl", SES_LIBRARY)
            .args(["costs"])
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .run()
    };
    let out = alone("0.005");
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains("No library uses a managed domain.")
            && out
                .stdout
                .contains("1 tenant x 0.005 USD a month = 0.005 USD a month, 0.06 USD a year"),
        "{}",
        out.stdout
    );
    // A price finer than a hundredth of a cent is refused where it is written.
    let out = alone("0.00001");
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(
        out.all().contains("_platform.kdl:3:25")
            && out
                .all()
                .contains("is not a price to a hundredth of a cent"),
        "{}",
        out.all()
    );
}
