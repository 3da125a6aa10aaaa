//! `mailform import` through the binary, against a sandbox estate of 20 SES identities and 5
//! registered domains: half made by mailform's own apply for libraries whose files are then
//! gone, half made by hand without mailform's tags (one domain tagged by another team, which
//! import leaves alone). The files import writes are canonical and valid, but hold placeholders
//! for what live state cannot know (the IT contact, the outgoing address), which `plan`
//! refuses; once the operator writes the answers, the plan over them changes only the adopted
//! resources' ownership tags. A second import overwrites nothing.

use std::collections::BTreeSet;

use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use aws_sdk_sesv2::types::Tag;

use crate::apply::{World, cli, registered_with_tags};
use crate::support::cli::{Cli, Output};
use crate::support::estate::{FAST, QUICK_RETRIES, sandbox_flags};
use crate::support::sandbox as harness;

/// A method-1 library file as an operator would have written it.
fn ses_library(id: &str, extra: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id}\"\n    it-contact \"it@{id}.example.org\"\n\n    ses-domain {{\n        from \"notices@{id}.example.org\"\n{extra}    }}\n}}\n"
    )
}

fn managed_library(id: &str, domain: &str, extra: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id}\"\n    it-contact \"it@{id}.example.org\"\n\n    managed-domain {{\n        domain \"{domain}\"\n        from \"notices@{domain}\"\n{extra}    }}\n}}\n"
    )
}

/// An identity made by hand in the console: no tags of mailform's.
async fn by_hand(world: &World, domain: &str, tags: &[(&str, &str)]) {
    harness::ses(&world.sandbox)
        .create_email_identity()
        .email_identity(domain)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap())
                .collect(),
        ))
        .send()
        .await
        .unwrap();
}

