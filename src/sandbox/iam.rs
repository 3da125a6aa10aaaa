//! An IAM identity policy the sandbox can enforce, so a test runs the real binary with exactly
//! the permissions a role's policy file grants (`.github/iam/*.json`) and sees AWS's refusal of
//! anything else.
//!
//! The subset of IAM's policy language our policies use, evaluated as AWS documents it: `Allow`
//! and `Deny` statements, `Action` with `*` and `?` wildcards (case-insensitive), `Resource` as
//! `*` or an ARN pattern, and the condition operators `StringEquals` and `StringLike` with their
//! `ForAllValues:`/`ForAnyValue:` set forms, over the Route 53 record-set condition keys. What
//! the sandbox cannot evaluate (another condition key, another operator, a resource whose ARN it
//! does not know) never grants: an unknown makes the statement not apply, so the sandbox errs
//! towards refusing, as a test of least privilege should.

use serde_json::Value;

/// One request as IAM sees it: the actions it needs, its resource, its condition keys.
#[derive(Debug, Clone, Default)]
pub struct AuthRequest {
    /// `service:Action`; a few API operations need more than their own action (see
    /// [`actions_for`]).
    pub actions: Vec<String>,
    /// The resource's ARN where the sandbox knows it.
    pub resource: Option<String>,
    /// Multivalued condition keys and their values, e.g.
    /// `route53:ChangeResourceRecordSetsRecordTypes` → `["CNAME"]`.
    pub context: Vec<(String, Vec<String>)>,
}

/// The IAM actions an API operation needs, from AWS's Service Authorization Reference:
/// `CreateEmailIdentity` with tags is also `ses:TagResource`; `RegisterDomain` creates the
/// hosted zone as the caller (`route53:CreateHostedZone`). `sts:GetCallerIdentity` needs no
/// permission at all.
pub fn actions_for(prefix: &str, operation: &str, tagged: bool) -> Vec<String> {
    let mut out = Vec::new();
    if prefix == "sts" && operation == "GetCallerIdentity" {
        return out;
    }
    // SQS authorises a batch call as the single call it batches.
    let action = match (prefix, operation) {
        ("sqs", "DeleteMessageBatch") => "DeleteMessage",
        ("sqs", "SendMessageBatch") => "SendMessage",
        _ => operation,
    };
    out.push(format!("{prefix}:{action}"));
    match (prefix, operation) {
        ("ses", "CreateEmailIdentity") if tagged => out.push("ses:TagResource".into()),
        ("route53domains", "RegisterDomain") => out.push("route53:CreateHostedZone".into()),
        _ => {}
    }
    out
}

/// Whether `policy` allows every action of `request`; `Err` names the first action refused.
pub fn authorize(policy: &Value, request: &AuthRequest) -> Result<(), String> {
    let statements: Vec<&Value> = match &policy["Statement"] {
        Value::Array(list) => list.iter().collect(),
        one @ Value::Object(_) => vec![one],
        _ => Vec::new(),
    };
    for action in &request.actions {
        let applies = |s: &&Value| {
            matches_any(&s["Action"], action, false)
                && resource_matches(&s["Resource"], request.resource.as_deref())
                && conditions_hold(&s["Condition"], &request.context)
        };
        let effect = |e: &str| statements.iter().filter(|s| s["Effect"] == e).any(&applies);
        let (denied, allowed) = (effect("Deny"), effect("Allow"));
        if denied || !allowed {
            return Err(action.clone());
        }
    }
    Ok(())
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn matches_any(patterns: &Value, value: &str, case_sensitive: bool) -> bool {
    strings(patterns)
        .iter()
        .any(|p| glob(p, value, case_sensitive))
}

fn resource_matches(patterns: &Value, arn: Option<&str>) -> bool {
    strings(patterns).iter().any(|p| match arn {
        _ if *p == "*" => true,
        Some(arn) => glob(p, arn, true),
        None => false,
    })
}

/// Every operator block must hold (AND); within one, every key (AND); a key's values are
/// alternatives (OR), as IAM evaluates them.
fn conditions_hold(condition: &Value, context: &[(String, Vec<String>)]) -> bool {
    let Value::Object(blocks) = condition else {
        return condition.is_null();
    };
    blocks.iter().all(|(operator, keys)| {
        let Value::Object(keys) = keys else {
            return false;
        };
        keys.iter().all(|(key, wanted)| {
            let wanted = strings(wanted);
            let Some((_, values)) = context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))
            else {
                // An absent key: only ForAllValues holds (vacuously), as in IAM.
                return operator.starts_with("ForAllValues:");
            };
            let (set, op) = match operator.split_once(':') {
                Some((set, op)) => (Some(set), op),
                None => (None, operator.as_str()),
            };
            let one = |v: &str| match op {
                "StringEquals" => wanted.contains(&v),
                "StringLike" => wanted.iter().any(|w| glob(w, v, true)),
                _ => false,
            };
            match set {
                Some("ForAllValues") => values.iter().all(|v| one(v)),
                Some("ForAnyValue") => values.iter().any(|v| one(v)),
                // A single-valued operator on a multivalued key: IAM compares one value.
                None => values.len() == 1 && one(&values[0]),
                Some(_) => false,
            }
        })
    })
}

