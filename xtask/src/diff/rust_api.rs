//! The public API of the generated code — the client, and the mock crate's typed wiremock
//! layer — derived from a document with the same generators and settings as
//! `cargo xtask codegen`, and compared item by item.
//!
//! Items are named as users reach them: `types::…` (re-exported by the client crate),
//! `raw::…` (the generated `Client` and its `builder` module) and `typed::…` (the mock crate's
//! typed mocks).

use std::collections::BTreeMap;

use quote::ToTokens;
use serde_json::Value;
use syn::punctuated::Punctuated;

use super::change::{CALLERS, Change, Class, MOCK_USERS, Side};
use crate::codegen::{Kind as Generated, OUTPUTS, client, spec::Source, wiremock};

/// What kind of item a public API entry is; it decides what adding one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A struct, enum, alias, trait, function or method; adding one breaks nothing.
    Item,
    /// A public field of a struct whose fields are all public: code building it with a
    /// struct literal must name a new one.
    Field,
    /// A variant of an enum: an exhaustive `match` must handle a new one.
    Variant,
}

/// One public item: its kind and how it reads (`types::TaskInfo::id: uuid::Uuid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: Kind,
    pub signature: String,
}

/// The public API, by item path.
pub type Api = BTreeMap<String, Item>;

/// Generates the code codegen generates from `document` (the client, and the typed wiremock
/// layer of the mock crate) and lists its public API.
pub fn derive(name: &str, document: &openapiv3::OpenAPI) -> Result<Api, String> {
    let source = Source {
        path: name.to_string(),
        sha256: String::new(),
        document: document.clone(),
        json: serde_json::to_value(document)
            .map_err(|e| format!("{name} cannot be written as JSON: {e}"))?,
    };
    let mut api = Api::new();
    for kind in kinds(name) {
        let (code, module) = match kind {
            Generated::Client => (client::generate(&source)?, "raw"),
            Generated::Wiremock { types } => (wiremock::generate(&source, types)?, "typed"),
            // The rules table (`mulerouter_kling::rules`) holds the document's rules as data:
            // its changes are the document rules the diff already reports.
            Generated::Rules => continue,
        };
        let file = syn::parse_file(&code)
            .map_err(|e| format!("the code generated from {name} does not parse: {e}"))?;
        collect(&file.items, module, module == "raw", &mut api);
    }
    Ok(api)
}

/// What codegen generates from `document`: its rows of the outputs table, or, for a document
/// the table does not name (two files given on the command line), what it generates from the
/// workspace's documents.
fn kinds(document: &str) -> Vec<Generated> {
    let rows: Vec<Generated> = OUTPUTS
        .iter()
        .filter(|output| output.spec == document)
        .map(|output| output.kind)
        .collect();
    if !rows.is_empty() {
        return rows;
    }
    let mut all: Vec<Generated> = Vec::new();
    for output in OUTPUTS {
        if !all.contains(&output.kind) {
            all.push(output.kind);
        }
    }
    all
}

