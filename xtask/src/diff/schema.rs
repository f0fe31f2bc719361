//! Comparing two schemas, knowing which way the data travels.
//!
//! A request schema says what client users may send: narrowing it refuses values that worked.
//! A response schema says what they may receive: widening it sends values old clients reject.
//! `$ref`s and `allOf` are followed so a change in a shared component is reported at every
//! place an operation reaches it; a stack of the references being compared stops cycles.
//! Schemas are compared by meaning, not spelling: `View` reads every spelling of "X or null"
//! as X, nullable (`null`), and a single-member `allOf` as its member.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::change::{ANSWERS, Change, Class, MOCK_USERS, Readers, SENDERS, Side};
use super::load::{escape, follow_references};

mod null;

/// How deep `$ref` chains and `allOf` nests are followed before giving up (a malformed cycle).
const MAX_DEPTH: usize = 32;

/// Keywords whose widening makes the generated types reject answers they used to accept
/// (typify checks string lengths, patterns, enums, formats and nullability while parsing);
/// widening the others (numeric ranges, array sizes) goes unnoticed by the types.
const CHECKED_BY_TYPES: &[&str] = &[
    "maxLength",
    "minLength",
    "pattern",
    "enum",
    "format",
    "nullable",
    "type",
];

/// What the comparison of one operation or component shares.
#[derive(Debug)]
pub struct Walk<'a> {
    pub old: &'a Value,
    pub new: &'a Value,
    pub document: &'a str,
    pub operation: Option<String>,
    /// Component schema names the client replaces with types that accept unknown values.
    pub tolerant: &'a BTreeSet<String>,
    pub changes: Vec<Change>,
    /// Pointers of every component schema reached, in either document.
    pub reached: BTreeSet<String>,
    /// Who reads response-side schemas: client users reading answers unless a callback is
    /// being compared.
    pub readers: Readers,
    stack: Vec<(String, String)>,
}

/// One side's schema at a place: the value and its JSON pointer.
#[derive(Debug, Clone, Copy)]
pub struct At<'v> {
    pub schema: &'v Value,
    pub pointer: &'v str,
}

impl<'a> Walk<'a> {
    pub fn new(
        old: &'a Value,
        new: &'a Value,
        document: &'a str,
        operation: Option<String>,
        tolerant: &'a BTreeSet<String>,
    ) -> Self {
        Self {
            old,
            new,
            document,
            operation,
            tolerant,
            changes: Vec::new(),
            reached: BTreeSet::new(),
            readers: ANSWERS,
            stack: Vec::new(),
        }
    }

