//! DynamoDB's expressions in the forms the sandbox serves: conditions, key conditions and
//! update expressions, their `#name` and `:value` placeholders resolved, and their effect on an
//! item. Split from `dynamodb.rs` so the operations and the expression language each have a
//! room; `transact.rs` evaluates the same expressions inside a transaction.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

use super::validation;
use crate::sandbox::http::ApiError;
use crate::sandbox::state::Item;

/// One term of a condition, names and values resolved.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Term {
    NotExists(String),
    Exists(String),
    Equals(String, Value),
    /// `p BETWEEN :a AND :b`: key conditions only (the event store's day ranges).
    Between(String, Value, Value),
}

/// Whether every term holds for the item (`None`: no item).
pub(super) fn holds(terms: &[Term], item: Option<&Item>) -> bool {
    terms.iter().all(|term| match term {
        Term::NotExists(name) => item.is_none_or(|i| !i.contains_key(name)),
        Term::Exists(name) => item.is_some_and(|i| i.contains_key(name)),
        Term::Equals(name, value) => item.and_then(|i| i.get(name)) == Some(value),
        // Refused as a write condition by `Expr::condition`'s callers; never reached.
        Term::Between(..) => false,
    })
}

/// The expression placeholders of one request, and which of them were used.
pub(super) struct Expr {
    names: Map<String, Value>,
    values: Map<String, Value>,
    used: BTreeSet<String>,
}

impl Expr {
    pub(super) fn new(body: &Map<String, Value>) -> Result<Expr, ApiError> {
        let map = |key: &str| -> Result<Map<String, Value>, ApiError> {
            match body.get(key) {
                None => Ok(Map::new()),
                Some(Value::Object(m)) if m.is_empty() => {
                    Err(validation(format!("{key} must not be empty")))
                }
                Some(Value::Object(m)) => Ok(m.clone()),
                Some(_) => Err(validation(format!("{key} is not a map"))),
            }
        };
        Ok(Expr {
            names: map("ExpressionAttributeNames")?,
            values: map("ExpressionAttributeValues")?,
            used: BTreeSet::new(),
        })
    }

