//! DynamoDB (JSON 1.0, `X-Amz-Target: DynamoDB_20120810.<Op>`): tables with string keys and
//! the conditional writes the notice ledger makes (`src/notice/dynamo.rs`).
//!
//! Served: `CreateTable`, `DescribeTable`, `PutItem`, `GetItem`, `UpdateItem`, `DeleteItem`,
//! `Query`, `Scan`, `BatchWriteItem` (puts) and `TransactWriteItems` (`transact.rs`: the
//! event store's records and rollup counters, all or nothing). Expressions (`expr.rs`) are
//! served in exactly the forms the ledger and the event store use, each with
//! `ExpressionAttributeNames` and `ExpressionAttributeValues`:
//!
//! - conditions: `attribute_not_exists(p)`, `attribute_exists(p)`, `p = :v`, joined by `AND`;
//! - key conditions: `k = :v` on the partition key, optionally `AND` the sort key `= :w` or
//!   `BETWEEN :a AND :b`;
//! - updates: `SET p = :v, …` and `ADD p :n, …` (whole numbers).
//!
//! Anything else (another function, `OR`, a comparison other than `=`, a filter, a projection,
//! an index, the legacy `Expected`/`KeyConditions` parameters, a key that is not a string) is
//! refused with AWS's `ValidationException`, never silently accepted; so is an expression
//! name or value that is given but unused, as AWS does. Errors are AWS's JSON shape
//! (`__type`, `message`); a failed condition answers `ConditionalCheckFailedException` with
//! the item when `ReturnValuesOnConditionCheckFailure` is `ALL_OLD`.

mod expr;
mod transact;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use self::expr::{Expr, Term, holds};
use super::World;
use super::http::{ApiError, Reply, Req};
use super::state::{DynamoTable, Item};

const TARGET_PREFIX: &str = "DynamoDB_20120810.";
const OPERATIONS: [&str; 10] = [
    "BatchWriteItem",
    "TransactWriteItems",
    "CreateTable",
    "DescribeTable",
    "PutItem",
    "GetItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
];
/// The namespace of DynamoDB's own errors in `__type`.
const NS: &str = "com.amazonaws.dynamodb.v20120810#";
/// Parameters the sandbox does not serve: refused rather than ignored.
const UNSUPPORTED: [&str; 14] = [
    "Expected",
    "ConditionalOperator",
    "AttributesToGet",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
    "FilterExpression",
    "ProjectionExpression",
    "IndexName",
    "Select",
    "Segment",
    "TotalSegments",
    "AttributeUpdates",
    "GlobalSecondaryIndexes",
];
/// The most items a `Query` or `Scan` page holds when no `Limit` is given (AWS stops at 1 MB).
const PAGE: usize = 1000;

/// The fault `transaction-conflict`: `TransactWriteItems` cancelled for a conflict on each of
/// its actions.
pub(crate) fn conflict(req: &Req) -> ApiError {
    let actions = req
        .json()
        .ok()
        .and_then(|b| {
            b.get("TransactItems")
                .and_then(Value::as_array)
                .map(Vec::len)
        })
        .unwrap_or(1);
    transact::cancelled(vec![
        json!({ "Code": "TransactionConflict", "Message": "Transaction is ongoing for the item" });
        actions
    ])
}

pub(crate) fn route(req: &Req) -> Option<&'static str> {
    if req.method != "POST" || !req.segments.is_empty() {
        return None;
    }
    let target = req.header("x-amz-target")?;
    let name = target.strip_prefix(TARGET_PREFIX)?;
    OPERATIONS.iter().find(|op| **op == name).copied()
}

/// AWS's `ValidationException` (its own namespace, as AWS sends it).
pub(crate) fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new(
        400,
        "com.amazon.coral.validate#ValidationException",
        message,
    )
}

fn not_found(table: &str) -> ApiError {
    ApiError::new(
        400,
        &format!("{NS}ResourceNotFoundException"),
        format!("Requested resource not found: Table: {table} not found"),
    )
}

/// `ReturnValuesOnConditionCheckFailure`: whether it asks for the item (`ALL_OLD`); refused
/// when it is neither that nor `NONE`.
fn on_failure_values(body: &Map<String, Value>) -> Result<bool, ApiError> {
    match body
        .get("ReturnValuesOnConditionCheckFailure")
        .and_then(Value::as_str)
    {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(v) => Err(validation(format!(
            "1 validation error detected: Value '{v}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"
        ))),
    }
}