    /// Records one change.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        class: Class,
        side: Side,
        pointer: &str,
        location: String,
        rule: String,
        old: Option<Value>,
        new: Option<Value>,
        reason: String,
    ) {
        self.changes.push(Change {
            class,
            side,
            document: self.document.to_string(),
            operation: self.operation.clone(),
            pointer: Some(pointer.to_string()),
            location,
            rule,
            old,
            new,
            reason,
        });
    }

    /// Compares two schemas found at `place` (`request body`, `response 200 body`, …).
    pub fn schema(&mut self, side: Side, place: &str, old: At<'_>, new: At<'_>) {
        self.compare(side, place, "", old, new, 0);
    }

    fn compare(
        &mut self,
        side: Side,
        place: &str,
        field: &str,
        old: At<'_>,
        new: At<'_>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let old_view = View::of(self.old, old.schema, old.pointer.to_string());
        let new_view = View::of(self.new, new.schema, new.pointer.to_string());
        self.reached.extend(old_view.components.iter().cloned());
        self.reached.extend(new_view.components.iter().cloned());
        let pair = (old_view.pointer.clone(), new_view.pointer.clone());
        if self.stack.contains(&pair) {
            return;
        }
        self.stack.push(pair);
        let tolerant = old_view
            .components
            .iter()
            .chain(&new_view.components)
            .filter_map(|pointer| pointer.strip_prefix("/components/schemas/"))
            .find(|name| self.tolerant.contains(*name))
            .map(str::to_string);
        let location = if field.is_empty() {
            place.to_string()
        } else {
            format!("{place} {field}")
        };
        self.keywords(side, &location, &old_view, &new_view, tolerant.as_deref());
        self.properties(side, place, field, &old_view, &new_view, depth);
        if let (Some(old_items), Some(new_items)) = (&old_view.items, &new_view.items) {
            let old_items = At {
                schema: old_items.0,
                pointer: &old_items.1,
            };
            let new_items = At {
                schema: new_items.0,
                pointer: &new_items.1,
            };
            self.compare(
                side,
                place,
                &format!("{field}/*"),
                old_items,
                new_items,
                depth + 1,
            );
        }
        if let (Some(old_extra), Some(new_extra)) = (&old_view.additional, &new_view.additional) {
            let old_extra = At {
                schema: old_extra.0,
                pointer: &old_extra.1,
            };
            let new_extra = At {
                schema: new_extra.0,
                pointer: &new_extra.1,
            };
            self.compare(
                side,
                place,
                &format!("{field}/{{key}}"),
                old_extra,
                new_extra,
                depth + 1,
            );
        }
        for (keyword, old_branches, new_branches) in [
            ("one-of", &old_view.one_of, &new_view.one_of),
            ("any-of", &old_view.any_of, &new_view.any_of),
        ] {
            self.branches(
                side,
                place,
                field,
                keyword,
                old_branches,
                new_branches,
                depth,
            );
        }
        self.stack.pop();
    }

    fn keywords(
        &mut self,
        side: Side,
        location: &str,
        old: &View<'_>,
        new: &View<'_>,
        tolerant: Option<&str>,
    ) {
        let keys: BTreeSet<&str> = old
            .keywords
            .keys()
            .chain(new.keywords.keys())
            .copied()
            .collect();
        for key in keys {
            let before = old.keywords.get(key);
            let after = new.keywords.get(key);
            if before.map(|b| &b.0) == after.map(|a| &a.0) {
                continue;
            }
            let pointer = after.or(before).map(|(_, p)| p.clone()).unwrap_or_default();
            // A default on a component's own schema becomes that type's `Default`, while the
            // fields referring to it stay `Option`s the builder leaves out; a default on a
            // property is filled in by the builder and when parsing.
            let component = pointer
                .strip_prefix("/components/schemas/")
                .and_then(|rest| rest.strip_suffix("/default"))
                .filter(|name| !name.contains('/'));
            let default = NewDefault {
                new: new.keywords.get("default").map(|d| &d.0),
                component,
            };
            for effect in effects(key, before.map(|b| &b.0), after.map(|a| &a.0)) {
                let (class, reason) = judge(side, self.readers, key, &effect, tolerant, default);
                let rule = format!("{}-{}", side.as_str(), effect.rule);
                self.push(
                    class,
                    side,
                    &pointer,
                    location.to_string(),
                    rule,
                    effect.old,
                    effect.new,
                    reason,
                );
            }
        }
    }

    fn properties(
        &mut self,
        side: Side,
        place: &str,
        field: &str,
        old: &View<'_>,
        new: &View<'_>,
        depth: usize,
    ) {
        let Readers {
            who: readers,
            what: messages,
            ..
        } = self.readers;
        let names: BTreeSet<&String> = old.properties.keys().chain(new.properties.keys()).collect();
        for name in names {
            let path = format!("{field}/{name}");
            let location = format!("{place} {path}");
            let was_required = old.required.contains_key(name);
            let is_required = new.required.contains_key(name);
            match (old.properties.get(name), new.properties.get(name)) {
                (None, Some((_, pointer))) => {
                    let (rule, class, reason) = match (side, is_required) {
                        (Side::Request, true) => (
                            "required-property-added",
                            Class::Breaking,
                            format!(
                                "{SENDERS}: requests without `{name}` are refused (client checks, {MOCK_USERS}' mock, the service); the builder fails without it"
                            ),
                        ),
                        (Side::Request, false) => (
                            "optional-property-added",
                            Class::NonBreaking,
                            format!("{SENDERS}: may send `{name}`; requests without it stay valid"),
                        ),
                        (_, false) => (
                            "property-added",
                            Class::NonBreaking,
                            format!(
                                "{readers}: {messages} may carry `{name}`; unknown properties were already ignored"
                            ),
                        ),
                        (_, true) => (
                            "property-added",
                            Class::NonBreaking,
                            format!(
                                "{readers}: {messages} carry `{name}`; clients generated from this document refuse {messages} without it, such as a server still on the old document sends"
                            ),
                        ),
                    };
                    let shown = if is_required { "required" } else { "optional" };
                    self.push(
                        class,
                        side,
                        pointer,
                        location,
                        format!("{}-{rule}", side.as_str()),
                        None,
                        Some(Value::from(shown)),
                        reason,
                    );
                }
                (Some((_, pointer)), None) => {
                    let reason = if side == Side::Request {
                        format!(
                            "{SENDERS}: `{name}` is gone from the type, and a service that rejects unknown keys refuses it"
                        )
                    } else {
                        format!(
                            "{readers}: `{name}` is no longer in {messages}; code reading it stops compiling or finds nothing"
                        )
                    };
                    let shown = if was_required { "required" } else { "optional" };
                    self.push(
                        Class::Breaking,
                        side,
                        pointer,
                        location,
                        format!("{}-property-removed", side.as_str()),
                        Some(Value::from(shown)),
                        None,
                        reason,
                    );
                }
                (Some(before), Some(after)) => {
                    if was_required != is_required {
                        let pointer = if is_required {
                            new.required[name].clone()
                        } else {
                            old.required[name].clone()
                        };
                        let (rule, class, reason) = match (side, is_required) {
                            (Side::Request, true) => (
                                "became-required",
                                Class::Breaking,
                                format!("{SENDERS}: requests without `{name}` are refused now"),
                            ),
                            (Side::Request, false) => (
                                "became-optional",
                                Class::NonBreaking,
                                format!("{SENDERS}: `{name}` may be left out now"),
                            ),
                            (_, true) => (
                                "became-required",
                                Class::Behaviour,
                                format!(
                                    "{readers}: `{name}` is always present now; clients generated from this document fail to parse {messages} without it (and `types` builders need it), where older ones read it as absent"
                                ),
                            ),
                            (_, false) => (
                                "became-optional",
                                Class::Breaking,
                                format!(
                                    "{readers}: `{name}` may be absent; clients that required it fail to parse such {messages}"
                                ),
                            ),
                        };
                        let shown = |required: bool| {
                            Value::from(if required { "required" } else { "optional" })
                        };
                        self.push(
                            class,
                            side,
                            &pointer,
                            location.clone(),
                            format!("{}-property-{rule}", side.as_str()),
                            Some(shown(was_required)),
                            Some(shown(is_required)),
                            reason,
                        );
                    }
                    let before = At {
                        schema: before.0,
                        pointer: &before.1,
                    };
                    let after = At {
                        schema: after.0,
                        pointer: &after.1,
                    };
                    self.compare(side, place, &path, before, after, depth + 1);
                }
                (None, None) => {}
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn branches(
        &mut self,
        side: Side,
        place: &str,
        field: &str,
        keyword: &str,
        old: &[(&Value, String)],
        new: &[(&Value, String)],
        depth: usize,
    ) {
        let old_keyed: BTreeMap<String, &(&Value, String)> = old
            .iter()
            .enumerate()
            .map(|(i, b)| (branch_key(self.old, b.0, i), b))
            .collect();
        let new_keyed: BTreeMap<String, &(&Value, String)> = new
            .iter()
            .enumerate()
            .map(|(i, b)| (branch_key(self.new, b.0, i), b))
            .collect();
        let Readers {
            who: readers,
            what: messages,
            ..
        } = self.readers;
        let keys: BTreeSet<&String> = old_keyed.keys().chain(new_keyed.keys()).collect();
        for key in keys {
            let location = format!("{place} {field}[{key}]");
            match (old_keyed.get(key), new_keyed.get(key)) {
                (None, Some(added)) => {
                    let (class, reason) = if side == Side::Request {
                        (
                            Class::NonBreaking,
                            format!("{SENDERS}: one more kind of value is accepted"),
                        )
                    } else {
                        (
                            Class::Breaking,
                            format!(
                                "{readers}: clients built from the old document cannot parse the new kind"
                            ),
                        )
                    };
                    self.push(
                        class,
                        side,
                        &added.1,
                        location,
                        format!("{}-{keyword}-branch-added", side.as_str()),
                        None,
                        Some(Value::from(key.clone())),
                        reason,
                    );
                }
                (Some(removed), None) => {
                    let (class, reason) = if side == Side::Request {
                        (
                            Class::Breaking,
                            format!("{SENDERS}: values of this kind are refused now"),
                        )
                    } else {
                        (
                            Class::NonBreaking,
                            format!("{readers}: {messages} no longer carry this kind"),
                        )
                    };
                    self.push(
                        class,
                        side,
                        &removed.1,
                        location,
                        format!("{}-{keyword}-branch-removed", side.as_str()),
                        Some(Value::from(key.clone())),
                        None,
                        reason,
                    );
                }
                (Some(before), Some(after)) => {
                    let before = At {
                        schema: before.0,
                        pointer: &before.1,
                    };
                    let after = At {
                        schema: after.0,
                        pointer: &after.1,
                    };
                    self.compare(
                        side,
                        place,
                        &format!("{field}[{key}]"),
                        before,
                        after,
                        depth + 1,
                    );
                }
                (None, None) => {}
            }
        }
    }
}

/// A `oneOf`/`anyOf` branch's name: its component, else its single-valued enum properties
/// (`type=image`), else its position.
fn branch_key(root: &Value, branch: &Value, index: usize) -> String {
    if let Some(target) = branch.get("$ref").and_then(Value::as_str) {
        return target.rsplit('/').next().unwrap_or(target).to_string();
    }
    let view = View::of(root, branch, String::new());
    let tags: Vec<String> = view
        .properties
        .iter()
        .filter_map(|(name, (schema, _))| {
            let inner = View::of(root, schema, String::new());
            match inner.keywords.get("enum").map(|e| &e.0) {
                Some(Value::Array(values)) if values.len() == 1 => {
                    Some(format!("{name}={}", super::change::show(values.first())))
                }
                _ => None,
            }
        })
        .collect();
    if tags.is_empty() {
        format!("#{index}")
    } else {
        tags.join(",")
    }
}

/// A schema with its `$ref`s followed and its `allOf` members merged in: what it means.
/// Spellings of "X or null" are normalised here, the one place every rule reads schemas
/// through: null-only `oneOf`/`anyOf` branches are dropped and mark the view nullable, the one
/// branch left is merged like an `allOf` member, and `null` in an `enum` means nullable.
#[derive(Debug)]
pub struct View<'v> {
    /// Where the schema itself is (after following `$ref`s).
    pub pointer: String,
    /// Keyword -> (value, pointer of that keyword).
    pub keywords: BTreeMap<&'static str, (Value, String)>,
    pub properties: BTreeMap<String, (&'v Value, String)>,
    /// Required property -> pointer of the `required` list naming it.
    pub required: BTreeMap<String, String>,
    pub items: Option<(&'v Value, String)>,
    pub additional: Option<(&'v Value, String)>,
    pub one_of: Vec<(&'v Value, String)>,
    pub any_of: Vec<(&'v Value, String)>,
    /// Pointers of the components passed through on the way.
    pub components: Vec<String>,
}

/// The keywords compared as values.
const KEYWORDS: &[&str] = &[
    "type",
    "format",
    "nullable",
    "enum",
    "default",
    "pattern",
    "maxLength",
    "minLength",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "multipleOf",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "additionalProperties",
    "readOnly",
    "writeOnly",
    "deprecated",
    // The known values of an open string type, each with its phase (`TaskStatus`).
    "x-phases",
];

impl<'v> View<'v> {
    pub fn of(root: &'v Value, schema: &'v Value, pointer: String) -> Self {
        let mut view = View {
            pointer: String::new(),
            keywords: BTreeMap::new(),
            properties: BTreeMap::new(),
            required: BTreeMap::new(),
            items: None,
            additional: None,
            one_of: Vec::new(),
            any_of: Vec::new(),
            components: Vec::new(),
        };
        let (schema, pointer) = follow(root, schema, pointer, &mut view.components);
        view.pointer = pointer.clone();
        view.merge(root, schema, &pointer, 0);
        view
    }

    fn merge(&mut self, root: &'v Value, schema: &'v Value, pointer: &str, depth: usize) {
        let Some(map) = schema.as_object() else {
            return;
        };
        for key in KEYWORDS {
            let Some(value) = map.get(*key) else { continue };
            if *key == "additionalProperties" && value.is_object() {
                if self.additional.is_none() {
                    self.additional = Some((value, format!("{pointer}/additionalProperties")));
                }
                continue;
            }
            if *key == "nullable" && value == &Value::Bool(true) {
                self.nullable(format!("{pointer}/nullable"));
                continue;
            }
            // `enum: [a, b, null]` is `enum: [a, b]`, nullable.
            if *key == "enum"
                && let Some(others) = value.as_array().and_then(|v| null::split_enum(v))
            {
                self.nullable(format!("{pointer}/enum"));
                self.keywords
                    .entry(key)
                    .or_insert_with(|| (Value::Array(others), format!("{pointer}/{key}")));
                continue;
            }
            self.keywords
                .entry(key)
                .or_insert_with(|| (value.clone(), format!("{pointer}/{key}")));
        }
        if let Some(properties) = map.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                self.properties.entry(name.clone()).or_insert_with(|| {
                    (property, format!("{pointer}/properties/{}", escape(name)))
                });
            }
        }
        if let Some(required) = map.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                self.required
                    .entry(name.to_string())
                    .or_insert_with(|| format!("{pointer}/required"));
            }
        }
        if self.items.is_none() {
            self.items = map
                .get("items")
                .map(|items| (items, format!("{pointer}/items")));
        }
        // Members merged into this view: every `allOf` member, and the one branch left of a
        // `oneOf`/`anyOf` of X and null (X or null means X, nullable).
        let mut members: Vec<(&'v Value, String)> = map
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(index, member)| (member, format!("{pointer}/allOf/{index}")))
            .collect();
        for keyword in ["oneOf", "anyOf"] {
            let Some(branches) = map.get(keyword).and_then(Value::as_array) else {
                continue;
            };
            let mut others = Vec::new();
            for (index, branch) in branches.iter().enumerate() {
                let at = format!("{pointer}/{keyword}/{index}");
                if null::accepts_only_null(root, branch) {
                    self.nullable(at);
                } else {
                    others.push((branch, at));
                }
            }
            if others.len() == 1 && others.len() < branches.len() {
                members.append(&mut others);
                continue;
            }
            let slot = if keyword == "oneOf" {
                &mut self.one_of
            } else {
                &mut self.any_of
            };
            if slot.is_empty() {
                *slot = others;
            }
        }
        if depth >= MAX_DEPTH {
            return;
        }
        for (member, member_pointer) in members {
            let (member, member_pointer) =
                follow(root, member, member_pointer, &mut self.components);
            self.merge(root, member, &member_pointer, depth + 1);
        }
    }

    /// Marks the view as accepting `null`, `at` the keyword or branch that says so.
    fn nullable(&mut self, at: String) {
        let entry = self
            .keywords
            .entry("nullable")
            .or_insert_with(|| (Value::Bool(true), at.clone()));
        if entry.0 != Value::Bool(true) {
            *entry = (Value::Bool(true), at);
        }
    }
}

/// Follows a chain of `$ref`s, noting the components passed through.
fn follow<'v>(
    root: &'v Value,
    schema: &'v Value,
    pointer: String,
    through: &mut Vec<String>,
) -> (&'v Value, String) {
    let (target, passed) = follow_references(root, schema);
    through.extend(passed.iter().map(|pointer| (*pointer).to_string()));
    let pointer = passed.last().map_or(pointer, |last| (*last).to_string());
    (target, pointer)
}

/// Whether `rule` says a keyword (a constraint or a default) was added to or taken from a
/// schema (`request-max-length-added`, `response-enum-removed`), as opposed to an item users
/// name (a property, an enum value, a status).
pub fn is_keyword_rule(rule: &str) -> bool {
    let stem = ["request-", "response-"]
        .iter()
        .find_map(|side| rule.strip_prefix(side))
        .unwrap_or(rule);
    KEYWORDS.iter().any(|key| {
        let key = kebab(key);
        stem.strip_prefix(key.as_str())
            .is_some_and(|what| what == "-added" || what == "-removed")
    })
}

/// What a keyword change does to the set of allowed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Fewer values allowed.
    Narrower,
    /// More values allowed.
    Wider,
    /// Different values (a changed pattern or format, a changed type).
    Different,
    /// Same values, different meaning when absent.
    Default,
    /// Informational.
    Note,
    /// A value of an open string type's `x-phases` added (finished or not), removed, or
    /// given another phase.
    Phase(PhaseChange),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhaseChange {
    /// `x-phases` itself added or removed: a list for tools, nothing clients read.
    Listed,
    AddedInProgress,
    AddedFinished,
    Removed,
    Changed,
}

#[derive(Debug)]
struct Found {
    rule: String,
    effect: Effect,
    old: Option<Value>,
    new: Option<Value>,
}

fn kebab(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The changes one keyword's old and new values amount to.
fn effects(key: &str, old: Option<&Value>, new: Option<&Value>) -> Vec<Found> {
    let found = |what: &str, effect: Effect| Found {
        rule: format!("{}-{what}", kebab(key)),
        effect,
        old: old.cloned(),
        new: new.cloned(),
    };
    let truthy = |v: Option<&Value>| v.and_then(Value::as_bool).unwrap_or(false);
    match key {
        "maxLength" | "maximum" | "maxItems" | "maxProperties" => {
            match (old.and_then(Value::as_f64), new.and_then(Value::as_f64)) {
                (None, Some(_)) => vec![found("added", Effect::Narrower)],
                (Some(_), None) => vec![found("removed", Effect::Wider)],
                (Some(a), Some(b)) if b < a => vec![found("decreased", Effect::Narrower)],
                (Some(a), Some(b)) if b > a => vec![found("increased", Effect::Wider)],
                _ => vec![],
            }
        }
        "minLength" | "minimum" | "minItems" | "minProperties" => {
            match (old.and_then(Value::as_f64), new.and_then(Value::as_f64)) {
                (None, Some(_)) => vec![found("added", Effect::Narrower)],
                (Some(_), None) => vec![found("removed", Effect::Wider)],
                (Some(a), Some(b)) if b > a => vec![found("increased", Effect::Narrower)],
                (Some(a), Some(b)) if b < a => vec![found("decreased", Effect::Wider)],
                _ => vec![],
            }
        }
        "exclusiveMaximum" | "exclusiveMinimum" | "uniqueItems" => match (truthy(old), truthy(new))
        {
            (false, true) => vec![found("added", Effect::Narrower)],
            (true, false) => vec![found("removed", Effect::Wider)],
            _ => vec![],
        },
        "nullable" => match (truthy(old), truthy(new)) {
            (false, true) => vec![Found {
                rule: "became-nullable".into(),
                ..found("", Effect::Wider)
            }],
            (true, false) => vec![Found {
                rule: "became-not-nullable".into(),
                ..found("", Effect::Narrower)
            }],
            _ => vec![],
        },
        "additionalProperties" => {
            // Absent, `true` and a schema all allow unknown keys here; only `false` forbids them.
            let forbids = |v: Option<&Value>| v == Some(&Value::Bool(false));
            match (forbids(old), forbids(new)) {
                (false, true) => vec![Found {
                    rule: "unknown-properties-forbidden".into(),
                    ..found("", Effect::Narrower)
                }],
                (true, false) => vec![Found {
                    rule: "unknown-properties-allowed".into(),
                    ..found("", Effect::Wider)
                }],
                _ => vec![],
            }
        }
        "enum" => match (old.and_then(Value::as_array), new.and_then(Value::as_array)) {
            (None, Some(_)) => vec![Found {
                rule: "became-enum".into(),
                ..found("", Effect::Narrower)
            }],
            (Some(_), None) => vec![Found {
                rule: "enum-removed".into(),
                ..found("", Effect::Wider)
            }],
            (Some(before), Some(after)) => {
                let mut out = Vec::new();
                for value in before.iter().filter(|v| !after.contains(v)) {
                    out.push(Found {
                        rule: "enum-value-removed".into(),
                        effect: Effect::Narrower,
                        old: Some(value.clone()),
                        new: None,
                    });
                }
                for value in after.iter().filter(|v| !before.contains(v)) {
                    out.push(Found {
                        rule: "enum-value-added".into(),
                        effect: Effect::Wider,
                        old: None,
                        new: Some(value.clone()),
                    });
                }
                out
            }
            (None, None) => vec![],
        },
        "pattern" | "format" | "multipleOf" => match (old, new) {
            (None, Some(_)) => vec![found("added", Effect::Narrower)],
            (Some(_), None) => vec![found("removed", Effect::Wider)],
            _ => vec![found("changed", Effect::Different)],
        },
        "type" => match (old, new) {
            (None, Some(_)) => vec![found("added", Effect::Narrower)],
            (Some(_), None) => vec![found("removed", Effect::Wider)],
            _ => vec![found("changed", Effect::Different)],
        },
        "default" => match (old, new) {
            (None, Some(_)) => vec![found("added", Effect::Default)],
            (Some(_), None) => vec![found("removed", Effect::Default)],
            _ => vec![found("changed", Effect::Default)],
        },
        "deprecated" => match (truthy(old), truthy(new)) {
            (false, true) => vec![Found {
                rule: "deprecated".into(),
                ..found("", Effect::Note)
            }],
            (true, false) => vec![Found {
                rule: "no-longer-deprecated".into(),
                ..found("", Effect::Note)
            }],
            _ => vec![],
        },
        "x-phases" => {
            let (Some(before), Some(after)) = (
                old.and_then(Value::as_object),
                new.and_then(Value::as_object),
            ) else {
                let what = if new.is_some() { "added" } else { "removed" };
                return vec![found(what, Effect::Phase(PhaseChange::Listed))];
            };
            let one = |rule: &str, change, value: &String| Found {
                rule: rule.into(),
                effect: Effect::Phase(change),
                old: before.get(value).map(|phase| json!({ value: phase })),
                new: after.get(value).map(|phase| json!({ value: phase })),
            };
            let mut out = Vec::new();
            for (value, phase) in after {
                match before.get(value) {
                    None if phase == "in_progress" => {
                        out.push(one(
                            "known-value-added",
                            PhaseChange::AddedInProgress,
                            value,
                        ));
                    }
                    None => out.push(one("known-value-added", PhaseChange::AddedFinished, value)),
                    Some(old) if old != phase => {
                        out.push(one(
                            "known-value-phase-changed",
                            PhaseChange::Changed,
                            value,
                        ));
                    }
                    Some(_) => {}
                }
            }
            for value in before.keys().filter(|value| !after.contains_key(*value)) {
                out.push(one("known-value-removed", PhaseChange::Removed, value));
            }
            out
        }
        // readOnly / writeOnly: which side carries the value changes.
        _ => vec![found("changed", Effect::Different)],
    }
}

/// A change to the known values of an open string type: clients parse any value, but one
/// they do not know counts as "not finished", so a new finished value keeps their waits
/// polling until they time out.
fn phase_judgement(change: PhaseChange, readers: &str) -> (Class, String) {
    match change {
        PhaseChange::Listed => (
            Class::NonBreaking,
            format!("{readers}: the list of known values is for tools; clients read what they did"),
        ),
        PhaseChange::AddedInProgress => (
            Class::NonBreaking,
            format!(
                "{readers}: clients built before read the new value as not finished, which it is"
            ),
        ),
        PhaseChange::AddedFinished => (
            Class::Breaking,
            format!(
                "{readers}: clients built before read the new value as not finished, so a wait polls on until it times out; give the client's `TaskStatus` a variant (`crates/mulerouter-kling/src/status.rs`; its test fails until then)"
            ),
        ),
        PhaseChange::Changed => (
            Class::Breaking,
            format!("{readers}: clients built before take the value for its old phase"),
        ),
        PhaseChange::Removed => (
            Class::NonBreaking,
            format!("{readers}: a value no longer sent; clients still read it"),
        ),
    }
}

/// The new default of a schema, and the component whose own schema carries it, if any.
#[derive(Debug, Clone, Copy)]
struct NewDefault<'v> {
    new: Option<&'v Value>,
    component: Option<&'v str>,
}

impl NewDefault<'_> {
    /// What a changed, added or removed default does, and to whom.
    fn reason(self, side: Side, readers: &str, found: &Found) -> String {
        let show = super::change::show;
        let (old, new) = (show(found.old.as_ref()), show(self.new));
        if side != Side::Request {
            return match self.new {
                None => format!("{readers}: an absent value no longer reads as {old}"),
                Some(_) => format!("{readers}: an absent value now reads as {new}"),
            };
        }
        let meaning = match self.new {
            None => format!(
                "the document no longer says that leaving the value out means {old}; the service decides"
            ),
            Some(_) => format!("leaving the value out now means {new}"),
        };
        let generated = match (self.component, self.new) {
            (Some(name), None) => format!(
                "`types::{name}` loses its `Default`; fields of that type are options the builder leaves out"
            ),
            (Some(name), Some(_)) => format!(
                "`types::{name}::default()` is {new}; fields of that type are options the builder leaves out"
            ),
            (None, None) => {
                format!(
                    "the builder and the generated types stop filling in {old}, in client requests and in those the mock records ({MOCK_USERS})"
                )
            }
            (None, Some(_)) => {
                format!(
                    "the builder and the generated types fill in {new}, in client requests and in those the mock records ({MOCK_USERS})"
                )
            }
        };
        format!("{SENDERS}: {meaning}; {generated}")
    }
}

