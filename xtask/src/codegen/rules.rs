//! The client's field rules from one document: for each operation with a JSON request body, a
//! table of every field's JSON pointer pattern and its constraints, which the client checks
//! values against before sending (`crates/mulerouter-kling/src/validate.rs`).
//!
//! A pattern is a JSON pointer in which `*` stands for any array index and `[tag=value]` after
//! a segment selects one branch of a tagged `oneOf`: `/elements/*[type=image]/reference_images`.
//! Each keyword the table cannot carry is an error here, naming the field, so a rule the
//! document gains is never left unchecked by the client without anyone noticing.

use heck::ToShoutySnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Map, Value};

use super::null_branch::accepts_only_null;
use super::spec::{Source, resolve};

/// The HTTP methods of an OpenAPI path item, in the order the document lists them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Formats the client knows how to check; another needs code in `validate.rs` first.
const CHECKED_FORMATS: [&str; 3] = ["uri", "uuid", "date-time"];

/// OpenAPI's formats for numbers and binary strings: descriptions, not assertions (the mock's
/// schema converter drops the same list).
const DATA_FORMATS: [&str; 7] = [
    "int32", "int64", "float", "double", "byte", "binary", "password",
];

/// Keywords that say nothing a value could break.
const ANNOTATIONS: [&str; 9] = [
    "description",
    "example",
    "examples",
    "default",
    "title",
    "deprecated",
    "externalDocs",
    "xml",
    "readOnly",
];

/// Keywords this generator turns into rules.
const RULE_KEYWORDS: [&str; 21] = [
    "$ref",
    "const",
    "anyOf",
    "type",
    "nullable",
    "format",
    "enum",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "items",
    "properties",
    "required",
    "additionalProperties",
    "allOf",
    "oneOf",
    "discriminator",
];

/// Generates and formats the rules file for `source`.
pub fn generate(source: &Source) -> Result<String, String> {
    render(&source.json).map_err(|e| format!("{}: {e}", source.path))
}

