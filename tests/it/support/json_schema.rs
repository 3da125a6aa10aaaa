//! A small checker for the subset of JSON Schema the project's schemas use: type, const,
//! enum, required, properties, additionalProperties (false or a schema), items, oneOf, `$ref`
//! into `$defs`, and pattern as a prefix check. Every versioned JSON output is checked against
//! its schema in `schemas/` with it.

use serde_json::Value;

/// One of the schemas in `schemas/`, by file name.
pub fn schema(file: &str) -> Value {
    let path = format!("{}/schemas/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("read schema"))
        .expect("schema is JSON")
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        other => panic!("schema type {other} not handled by the checker"),
    }
}

pub fn check(root: &Value, schema: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(Value::String(r)) = schema.get("$ref") {
        let name = r.strip_prefix("#/$defs/").expect("local $ref");
        return check(root, &root["$defs"][name], v, at, problems);
    }
    if let Some(t) = schema.get("type") {
        let ok = match t {
            Value::String(t) => type_ok(t, v),
            Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
            _ => false,
        };
        if !ok {
            problems.push(format!("{at}: {v} is not of type {t}"));
            return;
        }
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        problems.push(format!("{at}: {v} is not {c}"));
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.contains(v)
    {
        problems.push(format!("{at}: {v} is not one of {options:?}"));
    }
    if let (Some(Value::String(p)), Value::String(s)) = (schema.get("pattern"), v) {
        let prefix = p.trim_start_matches('^');
        let literal: String = prefix
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == ':')
            .collect();
        if !s.starts_with(&literal) {
            problems.push(format!("{at}: {s} does not match {p}"));
        }
    }
    if let Some(Value::Array(options)) = schema.get("oneOf") {
        let matching = options
            .iter()
            .filter(|o| {
                let mut p = Vec::new();
                check(root, o, v, at, &mut p);
                p.is_empty()
            })
            .count();
        if matching != 1 {
            problems.push(format!("{at}: matches {matching} of oneOf"));
        }
    }
    if let Value::Object(map) = v {
        if let Some(Value::Array(required)) = schema.get("required") {
            for r in required {
                if !map.contains_key(r.as_str().unwrap()) {
                    problems.push(format!("{at}: missing {r}"));
                }
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, child) in map {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(root, s, child, &format!("{at}/{k}"), problems),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        problems.push(format!("{at}: unexpected property {k}"))
                    }
                    Some(s @ Value::Object(_)) => {
                        check(root, s, child, &format!("{at}/{k}"), problems)
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (v, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(root, s, item, &format!("{at}/{i}"), problems);
        }
    }
}

/// Every way `v` breaks the schema in `schemas/<file>`.
pub fn problems(file: &str, v: &Value) -> Vec<String> {
    let root = schema(file);
    let mut problems = Vec::new();
    check(&root, &root, v, "", &mut problems);
    problems
}

/// Panics with every problem found.
pub fn assert_valid(file: &str, v: &Value) {
    let problems = problems(file, v);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