fn collect(items: &[syn::Item], module: &str, root: bool, api: &mut Api) {
    for item in items {
        match item {
            syn::Item::Mod(m) if is_public(&m.vis) => {
                // The crate re-exports the generated `types` at its root.
                let path = if root && m.ident == "types" {
                    "types".to_string()
                } else {
                    format!("{module}::{}", m.ident)
                };
                if let Some((_, inner)) = &m.content {
                    collect(inner, &path, false, api);
                }
            }
            syn::Item::Struct(s) if is_public(&s.vis) => {
                let path = format!("{module}::{}", s.ident);
                insert(
                    api,
                    path.clone(),
                    Kind::Item,
                    format!("struct {path}{}", text(&s.generics)),
                );
                derives(&s.attrs, &path, api);
                let all_public = s.fields.iter().all(|f| is_public(&f.vis));
                for (index, field) in s.fields.iter().enumerate() {
                    if !is_public(&field.vis) {
                        continue;
                    }
                    let name = field
                        .ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| index.to_string());
                    let kind = if all_public { Kind::Field } else { Kind::Item };
                    insert(
                        api,
                        format!("{path}::{name}"),
                        kind,
                        format!("{path}::{name}: {}", text(&field.ty)),
                    );
                }
            }
            syn::Item::Enum(e) if is_public(&e.vis) => {
                let path = format!("{module}::{}", e.ident);
                insert(
                    api,
                    path.clone(),
                    Kind::Item,
                    format!("enum {path}{}", text(&e.generics)),
                );
                derives(&e.attrs, &path, api);
                for variant in &e.variants {
                    let fields = fields_text(&variant.fields);
                    insert(
                        api,
                        format!("{path}::{}", variant.ident),
                        Kind::Variant,
                        format!("{path}::{}{fields}", variant.ident),
                    );
                }
            }
            syn::Item::Type(t) if is_public(&t.vis) => {
                let path = format!("{module}::{}", t.ident);
                insert(
                    api,
                    path.clone(),
                    Kind::Item,
                    format!("type {path}{} = {}", text(&t.generics), text(&t.ty)),
                );
            }
            syn::Item::Const(c) if is_public(&c.vis) => {
                let path = format!("{module}::{}", c.ident);
                insert(
                    api,
                    path.clone(),
                    Kind::Item,
                    format!("const {path}: {}", text(&c.ty)),
                );
            }
            syn::Item::Fn(f) if is_public(&f.vis) => {
                let path = format!("{module}::{}", f.sig.ident);
                insert(api, path, Kind::Item, method(module, &f.sig));
            }
            syn::Item::Trait(t) if is_public(&t.vis) => {
                let path = format!("{module}::{}", t.ident);
                insert(api, path.clone(), Kind::Item, format!("trait {path}"));
                for inner in &t.items {
                    if let syn::TraitItem::Fn(f) = inner {
                        insert(
                            api,
                            format!("{path}::{}", f.sig.ident),
                            Kind::Item,
                            method(&path, &f.sig),
                        );
                    }
                }
            }
            syn::Item::Impl(i) => {
                let self_type = qualified(module, &i.self_ty);
                match &i.trait_ {
                    Some((trait_path, _)) => {
                        let signature = format!(
                            "impl{} {} for {self_type}",
                            text(&i.generics),
                            text(trait_path)
                        );
                        insert(api, signature.clone(), Kind::Item, signature);
                    }
                    None => {
                        let owner = self_type
                            .split('<')
                            .next()
                            .unwrap_or(&self_type)
                            .to_string();
                        for inner in &i.items {
                            if let syn::ImplItem::Fn(f) = inner
                                && is_public(&f.vis)
                            {
                                insert(
                                    api,
                                    format!("{owner}::{}", f.sig.ident),
                                    Kind::Item,
                                    method(&owner, &f.sig),
                                );
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// `#[derive(A, B)]` as one `impl A for T` item each: removing a derive breaks users of it.
fn derives(attrs: &[syn::Attribute], path: &str, api: &mut Api) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) =
            attr.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        else {
            continue;
        };
        for derived in paths {
            let signature = format!("impl {} for {path}", text(&derived));
            insert(api, signature.clone(), Kind::Item, signature);
        }
    }
}

/// A variant's fields without their attributes: `{ a: T, b: U }`, `(T)` or nothing.
fn fields_text(fields: &syn::Fields) -> String {
    let each = |fields: &Punctuated<syn::Field, syn::Token![,]>| -> Vec<String> {
        fields
            .iter()
            .map(|f| match &f.ident {
                Some(name) => format!("{name}: {}", text(&f.ty)),
                None => text(&f.ty),
            })
            .collect()
    };
    match fields {
        syn::Fields::Unit => String::new(),
        syn::Fields::Named(named) => format!(" {{ {} }}", each(&named.named).join(", ")),
        syn::Fields::Unnamed(unnamed) => format!("({})", each(&unnamed.unnamed).join(", ")),
    }
}

/// A function as `async raw::builder::X::send(self) -> …`: qualifiers, then its full path.
fn method(owner: &str, signature: &syn::Signature) -> String {
    let shown = text(signature);
    match shown.split_once("fn ") {
        Some((qualifiers, rest)) => format!("{qualifiers}{owner}::{rest}"),
        None => format!("{owner}::{shown}"),
    }
}

fn insert(api: &mut Api, key: String, kind: Kind, signature: String) {
    api.insert(key, Item { kind, signature });
}

fn is_public(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// A type named inside `module`, with its module: `TaskInfo` in `types` is `types::TaskInfo`.
fn qualified(module: &str, ty: &syn::Type) -> String {
    let shown = text(ty);
    match ty {
        syn::Type::Path(p)
            if p.qself.is_none()
                && p.path.leading_colon.is_none()
                && p.path.segments.len() == 1 =>
        {
            format!("{module}::{shown}")
        }
        syn::Type::Reference(r) => format!("&{}", qualified(module, &r.elem)),
        _ => shown,
    }
}

/// Tokens as a person writes them: `Option<String>`, not `:: std :: option :: Option < …`.
fn text(tokens: &impl ToTokens) -> String {
    let raw = tokens.to_token_stream().to_string();
    let pieces: Vec<&str> = raw.split_whitespace().collect();
    let mut out = String::new();
    let wordy = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '\'')
    };
    let word_end = |s: &str| {
        s.chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    };
    for (index, piece) in pieces.iter().enumerate() {
        if index > 0 {
            let previous = pieces[index - 1];
            let spaced = matches!(*piece, "->" | "=" | "+" | "where" | "=>")
                || matches!(previous, "," | "->" | "=" | "+" | "where" | ":" | "=>")
                || (word_end(previous) && wordy(piece))
                || (previous.starts_with('\'') && wordy(piece));
            if spaced {
                out.push(' ');
            }
        }
        out.push_str(piece);
    }
    // Trailing commas of argument lists and where clauses are noise in one line.
    let mut shown = out.replace(",)", ")").replace(",>", ">");
    while shown.ends_with(',') {
        shown.pop();
    }
    for (long, short) in [
        ("::std::option::Option", "Option"),
        ("::std::string::String", "String"),
        ("::std::vec::Vec", "Vec"),
        ("::std::boxed::Box", "Box"),
        ("::std::result::Result", "Result"),
        ("::std::convert::", ""),
        ("std::convert::", ""),
        ("::std::str::FromStr", "FromStr"),
        ("::std::ops::Deref", "Deref"),
        ("::std::default::Default", "Default"),
        ("::std::fmt::", "fmt::"),
        ("std::fmt::", "fmt::"),
        ("::chrono::offset::Utc", "Utc"),
        ("::std::", "std::"),
        ("::serde::", "serde::"),
        ("::serde_json::", "serde_json::"),
        ("::chrono::", "chrono::"),
        ("::uuid::", "uuid::"),
        ("::schemars::", "schemars::"),
        ("::mulerouter_kling::", "mulerouter_kling::"),
        ("::wiremock::", "wiremock::"),
    ] {
        shown = shown.replace(long, short);
    }
    shown
}

/// Who uses an item: the mock crate's typed layer is for mock users, the rest for client users.
fn who(key: &str) -> &'static str {
    if key.starts_with("typed::") || key.contains(" for typed::") {
        MOCK_USERS
    } else {
        CALLERS
    }
}

/// The changes between two APIs of the code generated from `document`. A type or module that
/// is new (or gone) with everything in it is one change that names its members, not one per
/// method and trait impl: a new operation adds about thirty items, which a reviewer reads as one.
pub fn compare(document: &str, old: &Api, new: &Api) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for (key, before) in old {
        match new.get(key) {
            None => removed.push(key.as_str()),
            Some(after) if after.signature != before.signature => changes.push(change(
                document,
                Class::Breaking,
                key,
                "rust-item-changed",
                (Some(before), Some(after)),
                format!(
                    "{}: code using `{key}` as before may stop compiling",
                    who(key)
                ),
            )),
            Some(_) => {}
        }
    }
    for (key, after) in new.iter().filter(|(key, _)| !old.contains_key(*key)) {
        let owner = key.rsplit_once("::").map(|(o, _)| o).unwrap_or(key);
        match after.kind {
            // A new type has no literal to break; only fields of a type that existed before do.
            Kind::Field if old.contains_key(owner) => changes.push(change(
                document,
                Class::Breaking,
                key,
                "rust-field-added",
                (None, Some(after)),
                format!(
                    "{CALLERS} and {MOCK_USERS} building `{owner}` with a struct literal must set it; its builder is unaffected"
                ),
            )),
            Kind::Variant if old.contains_key(owner) => changes.push(change(
                document,
                Class::Breaking,
                key,
                "rust-variant-added",
                (None, Some(after)),
                format!("{CALLERS}: an exhaustive `match` on `{owner}` must handle it"),
            )),
            _ => added.push(key.as_str()),
        }
    }
    for (namespace, members) in grouped(&removed, new) {
        let (key, signature, with) = whole(namespace, &members, old);
        let reason = match &with {
            Some(with) => format!("{}: code using `{key}` or {with} stops compiling", who(key)),
            None => format!("{}: code using `{key}` stops compiling", who(key)),
        };
        let rule = if with.is_some() {
            "rust-items-removed"
        } else {
            "rust-item-removed"
        };
        let mut removal = change(document, Class::Breaking, key, rule, (None, None), reason);
        removal.old = Some(signature);
        changes.push(removal);
    }
    for (namespace, members) in grouped(&added, old) {
        let (key, signature, with) = whole(namespace, &members, new);
        let reason = match &with {
            Some(with) => format!("{}: new, with {with}", who(key)),
            None => format!("{}: something new to use", who(key)),
        };
        let rule = if with.is_some() {
            "rust-items-added"
        } else {
            "rust-item-added"
        };
        let mut addition = change(
            document,
            Class::NonBreaking,
            key,
            rule,
            (None, None),
            reason,
        );
        addition.new = Some(signature);
        changes.push(addition);
    }
    changes
}

/// A group of items that came or went together (see [`grouped`]), as one change: the key it
/// is reported at, the signature shown (the type's, or `mod …` for a module) and, when the
/// group holds more than one item, what is in it.
fn whole<'a>(
    namespace: &'a str,
    members: &[&'a str],
    api: &Api,
) -> (&'a str, Value, Option<String>) {
    let key = match members {
        [only] => *only,
        _ => namespace,
    };
    let signature = match api.get(key) {
        Some(item) => item.signature.clone(),
        None => format!("mod {namespace}"),
    };
    (key, Value::from(signature), listed(namespace, members))
}

fn change(
    document: &str,
    class: Class,
    key: &str,
    rule: &str,
    (before, after): (Option<&Item>, Option<&Item>),
    reason: String,
) -> Change {
    Change {
        class,
        side: Side::Rust,
        document: document.to_string(),
        operation: None,
        pointer: None,
        location: key.to_string(),
        rule: rule.to_string(),
        old: before.map(|i| Value::from(i.signature.clone())),
        new: after.map(|i| Value::from(i.signature.clone())),
        reason,
    }
}

/// The path of what an API entry belongs to: the entry's own path, or for a trait impl
/// (`impl Clone for raw::builder::X<'a>`) the type's (`raw::builder::X`).
fn owner_path(key: &str) -> &str {
    match key
        .strip_prefix("impl")
        .and_then(|rest| rest.rsplit_once(" for "))
    {
        Some((_, ty)) => ty.split('<').next().unwrap_or(ty),
        None => key,
    }
}

/// `keys` (all added, or all removed) by the widest namespace — a module or a type, below the
/// top-level `raw`, `types` and `typed` — that `other` (the API on the other side) has nothing
/// in, so that everything in it comes or goes with it; a key in no such namespace is alone.
fn grouped<'a>(keys: &[&'a str], other_side: &Api) -> BTreeMap<&'a str, Vec<&'a str>> {
    let other: Vec<&str> = other_side.keys().map(|k| owner_path(k)).collect();
    let absent = |namespace: &str| {
        !other.iter().any(|path| {
            path.strip_prefix(namespace)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
    };
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for &key in keys {
        let path = owner_path(key);
        let widest = path
            .match_indices("::")
            .map(|(at, _)| &path[..at])
            .skip(1)
            .chain(std::iter::once(path))
            .find(|namespace| absent(namespace))
            .unwrap_or(path);
        groups.entry(widest).or_default().push(key);
    }
    groups
}

/// The members of a group besides its head, for its reason: `its 20 items: `new`, `Then`
/// (+14 in it), impls of Clone, Debug`; nothing for a group of one.
fn listed(namespace: &str, members: &[&str]) -> Option<String> {
    if members.len() < 2 {
        return None;
    }
    let mut named: BTreeMap<&str, usize> = BTreeMap::new();
    let mut traits: Vec<&str> = Vec::new();
    for &member in members {
        let rest = owner_path(member)
            .strip_prefix(namespace)
            .unwrap_or_default()
            .trim_start_matches("::");
        let is_impl = member != owner_path(member);
        if rest.is_empty() {
            // The head itself, or a trait implemented for it.
            if is_impl {
                let name = member.rsplit_once(" for ").map_or(member, |(t, _)| t);
                let name = name.trim_start_matches("impl").trim();
                // `impl<'de> serde::Deserialize<'de>` is named by its trait.
                let name = match name.strip_prefix('<') {
                    Some(generic) => generic.split_once("> ").map_or(name, |(_, t)| t),
                    None => name,
                };
                traits.push(name);
            }
            continue;
        }
        let (child, deeper) = rest
            .split_once("::")
            .map_or((rest, false), |(c, _)| (c, true));
        let count = named.entry(child).or_default();
        if deeper || is_impl {
            // Something of the child's (a method, a trait impl): counted, not named.
            *count += 1;
        }
    }
    let mut parts: Vec<String> = named
        .iter()
        .map(|(name, more)| match more {
            0 => format!("`{name}`"),
            more => format!("`{name}` (+{more} in it)"),
        })
        .collect();
    if !traits.is_empty() {
        parts.push(format!("impls of {}", traits.join(", ")));
    }
    let count = members.iter().filter(|m| **m != namespace).count();
    Some(format!("its {count} items: {}", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str) -> Api {
        let file = syn::parse_file(code).unwrap();
        let mut api = Api::new();
        collect(&file.items, "raw", true, &mut api);
        api
    }

    #[test]
    fn types_fields_variants_and_methods_are_listed_as_users_name_them() {
        // Arrange, Act
        let api = api(r#"
            pub mod types {
                #[derive(Clone, Debug)]
                pub struct Request { pub foo: ::std::option::Option<::std::string::String>, pub n: i64 }
                pub enum Mode { Std, Pro }
                impl ::std::default::Default for Mode { fn default() -> Self { Mode::Pro } }
                struct Hidden;
            }
            pub struct Client { pub(crate) baseurl: String }
            impl Client { pub fn create<'a>(&'a self, value: &str) -> builder::Create<'a> { todo!() } fn private(&self) {} }
        "#);

        // Assert
        let keys: Vec<&String> = api.keys().collect();
        assert_eq!(
            api["types::Request::foo"].signature,
            "types::Request::foo: Option<String>"
        );
        assert_eq!(api["types::Request::foo"].kind, Kind::Field);
        assert_eq!(api["types::Mode::Pro"].kind, Kind::Variant);
        assert!(api.contains_key("impl Default for types::Mode"), "{keys:?}");
        assert!(
            api.contains_key("impl Clone for types::Request"),
            "{keys:?}"
        );
        assert_eq!(
            api["raw::Client::create"].signature,
            "raw::Client::create<'a>(&'a self, value: &str) -> builder::Create<'a>"
        );
        assert!(
            !keys
                .iter()
                .any(|k| k.contains("Hidden") || k.contains("private") || k.contains("baseurl")),
            "{keys:?}"
        );
    }

    #[test]
    fn a_new_field_of_an_existing_struct_breaks_struct_literals_but_a_new_struct_breaks_nothing() {
        // Arrange
        let old = api("pub mod types { pub struct A { pub x: i64 } }");
        let new = api(
            "pub mod types { pub struct A { pub x: i64, pub y: i64 } pub struct B { pub z: i64 } }",
        );

        // Act
        let changes = compare("doc", &old, &new);

        // Assert
        let class_of = |key: &str| changes.iter().find(|c| c.location == key).map(|c| c.class);
        assert_eq!(class_of("types::A::y"), Some(Class::Breaking));
        // B comes whole, its field with it: one change.
        assert_eq!(class_of("types::B::z"), None);
        assert_eq!(class_of("types::B"), Some(Class::NonBreaking));
    }

    #[test]
    fn a_changed_field_type_and_a_removed_method_are_breaking() {
        // Arrange
        let old = api(
            "pub mod types { pub struct A { pub x: i64 } } pub struct Client; impl Client { pub fn go(&self) {} }",
        );
        let new = api("pub mod types { pub struct A { pub x: String } } pub struct Client;");

        // Act
        let changes = compare("doc", &old, &new);

        // Assert
        let rule_of = |key: &str| {
            changes
                .iter()
                .find(|c| c.location == key)
                .map(|c| (c.rule.as_str(), c.class))
        };
        assert_eq!(
            rule_of("types::A::x"),
            Some(("rust-item-changed", Class::Breaking))
        );
        assert_eq!(
            rule_of("raw::Client::go"),
            Some(("rust-item-removed", Class::Breaking))
        );
    }

    #[test]
    fn a_type_that_comes_whole_is_one_change_naming_what_is_in_it() {
        // Arrange
        let old = api(
            "pub struct Client; impl Client { pub fn go(&self) {} } pub mod builder { pub struct Go; }",
        );
        let new = api(r#"
            pub struct Client;
            impl Client { pub fn go(&self) {} pub fn stop(&self) {} }
            pub mod builder {
                pub struct Go;
                #[derive(Clone, Debug)]
                pub struct Stop<'a> { client: &'a super::Client }
                impl<'a> Stop<'a> { pub fn new(client: &'a super::Client) -> Self { todo!() } pub fn send(self) {} }
            }
        "#);

        // Act
        let changes = compare("doc", &old, &new);

        // Assert
        let shown: Vec<(&str, &str, &str)> = changes
            .iter()
            .map(|c| (c.location.as_str(), c.rule.as_str(), c.reason.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "raw::Client::stop",
                    "rust-item-added",
                    "client users calling the API: something new to use"
                ),
                (
                    "raw::builder::Stop",
                    "rust-items-added",
                    "client users calling the API: new, with its 4 items: `new`, `send`, impls of Clone, Debug"
                ),
            ]
        );
        assert_eq!(
            changes[1].new,
            Some(Value::from("struct raw::builder::Stop<'a>"))
        );
    }

    #[test]
    fn a_module_that_goes_whole_is_one_breaking_change_counting_what_was_in_it() {
        // Arrange
        let old = api(
            "pub mod gone { pub const PATH: &str = \"/x\"; pub struct Then; impl Then { pub fn ok() -> Self { Then } pub fn bad() -> Self { Then } } }",
        );
        let new = api("pub struct Client;");

        // Act
        let changes = compare("doc", &old, &new);

        // Assert
        let removals: Vec<&Change> = changes
            .iter()
            .filter(|c| c.class == Class::Breaking)
            .collect();
        assert_eq!(removals.len(), 1, "{changes:#?}");
        assert_eq!(removals[0].rule, "rust-items-removed");
        assert_eq!(removals[0].class, Class::Breaking);
        assert_eq!(removals[0].old, Some(Value::from("mod raw::gone")));
        assert_eq!(
            removals[0].reason,
            "client users calling the API: code using `raw::gone` or its 4 items: `PATH`, `Then` (+2 in it) stops compiling"
        );
    }
}