/// The class of a keyword change on one side, and the reason naming who is hit.
fn judge(
    side: Side,
    readers: Readers,
    key: &str,
    found: &Found,
    tolerant: Option<&str>,
    default: NewDefault<'_>,
) -> (Class, String) {
    let request = side == Side::Request;
    let Readers {
        who: readers,
        what: messages,
        from_mock,
    } = readers;
    let mock_sends = if from_mock {
        format!("; {MOCK_USERS}: the mock may send them")
    } else {
        String::new()
    };
    match found.effect {
        Effect::Phase(change) => phase_judgement(change, readers),
        Effect::Note => (
            Class::NonBreaking,
            format!(
                "{}: nothing changes yet; a deprecation warns of a removal",
                if request { SENDERS } else { readers }
            ),
        ),
        Effect::Default => (Class::Behaviour, default.reason(side, readers, found)),
        Effect::Narrower if request => (
            Class::Breaking,
            format!(
                "{SENDERS}: values valid before are refused now (client checks, the service; {MOCK_USERS}: the mock rejects them)"
            ),
        ),
        Effect::Narrower => (
            Class::NonBreaking,
            format!("{readers}: everything allowed now was allowed before"),
        ),
        Effect::Wider if request => (
            Class::NonBreaking,
            format!("{SENDERS}: everything valid before stays valid"),
        ),
        Effect::Wider if key == "enum" && tolerant.is_some() => (
            Class::NonBreaking,
            format!(
                "{readers}: `{}` is replaced by a tolerant type in the client, so an unknown value still parses",
                tolerant.unwrap_or_default()
            ),
        ),
        Effect::Wider if CHECKED_BY_TYPES.contains(&key) => (
            Class::Breaking,
            format!(
                "{readers}: clients built from the old document refuse {messages} outside the old rule{mock_sends}"
            ),
        ),
        Effect::Wider => (
            Class::Behaviour,
            format!(
                "{readers}: values outside the old limit may arrive (the generated types do not check it); code assuming the limit may misbehave"
            ),
        ),
        Effect::Different if key == "multipleOf" && !request => (
            Class::Behaviour,
            format!("{readers}: other values may arrive (the generated types do not check it)"),
        ),
        Effect::Different if key == "type" || key == "format" => (
            Class::Breaking,
            format!(
                "{}: values of the old {key} no longer fit, and the Rust type may change",
                if request { SENDERS } else { readers }
            ),
        ),
        Effect::Different if request => (
            Class::Breaking,
            format!("{SENDERS}: values valid before may be refused now"),
        ),
        Effect::Different => (
            Class::Breaking,
            format!(
                "{readers}: clients built from the old document may refuse {messages} valid now"
            ),
        ),
    }
}
