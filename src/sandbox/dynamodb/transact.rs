//! `TransactWriteItems`: up to 100 `Put`, `Update`, `Delete` and `ConditionCheck` actions,
//! all applied or none, as the event store writes a batch of records with their rollup
//! counters (`src/events/dynamo.rs`).
//!
//! As AWS: the request is validated whole first (a bad action, an unknown table, or two
//! actions on one item refuse it with `ValidationException` or `ResourceNotFoundException`);
//! then every action's condition is checked against the table as it is, and when one fails
//! nothing is written and the answer is `TransactionCanceledException` with
//! `CancellationReasons` in the order of the actions (`ConditionalCheckFailed`, with the item
//! when `ReturnValuesOnConditionCheckFailure` is `ALL_OLD`; `None` for the others). The
//! sandbox serves one request at a time, so a `TransactionConflict` never arises from two
//! callers here; `ClientRequestToken` (which the SDK always sends) is accepted, but a repeat
//! is evaluated afresh rather than answered from memory: a repeated batch of conditional puts
//! is then cancelled, an outcome the event store treats as "already written" either way.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::expr::{self, Expr, holds};
use super::{
    UNSUPPORTED, check_attribute_values, not_found, object, on_failure_values, text, validation,
};
use crate::sandbox::http::ApiError;
use crate::sandbox::state::{DynamoTable, Item};

/// AWS's limit of actions in one transaction.
const MAX_ACTIONS: usize = 100;
const KINDS: [&str; 4] = ["Put", "Update", "Delete", "ConditionCheck"];

/// One action, checked: where it writes and what the item becomes.
struct Action {
    table: String,
    key: (String, String),
    /// A failed condition's reason carries the item.
    all_old: bool,
    condition: Option<Vec<expr::Term>>,
    change: Change,
}

enum Change {
    Put(Item),
    Update {
        key_item: Item,
        updates: Vec<expr::Update>,
    },
    Delete,
    Check,
}

pub(super) fn write(
    tables: &mut BTreeMap<String, DynamoTable>,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    for (name, allowed) in [
        ("ReturnConsumedCapacity", "NONE"),
        ("ReturnItemCollectionMetrics", "NONE"),
    ] {
        if let Some(v) = body.get(name).and_then(Value::as_str)
            && v != allowed
        {
            return Err(validation(format!(
                "the sandbox serves {name} {allowed} only, not {v}"
            )));
        }
    }
    let items = body
        .get("TransactItems")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            validation("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null")
        })?;
    if !(1..=MAX_ACTIONS).contains(&items.len()) {
        return Err(validation(format!(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to {MAX_ACTIONS} and at least 1 (got {})",
            items.len()
        )));
    }
    let mut actions = Vec::with_capacity(items.len());
    for element in items {
        let action = parse(tables, element)?;
        if actions
            .iter()
            .any(|a: &Action| a.table == action.table && a.key == action.key)
        {
            return Err(validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
        actions.push(action);
    }
    // Every condition against the table as it is, and every item as it would become.
    let mut reasons = Vec::with_capacity(actions.len());
    let mut results: Vec<Option<Item>> = Vec::with_capacity(actions.len());
    let mut cancelled = false;
    for action in &actions {
        let old = tables.get(&action.table).and_then(|t| t.get(&action.key));
        if let Some(condition) = &action.condition
            && !holds(condition, old)
        {
            cancelled = true;
            let mut reason = json!({
                "Code": "ConditionalCheckFailed",
                "Message": "The conditional request failed",
            });
            if let (true, Some(old)) = (action.all_old, old) {
                reason["Item"] = Value::Object(old.clone());
            }
            reasons.push(reason);
            results.push(None);
            continue;
        }
        let result = match &action.change {
            Change::Put(item) => Ok(Some(item.clone())),
            Change::Update { key_item, updates } => {
                let mut item = old.cloned().unwrap_or_else(|| key_item.clone());
                expr::apply(&mut item, updates).map(|()| Some(item))
            }
            Change::Delete | Change::Check => Ok(None),
        };
        match result {
            Ok(item) => {
                reasons.push(json!({ "Code": "None" }));
                results.push(item);
            }
            Err(e) => {
                cancelled = true;
                reasons.push(json!({ "Code": "ValidationError", "Message": e.message }));
                results.push(None);
            }
        }
    }
    if cancelled {
        return Err(self::cancelled(reasons));
    }
    for (action, result) in actions.into_iter().zip(results) {
        let Some(table) = tables.get_mut(&action.table) else {
            continue;
        };
        match (action.change, result) {
            (Change::Delete, _) => table.remove(&action.key),
            (Change::Check, _) => {}
            (_, Some(item)) => table.put(action.key, item),
            (_, None) => {}
        }
    }
    Ok(json!({}))
}

/// `TransactionCanceledException` with these reasons, one per action in order.
pub(super) fn cancelled(reasons: Vec<Value>) -> ApiError {
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| r["Code"].as_str().unwrap_or("None"))
        .collect();
    let mut err = ApiError::new(
        400,
        &format!("{}TransactionCanceledException", super::NS),
        format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
    );
    err.extra = Some(json!({ "CancellationReasons": reasons }));
    err
}