fn condition_failed(old: Option<&Item>, body: &Map<String, Value>) -> ApiError {
    let mut err = ApiError::new(
        400,
        &format!("{NS}ConditionalCheckFailedException"),
        "The conditional request failed",
    );
    let all_old = on_failure_values(body).unwrap_or(false);
    if let (true, Some(old)) = (all_old, old) {
        err.extra = Some(json!({ "Item": old }));
    }
    err
}

fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a str, ApiError> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| validation(format!("1 validation error detected: Value null at '{key}' failed to satisfy constraint: Member must not be null")))
}

/// The tables the sandbox starts with: created unless they exist.
pub(crate) fn ensure_tables(world: &mut World) {
    let now = world.state.now;
    for name in world.config.dynamodb_tables.clone() {
        world
            .state
            .dynamodb
            .entry(name.clone())
            .or_insert_with(|| DynamoTable::ledger(&name, now));
    }
    for name in world.config.event_tables.clone() {
        world
            .state
            .dynamodb
            .entry(name.clone())
            .or_insert_with(|| DynamoTable::events(&name, now));
    }
}

pub(crate) fn handle(world: &mut World, operation: &str, req: &Req) -> Result<Reply, ApiError> {
    let body = req
        .json()
        .map_err(|_| validation("the request body is not a JSON object"))?;
    if let Some(key) = UNSUPPORTED.iter().find(|k| body.contains_key(**k)) {
        return Err(validation(format!(
            "the sandbox does not serve the parameter {key} (it serves the forms the notice ledger uses)"
        )));
    }
    let region = world.config.region.clone();
    let account = world.config.account_id.clone();
    let now = world.state.now;
    let tables = &mut world.state.dynamodb;
    let reply = match operation {
        "CreateTable" => {
            let table = create_table(&body, now)?;
            if tables.contains_key(&table.name) {
                return Err(ApiError::new(
                    400,
                    &format!("{NS}ResourceInUseException"),
                    format!("Table already exists: {}", table.name),
                ));
            }
            let description = describe(&table, &region, &account);
            tables.insert(table.name.clone(), table);
            json!({ "TableDescription": description })
        }
        "DescribeTable" => {
            let name = text(&body, "TableName")?;
            let table = tables.get(name).ok_or_else(|| not_found(name))?;
            json!({ "Table": describe(table, &region, &account) })
        }
        "BatchWriteItem" => batch_write(tables, &body)?,
        "TransactWriteItems" => transact::write(tables, &body)?,
        "GetItem" => {
            let table = table(tables, &body)?;
            let key = table.key_of(object(&body, "Key")?, true)?;
            match table.get(&key) {
                Some(item) => json!({ "Item": item }),
                None => json!({}),
            }
        }
        "PutItem" => {
            let table = table(tables, &body)?;
            let item = object(&body, "Item")?.clone();
            let key = table.key_of(&item, false)?;
            check_attribute_values(&item)?;
            let old = table.get(&key).cloned();
            conditional(&body, old.as_ref())?;
            table.put(key, item);
            returned(&body, old.as_ref(), &["NONE", "ALL_OLD"])?
        }
        "UpdateItem" => {
            let table = table(tables, &body)?;
            let key_item = object(&body, "Key")?.clone();
            let key = table.key_of(&key_item, true)?;
            let old = table.get(&key).cloned();
            let mut expr = Expr::new(&body)?;
            let updates = match body.get("UpdateExpression").and_then(Value::as_str) {
                Some(text) => expr.update(text)?,
                None => Vec::new(),
            };
            let condition = match body.get("ConditionExpression").and_then(Value::as_str) {
                Some(text) => Some(expr.write_condition(text)?),
                None => None,
            };
            expr.all_used()?;
            let mut item = old.clone().unwrap_or(key_item);
            table.refuse_key_updates(&updates)?;
            if let Some(condition) = condition
                && !holds(&condition, old.as_ref())
            {
                return Err(condition_failed(old.as_ref(), &body));
            }
            expr::apply(&mut item, &updates)?;
            table.put(key, item);
            returned(&body, old.as_ref(), &["NONE", "ALL_OLD"])?
        }
        "DeleteItem" => {
            let table = table(tables, &body)?;
            let key = table.key_of(object(&body, "Key")?, true)?;
            let old = table.get(&key).cloned();
            conditional(&body, old.as_ref())?;
            table.remove(&key);
            returned(&body, old.as_ref(), &["NONE", "ALL_OLD"])?
        }
        "Query" => {
            let table = table(tables, &body)?;
            let mut expr = Expr::new(&body)?;
            let text = body
                .get("KeyConditionExpression")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
                })?;
            let condition = expr.condition(text)?;
            expr.all_used()?;
            let (partition, sort) = table.key_condition(&condition)?;
            let items: Vec<&Item> = match table.items.get(&partition) {
                None => Vec::new(),
                Some(p) => match &sort {
                    None => p.values().collect(),
                    Some(SortKey::Equals(want)) => p.get(want).into_iter().collect(),
                    Some(SortKey::Between(low, high)) if low <= high => p
                        .range(low.clone()..=high.clone())
                        .map(|(_, i)| i)
                        .collect(),
                    Some(SortKey::Between(..)) => Vec::new(),
                },
            };
            let forward = body
                .get("ScanIndexForward")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            let items = if forward {
                items
            } else {
                items.into_iter().rev().collect()
            };
            page(table, items, &body)?
        }
        "Scan" => {
            let table = table(tables, &body)?;
            if body.contains_key("ExpressionAttributeNames")
                || body.contains_key("ExpressionAttributeValues")
            {
                return Err(validation(
                    "ExpressionAttributeNames and ExpressionAttributeValues can only be specified when using expressions",
                ));
            }
            let items: Vec<&Item> = table.items.values().flat_map(|p| p.values()).collect();
            page(table, items, &body)?
        }
        other => {
            return Err(ApiError::new(
                400,
                "com.amazon.coral.service#UnknownOperationException",
                format!("the sandbox does not serve DynamoDB {other}"),
            ));
        }
    };
    Ok(Reply {
        content_type: "application/x-amz-json-1.0",
        ..Reply::json(reply)
    })
}