    /// An attribute name or a `#placeholder`.
    fn path(&mut self, token: &str) -> Result<String, ApiError> {
        if token.starts_with('#') {
            let name = self
                .names
                .get(token)
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    validation(format!(
                        "Value provided in ExpressionAttributeNames unused in expressions or An expression attribute name used in the document path is not defined; attribute name: {token}"
                    ))
                })?
                .to_string();
            self.used.insert(token.to_string());
            Ok(name)
        } else if !token.is_empty()
            && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && token.starts_with(|c: char| c.is_ascii_alphabetic())
        {
            Ok(token.to_string())
        } else {
            Err(validation(format!(
                "Invalid expression: the sandbox serves attribute names and #placeholders, not `{token}`"
            )))
        }
    }

    /// A `:placeholder`.
    fn value(&mut self, token: &str) -> Result<Value, ApiError> {
        if !token.starts_with(':') {
            return Err(validation(format!(
                "Invalid expression: expected a :value, found `{token}`"
            )));
        }
        let value = self.values.get(token).cloned().ok_or_else(|| {
            validation(format!(
                "Invalid expression: An expression attribute value used in expression is not defined; attribute value: {token}"
            ))
        })?;
        self.used.insert(token.to_string());
        Ok(value)
    }

    /// `term AND term …`, each `attribute_not_exists(p)`, `attribute_exists(p)` or `p = :v`.
    pub(super) fn condition(&mut self, text: &str) -> Result<Vec<Term>, ApiError> {
        let tokens = tokenize(text)?;
        let mut terms = Vec::new();
        let mut rest = tokens.as_slice();
        loop {
            let (term, after) = match rest {
                [f, open, p, close, after @ ..]
                    if open == "("
                        && close == ")"
                        && (f == "attribute_not_exists" || f == "attribute_exists") =>
                {
                    let path = self.path(p)?;
                    let term = if f == "attribute_exists" {
                        Term::Exists(path)
                    } else {
                        Term::NotExists(path)
                    };
                    (term, after)
                }
                [p, eq, v, after @ ..] if eq == "=" => {
                    (Term::Equals(self.path(p)?, self.value(v)?), after)
                }
                [p, between, low, and, high, after @ ..]
                    if between.eq_ignore_ascii_case("BETWEEN")
                        && and.eq_ignore_ascii_case("AND") =>
                {
                    let name = self.path(p)?;
                    (
                        Term::Between(name, self.value(low)?, self.value(high)?),
                        after,
                    )
                }
                _ => {
                    return Err(validation(format!(
                        "Invalid ConditionExpression: the sandbox serves attribute_not_exists(p), attribute_exists(p) and p = :v joined by AND, not `{text}`"
                    )));
                }
            };
            terms.push(term);
            match after {
                [] => return Ok(terms),
                [and, more @ ..] if and.eq_ignore_ascii_case("AND") && !more.is_empty() => {
                    rest = more
                }
                _ => {
                    return Err(validation(format!(
                        "Invalid ConditionExpression: the sandbox joins terms with AND only: `{text}`"
                    )));
                }
            }
        }
    }

    /// A write's `ConditionExpression`: as [`Expr::condition`], without `BETWEEN`, which the
    /// sandbox serves in key conditions only.
    pub(super) fn write_condition(&mut self, text: &str) -> Result<Vec<Term>, ApiError> {
        let terms = self.condition(text)?;
        if terms.iter().any(|t| matches!(t, Term::Between(..))) {
            return Err(validation(format!(
                "Invalid ConditionExpression: the sandbox serves BETWEEN in key conditions only: `{text}`"
            )));
        }
        Ok(terms)
    }

    /// `SET p = :v, …` and `ADD q :n, …`, each clause at most once, in either order.
    pub(super) fn update(&mut self, text: &str) -> Result<Vec<Update>, ApiError> {
        let tokens = tokenize(text)?;
        let refuse = || {
            validation(format!(
                "Invalid UpdateExpression: the sandbox serves `SET p = :v, …` and `ADD p :n, …` only, not `{text}`"
            ))
        };
        let mut updates: Vec<Update> = Vec::new();
        let mut clauses: Vec<String> = Vec::new();
        let mut rest: &[String] = tokens.as_slice();
        while let [keyword, after @ ..] = rest {
            let clause = keyword.to_ascii_uppercase();
            if !["SET", "ADD"].contains(&clause.as_str()) {
                return Err(refuse());
            }
            if clauses.contains(&clause) {
                return Err(validation(format!(
                    "Invalid UpdateExpression: The \"{clause}\" section can only be used once in an update expression"
                )));
            }
            clauses.push(clause.clone());
            rest = after;
            loop {
                let (name, value, after) = match (clause.as_str(), rest) {
                    ("SET", [p, eq, v, after @ ..]) if eq == "=" => (p, v, after),
                    ("ADD", [p, v, after @ ..]) => (p, v, after),
                    _ => return Err(refuse()),
                };
                let name = self.path(name)?;
                if updates.iter().any(|u| u.name == name) {
                    return Err(validation(format!(
                        "Invalid UpdateExpression: Two document paths overlap with each other; {name}"
                    )));
                }
                let value = self.value(value)?;
                updates.push(Update {
                    name,
                    add: clause == "ADD",
                    value,
                });
                match after {
                    [comma, more @ ..] if comma == "," => rest = more,
                    _ => {
                        rest = after;
                        break;
                    }
                }
            }
        }
        if updates.is_empty() {
            return Err(refuse());
        }
        Ok(updates)
    }

    /// AWS refuses names and values that no expression uses.
    pub(super) fn all_used(&self) -> Result<(), ApiError> {
        if let Some(name) = self.names.keys().find(|k| !self.used.contains(*k)) {
            return Err(validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{name}}}"
            )));
        }
        if let Some(value) = self.values.keys().find(|k| !self.used.contains(*k)) {
            return Err(validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{value}}}"
            )));
        }
        Ok(())
    }
}

/// One attribute an update expression changes.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Update {
    pub name: String,
    /// `ADD` (a number added to the attribute, which starts at 0 when absent) rather than `SET`.
    pub add: bool,
    pub value: Value,
}

/// Applies `updates` to `item`. `ADD` is served on numbers (`N`) only, and adds integers
/// exactly (a counter's use); a decimal, a set or an attribute of another type is refused.
pub(super) fn apply(item: &mut Item, updates: &[Update]) -> Result<(), ApiError> {
    let integer = |v: &Value| -> Result<i128, ApiError> {
        let n = v.get("N").and_then(Value::as_str).ok_or_else(|| {
            validation(
                "An operand in the update expression has an incorrect data type (the sandbox serves ADD on numbers only)",
            )
        })?;
        n.trim().parse::<i128>().map_err(|_| {
            validation(format!(
                "the sandbox serves ADD on whole numbers only, not {n}"
            ))
        })
    };
    for u in updates {
        let value = if u.add {
            let by = integer(&u.value)?;
            let now = match item.get(&u.name) {
                Some(old) => integer(old)?,
                None => 0,
            };
            serde_json::json!({ "N": (now + by).to_string() })
        } else {
            u.value.clone()
        };
        item.insert(u.name.clone(), value);
    }
    Ok(())
}