/// IAM's wildcard match: `*` any run, `?` one character.
fn glob(pattern: &str, value: &str, case_sensitive: bool) -> bool {
    let fold = |s: &str| {
        if case_sensitive {
            s.chars().collect::<Vec<_>>()
        } else {
            s.to_lowercase().chars().collect()
        }
    };
    let (p, v) = (fold(pattern), fold(value));
    // Iterative matching with one backtrack point: linear in practice, no recursion.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < v.len() {
        if i < p.len() && (p[i] == '?' || p[i] == v[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

/// A record name as Route 53's condition keys carry it: lower case, no trailing dot, and every
/// character but `a-z0-9-_.` as a three-digit octal escape (`*` is `\052`).
pub fn normalized_record_name(name: &str) -> String {
    let name = unescape_route53(name.trim_end_matches('.'));
    let mut out = String::new();
    for b in name.to_ascii_lowercase().bytes() {
        if b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.') {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\{b:03o}"));
        }
    }
    out
}

/// Route 53 accepts names with octal escapes already in them: read them back to bytes first.
fn unescape_route53(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|c| (b'0'..=b'7').contains(c))
        {
            let code =
                (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(code);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn records(actions: &[&str], names: &[&str], types: &[&str]) -> AuthRequest {
        AuthRequest {
            actions: vec!["route53:ChangeResourceRecordSets".into()],
            resource: Some("arn:aws:route53:::hostedzone/Z1".into()),
            context: vec![
                (
                    "route53:ChangeResourceRecordSetsActions".into(),
                    actions.iter().map(|s| s.to_string()).collect(),
                ),
                (
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames".into(),
                    names.iter().map(|s| normalized_record_name(s)).collect(),
                ),
                (
                    "route53:ChangeResourceRecordSetsRecordTypes".into(),
                    types.iter().map(|s| s.to_string()).collect(),
                ),
            ],
        }
    }

    fn policy() -> Value {
        json!({"Statement": [
            {"Effect": "Allow", "Action": ["ses:Get*", "route53domains:ListPrices"], "Resource": "*"},
            {"Effect": "Allow", "Action": "route53:ChangeResourceRecordSets", "Resource": "arn:aws:route53:::hostedzone/*",
             "Condition": {
                "ForAllValues:StringEquals": {
                    "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
                    "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME"]},
                "ForAllValues:StringLike": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["*._domainkey.*"]}}},
            {"Effect": "Deny", "Action": "ses:GetAccount", "Resource": "*"}
        ]})
    }

    #[test]
    fn actions_match_with_wildcards_and_deny_wins() {
        let ask = |a: &str| AuthRequest {
            actions: vec![a.into()],
            ..AuthRequest::default()
        };
        assert!(authorize(&policy(), &ask("ses:GetEmailIdentity")).is_ok());
        assert!(authorize(&policy(), &ask("SES:getemailidentity")).is_ok());
        assert!(authorize(&policy(), &ask("ses:CreateEmailIdentity")).is_err());
        assert_eq!(
            authorize(&policy(), &ask("ses:GetAccount")),
            Err("ses:GetAccount".into())
        );
    }

    #[test]
    fn record_changes_are_held_to_the_conditions() {
        let p = policy();
        let ok = records(
            &["UPSERT"],
            &["Tok1._domainkey.Mail.Example.org."],
            &["CNAME"],
        );
        assert!(authorize(&p, &ok).is_ok());
        for bad in [
            records(&["DELETE"], &["t._domainkey.example.org"], &["CNAME"]),
            records(&["UPSERT"], &["example.org."], &["CNAME"]),
            records(&["UPSERT"], &["t._domainkey.example.org"], &["TXT"]),
            records(
                &["UPSERT", "UPSERT"],
                &["t._domainkey.example.org", "www.example.org"],
                &["CNAME"],
            ),
            records(&["UPSERT"], &["t.domainkey.example.org"], &["CNAME"]),
        ] {
            assert!(authorize(&p, &bad).is_err(), "{bad:?}");
        }
        // No resource known: a statement with an ARN pattern does not apply.
        let mut unknown = ok.clone();
        unknown.resource = None;
        assert!(authorize(&p, &unknown).is_err());
        // A condition key the request does not carry, under a single-valued operator: refused.
        let mut missing = ok;
        missing.context.clear();
        let strict = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"route53:ChangeResourceRecordSetsActions": "UPSERT"}}}]});
        assert!(authorize(&strict, &missing).is_err());
    }

    #[test]
    fn names_are_normalized_as_route53_documents() {
        assert_eq!(
            normalized_record_name("*.Example.ORG."),
            "\\052.example.org"
        );
        assert_eq!(
            normalized_record_name("\\052.example.org"),
            "\\052.example.org"
        );
        assert_eq!(normalized_record_name("a b.example"), "a\\040b.example");
    }

    #[test]
    fn glob_is_iams() {
        assert!(glob("*._domainkey.*", "x._domainkey.example.org", true));
        assert!(!glob("*._domainkey.*", "x.domainkey.example.org", true));
        assert!(glob("a?c", "abc", true));
        assert!(!glob("a?c", "ac", true));
        assert!(glob("*", "", true));
        assert!(!glob("A*", "a", true));
        assert!(glob("A*", "a", false));
    }
}