/// Writes the DKIM CNAMEs of `domain`'s identity into its hosted zone, as whoever made it did.
async fn dkim_in_zone(world: &World, domain: &str) {
    let identity = harness::ses(&world.sandbox)
        .get_email_identity()
        .email_identity(domain)
        .send()
        .await
        .unwrap();
    let dkim = identity.dkim_attributes().unwrap();
    let signing = dkim.signing_hosted_zone().unwrap().to_string();
    let route53 = harness::route53(&world.sandbox);
    let zones = route53.list_hosted_zones().send().await.unwrap();
    let zone = zones
        .hosted_zones()
        .iter()
        .find(|z| z.name().trim_end_matches('.') == domain)
        .expect("registration made a hosted zone");
    let changes = dkim
        .tokens()
        .iter()
        .map(|token| {
            Change::builder()
                .action(ChangeAction::Upsert)
                .resource_record_set(
                    ResourceRecordSet::builder()
                        .name(format!("{token}._domainkey.{domain}"))
                        .r#type(RrType::Cname)
                        .ttl(1800)
                        .resource_records(
                            ResourceRecord::builder()
                                .value(format!("{token}.{signing}"))
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        })
        .collect();
    route53
        .change_resource_record_sets()
        .hosted_zone_id(zone.id())
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// `mailform import` against the test's sandbox (import takes no `--today`).
fn import(world: &World, cli: &Cli, extra: &[&str]) -> Output {
    let mut args = vec!["import".to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(sandbox_flags(&world.sandbox));
    args.extend(FAST.iter().chain(QUICK_RETRIES).map(|s| s.to_string()));
    Cli::reuse(cli, args).run()
}

/// An offline command in the test's directory.
fn offline(cli: &Cli, args: &[&str]) -> Output {
    Cli::reuse(cli, args.iter().map(|s| s.to_string()).collect()).run()
}

fn library_files(cli: &Cli) -> BTreeSet<String> {
    std::fs::read_dir(cli.path().join("libraries"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "_platform.kdl")
        .collect()
}

#[tokio::test]
async fn an_estate_imports_to_valid_canonical_files_whose_plan_only_adopts() {
    let world = World::new();
    world.sandbox.create_configuration_set("library-notices");

    // Made by mailform: 7 method-1 libraries and 3 managed domains, applied from files that are
    // then lost.
    let mailform = |id: &'static str| [("managed-by", "mailform"), ("library", id)];
    for (id, domain) in [
        ("managed-1", "managed-1-mail.org"),
        ("managed-2", "managed-2-mail.org"),
        ("managed-3", "managed-3-mail.org"),
    ] {
        registered_with_tags(&world, domain, &mailform(id)).await;
    }
    let mut cli = cli();
    let mut made_by_mailform = Vec::new();
    for i in 1..=7 {
        let id = format!("lib-{i}");
        let extra = match i {
            1 => "        configuration-set \"library-notices\"\n",
            2 => "        dkim-key-length 1024\n",
            _ => "",
        };
        cli = cli.file(&format!("libraries/{id}.kdl"), &ses_library(&id, extra));
        made_by_mailform.push(id);
    }
    for i in 1..=3 {
        let id = format!("managed-{i}");
        let extra = if i == 3 {
            "        auto-renew #false\n"
        } else {
            ""
        };
        cli = cli.file(
            &format!("libraries/{id}.kdl"),
            &managed_library(&id, &format!("{id}-mail.org"), extra),
        );
        made_by_mailform.push(id);
    }
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    for id in &made_by_mailform {
        std::fs::remove_file(cli.path().join(format!("libraries/{id}.kdl"))).unwrap();
    }

    // Made by hand: 8 identities (one with a custom MAIL FROM, one tagged by another team) and
    // 2 registered domains with their identities and DKIM records.
    for i in 1..=8 {
        let domain = format!("byhand-{i}.example.net");
        let tags: &[(&str, &str)] = if i == 2 { &[("team", "web")] } else { &[] };
        by_hand(&world, &domain, tags).await;
        if i == 1 {
            harness::ses(&world.sandbox)
                .put_email_identity_mail_from_attributes()
                .email_identity(&domain)
                .mail_from_domain(format!("bounce.{domain}"))
                .send()
                .await
                .unwrap();
        }
    }
    for (domain, tags) in [
        ("console-1-mail.org", &[("owner", "marketing")][..]),
        ("console-2-mail.org", &[][..]),
    ] {
        registered_with_tags(&world, domain, tags).await;
        by_hand(&world, domain, &[]).await;
        dkim_in_zone(&world, domain).await;
    }
    let listed = harness::ses(&world.sandbox)
        .list_email_identities()
        .send()
        .await
        .unwrap();
    assert_eq!(listed.email_identities().len(), 20);

    let imported = import(&world, &cli, &[]);
    assert_eq!(imported.code, 0, "{}", imported.all());
    let mut expected: BTreeSet<String> = made_by_mailform
        .iter()
        .map(|id| format!("{id}.kdl"))
        .collect();
    expected.extend((1..=8).map(|i| format!("byhand-{i}-example-net.kdl")));
    // console-1 is tagged `owner=marketing`: another team's, neither adopted nor re-tagged.
    expected.insert("console-2-mail-org.kdl".into());
    assert_eq!(library_files(&cli), expected, "{}", imported.stdout);
    assert!(
        imported
            .stdout
            .contains("Import: 19 written, 0 refused (exist already), 0 failed, 2 left.\n")
            && imported.stdout.contains(
                "left domain console-1-mail.org: tagged `owner=marketing`: another team's, neither adopted nor re-tagged"
            )
            && imported.stdout.contains(
                "left ses-identity console-1-mail.org: tagged `owner=marketing`"
            )
            && imported
                .stdout
                .contains("run `mailform notify --record-only`"),
        "{}",
        imported.stdout
    );

    // What live state said is in the files; what it could not say is marked.
    let lib1 = cli.read("libraries/lib-1.kdl");
    assert!(
        lib1.contains("configuration-set \"library-notices\""),
        "{lib1}"
    );
    assert!(!lib1.contains("adopt"), "{lib1}");
    let lib2 = cli.read("libraries/lib-2.kdl");
    assert!(lib2.contains("dkim-key-length 1024"), "{lib2}");
    let managed3 = cli.read("libraries/managed-3.kdl");
    assert!(
        managed3.contains("domain \"managed-3-mail.org\"")
            && managed3.contains("auto-renew #false"),
        "{managed3}"
    );
    let byhand1 = cli.read("libraries/byhand-1-example-net.kdl");
    assert!(
        byhand1.contains("mail-from \"bounce.byhand-1.example.net\"")
            && byhand1.contains("adopt #true")
            && byhand1.contains("// TODO(operator): the library's IT contact")
            && byhand1.contains("it-contact \"it@byhand-1.example.net.invalid\"")
            && byhand1.contains("from \"noreply@byhand-1.example.net.invalid\""),
        "{byhand1}"
    );
    let console2 = cli.read("libraries/console-2-mail-org.kdl");
    assert!(
        console2.contains("managed-domain {") && console2.contains("adopt #true"),
        "{console2}"
    );
    crate::snap!("import", "report", imported.stdout.clone());
    crate::snap!("import", "adopted-identity", byhand1);
    crate::snap!("import", "adopted-domain", console2);

    // Valid and canonical, each guess a placeholder: nothing would mail a guessed address.
    let validate = offline(&cli, &["validate"]);
    assert_eq!(validate.code, 0, "{}", validate.all());
    assert_eq!(
        validate.all().matches("config::placeholder").count(),
        19 * 2,
        "an IT contact and an outgoing address in each file: {}",
        validate.all()
    );
    let fmt = offline(&cli, &["fmt", "--check"]);
    assert_eq!(fmt.code, 0, "{}", fmt.all());
    let refused = world.run(&cli, &["plan"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused
            .stderr
            .contains("38 placeholders are left from `mailform new` or `mailform import`"),
        "{}",
        refused.stderr
    );

    // The operator writes the library's answers (here: the addresses on each real domain).
    for file in &expected {
        let path = format!("libraries/{file}");
        let answered = cli.read(&path).replace(".invalid\"", "\"");
        std::fs::write(cli.path().join(&path), answered).unwrap();
    }
    let validate = offline(&cli, &["validate", "--deny-warnings"]);
    assert_eq!(validate.code, 0, "{}", validate.all());

    // The plan changes the ownership tags of what was made by hand, and nothing else.
    let plan = world.run(&cli, &["plan", "--format", "json"]);
    assert!(plan.code == 0, "{}", plan.all());
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let mut changed = BTreeSet::new();
    for library in plan["libraries"].as_array().unwrap() {
        for key in ["changes", "deletions", "blocked"] {
            for change in library[key].as_array().into_iter().flatten() {
                let names: Vec<&str> = change["attributes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["name"].as_str().unwrap())
                    .collect();
                assert_eq!(key, "changes", "{change}");
                assert_eq!(change["op"], "update", "{change}");
                assert_eq!(names, ["tags"], "{change}");
                changed.insert(format!(
                    "{} {}",
                    change["kind"].as_str().unwrap(),
                    change["name"].as_str().unwrap()
                ));
            }
        }
    }
    let mut adopted: BTreeSet<String> = (1..=8)
        .map(|i| format!("ses-identity byhand-{i}.example.net"))
        .collect();
    adopted.insert("ses-identity console-2-mail.org".into());
    adopted.insert("domain-tags console-2-mail.org".into());
    assert_eq!(changed, adopted, "console-1 is never re-tagged");

    // Again, as if no file declared them (a libraries directory with the platform file alone):
    // every file exists already, and none is touched.
    let before: Vec<String> = expected
        .iter()
        .map(|f| cli.read(&format!("libraries/{f}")))
        .collect();
    std::fs::create_dir(cli.path().join("fresh")).unwrap();
    std::fs::copy(
        cli.path().join("libraries/_platform.kdl"),
        cli.path().join("fresh/_platform.kdl"),
    )
    .unwrap();
    let again = import(
        &world,
        &cli,
        &["--libraries", "fresh", "--out", "libraries"],
    );
    assert_eq!(again.code, 1, "{}", again.all());
    assert!(
        again
            .stdout
            .contains("Import: 0 written, 19 refused (exist already), 0 failed, 2 left.\n"),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stdout
            .contains("refused libraries/lib-1.kdl: the file exists; import never overwrites one"),
        "{}",
        again.stdout
    );
    // Into the directory that declares them: nothing to write, each said so.
    let declared = import(&world, &cli, &[]);
    assert_eq!(declared.code, 0, "{}", declared.all());
    assert!(
        declared.stdout.contains("left ses-identity byhand-1.example.net: library `byhand-1-example-net` declares it already")
            && declared.stdout.contains("Import: 0 written, 0 refused (exist already), 0 failed, 21 left.\n"),
        "{}",
        declared.stdout
    );
    let after: Vec<String> = expected
        .iter()
        .map(|f| cli.read(&format!("libraries/{f}")))
        .collect();
    assert_eq!(before, after);
    assert_eq!(library_files(&cli), expected);
}

#[tokio::test]
async fn a_tenant_imports_with_the_library_its_tags_name_and_another_teams_is_left_out() {
    use crate::apply::tenants::{ses_library, tenants_cli};
    let world = World::new();
    let cli = tenants_cli().file(
        "libraries/springfield.kdl",
        &ses_library(
            "springfield",
            "            reputation-policy \"strict\"\n            sending \"paused\"\n            suppression \"tenant\"\n",
        ),
    );
    let apply = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    // The file is lost; another team has a tenant of its own.
    std::fs::remove_file(cli.path().join("libraries/springfield.kdl")).unwrap();
    harness::ses(&world.sandbox)
        .create_tenant()
        .tenant_name("ogdenville")
        .tags(Tag::builder().key("team").value("billing").build().unwrap())
        .send()
        .await
        .unwrap();

    let out = import(&world, &cli, &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.all().contains("ogdenville") && out.all().contains("never adopted"),
        "{}",
        out.all()
    );
    let text = std::fs::read_to_string(cli.path().join("libraries/springfield.kdl")).unwrap();
    assert!(
        text.contains("        tenant {\n            reputation-policy \"strict\"\n"),
        "{text}"
    );
    assert!(
        text.contains("            sending \"paused\"\n            suppression \"tenant\"\n"),
        "{text}"
    );
    assert_eq!(
        library_files(&cli),
        BTreeSet::from(["springfield.kdl".to_string()])
    );
    let valid = offline(&cli, &["validate"]);
    assert_eq!(valid.code, 0, "{}", valid.all());
    // The operator answers the placeholders (plan refuses them), as after any import.
    let answered = text.replace(".invalid\"", "\"");
    std::fs::write(cli.path().join("libraries/springfield.kdl"), answered).unwrap();
    // The plan over the imported file keeps the tenant as it is: no tenant change, and the
    // other team's tenant is only listed.
    let plan = world.run(&cli, &["plan"]);
    assert!(
        !plan.stdout.contains("ses-tenant springfield"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("ses-tenant ogdenville"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("ses::tenant-paused-by-file"),
        "{}",
        plan.stdout
    );
}