/// `BatchWriteItem` with `PutRequest`s only (the event store's idempotent puts): 1 to 25 in
/// all, each a plain put, none of them unprocessed.
fn batch_write(
    tables: &mut BTreeMap<String, DynamoTable>,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let requests = body
        .get("RequestItems")
        .and_then(Value::as_object)
        .ok_or_else(|| validation("RequestItems is required"))?;
    let total: usize = requests
        .values()
        .map(|v| v.as_array().map_or(0, Vec::len))
        .sum();
    if !(1..=25).contains(&total) {
        return Err(validation(format!(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length less than or equal to 25 and at least 1 (got {total})"
        )));
    }
    // Checked whole before any write: AWS refuses a bad batch without writing any of it.
    let mut puts = Vec::new();
    for (name, writes) in requests {
        let table = tables.get(name).ok_or_else(|| not_found(name))?;
        for write in writes.as_array().into_iter().flatten() {
            let item = write
                .get("PutRequest")
                .and_then(|p| p.get("Item"))
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    validation("the sandbox serves BatchWriteItem with PutRequest items only")
                })?;
            let key = table.key_of(item, false)?;
            check_attribute_values(item)?;
            if puts
                .iter()
                .any(|(n, k, _): &(String, _, _)| n == name && *k == key)
            {
                return Err(validation("Provided list of item keys contains duplicates"));
            }
            puts.push((name.clone(), key, item.clone()));
        }
    }
    for (name, key, item) in puts {
        if let Some(table) = tables.get_mut(&name) {
            table.put(key, item);
        }
    }
    Ok(json!({ "UnprocessedItems": {} }))
}

fn object<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a Item, ApiError> {
    body.get(key).and_then(Value::as_object).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{key}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

fn table<'a>(
    tables: &'a mut BTreeMap<String, DynamoTable>,
    body: &Map<String, Value>,
) -> Result<&'a mut DynamoTable, ApiError> {
    let name = text(body, "TableName")?;
    tables.get_mut(name).ok_or_else(|| not_found(name))
}

/// Checks `ConditionExpression` (if any) against the item as it is.
fn conditional(body: &Map<String, Value>, old: Option<&Item>) -> Result<(), ApiError> {
    let mut expr = Expr::new(body)?;
    let condition = match body.get("ConditionExpression").and_then(Value::as_str) {
        Some(text) => Some(expr.write_condition(text)?),
        None => None,
    };
    expr.all_used()?;
    match condition {
        Some(c) if !holds(&c, old) => Err(condition_failed(old, body)),
        _ => Ok(()),
    }
}

/// The answer of a write: `Attributes` when `ReturnValues` is `ALL_OLD`.
fn returned(
    body: &Map<String, Value>,
    old: Option<&Item>,
    allowed: &[&str],
) -> Result<Value, ApiError> {
    let want = body
        .get("ReturnValues")
        .and_then(Value::as_str)
        .unwrap_or("NONE");
    if !allowed.contains(&want) {
        return Err(validation(format!(
            "the sandbox serves ReturnValues {} only, not {want}",
            allowed.join(" or ")
        )));
    }
    on_failure_values(body)?;
    Ok(match (want, old) {
        ("ALL_OLD", Some(old)) => json!({ "Attributes": old }),
        _ => json!({}),
    })
}