/// The rules file for a document given as JSON.
fn render(document: &Value) -> Result<String, String> {
    let mut tables = Vec::new();
    let paths = document
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("the document has no paths")?;
    for (path, item) in paths {
        let item = resolve(document, item);
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let Some(body) = operation.get("requestBody") else {
                continue;
            };
            let id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{} {path} has no operationId", method.to_uppercase()))?;
            let body = resolve(document, body);
            let Some(schema) = json_schema(body) else {
                continue;
            };
            let mut walker = Walker {
                document,
                rows: Vec::new(),
                stack: Vec::new(),
            };
            walker
                .walk("", schema)
                .map_err(|e| format!("{id}'s request body: {e}"))?;
            let name = format_ident!("{}", id.to_shouty_snake_case());
            let doc = format!(
                " The rules of `{id}`'s request body (`{} {path}`), one row per field.",
                method.to_uppercase()
            );
            let rows = walker.rows.iter().map(Row::tokens);
            tables.push(quote! {
                #[doc = #doc]
                pub static #name: &[Rule] = &[#(#rows),*];
            });
            if let Some(limit) =
                max_body_bytes(body).map_err(|e| format!("{id}'s request body: {e}"))?
            {
                let name = format_ident!("{}_MAX_BODY_BYTES", id.to_shouty_snake_case());
                let doc = format!(
                    " The most bytes `{id}`'s request body may take as JSON (`x-max-body-bytes`): larger ones are answered 413."
                );
                tables.push(quote! {
                    #[doc = #doc]
                    pub const #name: usize = #limit;
                });
            }
        }
    }
    let phases = phase_tables(document)?;
    let prefix = path_prefix(paths);
    let tokens = quote! {
        //! Every field of every JSON request body, with the rules the document gives it, and
        //! the values of each open string type whose schema lists them in `x-phases`.
        //!
        //! `pointer` is a JSON pointer in which `*` stands for any array index and
        //! `[tag=value]` after a segment selects one branch of a tagged `oneOf`; the client
        //! checks values against these rows (`crate::validate`).

        use crate::validate::{Rule, Tag, Type};

        #(#tables)*
        #(#phases)*

        /// The segments every path of the document starts with, up to the first with a
        /// parameter (empty when they share none): in a request URL, what comes before it
        /// is the base URL as configured.
        pub const PATH_PREFIX: &str = #prefix;
    };
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("the rules table does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// The literal segments all of `paths` start with, as `/a/b`; empty when they share none.
fn path_prefix(paths: &Map<String, Value>) -> String {
    let literal = |path: &str| -> Vec<String> {
        path.split('/')
            .skip(1)
            .take_while(|segment| !segment.contains('{'))
            .map(str::to_string)
            .collect()
    };
    let mut keys = paths.keys();
    let mut common = keys.next().map(|path| literal(path)).unwrap_or_default();
    for path in keys {
        let shared = common
            .iter()
            .zip(literal(path))
            .take_while(|(a, b)| **a == *b)
            .count();
        common.truncate(shared);
    }
    common.iter().map(|segment| format!("/{segment}")).collect()
}

/// A table per component schema with `x-phases` (an open string type: the values the
/// document knows, each with what it means for someone waiting on a task), so that the
/// hand-written type that reads them is checked against the document (`crate::status`).
fn phase_tables(document: &Value) -> Result<Vec<proc_macro2::TokenStream>, String> {
    let schemas = document
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let mut tables = Vec::new();
    for (name, schema) in schemas.into_iter().flatten() {
        let Some(phases) = schema.get("x-phases") else {
            continue;
        };
        let at = format!("/components/schemas/{name}/x-phases");
        let phases = phases
            .as_object()
            .ok_or_else(|| format!("{at} must map each value to its phase"))?;
        let mut rows = Vec::new();
        // Sorted, whatever order the JSON map keeps.
        let sorted: std::collections::BTreeMap<&String, &Value> = phases.iter().collect();
        for (value, phase) in sorted {
            let variant = match phase.as_str() {
                Some("in_progress") => quote!(InProgress),
                Some("succeeded") => quote!(Succeeded),
                Some("failed") => quote!(Failed),
                _ => {
                    return Err(format!(
                        "{at}/{value}: {phase} is not a phase (in_progress, succeeded or failed)"
                    ));
                }
            };
            rows.push(quote!((#value, crate::Phase::#variant)));
        }
        let constant = format_ident!("{}_PHASES", name.to_shouty_snake_case());
        let doc = format!(" The values `{name}` documents, sorted, each with its phase.");
        tables.push(quote! {
            #[doc = #doc]
            pub static #constant: &[(&str, crate::Phase)] = &[#(#rows),*];
        });
    }
    Ok(tables)
}

/// A request body's `x-max-body-bytes`: a whole number of bytes, at least 1, if given.
fn max_body_bytes(body: &Value) -> Result<Option<usize>, String> {
    let Some(limit) = body.get("x-max-body-bytes") else {
        return Ok(None);
    };
    match limit.as_u64().and_then(|bytes| usize::try_from(bytes).ok()) {
        Some(bytes) if bytes > 0 => Ok(Some(bytes)),
        _ => Err(format!(
            "x-max-body-bytes is {limit}; it must be a whole number of bytes, at least 1"
        )),
    }
}

/// The schema of a request body's JSON media type, if it has one.
fn json_schema(body: &Value) -> Option<&Value> {
    body.get("content")?
        .as_object()?
        .iter()
        .find(|(media, _)| {
            let media = media.to_ascii_lowercase();
            media == "application/json" || media.ends_with("+json")
        })?
        .1
        .get("schema")
}

/// One row of the table, as it will be written.
#[derive(Debug, Default)]
struct Row {
    pointer: String,
    ty: Option<String>,
    nullable: bool,
    tag: Option<(String, Vec<String>)>,
    required: Vec<String>,
    properties: Vec<String>,
    additional_properties: bool,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<String>,
    pattern_description: Option<String>,
    format: Option<String>,
    default: Option<String>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    enumeration: Vec<String>,
}

impl Row {
    fn tokens(&self) -> TokenStream {
        let pointer = &self.pointer;
        let mut fields = vec![quote! { pointer: #pointer }];
        if let Some(ty) = &self.ty {
            let variant = format_ident!(
                "{}",
                match ty.as_str() {
                    "string" => "String",
                    "integer" => "Integer",
                    "number" => "Number",
                    "boolean" => "Boolean",
                    "array" => "Array",
                    _ => "Object",
                }
            );
            fields.push(quote! { ty: Some(Type::#variant) });
        }
        if self.nullable {
            fields.push(quote! { nullable: true });
        }
        if let Some((property, values)) = &self.tag {
            fields.push(quote! { tag: Some(Tag { property: #property, values: &[#(#values),*] }) });
        }
        if !self.required.is_empty() {
            let required = &self.required;
            fields.push(quote! { required: &[#(#required),*] });
        }
        if !self.properties.is_empty() {
            let properties = &self.properties;
            fields.push(quote! { properties: &[#(#properties),*] });
        }
        if !self.additional_properties {
            fields.push(quote! { additional_properties: false });
        }
        let optional = |name: &str, value: Option<TokenStream>| {
            let name = format_ident!("{name}");
            value.map(|value| quote! { #name: Some(#value) })
        };
        fields.extend(optional("min_length", self.min_length.map(|v| quote!(#v))));
        fields.extend(optional("max_length", self.max_length.map(|v| quote!(#v))));
        fields.extend(optional(
            "pattern",
            self.pattern.as_ref().map(|v| quote!(#v)),
        ));
        fields.extend(optional(
            "pattern_description",
            self.pattern_description.as_ref().map(|v| quote!(#v)),
        ));
        fields.extend(optional("format", self.format.as_ref().map(|v| quote!(#v))));
        fields.extend(optional(
            "default",
            self.default.as_ref().map(|v| quote!(#v)),
        ));
        fields.extend(optional("minimum", self.minimum.map(|v| quote!(#v))));
        fields.extend(optional("maximum", self.maximum.map(|v| quote!(#v))));
        fields.extend(optional("min_items", self.min_items.map(|v| quote!(#v))));
        fields.extend(optional("max_items", self.max_items.map(|v| quote!(#v))));
        if !self.enumeration.is_empty() {
            let values = &self.enumeration;
            fields.push(quote! { enumeration: &[#(#values),*] });
        }
        quote! { Rule { #(#fields,)* ..Rule::ANY } }
    }
}

struct Walker<'a> {
    document: &'a Value,
    rows: Vec<Row>,
    /// The `$ref`s being followed, to refuse recursive schemas instead of looping.
    stack: Vec<String>,
}

impl Walker<'_> {
    /// Adds the rows of `schema` at `pointer` and below.
    fn walk(&mut self, pointer: &str, schema: &Value) -> Result<(), String> {
        let (schema, reference) = self.follow(schema)?;
        let result = self.walk_resolved(pointer, schema);
        if reference {
            self.stack.pop();
        }
        result
    }

    /// `schema` with its `$ref` followed (OpenAPI 3.0 ignores a `$ref`'s siblings); whether a
    /// reference was pushed on the stack.
    fn follow<'v>(&mut self, schema: &'v Value) -> Result<(&'v Value, bool), String>
    where
        Self: 'v,
    {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return Ok((schema, false));
        };
        if self.stack.iter().any(|seen| seen == reference) {
            return Err(format!(
                "{reference} refers to itself; the client's table cannot describe a recursive schema"
            ));
        }
        let target = resolve(self.document, schema);
        if target.get("$ref").is_some() {
            return Err(format!("{reference} does not resolve in the document"));
        }
        self.stack.push(reference.to_string());
        Ok((target, true))
    }

    fn walk_resolved(&mut self, pointer: &str, schema: &Value) -> Result<(), String> {
        let at = if pointer.is_empty() { "/" } else { pointer };
        let Some(object) = schema.as_object() else {
            return Err(format!("{at}: a schema must be an object"));
        };
        // `allOf` narrows the schema: its branches' keywords join the schema's own.
        let mut merged = Map::new();
        let mut followed = 0;
        self.merge(at, object, &mut merged, &mut followed)?;
        let result = self.walk_merged(pointer, at, &merged);
        for _ in 0..followed {
            self.stack.pop();
        }
        result
    }

    /// Adds the keywords of `object` and of its `allOf` branches to `merged`; the same keyword
    /// twice with different values is an error (the table holds one value per keyword).
    fn merge(
        &mut self,
        at: &str,
        object: &Map<String, Value>,
        merged: &mut Map<String, Value>,
        followed: &mut usize,
    ) -> Result<(), String> {
        let respelled;
        let object = match as_nullable_all_of(self.document, object) {
            Some(map) => {
                respelled = map;
                &respelled
            }
            None => object,
        };
        for (keyword, value) in object {
            // Two annotations go into the table: what leaving a field out means, and what
            // its pattern asks for in words.
            if keyword == "default" || keyword == "x-pattern-description" {
                merged
                    .entry(keyword.clone())
                    .or_insert_with(|| value.clone());
                continue;
            }
            if ANNOTATIONS.contains(&keyword.as_str()) || keyword.starts_with("x-") {
                continue;
            }
            if !RULE_KEYWORDS.contains(&keyword.as_str()) {
                return Err(format!(
                    "{at}: the client's table does not carry `{keyword}` yet; teach \
                     xtask/src/codegen/rules.rs and crates/mulerouter-kling/src/validate.rs"
                ));
            }
            if keyword == "allOf" || keyword == "$ref" {
                continue;
            }
            match merged.get(keyword) {
                Some(existing) if existing != value && keyword != "nullable" => {
                    return Err(format!(
                        "{at}: `{keyword}` is given twice through allOf ({existing} and {value})"
                    ));
                }
                _ => {
                    merged.insert(keyword.clone(), value.clone());
                }
            }
        }
        for branch in object
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (branch, reference) = self.follow(branch)?;
            if reference {
                *followed += 1;
            }
            let Some(branch) = branch.as_object() else {
                return Err(format!("{at}: an allOf branch must be an object"));
            };
            // Only the outer schema says whether null is allowed beside its branches.
            let mut inner = Map::new();
            self.merge(at, branch, &mut inner, followed)?;
            inner.remove("nullable");
            for (keyword, value) in inner {
                match merged.get(&keyword) {
                    Some(existing) if *existing != value => {
                        return Err(format!(
                            "{at}: `{keyword}` is given twice through allOf ({existing} and {value})"
                        ));
                    }
                    _ => {
                        merged.insert(keyword, value);
                    }
                }
            }
        }
        Ok(())
    }

    fn walk_merged(
        &mut self,
        pointer: &str,
        at: &str,
        schema: &Map<String, Value>,
    ) -> Result<(), String> {
        let mut row = Row {
            pointer: pointer.to_string(),
            additional_properties: true,
            ..Row::default()
        };
        row.ty = match schema.get("type") {
            None => None,
            Some(Value::String(ty))
                if ["string", "integer", "number", "boolean", "array", "object"]
                    .contains(&ty.as_str()) =>
            {
                Some(ty.clone())
            }
            Some(other) => return Err(format!("{at}: unknown type {other}")),
        };
        row.nullable = schema.get("nullable") == Some(&Value::Bool(true));
        row.min_length = count(at, schema, "minLength")?;
        row.max_length = count(at, schema, "maxLength")?;
        row.min_items = count(at, schema, "minItems")?;
        row.max_items = count(at, schema, "maxItems")?;
        row.minimum = number(at, schema, "minimum")?;
        row.maximum = number(at, schema, "maximum")?;
        if let Some(pattern) = schema.get("pattern") {
            let pattern = pattern
                .as_str()
                .ok_or_else(|| format!("{at}: `pattern` must be a string"))?;
            // The client compiles it with the same engine at run time; refuse it here instead.
            regress::Regex::new(pattern)
                .map_err(|e| format!("{at}: pattern {pattern:?} does not compile: {e}"))?;
            check_portable(at, pattern)?;
            row.pattern = Some(pattern.to_string());
            // What the pattern asks for in words, for messages: a regular expression tells
            // a person little.
            row.pattern_description = match schema.get("x-pattern-description") {
                None => None,
                Some(Value::String(words)) => Some(words.clone()),
                Some(_) => return Err(format!("{at}: `x-pattern-description` must be a string")),
            };
        }
        if let Some(default) = schema.get("default") {
            row.default = Some(default.to_string());
        }
        if let Some(format) = schema.get("format").and_then(Value::as_str)
            && !DATA_FORMATS.contains(&format)
        {
            if !CHECKED_FORMATS.contains(&format) {
                return Err(format!(
                    "{at}: the client cannot check `format: {format}` yet; add it to \
                     `check_format` in crates/mulerouter-kling/src/validate/rules.rs and to CHECKED_FORMATS"
                ));
            }
            row.format = Some(format.to_string());
        }
        if let Some(value) = schema.get("const") {
            let value = value
                .as_str()
                .ok_or_else(|| format!("{at}: `const` {value} is not a string"))?;
            row.enumeration.push(value.to_string());
        }
        if let Some(values) = schema.get("enum") {
            for value in values
                .as_array()
                .ok_or_else(|| format!("{at}: `enum` must be a list"))?
            {
                match value {
                    Value::String(text) => row.enumeration.push(text.clone()),
                    // `nullable` already says whether null is allowed.
                    Value::Null => {}
                    other => {
                        return Err(format!(
                            "{at}: enum value {other} is not a string; the client's table holds string enums only"
                        ));
                    }
                }
            }
        }

        if let Some(branches) = schema.get("oneOf").or_else(|| schema.get("anyOf")) {
            return self.walk_tagged(row, at, schema, branches);
        }
        if let Some(items) = schema.get("items") {
            self.rows.push(row);
            return self.walk(&format!("{pointer}/*"), items);
        }
        if schema.contains_key("properties")
            || schema.contains_key("required")
            || schema.contains_key("additionalProperties")
        {
            return self.walk_object(row, at, schema);
        }
        self.rows.push(row);
        Ok(())
    }

    fn walk_object(
        &mut self,
        mut row: Row,
        at: &str,
        schema: &Map<String, Value>,
    ) -> Result<(), String> {
        let pointer = row.pointer.clone();
        row.additional_properties = match schema.get("additionalProperties") {
            None | Some(Value::Bool(true)) => true,
            Some(Value::Bool(false)) => false,
            Some(_) => {
                return Err(format!(
                    "{at}: `additionalProperties` with a schema is not carried by the client's table"
                ));
            }
        };
        row.required = strings(at, schema, "required")?;
        let properties = match schema.get("properties") {
            None => Map::new(),
            Some(Value::Object(properties)) => properties.clone(),
            Some(_) => return Err(format!("{at}: `properties` must be an object")),
        };
        for name in properties.keys() {
            if name.contains(['*', '[', ']']) {
                return Err(format!(
                    "{at}: property {name:?} holds a character the table's patterns use"
                ));
            }
        }
        row.properties = properties.keys().cloned().collect();
        self.rows.push(row);
        for (name, property) in &properties {
            self.walk(&format!("{pointer}/{}", escape(name)), property)?;
        }
        Ok(())
    }

    /// A `oneOf`/`anyOf` whose branches are told apart by one property: a row that dispatches
    /// on it, and each branch's rows under `[property=value]`.
    fn walk_tagged(
        &mut self,
        mut row: Row,
        at: &str,
        schema: &Map<String, Value>,
        branches: &Value,
    ) -> Result<(), String> {
        let branches = branches
            .as_array()
            .ok_or_else(|| format!("{at}: `oneOf` must be a list"))?;
        let explicit = schema
            .get("discriminator")
            .and_then(|d| d.get("propertyName"))
            .and_then(Value::as_str);
        let mut resolved = Vec::new();
        for branch in branches {
            resolved.push((branch, resolve(self.document, branch)));
        }
        let property = match explicit {
            Some(property) => property.to_string(),
            None => common_tag(&resolved).ok_or_else(|| {
                format!(
                    "{at}: a oneOf/anyOf is carried by the client's table only when its \
                     branches are told apart by one property (a discriminator, or one required \
                     property with a single enum value per branch)"
                )
            })?,
        };
        let mut tagged = Vec::new();
        for (original, target) in &resolved {
            let value = tag_value(target, &property)
                .or_else(|| {
                    // A discriminator without `enum` on the property names `$ref`'d branches.
                    original
                        .get("$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.rsplit('/').next())
                        .map(str::to_string)
                })
                .ok_or_else(|| format!("{at}: a branch has no single value for `{property}`"))?;
            tagged.push((value, *original));
        }
        if let Some(mapping) = schema
            .get("discriminator")
            .and_then(|d| d.get("mapping"))
            .and_then(Value::as_object)
        {
            for (value, target) in mapping {
                let target = target.as_str().unwrap_or_default();
                if let Some(entry) = tagged
                    .iter_mut()
                    .find(|(_, branch)| branch.get("$ref").and_then(Value::as_str) == Some(target))
                {
                    entry.0 = value.clone();
                }
            }
        }
        let pointer = row.pointer.clone();
        row.tag = Some((
            property.clone(),
            tagged.iter().map(|(value, _)| value.clone()).collect(),
        ));
        if row.ty.is_none() {
            row.ty = Some("object".to_string());
        }
        self.rows.push(row);
        for (value, branch) in tagged {
            self.walk(&format!("{pointer}[{property}={value}]"), branch)?;
        }
        Ok(())
    }
}

/// The property every branch requires and pins to a single string value, if there is one.
/// "X or null" spelled `oneOf`/`anyOf: [X, null-only…]`, respelled `nullable: true` with
/// `allOf: [X]`, which the walk already reads; `None` for any other schema.
fn as_nullable_all_of(document: &Value, object: &Map<String, Value>) -> Option<Map<String, Value>> {
    let (keyword, branches) = ["oneOf", "anyOf"]
        .into_iter()
        .find_map(|keyword| Some((keyword, object.get(keyword)?.as_array()?)))?;
    let (nulls, others): (Vec<&Value>, Vec<&Value>) = branches
        .iter()
        .partition(|branch| accepts_only_null(document, branch));
    let [only] = others[..] else {
        return None;
    };
    if nulls.is_empty() {
        return None;
    }
    let mut respelled = object.clone();
    respelled.remove(keyword);
    respelled.insert("nullable".to_string(), Value::Bool(true));
    let mut all_of = object
        .get("allOf")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    all_of.push(only.clone());
    respelled.insert("allOf".to_string(), Value::Array(all_of));
    Some(respelled)
}

fn common_tag(branches: &[(&Value, &Value)]) -> Option<String> {
    let (_, first) = branches.first()?;
    let candidates = first.get("required")?.as_array()?;
    candidates
        .iter()
        .filter_map(Value::as_str)
        .find(|property| {
            branches.iter().all(|(_, branch)| {
                tag_value(branch, property).is_some()
                    && branch
                        .get("required")
                        .and_then(Value::as_array)
                        .is_some_and(|r| r.iter().any(|p| p == property))
            })
        })
        .map(str::to_string)
}

/// The single value a branch allows its `property`: `enum: [v]` or `const: v`.
fn tag_value(branch: &Value, property: &str) -> Option<String> {
    let schema = branch.get("properties")?.get(property)?;
    if let Some(value) = schema.get("const").and_then(Value::as_str) {
        return Some(value.to_string());
    }
    match schema.get("enum")?.as_array()?.as_slice() {
        [Value::String(value)] => Some(value.clone()),
        _ => None,
    }
}

fn count(at: &str, schema: &Map<String, Value>, keyword: &str) -> Result<Option<u64>, String> {
    schema
        .get(keyword)
        .map(|value| {
            value
                .as_u64()
                .ok_or_else(|| format!("{at}: `{keyword}` must be a whole number, not {value}"))
        })
        .transpose()
}

fn number(at: &str, schema: &Map<String, Value>, keyword: &str) -> Result<Option<f64>, String> {
    schema
        .get(keyword)
        .map(|value| {
            value
                .as_f64()
                .ok_or_else(|| format!("{at}: `{keyword}` must be a number, not {value}"))
        })
        .transpose()
}

fn strings(at: &str, schema: &Map<String, Value>, keyword: &str) -> Result<Vec<String>, String> {
    match schema.get(keyword) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{at}: `{keyword}` must list strings"))
            })
            .collect(),
        Some(other) => Err(format!("{at}: `{keyword}` must be a list, not {other}")),
    }
}

/// RFC 6901: `~` and `/` in a key become `~0` and `~1`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Refuses the class escapes that two engines of the workspace read apart: the client's
/// (regress, ECMA-262: `\d` is `[0-9]`) and the mock's JSON Schema validator (Rust's
/// `regex`: `\d` is any Unicode digit), so that a value one side accepts the other would
/// refuse. Written out (`[0-9]`, `[A-Za-z0-9_]`), a class means the same to both.
fn check_portable(at: &str, pattern: &str) -> Result<(), String> {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            continue;
        }
        if let Some(escape @ ('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B')) = chars.next() {
            return Err(format!(
                "{at}: pattern {pattern:?} uses \\{escape}, which the client (ECMA-262) and the \
                 mock (Rust regex, Unicode classes) read differently; write the class out, e.g. \
                 [0-9] for \\d"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A document whose one operation takes `schema` as its JSON body.
    fn taking(schema: Value) -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/things": {"post": {
                "operationId": "create_thing",
                "requestBody": {"content": {"application/json": {"schema": schema}}},
                "responses": {"200": {"description": "ok"}},
            }}},
            "components": {"schemas": {
                "Name": {"type": "string", "minLength": 1, "pattern": "^[a-z]+$", "x-pattern-description": "lower-case letters"},
                "Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}},
            }},
        })
    }

    #[test]
    fn the_path_prefix_is_the_literal_segments_every_path_shares() {
        // Arrange
        let paths = |list: &[&str]| -> Map<String, Value> {
            list.iter()
                .map(|path| (path.to_string(), json!({})))
                .collect()
        };

        // Act
        let one_resource = path_prefix(&paths(&["/v1/jobs/run", "/v1/jobs/run/{id}"]));
        let a_shared_parent = path_prefix(&paths(&["/v1/jobs/run/{id}", "/v1/jobs/runner"]));
        let a_parameter_first = path_prefix(&paths(&["/{tenant}/jobs", "/v1/jobs"]));
        let apart = path_prefix(&paths(&["/v1/jobs", "/v2/jobs"]));

        // Assert
        assert_eq!(one_resource, "/v1/jobs/run");
        assert_eq!(a_shared_parent, "/v1/jobs", "whole segments only");
        assert_eq!(a_parameter_first, "");
        assert_eq!(apart, "");
    }

    #[test]
    fn each_field_gets_a_row_with_its_rules_references_and_all_of_included() {
        // Arrange
        let document = taking(json!({
            "type": "object",
            "required": ["name"],
            "additionalProperties": false,
            "properties": {
                "name": {"$ref": "#/components/schemas/Name"},
                "alias": {"type": "string", "nullable": true, "allOf": [{"$ref": "#/components/schemas/Name"}]},
                "tags": {"type": "array", "maxItems": 2, "items": {"type": "string", "format": "uuid"}},
                "size": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 9, "default": 3},
            },
        }));

        // Act
        let file = render(&document).unwrap();

        // Assert
        assert!(file.contains("pub static CREATE_THING: &[Rule]"), "{file}");
        for expected in [
            r#"pointer: "/name""#,
            r#"pointer: "/alias""#,
            r#"pointer: "/tags/*""#,
            r#"format: Some("uuid")"#,
            "maximum: Some(9f64)",
            r#"default: Some("3")"#,
            r#"pattern_description: Some("lower-case letters")"#,
            "max_items: Some(2u64)",
            "additional_properties: false",
            "nullable: true",
        ] {
            assert!(file.contains(expected), "{expected} missing from\n{file}");
        }
        // `int64` describes the number; it is not a rule.
        assert!(!file.contains("int64"), "{file}");
        // `alias` takes `Name`'s rules through allOf.
        assert_eq!(file.matches("min_length: Some(1u64)").count(), 2, "{file}");
    }

    #[test]
    fn a_body_size_limit_becomes_a_constant_and_a_limit_that_is_no_size_is_refused() {
        // Arrange
        let with_limit = |limit: Value| {
            let mut document = taking(json!({"type": "object"}));
            document["paths"]["/things"]["post"]["requestBody"]["x-max-body-bytes"] = limit;
            document
        };

        // Act
        let file = render(&with_limit(json!(1024))).unwrap();
        let refused: Vec<String> = [json!(0), json!(-1), json!(1.5), json!("1 MiB")]
            .into_iter()
            .map(|limit| render(&with_limit(limit)).unwrap_err())
            .collect();

        // Assert
        assert!(
            file.contains("pub const CREATE_THING_MAX_BODY_BYTES: usize = 1024usize;"),
            "{file}"
        );
        assert!(
            !render(&taking(json!({"type": "object"})))
                .unwrap()
                .contains("MAX_BODY_BYTES")
        );
        for error in refused {
            assert!(
                error.starts_with("create_thing's request body: x-max-body-bytes is"),
                "{error}"
            );
        }
    }

    #[test]
    fn a_class_escape_two_engines_read_apart_is_refused_and_an_escaped_backslash_is_not() {
        // Arrange
        let digits = taking(json!({"type": "object", "properties": {
            "code": {"type": "string", "pattern": "^\\d+$"}
        }}));
        let backslash_d = taking(json!({"type": "object", "properties": {
            "path": {"type": "string", "pattern": "^[a-z\\\\]d$"}
        }}));

        // Act
        let refused = render(&digits).unwrap_err();
        let kept = render(&backslash_d);

        // Assert
        assert!(
            refused.contains("uses \\d, which the client (ECMA-262)"),
            "{refused}"
        );
        assert!(kept.is_ok(), "{kept:?}");
    }

    #[test]
    fn a_one_of_of_a_reference_and_a_null_only_branch_is_that_reference_nullable() {
        // Arrange
        let spelled_with_one_of = json!({"type": "object", "properties": {
            "alias": {"oneOf": [
                {"$ref": "#/components/schemas/Name"},
                {"type": "object", "nullable": true, "enum": [null]}
            ]}
        }});
        let spelled_with_all_of = json!({"type": "object", "properties": {
            "alias": {"nullable": true, "allOf": [{"$ref": "#/components/schemas/Name"}]}
        }});

        // Act
        let one_of = render(&taking(spelled_with_one_of)).unwrap();
        let all_of = render(&taking(spelled_with_all_of)).unwrap();

        // Assert
        assert_eq!(one_of, all_of);
        assert!(one_of.contains("nullable: true"));
    }

    #[test]
    fn a_one_of_told_apart_by_one_property_gets_a_row_per_branch() {
        // Arrange
        let branch = |kind: &str, field: &str| {
            json!({"type": "object", "required": ["kind"], "additionalProperties": false,
                   "properties": {"kind": {"type": "string", "enum": [kind]}, field: {"type": "boolean"}}})
        };
        let document = taking(
            json!({"type": "array", "items": {"oneOf": [branch("a", "x"), branch("b", "y")]}}),
        );

        // Act
        let file = render(&document).unwrap();

        // Assert
        assert!(file.contains(r#"property: "kind""#), "{file}");
        assert!(file.contains(r#"pointer: "/*[kind=a]/x""#), "{file}");
        assert!(file.contains(r#"pointer: "/*[kind=b]/y""#), "{file}");
    }

    #[test]
    fn a_schema_the_table_cannot_carry_fails_naming_the_field_and_the_reason() {
        let untagged = json!({"type": "object", "properties": {"either": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}});
        let cases = [
            (
                json!({"type": "object", "properties": {"n": {"type": "integer", "multipleOf": 2}}}),
                "/n",
                "`multipleOf`",
            ),
            (
                json!({"type": "object", "properties": {"mail": {"type": "string", "format": "email"}}}),
                "/mail",
                "format: email",
            ),
            (untagged, "/either", "told apart by one property"),
            (
                json!({"$ref": "#/components/schemas/Node"}),
                "Node",
                "recursive",
            ),
            (
                json!({"type": "object", "properties": {"p": {"type": "string", "pattern": "(unclosed"}}}),
                "/p",
                "does not compile",
            ),
            (
                json!({"type": "string", "maxLength": 3, "allOf": [{"maxLength": 4}]}),
                "/",
                "given twice",
            ),
            (
                json!({"type": "object", "properties": {"e": {"enum": [1, 2]}}}),
                "/e",
                "not a string",
            ),
        ];
        for (schema, place, reason) in cases {
            // Act
            let error = render(&taking(schema)).unwrap_err();

            // Assert
            assert!(
                error.contains(place) && error.contains(reason),
                "{place} {reason}: {error}"
            );
        }
    }
}
