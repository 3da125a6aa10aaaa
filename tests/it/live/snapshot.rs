//! The snapshot file: `--live FILE` reads what `refresh` wrote, and refuses other versions.

use std::path::Path;

use mailform::live::snapshot::{
    self, DkimV1, IdentityV1, LibraryV1, LiveSnapshotV1, ProbeV1, RefreshV1, RegistrarV1,
    Route53V1, SesAccountV1, SesV1, SnapshotError,
};

fn sample() -> LiveSnapshotV1 {
    LiveSnapshotV1 {
        version: snapshot::VERSION,
        taken_at: "2026-11-26T07:00:00Z".into(),
        region: "eu-west-1".into(),
        targets: None,
        ses: SesV1 {
            account: SesAccountV1 {
                production_access: true,
                sending_enabled: true,
                max_24_hour_send: Some(50_000.0),
                max_send_rate: Some(14.0),
                aws_account_id: None,
            },
            identities: vec![IdentityV1 {
                name: "springfield-library.example.org".into(),
                kind: "DOMAIN".into(),
                verification_status: Some("PENDING".into()),
                verified_for_sending: false,
                verification_error: Some("TYPE_NOT_FOUND".into()),
                dkim: Some(DkimV1 {
                    signing_enabled: true,
                    status: Some("PENDING".into()),
                    tokens: vec!["a".into(), "b".into(), "c".into()],
                    signing_hosted_zone: Some("dkim.eu-west-1.amazonses.com".into()),
                    origin: Some("AWS_SES".into()),
                    current_key_length: Some("RSA_2048_BIT".into()),
                    next_key_length: Some("RSA_2048_BIT".into()),
                    last_key_generation: Some("2026-11-25T00:00:00Z".into()),
                }),
                mail_from: None,
                configuration_set: None,
                tags: [("managed-by".to_string(), "mailform".to_string())].into(),
            }],
            configuration_sets: vec!["default".into()],
            tenants: vec![],
            events_set: None,
        },
        registrar: RegistrarV1 {
            domains: vec![],
            operations: vec![],
            availability: vec![],
            prices: vec![],
        },
        route53: Route53V1 {
            hosted_zones: vec![],
        },
        libraries: vec![LibraryV1 {
            id: "shelbyville".into(),
            method: "smtp-account".into(),
            identity: None,
            dns: None,
            smtp_probe: Some(ProbeV1 {
                taken_at: "2026-11-26T07:00:01Z".into(),
                verdict: "pass".into(),
                codes: vec!["smtp::connect::ok".into()],
                certificate_expires: Some("2045-01-01T00:00:00Z".into()),
            }),
            desired: Some("0f".repeat(32)),
            notes: vec![],
        }],
        refresh: Some(RefreshV1 {
            mode: "scoped".into(),
            full_read_at: "2026-11-25T03:00:00Z".into(),
            read_in_depth: vec![],
        }),
    }
}

#[test]
fn written_then_read_is_equal_and_valid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.json");
    snapshot::write(&path, &sample()).unwrap();
    assert_eq!(snapshot::read(&path).unwrap(), sample());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    crate::support::json_schema::assert_valid("live-snapshot.schema.json", &json);
}

#[test]
fn another_version_is_refused_clearly() {
    let path = Path::new("live.json");
    let err = snapshot::parse(path, r#"{"version": 2, "whatever": true}"#).unwrap_err();
    assert!(matches!(err, SnapshotError::Version { found: 2, .. }));
    assert_eq!(
        err.to_string(),
        "live.json is a live snapshot of format version 2, this mailform reads version 1; run `mailform refresh` again"
    );
    let err = snapshot::parse(path, "[]").unwrap_err();
    assert_eq!(
        err.to_string(),
        "live.json is not a live snapshot: it has no numeric `version`"
    );
    let err = snapshot::read(Path::new("/nonexistent/live.json")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot read the live snapshot /nonexistent/live.json")
    );
}