/// One page of `items` from `ExclusiveStartKey` on, at most `Limit` long.
fn page(
    table: &DynamoTable,
    items: Vec<&Item>,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let limit = match body.get("Limit") {
        None => PAGE,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => n as usize,
            _ => {
                return Err(validation(
                    "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
                ));
            }
        },
    };
    let start = match body.get("ExclusiveStartKey") {
        Some(Value::Object(key)) => {
            let key = table.key_of(key, true)?;
            items
                .iter()
                .position(|item| table.key_of(item, false).is_ok_and(|k| k == key))
                .map_or(items.len(), |i| i + 1)
        }
        Some(_) => return Err(validation("ExclusiveStartKey is not a map")),
        None => 0,
    };
    let rest = &items[start.min(items.len())..];
    let taken: Vec<&Item> = rest.iter().take(limit).copied().collect();
    let mut out = json!({
        "Items": taken,
        "Count": taken.len(),
        "ScannedCount": taken.len(),
    });
    if rest.len() > limit
        && let Some(last) = taken.last()
    {
        let mut key = Map::new();
        for name in std::iter::once(&table.hash_key).chain(table.range_key.as_ref()) {
            if let Some(v) = last.get(name) {
                key.insert(name.clone(), v.clone());
            }
        }
        out["LastEvaluatedKey"] = Value::Object(key);
    }
    Ok(out)
}