/// One element of `TransactItems`, validated as AWS does before anything is evaluated.
fn parse(tables: &BTreeMap<String, DynamoTable>, element: &Value) -> Result<Action, ApiError> {
    let element = element
        .as_object()
        .ok_or_else(|| validation("a TransactItems element is not a map"))?;
    let present: Vec<&str> = KINDS
        .into_iter()
        .filter(|k| element.contains_key(*k))
        .collect();
    let (kind, body) = match present.as_slice() {
        [kind] if element.len() == 1 => (
            *kind,
            element[*kind]
                .as_object()
                .ok_or_else(|| validation(format!("TransactItems' {kind} is not a map")))?,
        ),
        _ => {
            return Err(validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            ));
        }
    };
    if let Some(key) = UNSUPPORTED.iter().find(|k| body.contains_key(**k)) {
        return Err(validation(format!(
            "the sandbox does not serve the parameter {key} in a transaction's {kind}"
        )));
    }
    let name = text(body, "TableName")?;
    let table = tables.get(name).ok_or_else(|| not_found(name))?;
    let mut expr = Expr::new(body)?;
    let condition = match body.get("ConditionExpression").and_then(Value::as_str) {
        Some(text) => Some(expr.write_condition(text)?),
        None if kind == "ConditionCheck" => {
            return Err(validation(
                "1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
            ));
        }
        None => None,
    };
    let (key, change) = match kind {
        "Put" => {
            let item = object(body, "Item")?.clone();
            check_attribute_values(&item)?;
            (table.key_of(&item, false)?, Change::Put(item))
        }
        "Update" => {
            let key_item = object(body, "Key")?.clone();
            let text = body
                .get("UpdateExpression")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    validation("1 validation error detected: Value null at 'transactItems.1.member.update.updateExpression' failed to satisfy constraint: Member must not be null")
                })?;
            let updates = expr.update(text)?;
            table.refuse_key_updates(&updates)?;
            (
                table.key_of(&key_item, true)?,
                Change::Update { key_item, updates },
            )
        }
        "Delete" => (table.key_of(object(body, "Key")?, true)?, Change::Delete),
        _ => (table.key_of(object(body, "Key")?, true)?, Change::Check),
    };
    expr.all_used()?;
    Ok(Action {
        table: name.to_string(),
        key,
        all_old: on_failure_values(body)?,
        condition,
        change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> BTreeMap<String, DynamoTable> {
        BTreeMap::from([("t".to_string(), DynamoTable::events("t", 0))])
    }

    fn put(sk: &str) -> Value {
        json!({ "Put": {
            "TableName": "t",
            "Item": { "pk": { "S": "p" }, "sk": { "S": sk } },
            "ConditionExpression": "attribute_not_exists(pk)",
        }})
    }

    fn add(n: u32) -> Value {
        json!({ "Update": {
            "TableName": "t",
            "Key": { "pk": { "S": "p" }, "sk": { "S": "total" } },
            "UpdateExpression": "ADD #n :n",
            "ExpressionAttributeNames": { "#n": "n" },
            "ExpressionAttributeValues": { ":n": { "N": n.to_string() } },
        }})
    }

    fn request(actions: &[Value]) -> Map<String, Value> {
        json!({ "TransactItems": actions })
            .as_object()
            .cloned()
            .unwrap()
    }

    fn total(tables: &BTreeMap<String, DynamoTable>) -> Value {
        tables["t"].items["p"]["total"]["n"].clone()
    }

    #[test]
    fn a_failed_condition_cancels_all_and_names_each_action_in_order() {
        let mut t = tables();
        write(&mut t, &request(&[put("a"), add(1)])).unwrap();
        let err = write(&mut t, &request(&[put("b"), put("a"), add(2)])).unwrap_err();
        assert!(
            err.code.ends_with("#TransactionCanceledException"),
            "{err:?}"
        );
        let reasons = &err.extra.unwrap()["CancellationReasons"];
        let codes: Vec<&str> = reasons
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["None", "ConditionalCheckFailed", "None"]);
        assert!(
            err.message
                .ends_with("[None, ConditionalCheckFailed, None]")
        );
        // Nothing of the cancelled transaction was written.
        assert!(!t["t"].items["p"].contains_key("b"));
        assert_eq!(total(&t), json!({ "N": "1" }));
        write(&mut t, &request(&[put("b"), add(2)])).unwrap();
        assert_eq!(total(&t), json!({ "N": "3" }));
    }

    #[test]
    fn two_actions_on_one_item_or_too_many_are_refused_whole() {
        let mut t = tables();
        let err = write(&mut t, &request(&[add(1), add(2)])).unwrap_err();
        assert!(err.code.ends_with("ValidationException"), "{err:?}");
        let many: Vec<Value> = (0..101).map(|i| put(&i.to_string())).collect();
        assert!(write(&mut t, &request(&many)).is_err());
        assert!(t["t"].items.is_empty());
    }
}