/// Words, placeholders, `(`, `)`, `=` and `,`; anything else is refused.
fn tokenize(text: &str) -> Result<Vec<String>, ApiError> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, tokens: &mut Vec<String>| {
        if !current.is_empty() {
            tokens.push(std::mem::take(current));
        }
    };
    for c in text.chars() {
        match c {
            c if c.is_whitespace() => flush(&mut current, &mut tokens),
            '(' | ')' | '=' | ',' => {
                flush(&mut current, &mut tokens);
                tokens.push(c.to_string());
            }
            c if c.is_ascii_alphanumeric() || "_#:".contains(c) => current.push(c),
            c => {
                return Err(validation(format!(
                    "Invalid expression: the sandbox does not serve `{c}` in `{text}`"
                )));
            }
        }
    }
    flush(&mut current, &mut tokens);
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn conditions_of_the_ledger_parse_and_hold() {
        let b = body(json!({
            "ExpressionAttributeNames": { "#s": "state", "#r": "run" },
            "ExpressionAttributeValues": { ":c": { "S": "claimed" }, ":r": { "S": "r1" } },
        }));
        let mut e = Expr::new(&b).unwrap();
        let terms = e.condition("#s = :c AND #r = :r").unwrap();
        e.all_used().unwrap();
        let item = body(json!({ "state": { "S": "claimed" }, "run": { "S": "r1" } }));
        assert!(holds(&terms, Some(&item)));
        let other = body(json!({ "state": { "S": "sent" }, "run": { "S": "r1" } }));
        assert!(!holds(&terms, Some(&other)));
        assert!(!holds(&terms, None));
        let mut e = Expr::new(&Map::new()).unwrap();
        let absent = e.condition("attribute_not_exists(library)").unwrap();
        assert!(holds(&absent, None));
        assert!(!holds(
            &absent,
            Some(&body(json!({ "library": { "S": "a" } })))
        ));
    }

    #[test]
    fn other_forms_are_refused() {
        let b = body(json!({ "ExpressionAttributeValues": { ":v": { "S": "x" } } }));
        for text in [
            "a = :v OR b = :v",
            "a <> :v",
            "begins_with(a, :v)",
            "a = :v AND",
            "(a = :v)",
            "size(a) = :v",
        ] {
            let err = Expr::new(&b).unwrap().condition(text).unwrap_err();
            assert!(err.code.ends_with("ValidationException"), "{text}: {err:?}");
        }
        let mut e = Expr::new(&b).unwrap();
        e.condition("attribute_exists(a)").unwrap();
        assert!(e.all_used().is_err(), "an unused value is refused");
        assert!(Expr::new(&b).unwrap().update("REMOVE a").is_err());
        assert!(Expr::new(&b).unwrap().update("SET a = :v, a = :v").is_err());
        assert!(
            Expr::new(&b)
                .unwrap()
                .update("SET a = :v ADD a :v")
                .is_err()
        );
        assert!(Expr::new(&b).unwrap().update("ADD a = :v").is_err());
    }

    #[test]
    fn add_counts_from_zero_and_refuses_what_is_not_a_whole_number() {
        let b = body(json!({
            "ExpressionAttributeNames": { "#c": "count" },
            "ExpressionAttributeValues": { ":n": { "N": "3" }, ":d": { "S": "550" } },
        }));
        let mut e = Expr::new(&b).unwrap();
        let updates = e.update("SET diagnostic = :d ADD #c :n").unwrap();
        e.all_used().unwrap();
        let mut item = Map::new();
        apply(&mut item, &updates).unwrap();
        apply(&mut item, &updates).unwrap();
        assert_eq!(item["count"], json!({ "N": "6" }));
        assert_eq!(item["diagnostic"], json!({ "S": "550" }));
        let mut e = Expr::new(&b).unwrap();
        let wrong = e.update("ADD diagnostic :d").unwrap();
        assert!(apply(&mut item, &wrong).is_err(), "ADD of a string");
    }
}