fn create_table(body: &Map<String, Value>, now: i64) -> Result<DynamoTable, ApiError> {
    let name = text(body, "TableName")?;
    if name.len() < 3
        || name.len() > 255
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )));
    }
    let definitions: BTreeMap<String, String> = body
        .get("AttributeDefinitions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            Some((
                d.get("AttributeName")?.as_str()?.to_string(),
                d.get("AttributeType")?.as_str()?.to_string(),
            ))
        })
        .collect();
    let mut hash = None;
    let mut range = None;
    for k in body
        .get("KeySchema")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let attr = k.get("AttributeName").and_then(Value::as_str);
        match (attr, k.get("KeyType").and_then(Value::as_str)) {
            (Some(a), Some("HASH")) if hash.is_none() => hash = Some(a.to_string()),
            (Some(a), Some("RANGE")) if range.is_none() => range = Some(a.to_string()),
            _ => {
                return Err(validation(
                    "Invalid KeySchema: one HASH and at most one RANGE key",
                ));
            }
        }
    }
    let hash = hash.ok_or_else(|| validation("Invalid KeySchema: no HASH key"))?;
    for key in std::iter::once(&hash).chain(range.as_ref()) {
        match definitions.get(key).map(String::as_str) {
            Some("S") => {}
            Some(_) => {
                return Err(validation(format!(
                    "the sandbox serves string keys only; {key} is not of type S"
                )));
            }
            None => {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{key}]"
                )));
            }
        }
    }
    if definitions.len() != 1 + usize::from(range.is_some()) {
        return Err(validation(
            "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    let billing = body
        .get("BillingMode")
        .and_then(Value::as_str)
        .unwrap_or("PROVISIONED");
    Ok(DynamoTable {
        name: name.to_string(),
        hash_key: hash,
        range_key: range,
        billing_mode: billing.to_string(),
        created_at: now,
        items: BTreeMap::new(),
    })
}

fn describe(table: &DynamoTable, region: &str, account: &str) -> Value {
    let mut schema = vec![json!({ "AttributeName": table.hash_key, "KeyType": "HASH" })];
    let mut definitions = vec![json!({ "AttributeName": table.hash_key, "AttributeType": "S" })];
    if let Some(range) = &table.range_key {
        schema.push(json!({ "AttributeName": range, "KeyType": "RANGE" }));
        definitions.push(json!({ "AttributeName": range, "AttributeType": "S" }));
    }
    let count: usize = table.items.values().map(BTreeMap::len).sum();
    json!({
        "TableName": table.name,
        "TableStatus": "ACTIVE",
        "KeySchema": schema,
        "AttributeDefinitions": definitions,
        "CreationDateTime": table.created_at,
        "ItemCount": count,
        "TableSizeBytes": 0,
        "TableArn": format!("arn:aws:dynamodb:{region}:{account}:table/{}", table.name),
        "BillingModeSummary": { "BillingMode": table.billing_mode },
    })
}

/// Every attribute value is one of the types DynamoDB knows, with a value of its shape.
fn check_attribute_values(item: &Item) -> Result<(), ApiError> {
    for (name, value) in item {
        let ok = value.as_object().is_some_and(|v| {
            v.len() == 1
                && v.iter().all(|(t, inner)| match t.as_str() {
                    "S" | "N" | "B" => inner.is_string(),
                    "BOOL" => inner.is_boolean(),
                    "NULL" => inner == &Value::Bool(true),
                    "SS" | "NS" | "BS" | "L" => inner.is_array(),
                    "M" => inner.is_object(),
                    _ => false,
                })
        });
        if !ok {
            return Err(validation(format!(
                "One or more parameter values were invalid: the attribute {name} is not a valid AttributeValue"
            )));
        }
        if let Some(n) = value.get("N").and_then(Value::as_str)
            && n.parse::<f64>().is_err()
        {
            return Err(validation(format!(
                "The parameter cannot be converted to a numeric value: {n}"
            )));
        }
    }
    Ok(())
}

impl DynamoTable {
    /// The (partition, sort) key of an item or a `Key` map; `exact` refuses other attributes.
    fn key_of(&self, item: &Item, exact: bool) -> Result<(String, String), ApiError> {
        let string = |name: &str| -> Result<String, ApiError> {
            item.get(name)
                .and_then(|v| v.get("S"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    validation(format!(
                        "One or more parameter values were invalid: Missing the key {name} in the item"
                    ))
                })
        };
        let partition = string(&self.hash_key)?;
        let sort = match &self.range_key {
            Some(range) => string(range)?,
            None => String::new(),
        };
        if partition.is_empty() || (self.range_key.is_some() && sort.is_empty()) {
            return Err(validation(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value.",
            ));
        }
        let keys = 1 + usize::from(self.range_key.is_some());
        if exact && item.len() != keys {
            return Err(validation(
                "The provided key element does not match the schema",
            ));
        }
        Ok((partition, sort))
    }

    /// AWS refuses an update of a key attribute.
    fn refuse_key_updates(&self, updates: &[expr::Update]) -> Result<(), ApiError> {
        match updates
            .iter()
            .find(|u| u.name == self.hash_key || Some(&u.name) == self.range_key.as_ref())
        {
            Some(u) => Err(validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
                u.name
            ))),
            None => Ok(()),
        }
    }

    fn get(&self, key: &(String, String)) -> Option<&Item> {
        self.items.get(&key.0)?.get(&key.1)
    }

    fn put(&mut self, key: (String, String), item: Item) {
        self.items.entry(key.0).or_default().insert(key.1, item);
    }

    fn remove(&mut self, key: &(String, String)) {
        if let Some(partition) = self.items.get_mut(&key.0) {
            partition.remove(&key.1);
            if partition.is_empty() {
                self.items.remove(&key.0);
            }
        }
    }

    /// The partition (and sort key) a key condition asks for.
    fn key_condition(&self, terms: &[Term]) -> Result<(String, Option<SortKey>), ApiError> {
        let mut partition = None;
        let mut sort = None;
        let string = |v: &Value| {
            v.get("S").and_then(Value::as_str).map(str::to_string).ok_or_else(|| {
                validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
            })
        };
        for term in terms {
            match term {
                Term::Between(name, low, high)
                    if Some(name) == self.range_key.as_ref() && sort.is_none() =>
                {
                    sort = Some(SortKey::Between(string(low)?, string(high)?));
                }
                Term::Equals(name, Value::Object(v)) if v.len() == 1 => {
                    let s = v.get("S").and_then(Value::as_str).map(str::to_string);
                    let s = s.ok_or_else(|| {
                        validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
                    })?;
                    if *name == self.hash_key && partition.is_none() {
                        partition = Some(s);
                    } else if Some(name) == self.range_key.as_ref() && sort.is_none() {
                        sort = Some(SortKey::Equals(s));
                    } else {
                        return Err(validation(format!(
                            "Query condition missed key schema element or names a non-key attribute: {name}"
                        )));
                    }
                }
                _ => {
                    return Err(validation(
                        "Invalid KeyConditionExpression: the sandbox serves `key = :value` and `sort BETWEEN :a AND :b` terms only",
                    ));
                }
            }
        }
        let partition = partition.ok_or_else(|| {
            validation(format!(
                "Query condition missed key schema element: {}",
                self.hash_key
            ))
        })?;
        Ok((partition, sort))
    }
}

/// What a key condition asks of the sort key.
#[derive(Debug, Clone, PartialEq)]
enum SortKey {
    Equals(String),
    /// Both ends included, as DynamoDB's `BETWEEN`.
    Between(String, String),
}
